/* suppress.h - the suppression list's policy and its CSV form
 *
 * The store keeps entries; this module decides what goes in. The rule the whole project
 * rests on: an address is suppressed when it is dead (the classifier's action is
 * "suppress": unknown user, disabled mailbox, domain that does not exist) or when its
 * owner complained, and NEVER for a 5.7.x policy or authentication rejection, a blocklist
 * or a reputation problem: those are the sender's to fix, and suppressing would throw away
 * good recipients.
 *
 * CSV (RFC 4180) columns: address, scope, reason, status, source, created (ISO 8601 UTC).
 * A header line is written on export and skipped on import.
 */
#ifndef FIVEFIFTY_SUPPRESS_H
#define FIVEFIFTY_SUPPRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "fivefifty/classify.h"
#include "fivefifty/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ff_suppress_wanted() says whether decision `d` suppresses an address, and whether
 * domain-wide (hostunknown, notaccept: every address at the domain is dead). */
bool ff_suppress_wanted(const ff_decision *d, bool *domain_wide);

/* ff_suppress_apply() adds the entry `d` calls for (nothing when it calls for none) for
 * `address` (normalised here) in `scope` ("global" or a stream). *added says whether an
 * entry was written. Returns FF_OK, FF_EINVAL (bad address), store errors. */
ff_status ff_suppress_apply(ff_store *s, const char *address, const char *scope,
                            const ff_decision *d, const char *source, int64_t now,
                            bool *added, ff_error *err);

/* ff_suppress_export() writes every entry of `scope` (NULL = all) as CSV to f. */
ff_status ff_suppress_export(ff_store *s, const char *scope, FILE *f, ff_error *err);

/* ff_suppress_import() reads CSV from f and adds each valid line; a broken line is
 * reported through `bad` (its line number and why; may be NULL) and skipped, the rest is
 * imported. *added and *skipped count lines. */
typedef void (*ff_suppress_bad_fn)(void *ctx, size_t line, const char *why);
ff_status ff_suppress_import(ff_store *s, FILE *f, const char *default_scope, int64_t now,
                             size_t *added, size_t *skipped, ff_suppress_bad_fn bad, void *ctx,
                             ff_error *err);

#ifdef __cplusplus
}
#endif
#endif
