/* cmd_report.c: the arbetsgrupp's commands: indicators, the quarterly report and
 * improvement actions.
 *
 * `lots indicators` prints the worker's snapshot as Swedish tables: the lots
 * function's activity and follow-up figures and its questions' indices, then one
 * row per unit (hand-offs, acknowledged in time, decision working days, NKI/NUI
 * with SKR's grade). A suppressed index prints as "–" with its n and why: too
 * few answers, or "dold" (hidden so that another cannot be worked out).
 * `lots report` saves the server's rendering unchanged (html, csv or json). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsbok/calendar.h"
#include "lotsbok/timeutil.h"
#include "lots.h"

static const struct lb_cli_optspec quarter_opts[] = {{"quarter", 'q', LB_CLI_OPT_VALUE}};

/* The snapshot's publishing threshold (its "min_answers"; print_indicators
 * sets it): a suppressed index on at least this many answers is hidden to
 * protect another (docs/indicators.md, "Suppression"), not for too few. */
static long long min_answers = 7;

/* "74.3 (n=22, 68.1–80.5)", "– (n=5, för få svar)" or "– (n=9, dold)". */
static void index_text(const json_t *ix, char *buf, size_t len)
{
    json_t *v = json_object_get(ix, "index"), *ci = json_object_get(ix, "ci95");
    long long n = lots_jint(ix, "n");
    if (!json_is_number(v)) {
        snprintf(buf, len, "– (n=%lld%s)", n,
                 !json_is_true(json_object_get(ix, "suppressed")) ? ""
                 : n >= min_answers                                ? ", dold"
                                                                   : ", för få svar");
    } else if (json_array_size(ci) == 2) {
        snprintf(buf, len, "%.1f (n=%lld, %.1f–%.1f)", json_number_value(v), n,
                 json_number_value(json_array_get(ci, 0)),
                 json_number_value(json_array_get(ci, 1)));
    } else {
        snprintf(buf, len, "%.1f (n=%lld)", json_number_value(v), n);
    }
}

/* "92 % (n=12)" for a share object. */
static void share_text(const json_t *s, char *buf, size_t len)
{
    json_t *v = json_object_get(s, "value");
    if (!s)
        snprintf(buf, len, "–");
    else if (json_is_number(v))
        snprintf(buf, len, "%.0f %% (n=%lld)", json_number_value(v) * 100.0, lots_jint(s, "n"));
    else
        snprintf(buf, len, "– (n=%lld)", lots_jint(s, "n"));
}

static void print_followups(const json_t *f)
{
    char rate[32] = "–";
    json_t *r = json_object_get(f, "response_rate");
    if (json_is_number(r))
        snprintf(rate, sizeof rate, "%.0f %%", json_number_value(r) * 100.0);
    printf("  Uppföljningar: %lld planerade, %lld genomförda, %lld utan svar, %lld avböjda,\n"
           "                 %lld ej nådda; svarsfrekvens %s\n",
           lots_jint(f, "due"), lots_jint(f, "done"), lots_jint(f, "no_answer"),
           lots_jint(f, "declined"), lots_jint(f, "unreachable"), rate);
}

static void print_questions(const json_t *qs, bool unit)
{
    struct lb_cli_table t;
    const char *h[] = {"Fråga", "Index (n, 95 % KI)"};
    if (json_object_size(qs) == 0 || lb_cli_table_init(&t, 2, h, 0x1u) != 0)
        return;
    const char *key;
    json_t *ix;
    json_object_foreach((json_t *)qs, key, ix)
    {
        const struct lb_cli_question *q = lb_cli_question_find(unit, key);
        char text[96];
        index_text(ix, text, sizeof text);
        const char *row[] = {q ? q->text_sv : key, text};
        lb_cli_table_add(&t, row);
    }
    lots_print_table(&t);
    lb_cli_table_free(&t);
}

/* Compact: "NKI 71.2 högt (n=9)", "NKI totalt – (n=5)"; the interval is in --json. */
static void nki_text(const json_t *k, const char *fallback, char *buf, size_t len)
{
    const char *label = lots_js(k, "label") ? lots_js(k, "label") : fallback;
    const json_t *kv = json_object_get(k, "index");
    if (json_is_number(kv))
        snprintf(buf, len, "%s %.1f %s (n=%lld)", label, json_number_value(kv),
                 lots_js(k, "grade") ? lots_js(k, "grade") : "", lots_jint(k, "n"));
    else
        snprintf(buf, len, "%s – (n=%lld)", label, lots_jint(k, "n"));
}

static void print_indicators(const json_t *s)
{
    const json_t *lots = json_object_get(s, "lots");
    const json_t *mn = json_object_get(s, "min_answers");
    min_answers = json_is_integer(mn) ? json_integer_value(mn) : 7;
    char computed[32];
    lb_cli_local_time(lots_js(s, "computed_at"), computed, sizeof computed);
    printf("Indikatorer %s (beräknade %s)\n\n", lots_js(s, "quarter") ? lots_js(s, "quarter") : "",
           computed);
    printf("Företagslotsen:\n");
    printf("  Företag guidade: %lld (hittills i år %lld)\n", lots_jint(lots, "companies_guided"),
           lots_jint(lots, "companies_guided_ytd"));
    printf("  Ärenden: %lld öppnade, %lld avslutade\n", lots_jint(lots, "cases_opened"),
           lots_jint(lots, "cases_closed"));
    json_t *contacts = json_object_get(lots, "contacts");
    if (json_object_size(contacts) > 0) {
        printf("  Kontakter:");
        const char *ch;
        json_t *v;
        json_object_foreach(contacts, ch, v)
        {
            printf(" %s %lld", lb_cli_label("channel", ch), (long long)json_integer_value(v));
        }
        printf("\n");
    }
    print_followups(json_object_get(lots, "followups"));
    char share[64];
    share_text(json_object_get(lots, "easy_contact"), share, sizeof share);
    printf("  Enkelt att nå rätt person: %s\n\n", share);
    print_questions(json_object_get(lots, "questions"), false);

    json_t *units = json_object_get(s, "units");
    if (json_object_size(units) > 0) {
        printf("\nEnheterna:\n");
        struct lb_cli_table t;
        const char *h[] = {"Enhet", "Överl.", "Kvitt. i tid", "Median", "P90", "Sena", "NKI/NUI"};
        if (lb_cli_table_init(&t, 7, h, 0x1u | 0x40u) == 0) {
            const char *code;
            json_t *u;
            json_object_foreach(units, code, u)
            {
                char n[24], intime[48], med[24], p90[24], late[24], nki[128];
                json_t *d = json_object_get(u, "decision_working_days");
                share_text(json_object_get(u, "acknowledged_in_time"), intime, sizeof intime);
                nki_text(json_object_get(u, "nki"), "NKI", nki, sizeof nki);
                const char *row[] = {lb_cli_label("unit", code),
                                     lots_jnum(u, "handoffs", n, sizeof n),
                                     intime,
                                     lots_jnum(d, "median", med, sizeof med),
                                     lots_jnum(d, "p90", p90, sizeof p90),
                                     lots_jnum(u, "overdue", late, sizeof late),
                                     nki};
                lb_cli_table_add(&t, row);
            }
            lots_print_table(&t);
            lb_cli_table_free(&t);
        }
    }
    /* SKR's total NKI (the mandatory areas' answers together) beside the units. */
    const json_t *total = json_object_get(json_object_get(s, "total"), "nki");
    if (json_is_object(total)) {
        char nki[128];
        nki_text(total, "NKI totalt", nki, sizeof nki);
        printf("\n%s (SKR:s totala NKI)\n", nki);
    }
    json_t *imp = json_object_get(s, "improvements");
    if (imp)
        printf("\nFörbättringsåtgärder: %lld identifierade och %lld genomförda i kvartalet\n"
               "(totalt %lld identifierade, %lld genomförda)\n",
               lots_jint(imp, "identified"), lots_jint(imp, "implemented"),
               lots_jint(imp, "identified_total"), lots_jint(imp, "implemented_total"));
}

static int check_quarter(const struct lots_cmd *cmd, const char *q)
{
    int year, quarter;
    if (!q)
        return lots_usage_error(cmd, "--quarter krävs, t.ex. --quarter 2026-Q1");
    if (lb_quarter_parse(q, &year, &quarter) != 0)
        return lots_usage_error(cmd, "ogiltigt kvartal: %s (skriv t.ex. 2026-Q1)", q);
    return 0;
}

int lots_cmd_indicators(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, quarter_opts, 1, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s", a.pos[0]);
    /* Without --quarter: the current quarter (Stockholm's date), as far as it
     * has been computed. */
    char current[32], today[16];
    const char *q = lb_cli_get(&a, "quarter");
    if (!q) {
        lb_date_format(lb_stockholm_date(lb_time_now()), today);
        snprintf(current, sizeof current, "%.4s-Q%d", today, (atoi(today + 5) - 1) / 3 + 1);
        q = current;
    }
    if ((rc = check_quarter(cmd, q)) != 0)
        return rc;
    struct lots_url u;
    lots_url_init(&u, "/api/v1/indicators");
    lots_url_q(&u, "quarter", q);
    json_t *s;
    rc = lots_call_quiet(l, "GET", u.buf, NULL, &s);
    if (rc != 0 && l->status == 404) {
        lots_error("indikatorerna för %s är inte beräknade ännu", q);
        if (l->json)
            lots_print_raw(l);
        return rc;
    }
    if (rc != 0 && (rc = lots_call(l, "GET", u.buf, NULL, &s)) != 0)
        return rc; /* says why */
    if (l->json)
        lots_print_raw(l);
    else
        print_indicators(s);
    json_decref(s);
    return 0;
}

static const struct lb_cli_optspec report_opts[] = {
    {"quarter", 'q', LB_CLI_OPT_VALUE},
    {"format", 'f', LB_CLI_OPT_VALUE},
    {"output", 'o', LB_CLI_OPT_VALUE},
};

int lots_cmd_report(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, report_opts, 3, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s", a.pos[0]);
    const char *q = lb_cli_get(&a, "quarter");
    const char *format = lb_cli_get(&a, "format") ? lb_cli_get(&a, "format") : "html";
    const char *out = lb_cli_get(&a, "output");
    if ((rc = check_quarter(cmd, q)) != 0)
        return rc;
    if (l->json)
        format = "json";
    if (strcmp(format, "html") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0 &&
        strcmp(format, "xlsx") != 0)
        return lots_usage_error(cmd, "--format ska vara html, xlsx, csv eller json");
    if (strcmp(format, "xlsx") == 0 && (!out || strcmp(out, "-") == 0) && isatty(fileno(stdout)))
        return lots_usage_error(cmd, "ange -o FIL för en Excel-fil");
    struct lots_url u;
    lots_url_init(&u, "/api/v1/reports/quarterly");
    lots_url_q(&u, "quarter", q);
    lots_url_q(&u, "format", format);
    if ((rc = lots_call(l, "GET", u.buf, NULL, NULL)) != 0)
        return rc;
    size_t n = l->raw ? l->raw_len : 0;
    if (!out || strcmp(out, "-") == 0) {
        fwrite(l->raw ? l->raw : "", 1, n, stdout);
        return 0;
    }
    FILE *f = fopen(out, "wb");
    if (!f) {
        lots_error("kan inte skriva %s: %s", out, lots_errno_sv(errno));
        return LB_CLI_EXIT_USAGE;
    }
    bool ok = fwrite(l->raw ? l->raw : "", 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        lots_error("kan inte skriva %s", out);
        return LB_CLI_EXIT_USAGE;
    }
    printf("Rapporten för %s är sparad i %s (%zu byte).\n", q, out, n);
    return 0;
}

static const struct lb_cli_optspec impr_opts[] = {
    {"title", 0, LB_CLI_OPT_VALUE},
    {"unit", 0, LB_CLI_OPT_VALUE},
    {"description", 0, LB_CLI_OPT_VALUE},
    {"followup", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_improvement_add(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, impr_opts, 4, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s", a.pos[0]);
    const char *title = lb_cli_get(&a, "title"), *fu = lb_cli_get(&a, "followup");
    if (!title)
        return lots_usage_error(cmd, "--title krävs");
    if (fu && !lb_cli_is_id(fu))
        return lots_usage_error(cmd, "--followup ska vara uppföljningens id");
    json_t *body = json_pack("{s:s}", "title", title), *m;
    if (!body)
        return lots_usage_error(cmd, "texten måste vara UTF-8");
    if (lb_cli_get(&a, "unit"))
        json_object_set_new(body, "unit", json_string(lb_cli_get(&a, "unit")));
    if (lb_cli_get(&a, "description"))
        json_object_set_new(body, "description", json_string(lb_cli_get(&a, "description")));
    if (fu)
        json_object_set_new(body, "followup_id", json_integer(strtoll(fu, NULL, 10)));
    rc = lots_call(l, "POST", "/api/v1/improvements", body, &m);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
    } else {
        char id[24];
        printf("Förbättringsåtgärd %s är registrerad: %s\n", lots_jnum(m, "id", id, sizeof id),
               lots_js(m, "title") ? lots_js(m, "title") : "");
    }
    json_decref(m);
    return 0;
}

static const struct lb_cli_optspec impr_list_opts[] = {
    {"status", 0, LB_CLI_OPT_VALUE},
    {"limit", 0, LB_CLI_OPT_VALUE},
    {"after", 0, LB_CLI_OPT_VALUE},
};

int lots_cmd_improvement_list(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, impr_list_opts, 3, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s", a.pos[0]);
    struct lots_url u;
    lots_url_init(&u, "/api/v1/improvements");
    lots_url_q(&u, "status", lb_cli_get(&a, "status"));
    if ((rc = lots_page_args(cmd, &a, &u)) != 0)
        return rc;
    json_t *list;
    if ((rc = lots_call(l, "GET", u.buf, NULL, &list)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
        json_decref(list);
        return 0;
    }
    json_t *items = json_object_get(list, "items"), *m;
    if (json_array_size(items) == 0) {
        printf("Inga förbättringsåtgärder.\n");
    } else {
        struct lb_cli_table t;
        const char *h[] = {"ID", "Status", "Enhet", "Identifierad", "Titel"};
        if (lb_cli_table_init(&t, 5, h, 0x4u | 0x10u) == 0) {
            size_t i;
            json_array_foreach(items, i, m)
            {
                char id[24], when[32];
                lb_cli_local_time(lots_js(m, "identified_at"), when, sizeof when);
                when[10] = '\0';
                const char *row[] = {lots_jnum(m, "id", id, sizeof id),
                                     lb_cli_label("improvement_status", lots_js(m, "status")),
                                     lots_js(m, "unit") ? lb_cli_label("unit", lots_js(m, "unit"))
                                                        : "Lotsen",
                                     when, lots_js(m, "title")};
                lb_cli_table_add(&t, row);
            }
            lots_print_table(&t);
            lb_cli_table_free(&t);
        }
    }
    lots_print_more(list);
    json_decref(list);
    return 0;
}

int lots_cmd_improvement_done(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, NULL, 0, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1 || !lb_cli_is_id(a.pos[0]))
        return lots_usage_error(cmd, "ange åtgärdens id");
    char path[96];
    snprintf(path, sizeof path, "/api/v1/improvements/%s", a.pos[0]);
    json_t *body = json_pack("{s:s}", "status", "implemented"), *m;
    rc = lots_call(l, "PATCH", path, body, &m);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (l->json)
        lots_print_raw(l);
    else
        printf("Förbättringsåtgärd %s är genomförd.\n", a.pos[0]);
    json_decref(m);
    return 0;
}
