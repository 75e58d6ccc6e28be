/* cmd_classify.c - `fivefifty classify [TEXT...]`: SMTP replies -> decisions
 *
 * Each argument is one reply; without arguments, each line of stdin is one reply (a
 * multi-line reply can be given on one line, its parts joined by spaces, or as literal
 * "\n" sequences). This is the quickest way for a person or an agent to ask "what does
 * this rejection mean and what do I do?".
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: fivefifty classify [--json] [--rules FILE]... [--command CMD] "
               "[--host HOST] [--recipient ADDR] [TEXT...]\n"
               "Reads one reply per argument, or one per line of standard input.\n");
}

struct opts {
    bool json;
    const char *command, *host, *recipient;
};

/* Turn literal "\n" (two characters) into a line end, so multi-line replies fit a line. */
static size_t unescape(char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '\\' && s[i + 1] == 'n') {
            s[o++] = '\n';
            i++;
        } else if (s[i] == '\\' && s[i + 1] == 'r') {
            i++;
        } else {
            s[o++] = s[i];
        }
    }
    s[o] = '\0';
    return o;
}

static int one(const ff_rules *rules, const struct opts *o, char *text, cli_table *table,
               size_t *bad)
{
    size_t len = unescape(text);
    ff_reply reply = {0};
    ff_status st = ff_reply_parse(text, len, &reply);
    if (st != FF_OK) {
        (*bad)++;
        if (o->json) {
            json_t *e = json_object();
            json_object_set_new(e, "input", json_string(text));
            json_object_set_new(e, "error", json_string(ff_strerror(st)));
            cli_json_line(stdout, e);
        } else {
            fprintf(stderr, "fivefifty: cannot classify \"%s\": %s\n", text, ff_strerror(st));
        }
        return 0;
    }
    ff_classify_input in = {.code = reply.code,
                            .status = reply.status,
                            .text = reply.text,
                            .command = o->command,
                            .remote_host = o->host,
                            .recipient = o->recipient};
    ff_decision d;
    st = ff_classify(rules, &in, &d);
    if (st != FF_OK) {
        ff_reply_clear(&reply);
        (*bad)++;
        fprintf(stderr, "fivefifty: classify: %s\n", ff_strerror(st));
        return 0;
    }
    char code[8];
    snprintf(code, sizeof code, "%d", d.code);
    if (o->json) {
        json_t *j = json_object();
        json_object_set_new(j, "input", json_string(text));
        json_object_set_new(j, "code", d.code ? json_integer(d.code) : json_null());
        json_object_set_new(j, "status", json_string(d.status));
        cli_json_decision(j, &d);
        cli_json_line(stdout, j);
    } else {
        const char *row[] = {d.code ? code : "-", d.status[0] ? d.status : "-",
                             ff_reason_name(d.reason), ff_class_name(d.klass),
                             ff_side_name(d.side), ff_action_name(d.action),
                             d.provider[0] ? d.provider : "-", d.rule[0] ? d.rule : "-",
                             d.fix, text};
        cli_table_add(table, row);
    }
    ff_reply_clear(&reply);
    return 0;
}

const char cmd_classify_what[] = "decide what SMTP replies mean and what to do next";

int cmd_classify(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},       {"rules", required_argument, NULL, 'r'},
        {"command", required_argument, NULL, 'c'}, {"host", required_argument, NULL, 'H'},
        {"recipient", required_argument, NULL, 'R'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct opts o = {0};
    char *rule_files[32];
    size_t nrules = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jr:c:H:R:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': o.json = true; break;
        case 'r':
            if (nrules == sizeof rule_files / sizeof rule_files[0]) {
                fprintf(stderr, "fivefifty: too many --rules files\n");
                return EXIT_USAGE;
            }
            rule_files[nrules++] = optarg;
            break;
        case 'c': o.command = optarg; break;
        case 'H': o.host = optarg; break;
        case 'R': o.recipient = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    ff_rules *rules = cli_rules(rule_files, nrules);
    if (rules == NULL)
        return EXIT_IO;

    static const char *head[] = {"CODE", "STATUS", "REASON", "CLASS", "SIDE",
                                 "ACTION", "PROVIDER", "RULE", "FIX", "INPUT"};
    cli_table table;
    cli_table_init(&table, head, sizeof head / sizeof head[0]);
    size_t bad = 0, n = 0;
    if (optind < argc) {
        for (int i = optind; i < argc; i++, n++)
            one(rules, &o, argv[i], &table, &bad);
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t got;
        while ((got = getline(&line, &cap, stdin)) != -1) {
            while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
                line[--got] = '\0';
            if (got == 0)
                continue;
            one(rules, &o, line, &table, &bad);
            n++;
        }
        free(line);
    }
    if (!o.json) {
        cli_table_print(stdout, &table, 48);
        printf("\n%zu replies classified, %zu not understood\n", n - bad, bad);
    }
    cli_table_free(&table);
    ff_rules_free(rules);
    return bad ? EXIT_BADINPUT : EXIT_OK;
}
