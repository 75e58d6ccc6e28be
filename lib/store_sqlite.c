/* store_sqlite.c - the SQLite backend of the store (see include/fivefifty/store.h)
 *
 * DESCRIPTION
 *   WAL journal, synchronous=NORMAL: in WAL mode a committed transaction survives the
 *   death of the process (kill -9) at any moment, which is what the queue promises; only
 *   an operating-system crash or power loss can take the last commits, and FULL would cost
 *   an fsync per recipient on the sending path. busy_timeout lets a CLI command and a
 *   running queue share the file. Every write is BEGIN IMMEDIATE ... COMMIT, so a writer
 *   never has to upgrade a read lock halfway.
 *
 *   Migrations are numbered SQL scripts; PRAGMA user_version holds the last applied one.
 *   Each runs in its own transaction with the version bump, so a crash mid-migration
 *   leaves the previous version intact.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "store_backend.h"

/* Prepared statements kept for reuse, keyed by their SQL text: the queue runner executes
 * the same few statements for every recipient, and preparing them again each time cost
 * as much as running them. */
#define STMT_CACHE 48

typedef struct cached_stmt {
    char *sql;
    sqlite3_stmt *s;
    bool busy; /* handed out and not yet given back */
} cached_stmt;

typedef struct db {
    sqlite3 *h;
    cached_stmt cache[STMT_CACHE];
    bool snap; /* inside ff_store_snapshot() */
} db;

static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE messages(id INTEGER PRIMARY KEY, stream TEXT NOT NULL,"
    "  mail_from TEXT NOT NULL, message_id TEXT, raw BLOB NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE recipients(id INTEGER PRIMARY KEY,"
    "  msg_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
    "  address TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL, first_attempt INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt INTEGER NOT NULL, lease_until INTEGER NOT NULL DEFAULT 0,"
    "  provider TEXT NOT NULL DEFAULT '', last_reason TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX recipients_due ON recipients(state, next_attempt);"
    "CREATE INDEX recipients_msg ON recipients(msg_id);"
    "CREATE INDEX messages_mid ON messages(message_id);"
    "CREATE TABLE attempts(id INTEGER PRIMARY KEY, rcpt_id INTEGER NOT NULL, at INTEGER NOT NULL,"
    "  remote_host TEXT, stage TEXT, code INTEGER, reply TEXT, reason TEXT, class TEXT,"
    "  side TEXT, action TEXT, status TEXT, provider TEXT, rule TEXT);"
    "CREATE INDEX attempts_rcpt ON attempts(rcpt_id);"
    "CREATE TABLE events(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, type TEXT NOT NULL,"
    "  rcpt_id INTEGER, stream TEXT, provider TEXT, address TEXT, reason TEXT, action TEXT,"
    "  detail TEXT);"
    "CREATE TABLE suppressions(address TEXT NOT NULL, scope TEXT NOT NULL, reason TEXT,"
    "  status TEXT, source TEXT, created INTEGER NOT NULL, PRIMARY KEY(address, scope));"
    "CREATE TABLE states(stream TEXT NOT NULL, provider TEXT NOT NULL, state TEXT NOT NULL,"
    "  why TEXT, since INTEGER NOT NULL, until INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY(stream, provider));"
    "CREATE TABLE counters(stream TEXT NOT NULL, provider TEXT NOT NULL, minute INTEGER NOT NULL,"
    "  sent INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0,"
    "  hard INTEGER NOT NULL DEFAULT 0, soft INTEGER NOT NULL DEFAULT 0,"
    "  complaints INTEGER NOT NULL DEFAULT 0, auth_policy INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY(stream, provider, minute));",
};

#define NMIGRATIONS (int)(sizeof migrations / sizeof migrations[0])

static ff_status dberr(db *d, ff_error *err, const char *what)
{
    int code = sqlite3_errcode(d->h);
    return ff_error_set(err, code == SQLITE_NOMEM ? FF_ENOMEM : FF_EIO, "store: %s: %s", what,
                        sqlite3_errmsg(d->h));
}

static ff_status exec(db *d, const char *sql, ff_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ff_status st = ff_error_set(err, FF_EIO, "store: %s", msg ? msg : "error");
        sqlite3_free(msg);
        return st;
    }
    return FF_OK;
}

static ff_status run(db *d, ff_error *err, const char *sql, const char *types, ...);

/* BEGIN and COMMIT go through the statement cache like everything else: the queue runner
 * makes one transaction per recipient, and sqlite3_exec() would parse both every time. */
static ff_status begin(db *d, ff_error *err)
{
    return run(d, err, "BEGIN IMMEDIATE", "");
}

static ff_status end(db *d, ff_status st, ff_error *err)
{
    if (st == FF_OK)
        return run(d, err, "COMMIT", "");
    sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

/* prep() returns a statement for `sql`, from the cache when one is free; give it back
 * with unprep(), never sqlite3_finalize(). */
static sqlite3_stmt *prep(db *d, const char *sql)
{
    cached_stmt *slot = NULL;
    for (size_t i = 0; i < STMT_CACHE; i++) {
        cached_stmt *c = &d->cache[i];
        if (c->sql == NULL) {
            if (slot == NULL)
                slot = c;
            continue;
        }
        if (!c->busy && strcmp(c->sql, sql) == 0) {
            c->busy = true;
            return c->s;
        }
    }
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(d->h, sql, -1, &s, NULL) != SQLITE_OK)
        return NULL;
    if (slot != NULL && (slot->sql = strdup(sql)) != NULL) {
        slot->s = s;
        slot->busy = true;
    }
    return s;
}

/* unprep() gives a statement from prep() back: reset for its next use when cached,
 * finalized when not. NULL is accepted. */
static void unprep(db *d, sqlite3_stmt *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < STMT_CACHE; i++) {
        if (d->cache[i].s == s && d->cache[i].busy) {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            d->cache[i].busy = false;
            return;
        }
    }
    sqlite3_finalize(s);
}

static void cache_clear(db *d)
{
    for (size_t i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(d->cache[i].s);
        free(d->cache[i].sql);
        memset(&d->cache[i], 0, sizeof d->cache[i]);
    }
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return strdup(t ? (const char *)t : "");
}

/* Run a one-shot statement with text and integer parameters: 't' text, 'i' int64. */
static ff_status run(db *d, ff_error *err, const char *sql, const char *types, ...)
{
    sqlite3_stmt *s = prep(d, sql);
    if (!s)
        return dberr(d, err, "prepare");
    va_list ap;
    va_start(ap, types);
    for (int i = 0; types[i]; i++) {
        if (types[i] == 't')
            bind_text(s, i + 1, va_arg(ap, const char *));
        else
            sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
    }
    va_end(ap);
    int rc = sqlite3_step(s);
    unprep(d, s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return dberr(d, err, "write");
    return FF_OK;
}

static ff_status migrate(db *d, ff_error *err)
{
    sqlite3_stmt *s = prep(d, "PRAGMA user_version");
    int version = 0;
    if (s && sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    unprep(d, s);
    if (version > NMIGRATIONS)
        return ff_error_set(err, FF_EUNSUPPORTED, "store: schema version %d is newer than this "
                            "fivefifty (%d)", version, NMIGRATIONS);
    for (int v = version; v < NMIGRATIONS; v++) {
        ff_status st = begin(d, err);
        if (st != FF_OK)
            return st;
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
        st = exec(d, migrations[v], err);
        if (st == FF_OK)
            st = exec(d, bump, err);
        if ((st = end(d, st, err)) != FF_OK)
            return st;
    }
    return FF_OK;
}

static void s_close(void *impl)
{
    db *d = impl;
    if (!d)
        return;
    cache_clear(d);
    sqlite3_close(d->h);
    free(d);
}

static ff_queue_item *grow(ff_queue_item *v, size_t n, size_t *cap)
{
    if (n < *cap)
        return v;
    size_t nc = *cap ? *cap * 2 : 16;
    ff_queue_item *w = realloc(v, nc * sizeof *w);
    if (w)
        *cap = nc;
    return w;
}

#define ITEM_COLS "r.id, r.msg_id, m.stream, r.address, m.mail_from, m.message_id, r.state," \
                  " r.provider, r.attempts, r.created, r.first_attempt, r.next_attempt," \
                  " r.last_reason"

static void item_read(sqlite3_stmt *s, ff_queue_item *it)
{
    it->id = sqlite3_column_int64(s, 0);
    it->msg_id = sqlite3_column_int64(s, 1);
    it->stream = col_dup(s, 2);
    it->rcpt = col_dup(s, 3);
    it->mail_from = col_dup(s, 4);
    it->message_id = col_dup(s, 5);
    it->state = col_dup(s, 6);
    it->provider = col_dup(s, 7);
    it->attempts = sqlite3_column_int(s, 8);
    it->created = sqlite3_column_int64(s, 9);
    it->first_attempt = sqlite3_column_int64(s, 10);
    it->next_attempt = sqlite3_column_int64(s, 11);
    it->last_reason = col_dup(s, 12);
}

static ff_status items_collect(db *d, sqlite3_stmt *s, ff_queue_item **items, size_t *n,
                               ff_error *err)
{
    ff_queue_item *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ff_queue_item *w = grow(v, cnt, &cap);
        if (!w) {
            ff_queue_items_free(v, cnt);
            return ff_error_set(err, FF_ENOMEM, "out of memory");
        }
        v = w;
        memset(&v[cnt], 0, sizeof v[cnt]);
        item_read(s, &v[cnt++]);
    }
    if (rc != SQLITE_DONE) {
        ff_queue_items_free(v, cnt);
        return dberr(d, err, "read");
    }
    *items = v;
    *n = cnt;
    return FF_OK;
}

static ff_status s_enqueue(void *impl, const ff_message_in *m, int64_t now, int64_t *msg_id,
                           ff_error *err)
{
    db *d = impl;
    ff_status st = begin(d, err);
    if (st != FF_OK)
        return st;
    sqlite3_stmt *s = prep(d, "INSERT INTO messages(stream, mail_from, message_id, raw, created)"
                              " VALUES(?,?,?,?,?)");
    if (!s)
        return end(d, dberr(d, err, "prepare"), err);
    bind_text(s, 1, m->stream);
    bind_text(s, 2, m->mail_from ? m->mail_from : "");
    bind_text(s, 3, m->message_id);
    sqlite3_bind_blob64(s, 4, m->raw, m->raw_len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, now);
    if (sqlite3_step(s) != SQLITE_DONE)
        st = dberr(d, err, "insert message");
    unprep(d, s);
    int64_t id = sqlite3_last_insert_rowid(d->h);
    int64_t due = m->not_before > now ? m->not_before : now;
    for (size_t i = 0; st == FF_OK && i < m->nrcpt; i++)
        st = run(d, err, "INSERT INTO recipients(msg_id, address, state, created, next_attempt)"
                         " VALUES(?,?,'queued',?,?)", "itii", id, m->rcpts[i], now, due);
    if ((st = end(d, st, err)) == FF_OK && msg_id)
        *msg_id = id;
    return st;
}

static ff_status s_claim(void *impl, int64_t now, int64_t lease_s, size_t max,
                         const char *stream, ff_queue_item **items, size_t *n, ff_error *err)
{
    db *d = impl;
    *items = NULL;
    *n = 0;
    ff_status st = begin(d, err);
    if (st != FF_OK)
        return st;
    sqlite3_stmt *s = prep(d, "SELECT " ITEM_COLS " FROM recipients r JOIN messages m"
                              " ON m.id = r.msg_id WHERE ((r.state IN ('queued','deferred')"
                              " AND r.next_attempt <= ?1) OR (r.state = 'sending' AND"
                              " r.lease_until <= ?1)) AND (?2 IS NULL OR m.stream = ?2)"
                              " ORDER BY r.next_attempt, r.id LIMIT ?3");
    if (!s)
        return end(d, dberr(d, err, "prepare"), err);
    sqlite3_bind_int64(s, 1, now);
    bind_text(s, 2, stream);
    sqlite3_bind_int64(s, 3, (int64_t)max);
    st = items_collect(d, s, items, n, err);
    unprep(d, s);
    for (size_t i = 0; st == FF_OK && i < *n; i++)
        st = run(d, err, "UPDATE recipients SET state='sending', lease_until=?,"
                         " first_attempt = CASE first_attempt WHEN 0 THEN ? ELSE first_attempt END"
                         " WHERE id=?", "iii", now + lease_s, now, (*items)[i].id);
    st = end(d, st, err);
    if (st != FF_OK) {
        ff_queue_items_free(*items, *n);
        *items = NULL;
        *n = 0;
    }
    return st;
}

static ff_status s_message_raw(void *impl, int64_t msg_id, char **raw, size_t *len,
                               ff_error *err)
{
    db *d = impl;
    *raw = NULL;
    *len = 0;
    sqlite3_stmt *s = prep(d, "SELECT raw FROM messages WHERE id = ?");
    if (!s)
        return dberr(d, err, "prepare");
    sqlite3_bind_int64(s, 1, msg_id);
    ff_status st = ff_error_set(err, FF_ENOTFOUND, "store: no message %lld", (long long)msg_id);
    if (sqlite3_step(s) == SQLITE_ROW) {
        int n = sqlite3_column_bytes(s, 0);
        const void *b = sqlite3_column_blob(s, 0);
        *raw = malloc((size_t)n + 1);
        if (!*raw)
            st = ff_error_set(err, FF_ENOMEM, "out of memory");
        else {
            if (n)
                memcpy(*raw, b, (size_t)n);
            (*raw)[n] = '\0';
            *len = (size_t)n;
            st = FF_OK;
        }
    }
    unprep(d, s);
    return st;
}

/* Counters are per minute, so windows of any length are sums over a range. One upsert
 * adds every column an outcome counts in. */
static ff_status count(db *d, const char *stream, const char *provider, int64_t at,
                       const ff_counts *c, ff_error *err)
{
    return run(d, err, "INSERT INTO counters(stream, provider, minute, sent, delivered, hard,"
               " soft, complaints, auth_policy) VALUES(?,?,?,?,?,?,?,?,?)"
               " ON CONFLICT(stream, provider, minute) DO UPDATE SET sent = sent + excluded.sent,"
               " delivered = delivered + excluded.delivered, hard = hard + excluded.hard,"
               " soft = soft + excluded.soft, complaints = complaints + excluded.complaints,"
               " auth_policy = auth_policy + excluded.auth_policy", "ttiiiiiii",
               stream ? stream : "", provider ? provider : "", at / 60, (int64_t)c->sent,
               (int64_t)c->delivered, (int64_t)c->hard, (int64_t)c->soft,
               (int64_t)c->complaints, (int64_t)c->auth_policy);
}

static ff_status s_record_attempt(void *impl, const ff_attempt *a, ff_error *err)
{
    db *d = impl;
    const ff_decision *dc = a->decision;
    ff_status st = begin(d, err);
    if (st != FF_OK)
        return st;
    st = run(d, err, "INSERT INTO attempts(rcpt_id, at, remote_host, stage, code, reply, reason,"
             " class, side, action, status, provider, rule) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
             "iittitttttttt", a->rcpt_id, a->at, a->remote_host, a->stage, (int64_t)a->code,
             a->reply, dc ? ff_reason_name(dc->reason) : NULL, dc ? ff_class_name(dc->klass) : NULL,
             dc ? ff_side_name(dc->side) : NULL, dc ? ff_action_name(dc->action) : NULL,
             dc ? dc->status : NULL, dc ? dc->provider : NULL, dc ? dc->rule : NULL);
    if (st == FF_OK)
        st = run(d, err, "UPDATE recipients SET state=?, next_attempt=?, lease_until=0,"
                 " attempts = attempts + ?, provider = CASE WHEN ?='' THEN provider ELSE ? END,"
                 " last_reason = COALESCE(?, last_reason) WHERE id=?", "tiittti",
                 a->new_state, a->next_attempt, (int64_t)(strcmp(a->stage, "GATE") != 0),
                 dc ? dc->provider : "", dc ? dc->provider : "",
                 dc ? ff_reason_name(dc->reason) : NULL, a->rcpt_id);
    if (st == FF_OK && sqlite3_changes(d->h) == 0)
        st = ff_error_set(err, FF_ENOTFOUND, "store: no recipient %lld", (long long)a->rcpt_id);
    /* The recipient's stream and address, for counters, events and suppression. */
    char *stream = NULL, *address = NULL;
    if (st == FF_OK && a->stream && a->address) {
        stream = strdup(a->stream);
        address = strdup(a->address);
        if (!stream || !address)
            st = ff_error_set(err, FF_ENOMEM, "out of memory");
    } else if (st == FF_OK) {
        sqlite3_stmt *s = prep(d, "SELECT m.stream, r.address FROM recipients r JOIN messages m"
                                  " ON m.id = r.msg_id WHERE r.id = ?");
        if (s) {
            sqlite3_bind_int64(s, 1, a->rcpt_id);
            if (sqlite3_step(s) == SQLITE_ROW) {
                stream = col_dup(s, 0);
                address = col_dup(s, 1);
            }
            unprep(d, s);
        }
        if (!stream || !address)
            st = ff_error_set(err, FF_ENOTFOUND, "store: no recipient %lld",
                              (long long)a->rcpt_id);
    }
    const char *prov = dc ? dc->provider : "";
    if (st == FF_OK && a->counts_as_sent) {
        ff_counts c = {.sent = 1};
        c.delivered = dc && dc->klass == FF_CLASS_NONE && dc->reason == FF_REASON_DELIVERED;
        c.hard = dc && dc->action == FF_ACTION_SUPPRESS;
        c.soft = dc && !c.hard && dc->klass == FF_CLASS_SOFT;
        c.auth_policy = dc && (dc->action == FF_ACTION_HOLD || dc->action == FF_ACTION_STOP);
        st = count(d, stream, prov, a->at, &c, err);
    }
    if (st == FF_OK && a->suppress) {
        char key[400];
        const char *at = strrchr(address, '@');
        snprintf(key, sizeof key, "%s", a->domain_wide && at ? at : address);
        st = run(d, err, "INSERT INTO suppressions(address, scope, reason, status, source, created)"
                 " VALUES(?, 'global', ?, ?, 'smtp', ?) ON CONFLICT(address, scope) DO UPDATE"
                 " SET reason=excluded.reason, status=excluded.status, created=excluded.created",
                 "ttti", key, dc ? ff_reason_name(dc->reason) : "manual", dc ? dc->status : "",
                 a->at);
    }
    if (st == FF_OK)
        st = run(d, err, "INSERT INTO events(at, type, rcpt_id, stream, provider, address, reason,"
                 " action, detail) VALUES(?,?,?,?,?,?,?,?,?)", "itittttt" "t", a->at,
                 a->new_state, a->rcpt_id, stream, prov, address,
                 dc ? ff_reason_name(dc->reason) : NULL, dc ? ff_action_name(dc->action) : NULL,
                 a->reply);
    free(stream);
    free(address);
    return end(d, st, err);
}

static ff_status s_queue_list(void *impl, const char *state, size_t max, ff_queue_item **items,
                              size_t *n, ff_error *err)
{
    db *d = impl;
    sqlite3_stmt *s = prep(d, "SELECT " ITEM_COLS " FROM recipients r JOIN messages m ON"
                              " m.id = r.msg_id WHERE (?1 IS NULL AND r.state IN"
                              " ('queued','deferred','sending','held')) OR r.state = ?1"
                              " ORDER BY r.id DESC LIMIT ?2");
    if (!s)
        return dberr(d, err, "prepare");
    bind_text(s, 1, state);
    sqlite3_bind_int64(s, 2, (int64_t)max);
    ff_status st = items_collect(d, s, items, n, err);
    unprep(d, s);
    return st;
}

static ff_status s_queue_set(void *impl, int64_t id, const char *stream, const char *provider,
                             const char *from_state, const char *state, int64_t now,
                             size_t *changed, ff_error *err)
{
    db *d = impl;
    ff_status st = begin(d, err);
    if (st != FF_OK)
        return st;
    if (id > 0)
        st = run(d, err, "UPDATE recipients SET state=?, next_attempt=?, lease_until=0"
                 " WHERE id=? AND (? IS NULL OR state=?)", "tiitt", state, now, id, from_state,
                 from_state);
    else
        st = run(d, err, "UPDATE recipients SET state=?, next_attempt=?, lease_until=0 WHERE"
                 " state=? AND (? IS NULL OR provider=?) AND msg_id IN (SELECT id FROM messages"
                 " WHERE stream=?)", "titttt", state, now, from_state, provider, provider, stream);
    if (changed)
        *changed = (size_t)sqlite3_changes(d->h);
    return end(d, st, err);
}

static ff_status s_suppress_add(void *impl, const ff_suppression *e, ff_error *err)
{
    db *d = impl;
    ff_status st = begin(d, err);
    if (st == FF_OK)
        st = run(d, err, "INSERT INTO suppressions(address, scope, reason, status, source, created)"
                 " VALUES(?,?,?,?,?,?) ON CONFLICT(address, scope) DO UPDATE SET"
                 " reason=excluded.reason, status=excluded.status, source=excluded.source,"
                 " created=excluded.created", "ttttti", e->address,
                 e->scope ? e->scope : "global", e->reason, e->status, e->source, e->created);
    return end(d, st, err);
}

static ff_status s_suppress_remove(void *impl, const char *address, const char *scope,
                                   size_t *removed, ff_error *err)
{
    db *d = impl;
    ff_status st = begin(d, err);
    if (st == FF_OK)
        st = run(d, err, "DELETE FROM suppressions WHERE address=? AND (? IS NULL OR scope=?)",
                 "ttt", address, scope, scope);
    if (removed)
        *removed = (size_t)sqlite3_changes(d->h);
    return end(d, st, err);
}

static void supp_read(sqlite3_stmt *s, ff_suppression *e)
{
    e->address = col_dup(s, 0);
    e->scope = col_dup(s, 1);
    e->reason = col_dup(s, 2);
    e->status = col_dup(s, 3);
    e->source = col_dup(s, 4);
    e->created = sqlite3_column_int64(s, 5);
}

static ff_status s_suppress_find(void *impl, const char *address, const char *stream,
                                 ff_suppression *hit, ff_error *err)
{
    db *d = impl;
    memset(hit, 0, sizeof *hit);
    const char *at = strrchr(address, '@');
    /* The address first, then its domain ("@example.org" entries): two point lookups on
     * the primary key. One query with ORDER BY made SQLite build a sorter per recipient,
     * which cost more than the lookups. */
    const char *keys[2] = {address, at ? at : NULL};
    ff_status st = FF_ENOTFOUND;
    for (int k = 0; k < 2 && st == FF_ENOTFOUND && keys[k]; k++) {
        sqlite3_stmt *s = prep(d, "SELECT address, scope, reason, status, source, created FROM"
                                  " suppressions WHERE address = ?1 AND scope IN ('global', ?2)"
                                  " LIMIT 1");
        if (!s)
            return dberr(d, err, "prepare");
        bind_text(s, 1, keys[k]);
        bind_text(s, 2, stream ? stream : "global");
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            supp_read(s, hit);
            st = FF_OK;
        } else if (rc != SQLITE_DONE)
            st = dberr(d, err, "read");
        unprep(d, s);
    }
    return st;
}

static ff_status s_suppress_list(void *impl, const char *scope, ff_suppression **v, size_t *n,
                                 ff_error *err)
{
    db *d = impl;
    *v = NULL;
    *n = 0;
    sqlite3_stmt *s = prep(d, "SELECT address, scope, reason, status, source, created FROM"
                              " suppressions WHERE ? IS NULL OR scope = ? ORDER BY created, address");
    if (!s)
        return dberr(d, err, "prepare");
    bind_text(s, 1, scope);
    bind_text(s, 2, scope);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            ff_suppression *w = realloc(*v, cap * sizeof *w);
            if (!w) {
                unprep(d, s);
                ff_suppressions_free(*v, *n);
                *v = NULL;
                *n = 0;
                return ff_error_set(err, FF_ENOMEM, "out of memory");
            }
            *v = w;
        }
        supp_read(s, &(*v)[(*n)++]);
    }
    unprep(d, s);
    return rc == SQLITE_DONE ? FF_OK : dberr(d, err, "read");
}

static ff_status s_state_get(void *impl, const char *stream, const char *provider,
                             ff_stream_state *out, ff_error *err)
{
    db *d = impl;
    memset(out, 0, sizeof *out);
    snprintf(out->state, sizeof out->state, "active");
    sqlite3_stmt *s = prep(d, "SELECT state, why, since, until FROM states WHERE stream=? AND"
                              " provider=?");
    if (!s)
        return dberr(d, err, "prepare");
    bind_text(s, 1, stream);
    bind_text(s, 2, provider ? provider : "");
    if (sqlite3_step(s) == SQLITE_ROW) {
        const unsigned char *st = sqlite3_column_text(s, 0), *why = sqlite3_column_text(s, 1);
        snprintf(out->state, sizeof out->state, "%s", st ? (const char *)st : "active");
        snprintf(out->why, sizeof out->why, "%s", why ? (const char *)why : "");
        out->since = sqlite3_column_int64(s, 2);
        out->until = sqlite3_column_int64(s, 3);
    }
    unprep(d, s);
    return FF_OK;
}

/* A deferred transaction takes the read lock at its first read and keeps it to COMMIT. */
static ff_status s_snapshot(void *impl, bool on, ff_error *err)
{
    db *d = impl;
    if (on == d->snap)
        return ff_error_set(err, FF_EINVAL, "store: snapshot %s", on ? "already open" : "not open");
    ff_status st = run(d, err, on ? "BEGIN DEFERRED" : "COMMIT", "");
    if (st == FF_OK)
        d->snap = on;
    return st;
}

static ff_status s_state_set(void *impl, const char *stream, const char *provider,
                             const char *state, const char *why, int64_t now, int64_t until,
                             ff_error *err)
{
    db *d = impl;
    ff_status st = begin(d, err);
    if (st == FF_OK)
        st = run(d, err, "INSERT INTO states(stream, provider, state, why, since, until)"
                 " VALUES(?,?,?,?,?,?) ON CONFLICT(stream, provider) DO UPDATE SET"
                 " state=excluded.state, why=excluded.why, since=excluded.since,"
                 " until=excluded.until", "ttttii", stream, provider ? provider : "", state, why,
                 now, until);
    if (st == FF_OK)
        st = run(d, err, "INSERT INTO events(at, type, stream, provider, detail) VALUES(?,?,?,?,?)",
                 "itttt", now, state, stream, provider ? provider : "", why);
    return end(d, st, err);
}

static ff_status s_counts(void *impl, const char *stream, const char *provider, int64_t since,
                          ff_counts *out, ff_error *err)
{
    db *d = impl;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = prep(d, "SELECT TOTAL(sent), TOTAL(delivered), TOTAL(hard), TOTAL(soft),"
                              " TOTAL(complaints), TOTAL(auth_policy) FROM counters WHERE"
                              " stream=? AND (? IS NULL OR provider=?) AND minute >= ?");
    if (!s)
        return dberr(d, err, "prepare");
    bind_text(s, 1, stream);
    bind_text(s, 2, provider);
    bind_text(s, 3, provider);
    sqlite3_bind_int64(s, 4, since / 60);
    if (sqlite3_step(s) == SQLITE_ROW) {
        out->sent = (uint64_t)sqlite3_column_double(s, 0);
        out->delivered = (uint64_t)sqlite3_column_double(s, 1);
        out->hard = (uint64_t)sqlite3_column_double(s, 2);
        out->soft = (uint64_t)sqlite3_column_double(s, 3);
        out->complaints = (uint64_t)sqlite3_column_double(s, 4);
        out->auth_policy = (uint64_t)sqlite3_column_double(s, 5);
    }
    unprep(d, s);
    return FF_OK;
}

static ff_status s_sent_since(void *impl, const char *stream, const char *provider,
                              int64_t since, uint64_t *n, ff_error *err)
{
    ff_counts c;
    ff_status st = s_counts(impl, stream, provider, since, &c, err);
    *n = c.sent;
    return st;
}

static ff_status s_event(void *impl, const ff_event *e, ff_error *err)
{
    db *d = impl;
    ff_status st = begin(d, err);
    if (st == FF_OK)
        st = run(d, err, "INSERT INTO events(at, type, rcpt_id, stream, provider, address, reason,"
                 " action, detail) VALUES(?,?,?,?,?,?,?,?,?)", "itittttt" "t", e->at, e->type,
                 e->rcpt_id, e->stream, e->provider, e->address, e->reason, e->action, e->detail);
    ff_counts c = {0};
    c.complaints = e->stream && !strcmp(e->type, "complaint");
    c.hard = e->stream && !strcmp(e->type, "bounce") && e->action &&
             !strcmp(e->action, "suppress");
    if (st == FF_OK && (c.complaints || c.hard))
        st = count(d, e->stream, e->provider, e->at, &c, err);
    return end(d, st, err);
}

static ff_status s_recipient(void *impl, int64_t id, const char *message_id, const char *address,
                             ff_queue_item **item, ff_error *err)
{
    db *d = impl;
    *item = NULL;
    sqlite3_stmt *s = prep(d, "SELECT " ITEM_COLS " FROM recipients r JOIN messages m ON"
                              " m.id = r.msg_id WHERE (?1 > 0 AND r.id = ?1) OR (?1 = 0 AND"
                              " m.message_id = ?2 AND (?3 IS NULL OR r.address = ?3 COLLATE NOCASE))"
                              " ORDER BY r.id LIMIT 1");
    if (!s)
        return dberr(d, err, "prepare");
    sqlite3_bind_int64(s, 1, id);
    bind_text(s, 2, message_id);
    bind_text(s, 3, address);
    size_t n = 0;
    ff_status st = items_collect(d, s, item, &n, err);
    unprep(d, s);
    if (st == FF_OK && n == 0) {
        free(*item);
        *item = NULL;
        return FF_ENOTFOUND;
    }
    return st;
}

static ff_status s_secret(void *impl, unsigned char secret[32], ff_error *err)
{
    db *d = impl;
    ff_status st = begin(d, err);
    if (st != FF_OK)
        return st;
    sqlite3_stmt *s = prep(d, "SELECT value FROM meta WHERE key='verp_secret'");
    bool have = false;
    if (s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32) {
        memcpy(secret, sqlite3_column_blob(s, 0), 32);
        have = true;
    }
    unprep(d, s);
    if (!have) {
        if (RAND_bytes(secret, 32) != 1)
            st = ff_error_set(err, FF_EIO, "store: no randomness for the VERP secret");
        sqlite3_stmt *w = st == FF_OK ? prep(d, "INSERT INTO meta(key, value) VALUES('verp_secret', ?)") : NULL;
        if (w) {
            sqlite3_bind_blob(w, 1, secret, 32, SQLITE_TRANSIENT);
            if (sqlite3_step(w) != SQLITE_DONE)
                st = dberr(d, err, "write");
            unprep(d, w);
        } else if (st == FF_OK)
            st = dberr(d, err, "prepare");
    }
    return end(d, st, err);
}

static const ff_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = s_close,
    .enqueue = s_enqueue,
    .claim = s_claim,
    .message_raw = s_message_raw,
    .record_attempt = s_record_attempt,
    .queue_list = s_queue_list,
    .queue_set = s_queue_set,
    .suppress_add = s_suppress_add,
    .suppress_remove = s_suppress_remove,
    .suppress_find = s_suppress_find,
    .suppress_list = s_suppress_list,
    .state_get = s_state_get,
    .snapshot = s_snapshot,
    .state_set = s_state_set,
    .counts = s_counts,
    .sent_since = s_sent_since,
    .event = s_event,
    .recipient = s_recipient,
    .secret = s_secret,
};

ff_status store_sqlite_open(const char *path, const ff_store_ops **ops, void **impl,
                            ff_error *err)
{
    db *d = calloc(1, sizeof *d);
    if (!d)
        return ff_error_set(err, FF_ENOMEM, "out of memory");
    if (sqlite3_open_v2(path, &d->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        ff_status st = ff_error_set(err, FF_EIO, "store: %s: %s", path,
                                    d->h ? sqlite3_errmsg(d->h) : "cannot open");
        sqlite3_close(d->h);
        free(d);
        return st;
    }
    sqlite3_busy_timeout(d->h, 10000);
    ff_status st = exec(d, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                           " PRAGMA foreign_keys=ON;", err);
    if (st == FF_OK)
        st = migrate(d, err);
    if (st != FF_OK) {
        s_close(d);
        return st;
    }
    *ops = &sqlite_ops;
    *impl = d;
    return FF_OK;
}
