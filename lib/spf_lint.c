/* spf_lint.c - read a domain's SPF setup the way a postmaster would (see spf.h)
 *
 * The lookup count walks include: and redirect= recursively, as a receiver would spend
 * them, so a record that passes for one sender and breaks for another (over 10 lookups
 * down an include chain) shows here before the receivers see it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "fivefifty/spf.h"
#include "spf_syntax.h"

static void add(ff_spf_lint_report *r, ff_spf_severity sev, const char *msg, const char *fix)
{
    if (r->n >= FF_SPF_FINDINGS_MAX)
        return;
    r->f[r->n].severity = sev;
    snprintf(r->f[r->n].msg, sizeof r->f[r->n].msg, "%s", msg);
    snprintf(r->f[r->n].fix, sizeof r->f[r->n].fix, "%s", fix);
    r->n++;
}

/* Records the lint reads at most. Depth alone does not bound the walk: a record with k
 * includes or redirects (of itself, say) has k^depth paths, and a receiver gives up after 10
 * lookups anyway, so once this many records are read the count is far past the limit. */
#define WALK_RECORDS_MAX 100

/* Count DNS-querying terms under `domain`; depth-limited, and at most *left records read;
 * returns -1 when the record is missing or broken below the top. */
static int walk(ff_dns *dns, const char *domain, int depth, ff_spf_lint_report *r, bool top,
                int *left)
{
    if (depth > 10 || *left <= 0)
        return 0;
    --*left;
    ff_dns_answer a;
    if (ff_dns_query(dns, domain, FF_DNS_TXT, &a) != FF_OK)
        return 0;
    const char *rec = NULL;
    size_t found = 0;
    for (size_t i = 0; i < a.n; i++)
        if (!strncasecmp(a.rrs[i].text, "v=spf1", 6) &&
            (a.rrs[i].text[6] == ' ' || !a.rrs[i].text[6])) {
            found++;
            if (!rec)
                rec = a.rrs[i].text;
        }
    char msg[300];
    if (top) {
        if (a.result == FF_DNS_TEMPFAIL)
            add(r, FF_SPF_FAIL_LINT, "the DNS did not answer for the record (timeout or "
                "SERVFAIL)", "Check the domain's name servers.");
        if (found == 0)
            add(r, FF_SPF_FAIL_LINT, "no SPF record: receivers cannot tell your servers from "
                "forgers", "Publish a TXT record \"v=spf1 ... -all\" naming your sending "
                "servers and providers.");
        if (found > 1)
            add(r, FF_SPF_FAIL_LINT, "more than one SPF record: every receiver returns "
                "permerror", "Merge them into one record.");
        if (rec) {
            snprintf(r->record, sizeof r->record, "%s", rec);
            size_t l = strlen(rec);
            if (l > 512)
                add(r, FF_SPF_FAIL_LINT, "the record is longer than 512 bytes: UDP answers "
                    "may be truncated", "Shorten it: fewer terms, or move ranges into an "
                    "include on a subdomain.");
            else if (l > 450)
                add(r, FF_SPF_WARN, "the record is longer than 450 bytes (RFC 7208 3.4 "
                    "advises staying under)", "Shorten it.");
            else if (l > 255)
                add(r, FF_SPF_INFO, "the record is longer than 255 bytes: it must be split "
                    "into several strings in the TXT record", "Check it is published as "
                    "several quoted strings, which receivers join.");
        }
    }
    int n = 0;
    bool syntax_bad = false;
    if (rec) {
        /* The evaluator's own parser: what it refuses is a permerror for every message,
         * and its message says at which byte. */
        char problem[400];
        if (!ff_spf_syntax_ok(rec, strlen(rec), problem, sizeof problem)) {
            syntax_bad = true;
            snprintf(msg, sizeof msg, "syntax error in %.60s's record: %.200s", domain,
                     problem);
            add(r, FF_SPF_FAIL_LINT, msg, "Fix the term at that position: receivers return "
                "permerror for every message.");
        }
    }
    if (rec) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", rec);
        bool has_all = false, has_redirect = false;
        size_t pos = 6;
        char *save = NULL;
        for (char *t = strtok_r(buf + 6, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
            pos++;
            char *m = t;
            if (strchr("+-~?", *m))
                m++;
            if (!strncasecmp(m, "include:", 8)) {
                n++;
                int sub = walk(dns, m + 8, depth + 1, r, false, left);
                if (sub < 0 && top) {
                    snprintf(msg, sizeof msg, "include:%s has no usable SPF record: "
                             "permerror for every message", m + 8);
                    add(r, FF_SPF_FAIL_LINT, msg, "Remove the include or fix its target.");
                } else if (sub > 0)
                    n += sub;
            } else if (!strncasecmp(m, "redirect=", 9)) {
                n++;
                has_redirect = true;
                int sub = walk(dns, m + 9, depth + 1, r, false, left);
                if (sub > 0)
                    n += sub;
            } else if (!strcasecmp(m, "a") || !strncasecmp(m, "a:", 2) || !strncasecmp(m, "a/", 2) ||
                       !strcasecmp(m, "mx") || !strncasecmp(m, "mx:", 3) ||
                       !strncasecmp(m, "mx/", 3) || !strncasecmp(m, "exists:", 7)) {
                n++;
            } else if (!strcasecmp(m, "ptr") || !strncasecmp(m, "ptr:", 4)) {
                n++;
                if (top)
                    add(r, FF_SPF_WARN, "ptr is used: slow, unreliable, and RFC 7208 5.5 says "
                        "not to", "Replace ptr with ip4:/ip6: ranges or a:/mx: terms.");
            } else if (!strcasecmp(t, "all") || !strcasecmp(t, "+all")) {
                has_all = true;
                if (top)
                    add(r, FF_SPF_FAIL_LINT, "+all: every server on the Internet may send as "
                        "this domain", "End the record with -all or ~all.");
            } else if (!strcasecmp(t, "?all")) {
                has_all = true;
                if (top)
                    add(r, FF_SPF_WARN, "?all: the record says nothing about other servers",
                        "End the record with -all or ~all once it lists every sender.");
            } else if (!strcasecmp(m, "all")) {
                has_all = true;
            } else if (strncasecmp(m, "ip4:", 4) && strncasecmp(m, "ip6:", 4) &&
                       !strchr(m, '=') && top && !syntax_bad) {
                snprintf(msg, sizeof msg, "'%s' is not an SPF term (syntax error): permerror "
                         "for every message", t);
                add(r, FF_SPF_FAIL_LINT, msg, "Fix or remove the term.");
            }
        }
        if (top && !has_all && !has_redirect)
            add(r, FF_SPF_WARN, "no 'all' at the end: mail from any other server gets neutral",
                "End the record with -all (or ~all while testing).");
    }
    ff_dns_answer_clear(&a);
    return rec ? n : -1;
}

ff_status ff_spf_lint(ff_dns *dns, const char *domain, ff_spf_lint_report *out, ff_error *err)
{
    if (!out || !dns || !domain)
        return ff_error_set(err, FF_EINVAL, "spf: lint needs a resolver and a domain");
    memset(out, 0, sizeof *out);
    int left = WALK_RECORDS_MAX;
    int n = walk(dns, domain, 0, out, true, &left);
    out->lookups = n > 0 ? n : 0;
    char msg[300];
    if (n > 10) {
        snprintf(msg, sizeof msg, "%d DNS-querying terms with includes followed: over the "
                 "limit of 10, so receivers return permerror", n);
        add(out, FF_SPF_FAIL_LINT, msg, "Flatten includes into ip4:/ip6: ranges, or drop "
            "providers you no longer use.");
    } else if (n >= 8) {
        snprintf(msg, sizeof msg, "%d DNS-querying terms: close to the limit of 10", n);
        add(out, FF_SPF_WARN, msg, "Leave room: a provider adding an include breaks you.");
    }
    return FF_OK;
}
