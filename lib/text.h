/* text.h - internal: small string tools every text scanner needs
 *
 * Bounce text is untrusted: these functions take explicit lengths, never read past them,
 * and allocate what they return (the caller frees with free()).
 */
#ifndef FF_TEXT_H
#define FF_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ff_newline() is memchr(s, '\n', n): the first LF in s[0..n), or NULL.
 *
 * Inline, 16 bytes a step: every header and text walker asks it for the end of each line
 * (some 250 lines a bounce, 40-80 bytes each), and for lines that short the call into
 * libc and its set-up cost as much as the search. The last step re-reads the final 16
 * bytes, whose first part is known to hold no LF, so nothing past s + n is read. */
static inline const char *ff_newline(const char *s, size_t n)
{
#if defined(__SSE2__)
    if (n >= 16) {
        const char *end = s + n;
        const __m128i lf = _mm_set1_epi8('\n');
        for (;;) {
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)s), lf));
            if (m != 0)
                return s + __builtin_ctz(m);
            s += 16;
            if (end - s < 16)
                break;
        }
        if (s == end)
            return NULL;
        const char *last = end - 16;
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)last), lf));
        return m != 0 ? last + __builtin_ctz(m) : NULL;
    }
#endif
    return (const char *)memchr(s, '\n', n);
}

/* ff_line_next() walks `buf` (len bytes) line by line from *pos: stores the line without its
 * LF/CRLF in *line, *line_len, advances *pos and returns true; false at the end.
 *
 * Inline: the scanners and the DSN reader call it for every line they read (200,000 times
 * over the corpus run), and the call cost as much as the rest of it but the memchr(). */
static inline bool ff_line_next(const char *buf, size_t len, size_t *pos, const char **line,
                                size_t *line_len)
{
    if (*pos >= len)
        return false;
    const char *start = buf + *pos;
    const char *nl = ff_newline(start, len - *pos);
    size_t n = nl ? (size_t)(nl - start) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n > 0 && start[n - 1] == '\r')
        n--;
    *line = start;
    *line_len = n;
    return true;
}

/* ff_memcasemem() finds `needle` (NUL-terminated, ASCII) in hay[0..hay_len) ignoring ASCII
 * case. Returns a pointer into hay or NULL. */
const char *ff_memcasemem(const char *hay, size_t hay_len, const char *needle);

/* ff_memmem() is memmem(): the first needle[0..n) in hay[0..hay_len), a pointer into hay
 * or NULL (hay itself for an empty needle). Faster than glibc's for the short needles and
 * texts of a few kilobytes that decoding searches (see text.c). */
const char *ff_memmem(const char *hay, size_t hay_len, const char *needle, size_t n);

/* ff_startswith_case() says whether s[0..len) starts with `prefix`, ignoring ASCII case.
 *
 * Scanners ask this of nearly every line for many prefixes (mta_cut() alone some 300,000
 * times over the shared corpus), and the first byte rejects nearly all of them: that test
 * is inline, where a literal prefix makes its folded first byte a constant, and only the
 * rare line that passes it pays for the call. */
bool ff_startswith_case_rest(const char *s, size_t len, const char *prefix);

static inline bool ff_startswith_case(const char *s, size_t len, const char *prefix)
{
    unsigned char p = (unsigned char)prefix[0];
    if (p == '\0')
        return true;
    if (len == 0)
        return false;
    unsigned char c = (unsigned char)s[0];
    /* ASCII case folding: the library never sets a locale, so tolower() is this too */
    if ((c >= 'A' && c <= 'Z' ? c | 0x20 : c) != (p >= 'A' && p <= 'Z' ? p | 0x20 : p))
        return false;
    return ff_startswith_case_rest(s + 1, len - 1, prefix + 1);
}

/* ff_trim() narrows [*s, *s + *len) past leading and trailing white space. */
void ff_trim(const char **s, size_t *len);

/* ff_strndup_trim() copies s[0..len) without surrounding white space. Caller frees.
 * Returns NULL on ENOMEM. */
char *ff_strndup_trim(const char *s, size_t len);

/* ff_unfold() copies s[0..len), turning every run of white space (line ends included) into
 * one space and trimming both ends. A NUL byte counts as white space: the copy is a C
 * string, and a NUL inside it would cut off what follows (or leave nothing at all).
 * Caller frees. Returns NULL on ENOMEM. */
char *ff_unfold(const char *s, size_t len);

/* ff_addr_find() finds the first mail address (local@domain, optionally in <...>) in
 * s[0..len). Stores its offset and length (without brackets) and returns true, or false
 * when there is none. The address must have a dot-free or dotted domain of letters,
 * digits, '-' and '.', and a local part of atext characters, dots or a quoted string. */
bool ff_addr_find(const char *s, size_t len, size_t *off, size_t *alen);

/* ff_addr_dup() returns the first address of s[0..len) as a new string with its domain
 * lower-cased, or NULL when there is none (or on ENOMEM). Caller frees. */
char *ff_addr_dup(const char *s, size_t len);

#endif
