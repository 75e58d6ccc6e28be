/* rules_opt.c - the --rules option every deciding subcommand shares */
#include "cli.h"

ff_rules *cli_rules(char **files, size_t nfiles)
{
    ff_rules *rules = NULL;
    ff_error err = {0};
    if (ff_rules_builtin(&rules, &err) != FF_OK) {
        fprintf(stderr, "fivefifty: built-in rules: %s\n", err.msg);
        return NULL;
    }
    for (size_t i = 0; i < nfiles; i++) {
        if (ff_rules_load_file(rules, files[i], &err) != FF_OK) {
            fprintf(stderr, "fivefifty: %s\n", err.msg);
            ff_rules_free(rules);
            return NULL;
        }
    }
    return rules;
}
