/* queue.c - one pass of the queue runner (see include/fivefifty/queue.h)
 *
 * DESCRIPTION
 *   Each recipient is its own SMTP transaction because its envelope sender is its own VERP
 *   address (bounces+TOKEN@bounce-domain); transactions to one host share a session
 *   (deliver.c moves the mail: routes, sessions, the MX fan-out). Every outcome is written
 *   with the recipient's new state in one store transaction before that session tries its
 *   next recipient, so a kill -9 at any point loses nothing: what was not recorded is
 *   still "sending" with a lease, and comes back when the lease ends.
 *
 *   The verdict on a reply is the classifier's alone; this file only carries out its
 *   action, with the gates and breakers around it.
 */
#include "fivefifty/queue.h"
#include "queue_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fivefifty/address.h"
#include "fivefifty/compose.h"
#include "fivefifty/policy.h"
#include "fivefifty/suppress.h"



static double rnd(void)
{
    return (double)rand() / ((double)RAND_MAX + 1.0);
}

static struct batch *batch_of(run *r, const char *stream)
{
    for (size_t i = 0; i < r->nbatches; i++)
        if (strcmp(r->batches[i].stream, stream) == 0)
            return &r->batches[i];
    if (r->nbatches == sizeof r->batches / sizeof r->batches[0])
        return NULL;
    struct batch *b = &r->batches[r->nbatches++];
    memset(b, 0, sizeof *b);
    snprintf(b->stream, sizeof b->stream, "%s", stream);
    return b;
}

static void notice(run *r, const char *stream, const char *provider, const char *state,
                   const char *why)
{
    if (r->o->notice)
        r->o->notice(r->o->ctx, stream, provider, state, why);
}

/* The key a hold or throttle is kept under: the provider when one is recognised, else the
 * recipient's domain, so a refusal from one unknown receiver never parks mail to others. */
static void target_of(const char *provider, const char *rcpt, char *out, size_t cap)
{
    const char *at = rcpt ? strrchr(rcpt, '@') : NULL;
    if (provider && *provider)
        snprintf(out, cap, "%s", provider);
    else
        snprintf(out, cap, "%s", at ? at + 1 : "");
}

/* Record one outcome; count it. */
ff_status queue_settle(run *r, const ff_queue_item *it, const char *state, const char *stage,
                       const char *remote, int code, const char *reply, const ff_decision *d,
                       int64_t next, bool answered, bool suppress, bool domain_wide,
                       ff_error *err)
{
    ff_attempt a = {.rcpt_id = it->id, .at = r->now, .stage = stage, .remote_host = remote,
                    .code = code,
                    .reply = reply, .decision = d, .new_state = state, .next_attempt = next,
                    .counts_as_sent = answered, .suppress = suppress,
                    .domain_wide = domain_wide, .stream = it->stream,
                    .address = it->rcpt};
    ff_status st = ff_store_record_attempt(r->o->store, &a, err);
    if (st != FF_OK)
        return st;
    ff_queue_stats *s = r->stats;
    if (!strcmp(state, FF_Q_SENT))
        s->sent++;
    else if (!strcmp(state, FF_Q_DEFERRED))
        s->deferred++;
    else if (!strcmp(state, FF_Q_FAILED))
        s->failed++;
    if (suppress)
        s->suppressed++;
    else if (!strcmp(state, FF_Q_SUPPRESSED))
        s->suppressed++;
    else if (!strcmp(state, FF_Q_HELD))
        s->held++;
    else if (!strcmp(state, FF_Q_EXPIRED))
        s->expired++;
    if (answered && d && d->provider[0]) {
        size_t k;
        for (k = 0; k < r->npairs; k++)
            if (!strcmp(r->pairs[k].stream, it->stream) &&
                !strcmp(r->pairs[k].provider, d->provider))
                break;
        if (k == r->npairs && r->npairs < sizeof r->pairs / sizeof r->pairs[0]) {
            snprintf(r->pairs[k].stream, sizeof r->pairs[k].stream, "%s", it->stream);
            snprintf(r->pairs[k].provider, sizeof r->pairs[k].provider, "%s", d->provider);
            r->npairs++;
        }
    }
    if (answered) {
        struct batch *b = batch_of(r, it->stream);
        if (b) {
            b->c.sent++;
            if (d && d->reason == FF_REASON_DELIVERED)
                b->c.delivered++;
            if (d && d->action == FF_ACTION_SUPPRESS)
                b->c.hard++;
            /* Refusals the sender must fix (held or stopped), not throttles. */
            if (d && (d->action == FF_ACTION_HOLD || d->action == FF_ACTION_STOP))
                b->c.auth_policy++;
        }
    }
    if (r->o->report) {
        ff_queue_outcome oc = {.item = it, .new_state = state, .stage = stage, .remote = remote,
                               .code = code, .reply = reply, .decision = d};
        r->o->report(r->o->ctx, &oc);
    }
    return FF_OK;
}

static int64_t retry_at(run *r, const ff_queue_item *it)
{
    return ff_policy_retry_at(&r->retry, it->attempts + 1,
                              it->first_attempt ? it->first_attempt : r->now, r->now, rnd());
}

/* Carry out the classifier's action for one recipient: the state it goes to, and for a
 * throttle, hold or stop the state of its stream or provider first. */
ff_status queue_act(run *r, const ff_queue_item *it, const ff_stream_cfg *sc, const char *stage,
                    const char *remote, int code, const char *reply, const ff_decision *d,
                    ff_error *err)
{
    char prov[256];
    target_of(d->provider, it->rcpt, prov, sizeof prov);
    char why[600];
    snprintf(why, sizeof why, "%s (%s %s, rule %s): %s", ff_reason_name(d->reason),
             d->status[0] ? d->status : "-", stage, d->rule[0] ? d->rule : "-", d->fix);
    const char *state = FF_Q_FAILED;
    int64_t next = 0;
    bool suppress = false, domain = false;
    ff_status st = FF_OK;
    /* "Relay access denied" or an AUTH demand stops a relay stream: its own relay refuses
     * it, and every further message would fail alike until a person fixes the route or the
     * credentials. Delivering straight to MX, the same words come from one recipient
     * domain's MX (a domain whose MX does not host it, a submission server published as
     * MX): that domain is broken, not the stream, so only this message fails. */
    ff_decision own;
    if (d->action == FF_ACTION_STOP && sc != NULL && sc->route == FF_ROUTE_MX &&
        ff_reason_blames_route(d->reason)) {
        own = *d;
        own.action = FF_ACTION_NONE;
        own.side = FF_SIDE_RECIPIENT;
        own.fix = "The recipient domain's MX will not take mail for it (it refuses to relay "
                  "or asks for AUTH): that domain's mail set-up is broken; this message failed, "
                  "the stream goes on.";
        d = &own; /* what is recorded is what was done */
    }
    if (d->reason == FF_REASON_DELIVERED || (code >= 200 && code < 300)) {
        state = FF_Q_SENT;
    } else {
        switch (d->action) {
        case FF_ACTION_SUPPRESS:
            suppress = ff_suppress_wanted(d, &domain);
            domain = suppress && domain;
            break;
        case FF_ACTION_THROTTLE:
            if ((next = retry_at(r, it)) < 0) {
                state = FF_Q_EXPIRED;
                break;
            }
            st = ff_store_state_set(r->o->store, sc->name, prov, "throttled", why, r->now, next,
                                    err);
            if (st == FF_OK)
                notice(r, sc->name, prov, "throttled", why);
            state = FF_Q_DEFERRED;
            break;
        case FF_ACTION_HOLD:
            st = ff_store_state_set(r->o->store, sc->name, prov, "held", why, r->now, 0, err);
            if (st == FF_OK)
                notice(r, sc->name, prov, "held", why);
            state = FF_Q_HELD;
            break;
        case FF_ACTION_STOP:
            st = ff_store_state_set(r->o->store, sc->name, "", "stopped", why, r->now, 0, err);
            if (st == FF_OK)
                notice(r, sc->name, "", "stopped", why);
            state = FF_Q_HELD;
            break;
        case FF_ACTION_RETRY:
            state = (next = retry_at(r, it)) < 0 ? FF_Q_EXPIRED : FF_Q_DEFERRED;
            break;
        default:
            /* A permanent failure with nothing to do: never retried as is. */
            if (d->klass == FF_CLASS_SOFT && (next = retry_at(r, it)) >= 0)
                state = FF_Q_DEFERRED;
            break;
        }
    }
    if (st != FF_OK)
        return st;
    if (next < 0 || strcmp(state, FF_Q_DEFERRED) != 0)
        next = 0;
    return queue_settle(r, it, state, stage, remote, code, reply, d, next, true, suppress, domain,
                        err);
}

ff_status queue_judge(run *r, const ff_queue_item *it, const ff_stream_cfg *sc, const char *stage,
                       const char *remote, int code, const char *reply, ff_error *err)
{
    ff_decision d;
    const char *cmd = !strcmp(stage, "EOD") ? "." : stage;
    ff_classify_input in = {.code = code, .text = reply, .command = cmd, .remote_host = remote,
                            .recipient = it->rcpt};
    ff_classify(r->o->rules, &in, &d);
    return queue_act(r, it, sc, stage, remote, code, reply, &d, err);
}

/* What a gate decided for a recipient that must not be tried now. */
typedef struct gate {
    const char *state;
    char why[512];
    int64_t next;
} gate;

/* The gates' reads (r->mu held). Returns true when the recipient must not be tried now,
 * with g filled, or when a read failed (*st says so). */
static bool gate_check(run *r, const ff_queue_item *it, const ff_stream_cfg *sc, gate *g,
                       ff_status *st, ff_error *err)
{
    ff_stream_state ss;
    *st = ff_store_state_get(r->o->store, it->stream, "", &ss, err);
    if (*st != FF_OK)
        return true;
    if (!strcmp(ss.state, "paused") || !strcmp(ss.state, "stopped")) {
        g->state = FF_Q_HELD;
        snprintf(g->why, sizeof g->why, "%s", ss.why);
        return true;
    }
    ff_suppression hit;
    *st = ff_store_suppress_find(r->o->store, it->rcpt, it->stream, &hit, err);
    if (*st == FF_OK) {
        g->state = FF_Q_SUPPRESSED;
        snprintf(g->why, sizeof g->why, "suppressed (%s, %s, %s)", hit.address, hit.reason,
                 hit.source);
        ff_suppression_clear(&hit);
        return true;
    }
    if (*st != FF_ENOTFOUND)
        return true;
    *st = FF_OK;
    char prov[256];
    target_of(ff_provider_detect(NULL, it->rcpt, NULL), it->rcpt, prov, sizeof prov);
    if (*prov) {
        *st = ff_store_state_get(r->o->store, it->stream, prov, &ss, err);
        if (*st != FF_OK)
            return true;
        if (!strcmp(ss.state, "held") || !strcmp(ss.state, "paused")) {
            g->state = FF_Q_HELD;
            snprintf(g->why, sizeof g->why, "%s", ss.why);
            return true;
        }
        if (!strcmp(ss.state, "throttled") && ss.until > r->now) {
            g->state = FF_Q_DEFERRED;
            snprintf(g->why, sizeof g->why, "%s", ss.why);
            g->next = ss.until;
            return true;
        }
    }
    /* Rate and warm-up budget of (stream, provider). */
    uint32_t per_minute = sc->max_per_minute, daily = sc->daily_cap;
    if (sc->warmup) {
        int day = 0;
        if (sc->warmup_start) {
            struct tm tm = {0};
            if (strptime(sc->warmup_start, "%Y-%m-%d", &tm))
                day = (int)((r->now - (int64_t)timegm(&tm)) / 86400);
        }
        ff_counts c;
        ff_store_counts(r->o->store, it->stream, NULL, r->now - 3 * 86400, &c, NULL);
        double br = c.sent ? (double)c.hard / (double)c.sent : 0;
        ff_warmup w = ff_warmup_budget(day, br, 0, sc->daily_cap);
        if (!daily || w.daily < daily)
            daily = w.daily;
        if (!per_minute || w.per_minute < per_minute)
            per_minute = w.per_minute;
    }
    uint64_t n = 0;
    if (per_minute && ff_store_sent_since(r->o->store, it->stream, prov, r->now - 60, &n, err) ==
                          FF_OK && n >= per_minute) {
        g->state = FF_Q_DEFERRED;
        snprintf(g->why, sizeof g->why, "over the per-minute budget");
        g->next = r->now + 60;
        return true;
    }
    if (daily && ff_store_sent_since(r->o->store, it->stream, prov, r->now - 86400, &n, err) ==
                     FF_OK && n >= daily) {
        g->state = FF_Q_DEFERRED;
        snprintf(g->why, sizeof g->why, "over the daily (warm-up) budget");
        g->next = r->now + 3600;
        return true;
    }
    return false;
}

/* Gates before a recipient is tried. Returns true when the recipient was settled here (or
 * the store failed: *st). The reads share one snapshot: one lock of the store instead of
 * one per read, for every recipient of a batch. */
bool queue_gated(run *r, const ff_queue_item *it, const ff_stream_cfg *sc, ff_status *st,
                  ff_error *err)
{
    gate g = {0};
    bool snap = ff_store_snapshot(r->o->store, true, NULL) == FF_OK;
    bool stop = gate_check(r, it, sc, &g, st, err);
    if (snap)
        ff_store_snapshot(r->o->store, false, NULL);
    if (stop && *st == FF_OK && g.state)
        *st =
            queue_settle(r, it, g.state, "GATE", NULL, 0, g.why, NULL, g.next, false, false, false,
                           err);
    return stop;
}

void queue_verp_from(run *r, const ff_queue_item *it, const ff_stream_cfg *sc, char *out,
                      size_t cap)
{
    const char *dom = sc->bounce_domain ? sc->bounce_domain
                      : sc->from_domain ? sc->from_domain
                      : ff_address_domain(it->mail_from);
    char tok[FF_VERP_TOKEN_MAX];
    if (!dom || ff_verp_token(r->secret, sizeof r->secret, (uint64_t)it->id, tok) != FF_OK) {
        snprintf(out, cap, "%s", it->mail_from);
        return;
    }
    snprintf(out, cap, "bounces+%s@%s", tok, dom);
}

static ff_status window_one(ff_store *store, const char *stream, const char *provider,
                            const ff_limits *l, int64_t now, ff_queue_notice_fn tell,
                            void *ctx, ff_error *err)
{
    ff_stream_state cur;
    ff_status st = ff_store_state_get(store, stream, provider, &cur, err);
    if (st != FF_OK)
        return st;
    if (strcmp(cur.state, "active") != 0 && strcmp(cur.state, "throttled") != 0)
        return FF_OK;
    ff_counts c;
    if ((st = ff_store_counts(store, stream, *provider ? provider : NULL, now - 86400, &c, err)))
        return st;
    char why[300], full[400];
    ff_breaker_state b = ff_breaker_eval(&c, l, why, sizeof why);
    if (b == FF_BREAKER_OK)
        return FF_OK;
    snprintf(full, sizeof full, "24-hour window%s%s: %s", *provider ? " toward " : "", provider,
             why);
    if (b == FF_BREAKER_PAUSE) {
        st = ff_store_state_set(store, stream, provider, "paused", full, now, 0, err);
        if (st == FF_OK && tell)
            tell(ctx, stream, provider, "paused", full);
    } else if (tell) {
        tell(ctx, stream, provider, "warned", full);
    }
    return st;
}

ff_status ff_queue_window_breakers(ff_store *store, const ff_config *cfg, const char *stream,
                                   const char *provider, int64_t now, ff_queue_notice_fn tell,
                                   void *ctx, ff_error *err)
{
    ff_limits l;
    ff_provider_limits(NULL, &l);
    const ff_stream_cfg *sc = ff_config_stream(cfg, stream);
    if (sc && sc->bounce_pause > 0) {
        l.bounce_pause = sc->bounce_pause;
        if (l.bounce_warn > l.bounce_pause)
            l.bounce_warn = l.bounce_pause * 0.75;
    }
    ff_status st = window_one(store, stream, "", &l, now, tell, ctx, err);
    if (st == FF_OK && provider && *provider) {
        ff_limits pl;
        ff_provider_limits(provider, &pl);
        st = window_one(store, stream, provider, &pl, now, tell, ctx, err);
    }
    return st;
}

/* After the batch: each stream's hard-bounce, complaint and 5.7.x rates. */
static ff_status breakers(run *r, ff_error *err)
{
    for (size_t i = 0; i < r->nbatches; i++) {
        const ff_stream_cfg *sc = ff_config_stream(r->o->cfg, r->batches[i].stream);
        ff_limits l;
        ff_provider_limits(NULL, &l);
        if (sc && sc->bounce_pause > 0) {
            l.bounce_pause = sc->bounce_pause;
            if (l.bounce_warn > l.bounce_pause)
                l.bounce_warn = l.bounce_pause * 0.75;
        }
        /* A batch is judged on itself, however small: 2 bad of 10 is 20 %. */
        l.min_sample = 1;
        char why[300];
        ff_stream_state cur;
        if (ff_store_state_get(r->o->store, r->batches[i].stream, "", &cur, err) != FF_OK)
            return FF_EIO;
        /* A stream a person must restart (stopped) keeps that state: a pause would read
         * as something that clears on its own. */
        if (strcmp(cur.state, "active") != 0)
            continue;
        if (ff_breaker_eval(&r->batches[i].c, &l, why, sizeof why) == FF_BREAKER_PAUSE) {
            char full[400];
            snprintf(full, sizeof full, "circuit breaker: %s", why);
            ff_status st = ff_store_state_set(r->o->store, r->batches[i].stream, "", "paused",
                                              full, r->now, 0, err);
            if (st != FF_OK)
                return st;
            notice(r, r->batches[i].stream, "", "paused", full);
        }
    }
    /* Then the rolling windows, per (stream, provider) answered in this pass. */
    for (size_t i = 0; i < r->npairs; i++) {
        ff_status st = ff_queue_window_breakers(r->o->store, r->o->cfg, r->pairs[i].stream,
                                                r->pairs[i].provider, r->now, r->o->notice,
                                                r->o->ctx, err);
        if (st != FF_OK)
            return st;
    }
    return FF_OK;
}

ff_status ff_queue_run(const ff_queue_opts *o, ff_queue_stats *stats, ff_error *err)
{
    ff_queue_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!o || !o->cfg || !o->store || !o->rules)
        return ff_error_set(err, FF_EINVAL, "queue: missing configuration, store or rules");
    run r = {.o = o, .now = o->now ? o->now : (int64_t)time(NULL), .stats = stats,
             .dns = o->dns};
    ff_retry_policy_default(&r.retry);
    if (o->cfg->retry_first > 0)
        r.retry.first_s = o->cfg->retry_first;
    if (o->cfg->retry_max > 0)
        r.retry.max_s = o->cfg->retry_max;
    if (o->cfg->queue_lifetime > 0)
        r.retry.lifetime_s = o->cfg->queue_lifetime;
    ff_status st = ff_store_secret(o->store, r.secret, err);
    if (st != FF_OK)
        return st;
    ff_queue_item *items = NULL;
    size_t n = 0;
    st = ff_store_claim(o->store, r.now, o->lease_s ? o->lease_s : 600, o->batch ? o->batch : 500,
                        o->stream, &items, &n, err);
    if (st != FF_OK)
        return st;
    stats->claimed = n;
    ff_queue_item **group = calloc(n ? n : 1, sizeof *group);
    bool *done = calloc(n ? n : 1, sizeof *done);
    if (!group || !done) {
        free(group);
        free(done);
        ff_queue_items_free(items, n);
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&r.mu, NULL);
    pthread_mutex_init(&r.dns_mu, NULL);
    for (size_t i = 0; i < n && st == FF_OK; i++) {
        if (done[i])
            continue;
        const ff_stream_cfg *sc = ff_config_stream(o->cfg, items[i].stream);
        size_t gn = 0;
        for (size_t k = i; k < n && st == FF_OK; k++) {
            if (done[k] || strcmp(items[k].stream, items[i].stream) != 0)
                continue;
            done[k] = true;
            if (!sc) {
                st = queue_settle(&r, &items[k], FF_Q_HELD, "GATE", NULL, 0,
                                  "no such stream in the configuration", NULL, 0, false, false,
                                  false, err);
                continue;
            }
            group[gn++] = &items[k];
        }
        if (st == FF_OK && gn && sc)
            st = queue_deliver_stream(&r, sc, group, gn, err);
    }
    pthread_mutex_destroy(&r.mu);
    pthread_mutex_destroy(&r.dns_mu);
    if (st == FF_OK)
        st = breakers(&r, err);
    free(group);
    free(done);
    ff_queue_items_free(items, n);
    if (r.own_dns)
        ff_dns_free(r.dns);
    return st;
}
