/* apachejames.c - Apache James' bounce (its default bounce mailet text)
 *
 *   Error: Invalid user address
 *
 *   Error message below:
 *   550 - Requested action not taken: no such user here
 *
 *   Message details:
 *     Subject: hello
 *     MAIL FROM: sender@example.com
 *     RCPT TO: user@example.org
 *
 * The recipients are the "RCPT TO:" lines of the details; the error message is their
 * diagnostic.
 */
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_head(m, "Error message below:") && mta_head(m, "Message details:");
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = m->text_len, pos = 0, n, first = out->n;
    const char *l, *err = NULL, *err_end = NULL;
    bool in_err = false, in_details = false;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        const char *x = l;
        size_t xn = n;
        ff_trim(&x, &xn);
        if (ff_startswith_case(x, xn, "Error message below:")) {
            in_err = true;
            continue;
        }
        if (ff_startswith_case(x, xn, "Message details:")) {
            in_err = false;
            in_details = true;
            continue;
        }
        if (in_err && xn > 0) {
            if (err == NULL)
                err = x;
            err_end = x + xn;
        } else if (in_details && ff_startswith_case(x, xn, "RCPT TO:")) {
            (void)mta_hit_add(out, x + 8, xn - 8, &st);
        }
    }
    for (size_t i = first; st == FF_OK && i < out->n; i++) {
        if (err != NULL &&
            mta_diag_is_for(err, (size_t)(err_end - err), out, first, &out->v[i]))
            st = mta_set_diag(&out->v[i], err, (size_t)(err_end - err));
        if (st == FF_OK)
            st = mta_set(&out->v[i].dsn_action, "failed", 6);
    }
    return st;
}

const ff_lhost ff_lhost_apachejames = {"apachejames", detect, scan};
