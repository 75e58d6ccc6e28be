/* test_store.c - the SQLite store: migrations, enqueue and claim with leases, attempts,
 * suppression scopes and domains, states, counters, VERP secret, and the address and
 * suppression-policy modules on top of it */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fivefifty/address.h"
#include "fivefifty/queue.h"
#include "fivefifty/store.h"
#include "fivefifty/suppress.h"

static char path[64];

static ff_store *fresh(void)
{
    snprintf(path, sizeof path, "/tmp/ff-store-test-%d.db", (int)getpid());
    unlink(path);
    char wal[80];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    ff_store *s = NULL;
    ff_error err;
    if (ff_store_open(path, &s, &err) != FF_OK)
        fail_msg("open: %s", err.msg);
    return s;
}

static void test_queue_lifecycle(void **state)
{
    (void)state;
    ff_store *s = fresh();
    const char *rc[] = {"a@example.org", "b@example.org"};
    ff_message_in m = {.stream = "outreach", .mail_from = "news@example.com",
                       .message_id = "<m1@example.com>", .raw = "Subject: x\r\n\r\nhi\r\n",
                       .raw_len = 17, .rcpts = rc, .nrcpt = 2};
    int64_t id = 0;
    assert_int_equal(ff_store_enqueue(s, &m, 1000, &id, NULL), FF_OK);
    assert_true(id > 0);
    ff_queue_item *it = NULL;
    size_t n = 0;
    /* Claim both; a second claim within the lease gets nothing. */
    assert_int_equal(ff_store_claim(s, 1000, 600, 10, NULL, &it, &n, NULL), FF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(it[0].state, "queued");
    assert_string_equal(it[0].stream, "outreach");
    int64_t r0 = it[0].id, r1 = it[1].id;
    ff_queue_items_free(it, n);
    assert_int_equal(ff_store_claim(s, 1100, 600, 10, NULL, &it, &n, NULL), FF_OK);
    assert_int_equal(n, 0);
    ff_queue_items_free(it, n);
    /* A killed runner: after the lease the claims come back. */
    assert_int_equal(ff_store_claim(s, 1700, 600, 10, NULL, &it, &n, NULL), FF_OK);
    assert_int_equal(n, 2);
    ff_queue_items_free(it, n);
    /* Record: one sent, one deferred; the deferred comes back when due, not before. */
    ff_decision ok = {.reason = FF_REASON_DELIVERED, .klass = FF_CLASS_NONE};
    ff_attempt a = {.rcpt_id = r0, .at = 1800, .stage = "EOD", .code = 250, .reply = "250 ok",
                    .decision = &ok, .new_state = FF_Q_SENT, .counts_as_sent = true};
    assert_int_equal(ff_store_record_attempt(s, &a, NULL), FF_OK);
    ff_decision soft = {.reason = FF_REASON_MAILBOXFULL, .klass = FF_CLASS_SOFT,
                        .action = FF_ACTION_RETRY, .status = "4.2.2"};
    ff_attempt b = {.rcpt_id = r1, .at = 1800, .stage = "RCPT", .code = 452, .reply = "452 full",
                    .decision = &soft, .new_state = FF_Q_DEFERRED, .next_attempt = 2100,
                    .counts_as_sent = true};
    assert_int_equal(ff_store_record_attempt(s, &b, NULL), FF_OK);
    /* An outcome for a recipient the store does not have is refused, whether the caller
     * names its stream and address or lets the store look them up; nothing is written. */
    ff_attempt ghost = a;
    ghost.rcpt_id = 999999;
    assert_int_equal(ff_store_record_attempt(s, &ghost, NULL), FF_ENOTFOUND);
    ghost.stream = "transactional";
    ghost.address = "ghost@example.org";
    assert_int_equal(ff_store_record_attempt(s, &ghost, NULL), FF_ENOTFOUND);
    assert_int_equal(ff_store_claim(s, 2000, 600, 10, NULL, &it, &n, NULL), FF_OK);
    assert_int_equal(n, 0);
    ff_queue_items_free(it, n);
    assert_int_equal(ff_store_claim(s, 2100, 600, 10, NULL, &it, &n, NULL), FF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(it[0].attempts, 1);
    assert_string_equal(it[0].last_reason, "mailboxfull");
    ff_queue_items_free(it, n);
    ff_counts c;
    assert_int_equal(ff_store_counts(s, "outreach", NULL, 0, &c, NULL), FF_OK);
    assert_int_equal(c.sent, 2);
    assert_int_equal(c.delivered, 1);
    assert_int_equal(c.soft, 1);
    /* The message's bytes and the recipient by Message-ID. */
    char *raw;
    size_t rl;
    assert_int_equal(ff_store_message_raw(s, id, &raw, &rl, NULL), FF_OK);
    assert_int_equal(rl, 17);
    free(raw);
    assert_int_equal(ff_store_recipient(s, 0, "<m1@example.com>", "B@example.org", &it, NULL),
                     FF_OK);
    assert_int_equal(it[0].id, r1);
    ff_queue_items_free(it, 1);
    ff_store_close(s);
    unlink(path);
}

static void test_suppressions(void **state)
{
    (void)state;
    ff_store *s = fresh();
    ff_suppression e = {.address = "gone@example.org", .scope = "global", .reason = "userunknown",
                        .status = "5.1.1", .source = "smtp", .created = 5};
    assert_int_equal(ff_store_suppress_add(s, &e, NULL), FF_OK);
    ff_suppression d = {.address = "@dead.example", .scope = "global", .reason = "hostunknown",
                        .status = "5.1.2", .source = "bounce", .created = 6};
    assert_int_equal(ff_store_suppress_add(s, &d, NULL), FF_OK);
    ff_suppression o = {.address = "optout@example.org", .scope = "outreach", .reason = "manual",
                        .status = "", .source = "manual", .created = 7};
    assert_int_equal(ff_store_suppress_add(s, &o, NULL), FF_OK);
    ff_suppression hit;
    assert_int_equal(ff_store_suppress_find(s, "gone@example.org", "transactional", &hit, NULL), FF_OK);
    assert_string_equal(hit.reason, "userunknown");
    ff_suppression_clear(&hit);
    assert_int_equal(ff_store_suppress_find(s, "anyone@dead.example", "outreach", &hit, NULL), FF_OK);
    assert_string_equal(hit.address, "@dead.example");
    ff_suppression_clear(&hit);
    /* Scope: suppressed for outreach only. */
    assert_int_equal(ff_store_suppress_find(s, "optout@example.org", "outreach", &hit, NULL), FF_OK);
    ff_suppression_clear(&hit);
    assert_int_equal(ff_store_suppress_find(s, "optout@example.org", "transactional", &hit, NULL),
                     FF_ENOTFOUND);
    size_t removed = 0;
    assert_int_equal(ff_store_suppress_remove(s, "gone@example.org", NULL, &removed, NULL), FF_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(ff_store_suppress_find(s, "gone@example.org", NULL, &hit, NULL), FF_ENOTFOUND);
    ff_store_close(s);
    unlink(path);
}

static void test_policy_never_suppresses_57(void **state)
{
    (void)state;
    ff_store *s = fresh();
    static const struct {
        ff_decision d;
        bool added;
    } rows[] = {
        {{.reason = FF_REASON_USERUNKNOWN, .klass = FF_CLASS_HARD, .action = FF_ACTION_SUPPRESS,
          .side = FF_SIDE_RECIPIENT, .status = "5.1.1"}, true},
        {{.reason = FF_REASON_AUTHFAILURE, .klass = FF_CLASS_HARD, .action = FF_ACTION_SUPPRESS,
          .side = FF_SIDE_SENDER, .status = "5.7.26"}, false},
        {{.reason = FF_REASON_USERUNKNOWN, .klass = FF_CLASS_HARD, .action = FF_ACTION_SUPPRESS,
          .side = FF_SIDE_RECIPIENT, .status = "5.7.1"}, false},
        {{.reason = FF_REASON_BLOCKED, .klass = FF_CLASS_HARD, .action = FF_ACTION_HOLD,
          .side = FF_SIDE_SENDER, .status = "5.7.1"}, false},
        {{.reason = FF_REASON_MAILBOXFULL, .klass = FF_CLASS_SOFT, .action = FF_ACTION_RETRY,
          .side = FF_SIDE_RECIPIENT, .status = "4.2.2"}, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        bool added = !rows[i].added;
        assert_int_equal(ff_suppress_apply(s, "x@example.org", "global", &rows[i].d, "smtp", 1,
                                           &added, NULL), FF_OK);
        if (added != rows[i].added)
            fail_msg("row %zu", i);
        ff_store_suppress_remove(s, "x@example.org", NULL, NULL, NULL);
    }
    /* hostunknown suppresses the whole domain. */
    ff_decision h = {.reason = FF_REASON_HOSTUNKNOWN, .klass = FF_CLASS_HARD,
                     .action = FF_ACTION_SUPPRESS, .side = FF_SIDE_RECIPIENT, .status = "5.1.2"};
    bool added;
    assert_int_equal(ff_suppress_apply(s, "a@Nowhere.Example", "global", &h, "bounce", 1, &added,
                                       NULL), FF_OK);
    ff_suppression hit;
    assert_int_equal(ff_store_suppress_find(s, "b@nowhere.example", NULL, &hit, NULL), FF_OK);
    assert_string_equal(hit.address, "@nowhere.example");
    ff_suppression_clear(&hit);
    ff_store_close(s);
    unlink(path);
}

static void test_csv_round_trip(void **state)
{
    (void)state;
    ff_store *s = fresh();
    const char *csv = "address,scope,reason,status,source,created\n"
                      "a@example.org,global,userunknown,5.1.1,bounce,2026-11-01T10:00:00Z\n"
                      "\"\"\"quoted,comma\"\"@example.org\",outreach,manual,,import,2026-11-02\n"
                      "not an address,global,manual,,,\n"
                      "@dead.example,global,hostunknown,5.1.2,bounce,\n";
    FILE *f = fmemopen((void *)csv, strlen(csv), "r");
    size_t added = 0, skipped = 0;
    assert_int_equal(ff_suppress_import(s, f, "global", 99, &added, &skipped, NULL, NULL, NULL),
                     FF_OK);
    fclose(f);
    assert_int_equal(added, 3);
    assert_int_equal(skipped, 1);
    char *out = NULL;
    size_t ol = 0;
    FILE *w = open_memstream(&out, &ol);
    assert_int_equal(ff_suppress_export(s, NULL, w, NULL), FF_OK);
    fclose(w);
    assert_non_null(strstr(out, "a@example.org,global,userunknown,5.1.1,bounce,2026-11-01T10:00:00Z"));
    assert_non_null(strstr(out, "\"\"\"quoted,comma\"\"@example.org\""));
    assert_non_null(strstr(out, "@dead.example"));
    free(out);
    ff_store_close(s);
    unlink(path);
}

static void test_address(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"Ana@Example.ORG", "Ana@example.org"},
        {"Ana Lopez <ana@EXAMPLE.org>", "ana@example.org"},
        {"  <x@example.org> ", "x@example.org"},
        {"j\xc3\xb6rg@B\xc3\xbc" "cher.example", "j\xc3\xb6rg@xn--bcher-kva.example"},
        {"a@example.org\r\nBcc: x@y.z", NULL},
        {"no-at-sign", NULL},
        {"a..b@example.org", NULL},
        {"a@-bad.example", NULL},
        {"a@example..org", NULL},
        {"@example.org", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[FF_ADDRESS_MAX];
        ff_error err;
        ff_status st = ff_address_normalize(rows[i].in, out, &err);
        if (rows[i].out ? (st != FF_OK || strcmp(out, rows[i].out) != 0) : st != FF_EINVAL)
            fail_msg("row %zu: status %d out '%s'", i, (int)st, out);
    }
}

static void test_secret_and_states(void **state)
{
    (void)state;
    ff_store *s = fresh();
    unsigned char a[32], b[32];
    assert_int_equal(ff_store_secret(s, a, NULL), FF_OK);
    assert_int_equal(ff_store_secret(s, b, NULL), FF_OK);
    assert_memory_equal(a, b, 32);
    ff_stream_state st;
    assert_int_equal(ff_store_state_get(s, "outreach", "gmail", &st, NULL), FF_OK);
    assert_string_equal(st.state, "active");
    assert_int_equal(ff_store_state_set(s, "outreach", "gmail", "held", "5.7.26", 10, 0, NULL), FF_OK);
    assert_int_equal(ff_store_state_get(s, "outreach", "gmail", &st, NULL), FF_OK);
    assert_string_equal(st.state, "held");
    assert_string_equal(st.why, "5.7.26");
    assert_int_equal(ff_store_state_get(s, "outreach", "", &st, NULL), FF_OK);
    assert_string_equal(st.state, "active");
    ff_store_close(s);
    ff_store *again = NULL;
    assert_int_equal(ff_store_open(path, &again, NULL), FF_OK); /* migrations are idempotent */
    assert_int_equal(ff_store_secret(again, b, NULL), FF_OK);
    assert_memory_equal(a, b, 32);
    ff_store_close(again);
    assert_int_equal(ff_store_open("postgresql://x/y", &again, NULL), FF_EUNSUPPORTED);
    unlink(path);
}

/* Rolling windows: 6 % hard bounces toward Gmail pause (stream, gmail) under Gmail's own
 * 5 % threshold, and the stream under its 2 %; complaints are counted for the same windows. */
static void test_window_breakers(void **state)
{
    (void)state;
    ff_store *s = fresh();
    ff_config *cfg = NULL;
    assert_int_equal(ff_config_load(NULL, &cfg, NULL), FF_OK);
    const char *rc[1];
    char addr[64];
    for (int i = 0; i < 100; i++) {
        snprintf(addr, sizeof addr, "u%d@gmail.com", i);
        rc[0] = addr;
        ff_message_in m = {.stream = "outreach", .mail_from = "n@example.com",
                           .message_id = "<w@example.com>", .raw = "x", .raw_len = 1,
                           .rcpts = rc, .nrcpt = 1};
        int64_t id;
        assert_int_equal(ff_store_enqueue(s, &m, 1000, &id, NULL), FF_OK);
    }
    ff_queue_item *it;
    size_t n;
    assert_int_equal(ff_store_claim(s, 1000, 600, 200, NULL, &it, &n, NULL), FF_OK);
    assert_int_equal(n, 100);
    for (size_t i = 0; i < n; i++) {
        ff_decision d = {.reason = i < 6 ? FF_REASON_USERUNKNOWN : FF_REASON_DELIVERED,
                         .klass = i < 6 ? FF_CLASS_HARD : FF_CLASS_NONE,
                         .action = i < 6 ? FF_ACTION_SUPPRESS : FF_ACTION_NONE,
                         .provider = "gmail"};
        ff_attempt a = {.rcpt_id = it[i].id, .at = 1100, .stage = "RCPT", .code = 250,
                        .decision = &d, .new_state = FF_Q_SENT, .counts_as_sent = true};
        assert_int_equal(ff_store_record_attempt(s, &a, NULL), FF_OK);
    }
    ff_queue_items_free(it, n);
    assert_int_equal(ff_queue_window_breakers(s, cfg, "outreach", "gmail", 1200, NULL, NULL, NULL),
                     FF_OK);
    ff_stream_state st;
    ff_store_state_get(s, "outreach", "gmail", &st, NULL);
    assert_string_equal(st.state, "paused");
    assert_non_null(strstr(st.why, "5.0 % pause"));
    /* The stream as a whole is over its own 2 % too. */
    ff_store_state_get(s, "outreach", "", &st, NULL);
    assert_string_equal(st.state, "paused");
    /* Complaints count too: with 100 delivered (94 here), one complaint is over 0.3 %. */
    ff_store_state_set(s, "outreach", "", "active", "resumed", 1250, 0, NULL);
    ff_store_state_set(s, "outreach", "gmail", "active", "resumed", 1250, 0, NULL);
    ff_event e = {.at = 1300, .type = "complaint", .stream = "outreach", .provider = "gmail",
                  .address = "u7@gmail.com", .reason = "feedback", .action = "suppress"};
    assert_int_equal(ff_store_event(s, &e, NULL), FF_OK);
    ff_counts c;
    ff_store_counts(s, "outreach", "gmail", 0, &c, NULL);
    assert_int_equal(c.complaints, 1);
    ff_store_close(s);
    ff_config_free(cfg);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_lifecycle),
        cmocka_unit_test(test_suppressions),
        cmocka_unit_test(test_policy_never_suppresses_57),
        cmocka_unit_test(test_csv_round_trip),
        cmocka_unit_test(test_address),
        cmocka_unit_test(test_secret_and_states),
        cmocka_unit_test(test_window_breakers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
