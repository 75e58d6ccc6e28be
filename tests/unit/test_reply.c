/* test_reply.c - SMTP replies: multi-line joins, codes, statuses, markers, disagreement */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/reply.h"

static void test_rows(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int code;
        const char *status;
        bool in_text, disagree;
        const char *text_has, *marker;
    } rows[] = {
        {"550 5.1.1 <a@b>: Recipient address rejected: User unknown", 550, "5.1.1", false,
         false, "User unknown", NULL},
        {"550-5.7.26 Unauthenticated email from example.com is not accepted\r\n"
         "550-5.7.26 due to domain's DMARC policy.\r\n550 5.7.26 Please contact.\r\n",
         550, "5.7.26", false, false, "accepted due to domain's DMARC policy. Please", NULL},
        {"550 5.7.515 Access denied, sending domain does not meet the required authentication level.",
         550, "5.7.515", false, false, "authentication level", NULL},
        {"421 4.7.0 [TS01] Messages from 192.0.2.1 temporarily deferred", 421, "4.7.0", false,
         false, "temporarily deferred", "TS01"},
        {"550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", 550, "5.4.1",
         false, false, "Access denied", "AS(201806281)"},
        {"550 Rejected by MIMECAST_POLICY_VIOLATION rule", 550, "", false, false, "Rejected",
         "MIMECAST_POLICY_VIOLATION"},
        {"550 4.2.2 mailbox over quota", 550, "4.2.2", false, true, "over quota", NULL},
        {"554 Message refused (5.7.1 policy)", 554, "5.7.1", true, false, "refused", NULL},
        {"user unknown, no code at all", 0, "", false, false, "user unknown", NULL},
        {"550\n", 550, "", false, false, "", NULL},
        {"452-4.2.2 The recipient's inbox is out of storage\n452 4.2.2 space.", 452, "4.2.2",
         false, false, "storage space", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_reply r;
        ff_status st = ff_reply_parse(rows[i].in, strlen(rows[i].in), &r);
        if (st != FF_OK)
            fail_msg("row %zu: status %d", i, (int)st);
        if (r.code != rows[i].code || strcmp(r.status, rows[i].status) != 0 ||
            r.status_in_text != rows[i].in_text || r.classes_disagree != rows[i].disagree ||
            !strstr(r.text, rows[i].text_has))
            fail_msg("row %zu: code %d status '%s' in_text %d disagree %d text '%s'", i, r.code,
                     r.status, r.status_in_text, r.classes_disagree, r.text);
        if (rows[i].marker) {
            bool found = false;
            for (size_t m = 0; m < r.nmarkers; m++)
                found = found || strcmp(r.markers[m], rows[i].marker) == 0;
            if (!found)
                fail_msg("row %zu: marker %s not found (%zu markers)", i, rows[i].marker,
                         r.nmarkers);
        }
        ff_reply_clear(&r);
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    ff_reply r;
    assert_int_equal(ff_reply_parse("", 0, &r), FF_EPARSE);
    assert_int_equal(ff_reply_parse("\r\n\r\n", 4, &r), FF_EPARSE);
    char *big = malloc(FF_REPLY_MAX + 2);
    memset(big, 'a', FF_REPLY_MAX + 1);
    assert_int_equal(ff_reply_parse(big, FF_REPLY_MAX + 1, &r), FF_ETOOBIG);
    free(big);
    /* Binary junk parses as text or is refused; it never crashes. */
    const char junk[] = "\x01\xff\xfe 550\x00 5.1.1";
    ff_status st = ff_reply_parse(junk, sizeof junk - 1, &r);
    assert_true(st == FF_OK || st == FF_EPARSE);
    if (st == FF_OK)
        ff_reply_clear(&r);
}

static void test_code_find(void **state)
{
    (void)state;
    assert_int_equal(ff_reply_code_find("host mx said: 550 5.1.1 no", 26), 550);
    assert_int_equal(ff_reply_code_find("port 25000 open", 15), 0);
    assert_int_equal(ff_reply_code_find("nothing", 7), 0);
    /* the text is read eight bytes at a time: a code is found at every offset, after
     * digits that cannot lead one ('0', '1', '6'..'9'), high bytes and codes that fail */
    static const char *const fillers[] = {"", "x ", "0 1 6 9 ", "\xc3\xa9\xff\xb2\xb5 ",
                                          "port 25000 ", "6 7 8 9 0 1 x y z w v u "};
    for (size_t f = 0; f < sizeof fillers / sizeof fillers[0]; f++) {
        for (size_t pad = 0; pad < 17; pad++) {
            char t[128];
            int n = snprintf(t, sizeof t, "%s%.*s421 try later", fillers[f], (int)pad,
                             "                ");
            if (ff_reply_code_find(t, (size_t)n) != 421)
                fail_msg("no 421 in '%s'", t);
            /* a code with its status beats a bare one before it */
            n = snprintf(t, sizeof t, "%s421%.*s552-5.2.2 x", fillers[f], (int)pad + 1,
                         "                 ");
            if (ff_reply_code_find(t, (size_t)n) != 552)
                fail_msg("no 552 in '%s'", t);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_code_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
