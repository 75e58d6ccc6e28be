/* ingest.c - bounces that come back later, into the store (see include/fivefifty/ingest.h) */
#include "fivefifty/ingest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/address.h"
#include "fivefifty/compose.h"
#include "fivefifty/suppress.h"

#define TOKEN_SCAN_MAX (256u * 1024) /* VERP addresses sit in headers and reports */

static bool b32(char c)
{
    c = (char)tolower((unsigned char)c);
    return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

/* The first verifying VERP token anywhere in the message's first part. */
static int64_t verp_find(const unsigned char secret[32], const char *data, size_t len)
{
    size_t n = len < TOKEN_SCAN_MAX ? len : TOKEN_SCAN_MAX;
    for (size_t i = 0; i + 28 < n; i++) {
        if (data[i] != '+')
            continue;
        size_t k = i + 1;
        while (k < n && k - i - 1 < 26 && b32(data[k]))
            k++;
        if (k - i - 1 != 26 || k >= n || data[k] != '@')
            continue;
        char addr[64];
        snprintf(addr, sizeof addr, "x+%.26s@x", data + i + 1);
        uint64_t id;
        if (ff_verp_parse(secret, 32, addr, &id) == FF_OK && id > 0 && id < INT64_MAX)
            return (int64_t)id;
    }
    return 0;
}

static ff_status one(ff_store *s, const ff_bounce_record *rec, int64_t verp_id, int64_t now,
                     ff_ingest_stats *st, ff_ingest_report_fn report, void *ctx, ff_error *err)
{
    ff_queue_item *it = NULL;
    ff_status rc = FF_ENOTFOUND;
    if (verp_id)
        rc = ff_store_recipient(s, verp_id, NULL, NULL, &it, err);
    if (rc == FF_ENOTFOUND && rec->message_id)
        rc = ff_store_recipient(s, 0, rec->message_id, rec->recipient, &it, err);
    if (rc != FF_OK && rc != FF_ENOTFOUND)
        return rc;
    const ff_decision *d = &rec->decision;
    const char *stream = it ? it->stream : NULL;
    const char *address = rec->recipient ? rec->recipient : it ? it->rcpt : NULL;
    if (it)
        st->matched++;
    else
        st->unmatched++;
    const char *done = "recorded";
    const char *type = d->reason == FF_REASON_FEEDBACK   ? "complaint"
                       : d->reason == FF_REASON_VACATION ? "autoreply"
                                                         : "bounce";
    ff_status r = FF_OK;
    if (d->reason == FF_REASON_VACATION) {
        st->autoreplies++;
        done = "nothing (auto-reply)";
    } else if (address) {
        bool added = false;
        r = ff_suppress_apply(s, address, "global", d,
                              d->reason == FF_REASON_FEEDBACK ? "complaint" : "bounce", now,
                              &added, err);
        if (r == FF_EINVAL)
            r = FF_OK; /* an address we cannot store is reported, not fatal */
        if (r == FF_OK && added) {
            st->suppressed++;
            done = "suppressed";
        }
        if (d->reason == FF_REASON_FEEDBACK) {
            st->complaints++;
            done = "suppressed (complaint)";
        }
    }
    /* A late policy or authentication bounce holds the stream toward that provider. One
     * that says "relaying denied" or asks for AUTH does not stop it: the first hop took the
     * message, so the stream's route and credentials worked, and the refusal came from a
     * hop after it (a recipient domain whose MX does not host it). */
    if (r == FF_OK && stream &&
        !(d->action == FF_ACTION_STOP && ff_reason_blames_route(d->reason)) &&
        (d->action == FF_ACTION_HOLD || d->action == FF_ACTION_STOP)) {
        char why[600];
        snprintf(why, sizeof why, "late bounce: %s (%s): %s", ff_reason_name(d->reason),
                 d->status[0] ? d->status : "-", d->fix);
        r = ff_store_state_set(s, stream, d->action == FF_ACTION_STOP ? "" : d->provider,
                               d->action == FF_ACTION_STOP ? "stopped" : "held", why, now, 0, err);
        if (r == FF_OK) {
            st->holds++;
            done = d->action == FF_ACTION_STOP ? "stream stopped" : "held toward provider";
        }
    }
    if (r == FF_OK) {
        ff_event e = {.at = now, .type = type, .rcpt_id = it ? it->id : 0, .stream = stream,
                      .provider = d->provider, .address = address,
                      .reason = ff_reason_name(d->reason), .action = ff_action_name(d->action),
                      .detail = rec->diagnostic};
        r = ff_store_event(s, &e, err);
    }
    if (r == FF_OK && it && d->action == FF_ACTION_SUPPRESS)
        r = ff_store_queue_set(s, it->id, NULL, NULL, NULL, FF_Q_FAILED, now, NULL, err);
    if (r == FF_OK && report) {
        ff_ingest_outcome o = {.rec = rec, .rcpt_id = it ? it->id : 0,
                               .stream = stream ? stream : "", .done = done};
        report(ctx, &o);
    }
    ff_queue_items_free(it, it ? 1 : 0);
    return r;
}

ff_status ff_ingest_message(ff_store *s, const struct ff_rules *rules, const char *data,
                            size_t len, int64_t now, ff_ingest_stats *stats,
                            ff_ingest_report_fn report, void *ctx, ff_error *err)
{
    stats->messages++;
    ff_bounce b;
    ff_status st = ff_decode(rules, data, len, &b, err);
    if (st != FF_OK) {
        if (st == FF_ENOTBOUNCE)
            stats->not_bounces++;
        else
            stats->broken++;
        ff_bounce_clear(&b);
        return st;
    }
    unsigned char secret[32];
    st = ff_store_secret(s, secret, err);
    int64_t verp = st == FF_OK ? verp_find(secret, data, len) : 0;
    for (size_t i = 0; st == FF_OK && i < b.n; i++) {
        stats->records++;
        st = one(s, &b.recs[i], b.n == 1 ? verp : 0, now, stats, report, ctx, err);
    }
    ff_bounce_clear(&b);
    return st;
}
