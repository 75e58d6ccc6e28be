/* test_authres.c - Authentication-Results (RFC 8601): the RFC's examples and receivers'
 * real shapes, comments, quoted values, "none", and broken fields */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "fivefifty/authres.h"

static void test_parse(void **state)
{
    (void)state;
    const char *v = "mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=s1 "
                    "header.b=AbC/dEf+;\r\n       spf=softfail (google.com: domain of transitioning "
                    "a@example.com does not designate 192.0.2.1 as permitted sender) "
                    "smtp.mailfrom=a@example.com;\r\n       dmarc=fail (p=REJECT sp=REJECT dis=REJECT) "
                    "header.from=example.com";
    ff_authres a;
    ff_error err;
    assert_int_equal(ff_authres_parse(v, strlen(v), &a, &err), FF_OK);
    assert_string_equal(a.authserv_id, "mx.google.com");
    assert_int_equal(a.n, 3);
    assert_string_equal(a.r[0].method, "dkim");
    assert_string_equal(a.r[0].result, "pass");
    assert_string_equal(ff_authres_prop_get(&a.r[0], "header", "b"), "AbC/dEf+");
    assert_string_equal(a.r[1].result, "softfail");
    assert_non_null(strstr(a.r[1].comment, "does not designate"));
    assert_string_equal(ff_authres_prop_get(&a.r[1], "smtp", "mailfrom"), "a@example.com");
    assert_string_equal(ff_authres_prop_get(&a.r[2], "header", "from"), "example.com");
    char line[512];
    assert_int_equal(ff_authres_explain(&a, line, sizeof line), 2);
    assert_non_null(strstr(line, "spf=softfail for a@example.com"));
    assert_non_null(strstr(line, "dmarc=fail for example.com (p=REJECT"));
}

static void test_forms(void **state)
{
    (void)state;
    ff_authres a;
    ff_error err;
    assert_int_equal(ff_authres_parse("example.org 1; none", 19, &a, &err), FF_OK);
    assert_true(a.none);
    assert_int_equal(a.version, 1);
    const char *q = "example.com; dkim=fail reason=\"signature; did not verify\" header.d=x.example;";
    assert_int_equal(ff_authres_parse(q, strlen(q), &a, &err), FF_OK);
    assert_string_equal(a.r[0].reason, "signature; did not verify");
    const char *c = "example.com (a (nested) comment); auth=pass (cram-md5) smtp.auth=sender@example.net";
    assert_int_equal(ff_authres_parse(c, strlen(c), &a, &err), FF_OK);
    assert_string_equal(a.r[0].method, "auth");
    assert_string_equal(a.r[0].comment, "cram-md5");
    static const char *const bad[] = {"", ";", "example.com; dkim", "example.com; =pass",
                                      "example.com; spf=pass smtp.mailfrom"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ff_authres_parse(bad[i], strlen(bad[i]), &a, &err) != FF_EPARSE)
            fail_msg("'%s' should not parse", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
