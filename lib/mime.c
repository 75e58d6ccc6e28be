/* mime.c - MIME structure read in place (see mime.h) */
#include "mime.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "text.h"

/* The end of the line starting at i (the '\n' or n) and where the next one starts. */
static size_t line_end(const char *s, size_t n, size_t i, size_t *next)
{
    const char *nl = ff_newline(s + i, n - i);
    size_t e = nl ? (size_t)(nl - s) : n;
    *next = nl ? e + 1 : n;
    return e > i && s[e - 1] == '\r' ? e - 1 : e;
}

void ff_mime_split(const char *s, size_t n, size_t *hlen, size_t *body)
{
    size_t i = 0;
    while (i < n) {
        size_t next, e = line_end(s, n, i, &next);
        if (e == i) { /* the blank line */
            *hlen = i;
            *body = next;
            return;
        }
        i = next;
    }
    *hlen = n;
    *body = n;
}

static bool field_name(const char *s, size_t n, size_t *nlen)
{
    size_t k = 0;
    while (k < n && s[k] != ':') {
        unsigned char c = (unsigned char)s[k];
        if (c <= ' ' || c >= 127)
            return false;
        k++;
    }
    if (k == 0 || k == n)
        return false;
    *nlen = k;
    return true;
}

bool ff_mime_field_next(const char *h, size_t hn, size_t *pos, const char **name,
                        size_t *nlen, const char **val, size_t *vlen)
{
    size_t i = *pos;
    while (i < hn) {
        size_t next, e = line_end(h, hn, i, &next);
        size_t k;
        if (h[i] == ' ' || h[i] == '\t' || !field_name(h + i, e - i, &k)) {
            i = next; /* a stray continuation or a line that is no field */
            continue;
        }
        *name = h + i;
        *nlen = k;
        *val = h + i + k + 1;
        /* continuation lines start with white space */
        size_t end = e;
        while (next < hn && (h[next] == ' ' || h[next] == '\t')) {
            size_t nn;
            end = line_end(h, hn, next, &nn);
            next = nn;
        }
        *vlen = end - (i + k + 1);
        *pos = next;
        return true;
    }
    *pos = hn;
    return false;
}

bool ff_mime_field(const char *h, size_t hn, const char *name, const char **val, size_t *vlen)
{
    size_t pos = 0, nl, want = strlen(name);
    const char *nm;
    size_t k = 0;
    while (k < want && (unsigned char)name[k] > ' ' && (unsigned char)name[k] < 127 &&
           name[k] != ':')
        k++;
    if (want == 0 || k < want) { /* not a field name: no field can have it */
        while (ff_mime_field_next(h, hn, &pos, &nm, &nl, val, vlen))
            if (nl == want && strncasecmp(nm, name, nl) == 0)
                return true;
        return false;
    }
    /* Every entity's Content-Type and Content-Transfer-Encoding are looked up this way, in
     * header blocks of dozens of Received and DKIM lines: only the line starts are tested
     * for "name:". A line that begins so is a field of that name (the name's bytes are
     * all valid), and no earlier line can be one without beginning so: continuation lines
     * begin with white space, which no name does. So the first hit is the field
     * ff_mime_field_next() would reach first, and it reads the value from there. */
    unsigned char first = (unsigned char)tolower((unsigned char)name[0]);
    size_t i = 0;
    while (i + want < hn) {
        if ((unsigned char)tolower((unsigned char)h[i]) == first && h[i + want] == ':' &&
            strncasecmp(h + i, name, want) == 0) {
            pos = i;
            return ff_mime_field_next(h, hn, &pos, &nm, &nl, val, vlen);
        }
        const char *eol = ff_newline(h + i, hn - i);
        if (eol == NULL)
            break;
        i = (size_t)(eol - h) + 1;
    }
    return false;
}

static bool sp(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void ff_mime_type(const char *val, size_t vlen, char *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < vlen && sp(val[i]))
        i++;
    bool slash = false;
    while (i < vlen && val[i] != ';' && !sp(val[i]) && o + 1 < cap) {
        slash = slash || val[i] == '/';
        out[o++] = (char)tolower((unsigned char)val[i++]);
    }
    out[o] = '\0';
    if (!slash || o == 0 || out[0] == '/' || out[o - 1] == '/')
        snprintf(out, cap, "%s", "text/plain");
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends v[0..n) to out at *o, percent-decoding when `ext` (an RFC 2231 extended value). */
static void param_add(char *out, size_t cap, size_t *o, const char *v, size_t n, bool ext)
{
    for (size_t i = 0; i < n && *o + 1 < cap; i++) {
        if (ext && v[i] == '%' && i + 2 < n && hexv(v[i + 1]) >= 0 && hexv(v[i + 2]) >= 0) {
            out[(*o)++] = (char)(hexv(v[i + 1]) * 16 + hexv(v[i + 2]));
            i += 2;
        } else {
            out[(*o)++] = v[i];
        }
    }
    out[*o] = '\0';
}

bool ff_mime_param(const char *val, size_t vlen, const char *name, char *out, size_t cap)
{
    size_t want = strlen(name), o = 0;
    bool found = false;
    if (cap == 0)
        return false;
    out[0] = '\0';
    /* continuations may come in any order in theory; in practice they come in order, and
     * taking them as they come keeps this one pass */
    size_t i = 0;
    while (i < vlen && val[i] != ';') {
        if (val[i] == '"') { /* a quoted type? skip the string */
            i++;
            while (i < vlen && val[i] != '"')
                i++;
        }
        i++;
    }
    while (i < vlen) {
        i++; /* the ';' */
        while (i < vlen && sp(val[i]))
            i++;
        size_t ns = i;
        while (i < vlen && val[i] != '=' && val[i] != ';' && !sp(val[i]))
            i++;
        size_t nlen = i - ns;
        while (i < vlen && sp(val[i]))
            i++;
        if (i >= vlen || val[i] != '=') {
            while (i < vlen && val[i] != ';')
                i++;
            continue;
        }
        i++;
        while (i < vlen && sp(val[i]))
            i++;
        const char *v;
        size_t vn;
        if (i < vlen && val[i] == '"') {
            size_t vs = ++i;
            while (i < vlen && val[i] != '"') {
                if (val[i] == '\\' && i + 1 < vlen)
                    i++;
                i++;
            }
            v = val + vs;
            vn = i - vs;
            if (i < vlen)
                i++;
        } else {
            size_t vs = i;
            while (i < vlen && val[i] != ';' && !sp(val[i]))
                i++;
            v = val + vs;
            vn = i - vs;
        }
        while (i < vlen && val[i] != ';')
            i++;
        const char *nm = val + ns;
        if (nlen < want || strncasecmp(nm, name, want) != 0)
            continue;
        const char *rest = nm + want;
        size_t rn = nlen - want;
        if (rn == 0) { /* name=value: wins over nothing, not over an RFC 2231 form */
            if (!found) {
                param_add(out, cap, &o, v, vn, false);
                found = true;
            }
            continue;
        }
        if (rest[0] != '*')
            continue;
        bool ext = rest[rn - 1] == '*';
        bool first = rn == 1 || (rn >= 2 && rest[1] == '0' && (rn == 2 || rest[2] == '*'));
        if (first) {
            o = 0; /* an RFC 2231 value replaces a plain one */
            out[0] = '\0';
            if (ext) { /* charset'language'value */
                const char *q1 = memchr(v, '\'', vn);
                const char *q2 = q1 ? memchr(q1 + 1, '\'', vn - (size_t)(q1 + 1 - v)) : NULL;
                if (q2) {
                    vn -= (size_t)(q2 + 1 - v);
                    v = q2 + 1;
                }
            }
        }
        param_add(out, cap, &o, v, vn, ext);
        found = true;
    }
    return found;
}

/* Is the line at s[i..e) a boundary line for `bd` (bl bytes)? 1 = a part starts, 2 = the
 * closing boundary, 0 = no. Trailing white space after the boundary is allowed. */
static int boundary_line(const char *s, size_t i, size_t e, const char *bd, size_t bl)
{
    if (e - i < bl + 2 || s[i] != '-' || s[i + 1] != '-' || memcmp(s + i + 2, bd, bl) != 0)
        return 0;
    size_t k = i + 2 + bl;
    int kind = 1;
    if (k + 2 <= e && s[k] == '-' && s[k + 1] == '-') {
        kind = 2;
        k += 2;
    }
    while (k < e && (s[k] == ' ' || s[k] == '\t'))
        k++;
    return k == e ? kind : 0;
}

/* The first boundary line for bd (bl bytes) among the lines of b[0..bn) that start at or
 * after `from` (itself a line start): its kind (1 a part starts, 2 the closing boundary;
 * 0 when there is none), where it starts (*at) and where the line after it starts (*next).
 *
 * A boundary line holds the boundary two bytes after its start, so ff_memmem() (which skips
 * through a part's kilobytes far faster than a walk line by line) finds the candidates,
 * in order, and each is then checked for sitting at a line start and for being one. */
static int boundary_find(const char *b, size_t bn, size_t from, const char *bd, size_t bl,
                         size_t *at, size_t *next)
{
    size_t i = from + 2;
    while (i < bn && bn - i >= bl) {
        const char *p = ff_memmem(b + i, bn - i, bd, bl);
        if (p == NULL)
            break;
        size_t ls = (size_t)(p - b) - 2; /* where the line would start */
        i = (size_t)(p - b) + 1;
        if (b[ls] != '-' || b[ls + 1] != '-' || (ls > from && b[ls - 1] != '\n'))
            continue;
        size_t nx, e = line_end(b, bn, ls, &nx);
        int k = boundary_line(b, ls, e, bd, bl);
        if (k) {
            *at = ls;
            *next = nx;
            return k;
        }
    }
    return 0;
}

bool ff_mime_part_next(const char *b, size_t bn, const char *boundary, size_t *pos,
                       const char **part, size_t *plen)
{
    size_t bl = strlen(boundary);
    if (bl == 0)
        return false;
    size_t i = *pos, at, next;
    if (i == 0) { /* skip the preamble up to the first boundary line */
        int k = boundary_find(b, bn, 0, boundary, bl, &at, &next);
        if (k != 1) {
            *pos = bn;
            return false;
        }
        i = next;
    }
    if (i >= bn)
        return false;
    size_t start = i;
    int k = boundary_find(b, bn, start, boundary, bl, &at, &next);
    if (k) {
        size_t end = at; /* the line end before the boundary belongs to it */
        if (end > start && b[end - 1] == '\n')
            end--;
        if (end > start && b[end - 1] == '\r')
            end--;
        *part = b + start;
        *plen = end - start;
        *pos = k == 2 ? bn : next;
        return true;
    }
    *part = b + start;
    *plen = bn - start;
    *pos = bn;
    return true;
}

static int b64v(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* b64v() of every byte, filled once (base64 parts are decoded a byte at a time, and the
 * five range tests per byte were most of it) */
static signed char b64tab[256];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void b64_fill(void)
{
    for (int c = 0; c < 256; c++)
        b64tab[c] = (signed char)b64v((unsigned char)c);
}

static size_t b64_decode(const char *s, size_t n, char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    pthread_once(&b64_once, b64_fill);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=')
            break;
        int v = b64tab[(unsigned char)s[i]];
        if (v < 0)
            continue;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    return o;
}

static size_t qp_decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '=') { /* the run up to the next '=' is copied as it is */
            const char *eq = memchr(s + i, '=', n - i);
            size_t run = (eq != NULL ? (size_t)(eq - s) : n) - i;
            memcpy(out + o, s + i, run);
            o += run;
            i += run - 1;
            continue;
        }
        /* a soft line break: '=' then optional blanks then the line end */
        size_t k = i + 1;
        while (k < n && (s[k] == ' ' || s[k] == '\t'))
            k++;
        if (k < n && (s[k] == '\r' || s[k] == '\n')) {
            if (s[k] == '\r' && k + 1 < n && s[k + 1] == '\n')
                k++;
            i = k;
            continue;
        }
        if (k == n) {
            i = n;
            continue;
        }
        if (i + 2 < n && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
            out[o++] = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
            i += 2;
            continue;
        }
        out[o++] = '=';
    }
    return o;
}

enum { ENC_IDENTITY, ENC_BASE64, ENC_QP };

static int encoding(const char *enc, size_t elen)
{
    while (elen && sp(*enc))
        enc++, elen--;
    while (elen && sp(enc[elen - 1]))
        elen--;
    if (elen == 6 && strncasecmp(enc, "base64", 6) == 0)
        return ENC_BASE64;
    if (elen == 16 && strncasecmp(enc, "quoted-printable", 16) == 0)
        return ENC_QP;
    return ENC_IDENTITY;
}

bool ff_mime_identity(const char *encoding_value, size_t elen)
{
    return encoding(encoding_value, elen) == ENC_IDENTITY;
}

size_t ff_mime_decode(const char *s, size_t n, const char *enc, size_t elen, char *out)
{
    size_t o;
    switch (encoding(enc, elen)) {
    case ENC_BASE64:
        o = b64_decode(s, n, out);
        break;
    case ENC_QP:
        o = qp_decode(s, n, out);
        break;
    default:
        memcpy(out, s, n);
        o = n;
    }
    out[o] = '\0';
    return o;
}
