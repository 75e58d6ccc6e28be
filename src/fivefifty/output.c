/* output.c - JSON lines, aligned tables and the progress bar of the CLI
 *
 * Kept apart from the subcommands so `classify` and `decode` print decisions the same way.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void cli_json_line(FILE *f, json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s != NULL) {
        fputs(s, f);
        fputc('\n', f);
        free(s);
    }
    json_decref(obj);
}

void cli_json_str(json_t *obj, const char *key, const char *v)
{
    if (v != NULL && *v != '\0')
        json_object_set_new(obj, key, json_string(v));
}

void cli_json_decision(json_t *obj, const ff_decision *d)
{
    json_object_set_new(obj, "reason", json_string(ff_reason_name(d->reason)));
    json_object_set_new(obj, "class", json_string(ff_class_name(d->klass)));
    json_object_set_new(obj, "side", json_string(ff_side_name(d->side)));
    json_object_set_new(obj, "action", json_string(ff_action_name(d->action)));
    json_object_set_new(obj, "provider", json_string(d->provider));
    json_object_set_new(obj, "rule", json_string(d->rule));
    json_object_set_new(obj, "fix", json_string(d->fix ? d->fix : ""));
}

void cli_table_init(cli_table *t, const char **head, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->head = head;
}

void cli_table_add(cli_table *t, const char **cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
        if (c == NULL)
            return; /* a row lost from a screen table is better than an abort */
        t->cells = c;
        t->cap = cap;
    }
    for (size_t i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = strdup(cells[i] ? cells[i] : "");
    t->nrows++;
}

/* Width in columns of UTF-8 text: count bytes that do not continue a sequence. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void cell(FILE *f, const char *s, size_t w, bool last)
{
    size_t n = width(s);
    if (n > w) {
        /* cut at a character boundary and mark it */
        size_t cols = 0, i = 0;
        for (; s[i] && cols + 1 < w; i++)
            cols += ((unsigned char)s[i + 1] & 0xC0) != 0x80;
        fprintf(f, "%.*s…", (int)i, s);
        n = w;
    } else {
        fputs(s, f);
    }
    if (!last)
        fprintf(f, "%*s", (int)(w - n + 2), "");
}

void cli_table_print(FILE *f, const cli_table *t, size_t max)
{
    size_t w[16] = {0};
    size_t nc = t->ncols < 16 ? t->ncols : 16;
    for (size_t c = 0; c < nc; c++) {
        w[c] = width(t->head[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t n = width(t->cells[r * t->ncols + c]);
            if (n > w[c])
                w[c] = n;
        }
        if (w[c] > max)
            w[c] = max;
    }
    for (size_t c = 0; c < nc; c++)
        cell(f, t->head[c], w[c], c + 1 == nc);
    fputc('\n', f);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < nc; c++)
            cell(f, t->cells[r * t->ncols + c], w[c], c + 1 == nc);
        fputc('\n', f);
    }
}

void cli_table_free(cli_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

void cli_progress_start(cli_progress *p, size_t total, bool wanted)
{
    p->on = wanted && total >= 200 && isatty(STDERR_FILENO);
    p->done = 0;
    p->total = total;
}

void cli_progress_step(cli_progress *p)
{
    p->done++;
    if (!p->on || (p->done % 50 != 0 && p->done != p->total))
        return;
    int bar = 40, fill = (int)(p->done * (size_t)bar / (p->total ? p->total : 1));
    if (fill > bar)
        fill = bar;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu", fill, "########################################",
            bar - fill, "", p->done, p->total);
    fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
    if (p->on)
        fprintf(stderr, "\r%*s\r", 70, "");
}
