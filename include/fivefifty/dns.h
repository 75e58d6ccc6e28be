/* dns.h - one resolver interface for everything in fivefifty that asks DNS
 *
 * SPF, DKIM, DMARC, MX, PTR and blocklist checks ask through an ff_dns handle and never
 * through c-ares directly, so tests can answer from zone data and a run can count its
 * queries. Two backends:
 *
 *   ff_dns_new_cares()  real DNS through c-ares: many queries in flight, TCP fallback for
 *                       truncated answers, timeouts and retries, a per-handle cache;
 *   ff_dns_new_zone()   answers from records added with ff_dns_zone_add() (tests, fuzzing,
 *                       the RFC 7208 suite); a name can be marked to time out.
 *
 * A timeout or SERVFAIL is FF_DNS_TEMPFAIL: a temporary error, never "does not exist".
 */
#ifndef FIVEFIFTY_DNS_H
#define FIVEFIFTY_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ff_dns_type {
    FF_DNS_A = 1,
    FF_DNS_NS = 2,
    FF_DNS_CNAME = 5,
    FF_DNS_PTR = 12,
    FF_DNS_MX = 15,
    FF_DNS_TXT = 16,
    FF_DNS_AAAA = 28
} ff_dns_type;

typedef enum ff_dns_result {
    FF_DNS_OK = 0,       /* at least one record of the type asked */
    FF_DNS_NODATA,       /* the name exists, no record of that type */
    FF_DNS_NXDOMAIN,     /* the name does not exist */
    FF_DNS_TEMPFAIL,     /* timeout, SERVFAIL, network: try again later */
    FF_DNS_PERMFAIL      /* REFUSED, FORMERR, a malformed answer or name */
} ff_dns_result;

/* One record. Strings are owned by the answer. */
typedef struct ff_dns_rr {
    ff_dns_type type;
    uint32_t ttl;
    char *name;          /* owner name, no trailing dot */
    char *text;          /* TXT: the character-strings joined without separator;
                            MX/PTR/CNAME/NS: the target host, no trailing dot;
                            A/AAAA: the address in text form */
    int pref;            /* MX preference */
    size_t nstrings;     /* TXT: how many character-strings were joined */
    unsigned char addr[16]; /* A: 4 bytes, AAAA: 16 bytes */
} ff_dns_rr;

typedef struct ff_dns_answer {
    ff_dns_result result;
    ff_dns_rr *rrs;      /* owned array of n records */
    size_t n;
} ff_dns_answer;

typedef struct ff_dns ff_dns;

/* ff_dns_new_cares() creates a c-ares resolver. `server` is "IP", "IP:PORT" or
 * "[IPv6]:PORT"; NULL uses $FIVEFIFTY_RESOLVER when set, else the system's resolvers.
 * `timeout_ms` per try (0: 2000), `tries` (0: 3). Caller frees with ff_dns_free().
 * Returns FF_OK, FF_EINVAL (bad server string), FF_ENOMEM, FF_EIO (c-ares init failed). */
ff_status ff_dns_new_cares(ff_dns **out, const char *server, int timeout_ms, int tries,
                           ff_error *err);

/* ff_dns_new_zone() creates an empty zone-data resolver. Caller frees with ff_dns_free(). */
ff_status ff_dns_new_zone(ff_dns **out, ff_error *err);

/* ff_dns_zone_add() adds a record to a zone resolver. `rdata` is written as in a zone file:
 * A "192.0.2.1", AAAA "2001:db8::1", MX "10 mx.example.com", TXT the text itself (use
 * ff_dns_zone_add_txt for several character-strings), PTR/CNAME/NS a host.
 * Returns FF_OK, FF_EINVAL (not a zone resolver, bad rdata), FF_ENOMEM. */
ff_status ff_dns_zone_add(ff_dns *dns, const char *name, ff_dns_type type, const char *rdata);

/* ff_dns_zone_add_txt() adds a TXT record made of `n` character-strings. */
ff_status ff_dns_zone_add_txt(ff_dns *dns, const char *name, const char *const *strings,
                              size_t n);

/* ff_dns_zone_load() adds the records of a zone text (`len` bytes): one record a line,
 * "NAME TYPE DATA" with TYPE A, AAAA, MX ("PREF HOST"), TXT (zero or more "quoted"
 * character-strings with \" \\ \DDD escapes, or one bare word), PTR, CNAME, NS; or
 * "NAME TIMEOUT". Lines starting with '#' are comments. Records before a bad line stay.
 * Returns FF_OK, FF_EINVAL (not a zone resolver), FF_EPARSE (line number in err),
 * FF_ENOMEM. */
ff_status ff_dns_zone_load(ff_dns *dns, const char *text, size_t len, ff_error *err);

/* ff_dns_zone_timeout() makes queries for `name` answer FF_DNS_TEMPFAIL for every type the
 * zone holds no record of (a server that answers some types and times out on others). */
ff_status ff_dns_zone_timeout(ff_dns *dns, const char *name);

/* ff_dns_query() asks for `name` and `type` and waits for the answer (cached per handle).
 * `out` is zeroed first; release with ff_dns_answer_clear(). A DNS-level failure is not an
 * error of this call: it returns FF_OK with out->result saying what happened.
 * Returns FF_OK, FF_EINVAL, FF_ENOMEM. */
ff_status ff_dns_query(ff_dns *dns, const char *name, ff_dns_type type, ff_dns_answer *out);

/* Asynchronous use: start many queries, then wait for all; each callback gets an answer it
 * owns (release with ff_dns_answer_clear()). */
typedef void (*ff_dns_cb)(void *arg, const char *name, ff_dns_type type,
                          ff_dns_answer *answer);
ff_status ff_dns_query_async(ff_dns *dns, const char *name, ff_dns_type type, ff_dns_cb cb,
                             void *arg);
ff_status ff_dns_wait(ff_dns *dns);

/* Queries sent (cache hits excluded) since creation or the last reset. */
size_t ff_dns_query_count(const ff_dns *dns);
void ff_dns_reset_count(ff_dns *dns);

/* ff_dns_answer_clear() frees what `a` owns and zeroes it; NULL is accepted. */
void ff_dns_answer_clear(ff_dns_answer *a);

/* ff_dns_free() releases a resolver; NULL is accepted. */
void ff_dns_free(ff_dns *dns);

const char *ff_dns_result_name(ff_dns_result r); /* "ok", "nodata", ... static */

#ifdef __cplusplus
}
#endif
#endif
