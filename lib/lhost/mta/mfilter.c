/* mfilter.c - the m-FILTER gateway's failure notice
 *
 * m-FILTER names the failed addresses, then gives the remote reply and the command it
 * answered under dashed titles:
 *
 *   user@example.org
 *
 *   -------server message
 *   550 5.1.1 <user@example.org>... User unknown
 *
 *   -------SMTP command
 *   RCPT
 *
 *   -------original message
 *
 * The introduction is in Japanese and names the product ("m-FILTER").
 */
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_head(m, "-------server message") && mta_head(m, "m-FILTER");
}

static const char *const cut_markers[] = {"-------original", NULL};

enum part { P_ADDRS, P_SERVER, P_COMMAND, P_OTHER };

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cut_markers);
    size_t pos = 0, n, first = out->n;
    const char *l, *srv = NULL, *srv_end = NULL, *cmd = NULL;
    size_t cmd_n = 0;
    enum part p = P_ADDRS;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        const char *x = l;
        size_t xn = n;
        ff_trim(&x, &xn);
        if (xn == 0)
            continue;
        if (ff_startswith_case(x, xn, "-------server message")) {
            p = P_SERVER;
        } else if (ff_startswith_case(x, xn, "-------SMTP command")) {
            p = P_COMMAND;
        } else if (ff_startswith_case(x, xn, "-------")) {
            p = P_OTHER;
        } else if (p == P_ADDRS) {
            size_t off, an;
            /* only a line that is an address: the introduction is prose */
            if (ff_addr_find(x, xn, &off, &an) && an + 2 >= xn)
                (void)mta_hit_add(out, x, xn, &st);
        } else if (p == P_SERVER) {
            if (srv == NULL)
                srv = x;
            srv_end = x + xn;
        } else if (p == P_COMMAND && cmd == NULL) {
            cmd = x;
            cmd_n = xn;
        }
    }
    for (size_t i = first; st == FF_OK && i < out->n; i++) {
        ff_hit *h = &out->v[i];
        if (srv != NULL)
            st = mta_set_diag(h, srv, (size_t)(srv_end - srv));
        if (st == FF_OK && cmd != NULL)
            st = mta_set_command(h, cmd, cmd_n);
        if (st == FF_OK)
            st = mta_set(&h->dsn_action, "failed", 6);
    }
    return st;
}

const ff_lhost ff_lhost_mfilter = {"mfilter", detect, scan};
