/* api_improvements.c: improvement actions (action 1.2 of the plan).
 *
 * GET /improvements (status= filters; order=newest|oldest, oldest first
 * by default), POST /improvements and PATCH /improvements/{id}:
 * {unit?, title, description?, followup_id?, status}; status defaults to
 * identified on creation. The unit, when given, must be a configured one;
 * null clears it on PATCH (the action then belongs to the lots function).
 * Handlers read the actions of their own units only; like every handler list,
 * a page may then hold fewer than `limit` items while `next` is not null. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/api.h"
#include "lotsbok/error.h"

json_t *api_improvement_json(const struct lb_improvement *m)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    api_json_meta(o, &m->meta);
    api_json_str(o, "unit", m->unit);
    api_json_str(o, "title", m->title);
    api_json_str(o, "description", m->description);
    json_object_set_new(o, "followup_id",
                        m->followup_id ? json_integer((json_int_t)m->followup_id) : json_null());
    api_json_str(o, "status", lb_improvement_status_str(m->status));
    api_json_time(o, "identified_at", m->identified_at);
    api_json_time(o, "implemented_at", m->implemented_at);
    return o;
}

int api_improvement_list(struct lb_api_req *r, lb_txn *t)
{
    lb_id ids[500];
    struct lb_page p;
    char status[32];
    struct lb_improvement_filter f = {.status = -1};
    int rc = api_page(r, &p, ids);
    if (rc != 0 || (rc = api_order(r, &p, false)) != 0)
        return rc;
    if ((rc = api_query(r, "status", status, sizeof status)) < 0)
        return rc;
    if (rc == 1) {
        enum lb_improvement_status e;
        if (lb_improvement_status_from_str(status, &e) != 0)
            return api_enum_improvement_status_fail(r, 400, "bad_query", "status");
        f.status = (int)e;
    }
    /* A handler reads their own units' actions (the Kvartal screen); the
     * lots function's and other units' are left out before the page is cut. */
    if (r->user.role == LB_ROLE_HANDLER) {
        f.units = (const char *const *)r->user.units;
        f.nunits = r->user.nunits;
    }
    if ((rc = lb_improvement_list_filtered(t, &f, &p)) != 0)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; items && i < p.count; i++) {
        struct lb_improvement m = {0};
        rc = lb_improvement_get(t, ids[i], &m);
        if (rc == LB_ENOTFOUND)
            continue;
        if (rc != 0) {
            json_decref(items);
            return rc;
        }
        json_array_append_new(items, api_improvement_json(&m));
        lb_improvement_clear(&m);
    }
    return api_answer_list(r, items, p.next);
}

struct improvement_arg {
    lb_id id;
    uint64_t if_match;
    enum lb_improvement_status status;
    bool has_status;
    lb_id followup_id;
};

/* Copies the body's optional strings into m (present keys only). */
static int apply_body(struct lb_api_req *r, struct lb_improvement *m)
{
    static const struct {
        const char *key;
        size_t off;
    } fields[] = {
        {"unit", offsetof(struct lb_improvement, unit)},
        {"title", offsetof(struct lb_improvement, title)},
        {"description", offsetof(struct lb_improvement, description)},
    };
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(r->body, fields[i].key);
        if (!v)
            continue;
        char **dst = (char **)((char *)m + fields[i].off);
        int rc = api_strdup(dst, json_is_string(v) ? json_string_value(v) : NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int improvement_answer(struct lb_api_req *r, const struct lb_improvement *m, int status)
{
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/improvements/%llu", (unsigned long long)m->meta.id);
    json_t *j = api_improvement_json(m);
    return j ? api_answer(r, status, j, status == 201 ? loc : NULL) : LB_ENOMEM;
}

static int op_improvement_create(lb_txn *t, struct lb_api_req *r)
{
    struct improvement_arg *a = r->arg;
    struct lb_improvement m = {0};
    m.status = a->has_status ? a->status : LB_IMPROVEMENT_IDENTIFIED;
    m.followup_id = a->followup_id;
    m.identified_at = r->ctx.now;
    m.implemented_at = LB_TIME_NONE;
    int rc = apply_body(r, &m);
    if (rc == 0)
        rc = lb_improvement_create(t, &r->ctx, &m);
    if (rc == LB_ENOTFOUND)
        rc = api_fail(r, 422, "unknown_followup", "followup_id", "no such follow-up");
    else if (rc == 0)
        rc = improvement_answer(r, &m, 201);
    lb_improvement_clear(&m);
    return rc;
}

static int validate(struct lb_api_req *r, struct improvement_arg *a, bool create)
{
    const char *s, *unit;
    int rc = api_str(r, r->body, "title", create, LB_LIMIT_NAME, &s);
    if (rc == 0 && !create && json_is_null(json_object_get(r->body, "title")))
        rc = api_fail(r, 422, "missing_field", "title", "title cannot be removed");
    if (rc == 0)
        rc = api_str(r, r->body, "description", false, LB_LIMIT_TEXT, &s);
    if (rc == 0)
        rc = api_str(r, r->body, "unit", false, LB_UNIT_CODE_MAX, &unit);
    if (rc == 0 && unit && !lb_units_find(api_units(r), unit))
        rc = api_fail(r, 422, "unknown_unit", "unit", "unit is not a configured unit");
    if (rc == 0)
        rc = api_id(r, r->body, "followup_id", false, &a->followup_id);
    if (rc == 0)
        rc = api_enum_improvement_status(r, r->body, "status", false, &a->status, &a->has_status);
    return rc;
}

int api_improvement_create(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    struct improvement_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    int rc = validate(r, a, true);
    if (rc != 0) {
        free(a);
        return rc;
    }
    return api_queue(r, op_improvement_create, a, free);
}

static int op_improvement_update(lb_txn *t, struct lb_api_req *r)
{
    struct improvement_arg *a = r->arg;
    struct lb_improvement m = {0};
    int rc = lb_improvement_get(t, a->id, &m);
    if (rc == 0)
        rc = apply_body(r, &m);
    if (rc == 0) {
        if (a->has_status)
            m.status = a->status;
        json_t *f = json_object_get(r->body, "followup_id");
        if (f)
            m.followup_id = a->followup_id;
        rc = lb_improvement_update(t, &r->ctx, &m, a->if_match);
    }
    if (rc == 0)
        rc = improvement_answer(r, &m, 200);
    lb_improvement_clear(&m);
    return rc;
}

int api_improvement_update(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    struct improvement_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    int rc = api_path_id(r, 0, &a->id);
    if (rc == 0)
        rc = api_if_match(r, &a->if_match);
    if (rc == 0)
        rc = validate(r, a, false);
    if (rc != 0) {
        free(a);
        return rc;
    }
    return api_queue(r, op_improvement_update, a, free);
}
