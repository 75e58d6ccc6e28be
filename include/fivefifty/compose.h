/* compose.h - build the RFC 5322 message that goes out, and the VERP address it goes from
 *
 * ff_compose() turns a caller's fields (from, to, cc, subject, text and/or HTML, extra
 * headers) into a MIME message: UTF-8 text as quoted-printable so no line passes 998
 * octets, multipart/alternative when both bodies are given, RFC 2047 encoded words for a
 * non-ASCII subject or display name, a Message-ID and a Date. Given a raw message
 * instead, it keeps it and adds only what is missing (Message-ID, Date, MIME-Version).
 * For bulk streams it adds List-Unsubscribe and List-Unsubscribe-Post (RFC 8058), which
 * Google and Yahoo require of bulk senders.
 *
 * Every field a caller gives is checked for CR and LF (and NUL): a field with one is
 * refused with FF_EINVAL naming the field, never cleaned, because a caller that sends
 * one is either broken or attacking (header injection).
 *
 * VERP (variable envelope return path): each recipient's copy goes out from
 * bounces+TOKEN@bounce-domain, where TOKEN carries the recipient's id in the store and a
 * truncated HMAC-SHA256 of it, so a bounce that comes back days later maps to exactly one
 * (message, recipient), and nobody can forge a token that suppresses someone else's
 * address. TOKEN is lower-case base32: local parts may be case-folded on the way back.
 */
#ifndef FIVEFIFTY_COMPOSE_H
#define FIVEFIFTY_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_MSGID_MAX 256
#define FF_COMPOSE_MAX (64u * 1024 * 1024)

typedef struct ff_header_kv {
    const char *name;
    const char *value;
} ff_header_kv;

typedef struct ff_compose_in {
    const char *from;             /* "Name <a@b>" or "a@b"; required unless raw */
    const char *const *to;        /* addresses (or "Name <a@b>") */
    size_t nto;
    const char *const *cc;
    size_t ncc;
    const char *reply_to;
    const char *subject;
    const char *text;             /* UTF-8 */
    const char *html;             /* UTF-8 */
    const char *raw;              /* a whole message instead of the fields above */
    size_t raw_len;
    const ff_header_kv *headers;  /* extra headers; may not replace the structural ones */
    size_t nheaders;
    const char *msgid_domain;     /* right side of a generated Message-ID */
    const char *unsubscribe_url;  /* bulk: https URL for one-click (RFC 8058) */
    const char *unsubscribe_mailto;
    int64_t date;                 /* seconds since the epoch; 0 = now */
} ff_compose_in;

/* ff_compose() writes the message to *out (malloc'd; caller frees) and its length to
 * *len, and the Message-ID it carries (with <>) into msgid (cap bytes) when msgid is not
 * NULL. Returns FF_OK; FF_EINVAL (a field with CR/LF/NUL, a bad header name, a structural
 * header in `headers`, no recipient, no body); FF_ETOOBIG; FF_ENOMEM. */
ff_status ff_compose(const ff_compose_in *in, char **out, size_t *len, char *msgid,
                     size_t cap, ff_error *err);

/* ff_field_ok() says whether a caller's value may go into a header or an SMTP line: no
 * CR, LF or NUL, at most `max` bytes. */
bool ff_field_ok(const char *v, size_t max);

#define FF_VERP_TOKEN_MAX 32

/* ff_verp_token() writes the token for id (26 base32 characters and a NUL) using the
 * secret (secret_len bytes, at least 16). Returns FF_OK or FF_EINVAL. */
ff_status ff_verp_token(const unsigned char *secret, size_t secret_len, uint64_t id,
                        char token[FF_VERP_TOKEN_MAX]);

/* ff_verp_parse() finds "bounces+TOKEN@" (any local part prefix before '+', any case) in
 * addr, checks the HMAC, and returns the id through *id. Returns FF_OK, FF_ENOTFOUND (no
 * token in the address), FF_EPARSE (a token that does not verify: forged or damaged). */
ff_status ff_verp_parse(const unsigned char *secret, size_t secret_len, const char *addr,
                        uint64_t *id);

#ifdef __cplusplus
}
#endif
#endif
