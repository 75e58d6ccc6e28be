/* test_arf.c - RFC 5965 feedback reports and RFC 3834 auto-reply detection */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "fivefifty/arf.h"
#include "fivefifty/autoreply.h"

static void test_report(void **state)
{
    (void)state;
    const char *r = "Feedback-Type: Abuse\r\nUser-Agent: Example/2.0\r\nVersion: 1\r\n"
                    "Original-Mail-From: <bounces+x@sender.example>\r\n"
                    "Original-Rcpt-To: <who@example.net>\r\nArrival-Date: Tue, 24 Nov 2026\r\n"
                    " 10:00:00 +0000\r\nSource-IP: 192.0.2.1\r\nReported-Domain: sender.example\r\n"
                    "X-Unknown-Extension: kept out\r\nReporting-MTA: dns; fbl.example.net\r\n";
    ff_arf a;
    assert_int_equal(ff_arf_parse(r, strlen(r), &a, NULL), FF_OK);
    assert_string_equal(a.feedback_type, "abuse");
    assert_string_equal(a.original_mail_from, "bounces+x@sender.example");
    assert_string_equal(a.original_rcpt_to, "who@example.net");
    assert_string_equal(a.arrival_date, "Tue, 24 Nov 2026 10:00:00 +0000");
    assert_string_equal(a.source_ip, "192.0.2.1");
    assert_string_equal(a.reporting_mta, "fbl.example.net");
    ff_arf_clear(&a);
    ff_error err;
    assert_int_equal(ff_arf_parse("just text\n", 10, &a, &err), FF_EPARSE);
    ff_arf_clear(&a);
    assert_int_equal(ff_arf_parse("", 0, &a, &err), FF_EPARSE);
    ff_arf_clear(&a);
}

/* One report may name every recipient who complained about the same message. */
static void test_several_complainants(void **state)
{
    (void)state;
    const char *r = "Feedback-Type: abuse\nOriginal-Rcpt-To: a@example.com\n"
                    "Original-Rcpt-To: <b@example.org>\nOriginal-Rcpt-To: c@example.net\n";
    ff_arf a;
    assert_int_equal(ff_arf_parse(r, strlen(r), &a, NULL), FF_OK);
    assert_string_equal(a.original_rcpt_to, "a@example.com");
    assert_int_equal(a.nrcpt_to, 3);
    assert_string_equal(a.rcpt_to[1], "b@example.org");
    assert_string_equal(a.rcpt_to[2], "c@example.net");
    ff_arf_clear(&a);
    assert_null(a.rcpt_to);
    assert_int_equal(a.nrcpt_to, 0);
}

static void test_autoreply(void **state)
{
    (void)state;
    static const struct {
        ff_autoreply_hdrs h;
        bool is;
    } rows[] = {
        {{.subject = "Out of Office: back Monday", .from = "a@example.org"}, true},
        {{.auto_submitted = "auto-replied", .subject = "Re: your mail", .from = "a@x.org"}, true},
        {{.x_autoreply = "yes", .subject = "Hi"}, true},
        {{.precedence = "auto_reply", .subject = "x"}, true},
        {{.subject = "Automatic reply: News"}, true},
        /* Bounces are auto-submitted too: never vacation. */
        {{.auto_submitted = "auto-replied", .subject = "Undelivered Mail Returned to Sender",
          .from = "MAILER-DAEMON@x.org"}, false},
        {{.auto_submitted = "auto-replied", .subject = "hello", .from = "a@x.org",
          .content_type = "multipart/report"}, false},
        {{.subject = "Question about pricing", .from = "a@x.org"}, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *why = NULL;
        if (ff_autoreply_detect(&rows[i].h, &why) != rows[i].is)
            fail_msg("row %zu", i);
        if (rows[i].is)
            assert_non_null(why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_several_complainants),
        cmocka_unit_test(test_autoreply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
