/* dsn.h - delivery status notification fields (RFC 3464, RFC 6533)
 *
 * ff_dsn_parse() reads the body of a message/delivery-status (or
 * message/global-delivery-status) part: one group of per-message fields, then one group
 * per recipient, groups separated by blank lines. Folded lines are unfolded; the
 * "type;" prefix of address and MTA fields ("rfc822; a@b", "dns; mx.example") is removed
 * and kept apart where it matters; utf-8 addresses (RFC 6533) have their "\x{HHHH}"
 * escapes decoded to UTF-8.
 *
 * Real DSNs bend the grammar, so the parser is tolerant: a missing blank line between
 * groups is found by a repeated recipient field; per-recipient fields written before any
 * blank line open the first recipient group; per-message fields are taken wherever they
 * appear; lines that are no field are skipped; CRLF and LF both work.
 *
 * Pure: bytes in, structs out; no MIME, no I/O. Input is bounded by FF_DSN_MAX, recipient
 * groups by FF_DSN_RCPT_MAX (more are dropped), each field value by FF_DSN_FIELD_MAX.
 */
#ifndef FIVEFIFTY_DSN_H
#define FIVEFIFTY_DSN_H

#include <stddef.h>

#include "fivefifty/error.h"
#include "fivefifty/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_DSN_MAX (4u * 1024 * 1024)
#define FF_DSN_RCPT_MAX 1000
#define FF_DSN_FIELD_MAX (64u * 1024)

/* One per-recipient group. Every char * is owned, NUL-terminated, NULL when absent. */
typedef struct ff_dsn_recipient {
    char *final_recipient;      /* address only: type prefix and <> removed */
    char *final_type;           /* "rfc822", "utf-8", ... lower-cased */
    char *original_recipient;   /* address only */
    char *original_type;
    char *action;               /* lower-cased: failed, delayed, delivered, relayed,
                                   expanded */
    char status[FF_STATUS_MAX]; /* "5.1.1"; "" when absent or not a valid code */
    char *remote_mta;           /* the host name: without its "dns;" prefix, a comment
                                   or the "[address]" after it (the address when that is
                                   all it gives) */
    char *diagnostic;           /* Diagnostic-Code text after "type;", unfolded */
    char *diagnostic_type;      /* "smtp", "x-unix", ... lower-cased; NULL when untyped */
    char *last_attempt_date;
    char *will_retry_until;
    char *final_log_id;
    char *x_actual_recipient;   /* address only */
    char *status_comment;       /* the Status field's "(comment)", unfolded, without the
                                 * parentheses: RFC 3464's own example explains a 4.0.0
                                 * there ("host name lookup failure") */
} ff_dsn_recipient;

typedef struct ff_dsn {
    char *reporting_mta;        /* the host name, as remote_mta */
    char *received_from_mta;
    char *dsn_gateway;
    char *arrival_date;
    char *original_envelope_id;
    char *x_postfix_sender;     /* address only */
    char *x_postfix_queue_id;
    ff_dsn_recipient *rcpts;    /* owned array of n groups, in the order written */
    size_t n;
} ff_dsn;

/* ff_dsn_parse() parses `len` bytes of `text` (need not be NUL-terminated) into `out`,
 * which it zeroes first. `out` borrows nothing from `text`; release it with
 * ff_dsn_clear() whatever the return.
 * Returns FF_OK when at least one DSN field was recognised (out->n may still be 0 when
 * the report names no recipient); FF_EPARSE when none was (err says so); FF_ETOOBIG past
 * FF_DSN_MAX; FF_EINVAL for NULL arguments; FF_ENOMEM. */
ff_status ff_dsn_parse(const char *text, size_t len, ff_dsn *out, ff_error *err);

/* ff_dsn_clear() frees what `d` owns and zeroes it; NULL is accepted. */
void ff_dsn_clear(ff_dsn *d);

/* ff_dsn_addr_decode() removes an RFC 3464 "type;" prefix from `s` (len bytes), surrounding
 * white space and <>, and for the utf-8 type decodes RFC 6533 "\x{HHHH}" escapes into
 * UTF-8. Stores a malloc'd copy of the type (lower-cased, NULL when there is none) in
 * *type when type is not NULL. Returns a malloc'd string the caller frees, or NULL on
 * ENOMEM. */
char *ff_dsn_addr_decode(const char *s, size_t len, char **type);

#ifdef __cplusplus
}
#endif
#endif
