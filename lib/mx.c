/* mx.c - MX lookup with preference order, implicit MX and null MX (see mx.h) */
#include "fivefifty/mx.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_pref(const void *a, const void *b)
{
    const ff_mx_host *x = a, *y = b;
    return (x->pref > y->pref) - (x->pref < y->pref);
}

static bool has_address(ff_dns *dns, const char *host)
{
    ff_dns_type t[2] = {FF_DNS_A, FF_DNS_AAAA};
    for (int i = 0; i < 2; i++) {
        ff_dns_answer a;
        if (ff_dns_query(dns, host, t[i], &a) != FF_OK)
            return false;
        bool ok = a.result == FF_DNS_OK;
        ff_dns_answer_clear(&a);
        if (ok)
            return true;
    }
    return false;
}

ff_status ff_mx_lookup(ff_dns *dns, const char *domain, bool check_hosts, ff_mx *out,
                       ff_error *err)
{
    if (!out)
        return ff_error_set(err, FF_EINVAL, "mx: no output");
    memset(out, 0, sizeof *out);
    if (!dns || !domain || !*domain)
        return ff_error_set(err, FF_EINVAL, "mx: need a resolver and a domain");
    ff_dns_answer a;
    ff_status st = ff_dns_query(dns, domain, FF_DNS_MX, &a);
    if (st != FF_OK)
        return ff_error_set(err, st, "mx: query failed");
    out->result = a.result;
    if (a.result == FF_DNS_OK) {
        for (size_t i = 0; i < a.n && out->n < FF_MX_MAX; i++) {
            const char *t = a.rrs[i].text ? a.rrs[i].text : "";
            /* RFC 7505: a single MX of preference 0 with the root as target. */
            if (!*t || !strcmp(t, ".")) {
                if (a.n == 1)
                    out->null_mx = true;
                continue;
            }
            ff_mx_host *h = &out->hosts[out->n++];
            snprintf(h->name, sizeof h->name, "%s", t);
            h->pref = a.rrs[i].pref;
            unsigned char buf[16];
            h->ip_literal = inet_pton(AF_INET, t, buf) == 1 || inet_pton(AF_INET6, t, buf) == 1;
        }
        qsort(out->hosts, out->n, sizeof out->hosts[0], by_pref);
    } else if (a.result == FF_DNS_NODATA) {
        /* No MX: the domain's own address stands in for it (RFC 5321 5.1). */
        if (has_address(dns, domain)) {
            ff_mx_host *h = &out->hosts[out->n++];
            snprintf(h->name, sizeof h->name, "%s", domain);
            h->implicit = true;
            out->result = FF_DNS_OK;
        }
    }
    ff_dns_answer_clear(&a);
    for (size_t i = 0; check_hosts && i < out->n; i++) {
        ff_mx_host *h = &out->hosts[i];
        if (h->ip_literal || h->implicit)
            continue;
        ff_dns_answer c;
        if (ff_dns_query(dns, h->name, FF_DNS_CNAME, &c) == FF_OK) {
            h->cname = c.result == FF_DNS_OK;
            ff_dns_answer_clear(&c);
        }
        h->no_address = !has_address(dns, h->name);
    }
    return FF_OK;
}
