/* cmd_sim.c - `fivefifty sim`: a local SMTP mailbox simulator (man/fivefifty-sim.1)
 *
 * Listens on one address (127.0.0.1:2525 by default), one thread per connection up to a
 * bound, and answers per recipient as sim_behaviour.c describes. It runs until SIGINT or
 * SIGTERM, or --duration seconds, so tests and the demo can bound it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sim.h"

const char cmd_sim_what[] = "run a local SMTP mailbox simulator for tests and demos";

#define MAX_CONN 256

static volatile sig_atomic_t stop_flag;
static atomic_int live;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

typedef struct job {
    sim_cfg *cfg;
    int fd;
    char peer[64];
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    sim_session(j->cfg, j->fd, j->peer);
    free(j);
    atomic_fetch_sub(&live, 1);
    return NULL;
}

static int listen_on(const char *spec)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host)
        return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    char *h = host;
    if (h[0] == '[') { /* [::1]:2525 */
        h++;
        h[strcspn(h, "]")] = '\0';
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(h, colon + 1, &hints, &ai) != 0)
        return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: fivefifty sim [--listen ADDR:PORT] [--maildir DIR] [--keep DIR]\n"
               "                     [--log FILE|-]\n"
               "                     [--hostname NAME] [--slow-ms N] [--greylist-seconds N]\n"
               "                     [--max-size BYTES] [--duration SECONDS] [--list]\n");
}

int cmd_sim(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},   {"maildir", required_argument, NULL, 'm'},
        {"log", required_argument, NULL, 'L'},      {"hostname", required_argument, NULL, 'H'},
        {"slow-ms", required_argument, NULL, 's'},  {"greylist-seconds", required_argument, NULL, 'g'},
        {"max-size", required_argument, NULL, 'z'}, {"duration", required_argument, NULL, 'd'},
        {"list", no_argument, NULL, 'i'},           {"help", no_argument, NULL, 'h'},
        {"keep", required_argument, NULL, 'k'},
        {NULL, 0, NULL, 0}};
    const char *listen_spec = "127.0.0.1:2525", *log_path = NULL;
    sim_cfg cfg = {.hostname = "sim.fivefifty.test", .slow_ms = 2000, .greylist_ms = 60000,
                   .max_size = 10 * 1024 * 1024};
    double duration = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': listen_spec = optarg; break;
        case 'm': cfg.maildir = optarg; break;
        case 'k': cfg.keep = optarg; break;
        case 'L': log_path = optarg; break;
        case 'H': cfg.hostname = optarg; break;
        case 's': cfg.slow_ms = atoi(optarg); break;
        case 'g': cfg.greylist_ms = (int)(atof(optarg) * 1000); break;
        case 'z': cfg.max_size = strtoul(optarg, NULL, 10); break;
        case 'd': duration = atof(optarg); break;
        case 'i': {
            size_t n;
            const sim_behaviour *b = sim_behaviours(&n);
            for (size_t i = 0; i < n; i++)
                printf("%-12s %s\n", b[i].name, b[i].what);
            return EXIT_OK;
        }
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc || strpbrk(cfg.hostname, "\r\n ")) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int lfd = listen_on(listen_spec);
    if (lfd < 0) {
        fprintf(stderr, "fivefifty sim: cannot listen on %s: %s\n", listen_spec,
                strerror(errno ? errno : EINVAL));
        return EXIT_IO;
    }
    if (log_path)
        cfg.log = strcmp(log_path, "-") == 0 ? stdout : fopen(log_path, "a");
    if (log_path && !cfg.log) {
        fprintf(stderr, "fivefifty sim: cannot open %s: %s\n", log_path, strerror(errno));
        close(lfd);
        return EXIT_IO;
    }
    pthread_mutex_init(&cfg.lock, NULL);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr, "fivefifty sim: listening on %s\n", listen_spec);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!stop_flag) {
        if (duration > 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 > duration)
                break;
        }
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        if (atomic_load(&live) >= MAX_CONN) {
            static const char busy[] = "421 4.3.2 Too many connections, try again later\r\n";
            send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
            close(fd);
            continue;
        }
        job *j = calloc(1, sizeof *j);
        pthread_t t;
        pthread_attr_t attr;
        if (!j) {
            close(fd);
            continue;
        }
        j->cfg = &cfg;
        j->fd = fd;
        getnameinfo((struct sockaddr *)&ss, sl, j->peer, sizeof j->peer, NULL, 0, NI_NUMERICHOST);
        atomic_fetch_add(&live, 1);
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, run_job, j) != 0) {
            atomic_fetch_sub(&live, 1);
            close(fd);
            free(j);
        }
        pthread_attr_destroy(&attr);
    }
    close(lfd);
    /* Let sessions in flight finish their current reply, bounded. */
    for (int i = 0; i < 50 && atomic_load(&live) > 0; i++)
        usleep(100000);
    if (cfg.log && cfg.log != stdout)
        fclose(cfg.log);
    return EXIT_OK;
}
