/* fuzz_mime.c - MIME structure of messages from the network: fields, types, parameters,
 * parts (recursively, as mail.c walks them) and transfer decoding */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void entity(const char *s, size_t n, int depth)
{
    if (depth > 8)
        return;
    size_t hlen, body, pos = 0, nl, vl;
    const char *name, *val;
    ff_mime_split(s, n, &hlen, &body);
    while (ff_mime_field_next(s, hlen, &pos, &name, &nl, &val, &vl))
        ;
    char t[64], bd[128];
    if (!ff_mime_field(s, hlen, "Content-Type", &val, &vl))
        return;
    ff_mime_type(val, vl, t, sizeof t);
    ff_mime_param(val, vl, "charset", bd, sizeof bd);
    if (ff_mime_param(val, vl, "boundary", bd, sizeof bd) && bd[0]) {
        const char *part;
        size_t pl;
        pos = 0;
        while (ff_mime_part_next(s + body, n - body, bd, &pos, &part, &pl))
            entity(part, pl, depth + 1);
        return;
    }
    char *out = malloc(n - body + 1);
    if (out) {
        ff_mime_decode(s + body, n - body, "base64", 6, out);
        ff_mime_decode(s + body, n - body, "quoted-printable", 16, out);
        free(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    entity((const char *)data, size, 0);
    return 0;
}
