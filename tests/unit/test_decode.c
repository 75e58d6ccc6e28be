/* test_decode.c - whole messages to records: DSN (RFC 3464, RFC 6533), ARF, auto-reply, a
 * text bounce, a message that is no bounce, and broken input that must not crash */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/decode.h"
#include "fivefifty/rules.h"

static ff_rules *rules;

static char *slurp(const char *name, size_t *len)
{
    char path[1024];
    const char *dir = getenv("FF_TEST_DATA");
    snprintf(path, sizeof path, "%s/decode/%s", dir ? dir : "tests/data", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

static ff_status decode_file(const char *name, ff_bounce *b, ff_error *err)
{
    size_t len;
    char *data = slurp(name, &len);
    ff_status st = ff_decode(rules, data, len, b, err);
    free(data);
    return st;
}

static int setup(void **state)
{
    (void)state;
    return ff_rules_builtin(&rules, NULL) == FF_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ff_rules_free(rules);
    return 0;
}

static void test_dsn_two_recipients(void **state)
{
    (void)state;
    ff_bounce b;
    ff_error err;
    assert_int_equal(decode_file("dsn-postfix-two.eml", &b, &err), FF_OK);
    assert_string_equal(b.format, "rfc3464");
    assert_int_equal(b.n, 2);
    const ff_bounce_record *r = &b.recs[0];
    assert_string_equal(r->recipient, "one@example.org");
    assert_string_equal(r->original_recipient, "One@Example.org");
    assert_string_equal(r->dsn_action, "failed");
    assert_string_equal(r->status, "5.1.1");
    assert_int_equal(r->code, 550);
    assert_string_equal(r->diagnostic,
                        "550 5.1.1 <one@example.org>: Recipient address rejected: User unknown");
    assert_string_equal(r->diagnostic_type, "smtp");
    assert_string_equal(r->remote_mta, "mx.example.org");
    assert_string_equal(r->reporting_mta, "mx.sender.example");
    assert_string_equal(r->command, "RCPT"); /* from the human-readable part */
    assert_string_equal(r->message_id, "<nov-1@sender.example>");
    assert_string_equal(r->subject, "November news");
    assert_string_equal(r->list_id, "<news.sender.example>");
    assert_non_null(r->auth_results);
    assert_non_null(strstr(r->auth_results, "dkim=fail for sender.example (body hash did not verify)"));
    assert_non_null(strstr(r->auth_results, "dmarc=fail for sender.example"));
    assert_null(strstr(r->auth_results, "spf="));
    assert_int_equal(r->decision.reason, FF_REASON_USERUNKNOWN);
    assert_int_equal(r->decision.action, FF_ACTION_SUPPRESS);
    /* The second group has no diagnostic: it comes from the Postfix text. */
    r = &b.recs[1];
    assert_string_equal(r->recipient, "two@example.net");
    assert_string_equal(r->dsn_action, "delayed");
    assert_non_null(r->diagnostic);
    assert_non_null(strstr(r->diagnostic, "over quota"));
    assert_int_equal(r->code, 452);
    assert_string_equal(r->date, "Tue, 24 Nov 2026 08:59:30 +0000");
    assert_int_equal(r->decision.reason, FF_REASON_MAILBOXFULL);
    assert_int_equal(r->decision.klass, FF_CLASS_SOFT);
    assert_int_equal(r->decision.action, FF_ACTION_RETRY);
    ff_bounce_clear(&b);
}

/* Relays write their own generic or guessed Status:; the receiver's code in the diagnostic
 * wins, the last specific one when the relay quotes it after its own. */
static void test_status_from_diagnostic(void **state)
{
    (void)state;
    ff_bounce b;
    assert_int_equal(decode_file("dsn-relay-quoted.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 3);
    assert_string_equal(b.recs[0].recipient, "full@example.org");
    assert_string_equal(b.recs[0].status, "5.2.2");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_MAILBOXFULL);
    assert_string_equal(b.recs[1].status, "5.7.1");
    assert_int_equal(b.recs[1].decision.reason, FF_REASON_BLOCKED);
    assert_int_not_equal(b.recs[1].decision.action, FF_ACTION_SUPPRESS);
    /* No format said which command; the diagnostic does, and "User unknown" at RCPT with
     * X.2.1 is a dead address, not a disabled one. */
    assert_string_equal(b.recs[2].command, "RCPT");
    assert_int_equal(b.recs[2].decision.reason, FF_REASON_USERUNKNOWN);
    ff_bounce_clear(&b);
}

/* A group without Diagnostic-Code is explained by the comment on its Status field, as in
 * RFC 3464's own example; a Diagnostic-Code, when there is one, is the better witness. */
static void test_status_comment(void **state)
{
    (void)state;
    ff_bounce b;
    assert_int_equal(decode_file("dsn-status-comment.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 3);
    assert_string_equal(b.recs[0].diagnostic, "lookup.example.org: host name lookup failure");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_NETWORKERROR);
    assert_string_equal(b.recs[0].status, "4.0.0");
    assert_string_equal(b.recs[1].diagnostic,
                        "550 5.1.1 <bob@example.org>: no mailbox here by that name");
    assert_int_equal(b.recs[1].decision.reason, FF_REASON_USERUNKNOWN);
    /* An empty comment is no diagnostic. */
    assert_null(b.recs[2].diagnostic);
    assert_int_equal(b.recs[2].decision.reason, FF_REASON_UNDEFINED);
    ff_bounce_clear(&b);
}

/* The server's own status is shown even when the relay changed its class (Postfix's 4.X.X
 * for a 5xx greeting it skipped); temporary or not is the reply's business. A message a
 * provider stopped retrying ("Action: expired") failed for good. */
static void test_class_disagrees(void **state)
{
    (void)state;
    ff_bounce b;
    assert_int_equal(decode_file("dsn-class-disagrees.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.recs[0].status, "5.5.0");
    assert_int_equal(b.recs[0].code, 550);
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_BLOCKED);
    assert_int_equal(b.recs[0].decision.klass, FF_CLASS_SOFT); /* "please try later" */
    assert_string_equal(b.recs[1].recipient, "eve@example.org");
    assert_int_equal(b.recs[1].decision.reason, FF_REASON_EXPIRED);
    assert_int_equal(b.recs[1].decision.klass, FF_CLASS_HARD);
    assert_string_equal(b.recs[1].status, "5.0.947");
    ff_bounce_clear(&b);
}

static void test_global_dsn(void **state)
{
    (void)state;
    ff_bounce b;
    assert_int_equal(decode_file("dsn-global-utf8.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "j\xc3\xb6rg@b\xc3\xbc" "cher.example");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_USERUNKNOWN);
    ff_bounce_clear(&b);
}

static void test_arf(void **state)
{
    (void)state;
    ff_bounce b;
    assert_int_equal(decode_file("arf-abuse.eml", &b, NULL), FF_OK);
    assert_string_equal(b.format, "arf");
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "angry@example.net");
    assert_string_equal(b.recs[0].feedback_type, "abuse");
    assert_string_equal(b.recs[0].message_id, "<offer-9@sender.example>");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_FEEDBACK);
    assert_int_equal(b.recs[0].decision.action, FF_ACTION_SUPPRESS);
    ff_bounce_clear(&b);
    /* a report naming two complainants gives two records, in the report's order */
    assert_int_equal(decode_file("arf-two.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.recs[0].recipient, "angry@example.net");
    assert_string_equal(b.recs[1].recipient, "furious@example.org");
    assert_int_equal(b.recs[1].decision.reason, FF_REASON_FEEDBACK);
    assert_string_equal(b.recs[1].message_id, "<offer-9@sender.example>");
    ff_bounce_clear(&b);
    /* Microsoft's loop names the complainant in the returned message's headers. */
    assert_int_equal(decode_file("arf-hotmail-jmrp.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "kai@outlook.example");
    assert_string_equal(b.recs[0].message_id, "<sale-7@sender.example>");
    ff_bounce_clear(&b);
    /* An Original-Rcpt-To the loop redacted to "user@" gives way to the returned To. */
    assert_int_equal(decode_file("arf-redacted-rcpt.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "nia@example.org");
    ff_bounce_clear(&b);
    /* A comment after the complainant's address is no part of it. */
    assert_int_equal(decode_file("arf-commented-rcpt.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "nia@example.org");
    ff_bounce_clear(&b);
}

static void test_vacation(void **state)
{
    (void)state;
    ff_bounce b;
    assert_int_equal(decode_file("vacation.eml", &b, NULL), FF_OK);
    assert_string_equal(b.format, "rfc3834");
    assert_string_equal(b.recs[0].recipient, "robin@example.org");
    assert_string_equal(b.recs[0].message_id, "<nov-1@sender.example>");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_VACATION);
    assert_int_equal(b.recs[0].decision.action, FF_ACTION_NONE);
    ff_bounce_clear(&b);
}

static void test_text_bounces(void **state)
{
    (void)state;
    ff_bounce b;
    assert_int_equal(decode_file("exim-text.eml", &b, NULL), FF_OK);
    assert_string_equal(b.format, "exim");
    assert_string_equal(b.recs[0].recipient, "full@example.com");
    assert_string_equal(b.recs[0].status, "5.2.2");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_MAILBOXFULL);
    assert_string_equal(b.recs[0].message_id, "<hello-2@sender.example>");
    ff_bounce_clear(&b);
    /* ISO-2022-JP text is decoded through GMime; the recipient is still found. */
    assert_int_equal(decode_file("iso2022jp-postfix.eml", &b, NULL), FF_OK);
    assert_string_equal(b.recs[0].recipient, "taro@example.jp");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_USERUNKNOWN);
    ff_bounce_clear(&b);
}

static void *prepare_thread(void *arg)
{
    (void)arg;
    ff_decode_prepare();
    return NULL;
}

/* ff_decode_prepare() on other threads while a message that needs GMime and the
 * ISO-2022-JP converter is decoded here: the same record as alone, and calling it again
 * afterwards changes nothing. (The tsan build runs this too.) */
static void test_prepare_beside_decode(void **state)
{
    (void)state;
    ff_bounce alone, beside;
    assert_int_equal(decode_file("iso2022jp-postfix.eml", &alone, NULL), FF_OK);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, prepare_thread, NULL), 0);
    assert_int_equal(decode_file("iso2022jp-postfix.eml", &beside, NULL), FF_OK);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ff_decode_prepare();
    assert_int_equal(beside.n, alone.n);
    assert_string_equal(beside.recs[0].recipient, "taro@example.jp");
    assert_string_equal(beside.recs[0].diagnostic, alone.recs[0].diagnostic);
    assert_int_equal(beside.recs[0].decision.reason, alone.recs[0].decision.reason);
    ff_bounce_clear(&alone);
    ff_bounce_clear(&beside);
}

/* Bounces that fail without naming the recipient: the returned message's To names it. */
static void test_recipient_from_returned(void **state)
{
    (void)state;
    ff_bounce b;
    assert_int_equal(decode_file("dsn-bare.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "reader@example.org");
    assert_string_equal(b.recs[0].reporting_mta, "mta.example.net");
    assert_string_equal(b.recs[0].message_id, "<spring-1@example.com>");
    ff_bounce_clear(&b);
    /* Sent to two: which one failed is unknown, so nobody is recorded. */
    assert_int_equal(decode_file("dsn-bare-two-to.eml", &b, NULL), FF_ENOTBOUNCE);
    assert_int_equal(b.n, 0);
    ff_bounce_clear(&b);
    assert_int_equal(decode_file("sendmail-v5-host.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.format, "sendmail");
    assert_string_equal(b.recs[0].recipient, "reader@example.org");
    assert_string_equal(b.recs[0].remote_mta, "mx.example.org");
    assert_int_equal(b.recs[0].code, 421);
    ff_bounce_clear(&b);
}

/* Delivery-status fields that the broken MIME around them left in the text are still read
 * as a DSN: one record per group, status as the DSN gives it, the returned To not taken. */
static void test_dsn_in_text(void **state)
{
    (void)state;
    ff_bounce b;
    assert_int_equal(decode_file("dsn-in-text.eml", &b, NULL), FF_OK);
    assert_string_equal(b.format, "rfc3464");
    assert_int_equal(b.n, 2);
    assert_string_equal(b.recs[0].recipient, "amy@example.org");
    assert_string_equal(b.recs[0].status, "4.4.7");
    assert_string_equal(b.recs[0].reporting_mta, "relay.example.net");
    assert_string_equal(b.recs[1].recipient, "bo@example.org");
    assert_string_equal(b.recs[1].dsn_action, "delayed");
    ff_bounce_clear(&b);
    assert_int_equal(decode_file("dsn-indented-boundary.eml", &b, NULL), FF_OK);
    assert_string_equal(b.format, "rfc3464");
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "dee@example.org");
    assert_string_equal(b.recs[0].status, "5.1.1");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_USERUNKNOWN);
    ff_bounce_clear(&b);
}

/* A Final-Recipient that is no mailbox (a pipe Exim ran, sendmail's "@host") gives way to
 * the address the human-readable part names. */
static void test_recipient_not_mailbox(void **state)
{
    (void)state;
    ff_bounce b;
    assert_int_equal(decode_file("dsn-pipe-recipient.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "helpdesk@example.net");
    ff_bounce_clear(&b);
    assert_int_equal(decode_file("dsn-at-host-recipient.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "gil@example.org");
    assert_string_equal(b.recs[0].status, "5.1.2");
    ff_bounce_clear(&b);
    /* Display names and comments around a DSN address (RFC 3464 has none) are dropped;
     * a bare Original-Recipient stays byte for byte. */
    assert_int_equal(decode_file("dsn-named-recipients.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.recs[0].recipient, "ann@example.org");
    assert_string_equal(b.recs[1].recipient, "bo@example.org");
    assert_string_equal(b.recs[1].original_recipient, "Bo@Example.ORG");
    ff_bounce_clear(&b);
    /* Postfix names an alias's command '"|cmd"@host': the alias is the recipient, with
     * the DSN and in the text alone. */
    assert_int_equal(decode_file("dsn-postfix-pipe.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "help@example.com");
    assert_string_equal(b.recs[0].status, "5.3.0");
    ff_bounce_clear(&b);
    assert_int_equal(decode_file("postfix-pipe-text.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.format, "postfix");
    assert_string_equal(b.recs[0].recipient, "help@example.com");
    ff_bounce_clear(&b);
}

/* A gateway's notice that names nobody and attaches the MTA's bounce reports what the
 * attached bounce reports; a person who attaches one sends no bounce. */
static void test_forwarded_bounce(void **state)
{
    (void)state;
    ff_bounce b;
    assert_int_equal(decode_file("forwarded-bounce.eml", &b, NULL), FF_OK);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.format, "rfc3464");
    assert_string_equal(b.recs[0].recipient, "hal@example.org");
    assert_string_equal(b.recs[0].status, "5.1.1");
    assert_string_equal(b.recs[0].reporting_mta, "inner.example.net");
    assert_string_equal(b.recs[0].message_id, "<minutes-3@example.com>");
    ff_bounce_clear(&b);
    assert_int_equal(decode_file("attached-bounce-by-person.eml", &b, NULL), FF_ENOTBOUNCE);
    assert_int_equal(b.n, 0);
    ff_bounce_clear(&b);
}

static void test_not_bounce_and_broken(void **state)
{
    (void)state;
    ff_bounce b;
    ff_error err;
    assert_int_equal(decode_file("plain-question.eml", &b, &err), FF_ENOTBOUNCE);
    assert_non_null(strstr(err.msg, "Question about pricing"));
    assert_int_equal(b.n, 0);
    ff_bounce_clear(&b);
    /* A truncated DSN still yields what it holds. */
    assert_int_equal(decode_file("truncated.eml", &b, &err), FF_OK);
    assert_string_equal(b.recs[0].recipient, "cut@example.org");
    ff_bounce_clear(&b);
    /* Binary junk and a 10 MB line: an error or nothing, never a crash. */
    size_t n = 10 * 1024 * 1024;
    char *big = malloc(n);
    memset(big, 'x', n);
    memcpy(big, "From: a@b\nSubject: y\n\n", 22);
    ff_status st = ff_decode(rules, big, n, &b, &err);
    assert_true(st == FF_ENOTBOUNCE || st == FF_EPARSE);
    ff_bounce_clear(&b);
    for (size_t i = 0; i < 65536; i++)
        big[i] = (char)(i * 131 + 7);
    st = ff_decode(rules, big, 65536, &b, &err);
    assert_true(st == FF_ENOTBOUNCE || st == FF_EPARSE || st == FF_OK);
    ff_bounce_clear(&b);
    free(big);
    assert_int_equal(ff_decode(rules, "", 0, &b, &err) == FF_OK, 0);
    ff_bounce_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dsn_two_recipients),
        cmocka_unit_test(test_global_dsn),
        cmocka_unit_test(test_status_from_diagnostic),
        cmocka_unit_test(test_status_comment),
        cmocka_unit_test(test_class_disagrees),
        cmocka_unit_test(test_arf),
        cmocka_unit_test(test_vacation),
        cmocka_unit_test(test_text_bounces),
        cmocka_unit_test(test_prepare_beside_decode),
        cmocka_unit_test(test_recipient_from_returned),
        cmocka_unit_test(test_dsn_in_text),
        cmocka_unit_test(test_recipient_not_mailbox),
        cmocka_unit_test(test_forwarded_bounce),
        cmocka_unit_test(test_not_bounce_and_broken),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
