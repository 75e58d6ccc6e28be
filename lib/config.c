/* config.c - read the INI configuration with libinih (see include/fivefifty/config.h)
 *
 * libinih does the lexing (sections, key = value, comments, line numbers); this file
 * decides what the keys mean and refuses what it does not know. Values that could reach
 * an SMTP line or a header (names, domains, URLs) are refused when they hold CR or LF,
 * the first place an injection through configuration could start.
 */
#include "fivefifty/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parse {
    ff_config *cfg;
    ff_error *err;
    const char *name;
    ff_status st;
} parse;

static const char *const default_streams[] = {"transactional", "outreach"};

static void stream_defaults(ff_stream_cfg *s)
{
    s->route = FF_ROUTE_MX;
    s->tls = FF_TLS_OPPORTUNISTIC;
    s->bounce_pause = 0.02;
    /* Postfix starts a destination at 5 sessions and may go to 20; a few sessions hide
     * most of a distant relay's round trips without looking like a flood to a receiver. */
    s->connections = 4;
}

static ff_stream_cfg *stream_get(ff_config *cfg, const char *name, bool create)
{
    for (size_t i = 0; i < cfg->nstreams; i++)
        if (strcmp(cfg->streams[i].name, name) == 0)
            return &cfg->streams[i];
    if (!create || cfg->nstreams >= FF_CONFIG_STREAMS_MAX)
        return NULL;
    ff_stream_cfg *v = realloc(cfg->streams, (cfg->nstreams + 1) * sizeof *v);
    if (!v)
        return NULL;
    cfg->streams = v;
    ff_stream_cfg *s = &v[cfg->nstreams];
    memset(s, 0, sizeof *s);
    if (!(s->name = strdup(name)))
        return NULL;
    stream_defaults(s);
    cfg->nstreams++;
    return s;
}

static void stream_clear(ff_stream_cfg *s)
{
    char **strs[] = {&s->name, &s->from_domain, &s->relay_host, &s->user, &s->password_file,
                     &s->password_env, &s->ca_file, &s->dkim_key, &s->dkim_selector,
                     &s->dkim_domain, &s->bounce_domain, &s->unsubscribe_url,
                     &s->unsubscribe_mailto, &s->warmup_start};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
}

static int fail(parse *p, const char *fmt, const char *a, const char *b)
{
    if (p->st != FF_OK)
        return 0; /* inih reports the first error's line: keep the first message too */
    char msg[200];
    snprintf(msg, sizeof msg, fmt, a, b);
    /* The line number is added by ff_config_parse from inih's return value. */
    ff_error_set(p->err, FF_EPARSE, "%s", msg);
    p->st = FF_EPARSE;
    return 0;
}

static bool set_str(char **dst, const char *v)
{
    char *c = strdup(v);
    if (!c)
        return false;
    free(*dst);
    *dst = c;
    return true;
}

static bool parse_bool(const char *v, bool *out)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on"))
        *out = true;
    else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
             !strcasecmp(v, "off"))
        *out = false;
    else
        return false;
    return true;
}

static bool parse_u32(const char *v, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || end == v || *end || n > UINT32_MAX || *v == '-')
        return false;
    *out = (uint32_t)n;
    return true;
}

static bool parse_i64(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n <= 0)
        return false;
    *out = n;
    return true;
}

/* "2%" or "0.02". */
static bool parse_rate(const char *v, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v)
        return false;
    if (*end == '%') {
        d /= 100;
        end++;
    }
    if (*end || d <= 0 || d > 1)
        return false;
    *out = d;
    return true;
}

/* route = mx | smtp://HOST[:PORT] (IPv6 as [::1]:PORT) */
static bool parse_route(ff_stream_cfg *s, const char *v)
{
    if (strcmp(v, "mx") == 0) {
        s->route = FF_ROUTE_MX;
        return true;
    }
    if (strncmp(v, "smtp://", 7) != 0 || !v[7])
        return false;
    const char *h = v + 7, *port = NULL;
    size_t hl;
    if (*h == '[') {
        const char *close = strchr(h, ']');
        if (!close)
            return false;
        hl = (size_t)(close - h) + 1;
        port = close[1] == ':' ? close + 2 : NULL;
        if (close[1] && close[1] != ':')
            return false;
    } else {
        const char *colon = strchr(h, ':');
        hl = colon ? (size_t)(colon - h) : strlen(h);
        port = colon ? colon + 1 : NULL;
    }
    if (!hl || strchr(h, '/'))
        return false;
    uint32_t pn = 25;
    if (port && (!parse_u32(port, &pn) || pn == 0 || pn > 65535))
        return false;
    char *host = strndup(h, hl);
    if (!host)
        return false;
    free(s->relay_host);
    s->relay_host = host;
    s->relay_port = pn;
    s->route = FF_ROUTE_RELAY;
    return true;
}

static int stream_key(parse *p, ff_stream_cfg *s, const char *k, const char *v)
{
    static const struct {
        const char *key;
        size_t off;
    } strs[] = {
        {"from_domain", offsetof(ff_stream_cfg, from_domain)},
        {"user", offsetof(ff_stream_cfg, user)},
        {"password_file", offsetof(ff_stream_cfg, password_file)},
        {"password_env", offsetof(ff_stream_cfg, password_env)},
        {"ca_file", offsetof(ff_stream_cfg, ca_file)},
        {"dkim_key", offsetof(ff_stream_cfg, dkim_key)},
        {"dkim_selector", offsetof(ff_stream_cfg, dkim_selector)},
        {"dkim_domain", offsetof(ff_stream_cfg, dkim_domain)},
        {"bounce_domain", offsetof(ff_stream_cfg, bounce_domain)},
        {"unsubscribe_url", offsetof(ff_stream_cfg, unsubscribe_url)},
        {"unsubscribe_mailto", offsetof(ff_stream_cfg, unsubscribe_mailto)},
        {"warmup_start", offsetof(ff_stream_cfg, warmup_start)},
    };
    if (!strcmp(k, "password"))
        return fail(p, "'%s': put the password in password_file or password_env, never in "
                       "the configuration%s", k, "");
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (!strcmp(k, strs[i].key)) {
            if (!set_str((char **)((char *)s + strs[i].off), v)) {
                p->st = ff_error_set(p->err, FF_ENOMEM, "out of memory");
                return 0;
            }
            return 1;
        }
    int ok;
    if (!strcmp(k, "route"))
        ok = parse_route(s, v);
    else if (!strcmp(k, "tls")) {
        int m = ff_tls_mode_from_name(v);
        ok = m >= 0;
        if (ok)
            s->tls = (ff_tls_mode)m;
    } else if (!strcmp(k, "bulk"))
        ok = parse_bool(v, &s->bulk);
    else if (!strcmp(k, "warmup"))
        ok = parse_bool(v, &s->warmup);
    else if (!strcmp(k, "bounce_pause"))
        ok = parse_rate(v, &s->bounce_pause);
    else if (!strcmp(k, "max_per_minute"))
        ok = parse_u32(v, &s->max_per_minute);
    else if (!strcmp(k, "daily_cap"))
        ok = parse_u32(v, &s->daily_cap);
    else if (!strcmp(k, "connections"))
        ok = parse_u32(v, &s->connections) && s->connections >= 1 && s->connections <= 64;
    else
        return fail(p, "unknown key '%s' in a stream section%s", k, "");
    if (!ok)
        return fail(p, "bad value for %s: '%s'", k, v);
    return 1;
}

static int global_key(parse *p, const char *k, const char *v)
{
    ff_config *c = p->cfg;
    if (!strcmp(k, "db") || !strcmp(k, "helo")) {
        if (!set_str(!strcmp(k, "db") ? &c->db : &c->helo, v)) {
            p->st = ff_error_set(p->err, FF_ENOMEM, "out of memory");
            return 0;
        }
        return 1;
    }
    int64_t *dst = !strcmp(k, "retry_first")      ? &c->retry_first
                   : !strcmp(k, "retry_max")      ? &c->retry_max
                   : !strcmp(k, "queue_lifetime") ? &c->queue_lifetime
                                                  : NULL;
    if (!dst)
        return fail(p, "unknown key '%s' in [fivefifty]%s", k, "");
    if (!parse_i64(v, dst))
        return fail(p, "bad value for %s: '%s' (seconds)", k, v);
    return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    parse *p = user;
    if (strpbrk(value, "\r\n") || strpbrk(name, "\r\n"))
        return fail(p, "a value with CR or LF for '%s'%s", name, "");
    if (!strcmp(section, "fivefifty"))
        return global_key(p, name, value);
    if (!strncmp(section, "stream.", 7) && section[7]) {
        for (const char *c = section + 7; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
                return fail(p, "stream name '%s' may hold only letters, digits, - and _%s",
                            section + 7, "");
        ff_stream_cfg *s = stream_get(p->cfg, section + 7, true);
        if (!s) {
            p->st = ff_error_set(p->err, FF_ENOMEM, "out of memory or too many streams");
            return 0;
        }
        return stream_key(p, s, name, value);
    }
    return fail(p, "unknown section [%s]%s", section, "");
}

static ff_config *defaults(void)
{
    ff_config *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->retry_first = 300;
    c->retry_max = 14400;
    c->queue_lifetime = 5 * 86400;
    for (size_t i = 0; i < 2; i++) {
        ff_stream_cfg *s = stream_get(c, default_streams[i], true);
        if (!s) {
            ff_config_free(c);
            return NULL;
        }
        if (i == 1) {
            s->bulk = true;
            s->warmup = true;
        }
    }
    return c;
}

/* The defaults are made first and the file is applied over them: a [stream.outreach]
 * section changes only the keys it names, so outreach stays bulk with warm-up unless the
 * file says otherwise. */
ff_status ff_config_parse(const char *text, const char *name, ff_config **out, ff_error *err)
{
    *out = NULL;
    ff_config *c = defaults();
    if (!c)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    if (text) {
        parse p = {.cfg = c, .err = err, .name = name, .st = FF_OK};
        int line = ini_parse_string(text, handler, &p);
        if (line != 0) {
            char msg[FF_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", (err && p.st != FF_OK) ? err->msg : "syntax error");
            ff_config_free(c);
            if (p.st == FF_ENOMEM)
                return FF_ENOMEM;
            return ff_error_set(err, FF_EPARSE, "%s:%d: %s", name ? name : "config", line, msg);
        }
    }
    for (size_t i = 0; i < c->nstreams; i++) {
        ff_stream_cfg *s = &c->streams[i];
        if (s->user && s->tls == FF_TLS_NONE) {
            ff_error_set(err, FF_EPARSE, "%s: stream %s has relay credentials with tls = none;"
                         " AUTH is never sent in the clear", name ? name : "config", s->name);
            ff_config_free(c);
            return FF_EPARSE;
        }
    }
    *out = c;
    return FF_OK;
}

ff_status ff_config_load(const char *path, ff_config **out, ff_error *err)
{
    if (!out)
        return ff_error_set(err, FF_EINVAL, "config: no output");
    *out = NULL;
    if (!path)
        return ff_config_parse(NULL, NULL, out, err);
    FILE *f = fopen(path, "r");
    if (!f)
        return ff_error_set(err, FF_EIO, "%s: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            if (cap > 1024 * 1024) {
                free(text);
                fclose(f);
                return ff_error_set(err, FF_ETOOBIG, "%s: larger than 1 MiB", path);
            }
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                return ff_error_set(err, FF_ENOMEM, "out of memory");
            }
            text = t;
        }
        memcpy(text + len, buf, n);
        len += n;
    }
    fclose(f);
    if (!text && !(text = calloc(1, 1)))
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    text[len] = '\0';
    ff_status st = ff_config_parse(text, path, out, err);
    free(text);
    return st;
}

const ff_stream_cfg *ff_config_stream(const ff_config *cfg, const char *name)
{
    for (size_t i = 0; cfg && name && i < cfg->nstreams; i++)
        if (strcmp(cfg->streams[i].name, name) == 0)
            return &cfg->streams[i];
    return NULL;
}

ff_status ff_config_password(const ff_stream_cfg *s, char *buf, size_t cap, ff_error *err)
{
    if (!s || !buf || cap == 0)
        return ff_error_set(err, FF_EINVAL, "config: no buffer for the password");
    buf[0] = '\0';
    if (s->password_file) {
        FILE *f = fopen(s->password_file, "r");
        if (!f)
            return ff_error_set(err, FF_EIO, "password_file %s: %s", s->password_file,
                                strerror(errno));
        bool got = fgets(buf, (int)cap, f) != NULL;
        fclose(f);
        size_t l = got ? strlen(buf) : 0;
        if (got && l == cap - 1 && buf[l - 1] != '\n') {
            memset(buf, 0, cap);
            return ff_error_set(err, FF_ETOOBIG, "password_file %s: first line too long",
                                s->password_file);
        }
        while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
            buf[--l] = '\0';
        if (!l)
            return ff_error_set(err, FF_ENOTFOUND, "password_file %s is empty",
                                s->password_file);
        return FF_OK;
    }
    if (s->password_env) {
        const char *v = getenv(s->password_env);
        if (!v || !*v)
            return ff_error_set(err, FF_ENOTFOUND, "environment variable %s is not set",
                                s->password_env);
        if (strlen(v) >= cap)
            return ff_error_set(err, FF_ETOOBIG, "%s is too long", s->password_env);
        memcpy(buf, v, strlen(v) + 1);
        return FF_OK;
    }
    return ff_error_set(err, FF_ENOTFOUND, "stream %s has no password_file or password_env",
                        s->name);
}

void ff_config_free(ff_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->nstreams; i++)
        stream_clear(&cfg->streams[i]);
    free(cfg->streams);
    free(cfg->db);
    free(cfg->helo);
    free(cfg);
}
