/* fuzz_mbox.c - libFuzzer target for the mbox splitter: every message must lie inside the
 * input and the walk must end. */
#include <stddef.h>
#include <stdint.h>

#include "fivefifty/mbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data, *msg;
    size_t pos = 0, len, steps = 0;
    (void)ff_mbox_is(buf, size);
    while (ff_mbox_next(buf, size, &pos, &msg, &len)) {
        if (msg < buf || msg + len > buf + size || ++steps > size + 1)
            __builtin_trap();
    }
    return 0;
}
