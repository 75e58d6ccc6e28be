/* gmail.c - the notices Gmail and Google Workspace send when they cannot deliver
 *
 * Two layouts are in use. The current one starts with a title between asterisks and
 * quotes the receiving server after "The response was:" (Workspace: "The response from
 * the remote server was:"):
 *
 *   ** Address not found **                 (or Message not delivered, Message blocked,
 *                                             Delivery incomplete, ...)
 *   Your message wasn't delivered to a@example.org because the address couldn't be found
 *   ...
 *   The response was:
 *
 *   550 5.1.1 The email account that you tried to reach does not exist. ...
 *
 * The older one lists the recipients, indented, under a sentence and gives the reply in a
 * "Technical details of permanent failure:" paragraph:
 *
 *   Delivery to the following recipient failed permanently:   (or has been delayed)
 *
 *        a@example.org
 *
 *   Technical details of permanent failure:
 *   Google tried to deliver your message, but it was rejected by ... 550 5.1.1 ...
 *
 * X-Failed-Recipients lists every address a notice is about; those the text does not name
 * are added after the ones it does. The server's reply is the diagnostic. Without one (Google gave up by itself: an address
 * that cannot be found, a delay), the notice's own sentence is, so the rules still read
 * what Google said. A notice about a delay reports the recipient as delayed.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../mta/common.h"
#include "text.h"

static const char *const titles[] = {
    "** Address not found **", "** Message not delivered **", "** Message blocked **",
    "** Delivery incomplete **", "** Message delayed **", "** Mail delivery failed **",
    "Delivery to the following recipient", "Technical details of permanent failure",
    "Technical details of temporary failure", NULL,
};

static bool detect(const ff_mail *m)
{
    const char *from = ff_mail_header(m, "From");
    if (from == NULL || (ff_memcasemem(from, strlen(from), "googlemail.com") == NULL &&
                         ff_memcasemem(from, strlen(from), "google.com") == NULL))
        return false;
    for (const char *const *t = titles; *t != NULL; t++)
        if (mta_head(m, *t))
            return true;
    return false;
}

static const char *const cuts[] = {
    "----- Original message -----", "----- Message truncated -----",
    "Original message follows", NULL,
};

/* The paragraph that starts at s (blank lines before it skipped), unfolded; NULL when
 * nothing follows. Owned by the caller. */
static char *paragraph(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == '\n' || s[i] == '\r' || s[i] == ' ' || s[i] == '\t'))
        i++;
    size_t j = i;
    while (j < len) {
        const char *nl = memchr(s + j, '\n', len - j);
        size_t end = nl ? (size_t)(nl - s) : len;
        if (mta_blank(s + j, end - j))
            break;
        j = nl ? end + 1 : len;
    }
    while (j > i && isspace((unsigned char)s[j - 1]))
        j--;
    return j > i ? ff_unfold(s + i, j - i) : NULL;
}

/* Where `marker` ends in s[0..len), or NULL. */
static const char *after(const char *s, size_t len, const char *marker)
{
    const char *p = ff_memcasemem(s, len, marker);
    return p ? p + strlen(marker) : NULL;
}

static ff_status add(ff_hits *out, const char *addr, size_t alen, bool delayed)
{
    if (out->n >= MTA_MAX_HITS)
        return FF_OK;
    ff_hit *h = ff_hits_push(out);
    if (h == NULL)
        return FF_ENOMEM;
    h->recipient = ff_addr_dup(addr, alen);
    h->dsn_action = strdup(delayed ? "delayed" : "failed");
    return h->recipient && h->dsn_action ? FF_OK : FF_ENOMEM;
}

static ff_status named(const char *t, size_t len, bool delayed, ff_hits *out);

/* The addresses of X-Failed-Recipients ("a@x, b@y") that the text did not name, after
 * those it did: the header lists every address the notice is about, the sentence of the
 * current layout only the first. */
static ff_status failed_header(const ff_mail *m, bool delayed, size_t first, ff_hits *out)
{
    const char *v = ff_mail_header(m, "X-Failed-Recipients");
    size_t n = v ? strlen(v) : 0, off, alen;
    while (n > 0 && ff_addr_find(v, n, &off, &alen)) {
        bool have = false;
        for (size_t i = first; i < out->n && !have; i++)
            have = out->v[i].recipient && strlen(out->v[i].recipient) == alen &&
                   strncasecmp(out->v[i].recipient, v + off, alen) == 0;
        if (!have) {
            ff_status st = add(out, v + off, alen, delayed);
            if (st != FF_OK)
                return st;
        }
        v += off + alen;
        n -= off + alen;
    }
    return FF_OK;
}

/* The recipients: the indented list of the older layout, else the address the sentence
 * names ("wasn't delivered to a@b", "delivering your message to a@b"); then those of
 * X-Failed-Recipients not named yet. */
static ff_status recipients(const ff_mail *m, const char *t, size_t len, bool delayed,
                            ff_hits *out)
{
    size_t first = out->n;
    ff_status st = named(t, len, delayed, out);
    return st == FF_OK ? failed_header(m, delayed, first, out) : st;
}

/* The recipients the text names (see recipients()). */
static ff_status named(const char *t, size_t len, bool delayed, ff_hits *out)
{
    const char *list = after(t, len, "Delivery to the following recipient");
    if (list) {
        const char *nl = memchr(list, '\n', len - (size_t)(list - t));
        const char *p = nl ? nl + 1 : t + len;
        /* indented lines, blank lines between them, up to the first flush-left line */
        while (p < t + len) {
            const char *e = memchr(p, '\n', len - (size_t)(p - t));
            size_t n = e ? (size_t)(e - p) : len - (size_t)(p - t);
            if (!mta_blank(p, n)) {
                if (mta_indent(p, n) == 0)
                    break;
                size_t off, alen;
                if (ff_addr_find(p, n, &off, &alen)) {
                    ff_status st = add(out, p + off, alen, delayed);
                    if (st != FF_OK)
                        return st;
                }
            }
            p = e ? e + 1 : t + len;
        }
        if (out->n > 0)
            return FF_OK;
    }
    static const char *const says[] = {"wasn't delivered to ", "delivering your message to ",
                                       "delivered to ", NULL};
    for (const char *const *w = says; *w != NULL; w++) {
        const char *p = after(t, len, *w);
        size_t off, alen;
        if (p && ff_addr_find(p, (size_t)(t + len - p) > 320 ? 320 : (size_t)(t + len - p),
                              &off, &alen) && off < 8)
            return add(out, p + off, alen, delayed);
    }
    return FF_OK;
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cuts);
    bool delayed = ff_memcasemem(t, len, "has been delayed") ||
                   ff_memcasemem(t, len, "** Delivery incomplete **") ||
                   ff_memcasemem(t, len, "** Message delayed **") ||
                   ff_memcasemem(t, len, "Technical details of temporary failure");
    size_t first = out->n;
    ff_status st = recipients(m, t, len, delayed, out);
    if (st != FF_OK || out->n == first)
        return st;

    /* the server's reply, else Google's own words */
    const char *d = after(t, len, "The response was:");
    if (!d) /* Google Workspace's wording of the same */
        d = after(t, len, "The response from the remote server was:");
    if (!d)
        d = after(t, len, "The error that the other server returned was:");
    if (!d)
        d = after(t, len, "Technical details of permanent failure:");
    if (!d)
        d = after(t, len, "Technical details of temporary failure:");
    char *diag = d ? paragraph(d, (size_t)(t + len - d)) : NULL;
    if (!diag) {
        /* the sentence after the title: "Your message wasn't delivered to ... because" */
        const char *s = ff_memcasemem(t, len, "Delivery to the following recipient");
        if (!s)
            s = ff_memcasemem(t, len, "Your message wasn't");
        if (!s)
            s = ff_memcasemem(t, len, "There was a temporary problem");
        if (s) {
            diag = paragraph(s, (size_t)(t + len - s));
            const char *retry = ff_memcasemem(t, len, "Message will be retried");
            if (diag && retry) {
                char *both = NULL;
                char *r = paragraph(retry, (size_t)(t + len - retry));
                if (r) {
                    size_t a = strlen(diag), b = strlen(r);
                    both = malloc(a + b + 2);
                    if (both) {
                        memcpy(both, diag, a);
                        both[a] = ' ';
                        memcpy(both + a + 1, r, b + 1);
                    }
                    free(r);
                }
                if (both) {
                    free(diag);
                    diag = both;
                }
            }
        }
    }
    if (diag) {
        /* a reply that quotes another recipient is not this one's: Google's sentence is */
        const char *s = ff_memcasemem(t, len, "Your message wasn't");
        char *own = s ? paragraph(s, (size_t)(t + len - s)) : NULL;
        for (size_t i = first; i < out->n && st == FF_OK; i++) {
            ff_hit *h = &out->v[i];
            if (mta_diag_is_for(diag, strlen(diag), out, first, h))
                st = mta_set_diag(h, diag, strlen(diag));
            else if (own != NULL)
                st = mta_set_diag(h, own, strlen(own));
        }
        free(own);
        free(diag);
    }
    return st;
}

const ff_lhost ff_lhost_gmail = {"gmail", detect, scan};
