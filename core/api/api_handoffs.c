/* api_handoffs.c: a unit's inbox and the hand-off transitions.
 *
 * GET /handoffs (newest first unless order=oldest; status a comma-separated
 * list; each item with the case number and subject and the company's name an
 * inbox row shows), GET /handoffs/{id}, POST /handoffs/{id}/acknowledge,
 * /decide, /withdraw and /overdue (the worker's flag). A handler lists and
 * acts on hand-offs of their own units only; another unit's hand-off answers
 * 404, never 403, so its existence does not leak. The unit check happens
 * inside the operation, on the record as committed. A second acknowledge or
 * decide, or acting on a withdrawn hand-off, is 409 invalid_transition. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/api.h"
#include "lotsbok/error.h"

json_t *api_handoff_json(const struct lb_handoff *h)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    api_json_meta(o, &h->meta);
    json_object_set_new(o, "case_id", json_integer((json_int_t)h->case_id));
    json_object_set_new(o, "company_id", json_integer((json_int_t)h->company_id));
    api_json_str(o, "unit", h->unit);
    api_json_str(o, "note", h->note);
    api_json_str(o, "sent_by", h->sent_by);
    api_json_str(o, "status", lb_handoff_status_str(h->status));
    api_json_time(o, "sent_at", h->sent_at);
    api_json_time(o, "acknowledged_at", h->acknowledged_at);
    api_json_str(o, "reference", h->reference);
    api_json_time(o, "decided_at", h->decided_at);
    api_json_str(o, "decision", lb_decision_str(h->decision));
    api_json_str(o, "decision_note", h->decision_note);
    api_json_time(o, "withdrawn_at", h->withdrawn_at);
    api_json_str(o, "withdraw_note", h->withdraw_note);
    json_object_set_new(o, "overdue", json_boolean(h->overdue));
    return o;
}

/* A list of statuses "sent,acknowledged" into a bit mask; 400 naming the
 * statuses for an unknown one. */
static int query_statuses(struct lb_api_req *r, const char *list, unsigned *mask)
{
    char one[32];
    *mask = 0;
    for (const char *s = list; *s;) {
        const char *end = strchr(s, ',');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        enum lb_handoff_status st;
        snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one ? n : sizeof one - 1), s);
        if (n >= sizeof one || lb_handoff_status_from_str(one, &st) != 0)
            return api_enum_handoff_status_fail(r, 400, "bad_query", "status");
        *mask |= 1u << st;
        s += n + (end != NULL);
    }
    if (*mask == 0)
        return api_enum_handoff_status_fail(r, 400, "bad_query", "status");
    return 0;
}

/* The case and company a list row shows, read once per case (hand-offs of
 * one case often come together). */
struct row_names {
    lb_id case_id;
    struct lb_case c;
    char *company_name;
};

static int row_names_load(lb_txn *t, struct row_names *n, lb_id case_id)
{
    if (n->case_id == case_id)
        return 0;
    lb_case_clear(&n->c);
    free(n->company_name);
    memset(n, 0, sizeof *n);
    int rc = lb_case_get(t, case_id, &n->c);
    if (rc == LB_ENOTFOUND) { /* never in a consistent store: the row goes without names */
        n->case_id = case_id;
        return 0;
    }
    if (rc != 0)
        return rc;
    struct lb_company co = {0};
    rc = lb_company_get(t, n->c.company_id, &co);
    if (rc == 0) {
        n->company_name = co.name;
        co.name = NULL;
    }
    lb_company_clear(&co);
    n->case_id = case_id;
    return rc == LB_ENOTFOUND ? 0 : rc;
}

static void row_names_clear(struct row_names *n)
{
    lb_case_clear(&n->c);
    free(n->company_name);
    memset(n, 0, sizeof *n);
}

/* The hand-off with what an inbox row shows beside it: case_number,
 * case_subject, company_name. */
static json_t *handoff_row_json(lb_txn *t, const struct lb_handoff *h, struct row_names *n, int *rc)
{
    json_t *o = api_handoff_json(h);
    *rc = o ? row_names_load(t, n, h->case_id) : LB_ENOMEM;
    if (*rc != 0) {
        json_decref(o);
        return NULL;
    }
    char number[16];
    lb_case_number(&n->c, number, sizeof number);
    json_object_set_new(o, "case_number", n->c.meta.id ? json_string(number) : json_null());
    api_json_str(o, "case_subject", n->c.subject);
    api_json_str(o, "company_name", n->company_name);
    return o;
}

int api_handoff_list(struct lb_api_req *r, lb_txn *t)
{
    lb_id ids[500];
    struct lb_page p;
    char unit[64], status[128], overdue[16];
    const char *one[1];
    struct lb_handoff_filter f = {.overdue = -1};
    int rc = api_page(r, &p, ids);
    if (rc != 0 || (rc = api_order(r, &p, true)) != 0)
        return rc;
    if ((rc = api_query(r, "unit", unit, sizeof unit)) < 0)
        return rc;
    if (r->user.role == LB_ROLE_HANDLER) {
        f.units = (const char *const *)r->user.units;
        f.nunits = r->user.nunits;
    }
    if (rc == 1) {
        if (!api_unit_allowed(r, unit)) /* another unit's inbox: empty, not 403 */
            return api_answer_list(r, json_array(), 0);
        one[0] = unit;
        f.units = one;
        f.nunits = 1;
    }
    if ((rc = api_query(r, "status", status, sizeof status)) < 0)
        return rc;
    if (rc == 1 && (rc = query_statuses(r, status, &f.statuses)) != 0)
        return rc;
    if ((rc = api_query(r, "overdue", overdue, sizeof overdue)) < 0)
        return rc;
    if (rc == 1) {
        if (strcmp(overdue, "true") == 0)
            f.overdue = 1;
        else if (strcmp(overdue, "false") == 0)
            f.overdue = 0;
        else
            return api_fail_allowed(r, 400, "bad_query", "overdue", "true,false");
    }
    if (r->user.role == LB_ROLE_HANDLER && f.nunits == 0)
        return api_answer_list(r, json_array(), 0);
    if ((rc = lb_handoff_list(t, &f, &p)) != 0)
        return rc;
    json_t *items = json_array();
    struct row_names names = {0};
    for (size_t i = 0; items && i < p.count; i++) {
        struct lb_handoff h = {0};
        rc = lb_handoff_get(t, ids[i], &h);
        if (rc == LB_ENOTFOUND)
            continue;
        json_t *row = rc == 0 ? handoff_row_json(t, &h, &names, &rc) : NULL;
        lb_handoff_clear(&h);
        if (rc != 0) {
            row_names_clear(&names);
            json_decref(items);
            return rc;
        }
        json_array_append_new(items, row);
    }
    row_names_clear(&names);
    return api_answer_list(r, items, p.next);
}

int api_handoff_get(struct lb_api_req *r, lb_txn *t)
{
    lb_id id;
    int rc = api_path_id(r, 0, &id);
    if (rc != 0)
        return rc;
    struct lb_handoff h = {0};
    if ((rc = lb_handoff_get(t, id, &h)) != 0)
        return rc;
    if (!api_unit_allowed(r, h.unit)) {
        lb_handoff_clear(&h);
        return LB_ENOTFOUND;
    }
    struct row_names names = {0};
    json_t *j = handoff_row_json(t, &h, &names, &rc);
    row_names_clear(&names);
    lb_handoff_clear(&h);
    return j ? api_answer(r, 200, j, NULL) : rc;
}

/* One transition: which, with its validated inputs. */
enum handoff_action { ACT_ACK, ACT_DECIDE, ACT_WITHDRAW, ACT_OVERDUE };

struct handoff_arg {
    lb_id id;
    enum handoff_action action;
    enum lb_decision decision;
    lb_time at;
};

static const char *body_str(struct lb_api_req *r, const char *key)
{
    json_t *v = json_object_get(r->body, key);
    return v && json_is_string(v) ? json_string_value(v) : NULL;
}

static int op_handoff_transition(lb_txn *t, struct lb_api_req *r)
{
    struct handoff_arg *a = r->arg;
    struct lb_handoff h = {0};
    int rc = lb_handoff_get(t, a->id, &h);
    bool allowed = rc == 0 && api_unit_allowed(r, h.unit);
    lb_handoff_clear(&h);
    if (rc != 0)
        return rc;
    if (!allowed)
        return LB_ENOTFOUND;
    switch (a->action) {
    case ACT_ACK:
        rc = lb_handoff_acknowledge(t, &r->ctx, a->id, body_str(r, "reference"), &h);
        break;
    case ACT_DECIDE:
        rc = lb_handoff_decide(t, &r->ctx, a->id, a->decision, body_str(r, "note"), a->at, &h);
        break;
    case ACT_WITHDRAW:
        rc = lb_handoff_withdraw(t, &r->ctx, a->id, body_str(r, "note"), &h);
        break;
    case ACT_OVERDUE:
        rc = lb_handoff_flag_overdue(t, &r->ctx, a->id, &h);
        break;
    }
    if (rc == 0)
        rc = api_idem_company(r, h.company_id);
    if (rc == 0) {
        json_t *j = api_handoff_json(&h);
        rc = j ? api_answer(r, 200, j, NULL) : LB_ENOMEM;
    } else if (rc == LB_ESTATE) {
        api_fail(r, 409, "invalid_transition", NULL, "the hand-off's status does not allow this");
    }
    lb_handoff_clear(&h);
    return rc;
}

static int queue_transition(struct lb_api_req *r, enum handoff_action action)
{
    struct handoff_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    a->action = action;
    a->at = LB_TIME_NONE;
    const char *s;
    int rc = api_path_id(r, 0, &a->id);
    if (rc == 0 && action == ACT_ACK)
        rc = api_str(r, r->body, "reference", false, LB_LIMIT_SHORT, &s);
    if (rc == 0 && action == ACT_DECIDE)
        rc = api_enum_decision(r, r->body, "decision", true, &a->decision, NULL);
    if (rc == 0 && action == ACT_DECIDE)
        rc = api_time(r, r->body, "decided_at", false, &a->at);
    if (rc == 0 && (action == ACT_DECIDE || action == ACT_WITHDRAW))
        rc = api_str(r, r->body, "note", false, LB_LIMIT_TEXT, &s);
    if (rc != 0) {
        free(a);
        return rc;
    }
    return api_queue(r, op_handoff_transition, a, free);
}

int api_handoff_ack(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    return queue_transition(r, ACT_ACK);
}

int api_handoff_decide(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    return queue_transition(r, ACT_DECIDE);
}

int api_handoff_withdraw(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    return queue_transition(r, ACT_WITHDRAW);
}

int api_handoff_overdue(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    return queue_transition(r, ACT_OVERDUE);
}
