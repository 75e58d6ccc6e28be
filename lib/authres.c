/* authres.c - read Authentication-Results (RFC 8601; see include/fivefifty/authres.h)
 *
 * A small lexer yields words, quoted strings and the specials ';' '=' '/' while skipping
 * white space and (nested) comments, of which the first after a result is kept: receivers
 * put their reason there more often than in reason=.
 */
#include "fivefifty/authres.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

typedef struct lex {
    const char *s;
    size_t n, pos;
    char comment[256];     /* the last comment skipped */
} lex;

enum { T_END, T_WORD, T_SEMI, T_EQ, T_SLASH };

static void skip(lex *l)
{
    l->comment[0] = '\0';
    for (;;) {
        while (l->pos < l->n && isspace((unsigned char)l->s[l->pos]))
            l->pos++;
        if (l->pos < l->n && l->s[l->pos] == '(') {
            int depth = 0;
            size_t start = l->pos + 1, o = 0;
            while (l->pos < l->n) {
                char c = l->s[l->pos++];
                if (c == '\\' && l->pos < l->n) {
                    l->pos++;
                    continue;
                }
                if (c == '(')
                    depth++;
                else if (c == ')' && --depth == 0)
                    break;
            }
            for (size_t i = start; i + 1 < l->pos && o + 1 < sizeof l->comment; i++)
                l->comment[o++] = l->s[i];
            l->comment[o] = '\0';
            continue;
        }
        return;
    }
}

/* Next token; a word or quoted string goes into buf. */
static int next(lex *l, char *buf, size_t cap)
{
    skip(l);
    buf[0] = '\0';
    if (l->pos >= l->n)
        return T_END;
    char c = l->s[l->pos];
    if (c == ';' || c == '=' || c == '/') {
        l->pos++;
        return c == ';' ? T_SEMI : c == '=' ? T_EQ : T_SLASH;
    }
    size_t o = 0;
    if (c == '"') {
        l->pos++;
        while (l->pos < l->n && l->s[l->pos] != '"') {
            if (l->s[l->pos] == '\\' && l->pos + 1 < l->n)
                l->pos++;
            if (o + 1 < cap)
                buf[o++] = l->s[l->pos];
            l->pos++;
        }
        if (l->pos < l->n)
            l->pos++;
        buf[o] = '\0';
        return T_WORD;
    }
    while (l->pos < l->n) {
        c = l->s[l->pos];
        if (isspace((unsigned char)c) || strchr(";=/()\"", c))
            break;
        if (o + 1 < cap)
            buf[o++] = c;
        l->pos++;
    }
    buf[o] = '\0';
    return T_WORD;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

ff_status ff_authres_parse(const char *value, size_t len, ff_authres *out, ff_error *err)
{
    if (!out || !value)
        return ff_error_set(err, FF_EINVAL, "authres: no input");
    /* Only the head: each result is cleared as it is filled. The whole struct is ~48 KiB,
     * and clearing it was 2% of decoding a bounce that carries the header. */
    memset(out, 0, offsetof(ff_authres, r));
    out->n = 0;
    out->version = 1;
    lex l = {.s = value, .n = len > 65536 ? 65536 : len};
    char w[512];
    if (next(&l, w, sizeof w) != T_WORD || !w[0])
        return ff_error_set(err, FF_EPARSE, "authres: no authserv-id");
    snprintf(out->authserv_id, sizeof out->authserv_id, "%.255s", w);
    int t = next(&l, w, sizeof w);
    if (t == T_WORD && isdigit((unsigned char)w[0])) {
        out->version = (int)strtol(w, NULL, 10);
        t = next(&l, w, sizeof w);
    }
    if (t == T_WORD && !strcasecmp(w, "none")) {
        out->none = true;
        return FF_OK;
    }
    while (t == T_SEMI) {
        t = next(&l, w, sizeof w);
        if (t == T_END)
            break; /* a trailing ';' is tolerated */
        if (t != T_WORD)
            return ff_error_set(err, FF_EPARSE, "authres: a method was expected at offset %zu",
                                l.pos);
        if (out->n == 0 && !strcasecmp(w, "none")) { /* no-result = ";" "none" */
            out->none = true;
            t = next(&l, w, sizeof w);
            break;
        }
        if (out->n >= FF_AUTHRES_RESULTS_MAX)
            break;
        ff_authres_result *r = &out->r[out->n];
        memset(r, 0, sizeof *r);
        snprintf(r->method, sizeof r->method, "%.31s", w);
        lower(r->method);
        t = next(&l, w, sizeof w);
        if (t == T_SLASH) { /* method version */
            next(&l, w, sizeof w);
            t = next(&l, w, sizeof w);
        }
        if (t != T_EQ || next(&l, w, sizeof w) != T_WORD)
            return ff_error_set(err, FF_EPARSE, "authres: '%s' is not method=result",
                                r->method);
        snprintf(r->result, sizeof r->result, "%.31s", w);
        lower(r->result);
        out->n++;
        t = next(&l, w, sizeof w);
        if (l.comment[0] && !r->comment[0])
            snprintf(r->comment, sizeof r->comment, "%s", l.comment);
        /* reason= and ptype.property=value until the next ';' */
        while (t == T_WORD) {
            char key[64];
            snprintf(key, sizeof key, "%.63s", w);
            if (next(&l, w, sizeof w) != T_EQ)
                return ff_error_set(err, FF_EPARSE, "authres: '%s' without '=' in %s", key,
                                    r->method);
            t = next(&l, w, sizeof w);
            char val[512];
            snprintf(val, sizeof val, "%.255s", t == T_WORD ? w : "");
            /* A value may hold '/' (a header.b= fragment) or '=' (base64): glue them. */
            t = next(&l, w, sizeof w);
            while (t == T_SLASH || t == T_EQ) {
                size_t vl = strlen(val);
                snprintf(val + vl, sizeof val - vl, "%s", t == T_SLASH ? "/" : "=");
                t = next(&l, w, sizeof w);
                if (t == T_WORD) {
                    vl = strlen(val);
                    snprintf(val + vl, sizeof val - vl, "%.255s", w);
                    t = next(&l, w, sizeof w);
                }
            }
            if (!strcasecmp(key, "reason")) {
                snprintf(r->reason, sizeof r->reason, "%.255s", val);
            } else {
                const char *dot = strchr(key, '.');
                if (dot && r->nprops < FF_AUTHRES_PROPS_MAX) {
                    ff_authres_prop *p = &r->props[r->nprops++];
                    snprintf(p->ptype, sizeof p->ptype, "%.*s", (int)(dot - key), key);
                    snprintf(p->property, sizeof p->property, "%s", dot + 1);
                    snprintf(p->value, sizeof p->value, "%.255s", val);
                    lower(p->ptype);
                    lower(p->property);
                }
            }
        }
    }
    if (t != T_END && t != T_SEMI)
        return ff_error_set(err, FF_EPARSE, "authres: unexpected text at offset %zu", l.pos);
    return FF_OK;
}

const char *ff_authres_prop_get(const ff_authres_result *r, const char *ptype,
                                const char *property)
{
    for (size_t i = 0; r && i < r->nprops; i++)
        if (!strcasecmp(r->props[i].ptype, ptype) && !strcasecmp(r->props[i].property, property))
            return r->props[i].value;
    return NULL;
}

size_t ff_authres_explain(const ff_authres *a, char *out, size_t cap)
{
    size_t o = 0, bad = 0;
    out[0] = '\0';
    for (size_t i = 0; a && i < a->n; i++) {
        const ff_authres_result *r = &a->r[i];
        if (!strcmp(r->result, "pass"))
            continue;
        if (strcmp(r->method, "spf") && strcmp(r->method, "dkim") && strcmp(r->method, "dmarc"))
            continue;
        const char *who = ff_authres_prop_get(r, "smtp", "mailfrom");
        if (!who)
            who = ff_authres_prop_get(r, "header", "d");
        if (!who)
            who = ff_authres_prop_get(r, "header", "from");
        const char *why = r->reason[0] ? r->reason : r->comment;
        o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s%s=%s%s%s%s%s%s", bad ? "; " : "",
                              r->method, r->result, who ? " for " : "", who ? who : "",
                              why[0] ? " (" : "", why, why[0] ? ")" : "");
        bad++;
        if (o >= cap)
            break;
    }
    return bad;
}
