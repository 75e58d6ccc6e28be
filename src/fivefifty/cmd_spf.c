/* cmd_spf.c - `fivefifty spf`: evaluate SPF for an IP and explain why (man/fivefifty-spf.1)
 *
 * --zone FILE answers from zone data instead of the network (tests, the RFC 7208 suite);
 * the format is in zonefile.c.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fivefifty/dns.h"
#include "fivefifty/spf.h"

const char cmd_spf_what[] = "evaluate SPF for an IP and sender, with a trace and a lint";

static void usage(FILE *f)
{
    fprintf(f, "usage: fivefifty spf [DOMAIN] --ip IP [--sender ADDR] [--helo NAME]\n"
               "                     [--resolver IP[:PORT]] [--zone FILE] [--lint] [--json]\n"
               "       fivefifty spf --batch FILE [--resolver IP[:PORT]] [--zone FILE] [--json]\n"
               "--batch: one check a line, \"DOMAIN IP [SENDER]\" (\"-\" is stdin).\n");
}

/* --batch: many checks through one resolver handle, one line out per line in, so a
 * sender can check a list of domains (and the benchmark can time evaluations, not process
 * start-up). The handle's cache lives for the whole batch. */
static int run_batch(ff_dns *dns, const char *path, bool json)
{
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (in == NULL) {
        fprintf(stderr, "fivefifty spf: cannot read %s\n", path);
        return EXIT_IO;
    }
    char line[1024];
    size_t lineno = 0, bad = 0;
    while (fgets(line, sizeof line, in)) {
        lineno++;
        char *save = NULL, *domain = strtok_r(line, " \t\r\n", &save);
        if (domain == NULL || domain[0] == '#')
            continue;
        char *ip = strtok_r(NULL, " \t\r\n", &save);
        char *sender = strtok_r(NULL, " \t\r\n", &save);
        ff_spf_query q = {.ip = ip, .sender = sender, .domain = domain};
        ff_spf_eval e;
        ff_error err = {0};
        if (ip == NULL || ff_spf_check(dns, &q, &e, &err) != FF_OK) {
            fprintf(stderr, "fivefifty spf: %s line %zu: %s\n", path, lineno,
                    ip ? err.msg : "want DOMAIN IP [SENDER]");
            bad++;
            continue;
        }
        if (json) {
            json_t *o = json_object();
            cli_json_str(o, "domain", e.domain);
            cli_json_str(o, "ip", ip);
            cli_json_str(o, "result", ff_spf_result_name(e.result));
            cli_json_str(o, "matched", e.matched);
            cli_json_str(o, "problem", e.problem);
            json_object_set_new(o, "lookups", json_integer(e.lookups));
            cli_json_line(stdout, o);
        } else {
            printf("%s %s %s\n", domain, ip, ff_spf_result_name(e.result));
        }
        ff_spf_eval_clear(&e);
    }
    if (in != stdin)
        fclose(in);
    return bad ? EXIT_BADINPUT : EXIT_OK;
}

int cmd_spf(int argc, char **argv)
{
    static const struct option lo[] = {
        {"ip", required_argument, NULL, 'i'},     {"sender", required_argument, NULL, 's'},
        {"helo", required_argument, NULL, 'H'},   {"resolver", required_argument, NULL, 'r'},
        {"zone", required_argument, NULL, 'z'},   {"lint", no_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {"batch", required_argument, NULL, 'b'},  {NULL, 0, NULL, 0}};
    const char *ip = NULL, *sender = NULL, *helo = NULL, *resolver = NULL, *zone = NULL;
    const char *batch = NULL;
    bool json = false, lint = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'i': ip = optarg; break;
        case 's': sender = optarg; break;
        case 'H': helo = optarg; break;
        case 'r': resolver = optarg; break;
        case 'z': zone = optarg; break;
        case 'l': lint = true; break;
        case 'j': json = true; break;
        case 'b': batch = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    const char *domain = optind < argc ? argv[optind] : NULL;
    if (batch ? (ip || lint || domain) : ((!ip && !lint) || (lint && !domain)) ||
        optind + 1 < argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    ff_dns *dns = NULL;
    ff_error err = {0};
    int rc = EXIT_OK;
    if (zone) {
        ff_dns_new_zone(&dns, &err);
        if (dns && (rc = cli_zone_load(dns, zone)) == EXIT_IO) {
            ff_dns_free(dns);
            return rc;
        }
    } else if (ff_dns_new_cares(&dns, resolver, 2000, 2, &err) != FF_OK) {
        fprintf(stderr, "fivefifty spf: %s\n", err.msg);
        return err.code == FF_EINVAL ? EXIT_USAGE : EXIT_IO;
    }
    if (batch) {
        rc = run_batch(dns, batch, json);
        ff_dns_free(dns);
        return rc;
    }
    if (lint) {
        ff_spf_lint_report r;
        ff_spf_lint(dns, domain, &r, &err);
        bool bad = false;
        json_t *items = json ? json_array() : NULL;
        if (!json)
            printf("%s: \"%s\", %d DNS-querying terms\n", domain, r.record, r.lookups);
        for (size_t i = 0; i < r.n; i++) {
            const char *sev = r.f[i].severity == FF_SPF_FAIL_LINT ? "fail"
                              : r.f[i].severity == FF_SPF_WARN    ? "warn" : "info";
            bad = bad || r.f[i].severity == FF_SPF_FAIL_LINT;
            if (json) {
                json_t *o = json_object();
                cli_json_str(o, "status", sev);
                cli_json_str(o, "detail", r.f[i].msg);
                cli_json_str(o, "fix", r.f[i].fix);
                json_array_append_new(items, o);
            } else {
                printf("  %-4s %s\n       fix: %s\n", sev, r.f[i].msg, r.f[i].fix);
            }
        }
        if (json) {
            json_t *o = json_object();
            cli_json_str(o, "domain", domain);
            cli_json_str(o, "record", r.record);
            json_object_set_new(o, "lookups", json_integer(r.lookups));
            json_object_set_new(o, "findings", items);
            cli_json_line(stdout, o);
        }
        ff_dns_free(dns);
        return bad ? EXIT_BADINPUT : EXIT_OK;
    }
    ff_spf_query q = {.ip = ip, .sender = sender, .helo = helo, .domain = domain};
    ff_spf_eval e;
    if (ff_spf_check(dns, &q, &e, &err) != FF_OK) {
        fprintf(stderr, "fivefifty spf: %s\n", err.msg);
        ff_dns_free(dns);
        return EXIT_USAGE;
    }
    if (json) {
        json_t *o = json_object();
        cli_json_str(o, "domain", e.domain);
        cli_json_str(o, "ip", ip);
        cli_json_str(o, "result", ff_spf_result_name(e.result));
        cli_json_str(o, "matched", e.matched);
        cli_json_str(o, "explanation", e.explanation);
        cli_json_str(o, "problem", e.problem);
        json_object_set_new(o, "lookups", json_integer(e.lookups));
        json_object_set_new(o, "void_lookups", json_integer(e.void_lookups));
        cli_json_str(o, "trace", e.trace);
        cli_json_line(stdout, o);
    } else {
        printf("spf=%s for %s from %s (%d DNS lookups)\n", ff_spf_result_name(e.result),
               e.domain, ip, e.lookups);
        if (e.matched[0])
            printf("matched: %s\n", e.matched);
        if (e.explanation[0])
            printf("explanation: %s\n", e.explanation);
        if (e.problem[0])
            printf("problem: %s\n", e.problem);
        if (e.trace)
            printf("trace:\n%s", e.trace);
    }
    rc = e.result == FF_SPF_PASS ? EXIT_OK : EXIT_BADINPUT;
    ff_spf_eval_clear(&e);
    ff_dns_free(dns);
    return rc;
}
