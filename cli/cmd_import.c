/* cmd_import.c: lots import companies FIL [--dry-run] — a register of
 * companies and contact persons from a CSV or XLSX file
 * (POST /api/v1/imports/companies, docs/import.md).
 *
 * The file is read whole (at most 50 MiB, the server's limit) and sent as
 * the body; XLSX when it starts with a ZIP header, CSV otherwise (the server
 * decides the same way). On a terminal a progress bar on stderr follows the
 * upload (none when stderr is piped or with --json). The answer is printed
 * as a summary table in Swedish and a table of the rows that failed, with
 * their line, column and the reason. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsbok/import.h"
#include "lots.h"

static const struct lb_cli_optspec import_opts[] = {
    {"dry-run", 0, LB_CLI_OPT_FLAG},
};

/* Reads path into a malloc'd buffer; LB_CLI_EXIT_* on failure (printed). */
static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        lots_error("kan inte öppna %s: %s", path, lots_errno_sv(errno));
        return LB_CLI_EXIT_USAGE;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    int rc = 0;
    while (b) {
        if (n == cap) {
            if (cap > LB_IMPORT_MAX_BYTES) {
                lots_error("%s är större än %u MiB, som är det mesta en import tar", path,
                           LB_IMPORT_MAX_BYTES >> 20);
                rc = LB_CLI_EXIT_USAGE;
                break;
            }
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    if (!rc && ferror(f)) {
        lots_error("kan inte läsa %s: %s", path, lots_errno_sv(errno));
        rc = LB_CLI_EXIT_USAGE;
    }
    fclose(f);
    if (!b && !rc) {
        lots_error("slut på minne");
        rc = LB_CLI_EXIT_SERVER;
    }
    if (rc) {
        free(b);
        return rc;
    }
    *out = b;
    *len = n;
    return 0;
}

struct bar {
    int last; /* percent last drawn, -1 before the first */
};

static void progress(void *arg, size_t sent, size_t total)
{
    struct bar *b = arg;
    int pct = total ? (int)(sent * 100 / total) : 100;
    if (pct == b->last)
        return;
    b->last = pct;
    char line[41];
    int fill = pct * 40 / 100;
    for (int i = 0; i < 40; i++)
        line[i] = i < fill ? '#' : '.';
    line[40] = '\0';
    fprintf(stderr, "\rSkickar [%s] %3d %%", line, pct);
    if (pct == 100)
        fprintf(stderr, "\rSkickat; servern läser in filen …%20s\r", "");
    fflush(stderr);
}

static const char *status_sv(const char *s)
{
    static const char *const map[][2] = {{"created", "Skapade"},
                                         {"updated", "Uppdaterade (tomma fält fyllda)"},
                                         {"unchanged", "Oförändrade"},
                                         {"failed", "Fel"}};
    for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(s, map[i][0]) == 0)
            return map[i][1];
    return s ? s : "";
}

static void print_answer(const json_t *res)
{
    bool dry = json_is_true(json_object_get(res, "dry_run"));
    char rows[24];
    const char *fmt = lots_js(res, "format"), *enc = lots_js(res, "encoding");
    printf("%s (%s%s%s): %s rader.\n", dry ? "Provkörning, inget har sparats" : "Importen är klar",
           fmt, strcmp(fmt, enc) ? ", " : "", strcmp(fmt, enc) ? enc : "",
           lots_jnum(res, "rows", rows, sizeof rows));
    struct lb_cli_table t;
    const char *h[] = {"Utfall", "Rader"};
    if (lb_cli_table_init(&t, 2, h, 0x2u) == 0) {
        static const char *const keys[] = {"created", "updated", "unchanged", "failed"};
        for (size_t i = 0; i < 4; i++) {
            char n[24];
            const char *row[] = {status_sv(keys[i]), lots_jnum(res, keys[i], n, sizeof n)};
            lb_cli_table_add(&t, row);
        }
        lots_print_table(&t);
        lb_cli_table_free(&t);
    }
    json_t *unk = json_object_get(res, "unknown_columns");
    if (json_array_size(unk)) {
        printf("Okända kolumner (lästes inte):");
        size_t i;
        json_t *v;
        json_array_foreach(unk, i, v) printf("%s %s", i ? "," : "", json_string_value(v));
        printf("\n");
    }
    json_t *items = json_object_get(res, "items");
    size_t i;
    json_t *it;
    bool any = false;
    struct lb_cli_table f;
    const char *fh[] = {"Rad", "Kolumn", "Fel"};
    if (lb_cli_table_init(&f, 3, fh, 0x4u) != 0)
        return;
    json_array_foreach(items, i, it)
    {
        if (strcmp(lots_js(it, "status"), "failed") != 0)
            continue;
        char line[24], why[512];
        lb_cli_error_line(422, lots_js(it, "code"), lots_js(it, "message"), NULL, why, sizeof why);
        const char *row[] = {lots_jnum(it, "line", line, sizeof line), lots_js(it, "column"),
                             why + 5 /* without "Fel: " */};
        lb_cli_table_add(&f, row);
        any = true;
    }
    if (any) {
        printf("Rader som inte lästes in:\n");
        lots_print_table(&f);
    }
    lb_cli_table_free(&f);
}

int lots_cmd_import(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, import_opts, sizeof import_opts / sizeof *import_opts,
                       &a, &done);
    if (done)
        return rc;
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange en fil (CSV eller XLSX)");
    char *data;
    size_t len;
    if ((rc = read_file(a.pos[0], &data, &len)) != 0)
        return rc;
    bool dry = lb_cli_has(&a, "dry-run");
    bool xlsx = lb_import_is_zip(data, len);
    struct bar bar = {-1};
    bool tty = isatty(STDERR_FILENO) && !l->json;
    json_t *res = NULL;
    rc = lots_call_upload(
        l, dry ? "/api/v1/imports/companies?dry_run=true" : "/api/v1/imports/companies", data, len,
        xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv",
        tty ? progress : NULL, &bar, &res);
    if (tty && bar.last >= 0)
        fprintf(stderr, "%60s\r", "");
    free(data);
    if (rc != 0)
        return rc;
    if (l->json)
        lots_print_raw(l);
    else
        print_answer(res);
    json_decref(res);
    return 0;
}
