/* dkim_canon.c - message splitting, canonicalisation and hashing for DKIM (dkim_int.h)
 *
 * RFC 6376 3.4: "simple" keeps headers as they are and only drops trailing empty lines
 * of the body; "relaxed" lower-cases header names, unfolds, turns runs of white space into
 * one space and trims, and in the body turns runs of white space into one space, drops
 * white space at line ends and trailing empty lines. An empty body is CRLF under simple
 * and nothing under relaxed.
 */
#include "dkim_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

ff_status dk_msg_parse(const char *msg, size_t len, dk_msg *m, ff_error *err)
{
    memset(m, 0, sizeof *m);
    if (len > FF_DKIM_MAX)
        return ff_error_set(err, FF_ETOOBIG, "dkim: message over %u bytes", FF_DKIM_MAX);
    if (len > ((size_t)-1) / 2 - 4)
        return ff_error_set(err, FF_ETOOBIG, "dkim: message too large");
    m->buf = malloc(len * 2 + 3);
    if (!m->buf)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = msg[i];
        if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < len && msg[i + 1] == '\n')
                i++;
            m->buf[o++] = '\r';
            m->buf[o++] = '\n';
        } else
            m->buf[o++] = c;
    }
    m->buf[o] = '\0';
    m->len = o;
    size_t cap = 0, pos = 0;
    while (pos < o) {
        if (pos + 1 < o && m->buf[pos] == '\r' && m->buf[pos + 1] == '\n') {
            pos += 2; /* the empty line: the body follows */
            break;
        }
        size_t start = pos, end = pos;
        /* A field runs to a CRLF not followed by white space. */
        for (;;) {
            char *nl = memmem(m->buf + end, o - end, "\r\n", 2);
            if (!nl) {
                end = o;
                pos = o;
                break;
            }
            end = (size_t)(nl - m->buf);
            pos = end + 2;
            if (pos < o && (m->buf[pos] == ' ' || m->buf[pos] == '\t')) {
                end = pos;
                continue;
            }
            break;
        }
        const char *colon = memchr(m->buf + start, ':', end - start);
        if (!colon)
            continue; /* not a field: skipped, as receivers do */
        if (m->nf == cap) {
            cap = cap ? cap * 2 : 32;
            dk_field *f = realloc(m->f, cap * sizeof *f);
            if (!f) {
                dk_msg_free(m);
                return ff_error_set(err, FF_ENOMEM, "out of memory");
            }
            m->f = f;
        }
        size_t nl = (size_t)(colon - (m->buf + start));
        while (nl && (m->buf[start + nl - 1] == ' ' || m->buf[start + nl - 1] == '\t'))
            nl--;
        m->f[m->nf++] = (dk_field){.raw = m->buf + start, .len = end - start, .nl = nl};
    }
    m->body = m->buf + (pos < o ? pos : o);
    m->body_len = pos < o ? o - pos : 0;
    return FF_OK;
}

void dk_msg_free(dk_msg *m)
{
    free(m->buf);
    free(m->f);
    memset(m, 0, sizeof *m);
}

dk_field *dk_take(dk_msg *m, const char *name, size_t nl)
{
    for (size_t i = m->nf; i > 0; i--) {
        dk_field *f = &m->f[i - 1];
        if (!f->used && f->nl == nl && strncasecmp(f->raw, name, nl) == 0) {
            f->used = true;
            return f;
        }
    }
    return NULL;
}

static bool wsp(char c)
{
    return c == ' ' || c == '\t';
}

void dk_canon_header(ff_buf *out, const char *raw, size_t len, ff_dkim_canon c, bool crlf)
{
    if (c == FF_DKIM_SIMPLE) {
        ff_buf_put(out, raw, len);
    } else {
        const char *colon = memchr(raw, ':', len);
        size_t nl = colon ? (size_t)(colon - raw) : len;
        while (nl && wsp(raw[nl - 1]))
            nl--;
        for (size_t i = 0; i < nl; i++) {
            char ch = (char)tolower((unsigned char)raw[i]);
            ff_buf_put(out, &ch, 1);
        }
        ff_buf_put(out, ":", 1);
        size_t i = colon ? (size_t)(colon - raw) + 1 : len;
        bool space = false, any = false;
        for (; i < len; i++) {
            char ch = raw[i];
            if (ch == '\r' || ch == '\n')
                continue; /* unfold */
            if (wsp(ch)) {
                space = true;
                continue;
            }
            if (space && any)
                ff_buf_put(out, " ", 1);
            space = false;
            any = true;
            ff_buf_put(out, &ch, 1);
        }
    }
    if (crlf)
        ff_buf_put(out, "\r\n", 2);
}

/* Feed canonical body bytes into the digest, up to the l= limit. */
typedef struct feed {
    EVP_MD_CTX *md;
    long limit;
    size_t total;
} feed;

static void eat(feed *f, const char *s, size_t n)
{
    size_t take = n;
    if (f->limit >= 0) {
        size_t left = (size_t)f->limit > f->total ? (size_t)f->limit - f->total : 0;
        if (take > left)
            take = left;
    }
    if (take)
        EVP_DigestUpdate(f->md, s, take);
    f->total += n;
}

bool dk_body_hash(const char *body, size_t len, ff_dkim_canon c, long limit,
                  unsigned char out[32], size_t *canon_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return false;
    }
    feed f = {.md = md, .limit = limit};
    /* Lines are CRLF-terminated (dk_msg_parse made them so); empty lines are held back
     * until a non-empty one proves they are not trailing. */
    size_t pending = 0, pos = 0;
    while (pos < len) {
        const char *nl = memmem(body + pos, len - pos, "\r\n", 2);
        size_t end = nl ? (size_t)(nl - body) : len;
        const char *l = body + pos;
        size_t ll = end - pos;
        pos = nl ? end + 2 : len;
        if (c == FF_DKIM_RELAXED) {
            while (ll && wsp(l[ll - 1]))
                ll--;
        }
        if (ll == 0) {
            pending++;
            continue;
        }
        for (; pending; pending--)
            eat(&f, "\r\n", 2);
        if (c == FF_DKIM_RELAXED) {
            bool space = false;
            for (size_t i = 0; i < ll; i++) {
                if (wsp(l[i])) {
                    space = true;
                    continue;
                }
                if (space)
                    eat(&f, " ", 1);
                space = false;
                eat(&f, l + i, 1);
            }
        } else {
            eat(&f, l, ll);
        }
        eat(&f, "\r\n", 2);
    }
    if (f.total == 0 && c == FF_DKIM_SIMPLE)
        eat(&f, "\r\n", 2);
    unsigned int olen = 0;
    bool ok = EVP_DigestFinal_ex(md, out, &olen) == 1 && olen == 32;
    EVP_MD_CTX_free(md);
    if (canon_len)
        *canon_len = f.total;
    return ok;
}

bool dk_sign_data(void *pkey, const char *data, size_t len, unsigned char **sig, size_t *slen)
{
    EVP_PKEY *k = pkey;
    *sig = NULL;
    *slen = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = false;
    if (!md)
        return false;
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
        unsigned char h[32];
        unsigned int hl = 0;
        if (EVP_Digest(data, len, h, &hl, EVP_sha256(), NULL) == 1 &&
            EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
            EVP_DigestSign(md, NULL, slen, h, hl) == 1 && (*sig = malloc(*slen)) &&
            EVP_DigestSign(md, *sig, slen, h, hl) == 1)
            ok = true;
    } else if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
               EVP_DigestSign(md, NULL, slen, (const unsigned char *)data, len) == 1 &&
               (*sig = malloc(*slen)) &&
               EVP_DigestSign(md, *sig, slen, (const unsigned char *)data, len) == 1) {
        ok = true;
    }
    EVP_MD_CTX_free(md);
    if (!ok) {
        free(*sig);
        *sig = NULL;
    }
    return ok;
}

bool dk_verify_data(void *pkey, const char *data, size_t len, const unsigned char *sig,
                    size_t slen)
{
    EVP_PKEY *k = pkey;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = false;
    if (!md)
        return false;
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
        unsigned char h[32];
        unsigned int hl = 0;
        ok = EVP_Digest(data, len, h, &hl, EVP_sha256(), NULL) == 1 &&
             EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestVerify(md, sig, slen, h, hl) == 1;
    } else {
        ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
             EVP_DigestVerify(md, sig, slen, (const unsigned char *)data, len) == 1;
    }
    EVP_MD_CTX_free(md);
    return ok;
}
