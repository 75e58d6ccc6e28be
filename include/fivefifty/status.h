/* status.h - enhanced mail system status codes (RFC 3463, RFC 5248 registry)
 *
 * An enhanced status code is "class.subject.detail": class 2, 4 or 5, subject 0-999,
 * detail 0-999 (RFC 3463 section 2; three-digit details such as 5.7.515 are in the IANA
 * registry). The library keeps them as NUL-terminated strings in FF_STATUS_MAX bytes,
 * because that is how every consumer (JSON, SQL, rules) wants them.
 *
 * The whole IANA "Enumerated Status Codes" registry is compiled in, with its names.
 */
#ifndef FIVEFIFTY_STATUS_H
#define FIVEFIFTY_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_STATUS_MAX 16 /* "5.999.999" plus NUL, with room */

/* ff_status_valid() says whether `s` (len bytes, need not be NUL-terminated) is exactly one
 * well-formed enhanced status code: class 2/4/5, subject and detail of 1-3 digits with no
 * leading zeros beyond a single "0". */
bool ff_status_valid(const char *s, size_t len);

/* ff_status_find() scans `text` (len bytes) for the first enhanced status code that stands
 * alone as a token (not part of an IP address, a version number or a longer dotted run)
 * and copies it, NUL-terminated, into `out` (FF_STATUS_MAX bytes). Returns the byte offset
 * of the code in `text`, or -1 when there is none (out is then ""). */
long ff_status_find(const char *text, size_t len, char out[FF_STATUS_MAX]);

/* One row of the IANA registry. Codes are written with an X class ("X.1.1") as the
 * registry does; `classes` lists the classes the registry allows ("245", "45", "5"). */
typedef struct ff_status_entry {
    const char *code;        /* "X.1.1" */
    const char *name;        /* "Bad destination mailbox address" */
    const char *classes;     /* "5", "45", "245" ... */
    const char *reference;   /* "RFC 3463", "RFC 7372" ... */
} ff_status_entry;

/* ff_status_lookup() finds the registry row for `code` ("5.1.1" or "X.1.1"). When the
 * exact detail is not registered it falls back to the subject's generic "X.s.0" row, and
 * then to "X.0.0". Returns NULL only when `code` is not a valid code. The row is static. */
const ff_status_entry *ff_status_lookup(const char *code);

/* ff_status_registry() returns the static registry array and stores its length in *n. */
const ff_status_entry *ff_status_registry(size_t *n);

/* ff_status_class() returns 2, 4 or 5 for a valid code, 0 otherwise. */
int ff_status_class(const char *code);

#ifdef __cplusplus
}
#endif
#endif
