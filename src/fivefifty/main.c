/* main.c - fivefifty(1): dispatch to one subcommand per file
 *
 * Every subcommand takes --json and prints one JSON object per line with it, a table
 * for a person without it. See man/fivefifty.1 for commands and exit codes.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands_table.h"


static void usage(FILE *f)
{
    fprintf(f, "usage: fivefifty COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cli_commands / sizeof cli_commands[0]; i++)
        fprintf(f, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].what);
    fprintf(f, "\n'fivefifty COMMAND --help' for a command's options; man fivefifty.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("fivefifty %s\n", FF_VERSION);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof cli_commands / sizeof cli_commands[0]; i++)
        if (strcmp(argv[1], cli_commands[i].name) == 0)
            return cli_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "fivefifty: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
