/* inputs.c - the PATH arguments of decode (and later ingest): files, maildirs, mbox, stdin
 *
 * Every message found is handed to a callback as bytes; a path that cannot be read is
 * reported and counted, and the walk goes on, so one bad file never hides the others.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

void cli_where(char *out, size_t cap, const char *path, size_t member)
{
    if (member)
        snprintf(out, cap, "%s#%zu", path, member);
    else
        snprintf(out, cap, "%s", path);
}

char *cli_slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return NULL;
    /* a regular file's size is known: one exact buffer, no growing, no untouched pages */
    size_t cap = 65536, n = 0;
    struct stat sb;
    if (f != stdin && fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= 0 &&
        (unsigned long long)sb.st_size < (unsigned long long)FF_DECODE_MAX * 4u)
        cap = (size_t)sb.st_size + 1; /* +1: a full read then proves the end was reached */
    char *buf = malloc(cap + 1);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        if (cap > FF_DECODE_MAX * 4u) {
            /* a mailbox beyond this would be better mapped than read; refuse clearly */
            free(buf);
            buf = NULL;
            errno = EFBIG;
            break;
        }
        char *nb = realloc(buf, cap * 2 + 1);
        if (nb == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int err = ferror(f) ? EIO : 0;
    if (f != stdin)
        fclose(f);
    if (buf != NULL && err) {
        free(buf);
        errno = err;
        return NULL;
    }
    if (buf != NULL) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

struct walk {
    cli_message_fn fn;
    void *ctx;
    size_t *io_errors;
    bool count_only;
    size_t count;
    bool stop;
};

static void one_file(struct walk *w, const char *path)
{
    if (w->count_only && strcmp(path, "-") == 0) {
        w->count++; /* stdin can be read only once: guess one message */
        return;
    }
    size_t len;
    char *buf = cli_slurp(path, &len);
    if (buf == NULL) {
        fprintf(stderr, "fivefifty: %s: %s\n", path, strerror(errno));
        (*w->io_errors)++;
        return;
    }
    if (ff_mbox_is(buf, len)) {
        size_t pos = 0, mlen, i = 0, members = 0;
        const char *msg;
        /* A single message saved with its "From " line is named by its path alone, as
         * a reader would name it; members get "#N" only when there are several. */
        while (ff_mbox_next(buf, len, &pos, &msg, &mlen) && members < 2)
            members++;
        pos = 0;
        while (!w->stop && ff_mbox_next(buf, len, &pos, &msg, &mlen)) {
            i++;
            w->count++;
            if (w->count_only)
                continue;
            w->stop = w->fn(w->ctx, path, members > 1 ? i : 0, msg, mlen) != 0;
        }
    } else {
        w->count++;
        if (!w->count_only)
            w->stop = w->fn(w->ctx, path, 0, buf, len) != 0;
    }
    free(buf);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of one directory, sorted so runs are repeatable. */
static void dir_files(struct walk *w, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "fivefifty: %s: %s\n", dir, strerror(errno));
        (*w->io_errors)++;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (nn == NULL)
                break;
            names = nn;
        }
        size_t need = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(need);
        if (names[n] == NULL)
            break;
        snprintf(names[n], need, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (!w->stop && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            one_file(w, names[i]);
        free(names[i]);
    }
    free(names);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

size_t cli_walk(char **paths, size_t npaths, cli_message_fn fn, void *ctx,
                size_t *io_errors, bool count_only)
{
    struct walk w = {fn, ctx, io_errors, count_only, 0, false};
    for (size_t i = 0; i < npaths && !w.stop; i++) {
        const char *p = paths[i];
        if (strcmp(p, "-") != 0 && is_dir(p)) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/cur", p);
            bool maildir = is_dir(sub);
            snprintf(sub, sizeof sub, "%s/new", p);
            maildir = maildir && is_dir(sub);
            if (maildir) {
                dir_files(&w, sub); /* new/ first: the newest bounces matter most */
                snprintf(sub, sizeof sub, "%s/cur", p);
                dir_files(&w, sub);
            } else {
                dir_files(&w, p);
            }
        } else {
            one_file(&w, p);
        }
    }
    return w.count;
}
