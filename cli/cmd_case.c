/* cmd_case.c: the lots's cases: case open, show, list, close, reopen and
 * contact log.
 *
 * A case argument is a case number (L2026-0042) or an id; lotsd resolves both
 * in the path (/cases/L2026-0042), so no listing is needed to find a case. */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lots.h"

static int case_path(const char *arg, const char *suffix, char *path, size_t len)
{
    char seg[24];
    int rc = lots_case_segment(arg, seg, sizeof seg);
    if (rc == 0)
        snprintf(path, len, "/api/v1/cases/%s%s", seg, suffix);
    return rc;
}

/* Sets key to the option's value when it was given. */
static void set_opt(json_t *body, const struct lb_cli_args *a, const char *opt, const char *key)
{
    const char *v = lb_cli_get(a, opt);
    if (v)
        json_object_set_new(body, key, json_string(v));
}

static const struct lb_cli_optspec open_opts[] = {
    {"company", 0, LB_CLI_OPT_VALUE},  {"subject", 0, LB_CLI_OPT_VALUE},
    {"category", 0, LB_CLI_OPT_VALUE}, {"description", 0, LB_CLI_OPT_VALUE},
    {"at", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_case_open(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, open_opts, 5, &a, &done);
    if (done)
        return rc;
    const char *company = lb_cli_get(&a, "company"), *subject = lb_cli_get(&a, "subject");
    const char *category = lb_cli_get(&a, "category");
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s", a.pos[0]);
    if (!company || !subject || !category)
        return lots_usage_error(cmd, "--company, --subject och --category krävs");
    char ref[24];
    json_t *body = json_pack("{s:s, s:s}", "subject", subject, "category", category);
    if (!body)
        return lots_usage_error(cmd, "texten måste vara UTF-8");
    switch (lb_cli_company_ref(company, ref)) {
    case LB_CLI_REF_ID:
        json_object_set_new(body, "company_id", json_integer(strtoll(ref, NULL, 10)));
        break;
    case LB_CLI_REF_ORGNR:
        json_object_set_new(body, "orgnr", json_string(ref));
        break;
    default:
        json_decref(body);
        lots_error("ogiltigt organisationsnummer eller id (fält: company): %s", company);
        return LB_CLI_EXIT_REJECTED;
    }
    set_opt(body, &a, "description", "description");
    if ((rc = lots_set_at(cmd, &a, body, "opened_at")) != 0) {
        json_decref(body);
        return rc;
    }
    json_t *c;
    rc = lots_call(l, "POST", "/api/v1/cases", body, &c);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
    } else {
        char id[24];
        printf("Ärende %s är öppnat (id %s): %s\n",
               lots_js(c, "number") ? lots_js(c, "number") : "", lots_jnum(c, "id", id, sizeof id),
               lots_js(c, "subject") ? lots_js(c, "subject") : "");
    }
    json_decref(c);
    return 0;
}

static void line(const char *label, const char *value)
{
    if (value && value[0]) {
        size_t w = lb_cli_width(label);
        printf("%s%*s %s\n", label, w < 13 ? (int)(13 - w) : 0, "", value);
    }
}

static int by_at(const void *a, const void *b)
{
    const char *x = lots_js(*(json_t *const *)a, "at"), *y = lots_js(*(json_t *const *)b, "at");
    return strcmp(x ? x : "", y ? y : ""); /* the API writes UTC with a fixed width */
}

static void print_case(struct lots *l, const json_t *c)
{
    char id[24], when[32], buf[256];
    printf("Ärende %s (id %s)  %s\n", lots_js(c, "number") ? lots_js(c, "number") : "",
           lots_jnum(c, "id", id, sizeof id), lb_cli_label("case_status", lots_js(c, "status")));
    struct lots_names names = {0};
    long long company = lots_jint(c, "company_id");
    snprintf(buf, sizeof buf, "%s (id %lld)", lots_company_name(l, &names, company), company);
    line("Företag:", buf);
    line("Rubrik:", lots_js(c, "subject"));
    line("Kategori:", lb_cli_label("category", lots_js(c, "category")));
    line("Ägare:", lots_js(c, "owner"));
    lb_cli_local_time(lots_js(c, "opened_at"), when, sizeof when);
    line("Öppnat:", when);
    if (lots_js(c, "closed_at")) {
        lb_cli_local_time(lots_js(c, "closed_at"), when, sizeof when);
        snprintf(buf, sizeof buf, "%s, %s", when, lb_cli_label("outcome", lots_js(c, "outcome")));
        line("Avslutat:", buf);
        line("Anteckning:", lots_js(c, "close_note"));
    }
    if (json_is_true(json_object_get(c, "legal_hold")))
        line("Bevaras:", "ja (bevarandeplikt)");
    line("Beskrivning:", lots_js(c, "description"));
    lots_names_free(&names);

    json_t *contacts = json_object_get(c, "contacts"), *handoffs = json_object_get(c, "handoffs");
    json_t *followups = json_object_get(c, "followups"), *x;
    size_t i;
    struct lb_cli_table t;
    size_t width = lots_terminal_width();
    if (json_array_size(contacts) > 0) {
        /* In time order (as entered is not the order they happened), each
         * summary whole, wrapped under its line. */
        size_t n = json_array_size(contacts);
        json_t **v = malloc(n * sizeof *v);
        if (v) {
            for (i = 0; i < n; i++)
                v[i] = json_array_get(contacts, i);
            qsort(v, n, sizeof *v, by_at);
            printf("\nKontakter (%zu):\n", n);
            for (i = 0; i < n; i++) {
                char min[24], head[256];
                x = v[i];
                lb_cli_local_time(lots_js(x, "at"), when, sizeof when);
                lots_jnum(x, "minutes", min, sizeof min);
                snprintf(head, sizeof head, "%s  %s, %s%s%s%s, %s", when,
                         lb_cli_label("channel", lots_js(x, "channel")),
                         lb_cli_label("direction", lots_js(x, "direction")), min[0] ? ", " : "",
                         min, min[0] ? " min" : "",
                         lots_js(x, "logged_by") ? lots_js(x, "logged_by") : "");
                printf("  %s\n", head);
                lots_print_wrapped(6, lots_js(x, "summary"), width);
            }
            free(v);
        }
    }
    if (json_array_size(handoffs) > 0) {
        printf("\nÖverlämningar (%zu):\n", json_array_size(handoffs));
        json_array_foreach(handoffs, i, x)
        {
            char hid[24], text[512];
            lb_cli_local_time(lots_js(x, "sent_at"), when, sizeof when);
            printf("  %s  %s, skickad %s: %s%s\n", lots_jnum(x, "id", hid, sizeof hid),
                   lb_cli_label("unit", lots_js(x, "unit")), when,
                   lb_cli_label("handoff_status", lots_js(x, "status")),
                   json_is_true(json_object_get(x, "overdue")) ? " (försenad)" : "");
            if (lots_js(x, "note")) {
                snprintf(text, sizeof text, "Anteckning: %s", lots_js(x, "note"));
                lots_print_wrapped(6, text, width);
            }
            if (lots_js(x, "reference")) {
                snprintf(text, sizeof text, "Diarienummer: %s", lots_js(x, "reference"));
                lots_print_wrapped(6, text, width);
            }
            if (lots_js(x, "decision")) {
                lb_cli_local_time(lots_js(x, "decided_at"), when, sizeof when);
                snprintf(text, sizeof text, "Beslut %s: %s%s%s", when,
                         lb_cli_label("decision", lots_js(x, "decision")),
                         lots_js(x, "decision_note") ? ". " : "",
                         lots_js(x, "decision_note") ? lots_js(x, "decision_note") : "");
                lots_print_wrapped(6, text, width);
            }
            if (lots_js(x, "withdraw_note")) {
                snprintf(text, sizeof text, "Återtagen: %s", lots_js(x, "withdraw_note"));
                lots_print_wrapped(6, text, width);
            }
        }
    }
    if (json_array_size(followups) > 0) {
        printf("\nUppföljningar:\n");
        const char *h[] = {"ID", "Förfaller", "Status", "Försök", "Ringer"};
        if (lb_cli_table_init(&t, 5, h, 0) == 0) {
            json_array_foreach(followups, i, x)
            {
                char fid[24], att[24];
                const char *row[] = {lots_jnum(x, "id", fid, sizeof fid), lots_js(x, "due"),
                                     lb_cli_label("followup_status", lots_js(x, "status")),
                                     lots_jnum(x, "attempts", att, sizeof att),
                                     lots_js(x, "assignee")};
                lb_cli_table_add(&t, row);
            }
            lots_print_table(&t);
            lb_cli_table_free(&t);
        }
    }
}

int lots_cmd_case_show(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, NULL, 0, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange ett ärende");
    char path[96];
    if ((rc = case_path(a.pos[0], "", path, sizeof path)) != 0)
        return rc;
    json_t *c;
    if ((rc = lots_call(l, "GET", path, NULL, &c)) != 0)
        return rc;
    if (l->json)
        lots_print_raw(l);
    else
        print_case(l, c);
    json_decref(c);
    return 0;
}

static const struct lb_cli_optspec list_opts[] = {
    {"status", 0, LB_CLI_OPT_VALUE}, {"mine", 0, LB_CLI_OPT_FLAG},
    {"owner", 0, LB_CLI_OPT_VALUE},  {"company", 0, LB_CLI_OPT_VALUE},
    {"limit", 0, LB_CLI_OPT_VALUE},  {"after", 0, LB_CLI_OPT_VALUE},
    {"xlsx", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_case_list(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, list_opts, 7, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s", a.pos[0]);
    struct lots_url u;
    lots_url_init(&u, "/api/v1/cases");
    lots_url_q(&u, "status", lb_cli_get(&a, "status"));
    char me[128];
    if (lb_cli_has(&a, "mine")) {
        if ((rc = lots_whoami_name(l, me, sizeof me)) != 0)
            return rc;
        lots_url_q(&u, "owner", me);
    } else {
        lots_url_q(&u, "owner", lb_cli_get(&a, "owner"));
    }
    if (lb_cli_get(&a, "company")) {
        long long id;
        char cid[24];
        if ((rc = lots_company_id(l, lb_cli_get(&a, "company"), &id)) != 0)
            return rc;
        snprintf(cid, sizeof cid, "%lld", id);
        lots_url_q(&u, "company_id", cid);
    }
    const char *xlsx = lb_cli_get(&a, "xlsx");
    if (xlsx && lb_cli_get(&a, "limit"))
        return lots_usage_error(cmd, "--xlsx tar med hela listan; --limit gäller inte");
    if ((rc = lots_page_args(cmd, &a, &u)) != 0)
        return rc;
    if (xlsx)
        lots_url_q(&u, "format", "xlsx");
    if (u.overflow)
        return lots_usage_error(cmd, "för långa värden");
    if (xlsx) {
        if ((rc = lots_call(l, "GET", u.buf, NULL, NULL)) != 0)
            return rc;
        size_t n = l->raw ? l->raw_len : 0;
        FILE *fp = fopen(xlsx, "wb");
        if (!fp) {
            lots_error("kan inte skriva %s: %s", xlsx, lots_errno_sv(errno));
            return LB_CLI_EXIT_USAGE;
        }
        bool ok = fwrite(l->raw ? l->raw : "", 1, n, fp) == n;
        ok = fclose(fp) == 0 && ok;
        if (!ok) {
            lots_error("kan inte skriva %s", xlsx);
            return LB_CLI_EXIT_USAGE;
        }
        printf("Ärendelistan är sparad i %s (%zu byte).\n", xlsx, n);
        return 0;
    }
    json_t *list;
    if ((rc = lots_call(l, "GET", u.buf, NULL, &list)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
        json_decref(list);
        return 0;
    }
    json_t *items = json_object_get(list, "items"), *c;
    if (json_array_size(items) == 0) {
        printf("Inga ärenden.\n");
    } else {
        struct lb_cli_table t;
        struct lots_names names = {0};
        const char *h[] = {"Nummer", "Öppnat", "Status", "Ägare", "Företag", "Rubrik"};
        if (lb_cli_table_init(&t, 6, h, 0x10u | 0x20u) == 0) {
            size_t i;
            json_array_foreach(items, i, c)
            {
                char opened[32];
                lb_cli_local_time(lots_js(c, "opened_at"), opened, sizeof opened);
                opened[10] = '\0';
                const char *row[] = {lots_js(c, "number"),
                                     opened,
                                     lb_cli_label("case_status", lots_js(c, "status")),
                                     lots_js(c, "owner"),
                                     lots_js(c, "company_name")
                                         ? lots_js(c, "company_name")
                                         : lots_company_name(l, &names, lots_jint(c, "company_id")),
                                     lots_js(c, "subject")};
                lb_cli_table_add(&t, row);
            }
            lots_print_table(&t);
            lb_cli_table_free(&t);
        }
        lots_names_free(&names);
    }
    lots_print_more(list);
    json_decref(list);
    return 0;
}

static const struct lb_cli_optspec close_opts[] = {
    {"outcome", 0, LB_CLI_OPT_VALUE},
    {"note", 0, LB_CLI_OPT_VALUE},
    {"at", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_case_close(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, close_opts, 3, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange ett ärende");
    if (!lb_cli_get(&a, "outcome"))
        return lots_usage_error(cmd, "--outcome krävs");
    char path[96];
    if ((rc = case_path(a.pos[0], "/close", path, sizeof path)) != 0)
        return rc;
    json_t *body = json_pack("{s:s}", "outcome", lb_cli_get(&a, "outcome")), *c;
    if (!body)
        return lots_usage_error(cmd, "texten måste vara UTF-8");
    set_opt(body, &a, "note", "note");
    if ((rc = lots_set_at(cmd, &a, body, "closed_at")) != 0) {
        json_decref(body);
        return rc;
    }
    rc = lots_call(l, "POST", path, body, &c);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json)
        lots_print_raw(l);
    else
        printf("Ärende %s är avslutat: %s.\n", lots_js(c, "number") ? lots_js(c, "number") : "",
               lb_cli_label("outcome", lots_js(c, "outcome")));
    json_decref(c);
    return 0;
}

int lots_cmd_case_reopen(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, NULL, 0, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange ett ärende");
    char path[96];
    if ((rc = case_path(a.pos[0], "/reopen", path, sizeof path)) != 0)
        return rc;
    json_t *body = json_object(), *c;
    rc = lots_call(l, "POST", path, body, &c);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json)
        lots_print_raw(l);
    else
        printf("Ärende %s är öppnat igen.\n", lots_js(c, "number") ? lots_js(c, "number") : "");
    json_decref(c);
    return 0;
}

static const struct lb_cli_optspec contact_opts[] = {
    {"channel", 0, LB_CLI_OPT_VALUE}, {"direction", 0, LB_CLI_OPT_VALUE},
    {"summary", 0, LB_CLI_OPT_VALUE}, {"minutes", 0, LB_CLI_OPT_VALUE},
    {"at", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_contact_log(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, contact_opts, 5, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange ett ärende");
    const char *channel = lb_cli_get(&a, "channel"), *direction = lb_cli_get(&a, "direction");
    const char *summary = lb_cli_get(&a, "summary"), *minutes = lb_cli_get(&a, "minutes");
    if (!channel || !direction || !summary)
        return lots_usage_error(cmd, "--channel, --direction och --summary krävs");
    long mins = -1;
    if (minutes) {
        char *end;
        mins = strtol(minutes, &end, 10);
        if (*minutes == '\0' || *end != '\0' || mins < 0 || mins > 100000)
            return lots_usage_error(cmd, "--minutes ska vara ett antal minuter");
    }
    char path[96];
    if ((rc = case_path(a.pos[0], "/contacts", path, sizeof path)) != 0)
        return rc;
    json_t *body = json_pack("{s:s, s:s, s:s}", "channel", channel, "direction", direction,
                             "summary", summary),
           *c;
    if (!body)
        return lots_usage_error(cmd, "texten måste vara UTF-8");
    if (mins >= 0)
        json_object_set_new(body, "minutes", json_integer(mins));
    if ((rc = lots_set_at(cmd, &a, body, "at")) != 0) {
        json_decref(body);
        return rc;
    }
    rc = lots_call(l, "POST", path, body, &c);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
    } else {
        char when[32];
        lb_cli_local_time(lots_js(c, "at"), when, sizeof when);
        printf("Kontakten är loggad: %s, %s, %s.\n", when,
               lb_cli_label("channel", lots_js(c, "channel")),
               lots_js(c, "direction") && strcmp(lots_js(c, "direction"), "inbound") == 0
                   ? "inkommande"
                   : "utgående");
    }
    json_decref(c);
    return 0;
}
