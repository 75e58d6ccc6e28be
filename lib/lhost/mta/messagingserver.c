/* messagingserver.c - Sun/Oracle Communications Messaging Server (and PMDF) reports
 *
 * The human part lists each recipient as labelled, indented fields:
 *
 *   This report relates to a message you sent with the following header fields:
 *   ...
 *   Your message cannot be delivered to the following recipients:
 *
 *     Recipient address: user@example.org
 *     Reason: Remote SMTP server has rejected address
 *     Diagnostic code: smtp;550 5.1.1 <user@example.org>... User unknown
 *     Remote system: dns;mx.example.org (TCP|192.0.2.1|2525|192.0.2.2|25) (...)
 *
 * "Your message has been enqueued and undeliverable for N day(s)" is the delay report.
 * The reason names the step ("rejected address" after RCPT, "rejected MAIL FROM
 * address"); the diagnostic code is the remote reply when there is one.
 */
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_head(m, "This report relates to a message you sent");
}

static const char *field(const char *l, size_t n, const char *name, size_t *vn)
{
    size_t ind = mta_indent(l, n);
    size_t k = strlen(name);
    if (!ff_startswith_case(l + ind, n - ind, name))
        return NULL;
    *vn = n - ind - k;
    return l + ind + k;
}

static ff_status reason(ff_hit *h, const char *v, size_t vn)
{
    ff_status st = FF_OK;
    if (ff_memcasemem(v, vn, "MAIL FROM") != NULL)
        st = mta_set(&h->command, "MAIL", 4);
    else if (ff_memcasemem(v, vn, "rejected address") != NULL)
        st = mta_set(&h->command, "RCPT", 4);
    if (st == FF_OK && h->diagnostic == NULL)
        st = mta_set_diag(h, v, vn);
    return st;
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = m->text_len, pos = 0, n, vn;
    const char *l, *v;
    bool delayed = ff_memcasemem(t, len < MTA_DETECT_SPAN ? len : MTA_DETECT_SPAN,
                                 "enqueued and undeliverable") != NULL;
    ff_hit *h = NULL;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        if ((v = field(l, n, "Recipient address:", &vn)) != NULL) {
            h = mta_hit_add(out, v, vn, &st);
            if (h != NULL)
                st = delayed ? mta_set(&h->dsn_action, "delayed", 7)
                             : mta_set(&h->dsn_action, "failed", 6);
        } else if (h == NULL) {
            continue;
        } else if ((v = field(l, n, "Reason:", &vn)) != NULL) {
            st = reason(h, v, vn);
        } else if ((v = field(l, n, "Diagnostic code:", &vn)) != NULL) {
            const char *semi = memchr(v, ';', vn);
            if (semi != NULL) {
                vn -= (size_t)(semi + 1 - v);
                v = semi + 1;
            }
            st = mta_set_diag(h, v, vn);
        } else if ((v = field(l, n, "Remote system:", &vn)) != NULL) {
            const char *semi = memchr(v, ';', vn);
            if (semi != NULL)
                st = mta_set_host(h, semi + 1, vn - (size_t)(semi + 1 - v));
        }
    }
    return st;
}

const ff_lhost ff_lhost_messagingserver = {"messagingserver", detect, scan};
