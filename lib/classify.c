/* classify.c - the decision engine (see include/fivefifty/classify.h)
 *
 * SYNOPSIS
 *   ff_classify(rules, &input, &decision);
 *
 * DESCRIPTION
 *   One path for every reply and every bounce (DESIGN.md, "The flow"):
 *
 *   1. Evidence: the reply code and enhanced status as given, else as found in the text;
 *      the provider from the remote host, the recipient's domain and markers in the text.
 *   2. The first rule that matches (user rules first, then the files of lib/rules/ in name order)
 *      names the reason and may fix class, side, action and the one-line fix. When none
 *      does, a delayed DSN is "expired", a failure with words is "onhold" (a cause was
 *      given that no rule knows) and one without any is "undefined".
 *   3. What the rule leaves open comes from the tables below: permanence from the reply
 *      code (what an SMTP client must act on, RFC 5321 4.2.1), else the status class, else
 *      the DSN action; side, action and fix from the reason.
 *   4. A status the input did not carry is derived Sisimai's way: class, ".0.", and a
 *      9NN detail naming the reason (5.0.911 = userunknown), so records stay comparable.
 *
 *   The one safety rule no data file can break: a 5.7.x status or a sender-side reason
 *   (authentication, reputation, blocklists, policy) never suppresses an address. Those
 *   rejections say nothing about the address and everything about the sender, and
 *   suppressing on them silently throws away good recipients.
 */
#include "fivefifty/classify.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/reply.h"
#include "fivefifty/rules.h"
#include "text.h"

typedef struct reason_info {
    const char *name;
    ff_side side;
    ff_action hard;   /* action when permanent */
    ff_action soft;   /* action when temporary */
    int pseudo;       /* 9NN detail of the derived status, 0 = none derived */
    const char *fix;
} reason_info;

/* Indexed by ff_reason. Pseudo details: the ones Sisimai derives where it has them
 * (900-980 below), fivefifty's own choice in the same range for the others. */
static const reason_info reasons[FF_REASON__COUNT] = {
    [FF_REASON_UNDEFINED] = {"undefined", FF_SIDE_UNKNOWN, FF_ACTION_NONE, FF_ACTION_RETRY, 900,
        "The failure came with no reason at all; look at the whole bounce before sending to "
        "this address again."},
    [FF_REASON_AUTHFAILURE] = {"authfailure", FF_SIDE_SENDER, FF_ACTION_HOLD, FF_ACTION_HOLD, 970,
        "SPF, DKIM or DMARC failed for your From domain: run 'fivefifty check DOMAIN' and fix "
        "alignment before sending more."},
    [FF_REASON_BADREPUTATION] = {"badreputation", FF_SIDE_SENDER, FF_ACTION_HOLD, FF_ACTION_THROTTLE, 975,
        "The receiver distrusts your IP or domain: slow down, send only to engaged recipients, "
        "and check its postmaster tools."},
    [FF_REASON_BLOCKED] = {"blocked", FF_SIDE_SENDER, FF_ACTION_HOLD, FF_ACTION_THROTTLE, 971,
        "Your sending IP or domain is blocked: run 'fivefifty check DOMAIN --ip IP' for "
        "blocklists and request removal."},
    [FF_REASON_CONTENTERROR] = {"contenterror", FF_SIDE_CONTENT, FF_ACTION_NONE, FF_ACTION_RETRY, 960,
        "The receiver refused the message's content or format; fix the message, not the list."},
    [FF_REASON_DELIVERED] = {"delivered", FF_SIDE_RECIPIENT, FF_ACTION_NONE, FF_ACTION_NONE, 0,
        "Delivered; nothing to do."},
    [FF_REASON_EXCEEDLIMIT] = {"exceedlimit", FF_SIDE_CONTENT, FF_ACTION_NONE, FF_ACTION_RETRY, 923,
        "The message exceeds the recipient's size limit; send a smaller message or a link."},
    [FF_REASON_EXPIRED] = {"expired", FF_SIDE_UNKNOWN, FF_ACTION_NONE, FF_ACTION_RETRY, 947,
        "Delivery was retried until the queue lifetime ran out; check the recipient's domain "
        "and your route to it."},
    [FF_REASON_FAILEDSTARTTLS] = {"failedstarttls", FF_SIDE_SENDER, FF_ACTION_HOLD, FF_ACTION_HOLD, 976,
        "The receiver requires TLS the session did not get: enable STARTTLS and check "
        "certificates and protocol versions."},
    [FF_REASON_FEEDBACK] = {"feedback", FF_SIDE_RECIPIENT, FF_ACTION_SUPPRESS, FF_ACTION_SUPPRESS, 0,
        "The recipient reported your message as spam: never mail them again, and review how "
        "they were added."},
    [FF_REASON_FILTERED] = {"filtered", FF_SIDE_RECIPIENT, FF_ACTION_NONE, FF_ACTION_RETRY, 910,
        "The recipient's filter refused the message; do not resend it unchanged."},
    [FF_REASON_HASMOVED] = {"hasmoved", FF_SIDE_RECIPIENT, FF_ACTION_SUPPRESS, FF_ACTION_SUPPRESS, 916,
        "The address has moved; update your list with the new address if the reply gives one."},
    [FF_REASON_HOSTUNKNOWN] = {"hostunknown", FF_SIDE_RECIPIENT, FF_ACTION_SUPPRESS, FF_ACTION_RETRY, 912,
        "The recipient's domain does not exist or accepts no mail: remove every address at it."},
    [FF_REASON_MAILBOXFULL] = {"mailboxfull", FF_SIDE_RECIPIENT, FF_ACTION_RETRY, FF_ACTION_RETRY, 922,
        "The mailbox is full: retry later; suppress if it stays full for days."},
    [FF_REASON_MAILERERROR] = {"mailererror", FF_SIDE_RECIPIENT, FF_ACTION_NONE, FF_ACTION_RETRY, 939,
        "The receiving system's delivery program failed; retry later or ask its postmaster."},
    [FF_REASON_MESGTOOBIG] = {"mesgtoobig", FF_SIDE_CONTENT, FF_ACTION_NONE, FF_ACTION_RETRY, 934,
        "The message is larger than the receiver accepts; shrink it or send a link."},
    [FF_REASON_NETWORKERROR] = {"networkerror", FF_SIDE_UNKNOWN, FF_ACTION_NONE, FF_ACTION_RETRY, 944,
        "A network or DNS problem on the way; retried with backoff."},
    [FF_REASON_NORELAYING] = {"norelaying", FF_SIDE_SENDER, FF_ACTION_STOP, FF_ACTION_STOP, 905,
        "The server refused to relay for you: check the relay host and its credentials in the "
        "stream's route."},
    [FF_REASON_NOTACCEPT] = {"notaccept", FF_SIDE_RECIPIENT, FF_ACTION_SUPPRESS, FF_ACTION_RETRY, 932,
        "The domain accepts no mail (null MX or no mail server); remove its addresses."},
    [FF_REASON_NOTCOMPLIANTRFC] = {"notcompliantrfc", FF_SIDE_CONTENT, FF_ACTION_NONE, FF_ACTION_RETRY, 903,
        "The message breaks RFC 5322 (duplicate or malformed headers); fix how it is built."},
    [FF_REASON_ONHOLD] = {"onhold", FF_SIDE_UNKNOWN, FF_ACTION_NONE, FF_ACTION_RETRY, 901,
        "The reply gives its reason in words no rule recognises; read its text before sending "
        "to this address again."},
    [FF_REASON_POLICYVIOLATION] = {"policyviolation", FF_SIDE_SENDER, FF_ACTION_HOLD, FF_ACTION_HOLD, 972,
        "The receiver's policy refused the message; read its reason and fix the sending side."},
    [FF_REASON_RATELIMITED] = {"ratelimited", FF_SIDE_SENDER, FF_ACTION_THROTTLE, FF_ACTION_THROTTLE, 942,
        "You are sending too fast for this receiver: fewer connections and messages per minute."},
    [FF_REASON_REJECTED] = {"rejected", FF_SIDE_SENDER, FF_ACTION_HOLD, FF_ACTION_RETRY, 918,
        "The receiver refused the sender address: check the envelope sender's domain, SPF and "
        "reputation."},
    [FF_REASON_REQUIREPTR] = {"requireptr", FF_SIDE_SENDER, FF_ACTION_HOLD, FF_ACTION_HOLD, 973,
        "Publish a PTR record for the sending IP whose name resolves back to it (FCrDNS)."},
    [FF_REASON_SECURITYERROR] = {"securityerror", FF_SIDE_SENDER, FF_ACTION_STOP, FF_ACTION_STOP, 974,
        "Authentication to the server failed: check the relay user and password (and that AUTH "
        "runs inside TLS)."},
    [FF_REASON_SPAMDETECTED] = {"spamdetected", FF_SIDE_CONTENT, FF_ACTION_HOLD, FF_ACTION_THROTTLE, 980,
        "The receiver judged the mail as spam: hold this stream toward it, review content, list "
        "hygiene and complaint rates."},
    [FF_REASON_SUPPRESSED] = {"suppressed", FF_SIDE_RECIPIENT, FF_ACTION_SUPPRESS, FF_ACTION_SUPPRESS, 0,
        "The address is on a suppression list; it is not mailed."},
    [FF_REASON_SUSPEND] = {"suspend", FF_SIDE_RECIPIENT, FF_ACTION_SUPPRESS, FF_ACTION_RETRY, 921,
        "The mailbox is disabled or suspended; remove the address."},
    [FF_REASON_SYNTAXERROR] = {"syntaxerror", FF_SIDE_SENDER, FF_ACTION_NONE, FF_ACTION_RETRY, 902,
        "The server refused a command as a syntax error; the sending software needs fixing."},
    [FF_REASON_SYSTEMERROR] = {"systemerror", FF_SIDE_RECIPIENT, FF_ACTION_NONE, FF_ACTION_RETRY, 930,
        "The receiving system failed; retried later."},
    [FF_REASON_SYSTEMFULL] = {"systemfull", FF_SIDE_RECIPIENT, FF_ACTION_NONE, FF_ACTION_RETRY, 931,
        "The receiving system is out of space; retried later."},
    [FF_REASON_TOOMANYCONN] = {"toomanyconn", FF_SIDE_SENDER, FF_ACTION_THROTTLE, FF_ACTION_THROTTLE, 945,
        "Too many connections to this receiver: lower concurrency toward it."},
    [FF_REASON_USERUNKNOWN] = {"userunknown", FF_SIDE_RECIPIENT, FF_ACTION_SUPPRESS, FF_ACTION_RETRY, 911,
        "The mailbox does not exist: never send to this address again."},
    [FF_REASON_VACATION] = {"vacation", FF_SIDE_RECIPIENT, FF_ACTION_NONE, FF_ACTION_NONE, 0,
        "An automatic reply, not a bounce; nothing to do."},
    [FF_REASON_VIRUSDETECTED] = {"virusdetected", FF_SIDE_CONTENT, FF_ACTION_NONE, FF_ACTION_NONE, 981,
        "The receiver found malware in the message; check attachments and links."},
};

const char *ff_reason_name(ff_reason r)
{
    return (unsigned)r < FF_REASON__COUNT ? reasons[r].name : "undefined";
}

const char *ff_class_name(ff_class c)
{
    return c == FF_CLASS_HARD ? "hard" : c == FF_CLASS_SOFT ? "soft" : "none";
}

const char *ff_side_name(ff_side s)
{
    switch (s) {
    case FF_SIDE_RECIPIENT: return "recipient";
    case FF_SIDE_SENDER: return "sender";
    case FF_SIDE_CONTENT: return "content";
    default: return "unknown";
    }
}

static const char *const action_names[] = {"none", "suppress", "retry", "throttle", "hold", "stop"};

const char *ff_action_name(ff_action a)
{
    return (unsigned)a < 6 ? action_names[a] : "none";
}

static bool same(const char *a, const char *b)
{
    return a && strcasecmp(a, b) == 0;
}

ff_status ff_reason_from_name(const char *name, ff_reason *out)
{
    if (same(name, "speeding")) {
        *out = FF_REASON_RATELIMITED;
        return FF_OK;
    }
    for (int i = 0; i < FF_REASON__COUNT; i++)
        if (same(name, reasons[i].name)) {
            *out = (ff_reason)i;
            return FF_OK;
        }
    return FF_ENOTFOUND;
}

ff_status ff_class_from_name(const char *name, ff_class *out)
{
    static const char *const n[] = {"none", "soft", "hard"};
    for (int i = 0; i < 3; i++)
        if (same(name, n[i])) {
            *out = (ff_class)i;
            return FF_OK;
        }
    return FF_ENOTFOUND;
}

ff_status ff_side_from_name(const char *name, ff_side *out)
{
    static const char *const n[] = {"unknown", "recipient", "sender", "content"};
    for (int i = 0; i < 4; i++)
        if (same(name, n[i])) {
            *out = (ff_side)i;
            return FF_OK;
        }
    return FF_ENOTFOUND;
}

ff_status ff_action_from_name(const char *name, ff_action *out)
{
    for (int i = 0; i < 6; i++)
        if (same(name, action_names[i])) {
            *out = (ff_action)i;
            return FF_OK;
        }
    return FF_ENOTFOUND;
}

bool ff_reason_blames_route(ff_reason r)
{
    return r == FF_REASON_NORELAYING || r == FF_REASON_SECURITYERROR;
}

bool ff_reason_hardbounce(ff_reason r, int cls)
{
    switch (r) {
    case FF_REASON_USERUNKNOWN:
    case FF_REASON_HOSTUNKNOWN:
    case FF_REASON_HASMOVED:
        return true;
    case FF_REASON_NOTACCEPT:
        return cls == 5;
    default:
        return false;
    }
}

/* Reasons whose cause lies with the sender: an address is never suppressed for them. */
static bool sender_reason(ff_reason r)
{
    switch (r) {
    case FF_REASON_AUTHFAILURE:
    case FF_REASON_BADREPUTATION:
    case FF_REASON_BLOCKED:
    case FF_REASON_FAILEDSTARTTLS:
    case FF_REASON_NORELAYING:
    case FF_REASON_POLICYVIOLATION:
    case FF_REASON_RATELIMITED:
    case FF_REASON_REJECTED:
    case FF_REASON_REQUIREPTR:
    case FF_REASON_SECURITYERROR:
    case FF_REASON_SPAMDETECTED:
    case FF_REASON_TOOMANYCONN:
        return true;
    default:
        return false;
    }
}

/* A permanent code whose words say the failure is temporary: "try again later", "try
 * later", "retry later", "please retry" or "try again in", in any case. Every phrase holds
 * "try" at a fixed place, so one search for it and a look around each hit finds them all,
 * where a strcasestr() per phrase read the text five times. */
static bool says_later(const char *text)
{
    size_t n = strlen(text);
    for (const char *t = ff_memcasemem(text, n, "try"); t != NULL;
         t = ff_memcasemem(t + 1, n - (size_t)(t + 1 - text), "try")) {
        const char *after = t + 3;
        size_t left = n - (size_t)(after - text);
        if (ff_startswith_case(after, left, " later") ||       /* also "retry later" */
            ff_startswith_case(after, left, " again later") ||
            ff_startswith_case(after, left, " again in") ||
            (t - text >= 9 && ff_startswith_case(t - 9, 9, "please re")))
            return true;
    }
    return false;
}

/* Permanence: the reply code decides what an SMTP client does (RFC 5321 4.2.1), so it
 * wins; then the status class; then the DSN action; then the reason's nature. Two
 * exceptions, both common in the field: a 5xx with a 4.x.x status ("550 4.2.2 over
 * quota") and a 5xx that says "try again later" are temporary, whatever the code. */
static ff_class permanence(int code, const char *status, const char *dsn_action, ff_reason r,
                           const char *text)
{
    if (r == FF_REASON_DELIVERED || r == FF_REASON_VACATION || r == FF_REASON_FEEDBACK)
        return FF_CLASS_NONE;
    if (code >= 500 && code < 600) {
        if ((status && ff_status_class(status) == 4) || says_later(text))
            return FF_CLASS_SOFT;
        return FF_CLASS_HARD;
    }
    if (code >= 400 && code < 500)
        return FF_CLASS_SOFT;
    int sc = status && *status ? ff_status_class(status) : 0;
    if (sc == 5)
        return FF_CLASS_HARD;
    if (sc == 4)
        return FF_CLASS_SOFT;
    if (sc == 2)
        return FF_CLASS_NONE;
    if (same(dsn_action, "delayed"))
        return FF_CLASS_SOFT;
    if (same(dsn_action, "delivered") || same(dsn_action, "relayed") ||
        same(dsn_action, "expanded"))
        return FF_CLASS_NONE;
    /* "expired" is no RFC 3464 action, but SendGrid and others write it for a message they
     * stopped retrying: delivery failed for good, like "failed". */
    if (same(dsn_action, "failed") || same(dsn_action, "expired"))
        return FF_CLASS_HARD;
    /* A text with neither code nor status: most such bounces report a permanent failure. */
    return r == FF_REASON_EXPIRED ? FF_CLASS_SOFT : FF_CLASS_HARD;
}

/* Whether the text says anything: a failure that gives words no rule knows is "onhold"
 * (there is a cause, read it), one that gives none is "undefined". */
static bool has_words(const char *t)
{
    size_t n = strlen(t);
    ff_trim(&t, &n);
    return n > 0;
}

/* snprintf(dst, size, "%s", src) without the format machinery, which ran up to three
 * times per decision for plain copies: at most size - 1 bytes, always terminated. */
static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool valid_status(const char *s)
{
    return s && *s && ff_status_valid(s, strlen(s));
}

/* A multi-line reply that a DSN unfolded onto one line keeps every line's prefix
 * ("550-5.7.1 Messages with multiple 550-5.7.1 addresses in From: ..."), which splits the
 * phrases rules look for. Returns a copy without the prefixes after the first (same code,
 * '-' or ' ', an enhanced status), or NULL when there are none. Caller frees. */
static char *without_continuations(const char *t, size_t n, int code)
{
    if (code == 0 || n < 12)
        return NULL;
    char pre[4];
    snprintf(pre, sizeof pre, "%d", code);
    char *out = NULL;
    size_t o = 0, from = 0;
    for (size_t i = 1; i + 4 < n; i++) {
        if (t[i - 1] != ' ' || memcmp(t + i, pre, 3) != 0 || (t[i + 3] != '-' && t[i + 3] != ' '))
            continue;
        char st[FF_STATUS_MAX];
        if (ff_status_find(t + i + 4, n - i - 4 < 12 ? n - i - 4 : 12, st) != 0)
            continue; /* no status right after the code: prose, not a line prefix */
        size_t end = i + 4 + strlen(st);
        if (end < n && t[end] == ' ')
            end++;
        if (out == NULL && (out = malloc(n + 1)) == NULL)
            return NULL;
        memcpy(out + o, t + from, i - from);
        o += i - from;
        from = i = end;
    }
    if (out == NULL)
        return NULL;
    memcpy(out + o, t + from, n - from);
    out[o + n - from] = '\0';
    return out;
}

ff_status ff_classify(const struct ff_rules *rules, const ff_classify_input *in,
                      ff_decision *out)
{
    if (!rules || !in || !out)
        return FF_EINVAL;
    memset(out, 0, sizeof *out);
    const char *text = in->text ? in->text : "";
    size_t tlen = strlen(text);
    int code = in->code;
    if (code < 200 || code > 599)
        code = 0;
    if (!code)
        code = ff_reply_code_find(text, tlen);
    char found[FF_STATUS_MAX] = "";
    const char *status = NULL;
    if (valid_status(in->status))
        status = in->status;
    else if (ff_status_find(text, tlen, found) >= 0)
        status = found;
    const char *prov = ff_provider_detect(in->remote_host, in->recipient, text);
    copy_str(out->provider, sizeof out->provider, prov);

    char *joined = without_continuations(text, tlen, code);
    ff_rules_query q = {.code = code, .status = status, .text = joined ? joined : text,
                        .text_len = joined ? strlen(joined) : tlen, .command = in->command,
                        .provider = prov};
    ff_rules_hit hit;
    /* A success is a success whatever its words: rules describe failures, and a 2.6.0 must
     * not read as the content error X.6 would be in a 5xx. */
    bool success = (code >= 200 && code < 300) || (status && status[0] == '2') ||
                   same(in->dsn_action, "delivered") || same(in->dsn_action, "relayed") ||
                   same(in->dsn_action, "expanded");
    bool matched = !success && ff_rules_match(rules, &q, &hit) == FF_OK;
    free(joined); /* the hit points into the rule set, never into the text */
    ff_reason r = matched ? hit.reason : FF_REASON_UNDEFINED;
    if (success)
        r = FF_REASON_DELIVERED;
    if (!matched && same(in->dsn_action, "delayed"))
        r = FF_REASON_EXPIRED;
    else if (!matched && !success && has_words(text))
        r = FF_REASON_ONHOLD; /* a cause was given, in words no rule knows */
    const reason_info *ri = &reasons[(unsigned)r < FF_REASON__COUNT ? r : 0];

    out->reason = r;
    out->code = code;
    out->klass = matched && hit.has_class ? hit.klass : permanence(code, status, in->dsn_action, r, text);
    out->side = matched && hit.has_side ? hit.side : ri->side;
    if (matched && hit.has_action)
        out->action = hit.action;
    else if (out->klass == FF_CLASS_NONE)
        out->action = r == FF_REASON_FEEDBACK || r == FF_REASON_SUPPRESSED ? FF_ACTION_SUPPRESS
                                                                            : FF_ACTION_NONE;
    else
        out->action = out->klass == FF_CLASS_HARD ? ri->hard : ri->soft;
    /* The safety rule of the file comment: no suppression on sender-side causes. */
    if (out->action == FF_ACTION_SUPPRESS &&
        (sender_reason(r) || (status && strncmp(status + 1, ".7.", 3) == 0)))
        out->action = FF_ACTION_HOLD;
    if (matched)
        copy_str(out->rule, sizeof out->rule, hit.id);
    out->fix = matched && hit.fix ? hit.fix : ri->fix;

    if (status)
        copy_str(out->status, sizeof out->status, status);
    else if (ri->pseudo && out->klass != FF_CLASS_NONE)
        snprintf(out->status, sizeof out->status, "%d.0.%d",
                 out->klass == FF_CLASS_HARD ? 5 : 4, ri->pseudo);
    return FF_OK;
}

void ff_classify_known(ff_reason reason, ff_class klass, const char *rule, ff_decision *out)
{
    memset(out, 0, sizeof *out);
    if ((unsigned)reason >= FF_REASON__COUNT)
        reason = FF_REASON_UNDEFINED;
    const reason_info *ri = &reasons[reason];
    out->reason = reason;
    out->klass = klass;
    out->side = ri->side;
    out->action = klass == FF_CLASS_HARD ? ri->hard : klass == FF_CLASS_SOFT ? ri->soft
                  : (reason == FF_REASON_FEEDBACK || reason == FF_REASON_SUPPRESSED)
                      ? FF_ACTION_SUPPRESS
                      : FF_ACTION_NONE;
    out->fix = ri->fix;
    if (rule)
        copy_str(out->rule, sizeof out->rule, rule);
    if (ri->pseudo && klass != FF_CLASS_NONE)
        snprintf(out->status, sizeof out->status, "%d.0.%d", klass == FF_CLASS_HARD ? 5 : 4,
                 ri->pseudo);
}

ff_status ff_classify_reply(const struct ff_rules *rules, const char *reply, size_t len,
                            const char *command, ff_decision *out)
{
    if (!rules || !reply || !out)
        return FF_EINVAL;
    ff_reply r;
    ff_status st = ff_reply_parse(reply, len, &r);
    if (st != FF_OK)
        return st;
    ff_classify_input in = {.code = r.code, .status = r.status, .text = r.text,
                            .command = command};
    st = ff_classify(rules, &in, out);
    ff_reply_clear(&r);
    return st;
}
