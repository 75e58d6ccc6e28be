/* suppress.c - what enters the suppression list, and its CSV form (see suppress.h) */
#include "fivefifty/suppress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fivefifty/address.h"

bool ff_suppress_wanted(const ff_decision *d, bool *domain_wide)
{
    if (domain_wide)
        *domain_wide = false;
    if (!d || d->action != FF_ACTION_SUPPRESS)
        return false;
    /* classify.c already refuses to suppress on these; checked again here because this is
     * the last door before the list, and a user rule file might say otherwise. */
    if (d->side == FF_SIDE_SENDER || (d->status[0] && strncmp(d->status + 1, ".7.", 3) == 0))
        return false;
    if (domain_wide)
        *domain_wide = d->reason == FF_REASON_HOSTUNKNOWN || d->reason == FF_REASON_NOTACCEPT;
    return true;
}

ff_status ff_suppress_apply(ff_store *s, const char *address, const char *scope,
                            const ff_decision *d, const char *source, int64_t now,
                            bool *added, ff_error *err)
{
    bool domain = false;
    if (added)
        *added = false;
    if (!ff_suppress_wanted(d, &domain))
        return FF_OK;
    char norm[FF_ADDRESS_MAX];
    ff_status st = ff_address_normalize(address, norm, err);
    if (st != FF_OK)
        return st;
    char key[FF_ADDRESS_MAX + 1];
    snprintf(key, sizeof key, "%s", domain ? strrchr(norm, '@') : norm);
    ff_suppression e = {.address = key, .scope = (char *)(scope ? scope : "global"),
                        .reason = (char *)ff_reason_name(d->reason), .status = (char *)d->status,
                        .source = (char *)(source ? source : "smtp"), .created = now};
    st = ff_store_suppress_add(s, &e, err);
    if (st == FF_OK && added)
        *added = true;
    return st;
}

/* RFC 4180: quote a field when it holds a comma, a quote or a line end. */
static void csv_field(FILE *f, const char *v, bool last)
{
    v = v ? v : "";
    if (strpbrk(v, ",\"\r\n")) {
        fputc('"', f);
        for (; *v; v++) {
            if (*v == '"')
                fputc('"', f);
            fputc(*v, f);
        }
        fputc('"', f);
    } else {
        fputs(v, f);
    }
    fputs(last ? "\r\n" : ",", f);
}

ff_status ff_suppress_export(ff_store *s, const char *scope, FILE *f, ff_error *err)
{
    ff_suppression *v = NULL;
    size_t n = 0;
    ff_status st = ff_store_suppress_list(s, scope, &v, &n, err);
    if (st != FF_OK)
        return st;
    fputs("address,scope,reason,status,source,created\r\n", f);
    for (size_t i = 0; i < n; i++) {
        char when[32];
        time_t t = (time_t)v[i].created;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        csv_field(f, v[i].address, false);
        csv_field(f, v[i].scope, false);
        csv_field(f, v[i].reason, false);
        csv_field(f, v[i].status, false);
        csv_field(f, v[i].source, false);
        csv_field(f, when, true);
    }
    ff_suppressions_free(v, n);
    return ferror(f) ? ff_error_set(err, FF_EIO, "suppress: write failed") : FF_OK;
}

/* Split one CSV record (no embedded line ends: suppression fields never hold them) into
 * at most 6 fields, in place. Returns the count, or -1 for a broken quote. */
static int csv_split(char *line, char *fields[6])
{
    int n = 0;
    char *p = line;
    while (n < 6) {
        char *out = p;
        fields[n++] = p;
        if (*p == '"') {
            char *r = p + 1;
            for (;;) {
                if (!*r)
                    return -1;
                if (*r == '"' && r[1] == '"') {
                    *out++ = '"';
                    r += 2;
                } else if (*r == '"') {
                    r++;
                    break;
                } else
                    *out++ = *r++;
            }
            if (*r && *r != ',')
                return -1;
            *out = '\0';
            if (!*r)
                return n;
            p = r + 1;
        } else {
            char *c = strchr(p, ',');
            if (!c)
                return n;
            *c = '\0';
            p = c + 1;
        }
    }
    return n;
}

static int64_t parse_when(const char *v, int64_t dflt)
{
    struct tm tm = {0};
    if (v && strptime(v, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return (int64_t)timegm(&tm);
    if (v && strptime(v, "%Y-%m-%d", &tm))
        return (int64_t)timegm(&tm);
    return dflt;
}

ff_status ff_suppress_import(ff_store *s, FILE *f, const char *default_scope, int64_t now,
                             size_t *added, size_t *skipped, ff_suppress_bad_fn bad, void *ctx,
                             ff_error *err)
{
    char line[4096];
    size_t ln = 0;
    *added = *skipped = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        size_t l = strlen(line);
        if (l == sizeof line - 1 && line[l - 1] != '\n') {
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            (*skipped)++;
            if (bad)
                bad(ctx, ln, "line longer than 4 KiB");
            continue;
        }
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
            line[--l] = '\0';
        if (l == 0 || (ln == 1 && strncmp(line, "address,", 8) == 0))
            continue;
        char *fld[6] = {0};
        int nf = csv_split(line, fld);
        char norm[FF_ADDRESS_MAX];
        ff_error aerr;
        const char *addr = nf > 0 ? fld[0] : "";
        bool domain = addr[0] == '@';
        if (nf < 0 || (!domain && ff_address_normalize(addr, norm, &aerr) != FF_OK)) {
            (*skipped)++;
            if (bad)
                bad(ctx, ln, nf < 0 ? "broken quoting" : aerr.msg);
            continue;
        }
        if (domain)
            snprintf(norm, sizeof norm, "%s", addr);
        ff_suppression e = {.address = norm,
                            .scope = nf > 1 && *fld[1] ? fld[1] : (char *)default_scope,
                            .reason = nf > 2 && *fld[2] ? fld[2] : "manual",
                            .status = nf > 3 ? fld[3] : "",
                            .source = nf > 4 && *fld[4] ? fld[4] : "import",
                            .created = parse_when(nf > 5 ? fld[5] : NULL, now)};
        if (!e.scope)
            e.scope = "global";
        ff_status st = ff_store_suppress_add(s, &e, err);
        if (st != FF_OK)
            return st;
        (*added)++;
    }
    return ferror(f) ? ff_error_set(err, FF_EIO, "suppress: read failed") : FF_OK;
}
