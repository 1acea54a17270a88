/* cmd_search.c: lots search WORDS… — one search over companies, cases,
 * contacts and hand-offs (GET /api/v1/search, docs/search.md).
 *
 * The words are sent as one query; every word must match and the last is a
 * prefix. The table shows the hit's type in Swedish, its title and the
 * snippet of the matched text; a following page is fetched with the cursor
 * printed under the table (--after). */
#include <stdio.h>
#include <string.h>

#include "lots.h"

static const struct lb_cli_optspec search_opts[] = {
    {"type", 0, LB_CLI_OPT_VALUE},
    {"limit", 0, LB_CLI_OPT_VALUE},
    {"after", 0, LB_CLI_OPT_VALUE},
};

static const char *type_sv(const char *type)
{
    static const char *const map[][2] = {
        {"company", "Företag"},
        {"case", "Ärende"},
        {"contact", "Kontakt"},
        {"handoff", "Överlämning"},
    };
    for (size_t i = 0; type && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(type, map[i][0]) == 0)
            return map[i][1];
    return type ? type : "";
}

/* Swedish type words accepted for --type, besides the API's names. */
static const char *type_api(const char *arg)
{
    static const char *const map[][2] = {
        {"foretag", "company"},     {"företag", "company"}, {"arende", "case"},
        {"ärende", "case"},         {"kontakt", "contact"}, {"overlamning", "handoff"},
        {"överlämning", "handoff"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(arg, map[i][0]) == 0)
            return map[i][1];
    return arg;
}

int lots_cmd_search(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, search_opts, sizeof search_opts / sizeof *search_opts,
                       &a, &done);
    if (done)
        return rc;
    if (a.npos == 0)
        return lots_usage_error(cmd, "ange ett eller flera sökord");
    char q[1024] = "";
    size_t n = 0;
    for (size_t i = 0; i < a.npos; i++) {
        int w = snprintf(q + n, sizeof q - n, "%s%s", i ? " " : "", a.pos[i]);
        if (w < 0 || (size_t)w >= sizeof q - n)
            return lots_usage_error(cmd, "sökorden är för långa");
        n += (size_t)w;
    }
    struct lots_url u;
    lots_url_init(&u, "/api/v1/search");
    lots_url_q(&u, "q", q);
    const char *type = lb_cli_get(&a, "type");
    char types[128] = "";
    if (type) {
        /* Comma-separated, Swedish or API names. */
        char buf[128];
        snprintf(buf, sizeof buf, "%s", type);
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            size_t l2 = strlen(types);
            snprintf(types + l2, sizeof types - l2, "%s%s", l2 ? "," : "", type_api(t));
        }
        lots_url_q(&u, "type", types);
    }
    lots_url_q(&u, "limit", lb_cli_get(&a, "limit"));
    lots_url_q(&u, "after", lb_cli_get(&a, "after"));
    if (u.overflow)
        return lots_usage_error(cmd, "sökorden är för långa");
    json_t *res;
    if ((rc = lots_call(l, "GET", u.buf, NULL, &res)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
        json_decref(res);
        return 0;
    }
    json_t *items = json_object_get(res, "items");
    if (json_array_size(items) == 0) {
        printf("Inga träffar.\n");
    } else {
        struct lb_cli_table t;
        const char *h[] = {"Typ", "ID", "Titel", "Utdrag"};
        if (lb_cli_table_init(&t, 4, h, 0x4u | 0x8u) == 0) {
            size_t i;
            json_t *it;
            json_array_foreach(items, i, it)
            {
                char id[24];
                const char *row[] = {type_sv(lots_js(it, "type")),
                                     lots_jnum(it, "id", id, sizeof id), lots_js(it, "title"),
                                     lots_js(it, "snippet")};
                lb_cli_table_add(&t, row);
            }
            lots_print_table(&t);
            lb_cli_table_free(&t);
        }
    }
    const char *next = lots_js(res, "next");
    if (next)
        fprintf(stderr, "Fler träffar: lägg till --after %s\n", next); /* stdout: rows only */
    json_decref(res);
    return 0;
}
