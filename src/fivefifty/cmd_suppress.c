/* cmd_suppress.c - `fivefifty suppress list|add|remove|import|export` (man page alike)
 *
 * add refuses nothing on grounds of reason: a person may suppress anyone. What the engine
 * does on its own is stricter (suppress.h): never for a 5.7.x or sender-side rejection.
 */
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "env.h"
#include "fivefifty/address.h"
#include "fivefifty/suppress.h"

const char cmd_suppress_what[] = "list, add, remove, import or export suppressed addresses";

static void usage(FILE *f)
{
    fprintf(f, "usage: fivefifty suppress list [--stream S] [--json]\n"
               "       fivefifty suppress add ADDR|@DOMAIN [--stream S] [--reason R]\n"
               "       fivefifty suppress remove ADDR|@DOMAIN [--stream S]\n"
               "       fivefifty suppress import FILE.csv|-   /   export [FILE.csv|-]\n"
               "  (all take --config FILE --db PATH)\n");
}

static void bad_line(void *ctx, size_t line, const char *why)
{
    fprintf(stderr, "fivefifty suppress: %s:%zu: %s (skipped)\n", (const char *)ctx, line, why);
}

int cmd_suppress(int argc, char **argv)
{
    static const struct option lo[] = {
        {"stream", required_argument, NULL, 'S'}, {"reason", required_argument, NULL, 'r'},
        {"config", required_argument, NULL, 'C'}, {"db", required_argument, NULL, 'D'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *stream = NULL, *reason = "manual", *config = NULL, *db = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'S': stream = optarg; break;
        case 'r': reason = optarg; break;
        case 'C': config = optarg; break;
        case 'D': db = optarg; break;
        case 'j': json = true; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *verb = argv[optind], *arg = optind + 1 < argc ? argv[optind + 1] : NULL;
    cli_env e;
    int rc = cli_env_open(&e, config, db, NULL, 0, false);
    if (rc != EXIT_OK) {
        cli_env_close(&e);
        return rc;
    }
    ff_error err = {0};
    int64_t now = (int64_t)time(NULL);
    char norm[FF_ADDRESS_MAX];
    if ((!strcmp(verb, "add") || !strcmp(verb, "remove")) && arg) {
        if (arg[0] == '@')
            snprintf(norm, sizeof norm, "@%s", arg + 1);
        else if (ff_address_normalize(arg, norm, &err) != FF_OK) {
            fprintf(stderr, "fivefifty suppress: %s\n", err.msg);
            cli_env_close(&e);
            return EXIT_BADINPUT;
        }
        for (char *p = norm[0] == '@' ? norm : strchr(norm, '@'); p && *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        ff_status st;
        size_t removed = 0;
        if (!strcmp(verb, "add")) {
            ff_suppression s = {.address = norm, .scope = (char *)(stream ? stream : "global"),
                                .reason = (char *)reason, .status = "", .source = "manual",
                                .created = now};
            st = ff_store_suppress_add(e.store, &s, &err);
        } else
            st = ff_store_suppress_remove(e.store, norm, stream, &removed, &err);
        if (st != FF_OK) {
            fprintf(stderr, "fivefifty suppress: %s\n", err.msg);
            rc = EXIT_IO;
        } else if (!strcmp(verb, "add"))
            printf("suppressed %s (%s)\n", norm, stream ? stream : "global");
        else
            printf("%zu entr%s removed for %s\n", removed, removed == 1 ? "y" : "ies", norm);
    } else if (!strcmp(verb, "list")) {
        ff_suppression *v = NULL;
        size_t n = 0;
        if (ff_store_suppress_list(e.store, stream, &v, &n, &err) != FF_OK) {
            fprintf(stderr, "fivefifty suppress: %s\n", err.msg);
            rc = EXIT_IO;
        }
        static const char *head[] = {"ADDRESS", "SCOPE", "REASON", "STATUS", "SOURCE"};
        cli_table t;
        cli_table_init(&t, head, 5);
        for (size_t i = 0; i < n; i++) {
            if (json) {
                json_t *j = json_object();
                cli_json_str(j, "address", v[i].address);
                cli_json_str(j, "scope", v[i].scope);
                cli_json_str(j, "reason", v[i].reason);
                cli_json_str(j, "status", v[i].status);
                cli_json_str(j, "source", v[i].source);
                json_object_set_new(j, "created", json_integer(v[i].created));
                cli_json_line(stdout, j);
            } else {
                const char *cells[] = {v[i].address, v[i].scope, v[i].reason, v[i].status,
                                       v[i].source};
                cli_table_add(&t, cells);
            }
        }
        if (!json) {
            cli_table_print(stdout, &t, 60);
            printf("\n%zu suppressed\n", n);
        }
        cli_table_free(&t);
        ff_suppressions_free(v, n);
    } else if (!strcmp(verb, "export")) {
        FILE *f = !arg || !strcmp(arg, "-") ? stdout : fopen(arg, "w");
        if (!f || ff_suppress_export(e.store, stream, f, &err) != FF_OK) {
            fprintf(stderr, "fivefifty suppress: %s\n", f ? err.msg : "cannot write the file");
            rc = EXIT_IO;
        }
        if (f && f != stdout)
            fclose(f);
    } else if (!strcmp(verb, "import") && arg) {
        FILE *f = !strcmp(arg, "-") ? stdin : fopen(arg, "r");
        size_t added = 0, skipped = 0;
        if (!f) {
            fprintf(stderr, "fivefifty suppress: %s: cannot read\n", arg);
            rc = EXIT_IO;
        } else if (ff_suppress_import(e.store, f, stream ? stream : "global", now, &added,
                                      &skipped, bad_line, (void *)arg, &err) != FF_OK) {
            fprintf(stderr, "fivefifty suppress: %s\n", err.msg);
            rc = EXIT_IO;
        } else {
            printf("%zu imported, %zu skipped\n", added, skipped);
            rc = skipped ? EXIT_BADINPUT : EXIT_OK;
        }
        if (f && f != stdin)
            fclose(f);
    } else {
        usage(stderr);
        rc = EXIT_USAGE;
    }
    cli_env_close(&e);
    return rc;
}
