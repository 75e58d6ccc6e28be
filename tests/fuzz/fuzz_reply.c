/* fuzz_reply.c - SMTP replies from servers (untrusted) through the parser and the
 * classifier, the path every delivery attempt takes */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/classify.h"
#include "fivefifty/reply.h"
#include "fivefifty/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ff_rules *rules;
    if (!rules && ff_rules_builtin(&rules, NULL) != FF_OK)
        abort();
    ff_reply r;
    if (ff_reply_parse((const char *)data, size, &r) == FF_OK) {
        if (r.text == NULL || strlen(r.text) != r.text_len)
            abort();
        ff_reply_clear(&r);
    }
    ff_decision d;
    ff_classify_reply(rules, (const char *)data, size, "RCPT", &d);
    ff_reply_code_find((const char *)data, size);
    return 0;
}
