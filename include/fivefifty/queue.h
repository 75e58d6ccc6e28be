/* queue.h - the queue runner: gates, delivery, the engine's verdict, and what follows
 *
 * ff_queue_run() makes one pass over the due part of the queue, the flow of DESIGN.md:
 *
 *   claim (with a lease) -> gates (stream or provider paused/held/stopped, suppressed
 *   address, throttle, warm-up and rate budget) -> compose the envelope (VERP) -> SMTP
 *   (relay or MX) -> classify every reply -> act (sent, retry with backoff, throttle the
 *   provider, suppress, hold the stream toward the provider, stop the stream) -> record
 *   (one transaction per recipient) -> after the batch, the circuit breakers.
 *
 * It never retries a 5xx as is, never suppresses on a 5.7.x or sender-side rejection, and
 * never drops a message: held mail waits for `fivefifty stream resume` or `queue release`.
 */
#ifndef FIVEFIFTY_QUEUE_H
#define FIVEFIFTY_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fivefifty/config.h"
#include "fivefifty/rules.h"
#include "fivefifty/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What happened to one recipient, for the caller to show; borrowed, valid during the call. */
typedef struct ff_queue_outcome {
    const ff_queue_item *item;
    const char *new_state;     /* FF_Q_* */
    const char *stage;         /* GATE, CONN, MAIL, RCPT, DATA, EOD */
    const char *remote;        /* the host that answered, or failed to; NULL for gates */
    int code;
    const char *reply;         /* whole reply, or the gate's reason */
    const ff_decision *decision; /* NULL for gates */
} ff_queue_outcome;

typedef void (*ff_queue_report_fn)(void *ctx, const ff_queue_outcome *o);
typedef void (*ff_queue_notice_fn)(void *ctx, const char *stream, const char *provider,
                                   const char *state, const char *why);

typedef struct ff_queue_opts {
    const ff_config *cfg;
    ff_store *store;
    const ff_rules *rules;
    int64_t now;               /* 0 = the clock */
    size_t batch;              /* recipients per pass; 0 = 500 */
    int64_t lease_s;           /* 0 = 600 */
    const char *stream;        /* only this stream; NULL = all */
    double timeout_scale;      /* SMTP timeouts; 0 = RFC 5321's */
    const char *ca_file;       /* extra trust anchors for every relay (tests) */
    struct ff_dns *dns;        /* resolver for route = mx; NULL = c-ares with the system's
                                  resolvers (or FIVEFIFTY_RESOLVER) */
    unsigned mx_port;          /* port of MX hosts; 0 = 25 (tests point it elsewhere) */
    ff_queue_report_fn report; /* may be NULL */
    ff_queue_notice_fn notice; /* stream/provider state changes; may be NULL */
    void *ctx;
} ff_queue_opts;

typedef struct ff_queue_stats {
    size_t claimed, sent, deferred, failed, suppressed, held, expired;
} ff_queue_stats;

/* ff_queue_window_breakers() judges the rolling 24-hour window of `stream` (every provider
 * together, against the stream's limits) and, when `provider` is not NULL or "", of that
 * (stream, provider) pair against the provider's published thresholds (Gmail and Yahoo warn
 * at 3 % and block at 5 % hard bounces, Microsoft 5 % / 8 %; complaints warn at 0.1 % and
 * pause at 0.3 % everywhere). Over a pause threshold the stream (or the pair) is paused,
 * unless a person's state (stopped, held) is already there. `notice` (may be NULL) hears
 * pauses and warnings. Used after every queue pass and after ingesting complaints. */
ff_status ff_queue_window_breakers(ff_store *store, const ff_config *cfg, const char *stream,
                                   const char *provider, int64_t now, ff_queue_notice_fn tell,
                                   void *ctx, ff_error *err);

/* ff_queue_run() makes one pass. Returns FF_OK (whatever the recipients' fates) or a
 * store error; SMTP failures are outcomes, not errors. */
ff_status ff_queue_run(const ff_queue_opts *o, ff_queue_stats *stats, ff_error *err);

#ifdef __cplusplus
}
#endif
#endif
