/* fuzz_verp.c - VERP addresses from bounces (untrusted) and raw messages given to compose */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/compose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char secret[] = "fuzzing-secret-0123456789";
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    uint64_t id;
    ff_verp_parse(secret, 24, s, &id);
    ff_compose_in in = {.raw = s, .raw_len = size, .unsubscribe_url = "https://x.test/u"};
    char *m = NULL, msgid[FF_MSGID_MAX];
    size_t n;
    if (ff_compose(&in, &m, &n, msgid, sizeof msgid, NULL) == FF_OK)
        free(m);
    free(s);
    return 0;
}
