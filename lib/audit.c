/* audit.c - the sender audit: each check adds items (see include/fivefifty/audit.h)
 *
 * The order is the order a postmaster would fix things in: the records first (SPF, DKIM,
 * DMARC), then whether they agree (alignment), then the infrastructure (MX, PTR,
 * blocklists), then the providers' checklists, which are summaries of the items above.
 */
#include "fivefifty/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/dkim.h"
#include "fivefifty/dmarc.h"
#include "fivefifty/mx.h"
#include "fivefifty/ptr.h"
#include "fivefifty/spf.h"

static void item(ff_audit *a, const char *check, const char *status, const char *fix,
                 const char *fmt, ...)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        ff_audit_item *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return;
        a->v = v;
        a->cap = cap;
    }
    ff_audit_item *it = &a->v[a->n++];
    memset(it, 0, sizeof *it);
    snprintf(it->check, sizeof it->check, "%s", check);
    snprintf(it->status, sizeof it->status, "%s", status);
    snprintf(it->fix, sizeof it->fix, "%s", fix ? fix : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->detail, sizeof it->detail, fmt, ap);
    va_end(ap);
}

static const char *sev3(int s)
{
    return s >= 2 ? "fail" : s == 1 ? "warn" : "pass";
}

typedef struct facts {
    bool spf_record, spf_pass, spf_known;
    bool dkim_ok;
    bool dmarc_record, aligned, ptr_ok;
    char dkim_domain[256];
} facts;

static void check_spf(ff_dns *dns, const ff_audit_opts *o, ff_audit *a, facts *f)
{
    ff_spf_lint_report r;
    ff_spf_lint(dns, o->domain, &r, NULL);
    f->spf_record = r.record[0] != '\0';
    if (f->spf_record)
        item(a, "spf.record", "pass", NULL, "%s publishes \"%s\" (%d DNS-querying terms)",
             o->domain, r.record, r.lookups);
    for (size_t i = 0; i < r.n; i++)
        item(a, r.f[i].severity == FF_SPF_FAIL_LINT && strstr(r.f[i].msg, "limit of 10")
                    ? "spf.lookups" : "spf.lint",
             r.f[i].severity == FF_SPF_FAIL_LINT ? "fail"
             : r.f[i].severity == FF_SPF_WARN   ? "warn" : "pass",
             r.f[i].fix, "%s", r.f[i].msg);
    if (!o->ip)
        return;
    char sender[320];
    snprintf(sender, sizeof sender, "postmaster@%s", o->domain);
    ff_spf_query q = {.ip = o->ip, .sender = sender, .helo = o->helo, .domain = o->domain};
    ff_spf_eval e;
    if (ff_spf_check(dns, &q, &e, NULL) != FF_OK)
        return;
    f->spf_known = true;
    f->spf_pass = e.result == FF_SPF_PASS;
    const char *st = e.result == FF_SPF_PASS                                    ? "pass"
                     : e.result == FF_SPF_TEMPERROR                             ? "error"
                     : e.result == FF_SPF_FAIL || e.result == FF_SPF_PERMERROR ? "fail"
                                                                                : "warn";
    char detail[400];
    snprintf(detail, sizeof detail, "spf=%s for %.100s from %.60s%s%.150s%s",
             ff_spf_result_name(e.result), o->domain, o->ip, e.matched[0] ? " (matched " : "",
             e.matched, e.matched[0] ? ")" : "");
    item(a, "spf.ip", st, f->spf_pass ? NULL
                          : "Add the sending IP (ip4:/ip6:) or your provider's include: to the "
                            "SPF record, keeping it under 10 lookups.",
         "%s%s%s", detail, e.problem[0] ? ": " : "", e.problem);
    ff_spf_eval_clear(&e);
}

typedef struct keyctx {
    ff_dns *dns;
} keyctx;

static void check_dkim(ff_dns *dns, const ff_audit_opts *o, ff_audit *a, facts *f)
{
    if (o->nselectors == 0) {
        item(a, "dkim.selector", "warn", "Run check with --selector NAME for each selector "
             "you sign with.", "no DKIM selector given, so no key was checked");
        return;
    }
    for (size_t i = 0; i < o->nselectors; i++) {
        char name[400], check[64];
        snprintf(name, sizeof name, "%s._domainkey.%s", o->selectors[i], o->domain);
        snprintf(check, sizeof check, "dkim.%s", o->selectors[i]);
        ff_dns_answer ans;
        if (ff_dns_query(dns, name, FF_DNS_TXT, &ans) != FF_OK)
            continue;
        if (ans.result == FF_DNS_TEMPFAIL) {
            item(a, check, "error", "Check the domain's name servers.", "the DNS did not "
                 "answer for %s", name);
        } else if (ans.result != FF_DNS_OK || ans.n == 0) {
            item(a, check, "fail", "Publish the public key at this name (fivefifty dkim keygen "
                 "prints the record).", "no key record at %s", name);
        } else {
            ff_dkim_key k;
            ff_status st = ff_dkim_key_parse(ans.rrs[0].text, strlen(ans.rrs[0].text), &k, NULL);
            ff_severity worst = ff_dkim_key_worst(&k);
            if (st == FF_OK && !k.revoked) {
                f->dkim_ok = true;
                snprintf(f->dkim_domain, sizeof f->dkim_domain, "%s", o->domain);
            }
            if (k.nfindings == 0)
                item(a, check, "pass", NULL, "%s: %s key, %d bits", name,
                     k.alg == FF_DKIM_ED25519_SHA256 ? "ed25519" : "rsa", k.bits);
            for (size_t j = 0; j < k.nfindings; j++)
                item(a, check, ff_severity_name(k.findings[j].severity)[0] == 'i' ? "pass"
                               : ff_severity_name(k.findings[j].severity),
                     k.findings[j].fix, "%s: %s", name, k.findings[j].msg);
            (void)worst;
            ff_dkim_key_clear(&k);
        }
        ff_dns_answer_clear(&ans);
    }
}

/* RFC 7489 7.1: reports to an address outside the policy's organisational domain need that
 * domain's consent, a "v=DMARC1" TXT at <policy-domain>._report._dmarc.<its domain>;
 * without it, receivers send no aggregate reports there. */
static void check_rua(ff_dns *dns, const ff_orgdomain *od, const char *policy_domain,
                      const char *rua, ff_audit *a)
{
    char list[512];
    snprintf(list, sizeof list, "%s", rua);
    char *save = NULL;
    for (char *u = strtok_r(list, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
        while (*u == ' ')
            u++;
        const char *at = strchr(u, '@');
        if (strncasecmp(u, "mailto:", 7) != 0 || !at)
            continue;
        char dom[256];
        snprintf(dom, sizeof dom, "%.*s", (int)strcspn(at + 1, "!> "), at + 1);
        if (ff_orgdomain_same(od, dom, policy_domain))
            continue;
        char name[600];
        snprintf(name, sizeof name, "%s._report._dmarc.%s", policy_domain, dom);
        ff_dns_answer ans;
        if (ff_dns_query(dns, name, FF_DNS_TXT, &ans) != FF_OK)
            continue;
        bool ok = false;
        for (size_t i = 0; i < ans.n; i++)
            ok = ok || (ans.rrs[i].text && !strncmp(ans.rrs[i].text, "v=DMARC1", 8));
        if (ans.result == FF_DNS_TEMPFAIL)
            item(a, "dmarc.rua", "error", "Try again; the DNS did not answer.",
                 "could not check %s", name);
        else if (!ok) {
            char fix[400];
            snprintf(fix, sizeof fix, "Ask %.60s to publish \"v=DMARC1\" at %.200s, or send "
                     "reports to your own domain.", dom, name);
            item(a, "dmarc.rua", "warn", fix, "rua= sends reports to %s, which has not "
                 "authorised it (no record at %s): receivers will not send them", dom, name);
        } else {
            item(a, "dmarc.rua", "pass", NULL, "%s accepts reports for %s", dom, policy_domain);
        }
        ff_dns_answer_clear(&ans);
    }
}

static void check_dmarc(ff_dns *dns, const ff_orgdomain *od, const ff_audit_opts *o,
                        ff_audit *a, facts *f)
{
    const char *from_domain = o->from && strchr(o->from, '@') ? strrchr(o->from, '@') + 1
                                                              : o->domain;
    ff_dmarc_record rec;
    char at[300] = "";
    ff_error err = {0};
    ff_status st = ff_dmarc_discover(dns, od, from_domain, &rec, at, sizeof at, &err);
    if (st == FF_ENOTFOUND)
        item(a, "dmarc.record", "fail", "Publish \"v=DMARC1; p=none; rua=mailto:...\" at "
             "_dmarc of your domain, then tighten p= as reports allow. Google and Yahoo require "
             "DMARC of bulk senders.", "no DMARC policy for %s", from_domain);
    else if (st == FF_EIO)
        item(a, "dmarc.record", "error", "Check the domain's name servers.", "%s", err.msg);
    else if (st != FF_OK)
        item(a, "dmarc.record", "fail", "Fix the record to start with v=DMARC1.", "%s", err.msg);
    else {
        f->dmarc_record = true;
        item(a, "dmarc.record", "pass", NULL, "policy p=%s at %s", rec.p[0] ? rec.p : "?", at);
        for (size_t i = 0; i < rec.nf; i++)
            item(a, "dmarc.lint", sev3(rec.f[i].severity), rec.f[i].fix, "%s", rec.f[i].msg);
        check_rua(dns, od, at + 7, rec.rua, a);
    }
    /* Alignment, from what this audit can know: SPF for the domain checked (with --ip),
     * DKIM for the selectors checked (d= is the domain checked). */
    const char *dk[1] = {f->dkim_domain};
    bool dkp[1] = {f->dkim_ok};
    ff_dmarc_input in = {.from_domain = from_domain, .mail_from_domain = o->domain,
                         .spf_pass = f->spf_pass, .dkim_domains = dk, .dkim_pass = dkp,
                         .ndkim = f->dkim_ok ? 1 : 0};
    ff_dmarc_verdict v;
    ff_dmarc_align(od, st == FF_OK ? &rec : NULL, &in, &v);
    f->aligned = v.pass;
    if (!f->spf_known && !f->dkim_ok)
        item(a, "dmarc.alignment", "warn", "Give --ip and --selector so alignment can be "
             "judged.", "alignment not judged: no IP and no valid DKIM key to go on");
    else
        item(a, "dmarc.alignment", v.pass ? (v.dkim_aligned ? "pass" : "warn") : "fail", v.fix,
             "%s", v.why);
}

static void check_mx(ff_dns *dns, const ff_audit_opts *o, ff_audit *a)
{
    ff_mx mx;
    if (ff_mx_lookup(dns, o->domain, true, &mx, NULL) != FF_OK)
        return;
    if (mx.null_mx) {
        item(a, "mx.null", "warn", "If people reply to this domain, publish real MX records; "
             "a null MX is right only for domains that never receive mail.",
             "%s publishes a null MX (RFC 7505): replies and bounces to it are refused",
             o->domain);
        return;
    }
    if (mx.result == FF_DNS_TEMPFAIL) {
        item(a, "mx.records", "error", "Check the domain's name servers.", "the MX lookup "
             "timed out or failed");
        return;
    }
    if (mx.n == 0) {
        item(a, "mx.records", "fail", "Publish MX records: bounces, complaints and replies need "
             "somewhere to go, and receivers check the sender domain accepts mail.",
             "%s has no MX and no address", o->domain);
        return;
    }
    char list[400] = "";
    for (size_t i = 0; i < mx.n; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%d %s", i ? ", " : "", mx.hosts[i].pref,
                 mx.hosts[i].name);
        if (mx.hosts[i].ip_literal)
            item(a, "mx.target", "fail", "Point MX at a host name with an A/AAAA record.",
                 "MX %s is an IP address, not a host name", mx.hosts[i].name);
        if (mx.hosts[i].cname)
            item(a, "mx.target", "warn", "Point MX at the canonical name (RFC 2181 10.3).",
                 "MX %s is an alias (CNAME)", mx.hosts[i].name);
        if (mx.hosts[i].no_address && !mx.hosts[i].ip_literal)
            item(a, "mx.target", "fail", "Give the MX host an A or AAAA record.",
                 "MX %s has no address", mx.hosts[i].name);
    }
    item(a, "mx.records", mx.hosts[0].implicit ? "warn" : "pass",
         mx.hosts[0].implicit ? "Publish an MX record rather than relying on the implicit one."
                              : NULL,
         "%s%s", mx.hosts[0].implicit ? "no MX; mail goes to the domain's address: " : "MX ",
         list);
}

static void check_ptr(ff_dns *dns, const ff_audit_opts *o, ff_audit *a, facts *f)
{
    ff_ptr p;
    if (!o->ip || ff_ptr_check(dns, o->ip, o->helo, &p, NULL) != FF_OK)
        return;
    if (p.n == 0)
        item(a, "ptr.record", p.result == FF_DNS_TEMPFAIL ? "error" : "fail",
             "Ask whoever owns the IP (your host or ISP) for a PTR record naming your mail "
             "server, and give that name an A record with this IP.",
             "%s has no PTR record: Gmail, Microsoft and Yahoo reject or junk such mail", o->ip);
    else if (!p.confirmed[0])
        item(a, "ptr.fcrdns", "fail", "Give the PTR name an A/AAAA record with this IP.",
             "%s has PTR %s, but that name does not resolve back to it", o->ip, p.names[0]);
    else {
        f->ptr_ok = true;
        item(a, "ptr.fcrdns", "pass", NULL, "%s <-> %s (forward-confirmed)", o->ip, p.confirmed);
    }
    if (p.helo_given && !p.helo_resolves_to_ip)
        item(a, "ptr.helo", "warn", "Use an EHLO name that resolves to the sending IP (the PTR "
             "name is a good choice).", "the HELO name %s does not resolve to %s", o->helo,
             o->ip);
}

static void check_dnsbl(ff_dns *dns, const ff_audit_opts *o, ff_audit *a)
{
    size_t n = o->nlists;
    const ff_dnsbl_list *lists = o->lists;
    if (!lists)
        lists = ff_dnsbl_defaults(&n);
    for (size_t i = 0; i < n; i++) {
        const char *subject = lists[i].domains ? o->domain : o->ip;
        if (!subject)
            continue;
        ff_dnsbl_hit h;
        char check[160];
        snprintf(check, sizeof check, "dnsbl.%s", lists[i].zone);
        if (ff_dnsbl_check(dns, &lists[i], subject, &h, NULL) != FF_OK)
            continue;
        if (h.state == FF_DNSBL_LISTED) {
            char fix[320];
            snprintf(fix, sizeof fix, "Find and stop the cause, then request removal: %s",
                     h.removal);
            item(a, check, "fail", fix, "%s is listed (%s: %s)", subject, h.code, h.meaning);
        } else if (h.state == FF_DNSBL_ERROR) {
            item(a, check, "error", "Query the list through your own resolver.", "%s: %s",
                 lists[i].zone, h.meaning);
        } else {
            item(a, check, "pass", NULL, "%s is not listed", subject);
        }
    }
}

static void check_providers(const ff_audit_opts *o, ff_audit *a, const facts *f)
{
    static const char *const names[] = {"google", "microsoft", "yahoo"};
    for (int i = 0; i < 3; i++) {
        char check[64], missing[300] = "";
        size_t l = 0;
#define MISS(cond, what) \
    if (!(cond))         \
    l += (size_t)snprintf(missing + l, sizeof missing - l, "%s%s", l ? ", " : "", what)
        MISS(f->spf_record && (!f->spf_known || f->spf_pass), "SPF");
        MISS(f->dkim_ok, "DKIM");
        MISS(f->dmarc_record, "DMARC");
        MISS(f->aligned || (!f->spf_known && !f->dkim_ok), "alignment");
        MISS(!o->ip || f->ptr_ok, "PTR/FCrDNS");
#undef MISS
        snprintf(check, sizeof check, "provider.%s", names[i]);
        item(a, check, missing[0] ? "fail" : "pass",
             "Bulk senders also need one-click unsubscribe (RFC 8058: fivefifty adds it on bulk "
             "streams) and a spam rate under 0.3 % (fivefifty pauses a stream at 0.3 %).",
             missing[0] ? "%s's sender requirements not met: %s" : "%s's sender requirements "
             "met by the DNS setup%s", names[i], missing);
    }
}

ff_status ff_audit_run(ff_dns *dns, const ff_orgdomain *od, const ff_audit_opts *o,
                       ff_audit *out, ff_error *err)
{
    memset(out, 0, sizeof *out);
    if (!dns || !o || !o->domain || !*o->domain)
        return ff_error_set(err, FF_EINVAL, "audit: need a resolver and a domain");
    facts f = {0};
    check_spf(dns, o, out, &f);
    check_dkim(dns, o, out, &f);
    check_dmarc(dns, od, o, out, &f);
    check_mx(dns, o, out);
    check_ptr(dns, o, out, &f);
    check_dnsbl(dns, o, out);
    check_providers(o, out, &f);
    return FF_OK;
}

void ff_audit_clear(ff_audit *a)
{
    if (!a)
        return;
    free(a->v);
    memset(a, 0, sizeof *a);
}

bool ff_audit_failed(const ff_audit *a)
{
    for (size_t i = 0; a && i < a->n; i++)
        if (!strcmp(a->v[i].status, "fail") || !strcmp(a->v[i].status, "error"))
            return true;
    return false;
}
