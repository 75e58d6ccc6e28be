/* smtp_conn.c - TCP and TLS under the SMTP client, with a deadline on every step
 *
 * DESCRIPTION
 *   Sockets are non-blocking and every wait is a poll() bounded by the caller's timeout,
 *   so a server that stops answering costs at most the RFC 5321 timeout of that step and
 *   never hangs a queue runner. OpenSSL runs on the same non-blocking socket: WANT_READ and
 *   WANT_WRITE turn into the matching poll().
 *
 *   Verification (relays): SSL_set1_host() checks the name, SSL_VERIFY_PEER the chain
 *   against the system store (and ca_file for private CAs and tests). Opportunistic TLS
 *   toward MX hosts takes any certificate, as RFC 7435 advises, but still records whether
 *   it verified.
 */
#include "smtp_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "fivefifty/smtp.h"

struct smtp_conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    char buf[FF_SMTP_REPLY_MAX];
    size_t have; /* bytes in buf not yet handed out */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for `events` or the deadline passes. 1 ready, 0 timeout, -1 error */
static int wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

static ff_status connect_one(int *fdp, const struct addrinfo *ai, long long deadline,
                             ff_error *err)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0)
        return ff_error_set(err, FF_EIO, "socket: %s", strerror(errno));
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return ff_error_set(err, FF_EIO, "connect: %s", strerror(e));
    }
    int r = wait_fd(fd, POLLOUT, deadline);
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
        close(fd);
        return ff_error_set(err, FF_EIO, "connect: %s",
                            r == 0 ? "timed out" : strerror(soerr ? soerr : errno));
    }
    *fdp = fd;
    return FF_OK;
}

ff_status conn_open(smtp_conn **out, const char *host, unsigned port, int timeout_ms,
                    ff_error *err)
{
    *out = NULL;
    char svc[16];
    snprintf(svc, sizeof svc, "%u", port ? port : 25);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
    struct addrinfo *res = NULL;
    /* An address literal "[192.0.2.1]" as written in RFC 5321 4.1.3. */
    char lit[64];
    size_t hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']' && hl - 2 < sizeof lit) {
        memcpy(lit, host + 1, hl - 2);
        lit[hl - 2] = '\0';
        host = strncmp(lit, "IPv6:", 5) == 0 ? lit + 5 : lit;
        hints.ai_flags |= AI_NUMERICHOST;
    }
    int g = getaddrinfo(host, svc, &hints, &res);
    if (g != 0)
        return ff_error_set(err, FF_EIO, "resolve %s: %s", host, gai_strerror(g));
    long long deadline = now_ms() + timeout_ms;
    int fd = -1;
    ff_status st = FF_EIO;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
        st = connect_one(&fd, ai, deadline, err);
    freeaddrinfo(res);
    if (fd < 0)
        return st;
    smtp_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    }
    c->fd = fd;
    *out = c;
    return FF_OK;
}

static ff_status tls_fail(ff_error *err, const char *what)
{
    unsigned long e = ERR_get_error();
    char b[200] = "";
    if (e)
        ERR_error_string_n(e, b, sizeof b);
    ERR_clear_error();
    return ff_error_set(err, FF_EIO, "TLS %s%s%s", what, *b ? ": " : "", b);
}

ff_status conn_starttls(smtp_conn *c, const char *name, bool verify, const char *ca_file,
                        int timeout_ms, bool *verified, ff_error *err)
{
    *verified = false;
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx)
        return tls_fail(err, "context");
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    SSL_CTX_set_default_verify_paths(c->ctx);
    if (ca_file && SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1)
        return tls_fail(err, "loading the CA file");
    SSL_CTX_set_verify(c->ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl)
        return tls_fail(err, "session");
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, name);
    /* Name checks apply to the result either way; with SSL_VERIFY_NONE they only inform. */
    SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(c->ssl, name) != 1)
        return tls_fail(err, "host name");
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int r = SSL_connect(c->ssl);
        if (r == 1)
            break;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) <= 0)
                return ff_error_set(err, FF_EIO, "TLS handshake timed out");
            continue;
        }
        long v = SSL_get_verify_result(c->ssl);
        if (verify && v != X509_V_OK)
            return ff_error_set(err, FF_EIO, "TLS certificate of %s does not verify: %s", name,
                                X509_verify_cert_error_string(v));
        return tls_fail(err, "handshake");
    }
    *verified = SSL_get_verify_result(c->ssl) == X509_V_OK;
    return FF_OK;
}

ff_status conn_write(smtp_conn *c, const char *buf, size_t len, int timeout_ms, ff_error *err)
{
    long long deadline = now_ms() + timeout_ms;
    size_t off = 0;
    while (off < len) {
        ssize_t n;
        short want = POLLOUT;
        if (c->ssl) {
            size_t w = 0;
            int r = SSL_write_ex(c->ssl, buf + off, len - off, &w);
            if (r == 1) {
                off += w;
                continue;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ)
                want = POLLIN;
            else if (e != SSL_ERROR_WANT_WRITE)
                return tls_fail(err, "write");
            n = -1;
            errno = EAGAIN;
        } else {
            n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
            if (n > 0) {
                off += (size_t)n;
                continue;
            }
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return ff_error_set(err, FF_EIO, "write: %s", strerror(errno));
        int r = wait_fd(c->fd, want, deadline);
        if (r == 0)
            return ff_error_set(err, FF_EIO, "write timed out");
        if (r < 0)
            return ff_error_set(err, FF_EIO, "write: %s", strerror(errno));
    }
    return FF_OK;
}

/* Read what is available into buf. 1 got bytes, 0 closed, -1 error (err set). */
static int fill(smtp_conn *c, long long deadline, ff_error *err)
{
    if (c->have >= sizeof c->buf) {
        ff_error_set(err, FF_ETOOBIG, "reply longer than %d bytes", FF_SMTP_REPLY_MAX);
        return -2;
    }
    for (;;) {
        short want = POLLIN;
        if (c->ssl) {
            size_t n = 0;
            int r = SSL_read_ex(c->ssl, c->buf + c->have, sizeof c->buf - c->have, &n);
            if (r == 1) {
                c->have += n;
                return 1;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN)
                return 0;
            if (e == SSL_ERROR_WANT_WRITE)
                want = POLLOUT;
            else if (e != SSL_ERROR_WANT_READ) {
                tls_fail(err, "read");
                return e == SSL_ERROR_SYSCALL ? 0 : -1;
            }
        } else {
            ssize_t n = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, 0);
            if (n > 0) {
                c->have += (size_t)n;
                return 1;
            }
            if (n == 0)
                return 0;
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                ff_error_set(err, FF_EIO, "read: %s", strerror(errno));
                return -1;
            }
        }
        int r = wait_fd(c->fd, want, deadline);
        if (r == 0) {
            ff_error_set(err, FF_EIO, "timed out waiting for the server's reply");
            return -1;
        }
        if (r < 0) {
            ff_error_set(err, FF_EIO, "read: %s", strerror(errno));
            return -1;
        }
    }
}

ff_status conn_read_reply(smtp_conn *c, int timeout_ms, int *code, char **text,
                          ff_error *err)
{
    *code = 0;
    *text = NULL;
    long long deadline = now_ms() + timeout_ms;
    size_t n;
    int rc;
    while ((n = ff_smtp_reply_end(c->buf, c->have, &rc)) == 0) {
        int r = fill(c, deadline, err);
        if (r == -2)
            return FF_ETOOBIG;
        if (r < 0)
            return FF_EIO;
        if (r == 0)
            return ff_error_set(err, FF_EIO, "connection closed by the server");
    }
    if (rc < 0)
        return ff_error_set(err, FF_EPARSE, "server sent a line that is no SMTP reply: %.60s",
                            c->buf);
    char *t = malloc(n + 1);
    if (!t)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (c->buf[i] != '\r')
            t[o++] = c->buf[i];
    while (o && t[o - 1] == '\n')
        o--;
    t[o] = '\0';
    memmove(c->buf, c->buf + n, c->have - n);
    c->have -= n;
    *code = rc;
    *text = t;
    return FF_OK;
}

size_t conn_pending(const smtp_conn *c)
{
    return c ? c->have : 0;
}

bool conn_tls_active(const smtp_conn *c)
{
    return c && c->ssl;
}

void conn_free(smtp_conn *c)
{
    if (!c)
        return;
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}
