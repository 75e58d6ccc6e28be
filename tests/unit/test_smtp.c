/* test_smtp.c - the SMTP client: wire encoding, reply framing, and sessions against a
 * scripted server on 127.0.0.1 (one thread, one connection, a list of replies) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fivefifty/smtp.h"

/* ---- pure parts ---------------------------------------------------------------- */

static void test_encode_line_ends_and_dots(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"a\r\nb\r\n", "a\r\nb\r\n.\r\n"},
        {"a\nb\n", "a\r\nb\r\n.\r\n"},                /* bare LF */
        {"a\rb", "a\r\nb\r\n.\r\n"},                  /* bare CR, no final line end */
        {".hidden\n..two\n", "..hidden\r\n...two\r\n.\r\n"},
        {"x\n.\ny\n", "x\r\n..\r\ny\r\n.\r\n"},      /* a lone dot is not the end */
        {"x\r\n.\r\ny", "x\r\n..\r\ny\r\n.\r\n"},
        {"smuggle\n.\r\nMAIL FROM:<a@b>\r\n", "smuggle\r\n..\r\nMAIL FROM:<a@b>\r\n.\r\n"},
        {"", ".\r\n"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *w = NULL;
        size_t wl = 0;
        bool eb = true;
        assert_int_equal(ff_smtp_data_encode(rows[i].in, strlen(rows[i].in), &w, &wl, &eb, NULL),
                         FF_OK);
        if (wl != strlen(rows[i].out) || memcmp(w, rows[i].out, wl) != 0)
            fail_msg("row %zu: '%s' encoded to '%.*s'", i, rows[i].in, (int)wl, w);
        assert_false(eb);
        /* No bare CR or LF anywhere in what goes on the wire. */
        for (size_t k = 0; k < wl; k++) {
            if (w[k] == '\n')
                assert_true(k > 0 && w[k - 1] == '\r');
            if (w[k] == '\r')
                assert_true(k + 1 < wl && w[k + 1] == '\n');
        }
        free(w);
    }
}

static void test_encode_limits(void **state)
{
    (void)state;
    char *w = NULL;
    size_t wl;
    bool eb = false;
    assert_int_equal(ff_smtp_data_encode("caf\xc3\xa9\n", 6, &w, &wl, &eb, NULL), FF_OK);
    assert_true(eb);
    free(w);
    char *longl = malloc(1200);
    memset(longl, 'x', 1200);
    ff_error err;
    assert_int_equal(ff_smtp_data_encode(longl, 998, &w, &wl, &eb, &err), FF_OK);
    free(w);
    assert_int_equal(ff_smtp_data_encode(longl, 999, &w, &wl, &eb, &err), FF_EPARSE);
    assert_non_null(strstr(err.msg, "line 1"));
    assert_null(w);
    free(longl);
}

static void test_reply_end(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t end;
        int code;
    } rows[] = {
        {"220 ready\r\n", 11, 220},
        {"250-a\r\n250-b\r\n250 c\r\n", 21, 250},
        {"250-a\r\n250-b\r\n", 0, 0},                  /* needs more */
        {"250 ok\n354 go\n", 7, 250},                  /* bare LF from the server: fine */
        {"250\r\n", 5, 250},
        {"hello there\r\n", 13, -1},
        {"25x ok\r\n", 8, -1},
        {"550 5.1.1 no", 0, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int code = 7;
        size_t e = ff_smtp_reply_end(rows[i].in, strlen(rows[i].in), &code);
        if (e != rows[i].end || code != rows[i].code)
            fail_msg("row %zu: '%s' -> end %zu code %d", i, rows[i].in, e, code);
    }
}

/* ---- a scripted server ----------------------------------------------------------- */

typedef struct script {
    const char *const *replies; /* replies sent in order; "" = close the connection */
    int fd;
    unsigned port;
    char got[65536];            /* everything the client sent */
    size_t ngot;
    bool pipelined_wait;        /* read until DATA before answering MAIL (checks grouping) */
} script;

/* Read one line (or, inside DATA, through the final dot) from the client. */
static bool read_cmd(script *s, int c, bool data)
{
    size_t start = s->ngot;
    while (s->ngot < sizeof s->got - 1) {
        ssize_t n = recv(c, s->got + s->ngot, 1, 0);
        if (n <= 0)
            return false;
        s->ngot++;
        s->got[s->ngot] = '\0';
        if (!data && s->got[s->ngot - 1] == '\n')
            return true;
        if (data && s->ngot - start >= 3 && strcmp(s->got + s->ngot - 3, ".\r\n") == 0 &&
            (s->ngot - start == 3 || s->got[s->ngot - 4] == '\n'))
            return true;
    }
    return false;
}

static void *serve(void *arg)
{
    script *s = arg;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    bool in_data = false;
    for (size_t i = 0; s->replies[i]; i++) {
        const char *r = s->replies[i];
        if (!*r)
            break;
        if (i > 0 && !read_cmd(s, c, in_data))
            break;
        in_data = strncmp(r, "354", 3) == 0;
        send(c, r, strlen(r), MSG_NOSIGNAL);
    }
    /* Take QUIT (or anything) until the client closes. */
    while (read_cmd(s, c, false))
        if (strstr(s->got + (s->ngot > 6 ? s->ngot - 6 : 0), "QUIT"))
            send(c, "221 bye\r\n", 9, MSG_NOSIGNAL);
    close(c);
    return NULL;
}

static pthread_t start(script *s)
{
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 1), 0);
    socklen_t l = sizeof a;
    getsockname(s->fd, (struct sockaddr *)&a, &l);
    s->port = ntohs(a.sin_port);
    pthread_t t;
    pthread_create(&t, NULL, serve, s);
    return t;
}

static void stop(script *s, pthread_t t)
{
    pthread_join(t, NULL);
    close(s->fd);
}

static ff_smtp_opts opts(const script *s)
{
    ff_smtp_opts o = {.host = "127.0.0.1", .port = s->port, .helo = "client.test",
                      .tls = FF_TLS_NONE, .timeout_scale = 0.01};
    return o;
}

static void test_session_pipelined(void **state)
{
    (void)state;
    static const char *const replies[] = {
        "220 sink ESMTP\r\n",
        "250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000\r\n",
        "250 2.1.0 ok\r\n", "250 2.1.5 ok\r\n", "550-5.1.1 The email account that you\r\n"
        "550 5.1.1 tried to reach does not exist.\r\n", "354 go\r\n",
        "250 2.0.0 queued as 42\r\n", NULL};
    script s = {.replies = replies};
    pthread_t t = start(&s);
    ff_smtp_opts o = opts(&s);
    ff_smtp *c = NULL;
    ff_error err;
    const char *stage;
    assert_int_equal(ff_smtp_open(&c, &o, NULL, &stage, &err), FF_OK);
    ff_smtp_caps caps;
    ff_smtp_caps_get(c, &caps);
    assert_true(caps.pipelining && caps.eightbitmime);
    assert_int_equal(caps.size, 100000);
    const char *rcpts[] = {"good@example.org", "gone@example.org"};
    ff_smtp_result res;
    const char *msg = "Subject: hi\n\n.dot line\nbare\rcr\n";
    assert_int_equal(ff_smtp_send(c, "me@example.com", rcpts, 2, msg, strlen(msg), &res, &err),
                     FF_OK);
    assert_true(res.delivered);
    assert_int_equal(res.rcpt[0].code, 250);
    assert_int_equal(res.rcpt[1].code, 550);
    /* The whole multi-line reply is kept. */
    assert_string_equal(res.rcpt[1].text, "550-5.1.1 The email account that you\n"
                                          "550 5.1.1 tried to reach does not exist.");
    assert_int_equal(res.eod.code, 250);
    ff_smtp_result_clear(&res);
    ff_smtp_close(c);
    stop(&s, t);
    assert_non_null(strstr(s.got, "EHLO client.test\r\n"));
    assert_non_null(strstr(s.got, "MAIL FROM:<me@example.com> SIZE="));
    assert_non_null(strstr(s.got, "\r\n..dot line\r\nbare\r\ncr\r\n.\r\n"));
    assert_non_null(strstr(s.got, "QUIT\r\n"));
}

static void test_session_helo_fallback_and_refusals(void **state)
{
    (void)state;
    /* No ESMTP: HELO; no pipelining: one command at a time; all recipients refused, so
     * no DATA, and RSET leaves the session usable. */
    static const char *const replies[] = {
        "220 old\r\n", "502 what\r\n", "250 old\r\n", "250 ok\r\n",
        "450 4.2.1 mailbox busy, try again later\r\n", "250 reset\r\n", NULL};
    script s = {.replies = replies};
    pthread_t t = start(&s);
    ff_smtp_opts o = opts(&s);
    ff_smtp *c = NULL;
    assert_int_equal(ff_smtp_open(&c, &o, NULL, NULL, NULL), FF_OK);
    const char *rcpts[] = {"busy@example.org"};
    ff_smtp_result res;
    assert_int_equal(ff_smtp_send(c, "", rcpts, 1, "x\n", 2, &res, NULL), FF_OK);
    assert_false(res.delivered);
    assert_string_equal(res.stage, "RCPT");
    assert_int_equal(res.rcpt[0].code, 450);
    assert_int_equal(res.data.code, 0);
    ff_smtp_result_clear(&res);
    ff_smtp_close(c);
    stop(&s, t);
    assert_non_null(strstr(s.got, "HELO client.test\r\n"));
    assert_non_null(strstr(s.got, "MAIL FROM:<>\r\n"));
    assert_null(strstr(s.got, "DATA"));
    assert_non_null(strstr(s.got, "RSET\r\n"));
}

static void test_greeting_refused(void **state)
{
    (void)state;
    static const char *const replies[] = {"554 5.7.1 You are not welcome here\r\n", "", NULL};
    script s = {.replies = replies};
    pthread_t t = start(&s);
    ff_smtp_opts o = opts(&s);
    ff_smtp *c = NULL;
    ff_smtp_reply fail = {0};
    const char *stage = NULL;
    assert_int_equal(ff_smtp_open(&c, &o, &fail, &stage, NULL), FF_ENOTFOUND);
    assert_null(c);
    assert_int_equal(fail.code, 554);
    assert_string_equal(stage, "CONN");
    ff_smtp_reply_clear(&fail);
    stop(&s, t);
}

static void test_lost_after_dot(void **state)
{
    (void)state;
    /* The server closes after the dot, before its reply: the outcome is unknown. */
    static const char *const replies[] = {"220 x\r\n", "250 x\r\n", "250 ok\r\n", "250 ok\r\n",
                                          "354 go\r\n", "", NULL};
    script s = {.replies = replies};
    pthread_t t = start(&s);
    ff_smtp_opts o = opts(&s);
    ff_smtp *c = NULL;
    assert_int_equal(ff_smtp_open(&c, &o, NULL, NULL, NULL), FF_OK);
    const char *rcpts[] = {"a@example.org"};
    ff_smtp_result res;
    /* The server's thread reads the dot only after we sent it, then closes. */
    assert_int_equal(ff_smtp_send(c, "me@example.com", rcpts, 1, "x\n", 2, &res, NULL), FF_EIO);
    assert_true(res.unknown_outcome);
    assert_false(res.delivered);
    assert_string_equal(res.stage, "EOD");
    ff_smtp_result_clear(&res);
    ff_smtp_close(c);
    stop(&s, t);
}

static void test_refuses_bad_input(void **state)
{
    (void)state;
    static const char *const replies[] = {"220 x\r\n", "250-x\r\n250 AUTH PLAIN\r\n", NULL};
    script s = {.replies = replies};
    pthread_t t = start(&s);
    ff_smtp_opts o = opts(&s);
    ff_smtp *c = NULL;
    ff_error err;
    /* Credentials without TLS are refused before anything is sent. */
    o.user = "u";
    o.password = "secret";
    assert_int_equal(ff_smtp_open(&c, &o, NULL, NULL, &err), FF_EUNSUPPORTED);
    assert_null(strstr(err.msg, "secret"));
    o.user = NULL;
    assert_int_equal(ff_smtp_open(&c, &o, NULL, NULL, &err), FF_OK);
    const char *evil[] = {"a@example.org>\r\nRCPT TO:<b@example.org"};
    ff_smtp_result res;
    assert_int_equal(ff_smtp_send(c, "me@example.com", evil, 1, "x\n", 2, &res, &err), FF_EINVAL);
    ff_smtp_result_clear(&res);
    const char *ok[] = {"a@example.org"};
    assert_int_equal(ff_smtp_send(c, "me@example.com\r\nRSET", ok, 1, "x\n", 2, &res, &err),
                     FF_EINVAL);
    ff_smtp_result_clear(&res);
    ff_smtp_close(c);
    stop(&s, t);
    assert_null(strstr(s.got, "RCPT TO:<b@"));
    assert_null(strstr(s.got, "AUTH"));
}

static void test_tls_required_not_offered(void **state)
{
    (void)state;
    static const char *const replies[] = {"220 x\r\n", "250-x\r\n250 PIPELINING\r\n", NULL};
    script s = {.replies = replies};
    pthread_t t = start(&s);
    ff_smtp_opts o = opts(&s);
    o.tls = FF_TLS_REQUIRED;
    ff_smtp *c = NULL;
    ff_error err;
    assert_int_equal(ff_smtp_open(&c, &o, NULL, NULL, &err), FF_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "STARTTLS"));
    stop(&s, t);
}

static void test_starttls_injection_refused(void **state)
{
    (void)state;
    /* A reply to STARTTLS followed at once by a plain-text reply: must not be used. */
    static const char *const replies[] = {
        "220 x\r\n", "250-x\r\n250 STARTTLS\r\n", "220 go ahead\r\n250 injected\r\n", NULL};
    script s = {.replies = replies};
    pthread_t t = start(&s);
    ff_smtp_opts o = opts(&s);
    o.tls = FF_TLS_OPPORTUNISTIC;
    ff_smtp *c = NULL;
    ff_error err;
    assert_int_equal(ff_smtp_open(&c, &o, NULL, NULL, &err), FF_EIO);
    assert_non_null(strstr(err.msg, "injection"));
    stop(&s, t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_line_ends_and_dots),
        cmocka_unit_test(test_encode_limits),
        cmocka_unit_test(test_reply_end),
        cmocka_unit_test(test_session_pipelined),
        cmocka_unit_test(test_session_helo_fallback_and_refusals),
        cmocka_unit_test(test_greeting_refused),
        cmocka_unit_test(test_lost_after_dot),
        cmocka_unit_test(test_refuses_bad_input),
        cmocka_unit_test(test_tls_required_not_offered),
        cmocka_unit_test(test_starttls_injection_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
