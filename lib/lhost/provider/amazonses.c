/* amazonses.c - Amazon SES event notifications sent by email (JSON, usually inside SNS)
 *
 * SES reports bounces, complaints and deliveries as JSON: either the SES object itself
 * ({"notificationType": "Bounce", "bounce": {...}, "mail": {...}}) or an SNS envelope
 * whose "Message" string holds it. One hit per recipient:
 *
 *   Bounce     bounce.bouncedRecipients[]: emailAddress, action, status, diagnosticCode;
 *              bounce.remoteMtaIp, the server it was talking to; bounce.reportingMTA,
 *              SES's own host that wrote the report;
 *              without a diagnosticCode (SES decided by itself: its suppression list, an
 *              address that bounced before) the diagnostic names SES's bounceType and
 *              bounceSubType, which the amazonses rules read.
 *   Complaint  complaint.complainedRecipients[]: the diagnostic names the complaint and its
 *              complaintFeedbackType (abuse, fraud, ...): reason feedback.
 *   Delivery   delivery.recipients[]: the receiving server's smtpResponse; action delivered;
 *              delivery.reportingMTA as for a bounce.
 *
 * Mail transport may have folded the long JSON lines ("\n " inside a string); a folding
 * line break is never JSON's own whitespace to lose, so they are removed before parsing.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mta/common.h"
#include "text.h"

#define SES_MAX_JSON (4u * 1024 * 1024)

static bool detect(const ff_mail *m)
{
    const char *from = ff_mail_header(m, "From");
    if (from == NULL || (ff_memcasemem(from, strlen(from), "amazonaws.com") == NULL &&
                         ff_memcasemem(from, strlen(from), "amazonses.com") == NULL))
        return false;
    return ff_memcasemem(m->text, m->text_len < 65536 ? m->text_len : 65536,
                         "notificationType") != NULL;
}

/* The text from its first '{' with folding line breaks removed; owned by the caller. */
static char *unfolded_json(const char *t, size_t len, size_t *out_len)
{
    const char *brace = memchr(t, '{', len);
    if (brace == NULL || len > SES_MAX_JSON)
        return NULL;
    size_t n = len - (size_t)(brace - t), k = 0;
    char *s = malloc(n + 1);
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (brace[i] == '\r' && i + 1 < n && brace[i + 1] == '\n')
            continue;
        if (brace[i] == '\n' && i + 1 < n && (brace[i + 1] == ' ' || brace[i + 1] == '\t')) {
            i++; /* the folding blank goes too */
            continue;
        }
        s[k++] = brace[i];
    }
    s[k] = '\0';
    *out_len = k;
    return s;
}

/* The SES object: the text itself, or the JSON inside an SNS envelope's "Message". New
 * reference, or NULL. */
static json_t *ses_object(const char *t, size_t len)
{
    size_t n = 0;
    char *s = unfolded_json(t, len, &n);
    if (s == NULL)
        return NULL;
    json_t *root = json_loadb(s, n, JSON_DISABLE_EOF_CHECK, NULL);
    free(s);
    if (root == NULL)
        return NULL;
    const char *inner = json_string_value(json_object_get(root, "Message"));
    if (inner != NULL) {
        json_t *msg = json_loads(inner, JSON_DISABLE_EOF_CHECK, NULL);
        json_decref(root);
        root = msg;
    }
    if (root && !json_is_string(json_object_get(root, "notificationType")) &&
        !json_is_string(json_object_get(root, "eventType"))) {
        json_decref(root);
        return NULL;
    }
    return root;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* "dsn; host" or "smtp; 550 ..." without its type. */
static const char *untyped(const char *v)
{
    if (v == NULL)
        return NULL;
    const char *semi = strchr(v, ';');
    if (semi == NULL || semi - v > 16)
        return v;
    semi++;
    while (*semi == ' ')
        semi++;
    return semi;
}

/* One recipient's hit. `mta` is the server SES was talking to, `reporting` SES's own
 * sending host ("dsn; a8-51.smtp-out.amazonses.com"); either may be NULL. */
static ff_status hit_for(ff_hits *out, const char *addr, const char *action, const char *status,
                         const char *diag, const char *mta, const char *reporting)
{
    if (addr == NULL || out->n >= MTA_MAX_HITS)
        return FF_OK;
    size_t off, alen;
    if (!ff_addr_find(addr, strlen(addr), &off, &alen))
        return FF_OK;
    ff_hit *h = ff_hits_push(out);
    if (h == NULL)
        return FF_ENOMEM;
    h->recipient = ff_addr_dup(addr + off, alen);
    if (h->recipient == NULL)
        return FF_ENOMEM;
    ff_status st = FF_OK;
    if (action && (st = mta_set(&h->dsn_action, action, strlen(action))) != FF_OK)
        return st;
    if (diag && (st = mta_set_diag(h, diag, strlen(diag))) != FF_OK)
        return st;
    if (status && ff_status_valid(status, strlen(status)))
        snprintf(h->status, sizeof h->status, "%s", status);
    if (mta && (st = mta_set(&h->remote_mta, mta, strlen(mta))) != FF_OK)
        return st;
    if (reporting && (reporting = untyped(reporting))[0] != '\0' &&
        (st = mta_set(&h->reporting_mta, reporting, strlen(reporting))) != FF_OK)
        return st;
    return FF_OK;
}

static ff_status bounces(json_t *b, ff_hits *out)
{
    char own[160];
    snprintf(own, sizeof own, "Amazon SES %s bounce (%s)",
             str(b, "bounceType") ? str(b, "bounceType") : "Undetermined",
             str(b, "bounceSubType") ? str(b, "bounceSubType") : "General");
    bool transient = str(b, "bounceType") && strcmp(str(b, "bounceType"), "Transient") == 0;
    json_t *list = json_object_get(b, "bouncedRecipients");
    size_t i;
    json_t *r;
    ff_status st = FF_OK;
    json_array_foreach(list, i, r) {
        const char *code = untyped(str(r, "diagnosticCode"));
        const char *action = str(r, "action") ? str(r, "action")
                                               : (transient ? "delayed" : "failed");
        /* remoteMtaIp: the server SES was talking to when it failed (SES gives no name) */
        st = hit_for(out, str(r, "emailAddress"), action, str(r, "status"),
                     code && *code ? code : own, str(b, "remoteMtaIp"), str(b, "reportingMTA"));
        if (st != FF_OK)
            break;
    }
    return st;
}

static ff_status complaints(json_t *c, ff_hits *out)
{
    char own[160];
    snprintf(own, sizeof own, "Amazon SES complaint (%s)",
             str(c, "complaintFeedbackType") ? str(c, "complaintFeedbackType") : "abuse");
    json_t *list = json_object_get(c, "complainedRecipients");
    size_t i;
    json_t *r;
    ff_status st = FF_OK;
    json_array_foreach(list, i, r) {
        if ((st = hit_for(out, str(r, "emailAddress"), "failed", NULL, own, NULL, NULL)) !=
            FF_OK)
            break;
    }
    return st;
}

static ff_status deliveries(json_t *d, ff_hits *out)
{
    json_t *list = json_object_get(d, "recipients");
    size_t i;
    json_t *r;
    ff_status st = FF_OK;
    json_array_foreach(list, i, r) {
        st = hit_for(out, json_string_value(r), "delivered", NULL, str(d, "smtpResponse"),
                     str(d, "remoteMtaIp"), str(d, "reportingMTA"));
        if (st != FF_OK)
            break;
    }
    return st;
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    json_t *o = ses_object(m->text, m->text_len);
    if (o == NULL)
        return FF_OK;
    const char *type = str(o, "notificationType") ? str(o, "notificationType")
                                                  : str(o, "eventType");
    ff_status st = FF_OK;
    if (strcmp(type, "Bounce") == 0)
        st = bounces(json_object_get(o, "bounce"), out);
    else if (strcmp(type, "Complaint") == 0)
        st = complaints(json_object_get(o, "complaint"), out);
    else if (strcmp(type, "Delivery") == 0)
        st = deliveries(json_object_get(o, "delivery"), out);
    json_decref(o);
    return st;
}

const ff_lhost ff_lhost_amazonses = {"amazonses", detect, scan};
