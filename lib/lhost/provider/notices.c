/* notices.c - providers whose bounces are plain notices (see notice.h): the description
 * of each. The phrases are the providers' own, as their notices print them.
 *
 *   au (KDDI)   "Your mail sent on: ... Could not be delivered to: <a@b> As their mailbox
 *               is full." from the dion.ne.jp / auone-net.jp servers
 *   EZweb       a sentence or two and the addresses alone on their lines, or after
 *               "Recipient:" with the remote dialogue (">>> MAIL FROM ... <<< 550 ...")
 *   BIGLOBE     "The following addresses had delivery problems" / "Non-delivered
 *               information" sections
 *   1&1 (IONOS) "The following address failed: a@b For the following reason: ..."
 *   Verizon     MMS gateway: "Message could not be delivered to mobile. Error: ...", the
 *               recipient only in the returned message's To:
 *   Zoho        "a@b Invalid Address, ERROR_CODE :550, ERROR_CODE :..." per recipient
 */
#include "notice.h"

static const ff_notice_format kddi = {
    .from = (const char *const[]){"dion.ne.jp", "auone-net.jp", "au.com", NULL},
    .heads = (const char *const[]){"Could not be delivered to:", NULL},
    .prefixes = (const char *const[]){"Could not be delivered to:", NULL},
};

static const ff_notice_format ezweb = {
    .from = (const char *const[]){"ezweb.ne.jp", NULL},
    .cuts = (const char *const[]){"Received:", "--------------------", NULL},
    .prefixes = (const char *const[]){"Recipient:", NULL},
};

static const ff_notice_format biglobe = {
    .from = (const char *const[]){"biglobe.ne.jp", NULL},
    .heads = (const char *const[]){"The following addresses had delivery problems", NULL},
    .reasons = (const char *const[]){"----- Non-delivered information -----", NULL},
};

static const ff_notice_format einsundeins = {
    .from = (const char *const[]){"kundenserver", "1und1", "1and1", "ionos", NULL},
    .heads = (const char *const[]){"For the following reason:", NULL},
    .cuts = (const char *const[]){"--- The header of the original message is following",
                                  "--- Below this line is a copy of the message", NULL},
    .reasons = (const char *const[]){"For the following reason:", NULL},
};

static const ff_notice_format verizon = {
    .from = (const char *const[]){"vzwpix.com", "vtext.com", NULL},
    .heads = (const char *const[]){"Message could not be delivered to mobile", NULL},
    .cuts = (const char *const[]){"Original Message:", NULL},
    .to_of_original = true,
};

static const ff_notice_format zoho = {
    .from = (const char *const[]){"mailer-daemon@mail.zoho", "zohomail", NULL},
    .heads = (const char *const[]){"ERROR_CODE :", NULL},
    .cuts = (const char *const[]){"Received:", NULL},
    .addr_then_reason = true,
};

#define NOTICE(name)                                                                         \
    static bool detect_##name(const ff_mail *m) { return ff_notice_detect(m, &name); }       \
    static ff_status scan_##name(const ff_mail *m, ff_hits *out)                             \
    {                                                                                        \
        return ff_notice_scan(m, &name, out);                                                \
    }                                                                                        \
    const ff_lhost ff_lhost_##name = {#name, detect_##name, scan_##name};

NOTICE(kddi)
NOTICE(ezweb)
NOTICE(biglobe)
NOTICE(einsundeins)
NOTICE(verizon)
NOTICE(zoho)
