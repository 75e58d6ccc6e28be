/* dkim.h - DomainKeys Identified Mail: key records, signing, verifying (RFC 6376, RFC 8463)
 *
 * Keys: ff_dkim_key_parse() reads a selector's TXT record and lints it the way a
 * postmaster would: v= first when present, k= (rsa, ed25519), p= (empty = revoked; base64
 * broken by quotes, backslashes or spaces pasted in from a web form is named exactly),
 * t=y (testing), t=s, h=, s=, and the key size (RSA under 1024 bits fails, under 2048
 * warns). Findings are kept with the key; a key may parse and still carry findings.
 *
 * Signing and verifying take the whole message (any line ends: bare LF is read as CRLF,
 * as it will be on the wire), with simple or relaxed canonicalisation (RFC 6376 3.4),
 * rsa-sha256 or ed25519-sha256 (RFC 8463: Ed25519 over the SHA-256 of the data), and l=.
 * Verification asks the caller for key records through a callback, so it needs no
 * network and is testable and fuzzable.
 *
 * Ownership: every struct is the caller's; release with the _clear/_free named beside it.
 */
#ifndef FIVEFIFTY_DKIM_H
#define FIVEFIFTY_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_DKIM_MAX (64u * 1024 * 1024)   /* a message larger than this is refused */
#define FF_DKIM_FINDINGS_MAX 16

typedef enum ff_dkim_alg { FF_DKIM_RSA_SHA256 = 0, FF_DKIM_ED25519_SHA256 } ff_dkim_alg;
typedef enum ff_dkim_canon { FF_DKIM_SIMPLE = 0, FF_DKIM_RELAXED } ff_dkim_canon;
typedef enum ff_severity { FF_SEV_INFO = 0, FF_SEV_WARN, FF_SEV_FAIL } ff_severity;

const char *ff_severity_name(ff_severity s); /* "info", "warn", "fail" */

typedef struct ff_dkim_finding {
    ff_severity severity;
    char msg[200];
    char fix[200];
} ff_dkim_finding;

typedef struct ff_dkim_key {
    ff_dkim_alg alg;
    bool revoked;          /* p= empty */
    bool testing;          /* t=y */
    bool strict;           /* t=s: i= must equal d= */
    int bits;              /* key size; 256 for ed25519 */
    void *pkey;            /* EVP_PKEY *, owned; NULL when revoked or broken */
    ff_dkim_finding findings[FF_DKIM_FINDINGS_MAX];
    size_t nfindings;
} ff_dkim_key;

/* ff_dkim_key_parse() parses and lints `len` bytes of a key record. Returns FF_OK when a
 * usable (or revoked) key came out, findings aside; FF_EPARSE when the record cannot give
 * a key (the findings say why); FF_EINVAL; FF_ENOMEM. Release with ff_dkim_key_clear(). */
ff_status ff_dkim_key_parse(const char *txt, size_t len, ff_dkim_key *out, ff_error *err);
void ff_dkim_key_clear(ff_dkim_key *k);

/* ff_dkim_key_worst() is the most severe finding's severity (INFO when none). */
ff_severity ff_dkim_key_worst(const ff_dkim_key *k);

/* ---- signing ------------------------------------------------------------------------ */

/* ff_dkim_pkey_load() reads a PEM private key (RSA or Ed25519). *pkey is the caller's;
 * free it with ff_dkim_pkey_free(). Returns FF_OK, FF_EIO, FF_EPARSE. */
ff_status ff_dkim_pkey_load(const char *pem_path, void **pkey, ff_error *err);
ff_status ff_dkim_pkey_generate(ff_dkim_alg alg, int bits, void **pkey, ff_error *err);
/* ff_dkim_pkey_pem() writes the private key as PEM and the DNS TXT value
 * ("v=DKIM1; k=...; p=...") into malloc'd strings the caller frees. */
ff_status ff_dkim_pkey_pem(void *pkey, char **pem, char **txt, ff_error *err);
void ff_dkim_pkey_free(void *pkey);

typedef struct ff_dkim_signer {
    const char *domain;           /* d= */
    const char *selector;         /* s= */
    void *pkey;                   /* from ff_dkim_pkey_load/generate; alg follows the key */
    ff_dkim_canon header_canon, body_canon;
    const char *const *headers;   /* h=; NULL = the recommended set present in the message */
    size_t nheaders;
    bool oversign;                /* sign From (and Subject) once more than present, so a
                                     second one added later breaks the signature */
    int64_t timestamp;            /* t=; 0 = none */
    long body_length;             /* l=; -1 = none (the default; l= invites appending) */
} ff_dkim_signer;

/* ff_dkim_sign() returns in *header the whole "DKIM-Signature: ...\r\n" field, folded,
 * to put on top of the message (caller frees). FF_OK, FF_EINVAL, FF_EPARSE (no From),
 * FF_ETOOBIG, FF_ENOMEM, FF_EIO (the crypto library failed). */
ff_status ff_dkim_sign(const ff_dkim_signer *s, const char *msg, size_t len, char **header,
                       ff_error *err);

/* ---- verifying ---------------------------------------------------------------------- */

typedef enum ff_dkim_result {
    FF_DKIM_NONE = 0, FF_DKIM_PASS, FF_DKIM_FAIL, FF_DKIM_NEUTRAL, FF_DKIM_TEMPERROR,
    FF_DKIM_PERMERROR
} ff_dkim_result;

const char *ff_dkim_result_name(ff_dkim_result r);

/* Key lookup: write the TXT record of selector._domainkey.domain into txt (cap bytes).
 * Return FF_OK; FF_ENOTFOUND (no record: permerror); anything else is temporary. */
typedef ff_status (*ff_dkim_key_fn)(void *ctx, const char *selector, const char *domain,
                                    char *txt, size_t cap);

typedef struct ff_dkim_verdict {
    ff_dkim_result result;
    ff_dkim_alg alg;
    char domain[256];       /* d= */
    char selector[128];     /* s= */
    char reason[200];       /* for a person: "body hash mismatch", "key revoked", ... */
    bool testing;           /* the key says t=y */
} ff_dkim_verdict;

/* ff_dkim_verify() checks every DKIM-Signature of the message (at most max) and writes a
 * verdict for each into out; *n counts them (0 = unsigned). Returns FF_OK (whatever the
 * verdicts), FF_EINVAL, FF_ETOOBIG, FF_ENOMEM. */
ff_status ff_dkim_verify(const char *msg, size_t len, ff_dkim_key_fn fn, void *ctx,
                         ff_dkim_verdict *out, size_t max, size_t *n, ff_error *err);

#ifdef __cplusplus
}
#endif
#endif
