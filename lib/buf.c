/* buf.c - the growing buffer of buf.h, shared by compose, DKIM and the SPF trace */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

void ff_buf_put(ff_buf *b, const char *s, size_t n)
{
    if (b->oom || n == 0)
        return;
    if (n > ((size_t)-1) / 4 - b->n) {
        b->oom = true;
        return;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void ff_buf_puts(ff_buf *b, const char *s)
{
    ff_buf_put(b, s, strlen(s));
}
