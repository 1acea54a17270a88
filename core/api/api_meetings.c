/* api_meetings.c: meetings, trainings and their evaluations (DESIGN.md
 * "Meetings, trainings and their evaluations", docs/meetings.md).
 *
 *   GET, POST /meetings          list (?kind=&year=&company_id=) and create
 *   GET, PATCH /meetings/{id}    one meeting; PATCH honours If-Match
 *   PUT /meetings/{id}/attendance {"companies": [{company_id, persons}],
 *                                  "staff": [{unit, count}]}
 *   POST /meetings/{id}/evaluations {relevant?, knowledge?, comment?,
 *                                  company_id?}: a paper form typed in
 *   GET /meetings/{id}/sheet     the printable A4 page with the QR code of the
 *                                  evaluation link (libqrencode, inline SVG);
 *                                  ?format=svg for the code alone
 *
 * Who sees what: admin and lots see everything (the companies by name, the
 * items' and notes' text, the comments, the link). Handlers and viewers see
 * a meeting's kind, title, time, place, organiser, actions, the counts
 * (companies, participants, items per type) and the evaluation summary under
 * the n >= 7 rule: never a company, a person, an item's text or a comment. */
#include <qrencode.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/api.h"
#include "lotsbok/auth.h"
#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/meeting.h"
#include "lotsbok/timeutil.h"

#define COMMENTS_MAX 500 /* comments shown on a meeting, newest last */

static bool full_view(const struct lb_api_req *r)
{
    return r->user.role == LB_ROLE_ADMIN || r->user.role == LB_ROLE_LOTS;
}

/* PUBLIC_BASE/enkat/TOKEN: --public-base, else the request's Host. */
static void eval_link(const struct lb_api_req *r, const struct lb_meeting *m, char *buf, size_t len)
{
    const char *base = api_config(r)->public_base;
    char host_base[300];
    if (!base || !*base) {
        const char *host = lb_http_req_header(r->http, "Host");
        bool ok = host && *host && strlen(host) < 256 &&
                  strspn(host, "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789.-:[]") == strlen(host);
        snprintf(host_base, sizeof host_base, "http://%s", ok ? host : "localhost");
        base = host_base;
    }
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    snprintf(buf, len, "%.*s/enkat/%s", (int)bl, base, m->eval_token ? m->eval_token : "");
}

static json_t *items_counts(const struct lb_meeting *m)
{
    json_t *o = json_object();
    for (int t = 0; o && t < LB_MEETING_ITEM_TYPE_COUNT; t++) {
        json_int_t n = 0;
        for (uint32_t i = 0; i < m->nitems; i++)
            n += m->items[i].type == (enum lb_meeting_item_type)t;
        json_object_set_new(o, lb_meeting_item_type_str((enum lb_meeting_item_type)t),
                            json_integer(n));
    }
    return o;
}

/* The comments of the meeting's evaluations, oldest first (full view). */
static int comments_json(lb_txn *t, lb_id id, json_t **out)
{
    json_t *a = json_array();
    lb_id ids[256];
    struct lb_page p = {.after = 0, .limit = 256, .ids = ids};
    int rc = a ? 0 : LB_ENOMEM;
    while (rc == 0) {
        if ((rc = lb_meeting_eval_list(t, id, &p)))
            break;
        for (size_t i = 0; rc == 0 && i < p.count && json_array_size(a) < COMMENTS_MAX; i++) {
            struct lb_meeting_eval e = {0};
            if ((rc = lb_meeting_eval_get(t, ids[i], &e)))
                break;
            if (e.comment && e.comment[0]) {
                json_t *c = json_object();
                api_json_time(c, "at", e.meta.created_at);
                api_json_str(c, "text", e.comment);
                json_object_set_new(c, "paper", json_boolean(e.paper));
                json_array_append_new(a, c);
            }
            lb_meeting_eval_clear(&e);
        }
        if (!p.next || json_array_size(a) >= COMMENTS_MAX)
            break;
        p.after = p.next;
    }
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return 0;
}

/* The meeting as the caller may see it; detail adds attendance, items and
 * comments (the meeting page) to what a list row shows. */
static int meeting_json(struct lb_api_req *r, lb_txn *t, const struct lb_meeting *m, bool detail,
                        json_t **out)
{
    bool full = full_view(r);
    json_t *o = json_object();
    if (!o)
        return LB_ENOMEM;
    api_json_meta(o, &m->meta);
    json_object_set_new(o, "kind", json_string(lb_meeting_kind_str(m->kind)));
    api_json_str(o, "title", m->title);
    api_json_time(o, "starts_at", m->starts_at);
    api_json_str(o, "place", m->place);
    api_json_str(o, "unit", m->unit);
    json_t *acts = json_array();
    for (uint32_t i = 0; acts && i < m->nactions; i++)
        json_array_append_new(acts, json_string(m->actions[i]));
    json_object_set_new(o, "actions", acts);
    json_object_set_new(o, "items_count", items_counts(m));
    json_object_set_new(o, "companies_count", json_integer(m->ncompanies));
    json_object_set_new(o, "participants", json_integer(lb_meeting_participants(m)));
    struct lb_meeting_tally tally;
    int rc = lb_meeting_eval_summary(t, m->meta.id, &tally);
    if (rc) {
        json_decref(o);
        return rc;
    }
    json_object_set_new(o, "evaluation", lb_meeting_tally_json(&tally));
    json_t *staff = json_array();
    for (uint32_t i = 0; staff && i < m->nstaff; i++)
        json_array_append_new(staff, json_pack("{s:s,s:i}", "unit", m->staff[i].unit, "count",
                                               (json_int_t)m->staff[i].count));
    json_object_set_new(o, "staff", staff);
    if (full) {
        char link[512];
        eval_link(r, m, link, sizeof link);
        json_object_set_new(o, "evaluation_link", json_string(link));
        api_json_time(o, "evaluation_link_expires_at", m->eval_expires_at);
    }
    if (full && detail) {
        api_json_str(o, "notes", m->notes);
        json_t *items = json_array();
        for (uint32_t i = 0; items && i < m->nitems; i++)
            json_array_append_new(items, json_pack("{s:s,s:s}", "type",
                                                   lb_meeting_item_type_str(m->items[i].type),
                                                   "text", m->items[i].text));
        json_object_set_new(o, "items", items);
        json_t *cos = json_array();
        for (uint32_t i = 0; rc == 0 && cos && i < m->ncompanies; i++) {
            struct lb_company c = {0};
            rc = lb_company_get(t, m->companies[i].company_id, &c);
            if (rc == LB_ENOTFOUND) {
                rc = 0;
                continue;
            }
            if (rc == 0)
                json_array_append_new(cos, json_pack("{s:I,s:s,s:s,s:i}", "company_id",
                                                     (json_int_t)c.meta.id, "name", c.name, "orgnr",
                                                     c.orgnr, "persons",
                                                     (json_int_t)m->companies[i].persons));
            lb_company_clear(&c);
        }
        json_object_set_new(o, "companies", cos);
        json_t *comments = NULL;
        if (rc == 0 && (rc = comments_json(t, m->meta.id, &comments)) == 0)
            json_object_set_new(o, "comments", comments);
    }
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

static int meeting_answer(struct lb_api_req *r, lb_txn *t, const struct lb_meeting *m, int status)
{
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/meetings/%llu", (unsigned long long)m->meta.id);
    json_t *j = NULL;
    int rc = meeting_json(r, t, m, true, &j);
    return rc ? rc : api_answer(r, status, j, status == 201 ? loc : NULL);
}

/* --- list ---------------------------------------------------------------------- */

int api_meeting_list(struct lb_api_req *r, lb_txn *t)
{
    lb_id ids[500];
    struct lb_page p;
    char buf[64];
    enum lb_meeting_kind kind = LB_MEETING_KIND_COUNT;
    long year = 0;
    lb_id company = 0;
    int rc = api_page(r, &p, ids);
    if (rc == 0 && (rc = api_query(r, "kind", buf, sizeof buf)) == 1)
        rc = lb_meeting_kind_from_str(buf, &kind) == 0
                 ? 0
                 : api_fail(r, 400, "bad_query", "kind", "kind: unknown meeting kind");
    if (rc == 0 && (rc = api_query(r, "year", buf, sizeof buf)) == 1) {
        char *end;
        year = strtol(buf, &end, 10);
        rc = *end || year < 1900 || year > 9999
                 ? api_fail(r, 400, "bad_query", "year", "year: YYYY")
                 : 0;
    }
    if (rc == 0 && (rc = api_query(r, "company_id", buf, sizeof buf)) == 1) {
        char *end;
        company = strtoull(buf, &end, 10);
        if (*end || company == 0)
            rc = api_fail(r, 400, "bad_query", "company_id", "company_id: a record id");
        else if (!full_view(r))
            rc = api_fail(r, 403, "forbidden", "company_id",
                          "who attended is shown to the lots function only");
        else
            rc = 0;
    }
    if (rc < 0)
        return rc;
    rc = company ? lb_meeting_list_company(t, company, &p) : lb_meeting_list(t, &p);
    if (rc != 0)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; rc == 0 && items && i < p.count; i++) {
        struct lb_meeting m = {0};
        rc = lb_meeting_get(t, ids[i], &m);
        if (rc == LB_ENOTFOUND) {
            rc = 0;
            continue;
        }
        int y = 0, q;
        if (rc == 0)
            lb_date_quarter(lb_stockholm_date(m.starts_at), &y, &q);
        json_t *j = NULL;
        if (rc == 0 && (kind == LB_MEETING_KIND_COUNT || m.kind == kind) && (!year || y == year) &&
            (rc = meeting_json(r, t, &m, false, &j)) == 0)
            json_array_append_new(items, j);
        lb_meeting_clear(&m);
    }
    if (rc) {
        json_decref(items);
        return rc;
    }
    return api_answer_list(r, items, p.next);
}

int api_meeting_get(struct lb_api_req *r, lb_txn *t)
{
    lb_id id;
    int rc = api_path_id(r, 0, &id);
    struct lb_meeting m = {0};
    if (rc == 0 && (rc = lb_meeting_get(t, id, &m)) == 0)
        rc = meeting_answer(r, t, &m, 200);
    lb_meeting_clear(&m);
    return rc;
}

/* --- create and update ------------------------------------------------------------- */

struct meeting_arg {
    lb_id id;
    uint64_t if_match;
    struct lb_meeting m; /* the validated fields */
    bool has[8];         /* PATCH: which keys were given (enum field) */
};

enum field { F_KIND, F_TITLE, F_STARTS, F_PLACE, F_UNIT, F_ACTIONS, F_NOTES, F_ITEMS };

static void meeting_arg_free(void *p)
{
    struct meeting_arg *a = p;
    lb_meeting_clear(&a->m);
    free(a);
}

/* An action code: "N.N" (digits), as the plan numbers its actions. */
static bool action_code_ok(const char *s)
{
    size_t n = strlen(s), dot = strcspn(s, ".");
    return n >= 3 && n <= 8 && dot > 0 && dot < n - 1 && strspn(s, "0123456789") == dot &&
           strspn(s + dot + 1, "0123456789") == n - dot - 1;
}

/* starts_at: RFC 3339 like every time, but a meeting may be planned ahead
 * (api_time refuses the future): 2000-01-01 .. 2100-01-01. */
static int starts_at(struct lb_api_req *r, json_t *b, bool required, lb_time *out)
{
    json_t *v = json_object_get(b, "starts_at");
    if (!v || json_is_null(v))
        return required ? api_fail(r, 422, "missing_field", "starts_at", "starts_at is required")
                        : 0;
    lb_time t;
    if (!json_is_string(v) || lb_time_parse_rfc3339(json_string_value(v), &t) != 0)
        return api_fail(r, 422, "invalid_time", "starts_at",
                        "starts_at: RFC 3339, e.g. 2026-03-12T07:30:00+01:00");
    if (t < 946684800000LL || t >= 4102444800000LL)
        return api_fail(r, 422, "out_of_range", "starts_at",
                        "starts_at must be from 2000-01-01 to 2099-12-31");
    *out = t;
    return 0;
}

static int validate(struct lb_api_req *r, struct meeting_arg *a, bool create)
{
    json_t *b = r->body;
    struct lb_meeting *m = &a->m;
    const char *s;
    bool present;
    int rc = api_str(r, b, "kind", create, 64, &s);
    a->has[F_KIND] = s != NULL;
    if (rc == 0 && s && lb_meeting_kind_from_str(s, &m->kind) != 0)
        rc = api_fail(r, 422, "invalid_enum", "kind", "kind: unknown value");
    if (rc == 0 && (rc = api_str(r, b, "title", create, LB_LIMIT_NAME, &s)) == 0 && s) {
        a->has[F_TITLE] = true;
        if (!*s)
            rc = api_fail(r, 422, "missing_field", "title", "title must not be empty");
        else
            rc = api_strdup(&m->title, s);
    }
    if (rc == 0 && !create && json_is_null(json_object_get(b, "title")))
        rc = api_fail(r, 422, "missing_field", "title", "title cannot be removed");
    m->starts_at = LB_TIME_NONE;
    if (rc == 0)
        rc = starts_at(r, b, create, &m->starts_at);
    a->has[F_STARTS] = m->starts_at != LB_TIME_NONE;
    if (rc == 0 && !create && json_is_null(json_object_get(b, "starts_at")))
        rc = api_fail(r, 422, "missing_field", "starts_at", "starts_at cannot be removed");
    if (rc == 0 && (rc = api_str(r, b, "place", false, LB_LIMIT_NAME, &s)) == 0) {
        a->has[F_PLACE] = json_object_get(b, "place") != NULL;
        if (s && *s)
            rc = api_strdup(&m->place, s);
    }
    if (rc == 0 && (rc = api_str(r, b, "unit", false, LB_UNIT_CODE_MAX, &s)) == 0) {
        a->has[F_UNIT] = json_object_get(b, "unit") != NULL;
        if (s && !lb_units_find(api_units(r), s))
            rc = api_fail(r, 422, "unknown_unit", "unit", "unit is not a configured unit");
        else if (s)
            rc = api_strdup(&m->unit, s);
    }
    if (rc == 0 && (rc = api_str(r, b, "notes", false, LB_LIMIT_TEXT, &s)) == 0) {
        a->has[F_NOTES] = json_object_get(b, "notes") != NULL;
        if (s && *s)
            rc = api_strdup(&m->notes, s);
    }
    json_t *acts = json_object_get(b, "actions");
    a->has[F_ACTIONS] = acts != NULL;
    if (rc == 0 && acts && !json_is_null(acts)) {
        size_t n = json_is_array(acts) ? json_array_size(acts) : 0;
        if (!json_is_array(acts))
            rc = api_fail(r, 422, "invalid_type", "actions", "actions: an array of plan codes");
        else if (n > LB_MEETING_ACTIONS_MAX)
            rc = api_fail(r, 422, "too_long", "actions", "at most %d actions",
                          LB_MEETING_ACTIONS_MAX);
        else if (n && !(m->actions = calloc(n, sizeof *m->actions)))
            rc = LB_ENOMEM;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            json_t *v = json_array_get(acts, i);
            if (!json_is_string(v) || !action_code_ok(json_string_value(v)))
                rc = api_fail(r, 422, "invalid_action", "actions",
                              "actions: plan codes such as \"6.2\"");
            for (size_t k = 0; rc == 0 && k < m->nactions; k++)
                if (strcmp(m->actions[k], json_string_value(v)) == 0)
                    rc = api_fail(r, 422, "duplicate", "actions", "an action given twice");
            if (rc == 0 && !(m->actions[m->nactions] = strdup(json_string_value(v))))
                rc = LB_ENOMEM;
            if (rc == 0)
                m->nactions++;
        }
    }
    json_t *items = json_object_get(b, "notes_items");
    a->has[F_ITEMS] = items != NULL;
    if (rc == 0 && items && !json_is_null(items)) {
        size_t n = json_is_array(items) ? json_array_size(items) : 0;
        if (!json_is_array(items))
            rc = api_fail(r, 422, "invalid_type", "notes_items",
                          "notes_items: an array of {type, text}");
        else if (n > LB_MEETING_ITEMS_MAX)
            rc = api_fail(r, 422, "too_long", "notes_items", "at most %d items",
                          LB_MEETING_ITEMS_MAX);
        else if (n && !(m->items = calloc(n, sizeof *m->items)))
            rc = LB_ENOMEM;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            json_t *it = json_array_get(items, i);
            const char *type = NULL, *text = NULL;
            if (!json_is_object(it))
                rc = api_fail(r, 422, "invalid_type", "notes_items", "an item is {type, text}");
            if (rc == 0)
                rc = api_str(r, it, "type", true, 32, &type);
            if (rc == 0 && lb_meeting_item_type_from_str(type, &m->items[i].type) != 0)
                rc = api_fail(r, 422, "invalid_enum", "notes_items.type",
                              "type: need, proposal or input");
            if (rc == 0)
                rc = api_str(r, it, "text", true, LB_LIMIT_TEXT, &text);
            if (rc == 0 && !*text)
                rc = api_fail(r, 422, "missing_field", "notes_items.text", "text is empty");
            if (rc == 0 && !(m->items[i].text = strdup(text)))
                rc = LB_ENOMEM;
            if (rc == 0)
                m->nitems++;
        }
    }
    (void)present;
    return rc;
}

static int op_meeting_create(lb_txn *t, struct lb_api_req *r)
{
    struct meeting_arg *a = r->arg;
    int rc = lb_meeting_create(t, &r->ctx, &a->m);
    return rc ? rc : meeting_answer(r, t, &a->m, 201);
}

int api_meeting_create(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    struct meeting_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    int rc = validate(r, a, true);
    char tok[LB_TOKEN_LEN + 1];
    if (rc == 0 && (rc = lb_token_new(tok, a->m.eval_hash)) == 0 &&
        !(a->m.eval_token = strdup(tok)))
        rc = LB_ENOMEM;
    sodium_memzero(tok, sizeof tok);
    if (rc != 0) {
        meeting_arg_free(a);
        return rc;
    }
    return api_queue(r, op_meeting_create, a, meeting_arg_free);
}

/* Moves *from into *to when the key was given (PATCH). */
#define TAKE(field)                                                                                \
    do {                                                                                           \
        free(cur.field);                                                                           \
        cur.field = a->m.field;                                                                    \
        a->m.field = NULL;                                                                         \
    } while (0)

static int op_meeting_update(lb_txn *t, struct lb_api_req *r)
{
    struct meeting_arg *a = r->arg;
    struct lb_meeting cur = {0};
    int rc = lb_meeting_get(t, a->id, &cur);
    if (rc) {
        lb_meeting_clear(&cur);
        return rc;
    }
    if (a->has[F_KIND])
        cur.kind = a->m.kind;
    if (a->has[F_TITLE])
        TAKE(title);
    if (a->has[F_STARTS])
        cur.starts_at = a->m.starts_at;
    if (a->has[F_PLACE])
        TAKE(place);
    if (a->has[F_UNIT])
        TAKE(unit);
    if (a->has[F_NOTES])
        TAKE(notes);
    if (a->has[F_ACTIONS]) {
        for (uint32_t i = 0; i < cur.nactions; i++)
            free(cur.actions[i]);
        free(cur.actions);
        cur.actions = a->m.actions, cur.nactions = a->m.nactions;
        a->m.actions = NULL, a->m.nactions = 0;
    }
    if (a->has[F_ITEMS]) {
        for (uint32_t i = 0; i < cur.nitems; i++)
            free(cur.items[i].text);
        free(cur.items);
        cur.items = a->m.items, cur.nitems = a->m.nitems;
        a->m.items = NULL, a->m.nitems = 0;
    }
    rc = lb_meeting_update(t, &r->ctx, &cur, a->if_match);
    if (rc == 0)
        rc = meeting_answer(r, t, &cur, 200);
    lb_meeting_clear(&cur);
    return rc;
}

int api_meeting_update(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    struct meeting_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    int rc = api_path_id(r, 0, &a->id);
    if (rc == 0)
        rc = api_if_match(r, &a->if_match);
    if (rc == 0)
        rc = validate(r, a, false);
    if (rc != 0) {
        meeting_arg_free(a);
        return rc;
    }
    return api_queue(r, op_meeting_update, a, meeting_arg_free);
}

/* --- attendance ---------------------------------------------------------------------- */

struct attendance_arg {
    lb_id id;
    uint64_t if_match;
    struct lb_meeting_company *companies;
    uint32_t ncompanies;
    struct lb_meeting_staff *staff;
    uint32_t nstaff;
};

static void attendance_arg_free(void *p)
{
    struct attendance_arg *a = p;
    free(a->companies);
    for (uint32_t i = 0; a->staff && i < a->nstaff; i++)
        free(a->staff[i].unit);
    free(a->staff);
    free(a);
}

static int op_attendance(lb_txn *t, struct lb_api_req *r)
{
    struct attendance_arg *a = r->arg;
    struct lb_meeting m = {0};
    lb_id unknown = 0;
    int rc = lb_meeting_attendance(t, &r->ctx, a->id, a->companies, a->ncompanies, a->staff,
                                   a->nstaff, a->if_match, &m, &unknown);
    if (rc == LB_ENOTFOUND && unknown)
        rc = api_fail(r, 422, "unknown_company", "companies", "company %llu is not in the register",
                      (unsigned long long)unknown);
    else if (rc == 0)
        rc = meeting_answer(r, t, &m, 200);
    lb_meeting_clear(&m);
    return rc;
}

int api_meeting_attendance(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    struct attendance_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    int rc = api_path_id(r, 0, &a->id);
    if (rc == 0)
        rc = api_if_match(r, &a->if_match);
    json_t *cos = json_object_get(r->body, "companies"), *st = json_object_get(r->body, "staff");
    if (rc == 0 && ((cos && !json_is_array(cos)) || (st && !json_is_array(st))))
        rc = api_fail(r, 422, "invalid_type", cos && !json_is_array(cos) ? "companies" : "staff",
                      "companies and staff are arrays");
    size_t nc = json_array_size(cos), ns = json_array_size(st);
    if (rc == 0 && nc > LB_MEETING_COMPANIES_MAX)
        rc = api_fail(r, 422, "too_long", "companies", "at most %d companies",
                      LB_MEETING_COMPANIES_MAX);
    if (rc == 0 && ns > LB_MEETING_STAFF_MAX)
        rc = api_fail(r, 422, "too_long", "staff", "at most %d units", LB_MEETING_STAFF_MAX);
    if (rc == 0 && ((nc && !(a->companies = calloc(nc, sizeof *a->companies))) ||
                    (ns && !(a->staff = calloc(ns, sizeof *a->staff)))))
        rc = LB_ENOMEM;
    for (size_t i = 0; rc == 0 && i < nc; i++) {
        json_t *c = json_array_get(cos, i);
        long long persons = 1;
        bool present;
        if (!json_is_object(c))
            rc =
                api_fail(r, 422, "invalid_type", "companies", "a company is {company_id, persons}");
        if (rc == 0)
            rc = api_id(r, c, "company_id", true, &a->companies[i].company_id);
        if (rc == 0)
            rc = api_int(r, c, "persons", false, 1, 1000, &present, &persons);
        for (size_t k = 0; rc == 0 && k < i; k++)
            if (a->companies[k].company_id == a->companies[i].company_id)
                rc = api_fail(r, 422, "duplicate", "companies", "a company given twice");
        if (rc == 0) {
            a->companies[i].persons = (uint32_t)persons;
            a->ncompanies++;
        }
    }
    for (size_t i = 0; rc == 0 && i < ns; i++) {
        json_t *s = json_array_get(st, i);
        const char *unit = NULL;
        long long count = 0;
        bool present;
        if (!json_is_object(s))
            rc = api_fail(r, 422, "invalid_type", "staff", "a staff row is {unit, count}");
        if (rc == 0)
            rc = api_str(r, s, "unit", true, LB_UNIT_CODE_MAX, &unit);
        if (rc == 0 && strcmp(unit, "lots") != 0 && !lb_units_find(api_units(r), unit))
            rc = api_fail(r, 422, "unknown_unit", "staff.unit",
                          "unit is not a configured unit (or lots)");
        if (rc == 0)
            rc = api_int(r, s, "count", true, 1, 100000, &present, &count);
        for (size_t k = 0; rc == 0 && k < i; k++)
            if (strcmp(a->staff[k].unit, unit) == 0)
                rc = api_fail(r, 422, "duplicate", "staff", "a unit given twice");
        if (rc == 0 && !(a->staff[i].unit = strdup(unit)))
            rc = LB_ENOMEM;
        if (rc == 0) {
            a->staff[i].count = (uint32_t)count;
            a->nstaff++;
        }
    }
    if (rc != 0) {
        attendance_arg_free(a);
        return rc;
    }
    return api_queue(r, op_attendance, a, attendance_arg_free);
}

/* --- evaluations typed in from paper --------------------------------------------------- */

struct eval_arg {
    struct lb_meeting_eval e;
};

static void eval_arg_free(void *p)
{
    struct eval_arg *a = p;
    lb_meeting_eval_clear(&a->e);
    free(a);
}

static int op_evaluate(lb_txn *t, struct lb_api_req *r)
{
    struct eval_arg *a = r->arg;
    struct lb_meeting m = {0};
    int rc = lb_meeting_get(t, a->e.meeting_id, &m);
    if (rc == 0 && a->e.knowledge && !lb_meeting_kind_training(m.kind))
        rc = api_fail(r, 422, "not_a_training", "knowledge",
                      "knowledge is asked after trainings only");
    if (rc == 0)
        rc = lb_meeting_evaluate(t, &r->ctx, &a->e);
    if (rc == LB_EINVAL && !r->err.status)
        rc = api_fail(r, 422, "unknown_company", "company_id", "no such company");
    if (rc == 0)
        rc = api_idem_company(r, a->e.company_id);
    if (rc == 0) {
        json_t *o = json_object();
        api_json_meta(o, &a->e.meta);
        json_object_set_new(o, "meeting_id", json_integer((json_int_t)a->e.meeting_id));
        json_object_set_new(o, "relevant",
                            a->e.relevant ? json_integer(a->e.relevant) : json_null());
        json_object_set_new(o, "knowledge",
                            a->e.knowledge ? json_boolean(a->e.knowledge == 2) : json_null());
        api_json_str(o, "comment", a->e.comment);
        json_object_set_new(o, "paper", json_true());
        json_object_set_new(o, "company_id",
                            a->e.company_id ? json_integer((json_int_t)a->e.company_id)
                                            : json_null());
        rc = api_answer(r, 201, o, NULL);
    }
    lb_meeting_clear(&m);
    return rc;
}

/* relevant (1..6 or null), knowledge (bool or null), comment: shared with
 * the public form's JSON answers. */
int api_meeting_eval_fields(struct lb_api_req *r, json_t *obj, const char *prefix,
                            struct lb_meeting_eval *e)
{
    char f[64];
    json_t *v = json_object_get(obj, "relevant");
    snprintf(f, sizeof f, "%srelevant", prefix);
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > LB_SURVEY_SCALE_TOP)
            return api_fail(r, 422, "out_of_range", f, "relevant: 1 to 6, or null");
        e->relevant = (uint32_t)json_integer_value(v);
    }
    v = json_object_get(obj, "knowledge");
    snprintf(f, sizeof f, "%sknowledge", prefix);
    if (v && !json_is_null(v)) {
        if (!json_is_boolean(v))
            return api_fail(r, 422, "invalid_type", f, "knowledge: true, false or null");
        e->knowledge = json_is_true(v) ? 2 : 1;
    }
    return 0;
}

int api_meeting_evaluate(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    struct eval_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    const char *comment = NULL;
    int rc = api_path_id(r, 0, &a->e.meeting_id);
    if (rc == 0)
        rc = api_meeting_eval_fields(r, r->body, "", &a->e);
    if (rc == 0)
        rc = api_str(r, r->body, "comment", false, LB_LIMIT_TEXT, &comment);
    if (rc == 0)
        rc = api_id(r, r->body, "company_id", false, &a->e.company_id);
    if (rc == 0 && !a->e.relevant && !a->e.knowledge && !(comment && *comment))
        rc = api_fail(r, 422, "no_answers", NULL, "give relevant, knowledge or a comment");
    if (rc == 0 && comment && *comment && !(a->e.comment = strdup(comment)))
        rc = LB_ENOMEM;
    a->e.paper = true;
    if (rc != 0) {
        eval_arg_free(a);
        return rc;
    }
    return api_queue(r, op_evaluate, a, eval_arg_free);
}

/* --- the QR sheet ---------------------------------------------------------------------- */

struct buf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Text escaped for HTML content and attribute values. */
static void put_text(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            puts_(b, "&amp;");
            break;
        case '<':
            puts_(b, "&lt;");
            break;
        case '>':
            puts_(b, "&gt;");
            break;
        case '"':
            puts_(b, "&quot;");
            break;
        case '\'':
            puts_(b, "&#39;");
            break;
        default:
            put(b, s, 1);
        }
    }
}

/* The QR code of text as an SVG (one path, a quiet zone of 4 modules),
 * size_mm wide; labelled for screen readers. */
static int qr_svg(struct buf *b, const char *text, int size_mm)
{
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q)
        return LB_ENOMEM;
    int w = q->width, total = w + 8;
    putf(b,
         "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%dmm\" "
         "height=\"%dmm\" shape-rendering=\"crispEdges\" role=\"img\" "
         "aria-label=\"QR-kod till utvärderingen\"><rect width=\"%d\" height=\"%d\" "
         "fill=\"#fff\"/><path fill=\"#000\" d=\"",
         total, total, size_mm, size_mm, total, total);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (q->data[y * w + x] & 1)
                putf(b, "M%d %dh1v1h-1z", x + 4, y + 4);
    puts_(b, "\"/></svg>");
    QRcode_free(q);
    return 0;
}

static const char sheet_css[] =
    "@page{size:A4;margin:20mm}body{font:12pt/1.45 system-ui,sans-serif;color:#000;"
    "max-width:170mm;margin:0 auto;text-align:center}h1{font-size:24pt;margin:0 0 4mm}"
    ".meta{font-size:13pt;margin:0 0 10mm}.qr{margin:6mm auto}.link{font:11pt "
    "ui-monospace,monospace;word-break:break-all}.how{font-size:14pt;margin:8mm 0 2mm}"
    "footer{margin-top:14mm;font-size:10pt;color:#333}";

static const char *sheet_headers(void)
{
    static char headers[256];
    if (headers[0])
        return headers;
    unsigned char h[crypto_hash_sha256_BYTES];
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    crypto_hash_sha256(h, (const unsigned char *)sheet_css, sizeof sheet_css - 1);
    sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
    snprintf(headers, sizeof headers,
             "Content-Security-Policy: default-src 'none'; style-src 'sha256-%s'; "
             "frame-ancestors 'none'; base-uri 'none'\r\n",
             b64);
    return headers;
}

int api_meeting_sheet(struct lb_api_req *r, lb_txn *t)
{
    lb_id id;
    char fmt[16] = "";
    int rc = api_path_id(r, 0, &id);
    if (rc == 0 && (rc = api_query(r, "format", fmt, sizeof fmt)) == 1 && strcmp(fmt, "svg") != 0 &&
        strcmp(fmt, "html") != 0)
        rc = api_fail(r, 400, "bad_query", "format", "format: html or svg");
    if (rc < 0)
        return rc;
    struct lb_meeting m = {0};
    if ((rc = lb_meeting_get(t, id, &m)) != 0)
        return rc;
    char link[512];
    eval_link(r, &m, link, sizeof link);
    struct buf b = {0};
    bool svg = strcmp(fmt, "svg") == 0;
    if (svg) {
        rc = qr_svg(&b, link, 90);
    } else {
        char when[64] = "";
        lb_time local = m.starts_at + (lb_time)lb_stockholm_offset(m.starts_at) * 1000;
        lb_date d = lb_stockholm_date(m.starts_at);
        int y, mo, da;
        lb_date_to_ymd(d, &y, &mo, &da);
        long mins = (long)((local / 60000) % (24 * 60));
        if (mins < 0)
            mins += 24 * 60;
        snprintf(when, sizeof when, "%d-%02d-%02d kl. %02ld.%02ld", y, mo, da, mins / 60,
                 mins % 60);
        puts_(&b, "<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<title>Utvärdering: ");
        put_text(&b, m.title);
        puts_(&b, "</title>\n<style>");
        puts_(&b, sheet_css);
        puts_(&b, "</style>\n</head>\n<body>\n<main>\n<h1>Vad tyckte du om ");
        put_text(&b, lb_meeting_kind_training(m.kind) ? "utbildningen" : "träffen");
        puts_(&b, "?</h1>\n<p class=\"meta\"><strong>");
        put_text(&b, m.title);
        puts_(&b, "</strong><br>");
        put_text(&b, when);
        if (m.place) {
            puts_(&b, ", ");
            put_text(&b, m.place);
        }
        puts_(&b, "</p>\n<p class=\"how\">Skanna koden med mobilens kamera och svara på "
                  "en eller två frågor. Det tar en minut, och du är anonym.</p>\n<div "
                  "class=\"qr\">");
        rc = qr_svg(&b, link, 90);
        puts_(&b, "</div>\n<p>Eller skriv in adressen:</p>\n<p class=\"link\">");
        put_text(&b, link);
        puts_(&b, "</p>\n</main>\n<footer>");
        put_text(&b, api_config(r)->municipality ? api_config(r)->municipality
                                                 : LB_MUNICIPALITY_DEFAULT);
        puts_(&b, " · Länken fungerar till och med ");
        char until[16];
        lb_date ud = lb_stockholm_date(m.eval_expires_at - 1);
        lb_date_to_ymd(ud, &y, &mo, &da);
        snprintf(until, sizeof until, "%d-%02d-%02d", y, mo, da);
        puts_(&b, until);
        puts_(&b, ".</footer>\n</body>\n</html>\n");
    }
    lb_meeting_clear(&m);
    if (rc == 0 && b.oom)
        rc = LB_ENOMEM;
    if (rc != 0) {
        free(b.p);
        return rc;
    }
    free(r->resp_body);
    r->resp_body = b.p;
    r->status = 200;
    r->content_type = svg ? "image/svg+xml" : "text/html; charset=utf-8";
    snprintf(r->extra_headers, sizeof r->extra_headers, "%s", sheet_headers());
    return 0;
}
