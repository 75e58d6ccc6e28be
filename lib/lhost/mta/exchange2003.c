/* exchange2003.c - Microsoft Exchange Server 2000/2003's non-delivery report
 *
 * Exchange before 2007 writes its human part in one of two wordings. The older:
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
 * and the later (Exchange 2003 SP1 on, as Microsoft's KB 284204 shows it), where the
 * recipient lines are indented too and the last line of each block quotes the remote
 * server, "<mx.example.org #5.1.1 smtp;550 5.1.1 ... User unknown>":
 *
 *   Your message did not reach some or all of the intended recipients.
 *
 *         Subject: hello
 *
 *   The following recipient(s) could not be reached:
 *
 *         user@example.org on 3/2/2026 10:00 AM
 *               The e-mail account does not exist at the organization ...
 *               <mx.example.org #5.1.1 smtp;550 5.1.1 <user@example.org>... User unknown>
 *
 * The lines under each "ADDRESS on DATE" line, indented deeper than it, are its
 * diagnostic; the "MSEXCH:..." line carries Exchange's own error code in parentheses.
 */
#include <stdint.h>
#include <string.h>

#include "common.h"
#include "text.h"

static const char *const intros[] = {"did not reach the following recipient(s):",
                                     "The following recipient(s) could not be reached:"};

static bool detect(const ff_mail *m)
{
    return mta_head(m, intros[0]) || mta_head(m, intros[1]);
}

/* "<mx.example.org #5.1.1 smtp;550 ...>" in a block: the server that answered. */
static ff_status quoted_host(ff_hit *h, const char *b, size_t n)
{
    const char *lt = memchr(b, '<', n);
    while (lt != NULL) {
        size_t rest = (size_t)(b + n - lt - 1);
        const char *hash = memchr(lt + 1, '#', rest);
        const char *sp = memchr(lt + 1, ' ', rest);
        if (hash != NULL && sp != NULL && sp + 1 == hash &&
            memchr(lt + 1, '@', (size_t)(sp - lt - 1)) == NULL)
            return mta_set_host(h, lt + 1, (size_t)(sp - lt - 1));
        lt = memchr(lt + 1, '<', rest);
    }
    return FF_OK;
}

/* A recipient's block b[0..be) is complete: its diagnostic and the server it quotes. */
static ff_status close_block(ff_hit *h, const char *b, const char *be)
{
    if (h == NULL || b == NULL)
        return FF_OK;
    ff_status st = mta_set_diag(h, b, (size_t)(be - b));
    return st == FF_OK ? quoted_host(h, b, (size_t)(be - b)) : st;
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = m->text_len;
    const char *intro = ff_memcasemem(t, len, intros[0]);
    if (intro == NULL)
        intro = ff_memcasemem(t, len, intros[1]);
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
    size_t rindent = SIZE_MAX; /* the recipient lines' indent, set by the first */
    while (st == FF_OK) {
        bool have = ff_line_next(t, len, &pos, &l, &n);
        size_t ind = have ? mta_indent(l, n) : 0;
        bool rcpt = have && (rindent == SIZE_MAX || ind <= rindent) &&
                    ff_memcasemem(l, n, " on ") != NULL && memchr(l, '@', n) != NULL;
        /* a recipient line or the end closes the block of the one before */
        if (!have || rcpt) {
            st = close_block(h, b, be);
            if (!have || st != FF_OK)
                break;
            rindent = ind;
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
        if (rindent > 0 && ind <= rindent) {
            /* back at the indented recipients' level without a recipient: the list has
             * ended (the older wording's recipients start the line, and its wrapped
             * diagnostics may too) */
            st = close_block(h, b, be);
            h = NULL;
            b = be = NULL;
            continue;
        }
        if (b == NULL)
            b = l;
        be = l + n;
    }
    return st;
}

const ff_lhost ff_lhost_exchange2003 = {"exchange2003", detect, scan};
