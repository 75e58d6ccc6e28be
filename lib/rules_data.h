/* rules_data.h - internal: the built-in rule files, embedded by tools/embed_rules.py */
#ifndef FF_RULES_DATA_H
#define FF_RULES_DATA_H

#include <stddef.h>

typedef struct ff_rules_file {
    const char *name; /* "10-gmail.rules" */
    const char *text;
    size_t len;
} ff_rules_file;

extern const ff_rules_file ff_rules_files[];
extern const size_t ff_rules_nfiles;

#endif
