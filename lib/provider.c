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

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* Lengths are taken at compile time: the tables are walked for every token of every
 * reply classified, and measuring the same constant strings each time was most of it. */
typedef struct dom {
    const char *domain; /* lower case */
    size_t len;
    const char *provider;
} dom;

#define D(d, p) {d, sizeof d - 1, p}

/* Host names and mailbox domains. Order: more specific first (protection.outlook.com
 * before outlook.com does not matter as both are Microsoft; gateways are listed before the
 * mailbox providers they front so a Proofpoint host in front of anyone is "proofpoint"). */
static const dom domains[] = {
    /* gateways */
    D("iphmx.com", "cisco"), /* Cisco Secure Email (IronPort) hosted gateways */
    D("pphosted.com", "proofpoint"),
    D("ppe-hosted.com", "proofpoint"),
    D("proofpoint.com", "proofpoint"),
    D("mimecast.com", "mimecast"),
    D("mimecast-offshore.com", "mimecast"),
    D("barracudanetworks.com", "barracuda"),
    D("barracuda.com", "barracuda"),
    D("ess.barracudanetworks.com", "barracuda"),
    /* Google */
    D("google.com", "gmail"),
    D("gmail.com", "gmail"),
    D("googlemail.com", "gmail"),
    /* Microsoft */
    D("outlook.com", "microsoft"),
    D("hotmail.com", "microsoft"),
    D("hotmail.co.uk", "microsoft"),
    D("hotmail.fr", "microsoft"),
    D("hotmail.de", "microsoft"),
    D("hotmail.it", "microsoft"),
    D("hotmail.es", "microsoft"),
    D("live.com", "microsoft"),
    D("live.co.uk", "microsoft"),
    D("live.fr", "microsoft"),
    D("live.de", "microsoft"),
    D("msn.com", "microsoft"),
    D("windowslive.com", "microsoft"),
    D("office365.com", "microsoft"),
    D("outlook.office365.com", "microsoft"),
    /* Yahoo (and AOL, AT&T's mail and Verizon's, which Yahoo runs) */
    D("yahoodns.net", "yahoo"),
    D("yahoo.com", "yahoo"),
    D("yahoo.co.jp", "yahoo"),
    D("yahoo.co.uk", "yahoo"),
    D("yahoo.fr", "yahoo"),
    D("yahoo.de", "yahoo"),
    D("yahoo.es", "yahoo"),
    D("yahoo.it", "yahoo"),
    D("yahoo.ca", "yahoo"),
    D("yahoo.com.br", "yahoo"),
    D("yahoo-inc.com", "yahoo"),
    D("ymail.com", "yahoo"),
    D("rocketmail.com", "yahoo"),
    D("aol.com", "yahoo"),
    D("aim.com", "yahoo"),
    D("verizonmedia.com", "yahoo"),
    /* Apple */
    D("icloud.com", "apple"),
    D("me.com", "apple"),
    D("mac.com", "apple"),
    D("apple.com", "apple"),
    /* the rest of the big ones */
    D("messagingengine.com", "fastmail"),
    D("fastmail.com", "fastmail"),
    D("fastmail.fm", "fastmail"),
    D("zoho.com", "zoho"),
    D("zoho.eu", "zoho"),
    D("zohomail.com", "zoho"),
    D("yandex.ru", "yandex"),
    D("yandex.net", "yandex"),
    D("yandex.com", "yandex"),
    D("ya.ru", "yandex"),
    D("mail.ru", "mailru"),
    D("inbox.ru", "mailru"),
    D("list.ru", "mailru"),
    D("bk.ru", "mailru"),
    D("gmx.net", "gmx"),
    D("gmx.de", "gmx"),
    D("gmx.com", "gmx"),
    D("gmx.at", "gmx"),
    D("web.de", "gmx"),
    D("mail.com", "gmx"),
    D("comcast.net", "comcast"),
    D("att.net", "att"),
    D("sbcglobal.net", "att"),
    D("bellsouth.net", "att"),
    D("t-online.de", "t-online"),
    D("protonmail.ch", "proton"),
    D("protonmail.com", "proton"),
    D("proton.me", "proton"),
    D("orange.fr", "orange"),
    D("wanadoo.fr", "orange"),
    D("laposte.net", "laposte"),
    D("charter.net", "spectrum"),
    D("spectrum.net", "spectrum"),
    D("rr.com", "spectrum"),
    D("twc.com", "spectrum"),
    D("cox.net", "cox"),
    D("qq.com", "tencent"),
    D("naver.com", "naver"),
    D("free.fr", "free"),
    D("libero.it", "libero"),
    D("seznam.cz", "seznam"),
};

/* Markers that are not domains, checked in the text only (case-insensitive). */
typedef struct marker {
    const char *s; /* lower case */
    size_t len;
    const char *provider;
    bool then_digit; /* the marker must be followed by a digit: "[TS" + "01]" */
} marker;

#define M(s, p, d) {s, sizeof s - 1, p, d}

static const marker markers[] = {
    M("gsmtp", "gmail", false),
    M("support.google.com/mail", "gmail", false),
    M("gcdp", "gmail", false),
    M("office 365", "microsoft", false),
    M("exchange online", "microsoft", false),
    M("as(", "microsoft", true),
    M("(s3150)", "microsoft", false),
    M("[ts", "yahoo", true),
    M("[tss", "yahoo", true),
    M("[bl2", "yahoo", true),
    M("[cs0", "apple", true),
    M("[hm0", "apple", true),
    M("pphosted", "proofpoint", false),
    M("mimecast", "mimecast", false),
    M("barracuda", "barracuda", false),
};

/* The bytes of a host name, ASCII only (IDNs travel as xn-- labels): 1 for a label's,
 * 2 for the dot. One load per byte, where isalnum() and three compares cost several. */
static const uint8_t hostch[256] = {
    ['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['-'] = 1, ['_'] = 1, ['.'] = 2,
};

static bool dchar(unsigned char c)
{
    return hostch[c] == 1;
}

/* ASCII by hand: tolower() is a call and a locale table per byte. */
static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
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
        unsigned kinds = 0; /* hostch[] bits of the token's bytes: 2 = it has a dot */
        while (i < n && hostch[(unsigned char)s[i]] != 0)
            kinds |= hostch[(unsigned char)s[i++]];
        size_t e = i;
        while (e > st && s[e - 1] == '.') /* "mx.google.com." is fully qualified */
            e--;
        if (!(kinds & 2) || (hosts_only && st > 0 && s[st - 1] == '@'))
            continue;
        t[nt].s = s + st;
        t[nt].n = e - st;
        nt++;
    }
    return nt;
}

/* The domains by name, so a token costs one hash step per byte of its tail instead of a
 * compare against all ~70 domains. Built once; read-only afterwards, so threads share it.
 * A slot holds a domains[] index + 1, 0 when empty. */
#define DOM_SLOTS 256
#define DOM_LONGEST 32 /* no table domain is longer: longer tails need no lookup */
static uint8_t dom_slot[DOM_SLOTS];
static pthread_once_t dom_once = PTHREAD_ONCE_INIT;

/* The hash runs from the end of a name towards its start, so one walk over a token's tail
 * hashes each of its label-boundary suffixes in turn. */
static unsigned hash_step(unsigned h, unsigned char c)
{
    return h * 31u + lower(c);
}

static void dom_build(void)
{
    _Static_assert(sizeof domains / sizeof domains[0] < DOM_SLOTS / 2, "dom_slot too small");
    for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++) {
        assert(domains[i].len <= DOM_LONGEST);
        unsigned h = 0;
        for (size_t k = domains[i].len; k > 0; k--)
            h = hash_step(h, (unsigned char)domains[i].domain[k - 1]);
        size_t at = h % DOM_SLOTS;
        while (dom_slot[at] != 0 && strcmp(domains[dom_slot[at] - 1].domain,
                                           domains[i].domain) != 0)
            at = (at + 1) % DOM_SLOTS;
        if (dom_slot[at] == 0) /* a repeated name keeps its first, lower, index */
            dom_slot[at] = (uint8_t)(i + 1);
    }
}

/* The domains[] index of the name s[0..n) (any case) with hash h, or -1. */
static int dom_find(const char *s, size_t n, unsigned h)
{
    for (size_t at = h % DOM_SLOTS; dom_slot[at] != 0; at = (at + 1) % DOM_SLOTS) {
        const dom *d = &domains[dom_slot[at] - 1];
        if (d->len == n && strncasecmp(s, d->domain, n) == 0)
            return dom_slot[at] - 1;
    }
    return -1;
}

/* The lowest domains[] index that token `t` ends with on a label boundary ("mx.me.com"
 * ends with "me.com", "acme.com" does not), or -1. */
static int token_domain(const token *t)
{
    int best = -1;
    unsigned h = 0;
    for (size_t k = t->n; k > 0 && t->n - k < DOM_LONGEST; k--) {
        h = hash_step(h, (unsigned char)t->s[k - 1]);
        if (k - 1 > 0 && t->s[k - 2] != '.')
            continue;
        int i = dom_find(t->s + k - 1, t->n - k + 1, h);
        if (i >= 0 && (best < 0 || i < best))
            best = i;
    }
    return best;
}

static const char *by_domain(const char *s, size_t n, bool hosts_only)
{
    token t[MAX_TOKENS];
    size_t nt = tokens_of(s, n, hosts_only, t, MAX_TOKENS);
    pthread_once(&dom_once, dom_build);
    /* the table's order decides between tokens: a gateway beats the provider behind it */
    int best = -1;
    for (size_t j = 0; j < nt; j++) {
        int i = token_domain(&t[j]);
        if (i >= 0 && (best < 0 || i < best))
            best = i;
    }
    return best >= 0 ? domains[best].provider : NULL;
}

/* For each byte, the markers that can start with it (bit i = markers[i], either case), and
 * those whose second byte it is: most positions of a text fail the pair at once (the
 * first bytes alone are common letters), and the others try only their own markers,
 * still in table order. Built once; read-only afterwards, so threads share it. */
static uint16_t starts[256], seconds[256];
static pthread_once_t starts_once = PTHREAD_ONCE_INIT;

static void starts_build(void)
{
    _Static_assert(sizeof markers / sizeof markers[0] <= 16, "starts[] holds 16 markers");
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++) {
        assert(markers[i].len >= 2);
        for (int k = 0; k < 2; k++) {
            uint16_t *t = k == 0 ? starts : seconds;
            unsigned char c = (unsigned char)markers[i].s[k];
            t[c] |= (uint16_t)(1u << i);
            t[toupper(c)] |= (uint16_t)(1u << i);
        }
    }
}

/* Whether s (n bytes, any case) starts with the lower-case marker m (ml bytes). */
static bool starts_with(const char *s, size_t n, const char *m, size_t ml)
{
    if (ml > n)
        return false;
    for (size_t k = 0; k < ml; k++) {
        if (lower((unsigned char)s[k]) != (unsigned char)m[k])
            return false;
    }
    return true;
}

static const char *by_marker(const char *s, size_t n)
{
    pthread_once(&starts_once, starts_build);
    for (size_t j = 0; j + 1 < n; j++) {
        unsigned set = starts[(unsigned char)s[j]] & seconds[(unsigned char)s[j + 1]];
        for (; set != 0; set &= set - 1) {
            size_t i = (size_t)__builtin_ctz(set);
            const char *m = markers[i].s;
            size_t ml = markers[i].len;
            if (!starts_with(s + j, n - j, m, ml))
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
