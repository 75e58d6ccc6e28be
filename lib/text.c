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
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Whether needle[0..n) is at p: exactly, or up to ASCII case when `fold`. */
static bool same(const char *p, const char *needle, size_t n, unsigned char fold)
{
    return fold ? strncasecmp(p, needle, n) == 0 : memcmp(p, needle, n) == 0;
}

/* The first place in hay[0..len) where needle[0..n) sits, n >= 2: its first and last
 * bytes are looked for together, sixteen places at a time, and only where both are there
 * is the whole needle compared. Looking for the first byte alone (memchr() a vector at a
 * time, then a compare) stopped at every 'e' or 's' of a text: a scanner's detect() calls
 * this for one or two banners in every bounce, and memchr() was a tenth of a corpus
 * decode's time, two fifths of it from these searches (callgrind). Two bytes a needle's
 * length apart rarely both match by chance; next to each other they often do ("--" in a
 * MIME boundary, "th"). `fold` 0x20 compares the two bytes with their 0x20 bit set, which
 * lets both ASCII cases of a letter through (and, for some other bytes, a partner that the
 * full compare then refuses); 0 compares them exactly. */
static const char *find2(const char *hay, size_t len, const char *needle, size_t n,
                         unsigned char fold)
{
    if (n > len)
        return NULL;
    const unsigned char t0 = (unsigned char)needle[0] | fold,
                        t1 = (unsigned char)needle[n - 1] | fold;
    const size_t last = len - n; /* the last place the needle can start */
    size_t i = 0;
#if defined(__SSE2__)
    if (last >= 15) {
        const __m128i f = _mm_set1_epi8((char)fold), a0 = _mm_set1_epi8((char)t0),
                      a1 = _mm_set1_epi8((char)t1);
        /* the block of places j..j+15 reads bytes up to j+15+n-1, at most len-1 when
         * j <= last-15; the last block is moved back to end at `last`, and its places
         * before i, already looked at, are masked off */
        for (;;) {
            size_t j = i + 15 <= last ? i : last - 15;
            __m128i x =
                _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(hay + j)), f);
            __m128i y = _mm_or_si128(
                _mm_loadu_si128((const __m128i *)(const void *)(hay + j + n - 1)), f);
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_and_si128(_mm_cmpeq_epi8(x, a0), _mm_cmpeq_epi8(y, a1)));
            m &= 0xFFFFu << (i - j);
            while (m != 0) {
                const char *p = hay + j + (unsigned)__builtin_ctz(m);
                if (same(p, needle, n, fold))
                    return p;
                m &= m - 1;
            }
            if (j + 15 >= last)
                return NULL;
            i = j + 16;
        }
    }
#endif
    for (; i <= last; i++) {
        if (((unsigned char)hay[i] | fold) == t0 && ((unsigned char)hay[i + n - 1] | fold) == t1 &&
            same(hay + i, needle, n, fold))
            return hay + i;
    }
    return NULL;
}

const char *ff_memmem(const char *hay, size_t hay_len, const char *needle, size_t n)
{
    if (n == 0)
        return hay;
    if (n == 1)
        return memchr(hay, needle[0], hay_len);
    return find2(hay, hay_len, needle, n, 0);
}

const char *ff_memcasemem(const char *hay, size_t hay_len, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return hay;
    if (n > hay_len)
        return NULL;
    if (n >= 2 && !((unsigned char)needle[0] & 0x80) && !((unsigned char)needle[n - 1] & 0x80))
        return find2(hay, hay_len, needle, n, 0x20);
    /* one byte, or a needle whose first or last byte is not ASCII (a locale may fold
     * those): every place its first byte is */
    for (size_t i = 0; i + n <= hay_len; i++)
        if (tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[0]) &&
            strncasecmp(hay + i, needle, n) == 0)
            return hay + i;
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
