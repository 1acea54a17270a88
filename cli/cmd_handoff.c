/* cmd_handoff.c: hand-offs: `lots handoff` (the lots sends or withdraws one) and
 * the unit handler's `lots inbox`, `lots ack` and `lots decide`.
 *
 * The inbox shows by default what still needs the handler: hand-offs sent or
 * acknowledged but not decided. The API takes one status per request, so the
 * default view is one request without a status, filtered here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lots.h"

static int handoff_id(const struct lots_cmd *cmd, const struct lb_cli_args *a, long long *id)
{
    if (a->npos != 1 || !lb_cli_is_id(a->pos[0]))
        return lots_usage_error(cmd, "ange överlämningens id (ett tal)");
    *id = strtoll(a->pos[0], NULL, 10);
    return 0;
}

static const struct lb_cli_optspec handoff_opts[] = {
    {"unit", 0, LB_CLI_OPT_VALUE},
    {"note", 0, LB_CLI_OPT_VALUE},
};

static int handoff_withdraw(struct lots *l, const struct lots_cmd *cmd, const struct lb_cli_args *a)
{
    long long id = 0;
    int rc = handoff_id(cmd, a, &id);
    if (rc != 0)
        return rc;
    char path[96];
    snprintf(path, sizeof path, "/api/v1/handoffs/%lld/withdraw", id);
    json_t *body = json_object(), *h;
    if (lb_cli_get(a, "note"))
        json_object_set_new(body, "note", json_string(lb_cli_get(a, "note")));
    rc = lots_call(l, "POST", path, body, &h);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json)
        lots_print_raw(l);
    else
        printf("Överlämning %lld är återtagen.\n", id);
    json_decref(h);
    return 0;
}

int lots_cmd_handoff(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    bool withdraw = argc > 0 && strcmp(argv[0], "withdraw") == 0;
    int rc = lots_args(l, cmd, argc - withdraw, argv + withdraw, handoff_opts, 2, &a, &done);
    if (done)
        return rc;
    if (withdraw)
        return handoff_withdraw(l, cmd, &a);
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange ett ärende");
    const char *unit = lb_cli_get(&a, "unit"), *note = lb_cli_get(&a, "note");
    if (!unit || !note)
        return lots_usage_error(cmd, "--unit och --note krävs");
    char seg[24], path[96];
    if ((rc = lots_case_segment(a.pos[0], seg, sizeof seg)) != 0)
        return rc;
    snprintf(path, sizeof path, "/api/v1/cases/%s/handoffs", seg);
    json_t *body = json_pack("{s:s, s:s}", "unit", unit, "note", note), *h;
    if (!body)
        return lots_usage_error(cmd, "texten måste vara UTF-8");
    rc = lots_call(l, "POST", path, body, &h);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
    } else {
        char id[24];
        printf("Ärende %s är överlämnat till %s (överlämning %s).\n", seg,
               lb_cli_label("unit", lots_js(h, "unit")), lots_jnum(h, "id", id, sizeof id));
    }
    json_decref(h);
    return 0;
}

static const struct lb_cli_optspec inbox_opts[] = {
    {"unit", 0, LB_CLI_OPT_VALUE}, {"overdue", 0, LB_CLI_OPT_FLAG}, {"status", 0, LB_CLI_OPT_VALUE},
    {"all", 0, LB_CLI_OPT_FLAG},   {"limit", 0, LB_CLI_OPT_VALUE},  {"after", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_inbox(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, inbox_opts, 6, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s", a.pos[0]);
    struct lots_url u;
    lots_url_init(&u, "/api/v1/handoffs");
    lots_url_q(&u, "unit", lb_cli_get(&a, "unit"));
    lots_url_q(&u, "status", lb_cli_get(&a, "status"));
    if (lb_cli_has(&a, "overdue"))
        lots_url_q(&u, "overdue", "true");
    lots_url_q(&u, "limit", lb_cli_get(&a, "limit"));
    lots_url_q(&u, "after", lb_cli_get(&a, "after"));
    if (u.overflow)
        return lots_usage_error(cmd, "för långa värden");
    json_t *list;
    if ((rc = lots_call(l, "GET", u.buf, NULL, &list)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
        json_decref(list);
        return 0;
    }
    bool open_only = !lb_cli_has(&a, "all") && !lb_cli_get(&a, "status");
    struct lb_cli_table t;
    struct lots_names cases = {0}, companies = {0};
    const char *h[] = {"ID", "Enhet", "Skickad", "Status", "Ärende", "Företag", "Anteckning"};
    if (lb_cli_table_init(&t, 7, h, 0x2u | 0x20u | 0x40u) != 0) {
        json_decref(list);
        return LB_CLI_EXIT_SERVER;
    }
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(list, "items"), i, x)
    {
        const char *st = lots_js(x, "status");
        if (open_only && st && strcmp(st, "sent") != 0 && strcmp(st, "acknowledged") != 0)
            continue;
        char id[24], when[32], status[64];
        lb_cli_local_time(lots_js(x, "sent_at"), when, sizeof when);
        when[10] = '\0';
        snprintf(status, sizeof status, "%s%s", lb_cli_label("handoff_status", st),
                 json_is_true(json_object_get(x, "overdue")) ? " (försenad)" : "");
        const char *row[] = {lots_jnum(x, "id", id, sizeof id),
                             lb_cli_label("unit", lots_js(x, "unit")),
                             when,
                             status,
                             lots_case_number(l, &cases, lots_jint(x, "case_id")),
                             lots_company_name(l, &companies, lots_jint(x, "company_id")),
                             lots_js(x, "note")};
        lb_cli_table_add(&t, row);
    }
    if (t.nrows == 0)
        printf("Inga överlämningar väntar.\n");
    else
        lots_print_table(&t);
    lb_cli_table_free(&t);
    lots_names_free(&cases);
    lots_names_free(&companies);
    json_decref(list);
    return 0;
}

static const struct lb_cli_optspec ack_opts[] = {{"reference", 0, LB_CLI_OPT_VALUE}};

int lots_cmd_ack(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, ack_opts, 1, &a, &done);
    if (done)
        return rc;
    long long id = 0;
    if ((rc = handoff_id(cmd, &a, &id)) != 0)
        return rc;
    char path[96];
    snprintf(path, sizeof path, "/api/v1/handoffs/%lld/acknowledge", id);
    json_t *body = json_object(), *h;
    if (lb_cli_get(&a, "reference"))
        json_object_set_new(body, "reference", json_string(lb_cli_get(&a, "reference")));
    rc = lots_call(l, "POST", path, body, &h);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
    } else if (lots_js(h, "reference")) {
        printf("Överlämning %lld är mottagen (diarienummer %s).\n", id, lots_js(h, "reference"));
    } else {
        printf("Överlämning %lld är mottagen.\n", id);
    }
    json_decref(h);
    return 0;
}

static const struct lb_cli_optspec decide_opts[] = {
    {"decision", 0, LB_CLI_OPT_VALUE},
    {"note", 0, LB_CLI_OPT_VALUE},
    {"at", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_decide(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, decide_opts, 3, &a, &done);
    if (done)
        return rc;
    long long id = 0;
    if ((rc = handoff_id(cmd, &a, &id)) != 0)
        return rc;
    if (!lb_cli_get(&a, "decision"))
        return lots_usage_error(cmd, "--decision krävs");
    char path[96];
    snprintf(path, sizeof path, "/api/v1/handoffs/%lld/decide", id);
    json_t *body = json_pack("{s:s}", "decision", lb_cli_get(&a, "decision")), *h;
    if (!body)
        return lots_usage_error(cmd, "texten måste vara UTF-8");
    if (lb_cli_get(&a, "note"))
        json_object_set_new(body, "note", json_string(lb_cli_get(&a, "note")));
    if (lb_cli_get(&a, "at"))
        json_object_set_new(body, "decided_at", json_string(lb_cli_get(&a, "at")));
    rc = lots_call(l, "POST", path, body, &h);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json)
        lots_print_raw(l);
    else
        printf("Överlämning %lld är beslutad: %s.\n", id,
               lb_cli_label("decision", lots_js(h, "decision")));
    json_decref(h);
    return 0;
}
