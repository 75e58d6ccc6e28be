/* dns_backend.h - what lib/dns.c asks of a resolver backend (internal)
 *
 * dns.c owns the handle, the cache and the query count; a backend only sends one query and
 * reports its answer through `done`, now or during wait(). The zone backend answers at
 * once from memory; the c-ares backend answers while ff_dns_wait() drives its sockets.
 */
#ifndef FF_DNS_BACKEND_H
#define FF_DNS_BACKEND_H

#include "fivefifty/dns.h"

/* Called exactly once per started query; `a` is handed over (the callee owns it). */
typedef void (*ff_dns_done_fn)(void *ctx, ff_dns_answer *a);

typedef struct ff_dns_backend {
    const char *name;
    /* Start one query for a validated, lower-cased name without trailing dot. */
    ff_status (*query)(void *impl, const char *name, ff_dns_type type, ff_dns_done_fn done,
                       void *ctx);
    /* Drive I/O until every started query has called done. */
    ff_status (*wait)(void *impl);
    void (*free)(void *impl);
} ff_dns_backend;

/* Wraps a backend in a handle (cache, count). Takes `impl` even on failure. */
ff_status ff_dns_wrap(ff_dns **out, const ff_dns_backend *ops, void *impl);

/* The backend behind `dns` when it is `ops`, else NULL (so zone calls can check type). */
void *ff_dns_impl(ff_dns *dns, const ff_dns_backend *ops);

/* Deep copy of an answer into `dst` (zeroed first). Returns FF_OK or FF_ENOMEM. */
ff_status ff_dns_answer_copy(ff_dns_answer *dst, const ff_dns_answer *src);

/* Appends one record to `a`, copying the strings. Returns FF_OK or FF_ENOMEM. */
ff_status ff_dns_answer_push(ff_dns_answer *a, const ff_dns_rr *rr);

/* Checks a query name (labels 1..63, total <= 253) and writes it lower-cased without a
 * trailing dot into `buf` (>= 256 bytes). Returns false for a name DNS cannot carry. */
bool ff_dns_name_norm(const char *name, char *buf, size_t cap);

extern const ff_dns_backend ff_dns_zone_backend;
extern const ff_dns_backend ff_dns_cares_backend;

#endif
