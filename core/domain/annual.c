/* annual.c: the annual report's document (annual.h).
 *
 * lb_annual_json walks the plan's areas in order and, in each, its actions
 * sorted by code (1.2 before 1.10). Every indicator value comes from
 * lb_plan_value (plan.c), the one place that reads a snapshot or a
 * follow-up, so the report and GET /plan/indicators/{id}/values cannot
 * disagree: an auto value from the published year snapshot (a yearly index
 * over the year's answers, never a mean of quarters), a manual one or a
 * milestone from the follow-up, and null with the reason otherwise — the
 * meeting sources are "source_not_available" until meetings are recorded.
 *
 * The assessment of an indicator in the report year (lb_annual_assessment_
 * label_sv lists them) compares with the target where the plan or mål och
 * budget set one, else with the year before, in the indicator's direction;
 * a milestone is judged by its done date against its due date. The samlad
 * analys counts, per målområde, the actions by status and the indicators by
 * assessment. Nothing here reads who wrote a follow-up or owns an action. */
#include "lotsbok/annual.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/plan.h"
#include "lotsbok/timeutil.h"

int lb_annual_format_from_str(const char *s, enum lb_annual_format *out)
{
    static const char *const names[] = {"json", "csv", "html", "xlsx"};
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum lb_annual_format)i;
            return 0;
        }
    }
    return LB_EINVAL;
}

const char *lb_annual_content_type(enum lb_annual_format f)
{
    switch (f) {
    case LB_ANNUAL_CSV:
        return "text/csv; charset=utf-8";
    case LB_ANNUAL_HTML:
        return "text/html; charset=utf-8";
    case LB_ANNUAL_XLSX:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    default:
        return "application/json";
    }
}

static const struct {
    const char *key, *sv;
} assessments[] = {
    {"met", "Målet nått"},
    {"met_late", "Genomförd efter utsatt datum"},
    {"not_met", "Målet inte nått"},
    {"overdue", "Försenad"},
    {"pending", "Ej förfallen"},
    {"improved", "Utveckling åt avsett håll"},
    {"worsened", "Utveckling åt motsatt håll"},
    {"unchanged", "Oförändrad"},
    {"no_comparison", "Inget tidigare år att jämföra med"},
    {"no_data", "Värde saknas"},
    {"reported", "Redovisas utan målriktning"},
};

const char *lb_annual_assessment_label_sv(const char *assessment)
{
    for (size_t i = 0; assessment && i < sizeof assessments / sizeof assessments[0]; i++) {
        if (strcmp(assessments[i].key, assessment) == 0)
            return assessments[i].sv;
    }
    return NULL;
}

/* Which way an assessment counts in the samlad analys. */
static const char *assessment_group(const char *a)
{
    if (strcmp(a, "met") == 0 || strcmp(a, "met_late") == 0 || strcmp(a, "improved") == 0)
        return "intended";
    if (strcmp(a, "not_met") == 0 || strcmp(a, "worsened") == 0 || strcmp(a, "overdue") == 0)
        return "against";
    if (strcmp(a, "unchanged") == 0)
        return "unchanged";
    if (strcmp(a, "no_data") == 0)
        return "no_data";
    return "not_assessed";
}

/* --- helpers --------------------------------------------------------------------- */

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Sets key to a copy of o[key] when it is a non-empty string, else null. */
static int copy_text(json_t *dst, const char *key, const json_t *src)
{
    const char *s = str(src, key);
    return json_object_set_new(dst, key, s && *s ? json_string(s) : json_null()) ? LB_ENOMEM : 0;
}

static const json_t *followup_of(const json_t *followups, const char *code, int year)
{
    size_t i;
    json_t *f;
    json_array_foreach(followups, i, f)
    {
        const char *c = str(f, "code");
        if (c && strcmp(c, code) == 0 && json_integer_value(json_object_get(f, "year")) == year)
            return f;
    }
    return NULL;
}

static const json_t *action_of(const json_t *actions, const char *code)
{
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a)
    {
        const char *c = str(a, "code");
        if (c && code && strcmp(c, code) == 0)
            return a;
    }
    return NULL;
}

/* Codes compare as numbers part by part: 1.2 < 1.10 < 2.1. */
static int code_cmp(const void *pa, const void *pb)
{
    const char *a = str(*(json_t *const *)pa, "code"), *b = str(*(json_t *const *)pb, "code");
    a = a ? a : "";
    b = b ? b : "";
    while (*a || *b) {
        char *ea, *eb;
        long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
        if (x != y)
            return x < y ? -1 : 1;
        if (ea == a || eb == b)
            return strcmp(a, b);
        a = *ea == '.' ? ea + 1 : ea;
        b = *eb == '.' ? eb + 1 : eb;
        if (*ea != '.' || *eb != '.')
            return strcmp(a, b);
    }
    return 0;
}

static const json_t *snapshot(const struct lb_annual_input *in, const char *period)
{
    const json_t *s = json_object_get(in->snapshots, period);
    return json_is_object(s) ? s : NULL;
}

/* The document an auto indicator reads in a period: the worker's snapshot, or
 * for a meeting source ("meetings.<kind>.<name>") lotsd's meeting figures of the
 * period under "meetings", as GET /plan/indicators/{id}/values reads them.
 * *tmp holds what must be freed. */
static const json_t *source_doc(const struct lb_annual_input *in, const json_t *ind,
                                const char *period, json_t **tmp)
{
    char path[160];
    *tmp = NULL;
    const char *src = str(ind, "source");
    if (src && lb_plan_source_path(src, path, sizeof path) == 0 &&
        strncmp(path, "meetings.", 9) == 0) {
        const json_t *fig = json_object_get(in->meetings, period);
        if (!fig)
            return NULL;
        *tmp = json_pack("{s:O}", "meetings", fig);
        return *tmp;
    }
    return snapshot(in, period);
}

/* The assessment of an indicator from its items over the years up to the report year. */
static const char *assess(const json_t *ind, const json_t *values, int year)
{
    size_t n = json_array_size(values);
    const char *kind = str(ind, "kind");
    if (kind && strcmp(kind, "milestone") == 0) {
        const char *due = str(ind, "due"), *done = NULL;
        size_t i;
        json_t *it;
        json_array_foreach(values, i, it)
        {
            if (!done)
                done = str(it, "value");
        }
        if (done)
            return due && strcmp(done, due) > 0 ? "met_late" : "met";
        char end[16];
        snprintf(end, sizeof end, "%04d-12-31", year % 10000);
        return due && strcmp(due, end) <= 0 ? "overdue" : "pending";
    }
    const json_t *v = n ? json_object_get(json_array_get(values, n - 1), "value") : NULL;
    if (json_is_string(v))
        return "reported";
    if (!json_is_number(v))
        return "no_data";
    const char *dir = str(ind, "direction");
    if (!dir || strcmp(dir, "none") == 0)
        return "reported";
    double x = json_number_value(v);
    const json_t *t = lb_plan_target(ind, year);
    if (t) {
        double y = json_number_value(t);
        return (strcmp(dir, "decrease") == 0 ? x <= y : x >= y) ? "met" : "not_met";
    }
    if (strcmp(dir, "at_least") == 0)
        return "reported";
    const json_t *p = n >= 2 ? json_object_get(json_array_get(values, n - 2), "value") : NULL;
    if (!json_is_number(p))
        return "no_comparison";
    double y = json_number_value(p);
    if (x == y)
        return "unchanged";
    return (strcmp(dir, "decrease") == 0 ? x < y : x > y) ? "improved" : "worsened";
}

/* --- a chapter -------------------------------------------------------------------- */

/* Sets key of o to v (a new reference, may be NULL) and returns v borrowed, so
 * that o owns it from the start and one decref of o frees everything; NULL
 * when v is NULL or the set failed. */
static json_t *attach(json_t *o, const char *key, json_t *v)
{
    if (!o || !v || json_object_set_new(o, key, v))
        return NULL;
    return v;
}

static int append(json_t *array, json_t *v)
{
    return v && array && json_array_append_new(array, v) == 0 ? 0 : LB_ENOMEM;
}

static int indicator_entry(const struct lb_annual_input *in, const json_t *action,
                           const json_t *ind, int from, json_t *o)
{
    const char *code = str(action, "code");
    bool is_auto = strcmp(str(ind, "kind"), "auto") == 0;
    int rc = 0;
    static const char *const keys[] = {"id",     "name", "aspect",    "note", "kind",
                                       "source", "unit", "direction", "due"};
    for (size_t i = 0; rc == 0 && i < sizeof keys / sizeof keys[0]; i++)
        rc = copy_text(o, keys[i], ind);
    if (rc == 0 &&
        (!attach(o, "kind_label", json_string(lb_plan_kind_label_sv(str(ind, "kind")))) ||
         !attach(o, "direction_label",
                 json_string(lb_plan_direction_label_sv(str(ind, "direction"))))))
        rc = LB_ENOMEM;
    json_t *values = rc ? NULL : attach(o, "values", json_array());
    if (rc == 0 && !values)
        rc = LB_ENOMEM;
    for (int y = from; rc == 0 && y <= in->year; y++) {
        char period[8];
        snprintf(period, sizeof period, "%04d", y % 10000);
        json_t *item = NULL, *tmp = NULL;
        rc = lb_plan_value(action, ind, period, is_auto ? source_doc(in, ind, period, &tmp) : NULL,
                           followup_of(in->followups, code, y), &item);
        json_decref(tmp);
        const json_t *target = rc == 0 ? lb_plan_target(ind, y) : NULL;
        if (target && json_object_set(item, "target", (json_t *)target))
            rc = LB_ENOMEM;
        if (rc == 0)
            rc = append(values, item);
        else
            json_decref(item);
    }
    const char *freq = str(action, "followup_frequency");
    if (rc == 0 && freq && strcmp(freq, "quarterly") == 0 &&
        strcmp(str(ind, "kind"), "milestone")) {
        json_t *quarters = attach(o, "quarters", json_array());
        rc = quarters ? 0 : LB_ENOMEM;
        for (int q = 1; rc == 0 && q <= 4; q++) {
            char period[12];
            snprintf(period, sizeof period, "%04d-Q%d", in->year % 10000, q);
            json_t *item = NULL, *tmp = NULL;
            rc = lb_plan_value(action, ind, period,
                               is_auto ? source_doc(in, ind, period, &tmp) : NULL,
                               followup_of(in->followups, code, in->year), &item);
            json_decref(tmp);
            if (rc == 0)
                rc = append(quarters, item);
        }
    }
    if (rc == 0) {
        const json_t *target = lb_plan_target(ind, in->year);
        const char *a = assess(ind, values, in->year);
        if (!attach(o, "target", target ? json_deep_copy(target) : json_null()) ||
            !attach(o, "assessment", json_string(a)) ||
            !attach(o, "assessment_label", json_string(lb_annual_assessment_label_sv(a))))
            rc = LB_ENOMEM;
    }
    return rc;
}

static int chapter(const struct lb_annual_input *in, const json_t *action, int from, json_t *o)
{
    const char *code = str(action, "code");
    const json_t *fu = followup_of(in->followups, code, in->year);
    int rc = 0;
    static const char *const keys[] = {
        "code", "title",       "purpose",   "timeline",           "start",
        "end",  "responsible", "resources", "followup_frequency", "followup_text"};
    for (size_t i = 0; rc == 0 && i < sizeof keys / sizeof keys[0]; i++)
        rc = copy_text(o, keys[i], action);
    enum lb_plan_status st;
    bool has_status = fu && lb_plan_status_from_str(str(fu, "status"), &st) == 0;
    const json_t *units = json_object_get(action, "units");
    if (rc == 0 &&
        (!attach(o, "area", json_integer(json_integer_value(json_object_get(action, "area")))) ||
         !attach(o, "units", units ? json_deep_copy(units) : json_array()) ||
         !attach(o, "followup_label",
                 json_string(lb_plan_frequency_label_sv(str(action, "followup_frequency")))) ||
         !attach(o, "status", has_status ? json_string(lb_plan_status_str(st)) : json_null()) ||
         !attach(o, "status_label",
                 json_string(has_status ? lb_plan_status_label_sv(st) : "Ej uppföljd"))))
        rc = LB_ENOMEM;
    if (rc == 0)
        rc = copy_text(o, "results", fu);
    if (rc == 0)
        rc = copy_text(o, "adjustment", fu);
    if (rc == 0)
        rc = copy_text(o, "comment", fu);
    json_t *collab = rc ? NULL : attach(o, "collaboration", json_array());
    json_t *acts = rc ? NULL : attach(o, "activities", json_array());
    json_t *inds = rc ? NULL : attach(o, "indicators", json_array());
    if (!collab || !acts || !inds)
        rc = rc ? rc : LB_ENOMEM;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(fu, "collaboration"), i, x)
    {
        const json_t *other = action_of(in->actions, json_string_value(x));
        if (rc == 0)
            rc = append(collab, json_pack("{s:s?, s:s?}", "code", json_string_value(x), "title",
                                          other ? str(other, "title") : NULL));
    }
    json_array_foreach(json_object_get(action, "activities"), i, x)
    {
        if (rc == 0)
            rc = append(acts, json_pack("{s:s?, s:b}", "text", str(x, "text"), "done",
                                        json_is_true(json_object_get(x, "done"))));
    }
    json_array_foreach(json_object_get(action, "indicators"), i, x)
    {
        json_t *e = rc ? NULL : json_object();
        if (rc == 0)
            rc = append(inds, e);
        if (rc == 0)
            rc = indicator_entry(in, action, x, from, e);
    }
    return rc;
}

/* --- the samlad analys ---------------------------------------------------------------- */

static int add_count(json_t *o, const char *key)
{
    json_int_t n = json_integer_value(json_object_get(o, key));
    return json_object_set_new(o, key, json_integer(n + 1)) ? LB_ENOMEM : 0;
}

/* Per målområde: actions by status, indicators by assessment group, and the
 * ids and names of those that moved the intended way or against it. */
static int analysis(json_t *area)
{
    json_t *o = attach(area, "analysis", json_object());
    json_t *status = attach(o, "status",
                            json_pack("{s:i,s:i,s:i,s:i,s:i}", "not_started", 0, "ongoing", 0,
                                      "completed", 0, "closed", 0, "not_followed_up", 0));
    json_t *ind = attach(o, "indicators",
                         json_pack("{s:i,s:i,s:i,s:i,s:i}", "intended", 0, "against", 0,
                                   "unchanged", 0, "no_data", 0, "not_assessed", 0));
    json_t *intended = attach(o, "intended", json_array());
    json_t *against = attach(o, "against", json_array());
    int rc = status && ind && intended && against ? 0 : LB_ENOMEM;
    size_t i, j;
    json_t *a, *x;
    json_array_foreach(json_object_get(area, "actions"), i, a)
    {
        const char *s = str(a, "status");
        if (rc == 0)
            rc = add_count(status, s ? s : "not_followed_up");
        json_array_foreach(json_object_get(a, "indicators"), j, x)
        {
            const char *g = assessment_group(str(x, "assessment"));
            if (rc == 0)
                rc = add_count(ind, g);
            json_t *list = strcmp(g, "intended") == 0  ? intended
                           : strcmp(g, "against") == 0 ? against
                                                       : NULL;
            if (list && rc == 0)
                rc = append(list, json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?}", "id", str(x, "id"),
                                            "action", str(a, "code"), "name", str(x, "name"),
                                            "aspect", str(x, "aspect"), "assessment_label",
                                            str(x, "assessment_label")));
        }
    }
    return rc;
}

/* The values of an auto source that is not an indicator of an action (NKI per
 * unit, NKI totalt) over the years, through lb_plan_value all the same. */
static int source_values(const struct lb_annual_input *in, int from, const char *source,
                         json_t *values)
{
    json_t *ind = json_pack("{s:s,s:s,s:s}", "kind", "auto", "source", source, "unit", "index");
    json_t *empty = json_object();
    int rc = ind && empty && values ? 0 : LB_ENOMEM;
    for (int y = from; rc == 0 && y <= in->year; y++) {
        char period[8];
        snprintf(period, sizeof period, "%04d", y % 10000);
        json_t *item = NULL;
        rc = lb_plan_value(empty, ind, period, snapshot(in, period), NULL, &item);
        if (rc == 0)
            rc = append(values, item);
    }
    json_decref(ind);
    json_decref(empty);
    return rc;
}

/* Whether an indicator cites Svenskt Näringsliv's survey of the local business climate. */
static bool cites_ranking(const json_t *ind)
{
    const char *fields[] = {str(ind, "name"), str(ind, "note")};
    for (size_t i = 0; i < 2; i++) {
        if (fields[i] &&
            (strstr(fields[i], "venskt näringsliv") || strstr(fields[i], "venskt Näringsliv")))
            return true;
    }
    return false;
}

static int business_climate(const struct lb_annual_input *in, int from, const json_t *areas,
                            json_t *o)
{
    json_t *total = attach(o, "nki_total", json_pack("{s:s}", "label", "NKI totalt"));
    json_t *tv = attach(total, "values", json_array());
    json_t *units = attach(o, "units", json_array());
    json_t *ranking = attach(o, "ranking", json_array());
    int rc = tv && units && ranking ? 0 : LB_ENOMEM;
    if (rc == 0)
        rc = source_values(in, from, "nki_total", tv);
    char year[8];
    snprintf(year, sizeof year, "%04d", in->year % 10000);
    const json_t *snap_units = json_object_get(snapshot(in, year), "units");
    for (size_t i = 0; rc == 0 && i < in->units->count; i++) {
        const struct lb_unit *u = &in->units->unit[i];
        char source[48];
        snprintf(source, sizeof source, "nki:%s", u->code);
        const char *l = str(json_object_get(json_object_get(snap_units, u->code), "nki"), "label");
        json_t *e =
            json_pack("{s:s,s:s,s:s}", "unit", u->code, "name", u->name_sv, "label", l ? l : "NKI");
        rc = append(units, e);
        json_t *values = rc ? NULL : attach(e, "values", json_array());
        if (rc == 0)
            rc = values ? source_values(in, from, source, values) : LB_ENOMEM;
    }
    size_t i, j, k;
    json_t *area, *a, *x;
    json_array_foreach(areas, i, area)
    {
        json_array_foreach(json_object_get(area, "actions"), j, a)
        {
            json_array_foreach(json_object_get(a, "indicators"), k, x)
            {
                if (rc || !cites_ranking(x))
                    continue;
                rc = append(ranking,
                            json_pack("{s:s?,s:s?,s:s?,s:s?,s:O,s:O?,s:s?}", "id", str(x, "id"),
                                      "action", str(a, "code"), "name", str(x, "name"), "unit",
                                      str(x, "unit"), "values", json_object_get(x, "values"),
                                      "target", json_object_get(x, "target"), "assessment_label",
                                      str(x, "assessment_label")));
            }
        }
    }
    return rc;
}

static int year_of(lb_time t)
{
    int y, m, d;
    lb_date_to_ymd(lb_stockholm_date(t), &y, &m, &d);
    return y;
}

static const char *improvement_label_sv(enum lb_improvement_status s)
{
    switch (s) {
    case LB_IMPROVEMENT_IDENTIFIED:
        return "Identifierad";
    case LB_IMPROVEMENT_IMPLEMENTED:
        return "Genomförd";
    case LB_IMPROVEMENT_DROPPED:
        return "Avförd";
    default:
        return "";
    }
}

/* Lessons and proposals: the improvement actions identified or implemented in
 * the year (Stockholm dates), and the meetings' proposals, not yet recorded. */
static int lessons(const struct lb_annual_input *in, json_t *o)
{
    json_t *list = attach(o, "improvements", json_array());
    int rc = list && attach(o, "meeting_proposals",
                            json_pack("{s:n,s:s}", "value", "reason", "source_not_available"))
                 ? 0
                 : LB_ENOMEM;
    for (size_t i = 0; rc == 0 && i < in->nimprovements; i++) {
        const struct lb_improvement *m = &in->improvements[i];
        bool implemented = m->implemented_at != LB_TIME_NONE;
        if (year_of(m->identified_at) != in->year &&
            !(implemented && year_of(m->implemented_at) == in->year))
            continue;
        const struct lb_unit *u = m->unit ? lb_units_find(in->units, m->unit) : NULL;
        char idate[16], ddate[16];
        lb_date_format(lb_stockholm_date(m->identified_at), idate);
        if (implemented)
            lb_date_format(lb_stockholm_date(m->implemented_at), ddate);
        rc = append(list, json_pack("{s:s?,s:s?,s:s,s:s?,s:s,s:s,s:s?}", "title", m->title, "unit",
                                    m->unit, "unit_name",
                                    u         ? u->name_sv
                                    : m->unit ? m->unit
                                              : "Företagslotsen",
                                    "status", lb_improvement_status_str(m->status), "status_label",
                                    improvement_label_sv(m->status), "identified", idate,
                                    "implemented", implemented ? ddate : NULL));
    }
    return rc;
}

/* --- the document ------------------------------------------------------------------- */

static int build(const struct lb_annual_input *in, int from, int to, json_t *doc)
{
    char at[40], period[8];
    lb_time_format_rfc3339(in->generated_at, at);
    json_t *years = NULL, *summary = NULL, *areas = NULL, *adjust = NULL, *climate = NULL,
           *lesson = NULL;
    if (!attach(doc, "report", json_string("annual")) ||
        !attach(doc, "year", json_integer(in->year)) ||
        !attach(doc, "generated_at", json_string(at)) ||
        !attach(doc, "plan",
                json_pack("{s:s?,s:s?,s:{s:i,s:i}}", "title", str(in->header, "title"),
                          "municipality", str(in->header, "municipality"), "period", "from", from,
                          "to", to)) ||
        !(years = attach(doc, "years", json_array())) ||
        !(summary = attach(doc, "summary",
                           json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "actions",
                                     (int)json_array_size(in->actions), "not_started", 0, "ongoing",
                                     0, "completed", 0, "closed", 0, "not_followed_up", 0))) ||
        !(areas = attach(doc, "areas", json_array())) ||
        !(climate = attach(doc, "business_climate", json_object())) ||
        !(lesson = attach(doc, "lessons", json_object())) ||
        !(adjust = attach(doc, "adjustments", json_array())))
        return LB_ENOMEM;
    int rc = 0;
    for (int y = from; rc == 0 && y <= in->year; y++) {
        snprintf(period, sizeof period, "%04d", y % 10000);
        rc = append(years, json_string(period));
    }
    size_t na = json_array_size(in->actions);
    json_t **sorted = calloc(na ? na : 1, sizeof *sorted);
    if (!sorted)
        return LB_ENOMEM;
    for (size_t i = 0; i < na; i++)
        sorted[i] = json_array_get(in->actions, i);
    qsort(sorted, na, sizeof *sorted, code_cmp);
    size_t i;
    json_t *ha;
    json_array_foreach(json_object_get(in->header, "areas"), i, ha)
    {
        if (rc)
            break;
        json_int_t number = json_integer_value(json_object_get(ha, "number"));
        json_t *area = json_pack("{s:I,s:s?,s:s?,s:[]}", "number", number, "title",
                                 str(ha, "title"), "goal", str(ha, "goal"), "actions");
        rc = append(areas, area);
        for (size_t k = 0; rc == 0 && k < na; k++) {
            if (json_integer_value(json_object_get(sorted[k], "area")) != number)
                continue;
            json_t *c = json_object();
            rc = append(json_object_get(area, "actions"), c);
            if (rc == 0)
                rc = chapter(in, sorted[k], from, c);
            const char *s = rc ? NULL : str(c, "status");
            if (rc == 0)
                rc = add_count(summary, s ? s : "not_followed_up");
            const char *adj = rc ? NULL : str(c, "adjustment");
            if (adj)
                rc = append(adjust, json_pack("{s:s?,s:s?,s:s}", "code", str(c, "code"), "title",
                                              str(c, "title"), "adjustment", adj));
        }
        if (rc == 0)
            rc = analysis(area);
    }
    free(sorted);
    if (rc == 0)
        rc = business_climate(in, from, areas, climate);
    if (rc == 0)
        rc = lessons(in, lesson);
    return rc;
}

int lb_annual_json(const struct lb_annual_input *in, json_t **out)
{
    *out = NULL;
    if (!in || !json_is_object(in->header) || !in->units)
        return LB_EINVAL;
    json_t *period = json_object_get(in->header, "period");
    int from = (int)json_integer_value(json_object_get(period, "from"));
    int to = (int)json_integer_value(json_object_get(period, "to"));
    if (in->year < from || in->year > to)
        return LB_EINVAL;
    json_t *doc = json_object();
    if (!doc)
        return LB_ENOMEM;
    int rc = build(in, from, to, doc);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}
