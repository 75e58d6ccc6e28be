/* dnsbl.c - blocklist lookups and what their answers mean (see include/fivefifty/dnsbl.h) */
#include "fivefifty/dnsbl.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const ff_dnsbl_list defaults[] = {
    {"zen.spamhaus.org", "Spamhaus ZEN", false, "https://check.spamhaus.org/"},
    {"dbl.spamhaus.org", "Spamhaus DBL", true, "https://check.spamhaus.org/"},
    {"b.barracudacentral.org", "Barracuda BRBL", false,
     "https://www.barracudacentral.org/rbl/removal-request"},
    {"bl.spamcop.net", "SpamCop", false, "https://www.spamcop.net/bl.shtml (expires on its own)"},
    {"psbl.surriel.com", "PSBL", false, "https://psbl.org/remove"},
    {"dnsbl.sorbs.net", "SORBS", false, "http://www.sorbs.net/delisting/"},
};

const ff_dnsbl_list *ff_dnsbl_defaults(size_t *n)
{
    *n = sizeof defaults / sizeof defaults[0];
    return defaults;
}

/* Spamhaus's documented codes; other lists: any 127.0.0.x is a listing. */
static const char *meaning(const char *zone, const unsigned char a[4], bool *error)
{
    *error = false;
    if (a[0] != 127) {
        *error = true;
        return "an answer outside 127.0.0.0/8: the list is not answering as a blocklist "
               "(wildcarded or retired)";
    }
    bool spamhaus = strstr(zone, "spamhaus.org") != NULL;
    if (spamhaus && a[1] == 255 && a[2] == 255) {
        *error = true;
        switch (a[3]) {
        case 252: return "Spamhaus: typo in the DNSBL name (error, not a listing)";
        case 254: return "Spamhaus: queried through a public or open resolver (error, not a "
                         "listing); use your own resolver or a Data Query Service key";
        case 255: return "Spamhaus: too many queries (error, not a listing)";
        default: return "Spamhaus: an error answer (not a listing)";
        }
    }
    if (spamhaus && a[1] == 0 && a[2] == 0) {
        switch (a[3]) {
        case 2: return "SBL: a spam source or spam operation";
        case 3: return "SBL CSS: a snowshoe or low-reputation sender";
        case 4: case 5: case 6: case 7: return "XBL: an infected or exploited host";
        case 9: return "SBL DROP: a hijacked or criminal network";
        case 10: case 11: return "PBL: an end-user address range that should not send mail "
                                 "directly";
        }
    }
    if (spamhaus && a[1] == 0 && a[2] == 1) {
        switch (a[3]) {
        case 2: return "DBL: a spam domain";
        case 4: return "DBL: a phishing domain";
        case 5: return "DBL: a malware domain";
        case 6: return "DBL: a botnet controller domain";
        case 255: *error = true; return "DBL: an IP address was queried (error)";
        default:
            if (a[3] >= 102 && a[3] <= 106)
                return "DBL: an abused legitimate domain";
        }
    }
    return "listed";
}

ff_status ff_dnsbl_check(ff_dns *dns, const ff_dnsbl_list *l, const char *subject,
                         ff_dnsbl_hit *hit, ff_error *err)
{
    memset(hit, 0, sizeof *hit);
    if (!dns || !l || !subject)
        return ff_error_set(err, FF_EINVAL, "dnsbl: missing argument");
    snprintf(hit->zone, sizeof hit->zone, "%s", l->zone);
    snprintf(hit->removal, sizeof hit->removal, "%s", l->removal ? l->removal : "");
    char q[400];
    unsigned char ip[16];
    if (l->domains) {
        snprintf(q, sizeof q, "%s.%s", subject, l->zone);
    } else if (inet_pton(AF_INET, subject, ip) == 1) {
        snprintf(q, sizeof q, "%u.%u.%u.%u.%s", ip[3], ip[2], ip[1], ip[0], l->zone);
    } else if (inet_pton(AF_INET6, subject, ip) == 1) {
        size_t o = 0;
        for (int i = 15; i >= 0; i--)
            o += (size_t)snprintf(q + o, sizeof q - o, "%x.%x.", ip[i] & 15, ip[i] >> 4);
        snprintf(q + o, sizeof q - o, "%s", l->zone);
    } else {
        return ff_error_set(err, FF_EINVAL, "dnsbl: '%.60s' is not an IP address", subject);
    }
    ff_dns_answer a;
    ff_status st = ff_dns_query(dns, q, FF_DNS_A, &a);
    if (st != FF_OK)
        return ff_error_set(err, st, "dnsbl: query failed");
    if (a.result == FF_DNS_OK && a.n) {
        bool error = false;
        const char *m = meaning(l->zone, a.rrs[0].addr, &error);
        hit->state = error ? FF_DNSBL_ERROR : FF_DNSBL_LISTED;
        snprintf(hit->code, sizeof hit->code, "%s", a.rrs[0].text ? a.rrs[0].text : "");
        snprintf(hit->meaning, sizeof hit->meaning, "%s", m);
    } else if (a.result == FF_DNS_NXDOMAIN || a.result == FF_DNS_NODATA) {
        hit->state = FF_DNSBL_CLEAN;
    } else {
        hit->state = FF_DNSBL_ERROR;
        snprintf(hit->meaning, sizeof hit->meaning, "the list did not answer (%s)",
                 ff_dns_result_name(a.result));
    }
    ff_dns_answer_clear(&a);
    return FF_OK;
}
