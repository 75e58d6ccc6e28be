/* fuzz_spf.c - SPF records from DNS (untrusted) through parsing, macros and evaluation,
 * on a zone resolver that holds the fuzzed record
 *
 * Input: the record (after "v=spf1 ") up to the first newline; what follows is zone text
 * (ff_dns_zone_load) so includes, redirects, exp= and PTR names are followed too, and the
 * lint walks the same tree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *rec = malloc(size + 8);
    if (!rec)
        return 0;
    memcpy(rec, "v=spf1 ", 7);
    memcpy(rec + 7, data, size);
    rec[size + 7] = '\0';
    const char *zone = memchr(data, '\n', size);
    size_t rlen = zone ? (size_t)(zone - (const char *)data) : size;
    rec[rlen + 7] = '\0';
    for (size_t i = 7; i < rlen + 7; i++)
        if (!rec[i])
            rec[i] = ' '; /* TXT strings from the resolver carry no NUL */
    ff_dns *d = NULL;
    if (ff_dns_new_zone(&d, NULL) == FF_OK) {
        ff_dns_zone_add(d, "example.com", FF_DNS_TXT, rec);
        ff_dns_zone_add(d, "example.com", FF_DNS_A, "192.0.2.1");
        ff_dns_zone_add(d, "example.com", FF_DNS_MX, "10 example.com");
        if (zone)
            ff_dns_zone_load(d, zone + 1, size - rlen - 1, NULL);
        ff_spf_query q = {.ip = "192.0.2.1", .sender = "a@example.com", .helo = "h.example"};
        ff_spf_eval e;
        ff_spf_check(d, &q, &e, NULL);
        ff_spf_eval_clear(&e);
        q.ip = "2001:db8::1";
        q.sender = NULL; /* the null sender: checked as postmaster@helo */
        q.helo = "example.com";
        ff_spf_check(d, &q, &e, NULL);
        ff_spf_eval_clear(&e);
        ff_spf_lint_report lint;
        ff_spf_lint(d, "example.com", &lint, NULL);
        ff_spf_macro_ctx c = {.sender = "a@example.com", .domain = "example.com"};
        char out[512];
        ff_spf_macro_expand((const char *)data, size, &c, true, out, sizeof out);
        ff_dns_free(d);
    }
    free(rec);
    return 0;
}
