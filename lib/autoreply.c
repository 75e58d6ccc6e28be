/* autoreply.c - tell an out-of-office reply from a bounce (see autoreply.h)
 *
 * Evidence, strongest first: an autoresponder's own header (X-Autoreply, X-Autorespond,
 * Precedence: auto_reply); a subject that says so ("Out of Office", "Automatic reply",
 * "Auto:", vacation words in several languages); Auto-Submitted: auto-replied from a
 * sender that is no mailer daemon, with a subject that is no delivery failure.
 */
#include "fivefifty/autoreply.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

static bool has(const char *s, const char *needle)
{
    return s && strcasestr(s, needle) != NULL;
}

static bool starts(const char *s, const char *prefix)
{
    if (!s)
        return false;
    while (*s == ' ' || *s == '\t')
        s++;
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool bounce_like(const ff_autoreply_hdrs *h)
{
    static const char *const subj[] = {"undeliver", "delivery status", "delivery fail",
                                       "failure notice", "returned mail", "mail delivery",
                                       "delivery notification", "non-delivery", "nondeliver",
                                       "could not be delivered", "undelivered", NULL};
    static const char *const from[] = {"mailer-daemon", "postmaster", "mail delivery",
                                       "mailerdaemon", NULL};
    if (has(h->content_type, "multipart/report"))
        return true;
    for (size_t i = 0; subj[i]; i++)
        if (has(h->subject, subj[i]))
            return true;
    for (size_t i = 0; from[i]; i++)
        if (has(h->from, from[i]))
            return true;
    return false;
}

bool ff_autoreply_detect(const ff_autoreply_hdrs *h, const char **why)
{
    static const char *const vacation_subjects[] = {
        "out of office", "out of the office", "automatic reply", "autoreply", "auto-reply",
        "auto reply", "vacation", "away from", "abwesenheit", "absence", "absent",
        "respuesta autom", "risposta automatica", "réponse automatique", "automatische",
        "on leave", "ooo:", NULL};
    const char *w = NULL;
    if (!h)
        return false;
    if (bounce_like(h))
        return false;
    if (h->x_autoreply || h->x_autorespond)
        w = "X-Autoreply/X-Autorespond header";
    else if (has(h->precedence, "auto_reply"))
        w = "Precedence: auto_reply";
    else if (starts(h->subject, "auto:") || starts(h->subject, "autoreply:") ||
             starts(h->subject, "automatic reply:"))
        w = "auto-reply subject";
    else {
        for (size_t i = 0; vacation_subjects[i] && !w; i++)
            if (has(h->subject, vacation_subjects[i]))
                w = "out-of-office subject";
        if (!w && has(h->auto_submitted, "auto-replied"))
            w = "Auto-Submitted: auto-replied";
    }
    if (why)
        *why = w;
    return w != NULL;
}
