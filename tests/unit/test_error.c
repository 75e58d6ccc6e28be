/* test_error.c - ff_strerror() and ff_error_set() */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fivefifty/error.h"

static void names_are_distinct(void **state)
{
    (void)state;
    static const ff_status all[] = {FF_OK, FF_EINVAL, FF_ENOMEM, FF_EPARSE, FF_EIO,
                                    FF_ENOTFOUND, FF_ETOOBIG, FF_ENOTBOUNCE, FF_EUNSUPPORTED};
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_string_not_equal(ff_strerror(all[i]), ff_strerror(all[j]));
    assert_string_equal(ff_strerror((ff_status)999), "unknown status");
}

static void set_formats_and_truncates(void **state)
{
    (void)state;
    ff_error e;
    assert_int_equal(ff_error_set(&e, FF_EPARSE, "line %d: %s", 7, "bad"), FF_EPARSE);
    assert_int_equal(e.code, FF_EPARSE);
    assert_string_equal(e.msg, "line 7: bad");
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ff_error_set(&e, FF_EIO, "%s", big);
    assert_int_equal(strlen(e.msg), FF_ERROR_MSG_MAX - 1);
    assert_int_equal(ff_error_set(NULL, FF_ENOMEM, "ignored"), FF_ENOMEM);
    ff_error_clear(&e);
    assert_int_equal(e.code, FF_OK);
    assert_string_equal(e.msg, "");
    ff_error_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_are_distinct),
        cmocka_unit_test(set_formats_and_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
