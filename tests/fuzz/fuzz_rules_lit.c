/* fuzz_rules_lit.c - the rule prefilter against PCRE2 itself: input is a pattern, a
 * newline, and a text. Whatever the pattern, the prefilter must never call a text that
 * PCRE2 matches unmatchable, nor a text it does not match a sure match (either would change
 * a classification). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules_lit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    if (nl == NULL || nl - data > 512)
        return 0;
    size_t plen = (size_t)(nl - data), tlen = size - plen - 1;
    char *pat = malloc(plen + 1);
    if (pat == NULL)
        return 0;
    memcpy(pat, data, plen);
    pat[plen] = '\0';
    const char *text = (const char *)nl + 1;

    ff_lits l;
    if (ff_lits_extract(pat, &l) != FF_OK) {
        free(pat);
        return 0;
    }
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                   PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                                   &ec, &off, NULL);
    ff_litindex *ix = ff_litindex_new();
    if (re != NULL && ix != NULL && ff_litindex_add(ix, &l) == FF_OK &&
        ff_lits_text_ok(text, tlen)) {
        pcre2_match_context *mc = pcre2_match_context_create(NULL);
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        char *lower = malloc(tlen + 1);
        unsigned char *seen = malloc(ff_litindex_size(ix) + 1);
        if (mc != NULL && md != NULL && lower != NULL && seen != NULL) {
            pcre2_set_match_limit(mc, 100000);
            ff_lits_lower(text, tlen, lower);
            ff_litindex_scan(ix, lower, tlen, seen);
            int rc = pcre2_match(re, (PCRE2_SPTR)text, tlen, 0, 0, md, mc);
            if (rc >= 0 && !ff_lits_any(&l, seen))
                abort(); /* PCRE2 matches a text the prefilter would have skipped */
            if (ff_litindex_may(ix, &l, seen) != ff_lits_any(&l, seen))
                abort(); /* the index's answer is not the direct one */
            if (rc == PCRE2_ERROR_NOMATCH && l.n > 0 &&
                ff_litindex_verdicts(ix, seen)[l.num] == FF_LITS_MATCH)
                abort(); /* a sure match that PCRE2 does not make */
        }
        free(lower);
        free(seen);
        pcre2_match_data_free(md);
        pcre2_match_context_free(mc);
    }
    ff_litindex_free(ix);
    pcre2_code_free(re);
    ff_lits_clear(&l);
    free(pat);
    return 0;
}
