/* spf_macro.c - RFC 7208 section 7 macro expansion (see include/fivefifty/spf.h)
 *
 * %{s l o d i p v h} everywhere, %{c r t} in exp= only; a digit count keeps that many
 * rightmost labels, 'r' reverses, and other delimiters than '.' may be named; an upper-case
 * letter URL-encodes the result; %% %_ %- are '%', ' ' and "%20". Anything else after '%'
 * is a syntax error, which the caller turns into a permerror.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fivefifty/spf.h"

#define PARTS_MAX 128

static bool put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
    if (*o + n >= cap)
        return false;
    memcpy(out + *o, s, n);
    *o += n;
    out[*o] = '\0';
    return true;
}

/* The value of one macro letter (lower-cased), before transformers. */
static void value(char letter, const ff_spf_macro_ctx *c, char *v, size_t cap)
{
    v[0] = '\0';
    switch (letter) {
    case 's': snprintf(v, cap, "%s", c->sender ? c->sender : ""); break;
    case 'l': snprintf(v, cap, "%s", c->local ? c->local : "postmaster"); break;
    case 'o': snprintf(v, cap, "%s", c->sender_domain ? c->sender_domain : ""); break;
    case 'd': snprintf(v, cap, "%s", c->domain ? c->domain : ""); break;
    case 'h': snprintf(v, cap, "%s", c->helo ? c->helo : ""); break;
    case 'r': snprintf(v, cap, "%s", c->receiver ? c->receiver : "unknown"); break;
    case 'c': snprintf(v, cap, "%s", c->ip ? c->ip : ""); break;
    case 'v': snprintf(v, cap, "%s", c->ipv6 ? "ip6" : "in-addr"); break;
    case 'p': snprintf(v, cap, "%s", c->ptr_name ? c->ptr_name : "unknown"); break;
    case 't': snprintf(v, cap, "%lld", (long long)time(NULL)); break;
    case 'i':
        if (c->ipv6) {
            size_t o = 0;
            for (int i = 0; i < 16 && o + 4 < cap; i++)
                o += (size_t)snprintf(v + o, cap - o, c->hex_upper ? "%X.%X%s" : "%x.%x%s",
                                      c->addr[i] >> 4, c->addr[i] & 15, i < 15 ? "." : "");
        } else {
            snprintf(v, cap, "%u.%u.%u.%u", c->addr[0], c->addr[1], c->addr[2], c->addr[3]);
        }
        break;
    }
}

static bool url_safe(unsigned char ch)
{
    return isalnum(ch) || strchr("-._~", ch);
}

ff_status ff_spf_macro_expand(const char *spec, size_t len, const ff_spf_macro_ctx *ctx,
                              bool exp, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < len; i++) {
        char ch = spec[i];
        if (ch != '%') {
            if (!put(out, cap, &o, &ch, 1))
                return FF_ETOOBIG;
            continue;
        }
        if (++i >= len)
            return FF_EPARSE;
        if (spec[i] == '%' || spec[i] == '_' || spec[i] == '-') {
            const char *lit = spec[i] == '%' ? "%" : spec[i] == '_' ? " " : "%20";
            if (!put(out, cap, &o, lit, strlen(lit)))
                return FF_ETOOBIG;
            continue;
        }
        if (spec[i] != '{')
            return FF_EPARSE;
        const char *close = memchr(spec + i, '}', len - i);
        if (!close)
            return FF_EPARSE;
        const char *m = spec + i + 1;
        size_t ml = (size_t)(close - m);
        i = (size_t)(close - spec);
        if (ml == 0)
            return FF_EPARSE;
        char letter = m[0];
        bool upper = isupper((unsigned char)letter);
        char lc = (char)tolower((unsigned char)letter);
        if (!strchr("slodiphv", lc) && !(exp && strchr("crt", lc)))
            return FF_EPARSE;
        size_t k = 1;
        long keep = 0;
        while (k < ml && isdigit((unsigned char)m[k])) {
            keep = keep * 10 + (m[k] - '0');
            if (keep > 128)
                keep = 128;
            k++;
        }
        if (k > 1 && keep == 0)
            return FF_EPARSE; /* "0" labels is not allowed */
        bool reverse = false;
        if (k < ml && (m[k] == 'r' || m[k] == 'R')) {
            reverse = true;
            k++;
        }
        char delims[16] = "";
        size_t nd = 0;
        for (; k < ml; k++) {
            if (!strchr(".-+,/_=", m[k]))
                return FF_EPARSE;
            if (nd + 1 < sizeof delims)
                delims[nd++] = m[k];
        }
        if (!nd)
            delims[nd++] = '.';
        delims[nd] = '\0';
        char v[1024];
        value(lc, ctx, v, sizeof v);
        /* Split on the delimiters, then reverse and keep the rightmost `keep`. */
        char *parts[PARTS_MAX];
        size_t np = 0;
        char *p = v;
        parts[np++] = p;
        for (; *p && np < PARTS_MAX; p++)
            if (strchr(delims, *p)) {
                *p = '\0';
                parts[np++] = p + 1;
            }
        if (reverse)
            for (size_t a = 0, b = np - 1; a < b; a++, b--) {
                char *t = parts[a];
                parts[a] = parts[b];
                parts[b] = t;
            }
        size_t first = keep > 0 && (size_t)keep < np ? np - (size_t)keep : 0;
        for (size_t j = first; j < np; j++) {
            if (j > first && !put(out, cap, &o, ".", 1))
                return FF_ETOOBIG;
            const char *s = parts[j];
            for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (upper && !url_safe(c)) {
                    char enc[4];
                    snprintf(enc, sizeof enc, "%%%02X", c);
                    if (!put(out, cap, &o, enc, 3))
                        return FF_ETOOBIG;
                } else if (!put(out, cap, &o, (const char *)&c, 1)) {
                    return FF_ETOOBIG;
                }
            }
        }
    }
    return FF_OK;
}
