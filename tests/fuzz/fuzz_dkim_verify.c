/* fuzz_dkim_verify.c - messages with DKIM-Signature fields (untrusted) through tag parsing,
 * canonicalisation and verification against a fixed key */
#include <stdint.h>
#include <stdio.h>

#include "fivefifty/dkim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ff_status key(void *ctx, const char *sel, const char *dom, char *txt, size_t cap)
{
    (void)ctx;
    (void)sel;
    (void)dom;
    snprintf(txt, cap, "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    return FF_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ff_dkim_verdict v[8];
    size_t n;
    ff_dkim_verify((const char *)data, size, key, NULL, v, 8, &n, NULL);
    return 0;
}
