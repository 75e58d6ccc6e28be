/* sim_session.c - one SMTP server session of the simulator, as an explicit state machine
 *
 * States: S_HELLO (greeted, wants EHLO/HELO) -> S_MAIL -> S_RCPT -> (DATA) S_DATA ->
 * S_MAIL ... QUIT. Commands out of order get 503, unknown ones 500, as RFC 5321 says.
 * PIPELINING is offered, so commands are read from a buffer that may hold several.
 *
 * The simulator is strict where strictness protects the client's users: a line that ends
 * in a bare LF, or a bare CR in DATA, is answered 550 5.6.11 (as Postfix's
 * smtpd_forbid_bare_newline does), which is how the tests prove fivefifty never sends one.
 */
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"

#define LINE_MAX_SIM 2048
#define RCPT_MAX 1000
#define IDLE_MS 60000

enum state { S_HELLO, S_MAIL, S_RCPT, S_DONE };

typedef struct rcpt {
    char addr[320];
    const sim_behaviour *b;
} rcpt;

typedef struct sess {
    sim_cfg *cfg;
    int fd;
    enum state st;
    char in[65536];
    size_t have;
    char from[320];
    rcpt *rcpts;
    size_t nrcpt;
    const char *peer;
    unsigned long number; /* the session's, for the Received: field of kept messages */
} sess;

static void say(sess *s, const char *fmt, const char *arg)
{
    char out[4096];
    int n = snprintf(out, sizeof out, fmt, arg ? arg : "");
    if (n > 0)
        send(s->fd, out, (size_t)n < sizeof out ? (size_t)n : sizeof out - 1, MSG_NOSIGNAL);
}

/* Read more bytes; false on close, error or idle timeout. */
static bool fill(sess *s)
{
    if (s->have >= sizeof s->in)
        return false;
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    if (poll(&p, 1, IDLE_MS) <= 0)
        return false;
    ssize_t n = recv(s->fd, s->in + s->have, sizeof s->in - s->have, 0);
    if (n <= 0)
        return false;
    s->have += (size_t)n;
    return true;
}

/* Take one command line (without its line end) into line. *bare is set when it ended
 * with a bare LF. false when the client went away. */
static bool get_line(sess *s, char *line, size_t cap, bool *bare)
{
    for (;;) {
        char *nl = memchr(s->in, '\n', s->have);
        if (nl) {
            size_t n = (size_t)(nl - s->in) + 1, l = n - 1;
            *bare = !(l && s->in[l - 1] == '\r');
            if (!*bare)
                l--;
            if (l >= cap)
                l = cap - 1;
            memcpy(line, s->in, l);
            line[l] = '\0';
            memmove(s->in, s->in + n, s->have - n);
            s->have -= n;
            return true;
        }
        if (s->have >= LINE_MAX_SIM)
            return false; /* a line this long is no SMTP command */
        if (!fill(s))
            return false;
    }
}

static void log_outcome(sess *s, const char *addr, const char *reply, const char *msgid)
{
    if (!s->cfg->log)
        return;
    char code[4] = "";
    if (reply)
        memcpy(code, reply, 3);
    pthread_mutex_lock(&s->cfg->lock);
    /* Addresses are printed as received; they come from one CR/LF-free command line.
     * Quotes and backslashes are replaced so the line stays valid JSON. */
    char safe_r[320], safe_f[320], safe_m[200];
    const char *src[3] = {addr, s->from, msgid ? msgid : ""};
    char *dst[3] = {safe_r, safe_f, safe_m};
    size_t cap[3] = {sizeof safe_r, sizeof safe_f, sizeof safe_m};
    for (int k = 0; k < 3; k++) {
        size_t o = 0;
        for (const char *p = src[k]; *p && o + 1 < cap[k]; p++)
            dst[k][o++] = (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) ? '_' : *p;
        dst[k][o] = '\0';
    }
    fprintf(s->cfg->log, "{\"from\":\"%s\",\"rcpt\":\"%s\",\"code\":%s,\"message_id\":\"%s\"}\n",
            safe_f, safe_r, *code ? code : "0", safe_m);
    fflush(s->cfg->log);
    pthread_mutex_unlock(&s->cfg->lock);
}

static void slow_down(sess *s, const sim_behaviour *b)
{
    if (b->slow && s->cfg->slow_ms > 0) {
        struct timespec ts = {s->cfg->slow_ms / 1000, (s->cfg->slow_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* The address between <>; false when there is none. */
static bool angle(const char *arg, char *out, size_t cap)
{
    const char *a = strchr(arg, '<'), *b = a ? strchr(a, '>') : NULL;
    if (!a || !b || (size_t)(b - a - 1) >= cap)
        return false;
    memcpy(out, a + 1, (size_t)(b - a - 1));
    out[b - a - 1] = '\0';
    return true;
}

static void reset(sess *s)
{
    s->from[0] = '\0';
    s->nrcpt = 0;
    s->st = S_MAIL;
}

static void do_rcpt(sess *s, const char *arg)
{
    char addr[320];
    if (s->st != S_RCPT) {
        say(s, "503 5.5.1 MAIL first\r\n", NULL);
        return;
    }
    if (!angle(arg, addr, sizeof addr) || !strchr(addr, '@')) {
        say(s, "501 5.1.3 Bad recipient address syntax\r\n", NULL);
        return;
    }
    if (s->nrcpt >= RCPT_MAX) {
        say(s, "452 4.5.3 Too many recipients\r\n", NULL);
        return;
    }
    const sim_behaviour *b = sim_behaviour_for(addr);
    slow_down(s, b);
    if (b->greylist) {
        if (sim_greylisted(s->cfg, s->from, addr)) {
            say(s, b->reply, addr);
            log_outcome(s, addr, b->reply, NULL);
            return;
        }
    } else if (b->reply && b->when == SIM_AT_RCPT) {
        say(s, b->reply, addr);
        log_outcome(s, addr, b->reply, NULL);
        if (b->after == SIM_CLOSE_AFTER)
            s->st = S_DONE;
        return;
    }
    rcpt *r = &s->rcpts[s->nrcpt++];
    snprintf(r->addr, sizeof r->addr, "%s", addr);
    r->b = b;
    say(s, "250 2.1.5 OK\r\n", NULL);
}

/* Read the message up to the final dot, un-stuffing it. Returns its length, or -1 when
 * the client went away; *bare is set when a bare CR or LF was seen. */
static long read_data(sess *s, char **msg, bool *bare, bool drop)
{
    size_t cap = 65536, len = 0;
    char *m = malloc(cap);
    if (!m)
        return -1;
    *bare = false;
    for (;;) {
        char *nl = memchr(s->in, '\n', s->have);
        if (!nl) {
            if (drop && len > 0) {
                free(m);
                return -1; /* the simulated drop: mid-DATA, after some of it arrived */
            }
            if (!fill(s)) {
                free(m);
                return -1;
            }
            continue;
        }
        size_t n = (size_t)(nl - s->in) + 1;
        const char *l = s->in;
        size_t ll = n - 1;
        if (ll && l[ll - 1] == '\r')
            ll--;
        else
            *bare = true;
        if (memchr(l, '\r', ll))
            *bare = true;
        if (ll == 1 && l[0] == '.') {
            memmove(s->in, s->in + n, s->have - n);
            s->have -= n;
            break;
        }
        if (ll && l[0] == '.') {
            l++;
            ll--;
        }
        if (len + ll + 2 > cap) {
            if (cap > s->cfg->max_size * 2) {
                free(m);
                return -1;
            }
            char *bigger = realloc(m, cap * 2 + ll);
            if (!bigger) {
                free(m);
                return -1;
            }
            m = bigger;
            cap = cap * 2 + ll;
        }
        memcpy(m + len, l, ll);
        len += ll;
        m[len++] = '\r';
        m[len++] = '\n';
        memmove(s->in, s->in + n, s->have - n);
        s->have -= n;
        if (drop) {
            free(m);
            return -1;
        }
    }
    *msg = m;
    return (long)len;
}

static void message_id(const char *msg, size_t len, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i + 11 < len; i++) {
        if ((i == 0 || msg[i - 1] == '\n') && strncasecmp(msg + i, "Message-ID:", 11) == 0) {
            size_t j = i + 11, o = 0;
            while (j < len && (msg[j] == ' ' || msg[j] == '\t'))
                j++;
            while (j < len && msg[j] != '\r' && msg[j] != '\n' && o + 1 < cap)
                out[o++] = msg[j++];
            out[o] = '\0';
            return;
        }
        if (msg[i] == '\n' && (msg[i + 1] == '\n' || (msg[i + 1] == '\r' && msg[i + 2] == '\n')))
            return; /* end of the header */
    }
}

static void do_data(sess *s)
{
    if (s->st != S_RCPT || s->nrcpt == 0) {
        say(s, "554 5.5.1 No valid recipients\r\n", NULL);
        return;
    }
    say(s, "354 End data with <CR><LF>.<CR><LF>\r\n", NULL);
    bool drop = false;
    for (size_t i = 0; i < s->nrcpt; i++)
        drop = drop || s->rcpts[i].b->after == SIM_DROP_IN_DATA;
    char *msg = NULL;
    bool bare = false;
    long len = read_data(s, &msg, &bare, drop);
    if (len < 0) {
        s->st = S_DONE;
        return;
    }
    char mid[200];
    message_id(msg, (size_t)len, mid, sizeof mid);
    const char *reply = NULL;
    if (bare)
        reply = "550 5.6.11 Bare CR or LF in message data (SMTP smuggling guard)\r\n";
    else if ((unsigned long)len > s->cfg->max_size)
        reply = "552 5.3.4 Message size exceeds fixed limit\r\n";
    for (size_t i = 0; !reply && i < s->nrcpt; i++)
        if (s->rcpts[i].b->when == SIM_AT_EOD && s->rcpts[i].b->reply)
            reply = s->rcpts[i].b->reply;
    char ok[128], qid[32] = "";
    if (!reply) {
        pthread_mutex_lock(&s->cfg->lock);
        unsigned long id = ++s->cfg->seq;
        pthread_mutex_unlock(&s->cfg->lock);
        snprintf(qid, sizeof qid, "SIM%06lu", id);
        snprintf(ok, sizeof ok, "250 2.0.0 Ok: queued as %s\r\n", qid);
        reply = ok;
    }
    say(s, reply, NULL);
    if (reply == ok)
        sim_keep(s->cfg, s->peer, s->number, qid, msg, (size_t)len);
    for (size_t i = 0; i < s->nrcpt; i++) {
        log_outcome(s, s->rcpts[i].addr, reply, mid);
        if (reply == ok && s->rcpts[i].b->after >= SIM_REPORT_ARF &&
            s->rcpts[i].b->after <= SIM_REPORT_DSN_RELAY)
            sim_report(s->cfg, s->rcpts[i].b->after, s->from, s->rcpts[i].addr, msg,
                       (size_t)len);
    }
    free(msg);
    reset(s);
}

static void dispatch(sess *s, char *line, bool bare)
{
    char verb[16];
    size_t vl = strcspn(line, " ");
    if (vl >= sizeof verb)
        vl = sizeof verb - 1;
    for (size_t i = 0; i < vl; i++)
        verb[i] = (char)toupper((unsigned char)line[i]);
    verb[vl] = '\0';
    const char *arg = line + strcspn(line, " ");
    if (bare) {
        say(s, "500 5.5.2 Command line ends in a bare LF\r\n", NULL);
    } else if (!strcmp(verb, "EHLO")) {
        char caps[512];
        snprintf(caps, sizeof caps,
                 "250-%s\r\n250-PIPELINING\r\n250-SIZE %lu\r\n250-8BITMIME\r\n"
                 "250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 DSN\r\n",
                 s->cfg->hostname, s->cfg->max_size);
        say(s, "%s", caps);
        reset(s);
    } else if (!strcmp(verb, "HELO")) {
        say(s, "250 %s\r\n", s->cfg->hostname);
        reset(s);
    } else if (!strcmp(verb, "MAIL")) {
        if (s->st == S_HELLO)
            say(s, "503 5.5.1 EHLO first\r\n", NULL);
        else if (s->st == S_RCPT)
            say(s, "503 5.5.1 Nested MAIL command\r\n", NULL);
        else if (!angle(arg, s->from, sizeof s->from))
            say(s, "501 5.1.7 Bad sender address syntax\r\n", NULL);
        else {
            s->st = S_RCPT;
            say(s, "250 2.1.0 OK\r\n", NULL);
        }
    } else if (!strcmp(verb, "RCPT")) {
        do_rcpt(s, arg);
    } else if (!strcmp(verb, "DATA")) {
        do_data(s);
    } else if (!strcmp(verb, "RSET")) {
        if (s->st != S_HELLO)
            reset(s);
        say(s, "250 2.0.0 OK\r\n", NULL);
    } else if (!strcmp(verb, "NOOP")) {
        say(s, "250 2.0.0 OK\r\n", NULL);
    } else if (!strcmp(verb, "QUIT")) {
        say(s, "221 2.0.0 Bye\r\n", NULL);
        s->st = S_DONE;
    } else {
        say(s, "502 5.5.2 Command not recognised\r\n", NULL);
    }
}

void sim_session(sim_cfg *cfg, int fd, const char *peer)
{
    sess *s = calloc(1, sizeof *s);
    if (s)
        s->rcpts = calloc(RCPT_MAX, sizeof *s->rcpts);
    if (!s || !s->rcpts) {
        free(s);
        close(fd);
        return;
    }
    s->cfg = cfg;
    s->fd = fd;
    s->peer = peer;
    pthread_mutex_lock(&cfg->lock);
    s->number = ++cfg->sessions;
    pthread_mutex_unlock(&cfg->lock);
    s->st = S_HELLO;
    say(s, "220 %s ESMTP fivefifty mailbox simulator\r\n", cfg->hostname);
    char line[LINE_MAX_SIM];
    bool bare;
    while (s->st != S_DONE && get_line(s, line, sizeof line, &bare))
        dispatch(s, line, bare);
    close(fd);
    free(s->rcpts);
    free(s);
}
