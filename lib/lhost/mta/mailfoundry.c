/* mailfoundry.c - the MailFoundry gateway's "Message delivery has failed"
 *
 *   Unable to deliver message to: <user@example.org>
 *   Delivery failed for the following reason:
 *   Server mx.example.org[192.0.2.1] failed with: 550 <user@example.org> No such user
 *
 *   This has been a permanent failure.  No further delivery attempts will be made.
 */
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_head(m, "Delivery failed for the following reason:") &&
           mta_head(m, "Unable to deliver message to:");
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = m->text_len, pos = 0, n;
    const char *l, *why = NULL, *why_end = NULL;
    ff_hit *h = NULL;
    bool in = false;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        if (ff_startswith_case(l, n, "Unable to deliver message to:")) {
            h = mta_hit_add(out, l, n, &st);
            in = false;
        } else if (ff_startswith_case(l, n, "Delivery failed for the following reason:")) {
            in = h != NULL;
        } else if (in && mta_blank(l, n)) {
            break;
        } else if (in) {
            if (why == NULL)
                why = l;
            why_end = l + n;
        }
    }
    if (st != FF_OK || h == NULL)
        return st;
    if (why != NULL) {
        const char *srv = ff_memcasemem(why, (size_t)(why_end - why), "Server ");
        if (srv == why)
            st = mta_set_host(h, srv + 7, (size_t)(why_end - srv - 7));
        if (st == FF_OK)
            st = mta_set_diag(h, why, (size_t)(why_end - why));
    }
    if (st == FF_OK)
        st = mta_set(&h->dsn_action, "failed", 6);
    return st;
}

const ff_lhost ff_lhost_mailfoundry = {"mailfoundry", detect, scan};
