/* test_spf.c - SPF on zone data: the trace, the lookup limit, lint findings, macros */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fivefifty/spf.h"

static ff_dns *zone(void)
{
    ff_dns *d = NULL;
    assert_int_equal(ff_dns_new_zone(&d, NULL), FF_OK);
    ff_dns_zone_add(d, "example.com", FF_DNS_TXT,
                    "v=spf1 ip4:192.0.2.0/24 include:_spf.esp.example -all");
    ff_dns_zone_add(d, "_spf.esp.example", FF_DNS_TXT, "v=spf1 a:out.esp.example ~all");
    ff_dns_zone_add(d, "out.esp.example", FF_DNS_A, "198.51.100.9");
    /* Eleven includes deep: over the limit. */
    char name[64], rec[128];
    for (int i = 0; i < 11; i++) {
        snprintf(name, sizeof name, "i%d.example.net", i);
        snprintf(rec, sizeof rec, "v=spf1 include:i%d.example.net -all", i + 1);
        ff_dns_zone_add(d, name, FF_DNS_TXT, rec);
    }
    ff_dns_zone_add(d, "i11.example.net", FF_DNS_TXT, "v=spf1 +all");
    ff_dns_zone_add(d, "two.example.org", FF_DNS_TXT, "v=spf1 -all");
    ff_dns_zone_add(d, "two.example.org", FF_DNS_TXT, "v=spf1 ~all");
    ff_dns_zone_add(d, "open.example.org", FF_DNS_TXT, "v=spf1 ptr +all");
    return d;
}

static void test_results_and_trace(void **state)
{
    (void)state;
    ff_dns *d = zone();
    static const struct {
        const char *ip, *sender;
        ff_spf_result want;
    } rows[] = {
        {"192.0.2.77", "a@example.com", FF_SPF_PASS},
        {"198.51.100.9", "a@example.com", FF_SPF_PASS},
        {"203.0.113.1", "a@example.com", FF_SPF_FAIL},
        {"203.0.113.1", "a@nothing.example", FF_SPF_NONE},
        {"203.0.113.1", "a@i0.example.net", FF_SPF_PERMERROR},
        {"203.0.113.1", "a@two.example.org", FF_SPF_PERMERROR},
        {"2001:db8::1", "a@example.com", FF_SPF_FAIL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_spf_query q = {.ip = rows[i].ip, .sender = rows[i].sender, .helo = "mta.example.com"};
        ff_spf_eval e;
        assert_int_equal(ff_spf_check(d, &q, &e, NULL), FF_OK);
        if (e.result != rows[i].want)
            fail_msg("row %zu: %s (%s)\n%s", i, ff_spf_result_name(e.result), e.problem,
                     e.trace ? e.trace : "");
        if (i == 1) {
            assert_non_null(strstr(e.trace, "include:_spf.esp.example"));
            assert_non_null(strstr(e.trace, "a:out.esp.example matches -> pass"));
            assert_non_null(strstr(e.trace, "lookups in this branch"));
            assert_int_equal(e.lookups, 2);
        }
        if (i == 4) {
            assert_non_null(strstr(e.trace, "over the limit of 10"));
            assert_int_equal(e.lookups, 11);
        }
        ff_spf_eval_clear(&e);
    }
    ff_spf_query bad = {.ip = "not-an-ip", .sender = "a@example.com"};
    ff_spf_eval e;
    assert_int_equal(ff_spf_check(d, &bad, &e, NULL), FF_EINVAL);
    ff_dns_free(d);
}

static void test_lint(void **state)
{
    (void)state;
    ff_dns *d = zone();
    ff_spf_lint_report r;
    assert_int_equal(ff_spf_lint(d, "i0.example.net", &r, NULL), FF_OK);
    assert_true(r.lookups > 10);
    bool over = false;
    for (size_t i = 0; i < r.n; i++)
        over = over || strstr(r.f[i].msg, "over the limit of 10");
    assert_true(over);
    assert_int_equal(ff_spf_lint(d, "open.example.org", &r, NULL), FF_OK);
    bool plus = false, ptr = false;
    for (size_t i = 0; i < r.n; i++) {
        plus = plus || strstr(r.f[i].msg, "+all");
        ptr = ptr || strstr(r.f[i].msg, "ptr");
    }
    assert_true(plus && ptr);
    assert_int_equal(ff_spf_lint(d, "two.example.org", &r, NULL), FF_OK);
    assert_non_null(strstr(r.f[0].msg, "more than one"));
    assert_int_equal(ff_spf_lint(d, "nothing.example", &r, NULL), FF_OK);
    assert_non_null(strstr(r.f[0].msg, "no SPF record"));
    ff_dns_free(d);
}

static void test_macros(void **state)
{
    (void)state;
    ff_spf_macro_ctx c = {.sender = "strong-bad@email.example.com", .local = "strong-bad",
                          .sender_domain = "email.example.com", .domain = "email.example.com",
                          .helo = "mx.example.org", .ip = "192.0.2.3",
                          .addr = {192, 0, 2, 3}};
    /* The examples of RFC 7208 7.4. */
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"%{s}", "strong-bad@email.example.com"},
        {"%{o}", "email.example.com"},
        {"%{d2}", "example.com"},
        {"%{d4}", "email.example.com"},
        {"%{dr}", "com.example.email"},
        {"%{d2r}", "example.email"},
        {"%{l}", "strong-bad"},
        {"%{l-}", "strong.bad"},
        {"%{lr}", "strong-bad"},
        {"%{lr-}", "bad.strong"},
        {"%{l1r-}", "strong"},
        {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
        {"%%%_%-", "% %20"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[256];
        assert_int_equal(ff_spf_macro_expand(rows[i].in, strlen(rows[i].in), &c, false, out,
                                             sizeof out), FF_OK);
        if (strcmp(out, rows[i].out) != 0)
            fail_msg("'%s' -> '%s'", rows[i].in, out);
    }
    char out[64];
    assert_int_equal(ff_spf_macro_expand("%{c}", 4, &c, false, out, sizeof out), FF_EPARSE);
    assert_int_equal(ff_spf_macro_expand("%{c}", 4, &c, true, out, sizeof out), FF_OK);
    assert_int_equal(ff_spf_macro_expand("%x", 2, &c, false, out, sizeof out), FF_EPARSE);
    assert_int_equal(ff_spf_macro_expand("%{d0}", 5, &c, false, out, sizeof out), FF_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_and_trace),
        cmocka_unit_test(test_lint),
        cmocka_unit_test(test_macros),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
