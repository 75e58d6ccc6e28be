/* reply.h - SMTP replies (RFC 5321 section 4.2) with their enhanced status (RFC 2034)
 *
 * ff_reply_parse() reads one reply, single or multi-line, from `text` (`len` bytes, need
 * not be NUL-terminated, CRLF or LF line ends). Continuation lines ("550-5.7.26 ...") are
 * joined with one space, and the repeated code and status at the start of each line are
 * dropped from the joined text. The enhanced status is taken from the first line that
 * carries one right after the code; failing that, from anywhere in the text
 * (status_in_text is then true). Input that is only free text (a diagnostic with no
 * reply code) parses too: code is then 0.
 *
 * Provider markers are the short tags big receivers put into replies so a postmaster can
 * look them up: Yahoo's "[TS02]", Microsoft's "AS(201806281)" and "S3150", gateway
 * codes such as "MIMECAST_POLICY_VIOLATION" or "BARRACUDA_...". They are kept as found.
 *
 * Ownership: `out` borrows nothing from `text`; release it with ff_reply_clear().
 * Returns FF_OK; FF_EPARSE when the input is empty or holds no printable text (out is then
 * cleared); FF_ETOOBIG when len exceeds FF_REPLY_MAX; FF_ENOMEM.
 */
#ifndef FIVEFIFTY_REPLY_H
#define FIVEFIFTY_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/error.h"
#include "fivefifty/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_REPLY_MAX (1024 * 1024)
#define FF_REPLY_MARKERS 4
#define FF_REPLY_MARKER_LEN 48

typedef struct ff_reply {
    int code;                      /* 200-599, 0 when the text carries no reply code */
    char status[FF_STATUS_MAX];    /* "5.7.26", "" when none */
    bool status_in_text;           /* status found in the text, not after the code */
    bool classes_disagree;         /* code class and status class differ (550 with 4.x.x) */
    char *text;                    /* joined text without codes, NUL-terminated; owned */
    size_t text_len;
    size_t nmarkers;
    char markers[FF_REPLY_MARKERS][FF_REPLY_MARKER_LEN];
} ff_reply;

ff_status ff_reply_parse(const char *text, size_t len, ff_reply *out);

/* ff_reply_clear() frees what `r` owns and zeroes it; NULL is accepted. */
void ff_reply_clear(ff_reply *r);

/* ff_reply_code_find() finds a three-digit SMTP reply code (2xx/4xx/5xx) that stands as a
 * token in free text, such as a diagnostic "host said: 550 ..." line, and returns it, or 0. */
int ff_reply_code_find(const char *text, size_t len);

#ifdef __cplusplus
}
#endif
#endif
