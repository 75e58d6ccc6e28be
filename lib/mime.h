/* mime.h - internal: the structure of a MIME message, read in place (RFC 2045, 2046, 2231)
 *
 * mail.c needs little from MIME: the header fields of an entity, its content type with a
 * few parameters, the parts of a multipart and the bytes of a leaf with its transfer
 * encoding undone. Building an object tree for that (as GMime does) cost more than all the
 * decoding after it, so these functions work on the bytes as they are: nothing is copied
 * until a leaf's content is decoded, and nothing is allocated to find the parts.
 *
 * Lenient the way bounces need: LF or CRLF line ends, a missing closing boundary ends the
 * multipart at the end of the data, a header block without a blank line after it is all
 * header, 8-bit bytes pass through. Every function is bounded by the lengths it is given.
 */
#ifndef FF_MIME_H
#define FF_MIME_H

#include <stdbool.h>
#include <stddef.h>

/* ff_mime_split() finds where the header block of s[0..n) ends: *hlen is its length (line
 * end of its last field included), *body the offset of the body (after the blank line),
 * n when there is no body. */
void ff_mime_split(const char *s, size_t n, size_t *hlen, size_t *body);

/* ff_mime_field_next() walks the fields of a header block from *pos: *name, *nlen is the
 * field name, *val, *vlen its raw value (after the colon, continuation lines included, line
 * ends kept). Lines that are no field (no colon, a space in the name) are skipped. Returns
 * false at the end. */
bool ff_mime_field_next(const char *h, size_t hn, size_t *pos, const char **name,
                        size_t *nlen, const char **val, size_t *vlen);

/* ff_mime_field() finds the first field named `name` (case-insensitive) in h[0..hn). */
bool ff_mime_field(const char *h, size_t hn, const char *name, const char **val,
                   size_t *vlen);

/* ff_mime_type() writes the lower-cased "type/subtype" of a Content-Type value into
 * out[0..cap) ("text/plain" when the value is missing or has no slash). */
void ff_mime_type(const char *val, size_t vlen, char *out, size_t cap);

/* ff_mime_param() writes the value of parameter `name` of a Content-Type or
 * Content-Disposition value into out[0..cap), unquoted, with RFC 2231 continuations
 * (name*0, name*1*) joined and percent-escapes of extended values undone (the charset and
 * language prefix dropped). Returns false when there is no such parameter. */
bool ff_mime_param(const char *val, size_t vlen, const char *name, char *out, size_t cap);

/* ff_mime_part_next() walks the parts of a multipart body b[0..bn) with `boundary`: from
 * *pos (0 at the start), *part, *plen is the next part (headers and body, its final line
 * end not included). Returns false after the last part: the closing boundary, or the end
 * of the data when it never comes. The preamble and the epilogue are never parts. */
bool ff_mime_part_next(const char *b, size_t bn, const char *boundary, size_t *pos,
                       const char **part, size_t *plen);

/* ff_mime_decode() undoes a Content-Transfer-Encoding (base64, quoted-printable; others
 * are copied) from s[0..n) into out, which must hold n + 1 bytes; returns the decoded
 * length and NUL-terminates. Bad base64 characters are skipped, a bad QP escape is kept
 * as written. */
size_t ff_mime_decode(const char *s, size_t n, const char *encoding, size_t elen, char *out);

/* ff_mime_identity() says whether ff_mime_decode() would copy the bytes as they are for
 * this Content-Transfer-Encoding value (7bit, 8bit, binary, none, unknown): the caller
 * can then read them in place. */
bool ff_mime_identity(const char *encoding, size_t elen);

#endif
