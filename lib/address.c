/* address.c - address syntax and normal form (see include/fivefifty/address.h)
 *
 * The checks are the ones that keep bad data out of the store and off the wire, not a
 * full RFC 5322 parser: one '@', a non-empty local part (dot-atom or quoted string), a
 * domain of LDH labels (or an address literal), lengths within RFC 5321's limits.
 */
#include "fivefifty/address.h"

#include <ctype.h>
#include <idn2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool atext(unsigned char c)
{
    return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) || c >= 0x80;
}

static bool local_ok(const char *l, size_t n)
{
    if (n == 0 || n > 64)
        return false;
    if (l[0] == '"') /* quoted string: anything printable but an unescaped quote */
        return n >= 2 && l[n - 1] == '"';
    if (l[0] == '.' || l[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)l[i];
        if (c == '.' ? l[i + 1] == '.' : !atext(c))
            return false;
    }
    return true;
}

static bool domain_ok(const char *d)
{
    size_t n = strlen(d);
    if (n == 0 || n > 253)
        return false;
    if (d[0] == '[')
        return d[n - 1] == ']';
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c == '.') {
            if (label == 0 || d[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!(isalnum(c) || c == '-') || (label == 0 && c == '-') || ++label > 63)
            return false;
    }
    return label > 0 && d[n - 1] != '-';
}

ff_status ff_address_normalize(const char *in, char out[FF_ADDRESS_MAX], ff_error *err)
{
    out[0] = '\0';
    if (!in)
        return ff_error_set(err, FF_EINVAL, "address: none given");
    size_t n = strnlen(in, 1024);
    if (n >= 1024 || strpbrk(in, "\r\n"))
        return ff_error_set(err, FF_EINVAL, "address: CR or LF, or far too long");
    /* "Name <a@b>" or "<a@b>": take what is inside the last <>. */
    const char *lt = strrchr(in, '<');
    const char *s = in, *e = in + n;
    if (lt) {
        const char *gt = strchr(lt, '>');
        if (!gt)
            return ff_error_set(err, FF_EINVAL, "address: '<' without '>'");
        s = lt + 1;
        e = gt;
    }
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    const char *at = NULL;
    for (const char *p = e; p > s; p--)
        if (p[-1] == '@') {
            at = p - 1;
            break;
        }
    if (!at)
        return ff_error_set(err, FF_EINVAL, "address: no '@' in '%.80s'", in);
    if (!local_ok(s, (size_t)(at - s)))
        return ff_error_set(err, FF_EINVAL, "address: bad local part in '%.80s'", in);
    char dom[256];
    size_t dl = (size_t)(e - at - 1);
    if (dl == 0 || dl >= sizeof dom)
        return ff_error_set(err, FF_EINVAL, "address: bad domain in '%.80s'", in);
    memcpy(dom, at + 1, dl);
    dom[dl] = '\0';
    bool ascii = true;
    for (size_t i = 0; i < dl; i++) {
        ascii = ascii && (unsigned char)dom[i] < 0x80;
        dom[i] = (char)tolower((unsigned char)dom[i]);
    }
    if (!ascii) {
        char *alabel = NULL;
        int rc = idn2_to_ascii_8z(dom, &alabel, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
        if (rc != IDN2_OK)
            return ff_error_set(err, FF_EINVAL, "address: domain '%.80s': %s", dom,
                                idn2_strerror(rc));
        size_t al = strlen(alabel);
        if (al >= sizeof dom) {
            idn2_free(alabel);
            return ff_error_set(err, FF_EINVAL, "address: domain too long");
        }
        memcpy(dom, alabel, al + 1);
        idn2_free(alabel);
    }
    if (!domain_ok(dom))
        return ff_error_set(err, FF_EINVAL, "address: bad domain '%.80s'", dom);
    size_t ll = (size_t)(at - s);
    if (ll + 1 + strlen(dom) > 254)
        return ff_error_set(err, FF_EINVAL, "address: longer than 254 octets");
    memcpy(out, s, ll);
    out[ll] = '@';
    memcpy(out + ll + 1, dom, strlen(dom) + 1);
    return FF_OK;
}

const char *ff_address_domain(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    return at ? at + 1 : NULL;
}
