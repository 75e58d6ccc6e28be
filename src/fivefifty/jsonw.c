/* jsonw.c - JSON lines written directly, for decode's records (see cli.h)
 *
 * Building a jansson object per record and dumping it cost more than classifying the
 * record. This writer produces the same bytes jansson's compact dump does (same escapes,
 * upper-case \u00XX, UTF-8 left as is) and, like json_string(), leaves out a member whose
 * value is not valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Room for n more bytes and the NUL after them; false when there is no memory. */
static bool reserve(cli_jw *w, size_t n)
{
    if (w->oom)
        return false;
    if (w->n + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1024;
        while (cap < w->n + n + 1)
            cap *= 2;
        char *p = realloc(w->p, cap);
        if (p == NULL) {
            w->oom = true;
            return false;
        }
        w->p = p;
        w->cap = cap;
    }
    return true;
}

static void put(cli_jw *w, const char *s, size_t n)
{
    if (!reserve(w, n))
        return;
    memcpy(w->p + w->n, s, n);
    w->n += n;
    w->p[w->n] = '\0';
}

/* Strict UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF), as jansson checks. */
static bool utf8_ok(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s;
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || (len == 2 && c < 0xc2) || (len == 4 && c > 0xf4))
            return false;
        unsigned cp = len == 1 ? c : c & (0x7f >> len);
        for (size_t i = 1; i < len; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        s += len;
    }
    return true;
}

/* Word-at-a-time tests over s[0..n), n known (never reading past the string): whether
 * any byte has its high bit set, and whether any byte needs a JSON escape (below 0x20,
 * '"' or '\\'). The byte loops below stay the reference; these only skip them. */
#define ONES 0x0101010101010101u
#define HIGH 0x8080808080808080u

enum { HAS_HIGH = 1, HAS_ESCAPE = 2 };

/* HAS_HIGH when some byte has its high bit set, HAS_ESCAPE when some byte needs a JSON
 * escape (below 0x20, '"' or '\\'), in one pass. */
static unsigned scan(const char *s, size_t n)
{
    uint64_t high = 0, esc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, q, b;
        memcpy(&x, s + i, 8);
        q = x ^ (ONES * '"');
        b = x ^ (ONES * '\\');
        high |= x;
        /* (x - 0x20..) & ~x flags a byte below 0x20 only when it has no high bit; a byte
         * with it is counted in `high` and makes the slow path run anyway */
        esc |= ((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b);
    }
    unsigned f = ((high & HIGH) ? HAS_HIGH : 0) | ((esc & HIGH) ? HAS_ESCAPE : 0);
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c & 0x80)
            f |= HAS_HIGH;
        if (c < 0x20 || c == '"' || c == '\\')
            f |= HAS_ESCAPE;
    }
    return f;
}

/* A string value that needs escapes (see cli_jw_str() for the others). */
static void quoted(cli_jw *w, const char *s)
{
    put(w, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *esc = NULL;
        char u[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                snprintf(u, sizeof u, "\\u%04X", c);
                esc = u;
            }
        }
        if (esc) {
            put(w, run, (size_t)(s - run));
            put(w, esc, strlen(esc));
            run = s + 1;
        }
    }
    put(w, run, (size_t)(s - run));
    put(w, "\"", 1);
}

static void key(cli_jw *w, const char *k)
{
    put(w, w->members++ ? ",\"" : "{\"", 2);
    put(w, k, strlen(k));
    put(w, "\":", 2);
}

void cli_jw_begin(cli_jw *w)
{
    w->members = 0;
}

void cli_jw_str(cli_jw *w, const char *k, const char *v)
{
    if (v == NULL)
        return;
    size_t n = strlen(v);
    unsigned f = scan(v, n);
    if ((f & HAS_HIGH) && !utf8_ok((const unsigned char *)v))
        return; /* ASCII is valid UTF-8: only other text needs the full check */
    if (f & HAS_ESCAPE) {
        key(w, k);
        quoted(w, v);
        return;
    }
    /* most members: ,"key":"value" written at once into room made once */
    size_t kl = strlen(k);
    if (!reserve(w, kl + n + 6))
        return;
    char *o = w->p + w->n;
    memcpy(o, w->members++ ? ",\"" : "{\"", 2);
    memcpy(o + 2, k, kl);
    memcpy(o + 2 + kl, "\":\"", 3);
    memcpy(o + 5 + kl, v, n);
    o[5 + kl + n] = '"';
    w->n += kl + n + 6;
    w->p[w->n] = '\0';
}

void cli_jw_str_opt(cli_jw *w, const char *k, const char *v)
{
    if (v != NULL && *v != '\0')
        cli_jw_str(w, k, v);
}

void cli_jw_int(cli_jw *w, const char *k, long long v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%lld", v);
    key(w, k);
    put(w, b, (size_t)n);
}

void cli_jw_null(cli_jw *w, const char *k)
{
    key(w, k);
    put(w, "null", 4);
}

void cli_jw_bool(cli_jw *w, const char *k, bool v)
{
    key(w, k);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void cli_jw_end(cli_jw *w)
{
    put(w, w->members ? "}\n" : "{}\n", w->members ? 2 : 3);
}
