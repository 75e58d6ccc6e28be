/* fuzz_dsn.c - message/delivery-status bodies from the network */
#include <stdint.h>

#include "fivefifty/dsn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ff_dsn d;
    ff_dsn_parse((const char *)data, size, &d, NULL);
    ff_dsn_clear(&d);
    return 0;
}
