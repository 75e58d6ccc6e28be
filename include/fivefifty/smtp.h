/* smtp.h - SMTP client (RFC 5321) with STARTTLS, AUTH, PIPELINING, SIZE, 8BITMIME, SMTPUTF8
 *
 * One ff_smtp is one connection to one host: a relay (AUTH + required, verified TLS) or a
 * recipient's MX (opportunistic TLS). It is an explicit state machine: each protocol step
 * is one function that moves it from one state to the next, and every reply the server
 * sends is kept whole (all its lines) so the caller can classify and store it.
 *
 *   ff_smtp_open()      connect, greeting, EHLO (HELO when EHLO is refused), STARTTLS and a
 *                       second EHLO when wanted, AUTH when credentials are given
 *   ff_smtp_send()      one transaction: MAIL, every RCPT (pipelined when offered), DATA,
 *                       the message dot-stuffed with CRLF line ends, the final dot
 *   ff_smtp_send() ...  further messages on the same connection (RSET between them when a
 *                       transaction was left half done)
 *   ff_smtp_close()     QUIT, close, free
 *
 * Security: AUTH is never sent outside TLS (FF_EUNSUPPORTED instead). Toward a relay
 * (tls = FF_TLS_REQUIRED) the certificate must verify against the system store, or
 * `ca_file`, and match `tls_name` (default: host). The message is re-encoded on the way out
 * so no bare CR or LF ever reaches the wire (SMTP smuggling), and envelope addresses with
 * CR, LF or NUL are refused.
 *
 * Timeouts default to RFC 5321 4.5.3.2 (greeting 5 min, MAIL 5 min, RCPT 5 min, DATA 2
 * min, each data block 3 min, final dot 10 min); `timeout_scale` shrinks them for tests.
 */
#ifndef FIVEFIFTY_SMTP_H
#define FIVEFIFTY_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_SMTP_LINE_MAX 4096      /* longer reply lines are cut (RFC 5321: 512) */
#define FF_SMTP_REPLY_MAX 65536    /* a whole multi-line reply */
#define FF_SMTP_RCPT_MAX 1000      /* recipients per transaction */

typedef enum ff_tls_mode {
    FF_TLS_NONE = 0,          /* never STARTTLS (tests, local sinks) */
    FF_TLS_OPPORTUNISTIC,     /* STARTTLS when offered; unverified certificates accepted
                                 (RFC 7435: toward MX, better than clear text) */
    FF_TLS_REQUIRED           /* STARTTLS must be offered and the certificate verify */
} ff_tls_mode;

/* ff_tls_mode_from_name() reads "none", "opportunistic" or "required"; -1 if unknown. */
int ff_tls_mode_from_name(const char *name);
const char *ff_tls_mode_name(ff_tls_mode m);

typedef struct ff_smtp_opts {
    const char *host;         /* name or IP literal to connect to */
    unsigned port;            /* 0 = 25 */
    const char *helo;         /* our name for EHLO; NULL = the machine's host name */
    ff_tls_mode tls;
    const char *tls_name;     /* name the certificate must match; NULL = host */
    const char *ca_file;      /* extra trust anchors (PEM); NULL = system store only */
    const char *user;         /* AUTH PLAIN/LOGIN when set; only inside TLS */
    const char *password;
    double timeout_scale;     /* 0 = 1.0; tests use e.g. 0.01 */
} ff_smtp_opts;

/* One reply, kept whole. `text` holds every line as received without CRLF, lines joined
 * by '\n' ("250-mx.example\n250-PIPELINING\n250 SIZE 1000"). Owned by whoever holds the
 * struct; release with ff_smtp_reply_clear(). code is 0 when no reply came (connection
 * lost or timed out: see the status returned next to it). */
typedef struct ff_smtp_reply {
    int code;
    char *text;
} ff_smtp_reply;

void ff_smtp_reply_clear(ff_smtp_reply *r);

/* The outcome of one transaction. Everything is owned by the struct; release with
 * ff_smtp_result_clear(). `stage` names where it ended for a person and for the
 * classifier's `command` ("MAIL", "RCPT", "DATA", "EOD" for the final dot, "CONN"). */
typedef struct ff_smtp_result {
    ff_smtp_reply mail;
    ff_smtp_reply *rcpt;      /* one per recipient given, in order */
    size_t nrcpt;
    ff_smtp_reply data;       /* the reply to DATA (354 expected) */
    ff_smtp_reply eod;        /* the reply after the final dot */
    const char *stage;        /* static string */
    bool delivered;           /* eod.code is 2xx: the accepted recipients have it */
    bool unknown_outcome;     /* the connection was lost after the final dot was sent and
                                 before its reply: the message may or may not have been
                                 taken (RFC 1047); the caller must not assume either */
} ff_smtp_result;

void ff_smtp_result_clear(ff_smtp_result *r);

typedef struct ff_smtp ff_smtp;

/* ff_smtp_open() connects and runs the session up to ready-for-MAIL. On success *out is
 * the caller's; free it with ff_smtp_close(). On failure *out is NULL and `failure` (when
 * not NULL) holds the reply that refused us (greeting 554, EHLO, STARTTLS, AUTH 535...)
 * with its stage in *stage, so a rejection at connect time is classified like any other.
 * Returns FF_OK; FF_EIO (connect, I/O, timeout, TLS handshake or verification: err says
 * which); FF_EPARSE (the server's reply was not SMTP); FF_EUNSUPPORTED (TLS required but
 * not offered, or AUTH wanted without TLS or without a mechanism we speak); FF_ENOTFOUND
 * (the server refused: failure holds its reply); FF_EINVAL; FF_ENOMEM. */
ff_status ff_smtp_open(ff_smtp **out, const ff_smtp_opts *o, ff_smtp_reply *failure,
                       const char **stage, ff_error *err);

/* ff_smtp_send() runs one transaction for `msg` (len bytes, an RFC 5322 message; any
 * line ends; it is dot-stuffed and sent with CRLF) from `from` (may be "" for the null
 * reverse path) to rcpts[0..nrcpt). `res` is filled (zeroed first; clear it whatever the
 * return). Returns FF_OK when the server answered every step (the transaction may still
 * have been refused: read res); FF_EIO when the connection broke or timed out (res->stage
 * says where; the session is then unusable: close it); FF_EINVAL for a CR, LF or NUL in
 * an address, no recipient, or more than FF_SMTP_RCPT_MAX; FF_ETOOBIG when the server's
 * SIZE limit is smaller than the message; FF_EPARSE for a message line over 998 octets. */
ff_status ff_smtp_send(ff_smtp *s, const char *from, const char *const *rcpts, size_t nrcpt,
                       const char *msg, size_t len, ff_smtp_result *res, ff_error *err);

/* ff_smtp_close() sends QUIT when the connection is still good, closes and frees.
 * NULL is accepted. */
void ff_smtp_close(ff_smtp *s);

/* What the server offered in its EHLO reply, for logs and tests. */
typedef struct ff_smtp_caps {
    bool esmtp, pipelining, starttls, eightbitmime, smtputf8, auth_plain, auth_login;
    bool tls_active;          /* the session runs inside TLS now */
    bool tls_verified;        /* and the certificate verified */
    unsigned long size;       /* SIZE limit, 0 = none announced */
} ff_smtp_caps;

void ff_smtp_caps_get(const ff_smtp *s, ff_smtp_caps *caps);

/* ff_smtp_data_encode() turns a message into what goes on the wire after DATA: every line
 * end (CRLF, bare LF, bare CR) becomes CRLF, a line starting with '.' gets another '.',
 * and ".\r\n" ends it. *out is malloc'd (caller frees), *outlen its length. Sets
 * *eightbit when a byte >= 0x80 occurs (8BITMIME or SMTPUTF8 needed). Returns FF_OK;
 * FF_EPARSE when a line exceeds 998 octets before its CRLF (RFC 5321 4.5.3.1.6: err gives
 * the line number); FF_ENOMEM. Pure: no I/O. */
ff_status ff_smtp_data_encode(const char *msg, size_t len, char **out, size_t *outlen,
                              bool *eightbit, ff_error *err);

/* ff_smtp_reply_end() looks at buf[0..len) as received from a server and returns the
 * length of the first complete reply in it (up to and including the CRLF or LF of its
 * last line, the line whose fourth character is not '-'), or 0 when more bytes are
 * needed. Sets *code to that reply's code, or to -1 when a line is not an SMTP reply line
 * (three digits then ' ', '-' or the line end). Pure: no I/O. */
size_t ff_smtp_reply_end(const char *buf, size_t len, int *code);

#ifdef __cplusplus
}
#endif
#endif
