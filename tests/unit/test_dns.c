/* test_dns.c - the resolver: zone backend, cache and count, and c-ares against a tiny
 * DNS responder on 127.0.0.1 (UDP and TCP, started and stopped by the test) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fivefifty/dns.h"

/* ---- zone backend ---- */

static void test_zone_rows(void **state)
{
    (void)state;
    ff_dns *dns;
    assert_int_equal(ff_dns_new_zone(&dns, NULL), FF_OK);
    assert_int_equal(ff_dns_zone_add(dns, "Example.COM.", FF_DNS_A, "192.0.2.1"), FF_OK);
    assert_int_equal(ff_dns_zone_add(dns, "example.com", FF_DNS_MX, "10 mx.example.com"), FF_OK);
    assert_int_equal(ff_dns_zone_add(dns, "www.example.com", FF_DNS_CNAME, "example.com"), FF_OK);
    const char *parts[] = {"v=spf1 ", "-all"};
    assert_int_equal(ff_dns_zone_add_txt(dns, "example.com", parts, 2), FF_OK);
    assert_int_equal(ff_dns_zone_timeout(dns, "slow.example.com"), FF_OK);
    assert_int_equal(ff_dns_zone_add(dns, "example.com", FF_DNS_A, "not-an-ip"), FF_EINVAL);
    assert_int_equal(ff_dns_zone_add(dns, "a..b", FF_DNS_A, "192.0.2.1"), FF_EINVAL);

    static const struct {
        const char *name;
        ff_dns_type type;
        ff_dns_result result;
        const char *text; /* first record's text, or NULL */
    } rows[] = {
        {"example.com", FF_DNS_A, FF_DNS_OK, "192.0.2.1"},
        {"EXAMPLE.com.", FF_DNS_MX, FF_DNS_OK, "mx.example.com"},
        {"example.com", FF_DNS_TXT, FF_DNS_OK, "v=spf1 -all"},
        {"example.com", FF_DNS_AAAA, FF_DNS_NODATA, NULL},
        {"nowhere.example.com", FF_DNS_A, FF_DNS_NXDOMAIN, NULL},
        {"slow.example.com", FF_DNS_TXT, FF_DNS_TEMPFAIL, NULL},
        {"www.example.com", FF_DNS_A, FF_DNS_OK, "192.0.2.1"},
        {"www.example.com", FF_DNS_CNAME, FF_DNS_OK, "example.com"},
        {"bad..name", FF_DNS_A, FF_DNS_PERMFAIL, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_dns_answer a;
        assert_int_equal(ff_dns_query(dns, rows[i].name, rows[i].type, &a), FF_OK);
        if (a.result != rows[i].result)
            fail_msg("row %zu (%s): %s, want %s", i, rows[i].name, ff_dns_result_name(a.result),
                     ff_dns_result_name(rows[i].result));
        if (rows[i].text && (a.n == 0 || strcmp(a.rrs[0].text, rows[i].text) != 0))
            fail_msg("row %zu (%s): text '%s'", i, rows[i].name, a.n ? a.rrs[0].text : "");
        ff_dns_answer_clear(&a);
    }
    ff_dns_free(dns);
}

static void test_zone_cache_and_count(void **state)
{
    (void)state;
    ff_dns *dns;
    assert_int_equal(ff_dns_new_zone(&dns, NULL), FF_OK);
    assert_int_equal(ff_dns_zone_add(dns, "example.com", FF_DNS_A, "192.0.2.1"), FF_OK);
    assert_int_equal(ff_dns_zone_timeout(dns, "slow.example.com"), FF_OK);
    ff_dns_answer a;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ff_dns_query(dns, "example.com", FF_DNS_A, &a), FF_OK);
        ff_dns_answer_clear(&a);
    }
    assert_int_equal(ff_dns_query_count(dns), 1); /* cache hits are not queries */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ff_dns_query(dns, "slow.example.com", FF_DNS_A, &a), FF_OK);
        assert_int_equal(a.result, FF_DNS_TEMPFAIL);
        ff_dns_answer_clear(&a);
    }
    assert_int_equal(ff_dns_query_count(dns), 3); /* a temporary failure is asked again */
    ff_dns_reset_count(dns);
    assert_int_equal(ff_dns_query_count(dns), 0);
    ff_dns_free(dns);
}

static void test_zone_load(void **state)
{
    (void)state;
    ff_dns *dns;
    ff_error err;
    assert_int_equal(ff_dns_new_zone(&dns, NULL), FF_OK);
    const char text[] = "# a comment\n"
                        "example.com TXT \"v=spf1 \" \"ip4:192.0.2.0/24 \\\"q\\\" \\233 -all\"\n"
                        "example.com MX 5 mx.example.com\n"
                        "empty.example.com TXT\n"
                        "bare.example.com TXT word\n"
                        "t.example.com TIMEOUT\n";
    assert_int_equal(ff_dns_zone_load(dns, text, sizeof text - 1, &err), FF_OK);
    ff_dns_answer a;
    assert_int_equal(ff_dns_query(dns, "example.com", FF_DNS_TXT, &a), FF_OK);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.rrs[0].nstrings, 2);
    assert_string_equal(a.rrs[0].text, "v=spf1 ip4:192.0.2.0/24 \"q\" \xe9 -all");
    ff_dns_answer_clear(&a);
    assert_int_equal(ff_dns_query(dns, "empty.example.com", FF_DNS_TXT, &a), FF_OK);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.rrs[0].nstrings, 0);
    ff_dns_answer_clear(&a);
    assert_int_equal(ff_dns_query(dns, "t.example.com", FF_DNS_MX, &a), FF_OK);
    assert_int_equal(a.result, FF_DNS_TEMPFAIL);
    ff_dns_answer_clear(&a);

    static const char *bad[] = {"x.example.com\n", "x.example.com TXT \"open\n",
                                "x.example.com MX ten mx\n", "x.example.com WKS 1\n",
                                "x.example.com TXT \"\\000\"\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ff_dns_zone_load(dns, bad[i], strlen(bad[i]), &err) != FF_EPARSE)
            fail_msg("bad zone line %zu accepted: %s", i, bad[i]);
    ff_dns_free(dns);
}

/* ---- a tiny DNS responder for the c-ares backend ---- */

struct responder {
    int udp, tcp;
    unsigned short port;
    atomic_bool stop;
    pthread_t thread;
};

static size_t put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
    return 2;
}

/* One answer RR pointing at the question name (offset 12). */
static size_t put_rr(unsigned char *p, unsigned type, const unsigned char *rdata, size_t len)
{
    size_t o = 0;
    o += put16(p + o, 0xC00C);
    o += put16(p + o, type);
    o += put16(p + o, 1);
    o += put16(p + o, 0);
    o += put16(p + o, 300);
    o += put16(p + o, (unsigned)len);
    memcpy(p + o, rdata, len);
    return o + len;
}

static size_t txt_rdata(unsigned char *p, const char *const *strs, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(strs[i]);
        p[o++] = (unsigned char)l;
        memcpy(p + o, strs[i], l);
        o += l;
    }
    return o;
}

/* Builds the reply to `q` (`len` bytes) into `out`; returns 0 to stay silent. */
static size_t answer_query(const unsigned char *q, size_t len, unsigned char *out, bool tcp)
{
    if (len < 17 || len > 512)
        return 0;
    char name[256];
    size_t o = 12, n = 0;
    while (o < len && q[o] != 0) {
        size_t l = q[o++];
        if (l > 63 || o + l > len || n + l + 1 >= sizeof name)
            return 0;
        if (n)
            name[n++] = '.';
        memcpy(name + n, q + o, l);
        n += l;
        o += l;
    }
    name[n] = '\0';
    if (o + 5 > len)
        return 0;
    unsigned type = (unsigned)(q[o + 1] << 8 | q[o + 2]);
    size_t qend = o + 5;
    if (strcmp(name, "slow.test") == 0)
        return 0;
    memcpy(out, q, qend);
    unsigned rcode = 0, flags = 0x8180, an = 0;
    size_t w = qend;
    unsigned char rd[1024];
    if (strcmp(name, "txt.test") == 0 && type == 16) {
        const char *s[] = {"v=spf1 ", "-all"};
        w += put_rr(out + w, 16, rd, txt_rdata(rd, s, 2));
        an = 1;
    } else if (strcmp(name, "a.test") == 0 && type == 1) {
        const unsigned char ip[4] = {192, 0, 2, 1};
        w += put_rr(out + w, 1, ip, 4);
        an = 1;
    } else if (strcmp(name, "mx.test") == 0 && type == 15) {
        static const unsigned char mx[] = {0, 10, 4, 'm', 'a', 'i', 'l', 4, 't', 'e', 's', 't', 0};
        w += put_rr(out + w, 15, mx, sizeof mx);
        an = 1;
    } else if (strcmp(name, "big.test") == 0 && type == 16) {
        if (!tcp) {
            flags |= 0x0200; /* TC: the answer does not fit, ask again over TCP */
        } else {
            for (int i = 0; i < 3; i++) {
                char s[200];
                memset(s, 'a' + i, sizeof s - 1);
                s[sizeof s - 1] = '\0';
                const char *p = s;
                w += put_rr(out + w, 16, rd, txt_rdata(rd, &p, 1));
                an++;
            }
        }
    } else if (strcmp(name, "servfail.test") == 0) {
        rcode = 2;
    } else if (strcmp(name, "a.test") != 0 && strcmp(name, "txt.test") != 0 &&
               strcmp(name, "mx.test") != 0) {
        rcode = 3;
    }
    put16(out + 2, flags | rcode);
    put16(out + 4, 1);
    put16(out + 6, an);
    put16(out + 8, 0);
    put16(out + 10, 0);
    return w;
}

static void serve_tcp(int fd)
{
    unsigned char buf[600], out[2048];
    size_t have = 0;
    struct pollfd p = {fd, POLLIN, 0};
    while (have < 2 || have < 2u + (size_t)(buf[0] << 8 | buf[1])) {
        if (poll(&p, 1, 1000) <= 0)
            return;
        ssize_t r = read(fd, buf + have, sizeof buf - have);
        if (r <= 0)
            return;
        have += (size_t)r;
    }
    size_t qlen = (size_t)(buf[0] << 8 | buf[1]);
    size_t n = answer_query(buf + 2, qlen, out + 2, true);
    if (n == 0)
        return;
    put16(out, (unsigned)n);
    ssize_t wr = write(fd, out, n + 2);
    (void)wr;
}

static void *responder_main(void *arg)
{
    struct responder *r = arg;
    while (!atomic_load(&r->stop)) {
        struct pollfd p[2] = {{r->udp, POLLIN, 0}, {r->tcp, POLLIN, 0}};
        if (poll(p, 2, 50) <= 0)
            continue;
        if (p[0].revents & POLLIN) {
            unsigned char q[600], out[2048];
            struct sockaddr_in from;
            socklen_t flen = sizeof from;
            ssize_t len = recvfrom(r->udp, q, sizeof q, 0, (struct sockaddr *)&from, &flen);
            size_t n = len > 0 ? answer_query(q, (size_t)len, out, false) : 0;
            if (n)
                sendto(r->udp, out, n, 0, (struct sockaddr *)&from, flen);
        }
        if (p[1].revents & POLLIN) {
            int c = accept(r->tcp, NULL, NULL);
            if (c >= 0) {
                serve_tcp(c);
                close(c);
            }
        }
    }
    return NULL;
}

static int responder_start(void **state)
{
    struct responder *r = calloc(1, sizeof *r);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    r->udp = socket(AF_INET, SOCK_DGRAM, 0);
    if (r->udp < 0 || bind(r->udp, (struct sockaddr *)&sa, sizeof sa) != 0)
        return -1;
    socklen_t len = sizeof sa;
    getsockname(r->udp, (struct sockaddr *)&sa, &len);
    r->port = ntohs(sa.sin_port);
    /* TCP on the same port, for the truncated-answer retry. */
    r->tcp = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(r->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (r->tcp < 0 || bind(r->tcp, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(r->tcp, 8) != 0)
        return -1;
    if (pthread_create(&r->thread, NULL, responder_main, r) != 0)
        return -1;
    *state = r;
    return 0;
}

static int responder_stop(void **state)
{
    struct responder *r = *state;
    atomic_store(&r->stop, true);
    pthread_join(r->thread, NULL);
    close(r->udp);
    close(r->tcp);
    free(r);
    return 0;
}

struct collect {
    int answered;
    ff_dns_result results[8];
};

static void collect_cb(void *arg, const char *name, ff_dns_type type, ff_dns_answer *a)
{
    (void)name;
    (void)type;
    struct collect *c = arg;
    c->results[c->answered++ % 8] = a->result;
    ff_dns_answer_clear(a);
}

static void test_cares(void **state)
{
    struct responder *r = *state;
    char server[32];
    snprintf(server, sizeof server, "127.0.0.1:%u", r->port);
    ff_dns *dns;
    ff_error err;
    assert_int_equal(ff_dns_new_cares(&dns, server, 300, 1, &err), FF_OK);

    static const struct {
        const char *name;
        ff_dns_type type;
        ff_dns_result result;
        const char *text;
        size_t n;
    } rows[] = {
        {"txt.test", FF_DNS_TXT, FF_DNS_OK, "v=spf1 -all", 1},
        {"a.test", FF_DNS_A, FF_DNS_OK, "192.0.2.1", 1},
        {"mx.test", FF_DNS_MX, FF_DNS_OK, "mail.test", 1},
        {"a.test", FF_DNS_TXT, FF_DNS_NODATA, NULL, 0},
        {"nx.test", FF_DNS_A, FF_DNS_NXDOMAIN, NULL, 0},
        {"servfail.test", FF_DNS_A, FF_DNS_TEMPFAIL, NULL, 0},
        {"slow.test", FF_DNS_TXT, FF_DNS_TEMPFAIL, NULL, 0},
        {"big.test", FF_DNS_TXT, FF_DNS_OK, NULL, 3},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_dns_answer a;
        assert_int_equal(ff_dns_query(dns, rows[i].name, rows[i].type, &a), FF_OK);
        if (a.result != rows[i].result || a.n != rows[i].n)
            fail_msg("row %zu (%s): %s with %zu records", i, rows[i].name,
                     ff_dns_result_name(a.result), a.n);
        if (rows[i].text && strcmp(a.rrs[0].text, rows[i].text) != 0)
            fail_msg("row %zu (%s): text '%s'", i, rows[i].name, a.rrs[0].text);
        if (rows[i].type == FF_DNS_TXT && a.n == 1)
            assert_int_equal(a.rrs[0].nstrings, 2);
        if (rows[i].type == FF_DNS_MX && a.n == 1)
            assert_int_equal(a.rrs[0].pref, 10);
        ff_dns_answer_clear(&a);
    }
    ff_dns_free(dns);

    /* Many queries in flight at once, answered in one wait. */
    assert_int_equal(ff_dns_new_cares(&dns, server, 300, 1, &err), FF_OK);
    struct collect c = {0};
    const char *names[] = {"a.test", "txt.test", "mx.test", "nx.test", "servfail.test"};
    const ff_dns_type types[] = {FF_DNS_A, FF_DNS_TXT, FF_DNS_MX, FF_DNS_A, FF_DNS_A};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ff_dns_query_async(dns, names[i], types[i], collect_cb, &c), FF_OK);
    assert_int_equal(ff_dns_wait(dns), FF_OK);
    assert_int_equal(c.answered, 5);
    assert_int_equal(ff_dns_query_count(dns), 5);
    ff_dns_free(dns);
}

static void test_cares_bad_server(void **state)
{
    (void)state;
    static const char *bad[] = {"not-an-ip", "127.0.0.1:0", "127.0.0.1:99999", "[::1",
                                "1.2.3.4:", "[::1]x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ff_dns *dns = NULL;
        ff_error err;
        if (ff_dns_new_cares(&dns, bad[i], 0, 0, &err) != FF_EINVAL)
            fail_msg("server '%s' accepted", bad[i]);
        assert_null(dns);
    }
    ff_dns *dns = NULL;
    assert_int_equal(ff_dns_new_cares(&dns, "[::1]:5353", 0, 0, NULL), FF_OK);
    ff_dns_free(dns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zone_rows),
        cmocka_unit_test(test_zone_cache_and_count),
        cmocka_unit_test(test_zone_load),
        cmocka_unit_test_setup_teardown(test_cares, responder_start, responder_stop),
        cmocka_unit_test(test_cares_bad_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
