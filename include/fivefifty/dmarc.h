/* dmarc.h - DMARC (RFC 7489): records, policy discovery, alignment
 *
 * ff_dmarc_parse() reads a _dmarc TXT record and lints it: v=DMARC1 first, p (and sp,
 * np), pct, rua, ruf, adkim, aspf, fo, ri; unknown tags and bad values are findings.
 * ff_dmarc_discover() finds the policy for a From domain: _dmarc.<domain>, else
 * _dmarc.<organisational domain> (Public Suffix List through orgdomain.h).
 * ff_dmarc_align() says whether a message passes, and exactly why not: "DKIM passes for
 * esp.example, not for example.com: alignment fails; sign with a selector on example.com".
 */
#ifndef FIVEFIFTY_DMARC_H
#define FIVEFIFTY_DMARC_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/dns.h"
#include "fivefifty/error.h"
#include "fivefifty/orgdomain.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_DMARC_FINDINGS_MAX 16

typedef struct ff_dmarc_finding {
    int severity;          /* 0 info, 1 warn, 2 fail */
    char msg[200];
    char fix[200];
} ff_dmarc_finding;

typedef struct ff_dmarc_record {
    char p[16], sp[16], np[16]; /* none, quarantine, reject; "" when absent */
    int pct;                    /* 0-100, default 100 */
    bool adkim_strict, aspf_strict;
    char rua[512], ruf[512];
    ff_dmarc_finding f[FF_DMARC_FINDINGS_MAX];
    size_t nf;
} ff_dmarc_record;

/* ff_dmarc_parse() parses and lints. Returns FF_OK (findings aside) or FF_EPARSE (not a
 * DMARC record: v=DMARC1 is not first). */
ff_status ff_dmarc_parse(const char *txt, size_t len, ff_dmarc_record *out, ff_error *err);

/* ff_dmarc_discover() finds and parses the policy of `from_domain` (od may be NULL: the
 * built-in list). *at gets the name the record was found at (cap bytes). Returns FF_OK
 * with out filled, FF_ENOTFOUND (no policy), FF_EIO (DNS temporary failure), FF_EPARSE. */
ff_status ff_dmarc_discover(ff_dns *dns, const ff_orgdomain *od, const char *from_domain,
                            ff_dmarc_record *out, char *at, size_t cap, ff_error *err);

typedef struct ff_dmarc_input {
    const char *from_domain;
    const char *mail_from_domain;  /* the SPF identity's domain */
    bool spf_pass;
    const char *const *dkim_domains; /* d= of each signature */
    const bool *dkim_pass;
    size_t ndkim;
} ff_dmarc_input;

typedef struct ff_dmarc_verdict {
    bool pass;
    bool spf_aligned, dkim_aligned;
    char why[512];
    char fix[300];
} ff_dmarc_verdict;

void ff_dmarc_align(const ff_orgdomain *od, const ff_dmarc_record *rec,
                    const ff_dmarc_input *in, ff_dmarc_verdict *out);

#ifdef __cplusplus
}
#endif
#endif
