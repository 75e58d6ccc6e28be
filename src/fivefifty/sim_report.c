/* sim_report.c - the simulator's later reports: ARF complaints (RFC 5965), RFC 3834
 * auto-replies and RFC 3464 DSNs, written into a maildir addressed to the envelope sender
 * (the VERP Return-Path), the way a receiving system sends them back in real life.
 *
 * Files are written to tmp/ and renamed into new/, as the maildir format requires, so a
 * reader never sees half a report. The returned part carries the original header (its
 * Message-ID above all), which is what lets `fivefifty ingest` match it to what was sent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"

/* The header of the original message: up to the first empty line. */
static size_t header_len(const char *msg, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (msg[i] == '\n' && msg[i + 1] == '\n')
            return i + 1;
        if (msg[i] == '\n' && msg[i + 1] == '\r' && i + 2 < len && msg[i + 2] == '\n')
            return i + 1;
    }
    return len;
}

static void mkdirs(const char *base)
{
    char p[4096];
    const char *sub[] = {"", "/tmp", "/new", "/cur"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", base, sub[i]);
        mkdir(p, 0700);
    }
}

/* A new file in maildir `dir`'s tmp/ with a unique name; *seq, tmp and final (its name
 * under new/) are filled for maildir_commit(). NULL when it cannot be created. */
static FILE *maildir_open(sim_cfg *cfg, const char *dir, unsigned long *seq, char *tmp,
                          char *final, size_t cap)
{
    mkdirs(dir);
    pthread_mutex_lock(&cfg->lock);
    *seq = ++cfg->seq;
    pthread_mutex_unlock(&cfg->lock);
    char name[256];
    snprintf(name, sizeof name, "%ld.S%lu_%d.%s", (long)time(NULL), *seq, (int)getpid(),
             cfg->hostname);
    snprintf(tmp, cap, "%s/tmp/%s", dir, name);
    snprintf(final, cap, "%s/new/%s", dir, name);
    return fopen(tmp, "wb");
}

/* Flushes, syncs and closes f, then moves it into new/; a failed write leaves nothing. */
static void maildir_commit(FILE *f, bool ok, const char *tmp, const char *final)
{
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, final) != 0)
        unlink(tmp);
}

/* The current time as an RFC 5322 date, in UTC. */
static void date_now(char *out, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, cap, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

void sim_report(sim_cfg *cfg, sim_after after, const char *sender, const char *rcpt,
                const char *msg, size_t len)
{
    if (!cfg->maildir)
        return;
    unsigned long seq;
    char tmp[4096], final[4096];
    FILE *f = maildir_open(cfg, cfg->maildir, &seq, tmp, final, sizeof tmp);
    if (!f)
        return;
    char date[64];
    date_now(date, sizeof date);
    const char *to = *sender ? sender : "postmaster@localhost";
    size_t hl = header_len(msg, len);
    const char *boundary = "=_fivefifty_sim_report";
    if (after == SIM_REPORT_ARF) {
        fprintf(f,
                "From: Complaints <feedback@%s>\r\nTo: <%s>\r\nDate: %s\r\n"
                "Subject: Complaint about a message you sent\r\n"
                "Message-ID: <arf.%lu@%s>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/report; report-type=feedback-report;\r\n"
                "\tboundary=\"%s\"\r\n\r\n"
                "--%s\r\nContent-Type: text/plain\r\n\r\n"
                "A recipient marked your message as spam.\r\n\r\n"
                "--%s\r\nContent-Type: message/feedback-report\r\n\r\n"
                "Feedback-Type: abuse\r\nUser-Agent: fivefifty-sim/1\r\nVersion: 1\r\n"
                "Original-Mail-From: <%s>\r\nOriginal-Rcpt-To: <%s>\r\n"
                "Arrival-Date: %s\r\nReported-Domain: %s\r\n\r\n"
                "--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n",
                cfg->hostname, to, date, seq, cfg->hostname, boundary, boundary, boundary, to,
                rcpt, date, strchr(to, '@') ? strchr(to, '@') + 1 : to, boundary);
        fwrite(msg, 1, hl, f);
        fprintf(f, "\r\n--%s--\r\n", boundary);
    } else if (after == SIM_REPORT_DSN || after == SIM_REPORT_DSN_RELAY) {
        /* the same report, with the next hop's answer: a dead mailbox, or a recipient MX
         * that does not relay for its own domain */
        bool relay = after == SIM_REPORT_DSN_RELAY;
        const char *why = relay ? "the next server refused to relay it"
                                : "the mailbox does not exist";
        const char *status = relay ? "5.7.1" : "5.1.1";
        char dline[600];
        if (relay)
            snprintf(dline, sizeof dline, "554 5.7.1 <%s>: Relay access denied", rcpt);
        else
            snprintf(dline, sizeof dline,
                     "550 5.1.1 <%s>: Recipient address rejected: User unknown in local "
                     "recipient table", rcpt);
        fprintf(f,
                "From: Mail Delivery System <MAILER-DAEMON@%s>\r\nTo: <%s>\r\nDate: %s\r\n"
                "Subject: Undelivered Mail Returned to Sender\r\n"
                "Message-ID: <dsn.%lu@%s>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/report; report-type=delivery-status;\r\n"
                "\tboundary=\"%s\"\r\n\r\n"
                "--%s\r\nContent-Type: text/plain\r\n\r\n"
                "Your message could not be delivered to <%s>: %s.\r\n\r\n"
                "--%s\r\nContent-Type: message/delivery-status\r\n\r\n"
                "Reporting-MTA: dns; %s\r\nArrival-Date: %s\r\n\r\n"
                "Final-Recipient: rfc822; %s\r\nOriginal-Recipient: rfc822; %s\r\n"
                "Action: failed\r\nStatus: %s\r\nRemote-MTA: dns; mailstore.%s\r\n"
                "Diagnostic-Code: smtp; %s\r\nLast-Attempt-Date: %s\r\n\r\n"
                "--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n",
                cfg->hostname, to, date, seq, cfg->hostname, boundary, boundary, rcpt, why,
                boundary, cfg->hostname, date, rcpt, rcpt, status, cfg->hostname, dline, date,
                boundary);
        fwrite(msg, 1, hl, f);
        fprintf(f, "\r\n--%s--\r\n", boundary);
    } else {
        fprintf(f,
                "From: <%s>\r\nTo: <%s>\r\nDate: %s\r\nSubject: Out of Office: away until "
                "Monday\r\nMessage-ID: <ooo.%lu@%s>\r\nAuto-Submitted: auto-replied\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                "I am out of the office until Monday and will read your message then.\r\n",
                rcpt, to, date, seq, cfg->hostname);
    }
    maildir_commit(f, true, tmp, final);
}

void sim_keep(sim_cfg *cfg, const char *peer, unsigned long session, const char *queue_id,
              const char *msg, size_t len)
{
    if (!cfg->keep)
        return;
    unsigned long seq;
    char tmp[4096], final[4096];
    FILE *f = maildir_open(cfg, cfg->keep, &seq, tmp, final, sizeof tmp);
    if (!f)
        return;
    char date[64];
    date_now(date, sizeof date);
    int n = fprintf(f, "Received: from [%s] by %s (fivefifty sim) with ESMTP id %s\r\n"
                       "\t(session %lu); %s\r\n", peer ? peer : "unknown", cfg->hostname,
                    queue_id, session, date);
    maildir_commit(f, n > 0 && fwrite(msg, 1, len, f) == len, tmp, final);
}

/* Greylisting: one entry per (sender, recipient) with the time it was first seen. */
struct sim_grey {
    char key[640];
    struct timespec first;
};

bool sim_greylisted(sim_cfg *cfg, const char *sender, const char *rcpt)
{
    char key[640];
    snprintf(key, sizeof key, "%s\n%s", sender, rcpt);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    bool wait = true;
    pthread_mutex_lock(&cfg->lock);
    size_t i;
    for (i = 0; i < cfg->ngrey; i++)
        if (strcmp(cfg->grey[i].key, key) == 0)
            break;
    if (i < cfg->ngrey) {
        long long ms = (now.tv_sec - cfg->grey[i].first.tv_sec) * 1000LL +
                       (now.tv_nsec - cfg->grey[i].first.tv_nsec) / 1000000;
        wait = ms < cfg->greylist_ms;
    } else if (cfg->ngrey < 100000) {
        if (cfg->ngrey == cfg->capgrey) {
            size_t cap = cfg->capgrey ? cfg->capgrey * 2 : 64;
            struct sim_grey *g = realloc(cfg->grey, cap * sizeof *g);
            if (g) {
                cfg->grey = g;
                cfg->capgrey = cap;
            }
        }
        if (cfg->ngrey < cfg->capgrey) {
            snprintf(cfg->grey[cfg->ngrey].key, sizeof cfg->grey[0].key, "%s", key);
            cfg->grey[cfg->ngrey].first = now;
            cfg->ngrey++;
        }
    }
    pthread_mutex_unlock(&cfg->lock);
    return wait;
}
