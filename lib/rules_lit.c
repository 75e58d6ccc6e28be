/* rules_lit.c - the literals every match of a rule's pattern must contain
 *
 * SYNOPSIS
 *   ff_lits_extract(pattern, &lits);          once, when the rule is loaded
 *   ff_lits_lower(text, len, lower);          once per classified text
 *   ff_lits_any(&lits, lower, len);           per rule: false = the pattern cannot match
 *
 * DESCRIPTION
 *   Sits under rules.c's matcher (see rules_lit.h for why). The pattern is read the way
 *   PCRE2 reads it without PCRE2_EXTENDED: top-level '|' splits branches; inside a branch,
 *   consecutive plain characters that no quantifier makes optional form a run that every
 *   match of the branch contains, byte for byte up to ASCII case. Groups, classes, '.',
 *   anchors and the single-letter escapes only end a run (they are skipped, never read
 *   into it), so a group holding a required word loses that word, never invents one.
 *   Non-ASCII characters end a run too: caseless UTF matching folds them in ways a byte
 *   search cannot follow.
 *
 * DIAGNOSTICS
 *   None: a pattern this reader does not follow simply gets no literals.
 */
#include "rules_lit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>


/* The escapes that stand for one character class or an assertion and take no argument:
 * they end a run. Every other letter or digit escape (\x, \p, \Q, \g, \1, ...) has a form
 * this reader does not follow, so the pattern gets no literals. */
static const char simple_escapes[] = "sSdDwWbBhHvVRnrtfae";

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Past a character class starting at pat[i] == '['; returns the index after its ']' or 0
 * when the class is one this reader does not follow. */
static size_t skip_class(const char *pat, size_t i)
{
    i++;
    if (pat[i] == '^')
        i++;
    if (pat[i] == ']') /* a leading ']' is a member */
        i++;
    for (;;) {
        char c = pat[i];
        if (c == '\0')
            return 0;
        if (c == '\\') {
            if (pat[i + 1] == '\0' || pat[i + 1] == 'Q' || pat[i + 1] == 'E')
                return 0;
            i += 2;
        } else if (c == '[' && pat[i + 1] == ':') {
            const char *end = strstr(pat + i + 2, ":]");
            if (end == NULL)
                return 0;
            i = (size_t)(end - pat) + 2;
        } else if (c == ']') {
            return i + 1;
        } else {
            i++;
        }
    }
}

/* "(?" followed by these opens a group whose contents do not change how the rest of the
 * pattern reads; anything else (inline options, recursion, callouts) makes us give up. */
static bool plain_group(const char *pat, size_t i)
{
    if (pat[i + 1] == '*')
        return false;
    if (pat[i + 1] != '?')
        return true;
    char e = pat[i + 2];
    return e != '\0' && strchr(":=!<>|'", e) != NULL;
}

/* Past a group starting at pat[i] == '('; returns the index after its ')' or 0. */
static size_t skip_group(const char *pat, size_t i)
{
    int depth = 0;
    for (;;) {
        char c = pat[i];
        if (c == '\0')
            return 0;
        if (c == '\\') {
            if (pat[i + 1] == '\0' || pat[i + 1] == 'Q' || pat[i + 1] == 'E')
                return 0;
            i += 2;
        } else if (c == '[') {
            if ((i = skip_class(pat, i)) == 0)
                return 0;
        } else if (c == '(') {
            if (!plain_group(pat, i))
                return 0;
            depth++;
            i++;
        } else if (c == ')') {
            i++;
            if (--depth == 0)
                return i;
        } else {
            i++;
        }
    }
}

/* A set of alternatives: a text any match covers contains at least one of them. Members
 * are cut at MAX_LIT bytes (a prefix of a required run is required too). */
#define MAX_LIT 48
#define MAX_SET 96
#define MAX_DEPTH 8

typedef struct lset {
    size_t n; /* 0: nothing known */
    size_t len[MAX_SET];
    char s[MAX_SET][MAX_LIT];
} lset;

static size_t shortest(const lset *a)
{
    size_t m = SIZE_MAX;
    for (size_t i = 0; i < a->n; i++)
        m = a->len[i] < m ? a->len[i] : m;
    return m;
}

/* Whether n words, the shortest m bytes long, narrow better than nb words of mb: longer
 * words are rarer (past 8 bytes nearly all are absent from a given text), fewer words are
 * fewer searches. */
static bool better(size_t m, size_t n, size_t mb, size_t nb)
{
    if (n == 0)
        return false;
    if (nb == 0)
        return true;
    size_t cm = m < 8 ? m : 8, cmb = mb < 8 ? mb : 8;
    if (cm != cmb)
        return cm > cmb;
    if (n != nb)
        return n < nb;
    return m > mb;
}

static bool parse_alt(const char *pat, size_t *pos, int depth, lset *out);

/* One branch from pat[*pos]: the best set of required words in it into *best (n = 0 when
 * none). Leaves *pos on the '|', ')' or NUL that ends the branch. Returns false when the
 * pattern cannot be followed. */
static bool parse_seq(const char *pat, size_t *pos, int depth, lset *best)
{
    char cur[MAX_LIT];
    size_t clen = 0, i = *pos;
    bool ok = true;
    lset *grp = malloc(sizeof *grp);
    if (grp == NULL)
        return false;
    best->n = 0;
#define END_RUN()                                                                          \
    do {                                                                                   \
        if (clen > 0 && better(clen, 1, shortest(best), best->n)) {                         \
            best->n = 1;                                                                   \
            best->len[0] = clen;                                                           \
            memcpy(best->s[0], cur, clen);                                                 \
        }                                                                                  \
        clen = 0;                                                                          \
    } while (0)

    for (;;) {
        char c = pat[i], lit;
        if (c == '\0' || c == '|' || c == ')')
            break;
        if (c == '\\') {
            char d = pat[i + 1];
            if (d == '\0' || (unsigned char)d >= 0x80) {
                ok = false;
                break;
            }
            if (is_alnum(d)) {
                if (strchr(simple_escapes, d) == NULL) {
                    ok = false;
                    break;
                }
                END_RUN();
                i += 2;
                continue;
            }
            lit = d; /* an escaped punctuation character stands for itself */
            i += 2;
        } else if (c == '[') {
            if ((i = skip_class(pat, i)) == 0) {
                ok = false;
                break;
            }
            END_RUN();
            continue;
        } else if (c == '(') {
            END_RUN();
            if (!plain_group(pat, i) || depth >= MAX_DEPTH) {
                ok = false;
                break;
            }
            /* a capturing or (?:...) group can supply the words; lookarounds and the
             * rest are skipped whole */
            bool inner = pat[i + 1] != '?' || pat[i + 2] == ':';
            if (!inner) {
                if ((i = skip_group(pat, i)) == 0) {
                    ok = false;
                    break;
                }
                continue;
            }
            i += pat[i + 1] == '?' ? 3 : 1;
            if (!parse_alt(pat, &i, depth + 1, grp) || pat[i] != ')') {
                ok = false;
                break;
            }
            i++;
            char q = pat[i];
            if (q != '?' && q != '*' && q != '{' &&
                better(shortest(grp), grp->n, shortest(best), best->n))
                *best = *grp;
            continue;
        } else if (c == '{') {
            /* a quantifier after a group or class: skip its bounds, they are no text */
            END_RUN();
            i++;
            while (pat[i] == ',' || pat[i] == ' ' || (pat[i] >= '0' && pat[i] <= '9'))
                i++;
            if (pat[i] == '}')
                i++;
            continue;
        } else if (c == '.' || c == '^' || c == '$' || c == '?' || c == '*' || c == '+' ||
                   (unsigned char)c >= 0x80) {
            END_RUN();
            i++;
            continue;
        } else {
            lit = c;
            i++;
        }
        /* a quantifier after the character decides whether it is required */
        char q = pat[i];
        if (q == '?' || q == '*' || q == '{') {
            END_RUN(); /* optional (or bounds this reader does not weigh): not required */
            continue;
        }
        if (clen == MAX_LIT)
            END_RUN();
        cur[clen++] = lower(lit);
        if (q == '+')
            END_RUN(); /* required once, but what follows need not be adjacent */
    }
    if (ok)
        END_RUN();
#undef END_RUN
    free(grp);
    *pos = i;
    return ok;
}

/* Branches from pat[*pos] up to the ')' or NUL that ends them: the union of each branch's
 * best set into *out (n = 0 when a branch has none or the union is too large). */
static bool parse_alt(const char *pat, size_t *pos, int depth, lset *out)
{
    lset *b = malloc(sizeof *b);
    if (b == NULL)
        return false;
    bool known = true;
    out->n = 0;
    for (;;) {
        if (!parse_seq(pat, pos, depth, b)) {
            free(b);
            return false;
        }
        if (b->n == 0 || out->n + b->n > MAX_SET)
            known = false;
        if (known) {
            memcpy(out->len + out->n, b->len, b->n * sizeof b->len[0]);
            memcpy(out->s + out->n, b->s, b->n * sizeof b->s[0]);
            out->n += b->n;
        }
        if (pat[*pos] != '|')
            break;
        (*pos)++;
    }
    free(b);
    if (!known)
        out->n = 0;
    return true;
}

void ff_lits_clear(ff_lits *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    free(l->len);
    free(l->id);
    l->v = NULL;
    l->len = NULL;
    l->id = NULL;
    l->n = 0;
}

ff_status ff_lits_extract(const char *pat, ff_lits *out)
{
    *out = (ff_lits){0};
    if (pat == NULL)
        return FF_OK;
    lset *set = malloc(sizeof *set);
    if (set == NULL)
        return FF_ENOMEM;
    size_t pos = 0;
    if (!parse_alt(pat, &pos, 0, set) || pat[pos] != '\0')
        set->n = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (set->len[i] < FF_LITS_MIN)
            set->n = 0;
    }
    ff_lits l = {0};
    if (set->n > 0) {
        l.v = calloc(set->n, sizeof *l.v);
        l.len = calloc(set->n, sizeof *l.len);
        l.id = calloc(set->n, sizeof *l.id);
        if (l.v == NULL || l.len == NULL || l.id == NULL)
            goto nomem;
        for (size_t i = 0; i < set->n; i++) {
            if ((l.v[i] = malloc(set->len[i] + 1)) == NULL)
                goto nomem;
            l.n = i + 1;
            memcpy(l.v[i], set->s[i], set->len[i]);
            l.v[i][set->len[i]] = '\0';
            l.len[i] = set->len[i];
        }
    }
    free(set);
    *out = l;
    return FF_OK;
nomem:
    free(set);
    ff_lits_clear(&l);
    return FF_ENOMEM;
}

bool ff_lits_text_ok(const char *text, size_t len)
{
    /* U+212A is E2 84 AA and U+017F is C5 BF in UTF-8; both lead bytes are rare */
    for (const char *p = text; (p = memchr(p, '\xE2', len - (size_t)(p - text))) != NULL;
         p++) {
        if ((size_t)(text + len - p) >= 3 && p[1] == '\x84' && p[2] == '\xAA')
            return false;
    }
    for (const char *p = text; (p = memchr(p, '\xC5', len - (size_t)(p - text))) != NULL;
         p++) {
        if ((size_t)(text + len - p) >= 2 && p[1] == '\xBF')
            return false;
    }
    return true;
}

void ff_lits_lower(const char *text, size_t len, char *dst)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = lower(text[i]);
}

/* ---- the index: words chained by their first three bytes ---- */

#define BUCKETS 4096 /* a power of two; about four times the words of the built-in rules */

struct ff_litindex {
    const char **word; /* borrowed from the rules' ff_lits */
    size_t *len;
    unsigned *next;    /* next word in the same bucket, plus one; 0 ends the chain */
    size_t n, cap;
    unsigned head[BUCKETS]; /* first word of each bucket, plus one */
};

static unsigned bucket(const char *s)
{
    unsigned h = (unsigned char)s[0] * 0x9E37u ^ (unsigned char)s[1] * 0x85EBu ^
                 (unsigned char)s[2] * 0xC2B3u;
    return (h ^ (h >> 12)) & (BUCKETS - 1);
}

ff_litindex *ff_litindex_new(void)
{
    return calloc(1, sizeof(ff_litindex));
}

void ff_litindex_free(ff_litindex *ix)
{
    if (ix == NULL)
        return;
    free(ix->word);
    free(ix->len);
    free(ix->next);
    free(ix);
}

size_t ff_litindex_count(const ff_litindex *ix)
{
    return ix != NULL ? ix->n : 0;
}

ff_status ff_litindex_add(ff_litindex *ix, ff_lits *l)
{
    for (size_t i = 0; i < l->n; i++) {
        unsigned b = bucket(l->v[i]), id = ix->head[b];
        while (id != 0 && !(ix->len[id - 1] == l->len[i] &&
                            memcmp(ix->word[id - 1], l->v[i], l->len[i]) == 0))
            id = ix->next[id - 1];
        if (id != 0) {
            l->id[i] = id - 1;
            continue;
        }
        if (ix->n == ix->cap) {
            size_t cap = ix->cap ? ix->cap * 2 : 256;
            const char **w = realloc(ix->word, cap * sizeof *w);
            if (w == NULL)
                return FF_ENOMEM;
            ix->word = w;
            size_t *ln = realloc(ix->len, cap * sizeof *ln);
            if (ln == NULL)
                return FF_ENOMEM;
            ix->len = ln;
            unsigned *nx = realloc(ix->next, cap * sizeof *nx);
            if (nx == NULL)
                return FF_ENOMEM;
            ix->next = nx;
            ix->cap = cap;
        }
        ix->word[ix->n] = l->v[i];
        ix->len[ix->n] = l->len[i];
        ix->next[ix->n] = ix->head[b];
        ix->head[b] = (unsigned)ix->n + 1;
        l->id[i] = (unsigned)ix->n;
        ix->n++;
    }
    return FF_OK;
}

void ff_litindex_scan(const ff_litindex *ix, const char *lower_text, size_t len,
                      unsigned char *seen)
{
    memset(seen, 0, ix->n);
    for (size_t pos = 0; pos + FF_LITS_MIN <= len; pos++) {
        for (unsigned id = ix->head[bucket(lower_text + pos)]; id != 0; id = ix->next[id - 1]) {
            size_t wl = ix->len[id - 1];
            if (wl <= len - pos && memcmp(lower_text + pos, ix->word[id - 1], wl) == 0)
                seen[id - 1] = 1;
        }
    }
}

bool ff_lits_any(const ff_lits *l, const unsigned char *seen)
{
    if (l->n == 0)
        return true;
    for (size_t i = 0; i < l->n; i++) {
        if (seen[l->id[i]])
            return true;
    }
    return false;
}
