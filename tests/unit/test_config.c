/* test_config.c - the INI configuration: defaults, streams, errors with lines, secrets */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fivefifty/config.h"

static void test_defaults(void **state)
{
    (void)state;
    ff_config *c = NULL;
    assert_int_equal(ff_config_load(NULL, &c, NULL), FF_OK);
    assert_int_equal(c->nstreams, 2);
    const ff_stream_cfg *t = ff_config_stream(c, "transactional");
    const ff_stream_cfg *o = ff_config_stream(c, "outreach");
    assert_non_null(t);
    assert_non_null(o);
    assert_int_equal(t->route, FF_ROUTE_MX);
    assert_int_equal(t->tls, FF_TLS_OPPORTUNISTIC);
    assert_false(t->bulk);
    assert_true(o->bulk && o->warmup);
    assert_true(o->bounce_pause == 0.02);
    assert_int_equal(c->queue_lifetime, 5 * 86400);
    ff_config_free(c);
}

static void test_streams(void **state)
{
    (void)state;
    const char *text =
        "; relay for outreach\n"
        "[fivefifty]\ndb = /tmp/x.db\nhelo = mta.example.com\nretry_first = 120\n"
        "[stream.outreach]\nfrom_domain = example.com\nroute = smtp://relay.example.net:587\n"
        "tls = required\nuser = apikey\npassword_env = FF_TEST_SECRET\nbounce_pause = 3%\n"
        "max_per_minute = 60\nconnections = 12\n"
        "[stream.alerts]\nfrom_domain = alerts.example.com\nroute = smtp://[::1]:2525\ntls = none\n";
    ff_config *c = NULL;
    ff_error err;
    assert_int_equal(ff_config_parse(text, "t.ini", &c, &err), FF_OK);
    assert_string_equal(c->db, "/tmp/x.db");
    assert_int_equal(c->retry_first, 120);
    assert_int_equal(c->nstreams, 3);
    const ff_stream_cfg *o = ff_config_stream(c, "outreach");
    assert_int_equal(o->route, FF_ROUTE_RELAY);
    assert_string_equal(o->relay_host, "relay.example.net");
    assert_int_equal(o->relay_port, 587);
    assert_int_equal(o->tls, FF_TLS_REQUIRED);
    assert_true(o->bounce_pause == 0.03);
    assert_true(o->bulk); /* kept from the default outreach stream */
    assert_int_equal(o->connections, 12);
    const ff_stream_cfg *a = ff_config_stream(c, "alerts");
    assert_int_equal(a->connections, 4); /* the default */
    assert_string_equal(a->relay_host, "[::1]");
    assert_int_equal(a->relay_port, 2525);
    char pw[64];
    setenv("FF_TEST_SECRET", "s3cret", 1);
    assert_int_equal(ff_config_password(o, pw, sizeof pw, &err), FF_OK);
    assert_string_equal(pw, "s3cret");
    unsetenv("FF_TEST_SECRET");
    assert_int_equal(ff_config_password(o, pw, sizeof pw, &err), FF_ENOTFOUND);
    ff_config_free(c);
}

static void test_password_file(void **state)
{
    (void)state;
    char path[] = "/tmp/ff-test-pw-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hunter2\n", 8), 8);
    close(fd);
    char text[256];
    snprintf(text, sizeof text, "[stream.s]\nroute = smtp://r:25\ntls = required\nuser = u\n"
                                "password_file = %s\n", path);
    ff_config *c = NULL;
    assert_int_equal(ff_config_parse(text, "t", &c, NULL), FF_OK);
    char pw[32];
    ff_error err;
    assert_int_equal(ff_config_password(ff_config_stream(c, "s"), pw, sizeof pw, &err), FF_OK);
    assert_string_equal(pw, "hunter2");
    unlink(path);
    assert_int_equal(ff_config_password(ff_config_stream(c, "s"), pw, sizeof pw, &err), FF_EIO);
    assert_non_null(strstr(err.msg, path));
    ff_config_free(c);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *says;
    } rows[] = {
        {"[stream.a]\nroute = mx\nbounce_paus = 2%\n", "t:3: unknown key 'bounce_paus'"},
        {"[streams.a]\nroute = mx\n", "t:2: unknown section"},
        {"[stream.a]\nroute = http://x\n", "t:2: bad value for route"},
        {"[stream.a]\ntls = maybe\n", "bad value for tls"},
        {"[stream.a]\nbounce_pause = 150%\n", "bad value for bounce_pause"},
        {"[stream.a]\npassword = x\n", "password_file or password_env"},
        {"[stream.a]\nroute = smtp://r\ntls = none\nuser = u\n", "never sent in the clear"},
        {"[stream.a b]\nroute = mx\n", "may hold only"},
        {"[fivefifty]\nretry_first = -5\n", "retry_first"},
        {"[stream.a]\nroute = smtp://r:99999\n", "route"},
        {"[stream.a]\nconnections = 0\n", "bad value for connections"},
        {"[stream.a]\nconnections = 65\n", "bad value for connections"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_config *c = NULL;
        ff_error err = {0};
        ff_status st = ff_config_parse(rows[i].text, "t", &c, &err);
        if (st != FF_EPARSE || !strstr(err.msg, rows[i].says))
            fail_msg("row %zu: status %d, message '%s'", i, (int)st, err.msg);
        assert_null(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_streams),
        cmocka_unit_test(test_password_file),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
