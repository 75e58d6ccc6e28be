/* test_policy.c - retry schedule, breakers, provider thresholds, warm-up budgets */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fivefifty/policy.h"

static void test_retry_schedule(void **state)
{
    (void)state;
    ff_retry_policy p;
    ff_retry_policy_default(&p);
    int64_t t0 = 1000000;
    /* rnd 0.5 = no jitter: 300, 600, 1200, ... capped at 14400. */
    static const struct {
        int attempts;
        int64_t delay;
    } rows[] = {{1, 300}, {2, 600}, {3, 1200}, {4, 2400}, {6, 9600}, {7, 14400}, {30, 14400}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int64_t at = ff_policy_retry_at(&p, rows[i].attempts, t0, t0, 0.5);
        if (at != t0 + rows[i].delay)
            fail_msg("attempt %d: delay %lld", rows[i].attempts, (long long)(at - t0));
    }
    /* Jitter stays within +-20 %. */
    int64_t lo = ff_policy_retry_at(&p, 1, t0, t0, 0.0), hi = ff_policy_retry_at(&p, 1, t0, t0, 0.999);
    assert_int_equal(lo - t0, 240);
    assert_true(hi - t0 >= 359 && hi - t0 <= 360);
    /* Past five days from the first attempt: expired. */
    assert_int_equal(ff_policy_retry_at(&p, 10, t0, t0 + 5 * 86400 - 100, 0.5), -1);
    assert_true(ff_policy_retry_at(&p, 10, t0, t0 + 4 * 86400, 0.5) > 0);
}

static void test_provider_limits(void **state)
{
    (void)state;
    ff_limits l;
    assert_true(ff_provider_limits("gmail", &l));
    assert_true(l.bounce_warn == 0.03 && l.bounce_pause == 0.05);
    assert_true(ff_provider_limits("microsoft", &l));
    assert_true(l.bounce_warn == 0.05 && l.bounce_pause == 0.08);
    assert_false(ff_provider_limits("example", &l));
    assert_true(l.bounce_pause == 0.02);
    assert_true(l.complaint_warn == 0.001 && l.complaint_pause == 0.003);
}

static void test_breaker(void **state)
{
    (void)state;
    ff_limits l;
    ff_provider_limits(NULL, &l);
    char why[200];
    static const struct {
        ff_counts c;
        ff_breaker_state want;
        const char *says;
    } rows[] = {
        {{1000, 990, 10, 0, 0, 0}, FF_BREAKER_OK, ""},            /* 1.0 % */
        {{1000, 984, 16, 0, 0, 0}, FF_BREAKER_WARN, "warning"},   /* 1.6 % */
        {{1000, 969, 31, 0, 0, 0}, FF_BREAKER_PAUSE, "3.1 %"},    /* 3.1 % */
        {{10, 5, 5, 0, 0, 0}, FF_BREAKER_OK, ""},                 /* too few to judge */
        {{1000, 1000, 0, 0, 2, 0}, FF_BREAKER_WARN, "complaint"}, /* 0.2 % */
        {{1000, 1000, 0, 0, 4, 0}, FF_BREAKER_PAUSE, "complaint"},
        {{1000, 800, 0, 0, 0, 200}, FF_BREAKER_PAUSE, "5.7.x"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_breaker_state s = ff_breaker_eval(&rows[i].c, &l, why, sizeof why);
        if (s != rows[i].want || !strstr(why, rows[i].says))
            fail_msg("row %zu: state %d, why '%s'", i, (int)s, why);
    }
    /* Gmail's own thresholds: 4 % warns there instead of pausing. */
    ff_provider_limits("gmail", &l);
    ff_counts c = {1000, 960, 40, 0, 0, 0};
    assert_int_equal(ff_breaker_eval(&c, &l, NULL, 0), FF_BREAKER_WARN);
}

static void test_warmup(void **state)
{
    (void)state;
    static const struct {
        int day;
        uint32_t daily;
    } rows[] = {{0, 10}, {6, 20}, {7, 30}, {13, 50}, {14, 50}, {20, 100}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_warmup w = ff_warmup_budget(rows[i].day, 0, 0, 0);
        if (w.daily != rows[i].daily)
            fail_msg("day %d: %u", rows[i].day, w.daily);
        assert_true(w.per_minute >= 1 && w.per_minute <= w.daily);
    }
    assert_int_equal(ff_warmup_budget(21, 0.001, 100, 0).daily, 150);
    assert_int_equal(ff_warmup_budget(22, 0.001, 150, 0).daily, 225);
    /* A bounce rate over 2 % holds yesterday's budget. */
    assert_int_equal(ff_warmup_budget(22, 0.05, 150, 0).daily, 150);
    assert_int_equal(ff_warmup_budget(40, 0.0, 100000, 5000).daily, 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_schedule),
        cmocka_unit_test(test_provider_limits),
        cmocka_unit_test(test_breaker),
        cmocka_unit_test(test_warmup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
