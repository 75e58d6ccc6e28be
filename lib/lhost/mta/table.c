/* table.c - MTA scanners in the order they are tried (see lib/lhost.c)
 *
 * Formats with a banner of their own come first. sendmail goes after the MTAs that
 * borrow its "Transcript of session" lines, and generic, which accepts any
 * "<address>... reason" text, is always last.
 */
#include "lhost.h"

extern const ff_lhost ff_lhost_postfix;
extern const ff_lhost ff_lhost_sendmail;
extern const ff_lhost ff_lhost_exim;
extern const ff_lhost ff_lhost_qmail;

const ff_lhost *const ff_lhost_mtas[] = {
    &ff_lhost_postfix,
    &ff_lhost_exim,
    &ff_lhost_qmail,
    &ff_lhost_sendmail,
};
const size_t ff_lhost_nmtas = sizeof ff_lhost_mtas / sizeof ff_lhost_mtas[0];
