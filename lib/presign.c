/* presign.c - DKIM signatures made ahead on threads of their own (see presign.h)
 *
 * Up to PRESIGN_THREADS threads (never more than the CPUs online) take the next unsigned
 * message in turn; the runner waits only for the one it is about to send. The key is
 * shared: OpenSSL 3 allows concurrent signing operations on one EVP_PKEY.
 */
#include "presign.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#define PRESIGN_THREADS 4

struct ff_presign {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th[PRESIGN_THREADS];
    size_t nth;
    ff_dkim_signer ds;
    char *const *msgs;
    const size_t *lens;
    size_t n, next; /* the next message a thread takes */
    char **sigs;
    bool *done;
    bool stop;
};

static void *run(void *arg)
{
    ff_presign *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop && p->next < p->n) {
        size_t i = p->next++;
        pthread_mutex_unlock(&p->mu);
        char *sig = NULL;
        if (p->msgs[i] != NULL) {
            ff_error err;
            if (ff_dkim_sign(&p->ds, p->msgs[i], p->lens[i], &sig, &err) != FF_OK)
                sig = NULL;
        }
        pthread_mutex_lock(&p->mu);
        p->sigs[i] = sig;
        p->done[i] = true;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

ff_status ff_presign_start(const ff_dkim_signer *tmpl, char *const *msgs, const size_t *lens,
                           size_t n, ff_presign **out)
{
    *out = NULL;
    ff_presign *p = calloc(1, sizeof *p);
    if (p == NULL)
        return FF_ENOMEM;
    p->sigs = calloc(n ? n : 1, sizeof *p->sigs);
    p->done = calloc(n ? n : 1, sizeof *p->done);
    if (p->sigs == NULL || p->done == NULL) {
        free(p->sigs);
        free(p->done);
        free(p);
        return FF_ENOMEM;
    }
    p->ds = *tmpl;
    p->msgs = msgs;
    p->lens = lens;
    p->n = n;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t want = cpus > 0 && (size_t)cpus < PRESIGN_THREADS ? (size_t)cpus : PRESIGN_THREADS;
    for (size_t k = 0; k < want && k < n; k++)
        if (pthread_create(&p->th[p->nth], NULL, run, p) == 0)
            p->nth++;
    if (p->nth == 0 && n > 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p->sigs);
        free(p->done);
        free(p);
        return FF_EIO;
    }
    *out = p;
    return FF_OK;
}

const char *ff_presign_wait(ff_presign *p, size_t i)
{
    if (p == NULL || i >= p->n)
        return NULL;
    pthread_mutex_lock(&p->mu);
    while (!p->done[i])
        pthread_cond_wait(&p->cv, &p->mu);
    const char *sig = p->sigs[i];
    pthread_mutex_unlock(&p->mu);
    return sig;
}

void ff_presign_stop(ff_presign *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_mutex_unlock(&p->mu);
    for (size_t k = 0; k < p->nth; k++)
        pthread_join(p->th[k], NULL);
    for (size_t i = 0; i < p->n; i++)
        free(p->sigs[i]);
    free(p->sigs);
    free(p->done);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}
