/* reply.c - one SMTP reply, as received or as quoted in a bounce, into a struct
 *
 * NAME
 *	ff_reply_parse, ff_reply_clear, ff_reply_code_find
 * DESCRIPTION
 *	The first step after `deliver` in DESIGN.md, and the first step of `classify`
 *	for a bounce's diagnostic text: untrusted reply bytes are read here, once, into
 *	an ff_reply the classifier can trust (code, enhanced status, clean text, the
 *	provider's lookup tags).
 *
 *	Two shapes come in. A reply proper starts with its code (RFC 5321 4.2):
 *	"550-5.7.26 ...\r\n550 5.7.26 ...". Every line's "550-5.7.26 " is dropped and
 *	the rest joined with one space, because the classifier and the dashboard want
 *	the sentence the receiver wrote, not its framing. A diagnostic is free text
 *	that quotes a reply somewhere ("host mx[1.2.3.4] said: 550-5.1.1 ..."); its
 *	code and status count only as a pair ("550 5.1.1") or right after "said:" or
 *	"smtp;", since free text carries stray numbers ("500 messages").
 *
 *	Users paste multi-line replies on one line ("550-5.7.26 a 550-5.7.26 b
 *	550 5.7.26 c"), and Postfix quotes them that way, so a repeat of the same
 *	code and status inside a line also starts a new line.
 *
 *	Nothing here recurses; every scan is a bounded loop over `len` bytes, and the
 *	text is never longer than the input.
 * DIAGNOSTICS
 *	FF_EINVAL, FF_ETOOBIG, FF_EPARSE, FF_ENOMEM as reply.h says.
 */
#include "fivefifty/reply.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool wordch(char c)
{
    return digit(c) || upper(c) || (c >= 'a' && c <= 'z') || c == '_';
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- reply codes ---------------------------------------------------------- */

/* Three digits that can be a reply code: RFC 5321 4.2, first digit 2-5, second 0-5. */
static int code3(const char *p, size_t left)
{
    if (left < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '5' || !digit(p[2]))
        return 0;
    if (left > 3 && digit(p[3]))
        return 0;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* A code in free text must not be part of an IP address, a time or a date:
 * "142.250.1.26", "12:55:00", "2024-05-21" all put a digit or dot next to it. */
static bool code_before(const char *t, size_t i)
{
    if (i == 0)
        return true;
    char c = t[i - 1];
    if (c == ':')
        return i < 2 || !digit(t[i - 2]);
    return blank(c) || strchr("([<\"';,=>", c) != NULL;
}

static bool code_after(const char *t, size_t len, size_t e)
{
    if (e >= len)
        return true;
    char c = t[e];
    if (c == ':')
        return e + 1 >= len || !digit(t[e + 1]);
    return blank(c) || strchr("-)]>,;\"'", c) != NULL;
}

/* The digits are tested first: callers try every position of a text, and nearly all fail
 * there in a compare or two, where the context test costs a strchr(). */
static int code_token(const char *t, size_t len, size_t i)
{
    int code = code3(t + i, len - i);
    if (code == 0 || !code_before(t, i))
        return 0;
    return code_after(t, len, i + 3) ? code : 0;
}

/* The first i' >= i where a code can start (a byte '2' to '5' with two more bytes after
 * it), or len when there is none. Callers try every position of a text and nearly all
 * fail on that first byte, so the text is read eight bytes at a time: a byte b of the
 * word is in '2'..'5' when b ^ '0' is between 1 and 6 exclusive, which the subtractions
 * below find for all eight at once (bytes with the high bit set never count). */
static size_t next_lead(const char *t, size_t len, size_t i)
{
    const uint64_t ones = 0x0101010101010101u, low7 = ones * 0x7F, high = ones * 0x80;
    while (i + 8 <= len) {
        uint64_t w;
        memcpy(&w, t + i, 8);
        uint64_t x = w ^ (ones * '0');
        uint64_t m = ((ones * (127 + 6) - (x & low7)) & ~x & ((x & low7) + ones * (127 - 1))) &
                     high;
        if (m != 0) {
            /* little end first: the lowest flagged byte is the first in the text */
            return i + (size_t)(__builtin_ctzll(m) / 8);
        }
        i += 8;
    }
    while (i < len && !(t[i] >= '2' && t[i] <= '5'))
        i++;
    return i;
}

/* The RFC 2034 status right after a code and its separator, as in "550 5.1.1" or
 * "550-5.7.26"; "550 #5.1.0" also occurs. Returns the offset just past the status
 * (0 when there is none) and copies it into st. */
static size_t status_at(const char *p, size_t n, char st[FF_STATUS_MAX])
{
    size_t i = 0;
    st[0] = '\0';
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i < n && p[i] == '#')
        i++;
    /* a code plus one byte of context is at most 10 bytes; the window keeps the scan
     * from running on through a long line */
    size_t w = n - i < 12 ? n - i : 12;
    long off = ff_status_find(p + i, w, st);
    if (off != 0) {
        st[0] = '\0';
        return 0;
    }
    return i + strlen(st);
}

/* A code followed by its status ("550 5.1.1", "550-5.1.1") somewhere in free text. */
static long pair_find(const char *t, size_t len, int *code, char st[FF_STATUS_MAX])
{
    for (size_t i = next_lead(t, len, 0); i + 3 < len; i = next_lead(t, len, i + 1)) {
        int c = code_token(t, len, i);
        if (c && (t[i + 3] == ' ' || t[i + 3] == '-') && status_at(t + i + 4, len - i - 4, st)) {
            *code = c;
            return (long)i;
        }
    }
    return -1;
}

/* A lone code where diagnostics put one: "said: 550 ..." (Postfix), "smtp; 550 ..."
 * (RFC 3464 Diagnostic-Code). */
static int quoted_code(const char *t, size_t len)
{
    for (size_t i = next_lead(t, len, 0); i + 3 <= len; i = next_lead(t, len, i + 1)) {
        int c = code_token(t, len, i);
        if (c == 0)
            continue;
        size_t j = i;
        while (j > 0 && (t[j - 1] == ' ' || t[j - 1] == '\t'))
            j--;
        if (j > 0 && (t[j - 1] == ':' || t[j - 1] == ';'))
            return c;
    }
    return 0;
}

int ff_reply_code_find(const char *text, size_t len)
{
    if (text == NULL)
        return 0;
    char st[FF_STATUS_MAX];
    int code = 0;
    /* a code with its status beside it beats the first bare number */
    if (pair_find(text, len, &code, st) >= 0)
        return code;
    for (size_t i = next_lead(text, len, 0); i + 3 <= len; i = next_lead(text, len, i + 1))
        if ((code = code_token(text, len, i)) != 0)
            return code;
    return 0;
}

/* ---- the joined text ------------------------------------------------------ */

struct out {
    char *p;
    size_t n, cap;
};

/* Append bytes; control characters and runs of white space become one space, and the
 * text never starts with one. UTF-8 and other high bytes pass as they are. */
static void put(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f) {
            if (o->n == 0 || o->p[o->n - 1] == ' ')
                continue;
            c = ' ';
        }
        if (o->n + 1 >= o->cap) /* cannot happen: the text never outgrows the input */
            return;
        o->p[o->n++] = (char)c;
    }
}

/* What is known while the reply is read. */
struct ctx {
    int code;
    char status[FF_STATUS_MAX];
    bool coded;     /* the reply starts with its code */
    bool in_text;   /* status (and code) found in free text */
    bool multi;     /* repeats of code and status may start a line inside a line */
    bool seen;      /* free text: the first quoted code was kept */
    struct out o;
};

/* Does a repeat of the reply's own "CCC-" or "CCC S.S.S" start at p[i]? */
static bool repeat_at(const struct ctx *c, const char *p, size_t n, size_t i)
{
    if (code3(p + i, n - i) != c->code || i + 3 >= n || (p[i + 3] != '-' && p[i + 3] != ' '))
        return false;
    char st[FF_STATUS_MAX];
    if (c->status[0] == '\0')
        return c->coded && p[i + 3] == '-';
    return status_at(p + i + 4, n - i - 4, st) && strcmp(st, c->status) == 0;
}

/* Where the next line starts inside this one (at or after `from`), or n. */
static size_t boundary(const struct ctx *c, const char *p, size_t n, size_t from)
{
    if (!c->multi || c->code == 0)
        return n;
    for (size_t i = from; i + 3 < n; i++)
        if ((p[i - 1] == ' ' || p[i - 1] == '\t') && repeat_at(c, p, n, i))
            return i;
    return n;
}

/* One line of the reply: drop its code and status when they are the reply's own. */
static void segment(struct ctx *c, const char *p, size_t n)
{
    int code = c->code ? code3(p, n) : 0;
    bool sep = code && (n == 3 || p[3] == ' ' || p[3] == '-' || p[3] == '\t');
    if (code == c->code && sep && (c->coded || (c->seen && repeat_at(c, p, n, 0)))) {
        char st[FF_STATUS_MAX];
        size_t skip = n > 3 ? 4 : 3;
        size_t end = n > 3 ? status_at(p + 4, n - 4, st) : 0;
        if (end && c->status[0] == '\0' && c->coded)
            memcpy(c->status, st, sizeof st); /* RFC 2034: the first line with one */
        if (end && strcmp(st, c->status) == 0)
            skip += end;
        p += skip;
        n -= skip;
    } else if (code == c->code && sep && !c->coded && repeat_at(c, p, n, 0)) {
        c->seen = true; /* the quote itself stays: it is part of the diagnostic */
    }
    put(&c->o, " ", 1);
    put(&c->o, p, n);
}

static void join(struct ctx *c, const char *text, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *p = text + pos;
        size_t n = end - pos;
        while (n > 0 && blank(*p)) {
            p++;
            n--;
        }
        for (size_t i = 0; i < n;) {
            size_t e = boundary(c, p, n, i + 1);
            segment(c, p + i, e - i);
            i = e;
        }
        pos = end + 1;
    }
}

/* ---- provider markers ----------------------------------------------------- */

static void mark(ff_reply *r, const char *p, size_t n)
{
    if (n == 0 || n >= FF_REPLY_MARKER_LEN || r->nmarkers >= FF_REPLY_MARKERS)
        return;
    for (size_t i = 0; i < r->nmarkers; i++)
        if (strlen(r->markers[i]) == n && memcmp(r->markers[i], p, n) == 0)
            return;
    memcpy(r->markers[r->nmarkers], p, n);
    r->markers[r->nmarkers++][n] = '\0';
}

static size_t run(const char *p, size_t n, bool (*is)(char))
{
    size_t i = 0;
    while (i < n && is(p[i]))
        i++;
    return i;
}

/* Yahoo "[TS01]", "[TSS04]", "[BL21]": 2-5 capitals, 2 digits, in brackets. Returns
 * the tag's length at p (after the "["). */
static size_t yahoo(const char *p, size_t n)
{
    size_t a = run(p, n, upper);
    if (a < 2 || a > 5 || a + 3 > n || !digit(p[a]) || !digit(p[a + 1]))
        return 0;
    return p[a + 2] == ']' ? a + 2 : 0;
}

/* Microsoft's block list codes "(S3150)" or "[S3140]"; bare "S3150" is too common a
 * shape (part numbers, hosts) to trust. */
static size_t msft_s(const char *p, size_t n, char open)
{
    if (n < 6 || p[0] != 'S' || run(p + 1, 4, digit) != 4)
        return 0;
    return p[5] == (open == '(' ? ')' : ']') ? 5 : 0;
}

/* Microsoft anti-spam "AS(201806281)": the digits name the policy that fired. */
static size_t msft_as(const char *p, size_t n)
{
    if (n < 6 || p[0] != 'A' || p[1] != 'S' || p[2] != '(')
        return 0;
    size_t d = run(p + 3, n - 3, digit);
    return d >= 3 && d <= 12 && 3 + d < n && p[3 + d] == ')' ? 4 + d : 0;
}

/* Gateway codes: a whole word matching ^[A-Z][A-Z0-9]*(_[A-Z0-9]+){2,}$, such as
 * MIMECAST_POLICY_VIOLATION or BARRACUDA_BLOCKED_IP. */
static bool gateway(const char *p, size_t n)
{
    size_t groups = 0;
    if (n == 0 || !upper(p[0]))
        return false;
    for (size_t i = 1; i < n; i++) {
        if (p[i] == '_') {
            if (i + 1 >= n || p[i + 1] == '_')
                return false;
            groups++;
        } else if (!upper(p[i]) && !digit(p[i])) {
            return false;
        }
    }
    return groups >= 2;
}

static void markers(ff_reply *r, const char *t, size_t len)
{
    for (size_t i = 0; i < len && r->nmarkers < FF_REPLY_MARKERS; i++) {
        size_t k;
        if ((t[i] == '[' || t[i] == '(') && i + 1 < len) {
            if (t[i] == '[' && (k = yahoo(t + i + 1, len - i - 1)) != 0)
                mark(r, t + i + 1, k);
            else if ((k = msft_s(t + i + 1, len - i - 1, t[i])) != 0)
                mark(r, t + i + 1, k);
        }
        if (i > 0 && wordch(t[i - 1]))
            continue; /* only at the start of a word */
        if ((k = msft_as(t + i, len - i)) != 0) {
            mark(r, t + i, k);
            continue;
        }
        size_t w = 0;
        while (i + w < len && wordch(t[i + w]))
            w++;
        if (w && gateway(t + i, w))
            mark(r, t + i, w);
    }
}

/* ---- the whole reply ------------------------------------------------------ */

static bool printable(const char *t, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c > ' ' && c != 0x7f)
            return true;
    }
    return false;
}

/* Decide the shape from the first line that is not blank. */
static void start(struct ctx *c, const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && blank(text[i]))
        i++;
    const char *p = text + i;
    size_t n = len - i;
    const char *nl = memchr(p, '\n', n);
    size_t line = nl ? (size_t)(nl - p) : n;
    int code = code3(p, line);
    if (code && (line == 3 || p[3] == ' ' || p[3] == '-' || p[3] == '\t')) {
        c->code = code;
        c->coded = true;
        c->multi = line > 3 && p[3] == '-';
        if (line > 3)
            status_at(p + 4, line - 4, c->status);
        return;
    }
    if (pair_find(text, len, &c->code, c->status) >= 0) {
        c->in_text = true;
        c->multi = true;
    } else {
        c->code = quoted_code(text, len);
    }
}

ff_status ff_reply_parse(const char *text, size_t len, ff_reply *out)
{
    if (out == NULL)
        return FF_EINVAL;
    memset(out, 0, sizeof *out);
    if (text == NULL && len > 0)
        return FF_EINVAL;
    if (len > FF_REPLY_MAX)
        return FF_ETOOBIG;
    if (text == NULL || !printable(text, len))
        return FF_EPARSE;

    struct ctx c = {0};
    c.o.cap = len + 1;
    c.o.p = malloc(c.o.cap);
    if (c.o.p == NULL)
        return FF_ENOMEM;
    start(&c, text, len);
    join(&c, text, len);
    while (c.o.n > 0 && c.o.p[c.o.n - 1] == ' ')
        c.o.n--;
    c.o.p[c.o.n] = '\0';

    out->code = c.code;
    out->text = c.o.p;
    out->text_len = c.o.n;
    memcpy(out->status, c.status, sizeof out->status);
    out->status_in_text = c.in_text;
    if (out->status[0] == '\0' && ff_status_find(out->text, out->text_len, out->status) >= 0)
        out->status_in_text = true;
    if (out->code && out->status[0])
        out->classes_disagree = out->code / 100 != out->status[0] - '0';
    markers(out, out->text, out->text_len);
    return FF_OK;
}

void ff_reply_clear(ff_reply *r)
{
    if (r == NULL)
        return;
    free(r->text);
    memset(r, 0, sizeof *r);
}
