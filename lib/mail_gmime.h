/* mail_gmime.h - the parts of GMime mail.c uses, loaded on first use (internal) */
#ifndef FF_MAIL_GMIME_H
#define FF_MAIL_GMIME_H

#include <stddef.h>

/* The iconv name GMime gives a MIME charset label ("x-sjis" -> "Shift_JIS"); the label
 * itself when GMime is not available. Returns a g_malloc'd string, NULL for a NULL label. */
char *ff_gm_iconv_name(const char *charset);

/* A header value (raw bytes, n of them, folded) unfolded, and its RFC 2047 encoded-words
 * decoded when it holds "=?" (GMime's decoder, loose, UTF-8 then windows-1252 for bare
 * 8-bit text). Without GMime the value is only unfolded. Returns a g_malloc'd string that
 * may still hold invalid UTF-8. */
char *ff_gm_header_text(const char *raw, size_t n);

/* Opens GMime now, if it is not open yet (what the first call of the two above does). */
void ff_gm_open(void);

#endif
