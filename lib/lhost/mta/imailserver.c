/* imailserver.c - Ipswitch IMail Server's "Undeliverable Mail"
 *
 * IMail's SMTP32 puts the reason and the address on one line, or names the address and
 * quotes the remote reply below it:
 *
 *   Unknown user: user@example.org
 *
 *   undeliverable to user@example.org
 *   Body of message generated response:
 *   550 5.7.1 Message rejected
 *
 * and ends with "Original message follows." X-Mailer says "<SMTP32 vN>".
 */
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    /* SMTP32 also relays people's mail: its X-Mailer needs a bounce's subject too */
    const char *xm = ff_mail_header(m, "X-Mailer");
    bool smtp32 = xm != NULL && ff_startswith_case(xm, strlen(xm), "<SMTP32 v");
    return (smtp32 || mta_head(m, "Original message follows.")) &&
           mta_subject_starts(m, "Undeliverable Mail");
}

static const char *const cut_markers[] = {"Original message follows.", NULL};

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cut_markers);
    size_t pos = 0, n, first = out->n;
    const char *l, *resp = NULL, *resp_end = NULL;
    ff_hit *h = NULL;
    bool in = false;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        const char *x = l;
        size_t xn = n;
        ff_trim(&x, &xn);
        if (in) {
            if (xn == 0 && resp != NULL)
                in = false;
            else if (xn > 0) {
                if (resp == NULL)
                    resp = x;
                resp_end = x + xn;
            }
            continue;
        }
        if (ff_startswith_case(x, xn, "undeliverable to ")) {
            h = mta_hit_add(out, x, xn, &st);
        } else if (ff_startswith_case(x, xn, "Body of message generated response:")) {
            in = h != NULL;
        } else if (!ff_startswith_case(x, xn, "To:") && !ff_startswith_case(x, xn, "CC:") &&
                   !ff_startswith_case(x, xn, "From:")) {
            /* "Reason text: user@example.org" */
            const char *colon = ff_memcasemem(x, xn, ": ");
            size_t off, an;
            if (colon != NULL && ff_addr_find(colon, xn - (size_t)(colon - x), &off, &an)) {
                ff_hit *hh = mta_hit_add(out, colon, xn - (size_t)(colon - x), &st);
                if (hh != NULL)
                    st = mta_set_diag(hh, x, xn);
            }
        }
    }
    /* the quoted response answers every "undeliverable to" address before it */
    for (size_t i = first; st == FF_OK && i < out->n; i++) {
        if (out->v[i].diagnostic == NULL && resp != NULL &&
            mta_diag_is_for(resp, (size_t)(resp_end - resp), out, first, &out->v[i]))
            st = mta_set_diag(&out->v[i], resp, (size_t)(resp_end - resp));
        if (st == FF_OK)
            st = mta_set(&out->v[i].dsn_action, "failed", 6);
    }
    return st;
}

const ff_lhost ff_lhost_imailserver = {"imailserver", detect, scan};
