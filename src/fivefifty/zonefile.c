/* zonefile.c - zone data from a file for a zone resolver (--zone FILE of spf, queue run)
 *
 * One record per line, "NAME TYPE DATA", TYPE one of A AAAA MX TXT PTR CNAME NS, or
 * "NAME TIMEOUT"; NAME may be a JSON string (names can hold spaces). TXT data is a JSON
 * string or a JSON array of strings (joined, as the DNS joins a record's
 * character-strings); MX data is "PREF HOST".
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fivefifty/dns.h"

int cli_zone_load(ff_dns *dns, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "fivefifty: cannot read %s\n", path);
        return EXIT_IO;
    }
    char line[8192];
    size_t ln = 0;
    int rc = EXIT_OK;
    while (fgets(line, sizeof line, f)) {
        ln++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char name[512], type[16];
        int off = 0;
        const char *rest = line;
        if (line[0] == '"') { /* a JSON string: names may hold spaces */
            json_error_t je;
            json_t *n = json_loadb(line, strlen(line), JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY,
                                   &je);
            if (json_is_string(n)) {
                snprintf(name, sizeof name, "%s", json_string_value(n));
                rest = line + je.position;
            } else
                name[0] = '\0';
            json_decref(n);
            if (sscanf(rest, "%15s %n", type, &off) < 1)
                name[0] = '\0';
            off += (int)(rest - line);
        } else if (sscanf(line, "%511s %15s %n", name, type, &off) < 2)
            name[0] = '\0';
        if (!name[0]) {
            fprintf(stderr, "fivefifty: %s:%zu: want NAME TYPE DATA\n", path, ln);
            rc = EXIT_BADINPUT;
            continue;
        }
        const char *data = line + off;
        static const struct {
            const char *n;
            ff_dns_type t;
        } types[] = {{"A", FF_DNS_A}, {"AAAA", FF_DNS_AAAA}, {"MX", FF_DNS_MX},
                     {"TXT", FF_DNS_TXT}, {"PTR", FF_DNS_PTR}, {"CNAME", FF_DNS_CNAME},
                     {"NS", FF_DNS_NS}};
        ff_status st = FF_EINVAL;
        if (!strcmp(type, "TIMEOUT")) {
            st = ff_dns_zone_timeout(dns, name);
        } else if (!strcmp(type, "TXT")) {
            json_error_t je;
            json_t *j = json_loads(data, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
            json_t *one = json_is_string(j) ? json_pack("[O]", j) : json_incref(j);
            if (json_is_array(one) && json_array_size(one) <= 64) {
                char *v[64];
                size_t n = json_array_size(one);
                for (size_t i = 0; i < n; i++) {
                    json_t *e = json_array_get(one, i);
                    size_t l = json_is_string(e) ? json_string_length(e) : 0;
                    v[i] = malloc(l + 1);
                    if (v[i] && l)
                        memcpy(v[i], json_string_value(e), l);
                    if (v[i])
                        v[i][l] = '\0';
                    /* A NUL byte cannot live in a C string: keep it as a control character,
                     * so a record that held one stays invalid. */
                    for (size_t k = 0; v[i] && k < l; k++)
                        if (!v[i][k])
                            v[i][k] = 1;
                }
                st = ff_dns_zone_add_txt(dns, name, (const char *const *)v, n);
                for (size_t i = 0; i < n; i++)
                    free(v[i]);
            }
            json_decref(one);
            json_decref(j);
        } else {
            for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
                if (!strcmp(type, types[i].n))
                    st = ff_dns_zone_add(dns, name, types[i].t, data);
        }
        if (st != FF_OK) {
            fprintf(stderr, "fivefifty: %s:%zu: bad record\n", path, ln);
            rc = EXIT_BADINPUT;
        }
    }
    fclose(f);
    return rc;
}

