/* text.c - bounded string helpers for the text scanners (see text.h)
 *
 * Scanners in lib/lhost/ and the DSN/ARF field readers share these so each format file
 * holds only what is particular to its format.
 */
#include "text.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* memchr() runs a word or a vector at a time: finding the places where the needle's first
 * byte occurs (in either case) with it, and comparing only there, beats comparing at every
 * position. pl and pu are the next lower- and upper-case occurrences, NULL past the last. */
const char *ff_memcasemem(const char *hay, size_t hay_len, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return hay;
    if (n > hay_len)
        return NULL;
    unsigned char lo = (unsigned char)tolower((unsigned char)needle[0]);
    unsigned char up = (unsigned char)toupper(lo);
    const char *end = hay + (hay_len - n + 1); /* a match starts before end */
    const char *pl = memchr(hay, lo, (size_t)(end - hay));
    const char *pu = up != lo ? memchr(hay, up, (size_t)(end - hay)) : NULL;
    while (pl != NULL || pu != NULL) {
        bool at_lo = pu == NULL || (pl != NULL && pl < pu);
        const char *f = at_lo ? pl : pu;
        /* the second byte settles most candidates without a call */
        if (n == 1 || (tolower((unsigned char)f[1]) == tolower((unsigned char)needle[1]) &&
                       strncasecmp(f + 2, needle + 2, n - 2) == 0))
            return f;
        if (at_lo)
            pl = memchr(f + 1, lo, (size_t)(end - f - 1));
        else
            pu = memchr(f + 1, up, (size_t)(end - f - 1));
    }
    return NULL;
}

/* One pass that stops at the first differing byte (the inline ff_startswith_case() has
 * already matched the byte before s). */
bool ff_startswith_case_rest(const char *s, size_t len, const char *prefix)
{
    for (size_t i = 0; prefix[i] != '\0'; i++) {
        if (i == len || tolower((unsigned char)s[i]) != tolower((unsigned char)prefix[i]))
            return false;
    }
    return true;
}

void ff_trim(const char **s, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

char *ff_strndup_trim(const char *s, size_t len)
{
    ff_trim(&s, &len);
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

/* The number of bytes before the first one at or below ' ' among the eight at s (8 when
 * there is none): white space is all there, and unfolded text is mostly runs without it.
 * (w - 0x21 in every byte) & ~w sets the high bit of a byte below 0x21; a borrow can set
 * it in bytes after that one too, never before, so the lowest flag is exact. */
static size_t run8(const char *s)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t w;
    memcpy(&w, s, 8);
    uint64_t low = (w - ones * 0x21) & ~w & high;
    return low ? (size_t)__builtin_ctzll(low) / 8 : 8;
#else
    size_t k = 0;
    while (k < 8 && (unsigned char)s[k] > ' ')
        k++;
    return k;
#endif
}

char *ff_unfold(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0, i = 0;
    bool space = false;
    /* o + space <= i throughout (a run of white space gives at most one space), so the
     * eight bytes copied at out + o (+ 1) end within the len + 1 allocated */
    while (i < len) {
        if (len - i >= 8) {
            size_t k = run8(s + i);
            if (k > 0) {
                if (space)
                    out[o++] = ' ';
                space = false;
                memcpy(out + o, s + i, 8);
                o += k;
                i += k;
                continue;
            }
        }
        unsigned char c = (unsigned char)s[i++];
        if (isspace(c) || c == '\0') {
            space = o > 0;
            continue;
        }
        if (space)
            out[o++] = ' ';
        space = false;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return out;
}

/* RFC 5322 atext, without the characters that end an address in running text. */
static bool atext(unsigned char c)
{
    /* strchr() finds the terminating NUL too: a NUL byte is no atext */
    return isalnum(c) || (c >= 0x80) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

static bool domchar(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c >= 0x80;
}

bool ff_addr_find(const char *s, size_t len, size_t *off, size_t *alen)
{
    for (size_t at = 0; at < len; at++) {
        if (s[at] != '@' || at == 0)
            continue;
        size_t b = at;
        if (s[at - 1] == '"') {
            /* quoted local part: walk back to the opening quote, within one line: qtext
             * holds no control characters (RFC 5322), and a quote found across a line end
             * or a NUL opened some other string ("|/usr/bin/procmail ..." lines), whose
             * copy would stop at the NUL without its '@' */
            size_t q = at - 1;
            while (q > 0 && s[q - 1] != '"' && (unsigned char)s[q - 1] >= 0x20)
                q--;
            if (q == 0 || s[q - 1] != '"')
                continue;
            b = q - 1;
        } else {
            while (b > 0 && atext((unsigned char)s[b - 1]))
                b--;
        }
        while (b < at && s[b] == '.')
            b++;
        size_t e = at + 1;
        while (e < len && domchar((unsigned char)s[e]))
            e++;
        while (e > at + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
            e--;
        if (b == at || e == at + 1)
            continue;
        /* a domain needs a dot, or be a bracketed literal we do not chase here */
        if (memchr(s + at + 1, '.', e - at - 1) == NULL)
            continue;
        *off = b;
        *alen = e - b;
        return true;
    }
    return false;
}

char *ff_addr_dup(const char *s, size_t len)
{
    size_t off, n;
    if (!ff_addr_find(s, len, &off, &n))
        return NULL;
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, s + off, n);
    out[n] = '\0';
    char *at = strrchr(out, '@');
    for (char *p = at; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}
