/* store_backend.h - internal: the table of functions a store backend provides
 *
 * store.c dispatches every public ff_store_* call through `ops`; a backend fills the
 * table and keeps its own state in `impl`. Each entry has the contract of the public
 * function of the same name in include/fivefifty/store.h.
 */
#ifndef FF_STORE_BACKEND_H
#define FF_STORE_BACKEND_H

#include "fivefifty/store.h"

typedef struct ff_store_ops {
    const char *name;
    void (*close)(void *impl);
    ff_status (*enqueue)(void *impl, const ff_message_in *m, int64_t now, int64_t *msg_id,
                         ff_error *err);
    ff_status (*claim)(void *impl, int64_t now, int64_t lease_s, size_t max, const char *stream,
                       ff_queue_item **items, size_t *n, ff_error *err);
    ff_status (*message_raw)(void *impl, int64_t msg_id, char **raw, size_t *len, ff_error *err);
    ff_status (*record_attempt)(void *impl, const ff_attempt *a, ff_error *err);
    ff_status (*queue_list)(void *impl, const char *state, size_t max, ff_queue_item **items,
                            size_t *n, ff_error *err);
    ff_status (*queue_set)(void *impl, int64_t id, const char *stream, const char *provider,
                           const char *from_state, const char *state, int64_t now,
                           size_t *changed, ff_error *err);
    ff_status (*suppress_add)(void *impl, const ff_suppression *e, ff_error *err);
    ff_status (*suppress_remove)(void *impl, const char *address, const char *scope,
                                 size_t *removed, ff_error *err);
    ff_status (*suppress_find)(void *impl, const char *address, const char *stream,
                               ff_suppression *hit, ff_error *err);
    ff_status (*suppress_list)(void *impl, const char *scope, ff_suppression **v, size_t *n,
                               ff_error *err);
    ff_status (*state_get)(void *impl, const char *stream, const char *provider,
                           ff_stream_state *out, ff_error *err);
    ff_status (*snapshot)(void *impl, bool on, ff_error *err);
    ff_status (*state_set)(void *impl, const char *stream, const char *provider,
                           const char *state, const char *why, int64_t now, int64_t until,
                           ff_error *err);
    ff_status (*counts)(void *impl, const char *stream, const char *provider, int64_t since,
                        ff_counts *out, ff_error *err);
    ff_status (*sent_since)(void *impl, const char *stream, const char *provider, int64_t since,
                            uint64_t *n, ff_error *err);
    ff_status (*event)(void *impl, const ff_event *e, ff_error *err);
    ff_status (*recipient)(void *impl, int64_t id, const char *message_id, const char *address,
                           ff_queue_item **item, ff_error *err);
    ff_status (*secret)(void *impl, unsigned char secret[32], ff_error *err);
} ff_store_ops;

/* store_sqlite_open() is the SQLite backend's constructor (store_sqlite.c). */
ff_status store_sqlite_open(const char *path, const ff_store_ops **ops, void **impl,
                            ff_error *err);

#endif
