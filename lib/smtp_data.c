/* smtp_data.c - what goes on the wire: the DATA encoding and the reply framing
 *
 * SYNOPSIS
 *   ff_smtp_data_encode(msg, len, &wire, &wlen, &eightbit, &err);
 *   n = ff_smtp_reply_end(buf, len, &code);
 *
 * DESCRIPTION
 *   Both are pure so they can be fuzzed and tested without a server.
 *
 *   The encoder is the one place a message's bytes are turned into SMTP's DATA form. Every
 *   line end a caller may have produced (CRLF, bare LF, bare CR) becomes CRLF: a bare CR or
 *   LF that reached the wire is what SMTP smuggling exploits (a receiver that reads
 *   "\n.\n" as the end of data while we do not), so none survives. Dot-stuffing follows
 *   RFC 5321 4.5.2. The terminating ".\r\n" is appended, after a CRLF when the message
 *   did not end with a line end.
 *
 *   The framer finds the end of one reply in received bytes. A server may end lines with
 *   a bare LF (many do); the framer accepts that on input, since that is about reading
 *   leniently, not writing.
 */
#include "fivefifty/smtp.h"

#include <stdlib.h>
#include <string.h>

#define LINE_LIMIT 998 /* RFC 5321 4.5.3.1.6: 1000 octets including the CRLF */

ff_status ff_smtp_data_encode(const char *msg, size_t len, char **out, size_t *outlen,
                              bool *eightbit, ff_error *err)
{
    if (!out || !outlen || (!msg && len))
        return ff_error_set(err, FF_EINVAL, "smtp: no message to encode");
    *out = NULL;
    *outlen = 0;
    if (eightbit)
        *eightbit = false;
    /* Worst case: every byte a bare LF (becomes CRLF) or a line "." (becomes "..\r\n"). */
    if (len > (((size_t)-1) - 8) / 3)
        return ff_error_set(err, FF_ETOOBIG, "smtp: message too large to encode");
    char *w = malloc(len * 2 + 8);
    if (!w)
        return ff_error_set(err, FF_ENOMEM, "smtp: out of memory");
    size_t o = 0, col = 0, line = 1;
    bool hi = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)msg[i];
        if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < len && msg[i + 1] == '\n')
                i++;
            w[o++] = '\r';
            w[o++] = '\n';
            col = 0;
            line++;
            continue;
        }
        if (col == 0 && c == '.')
            w[o++] = '.';
        if (++col > LINE_LIMIT) {
            free(w);
            return ff_error_set(err, FF_EPARSE,
                                "smtp: line %zu is longer than %d octets (RFC 5321 4.5.3.1.6)",
                                line, LINE_LIMIT);
        }
        if (c >= 0x80)
            hi = true;
        w[o++] = (char)c;
    }
    if (col != 0) {
        w[o++] = '\r';
        w[o++] = '\n';
    }
    memcpy(w + o, ".\r\n", 3);
    o += 3;
    *out = w;
    *outlen = o;
    if (eightbit)
        *eightbit = hi;
    return FF_OK;
}

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

size_t ff_smtp_reply_end(const char *buf, size_t len, int *code)
{
    int first = 0;
    size_t pos = 0;
    if (code)
        *code = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl)
            return 0;
        size_t ll = (size_t)(nl - (buf + pos));
        const char *l = buf + pos;
        if (ll && l[ll - 1] == '\r')
            ll--;
        /* A reply line: three digits, then ' ', '-' or the end of the line. */
        if (ll < 3 || !digit(l[0]) || !digit(l[1]) || !digit(l[2]) ||
            (ll > 3 && l[3] != ' ' && l[3] != '-')) {
            if (code)
                *code = -1;
            return (size_t)(nl - buf) + 1;
        }
        int c = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
        if (!first)
            first = c;
        pos = (size_t)(nl - buf) + 1;
        if (ll == 3 || l[3] == ' ') {
            if (code)
                *code = first;
            return pos;
        }
    }
    return 0;
}
