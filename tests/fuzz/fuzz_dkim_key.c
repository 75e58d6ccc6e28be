/* fuzz_dkim_key.c - DKIM key records from DNS (untrusted) through parse and lint */
#include <stdint.h>

#include "fivefifty/dkim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ff_dkim_key k;
    ff_dkim_key_parse((const char *)data, size, &k, NULL);
    ff_dkim_key_clear(&k);
    return 0;
}
