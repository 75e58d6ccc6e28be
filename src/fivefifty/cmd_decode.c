/* cmd_decode.c - `fivefifty decode PATH...`: bounces, complaints, auto-replies -> records
 *
 * Paths may be message files, maildirs, directories of messages, mbox files, or "-" for
 * stdin. A message that is broken or no bounce is reported on stderr (as JSON with
 * --json) and the run goes on; stdout carries only records.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: fivefifty decode [--json] [--rules FILE]... [--quiet] PATH...\n"
               "PATH: a message file, an mbox, a maildir, a directory, or - for stdin.\n");
}

struct run {
    const ff_rules *rules;
    bool json, quiet;
    cli_table table;
    cli_progress progress;
    size_t messages, records, notbounce, broken;
    size_t by_reason[FF_REASON__COUNT];
};

static json_t *record_json(const char *where, const ff_bounce_record *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "file", json_string(where));
    cli_json_str(j, "recipient", r->recipient);
    cli_json_str(j, "original_recipient", r->original_recipient);
    cli_json_str(j, "dsn_action", r->dsn_action);
    json_object_set_new(j, "status", json_string(r->status));
    json_object_set_new(j, "code", r->code ? json_integer(r->code) : json_null());
    cli_json_decision(j, &r->decision);
    json_object_set_new(j, "hardbounce",
                        json_boolean(ff_reason_hardbounce(r->decision.reason,
                                                          ff_status_class(r->status))));
    cli_json_str(j, "diagnostic", r->diagnostic);
    cli_json_str(j, "diagnostic_type", r->diagnostic_type);
    cli_json_str(j, "remote_mta", r->remote_mta);
    cli_json_str(j, "reporting_mta", r->reporting_mta);
    cli_json_str(j, "command", r->command);
    cli_json_str(j, "date", r->date);
    cli_json_str(j, "message_id", r->message_id);
    cli_json_str(j, "from", r->from);
    cli_json_str(j, "to", r->to);
    cli_json_str(j, "subject", r->subject);
    cli_json_str(j, "list_id", r->list_id);
    cli_json_str(j, "format", r->format);
    cli_json_str(j, "feedback_type", r->feedback_type);
    cli_json_str(j, "auth_results", r->auth_results);
    return j;
}

static void report(struct run *run, const char *where, ff_status st, const char *msg)
{
    if (run->quiet)
        return;
    if (run->json) {
        json_t *e = json_object();
        json_object_set_new(e, "file", json_string(where));
        json_object_set_new(e, "error", json_string(ff_strerror(st)));
        json_object_set_new(e, "detail", json_string(msg));
        cli_json_line(stderr, e);
    } else {
        fprintf(stderr, "fivefifty: %s: %s%s%s\n", where, ff_strerror(st), *msg ? ": " : "",
                msg);
    }
}

static int one(void *ctx, const char *where, const char *data, size_t len)
{
    struct run *run = ctx;
    ff_bounce b;
    ff_error err = {0};
    ff_status st = ff_decode(run->rules, data, len, &b, &err);
    run->messages++;
    cli_progress_step(&run->progress);
    if (st == FF_ENOTBOUNCE) {
        run->notbounce++;
        report(run, where, st, err.msg);
    } else if (st != FF_OK) {
        run->broken++;
        report(run, where, st, err.msg);
    }
    for (size_t i = 0; i < b.n; i++) {
        const ff_bounce_record *r = &b.recs[i];
        run->records++;
        run->by_reason[r->decision.reason]++;
        if (run->json) {
            cli_json_line(stdout, record_json(where, r));
            continue;
        }
        char code[8];
        snprintf(code, sizeof code, "%d", r->code);
        const char *row[] = {where,
                             r->recipient ? r->recipient : "-",
                             r->status[0] ? r->status : "-",
                             r->code ? code : "-",
                             ff_reason_name(r->decision.reason),
                             ff_class_name(r->decision.klass),
                             ff_action_name(r->decision.action),
                             r->format ? r->format : "-"};
        cli_table_add(&run->table, row);
    }
    ff_bounce_clear(&b);
    return 0;
}

static void summary(const struct run *run, size_t io_errors)
{
    printf("\n%zu messages: %zu records, %zu not bounces, %zu broken, %zu unreadable paths\n",
           run->messages, run->records, run->notbounce, run->broken, io_errors);
    if (run->records == 0)
        return;
    printf("by reason:");
    for (int r = 0; r < FF_REASON__COUNT; r++)
        if (run->by_reason[r])
            printf(" %s %zu", ff_reason_name((ff_reason)r), run->by_reason[r]);
    printf("\n");
}

const char cmd_decode_what[] = "decode bounces, complaints and auto-replies";

int cmd_decode(int argc, char **argv)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"rules", required_argument, NULL, 'r'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct run run = {0};
    char *rule_files[32];
    size_t nrules = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jr:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': run.json = true; break;
        case 'q': run.quiet = true; break;
        case 'r':
            if (nrules == sizeof rule_files / sizeof rule_files[0]) {
                fprintf(stderr, "fivefifty: too many --rules files\n");
                return EXIT_USAGE;
            }
            rule_files[nrules++] = optarg;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    ff_rules *rules = cli_rules(rule_files, nrules);
    if (rules == NULL)
        return EXIT_IO;
    run.rules = rules;

    static const char *head[] = {"FILE", "RECIPIENT", "STATUS", "CODE",
                                 "REASON", "CLASS", "ACTION", "FORMAT"};
    cli_table_init(&run.table, head, sizeof head / sizeof head[0]);
    char **paths = argv + optind;
    size_t npaths = (size_t)(argc - optind), io_errors = 0, ignored = 0;
    size_t total = 0;
    if (!run.json)
        total = cli_walk(paths, npaths, NULL, NULL, &ignored, true);
    cli_progress_start(&run.progress, total, !run.json);
    cli_walk(paths, npaths, one, &run, &io_errors, false);
    cli_progress_end(&run.progress);
    if (!run.json) {
        cli_table_print(stdout, &run.table, 40);
        summary(&run, io_errors);
    }
    cli_table_free(&run.table);
    ff_rules_free(rules);
    if (io_errors)
        return EXIT_IO;
    if (run.broken)
        return EXIT_BADINPUT;
    return run.records == 0 ? EXIT_NOTHING : EXIT_OK;
}
