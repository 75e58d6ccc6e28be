/* test_provider.c - which provider is behind a host, an address or a reply text */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "fivefifty/classify.h"

static void test_rows(void **state)
{
    (void)state;
    static const struct {
        const char *host, *rcpt, *text, *want;
    } rows[] = {
        {"gmail-smtp-in.l.google.com", NULL, NULL, "gmail"},
        {"example-com.mail.protection.outlook.com", NULL, NULL, "microsoft"},
        {"mta7.am0.yahoodns.net", NULL, NULL, "yahoo"},
        {NULL, "someone@me.com", NULL, "apple"},
        {NULL, "someone@acme.com", NULL, ""},          /* "me.com" only on a label boundary */
        {NULL, "someone@hotmail.co.uk", NULL, "microsoft"},
        {NULL, NULL, "421 4.7.0 [TS01] Messages temporarily deferred", "yahoo"},
        {NULL, NULL, "550 5.4.1 Access denied AS(201806281)", "microsoft"},
        {NULL, NULL, "550 5.1.1 no such user - gsmtp", "gmail"},
        /* a Gmail address quoted in another system's text is not Gmail's bounce */
        {NULL, NULL, "550 5.1.1 <someone@gmail.com>: user unknown", ""},
        {"mx1.pphosted.com", "x@gmail.com", NULL, "proofpoint"}, /* the answering host wins */
        {NULL, NULL, NULL, ""},
        /* markers and domains in any case; a marker's later twin when the first fails */
        {NULL, NULL, "421 4.7.0 [TSS04] Messages from 192.0.2.1 deferred", "yahoo"},
        {NULL, NULL, "550 5.1.1 no such user - GSMTP", "gmail"},
        {NULL, NULL, "550 rejected by xgsmtp", ""},     /* inside a longer word */
        {NULL, NULL, "554 blocked by Mimecast", "mimecast"},
        {"MX1.Mail.ICLOUD.com.", NULL, NULL, "apple"},
        {NULL, NULL, "550 relay mx.proofpoint.com said no", "proofpoint"},
        /* domains end a name on a label boundary, in any case; the table's order, not the
         * text's, decides between two names (the gateway before the mailbox provider) */
        {NULL, NULL, "550 via mx.google.com and MX1.PPHOSTED.COM", "proofpoint"},
        {"mx.notgmail.com", NULL, NULL, ""},
        {"mx.mail.com", NULL, NULL, "gmx"},
        {"mx.gmail.com", NULL, NULL, "gmail"},
        {NULL, "a@Yahoo.Com.Br", NULL, "yahoo"},
        {NULL, "a@com.br", NULL, ""},
        {"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd.ee.mx.inbox.ru",
         NULL, NULL, "mailru"},
        {"verylonglabelthatislongerthananydomain.ess.barracudanetworks.com", NULL, NULL,
         "barracuda"},
        {NULL, NULL, "250 ok google.com.", "gmail"},
        {NULL, NULL, "550 host .com and x..icloud.com", "apple"},
        /* the other large receivers and gateways, by their MX or address domains */
        {"mx00.t-online.de", NULL, NULL, "t-online"},
        {"mailsec.protonmail.ch", NULL, NULL, "proton"},
        {"mx1.hc1234-12.iphmx.com", NULL, NULL, "cisco"},
        {NULL, "a@wanadoo.fr", NULL, "orange"},
        {NULL, "a@roadrunner.rr.com", NULL, "spectrum"},
        {"mx3.qq.com", NULL, NULL, "tencent"},
        {NULL, "a@arr.com", NULL, ""}, /* "rr.com" only on a label boundary */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *got = ff_provider_detect(rows[i].host, rows[i].rcpt, rows[i].text);
        if (strcmp(got, rows[i].want) != 0)
            fail_msg("row %zu: '%s' instead of '%s'", i, got, rows[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rows)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
