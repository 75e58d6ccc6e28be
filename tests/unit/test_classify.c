/* test_classify.c - the decision engine: every row of DESIGN.md's decision table, the big
 * providers' documented codes, class disagreement, and the never-suppress-on-5.7.x rule */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fivefifty/classify.h"
#include "fivefifty/rules.h"

typedef struct row {
    const char *reply;
    const char *command;
    const char *reason;
    const char *klass;    /* NULL = not checked */
    const char *action;
    const char *side;     /* NULL = not checked */
    const char *provider; /* NULL = not checked */
} row;

static const row table[] = {
    /* DESIGN.md's decision table, row by row */
    {"550 5.1.1 <a@example.org>: Recipient address rejected: User unknown", "RCPT",
     "userunknown", "hard", "suppress", "recipient", NULL},
    {"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
     "RCPT", "userunknown", "hard", "suppress", NULL, NULL},
    {"550 mailbox does not exist", "RCPT", "userunknown", "hard", "suppress", NULL, NULL},
    {"550 5.1.2 Host or domain name not found. Name service error", "RCPT", "hostunknown",
     "hard", "suppress", "recipient", NULL},
    {"556 5.1.10 Recipient address has null MX", "RCPT", "notaccept", "hard", "suppress", NULL, NULL},
    {"550 5.2.1 The email account that you tried to reach is disabled.", "RCPT", "suspend",
     "hard", "suppress", NULL, NULL},
    {"452 4.2.2 The recipient's inbox is out of storage space.", "RCPT", "mailboxfull", "soft",
     "retry", NULL, NULL},
    {"552 5.2.2 Mailbox full", "RCPT", "mailboxfull", "hard", "retry", NULL, NULL},
    {"550 5.7.23 SPF validation failed", "RCPT", "authfailure", "hard", "hold", "sender", NULL},
    {"550 5.7.25 The IP address sending this message does not have a PTR record setup",
     "RCPT", "requireptr", "hard", "hold", "sender", NULL},
    {"550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC "
     "policy.", ".", "authfailure", "hard", "hold", "sender", NULL},
    {"550-5.7.26 This mail has been blocked because the sender is unauthenticated. "
     "https://support.google.com/mail/answer/81126 - gsmtp", ".", "authfailure", "hard",
     "hold", "sender", "gmail"},
    {"550 5.7.515 Access denied, sending domain example.com doesn't meet the required "
     "authentication level.", ".", "authfailure", "hard", "hold", "sender", NULL},
    {"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
     "RCPT", "blocked", "hard", "hold", "sender", NULL},
    {"550 5.7.606 Access denied, banned sending IP [192.0.2.1].", "RCPT", "blocked", "hard",
     "hold", "sender", NULL},
    {"550-5.7.28 Our system has detected an unusual rate of unsolicited mail originating "
     "from your IP address.", "RCPT", "badreputation", "hard", "hold", "sender", NULL},
    {"421-4.7.28 Gmail has detected an unusual rate of unsolicited mail. Try again later.",
     "RCPT", "ratelimited", "soft", "throttle", "sender", NULL},
    {"421 4.7.0 [TS01] Messages from 192.0.2.1 temporarily deferred due to unexpected volume",
     "RCPT", "badreputation", "soft", "throttle", "sender", "yahoo"},
    {"550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.",
     "RCPT", "blocked", "hard", "stop", "sender", NULL},
    /* documented texts whose words decide over their status or a host name in them */
    {"550 5.1.1 <a@example.com>: host mx0b-00123.pphosted.com[192.0.2.5] said: 550 5.1.1 "
     "User unknown", "RCPT", "userunknown", "hard", "suppress", "recipient", NULL},
    {"550-5.2.1 The user you are trying to contact is receiving mail at a rate that prevents "
     "additional messages from being delivered.", "RCPT", "ratelimited", NULL, "retry",
     "recipient", NULL},
    {"550 5.7.27 Sender address has null MX", "MAIL", "rejected", "hard", "stop", "sender",
     NULL},
    {"451-4.7.23 The sending IP address for this message doesn't have a PTR record, or the PTR "
     "record's forward DNS entry doesn't match the sending IP address.", ".", "requireptr",
     "soft", "hold", "sender", NULL},
    {"550-5.7.1 This message does not have authentication information or fails to pass "
     "authentication checks (SPF or DKIM). To best protect our users from spam, the message "
     "has been blocked.", ".", "authfailure", "hard", "hold", "sender", NULL},
    {"550-5.7.1 This message is not RFC 5322 compliant. To reduce the amount of spam sent to "
     "Gmail, this message has been blocked.", ".", "notcompliantrfc", "hard", NULL, NULL, NULL},
    {"550-5.7.30 This message was blocked because it didn't pass DKIM authentication.", ".",
     "authfailure", "hard", "hold", "sender", NULL},
    {"421-4.7.29 Your email has been rate limited because this message wasn't sent over a TLS "
     "connection.", ".", "failedstarttls", "soft", "hold", "sender", NULL},
    {"550-5.7.32 The From: header isn't aligned with either the authenticated SPF or DKIM "
     "organizational domain.", ".", "authfailure", "hard", "hold", "sender", NULL},
    {"534-5.7.9 Application-specific password required.", "AUTH", "securityerror", "hard",
     "stop", "sender", NULL},
    {"550 5.7.57 Client was not authenticated to send anonymous mail during MAIL FROM", "MAIL",
     "securityerror", "hard", "stop", "sender", NULL},
    {"450 4.7.606 Access denied, please try again later", "RCPT", "badreputation", "soft",
     "throttle", "sender", NULL},
    {"553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred; Retrying "
     "will NOT succeed.", "RCPT", "badreputation", "hard", "hold", "sender", "yahoo"},
    {"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; "
     "Error: open resolver; https://www.spamhaus.org/returnc/pub/192.0.2.53", "RCPT",
     "systemerror", NULL, "none", "recipient", NULL},
    {"550 5.7.513 Service unavailable, Client host [192.0.2.1] blocked using Customer Block "
     "list (AS16012607)", "RCPT", "blocked", "hard", "hold", "sender", NULL},
    {"554 5.7.1 Message rejected: AUP#I-1000 blocked", "RCPT", "blocked", "hard", "hold",
     "sender", NULL},
    {"550 5.5.0 SPF: 192.0.2.1 is not allowed to send mail. LPN004_401", "MAIL", "authfailure",
     "hard", "hold", "sender", NULL},
    /* the sender's own address, domain or HELO name: never the recipient suppressed */
    {"550-Verification failed for <bounce@sender.example> 550-Unrouteable address 550 Sender "
     "verify failed", "RCPT", "rejected", "hard", NULL, "sender", NULL},
    {"550 5.1.1 <bounce@sender.example>: Sender address rejected: User unknown in local "
     "recipient table", "RCPT", "rejected", "hard", NULL, "sender", NULL},
    {"550 Sender domain not found", "RCPT", "rejected", "hard", NULL, "sender", NULL},
    {"550 Unknown sender", "RCPT", "rejected", "hard", NULL, "sender", NULL},
    {"550 Connection from unknown host refused", "RCPT", "requireptr", "hard", "hold",
     "sender", NULL},
    {"550 5.2.1 Rate limit exceeded for this mailbox", "RCPT", "suspend", "soft", "retry",
     NULL, NULL},
    {"550 <mail.example>: Helo command rejected: Host not found", "RCPT", "requireptr", "hard",
     "hold", "sender", NULL},
    {"550 5.1.1 User unknown", "MAIL", "rejected", "hard", NULL, "sender", NULL},
    {"550 5.2.1 Account disabled", "MAIL", "rejected", "hard", NULL, "sender", NULL},
    {"550 No such user", "MAIL", "rejected", "hard", NULL, "sender", NULL},
    {"550 5.2.1 Account disabled", "CONN", "blocked", "hard", "hold", "sender", NULL},
    {"550 Invalid recipient", "CONN", "blocked", "hard", "hold", "sender", NULL},
    /* ambiguous or temporary: not a dead address */
    {"550 Access denied", "RCPT", "onhold", "hard", "none", NULL, NULL},
    {"550 5.1.0 Message rejected", "RCPT", "onhold", "hard", "none", NULL, NULL},
    {"550 #5.1.0 Address rejected.", "RCPT", "userunknown", "hard", "suppress", NULL, NULL},
    {"550 <a@example.org>: Recipient address rejected.", "RCPT", "userunknown", "hard",
     "suppress", NULL, NULL},
    {"550 5.2.1 Account temporarily locked", "RCPT", "suspend", "soft", "retry", NULL, NULL},
    {"550 Mailbox temporarily disabled", "RCPT", "suspend", "soft", "retry", NULL, NULL},
    {"550 This mailbox does not accept mail from you", "RCPT", "filtered", "hard", "none", NULL,
     NULL},
    {"553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", "RCPT",
     "norelaying", NULL, NULL, NULL, NULL},
    {"421 4.7.0 Error: too many errors", "DATA", "policyviolation", "soft", "retry", NULL, NULL},
    {"454 4.7.0 Temporary authentication failure", "RCPT", "policyviolation", "soft", "retry",
     NULL, NULL},
    {"550 5.4.5 Daily user sending quota exceeded.", "MAIL", "ratelimited", NULL, "throttle",
     "sender", NULL},
    {"452 4.3.1 Insufficient system storage", "RCPT", "systemfull", "soft", "retry", NULL, NULL},
    {"552 Requested mail action aborted: exceeded storage allocation", "RCPT", "mailboxfull",
     NULL, NULL, NULL, NULL},
    /* dead, in words the rules did not know */
    {"550 5.4.310 DNS domain example.invalid does not exist [Message=InfoDomainNonexistent]",
     "RCPT", "hostunknown", "hard", "suppress", NULL, NULL},
    {"551 User not local; please try <b@example.org>", "RCPT", "hasmoved", "hard", "suppress",
     NULL, NULL},
    {"550 5.7.1 The IP you're using to send mail is not authorized to send email directly to "
     "our servers. Please use the SMTP relay at your service provider instead.", "RCPT",
     "blocked", "hard", "hold", "sender", NULL},
    {"421 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited",
     "RCPT", "ratelimited", "soft", "throttle", NULL, NULL},
    {"421 Too many concurrent SMTP connections; please try again later", "CONN",
     "toomanyconn", "soft", "throttle", NULL, NULL},
    {"550 5.1.8 Access denied, bad outbound sender.", "MAIL", "rejected", "hard", "stop",
     "sender", NULL},
    {"554 5.4.1 <a@example.org>: Relay access denied", "RCPT", "norelaying", "hard", "stop",
     "sender", NULL},
    {"530 5.7.0 Authentication required", "MAIL", "securityerror", "hard", "stop", "sender", NULL},
    {"535 5.7.8 Authentication credentials invalid", "AUTH", "securityerror", "hard", "stop",
     "sender", NULL},
    {"451 4.3.0 Temporary local problem", "RCPT", "systemerror", "soft", "retry", NULL, NULL},
    {"554 5.0.0 Message rejected for unknown reasons", ".", NULL, "hard", NULL, NULL, NULL},
    /* Yahoo, Apple, Microsoft, gateways */
    {"421 4.7.0 [TS02] Messages from 192.0.2.1 temporarily deferred due to user complaints",
     "RCPT", "badreputation", "soft", "throttle", NULL, "yahoo"},
    {"554 5.7.9 Message not accepted for policy reasons. [TS03]", ".", "badreputation", "hard",
     "hold", NULL, NULL},
    {"553 5.7.1 [TS04] Messages from 192.0.2.1 permanently deferred", "RCPT", "badreputation",
     "hard", "hold", NULL, NULL},
    {"421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume "
     "or user complaints", "MAIL", "badreputation", "soft", "throttle", NULL, NULL},
    {"550 SC-004 (COL0-MC1-F1) Unfortunately, messages from 192.0.2.7 weren't sent.", "MAIL",
     "blocked", "hard", "hold", "sender", NULL},
    /* Orange / La Poste decide by the number in their code, whatever the words */
    {"550 5.5.0 Le compte du destinataire est bloque. The recipient account is blocked. "
     "LPN007_426", "RCPT", "suspend", "hard", "suppress", NULL, NULL},
    {"550 5.2.0 Mail rejete. Mail rejected. OFR_506 [506]", ".", "spamdetected", "hard", NULL,
     NULL, NULL},
    {"421 mwinf5c79 ME Trop de connexions. Too many connections, slow down. OFR005_104 [104]",
     "CONN", "toomanyconn", "soft", "throttle", NULL, NULL},
    /* the envelope sender's status, whatever the words say about domains */
    {"550 5.1.7 No such domain", "MAIL", "rejected", "hard", NULL, "sender", NULL},
    /* a local delivery program failed after the MTA accepted the mail */
    {"procmail: Couldn't create \"/var/spool/mail/a\": No such user", NULL, "mailererror",
     NULL, NULL, NULL, NULL},
    {"550 5.1.1 RCP-P2 Refused due to recipient preferences", "RCPT", "filtered", "hard", NULL,
     NULL, NULL},
    {"You are not a member of this mailing list <list@example.org>.", NULL, "rejected", NULL,
     NULL, "sender", NULL},
    {"host mx.example.net[192.0.2.1] refused to talk to me: 421 Service not available", "CONN",
     "blocked", "soft", NULL, NULL, NULL},
    {"550 5.7.9 Rejected", "RCPT", "securityerror", "hard", NULL, NULL, NULL},
    {"554 5.7.0 Header error", ".", "policyviolation", "hard", NULL, NULL, NULL},
    /* a multi-line reply unfolded onto one line keeps its line prefixes; phrases still match */
    {"550-5.7.1 [192.0.2.1 13] Messages with multiple 550-5.7.1 addresses in From: header are "
     "not accepted. 550 5.7.1 x - gsmtp", ".", "notcompliantrfc", "hard", NULL, NULL, NULL},
    {"550-5.7.1 [192.0.2.22 18] Our system has detected that this message is 550-5.7.1 likely "
     "suspicious due to the very low reputation of the sending IP 550-5.7.1 address. The "
     "message has been 550-5.7.1 blocked. - gsmtp", ".", "badreputation", "hard", NULL, NULL,
     NULL},
    /* X.2.1 with "User unknown" at RCPT: the directory says no such mailbox */
    {"550 5.2.1 <a@example.org>... User Unknown", "RCPT", "userunknown", "hard", "suppress",
     NULL, NULL},
    {"550 5.2.1 <a@example.org>... Mailbox disabled", "RCPT", "suspend", "hard", "suppress",
     NULL, NULL},
    /* a bounce that gave up names its cause: the cause decides */
    {"mailbox is full: retry timeout exceeded", NULL, "mailboxfull", NULL, NULL, NULL, NULL},
    {"Sorry, I wasn't able to establish an SMTP connection. (#4.4.1) I'm not going to try "
     "again; this message has been in the queue too long.", NULL, "networkerror", NULL, NULL,
     NULL, NULL},
    {"all hosts have been failing for a long time", NULL, "expired", NULL, NULL, NULL, NULL},
    /* Apple's own word for CS01 is policy, not a blocklisted IP */
    {"554 5.7.1 [CS01] Message rejected due to local policy.", ".", "policyviolation", "hard",
     "hold", NULL, NULL},
    {"550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", "RCPT",
     "userunknown", "hard", "suppress", NULL, NULL},
    {"550 5.7.520 Access denied, Your organization does not allow external forwarding.",
     ".", "policyviolation", "hard", "stop", NULL, NULL},
    {"550 5.7.350 Remote server returned message detected as spam", ".", "policyviolation",
     "hard", "hold", NULL, NULL},
    /* Mimecast's list: a Blocked Senders entry refuses this sender (rejected); the
     * Anti-Spoofing policy refuses what the message claims (policyviolation) */
    {"550 Rejected by header based Blocked Senders - MIMECAST_POLICY_VIOLATION", ".",
     "rejected", "hard", "hold", NULL, NULL},
    {"550 Rejected by header based Anti-Spoofing policy: ann@example.com [refAB12]", ".",
     "policyviolation", "hard", "hold", NULL, NULL},
    {"550 Envelope blocked - User Entry - https://community.mimecast.com/docs/DOC-1369#550",
     "RCPT", "rejected", "hard", "hold", NULL, NULL},
    {"554 Email rejected due to security policies", ".", "virusdetected", "hard", "none",
     NULL, NULL},
    {"550 dmarc sender invalid - envelope rejected", "RCPT", "authfailure", "hard", "hold",
     "sender", NULL},
    {"451 Internal resources are temporarily unavailable", "RCPT", "badreputation", "soft",
     "retry", "sender", NULL},
    {"554 5.7.1 Service unavailable; Client host blocked using Barracuda Reputation, "
     "see http://www.barracudanetworks.com/reputation", "RCPT", "blocked", "hard", "hold", NULL, NULL},
    {"550 5.7.1 Your IP is listed on our customer block list", "RCPT", "blocked", "hard", "hold",
     NULL, NULL},
    /* classes that disagree */
    {"550 4.2.2 The email account is over quota", "RCPT", "mailboxfull", "soft", "retry", NULL, NULL},
    {"554 5.0.0 Service unavailable, try again later", "RCPT", "systemerror", "soft", "retry",
     NULL, NULL},
    /* each "later" phrase, in any case, anywhere; "try" alone is not one */
    {"554 5.0.0 Service unavailable, RETRY LATER", "RCPT", NULL, "soft", NULL, NULL, NULL},
    {"554 5.0.0 Service unavailable, Please Retry", "RCPT", NULL, "soft", NULL, NULL, NULL},
    {"554 5.0.0 Service unavailable; try again in 10 minutes", "RCPT", NULL, "soft", NULL,
     NULL, NULL},
    {"554 5.0.0 Service unavailable (try later)", "RCPT", NULL, "soft", NULL, NULL, NULL},
    {"554 5.0.0 Service unavailable; do not try again", "RCPT", NULL, "hard", NULL, NULL,
     NULL},
    /* greylisting retries, never suppresses */
    {"450 4.2.0 <a@example.org>: Recipient address rejected: Greylisted", "RCPT",
     "policyviolation", "soft", "retry", NULL, NULL},
    {"250 2.0.0 OK queued", ".", "delivered", "none", "none", NULL, NULL},
    /* the SMTP phase changes what words mean */
    {"550 Unknown user a@example.jp", "DATA", "filtered", "hard", "none", NULL, NULL},
    {"550 Unknown user a@example.jp", "RCPT", "userunknown", "hard", "suppress", NULL, NULL},
    {"550 5.7.1 Go away", "MAIL", "rejected", "hard", "hold", "sender", NULL},
    {"connect to mx.example.jp[192.0.2.79]:25: Connection timed out", NULL, "expired", "soft",
     "retry", NULL, NULL},
    /* words that only restate the class give no cause: onhold, retried when temporary */
    {"450 4.0.0 Temporary failure", "RCPT", "onhold", "soft", "retry", NULL, NULL},
    {"554 5.0.0 Permanent error.", ".", "onhold", "hard", "none", NULL, NULL},
    {"451 Temporary failure, please try again later", "RCPT", "systemerror", "soft", "retry",
     NULL, NULL},
    {"451 4.3.0 Temporary failure", "RCPT", "systemerror", "soft", "retry", NULL, NULL},
    /* a receiver that lets only N sending IPs of a domain through unverified (FCrDNS) */
    {"450 service permits 2 unverifiable sending IPs - mail.example.com is not 192.0.2.1",
     "MAIL", "requireptr", "soft", NULL, "sender", NULL},
    {"550 5.7.1 Unverifyable sending IP", "RCPT", "requireptr", "hard", "hold", NULL, NULL},
    /* Spectrum: the AUP# code decides, not the generic words before it */
    {"550 5.1.0 <bounce@example.com> sender rejected. AUP#In-1310", "MAIL", "toomanyconn",
     "hard", "throttle", "sender", NULL},
    {"421 4.7.0 mx.example.net [192.0.2.1] blocked. AUP#I-1340", "CONN", "toomanyconn", "soft",
     NULL, NULL, NULL},
    {"554 5.7.1 ESMTP server not available AUP#I-1010", "CONN", "blocked", "hard", "hold", NULL,
     NULL},
    {"550 5.1.0 <bounce@example.com> sender rejected. AUP#In-13100", "MAIL", "rejected", NULL,
     NULL, NULL, NULL},
    /* at the greeting no recipient exists yet: mailbox words there are about the sender */
    {"554 gw3.example.net : Your IP has used up its daily relay quota", "CONN", "blocked",
     "hard", "hold", "sender", NULL},
    {"554 gw3.example.net : Your IP has used up its daily relay quota", "RCPT", "ratelimited",
     NULL, NULL, "sender", NULL},
    {"421 4.7.0 mx.example.org cannot find your reverse hostname", "CONN", "requireptr", "soft",
     NULL, NULL, NULL},
    {"554 Too many connections from your IP (connection quota)", "CONN", "toomanyconn", "hard",
     NULL, NULL, NULL},
    /* a dial-up / dynamic range told to use its provider's relay */
    {"550 5.7.0 <a@example.net>... Please use the SMTP server of your ISP for outgoing mail",
     "MAIL", "blocked", "hard", "hold", "sender", NULL},
    {"554 Dial-up range: please use your provider's SMTP server", "CONN", "blocked",
     NULL, NULL, NULL, NULL},
    /* a security status in the server's own reply outranks "User unknown": never suppressed */
    {"550 5.7.1 User unknown: a@example.org", "RCPT", "filtered", "hard", "none", NULL, NULL},
    {"554 5.7.1 <a@example.org>: Recipient address rejected: Access denied", "RCPT",
     "userunknown", NULL, NULL, NULL, NULL},
    {"553 Invalid recipient a@example.org", "RCPT", "userunknown", "hard", "suppress", NULL,
     NULL},
    /* a filter's "message content rejected" with an X.7 status is its spam verdict */
    {"550 5.7.1 Message content rejected", ".", "spamdetected", "hard", NULL, NULL, NULL},
    {"554 Transaction failed: message content rejected", ".", "contenterror", NULL, NULL, NULL,
     NULL},
};

static ff_rules *rules;

static int setup(void **state)
{
    (void)state;
    ff_error err;
    return ff_rules_builtin(&rules, &err) == FF_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ff_rules_free(rules);
    return 0;
}

static void test_table(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const row *r = &table[i];
        ff_decision d;
        assert_int_equal(ff_classify_reply(rules, r->reply, strlen(r->reply), r->command, &d),
                         FF_OK);
        bool ok = (!r->reason || !strcmp(ff_reason_name(d.reason), r->reason)) &&
                  (!r->klass || !strcmp(ff_class_name(d.klass), r->klass)) &&
                  (!r->action || !strcmp(ff_action_name(d.action), r->action)) &&
                  (!r->side || !strcmp(ff_side_name(d.side), r->side)) &&
                  (!r->provider || !strcmp(d.provider, r->provider));
        assert_non_null(d.fix);
        assert_true(strlen(d.fix) > 10);
        if (!ok) {
            printf("row %zu: '%s'\n  got %s/%s/%s/%s provider '%s' rule %s\n", i, r->reply,
                   ff_reason_name(d.reason), ff_class_name(d.klass), ff_action_name(d.action),
                   ff_side_name(d.side), d.provider, d.rule);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* A blocklist rejection's fix sends the sender to whoever keeps the list: a receiver that
 * quotes Spamhaus (Microsoft does, with its own AS code) is no reason to ask that receiver
 * for delisting, and its own list is never lifted by Spamhaus. */
static void test_blocklist_owner(void **state)
{
    (void)state;
    static const struct {
        const char *reply, *rule, *fix_names;
    } rows[] = {
        {"550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus. To "
         "request removal from this list see https://www.spamhaus.org/query/ip/192.0.2.1 "
         "(AS3130). [AM5EUR02FT017.eop-EUR02.prod.protection.outlook.com]",
         "spamhaus-listed", "spamhaus.org"},
        {"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
         "zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1",
         "spamhaus-listed", "spamhaus.org"},
        {"550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your "
         "Internet service provider since part of their network is on our block list (S3150).",
         "microsoft-outlook-block", "supportrequestform"},
        {"550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from "
         "this list please visit https://sender.office.com/ and follow the directions.",
         "microsoft-ip-block-5.7.606", "sender.office.com"},
        {"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
         "b.barracudacentral.org; http://www.barracudanetworks.com/reputation/?ip=192.0.2.1",
         "barracuda-listed", "barracudacentral.org"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ff_decision d;
        assert_int_equal(ff_classify_reply(rules, rows[i].reply, strlen(rows[i].reply), "RCPT",
                                           &d),
                         FF_OK);
        assert_string_equal(d.rule, rows[i].rule);
        assert_int_equal(d.reason, FF_REASON_BLOCKED);
        assert_int_equal(d.action, FF_ACTION_HOLD);
        assert_non_null(strstr(d.fix, rows[i].fix_names));
    }
}

/* No data can make a 5.7.x or a sender-side reason suppress an address. */
static void test_never_suppress_on_policy(void **state)
{
    (void)state;
    ff_rules *mine;
    assert_int_equal(ff_rules_builtin(&mine, NULL), FF_OK);
    const char *evil = "[evil]\nstatus = x.7.*\nreason = userunknown\naction = suppress\n"
                       "[evil2]\ntext = dmarc\nreason = authfailure\naction = suppress\n";
    assert_int_equal(ff_rules_load_buffer(mine, "evil", evil, strlen(evil), NULL), FF_OK);
    const char *replies[] = {"550 5.7.1 nope", "550 DMARC says no"};
    for (int i = 0; i < 2; i++) {
        ff_decision d;
        assert_int_equal(ff_classify_reply(mine, replies[i], strlen(replies[i]), "RCPT", &d), FF_OK);
        assert_int_not_equal(d.action, FF_ACTION_SUPPRESS);
        assert_int_equal(d.action, FF_ACTION_HOLD);
    }
    ff_rules_free(mine);
}

static void test_inputs(void **state)
{
    (void)state;
    ff_decision d;
    /* A bounce: status given, text without codes, DSN action and recipient domain. */
    ff_classify_input in = {.status = "5.1.1", .text = "mailbox unavailable",
                            .recipient = "someone@gmail.com", .dsn_action = "failed"};
    assert_int_equal(ff_classify(rules, &in, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_USERUNKNOWN);
    assert_string_equal(d.provider, "gmail");
    assert_string_equal(d.status, "5.1.1");
    /* No status anywhere: a pseudo status is derived from the reason. */
    ff_classify_input in2 = {.text = "user unknown", .command = "RCPT", .dsn_action = "failed"};
    assert_int_equal(ff_classify(rules, &in2, &d), FF_OK);
    assert_string_equal(d.status, "5.0.911");
    assert_string_equal(d.rule, "text-userunknown");
    /* The same words with no status and no command: a filter's wording, never suppressed. */
    ff_classify_input in2b = {.text = "550 unknown user", .dsn_action = "failed"};
    assert_int_equal(ff_classify(rules, &in2b, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_FILTERED);
    assert_string_equal(d.status, "5.0.910");
    assert_string_equal(d.rule, "unknown-phase-userunknown-is-filtered");
    assert_int_not_equal(d.action, FF_ACTION_SUPPRESS);
    /* RFC 5321's stock "mailbox unavailable" alone is no proof either. */
    ff_classify_input in2d = {.text = "Invalid Address, 550 Requested action not taken: "
                                      "mailbox unavailable",
                              .dsn_action = "failed"};
    assert_int_equal(ff_classify(rules, &in2d, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_FILTERED);
    assert_int_not_equal(d.action, FF_ACTION_SUPPRESS);
    in2d.status = "5.1.1"; /* with a status that names the mailbox, it is gone */
    assert_int_equal(ff_classify(rules, &in2d, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_USERUNKNOWN);
    /* ... unless the reply quotes the address the way a RCPT TO reply does. */
    ff_classify_input in2c = {.text = "550 <a@example.org>... User unknown",
                              .dsn_action = "failed"};
    assert_int_equal(ff_classify(rules, &in2c, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_USERUNKNOWN);
    assert_string_equal(d.rule, "text-userunknown-directory");
    /* The pseudo status reads back to the same reason. */
    ff_classify_input in3 = {.status = "5.0.911", .text = ""};
    assert_int_equal(ff_classify(rules, &in3, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_USERUNKNOWN);
    /* Delayed DSN without text: soft. */
    ff_classify_input in4 = {.status = "4.4.7", .dsn_action = "delayed", .text = ""};
    assert_int_equal(ff_classify(rules, &in4, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_EXPIRED);
    assert_int_equal(d.klass, FF_CLASS_SOFT);
    /* Amazon SES's "Unknown address error" label wraps any remote reply: the quoted one
     * decides (decode passes the quoted reply's status). */
    ff_classify_input ses = {.status = "5.7.1", .dsn_action = "failed",
                             .text = "5.1.0 - Unknown address error 550-'5.7.1 "
                                     "<bounce@example.com>... Access denied'"};
    assert_int_equal(ff_classify(rules, &ses, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_REJECTED);
    ses.status = "5.2.2";
    ses.text = "5.1.0 - Unknown address error 550-'5.2.2 <a@example.org>... Mailbox Full'";
    assert_int_equal(ff_classify(rules, &ses, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_MAILBOXFULL);
    ses.status = "5.1.0";
    ses.text = "550 5.1.0 Unknown address";
    assert_int_equal(ff_classify(rules, &ses, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_USERUNKNOWN);
    /* SendGrid's "Action: expired": it stopped retrying, the delivery failed for good. */
    ff_classify_input in4b = {.text = "Connection timed out", .dsn_action = "expired"};
    assert_int_equal(ff_classify(rules, &in4b, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_EXPIRED);
    assert_int_equal(d.klass, FF_CLASS_HARD);
    assert_string_equal(d.status, "5.0.947");
    /* Words no rule knows: a cause was given ("onhold"); none at all: "undefined". */
    ff_classify_input in5 = {.text = "Zustellung abgelehnt (Fehler 17)", .dsn_action = "failed"};
    assert_int_equal(ff_classify(rules, &in5, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_ONHOLD);
    assert_string_equal(d.status, "5.0.901");
    assert_int_not_equal(d.action, FF_ACTION_SUPPRESS);
    ff_classify_input in6 = {.text = " \t\r\n", .dsn_action = "failed"};
    assert_int_equal(ff_classify(rules, &in6, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_UNDEFINED);
    assert_string_equal(d.status, "5.0.900");
    /* Empty input is still a decision. */
    ff_classify_input none = {0};
    assert_int_equal(ff_classify(rules, &none, &d), FF_OK);
    assert_int_equal(d.reason, FF_REASON_UNDEFINED);
    assert_int_equal(ff_classify(NULL, &none, &d), FF_EINVAL);
}

static void test_names(void **state)
{
    (void)state;
    /* the reasons a stream's own route is refused for: only those may stop it */
    assert_true(ff_reason_blames_route(FF_REASON_NORELAYING));
    assert_true(ff_reason_blames_route(FF_REASON_SECURITYERROR));
    assert_false(ff_reason_blames_route(FF_REASON_USERUNKNOWN));
    assert_false(ff_reason_blames_route(FF_REASON_BLOCKED));
    static const char *const sisimai[] = {
        "authfailure", "badreputation", "blocked", "contenterror", "delivered", "exceedlimit",
        "expired", "failedstarttls", "feedback", "filtered", "hasmoved", "hostunknown",
        "mailboxfull", "mailererror", "mesgtoobig", "networkerror", "norelaying", "notaccept",
        "notcompliantrfc", "onhold", "policyviolation", "ratelimited", "rejected", "requireptr",
        "securityerror", "spamdetected", "suppressed", "suspend", "syntaxerror", "systemerror",
        "systemfull", "toomanyconn", "undefined", "userunknown", "vacation", "virusdetected"};
    assert_int_equal(sizeof sisimai / sizeof sisimai[0], FF_REASON__COUNT);
    for (size_t i = 0; i < sizeof sisimai / sizeof sisimai[0]; i++) {
        ff_reason r;
        assert_int_equal(ff_reason_from_name(sisimai[i], &r), FF_OK);
        assert_string_equal(ff_reason_name(r), sisimai[i]);
    }
    ff_reason r;
    assert_int_equal(ff_reason_from_name("speeding", &r), FF_OK);
    assert_int_equal(r, FF_REASON_RATELIMITED);
    assert_int_equal(ff_reason_from_name("nonsense", &r), FF_ENOTFOUND);
    assert_true(ff_reason_hardbounce(FF_REASON_USERUNKNOWN, 5));
    assert_true(ff_reason_hardbounce(FF_REASON_NOTACCEPT, 5));
    assert_false(ff_reason_hardbounce(FF_REASON_NOTACCEPT, 4));
    assert_false(ff_reason_hardbounce(FF_REASON_MAILBOXFULL, 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_never_suppress_on_policy),
        cmocka_unit_test(test_blocklist_owner),
        cmocka_unit_test(test_inputs),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
