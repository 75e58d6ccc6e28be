/* test_rules.c - the rules format: errors with file and line, user rules first, scopes */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fivefifty/classify.h"
#include "fivefifty/rules.h"

static void test_builtin_loads(void **state)
{
    (void)state;
    ff_rules *r = NULL;
    ff_error err;
    assert_int_equal(ff_rules_builtin(&r, &err), FF_OK);
    assert_true(ff_rules_count(r) > 100);
    /* built-in patterns compile before their first match: every one must compile */
    if (ff_rules_check(r, &err) != FF_OK)
        fail_msg("%s", err.msg);
    /* Ids are unique within the built-in set. */
    for (size_t i = 0; i < ff_rules_count(r); i++)
        for (size_t j = i + 1; j < ff_rules_count(r); j++)
            if (strcmp(ff_rules_id(r, i), ff_rules_id(r, j)) == 0)
                fail_msg("rule id %s twice", ff_rules_id(r, i));
    assert_null(ff_rules_id(r, ff_rules_count(r)));
    ff_rules_free(r);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *says;
    } rows[] = {
        {"[a]\nreson = userunknown\n", "u.rules:2"},
        {"reason = userunknown\n", "u.rules:1"},
        {"[a]\ncode = 550\nreason = nosuchreason\n", "u.rules:3"},
        {"[a]\ntext = (unclosed\nreason = blocked\n", "u.rules:2"},
        {"[a]\nreason = blocked\n", "u.rules"},                  /* no condition */
        {"[a]\ncode = 550\n", "u.rules"},                        /* no reason */
        {"[a]\ncode = 550\nreason = blocked\n[a]\ncode = 551\nreason = blocked\n", "u.rules:4"},
        {"[a]\ncode = 999\nreason = blocked\n", "u.rules:2"},
        {"[a]\nstatus = 5.x\nreason = blocked\n", "u.rules:2"},
        {"[a]\ncode = 550\ncode = 551\nreason = blocked\n", "u.rules:3"},
        {"[a]\ncode = 550\nreason = blocked\naction = explode\n", "u.rules:4"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_rules *r = NULL;
        assert_int_equal(ff_rules_builtin(&r, NULL), FF_OK);
        size_t before = ff_rules_count(r);
        ff_error err = {0};
        ff_status st = ff_rules_load_buffer(r, "u.rules", rows[i].text, strlen(rows[i].text), &err);
        if (st != FF_EPARSE || !strstr(err.msg, rows[i].says))
            fail_msg("row %zu: status %d, '%s'", i, (int)st, err.msg);
        /* A broken file adds nothing. */
        assert_int_equal(ff_rules_count(r), before);
        ff_rules_free(r);
    }
}

static void test_user_rules_win(void **state)
{
    (void)state;
    ff_rules *r = NULL;
    assert_int_equal(ff_rules_builtin(&r, NULL), FF_OK);
    const char *reply = "550 5.1.1 user unknown";
    ff_decision d;
    assert_int_equal(ff_classify_reply(r, reply, strlen(reply), "RCPT", &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_USERUNKNOWN);
    /* The user's rule, from a file, is tried first. */
    char path[] = "/tmp/ff-rules-XXXXXX";
    int fd = mkstemp(path);
    const char *mine = "# ours\n[acme-catchall]\ntext = user\n  \\s+unknown\nreason = filtered\n"
                       "action = retry\nfix = Our gateway says this when it is overloaded.\n";
    assert_int_equal(write(fd, mine, strlen(mine)), (ssize_t)strlen(mine));
    close(fd);
    ff_error err;
    assert_int_equal(ff_rules_load_file(r, path, &err), FF_OK);
    unlink(path);
    assert_int_equal(ff_classify_reply(r, reply, strlen(reply), "RCPT", &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_FILTERED);
    assert_int_equal(d.action, FF_ACTION_RETRY);
    assert_string_equal(d.rule, "acme-catchall");
    assert_string_equal(d.fix, "Our gateway says this when it is overloaded.");
    assert_int_equal(ff_rules_load_file(r, "/nonexistent/x.rules", &err), FF_EIO);
    ff_rules_free(r);
}

static void test_scopes(void **state)
{
    (void)state;
    ff_rules *r = NULL;
    assert_int_equal(ff_rules_builtin(&r, NULL), FF_OK);
    const char *mine = "[only-gmail]\nprovider = gmail\nstatus = 5.7.1\nreason = spamdetected\n"
                       "[only-data]\ncommand = DATA\ncode = 5xx\ntext = zzz\nreason = contenterror\n";
    assert_int_equal(ff_rules_load_buffer(r, "m", mine, strlen(mine), NULL), FF_OK);
    ff_decision d;
    ff_classify_input g = {.code = 550, .status = "5.7.1", .text = "no", .remote_host =
                           "mx.google.com"};
    assert_int_equal(ff_classify(r, &g, &d), FF_OK);
    assert_string_equal(d.rule, "only-gmail");
    ff_classify_input o = {.code = 550, .status = "5.7.1", .text = "no", .remote_host =
                           "mx.example.net"};
    assert_int_equal(ff_classify(r, &o, &d), FF_OK);
    assert_string_not_equal(d.rule, "only-gmail");
    ff_classify_input c1 = {.code = 554, .text = "zzz", .command = "DATA"};
    assert_int_equal(ff_classify(r, &c1, &d), FF_OK);
    assert_string_equal(d.rule, "only-data");
    ff_classify_input c2 = {.code = 554, .text = "zzz", .command = "RCPT"};
    assert_int_equal(ff_classify(r, &c2, &d), FF_OK);
    assert_string_not_equal(d.rule, "only-data");
    ff_rules_free(r);
}

/* NONE and "none" name what a bounce left out: the command, the enhanced status. */
static void test_absent_conditions(void **state)
{
    (void)state;
    ff_rules *r = NULL;
    assert_int_equal(ff_rules_builtin(&r, NULL), FF_OK);
    const char *mine = "[no-phase]\ncommand = NONE\nstatus = none x.0.0\ntext = qqq\n"
                       "reason = onhold\n";
    assert_int_equal(ff_rules_load_buffer(r, "m", mine, strlen(mine), NULL), FF_OK);
    ff_decision d;
    ff_classify_input bare = {.code = 550, .text = "qqq"};
    assert_int_equal(ff_classify(r, &bare, &d), FF_OK);
    assert_string_equal(d.rule, "no-phase");
    ff_classify_input x00 = {.code = 550, .status = "5.0.0", .text = "qqq"};
    assert_int_equal(ff_classify(r, &x00, &d), FF_OK);
    assert_string_equal(d.rule, "no-phase");
    ff_classify_input st = {.code = 550, .status = "5.1.1", .text = "qqq"};
    assert_int_equal(ff_classify(r, &st, &d), FF_OK);
    assert_string_not_equal(d.rule, "no-phase");
    ff_classify_input cmd = {.code = 550, .text = "qqq", .command = "RCPT"};
    assert_int_equal(ff_classify(r, &cmd, &d), FF_OK);
    assert_string_not_equal(d.rule, "no-phase");
    ff_rules_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_loads),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_user_rules_win),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_absent_conditions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
