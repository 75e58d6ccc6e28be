/* text.h - internal: small string tools every text scanner needs
 *
 * Bounce text is untrusted: these functions take explicit lengths, never read past them,
 * and allocate what they return (the caller frees with free()).
 */
#ifndef FF_TEXT_H
#define FF_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* ff_line_next() walks `buf` (len bytes) line by line from *pos: stores the line without its
 * LF/CRLF in *line, *line_len, advances *pos and returns true; false at the end. */
bool ff_line_next(const char *buf, size_t len, size_t *pos, const char **line,
                  size_t *line_len);

/* ff_memcasemem() finds `needle` (NUL-terminated, ASCII) in hay[0..hay_len) ignoring ASCII
 * case. Returns a pointer into hay or NULL. */
const char *ff_memcasemem(const char *hay, size_t hay_len, const char *needle);

/* ff_startswith_case() says whether s[0..len) starts with `prefix`, ignoring ASCII case. */
bool ff_startswith_case(const char *s, size_t len, const char *prefix);

/* ff_trim() narrows [*s, *s + *len) past leading and trailing white space. */
void ff_trim(const char **s, size_t *len);

/* ff_strndup_trim() copies s[0..len) without surrounding white space. Caller frees.
 * Returns NULL on ENOMEM. */
char *ff_strndup_trim(const char *s, size_t len);

/* ff_unfold() copies s[0..len), turning every run of white space (line ends included) into
 * one space and trimming both ends. Caller frees. Returns NULL on ENOMEM. */
char *ff_unfold(const char *s, size_t len);

/* ff_addr_find() finds the first mail address (local@domain, optionally in <...>) in
 * s[0..len). Stores its offset and length (without brackets) and returns true, or false
 * when there is none. The address must have a dot-free or dotted domain of letters,
 * digits, '-' and '.', and a local part of atext characters, dots or a quoted string. */
bool ff_addr_find(const char *s, size_t len, size_t *off, size_t *alen);

/* ff_addr_dup() returns the first address of s[0..len) as a new string with its domain
 * lower-cased, or NULL when there is none (or on ENOMEM). Caller frees. */
char *ff_addr_dup(const char *s, size_t len);

#endif
