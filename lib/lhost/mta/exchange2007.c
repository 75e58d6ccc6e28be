/* exchange2007.c - Microsoft Exchange Server 2007 and later: the non-delivery report
 *
 * The report has two halves. The first, in the sender's language, lists each recipient
 * as "Name<mailto:user@example.org>" with a sentence for people. The second, "Diagnostic
 * information for administrators", repeats each address alone on a line and gives the
 * reply in a shape that stays English in every language:
 *
 *   Generating server: mail.example.com
 *
 *   user@example.org
 *   #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##
 *
 *   user@example.net
 *   Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'
 *   9/3/2016 8:05:56 PM - Remote Server at mx.example.net (192.0.2.3) returned '...'
 *
 * The reply of the administrators' half is the diagnostic; the sentence for people is
 * kept only where that half says nothing. The original headers follow, from "Received:".
 */
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_head(m, "Diagnostic information for administrators") ||
           mta_head(m, "Remote Server returned '") ||
           (mta_head(m, "<mailto:") && mta_head(m, " RESOLVER."));
}

static const char *const cut_markers[] = {"Original message headers", "Received: from", NULL};

static ff_hit *find(ff_hits *out, size_t first, const char *s, size_t n)
{
    size_t off, an;
    if (!ff_addr_find(s, n, &off, &an))
        return NULL;
    for (size_t i = first; i < out->n; i++) {
        const char *r = out->v[i].recipient;
        if (r != NULL && strlen(r) == an && strncasecmp(r, s + off, an) == 0)
            return &out->v[i];
    }
    return NULL;
}

/* A line that is one address and nothing else, or "Name<mailto:addr>". */
static bool addr_line(const char *x, size_t xn, bool *mailto)
{
    size_t off, an;
    *mailto = ff_memcasemem(x, xn, "<mailto:") != NULL;
    if (*mailto)
        return memchr(x, '@', xn) != NULL;
    return ff_addr_find(x, xn, &off, &an) && off == 0 && an == xn;
}

/* The reply in "#550 5.1.1 ... ##" or "... returned '550 5.1.1 ...'", or false. */
static bool reply(const char *x, size_t xn, const char **r, size_t *rn)
{
    if (xn > 4 && x[0] == '#' && memcmp(x + xn - 2, "##", 2) == 0) {
        *r = x + 1;
        *rn = xn - 3;
        return true;
    }
    const char *q = ff_memcasemem(x, xn, "returned '");
    if (q == NULL)
        return false;
    q += 10;
    const char *e = x + xn;
    if (e > q && e[-1] == '\'')
        e--;
    *r = q;
    *rn = (size_t)(e - q);
    return true;
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cut_markers);
    size_t pos = 0, n, first = out->n;
    const char *l;
    ff_hit *cur = NULL;
    bool people = false;   /* the line after "Name<mailto:...>" explains it to people */
    bool answered = false; /* cur has its administrators' reply: the newest comes first */
    const char *recv = NULL;
    size_t recv_n = 0;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        const char *x = l, *r;
        size_t xn = n, rn;
        ff_trim(&x, &xn);
        if (xn == 0)
            continue;
        bool mailto;
        if (addr_line(x, xn, &mailto)) {
            /* at the cap, stop: each lookup walks every hit */
            if (out->n >= MTA_MAX_HITS)
                break;
            const char *a = mailto ? ff_memcasemem(x, xn, "<mailto:") + 8 : x;
            size_t an = xn - (size_t)(a - x);
            cur = find(out, first, a, an);
            if (cur == NULL) {
                cur = mta_hit_add(out, a, an, &st);
                if (cur != NULL)
                    st = mta_set(&cur->dsn_action, "failed", 6);
            }
            people = mailto;
            answered = false;
            if (cur != NULL && recv != NULL && st == FF_OK)
                st = mta_set_host(cur, recv, recv_n);
            continue;
        }
        if (ff_startswith_case(x, xn, "Receiving server:")) {
            recv = x + 17;
            recv_n = xn - 17;
            continue;
        }
        if (cur == NULL)
            continue;
        if (reply(x, xn, &r, &rn)) {
            if (!answered) {
                st = mta_set_diag(cur, r, rn);
                const char *at = ff_memcasemem(x, xn, "Remote Server at ");
                if (st == FF_OK && at != NULL)
                    st = mta_set_host(cur, at + 17, xn - (size_t)(at + 17 - x));
                answered = true;
            }
        } else if (people && cur->diagnostic == NULL) {
            st = mta_set_diag(cur, x, xn);
        }
        people = false;
    }
    return st;
}

const ff_lhost ff_lhost_exchange2007 = {"exchange2007", detect, scan};
