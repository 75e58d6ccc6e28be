/* postfix.c - Postfix's human-readable bounce and delay notice
 *
 * Postfix (bounce(8), and the older "Postfix program" template) writes one paragraph per
 * recipient after its "The mail system" banner:
 *
 *   <user@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 <user@...>:
 *       Recipient address rejected: User unknown (in reply to RCPT TO command)
 *   <alias@example.org> (expanded from <list@example.org>): unknown user: "alias"
 *   <user@example.net>: host mx.example.net[192.0.2.2] refused to talk to me: 554 ...
 *   <user@example.com>: lost connection with mx.example.com[192.0.2.3] while sending
 *       RCPT TO
 *
 * The paragraph starts at the left margin with the address in angle brackets and goes on
 * with indented lines. "host H said:" gives the remote MTA and the reply, "(in reply to X
 * command)" or "while sending X" the command. The delay notice ("Delayed Mail (still
 * being retried)", "THIS IS A WARNING ONLY") has the same paragraphs with action delayed,
 * and the success report (NOTIFY=SUCCESS: "Successful Mail Delivery Report") with action
 * delivered, so a success is never read as a failure.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_subject_starts(m, "Undelivered Mail Returned to Sender") ||
           mta_subject_starts(m, "Delayed Mail (still being retried)") ||
           mta_head(m, "This is the mail system at host") ||
           mta_head(m, "This is the Postfix program at host");
}

static const char *const cut_markers[] = {
    "--- Undelivered message follows",
    "Content-Description: Undelivered Message",
    "Content-Description: Undelivered Message Headers",
    NULL,
};

/* Whether line starts a recipient paragraph: "<addr>:" or "<addr> (expanded from <x>):".
 * Stores where the text after that colon starts. */
static bool para_start(const char *l, size_t n, size_t *text_at)
{
    size_t i = 0;
    if (i < n && l[i] == ' ')
        i++;
    if (i >= n || l[i] != '<')
        return false;
    const char *gt = memchr(l + i, '>', n - i);
    if (gt == NULL || memchr(l + i, '@', (size_t)(gt - l) - i) == NULL)
        return false;
    size_t j = (size_t)(gt - l) + 1;
    if (j < n && l[j] == ':') {
        *text_at = j + 1;
        return true;
    }
    if (ff_startswith_case(l + j, n - j, " (expanded from")) {
        /* the closing "):" may be on a continuation line; search the whole paragraph */
        *text_at = j;
        return true;
    }
    return false;
}

/* Fills h from the paragraph text p[0..n) (everything after the recipient). */
static ff_status read_para(ff_hit *h, const char *p, size_t n)
{
    ff_status st;
    /* "(expanded from <x>):" belongs to the recipient, not to the diagnostic */
    if (ff_startswith_case(p, n, "(expanded from")) {
        const char *e = ff_memcasemem(p, n, "):");
        if (e == NULL)
            return FF_OK;
        st = mta_set_original(h, p, (size_t)(e - p));
        if (st != FF_OK)
            return st;
        n -= (size_t)(e + 2 - p);
        p = e + 2;
    }
    ff_trim(&p, &n);
    const char *host = ff_memcasemem(p, n, "host ");
    const char *said = ff_memcasemem(p, n, " said:");
    const char *refused = ff_memcasemem(p, n, " refused to talk to me:");
    const char *inreply = ff_memcasemem(p, n, "(in reply to ");
    const char *with = ff_memcasemem(p, n, "connection with ");
    const char *reply = NULL;
    if (said != NULL)
        reply = said + strlen(" said:");
    else if (refused != NULL)
        reply = refused + strlen(" refused to talk to me:");
    if (host != NULL && (said != NULL || refused != NULL)) {
        st = mta_set_host(h, host + 5, (size_t)(p + n - host - 5));
        if (st != FF_OK)
            return st;
    } else if (with != NULL) {
        st = mta_set_host(h, with + 16, (size_t)(p + n - with - 16));
        if (st != FF_OK)
            return st;
    }
    if (refused != NULL && said == NULL)
        st = mta_set(&h->command, "CONN", 4);
    else if (inreply != NULL)
        st = mta_set_command(h, inreply, (size_t)(p + n - inreply));
    else {
        const char *wh = ff_memcasemem(p, n, " while ");
        st = wh ? mta_set_command(h, wh, (size_t)(p + n - wh)) : FF_OK;
    }
    if (st != FF_OK)
        return st;
    if (reply != NULL) {
        const char *end = inreply && inreply > reply ? inreply : p + n;
        st = mta_set_diag(h, reply, (size_t)(end - reply));
        if (st == FF_OK && h->diagnostic == NULL)
            st = mta_set_diag(h, p, n);
        return st;
    }
    return mta_set_diag(h, p, n);
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cut_markers);
    /* the notice's kind says what happened to every recipient it lists; a "delivery
     * temporarily suspended" inside a returned message still ended in failure */
    size_t head = len < MTA_DETECT_SPAN ? len : MTA_DETECT_SPAN;
    const char *action = "failed";
    if (mta_subject_starts(m, "Delayed Mail") ||
        ff_memcasemem(t, head, "THIS IS A WARNING ONLY") != NULL)
        action = "delayed";
    else if (mta_subject_starts(m, "Successful Mail Delivery Report") ||
             ff_memcasemem(t, head, "was successfully delivered") != NULL)
        action = "delivered";
    size_t pos = 0;
    const char *l;
    size_t n;
    bool have = ff_line_next(t, len, &pos, &l, &n);
    while (have) {
        size_t at;
        if (!para_start(l, n, &at)) {
            have = ff_line_next(t, len, &pos, &l, &n);
            continue;
        }
        const char *p = l + at;
        const char *pend = l + n;
        ff_status st;
        ff_hit *h = mta_hit_add(out, l, at, &st);
        /* the paragraph: indented continuation lines up to a blank or unindented line */
        while ((have = ff_line_next(t, len, &pos, &l, &n))) {
            if (mta_blank(l, n) || mta_indent(l, n) == 0 || para_start(l, n, &at))
                break;
            pend = l + n;
        }
        if (h == NULL) {
            if (st != FF_OK)
                return st;
            continue;
        }
        /* one line: the phrases read below may be broken anywhere by folding */
        char *u = ff_unfold(p, (size_t)(pend - p));
        if (u == NULL)
            return FF_ENOMEM;
        st = read_para(h, u, strlen(u));
        free(u);
        if (st == FF_OK)
            st = mta_set(&h->dsn_action, action, strlen(action));
        if (st != FF_OK)
            return st;
    }
    return FF_OK;
}

const ff_lhost ff_lhost_postfix = {"postfix", detect, scan};
