/* ptr.h - reverse DNS of a sending IP: its names, forward confirmation, HELO consistency
 *
 * Receivers (Gmail, Microsoft, Yahoo) want a PTR record whose name resolves back to the IP
 * (forward-confirmed reverse DNS, FCrDNS), and a HELO name that does too.
 */
#ifndef FIVEFIFTY_PTR_H
#define FIVEFIFTY_PTR_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/dns.h"
#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ff_ptr {
    ff_dns_result result;  /* of the PTR query */
    char names[8][256];
    size_t n;
    char confirmed[256];   /* the first name that resolves back to the IP, "" if none */
    bool helo_given, helo_resolves_to_ip;
} ff_ptr;

/* ff_ptr_check() looks up the PTR names of `ip`, confirms them forward, and checks `helo`
 * (may be NULL) resolves to the IP. Returns FF_OK or FF_EINVAL (not an IP). */
ff_status ff_ptr_check(ff_dns *dns, const char *ip, const char *helo, ff_ptr *out,
                       ff_error *err);

#ifdef __cplusplus
}
#endif
#endif
