/* test_mime.c - MIME structure read in place: fields, types, parameters, parts, decoding */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "mime.h"

static void test_fields(void **state)
{
    (void)state;
    const char *m = "Subject: one\r\n  two\r\nX Bad: not a field\r\nnocolon\r\n"
                    "Content-Type: text/plain;\r\n\tcharset=utf-8\r\n\r\nbody\r\n";
    size_t hlen, body;
    ff_mime_split(m, strlen(m), &hlen, &body);
    assert_string_equal(m + body, "body\r\n");
    size_t pos = 0, nl, vl, count = 0;
    const char *name, *val;
    while (ff_mime_field_next(m, hlen, &pos, &name, &nl, &val, &vl))
        count++;
    assert_int_equal(count, 2); /* "X Bad" and "nocolon" are no fields */
    assert_true(ff_mime_field(m, hlen, "subject", &val, &vl));
    assert_int_equal(vl, strlen(" one\r\n  two"));
    assert_true(ff_mime_field(m, hlen, "CONTENT-TYPE", &val, &vl));
    assert_false(ff_mime_field(m, hlen, "From", &val, &vl));
    /* no blank line: all header, no body */
    const char *h = "A: b\nC: d";
    ff_mime_split(h, strlen(h), &hlen, &body);
    assert_int_equal(hlen, strlen(h));
    assert_int_equal(body, strlen(h));
}

/* The obvious lookup: every field in turn. */
static bool field_by_walk(const char *h, size_t hn, const char *name, const char **val,
                          size_t *vl)
{
    size_t pos = 0, nl;
    const char *nm;
    while (ff_mime_field_next(h, hn, &pos, &nm, &nl, val, vl))
        if (nl == strlen(name) && strncasecmp(nm, name, nl) == 0)
            return true;
    return false;
}

/* ff_mime_field() tests line starts only: it must find what the walk finds, in header
 * blocks made of look-alike lines (continuations that name the field, names it prefixes,
 * a space before the colon, CR, a bare CR, blank lines, no final line end). */
static void test_field_lookup_like_walk(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "Content-Type: text/plain\r\n", "content-type:a\n", " Content-Type: folded\n",
        "\tcontinued\r\n", "Content-Typex: no\n", "Content-Typ: no\n",
        "Content-Type : spaced\n", "X Content-Type: bad\n", "Received: from a\n",
        "\n", "\r\n", "CONTENT-TYPE:\n", "Content-Type", "Content-Type:\r", ":\n",
        "Content-Transfer-Encoding: base64\n", "C: d\n"};
    static const char *const names[] = {"Content-Type", "content-type", "Content-Transfer-Encoding",
                                        "C", "Received", "X", "Content Type", "", "Type:"};
    unsigned seed = 12345;
    char h[512];
    for (int round = 0; round < 20000; round++) {
        size_t hn = 0;
        int parts = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 7;
        for (int i = 0; i < parts; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *pc = pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
            size_t pl = strlen(pc);
            if (hn + pl < sizeof h) {
                memcpy(h + hn, pc, pl);
                hn += pl;
            }
        }
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            const char *v1 = NULL, *v2 = NULL;
            size_t l1 = 0, l2 = 0;
            bool f1 = ff_mime_field(h, hn, names[k], &v1, &l1);
            bool f2 = field_by_walk(h, hn, names[k], &v2, &l2);
            if (f1 != f2 || (f1 && (v1 != v2 || l1 != l2)))
                fail_msg("'%s' in '%.*s': %d/%d", names[k], (int)hn, h, f1, f2);
        }
    }
}

static void test_types_and_params(void **state)
{
    (void)state;
    char t[64], v[64];
    const char *ct = " Multipart/Report; report-type=\"delivery-status\";\r\n boundary=\"b;1\"";
    ff_mime_type(ct, strlen(ct), t, sizeof t);
    assert_string_equal(t, "multipart/report");
    assert_true(ff_mime_param(ct, strlen(ct), "boundary", v, sizeof v));
    assert_string_equal(v, "b;1"); /* a ';' inside quotes is the value's */
    assert_true(ff_mime_param(ct, strlen(ct), "report-type", v, sizeof v));
    assert_string_equal(v, "delivery-status");
    assert_false(ff_mime_param(ct, strlen(ct), "charset", v, sizeof v));
    ff_mime_type("garbage", 7, t, sizeof t);
    assert_string_equal(t, "text/plain");
    /* RFC 2231: continuations joined, the extended value percent-decoded */
    const char *c2 = "text/plain; title*0*=us-ascii'en'a%20b; title*1=\" c\"; charset=iso-2022-jp";
    assert_true(ff_mime_param(c2, strlen(c2), "title", v, sizeof v));
    assert_string_equal(v, "a b c");
    assert_true(ff_mime_param(c2, strlen(c2), "charset", v, sizeof v));
    assert_string_equal(v, "iso-2022-jp");
}

static void test_parts(void **state)
{
    (void)state;
    const char *b = "preamble --b\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n"
                    "--b  \r\n\r\ntwo\r\n--b--\r\nepilogue\r\n--b\r\nnot a part\r\n";
    size_t pos = 0, pl;
    const char *part;
    assert_true(ff_mime_part_next(b, strlen(b), "b", &pos, &part, &pl));
    assert_int_equal(pl, strlen("Content-Type: text/plain\r\n\r\none"));
    assert_true(ff_mime_part_next(b, strlen(b), "b", &pos, &part, &pl));
    assert_int_equal(pl, strlen("\r\ntwo"));
    assert_false(ff_mime_part_next(b, strlen(b), "b", &pos, &part, &pl));
    /* a closing boundary that never comes: the last part runs to the end */
    const char *t = "--x\nA: b\n\ntruncated";
    pos = 0;
    assert_true(ff_mime_part_next(t, strlen(t), "x", &pos, &part, &pl));
    assert_int_equal(pl, strlen("A: b\n\ntruncated"));
    assert_false(ff_mime_part_next(t, strlen(t), "x", &pos, &part, &pl));
    /* "--xy" is not a boundary line of "x" */
    const char *u = "--xy\nA: b\n";
    pos = 0;
    assert_false(ff_mime_part_next(u, strlen(u), "x", &pos, &part, &pl));
}

static void test_decoding(void **state)
{
    (void)state;
    char out[64];
    const char *b64 = "aGVs\r\nbG8g!d29y bGQ=\r\n";
    assert_int_equal(ff_mime_decode(b64, strlen(b64), "base64", 6, out), 11);
    assert_string_equal(out, "hello world");
    const char *qp = "a=3Db=\r\nc =ZZ=";
    assert_int_equal(ff_mime_decode(qp, strlen(qp), " Quoted-Printable ", 18, out), 8);
    assert_string_equal(out, "a=bc =ZZ");
    assert_int_equal(ff_mime_decode("plain", 5, "8bit", 4, out), 5);
    assert_string_equal(out, "plain");
    /* runs between escapes, an escape first and last, a soft break with blanks */
    const char *qp2 = "=41long run of text=42=  \r\nmore=\n=43";
    assert_int_equal(ff_mime_decode(qp2, strlen(qp2), "quoted-printable", 16, out), 23);
    assert_string_equal(out, "Along run of textBmoreC");
    /* every base64 letter, and bytes that are none */
    const char *b64b = "QUJD\x80" "eHl6\xff MDEy Kys v/w==";
    assert_int_equal(ff_mime_decode(b64b, strlen(b64b), "base64", 6, out), 13);
    assert_memory_equal(out, "ABCxyz012++/\xff", 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_field_lookup_like_walk),
        cmocka_unit_test(test_types_and_params),
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_decoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
