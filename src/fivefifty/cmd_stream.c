/* cmd_stream.c - `fivefifty stream list|pause|resume` (man/fivefifty-stream.1)
 *
 * resume is how a person says "fixed": the stream (or the stream toward one provider)
 * becomes active again and the mail it held is due at once.
 */
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "env.h"

const char cmd_stream_what[] = "list streams and their state; pause or resume one";

static void usage(FILE *f)
{
    fprintf(f, "usage: fivefifty stream list [--json]\n"
               "       fivefifty stream pause NAME [--provider P] [--why TEXT]\n"
               "       fivefifty stream resume NAME [--provider P]\n"
               "  (all take --config FILE --db PATH)\n");
}

static const char *const known_providers[] = {"", "gmail", "microsoft", "yahoo", "apple",
                                              "proofpoint", "mimecast", "barracuda", NULL};

int cmd_stream(int argc, char **argv)
{
    static const struct option lo[] = {
        {"provider", required_argument, NULL, 'p'}, {"why", required_argument, NULL, 'w'},
        {"config", required_argument, NULL, 'C'},   {"db", required_argument, NULL, 'D'},
        {"json", no_argument, NULL, 'j'},           {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *provider = "", *why = "paused by a person", *config = NULL, *db = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'p': provider = optarg; break;
        case 'w': why = optarg; break;
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
    const char *verb = argv[optind], *name = optind + 1 < argc ? argv[optind + 1] : NULL;
    cli_env e;
    int rc = cli_env_open(&e, config, db, NULL, 0, false);
    if (rc != EXIT_OK) {
        cli_env_close(&e);
        return rc;
    }
    ff_error err;
    int64_t now = (int64_t)time(NULL);
    if (!strcmp(verb, "list")) {
        static const char *head[] = {"STREAM", "PROVIDER", "STATE", "ROUTE", "SENT 24H",
                                     "HARD 24H", "WHY"};
        cli_table t;
        cli_table_init(&t, head, 7);
        for (size_t i = 0; i < e.cfg->nstreams; i++) {
            const ff_stream_cfg *sc = &e.cfg->streams[i];
            for (size_t p = 0; known_providers[p]; p++) {
                ff_stream_state ss;
                ff_counts cnt;
                ff_store_state_get(e.store, sc->name, known_providers[p], &ss, NULL);
                ff_store_counts(e.store, sc->name, *known_providers[p] ? known_providers[p] : NULL,
                                now - 86400, &cnt, NULL);
                if (p > 0 && !strcmp(ss.state, "active") && !cnt.sent)
                    continue;
                char route[300], sent[24], hard[24];
                if (sc->route == FF_ROUTE_RELAY)
                    snprintf(route, sizeof route, "smtp://%s:%u", sc->relay_host, sc->relay_port);
                else
                    snprintf(route, sizeof route, "mx");
                snprintf(sent, sizeof sent, "%llu", (unsigned long long)cnt.sent);
                snprintf(hard, sizeof hard, "%llu", (unsigned long long)cnt.hard);
                if (json) {
                    json_t *j = json_object();
                    cli_json_str(j, "stream", sc->name);
                    cli_json_str(j, "provider", known_providers[p]);
                    cli_json_str(j, "state", ss.state);
                    cli_json_str(j, "route", p ? NULL : route);
                    json_object_set_new(j, "sent_24h", json_integer((json_int_t)cnt.sent));
                    json_object_set_new(j, "hard_24h", json_integer((json_int_t)cnt.hard));
                    cli_json_str(j, "why", ss.why);
                    cli_json_line(stdout, j);
                } else {
                    const char *cells[] = {sc->name, *known_providers[p] ? known_providers[p] : "*",
                                           ss.state, p ? "" : route, sent, hard, ss.why};
                    cli_table_add(&t, cells);
                }
            }
        }
        if (!json)
            cli_table_print(stdout, &t, 70);
        cli_table_free(&t);
    } else if ((!strcmp(verb, "pause") || !strcmp(verb, "resume")) && name) {
        if (!ff_config_stream(e.cfg, name)) {
            fprintf(stderr, "fivefifty stream: no stream '%s'\n", name);
            cli_env_close(&e);
            return EXIT_USAGE;
        }
        bool pause = !strcmp(verb, "pause");
        ff_status st = ff_store_state_set(e.store, name, provider, pause ? "paused" : "active",
                                          pause ? why : "resumed by a person", now, 0, &err);
        size_t released = 0;
        if (st == FF_OK && !pause)
            st = ff_store_queue_set(e.store, 0, name, *provider ? provider : NULL, FF_Q_HELD,
                                    FF_Q_QUEUED, now, &released, &err);
        if (st != FF_OK) {
            fprintf(stderr, "fivefifty stream: %s\n", err.msg);
            rc = EXIT_IO;
        } else if (pause)
            printf("stream %s%s%s paused\n", name, *provider ? " toward " : "", provider);
        else
            printf("stream %s%s%s active; %zu held recipient%s due now\n", name,
                   *provider ? " toward " : "", provider, released, released == 1 ? "" : "s");
    } else {
        usage(stderr);
        rc = EXIT_USAGE;
    }
    cli_env_close(&e);
    return rc;
}
