/* error.c - ff_status names and ff_error formatting
 *
 * The smallest module: everything else returns ff_status, and the CLI turns it into text
 * and an exit code through ff_strerror().
 */
#include "fivefifty/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *ff_strerror(ff_status s)
{
    switch (s) {
    case FF_OK: return "ok";
    case FF_EINVAL: return "invalid argument";
    case FF_ENOMEM: return "out of memory";
    case FF_EPARSE: return "parse error";
    case FF_EIO: return "input/output error";
    case FF_ENOTFOUND: return "not found";
    case FF_ETOOBIG: return "input too large";
    case FF_ENOTBOUNCE: return "not a bounce";
    case FF_EUNSUPPORTED: return "unsupported";
    }
    return "unknown status";
}

ff_status ff_error_set(ff_error *err, ff_status code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void ff_error_clear(ff_error *err)
{
    if (err == NULL)
        return;
    err->code = FF_OK;
    err->msg[0] = '\0';
}
