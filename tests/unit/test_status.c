/* test_status.c - enhanced status codes: syntax, finding one in text, the whole registry */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fivefifty/status.h"

static void test_valid(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool ok;
    } rows[] = {
        {"5.1.1", true},    {"4.7.28", true},  {"5.7.515", true}, {"5.0.944", true},
        {"2.0.0", true},    {"3.1.1", false},  {"5.1", false},    {"5.1.1.1", false},
        {"5.1000.1", false}, {"5.01.1", false}, {"", false},      {"x.1.1", false},
        {"5.1.a", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (ff_status_valid(rows[i].s, strlen(rows[i].s)) != rows[i].ok)
            fail_msg("'%s' should be %s", rows[i].s, rows[i].ok ? "valid" : "invalid");
}

static void test_find(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } rows[] = {
        {"550 5.1.1 user unknown", "5.1.1"},
        {"host said: 550-5.7.26 Unauthenticated", "5.7.26"},
        {"from 192.168.1.10 rejected", ""},          /* an IP address is no status */
        {"Postfix 3.7.11 said 4.4.1 no answer", "4.4.1"},
        {"version 1.2.3.4 only", ""},
        {"#5.1.1 not found", "5.1.1"},
        {"(5.7.515)", "5.7.515"},
        {"nothing here", ""},
        /* dots are where the search looks: one at either end, runs of them, a code at
         * the very start and at the very end */
        {".", ""},
        {"5.1.1", "5.1.1"},
        {"a. b.. 2.. 4.x 5.1 ends 5.2.2", "5.2.2"},
        {"... 4.2.2.", "4.2.2"},
        {"1.2.3 then 2.0.0", "2.0.0"},
        {"x5.1.1 5.1.1", "5.1.1"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[FF_STATUS_MAX];
        long at = ff_status_find(rows[i].text, strlen(rows[i].text), out);
        if (strcmp(out, rows[i].want) != 0 || (at < 0) != (*rows[i].want == '\0'))
            fail_msg("'%s': found '%s' at %ld", rows[i].text, out, at);
    }
}

static void test_registry(void **state)
{
    (void)state;
    size_t n = 0;
    const ff_status_entry *reg = ff_status_registry(&n);
    assert_true(n >= 80);
    for (size_t i = 0; i < n; i++) {
        const ff_status_entry *e = &reg[i];
        assert_non_null(e->name);
        assert_true(strlen(e->name) > 3);
        assert_non_null(e->reference);
        /* Every registered code, in every class it allows, looks up to its own row. */
        for (const char *c = e->classes; *c; c++) {
            char code[FF_STATUS_MAX];
            snprintf(code, sizeof code, "%c%s", *c, e->code + 1);
            assert_true(ff_status_valid(code, strlen(code)));
            const ff_status_entry *got = ff_status_lookup(code);
            if (got != e)
                fail_msg("%s looked up to %s", code, got ? got->code : "NULL");
            assert_int_equal(ff_status_class(code), *c - '0');
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(reg[j].code, e->code) == 0)
                fail_msg("%s is in the registry twice", e->code);
    }
    /* Known rows with their names. */
    assert_string_equal(ff_status_lookup("5.1.1")->name, "Bad destination mailbox address");
    assert_string_equal(ff_status_lookup("5.7.26")->name, "Multiple authentication checks failed");
    assert_string_equal(ff_status_lookup("X.2.2")->name, "Mailbox full");
    /* Unregistered details fall back to the subject's row. */
    assert_string_equal(ff_status_lookup("5.7.515")->code, "X.7.0");
    assert_string_equal(ff_status_lookup("5.1.99")->code, "X.1.0");
    assert_null(ff_status_lookup("9.9.9"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
