/* ingest.h - later bounces, complaints and auto-replies into the store (fivefifty ingest)
 *
 * ff_ingest_message() decodes one message (decode.h), finds which sent recipient it is
 * about, records an event, and carries out the classifier's action the same way the queue
 * runner does for a live reply: a dead address is suppressed, a complaint suppresses with
 * reason "feedback" and counts toward the complaint rate, a late 5.7.x holds the stream
 * toward that provider, an auto-reply changes nothing.
 *
 * Matching, most reliable first: the VERP token in any address of the message (the
 * bounce's To, Delivered-To, X-Postfix-Sender, an ARF report's Original-Mail-From), whose
 * HMAC must verify; then the returned message's Message-ID with the record's recipient.
 * An unmatched record is still acted on by address (a suppression does not need to know
 * which message it came from) and reported as unmatched.
 */
#ifndef FIVEFIFTY_INGEST_H
#define FIVEFIFTY_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "fivefifty/decode.h"
#include "fivefifty/rules.h"
#include "fivefifty/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ff_ingest_stats {
    size_t messages, records, matched, unmatched, suppressed, complaints, autoreplies, holds;
    size_t not_bounces, broken;
} ff_ingest_stats;

/* One record as ingested, for the caller to show. Borrowed during the callback. */
typedef struct ff_ingest_outcome {
    const ff_bounce_record *rec;
    int64_t rcpt_id;          /* 0 when unmatched */
    const char *stream;       /* "" when unmatched */
    const char *done;         /* "suppressed", "complaint", "held", "recorded", ... */
} ff_ingest_outcome;

typedef void (*ff_ingest_report_fn)(void *ctx, const ff_ingest_outcome *o);

/* ff_ingest_message() ingests `len` bytes. Returns FF_OK; the decode statuses
 * (FF_ENOTBOUNCE, FF_EPARSE, FF_ETOOBIG: counted in stats, nothing changed); store
 * errors. */
ff_status ff_ingest_message(ff_store *s, const struct ff_rules *rules, const char *data,
                            size_t len, int64_t now, ff_ingest_stats *stats,
                            ff_ingest_report_fn report, void *ctx, ff_error *err);

#ifdef __cplusplus
}
#endif
#endif
