/* mx.h - where mail for a domain goes (RFC 5321 5.1, RFC 7505)
 *
 * ff_mx_lookup() asks for MX records and orders them by preference; a domain without MX
 * but with an address gets the implicit MX (the domain itself); a null MX ("0 .") means the
 * domain accepts no mail. Problems a postmaster should fix are noted: an MX that points at
 * an IP literal or at a CNAME (RFC 2181 10.3), a host without an address.
 */
#ifndef FIVEFIFTY_MX_H
#define FIVEFIFTY_MX_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/dns.h"
#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_MX_MAX 32

typedef struct ff_mx_host {
    char name[256];
    int pref;
    bool implicit;       /* no MX: the domain's own address (RFC 5321 5.1) */
    bool ip_literal;     /* the MX target is an IP address: not allowed */
    bool cname;          /* the MX target is an alias: not allowed */
    bool no_address;     /* the target has neither A nor AAAA */
} ff_mx_host;

typedef struct ff_mx {
    ff_dns_result result;  /* OK when hosts were found (or a null MX) */
    bool null_mx;          /* RFC 7505: the domain accepts no mail */
    ff_mx_host hosts[FF_MX_MAX];
    size_t n;              /* in preference order */
} ff_mx;

/* ff_mx_lookup() fills out for `domain`. check_hosts also looks up each target's address
 * and alias (more queries: for the audit, not the delivery path). Returns FF_OK (the DNS
 * outcome is in out->result), FF_EINVAL, FF_ENOMEM. */
ff_status ff_mx_lookup(ff_dns *dns, const char *domain, bool check_hosts, ff_mx *out,
                       ff_error *err);

#ifdef __cplusplus
}
#endif
#endif
