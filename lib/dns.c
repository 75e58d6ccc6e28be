/* dns.c - the ff_dns handle: name checks, a per-run cache, the query count, dispatch
 *
 * Every DNS question in fivefifty goes through here. The handle keeps what a backend
 * answered for the life of the run (a run is short: one audit, one SPF evaluation, one
 * batch), so an SPF record that includes the same domain twice costs one query, and
 * ff_dns_query_count() says how many questions really went out. Temporary failures are
 * not cached: asking again later is the point of a temporary failure.
 */
#include "dns_backend.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_BUCKETS 256u

typedef struct cache_entry {
    struct cache_entry *next;
    ff_dns_type type;
    ff_dns_answer answer;
    char name[];
} cache_entry;

struct ff_dns {
    const ff_dns_backend *ops;
    void *impl;
    size_t count;
    cache_entry *cache[CACHE_BUCKETS];
};

typedef struct pending {
    ff_dns *dns;
    ff_dns_type type;
    ff_dns_cb cb;
    void *arg;
    char name[];
} pending;

const char *ff_dns_result_name(ff_dns_result r)
{
    switch (r) {
    case FF_DNS_OK: return "ok";
    case FF_DNS_NODATA: return "nodata";
    case FF_DNS_NXDOMAIN: return "nxdomain";
    case FF_DNS_TEMPFAIL: return "tempfail";
    case FF_DNS_PERMFAIL: return "permfail";
    }
    return "unknown";
}

bool ff_dns_name_norm(const char *name, char *buf, size_t cap)
{
    if (name == NULL || cap < 256)
        return false;
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0 || len > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if (++label > 63) {
            return false;
        }
        buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
    }
    if (label == 0)
        return false;
    buf[len] = '\0';
    return true;
}

static unsigned hash(const char *name, ff_dns_type type)
{
    unsigned h = 2166136261u ^ (unsigned)type;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % CACHE_BUCKETS;
}

static cache_entry *cache_find(ff_dns *dns, const char *name, ff_dns_type type)
{
    for (cache_entry *e = dns->cache[hash(name, type)]; e; e = e->next)
        if (e->type == type && strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

/* Keeps a copy; a failed copy only costs a later cache miss. */
static void cache_put(ff_dns *dns, const char *name, ff_dns_type type, const ff_dns_answer *a)
{
    if (a->result == FF_DNS_TEMPFAIL || cache_find(dns, name, type))
        return;
    size_t len = strlen(name);
    cache_entry *e = malloc(sizeof *e + len + 1);
    if (e == NULL)
        return;
    memcpy(e->name, name, len + 1);
    e->type = type;
    if (ff_dns_answer_copy(&e->answer, a) != FF_OK) {
        free(e);
        return;
    }
    unsigned h = hash(name, type);
    e->next = dns->cache[h];
    dns->cache[h] = e;
}

ff_status ff_dns_wrap(ff_dns **out, const ff_dns_backend *ops, void *impl)
{
    ff_dns *dns = calloc(1, sizeof *dns);
    if (dns == NULL) {
        ops->free(impl);
        return FF_ENOMEM;
    }
    dns->ops = ops;
    dns->impl = impl;
    *out = dns;
    return FF_OK;
}

void *ff_dns_impl(ff_dns *dns, const ff_dns_backend *ops)
{
    return dns != NULL && dns->ops == ops ? dns->impl : NULL;
}

void ff_dns_answer_clear(ff_dns_answer *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->rrs[i].name);
        free(a->rrs[i].text);
    }
    free(a->rrs);
    memset(a, 0, sizeof *a);
}

ff_status ff_dns_answer_push(ff_dns_answer *a, const ff_dns_rr *rr)
{
    ff_dns_rr *grown = realloc(a->rrs, (a->n + 1) * sizeof *grown);
    if (grown == NULL)
        return FF_ENOMEM;
    a->rrs = grown;
    ff_dns_rr *d = &a->rrs[a->n];
    *d = *rr;
    d->name = strdup(rr->name ? rr->name : "");
    d->text = strdup(rr->text ? rr->text : "");
    if (d->name == NULL || d->text == NULL) {
        free(d->name);
        free(d->text);
        return FF_ENOMEM;
    }
    a->n++;
    return FF_OK;
}

ff_status ff_dns_answer_copy(ff_dns_answer *dst, const ff_dns_answer *src)
{
    memset(dst, 0, sizeof *dst);
    dst->result = src->result;
    for (size_t i = 0; i < src->n; i++) {
        if (ff_dns_answer_push(dst, &src->rrs[i]) != FF_OK) {
            ff_dns_answer_clear(dst);
            return FF_ENOMEM;
        }
    }
    return FF_OK;
}

static void answered(void *ctx, ff_dns_answer *a)
{
    pending *p = ctx;
    cache_put(p->dns, p->name, p->type, a);
    p->cb(p->arg, p->name, p->type, a);
    free(p);
}

ff_status ff_dns_query_async(ff_dns *dns, const char *name, ff_dns_type type, ff_dns_cb cb,
                             void *arg)
{
    if (dns == NULL || name == NULL || cb == NULL)
        return FF_EINVAL;
    char key[256];
    ff_dns_answer a = {0};
    if (!ff_dns_name_norm(name, key, sizeof key)) {
        /* A name DNS cannot carry is answered without asking: it cannot exist. */
        a.result = FF_DNS_PERMFAIL;
        cb(arg, name, type, &a);
        return FF_OK;
    }
    cache_entry *e = cache_find(dns, key, type);
    if (e != NULL) {
        if (ff_dns_answer_copy(&a, &e->answer) != FF_OK)
            return FF_ENOMEM;
        cb(arg, key, type, &a);
        return FF_OK;
    }
    size_t len = strlen(key);
    pending *p = malloc(sizeof *p + len + 1);
    if (p == NULL)
        return FF_ENOMEM;
    memcpy(p->name, key, len + 1);
    p->dns = dns;
    p->type = type;
    p->cb = cb;
    p->arg = arg;
    dns->count++;
    ff_status st = dns->ops->query(dns->impl, p->name, type, answered, p);
    if (st != FF_OK)
        free(p);
    return st;
}

ff_status ff_dns_wait(ff_dns *dns)
{
    if (dns == NULL)
        return FF_EINVAL;
    return dns->ops->wait(dns->impl);
}

struct sync_slot {
    bool done;
    ff_dns_answer *out;
};

static void sync_cb(void *arg, const char *name, ff_dns_type type, ff_dns_answer *a)
{
    (void)name;
    (void)type;
    struct sync_slot *s = arg;
    *s->out = *a; /* take ownership of the records */
    memset(a, 0, sizeof *a);
    s->done = true;
}

ff_status ff_dns_query(ff_dns *dns, const char *name, ff_dns_type type, ff_dns_answer *out)
{
    if (out == NULL)
        return FF_EINVAL;
    memset(out, 0, sizeof *out);
    struct sync_slot s = {false, out};
    ff_status st = ff_dns_query_async(dns, name, type, sync_cb, &s);
    if (st != FF_OK)
        return st;
    while (!s.done) {
        st = ff_dns_wait(dns);
        if (st != FF_OK)
            return st;
        if (!s.done) /* a backend that returned without answering: never spin */
            return FF_EIO;
    }
    return FF_OK;
}

size_t ff_dns_query_count(const ff_dns *dns)
{
    return dns ? dns->count : 0;
}

void ff_dns_reset_count(ff_dns *dns)
{
    if (dns)
        dns->count = 0;
}

void ff_dns_free(ff_dns *dns)
{
    if (dns == NULL)
        return;
    /* The backend first: destroying it may still report queries (as TEMPFAIL), and
     * those answers pass through the cache. */
    dns->ops->free(dns->impl);
    for (size_t i = 0; i < CACHE_BUCKETS; i++) {
        cache_entry *e = dns->cache[i];
        while (e) {
            cache_entry *next = e->next;
            ff_dns_answer_clear(&e->answer);
            free(e);
            e = next;
        }
    }
    free(dns);
}
