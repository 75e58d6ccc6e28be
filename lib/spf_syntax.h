/* spf_syntax.h - the record parser of spf.c, for spf_lint.c (internal)
 *
 * Lint must call a record broken exactly when evaluation does, and say where: one parser,
 * two users.
 */
#ifndef FF_SPF_SYNTAX_H
#define FF_SPF_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>

/* ff_spf_syntax_ok() parses the record `txt` (`len` bytes, starting with "v=spf1") as
 * check_host() would. Returns true when it is valid; else writes what is wrong and at
 * which byte position into `problem` (cap bytes). */
bool ff_spf_syntax_ok(const char *txt, size_t len, char *problem, size_t cap);

#endif
