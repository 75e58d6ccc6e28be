/* mailmarshal.c - Trustwave Secure Email Gateway (formerly MailMarshal SMTP) notices
 *
 * The gateway titles its notice 'Undeliverable Mail: "<original subject>"' and writes one
 * reason for every recipient it lists, then its own trace fields:
 *
 *   Your message:
 *      From:    sender@example.com
 *      Subject: ...
 *
 *   Could not be delivered because of
 *
 *   550 5.1.1 User unknown
 *
 *   The following recipients were affected:
 *       user@example.org
 *
 *   Additional Information
 *   ======================
 *   Remote-MTA:         <192.0.2.20>
 *
 * Every listed recipient gets the reason paragraph as its diagnostic, unless the paragraph
 * quotes one of them (then it is that one's), and the Remote-MTA as the host that gave it.
 */
#include <string.h>

#include "../mta/common.h"
#include "text.h"

static const char because[] = "Could not be delivered because of";
static const char affected[] = "The following recipients were affected:";

static bool detect(const ff_mail *m)
{
    return mta_subject_starts(m, "Undeliverable Mail: \"") && m->text != NULL &&
           ff_memcasemem(m->text, m->text_len, because) != NULL;
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text, *l;
    size_t len = m->text_len, pos = 0, n, first = out->n;
    const char *why = NULL, *why_end = NULL, *remote = NULL;
    size_t remote_n = 0;
    enum { NONE, REASON, RCPTS, INFO } sec = NONE;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        const char *x = l;
        size_t xn = n;
        ff_trim(&x, &xn);
        if (ff_startswith_case(x, xn, because)) {
            sec = REASON;
            continue;
        }
        if (ff_startswith_case(x, xn, affected)) {
            sec = RCPTS;
            continue;
        }
        if (ff_startswith_case(x, xn, "Additional Information")) {
            sec = INFO;
            continue;
        }
        if (xn == 0)
            continue;
        if (sec == REASON) {
            if (why == NULL)
                why = l;
            why_end = l + n;
        } else if (sec == RCPTS) {
            size_t off, an;
            /* an address alone on its line; anything else ends the list */
            if (ff_addr_find(x, xn, &off, &an) && an + 2 >= xn)
                (void)mta_hit_add(out, x, xn, &st);
            else
                sec = NONE;
        } else if (sec == INFO && ff_startswith_case(x, xn, "Remote-MTA:")) {
            remote = x + 11;
            remote_n = xn - 11;
            ff_trim(&remote, &remote_n);
            if (remote_n >= 2 && remote[0] == '<' && remote[remote_n - 1] == '>') {
                remote++;
                remote_n -= 2;
            }
        }
    }
    size_t why_n = why ? (size_t)(why_end - why) : 0;
    for (size_t i = first; st == FF_OK && i < out->n; i++) {
        ff_hit *h = &out->v[i];
        if (why != NULL && mta_diag_is_for(why, why_n, out, first, h))
            st = mta_set_diag(h, why, why_n);
        if (st == FF_OK && remote != NULL && remote_n > 0)
            st = mta_set_host(h, remote, remote_n);
        if (st == FF_OK)
            st = mta_set(&h->dsn_action, "failed", 6);
    }
    return st;
}

const ff_lhost ff_lhost_mailmarshal = {"mailmarshal", detect, scan};
