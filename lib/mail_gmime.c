/* mail_gmime.c - GMime, opened the first time a message needs it (see mail_gmime.h)
 *
 * mail.c asks GMime for three things only: RFC 2047 encoded-words in header values, the
 * unfolding of such values, and iconv names for MIME charset labels. Linked, GMime made
 * every process load it and the libraries behind it (GIO, GObject, GPGME, libmount,
 * libselinux, ...), all with BIND_NOW relocations: about half of the start-up of
 * `fivefifty classify`, which never reads a message, and of a decode whose bounces are all
 * plain ASCII. So it is opened with dlopen() on first use, once per process, and its
 * functions are called through pointers typed from its own header.
 *
 * If it cannot be opened (a build that found it at compile time runs where it is gone),
 * decoding goes on: header values are unfolded but keep their encoded-words, and charset
 * labels go to iconv as they are.
 */
#include "mail_gmime.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <gmime/gmime.h>

#ifndef FF_GMIME_SONAME
#define FF_GMIME_SONAME "libgmime-3.0.so.0"
#endif

static struct {
    __typeof__(&g_mime_init) init;
    __typeof__(&g_mime_parser_options_new) opts_new;
    __typeof__(&g_mime_parser_options_set_rfc2047_compliance_mode) set_rfc2047;
    __typeof__(&g_mime_parser_options_set_parameter_compliance_mode) set_param;
    __typeof__(&g_mime_parser_options_set_address_compliance_mode) set_addr;
    __typeof__(&g_mime_parser_options_set_allow_addresses_without_domain) set_nodomain;
    __typeof__(&g_mime_parser_options_set_fallback_charsets) set_fallback;
    __typeof__(&g_mime_charset_iconv_name) iconv_name;
    __typeof__(&g_mime_utils_header_unfold) unfold;
    __typeof__(&g_mime_utils_header_decode_text) decode_text;
} gm;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;
static GMimeParserOptions *popts;
/* GMime keeps process-wide charset tables that it fills lazily; decode runs on several
 * threads, so every call into GMime goes through this lock. They are short calls (a
 * charset name, an encoded-word), far from the hot path. */
static pthread_mutex_t gmime_lock = PTHREAD_MUTEX_INITIALIZER;

#define SYM(field, name) (*(void **)&gm.field = dlsym(h, name)) != NULL

/* g_mime_init() is not thread-safe and must run once per process; the parser options are
 * read-only after this and shared by every thread. The handle is never closed. */
static void load(void)
{
    void *h = dlopen(FF_GMIME_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        return;
    if (!(SYM(init, "g_mime_init") && SYM(opts_new, "g_mime_parser_options_new") &&
          SYM(set_rfc2047, "g_mime_parser_options_set_rfc2047_compliance_mode") &&
          SYM(set_param, "g_mime_parser_options_set_parameter_compliance_mode") &&
          SYM(set_addr, "g_mime_parser_options_set_address_compliance_mode") &&
          SYM(set_nodomain, "g_mime_parser_options_set_allow_addresses_without_domain") &&
          SYM(set_fallback, "g_mime_parser_options_set_fallback_charsets") &&
          SYM(iconv_name, "g_mime_charset_iconv_name") &&
          SYM(unfold, "g_mime_utils_header_unfold") &&
          SYM(decode_text, "g_mime_utils_header_decode_text")))
        return;
    static const char *fallback[] = {"UTF-8", "windows-1252", NULL};
    gm.init();
    popts = gm.opts_new();
    gm.set_rfc2047(popts, GMIME_RFC_COMPLIANCE_LOOSE);
    gm.set_param(popts, GMIME_RFC_COMPLIANCE_LOOSE);
    gm.set_addr(popts, GMIME_RFC_COMPLIANCE_LOOSE);
    gm.set_nodomain(popts, TRUE);
    gm.set_fallback(popts, fallback);
    loaded = true;
}

static bool have_gmime(void)
{
    pthread_once(&load_once, load);
    return loaded;
}

void ff_gm_open(void)
{
    (void)have_gmime();
}

char *ff_gm_iconv_name(const char *charset)
{
    if (charset == NULL || !have_gmime())
        return g_strdup(charset);
    pthread_mutex_lock(&gmime_lock);
    char *name = g_strdup(gm.iconv_name(charset));
    pthread_mutex_unlock(&gmime_lock);
    return name;
}

/* Without GMime: white space trimmed at both ends, line ends dropped. */
static char *unfold(const char *raw, size_t n)
{
    while (n > 0 && (raw[0] == ' ' || raw[0] == '\t' || raw[0] == '\r' || raw[0] == '\n')) {
        raw++;
        n--;
    }
    while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\t' || raw[n - 1] == '\r' ||
                     raw[n - 1] == '\n'))
        n--;
    char *v = g_malloc(n + 1), *o = v;
    for (size_t i = 0; i < n; i++)
        if (raw[i] != '\r' && raw[i] != '\n')
            *o++ = raw[i];
    *o = '\0';
    return v;
}

char *ff_gm_header_text(const char *raw, size_t n)
{
    if (!have_gmime())
        return unfold(raw, n);
    char *tmp = g_strndup(raw, n);
    char *v = gm.unfold(tmp);
    g_free(tmp);
    if (strstr(v, "=?") != NULL) {
        pthread_mutex_lock(&gmime_lock);
        char *d = gm.decode_text(popts, v);
        pthread_mutex_unlock(&gmime_lock);
        g_free(v);
        v = d;
    }
    return v;
}
