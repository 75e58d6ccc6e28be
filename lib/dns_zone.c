/* dns_zone.c - the zone-data backend: answers from records held in memory
 *
 * Tests, fuzz targets and the RFC 7208 suite need DNS that answers the same every time and
 * never leaves the process. Records are added in code (ff_dns_zone_add) or loaded from a
 * small zone text (ff_dns_zone_load); a name can be marked to time out, which answers
 * FF_DNS_TEMPFAIL as a real resolver does after its retries. A CNAME is followed (at most
 * 8 links) when the name has no record of the type asked, as a recursive server would.
 *
 * Zone text, one record a line ('#' starts a comment line):
 *   NAME TYPE [DATA]        TYPE one of A AAAA MX TXT PTR CNAME NS, or TIMEOUT (no DATA)
 * TXT DATA is zero or more "quoted" character-strings (\" \\ and \DDD decimal escapes) or
 * one bare word; MX DATA is "PREF HOST".
 */
#include "dns_backend.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONE_MAX_RECORDS 100000u
#define ZONE_TXT_MAX 65535u
#define CNAME_DEPTH 8

typedef struct zone {
    ff_dns_rr *rrs;
    size_t n, cap;
    char **timeouts;
    size_t ntimeouts;
} zone;

static ff_status zone_push(zone *z, const ff_dns_rr *rr)
{
    if (z->n >= ZONE_MAX_RECORDS)
        return FF_ETOOBIG;
    if (z->n == z->cap) {
        size_t cap = z->cap ? z->cap * 2 : 16;
        ff_dns_rr *g = realloc(z->rrs, cap * sizeof *g);
        if (g == NULL)
            return FF_ENOMEM;
        z->rrs = g;
        z->cap = cap;
    }
    ff_dns_rr *d = &z->rrs[z->n];
    *d = *rr;
    d->name = strdup(rr->name);
    d->text = strdup(rr->text);
    if (d->name == NULL || d->text == NULL) {
        free(d->name);
        free(d->text);
        return FF_ENOMEM;
    }
    z->n++;
    return FF_OK;
}

static bool timed_out(const zone *z, const char *name)
{
    for (size_t i = 0; i < z->ntimeouts; i++)
        if (strcmp(z->timeouts[i], name) == 0)
            return true;
    return false;
}

/* Answers `name`/`type` into `a`, following CNAMEs. */
static ff_status answer(const zone *z, const char *name, ff_dns_type type, ff_dns_answer *a)
{
    char cur[256];
    snprintf(cur, sizeof cur, "%s", name);
    for (int depth = 0; depth <= CNAME_DEPTH; depth++) {
        bool exists = false;
        const char *cname = NULL;
        for (size_t i = 0; i < z->n; i++) {
            const ff_dns_rr *r = &z->rrs[i];
            if (strcmp(r->name, cur) != 0)
                continue;
            exists = true;
            if (r->type == type) {
                ff_status st = ff_dns_answer_push(a, r);
                if (st != FF_OK)
                    return st;
            } else if (r->type == FF_DNS_CNAME) {
                cname = r->text;
            }
        }
        if (a->n > 0) {
            a->result = FF_DNS_OK;
            return FF_OK;
        }
        /* A name marked to time out does so for the types it holds no records of: a
         * server that answers TXT and times out on another type, as the RFC 7208 suite
         * describes ("spftimeout"). */
        if (timed_out(z, cur)) {
            ff_dns_answer_clear(a);
            a->result = FF_DNS_TEMPFAIL;
            return FF_OK;
        }
        if (cname == NULL || type == FF_DNS_CNAME) {
            a->result = exists ? FF_DNS_NODATA : FF_DNS_NXDOMAIN;
            return FF_OK;
        }
        if (!ff_dns_name_norm(cname, cur, sizeof cur)) {
            a->result = FF_DNS_PERMFAIL;
            return FF_OK;
        }
    }
    a->result = FF_DNS_TEMPFAIL; /* a CNAME loop: a server gives up with SERVFAIL */
    return FF_OK;
}

static ff_status zone_query(void *impl, const char *name, ff_dns_type type, ff_dns_done_fn done,
                            void *ctx)
{
    ff_dns_answer a = {0};
    ff_status st = answer(impl, name, type, &a);
    if (st != FF_OK) {
        ff_dns_answer_clear(&a);
        return st;
    }
    done(ctx, &a);
    return FF_OK;
}

static ff_status zone_wait(void *impl)
{
    (void)impl; /* every answer was given when asked */
    return FF_OK;
}

static void zone_free(void *impl)
{
    zone *z = impl;
    if (z == NULL)
        return;
    for (size_t i = 0; i < z->n; i++) {
        free(z->rrs[i].name);
        free(z->rrs[i].text);
    }
    free(z->rrs);
    for (size_t i = 0; i < z->ntimeouts; i++)
        free(z->timeouts[i]);
    free(z->timeouts);
    free(z);
}

const ff_dns_backend ff_dns_zone_backend = {"zone", zone_query, zone_wait, zone_free};

ff_status ff_dns_new_zone(ff_dns **out, ff_error *err)
{
    if (out == NULL)
        return ff_error_set(err, FF_EINVAL, "no output handle");
    *out = NULL;
    zone *z = calloc(1, sizeof *z);
    if (z == NULL)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    ff_status st = ff_dns_wrap(out, &ff_dns_zone_backend, z);
    if (st != FF_OK)
        return ff_error_set(err, st, "out of memory");
    return FF_OK;
}

static ff_status add_rr(zone *z, const char *name, ff_dns_type type, const char *text,
                        size_t nstrings, int pref)
{
    char key[256];
    if (!ff_dns_name_norm(name, key, sizeof key))
        return FF_EINVAL;
    ff_dns_rr rr = {.type = type, .ttl = 300, .name = key, .text = (char *)text,
                    .pref = pref, .nstrings = nstrings};
    return zone_push(z, &rr);
}

ff_status ff_dns_zone_add(ff_dns *dns, const char *name, ff_dns_type type, const char *rdata)
{
    zone *z = ff_dns_impl(dns, &ff_dns_zone_backend);
    if (z == NULL || name == NULL || rdata == NULL)
        return FF_EINVAL;
    char host[256];
    ff_dns_rr rr = {.type = type, .ttl = 300, .nstrings = 0};
    switch (type) {
    case FF_DNS_A:
    case FF_DNS_AAAA: {
        int af = type == FF_DNS_A ? AF_INET : AF_INET6;
        if (inet_pton(af, rdata, rr.addr) != 1)
            return FF_EINVAL;
        char key[256];
        if (!ff_dns_name_norm(name, key, sizeof key))
            return FF_EINVAL;
        rr.name = key;
        rr.text = (char *)rdata;
        return zone_push(z, &rr);
    }
    case FF_DNS_MX: {
        char *end;
        long pref = strtol(rdata, &end, 10);
        if (end == rdata || pref < 0 || pref > 65535 || *end != ' ')
            return FF_EINVAL;
        while (*end == ' ')
            end++;
        /* "0 ." is a null MX (RFC 7505): its target is the root, kept as "". */
        if (strcmp(end, ".") == 0)
            return add_rr(z, name, type, "", 0, (int)pref);
        if (!ff_dns_name_norm(end, host, sizeof host))
            return FF_EINVAL;
        return add_rr(z, name, type, host, 0, (int)pref);
    }
    case FF_DNS_TXT:
        if (strlen(rdata) > ZONE_TXT_MAX)
            return FF_ETOOBIG;
        return add_rr(z, name, type, rdata, 1, 0);
    case FF_DNS_PTR:
    case FF_DNS_CNAME:
    case FF_DNS_NS:
        if (!ff_dns_name_norm(rdata, host, sizeof host))
            return FF_EINVAL;
        return add_rr(z, name, type, host, 0, 0);
    }
    return FF_EINVAL;
}

ff_status ff_dns_zone_add_txt(ff_dns *dns, const char *name, const char *const *strings,
                              size_t n)
{
    zone *z = ff_dns_impl(dns, &ff_dns_zone_backend);
    if (z == NULL || name == NULL || (n > 0 && strings == NULL))
        return FF_EINVAL;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(strings[i]);
        if (l > 255)
            return FF_EINVAL; /* one character-string carries at most 255 bytes */
        len += l;
    }
    if (len > ZONE_TXT_MAX)
        return FF_ETOOBIG;
    char *text = malloc(len + 1);
    if (text == NULL)
        return FF_ENOMEM;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(strings[i]);
        memcpy(text + off, strings[i], l);
        off += l;
    }
    text[off] = '\0';
    ff_status st = add_rr(z, name, FF_DNS_TXT, text, n, 0);
    free(text);
    return st;
}

ff_status ff_dns_zone_timeout(ff_dns *dns, const char *name)
{
    zone *z = ff_dns_impl(dns, &ff_dns_zone_backend);
    char key[256];
    if (z == NULL || name == NULL || !ff_dns_name_norm(name, key, sizeof key))
        return FF_EINVAL;
    char **g = realloc(z->timeouts, (z->ntimeouts + 1) * sizeof *g);
    if (g == NULL)
        return FF_ENOMEM;
    z->timeouts = g;
    if ((g[z->ntimeouts] = strdup(key)) == NULL)
        return FF_ENOMEM;
    z->ntimeouts++;
    return FF_OK;
}

/* ---- zone text ---- */

static const struct {
    const char *name;
    ff_dns_type type;
} type_names[] = {{"A", FF_DNS_A},     {"AAAA", FF_DNS_AAAA}, {"MX", FF_DNS_MX},
                  {"TXT", FF_DNS_TXT}, {"PTR", FF_DNS_PTR},   {"CNAME", FF_DNS_CNAME},
                  {"NS", FF_DNS_NS}};

/* Reads TXT data: quoted character-strings or one bare word. The strings are written
 * NUL-separated into `buf` (an embedded NUL byte is refused: SPF text never has one). */
static bool parse_txt(const char *p, const char *end, char *buf, size_t *nstr)
{
    size_t off = 0, n = 0;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p == end)
            break;
        size_t start = off;
        if (*p != '"') {
            if (n > 0)
                return false;
            while (p < end && *p != ' ' && *p != '\t')
                buf[off++] = *p++;
        } else {
            for (p++;; p++) {
                if (p == end)
                    return false;
                if (*p == '"')
                    break;
                unsigned char c = (unsigned char)*p;
                if (c == '\\') {
                    if (++p == end)
                        return false;
                    if (p + 2 < end && p[0] >= '0' && p[0] <= '9' && p[1] >= '0' &&
                        p[1] <= '9' && p[2] >= '0' && p[2] <= '9') {
                        int v = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
                        if (v == 0 || v > 255)
                            return false;
                        c = (unsigned char)v;
                        p += 2;
                    } else {
                        c = (unsigned char)*p;
                    }
                }
                buf[off++] = (char)c;
            }
            p++;
        }
        if (off - start > 255)
            return false;
        buf[off++] = '\0';
        n++;
    }
    *nstr = n;
    return true;
}

static ff_status load_line(ff_dns *dns, zone *z, char *line, size_t lineno, ff_error *err)
{
    char *end = line + strlen(line);
    while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '#')
        return FF_OK;
    char *name = p;
    p += strcspn(p, " \t");
    if (*p == '\0')
        return ff_error_set(err, FF_EPARSE, "line %zu: no record type", lineno);
    *p++ = '\0';
    p += strspn(p, " \t");
    char *tname = p;
    p += strcspn(p, " \t");
    if (*p != '\0')
        *p++ = '\0';
    p += strspn(p, " \t");
    ff_status st = FF_EINVAL;
    if (strcmp(tname, "TIMEOUT") == 0) {
        st = ff_dns_zone_timeout(dns, name);
    } else if (strcmp(tname, "TXT") == 0) {
        size_t len = (size_t)(end - p), n = 0;
        char *buf = malloc(len + 1);
        if (buf == NULL)
            return FF_ENOMEM;
        if (!parse_txt(p, end, buf, &n)) {
            free(buf);
            return ff_error_set(err, FF_EPARSE, "line %zu: bad TXT data", lineno);
        }
        const char *strs[256];
        if (n > sizeof strs / sizeof strs[0]) {
            free(buf);
            return ff_error_set(err, FF_EPARSE, "line %zu: too many strings", lineno);
        }
        const char *q = buf;
        for (size_t i = 0; i < n; i++) {
            strs[i] = q;
            q += strlen(q) + 1;
        }
        st = ff_dns_zone_add_txt(dns, name, strs, n);
        free(buf);
    } else {
        for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
            if (strcmp(tname, type_names[i].name) == 0)
                st = ff_dns_zone_add(dns, name, type_names[i].type, p);
    }
    (void)z;
    if (st != FF_OK && st != FF_ENOMEM)
        return ff_error_set(err, FF_EPARSE, "line %zu: bad %s record for %s", lineno, tname,
                            name);
    return st == FF_ENOMEM ? ff_error_set(err, st, "out of memory") : FF_OK;
}

ff_status ff_dns_zone_load(ff_dns *dns, const char *text, size_t len, ff_error *err)
{
    zone *z = ff_dns_impl(dns, &ff_dns_zone_backend);
    if (z == NULL || (text == NULL && len > 0))
        return ff_error_set(err, FF_EINVAL, "not a zone resolver");
    size_t lineno = 0, pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lineno++;
        if (memchr(text + pos, '\0', l))
            return ff_error_set(err, FF_EPARSE, "line %zu: NUL byte", lineno);
        char *line = malloc(l + 1);
        if (line == NULL)
            return ff_error_set(err, FF_ENOMEM, "out of memory");
        memcpy(line, text + pos, l);
        line[l] = '\0';
        ff_status st = load_line(dns, z, line, lineno, err);
        free(line);
        if (st != FF_OK)
            return st;
        pos += l + 1;
    }
    return FF_OK;
}
