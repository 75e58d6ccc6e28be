/* fuzz_rules.c - a user's rules file (--rules FILE) on arbitrary bytes, then one
 * classification through whatever loaded */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/classify.h"
#include "fivefifty/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ff_rules *r = NULL;
    if (ff_rules_builtin(&r, NULL) != FF_OK)
        abort();
    size_t before = ff_rules_count(r);
    if (ff_rules_load_buffer(r, "fuzz", (const char *)data, size, NULL) != FF_OK &&
        ff_rules_count(r) != before)
        abort(); /* a broken file must add nothing */
    ff_decision d;
    const char *reply = "550 5.1.1 user unknown";
    ff_classify_reply(r, reply, strlen(reply), "RCPT", &d);
    ff_rules_free(r);
    return 0;
}
