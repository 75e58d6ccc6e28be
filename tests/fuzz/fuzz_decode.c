/* fuzz_decode.c - whole messages through MIME, every format and the classifier */
#include <stdint.h>
#include <stdlib.h>

#include "fivefifty/decode.h"
#include "fivefifty/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ff_rules *rules;
    if (!rules && ff_rules_builtin(&rules, NULL) != FF_OK)
        abort();
    ff_bounce b;
    ff_status st = ff_decode(rules, (const char *)data, size, &b, NULL);
    if (st == FF_OK && b.n == 0)
        abort(); /* FF_OK promises at least one record */
    ff_bounce_clear(&b);
    return 0;
}
