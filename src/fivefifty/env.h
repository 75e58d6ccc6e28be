/* env.h - what the sending commands share: configuration, store and rules, opened once
 *
 * --config FILE (or FIVEFIFTY_CONFIG) and --db PATH (or FIVEFIFTY_DB, or the
 * configuration's db, or ./fivefifty.db) pick them; --rules FILE adds user rules.
 */
#ifndef FF_CLI_ENV_H
#define FF_CLI_ENV_H

#include "cli.h"
#include "fivefifty/config.h"
#include "fivefifty/queue.h"
#include "fivefifty/store.h"

typedef struct cli_env {
    ff_config *cfg;
    ff_store *store;
    ff_rules *rules;
} cli_env;

/* cli_env_open() opens all three (rules only when want_rules). Prints what went wrong and
 * returns an exit code (EXIT_OK on success). Release with cli_env_close() either way. */
int cli_env_open(cli_env *e, const char *config, const char *db, char **rules, size_t nrules,
                 bool want_rules);
void cli_env_close(cli_env *e);

/* The queue runner's per-recipient report, as a table row or a JSON line. */
void cli_queue_report(void *ctx, const ff_queue_outcome *o);
/* The runner's notices about stream and provider states, on stderr. */
void cli_queue_notice(void *ctx, const char *stream, const char *provider, const char *state,
                      const char *why);

typedef struct cli_queue_ctx {
    bool json;
    cli_table table;
} cli_queue_ctx;

#endif
