/* test_presign.c - DKIM signatures made ahead on other threads: in order, skipped entries,
 * and a stop before the end */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/dkim.h"
#include "presign.h"

#define N 40

static void test_presign(void **state)
{
    (void)state;
    void *key = NULL;
    assert_int_equal(ff_dkim_pkey_generate(FF_DKIM_ED25519_SHA256, 0, &key, NULL), FF_OK);
    ff_dkim_signer ds = {.domain = "example.com", .selector = "s1", .pkey = key,
                         .header_canon = FF_DKIM_RELAXED, .body_canon = FF_DKIM_RELAXED,
                         .body_length = -1};
    char *msgs[N];
    size_t lens[N];
    for (int i = 0; i < N; i++) {
        char m[160];
        snprintf(m, sizeof m, "From: a@example.com\r\nTo: b%d@example.org\r\nSubject: %d\r\n"
                 "\r\nbody %d\r\n", i, i, i);
        msgs[i] = i == 7 ? NULL : strdup(m); /* entry 7 is skipped */
        lens[i] = msgs[i] ? strlen(msgs[i]) : 0;
    }
    ff_presign *p = NULL;
    assert_int_equal(ff_presign_start(&ds, msgs, lens, N, &p), FF_OK);
    for (int i = 0; i < N; i++) {
        const char *sig = ff_presign_wait(p, (size_t)i);
        if (i == 7) {
            assert_null(sig);
            continue;
        }
        assert_non_null(sig);
        assert_true(strncmp(sig, "DKIM-Signature:", 15) == 0);
        /* the same message signed here gives the same body hash */
        char *own = NULL;
        assert_int_equal(ff_dkim_sign(&ds, msgs[i], lens[i], &own, NULL), FF_OK);
        const char *bh1 = strstr(sig, "bh="), *bh2 = strstr(own, "bh=");
        assert_non_null(bh1);
        assert_non_null(bh2);
        assert_memory_equal(bh1, bh2, 20);
        free(own);
        free(msgs[i]); /* allowed once its wait returned */
        msgs[i] = NULL;
    }
    assert_null(ff_presign_wait(p, N)); /* out of range */
    ff_presign_stop(p);

    /* stopping before anything was waited for abandons the rest cleanly */
    char *again[N];
    for (int i = 0; i < N; i++) {
        again[i] = strdup("From: a@example.com\r\n\r\nx\r\n");
        lens[i] = strlen(again[i]);
    }
    assert_int_equal(ff_presign_start(&ds, again, lens, N, &p), FF_OK);
    ff_presign_stop(p);
    for (int i = 0; i < N; i++)
        free(again[i]);
    ff_dkim_pkey_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_presign)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
