/* rules_lit.c - the literals every match of a rule's pattern must contain
 *
 * SYNOPSIS
 *   ff_lits_extract(pattern, &lits);          once, when the rule is loaded
 *   ff_litindex_add(ix, &lits);               once per rule set, numbering every word
 *   ff_lits_lower(text, len, lower);          once per classified text
 *   ff_litindex_scan(ix, lower, len, seen);   once per classified text
 *   ff_litindex_may(ix, &lits, seen);         per rule: false = the pattern cannot match
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
 *   A branch keeps up to MAX_AND of its runs and required groups, all of which a match
 *   holds: "(user|mailbox) (does not|doesn't) exist" needs a word of each of its three
 *   sets, where one set alone let most bounces through (nearly all name a user or a
 *   mailbox). The scan finds the words a text holds, then looks only at the branches
 *   those words open, so a rule whose words are absent costs nothing per text.
 *
 * DIAGNOSTICS
 *   None: a pattern this reader does not follow simply gets no literals.
 */
#include "rules_lit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

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
#define MAX_AND 4     /* sets kept per top-level branch: the rarest few narrow enough */
#define MAX_WORDS 512 /* words kept per pattern, all branches together */
#define SHAPE_MAX (3 * MAX_WORDS) /* a branch takes 2 + its sets, each set a word or more */

typedef struct lset {
    size_t n; /* 0: nothing known */
    size_t len[MAX_SET];
    char s[MAX_SET][MAX_LIT];
} lset;

/* The sets one branch requires together, best first: a match of the branch contains a
 * word of each. */
typedef struct conj {
    size_t n;
    lset s[MAX_AND];
} conj;

/* The sets one extraction takes and gives back as it recurses (a few per group and per
 * branch, over 5 KB each): kept for the next taker instead of a malloc() and a free()
 * every time, which were a third of loading the built-in rules. Freed by pool_free(). */
#define POOL_MAX 32
typedef struct pool {
    lset *sets[POOL_MAX];
    size_t nsets;
    conj *conjs[POOL_MAX];
    size_t nconjs;
} pool;

static lset *lset_take(pool *p)
{
    return p->nsets > 0 ? p->sets[--p->nsets] : malloc(sizeof(lset));
}

static void lset_give(pool *p, lset *s)
{
    if (s != NULL && p->nsets < POOL_MAX)
        p->sets[p->nsets++] = s;
    else
        free(s);
}

static conj *conj_take(pool *p)
{
    return p->nconjs > 0 ? p->conjs[--p->nconjs] : malloc(sizeof(conj));
}

static void conj_give(pool *p, conj *c)
{
    if (c != NULL && p->nconjs < POOL_MAX)
        p->conjs[p->nconjs++] = c;
    else
        free(c);
}

static void pool_free(pool *p)
{
    while (p->nsets > 0)
        free(p->sets[--p->nsets]);
    while (p->nconjs > 0)
        free(p->conjs[--p->nconjs]);
}

/* *dst = *src, copying only the members in use: a whole lset is over 5 KB, and loading
 * the rules copies sets for every character of every pattern. */
static void lset_copy(lset *dst, const lset *src)
{
    dst->n = src->n;
    memcpy(dst->len, src->len, src->n * sizeof src->len[0]);
    for (size_t i = 0; i < src->n; i++)
        memcpy(dst->s[i], src->s[i], src->len[i]);
}

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

/* Add set `a` to the branch's requirements, kept in order best first; the worst drops
 * out when there are more than MAX_AND (dropping a requirement only weakens the filter).
 * A set holding a word shorter than FF_LITS_MIN is no use: such words are everywhere. */
static void require(conj *c, const lset *a)
{
    size_t m = shortest(a);
    if (a->n == 0 || m < FF_LITS_MIN)
        return;
    size_t at = c->n;
    while (at > 0 && better(m, a->n, shortest(&c->s[at - 1]), c->s[at - 1].n))
        at--;
    if (at == MAX_AND)
        return;
    size_t last = c->n < MAX_AND ? c->n : MAX_AND - 1;
    for (size_t k = last; k > at; k--)
        lset_copy(&c->s[k], &c->s[k - 1]);
    lset_copy(&c->s[at], a);
    if (c->n < MAX_AND)
        c->n++;
}

static bool parse_alt(pool *pl, const char *pat, size_t *pos, int depth, lset *out);

/* One branch from pat[*pos]: the sets of required words in it into *req (n = 0 when
 * none). Leaves *pos on the '|', ')' or NUL that ends the branch. Returns false when the
 * pattern cannot be followed. */
static bool parse_seq(pool *pl, const char *pat, size_t *pos, int depth, conj *req)
{
    size_t i = *pos;
    bool ok = true;
    lset *run = lset_take(pl), *grp = lset_take(pl);
    if (run == NULL || grp == NULL) {
        lset_give(pl, run);
        lset_give(pl, grp);
        return false;
    }
    req->n = 0;
    run->n = 1;
    run->len[0] = 0;
#define END_RUN()                                                                          \
    do {                                                                                   \
        require(req, run);                                                                 \
        run->len[0] = 0;                                                                   \
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
            if (!parse_alt(pl, pat, &i, depth + 1, grp) || pat[i] != ')') {
                ok = false;
                break;
            }
            i++;
            char q = pat[i];
            if (q != '?' && q != '*' && q != '{')
                require(req, grp);
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
        if (run->len[0] == MAX_LIT)
            END_RUN();
        run->s[0][run->len[0]++] = lower(lit);
        if (q == '+')
            END_RUN(); /* required once, but what follows need not be adjacent */
    }
    if (ok)
        END_RUN();
#undef END_RUN
    lset_give(pl, run);
    lset_give(pl, grp);
    *pos = i;
    return ok;
}

/* The branches of a group from pat[*pos] up to the ')' that ends them: the union of each
 * branch's best set into *out (n = 0 when a branch has none or the union is too large). */
static bool parse_alt(pool *pl, const char *pat, size_t *pos, int depth, lset *out)
{
    conj *b = conj_take(pl);
    if (b == NULL)
        return false;
    bool known = true;
    out->n = 0;
    for (;;) {
        if (!parse_seq(pl, pat, pos, depth, b)) {
            conj_give(pl, b);
            return false;
        }
        if (b->n == 0 || out->n + b->s[0].n > MAX_SET)
            known = false;
        if (known) {
            memcpy(out->len + out->n, b->s[0].len, b->s[0].n * sizeof b->s[0].len[0]);
            memcpy(out->s + out->n, b->s[0].s, b->s[0].n * sizeof b->s[0].s[0]);
            out->n += b->s[0].n;
        }
        if (pat[*pos] != '|')
            break;
        (*pos)++;
    }
    conj_give(pl, b);
    if (!known)
        out->n = 0;
    return true;
}

void ff_lits_clear(ff_lits *l)
{
    if (l == NULL)
        return;
    free(l->v); /* the one block behind every array and word (see pack) */
    *l = (ff_lits){0};
}

/* ---- branches spelled out: the few texts a small branch can match ----
 *
 * A branch made only of plain characters, escaped punctuation and groups of such
 * alternatives, each character or group at most made optional with '?', matches a finite
 * set of strings: "(mailbox|inbox) (is )?full" is "mailbox full", "mailbox is full",
 * "inbox full" and "inbox is full". When there are few, each is a word whose presence in
 * a text is a match (an ASCII run is matched by PCRE2 under the options rules.c uses), and
 * whose absence, all of them, is a miss. Anything else (a class, '.', '*', '+', bounds,
 * anchors, \b, lookarounds, and even a ']' or '}' PCRE2 would take literally) says no. */
#define MAX_EXPAND 32

static bool ex_seq(pool *pl, const char *pat, size_t *pos, size_t to, int depth, lset *out);

/* a := a followed by one of b; false past MAX_EXPAND strings or MAX_LIT - 1 bytes */
static bool product(lset *a, const lset *b, lset *tmp)
{
    if (a->n * b->n > MAX_EXPAND)
        return false;
    if (b->n == 1) { /* the common case, a character: appended in place */
        for (size_t i = 0; i < a->n; i++) {
            if (a->len[i] + b->len[0] >= MAX_LIT)
                return false;
            memcpy(a->s[i] + a->len[i], b->s[0], b->len[0]);
            a->len[i] += b->len[0];
        }
        return true;
    }
    tmp->n = 0;
    for (size_t i = 0; i < a->n; i++) {
        for (size_t j = 0; j < b->n; j++) {
            size_t n = a->len[i] + b->len[j];
            if (n >= MAX_LIT)
                return false;
            memcpy(tmp->s[tmp->n], a->s[i], a->len[i]);
            memcpy(tmp->s[tmp->n] + a->len[i], b->s[j], b->len[j]);
            tmp->len[tmp->n++] = n;
        }
    }
    lset_copy(a, tmp);
    return true;
}

/* The alternatives of a group from pat[*pos] to its ')' (left on it) into *out. */
static bool ex_alt(pool *pl, const char *pat, size_t *pos, size_t to, int depth, lset *out,
                   lset *tmp)
{
    out->n = 0;
    for (;;) {
        if (!ex_seq(pl, pat, pos, to, depth, tmp) || out->n + tmp->n > MAX_EXPAND)
            return false;
        memcpy(out->len + out->n, tmp->len, tmp->n * sizeof tmp->len[0]);
        memcpy(out->s + out->n, tmp->s, tmp->n * sizeof tmp->s[0]);
        out->n += tmp->n;
        if (*pos >= to || pat[*pos] != '|')
            return true;
        (*pos)++;
    }
}

/* One sequence from pat[*pos] up to a '|' or ')' or `to` into *out. */
static bool ex_seq(pool *pl, const char *pat, size_t *pos, size_t to, int depth, lset *out)
{
    lset *item = lset_take(pl), *tmp = lset_take(pl);
    bool ok = item != NULL && tmp != NULL && depth < MAX_DEPTH;
    size_t i = *pos;
    out->n = 1;
    out->len[0] = 0;
    while (ok && i < to && pat[i] != '|' && pat[i] != ')') {
        unsigned char c = (unsigned char)pat[i];
        if (c == '(') {
            if (pat[i + 1] == '?' && pat[i + 2] != ':') {
                ok = false;
                break;
            }
            i += pat[i + 1] == '?' ? 3 : 1;
            if (!ex_alt(pl, pat, &i, to, depth + 1, item, tmp) || i >= to || pat[i] != ')') {
                ok = false;
                break;
            }
            i++;
        } else if (c == '\\') {
            unsigned char d = (unsigned char)pat[i + 1];
            if (i + 1 >= to || d >= 0x80 || d < ' ' || is_alnum((char)d)) {
                ok = false;
                break;
            }
            item->n = 1;
            item->len[0] = 1;
            item->s[0][0] = (char)d;
            i += 2;
        } else if (c >= 0x80 || c < ' ' || strchr(".^$?*+{}[]", c) != NULL) {
            ok = false;
            break;
        } else {
            item->n = 1;
            item->len[0] = 1;
            item->s[0][0] = lower((char)c);
            i++;
        }
        /* what may follow an item: nothing, or a greedy '?' that makes it optional */
        if (i < to && pat[i] == '?') {
            if (i + 1 < to && (pat[i + 1] == '?' || pat[i + 1] == '+')) {
                ok = false;
                break;
            }
            if (item->n == MAX_EXPAND) {
                ok = false;
                break;
            }
            item->len[item->n++] = 0;
            i++;
        } else if (i < to && (pat[i] == '*' || pat[i] == '+' || pat[i] == '{')) {
            ok = false;
            break;
        }
        ok = product(out, item, tmp);
    }
    lset_give(pl, item);
    lset_give(pl, tmp);
    *pos = i;
    return ok;
}

/* The strings the top-level branch pat[from..to) matches into *out, or false when it is
 * not of the form above, has too many, or one shorter than FF_LITS_MIN. */
static bool spell_out(pool *pl, const char *pat, size_t from, size_t to, lset *out)
{
    size_t i = from;
    if (!ex_seq(pl, pat, &i, to, 0, out) || i != to)
        return false;
    for (size_t k = 0; k < out->n; k++) {
        if (out->len[k] < FF_LITS_MIN)
            return false;
    }
    return true;
}

/* The words a branch's requirements hold. */
static size_t words_of(const conj *c)
{
    size_t w = 0;
    for (size_t k = 0; k < c->n; k++)
        w += c->s[k].n;
    return w;
}

/* The words of one pattern while it is read, at their largest: kept once per extraction
 * and packed into exact room at the end (pack). Allocated at this size for every pattern
 * and kept, they were 16 KB a pattern, 2.4 MB for the built-in rules, all of it touched
 * (a chunk header on every page): a quarter of a short decode's page faults. */
typedef struct scratch {
    size_t n, nshape, nbranch, bytes;
    size_t len[MAX_WORDS];
    unsigned shape[SHAPE_MAX];
    bool exact[MAX_WORDS];
    char words[MAX_WORDS][MAX_LIT];
} scratch;

/* Append the words of one top-level branch's requirements to `sc`; false when they do not
 * fit (MAX_WORDS words, SHAPE_MAX shape entries). */
static bool add_branch(scratch *sc, const conj *c, bool exact)
{
    if (sc->n + words_of(c) > MAX_WORDS || sc->nshape + 2 + c->n > SHAPE_MAX)
        return false;
    sc->exact[sc->nbranch] = exact;
    sc->shape[sc->nshape++] = (unsigned)c->n;
    sc->shape[sc->nshape++] = (unsigned)words_of(c);
    for (size_t k = 0; k < c->n; k++) {
        sc->shape[sc->nshape++] = (unsigned)c->s[k].n;
        for (size_t i = 0; i < c->s[k].n; i++) {
            memcpy(sc->words[sc->n], c->s[k].s[i], c->s[k].len[i]);
            sc->len[sc->n] = c->s[k].len[i];
            sc->bytes += c->s[k].len[i] + 1;
            sc->n++;
        }
    }
    sc->nbranch++;
    return true;
}

/* Round up to the alignment of anything the block holds after it. */
static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* `sc` as an ff_lits in one allocation: the word pointers, lengths, numbers, shape and
 * exact flags, then the words. False on ENOMEM. */
static bool pack(const scratch *sc, ff_lits *out)
{
    size_t n = sc->n;
    size_t o_len = align8(n * sizeof(char *)), o_id = o_len + align8(n * sizeof(size_t));
    size_t o_shape = o_id + align8(n * sizeof(unsigned));
    size_t o_exact = o_shape + align8(sc->nshape * sizeof(unsigned));
    size_t o_words = o_exact + align8(sc->nbranch * sizeof(bool));
    char *block = malloc(o_words + sc->bytes);
    if (block == NULL)
        return false;
    *out = (ff_lits){.v = (char **)(void *)block, .len = (size_t *)(void *)(block + o_len),
                     .id = (unsigned *)(void *)(block + o_id), .n = n,
                     .shape = (unsigned *)(void *)(block + o_shape), .nshape = sc->nshape,
                     .nbranch = sc->nbranch, .exact = (bool *)(block + o_exact)};
    memcpy(out->len, sc->len, n * sizeof *out->len);
    memset(out->id, 0, n * sizeof *out->id);
    memcpy(out->shape, sc->shape, sc->nshape * sizeof *out->shape);
    memcpy(out->exact, sc->exact, sc->nbranch * sizeof *out->exact);
    char *w = block + o_words;
    for (size_t i = 0; i < n; i++) {
        out->v[i] = w;
        memcpy(w, sc->words[i], sc->len[i]);
        w[sc->len[i]] = '\0';
        w += sc->len[i] + 1;
    }
    return true;
}

ff_status ff_lits_extract(const char *pat, ff_lits *out)
{
    *out = (ff_lits){0};
    if (pat == NULL)
        return FF_OK;
    /* the top-level branches one by one: each is spelled out when it can be (one exact
     * branch per string), else keeps all its requirements (a group of alternatives
     * inside keeps only its union, see parse_alt) */
    pool pl = {0};
    conj *b = conj_take(&pl);
    lset *spelt = lset_take(&pl);
    scratch *sc = malloc(sizeof *sc);
    ff_status st = FF_OK;
    if (b == NULL || spelt == NULL || sc == NULL) {
        st = FF_ENOMEM;
        goto done;
    }
    sc->n = sc->nshape = sc->nbranch = sc->bytes = 0;
    size_t pos = 0;
    bool known = true;
    for (;;) {
        size_t from = pos;
        if (!parse_seq(&pl, pat, &pos, 0, b) || b->n == 0) {
            known = false;
            break;
        }
        if (spell_out(&pl, pat, from, pos, spelt)) {
            for (size_t k = 0; known && k < spelt->n; k++) {
                b->n = 1;
                b->s[0].n = 1;
                b->s[0].len[0] = spelt->len[k];
                memcpy(b->s[0].s[0], spelt->s[k], spelt->len[k]);
                known = add_branch(sc, b, true);
            }
        } else {
            known = add_branch(sc, b, false);
        }
        if (!known || pat[pos] != '|')
            break;
        pos++;
    }
    if (known && pat[pos] == '\0' && sc->n > 0 && !pack(sc, out))
        st = FF_ENOMEM;
done:
    conj_give(&pl, b);
    lset_give(&pl, spelt);
    pool_free(&pl);
    free(sc);
    return st;
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

/* ---- the index: words chained by their first four bytes (three for the shortest) ---- */

#define BUCKET_BITS 12 /* 4096 chains a length class: about four times the built-in words */
#define FILTER_BITS 16 /* 65536 bits, 8 KB a length class */

/* A branch that a word opens: the word is in the branch's first set, so a text holding it
 * may match that branch, and only then are the branch's other sets looked at. */
typedef struct posting {
    unsigned next;       /* the word's next posting, plus one; 0 ends the list */
    unsigned pat;        /* the pattern's number (ff_lits.num) */
    const unsigned *sh;  /* the branch's shape and word numbers, borrowed from its ff_lits */
    const unsigned *ids;
    bool exact;          /* the word is the whole branch: the pattern matches */
} posting;

/* A word of the index. Its first four bytes (three for a three-byte word) are kept as one
 * number, so a position of the text is compared with a word in one step and the rest of
 * the word only where its start is there. The scan reads only these 16 bytes and the
 * word's bytes, which sit together in the index's pool: with 32-byte entries pointing into
 * the rules' own allocations, the chain walk missed the cache on nearly every word it
 * compared (half the scan's time, perf annotate). */
typedef struct iword {
    uint32_t key;  /* the first bytes, little end first */
    unsigned next; /* next word in the same chain, plus one; 0 ends the chain */
    uint32_t len;
    uint32_t off;  /* where its bytes are in the pool */
} iword;

/* Words of three bytes and longer words are kept apart, each class with its chains and a
 * filter of one bit per hash of the key: the scan asks a filter of every position of the
 * text, and nearly all positions begin no word. The filter was once the first two bytes,
 * which a third of a bounce's positions pass ("re", "in", "ma" begin many words), and the
 * chain behind the first three bytes held four words on average (user, users, user's);
 * keyed by four bytes, a position passes only where some word really may start. */
typedef struct lclass {
    unsigned head[1u << BUCKET_BITS]; /* first word of each chain, plus one */
    uint64_t filter[(1u << FILTER_BITS) / 64];
    size_t n;                         /* its words */
} lclass;

struct ff_litindex {
    iword *w;
    unsigned *opens; /* each word's first posting, plus one; 0 = none */
    size_t n, cap;
    ff_buf pool;     /* every word's bytes, one after the other */
    posting *post;
    size_t npost, postcap;
    size_t npats;
    lclass c3, c4; /* three-byte words; words of four bytes and more */
};

/* The first three bytes at s as one number, and the first four (s holds at least four). */
static uint32_t key3_at(const char *s)
{
    return (uint32_t)(unsigned char)s[0] | (uint32_t)(unsigned char)s[1] << 8 |
           (uint32_t)(unsigned char)s[2] << 16;
}

static uint32_t key4_at(const char *s)
{
    return key3_at(s) | (uint32_t)(unsigned char)s[3] << 24;
}

/* One multiply gives both the chain (its top bits) and the filter bit. */
static uint32_t mix(uint32_t key)
{
    return key * 0x9E3779B1u;
}

static bool filter_has(const lclass *c, uint32_t h)
{
    unsigned b = h >> (32 - FILTER_BITS);
    return c->filter[b / 64] >> (b % 64) & 1;
}

ff_litindex *ff_litindex_new(void)
{
    return calloc(1, sizeof(ff_litindex));
}

void ff_litindex_free(ff_litindex *ix)
{
    if (ix == NULL)
        return;
    free(ix->w);
    free(ix->opens);
    free(ix->pool.p);
    free(ix->post);
    free(ix);
}

size_t ff_litindex_count(const ff_litindex *ix)
{
    return ix != NULL ? ix->n : 0;
}

size_t ff_litindex_size(const ff_litindex *ix)
{
    return ix != NULL ? ix->n + ix->npats : 0;
}

/* The number of word `w` (wl bytes, at least FF_LITS_MIN), added to the index when new. */
static ff_status number_word(ff_litindex *ix, const char *w, size_t wl, unsigned *out)
{
    lclass *c = wl == 3 ? &ix->c3 : &ix->c4;
    uint32_t key = wl == 3 ? key3_at(w) : key4_at(w), h = mix(key);
    unsigned b = h >> (32 - BUCKET_BITS), id = c->head[b];
    while (id != 0 && !(ix->w[id - 1].len == wl &&
                        memcmp(ix->pool.p + ix->w[id - 1].off, w, wl) == 0))
        id = ix->w[id - 1].next;
    if (id != 0) {
        *out = id - 1;
        return FF_OK;
    }
    if (wl > UINT32_MAX || ix->pool.n + wl > UINT32_MAX)
        return FF_ENOMEM; /* offsets are 32 bits; no rule set comes near */
    if (ix->n == ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 256;
        iword *nw = realloc(ix->w, cap * sizeof *nw);
        if (nw == NULL)
            return FF_ENOMEM;
        ix->w = nw;
        unsigned *no = realloc(ix->opens, cap * sizeof *no);
        if (no == NULL)
            return FF_ENOMEM;
        ix->opens = no;
        ix->cap = cap;
    }
    size_t off = ix->pool.n;
    ff_buf_put(&ix->pool, w, wl);
    if (ix->pool.oom)
        return FF_ENOMEM;
    ix->w[ix->n] = (iword){.key = key, .next = c->head[b], .len = (uint32_t)wl,
                           .off = (uint32_t)off};
    ix->opens[ix->n] = 0;
    c->head[b] = (unsigned)ix->n + 1;
    unsigned fb = h >> (32 - FILTER_BITS);
    c->filter[fb / 64] |= (uint64_t)1 << (fb % 64);
    c->n++;
    *out = (unsigned)ix->n;
    ix->n++;
    return FF_OK;
}

ff_status ff_litindex_add(ff_litindex *ix, ff_lits *l)
{
    for (size_t i = 0; i < l->n; i++) {
        if (number_word(ix, l->v[i], l->len[i], &l->id[i]) != FF_OK)
            return FF_ENOMEM;
    }
    if (l->n == 0)
        return FF_OK;
    l->num = (unsigned)ix->npats++;
    const unsigned *sh = l->shape, *id = l->id;
    for (size_t b = 0; b < l->nbranch; b++) {
        for (unsigned j = 0; j < sh[2]; j++) { /* the words of the first set */
            if (ix->npost == ix->postcap) {
                size_t cap = ix->postcap ? ix->postcap * 2 : 512;
                posting *np = realloc(ix->post, cap * sizeof *np);
                if (np == NULL)
                    return FF_ENOMEM;
                ix->post = np;
                ix->postcap = cap;
            }
            unsigned w = id[j];
            ix->post[ix->npost] = (posting){ix->opens[w], l->num, sh, id, l->exact[b]};
            ix->opens[w] = (unsigned)++ix->npost;
        }
        id += sh[1];
        sh += 2 + sh[0];
    }
    return FF_OK;
}

/* Whether every set of the branch (shape `sh`, word numbers `ids`) has a word seen. */
static bool branch_ok(const unsigned *sh, const unsigned *ids, const unsigned char *seen)
{
    for (unsigned k = 0; k < sh[0]; k++) {
        unsigned nw = sh[2 + k], j = 0;
        while (j < nw && !seen[ids[j]])
            j++;
        if (j == nw)
            return false;
        ids += nw;
    }
    return true;
}

/* Mark the patterns that a branch opened by `word` (seen) lets match. */
static void open_branches(const ff_litindex *ix, unsigned word, unsigned char *seen)
{
    unsigned char *may = seen + ix->n;
    for (unsigned p = ix->opens[word]; p != 0; p = ix->post[p - 1].next) {
        const posting *po = &ix->post[p - 1];
        if (po->exact)
            may[po->pat] = FF_LITS_MATCH;
        else if (may[po->pat] == FF_LITS_NO && branch_ok(po->sh, po->ids, seen))
            may[po->pat] = FF_LITS_MAYBE;
    }
}

#define FOUND_MAX 256 /* words found in one text that are remembered; past it, all are read */

/* The words of chain `id` (plus one) whose key is `key` and that lie whole in t[0..rest):
 * marked seen, and remembered in found[] while there is room. */
static void visit(const ff_litindex *ix, unsigned id, uint32_t key, const char *t, size_t rest,
                  unsigned char *seen, unsigned *found, size_t *nfound)
{
    for (; id != 0; id = ix->w[id - 1].next) {
        const iword *w = &ix->w[id - 1];
        if (w->key != key || seen[id - 1] || w->len > rest)
            continue;
        /* the rest of the word by hand: it nearly always differs within a byte or two,
         * where a call to memcmp() costs more than the compare */
        const char *s = ix->pool.p + w->off;
        size_t k = 4;
        while (k < w->len && t[k] == s[k])
            k++;
        if (k < w->len)
            continue;
        seen[id - 1] = 1;
        if (*nfound < FOUND_MAX)
            found[*nfound] = id - 1;
        (*nfound)++;
    }
}

void ff_litindex_scan(const ff_litindex *ix, const char *lower_text, size_t len,
                      unsigned char *seen)
{
    unsigned found[FOUND_MAX];
    size_t nfound = 0;
    memset(seen, 0, ix->n + ix->npats);
    const bool threes = ix->c3.n > 0;
    for (size_t pos = 0; pos + FF_LITS_MIN <= len; pos++) {
        const char *t = lower_text + pos;
        size_t rest = len - pos;
        if (rest > 3) {
            uint32_t key = key4_at(t), h = mix(key);
            if (filter_has(&ix->c4, h))
                visit(ix, ix->c4.head[h >> (32 - BUCKET_BITS)], key, t, rest, seen, found,
                      &nfound);
        }
        if (threes) {
            uint32_t key = key3_at(t), h = mix(key);
            if (filter_has(&ix->c3, h))
                visit(ix, ix->c3.head[h >> (32 - BUCKET_BITS)], key, t, rest, seen, found,
                      &nfound);
        }
    }
    /* then the branches each word found opens: a pattern may match when one of them has
     * all its sets in the text */
    if (nfound <= FOUND_MAX) {
        for (size_t k = 0; k < nfound; k++)
            open_branches(ix, found[k], seen);
    } else {
        for (unsigned w = 0; w < ix->n; w++) {
            if (seen[w])
                open_branches(ix, w, seen);
        }
    }
}

bool ff_litindex_may(const ff_litindex *ix, const ff_lits *l, const unsigned char *seen)
{
    return l->n == 0 || seen[ix->n + l->num] != 0;
}

const unsigned char *ff_litindex_verdicts(const ff_litindex *ix, const unsigned char *seen)
{
    return seen + ix->n;
}

bool ff_lits_any(const ff_lits *l, const unsigned char *seen)
{
    if (l->n == 0)
        return true;
    const unsigned *sh = l->shape, *id = l->id;
    for (size_t b = 0; b < l->nbranch; b++) {
        if (branch_ok(sh, id, seen))
            return true;
        id += sh[1];
        sh += 2 + sh[0];
    }
    return false;
}
