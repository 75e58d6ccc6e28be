/* dns_cares.c - the real-DNS backend, over c-ares
 *
 * Queries go out through one ares_channel, as many in flight as the caller starts;
 * ff_dns_wait() polls the channel's sockets until each has its answer. c-ares retries
 * over TCP by itself when a UDP answer comes back truncated (we never set IGNTC), and
 * applies our per-try timeout and try count. The answer's kind follows RFC 2308 and
 * RFC 7208 2.6: a name error is NXDOMAIN, NOERROR without records is NODATA, and a
 * timeout, SERVFAIL or unreachable server is TEMPFAIL, never "does not exist".
 */
#include "dns_backend.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cares {
    ares_channel ch;
    size_t inflight;
} cares;

typedef struct query {
    cares *c;
    ff_dns_type type;
    ff_dns_done_fn done;
    void *ctx;
    char name[256];
} query;

static ff_dns_result status_result(int status)
{
    switch (status) {
    case ARES_ENODATA: return FF_DNS_NODATA;
    case ARES_ENOTFOUND: return FF_DNS_NXDOMAIN;
    case ARES_EFORMERR:
    case ARES_EREFUSED:
    case ARES_EBADRESP:
    case ARES_EBADNAME:
    case ARES_ENOTIMP: return FF_DNS_PERMFAIL;
    default: return FF_DNS_TEMPFAIL; /* ETIMEOUT, ESERVFAIL, ECONNREFUSED, ... */
    }
}

static ff_status push_host(ff_dns_answer *a, ff_dns_type type, const char *owner,
                           const char *host, int pref)
{
    ff_dns_rr rr = {.type = type, .name = (char *)owner, .pref = pref};
    char buf[256];
    size_t len = strlen(host);
    if (len >= sizeof buf)
        return FF_OK; /* c-ares never gives one, but a longer name cannot be used */
    memcpy(buf, host, len + 1);
    if (len > 0 && buf[len - 1] == '.')
        buf[len - 1] = '\0';
    rr.text = buf;
    return ff_dns_answer_push(a, &rr);
}

static ff_status parse_addrs(ff_dns_answer *a, const char *name, ff_dns_type type,
                             const unsigned char *buf, int len, int *status)
{
    enum { MAX_ADDRS = 64 };
    ff_dns_rr rr = {.type = type, .name = (char *)name};
    char text[INET6_ADDRSTRLEN];
    int n = MAX_ADDRS;
    if (type == FF_DNS_A) {
        struct ares_addrttl at[MAX_ADDRS];
        *status = ares_parse_a_reply(buf, len, NULL, at, &n);
        for (int i = 0; *status == ARES_SUCCESS && i < n; i++) {
            memcpy(rr.addr, &at[i].ipaddr, 4);
            rr.ttl = (uint32_t)at[i].ttl;
            inet_ntop(AF_INET, rr.addr, text, sizeof text);
            rr.text = text;
            if (ff_dns_answer_push(a, &rr) != FF_OK)
                return FF_ENOMEM;
        }
    } else {
        struct ares_addr6ttl at[MAX_ADDRS];
        *status = ares_parse_aaaa_reply(buf, len, NULL, at, &n);
        for (int i = 0; *status == ARES_SUCCESS && i < n; i++) {
            memcpy(rr.addr, &at[i].ip6addr, 16);
            rr.ttl = (uint32_t)at[i].ttl;
            inet_ntop(AF_INET6, rr.addr, text, sizeof text);
            rr.text = text;
            if (ff_dns_answer_push(a, &rr) != FF_OK)
                return FF_ENOMEM;
        }
    }
    return FF_OK;
}

static ff_status parse_txt(ff_dns_answer *a, const char *name, const unsigned char *buf,
                           int len, int *status)
{
    struct ares_txt_ext *txt = NULL;
    *status = ares_parse_txt_reply_ext(buf, len, &txt);
    if (*status != ARES_SUCCESS)
        return FF_OK;
    ff_status st = FF_OK;
    /* c-ares lists character-strings; record_start marks where each record begins. */
    for (struct ares_txt_ext *t = txt; t && st == FF_OK;) {
        size_t total = 0, n = 0;
        struct ares_txt_ext *e = t;
        do {
            total += e->length;
            n++;
            e = e->next;
        } while (e && !e->record_start);
        char *text = malloc(total + 1);
        if (text == NULL) {
            st = FF_ENOMEM;
            break;
        }
        size_t off = 0;
        for (struct ares_txt_ext *s = t; s != e; s = s->next) {
            memcpy(text + off, s->txt, s->length);
            off += s->length;
        }
        text[off] = '\0';
        /* A NUL inside TXT data would cut the text silently; such a record is useless. */
        if (strlen(text) == off) {
            ff_dns_rr rr = {.type = FF_DNS_TXT, .name = (char *)name, .text = text,
                            .nstrings = n};
            st = ff_dns_answer_push(a, &rr);
        }
        free(text);
        t = e;
    }
    ares_free_data(txt);
    return st;
}

static ff_status parse_answer(query *q, const unsigned char *buf, int len, ff_dns_answer *a)
{
    int status = ARES_SUCCESS;
    ff_status st = FF_OK;
    switch (q->type) {
    case FF_DNS_A:
    case FF_DNS_AAAA:
        st = parse_addrs(a, q->name, q->type, buf, len, &status);
        break;
    case FF_DNS_TXT:
        st = parse_txt(a, q->name, buf, len, &status);
        break;
    case FF_DNS_MX: {
        struct ares_mx_reply *mx = NULL;
        status = ares_parse_mx_reply(buf, len, &mx);
        for (struct ares_mx_reply *m = mx; status == ARES_SUCCESS && m && st == FF_OK;
             m = m->next)
            st = push_host(a, FF_DNS_MX, q->name, m->host, m->priority);
        if (mx)
            ares_free_data(mx);
        break;
    }
    case FF_DNS_PTR:
    case FF_DNS_NS: {
        struct hostent *h = NULL;
        if (q->type == FF_DNS_PTR)
            status = ares_parse_ptr_reply(buf, len, NULL, 0, AF_INET, &h);
        else
            status = ares_parse_ns_reply(buf, len, &h);
        /* Each record's target is among the aliases; h_name repeats one of them. */
        for (size_t i = 0; status == ARES_SUCCESS && h->h_aliases && h->h_aliases[i] && st == FF_OK; i++)
            st = push_host(a, q->type, q->name, h->h_aliases[i], 0);
        if (status == ARES_SUCCESS && a->n == 0 && st == FF_OK)
            st = push_host(a, q->type, q->name, h->h_name, 0);
        if (h)
            ares_free_hostent(h);
        break;
    }
    case FF_DNS_CNAME:
        status = ARES_ENOTIMP;
        break;
    }
    if (st != FF_OK)
        return st;
    if (status != ARES_SUCCESS || a->n == 0) {
        ff_dns_answer_clear(a);
        a->result = status == ARES_SUCCESS ? FF_DNS_NODATA : status_result(status);
    } else {
        a->result = FF_DNS_OK;
    }
    return FF_OK;
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *buf, int len)
{
    (void)timeouts;
    query *q = arg;
    ff_dns_answer a = {0};
    if (status == ARES_SUCCESS) {
        if (parse_answer(q, buf, len, &a) != FF_OK) {
            ff_dns_answer_clear(&a);
            a.result = FF_DNS_TEMPFAIL; /* out of memory: worth asking again */
        }
    } else {
        a.result = status_result(status);
    }
    q->c->inflight--;
    q->done(q->ctx, &a);
    ff_dns_answer_clear(&a); /* done() took the records; this frees nothing then */
    free(q);
}

static ff_status cares_query(void *impl, const char *name, ff_dns_type type,
                             ff_dns_done_fn done, void *ctx)
{
    cares *c = impl;
    query *q = calloc(1, sizeof *q);
    if (q == NULL)
        return FF_ENOMEM;
    q->c = c;
    q->type = type;
    q->done = done;
    q->ctx = ctx;
    snprintf(q->name, sizeof q->name, "%s", name);
    c->inflight++;
    ares_query(c->ch, name, ns_c_in, (int)type, on_answer, q);
    return FF_OK;
}

static ff_status cares_wait(void *impl)
{
    cares *c = impl;
    while (c->inflight > 0) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        /* The bit mask is read as unsigned: c-ares's own ARES_GETSOCK_WRITABLE shifts an
         * int by up to 31 places, which is undefined behaviour (UBSan stops on it). */
        unsigned bits = (unsigned)ares_getsock(c->ch, socks, ARES_GETSOCK_MAXNUM);
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        nfds_t n = 0;
        for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short ev = 0;
            if (bits & (1u << i))
                ev |= POLLIN;
            if (bits & (1u << (i + ARES_GETSOCK_MAXNUM)))
                ev |= POLLOUT;
            if (ev) {
                pfd[n].fd = socks[i];
                pfd[n].events = ev;
                pfd[n].revents = 0;
                n++;
            }
        }
        struct timeval tv, *tvp = ares_timeout(c->ch, NULL, &tv);
        int ms = tvp ? (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000) : 1000;
        int r = poll(pfd, n, ms);
        if (r < 0)
            continue; /* EINTR: the timeouts are re-read above */
        if (r == 0) {
            ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            continue;
        }
        for (nfds_t i = 0; i < n; i++) {
            ares_socket_t rd = pfd[i].revents & (POLLIN | POLLERR | POLLHUP) ? pfd[i].fd
                                                                            : ARES_SOCKET_BAD;
            ares_socket_t wr = pfd[i].revents & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD;
            if (rd != ARES_SOCKET_BAD || wr != ARES_SOCKET_BAD)
                ares_process_fd(c->ch, rd, wr);
        }
    }
    return FF_OK;
}

static void cares_free(void *impl)
{
    cares *c = impl;
    if (c == NULL)
        return;
    if (c->ch) {
        ares_destroy(c->ch); /* calls pending callbacks with ARES_EDESTRUCTION */
        ares_library_cleanup();
    }
    free(c);
}

const ff_dns_backend ff_dns_cares_backend = {"c-ares", cares_query, cares_wait, cares_free};

/* "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 -> c-ares' "IP:PORT" csv form. */
static bool server_csv(const char *server, char *out, size_t cap)
{
    unsigned char addr[16];
    char host[64];
    long port = 53;
    size_t len = strlen(server);
    if (len == 0 || len >= sizeof host)
        return false;
    if (server[0] == '[') {
        const char *close = strchr(server, ']');
        if (close == NULL || (size_t)(close - server - 1) >= sizeof host)
            return false;
        memcpy(host, server + 1, (size_t)(close - server - 1));
        host[close - server - 1] = '\0';
        if (close[1] == ':') {
            char *end;
            port = strtol(close + 2, &end, 10);
            if (*end != '\0')
                return false;
        } else if (close[1] != '\0') {
            return false;
        }
    } else {
        memcpy(host, server, len + 1);
        const char *colon = strchr(host, ':');
        if (colon && strchr(colon + 1, ':') == NULL) {
            char *end;
            port = strtol(colon + 1, &end, 10);
            if (*end != '\0' || end == colon + 1)
                return false;
            host[colon - host] = '\0';
        }
    }
    if (port < 1 || port > 65535)
        return false;
    bool v6 = strchr(host, ':') != NULL;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) != 1)
        return false;
    int w = v6 ? snprintf(out, cap, "[%s]:%ld", host, port)
               : snprintf(out, cap, "%s:%ld", host, port);
    return w > 0 && (size_t)w < cap;
}

ff_status ff_dns_new_cares(ff_dns **out, const char *server, int timeout_ms, int tries,
                           ff_error *err)
{
    if (out == NULL)
        return ff_error_set(err, FF_EINVAL, "no output handle");
    *out = NULL;
    if (server == NULL || *server == '\0')
        server = getenv("FIVEFIFTY_RESOLVER");
    if (server != NULL && *server == '\0')
        server = NULL;
    char csv[96];
    if (server && !server_csv(server, csv, sizeof csv))
        return ff_error_set(err, FF_EINVAL, "bad resolver address '%.64s' (want IP[:PORT])",
                            server);
    if (timeout_ms < 0 || tries < 0 || timeout_ms > 600000 || tries > 20)
        return ff_error_set(err, FF_EINVAL, "timeout or tries out of range");
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
        return ff_error_set(err, FF_EIO, "c-ares library init failed");
    cares *c = calloc(1, sizeof *c);
    if (c == NULL) {
        ares_library_cleanup();
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    }
    struct ares_options opt;
    memset(&opt, 0, sizeof opt);
    opt.timeout = timeout_ms ? timeout_ms : 2000;
    opt.tries = tries ? tries : 3;
    /* We ask for exact names (no search list), want EDNS so large TXT sets fit in UDP, and
     * keep the socket open between queries: SPF asks one name after another, and c-ares
     * would otherwise open, connect and close a socket for each. */
    opt.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS | ARES_FLAG_STAYOPEN;
    opt.ednspsz = 1232;
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ;
    int rc = ares_init_options(&c->ch, &opt, mask);
    if (rc != ARES_SUCCESS) {
        c->ch = NULL;
        free(c);
        ares_library_cleanup();
        return ff_error_set(err, FF_EIO, "c-ares init failed: %s", ares_strerror(rc));
    }
    if (server && (rc = ares_set_servers_ports_csv(c->ch, csv)) != ARES_SUCCESS) {
        cares_free(c);
        return ff_error_set(err, FF_EINVAL, "resolver '%s': %s", csv, ares_strerror(rc));
    }
    ff_status st = ff_dns_wrap(out, &ff_dns_cares_backend, c);
    if (st != FF_OK)
        return ff_error_set(err, st, "out of memory");
    return FF_OK;
}
