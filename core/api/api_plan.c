/* api_plan.c: the action plan and its yearly follow-ups (DESIGN.md "The
 * action plan and its annual follow-up", docs/plan.md).
 *
 *   GET   /plan?year=                        the header, the areas and their actions,
 *                                            each with its follow-up status of the year
 *   POST  /plan/actions                      (admin) a new action
 *   GET   /plan/actions/{code}               the action, its follow-ups and every
 *                                            indicator's values over the plan's years
 *   PATCH /plan/actions/{code}               (admin, lots) top-level fields replaced; If-Match
 *   GET   /plan/actions/{code}/followups/{year}
 *   PUT   /plan/actions/{code}/followups/{year}  (admin, lots; a handler for an action
 *                                            whose units include one of theirs); If-Match
 *   GET   /plan/indicators/{id}/values?from=&to=  years or quarters
 *
 * Documents are validated by core/domain/plan.c (lb_plan_check_*) and kept
 * as text by core/store/store_plan.c. A write validates inside its queued
 * operation, against the records of the write transaction, so a merge with
 * the stored action or follow-up never works on a stale copy; the operation
 * copies the body first, since the batch may run it twice. Values come from
 * lb_plan_value: auto ones from the worker's snapshot of the period (a
 * quarter "2026-Q3" or a year "2026"), manual ones and milestones from the
 * action's follow-up of the year. The plan holds no personal data; every role
 * reads it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/api.h"
#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/plan.h"
#include "lotsbok/timeutil.h"

#define PERIODS_MAX 48 /* periods one values request returns at most */

static int plan_fail(struct lb_api_req *r, const struct lb_plan_err *e)
{
    return api_fail(r, 422, e->code ? e->code : "invalid_field", e->field[0] ? e->field : NULL,
                    "%s", e->message);
}

static int not_loaded(struct lb_api_req *r)
{
    return api_fail(r, 404, "plan_not_loaded", NULL,
                    "no action plan is loaded (lotsd plan load --data DIR FILE)");
}

/* --- loading ------------------------------------------------------------- */

void api_plan_free(struct api_plan *p)
{
    json_decref(p->header);
    json_decref(p->actions);
    json_decref(p->followups);
    memset(p, 0, sizeof *p);
}

static json_t *record_json(const char *text, const struct lb_meta *m)
{
    json_t *o = json_loads(text, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    api_json_meta(o, m);
    return o;
}

int api_plan_load(lb_txn *t, bool followups, struct api_plan *p)
{
    memset(p, 0, sizeof *p);
    struct lb_plan_header h = {0};
    int rc = lb_plan_header_get(t, &h);
    if (rc)
        return rc;
    p->header = json_loads(h.json, 0, NULL);
    lb_plan_header_clear(&h);
    p->actions = json_array();
    p->followups = json_array();
    if (!p->header || !p->actions || !p->followups) {
        api_plan_free(p);
        return p->header ? LB_ENOMEM : LB_ECORRUPT;
    }
    lb_id ids[500];
    for (int pass = 0; pass < (followups ? 2 : 1) && rc == 0; pass++) {
        struct lb_page pg = {.after = 0, .limit = 500, .ids = ids};
        do {
            pg.count = 0;
            pg.next = 0;
            rc = pass == 0 ? lb_plan_action_list(t, &pg) : lb_plan_followup_list(t, &pg);
            for (size_t i = 0; rc == 0 && i < pg.count; i++) {
                json_t *o = NULL;
                if (pass == 0) {
                    struct lb_plan_action a = {0};
                    if ((rc = lb_plan_action_get(t, ids[i], &a)) == 0)
                        o = record_json(a.json, &a.meta);
                    lb_plan_action_clear(&a);
                } else {
                    struct lb_plan_followup f = {0};
                    if ((rc = lb_plan_followup_get_id(t, ids[i], &f)) == 0)
                        o = record_json(f.json, &f.meta);
                    lb_plan_followup_clear(&f);
                }
                if (rc == 0 && !o)
                    rc = LB_ECORRUPT;
                if (rc == 0 && json_array_append_new(pass == 0 ? p->actions : p->followups, o))
                    rc = LB_ENOMEM;
            }
            pg.after = pg.next;
        } while (rc == 0 && pg.next);
    }
    if (rc)
        api_plan_free(p);
    return rc;
}

const json_t *api_plan_followup(const struct api_plan *p, const char *code, int year)
{
    size_t i;
    json_t *f;
    json_array_foreach(p->followups, i, f)
    {
        const char *c = json_string_value(json_object_get(f, "code"));
        if (c && strcmp(c, code) == 0 && json_integer_value(json_object_get(f, "year")) == year)
            return f;
    }
    return NULL;
}

int api_plan_year(const struct api_plan *p, lb_time now)
{
    int y, q;
    lb_date_quarter(lb_stockholm_date(now), &y, &q);
    json_t *period = json_object_get(p->header, "period");
    int from = (int)json_integer_value(json_object_get(period, "from"));
    int to = (int)json_integer_value(json_object_get(period, "to"));
    return y < from ? from : y > to ? to : y;
}

/* The query parameter year: 0 and *year set, 1 when absent, negative after
 * api_fail. */
static int query_year(struct lb_api_req *r, int *year)
{
    char buf[16];
    int rc = api_query(r, "year", buf, sizeof buf);
    if (rc <= 0)
        return rc < 0 ? rc : 1;
    int y, q;
    if (lb_plan_period_parse(buf, &y, &q) != 0 || q != 0)
        return api_fail(r, 400, "bad_query", "year", "year must be YYYY");
    *year = y;
    return 0;
}

static json_t *followup_summary(const json_t *f)
{
    enum lb_plan_status st = LB_PLAN_NOT_STARTED;
    lb_plan_status_from_str(json_string_value(json_object_get(f, "status")), &st);
    return json_pack("{s:O?,s:s,s:s,s:O?,s:O?}", "year", json_object_get(f, "year"), "status",
                     lb_plan_status_str(st), "status_label", lb_plan_status_label_sv(st), "version",
                     json_object_get(f, "version"), "updated_at", json_object_get(f, "updated_at"));
}

static int set_area_title(const struct api_plan *p, json_t *action)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(p->header, "areas"), i, a)
    {
        if (json_equal(json_object_get(a, "number"), json_object_get(action, "area")))
            return json_object_set(action, "area_title", json_object_get(a, "title")) ? LB_ENOMEM
                                                                                      : 0;
    }
    return 0;
}

/* --- GET /plan ------------------------------------------------------------ */

int api_plan_get(struct lb_api_req *r, lb_txn *t)
{
    struct api_plan p;
    int year = 0;
    int rc = query_year(r, &year);
    if (rc < 0)
        return rc;
    rc = api_plan_load(t, true, &p);
    if (rc == LB_ENOTFOUND)
        return not_loaded(r);
    if (rc)
        return rc;
    if (year == 0)
        year = api_plan_year(&p, r->ctx.now);
    json_t *out = json_deep_copy(p.header);
    json_t *areas = json_object_get(out, "areas");
    size_t i, j;
    json_t *area, *a;
    rc = out ? 0 : LB_ENOMEM;
    json_array_foreach(areas, i, area)
    {
        json_t *list = json_array();
        if (!list || json_object_set_new(area, "actions", list)) {
            rc = LB_ENOMEM;
            break;
        }
        json_array_foreach(p.actions, j, a)
        {
            if (!json_equal(json_object_get(a, "area"), json_object_get(area, "number")))
                continue;
            const json_t *f =
                api_plan_followup(&p, json_string_value(json_object_get(a, "code")), year);
            json_t *copy = json_copy(a);
            if (!copy || json_array_append_new(list, copy) ||
                json_object_set_new(copy, "followup", f ? followup_summary(f) : json_null())) {
                rc = LB_ENOMEM;
                break;
            }
        }
    }
    if (rc == 0 && json_object_set_new(out, "year", json_integer(year)))
        rc = LB_ENOMEM;
    api_plan_free(&p);
    if (rc) {
        json_decref(out);
        return rc;
    }
    return api_answer(r, 200, out, NULL);
}

/* --- GET /plan/actions/{code} ----------------------------------------------- */

/* Loads the period's published snapshot ("2026", "2026-Q3"; its json_public, the
 * live json when there is none) or NULL: every role and the report read what is
 * published, so the open period follows one rule (docs/indicators.md). */
static int load_snapshot(lb_txn *t, const char *period, json_t **out)
{
    struct lb_snapshot s = {0};
    *out = NULL;
    int rc = lb_snapshot_get(t, period, &s);
    if (rc == LB_ENOTFOUND)
        return 0;
    if (rc == 0)
        *out = json_loads(s.json_public ? s.json_public : s.json, 0, NULL);
    lb_snapshot_clear(&s);
    return rc;
}

/* For a meeting source: the period's figures from the meeting records, put
 * under "meetings" of (a copy of) the snapshot, so no worker document can
 * stand in for them. Nothing for a period not begun (not_computed). */
static int add_meeting_figures(lb_txn *t, const json_t *ind, const char *period, int y, int q,
                               lb_time now, json_t **snap)
{
    char path[160];
    const char *src = json_string_value(json_object_get(ind, "source"));
    if (lb_plan_source_path(src, path, sizeof path) != 0 || strncmp(path, "meetings.", 9) != 0)
        return 0;
    lb_date first = q ? 0 : lb_date_from_ymd(y, 1, 1), last;
    if (q)
        lb_quarter_range(y, q, &first, &last);
    if (first > lb_stockholm_date(now))
        return 0;
    json_t *fig = NULL;
    int rc = api_meeting_figures(t, period, now, &fig);
    if (rc)
        return rc;
    if (!*snap && !(*snap = json_object())) {
        json_decref(fig);
        return LB_ENOMEM;
    }
    return json_object_set_new(*snap, "meetings", fig) ? LB_ENOMEM : 0;
}

/* The items of one indicator over periods (years, or quarters). */
static int indicator_items(lb_txn *t, const struct api_plan *p, const json_t *action,
                           const json_t *ind, char periods[][8], size_t n, json_t **out)
{
    json_t *items = json_array();
    int rc = items ? 0 : LB_ENOMEM;
    const char *code = json_string_value(json_object_get(action, "code"));
    bool is_auto = strcmp(json_string_value(json_object_get(ind, "kind")), "auto") == 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int y, q;
        lb_plan_period_parse(periods[i], &y, &q);
        json_t *snap = NULL, *item = NULL;
        if (is_auto)
            rc = load_snapshot(t, periods[i], &snap);
        if (rc == 0 && is_auto)
            rc = add_meeting_figures(t, ind, periods[i], y, q, lb_time_now(), &snap);
        if (rc == 0)
            rc = lb_plan_value(action, ind, periods[i], snap, api_plan_followup(p, code, y), &item);
        json_decref(snap);
        const json_t *target = q == 0 ? lb_plan_target(ind, y) : NULL;
        if (rc == 0 && target && json_object_set(item, "target", (json_t *)target))
            rc = LB_ENOMEM;
        if (rc == 0 && json_array_append_new(items, item))
            rc = LB_ENOMEM;
    }
    if (rc)
        json_decref(items);
    else
        *out = items;
    return rc;
}

static size_t plan_years(const struct api_plan *p, char years[][8])
{
    json_t *period = json_object_get(p->header, "period");
    int from = (int)json_integer_value(json_object_get(period, "from"));
    int to = (int)json_integer_value(json_object_get(period, "to"));
    size_t n = 0;
    for (int y = from; y <= to && n < PERIODS_MAX; y++)
        snprintf(years[n++], 8, "%04d", y % 10000);
    return n;
}

static const json_t *find_action(const struct api_plan *p, const char *code)
{
    size_t i;
    json_t *a;
    json_array_foreach(p->actions, i, a)
    {
        const char *c = json_string_value(json_object_get(a, "code"));
        if (c && strcmp(c, code) == 0)
            return a;
    }
    return NULL;
}

int api_plan_action_get(struct lb_api_req *r, lb_txn *t)
{
    struct api_plan p;
    int rc = api_plan_load(t, true, &p);
    if (rc == LB_ENOTFOUND)
        return not_loaded(r);
    if (rc)
        return rc;
    const json_t *a = find_action(&p, r->params[0]);
    if (!a) {
        api_plan_free(&p);
        return LB_ENOTFOUND;
    }
    json_t *out = json_deep_copy(a);
    json_t *fus = json_array(), *values = json_object();
    rc = out && fus && values ? set_area_title(&p, out) : LB_ENOMEM;
    size_t i;
    json_t *f, *ind;
    json_array_foreach(p.followups, i, f)
    {
        if (rc == 0 && json_equal(json_object_get(f, "code"), json_object_get(a, "code"))) {
            json_t *c = json_deep_copy(f);
            enum lb_plan_status st = LB_PLAN_NOT_STARTED;
            lb_plan_status_from_str(json_string_value(json_object_get(f, "status")), &st);
            if (!c ||
                json_object_set_new(c, "status_label", json_string(lb_plan_status_label_sv(st))) ||
                json_array_append_new(fus, c))
                rc = LB_ENOMEM;
        }
    }
    char years[PERIODS_MAX][8];
    size_t ny = plan_years(&p, years);
    json_array_foreach(json_object_get(a, "indicators"), i, ind)
    {
        json_t *items = NULL;
        if (rc == 0)
            rc = indicator_items(t, &p, a, ind, years, ny, &items);
        if (rc == 0 &&
            json_object_set_new(values, json_string_value(json_object_get(ind, "id")), items))
            rc = LB_ENOMEM;
    }
    if (rc == 0 &&
        (json_object_set(out, "followups", fus) || json_object_set(out, "values", values) ||
         json_object_set(out, "period", json_object_get(p.header, "period")) ||
         json_object_set_new(out, "year", json_integer(api_plan_year(&p, r->ctx.now)))))
        rc = LB_ENOMEM;
    json_decref(fus);
    json_decref(values);
    api_plan_free(&p);
    if (rc) {
        json_decref(out);
        return rc;
    }
    return api_answer(r, 200, out, NULL);
}

/* --- POST /plan/actions, PATCH /plan/actions/{code} -------------------------- */

struct action_arg {
    uint64_t if_match;
    bool create;
};

/* Whether the owner, when named, is a user. */
static int check_owner(struct lb_api_req *r, lb_txn *t, const json_t *doc)
{
    const char *owner = json_string_value(json_object_get(doc, "owner"));
    if (!owner)
        return 0;
    struct lb_user u = {0};
    int rc = lb_user_get(t, owner, &u);
    lb_user_clear(&u);
    if (rc == LB_ENOTFOUND)
        return api_fail(r, 422, "unknown_user", "owner", "owner must be an existing user");
    return rc;
}

static int action_answer(struct lb_api_req *r, const struct lb_plan_action *a, int status)
{
    json_t *o = record_json(a->json, &a->meta);
    if (!o)
        return LB_ENOMEM;
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/plan/actions/%s", a->code);
    return api_answer(r, status, o, status == 201 ? loc : NULL);
}

static int op_action_write(lb_txn *t, struct lb_api_req *r)
{
    struct action_arg *arg = r->arg;
    struct lb_plan_header h = {0};
    struct lb_plan_action cur = {0}, rec = {0};
    json_t *header = NULL, *doc = NULL;
    struct lb_plan_err err = {0};
    int rc = lb_plan_header_get(t, &h);
    if (rc == LB_ENOTFOUND) {
        rc = not_loaded(r);
        goto out;
    }
    if (rc || !(header = json_loads(h.json, 0, NULL))) {
        rc = rc ? rc : LB_ECORRUPT;
        goto out;
    }
    if (arg->create) {
        doc = json_deep_copy(r->body);
    } else {
        /* PATCH: the body's top-level fields over the stored document. */
        if ((rc = lb_plan_action_by_code(t, r->params[0], &cur)))
            goto out;
        doc = json_loads(cur.json, 0, NULL);
        json_t *code = json_object_get(r->body, "code");
        if (code && !json_equal(code, json_object_get(doc, "code"))) {
            rc = api_fail(r, 422, "invalid_field", "code", "an action's code cannot change");
            goto out;
        }
        if (doc && json_object_update(doc, r->body))
            rc = LB_ENOMEM;
    }
    if (rc == 0 && !doc)
        rc = LB_ENOMEM;
    if (rc == 0 && lb_plan_check_action(doc, header, api_units(r), &err) != 0)
        rc = err.code ? plan_fail(r, &err) : LB_ENOMEM;
    if (rc == 0)
        rc = check_owner(r, t, doc);
    if (rc)
        goto out;
    snprintf(rec.code, sizeof rec.code, "%s", json_string_value(json_object_get(doc, "code")));
    rec.area = (uint32_t)json_integer_value(json_object_get(doc, "area"));
    if (!(rec.json = lb_plan_dump(doc))) {
        rc = LB_ENOMEM;
        goto out;
    }
    rc = arg->create ? lb_plan_action_create(t, &r->ctx, &rec)
                     : lb_plan_action_update(t, &r->ctx, &rec, arg->if_match);
    if (rc == LB_EEXIST)
        rc = api_fail(r, 409, "duplicate", "code", "the plan already has action %s", rec.code);
    else if (rc == 0)
        rc = action_answer(r, &rec, arg->create ? 201 : 200);
out:
    json_decref(header);
    json_decref(doc);
    lb_plan_header_clear(&h);
    lb_plan_action_clear(&cur);
    lb_plan_action_clear(&rec);
    return rc;
}

static int queue_action(struct lb_api_req *r, bool create)
{
    if (!json_is_object(r->body))
        return api_fail(r, 422, "invalid_field", NULL, "the body must be a JSON object");
    struct action_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    a->create = create;
    int rc = create ? 0 : api_if_match(r, &a->if_match);
    if (rc) {
        free(a);
        return rc;
    }
    return api_queue(r, op_action_write, a, free);
}

int api_plan_action_create(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    return queue_action(r, true);
}

int api_plan_action_update(struct lb_api_req *r, lb_txn *t)
{
    struct lb_plan_action a = {0};
    int rc = lb_plan_action_by_code(t, r->params[0], &a);
    lb_plan_action_clear(&a);
    return rc ? rc : queue_action(r, false);
}

/* --- follow-ups ---------------------------------------------------------- */

/* The path's year: 0, or 404 when it is not a year. */
static int path_year(struct lb_api_req *r, int *year)
{
    int q;
    if (lb_plan_period_parse(r->params[1], year, &q) != 0 || q != 0)
        return api_fail(r, 404, "not_found", NULL, "no such year");
    return 0;
}

static json_t *followup_json(const struct lb_plan_followup *f)
{
    json_t *o = record_json(f->json, &f->meta);
    enum lb_plan_status st = LB_PLAN_NOT_STARTED;
    if (o) {
        lb_plan_status_from_str(json_string_value(json_object_get(o, "status")), &st);
        json_object_set_new(o, "status_label", json_string(lb_plan_status_label_sv(st)));
    }
    return o;
}

int api_plan_followup_get(struct lb_api_req *r, lb_txn *t)
{
    int year;
    int rc = path_year(r, &year);
    if (rc)
        return rc;
    struct lb_plan_action a = {0};
    rc = lb_plan_action_by_code(t, r->params[0], &a);
    lb_plan_action_clear(&a);
    if (rc)
        return rc;
    struct lb_plan_followup f = {0};
    rc = lb_plan_followup_get(t, r->params[0], year, &f);
    if (rc == LB_ENOTFOUND)
        return api_fail(r, 404, "not_found", NULL, "no follow-up of %s recorded for %d",
                        r->params[0], year);
    json_t *o = rc == 0 ? followup_json(&f) : NULL;
    lb_plan_followup_clear(&f);
    if (rc)
        return rc;
    return o ? api_answer(r, 200, o, NULL) : LB_ECORRUPT;
}

struct followup_arg {
    uint64_t if_match;
    int year;
};

/* The plan's action codes, for collaboration. */
static int action_codes(lb_txn *t, json_t **out)
{
    lb_id ids[500];
    json_t *codes = json_array();
    struct lb_page pg = {.after = 0, .limit = 500, .ids = ids};
    int rc = codes ? 0 : LB_ENOMEM;
    while (rc == 0) {
        pg.count = 0;
        pg.next = 0;
        if ((rc = lb_plan_action_list(t, &pg)))
            break;
        for (size_t i = 0; rc == 0 && i < pg.count; i++) {
            struct lb_plan_action a = {0};
            rc = lb_plan_action_get(t, ids[i], &a);
            if (rc == 0 && json_array_append_new(codes, json_string(a.code)))
                rc = LB_ENOMEM;
            lb_plan_action_clear(&a);
        }
        if (!pg.next)
            break;
        pg.after = pg.next;
    }
    if (rc)
        json_decref(codes);
    else
        *out = codes;
    return rc;
}

/* Whether the caller may write the action's follow-up: admin and lots; a
 * handler when the action's units include one of theirs. */
static bool may_follow_up(const struct lb_api_req *r, const json_t *action)
{
    if (r->user.role != LB_ROLE_HANDLER)
        return true;
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(action, "units"), i, u)
    {
        if (api_unit_allowed(r, json_string_value(u)))
            return true;
    }
    return false;
}

static int op_followup_put(lb_txn *t, struct lb_api_req *r)
{
    struct followup_arg *arg = r->arg;
    struct lb_plan_header h = {0};
    struct lb_plan_action a = {0};
    struct lb_plan_followup old = {0}, rec = {0};
    json_t *header = NULL, *action = NULL, *codes = NULL, *doc = NULL, *olddoc = NULL;
    struct lb_plan_err err = {0};
    int rc = lb_plan_header_get(t, &h);
    if (rc == 0 && !(header = json_loads(h.json, 0, NULL)))
        rc = LB_ECORRUPT;
    if (rc == 0)
        rc = lb_plan_action_by_code(t, r->params[0], &a);
    if (rc == 0 && !(action = json_loads(a.json, 0, NULL)))
        rc = LB_ECORRUPT;
    if (rc)
        goto out;
    if (!may_follow_up(r, action)) {
        rc = api_fail(r, 403, "forbidden", NULL,
                      "a handler follows up the actions their units are responsible for");
        goto out;
    }
    json_t *period = json_object_get(header, "period");
    if (arg->year < json_integer_value(json_object_get(period, "from")) ||
        arg->year > json_integer_value(json_object_get(period, "to"))) {
        rc = api_fail(r, 422, "year_outside_plan", "year", "%d is outside the plan's period",
                      arg->year);
        goto out;
    }
    if ((rc = action_codes(t, &codes)))
        goto out;
    if (!(doc = json_deep_copy(r->body))) {
        rc = LB_ENOMEM;
        goto out;
    }
    if (lb_plan_check_followup(doc, action, arg->year, codes, &err) != 0) {
        rc = err.code ? plan_fail(r, &err) : LB_ENOMEM;
        goto out;
    }
    rc = lb_plan_followup_get(t, a.code, arg->year, &old);
    if (rc == 0 && !(olddoc = json_loads(old.json, 0, NULL)))
        rc = LB_ECORRUPT;
    bool created = rc == LB_ENOTFOUND;
    if (rc && !created)
        goto out;
    if ((rc = lb_plan_followup_stamp(doc, olddoc, r->ctx.actor, r->ctx.now)))
        goto out;
    snprintf(rec.code, sizeof rec.code, "%s", a.code);
    rec.year = (uint16_t)arg->year;
    if (!(rec.json = lb_plan_dump(doc))) {
        rc = LB_ENOMEM;
        goto out;
    }
    if ((rc = lb_plan_followup_put(t, &r->ctx, &rec, arg->if_match)))
        goto out;
    json_t *o = followup_json(&rec);
    char loc[96];
    snprintf(loc, sizeof loc, "/api/v1/plan/actions/%s/followups/%d", rec.code, arg->year);
    rc = o ? api_answer(r, created ? 201 : 200, o, created ? loc : NULL) : LB_ENOMEM;
out:
    json_decref(header);
    json_decref(action);
    json_decref(codes);
    json_decref(doc);
    json_decref(olddoc);
    lb_plan_header_clear(&h);
    lb_plan_action_clear(&a);
    lb_plan_followup_clear(&old);
    lb_plan_followup_clear(&rec);
    return rc;
}

int api_plan_followup_put(struct lb_api_req *r, lb_txn *t)
{
    int year;
    int rc = path_year(r, &year);
    if (rc)
        return rc;
    struct lb_plan_action a = {0};
    rc = lb_plan_action_by_code(t, r->params[0], &a);
    lb_plan_action_clear(&a);
    if (rc)
        return rc;
    if (!json_is_object(r->body))
        return api_fail(r, 422, "invalid_field", NULL, "the body must be a JSON object");
    struct followup_arg *arg = calloc(1, sizeof *arg);
    if (!arg)
        return LB_ENOMEM;
    arg->year = year;
    if ((rc = api_if_match(r, &arg->if_match))) {
        free(arg);
        return rc;
    }
    return api_queue(r, op_followup_put, arg, free);
}

/* --- GET /plan/indicators/{id}/values ---------------------------------------- */

/* Parses from/to into the periods between them (inclusive). */
static int query_periods(struct lb_api_req *r, const struct api_plan *p, char periods[][8],
                         size_t *n)
{
    char from[16] = "", to[16] = "";
    int rf = api_query(r, "from", from, sizeof from);
    if (rf < 0)
        return rf;
    int rt = api_query(r, "to", to, sizeof to);
    if (rt < 0)
        return rt;
    json_t *period = json_object_get(p->header, "period");
    if (rf == 0)
        snprintf(from, sizeof from, "%d", (int)json_integer_value(json_object_get(period, "from")));
    if (rt == 0)
        snprintf(to, sizeof to, "%d", (int)json_integer_value(json_object_get(period, "to")));
    int fy, fq, ty, tq;
    if (lb_plan_period_parse(from, &fy, &fq) != 0)
        return api_fail(r, 400, "bad_query", "from", "from must be YYYY or YYYY-Qn");
    if (lb_plan_period_parse(to, &ty, &tq) != 0)
        return api_fail(r, 400, "bad_query", "to", "to must be YYYY or YYYY-Qn");
    if ((fq == 0) != (tq == 0))
        return api_fail(r, 400, "bad_query", "to", "from and to must both be years or quarters");
    long first = fq ? fy * 4L + fq - 1 : fy, last = tq ? ty * 4L + tq - 1 : ty;
    if (last < first)
        return api_fail(r, 400, "bad_query", "to", "to is before from");
    if (last - first + 1 > PERIODS_MAX)
        return api_fail(r, 400, "bad_query", "to", "at most %d periods", PERIODS_MAX);
    *n = 0;
    for (long x = first; x <= last; x++) {
        if (fq)
            lb_quarter_format((int)(x / 4), (int)(x % 4) + 1, periods[*n]);
        else
            snprintf(periods[*n], 8, "%04d", (int)(x % 10000));
        (*n)++;
    }
    return 0;
}

int api_plan_values(struct lb_api_req *r, lb_txn *t)
{
    const char *id = r->params[0];
    const char *dash = strrchr(id, '-');
    char code[LB_PLAN_CODE_MAX + 1];
    if (!dash || (size_t)(dash - id) > LB_PLAN_CODE_MAX || dash == id)
        return LB_ENOTFOUND;
    memcpy(code, id, (size_t)(dash - id));
    code[dash - id] = '\0';
    struct api_plan p;
    int rc = api_plan_load(t, true, &p);
    if (rc == LB_ENOTFOUND)
        return not_loaded(r);
    if (rc)
        return rc;
    const json_t *a = find_action(&p, code);
    const json_t *ind = a ? lb_plan_indicator(a, id) : NULL;
    char periods[PERIODS_MAX][8];
    size_t n = 0;
    json_t *items = NULL;
    if (!ind)
        rc = LB_ENOTFOUND;
    if (rc == 0)
        rc = query_periods(r, &p, periods, &n);
    if (rc == 0)
        rc = indicator_items(t, &p, a, ind, periods, n, &items);
    json_t *out = NULL;
    if (rc == 0) {
        json_t *def = json_deep_copy(ind);
        if (def)
            json_object_set(def, "action", json_object_get(a, "code"));
        out = json_pack("{s:o*,s:o}", "indicator", def, "items", items);
        rc = out ? 0 : LB_ENOMEM;
    }
    api_plan_free(&p);
    return rc ? rc : api_answer(r, 200, out, NULL);
}
