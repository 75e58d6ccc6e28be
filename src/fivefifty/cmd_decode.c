/* cmd_decode.c - `fivefifty decode PATH...`: bounces, complaints, auto-replies -> records
 *
 * Paths may be message files, maildirs, directories of messages, mbox files, or "-" for
 * stdin. A message that is broken or no bounce is reported on stderr (as JSON with
 * --json) and the run goes on; stdout carries only records.
 *
 * Messages are decoded by --jobs threads (default: one per CPU), each message's JSON
 * formatted by the thread that decoded it; the main thread reads the next messages while
 * the others decode, and prints the results in input order, so the output is the same for
 * any number of jobs.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: fivefifty decode [--json] [--rules FILE]... [--quiet] [--jobs N] "
               "PATH...\n"
               "PATH: a message file, an mbox, a maildir, a directory, or - for stdin.\n");
}

struct run {
    const ff_rules *rules;
    bool json, quiet;
    size_t jobs;
    cli_table table;
    cli_progress progress;
    size_t messages, records, notbounce, broken;
    size_t by_reason[FF_REASON__COUNT];
};

/* One record as a JSON line (field order and bytes as the man page documents). */
static void record_json(cli_jw *w, const char *path, size_t member,
                        const ff_bounce_record *r)
{
    const ff_decision *d = &r->decision;
    cli_jw_begin(w);
    cli_jw_str(w, "file", path);
    if (member)
        cli_jw_int(w, "message", (long long)member);
    cli_jw_str_opt(w, "recipient", r->recipient);
    cli_jw_str_opt(w, "original_recipient", r->original_recipient);
    cli_jw_str_opt(w, "dsn_action", r->dsn_action);
    cli_jw_str(w, "status", r->status);
    if (r->code)
        cli_jw_int(w, "code", r->code);
    else
        cli_jw_null(w, "code");
    cli_jw_str(w, "reason", ff_reason_name(d->reason));
    cli_jw_str(w, "class", ff_class_name(d->klass));
    cli_jw_str(w, "side", ff_side_name(d->side));
    cli_jw_str(w, "action", ff_action_name(d->action));
    cli_jw_str(w, "provider", d->provider);
    cli_jw_str(w, "rule", d->rule);
    cli_jw_str(w, "fix", d->fix ? d->fix : "");
    cli_jw_bool(w, "hardbounce", ff_reason_hardbounce(d->reason, ff_status_class(r->status)));
    cli_jw_str_opt(w, "diagnostic", r->diagnostic);
    cli_jw_str_opt(w, "diagnostic_type", r->diagnostic_type);
    cli_jw_str_opt(w, "remote_mta", r->remote_mta);
    cli_jw_str_opt(w, "reporting_mta", r->reporting_mta);
    cli_jw_str_opt(w, "command", r->command);
    cli_jw_str_opt(w, "date", r->date);
    cli_jw_str_opt(w, "message_id", r->message_id);
    cli_jw_str_opt(w, "from", r->from);
    cli_jw_str_opt(w, "to", r->to);
    cli_jw_str_opt(w, "subject", r->subject);
    cli_jw_str_opt(w, "list_id", r->list_id);
    cli_jw_str_opt(w, "format", r->format);
    cli_jw_str_opt(w, "feedback_type", r->feedback_type);
    cli_jw_str_opt(w, "auth_results", r->auth_results);
    cli_jw_end(w);
}

#define WINDOW 256 /* messages read and not yet printed, at most */
/* Messages in flight per decoding thread. Few enough that a message read on one thread is
 * still in the caches when it is decoded: with the whole ring in flight (256 messages,
 * ~1.5 MB of bounces and their records) each waited behind 255 others and the corpus run
 * took 3 % more CPU. 16 and 32 a thread measured alike; 8 left the worker short of
 * messages (4 % slower) and 64 was 1.6 % slower (bench/ab.py). */
#define PER_THREAD 16
#define JOBS_MAX 64

/* One message: its bytes (owned) in, the decoded bounce and its JSON lines out. */
struct job {
    char *path, *where, *data; /* where: the path with "#N" for an mbox member */
    size_t member;
    size_t len;
    ff_bounce b;
    ff_error err;
    ff_status st;
    cli_jw out;  /* the records as JSON lines with --json (out.n bytes); the slot keeps
                    its buffer from message to message, so no message allocates one */
    size_t nrec; /* records decoded (b is cleared once they are JSON) */
    bool claimed; /* a thread decodes it or has (guarded by pipe.mu) */
    bool done;    /* decoded (guarded by pipe.mu) */
};

/* The messages in flight, a ring of `limit` jobs: [head, tail) are read, and those not
 * claimed wait for a thread. The main thread reads messages into the ring and prints them
 * from its head in input order; the workers (--jobs minus one) decode the oldest waiting,
 * and the main thread decodes too, the newest, whenever the ring is full and the message
 * it must print next is not done, so reading and printing overlap decoding instead of
 * stopping every thread between batches. Indexes only grow; a job lives in
 * jobs[index % limit]. */
struct pipe {
    struct run *run;
    struct job jobs[WINDOW];
    size_t head, tail;
    bool closing;    /* no more messages will come: idle workers leave */
    bool main_waits; /* the main thread sleeps on `done` */
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    size_t limit; /* the ring's size: PER_THREAD a decoding thread, WINDOW at most */
    pthread_t t[JOBS_MAX];
    size_t nthreads;
    bool started;
    bool prepare; /* the first worker to run opens GMime and the converters first (guarded
                     by mu) */
};

static void report(struct run *run, const struct job *j, ff_status st, const char *msg)
{
    if (run->quiet)
        return;
    if (run->json) {
        json_t *e = json_object();
        json_object_set_new(e, "file", json_string(j->path));
        if (j->member)
            json_object_set_new(e, "message", json_integer((json_int_t)j->member));
        json_object_set_new(e, "error", json_string(ff_strerror(st)));
        json_object_set_new(e, "detail", json_string(msg));
        cli_json_line(stderr, e);
    } else {
        fprintf(stderr, "fivefifty: %s: %s%s%s\n", j->where, ff_strerror(st), *msg ? ": " : "",
                msg);
    }
}

static void decode_job(const struct run *run, struct job *j)
{
    memset(&j->err, 0, sizeof j->err);
    j->st = ff_decode(run->rules, j->data, j->len, &j->b, &j->err);
    j->nrec = j->b.n;
    j->out.n = 0;
    j->out.oom = false;
    if (!run->json || j->b.n == 0)
        return;
    for (size_t i = 0; i < j->b.n; i++)
        record_json(&j->out, j->path, j->member, &j->b.recs[i]);
    if (j->out.oom)
        j->out.n = 0; /* as before: a message whose JSON did not fit prints nothing */
    /* The records are freed here, by the thread whose malloc arena holds them: freed by
     * the printing thread they went back across arenas, under the other's lock. */
    ff_bounce_clear(&j->b);
}

/* The oldest read job no thread has claimed, or the newest; p->tail when there is none
 * (the caller holds p->mu). Only [head, tail) is looked at: a slot below the head is being
 * cleared or refilled outside the lock. A scan of at most `limit` flags, where an index of
 * the first waiting job had to be kept in step with claims from both ends and with the
 * head (a lagging one lost records at f96b7aa). */
static size_t unclaimed(const struct pipe *p, bool newest)
{
    for (size_t k = 0; k < p->tail - p->head; k++) {
        size_t i = newest ? p->tail - 1 - k : p->head + k;
        if (!p->jobs[i % p->limit].claimed)
            return i;
    }
    return p->tail;
}

/* Decodes job `at`, an unclaimed one (the caller holds p->mu, and gets it back held): a
 * worker takes the oldest, the main thread the newest, the one it read last, whose bytes
 * are still in its caches (decoding the oldest, read 30 messages before, it took 2 us a
 * message more than the worker did). */
static void decode_at(struct pipe *p, size_t at)
{
    struct job *j = &p->jobs[at % p->limit];
    j->claimed = true;
    pthread_mutex_unlock(&p->mu);
    decode_job(p->run, j);
    pthread_mutex_lock(&p->mu);
    j->done = true;
    if (p->main_waits)
        pthread_cond_signal(&p->done);
}

static void *worker(void *arg)
{
    struct pipe *p = arg;
    pthread_mutex_lock(&p->mu);
    if (p->prepare) {
        p->prepare = false;
        pthread_mutex_unlock(&p->mu);
        ff_decode_prepare();
        pthread_mutex_lock(&p->mu);
    }
    for (;;) {
        size_t at;
        while ((at = unclaimed(p, false)) == p->tail && !p->closing)
            pthread_cond_wait(&p->work, &p->mu);
        if (at == p->tail)
            break;
        decode_at(p, at);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Prints what one decoded message gave, in input order. */
static void emit(struct run *run, struct job *j)
{
    run->messages++;
    cli_progress_step(&run->progress);
    if (j->st == FF_ENOTBOUNCE) {
        run->notbounce++;
        report(run, j, j->st, j->err.msg);
    } else if (j->st != FF_OK) {
        run->broken++;
        report(run, j, j->st, j->err.msg);
    }
    if (j->out.n > 0)
        fwrite(j->out.p, 1, j->out.n, stdout);
    if (run->json) /* the records are gone, their JSON printed; the table counts reasons */
        run->records += j->nrec;
    for (size_t i = 0; i < j->b.n; i++) {
        const ff_bounce_record *r = &j->b.recs[i];
        run->records++;
        run->by_reason[r->decision.reason]++;
        if (run->json)
            continue;
        char code[8];
        snprintf(code, sizeof code, "%d", r->code);
        const char *row[] = {j->where,
                             r->recipient ? r->recipient : "-",
                             r->status[0] ? r->status : "-",
                             r->code ? code : "-",
                             ff_reason_name(r->decision.reason),
                             ff_class_name(r->decision.klass),
                             ff_action_name(r->decision.action),
                             r->format ? r->format : "-"};
        cli_table_add(&run->table, row);
    }
}

static void job_clear(struct job *j)
{
    ff_bounce_clear(&j->b);
    free(j->path);
    free(j->where);
    free(j->data);
    cli_jw out = j->out;
    memset(j, 0, sizeof *j);
    j->out = out;
}

/* Main thread: prints the done jobs at the head of the ring, then decodes or waits until at
 * most `keep` jobs are in flight. A job is printed and cleared outside the lock: only the
 * main thread fills or empties slots, and a done job is no worker's any more. */
static void settle(struct pipe *p, size_t keep)
{
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct job *j = &p->jobs[p->head % p->limit];
        if (p->head < p->tail && j->done) {
            p->head++;
            pthread_mutex_unlock(&p->mu);
            emit(p->run, j);
            job_clear(j);
            pthread_mutex_lock(&p->mu);
            continue;
        }
        if (p->tail - p->head <= keep)
            break;
        size_t at = unclaimed(p, true);
        if (at < p->tail) {
            decode_at(p, at);
            continue;
        }
        p->main_waits = true;
        pthread_cond_wait(&p->done, &p->mu);
        p->main_waits = false;
    }
    pthread_mutex_unlock(&p->mu);
}

/* The workers start with the second message, or before the first when cmd_decode() knows
 * there will be many: one message is decoded on this thread alone (by finish()). */
static void start_workers(struct pipe *p)
{
    p->started = true;
    for (size_t k = 1; k < p->run->jobs && p->nthreads < JOBS_MAX; k++)
        if (pthread_create(&p->t[p->nthreads], NULL, worker, p) == 0)
            p->nthreads++;
}

static int one(void *ctx, const char *path, size_t member, const char *data, size_t len,
               char **own)
{
    struct pipe *p = ctx;
    struct job *j = &p->jobs[p->tail % p->limit]; /* free: settle() left room */
    char where[4096];
    cli_where(where, sizeof where, path, member);
    j->path = strdup(path);
    j->where = strdup(where);
    j->member = member;
    if (own != NULL) { /* the file's own buffer: no copy */
        j->data = *own;
        *own = NULL;
    } else if ((j->data = malloc(len + 1)) != NULL) {
        memcpy(j->data, data, len);
        j->data[len] = '\0';
    }
    if (j->path == NULL || j->where == NULL || j->data == NULL) {
        job_clear(j);
        fprintf(stderr, "fivefifty: %s: out of memory\n", where);
        p->run->broken++;
        return 0;
    }
    j->len = len;
    pthread_mutex_lock(&p->mu);
    p->tail++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    if (!p->started && p->tail > 1)
        start_workers(p);
    /* Without workers every message is decoded and printed as it is read; with --jobs
     * above one the first waits for the second, so that the first decode (patterns
     * compiled, charset tables loaded) already runs beside the reading. */
    size_t keep = p->nthreads > 0 ? p->limit - 1 : p->run->jobs > 1 && !p->started ? 1 : 0;
    settle(p, keep);
    return 0;
}

/* No more messages: decode and print the rest, stop the workers. */
static void finish(struct pipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->closing = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    settle(p, 0);
    for (size_t k = 0; k < p->nthreads; k++)
        pthread_join(p->t[k], NULL);
    for (size_t k = 0; k < p->limit; k++)
        free(p->jobs[k].out.p);
}

static struct pipe *pipe_new(struct run *run)
{
    struct pipe *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->run = run;
    p->limit = run->jobs < WINDOW / PER_THREAD ? run->jobs * PER_THREAD : WINDOW;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    return p;
}

/* Decodes and prints what is still in flight, stops the workers, frees p. */
static void pipe_end(struct pipe *p)
{
    finish(p);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static void summary(const struct run *run, size_t io_errors)
{
    printf("\n%zu messages: %zu records, %zu not bounces, %zu broken, %zu unreadable paths\n",
           run->messages, run->records, run->notbounce, run->broken, io_errors);
    if (run->records == 0)
        return;
    printf("by reason:");
    for (int r = 0; r < FF_REASON__COUNT; r++)
        if (run->by_reason[r])
            printf(" %s %zu", ff_reason_name((ff_reason)r), run->by_reason[r]);
    printf("\n");
}

const char cmd_decode_what[] = "decode bounces, complaints and auto-replies";

int cmd_decode(int argc, char **argv)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"rules", required_argument, NULL, 'r'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"jobs", required_argument, NULL, 'J'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct run run = {0};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    run.jobs = cpus > 0 ? (size_t)cpus : 1;
    char *rule_files[32];
    size_t nrules = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jr:qJ:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': run.json = true; break;
        case 'q': run.quiet = true; break;
        case 'J': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end != '\0' || n < 1 || n > JOBS_MAX) {
                fprintf(stderr, "fivefifty: --jobs wants a number from 1 to %d\n", JOBS_MAX);
                return EXIT_USAGE;
            }
            run.jobs = (size_t)n;
            break;
        }
        case 'r':
            if (nrules == sizeof rule_files / sizeof rule_files[0]) {
                fprintf(stderr, "fivefifty: too many --rules files\n");
                return EXIT_USAGE;
            }
            rule_files[nrules++] = optarg;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    /* With a CPU to spare, GMime and the charset converters open on it while the rules load
     * and the first messages are read here: both are a few milliseconds that the first
     * messages would otherwise wait for, one after the other, with the other CPUs idle.
     * The first worker does it before it takes a message, so no third thread competes
     * with the decoding ones for the CPUs (a thread of its own took 2-3 ms of CPU from
     * them at the start of a 45 ms run, and sometimes delayed this one by 2 ms). A
     * message that needs GMime sooner waits in its pthread_once() for just as long as it
     * must. One file (an agent's one bounce) is left alone: it may need neither, and its
     * run would wait at the end for both. */
    struct stat st0;
    bool many = argc - optind > 1 ||
                (stat(argv[optind], &st0) == 0 && S_ISDIR(st0.st_mode));
    struct pipe *pp = pipe_new(&run);
    if (pp == NULL) {
        fprintf(stderr, "fivefifty: out of memory\n");
        return EXIT_IO;
    }
    if (run.jobs > 1 && many) {
        pp->prepare = true;
        start_workers(pp);
    }
    ff_rules *rules = cli_rules(rule_files, nrules);
    if (rules == NULL) {
        pipe_end(pp);
        return EXIT_IO;
    }
    run.rules = rules;

    /* JSON lines into a file or a pipe go out in large writes: stdio's default buffer
     * (one pipe page) made a write() per few records. A terminal keeps its line buffering. */
    static char outbuf[256 * 1024];
    if (run.json && !isatty(STDOUT_FILENO))
        setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    static const char *head[] = {"FILE", "RECIPIENT", "STATUS", "CODE",
                                 "REASON", "CLASS", "ACTION", "FORMAT"};
    cli_table_init(&run.table, head, sizeof head / sizeof head[0]);
    char **paths = argv + optind;
    size_t npaths = (size_t)(argc - optind), io_errors = 0, ignored = 0;
    size_t total = 0;
    if (!run.json)
        total = cli_walk(paths, npaths, NULL, NULL, &ignored, true);
    cli_progress_start(&run.progress, total, !run.json);
    cli_walk(paths, npaths, one, pp, &io_errors, false);
    pipe_end(pp);
    cli_progress_end(&run.progress);
    if (!run.json) {
        cli_table_print(stdout, &run.table, 40);
        summary(&run, io_errors);
    }
    cli_table_free(&run.table);
    ff_rules_free(rules);
    if (io_errors)
        return EXIT_IO;
    if (run.broken)
        return EXIT_BADINPUT;
    return run.records == 0 ? EXIT_NOTHING : EXIT_OK;
}
