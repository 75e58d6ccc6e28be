/* fml.c - the fml mailing list manager's refusals
 *
 * fml (www.fml.org) marks everything it sends with an X-MLServer header naming itself, so
 * the header alone says nothing: a refusal is told by its subject, which fml builds from
 * a fixed title ("You a@b are not member (list ML)", "NOT MEMBER article from a@b",
 * "reject mail ...", "Loop Alert: ...", "fml system error message ..."). The body is a
 * short letter:
 *
 *   You are not a member of this mailing list <list@example.org>.
 *
 * The address that refused the message is the list's own: the one in the letter's
 * "mailing list <...>" sentence, else the List-Post header's mailto. The first paragraph
 * of the letter is the diagnostic; the original message follows "Original mail as
 * follows:" when fml returns it.
 */
#include <string.h>

#include "common.h"
#include "text.h"

/* The subjects fml gives its refusals and error notices. */
static const char *const titles[] = {
    " are not member",
    "NOT MEMBER article from ",
    "reject mail ",
    "Spam mail from a spammer is rejected",
    "fml system error message",
    "Loop Alert: ",
    "Loop Back Warning: ",
    "WARNING: UNIX FROM Loop",
    NULL,
};

static bool detect(const ff_mail *m)
{
    const char *server = ff_mail_header(m, "X-MLServer");
    const char *subj = ff_mail_header(m, "Subject");
    if (server == NULL || subj == NULL || ff_memcasemem(server, strlen(server), "fml") == NULL)
        return false;
    for (size_t i = 0; titles[i] != NULL; i++)
        if (ff_memcasemem(subj, strlen(subj), titles[i]) != NULL)
            return true;
    return false;
}

static const char *const cut_markers[] = {"Original mail as follows:", NULL};

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cut_markers);
    ff_status st = FF_OK;
    ff_hit *h = NULL;
    const char *list = ff_memcasemem(t, len, "mailing list <");
    if (list != NULL) {
        const char *a = list + strlen("mailing list");
        const char *gt = memchr(a, '>', len - (size_t)(a - t));
        if (gt != NULL)
            h = mta_hit_add(out, a, (size_t)(gt - a) + 1, &st);
    }
    if (h == NULL && st == FF_OK) {
        const char *post = ff_mail_header(m, "List-Post");
        const char *to = post ? ff_memcasemem(post, strlen(post), "mailto:") : NULL;
        if (to != NULL)
            h = mta_hit_add(out, to + 7, strlen(to + 7), &st);
    }
    if (h == NULL)
        return st;
    /* the letter's first paragraph says why */
    size_t pos = 0, n;
    const char *l, *b = NULL, *be = NULL;
    while (ff_line_next(t, len, &pos, &l, &n)) {
        if (mta_blank(l, n)) {
            if (b != NULL)
                break;
            continue;
        }
        if (b == NULL)
            b = l;
        be = l + n;
    }
    if (b != NULL)
        st = mta_set_diag(h, b, (size_t)(be - b));
    if (st == FF_OK)
        st = mta_set(&h->dsn_action, "failed", 6);
    return st;
}

const ff_lhost ff_lhost_fml = {"fml", detect, scan};
