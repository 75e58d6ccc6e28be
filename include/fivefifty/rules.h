/* rules.h - classification rules: data files compiled in, plus the user's own
 *
 * Rules are data, reviewed like code. The built-in files live in lib/rules/ (NN-name.rules) and are
 * compiled into the library; a user adds theirs at run time (`--rules FILE`), and theirs
 * are tried first. The first rule that matches decides.
 *
 * File format (UTF-8 text; '#' starts a comment line):
 *
 *   [gmail.dmarc-fail]                 rule id, unique in the set
 *   provider = gmail                   optional: only when this provider is detected
 *   code     = 550 554 5xx             optional: reply codes, or classes as "4xx"/"5xx"
 *   status   = 5.7.26 x.7.26 5.7.*     optional: enhanced codes; x = any class, * = any
 *   text     = DMARC .* policy         optional: PCRE2 pattern, caseless, on the text
 *   command  = RCPT DATA               optional: the SMTP command answered
 *   reason   = authfailure             required: one of the 36 reason names
 *   class    = hard|soft|none|auto     optional: default auto (from code/status/DSN action)
 *   side     = sender                  optional: default from the reason
 *   action   = hold                    optional: default from the reason and class
 *   fix      = Publish ... (one line)  optional: default from the reason
 *
 * All given conditions must hold for a rule to match.
 */
#ifndef FIVEFIFTY_RULES_H
#define FIVEFIFTY_RULES_H

#include <stddef.h>

#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ff_rules ff_rules;

/* ff_rules_builtin() builds a new rule set holding the compiled-in rules. The caller owns
 * *out and releases it with ff_rules_free(). Returns FF_OK, FF_ENOMEM, or FF_EPARSE
 * (a built-in rule is broken: a bug, reported with its id in err). */
ff_status ff_rules_builtin(ff_rules **out, ff_error *err);

/* ff_rules_load_file() reads a rules file and puts its rules ahead of those already in
 * `rules`. On error nothing is added, and err says file, line and why. Returns FF_OK,
 * FF_EIO, FF_EPARSE, FF_ENOMEM. */
ff_status ff_rules_load_file(ff_rules *rules, const char *path, ff_error *err);

/* ff_rules_load_buffer() is ff_rules_load_file() on `len` bytes of `data`; `name` is used in
 * messages only. Nothing is borrowed from data. */
ff_status ff_rules_load_buffer(ff_rules *rules, const char *name, const char *data,
                               size_t len, ff_error *err);

/* ff_rules_count() returns the number of rules in the set. */
size_t ff_rules_count(const ff_rules *rules);

/* ff_rules_id() returns the id of the i-th rule in match order (borrowed), or NULL. */
const char *ff_rules_id(const ff_rules *rules, size_t i);

/* ff_rules_free() releases a set; NULL is accepted. */
void ff_rules_free(ff_rules *rules);

#ifdef __cplusplus
}
#endif
#endif
