/* autoreply.h - automatic replies (RFC 3834): out-of-office and autoresponders
 *
 * An auto-reply is not a bounce: the mail was delivered and someone's software answered.
 * fivefifty records it as reason "vacation" and changes nothing about the address. The
 * danger is the other way round: bounces are auto-submitted too (RFC 3464 DSNs carry
 * "Auto-Submitted: auto-replied"), so a message counts as an auto-reply only on evidence
 * that it is not a delivery report.
 *
 * Pure: header values in, a verdict out.
 */
#ifndef FIVEFIFTY_AUTOREPLY_H
#define FIVEFIFTY_AUTOREPLY_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The header values that matter, borrowed; NULL when absent. */
typedef struct ff_autoreply_hdrs {
    const char *auto_submitted;          /* RFC 3834 */
    const char *precedence;              /* auto_reply, bulk, junk */
    const char *x_autoreply;             /* X-Autoreply: yes */
    const char *x_autorespond;           /* X-Autorespond */
    const char *x_auto_response_suppress;
    const char *subject;
    const char *from;
    const char *content_type;            /* a multipart/report is never an auto-reply */
} ff_autoreply_hdrs;

/* ff_autoreply_detect() says whether the message is an automatic reply, and why (a static
 * string for a person) through *why when why is not NULL. */
bool ff_autoreply_detect(const ff_autoreply_hdrs *h, const char **why);

#ifdef __cplusplus
}
#endif
#endif
