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
 * All given conditions must hold for a rule to match, and a rule must give at least one
 * (a rule without conditions would shadow every rule after it). Lists ("code", "status",
 * "command", "provider") are separated by spaces or commas; a list condition holds when any
 * of its items does. "status" is compared with the enhanced status given or found in the
 * text (never with the pseudo status the classifier derives); "x" or "*" stands for any
 * class, "*" for any subject or detail, and "none" holds when there is no status at all.
 * Commands are CONN, EHLO (HELO), STARTTLS, AUTH, MAIL, RCPT, DATA, "." (end of data, BDAT
 * LAST too), and NONE, which holds when the command is not known (many bounces never say
 * which command was refused). "text" patterns are compiled with PCRE2_CASELESS | PCRE2_UTF
 * | PCRE2_MATCH_INVALID_UTF (bounce text is not always valid UTF-8) and JIT when the
 * platform has it; a match limit keeps a bad pattern from eating
 * the CPU.
 *
 * A line that starts with white space continues the value above it: for "text" the pieces
 * are joined with nothing (so long alternations can be split after a "|"), for the other
 * keys with one space. A key given twice in one rule, an unknown key, a key outside a
 * section, an id used twice in one file, a bad value or a pattern that does not compile
 * is an error reported as "name:line: why" (with the offset in the pattern for regex
 * errors). Ids may be reused across files: the rule loaded last is tried first.
 */
#ifndef FIVEFIFTY_RULES_H
#define FIVEFIFTY_RULES_H

#include <stddef.h>

#include <stdbool.h>

#include "fivefifty/classify.h"
#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ff_rules ff_rules;

/* ff_rules_builtin() builds a new rule set holding the compiled-in rules. The caller owns
 * *out and releases it with ff_rules_free(). Returns FF_OK, FF_ENOMEM, or FF_EPARSE
 * (a built-in rule is broken: a bug, reported with its id in err). Patterns are compiled
 * before their first match, not here: see ff_rules_check(). */
ff_status ff_rules_builtin(ff_rules **out, ff_error *err);

/* ff_rules_load_file() reads a rules file and puts its rules ahead of those already in
 * `rules`. On error nothing is added, and err says file, line and why. Returns FF_OK,
 * FF_EIO, FF_EPARSE, FF_ENOMEM. */
ff_status ff_rules_load_file(ff_rules *rules, const char *path, ff_error *err);

/* ff_rules_load_buffer() is ff_rules_load_file() on `len` bytes of `data`; `name` is used in
 * messages only. Nothing is borrowed from data. */
ff_status ff_rules_load_buffer(ff_rules *rules, const char *name, const char *data,
                               size_t len, ff_error *err);

/* ff_rules_check() compiles now every pattern of the set that waits for its first match
 * (the built-ins' do), and reports the first that does not compile with its file and line.
 * Not needed before matching: tests use it to prove the built-in rules sound. Returns
 * FF_OK, FF_EPARSE or FF_EINVAL. Safe beside ff_rules_match() on the same set. */
ff_status ff_rules_check(ff_rules *rules, ff_error *err);

/* ff_rules_count() returns the number of rules in the set. */
size_t ff_rules_count(const ff_rules *rules);

/* ff_rules_id() returns the id of the i-th rule in match order (borrowed), or NULL. */
const char *ff_rules_id(const ff_rules *rules, size_t i);

/* ff_rules_free() releases a set; NULL is accepted. */
void ff_rules_free(ff_rules *rules);

/* What a rule is matched against. Pointers are borrowed and may be NULL. */
typedef struct ff_rules_query {
    int code;                /* SMTP reply code, 0 when unknown */
    const char *status;      /* enhanced status ("5.7.26"), NULL or "" when unknown */
    const char *text;        /* reply or diagnostic text, text_len bytes */
    size_t text_len;
    const char *command;     /* "RCPT", "DATA", ... or NULL */
    const char *provider;    /* ff_provider_detect() result, NULL or "" for none */
} ff_rules_query;

/* What the first matching rule says. Pointers are borrowed from the rule set. */
typedef struct ff_rules_hit {
    const char *id;
    ff_reason reason;
    bool has_class, has_side, has_action;  /* false: "auto" / not given */
    ff_class klass;
    ff_side side;
    ff_action action;
    const char *fix;                       /* NULL when the rule gives none */
} ff_rules_hit;

/* ff_rules_match() finds the first rule of `rules` that matches `q`. Cheap conditions
 * (provider, code, status, command) are checked before any pattern runs. Thread-safe on a
 * shared set. Returns FF_OK with *hit filled, FF_ENOTFOUND when no rule matches, FF_EINVAL,
 * or FF_ENOMEM. */
ff_status ff_rules_match(const ff_rules *rules, const ff_rules_query *q, ff_rules_hit *hit);

#ifdef __cplusplus
}
#endif
#endif
