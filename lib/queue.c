/* queue.c - one pass of the queue runner (see include/fivefifty/queue.h)
 *
 * DESCRIPTION
 *   Each recipient is its own SMTP transaction because its envelope sender is its own VERP
 *   address (bounces+TOKEN@bounce-domain); transactions to one host share a connection.
 *   Every outcome is written with the recipient's new state in one store transaction
 *   before the next recipient is tried, so a kill -9 at any point loses nothing: what was
 *   not recorded is still "sending" with a lease, and comes back when the lease ends.
 *
 *   The verdict on a reply is the classifier's alone; this file only carries out its
 *   action, with the gates and breakers around it.
 */
#include "fivefifty/queue.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fivefifty/address.h"
#include "fivefifty/compose.h"
#include "fivefifty/dkim.h"
#include "presign.h"
#include "fivefifty/mx.h"
#include "fivefifty/policy.h"
#include "fivefifty/smtp.h"
#include "fivefifty/suppress.h"

/* Messages read and signed ahead of the one on the wire (see presign.h). */
#define SIGN_WINDOW 64
/* A lane (one SMTP session) takes at least this many recipients at a time. */
#define LANE_MIN 8
#define LANES_MAX 64

typedef struct run {
    const ff_queue_opts *o;
    int64_t now;
    unsigned char secret[32];
    ff_retry_policy retry;
    ff_queue_stats *stats;
    /* Held by a delivery lane for all of the below and the store (see struct dest). */
    pthread_mutex_t mu;
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
static ff_status settle(run *r, const ff_queue_item *it, const char *state, const char *stage,
                        int code, const char *reply, const ff_decision *d, int64_t next,
                        bool answered, bool suppress, bool domain_wide, ff_error *err)
{
    ff_attempt a = {.rcpt_id = it->id, .at = r->now, .stage = stage, .code = code,
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
        ff_queue_outcome oc = {.item = it, .new_state = state, .stage = stage, .code = code,
                               .reply = reply, .decision = d};
        r->o->report(r->o->ctx, &oc);
    }
    return FF_OK;
}

/* Carry out the classifier's action for one recipient. */
static ff_status act(run *r, const ff_queue_item *it, const ff_stream_cfg *sc, const char *stage,
                     int code, const char *reply, const ff_decision *d, ff_error *err)
{
    char prov[256];
    target_of(d->provider, it->rcpt, prov, sizeof prov);
    char why[600];
    snprintf(why, sizeof why, "%s (%s %s, rule %s): %s", ff_reason_name(d->reason),
             d->status[0] ? d->status : "-", stage, d->rule[0] ? d->rule : "-", d->fix);
    if (d->reason == FF_REASON_DELIVERED || (code >= 200 && code < 300))
        return settle(r, it, FF_Q_SENT, stage, code, reply, d, 0, true, false, false, err);
    bool domain = false;
    int64_t next;
    ff_status st;
    switch (d->action) {
    case FF_ACTION_SUPPRESS:
        if (ff_suppress_wanted(d, &domain))
            return settle(r, it, FF_Q_FAILED, stage, code, reply, d, 0, true, true, domain, err);
        return settle(r, it, FF_Q_FAILED, stage, code, reply, d, 0, true, false, false, err);
    case FF_ACTION_THROTTLE:
        next = ff_policy_retry_at(&r->retry, it->attempts + 1,
                                  it->first_attempt ? it->first_attempt : r->now, r->now, rnd());
        if (next < 0)
            return settle(r, it, FF_Q_EXPIRED, stage, code, reply, d, 0, true, false, false, err);
        st = ff_store_state_set(r->o->store, sc->name, prov, "throttled", why, r->now, next, err);
        if (st == FF_OK)
            notice(r, sc->name, prov, "throttled", why);
        return st != FF_OK ? st
                           : settle(r, it, FF_Q_DEFERRED, stage, code, reply, d, next, true, false,
                                    false, err);
    case FF_ACTION_HOLD:
        st = ff_store_state_set(r->o->store, sc->name, prov, "held", why, r->now, 0, err);
        if (st == FF_OK)
            notice(r, sc->name, prov, "held", why);
        return st != FF_OK ? st
                           : settle(r, it, FF_Q_HELD, stage, code, reply, d, 0, true, false, false,
                                    err);
    case FF_ACTION_STOP:
        st = ff_store_state_set(r->o->store, sc->name, "", "stopped", why, r->now, 0, err);
        if (st == FF_OK)
            notice(r, sc->name, "", "stopped", why);
        return st != FF_OK ? st
                           : settle(r, it, FF_Q_HELD, stage, code, reply, d, 0, true, false, false,
                                    err);
    case FF_ACTION_RETRY:
        next = ff_policy_retry_at(&r->retry, it->attempts + 1,
                                  it->first_attempt ? it->first_attempt : r->now, r->now, rnd());
        if (next < 0)
            return settle(r, it, FF_Q_EXPIRED, stage, code, reply, d, 0, true, false, false, err);
        return settle(r, it, FF_Q_DEFERRED, stage, code, reply, d, next, true, false, false, err);
    default:
        /* A permanent failure with nothing to do: never retried as is. */
        if (d->klass == FF_CLASS_SOFT) {
            next = ff_policy_retry_at(&r->retry, it->attempts + 1,
                                      it->first_attempt ? it->first_attempt : r->now, r->now, rnd());
            if (next >= 0)
                return settle(r, it, FF_Q_DEFERRED, stage, code, reply, d, next, true, false,
                              false, err);
        }
        return settle(r, it, FF_Q_FAILED, stage, code, reply, d, 0, true, false, false, err);
    }
}

static ff_status judge(run *r, const ff_queue_item *it, const ff_stream_cfg *sc, const char *stage,
                       const char *remote, int code, const char *reply, ff_error *err)
{
    ff_decision d;
    const char *cmd = !strcmp(stage, "EOD") ? "." : stage;
    ff_classify_input in = {.code = code, .text = reply, .command = cmd, .remote_host = remote,
                            .recipient = it->rcpt};
    ff_classify(r->o->rules, &in, &d);
    return act(r, it, sc, stage, code, reply, &d, err);
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
static bool gated(run *r, const ff_queue_item *it, const ff_stream_cfg *sc, ff_status *st,
                  ff_error *err)
{
    gate g = {0};
    bool snap = ff_store_snapshot(r->o->store, true, NULL) == FF_OK;
    bool stop = gate_check(r, it, sc, &g, st, err);
    if (snap)
        ff_store_snapshot(r->o->store, false, NULL);
    if (stop && *st == FF_OK && g.state)
        *st = settle(r, it, g.state, "GATE", 0, g.why, NULL, g.next, false, false, false, err);
    return stop;
}

static void verp_from(run *r, const ff_queue_item *it, const ff_stream_cfg *sc, char *out,
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

/* One destination (the relay, or one domain's MX hosts) and the lanes delivering to it:
 * each lane is an SMTP session of its own, on a thread of its own, taking the next chunk
 * of recipients when it is done with one. The store, the classifier's bookkeeping and the
 * counters are shared, so a lane holds r->mu for everything except the network and the
 * wait for a signature: the lanes overlap their round trips, not their state changes. */
typedef struct dest {
    run *r;
    const ff_stream_cfg *sc;
    const ff_mx *mx;
    ff_queue_item **items;
    size_t n, chunk;
    const ff_smtp_opts *so;     /* each lane works on its own copy */
    const ff_dkim_signer *ds;   /* NULL: unsigned */
    /* with r->mu held: */
    size_t next;                /* the first item no lane has taken */
    bool gone;                  /* sessions kept closing: the rest waits for the next pass */
    bool unreached;             /* no session could be opened: the rest gets fail_* */
    const char *fail_stage;
    int fail_code;
    char *fail_text;
    ff_status fail_st;
    char fail_msg[sizeof ((ff_error *)0)->msg];
    ff_status st;               /* the first failure of the store, which stops every lane */
    ff_error err;
} dest;

/* Every recipient of items[0, n) gets the answer of the failed connection: a refusal at
 * connect time is classified like any other reply; no reply at all (resolve, connect,
 * TLS) says nothing about the address, so no text rule may suppress on it: retried,
 * unless the setup itself is wrong (TLS required but not offered). */
static ff_status unreached(dest *g, ff_queue_item **items, size_t n, ff_error *err)
{
    for (size_t i = 0; i < n; i++) {
        ff_status rs;
        if (g->fail_code) {
            rs = judge(g->r, items[i], g->sc, g->fail_stage, g->sc->relay_host, g->fail_code,
                       g->fail_text, err);
        } else {
            ff_decision d;
            ff_classify_known(FF_REASON_NETWORKERROR, FF_CLASS_SOFT, "connection", &d);
            if (g->fail_st == FF_EUNSUPPORTED) {
                ff_classify_known(FF_REASON_FAILEDSTARTTLS, FF_CLASS_HARD, "connection", &d);
                d.action = FF_ACTION_STOP;
            }
            rs = act(g->r, items[i], g->sc, g->fail_stage, 0, g->fail_msg, &d, err);
        }
        if (rs != FF_OK)
            return rs;
    }
    return FF_OK;
}

/* Open a session for a lane (r->mu held on entry and return, released while connecting).
 * FF_OK with *out set, or FF_ENOTFOUND with the failure kept in g (the first one wins). */
static ff_status connect_dest(dest *g, ff_smtp_opts *so, ff_smtp **out)
{
    run *r = g->r;
    ff_smtp *c = NULL;
    ff_smtp_reply fail = {0};
    const char *stage = "CONN";
    ff_error serr = {0};
    ff_status st = FF_EIO;
    /* MX hosts in preference order: the next is tried when one cannot be reached or
     * refuses the session (RFC 5321 5.1). */
    size_t nhosts = g->mx ? g->mx->n : 1;
    char ip[64];
    for (size_t h = 0; h < nhosts && st != FF_OK; h++) {
        if (g->mx) {
            /* The host's address comes from the same resolver as the MX (our DNS layer,
             * not the system's); TLS still checks the host's name. */
            const ff_mx_host *mh = &g->mx->hosts[h];
            so->host = mh->name;
            so->tls_name = mh->name;
            ff_dns_answer a;
            if (!mh->ip_literal && ff_dns_query(r->dns, mh->name, FF_DNS_A, &a) == FF_OK) {
                if (a.result == FF_DNS_OK && a.n && a.rrs[0].text) {
                    snprintf(ip, sizeof ip, "%s", a.rrs[0].text);
                    so->host = ip;
                } else if (a.result != FF_DNS_OK) {
                    ff_dns_answer_clear(&a);
                    snprintf(serr.msg, sizeof serr.msg, "MX host %s has no address (%s)",
                             mh->name, ff_dns_result_name(a.result));
                    continue;
                }
                ff_dns_answer_clear(&a);
            }
        }
        ff_smtp_reply_clear(&fail);
        pthread_mutex_unlock(&r->mu);
        st = ff_smtp_open(&c, so, &fail, &stage, &serr);
        pthread_mutex_lock(&r->mu);
    }
    *out = c;
    if (st == FF_OK) {
        ff_smtp_reply_clear(&fail);
        return FF_OK;
    }
    if (!g->unreached) {
        g->unreached = true;
        g->fail_stage = stage;
        g->fail_code = fail.code;
        g->fail_text = fail.text;
        fail.text = NULL;
        g->fail_st = st;
        snprintf(g->fail_msg, sizeof g->fail_msg, "%s", serr.msg);
    }
    ff_smtp_reply_clear(&fail);
    return FF_ENOTFOUND;
}

/* The message of one recipient as it goes on the wire: the stored one, with the
 * DKIM-Signature field in front when the stream signs. r->mu held; released while waiting
 * for the signature. *raw is the caller's (free). */
static ff_status wire_message(dest *g, const ff_queue_item *it, ff_presign *ps, char *msg,
                              size_t len, size_t k, char **raw, size_t *rl, ff_error *err)
{
    run *r = g->r;
    if (!g->ds)
        return ff_store_message_raw(r->o->store, it->msg_id, raw, rl, err);
    pthread_mutex_unlock(&r->mu);
    char *own = NULL;
    const char *sig = ps ? ff_presign_wait(ps, k) : NULL;
    if (!ps) {
        ff_error derr;
        if (ff_dkim_sign(g->ds, msg, len, &own, &derr) != FF_OK)
            own = NULL;
        sig = own;
    }
    size_t sl = sig ? strlen(sig) : 0;
    *raw = malloc(sl + len + 1);
    if (*raw) {
        memcpy(*raw, sig ? sig : "", sl);
        memcpy(*raw + sl, msg, len);
        *rl = sl + len;
        (*raw)[*rl] = '\0';
    }
    free(own);
    pthread_mutex_lock(&r->mu);
    return *raw ? FF_OK : ff_error_set(err, FF_ENOMEM, "out of memory");
}

/* One lane's work on items [a, b) (r->mu held on entry and return). Gates run per
 * recipient, just before it is tried, so a hold decided on one recipient parks the rest
 * toward the same receiver at once, whichever lane tries them. */
static ff_status lane_chunk(dest *g, ff_smtp_opts *so, ff_smtp **cp, int *reconnects, size_t a,
                            size_t b, ff_error *err)
{
    run *r = g->r;
    const ff_stream_cfg *sc = g->sc;
    ff_status st = FF_OK;
    if (g->gone) {
        for (size_t k = a; k < b && st == FF_OK; k++)
            st = settle(r, g->items[k], FF_Q_DEFERRED, "CONN", 0, "the relay kept closing "
                        "the connection", NULL, r->now + 60, false, false, false, err);
        return st;
    }
    if (g->unreached && !*cp)
        return unreached(g, g->items + a, b - a, err);
    /* With a key, the chunk's messages are read at once and signed ahead on other threads
     * (presign.h) while this lane talks SMTP; the chunk bounds the memory held. */
    size_t wn = g->ds ? b - a : 0;
    char **win = wn ? calloc(wn, sizeof *win) : NULL;
    size_t *winlen = wn ? calloc(wn, sizeof *winlen) : NULL;
    ff_presign *ps = NULL;
    if (wn && (!win || !winlen))
        st = ff_error_set(err, FF_ENOMEM, "out of memory");
    for (size_t k = 0; k < wn && st == FF_OK; k++)
        st = ff_store_message_raw(r->o->store, g->items[a + k]->msg_id, &win[k], &winlen[k], err);
    if (wn && st == FF_OK && ff_presign_start(g->ds, win, winlen, wn, &ps) != FF_OK)
        ps = NULL; /* no thread: signed here, one by one */
    for (size_t i = a; i < b && st == FF_OK; i++) {
        const ff_queue_item *it = g->items[i];
        if (gated(r, it, sc, &st, err))
            continue;
        if (!*cp && connect_dest(g, so, cp) != FF_OK) {
            st = unreached(g, g->items + i, b - i, err);
            break;
        }
        char *raw = NULL;
        size_t rl = 0;
        st = wire_message(g, it, ps, wn ? win[i - a] : NULL, wn ? winlen[i - a] : 0, i - a,
                          &raw, &rl, err);
        if (st != FF_OK)
            break;
        char from[400];
        verp_from(r, it, sc, from, sizeof from);
        const char *rc[1] = {it->rcpt};
        ff_smtp_result res;
        ff_error e2 = {0};
        pthread_mutex_unlock(&r->mu);
        ff_status ss = ff_smtp_send(*cp, from, rc, 1, raw, rl, &res, &e2);
        pthread_mutex_lock(&r->mu);
        free(raw);
        if (ss == FF_OK || (ss == FF_EIO && res.rcpt && res.rcpt[0].code && res.rcpt[0].code >= 400)) {
            if (res.rcpt[0].code && (res.rcpt[0].code < 200 || res.rcpt[0].code >= 300) &&
                res.mail.code >= 200 && res.mail.code < 300)
                st = judge(r, it, sc, "RCPT", so->host, res.rcpt[0].code, res.rcpt[0].text, err);
            else if (res.mail.code && (res.mail.code < 200 || res.mail.code >= 300))
                st = judge(r, it, sc, "MAIL", so->host, res.mail.code, res.mail.text, err);
            else if (res.data.code && res.data.code != 354)
                st = judge(r, it, sc, "DATA", so->host, res.data.code, res.data.text, err);
            else if (res.eod.code)
                st = judge(r, it, sc, "EOD", so->host, res.eod.code, res.eod.text, err);
            else
                ss = FF_EIO;
        }
        if (ss != FF_OK && st == FF_OK && !(ss == FF_EIO && res.rcpt && res.rcpt[0].code >= 400)) {
            /* Lost after the dot: unknown outcome, SMTP's own window. Retried, which may
             * deliver twice; the alternative could lose the message. */
            ff_decision d;
            ff_classify_known(FF_REASON_NETWORKERROR, FF_CLASS_SOFT, "connection", &d);
            if (ss == FF_EINVAL || ss == FF_ETOOBIG || ss == FF_EPARSE || ss == FF_EUNSUPPORTED) {
                ff_classify_known(ss == FF_ETOOBIG ? FF_REASON_MESGTOOBIG : FF_REASON_CONTENTERROR,
                                  FF_CLASS_HARD, "client", &d);
            }
            st = act(r, it, sc, res.stage ? res.stage : "CONN", 0, e2.msg, &d, err);
        }
        bool broken = ss == FF_EIO;
        ff_smtp_result_clear(&res);
        if (st != FF_OK || !broken)
            continue;
        /* The session is gone (a 421 closes it on purpose): the next recipient gets a new
         * connection, a few times per lane, so one closing receiver does not hold up the
         * others behind it; after that the destination waits for the next pass. */
        pthread_mutex_unlock(&r->mu);
        ff_smtp_close(*cp);
        pthread_mutex_lock(&r->mu);
        *cp = NULL;
        if (++*reconnects > 3) {
            g->gone = true;
            for (size_t k = i + 1; k < b && st == FF_OK; k++)
                st = settle(r, g->items[k], FF_Q_DEFERRED, "CONN", 0, "the relay kept closing "
                            "the connection", NULL, r->now + 60, false, false, false, err);
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    ff_presign_stop(ps);
    pthread_mutex_lock(&r->mu);
    for (size_t k = 0; k < wn && win; k++)
        free(win[k]);
    free(win);
    free(winlen);
    return st;
}

static void *lane(void *arg)
{
    dest *g = arg;
    run *r = g->r;
    ff_smtp_opts so = *g->so;
    ff_smtp *c = NULL;
    int reconnects = 0;
    ff_error err = {0};
    ff_status st = FF_OK;
    pthread_mutex_lock(&r->mu);
    while (st == FF_OK && g->st == FF_OK && g->next < g->n) {
        size_t a = g->next, b = g->n - a > g->chunk ? a + g->chunk : g->n;
        g->next = b;
        st = lane_chunk(g, &so, &c, &reconnects, a, b, &err);
    }
    if (st != FF_OK && g->st == FF_OK) {
        g->st = st;
        g->err = err;
    }
    pthread_mutex_unlock(&r->mu);
    ff_smtp_close(c);
    return NULL;
}

/* Deliver the items [0, n) of one stream to its relay, or to the MX hosts `mx` of one
 * domain, over up to the stream's `connections` sessions at once. */
static ff_status deliver(run *r, const ff_stream_cfg *sc, const ff_mx *mx,
                         ff_queue_item **items, size_t n, ff_error *err)
{
    ff_smtp_opts so = {.host = sc->relay_host, .port = sc->relay_port, .tls = sc->tls,
                       .ca_file = sc->ca_file ? sc->ca_file : r->o->ca_file,
                       .helo = r->o->cfg->helo, .timeout_scale = r->o->timeout_scale};
    if (mx) {
        so.host = mx->hosts[0].name;
        so.port = r->o->mx_port ? r->o->mx_port : 25;
        /* Toward MX, TLS is opportunistic unless the stream asks for none (RFC 7435). */
        so.tls = sc->tls == FF_TLS_NONE ? FF_TLS_NONE : FF_TLS_OPPORTUNISTIC;
    }
    char pw[512] = "";
    if (sc->user) {
        so.user = sc->user;
        ff_error perr;
        if (ff_config_password(sc, pw, sizeof pw, &perr) != FF_OK) {
            for (size_t i = 0; i < n; i++) {
                ff_status st = settle(r, items[i], FF_Q_HELD, "GATE", 0, perr.msg, NULL, 0, false,
                                      false, false, err);
                if (st != FF_OK)
                    return st;
            }
            return FF_OK;
        }
        so.password = pw;
    }
    /* The stream's DKIM key, loaded once per destination; a key that cannot be loaded
     * holds the mail (unsigned mail from a domain that signs would fail DMARC at the
     * receiver). */
    void *dkim = NULL;
    if (sc->dkim_key) {
        ff_error kerr;
        if (ff_dkim_pkey_load(sc->dkim_key, &dkim, &kerr) != FF_OK) {
            explicit_bzero(pw, sizeof pw);
            for (size_t i = 0; i < n; i++) {
                ff_status ks = settle(r, items[i], FF_Q_HELD, "GATE", 0, kerr.msg, NULL, 0, false,
                                      false, false, err);
                if (ks != FF_OK)
                    return ks;
            }
            return FF_OK;
        }
    }
    ff_dkim_signer ds = {.domain = sc->dkim_domain ? sc->dkim_domain : sc->from_domain,
                         .selector = sc->dkim_selector ? sc->dkim_selector : "default",
                         .pkey = dkim, .header_canon = FF_DKIM_RELAXED,
                         .body_canon = FF_DKIM_RELAXED, .oversign = true,
                         .timestamp = r->now, .body_length = -1};
    dest g = {.r = r, .sc = sc, .mx = mx, .items = items, .n = n, .so = &so,
              .ds = dkim && ds.domain ? &ds : NULL};
    /* Chunks: a lane's share of the batch, at least a few messages (a session costs a
     * handshake) and at most a signing window. */
    size_t lanes = sc->connections ? sc->connections : 1;
    g.chunk = (n + lanes - 1) / lanes;
    if (g.chunk < LANE_MIN)
        g.chunk = LANE_MIN;
    if (g.chunk > SIGN_WINDOW)
        g.chunk = SIGN_WINDOW;
    if (lanes > (n + g.chunk - 1) / g.chunk)
        lanes = (n + g.chunk - 1) / g.chunk;
    pthread_t th[LANES_MAX];
    size_t started = 0;
    for (size_t k = 1; k < lanes && k < LANES_MAX; k++)
        if (pthread_create(&th[started], NULL, lane, &g) == 0)
            started++;
    lane(&g);
    for (size_t k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    free(g.fail_text);
    ff_dkim_pkey_free(dkim);
    explicit_bzero(pw, sizeof pw);
    if (g.st != FF_OK && err)
        *err = g.err;
    return g.st;
}

static const char *domain_of(const ff_queue_item *it)
{
    const char *at = strrchr(it->rcpt, '@');
    return at ? at + 1 : "";
}

/* route = mx: per recipient domain, find the MX hosts and deliver there. A domain that
 * does not exist or publishes a null MX is answered here, as its MX would answer. */
static ff_status deliver_mx(run *r, const ff_stream_cfg *sc, ff_queue_item **items, size_t n,
                            ff_error *err)
{
    if (!r->dns) {
        ff_error derr;
        if (ff_dns_new_cares(&r->dns, NULL, 3000, 2, &derr) != FF_OK) {
            for (size_t i = 0; i < n; i++) {
                ff_status st = settle(r, items[i], FF_Q_DEFERRED, "GATE", 0, derr.msg, NULL,
                                      r->now + 600, false, false, false, err);
                if (st != FF_OK)
                    return st;
            }
            return FF_OK;
        }
        r->own_dns = true;
    }
    bool *done = calloc(n ? n : 1, sizeof *done);
    ff_queue_item **sub = calloc(n ? n : 1, sizeof *sub);
    ff_mx *mx = malloc(sizeof *mx);
    ff_status st = done && sub && mx ? FF_OK : ff_error_set(err, FF_ENOMEM, "out of memory");
    for (size_t i = 0; st == FF_OK && i < n; i++) {
        if (done[i])
            continue;
        const char *dom = domain_of(items[i]);
        size_t k = 0;
        for (size_t j = i; j < n; j++)
            if (!done[j] && !strcasecmp(domain_of(items[j]), dom)) {
                done[j] = true;
                sub[k++] = items[j];
            }
        ff_error merr;
        if (ff_mx_lookup(r->dns, dom, false, mx, &merr) != FF_OK) {
            st = merr.code == FF_ENOMEM ? FF_ENOMEM : FF_OK;
            continue;
        }
        ff_decision d;
        const char *why = NULL;
        if (mx->null_mx) {
            ff_classify_known(FF_REASON_NOTACCEPT, FF_CLASS_HARD, "null-mx", &d);
            snprintf(d.status, sizeof d.status, "5.1.10");
            why = "the domain publishes a null MX (RFC 7505): it accepts no mail";
        } else if (mx->result == FF_DNS_NXDOMAIN ||
                   (mx->result == FF_DNS_NODATA && mx->n == 0)) {
            ff_classify_known(FF_REASON_HOSTUNKNOWN, FF_CLASS_HARD, "no-mx", &d);
            snprintf(d.status, sizeof d.status, "5.1.2");
            why = mx->result == FF_DNS_NXDOMAIN ? "the recipient's domain does not exist"
                                                : "the recipient's domain has no MX and no address";
        } else if (mx->result != FF_DNS_OK || mx->n == 0) {
            ff_classify_known(FF_REASON_NETWORKERROR, FF_CLASS_SOFT, "dns", &d);
            why = "the MX lookup failed for now (timeout or SERVFAIL)";
        }
        if (why) {
            for (size_t j = 0; j < k && st == FF_OK; j++)
                st = act(r, sub[j], sc, "CONN", 0, why, &d, err);
            continue;
        }
        st = deliver(r, sc, mx, sub, k, err);
    }
    free(done);
    free(sub);
    free(mx);
    return st;
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
                st = settle(&r, &items[k], FF_Q_HELD, "GATE", 0, "no such stream in the "
                            "configuration", NULL, 0, false, false, false, err);
                continue;
            }
            group[gn++] = &items[k];
        }
        if (st == FF_OK && gn && sc)
            st = sc->route == FF_ROUTE_MX ? deliver_mx(&r, sc, group, gn, err)
                                          : deliver(&r, sc, NULL, group, gn, err);
    }
    pthread_mutex_destroy(&r.mu);
    if (st == FF_OK)
        st = breakers(&r, err);
    free(group);
    free(done);
    ff_queue_items_free(items, n);
    if (r.own_dns)
        ff_dns_free(r.dns);
    return st;
}
