/* presign.h - internal: DKIM signatures made ahead, on threads of their own
 *
 * An RSA-2048 signature costs about as much CPU as the whole SMTP transaction that
 * carries it. The queue runner knows which messages it will send next, so other threads
 * sign messages i+1, i+2, ... while the runner talks SMTP for message i: delivery then
 * runs at the speed of the slower side, not of their sum.
 */
#ifndef FF_PRESIGN_H
#define FF_PRESIGN_H

#include <stddef.h>

#include "fivefifty/dkim.h"
#include "fivefifty/error.h"

typedef struct ff_presign ff_presign;

/* ff_presign_start() starts signing msgs[0..n) (lens[i] bytes each) in order with the
 * signer `tmpl` (copied; its strings and key must outlive the presigner, and nothing else
 * may use the key meanwhile). The messages stay the caller's: msgs[i] must not change
 * until ff_presign_wait(p, i) has returned (then the thread is done with it) or
 * ff_presign_stop(). A NULL msgs[i] is skipped. Returns FF_OK, FF_ENOMEM or FF_EIO (no
 * thread); *out is freed by ff_presign_stop(). */
ff_status ff_presign_start(const ff_dkim_signer *tmpl, char *const *msgs, const size_t *lens,
                           size_t n, ff_presign **out);

/* ff_presign_wait() waits until message i is signed and returns its "DKIM-Signature:"
 * field, borrowed from p until ff_presign_stop(), or NULL when signing it failed. */
const char *ff_presign_wait(ff_presign *p, size_t i);

/* ff_presign_stop() stops the thread (messages not yet signed are abandoned), frees every
 * signature and p. NULL is accepted. */
void ff_presign_stop(ff_presign *p);

#endif
