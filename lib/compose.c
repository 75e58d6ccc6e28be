/* compose.c - the outgoing message: headers, MIME bodies, Message-ID (see compose.h)
 *
 * DESCRIPTION
 *   Output uses CRLF throughout. Bodies are quoted-printable UTF-8 whatever their content,
 *   so the message is 7-bit clean (no 8BITMIME needed on the way) and no line exceeds the
 *   998-octet limit however long the caller's lines are. A "From " at the start of a body
 *   line is encoded too, so no mbox on the way mangles it.
 */
#include "fivefifty/compose.h"

#include "buf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#define FIELD_MAX 4096

bool ff_field_ok(const char *v, size_t max)
{
    if (!v)
        return true;
    size_t n = strnlen(v, max + 1);
    return n <= max && !strpbrk(v, "\r\n");
}

static bool ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80 || (unsigned char)*s < 0x20)
            return false;
    return true;
}

/* RFC 2047 B-encoded words, each at most 75 characters, never splitting a UTF-8
 * sequence, separated by a folding CRLF SP. */
static void encoded_words(ff_buf *b, const char *s)
{
    size_t n = strlen(s), i = 0;
    bool first = true;
    while (i < n) {
        size_t take = n - i < 45 ? n - i : 45;
        while (take < n - i && take > 0 && ((unsigned char)s[i + take] & 0xC0) == 0x80)
            take--;
        if (take == 0)
            take = 1;
        char enc[64];
        EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)s + i, (int)take);
        if (!first)
            ff_buf_puts(b, "\r\n ");
        ff_buf_puts(b, "=?UTF-8?B?");
        ff_buf_puts(b, enc);
        ff_buf_puts(b, "?=");
        first = false;
        i += take;
    }
}

/* An unstructured header value: as is when ASCII, else encoded words. */
static void text_value(ff_buf *b, const char *v)
{
    if (ascii(v))
        ff_buf_puts(b, v);
    else
        encoded_words(b, v);
}

/* "Name <addr>" with a non-ASCII name gets the name encoded; anything else as given. */
static void address(ff_buf *b, const char *a)
{
    const char *lt = strrchr(a, '<');
    if (!lt || ascii(a)) {
        ff_buf_puts(b, a);
        return;
    }
    size_t nl = (size_t)(lt - a);
    while (nl && a[nl - 1] == ' ')
        nl--;
    char *name = strndup(a, nl);
    if (!name) {
        b->oom = true;
        return;
    }
    char *nm = name;
    size_t l = strlen(nm);
    if (l >= 2 && nm[0] == '"' && nm[l - 1] == '"') {
        nm[l - 1] = '\0';
        nm++;
    }
    encoded_words(b, nm);
    ff_buf_puts(b, " ");
    ff_buf_puts(b, lt);
    free(name);
}

static void address_list(ff_buf *b, const char *field, const char *const *v, size_t n)
{
    if (!n)
        return;
    ff_buf_puts(b, field);
    ff_buf_puts(b, ": ");
    for (size_t i = 0; i < n; i++) {
        if (i)
            ff_buf_puts(b, ",\r\n ");
        address(b, v[i]);
    }
    ff_buf_puts(b, "\r\n");
}

/* Quoted-printable (RFC 2045 6.7), lines of at most 76 characters, CRLF line ends. */
static void qp(ff_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\r' || c == '\n') {
            if (c == '\r' && p[1] == '\n')
                p++;
            ff_buf_puts(b, "\r\n");
            col = 0;
            continue;
        }
        char out[4];
        size_t on;
        bool eol = p[1] == '\0' || p[1] == '\r' || p[1] == '\n';
        bool lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !eol);
        if (col == 0 && c == 'F' && strncmp(p, "From ", 5) == 0)
            lit = false;
        if (col == 0 && c == '.')
            lit = false; /* some gateways still mishandle a leading dot */
        if (lit) {
            out[0] = (char)c;
            on = 1;
        } else {
            out[0] = '=';
            out[1] = hex[c >> 4];
            out[2] = hex[c & 15];
            on = 3;
        }
        if (col + on > 75) {
            ff_buf_puts(b, "=\r\n");
            col = 0;
        }
        ff_buf_put(b, out, on);
        col += on;
    }
    if (col)
        ff_buf_puts(b, "\r\n");
}

static void body_part(ff_buf *b, const char *type, const char *content)
{
    ff_buf_puts(b, "Content-Type: ");
    ff_buf_puts(b, type);
    ff_buf_puts(b, "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
    qp(b, content);
}

static void date_value(char *out, size_t cap, int64_t when)
{
    time_t t = when ? (time_t)when : time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static void make_msgid(char *out, size_t cap, const char *domain, int64_t when)
{
    unsigned char r[12];
    if (RAND_bytes(r, sizeof r) != 1)
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)rand();
    char hexr[25];
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(hexr + 2 * i, 3, "%02x", r[i]);
    snprintf(out, cap, "<%lld.%s@%s>", (long long)(when ? when : time(NULL)), hexr,
             domain && *domain ? domain : "fivefifty.invalid");
}

static const char *const structural[] = {
    "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
    "content-type", "content-transfer-encoding", "reply-to", "sender", "return-path",
    "list-unsubscribe", "list-unsubscribe-post", "dkim-signature", NULL};

static bool header_name_ok(const char *n)
{
    if (!n || !*n || strlen(n) > 76)
        return false;
    for (const char *p = n; *p; p++)
        if (*p <= 32 || *p >= 127 || *p == ':')
            return false;
    for (size_t i = 0; structural[i]; i++)
        if (strcasecmp(n, structural[i]) == 0)
            return false;
    return true;
}

static void unsubscribe(ff_buf *b, const ff_compose_in *in)
{
    if (!in->unsubscribe_url && !in->unsubscribe_mailto)
        return;
    ff_buf_puts(b, "List-Unsubscribe: ");
    if (in->unsubscribe_url) {
        ff_buf_puts(b, "<");
        ff_buf_puts(b, in->unsubscribe_url);
        ff_buf_puts(b, ">");
    }
    if (in->unsubscribe_mailto) {
        if (in->unsubscribe_url)
            ff_buf_puts(b, ",\r\n ");
        ff_buf_puts(b, "<mailto:");
        ff_buf_puts(b, in->unsubscribe_mailto);
        ff_buf_puts(b, ">");
    }
    ff_buf_puts(b, "\r\n");
    /* RFC 8058: one-click needs an HTTPS URL; a mailto alone gets no Post header. */
    if (in->unsubscribe_url && strncmp(in->unsubscribe_url, "https://", 8) == 0)
        ff_buf_puts(b, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
}

static ff_status check(const ff_compose_in *in, ff_error *err)
{
    const struct {
        const char *name, *v;
    } fields[] = {{"from", in->from},
                  {"reply_to", in->reply_to},
                  {"subject", in->subject},
                  {"msgid_domain", in->msgid_domain},
                  {"unsubscribe_url", in->unsubscribe_url},
                  {"unsubscribe_mailto", in->unsubscribe_mailto}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!ff_field_ok(fields[i].v, FIELD_MAX))
            return ff_error_set(err, FF_EINVAL, "compose: %s holds CR or LF, or is too long; "
                                "refused (header injection)", fields[i].name);
    for (size_t i = 0; i < in->nto; i++)
        if (!in->to[i] || !ff_field_ok(in->to[i], FIELD_MAX))
            return ff_error_set(err, FF_EINVAL, "compose: to[%zu] holds CR or LF; refused", i);
    for (size_t i = 0; i < in->ncc; i++)
        if (!in->cc[i] || !ff_field_ok(in->cc[i], FIELD_MAX))
            return ff_error_set(err, FF_EINVAL, "compose: cc[%zu] holds CR or LF; refused", i);
    for (size_t i = 0; i < in->nheaders; i++) {
        if (!header_name_ok(in->headers[i].name))
            return ff_error_set(err, FF_EINVAL, "compose: header name '%.40s' is not allowed",
                                in->headers[i].name ? in->headers[i].name : "");
        if (!in->headers[i].value || !ff_field_ok(in->headers[i].value, FIELD_MAX))
            return ff_error_set(err, FF_EINVAL, "compose: header %s holds CR or LF; refused",
                                in->headers[i].name);
    }
    return FF_OK;
}

/* The end of the header block of a raw message (offset of the empty line), or len. */
static size_t raw_header_end(const char *m, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (m[i] == '\n' && i + 1 < len &&
            (m[i + 1] == '\n' || (m[i + 1] == '\r' && i + 2 < len && m[i + 2] == '\n')))
            return i + 1;
    return len;
}

static bool raw_has(const char *m, size_t hlen, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl < hlen; i++)
        if ((i == 0 || m[i - 1] == '\n') && strncasecmp(m + i, name, nl) == 0 && m[i + nl] == ':')
            return true;
    return false;
}

static ff_status finish(ff_buf *b, char **out, size_t *len, ff_error *err)
{
    if (b->oom || b->n > FF_COMPOSE_MAX) {
        free(b->p);
        return ff_error_set(err, b->oom ? FF_ENOMEM : FF_ETOOBIG, "compose: message too large");
    }
    *out = b->p;
    *len = b->n;
    return FF_OK;
}

static ff_status compose_raw(const ff_compose_in *in, char **out, size_t *len, char *msgid,
                             size_t cap, ff_error *err)
{
    if (in->raw_len > FF_COMPOSE_MAX)
        return ff_error_set(err, FF_ETOOBIG, "compose: raw message over %u bytes",
                            FF_COMPOSE_MAX);
    size_t hl = raw_header_end(in->raw, in->raw_len);
    if (!raw_has(in->raw, hl, "From"))
        return ff_error_set(err, FF_EINVAL, "compose: the raw message has no From header");
    ff_buf b = {0};
    char v[FF_MSGID_MAX];
    if (!raw_has(in->raw, hl, "Date")) {
        date_value(v, sizeof v, in->date);
        ff_buf_puts(&b, "Date: ");
        ff_buf_puts(&b, v);
        ff_buf_puts(&b, "\r\n");
    }
    if (!raw_has(in->raw, hl, "Message-ID")) {
        make_msgid(v, sizeof v, in->msgid_domain, in->date);
        ff_buf_puts(&b, "Message-ID: ");
        ff_buf_puts(&b, v);
        ff_buf_puts(&b, "\r\n");
        if (msgid)
            snprintf(msgid, cap, "%s", v);
    } else if (msgid) {
        msgid[0] = '\0';
        for (size_t i = 0; i + 11 < hl; i++)
            if ((i == 0 || in->raw[i - 1] == '\n') && !strncasecmp(in->raw + i, "Message-ID:", 11)) {
                size_t s = i + 11, e;
                while (s < hl && (in->raw[s] == ' ' || in->raw[s] == '\t'))
                    s++;
                for (e = s; e < hl && in->raw[e] != '\r' && in->raw[e] != '\n'; e++)
                    ;
                snprintf(msgid, cap, "%.*s", (int)(e - s), in->raw + s);
                break;
            }
    }
    if (!raw_has(in->raw, hl, "List-Unsubscribe"))
        unsubscribe(&b, in);
    ff_buf_put(&b, in->raw, in->raw_len);
    return finish(&b, out, len, err);
}

ff_status ff_compose(const ff_compose_in *in, char **out, size_t *len, char *msgid,
                     size_t cap, ff_error *err)
{
    if (!in || !out || !len)
        return ff_error_set(err, FF_EINVAL, "compose: missing argument");
    *out = NULL;
    *len = 0;
    ff_status st = check(in, err);
    if (st != FF_OK)
        return st;
    if (in->raw)
        return compose_raw(in, out, len, msgid, cap, err);
    if (!in->from || !*in->from)
        return ff_error_set(err, FF_EINVAL, "compose: no From");
    if (in->nto + in->ncc == 0)
        return ff_error_set(err, FF_EINVAL, "compose: no recipient in To or Cc");
    if (!in->text && !in->html)
        return ff_error_set(err, FF_EINVAL, "compose: no text or HTML body");
    ff_buf b = {0};
    char v[FF_MSGID_MAX];
    ff_buf_puts(&b, "From: ");
    address(&b, in->from);
    ff_buf_puts(&b, "\r\n");
    address_list(&b, "To", in->to, in->nto);
    address_list(&b, "Cc", in->cc, in->ncc);
    if (in->reply_to) {
        ff_buf_puts(&b, "Reply-To: ");
        address(&b, in->reply_to);
        ff_buf_puts(&b, "\r\n");
    }
    ff_buf_puts(&b, "Subject: ");
    text_value(&b, in->subject ? in->subject : "");
    ff_buf_puts(&b, "\r\nDate: ");
    date_value(v, sizeof v, in->date);
    ff_buf_puts(&b, v);
    make_msgid(v, sizeof v, in->msgid_domain, in->date);
    ff_buf_puts(&b, "\r\nMessage-ID: ");
    ff_buf_puts(&b, v);
    ff_buf_puts(&b, "\r\n");
    if (msgid)
        snprintf(msgid, cap, "%s", v);
    unsubscribe(&b, in);
    for (size_t i = 0; i < in->nheaders; i++) {
        ff_buf_puts(&b, in->headers[i].name);
        ff_buf_puts(&b, ": ");
        text_value(&b, in->headers[i].value);
        ff_buf_puts(&b, "\r\n");
    }
    ff_buf_puts(&b, "MIME-Version: 1.0\r\n");
    if (in->text && in->html) {
        unsigned char r[8];
        char bound[40];
        RAND_bytes(r, sizeof r);
        snprintf(bound, sizeof bound, "=_ff_%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
                 r[3], r[4], r[5], r[6], r[7]);
        ff_buf_puts(&b, "Content-Type: multipart/alternative; boundary=\"");
        ff_buf_puts(&b, bound);
        ff_buf_puts(&b, "\"\r\n\r\n--");
        ff_buf_puts(&b, bound);
        ff_buf_puts(&b, "\r\n");
        body_part(&b, "text/plain", in->text);
        ff_buf_puts(&b, "--");
        ff_buf_puts(&b, bound);
        ff_buf_puts(&b, "\r\n");
        body_part(&b, "text/html", in->html);
        ff_buf_puts(&b, "--");
        ff_buf_puts(&b, bound);
        ff_buf_puts(&b, "--\r\n");
    } else {
        body_part(&b, in->text ? "text/plain" : "text/html", in->text ? in->text : in->html);
    }
    return finish(&b, out, len, err);
}
