/* test_lhost_provider.c - provider scanners on invented notices: Google Groups, Gmail,
 * Amazon SES, the plain notices of notice.c (KDDI, EZweb, 1&1, Verizon, Zoho), and the
 * InterScan MSS and Trustwave (MailMarshal) gateways */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/decode.h"
#include "fivefifty/rules.h"

static char *slurp(const char *name, size_t *len)
{
    char path[1024];
    const char *dir = getenv("FF_TEST_DATA");
    snprintf(path, sizeof path, "%s/lhost/provider/%s", dir ? dir : "tests/data", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void test_googlegroups(void **state)
{
    (void)state;
    ff_rules *r;
    assert_int_equal(ff_rules_builtin(&r, NULL), FF_OK);
    size_t len;
    char *m = slurp("googlegroups-cannot-post.eml", &len);
    ff_bounce b;
    assert_int_equal(ff_decode(r, m, len, &b, NULL), FF_OK);
    assert_string_equal(b.format, "googlegroups");
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "team-list@googlegroups.com");
    assert_non_null(strstr(b.recs[0].diagnostic, "permission to post"));
    assert_null(strstr(b.recs[0].diagnostic, "Minutes")); /* the returned message is cut */
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_REJECTED);
    assert_int_not_equal(b.recs[0].decision.action, FF_ACTION_SUPPRESS);
    ff_bounce_clear(&b);
    free(m);
    ff_rules_free(r);
}

static void decode_one(const char *name, ff_bounce *b)
{
    ff_rules *r;
    assert_int_equal(ff_rules_builtin(&r, NULL), FF_OK);
    size_t len;
    char *m = slurp(name, &len);
    assert_int_equal(ff_decode(r, m, len, b, NULL), FF_OK);
    free(m);
    ff_rules_free(r);
}

/* The current layout: the receiving server's reply after "The response was:", folded. */
static void test_gmail_response(void **state)
{
    (void)state;
    ff_bounce b;
    decode_one("gmail-response.eml", &b);
    assert_string_equal(b.format, "gmail");
    assert_int_equal(b.n, 1); /* other@example.net is in the returned message only */
    assert_string_equal(b.recs[0].recipient, "gone@example.org");
    assert_string_equal(b.recs[0].diagnostic, "550 5.1.1 <gone@example.org>: Recipient address "
                                              "rejected: User unknown in virtual mailbox table");
    assert_string_equal(b.recs[0].status, "5.1.1");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_USERUNKNOWN);
    assert_int_equal(b.recs[0].decision.action, FF_ACTION_SUPPRESS);
    ff_bounce_clear(&b);
}

/* No reply quoted: Google's own sentence is the diagnostic, and it is a verdict. */
static void test_gmail_own_words(void **state)
{
    (void)state;
    ff_bounce b;
    decode_one("gmail-notfound.eml", &b);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "nobody@example.it");
    assert_non_null(strstr(b.recs[0].diagnostic, "address couldn't be found"));
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_USERUNKNOWN);
    ff_bounce_clear(&b);
}

/* The older layout: an indented list under "Delivery to the following recipient"; a
 * delay warning reports the recipient as delayed, never as a failure to suppress. */
static void test_gmail_old_delayed(void **state)
{
    (void)state;
    ff_bounce b;
    decode_one("gmail-delayed-old.eml", &b);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "slow@example.com");
    assert_string_equal(b.recs[0].dsn_action, "delayed");
    assert_non_null(strstr(b.recs[0].diagnostic, "has been delayed"));
    assert_non_null(strstr(b.recs[0].diagnostic, "retried for 2 more day"));
    assert_int_not_equal(b.recs[0].decision.action, FF_ACTION_SUPPRESS);
    ff_bounce_clear(&b);
}

/* SES inside SNS: one record per bounced recipient; SES's own subtype when the receiver
 * said nothing. */
static void test_amazonses(void **state)
{
    (void)state;
    ff_bounce b;
    decode_one("amazonses-sns-bounce.eml", &b);
    assert_string_equal(b.format, "amazonses");
    assert_int_equal(b.n, 2);
    assert_string_equal(b.recs[0].recipient, "gone@example.org");
    assert_string_equal(b.recs[0].diagnostic, "550 5.1.1 <gone@example.org>: User unknown");
    assert_string_equal(b.recs[0].status, "5.1.1");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_USERUNKNOWN);
    /* SES's own host, without the "dsn;" type */
    assert_string_equal(b.recs[0].reporting_mta, "a1-2.smtp-out.us-west-2.amazonses.com");
    assert_string_equal(b.recs[1].recipient, "held@example.net");
    assert_string_equal(b.recs[1].diagnostic, "Amazon SES Permanent bounce (General)");
    ff_bounce_clear(&b);

    decode_one("amazonses-suppressed.eml", &b);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_SUPPRESSED);
    assert_int_equal(b.recs[0].decision.action, FF_ACTION_SUPPRESS);
    ff_bounce_clear(&b);

    /* a folded JSON line (a break and a blank inside a string) is joined back */
    decode_one("amazonses-events.eml", &b);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "angry@example.com");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_FEEDBACK);
    ff_bounce_clear(&b);

    decode_one("amazonses-delivery.eml", &b);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].dsn_action, "delivered");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_DELIVERED);
    assert_int_equal(b.recs[0].decision.action, FF_ACTION_NONE);
    ff_bounce_clear(&b);
}

/* Plain notices: the address alone or after a phrase, the reason in a sentence. */
static void test_notices(void **state)
{
    (void)state;
    ff_bounce b;
    decode_one("notice-kddi.eml", &b);
    assert_string_equal(b.format, "kddi");
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "full@mail.dion.ne.jp");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_MAILBOXFULL);
    ff_bounce_clear(&b);

    decode_one("notice-ezweb.eml", &b);
    assert_string_equal(b.format, "ezweb");
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "someone@hotmail.example");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_BLOCKED); /* SC-001 decides */
    ff_bounce_clear(&b);

    /* the text's reply quotes the first recipient: the second is not suppressed by it */
    decode_one("notice-ezweb-two.eml", &b);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_USERUNKNOWN);
    assert_string_equal(b.recs[1].recipient, "bo@mail.example");
    assert_null(b.recs[1].diagnostic);
    assert_int_not_equal(b.recs[1].decision.action, FF_ACTION_SUPPRESS);
    ff_bounce_clear(&b);

    decode_one("notice-einsundeins.eml", &b);
    assert_string_equal(b.format, "einsundeins");
    assert_int_equal(b.n, 1); /* the returned header's To: is not read */
    assert_string_equal(b.recs[0].recipient, "big@example.de");
    assert_non_null(strstr(b.recs[0].diagnostic, "Mail size limit exceeded"));
    assert_null(strstr(b.recs[0].diagnostic, "permanent error"));
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_MESGTOOBIG);
    ff_bounce_clear(&b);

    decode_one("notice-verizon.eml", &b);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "5550100@vzwpix.com");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_USERUNKNOWN);
    ff_bounce_clear(&b);

    decode_one("notice-zoho.eml", &b);
    assert_string_equal(b.format, "zoho");
    assert_int_equal(b.n, 2);
    assert_string_equal(b.recs[0].recipient, "gone@example.org");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_USERUNKNOWN);
    assert_string_equal(b.recs[1].recipient, "far@example.net");
    assert_int_equal(b.recs[1].decision.reason, FF_REASON_EXPIRED);
    ff_bounce_clear(&b);
}

/* One notice for two recipients: X-Failed-Recipients lists both; the reply that quotes
 * the first is the first's, the second keeps Google's own sentence. */
static void test_gmail_two_failed(void **state)
{
    (void)state;
    ff_bounce b;
    decode_one("gmail-two-failed.eml", &b);
    assert_string_equal(b.format, "gmail");
    assert_int_equal(b.n, 2);
    assert_string_equal(b.recs[0].recipient, "gone@example.org");
    assert_string_equal(b.recs[0].status, "5.1.1");
    assert_string_equal(b.recs[1].recipient, "also@example.net");
    assert_non_null(strstr(b.recs[1].diagnostic, "Your message wasn't delivered to"));
    assert_null(strstr(b.recs[1].diagnostic, "550 5.1.1"));
    ff_bounce_clear(&b);
}

/* Trend Micro InterScan MSS: each recipient's sentence, then the exchange that failed,
 * arrows either way; a reply after MAIL FROM names the command for the recipient. */
static void test_interscanmss(void **state)
{
    (void)state;
    ff_bounce b;
    decode_one("interscanmss-two.eml", &b);
    assert_string_equal(b.format, "interscanmss");
    assert_int_equal(b.n, 2);
    assert_string_equal(b.recs[0].recipient, "mio@example.org");
    assert_string_equal(b.recs[0].status, "5.1.1");
    assert_string_equal(b.recs[0].command, "RCPT");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_USERUNKNOWN);
    assert_string_equal(b.recs[1].recipient, "rin@example.net");
    assert_string_equal(b.recs[1].status, "5.2.2");
    assert_string_equal(b.recs[1].subject, "plans");
    ff_bounce_clear(&b);
    decode_one("interscanmss-japanese.eml", &b);
    assert_string_equal(b.format, "interscanmss");
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "nao@example.jp");
    assert_string_equal(b.recs[0].command, "MAIL");
    assert_int_equal(b.recs[0].code, 553);
    assert_string_equal(b.recs[0].diagnostic, "553 5.7.1 Sender domain not allowed here");
    ff_bounce_clear(&b);
}

/* Trustwave's (MailMarshal's) one reason for a list of recipients: shared by all of them,
 * unless it quotes one of them. */
static void test_mailmarshal(void **state)
{
    (void)state;
    ff_bounce b;
    decode_one("mailmarshal-shared.eml", &b);
    assert_string_equal(b.format, "mailmarshal");
    assert_int_equal(b.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(b.recs[i].diagnostic, "554 5.7.1 Message refused by content policy");
        assert_string_equal(b.recs[i].status, "5.7.1");
        assert_string_equal(b.recs[i].remote_mta, "192.0.2.20");
    }
    assert_string_equal(b.recs[0].recipient, "kim@example.org");
    assert_string_equal(b.recs[1].recipient, "lee@example.org");
    ff_bounce_clear(&b);
    decode_one("mailmarshal-named.eml", &b);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.recs[0].status, "5.1.1");
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_USERUNKNOWN);
    assert_null(b.recs[1].diagnostic);
    assert_int_not_equal(b.recs[1].decision.action, FF_ACTION_SUPPRESS);
    ff_bounce_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_googlegroups),
                                       cmocka_unit_test(test_gmail_response),
                                       cmocka_unit_test(test_gmail_own_words),
                                       cmocka_unit_test(test_gmail_old_delayed),
                                       cmocka_unit_test(test_gmail_two_failed),
                                       cmocka_unit_test(test_amazonses),
                                       cmocka_unit_test(test_notices),
                                       cmocka_unit_test(test_interscanmss),
                                       cmocka_unit_test(test_mailmarshal)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
