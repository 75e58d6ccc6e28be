/* lhost.c - the table of text-bounce scanners and the ff_hits list they fill
 *
 * Order matters: providers and gateways are recognised by their own headers and go first;
 * MTAs whose text is generic come after; lhost_generic is the last resort. Each half of the
 * table lives with its scanners (lib/lhost/provider, lib/lhost/mta).
 */
#include "lhost.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

extern const ff_lhost *const ff_lhost_providers[];
extern const size_t ff_lhost_nproviders;
extern const ff_lhost *const ff_lhost_mtas[];
extern const size_t ff_lhost_nmtas;

#define LHOST_MAX 128

static const ff_lhost *table[LHOST_MAX];
static size_t ntable;

static void build(void)
{
    size_t n = 0;
    for (size_t i = 0; i < ff_lhost_nproviders && n < LHOST_MAX; i++)
        table[n++] = ff_lhost_providers[i];
    for (size_t i = 0; i < ff_lhost_nmtas && n < LHOST_MAX; i++)
        table[n++] = ff_lhost_mtas[i];
    ntable = n;
}

static pthread_once_t built = PTHREAD_ONCE_INIT;

const ff_lhost *const *ff_lhost_table(size_t *n)
{
    pthread_once(&built, build); /* decode runs on several threads */
    *n = ntable;
    return table;
}

ff_hit *ff_hits_push(ff_hits *hits)
{
    if (hits->n == hits->cap) {
        size_t cap = hits->cap ? hits->cap * 2 : 4;
        ff_hit *v = realloc(hits->v, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        hits->v = v;
        hits->cap = cap;
    }
    ff_hit *h = &hits->v[hits->n++];
    memset(h, 0, sizeof *h);
    return h;
}

void ff_hits_free(ff_hits *hits)
{
    if (hits == NULL)
        return;
    for (size_t i = 0; i < hits->n; i++) {
        ff_hit *h = &hits->v[i];
        free(h->recipient);
        free(h->diagnostic);
        free(h->remote_mta);
        free(h->command);
        free(h->dsn_action);
        free(h->original_recipient);
        free(h->reporting_mta);
    }
    free(hits->v);
    memset(hits, 0, sizeof *hits);
}
