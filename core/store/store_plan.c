/* store_plan.c: the action plan in LMDB: its header, actions and yearly
 * follow-ups (store.h, docs/plan.md).
 *
 * Three record types keep their validated JSON documents as text (plan.h
 * validates; the store checks only what its indexes need): the header is one
 * record (id 1) in `plan`; actions are in `plan_actions` with the unique index
 * code -> id; follow-ups in `plan_followups` with the unique index
 * (code, NUL, be16 year) -> id. The plan is small — a municipality's plan is
 * tens of actions and a follow-up per action and year — so lists walk the
 * primary databases.
 *
 * Every write appends its one event: plan.updated (the header; not in
 * DESIGN.md's list, which has no record for it, but every change has its
 * event), plan.action.created, plan.action.updated, plan.followup.updated.
 * Event data carries codes, numbers and enums only, never the plan's texts. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "lotsbok/plan.h"
#include "store_internal.h"

static int action_keys(const void *r, struct lb__keys *ks)
{
    const struct lb_plan_action *a = r;
    return lb__keys_add_str(ks, LB_IX_PLAN_ACTION_CODE, a->code);
}

static size_t followup_key(const char *code, int year, uint8_t *buf)
{
    size_t n = strlen(code);
    memcpy(buf, code, n);
    buf[n] = 0;
    buf[n + 1] = (uint8_t)((unsigned)year >> 8);
    buf[n + 2] = (uint8_t)year;
    return n + 3;
}

static int followup_keys(const void *r, struct lb__keys *ks)
{
    const struct lb_plan_followup *f = r;
    uint8_t key[sizeof f->code + 3];
    if (!f->code[0])
        return LB_EINVAL;
    return lb__keys_add(ks, LB_IX_PLAN_FOLLOWUP, key, followup_key(f->code, f->year, key));
}

LB__RTYPE(plan_header, LB_DB_PLAN, NULL);
LB__RTYPE(plan_action, LB_DB_PLAN_ACTIONS, action_keys);
LB__RTYPE(plan_followup, LB_DB_PLAN_FOLLOWUPS, followup_keys);

static bool code_fits(const char *code)
{
    return code && code[0] && strlen(code) <= LB_PLAN_CODE_MAX;
}

/* The event data of an action: code, area, units, indicator count. */
static int action_event(lb_txn *t, const struct lb_ctx *c, const char *type,
                        const struct lb_plan_action *a)
{
    json_t *doc = json_loads(a->json, 0, NULL);
    if (!doc)
        return LB_EINVAL;
    struct lb__ev e;
    lb__ev_init(&e);
    lb__ev_str(&e, "code", a->code);
    lb__ev_uint(&e, "area", a->area);
    json_t *units = json_object_get(doc, "units");
    lb__ev_key(&e, "units");
    msgpack_pack_array(&e.pk, json_array_size(units));
    size_t i;
    json_t *u;
    json_array_foreach(units, i, u)
    {
        const char *s = json_string_value(u);
        size_t n = s ? strlen(s) : 0;
        msgpack_pack_str(&e.pk, n);
        msgpack_pack_str_body(&e.pk, s, n);
    }
    lb__ev_uint(&e, "indicators", json_array_size(json_object_get(doc, "indicators")));
    json_decref(doc);
    int rc = lb__ev_append(t, c, type, a->meta.id, &e);
    lb__ev_done(&e);
    return rc;
}

/* --- header ---------------------------------------------------------------- */

int lb_plan_header_get(lb_txn *t, struct lb_plan_header *out)
{
    return lb__get(t, &lb__plan_header_type, 1, out);
}

int lb_plan_header_put(lb_txn *t, const struct lb_ctx *c, struct lb_plan_header *rec, bool *changed)
{
    struct lb_plan_header cur = {0};
    *changed = false;
    if (!rec->json || !*rec->json)
        return LB_EINVAL;
    int rc = lb_plan_header_get(t, &cur);
    if (rc == 0 && strcmp(cur.json, rec->json) == 0) {
        rec->meta = cur.meta;
        lb_plan_header_clear(&cur);
        return 0;
    }
    if (rc == 0) {
        rec->meta = cur.meta;
        lb__touch(&rec->meta, c, 0);
    } else if (rc == LB_ENOTFOUND) {
        lb_id id;
        if ((rc = lb__next_id(t, &lb__plan_header_type, &id)))
            return rc;
        if (id != 1)
            return LB_ECORRUPT; /* the header is the one record */
        lb__meta_new(&rec->meta, id, c);
    } else {
        return rc;
    }
    lb_plan_header_clear(&cur);
    if ((rc = lb__put(t, &lb__plan_header_type, NULL, rec)))
        return rc;
    json_t *doc = json_loads(rec->json, 0, NULL);
    json_t *period = json_object_get(doc, "period");
    struct lb__ev e;
    lb__ev_init(&e);
    lb__ev_uint(&e, "areas", json_array_size(json_object_get(doc, "areas")));
    lb__ev_int(&e, "period_from", json_integer_value(json_object_get(period, "from")));
    lb__ev_int(&e, "period_to", json_integer_value(json_object_get(period, "to")));
    json_decref(doc);
    rc = lb__ev_append(t, c, "plan.updated", rec->meta.id, &e);
    lb__ev_done(&e);
    if (rc == 0)
        *changed = true;
    return rc;
}

/* --- actions --------------------------------------------------------------- */

int lb_plan_action_get(lb_txn *t, lb_id id, struct lb_plan_action *out)
{
    return lb__get(t, &lb__plan_action_type, id, out);
}

int lb_plan_action_by_code(lb_txn *t, const char *code, struct lb_plan_action *out)
{
    lb_id id;
    if (!code_fits(code))
        return LB_ENOTFOUND;
    int rc = lb__unique_get(t, LB_IX_PLAN_ACTION_CODE, code, strlen(code), &id);
    return rc ? rc : lb_plan_action_get(t, id, out);
}

int lb_plan_action_create(lb_txn *t, const struct lb_ctx *c, struct lb_plan_action *rec)
{
    lb_id id;
    if (!code_fits(rec->code) || !rec->json || rec->area == 0)
        return LB_EINVAL;
    if (lb__unique_get(t, LB_IX_PLAN_ACTION_CODE, rec->code, strlen(rec->code), &id) == 0)
        return LB_EEXIST;
    int rc = lb__next_id(t, &lb__plan_action_type, &id);
    if (rc)
        return rc;
    lb__meta_new(&rec->meta, id, c);
    if ((rc = lb__put(t, &lb__plan_action_type, NULL, rec)))
        return rc;
    return action_event(t, c, "plan.action.created", rec);
}

int lb_plan_action_update(lb_txn *t, const struct lb_ctx *c, struct lb_plan_action *rec,
                          uint64_t if_match)
{
    struct lb_plan_action cur = {0};
    if (!rec->json || rec->area == 0)
        return LB_EINVAL;
    int rc = lb_plan_action_by_code(t, rec->code, &cur);
    if (rc)
        return rc;
    if ((rc = lb__touch(&cur.meta, c, if_match)) || (rc = lb__strset(&cur.json, rec->json)))
        goto out;
    cur.area = rec->area;
    if ((rc = lb__put(t, &lb__plan_action_type, NULL, &cur)) ||
        (rc = action_event(t, c, "plan.action.updated", &cur)))
        goto out;
    rec->meta = cur.meta;
out:
    lb_plan_action_clear(&cur);
    return rc;
}

static int list_all(lb_txn *t, enum lb__db db, struct lb_page *p)
{
    struct lb__src src;
    int rc = lb__src_open(t, &src, db, NULL, 0, p->after);
    if (rc == 0)
        rc = lb__page_merge(t, &src, 1, NULL, NULL, p);
    lb__src_close(&src);
    return rc;
}

int lb_plan_action_list(lb_txn *t, struct lb_page *p)
{
    return list_all(t, LB_DB_PLAN_ACTIONS, p);
}

/* --- follow-ups ------------------------------------------------------------ */

int lb_plan_followup_get(lb_txn *t, const char *code, int year, struct lb_plan_followup *out)
{
    uint8_t key[LB_PLAN_CODE_MAX + 3];
    lb_id id;
    if (!code_fits(code) || year < 0 || year > 65535)
        return LB_ENOTFOUND;
    int rc = lb__unique_get(t, LB_IX_PLAN_FOLLOWUP, key, followup_key(code, year, key), &id);
    return rc ? rc : lb__get(t, &lb__plan_followup_type, id, out);
}

int lb_plan_followup_get_id(lb_txn *t, lb_id id, struct lb_plan_followup *out)
{
    return lb__get(t, &lb__plan_followup_type, id, out);
}

int lb_plan_followup_put(lb_txn *t, const struct lb_ctx *c, struct lb_plan_followup *rec,
                         uint64_t if_match)
{
    struct lb_plan_followup cur = {0};
    lb_id id;
    if (!code_fits(rec->code) || !rec->json)
        return LB_EINVAL;
    if (lb__unique_get(t, LB_IX_PLAN_ACTION_CODE, rec->code, strlen(rec->code), &id) != 0)
        return LB_ENOTFOUND;
    int rc = lb_plan_followup_get(t, rec->code, rec->year, &cur);
    if (rc == 0) {
        if ((rc = lb__touch(&cur.meta, c, if_match)))
            goto out;
        rec->meta = cur.meta;
    } else if (rc == LB_ENOTFOUND) {
        if (if_match) {
            rc = LB_ESTALE;
            goto out;
        }
        if ((rc = lb__next_id(t, &lb__plan_followup_type, &id)))
            goto out;
        lb__meta_new(&rec->meta, id, c);
    } else {
        goto out;
    }
    if ((rc = lb__put(t, &lb__plan_followup_type, NULL, rec)))
        goto out;
    json_t *doc = json_loads(rec->json, 0, NULL);
    struct lb__ev e;
    lb__ev_init(&e);
    lb__ev_str(&e, "code", rec->code);
    lb__ev_uint(&e, "year", rec->year);
    lb__ev_str(&e, "status", json_string_value(json_object_get(doc, "status")));
    lb__ev_uint(&e, "values", json_array_size(json_object_get(doc, "values")));
    json_decref(doc);
    rc = lb__ev_append(t, c, "plan.followup.updated", rec->meta.id, &e);
    lb__ev_done(&e);
out:
    lb_plan_followup_clear(&cur);
    return rc;
}

int lb_plan_followup_list(lb_txn *t, struct lb_page *p)
{
    return list_all(t, LB_DB_PLAN_FOLLOWUPS, p);
}

/* --- loading a file --------------------------------------------------------- */

static int load_action(lb_txn *t, const struct lb_ctx *c, json_t *doc,
                       struct lb_plan_load_stats *st)
{
    const char *code = json_string_value(json_object_get(doc, "code"));
    struct lb_plan_action rec = {0}, cur = {0};
    if (!code_fits(code))
        return LB_EINVAL;
    snprintf(rec.code, sizeof rec.code, "%s", code);
    rec.area = (uint32_t)json_integer_value(json_object_get(doc, "area"));
    int rc = lb_plan_action_by_code(t, code, &cur);
    bool exists = rc == 0;
    if (rc && rc != LB_ENOTFOUND)
        return rc;
    rc = 0;
    if (exists) {
        json_t *stored = json_loads(cur.json, 0, NULL);
        rc = stored ? lb_plan_merge_reload(doc, stored) : 0;
        json_decref(stored);
    }
    if (rc == 0 && !(rec.json = lb_plan_dump(doc)))
        rc = LB_ENOMEM;
    if (rc == 0 && exists && strcmp(cur.json, rec.json) == 0 && cur.area == rec.area)
        st->unchanged++;
    else if (rc == 0 && exists && (rc = lb_plan_action_update(t, c, &rec, 0)) == 0)
        st->updated++;
    else if (rc == 0 && !exists && (rc = lb_plan_action_create(t, c, &rec)) == 0)
        st->created++;
    lb_plan_action_clear(&rec);
    lb_plan_action_clear(&cur);
    return rc;
}

int lb_plan_load(lb_txn *t, const struct lb_ctx *c, const json_t *header, const json_t *actions,
                 struct lb_plan_load_stats *st)
{
    memset(st, 0, sizeof *st);
    struct lb_plan_header h = {0};
    if (!(h.json = lb_plan_dump(header)))
        return LB_ENOMEM;
    int rc = lb_plan_header_put(t, c, &h, &st->header_changed);
    lb_plan_header_clear(&h);
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a)
    {
        if (rc)
            break;
        /* The reload merge changes the document: work on a copy. */
        json_t *doc = json_deep_copy(a);
        rc = doc ? load_action(t, c, doc, st) : LB_ENOMEM;
        json_decref(doc);
    }
    return rc;
}
