/* notes.c - the Lotus Notes SMTP MTA's "Undeliverable message"
 *
 * Between two dashed titles it gives the reason, then the address it concerns:
 *
 *   ------- Failure Reasons  --------
 *
 *   User not listed in public Name & Address Book
 *   user@example.org
 *
 *   ------- Returned Message --------
 *
 * A reason line applies to the addresses after it, up to the next reason.
 */
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_head(m, "------- Failure Reasons");
}

static const char *const cut_markers[] = {"------- Returned Message", NULL};

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cut_markers);
    const char *start = ff_memcasemem(t, len, "------- Failure Reasons");
    if (start == NULL)
        return FF_OK;
    size_t pos = (size_t)(start - t), n;
    const char *l, *why = NULL;
    size_t why_n = 0;
    ff_status st = FF_OK;
    ff_line_next(t, len, &pos, &l, &n); /* the title */
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        const char *x = l;
        size_t xn = n;
        ff_trim(&x, &xn);
        if (xn == 0)
            continue;
        size_t off, an;
        /* an address alone on its line is a recipient; anything else is a reason */
        if (ff_addr_find(x, xn, &off, &an) && an + 2 >= xn) {
            ff_hit *h = mta_hit_add(out, x, xn, &st);
            if (h != NULL && why != NULL)
                st = mta_set_diag(h, why, why_n);
            if (st == FF_OK && h != NULL)
                st = mta_set(&h->dsn_action, "failed", 6);
        } else {
            why = x;
            why_n = xn;
        }
    }
    return st;
}

const ff_lhost ff_lhost_notes = {"notes", detect, scan};
