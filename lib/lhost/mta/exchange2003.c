/* exchange2003.c - Microsoft Exchange Server 2000/2003's non-delivery report
 *
 * Exchange before 2007 writes its human part as
 *
 *   Your message
 *
 *     To:      user@example.org
 *     Subject: hello
 *     Sent:    Mon, 2 Mar 2026 10:00:00 +0000
 *
 *   did not reach the following recipient(s):
 *
 *   user@example.org on Mon, 2 Mar 2026 10:00:00 +0000
 *       The recipient name is not recognized
 *       MSEXCH:IMS:EXAMPLE:SITE:SERVER 0 (000C05A6) Unknown Recipient
 *
 * The indented lines under each "ADDRESS on DATE" line are its diagnostic; the
 * "MSEXCH:..." line carries Exchange's own error code in parentheses.
 */
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_head(m, "did not reach the following recipient(s):");
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = m->text_len;
    const char *intro = ff_memcasemem(t, len, "did not reach the following recipient(s):");
    if (intro == NULL)
        return FF_OK;
    /* set, though ff_line_next() sets them whenever it returns true: with it inline, GCC
     * cannot tell that every use below follows a true return */
    size_t pos = (size_t)(intro - t), n = 0;
    const char *l = NULL;
    ff_line_next(t, len, &pos, &l, &n);
    ff_hit *h = NULL;
    const char *b = NULL, *be = NULL;
    ff_status st = FF_OK;
    while (st == FF_OK) {
        bool have = ff_line_next(t, len, &pos, &l, &n);
        bool rcpt = have && mta_indent(l, n) == 0 && ff_memcasemem(l, n, " on ") != NULL &&
                    memchr(l, '@', n) != NULL;
        /* a recipient line or the end closes the block of the one before */
        if (!have || rcpt) {
            if (h != NULL && b != NULL)
                st = mta_set_diag(h, b, (size_t)(be - b));
            if (!have || st != FF_OK)
                break;
            const char *on = ff_memcasemem(l, n, " on ");
            h = mta_hit_add(out, l, (size_t)(on - l), &st);
            if (h != NULL)
                st = mta_set(&h->dsn_action, "failed", 6);
            b = be = NULL;
            continue;
        }
        if (mta_blank(l, n))
            continue;
        if (h == NULL)
            continue;
        if (b == NULL)
            b = l;
        be = l + n;
    }
    return st;
}

const ff_lhost ff_lhost_exchange2003 = {"exchange2003", detect, scan};
