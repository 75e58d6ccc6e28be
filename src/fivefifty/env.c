/* env.c - open configuration, store and rules for the sending commands (see env.h) */
#include "env.h"

#include <stdlib.h>
#include <string.h>

int cli_env_open(cli_env *e, const char *config, const char *db, char **rules, size_t nrules,
                 bool want_rules)
{
    memset(e, 0, sizeof *e);
    ff_error err = {0};
    if (!config)
        config = getenv("FIVEFIFTY_CONFIG");
    if (ff_config_load(config && *config ? config : NULL, &e->cfg, &err) != FF_OK) {
        fprintf(stderr, "fivefifty: %s\n", err.msg);
        return err.code == FF_EPARSE ? EXIT_USAGE : EXIT_IO;
    }
    if (!db)
        db = getenv("FIVEFIFTY_DB");
    if (!db || !*db)
        db = e->cfg->db ? e->cfg->db : "fivefifty.db";
    if (ff_store_open(db, &e->store, &err) != FF_OK) {
        fprintf(stderr, "fivefifty: %s\n", err.msg);
        return EXIT_IO;
    }
    if (want_rules && !(e->rules = cli_rules(rules, nrules)))
        return EXIT_IO;
    return EXIT_OK;
}

void cli_env_close(cli_env *e)
{
    ff_rules_free(e->rules);
    ff_store_close(e->store);
    ff_config_free(e->cfg);
    memset(e, 0, sizeof *e);
}

void cli_queue_report(void *ctx, const ff_queue_outcome *o)
{
    cli_queue_ctx *q = ctx;
    const ff_decision *d = o->decision;
    char code[8] = "-";
    if (o->code)
        snprintf(code, sizeof code, "%d", o->code);
    if (q->json) {
        json_t *j = json_object();
        json_object_set_new(j, "id", json_integer(o->item->id));
        cli_json_str(j, "stream", o->item->stream);
        cli_json_str(j, "recipient", o->item->rcpt);
        cli_json_str(j, "state", o->new_state);
        cli_json_str(j, "stage", o->stage);
        cli_json_str(j, "remote", o->remote);
        if (o->code)
            json_object_set_new(j, "code", json_integer(o->code));
        cli_json_str(j, "reply", o->reply);
        if (d) {
            cli_json_str(j, "status", d->status);
            cli_json_decision(j, d);
        }
        cli_json_line(stdout, j);
        return;
    }
    const char *cells[] = {o->item->rcpt, o->new_state, o->stage, code,
                           d ? d->status : "-", d ? ff_reason_name(d->reason) : "-",
                           d ? ff_action_name(d->action) : "-", o->reply ? o->reply : ""};
    cli_table_add(&q->table, cells);
}

void cli_queue_notice(void *ctx, const char *stream, const char *provider, const char *state,
                      const char *why)
{
    (void)ctx;
    fprintf(stderr, "fivefifty: stream %s%s%s %s %s: %s\n", stream, *provider ? " toward " : "",
            provider, strcmp(state, "warned") ? "is now" : "is", state, why);
}
