/* verp.c - VERP tokens: a recipient id and its HMAC in a bounce address (see compose.h)
 *
 * The token is base32 (RFC 4648 alphabet, lower case, no padding) of 16 bytes: the id
 * big-endian, then the first 8 bytes of HMAC-SHA256(secret, id). 64 bits of MAC make a
 * forged token that would suppress someone else's address impractical, and 26 characters
 * keep the address well under the 64-octet local-part limit.
 */
#include "fivefifty/compose.h"

#include <ctype.h>
#include <stdbool.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* SHA-256 fetched once: OpenSSL 3 looks an algorithm up in its provider tables on every
 * one-shot HMAC() or implicit fetch, which cost more than the hashing of 8 bytes (a token
 * is made for every recipient the queue runner sends to). */
static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static bool digest2(const unsigned char *a, size_t al, const unsigned char *b, size_t bl,
                    unsigned char out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 0;
    bool ok = c && EVP_DigestInit_ex(c, sha256, NULL) && EVP_DigestUpdate(c, a, al) &&
              EVP_DigestUpdate(c, b, bl) && EVP_DigestFinal_ex(c, out, &n) && n == 32;
    EVP_MD_CTX_free(c);
    return ok;
}

/* HMAC-SHA256 (RFC 2104) over the 8 bytes of id, first 8 bytes of it kept. */
static void mac(const unsigned char *secret, size_t slen, const unsigned char id[8],
                unsigned char out[8])
{
    pthread_once(&sha256_once, sha256_fetch);
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (sha256 == NULL || slen > 64) {
        HMAC(EVP_sha256(), secret, (int)slen, id, 8, full, &n);
        memcpy(out, full, 8);
        return;
    }
    unsigned char ipad[64], opad[64], inner[32];
    memset(ipad, 0x36, sizeof ipad);
    memset(opad, 0x5c, sizeof opad);
    for (size_t i = 0; i < slen; i++) {
        ipad[i] ^= secret[i];
        opad[i] ^= secret[i];
    }
    if (!digest2(ipad, sizeof ipad, id, 8, inner) ||
        !digest2(opad, sizeof opad, inner, sizeof inner, full)) {
        HMAC(EVP_sha256(), secret, (int)slen, id, 8, full, &n);
    }
    memcpy(out, full, 8);
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
}

ff_status ff_verp_token(const unsigned char *secret, size_t secret_len, uint64_t id,
                        char token[FF_VERP_TOKEN_MAX])
{
    if (!secret || secret_len < 16 || !token)
        return FF_EINVAL;
    unsigned char raw[16];
    for (int i = 0; i < 8; i++)
        raw[i] = (unsigned char)(id >> (56 - 8 * i));
    mac(secret, secret_len, raw, raw + 8);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < sizeof raw; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5) {
            token[o++] = b32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits)
        token[o++] = b32[(acc << (5 - bits)) & 31];
    token[o] = '\0';
    return FF_OK;
}

ff_status ff_verp_parse(const unsigned char *secret, size_t secret_len, const char *addr,
                        uint64_t *id)
{
    if (!secret || secret_len < 16 || !addr || !id)
        return FF_EINVAL;
    const char *at = strchr(addr, '@');
    if (!at)
        return FF_ENOTFOUND;
    const char *plus = NULL;
    for (const char *p = addr; p < at; p++)
        if (*p == '+')
            plus = p;
    if (!plus || at - plus - 1 != 26)
        return FF_ENOTFOUND;
    unsigned char raw[17];
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = plus + 1; p < at; p++) {
        const char *q = strchr(b32, tolower((unsigned char)*p));
        if (!q || !*p)
            return FF_ENOTFOUND;
        acc = (acc << 5) | (unsigned)(q - b32);
        bits += 5;
        if (bits >= 8) {
            raw[o++] = (unsigned char)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    if (o != 16)
        return FF_ENOTFOUND;
    unsigned char want[8];
    mac(secret, secret_len, raw, want);
    if (CRYPTO_memcmp(want, raw + 8, 8) != 0)
        return FF_EPARSE;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | raw[i];
    *id = v;
    return FF_OK;
}
