/* test_mail.c - header values and text as ff_mail_parse() hands them on: the fast paths
 * for plain ASCII must give what the general paths give */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mail.h"

static void test_header_values(void **state)
{
    (void)state;
    static const struct {
        const char *raw, *want;
    } rows[] = {
        {"Subject: plain\r\n", "plain"},
        {"Subject:   spaced  \t\r\n", "spaced"},
        {"Subject: folded\r\n\tline\r\n", "folded line"},
        {"Subject: \r\n  only continuation\r\n", "only continuation"},
        {"Subject: a\tb\r\n", "a b"},
        {"Subject: =?UTF-8?B?w6k=?= x\r\n", "\xc3\xa9 x"},
        {"Subject: =?ISO-8859-1?Q?caf=E9?=\r\n", "caf\xc3\xa9"},
        {"Subject: a=b ?c\r\n", "a=b ?c"},
        {"Subject: \xc3\xa9t\xc3\xa9\r\n", "\xc3\xa9t\xc3\xa9"},
        {"Subject: \xe9t\xe9\r\n", "\xef\xbf\xbdt\xef\xbf\xbd"}, /* not UTF-8: U+FFFD */
        {"Subject:\r\n", ""},
        /* long values: copied eight bytes at a time until a tab, line end or '=' */
        {"Subject: abcdefghijklmnopqrstuvwxyz0123456789\r\n",
         "abcdefghijklmnopqrstuvwxyz0123456789"},
        {"Subject: abcdefgh\tijklmnop\r\n qrstuvwx\r\n\tyz\r\n",
         "abcdefgh ijklmnop qrstuvwx yz"},
        {"Subject: abcdefghijk=lmnopq=?xyz\r\n", "abcdefghijk=lmnopq=?xyz"},
        {"Subject: abcdefghijklmn=?UTF-8?Q?=C3=A9?=\r\n", "abcdefghijklmn\xc3\xa9"},
        {"Subject: abcdefghij\x7fklmnopqrstu\r\n", "abcdefghij\x7fklmnopqrstu"},
        {"Subject: abcdefghijklmnop\xc3\xa9qrstuvwxyz\r\n",
         "abcdefghijklmnop\xc3\xa9qrstuvwxyz"},
        {"Subject: abcdefghijklmnop   \t  \r\n", "abcdefghijklmnop"},
        /* stripped at both ends as g_strstrip() does: form feeds go, vertical tabs stay */
        {"Subject: \v\f x \f y\f\v \r\n", "\v\f x \f y\f\v"},
        {"Subject: \x0b\r\n", "\x0b"},
        {"Subject: \f x\f\r\n", "x"},
        {"Subject: =?UTF-8?Q?_a_?=\f\r\n", "a"},
        {"Subject: \f\xc3\xa9\v\r\n", "\xc3\xa9\v"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char msg[512];
        snprintf(msg, sizeof msg, "From: a@b.example\r\n%s\r\nbody\r\n", rows[i].raw);
        ff_mail m;
        assert_int_equal(ff_mail_parse(msg, strlen(msg), &m, NULL), FF_OK);
        const char *v = ff_mail_header(&m, "Subject");
        if (v == NULL || strcmp(v, rows[i].want) != 0)
            fail_msg("header '%s': got '%s', want '%s'", rows[i].raw, v ? v : "(none)",
                     rows[i].want);
        ff_mail_free(&m);
    }
}

static void test_body_text(void **state)
{
    (void)state;
    static const struct {
        const char *ctype, *body, *want;
    } rows[] = {
        {"text/plain", "550 user unknown\r\n", "550 user unknown\n"},
        {"text/plain; charset=us-ascii", "a\r\nb\r\n", "a\nb\n"},
        {"text/plain; charset=utf-8", "\xc3\xa9\r\n", "\xc3\xa9\n"},
        {"text/plain; charset=iso-8859-1", "caf\xe9\r\n", "caf\xc3\xa9\n"},
        {"text/plain", "caf\xe9\r\n", "caf\xc3\xa9\n"}, /* unlabelled, not UTF-8: 1252 */
        {"text/plain", "\x1b$B$3$s\x1b(B\r\n", "\xe3\x81\x93\xe3\x82\x93\n"}, /* JIS */
        {"text/plain; charset=us-ascii", "\x1b[1m\r\n", "\x1b[1m\n"},
        /* line ends: CRLF and lone CR become LF, LF stays */
        {"text/plain", "a\rb\r\n\r\nc\nd\r", "a\nb\n\nc\nd\n"},
        {"text/plain; charset=utf-8", "\r\r\n\n", "\n\n\n"},
        {"text/plain; charset=utf-8", "\xc3\xa9\rx\r\n", "\xc3\xa9\nx\n"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char msg[512];
        snprintf(msg, sizeof msg, "From: a@b.example\r\nContent-Type: %s\r\n\r\n%s",
                 rows[i].ctype, rows[i].body);
        ff_mail m;
        assert_int_equal(ff_mail_parse(msg, strlen(msg), &m, NULL), FF_OK);
        if (m.text == NULL || strcmp(m.text, rows[i].want) != 0)
            fail_msg("body %zu (%s): got '%s'", i, rows[i].ctype, m.text ? m.text : "(null)");
        ff_mail_free(&m);
    }
}

/* Header names match whatever their case; a shared first letter is not a match. */
/* text/html is read only when there is no text/plain: then every HTML part, in order,
 * decoded and stripped of its tags; beside text/plain, never. */
static void test_html_parts(void **state)
{
    (void)state;
    static const struct {
        const char *parts, *want;
    } rows[] = {
        {"--b\r\nContent-Type: text/html; charset=iso-8859-1\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
         "<p>caf=E9 <b>user</b> unknown</p><br>x &amp; y\r\n--b--\r\n",
         "\ncaf\xc3\xa9 user unknown\n\nx & y"},
        {"--b\r\nContent-Type: text/plain\r\n\r\n550 plain text\r\n"
         "--b\r\nContent-Type: text/html\r\n\r\n<p>html text</p>\r\n--b--\r\n",
         "550 plain text"},
        {"--b\r\nContent-Type: text/html\r\n\r\n<p>html first</p>\r\n"
         "--b\r\nContent-Type: text/plain\r\n\r\nplain second\r\n--b--\r\n",
         "plain second"},
        {"--b\r\nContent-Type: text/html; charset=utf-8\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\nPHA+b25lPC9wPg==\r\n"
         "--b\r\nContent-Type: text/html\r\n\r\n<style>x{}</style><div>two</div>\r\n--b--\r\n",
         "\none\ntwo\n"},
        {"--b\r\nContent-Type: text/html\r\n\r\n<p>html with dsn</p>\r\n"
         "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n"
         "\r\nFinal-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n",
         "\nhtml with dsn\n"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char msg[1024];
        snprintf(msg, sizeof msg,
                 "From: a@b.example\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n%s",
                 rows[i].parts);
        ff_mail m;
        assert_int_equal(ff_mail_parse(msg, strlen(msg), &m, NULL), FF_OK);
        if (m.text == NULL || strcmp(m.text, rows[i].want) != 0)
            fail_msg("row %zu: got '%s'", i, m.text ? m.text : "(null)");
        ff_mail_free(&m);
    }
}

static void test_header_lookup(void **state)
{
    (void)state;
    const char *msg = "From: a@b.example\r\nsubject: one\r\nSUBJECTS: two\r\n"
                      "X-1: three\r\n\r\nbody\r\n";
    ff_mail m;
    assert_int_equal(ff_mail_parse(msg, strlen(msg), &m, NULL), FF_OK);
    assert_string_equal(ff_mail_header(&m, "Subject"), "one");
    assert_string_equal(ff_mail_header(&m, "SUBJECT"), "one");
    assert_string_equal(ff_mail_header(&m, "subjects"), "two");
    assert_string_equal(ff_mail_header(&m, "x-1"), "three");
    assert_null(ff_mail_header(&m, "Sub"));
    assert_null(ff_mail_header(&m, "x-2"));
    assert_null(ff_mail_header(&m, ""));
    ff_mail_free(&m);
}

/* Values are decoded on the first ask: the second ask gets the same string, a header asked
 * for never is still freed with the mail (ASan in CI sees a leak), and the first of two
 * fields of one name is the one decoded. */
static void test_header_lazy(void **state)
{
    (void)state;
    const char *msg = "From: a@b.example\r\nSubject: =?UTF-8?B?w6k=?=\r\n"
                      "Subject: second\r\nX-Long: folded\r\n\tvalue\r\n"
                      "X-Never: =?UTF-8?Q?never_asked?=\r\n\r\nbody\r\n";
    ff_mail m;
    assert_int_equal(ff_mail_parse(msg, strlen(msg), &m, NULL), FF_OK);
    const char *s1 = ff_mail_header(&m, "subject");
    assert_string_equal(s1, "\xc3\xa9");
    assert_ptr_equal(ff_mail_header(&m, "SUBJECT"), s1);
    assert_string_equal(ff_mail_header(&m, "x-long"), "folded value");
    assert_string_equal(ff_mail_header(&m, "x-long"), "folded value");
    ff_mail_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_values),
        cmocka_unit_test(test_body_text),
        cmocka_unit_test(test_html_parts),
        cmocka_unit_test(test_header_lookup),
        cmocka_unit_test(test_header_lazy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
