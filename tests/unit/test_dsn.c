/* test_dsn.c - RFC 3464 / RFC 6533 delivery-status fields, as real MTAs bend them */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fivefifty/dsn.h"

static void test_groups(void **state)
{
    (void)state;
    /* Sendmail style: CRLF, X-Actual-Recipient, folded Diagnostic-Code. */
    const char *t = "Reporting-MTA: dns; mail.example.com\r\nReceived-From-MTA: DNS; client.example\r\n"
                    "Arrival-Date: Tue, 24 Nov 2026 09:00:00 +0000\r\n\r\n"
                    "Final-Recipient: RFC822; <a@example.org>\r\nX-Actual-Recipient: rfc822; real@example.org\r\n"
                    "Action: Failed\r\nStatus: 5.1.1\r\nRemote-MTA: DNS; mx.example.org\r\n"
                    "Diagnostic-Code: SMTP; 550 5.1.1 <a@example.org>...\r\n   User unknown\r\n"
                    "Last-Attempt-Date: Tue, 24 Nov 2026 09:00:05 +0000\r\n";
    ff_dsn d;
    assert_int_equal(ff_dsn_parse(t, strlen(t), &d, NULL), FF_OK);
    assert_string_equal(d.reporting_mta, "mail.example.com");
    assert_int_equal(d.n, 1);
    const ff_dsn_recipient *r = &d.rcpts[0];
    assert_string_equal(r->final_recipient, "a@example.org");
    assert_string_equal(r->final_type, "rfc822");
    assert_string_equal(r->x_actual_recipient, "real@example.org");
    assert_string_equal(r->action, "failed");
    assert_string_equal(r->status, "5.1.1");
    assert_string_equal(r->remote_mta, "mx.example.org");
    assert_string_equal(r->diagnostic, "550 5.1.1 <a@example.org>... User unknown");
    assert_string_equal(r->diagnostic_type, "smtp");
    ff_dsn_clear(&d);
}

/* The Status field's comment, folded or not, without its parentheses; none, none kept. */
static void test_status_comment(void **state)
{
    (void)state;
    const char *t = "Reporting-MTA: dns; x.example\n\nFinal-Recipient: rfc822; a@example.org\n"
                    "Action: delayed\nStatus: 4.0.0 (x.example.org: host name\n  lookup failure)\n\n"
                    "Final-Recipient: rfc822; b@example.org\nAction: failed\nStatus: 5.1.1\n\n"
                    "Final-Recipient: rfc822; c@example.org\nAction: failed\n"
                    "Status: 5.2.2 (unclosed comment\n";
    ff_dsn d;
    assert_int_equal(ff_dsn_parse(t, strlen(t), &d, NULL), FF_OK);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.rcpts[0].status, "4.0.0");
    assert_string_equal(d.rcpts[0].status_comment, "x.example.org: host name lookup failure");
    assert_null(d.rcpts[1].status_comment);
    assert_string_equal(d.rcpts[2].status, "5.2.2");
    assert_string_equal(d.rcpts[2].status_comment, "unclosed comment");
    ff_dsn_clear(&d);
}

static void test_missing_blank_lines(void **state)
{
    (void)state;
    /* No blank line anywhere: a repeated Final-Recipient opens the next group. */
    const char *t = "Reporting-MTA: dns; x.example\nFinal-Recipient: rfc822; a@example.org\n"
                    "Action: failed\nStatus: 5.1.1\nFinal-Recipient: rfc822; b@example.org\n"
                    "Action: delayed\nStatus: 4.4.7\n";
    ff_dsn d;
    assert_int_equal(ff_dsn_parse(t, strlen(t), &d, NULL), FF_OK);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.rcpts[1].final_recipient, "b@example.org");
    assert_string_equal(d.rcpts[1].status, "4.4.7");
    ff_dsn_clear(&d);
}

/* Field order inside a group varies: Amazon SES writes Action first, then Final- and
 * Original-Recipient; sendmail writes Original-Recipient first and may omit the blank line
 * before the next group. Both must give one group per recipient. */
static void test_field_orders(void **state)
{
    (void)state;
    const char *ses = "Reporting-MTA: dns; in.example\n\nAction: failed\n"
                      "Final-Recipient: rfc822; a@example.org\n"
                      "Original-Recipient: rfc822; a@example.org\n"
                      "Diagnostic-Code: smtp; 550 5.1.1 Mailbox does not exist\nStatus: 5.1.1\n";
    ff_dsn d;
    assert_int_equal(ff_dsn_parse(ses, strlen(ses), &d, NULL), FF_OK);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.rcpts[0].action, "failed");
    assert_string_equal(d.rcpts[0].status, "5.1.1");
    assert_non_null(d.rcpts[0].diagnostic);
    ff_dsn_clear(&d);
    const char *sm = "Reporting-MTA: dns; out.example\n\n"
                     "Original-Recipient: rfc822; a@example.org\n"
                     "Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\n"
                     "Original-Recipient: rfc822; b@example.org\n"
                     "Final-Recipient: rfc822; b@example.org\nAction: failed\nStatus: 5.2.2\n";
    assert_int_equal(ff_dsn_parse(sm, strlen(sm), &d, NULL), FF_OK);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.rcpts[1].original_recipient, "b@example.org");
    assert_string_equal(d.rcpts[1].status, "5.2.2");
    ff_dsn_clear(&d);
}

static void test_utf8_and_bad(void **state)
{
    (void)state;
    char *type = NULL;
    char *a = ff_dsn_addr_decode("utf-8; \\x{4E2D}\\x{6587}@example.cn", 34, &type);
    assert_string_equal(a, "\xe4\xb8\xad\xe6\x96\x87@example.cn");
    assert_string_equal(type, "utf-8");
    free(a);
    free(type);
    ff_dsn d;
    ff_error err;
    assert_int_equal(ff_dsn_parse("hello\nworld\n", 12, &d, &err), FF_EPARSE);
    ff_dsn_clear(&d);
    /* A status that is not one stays empty. */
    const char *t = "Final-Recipient: rfc822; a@example.org\nStatus: 5.1\n";
    assert_int_equal(ff_dsn_parse(t, strlen(t), &d, &err), FF_OK);
    assert_string_equal(d.rcpts[0].status, "");
    ff_dsn_clear(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_missing_blank_lines),
        cmocka_unit_test(test_status_comment),
        cmocka_unit_test(test_field_orders),
        cmocka_unit_test(test_utf8_and_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
