/* api_indicators.c: the quarterly and yearly indicators and the arbetsgrupp's report.
 *
 * PUT /indicators/{period} (service; "2026-Q1" or "2026") stores the snapshot
 * the worker computed (indicators.h) through the group commit: the live
 * document, and the published one the worker sends beside it under
 * "published" when the period holds the open quarter; lb_snapshot_put appends
 * the event indicators.updated. GET /indicators?quarter= or ?year= returns the
 * stored document as it was put: the live one to lots, admin and service, the
 * published one to viewers and handlers (docs/indicators.md, "The open
 * quarter"). GET /reports/quarterly?quarter=&format= (all roles) loads the
 * published documents of the quarter and the seven before it (missing ones
 * allowed) and the improvement actions, and renders them with
 * lb_report_render (report.h): JSON, CSV for a Swedish Excel (an attachment)
 * or one HTML page served with the report's own hash-based CSP; format=xlsx
 * is the JSON document as a workbook (quarterly_xlsx.c, an attachment). The report
 * receives only snapshots and improvement actions, so it cannot contain
 * personal data. A period without a snapshot is 404 not_computed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/api.h"
#include "lotsbok/error.h"
#include "lotsbok/indicators.h"
#include "lotsbok/report.h"
#include "lotsbok/timeutil.h"

#define IMPROVEMENTS_MAX 10000 /* improvement actions a report lists at most */

/* Checks a quarter string "YYYY-Qn" strictly (7 characters). */
static bool quarter_ok(const char *s, int *year, int *quarter)
{
    return strlen(s) == 7 && s[4] == '-' && s[5] == 'Q' && lb_quarter_parse(s, year, quarter) == 0;
}

/* Checks a year string "YYYY" strictly (1900..2199, the accumulator's range). */
static bool year_ok(const char *s, int *year)
{
    if (strlen(s) != 4 || strspn(s, "0123456789") != 4)
        return false;
    *year = atoi(s);
    return *year >= 1900 && *year <= 2199;
}

/* The document a role reads: the published one for viewers and handlers
 * (and every report), the live one for the others. */
static bool reads_published(const struct lb_api_req *r)
{
    return r->user.role == LB_ROLE_VIEWER || r->user.role == LB_ROLE_HANDLER;
}

/* The query parameter quarter: 0 with buf filled, or a negative value after
 * api_fail (400 bad_query when absent or malformed). */
static int query_quarter(struct lb_api_req *r, char *buf, size_t len, int *year, int *quarter)
{
    int rc = api_query(r, "quarter", buf, len);
    if (rc < 0)
        return rc;
    if (rc == 0 || !quarter_ok(buf, year, quarter))
        return api_fail(r, 400, "bad_query", "quarter", "quarter must be YYYY-Qn");
    return 0;
}

static int not_computed(struct lb_api_req *r, const char *quarter)
{
    return api_fail(r, 404, "not_computed", "quarter", "no indicators computed for %s", quarter);
}

/* --- PUT /indicators/{quarter} ----------------------------------------------------- */

struct snapshot_arg {
    char quarter[8];
    bool is_year;
    uint64_t source_seq;
    char *json, *json_public;
};

static void snapshot_arg_free(void *p)
{
    struct snapshot_arg *a = p;
    free(a->json);
    free(a->json_public);
    free(a);
}

static int op_snapshot_put(lb_txn *t, struct lb_api_req *r)
{
    struct snapshot_arg *a = r->arg;
    struct lb_snapshot s = {0};
    memcpy(s.quarter, a->quarter, sizeof s.quarter);
    s.source_seq = a->source_seq;
    s.json = a->json;
    s.json_public = a->json_public;
    int rc = lb_snapshot_put(t, &r->ctx, &s);
    if (rc != 0)
        return rc;
    json_t *o = json_object();
    if (!o)
        return LB_ENOMEM;
    json_object_set_new(o, a->is_year ? "year" : "quarter", json_string(a->quarter));
    json_object_set_new(o, "source_seq", json_integer((json_int_t)a->source_seq));
    json_object_set_new(o, "version", json_integer((json_int_t)s.meta.version));
    return api_answer(r, 200, o, NULL);
}

/* A document of the PUT body names its period under "quarter" or "year" as
 * the path does; 0 or a negative value after api_fail. */
static int period_matches(struct lb_api_req *r, const json_t *doc, bool is_year, const char *field)
{
    const char *key = is_year ? "year" : "quarter";
    json_t *p = json_object_get(doc, key);
    if (!json_is_string(p) || strcmp(json_string_value(p), r->params[0]) != 0)
        return api_fail(r, 422, is_year ? "year_mismatch" : "quarter_mismatch", field,
                        "the snapshot's %s must be the path's", key);
    return 0;
}

int api_indicators_put(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    int year, quarter;
    bool is_year = strlen(r->params[0]) == 4;
    if (is_year ? !year_ok(r->params[0], &year) : !quarter_ok(r->params[0], &year, &quarter))
        return api_fail(r, 400, "bad_quarter", "quarter", "the period must be YYYY-Qn or YYYY");
    int rc = period_matches(r, r->body, is_year, is_year ? "year" : "quarter");
    if (rc != 0)
        return rc;
    json_t *seq = json_object_get(r->body, "source_seq");
    if (!json_is_integer(seq) || json_integer_value(seq) < 0)
        return api_fail(r, 422, "invalid_field", "source_seq",
                        "source_seq must be an unsigned integer");
    json_t *pub = json_object_get(r->body, "published");
    if (pub != NULL) {
        if (!json_is_object(pub))
            return api_fail(r, 422, "invalid_field", "published",
                            "published must be the snapshot viewers see");
        if ((rc = period_matches(r, pub, is_year, "published")) != 0)
            return rc;
    }
    struct snapshot_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    memcpy(a->quarter, r->params[0], strlen(r->params[0]) + 1);
    a->is_year = is_year;
    a->source_seq = (uint64_t)json_integer_value(seq);
    if (pub != NULL) {
        a->json_public = json_dumps(pub, JSON_COMPACT | LB_IND_JSON_REAL);
        json_t *live = json_copy(r->body); /* shallow: the members are shared, not changed */
        if (live != NULL && json_object_del(live, "published") == 0)
            a->json = json_dumps(live, JSON_COMPACT | LB_IND_JSON_REAL);
        json_decref(live);
    } else {
        a->json = json_dumps(r->body, JSON_COMPACT | LB_IND_JSON_REAL);
    }
    if (!a->json || (pub != NULL && !a->json_public)) {
        snapshot_arg_free(a);
        return LB_ENOMEM;
    }
    return api_queue(r, op_snapshot_put, a, snapshot_arg_free);
}

/* --- GET /indicators ------------------------------------------------------------------- */

int api_indicators_get(struct lb_api_req *r, lb_txn *t)
{
    char q[16], y[16];
    int year, quarter;
    int hq = api_query(r, "quarter", q, sizeof q), hy = api_query(r, "year", y, sizeof y);
    if (hq < 0)
        return hq;
    if (hy < 0)
        return hy;
    if (hq == 1 && hy == 1)
        return api_fail(r, 400, "bad_query", "year", "give quarter or year, not both");
    int rc;
    if (hy == 1) {
        if (!year_ok(y, &year))
            return api_fail(r, 400, "bad_query", "year", "year must be YYYY");
        memcpy(q, y, sizeof q);
    } else if ((rc = query_quarter(r, q, sizeof q, &year, &quarter)) != 0) {
        return rc;
    }
    struct lb_snapshot s = {0};
    rc = lb_snapshot_get(t, q, &s);
    if (rc == LB_ENOTFOUND)
        return api_fail(r, 404, "not_computed", hy == 1 ? "year" : "quarter",
                        "no indicators computed for %s", q);
    if (rc != 0)
        return rc;
    /* The stored document is served as it was put (already compact JSON). */
    char **doc = reads_published(r) && s.json_public ? &s.json_public : &s.json;
    free(r->resp_body);
    r->resp_body = *doc;
    *doc = NULL;
    lb_snapshot_clear(&s);
    r->status = 200;
    return 0;
}

/* --- GET /reports/quarterly ------------------------------------------------------------- */

struct report_data {
    json_t *snapshots[LB_REPORT_QUARTERS];
    struct lb_improvement *improvements;
    size_t nimprovements;
};

static void report_data_free(struct report_data *d)
{
    for (size_t i = 0; i < LB_REPORT_QUARTERS; i++)
        json_decref(d->snapshots[i]);
    for (size_t i = 0; i < d->nimprovements; i++)
        lb_improvement_clear(&d->improvements[i]);
    free(d->improvements);
}

/* Loads the quarter's snapshot and the seven before it (NULL where none or
 * unreadable) and every improvement action. *found says whether the quarter
 * itself has one. */
static int report_load(lb_txn *t, int year, int quarter, struct report_data *d, bool *found)
{
    *found = false;
    for (int back = 0; back < LB_REPORT_QUARTERS; back++) {
        int y, q;
        char name[8];
        lb_report_quarter_back(year, quarter, back, &y, &q);
        lb_quarter_format(y, q, name);
        struct lb_snapshot s = {0};
        int rc = lb_snapshot_get(t, name, &s);
        if (rc == LB_ENOTFOUND)
            continue;
        if (rc != 0)
            return rc;
        /* Reports show what viewers see: the published document. */
        json_error_t jerr;
        d->snapshots[LB_REPORT_QUARTERS - 1 - back] =
            json_loads(s.json_public ? s.json_public : s.json, 0, &jerr);
        lb_snapshot_clear(&s);
        if (back == 0)
            *found = d->snapshots[LB_REPORT_QUARTERS - 1] != NULL;
    }
    lb_id ids[500];
    struct lb_page p = {.after = 0, .limit = 500, .ids = ids};
    size_t cap = 0;
    for (;;) {
        p.count = 0;
        p.next = 0;
        int rc = lb_improvement_list(t, &p);
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < p.count && d->nimprovements < IMPROVEMENTS_MAX; i++) {
            if (d->nimprovements == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                struct lb_improvement *m = realloc(d->improvements, ncap * sizeof *m);
                if (!m)
                    return LB_ENOMEM;
                d->improvements = m;
                cap = ncap;
            }
            struct lb_improvement *m = &d->improvements[d->nimprovements];
            memset(m, 0, sizeof *m);
            rc = lb_improvement_get(t, ids[i], m);
            if (rc == LB_ENOTFOUND)
                continue;
            if (rc != 0)
                return rc;
            d->nimprovements++;
        }
        if (p.next == 0 || d->nimprovements >= IMPROVEMENTS_MAX)
            break;
        p.after = p.next;
    }
    return 0;
}

int api_report_get(struct lb_api_req *r, lb_txn *t)
{
    char q[16], fmt_s[16];
    int year, quarter;
    int rc = query_quarter(r, q, sizeof q, &year, &quarter);
    if (rc != 0)
        return rc;
    enum lb_report_format fmt = LB_REPORT_JSON;
    rc = api_query(r, "format", fmt_s, sizeof fmt_s);
    if (rc < 0)
        return rc;
    bool xlsx = rc == 1 && strcmp(fmt_s, "xlsx") == 0;
    if (rc == 1 && !xlsx && lb_report_format_from_str(fmt_s, &fmt) != 0)
        return api_fail(r, 400, "bad_query", "format", "format must be json, csv, html or xlsx");
    struct report_data d = {0};
    bool found;
    rc = report_load(t, year, quarter, &d, &found);
    if (rc == 0 && !found)
        rc = not_computed(r, q);
    char *out = NULL;
    size_t len = 0;
    if (rc == 0) {
        struct lb_report_input in = {.year = year,
                                     .quarter = quarter,
                                     .improvements = d.improvements,
                                     .nimprovements = d.nimprovements,
                                     .units = api_units(r),
                                     .generated_at = r->ctx.now};
        for (size_t i = 0; i < LB_REPORT_QUARTERS; i++)
            in.snapshots[i] = d.snapshots[i];
        if (xlsx) {
            json_t *doc = NULL;
            rc = lb_report_json(&in, &doc);
            if (rc == 0)
                rc = api_quarterly_xlsx(doc, &out, &len);
            json_decref(doc);
        } else {
            rc = lb_report_render(&in, fmt, &out, &len);
        }
    }
    report_data_free(&d);
    if (rc != 0)
        return rc;
    free(r->resp_body);
    r->resp_body = out;
    r->resp_len = len;
    r->content_type = xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                           : lb_report_content_type(fmt);
    r->status = 200;
    if (fmt == LB_REPORT_HTML) {
        char csp[384];
        rc = lb_report_html_csp(csp, sizeof csp);
        if (rc != 0)
            return rc;
        snprintf(r->extra_headers, sizeof r->extra_headers, "Content-Security-Policy: %s\r\n", csp);
    } else if (fmt == LB_REPORT_CSV || xlsx) {
        snprintf(r->extra_headers, sizeof r->extra_headers,
                 "Content-Disposition: attachment; filename=\"kvartalsrapport-%s.%s\"\r\n", q,
                 xlsx ? "xlsx" : "csv");
    }
    return 0;
}
