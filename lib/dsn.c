/* dsn.c - RFC 3464 / RFC 6533 delivery-status fields (see dsn.h)
 *
 * NAME
 *   ff_dsn_parse, ff_dsn_clear, ff_dsn_addr_decode
 *
 * DESCRIPTION
 *   Second step of the bounce path in DESIGN.md: mail.c hands over the raw body of the
 *   message/delivery-status part, this file turns it into fields, and decode.c makes one
 *   record per recipient group before classify.
 *
 *   The body is read line by line: a line starting with white space continues the field
 *   before it (RFC 5322 folding, RFC 3464 section 2.1), a blank line closes a group, any
 *   other line is "Name: value" or noise. Per-message fields are recognised by name
 *   wherever they appear, because some MTAs omit the blank line after them; a recipient
 *   field that the open group already holds opens the next group, because some MTAs omit
 *   the blank lines between recipients.
 *
 *   Pure and bounded: no MIME, no I/O, no recursion; FF_DSN_MAX bytes of input,
 *   FF_DSN_RCPT_MAX groups, FF_DSN_FIELD_MAX bytes per field (longer values truncated).
 *   The enhanced status is checked here (class 2/4/5, 1-3 digit subject and detail) so
 *   the parser stands alone in its fuzz target.
 */
#include "fivefifty/dsn.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* A field being collected across its folded lines. */
typedef struct pending {
    char name[64];
    size_t nlen; /* strlen(name) */
    char *val;
    size_t n, cap;
    bool open;
} pending;

typedef struct parser {
    ff_dsn *out;
    ff_dsn_recipient *cur; /* the open recipient group, NULL between groups */
    size_t cap;
    size_t known;          /* DSN fields recognised */
    bool final_first;      /* the open group gave Final-Recipient before Action */
    bool oom;
} parser;

static bool pend_add(pending *p, const char *s, size_t n)
{
    if (p->n >= FF_DSN_FIELD_MAX)
        return true;
    if (n > FF_DSN_FIELD_MAX - p->n)
        n = FF_DSN_FIELD_MAX - p->n;
    if (p->n + n + 2 > p->cap) {
        size_t cap = p->cap ? p->cap : 128;
        while (cap < p->n + n + 2)
            cap *= 2;
        char *v = realloc(p->val, cap);
        if (v == NULL)
            return false;
        p->val = v;
        p->cap = cap;
    }
    memcpy(p->val + p->n, s, n);
    p->n += n;
    p->val[p->n] = '\0';
    return true;
}

/* A token of an RFC 3464 "type;" prefix: letters, digits, '-', '.', '_'. */
static bool type_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_';
}

/* Splits "type; rest" into its type (returned through *t, *tl; *tl is 0 when there is no
 * well-formed prefix) and the rest. */
static void split_type(const char *s, size_t len, const char **t, size_t *tl,
                       const char **rest, size_t *rl)
{
    ff_trim(&s, &len);
    size_t i = 0;
    while (i < len && i < 40 && type_char((unsigned char)s[i]))
        i++;
    size_t j = i;
    while (j < len && (s[j] == ' ' || s[j] == '\t'))
        j++;
    if (i > 0 && j < len && s[j] == ';') {
        *t = s;
        *tl = i;
        *rest = s + j + 1;
        *rl = len - j - 1;
    } else {
        *t = s;
        *tl = 0;
        *rest = s;
        *rl = len;
    }
    ff_trim(rest, rl);
}

static char *lower_dup(const char *s, size_t n)
{
    char *o = ff_strndup_trim(s, n);
    for (char *p = o; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return o;
}

static void put_utf8(char *o, size_t *k, unsigned long cp)
{
    if (cp < 0x80) {
        o[(*k)++] = (char)cp;
    } else if (cp < 0x800) {
        o[(*k)++] = (char)(0xC0 | (cp >> 6));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o[(*k)++] = (char)(0xE0 | (cp >> 12));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*k)++] = (char)(0xF0 | (cp >> 18));
        o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* RFC 6533 section 3: utf-8-addr-xtext and -unitext carry non-ASCII characters as
 * EmbeddedUnicodeChar "\x{HHHH}" (1 to 6 hex digits, a Unicode scalar value). Anything
 * that is not one is kept as written. The output never grows: "\x{H}" is 5 bytes for at
 * most 4 of UTF-8. */
static char *unitext_decode(const char *s, size_t n)
{
    char *o = malloc(n + 1);
    if (o == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && s[i + 2] == '{') {
            size_t j = i + 3;
            unsigned long cp = 0;
            while (j < n && j - i - 3 < 6 && isxdigit((unsigned char)s[j])) {
                int c = tolower((unsigned char)s[j]);
                cp = cp * 16 + (unsigned long)(isdigit(c) ? c - '0' : c - 'a' + 10);
                j++;
            }
            if (j > i + 3 && j < n && s[j] == '}' && cp > 0 && cp <= 0x10FFFF &&
                (cp < 0xD800 || cp > 0xDFFF)) {
                put_utf8(o, &k, cp);
                i = j + 1;
                continue;
            }
        }
        o[k++] = s[i++];
    }
    o[k] = '\0';
    return o;
}

char *ff_dsn_addr_decode(const char *s, size_t len, char **type)
{
    const char *t, *rest;
    size_t tl, rl;
    if (type)
        *type = NULL;
    split_type(s, len, &t, &tl, &rest, &rl);
    if (rl >= 2 && rest[0] == '<' && rest[rl - 1] == '>') {
        rest++;
        rl -= 2;
        ff_trim(&rest, &rl);
    }
    bool utf8 = tl == 5 && strncasecmp(t, "utf-8", 5) == 0;
    if (type && tl > 0) {
        *type = lower_dup(t, tl);
        if (*type == NULL)
            return NULL;
    }
    char *a = utf8 ? unitext_decode(rest, rl) : ff_strndup_trim(rest, rl);
    if (a == NULL && type) {
        free(*type);
        *type = NULL;
    }
    return a;
}

/* The first enhanced status code in the value: "5.1.1", also "5.1.1 (unknown user)" and
 * "smtp; 5.1.1" as some gateways write it. A token must not continue into more digits
 * or dots, so "5.1.10.2" and IP addresses are not codes. */
static void status_take(const char *s, size_t n, char out[FF_STATUS_MAX])
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != '2' && c != '4' && c != '5')
            continue;
        if (i > 0 && (isdigit((unsigned char)s[i - 1]) || s[i - 1] == '.'))
            continue;
        size_t j = i + 1;
        if (j >= n || s[j] != '.')
            continue;
        size_t k = ++j;
        while (j < n && j - k < 4 && isdigit((unsigned char)s[j]))
            j++;
        if (j == k || j - k > 3 || j >= n || s[j] != '.')
            continue;
        size_t m = ++j;
        while (j < n && j - m < 4 && isdigit((unsigned char)s[j]))
            j++;
        if (j == m || j - m > 3)
            continue;
        if (j < n && (isdigit((unsigned char)s[j]) ||
                      (s[j] == '.' && j + 1 < n && isdigit((unsigned char)s[j + 1]))))
            continue;
        if (j - i >= FF_STATUS_MAX)
            continue;
        memcpy(out, s + i, j - i);
        out[j - i] = '\0';
        return;
    }
}

static ff_dsn_recipient *group_open(parser *p)
{
    ff_dsn *d = p->out;
    if (d->n >= FF_DSN_RCPT_MAX) {
        p->cur = NULL;
        return NULL;
    }
    if (d->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4;
        ff_dsn_recipient *v = realloc(d->rcpts, cap * sizeof *v);
        if (v == NULL) {
            p->oom = true;
            return NULL;
        }
        d->rcpts = v;
        p->cap = cap;
    }
    p->cur = &d->rcpts[d->n++];
    memset(p->cur, 0, sizeof *p->cur);
    return p->cur;
}

/* Stores a value into a slot that is still empty; the first value written wins. */
static void set(parser *p, char **slot, char *v)
{
    if (v == NULL) {
        p->oom = true;
        return;
    }
    if (*slot == NULL)
        *slot = v;
    else
        free(v);
}

static void set_untyped(parser *p, char **slot, const char *s, size_t n)
{
    const char *t, *rest;
    size_t tl, rl;
    split_type(s, n, &t, &tl, &rest, &rl);
    set(p, slot, ff_unfold(rest, rl));
}

/* An MTA field: the host it names. RFC 3464 gives "dns; name", and MTAs add a comment
 * ("mx.example.net (tcp_intranet-daemon)", allowed anywhere in a structured field) or the
 * address they connected to ("mx.example.net [192.0.2.1]"); the name alone is what
 * provider detection and a person read. An address literal alone ("[192.0.2.1]") gives
 * the address; a value this does not follow is kept as written. */
static void set_mta(parser *p, char **slot, const char *s, size_t n)
{
    const char *t, *rest;
    size_t tl, rl;
    split_type(s, n, &t, &tl, &rest, &rl);
    ff_trim(&rest, &rl);
    size_t i = 0;
    if (rl > 2 && rest[0] == '[') {
        rest++;
        rl--;
        while (i < rl && rest[i] != ']')
            i++;
    } else {
        while (i < rl && rest[i] != ' ' && rest[i] != '\t' && rest[i] != '[' && rest[i] != '(' &&
               rest[i] != '\r' && rest[i] != '\n')
            i++;
        while (i > 0 && rest[i - 1] == '.')
            i--;
    }
    if (i == 0 || i == rl) {
        set_untyped(p, slot, s, n);
        return;
    }
    set(p, slot, ff_unfold(rest, i));
}

static void set_addr(parser *p, char **slot, char **type, const char *s, size_t n)
{
    if (*slot != NULL)
        return;
    char *t = NULL;
    char *a = ff_dsn_addr_decode(s, n, type ? &t : NULL);
    if (a == NULL) {
        p->oom = true;
        return;
    }
    *slot = a;
    if (type)
        *type = t;
}

/* The per-message fields, then the per-recipient ones. */
enum mf { MF_REPORTING, MF_RECEIVED, MF_GATEWAY, MF_ARRIVAL, MF_ENVID, MF_PSENDER,
          MF_PQUEUE, MF_NONE };
enum rf { RF_FINAL, RF_ORIG, RF_ACTION, RF_STATUS, RF_REMOTE, RF_DIAG, RF_LAST, RF_RETRY,
          RF_LOGID, RF_ACTUAL, RF_NONE };

/* Which field name[0..nlen) is: *mf for a per-message field, else *rf (MF_NONE / RF_NONE
 * when neither). Every line of every delivery-status part asks, so the names are told
 * apart by length first (the string compare ran seventeen times per recipient field). */
static void field_kind(const char *name, size_t nlen, enum mf *mf, enum rf *rf)
{
#define F(s, m, r) {s, sizeof s - 1, m, r}
    static const struct {
        const char *name;
        size_t len;
        enum mf mf;
        enum rf rf;
    } t[] = {
        F("reporting-mta", MF_REPORTING, RF_NONE),
        F("received-from-mta", MF_RECEIVED, RF_NONE),
        F("dsn-gateway", MF_GATEWAY, RF_NONE),
        F("arrival-date", MF_ARRIVAL, RF_NONE),
        F("original-envelope-id", MF_ENVID, RF_NONE),
        F("x-postfix-sender", MF_PSENDER, RF_NONE),
        F("x-postfix-queue-id", MF_PQUEUE, RF_NONE),
        F("final-recipient", MF_NONE, RF_FINAL),
        F("original-recipient", MF_NONE, RF_ORIG),
        F("action", MF_NONE, RF_ACTION),
        F("status", MF_NONE, RF_STATUS),
        F("remote-mta", MF_NONE, RF_REMOTE),
        F("diagnostic-code", MF_NONE, RF_DIAG),
        F("last-attempt-date", MF_NONE, RF_LAST),
        F("will-retry-until", MF_NONE, RF_RETRY),
        F("final-log-id", MF_NONE, RF_LOGID),
        F("x-actual-recipient", MF_NONE, RF_ACTUAL),
    };
#undef F
    *mf = MF_NONE;
    *rf = RF_NONE;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (t[i].len == nlen && strncasecmp(name, t[i].name, nlen) == 0) {
            *mf = t[i].mf;
            *rf = t[i].rf;
            return;
        }
    }
}

/* Does this field, arriving in the open group, start the next one? A group holds each of
 * these once; Original-Recipient after Final-Recipient and Action, in that order, belongs
 * to a group written Original-first (sendmail's order) that follows without a blank line.
 * A group that begins with Action (Amazon SES: Action, Final-, Original-Recipient) keeps it. */
static bool starts_next(const parser *p, const ff_dsn_recipient *r, enum rf f)
{
    switch (f) {
    case RF_FINAL: return r->final_recipient != NULL;
    case RF_ORIG:
        return r->original_recipient != NULL || (r->action != NULL && p->final_first);
    case RF_ACTION: return r->action != NULL;
    case RF_STATUS: return r->status[0] != '\0';
    default: return false;
    }
}

static void message_field(parser *p, enum mf mf, const char *v, size_t n)
{
    ff_dsn *d = p->out;
    switch (mf) {
    case MF_REPORTING: set_mta(p, &d->reporting_mta, v, n); break;
    case MF_RECEIVED: set_untyped(p, &d->received_from_mta, v, n); break;
    case MF_GATEWAY: set_untyped(p, &d->dsn_gateway, v, n); break;
    case MF_ARRIVAL: set(p, &d->arrival_date, ff_unfold(v, n)); break;
    case MF_ENVID: set(p, &d->original_envelope_id, ff_unfold(v, n)); break;
    case MF_PSENDER: set_addr(p, &d->x_postfix_sender, NULL, v, n); break;
    case MF_PQUEUE: set(p, &d->x_postfix_queue_id, ff_unfold(v, n)); break;
    case MF_NONE: break;
    }
}

static void field_done(parser *p, pending *f)
{
    if (!f->open)
        return;
    f->open = false;
    const char *v = f->val ? f->val : "";
    size_t n = f->n;
    enum mf mf;
    enum rf rf;
    field_kind(f->name, f->nlen, &mf, &rf);
    if (mf != MF_NONE) {
        message_field(p, mf, v, n);
        p->known++;
        return;
    }
    if (rf == RF_NONE)
        return;
    p->known++;
    ff_dsn_recipient *r = p->cur;
    if (r == NULL || starts_next(p, r, rf)) {
        r = group_open(p);
        p->final_first = false;
    }
    if (r == NULL)
        return;
    if (rf == RF_ACTION && r->final_recipient != NULL)
        p->final_first = true;
    switch (rf) {
    case RF_FINAL: set_addr(p, &r->final_recipient, &r->final_type, v, n); break;
    case RF_ORIG: set_addr(p, &r->original_recipient, &r->original_type, v, n); break;
    case RF_ACTUAL: set_addr(p, &r->x_actual_recipient, NULL, v, n); break;
    case RF_ACTION: {
        const char *s = v;
        size_t l = n;
        ff_trim(&s, &l);
        size_t w = 0;
        while (w < l && isalpha((unsigned char)s[w]))
            w++;
        set(p, &r->action, lower_dup(s, w));
        break;
    }
    case RF_STATUS: {
        if (r->status[0] != '\0')
            break;
        status_take(v, n, r->status);
        const char *open = memchr(v, '(', n);
        if (open != NULL && r->status_comment == NULL) {
            const char *c = open + 1;
            const char *close = memchr(c, ')', n - (size_t)(c - v));
            set(p, &r->status_comment, ff_unfold(c, (size_t)((close ? close : v + n) - c)));
        }
        break;
    }
    case RF_REMOTE: set_mta(p, &r->remote_mta, v, n); break;
    case RF_DIAG: {
        if (r->diagnostic != NULL)
            break;
        const char *t, *rest;
        size_t tl, rl;
        split_type(v, n, &t, &tl, &rest, &rl);
        if (tl > 0)
            set(p, &r->diagnostic_type, lower_dup(t, tl));
        set(p, &r->diagnostic, ff_unfold(rest, rl));
        break;
    }
    case RF_LAST: set(p, &r->last_attempt_date, ff_unfold(v, n)); break;
    case RF_RETRY: set(p, &r->will_retry_until, ff_unfold(v, n)); break;
    case RF_LOGID: set(p, &r->final_log_id, ff_unfold(v, n)); break;
    case RF_NONE: break;
    }
}

/* "Name: value" with a name of printable ASCII without spaces (RFC 5322 ftext) opens a
 * field. Returns false only when out of memory; noise lines leave no field open. */
static bool field_start(const char *l, size_t n, pending *f)
{
    size_t i = 0;
    while (i < n && l[i] > ' ' && l[i] < 127 && l[i] != ':')
        i++;
    if (i == 0 || i >= n || l[i] != ':' || i >= sizeof f->name)
        return true;
    memcpy(f->name, l, i);
    f->name[i] = '\0';
    f->nlen = i;
    f->n = 0;
    f->open = pend_add(f, l + i + 1, n - i - 1);
    return f->open;
}

ff_status ff_dsn_parse(const char *text, size_t len, ff_dsn *out, ff_error *err)
{
    if (out == NULL || (text == NULL && len > 0))
        return ff_error_set(err, FF_EINVAL, "ff_dsn_parse: NULL argument");
    memset(out, 0, sizeof *out);
    if (len > FF_DSN_MAX)
        return ff_error_set(err, FF_ETOOBIG, "delivery-status body of %zu bytes exceeds %u",
                            len, FF_DSN_MAX);
    parser p = {.out = out};
    pending f = {{0}, 0, NULL, 0, 0, false};
    size_t pos = 0;
    const char *line;
    size_t ll;
    while (!p.oom && ff_line_next(text, len, &pos, &line, &ll)) {
        const char *t = line;
        size_t tl = ll;
        ff_trim(&t, &tl);
        if (tl == 0) {
            field_done(&p, &f);
            p.cur = NULL;
            continue;
        }
        if ((line[0] == ' ' || line[0] == '\t') && f.open) {
            if (!pend_add(&f, " ", 1) || !pend_add(&f, t, tl))
                p.oom = true;
            continue;
        }
        field_done(&p, &f);
        /* an indented field after a blank line is still a field */
        if (!field_start(t, tl, &f))
            p.oom = true;
    }
    field_done(&p, &f);
    free(f.val);
    if (p.oom) {
        ff_dsn_clear(out);
        return ff_error_set(err, FF_ENOMEM, "out of memory parsing delivery-status");
    }
    if (p.known == 0) {
        ff_dsn_clear(out);
        return ff_error_set(err, FF_EPARSE, "no delivery-status field (Final-Recipient, "
                                            "Action, Status, Reporting-MTA) found");
    }
    return FF_OK;
}

void ff_dsn_clear(ff_dsn *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++) {
        ff_dsn_recipient *r = &d->rcpts[i];
        free(r->final_recipient);
        free(r->final_type);
        free(r->original_recipient);
        free(r->original_type);
        free(r->action);
        free(r->remote_mta);
        free(r->diagnostic);
        free(r->diagnostic_type);
        free(r->last_attempt_date);
        free(r->will_retry_until);
        free(r->final_log_id);
        free(r->x_actual_recipient);
        free(r->status_comment);
    }
    free(d->rcpts);
    free(d->reporting_mta);
    free(d->received_from_mta);
    free(d->dsn_gateway);
    free(d->arrival_date);
    free(d->original_envelope_id);
    free(d->x_postfix_sender);
    free(d->x_postfix_queue_id);
    memset(d, 0, sizeof *d);
}
