/* error.h - status codes and error messages shared by every libfivefifty module
 *
 * Every fallible library function returns an ff_status. Where a person needs more than
 * the code, the function also takes an ff_error * (may be NULL) and fills its message.
 * The library never prints and never exits; the caller decides what to show.
 */
#ifndef FIVEFIFTY_ERROR_H
#define FIVEFIFTY_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ff_status {
    FF_OK = 0,
    FF_EINVAL,      /* a caller's argument is wrong (NULL, out of range) */
    FF_ENOMEM,      /* allocation failed */
    FF_EPARSE,      /* input bytes could not be understood */
    FF_EIO,         /* reading or writing a file or socket failed */
    FF_ENOTFOUND,   /* the thing looked for is not there */
    FF_ETOOBIG,     /* input exceeds a documented bound */
    FF_ENOTBOUNCE,  /* a message that is no bounce, no complaint, no auto-reply */
    FF_EUNSUPPORTED /* understood, but not handled by this build */
} ff_status;

#define FF_ERROR_MSG_MAX 256

/* A message for a person, filled next to a non-FF_OK status. Caller-owned storage. */
typedef struct ff_error {
    ff_status code;
    char msg[FF_ERROR_MSG_MAX];
} ff_error;

/* ff_strerror() returns a static, never-NULL English name for `s`. */
const char *ff_strerror(ff_status s);

/* ff_error_set() formats a message into `err` (ignored when err is NULL) and returns
 * `code`, so a caller can write `return ff_error_set(err, FF_EPARSE, "...", ...);`.
 * The message is truncated to FF_ERROR_MSG_MAX - 1 bytes. */
ff_status ff_error_set(ff_error *err, ff_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ff_error_clear() resets `err` to FF_OK with an empty message; NULL is accepted. */
void ff_error_clear(ff_error *err);

#ifdef __cplusplus
}
#endif
#endif
