/* ptr.c - reverse DNS and forward confirmation of a sending IP (see include/fivefifty/ptr.h) */
#include "fivefifty/ptr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static bool resolves_to(ff_dns *dns, const char *name, const unsigned char *ip, bool v6)
{
    ff_dns_answer a;
    if (ff_dns_query(dns, name, v6 ? FF_DNS_AAAA : FF_DNS_A, &a) != FF_OK)
        return false;
    bool hit = false;
    for (size_t i = 0; a.result == FF_DNS_OK && i < a.n; i++)
        hit = hit || !memcmp(a.rrs[i].addr, ip, v6 ? 16 : 4);
    ff_dns_answer_clear(&a);
    return hit;
}

ff_status ff_ptr_check(ff_dns *dns, const char *ip, const char *helo, ff_ptr *out,
                       ff_error *err)
{
    memset(out, 0, sizeof *out);
    unsigned char a[16];
    bool v6 = false;
    char rev[128];
    if (inet_pton(AF_INET, ip, a) == 1) {
        snprintf(rev, sizeof rev, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
    } else if (inet_pton(AF_INET6, ip, a) == 1) {
        v6 = true;
        size_t o = 0;
        for (int i = 15; i >= 0; i--)
            o += (size_t)snprintf(rev + o, sizeof rev - o, "%x.%x.", a[i] & 15, a[i] >> 4);
        snprintf(rev + o, sizeof rev - o, "ip6.arpa");
    } else {
        return ff_error_set(err, FF_EINVAL, "ptr: '%.60s' is not an IP address", ip);
    }
    ff_dns_answer ans;
    if (ff_dns_query(dns, rev, FF_DNS_PTR, &ans) != FF_OK)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    out->result = ans.result;
    for (size_t i = 0; i < ans.n && out->n < 8; i++) {
        snprintf(out->names[out->n], sizeof out->names[0], "%s", ans.rrs[i].text);
        if (!out->confirmed[0] && resolves_to(dns, out->names[out->n], a, v6))
            snprintf(out->confirmed, sizeof out->confirmed, "%s", out->names[out->n]);
        out->n++;
    }
    ff_dns_answer_clear(&ans);
    if (helo && *helo) {
        out->helo_given = true;
        out->helo_resolves_to_ip = resolves_to(dns, helo, a, v6);
    }
    return FF_OK;
}
