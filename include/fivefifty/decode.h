/* decode.h - bounces, complaints and auto-replies -> one record per recipient
 *
 * ff_decode() reads one whole message (RFC 5322 bytes, CRLF or LF) and finds what it
 * reports: an RFC 3464 delivery status notification (also RFC 6533 global), an ARF
 * complaint (RFC 5965), an auto-reply (RFC 3834), or the human-readable bounce of a known
 * MTA, provider or filtering gateway. Each recipient becomes one ff_bounce_record, and
 * each record is classified with ff_classify() under the given rules, so a decoded bounce
 * and a synchronous reply are judged by the same table.
 *
 * Untrusted input: every length is bounded, nothing recurses without a limit, and a
 * broken message gives an error for that message only.
 */
#ifndef FIVEFIFTY_DECODE_H
#define FIVEFIFTY_DECODE_H

#include <stddef.h>

#include "fivefifty/classify.h"
#include "fivefifty/error.h"
#include "fivefifty/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_DECODE_MAX (64u * 1024 * 1024) /* larger messages are refused with FF_ETOOBIG */

/* One recipient of a bounce. Every char * is owned by the record, NUL-terminated UTF-8,
 * and NULL when the bounce does not say. */
typedef struct ff_bounce_record {
    char *recipient;          /* Final-Recipient, or the address the text names */
    char *original_recipient; /* Original-Recipient, or "expanded from" address */
    char *dsn_action;         /* failed, delayed, delivered, relayed, expanded */
    char status[FF_STATUS_MAX];
    int code;                 /* SMTP reply code, 0 when none */
    char *diagnostic;         /* whole diagnostic text, unfolded */
    char *diagnostic_type;    /* "smtp", "x-unix", ... */
    char *remote_mta;
    char *reporting_mta;
    char *command;            /* SMTP command the remote answered: RCPT, DATA, ... */
    char *date;               /* Last-Attempt-Date, Arrival-Date or the bounce's Date */
    char *message_id;         /* of the returned (original) message */
    char *from;
    char *to;
    char *subject;
    char *list_id;
    const char *format;       /* static: "rfc3464", "arf", "rfc3834", "postfix", ... */
    char *feedback_type;      /* ARF Feedback-Type: abuse, fraud, ... */
    char *auth_results;       /* what failed in the returned message's
                                 Authentication-Results ("dkim=fail for example.com
                                 (body hash did not verify); dmarc=fail ..."); NULL when
                                 nothing failed or there was none */
    ff_decision decision;
} ff_bounce_record;

typedef struct ff_bounce {
    ff_bounce_record *recs;   /* owned array of n records */
    size_t n;
    const char *format;       /* static name of the format that decoded it, "" if none */
} ff_bounce;

/* ff_decode() decodes `len` bytes of `data` into `out` (zeroed first; release with
 * ff_bounce_clear() whatever it returns). `rules` must not be NULL.
 * Returns FF_OK with out->n >= 1; FF_ENOTBOUNCE when the message is well-formed but
 * reports nothing (err says what it looked like); FF_EPARSE for bytes that are no message;
 * FF_ETOOBIG beyond FF_DECODE_MAX; FF_ENOMEM. */
ff_status ff_decode(const struct ff_rules *rules, const char *data, size_t len,
                    ff_bounce *out, ff_error *err);

/* ff_decode_prepare() opens now what decoding otherwise opens the first time a message
 * needs it: GMime (encoded-words, charset names) and the converters of the charsets
 * bounces use most. A caller with a CPU to spare calls it on a thread of its own while it
 * does something else (loads the rules, reads the first messages), so that the first
 * messages do not wait for it; calling it is never needed, and calling it again, or from
 * several threads, or beside ff_decode() on other threads, is safe. Nothing to free. */
void ff_decode_prepare(void);

/* ff_bounce_clear() frees every record and zeroes `b`; NULL is accepted. */
void ff_bounce_clear(ff_bounce *b);

#ifdef __cplusplus
}
#endif
#endif
