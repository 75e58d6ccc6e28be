/* dmarc.c - DMARC records, discovery and alignment (see include/fivefifty/dmarc.h) */
#include "fivefifty/dmarc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void finding(ff_dmarc_record *r, int sev, const char *msg, const char *fix)
{
    if (r->nf >= FF_DMARC_FINDINGS_MAX)
        return;
    r->f[r->nf].severity = sev;
    snprintf(r->f[r->nf].msg, sizeof r->f[r->nf].msg, "%s", msg);
    snprintf(r->f[r->nf].fix, sizeof r->f[r->nf].fix, "%s", fix);
    r->nf++;
}

static bool policy_ok(const char *v, size_t n, char out[16])
{
    static const char *const ok[] = {"none", "quarantine", "reject"};
    for (int i = 0; i < 3; i++)
        if (strlen(ok[i]) == n && !strncasecmp(v, ok[i], n)) {
            snprintf(out, 16, "%s", ok[i]);
            return true;
        }
    return false;
}

ff_status ff_dmarc_parse(const char *txt, size_t len, ff_dmarc_record *out, ff_error *err)
{
    memset(out, 0, sizeof *out);
    out->pct = 100;
    if (!txt)
        return ff_error_set(err, FF_EINVAL, "dmarc: no record");
    size_t pos = 0;
    bool first = true, have_p = false;
    char msg[200];
    while (pos < len) {
        size_t end = pos;
        while (end < len && txt[end] != ';')
            end++;
        const char *t = txt + pos;
        size_t tn = end - pos;
        pos = end + 1;
        while (tn && isspace((unsigned char)*t))
            t++, tn--;
        while (tn && isspace((unsigned char)t[tn - 1]))
            tn--;
        if (!tn)
            continue;
        const char *eq = memchr(t, '=', tn);
        size_t nl = eq ? (size_t)(eq - t) : tn;
        while (nl && isspace((unsigned char)t[nl - 1]))
            nl--;
        const char *v = eq ? eq + 1 : "";
        size_t vl = eq ? tn - (size_t)(v - t) : 0;
        while (vl && isspace((unsigned char)*v))
            v++, vl--;
        if (first) {
            first = false;
            if (!(nl == 1 && t[0] == 'v' && vl == 6 && !strncmp(v, "DMARC1", 6)))
                return ff_error_set(err, FF_EPARSE, "dmarc: the record does not start with "
                                    "v=DMARC1");
            continue;
        }
        if (nl == 1 && t[0] == 'p') {
            have_p = true;
            if (!policy_ok(v, vl, out->p))
                finding(out, 2, "p= is not none, quarantine or reject",
                        "Write p=none, p=quarantine or p=reject.");
        } else if (nl == 2 && !strncmp(t, "sp", 2)) {
            if (!policy_ok(v, vl, out->sp))
                finding(out, 2, "sp= is not none, quarantine or reject", "Fix sp=.");
        } else if (nl == 2 && !strncmp(t, "np", 2)) {
            if (!policy_ok(v, vl, out->np))
                finding(out, 1, "np= is not none, quarantine or reject", "Fix np=.");
        } else if (nl == 3 && !strncmp(t, "pct", 3)) {
            char *e;
            char num[8];
            snprintf(num, sizeof num, "%.*s", (int)(vl < 7 ? vl : 7), v);
            long p = strtol(num, &e, 10);
            if (e == num || *e || p < 0 || p > 100)
                finding(out, 2, "pct= is not a number from 0 to 100", "Fix pct= or remove it.");
            else
                out->pct = (int)p;
        } else if ((nl == 5 && !strncmp(t, "adkim", 5)) || (nl == 4 && !strncmp(t, "aspf", 4))) {
            bool strict = vl == 1 && v[0] == 's';
            if (!(vl == 1 && (v[0] == 's' || v[0] == 'r')))
                finding(out, 2, "adkim=/aspf= must be r or s", "Write r (relaxed) or s (strict).");
            if (nl == 5)
                out->adkim_strict = strict;
            else
                out->aspf_strict = strict;
        } else if (nl == 3 && (!strncmp(t, "rua", 3) || !strncmp(t, "ruf", 3))) {
            char *dst = t[2] == 'a' ? out->rua : out->ruf;
            snprintf(dst, 512, "%.*s", (int)(vl < 511 ? vl : 511), v);
            for (const char *p = dst; *p;) {
                const char *c = strchr(p, ',');
                size_t l = c ? (size_t)(c - p) : strlen(p);
                while (l && isspace((unsigned char)*p))
                    p++, l--;
                if (l < 7 || strncasecmp(p, "mailto:", 7) != 0) {
                    snprintf(msg, sizeof msg, "%s= holds a URI that is not mailto:", t[2] == 'a'
                             ? "rua" : "ruf");
                    finding(out, 1, msg, "Use mailto: addresses for reports.");
                }
                p = c ? c + 1 : p + l;
            }
        } else if ((nl == 2 && !strncmp(t, "fo", 2)) || (nl == 2 && !strncmp(t, "ri", 2)) ||
                   (nl == 2 && !strncmp(t, "rf", 2))) {
            /* fo, ri, rf: accepted as written. */
        } else {
            snprintf(msg, sizeof msg, "unknown tag '%.*s' (ignored by receivers)",
                     (int)(nl < 40 ? nl : 40), t);
            finding(out, 0, msg, "Remove it, or check it for a typo.");
        }
    }
    if (!have_p) {
        if (out->rua[0])
            snprintf(out->p, sizeof out->p, "none"); /* RFC 7489 6.6.3 */
        finding(out, 2, "no p= tag: the record gives no policy", "Add p=none (to start), then "
                "p=quarantine and p=reject once alignment passes.");
    }
    if (!strcmp(out->p, "none"))
        finding(out, 1, "p=none: failing mail is delivered anyway; Google and Yahoo accept it "
                "but it protects nothing", "Move to p=quarantine, then p=reject, once your "
                "reports show all your mail aligned.");
    if (!out->rua[0])
        finding(out, 1, "no rua=: you receive no aggregate reports, so you cannot see what "
                "fails", "Add rua=mailto:dmarc-reports@your-domain.");
    if (out->pct < 100)
        finding(out, 0, "pct below 100: the policy applies to part of the failing mail only",
                "Raise pct to 100 when ready.");
    return FF_OK;
}

static ff_status fetch(ff_dns *dns, const char *name, ff_dmarc_record *out, ff_error *err)
{
    ff_dns_answer a;
    ff_status st = ff_dns_query(dns, name, FF_DNS_TXT, &a);
    if (st != FF_OK)
        return ff_error_set(err, st, "dmarc: query failed");
    if (a.result == FF_DNS_TEMPFAIL) {
        ff_dns_answer_clear(&a);
        return ff_error_set(err, FF_EIO, "dmarc: DNS temporary failure at %s", name);
    }
    const char *rec = NULL;
    size_t n = 0;
    for (size_t i = 0; i < a.n; i++)
        if (a.rrs[i].text && !strncmp(a.rrs[i].text, "v=DMARC1", 8)) {
            rec = a.rrs[i].text;
            n++;
        }
    st = FF_ENOTFOUND;
    if (n == 1)
        st = ff_dmarc_parse(rec, strlen(rec), out, err);
    else if (n > 1)
        st = ff_error_set(err, FF_EPARSE, "dmarc: %s holds more than one DMARC record "
                          "(receivers then apply none)", name);
    ff_dns_answer_clear(&a);
    return st;
}

ff_status ff_dmarc_discover(ff_dns *dns, const ff_orgdomain *od, const char *from_domain,
                            ff_dmarc_record *out, char *at, size_t cap, ff_error *err)
{
    char name[300];
    snprintf(name, sizeof name, "_dmarc.%s", from_domain);
    ff_status st = fetch(dns, name, out, err);
    if (st == FF_ENOTFOUND) {
        char org[256];
        if (ff_orgdomain_get(od, from_domain, org, sizeof org) == FF_OK &&
            strcasecmp(org, from_domain) != 0) {
            snprintf(name, sizeof name, "_dmarc.%s", org);
            st = fetch(dns, name, out, err);
        }
    }
    if (st == FF_OK && at)
        snprintf(at, cap, "%s", name);
    return st;
}

static bool aligned(const ff_orgdomain *od, const char *a, const char *b, bool strict)
{
    if (!a || !b)
        return false;
    if (strict)
        return strcasecmp(a, b) == 0;
    return ff_orgdomain_same(od, a, b);
}

void ff_dmarc_align(const ff_orgdomain *od, const ff_dmarc_record *rec,
                    const ff_dmarc_input *in, ff_dmarc_verdict *out)
{
    memset(out, 0, sizeof *out);
    bool astrict = rec && rec->aspf_strict, dstrict = rec && rec->adkim_strict;
    out->spf_aligned = in->spf_pass && aligned(od, in->mail_from_domain, in->from_domain,
                                               astrict);
    const char *passing_other = NULL;
    for (size_t i = 0; i < in->ndkim; i++) {
        if (!in->dkim_pass[i])
            continue;
        if (aligned(od, in->dkim_domains[i], in->from_domain, dstrict))
            out->dkim_aligned = true;
        else if (!passing_other)
            passing_other = in->dkim_domains[i];
    }
    out->pass = out->spf_aligned || out->dkim_aligned;
    const char *from = in->from_domain ? in->from_domain : "?";
    if (out->pass) {
        snprintf(out->why, sizeof out->why, "DMARC passes: %s%s%s aligned with %s",
                 out->dkim_aligned ? "DKIM" : "", out->dkim_aligned && out->spf_aligned ? " and "
                                                                                       : "",
                 out->spf_aligned ? "SPF" : "", from);
        if (!out->dkim_aligned)
            snprintf(out->fix, sizeof out->fix, "Also sign with DKIM for %s: SPF alone breaks "
                     "when mail is forwarded.", from);
        return;
    }
    char dkim_part[200], spf_part[200];
    if (passing_other)
        snprintf(dkim_part, sizeof dkim_part, "DKIM passes for %s, not for %s: alignment fails",
                 passing_other, from);
    else if (in->ndkim)
        snprintf(dkim_part, sizeof dkim_part, "no DKIM signature verifies");
    else
        snprintf(dkim_part, sizeof dkim_part, "the mail is not DKIM-signed");
    if (in->spf_pass && in->mail_from_domain)
        snprintf(spf_part, sizeof spf_part, "SPF passes for %s, not for %s",
                 in->mail_from_domain, from);
    else
        snprintf(spf_part, sizeof spf_part, "SPF does not pass for %s",
                 in->mail_from_domain ? in->mail_from_domain : from);
    snprintf(out->why, sizeof out->why, "DMARC fails: %.200s; %.200s", dkim_part, spf_part);
    snprintf(out->fix, sizeof out->fix, "Sign with a DKIM selector on %s (publish its key at "
             "SELECTOR._domainkey.%s), or send with a MAIL FROM on %s that SPF authorises.",
             from, from, from);
}
