/* common.c - helpers every MTA scanner shares (see common.h)
 *
 * The scanners sit between mail.c (which gives them plain text) and decode.c (which turns
 * their hits into records and classifies the diagnostic). Nothing here decides a reason.
 */
#include "common.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/status.h"
#include "text.h"

bool mta_head(const ff_mail *m, const char *needle)
{
    if (m->text == NULL)
        return false;
    size_t n = m->text_len < MTA_DETECT_SPAN ? m->text_len : MTA_DETECT_SPAN;
    size_t nl = strlen(needle);
    if (nl == 0)
        return true;
    if (nl > n)
        return false;
    /* Banners are fixed strings in the MTAs' sources, and every scanner's detect() asks
     * for one or two in every bounce, so the search must be cheap (see ff_memmem()). */
    return ff_memmem(m->text, n, needle, nl) != NULL;
}

bool mta_subject_starts(const ff_mail *m, const char *prefix)
{
    const char *s = ff_mail_header(m, "Subject");
    return s != NULL && ff_startswith_case(s, strlen(s), prefix);
}

size_t mta_cut(const char *s, size_t len, const char *const *markers)
{
    size_t pos = 0;
    const char *line;
    size_t n;
    while (true) {
        size_t start = pos;
        if (!ff_line_next(s, len, &pos, &line, &n))
            return len;
        size_t ind = mta_indent(line, n);
        for (const char *const *mk = markers; *mk != NULL; mk++)
            if (ff_startswith_case(line + ind, n - ind, *mk))
                return start;
    }
}

bool mta_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

size_t mta_indent(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* A digit run is a token when neither side continues a number, an address or a word. */
static bool edge_before(const char *s, size_t i)
{
    if (i == 0)
        return true;
    unsigned char c = (unsigned char)s[i - 1];
    return !(isalnum(c) || c == '.' || c == '#' || c == '-' || c == '=' || c == '/' ||
             c == '_' || c == ':' || c == '+');
}

int mta_code_find(const char *s, size_t len)
{
    for (size_t i = 0; i + 3 <= len; i++) {
        if (!(s[i] == '2' || s[i] == '4' || s[i] == '5') || !edge_before(s, i))
            continue;
        /* RFC 5321 has no x6x-x9x, but servers send "571" and "554" alike */
        if (!isdigit((unsigned char)s[i + 1]) || !isdigit((unsigned char)s[i + 2]))
            continue;
        size_t e = i + 3;
        /* "550 ", "550-", "550" at the end; never "550.1", "5501", "250ms" */
        if (e < len && !(s[e] == ' ' || s[e] == '-' || s[e] == '\t' || s[e] == '\n' ||
                         s[e] == '\r' || s[e] == ',' || s[e] == ';' || s[e] == ')' ||
                         (s[e] == ':' && (e + 1 == len || !isdigit((unsigned char)s[e + 1])))))
            continue;
        if (e + 1 < len && s[e] == '-' && !(s[e + 1] == ' ' || isalnum((unsigned char)s[e + 1])))
            continue;
        return (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    }
    return 0;
}

struct cmd {
    const char *phrase;
    const char *name;
};

/* Longer phrases first: "end of data" must win over "data", "mail from" over "mail". */
static const struct cmd cmds[] = {
    {"end of data", "DATA"},
    {"final data", "DATA"},
    {"after i sent the message", "DATA"},
    {"rcpt to", "RCPT"},
    {"mail from", "MAIL"},
    {"initial connection", "CONN"},
    {"connection greeting", "CONN"},
    {"refused to talk to me", "CONN"},
    {"greeting", "CONN"},
    {"helo", "EHLO"},
    {"ehlo", "EHLO"},
    {"data", "DATA"},
    {"rcpt", "RCPT"},
    {"mail", "MAIL"},
};

static bool word_at(const char *s, size_t len, size_t i, size_t n)
{
    bool left = i == 0 || !isalnum((unsigned char)s[i - 1]);
    bool right = i + n >= len || !isalnum((unsigned char)s[i + n]);
    return left && right;
}

const char *mta_command(const char *s, size_t len)
{
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        size_t n = strlen(cmds[k].phrase);
        const char *p = s;
        size_t left = len;
        const char *f;
        while ((f = ff_memcasemem(p, left, cmds[k].phrase)) != NULL) {
            size_t at = (size_t)(f - s);
            if (word_at(s, len, at, n))
                return cmds[k].name;
            left = len - at - 1;
            p = f + 1;
        }
    }
    return NULL;
}

ff_hit *mta_hit_add(ff_hits *out, const char *s, size_t len, ff_status *st)
{
    *st = FF_OK;
    size_t off, n;
    if (out->n >= MTA_MAX_HITS || !ff_addr_find(s, len, &off, &n))
        return NULL;
    char *addr = ff_addr_dup(s + off, n);
    if (addr == NULL) {
        *st = FF_ENOMEM;
        return NULL;
    }
    ff_hit *h = ff_hits_push(out);
    if (h == NULL) {
        free(addr);
        *st = FF_ENOMEM;
        return NULL;
    }
    h->recipient = addr;
    return h;
}

ff_status mta_set_original(ff_hit *h, const char *s, size_t len)
{
    size_t off, n;
    if (h->original_recipient != NULL || !ff_addr_find(s, len, &off, &n))
        return FF_OK;
    char *a = ff_addr_dup(s + off, n);
    if (a == NULL)
        return FF_ENOMEM;
    if (h->recipient != NULL && strcmp(a, h->recipient) == 0)
        free(a);
    else
        h->original_recipient = a;
    return FF_OK;
}

ff_status mta_set(char **dst, const char *s, size_t len)
{
    ff_trim(&s, &len);
    if (len == 0)
        return FF_OK;
    char *v = ff_strndup_trim(s, len);
    if (v == NULL)
        return FF_ENOMEM;
    free(*dst);
    *dst = v;
    return FF_OK;
}

void mta_set_reply(ff_hit *h, const char *s, size_t len)
{
    if (h->code == 0)
        h->code = mta_code_find(s, len);
    if (h->status[0] == '\0')
        (void)ff_status_find(s, len, h->status);
}

ff_status mta_set_diag(ff_hit *h, const char *s, size_t len)
{
    char *d = ff_unfold(s, len);
    if (d == NULL)
        return FF_ENOMEM;
    if (d[0] == '\0') {
        free(d);
        return FF_OK;
    }
    free(h->diagnostic);
    h->diagnostic = d;
    /* the codes follow the text they were read from */
    h->code = 0;
    h->status[0] = '\0';
    mta_set_reply(h, d, strlen(d));
    return FF_OK;
}

ff_status mta_set_command(ff_hit *h, const char *s, size_t len)
{
    if (h->command != NULL)
        return FF_OK;
    const char *c = mta_command(s, len);
    if (c == NULL)
        return FF_OK;
    h->command = strdup(c);
    return h->command ? FF_OK : FF_ENOMEM;
}

ff_status mta_set_host(ff_hit *h, const char *s, size_t len)
{
    if (h->remote_mta != NULL)
        return FF_OK;
    ff_trim(&s, &len);
    size_t n = 0;
    while (n < len && !isspace((unsigned char)s[n]) && s[n] != '[' && s[n] != '(' &&
           s[n] != ':' && s[n] != ',')
        n++;
    while (n > 0 && s[n - 1] == '.')
        n--;
    if (n == 0)
        return FF_OK;
    return mta_set(&h->remote_mta, s, n);
}

static ff_status copy_if_unset(char **dst, const char *src)
{
    if (*dst != NULL || src == NULL)
        return FF_OK;
    *dst = strdup(src);
    return *dst ? FF_OK : FF_ENOMEM;
}

ff_status mta_fill(ff_hits *out, size_t first, const ff_hit *from)
{
    for (size_t i = first; i < out->n; i++) {
        ff_hit *h = &out->v[i];
        if (h == from)
            continue;
        if (copy_if_unset(&h->remote_mta, from->remote_mta) != FF_OK ||
            copy_if_unset(&h->command, from->command) != FF_OK ||
            copy_if_unset(&h->dsn_action, from->dsn_action) != FF_OK ||
            copy_if_unset(&h->diagnostic, from->diagnostic) != FF_OK)
            return FF_ENOMEM;
        if (h->code == 0)
            h->code = from->code;
        if (h->status[0] == '\0')
            memcpy(h->status, from->status, FF_STATUS_MAX);
    }
    return FF_OK;
}

bool mta_diag_is_for(const char *d, size_t n, const ff_hits *out, size_t first,
                     const ff_hit *h)
{
    if (h->recipient != NULL && ff_memcasemem(d, n, h->recipient) != NULL)
        return true;
    for (size_t i = first; i < out->n; i++)
        if (out->v[i].recipient != NULL && ff_memcasemem(d, n, out->v[i].recipient) != NULL)
            return false;
    return true;
}
