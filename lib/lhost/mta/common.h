/* common.h - internal: what the MTA scanners under lib/lhost/mta/ share
 *
 * Every MTA writes its bounce as lines of text around the same few facts: a recipient, the
 * reply the remote host gave, the host, and the SMTP command it answered. These helpers
 * hold the parts that do not depend on the MTA: cutting the text before the returned
 * message, finding a reply code and an enhanced status code in free text, naming the SMTP
 * command a phrase refers to, and filling an ff_hit with owned strings.
 *
 * All functions take explicit lengths and never read past them. Strings stored in a hit
 * are malloc'd and owned by the hit (ff_hits_free() releases them).
 */
#ifndef FF_LHOST_MTA_COMMON_H
#define FF_LHOST_MTA_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "lhost.h"

/* How far detect() looks into the text: formats announce themselves in their first lines. */
#define MTA_DETECT_SPAN 2048

/* mta_head() says whether `needle` occurs, exactly as written, in the first
 * MTA_DETECT_SPAN bytes of the bounce text. */
bool mta_head(const ff_mail *m, const char *needle);

/* mta_subject_starts() says whether the Subject header starts with `prefix` (ignoring
 * ASCII case). */
bool mta_subject_starts(const ff_mail *m, const char *prefix);

/* mta_cut() returns the offset of the first line of s[0..len) that, after leading white
 * space, starts with one of `markers` (NULL-terminated list, case-insensitive), or len.
 * Scanners stop there: what follows is the returned message, whose addresses are not
 * recipients of the bounce. */
size_t mta_cut(const char *s, size_t len, const char *const *markers);

/* mta_code_find() returns the first SMTP reply code (2xx, 4xx, 5xx) standing as a token in
 * s[0..len), or 0. A token is three digits not inside a number, an IP address or a status
 * code ("550 ", "550-", "550:", "550" at the end). Unlike ff_reply_code_find() it takes
 * the unregistered codes servers send ("571"), and never a number after '=' (Exim writes
 * "SIZE=222:" just before the reply). Status codes are found with ff_status_find(). */
int mta_code_find(const char *s, size_t len);

/* mta_command() names the SMTP command that a phrase such as "in reply to RCPT TO
 * command", "after end of data" or "did not like our MAIL FROM" refers to: "RCPT",
 * "MAIL", "DATA", "EHLO", "CONN" (the greeting or connection), or NULL. Static string. */
const char *mta_command(const char *s, size_t len);

/* A bounce names a handful of recipients; past this many a scanner adds no more, so a
 * crafted text cannot make it allocate without bound. */
#define MTA_MAX_HITS 1000

/* mta_hit_add() appends a hit whose recipient is the first address in s[0..len) (domain
 * lower-cased). Returns the hit, or NULL with *st = FF_OK when s holds no address or out
 * already holds MTA_MAX_HITS hits, or NULL with *st = FF_ENOMEM. */
ff_hit *mta_hit_add(ff_hits *out, const char *s, size_t len, ff_status *st);

/* mta_set_original() stores the first address of s[0..len) as h's original recipient
 * (the address before aliasing), unless it is the recipient itself. Returns FF_OK or
 * FF_ENOMEM. */
ff_status mta_set_original(ff_hit *h, const char *s, size_t len);

/* mta_set() replaces *dst with a trimmed copy of s[0..len) (the old value is freed).
 * Returns FF_OK or FF_ENOMEM. An empty s leaves *dst unchanged. */
ff_status mta_set(char **dst, const char *s, size_t len);

/* mta_set_diag() stores the unfolded s[0..len) as h's diagnostic, replacing the one
 * before, and sets h's reply code and status code to those found in it (0 and "" when it
 * has none). An empty s changes nothing. Returns FF_OK or FF_ENOMEM. */
ff_status mta_set_diag(ff_hit *h, const char *s, size_t len);

/* mta_set_reply() takes the reply code and status code from s[0..len) (a part of the text
 * known to be the remote reply) where h has none yet. */
void mta_set_reply(ff_hit *h, const char *s, size_t len);

/* mta_set_command() stores the command mta_command() finds in s[0..len), if any and if h
 * has none yet. Returns FF_OK or FF_ENOMEM. */
ff_status mta_set_command(ff_hit *h, const char *s, size_t len);

/* mta_set_host() stores the host name that starts s[0..len) (up to white space, '[', '(',
 * ':' or ','; a trailing dot dropped) as h's remote MTA, unless h has one. */
ff_status mta_set_host(ff_hit *h, const char *s, size_t len);

/* mta_fill() copies remote MTA, command, action, code and status from `from` into every
 * hit of out from index `first` on that lacks them: formats that state a session once for
 * several recipients. Returns FF_OK or FF_ENOMEM. */
ff_status mta_fill(ff_hits *out, size_t first, const ff_hit *from);

/* mta_diag_is_for() says whether a diagnostic d[0..n) that a notice gives once for all
 * the hits out->v[first..] belongs to h: yes, unless it quotes one of those recipients
 * and not h's (then it is that recipient's reply, and one 5.1.1 must not suppress all). */
bool mta_diag_is_for(const char *d, size_t n, const ff_hits *out, size_t first,
                     const ff_hit *h);

/* mta_blank() says whether the line s[0..len) holds only white space. */
bool mta_blank(const char *s, size_t len);

/* mta_indent() returns the number of leading blanks (spaces, tabs) of s[0..len). */
size_t mta_indent(const char *s, size_t len);

#endif
