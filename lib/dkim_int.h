/* dkim_int.h - internal: what signing and verifying share (dkim_canon.c)
 *
 * A message is read once into header fields and a body, with every line end made CRLF
 * (bare LF and bare CR too: that is what goes on the wire, and what the other side will
 * hash). Canonicalisation (RFC 6376 3.4) and the body hash work on that form.
 */
#ifndef FF_DKIM_INT_H
#define FF_DKIM_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/dkim.h"

#include "buf.h"

typedef struct dk_field {
    const char *raw;    /* the whole field: name, colon, value, folds; no final CRLF */
    size_t len;
    size_t nl;          /* length of the name */
    bool used;          /* taken by a signature's h= walk */
} dk_field;

typedef struct dk_msg {
    char *buf;          /* the CRLF-normalised message, owned */
    size_t len;
    dk_field *f;        /* header fields in order */
    size_t nf;
    const char *body;   /* after the empty line; may be empty */
    size_t body_len;
} dk_msg;

ff_status dk_msg_parse(const char *msg, size_t len, dk_msg *m, ff_error *err);
void dk_msg_free(dk_msg *m);

/* Append one field, canonicalised; with crlf, end it with CRLF. */
void dk_canon_header(ff_buf *out, const char *raw, size_t len, ff_dkim_canon c, bool crlf);

/* SHA-256 of the canonical body, at most `limit` bytes of it (-1 = all). *canon_len gets
 * the canonical body's whole length (for l= checks). false when the crypto library fails. */
bool dk_body_hash(const char *body, size_t len, ff_dkim_canon c, long limit,
                  unsigned char out[32], size_t *canon_len);

/* The last field named `name` (case ignored) not yet used, marked used; NULL if none. */
dk_field *dk_take(dk_msg *m, const char *name, size_t nl);

/* Sign or verify `data` with the key: RSA PKCS#1 v1.5 over SHA-256, or Ed25519 over the
 * SHA-256 digest of the data (RFC 8463 3). */
bool dk_sign_data(void *pkey, const char *data, size_t len, unsigned char **sig, size_t *slen);
bool dk_verify_data(void *pkey, const char *data, size_t len, const unsigned char *sig,
                    size_t slen);

#endif
