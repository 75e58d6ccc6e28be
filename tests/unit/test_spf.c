/* test_spf.c - SPF on zone data: the trace, the lookup limit, lint findings, macros */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

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
    /* A record that includes itself four times has 4^10 paths to depth 10: the walk reads
     * a bounded number of records (found by fuzz_spf as a 15 s timeout) and still says the
     * count is over the limit. */
    assert_int_equal(ff_dns_new_zone(&d, NULL), FF_OK);
    assert_int_equal(ff_dns_zone_add(d, "loop.example", FF_DNS_TXT,
                                     "v=spf1 include:loop.example include:loop.example "
                                     "include:loop.example redirect=loop.example"), FF_OK);
    assert_int_equal(ff_spf_lint(d, "loop.example", &r, NULL), FF_OK);
    assert_true(r.lookups > 10);
    over = false;
    for (size_t i = 0; i < r.n; i++)
        over = over || strstr(r.f[i].msg, "over the limit of 10");
    assert_true(over);
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

/* More of check_host() on zone text: each row is one rule of RFC 7208 a record can trip. */
static const char more_zone[] =
    "example.com TXT \"v=spf1 ip4:192.0.2.0/24 include:_spf.example.net mx -all "
    "exp=why.example.com\"\n"
    "example.com MX 10 mx.example.com\n"
    "mx.example.com A 198.51.100.7\n"
    "why.example.com TXT \"%{i} is not allowed to send for %{d}\"\n"
    "_spf.example.net TXT \"v=spf1 ip6:2001:db8::/32 a:x.example.net ~all\"\n"
    "x.example.net A 203.0.113.1\n"
    "loop.example.com TXT \"v=spf1 include:loop.example.com -all\"\n"
    "void.example.com TXT \"v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com -all\"\n"
    "slow.example.com TIMEOUT\n"
    "bad.example.com TXT \"v=spf1 ip4:192.0.2.1 ipv4:1.2.3.4 -all\"\n"
    "ptr.example.com TXT \"v=spf1 ptr -all\"\n"
    "7.100.51.198.in-addr.arpa PTR mx.ptr.example.com\n"
    "mx.ptr.example.com A 198.51.100.7\n"
    "redir.example.com TXT \"v=spf1 redirect=example.com\"\n"
    "mac.example.com TXT \"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all\"\n"
    "1.2.0.192.bob._spf.mac.example.com A 127.0.0.2\n"
    "cidr.example.com TXT \"v=spf1 a:x.example.net/24 -all\"\n";

static void test_more_results(void **state)
{
    (void)state;
    static const struct {
        const char *ip, *sender;
        ff_spf_result want;
        const char *explanation;
    } rows[] = {
        {"198.51.100.7", "a@example.com", FF_SPF_PASS, NULL},
        {"198.51.100.99", "a@example.com", FF_SPF_FAIL,
         "198.51.100.99 is not allowed to send for example.com"},
        {"2001:db9::1", "a@example.com", FF_SPF_FAIL,
         "2.0.0.1.0.d.b.9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1 is not allowed to "
         "send for example.com"},
        {"2001:db8::5", "a@example.com", FF_SPF_PASS, NULL},
        {"::ffff:192.0.2.9", "a@example.com", FF_SPF_PASS, NULL},
        {"192.0.2.9", "a@loop.example.com", FF_SPF_PERMERROR, NULL},
        {"192.0.2.9", "a@void.example.com", FF_SPF_PERMERROR, NULL},
        {"192.0.2.9", "a@slow.example.com", FF_SPF_TEMPERROR, NULL},
        {"192.0.2.1", "a@bad.example.com", FF_SPF_PERMERROR, NULL},
        {"198.51.100.7", "a@ptr.example.com", FF_SPF_PASS, NULL},
        {"192.0.2.99", "a@ptr.example.com", FF_SPF_FAIL, NULL},
        {"198.51.100.7", "a@redir.example.com", FF_SPF_PASS, NULL},
        {"192.0.2.1", "bob-smith@mac.example.com", FF_SPF_PASS, NULL},
        {"192.0.2.2", "bob-smith@mac.example.com", FF_SPF_FAIL, NULL},
        {"203.0.113.200", "a@cidr.example.com", FF_SPF_PASS, NULL},
        {"203.0.114.1", "a@cidr.example.com", FF_SPF_FAIL, NULL},
        {"192.0.2.9", "a@singlelabel", FF_SPF_NONE, NULL},
        {"198.51.100.7", "", FF_SPF_PASS, NULL}, /* null sender: postmaster@helo */
    };
    ff_dns *d = NULL;
    ff_error err;
    assert_int_equal(ff_dns_new_zone(&d, NULL), FF_OK);
    if (ff_dns_zone_load(d, more_zone, sizeof more_zone - 1, &err) != FF_OK)
        fail_msg("zone: %s", err.msg);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_spf_query q = {.ip = rows[i].ip, .sender = rows[i].sender, .helo = "example.com"};
        ff_spf_eval e;
        assert_int_equal(ff_spf_check(d, &q, &e, NULL), FF_OK);
        if (e.result != rows[i].want)
            fail_msg("row %zu (%s from %s): %s, want %s (%s)\n%s", i, rows[i].sender,
                     rows[i].ip, ff_spf_result_name(e.result), ff_spf_result_name(rows[i].want),
                     e.problem, e.trace ? e.trace : "");
        if ((e.result == FF_SPF_PERMERROR || e.result == FF_SPF_TEMPERROR) && !e.problem[0])
            fail_msg("row %zu: an error without a problem text", i);
        if (rows[i].explanation && strcasecmp(e.explanation, rows[i].explanation) != 0)
            fail_msg("row %zu: explanation '%s'", i, e.explanation);
        ff_spf_eval_clear(&e);
    }
    ff_dns_free(d);
}

/* Lint on single records: each row is a record and a phrase its findings must hold. */
static void test_lint_rows(void **state)
{
    (void)state;
    static const struct {
        const char *rec, *has;
    } rows[] = {
        {"v=spf1 ip4:192.0.2.1 ipv4:1.2.3.4 -all", "position 22"},
        {"v=spf1 ip4:192.0.2.300 -all", "position 8"},
        {"v=spf1 a:example.com/33 -all", "syntax error"},
        {"v=spf1 include:%{z}.example.com -all", "syntax error"},
        {"v=spf1 mx ?all", "?all"},
        {"v=spf1 mx", "no 'all'"},
        {"v=spf1 ptr -all", "ptr"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_dns *d = NULL;
        assert_int_equal(ff_dns_new_zone(&d, NULL), FF_OK);
        assert_int_equal(ff_dns_zone_add(d, "example.com", FF_DNS_TXT, rows[i].rec), FF_OK);
        ff_spf_lint_report r;
        assert_int_equal(ff_spf_lint(d, "example.com", &r, NULL), FF_OK);
        bool found = false;
        for (size_t k = 0; k < r.n; k++)
            found = found || strstr(r.f[k].msg, rows[i].has);
        if (!found)
            fail_msg("row %zu (%s): no finding with '%s'; first: %s", i, rows[i].rec,
                     rows[i].has, r.n ? r.f[0].msg : "(none)");
        ff_dns_free(d);
    }
    /* Sizes: three records of about 300, 480 and 600 bytes. */
    static const struct {
        size_t size;
        const char *has;
    } sizes[] = {{300, "255"}, {480, "450"}, {600, "512"}};
    for (size_t i = 0; i < 3; i++) {
        char rec[700] = "v=spf1";
        while (strlen(rec) + 18 < sizes[i].size)
            strcat(rec, " ip4:192.0.2.1/32");
        strcat(rec, " -all");
        ff_dns *d = NULL;
        assert_int_equal(ff_dns_new_zone(&d, NULL), FF_OK);
        /* Published as strings of at most 255 bytes, as a zone must. */
        const char *parts[3];
        char buf[3][256];
        size_t len = strlen(rec), n = 0;
        for (size_t off = 0; off < len; off += 255, n++) {
            snprintf(buf[n], sizeof buf[n], "%.255s", rec + off);
            parts[n] = buf[n];
        }
        assert_int_equal(ff_dns_zone_add_txt(d, "example.com", parts, n), FF_OK);
        ff_spf_lint_report r;
        assert_int_equal(ff_spf_lint(d, "example.com", &r, NULL), FF_OK);
        bool found = false;
        for (size_t k = 0; k < r.n; k++)
            found = found || strstr(r.f[k].msg, sizes[i].has);
        if (!found)
            fail_msg("%zu bytes: no finding with '%s'", len, sizes[i].has);
        ff_dns_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_and_trace),
        cmocka_unit_test(test_lint),
        cmocka_unit_test(test_macros),
        cmocka_unit_test(test_more_results),
        cmocka_unit_test(test_lint_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
