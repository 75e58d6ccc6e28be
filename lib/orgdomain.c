/* orgdomain.c - organisational domains from the Public Suffix List (RFC 7489 3.2)
 *
 * Where it sits: under dmarc.c (relaxed alignment, policy discovery at the organisational
 * domain, external report destinations) and authres.c (explaining failures found in
 * bounces). Pure lookups in memory: the only I/O is loading the list once in
 * ff_orgdomain_new().
 *
 * The list: Debian's publicsuffix package installs it in /usr/share/publicsuffix, which
 * libpsl knows as its distribution file. psl_latest() picks whichever of that file and the
 * copy built into libpsl is newer; psl_builtin() is the last resort so a machine without
 * the package still answers (perhaps with an older list).
 */
#include "fivefifty/orgdomain.h"

#include <libpsl.h>
#include <stdlib.h>
#include <string.h>

#define DEBIAN_PSL "/usr/share/publicsuffix/public_suffix_list.dat"

struct ff_orgdomain {
    psl_ctx_t *psl;      /* owned unless it is the built-in context */
    const char *source;
};

ff_status ff_orgdomain_new(ff_orgdomain **out, const char *psl_file, ff_error *err)
{
    if (out == NULL)
        return ff_error_set(err, FF_EINVAL, "ff_orgdomain_new: out is NULL");
    *out = NULL;
    ff_orgdomain *od = calloc(1, sizeof *od);
    if (od == NULL)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    if (psl_file != NULL) {
        od->psl = psl_load_file(psl_file);
        if (od->psl == NULL) {
            free(od);
            return ff_error_set(err, FF_EIO, "cannot load the public suffix list %s",
                                psl_file);
        }
        od->source = "file";
    } else if ((od->psl = psl_latest(NULL)) != NULL) {
        od->source = "latest";
    } else if ((od->psl = psl_load_file(DEBIAN_PSL)) != NULL) {
        od->source = "file";
    } else {
        od->psl = (psl_ctx_t *)psl_builtin();
        od->source = "builtin";
        if (od->psl == NULL) {
            /* libpsl built without data: nothing can be answered correctly */
            free(od);
            return ff_error_set(err, FF_EIO, "no public suffix list available");
        }
    }
    *out = od;
    return FF_OK;
}

void ff_orgdomain_free(ff_orgdomain *od)
{
    if (od == NULL)
        return;
    /* psl_free() ignores the built-in context itself, but say so here too */
    if (od->psl != psl_builtin())
        psl_free(od->psl);
    free(od);
}

const char *ff_orgdomain_source(const ff_orgdomain *od)
{
    return od ? od->source : "builtin";
}

static const psl_ctx_t *ctx(const ff_orgdomain *od)
{
    return od ? od->psl : psl_builtin();
}

ff_status ff_orgdomain_normalise(const char *domain, char *out, size_t outlen)
{
    if (domain == NULL || out == NULL || outlen == 0)
        return FF_EINVAL;
    size_t n = strnlen(domain, FF_DOMAIN_MAX + 1);
    if (n > 0 && domain[n - 1] == '.')
        n--;
    if (n == 0)
        return FF_EINVAL;
    if (n > FF_DOMAIN_MAX - 1)
        return FF_ETOOBIG;
    if (n + 1 > outlen)
        return FF_ETOOBIG;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)domain[i];
        if (c == '.') {
            if (label == 0)
                return FF_EINVAL;
            label = 0;
        } else {
            /* Loose on purpose: underscores appear in real names (_dmarc, _report) and
             * UTF-8 U-labels are lowered byte-wise only in their ASCII part. */
            if (c <= ' ' || c == 0x7f || c == '@' || c == ';' || c == '(' || c == ')' ||
                c == '"' || c == '\\' || c == ',' || c == '<' || c == '>' || c == '/')
                return FF_EINVAL;
            if (++label > 63)
                return FF_EINVAL;
        }
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
    }
    if (label == 0)
        return FF_EINVAL;
    out[n] = '\0';
    return FF_OK;
}

ff_status ff_orgdomain_get(const ff_orgdomain *od, const char *domain, char *out,
                           size_t outlen)
{
    char name[FF_DOMAIN_MAX];
    ff_status st = ff_orgdomain_normalise(domain, name, sizeof name);
    if (st != FF_OK)
        return st;
    /* RFC 7489 3.2: the longest matching public suffix plus one label. libpsl's
     * registrable domain is exactly that; it is NULL when the name is a suffix itself
     * (or a single label), and then the name stands for itself. */
    const char *reg = psl_registrable_domain(ctx(od), name);
    const char *src = reg ? reg : name;
    size_t n = strlen(src);
    if (n + 1 > outlen)
        return FF_ETOOBIG;
    memcpy(out, src, n + 1);
    return FF_OK;
}

bool ff_orgdomain_same(const ff_orgdomain *od, const char *a, const char *b)
{
    char oa[FF_DOMAIN_MAX], ob[FF_DOMAIN_MAX];
    if (ff_orgdomain_get(od, a, oa, sizeof oa) != FF_OK ||
        ff_orgdomain_get(od, b, ob, sizeof ob) != FF_OK)
        return false;
    return strcmp(oa, ob) == 0;
}

bool ff_orgdomain_is_suffix(const ff_orgdomain *od, const char *domain)
{
    char name[FF_DOMAIN_MAX];
    if (ff_orgdomain_normalise(domain, name, sizeof name) != FF_OK)
        return false;
    return psl_is_public_suffix2(ctx(od), name, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}
