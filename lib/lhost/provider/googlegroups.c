/* googlegroups.c - Google Groups' "could not post" notices
 *
 * Google sends these from mailer-daemon@googlemail.com in the poster's language, so the
 * text cannot be matched word for word; what every language keeps is the failed group in
 * X-Failed-Recipients and the link to groups.google.com. The notice's whole text is the
 * diagnostic: the classifier's google-groups rule reads the link.
 */
#include <string.h>

#include "../mta/common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    const char *from = ff_mail_header(m, "From");
    return from && strstr(from, "mailer-daemon@googlemail.com") &&
           ff_mail_header(m, "X-Failed-Recipients") &&
           ff_memcasemem(m->text, m->text_len, "groups.google.com") != NULL;
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *failed = ff_mail_header(m, "X-Failed-Recipients");
    static const char *const cuts[] = {"----- Original message -----", NULL};
    size_t len = mta_cut(m->text, m->text_len, cuts);
    /* One group per notice; X-Failed-Recipients may list it more than once. */
    size_t off, alen;
    if (!failed || !ff_addr_find(failed, strlen(failed), &off, &alen))
        return FF_OK;
    ff_hit *h = ff_hits_push(out);
    if (!h)
        return FF_ENOMEM;
    h->recipient = ff_addr_dup(failed + off, alen);
    h->diagnostic = ff_unfold(m->text, len);
    h->dsn_action = strdup("failed");
    if (!h->recipient || !h->diagnostic || !h->dsn_action)
        return FF_ENOMEM;
    return FF_OK;
}

const ff_lhost ff_lhost_googlegroups = {"googlegroups", detect, scan};
