/* cli.h - what the subcommands of the fivefifty CLI share
 *
 * The CLI is a thin shell over libfivefifty: each subcommand is one file (cmd_*.c) that
 * parses its options, calls the library and prints through the helpers declared here.
 * Exit codes are documented in man/fivefifty.1 and must stay stable.
 */
#ifndef FF_CLI_H
#define FF_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "fivefifty/fivefifty.h"

enum {
    EXIT_OK = 0,        /* everything was handled */
    EXIT_BADINPUT = 1,  /* some input could not be parsed; the rest was handled */
    EXIT_USAGE = 2,     /* wrong options or arguments */
    EXIT_IO = 3,        /* a file could not be read, or a rules file is broken */
    EXIT_NOTHING = 4    /* decode: no input message reported anything */
};

/* One subcommand: cmd_NAME.c defines `int cmd_NAME(int argc, char **argv)` (argv[0] is
 * the command's name) and `const char cmd_NAME_what[]`, a one-line description for the
 * usage text. The table is generated (commands.h) from the files present. */
struct cli_command {
    const char *name;
    int (*run)(int, char **);
    const char *what;
};

#include "commands.h"

/* Load the built-in rules plus each --rules file, in the order given (later files win).
 * Prints the error and returns NULL on failure. */
ff_rules *cli_rules(char **files, size_t nfiles);

/* Print a JSON object as one line on `f` and release it. */
void cli_json_line(FILE *f, json_t *obj);

/* Set a string member only when `v` is non-NULL and non-empty. */
void cli_json_str(json_t *obj, const char *key, const char *v);

/* The decision's fields (reason, class, side, action, provider, rule, fix) into `obj`. */
void cli_json_decision(json_t *obj, const ff_decision *d);

/* JSON lines written straight into a growing buffer (jsonw.c): the same bytes as a
 * compact, order-preserving jansson dump, for output written by the million. Begin a
 * line, add members, end it; w->p (malloc'd, the caller frees) holds every line so far,
 * w->oom says an append was lost. String members whose value is NULL (or not valid UTF-8,
 * which jansson refuses) are left out; _opt ones also when empty. */
typedef struct cli_jw {
    char *p;
    size_t n, cap, members;
    bool oom;
} cli_jw;

void cli_jw_begin(cli_jw *w);
void cli_jw_str(cli_jw *w, const char *key, const char *v);
void cli_jw_str_opt(cli_jw *w, const char *key, const char *v);
void cli_jw_int(cli_jw *w, const char *key, long long v);
void cli_jw_null(cli_jw *w, const char *key);
void cli_jw_bool(cli_jw *w, const char *key, bool v);
void cli_jw_end(cli_jw *w);

/* An aligned text table: add rows of `ncols` cells, then print with column widths capped
 * at `max` (longer cells are cut with an ellipsis). Cells are copied. */
typedef struct cli_table {
    size_t ncols, nrows, cap;
    char **cells;
    const char **head;
} cli_table;

void cli_table_init(cli_table *t, const char **head, size_t ncols);
void cli_table_add(cli_table *t, const char **cells);
void cli_table_print(FILE *f, const cli_table *t, size_t max);
void cli_table_free(cli_table *t);

/* A progress bar on stderr, drawn only when stderr is a terminal and the total is large. */
typedef struct cli_progress {
    bool on;
    size_t done, total;
} cli_progress;

void cli_progress_start(cli_progress *p, size_t total, bool wanted);
void cli_progress_step(cli_progress *p);
void cli_progress_end(cli_progress *p);

/* Load a zone file into a zone resolver (see zonefile.c). Prints what is wrong; returns
 * EXIT_OK, EXIT_BADINPUT (some line was bad, the rest loaded) or EXIT_IO. */
struct ff_dns;
int cli_zone_load(struct ff_dns *dns, const char *path);

/* Read a whole file ("-" is stdin) into a malloc'd buffer. Returns NULL with errno set. */
char *cli_slurp(const char *path, size_t *len);

/* One message found by walking the inputs: a file, a maildir entry, or an mbox member.
 * `path` is the file it came from; `member` is its 1-based place in an mbox that holds
 * several, 0 when the file is the message. When the message is a whole file, *own is the
 * malloc'd buffer holding it (data, with a NUL at data[len]): the callee may keep it and
 * set *own to NULL, saving a copy; otherwise the walk frees it. `own` is NULL for an mbox
 * member. */
typedef int (*cli_message_fn)(void *ctx, const char *path, size_t member, const char *data,
                              size_t len, char **own);

/* The name of a message for people: the path, with "#N" for an mbox member. */
void cli_where(char *out, size_t cap, const char *path, size_t member);

/* Walk PATH arguments: a file (an mbox when it starts with "From "), a maildir (cur/ and
 * new/), a directory of message files, or "-" for stdin. Calls fn per message; stops early
 * when fn returns non-zero. Counts unreadable paths in *io_errors (message on stderr).
 * With count_only, fn is not called and the number of messages is returned. */
size_t cli_walk(char **paths, size_t npaths, cli_message_fn fn, void *ctx,
                size_t *io_errors, bool count_only);

#endif
