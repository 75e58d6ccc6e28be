/* mail.c - a bounce message turned into the plain strings the decoders read (see mail.h)
 *
 * NAME
 *   ff_mail_parse, ff_mail_header, ff_mail_free
 *
 * DESCRIPTION
 *   First step of the "bounce that arrives later" path in DESIGN.md: decode (MIME) ->
 *   records. This is the only file that talks to GMime 3. It parses one message from
 *   memory, copies the top-level headers (unfolded, RFC 2047 decoded to UTF-8), and walks
 *   the MIME tree once, sorting what it finds into four buckets:
 *
 *     text          text/plain parts outside any returned message, converted from their
 *                   charset to UTF-8 with LF line ends; text/html stripped of its tags
 *                   when the message has no text/plain at all
 *     dsn           message/delivery-status, message/global-delivery-status bodies, raw
 *     feedback      message/feedback-report bodies, raw
 *     orig_headers  the header block of the first message/rfc822, message/global or
 *                   text/rfc822-headers part
 *
 *   Everything after that (dsn.c, arf.c, the lhost scanners, decode.c) works on those
 *   strings and never sees a MIME tree.
 *
 *   Bounces are often broken: truncated MIME, missing closing boundaries, 8-bit bytes in
 *   headers, wrong charset labels. GMime is lenient about the structure; this file adds
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
#include "text.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#define MAIL_DEPTH_MAX 16
#define MAIL_PARTS_MAX 256
#define MAIL_HEADERS_MAX 1000
#define MAIL_HEADER_VALUE_MAX (64u * 1024)
#define MAIL_TEXT_MAX (4u * 1024 * 1024)
#define MAIL_DSN_MAX (1024u * 1024)
#define MAIL_FEEDBACK_MAX (256u * 1024)
#define MAIL_ORIG_MAX (256u * 1024)

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static GMimeParserOptions *popts;

/* g_mime_init() is not thread-safe and must run once per process; the parser options are
 * read-only after this and shared by every thread. */
static void mail_init(void)
{
    static const char *fallback[] = {"UTF-8", "windows-1252", NULL};
    g_mime_init();
    popts = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(popts, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(popts, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode(popts, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_allow_addresses_without_domain(popts, TRUE);
    g_mime_parser_options_set_fallback_charsets(popts, fallback);
}

/* A growing byte buffer with a cap: appends past the cap are dropped silently, because
 * a truncated bounce text still classifies, and a refused one does not. */
typedef struct buf {
    char *p;
    size_t n, cap, max;
    bool oom;
} buf;

static void buf_add(buf *b, const char *s, size_t n)
{
    if (b->oom || b->n >= b->max)
        return;
    if (n > b->max - b->n)
        n = b->max - b->n;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
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

/* CRLF and lone CR -> LF, in place; returns the new length. */
static size_t to_lf(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r') {
            s[o++] = '\n';
            if (i + 1 < n && s[i + 1] == '\n')
                i++;
        } else {
            s[o++] = s[i];
        }
    }
    return o;
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

/* Converts `raw` (n bytes in `charset`, NULL when unlabelled) to UTF-8. Unlabelled or
 * ASCII-labelled text is read as UTF-8 first, because that is what mislabelled mail
 * most often is; ISO-2022-JP is recognised by its escape sequences even without a label
 * (Japanese MTAs send it so); failing all that, windows-1252, which maps every byte. */
static char *to_utf8(const char *raw, size_t n, const char *charset)
{
    if (n > 0 && is_ascii_compatible(charset) && memmem(raw, n, "\x1b$B", 3) != NULL)
        charset = "ISO-2022-JP";
    if (is_ascii_compatible(charset)) {
        if (g_utf8_validate(raw, (gssize)n, NULL))
            return make_utf8(raw, n);
        charset = "windows-1252";
    }
    const char *iconv_name = g_mime_charset_iconv_name(charset);
    gsize wrote = 0;
    GError *gerr = NULL;
    char *out = g_convert_with_fallback(raw, (gssize)n, "UTF-8", iconv_name, "?", NULL, &wrote,
                                        &gerr);
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

/* Writes the decoded (transfer encoding undone) content of a leaf part to a byte array.
 * Returns a new GByteArray (caller unrefs) or NULL when the part has no content. */
static GByteArray *part_bytes(GMimePart *part)
{
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    if (w == NULL)
        return NULL;
    GByteArray *ba = g_byte_array_new();
    GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(ba);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
    g_mime_data_wrapper_write_to_stream(w, mem);
    g_object_unref(mem);
    return ba;
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
            size_t j = i + 1;
            while (j < n && s[j] != '>')
                j++;
            const char *tag = s + i + 1;
            size_t tl = j - i - 1;
            if (tag_is(tag, tl, "style") || tag_is(tag, tl, "script")) {
                const char *close = tag_is(tag, tl, "style") ? "</style" : "</script";
                const char *end = ff_memcasemem(s + j, n - j, close);
                j = end ? (size_t)(end - s) : n;
                while (j < n && s[j] != '>')
                    j++;
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
        size_t j = i;
        while (j < n && s[j] != '<' && s[j] != '&')
            j++;
        if (j == i)
            j++;
        buf_add(out, s + i, j - i);
        i = j;
    }
}

/* Everything the walk collects. */
typedef struct walk {
    buf text, html, dsn, feedback, orig;
    bool have_orig;
    int parts;
} walk;

static char *lower_type(GMimeContentType *ct)
{
    const char *t = ct ? g_mime_content_type_get_media_type(ct) : NULL;
    const char *s = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
    char *mt = g_strdup_printf("%s/%s", t ? t : "text", s ? s : "plain");
    for (char *p = mt; *p; p++)
        *p = (char)g_ascii_tolower(*p);
    return mt;
}

/* Appends a header list as "Name: value\n" lines, values unfolded and RFC 2047 decoded,
 * so that decode.c reads the returned message's Subject as a person would. */
static void add_header_lines(buf *out, GMimeHeaderList *hl)
{
    int n = hl ? g_mime_header_list_get_count(hl) : 0;
    if (n > MAIL_HEADERS_MAX)
        n = MAIL_HEADERS_MAX;
    for (int i = 0; i < n; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h);
        const char *value = g_mime_header_get_value(h);
        if (name == NULL || *name == '\0')
            continue;
        char *v = g_mime_utils_header_unfold(value ? value : "");
        size_t vl = strlen(v);
        if (vl > MAIL_HEADER_VALUE_MAX)
            vl = MAIL_HEADER_VALUE_MAX;
        char *u = make_utf8(v, vl);
        for (char *p = u; *p; p++) /* one header, one line */
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';
        buf_add(out, name, strlen(name));
        buf_add(out, ": ", 2);
        buf_add(out, u, strlen(u));
        buf_add(out, "\n", 1);
        g_free(u);
        g_free(v);
    }
}

/* The header block of a returned message given as bytes (text/rfc822-headers, or a
 * message/rfc822 part GMime left unparsed). Re-parsed with GMime so the values get the
 * same decoding as the top-level ones; when that finds nothing, the raw lines up to the
 * first blank line are kept. */
static void add_orig_bytes(walk *w, const char *s, size_t n)
{
    GMimeStream *st = g_mime_stream_mem_new_with_buffer(s, n);
    GMimeParser *p = g_mime_parser_new_with_stream(st);
    GMimeMessage *msg = g_mime_parser_construct_message(p, popts);
    size_t before = w->orig.n;
    if (msg != NULL) {
        add_header_lines(&w->orig, g_mime_object_get_header_list(GMIME_OBJECT(msg)));
        g_object_unref(msg);
    }
    g_object_unref(p);
    g_object_unref(st);
    if (w->orig.n == before) {
        size_t end = n;
        for (size_t i = 0; i + 1 < n; i++) {
            if (s[i] == '\n' && (s[i + 1] == '\n' || (s[i + 1] == '\r' && i + 2 < n &&
                                                       s[i + 2] == '\n'))) {
                end = i + 1;
                break;
            }
        }
        char *u = to_utf8(s, end, NULL);
        size_t ul = to_lf(u, strlen(u));
        buf_add(&w->orig, u, ul);
        g_free(u);
    }
    w->have_orig = w->orig.n > 0;
}

/* Appends text to a bucket, separated from what is there by a line end. */
static void add_text(buf *b, const char *s, size_t n)
{
    if (b->n > 0 && b->p[b->n - 1] != '\n')
        buf_add(b, "\n", 1);
    buf_add(b, s, n);
}

static void add_converted(buf *b, const char *raw, size_t n, const char *charset)
{
    char *u = to_utf8(raw, n, charset);
    size_t ul = to_lf(u, strlen(u));
    add_text(b, u, ul);
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

static void walk_object(walk *w, GMimeObject *obj, int depth);

static void walk_leaf(walk *w, GMimePart *part, const char *mt)
{
    GByteArray *ba = part_bytes(part);
    if (ba == NULL)
        return;
    const char *s = (const char *)ba->data;
    size_t n = ba->len;
    const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
                                                                   "charset");
    if (strcmp(mt, "text/plain") == 0) {
        add_converted(&w->text, s, n, charset);
    } else if (strcmp(mt, "text/html") == 0) {
        char *u = to_utf8(s, n, charset);
        html_to_text(&w->html, u, strlen(u));
        g_free(u);
    } else if (is_dsn_type(mt)) {
        add_converted(&w->dsn, s, n, charset);
    } else if (strcmp(mt, "message/feedback-report") == 0) {
        add_converted(&w->feedback, s, n, charset);
    } else if (is_orig_type(mt) && !w->have_orig) {
        add_orig_bytes(w, s, n);
    }
    g_byte_array_unref(ba);
}

/* A message/... part GMime parsed into a message. For report bodies (a delivery-status
 * has header-like fields, so GMime may take it for a message) the serialised form is the
 * raw text the field parsers want. */
static void walk_message_part(walk *w, GMimeMessagePart *mp, const char *mt, int depth)
{
    GMimeMessage *msg = g_mime_message_part_get_message(mp);
    if (msg == NULL)
        return;
    if (is_dsn_type(mt) || strcmp(mt, "message/feedback-report") == 0) {
        char *raw = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
        if (raw != NULL) {
            add_converted(is_dsn_type(mt) ? &w->dsn : &w->feedback, raw, strlen(raw), NULL);
            g_free(raw);
        }
        return;
    }
    /* The returned message: its headers only. Its body is the sender's own mail and must
     * not be read as bounce text. */
    if (!w->have_orig) {
        add_header_lines(&w->orig, g_mime_object_get_header_list(GMIME_OBJECT(msg)));
        w->have_orig = w->orig.n > 0;
    }
    (void)depth;
}

static void walk_object(walk *w, GMimeObject *obj, int depth)
{
    if (obj == NULL || depth > MAIL_DEPTH_MAX || ++w->parts > MAIL_PARTS_MAX)
        return;
    char *mt = lower_type(g_mime_object_get_content_type(obj));
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n; i++)
            walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1);
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
        walk_message_part(w, GMIME_MESSAGE_PART(obj), mt, depth + 1);
    } else if (GMIME_IS_PART(obj)) {
        walk_leaf(w, GMIME_PART(obj), mt);
    }
    g_free(mt);
}

/* "type/subtype; param=value; ..." with the type lower-cased, for quick prefix tests. */
static char *content_type_line(GMimeObject *obj)
{
    GMimeContentType *ct = obj ? g_mime_object_get_content_type(obj) : NULL;
    char *mt = lower_type(ct);
    GString *s = g_string_new(mt);
    g_free(mt);
    GMimeParamList *pl = ct ? g_mime_content_type_get_parameters(ct) : NULL;
    int n = pl ? g_mime_param_list_length(pl) : 0;
    for (int i = 0; i < n && i < 32; i++) {
        GMimeParam *p = g_mime_param_list_get_parameter_at(pl, i);
        const char *name = g_mime_param_get_name(p);
        const char *value = g_mime_param_get_value(p);
        if (name == NULL || g_ascii_strcasecmp(name, "boundary") == 0)
            continue;
        g_string_append_printf(s, "; %s=%s", name, value ? value : "");
    }
    char *u = make_utf8(s->str, s->len);
    g_string_free(s, TRUE);
    char *out = strdup(u);
    g_free(u);
    return out;
}

static ff_status copy_headers(ff_mail *m, GMimeHeaderList *hl)
{
    int n = hl ? g_mime_header_list_get_count(hl) : 0;
    if (n > MAIL_HEADERS_MAX)
        n = MAIL_HEADERS_MAX;
    if (n == 0)
        return FF_OK;
    m->headers = calloc((size_t)n, sizeof *m->headers);
    if (m->headers == NULL)
        return FF_ENOMEM;
    for (int i = 0; i < n; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h);
        const char *value = g_mime_header_get_value(h);
        char *v = g_mime_utils_header_unfold(value ? value : "");
        size_t vl = strlen(v);
        if (vl > MAIL_HEADER_VALUE_MAX)
            vl = MAIL_HEADER_VALUE_MAX;
        char *u = make_utf8(v, vl);
        g_free(v);
        for (char *p = u; *p; p++) /* folding leaves tabs and stray line ends */
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';
        char *nm = make_utf8(name ? name : "", name ? strlen(name) : 0);
        ff_header *dst = &m->headers[m->nheaders];
        dst->name = strdup(nm);
        dst->value = strdup(g_strstrip(u));
        g_free(nm);
        g_free(u);
        if (dst->name == NULL || dst->value == NULL) {
            free(dst->name);
            free(dst->value);
            dst->name = dst->value = NULL;
            return FF_ENOMEM;
        }
        m->nheaders++;
    }
    return FF_OK;
}

/* The body after the header block, for messages whose MIME structure GMime could not
 * make sense of (a multipart without parts, a boundary that never comes). */
static void raw_body(const char *data, size_t len, const char **body, size_t *blen)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (data[i] != '\n')
            continue;
        size_t j = i + 1;
        if (j < len && data[j] == '\r')
            j++;
        if (j < len && data[j] == '\n') {
            *body = data + j + 1;
            *blen = len - j - 1;
            return;
        }
    }
    *body = data + len;
    *blen = 0;
}

static void walk_free(walk *w)
{
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
    pthread_once(&init_once, mail_init);

    /* An mbox "From " separator line is not a header; GMime would stop at it. */
    if (len >= 5 && memcmp(data, "From ", 5) == 0) {
        const char *nl = memchr(data, '\n', len);
        size_t skip = nl ? (size_t)(nl - data) + 1 : len;
        data += skip;
        len -= skip;
    }
    if (len == 0)
        return ff_error_set(err, FF_EPARSE, "empty message");

    GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(st);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, popts);
    g_object_unref(parser);
    g_object_unref(st);
    if (msg == NULL)
        return ff_error_set(err, FF_EPARSE, "no message header found");

    ff_status rc = copy_headers(m, g_mime_object_get_header_list(GMIME_OBJECT(msg)));
    if (rc == FF_OK && m->nheaders == 0)
        rc = ff_error_set(err, FF_EPARSE, "no header fields: not a mail message");
    if (rc != FF_OK) {
        g_object_unref(msg);
        if (rc == FF_ENOMEM)
            ff_error_set(err, rc, "out of memory");
        return rc;
    }

    GMimeObject *body = g_mime_message_get_mime_part(msg);
    m->content_type = content_type_line(body);

    walk w;
    memset(&w, 0, sizeof w);
    w.text.max = w.html.max = MAIL_TEXT_MAX;
    w.dsn.max = MAIL_DSN_MAX;
    w.feedback.max = MAIL_FEEDBACK_MAX;
    w.orig.max = MAIL_ORIG_MAX;
    walk_object(&w, body, 0);
    bool multipart = body != NULL && GMIME_IS_MULTIPART(body);
    g_object_unref(msg); /* body goes with it */

    if (w.text.n == 0 && w.html.n > 0) {
        add_text(&w.text, w.html.p, w.html.n);
    }
    if (w.text.n == 0 && w.dsn.n == 0 && w.feedback.n == 0 && multipart) {
        const char *rb;
        size_t rl;
        raw_body(data, len, &rb, &rl);
        if (rl > MAIL_TEXT_MAX)
            rl = MAIL_TEXT_MAX;
        add_converted(&w.text, rb, rl, NULL);
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
    if (w.orig.n > 0)
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
    for (size_t i = 0; i < m->nheaders; i++)
        if (m->headers[i].name && strcasecmp(m->headers[i].name, name) == 0)
            return m->headers[i].value;
    return NULL;
}

void ff_mail_free(ff_mail *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nheaders; i++) {
        free(m->headers[i].name);
        free(m->headers[i].value);
    }
    free(m->headers);
    free(m->content_type);
    free(m->text);
    free(m->dsn);
    free(m->feedback);
    free(m->orig_headers);
    memset(m, 0, sizeof *m);
}
