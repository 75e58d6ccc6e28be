/* dnsbl.h - DNS blocklists for IPs and domains, each answer read as its list documents it
 *
 * An IPv4 address is asked as its reversed octets under the list's zone, IPv6 as reversed
 * nibbles, a domain as itself. Each list's answer codes mean different things (Spamhaus
 * ZEN: 127.0.0.2 SBL, .3 CSS, .4-.7 XBL, .9 DROP, .10/.11 PBL) and some answers are errors,
 * never listings: Spamhaus's 127.255.255.252/254/255 (typo in the zone, a public or open
 * resolver was used, too many queries). Each listing names where removal is requested.
 */
#ifndef FIVEFIFTY_DNSBL_H
#define FIVEFIFTY_DNSBL_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/dns.h"
#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ff_dnsbl_list {
    const char *zone;
    const char *name;
    bool domains;          /* lists domains, not IPs */
    const char *removal;   /* where a listed sender asks for removal */
} ff_dnsbl_list;

/* The default lists (static). */
const ff_dnsbl_list *ff_dnsbl_defaults(size_t *n);

typedef enum ff_dnsbl_state { FF_DNSBL_CLEAN = 0, FF_DNSBL_LISTED, FF_DNSBL_ERROR } ff_dnsbl_state;

typedef struct ff_dnsbl_hit {
    ff_dnsbl_state state;
    char zone[128];
    char code[48];         /* the answer, "127.0.0.2" */
    char meaning[200];     /* what the list says it means, or the error */
    char removal[200];
} ff_dnsbl_hit;

/* ff_dnsbl_check() asks list `l` about `subject` (an IP for IP lists, a domain for domain
 * lists) and fills *hit. Returns FF_OK (the outcome is in hit), FF_EINVAL. */
ff_status ff_dnsbl_check(ff_dns *dns, const ff_dnsbl_list *l, const char *subject,
                         ff_dnsbl_hit *hit, ff_error *err);

#ifdef __cplusplus
}
#endif
#endif
