/* mail.c - a bounce message turned into the plain strings the decoders read (see mail.h)
 *
 * NAME
 *   ff_mail_parse, ff_mail_header, ff_mail_free
 *
 * DESCRIPTION
 *   First step of the "bounce that arrives later" path in DESIGN.md: decode (MIME) ->
 *   records. The structure (fields, parts, transfer encodings) is read in place by mime.c;
 *   GMime 3 is used for what it does best and cheaply: RFC 2047 encoded-words in header
 *   values and charset names for iconv (opened when first needed: mail_gmime.c). (GMime's
 *   parser built an object tree per message and cost more than everything after it:
 *   decode ran 1.7x faster without it, with byte for byte the same records on the shared
 *   corpus.) This file copies the top-level
 *   headers (unfolded, decoded to UTF-8) and walks the parts once, sorting what it finds
 *   into four buckets:
 *
 *     text          text/plain parts outside any returned message, converted from their
 *                   charset to UTF-8 with LF line ends; text/html stripped of its tags
 *                   when the message has no text/plain at all
 *     dsn           message/delivery-status, message/global-delivery-status bodies, raw
 *     feedback      message/feedback-report bodies, raw
 *     orig_headers  the identifying fields (Message-ID, From, To, Subject, ...) of the
 *                   header block of the first message/rfc822, message/global or
 *                   text/rfc822-headers part
 *
 *   Everything after that (dsn.c, arf.c, the lhost scanners, decode.c) works on those
 *   strings and never sees a MIME tree.
 *
 *   Bounces are often broken: truncated MIME, missing closing boundaries, 8-bit bytes in
 *   headers, wrong charset labels. mime.c is lenient about the structure; this file adds
 *   leniency about the bytes: text that does not convert is made valid UTF-8 by
 *   replacement, never dropped.
 *
 * BOUNDS
 *   The walk stops at MAIL_DEPTH_MAX nested entities and MAIL_PARTS_MAX parts; each bucket
 *   is capped (longer content is truncated, not refused), header count and lengths too.
 *
 * DIAGNOSTICS
 *   FF_EPARSE when the bytes hold no header at all, FF_ENOMEM. Never prints.
 */
#include "mail.h"
#include "mail_gmime.h"
#include "mime.h"
#include "text.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if !GLIB_CHECK_VERSION(2, 46, 0)
#error "decode_value() hands g_malloc()ed strings to free(): needs GLib 2.46 or later"
#endif

#define MAIL_DEPTH_MAX 16
#define MAIL_PARTS_MAX 256
#define MAIL_HEADERS_MAX 1000
#define MAIL_HEADER_VALUE_MAX (64u * 1024)
#define MAIL_TEXT_MAX (4u * 1024 * 1024)
#define MAIL_DSN_MAX (1024u * 1024)
#define MAIL_FEEDBACK_MAX (256u * 1024)
#define MAIL_ORIG_MAX (256u * 1024)
#define TYPE_MAX 128  /* a content type, lower-cased */
#define PARAM_MAX 256 /* one parameter's value */

static pthread_once_t conv_once = PTHREAD_ONCE_INIT;

/* Run before the first charset conversion of the process (most bounces need none). */
static void keep_converters(void)
{
    /* One open descriptor per common bounce charset keeps its gconv module loaded for the
     * life of the process: otherwise every conversion loads and unloads it again, which
     * cost more than the conversion, and threads would race to do it. */
    static const char *const resident[] = {"ISO-2022-JP", "WINDOWS-1252", "ISO-8859-1",
                                           "SHIFT_JIS",   "EUC-JP",       "ISO-8859-15",
                                           "EUC-KR",      "GB2312",       "BIG5",
                                           "KOI8-R"};
    static GIConv kept[sizeof resident / sizeof resident[0]];
    for (size_t i = 0; i < sizeof resident / sizeof resident[0]; i++)
        kept[i] = g_iconv_open("UTF-8", resident[i]);
    (void)kept; /* never closed, on purpose */
}

/* A growing byte buffer with a cap: appends past the cap are dropped silently, because
 * a truncated bounce text still classifies, and a refused one does not. */
typedef struct buf {
    char *p;
    size_t n, cap, max;
    bool oom;
} buf;

/* Room for `need` more bytes and a NUL after the first b->n; false (and oom) when there
 * is no memory for it. The cap is the caller's business. */
static bool buf_room(buf *b, size_t need)
{
    if (b->oom)
        return false;
    if (b->n + need + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + need + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void buf_add(buf *b, const char *s, size_t n)
{
    if (b->oom || b->n >= b->max)
        return;
    if (n > b->max - b->n)
        n = b->max - b->n;
    if (!buf_room(b, n))
        return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* Hands the buffer over as a NUL-terminated string ("" when empty). */
static char *buf_take(buf *b, size_t *len)
{
    if (b->p == NULL && !b->oom) {
        b->p = malloc(1);
        if (b->p == NULL)
            b->oom = true;
        else
            b->p[0] = '\0';
    }
    char *p = b->p;
    *len = b->n;
    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}

/* Valid UTF-8 without NUL bytes, as every later stage assumes C strings of UTF-8:
 * g_utf8_make_valid() with a length turns invalid bytes and NULs alike into U+FFFD.
 * Returns a g_malloc'd string. */
static char *make_utf8(const char *s, size_t n)
{
    if (s == NULL || n == 0)
        return g_strdup("");
    return g_utf8_make_valid(s, (gssize)n);
}

static bool is_ascii_compatible(const char *cs)
{
    return cs == NULL || g_ascii_strcasecmp(cs, "us-ascii") == 0 ||
           g_ascii_strcasecmp(cs, "ascii") == 0 || g_ascii_strcasecmp(cs, "utf-8") == 0 ||
           g_ascii_strcasecmp(cs, "utf8") == 0;
}

/* Bytes 0x01-0x7F without ESC (which starts ISO-2022-JP's shifts). Every text part and
 * every header name is asked this, so eight bytes are tested at once: a high bit set, a
 * zero byte, an ESC byte (a zero in w ^ ESC). (x - 1) & ~x has a high bit set in some
 * byte exactly when some byte of x is zero. */
static bool plain_ascii(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, esc = ones * 0x1b;
    uint64_t bad = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, e;
        memcpy(&w, s + i, 8);
        e = w ^ esc;
        bad |= w | ((w - ones) & ~w) | ((e - ones) & ~e);
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bad |= (uint64_t)((c & 0x80) | (c == 0 || c == 0x1b ? 0x80 : 0));
    }
    return (bad & ones * 0x80) == 0;
}

/* Whether s[0..n) holds ESC $ B, ISO-2022-JP's shift into JIS X 0208: memchr() finds the
 * rare ESC a vector at a time, where memmem() walked every byte of long texts. */
static bool has_jis_escape(const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    while ((p = memchr(p, 0x1b, (size_t)(end - p))) != NULL) {
        if (end - p >= 3 && p[1] == '$' && p[2] == 'B')
            return true;
        p++;
    }
    return false;
}

/* Converts `raw` (n bytes in `charset`, NULL when unlabelled) to UTF-8. Unlabelled or
 * ASCII-labelled text is read as UTF-8 first, because that is what mislabelled mail
 * most often is; ISO-2022-JP is recognised by its escape sequences even without a label
 * (Japanese MTAs send it so); failing all that, windows-1252, which maps every byte. */
static char *to_utf8(const char *raw, size_t n, const char *charset)
{
    /* Most bounce text is ASCII without NULs or escapes: then each path below returns an
     * exact copy, so one scan replaces a search, a validation and another validation. */
    if (n > 0 && is_ascii_compatible(charset) && plain_ascii(raw, n))
        return g_strndup(raw, n);
    if (n > 0 && is_ascii_compatible(charset) && has_jis_escape(raw, n))
        charset = "ISO-2022-JP";
    if (is_ascii_compatible(charset)) {
        /* valid UTF-8 of n bytes holds no NUL (g_utf8_validate() stops there): a copy is
         * what make_utf8() would return, without validating it again */
        if (g_utf8_validate(raw, (gssize)n, NULL))
            return n > 0 ? g_strndup(raw, n) : g_strdup("");
        charset = "windows-1252";
    }
    pthread_once(&conv_once, keep_converters);
    char *iconv_name = ff_gm_iconv_name(charset);
    gsize wrote = 0;
    GError *gerr = NULL;
    char *out = g_convert_with_fallback(raw, (gssize)n, "UTF-8", iconv_name, "?", NULL, &wrote,
                                        &gerr);
    g_free(iconv_name);
    if (out == NULL) {
        /* an unknown label or a broken byte sequence: keep what can be read */
        g_clear_error(&gerr);
        if (g_utf8_validate(raw, (gssize)n, NULL))
            return make_utf8(raw, n);
        out = g_convert_with_fallback(raw, (gssize)n, "UTF-8", "WINDOWS-1252", "?", NULL,
                                      &wrote, &gerr);
        if (out == NULL) {
            g_clear_error(&gerr);
            return make_utf8(raw, n);
        }
    }
    char *v = make_utf8(out, wrote);
    g_free(out);
    return v;
}

/* Whether the tag text t[0..n) (after '<') names `name`, ignoring case and attributes. */
static bool tag_is(const char *t, size_t n, const char *name)
{
    size_t l = strlen(name);
    if (n < l || g_ascii_strncasecmp(t, name, l) != 0)
        return false;
    return n == l || t[l] == ' ' || t[l] == '/' || t[l] == '\t' || t[l] == '\n' ||
           t[l] == '\r';
}

/* Crude HTML to text: tags dropped, block ends become line ends, <style>/<script>
 * content skipped, the five common entities decoded. Enough for the scanners, which look
 * for phrases and addresses, not layout. */
static void html_to_text(buf *out, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] == '<') {
            const char *gt = memchr(s + i + 1, '>', n - i - 1);
            size_t j = gt ? (size_t)(gt - s) : n;
            const char *tag = s + i + 1;
            size_t tl = j - i - 1;
            /* a tag is one of those below only if it starts as they do: most (<td>, <font>,
             * <a>) are dropped after one test instead of fourteen */
            char c0 = tl > 0 ? g_ascii_tolower(tag[0]) : '\0';
            if (c0 != 's' && c0 != 'b' && c0 != 'p' && c0 != '/') {
                /* dropped */
            } else if (tag_is(tag, tl, "style") || tag_is(tag, tl, "script")) {
                const char *close = tag_is(tag, tl, "style") ? "</style" : "</script";
                const char *end = ff_memcasemem(s + j, n - j, close);
                j = end ? (size_t)(end - s) : n;
                gt = memchr(s + j, '>', n - j);
                j = gt ? (size_t)(gt - s) : n;
            } else if (tag_is(tag, tl, "br") || tag_is(tag, tl, "/p") ||
                       tag_is(tag, tl, "/div") || tag_is(tag, tl, "/tr") ||
                       tag_is(tag, tl, "p") || tag_is(tag, tl, "/li") ||
                       tag_is(tag, tl, "/h1") || tag_is(tag, tl, "/h2") ||
                       tag_is(tag, tl, "/h3") || tag_is(tag, tl, "/table")) {
                buf_add(out, "\n", 1);
            } else if (tag_is(tag, tl, "/td") || tag_is(tag, tl, "/th")) {
                buf_add(out, " ", 1);
            }
            i = j < n ? j + 1 : n;
            continue;
        }
        if (s[i] == '&') {
            static const struct {
                const char *ent, *ch;
            } ents[] = {{"&amp;", "&"},  {"&lt;", "<"},   {"&gt;", ">"},
                        {"&nbsp;", " "}, {"&quot;", "\""}, {"&#39;", "'"}};
            bool done = false;
            for (size_t e = 0; e < sizeof ents / sizeof ents[0]; e++) {
                size_t el = strlen(ents[e].ent);
                if (n - i >= el && g_ascii_strncasecmp(s + i, ents[e].ent, el) == 0) {
                    buf_add(out, ents[e].ch, strlen(ents[e].ch));
                    i += el;
                    done = true;
                    break;
                }
            }
            if (done)
                continue;
        }
        size_t j = i + 1; /* s[i] is text: a '&' that starts no entity is */
        while (j < n && s[j] != '<' && s[j] != '&')
            j++;
        buf_add(out, s + i, j - i);
        i = j;
    }
}

/* Everything the walk collects. */
/* A text/html part, read only if the message has no text/plain (see html_parts()): its
 * bytes, still transfer-encoded, point into the message being parsed. */
typedef struct html_part {
    const char *b, *enc;
    size_t bn, en;
    bool has_charset;
    char charset[PARAM_MAX];
} html_part;

typedef struct walk {
    buf text, html, dsn, feedback, orig;
    bool have_orig;
    int parts;
    html_part *hp; /* the text/html parts, in order */
    size_t nhp, caphp;
} walk;

/* How many of the PRINTABLE_SPAN bytes at s, from the first, are 0x20-0x7E (PRINTABLE_SPAN
 * when all are). With SSE2 (every x86-64) sixteen bytes are compared at once; on other
 * little-endian machines eight, as one word: (w - 0x20 in every byte) & ~w flags a byte
 * below 0x20 and (w + 1) | w one at or above 0x7F, exactly for the lowest such byte
 * (borrows and carries only go up), which is all the count needs. */
#if defined(__SSE2__)
#define PRINTABLE_SPAN 16
static size_t printable_run(const char *s)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    /* signed: bytes 0x80-0xFF are negative, below 0x20 too */
    __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                               _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F)));
    unsigned mask = (unsigned)_mm_movemask_epi8(bad);
    return mask ? (size_t)__builtin_ctz(mask) : PRINTABLE_SPAN;
}
#elif defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PRINTABLE_SPAN 8
static size_t printable_run(const char *s)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t w;
    memcpy(&w, s, 8);
    uint64_t bad = (((w - ones * 0x20) & ~w) | ((w + ones) | w)) & high;
    return bad ? (size_t)__builtin_ctzll(bad) / 8 : PRINTABLE_SPAN;
}
#else
#define PRINTABLE_SPAN 8
static size_t printable_run(const char *s)
{
    size_t k = 0;
    while (k < PRINTABLE_SPAN && (unsigned char)s[k] >= 0x20 && (unsigned char)s[k] < 0x7F)
        k++;
    return k;
}
#endif

/* Whether s[0..n) holds "=?", the start of an RFC 2047 encoded-word. */
static bool has_encoded_word(const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    while ((p = memchr(p, '=', (size_t)(end - p))) != NULL) {
        if (p + 1 < end && p[1] == '?')
            return true;
        p++;
    }
    return false;
}

/* The span of s[0..n) without ASCII white space at either end (what g_strstrip() keeps). */
static const char *strip_span(const char *s, size_t *n)
{
    size_t a = 0, e = *n;
    while (a < e && g_ascii_isspace(s[a]))
        a++;
    while (e > a && g_ascii_isspace(s[e - 1]))
        e--;
    *n = e - a;
    return s + a;
}

/* The plain value of a header (raw[0..n), n already capped) written into dst, which holds
 * n + 1 bytes: *len bytes and a NUL. false, dst undefined, when the value is not plain
 * (8-bit or NUL bytes, or an encoded-word), for header_value() to take GMime's path.
 *
 * Most values are plain ASCII without encoded-words: they are unfolded in one pass, as
 * g_mime_utils_header_unfold() would (white space trimmed, line ends dropped), tabs made
 * spaces. "=?" is looked for first (memchr() on '=': DKIM and ARC values hold dozens),
 * then the pass copies and checks for 8-bit and NUL bytes at once, the runs of printable
 * bytes a span at a time (every header of every message comes here); trimming the
 * copy's spaces equals trimming the raw white space first, since line ends are dropped
 * and tabs become spaces. */
static bool plain_value(const char *raw, size_t n, char *dst, size_t *len)
{
    size_t a = 0;
    while (a < n && (raw[a] == ' ' || raw[a] == '\t' || raw[a] == '\r' || raw[a] == '\n'))
        a++;
    if (has_encoded_word(raw + a, n - a))
        return false;
    char *o = dst;
    for (size_t i = a; i < n; i++) {
        /* the printable run is copied a span at a time (o <= raw + i in dst's terms, so a
         * whole span fits within the n + 1 bytes), the byte after it handled below */
        while (n - i >= PRINTABLE_SPAN) {
            size_t k = printable_run(raw + i);
            memcpy(o, raw + i, PRINTABLE_SPAN);
            o += k;
            i += k;
            if (k < PRINTABLE_SPAN)
                break;
        }
        if (i >= n)
            break;
        unsigned char c = (unsigned char)raw[i];
        if (c >= 0x80 || c == '\0')
            return false;
        if (c != '\r' && c != '\n')
            *o++ = c == '\t' ? ' ' : (char)c;
    }
    size_t l = (size_t)(o - dst);
    const char *v = strip_span(dst, &l);
    if (v != dst)
        memmove(dst, v, l);
    dst[l] = '\0';
    *len = l;
    return true;
}

/* A header value plain_value() refused, as a person reads it: unfolded, RFC 2047
 * encoded-words decoded (GMime's decoder, loose), valid UTF-8 on one line, white space
 * stripped at both ends. Returns a g_malloc'd string of *vlen bytes. */
static char *header_value(const char *raw, size_t n, size_t *vlen)
{
    if (n > MAIL_HEADER_VALUE_MAX)
        n = MAIL_HEADER_VALUE_MAX;
    char *v = ff_gm_header_text(raw, n);
    char *u = make_utf8(v, strlen(v));
    g_free(v);
    for (char *p = u; *p; p++) /* folding leaves tabs and stray line ends */
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t len = strlen(u);
    const char *sv = strip_span(u, &len);
    memmove(u, sv, len);
    u[len] = '\0';
    *vlen = len;
    return u;
}

/* Whether a field of the returned message is one that says which message it was (see
 * orig_headers in mail.h). */
static bool identifying(const char *name, size_t nl)
{
#define NAME(s) {s, sizeof s - 1}
    static const struct {
        const char *s;
        size_t n;
    } names[] = {NAME("message-id"), NAME("from"), NAME("to"), NAME("subject"),
                 NAME("list-id"), NAME("authentication-results"),
                 NAME("x-hmxmroriginalrecipient")};
#undef NAME
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].n == nl && g_ascii_strncasecmp(name, names[i].s, nl) == 0)
            return true;
    return false;
}

/* Appends the identifying fields of a header block as "Name: value\n" lines, values
 * decoded by header_value(), so that decode.c reads the returned message's Subject as a
 * person would. The others (Received, DKIM-Signature, ..., most of a header block) are
 * not copied: nothing reads them, and decoding them cost more than the rest of the
 * returned message. Returns how many fields the block holds, copied or not. */
static size_t add_header_lines(buf *out, const char *h, size_t hn)
{
    size_t pos = 0, nl, vl, fields = 0;
    const char *name, *val;
    for (; fields < MAIL_HEADERS_MAX &&
           ff_mime_field_next(h, hn, &pos, &name, &nl, &val, &vl);
         fields++) {
        if (!identifying(name, nl))
            continue;
        if (out->oom || out->n >= out->max)
            continue; /* every append would be dropped */
        /* A plain value is written in place after "Name: ", without a copy of its own;
         * the line is then cut at the bucket's cap as the appends below would cut it. */
        size_t cvl = vl < MAIL_HEADER_VALUE_MAX ? vl : MAIL_HEADER_VALUE_MAX;
        if (!buf_room(out, nl + 2 + cvl + 2))
            continue; /* out of memory: out->oom is set, the parse fails */
        char *d = out->p + out->n;
        size_t len;
        memcpy(d, name, nl);
        memcpy(d + nl, ": ", 2);
        if (plain_value(val, cvl, d + nl + 2, &len)) {
            d[nl + 2 + len] = '\n';
            size_t line = nl + 3 + len;
            out->n = line < out->max - out->n ? out->n + line : out->max;
            out->p[out->n] = '\0';
            continue;
        }
        out->p[out->n] = '\0';
        char *v = header_value(val, vl, &len);
        buf_add(out, name, nl);
        buf_add(out, ": ", 2);
        buf_add(out, v, len);
        buf_add(out, "\n", 1);
        g_free(v);
    }
    return fields;
}

/* Appends text to a bucket, separated from what is there by a line end. */
static void add_text(buf *b, const char *s, size_t n)
{
    if (b->n > 0 && b->p[b->n - 1] != '\n')
        buf_add(b, "\n", 1);
    buf_add(b, s, n);
}

/* buf_add() of s[0..n) with CRLF and lone CR made LF on the way (an LF-converted copy
 * appended, without the intermediate copy). */
static void buf_add_lf(buf *b, const char *s, size_t n)
{
    if (b->oom || b->n >= b->max)
        return;
    size_t want = n < b->max - b->n ? n : b->max - b->n; /* LF-converted is never longer */
    buf_add(b, "", 0);                                     /* make sure p exists */
    if (b->oom)
        return;
    if (b->n + want + 1 > b->cap) {
        size_t cap = b->cap;
        while (cap < b->n + want + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    size_t o = b->n, end = b->n + want, i = 0;
    while (i < n && o < end) {
        const char *cr = memchr(s + i, '\r', n - i);
        size_t run = (cr != NULL ? (size_t)(cr - s) : n) - i;
        if (run > end - o)
            run = end - o;
        memcpy(b->p + o, s + i, run);
        o += run;
        i += run;
        if (i < n && o < end && s[i] == '\r') {
            b->p[o++] = '\n';
            i += (i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
        }
    }
    b->n = o;
    b->p[o] = '\0';
}

/* The header block of a returned message given as bytes (message/rfc822 or
 * text/rfc822-headers); when it holds no field, its raw lines up to the first blank line
 * are kept. */
static void add_orig_bytes(walk *w, const char *s, size_t n)
{
    size_t hlen, body;
    ff_mime_split(s, n, &hlen, &body);
    size_t fields = add_header_lines(&w->orig, s, hlen);
    if (fields == 0 && hlen > 0) {
        char *u = to_utf8(s, hlen, NULL);
        buf_add_lf(&w->orig, u, strlen(u));
        g_free(u);
    }
    w->have_orig = fields > 0 || w->orig.n > 0;
}

/* Appends raw[0..n) in `charset` to a bucket as UTF-8 with LF line ends, separated from
 * what is there by a line end. */
static void add_converted(buf *b, const char *raw, size_t n, const char *charset)
{
    /* most parts: the text is its own UTF-8 (see to_utf8), appended without copies */
    bool plain = n > 0 && is_ascii_compatible(charset) && plain_ascii(raw, n);
    char *u = plain ? NULL : to_utf8(raw, n, charset);
    if (b->n > 0 && b->p[b->n - 1] != '\n')
        buf_add(b, "\n", 1);
    if (plain)
        buf_add_lf(b, raw, n);
    else
        buf_add_lf(b, u, strlen(u));
    g_free(u);
}

static bool is_dsn_type(const char *mt)
{
    return strcmp(mt, "message/delivery-status") == 0 ||
           strcmp(mt, "message/global-delivery-status") == 0;
}

static bool is_orig_type(const char *mt)
{
    return strcmp(mt, "message/rfc822") == 0 || strcmp(mt, "message/global") == 0 ||
           strcmp(mt, "text/rfc822-headers") == 0 ||
           strcmp(mt, "message/global-headers") == 0 || strcmp(mt, "message/news") == 0;
}

/* A leaf's content with its transfer encoding undone, sorted into its bucket. Parts of
 * other types (images, the returned message's attachments) are never decoded. */
static void walk_leaf(walk *w, const char *h, size_t hn, const char *b, size_t bn,
                      const char *mt, const char *ct, size_t ctn)
{
    bool text = strcmp(mt, "text/plain") == 0, html = strcmp(mt, "text/html") == 0;
    bool dsn = is_dsn_type(mt), fb = strcmp(mt, "message/feedback-report") == 0;
    bool orig = is_orig_type(mt) && !w->have_orig;
    if (!text && !html && !dsn && !fb && !orig)
        return;
    const char *enc = "";
    size_t en = 0;
    ff_mime_field(h, hn, "Content-Transfer-Encoding", &enc, &en);
    if (html) {
        /* Most bounces that carry HTML carry the same text as text/plain beside it, and
         * the HTML is then never read: it is decoded and stripped only when needed. */
        if (w->nhp == w->caphp) {
            size_t cap = w->caphp ? w->caphp * 2 : 4;
            html_part *np = realloc(w->hp, cap * sizeof *np);
            if (np == NULL) {
                w->text.oom = true;
                return;
            }
            w->hp = np;
            w->caphp = cap;
        }
        html_part *hp = &w->hp[w->nhp++];
        *hp = (html_part){.b = b, .bn = bn, .enc = enc, .en = en};
        hp->has_charset =
            ct && ff_mime_param(ct, ctn, "charset", hp->charset, sizeof hp->charset);
        return;
    }
    /* Most parts are sent as they are (7bit, 8bit): everything below reads them by length,
     * in place. Only base64 and quoted-printable are decoded into a copy. */
    char *d = NULL;
    const char *dp = b;
    size_t dn = bn;
    if (!ff_mime_identity(enc, en)) {
        d = malloc(bn + 1);
        if (d == NULL) {
            w->text.oom = true;
            return;
        }
        dn = ff_mime_decode(b, bn, enc, en, d);
        dp = d;
    }
    char cs[PARAM_MAX];
    const char *charset = ct && ff_mime_param(ct, ctn, "charset", cs, sizeof cs) ? cs : NULL;
    if (text) {
        add_converted(&w->text, dp, dn, charset);
    } else if (dsn) {
        add_converted(&w->dsn, dp, dn, charset);
    } else if (fb) {
        add_converted(&w->feedback, dp, dn, charset);
    } else {
        add_orig_bytes(w, dp, dn);
    }
    free(d);
}

/* What an entity's header block says about it: where the block ends and the body starts
 * (ff_mime_split()), its Content-Type value (ct NULL when there is none) and the
 * lower-cased type/subtype. */
typedef struct entity {
    size_t hlen, body;
    const char *ct;
    size_t ctn;
    char mt[TYPE_MAX];
} entity;

static void entity_read(const char *s, size_t n, entity *e)
{
    ff_mime_split(s, n, &e->hlen, &e->body);
    e->ct = NULL;
    e->ctn = 0;
    if (ff_mime_field(s, e->hlen, "Content-Type", &e->ct, &e->ctn))
        ff_mime_type(e->ct, e->ctn, e->mt, sizeof e->mt);
    else
        memcpy(e->mt, "text/plain", sizeof "text/plain");
}

static void walk_entity(walk *w, const char *s, size_t n, int depth);

/* One MIME entity in s[0..n), its header block read into `e`: a multipart's parts in
 * turn, a leaf into its bucket. */
static void walk_read(walk *w, const char *s, size_t n, const entity *e, int depth)
{
    if (depth > MAIL_DEPTH_MAX || ++w->parts > MAIL_PARTS_MAX)
        return;
    const char *ct = e->ct, *mt = e->mt;
    size_t ctn = e->ctn, hlen = e->hlen, body = e->body;
    char bd[PARAM_MAX];
    if (strncmp(mt, "multipart/", 10) == 0 && ct &&
        ff_mime_param(ct, ctn, "boundary", bd, sizeof bd) && bd[0]) {
        size_t pos = 0, pl;
        const char *part;
        while (ff_mime_part_next(s + body, n - body, bd, &pos, &part, &pl))
            walk_entity(w, part, pl, depth + 1);
        return;
    }
    walk_leaf(w, s, hlen, s + body, n - body, mt, ct, ctn);
}

static void walk_entity(walk *w, const char *s, size_t n, int depth)
{
    if (depth > MAIL_DEPTH_MAX || w->parts >= MAIL_PARTS_MAX)
        return;
    entity e;
    entity_read(s, n, &e);
    walk_read(w, s, n, &e, depth);
}

/* Appends the NUL-terminated s to line[*o..), which the caller sized for it. */
static void line_put(char *line, size_t *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(line + *o, s, n + 1);
    *o += n;
}

/* "type/subtype; param=value; ..." with the type lower-cased, for quick prefix tests;
 * only the parameters that say what a report is. */
static char *content_type_line(const entity *e)
{
    /* room for the type and both parameters at their longest */
    char line[TYPE_MAX + 2 * (PARAM_MAX + 16)];
    size_t o = 0;
    line_put(line, &o, e->mt);
    static const char *const names[] = {"report-type", "charset", NULL};
    char v[PARAM_MAX];
    for (const char *const *p = names; e->ct && *p; p++) {
        if (ff_mime_param(e->ct, e->ctn, *p, v, sizeof v)) {
            line_put(line, &o, "; ");
            line_put(line, &o, *p);
            line_put(line, &o, "=");
            line_put(line, &o, v);
        }
    }
    if (plain_ascii(line, o))
        return strdup(line);
    char *u = make_utf8(line, o);
    char *out = strdup(u);
    g_free(u);
    return out;
}

/* The top-level headers, each name and its raw value (continuation lines included, capped
 * at MAIL_HEADER_VALUE_MAX) one after the other in one block (m->hstore): two
 * allocations per message instead of one or two per header.
 *
 * The values are decoded when ff_mail_header() first asks for them, not here: a bounce's
 * header block is mostly Received, DKIM-Signature, ARC-* and X-* fields that no scanner
 * reads (over the corpus, fewer than one field in five is ever asked for), and unfolding
 * and checking every byte of them was most of the cost of the top-level headers. */
static ff_status copy_headers(ff_mail *m, const char *h, size_t hn)
{
    size_t pos = 0, nl, vl, cap = 0;
    const char *name, *val;
    buf store = {.max = (size_t)-1}; /* "name\0" and the raw value for each header */
    /* Sized from the block once: a field's name, NUL and value never take more bytes than
     * its raw line ("name:" ... line end), so the store is not grown (a name that is not
     * ASCII may grow it when made UTF-8). The array is guessed from the block at a field
     * per 48 bytes (bounce headers are mostly long Received and DKIM fields): growing both
     * from small sizes took four reallocs a message, and each copied what it had. */
    if (!buf_room(&store, hn))
        return FF_ENOMEM;
    /* one walk over the fields, the array grown as they come (a counting walk first cost
     * as much again) */
    while (!store.oom && m->nheaders < MAIL_HEADERS_MAX &&
           ff_mime_field_next(h, hn, &pos, &name, &nl, &val, &vl)) {
        if (m->nheaders == cap) {
            size_t nc = cap ? cap * 2 : hn / 48 > 32 ? hn / 48 : 32;
            if (nc > MAIL_HEADERS_MAX)
                nc = MAIL_HEADERS_MAX;
            ff_header *nh = realloc(m->headers, nc * sizeof *nh);
            if (nh == NULL) {
                store.oom = true;
                break;
            }
            m->headers = nh;
            cap = nc;
        }
        /* an ASCII name (nearly all) is its own UTF-8 */
        char *nm = NULL;
        if (!(nl > 0 && plain_ascii(name, nl))) {
            nm = make_utf8(name, nl);
            name = nm;
            nl = strlen(nm);
        }
        size_t cvl = vl < MAIL_HEADER_VALUE_MAX ? vl : MAIL_HEADER_VALUE_MAX;
        if (!buf_room(&store, nl + 1 + cvl)) {
            g_free(nm);
            break;
        }
        char *d = store.p + store.n;
        memcpy(d, name, nl);
        d[nl] = '\0';
        memcpy(d + nl + 1, val, cvl);
        g_free(nm);
        m->headers[m->nheaders++] = (ff_header){.value = NULL, .raw_len = cvl};
        store.n += nl + 1 + cvl;
    }
    if (store.oom) {
        free(store.p);
        m->nheaders = 0;
        return FF_ENOMEM;
    }
    /* the block no longer moves: point into it */
    const char *p = store.p;
    for (size_t i = 0; i < m->nheaders; i++) {
        m->headers[i].name = (char *)p;
        p += strlen(p) + 1;
        m->headers[i].raw = p;
        p += m->headers[i].raw_len;
    }
    m->hstore = store.p;
    return FF_OK;
}

/* The value of a header copy_headers() kept raw, decoded as a person reads it: a plain
 * value unfolded by plain_value(), any other by header_value(). A new string, NULL when out
 * of memory. */
static char *decode_value(const char *raw, size_t n)
{
    char *d = malloc(n + 1);
    size_t len;
    if (d != NULL && plain_value(raw, n, d, &len))
        return d;
    free(d);
    return header_value(raw, n, &len); /* g_malloc()ed: free() takes it (GLib >= 2.46) */
}

/* The text/html parts, in order, decoded and stripped of their tags into w->html. */
static void html_parts(walk *w)
{
    for (size_t i = 0; i < w->nhp; i++) {
        const html_part *hp = &w->hp[i];
        char *d = malloc(hp->bn + 1);
        if (d == NULL) {
            w->html.oom = true;
            return;
        }
        size_t dn = ff_mime_decode(hp->b, hp->bn, hp->enc, hp->en, d);
        char *u = to_utf8(d, dn, hp->has_charset ? hp->charset : NULL);
        html_to_text(&w->html, u, strlen(u));
        g_free(u);
        free(d);
    }
}

static void walk_free(walk *w)
{
    free(w->hp);
    free(w->text.p);
    free(w->html.p);
    free(w->dsn.p);
    free(w->feedback.p);
    free(w->orig.p);
}

ff_status ff_mail_parse(const char *data, size_t len, ff_mail *m, ff_error *err)
{
    if (m == NULL)
        return ff_error_set(err, FF_EINVAL, "no output");
    memset(m, 0, sizeof *m);
    if (data == NULL && len > 0)
        return ff_error_set(err, FF_EINVAL, "no input");

    /* An mbox "From " separator line is not a header; GMime would stop at it. */
    if (len >= 5 && memcmp(data, "From ", 5) == 0) {
        const char *nl = memchr(data, '\n', len);
        size_t skip = nl ? (size_t)(nl - data) + 1 : len;
        data += skip;
        len -= skip;
    }
    if (len == 0)
        return ff_error_set(err, FF_EPARSE, "empty message");

    entity top; /* read once for the header copy, the content type and the walk */
    entity_read(data, len, &top);
    size_t body = top.body;
    ff_status rc = copy_headers(m, data, top.hlen);
    if (rc == FF_OK && m->nheaders == 0)
        rc = ff_error_set(err, FF_EPARSE, "no header fields: not a mail message");
    if (rc != FF_OK) {
        if (rc == FF_ENOMEM)
            ff_error_set(err, rc, "out of memory");
        ff_mail_free(m);
        return rc;
    }
    m->content_type = content_type_line(&top);

    walk w;
    memset(&w, 0, sizeof w);
    w.text.max = w.html.max = MAIL_TEXT_MAX;
    w.dsn.max = MAIL_DSN_MAX;
    w.feedback.max = MAIL_FEEDBACK_MAX;
    w.orig.max = MAIL_ORIG_MAX;
    walk_read(&w, data, len, &top, 0);
    bool multipart = m->content_type && strncmp(m->content_type, "multipart/", 10) == 0;

    if (w.text.n == 0)
        html_parts(&w);
    if (w.text.n == 0 && w.html.n > 0) {
        add_text(&w.text, w.html.p, w.html.n);
    }
    if (w.text.n == 0 && w.dsn.n == 0 && w.feedback.n == 0 && multipart) {
        size_t rl = len - body;
        if (rl > MAIL_TEXT_MAX)
            rl = MAIL_TEXT_MAX;
        add_converted(&w.text, data + body, rl, NULL);
    }
    if (w.text.oom || w.html.oom || w.dsn.oom || w.feedback.oom || w.orig.oom ||
        m->content_type == NULL) {
        walk_free(&w);
        ff_mail_free(m);
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    }
    m->text = buf_take(&w.text, &m->text_len);
    if (w.dsn.n > 0)
        m->dsn = buf_take(&w.dsn, &m->dsn_len);
    if (w.feedback.n > 0)
        m->feedback = buf_take(&w.feedback, &m->feedback_len);
    if (w.have_orig) /* "" when it holds none of the identifying fields */
        m->orig_headers = buf_take(&w.orig, &m->orig_headers_len);
    bool oom = m->text == NULL;
    walk_free(&w);
    if (oom) {
        ff_mail_free(m);
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    }
    return FF_OK;
}

const char *ff_mail_header(const ff_mail *m, const char *name)
{
    if (m == NULL || name == NULL)
        return NULL;
    /* Scanners ask for many names per message: a first-byte test (equal up to ASCII case
     * implies equal after | 0x20) skips strcasecmp() for nearly every other header. */
    unsigned char first = (unsigned char)name[0] | 0x20;
    for (size_t i = 0; i < m->nheaders; i++) {
        ff_header *h = &m->headers[i];
        if (h->name == NULL || ((unsigned char)h->name[0] | 0x20) != first ||
            strcasecmp(h->name, name) != 0)
            continue;
        /* decoded on the first ask (see copy_headers()); NULL as if absent when out of
         * memory */
        if (h->value == NULL && h->raw != NULL)
            h->value = decode_value(h->raw, h->raw_len);
        return h->value;
    }
    return NULL;
}

char *ff_mail_header_decode(const char *raw, size_t n)
{
    return decode_value(raw, n);
}

void ff_mail_prepare(void)
{
    pthread_once(&conv_once, keep_converters);
    ff_gm_open();
}

void ff_mail_free(ff_mail *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; m->headers != NULL && i < m->nheaders; i++)
        if (m->headers[i].raw != NULL) /* a value ff_mail_header() decoded, or NULL */
            free(m->headers[i].value);
    free(m->hstore); /* every name and raw value (copy_headers) */
    free(m->headers);
    free(m->content_type);
    free(m->text);
    free(m->dsn);
    free(m->feedback);
    free(m->orig_headers);
    memset(m, 0, sizeof *m);
}
