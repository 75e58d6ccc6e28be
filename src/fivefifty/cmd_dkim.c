/* cmd_dkim.c - `fivefifty dkim keygen|sign|verify|lint` (man/fivefifty-dkim.1) */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fivefifty/dkim.h"

const char cmd_dkim_what[] = "make DKIM keys, sign and verify messages, lint key records";

static void usage(FILE *f)
{
    fprintf(f, "usage: fivefifty dkim keygen [--type rsa|ed25519] [--bits N] --out PREFIX\n"
               "       fivefifty dkim sign --key PEM --domain D --selector S\n"
               "                           [--canon relaxed/relaxed] [--no-oversign] < msg\n"
               "       fivefifty dkim verify (--txt 'v=DKIM1; ...' | --key-record FILE) < msg\n"
               "       fivefifty dkim lint 'v=DKIM1; k=rsa; p=...'\n"
               "  (--json on each)\n");
}

typedef struct txtctx {
    const char *txt;
} txtctx;

static ff_status lookup(void *ctx, const char *sel, const char *dom, char *txt, size_t cap)
{
    (void)sel;
    (void)dom;
    txtctx *t = ctx;
    if (!t->txt)
        return FF_ENOTFOUND;
    snprintf(txt, cap, "%s", t->txt);
    return FF_OK;
}

static int lint(const char *txt, bool json)
{
    ff_dkim_key k;
    ff_error err = {0};
    ff_status st = ff_dkim_key_parse(txt, strlen(txt), &k, &err);
    if (json) {
        json_t *j = json_object();
        cli_json_str(j, "status", st == FF_OK ? ff_severity_name(ff_dkim_key_worst(&k)) : "fail");
        cli_json_str(j, "type", k.alg == FF_DKIM_ED25519_SHA256 ? "ed25519" : "rsa");
        json_object_set_new(j, "bits", json_integer(k.bits));
        json_t *a = json_array();
        for (size_t i = 0; i < k.nfindings; i++) {
            json_t *f = json_object();
            cli_json_str(f, "severity", ff_severity_name(k.findings[i].severity));
            cli_json_str(f, "detail", k.findings[i].msg);
            cli_json_str(f, "fix", k.findings[i].fix);
            json_array_append_new(a, f);
        }
        json_object_set_new(j, "findings", a);
        cli_json_line(stdout, j);
    } else {
        printf("%s key, %d bits: %s\n", k.alg == FF_DKIM_ED25519_SHA256 ? "ed25519" : "rsa",
               k.bits, st == FF_OK ? ff_severity_name(ff_dkim_key_worst(&k)) : "fail");
        for (size_t i = 0; i < k.nfindings; i++)
            printf("  %-4s %s\n       fix: %s\n", ff_severity_name(k.findings[i].severity),
                   k.findings[i].msg, k.findings[i].fix);
    }
    int rc = st != FF_OK || ff_dkim_key_worst(&k) == FF_SEV_FAIL ? EXIT_BADINPUT : EXIT_OK;
    ff_dkim_key_clear(&k);
    return rc;
}

int cmd_dkim(int argc, char **argv)
{
    static const struct option lo[] = {
        {"type", required_argument, NULL, 't'},    {"bits", required_argument, NULL, 'b'},
        {"out", required_argument, NULL, 'o'},     {"key", required_argument, NULL, 'k'},
        {"domain", required_argument, NULL, 'd'},  {"selector", required_argument, NULL, 's'},
        {"canon", required_argument, NULL, 'c'},   {"no-oversign", no_argument, NULL, 'n'},
        {"txt", required_argument, NULL, 'x'},     {"key-record", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *type = "rsa", *out = NULL, *key = NULL, *domain = NULL, *selector = NULL;
    const char *canon = "relaxed/relaxed", *txt = NULL, *record = NULL;
    int bits = 2048, c;
    bool oversign = true, json = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 't': type = optarg; break;
        case 'b': bits = atoi(optarg); break;
        case 'o': out = optarg; break;
        case 'k': key = optarg; break;
        case 'd': domain = optarg; break;
        case 's': selector = optarg; break;
        case 'c': canon = optarg; break;
        case 'n': oversign = false; break;
        case 'x': txt = optarg; break;
        case 'r': record = optarg; break;
        case 'j': json = true; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *verb = argv[optind];
    ff_error err = {0};
    if (!strcmp(verb, "lint") && optind + 1 < argc)
        return lint(argv[optind + 1], json);
    if (!strcmp(verb, "keygen") && out) {
        void *pk = NULL;
        ff_dkim_alg alg = !strcmp(type, "ed25519") ? FF_DKIM_ED25519_SHA256 : FF_DKIM_RSA_SHA256;
        char *pem = NULL, *rec = NULL;
        if (ff_dkim_pkey_generate(alg, bits, &pk, &err) != FF_OK ||
            ff_dkim_pkey_pem(pk, &pem, &rec, &err) != FF_OK) {
            fprintf(stderr, "fivefifty dkim: %s\n", err.msg);
            ff_dkim_pkey_free(pk);
            return EXIT_IO;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s.pem", out);
        FILE *f = fopen(path, "w");
        int rc = EXIT_OK;
        if (!f || fputs(pem, f) < 0) {
            fprintf(stderr, "fivefifty dkim: cannot write %s\n", path);
            rc = EXIT_IO;
        }
        if (f)
            fclose(f);
        snprintf(path, sizeof path, "%s.txt", out);
        f = rc == EXIT_OK ? fopen(path, "w") : NULL;
        if (f) {
            fprintf(f, "%s\n", rec);
            fclose(f);
            printf("%s.pem (private key, keep it secret) and %s.txt:\n%s\n", out, out, rec);
        } else if (rc == EXIT_OK) {
            rc = EXIT_IO;
        }
        free(pem);
        free(rec);
        ff_dkim_pkey_free(pk);
        return rc;
    }
    size_t len = 0;
    char *msg = NULL;
    if ((!strcmp(verb, "sign") && key && domain && selector) ||
        (!strcmp(verb, "verify") && (txt || record))) {
        msg = cli_slurp("-", &len);
        if (!msg) {
            fprintf(stderr, "fivefifty dkim: cannot read the message on stdin\n");
            return EXIT_IO;
        }
    } else {
        usage(stderr);
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    if (!strcmp(verb, "sign")) {
        void *pk = NULL;
        if (ff_dkim_pkey_load(key, &pk, &err) != FF_OK) {
            fprintf(stderr, "fivefifty dkim: %s\n", err.msg);
            free(msg);
            return EXIT_IO;
        }
        ff_dkim_signer s = {.domain = domain, .selector = selector, .pkey = pk,
                            .header_canon = strncmp(canon, "simple", 6) ? FF_DKIM_RELAXED
                                                                        : FF_DKIM_SIMPLE,
                            .body_canon = strstr(canon, "/simple") ? FF_DKIM_SIMPLE
                                                                   : FF_DKIM_RELAXED,
                            .oversign = oversign, .timestamp = (int64_t)time(NULL),
                            .body_length = -1};
        if (!strchr(canon, '/'))
            s.body_canon = FF_DKIM_SIMPLE; /* RFC 6376 3.5: "c=relaxed" means relaxed/simple */
        char *h = NULL;
        if (ff_dkim_sign(&s, msg, len, &h, &err) != FF_OK) {
            fprintf(stderr, "fivefifty dkim: %s\n", err.msg);
            rc = EXIT_BADINPUT;
        } else {
            fputs(h, stdout);
            fwrite(msg, 1, len, stdout);
        }
        free(h);
        ff_dkim_pkey_free(pk);
    } else {
        char *rec = NULL;
        if (record) {
            size_t rl;
            rec = cli_slurp(record, &rl);
            if (!rec) {
                fprintf(stderr, "fivefifty dkim: cannot read %s\n", record);
                free(msg);
                return EXIT_IO;
            }
            rec[strcspn(rec, "\r\n")] = '\0';
        }
        txtctx t = {rec ? rec : txt};
        ff_dkim_verdict v[16];
        size_t n = 0;
        ff_dkim_verify(msg, len, lookup, &t, v, 16, &n, &err);
        for (size_t i = 0; i < n; i++) {
            if (json) {
                json_t *j = json_object();
                cli_json_str(j, "result", ff_dkim_result_name(v[i].result));
                cli_json_str(j, "domain", v[i].domain);
                cli_json_str(j, "selector", v[i].selector);
                cli_json_str(j, "reason", v[i].reason);
                cli_json_line(stdout, j);
            } else {
                printf("dkim=%s d=%s s=%s: %s\n", ff_dkim_result_name(v[i].result),
                       v[i].domain, v[i].selector, v[i].reason);
            }
            if (v[i].result != FF_DKIM_PASS)
                rc = EXIT_BADINPUT;
        }
        if (n == 0) {
            printf("dkim=none: the message carries no DKIM-Signature\n");
            rc = EXIT_NOTHING;
        }
        free(rec);
    }
    free(msg);
    return rc;
}
