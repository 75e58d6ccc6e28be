/* fuzz_authres.c - Authentication-Results values from received mail (untrusted) */
#include <stdint.h>

#include "fivefifty/authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ff_authres a;
    if (ff_authres_parse((const char *)data, size, &a, NULL) == FF_OK) {
        char line[512];
        ff_authres_explain(&a, line, sizeof line);
    }
    return 0;
}
