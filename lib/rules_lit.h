/* rules_lit.h - internal: the literals every match of a rule's pattern must contain
 *
 * Most rules that pass the cheap conditions (provider, code, status, command) still fail on
 * their text, and running the JIT-compiled pattern was the largest single cost of
 * classifying a bounce. A pattern that is an alternation of branches, each holding a run of
 * plain ASCII characters that every match of that branch must contain, cannot match a text
 * that holds none of those runs, so ff_lits_any() answers "no" without PCRE2.
 *
 * The extraction is conservative: anything it does not fully understand (inline options,
 * \Q...\E, numeric escapes, verbs) yields no literals, and the pattern then always runs.
 * A prefilter only ever says "cannot match"; a "may match" is still decided by PCRE2, so
 * the rule set gives exactly the answers it gave without it.
 */
#ifndef FF_RULES_LIT_H
#define FF_RULES_LIT_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/error.h"

/* The literals of one pattern: n lower-case words, at least one in every match. */
typedef struct ff_lits {
    char **v;
    size_t *len;
    unsigned *id; /* each word's number in the set's ff_litindex */
    size_t n;     /* 0: no prefilter, the pattern must always run */
} ff_lits;

/* All words of a rule set, numbered once (many rules share words), so one pass over a
 * text finds every word it holds instead of one search per word and rule. */
typedef struct ff_litindex ff_litindex;

/* Shortest run worth a check: shorter ones are in nearly every text and only cost time. */
#define FF_LITS_MIN 3

/* ff_lits_extract() reads `pat` (NUL-terminated PCRE2 syntax, compiled caseless, not
 * extended) into `out`. out->n is 0 when some branch has no usable run. `out` owns its
 * strings: release them with ff_lits_clear(). Returns FF_OK or FF_ENOMEM (out is then
 * empty). */
ff_status ff_lits_extract(const char *pat, ff_lits *out);

void ff_lits_clear(ff_lits *l);

/* ff_lits_text_ok() says whether `text` may be prefiltered at all: caseless UTF matching
 * lets the ASCII letters k and s match U+212A KELVIN SIGN and U+017F LONG S, which a
 * byte search for the ASCII run would miss. */
bool ff_lits_text_ok(const char *text, size_t len);

/* ff_lits_lower() writes text[0..len) with ASCII letters lower-cased into `dst` (len
 * bytes, owned by the caller). */
void ff_lits_lower(const char *text, size_t len, char *dst);

/* ff_litindex_new() returns an empty index, or NULL on ENOMEM; ff_litindex_free() takes
 * NULL. The index borrows the words of every ff_lits added: it must be freed before them. */
ff_litindex *ff_litindex_new(void);
void ff_litindex_free(ff_litindex *ix);

/* ff_litindex_add() numbers the words of `l` (setting l->id). FF_OK or FF_ENOMEM. */
ff_status ff_litindex_add(ff_litindex *ix, ff_lits *l);

/* ff_litindex_count() is the number of distinct words: the size of a `seen` array. */
size_t ff_litindex_count(const ff_litindex *ix);

/* ff_litindex_scan() sets seen[id] to 1 for every word `lower` (len bytes, passed through
 * ff_lits_lower()) contains and to 0 for the others. `seen` is the caller's. */
void ff_litindex_scan(const ff_litindex *ix, const char *lower, size_t len,
                      unsigned char *seen);

/* ff_lits_any() says whether the text scanned into `seen` contains one of l's words, or
 * l has none (no prefilter: the pattern must run). */
bool ff_lits_any(const ff_lits *l, const unsigned char *seen);

#endif
