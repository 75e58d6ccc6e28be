/* store.c - the store interface: pick a backend, dispatch every call to it
 *
 * Callers never see which database holds their data (DESIGN.md: "store" sits behind an
 * interface so PostgreSQL can follow without touching callers).
 */
#include "fivefifty/store.h"

#include <stdlib.h>
#include <string.h>

#include "store_backend.h"

struct ff_store {
    const ff_store_ops *ops;
    void *impl;
};

ff_status ff_store_open(const char *where, ff_store **out, ff_error *err)
{
    if (!out || !where || !*where)
        return ff_error_set(err, FF_EINVAL, "store: no location given");
    *out = NULL;
    if (strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0)
        return ff_error_set(err, FF_EUNSUPPORTED, "store: the PostgreSQL backend is not built "
                            "yet; use a SQLite path");
    if (strncmp(where, "sqlite:", 7) == 0)
        where += 7;
    ff_store *s = calloc(1, sizeof *s);
    if (!s)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    ff_status st = store_sqlite_open(where, &s->ops, &s->impl, err);
    if (st != FF_OK) {
        free(s);
        return st;
    }
    *out = s;
    return FF_OK;
}

void ff_store_close(ff_store *s)
{
    if (!s)
        return;
    s->ops->close(s->impl);
    free(s);
}

ff_status ff_store_enqueue(ff_store *s, const ff_message_in *m, int64_t now, int64_t *msg_id,
                           ff_error *err)
{
    return s->ops->enqueue(s->impl, m, now, msg_id, err);
}

ff_status ff_store_claim(ff_store *s, int64_t now, int64_t lease_s, size_t max,
                         const char *stream, ff_queue_item **items, size_t *n, ff_error *err)
{
    return s->ops->claim(s->impl, now, lease_s, max, stream, items, n, err);
}

ff_status ff_store_message_raw(ff_store *s, int64_t msg_id, char **raw, size_t *len,
                               ff_error *err)
{
    return s->ops->message_raw(s->impl, msg_id, raw, len, err);
}

ff_status ff_store_record_attempt(ff_store *s, const ff_attempt *a, ff_error *err)
{
    return s->ops->record_attempt(s->impl, a, err);
}

ff_status ff_store_queue_list(ff_store *s, const char *state, size_t max,
                              ff_queue_item **items, size_t *n, ff_error *err)
{
    return s->ops->queue_list(s->impl, state, max, items, n, err);
}

ff_status ff_store_queue_set(ff_store *s, int64_t id, const char *stream, const char *provider,
                             const char *from_state, const char *state, int64_t now,
                             size_t *changed, ff_error *err)
{
    return s->ops->queue_set(s->impl, id, stream, provider, from_state, state, now, changed, err);
}

ff_status ff_store_suppress_add(ff_store *s, const ff_suppression *e, ff_error *err)
{
    return s->ops->suppress_add(s->impl, e, err);
}

ff_status ff_store_suppress_remove(ff_store *s, const char *address, const char *scope,
                                   size_t *removed, ff_error *err)
{
    return s->ops->suppress_remove(s->impl, address, scope, removed, err);
}

ff_status ff_store_suppress_find(ff_store *s, const char *address, const char *stream,
                                 ff_suppression *hit, ff_error *err)
{
    return s->ops->suppress_find(s->impl, address, stream, hit, err);
}

ff_status ff_store_suppress_list(ff_store *s, const char *scope, ff_suppression **v,
                                 size_t *n, ff_error *err)
{
    return s->ops->suppress_list(s->impl, scope, v, n, err);
}

ff_status ff_store_state_get(ff_store *s, const char *stream, const char *provider,
                             ff_stream_state *out, ff_error *err)
{
    return s->ops->state_get(s->impl, stream, provider, out, err);
}

ff_status ff_store_snapshot(ff_store *s, bool on, ff_error *err)
{
    return s->ops->snapshot(s->impl, on, err);
}

ff_status ff_store_state_set(ff_store *s, const char *stream, const char *provider,
                             const char *state, const char *why, int64_t now, int64_t until,
                             ff_error *err)
{
    return s->ops->state_set(s->impl, stream, provider, state, why, now, until, err);
}

ff_status ff_store_counts(ff_store *s, const char *stream, const char *provider, int64_t since,
                          ff_counts *out, ff_error *err)
{
    return s->ops->counts(s->impl, stream, provider, since, out, err);
}

ff_status ff_store_sent_since(ff_store *s, const char *stream, const char *provider,
                              int64_t since, uint64_t *n, ff_error *err)
{
    return s->ops->sent_since(s->impl, stream, provider, since, n, err);
}

ff_status ff_store_event(ff_store *s, const ff_event *e, ff_error *err)
{
    return s->ops->event(s->impl, e, err);
}

ff_status ff_store_recipient(ff_store *s, int64_t id, const char *message_id,
                             const char *address, ff_queue_item **item, ff_error *err)
{
    return s->ops->recipient(s->impl, id, message_id, address, item, err);
}

ff_status ff_store_secret(ff_store *s, unsigned char secret[32], ff_error *err)
{
    return s->ops->secret(s->impl, secret, err);
}

void ff_queue_items_free(ff_queue_item *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++) {
        free(items[i].stream);
        free(items[i].rcpt);
        free(items[i].mail_from);
        free(items[i].message_id);
        free(items[i].state);
        free(items[i].provider);
        free(items[i].last_reason);
    }
    free(items);
}

void ff_suppression_clear(ff_suppression *e)
{
    if (!e)
        return;
    free(e->address);
    free(e->scope);
    free(e->reason);
    free(e->status);
    free(e->source);
    memset(e, 0, sizeof *e);
}

void ff_suppressions_free(ff_suppression *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        ff_suppression_clear(&v[i]);
    free(v);
}
