/* test_compose.c - outgoing messages: headers, MIME, injection refused; VERP tokens */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/compose.h"

static const unsigned char secret[] = "0123456789abcdef0123456789abcdef";

static void no_bare_line_ends(const char *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (m[i] == '\n')
            assert_true(i > 0 && m[i - 1] == '\r');
        if (m[i] == '\r')
            assert_true(i + 1 < n && m[i + 1] == '\n');
    }
}

static void test_simple(void **state)
{
    (void)state;
    const char *to[] = {"Ana <ana@example.org>", "bo@example.org"};
    ff_compose_in in = {.from = "Sender <news@example.com>", .to = to, .nto = 2,
                        .subject = "Hello", .text = "line one\nline two\n", .msgid_domain =
                        "example.com", .date = 1764028800};
    char *m = NULL, id[FF_MSGID_MAX];
    size_t n = 0;
    assert_int_equal(ff_compose(&in, &m, &n, id, sizeof id, NULL), FF_OK);
    assert_non_null(strstr(m, "From: Sender <news@example.com>\r\n"));
    assert_non_null(strstr(m, "To: Ana <ana@example.org>,\r\n bo@example.org\r\n"));
    assert_non_null(strstr(m, "Subject: Hello\r\n"));
    assert_non_null(strstr(m, "Date: Tue, 25 Nov 2025 00:00:00 +0000\r\n"));
    assert_non_null(strstr(m, "@example.com>"));
    assert_non_null(strstr(m, id));
    assert_non_null(strstr(m, "Content-Transfer-Encoding: quoted-printable\r\n\r\nline one\r\n"));
    assert_null(strstr(m, "List-Unsubscribe"));
    no_bare_line_ends(m, n);
    free(m);
}

static void test_utf8_long_lines_and_alternative(void **state)
{
    (void)state;
    char body[3000];
    memset(body, 'a', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    body[10] = '=';
    memcpy(body + 20, "caf\xc3\xa9", 5);
    const char *to[] = {"Zoë <z@example.org>"};
    ff_compose_in in = {.from = "a@example.com", .to = to, .nto = 1,
                        .subject = "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln",
                        .text = body, .html = "<p>Hi</p>\nFrom here\n.dot",
                        .unsubscribe_url = "https://example.com/u/1",
                        .unsubscribe_mailto = "u@example.com"};
    char *m = NULL;
    size_t n = 0;
    assert_int_equal(ff_compose(&in, &m, &n, NULL, 0, NULL), FF_OK);
    assert_non_null(strstr(m, "Subject: =?UTF-8?B?"));
    assert_non_null(strstr(m, "To: =?UTF-8?B?Wm/Dqw==?= <z@example.org>"));
    assert_non_null(strstr(m, "multipart/alternative"));
    assert_non_null(strstr(m, "a=3Da"));
    assert_non_null(strstr(m, "caf=C3=A9"));
    assert_non_null(strstr(m, "=46rom here")); /* no "From " at a line start */
    assert_non_null(strstr(m, "=2Edot"));
    assert_non_null(strstr(m, "List-Unsubscribe: <https://example.com/u/1>,\r\n <mailto:u@example.com>\r\n"));
    assert_non_null(strstr(m, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    /* Every line within 78 characters plus CRLF, and 7-bit clean. */
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true((unsigned char)m[i] < 0x80);
        col = m[i] == '\n' ? 0 : col + 1;
        assert_true(col <= 80);
    }
    no_bare_line_ends(m, n);
    free(m);
}

static void test_injection_refused(void **state)
{
    (void)state;
    const char *to[] = {"a@example.org"};
    const char *evil_to[] = {"a@example.org\r\nBcc: victim@example.net"};
    ff_header_kv evil_h[] = {{"X-Campaign", "q3\r\nBcc: x@example.net"}};
    ff_header_kv bad_name[] = {{"X Bad", "v"}};
    ff_header_kv structural[] = {{"Message-ID", "<x@y>"}};
    ff_compose_in base = {.from = "a@example.com", .to = to, .nto = 1, .subject = "s", .text = "t"};
    ff_compose_in rows[6];
    for (int i = 0; i < 6; i++)
        rows[i] = base;
    rows[0].subject = "hi\r\nBcc: victim@example.net";
    rows[1].to = evil_to;
    rows[2].headers = evil_h, rows[2].nheaders = 1;
    rows[3].headers = bad_name, rows[3].nheaders = 1;
    rows[4].headers = structural, rows[4].nheaders = 1;
    rows[5].from = "a@example.com\nBcc: v@example.net";
    for (int i = 0; i < 6; i++) {
        char *m = NULL;
        size_t n;
        ff_error err = {0};
        if (ff_compose(&rows[i], &m, &n, NULL, 0, &err) != FF_EINVAL)
            fail_msg("row %d was not refused", i);
        assert_null(m);
        assert_true(err.msg[0] != '\0');
    }
}

static void test_raw(void **state)
{
    (void)state;
    const char *raw = "From: a@example.com\nTo: b@example.org\nSubject: raw\n\nbody\n";
    ff_compose_in in = {.raw = raw, .raw_len = strlen(raw), .msgid_domain = "example.com",
                        .unsubscribe_url = "https://example.com/u"};
    char *m = NULL, id[FF_MSGID_MAX];
    size_t n;
    assert_int_equal(ff_compose(&in, &m, &n, id, sizeof id, NULL), FF_OK);
    assert_non_null(strstr(m, "Message-ID: <"));
    assert_non_null(strstr(m, "Date: "));
    assert_non_null(strstr(m, "List-Unsubscribe: <https://example.com/u>"));
    assert_non_null(strstr(m, raw));
    free(m);
    const char *raw2 = "From: a@example.com\nMessage-ID: <kept@example.com>\n\nx\n";
    in.raw = raw2;
    in.raw_len = strlen(raw2);
    assert_int_equal(ff_compose(&in, &m, &n, id, sizeof id, NULL), FF_OK);
    assert_string_equal(id, "<kept@example.com>");
    assert_null(strstr(m, "Message-ID: <1"));
    free(m);
    const char *nofrom = "To: b@example.org\n\nx\n";
    in.raw = nofrom;
    in.raw_len = strlen(nofrom);
    assert_int_equal(ff_compose(&in, &m, &n, NULL, 0, NULL), FF_EINVAL);
}

static void test_verp(void **state)
{
    (void)state;
    static const uint64_t ids[] = {0, 1, 42, 0xffffffffffffffffULL, 1234567890123ULL};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char tok[FF_VERP_TOKEN_MAX], addr[128];
        assert_int_equal(ff_verp_token(secret, 32, ids[i], tok), FF_OK);
        assert_int_equal(strlen(tok), 26);
        snprintf(addr, sizeof addr, "bounces+%s@bounce.example.com", tok);
        uint64_t got = 7;
        assert_int_equal(ff_verp_parse(secret, 32, addr, &got), FF_OK);
        assert_true(got == ids[i]);
        /* Case-folded on the way back: still ours. */
        for (char *p = addr; *p; p++)
            *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        assert_int_equal(ff_verp_parse(secret, 32, addr, &got), FF_OK);
        assert_true(got == ids[i]);
        /* One character changed: refused. */
        snprintf(addr, sizeof addr, "bounces+%s@bounce.example.com", tok);
        addr[10] = addr[10] == 'a' ? 'b' : 'a';
        assert_int_equal(ff_verp_parse(secret, 32, addr, &got), FF_EPARSE);
    }
    uint64_t got;
    assert_int_equal(ff_verp_parse(secret, 32, "someone@example.com", &got), FF_ENOTFOUND);
    assert_int_equal(ff_verp_parse(secret, 32, "a+short@example.com", &got), FF_ENOTFOUND);
    char tok[FF_VERP_TOKEN_MAX];
    assert_int_equal(ff_verp_token(secret, 8, 1, tok), FF_EINVAL);
    /* Known answers: base32 of the id and HMAC-SHA256(key, id)[0..8) computed outside
     * fivefifty (Python's hmac module), so a token stays valid across versions: bounces
     * come back days after the mail left. */
    unsigned char key[32];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)i;
    assert_int_equal(ff_verp_token(key, 32, 1, tok), FF_OK);
    assert_string_equal(tok, "aaaaaaaaaaaadrbs4bm4g6ho64");
    assert_int_equal(ff_verp_token(key, 32, 12345, tok), FF_OK);
    assert_string_equal(tok, "aaaaaaaaaaydten2r5okljaera");
    assert_int_equal(ff_verp_token(key, 32, 1099511627783ULL, tok), FF_OK);
    assert_string_equal(tok, "aaaacaaaaaaaorc4zueroek5yi");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),
        cmocka_unit_test(test_utf8_long_lines_and_alternative),
        cmocka_unit_test(test_injection_refused),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_verp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
