/* spf.h - Sender Policy Framework (RFC 7208): check_host(), its trace, and a lint
 *
 * ff_spf_check() is RFC 7208's check_host() in full: every mechanism (all, include, a, mx,
 * ptr, ip4, ip6, exists) and modifier (redirect, exp), macros, the limit of 10 DNS-querying
 * terms and of 2 void lookups, and all seven results. DNS goes through dns.h, so the RFC
 * 7208 suite runs on zone data and production on c-ares.
 *
 * The trace says why, for a person: each term tried, with the include tree indented and
 * the lookups spent per branch, and where a limit was crossed.
 *
 * ff_spf_lint() reads a domain's record(s) the way a postmaster would and reports what
 * will hurt: several records, more than 10 lookups (and how many), +all or ?all, no all,
 * ptr, syntax errors with their position, records longer than 255/450/512 bytes.
 */
#ifndef FIVEFIFTY_SPF_H
#define FIVEFIFTY_SPF_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/dns.h"
#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ff_spf_result {
    FF_SPF_NONE = 0, FF_SPF_NEUTRAL, FF_SPF_PASS, FF_SPF_FAIL, FF_SPF_SOFTFAIL,
    FF_SPF_TEMPERROR, FF_SPF_PERMERROR
} ff_spf_result;

const char *ff_spf_result_name(ff_spf_result r); /* "pass", "fail", ... */

typedef struct ff_spf_query {
    const char *ip;        /* the client's address, IPv4 or IPv6 text */
    const char *sender;    /* MAIL FROM; "" or NULL for the null sender (then HELO) */
    const char *helo;      /* EHLO/HELO name */
    const char *domain;    /* the domain to check; NULL = the sender's, else the HELO */
    const char *receiver;  /* our host name for %{r}; NULL = "unknown" */
} ff_spf_query;

typedef struct ff_spf_eval {
    ff_spf_result result;
    char domain[256];      /* the domain checked */
    char matched[512];     /* the term that decided, "" when none (default neutral) */
    char explanation[512]; /* from exp= on fail, "" otherwise */
    char problem[512];     /* for temperror/permerror: what went wrong and where */
    int lookups;           /* DNS-querying terms counted toward the limit of 10 */
    int void_lookups;
    char *trace;           /* owned, lines ending in '\n' */
} ff_spf_eval;

/* ff_spf_check() evaluates q through dns. `out` is zeroed first; release with
 * ff_spf_eval_clear(). Returns FF_OK (whatever the SPF result), FF_EINVAL (no IP or
 * unparsable IP), FF_ENOMEM. */
ff_status ff_spf_check(ff_dns *dns, const ff_spf_query *q, ff_spf_eval *out, ff_error *err);
void ff_spf_eval_clear(ff_spf_eval *e);

typedef enum ff_spf_severity { FF_SPF_INFO = 0, FF_SPF_WARN, FF_SPF_FAIL_LINT } ff_spf_severity;

typedef struct ff_spf_finding {
    ff_spf_severity severity;
    char msg[300];
    char fix[300];
} ff_spf_finding;

#define FF_SPF_FINDINGS_MAX 24

typedef struct ff_spf_lint_report {
    ff_spf_finding f[FF_SPF_FINDINGS_MAX];
    size_t n;
    int lookups;           /* DNS-querying terms in the whole tree, includes followed */
    char record[1024];     /* the record found, "" when none */
} ff_spf_lint_report;

/* ff_spf_lint() looks up `domain`'s SPF record and its includes through dns. */
ff_status ff_spf_lint(ff_dns *dns, const char *domain, ff_spf_lint_report *out, ff_error *err);

/* ff_spf_macro_expand() expands the macros of `spec` (RFC 7208 7) for the evaluation
 * state given; `exp` allows the exp-only letters c, r, t. Writes into out (cap bytes).
 * Returns FF_OK or FF_EPARSE (a malformed macro: a permerror). Used by spf.c; public so
 * it can be tested and fuzzed alone. */
typedef struct ff_spf_macro_ctx {
    const char *sender, *local, *sender_domain, *domain, *helo, *receiver;
    const char *ip;        /* client IP text, as %{c} shows it */
    const char *ptr_name;  /* %{p}: the validated host name, NULL = "unknown" */
    bool ipv6;
    bool hex_upper;        /* %{i} nibbles in upper case (the address was written so; DNS
                              names are case-insensitive either way) */
    unsigned char addr[16];
} ff_spf_macro_ctx;

ff_status ff_spf_macro_expand(const char *spec, size_t len, const ff_spf_macro_ctx *ctx,
                              bool exp, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
