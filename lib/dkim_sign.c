/* dkim_sign.c - sign a message, and make or load the keys that do it (dkim.h)
 *
 * The signed header list is the recommended set of RFC 6376 5.4.1 that is present in the
 * message (From always), with From and Subject signed once more than present when
 * oversigning, so a second From added on the way breaks the signature. l= is off by
 * default: it lets anyone append content under a valid signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkim_int.h"

static const char *const recommended[] = {
    "From", "Reply-To", "Subject", "Date", "To", "Cc", "In-Reply-To", "References",
    "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", NULL};

ff_status ff_dkim_pkey_load(const char *pem_path, void **pkey, ff_error *err)
{
    *pkey = NULL;
    FILE *f = fopen(pem_path, "r");
    if (!f)
        return ff_error_set(err, FF_EIO, "dkim: %s: cannot read the key", pem_path);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!k)
        return ff_error_set(err, FF_EPARSE, "dkim: %s: not a PEM private key", pem_path);
    int id = EVP_PKEY_get_base_id(k);
    if (id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519) {
        EVP_PKEY_free(k);
        return ff_error_set(err, FF_EPARSE, "dkim: %s: only RSA and Ed25519 keys sign DKIM",
                            pem_path);
    }
    *pkey = k;
    return FF_OK;
}

ff_status ff_dkim_pkey_generate(ff_dkim_alg alg, int bits, void **pkey, ff_error *err)
{
    *pkey = NULL;
    EVP_PKEY *k = NULL;
    if (alg == FF_DKIM_ED25519_SHA256)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    else
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)(bits ? bits : 2048));
    if (!k)
        return ff_error_set(err, FF_EIO, "dkim: key generation failed");
    *pkey = k;
    return FF_OK;
}

ff_status ff_dkim_pkey_pem(void *pkey, char **pem, char **txt, ff_error *err)
{
    *pem = *txt = NULL;
    EVP_PKEY *k = pkey;
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1) {
        BIO_free(b);
        return ff_error_set(err, FF_EIO, "dkim: cannot write the key");
    }
    char *data;
    long n = BIO_get_mem_data(b, &data);
    *pem = strndup(data, (size_t)n);
    BIO_free(b);
    unsigned char *der = NULL;
    size_t dl = 0;
    bool ed = EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519;
    unsigned char raw[32];
    if (ed) {
        dl = sizeof raw;
        if (EVP_PKEY_get_raw_public_key(k, raw, &dl) != 1)
            dl = 0;
    } else {
        int l = i2d_PUBKEY(k, &der);
        dl = l > 0 ? (size_t)l : 0;
    }
    char *b64 = dl ? malloc(4 * ((dl + 2) / 3) + 1) : NULL;
    if (b64)
        EVP_EncodeBlock((unsigned char *)b64, ed ? raw : der, (int)dl);
    OPENSSL_free(der);
    if (!*pem || !b64) {
        free(*pem);
        free(b64);
        *pem = NULL;
        return ff_error_set(err, FF_ENOMEM, "dkim: out of memory");
    }
    size_t tl = strlen(b64) + 40;
    *txt = malloc(tl);
    if (*txt)
        snprintf(*txt, tl, "v=DKIM1; k=%s; p=%s", ed ? "ed25519" : "rsa", b64);
    free(b64);
    return *txt ? FF_OK : ff_error_set(err, FF_ENOMEM, "dkim: out of memory");
}

void ff_dkim_pkey_free(void *pkey)
{
    EVP_PKEY_free(pkey);
}

static bool present(const dk_msg *m, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < m->nf; i++)
        if (m->f[i].nl == nl && strncasecmp(m->f[i].raw, name, nl) == 0)
            return true;
    return false;
}

static bool field_ok(const char *v)
{
    return v && *v && !strpbrk(v, "\r\n;= \t");
}

/* Append h= folded only between names (FWS may stand around ':' but never inside a
 * name, RFC 6376 3.5). */
static void folded_names(ff_buf *b, const char *v, size_t col)
{
    while (*v) {
        size_t n = strcspn(v, ":");
        if (col + n > 72 && col > 8) {
            ff_buf_puts(b, "\r\n\t");
            col = 1;
        }
        ff_buf_put(b, v, n);
        col += n;
        v += n;
        if (*v == ':') {
            ff_buf_put(b, ":", 1);
            col++;
            v++;
        }
    }
}

/* Append a base64 value folded at 72 columns. */
static void folded(ff_buf *b, const char *v, size_t col)
{
    for (; *v; v++) {
        if (col >= 72) {
            ff_buf_puts(b, "\r\n\t");
            col = 1;
        }
        ff_buf_put(b, v, 1);
        col++;
    }
}

ff_status ff_dkim_sign(const ff_dkim_signer *s, const char *msg, size_t len, char **header,
                       ff_error *err)
{
    if (!header)
        return ff_error_set(err, FF_EINVAL, "dkim: no output");
    *header = NULL;
    if (!s || !s->pkey || !field_ok(s->domain) || !field_ok(s->selector) || (!msg && len))
        return ff_error_set(err, FF_EINVAL, "dkim: signer needs a domain, a selector and a key"
                            " (no spaces, ';' or line ends)");
    dk_msg m;
    ff_status st = dk_msg_parse(msg, len, &m, err);
    if (st != FF_OK)
        return st;
    if (!present(&m, "From")) {
        dk_msg_free(&m);
        return ff_error_set(err, FF_EPARSE, "dkim: the message has no From header");
    }
    bool ed = EVP_PKEY_get_base_id((EVP_PKEY *)s->pkey) == EVP_PKEY_ED25519;
    /* h= */
    ff_buf h = {0};
    const char *const *list = s->headers ? s->headers : recommended;
    size_t count = 0;
    for (size_t i = 0; s->headers ? i < s->nheaders : list[i] != NULL; i++) {
        size_t times = 0;
        for (size_t k = 0; k < m.nf; k++)
            if (m.f[k].nl == strlen(list[i]) && strncasecmp(m.f[k].raw, list[i], m.f[k].nl) == 0)
                times++;
        if (s->oversign && (!strcasecmp(list[i], "From") || !strcasecmp(list[i], "Subject")))
            times++;
        for (size_t t = 0; t < times; t++) {
            if (count++)
                ff_buf_puts(&h, ":");
            ff_buf_puts(&h, list[i]);
        }
    }
    unsigned char bh[32];
    size_t canon_len = 0;
    if (!dk_body_hash(m.body, m.body_len, s->body_canon, s->body_length, bh, &canon_len)) {
        free(h.p);
        dk_msg_free(&m);
        return ff_error_set(err, FF_EIO, "dkim: hashing failed");
    }
    char bh64[64];
    EVP_EncodeBlock((unsigned char *)bh64, bh, 32);
    ff_buf sig = {0};
    char tmp[512];
    snprintf(tmp, sizeof tmp, "DKIM-Signature: v=1; a=%s; c=%s/%s; d=%s; s=%s;\r\n\t",
             ed ? "ed25519-sha256" : "rsa-sha256",
             s->header_canon == FF_DKIM_RELAXED ? "relaxed" : "simple",
             s->body_canon == FF_DKIM_RELAXED ? "relaxed" : "simple", s->domain, s->selector);
    ff_buf_puts(&sig, tmp);
    if (s->timestamp > 0) {
        snprintf(tmp, sizeof tmp, "t=%lld; ", (long long)s->timestamp);
        ff_buf_puts(&sig, tmp);
    }
    if (s->body_length >= 0) {
        snprintf(tmp, sizeof tmp, "l=%zu; ",
                 (size_t)s->body_length < canon_len ? (size_t)s->body_length : canon_len);
        ff_buf_puts(&sig, tmp);
    }
    ff_buf_puts(&sig, "h=");
    folded_names(&sig, h.p ? h.p : "from", 10);
    ff_buf_puts(&sig, ";\r\n\tbh=");
    ff_buf_puts(&sig, bh64);
    ff_buf_puts(&sig, ";\r\n\tb=");
    /* The data signed: the selected fields, then this field with b= empty, no CRLF. */
    ff_buf data = {0};
    const char *hp = h.p ? h.p : "from";
    while (*hp) {
        size_t nl = strcspn(hp, ":");
        dk_field *f = dk_take(&m, hp, nl);
        if (f)
            dk_canon_header(&data, f->raw, f->len, s->header_canon, true);
        hp += nl + (hp[nl] == ':');
    }
    dk_canon_header(&data, sig.p, sig.n, s->header_canon, false);
    unsigned char *raw = NULL;
    size_t rl = 0;
    bool ok = !data.oom && !sig.oom && dk_sign_data(s->pkey, data.p, data.n, &raw, &rl);
    free(data.p);
    free(h.p);
    dk_msg_free(&m);
    if (!ok) {
        free(sig.p);
        free(raw);
        return ff_error_set(err, FF_EIO, "dkim: signing failed");
    }
    char *b64 = malloc(4 * ((rl + 2) / 3) + 1);
    if (b64)
        EVP_EncodeBlock((unsigned char *)b64, raw, (int)rl);
    free(raw);
    if (!b64) {
        free(sig.p);
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    }
    folded(&sig, b64, 3);
    free(b64);
    ff_buf_puts(&sig, "\r\n");
    if (sig.oom) {
        free(sig.p);
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    }
    *header = sig.p;
    return FF_OK;
}
