/* cmd_ingest.c - `fivefifty ingest`: later bounces, complaints and auto-replies into the
 * store (man/fivefifty-ingest.1). Reads files, maildirs, mbox files or stdin, so it also
 * works as a Postfix pipe transport: "bounces unix - n n - - pipe
 * user=fivefifty argv=/usr/bin/fivefifty ingest --db /var/lib/fivefifty/ff.db -".
 */
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "env.h"
#include "fivefifty/ingest.h"

const char cmd_ingest_what[] = "decode later bounces and complaints and act on them";

typedef struct ictx {
    cli_env *e;
    ff_ingest_stats stats;
    bool json;
    cli_table t;
    const char *path;
    size_t member;
    char where[4096];
    int fatal;
    char streams[16][64];      /* streams that got complaints or bounces */
    size_t nstreams;
} ictx;

static void report(void *ctx, const ff_ingest_outcome *o)
{
    ictx *c = ctx;
    const ff_bounce_record *r = o->rec;
    if (o->stream && *o->stream && r->decision.reason != FF_REASON_VACATION) {
        size_t k;
        for (k = 0; k < c->nstreams; k++)
            if (!strcmp(c->streams[k], o->stream))
                break;
        if (k == c->nstreams && k < 16)
            snprintf(c->streams[c->nstreams++], sizeof c->streams[0], "%s", o->stream);
    }
    if (c->json) {
        json_t *j = json_object();
        cli_json_str(j, "file", c->path);
        if (c->member)
            json_object_set_new(j, "message", json_integer((json_int_t)c->member));
        cli_json_str(j, "recipient", r->recipient);
        if (o->rcpt_id)
            json_object_set_new(j, "id", json_integer(o->rcpt_id));
        cli_json_str(j, "stream", o->stream);
        cli_json_str(j, "status", r->status);
        cli_json_decision(j, &r->decision);
        cli_json_str(j, "done", o->done);
        cli_json_str(j, "format", r->format);
        cli_json_line(stdout, j);
        return;
    }
    const char *cells[] = {c->where, r->recipient ? r->recipient : "-", o->stream,
                           r->status[0] ? r->status : "-", ff_reason_name(r->decision.reason),
                           o->done};
    cli_table_add(&c->t, cells);
}

static int one(void *ctx, const char *path, size_t member, const char *data, size_t len,
               char **own)
{
    (void)own; /* the message is done with before this returns */
    ictx *c = ctx;
    ff_error err = {0};
    c->path = path;
    c->member = member;
    cli_where(c->where, sizeof c->where, path, member);
    const char *where = c->where;
    ff_status st = ff_ingest_message(c->e->store, c->e->rules, data, len, (int64_t)time(NULL),
                                     &c->stats, report, c, &err);
    if (st == FF_ENOTBOUNCE || st == FF_EPARSE || st == FF_ETOOBIG)
        fprintf(stderr, "fivefifty ingest: %s: %s\n", where, err.msg);
    else if (st != FF_OK) {
        fprintf(stderr, "fivefifty ingest: %s: %s\n", where, err.msg);
        c->fatal = EXIT_IO;
        return 1; /* the store failed: stop, nothing after this would be recorded */
    }
    return 0;
}

int cmd_ingest(int argc, char **argv)
{
    static const struct option lo[] = {
        {"config", required_argument, NULL, 'C'}, {"db", required_argument, NULL, 'D'},
        {"rules", required_argument, NULL, 'r'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *config = NULL, *db = NULL;
    char *rules[16];
    size_t nrules = 0;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'C': config = optarg; break;
        case 'D': db = optarg; break;
        case 'r': if (nrules < 16) rules[nrules++] = optarg; break;
        case 'j': json = true; break;
        case 'h':
            printf("usage: fivefifty ingest [--config FILE] [--db PATH] [--rules FILE] [--json] PATH...|-\n");
            return EXIT_OK;
        default: return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: fivefifty ingest [--db PATH] [--json] PATH...|-\n");
        return EXIT_USAGE;
    }
    cli_env e;
    int rc = cli_env_open(&e, config, db, rules, nrules, true);
    if (rc != EXIT_OK) {
        cli_env_close(&e);
        return rc;
    }
    static const char *head[] = {"FILE", "RECIPIENT", "STREAM", "STATUS", "REASON", "DONE"};
    ictx ic = {.e = &e, .json = json};
    cli_table_init(&ic.t, head, 6);
    size_t io_errors = 0;
    cli_walk(argv + optind, (size_t)(argc - optind), one, &ic, &io_errors, false);
    /* Complaints and late bounces count toward the rates: judge the windows now, so a
     * stream whose complaint rate passed 0.3 % pauses before the next queue pass. */
    for (size_t i = 0; i < ic.nstreams && !ic.fatal; i++) {
        ff_error werr;
        if (ff_queue_window_breakers(e.store, e.cfg, ic.streams[i], NULL, (int64_t)time(NULL),
                                     cli_queue_notice, NULL, &werr) != FF_OK)
            fprintf(stderr, "fivefifty ingest: %s\n", werr.msg);
    }
    if (!json) {
        cli_table_print(stdout, &ic.t, 50);
        ff_ingest_stats *s = &ic.stats;
        printf("\n%zu messages: %zu records (%zu matched to sent mail), %zu suppressed, "
               "%zu complaints, %zu auto-replies, %zu holds; %zu not bounces, %zu broken\n",
               s->messages, s->records, s->matched, s->suppressed, s->complaints,
               s->autoreplies, s->holds, s->not_bounces, s->broken);
    }
    cli_table_free(&ic.t);
    cli_env_close(&e);
    if (ic.fatal)
        return ic.fatal;
    if (io_errors)
        return EXIT_IO;
    return ic.stats.broken ? EXIT_BADINPUT : EXIT_OK;
}
