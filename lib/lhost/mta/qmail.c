/* qmail.c - qmail-send's failure notice (and the netqmail, qmail-ldap, vpopmail variants,
 * and the qmail-derived "Unable to deliver message to the following address(es)." notice)
 *
 * qmail-send writes "Hi. This is the qmail-send program at HOST." and then one paragraph
 * per recipient, the address alone on its line:
 *
 *   <user@example.org>:
 *   192.0.2.1 does not like recipient.
 *   Remote host said: 550 5.1.1 <user@example.org>: Recipient address rejected
 *   Giving up on 192.0.2.1.
 *
 * until "--- Below this line is a copy of the message." The phrases of qmail-remote say
 * which step failed: "does not like recipient" (RCPT), "sender was rejected" (MAIL),
 * "failed after I sent the message" (DATA), "wasn't able to establish an SMTP connection"
 * or "no SMTP connection got far enough" (the connection). Local deliveries ("Sorry, no
 * mailbox here by that name. (#5.1.1)") and DNS failures ("Sorry, I couldn't find any
 * host named ...") carry only qmail's own status code in "(#x.y.z)".
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fivefifty/status.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_head(m, "This is the qmail-send program") ||
           mta_head(m, "--- Below this line is a copy of the message.") ||
           mta_head(m, "Unable to deliver message to the following address(es).") ||
           (mta_subject_starts(m, "failure notice") && mta_head(m, "qmail"));
}

static const char *const cut_markers[] = {
    "--- Below this line is a copy of the message",
    "--- Enclosed is a copy of the message",
    "--- Below this line is the original bounce",
    "--- Original message follows",
    NULL,
};

struct step {
    const char *phrase;
    const char *command;
};

static const struct step steps[] = {
    {"does not like recipient", "RCPT"},
    {"most progress was RCPT TO", "RCPT"},
    {"sender was rejected", "MAIL"},
    {"most progress was MAIL FROM", "MAIL"},
    {"failed after I sent the message", "DATA"},
    {"failed on DATA command", "DATA"},
    {"most progress was DATA", "DATA"},
    {"didn't like the HELO", "EHLO"},
    {"wasn't able to establish an SMTP connection", "CONN"},
    {"no SMTP connection got far enough", "CONN"},
    {"greeting", "CONN"},
};

/* The host that follows `lead` in u (an IP address or a name), as h's remote MTA. */
static ff_status host_after(ff_hit *h, const char *u, size_t un, const char *lead)
{
    const char *p = ff_memcasemem(u, un, lead);
    if (p == NULL)
        return FF_OK;
    p += strlen(lead);
    return mta_set_host(h, p, un - (size_t)(p - u));
}

/* "192.0.2.1 does not like recipient." / "192.0.2.1 failed after I sent the message." */
static ff_status host_before(ff_hit *h, const char *u, size_t un, const char *phrase)
{
    const char *p = ff_memcasemem(u, un, phrase);
    if (p == NULL || p == u)
        return FF_OK;
    const char *b = p - 1;
    while (b > u && b[-1] != ' ')
        b--;
    return mta_set_host(h, b, (size_t)(p - b));
}

static ff_status para(ff_hit *h, const char *s, size_t n)
{
    char *u = ff_unfold(s, n);
    if (u == NULL)
        return FF_ENOMEM;
    size_t un = strlen(u);
    ff_status st = mta_set_diag(h, u, un);
    for (size_t i = 0; st == FF_OK && i < sizeof steps / sizeof steps[0]; i++)
        if (h->command == NULL && ff_memcasemem(u, un, steps[i].phrase) != NULL)
            st = mta_set(&h->command, steps[i].command, strlen(steps[i].command));
    if (st == FF_OK)
        st = host_after(h, u, un, "Connected to ");
    if (st == FF_OK)
        st = host_before(h, u, un, " does not like recipient");
    if (st == FF_OK)
        st = host_before(h, u, un, " failed after I sent");
    if (st == FF_OK)
        st = host_after(h, u, un, "Giving up on ");
    /* "remote host 192.0.2.1 said:", not the "Remote host said:" before a reply */
    const char *rh = ff_memcasemem(u, un, "remote host ");
    if (st == FF_OK && rh != NULL && !ff_startswith_case(rh + 12, un - (size_t)(rh + 12 - u),
                                                         "said"))
        st = mta_set_host(h, rh + 12, un - (size_t)(rh + 12 - u));
    /* the reply after "Remote host said:" is what the code and status are read from */
    const char *said = ff_memcasemem(u, un, "host said:");
    if (st == FF_OK && said != NULL) {
        h->code = 0;
        h->status[0] = '\0';
        mta_set_reply(h, said + 10, un - (size_t)(said + 10 - u));
        if (h->status[0] == '\0')
            (void)ff_status_find(u, un, h->status);
    }
    free(u);
    return st;
}

/* "<addr>:" alone on its line (trailing blanks allowed). */
static bool rcpt_line(const char *l, size_t n)
{
    ff_trim(&l, &n);
    return n > 4 && l[0] == '<' && l[n - 1] == ':' && l[n - 2] == '>' &&
           memchr(l, '@', n) != NULL;
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cut_markers);
    size_t pos = 0, n;
    const char *l;
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
            if (mta_blank(l, n) || rcpt_line(l, n))
                break;
            if (b == NULL)
                b = l;
            be = l + n;
        }
        if (h == NULL)
            continue;
        if (b != NULL)
            st = para(h, b, (size_t)(be - b));
        if (st == FF_OK)
            st = mta_set(&h->dsn_action, "failed", 6);
    }
    return st;
}

const ff_lhost ff_lhost_qmail = {"qmail", detect, scan};
