/* table.c - MTA scanners in the order they are tried (see lib/lhost.c)
 *
 * Formats with a banner of their own come first (fml, told by its headers, before all); dragonfly precedes exim because both
 * use the subject "Mail delivery failed". sendmail goes after the MTAs that borrow its
 * "Transcript of session" lines, and generic, which accepts any "<address>... reason"
 * text, is always last. decode.c takes the first scanner that detects a message and
 * finds recipients in it: a detect() that fires on a message it cannot read costs only
 * time, as long as its scan() then finds nobody.
 */
#include "lhost.h"

extern const ff_lhost ff_lhost_fml;
extern const ff_lhost ff_lhost_dragonfly;
extern const ff_lhost ff_lhost_postfix;
extern const ff_lhost ff_lhost_exim;
extern const ff_lhost ff_lhost_qmail;
extern const ff_lhost ff_lhost_courier;
extern const ff_lhost ff_lhost_opensmtpd;
extern const ff_lhost ff_lhost_messagingserver;
extern const ff_lhost ff_lhost_notes;
extern const ff_lhost ff_lhost_domino;
extern const ff_lhost ff_lhost_mailfoundry;
extern const ff_lhost ff_lhost_imailserver;
extern const ff_lhost ff_lhost_exchange2003;
extern const ff_lhost ff_lhost_exchange2007;
extern const ff_lhost ff_lhost_mfilter;
extern const ff_lhost ff_lhost_apachejames;
extern const ff_lhost ff_lhost_sendmail;
extern const ff_lhost ff_lhost_generic;

const ff_lhost *const ff_lhost_mtas[] = {
    &ff_lhost_fml,
    &ff_lhost_dragonfly,
    &ff_lhost_postfix,
    &ff_lhost_exim,
    &ff_lhost_qmail,
    &ff_lhost_courier,
    &ff_lhost_opensmtpd,
    &ff_lhost_messagingserver,
    &ff_lhost_notes,
    &ff_lhost_domino,
    &ff_lhost_mailfoundry,
    &ff_lhost_imailserver,
    &ff_lhost_exchange2003,
    &ff_lhost_exchange2007,
    &ff_lhost_mfilter,
    &ff_lhost_apachejames,
    &ff_lhost_sendmail,
    &ff_lhost_generic,
};
const size_t ff_lhost_nmtas = sizeof ff_lhost_mtas / sizeof ff_lhost_mtas[0];
