/* dragonfly.c - the DragonFly Mail Agent (dma) bounce
 *
 * dma writes one recipient per bounce:
 *
 *   This is the DragonFly Mail Agent v0.13 at host.example.com.
 *
 *   There was an error delivering your mail to <user@example.org>.
 *
 *   mx.example.org [192.0.2.1] did not like our RCPT TO:
 *   550 5.1.1 <user@example.org>: Recipient address rejected
 *
 *   Message headers follow.
 *
 * "did not like our X:" names the host and the command (X is "MAIL FROM", "RCPT TO",
 * "DATA" or "final DATA"); local failures ("Could not deliver for the last N seconds.
 * Giving up.", "unable to connect") are the text alone.
 */
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_head(m, "This is the DragonFly Mail Agent");
}

static const char *const cut_markers[] = {"Message headers follow", "Original message follows",
                                          NULL};

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cut_markers);
    const char *intro = ff_memcasemem(t, len, "error delivering your mail to ");
    if (intro == NULL)
        return FF_OK;
    const char *nl = memchr(intro, '\n', len - (size_t)(intro - t));
    const char *body = nl ? nl + 1 : t + len;
    ff_status st;
    ff_hit *h = mta_hit_add(out, intro, (size_t)(body - intro), &st);
    if (h == NULL)
        return st;
    size_t bn = (size_t)(t + len - body);
    const char *dl = ff_memcasemem(body, bn, " did not like our ");
    const char *reply = body;
    if (dl != NULL) {
        st = mta_set_host(h, body, (size_t)(dl - body));
        const char *colon = memchr(dl, ':', (size_t)(t + len - dl));
        if (st == FF_OK && colon != NULL) {
            st = mta_set_command(h, dl, (size_t)(colon - dl));
            reply = colon + 1;
        }
        if (st != FF_OK)
            return st;
    }
    st = mta_set_diag(h, reply, (size_t)(t + len - reply));
    if (st == FF_OK)
        st = mta_set(&h->dsn_action, "failed", 6);
    return st;
}

const ff_lhost ff_lhost_dragonfly = {"dragonfly", detect, scan};
