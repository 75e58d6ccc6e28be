/* spf.c - RFC 7208 check_host() with a trace (see include/fivefifty/spf.h)
 *
 * DESCRIPTION
 *   A record is parsed completely before anything is evaluated, because a syntax error
 *   anywhere makes the result permerror (RFC 7208 4.6). Terms are then tried left to right;
 *   each DNS-querying term (include, a, mx, ptr, exists, redirect) counts toward the limit
 *   of 10 across the whole evaluation, includes and redirects included (4.6.4), and more
 *   than 2 lookups that return nothing are a permerror too. Every step is written to the
 *   trace, indented by include depth, so a person sees which term decided and where the
 *   lookups went.
 */
#include "fivefifty/spf.h"
#include "spf_syntax.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOOKUP_LIMIT 10
#define VOID_LIMIT 2
#define MX_LIMIT 10
#define PTR_LIMIT 10
#define TERMS_MAX 64
#define DEPTH_MAX 64 /* trace depth; the lookup limit ends include chains long before */

const char *ff_spf_result_name(ff_spf_result r)
{
    static const char *const n[] = {"none", "neutral", "pass", "fail", "softfail",
                                    "temperror", "permerror"};
    return (unsigned)r < 7 ? n[r] : "none";
}

typedef enum mech { M_ALL, M_INCLUDE, M_A, M_MX, M_PTR, M_IP4, M_IP6, M_EXISTS } mech;

typedef struct term {
    bool is_mod;
    char qual;              /* '+', '-', '~', '?' */
    mech m;
    const char *arg;        /* domain-spec or address, may be NULL */
    size_t argl;
    int cidr4, cidr6;       /* -1 = none */
    unsigned char net[16];  /* ip4/ip6 network */
    const char *text;       /* the whole term for the trace */
    size_t textl;
} term;

typedef struct rec {
    term t[TERMS_MAX];
    size_t n;
    const char *redirect, *exp;
    size_t redirectl, expl;
    bool has_all;
} rec;

typedef struct state {
    ff_dns *dns;
    ff_spf_macro_ctx mc;
    unsigned char ip[16];
    bool v6;
    int lookups, voids;
    bool ptr_done;
    char ptr_buf[256];
    char problem[512];
    char *trace;
    size_t tl, tcap;
} state;

static void tracef(state *s, int depth, const char *fmt, ...)
{
    char line[768];
    int n = snprintf(line, sizeof line, "%*s", depth * 2, "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t l = strlen(line);
    if (s->tl + l + 2 > s->tcap) {
        size_t cap = (s->tl + l + 2) * 2;
        char *t = realloc(s->trace, cap);
        if (!t)
            return;
        s->trace = t;
        s->tcap = cap;
    }
    memcpy(s->trace + s->tl, line, l);
    s->tl += l;
    s->trace[s->tl++] = '\n';
    s->trace[s->tl] = '\0';
}

static ff_spf_result fail_with(state *s, ff_spf_result r, const char *fmt, const char *a)
{
    if (!s->problem[0])
        snprintf(s->problem, sizeof s->problem, fmt, a);
    return r;
}

/* ---- parsing ------------------------------------------------------------------------ */

static bool macro_ok(const char *v, size_t n, bool exp)
{
    ff_spf_macro_ctx dummy = {0};
    char out[2048];
    ff_status st = ff_spf_macro_expand(v, n, &dummy, exp, out, sizeof out);
    return st == FF_OK || st == FF_ETOOBIG;
}

/* Read one "/N" from the end of [start, *end): digits without a leading zero. */
static int cidr_tail(const char *start, const char **end)
{
    const char *e = *end, *p = e;
    while (p > start && isdigit((unsigned char)p[-1]))
        p--;
    if (p == e || p == start || p[-1] != '/' || e - p > 3 || (e - p > 1 && *p == '0'))
        return -1;
    int v = 0;
    for (const char *q = p; q < e; q++)
        v = v * 10 + (*q - '0');
    *end = p - 1;
    return v;
}

/* "/N" and "//N" at the end of a or mx (RFC 7208 5.6 dual-cidr-length). */
static bool parse_cidr(const char **end, const char *start, int *c4, int *c6)
{
    *c4 = *c6 = -1;
    const char *e = *end;
    const char *probe = e;
    int v = cidr_tail(start, &probe);
    if (v >= 0 && probe > start && probe[-1] == '/') {
        *c6 = v;            /* "//N" */
        e = probe - 1;
        probe = e;
        v = cidr_tail(start, &probe);
        if (v >= 0) {
            *c4 = v;
            e = probe;
        }
    } else if (v >= 0) {
        *c4 = v;
        e = probe;
    } else if (e > start && e[-1] == '/') {
        return false;       /* a '/' without digits */
    }
    if (*c4 > 32 || *c6 > 128)
        return false;
    *end = e;
    return true;
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* Parse one record's terms. false on a syntax error (s->problem says where). */
static bool toplabel_ok(const char *d, size_t n);

/* A domain-spec without macros must be a domain already (RFC 7208 7.1: the top label is
 * letters, digits and hyphens with a letter in it); with macros, that is judged after
 * expansion. */
static bool spec_ok(const char *v, size_t n)
{
    return memchr(v, '%', n) != NULL || toplabel_ok(v, n);
}

static bool parse(state *s, const char *txt, size_t len, rec *r)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)txt[i] < 0x20 || (unsigned char)txt[i] >= 0x7f) {
            fail_with(s, FF_SPF_PERMERROR, "the record holds a control or non-ASCII "
                      "character at position %s", "");
            snprintf(s->problem, sizeof s->problem, "the record holds a control or non-ASCII "
                     "character at position %zu", i + 1);
            return false;
        }
    size_t pos = 6; /* after "v=spf1" */
    while (pos < len) {
        while (pos < len && txt[pos] == ' ')
            pos++;
        if (pos >= len)
            break;
        size_t start = pos;
        while (pos < len && txt[pos] != ' ')
            pos++;
        const char *t = txt + start;
        size_t tl = pos - start;
        char where[300];
        snprintf(where, sizeof where, "term '%.*s' at position %zu", (int)(tl > 200 ? 200 : tl),
                 t, start + 1);
        /* Modifier: name=value with a name that is not a mechanism. */
        size_t nl = 0;
        while (nl < tl && name_char(t[nl]))
            nl++;
        if (nl < tl && t[nl] == '=' && nl > 0 && isalpha((unsigned char)t[0])) {
            const char *v = t + nl + 1;
            size_t vl = tl - nl - 1;
            bool known_mod = (nl == 8 && !strncasecmp(t, "redirect", 8)) ||
                             (nl == 3 && !strncasecmp(t, "exp", 3));
            if (!macro_ok(v, vl, false) || (known_mod && !spec_ok(v, vl))) {
                fail_with(s, FF_SPF_PERMERROR, "bad macro in %s", where);
                return false;
            }
            if (nl == 8 && !strncasecmp(t, "redirect", 8)) {
                if (r->redirect || vl == 0) {
                    fail_with(s, FF_SPF_PERMERROR, "redirect= given twice or empty: %s", where);
                    return false;
                }
                r->redirect = v;
                r->redirectl = vl;
            } else if (nl == 3 && !strncasecmp(t, "exp", 3)) {
                if (r->exp || vl == 0) {
                    fail_with(s, FF_SPF_PERMERROR, "exp= given twice or empty: %s", where);
                    return false;
                }
                r->exp = v;
                r->expl = vl;
            }
            continue; /* unknown modifiers are ignored (RFC 7208 6) */
        }
        if (r->n >= TERMS_MAX) {
            fail_with(s, FF_SPF_PERMERROR, "more than %s terms", "64");
            return false;
        }
        term *m = &r->t[r->n];
        memset(m, 0, sizeof *m);
        m->text = t;
        m->textl = tl;
        m->cidr4 = m->cidr6 = -1;
        m->qual = '+';
        if (strchr("+-~?", *t)) {
            m->qual = *t;
            t++;
            tl--;
        }
        static const struct {
            const char *name;
            mech m;
        } names[] = {{"all", M_ALL}, {"include", M_INCLUDE}, {"a", M_A}, {"mx", M_MX},
                     {"ptr", M_PTR}, {"ip4", M_IP4}, {"ip6", M_IP6}, {"exists", M_EXISTS}};
        size_t ml = 0;
        while (ml < tl && isalnum((unsigned char)t[ml]))
            ml++;
        bool known = false;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == ml && !strncasecmp(t, names[i].name, ml)) {
                m->m = names[i].m;
                known = true;
            }
        if (!known || ml == 0) {
            fail_with(s, FF_SPF_PERMERROR, "unknown mechanism in %s", where);
            return false;
        }
        const char *rest = t + ml, *end = t + tl;
        if (m->m == M_ALL) {
            if (rest != end) {
                fail_with(s, FF_SPF_PERMERROR, "'all' takes no argument: %s", where);
                return false;
            }
            r->has_all = true;
        } else if (m->m == M_IP4 || m->m == M_IP6) {
            if (rest >= end || *rest != ':') {
                fail_with(s, FF_SPF_PERMERROR, "ip4/ip6 need an address: %s", where);
                return false;
            }
            rest++;
            const char *e = end;
            const char *slash = memchr(rest, '/', (size_t)(end - rest));
            int bits = m->m == M_IP4 ? 32 : 128;
            if (slash) {
                e = slash;
                const char *b = slash + 1;
                int v = 0;
                if (b >= end || (end - b > 1 && *b == '0'))
                    goto bad_ip;
                for (; b < end; b++) {
                    if (!isdigit((unsigned char)*b))
                        goto bad_ip;
                    v = v * 10 + (*b - '0');
                    if (v > bits)
                        goto bad_ip;
                }
                bits = v;
            }
            char a[64];
            if ((size_t)(e - rest) >= sizeof a)
                goto bad_ip;
            memcpy(a, rest, (size_t)(e - rest));
            a[e - rest] = '\0';
            if (inet_pton(m->m == M_IP4 ? AF_INET : AF_INET6, a, m->net) != 1)
                goto bad_ip;
            if (m->m == M_IP4)
                m->cidr4 = bits;
            else
                m->cidr6 = bits;
        } else {
            /* a, mx: optional ":domain" and cidr; include, exists, ptr: domain (ptr optional) */
            const char *e = end;
            if ((m->m == M_A || m->m == M_MX) && !parse_cidr(&e, rest, &m->cidr4, &m->cidr6)) {
                fail_with(s, FF_SPF_PERMERROR, "bad CIDR length in %s", where);
                return false;
            }
            if (rest < e) {
                if (*rest != ':' || rest + 1 == e) {
                    fail_with(s, FF_SPF_PERMERROR, "syntax error in %s", where);
                    return false;
                }
                m->arg = rest + 1;
                m->argl = (size_t)(e - rest - 1);
                if (!macro_ok(m->arg, m->argl, false) || !spec_ok(m->arg, m->argl)) {
                    fail_with(s, FF_SPF_PERMERROR, "bad macro in %s", where);
                    return false;
                }
            } else if (m->m == M_INCLUDE || m->m == M_EXISTS) {
                fail_with(s, FF_SPF_PERMERROR, "include/exists need a domain: %s", where);
                return false;
            }
        }
        r->n++;
        continue;
    bad_ip:
        fail_with(s, FF_SPF_PERMERROR, "bad address or prefix length in %s", where);
        return false;
    }
    return true;
}

/* ---- helpers ------------------------------------------------------------------------ */

/* The last label of d[0..n) (a trailing dot aside) is LDH with a letter, not starting or
 * ending with '-', and every label is 1 to 63 bytes. */
bool ff_spf_syntax_ok(const char *txt, size_t len, char *problem, size_t cap)
{
    state *s = calloc(1, sizeof *s);
    rec *r = malloc(sizeof *r);
    bool ok = false;
    if (s && r) {
        ok = parse(s, txt, len, r);
        snprintf(problem, cap, "%s", ok ? "" : s->problem);
    } else {
        snprintf(problem, cap, "out of memory");
    }
    free(r);
    free(s);
    return ok;
}

static bool toplabel_ok(const char *d, size_t n)
{
    if (n && d[n - 1] == '.')
        n--;
    if (n == 0)
        return false;
    size_t start = n;
    while (start > 0 && d[start - 1] != '.')
        start--;
    if (start == 0)
        return false; /* a single label is no domain here */
    const char *t = d + start;
    size_t tl = n - start;
    if (tl == 0 || tl > 63 || t[0] == '-' || t[tl - 1] == '-')
        return false;
    bool alpha = false;
    for (size_t i = 0; i < tl; i++) {
        if (!isalnum((unsigned char)t[i]) && t[i] != '-')
            return false;
        alpha = alpha || isalpha((unsigned char)t[i]);
    }
    if (!alpha)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if (++label > 63)
            return false;
    }
    return true;
}

/* Expand a domain-spec and check it is a usable domain name. Returns false on a macro
 * error (permerror) or an invalid result (*invalid set: RFC 7208 4.8 makes that a
 * permerror for the term). */
static bool expand_domain(state *s, const char *spec, size_t len, const char *cur, char *out,
                          size_t cap)
{
    if (!spec) {
        snprintf(out, cap, "%s", cur);
        return true;
    }
    ff_spf_macro_ctx mc = s->mc;
    mc.domain = cur;
    char tmp[2048];
    if (ff_spf_macro_expand(spec, len, &mc, false, tmp, sizeof tmp) != FF_OK)
        return false;
    /* Longer than 253: drop labels from the left until it fits (RFC 7208 7.3). */
    char *d = tmp;
    size_t dl = strlen(d);
    if (dl && d[dl - 1] == '.')
        d[--dl] = '\0';
    while (dl > 253) {
        char *dot = strchr(d, '.');
        if (!dot)
            return false;
        dl -= (size_t)(dot + 1 - d);
        d = dot + 1;
    }
    if (!toplabel_ok(d, strlen(d)))
        return false;
    snprintf(out, cap, "%s", d);
    return true;
}

static bool in_net(const unsigned char *a, const unsigned char *net, int bits)
{
    for (int i = 0; i < bits / 8; i++)
        if (a[i] != net[i])
            return false;
    int rem = bits % 8;
    if (rem) {
        unsigned char mask = (unsigned char)(0xff << (8 - rem));
        if ((a[bits / 8] & mask) != (net[bits / 8] & mask))
            return false;
    }
    return true;
}

/* Count one DNS-querying term; false when the limit is passed. */
static bool count(state *s, int depth, const char *what)
{
    if (++s->lookups > LOOKUP_LIMIT) {
        tracef(s, depth, "! limit: %s is DNS lookup number %d, over the limit of 10", what,
               s->lookups);
        fail_with(s, FF_SPF_PERMERROR, "more than 10 DNS-querying terms (%s)", what);
        return false;
    }
    return true;
}

/* A lookup that returned nothing counts toward the void limit. */
static bool voided(state *s, int depth, ff_dns_result r)
{
    if (r != FF_DNS_NXDOMAIN && r != FF_DNS_NODATA)
        return true;
    if (++s->voids > VOID_LIMIT) {
        tracef(s, depth, "! limit: more than 2 lookups returned nothing");
        fail_with(s, FF_SPF_PERMERROR, "more than 2 void DNS lookups%s", "");
        return false;
    }
    return true;
}

/* Does any A/AAAA of `host` match the client within the CIDR? -1 temperror, -2 limit. */
static int host_match(state *s, const char *host, int c4, int c6, int depth, bool count_void)
{
    ff_dns_answer a;
    if (ff_dns_query(s->dns, host, s->v6 ? FF_DNS_AAAA : FF_DNS_A, &a) != FF_OK)
        return -1;
    int m = 0;
    if (a.result == FF_DNS_TEMPFAIL)
        m = -1;
    else if (count_void && !voided(s, depth, a.result))
        m = -2;
    for (size_t i = 0; m == 0 && i < a.n; i++)
        if (in_net(s->ip, a.rrs[i].addr, s->v6 ? (c6 >= 0 ? c6 : 128) : (c4 >= 0 ? c4 : 32)))
            m = 1;
    ff_dns_answer_clear(&a);
    return m;
}

static ff_spf_result check_host(state *s, const char *domain, int depth, char *matched,
                                size_t mcap, char *expl, size_t ecap);

static void reverse_name(const state *s, char *rev, size_t cap)
{
    if (s->v6) {
        size_t o = 0;
        for (int i = 15; i >= 0; i--)
            o += (size_t)snprintf(rev + o, cap - o, "%x.%x.", s->ip[i] & 15, s->ip[i] >> 4);
        snprintf(rev + o, cap - o, "ip6.arpa");
    } else {
        snprintf(rev, cap, "%u.%u.%u.%u.in-addr.arpa", s->ip[3], s->ip[2], s->ip[1], s->ip[0]);
    }
}

/* %{p} (RFC 7208 7.3): a name of the IP that resolves back to it, preferring the domain
 * being checked or a subdomain of it; "unknown" when there is none. Looked up once, only
 * when a macro asks for it. */
static void ptr_macro(state *s, const char *domain)
{
    if (s->ptr_done)
        return;
    s->ptr_done = true;
    char rev[128];
    reverse_name(s, rev, sizeof rev);
    ff_dns_answer a;
    if (ff_dns_query(s->dns, rev, FF_DNS_PTR, &a) != FF_OK)
        return;
    size_t dl = strlen(domain);
    const char *best = NULL;
    for (size_t i = 0; i < a.n && i < PTR_LIMIT; i++) {
        const char *name = a.rrs[i].text;
        if (host_match(s, name, -1, -1, 0, false) != 1)
            continue;
        size_t nl = strlen(name);
        bool under = !strcasecmp(name, domain) ||
                     (nl > dl && name[nl - dl - 1] == '.' && !strcasecmp(name + nl - dl, domain));
        if (under || !best)
            best = name;
        if (under)
            break;
    }
    if (best)
        snprintf(s->ptr_buf, sizeof s->ptr_buf, "%s", best);
    ff_dns_answer_clear(&a);
    if (s->ptr_buf[0])
        s->mc.ptr_name = s->ptr_buf;
}

static bool wants_p(const char *spec, size_t len)
{
    return memmem(spec, len, "%{p", 3) || memmem(spec, len, "%{P", 3);
}

/* ---- mechanisms --------------------------------------------------------------------- */

/* 1 match, 0 no match, -1 temperror, -2 permerror. */
static int eval_term(state *s, const term *t, const char *domain, int depth)
{
    char target[300];
    char label[64];
    snprintf(label, sizeof label, "%.*s", (int)(t->textl > 60 ? 60 : t->textl), t->text);
    switch (t->m) {
    case M_ALL:
        return 1;
    case M_IP4:
        return !s->v6 && in_net(s->ip, t->net, t->cidr4);
    case M_IP6:
        return s->v6 && in_net(s->ip, t->net, t->cidr6);
    case M_A:
    case M_MX:
    case M_PTR:
    case M_EXISTS:
    case M_INCLUDE:
        if (!count(s, depth, label))
            return -2;
        if (t->arg && wants_p(t->arg, t->argl))
            ptr_macro(s, domain);
        if (!expand_domain(s, t->arg, t->argl, domain, target, sizeof target)) {
            /* RFC 7208 4.8: a name that is no valid domain after expansion gives no
             * match, as the lookup of such a name would. */
            tracef(s, depth, "%s does not expand to a valid domain: no match", label);
            return 0;
        }
        break;
    }
    if (t->m == M_A) {
        int m = host_match(s, target, t->cidr4, t->cidr6, depth, true);
        if (m == -1)
            fail_with(s, FF_SPF_TEMPERROR, "DNS temporary failure looking up %s", target);
        return m;
    }
    if (t->m == M_EXISTS) {
        ff_dns_answer a;
        if (ff_dns_query(s->dns, target, FF_DNS_A, &a) != FF_OK)
            return -1;
        int m = a.result == FF_DNS_OK ? 1 : a.result == FF_DNS_TEMPFAIL ? -1 : 0;
        if (m == 0 && !voided(s, depth, a.result))
            m = -2;
        ff_dns_answer_clear(&a);
        if (m == -1)
            fail_with(s, FF_SPF_TEMPERROR, "DNS temporary failure looking up %s", target);
        return m;
    }
    if (t->m == M_MX) {
        ff_dns_answer a;
        if (ff_dns_query(s->dns, target, FF_DNS_MX, &a) != FF_OK)
            return -1;
        if (a.result == FF_DNS_TEMPFAIL) {
            ff_dns_answer_clear(&a);
            fail_with(s, FF_SPF_TEMPERROR, "DNS temporary failure looking up MX %s", target);
            return -1;
        }
        if (!voided(s, depth, a.result)) {
            ff_dns_answer_clear(&a);
            return -2;
        }
        if (a.n > MX_LIMIT) {
            ff_dns_answer_clear(&a);
            fail_with(s, FF_SPF_PERMERROR, "more than 10 MX records at %s", target);
            return -2;
        }
        int m = 0;
        for (size_t i = 0; m == 0 && i < a.n; i++) {
            int r = host_match(s, a.rrs[i].text, t->cidr4, t->cidr6, depth, false);
            if (r == 1)
                m = 1;
            else if (r == -1)
                m = -1;
        }
        ff_dns_answer_clear(&a);
        if (m == -1)
            fail_with(s, FF_SPF_TEMPERROR, "DNS temporary failure looking up an MX host of %s",
                      target);
        return m;
    }
    if (t->m == M_PTR) {
        char rev[128];
        reverse_name(s, rev, sizeof rev);
        ff_dns_answer a;
        if (ff_dns_query(s->dns, rev, FF_DNS_PTR, &a) != FF_OK)
            return -1;
        if (a.result != FF_DNS_TEMPFAIL && !voided(s, depth, a.result)) {
            ff_dns_answer_clear(&a);
            return -2;
        }
        /* RFC 7208 5.5: a DNS error here is no match, not temperror. */
        int m = 0;
        size_t tl = strlen(target);
        for (size_t i = 0; m == 0 && i < a.n && i < PTR_LIMIT; i++) {
            const char *name = a.rrs[i].text;
            size_t nl = strlen(name);
            bool under = nl == tl ? !strcasecmp(name, target)
                                  : nl > tl && name[nl - tl - 1] == '.' &&
                                        !strcasecmp(name + nl - tl, target);
            if (under && host_match(s, name, -1, -1, depth, false) == 1)
                m = 1;
        }
        ff_dns_answer_clear(&a);
        return m;
    }
    /* include */
    tracef(s, depth, "include:%s", target);
    char sub_m[512] = "", sub_e[16];
    int before = s->lookups;
    ff_spf_result r = check_host(s, target, depth + 1, sub_m, sizeof sub_m, sub_e, 0);
    tracef(s, depth + 1, "= %s (%d lookups in this branch)", ff_spf_result_name(r),
           s->lookups - before);
    switch (r) {
    case FF_SPF_PASS:
        return 1;
    case FF_SPF_FAIL:
    case FF_SPF_SOFTFAIL:
    case FF_SPF_NEUTRAL:
        return 0;
    case FF_SPF_TEMPERROR:
        return -1;
    case FF_SPF_NONE:
        fail_with(s, FF_SPF_PERMERROR, "include:%s has no SPF record", target);
        return -2;
    default:
        return -2;
    }
}

/* Fetch the one SPF record of `domain`. Returns NONE (no record), TEMPERROR, PERMERROR
 * (several), or PASS with the record in *txt (malloc'd). */
static ff_spf_result fetch(state *s, const char *domain, char **txt)
{
    *txt = NULL;
    ff_dns_answer a;
    if (ff_dns_query(s->dns, domain, FF_DNS_TXT, &a) != FF_OK)
        return FF_SPF_TEMPERROR;
    if (a.result == FF_DNS_TEMPFAIL) {
        ff_dns_answer_clear(&a);
        return fail_with(s, FF_SPF_TEMPERROR, "DNS temporary failure fetching the record of %s",
                         domain);
    }
    size_t found = 0;
    for (size_t i = 0; i < a.n; i++) {
        const char *t = a.rrs[i].text;
        if (t && !strncasecmp(t, "v=spf1", 6) && (t[6] == ' ' || t[6] == '\0')) {
            found++;
            if (found == 1)
                *txt = strdup(t);
        }
    }
    ff_dns_answer_clear(&a);
    if (found > 1) {
        free(*txt);
        *txt = NULL;
        return fail_with(s, FF_SPF_PERMERROR, "%s publishes more than one SPF record", domain);
    }
    return found ? FF_SPF_PASS : FF_SPF_NONE;
}

static ff_spf_result qual_result(char q)
{
    return q == '-' ? FF_SPF_FAIL : q == '~' ? FF_SPF_SOFTFAIL : q == '?' ? FF_SPF_NEUTRAL
                                                                          : FF_SPF_PASS;
}

static ff_spf_result check_host(state *s, const char *domain, int depth, char *matched,
                                size_t mcap, char *expl, size_t ecap)
{
    if (depth > DEPTH_MAX)
        return fail_with(s, FF_SPF_PERMERROR, "includes nested too deep at %s", domain);
    char *txt = NULL;
    ff_spf_result fr = fetch(s, domain, &txt);
    if (fr != FF_SPF_PASS) {
        tracef(s, depth, "%s: %s", domain, fr == FF_SPF_NONE ? "no SPF record"
                                                             : ff_spf_result_name(fr));
        return fr;
    }
    tracef(s, depth, "%s: \"%s\"", domain, txt);
    rec r;
    if (!parse(s, txt, strlen(txt), &r)) {
        tracef(s, depth, "! %s", s->problem);
        free(txt);
        return FF_SPF_PERMERROR;
    }
    ff_spf_result res = FF_SPF_NEUTRAL;
    bool decided = false;
    for (size_t i = 0; i < r.n && !decided; i++) {
        const term *t = &r.t[i];
        int m = eval_term(s, t, domain, depth + 1);
        if (m == 1) {
            res = qual_result(t->qual);
            decided = true;
            tracef(s, depth + 1, "%.*s matches -> %s", (int)t->textl, t->text,
                   ff_spf_result_name(res));
            if (matched && mcap)
                snprintf(matched, mcap, "%.*s (in %s)", (int)t->textl, t->text, domain);
        } else if (m == -1) {
            res = FF_SPF_TEMPERROR;
            decided = true;
            tracef(s, depth + 1, "%.*s -> temperror", (int)t->textl, t->text);
        } else if (m == -2) {
            res = FF_SPF_PERMERROR;
            decided = true;
            tracef(s, depth + 1, "%.*s -> permerror: %s", (int)t->textl, t->text, s->problem);
        } else if (t->m != M_INCLUDE) {
            tracef(s, depth + 1, "%.*s: no match", (int)t->textl, t->text);
        }
    }
    /* redirect= when nothing matched and there is no "all" (RFC 7208 6.1). */
    if (!decided && r.redirect && !r.has_all) {
        char target[300];
        if (!count(s, depth + 1, "redirect")) {
            res = FF_SPF_PERMERROR;
        } else if (!expand_domain(s, r.redirect, r.redirectl, domain, target, sizeof target)) {
            res = fail_with(s, FF_SPF_PERMERROR, "redirect= does not expand to a domain%s", "");
        } else {
            tracef(s, depth + 1, "redirect=%s", target);
            res = check_host(s, target, depth + 1, matched, mcap, expl, ecap);
            if (res == FF_SPF_NONE)
                res = fail_with(s, FF_SPF_PERMERROR, "redirect target %s has no SPF record",
                                target);
        }
        free(txt);
        return res;
    }
    /* exp= on fail, at the level that decided (errors leave no explanation). */
    if (res == FF_SPF_FAIL && r.exp && expl && ecap) {
        char target[300];
        if (expand_domain(s, r.exp, r.expl, domain, target, sizeof target)) {
            ff_dns_answer a;
            if (ff_dns_query(s->dns, target, FF_DNS_TXT, &a) == FF_OK) {
                if (a.result == FF_DNS_OK && a.n == 1 && wants_p(a.rrs[0].text,
                                                                  strlen(a.rrs[0].text)))
                    ptr_macro(s, domain);
                if (a.result == FF_DNS_OK && a.n == 1) {
                    ff_spf_macro_ctx mc = s->mc;
                    mc.domain = domain;
                    char out[512];
                    bool ascii = true;
                    for (const char *c = a.rrs[0].text; *c; c++)
                        ascii = ascii && (unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f;
                    /* RFC 7208 6.2: an explanation that is not US-ASCII is not used. */
                    if (ascii && ff_spf_macro_expand(a.rrs[0].text, strlen(a.rrs[0].text), &mc,
                                                     true, out, sizeof out) == FF_OK)
                        snprintf(expl, ecap, "%s", out);
                }
                ff_dns_answer_clear(&a);
            }
        }
    }
    free(txt);
    return res;
}

/* ---- the public entry ---------------------------------------------------------------- */

ff_status ff_spf_check(ff_dns *dns, const ff_spf_query *q, ff_spf_eval *out, ff_error *err)
{
    if (!out)
        return ff_error_set(err, FF_EINVAL, "spf: no output");
    memset(out, 0, sizeof *out);
    if (!dns || !q || !q->ip)
        return ff_error_set(err, FF_EINVAL, "spf: need a resolver and a client IP");
    state s = {.dns = dns};
    if (inet_pton(AF_INET, q->ip, s.ip) == 1) {
        s.v6 = false;
    } else if (inet_pton(AF_INET6, q->ip, s.ip) == 1) {
        s.v6 = true;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!memcmp(s.ip, mapped, 12)) { /* an IPv4-mapped address is IPv4 */
            memmove(s.ip, s.ip + 12, 4);
            s.v6 = false;
        }
    } else {
        return ff_error_set(err, FF_EINVAL, "spf: '%.60s' is not an IP address", q->ip);
    }
    /* The identity: MAIL FROM, or postmaster@HELO for the null sender (RFC 7208 2.4). */
    char sender[600], local[300], sdomain[300];
    const char *from = q->sender && *q->sender ? q->sender : NULL;
    if (from) {
        const char *at = strrchr(from, '@');
        if (at && at != from)
            snprintf(local, sizeof local, "%.*s", (int)(at - from), from);
        else
            snprintf(local, sizeof local, "postmaster");
        snprintf(sdomain, sizeof sdomain, "%s", at ? at + 1 : from);
    } else {
        snprintf(local, sizeof local, "postmaster");
        snprintf(sdomain, sizeof sdomain, "%s", q->helo ? q->helo : "");
    }
    snprintf(sender, sizeof sender, "%s@%s", local, sdomain);
    const char *domain = q->domain && *q->domain ? q->domain : sdomain;
    snprintf(out->domain, sizeof out->domain, "%.255s", domain);
    char ipnorm[INET6_ADDRSTRLEN];
    inet_ntop(s.v6 ? AF_INET6 : AF_INET, s.ip, ipnorm, sizeof ipnorm);
    s.mc = (ff_spf_macro_ctx){.sender = sender, .local = local, .sender_domain = sdomain,
                              .domain = domain, .helo = q->helo, .receiver = q->receiver,
                              .ip = ipnorm, .ipv6 = s.v6,
                              .hex_upper = strpbrk(q->ip, "ABCDEF") != NULL};
    memcpy(s.mc.addr, s.ip, 16);
    /* A malformed or single-label domain gives "none" at once (RFC 7208 4.3). */
    char checked[300];
    if (!expand_domain(&s, NULL, 0, domain, checked, sizeof checked) || strlen(domain) > 253) {
        out->result = FF_SPF_NONE;
        snprintf(out->problem, sizeof out->problem, "'%s' is not a valid domain name", domain);
    } else {
        const char *p = domain;
        bool bad = false;
        size_t label = 0;
        for (; *p; p++) {
            if (*p == '.') {
                bad = bad || label == 0;
                label = 0;
            } else if (++label > 63)
                bad = true;
        }
        if (bad) {
            out->result = FF_SPF_NONE;
            snprintf(out->problem, sizeof out->problem, "'%s' is not a valid domain name",
                     domain);
        } else {
            out->result = check_host(&s, domain, 0, out->matched, sizeof out->matched,
                                     out->explanation, sizeof out->explanation);
            if (out->result == FF_SPF_TEMPERROR || out->result == FF_SPF_PERMERROR)
                snprintf(out->problem, sizeof out->problem, "%s", s.problem);
        }
    }
    out->lookups = s.lookups;
    out->void_lookups = s.voids;
    out->trace = s.trace;
    return FF_OK;
}

void ff_spf_eval_clear(ff_spf_eval *e)
{
    if (!e)
        return;
    free(e->trace);
    memset(e, 0, sizeof *e);
}
