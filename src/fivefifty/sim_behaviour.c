/* sim_behaviour.c - which reply each simulated mailbox gives
 *
 * The texts are the ones the providers document or send today (Gmail's, Microsoft's,
 * Spamhaus's wording), so a test against the simulator exercises the same rules as
 * production traffic does.
 */
#include <ctype.h>
#include <string.h>

#include "sim.h"

static const sim_behaviour table[] = {
    {"success", NULL, SIM_AT_RCPT, SIM_NOTHING, false, false, "accepted"},
    {"userunknown",
     "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n"
     "550-5.1.1 double-checking the recipient's email address for typos or\r\n"
     "550 5.1.1 unnecessary spaces.\r\n",
     SIM_AT_RCPT, SIM_NOTHING, false, false, "550 5.1.1 user unknown"},
    {"bounce", "550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox "
               "table\r\n",
     SIM_AT_RCPT, SIM_NOTHING, false, false, "550 5.1.1 user unknown (Postfix wording)"},
    {"disabled", "550 5.2.1 The email account that you tried to reach is disabled.\r\n",
     SIM_AT_RCPT, SIM_NOTHING, false, false, "550 5.2.1 mailbox disabled"},
    {"mailboxfull",
     "452-4.2.2 The recipient's inbox is out of storage space. Please direct the\r\n"
     "452 4.2.2 recipient to https://support.google.com/mail/?p=OverQuotaTemp\r\n",
     SIM_AT_RCPT, SIM_NOTHING, false, false, "452 4.2.2 mailbox full"},
    {"dmarc",
     "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\r\n"
     "550-5.7.26 DMARC policy. Please contact the administrator of example.com domain if\r\n"
     "550 5.7.26 this was a legitimate mail.\r\n",
     SIM_AT_EOD, SIM_NOTHING, false, false, "550 5.7.26 DMARC failure (after DATA)"},
    {"spamrate",
     "550-5.7.28 [192.0.2.1] Our system has detected an unusual rate of unsolicited\r\n"
     "550-5.7.28 mail originating from your IP address. To protect our users from\r\n"
     "550 5.7.28 spam, mail sent from your IP address has been blocked.\r\n",
     SIM_AT_RCPT, SIM_NOTHING, false, false, "550 5.7.28 spam rate"},
    {"blocklisted",
     "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; "
     "https://www.spamhaus.org/query/ip/192.0.2.1\r\n",
     SIM_AT_RCPT, SIM_NOTHING, false, false, "554 5.7.1 IP on a blocklist"},
    {"senderblocked",
     "550 5.1.8 Access denied, bad outbound sender. AS(42004)\r\n",
     SIM_AT_RCPT, SIM_NOTHING, false, false, "550 5.1.8 sender blocked (Microsoft)"},
    {"norelay", "554 5.7.1 <%s>: Relay access denied\r\n",
     SIM_AT_RCPT, SIM_NOTHING, false, false, "554 5.7.1 relay access denied (Postfix wording)"},
    {"ratelimit",
     "421-4.7.28 [192.0.2.1] Our system has detected an unusual rate of unsolicited\r\n"
     "421 4.7.28 mail originating from your IP address. Try again later.\r\n",
     SIM_AT_RCPT, SIM_CLOSE_AFTER, false, false, "421 4.7.28 rate limited, then closes"},
    {"greylist", "450 4.2.0 <%s>: Recipient address rejected: Greylisted, try again later\r\n",
     SIM_AT_RCPT, SIM_NOTHING, true, false, "450 greylisted once, then 250"},
    {"slow", NULL, SIM_AT_RCPT, SIM_NOTHING, false, true, "250 after --slow-ms"},
    {"drop", NULL, SIM_AT_RCPT, SIM_DROP_IN_DATA, false, false,
     "connection dropped in the middle of DATA"},
    {"complaint", NULL, SIM_AT_RCPT, SIM_REPORT_ARF, false, false,
     "accepted, then an ARF complaint into the maildir"},
    {"autoreply", NULL, SIM_AT_RCPT, SIM_REPORT_AUTOREPLY, false, false,
     "accepted, then an out-of-office reply into the maildir"},
    {"latebounce", NULL, SIM_AT_RCPT, SIM_REPORT_DSN, false, false,
     "accepted, then a 5.1.1 DSN into the maildir"},
    {"laterelay", NULL, SIM_AT_RCPT, SIM_REPORT_DSN_RELAY, false, false,
     "accepted, then a DSN: the next hop refused to relay"},
    {"accept", NULL, SIM_AT_RCPT, SIM_NOTHING, false, false, "any other name: accepted"},
};

#define NTABLE (sizeof table / sizeof table[0])

const sim_behaviour *sim_behaviours(size_t *n)
{
    *n = NTABLE;
    return table;
}

const sim_behaviour *sim_behaviour_for(const char *addr)
{
    size_t n = strcspn(addr, "+@");
    for (size_t i = 0; i < NTABLE - 1; i++)
        if (strlen(table[i].name) == n && strncasecmp(addr, table[i].name, n) == 0)
            return &table[i];
    return &table[NTABLE - 1];
}
