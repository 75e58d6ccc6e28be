/* sim.h - the mailbox simulator behind `fivefifty sim` (see man/fivefifty-sim.1)
 *
 * An SMTP server for tests and demos that answers per recipient the way real receivers
 * do: the local part (before any "+tag") picks the behaviour, as Amazon SES's and
 * Postmark's simulators do. Replies carry the texts the big providers send, so what the
 * classifier sees is what it will see in production.
 *
 * Reports that arrive later in real life (ARF complaints, auto-replies, late DSNs) are
 * written into a maildir as files, for `fivefifty ingest` to pick up.
 */
#ifndef FF_SIM_H
#define FF_SIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum sim_when {
    SIM_AT_RCPT,   /* the reply is the RCPT reply */
    SIM_AT_EOD     /* RCPT is accepted; the reply comes after the final dot */
} sim_when;

typedef enum sim_after {
    SIM_NOTHING,
    SIM_REPORT_ARF,       /* accepted, then a complaint into the maildir */
    SIM_REPORT_AUTOREPLY, /* accepted, then an out-of-office reply */
    SIM_REPORT_DSN,       /* accepted, then a 5.1.1 DSN arrives later */
    SIM_REPORT_DSN_RELAY, /* accepted, then a DSN: the next hop refused to relay */
    SIM_DROP_IN_DATA,     /* accepted, then the connection drops in the middle of DATA */
    SIM_CLOSE_AFTER       /* reply, then close the connection (421 does this) */
} sim_after;

typedef struct sim_behaviour {
    const char *name;     /* local part that selects it */
    const char *reply;    /* full reply, CRLF-terminated lines; NULL = "250 2.1.5 OK" */
    sim_when when;
    sim_after after;
    bool greylist;        /* 450 the first time a (sender, recipient) pair is seen */
    bool slow;            /* wait cfg->slow_ms before each reply to this recipient */
    const char *what;     /* for --list and the man page */
} sim_behaviour;

/* sim_behaviour_for() returns the behaviour for an address's local part (up to '+' or
 * '@', case ignored); the "accept" entry when none matches. Never NULL. */
const sim_behaviour *sim_behaviour_for(const char *addr);

/* The table, for `fivefifty sim --list`. */
const sim_behaviour *sim_behaviours(size_t *n);

typedef struct sim_cfg {
    const char *hostname;
    const char *maildir;     /* where reports go; NULL = none written */
    const char *keep;        /* a maildir for every accepted message as received; NULL =
                                none kept (tests read what went over the wire) */
    FILE *log;               /* one JSON line per recipient outcome; may be NULL */
    int slow_ms;
    int greylist_ms;         /* how long a greylisted pair waits */
    unsigned long max_size;
    pthread_mutex_t lock;    /* guards log, greylist, counters */
    struct sim_grey *grey;   /* (sender, recipient, first seen) */
    size_t ngrey, capgrey;
    unsigned long seq;       /* file names, queue ids */
    unsigned long sessions;  /* sessions accepted so far: each one's number */
} sim_cfg;

/* sim_session() runs one SMTP session on a connected socket and closes it. */
void sim_session(sim_cfg *cfg, int fd, const char *peer);

/* sim_report() writes the later report `after` for (sender, recipient) about the message
 * `msg` (len bytes) into cfg->maildir (tmp/ then new/, as maildir wants). */
/* sim_keep() stores an accepted message, as received, in cfg->keep (a maildir), when set,
 * under the Received: trace field every SMTP server adds (RFC 5321 4.4), which names the
 * peer, the session's number and the queue id. */
void sim_keep(sim_cfg *cfg, const char *peer, unsigned long session, const char *queue_id,
              const char *msg, size_t len);

void sim_report(sim_cfg *cfg, sim_after after, const char *sender, const char *rcpt,
                const char *msg, size_t len);

/* sim_greylisted() says whether the pair must still wait, remembering it on first sight. */
bool sim_greylisted(sim_cfg *cfg, const char *sender, const char *rcpt);

#endif
