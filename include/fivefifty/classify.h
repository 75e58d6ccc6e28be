/* classify.h - the decision engine: reply code + enhanced status + text + provider
 *              -> reason, class, side, action, fix
 *
 * This is the one place where DESIGN.md's decision table lives. Synchronous SMTP replies
 * and decoded bounces both come here (ff_classify), so they can never disagree.
 *
 * Reasons carry Sisimai's 36 names, lower case, so users can move from Sisimai without a
 * mapping ("speeding" is accepted as an alias of ratelimited when reading names).
 */
#ifndef FIVEFIFTY_CLASSIFY_H
#define FIVEFIFTY_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/error.h"
#include "fivefifty/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ff_reason {
    FF_REASON_UNDEFINED = 0,
    FF_REASON_AUTHFAILURE,
    FF_REASON_BADREPUTATION,
    FF_REASON_BLOCKED,
    FF_REASON_CONTENTERROR,
    FF_REASON_DELIVERED,
    FF_REASON_EXCEEDLIMIT,
    FF_REASON_EXPIRED,
    FF_REASON_FAILEDSTARTTLS,
    FF_REASON_FEEDBACK,
    FF_REASON_FILTERED,
    FF_REASON_HASMOVED,
    FF_REASON_HOSTUNKNOWN,
    FF_REASON_MAILBOXFULL,
    FF_REASON_MAILERERROR,
    FF_REASON_MESGTOOBIG,
    FF_REASON_NETWORKERROR,
    FF_REASON_NORELAYING,
    FF_REASON_NOTACCEPT,
    FF_REASON_NOTCOMPLIANTRFC,
    FF_REASON_ONHOLD,
    FF_REASON_POLICYVIOLATION,
    FF_REASON_RATELIMITED,
    FF_REASON_REJECTED,
    FF_REASON_REQUIREPTR,
    FF_REASON_SECURITYERROR,
    FF_REASON_SPAMDETECTED,
    FF_REASON_SUPPRESSED,
    FF_REASON_SUSPEND,
    FF_REASON_SYNTAXERROR,
    FF_REASON_SYSTEMERROR,
    FF_REASON_SYSTEMFULL,
    FF_REASON_TOOMANYCONN,
    FF_REASON_USERUNKNOWN,
    FF_REASON_VACATION,
    FF_REASON_VIRUSDETECTED,
    FF_REASON__COUNT
} ff_reason;

/* Permanence of the failure: hard = permanent (5xx), soft = temporary (4xx), none = not a
 * failure (delivered, vacation, feedback). */
typedef enum ff_class { FF_CLASS_NONE = 0, FF_CLASS_SOFT, FF_CLASS_HARD } ff_class;

/* Whose side must change for the mail to go through. */
typedef enum ff_side {
    FF_SIDE_UNKNOWN = 0,
    FF_SIDE_RECIPIENT, /* the address or the receiving system */
    FF_SIDE_SENDER,    /* the sender's infrastructure: SPF, DKIM, DMARC, IP, relay, volume */
    FF_SIDE_CONTENT    /* the message itself: size, spam, virus, format */
} ff_side;

/* What fivefifty does next. */
typedef enum ff_action {
    FF_ACTION_NONE = 0,
    FF_ACTION_SUPPRESS, /* never send to this address (or domain) again */
    FF_ACTION_RETRY,    /* try again later with backoff */
    FF_ACTION_THROTTLE, /* slow the (stream, provider) pair down, then retry */
    FF_ACTION_HOLD,     /* park mail of the stream toward that provider; fix the sender */
    FF_ACTION_STOP      /* park the whole stream; a human must act */
} ff_action;

const char *ff_reason_name(ff_reason r);   /* static, never NULL */
const char *ff_class_name(ff_class c);     /* "hard", "soft", "none" */
const char *ff_side_name(ff_side s);       /* "recipient", "sender", "content", "unknown" */
const char *ff_action_name(ff_action a);   /* "suppress", "retry", ... */

/* Name -> value; accept lower or upper case, and "speeding" for ratelimited.
 * Return FF_OK or FF_ENOTFOUND. */
ff_status ff_reason_from_name(const char *name, ff_reason *out);
ff_status ff_class_from_name(const char *name, ff_class *out);
ff_status ff_side_from_name(const char *name, ff_side *out);
ff_status ff_action_from_name(const char *name, ff_action *out);

/* ff_reason_hardbounce() says whether `r` with reply/status class `cls` (4 or 5, 0 when
 * unknown) means the address itself is dead, in Sisimai's sense: userunknown, hostunknown,
 * hasmoved, and notaccept when permanent. */
bool ff_reason_hardbounce(ff_reason r, int cls);

/* ff_reason_blames_route() says whether `r` is a refusal of the session itself (relaying
 * denied, authentication wanted or refused): a stream's own relay saying it stops the
 * stream; the same words from a recipient's MX, or from a hop after the first, are that
 * domain's set-up, not the stream's. */
bool ff_reason_blames_route(ff_reason r);

/* What the classifier is told. Every pointer is borrowed and may be NULL. */
typedef struct ff_classify_input {
    int code;                 /* SMTP reply code, 0 when unknown */
    const char *status;       /* enhanced status "5.1.1", NULL or "" when unknown */
    const char *text;         /* reply or diagnostic text, NUL-terminated */
    const char *command;      /* SMTP command answered: "CONN", "EHLO", "MAIL", "RCPT",
                                 "DATA", "." (end of data); NULL when unknown */
    const char *remote_host;  /* the remote MTA's name or address, for provider detection */
    const char *recipient;    /* the recipient address, for provider detection by domain */
    const char *dsn_action;   /* RFC 3464 Action: failed, delayed, delivered, relayed,
                                 expanded; NULL for a synchronous reply */
} ff_classify_input;

#define FF_PROVIDER_MAX 24
#define FF_RULE_ID_MAX 64

typedef struct ff_decision {
    ff_reason reason;
    ff_class klass;
    ff_side side;
    ff_action action;
    int code;                         /* as given, or found in the text */
    char status[FF_STATUS_MAX];       /* as given, found in the text, or derived */
    char provider[FF_PROVIDER_MAX];   /* "gmail", "microsoft", ... or "" */
    char rule[FF_RULE_ID_MAX];        /* id of the rule that fired, "" when none did */
    const char *fix;                  /* one line of remediation; borrowed from the rule
                                         set, valid while it lives; never NULL */
} ff_decision;

struct ff_rules; /* rules.h */

/* ff_classify() decides what `in` means under rule set `rules` (which must not be NULL:
 * use ff_rules_builtin()). `out` is fully written on FF_OK. Thread-safe: a rule set may
 * be shared by threads that classify concurrently. Returns FF_OK or FF_EINVAL. */
ff_status ff_classify(const struct ff_rules *rules, const ff_classify_input *in,
                      ff_decision *out);

/* ff_classify_known() fills `out` for a reason already known from the message's format
 * rather than from a reply (an ARF complaint is "feedback", an RFC 3834 reply is
 * "vacation"): class `klass`, and side, action, fix and pseudo status from the same
 * tables ff_classify() uses. `rule` names what decided (e.g. "arf"); may be NULL. */
void ff_classify_known(ff_reason reason, ff_class klass, const char *rule, ff_decision *out);

/* ff_classify_reply() parses a raw SMTP reply (see reply.h) and classifies it as the
 * answer to `command` (may be NULL). Returns FF_OK, FF_EPARSE, FF_ETOOBIG, FF_ENOMEM. */
ff_status ff_classify_reply(const struct ff_rules *rules, const char *reply, size_t len,
                            const char *command, ff_decision *out);

/* ff_provider_detect() names the big provider behind a remote host name, a recipient
 * address or domain, or a reply text ("gmail", "microsoft", "yahoo", "apple", ...).
 * Any argument may be NULL. Returns a static string, "" when none is recognised. */
const char *ff_provider_detect(const char *remote_host, const char *recipient,
                               const char *text);

#ifdef __cplusplus
}
#endif
#endif
