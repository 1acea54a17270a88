/* api_annual.c: GET /reports/annual?year=YYYY&format=json|csv|html|xlsx, the
 * action plan's annual report to kommunstyrelsen (DESIGN.md "The action plan
 * and its annual follow-up", docs/plan.md "The annual report").
 *
 * In the request's read transaction it loads the plan and every follow-up
 * (api_plan_load), the worker's published snapshots of the plan's years up
 * to the report year and of the report year's quarters, and the improvement
 * actions; lb_annual_json builds the document, lb_annual_render the CSV and
 * HTML, api_annual_xlsx the workbook. Every role may read it: it holds no
 * personal data (annual.h). `year` defaults to the current year within the
 * plan's period. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/annual.h"
#include "lotsbok/calendar.h"
#include "lotsbok/timeutil.h"
#include "lotsbok/api.h"
#include "lotsbok/error.h"
#include "lotsbok/plan.h"

#define IMPROVEMENTS_MAX 100000 /* improvement actions read at most */

struct annual_data {
    struct api_plan plan;
    json_t *snapshots, *meetings;
    struct lb_improvement *improvements;
    size_t nimprovements, cap;
};

static void data_free(struct annual_data *d)
{
    api_plan_free(&d->plan);
    json_decref(d->snapshots);
    json_decref(d->meetings);
    for (size_t i = 0; i < d->nimprovements; i++)
        lb_improvement_clear(&d->improvements[i]);
    free(d->improvements);
}

/* Adds the published snapshot of a period (json_public, else json) when there is one. */
static int add_snapshot(lb_txn *t, json_t *snapshots, const char *period)
{
    struct lb_snapshot s = {0};
    int rc = lb_snapshot_get(t, period, &s);
    if (rc == LB_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    json_t *doc = json_loads(s.json_public ? s.json_public : s.json, 0, NULL);
    lb_snapshot_clear(&s);
    if (json_is_object(doc))
        return json_object_set_new(snapshots, period, doc) ? LB_ENOMEM : 0;
    json_decref(doc);
    return 0; /* an unreadable snapshot is shown as not computed */
}

/* Adds lotsd's meeting figures of a period that has begun (api_meeting_figures),
 * as the values route reads them for the meeting sources. */
static int add_meetings(lb_txn *t, json_t *meetings, const char *period, lb_date first, lb_time now)
{
    if (first > lb_stockholm_date(now))
        return 0;
    json_t *fig = NULL;
    int rc = api_meeting_figures(t, period, now, &fig);
    if (rc)
        return rc;
    return json_object_set_new(meetings, period, fig) ? LB_ENOMEM : 0;
}

static int load_improvements(lb_txn *t, struct annual_data *d)
{
    lb_id ids[500];
    struct lb_page p = {.after = 0, .limit = 500, .ids = ids};
    for (;;) {
        p.count = 0;
        p.next = 0;
        int rc = lb_improvement_list(t, &p);
        if (rc)
            return rc;
        for (size_t i = 0; i < p.count && d->nimprovements < IMPROVEMENTS_MAX; i++) {
            if (d->nimprovements == d->cap) {
                size_t ncap = d->cap ? d->cap * 2 : 64;
                struct lb_improvement *m = realloc(d->improvements, ncap * sizeof *m);
                if (!m)
                    return LB_ENOMEM;
                d->improvements = m;
                d->cap = ncap;
            }
            struct lb_improvement *m = &d->improvements[d->nimprovements];
            memset(m, 0, sizeof *m);
            rc = lb_improvement_get(t, ids[i], m);
            if (rc == LB_ENOTFOUND)
                continue;
            if (rc)
                return rc;
            d->nimprovements++;
        }
        if (p.next == 0 || d->nimprovements >= IMPROVEMENTS_MAX)
            return 0;
        p.after = p.next;
    }
}

int api_report_annual(struct lb_api_req *r, lb_txn *t)
{
    char buf[16];
    enum lb_annual_format fmt = LB_ANNUAL_JSON;
    int rc = api_query(r, "format", buf, sizeof buf);
    if (rc < 0)
        return rc;
    if (rc == 1 && lb_annual_format_from_str(buf, &fmt) != 0)
        return api_fail(r, 400, "bad_query", "format", "format must be json, csv, html or xlsx");
    int year = 0, y, q;
    rc = api_query(r, "year", buf, sizeof buf);
    if (rc < 0)
        return rc;
    if (rc == 1 && (lb_plan_period_parse(buf, &y, &q) != 0 || q != 0))
        return api_fail(r, 400, "bad_query", "year", "year must be YYYY");
    if (rc == 1)
        year = y;

    struct annual_data d = {0};
    rc = api_plan_load(t, true, &d.plan);
    if (rc == LB_ENOTFOUND)
        return api_fail(r, 404, "plan_not_loaded", NULL,
                        "no action plan is loaded (lotsd plan load --data DIR FILE)");
    if (rc)
        return rc;
    json_t *period = json_object_get(d.plan.header, "period");
    int from = (int)json_integer_value(json_object_get(period, "from"));
    int to = (int)json_integer_value(json_object_get(period, "to"));
    if (year == 0)
        year = api_plan_year(&d.plan, r->ctx.now);
    if (year < from || year > to) {
        data_free(&d);
        return api_fail(r, 400, "year_outside_plan", "year", "the plan runs from %d to %d", from,
                        to);
    }
    d.snapshots = json_object();
    rc = d.snapshots ? 0 : LB_ENOMEM;
    char name[16];
    d.meetings = json_object();
    if (rc == 0 && !d.meetings)
        rc = LB_ENOMEM;
    for (int yy = from; rc == 0 && yy <= year; yy++) {
        snprintf(name, sizeof name, "%04d", yy % 10000);
        rc = add_snapshot(t, d.snapshots, name);
        if (rc == 0)
            rc = add_meetings(t, d.meetings, name, lb_date_from_ymd(yy, 1, 1), r->ctx.now);
    }
    for (int qq = 1; rc == 0 && qq <= 4; qq++) {
        lb_date first, last;
        snprintf(name, sizeof name, "%04d-Q%d", year % 10000, qq);
        lb_quarter_range(year, qq, &first, &last);
        rc = add_snapshot(t, d.snapshots, name);
        if (rc == 0)
            rc = add_meetings(t, d.meetings, name, first, r->ctx.now);
    }
    if (rc == 0)
        rc = load_improvements(t, &d);
    json_t *doc = NULL;
    if (rc == 0) {
        struct lb_annual_input in = {.year = year,
                                     .header = d.plan.header,
                                     .actions = d.plan.actions,
                                     .followups = d.plan.followups,
                                     .snapshots = d.snapshots,
                                     .meetings = d.meetings,
                                     .improvements = d.improvements,
                                     .nimprovements = d.nimprovements,
                                     .units = api_units(r),
                                     .generated_at = r->ctx.now};
        rc = lb_annual_json(&in, &doc);
    }
    data_free(&d);
    if (rc)
        return rc;
    if (fmt == LB_ANNUAL_JSON)
        return api_answer(r, 200, doc, NULL);
    char *out = NULL;
    size_t len = 0;
    rc = fmt == LB_ANNUAL_XLSX ? api_annual_xlsx(doc, &out, &len)
                               : lb_annual_render(doc, fmt, &out, &len);
    json_decref(doc);
    if (rc)
        return rc;
    free(r->resp_body);
    r->resp_body = out;
    r->resp_len = len;
    r->content_type = lb_annual_content_type(fmt);
    r->status = 200;
    if (fmt == LB_ANNUAL_HTML) {
        char csp[384];
        rc = lb_annual_html_csp(csp, sizeof csp);
        if (rc)
            return rc;
        snprintf(r->extra_headers, sizeof r->extra_headers, "Content-Security-Policy: %s\r\n", csp);
    } else {
        const char *ext = fmt == LB_ANNUAL_XLSX ? "xlsx" : "csv";
        snprintf(r->extra_headers, sizeof r->extra_headers,
                 "Content-Disposition: attachment; filename=\"arsrapport-%d.%s\"; "
                 "filename*=UTF-8''%%C3%%A5rsrapport-%d.%s\r\n",
                 year, ext, year, ext);
    }
    return 0;
}
