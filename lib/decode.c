/* decode.c - one message in, one record per recipient out (see include/fivefifty/decode.h)
 *
 * SYNOPSIS
 *   ff_decode(rules, bytes, len, &bounce, &err);
 *
 * DESCRIPTION
 *   mail.c turns the message into plain parts; this file decides what it is, in order of
 *   how much the evidence can be trusted:
 *
 *   1. a message/feedback-report part: an ARF complaint (arf.c), one record, reason
 *      feedback, about the original recipient;
 *   2. a message/delivery-status part: an RFC 3464 DSN (dsn.c), one record per recipient
 *      group; a group without a diagnostic borrows it (and the SMTP command) from the
 *      human-readable part, read by the scanner of the MTA that wrote it;
 *   3. the human-readable bounce of a known MTA, provider or gateway (lib/lhost/): the
 *      first scanner that recognises the message and finds recipients wins;
 *   4. a delivery-status part that names nobody: one record about the returned
 *      message's recipient, since the structure alone says it bounced;
 *   5. a bounce attached whole to a notice that names nobody (a gateway forwarding the
 *      MTA's report): the attached message decoded the same way, one level deep;
 *   6. an automatic reply (autoreply.c): reason vacation, never a bounce.
 *
 *   Auto-replies come last because bounces are auto-submitted too: a scanner that finds
 *   failed recipients is stronger evidence than an Auto-Submitted header.
 *
 *   Every record goes through ff_classify() with the code, status, diagnostic, command,
 *   remote MTA, recipient and DSN action, so a bounce and a live reply are judged by the
 *   same rules. The returned message's Message-ID, From, To, Subject and List-ID come
 *   from its attached header block, or from header lines quoted in the text.
 */
#include "fivefifty/decode.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/arf.h"
#include "fivefifty/authres.h"
#include "fivefifty/autoreply.h"
#include "fivefifty/dsn.h"
#include "fivefifty/reply.h"
#include "lhost.h"
#include "mail.h"
#include "mime.h"
#include "text.h"

#define RECORDS_MAX 1000

typedef struct returned {
    char *message_id, *from, *to, *subject, *list_id, *authres;
    char *hm_rcpt; /* X-HmXmrOriginalRecipient: Microsoft's feedback loop (JMRP) stamps the
                      complainant's address there, whatever the To says */
} returned;

static void returned_free(returned *r)
{
    free(r->message_id);
    free(r->from);
    free(r->to);
    free(r->subject);
    free(r->list_id);
    free(r->authres);
    free(r->hm_rcpt);
}

/* Read the few headers a sender matches a bounce by from a header block (or from text
 * that quotes one). A header starts a line; its continuation lines start with blanks. */
static void returned_read(const char *h, size_t len, returned *r, bool quoted)
{
    /* with their lengths: every line of a returned message is tried against all of them */
#define NAME(s) {s, sizeof s - 1}
    static const struct {
        const char *s;
        size_t n;
    } names[] = {NAME("message-id"), NAME("from"), NAME("to"), NAME("subject"),
                 NAME("list-id"), NAME("authentication-results"),
                 NAME("x-hmxmroriginalrecipient")};
#undef NAME
    char **slots[] = {&r->message_id, &r->from, &r->to, &r->subject, &r->list_id,
                      &r->authres, &r->hm_rcpt};
    size_t pos = 0;
    const char *line;
    size_t ll;
    while (ff_line_next(h, len, &pos, &line, &ll)) {
        if (!quoted && ll == 0)
            break;
        const char *colon = memchr(line, ':', ll);
        if (!colon)
            continue;
        size_t nl = (size_t)(colon - line);
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            if (*slots[i] || names[i].n != nl || strncasecmp(line, names[i].s, nl) != 0)
                continue;
            /* The value with its continuation lines. */
            size_t end = (size_t)(line + ll - h), p2 = pos;
            const char *cl;
            size_t cll;
            while (ff_line_next(h, len, &p2, &cl, &cll) && cll && (cl[0] == ' ' || cl[0] == '\t'))
                end = (size_t)(cl + cll - h);
            *slots[i] = ff_unfold(colon + 1, (size_t)(h + end - (colon + 1)));
            /* A copy quoted in the bounce's text is as the sender wrote it; a returned
             * part's fields were decoded with the rest of the MIME (mail.c). */
            if (quoted && *slots[i] && strstr(*slots[i], "=?") != NULL) {
                char *d = ff_mail_header_decode(*slots[i], strlen(*slots[i]));
                if (d != NULL) {
                    free(*slots[i]);
                    *slots[i] = d;
                }
            }
            if (*slots[i] && !**slots[i]) {
                free(*slots[i]);
                *slots[i] = NULL;
            }
        }
    }
}

static char *dup0(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The one address the returned message was sent to, for a bounce that fails without
 * naming its recipient (a DSN without recipient groups, a connection failure that names
 * only the host). NULL when its To is unknown or names several different addresses: which
 * of them failed is then anyone's guess. Caller frees. */
static char *returned_rcpt(const returned *o)
{
    if (!o->to)
        return NULL;
    size_t len = strlen(o->to), off, an, off2, an2;
    if (!ff_addr_find(o->to, len, &off, &an))
        return NULL;
    /* '"a@example.org" <a@example.org>' names one address twice */
    for (size_t p = off + an; p < len && ff_addr_find(o->to + p, len - p, &off2, &an2);
         p += off2 + an2)
        if (an2 != an || strncasecmp(o->to + off, o->to + p + off2, an) != 0)
            return NULL;
    return ff_addr_dup(o->to + off, an);
}

static ff_bounce_record *rec_push(ff_bounce *b, size_t *cap)
{
    if (b->n >= RECORDS_MAX)
        return NULL;
    if (b->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        ff_bounce_record *v = realloc(b->recs, nc * sizeof *v);
        if (!v)
            return NULL;
        b->recs = v;
        *cap = nc;
    }
    ff_bounce_record *r = &b->recs[b->n++];
    memset(r, 0, sizeof *r);
    return r;
}

static void rec_free(ff_bounce_record *r)
{
    char **s[] = {&r->recipient, &r->original_recipient, &r->dsn_action, &r->diagnostic,
                  &r->diagnostic_type, &r->remote_mta, &r->reporting_mta, &r->command,
                  &r->date, &r->message_id, &r->from, &r->to, &r->subject, &r->list_id,
                  &r->feedback_type, &r->auth_results};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        free(*s[i]);
        *s[i] = NULL;
    }
}

void ff_bounce_clear(ff_bounce *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        rec_free(&b->recs[i]);
    free(b->recs);
    memset(b, 0, sizeof *b);
}

static void rec_returned(ff_bounce_record *r, const returned *o)
{
    r->message_id = dup0(o->message_id);
    r->from = dup0(o->from);
    r->to = dup0(o->to);
    r->subject = dup0(o->subject);
    r->list_id = dup0(o->list_id);
    /* The receiver's own verdict on our message, when it sent it back: it explains an
     * authentication failure better than the bounce's text does. */
    ff_authres a;
    char line[512];
    if (o->authres && ff_authres_parse(o->authres, strlen(o->authres), &a, NULL) == FF_OK &&
        ff_authres_explain(&a, line, sizeof line) > 0)
        r->auth_results = strdup(line);
}

/* The SMTP command a diagnostic names in so many words ("after RCPT command", Yahoo's
 * "[RCPT_TO]", "in reply to end of DATA command"), for records whose format said none.
 * Only explicit phrases: a bare "data" or "mail" in prose proves nothing. */
static const char *explicit_command(const char *d)
{
    /* Each phrase is a command word with words before or after it; the first phrase of
     * the list that the diagnostic holds (ignoring case) names the command. Every record
     * asks, so the diagnostic is searched once per command word, each hit checked against
     * that word's phrases, instead of once per phrase. */
    enum { DATA, RCPT, MAIL };
    static const char *const words[] = {"data", "rcpt", "mail"};
    static const struct {
        int word;
        const char *before, *after, *name;
    } said[] = {
        {DATA, "end of ", "", "."},     {DATA, "after ", "", "DATA"},
        {DATA, "", " command", "DATA"}, {RCPT, "", " to", "RCPT"},
        {RCPT, "", "_to", "RCPT"},      {RCPT, "", " command", "RCPT"},
        {MAIL, "", " from", "MAIL"},    {MAIL, "", "_from", "MAIL"},
        {MAIL, "", " command", "MAIL"},
    };
    const size_t nsaid = sizeof said / sizeof said[0];
    size_t len = strlen(d), best = nsaid;
    for (int w = DATA; w <= MAIL; w++) {
        const char *p = d;
        while ((p = ff_memcasemem(p, len - (size_t)(p - d), words[w])) != NULL) {
            size_t at = (size_t)(p - d), end = at + strlen(words[w]);
            /* the command is a word of its own: "email from x" names no MAIL FROM */
            if (at > 0 && isalnum((unsigned char)d[at - 1])) {
                p++;
                continue;
            }
            for (size_t i = 0; i < best; i++) {
                size_t bl = strlen(said[i].before), al = strlen(said[i].after);
                if (said[i].word == w && bl <= at &&
                    strncasecmp(p - bl, said[i].before, bl) == 0 && al <= len - end &&
                    strncasecmp(d + end, said[i].after, al) == 0)
                    best = i;
            }
            p++;
        }
    }
    return best < nsaid ? said[best].name : NULL;
}

/* The classifier's verdict on a record, and the record's status filled from it when
 * the bounce carried none. */
static void rec_classify(const struct ff_rules *rules, ff_bounce_record *r)
{
    if (!r->command && r->diagnostic) {
        const char *c = explicit_command(r->diagnostic);
        if (c)
            r->command = strdup(c); /* NULL on ENOMEM: classified without it */
    }
    /* Without a remote MTA, an address or mailbox failure (X.1.x, X.2.x) was found by the
     * reporting MTA itself, the one that holds the mailboxes (an Exchange Online tenant
     * that has no such user): it is the receiving side, and its name the provider's. A
     * relay that could not reach the next hop (X.4.x) is only the sender's own route. */
    const char *host = r->remote_mta;
    if (host == NULL && r->reporting_mta != NULL && r->status[0] != '\0' &&
        r->status[1] == '.' && (r->status[2] == '1' || r->status[2] == '2') &&
        r->status[3] == '.')
        host = r->reporting_mta;
    ff_classify_input in = {.code = r->code, .status = r->status, .text = r->diagnostic,
                            .command = r->command, .remote_host = host,
                            .recipient = r->recipient, .dsn_action = r->dsn_action};
    ff_classify(rules, &in, &r->decision);
    if (!r->code)
        r->code = r->decision.code;
    if (!r->status[0])
        memcpy(r->status, r->decision.status, sizeof r->status);
}

/* Run the scanners: the first that detects the message and finds recipients. */
static const ff_lhost *scan(const ff_mail *m, ff_hits *hits)
{
    size_t n = 0;
    const ff_lhost *const *t = ff_lhost_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (!t[i]->detect(m))
            continue;
        ff_hits_free(hits);
        memset(hits, 0, sizeof *hits);
        if (t[i]->scan(m, hits) == FF_OK && hits->n > 0)
            return t[i];
    }
    ff_hits_free(hits);
    memset(hits, 0, sizeof *hits);
    return NULL;
}

/* Whether s is one mail address and nothing else: local part, '@', domain. A quoted
 * local part that is a program or a file ('"|/usr/bin/procmail"@host', Postfix's name for
 * an alias's command) is where mail went, not a mailbox. */
static bool mailbox(const char *s)
{
    size_t len = strlen(s), off, an;
    if (s[0] == '"' && (s[1] == '|' || s[1] == '/'))
        return false;
    return ff_addr_find(s, len, &off, &an) && off == 0 && an == len;
}

/* The address a DSN recipient field (or ARF's Original-Rcpt-To) names: as written when it is a bare mailbox (the
 * sender matches Original-Recipient byte for byte), else the address inside a comment or
 * display name that RFC 3464 does not allow but MTAs write ("a@example.org (Ann)",
 * "\"Ann\" <a@example.org>"). A program, a file or a value with no address ("@host") is
 * copied as written, for the text to explain. NULL for NULL (or ENOMEM). Caller frees. */
static char *dsn_mailbox(const char *s)
{
    if (!s)
        return NULL;
    const char *p = s[0] == '"' ? s + 1 : s;
    size_t len = strlen(s), off, an;
    if (mailbox(s) || *p == '|' || *p == '/' || !ff_addr_find(s, len, &off, &an))
        return strdup(s);
    return ff_addr_dup(s + off, an);
}

/* The text's hit for a DSN recipient; `groups` is how many recipients the DSN names. */
static const ff_hit *hit_for(const ff_hits *h, const char *rcpt, size_t groups)
{
    for (size_t i = 0; rcpt && i < h->n; i++)
        if ((h->v[i].recipient && strcasecmp(h->v[i].recipient, rcpt) == 0) ||
            (h->v[i].original_recipient && strcasecmp(h->v[i].original_recipient, rcpt) == 0))
            return &h->v[i];
    /* One recipient on both sides: they are the same one, whatever the spelling. With more
     * in the DSN, the text's only one may be any of them (or none). */
    return h->n == 1 && groups == 1 ? &h->v[0] : NULL;
}

/* The status the remote server itself gave, found in the diagnostic: the last one that is
 * not X.0.0, because relays put their own generic code in front of the one they quote
 * ("5.1.0 - Unknown address error 550-'5.2.2 ... Mailbox Full'"). "" when none. */
static void diagnostic_status(const char *d, char out[FF_STATUS_MAX])
{
    out[0] = '\0';
    size_t len = strlen(d), off = 0;
    char found[FF_STATUS_MAX];
    long at;
    while (off < len && (at = ff_status_find(d + off, len - off, found)) >= 0) {
        if (strcmp(found + 1, ".0.0") != 0)
            memcpy(out, found, FF_STATUS_MAX);
        off += (size_t)at + strlen(found);
    }
}

/* A status worth more than the DSN's: the reporting MTA writes Status: from its own
 * reading of the reply, often a generic X.0.0 or a guess, while the diagnostic carries the
 * code the receiving server chose. That holds for the class too: Postfix reports a 5xx
 * greeting it skipped as 4.X.X ("refused to talk to me: 550 5.5.0 ..."), and the record
 * shows what the server said. Whether the failure is temporary is decided from the reply
 * code and its words (classify.c), not from this field. */
static void better_status(ff_bounce_record *r)
{
    if (!r->diagnostic)
        return;
    char found[FF_STATUS_MAX];
    diagnostic_status(r->diagnostic, found);
    if (found[0])
        memcpy(r->status, found, sizeof r->status);
}

static ff_status from_dsn(const struct ff_rules *rules, const ff_mail *m, const char *dsn,
                          size_t dsn_len, const returned *o, ff_bounce *b, ff_error *err)
{
    ff_dsn d;
    ff_status st = ff_dsn_parse(dsn, dsn_len, &d, err);
    if (st != FF_OK) {
        ff_dsn_clear(&d);
        return st == FF_EPARSE ? FF_ENOTFOUND : st;
    }
    ff_hits hits = {0};
    const ff_lhost *lh = NULL;
    bool scanned = false;
    size_t cap = 0;
    for (size_t i = 0; i < d.n && st == FF_OK; i++) {
        const ff_dsn_recipient *g = &d.rcpts[i];
        if (!g->final_recipient && !g->original_recipient)
            continue;
        ff_bounce_record *r = rec_push(b, &cap);
        if (!r) {
            st = b->n >= RECORDS_MAX ? FF_OK : FF_ENOMEM;
            break;
        }
        r->recipient = dsn_mailbox(g->final_recipient ? g->final_recipient
                                                      : g->original_recipient);
        r->original_recipient = dsn_mailbox(g->original_recipient);
        /* A Final-Recipient that is no mailbox (Exim's "|program" or "/file" it delivered
         * to, sendmail's "@host" after a failed lookup) names what the MTA tried, not whom
         * the sender wrote to: the Original-Recipient, else the address the text gives. */
        if (r->recipient && !mailbox(r->recipient)) {
            const char *better = NULL;
            if (g->original_recipient && mailbox(g->original_recipient)) {
                better = g->original_recipient;
            } else {
                if (!scanned) {
                    lh = scan(m, &hits);
                    scanned = true;
                }
                const ff_hit *h = lh ? hit_for(&hits, r->recipient, d.n) : NULL;
                if (h && h->recipient && mailbox(h->recipient))
                    better = h->recipient;
            }
            if (better) {
                free(r->recipient);
                r->recipient = strdup(better);
            }
        }
        r->dsn_action = dup0(g->action);
        memcpy(r->status, g->status, sizeof r->status);
        r->diagnostic = dup0(g->diagnostic);
        r->diagnostic_type = dup0(g->diagnostic_type);
        r->remote_mta = dup0(g->remote_mta);
        r->reporting_mta = dup0(d.reporting_mta);
        r->date = dup0(g->last_attempt_date ? g->last_attempt_date : d.arrival_date);
        r->format = "rfc3464";
        rec_returned(r, o);
        /* What the DSN lacks, the human-readable part of the same bounce may say. */
        if (!r->diagnostic || !r->command) {
            if (!scanned) {
                lh = scan(m, &hits);
                scanned = true;
            }
            const ff_hit *h = lh ? hit_for(&hits, r->recipient, d.n) : NULL;
            if (h) {
                if (!r->diagnostic && h->diagnostic)
                    r->diagnostic = strdup(h->diagnostic);
                if (!r->command && h->command)
                    r->command = strdup(h->command);
                if (!r->remote_mta && h->remote_mta)
                    r->remote_mta = strdup(h->remote_mta);
                if (!r->code)
                    r->code = h->code;
                if (!r->status[0])
                    memcpy(r->status, h->status, sizeof r->status);
            }
        }
        /* Last, the reporting MTA's own words: the comment on its Status field. */
        if (!r->diagnostic && g->status_comment && g->status_comment[0])
            r->diagnostic = strdup(g->status_comment);
        if (r->diagnostic)
            r->code = r->code ? r->code : ff_reply_code_find(r->diagnostic, strlen(r->diagnostic));
        better_status(r);
        rec_classify(rules, r);
    }
    ff_hits_free(&hits);
    ff_dsn_clear(&d);
    if (st == FF_OK && b->n == 0)
        return FF_ENOTFOUND; /* a report naming no recipient: let the text speak */
    if (st == FF_OK)
        b->format = "rfc3464";
    return st;
}

/* Delivery-status fields that reached the text because the MIME structure around them
 * broke (a bounce without its Content-Type header, a boundary line indented by a space):
 * the block from the first line that starts with a DSN field up to the next line that
 * looks like a boundary or a part header. It is found only when a Final-Recipient line
 * starts a line in it; the returned message after it is not read. */
static bool text_dsn(const char *t, size_t len, const char **blk, size_t *blk_len)
{
    static const char *const starts[] = {"Reporting-MTA:", "Original-Recipient:",
                                         "Final-Recipient:"};
    size_t pos = 0, n;
    const char *l, *from = NULL, *end = t + len;
    bool final = false;
    while (t && ff_line_next(t, len, &pos, &l, &n)) {
        if (!from) {
            for (size_t i = 0; i < 3 && !from; i++)
                if (ff_startswith_case(l, n, starts[i]))
                    from = l;
            if (!from)
                continue;
        }
        const char *s = l;
        size_t sn = n;
        ff_trim(&s, &sn);
        if (ff_startswith_case(s, sn, "--") || ff_startswith_case(s, sn, "Content-Type:")) {
            end = l;
            break;
        }
        if (ff_startswith_case(l, n, "Final-Recipient:"))
            final = true;
    }
    if (!from || !final)
        return false;
    *blk = from;
    *blk_len = (size_t)(end - from);
    return true;
}

static ff_status from_arf(const ff_mail *m, const returned *o, ff_bounce *b, ff_error *err)
{
    ff_arf a;
    ff_status st = ff_arf_parse(m->feedback, m->feedback_len, &a, err);
    if (st != FF_OK) {
        ff_arf_clear(&a);
        return st == FF_EPARSE ? FF_ENOTFOUND : st;
    }
    char *text = m->text && *m->text ? ff_unfold(m->text, strlen(m->text)) : NULL;
    /* One record per complainant: the report's Original-Rcpt-To fields, else the address
     * Microsoft's loop stamps on the returned message, else its To. */
    size_t n = a.nrcpt_to ? a.nrcpt_to : 1, cap = 0;
    for (size_t i = 0; i < n; i++) {
        ff_bounce_record *r = rec_push(b, &cap);
        if (!r) {
            if (b->n >= RECORDS_MAX)
                break;
            free(text);
            ff_arf_clear(&a);
            return ff_error_set(err, FF_ENOMEM, "out of memory");
        }
        if (a.nrcpt_to)
            r->recipient = dsn_mailbox(a.rcpt_to[i]);
        /* a field the loop redacted to no address ("user@") says less than the headers */
        if (r->recipient && !mailbox(r->recipient) && (o->hm_rcpt || o->to)) {
            free(r->recipient);
            r->recipient = NULL;
        }
        if (!r->recipient && o->hm_rcpt)
            r->recipient = ff_addr_dup(o->hm_rcpt, strlen(o->hm_rcpt));
        if (!r->recipient && o->to)
            r->recipient = ff_addr_dup(o->to, strlen(o->to));
        r->feedback_type = dup0(a.feedback_type ? a.feedback_type : "abuse");
        r->date = dup0(a.arrival_date);
        r->reporting_mta = dup0(a.reporting_mta);
        r->diagnostic = dup0(text);
        r->format = "arf";
        rec_returned(r, o);
        ff_classify_known(FF_REASON_FEEDBACK, FF_CLASS_NONE, "arf", &r->decision);
    }
    free(text);
    ff_arf_clear(&a);
    b->format = "arf";
    return FF_OK;
}

static ff_status from_lhost(const struct ff_rules *rules, const ff_mail *m, const returned *o,
                            ff_bounce *b, ff_error *err)
{
    ff_hits hits = {0};
    const ff_lhost *lh = scan(m, &hits);
    if (!lh)
        return FF_ENOTFOUND;
    size_t cap = 0;
    const char *date = ff_mail_header(m, "Date");
    for (size_t i = 0; i < hits.n; i++) {
        const ff_hit *h = &hits.v[i];
        ff_bounce_record *r = rec_push(b, &cap);
        if (!r)
            break;
        r->recipient = h->recipient ? strdup(h->recipient) : returned_rcpt(o);
        r->original_recipient = dup0(h->original_recipient);
        /* a program an alias expanded to: the alias is whom the sender wrote to */
        if (r->recipient && !mailbox(r->recipient) && h->original_recipient &&
            mailbox(h->original_recipient)) {
            free(r->recipient);
            r->recipient = strdup(h->original_recipient);
        }
        r->dsn_action = dup0(h->dsn_action ? h->dsn_action : "failed");
        memcpy(r->status, h->status, sizeof r->status);
        r->code = h->code;
        r->diagnostic = dup0(h->diagnostic);
        r->remote_mta = dup0(h->remote_mta);
        r->reporting_mta = dup0(h->reporting_mta);
        r->command = dup0(h->command);
        r->date = dup0(date);
        r->format = lh->name;
        rec_returned(r, o);
        if (!r->code && r->diagnostic)
            r->code = ff_reply_code_find(r->diagnostic, strlen(r->diagnostic));
        better_status(r);
        rec_classify(rules, r);
    }
    ff_hits_free(&hits);
    if (b->n == 0)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    b->format = lh->name;
    return FF_OK;
}

/* A delivery-status part without recipient groups (Postfix's "Delivery report
 * unavailable") that no scanner could read either: the message is a bounce all the same,
 * so it yields one record about the returned message's recipient, with the reporting MTA
 * and nothing else. Without a returned recipient there is nobody to record. */
static ff_status from_bare_dsn(const struct ff_rules *rules, const ff_mail *m,
                               const returned *o, ff_bounce *b, ff_error *err)
{
    char *rcpt = returned_rcpt(o);
    if (!rcpt)
        return FF_ENOTFOUND;
    size_t cap = 0;
    ff_bounce_record *r = rec_push(b, &cap);
    if (!r) {
        free(rcpt);
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    }
    r->recipient = rcpt;
    ff_dsn d;
    if (ff_dsn_parse(m->dsn, m->dsn_len, &d, NULL) == FF_OK) {
        r->reporting_mta = dup0(d.reporting_mta);
        r->date = dup0(d.arrival_date);
    }
    ff_dsn_clear(&d);
    if (!r->date)
        r->date = dup0(ff_mail_header(m, "Date"));
    r->format = "rfc3464";
    rec_returned(r, o);
    rec_classify(rules, r);
    b->format = "rfc3464";
    return FF_OK;
}

static ff_status from_autoreply(const ff_mail *m, const returned *o, ff_bounce *b,
                                ff_error *err)
{
    ff_autoreply_hdrs h = {
        .auto_submitted = ff_mail_header(m, "Auto-Submitted"),
        .precedence = ff_mail_header(m, "Precedence"),
        .x_autoreply = ff_mail_header(m, "X-Autoreply"),
        .x_autorespond = ff_mail_header(m, "X-Autorespond"),
        .x_auto_response_suppress = ff_mail_header(m, "X-Auto-Response-Suppress"),
        .subject = ff_mail_header(m, "Subject"),
        .from = ff_mail_header(m, "From"),
        .content_type = m->content_type,
    };
    const char *why = NULL;
    if (!ff_autoreply_detect(&h, &why))
        return FF_ENOTFOUND;
    size_t cap = 0;
    ff_bounce_record *r = rec_push(b, &cap);
    if (!r)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    /* The one who is away: the reply's sender. */
    if (h.from)
        r->recipient = ff_addr_dup(h.from, strlen(h.from));
    r->diagnostic = m->text && *m->text ? ff_unfold(m->text, m->text_len) : NULL;
    r->date = dup0(ff_mail_header(m, "Date"));
    r->format = "rfc3834";
    rec_returned(r, o);
    /* An auto-reply's In-Reply-To names the message it answers. */
    if (!r->message_id)
        r->message_id = dup0(ff_mail_header(m, "In-Reply-To"));
    ff_classify_known(FF_REASON_VACATION, FF_CLASS_NONE, "rfc3834", &r->decision);
    b->format = "rfc3834";
    return FF_OK;
}

static ff_status decode_one(const struct ff_rules *rules, const char *data, size_t len,
                            ff_bounce *out, ff_error *err, int depth);

/* The bytes of the first message/rfc822 (or message/global) part among the parts of a
 * multipart message, when it is sent as it is (7bit, 8bit, binary): RFC 2046 5.2.1 allows
 * no other encoding for it. false when there is none. */
static bool attached_message(const char *data, size_t len, const char **msg, size_t *mlen)
{
    size_t hlen, body;
    ff_mime_split(data, len, &hlen, &body);
    const char *ct;
    size_t ctn;
    char mt[64], bd[256];
    if (!ff_mime_field(data, hlen, "Content-Type", &ct, &ctn))
        return false;
    ff_mime_type(ct, ctn, mt, sizeof mt);
    if (strncmp(mt, "multipart/", 10) != 0 || !ff_mime_param(ct, ctn, "boundary", bd, sizeof bd))
        return false;
    size_t pos = 0, pl;
    const char *part;
    while (ff_mime_part_next(data + body, len - body, bd, &pos, &part, &pl)) {
        size_t ph, pb;
        ff_mime_split(part, pl, &ph, &pb);
        if (!ff_mime_field(part, ph, "Content-Type", &ct, &ctn))
            continue;
        ff_mime_type(ct, ctn, mt, sizeof mt);
        if (strcmp(mt, "message/rfc822") != 0 && strcmp(mt, "message/global") != 0)
            continue;
        const char *enc;
        size_t en;
        if (ff_mime_field(part, ph, "Content-Transfer-Encoding", &enc, &en)) {
            const char *e = enc;
            ff_trim(&e, &en);
            if (en && !ff_startswith_case(e, en, "7bit") && !ff_startswith_case(e, en, "8bit") &&
                !ff_startswith_case(e, en, "binary"))
                return false;
        }
        *msg = part + pb;
        *mlen = pl - pb;
        return true;
    }
    return false;
}

/* A bounce forwarded as an attachment: a filtering gateway that wraps the MTA's report in
 * a notice of its own whose text names nobody ("The following addresses had permanent
 * delivery errors" and an empty list). The attached message is decoded as a bounce, one
 * level deep; what it reports is what this message reports. An auto-reply inside counts
 * for nothing: a reply that quotes one is no bounce. */
static ff_status from_attached(const struct ff_rules *rules, const ff_mail *m,
                               const char *data, size_t len, ff_bounce *out, ff_error *err)
{
    /* only a notice some scanner takes for a bounce wraps one: a person's mail with a
     * message attached is no report */
    size_t n = 0;
    const ff_lhost *const *t = ff_lhost_table(&n);
    bool shaped = m->dsn != NULL;
    for (size_t i = 0; i < n && !shaped; i++)
        shaped = t[i]->detect(m);
    const char *msg;
    size_t mlen;
    if (!shaped || !attached_message(data, len, &msg, &mlen))
        return FF_ENOTFOUND;
    ff_status st = decode_one(rules, msg, mlen, out, NULL, 1);
    if (st == FF_OK && strcmp(out->format, "rfc3834") != 0)
        return FF_OK;
    ff_bounce_clear(out);
    out->format = "";
    if (st == FF_ENOMEM)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    return FF_ENOTFOUND;
}

void ff_decode_prepare(void)
{
    ff_mail_prepare();
}

ff_status ff_decode(const struct ff_rules *rules, const char *data, size_t len,
                    ff_bounce *out, ff_error *err)
{
    if (!out)
        return ff_error_set(err, FF_EINVAL, "decode: no output");
    memset(out, 0, sizeof *out);
    out->format = "";
    if (!rules || (!data && len))
        return ff_error_set(err, FF_EINVAL, "decode: no rules or no data");
    if (len > FF_DECODE_MAX)
        return ff_error_set(err, FF_ETOOBIG, "decode: message of %zu bytes is over the %u "
                            "byte limit", len, FF_DECODE_MAX);
    return decode_one(rules, data, len, out, err, 0);
}

/* One message at `depth` (0: the message given; 1: a bounce attached to it). */
static ff_status decode_one(const struct ff_rules *rules, const char *data, size_t len,
                            ff_bounce *out, ff_error *err, int depth)
{
    ff_mail m;
    ff_status st = ff_mail_parse(data, len, &m, err);
    if (st != FF_OK) {
        ff_mail_free(&m);
        return st;
    }
    returned o = {0};
    if (m.orig_headers)
        returned_read(m.orig_headers, m.orig_headers_len, &o, false);
    else if (m.text)
        returned_read(m.text, m.text_len, &o, true);

    st = FF_ENOTFOUND;
    if (m.feedback)
        st = from_arf(&m, &o, out, err);
    if (st == FF_ENOTFOUND && m.dsn) {
        st = from_dsn(rules, &m, m.dsn, m.dsn_len, &o, out, err);
        if (st == FF_ENOTFOUND)
            ff_bounce_clear(out);
    }
    const char *blk;
    size_t blk_len;
    if (st == FF_ENOTFOUND && !m.dsn && text_dsn(m.text, m.text_len, &blk, &blk_len)) {
        st = from_dsn(rules, &m, blk, blk_len, &o, out, err);
        if (st == FF_ENOTFOUND)
            ff_bounce_clear(out);
    }
    if (st == FF_ENOTFOUND)
        st = from_lhost(rules, &m, &o, out, err);
    if (st == FF_ENOTFOUND && m.dsn)
        st = from_bare_dsn(rules, &m, &o, out, err);
    if (st == FF_ENOTFOUND && depth == 0)
        st = from_attached(rules, &m, data, len, out, err);
    if (st == FF_ENOTFOUND)
        st = from_autoreply(&m, &o, out, err);
    if (st == FF_ENOTFOUND) {
        const char *subj = ff_mail_header(&m, "Subject");
        st = ff_error_set(err, FF_ENOTBOUNCE, "no delivery report, complaint, auto-reply or "
                          "known bounce text found (subject: %.80s)", subj ? subj : "none");
    }
    if (st != FF_OK) {
        ff_bounce_clear(out);
        out->format = "";
    }
    returned_free(&o);
    ff_mail_free(&m);
    return st;
}
