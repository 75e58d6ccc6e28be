/* sendmail.c - Sendmail's "Returned mail" bounce (V8 and the older V5 layout)
 *
 * Sendmail writes up to two sections before the returned message:
 *
 *      ----- The following addresses had permanent fatal errors -----
 *   <user@example.org>
 *       (reason: 550 5.1.1 <user@example.org>... User Unknown)
 *       (expanded from: <list@example.org>)
 *
 *      ----- Transcript of session follows -----
 *   ... while talking to mx.example.org.:
 *   >>> RCPT To:<user@example.org>
 *   <<< 550 5.1.1 <user@example.org>... User Unknown
 *   550 5.1.1 <user@example.org>... User unknown
 *
 * The address list names the recipients; the transcript says which host answered what to
 * which command, and ends each recipient with its own "<addr>... text" line. The remote
 * reply ("<<<" lines) is kept as the diagnostic where there is one: sendmail's own summary
 * line turns many replies into "User unknown". V5 has only the transcript. The list's
 * title gives the action: "permanent fatal errors" failed, "transient non-fatal errors"
 * (the warning after some hours) delayed, "successful delivery notifications" delivered.
 *
 * A list entry may be a program or file an alias expanded to ("|procmail ..." with
 * "(expanded from: <user@example.org>)" under it): the address it came from is the
 * recipient, and the transcript's "554 \"|procmail ...\"... Service unavailable" its
 * diagnostic. When the connection itself failed, V5 names only the host ("421 example.org (smtp)...
 * Deferred: Connection timed out"): the text then has a failure and no address, so the
 * hit carries no recipient and decode.c takes it from the returned message.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "text.h"

static bool detect(const ff_mail *m)
{
    return mta_subject_starts(m, "Returned mail:") ||
           mta_subject_starts(m, "Postmaster notify:") ||
           mta_subject_starts(m, "Warning: could not send message") ||
           mta_head(m, "----- Transcript of session follows -----") ||
           mta_head(m, "----- The following addresses had");
}

static const char *const cut_markers[] = {
    "----- Original message follows",
    "----- Unsent message follows",
    "----- Message header follows",
    "----- Returned message follows",
    "------ Returned message",
    NULL,
};

/* Recipients tracked for "ended on their own line"; beyond this they share the last reply */
#define SM_TRACK 256

enum section { SEC_NONE, SEC_ADDRS, SEC_TRANSCRIPT };

typedef struct session {
    char *host;
    const char *command;  /* static, from mta_command() */
    const char *reply;    /* "<<<" lines: first byte of the first, end of the last */
    const char *reply_end;
    bool reply_open;      /* the last line was a "<<<" line */
    bool quit;            /* after ">>> QUIT": the replies that follow are ignored */
    bool done[SM_TRACK];  /* recipients the transcript ended on their own line */
    const char *host_outcome; /* the first "HOST (smtp)... text" line, and its length */
    size_t host_outcome_n;
    const char *rcpt;     /* the ">>> RCPT To:<addr>" line the open reply answers */
    size_t rcpt_n;
} session;

static ff_hit *find(ff_hits *out, size_t first, const char *addr)
{
    for (size_t i = first; i < out->n; i++)
        if (out->v[i].recipient && strcmp(out->v[i].recipient, addr) == 0)
            return &out->v[i];
    return NULL;
}

/* "<<< 550-5.7.1 text" lines joined without their markers. */
static ff_status reply_diag(ff_hit *h, const char *s, size_t n)
{
    char *buf = malloc(n + 1);
    if (buf == NULL)
        return FF_ENOMEM;
    size_t o = 0, pos = 0, ln;
    const char *l;
    while (ff_line_next(s, n, &pos, &l, &ln)) {
        if (ln >= 3 && memcmp(l, "<<<", 3) == 0) {
            l += 3;
            ln -= 3;
        }
        memcpy(buf + o, l, ln);
        o += ln;
        buf[o++] = ' ';
    }
    ff_status st = mta_set_diag(h, buf, o);
    free(buf);
    return st;
}

static ff_status apply_session(ff_hit *h, const session *ss)
{
    ff_status st = FF_OK;
    if (ss->host && !h->remote_mta)
        st = mta_set(&h->remote_mta, ss->host, strlen(ss->host));
    if (st == FF_OK && ss->command && !h->command)
        st = mta_set(&h->command, ss->command, strlen(ss->command));
    if (st == FF_OK && ss->reply)
        st = reply_diag(h, ss->reply, (size_t)(ss->reply_end - ss->reply));
    return st;
}

/* A transcript line "[550 5.1.1 ]<user@example.org>... text": the recipient's outcome. */
static bool outcome(const char *l, size_t n)
{
    const char *dots = ff_memcasemem(l, n, "... ");
    if (dots == NULL && n >= 3 && memcmp(l + n - 3, "...", 3) == 0)
        dots = l + n - 3;
    return dots != NULL && memchr(l, '@', (size_t)(dots - l)) != NULL;
}

/* A failure reply to "RCPT To:<addr>" is that recipient's, even when the transcript
 * never ends the recipient on a line of its own: it is applied now, before the next
 * command's reply can be taken for it. */
static ff_status settle(ff_hits *out, size_t first, session *ss)
{
    const char *rc = ss->rcpt;
    ss->rcpt = NULL;
    if (rc == NULL || ss->reply == NULL)
        return FF_OK;
    size_t rn = (size_t)(ss->reply_end - ss->reply);
    const char *r = ss->reply;
    if (rn > 3 && memcmp(r, "<<<", 3) == 0) {
        r += 3;
        rn -= 3;
    }
    while (rn > 0 && *r == ' ') {
        r++;
        rn--;
    }
    if (mta_code_find(r, rn < 4 ? rn : 4) < 400)
        return FF_OK;
    size_t off, an;
    if (!ff_addr_find(rc, ss->rcpt_n, &off, &an))
        return FF_OK;
    char *addr = ff_addr_dup(rc + off, an);
    if (addr == NULL)
        return FF_ENOMEM;
    ff_hit *h = find(out, first, addr);
    free(addr);
    if (h == NULL)
        return FF_OK;
    size_t idx = (size_t)(h - out->v) - first;
    if (idx >= SM_TRACK || ss->done[idx])
        return FF_OK;
    ss->done[idx] = true;
    return apply_session(h, ss);
}

/* "[421 ]example.org (smtp)... text": sendmail's word on a host, which V5 writes when the
 * connection failed and no recipient was tried. A local name ("user... Deferred") or a
 * program ("\"|procmail\"... Service unavailable") is no host. */
static bool host_outcome(const char *l, size_t n)
{
    const char *dots = ff_memcasemem(l, n, ") ... ");
    if (dots == NULL)
        dots = ff_memcasemem(l, n, ")... ");
    if (dots == NULL)
        return false;
    const char *open = dots;
    while (open > l && *open != '(')
        open--;
    if (open < l + 2 || open[-1] != ' ')
        return false;
    const char *h = open - 1;
    while (h > l && h[-1] != ' ')
        h--;
    bool dot = false;
    for (const char *p = h; p < open - 1; p++) {
        if (*p == '.')
            dot = true;
        else if (!isalnum((unsigned char)*p) && *p != '-' && *p != '[' && *p != ']')
            return false;
    }
    return dot;
}

static ff_status transcript_line(ff_hits *out, size_t first, session *ss, const char *l,
                                 size_t n, const char **local, size_t *local_n)
{
    ff_status st = FF_OK;
    bool was_open = ss->reply_open;
    ss->reply_open = false;
    const char *talk = ff_memcasemem(l, n < 24 ? n : 24, "while talking to ");
    if (talk != NULL) {
        if ((st = settle(out, first, ss)) != FF_OK)
            return st;
        const char *h = talk + strlen("while talking to ");
        size_t hn = (size_t)(l + n - h);
        while (hn > 0 && (h[hn - 1] == ':' || h[hn - 1] == '.'))
            hn--;
        free(ss->host);
        ss->host = ff_strndup_trim(h, hn);
        ss->command = NULL;
        ss->reply = NULL;
        ss->quit = false;
        return ss->host ? FF_OK : FF_ENOMEM;
    }
    if (n >= 4 && memcmp(l, ">>> ", 4) == 0) {
        st = settle(out, first, ss);
        /* what the server says to QUIT or RSET is no answer about a recipient */
        ss->quit = ff_startswith_case(l + 4, n - 4, "QUIT") ||
                   ff_startswith_case(l + 4, n - 4, "RSET");
        if (!ss->quit)
            ss->command = mta_command(l + 4, n - 4);
        if (ss->command != NULL && strcmp(ss->command, "RCPT") == 0) {
            ss->rcpt = l + 4;
            ss->rcpt_n = n - 4;
        }
        ss->reply = NULL;
        return st;
    }
    if (n >= 3 && memcmp(l, "<<<", 3) == 0) {
        /* "503 Need RCPT" only says that every recipient had failed already */
        if (ss->quit || mta_code_find(l + 3, n - 3) == 503)
            return FF_OK;
        if (!was_open || ss->reply == NULL)
            ss->reply = l;
        ss->reply_end = l + n;
        ss->reply_open = true;
        return FF_OK;
    }
    if (outcome(l, n)) {
        const char *dots = ff_memcasemem(l, n, "...");
        size_t off, an;
        if (!ff_addr_find(l, (size_t)(dots - l), &off, &an))
            return FF_OK;
        if (out->n >= MTA_MAX_HITS) /* each lookup walks every hit */
            return FF_OK;
        char *addr = ff_addr_dup(l + off, an);
        if (addr == NULL)
            return FF_ENOMEM;
        ff_hit *h = find(out, first, addr);
        if (h == NULL) {
            h = ff_hits_push(out);
            if (h == NULL) {
                free(addr);
                return FF_ENOMEM;
            }
            h->recipient = addr;
        } else {
            free(addr);
        }
        size_t idx = (size_t)(h - out->v) - first;
        if (idx < SM_TRACK)
            ss->done[idx] = true;
        st = mta_set_diag(h, l, n);
        /* "554 <addr>... 550 Host unknown": the code after the dots is the cause */
        const char *after = dots + 3;
        while (after < l + n && *after == ' ')
            after++;
        int inner = mta_code_find(after, (size_t)(l + n - after) < 4 ?
                                  (size_t)(l + n - after) : 4);
        if (inner != 0)
            h->code = inner;
        if (st == FF_OK)
            st = apply_session(h, ss);
        /* a reply answers the recipient after it, not the next one */
        ss->reply = NULL;
        ss->rcpt = NULL;
        return st;
    }
    if (ff_memcasemem(l, n, "... ") != NULL) {
        /* "550 example.org (smtp)... 550 Host unknown": sendmail about another host, so
         * the session above no longer speaks for the recipients below */
        bool host = host_outcome(l, n);
        if (ss->host_outcome == NULL && host) {
            ss->host_outcome = l;
            ss->host_outcome_n = n;
        }
        /* "554 \"|procmail ...\"... Service unavailable": what the local delivery
         * said, for the recipient the program was expanded from */
        if (!host && *local == NULL && mta_code_find(l, n < 4 ? n : 4) != 0) {
            *local = l;
            *local_n = n;
        }
        free(ss->host);
        ss->host = NULL;
        ss->command = NULL;
        ss->reply = NULL;
        return FF_OK;
    }
    if (mta_code_find(l, n < 4 ? n : 4) != 0 && *local == NULL) {
        *local = l;
        *local_n = n;
    }
    return st;
}

/* A list entry that is a local delivery program or file ("|procmail", "/var/mail/x"),
 * quoted or not. */
static bool delivery_program(const char *l, size_t n)
{
    if (n > 0 && l[0] == '"') {
        l++;
        n--;
    }
    return n > 0 && (l[0] == '|' || l[0] == '/');
}

/* A failure about a host and no recipient named anywhere: one hit without a recipient,
 * whose diagnostic is the line and whose remote MTA is the host it names. */
static ff_status host_only(ff_hits *out, const session *ss, bool delayed)
{
    const char *l = ss->host_outcome;
    size_t n = ss->host_outcome_n;
    ff_hit *h = ff_hits_push(out);
    if (h == NULL)
        return FF_ENOMEM;
    ff_status st = mta_set_diag(h, l, n);
    /* "421 example.org (smtp)...": the host follows the reply code */
    size_t skip = mta_code_find(l, n < 4 ? n : 4) != 0 ? 3 : 0;
    while (skip < n && l[skip] == ' ')
        skip++;
    if (st == FF_OK)
        st = mta_set_host(h, l + skip, n - skip);
    if (st == FF_OK)
        st = delayed ? mta_set(&h->dsn_action, "delayed", 7)
                     : mta_set(&h->dsn_action, "failed", 6);
    return st;
}

static ff_status scan(const ff_mail *m, ff_hits *out)
{
    const char *t = m->text;
    size_t len = mta_cut(t, m->text_len, cut_markers);
    size_t first = out->n, pos = 0, n;
    const char *l, *local = NULL;
    size_t local_n = 0;
    enum section sec = SEC_NONE;
    bool delayed = mta_subject_starts(m, "Warning:");
    const char *sec_action = "failed";
    session ss = {0};
    ff_hit *last = NULL;
    bool program = false; /* the list's last entry was a program or file, not an address */
    ff_status st = FF_OK;
    while (st == FF_OK && ff_line_next(t, len, &pos, &l, &n)) {
        size_t ind = mta_indent(l, n);
        if (ff_startswith_case(l + ind, n - ind, "----- The following addresses had")) {
            /* each list says what became of its addresses */
            sec = SEC_ADDRS;
            sec_action = "failed";
            if (ff_memcasemem(l, n, "non-fatal") != NULL)
                sec_action = "delayed";
            else if (ff_memcasemem(l, n, "successful") != NULL)
                sec_action = "delivered";
            continue;
        }
        if (ff_startswith_case(l + ind, n - ind, "----- Transcript of session follows")) {
            sec = SEC_TRANSCRIPT;
            continue;
        }
        if (mta_blank(l, n)) {
            /* the address list ends at its first blank line */
            if (sec == SEC_ADDRS && out->n > first)
                sec = SEC_NONE;
            continue;
        }
        if (sec == SEC_ADDRS) {
            if (ind == 0 || ff_startswith_case(l, n, ">>>")) {
                last = mta_hit_add(out, l, n, &st);
                program = last == NULL && st == FF_OK && delivery_program(l, n);
                if (last != NULL)
                    st = mta_set(&last->dsn_action, sec_action, strlen(sec_action));
            } else if (!last && program &&
                       ff_startswith_case(l + ind, n - ind, "(expanded from:")) {
                /* a program or file names nobody: the address it was expanded from is
                 * the recipient the sender wrote to */
                program = false;
                last = mta_hit_add(out, l + ind, n - ind, &st);
                if (last != NULL)
                    st = mta_set(&last->dsn_action, sec_action, strlen(sec_action));
            } else if (last && ff_startswith_case(l + ind, n - ind, "(expanded from:")) {
                st = mta_set_original(last, l + ind, n - ind);
            } else if (last && ff_startswith_case(l + ind, n - ind, "(reason:")) {
                const char *r = l + ind + 8;
                size_t rn = n - ind - 8;
                if (rn > 0 && r[rn - 1] == ')')
                    rn--;
                st = mta_set_diag(last, r, rn);
            }
        } else if (sec == SEC_TRANSCRIPT) {
            st = transcript_line(out, first, &ss, l, n, &local, &local_n);
        }
    }
    if (st == FF_OK)
        st = settle(out, first, &ss);
    /* Recipients the transcript did not end on their own line share its last reply,
     * unless that reply quotes another of them. */
    for (size_t i = first; st == FF_OK && i < out->n; i++) {
        ff_hit *h = &out->v[i];
        bool done = i - first < SM_TRACK && ss.done[i - first];
        session mine = ss;
        if (mine.reply != NULL &&
            !mta_diag_is_for(mine.reply, (size_t)(mine.reply_end - mine.reply), out, first, h))
            mine.reply = NULL;
        if (!done && (mine.host != NULL || mine.reply != NULL))
            st = apply_session(h, &mine);
        if (st == FF_OK && h->diagnostic == NULL && local != NULL &&
            mta_diag_is_for(local, local_n, out, first, h))
            st = mta_set_diag(h, local, local_n);
        if (st == FF_OK && h->dsn_action == NULL)
            st = delayed ? mta_set(&h->dsn_action, "delayed", 7)
                         : mta_set(&h->dsn_action, "failed", 6);
    }
    if (st == FF_OK && out->n == first && ss.host_outcome != NULL)
        st = host_only(out, &ss, delayed);
    free(ss.host);
    return st;
}

const ff_lhost ff_lhost_sendmail = {"sendmail", detect, scan};
