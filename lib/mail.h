/* mail.h - internal: a bounce message seen as the parts decoders need
 *
 * mail.c is the only file that talks to GMime. It turns a message into plain strings, so
 * the format decoders (dsn.c, arf.c, the lhost scanners) work on text and can be tested and fuzzed
 * without building MIME trees.
 */
#ifndef FF_MAIL_H
#define FF_MAIL_H

#include <stddef.h>

#include "fivefifty/error.h"

typedef struct ff_header {
    char *name;      /* as written (in the mail's hstore) */
    char *value;     /* unfolded, RFC 2047 decoded to UTF-8; read it with ff_mail_header():
                        a parsed mail decodes it from `raw` on the first ask (owned by the
                        mail then), a hand-built one sets it and leaves raw NULL */
    const char *raw; /* the value as written (in the mail's hstore), or NULL */
    size_t raw_len;
} ff_header;

typedef struct ff_mail {
    ff_header *headers;  /* top-level headers of the bounce, in order */
    size_t nheaders;
    char *hstore;        /* one block holding every header's name and raw value */
    char *content_type;       /* "multipart/report; report-type=..." lower-cased type/subtype */
    char *text;               /* the human-readable parts of the bounce (text/plain, and
                                 text/html turned into text), outside any returned message,
                                 decoded to UTF-8, LF line ends; "" when none */
    size_t text_len;
    char *dsn;                /* body of message/delivery-status or
                                 message/global-delivery-status parts; NULL when none */
    size_t dsn_len;
    char *feedback;           /* body of a message/feedback-report part; NULL when none */
    size_t feedback_len;
    char *orig_headers;       /* the fields of the returned message (message/rfc822,
                                 message/global, text/rfc822-headers) that say which message
                                 it was, the ones decode.c reads: Message-ID, From, To,
                                 Subject, List-ID, Authentication-Results,
                                 X-HmXmrOriginalRecipient, as "Name: value" lines with LF
                                 ends ("" when it has none of them; its raw lines when its
                                 header block holds no field at all); NULL when no returned
                                 message was attached as a part */
    size_t orig_headers_len;
} ff_mail;

/* ff_mail_parse() reads `len` bytes into `m` (zeroed first). Returns FF_OK, FF_EPARSE
 * (not a message at all), FF_ENOMEM. Release with ff_mail_free() in every case. */
ff_status ff_mail_parse(const char *data, size_t len, ff_mail *m, ff_error *err);

/* ff_mail_header() returns the value of the first top-level header named `name`
 * (case-insensitive), borrowed from m, or NULL. The value is decoded on the first ask and
 * kept in m, so one ff_mail must not be read by two threads at once. */
const char *ff_mail_header(const ff_mail *m, const char *name);

/* ff_mail_header_decode() turns a header value as written (n bytes, maybe folded, maybe
 * holding RFC 2047 encoded-words or 8-bit bytes) into UTF-8 text, as ff_mail_header()
 * gives the bounce's own headers. Caller frees; NULL on ENOMEM. */
char *ff_mail_header_decode(const char *raw, size_t n);

/* ff_mail_prepare() opens GMime and the resident charset converters now, once per
 * process (see ff_decode_prepare()). */
void ff_mail_prepare(void);

/* ff_mail_free() releases what `m` owns and zeroes it; NULL is accepted. */
void ff_mail_free(ff_mail *m);

#endif
