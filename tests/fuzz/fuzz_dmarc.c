/* fuzz_dmarc.c - DMARC records from DNS (untrusted) through parse and lint */
#include <stdint.h>

#include "fivefifty/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ff_dmarc_record r;
    ff_dmarc_parse((const char *)data, size, &r, NULL);
    return 0;
}
