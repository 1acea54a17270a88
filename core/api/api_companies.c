/* api_companies.c: POST/GET /companies, GET/PATCH /companies/{id}.
 *
 * A company is registered once per organisationsnummer: lb_orgnr_parse
 * normalises the accepted forms to 10 digits and its distinct error codes
 * reach the client in "code" with field "orgnr"; a duplicate answers 409 with
 * error.existing_id. Handlers see a company only when one of its hand-offs
 * went to one of their units; any other company answers 404 for them, as if
 * it did not exist. Writes are built from the validated body inside the
 * queued operation, so a rerun of the operation starts from scratch. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/api.h"
#include "lotsbok/error.h"
#include "lotsbok/orgnr.h"

json_t *api_company_json(const struct lb_company *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    char formatted[16];
    lb_orgnr_format(c->orgnr, formatted);
    api_json_meta(o, &c->meta);
    json_object_set_new(o, "orgnr", json_string(c->orgnr));
    json_object_set_new(o, "orgnr_formatted", json_string(formatted));
    json_object_set_new(o, "personal_orgnr", json_boolean(c->personal_orgnr));
    api_json_str(o, "name", c->name);
    api_json_str(o, "locality", c->locality);
    api_json_str(o, "sni", c->sni);
    json_t *contacts = json_array();
    for (uint32_t i = 0; contacts && i < c->ncontacts; i++) {
        json_t *p = json_object();
        if (!p)
            break;
        api_json_str(p, "name", c->contacts[i].name);
        api_json_str(p, "role", c->contacts[i].role);
        api_json_str(p, "phone", c->contacts[i].phone);
        api_json_str(p, "email", c->contacts[i].email);
        /* lotsd's own marks (docs/surveys.md); ignored in a request. */
        json_object_set_new(p, "survey_opt_out", json_boolean(c->contacts[i].survey_opt_out));
        json_object_set_new(p, "email_bounced", json_boolean(c->contacts[i].email_bounced));
        json_array_append_new(contacts, p);
    }
    json_object_set_new(o, "contacts", contacts ? contacts : json_null());
    api_json_time(o, "anonymized_at", c->anonymized_at);
    return o;
}

/* Validates the "contacts" array (absent is fine). */
static int validate_contacts(struct lb_api_req *r, json_t *arr)
{
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > 100)
        return api_fail(r, 422, "invalid_type", "contacts", "contacts must be an array (<= 100)");
    static const char *const keys[] = {"name", "role", "phone", "email"};
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *p = json_array_get(arr, i);
        char field[64];
        if (!json_is_object(p)) {
            snprintf(field, sizeof field, "contacts[%zu]", i);
            return api_fail(r, 422, "invalid_type", field, "%s must be an object", field);
        }
        for (size_t k = 0; k < 4; k++) {
            const char *s;
            int rc = api_str(r, p, keys[k], k == 0, k == 0 ? LB_LIMIT_NAME : LB_LIMIT_SHORT, &s);
            if (rc != 0) {
                snprintf(field, sizeof field, "contacts[%zu].%s", i, keys[k]);
                snprintf(r->err.field, sizeof r->err.field, "%s", field);
                return rc;
            }
        }
    }
    return 0;
}

/* Copies the validated contacts array into the record. */
static int copy_contacts(json_t *arr, struct lb_company *c)
{
    size_t n = arr && json_is_array(arr) ? json_array_size(arr) : 0;
    for (uint32_t i = 0; i < c->ncontacts; i++) {
        free(c->contacts[i].name);
        free(c->contacts[i].role);
        free(c->contacts[i].phone);
        free(c->contacts[i].email);
    }
    free(c->contacts);
    c->contacts = NULL;
    c->ncontacts = 0;
    if (n == 0)
        return 0;
    if (!(c->contacts = calloc(n, sizeof *c->contacts)))
        return LB_ENOMEM;
    c->ncontacts = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(arr, i);
        struct lb_person *d = &c->contacts[i];
        json_t *v;
        if (((v = json_object_get(p, "name")) && json_is_string(v) &&
             api_strdup(&d->name, json_string_value(v)) != 0) ||
            ((v = json_object_get(p, "role")) && json_is_string(v) &&
             api_strdup(&d->role, json_string_value(v)) != 0) ||
            ((v = json_object_get(p, "phone")) && json_is_string(v) &&
             api_strdup(&d->phone, json_string_value(v)) != 0) ||
            ((v = json_object_get(p, "email")) && json_is_string(v) &&
             api_strdup(&d->email, json_string_value(v)) != 0))
            return LB_ENOMEM;
    }
    return 0;
}

/* Sets an optional string from the body when the key is present (null
 * clears it). */
static int copy_opt(json_t *b, const char *key, char **dst)
{
    json_t *v = json_object_get(b, key);
    if (!v)
        return 0;
    return api_strdup(dst, json_is_string(v) ? json_string_value(v) : NULL);
}

/* Validates an orgnr string into *on; 422 with lb_orgnr_strerror's code. */
static int validate_orgnr(struct lb_api_req *r, const char *s, struct lb_orgnr *on, int status)
{
    int e = lb_orgnr_parse(s, on);
    if (e != LB_ORGNR_OK)
        return api_fail(r, status, lb_orgnr_strerror(e), "orgnr",
                        "orgnr is not a valid organisationsnummer or personnummer");
    return 0;
}

struct company_arg {
    struct lb_orgnr orgnr;
    bool has_orgnr;
    lb_id id;
    uint64_t if_match;
};

static int company_answer(struct lb_api_req *r, const struct lb_company *c, int status)
{
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/companies/%llu", (unsigned long long)c->meta.id);
    int rc = api_idem_company(r, c->meta.id);
    json_t *j = rc ? NULL : api_company_json(c);
    if (!j)
        return rc ? rc : LB_ENOMEM;
    return api_answer(r, status, j, status == 201 ? loc : NULL);
}

static int op_company_create(lb_txn *t, struct lb_api_req *r)
{
    struct company_arg *a = r->arg;
    struct lb_company c = {0};
    c.anonymized_at = LB_TIME_NONE;
    memcpy(c.orgnr, a->orgnr.digits, sizeof c.orgnr);
    c.personal_orgnr = a->orgnr.personnummer;
    lb_id existing = 0;
    int rc = api_strdup(&c.name, json_string_value(json_object_get(r->body, "name")));
    if (rc == 0)
        rc = copy_opt(r->body, "locality", &c.locality);
    if (rc == 0)
        rc = copy_opt(r->body, "sni", &c.sni);
    if (rc == 0)
        rc = copy_contacts(json_object_get(r->body, "contacts"), &c);
    if (rc == 0)
        rc = lb_company_create(t, &r->ctx, &c, &existing);
    if (rc == LB_EEXIST) {
        api_fail(r, 409, "duplicate_orgnr", "orgnr", "the orgnr is already registered");
        r->err.existing_id = existing;
    } else if (rc == 0) {
        rc = company_answer(r, &c, 201);
    }
    lb_company_clear(&c);
    return rc;
}

static int validate_company_fields(struct lb_api_req *r, bool create)
{
    const char *s;
    int rc = api_str(r, r->body, "name", create, LB_LIMIT_NAME, &s);
    if (rc == 0)
        rc = api_str(r, r->body, "locality", false, LB_LIMIT_SHORT, &s);
    if (rc == 0)
        rc = api_str(r, r->body, "sni", false, LB_LIMIT_SHORT, &s);
    if (rc == 0)
        rc = validate_contacts(r, json_object_get(r->body, "contacts"));
    if (rc == 0 && !create) {
        json_t *v = json_object_get(r->body, "name");
        if (v && json_is_null(v))
            rc = api_fail(r, 422, "missing_field", "name", "name cannot be removed");
    }
    return rc;
}

int api_company_create(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    const char *orgnr;
    struct company_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    int rc = api_str(r, r->body, "orgnr", true, 32, &orgnr);
    if (rc == 0)
        rc = validate_orgnr(r, orgnr, &a->orgnr, 422);
    if (rc == 0)
        rc = validate_company_fields(r, true);
    if (rc != 0) {
        free(a);
        return rc;
    }
    return api_queue(r, op_company_create, a, free);
}

int api_company_list(struct lb_api_req *r, lb_txn *t)
{
    lb_id ids[500];
    struct lb_page p;
    char orgnr[64], q[256];
    int rc = api_page(r, &p, ids);
    if (rc != 0)
        return rc;
    int has_orgnr = api_query(r, "orgnr", orgnr, sizeof orgnr);
    if (has_orgnr < 0)
        return has_orgnr;
    int has_q = api_query(r, "q", q, sizeof q);
    if (has_q < 0)
        return has_q;
    if (has_orgnr == 1) {
        struct lb_orgnr on;
        if ((rc = validate_orgnr(r, orgnr, &on, 400)) != 0)
            return rc;
        lb_id id = 0;
        rc = lb_company_by_orgnr(t, on.digits, &id);
        if (rc == LB_ENOTFOUND)
            rc = 0; /* an unregistered orgnr is an empty list, not a 404 */
        else if (rc == 0 && p.after < id)
            ids[p.count++] = id;
    } else if (has_q == 1) {
        rc = lb_company_search(t, q, &p);
    } else {
        rc = lb_company_list(t, &p);
    }
    if (rc != 0)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; items && i < p.count; i++) {
        struct lb_company c = {0};
        if (!api_company_visible(r, t, ids[i]))
            continue;
        rc = lb_company_get(t, ids[i], &c);
        if (rc == LB_ENOTFOUND)
            continue;
        if (rc != 0) {
            json_decref(items);
            return rc;
        }
        json_array_append_new(items, api_company_json(&c));
        lb_company_clear(&c);
    }
    return api_answer_list(r, items, p.next);
}

int api_company_get(struct lb_api_req *r, lb_txn *t)
{
    lb_id id;
    int rc = api_path_id(r, 0, &id);
    if (rc != 0)
        return rc;
    if (!api_company_visible(r, t, id))
        return LB_ENOTFOUND;
    struct lb_company c = {0};
    if ((rc = lb_company_get(t, id, &c)) != 0)
        return rc;
    rc = company_answer(r, &c, 200);
    lb_company_clear(&c);
    return rc;
}

static int op_company_update(lb_txn *t, struct lb_api_req *r)
{
    struct company_arg *a = r->arg;
    struct lb_company c = {0};
    if (!api_company_visible(r, t, a->id))
        return LB_ENOTFOUND;
    int rc = lb_company_get(t, a->id, &c);
    json_t *v;
    if (rc == 0 && a->has_orgnr) {
        memcpy(c.orgnr, a->orgnr.digits, sizeof c.orgnr);
        c.personal_orgnr = a->orgnr.personnummer;
    }
    if (rc == 0 && (v = json_object_get(r->body, "name")) && json_is_string(v))
        rc = api_strdup(&c.name, json_string_value(v));
    if (rc == 0)
        rc = copy_opt(r->body, "locality", &c.locality);
    if (rc == 0)
        rc = copy_opt(r->body, "sni", &c.sni);
    if (rc == 0 && (v = json_object_get(r->body, "contacts")))
        rc = copy_contacts(v, &c);
    if (rc == 0)
        rc = lb_company_update(t, &r->ctx, &c, a->if_match);
    if (rc == LB_EEXIST)
        api_fail(r, 409, "duplicate_orgnr", "orgnr", "the orgnr is registered to another company");
    else if (rc == 0)
        rc = company_answer(r, &c, 200);
    lb_company_clear(&c);
    return rc;
}

int api_company_update(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    struct company_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    const char *orgnr = NULL;
    int rc = api_path_id(r, 0, &a->id);
    if (rc == 0)
        rc = api_if_match(r, &a->if_match);
    if (rc == 0)
        rc = api_str(r, r->body, "orgnr", false, 32, &orgnr);
    if (rc == 0 && orgnr) {
        a->has_orgnr = true;
        rc = validate_orgnr(r, orgnr, &a->orgnr, 422);
    }
    if (rc == 0)
        rc = validate_company_fields(r, false);
    if (rc != 0) {
        free(a);
        return rc;
    }
    return api_queue(r, op_company_update, a, free);
}
