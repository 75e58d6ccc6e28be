/* test_dkim.c - DKIM: the RFC 8463 example verifies, sign/verify round trips for both
 * algorithms and canonicalisations, tampering fails with the right reason, key lint */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/dkim.h"

/* The key published for the RFC 8463 Appendix A example (brisbane._domainkey). */
static const char *rfc8463_key = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

typedef struct keyctx {
    const char *txt;
    ff_status st;
} keyctx;

static ff_status lookup(void *ctx, const char *sel, const char *dom, char *txt, size_t cap)
{
    (void)sel;
    (void)dom;
    keyctx *k = ctx;
    if (k->st != FF_OK)
        return k->st;
    snprintf(txt, cap, "%s", k->txt);
    return FF_OK;
}

static char *slurp(const char *name, size_t *len)
{
    char path[1024];
    const char *dir = getenv("FF_TEST_DATA");
    snprintf(path, sizeof path, "%s/dkim/%s", dir ? dir : "tests/data", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void test_rfc8463_example(void **state)
{
    (void)state;
    size_t len;
    char *msg = slurp("rfc8463-ed25519.eml", &len);
    keyctx k = {rfc8463_key, FF_OK};
    ff_dkim_verdict v[4];
    size_t n = 0;
    assert_int_equal(ff_dkim_verify(msg, len, lookup, &k, v, 4, &n, NULL), FF_OK);
    assert_int_equal(n, 1);
    if (v[0].result != FF_DKIM_PASS)
        fail_msg("%s: %s", ff_dkim_result_name(v[0].result), v[0].reason);
    assert_string_equal(v[0].domain, "football.example.com");
    assert_string_equal(v[0].selector, "brisbane");
    assert_int_equal(v[0].alg, FF_DKIM_ED25519_SHA256);
    /* One changed letter in the body. */
    char *p = strstr(msg, "hungry");
    p[0] = 'H';
    assert_int_equal(ff_dkim_verify(msg, len, lookup, &k, v, 4, &n, NULL), FF_OK);
    assert_int_equal(v[0].result, FF_DKIM_FAIL);
    assert_non_null(strstr(v[0].reason, "body hash"));
    p[0] = 'h';
    /* A changed subject. */
    p = strstr(msg, "dinner");
    p[0] = 'D';
    assert_int_equal(ff_dkim_verify(msg, len, lookup, &k, v, 4, &n, NULL), FF_OK);
    assert_int_equal(v[0].result, FF_DKIM_FAIL);
    assert_non_null(strstr(v[0].reason, "signature mismatch"));
    p[0] = 'd';
    /* Key missing, revoked, or unreachable. */
    keyctx none = {NULL, FF_ENOTFOUND}, down = {NULL, FF_EIO}, revoked = {"v=DKIM1; k=ed25519; p=", FF_OK};
    ff_dkim_verify(msg, len, lookup, &none, v, 4, &n, NULL);
    assert_int_equal(v[0].result, FF_DKIM_PERMERROR);
    ff_dkim_verify(msg, len, lookup, &down, v, 4, &n, NULL);
    assert_int_equal(v[0].result, FF_DKIM_TEMPERROR);
    ff_dkim_verify(msg, len, lookup, &revoked, v, 4, &n, NULL);
    assert_int_equal(v[0].result, FF_DKIM_PERMERROR);
    assert_non_null(strstr(v[0].reason, "revoked"));
    free(msg);
}

static void round_trip(ff_dkim_alg alg, ff_dkim_canon hc, ff_dkim_canon bc, bool oversign)
{
    void *pk = NULL;
    assert_int_equal(ff_dkim_pkey_generate(alg, 2048, &pk, NULL), FF_OK);
    char *pem = NULL, *txt = NULL;
    assert_int_equal(ff_dkim_pkey_pem(pk, &pem, &txt, NULL), FF_OK);
    const char *msg = "From: Shop <shop@example.com>\nTo: a@example.org\nSubject:  Your   receipt \n"
                      "Date: Tue, 24 Nov 2026 10:00:00 +0000\nMessage-ID: <r1@example.com>\n\n"
                      "Thank you.  \n\nLine two.\n\n\n";
    ff_dkim_signer s = {.domain = "example.com", .selector = "s1", .pkey = pk,
                        .header_canon = hc, .body_canon = bc, .oversign = oversign,
                        .timestamp = 1764000000, .body_length = -1};
    char *h = NULL;
    ff_error err;
    assert_int_equal(ff_dkim_sign(&s, msg, strlen(msg), &h, &err), FF_OK);
    /* Folded: no line longer than 78 characters. */
    for (char *l = h; *l;) {
        char *e = strstr(l, "\r\n");
        assert_true(e - l <= 78);
        l = e + 2;
    }
    size_t ml = strlen(h) + strlen(msg);
    char *signed_msg = malloc(ml + 1);
    snprintf(signed_msg, ml + 1, "%s%s", h, msg);
    keyctx k = {txt, FF_OK};
    ff_dkim_verdict v[2];
    size_t n;
    assert_int_equal(ff_dkim_verify(signed_msg, ml, lookup, &k, v, 2, &n, NULL), FF_OK);
    assert_int_equal(n, 1);
    if (v[0].result != FF_DKIM_PASS)
        fail_msg("alg %d c=%d/%d: %s", alg, hc, bc, v[0].reason);
    /* Relaxed survives re-folding and white space changes; simple does not. */
    char *changed = malloc(ml + 16);
    snprintf(changed, ml + 16, "%s%s", h, msg);
    char *subj = strstr(changed, "Subject:  Your   receipt ");
    memcpy(subj, "subject: Your receipt    ", 25);
    ff_dkim_verify(changed, strlen(changed), lookup, &k, v, 2, &n, NULL);
    assert_int_equal(v[0].result, hc == FF_DKIM_RELAXED ? FF_DKIM_PASS : FF_DKIM_FAIL);
    /* A second From added below a signature that oversigned From breaks it. */
    if (oversign) {
        size_t cl = ml + 64;
        char *twice = malloc(cl);
        snprintf(twice, cl, "%sFrom: evil@example.net\r\n%s", h, msg);
        ff_dkim_verify(twice, strlen(twice), lookup, &k, v, 2, &n, NULL);
        assert_int_equal(v[0].result, FF_DKIM_FAIL);
        free(twice);
    }
    free(changed);
    free(signed_msg);
    free(h);
    free(pem);
    free(txt);
    ff_dkim_pkey_free(pk);
}

static void test_round_trips(void **state)
{
    (void)state;
    round_trip(FF_DKIM_RSA_SHA256, FF_DKIM_RELAXED, FF_DKIM_RELAXED, true);
    round_trip(FF_DKIM_RSA_SHA256, FF_DKIM_SIMPLE, FF_DKIM_SIMPLE, false);
    round_trip(FF_DKIM_ED25519_SHA256, FF_DKIM_RELAXED, FF_DKIM_SIMPLE, true);
    round_trip(FF_DKIM_ED25519_SHA256, FF_DKIM_SIMPLE, FF_DKIM_RELAXED, false);
}

static void test_key_lint(void **state)
{
    (void)state;
    static const struct {
        const char *txt;
        ff_status st;
        ff_severity worst;
        const char *says;
    } rows[] = {
        {"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", FF_OK, FF_SEV_INFO, NULL},
        {"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQH\" \"Og7hcvPapiMlrwIaaPcHURo=", FF_OK,
         FF_SEV_FAIL, "'\"'"},
        {"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQH Og7hcvPapiMlrwIaaPcHURo=", FF_OK,
         FF_SEV_WARN, "spaces"},
        {"v=DKIM1; p=", FF_OK, FF_SEV_FAIL, "revoked"},
        {"k=ed25519; v=DKIM1; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", FF_OK,
         FF_SEV_WARN, "first"},
        {"v=DKIM1; k=ed25519; t=y; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", FF_OK,
         FF_SEV_WARN, "testing"},
        {"v=DKIM1; k=dsa; p=AAAA", FF_EPARSE, FF_SEV_FAIL, "unknown key type"},
        {"v=DKIM1; k=rsa", FF_EPARSE, FF_SEV_FAIL, "no p="},
        {"v=DKIM1; k=rsa; p=AAAAB3NzaC1yc2EAAAADAQAB", FF_EPARSE, FF_SEV_FAIL, "RSA"},
        {"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUR", FF_EPARSE,
         FF_SEV_FAIL, "base64"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_dkim_key k;
        ff_status st = ff_dkim_key_parse(rows[i].txt, strlen(rows[i].txt), &k, NULL);
        bool said = !rows[i].says;
        for (size_t f = 0; f < k.nfindings; f++)
            said = said || strstr(k.findings[f].msg, rows[i].says);
        if (st != rows[i].st || ff_dkim_key_worst(&k) != rows[i].worst || !said)
            fail_msg("row %zu: status %d worst %d findings %zu (%s)", i, (int)st,
                     (int)ff_dkim_key_worst(&k), k.nfindings,
                     k.nfindings ? k.findings[0].msg : "");
        ff_dkim_key_clear(&k);
    }
    /* Key sizes: 1024 warns, 512 fails. */
    for (int bits = 512; bits <= 1024; bits += 512) {
        void *pk;
        assert_int_equal(ff_dkim_pkey_generate(FF_DKIM_RSA_SHA256, bits, &pk, NULL), FF_OK);
        char *pem, *txt;
        ff_dkim_pkey_pem(pk, &pem, &txt, NULL);
        ff_dkim_key k;
        assert_int_equal(ff_dkim_key_parse(txt, strlen(txt), &k, NULL), FF_OK);
        assert_int_equal(k.bits, bits);
        assert_int_equal(ff_dkim_key_worst(&k), bits < 1024 ? FF_SEV_FAIL : FF_SEV_WARN);
        ff_dkim_key_clear(&k);
        free(pem);
        free(txt);
        ff_dkim_pkey_free(pk);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8463_example),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_key_lint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
