/* queue_int.h - internal: what the queue runner's files share (queue.c, deliver.c)
 *
 * queue.c runs a pass: claim, gates, the classifier's verdicts carried out, breakers.
 * deliver.c moves the mail: routes, SMTP sessions (lanes) and the MX fan-out. Every
 * function here that touches the store, the counters or the callbacks must be called with
 * run.mu held once delivery threads exist (see deliver.c).
 */
#ifndef FF_QUEUE_INT_H
#define FF_QUEUE_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "fivefifty/config.h"
#include "fivefifty/dns.h"
#include "fivefifty/policy.h"
#include "fivefifty/queue.h"

typedef struct run {
    const ff_queue_opts *o;
    int64_t now;
    unsigned char secret[32];
    ff_retry_policy retry;
    ff_queue_stats *stats;
    /* Held by a delivery thread for everything below and the store (see deliver.c). */
    pthread_mutex_t mu;
    /* Held for every use of dns: c-ares channels are not for several threads at once. */
    pthread_mutex_t dns_mu;
    ff_dns *dns;               /* for route = mx: the caller's, or our own */
    bool own_dns;
    struct pair {
        char stream[64], provider[64];
    } pairs[32];               /* (stream, provider) answered in this pass */
    size_t npairs;
    /* per-stream batch counters for the breaker */
    struct batch {
        char stream[64];
        ff_counts c;
    } batches[16];
    size_t nbatches;
} run;

/* queue_settle() records one outcome with the recipient's new state (one store
 * transaction) and counts it. `remote` is the host that answered (NULL: none did); `d` may
 * be NULL (a gate decided without a reply). */
ff_status queue_settle(run *r, const ff_queue_item *it, const char *state, const char *stage,
                       const char *remote, int code, const char *reply, const ff_decision *d,
                       int64_t next, bool answered, bool suppress, bool domain_wide,
                       ff_error *err);

/* queue_act() carries out the classifier's decision `d` on a reply from `remote` (or on a
 * failure fivefifty itself classified: remote NULL or the host it failed to reach). */
ff_status queue_act(run *r, const ff_queue_item *it, const ff_stream_cfg *sc, const char *stage,
                    const char *remote, int code, const char *reply, const ff_decision *d,
                    ff_error *err);

/* queue_judge() classifies a reply at `stage` from `remote` and acts on it. */
ff_status queue_judge(run *r, const ff_queue_item *it, const ff_stream_cfg *sc,
                      const char *stage, const char *remote, int code, const char *reply,
                      ff_error *err);

/* queue_gated() runs the gates just before a recipient is tried. Returns true when the
 * recipient was settled there, or when the store failed (*st says which). */
bool queue_gated(run *r, const ff_queue_item *it, const ff_stream_cfg *sc, ff_status *st,
                 ff_error *err);

/* queue_verp_from() writes the recipient's VERP envelope sender into out (cap bytes). */
void queue_verp_from(run *r, const ff_queue_item *it, const ff_stream_cfg *sc, char *out,
                     size_t cap);

/* queue_deliver_stream() delivers items[0, n) of one stream (deliver.c): through its
 * relay, or straight to each recipient domain's MX, several destinations and sessions at
 * once. Called without r->mu; returns FF_OK (whatever the recipients' fates) or the first
 * store failure. */
ff_status queue_deliver_stream(run *r, const ff_stream_cfg *sc, ff_queue_item **items,
                               size_t n, ff_error *err);

#endif
