/* audit.h - the sender audit behind `fivefifty check`: SPF, DKIM, DMARC and alignment,
 * MX, PTR, blocklists, and the big providers' sender requirements, as one list of items
 *
 * Every item has a dotted check name starting with its area (spf, dkim, dmarc, mx, ptr,
 * dnsbl, provider), a status (pass, warn, fail, error), the evidence, and the fix.
 */
#ifndef FIVEFIFTY_AUDIT_H
#define FIVEFIFTY_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/dnsbl.h"
#include "fivefifty/dns.h"
#include "fivefifty/error.h"
#include "fivefifty/orgdomain.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ff_audit_item {
    char check[64];
    char status[8];      /* pass, warn, fail, error */
    char detail[512];
    char fix[320];
} ff_audit_item;

typedef struct ff_audit {
    ff_audit_item *v;    /* owned */
    size_t n, cap;
} ff_audit;

typedef struct ff_audit_opts {
    const char *domain;               /* the sending domain */
    const char *ip;                   /* the sending IP; NULL skips SPF-by-IP, PTR, DNSBL */
    const char *helo;                 /* our EHLO name, for PTR consistency; may be NULL */
    const char *from;                 /* From address; NULL = postmaster@domain */
    const char *const *selectors;     /* DKIM selectors to check under domain */
    size_t nselectors;
    const ff_dnsbl_list *lists;       /* NULL = the defaults */
    size_t nlists;
} ff_audit_opts;

/* ff_audit_run() runs every check through dns (od may be NULL). Returns FF_OK (the
 * findings are items) or FF_EINVAL / FF_ENOMEM. Release with ff_audit_clear(). */
ff_status ff_audit_run(ff_dns *dns, const ff_orgdomain *od, const ff_audit_opts *o,
                       ff_audit *out, ff_error *err);
void ff_audit_clear(ff_audit *a);

/* ff_audit_failed() says whether any item failed (or errored). */
bool ff_audit_failed(const ff_audit *a);

#ifdef __cplusplus
}
#endif
#endif
