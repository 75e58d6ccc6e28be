/* fuzz_smtp_reply.c - the SMTP wire layer on arbitrary bytes: reply framing as a server's
 * bytes arrive, and the DATA encoder, whose output must never hold a bare CR or LF. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t off = 0;
    int code;
    size_t n;
    while (off < size && (n = ff_smtp_reply_end(buf + off, size - off, &code)) > 0) {
        if (n > size - off)
            abort();
        off += n;
    }
    char *w = NULL;
    size_t wl = 0;
    bool eb;
    if (ff_smtp_data_encode(buf, size, &w, &wl, &eb, NULL) == FF_OK) {
        for (size_t i = 0; i < wl; i++) {
            if (w[i] == '\n' && (i == 0 || w[i - 1] != '\r'))
                abort();
            if (w[i] == '\r' && (i + 1 >= wl || w[i + 1] != '\n'))
                abort();
        }
        if (wl < 3 || memcmp(w + wl - 3, ".\r\n", 3) != 0)
            abort();
        free(w);
    }
    return 0;
}
