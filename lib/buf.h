/* buf.h - internal: a growing byte buffer, NUL-terminated, that remembers running out of
 * memory instead of failing every append (callers check `oom` once at the end) */
#ifndef FF_BUF_H
#define FF_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ff_buf {
    char *p;      /* owned; free() it, or hand it on */
    size_t n, cap;
    bool oom;
} ff_buf;

/* Append n bytes (nothing after an allocation failure, which sets oom). */
void ff_buf_put(ff_buf *b, const char *s, size_t n);
void ff_buf_puts(ff_buf *b, const char *s);

#endif
