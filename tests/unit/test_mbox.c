/* test_mbox.c - mbox splitting: separators, blank lines, CRLF, a file that is no mbox */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fivefifty/mbox.h"

struct row {
    const char *in;
    int n;                 /* messages expected */
    const char *msgs[3];   /* their exact bytes */
};

static const struct row rows[] = {
    {"", 0, {NULL}},
    {"From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\nbody\n", 1, {"Subject: x\n\nbody\n"}},
    {"From a@b Mon\nSubject: 1\n\none\n\nFrom c@d Tue\nSubject: 2\n\ntwo\n", 2,
     {"Subject: 1\n\none\n", "Subject: 2\n\ntwo\n"}},
    {"From a\r\nS: 1\r\n\r\nx\r\n\r\nFrom b\r\nS: 2\r\n", 2, {"S: 1\r\n\r\nx\r\n", "S: 2\r\n"}},
    /* an unescaped "From " inside a body still splits: that is what mboxo readers do */
    {"From a\nS: 1\n\nFrom here\n", 2, {"S: 1\n", ""}},
    /* a quoted ">From " never splits */
    {"From a\nS: 1\n\n>From here\n", 1, {"S: 1\n\n>From here\n"}},
    {"From a\n", 1, {""}},
};

static void splits(void **state)
{
    (void)state;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        const char *in = rows[r].in;
        size_t pos = 0, len = strlen(in), m;
        const char *msg;
        int n = 0;
        while (ff_mbox_next(in, len, &pos, &msg, &m)) {
            if (n < rows[r].n) {
                if (m != strlen(rows[r].msgs[n]) || memcmp(msg, rows[r].msgs[n], m) != 0)
                    fail_msg("row %zu message %d: got [%.*s]", r, n, (int)m, msg);
            }
            n++;
        }
        if (n != rows[r].n)
            fail_msg("row %zu [%s]: %d messages, want %d", r, in, n, rows[r].n);
    }
}

static void detects(void **state)
{
    (void)state;
    assert_true(ff_mbox_is("From a@b Mon\n", 13));
    assert_false(ff_mbox_is("From:\n", 6));
    assert_false(ff_mbox_is("Return-Path: <>\n", 16));
    assert_false(ff_mbox_is("From \n", 6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits),
        cmocka_unit_test(detects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
