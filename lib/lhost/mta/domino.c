/* domino.c - HCL/IBM Domino's "DELIVERY FAILURE" report
 *
 *   Your message
 *
 *     Subject: Test
 *
 *   was not delivered to:
 *
 *     user@example.org
 *
 *   because:
 *
 *     User user (user@example.org) not listed in Domino Directory
 *
 * Every address under "was not delivered to:" shares the reason under "because:".
 */
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_subject_starts(m, "DELIVERY FAILURE:") ||
           mta_subject_starts(m, "DELIVERY_FAILURE:") ||
           (mta_head(m, "was not delivered to:") && mta_head(m, "because:"));
}

static const char *const cut_markers[] = {"What should you do?", NULL};

enum part { P_NONE, P_RCPTS, P_BECAUSE };

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cut_markers);
    size_t pos = 0, n, first = out->n;
    const char *l, *why = NULL, *why_end = NULL;
    enum part p = P_NONE;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        const char *x = l;
        size_t xn = n;
        ff_trim(&x, &xn);
        if (ff_startswith_case(x, xn, "was not delivered to:")) {
            p = P_RCPTS;
            continue;
        }
        if (ff_startswith_case(x, xn, "because:")) {
            p = P_BECAUSE;
            continue;
        }
        if (xn == 0) {
            if (p == P_BECAUSE && why != NULL)
                break;
            continue;
        }
        if (p == P_RCPTS) {
            ff_hit *h = mta_hit_add(out, x, xn, &st);
            if (h != NULL)
                st = mta_set(&h->dsn_action, "failed", 6);
        } else if (p == P_BECAUSE) {
            if (why == NULL)
                why = l;
            why_end = l + n;
        }
    }
    for (size_t i = first; st == FF_OK && why != NULL && i < out->n; i++)
        if (mta_diag_is_for(why, (size_t)(why_end - why), out, first, &out->v[i]))
            st = mta_set_diag(&out->v[i], why, (size_t)(why_end - why));
    return st;
}

const ff_lhost ff_lhost_domino = {"domino", detect, scan};
