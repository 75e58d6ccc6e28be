/* fuzz_arf.c - message/feedback-report bodies from the network */
#include <stdint.h>

#include "fivefifty/arf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ff_arf a;
    ff_arf_parse((const char *)data, size, &a, NULL);
    ff_arf_clear(&a);
    return 0;
}
