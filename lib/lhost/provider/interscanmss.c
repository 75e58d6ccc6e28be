/* interscanmss.c - Trend Micro InterScan Messaging Security Suite's delivery failures
 *
 * The gateway signs as "InterScan MSS" or "InterScan Notification" and titles its notice
 * "Mail could not be delivered" (in Japanese "メッセージを配信できません。" or
 * "メール配信に失敗しました"). The text has no DSN; per recipient it writes a sentence and
 * the SMTP exchange that failed, its arrows pointing either way:
 *
 *   Unable to deliver message to <user@example.org>.
 *   Sent <<< RCPT TO:<user@example.org>
 *   Received >>> 550 5.1.1 <user@example.org>... User unknown
 *
 * A line whose words after the arrows are an SMTP command names the command (and, with
 * an address, the recipient); one whose words are a reply code is the remote reply, kept
 * as the diagnostic. The returned message is attached as message/rfc822, outside the
 * text this scanner reads.
 */
#include <stdlib.h>
#include <string.h>

#include "../mta/common.h"
#include "text.h"

static const char *const subjects[] = {
    "Mail could not be delivered",
    "メッセージを配信できません。",
    "メール配信に失敗しました",
    NULL,
};

static bool detect(const ff_mail *m)
{
    const char *from = ff_mail_header(m, "From");
    if (from != NULL && (ff_memcasemem(from, strlen(from), "InterScan MSS") != NULL ||
                         ff_memcasemem(from, strlen(from), "InterScan Notification") != NULL))
        return true;
    const char *subj = ff_mail_header(m, "Subject");
    for (size_t i = 0; subj != NULL && subjects[i] != NULL; i++)
        if (strcmp(subj, subjects[i]) == 0)
            return true;
    return false;
}

/* The words after a "<<<" or ">>>" marker in l[0..n), or NULL. */
static const char *after_arrows(const char *l, size_t n, size_t *rest)
{
    const char *a = ff_memcasemem(l, n, "<<< ");
    const char *b = ff_memcasemem(l, n, ">>> ");
    const char *p = a == NULL ? b : (b == NULL || a < b ? a : b);
    if (p == NULL)
        return NULL;
    p += 4;
    *rest = (size_t)(l + n - p);
    return p;
}

/* The hit for the address in s[0..n): the current one when it is the same address, else a
 * new one. NULL with *st = FF_OK when s holds no address. */
static ff_hit *recipient(ff_hits *out, size_t first, const char *s, size_t n, ff_status *st)
{
    size_t off, an;
    *st = FF_OK;
    if (!ff_addr_find(s, n, &off, &an))
        return NULL;
    if (out->n > first) {
        ff_hit *last = &out->v[out->n - 1];
        if (last->recipient != NULL && strlen(last->recipient) == an &&
            strncasecmp(last->recipient, s + off, an) == 0)
            return last;
    }
    ff_hit *h = mta_hit_add(out, s + off, an, st);
    if (h != NULL && *st == FF_OK)
        *st = mta_set(&h->dsn_action, "failed", 6);
    return h;
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text, *l;
    size_t len = m->text_len, pos = 0, n, first = out->n;
    ff_hit *h = NULL;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        const char *x = l;
        size_t xn = n;
        ff_trim(&x, &xn);
        if (ff_startswith_case(x, xn, "Reason:")) {
            x += 7;
            xn -= 7;
            ff_trim(&x, &xn);
        }
        if (ff_startswith_case(x, xn, "Unable to deliver message to")) {
            ff_hit *r = recipient(out, first, x, xn, &st);
            if (r != NULL) {
                h = r;
                if (h->diagnostic == NULL)
                    st = mta_set_diag(h, x, xn);
            }
            continue;
        }
        size_t rest;
        const char *w = after_arrows(x, xn, &rest);
        if (w == NULL)
            continue;
        if (mta_code_find(w, rest < 4 ? rest : 4) != 0) {
            /* the remote reply: it says more than the gateway's sentence */
            if (h != NULL)
                st = mta_set_diag(h, w, rest);
            continue;
        }
        const char *cmd = mta_command(w, rest);
        if (cmd == NULL)
            continue;
        if (strcmp(cmd, "RCPT") == 0) {
            ff_hit *r = recipient(out, first, w, rest, &st);
            if (r != NULL)
                h = r;
        }
        if (h != NULL && st == FF_OK) {
            free(h->command);
            h->command = NULL;
            st = mta_set(&h->command, cmd, strlen(cmd));
        }
    }
    return st;
}

const ff_lhost ff_lhost_interscanmss = {"interscanmss", detect, scan};
