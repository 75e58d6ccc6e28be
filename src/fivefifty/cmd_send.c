/* cmd_send.c - `fivefifty send`: compose a message and queue it (man/fivefifty-send.1)
 *
 * The message is queued, never sent from here directly, so every message takes the same
 * gates, retries and records. --now runs the queue for it at once and prints what the
 * receivers said, for a person at a terminal.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "env.h"
#include "fivefifty/address.h"
#include "fivefifty/compose.h"

const char cmd_send_what[] = "compose a message and queue it (--now: deliver at once)";

#define MAX_LIST 200 /* recipients of one message on the command line */

static void usage(FILE *f)
{
    fprintf(f, "usage: fivefifty send --from ADDR --to ADDR [--to ADDR]... [--cc ADDR]...\n"
               "         [--subject TEXT] [--text TEXT | --text-file F] [--html-file F]\n"
               "         [--raw FILE] [--header 'Name: value']... [--stream NAME] [--now]\n"
               "         [--config FILE] [--db PATH] [--json]\n");
}

static char *file_text(const char *path)
{
    size_t n;
    char *b = cli_slurp(path, &n);
    if (!b)
        fprintf(stderr, "fivefifty send: %s: cannot read\n", path);
    return b;
}

int cmd_send(int argc, char **argv)
{
    static const struct option lo[] = {
        {"from", required_argument, NULL, 'f'},     {"to", required_argument, NULL, 't'},
        {"cc", required_argument, NULL, 'c'},       {"subject", required_argument, NULL, 's'},
        {"text", required_argument, NULL, 'x'},     {"text-file", required_argument, NULL, 'X'},
        {"html-file", required_argument, NULL, 'H'}, {"raw", required_argument, NULL, 'r'},
        {"header", required_argument, NULL, 'e'},   {"stream", required_argument, NULL, 'S'},
        {"now", no_argument, NULL, 'n'},            {"config", required_argument, NULL, 'C'},
        {"db", required_argument, NULL, 'D'},       {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    const char *from = NULL, *subject = NULL, *text = NULL, *stream = "transactional";
    const char *text_file = NULL, *html_file = NULL, *raw_file = NULL, *config = NULL, *db = NULL;
    const char *to[MAX_LIST], *cc[MAX_LIST];
    ff_header_kv hdr[64];
    char *hbuf[64];
    size_t nto = 0, ncc = 0, nh = 0;
    bool now = false, json = false;
    int c, rc = EXIT_USAGE;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'f': from = optarg; break;
        case 't': if (nto < MAX_LIST) to[nto++] = optarg; break;
        case 'c': if (ncc < MAX_LIST) cc[ncc++] = optarg; break;
        case 's': subject = optarg; break;
        case 'x': text = optarg; break;
        case 'X': text_file = optarg; break;
        case 'H': html_file = optarg; break;
        case 'r': raw_file = optarg; break;
        case 'e': {
            const char *colon = strchr(optarg, ':');
            if (!colon || nh == 64) {
                fprintf(stderr, "fivefifty send: --header wants 'Name: value'\n");
                goto out;
            }
            hbuf[nh] = strndup(optarg, (size_t)(colon - optarg));
            hdr[nh].name = hbuf[nh];
            hdr[nh].value = colon[1] == ' ' ? colon + 2 : colon + 1;
            nh++;
            break;
        }
        case 'S': stream = optarg; break;
        case 'n': now = true; break;
        case 'C': config = optarg; break;
        case 'D': db = optarg; break;
        case 'j': json = true; break;
        case 'h': usage(stdout); rc = EXIT_OK; goto out;
        default: usage(stderr); goto out;
        }
    }
    if (optind != argc || (!raw_file && (!from || nto + ncc == 0))) {
        usage(stderr);
        goto out;
    }
    cli_env env;
    if ((rc = cli_env_open(&env, config, db, NULL, 0, now)) != EXIT_OK) {
        cli_env_close(&env);
        goto out;
    }
    const ff_stream_cfg *sc = ff_config_stream(env.cfg, stream);
    char *tbody = NULL, *hbody = NULL, *raw = NULL;
    size_t raw_len = 0;
    if (!sc) {
        fprintf(stderr, "fivefifty send: no stream '%s' in the configuration\n", stream);
        rc = EXIT_USAGE;
        goto close;
    }
    if ((text_file && !(tbody = file_text(text_file))) ||
        (html_file && !(hbody = file_text(html_file))) ||
        (raw_file && !(raw = cli_slurp(raw_file, &raw_len)))) {
        rc = EXIT_IO;
        goto close;
    }
    /* Envelope recipients: To and Cc, normalised; refused when any is broken. */
    const char *env_rcpt[2 * MAX_LIST];
    char norm[2 * MAX_LIST][FF_ADDRESS_MAX];
    size_t nr = 0;
    for (size_t i = 0; i < nto + ncc; i++) {
        ff_error aerr;
        const char *a = i < nto ? to[i] : cc[i - nto];
        if (ff_address_normalize(a, norm[nr], &aerr) != FF_OK) {
            fprintf(stderr, "fivefifty send: %s\n", aerr.msg);
            rc = EXIT_BADINPUT;
            goto close;
        }
        env_rcpt[nr] = norm[nr];
        nr++;
    }
    char mail_from[FF_ADDRESS_MAX] = "";
    if (from) {
        ff_error aerr;
        if (ff_address_normalize(from, mail_from, &aerr) != FF_OK) {
            fprintf(stderr, "fivefifty send: from: %s\n", aerr.msg);
            rc = EXIT_BADINPUT;
            goto close;
        }
    }
    char unsub_url[512] = "";
    if (sc->bulk && sc->unsubscribe_url)
        snprintf(unsub_url, sizeof unsub_url, "%s", sc->unsubscribe_url);
    ff_compose_in in = {.from = from, .to = to, .nto = nto, .cc = cc, .ncc = ncc,
                        .subject = subject, .text = tbody ? tbody : text, .html = hbody,
                        .raw = raw, .raw_len = raw_len, .headers = hdr, .nheaders = nh,
                        .msgid_domain = sc->from_domain ? sc->from_domain
                                                        : ff_address_domain(mail_from),
                        .unsubscribe_url = sc->bulk && *unsub_url ? unsub_url : NULL,
                        .unsubscribe_mailto = sc->bulk ? sc->unsubscribe_mailto : NULL};
    char *msg = NULL, msgid[FF_MSGID_MAX];
    size_t mlen = 0;
    ff_error err = {0};
    if (ff_compose(&in, &msg, &mlen, msgid, sizeof msgid, &err) != FF_OK) {
        fprintf(stderr, "fivefifty send: %s\n", err.msg);
        rc = EXIT_BADINPUT;
        goto close;
    }
    ff_message_in m = {.stream = stream, .mail_from = mail_from, .message_id = msgid,
                       .raw = msg, .raw_len = mlen, .rcpts = env_rcpt, .nrcpt = nr};
    int64_t id = 0;
    if (ff_store_enqueue(env.store, &m, (int64_t)time(NULL), &id, &err) != FF_OK) {
        fprintf(stderr, "fivefifty send: %s\n", err.msg);
        free(msg);
        rc = EXIT_IO;
        goto close;
    }
    free(msg);
    if (json) {
        json_t *j = json_object();
        json_object_set_new(j, "message", json_integer(id));
        cli_json_str(j, "message_id", msgid);
        cli_json_str(j, "stream", stream);
        json_object_set_new(j, "recipients", json_integer((json_int_t)nr));
        cli_json_line(stdout, j);
    } else {
        printf("queued message %lld %s for %zu recipient%s on stream %s\n", (long long)id, msgid,
               nr, nr == 1 ? "" : "s", stream);
    }
    rc = EXIT_OK;
    if (now) {
        static const char *head[] = {"RECIPIENT", "STATE", "STAGE", "CODE", "STATUS", "REASON",
                                     "ACTION", "REPLY"};
        cli_queue_ctx q = {.json = json};
        cli_table_init(&q.table, head, 8);
        ff_queue_opts qo = {.cfg = env.cfg, .store = env.store, .rules = env.rules,
                            .stream = stream, .report = cli_queue_report,
                            .notice = cli_queue_notice, .ctx = &q};
        ff_queue_stats qs;
        if (ff_queue_run(&qo, &qs, &err) != FF_OK) {
            fprintf(stderr, "fivefifty send: %s\n", err.msg);
            rc = EXIT_IO;
        }
        if (!json)
            cli_table_print(stdout, &q.table, 60);
        cli_table_free(&q.table);
    }
close:
    free(tbody);
    free(hbody);
    free(raw);
    cli_env_close(&env);
out:
    for (size_t i = 0; i < nh; i++)
        free(hbuf[i]);
    return rc;
}
