/* test_audit.c - the sender audit on zone data: the problems issue 3 names (a domain over
 * the SPF lookup limit, a broken DKIM key, a misaligned DMARC setup, a listed IP, a null
 * MX) each show as a failing item with a fix; DMARC records and alignment on their own */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fivefifty/audit.h"
#include "fivefifty/dmarc.h"
#include "fivefifty/dnsbl.h"

static const ff_audit_item *find(const ff_audit *a, const char *check, const char *status)
{
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->v[i].check, check) && (!status || !strcmp(a->v[i].status, status)))
            return &a->v[i];
    return NULL;
}

static ff_dns *zone(void)
{
    ff_dns *d = NULL;
    assert_int_equal(ff_dns_new_zone(&d, NULL), FF_OK);
    /* over.example: 11 lookups through includes */
    ff_dns_zone_add(d, "over.example", FF_DNS_TXT, "v=spf1 include:a.over.example include:b.over.example -all");
    ff_dns_zone_add(d, "a.over.example", FF_DNS_TXT, "v=spf1 a mx ptr exists:x.over.example a:y.over.example -all");
    ff_dns_zone_add(d, "b.over.example", FF_DNS_TXT, "v=spf1 a mx a:z.over.example a:w.over.example -all");
    ff_dns_zone_add(d, "over.example", FF_DNS_MX, "0 .");
    /* shop.example: good SPF, a broken key, DMARC, DKIM only for the ESP */
    ff_dns_zone_add(d, "shop.example", FF_DNS_TXT, "v=spf1 ip4:192.0.2.10 -all");
    ff_dns_zone_add(d, "s1._domainkey.shop.example", FF_DNS_TXT,
                    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQH\" \"Og7hcvPapiMlrwIaaPcHURo=");
    ff_dns_zone_add(d, "_dmarc.shop.example", FF_DNS_TXT,
                    "v=DMARC1; p=reject; rua=mailto:d@shop.example,mailto:r@reports.example,mailto:x@other.example");
    ff_dns_zone_add(d, "shop.example._report._dmarc.reports.example", FF_DNS_TXT, "v=DMARC1");
    ff_dns_zone_add(d, "shop.example", FF_DNS_MX, "10 mx.shop.example");
    ff_dns_zone_add(d, "mx.shop.example", FF_DNS_A, "192.0.2.20");
    ff_dns_zone_add(d, "10.2.0.192.in-addr.arpa", FF_DNS_PTR, "mail.shop.example");
    ff_dns_zone_add(d, "mail.shop.example", FF_DNS_A, "192.0.2.10");
    ff_dns_zone_add(d, "10.2.0.192.bl.test", FF_DNS_A, "127.0.0.2");
    ff_dns_zone_add(d, "10.2.0.192.zen.spamhaus.org", FF_DNS_A, "127.255.255.254");
    return d;
}

static void test_audit(void **state)
{
    (void)state;
    ff_dns *d = zone();
    ff_audit a;
    ff_dnsbl_list lists[] = {{"bl.test", "test list", false, "https://bl.test/remove"},
                             {"zen.spamhaus.org", "ZEN", false, "https://check.spamhaus.org/"}};
    const char *sel[] = {"s1"};
    ff_audit_opts o = {.domain = "shop.example", .ip = "192.0.2.10", .helo = "mail.shop.example",
                       .from = "news@news.shop-mail.example", .selectors = sel, .nselectors = 1,
                       .lists = lists, .nlists = 2};
    assert_int_equal(ff_audit_run(d, NULL, &o, &a, NULL), FF_OK);
    assert_non_null(find(&a, "spf.ip", "pass"));
    const ff_audit_item *k = find(&a, "dkim.s1", "fail");
    assert_non_null(k);
    assert_true(k->fix[0] != '\0');
    assert_non_null(find(&a, "ptr.fcrdns", "pass"));
    const ff_audit_item *bl = find(&a, "dnsbl.bl.test", "fail");
    assert_non_null(bl);
    assert_non_null(strstr(bl->fix, "https://bl.test/remove"));
    /* Spamhaus's 127.255.255.254 is an error, never a listing. */
    assert_non_null(find(&a, "dnsbl.zen.spamhaus.org", "error"));
    /* From is on another domain than the one SPF and DKIM cover: misaligned. */
    const ff_audit_item *al = find(&a, "dmarc.alignment", "fail");
    assert_non_null(al);
    assert_non_null(strstr(al->detail, "not for news.shop-mail.example"));
    assert_true(ff_audit_failed(&a));
    ff_audit_clear(&a);
    /* Reports to another domain need its consent: reports.example gave it, other.example
     * did not. */
    ff_audit_opts o3 = {.domain = "shop.example"};
    assert_int_equal(ff_audit_run(d, NULL, &o3, &a, NULL), FF_OK);
    const ff_audit_item *rua = find(&a, "dmarc.rua", "warn");
    assert_non_null(rua);
    assert_non_null(strstr(rua->detail, "other.example"));
    assert_non_null(find(&a, "dmarc.rua", "pass"));
    ff_audit_clear(&a);
    ff_audit_opts o2 = {.domain = "over.example"};
    assert_int_equal(ff_audit_run(d, NULL, &o2, &a, NULL), FF_OK);
    const ff_audit_item *lim = find(&a, "spf.lookups", "fail");
    assert_non_null(lim);
    assert_non_null(strstr(lim->detail, "11 DNS-querying terms"));
    assert_non_null(find(&a, "mx.null", "warn"));
    assert_non_null(find(&a, "dmarc.record", "fail"));
    ff_audit_clear(&a);
    ff_dns_free(d);
}

static void test_dmarc(void **state)
{
    (void)state;
    ff_dmarc_record r;
    ff_error err;
    const char *ok = "v=DMARC1; p=quarantine; sp=reject; pct=50; rua=mailto:a@x.example; adkim=s";
    assert_int_equal(ff_dmarc_parse(ok, strlen(ok), &r, &err), FF_OK);
    assert_string_equal(r.p, "quarantine");
    assert_string_equal(r.sp, "reject");
    assert_int_equal(r.pct, 50);
    assert_true(r.adkim_strict);
    const char *bad = "p=reject; v=DMARC1";
    assert_int_equal(ff_dmarc_parse(bad, strlen(bad), &r, &err), FF_EPARSE);
    const char *lint = "v=DMARC1; p=maybe; pct=150; rua=https://x.example; foo=bar";
    assert_int_equal(ff_dmarc_parse(lint, strlen(lint), &r, &err), FF_OK);
    assert_true(r.nf >= 4);
    /* Alignment: relaxed passes for a subdomain, strict does not; DKIM for another domain
     * fails with a reason that names both. */
    ff_dmarc_record relaxed = {.pct = 100}, strict = {.pct = 100, .adkim_strict = true};
    const char *dom[] = {"mail.example.com"};
    bool pass[] = {true};
    ff_dmarc_input in = {.from_domain = "example.com", .mail_from_domain = "bounce.esp.example",
                         .spf_pass = true, .dkim_domains = dom, .dkim_pass = pass, .ndkim = 1};
    ff_dmarc_verdict v;
    ff_dmarc_align(NULL, &relaxed, &in, &v);
    assert_true(v.pass && v.dkim_aligned && !v.spf_aligned);
    ff_dmarc_align(NULL, &strict, &in, &v);
    assert_false(v.pass);
    const char *esp[] = {"esp-provider.net"};
    in.dkim_domains = esp;
    ff_dmarc_align(NULL, &relaxed, &in, &v);
    assert_false(v.pass);
    assert_non_null(strstr(v.why, "DKIM passes for esp-provider.net, not for example.com"));
    assert_non_null(strstr(v.fix, "selector on example.com"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit),
        cmocka_unit_test(test_dmarc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
