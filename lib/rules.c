/* rules.c - the classification rules: parse the rules format, hold a set, find a match
 *
 * SYNOPSIS
 *   ff_rules_builtin(&set, &err);             the files of lib/rules/, compiled in
 *   ff_rules_load_file(set, path, &err);      the user's own, tried before the built-ins
 *   ff_rules_match(set, &query, &hit);        first matching rule (used by ff_classify)
 *   ff_rules_check(set, &err);                compile every pattern now (tests)
 *
 * DESCRIPTION
 *   The format is documented in include/fivefifty/rules.h. A file is parsed completely into
 *   a private list before anything is added to the set, so a broken file changes nothing.
 *   A set is immutable once loaded but for each built-in pattern's compiled code, added
 *   under a lock before the pattern first runs, and each pattern's JIT code, published
 *   whole once the pattern is hot (code_for); every call takes its own PCRE2 match data,
 *   which is what makes ff_classify() safe on a shared set.
 *
 *   Speed: classify sits on the delivery path (every SMTP reply) and on bounce intake, so a
 *   rule is rejected on the cheap conditions (provider, reply code, enhanced status,
 *   command: integer compares on a query parsed once per call) before its pattern runs.
 *   Built-in patterns are compiled before their first match (most patterns never run in
 *   a process, and compiling all ~120 at load was a fifth of decoding the whole test
 *   corpus once), JIT-compiled once they have run JIT_AFTER times, and a
 *   pattern whose every match must contain certain plain words (rules_lit.c) is not run at
 *   all on a text that lacks them: most rules that reach their pattern fail it, and this
 *   check is one pass over a lower-cased copy of the text, made once per call, that finds
 *   every word of the set at once and from them the patterns that may match.
 *
 * DIAGNOSTICS
 *   Every parse error names the input, the line and the reason ("user.rules:12: unknown
 *   key 'reson'"); a pattern error adds PCRE2's message and the offset in the pattern.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "fivefifty/rules.h"

#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/reply.h"
#include "rules_data.h"
#include "rules_lit.h"

#define MAX_CODES 16
#define MAX_STATUSES 64
#define MAX_PROVIDERS 8
#define MAX_VALUE (64 * 1024)        /* one value, continuation lines included */
#define MAX_FILE (16 * 1024 * 1024)  /* a rules file larger than this is a mistake */
#define MATCH_LIMIT 200000           /* PCRE2 backtracking budget per pattern and text */
#define DEPTH_LIMIT 10000
/* A pattern is JIT-compiled once it has run this many times in the process. JIT code
 * matches ~8x faster than PCRE2's interpreter here (callgrind on the corpus decode: 2.9k
 * against 24k instructions a match), but compiling one of the built-in alternations costs
 * ~270k: about what a dozen interpreted matches lose. Most patterns run a few times in a
 * process or never (the word prefilter answers first: 182 matches in 3,120 bounces), so
 * compiling each before its first match was 7 % of a corpus decode's instructions (33
 * compiles, 8.9M of 123M; 1 % of its CPU time, JIT code being dense); a pattern that keeps
 * running (a daemon, a large mailbox) pays once, and never much more than the cheaper of
 * the two choices would have cost. */
#define JIT_AFTER 16

/* Commands as bits, so a rule's command list is one AND. Bit 0 is "some other command". */
enum {
    CMD_OTHER = 1u << 0,
    CMD_CONN = 1u << 1,
    CMD_EHLO = 1u << 2,
    CMD_STARTTLS = 1u << 3,
    CMD_AUTH = 1u << 4,
    CMD_MAIL = 1u << 5,
    CMD_RCPT = 1u << 6,
    CMD_DATA = 1u << 7,
    CMD_EOD = 1u << 8,
    CMD_NONE = 1u << 9, /* the reply's command is not known: many bounces never say */
};

static const struct {
    const char *name;
    unsigned bit;
} commands[] = {
    {"CONN", CMD_CONN}, {"CONNECT", CMD_CONN}, {"EHLO", CMD_EHLO},   {"HELO", CMD_EHLO},
    {"LHLO", CMD_EHLO}, {"STARTTLS", CMD_STARTTLS}, {"AUTH", CMD_AUTH}, {"MAIL", CMD_MAIL},
    {"RCPT", CMD_RCPT}, {"DATA", CMD_DATA}, {".", CMD_EOD},          {"BDAT", CMD_EOD},
    {"NONE", CMD_NONE},
};

/* An enhanced status pattern: 0 / -1 mean "any". */
typedef struct spat {
    int cls;   /* 2, 4, 5; 0 = any; -1 = "none", no status at all */
    int subj;  /* -1 = any */
    int det;   /* -1 = any */
} spat;

/* A status pattern as the reply's status packed into one number (class << 20 | subject
 * << 10 | detail: each part is below 1024), with a mask of the parts the pattern names:
 * the status matches when (key & mask) == val. One compare per pattern where three parts
 * with their wildcards took several on every rule of every call. "none" gets a val no key
 * can have (bit 31) and sets rule.status_none. */
typedef struct spack {
    uint32_t val, mask;
} spack;

static uint32_t status_key(int cls, int subj, int det)
{
    return (uint32_t)cls << 20 | (uint32_t)subj << 10 | (uint32_t)det;
}

static spack pack(const spat *p)
{
    if (p->cls < 0)
        return (spack){1u << 31, 1u << 31};
    uint32_t mask = (p->cls > 0 ? status_key(0xF, 0, 0) : 0) |
                    (p->subj >= 0 ? status_key(0, 0x3FF, 0) : 0) |
                    (p->det >= 0 ? status_key(0, 0, 0x3FF) : 0);
    return (spack){status_key(p->cls, p->subj < 0 ? 0 : p->subj, p->det < 0 ? 0 : p->det) & mask,
                   mask};
}

/* A rule's gate: one bit for each value of each cheap condition that can let a query
 * through, so that ff_rules_match() rejects most rules with one AND and one compare (a
 * query sets one bit per field, and passes when the rule has all of them) before the
 * exact tests, which still decide. Fields: the command (CMD_* as they are), the reply
 * code's class or none, the status class or none, the status subject (0-7, higher, none),
 * and the provider: none, one not named by any rule, or one of the first G_NPROV names
 * the rules give. A rule with several statuses opens the classes and subjects of each, so
 * the gate may pass a pair no single pattern has; it never stops one that would match. */
enum {
    G_CMD = 0,               /* 10 bits, CMD_OTHER .. CMD_NONE */
    G_CODE = 10,             /* none, 2xx, 3xx, 4xx, 5xx */
    G_SCLASS = 15,           /* none, 2, 4, 5 */
    G_SUBJ = 19,             /* 0 .. 7, higher, none */
    G_PROV = 29,             /* none, other, then the names */
    G_NPROV = 64 - G_PROV - 2,
};

#define G_FIELD(at, n) ((((uint64_t)1 << (n)) - 1) << (at))

static uint64_t gate_code(int code)
{
    return (uint64_t)1 << (G_CODE + (code >= 200 && code <= 599 ? code / 100 - 1 : 0));
}

static uint64_t gate_sclass(int cls) /* 0 = no status */
{
    return (uint64_t)1 << (G_SCLASS + (cls == 2 ? 1 : cls == 4 ? 2 : cls == 5 ? 3 : 0));
}

static uint64_t gate_subj(int subj) /* -1 = no status */
{
    return (uint64_t)1 << (G_SUBJ + (subj < 0 ? 9 : subj < 8 ? subj : 8));
}

/* Field order matters for speed: ff_rules_match() reads the counts, the command mask and
 * the first status patterns of every rule on every call, so they come first and share a
 * cache line; in declaration order they sat ~900 bytes apart (after the status array) and
 * walking the set touched three or four lines per rule. */
typedef struct rule {
    uint64_t gate;    /* the queries that may pass the conditions below (see gate_rules) */
    size_t nproviders, ncodes, nstatuses;
    unsigned cmdmask; /* 0 = any command */
    bool has_text;    /* a text pattern is a condition: re, or pat until its first match */
    pcre2_code *re;
    atomic_bool ready; /* re is compiled (or failed to) */
    _Atomic(pcre2_code *) jit; /* re's JIT-compiled copy once it is hot, else NULL */
    atomic_uint runs;          /* matches run on re, counted up to JIT_AFTER */
    bool status_none;  /* one of the statuses is "none" */
    spack statuses[MAX_STATUSES];
    int codes[MAX_CODES]; /* 550 exact, or 4 / 5 / 2 for "4xx" */
    ff_lits lits;     /* words every match of re contains; none = always run re */
    char *providers[MAX_PROVIDERS];
    char *id;
    ff_reason reason;
    bool has_class, has_side, has_action;
    ff_class klass;
    ff_side side;
    ff_action action;
    char *fix;
    char *pat;        /* a built-in pattern not compiled yet (see prepare_once), or NULL */
    const char *src;  /* the built-in file's name (static), for ff_rules_check() */
    int line;         /* where the rule starts, for messages */
    int text_line;    /* where its text is, for messages */
} rule;

/* What ff_rules_match() asks of every rule on every call, for all rules in one array: a
 * classify call comes between pieces of other work (a bounce decoded, a reply read) that
 * have pushed the rules out of the cache, and reading each rule's own struct (one line per
 * rule, allocated apart) made the walk a few hundred cache misses long; 16 bytes a rule
 * are a tenth of those lines. Only a rule that passes both tests here is read whole. */
typedef struct rule_head {
    uint64_t gate; /* the rule's gate */
    unsigned lit;  /* the rule's pattern number in the word index (lits.num), or NO_LIT */
} rule_head;

#define NO_LIT 0xFFFFFFFFu /* no text, or a text without words: the prefilter cannot say */

struct ff_rules {
    rule **v;    /* in match order */
    rule_head *heads; /* v[i]'s in heads[i]; NULL (no memory) = read them from the rules */
    const char *provs[G_NPROV]; /* provider names of the gates, borrowed from the rules */
    size_t nprovs;
    size_t n, cap;
    pcre2_match_context *mctx; /* read-only after creation: shared by all threads */
    ff_litindex *ix;           /* the words of every rule's lits; NULL = no prefilter */
};

/* ---- small helpers ---- */

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void rule_free(rule *r)
{
    if (r == NULL)
        return;
    free(r->id);
    for (size_t i = 0; i < r->nproviders; i++)
        free(r->providers[i]);
    pcre2_code_free(r->re);
    pcre2_code_free(atomic_load_explicit(&r->jit, memory_order_relaxed));
    ff_lits_clear(&r->lits);
    free(r->fix);
    free(r->pat);
    free(r);
}

/* Parse one number of 1-3 digits from s[*i]; -1 when there is none. */
static int num3(const char *s, size_t len, size_t *i)
{
    int v = 0, nd = 0;
    while (*i < len && isdigit((unsigned char)s[*i]) && nd < 4) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        nd++;
    }
    return (nd == 0 || nd > 3) ? -1 : v;
}

/* "5.7.26" -> 5, 7, 26. Accepts exactly one code, nothing around it. */
static bool parse_status(const char *s, size_t len, int *c, int *sj, int *d)
{
    size_t i = 0;
    if (len < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
        return false;
    *c = s[0] - '0';
    i = 2;
    if ((*sj = num3(s, len, &i)) < 0 || i >= len || s[i] != '.')
        return false;
    i++;
    if ((*d = num3(s, len, &i)) < 0 || i != len)
        return false;
    return true;
}

/* Pattern form: class 2, 4, 5, x, X or a star, then subject and detail as digits or a
 * star. */
static bool parse_spat(const char *s, size_t len, spat *p)
{
    size_t i = 0;
    if (len < 5)
        return false;
    if (s[0] == 'x' || s[0] == 'X' || s[0] == '*')
        p->cls = 0;
    else if (s[0] == '2' || s[0] == '4' || s[0] == '5')
        p->cls = s[0] - '0';
    else
        return false;
    if (s[1] != '.')
        return false;
    i = 2;
    if (i < len && s[i] == '*') {
        p->subj = -1;
        i++;
    } else if ((p->subj = num3(s, len, &i)) < 0) {
        return false;
    }
    if (i >= len || s[i] != '.')
        return false;
    i++;
    if (i < len && s[i] == '*') {
        p->det = -1;
        i++;
    } else if ((p->det = num3(s, len, &i)) < 0) {
        return false;
    }
    return i == len;
}

static unsigned command_bit(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strlen(commands[i].name) == len && strncasecmp(commands[i].name, s, len) == 0)
            return commands[i].bit;
    }
    return 0;
}

/* Walk a list value: items separated by spaces, tabs or commas. */
static bool next_item(const char *v, size_t *pos, const char **item, size_t *ilen)
{
    size_t i = *pos;
    while (v[i] == ' ' || v[i] == '\t' || v[i] == ',')
        i++;
    if (v[i] == '\0') {
        *pos = i;
        return false;
    }
    size_t start = i;
    while (v[i] != '\0' && v[i] != ' ' && v[i] != '\t' && v[i] != ',')
        i++;
    *item = v + start;
    *ilen = i - start;
    *pos = i;
    return true;
}

/* ---- the parser ---- */

typedef struct parser {
    const char *name;
    bool lazy; /* built-in rules: patterns are compiled before their first match */
    int line;
    ff_error *err;
    rule **v; /* rules of this input, in file order */
    size_t n, cap;
    rule *cur;
    unsigned seen; /* keys already given in cur, as bits of the keys[] index */
    /* the value being assembled (a key line plus its continuation lines) */
    int key;       /* index in keys[], -1 when none pending */
    int key_line;
    char *val;
    size_t vlen, vcap;
} parser;

static const char *const keys[] = {"provider", "code", "status", "text", "command",
                                   "reason",   "class", "side",  "action", "fix"};
enum { K_PROVIDER, K_CODE, K_STATUS, K_TEXT, K_COMMAND, K_REASON, K_CLASS, K_SIDE,
       K_ACTION, K_FIX, K__COUNT };

static ff_status perr(parser *p, int line, const char *fmt, const char *arg)
{
    char why[160];
    snprintf(why, sizeof why, fmt, arg != NULL ? arg : "");
    return ff_error_set(p->err, FF_EPARSE, "%s:%d: %s", p->name, line, why);
}

static ff_status val_append(parser *p, const char *s, size_t n)
{
    if (p->vlen + n > MAX_VALUE)
        return perr(p, p->line, "value longer than %s bytes", "65536");
    if (p->vlen + n + 1 > p->vcap) {
        size_t cap = p->vcap ? p->vcap : 256;
        while (cap < p->vlen + n + 1)
            cap *= 2;
        char *nv = realloc(p->val, cap);
        if (nv == NULL)
            return FF_ENOMEM;
        p->val = nv;
        p->vcap = cap;
    }
    memcpy(p->val + p->vlen, s, n);
    p->vlen += n;
    p->val[p->vlen] = '\0';
    return FF_OK;
}

/* Compiles a rule's pattern; on error says where (name:line) and why. */
static ff_status compile_pat(rule *r, const char *pat, const char *name, int line,
                             ff_error *err)
{
    int ec = 0;
    PCRE2_SIZE off = 0;
    uint32_t opts = PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    r->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts, &ec, &off, NULL);
    if (r->re == NULL) {
        char msg[120] = "";
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof msg);
        return ff_error_set(err, FF_EPARSE, "%s:%d: text: %s at offset %zu", name, line,
                            msg, (size_t)off);
    }
    return FF_OK;
}

/* A user's pattern is compiled now, so that a mistake is reported at load. A built-in
 * one waits for its first match: compiling all ~120 was most of a one-message decode's
 * own work, and most never run in a process (the unit tests compile every one, see
 * ff_rules_check()). */
static ff_status compile_text(parser *p, rule *r, const char *pat)
{
    r->has_text = true;
    r->text_line = p->key_line;
    if (p->lazy) {
        r->src = p->name;
        if ((r->pat = dupn(pat, strlen(pat))) == NULL)
            return FF_ENOMEM;
    } else {
        ff_status st = compile_pat(r, pat, p->name, p->key_line, p->err);
        if (st != FF_OK)
            return st;
    }
    /* JIT compilation waits for the pattern's first match (prepare_once) */
    if (ff_lits_extract(pat, &r->lits) != FF_OK)
        return ff_error_set(p->err, FF_ENOMEM, "%s:%d: out of memory", p->name, p->key_line);
    return FF_OK;
}

/* Apply the pending key = value to the current rule. */
static ff_status flush_value(parser *p)
{
    if (p->key < 0)
        return FF_OK;
    int k = p->key, line = p->key_line;
    p->key = -1;
    rule *r = p->cur;
    const char *v = p->val != NULL ? p->val : "";
    const char *item;
    size_t pos = 0, ilen;

    /* trailing white space of the last piece */
    while (p->vlen > 0 && (v[p->vlen - 1] == ' ' || v[p->vlen - 1] == '\t'))
        p->val[--p->vlen] = '\0';
    if (v[0] == '\0')
        return perr(p, line, "%s: empty value", keys[k]);

    switch (k) {
    case K_PROVIDER:
        while (next_item(v, &pos, &item, &ilen)) {
            if (r->nproviders == MAX_PROVIDERS)
                return perr(p, line, "provider: more than %s names", "8");
            if (ilen >= FF_PROVIDER_MAX)
                return perr(p, line, "provider: name too long", NULL);
            char *s = dupn(item, ilen);
            if (s == NULL)
                return FF_ENOMEM;
            for (char *c = s; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            r->providers[r->nproviders++] = s;
        }
        return FF_OK;
    case K_CODE:
        while (next_item(v, &pos, &item, &ilen)) {
            int c = -1;
            if (r->ncodes == MAX_CODES)
                return perr(p, line, "code: more than %s codes", "16");
            if (ilen == 3 && (item[0] == '2' || item[0] == '4' || item[0] == '5')) {
                if ((item[1] == 'x' || item[1] == 'X') && (item[2] == 'x' || item[2] == 'X'))
                    c = item[0] - '0';
                else if (isdigit((unsigned char)item[1]) && isdigit((unsigned char)item[2]))
                    c = (item[0] - '0') * 100 + (item[1] - '0') * 10 + (item[2] - '0');
            }
            if (c < 0) {
                char bad[32];
                snprintf(bad, sizeof bad, "%.*s", (int)(ilen > 20 ? 20 : ilen), item);
                return perr(p, line, "code: '%s' is not a reply code (550) or class (5xx)",
                            bad);
            }
            r->codes[r->ncodes++] = c;
        }
        return FF_OK;
    case K_STATUS:
        while (next_item(v, &pos, &item, &ilen)) {
            if (r->nstatuses == MAX_STATUSES)
                return perr(p, line, "status: more than %s codes", "16");
            spat sp;
            if (ilen == 4 && strncasecmp(item, "none", 4) == 0) {
                sp = (spat){-1, -1, -1};
                r->status_none = true;
            } else if (!parse_spat(item, ilen, &sp)) {
                char bad[32];
                snprintf(bad, sizeof bad, "%.*s", (int)(ilen > 20 ? 20 : ilen), item);
                return perr(p, line, "status: '%s' is not like 5.7.26, x.7.26 or 5.7.*", bad);
            }
            r->statuses[r->nstatuses++] = pack(&sp);
        }
        return FF_OK;
    case K_TEXT:
        return compile_text(p, r, v);
    case K_COMMAND:
        while (next_item(v, &pos, &item, &ilen)) {
            unsigned b = command_bit(item, ilen);
            if (b == 0) {
                char bad[32];
                snprintf(bad, sizeof bad, "%.*s", (int)(ilen > 20 ? 20 : ilen), item);
                return perr(p, line, "command: unknown SMTP command '%s'", bad);
            }
            r->cmdmask |= b;
        }
        return FF_OK;
    case K_REASON:
        if (ff_reason_from_name(v, &r->reason) != FF_OK)
            return perr(p, line, "reason: unknown reason '%.40s'", v);
        return FF_OK;
    case K_CLASS:
        if (strcasecmp(v, "auto") == 0)
            return FF_OK;
        if (ff_class_from_name(v, &r->klass) != FF_OK)
            return perr(p, line, "class: '%.40s' is not hard, soft, none or auto", v);
        r->has_class = true;
        return FF_OK;
    case K_SIDE:
        if (ff_side_from_name(v, &r->side) != FF_OK)
            return perr(p, line, "side: unknown side '%.40s'", v);
        r->has_side = true;
        return FF_OK;
    case K_ACTION:
        if (ff_action_from_name(v, &r->action) != FF_OK)
            return perr(p, line, "action: unknown action '%.40s'", v);
        r->has_action = true;
        return FF_OK;
    case K_FIX:
        if ((r->fix = dupn(v, p->vlen)) == NULL)
            return FF_ENOMEM;
        return FF_OK;
    }
    return FF_OK;
}

/* Close the current rule: check it is complete and keep it. */
static ff_status end_rule(parser *p)
{
    ff_status st = flush_value(p);
    if (st != FF_OK)
        return st;
    rule *r = p->cur;
    if (r == NULL)
        return FF_OK;
    if (!(p->seen & (1u << K_REASON)))
        return perr(p, r->line, "[%s] has no reason", r->id);
    if (r->nproviders == 0 && r->ncodes == 0 && r->nstatuses == 0 && !r->has_text &&
        r->cmdmask == 0)
        return perr(p, r->line, "[%s] has no condition (provider, code, status, text or "
                    "command)", r->id);
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        rule **nv = realloc(p->v, cap * sizeof *nv);
        if (nv == NULL)
            return FF_ENOMEM;
        p->v = nv;
        p->cap = cap;
    }
    p->v[p->n++] = r;
    p->cur = NULL;
    return FF_OK;
}

static bool id_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' || c == ':' ||
           c == '/';
}

static ff_status parse_line(parser *p, const char *s, size_t len)
{
    ff_status st;
    /* continuation: leading white space after a key line */
    if (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
        size_t i = 0;
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == len)
            return FF_OK; /* a blank line */
        if (s[i] == '#' && p->key < 0)
            return FF_OK; /* an indented comment between rules */
        if (p->key < 0)
            return perr(p, p->line, "continuation line without a key above it", NULL);
        if (p->key != K_TEXT && (st = val_append(p, " ", 1)) != FF_OK)
            return st;
        return val_append(p, s + i, len - i);
    }
    if ((st = flush_value(p)) != FF_OK)
        return st;
    if (len == 0 || s[0] == '#' || s[0] == ';')
        return FF_OK;

    if (s[0] == '[') {
        if ((st = end_rule(p)) != FF_OK)
            return st;
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return perr(p, p->line, "section header without ']'", NULL);
        for (const char *t = close + 1; t < s + len; t++) {
            if (*t != ' ' && *t != '\t')
                return perr(p, p->line, "text after ']'", NULL);
        }
        size_t n = (size_t)(close - s - 1);
        if (n == 0)
            return perr(p, p->line, "empty rule id", NULL);
        if (n >= FF_RULE_ID_MAX)
            return perr(p, p->line, "rule id longer than %s bytes", "63");
        for (size_t i = 0; i < n; i++) {
            if (!id_char(s[1 + i]))
                return perr(p, p->line, "rule id may hold letters, digits and . - _ : / only",
                            NULL);
        }
        for (size_t i = 0; i < p->n; i++) {
            if (strlen(p->v[i]->id) == n && memcmp(p->v[i]->id, s + 1, n) == 0) {
                char msg[128];
                snprintf(msg, sizeof msg, "duplicate rule id [%.*s] (first at line %d)",
                         (int)n, s + 1, p->v[i]->line);
                return perr(p, p->line, "%s", msg);
            }
        }
        rule *r = calloc(1, sizeof *r);
        if (r == NULL)
            return FF_ENOMEM;
        atomic_init(&r->ready, false);
        atomic_init(&r->jit, NULL);
        atomic_init(&r->runs, 0);
        if ((r->id = dupn(s + 1, n)) == NULL) {
            free(r);
            return FF_ENOMEM;
        }
        r->line = p->line;
        p->cur = r;
        p->seen = 0;
        return FF_OK;
    }

    const char *eq = memchr(s, '=', len);
    if (eq == NULL)
        return perr(p, p->line, "expected '[id]' or 'key = value'", NULL);
    const char *k = s, *ke = eq;
    while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
        ke--;
    int key = -1;
    for (int i = 0; i < K__COUNT; i++) {
        if (strlen(keys[i]) == (size_t)(ke - k) && strncasecmp(keys[i], k, (size_t)(ke - k)) == 0)
            key = i;
    }
    if (key < 0) {
        char bad[40];
        snprintf(bad, sizeof bad, "%.*s", (int)((ke - k) > 30 ? 30 : (ke - k)), k);
        return perr(p, p->line, "unknown key '%s'", bad);
    }
    if (p->cur == NULL)
        return perr(p, p->line, "key '%s' outside a [rule] section", keys[key]);
    if (p->seen & (1u << key))
        return perr(p, p->line, "key '%s' given twice in this rule", keys[key]);
    p->seen |= 1u << key;
    const char *v = eq + 1, *end = s + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    p->key = key;
    p->key_line = p->line;
    p->vlen = 0;
    if (p->val != NULL)
        p->val[0] = '\0';
    return val_append(p, v, (size_t)(end - v));
}

static void parser_free(parser *p)
{
    for (size_t i = 0; i < p->n; i++)
        rule_free(p->v[i]);
    free(p->v);
    rule_free(p->cur);
    free(p->val);
}

/* Number the words of every rule again (rules were added). The prefilter only saves time:
 * without memory for it the set has none and every pattern runs. */
static void index_words(ff_rules *set)
{
    ff_litindex_free(set->ix);
    set->ix = ff_litindex_new();
    for (size_t i = 0; i < set->n && set->ix != NULL; i++) {
        if (set->v[i]->lits.n > 0 && ff_litindex_add(set->ix, &set->v[i]->lits) != FF_OK) {
            ff_litindex_free(set->ix);
            set->ix = NULL;
        }
    }
}

/* The gate bit of provider name `p` in `set`, added to the names when new and there is
 * room; a name past G_NPROV shares the "other" bit (the exact test then decides). */
static uint64_t gate_prov(ff_rules *set, const char *p, bool add)
{
    if (p == NULL || p[0] == '\0')
        return (uint64_t)1 << G_PROV;
    for (size_t i = 0; i < set->nprovs; i++) {
        if (strcmp(set->provs[i], p) == 0)
            return (uint64_t)1 << (G_PROV + 2 + i);
    }
    if (add && set->nprovs < G_NPROV) {
        set->provs[set->nprovs] = p;
        return (uint64_t)1 << (G_PROV + 2 + set->nprovs++);
    }
    return (uint64_t)1 << (G_PROV + 1);
}

static rule_head head_of(const rule *r)
{
    return (rule_head){r->gate, r->has_text && r->lits.n > 0 ? r->lits.num : NO_LIT};
}

/* Every rule's gate, again (rules were added, and with them provider names). */
static void gate_rules(ff_rules *set)
{
    set->nprovs = 0;
    for (size_t i = 0; i < set->n; i++) {
        rule *r = set->v[i];
        uint64_t g = r->cmdmask != 0 ? (uint64_t)r->cmdmask << G_CMD : G_FIELD(G_CMD, 10);
        if (r->ncodes == 0)
            g |= G_FIELD(G_CODE, 5);
        for (size_t k = 0; k < r->ncodes; k++) /* 550, or 5 for "5xx" */
            g |= gate_code(r->codes[k] < 10 ? r->codes[k] * 100 : r->codes[k]);
        if (r->nstatuses == 0)
            g |= G_FIELD(G_SCLASS, 4) | G_FIELD(G_SUBJ, 10);
        for (size_t k = 0; k < r->nstatuses; k++) {
            spack sp = r->statuses[k];
            if (sp.val >> 31) { /* "none" */
                g |= gate_sclass(0) | gate_subj(-1);
                continue;
            }
            int cls = (int)(sp.val >> 20 & 0xF), subj = (int)(sp.val >> 10 & 0x3FF);
            g |= cls != 0 ? gate_sclass(cls) : gate_sclass(2) | gate_sclass(4) | gate_sclass(5);
            if (sp.mask & status_key(0, 0x3FF, 0))
                g |= gate_subj(subj);
            else
                g |= G_FIELD(G_SUBJ, 9); /* any subject, but there must be a status */
        }
        if (r->nproviders == 0)
            g |= G_FIELD(G_PROV, 64 - G_PROV);
        for (size_t k = 0; k < r->nproviders; k++)
            g |= gate_prov(set, r->providers[k], true);
        r->gate = g;
    }
    free(set->heads);
    set->heads = set->n > 0 ? malloc(set->n * sizeof *set->heads) : NULL;
    for (size_t i = 0; i < set->n && set->heads != NULL; i++)
        set->heads[i] = head_of(set->v[i]);
}

/* Parse `data` and insert its rules at the front (user files) or the back (built-ins, in
 * file order) of the set. */
static ff_status load(ff_rules *set, const char *name, const char *data, size_t len,
                      bool front, bool lazy, ff_error *err)
{
    if (set == NULL || (data == NULL && len > 0))
        return ff_error_set(err, FF_EINVAL, "no rule set or no data");
    if (name == NULL)
        name = "(rules)";
    if (len > MAX_FILE)
        return ff_error_set(err, FF_ETOOBIG, "%s: larger than 16 MiB", name);
    if (memchr(data, '\0', len) != NULL)
        return ff_error_set(err, FF_EPARSE, "%s: holds a NUL byte: not a text file", name);

    parser p = {.name = name, .lazy = lazy, .err = err, .key = -1};
    ff_status st = FF_OK;
    size_t pos = 0;
    /* a UTF-8 byte order mark is harmless: skip it */
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len && st == FF_OK) {
        const char *s = data + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n > 0 && s[n - 1] == '\r')
            n--;
        p.line++;
        st = parse_line(&p, s, n);
    }
    if (st == FF_OK)
        st = end_rule(&p);
    if (st == FF_OK && set->n + p.n > set->cap) {
        size_t cap = set->cap ? set->cap : 64;
        while (cap < set->n + p.n)
            cap *= 2;
        rule **nv = realloc(set->v, cap * sizeof *nv);
        if (nv == NULL)
            st = FF_ENOMEM;
        else {
            set->v = nv;
            set->cap = cap;
        }
    }
    if (st != FF_OK) {
        if (st == FF_ENOMEM)
            ff_error_set(err, FF_ENOMEM, "%s: out of memory", name);
        parser_free(&p);
        return st;
    }
    if (p.n > 0) {
        if (front) {
            memmove(set->v + p.n, set->v, set->n * sizeof *set->v);
            memcpy(set->v, p.v, p.n * sizeof *p.v);
        } else {
            memcpy(set->v + set->n, p.v, p.n * sizeof *p.v);
        }
        set->n += p.n;
    }
    p.n = 0;
    parser_free(&p);
    if (!lazy) { /* the built-in files are indexed once, after the last (ff_rules_builtin) */
        index_words(set);
        gate_rules(set);
    }
    return FF_OK;
}

static ff_rules *set_new(void)
{
    ff_rules *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->mctx = pcre2_match_context_create(NULL);
    if (s->mctx == NULL) {
        free(s);
        return NULL;
    }
    pcre2_set_match_limit(s->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(s->mctx, DEPTH_LIMIT);
    return s;
}

/* ---- public API ---- */

ff_status ff_rules_builtin(ff_rules **out, ff_error *err)
{
    if (out == NULL)
        return ff_error_set(err, FF_EINVAL, "no place for the rule set");
    *out = NULL;
    ff_rules *s = set_new();
    if (s == NULL)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    for (size_t i = 0; i < ff_rules_nfiles; i++) {
        ff_status st = load(s, ff_rules_files[i].name, ff_rules_files[i].text,
                            ff_rules_files[i].len, false, true, err);
        if (st != FF_OK) {
            ff_rules_free(s);
            return st;
        }
    }
    index_words(s);
    gate_rules(s);
    *out = s;
    return FF_OK;
}

ff_status ff_rules_load_buffer(ff_rules *rules, const char *name, const char *data,
                               size_t len, ff_error *err)
{
    return load(rules, name, data, len, true, false, err);
}

ff_status ff_rules_load_file(ff_rules *rules, const char *path, ff_error *err)
{
    if (rules == NULL || path == NULL)
        return ff_error_set(err, FF_EINVAL, "no rule set or no path");
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ff_error_set(err, FF_EIO, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    ff_status st = FF_OK;
    for (;;) {
        if (len + 65536 > cap) {
            if (cap > MAX_FILE) {
                st = ff_error_set(err, FF_ETOOBIG, "%s: larger than 16 MiB", path);
                break;
            }
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                st = ff_error_set(err, FF_ENOMEM, "%s: out of memory", path);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                st = ff_error_set(err, FF_EIO, "%s: read error", path);
            break;
        }
    }
    fclose(f);
    if (st == FF_OK)
        st = load(rules, path, buf != NULL ? buf : "", len, true, false, err);
    free(buf);
    return st;
}

size_t ff_rules_count(const ff_rules *rules)
{
    return rules != NULL ? rules->n : 0;
}

const char *ff_rules_id(const ff_rules *rules, size_t i)
{
    if (rules == NULL || i >= rules->n)
        return NULL;
    return rules->v[i]->id;
}

void ff_rules_free(ff_rules *rules)
{
    if (rules == NULL)
        return;
    for (size_t i = 0; i < rules->n; i++)
        rule_free(rules->v[i]);
    free(rules->v);
    free(rules->heads);
    ff_litindex_free(rules->ix);
    pcre2_match_context_free(rules->mctx);
    free(rules);
}

/* ---- matching ---- */

/* `key` is the reply's status_key(), `have` false when it carried none. */
static bool status_ok(const rule *r, bool have, uint32_t key)
{
    if (r->nstatuses == 0)
        return true;
    if (!have)
        return r->status_none;
    for (size_t i = 0; i < r->nstatuses; i++) {
        if ((key & r->statuses[i].mask) == r->statuses[i].val)
            return true;
    }
    return false;
}

static bool code_ok(const rule *r, int code)
{
    if (r->ncodes == 0)
        return true;
    if (code < 200 || code > 599)
        return false;
    for (size_t i = 0; i < r->ncodes; i++) {
        int c = r->codes[i];
        if (c == code || (c < 10 && c == code / 100))
            return true;
    }
    return false;
}

static bool provider_ok(const rule *r, const char *prov)
{
    if (r->nproviders == 0)
        return true;
    if (prov == NULL || prov[0] == '\0')
        return false;
    for (size_t i = 0; i < r->nproviders; i++) {
        if (strcmp(r->providers[i], prov) == 0)
            return true;
    }
    return false;
}

/* Compile r's pattern (a built-in's) before it first runs. Every thread that finds the
 * flag unset waits on the lock until the compile is done. Returns false when the pattern
 * does not compile (the rule then never matches; ff_rules_check() reports it). */
static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

static ff_status prepare_locked(rule *r, ff_error *err)
{
    ff_status st = FF_OK;
    if (!atomic_load_explicit(&r->ready, memory_order_relaxed)) {
        if (r->re == NULL && r->pat != NULL)
            st = compile_pat(r, r->pat, r->src, r->text_line, err);
        free(r->pat);
        r->pat = NULL;
        atomic_store_explicit(&r->ready, true, memory_order_release);
    }
    return st;
}

static bool prepare_once(rule *r)
{
    if (!atomic_load_explicit(&r->ready, memory_order_acquire)) {
        pthread_mutex_lock(&compile_lock);
        (void)prepare_locked(r, NULL);
        pthread_mutex_unlock(&compile_lock);
    }
    return r->re != NULL;
}

/* The code to run r's pattern with: its JIT copy once it has run JIT_AFTER times, else the
 * compiled pattern itself, which pcre2_match() interprets. PCRE2 forbids JIT-compiling a
 * pattern while another thread matches with it, so the JIT code goes into a copy that is
 * published whole; the one thread whose run reaches the count compiles it, the others go
 * on interpreting meanwhile. JIT is an optimisation: where it is missing (no JIT in this
 * PCRE2, W^X memory refused) the interpreter gives the same answers. */
static const pcre2_code *code_for(rule *r)
{
    pcre2_code *jit = atomic_load_explicit(&r->jit, memory_order_acquire);
    if (jit != NULL)
        return jit;
    if (atomic_load_explicit(&r->runs, memory_order_relaxed) >= JIT_AFTER ||
        atomic_fetch_add_explicit(&r->runs, 1, memory_order_relaxed) + 1 != JIT_AFTER)
        return r->re;
    pcre2_code *copy = pcre2_code_copy(r->re);
    if (copy != NULL && pcre2_jit_compile(copy, PCRE2_JIT_COMPLETE) == 0) {
        atomic_store_explicit(&r->jit, copy, memory_order_release);
        return copy;
    }
    pcre2_code_free(copy);
    return r->re;
}

ff_status ff_rules_check(ff_rules *rules, ff_error *err)
{
    if (rules == NULL)
        return ff_error_set(err, FF_EINVAL, "no rule set");
    ff_status st = FF_OK;
    pthread_mutex_lock(&compile_lock);
    for (size_t i = 0; i < rules->n && st == FF_OK; i++) {
        rule *r = rules->v[i];
        if (!r->has_text)
            continue;
        if (atomic_load_explicit(&r->ready, memory_order_relaxed) && r->re == NULL)
            st = ff_error_set(err, FF_EPARSE, "%s:%d: text: does not compile",
                              r->src != NULL ? r->src : "(rules)", r->text_line);
        else
            st = prepare_locked(r, err);
    }
    pthread_mutex_unlock(&compile_lock);
    return st;
}

ff_status ff_rules_match(const ff_rules *rules, const ff_rules_query *q, ff_rules_hit *hit)
{
    if (rules == NULL || q == NULL || hit == NULL)
        return FF_EINVAL;
    memset(hit, 0, sizeof *hit);

    int sc = 0, ss = 0, sd = 0;
    bool have_status = q->status != NULL && parse_status(q->status, strlen(q->status),
                                                         &sc, &ss, &sd);
    uint32_t skey = have_status ? status_key(sc, ss, sd) : 0;
    unsigned cmd = CMD_NONE;
    if (q->command != NULL && q->command[0] != '\0') {
        cmd = command_bit(q->command, strlen(q->command));
        if (cmd == 0)
            cmd = CMD_OTHER;
    }
    uint64_t qgate = (uint64_t)cmd << G_CMD | gate_code(q->code) |
                     gate_sclass(have_status ? sc : 0) | gate_subj(have_status ? ss : -1) |
                     gate_prov((ff_rules *)rules, q->provider, false);
    const char *text = q->text != NULL ? q->text : "";
    size_t tlen = q->text != NULL ? q->text_len : 0;
    if (tlen > FF_REPLY_MAX)
        tlen = FF_REPLY_MAX;

    /* One match data per call: PCRE2 match data must not be shared between threads, and
     * one small allocation per call costs far less than the patterns themselves. */
    pcre2_match_data *md = NULL;
    ff_status result = FF_ENOTFOUND;
    /* the lower-cased text for the literal prefilter, made when a rule first needs it;
     * when it cannot be made (or the text defeats it) every pattern simply runs */
    char small[2048], *lower = NULL;
    unsigned char seen_small[2048], *seen = NULL;
    const unsigned char *may = NULL; /* per pattern with words: whether it may match */
    enum { PRE_UNKNOWN, PRE_OFF, PRE_ON } pre = PRE_UNKNOWN;
    for (size_t i = 0; i < rules->n; i++) {
        rule_head h = rules->heads != NULL ? rules->heads[i] : head_of(rules->v[i]);
        if ((h.gate & qgate) != qgate)
            continue;
        if (h.lit != NO_LIT) {
            if (pre == PRE_UNKNOWN) {
                pre = PRE_OFF;
                size_t nw = ff_litindex_size(rules->ix);
                if (rules->ix != NULL && ff_lits_text_ok(text, tlen)) {
                    lower = tlen <= sizeof small ? small : malloc(tlen);
                    seen = nw <= sizeof seen_small ? seen_small : malloc(nw);
                    if (lower != NULL && seen != NULL) {
                        ff_lits_lower(text, tlen, lower);
                        ff_litindex_scan(rules->ix, lower, tlen, seen);
                        may = ff_litindex_verdicts(rules->ix, seen);
                        pre = PRE_ON;
                    }
                }
            }
            if (pre == PRE_ON && may[h.lit] == FF_LITS_NO)
                continue;
        }
        rule *r = rules->v[i]; /* not const: prepare_once() completes it */
        if (!provider_ok(r, q->provider) || !code_ok(r, q->code) ||
            !status_ok(r, have_status, skey) || (r->cmdmask != 0 && (cmd & r->cmdmask) == 0))
            continue;
        /* A branch that is one plain word is in the text: the pattern matches, and one that
         * only ever matches so is never compiled. Built-in patterns that do not compile
         * would still match here, so the unit tests compile every one (ff_rules_check). */
        bool sure = h.lit != NO_LIT && pre == PRE_ON && may[h.lit] == FF_LITS_MATCH;
        if (r->has_text && !sure) {
            if (md == NULL && (md = pcre2_match_data_create(1, NULL)) == NULL) {
                result = FF_ENOMEM;
                break;
            }
            if (!prepare_once(r))
                continue;
            int rc = pcre2_match(code_for(r), (PCRE2_SPTR)text, tlen, 0, 0, md, rules->mctx);
            /* a pattern that hits the match limit does not match: a slow pattern must not
             * decide, and must not stop the rules after it */
            if (rc < 0)
                continue;
        }
        hit->id = r->id;
        hit->reason = r->reason;
        hit->has_class = r->has_class;
        hit->klass = r->klass;
        hit->has_side = r->has_side;
        hit->side = r->side;
        hit->has_action = r->has_action;
        hit->action = r->action;
        hit->fix = r->fix;
        result = FF_OK;
        break;
    }
    pcre2_match_data_free(md);
    if (lower != small)
        free(lower);
    if (seen != seen_small)
        free(seen);
    return result;
}
