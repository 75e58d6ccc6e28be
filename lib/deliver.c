/* deliver.c - moving the mail of one stream: its route, SMTP sessions, the MX fan-out
 *
 * DESCRIPTION
 *   A stream's route (relay or MX), its relay password and its DKIM key are set up once
 *   per pass. Toward a relay, `connections` lanes deliver at once; toward MX, up to
 *   MX_PARALLEL recipient domains are worked on at once, each with its own lanes. A lane
 *   is an SMTP session on a thread of its own that takes the next chunk of recipients of
 *   its destination when it is done with one.
 *
 *   Everything that changes state (the store, counters, the callbacks) happens in
 *   queue.c's functions with r->mu held: a thread drops it only for the network, for DNS
 *   (under r->dns_mu) and for waiting on a signature, so the threads overlap their round
 *   trips, never their state changes, and each outcome is still one transaction written
 *   before that lane tries its next recipient.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fivefifty/dkim.h"
#include "fivefifty/mx.h"
#include "fivefifty/smtp.h"
#include "presign.h"
#include "queue_int.h"

/* Messages read and signed ahead of the one on the wire (see presign.h). */
#define SIGN_WINDOW 64
/* A lane (one SMTP session) takes at least this many recipients at a time. */
#define LANE_MIN 8
#define LANES_MAX 64
/* Recipient domains worked on at once toward MX. Postfix runs up to 100 delivery
 * processes over all destinations; a handful already hides most DNS and handshake
 * waits of a batch spread over many small domains. */
#define MX_PARALLEL 8
#define KEPT_CLOSING "the receiver kept closing the connection"

/* Run fn(arg) on n threads at once, this one among them, and wait for all: when a thread
 * cannot be made, fewer run and share the same work (they take it from a common list). */
static void run_beside(void *(*fn)(void *), void *arg, size_t n)
{
    pthread_t th[LANES_MAX];
    size_t started = 0;
    for (size_t k = 1; k < n && k < LANES_MAX; k++)
        if (pthread_create(&th[started], NULL, fn, arg) == 0)
            started++;
    fn(arg);
    for (size_t k = 0; k < started; k++)
        pthread_join(th[k], NULL);
}

/* Keep the first failure of several threads (caller holds the lock guarding *dst). */
static void first_failure(ff_status *dst, ff_error *dst_err, ff_status st, const ff_error *err)
{
    if (st != FF_OK && *dst == FF_OK) {
        *dst = st;
        *dst_err = *err;
    }
}

/* What every destination of one stream shares in a pass, set up once. */
typedef struct route {
    ff_smtp_opts so;            /* the session template; hosts filled per destination */
    char pw[512];               /* the relay password, wiped by route_close() */
    void *dkim;                 /* the stream's key, NULL when it does not sign */
    ff_dkim_signer ds;
    char held[256];             /* set: the route cannot be used, every recipient is held */
} route;

static void route_open(run *r, const ff_stream_cfg *sc, route *rt)
{
    memset(rt, 0, sizeof *rt);
    rt->so = (ff_smtp_opts){.host = sc->relay_host, .port = sc->relay_port, .tls = sc->tls,
                            .ca_file = sc->ca_file ? sc->ca_file : r->o->ca_file,
                            .helo = r->o->cfg->helo, .timeout_scale = r->o->timeout_scale};
    if (sc->route == FF_ROUTE_MX) {
        rt->so.port = r->o->mx_port ? r->o->mx_port : 25;
        /* Toward MX, TLS is opportunistic unless the stream asks for none (RFC 7435). */
        rt->so.tls = sc->tls == FF_TLS_NONE ? FF_TLS_NONE : FF_TLS_OPPORTUNISTIC;
    }
    if (sc->user) {
        rt->so.user = sc->user;
        ff_error perr;
        if (ff_config_password(sc, rt->pw, sizeof rt->pw, &perr) != FF_OK) {
            snprintf(rt->held, sizeof rt->held, "%s", perr.msg);
            return;
        }
        rt->so.password = rt->pw;
    }
    /* A key that cannot be loaded holds the mail: unsigned mail from a domain that signs
     * would fail DMARC at the receiver. */
    if (sc->dkim_key) {
        ff_error kerr;
        if (ff_dkim_pkey_load(sc->dkim_key, &rt->dkim, &kerr) != FF_OK) {
            snprintf(rt->held, sizeof rt->held, "%s", kerr.msg);
            return;
        }
        rt->ds = (ff_dkim_signer){.domain = sc->dkim_domain ? sc->dkim_domain : sc->from_domain,
                                  .selector = sc->dkim_selector ? sc->dkim_selector : "default",
                                  .pkey = rt->dkim, .header_canon = FF_DKIM_RELAXED,
                                  .body_canon = FF_DKIM_RELAXED, .oversign = true,
                                  .timestamp = r->now, .body_length = -1};
    }
}

static void route_close(route *rt)
{
    ff_dkim_pkey_free(rt->dkim);
    explicit_bzero(rt->pw, sizeof rt->pw);
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
            rs = queue_judge(g->r, items[i], g->sc, g->fail_stage, g->so->host, g->fail_code,
                       g->fail_text, err);
        } else {
            ff_decision d;
            ff_classify_known(FF_REASON_NETWORKERROR, FF_CLASS_SOFT, "connection", &d);
            if (g->fail_st == FF_EUNSUPPORTED) {
                ff_classify_known(FF_REASON_FAILEDSTARTTLS, FF_CLASS_HARD, "connection", &d);
                d.action = FF_ACTION_STOP;
            }
            rs = queue_act(g->r, items[i], g->sc, g->fail_stage, g->so->host, 0, g->fail_msg, &d,
                           err);
        }
        if (rs != FF_OK)
            return rs;
    }
    return FF_OK;
}

/* Open a session for a lane (r->mu held on entry and return, released while connecting).
 * so->host ends up naming the host connected to: an MX host's address is written into
 * ip[64], which the lane keeps as long as its session. FF_OK with *out set, or
 * FF_ENOTFOUND with the failure kept in g (the first one wins). */
static ff_status connect_dest(dest *g, ff_smtp_opts *so, char ip[64], ff_smtp **out)
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
    for (size_t h = 0; h < nhosts && st != FF_OK; h++) {
        if (g->mx) {
            /* The host's address comes from the same resolver as the MX (our DNS layer,
             * not the system's); TLS still checks the host's name. */
            const ff_mx_host *mh = &g->mx->hosts[h];
            so->host = mh->name;
            so->tls_name = mh->name;
            ff_dns_answer a;
            ff_status qs = FF_EINVAL;
            if (!mh->ip_literal) {
                pthread_mutex_unlock(&r->mu);
                pthread_mutex_lock(&r->dns_mu);
                qs = ff_dns_query(r->dns, mh->name, FF_DNS_A, &a);
                pthread_mutex_unlock(&r->dns_mu);
                pthread_mutex_lock(&r->mu);
            }
            if (qs == FF_OK) {
                if (a.result == FF_DNS_OK && a.n && a.rrs[0].text) {
                    snprintf(ip, 64, "%s", a.rrs[0].text);
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
static ff_status lane_chunk(dest *g, ff_smtp_opts *so, char ip[64], ff_smtp **cp,
                            int *reconnects, size_t a, size_t b, ff_error *err)
{
    run *r = g->r;
    const ff_stream_cfg *sc = g->sc;
    ff_status st = FF_OK;
    if (g->gone) {
        for (size_t k = a; k < b && st == FF_OK; k++)
            st = queue_settle(r, g->items[k], FF_Q_DEFERRED, "CONN", NULL, 0, KEPT_CLOSING, NULL,
                              r->now + 60, false, false, false, err);
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
        if (queue_gated(r, it, sc, &st, err))
            continue;
        if (!*cp && connect_dest(g, so, ip, cp) != FF_OK) {
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
        queue_verp_from(r, it, sc, from, sizeof from);
        const char *rc[1] = {it->rcpt};
        ff_smtp_result res;
        ff_error e2 = {0};
        pthread_mutex_unlock(&r->mu);
        ff_status ss = ff_smtp_send(*cp, from, rc, 1, raw, rl, &res, &e2);
        pthread_mutex_lock(&r->mu);
        free(raw);
        if (ss == FF_OK ||
            (ss == FF_EIO && res.rcpt && res.rcpt[0].code && res.rcpt[0].code >= 400)) {
            if (res.rcpt[0].code && (res.rcpt[0].code < 200 || res.rcpt[0].code >= 300) &&
                res.mail.code >= 200 && res.mail.code < 300)
                st = queue_judge(r, it, sc, "RCPT", so->host, res.rcpt[0].code, res.rcpt[0].text,
                                 err);
            else if (res.mail.code && (res.mail.code < 200 || res.mail.code >= 300))
                st = queue_judge(r, it, sc, "MAIL", so->host, res.mail.code, res.mail.text, err);
            else if (res.data.code && res.data.code != 354)
                st = queue_judge(r, it, sc, "DATA", so->host, res.data.code, res.data.text, err);
            else if (res.eod.code)
                st = queue_judge(r, it, sc, "EOD", so->host, res.eod.code, res.eod.text, err);
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
            st = queue_act(r, it, sc, res.stage ? res.stage : "CONN", so->host, 0, e2.msg, &d, err);
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
                st = queue_settle(r, g->items[k], FF_Q_DEFERRED, "CONN", so->host, 0, KEPT_CLOSING,
                                  NULL, r->now + 60, false, false, false, err);
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
    char ip[64] = ""; /* so.host once connected to an MX host by its address */
    ff_smtp *c = NULL;
    int reconnects = 0;
    ff_error err = {0};
    ff_status st = FF_OK;
    pthread_mutex_lock(&r->mu);
    while (st == FF_OK && g->st == FF_OK && g->next < g->n) {
        size_t a = g->next, b = g->n - a > g->chunk ? a + g->chunk : g->n;
        g->next = b;
        st = lane_chunk(g, &so, ip, &c, &reconnects, a, b, &err);
    }
    first_failure(&g->st, &g->err, st, &err);
    pthread_mutex_unlock(&r->mu);
    ff_smtp_close(c);
    return NULL;
}

/* Deliver items[0, n) to one destination: the relay (mx NULL) or the MX hosts `mx` of one
 * domain, over up to the stream's `connections` sessions at once. Called without r->mu. */
static ff_status deliver(run *r, const ff_stream_cfg *sc, const route *rt, const ff_mx *mx,
                         ff_queue_item **items, size_t n, ff_error *err)
{
    ff_smtp_opts so = rt->so;
    if (mx)
        so.host = mx->hosts[0].name;
    dest g = {.r = r, .sc = sc, .mx = mx, .items = items, .n = n, .so = &so,
              .ds = rt->dkim && rt->ds.domain ? &rt->ds : NULL};
    /* Chunks: a lane's share of the destination, at least a few messages (a session costs
     * a handshake) and at most a signing window. */
    size_t lanes = sc->connections ? sc->connections : 1;
    g.chunk = (n + lanes - 1) / lanes;
    if (g.chunk < LANE_MIN)
        g.chunk = LANE_MIN;
    if (g.chunk > SIGN_WINDOW)
        g.chunk = SIGN_WINDOW;
    if (lanes > (n + g.chunk - 1) / g.chunk)
        lanes = (n + g.chunk - 1) / g.chunk;
    run_beside(lane, &g, lanes);
    free(g.fail_text);
    if (g.st != FF_OK && err)
        *err = g.err;
    return g.st;
}

static const char *domain_of(const ff_queue_item *it)
{
    const char *at = strrchr(it->rcpt, '@');
    return at ? at + 1 : "";
}

/* The recipient domains of one stream toward MX, and the threads working through them. */
typedef struct fanout {
    run *r;
    const ff_stream_cfg *sc;
    const route *rt;
    ff_queue_item **items;      /* grouped by domain: domain k is items[start[k], start[k+1]) */
    size_t *start, ndomains;
    size_t next;                /* with r->mu held: the next domain no thread has taken */
    ff_status st;               /* with r->mu held: the first store failure, stops them all */
    ff_error err;
} fanout;

/* Answer every recipient of a domain the way its MX would, when DNS says there is none
 * (r->mu held). Returns false when the domain has hosts to deliver to. */
static bool no_mx(fanout *f, const ff_mx *mx, ff_status ls, ff_queue_item **items, size_t n,
                  ff_status *st, ff_error *err)
{
    ff_decision d;
    const char *why = NULL;
    if (ls != FF_OK) {
        ff_classify_known(FF_REASON_NETWORKERROR, FF_CLASS_SOFT, "dns", &d);
        why = "the MX lookup failed for now";
    } else if (mx->null_mx) {
        ff_classify_known(FF_REASON_NOTACCEPT, FF_CLASS_HARD, "null-mx", &d);
        snprintf(d.status, sizeof d.status, "5.1.10");
        why = "the domain publishes a null MX (RFC 7505): it accepts no mail";
    } else if (mx->result == FF_DNS_NXDOMAIN || (mx->result == FF_DNS_NODATA && mx->n == 0)) {
        ff_classify_known(FF_REASON_HOSTUNKNOWN, FF_CLASS_HARD, "no-mx", &d);
        snprintf(d.status, sizeof d.status, "5.1.2");
        why = mx->result == FF_DNS_NXDOMAIN ? "the recipient's domain does not exist"
                                            : "the recipient's domain has no MX and no address";
    } else if (mx->result != FF_DNS_OK || mx->n == 0) {
        ff_classify_known(FF_REASON_NETWORKERROR, FF_CLASS_SOFT, "dns", &d);
        why = "the MX lookup failed for now (timeout or SERVFAIL)";
    }
    if (!why)
        return false;
    for (size_t j = 0; j < n && *st == FF_OK; j++)
        *st = queue_act(f->r, items[j], f->sc, "CONN", NULL, 0, why, &d, err);
    return true;
}

static void *fanout_worker(void *arg)
{
    fanout *f = arg;
    run *r = f->r;
    ff_mx *mx = malloc(sizeof *mx);
    ff_error err = {0};
    ff_status st = mx ? FF_OK : ff_error_set(&err, FF_ENOMEM, "out of memory");
    pthread_mutex_lock(&r->mu);
    while (st == FF_OK && f->st == FF_OK && f->next < f->ndomains) {
        size_t k = f->next++;
        ff_queue_item **items = f->items + f->start[k];
        size_t n = f->start[k + 1] - f->start[k];
        pthread_mutex_unlock(&r->mu);
        ff_error merr = {0};
        pthread_mutex_lock(&r->dns_mu);
        ff_status ls = ff_mx_lookup(r->dns, domain_of(items[0]), false, mx, &merr);
        pthread_mutex_unlock(&r->dns_mu);
        pthread_mutex_lock(&r->mu);
        if (ls == FF_ENOMEM) {
            st = ff_error_set(&err, FF_ENOMEM, "out of memory");
            break;
        }
        if (no_mx(f, mx, ls, items, n, &st, &err))
            continue;
        pthread_mutex_unlock(&r->mu);
        st = deliver(r, f->sc, f->rt, mx, items, n, &err);
        pthread_mutex_lock(&r->mu);
    }
    first_failure(&f->st, &f->err, st, &err);
    pthread_mutex_unlock(&r->mu);
    free(mx);
    return NULL;
}

/* route = mx: the recipients grouped by domain, up to MX_PARALLEL domains at once; a
 * domain that does not exist or publishes a null MX is answered as its MX would answer. */
static ff_status deliver_mx(run *r, const ff_stream_cfg *sc, const route *rt,
                            ff_queue_item **items, size_t n, ff_error *err)
{
    if (!r->dns) {
        ff_error derr;
        if (ff_dns_new_cares(&r->dns, NULL, 3000, 2, &derr) != FF_OK) {
            for (size_t i = 0; i < n; i++) {
                ff_status st = queue_settle(r, items[i], FF_Q_DEFERRED, "GATE", NULL, 0, derr.msg,
                                            NULL, r->now + 600, false, false, false, err);
                if (st != FF_OK)
                    return st;
            }
            return FF_OK;
        }
        r->own_dns = true;
    }
    fanout f = {.r = r, .sc = sc, .rt = rt};
    bool *done = calloc(n ? n : 1, sizeof *done);
    f.items = calloc(n ? n : 1, sizeof *f.items);
    f.start = calloc(n + 1, sizeof *f.start);
    if (!done || !f.items || !f.start) {
        free(done);
        free(f.items);
        free(f.start);
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        f.start[f.ndomains++] = o;
        const char *dom = domain_of(items[i]);
        for (size_t j = i; j < n; j++)
            if (!done[j] && !strcasecmp(domain_of(items[j]), dom)) {
                done[j] = true;
                f.items[o++] = items[j];
            }
    }
    f.start[f.ndomains] = o;
    free(done);
    size_t workers = f.ndomains < MX_PARALLEL ? f.ndomains : MX_PARALLEL;
    run_beside(fanout_worker, &f, workers);
    free(f.items);
    free(f.start);
    if (f.st != FF_OK && err)
        *err = f.err;
    return f.st;
}

ff_status queue_deliver_stream(run *r, const ff_stream_cfg *sc, ff_queue_item **items,
                               size_t n, ff_error *err)
{
    route rt;
    route_open(r, sc, &rt);
    ff_status st = FF_OK;
    if (rt.held[0]) {
        for (size_t i = 0; i < n && st == FF_OK; i++)
            st = queue_settle(r, items[i], FF_Q_HELD, "GATE", NULL, 0, rt.held, NULL, 0, false,
                              false, false, err);
    } else if (sc->route == FF_ROUTE_MX) {
        st = deliver_mx(r, sc, &rt, items, n, err);
    } else {
        st = deliver(r, sc, &rt, NULL, items, n, err);
    }
    route_close(&rt);
    return st;
}
