/* inputs.c - the PATH arguments of decode (and later ingest): files, maildirs, mbox, stdin
 *
 * Every message found is handed to a callback as bytes; a path that cannot be read is
 * reported and counted, and the walk goes on, so one bad file never hides the others.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void cli_where(char *out, size_t cap, const char *path, size_t member)
{
    if (member)
        snprintf(out, cap, "%s#%zu", path, member);
    else
        snprintf(out, cap, "%s", path);
}

/* Reads all of fd into a new NUL-terminated buffer (caller frees); NULL with errno set on
 * an error. A regular file's size (`size`, or -1 when unknown) gives one exact buffer and
 * one read(): for thousands of small bounces the system calls cost more than the
 * decoding, so nothing here goes through stdio's buffering and its own fstat(). */
static char *read_fd(int fd, long long size, size_t *len)
{
    size_t cap = 65536, n = 0;
    if (size >= 0 && (unsigned long long)size < (unsigned long long)FF_DECODE_MAX * 4u)
        cap = (size_t)size + 1; /* +1: a short read then proves the end was reached */
    char *buf = malloc(cap + 1);
    while (buf != NULL) {
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            int err = errno;
            free(buf);
            errno = err;
            return NULL;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n < cap && size >= 0)
            break; /* a regular file read short: its end (as fread() took it) */
        if (n < cap)
            continue;
        if (cap > FF_DECODE_MAX * 4u) {
            /* a mailbox beyond this would be better mapped than read; refuse clearly */
            free(buf);
            errno = EFBIG;
            return NULL;
        }
        char *nb = realloc(buf, cap * 2 + 1);
        if (nb == NULL) {
            free(buf);
            errno = ENOMEM;
            return NULL;
        }
        buf = nb;
        cap *= 2;
    }
    if (buf == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The size of a regular file open on fd, or -1. */
static long long regular_size(int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= 0)
        return (long long)sb.st_size;
    return -1;
}

char *cli_slurp(const char *path, size_t *len)
{
    if (strcmp(path, "-") == 0)
        return read_fd(STDIN_FILENO, -1, len);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = read_fd(fd, regular_size(fd), len);
    int err = errno;
    close(fd);
    errno = err;
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

/* One file's messages. `fd` is the file already open (-1: open `path`), closed here;
 * `size` its size when it is a regular file, else -1. */
static void one_file(struct walk *w, const char *path, int fd, long long size)
{
    if (w->count_only && strcmp(path, "-") == 0) {
        w->count++; /* stdin can be read only once: guess one message */
        return;
    }
    size_t len;
    char *buf;
    if (fd >= 0) {
        buf = read_fd(fd, size, &len);
        int err = errno;
        close(fd);
        errno = err;
    } else {
        buf = cli_slurp(path, &len);
    }
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
            w->stop = w->fn(w->ctx, path, members > 1 ? i : 0, msg, mlen, NULL) != 0;
        }
    } else {
        w->count++;
        if (!w->count_only)
            w->stop = w->fn(w->ctx, path, 0, buf, len, &buf) != 0;
    }
    free(buf);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One entry of a directory, read when it is a regular file. Opened first and asked
 * through the descriptor (one path lookup, not a stat() and an open()); O_NONBLOCK so
 * that a FIFO left in a maildir is passed over instead of waited on. An entry that cannot
 * be opened is reported only if it is a regular file, as before. */
static void dir_entry(struct walk *w, const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int err = errno;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            fprintf(stderr, "fivefifty: %s: %s\n", path, strerror(err));
            (*w->io_errors)++;
        }
        return;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return;
    }
    one_file(w, path, fd, st.st_size >= 0 ? (long long)st.st_size : -1);
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
        if (!w->stop)
            dir_entry(w, names[i]);
        free(names[i]);
    }
    free(names);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory of the last path opened: bounce files are usually named by the thousand
 * from one directory, and resolving the whole path again for each costs more than reading
 * the file. */
struct dircache {
    int fd;
    char dir[4096];
};

/* open(path, O_RDONLY) through the cache: openat() on the path's last component relative
 * to its directory, opened once. Falls back to open() when the path has no directory part
 * or the directory cannot be opened, so errors are open()'s own. */
static int open_in(struct dircache *dc, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash[1] == '\0')
        return open(path, O_RDONLY | O_CLOEXEC);
    size_t dl = slash == path ? 1 : (size_t)(slash - path);
    if (dl >= sizeof dc->dir)
        return open(path, O_RDONLY | O_CLOEXEC);
    if (dc->fd < 0 || strlen(dc->dir) != dl || memcmp(dc->dir, path, dl) != 0) {
        if (dc->fd >= 0)
            close(dc->fd);
        memcpy(dc->dir, path, dl);
        dc->dir[dl] = '\0';
        dc->fd = open(dc->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dc->fd < 0)
            dc->dir[0] = '\0';
    }
    if (dc->fd < 0)
        return open(path, O_RDONLY | O_CLOEXEC);
    return openat(dc->fd, slash + 1, O_RDONLY | O_CLOEXEC);
}

size_t cli_walk(char **paths, size_t npaths, cli_message_fn fn, void *ctx,
                size_t *io_errors, bool count_only)
{
    struct walk w = {fn, ctx, io_errors, count_only, 0, false};
    struct dircache dc = {-1, ""};
    for (size_t i = 0; i < npaths && !w.stop; i++) {
        const char *p = paths[i];
        /* open first and ask the descriptor: one path lookup per file instead of a stat()
         * and then an open() */
        int fd = -1;
        long long size = -1;
        struct stat st;
        bool dir = false;
        if (strcmp(p, "-") != 0 && (fd = open_in(&dc, p)) >= 0 && fstat(fd, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                close(fd);
                fd = -1;
                dir = true;
            } else if (S_ISREG(st.st_mode) && st.st_size >= 0) {
                size = (long long)st.st_size;
            }
        }
        if (dir) {
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
        } else if (fd >= 0 || strcmp(p, "-") == 0) {
            one_file(&w, p, fd, size);
        } else {
            fprintf(stderr, "fivefifty: %s: %s\n", p, strerror(errno));
            (*w.io_errors)++;
        }
    }
    if (dc.fd >= 0)
        close(dc.fd);
    return w.count;
}
