/* mbox.h - split an mbox file into messages
 *
 * An mbox holds messages each introduced by a "From " line at the start of the file or
 * after a line end (the mboxo/mboxrd/mboxcl family all share this). The splitter only
 * finds boundaries; it copies nothing, so a multi-gigabyte mailbox mapped into memory
 * costs no more than the message being decoded.
 *
 * ">From " quoting is left in place: decoders read headers and status fields, which an
 * escaped body line never touches.
 */
#ifndef FIVEFIFTY_MBOX_H
#define FIVEFIFTY_MBOX_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ff_mbox_is() says whether `buf` looks like an mbox: it starts with "From " followed by
 * something on the same line. */
bool ff_mbox_is(const char *buf, size_t len);

/* ff_mbox_next() finds the next message of the mbox `buf` (len bytes) from *pos (start at
 * 0). It stores the message without its "From " line in *msg, *msg_len (borrowed from buf),
 * advances *pos past it and returns true; false when no message is left. */
bool ff_mbox_next(const char *buf, size_t len, size_t *pos, const char **msg,
                  size_t *msg_len);

#ifdef __cplusplus
}
#endif
#endif
