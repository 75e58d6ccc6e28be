/* arf.h - Abuse Reporting Format feedback reports (RFC 5965, RFC 6650)
 *
 * ff_arf_parse() reads the body of a message/feedback-report part: "Name: value" fields,
 * folded lines allowed, names case-insensitive. Feedback-Type is required by RFC 5965; a
 * report without one is still read (some providers omit it) and its type is "abuse", the
 * only type most of them send.
 *
 * Pure: bytes in, struct out. Input bounded by FF_ARF_MAX.
 */
#ifndef FIVEFIFTY_ARF_H
#define FIVEFIFTY_ARF_H

#include <stddef.h>

#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_ARF_MAX (1024u * 1024)
#define FF_ARF_RCPT_MAX 1000 /* Original-Rcpt-To fields kept; a report names a handful */

/* Every char * is owned, NUL-terminated, NULL when the report does not carry it. */
typedef struct ff_arf {
    char *feedback_type;      /* lower-cased: abuse, fraud, virus, other, not-spam, auth-failure */
    char *user_agent;
    char *version;
    char *original_mail_from; /* address only */
    char *original_rcpt_to;   /* address only (the first, when several) */
    char **rcpt_to;           /* every Original-Rcpt-To in order (one report may cover a
                                 message several recipients complained about) */
    size_t nrcpt_to;
    char *arrival_date;
    char *source_ip;
    char *reported_domain;
    char *reported_uri;
    char *authentication_results;
    char *reporting_mta;      /* without its "dns;" prefix */
} ff_arf;

/* ff_arf_parse() fills `out` (zeroed first; release with ff_arf_clear() whatever the
 * return). Returns FF_OK when at least one report field was recognised; FF_EPARSE when
 * none was; FF_ETOOBIG past FF_ARF_MAX; FF_EINVAL; FF_ENOMEM. */
ff_status ff_arf_parse(const char *text, size_t len, ff_arf *out, ff_error *err);

void ff_arf_clear(ff_arf *a);

#ifdef __cplusplus
}
#endif
#endif
