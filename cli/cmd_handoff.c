/* cmd_handoff.c: hand-offs: `lots handoff` (the lots sends or withdraws one) and
 * the unit handler's `lots inbox`, `lots ack` and `lots decide`.
 *
 * The inbox shows by default what still needs the handler: hand-offs sent or
 * acknowledged but not decided, newest first. The server filters
 * (status=sent,acknowledged) before it cuts the page, so a page is full until
 * the last one, and each row carries its case number, subject and company. */
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

int lots_cmd_handoff_withdraw(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args args;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, handoff_opts + 1, 1, &args, &done);
    if (done)
        return rc;
    const struct lb_cli_args *a = &args;
    long long id = 0;
    rc = handoff_id(cmd, a, &id);
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
    int rc = lots_args(l, cmd, argc, argv, handoff_opts, 2, &a, &done);
    if (done)
        return rc;
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
    const char *status = lb_cli_get(&a, "status");
    if (!status && !lb_cli_has(&a, "all"))
        status = "sent,acknowledged";
    lots_url_q(&u, "status", status);
    if (lb_cli_has(&a, "overdue"))
        lots_url_q(&u, "overdue", "true");
    if ((rc = lots_page_args(cmd, &a, &u)) != 0)
        return rc;
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
    struct lb_cli_table t;
    const char *h[] = {"ID", "Enhet", "Skickad", "Status", "Ärende", "Företag", "Anteckning"};
    if (lb_cli_table_init(&t, 7, h, 0x2u | 0x20u | 0x40u) != 0) {
        json_decref(list);
        return LB_CLI_EXIT_SERVER;
    }
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(list, "items"), i, x)
    {
        char id[24], when[32], status_text[64];
        lb_cli_local_time(lots_js(x, "sent_at"), when, sizeof when);
        when[10] = '\0';
        snprintf(status_text, sizeof status_text, "%s%s",
                 lb_cli_label("handoff_status", lots_js(x, "status")),
                 json_is_true(json_object_get(x, "overdue")) ? " (försenad)" : "");
        const char *row[] = {lots_jnum(x, "id", id, sizeof id),
                             lb_cli_label("unit", lots_js(x, "unit")),
                             when,
                             status_text,
                             lots_js(x, "case_number"),
                             lots_js(x, "company_name"),
                             lots_js(x, "note")};
        lb_cli_table_add(&t, row);
    }
    if (t.nrows > 0)
        lots_print_table(&t);
    else if (lb_cli_get(&a, "after"))
        printf("Inga fler överlämningar.\n");
    else if (lb_cli_get(&a, "status") || lb_cli_has(&a, "all"))
        printf("Inga överlämningar.\n");
    else
        printf("Inga överlämningar väntar.\n");
    lb_cli_table_free(&t);
    lots_print_more(list);
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
    if ((rc = lots_set_at(cmd, &a, body, "decided_at")) != 0) {
        json_decref(body);
        return rc;
    }
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
