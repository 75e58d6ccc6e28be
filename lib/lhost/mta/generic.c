/* generic.c - the last resort for bounces of MTAs no other scanner knows
 *
 * Many small MTAs and gateways write their bounce in one of a few shapes borrowed from the
 * big ones. This scanner accepts them when the message looks like a bounce (a
 * MAILER-DAEMON or postmaster sender, or a subject such as "Undeliverable", "Returned
 * mail", "failure notice") and no format before it in the table claimed it:
 *
 *   <user@example.org>... User unknown                   (Sendmail's summary line)
 *   <user@example.org>: 550 5.1.1 User unknown            (Postfix, OpenSMTPD)
 *   <user@example.org>:                                   (qmail: the reason below)
 *   The following addresses had delivery errors:          (a list after an intro line)
 *     user@example.org [User unknown]
 *     * user@example.org
 *   The following recipients returned permanent errors: user@example.org. Reason: ...
 *
 * A "Technical details" (or "Reason:") text that follows a list, up to the returned
 * message, is the diagnostic of the listed addresses that have none. When the text names
 * nobody, X-Failed-Recipients does. Everything after the usual "original message" titles
 * is ignored, so addresses in the returned headers are never taken for recipients.
 */
#include <ctype.h>
#include <string.h>

#include "common.h"
#include "text.h"

/* Bounded tighter than MTA_MAX_HITS: its lines are loose, and each new address is
 * compared with those found before. */
#define GENERIC_MAX_HITS 256

static const char *const subjects[] = {
    "undeliver", "returned mail", "delivery fail", "failure notice", "failed delivery",
    "failure delivery", "delivery status notification", "could not be delivered",
    "error sending your mail", "mail delivery", "delivery problem", "non remis",
    "nondeliverable", "not delivered", "delivery failure", "returned to sender", NULL,
};

static bool detect(const ff_mail *m)
{
    if (m->feedback != NULL)
        return false;
    if (ff_mail_header(m, "X-Failed-Recipients") != NULL)
        return true;
    /* MAILER-DAEMON sends nothing but reports; a postmaster also writes to people, so
     * its mail needs a bounce's subject too */
    const char *from = ff_mail_header(m, "From");
    if (from != NULL && ff_memcasemem(from, strlen(from), "mailer-daemon") != NULL)
        return true;
    const char *s = ff_mail_header(m, "Subject");
    if (s == NULL)
        return false;
    size_t sn = strlen(s);
    for (const char *const *w = subjects; *w != NULL; w++)
        if (ff_memcasemem(s, sn, *w) != NULL)
            return true;
    return false;
}

static const char *const cut_markers[] = {
    "--- Below this line is a copy of the message",
    "--- Original message follows",
    "----- Original message follows",
    "------ This is a copy of the message",
    "----- Unsent message follows",
    "------- Returned Message",
    "Original message follows",
    "Below is a copy of the original message",
    "The original message follows",
    "-------- Original Message",
    "----- Original message -----",
    "Content-Type: message/rfc822",
    "Return-Path:",
    "Received:",
    NULL,
};

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

/* Adds (or finds) the recipient of s[0..n); *fresh says whether it is new. */
static ff_hit *add(ff_hits *out, size_t first, const char *s, size_t n, bool *fresh,
                   ff_status *st)
{
    *st = FF_OK;
    *fresh = false;
    /* at the cap, stop looking too: each lookup walks every hit */
    if (out->n - first >= GENERIC_MAX_HITS)
        return NULL;
    ff_hit *h = find(out, first, s, n);
    if (h != NULL)
        return h;
    h = mta_hit_add(out, s, n, st);
    *fresh = h != NULL;
    return h;
}

/* The text after the first address of l[0..n), without the brackets and separators that
 * tie it to the address ("...", ":", "[...]", ". Reason:"). */
static void rest(const char *l, size_t n, const char **r, size_t *rn)
{
    size_t off, an;
    *r = l + n;
    *rn = 0;
    if (!ff_addr_find(l, n, &off, &an))
        return;
    size_t i = off + an;
    while (i < n && (l[i] == '>' || l[i] == '.' || l[i] == ':' || l[i] == ',' ||
                     l[i] == ';' || l[i] == '"' || isspace((unsigned char)l[i])))
        i++;
    const char *x = l + i;
    size_t xn = n - i;
    if (ff_startswith_case(x, xn, "Reason:")) {
        x += 7;
        xn -= 7;
    }
    ff_trim(&x, &xn);
    if (xn >= 2 && ((x[0] == '[' && x[xn - 1] == ']') || (x[0] == '(' && x[xn - 1] == ')'))) {
        x++;
        xn -= 2;
    }
    bool words = false;
    for (size_t k = 0; k < xn && !words; k++)
        words = isalnum((unsigned char)x[k]);
    *r = x;
    *rn = words ? xn : 0;
}

/* A list entry: the line opens with an address, after an optional "* " or "- " bullet. */
static bool lead_addr(const char *x, size_t xn)
{
    if (xn > 0 && (x[0] == '*' || x[0] == '-')) {
        x++;
        xn--;
    }
    size_t ind = mta_indent(x, xn), off, an;
    return ff_addr_find(x + ind, xn - ind, &off, &an) && off <= 1;
}

static bool intro_line(const char *l, size_t n)
{
    return ff_memcasemem(l, n, "following recipient") != NULL ||
           ff_memcasemem(l, n, "following address") != NULL ||
           ff_memcasemem(l, n, "following destination") != NULL;
}

/* "[550 5.1.1 ]<addr>... text" (Sendmail's summary): the address opens the line, after
 * at most a reply code and a status code; an address quoted inside a reply is not one. */
static bool dots_line(const char *l, size_t n)
{
    const char *d = ff_memcasemem(l, n, "... ");
    if (d == NULL || memchr(l, '@', (size_t)(d - l)) == NULL)
        return false;
    size_t i = 0;
    for (int word = 0; word < 2 && i < n && isdigit((unsigned char)l[i]); word++) {
        while (i < n && (isdigit((unsigned char)l[i]) || l[i] == '.'))
            i++;
        while (i < n && l[i] == ' ')
            i++;
    }
    size_t off, an, upto = (size_t)(d - l);
    /* "5.1.1... " ends inside the dots: no address can stand before them */
    if (i >= upto)
        return false;
    return ff_addr_find(l + i, upto - i, &off, &an) && off <= 1;
}

/* "<addr>:" at the left margin, with or without text after it */
static bool angle_line(const char *l, size_t n)
{
    if (n < 5 || l[0] != '<')
        return false;
    const char *gt = memchr(l, '>', n);
    return gt != NULL && gt + 1 < l + n && gt[1] == ':' && memchr(l, '@', (size_t)(gt - l));
}

/* X-Failed-Recipients (Exim, Gmail and others), for texts whose layout named nobody. */
static ff_status from_header(const ff_mail *m, ff_hits *out)
{
    const char *v = ff_mail_header(m, "X-Failed-Recipients");
    size_t n = v ? strlen(v) : 0;
    ff_status st = FF_OK;
    while (st == FF_OK && n > 0 && out->n < GENERIC_MAX_HITS) {
        const char *comma = memchr(v, ',', n);
        size_t part = comma ? (size_t)(comma - v) : n;
        (void)mta_hit_add(out, v, part, &st);
        if (comma == NULL)
            break;
        n -= part + 1;
        v = comma + 1;
    }
    return st;
}

/* The remote host a diagnostic names on a "host: mx.example.net" line (GMX and other
 * Exim-like texts write it so, between the command and the reply), a name with a dot
 * and nothing but host-name characters; the record's remote MTA when it has none. */
static ff_status named_host(ff_hit *h, const char *d)
{
    size_t dl = strlen(d);
    const char *p = ff_memcasemem(d, dl, "host: ");
    if (p == NULL || (p > d && p[-1] != ' '))
        return FF_OK;
    p += 6;
    size_t n = 0;
    bool dot = false;
    while (p[n] != '\0' && (isalnum((unsigned char)p[n]) || p[n] == '.' || p[n] == '-')) {
        dot = dot || p[n] == '.';
        n++;
    }
    while (n > 0 && p[n - 1] == '.')
        n--;
    return dot && n > 2 ? mta_set_host(h, p, n) : FF_OK;
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cut_markers);
    size_t pos = 0, n, first = out->n;
    const char *l;
    bool list = false, details = false;
    ff_hit *para = NULL;           /* the hit whose paragraph the next lines continue */
    bool para_flat = false;        /* "addr:" paragraphs run unindented to a blank line */
    const char *pb = NULL, *pe = NULL;
    const char *tech = NULL, *tech_end = NULL;
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        bool blank = mta_blank(l, n), fresh;
        size_t ind = mta_indent(l, n);
        /* the next "addr:" line starts a new paragraph */
        bool next = para != NULL && ((ind == 0 && angle_line(l, n)) ||
                                     (list && lead_addr(l + ind, n - ind)));
        if (blank || next || (para != NULL && ind == 0 && !para_flat)) {
            if (para != NULL && pb != NULL && para->diagnostic == NULL)
                st = mta_set_diag(para, pb, (size_t)(pe - pb));
            para = NULL;
            pb = pe = NULL;
            if (blank) {
                if (list && out->n > first)
                    list = false;
                continue;
            }
        }
        if (para != NULL) {
            if (pb == NULL)
                pb = l;
            pe = l + n;
            continue;
        }
        if (details) {
            if (tech == NULL)
                tech = l;
            tech_end = l + n;
            continue;
        }
        const char *x = l + ind;
        size_t xn = n - ind;
        const char *r;
        size_t rn;
        if (ff_startswith_case(x, xn, "Technical details") ||
            ff_startswith_case(x, xn, "Technical report") ||
            ff_startswith_case(x, xn, "Reason:")) {
            details = true;
            const char *c = memchr(x, ':', xn);
            if (c != NULL && !mta_blank(c + 1, (size_t)(x + xn - c - 1))) {
                tech = c + 1;
                tech_end = x + xn;
            }
            continue;
        }
        if (intro_line(x, xn)) {
            list = true;
            /* the intro may name the address itself: "...errors: user@example.org." */
            const char *c = memchr(x, ':', xn);
            if (c != NULL && memchr(c, '@', (size_t)(x + xn - c)) != NULL) {
                ff_hit *h = add(out, first, c, (size_t)(x + xn - c), &fresh, &st);
                rest(c, (size_t)(x + xn - c), &r, &rn);
                if (h != NULL && fresh && rn > 0)
                    st = mta_set_diag(h, r, rn);
            }
            continue;
        }
        if (ff_startswith_case(x, xn, "(expanded from") ||
            ff_startswith_case(x, xn, "(generated from"))
            continue;
        if (angle_line(l, n) || dots_line(x, xn) || (list && memchr(x, '@', xn) != NULL)) {
            if (list && (x[0] == '*' || x[0] == '-')) {
                x++;
                xn--;
            }
            ff_hit *h = add(out, first, x, xn, &fresh, &st);
            /* an address named again with its reason ("550 <addr>... User unknown") */
            if (h == NULL || (!fresh && h->diagnostic != NULL))
                continue;
            rest(x, xn, &r, &rn);
            if (!fresh) {
                if (dots_line(x, xn))
                    st = mta_set_diag(h, x, xn);
                continue;
            }
            /* "on <date>" after a listed address is when, not why */
            if (rn > 0 && !ff_startswith_case(r, rn, "on ")) {
                st = mta_set_diag(h, r, rn);
            } else {
                para = h;
                para_flat = x[xn - 1] == ':';
            }
        }
    }
    if (st == FF_OK && para != NULL && pb != NULL && para->diagnostic == NULL)
        st = mta_set_diag(para, pb, (size_t)(pe - pb));
    if (st == FF_OK && out->n == first)
        st = from_header(m, out);
    for (size_t i = first; st == FF_OK && i < out->n; i++) {
        ff_hit *h = &out->v[i];
        if (h->diagnostic == NULL && tech != NULL &&
            mta_diag_is_for(tech, (size_t)(tech_end - tech), out, first, h))
            st = mta_set_diag(h, tech, (size_t)(tech_end - tech));
        /* "SMTP:RCPT host 192.0.2.1: 550 ..." names the command */
        const char *d = h->diagnostic;
        if (st == FF_OK && d != NULL && ff_startswith_case(d, strlen(d), "SMTP:"))
            st = mta_set_command(h, d + 5, strcspn(d + 5, " "));
        if (st == FF_OK && d != NULL)
            st = named_host(h, d);
        if (st == FF_OK)
            st = mta_set(&h->dsn_action, "failed", 6);
    }
    return st;
}

const ff_lhost ff_lhost_generic = {"generic", detect, scan};
