/* store.h - what fivefifty remembers: messages, the queue, attempts, events, suppressions,
 *           stream states and counters
 *
 * Callers see this interface only. A backend is a table of functions (ff_store_ops);
 * SQLite (store_sqlite.c, WAL) is the embedded default, and a PostgreSQL backend can be
 * added behind the same calls without touching a caller.
 *
 * Durability: every state change is one transaction. A message and all its recipients are
 * queued together or not at all; an attempt's reply, the recipient's new state, its event,
 * the counters and a suppression it causes commit together. A runner claims recipients
 * with a lease: if it dies (kill -9), the lease runs out and the claim comes back, so a
 * message is never lost; it is sent twice only in SMTP's own window (the connection lost
 * after the final dot, before the reply).
 *
 * Times are seconds since the epoch, given by the caller (tests control the clock).
 * Ownership: strings handed in are copied; strings handed out are malloc'd and freed
 * with the matching _free/_clear function named next to each call.
 */
#ifndef FIVEFIFTY_STORE_H
#define FIVEFIFTY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fivefifty/classify.h"
#include "fivefifty/error.h"
#include "fivefifty/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ff_store ff_store;

/* ff_store_open() opens (creating and migrating when needed) the store at `where`: a
 * file path or "sqlite:PATH" for SQLite; "postgresql://..." is recognised and answered
 * FF_EUNSUPPORTED until that backend exists. Returns FF_OK, FF_EIO, FF_EUNSUPPORTED,
 * FF_ENOMEM. Close with ff_store_close(). */
ff_status ff_store_open(const char *where, ff_store **out, ff_error *err);
void ff_store_close(ff_store *s);

/* ---- messages and the queue ----------------------------------------------------- */

typedef struct ff_message_in {
    const char *stream;
    const char *mail_from;        /* envelope sender; "" for the null sender */
    const char *message_id;       /* with <> */
    const char *raw;              /* the composed message */
    size_t raw_len;
    const char *const *rcpts;     /* envelope recipients, normalised by the caller */
    size_t nrcpt;
    int64_t not_before;           /* first attempt not before this time (0 = now) */
} ff_message_in;

/* ff_store_enqueue() stores a message and queues each recipient (state "queued"), in one
 * transaction. *msg_id gets the message's id. */
ff_status ff_store_enqueue(ff_store *s, const ff_message_in *m, int64_t now, int64_t *msg_id,
                           ff_error *err);

/* Queue states of a recipient. */
#define FF_Q_QUEUED "queued"          /* waiting for its first attempt */
#define FF_Q_DEFERRED "deferred"      /* waiting for a retry */
#define FF_Q_SENDING "sending"        /* claimed by a runner (with a lease) */
#define FF_Q_HELD "held"              /* parked: stream or provider held, or stopped */
#define FF_Q_SENT "sent"
#define FF_Q_FAILED "failed"          /* permanent failure */
#define FF_Q_EXPIRED "expired"        /* queue lifetime over */
#define FF_Q_SUPPRESSED "suppressed"  /* not sent: the address is suppressed */

typedef struct ff_queue_item {
    int64_t id;                 /* the recipient's id: VERP tokens carry it */
    int64_t msg_id;
    char *stream;
    char *rcpt;
    char *mail_from;
    char *message_id;
    char *state;
    char *provider;             /* last provider seen, "" when none */
    int attempts;
    int64_t created, first_attempt, next_attempt;
    char *last_reason;          /* reason of the last decision, "" when none */
} ff_queue_item;

void ff_queue_items_free(ff_queue_item *items, size_t n);

/* ff_store_claim() takes up to `max` recipients that are due (queued or deferred with
 * next_attempt <= now, or sending with an expired lease), marks them sending with a lease
 * until now + lease_s, and returns them in *items (caller frees with
 * ff_queue_items_free). Only streams in `stream` when not NULL. One transaction. */
ff_status ff_store_claim(ff_store *s, int64_t now, int64_t lease_s, size_t max,
                         const char *stream, ff_queue_item **items, size_t *n, ff_error *err);

/* ff_store_message_raw() returns a message's bytes (caller frees *raw). */
ff_status ff_store_message_raw(ff_store *s, int64_t msg_id, char **raw, size_t *len,
                               ff_error *err);

/* One attempt's outcome, recorded with the recipient's new state in one transaction. */
typedef struct ff_attempt {
    int64_t rcpt_id;
    int64_t at;
    const char *remote_host;
    const char *stage;            /* CONN, EHLO, MAIL, RCPT, DATA, EOD, GATE */
    int code;
    const char *reply;            /* the whole reply, every line */
    const ff_decision *decision;  /* may be NULL (a gate that decided without a reply) */
    const char *new_state;        /* FF_Q_* */
    int64_t next_attempt;         /* for deferred */
    bool counts_as_sent;          /* the receiver answered for this recipient */
    bool suppress;                /* also add a suppression for the address (or domain) */
    bool domain_wide;             /* the suppression covers the whole domain */
    const char *stream;           /* the recipient's stream and address, when the caller */
    const char *address;          /* has them (NULL: the store looks them up) */
} ff_attempt;

ff_status ff_store_record_attempt(ff_store *s, const ff_attempt *a, ff_error *err);

/* ff_store_queue_list() returns recipients in `state` (NULL = all not yet final), newest
 * first, at most `max`. Caller frees with ff_queue_items_free. */
ff_status ff_store_queue_list(ff_store *s, const char *state, size_t max,
                              ff_queue_item **items, size_t *n, ff_error *err);

/* ff_store_queue_set() moves recipients to `state` (due now): by id (> 0), or every
 * recipient of `stream` (and `provider` when not NULL) in `from_state`. *changed counts.
 * Used by queue retry/release/delete and stream resume. */
ff_status ff_store_queue_set(ff_store *s, int64_t id, const char *stream, const char *provider,
                             const char *from_state, const char *state, int64_t now,
                             size_t *changed, ff_error *err);

/* ---- suppressions ---------------------------------------------------------------- */

typedef struct ff_suppression {
    char *address;     /* an address, or "@domain" for a whole domain */
    char *scope;       /* "global" or a stream name */
    char *reason;
    char *status;
    char *source;      /* "smtp", "bounce", "complaint", "manual", "import" */
    int64_t created;
} ff_suppression;

/* ff_suppression_clear() frees the strings of one entry; ff_suppressions_free() clears
 * each of n entries and frees the array. */
void ff_suppression_clear(ff_suppression *e);
void ff_suppressions_free(ff_suppression *v, size_t n);

/* ff_store_suppress_add() adds or refreshes an entry. `address` is already normalised by
 * the caller (address.h); "@domain" means the domain. */
ff_status ff_store_suppress_add(ff_store *s, const ff_suppression *e, ff_error *err);
ff_status ff_store_suppress_remove(ff_store *s, const char *address, const char *scope,
                                   size_t *removed, ff_error *err);

/* ff_store_suppress_find() looks for `address` and its "@domain", in scope "global" and
 * in `stream`. FF_OK with *hit filled (caller releases it with ff_suppression_clear)
 * when found, FF_ENOTFOUND when not. */
ff_status ff_store_suppress_find(ff_store *s, const char *address, const char *stream,
                                 ff_suppression *hit, ff_error *err);

ff_status ff_store_suppress_list(ff_store *s, const char *scope, ff_suppression **v,
                                 size_t *n, ff_error *err);

/* ---- streams, providers, counters, events ----------------------------------------- */

/* A stream's (provider = "") or a (stream, provider) pair's state: "active", "paused"
 * (breaker, or a person), "held" (5.7.x toward a provider), "stopped" (needs a human),
 * "throttled" (until `until`). */
typedef struct ff_stream_state {
    char state[16];
    char why[512];
    int64_t since, until;
} ff_stream_state;

ff_status ff_store_state_get(ff_store *s, const char *stream, const char *provider,
                             ff_stream_state *out, ff_error *err);

/* ff_store_snapshot(s, true) starts a read-only snapshot: the reads until
 * ff_store_snapshot(s, false) see one state of the store and take its lock once (the
 * queue runner's gates make several reads per recipient). No write may be made inside.
 * Returns FF_OK, FF_EINVAL (one is open already / none is open), FF_EIO. */
ff_status ff_store_snapshot(ff_store *s, bool on, ff_error *err);
ff_status ff_store_state_set(ff_store *s, const char *stream, const char *provider,
                             const char *state, const char *why, int64_t now, int64_t until,
                             ff_error *err);

/* ff_store_counts() sums the counters of (stream, provider) since `since` (provider NULL
 * = every provider of the stream). */
ff_status ff_store_counts(ff_store *s, const char *stream, const char *provider, int64_t since,
                          ff_counts *out, ff_error *err);

/* ff_store_sent_today() counts attempts of (stream, provider) since `since`, for
 * warm-up caps and per-minute rates. */
ff_status ff_store_sent_since(ff_store *s, const char *stream, const char *provider,
                              int64_t since, uint64_t *n, ff_error *err);

/* ff_store_event() appends an event (type: "complaint", "bounce", "autoreply", "pause",
 * "resume", ...) and, for "complaint" and "bounce", updates the counters. */
typedef struct ff_event {
    int64_t at;
    const char *type;
    int64_t rcpt_id;       /* 0 when unknown */
    const char *stream;
    const char *provider;
    const char *address;
    const char *reason;
    const char *action;
    const char *detail;
} ff_event;

ff_status ff_store_event(ff_store *s, const ff_event *e, ff_error *err);

/* ff_store_recipient() finds a recipient by id (VERP) or, when id is 0, by the
 * Message-ID of its message and its address. Caller frees with ff_queue_items_free. */
ff_status ff_store_recipient(ff_store *s, int64_t id, const char *message_id,
                             const char *address, ff_queue_item **item, ff_error *err);

/* ff_store_secret() returns the store's VERP secret (32 random bytes made on first use). */
ff_status ff_store_secret(ff_store *s, unsigned char secret[32], ff_error *err);

#ifdef __cplusplus
}
#endif
#endif
