/* test_rules_lit.c - the words a rule's pattern requires, and that skipping PCRE2 on
 * their absence never changes an answer */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules_lit.h"

/* The words found, as "[a] [b] & [c] | [d]!" (branches split by '|', the sets a branch
 * requires together by '&', '!' after a branch that is one plain word), or "" when the
 * pattern gets no prefilter. */
static void words(const char *pat, char *out, size_t cap)
{
    ff_lits l;
    assert_int_equal(ff_lits_extract(pat, &l), FF_OK);
    out[0] = '\0';
    size_t w = 0, s = 0;
    for (size_t b = 0; b < l.nbranch; b++) {
        unsigned nsets = l.shape[s++];
        s++; /* the branch's number of words */
        for (unsigned k = 0; k < nsets; k++) {
            unsigned nw = l.shape[s++];
            for (unsigned j = 0; j < nw; j++, w++) {
                size_t n = strlen(out);
                const char *sep = j > 0 ? " " : k > 0 ? " & " : b > 0 ? " | " : "";
                snprintf(out + n, cap - n, "%s[%s]", sep, l.v[w]);
            }
        }
        if (l.exact[b]) {
            size_t n = strlen(out);
            snprintf(out + n, cap - n, "!");
        }
    }
    assert_int_equal(w, l.n);
    ff_lits_clear(&l);
}

static void test_extract(void **state)
{
    (void)state;
    static const struct {
        const char *pat, *want;
    } rows[] = {
        {"user unknown", "[user unknown]!"},
        {"User Unknown|no such user", "[user unknown]! | [no such user]!"},
        /* a branch of plain words and groups of them, optional or not, is spelled out: each
         * string it matches is a sure match ('!') */
        {"mailbox (is )?full", "[mailbox is full]! | [mailbox full]!"},
        {"over ?quota", "[over quota]! | [overquota]!"},
        {"e-?mail address", "[e-mail address]! | [email address]!"},
        {"(account|mailbox) off", "[account off]! | [mailbox off]!"},
        {"(?:quota|storage) exceeded", "[quota exceeded]! | [storage exceeded]!"},
        {"\\(NoEmail\\)", "[(noemail)]!"},
        {"(user|mailbox) (is )?unknown\\b|no such user",
         "[unknown] & [user] [mailbox] | [no such user]!"},
        /* ... but not past MAX_EXPAND strings, MAX_LIT bytes, or with any other syntax,
         * even a ']' or '}' PCRE2 takes literally */
        {"(ab|cd|ef|gh)(ij|kl|mn|op)(qr|st|uv|wx)yzw", "[yzw]"},
        {"(abcdefghijklmnopqrstuvwxyz )?abcdefghijklmnopqrstuvwxyz|qwerty",
         "[abcdefghijklmnopqrstuvwxyz] | [qwerty]!"},
        {"abc.def|abc\\.de|xyz]uvw|sure{1}x|abcd{|MAILBOX FULL|ab??cde",
         "[abc] & [def] | [abc.de]! | [xyz]uvw] | [sur] | [abc] | [mailbox full]! | [cde]"},
        /* otherwise optional characters and groups are not required */
        {"mailbox (is )?full\\b", "[mailbox ] & [full]"},
        {"over ?quota\\b", "[quota] & [over]"},
        {"e-?mail address\\b", "[mail address]"},
        {"ab*cdef", "[cdef]"},
        {"abc{2}defg", "[defg]"},
        {"x+yzw", "[yzw]"}, /* x is required but not next to yzw in every match */
        {"mailbox.{0,30}(over|exceed)", "[mailbox] & [over] [exceed]"},
        /* a required group supplies its own alternatives; a branch requires all of its
         * sets, rarest (longest words) first */
        {"(account|mailbox) off\\b", "[account] [mailbox] & [ off]"},
        {"(?:quota|storage) exceeded\\b", "[ exceeded] & [quota] [storage]"},
        {"\\b(LPN|OFR)(\\d{3})?[-_]104\\b", "[104] & [lpn] [ofr]"},
        {"(a|b)cde(no|yes)fgh(ij|kl)mno(pqr)stu.", "[cde] & [fgh] & [mno] & [pqr]"},
        {"a[xyz]bcd", "[bcd]"},
        {"[]abc]def", "[def]"},
        {"^Amazon SES \\w+ bounce", "[amazon ses ] & [ bounce]"},
        /* no prefilter: a branch without a word, or syntax this reader does not follow */
        {"quota|x", ""},
        {"abc|", ""},
        {"\\d+", ""},
        {"(?x) user unknown", ""},
        {"(?i)user", ""},
        {"\\Quser(\\E", ""},
        {"\\x41bcd", ""},
        {"\\p{L}user", ""},
        {"(*UTF)user", ""},
        {"(?#x)user", ""},
        {"caf\xc3\xa9", "[caf]"}, /* non-ASCII ends a run: its case folds are not bytes */
        {"(?=abc)", ""},
        {"user)", ""},
        {"(user", ""},
        {"[abc", ""},
        {"", ""},
    };
    char got[512];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        words(rows[i].pat, got, sizeof got);
        if (strcmp(got, rows[i].want) != 0)
            fail_msg("pattern '%s': got '%s', want '%s'", rows[i].pat, got, rows[i].want);
    }
}

/* Whether the pattern matches the text, by PCRE2 alone and through the prefilter, the way
 * rules.c uses it; both must agree. */
static void agree(const char *pat, const char *text)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                   PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                                   &ec, &off, NULL);
    assert_non_null(re);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    size_t len = strlen(text);
    bool direct = pcre2_match(re, (PCRE2_SPTR)text, len, 0, 0, md, NULL) >= 0;

    ff_lits l;
    assert_int_equal(ff_lits_extract(pat, &l), FF_OK);
    ff_litindex *ix = ff_litindex_new();
    assert_non_null(ix);
    assert_int_equal(ff_litindex_add(ix, &l), FF_OK);
    bool filtered = direct;
    if (ff_lits_text_ok(text, len)) {
        char *lower = malloc(len + 1);
        unsigned char *seen = malloc(ff_litindex_size(ix) + 1);
        assert_non_null(lower);
        assert_non_null(seen);
        ff_lits_lower(text, len, lower);
        ff_litindex_scan(ix, lower, len, seen);
        /* the index's answer, from the words found, is the direct one, and a sure match
         * is one */
        assert_int_equal(ff_litindex_may(ix, &l, seen), ff_lits_any(&l, seen));
        if (l.n > 0 && ff_litindex_verdicts(ix, seen)[l.num] == FF_LITS_MATCH && !direct)
            fail_msg("pattern '%s' on '%s': a sure match PCRE2 does not make", pat, text);
        filtered = ff_lits_any(&l, seen) &&
                   pcre2_match(re, (PCRE2_SPTR)text, len, 0, 0, md, NULL) >= 0;
        free(lower);
        free(seen);
    }
    if (filtered != direct)
        fail_msg("pattern '%s' on '%s': PCRE2 says %d, the prefilter %d", pat, text, direct,
                 filtered);
    ff_litindex_free(ix);
    ff_lits_clear(&l);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
}

static void test_same_answers(void **state)
{
    (void)state;
    static const char *const pats[] = {
        "user unknown|no such user", "mailbox (is )?full", "(account|mailbox) disabled",
        "e-?mail address", "x+yz", "over ?quota", "SENT_(MAIL|RCPT)\\b", "ask for it",
        "\\(NoEmail\\)", "ssl", "(account|mailbox) (is )?disabled|mailbox.{0,30}(over|exceed)",
        "over ?quota|quota exceeded",
    };
    static const char *const texts[] = {
        "550 5.1.1 User Unknown", "550 NO SUCH USER here", "mailbox full", "MAILBOX IS FULL",
        "Account Disabled", "email address", "e-mail ADDRESS", "xxxyz", "overquota",
        "sent_rcpt", "bounce (noemail)", "", "user", "ASK FOR IT", "Mailbox is over quota",
        "disabled mailbox", "quota over", "mailbox is disabled", "exceeded quota",
        /* U+212A KELVIN SIGN matches k and U+017F LONG S matches s under caseless UTF */
        "a\xe2\x84\xaa for it", "\xc5\xbfsl", "\xff\xfe user unknown",
    };
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++)
        for (size_t j = 0; j < sizeof texts / sizeof texts[0]; j++)
            agree(pats[i], texts[j]);
}

/* Words shared by several rules get one number; a scan finds each at any position. */
static void test_index(void **state)
{
    (void)state;
    ff_lits a, b;
    assert_int_equal(ff_lits_extract("quota|mailbox full", &a), FF_OK);
    assert_int_equal(ff_lits_extract("(disk|quota) exceeded", &b), FF_OK);
    ff_litindex *ix = ff_litindex_new();
    assert_non_null(ix);
    assert_int_equal(ff_litindex_add(ix, &a), FF_OK);
    assert_int_equal(ff_litindex_add(ix, &b), FF_OK);
    /* quota, mailbox full, " exceeded", disk */
    assert_int_equal(ff_litindex_count(ix), 4);
    unsigned char seen[8];
    assert_int_equal(ff_litindex_size(ix), 6); /* the words, then a and b */
    const char *t = "over quota";
    ff_litindex_scan(ix, t, strlen(t), seen);
    assert_true(ff_lits_any(&a, seen));
    assert_false(ff_lits_any(&b, seen)); /* quota, but not " exceeded" */
    t = "disk exceeded";
    ff_litindex_scan(ix, t, strlen(t), seen);
    assert_false(ff_lits_any(&a, seen));
    assert_true(ff_lits_any(&b, seen));
    assert_false(ff_litindex_may(ix, &a, seen));
    assert_true(ff_litindex_may(ix, &b, seen));
    t = "qu";
    ff_litindex_scan(ix, t, strlen(t), seen); /* shorter than any word */
    assert_false(ff_lits_any(&a, seen));
    ff_litindex_free(ix);
    ff_lits_clear(&a);
    ff_lits_clear(&b);
    ff_litindex_free(NULL);
    ff_lits_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract),
        cmocka_unit_test(test_same_answers),
        cmocka_unit_test(test_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
