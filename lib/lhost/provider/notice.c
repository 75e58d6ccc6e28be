/* notice.c - the one scanner behind the plain-text notices of notice.h */
#include "notice.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../mta/common.h"
#include "text.h"

#define PROSE_MAX 4096 /* a notice's own words are a few sentences */

static bool any_in(const char *s, const char *const *list)
{
    if (s == NULL || list == NULL)
        return false;
    for (const char *const *p = list; *p != NULL; p++)
        if (ff_memcasemem(s, strlen(s), *p) != NULL)
            return true;
    return false;
}

bool ff_notice_detect(const ff_mail *m, const ff_notice_format *f)
{
    if (m->feedback != NULL || m->dsn != NULL || !any_in(ff_mail_header(m, "From"), f->from))
        return false;
    if (f->heads == NULL)
        return true;
    for (const char *const *h = f->heads; *h != NULL; h++)
        if (mta_head(m, *h))
            return true;
    return false;
}

/* Is x[0..n) an address and nothing else but brackets and punctuation around it? */
static bool addr_alone(const char *x, size_t n, size_t off, size_t an)
{
    for (size_t i = 0; i < n; i++)
        if ((i < off || i >= off + an) && !strchr("<>:;,. \t", x[i]))
            return false;
    return true;
}

/* The paragraph after `at` (blank lines first skipped) in s[..end), trimmed: *p, *n. */
static void paragraph(const char *at, const char *end, const char **p, size_t *n)
{
    while (at < end && isspace((unsigned char)*at))
        at++;
    const char *e = at;
    while (e < end) {
        const char *nl = memchr(e, '\n', (size_t)(end - e));
        const char *le = nl ? nl : end;
        if (mta_blank(e, (size_t)(le - e)))
            break;
        e = nl ? nl + 1 : end;
    }
    *p = at;
    *n = (size_t)(e - at);
    ff_trim(p, n);
}

static void prose_add(char *prose, size_t *pn, const char *x, size_t xn)
{
    if (*pn + xn + 2 > PROSE_MAX)
        return;
    if (*pn)
        prose[(*pn)++] = ' ';
    memcpy(prose + *pn, x, xn);
    *pn += xn;
    prose[*pn] = '\0';
}

/* The returned message's To: line, for notices that name nobody themselves. */
static ff_status to_of_original(const ff_mail *m, size_t from, ff_hits *out)
{
    size_t pos = from, n;
    const char *l;
    ff_status st = FF_OK;
    while (ff_line_next(m->text, m->text_len, &pos, &l, &n)) {
        if (ff_startswith_case(l, n, "To:")) {
            mta_hit_add(out, l + 3, n - 3, &st);
            break;
        }
    }
    return st;
}

ff_status ff_notice_scan(const ff_mail *m, const ff_notice_format *f, ff_hits *out)
{
    const char *t = m->text;
    size_t len = f->cuts ? mta_cut(t, m->text_len, f->cuts) : m->text_len;
    char *prose = malloc(PROSE_MAX);
    if (prose == NULL)
        return FF_ENOMEM;
    prose[0] = '\0';
    size_t pn = 0, pos = 0, n, first = out->n;
    const char *l;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        const char *x = l;
        size_t xn = n, off, an;
        ff_trim(&x, &xn);
        if (xn == 0 || ff_startswith_case(x, xn, "-----"))
            continue;
        bool has = ff_addr_find(x, xn, &off, &an);
        const char *pre = NULL;
        for (const char *const *p = f->prefixes; has && p && *p && !pre; p++)
            pre = ff_memcasemem(x, xn, *p);
        if (has && (addr_alone(x, xn, off, an) || (pre && (size_t)(pre - x) <= off))) {
            mta_hit_add(out, x + off, an, &st);
            continue;
        }
        if (has && f->addr_then_reason && off <= 1) {
            ff_hit *h = mta_hit_add(out, x + off, an, &st);
            const char *r = x + off + an;
            size_t rn = xn - off - an;
            while (rn && strchr(">:;,. \t", *r))
                r++, rn--;
            if (h && rn)
                st = mta_set_diag(h, r, rn);
            continue;
        }
        prose_add(prose, &pn, x, xn);
    }
    if (st == FF_OK && out->n == first && f->to_of_original)
        st = to_of_original(m, len, out);

    const char *d = prose;
    size_t dn = pn;
    for (const char *const *r = f->reasons; r && *r; r++) {
        const char *at = ff_memcasemem(t, len, *r);
        if (at) {
            paragraph(at + strlen(*r), t + len, &d, &dn);
            break;
        }
    }
    for (size_t i = first; st == FF_OK && i < out->n; i++) {
        ff_hit *h = &out->v[i];
        if (h->diagnostic == NULL && dn > 0 && mta_diag_is_for(d, dn, out, first, h))
            st = mta_set_diag(h, d, dn);
        if (st == FF_OK)
            st = mta_set(&h->dsn_action, "failed", 6);
    }
    free(prose);
    return st;
}
