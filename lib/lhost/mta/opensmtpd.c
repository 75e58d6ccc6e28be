/* opensmtpd.c - OpenSMTPD's bounce and delay report
 *
 * smtpd's bounce.c writes an indented greeting and one unindented line per recipient:
 *
 *       Hi!
 *
 *       This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.
 *
 *       An error has occurred while attempting to deliver a message for
 *       the following list of recipients:
 *
 *   user@example.org: 550 5.1.1 <user@example.org>: Recipient address rejected
 *
 *       Below is a copy of the original message:
 *
 * The delay report says "A message is delayed for more than N hours for the following
 * list of recipients:" and that it "is only a temporary failure report".
 */
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_head(m, "This is the MAILER-DAEMON, please DO NOT REPLY") ||
           (mta_subject_starts(m, "Delivery status notification:") &&
            mta_head(m, "list of recipients:"));
}

static const char *const cut_markers[] = {"Below is a copy of the original message", NULL};

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cut_markers);
    bool delayed = ff_memcasemem(t, len, "A message is delayed") != NULL ||
                   ff_memcasemem(t, len, "temporary failure report") != NULL;
    size_t pos = 0, n;
    const char *l;
    bool in = false;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        if (!in) {
            in = ff_memcasemem(l, n, "list of recipients:") != NULL;
            continue;
        }
        if (mta_blank(l, n) || mta_indent(l, n) > 0)
            continue;
        const char *colon = ff_memcasemem(l, n, ": ");
        if (colon == NULL)
            continue;
        ff_hit *h = mta_hit_add(out, l, (size_t)(colon - l), &st);
        if (h == NULL)
            continue;
        st = mta_set_diag(h, colon + 2, (size_t)(l + n - colon - 2));
        if (st == FF_OK)
            st = delayed ? mta_set(&h->dsn_action, "delayed", 7)
                         : mta_set(&h->dsn_action, "failed", 6);
    }
    return st;
}

const ff_lhost ff_lhost_opensmtpd = {"opensmtpd", detect, scan};
