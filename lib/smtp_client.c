/* smtp_client.c - the SMTP client's state machine (see include/fivefifty/smtp.h)
 *
 * DESCRIPTION
 *   One state per protocol step, one function per transition, as OpenSMTPD does it:
 *
 *     S_CONNECTED -greeting-> S_GREETED -EHLO/HELO-> S_HELLO -STARTTLS-> S_TLS
 *       -EHLO-> S_HELLO ... -AUTH-> S_READY -MAIL/RCPT/DATA/dot-> S_READY ... -QUIT-> S_DONE
 *     any I/O failure -> S_BROKEN (only close is allowed)
 *
 *   Replies are kept whole and handed to the caller; this file decides only what the
 *   protocol decides (is the transaction over? may we go on?), never what a rejection
 *   means: that is the classifier's job, so synchronous replies and later bounces take the
 *   same path (DESIGN.md, "The flow").
 *
 *   With PIPELINING (RFC 2920) MAIL, every RCPT and DATA go out in one write and the
 *   replies are read in order. A server that answers DATA with 354 although it refused
 *   every recipient gets a lone "." so the session stays in step.
 */
#include "fivefifty/smtp.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "smtp_conn.h"

enum state { S_CONNECTED, S_GREETED, S_HELLO, S_READY, S_BROKEN };

/* RFC 5321 4.5.3.2, in milliseconds. */
enum {
    T_CONNECT = 60000,
    T_GREETING = 300000,
    T_EHLO = 300000,
    T_MAIL = 300000,
    T_RCPT = 300000,
    T_DATA = 120000,
    T_BLOCK = 180000,
    T_DOT = 600000,
    T_QUIT = 10000,
};

struct ff_smtp {
    smtp_conn *conn;
    enum state st;
    ff_smtp_caps caps;
    double scale;
    char helo[256];
};

int ff_tls_mode_from_name(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "none") == 0)
        return FF_TLS_NONE;
    if (strcmp(name, "opportunistic") == 0)
        return FF_TLS_OPPORTUNISTIC;
    if (strcmp(name, "required") == 0)
        return FF_TLS_REQUIRED;
    return -1;
}

const char *ff_tls_mode_name(ff_tls_mode m)
{
    switch (m) {
    case FF_TLS_NONE: return "none";
    case FF_TLS_OPPORTUNISTIC: return "opportunistic";
    case FF_TLS_REQUIRED: return "required";
    }
    return "none";
}

void ff_smtp_reply_clear(ff_smtp_reply *r)
{
    if (!r)
        return;
    free(r->text);
    r->text = NULL;
    r->code = 0;
}

void ff_smtp_result_clear(ff_smtp_result *r)
{
    if (!r)
        return;
    ff_smtp_reply_clear(&r->mail);
    for (size_t i = 0; i < r->nrcpt; i++)
        ff_smtp_reply_clear(&r->rcpt[i]);
    free(r->rcpt);
    ff_smtp_reply_clear(&r->data);
    ff_smtp_reply_clear(&r->eod);
    memset(r, 0, sizeof *r);
}

void ff_smtp_caps_get(const ff_smtp *s, ff_smtp_caps *caps)
{
    if (s && caps)
        *caps = s->caps;
}

static int tmo(const ff_smtp *s, int ms)
{
    double v = ms * s->scale;
    return v < 50 ? 50 : (int)v;
}

static ff_status put(ff_smtp *s, const char *line, int t, ff_error *err)
{
    ff_status st = conn_write(s->conn, line, strlen(line), tmo(s, t), err);
    if (st != FF_OK)
        s->st = S_BROKEN;
    return st;
}

static ff_status get(ff_smtp *s, ff_smtp_reply *r, int t, ff_error *err)
{
    ff_smtp_reply_clear(r);
    ff_status st = conn_read_reply(s->conn, tmo(s, t), &r->code, &r->text, err);
    if (st != FF_OK)
        s->st = S_BROKEN;
    return st;
}

static bool ok2(int code)
{
    return code >= 200 && code < 300;
}

/* Read the EHLO keywords (RFC 5321 4.1.1.1: one per line after the first). */
static void read_caps(ff_smtp *s, const char *text)
{
    bool tls = s->caps.tls_active, verified = s->caps.tls_verified;
    memset(&s->caps, 0, sizeof s->caps);
    s->caps.esmtp = true;
    s->caps.tls_active = tls;
    s->caps.tls_verified = verified;
    const char *l = strchr(text, '\n');
    while (l) {
        l++;
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        char kw[128];
        if (n > 4 && n - 4 < sizeof kw) {
            memcpy(kw, l + 4, n - 4);
            kw[n - 4] = '\0';
            for (char *p = kw; *p; p++)
                *p = (char)toupper((unsigned char)*p);
            if (strcmp(kw, "PIPELINING") == 0)
                s->caps.pipelining = true;
            else if (strcmp(kw, "STARTTLS") == 0)
                s->caps.starttls = true;
            else if (strcmp(kw, "8BITMIME") == 0)
                s->caps.eightbitmime = true;
            else if (strcmp(kw, "SMTPUTF8") == 0)
                s->caps.smtputf8 = true;
            else if (strncmp(kw, "SIZE", 4) == 0 && (kw[4] == ' ' || !kw[4]))
                s->caps.size = strtoul(kw + 4, NULL, 10);
            else if (strncmp(kw, "AUTH", 4) == 0 && (kw[4] == ' ' || kw[4] == '=')) {
                s->caps.auth_plain = s->caps.auth_plain || strstr(kw, " PLAIN") ||
                                     strstr(kw, "=PLAIN");
                s->caps.auth_login = s->caps.auth_login || strstr(kw, " LOGIN") ||
                                     strstr(kw, "=LOGIN");
            }
        }
        l = e;
    }
}

/* S_GREETED -> S_HELLO: EHLO, or HELO when the server does not speak ESMTP. */
static ff_status hello(ff_smtp *s, ff_smtp_reply *r, const char **stage, ff_error *err)
{
    char line[300];
    *stage = "EHLO";
    snprintf(line, sizeof line, "EHLO %s\r\n", s->helo);
    ff_status st = put(s, line, T_EHLO, err);
    if (st == FF_OK)
        st = get(s, r, T_EHLO, err);
    if (st != FF_OK)
        return st;
    if (ok2(r->code)) {
        read_caps(s, r->text);
        s->st = S_HELLO;
        return FF_OK;
    }
    if (r->code != 500 && r->code != 502 && r->code != 504 && r->code != 550)
        return ff_error_set(err, FF_ENOTFOUND, "EHLO refused: %.120s", r->text);
    *stage = "HELO";
    snprintf(line, sizeof line, "HELO %s\r\n", s->helo);
    if ((st = put(s, line, T_EHLO, err)) != FF_OK || (st = get(s, r, T_EHLO, err)) != FF_OK)
        return st;
    if (!ok2(r->code))
        return ff_error_set(err, FF_ENOTFOUND, "HELO refused: %.120s", r->text);
    memset(&s->caps, 0, sizeof s->caps);
    s->st = S_HELLO;
    return FF_OK;
}

static ff_status starttls(ff_smtp *s, const ff_smtp_opts *o, ff_smtp_reply *r,
                          const char **stage, ff_error *err)
{
    *stage = "STARTTLS";
    ff_status st = put(s, "STARTTLS\r\n", T_EHLO, err);
    if (st == FF_OK)
        st = get(s, r, T_EHLO, err);
    if (st != FF_OK)
        return st;
    if (r->code != 220) {
        if (o->tls == FF_TLS_REQUIRED)
            return ff_error_set(err, FF_ENOTFOUND, "STARTTLS refused: %.120s", r->text);
        return FF_OK; /* opportunistic: go on in the clear */
    }
    if (conn_pending(s->conn)) {
        s->st = S_BROKEN;
        return ff_error_set(err, FF_EIO, "server sent data after its STARTTLS reply, before "
                                         "the handshake (injection): giving up");
    }
    bool verified = false;
    st = conn_starttls(s->conn, o->tls_name ? o->tls_name : o->host,
                       o->tls == FF_TLS_REQUIRED, o->ca_file, tmo(s, T_EHLO), &verified, err);
    if (st != FF_OK) {
        s->st = S_BROKEN;
        return st;
    }
    s->caps.tls_active = true;
    s->caps.tls_verified = verified;
    s->st = S_GREETED; /* RFC 3207 4.2: forget everything, EHLO again */
    return hello(s, r, stage, err);
}

static char *b64(const char *in, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)n);
    return out;
}

static ff_status auth_send(ff_smtp *s, ff_smtp_reply *r, const char *verb, const char *arg,
                           ff_error *err)
{
    size_t n = strlen(verb) + strlen(arg) + 4;
    char *line = malloc(n);
    if (!line)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    snprintf(line, n, "%s%s\r\n", verb, arg);
    ff_status st = put(s, line, T_EHLO, err);
    OPENSSL_cleanse(line, n); /* the credentials must not linger in memory we free */
    free(line);
    return st == FF_OK ? get(s, r, T_EHLO, err) : st;
}

/* AUTH PLAIN (RFC 4616) or LOGIN. Never called outside TLS: see ff_smtp_open. */
static ff_status auth(ff_smtp *s, const ff_smtp_opts *o, ff_smtp_reply *r, const char **stage,
                      ff_error *err)
{
    *stage = "AUTH";
    size_t ul = strlen(o->user), pl = o->password ? strlen(o->password) : 0;
    if (ul > 255 || pl > 255)
        return ff_error_set(err, FF_EINVAL, "AUTH: user or password longer than 255 octets");
    ff_status st;
    if (s->caps.auth_plain) {
        char raw[520];
        raw[0] = '\0';
        memcpy(raw + 1, o->user, ul);
        raw[1 + ul] = '\0';
        if (pl)
            memcpy(raw + 2 + ul, o->password, pl);
        char *enc = b64(raw, 2 + ul + pl);
        OPENSSL_cleanse(raw, sizeof raw);
        if (!enc)
            return ff_error_set(err, FF_ENOMEM, "out of memory");
        st = auth_send(s, r, "AUTH PLAIN ", enc, err);
        OPENSSL_cleanse(enc, strlen(enc));
        free(enc);
    } else if (s->caps.auth_login) {
        st = auth_send(s, r, "AUTH LOGIN", "", err);
        const char *parts[2] = {o->user, o->password ? o->password : ""};
        for (int i = 0; i < 2 && st == FF_OK && r->code == 334; i++) {
            char *enc = b64(parts[i], strlen(parts[i]));
            if (!enc)
                return ff_error_set(err, FF_ENOMEM, "out of memory");
            st = auth_send(s, r, "", enc, err);
            OPENSSL_cleanse(enc, strlen(enc));
            free(enc);
        }
    } else {
        return ff_error_set(err, FF_EUNSUPPORTED,
                            "AUTH: the server offers neither PLAIN nor LOGIN");
    }
    if (st != FF_OK)
        return st;
    if (r->code != 235)
        return ff_error_set(err, FF_ENOTFOUND, "AUTH refused: %.120s", r->text);
    return FF_OK;
}

ff_status ff_smtp_open(ff_smtp **out, const ff_smtp_opts *o, ff_smtp_reply *failure,
                       const char **stage, ff_error *err)
{
    const char *stg = "CONN";
    ff_smtp_reply r = {0};
    if (out)
        *out = NULL;
    if (stage)
        *stage = stg;
    if (failure)
        memset(failure, 0, sizeof *failure);
    if (!out || !o || !o->host || !*o->host)
        return ff_error_set(err, FF_EINVAL, "smtp: no host to connect to");
    if (o->user && o->tls == FF_TLS_NONE)
        return ff_error_set(err, FF_EUNSUPPORTED,
                            "smtp: AUTH needs TLS; credentials are never sent in the clear");
    ff_smtp *s = calloc(1, sizeof *s);
    if (!s)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    s->scale = o->timeout_scale > 0 ? o->timeout_scale : 1.0;
    if (o->helo && *o->helo)
        snprintf(s->helo, sizeof s->helo, "%s", o->helo);
    else if (gethostname(s->helo, sizeof s->helo - 1) != 0 || !*s->helo)
        snprintf(s->helo, sizeof s->helo, "localhost");
    if (strpbrk(s->helo, "\r\n ")) {
        free(s);
        return ff_error_set(err, FF_EINVAL, "smtp: HELO name with space, CR or LF");
    }
    ff_status st = conn_open(&s->conn, o->host, o->port, tmo(s, T_CONNECT), err);
    if (st == FF_OK) {
        st = get(s, &r, T_GREETING, err);
        if (st == FF_OK && r.code != 220)
            st = ff_error_set(err, FF_ENOTFOUND, "greeting refused: %.120s", r.text);
    }
    if (st == FF_OK) {
        s->st = S_GREETED;
        st = hello(s, &r, &stg, err);
    }
    if (st == FF_OK && o->tls != FF_TLS_NONE) {
        if (s->caps.starttls)
            st = starttls(s, o, &r, &stg, err);
        else if (o->tls == FF_TLS_REQUIRED)
            st = ff_error_set(err, FF_EUNSUPPORTED,
                              "smtp: TLS is required toward %s but it does not offer STARTTLS",
                              o->host);
    }
    if (st == FF_OK && o->user) {
        if (!s->caps.tls_active)
            st = ff_error_set(err, FF_EUNSUPPORTED,
                              "smtp: no TLS with %s; AUTH is never sent in the clear", o->host);
        else
            st = auth(s, o, &r, &stg, err);
    }
    if (stage)
        *stage = stg;
    if (st != FF_OK) {
        if (failure && st == FF_ENOTFOUND)
            *failure = r;
        else
            ff_smtp_reply_clear(&r);
        ff_smtp_close(s);
        return st;
    }
    ff_smtp_reply_clear(&r);
    s->st = S_READY;
    *out = s;
    return FF_OK;
}

static bool bad_addr(const char *a)
{
    return !a || strpbrk(a, "\r\n") || strlen(a) > 512;
}

static bool non_ascii(const char *a)
{
    for (; *a; a++)
        if ((unsigned char)*a >= 0x80)
            return true;
    return false;
}

/* The MAIL command with the parameters the message needs and the server offers. */
static ff_status mail_line(ff_smtp *s, const char *from, size_t size, bool eightbit,
                           bool utf8, char **line, ff_error *err)
{
    char params[96] = "";
    size_t pl = 0;
    if (s->caps.size)
        pl += (size_t)snprintf(params + pl, sizeof params - pl, " SIZE=%zu", size);
    if (eightbit && s->caps.eightbitmime)
        pl += (size_t)snprintf(params + pl, sizeof params - pl, " BODY=8BITMIME");
    if (utf8)
        snprintf(params + pl, sizeof params - pl, " SMTPUTF8");
    size_t n = strlen(from) + sizeof params + 20;
    if (!(*line = malloc(n)))
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    snprintf(*line, n, "MAIL FROM:<%s>%s\r\n", from, params);
    return FF_OK;
}

/* Send RSET after a transaction left open; a failure breaks the session. */
static void reset(ff_smtp *s, ff_error *err)
{
    ff_smtp_reply r = {0};
    if (put(s, "RSET\r\n", T_MAIL, err) == FF_OK)
        get(s, &r, T_MAIL, err);
    ff_smtp_reply_clear(&r);
}

/* The envelope: MAIL and RCPTs (and DATA when pipelining). Returns FF_OK when every reply
 * came; *accepted counts 2xx RCPTs; *data_sent says DATA went out in the same group. */
static ff_status envelope(ff_smtp *s, const char *mail, const char *const *rcpts, size_t n,
                          ff_smtp_result *res, size_t *accepted, bool *data_sent,
                          ff_error *err)
{
    ff_status st;
    *accepted = 0;
    *data_sent = false;
    if (s->caps.pipelining) {
        size_t cap = strlen(mail) + 16;
        for (size_t i = 0; i < n; i++)
            cap += strlen(rcpts[i]) + 16;
        char *batch = malloc(cap), *p = batch;
        if (!batch)
            return ff_error_set(err, FF_ENOMEM, "out of memory");
        p += sprintf(p, "%s", mail);
        for (size_t i = 0; i < n; i++)
            p += sprintf(p, "RCPT TO:<%s>\r\n", rcpts[i]);
        p += sprintf(p, "DATA\r\n");
        res->stage = "MAIL";
        st = conn_write(s->conn, batch, (size_t)(p - batch), tmo(s, T_MAIL), err);
        free(batch);
        if (st != FF_OK) {
            s->st = S_BROKEN;
            return st;
        }
        *data_sent = true;
        if ((st = get(s, &res->mail, T_MAIL, err)) != FF_OK)
            return st;
        res->stage = "RCPT";
        for (size_t i = 0; i < n; i++) {
            if ((st = get(s, &res->rcpt[i], T_RCPT, err)) != FF_OK)
                return st;
            if (ok2(res->rcpt[i].code) && ok2(res->mail.code))
                (*accepted)++;
        }
        res->stage = "DATA";
        return get(s, &res->data, T_DATA, err);
    }
    res->stage = "MAIL";
    if ((st = put(s, mail, T_MAIL, err)) != FF_OK || (st = get(s, &res->mail, T_MAIL, err)))
        return st;
    if (!ok2(res->mail.code))
        return FF_OK;
    res->stage = "RCPT";
    for (size_t i = 0; i < n; i++) {
        char line[600];
        snprintf(line, sizeof line, "RCPT TO:<%s>\r\n", rcpts[i]);
        if ((st = put(s, line, T_RCPT, err)) != FF_OK ||
            (st = get(s, &res->rcpt[i], T_RCPT, err)) != FF_OK)
            return st;
        if (ok2(res->rcpt[i].code))
            (*accepted)++;
    }
    return FF_OK;
}

ff_status ff_smtp_send(ff_smtp *s, const char *from, const char *const *rcpts, size_t nrcpt,
                       const char *msg, size_t len, ff_smtp_result *res, ff_error *err)
{
    if (!res)
        return ff_error_set(err, FF_EINVAL, "smtp: no result");
    memset(res, 0, sizeof *res);
    res->stage = "MAIL";
    if (!s || s->st != S_READY)
        return ff_error_set(err, FF_EINVAL, "smtp: session not ready");
    if (!rcpts || nrcpt == 0 || nrcpt > FF_SMTP_RCPT_MAX)
        return ff_error_set(err, FF_EINVAL, "smtp: need 1 to %d recipients", FF_SMTP_RCPT_MAX);
    if (bad_addr(from ? from : ""))
        return ff_error_set(err, FF_EINVAL, "smtp: sender address with CR or LF");
    bool utf8 = from && non_ascii(from);
    for (size_t i = 0; i < nrcpt; i++) {
        if (bad_addr(rcpts[i]) || !*rcpts[i])
            return ff_error_set(err, FF_EINVAL, "smtp: recipient %zu is empty or has CR or LF",
                                i + 1);
        utf8 = utf8 || non_ascii(rcpts[i]);
    }
    if (utf8 && !s->caps.smtputf8)
        return ff_error_set(err, FF_EUNSUPPORTED,
                            "smtp: internationalised address but no SMTPUTF8 offered");
    char *wire = NULL, *mail = NULL;
    size_t wlen = 0;
    bool eightbit = false;
    ff_status st = ff_smtp_data_encode(msg, len, &wire, &wlen, &eightbit, err);
    if (st != FF_OK)
        return st;
    if (s->caps.size && wlen > s->caps.size) {
        free(wire);
        return ff_error_set(err, FF_ETOOBIG, "smtp: message of %zu octets over the server's "
                            "SIZE limit of %lu", wlen, s->caps.size);
    }
    if (eightbit && !s->caps.eightbitmime && !utf8) {
        free(wire);
        return ff_error_set(err, FF_EUNSUPPORTED, "smtp: 8-bit message but no 8BITMIME "
                            "offered; encode it as quoted-printable or base64");
    }
    res->rcpt = calloc(nrcpt, sizeof *res->rcpt);
    if (!res->rcpt || mail_line(s, from ? from : "", wlen, eightbit, utf8, &mail, err)) {
        free(wire);
        free(mail);
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    }
    res->nrcpt = nrcpt;
    size_t accepted = 0;
    bool data_sent = false;
    st = envelope(s, mail, rcpts, nrcpt, res, &accepted, &data_sent, err);
    free(mail);
    if (st == FF_OK && !data_sent && accepted > 0) {
        res->stage = "DATA";
        if ((st = put(s, "DATA\r\n", T_DATA, err)) == FF_OK)
            st = get(s, &res->data, T_DATA, err);
        data_sent = true;
    }
    if (st != FF_OK)
        goto out;
    if (res->data.code == 354 && accepted == 0) {
        /* RFC 2920 3.1: DATA was accepted with no recipient: end it empty. */
        ff_smtp_reply r = {0};
        if ((st = put(s, ".\r\n", T_DOT, err)) == FF_OK)
            st = get(s, &r, T_DOT, err);
        ff_smtp_reply_clear(&r);
        res->stage = "RCPT";
        goto out;
    }
    if (res->data.code != 354) {
        if (!data_sent)
            res->stage = ok2(res->mail.code) ? "RCPT" : "MAIL";
        if (ok2(res->mail.code))
            reset(s, err);
        goto out;
    }
    res->stage = "EOD";
    /* Send in blocks so each has the 3-minute block timeout, not one for the whole. */
    for (size_t off = 0; off < wlen && st == FF_OK; off += 65536) {
        size_t n = wlen - off < 65536 ? wlen - off : 65536;
        st = conn_write(s->conn, wire + off, n, tmo(s, T_BLOCK), err);
    }
    if (st != FF_OK) {
        s->st = S_BROKEN;
        goto out;
    }
    st = get(s, &res->eod, T_DOT, err);
    if (st != FF_OK) {
        res->unknown_outcome = true;
        goto out;
    }
    res->delivered = ok2(res->eod.code);
out:
    free(wire);
    if (s->st == S_BROKEN && st == FF_OK)
        st = FF_EIO;
    return st;
}

void ff_smtp_close(ff_smtp *s)
{
    if (!s)
        return;
    if (s->conn && s->st != S_BROKEN && s->st != S_CONNECTED) {
        ff_smtp_reply r = {0};
        if (conn_write(s->conn, "QUIT\r\n", 6, tmo(s, T_QUIT), NULL) == FF_OK)
            conn_read_reply(s->conn, tmo(s, T_QUIT), &r.code, &r.text, NULL);
        ff_smtp_reply_clear(&r);
    }
    conn_free(s->conn);
    free(s);
}
