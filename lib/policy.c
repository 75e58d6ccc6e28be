/* policy.c - retry schedule, circuit breakers and warm-up budgets (see policy.h)
 *
 * The numbers come from the field's own guidance: RFC 5321 4.5.4.1 asks for at least 30
 * minutes between retries and 4-5 days before giving up; Postfix starts at 300 s and caps
 * at 4000 s; the providers publish their bounce and complaint thresholds (Google's and
 * Yahoo's sender guidelines: spam rate under 0.3 %, aim under 0.1 %). The first retry here
 * is the 5 minutes the issue asks for, because most 4xx today are greylisting and rate
 * limits that clear within minutes.
 */
#include "fivefifty/policy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void ff_retry_policy_default(ff_retry_policy *p)
{
    p->first_s = 300;
    p->max_s = 14400;
    p->lifetime_s = 5 * 86400;
    p->jitter = 0.2;
}

int64_t ff_policy_retry_at(const ff_retry_policy *p, int attempts, int64_t first_attempt,
                           int64_t now, double rnd)
{
    ff_retry_policy d;
    if (!p) {
        ff_retry_policy_default(&d);
        p = &d;
    }
    if (attempts < 1)
        attempts = 1;
    double delay = (double)p->first_s;
    for (int i = 1; i < attempts && delay < (double)p->max_s; i++)
        delay *= 2;
    if (delay > (double)p->max_s)
        delay = (double)p->max_s;
    if (rnd < 0 || rnd >= 1)
        rnd = 0.5;
    delay *= 1.0 + p->jitter * (2.0 * rnd - 1.0);
    int64_t at = now + (int64_t)llround(delay);
    if (at > first_attempt + p->lifetime_s)
        return -1;
    return at;
}

static const struct {
    const char *provider;
    ff_limits l;
} table[] = {
    /* Google and Yahoo (2024 sender requirements): warn 3 %, block 5 %. */
    {"gmail", {0.03, 0.05, 0.001, 0.003, 100}},
    {"yahoo", {0.03, 0.05, 0.001, 0.003, 100}},
    {"aol", {0.03, 0.05, 0.001, 0.003, 100}},
    /* Microsoft (Outlook.com/Office 365): 5 % / 8 %. */
    {"microsoft", {0.05, 0.08, 0.001, 0.003, 100}},
};

bool ff_provider_limits(const char *provider, ff_limits *out)
{
    for (size_t i = 0; provider && i < sizeof table / sizeof table[0]; i++)
        if (strcmp(provider, table[i].provider) == 0) {
            *out = table[i].l;
            return true;
        }
    /* DESIGN.md: over 2 % in a batch pauses the stream; warn a little before. */
    ff_limits dflt = {0.015, 0.02, 0.001, 0.003, 50};
    *out = dflt;
    return false;
}

static ff_breaker_state judge(double rate, double warn, double pause)
{
    if (pause > 0 && rate > pause)
        return FF_BREAKER_PAUSE;
    if (warn > 0 && rate > warn)
        return FF_BREAKER_WARN;
    return FF_BREAKER_OK;
}

ff_breaker_state ff_breaker_eval(const ff_counts *c, const ff_limits *l, char *why,
                                 unsigned cap)
{
    if (why && cap)
        why[0] = '\0';
    if (!c || !l || c->sent == 0 || c->sent < l->min_sample)
        return FF_BREAKER_OK;
    double br = (double)c->hard / (double)c->sent;
    uint64_t base = c->delivered ? c->delivered : c->sent;
    double cr = (double)c->complaints / (double)base;
    double pr = (double)c->auth_policy / (double)c->sent;
    ff_breaker_state b = judge(br, l->bounce_warn, l->bounce_pause);
    ff_breaker_state k = judge(cr, l->complaint_warn, l->complaint_pause);
    ff_breaker_state p = pr > 0.10 ? FF_BREAKER_PAUSE : FF_BREAKER_OK;
    ff_breaker_state worst = b > k ? b : k;
    worst = p > worst ? p : worst;
    if (why && cap && worst != FF_BREAKER_OK) {
        if (b == worst)
            snprintf(why, cap, "hard-bounce rate %.1f %% (%llu of %llu) is over the %.1f %% %s "
                     "threshold", br * 100, (unsigned long long)c->hard,
                     (unsigned long long)c->sent,
                     (b == FF_BREAKER_PAUSE ? l->bounce_pause : l->bounce_warn) * 100,
                     b == FF_BREAKER_PAUSE ? "pause" : "warning");
        else if (k == worst)
            snprintf(why, cap, "complaint rate %.2f %% (%llu of %llu) is over the %.1f %% %s "
                     "threshold", cr * 100, (unsigned long long)c->complaints,
                     (unsigned long long)base,
                     (k == FF_BREAKER_PAUSE ? l->complaint_pause : l->complaint_warn) * 100,
                     k == FF_BREAKER_PAUSE ? "pause" : "warning");
        else
            snprintf(why, cap, "%.1f %% of recipients (%llu of %llu) refused for "
                     "authentication or policy (5.7.x): fix the sender's setup before "
                     "sending more", pr * 100, (unsigned long long)c->auth_policy,
                     (unsigned long long)c->sent);
    }
    return worst;
}

ff_warmup ff_warmup_budget(int day, double recent_bounce_rate, uint32_t yesterday,
                           uint32_t max_daily)
{
    /* Week 1: 10 -> 20, week 2: 30 -> 50, week 3: 50 -> 100 (linear within the week). */
    static const struct {
        double from, to;
    } weeks[] = {{10, 20}, {30, 50}, {50, 100}};
    double daily;
    if (day < 0)
        day = 0;
    if (day < 21) {
        int w = day / 7, d = day % 7;
        daily = weeks[w].from + (weeks[w].to - weeks[w].from) * d / 6.0;
    } else {
        /* Then +50 % a day while the bounce rate stays low; held when it does not. */
        daily = yesterday > 100 ? (double)yesterday : 100;
        if (recent_bounce_rate < 0.02)
            daily *= 1.5;
    }
    ff_warmup w;
    w.daily = (uint32_t)llround(daily > 4e9 ? 4e9 : daily);
    if (max_daily && w.daily > max_daily)
        w.daily = max_daily;
    /* Spread a day's budget: never more than a tenth of it in one minute, at least 1. */
    w.per_minute = w.daily / 10 ? w.daily / 10 : 1;
    return w;
}
