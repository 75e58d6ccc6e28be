/* cmd_check.c - `fivefifty check`: the sender audit (man/fivefifty-check.1)
 *
 * One report: every item pass / warn / fail / error with its evidence and its fix, and
 * the big providers' requirements as a checklist. With --json, one object whose "items"
 * array holds {"check", "status", "detail", "fix"}. The exit code says whether anything
 * failed, so a deploy script can stop on it.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fivefifty/audit.h"

const char cmd_check_what[] = "audit a sending domain: SPF, DKIM, DMARC, MX, PTR, blocklists";

#define MAX_LIST 32

static void usage(FILE *f)
{
    fprintf(f, "usage: fivefifty check DOMAIN [--ip IP] [--helo NAME] [--selector S]...\n"
               "                       [--from ADDR] [--dnsbl ZONE]... [--dnsbl-domain ZONE]...\n"
               "                       [--resolver IP[:PORT]] [--zone FILE] [--json]\n");
}

int cmd_check(int argc, char **argv)
{
    static const struct option lo[] = {
        {"ip", required_argument, NULL, 'i'},        {"helo", required_argument, NULL, 'H'},
        {"selector", required_argument, NULL, 's'},  {"from", required_argument, NULL, 'f'},
        {"dnsbl", required_argument, NULL, 'b'},     {"dnsbl-domain", required_argument, NULL, 'B'},
        {"resolver", required_argument, NULL, 'r'},  {"zone", required_argument, NULL, 'z'},
        {"json", no_argument, NULL, 'j'},            {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *ip = NULL, *helo = NULL, *from = NULL, *resolver = NULL, *zone = NULL;
    const char *selectors[MAX_LIST];
    ff_dnsbl_list lists[MAX_LIST];
    size_t nsel = 0, nlists = 0;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'i': ip = optarg; break;
        case 'H': helo = optarg; break;
        case 's': if (nsel < MAX_LIST) selectors[nsel++] = optarg; break;
        case 'f': from = optarg; break;
        case 'b':
        case 'B':
            if (nlists < MAX_LIST)
                lists[nlists++] = (ff_dnsbl_list){.zone = optarg, .name = optarg,
                                                  .domains = c == 'B',
                                                  .removal = "the list's own web site"};
            break;
        case 'r': resolver = optarg; break;
        case 'z': zone = optarg; break;
        case 'j': json = true; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *domain = argv[optind];
    ff_dns *dns = NULL;
    ff_error err = {0};
    if (zone) {
        ff_dns_new_zone(&dns, &err);
        if (!dns || cli_zone_load(dns, zone) == EXIT_IO) {
            ff_dns_free(dns);
            return EXIT_IO;
        }
    } else if (ff_dns_new_cares(&dns, resolver, 3000, 2, &err) != FF_OK) {
        fprintf(stderr, "fivefifty check: %s\n", err.msg);
        return err.code == FF_EINVAL ? EXIT_USAGE : EXIT_IO;
    }
    ff_orgdomain *od = NULL;
    ff_orgdomain_new(&od, NULL, NULL); /* NULL still works: libpsl's built-in list */
    ff_audit_opts o = {.domain = domain, .ip = ip, .helo = helo, .from = from,
                       .selectors = selectors, .nselectors = nsel,
                       .lists = nlists ? lists : NULL, .nlists = nlists};
    ff_audit a;
    if (ff_audit_run(dns, od, &o, &a, &err) != FF_OK) {
        fprintf(stderr, "fivefifty check: %s\n", err.msg);
        ff_orgdomain_free(od);
        ff_dns_free(dns);
        return EXIT_USAGE;
    }
    if (json) {
        json_t *root = json_object(), *items = json_array();
        cli_json_str(root, "domain", domain);
        cli_json_str(root, "ip", ip);
        for (size_t i = 0; i < a.n; i++) {
            json_t *it = json_object();
            json_object_set_new(it, "check", json_string(a.v[i].check));
            json_object_set_new(it, "status", json_string(a.v[i].status));
            json_object_set_new(it, "detail", json_string(a.v[i].detail));
            json_object_set_new(it, "fix", json_string(a.v[i].fix));
            json_array_append_new(items, it);
        }
        json_object_set_new(root, "items", items);
        cli_json_line(stdout, root);
    } else {
        size_t counts[4] = {0};
        for (size_t i = 0; i < a.n; i++) {
            const char *s = a.v[i].status;
            counts[!strcmp(s, "pass") ? 0 : !strcmp(s, "warn") ? 1 : !strcmp(s, "fail") ? 2 : 3]++;
            printf("%-5s %-28s %s\n", s, a.v[i].check, a.v[i].detail);
            if (strcmp(s, "pass") && a.v[i].fix[0])
                printf("      %-28s fix: %s\n", "", a.v[i].fix);
        }
        printf("\n%zu pass, %zu warn, %zu fail, %zu error\n", counts[0], counts[1], counts[2],
               counts[3]);
    }
    int rc = ff_audit_failed(&a) ? EXIT_BADINPUT : EXIT_OK;
    ff_audit_clear(&a);
    ff_orgdomain_free(od);
    ff_dns_free(dns);
    return rc;
}
