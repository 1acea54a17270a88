/* cmd_plan.c: the action plan and its yearly follow-up on the command line,
 * and the annual report to kommunstyrelsen.
 *
 *   lots plan [--year ÅÅÅÅ]                  the målområden and their actions with the year's
 * status lots plan show KOD [--year ÅÅÅÅ]         an action: texts, activities, indicators per
 * year, the year's follow-up lots plan followup KOD --year ÅÅÅÅ [--status S] [--results T]
 * [--collaboration 1.1,2.3]
 *                     [--adjustment T] [--comment T]
 *   lots plan value ID --year ÅÅÅÅ [--quarter ÅÅÅÅ-QN] (--value N | --text T | --done DATUM |
 * --clear) lots report annual [--year ÅÅÅÅ] [--format html|xlsx|csv|json] [-o FIL]
 *
 * The API's PUT replaces a follow-up whole; followup and value read the
 * stored one first and send it back with only what was given changed, with
 * If-Match on the version read, so nothing another user entered meanwhile is
 * overwritten silently (412 then). A value for a year without a follow-up
 * creates it with status "ongoing" (pågående) and says so: a figure being
 * reported means the work is under way. Shares may be given as "72 %" or
 * "0,72"; decimal commas are accepted. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "lotsbok/error.h"
#include "lotsbok/plan.h"
#include "lots.h"

static const char *status_sv(const char *wire)
{
    enum lb_plan_status st;
    return lb_plan_status_from_str(wire, &st) == 0 ? lb_plan_status_label_sv(st) : "Ej uppföljd";
}

/* --- text ----------------------------------------------------------------------------- */

static const char *reason_sv(const char *reason)
{
    if (!reason)
        return "–";
    if (strcmp(reason, "not_computed") == 0)
        return "ej beräknat";
    if (strcmp(reason, "suppressed") == 0)
        return "för få svar";
    if (strcmp(reason, "source_not_available") == 0)
        return "mäts inte ännu";
    if (strcmp(reason, "not_recorded") == 0)
        return "ej inrapporterat";
    return "saknas";
}

/* An item's value in its unit: "72 %", "68,4", "37", a date or text, or
 * "– (för få svar, n=5)". */
static void item_text(const json_t *item, const char *unit, char *buf, size_t len)
{
    const json_t *v = json_object_get(item, "value");
    if (json_is_string(v)) {
        snprintf(buf, len, "%s", json_string_value(v));
        return;
    }
    if (!json_is_number(v)) {
        const char *r = lots_js(item, "reason");
        if (r && strcmp(r, "suppressed") == 0)
            snprintf(buf, len, "– (%s, n=%lld)", reason_sv(r), lots_jint(item, "n"));
        else
            snprintf(buf, len, "– (%s)", reason_sv(r));
        return;
    }
    double x = json_number_value(v);
    if (unit && strcmp(unit, "share") == 0)
        snprintf(buf, len, "%.0f %%", x * 100.0);
    else if (unit && strcmp(unit, "index") == 0)
        snprintf(buf, len, "%.1f", x);
    else if (fabs(x - round(x)) < 1e-9)
        snprintf(buf, len, "%.0f", x);
    else
        snprintf(buf, len, "%.1f", x);
    char *dot = strchr(buf, '.');
    if (dot)
        *dot = ',';
}

static int check_year(const struct lots_cmd *cmd, const char *y, bool required)
{
    if (!y)
        return required ? lots_usage_error(cmd, "--year krävs, t.ex. --year 2026") : 0;
    char *end;
    long v = strtol(y, &end, 10);
    if (*end || end - y != 4 || v < 2000 || v > 2100)
        return lots_usage_error(cmd, "ogiltigt år: %s (skriv t.ex. 2026)", y);
    return 0;
}

/* --- lots plan -------------------------------------------------------------------------- */

static const struct lb_cli_optspec year_opts[] = {{"year", 'y', LB_CLI_OPT_VALUE}};

int lots_cmd_plan(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, year_opts, 1, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s (se lots plan show KOD)", a.pos[0]);
    const char *year = lb_cli_get(&a, "year");
    if ((rc = check_year(cmd, year, false)) != 0)
        return rc;
    struct lots_url u;
    lots_url_init(&u, "/api/v1/plan");
    lots_url_q(&u, "year", year);
    json_t *p;
    if ((rc = lots_call(l, "GET", u.buf, NULL, &p)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
        json_decref(p);
        return 0;
    }
    long long y = lots_jint(p, "year");
    printf("%s\n", lots_js(p, "title") ? lots_js(p, "title") : "Handlingsplan");
    size_t i, j;
    json_t *area, *act;
    json_array_foreach(json_object_get(p, "areas"), i, area)
    {
        printf("\nMålområde %lld: %s\n", lots_jint(area, "number"),
               lots_js(area, "title") ? lots_js(area, "title") : "");
        struct lb_cli_table t;
        char status_head[32];
        if (y)
            snprintf(status_head, sizeof status_head, "Status %lld", y);
        else
            snprintf(status_head, sizeof status_head, "Status");
        const char *h[] = {"Kod", "Åtgärd", "Ansvar", status_head};
        if (lb_cli_table_init(&t, 4, h, 0x2u | 0x4u) != 0)
            break;
        json_array_foreach(json_object_get(area, "actions"), j, act)
        {
            const json_t *f = json_object_get(act, "followup");
            const char *row[] = {
                lots_js(act, "code"), lots_js(act, "title"), lots_js(act, "responsible"),
                json_is_object(f) && lots_js(f, "status_label") ? lots_js(f, "status_label")
                                                                : "Ej uppföljd"};
            lb_cli_table_add(&t, row);
        }
        lots_print_table(&t);
        lb_cli_table_free(&t);
    }
    json_decref(p);
    return 0;
}

/* --- lots plan show ------------------------------------------------------------------------ */

static bool valid_code(const char *c)
{
    size_t n = strlen(c);
    if (n == 0 || n > 15)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((c[i] >= '0' && c[i] <= '9') || c[i] == '.' || (c[i] >= 'a' && c[i] <= 'z')))
            return false;
    return true;
}

static void print_text(const char *label, const char *text)
{
    if (text && *text)
        printf("%s: %s\n", label, text);
}

int lots_cmd_plan_show(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, year_opts, 1, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange åtgärdens kod, t.ex. 1.2");
    if (!valid_code(a.pos[0]))
        return lots_usage_error(cmd, "ogiltig kod: %s (skriv t.ex. 1.2)", a.pos[0]);
    const char *year = lb_cli_get(&a, "year");
    if ((rc = check_year(cmd, year, false)) != 0)
        return rc;
    struct lots_url u;
    lots_url_init(&u, "/api/v1/plan/actions/%s", a.pos[0]);
    json_t *act;
    if ((rc = lots_call(l, "GET", u.buf, NULL, &act)) != 0)
        return rc;
    if (l->json) {
        lots_print_raw(l);
        json_decref(act);
        return 0;
    }
    printf("Åtgärd %s %s\n", lots_js(act, "code"),
           lots_js(act, "title") ? lots_js(act, "title") : "");
    printf("Målområde %lld: %s\n\n", lots_jint(act, "area"),
           lots_js(act, "area_title") ? lots_js(act, "area_title") : "");
    print_text("Syfte och mål", lots_js(act, "purpose"));
    print_text("Tidplan", lots_js(act, "timeline"));
    print_text("Ansvar", lots_js(act, "responsible"));
    size_t i, k;
    json_t *x, *it;
    const json_t *acts = json_object_get(act, "activities");
    if (json_array_size(acts)) {
        printf("\nAktiviteter:\n");
        json_array_foreach(acts, i, x)
            printf("  [%s] %s\n", json_is_true(json_object_get(x, "done")) ? "x" : " ",
                   lots_js(x, "text") ? lots_js(x, "text") : "");
    }
    /* The indicators with their values over the plan's years (up to --year when given). */
    const json_t *values = json_object_get(act, "values");
    printf("\nIndikatorer:\n");
    json_array_foreach(json_object_get(act, "indicators"), i, x)
    {
        const char *id = lots_js(x, "id");
        printf("  %s %s%s%s (%s)\n", id, lots_js(x, "name") ? lots_js(x, "name") : "",
               lots_js(x, "aspect") ? " – " : "", lots_js(x, "aspect") ? lots_js(x, "aspect") : "",
               lb_plan_kind_label_sv(lots_js(x, "kind")) ? lb_plan_kind_label_sv(lots_js(x, "kind"))
                                                         : "");
        const json_t *items = json_object_get(values, id);
        char line[1024] = "";
        size_t used = 0;
        json_array_foreach(items, k, it)
        {
            const char *period = lots_js(it, "period");
            if (!period || (year && strcmp(period, year) > 0))
                continue;
            char v[96];
            item_text(it, lots_js(x, "unit"), v, sizeof v);
            int n =
                snprintf(line + used, sizeof line - used, "%s%s: %s", used ? "; " : "", period, v);
            if (n < 0 || (size_t)n >= sizeof line - used)
                break;
            used += (size_t)n;
        }
        if (used)
            printf("      %s\n", line);
    }
    /* The follow-ups: the chosen year's in full, the others' status. */
    const json_t *fus = json_object_get(act, "followups");
    printf("\nUppföljning:\n");
    if (json_array_size(fus) == 0)
        printf("  Ingen uppföljning registrerad.\n");
    json_array_foreach(fus, i, x)
    {
        char ys[16];
        snprintf(ys, sizeof ys, "%lld", lots_jint(x, "year"));
        printf("  %s: %s\n", ys, status_sv(lots_js(x, "status")));
        if (year && strcmp(ys, year) != 0)
            continue;
        if (lots_js(x, "results"))
            printf("    Resultat och måluppfyllelse: %s\n", lots_js(x, "results"));
        const json_t *c = json_object_get(x, "collaboration");
        if (json_array_size(c)) {
            printf("    Samverkan:");
            json_array_foreach(c, k, it) printf(" %s", json_string_value(it));
            printf("\n");
        }
        if (lots_js(x, "adjustment"))
            printf("    Behov av justering: %s\n", lots_js(x, "adjustment"));
        if (lots_js(x, "comment"))
            printf("    Kommentar: %s\n", lots_js(x, "comment"));
    }
    json_decref(act);
    return 0;
}

/* --- lots plan followup / value: read, change, write back with If-Match ---------------------- */

static const struct {
    const char *in, *wire;
} statuses[] = {
    {"not_started", "not_started"}, {"ongoing", "ongoing"},         {"completed", "completed"},
    {"closed", "closed"},           {"ej_påbörjad", "not_started"}, {"ej-påbörjad", "not_started"},
    {"pågående", "ongoing"},        {"genomförd", "completed"},     {"avslutad", "closed"},
};

static const char *status_wire(const char *s)
{
    for (size_t i = 0; s && i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcmp(statuses[i].in, s) == 0)
            return statuses[i].wire;
    return NULL;
}

/* GET the follow-up: 0 with *fu (a new object, without read-only fields) and
 * the version in if_match, or with *fu NULL when there is none; else an exit code. */
static int read_followup(struct lots *l, const char *code, const char *year, json_t **fu,
                         char *if_match, size_t len)
{
    *fu = NULL;
    if_match[0] = '\0';
    struct lots_url u;
    lots_url_init(&u, "/api/v1/plan/actions/%s/followups/%s", code, year);
    json_t *f = NULL;
    int rc = lots_call_quiet(l, "GET", u.buf, NULL, &f);
    if (rc != 0 && l->status == 404) {
        const char *err = NULL;
        json_t *e = l->raw ? json_loads(l->raw, 0, NULL) : NULL;
        err = lots_js(json_object_get(e, "error"), "code");
        bool missing_fu = err && strcmp(err, "not_found") == 0;
        json_decref(e);
        if (missing_fu) { /* no follow-up yet, or no such action: ask which */
            lots_url_init(&u, "/api/v1/plan/actions/%s", code);
            return lots_call(l, "GET", u.buf, NULL, NULL);
        }
    }
    if (rc != 0) /* say why, as lots_call would have */
        return lots_call(l, "GET", u.buf, NULL, NULL);
    snprintf(if_match, len, "%lld", lots_jint(f, "version"));
    static const char *const drop[] = {"id",         "version",      "created_at", "updated_at",
                                       "updated_by", "status_label", "code",       "year"};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        json_object_del(f, drop[i]);
    *fu = f;
    return 0;
}

static int write_followup(struct lots *l, const char *code, const char *year, json_t *fu,
                          const char *if_match, json_t **out)
{
    struct lots_url u;
    lots_url_init(&u, "/api/v1/plan/actions/%s/followups/%s", code, year);
    return lots_call_match(l, "PUT", u.buf, fu, if_match[0] ? if_match : NULL, out);
}

static int set_text(json_t *fu, const char *key, const char *v)
{
    if (!v)
        return 0;
    json_t *s = *v ? json_string(v) : json_null();
    if (!s) /* not UTF-8 */
        return LB_EINVAL;
    return json_object_set_new(fu, key, s) ? LB_ENOMEM : 0;
}

static const struct lb_cli_optspec followup_opts[] = {
    {"year", 'y', LB_CLI_OPT_VALUE},     {"status", 's', LB_CLI_OPT_VALUE},
    {"results", 0, LB_CLI_OPT_VALUE},    {"collaboration", 0, LB_CLI_OPT_VALUE},
    {"adjustment", 0, LB_CLI_OPT_VALUE}, {"comment", 0, LB_CLI_OPT_VALUE},
};

static void print_saved(const json_t *f, const char *code)
{
    printf("Uppföljningen av %s för %lld är sparad: %s (version %lld).\n", code,
           lots_jint(f, "year"), status_sv(lots_js(f, "status")), lots_jint(f, "version"));
}

int lots_cmd_plan_followup(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, followup_opts, 6, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange åtgärdens kod, t.ex. 1.2");
    const char *code = a.pos[0], *year = lb_cli_get(&a, "year");
    if (!valid_code(code))
        return lots_usage_error(cmd, "ogiltig kod: %s (skriv t.ex. 1.2)", code);
    if ((rc = check_year(cmd, year, true)) != 0)
        return rc;
    const char *status = lb_cli_get(&a, "status");
    if (status && !status_wire(status))
        return lots_usage_error(cmd, "--status ska vara not_started, ongoing, completed eller "
                                     "closed (ej_påbörjad, pågående, genomförd, avslutad)");
    json_t *fu;
    char if_match[32];
    if ((rc = read_followup(l, code, year, &fu, if_match, sizeof if_match)) != 0)
        return rc;
    if (!fu && !status)
        return lots_usage_error(cmd, "åtgärden har ingen uppföljning för %s än: ange --status",
                                year);
    if (!fu)
        fu = json_object();
    if (!fu)
        return LB_CLI_EXIT_SERVER;
    if (status)
        json_object_set_new(fu, "status", json_string(status_wire(status)));
    int e = set_text(fu, "results", lb_cli_get(&a, "results"));
    if (!e)
        e = set_text(fu, "adjustment", lb_cli_get(&a, "adjustment"));
    if (!e)
        e = set_text(fu, "comment", lb_cli_get(&a, "comment"));
    const char *collab = lb_cli_get(&a, "collaboration");
    if (!e && collab) {
        json_t *list = json_array();
        char buf[512];
        snprintf(buf, sizeof buf, "%s", collab);
        for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok && list;
             tok = strtok_r(NULL, ", ", &save)) {
            if (!valid_code(tok)) {
                json_decref(list);
                json_decref(fu);
                return lots_usage_error(cmd, "ogiltig kod i --collaboration: %s", tok);
            }
            json_array_append_new(list, json_string(tok));
        }
        e = list ? (json_object_set_new(fu, "collaboration", list) ? LB_ENOMEM : 0) : LB_ENOMEM;
    }
    if (e) {
        json_decref(fu);
        return lots_usage_error(cmd, "texten måste vara UTF-8");
    }
    json_t *out = NULL;
    rc = write_followup(l, code, year, fu, if_match, &out);
    json_decref(fu);
    if (rc == 0) {
        if (l->json)
            lots_print_raw(l);
        else
            print_saved(out, code);
    }
    json_decref(out);
    return rc;
}

static const struct lb_cli_optspec value_opts[] = {
    {"year", 'y', LB_CLI_OPT_VALUE}, {"quarter", 'q', LB_CLI_OPT_VALUE},
    {"value", 0, LB_CLI_OPT_VALUE},  {"text", 0, LB_CLI_OPT_VALUE},
    {"done", 0, LB_CLI_OPT_VALUE},   {"clear", 0, LB_CLI_OPT_FLAG},
};

/* "72 %" / "72%" -> 0.72 when percent is allowed; "68,4" -> 68.4. 0 or LB_EINVAL. */
static int parse_number(const char *s, double *out)
{
    char buf[64];
    if (!s || strlen(s) >= sizeof buf)
        return LB_EINVAL;
    snprintf(buf, sizeof buf, "%s", s);
    for (char *p = buf; *p; p++)
        if (*p == ',')
            *p = '.';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || errno || !isfinite(v))
        return LB_EINVAL;
    while (*end == ' ')
        end++;
    if (*end == '%') {
        v /= 100.0;
        end++;
    }
    if (*end)
        return LB_EINVAL;
    *out = v;
    return 0;
}

int lots_cmd_plan_value(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, value_opts, 6, &a, &done);
    if (done)
        return rc;
    if (a.npos != 1)
        return lots_usage_error(cmd, "ange indikatorns id, t.ex. 4.1-1");
    const char *id = a.pos[0], *year = lb_cli_get(&a, "year"), *quarter = lb_cli_get(&a, "quarter");
    const char *dash = strchr(id, '-');
    char code[16];
    if (!dash || dash == id || (size_t)(dash - id) >= sizeof code || !dash[1])
        return lots_usage_error(cmd, "ogiltigt indikator-id: %s (skriv t.ex. 4.1-1)", id);
    snprintf(code, sizeof code, "%.*s", (int)(dash - id), id);
    if (!valid_code(code))
        return lots_usage_error(cmd, "ogiltigt indikator-id: %s (skriv t.ex. 4.1-1)", id);
    if ((rc = check_year(cmd, year, true)) != 0)
        return rc;
    if (quarter && (strlen(quarter) != 7 || strncmp(quarter, year, 4) != 0 || quarter[4] != '-' ||
                    quarter[5] != 'Q' || quarter[6] < '1' || quarter[6] > '4'))
        return lots_usage_error(cmd, "--quarter ska vara ett kvartal av %s, t.ex. %s-Q3", year,
                                year);
    const char *value = lb_cli_get(&a, "value"), *text = lb_cli_get(&a, "text"),
               *date = lb_cli_get(&a, "done");
    bool clear = lb_cli_has(&a, "clear");
    if ((value != NULL) + (text != NULL) + (date != NULL) + clear != 1)
        return lots_usage_error(cmd, "ange precis en av --value, --text, --done och --clear");
    double num = 0;
    if (value && parse_number(value, &num) != 0)
        return lots_usage_error(cmd, "ogiltigt tal: %s", value);
    json_t *fu;
    char if_match[32];
    if ((rc = read_followup(l, code, year, &fu, if_match, sizeof if_match)) != 0)
        return rc;
    bool created = !fu;
    if (created && clear) {
        printf("Inget värde att ta bort: %s har ingen uppföljning för %s.\n", code, year);
        return 0;
    }
    if (created)
        fu = json_pack("{s:s}", "status", "ongoing");
    json_t *vals = json_object_get(fu, "values");
    if (!json_is_array(vals)) {
        vals = json_array();
        json_object_set_new(fu, "values", vals);
    }
    const char *period = quarter ? quarter : year;
    size_t i;
    json_t *v;
    for (i = 0; i < json_array_size(vals);) {
        v = json_array_get(vals, i);
        if (strcmp(lots_js(v, "indicator") ? lots_js(v, "indicator") : "", id) == 0 &&
            strcmp(lots_js(v, "period") ? lots_js(v, "period") : "", period) == 0)
            json_array_remove(vals, i);
        else
            i++;
    }
    for (i = 0; i < json_array_size(vals); i++) { /* stamps are the server's */
        json_object_del(json_array_get(vals, i), "by");
        json_object_del(json_array_get(vals, i), "at");
    }
    if (!clear) {
        json_t *nv = json_pack("{s:s,s:s}", "indicator", id, "period", period);
        if (value)
            json_object_set_new(nv, "value", json_real(num));
        else if (text && json_object_set_new(nv, "text", json_string(text)) != 0) {
            json_decref(nv);
            json_decref(fu);
            return lots_usage_error(cmd, "texten måste vara UTF-8");
        } else if (date)
            json_object_set_new(nv, "done", json_string(date));
        json_array_append_new(vals, nv);
    }
    json_t *out = NULL;
    rc = write_followup(l, code, year, fu, if_match, &out);
    json_decref(fu);
    if (rc == 0) {
        if (l->json)
            lots_print_raw(l);
        else {
            if (created)
                printf("Uppföljningen av %s för %s skapades med status pågående.\n", code, year);
            if (clear)
                printf("Värdet för %s %s är borttaget.\n", id, period);
            else
                printf("Värdet för %s %s är sparat.\n", id, period);
        }
    }
    json_decref(out);
    return rc;
}

/* --- lots report annual ------------------------------------------------------------------- */

static const struct lb_cli_optspec annual_opts[] = {
    {"year", 'y', LB_CLI_OPT_VALUE},
    {"format", 'f', LB_CLI_OPT_VALUE},
    {"output", 'o', LB_CLI_OPT_VALUE},
};

int lots_cmd_report_annual(struct lots *l, const struct lots_cmd *cmd, int argc, char **argv)
{
    struct lb_cli_args a;
    bool done;
    int rc = lots_args(l, cmd, argc, argv, annual_opts, 3, &a, &done);
    if (done)
        return rc;
    if (a.npos > 0)
        return lots_usage_error(cmd, "oväntat argument: %s", a.pos[0]);
    const char *year = lb_cli_get(&a, "year");
    const char *format = lb_cli_get(&a, "format") ? lb_cli_get(&a, "format") : "html";
    const char *out = lb_cli_get(&a, "output");
    if ((rc = check_year(cmd, year, false)) != 0)
        return rc;
    if (l->json)
        format = "json";
    if (strcmp(format, "html") && strcmp(format, "xlsx") && strcmp(format, "csv") &&
        strcmp(format, "json"))
        return lots_usage_error(cmd, "--format ska vara html, xlsx, csv eller json");
    bool binary = strcmp(format, "xlsx") == 0;
    if (binary && (!out || strcmp(out, "-") == 0) && isatty(fileno(stdout)))
        return lots_usage_error(cmd, "ange -o FIL för en Excel-fil");
    struct lots_url u;
    lots_url_init(&u, "/api/v1/reports/annual");
    lots_url_q(&u, "year", year);
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
    printf("Årsrapporten%s%s är sparad i %s (%zu byte).\n", year ? " för " : "", year ? year : "",
           out, n);
    return 0;
}
