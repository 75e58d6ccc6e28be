/* test_lhost_mta.c - the MTA scanners on bounces written for these tests
 *
 * Each row names a fixture under tests/data/lhost/mta/, the scanner that must be the first
 * MTA scanner to detect it, and every hit that scanner must find, field by field.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lhost.h"
#include "mail.h"

extern const ff_lhost *const ff_lhost_mtas[];
extern const size_t ff_lhost_nmtas;

struct want {
    const char *rcpt, *diag, *status, *command, *remote, *action;
    int code;
    const char *orig; /* original_recipient, NULL when the text gives none */
};

struct row {
    const char *file;
    const char *scanner;
    size_t n;
    struct want hits[4];
};

static const struct row rows[] = {
    {"postfix-user-unknown.eml", "postfix", 3, {
        {"user@example.org",
         "550 5.1.1 <user@example.org>: Recipient address rejected: User unknown in local "
         "recipient table", "5.1.1", "RCPT", "mx1.example.org", "failed", 550, NULL},
        {"bob@example.net", "unknown user: \"bob\"", "", NULL, NULL, "failed", 0,
         "team@example.com"},
        {"carol@example.net",
         "lost connection with mx.example.net[198.51.100.7] while sending end of data -- "
         "message may be sent more than once", "", "DATA", "mx.example.net", "failed", 0, NULL},
    }},
    {"postfix-delayed.eml", "postfix", 1, {
        {"dave@example.org", "421 4.7.0 Try again later, closing connection.", "4.7.0",
         "CONN", "mx.example.org", "delayed", 421, NULL},
    }},
    {"postfix-old.eml", "postfix", 1, {
        {"erin@example.org",
         "Name service error for domain example.org: Host not found, try again", "", NULL,
         NULL, "failed", 0, NULL},
    }},
    {"sendmail-transcript.eml", "sendmail", 2, {
        {"user@example.org",
         "550-5.7.1 Recipient rejected by policy, 550 5.7.1 see https://example.org/policy",
         "5.7.1", "RCPT", "mx.example.org", "failed", 550, NULL},
        {"gone@example.net",
         "550 5.1.2 <gone@example.net>... Host unknown (Name server: example.net: host not "
         "found)", "5.1.2", NULL, NULL, "failed", 550, "staff@example.com"},
    }},
    {"sendmail-v5.eml", "sendmail", 2, {
        {"ann@example.org", "550 <ann@example.org>... No such user here", "", "RCPT",
         "mail.example.org", "failed", 550, NULL},
        {"ben@example.net",
         "554 <ben@example.net>... 550 Host unknown (Authoritative answer from name server)",
         "", NULL, NULL, "failed", 550, NULL},
    }},
    /* Each RCPT's refusal is its recipient's, with no outcome lines to say so. */
    {"sendmail-two-replies.eml", "sendmail", 2, {
        {"una@example.org", "550 5.1.1 <una@example.org>... User unknown", "5.1.1", "RCPT",
         "mx.example.org", "failed", 550, NULL},
        {"vic@example.org", "552 5.2.2 <vic@example.org>... Mailbox full", "5.2.2", "RCPT",
         "mx.example.org", "failed", 552, NULL},
    }},
    /* The connection failed: the host is named, the recipient is not. */
    {"sendmail-v5-host.eml", "sendmail", 1, {
        {NULL, "421 mx.example.org (smtp)... Deferred: Connection refused by mx.example.org",
         "", NULL, "mx.example.org", "failed", 421, NULL},
    }},
    /* "name <addr>: reason": the bracketed address is the one Exim refused. */
    {"exim-malformed.eml", "exim", 1, {
        {"ben@example.net",
         "malformed address: <ben@example.net> may not follow ann@example.com", "", NULL,
         NULL, "failed", 0, NULL},
    }},
    /* A list that refuses a non-member: the list's address is the recipient. */
    {"fml-not-member.eml", "fml", 1, {
        {"garden@lists.example.org",
         "You are not a member of this mailing list <garden@lists.example.org>.", "", NULL,
         NULL, "failed", 0, NULL},
    }},
    /* An alias expanded to a program: the address it came from is the recipient. */
    {"sendmail-program.eml", "sendmail", 1, {
        {"jo@example.edu",
         "554 \"|/usr/bin/procmail -f- || exit 75 #jo\"... Service unavailable", "", NULL,
         NULL, "failed", 554, NULL},
    }},
    /* What one pipe printed about its own address is not the other pipe's reason. */
    {"exim-pipe-two.eml", "exim", 2, {
        {"desk@example.net", "helpdesk: no queue for desk@example.net", "", NULL, NULL,
         "failed", 0, NULL},
        {"sales@example.net", NULL, "", NULL, NULL, "failed", 0, NULL},
    }},
    {"exim-failed.eml", "exim", 2, {
        {"user@example.org",
         "host mx.example.org [192.0.2.20] SMTP error from remote mail server after RCPT "
         "TO:<user@example.org>: 550 5.1.1 <user@example.org>: Recipient address rejected: "
         "User unknown in virtual mailbox table", "5.1.1", "RCPT", "mx.example.org",
         "failed", 550, NULL},
        {"old@example.net", "retry timeout exceeded", "", NULL, NULL, "failed", 0,
         "alias@example.com"},
    }},
    {"exim-delayed.eml", "exim", 1, {
        {"slow@example.org",
         "host mx.example.org [198.51.100.30] Delay reason: SMTP error from remote mail "
         "server after MAIL FROM:<sender@example.com> SIZE=1200: 451 4.7.1 Greylisted, "
         "please try again later", "4.7.1", "MAIL", "mx.example.org", "delayed", 451, NULL},
    }},
    {"exim-pipe.eml", "exim", 1, {
        {"robot@example.org", "handler: cannot open queue directory: Permission denied", "",
         NULL, NULL, "failed", 0, NULL},
    }},
    {"qmail-two.eml", "qmail", 3, {
        {"full@example.org",
         "192.0.2.40 does not like recipient. Remote host said: 552 5.2.2 "
         "<full@example.org>: Mailbox full Giving up on 192.0.2.40.", "5.2.2", "RCPT",
         "192.0.2.40", "failed", 552, NULL},
        {"nobody@nowhere.example",
         "Sorry, I couldn't find any host named nowhere.example. (#5.1.2)", "5.1.2", NULL,
         NULL, "failed", 0, NULL},
        {"strict@example.net",
         "Connected to 198.51.100.9 but sender was rejected. Remote host said: 553 5.7.1 "
         "Sender address rejected: not permitted I'm not going to try again; this message "
         "has been in the queue too long.", "5.7.1", "MAIL", "198.51.100.9", "failed", 553, NULL},
    }},
    {"dragonfly-rcpt.eml", "dragonfly", 1, {
        {"user@example.org",
         "550 5.1.1 <user@example.org>: Recipient address rejected: User unknown", "5.1.1",
         "RCPT", "mx.example.org", "failed", 550, NULL},
    }},
    {"opensmtpd-delayed.eml", "opensmtpd", 2, {
        {"later@example.org", "421 4.7.0 Try again later", "4.7.0", NULL, NULL, "delayed",
         421, NULL},
        {"nomx@example.net", "No MX found for domain", "", NULL, NULL, "delayed", 0, NULL},
    }},
    {"courier-rcpt.eml", "courier", 1, {
        {"user@example.org",
         "550-5.1.1 The email account that you tried to reach does not exist. 550 5.1.1 "
         "Please check the address.", "5.1.1", "RCPT", "mx.example.org", "failed", 550, NULL},
    }},
    {"messagingserver-two.eml", "messagingserver", 2, {
        {"user@example.org", "550 5.1.1 <user@example.org>... User unknown", "5.1.1", "RCPT",
         "mx.example.org", "failed", 550, NULL},
        {"bad@invalid.example.net", "Illegal host/domain name found", "", NULL, NULL,
         "failed", 0, NULL},
    }},
    {"notes-reason.eml", "notes", 1, {
        {"user@example.org", "User not listed in public Name & Address Book", "", NULL, NULL,
         "failed", 0, NULL},
    }},
    {"domino-failure.eml", "domino", 1, {
        {"user@example.org", "User user (user@example.org) not listed in Domino Directory",
         "", NULL, NULL, "failed", 0, NULL},
    }},
    /* The reason quotes the first recipient: it is not the second's. */
    {"domino-two.eml", "domino", 2, {
        {"ida@example.org", "User ida (ida@example.org) not listed in Domino Directory",
         "", NULL, NULL, "failed", 0, NULL},
        {"jon@example.org", NULL, "", NULL, NULL, "failed", 0, NULL},
    }},
    {"mailfoundry-failed.eml", "mailfoundry", 1, {
        {"user@example.org",
         "Server mx.example.org[192.0.2.12] failed with: 550 <user@example.org> No such user "
         "here", "", NULL, "mx.example.org", "failed", 550, NULL},
    }},
    {"imailserver-unknown.eml", "imailserver", 2, {
        {"user@example.org", "Unknown user: user@example.org", "", NULL, NULL, "failed", 0, NULL},
        {"other@example.net", "550 5.7.1 Message rejected as spam", "5.7.1", NULL, NULL,
         "failed", 550, NULL},
    }},
    {"exchange2003-unknown.eml", "exchange2003", 1, {
        {"user@example.org",
         "The recipient name is not recognized MSEXCH:IMS:EXAMPLE:SITE:SERVER 0 (000C05A6) "
         "Unknown Recipient", "", NULL, NULL, "failed", 0, NULL},
    }},
    {"mfilter-data.eml", "mfilter", 1, {
        {"user@example.org", "550 5.1.1 <user@example.org>... User unknown", "5.1.1", "RCPT",
         NULL, "failed", 550, NULL},
    }},
    {"apachejames-invalid.eml", "apachejames", 1, {
        {"user@example.org", "550 - Requested action not taken: no such user here", "", NULL,
         NULL, "failed", 550, NULL},
    }},
    {"qmail-unable.eml", "qmail", 1, {
        {"user@example.org",
         "unable to connect to remote server [192.0.2.80:25]: Connection refused I'm not going "
         "to try again; this message has been in the queue too long.", "", NULL, NULL,
         "failed", 0, NULL},
    }},
    {"generic-list.eml", "generic", 2, {
        {"user@example.org",
         "SMTP:RCPT host 192.0.2.8: 550 5.1.1 <user@example.org>... No such user here",
         "5.1.1", "RCPT", NULL, "failed", 550, NULL},
        {"other@example.net", "Mailbox disabled", "", NULL, NULL, "failed", 0, NULL},
    }},
    /* The technical details quote the first recipient only: the second has no reason. */
    {"generic-list-shared.eml", "generic", 2, {
        {"user@example.org",
         "SMTP:RCPT host 192.0.2.8: 550 5.1.1 <user@example.org>... No such user here",
         "5.1.1", "RCPT", NULL, "failed", 550, NULL},
        {"other@example.net", NULL, "", NULL, NULL, "failed", 0, NULL},
    }},
    {"generic-dots.eml", "generic", 2, {
        {"user@example.org", "User unknown", "", NULL, NULL, "failed", 0, NULL},
        {"box@example.net", "552 5.2.2 Mailbox full", "5.2.2", NULL, NULL, "failed", 552, NULL},
    }},
    {"sendmail-warning.eml", "sendmail", 1, {
        {"slow@example.org",
         "<slow@example.org>... Deferred: Connection timed out with mx.example.org.", "",
         NULL, NULL, "delayed", 0, NULL},
    }},
    {"generic-xfailed.eml", "generic", 1, {
        {"gone@example.org", NULL, "", NULL, NULL, "failed", 0, NULL},
    }},
    {"postfix-delivered.eml", "postfix", 1, {
        {"user@example.org",
         "delivery via mx.example.org[192.0.2.10]:25: 250 2.0.0 Ok: queued as 4AbCdE", "2.0.0",
         NULL, NULL, "delivered", 250, NULL},
    }},
    {"sendmail-receipt.eml", "sendmail", 1, {
        {"user@example.org", "<user@example.org>... Successfully delivered", "", NULL, NULL,
         "delivered", 0, NULL},
    }},
    {"exchange2007-two.eml", "exchange2007", 2, {
        {"user@example.org", "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found", "5.1.1", NULL,
         NULL, "failed", 550, NULL},
        {"slow@example.net",
         "451 4.4.0 Primary target IP address responded with: \"421 4.4.2 Connection "
         "dropped.\"", "4.4.0", NULL, "mx.example.net", "failed", 451, NULL},
    }},
};

static char *slurp(const char *name, size_t *len)
{
    const char *dir = getenv("FF_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/lhost/mta/%s", dir ? dir : "tests/data", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void same(const char *file, size_t i, const char *field, const char *want,
                 const char *got)
{
    if (want == NULL && got == NULL)
        return;
    if (want == NULL || got == NULL || strcmp(want, got) != 0)
        fail_msg("%s hit %zu %s: want [%s] got [%s]", file, i, field, want ? want : "(null)",
                 got ? got : "(null)");
}

static void scanners(void **state)
{
    (void)state;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        const struct row *row = &rows[r];
        size_t len;
        char *data = slurp(row->file, &len);
        ff_mail m;
        ff_error err = {0};
        assert_int_equal(ff_mail_parse(data, len, &m, &err), FF_OK);
        const ff_lhost *first = NULL;
        for (size_t k = 0; k < ff_lhost_nmtas && first == NULL; k++)
            if (ff_lhost_mtas[k]->detect(&m))
                first = ff_lhost_mtas[k];
        if (first == NULL || strcmp(first->name, row->scanner) != 0)
            fail_msg("%s: first scanner to detect is %s, want %s", row->file,
                     first ? first->name : "none", row->scanner);
        ff_hits hits = {0};
        assert_int_equal(first->scan(&m, &hits), FF_OK);
        if (hits.n != row->n)
            fail_msg("%s: %zu hits, want %zu", row->file, hits.n, row->n);
        for (size_t i = 0; i < hits.n; i++) {
            const struct want *w = &row->hits[i];
            const ff_hit *h = &hits.v[i];
            same(row->file, i, "recipient", w->rcpt, h->recipient);
            same(row->file, i, "diagnostic", w->diag, h->diagnostic);
            same(row->file, i, "status", w->status, h->status);
            same(row->file, i, "command", w->command, h->command);
            same(row->file, i, "remote_mta", w->remote, h->remote_mta);
            same(row->file, i, "dsn_action", w->action, h->dsn_action);
            same(row->file, i, "original_recipient", w->orig, h->original_recipient);
            if (h->code != w->code)
                fail_msg("%s hit %zu code: want %d got %d", row->file, i, w->code, h->code);
        }
        ff_hits_free(&hits);
        ff_mail_free(&m);
        free(data);
    }
}

/* Mail that is no bounce, and bounce-like text with nothing a scanner can use. */
static void nothing(void **state)
{
    (void)state;
    static const char *msgs[] = {
        "From: a@example.com\nTo: b@example.org\nSubject: lunch\n\nSee you at noon.\n",
        "From: a@example.com\nSubject: Undelivered Mail Returned to Sender\n\n"
        "                   The mail system\n\n<nobody>: no domain here\n",
        "From: postmaster@example.com\nSubject: Welcome aboard\n\n"
        "<help@example.com>: write to us any time.\n",
        /* fml marks every post it relays; only its refusal titles make a bounce */
        "From: garden-admin@lists.example.org\nX-MLServer: fml [fml 4.0.3]\n"
        "List-Post: <mailto:garden@lists.example.org>\nSubject: [garden:00012] seeds\n\n"
        "Who has tomato seeds?\n",
        "",
    };
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        ff_mail m;
        ff_error err = {0};
        ff_status st = ff_mail_parse(msgs[i], strlen(msgs[i]), &m, &err);
        for (size_t k = 0; st == FF_OK && k < ff_lhost_nmtas; k++) {
            ff_hits hits = {0};
            bool detected = ff_lhost_mtas[k]->detect(&m);
            if (detected && i != 1)
                fail_msg("message %zu: %s detects a message that is no bounce", i,
                         ff_lhost_mtas[k]->name);
            if (!detected)
                continue;
            assert_int_equal(ff_lhost_mtas[k]->scan(&m, &hits), FF_OK);
            if (hits.n != 0)
                fail_msg("message %zu: %s finds %zu hits", i, ff_lhost_mtas[k]->name,
                         hits.n);
            ff_hits_free(&hits);
        }
        ff_mail_free(&m);
    }
}

/* A text naming more recipients than any bounce does stops at the cap. */
static void bounded(void **state)
{
    (void)state;
    static const char head[] = "From: MAILER-DAEMON@qm.example.com\nSubject: failure notice\n"
                               "\nHi. This is the qmail-send program at qm.example.com.\n\n";
    size_t cap = sizeof head + 1500 * 64;
    char *msg = malloc(cap);
    assert_non_null(msg);
    size_t n = (size_t)snprintf(msg, cap, "%s", head);
    for (int i = 0; i < 1500; i++)
        n += (size_t)snprintf(msg + n, cap - n, "<u%d@example.org>:\nSorry.\n\n", i);
    ff_mail m;
    ff_error err = {0};
    assert_int_equal(ff_mail_parse(msg, n, &m, &err), FF_OK);
    ff_hits hits = {0};
    size_t k = 0;
    while (k < ff_lhost_nmtas && strcmp(ff_lhost_mtas[k]->name, "qmail") != 0)
        k++;
    assert_true(k < ff_lhost_nmtas);
    assert_true(ff_lhost_mtas[k]->detect(&m));
    assert_int_equal(ff_lhost_mtas[k]->scan(&m, &hits), FF_OK);
    assert_int_equal(hits.n, 1000);
    ff_hits_free(&hits);
    ff_mail_free(&m);
    free(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scanners),
        cmocka_unit_test(nothing),
        cmocka_unit_test(bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
