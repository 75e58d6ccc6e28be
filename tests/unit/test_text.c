/* test_text.c - the scanners' string helpers (lib/text.h) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* The obvious search, kept as the reference ff_memcasemem() must agree with. */
static const char *naive(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        size_t k = 0;
        while (k < n && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == n)
            return hay + i;
    }
    return NULL;
}

static void test_memcasemem_rows(void **state)
{
    (void)state;
    static const struct {
        const char *hay;
        size_t len; /* 0: strlen(hay) */
        const char *needle;
        long want; /* offset, -1 = not found */
    } rows[] = {
        {"Diagnostic-Code: smtp; 550", 0, "diagnostic-code", 0},
        {"x-postfix; host said", 0, "HOST SAID", 11},
        {"aAaAb", 0, "ab", 3},            /* the lower and upper first bytes interleave */
        {"AaAaB", 0, "Ab", 3},
        {"abc", 0, "abcd", -1},           /* needle longer than hay */
        {"abc", 0, "", 0},
        {"xxab", 3, "ab", -1},            /* the match runs past len */
        {"a\0b ab", 6, "ab", 4},           /* a NUL in hay is a byte like another */
        {"5.1.1 user unknown", 0, "5.1.1", 0},
        {"[TS01] deferred", 0, "[ts01]", 0},
        {"no match here", 0, "zz", -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].hay);
        const char *got = ff_memcasemem(rows[i].hay, len, rows[i].needle);
        long off = got ? (long)(got - rows[i].hay) : -1;
        if (off != rows[i].want)
            fail_msg("row %zu ('%s' in '%s'): %ld instead of %ld", i, rows[i].needle,
                     rows[i].hay, off, rows[i].want);
    }
}

/* Random texts over a small alphabet, so matches, near misses and both cases are common;
 * long enough for the sixteen-at-a-time search (text.c) and its tail, and with bytes that
 * differ from another only in the 0x20 bit without being letters ('@' '`', '[' '{'),
 * which that search lets through for the full compare to refuse. */
static const char abc[] = "aAbB.-@`[{\0 ";

static void test_memcasemem_random(void **state)
{
    (void)state;
    srand(5);
    for (int round = 0; round < 40000; round++) {
        char hay[80], needle[6];
        size_t len = (size_t)(rand() % 80), n = 1 + (size_t)(rand() % 5);
        for (size_t i = 0; i < len; i++)
            hay[i] = abc[rand() % (sizeof abc - 1)];
        for (size_t i = 0; i < n; i++)
            needle[i] = abc[rand() % (sizeof abc - 3)]; /* no NUL in a needle */
        needle[n] = '\0';
        const char *want = naive(hay, len, needle), *got = ff_memcasemem(hay, len, needle);
        if (got != want)
            fail_msg("round %d: '%s' in %zu bytes: %td instead of %td", round, needle, len,
                     got ? got - hay : -1, want ? want - hay : -1);
    }
}

/* ff_memmem() against the obvious exact search, on the same kind of texts. */
static void test_memmem_random(void **state)
{
    (void)state;
    srand(7);
    for (int round = 0; round < 40000; round++) {
        char hay[80], needle[6];
        size_t len = (size_t)(rand() % 80), n = (size_t)(rand() % 6);
        for (size_t i = 0; i < len; i++)
            hay[i] = abc[rand() % (sizeof abc - 1)];
        for (size_t i = 0; i < n; i++)
            needle[i] = abc[rand() % (sizeof abc - 1)]; /* NULs too: lengths are given */
        const char *want = NULL;
        for (size_t i = 0; i + n <= len && want == NULL; i++)
            if (memcmp(hay + i, needle, n) == 0)
                want = hay + i;
        /* searched in a copy of exactly len bytes, so that a read past the end is one
         * the sanitizer build sees */
        char *exact = malloc(len ? len : 1);
        assert_non_null(exact);
        memcpy(exact, hay, len);
        const char *in = ff_memmem(exact, len, needle, n);
        const char *got = in ? hay + (in - exact) : NULL;
        free(exact);
        if (got != want)
            fail_msg("round %d: %zu-byte needle in %zu bytes: %td instead of %td", round, n,
                     len, got ? got - hay : -1, want ? want - hay : -1);
    }
}

/* ff_newline() against memchr(), at every length across its 16-byte steps and its
 * overlapping last step, with the LF anywhere (or nowhere), and other bytes that differ
 * from LF in one bit ('\x0a' ^ 0x20 is '*', ^ 0x80 a high byte), in exact-size copies. */
static void test_newline_random(void **state)
{
    (void)state;
    static const char bytes[] = "ab*\x8a\r\x0b\t ";
    srand(11);
    for (int round = 0; round < 40000; round++) {
        char s[72];
        size_t len = (size_t)(rand() % 72);
        for (size_t i = 0; i < len; i++)
            s[i] = bytes[rand() % (sizeof bytes - 1)];
        int lfs = rand() % 3; /* none, one, or two LFs */
        for (int k = 0; k < lfs && len > 0; k++)
            s[rand() % len] = '\n';
        char *exact = malloc(len ? len : 1);
        assert_non_null(exact);
        memcpy(exact, s, len);
        const char *want = memchr(exact, '\n', len), *got = ff_newline(exact, len);
        ptrdiff_t w = want ? want - exact : -1, g = got ? got - exact : -1;
        free(exact);
        if (g != w)
            fail_msg("round %d: %zu bytes: LF at %td instead of %td", round, len, g, w);
    }
}

static void test_startswith_case(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len; /* 0: strlen(s) */
        const char *prefix;
        bool want;
    } rows[] = {
        {"Reporting-MTA: dns; mx", 0, "reporting-mta:", true},
        {"REPORTING-MTA", 0, "reporting-mta:", false}, /* s ends first */
        {"Final-Recipient", 5, "Final-R", false},      /* len ends first */
        {"Final-Recipient", 7, "Final-R", true},
        {"anything", 0, "", true},
        {"", 0, "", true},
        {"a\0c", 3, "a\0c", true},                    /* stops at the prefix's NUL */
        {"ab", 0, "ax", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].s);
        if (ff_startswith_case(rows[i].s, len, rows[i].prefix) != rows[i].want)
            fail_msg("row %zu: '%s' starts '%s': %d", i, rows[i].s, rows[i].prefix,
                     !rows[i].want);
    }
}

static void test_unfold(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len; /* 0: strlen(s) */
        const char *want;
    } rows[] = {
        {"  550 5.1.1\r\n   user unknown  ", 0, "550 5.1.1 user unknown"},
        {"a\tb\n\n\nc", 0, "a b c"},
        {"0123456789abcdef 0123456789", 0, "0123456789abcdef 0123456789"}, /* runs of 8 */
        {"   ", 0, ""},
        /* a NUL is white space: before the fix a leading one gave an empty diagnostic */
        {"\0\0\0" "421 mx.example.org (smtp)... Deferred", 40,
         "421 mx.example.org (smtp)... Deferred"},
        {"550\0\0\0\0\0\0\0\0\0\0user unknown", 25, "550 user unknown"},
        {"a\0", 2, "a"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].s);
        char *got = ff_unfold(rows[i].s, len);
        assert_non_null(got);
        if (strcmp(got, rows[i].want) != 0)
            fail_msg("row %zu: unfold gave '%s', want '%s'", i, got, rows[i].want);
        free(got);
    }
}

static void test_addr_dup(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len;       /* 0: strlen(s) */
        const char *want; /* NULL: no address */
    } rows[] = {
        {"550 <User@Example.ORG>: unknown", 0, "User@example.org"},
        {"to \"john smith\"@example.org today", 0, "\"john smith\"@example.org"},
        {"bare user@mail.example.net.", 0, "user@mail.example.net"},
        {"no domain dot user@localhost", 0, NULL},
        /* a quote on an earlier line, or before a NUL, opens no quoted local part (the
         * fuzzer's find: the copy stopped at the NUL and kept no '@') */
        {"\"|/usr/bin/procmail\"\n\"@example.org", 0, NULL},
        {"\"a\0b\"@example.org x@example.net", 31, "x@example.net"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].s);
        char *got = ff_addr_dup(rows[i].s, len);
        if (rows[i].want == NULL ? got != NULL
                                 : got == NULL || strcmp(got, rows[i].want) != 0)
            fail_msg("row %zu: '%s', want '%s'", i, got ? got : "(none)",
                     rows[i].want ? rows[i].want : "(none)");
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memcasemem_rows),
        cmocka_unit_test(test_memcasemem_random),
        cmocka_unit_test(test_memmem_random),
        cmocka_unit_test(test_newline_random),
        cmocka_unit_test(test_startswith_case),
        cmocka_unit_test(test_unfold),
        cmocka_unit_test(test_addr_dup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
