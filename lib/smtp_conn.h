/* smtp_conn.h - internal: one TCP connection, optionally inside TLS, with deadlines
 *
 * The SMTP client's state machine (smtp_client.c) talks through this and never touches a
 * socket or OpenSSL itself. Every read and write takes a timeout in milliseconds; an
 * expired timeout is FF_EIO with "timed out" in the message, like any broken connection,
 * because for the caller both mean the same: this attempt is over.
 */
#ifndef FF_SMTP_CONN_H
#define FF_SMTP_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "fivefifty/error.h"

typedef struct smtp_conn smtp_conn;

/* conn_open() resolves host (name or IP literal), tries each address in turn until one
 * connects within timeout_ms, and returns a connection the caller frees with
 * conn_free(). Returns FF_OK, FF_EIO (with the last error), FF_ENOMEM. */
ff_status conn_open(smtp_conn **out, const char *host, unsigned port, int timeout_ms,
                    ff_error *err);

/* conn_starttls() runs the TLS handshake on the open connection. With verify, the chain
 * must verify (system store plus ca_file when given) and the certificate match `name`;
 * without, any certificate is taken (opportunistic TLS) and *verified tells whether it
 * would have passed. Returns FF_OK or FF_EIO (err holds OpenSSL's reason). */
ff_status conn_starttls(smtp_conn *c, const char *name, bool verify, const char *ca_file,
                        int timeout_ms, bool *verified, ff_error *err);

/* conn_write() writes all of buf[0..len) or fails. FF_OK or FF_EIO. */
ff_status conn_write(smtp_conn *c, const char *buf, size_t len, int timeout_ms, ff_error *err);

/* conn_read_reply() reads one whole reply (see ff_smtp_reply_end) and returns it through
 * *text (malloc'd, lines joined by '\n', no CR; caller frees) and *code. Bytes of a later
 * reply that arrived with it are kept for the next call (pipelining). Returns FF_OK;
 * FF_EIO (closed, reset, timed out); FF_EPARSE (not an SMTP reply line);
 * FF_ETOOBIG (past FF_SMTP_REPLY_MAX). */
ff_status conn_read_reply(smtp_conn *c, int timeout_ms, int *code, char **text,
                          ff_error *err);

bool conn_tls_active(const smtp_conn *c);

/* conn_pending() says how many received bytes wait unread. After the 220 to STARTTLS
 * this must be 0: bytes that came with it were sent in the clear and would otherwise be
 * read as if inside TLS (the STARTTLS command-injection flaw, CVE-2011-0411's cousin). */
size_t conn_pending(const smtp_conn *c);

/* conn_free() closes (TLS close_notify best effort) and frees; NULL is accepted. */
void conn_free(smtp_conn *c);

#endif
