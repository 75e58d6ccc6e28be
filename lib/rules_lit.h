/* rules_lit.h - internal: the literals every match of a rule's pattern must contain
 *
 * Most rules that pass the cheap conditions (provider, code, status, command) still fail on
 * their text, and running the JIT-compiled pattern was the largest single cost of
 * classifying a bounce. A pattern that is an alternation of branches, each holding runs of
 * plain ASCII characters that every match of that branch must contain, cannot match a text
 * that lacks a run of every branch, so ff_lits_any() answers "no" without PCRE2.
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

/* The literals of one pattern: for each top-level branch, a few sets of lower-case words
 * that every match of the branch contains one word of each. The words of all branches
 * and sets lie in one array, in order; `shape` gives, per branch, its number of sets, its
 * number of words, then each set's number of words (so a failed branch is skipped whole). */
typedef struct ff_lits {
    char **v;
    size_t *len;
    unsigned *id; /* each word's number in the set's ff_litindex */
    size_t n;     /* words; 0: no prefilter, the pattern must always run */
    unsigned *shape;
    size_t nshape, nbranch;
    bool *exact;  /* per branch: it is one plain word, and a text holding it matches */
    unsigned num; /* the pattern's number in the ff_litindex */
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
 * NULL. The index keeps its own copy of the words but borrows the arrays of every ff_lits
 * added (shapes, word numbers): it must be freed before them. */
ff_litindex *ff_litindex_new(void);
void ff_litindex_free(ff_litindex *ix);

/* ff_litindex_add() numbers the words of `l` and `l` itself (setting l->id and l->num).
 * The index copies l's words and borrows its arrays. FF_OK or FF_ENOMEM. */
ff_status ff_litindex_add(ff_litindex *ix, ff_lits *l);

/* ff_litindex_count() is the number of distinct words; ff_litindex_size() the size of a
 * `seen` array: a byte per word, then one per pattern added. */
size_t ff_litindex_count(const ff_litindex *ix);
size_t ff_litindex_size(const ff_litindex *ix);

/* ff_litindex_scan() sets seen[id] to 1 for every word `lower` (len bytes, passed through
 * ff_lits_lower()) contains and to 0 for the others, then the verdict on every pattern (see
 * ff_litindex_verdicts()). `seen` (ff_litindex_size() bytes) is the caller's. The
 * cost is one pass over the text plus the branches of the words found: patterns whose words
 * are absent cost nothing, where asking ff_lits_any() of each would read all their words. */
void ff_litindex_scan(const ff_litindex *ix, const char *lower, size_t len,
                      unsigned char *seen);

/* ff_litindex_may() is ff_lits_any() for a pattern of the index, from a scan's `seen`. */
bool ff_litindex_may(const ff_litindex *ix, const ff_lits *l, const unsigned char *seen);

/* ff_litindex_verdicts() points into `seen` at the byte of pattern 0: the byte at l->num
 * is the verdict on an `l` with words, read without a call for each rule: FF_LITS_NO (the
 * pattern cannot match), FF_LITS_MAYBE (PCRE2 decides) or FF_LITS_MATCH (a branch that is
 * one plain word, "mailbox full", is in the text: the pattern matches, PCRE2 need not run;
 * an ASCII run is a match under any of the compile options rules.c uses). */
enum { FF_LITS_NO = 0, FF_LITS_MAYBE = 1, FF_LITS_MATCH = 2 };
const unsigned char *ff_litindex_verdicts(const ff_litindex *ix, const unsigned char *seen);

/* ff_lits_any() says whether the text scanned into `seen` may match: some branch has a
 * word of each of its sets in it, or l has no words (no prefilter: the pattern must run). */
bool ff_lits_any(const ff_lits *l, const unsigned char *seen);

#endif
