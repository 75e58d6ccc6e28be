/* orgdomain.h - organisational domains (RFC 7489 3.2) from the Public Suffix List
 *
 * DMARC's relaxed alignment compares organisational domains: the public suffix of a name
 * plus one more label ("mail.example.co.uk" -> "example.co.uk"). The suffixes come from
 * libpsl with the Public Suffix List Debian ships in the publicsuffix package.
 *
 * ff_orgdomain_new() loads a list: `psl_file` when given, else the newest of the
 * distribution's file and libpsl's built-in copy (psl_latest), else the built-in copy
 * alone. Every function that takes a `const ff_orgdomain *` also accepts NULL and then
 * uses libpsl's built-in list, which needs no loading and no freeing.
 *
 * Ownership: the handle is the caller's; free it with ff_orgdomain_free() (NULL is
 * accepted). A handle is read-only after creation and may be shared between threads.
 */
#ifndef FIVEFIFTY_ORGDOMAIN_H
#define FIVEFIFTY_ORGDOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_DOMAIN_MAX 254 /* 253 octets of name and the NUL */

typedef struct ff_orgdomain ff_orgdomain;

/* ff_orgdomain_new() loads the Public Suffix List as described above. A `psl_file` that
 * cannot be read is an error (FF_EIO); a missing distribution file is not (fallback).
 * Returns FF_OK, FF_EINVAL (out is NULL), FF_EIO, FF_ENOMEM. */
ff_status ff_orgdomain_new(ff_orgdomain **out, const char *psl_file, ff_error *err);

void ff_orgdomain_free(ff_orgdomain *od);

/* ff_orgdomain_source() says where the list came from, for a person: "builtin",
 * "file", or "latest". Static string. */
const char *ff_orgdomain_source(const ff_orgdomain *od);

/* ff_orgdomain_get() writes the organisational domain of `domain` into out (outlen bytes),
 * lower case and without a trailing dot. A name that is itself a public suffix ("co.uk")
 * or has a single label is its own organisational domain.
 * Returns FF_OK, FF_EINVAL (empty or malformed name, NULL argument), FF_ETOOBIG (the name
 * or the result does not fit). */
ff_status ff_orgdomain_get(const ff_orgdomain *od, const char *domain, char *out,
                           size_t outlen);

/* ff_orgdomain_same() says whether two names share an organisational domain (DMARC
 * relaxed alignment, RFC 7489 3.1). Malformed names are never the same. */
bool ff_orgdomain_same(const ff_orgdomain *od, const char *a, const char *b);

/* ff_orgdomain_is_suffix() says whether `domain` is a public suffix ("com", "co.uk"). */
bool ff_orgdomain_is_suffix(const ff_orgdomain *od, const char *domain);

/* ff_orgdomain_normalise() copies `domain` into out lower case, without a trailing dot,
 * checking label syntax loosely (1..63 octets each, no empty label, no white space).
 * Returns FF_OK, FF_EINVAL, FF_ETOOBIG. Shared by dmarc.c and authres.c. */
ff_status ff_orgdomain_normalise(const char *domain, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif
