/* config.h - the one INI file that sets up fivefifty's sending (--config, FIVEFIFTY_CONFIG)
 *
 *   [fivefifty]                      global settings
 *   db = /var/lib/fivefifty/ff.db    the store (--db and FIVEFIFTY_DB win)
 *   helo = mta1.example.com          our EHLO name
 *   retry_first = 300                seconds; retry_max = 14400; queue_lifetime = 432000
 *
 *   [stream.outreach]                one section per stream
 *   from_domain = example.com        the identity mail of this stream is sent for
 *   route = smtp://smtp.relay.example:587   a relay; or "mx" to deliver straight to MX
 *   tls = required                   required | opportunistic | none
 *   user = apikey                    relay AUTH, only inside TLS
 *   password_file = /etc/fivefifty/relay.secret    or password_env = RELAY_PASSWORD
 *   ca_file = /etc/ssl/private-ca.pem
 *   dkim_key = /etc/fivefifty/dkim.pem   dkim_selector = s1   dkim_domain = example.com
 *   bounce_domain = bounces.example.com  (VERP Return-Path bounces+TOKEN@ this)
 *   bulk = yes                       List-Unsubscribe + List-Unsubscribe-Post (RFC 8058)
 *   unsubscribe_url = https://example.com/u   unsubscribe_mailto = u@example.com
 *   bounce_pause = 2%                the breaker's pause threshold for a batch
 *   max_per_minute = 60   daily_cap = 5000   warmup = yes   warmup_start = 2026-11-01
 *   connections = 4                  SMTP sessions at once toward the relay or one MX
 *
 * Without a file the defaults run: two streams, "transactional" and "outreach" (bulk,
 * warm-up on), both delivering straight to MX with opportunistic TLS.
 * Unknown sections and keys are errors with their line, so a typo never silently turns a
 * limit off. Secrets are never kept in the struct: ff_config_password() reads them when
 * needed, so a dump of the configuration cannot leak them.
 */
#ifndef FIVEFIFTY_CONFIG_H
#define FIVEFIFTY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fivefifty/error.h"
#include "fivefifty/smtp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_CONFIG_STREAMS_MAX 64

typedef enum ff_route { FF_ROUTE_MX = 0, FF_ROUTE_RELAY } ff_route;

/* Every char * is owned by the ff_config, NULL when unset. */
typedef struct ff_stream_cfg {
    char *name;
    char *from_domain;
    ff_route route;
    char *relay_host;
    unsigned relay_port;        /* 0 = 25 */
    ff_tls_mode tls;
    char *user;
    char *password_file;
    char *password_env;
    char *ca_file;
    char *dkim_key;
    char *dkim_selector;
    char *dkim_domain;          /* NULL = from_domain */
    char *bounce_domain;        /* NULL = from_domain */
    bool bulk;
    char *unsubscribe_url;
    char *unsubscribe_mailto;
    double bounce_pause;        /* fraction, default 0.02 */
    uint32_t max_per_minute;    /* 0 = no limit */
    uint32_t daily_cap;         /* 0 = no limit */
    uint32_t connections;       /* sessions at once per destination, 1..64, default 4 */
    bool warmup;
    char *warmup_start;         /* YYYY-MM-DD; NULL = the first day mail was sent */
} ff_stream_cfg;

typedef struct ff_config {
    char *db;
    char *helo;
    int64_t retry_first, retry_max, queue_lifetime;
    ff_stream_cfg *streams;
    size_t nstreams;
} ff_config;

/* ff_config_load() reads `path` (NULL = no file: the defaults). Streams named in the file
 * replace the defaults of the same name; the other defaults stay. On success *out is the
 * caller's (ff_config_free). Returns FF_OK, FF_EIO (unreadable), FF_EPARSE (err names the
 * line and what is wrong), FF_ENOMEM. */
ff_status ff_config_load(const char *path, ff_config **out, ff_error *err);

/* ff_config_parse() is ff_config_load() on text in memory; `name` is used in messages. */
ff_status ff_config_parse(const char *text, const char *name, ff_config **out, ff_error *err);

/* ff_config_stream() returns the stream called `name` (borrowed from cfg), or NULL. */
const ff_stream_cfg *ff_config_stream(const ff_config *cfg, const char *name);

/* ff_config_password() puts the relay password of `s` into buf (cap bytes, NUL-ended):
 * from password_file (first line, without its line end) or the environment variable
 * password_env. The caller wipes buf after use. Returns FF_OK, FF_ENOTFOUND (neither is
 * set, or the variable is empty), FF_EIO (the file cannot be read; the message names the
 * file, never its content), FF_ETOOBIG. */
ff_status ff_config_password(const ff_stream_cfg *s, char *buf, size_t cap, ff_error *err);

void ff_config_free(ff_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
