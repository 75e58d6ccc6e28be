/* dkim_verify.c - verify the DKIM signatures of a message (see include/fivefifty/dkim.h)
 *
 * For each DKIM-Signature field: parse its tags (a broken or unknown-version signature is
 * a permerror, RFC 6376 6.1.1), check the body hash, fetch the key through the caller's
 * callback, and verify b= over the signed fields and the signature field with b= emptied.
 * The reasons name what failed, because "dkim=fail" alone tells a postmaster nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim_int.h"

const char *ff_dkim_result_name(ff_dkim_result r)
{
    static const char *const n[] = {"none", "pass", "fail", "neutral", "temperror",
                                    "permerror"};
    return (unsigned)r < 6 ? n[r] : "none";
}

typedef struct tags {
    const char *v[26]; /* single-letter tags a..z (bh stored as 'b'+1 slot below) */
    size_t vl[26];
    const char *bh;
    size_t bhl;
} tags;

/* Parse "tag=value; ..." of a signature field's value. false on a malformed list. */
static bool parse_tags(const char *s, size_t n, tags *t)
{
    memset(t, 0, sizeof *t);
    size_t pos = 0;
    while (pos < n) {
        size_t end = pos;
        while (end < n && s[end] != ';')
            end++;
        const char *a = s + pos;
        size_t al = end - pos;
        pos = end + 1;
        while (al && isspace((unsigned char)*a))
            a++, al--;
        while (al && isspace((unsigned char)a[al - 1]))
            al--;
        if (!al)
            continue;
        const char *eq = memchr(a, '=', al);
        if (!eq)
            return false;
        size_t nl = (size_t)(eq - a);
        while (nl && isspace((unsigned char)a[nl - 1]))
            nl--;
        const char *v = eq + 1;
        size_t vl = al - (size_t)(v - a);
        while (vl && isspace((unsigned char)*v))
            v++, vl--;
        if (nl == 2 && a[0] == 'b' && a[1] == 'h') {
            t->bh = v;
            t->bhl = vl;
        } else if (nl == 1 && islower((unsigned char)a[0])) {
            if (t->v[a[0] - 'a'])
                return false; /* a tag twice: RFC 6376 3.2 */
            t->v[a[0] - 'a'] = v;
            t->vl[a[0] - 'a'] = vl;
        }
    }
    return true;
}

#define TAG(t, c) ((t)->v[(c) - 'a'])
#define TAGL(t, c) ((t)->vl[(c) - 'a'])

/* base64 with folding white space removed. Returns malloc'd bytes or NULL. */
static unsigned char *b64dec(const char *v, size_t n, size_t *out)
{
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)v[i]))
            c[o++] = v[i];
    size_t pad = 0;
    while (o > pad && pad < 2 && c[o - 1 - pad] == '=')
        pad++;
    unsigned char *r = malloc(o / 4 * 3 + 4);
    int l = r && o % 4 == 0 ? EVP_DecodeBlock(r, (unsigned char *)c, (int)o) : -1;
    free(c);
    if (l < 0) {
        free(r);
        return NULL;
    }
    *out = (size_t)l - pad;
    return r;
}

static void verdict(ff_dkim_verdict *v, ff_dkim_result r, const char *why)
{
    v->result = r;
    snprintf(v->reason, sizeof v->reason, "%s", why);
}

/* The signature field with the value of its b= tag removed (RFC 6376 3.7). */
static char *strip_b(const char *raw, size_t len)
{
    char *o = malloc(len + 1);
    if (!o)
        return NULL;
    size_t w = 0, i = 0;
    const char *colon = memchr(raw, ':', len);
    size_t start = colon ? (size_t)(colon - raw) + 1 : 0;
    memcpy(o, raw, start);
    w = i = start;
    bool at_tag = true;
    while (i < len) {
        char c = raw[i];
        if (at_tag && !isspace((unsigned char)c)) {
            at_tag = false;
            /* "b" then optional space then '=' */
            size_t k = i + 1;
            while (k < len && isspace((unsigned char)raw[k]))
                k++;
            if (c == 'b' && k < len && raw[k] == '=') {
                memcpy(o + w, raw + i, k - i + 1);
                w += k - i + 1;
                i = k + 1;
                while (i < len && raw[i] != ';')
                    i++;
                continue;
            }
        }
        if (c == ';')
            at_tag = true;
        o[w++] = c;
        i++;
    }
    o[w] = '\0';
    return o;
}

static void one(dk_msg *m, size_t fi, ff_dkim_key_fn fn, void *ctx, ff_dkim_verdict *v)
{
    memset(v, 0, sizeof *v);
    const dk_field *sf = &m->f[fi];
    const char *colon = memchr(sf->raw, ':', sf->len);
    tags t;
    if (!colon || !parse_tags(colon + 1, sf->len - (size_t)(colon + 1 - sf->raw), &t))
        return verdict(v, FF_DKIM_PERMERROR, "the signature's tag list is malformed");
    if (TAG(&t, 'd'))
        snprintf(v->domain, sizeof v->domain, "%.*s", (int)TAGL(&t, 'd'), TAG(&t, 'd'));
    if (TAG(&t, 's'))
        snprintf(v->selector, sizeof v->selector, "%.*s", (int)TAGL(&t, 's'), TAG(&t, 's'));
    if (!TAG(&t, 'v') || TAGL(&t, 'v') != 1 || TAG(&t, 'v')[0] != '1')
        return verdict(v, FF_DKIM_PERMERROR, "v= is missing or not 1");
    if (!TAG(&t, 'a') || !TAG(&t, 'b') || !t.bh || !TAG(&t, 'd') || !TAG(&t, 'h') ||
        !TAG(&t, 's'))
        return verdict(v, FF_DKIM_PERMERROR, "a required tag (a, b, bh, d, h, s) is missing");
    if (TAGL(&t, 'a') == 10 && !strncmp(TAG(&t, 'a'), "rsa-sha256", 10))
        v->alg = FF_DKIM_RSA_SHA256;
    else if (TAGL(&t, 'a') == 14 && !strncmp(TAG(&t, 'a'), "ed25519-sha256", 14))
        v->alg = FF_DKIM_ED25519_SHA256;
    else
        return verdict(v, FF_DKIM_PERMERROR, "unsupported algorithm (rsa-sha1 is no longer "
                                             "allowed, RFC 8301)");
    ff_dkim_canon hc = FF_DKIM_SIMPLE, bc = FF_DKIM_SIMPLE;
    if (TAG(&t, 'c')) {
        const char *c = TAG(&t, 'c');
        size_t cl = TAGL(&t, 'c');
        const char *slash = memchr(c, '/', cl);
        size_t hl = slash ? (size_t)(slash - c) : cl;
        if (hl == 7 && !strncmp(c, "relaxed", 7))
            hc = FF_DKIM_RELAXED;
        else if (!(hl == 6 && !strncmp(c, "simple", 6)))
            return verdict(v, FF_DKIM_PERMERROR, "unknown header canonicalisation");
        if (slash) {
            size_t bl = cl - hl - 1;
            if (bl == 7 && !strncmp(slash + 1, "relaxed", 7))
                bc = FF_DKIM_RELAXED;
            else if (!(bl == 6 && !strncmp(slash + 1, "simple", 6)))
                return verdict(v, FF_DKIM_PERMERROR, "unknown body canonicalisation");
        }
    }
    /* h= must include From (RFC 6376 5.4). */
    bool from = false;
    for (size_t i = 0; i < TAGL(&t, 'h');) {
        size_t e = i;
        while (e < TAGL(&t, 'h') && TAG(&t, 'h')[e] != ':')
            e++;
        const char *nm = TAG(&t, 'h') + i;
        size_t nl = e - i;
        while (nl && isspace((unsigned char)*nm))
            nm++, nl--;
        while (nl && isspace((unsigned char)nm[nl - 1]))
            nl--;
        from = from || (nl == 4 && !strncasecmp(nm, "from", 4));
        i = e + 1;
    }
    if (!from)
        return verdict(v, FF_DKIM_PERMERROR, "From is not among the signed headers");
    long limit = -1;
    if (TAG(&t, 'l'))
        limit = strtol(TAG(&t, 'l'), NULL, 10);
    unsigned char bh[32];
    size_t canon_len = 0, want_len = 0;
    if (!dk_body_hash(m->body, m->body_len, bc, limit, bh, &canon_len))
        return verdict(v, FF_DKIM_TEMPERROR, "hashing failed");
    if (limit >= 0 && (size_t)limit > canon_len)
        return verdict(v, FF_DKIM_PERMERROR, "l= is longer than the body");
    unsigned char *want = b64dec(t.bh, t.bhl, &want_len);
    bool bh_ok = want && want_len == 32 && !memcmp(want, bh, 32);
    free(want);
    if (!bh_ok)
        return verdict(v, FF_DKIM_FAIL, "body hash mismatch: the body changed after signing");
    char txt[8192];
    char dom[256], sel[128];
    snprintf(dom, sizeof dom, "%s", v->domain);
    snprintf(sel, sizeof sel, "%s", v->selector);
    ff_status ks = fn ? fn(ctx, sel, dom, txt, sizeof txt) : FF_ENOTFOUND;
    if (ks == FF_ENOTFOUND)
        return verdict(v, FF_DKIM_PERMERROR, "no key record at the selector");
    if (ks != FF_OK)
        return verdict(v, FF_DKIM_TEMPERROR, "the key could not be fetched now");
    ff_dkim_key key;
    ff_status kp = ff_dkim_key_parse(txt, strnlen(txt, sizeof txt), &key, NULL);
    v->testing = key.testing;
    if (kp != FF_OK || key.revoked || !key.pkey) {
        verdict(v, FF_DKIM_PERMERROR, key.revoked ? "key revoked (p= is empty)"
                                                  : "the key record is broken");
        ff_dkim_key_clear(&key);
        return;
    }
    if (key.alg != v->alg) {
        ff_dkim_key_clear(&key);
        return verdict(v, FF_DKIM_PERMERROR, "the key's type does not match a=");
    }
    /* The signed data: fields of h= from the bottom up, then this field without b=. */
    for (size_t i = 0; i < m->nf; i++)
        m->f[i].used = false;
    ff_buf data = {0};
    const char *h = TAG(&t, 'h');
    size_t hl = TAGL(&t, 'h');
    for (size_t i = 0; i < hl;) {
        size_t e = i;
        while (e < hl && h[e] != ':')
            e++;
        const char *nm = h + i;
        size_t nl = e - i;
        while (nl && isspace((unsigned char)*nm))
            nm++, nl--;
        while (nl && isspace((unsigned char)nm[nl - 1]))
            nl--;
        dk_field *f = dk_take(m, nm, nl);
        if (f)
            dk_canon_header(&data, f->raw, f->len, hc, true);
        i = e + 1;
    }
    char *self = strip_b(sf->raw, sf->len);
    if (self)
        dk_canon_header(&data, self, strlen(self), hc, false);
    free(self);
    size_t sl = 0;
    unsigned char *sig = b64dec(TAG(&t, 'b'), TAGL(&t, 'b'), &sl);
    bool ok = sig && !data.oom && dk_verify_data(key.pkey, data.p, data.n, sig, sl);
    free(sig);
    free(data.p);
    ff_dkim_key_clear(&key);
    if (ok)
        verdict(v, FF_DKIM_PASS, "signature verified");
    else
        verdict(v, FF_DKIM_FAIL, "signature mismatch: a signed header changed, or the key "
                                 "does not match the signing key");
}

ff_status ff_dkim_verify(const char *msg, size_t len, ff_dkim_key_fn fn, void *ctx,
                         ff_dkim_verdict *out, size_t max, size_t *n, ff_error *err)
{
    if (!n || (!out && max) || (!msg && len))
        return ff_error_set(err, FF_EINVAL, "dkim: missing argument");
    *n = 0;
    dk_msg m;
    ff_status st = dk_msg_parse(msg, len, &m, err);
    if (st != FF_OK)
        return st;
    for (size_t i = 0; i < m.nf && *n < max; i++) {
        if (m.f[i].nl != 14 || strncasecmp(m.f[i].raw, "DKIM-Signature", 14) != 0)
            continue;
        one(&m, i, fn, ctx, &out[(*n)++]);
    }
    dk_msg_free(&m);
    return FF_OK;
}
