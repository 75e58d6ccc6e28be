/* lhost.h - internal: the human-readable bounces of MTAs, providers and gateways
 *
 * Each format is one file under lib/lhost/ with one ff_lhost entry: a cheap detect()
 * on headers and text, and a scan() that finds recipients and their diagnostic text.
 * Scanners describe formats (the lines an MTA writes), never single files. They do not
 * decide reasons: the text they return goes through ff_classify() like any reply.
 *
 * decode.c calls them in table order: for a message with an RFC 3464 part it uses the
 * matching scanner only to fill in what the DSN lacks (a diagnostic, a command); for a
 * message without one, the first scanner that detects and finds recipients wins.
 */
#ifndef FF_LHOST_H
#define FF_LHOST_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/error.h"
#include "fivefifty/status.h"
#include "mail.h"

/* One recipient found in a text bounce. Strings are owned (malloc'd), NULL when unknown.
 * A hit without a recipient is a failure the text states without naming anyone (Sendmail
 * V5's "HOST (smtp)... Deferred"): it must carry a diagnostic, and decode.c gives it the
 * returned message's recipient when that message was sent to one address. */
typedef struct ff_hit {
    char *recipient;
    char *diagnostic;    /* whole, unfolded */
    char *remote_mta;
    char *command;       /* "RCPT", "DATA", "MAIL", "CONN", "EHLO", ... */
    char *dsn_action;    /* "failed", "delayed" (or "delivered") when the text says */
    int code;
    char status[FF_STATUS_MAX];
    char *original_recipient; /* the address before aliasing ("expanded from <x>"), which
                                 a DSN may give as Final-Recipient instead */
    char *reporting_mta; /* the MTA that wrote the report, when the text names it (an
                            Amazon SES notification's reportingMTA) */
} ff_hit;

typedef struct ff_hits {
    ff_hit *v;
    size_t n, cap;
} ff_hits;

/* ff_hits_push() appends a zeroed hit and returns it (owned by hits), or NULL on ENOMEM. */
ff_hit *ff_hits_push(ff_hits *hits);
/* ff_hits_free() releases every hit and the array; NULL is accepted. */
void ff_hits_free(ff_hits *hits);

typedef struct ff_lhost {
    const char *name;                                  /* "postfix", "exim", ... */
    bool (*detect)(const ff_mail *m);
    ff_status (*scan)(const ff_mail *m, ff_hits *out); /* appends; FF_OK even if none */
} ff_lhost;

/* ff_lhost_table() returns the scanners in the order they are tried, and their count. */
const ff_lhost *const *ff_lhost_table(size_t *n);

#endif
