/* dkim_key.c - DKIM key records: parse and lint (see include/fivefifty/dkim.h)
 *
 * The lint speaks to the mistakes people make: a key pasted from a web form with quotes
 * or backslashes from a badly split TXT record, spaces inside p=, the wrong k=, a record
 * that does not start with v=DKIM1, a key too short for the providers that check.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fivefifty/dkim.h"

const char *ff_severity_name(ff_severity s)
{
    return s == FF_SEV_FAIL ? "fail" : s == FF_SEV_WARN ? "warn" : "info";
}

static void finding(ff_dkim_key *k, ff_severity sev, const char *msg, const char *fix)
{
    if (k->nfindings >= FF_DKIM_FINDINGS_MAX)
        return;
    ff_dkim_finding *f = &k->findings[k->nfindings++];
    f->severity = sev;
    snprintf(f->msg, sizeof f->msg, "%s", msg);
    snprintf(f->fix, sizeof f->fix, "%s", fix);
}

ff_severity ff_dkim_key_worst(const ff_dkim_key *k)
{
    ff_severity w = FF_SEV_INFO;
    for (size_t i = 0; i < k->nfindings; i++)
        if (k->findings[i].severity > w)
            w = k->findings[i].severity;
    return w;
}

/* Base64 of p=, with the damage pasting does removed and named. */
static unsigned char *decode_p(ff_dkim_key *k, const char *v, size_t n, size_t *outlen)
{
    char *clean = malloc(n + 1);
    if (!clean)
        return NULL;
    size_t o = 0;
    bool quotes = false, spaces = false, slashes = false, junk = false;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '"')
            quotes = true;
        else if (c == '\\')
            slashes = true;
        else if (isspace((unsigned char)c))
            spaces = true;
        else if (isalnum((unsigned char)c) || c == '+' || c == '/' || c == '=')
            clean[o++] = c;
        else
            junk = true;
    }
    clean[o] = '\0';
    if (quotes)
        finding(k, FF_SEV_FAIL, "p= holds '\"' characters: the TXT record was split into "
                "strings badly and the quotes became part of the key",
                "Publish the key as one value, or as several quoted strings with nothing "
                "between them but spaces (the DNS joins them).");
    if (slashes)
        finding(k, FF_SEV_FAIL, "p= holds '\\' characters: an escape from a zone file or a "
                "web form was pasted into the key", "Paste the base64 key only.");
    if (spaces)
        finding(k, FF_SEV_WARN, "p= holds spaces or line breaks",
                "Remove them; some verifiers do not ignore white space inside p=.");
    if (junk)
        finding(k, FF_SEV_FAIL, "p= holds characters that are not base64",
                "Copy the public key again from the key generator's output.");
    unsigned char *raw = malloc(o / 4 * 3 + 4);
    int r = raw && o % 4 == 0 ? EVP_DecodeBlock(raw, (unsigned char *)clean, (int)o) : -1;
    if (r < 0) {
        finding(k, FF_SEV_FAIL, "p= is not valid base64 (its length is not a multiple of 4 "
                "or it is cut)", "Publish the whole key; it was probably truncated.");
        free(raw);
        raw = NULL;
    } else {
        size_t pad = 0;
        while (o > pad && clean[o - 1 - pad] == '=')
            pad++;
        *outlen = (size_t)r - pad;
    }
    free(clean);
    return raw;
}

ff_status ff_dkim_key_parse(const char *txt, size_t len, ff_dkim_key *out, ff_error *err)
{
    if (!out || (!txt && len))
        return ff_error_set(err, FF_EINVAL, "dkim: no key record");
    memset(out, 0, sizeof *out);
    if (len > 16384)
        return ff_error_set(err, FF_ETOOBIG, "dkim: key record over 16 KiB");
    char k_alg[32] = "rsa";
    const char *p = NULL;
    size_t pn = 0;
    bool have_p = false, first = true;
    size_t pos = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && txt[end] != ';')
            end++;
        const char *t = txt + pos;
        size_t tn = end - pos;
        pos = end + 1;
        while (tn && isspace((unsigned char)*t))
            t++, tn--;
        while (tn && isspace((unsigned char)t[tn - 1]))
            tn--;
        if (!tn)
            continue;
        const char *eq = memchr(t, '=', tn);
        if (!eq) {
            finding(out, FF_SEV_FAIL, "a tag without '=' in the record", "Write tags as name=value;");
            continue;
        }
        size_t nl = (size_t)(eq - t);
        while (nl && isspace((unsigned char)t[nl - 1]))
            nl--;
        const char *v = eq + 1;
        size_t vn = tn - (size_t)(v - t);
        while (vn && isspace((unsigned char)*v))
            v++, vn--;
        if (nl == 1 && t[0] == 'v') {
            if (!first)
                finding(out, FF_SEV_WARN, "v= is not the first tag", "RFC 6376 3.6.1: v=DKIM1 "
                        "must come first when present.");
            if (vn != 5 || strncmp(v, "DKIM1", 5) != 0) {
                finding(out, FF_SEV_FAIL, "v= is not DKIM1", "Write v=DKIM1.");
            }
        } else if (nl == 1 && t[0] == 'k') {
            snprintf(k_alg, sizeof k_alg, "%.*s", (int)(vn < 31 ? vn : 31), v);
        } else if (nl == 1 && t[0] == 'p') {
            p = v;
            pn = vn;
            have_p = true;
        } else if (nl == 1 && t[0] == 't') {
            for (size_t i = 0; i < vn; i++) {
                if (v[i] == 'y')
                    out->testing = true;
                if (v[i] == 's')
                    out->strict = true;
            }
            if (out->testing)
                finding(out, FF_SEV_WARN, "t=y: the domain says it is testing DKIM, so "
                        "receivers may treat signatures as unsigned", "Remove t=y once "
                        "signatures verify.");
        } else if (nl == 1 && t[0] == 'h') {
            if (!memmem(v, vn, "sha256", 6))
                finding(out, FF_SEV_FAIL, "h= does not allow sha256", "Allow h=sha256 or "
                        "remove h=.");
        } else if (nl == 1 && t[0] == 's') {
            if (!memmem(v, vn, "*", 1) && !memmem(v, vn, "email", 5))
                finding(out, FF_SEV_FAIL, "s= does not allow email", "Use s=email or s=*, "
                        "or remove s=.");
        } else if (!(nl == 1 && t[0] == 'n')) {
            finding(out, FF_SEV_INFO, "an unknown tag (ignored by verifiers)", "Remove it.");
        }
        first = false;
    }
    if (!have_p) {
        finding(out, FF_SEV_FAIL, "no p= tag: this is no DKIM key", "Publish the public key "
                "as p=.");
        return ff_error_set(err, FF_EPARSE, "dkim: the record has no p=");
    }
    if (!strcmp(k_alg, "rsa"))
        out->alg = FF_DKIM_RSA_SHA256;
    else if (!strcmp(k_alg, "ed25519"))
        out->alg = FF_DKIM_ED25519_SHA256;
    else {
        finding(out, FF_SEV_FAIL, "k= names an unknown key type", "Use k=rsa or k=ed25519.");
        return ff_error_set(err, FF_EPARSE, "dkim: unknown key type k=%s", k_alg);
    }
    size_t rl = 0;
    bool blank = true;
    for (size_t i = 0; i < pn; i++)
        blank = blank && isspace((unsigned char)p[i]);
    if (blank) {
        out->revoked = true;
        finding(out, FF_SEV_FAIL, "p= is empty: the key is revoked", "Publish a current key, "
                "or stop signing with this selector.");
        return FF_OK;
    }
    unsigned char *raw = decode_p(out, p, pn, &rl);
    if (!raw)
        return ff_error_set(err, FF_EPARSE, "dkim: p= is not base64");
    EVP_PKEY *pk = NULL;
    if (out->alg == FF_DKIM_ED25519_SHA256) {
        if (rl == 32)
            pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
        else
            finding(out, FF_SEV_FAIL, "an ed25519 key must be 32 bytes", "Publish the raw "
                    "32-byte public key in base64 (RFC 8463).");
    } else {
        const unsigned char *q = raw;
        pk = d2i_PUBKEY(NULL, &q, (long)rl);
        if (!pk) {
            /* Some generators publish a bare RSAPublicKey; accept it, say so. */
            q = raw;
            pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)rl);
            if (pk)
                finding(out, FF_SEV_WARN, "p= is a bare RSAPublicKey, not a "
                        "SubjectPublicKeyInfo", "Publish the key in the usual DER "
                        "SubjectPublicKeyInfo form (openssl rsa -pubout).");
        }
        if (!pk)
            finding(out, FF_SEV_FAIL, "p= does not decode to an RSA public key",
                    "Copy the public key again; it is damaged or of another type.");
    }
    free(raw);
    if (!pk)
        return ff_error_set(err, FF_EPARSE, "dkim: the public key does not decode");
    if (out->alg == FF_DKIM_RSA_SHA256 && EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pk);
        finding(out, FF_SEV_FAIL, "k=rsa but the key is not RSA", "Fix k= to the key's type.");
        return ff_error_set(err, FF_EPARSE, "dkim: key type does not match k=");
    }
    out->pkey = pk;
    out->bits = EVP_PKEY_get_bits(pk);
    if (out->alg == FF_DKIM_RSA_SHA256 && out->bits < 1024)
        finding(out, FF_SEV_FAIL, "the RSA key is shorter than 1024 bits; verifiers reject "
                "it (RFC 8301)", "Generate a 2048-bit key and publish it under a new selector.");
    else if (out->alg == FF_DKIM_RSA_SHA256 && out->bits < 2048)
        finding(out, FF_SEV_WARN, "the RSA key is shorter than 2048 bits; Google and others "
                "recommend 2048", "Move to a 2048-bit key under a new selector.");
    return FF_OK;
}

void ff_dkim_key_clear(ff_dkim_key *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    memset(k, 0, sizeof *k);
}
