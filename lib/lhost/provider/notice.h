/* notice.h - internal: plain-text notices that name recipients and say why in a sentence
 *
 * Many providers (Japanese carriers, 1&1, Zoho, Verizon's MMS gateway) send no DSN, only a
 * short text: one or more addresses, each alone on a line or after a fixed phrase, and a
 * sentence or two saying why. They differ only in how they announce themselves and which
 * phrases they use, so one scanner reads them all from a description of each.
 */
#ifndef FF_LHOST_NOTICE_H
#define FF_LHOST_NOTICE_H

#include <stdbool.h>

#include "lhost.h"

typedef struct ff_notice_format {
    const char *const *from;     /* the From header holds one of these (case-insensitive) */
    const char *const *heads;    /* and the text's first lines one of these; NULL = any */
    const char *const *cuts;     /* lines that start the returned message */
    const char *const *reasons;  /* the reason is the paragraph after one of these; NULL or
                                    not found: every line that names nobody, joined */
    const char *const *prefixes; /* phrases that put a recipient after them on a line
                                    ("Could not be delivered to:"), besides lines that are
                                    an address alone */
    bool addr_then_reason;       /* "a@b reason ..." lines: the rest of the line is that
                                    recipient's own reason (Zoho) */
    bool to_of_original;         /* no address in the notice: the returned message's To:
                                    line after the cut is the recipient (Verizon) */
} ff_notice_format;

/* ff_notice_detect() says whether m is a notice of format f. */
bool ff_notice_detect(const ff_mail *m, const ff_notice_format *f);

/* ff_notice_scan() appends one hit per recipient of m read as format f, each with its
 * diagnostic and dsn_action "failed". Returns FF_OK (even when it found nobody) or
 * FF_ENOMEM. Strings in the hits are owned by them. */
ff_status ff_notice_scan(const ff_mail *m, const ff_notice_format *f, ff_hits *out);

#endif
