/* provider.c - which big mailbox provider or gateway is behind a reply (ff_provider_detect)
 *
 * The classifier needs the provider for two things: provider rules (Gmail's 5.7.28 means
 * something particular) and the (stream, provider) pair the actions act on (throttle
 * Microsoft, hold toward Gmail). Evidence is weighed in the order of how much it can be
 * trusted: the remote MTA's host name (the machine that answered), then the recipient's
 * domain (who hosts the mailbox), then markers in the reply text (host names, help URLs
 * and the short tags providers put into replies: Yahoo's "[TS02]", Microsoft's
 * "AS(201806281)", Apple's "[CS01]").
 *
 * Domains match on label boundaries only ("me.com" is Apple, "acme.com" is not), and in
 * the text a domain right after '@' is an address, not a host, so a Gmail address quoted
 * in another system's bounce does not make the bounce Gmail's.
 */
#include "fivefifty/classify.h"

#include <ctype.h>
#include <string.h>

typedef struct dom {
    const char *domain; /* lower case */
    const char *provider;
} dom;

/* Host names and mailbox domains. Order: more specific first (protection.outlook.com
 * before outlook.com does not matter as both are Microsoft; gateways are listed before the
 * mailbox providers they front so a Proofpoint host in front of anyone is "proofpoint"). */
static const dom domains[] = {
    /* gateways */
    {"pphosted.com", "proofpoint"},
    {"ppe-hosted.com", "proofpoint"},
    {"proofpoint.com", "proofpoint"},
    {"mimecast.com", "mimecast"},
    {"mimecast-offshore.com", "mimecast"},
    {"barracudanetworks.com", "barracuda"},
    {"barracuda.com", "barracuda"},
    {"ess.barracudanetworks.com", "barracuda"},
    /* Google */
    {"google.com", "gmail"},
    {"gmail.com", "gmail"},
    {"googlemail.com", "gmail"},
    /* Microsoft */
    {"outlook.com", "microsoft"},
    {"hotmail.com", "microsoft"},
    {"hotmail.co.uk", "microsoft"},
    {"hotmail.fr", "microsoft"},
    {"hotmail.de", "microsoft"},
    {"hotmail.it", "microsoft"},
    {"hotmail.es", "microsoft"},
    {"live.com", "microsoft"},
    {"live.co.uk", "microsoft"},
    {"live.fr", "microsoft"},
    {"live.de", "microsoft"},
    {"msn.com", "microsoft"},
    {"windowslive.com", "microsoft"},
    {"office365.com", "microsoft"},
    {"outlook.office365.com", "microsoft"},
    /* Yahoo (and AOL, AT&T's mail and Verizon's, which Yahoo runs) */
    {"yahoodns.net", "yahoo"},
    {"yahoo.com", "yahoo"},
    {"yahoo.co.jp", "yahoo"},
    {"yahoo.co.uk", "yahoo"},
    {"yahoo.fr", "yahoo"},
    {"yahoo.de", "yahoo"},
    {"yahoo.es", "yahoo"},
    {"yahoo.it", "yahoo"},
    {"yahoo.ca", "yahoo"},
    {"yahoo.com.br", "yahoo"},
    {"yahoo-inc.com", "yahoo"},
    {"ymail.com", "yahoo"},
    {"rocketmail.com", "yahoo"},
    {"aol.com", "yahoo"},
    {"aim.com", "yahoo"},
    {"verizonmedia.com", "yahoo"},
    /* Apple */
    {"icloud.com", "apple"},
    {"me.com", "apple"},
    {"mac.com", "apple"},
    {"apple.com", "apple"},
    /* the rest of the big ones */
    {"messagingengine.com", "fastmail"},
    {"fastmail.com", "fastmail"},
    {"fastmail.fm", "fastmail"},
    {"zoho.com", "zoho"},
    {"zoho.eu", "zoho"},
    {"zohomail.com", "zoho"},
    {"yandex.ru", "yandex"},
    {"yandex.net", "yandex"},
    {"yandex.com", "yandex"},
    {"ya.ru", "yandex"},
    {"mail.ru", "mailru"},
    {"inbox.ru", "mailru"},
    {"list.ru", "mailru"},
    {"bk.ru", "mailru"},
    {"gmx.net", "gmx"},
    {"gmx.de", "gmx"},
    {"gmx.com", "gmx"},
    {"gmx.at", "gmx"},
    {"web.de", "gmx"},
    {"mail.com", "gmx"},
    {"comcast.net", "comcast"},
    {"att.net", "att"},
    {"sbcglobal.net", "att"},
    {"bellsouth.net", "att"},
};

/* Markers that are not domains, checked in the text only (case-insensitive). */
typedef struct marker {
    const char *s;
    const char *provider;
    bool then_digit; /* the marker must be followed by a digit: "[TS" + "01]" */
} marker;

static const marker markers[] = {
    {"gsmtp", "gmail", false},
    {"support.google.com/mail", "gmail", false},
    {"gcdp", "gmail", false},
    {"office 365", "microsoft", false},
    {"exchange online", "microsoft", false},
    {"as(", "microsoft", true},
    {"(s3150)", "microsoft", false},
    {"[ts", "yahoo", true},
    {"[tss", "yahoo", true},
    {"[bl2", "yahoo", true},
    {"[cs0", "apple", true},
    {"[hm0", "apple", true},
    {"pphosted", "proofpoint", false},
    {"mimecast", "mimecast", false},
    {"barracuda", "barracuda", false},
};

static bool dchar(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_';
}

/* A host-name-like token of the text: a run of letters, digits, '-', '_' and '.'. */
typedef struct token {
    const char *s;
    size_t n;
} token;

#define MAX_TOKENS 48

/* Cut s[0..n) into dotted tokens (a name needs a dot). When `hosts_only`, a token right
 * after '@' is an address's domain and is skipped. */
static size_t tokens_of(const char *s, size_t n, bool hosts_only, token *t, size_t max)
{
    size_t nt = 0, i = 0;
    while (i < n && nt < max) {
        if (!dchar((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t st = i;
        bool dot = false;
        while (i < n && (dchar((unsigned char)s[i]) || s[i] == '.')) {
            dot |= s[i] == '.';
            i++;
        }
        size_t e = i;
        while (e > st && s[e - 1] == '.') /* "mx.google.com." is fully qualified */
            e--;
        if (!dot || (hosts_only && st > 0 && s[st - 1] == '@'))
            continue;
        t[nt].s = s + st;
        t[nt].n = e - st;
        nt++;
    }
    return nt;
}

/* Does token `t` end with domain `d` on a label boundary ("mx.me.com" yes, "acme.com" no)? */
static bool ends_with_domain(const token *t, const char *d, size_t dl)
{
    if (t->n < dl || strncasecmp(t->s + t->n - dl, d, dl) != 0)
        return false;
    return t->n == dl || t->s[t->n - dl - 1] == '.';
}

static const char *by_domain(const char *s, size_t n, bool hosts_only)
{
    token t[MAX_TOKENS];
    size_t nt = tokens_of(s, n, hosts_only, t, MAX_TOKENS);
    if (nt == 0)
        return NULL;
    /* the table's order decides between tokens: a gateway beats the provider behind it */
    for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++) {
        size_t dl = strlen(domains[i].domain);
        for (size_t j = 0; j < nt; j++) {
            if (ends_with_domain(&t[j], domains[i].domain, dl))
                return domains[i].provider;
        }
    }
    return NULL;
}

static const char *by_marker(const char *s, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        unsigned char c = (unsigned char)tolower((unsigned char)s[j]);
        /* the first characters of the markers below: most positions stop here */
        if (c == '\0' || strchr("gsoea[(pmb", c) == NULL)
            continue;
        for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++) {
            const char *m = markers[i].s;
            size_t ml = strlen(m);
            if ((unsigned char)m[0] != c || j + ml > n || strncasecmp(s + j, m, ml) != 0)
                continue;
            if (markers[i].then_digit && (j + ml >= n || !isdigit((unsigned char)s[j + ml])))
                continue;
            /* word markers ("gsmtp", "mimecast") must not sit inside a longer word */
            if (isalpha((unsigned char)m[0]) && j > 0 && isalnum((unsigned char)s[j - 1]))
                continue;
            return markers[i].provider;
        }
    }
    return NULL;
}

/* The text scan is bounded: the markers sit in the first lines of a reply, and a huge
 * diagnostic must not make every classification slow. */
#define TEXT_SCAN_MAX 4096

const char *ff_provider_detect(const char *remote_host, const char *recipient,
                               const char *text)
{
    const char *p;
    if (remote_host != NULL && remote_host[0] != '\0' &&
        (p = by_domain(remote_host, strnlen(remote_host, 1024), false)) != NULL)
        return p;
    if (recipient != NULL && recipient[0] != '\0') {
        const char *at = strrchr(recipient, '@');
        const char *d = at != NULL ? at + 1 : recipient;
        size_t dl = strnlen(d, 256);
        while (dl > 0 && (d[dl - 1] == '>' || d[dl - 1] == ' '))
            dl--;
        if ((p = by_domain(d, dl, false)) != NULL)
            return p;
    }
    if (text != NULL && text[0] != '\0') {
        size_t n = strnlen(text, TEXT_SCAN_MAX);
        if ((p = by_marker(text, n)) != NULL)
            return p;
        if ((p = by_domain(text, n, true)) != NULL)
            return p;
    }
    return "";
}
