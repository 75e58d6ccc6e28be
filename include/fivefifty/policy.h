/* policy.h - when to try again, how fast to send, and when to stop (pure decisions)
 *
 * The queue runner asks these functions; they read numbers and return numbers, so every
 * threshold is testable without a clock, a network or a database.
 *
 *   ff_policy_retry_at()    exponential backoff with jitter for a 4xx (or a lost
 *                           connection): first try again after about 5 minutes, doubling,
 *                           capped, and expired once the queue lifetime (5 days) is over
 *   ff_breaker_eval()       bounce and complaint rates over a batch or a rolling window
 *                           against the stream's and the provider's thresholds
 *   ff_warmup_budget()      how many messages a (stream, provider) may send today and per
 *                           minute on a new domain's warm-up schedule
 *   ff_provider_limits()    the big providers' published thresholds
 */
#ifndef FIVEFIFTY_POLICY_H
#define FIVEFIFTY_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ff_retry_policy {
    int64_t first_s;     /* first retry after this (default 300) */
    int64_t max_s;       /* backoff cap (default 14400: 4 hours) */
    int64_t lifetime_s;  /* queue lifetime from the first attempt (default 432000: 5 days) */
    double jitter;       /* +- fraction (default 0.2) so retries of a batch spread out */
} ff_retry_policy;

/* ff_retry_policy_default() fills the defaults above. */
void ff_retry_policy_default(ff_retry_policy *p);

/* ff_policy_retry_at() returns when attempt number `attempts + 1` is due (seconds since
 * the epoch), given the time of the first attempt and now; `rnd` is a uniform random
 * value in [0, 1) for the jitter (the caller's, so tests are repeatable). Returns -1 when
 * the next try would fall after the queue lifetime: the recipient has expired. */
int64_t ff_policy_retry_at(const ff_retry_policy *p, int attempts, int64_t first_attempt,
                           int64_t now, double rnd);

/* Thresholds, as fractions (0.02 = 2 %). */
typedef struct ff_limits {
    double bounce_warn, bounce_pause;       /* hard bounces / sent */
    double complaint_warn, complaint_pause; /* complaints / delivered */
    unsigned min_sample;                    /* fewer sent than this: rates are not judged */
} ff_limits;

/* ff_provider_limits() fills the thresholds for a provider name ("gmail", "yahoo",
 * "microsoft", ...; NULL or unknown = the default 2 % pause of DESIGN.md) and returns
 * whether the provider has its own. Gmail and Yahoo: warn 3 %, block 5 %; Microsoft:
 * 5 % / 8 %; complaints everywhere: warn 0.1 %, pause 0.3 %. A stream's own pause
 * threshold (config bounce_pause) is applied by the caller on top, the lower wins. */
bool ff_provider_limits(const char *provider, ff_limits *out);

typedef enum ff_breaker_state { FF_BREAKER_OK, FF_BREAKER_WARN, FF_BREAKER_PAUSE } ff_breaker_state;

typedef struct ff_counts {
    uint64_t sent;        /* attempts that got an answer for the recipient */
    uint64_t delivered;
    uint64_t hard;        /* hard bounces (action suppress) */
    uint64_t soft;
    uint64_t complaints;
    uint64_t auth_policy; /* 5.7.x authentication / policy rejections */
} ff_counts;

/* ff_breaker_eval() judges counts against limits. Writes a one-line reason for a person
 * into why (cap bytes, may be NULL), e.g. "hard-bounce rate 3.1 % (31 of 1000) is over
 * the 2.0 % pause threshold". A concentration of 5.7.x (auth_policy over 10 % of sent,
 * and at least min_sample sent) also pauses: the sender's setup is being refused. */
ff_breaker_state ff_breaker_eval(const ff_counts *c, const ff_limits *l, char *why,
                                 unsigned cap);

typedef struct ff_warmup {
    uint32_t daily;       /* messages per day for this (stream, provider); 0 = no cap */
    uint32_t per_minute;  /* 0 = no cap */
} ff_warmup;

/* ff_warmup_budget() gives the budget for day `day` (0 = the first day of sending) of a
 * warm-up: week 1 from 10 up to 20 a day, week 2 30 to 50, week 3 50 to 100, then from
 * `yesterday`'s budget (at least 100) growth by half a day while the recent bounce rate
 * stays under 2 %; a higher rate holds the budget where it was. `max_daily` caps it
 * (0 = no cap). */
ff_warmup ff_warmup_budget(int day, double recent_bounce_rate, uint32_t yesterday,
                           uint32_t max_daily);

#ifdef __cplusplus
}
#endif
#endif
