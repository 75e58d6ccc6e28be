/* authres.h - Authentication-Results header fields (RFC 8601)
 *
 * A receiver records what it concluded about a message: "mx.example.net; spf=pass
 * smtp.mailfrom=example.com; dkim=fail (body hash did not verify) header.d=example.com;
 * dmarc=fail header.from=example.com". decode uses it to explain the auth failures a bounce
 * carries back; the audit and the dashboard show it to a person.
 *
 * The parser follows the grammar: authserv-id, an optional version, "none" or resinfo
 * groups of method[/version]=result, an optional reason=, and ptype.property=value pairs;
 * comments in parentheses (nested) and quoted strings are handled.
 */
#ifndef FIVEFIFTY_AUTHRES_H
#define FIVEFIFTY_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_AUTHRES_RESULTS_MAX 16
#define FF_AUTHRES_PROPS_MAX 8

typedef struct ff_authres_prop {
    char ptype[16];        /* smtp, header, body, policy */
    char property[32];     /* mailfrom, d, from, i, ... */
    char value[256];
} ff_authres_prop;

typedef struct ff_authres_result {
    char method[32];       /* spf, dkim, dmarc, arc, iprev, auth, ... (lower case) */
    char result[32];       /* pass, fail, none, softfail, neutral, temperror, permerror, ... */
    char reason[256];
    char comment[256];     /* the first comment after the result, often the only "why" */
    ff_authres_prop props[FF_AUTHRES_PROPS_MAX];
    size_t nprops;
} ff_authres_result;

typedef struct ff_authres {
    char authserv_id[256];
    int version;           /* 1 when absent */
    bool none;             /* "none": no method was applied */
    ff_authres_result r[FF_AUTHRES_RESULTS_MAX];
    size_t n;
} ff_authres;

/* ff_authres_parse() parses a header field's value (without the "Authentication-Results:"
 * name). Only out->r[0 .. n) are set: the entries after them are left as they were.
 * Returns FF_OK, FF_EPARSE (no authserv-id, or a resinfo that is not method=result: err
 * says where), FF_EINVAL. */
ff_status ff_authres_parse(const char *value, size_t len, ff_authres *out, ff_error *err);

/* ff_authres_prop_get() returns the value of ptype.property in result r, or NULL. */
const char *ff_authres_prop_get(const ff_authres_result *r, const char *ptype,
                                const char *property);

/* ff_authres_explain() writes one line for a person about what failed ("spf=fail for
 * bounce.esp.example; dkim=none; dmarc=fail for example.com"), or "" when nothing failed.
 * Returns the number of failing methods. */
size_t ff_authres_explain(const ff_authres *a, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
