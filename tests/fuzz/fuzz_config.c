/* fuzz_config.c - the INI configuration parser on arbitrary text */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    ff_config *c = NULL;
    if (ff_config_parse(s, "fuzz", &c, NULL) == FF_OK)
        ff_config_free(c);
    free(s);
    return 0;
}
