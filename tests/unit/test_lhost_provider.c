/* test_lhost_provider.c - provider scanners on invented notices: Google Groups */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/decode.h"
#include "fivefifty/rules.h"

static char *slurp(const char *name, size_t *len)
{
    char path[1024];
    const char *dir = getenv("FF_TEST_DATA");
    snprintf(path, sizeof path, "%s/lhost/provider/%s", dir ? dir : "tests/data", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void test_googlegroups(void **state)
{
    (void)state;
    ff_rules *r;
    assert_int_equal(ff_rules_builtin(&r, NULL), FF_OK);
    size_t len;
    char *m = slurp("googlegroups-cannot-post.eml", &len);
    ff_bounce b;
    assert_int_equal(ff_decode(r, m, len, &b, NULL), FF_OK);
    assert_string_equal(b.format, "googlegroups");
    assert_int_equal(b.n, 1);
    assert_string_equal(b.recs[0].recipient, "team-list@googlegroups.com");
    assert_non_null(strstr(b.recs[0].diagnostic, "permission to post"));
    assert_null(strstr(b.recs[0].diagnostic, "Minutes")); /* the returned message is cut */
    assert_int_equal(b.recs[0].decision.reason, FF_REASON_REJECTED);
    assert_int_not_equal(b.recs[0].decision.action, FF_ACTION_SUPPRESS);
    ff_bounce_clear(&b);
    free(m);
    ff_rules_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_googlegroups)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
