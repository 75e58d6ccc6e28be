/* status.c - enhanced mail system status codes: check, find, look up (see status.h)
 *
 * NAME
 *	ff_status_valid, ff_status_find, ff_status_lookup, ff_status_class
 * DESCRIPTION
 *	In the flow of DESIGN.md this sits under `reply` and `classify`: a reply's
 *	"5.7.26", a DSN's Status field or a status buried in a diagnostic line all come
 *	through here before the classifier weighs them. The table itself lives in
 *	status_registry.c so this file stays about syntax.
 *
 *	Syntax is RFC 3463 section 2: class "." subject "." detail, class 2, 4 or 5,
 *	subject and detail 1-3 digits without leading zeros.
 *
 *	Finding a code in free text is the hard part: diagnostic lines are full of
 *	dotted numbers (IP addresses "10.5.1.1", versions "v2.5.1.3", dates), so a code
 *	counts only when it stands alone: nothing word-like or dotted right before it,
 *	no further ".digit" or word character right after it.
 * DIAGNOSTICS
 *	None: bad input yields false, -1, NULL or 0 as status.h documents.
 */
#include "fivefifty/status.h"

#include <stdio.h>
#include <string.h>

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool wordch(char c)
{
    return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Length of the 1-3 digit number at p, 0 when there is none, it is longer, or it has
 * a leading zero ("0" alone is fine, "01" is not). */
static size_t num(const char *p, size_t left)
{
    size_t n = 0;
    while (n < left && digit(p[n]))
        if (++n > 3)
            return 0;
    if (n == 0 || (n > 1 && p[0] == '0'))
        return 0;
    return n;
}

/* Length of the code "c.s.d" at the start of p, 0 when there is none. What follows is
 * not checked. `x` also admits the registry's "X" class. */
static size_t span(const char *p, size_t left, bool x)
{
    if (left < 5)
        return 0;
    char c = p[0];
    if (c != '2' && c != '4' && c != '5' && !(x && (c == 'X' || c == 'x')))
        return 0;
    if (p[1] != '.')
        return 0;
    size_t s = num(p + 2, left - 2);
    size_t i = 2 + s;
    if (s == 0 || i >= left || p[i] != '.')
        return 0;
    size_t d = num(p + i + 1, left - i - 1);
    return d ? i + 1 + d : 0;
}

bool ff_status_valid(const char *s, size_t len)
{
    return s != NULL && len > 0 && span(s, len, false) == len;
}

/* Nothing word-like or dotted may touch the code on the left: "v2.5.1", "10.5.1.1". */
static bool open_before(const char *t, size_t i)
{
    return i == 0 || !(wordch(t[i - 1]) || t[i - 1] == '.');
}

/* Nor on the right: "5.1.1.1" is a longer dotted run, "5.1.1a" a word; a full stop
 * that ends a sentence ("... 5.1.1.") is fine. */
static bool open_after(const char *t, size_t len, size_t e)
{
    if (e >= len)
        return true;
    if (wordch(t[e]))
        return false;
    return !(t[e] == '.' && e + 1 < len && digit(t[e + 1]));
}

long ff_status_find(const char *text, size_t len, char out[FF_STATUS_MAX])
{
    if (out != NULL)
        out[0] = '\0';
    if (text == NULL || out == NULL)
        return -1;
    /* Every code has a '.' right after its class digit, and memchr() finds the dots of a
     * text many bytes at a time, where testing each byte for a class digit took most of
     * the time of decoding a bounce's diagnostic lines. */
    for (const char *dot = len >= 5 ? memchr(text + 1, '.', len - 1) : NULL; dot != NULL;
         dot = memchr(dot + 1, '.', len - (size_t)(dot + 1 - text))) {
        size_t i = (size_t)(dot - text) - 1;
        if (i + 5 > len)
            break;
        char c = text[i];
        if ((c != '2' && c != '4' && c != '5') || !open_before(text, i))
            continue;
        size_t n = span(text + i, len - i, false);
        if (n == 0 || !open_after(text, len, i + n))
            continue;
        memcpy(out, text + i, n); /* n <= 9 < FF_STATUS_MAX */
        out[n] = '\0';
        return (long)i;
    }
    return -1;
}

static const ff_status_entry *row(unsigned subject, unsigned detail)
{
    char key[FF_STATUS_MAX];
    snprintf(key, sizeof key, "X.%u.%u", subject, detail);
    size_t n;
    const ff_status_entry *reg = ff_status_registry(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(reg[i].code, key) == 0)
            return &reg[i];
    return NULL;
}

static unsigned atou(const char *p, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(p[i] - '0');
    return v;
}

const ff_status_entry *ff_status_lookup(const char *code)
{
    if (code == NULL)
        return NULL;
    size_t len = strnlen(code, FF_STATUS_MAX);
    if (span(code, len, true) != len)
        return NULL;
    const char *dot = memchr(code + 2, '.', len - 2);
    unsigned subject = atou(code + 2, (size_t)(dot - code) - 2);
    unsigned detail = atou(dot + 1, len - (size_t)(dot + 1 - code));
    /* unregistered details (Microsoft's 5.7.515) still say what area they are in */
    const ff_status_entry *e = row(subject, detail);
    if (e == NULL)
        e = row(subject, 0);
    if (e == NULL)
        e = row(0, 0);
    return e;
}

int ff_status_class(const char *code)
{
    if (code == NULL)
        return 0;
    size_t len = strnlen(code, FF_STATUS_MAX);
    return ff_status_valid(code, len) ? code[0] - '0' : 0;
}
