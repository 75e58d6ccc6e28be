/* mbox.c - mbox boundaries (see mbox.h)
 *
 * Used by `fivefifty decode` and `ingest` when a path is a mailbox file rather than one
 * message. A separator is "From " at the very start or right after a LF; the blank line
 * before it belongs to neither message and is dropped.
 */
#include "fivefifty/mbox.h"

#include <string.h>

static bool from_line(const char *p, size_t left)
{
    return left >= 5 && memcmp(p, "From ", 5) == 0;
}

bool ff_mbox_is(const char *buf, size_t len)
{
    if (!from_line(buf, len))
        return false;
    const char *nl = memchr(buf, '\n', len);
    return nl == NULL || nl - buf > 5;
}

bool ff_mbox_next(const char *buf, size_t len, size_t *pos, const char **msg,
                  size_t *msg_len)
{
    size_t p = *pos;
    if (p >= len)
        return false;
    /* skip the "From " line of this message, if we sit on one */
    if (from_line(buf + p, len - p)) {
        const char *nl = memchr(buf + p, '\n', len - p);
        p = nl ? (size_t)(nl - buf) + 1 : len;
    }
    size_t start = p, end = len, next = len;
    for (size_t i = start; i < len;) {
        const char *nl = memchr(buf + i, '\n', len - i);
        if (nl == NULL)
            break;
        i = (size_t)(nl - buf) + 1;
        if (from_line(buf + i, len - i)) {
            end = i;
            next = i;
            break;
        }
    }
    /* drop the separating blank line (LF or CRLF) that precedes the next "From " */
    if (next < len && end > start && buf[end - 1] == '\n') {
        size_t e = end - 1;
        if (e > start && buf[e - 1] == '\r')
            e--;
        if (e > start && buf[e - 1] == '\n')
            end = e;
    }
    *pos = next;
    *msg = buf + start;
    *msg_len = end - start;
    return true;
}
