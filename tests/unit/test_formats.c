/* test_formats.c - one bounce per supported format, each with the records it must give
 *
 * Every tests/data/formats/NAME.eml is decoded and compared with NAME.expect, so a format
 * is added with two files and no code. An .expect file holds "key: value" lines; '#'
 * starts a comment line. "records: N" is the number of records (0: the message is no
 * bounce, ff_decode() says FF_ENOTBOUNCE), "[K]" starts the fields of record K (from 1),
 * and each field after it is compared exactly, or, when its key ends in '~', must occur
 * in the value. A field not named is not compared. Keys: recipient, original_recipient,
 * dsn_action, status, code, diagnostic, diagnostic_type, remote_mta, reporting_mta,
 * command, message_id, from, to, subject, list_id, format, feedback_type, auth_results,
 * and the decision's reason, class, side, action, provider and rule. "-" means the field
 * must be absent (NULL, 0 or ""). A failing row names the file, the record and the key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fivefifty/classify.h"
#include "fivefifty/decode.h"
#include "fivefifty/rules.h"

static ff_rules *rules;
static char dir[1024];

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        fclose(f);
        return NULL;
    }
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

/* The record's value for `key` as text in buf (NULL when the record does not have it);
 * false for a key this test does not know. */
static bool field(const ff_bounce_record *r, const char *key, char *buf, size_t cap,
                  const char **out)
{
    const ff_decision *d = &r->decision;
    static const struct {
        const char *key;
        size_t off;
    } strs[] = {
        {"recipient", offsetof(ff_bounce_record, recipient)},
        {"original_recipient", offsetof(ff_bounce_record, original_recipient)},
        {"dsn_action", offsetof(ff_bounce_record, dsn_action)},
        {"diagnostic", offsetof(ff_bounce_record, diagnostic)},
        {"diagnostic_type", offsetof(ff_bounce_record, diagnostic_type)},
        {"remote_mta", offsetof(ff_bounce_record, remote_mta)},
        {"reporting_mta", offsetof(ff_bounce_record, reporting_mta)},
        {"command", offsetof(ff_bounce_record, command)},
        {"message_id", offsetof(ff_bounce_record, message_id)},
        {"from", offsetof(ff_bounce_record, from)},
        {"to", offsetof(ff_bounce_record, to)},
        {"subject", offsetof(ff_bounce_record, subject)},
        {"list_id", offsetof(ff_bounce_record, list_id)},
        {"feedback_type", offsetof(ff_bounce_record, feedback_type)},
        {"auth_results", offsetof(ff_bounce_record, auth_results)},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (strcmp(key, strs[i].key) == 0) {
            *out = *(char *const *)(const void *)((const char *)r + strs[i].off);
            return true;
        }
    }
    if (strcmp(key, "status") == 0)
        *out = r->status[0] ? r->status : NULL;
    else if (strcmp(key, "code") == 0) {
        snprintf(buf, cap, "%d", r->code);
        *out = r->code ? buf : NULL;
    } else if (strcmp(key, "format") == 0)
        *out = r->format && r->format[0] ? r->format : NULL;
    else if (strcmp(key, "reason") == 0)
        *out = ff_reason_name(d->reason);
    else if (strcmp(key, "class") == 0)
        *out = ff_class_name(d->klass);
    else if (strcmp(key, "side") == 0)
        *out = ff_side_name(d->side);
    else if (strcmp(key, "action") == 0)
        *out = ff_action_name(d->action);
    else if (strcmp(key, "provider") == 0)
        *out = d->provider[0] ? d->provider : NULL;
    else if (strcmp(key, "rule") == 0)
        *out = d->rule[0] ? d->rule : NULL;
    else
        return false;
    return true;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
                     s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Checks one fixture; returns the number of failed comparisons (each printed). */
static int check_one(const char *name)
{
    char path[2048];
    size_t len, elen;
    snprintf(path, sizeof path, "%s/%s.eml", dir, name);
    char *mail = slurp(path, &len);
    snprintf(path, sizeof path, "%s/%s.expect", dir, name);
    char *expect = slurp(path, &elen);
    if (mail == NULL || expect == NULL) {
        print_error("%s: no .eml or no .expect beside it\n", name);
        free(mail);
        free(expect);
        return 1;
    }
    ff_bounce b;
    ff_error err = {0};
    ff_status st = ff_decode(rules, mail, len, &b, &err);
    int bad = 0;
    long want_n = -1, rec = 0, fields = 0;
    char *save = NULL;
    for (char *line = strtok_r(expect, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *l = trim(line);
        if (*l == '\0' || *l == '#')
            continue;
        if (*l == '[') {
            rec = strtol(l + 1, NULL, 10);
            if (rec < 1 || (size_t)rec > b.n) {
                print_error("%s: record [%ld] expected, %zu decoded\n", name, rec, b.n);
                bad++;
                rec = 0;
            }
            continue;
        }
        char *colon = strchr(l, ':');
        if (colon == NULL) {
            print_error("%s: line without ':': %s\n", name, l);
            bad++;
            continue;
        }
        *colon = '\0';
        char *key = trim(l), *want = trim(colon + 1);
        if (strcmp(key, "records") == 0) {
            want_n = strtol(want, NULL, 10);
            size_t got = st == FF_OK ? b.n : 0;
            if ((size_t)want_n != got || (want_n == 0 && st != FF_ENOTBOUNCE)) {
                print_error("%s: records: want %ld, got %zu (%s%s%s)\n", name, want_n, got,
                            ff_strerror(st), err.msg[0] ? ": " : "", err.msg);
                bad++;
            }
            continue;
        }
        if (rec == 0)
            continue; /* its record is missing: reported once above */
        size_t kl = strlen(key);
        bool contains = kl > 0 && key[kl - 1] == '~';
        if (contains)
            key[kl - 1] = '\0';
        char buf[32];
        const char *got = NULL;
        if (!field(&b.recs[rec - 1], key, buf, sizeof buf, &got)) {
            print_error("%s: unknown key '%s'\n", name, key);
            bad++;
            continue;
        }
        fields++;
        bool ok = strcmp(want, "-") == 0 ? got == NULL
                  : got == NULL          ? false
                  : contains             ? strstr(got, want) != NULL
                                         : strcmp(got, want) == 0;
        if (!ok) {
            print_error("%s [%ld] %s: want %s'%s', got '%s'\n", name, rec, key,
                        contains ? "a value holding " : "", want, got ? got : "(none)");
            bad++;
        }
    }
    if (want_n < 0) {
        print_error("%s: the .expect file has no 'records:' line\n", name);
        bad++;
    } else if (want_n > 0 && fields == 0) {
        print_error("%s: the .expect file compares no field\n", name);
        bad++;
    }
    ff_bounce_clear(&b);
    free(mail);
    free(expect);
    return bad;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_every_format(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open %s", dir);
    char *names[512];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < sizeof names / sizeof names[0]) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".eml") == 0)
            names[n++] = strndup(e->d_name, l - 4);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        bad += check_one(names[i]);
        free(names[i]);
    }
    /* the table is the proof: an empty directory must not pass */
    if (n < 10)
        fail_msg("only %zu fixtures in %s", n, dir);
    if (bad)
        fail_msg("%d comparisons failed over %zu fixtures", bad, n);
}

static int setup(void **state)
{
    (void)state;
    const char *data = getenv("FF_TEST_DATA");
    snprintf(dir, sizeof dir, "%s/formats", data ? data : "tests/data");
    return ff_rules_builtin(&rules, NULL) == FF_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ff_rules_free(rules);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_format),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
