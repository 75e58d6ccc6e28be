/* arf.c - read an RFC 5965 feedback report (see include/fivefifty/arf.h)
 *
 * DESCRIPTION
 *   Fields are "Name: value" lines with RFC 5322 folding. Only the fields a sender acts on
 *   are kept: who complained (Original-Rcpt-To), about what (Feedback-Type), and what
 *   identifies the message (Original-Mail-From: the VERP address, Arrival-Date,
 *   Source-IP). Unknown fields are skipped, as RFC 5965 section 3.1 allows extensions.
 */
#include "fivefifty/arf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/dsn.h"
#include "text.h"

enum field { F_NONE = -1, F_TYPE, F_UA, F_VERSION, F_MAILFROM, F_RCPTTO, F_ARRIVAL, F_IP,
             F_DOMAIN, F_URI, F_AUTHRES, F_MTA };

static const struct {
    const char *name;
    enum field f;
    bool addr;
} fields[] = {
    {"feedback-type", F_TYPE, false},       {"user-agent", F_UA, false},
    {"version", F_VERSION, false},          {"original-mail-from", F_MAILFROM, true},
    {"original-rcpt-to", F_RCPTTO, true},   {"arrival-date", F_ARRIVAL, false},
    {"received-date", F_ARRIVAL, false},    {"source-ip", F_IP, false},
    {"reported-domain", F_DOMAIN, false},   {"reported-uri", F_URI, false},
    {"authentication-results", F_AUTHRES, false}, {"reporting-mta", F_MTA, false},
};

static char **slot(ff_arf *a, enum field f)
{
    switch (f) {
    case F_TYPE: return &a->feedback_type;
    case F_UA: return &a->user_agent;
    case F_VERSION: return &a->version;
    case F_MAILFROM: return &a->original_mail_from;
    case F_RCPTTO: return &a->original_rcpt_to;
    case F_ARRIVAL: return &a->arrival_date;
    case F_IP: return &a->source_ip;
    case F_DOMAIN: return &a->reported_domain;
    case F_URI: return &a->reported_uri;
    case F_AUTHRES: return &a->authentication_results;
    case F_MTA: return &a->reporting_mta;
    default: return NULL;
    }
}

/* Store one whole (possibly folded) field; the first occurrence wins. */
static bool take(ff_arf *a, const char *name, size_t nl, const char *v, size_t vl)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strlen(fields[i].name) != nl || strncasecmp(name, fields[i].name, nl) != 0)
            continue;
        /* every complainant is kept; out of memory only shortens the list */
        if (fields[i].f == F_RCPTTO && a->nrcpt_to < FF_ARF_RCPT_MAX) {
            char **list = realloc(a->rcpt_to, (a->nrcpt_to + 1) * sizeof *list);
            if (list) {
                a->rcpt_to = list;
                list[a->nrcpt_to] = ff_dsn_addr_decode(v, vl, NULL);
                if (list[a->nrcpt_to])
                    a->nrcpt_to++;
            }
        }
        char **s = slot(a, fields[i].f);
        if (*s)
            return true;
        if (fields[i].addr) {
            *s = ff_dsn_addr_decode(v, vl, NULL);
        } else {
            *s = ff_unfold(v, vl);
            if (*s && fields[i].f == F_TYPE)
                for (char *p = *s; *p; p++)
                    *p = (char)tolower((unsigned char)*p);
            if (*s && fields[i].f == F_MTA && strncasecmp(*s, "dns;", 4) == 0) {
                char *t = ff_strndup_trim(*s + 4, strlen(*s + 4));
                free(*s);
                *s = t;
            }
        }
        return true;
    }
    return false;
}

ff_status ff_arf_parse(const char *text, size_t len, ff_arf *out, ff_error *err)
{
    if (!out || (!text && len))
        return ff_error_set(err, FF_EINVAL, "arf: no input");
    memset(out, 0, sizeof *out);
    if (len > FF_ARF_MAX)
        return ff_error_set(err, FF_ETOOBIG, "arf: report larger than %u bytes", FF_ARF_MAX);
    size_t pos = 0, known = 0;
    const char *line;
    size_t ll;
    const char *name = NULL, *val = NULL;
    size_t nl = 0, vend = 0;
    while (true) {
        bool more = ff_line_next(text, len, &pos, &line, &ll);
        bool cont = more && ll > 0 && (line[0] == ' ' || line[0] == '\t');
        if (cont && name) {
            vend = (size_t)(line + ll - text);
            continue;
        }
        if (name) {
            if (take(out, name, nl, val, (size_t)(text + vend - val)))
                known++;
            name = NULL;
        }
        if (!more)
            break;
        const char *colon = memchr(line, ':', ll);
        if (!colon || colon == line)
            continue;
        bool ok = true;
        for (const char *p = line; p < colon; p++)
            ok = ok && (isalnum((unsigned char)*p) || *p == '-' || *p == '_');
        if (!ok)
            continue;
        name = line;
        nl = (size_t)(colon - line);
        val = colon + 1;
        vend = (size_t)(line + ll - text);
    }
    if (!known)
        return ff_error_set(err, FF_EPARSE, "arf: no feedback report field found");
    return FF_OK;
}

void ff_arf_clear(ff_arf *a)
{
    if (!a)
        return;
    for (int f = F_TYPE; f <= F_MTA; f++) {
        char **s = slot(a, (enum field)f);
        free(*s);
        *s = NULL;
    }
    for (size_t i = 0; i < a->nrcpt_to; i++)
        free(a->rcpt_to[i]);
    free(a->rcpt_to);
    a->rcpt_to = NULL;
    a->nrcpt_to = 0;
}
