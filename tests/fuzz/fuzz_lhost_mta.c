/* fuzz_lhost_mta.c - libFuzzer target for the MTA scanners: any text, with the input's
 * first line as Subject, goes through every scanner's detect() and scan(); hits must hold
 * what the scanners promise (a recipient with an '@', or none at all only with a
 * diagnostic that says what failed; a bounded diagnostic). The text is
 * handed over as mail.c would (ff_mail built by hand), so GMime is not what is fuzzed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lhost.h"
#include "mail.h"

extern const ff_lhost *const ff_lhost_mtas[];
extern const size_t ff_lhost_nmtas;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *nl = memchr(text, '\n', size);
    size_t sl = nl ? (size_t)(nl - text) : size;
    char *subject = strndup(text, sl);
    ff_header hdr[2] = {{.name = "Subject", .value = subject},
                        {.name = "X-Failed-Recipients", .value = subject}};
    ff_mail m = {0};
    m.headers = hdr;
    m.nheaders = (size & 1) ? 2 : 1;
    m.text = text;
    m.text_len = size;
    for (size_t k = 0; subject != NULL && k < ff_lhost_nmtas; k++) {
        ff_hits hits = {0};
        (void)ff_lhost_mtas[k]->detect(&m);
        if (ff_lhost_mtas[k]->scan(&m, &hits) == FF_OK) {
            for (size_t i = 0; i < hits.n; i++) {
                const ff_hit *h = &hits.v[i];
                if (h->recipient == NULL ? h->diagnostic == NULL
                                         : strchr(h->recipient, '@') == NULL)
                    __builtin_trap();
                if (h->diagnostic && strlen(h->diagnostic) > size)
                    __builtin_trap();
            }
        }
        ff_hits_free(&hits);
    }
    free(subject);
    free(text);
    return 0;
}
