/* cmd_queue.c - `fivefifty queue list|run|retry|release|delete` (man/fivefifty-queue.1)
 *
 * run makes passes over the queue until nothing is due (or --once), the way a cron job or
 * a systemd timer would call it; --loop keeps going, sleeping between passes, as a
 * minimal daemon.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "fivefifty/dns.h"

const char cmd_queue_what[] = "list, run, retry, release or delete queued mail";

static void usage(FILE *f)
{
    fprintf(f, "usage: fivefifty queue list [--state S] [--json]\n"
               "       fivefifty queue run [--stream S] [--batch N] [--once] [--loop SECONDS]\n"
               "                           [--lease SECONDS] [--resolver IP[:PORT]]\n"
               "                           [--zone FILE] [--mx-port N]\n"
               "       fivefifty queue retry|release|delete ID\n"
               "       fivefifty queue release --stream S [--provider P]\n"
               "  (all take --config FILE --db PATH --rules FILE --json)\n");
}

static volatile sig_atomic_t stop_flag;
static void on_signal(int s)
{
    (void)s;
    stop_flag = 1;
}

static int list(cli_env *e, const char *state, bool json)
{
    ff_queue_item *v = NULL;
    size_t n = 0;
    ff_error err;
    if (ff_store_queue_list(e->store, state, 10000, &v, &n, &err) != FF_OK) {
        fprintf(stderr, "fivefifty queue: %s\n", err.msg);
        return EXIT_IO;
    }
    static const char *head[] = {"ID", "STREAM", "RECIPIENT", "STATE", "ATTEMPTS", "NEXT", "LAST"};
    cli_table t;
    cli_table_init(&t, head, 7);
    for (size_t i = 0; i < n; i++) {
        if (json) {
            json_t *j = json_object();
            json_object_set_new(j, "id", json_integer(v[i].id));
            json_object_set_new(j, "message", json_integer(v[i].msg_id));
            cli_json_str(j, "stream", v[i].stream);
            cli_json_str(j, "recipient", v[i].rcpt);
            cli_json_str(j, "state", v[i].state);
            json_object_set_new(j, "attempts", json_integer(v[i].attempts));
            json_object_set_new(j, "next_attempt", json_integer(v[i].next_attempt));
            cli_json_str(j, "last_reason", v[i].last_reason);
            cli_json_str(j, "message_id", v[i].message_id);
            cli_json_line(stdout, j);
            continue;
        }
        char id[24], att[12], next[32];
        snprintf(id, sizeof id, "%lld", (long long)v[i].id);
        snprintf(att, sizeof att, "%d", v[i].attempts);
        time_t t0 = (time_t)v[i].next_attempt;
        struct tm tm;
        gmtime_r(&t0, &tm);
        strftime(next, sizeof next, "%Y-%m-%d %H:%M:%S", &tm);
        const char *cells[] = {id, v[i].stream, v[i].rcpt, v[i].state, att, next,
                               v[i].last_reason};
        cli_table_add(&t, cells);
    }
    if (!json) {
        cli_table_print(stdout, &t, 50);
        printf("\n%zu recipient%s\n", n, n == 1 ? "" : "s");
    }
    cli_table_free(&t);
    ff_queue_items_free(v, n);
    return EXIT_OK;
}

static int run_queue(cli_env *e, const char *stream, size_t batch, long lease, bool once, int loop,
                     bool json, ff_dns *dns, unsigned mx_port)
{
    static const char *head[] = {"RECIPIENT", "STATE", "STAGE", "CODE", "STATUS", "REASON",
                                 "ACTION", "REPLY"};
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    ff_queue_stats total = {0};
    int rc = EXIT_OK;
    while (!stop_flag) {
        cli_queue_ctx q = {.json = json};
        cli_table_init(&q.table, head, 8);
        ff_queue_opts o = {.cfg = e->cfg, .store = e->store, .rules = e->rules, .stream = stream,
                           .batch = batch, .lease_s = lease, .dns = dns,
                           .mx_port = mx_port, .report = cli_queue_report, .notice = cli_queue_notice,
                           .ctx = &q};
        ff_queue_stats s;
        ff_error err;
        if (ff_queue_run(&o, &s, &err) != FF_OK) {
            fprintf(stderr, "fivefifty queue: %s\n", err.msg);
            rc = EXIT_IO;
            cli_table_free(&q.table);
            break;
        }
        if (!json && q.table.nrows)
            cli_table_print(stdout, &q.table, 60);
        cli_table_free(&q.table);
        total.claimed += s.claimed;
        total.sent += s.sent;
        total.deferred += s.deferred;
        total.failed += s.failed;
        total.suppressed += s.suppressed;
        total.held += s.held;
        total.expired += s.expired;
        if (s.claimed == 0 || once) {
            if (loop <= 0)
                break;
            for (int i = 0; i < loop * 10 && !stop_flag; i++)
                usleep(100000);
        }
    }
    if (!json)
        printf("\n%zu tried: %zu sent, %zu deferred, %zu failed, %zu suppressed, %zu held, "
               "%zu expired\n", total.claimed, total.sent, total.deferred, total.failed,
               total.suppressed, total.held, total.expired);
    return rc;
}

int cmd_queue(int argc, char **argv)
{
    static const struct option lo[] = {
        {"state", required_argument, NULL, 's'},   {"stream", required_argument, NULL, 'S'},
        {"provider", required_argument, NULL, 'p'}, {"batch", required_argument, NULL, 'b'},
        {"once", no_argument, NULL, 'o'},          {"loop", required_argument, NULL, 'l'},
        {"lease", required_argument, NULL, 'L'},
        {"zone", required_argument, NULL, 'z'},    {"mx-port", required_argument, NULL, 'P'},
        {"resolver", required_argument, NULL, 'R'},
        {"config", required_argument, NULL, 'C'},  {"db", required_argument, NULL, 'D'},
        {"rules", required_argument, NULL, 'r'},   {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *state = NULL, *stream = NULL, *provider = NULL, *config = NULL, *db = NULL;
    char *rules[16];
    size_t nrules = 0, batch = 0;
    long lease = 0;
    const char *zone = NULL, *resolver = NULL;
    unsigned mx_port = 0;
    bool once = false, json = false;
    int loop = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's': state = optarg; break;
        case 'S': stream = optarg; break;
        case 'p': provider = optarg; break;
        case 'b': batch = strtoul(optarg, NULL, 10); break;
        case 'o': once = true; break;
        case 'l': loop = atoi(optarg); break;
        case 'L': lease = atol(optarg); break;
        case 'z': zone = optarg; break;
        case 'P': mx_port = (unsigned)atoi(optarg); break;
        case 'R': resolver = optarg; break;
        case 'C': config = optarg; break;
        case 'D': db = optarg; break;
        case 'r': if (nrules < 16) rules[nrules++] = optarg; break;
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
    const char *arg = optind + 1 < argc ? argv[optind + 1] : NULL;
    cli_env e;
    int rc = cli_env_open(&e, config, db, rules, nrules, !strcmp(verb, "run"));
    if (rc != EXIT_OK) {
        cli_env_close(&e);
        return rc;
    }
    ff_error err;
    int64_t now = (int64_t)time(NULL);
    size_t changed = 0;
    if (!strcmp(verb, "list"))
        rc = list(&e, state, json);
    else if (!strcmp(verb, "run")) {
        ff_dns *dns = NULL;
        if (zone) {
            ff_dns_new_zone(&dns, NULL);
            if (!dns || cli_zone_load(dns, zone) == EXIT_IO) {
                ff_dns_free(dns);
                cli_env_close(&e);
                return EXIT_IO;
            }
        } else if (resolver && ff_dns_new_cares(&dns, resolver, 3000, 2, &err) != FF_OK) {
            fprintf(stderr, "fivefifty queue: %s\n", err.msg);
            cli_env_close(&e);
            return EXIT_USAGE;
        }
        rc = run_queue(&e, stream, batch, lease, once, loop, json, dns, mx_port);
        ff_dns_free(dns);
    }
    else if (!strcmp(verb, "retry") || !strcmp(verb, "release") || !strcmp(verb, "delete")) {
        bool del = !strcmp(verb, "delete");
        const char *to = del ? "deleted" : FF_Q_QUEUED;
        const char *from = !strcmp(verb, "release") ? FF_Q_HELD
                           : !strcmp(verb, "retry") ? NULL : NULL;
        ff_status st;
        if (arg)
            st = ff_store_queue_set(e.store, strtoll(arg, NULL, 10), NULL, NULL, from, to, now,
                                    &changed, &err);
        else if (stream && !del)
            st = ff_store_queue_set(e.store, 0, stream, provider, from ? from : FF_Q_DEFERRED, to,
                                    now, &changed, &err);
        else {
            usage(stderr);
            cli_env_close(&e);
            return EXIT_USAGE;
        }
        if (st != FF_OK) {
            fprintf(stderr, "fivefifty queue: %s\n", err.msg);
            rc = EXIT_IO;
        } else
            printf("%zu recipient%s %s\n", changed, changed == 1 ? "" : "s",
                   del ? "deleted" : "due now");
    } else {
        usage(stderr);
        rc = EXIT_USAGE;
    }
    cli_env_close(&e);
    return rc;
}
