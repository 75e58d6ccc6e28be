/* test_rules.c - the rules format: errors with file and line, user rules first, scopes */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
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

/* Each condition alone, through the whole matcher: the rule "[mine]" (text "qqzzq") must
 * hit exactly the queries its conditions allow, whatever the shortcuts inside (a gate per
 * rule, sharing bits among providers past the first few dozen). */
static void test_conditions(void **state)
{
    (void)state;
    static const struct {
        const char *cond;
        int code;
        const char *status, *command, *provider;
        bool hit;
    } rows[] = {
        {"status = 5.7.26", 550, "5.7.26", NULL, NULL, true},
        {"status = 5.7.26", 550, "5.7.2", NULL, NULL, false},
        {"status = 5.7.26", 550, "4.7.26", NULL, NULL, false},
        {"status = 5.7.26", 550, NULL, NULL, NULL, false},
        {"status = x.10.*", 550, "4.10.3", NULL, NULL, true},
        {"status = x.10.*", 550, "4.9.3", NULL, NULL, false},
        {"status = 5.*.*", 550, "5.3.0", NULL, NULL, true},
        {"status = 5.*.*", 550, NULL, NULL, NULL, false},
        {"status = none 4.4.7", 550, NULL, NULL, NULL, true},
        {"status = none 4.4.7", 450, "4.4.7", NULL, NULL, true},
        {"status = none 4.4.7", 550, "5.4.7", NULL, NULL, false},
        {"status = 2.1.5 4.2.2", 450, "4.1.5", NULL, NULL, false}, /* class of one, subject of the other */
        {"code = 2xx", 250, NULL, NULL, NULL, true},
        {"code = 2xx", 0, NULL, NULL, NULL, false},
        {"code = 2xx", 354, NULL, NULL, NULL, false},
        {"code = 2xx", 600, NULL, NULL, NULL, false},
        {"code = 550 421", 421, NULL, NULL, NULL, true},
        {"code = 550 421", 450, NULL, NULL, NULL, false},
        {"command = DATA BDAT", 550, NULL, "bdat", NULL, true},
        {"command = DATA", 550, NULL, NULL, NULL, false},
        {"command = NONE", 550, NULL, NULL, NULL, true},
        {"command = RCPT", 550, NULL, "XFOO", NULL, false},
        {"provider = p40", 550, NULL, NULL, "p40", true},
        {"provider = p40", 550, NULL, NULL, "p41", false},
        {"provider = p3 p39", 550, NULL, NULL, "p39", true},
        {"provider = p3", 550, NULL, NULL, "", false},
        {"code = 5xx", 550, "5.1.1", "RCPT", "p12", true},
    };
    /* forty providers named before, so the later ones share their gate bits */
    char many[4096] = "";
    for (int i = 1; i <= 40; i++) {
        size_t n = strlen(many);
        snprintf(many + n, sizeof many - n, "[p%d]\nprovider = p%d\ntext = never-%d\n"
                 "reason = onhold\n", i, i, i);
    }
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_rules *r = NULL;
        assert_int_equal(ff_rules_builtin(&r, NULL), FF_OK);
        ff_error err = {0};
        if (ff_rules_load_buffer(r, "many", many, strlen(many), &err) != FF_OK)
            fail_msg("%s", err.msg);
        char mine[256];
        snprintf(mine, sizeof mine, "[mine]\n%s\ntext = qqzzq\nreason = onhold\n",
                 rows[i].cond);
        if (ff_rules_load_buffer(r, "m", mine, strlen(mine), &err) != FF_OK)
            fail_msg("%s", err.msg);
        ff_rules_query q = {.code = rows[i].code, .status = rows[i].status,
                            .text = "qqzzq", .text_len = 5, .command = rows[i].command,
                            .provider = rows[i].provider};
        ff_rules_hit hit;
        ff_status st = ff_rules_match(r, &q, &hit);
        bool got = st == FF_OK && strcmp(hit.id, "mine") == 0;
        if (got != rows[i].hit)
            fail_msg("row %zu (%s): hit %d, want %d", i, rows[i].cond, got, rows[i].hit);
        ff_rules_free(r);
    }
}

/* A pattern is interpreted until it has run often, then JIT-compiled into a copy that is
 * published while other threads go on matching: the answers must not change at the switch,
 * whichever thread makes it. Each text below holds the pattern's words, so the word
 * prefilter lets both through and PCRE2 decides every time. */
struct hot_job {
    const ff_rules *r;
    int wrong;
};

static void *hot_worker(void *arg)
{
    struct hot_job *j = arg;
    static const char yes[] = "452 4.2.2 quota   exceeded for this mailbox";
    static const char no[] = "452 4.2.2 the quota was exceeded yesterday";
    for (int i = 0; i < 300; i++) {
        const char *t = i % 2 ? no : yes;
        ff_rules_query q = {.code = 452, .status = "4.2.2", .text = t, .text_len = strlen(t)};
        ff_rules_hit hit;
        bool mine = ff_rules_match(j->r, &q, &hit) == FF_OK && strcmp(hit.id, "hot") == 0;
        if (mine != (t == yes))
            j->wrong++;
    }
    return NULL;
}

static void test_hot_pattern(void **state)
{
    (void)state;
    ff_rules *r = NULL;
    assert_int_equal(ff_rules_builtin(&r, NULL), FF_OK);
    const char *mine = "[hot]\ntext = quota\\s+exceeded\\b\nreason = mailboxfull\n";
    ff_error err;
    if (ff_rules_load_buffer(r, "hot.rules", mine, strlen(mine), &err) != FF_OK)
        fail_msg("%s", err.msg);
    struct hot_job jobs[4];
    pthread_t t[4];
    for (int k = 0; k < 4; k++) {
        jobs[k] = (struct hot_job){r, 0};
        assert_int_equal(pthread_create(&t[k], NULL, hot_worker, &jobs[k]), 0);
    }
    for (int k = 0; k < 4; k++) {
        pthread_join(t[k], NULL);
        if (jobs[k].wrong)
            fail_msg("thread %d: %d wrong answers", k, jobs[k].wrong);
    }
    /* and again on this thread, the pattern long hot by now */
    struct hot_job again = {r, 0};
    hot_worker(&again);
    assert_int_equal(again.wrong, 0);
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
        cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_hot_pattern),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
