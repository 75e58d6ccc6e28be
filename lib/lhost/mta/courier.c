/* courier.c - the Courier mail server's delivery status notice
 *
 * courieresmtp writes, after "UNDELIVERABLE MAIL" (or "DELAYED MAIL"), one block per
 * recipient with the host it talked to and the SMTP exchange that failed:
 *
 *   <user@example.org>:
 *       mx.example.org [192.0.2.1]:
 *   >>> RCPT TO:<user@example.org>
 *   <<< 550 5.1.1 <user@example.org>... User Unknown
 *
 * A local failure has its own text in place of the exchange. The block ends at the next
 * recipient or at the line of dashes that closes the notice.
 */
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_head(m, "running the Courier mail server") ||
           mta_subject_starts(m, "NOTICE: mail delivery status.");
}

static bool rcpt_line(const char *l, size_t n)
{
    ff_trim(&l, &n);
    return n > 4 && l[0] == '<' && l[n - 1] == ':' && memchr(l, '@', n) != NULL;
}

/* The block of one recipient, b[0..bn). */
static ff_status block(ff_hit *h, const char *b, size_t bn)
{
    size_t pos = 0, n;
    const char *l, *r = NULL, *re = NULL, *txt = NULL, *te = NULL;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(b, bn, &pos, &l, &n)) {
        if (n >= 4 && memcmp(l, ">>> ", 4) == 0) {
            st = mta_set_command(h, l + 4, n - 4);
        } else if (n >= 3 && memcmp(l, "<<<", 3) == 0) {
            if (r == NULL)
                r = l;
            re = l + n;
        } else if (mta_indent(l, n) > 0 && n > 0 && l[n - 1] == ':' &&
                   memchr(l, '[', n) != NULL) {
            st = mta_set_host(h, l, n);
        } else if (!mta_blank(l, n)) {
            if (txt == NULL)
                txt = l;
            te = l + n;
        }
    }
    if (st != FF_OK)
        return st;
    if (r != NULL) {
        /* the "<<< " markers go; the reply lines stay in order */
        char buf[4096];
        size_t o = 0, p2 = 0, ln;
        const char *x;
        while (ff_line_next(r, (size_t)(re - r), &p2, &x, &ln)) {
            if (ln >= 3 && memcmp(x, "<<<", 3) == 0) {
                x += 3;
                ln -= 3;
            }
            if (o + ln + 1 >= sizeof buf)
                break;
            memcpy(buf + o, x, ln);
            o += ln;
            buf[o++] = ' ';
        }
        return mta_set_diag(h, buf, o);
    }
    return txt ? mta_set_diag(h, txt, (size_t)(te - txt)) : FF_OK;
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = m->text_len, pos = 0, n;
    const char *l;
    bool delayed = ff_memcasemem(t, len < MTA_DETECT_SPAN ? len : MTA_DETECT_SPAN,
                                 "DELAYED MAIL") != NULL;
    ff_status st = FF_OK;
    bool have = ff_line_next(t, len, &pos, &l, &n);
    while (have && st == FF_OK) {
        if (!rcpt_line(l, n)) {
            have = ff_line_next(t, len, &pos, &l, &n);
            continue;
        }
        ff_hit *h = mta_hit_add(out, l, n, &st);
        const char *b = NULL, *be = NULL;
        while ((have = ff_line_next(t, len, &pos, &l, &n))) {
            if (rcpt_line(l, n) || ff_startswith_case(l, n, "-----"))
                break;
            if (b == NULL)
                b = l;
            be = l + n;
        }
        if (h == NULL)
            continue;
        if (b != NULL)
            st = block(h, b, (size_t)(be - b));
        if (st == FF_OK)
            st = delayed ? mta_set(&h->dsn_action, "delayed", 7)
                         : mta_set(&h->dsn_action, "failed", 6);
    }
    return st;
}

const ff_lhost ff_lhost_courier = {"courier", detect, scan};
