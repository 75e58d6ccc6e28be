/* verp.c - VERP tokens: a recipient id and its HMAC in a bounce address (see compose.h)
 *
 * The token is base32 (RFC 4648 alphabet, lower case, no padding) of 16 bytes: the id
 * big-endian, then the first 8 bytes of HMAC-SHA256(secret, id). 64 bits of MAC make a
 * forged token that would suppress someone else's address impractical, and 26 characters
 * keep the address well under the 64-octet local-part limit.
 */
#include "fivefifty/compose.h"

#include <ctype.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static void mac(const unsigned char *secret, size_t slen, const unsigned char id[8],
                unsigned char out[8])
{
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), secret, (int)slen, id, 8, full, &n);
    memcpy(out, full, 8);
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
