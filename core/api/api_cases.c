/* api_cases.c: lotsärenden and what hangs off them.
 *
 * POST/GET /cases, GET/PATCH /cases/{id}, POST /cases/{id}/contacts,
 * /close, /reopen and /handoffs. A case in a path may be given by id or by
 * its number ("L2026-0042"). GET /cases/{id} embeds the case's contacts,
 * hand-offs and follow-ups; a handler reaches a case only through a hand-off
 * to one of their units, sees only those hand-offs and no follow-ups, and any
 * other case answers 404. Operations re-read everything they need inside
 * their own transaction so that they may be rerun. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/api.h"
#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "lotsbok/calendar.h"
#include "lotsbok/orgnr.h"

json_t *api_case_json(const struct lb_case *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    char number[16];
    lb_case_number(c, number, sizeof number);
    api_json_meta(o, &c->meta);
    json_object_set_new(o, "number", json_string(number));
    json_object_set_new(o, "company_id", json_integer((json_int_t)c->company_id));
    api_json_str(o, "subject", c->subject);
    api_json_str(o, "category", lb_category_str(c->category));
    api_json_str(o, "description", c->description);
    api_json_time(o, "opened_at", c->opened_at);
    api_json_str(o, "owner", c->owner);
    api_json_str(o, "status", lb_case_status_str(c->status));
    api_json_str(o, "outcome", lb_outcome_str(c->outcome));
    api_json_str(o, "close_note", c->close_note);
    api_json_time(o, "closed_at", c->closed_at);
    json_object_set_new(o, "legal_hold", json_boolean(c->legal_hold));
    return o;
}

json_t *api_contact_json(const struct lb_contact *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    api_json_meta(o, &c->meta);
    json_object_set_new(o, "case_id", json_integer((json_int_t)c->case_id));
    api_json_time(o, "at", c->at);
    api_json_str(o, "channel", lb_channel_str(c->channel));
    api_json_str(o, "direction", lb_direction_str(c->direction));
    api_json_str(o, "summary", c->summary);
    json_object_set_new(o, "minutes", c->minutes >= 0 ? json_integer(c->minutes) : json_null());
    api_json_str(o, "logged_by", c->logged_by);
    return o;
}

void api_case_fields_jw(struct lb_jw *w, const struct lb_case *c)
{
    char number[16];
    lb_case_number(c, number, sizeof number);
    api_jw_meta(w, &c->meta);
    LB_JW_KSTR(w, "number", number);
    LB_JW_KINT(w, "company_id", (int64_t)c->company_id);
    LB_JW_KSTR(w, "subject", c->subject);
    LB_JW_KSTR(w, "category", lb_category_str(c->category));
    LB_JW_KSTR(w, "description", c->description);
    API_JW_TIME(w, "opened_at", c->opened_at);
    LB_JW_KSTR(w, "owner", c->owner);
    LB_JW_KSTR(w, "status", lb_case_status_str(c->status));
    LB_JW_KSTR(w, "outcome", lb_outcome_str(c->outcome));
    LB_JW_KSTR(w, "close_note", c->close_note);
    API_JW_TIME(w, "closed_at", c->closed_at);
    lb_jw_kbool(w, "legal_hold", c->legal_hold);
}

void api_contact_jw(struct lb_jw *w, const struct lb_contact *c)
{
    lb_jw_obj_begin(w);
    api_jw_meta(w, &c->meta);
    LB_JW_KINT(w, "case_id", (int64_t)c->case_id);
    API_JW_TIME(w, "at", c->at);
    LB_JW_KSTR(w, "channel", lb_channel_str(c->channel));
    LB_JW_KSTR(w, "direction", lb_direction_str(c->direction));
    LB_JW_KSTR(w, "summary", c->summary);
    LB_JW_KEY(w, "minutes");
    if (c->minutes >= 0)
        lb_jw_int(w, c->minutes);
    else
        lb_jw_null(w);
    LB_JW_KSTR(w, "logged_by", c->logged_by);
    lb_jw_obj_end(w);
}

/* The case named by path parameter 0: an id or a number "L2026-0042". */
static int case_path_id(struct lb_api_req *r, lb_txn *t, lb_id *id)
{
    uint16_t year;
    uint32_t serial;
    const char *p = r->params[0];
    if ((p[0] == 'L' || p[0] == 'l') && lb_case_number_parse(p, &year, &serial) == 0) {
        /* A missing number answers exactly like a case the caller may not
         * see (LB_ENOTFOUND, "no such record"), so a handler cannot tell
         * which numbers exist outside its units. */
        return lb_case_by_number(t, year, serial, id);
    }
    return api_path_id(r, 0, id);
}

static int case_answer(struct lb_api_req *r, const struct lb_case *c, int status)
{
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/cases/%llu", (unsigned long long)c->meta.id);
    int rc = api_idem_company(r, c->company_id);
    if (rc)
        return rc;
    struct lb_jw w;
    lb_jw_init(&w);
    lb_jw_obj_begin(&w);
    api_case_fields_jw(&w, c);
    lb_jw_obj_end(&w);
    return api_answer_jw(r, status, &w, status == 201 ? loc : NULL);
}

/* Arguments of the case operations: validated scalars; strings are read
 * from r->body, which lives as long as the request. */
struct case_arg {
    lb_id id;         /* the case (path) */
    lb_id company_id; /* POST /cases */
    char orgnr[11];
    enum lb_category category;
    bool has_category;
    lb_time at;
    enum lb_outcome outcome;
    enum lb_channel channel;
    enum lb_direction direction;
    long long minutes;
    bool has_minutes;
    bool legal_hold, has_legal_hold;
    uint64_t if_match;
};

static const char *body_str(struct lb_api_req *r, const char *key)
{
    json_t *v = json_object_get(r->body, key);
    return v && json_is_string(v) ? json_string_value(v) : NULL;
}

/* --- POST /cases ------------------------------------------------------------ */

static int op_case_create(lb_txn *t, struct lb_api_req *r)
{
    struct case_arg *a = r->arg;
    struct lb_case c = {0};
    lb_id company_id = a->company_id;
    int rc = 0;
    if (!company_id) {
        rc = lb_company_by_orgnr(t, a->orgnr, &company_id);
        if (rc == LB_ENOTFOUND)
            return api_fail(r, 422, "unknown_company", "orgnr", "no company has this orgnr");
        if (rc != 0)
            return rc;
    }
    c.company_id = company_id;
    c.category = a->category;
    c.opened_at = a->at;
    c.closed_at = LB_TIME_NONE;
    if ((rc = api_strdup(&c.subject, body_str(r, "subject"))) == 0 &&
        (rc = api_strdup(&c.description, body_str(r, "description"))) == 0 &&
        (rc = api_strdup(&c.owner, r->user.username)) == 0)
        rc = lb_case_open(t, &r->ctx, &c);
    if (rc == LB_ENOTFOUND)
        rc = api_fail(r, 422, "unknown_company", "company_id", "no such company");
    else if (rc == 0)
        rc = case_answer(r, &c, 201);
    lb_case_clear(&c);
    return rc;
}

int api_case_create(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    struct case_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    const char *s, *orgnr = NULL;
    int rc = api_id(r, r->body, "company_id", false, &a->company_id);
    if (rc == 0 && !a->company_id) {
        rc = api_str(r, r->body, "orgnr", false, 32, &orgnr);
        if (rc == 0 && !orgnr)
            rc = api_fail(r, 422, "missing_field", "company_id", "company_id or orgnr is required");
        struct lb_orgnr on;
        int e;
        if (rc == 0 && (e = lb_orgnr_parse(orgnr, &on)) != LB_ORGNR_OK)
            rc = api_fail(r, 422, lb_orgnr_strerror(e), "orgnr", "orgnr is not valid");
        if (rc == 0)
            memcpy(a->orgnr, on.digits, sizeof a->orgnr);
    }
    if (rc == 0)
        rc = api_str(r, r->body, "subject", true, LB_LIMIT_NAME, &s);
    if (rc == 0)
        rc = api_enum_category(r, r->body, "category", true, &a->category, NULL);
    if (rc == 0)
        rc = api_str(r, r->body, "description", false, LB_LIMIT_TEXT, &s);
    if (rc == 0)
        rc = api_time(r, r->body, "opened_at", false, &a->at);
    if (rc != 0) {
        free(a);
        return rc;
    }
    return api_queue(r, op_case_create, a, free);
}

/* --- GET /cases --------------------------------------------------------------- */

static int query_date(struct lb_api_req *r, const char *key, lb_date *out)
{
    char buf[32];
    *out = LB_DATE_NONE;
    int rc = api_query(r, key, buf, sizeof buf);
    if (rc < 0)
        return rc;
    if (rc == 1 && lb_date_parse(buf, out) != 0)
        return api_fail(r, 400, "bad_query", key, "%s must be a date YYYY-MM-DD", key);
    return 0;
}

/* Loads company id into *co unless *co already is that company (a company's
 * cases often follow each other in a list). */
static int case_company_name(lb_txn *t, lb_id id, struct lb_company *co)
{
    if (co->meta.id == id && co->name)
        return 0;
    lb_company_clear(co);
    return lb_company_get(t, id, co);
}

int api_case_list(struct lb_api_req *r, lb_txn *t)
{
    lb_id ids[500];
    struct lb_page p;
    char status[32], owner[128], company[32];
    struct lb_case_filter f = {.status = -1};
    int rc = api_page(r, &p, ids);
    if (rc != 0 || (rc = api_order(r, &p, true)) != 0)
        return rc;
    if ((rc = api_query(r, "status", status, sizeof status)) < 0)
        return rc;
    enum lb_case_status st;
    if (rc == 1) {
        if (lb_case_status_from_str(status, &st) != 0)
            return api_enum_case_status_fail(r, 400, "bad_query", "status");
        f.status = (int)st;
    }
    if ((rc = api_query(r, "owner", owner, sizeof owner)) < 0)
        return rc;
    if (rc == 1)
        f.owner = owner;
    if ((rc = api_query(r, "company_id", company, sizeof company)) < 0)
        return rc;
    if (rc == 1) {
        char *end;
        unsigned long long x = strtoull(company, &end, 10);
        if (*end || !company[0] || company[0] == '-' || x == 0)
            return api_fail(r, 400, "bad_query", "company_id", "company_id must be an id");
        f.company_id = (lb_id)x;
    }
    if ((rc = query_date(r, "opened_from", &f.opened_from)) != 0 ||
        (rc = query_date(r, "opened_to", &f.opened_to)) != 0)
        return rc;
    char fmt[16];
    if ((rc = api_query(r, "format", fmt, sizeof fmt)) < 0)
        return rc;
    if (rc == 1 && strcmp(fmt, "xlsx") == 0)
        return api_case_list_xlsx(r, t, &f, &p);
    if (rc == 1 && strcmp(fmt, "json") != 0)
        return api_fail(r, 400, "bad_query", "format", "format must be json or xlsx");
    if ((rc = lb_case_list(t, &f, &p)) != 0)
        return rc;
    json_t *items = json_array();
    struct lb_company co = {0};
    for (size_t i = 0; items && i < p.count; i++) {
        struct lb_case c = {0};
        rc = lb_case_get(t, ids[i], &c);
        if (rc == LB_ENOTFOUND)
            continue;
        if (rc != 0) {
            json_decref(items);
            return rc;
        }
        json_t *o = api_case_json(&c);
        /* What a list row shows without a request per row: the company's name. */
        if (o && (rc = case_company_name(t, c.company_id, &co)) == 0)
            api_json_str(o, "company_name", co.name);
        lb_case_clear(&c);
        if (rc != 0 && rc != LB_ENOTFOUND) {
            json_decref(o);
            json_decref(items);
            lb_company_clear(&co);
            return rc;
        }
        json_array_append_new(items, o);
    }
    lb_company_clear(&co);
    return api_answer_list(r, items, p.next);
}

/* --- GET /cases/{id} ---------------------------------------------------------- */

/* Writes contact id (stored as rec[0..len)) into w: its memoised answer
 * when the memo holds these very bytes, else decoded and rendered, and
 * memoised for next time (api.h, struct api_memo). */
static int embed_contact(struct lb_api_req *r, lb_id id, const void *rec, size_t len,
                         struct lb_jw *w)
{
    struct api_memo **slot = api_memo_slot(r, id), *m = *slot;
    if (m && m->id == id && m->rec_len == len && memcmp(m->data, rec, len) == 0) {
        lb_jw_raw(w, m->data + len, m->json_len);
        return 0;
    }
    struct lb_contact c = {0};
    int rc = lb_contact_decode(rec, len, &c);
    if (rc != 0)
        return rc;
    size_t at = lb_jw_mark(w);
    api_contact_jw(w, &c);
    lb_contact_clear(&c);
    size_t n = w->len - at;
    if (!w->oom && len + n <= API_MEMO_ENTRY_MAX && (m = malloc(sizeof *m + len + n)) != NULL) {
        m->id = id;
        m->rec_len = (uint32_t)len;
        m->json_len = (uint32_t)n;
        memcpy(m->data, rec, len);
        memcpy(m->data + len, w->buf + at, n);
        free(*slot);
        *slot = m;
    }
    return 0;
}

/* Writes every contact of the case into the open array of w. */
static int embed_contacts(struct lb_api_req *r, lb_txn *t, lb_id case_id, struct lb_jw *w)
{
    lb_id ids[500];
    struct lb_page p = {.after = 0, .limit = 500, .ids = ids};
    do {
        int rc = lb_contact_list_by_case(t, case_id, &p);
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < p.count; i++) {
            const void *rec;
            size_t len;
            if ((rc = lb_contact_raw(t, ids[i], &rec, &len)) != 0 ||
                (rc = embed_contact(r, ids[i], rec, len, w)) != 0)
                return rc;
        }
        p.after = p.next;
    } while (p.next);
    return 0;
}

/* Hand-offs and follow-ups are rare beside contacts and keep their jansson
 * renderers; each record's tree is dumped into w in place. */
static int embed_json(struct lb_jw *w, json_t *j)
{
    if (!j)
        return LB_ENOMEM;
    lb_jw_json(w, j);
    json_decref(j);
    return 0;
}

static int embed_handoffs(struct lb_api_req *r, lb_txn *t, lb_id case_id, struct lb_jw *w)
{
    lb_id ids[500];
    struct lb_handoff_filter f = {.overdue = -1, .case_id = case_id};
    if (r->user.role == LB_ROLE_HANDLER) {
        f.units = (const char *const *)r->user.units;
        f.nunits = r->user.nunits;
    }
    struct lb_page p = {.after = 0, .limit = 500, .ids = ids};
    do {
        int rc = lb_handoff_list(t, &f, &p);
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < p.count; i++) {
            struct lb_handoff h = {0};
            if ((rc = lb_handoff_get(t, ids[i], &h)) != 0)
                return rc;
            rc = embed_json(w, api_handoff_json(&h));
            lb_handoff_clear(&h);
            if (rc != 0)
                return rc;
        }
        p.after = p.next;
    } while (p.next);
    return 0;
}

static int embed_followups(lb_txn *t, lb_id case_id, struct lb_jw *w)
{
    lb_id ids[500];
    struct lb_followup_filter f = {.status = -1, .due_before = LB_DATE_NONE, .case_id = case_id};
    struct lb_page p = {.after = 0, .limit = 500, .ids = ids};
    do {
        int rc = lb_followup_list(t, &f, &p);
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < p.count; i++) {
            struct lb_followup fu = {0};
            if ((rc = lb_followup_get(t, ids[i], &fu)) != 0)
                return rc;
            rc = embed_json(w, api_followup_json(&fu));
            lb_followup_clear(&fu);
            if (rc != 0)
                return rc;
        }
        p.after = p.next;
    } while (p.next);
    return 0;
}

/* The answer is written straight from the decoded records (jsonw.h): the
 * case's fields, then "contacts", "handoffs" and "followups" (empty for a
 * handler), in the order the jansson version had them. */
int api_case_get(struct lb_api_req *r, lb_txn *t)
{
    lb_id id;
    int rc = case_path_id(r, t, &id);
    if (rc != 0)
        return rc;
    if (!api_case_visible(r, t, id))
        return LB_ENOTFOUND;
    struct lb_case c = {0};
    if ((rc = lb_case_get(t, id, &c)) != 0)
        return rc;
    struct lb_jw w;
    lb_jw_init(&w);
    lb_jw_obj_begin(&w);
    api_case_fields_jw(&w, &c);
    lb_case_clear(&c);
    LB_JW_KEY(&w, "contacts");
    lb_jw_arr_begin(&w);
    rc = embed_contacts(r, t, id, &w);
    lb_jw_arr_end(&w);
    LB_JW_KEY(&w, "handoffs");
    lb_jw_arr_begin(&w);
    if (rc == 0)
        rc = embed_handoffs(r, t, id, &w);
    lb_jw_arr_end(&w);
    LB_JW_KEY(&w, "followups");
    lb_jw_arr_begin(&w);
    if (rc == 0 && r->user.role != LB_ROLE_HANDLER)
        rc = embed_followups(t, id, &w);
    lb_jw_arr_end(&w);
    lb_jw_obj_end(&w);
    if (rc != 0) {
        lb_jw_free(&w);
        return rc;
    }
    return api_answer_jw(r, 200, &w, NULL);
}

/* --- PATCH /cases/{id} -------------------------------------------------------- */

static int op_case_update(lb_txn *t, struct lb_api_req *r)
{
    struct case_arg *a = r->arg;
    struct lb_case c = {0};
    int rc = lb_case_get(t, a->id, &c);
    json_t *v;
    if (rc == 0 && (v = json_object_get(r->body, "subject")) && json_is_string(v))
        rc = api_strdup(&c.subject, json_string_value(v));
    if (rc == 0 && (v = json_object_get(r->body, "description")))
        rc = api_strdup(&c.description, json_is_string(v) ? json_string_value(v) : NULL);
    if (rc == 0 && (v = json_object_get(r->body, "owner")) && json_is_string(v)) {
        /* The new owner must be an active lots: the calls of the case go to them. */
        struct lb_user u = {0};
        int urc = lb_user_get(t, json_string_value(v), &u);
        if (urc == LB_ENOTFOUND || (urc == 0 && (u.role != LB_ROLE_LOTS || u.disabled)))
            rc = api_fail(r, 422, "unknown_user", "owner",
                          "owner must be an active user with role lots");
        else if (urc != 0)
            rc = urc;
        else
            rc = api_strdup(&c.owner, json_string_value(v));
        lb_user_clear(&u);
    }
    if (rc == 0) {
        if (a->has_category)
            c.category = a->category;
        if (a->has_legal_hold)
            c.legal_hold = a->legal_hold;
        rc = lb_case_update(t, &r->ctx, &c, a->if_match);
    }
    if (rc == 0)
        rc = case_answer(r, &c, 200);
    lb_case_clear(&c);
    return rc;
}

int api_case_update(struct lb_api_req *r, lb_txn *t)
{
    struct case_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    const char *s;
    int rc = case_path_id(r, t, &a->id);
    if (rc == 0)
        rc = api_if_match(r, &a->if_match);
    if (rc == 0)
        rc = api_str(r, r->body, "subject", false, LB_LIMIT_NAME, &s);
    if (rc == 0 && json_is_null(json_object_get(r->body, "subject")))
        rc = api_fail(r, 422, "missing_field", "subject", "subject cannot be removed");
    if (rc == 0)
        rc = api_str(r, r->body, "description", false, LB_LIMIT_TEXT, &s);
    if (rc == 0)
        rc = api_enum_category(r, r->body, "category", false, &a->category, &a->has_category);
    if (rc == 0)
        rc = api_str(r, r->body, "owner", false, 64, &s);
    if (rc == 0 && json_is_null(json_object_get(r->body, "owner")))
        rc = api_fail(r, 422, "missing_field", "owner", "a case always has an owner");
    if (rc == 0)
        rc = api_bool(r, r->body, "legal_hold", &a->has_legal_hold, &a->legal_hold);
    /* A legal hold is the administrator's decision (it stops retention and
     * erasure); the administrator changes nothing else of a case. */
    if (rc == 0 && a->has_legal_hold && r->user.role != LB_ROLE_ADMIN)
        rc = api_fail(r, 403, "forbidden", "legal_hold", "only an administrator sets legal_hold");
    if (rc == 0 && r->user.role == LB_ROLE_ADMIN) {
        const char *k;
        json_t *v;
        json_object_foreach(r->body, k, v)
        {
            if (strcmp(k, "legal_hold") != 0)
                rc = api_fail(r, 403, "forbidden", k, "an administrator sets legal_hold only");
        }
    }
    if (rc != 0) {
        free(a);
        return rc;
    }
    return api_queue(r, op_case_update, a, free);
}

/* --- POST /cases/{id}/contacts ------------------------------------------------- */

/* The contact written, kept for the answer rendered after the commit. */
struct contact_arg {
    struct case_arg a;
    struct lb_contact c;
};

static void contact_arg_free(void *p)
{
    struct contact_arg *ca = p;
    lb_contact_clear(&ca->c);
    free(ca);
}

static int render_contact(struct lb_api_req *r)
{
    struct contact_arg *ca = r->arg;
    char loc[96];
    snprintf(loc, sizeof loc, "/api/v1/cases/%llu/contacts/%llu", (unsigned long long)ca->c.case_id,
             (unsigned long long)ca->c.meta.id);
    struct lb_jw w;
    lb_jw_init(&w);
    api_contact_jw(&w, &ca->c);
    return api_answer_jw(r, 201, &w, loc);
}

static int op_contact_create(lb_txn *t, struct lb_api_req *r)
{
    struct contact_arg *ca = r->arg;
    struct case_arg *a = &ca->a;
    struct lb_contact *c = &ca->c;
    lb_contact_clear(c); /* an operation may run more than once */
    c->case_id = a->id;
    c->at = a->at;
    c->channel = a->channel;
    c->direction = a->direction;
    c->minutes = a->has_minutes ? (int32_t)a->minutes : -1;
    int rc;
    if ((rc = api_strdup(&c->summary, body_str(r, "summary"))) == 0 &&
        (rc = api_strdup(&c->logged_by, r->user.username)) == 0)
        rc = lb_contact_log(t, &r->ctx, c);
    if (rc == 0)
        rc = api_idem_case(r, t, a->id);
    if (rc == 0)
        r->render = render_contact;
    return rc;
}

int api_contact_create(struct lb_api_req *r, lb_txn *t)
{
    struct contact_arg *ca = calloc(1, sizeof *ca);
    if (!ca)
        return LB_ENOMEM;
    struct case_arg *a = &ca->a;
    const char *s;
    int rc = case_path_id(r, t, &a->id);
    if (rc == 0)
        rc = api_time(r, r->body, "at", false, &a->at);
    if (rc == 0)
        rc = api_enum_channel(r, r->body, "channel", true, &a->channel, NULL);
    if (rc == 0)
        rc = api_enum_direction(r, r->body, "direction", true, &a->direction, NULL);
    if (rc == 0)
        rc = api_str(r, r->body, "summary", true, LB_LIMIT_SUMMARY, &s);
    if (rc == 0)
        rc = api_int(r, r->body, "minutes", false, 0, 100000, &a->has_minutes, &a->minutes);
    if (rc != 0) {
        free(ca);
        return rc;
    }
    return api_queue(r, op_contact_create, ca, contact_arg_free);
}

/* --- close and reopen ----------------------------------------------------------- */

static int op_case_close(lb_txn *t, struct lb_api_req *r)
{
    struct case_arg *a = r->arg;
    struct lb_case c = {0};
    int rc = lb_case_close(t, &r->ctx, a->id, a->outcome, body_str(r, "note"), a->at, &c);
    if (rc == 0)
        rc = case_answer(r, &c, 200);
    else if (rc == LB_ESTATE)
        api_fail(r, 409, "invalid_transition", NULL, "the case is already closed");
    lb_case_clear(&c);
    return rc;
}

int api_case_close(struct lb_api_req *r, lb_txn *t)
{
    struct case_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    const char *s;
    int rc = case_path_id(r, t, &a->id);
    if (rc == 0)
        rc = api_enum_outcome(r, r->body, "outcome", true, &a->outcome, NULL);
    if (rc == 0)
        rc = api_str(r, r->body, "note", false, LB_LIMIT_TEXT, &s);
    if (rc == 0)
        rc = api_time(r, r->body, "closed_at", false, &a->at);
    if (rc != 0) {
        free(a);
        return rc;
    }
    return api_queue(r, op_case_close, a, free);
}

static int op_case_reopen(lb_txn *t, struct lb_api_req *r)
{
    struct case_arg *a = r->arg;
    struct lb_case c = {0};
    int rc = lb_case_reopen(t, &r->ctx, a->id, &c);
    if (rc == 0)
        rc = case_answer(r, &c, 200);
    else if (rc == LB_ESTATE)
        api_fail(r, 409, "invalid_transition", NULL, "the case is open");
    lb_case_clear(&c);
    return rc;
}

int api_case_reopen(struct lb_api_req *r, lb_txn *t)
{
    struct case_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    int rc = case_path_id(r, t, &a->id);
    if (rc != 0) {
        free(a);
        return rc;
    }
    return api_queue(r, op_case_reopen, a, free);
}

/* --- POST /cases/{id}/handoffs ---------------------------------------------------- */

static int op_handoff_create(lb_txn *t, struct lb_api_req *r)
{
    struct case_arg *a = r->arg;
    struct lb_handoff h = {0};
    h.case_id = a->id;
    int rc;
    if ((rc = api_strdup(&h.unit, body_str(r, "unit"))) == 0 &&
        (rc = api_strdup(&h.note, body_str(r, "note"))) == 0 &&
        (rc = api_strdup(&h.sent_by, r->user.username)) == 0)
        rc = lb_handoff_create(t, &r->ctx, &h);
    if (rc == 0)
        rc = api_idem_case(r, t, a->id);
    if (rc == 0) {
        char loc[64];
        snprintf(loc, sizeof loc, "/api/v1/handoffs/%llu", (unsigned long long)h.meta.id);
        json_t *j = api_handoff_json(&h);
        rc = j ? api_answer(r, 201, j, loc) : LB_ENOMEM;
    } else if (rc == LB_ESTATE) {
        api_fail(r, 409, "invalid_transition", NULL, "the case is closed");
    }
    lb_handoff_clear(&h);
    return rc;
}

int api_handoff_create(struct lb_api_req *r, lb_txn *t)
{
    struct case_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    const char *unit, *s;
    int rc = case_path_id(r, t, &a->id);
    if (rc == 0)
        rc = api_str(r, r->body, "unit", true, LB_UNIT_CODE_MAX, &unit);
    if (rc == 0 && !lb_units_find(api_units(r), unit))
        rc = api_fail(r, 422, "unknown_unit", "unit", "unit is not a configured unit");
    if (rc == 0)
        rc = api_str(r, r->body, "note", true, LB_LIMIT_TEXT, &s);
    if (rc != 0) {
        free(a);
        return rc;
    }
    return api_queue(r, op_handoff_create, a, free);
}
