/* store_meetings.c: meetings, their attendance and their evaluations
 * (DESIGN.md "Meetings, trainings and their evaluations", docs/meetings.md).
 *
 * A meeting is one record holding its documented items and its attendance
 * (companies with a persons count, staff trainings' counts per unit); the
 * index ix_meeting_company lists the meetings a company attended, for its
 * page, its register extract and its anonymisation. Evaluations are records
 * of their own, indexed by meeting and, for a paper form that names its
 * company, by company.
 *
 * Each meeting has an evaluation link: a token whose hash is a survey token
 * of kind meeting (many answers, valid until LB_MEETING_EVAL_DAYS after the
 * meeting starts; moved with the meeting). The token's text stays on the
 * meeting, as it is printed on the QR sheet handed out at the meeting.
 *
 * Events carry kinds, dates, ids and counts, never free text (title, place,
 * notes, items' text, comments): meeting.created and meeting.updated carry
 * kind, starts_at, unit, actions and the items counted per type;
 * meeting.attendance the companies and staff counts; meeting.evaluated the
 * meeting, its kind and start, relevant, knowledge and paper. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "lotsbok/meeting.h"
#include "store_internal.h"

static int meeting_keys(const void *r, struct lb__keys *ks)
{
    const struct lb_meeting *m = r;
    for (uint32_t i = 0; i < m->ncompanies; i++) {
        int rc = lb__keys_add_id(ks, LB_IX_MEETING_COMPANY, m->companies[i].company_id);
        if (rc)
            return rc;
    }
    return 0;
}

static int meeting_eval_keys(const void *r, struct lb__keys *ks)
{
    const struct lb_meeting_eval *e = r;
    int rc = lb__keys_add_id(ks, LB_IX_EVAL_MEETING, e->meeting_id);
    if (rc == 0 && e->company_id)
        rc = lb__keys_add_id(ks, LB_IX_EVAL_COMPANY, e->company_id);
    return rc;
}

LB__RTYPE(meeting, LB_DB_MEETINGS, meeting_keys);
LB__RTYPE(meeting_eval, LB_DB_MEETING_EVALS, meeting_eval_keys);

static void pack_s(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void meeting_event(struct lb__ev *e, const struct lb_meeting *m)
{
    lb__ev_str(e, "kind", lb_meeting_kind_str(m->kind));
    lb__ev_time(e, "starts_at", m->starts_at);
    lb__ev_str(e, "unit", m->unit);
    lb__ev_key(e, "actions");
    int err = msgpack_pack_array(&e->pk, m->nactions);
    for (uint32_t i = 0; i < m->nactions; i++)
        pack_s(&e->pk, m->actions[i]);
    uint32_t per[LB_MEETING_ITEM_TYPE_COUNT] = {0};
    for (uint32_t i = 0; i < m->nitems; i++)
        if ((unsigned)m->items[i].type < LB_MEETING_ITEM_TYPE_COUNT)
            per[m->items[i].type]++;
    lb__ev_key(e, "items");
    err |= msgpack_pack_map(&e->pk, LB_MEETING_ITEM_TYPE_COUNT);
    for (int t = 0; t < LB_MEETING_ITEM_TYPE_COUNT; t++) {
        pack_s(&e->pk, lb_meeting_item_type_str((enum lb_meeting_item_type)t));
        err |= msgpack_pack_uint32(&e->pk, per[t]);
    }
    if (err && !e->err)
        e->err = LB_ENOMEM;
}

static void attendance_event(struct lb__ev *e, const struct lb_meeting *m)
{
    lb__ev_str(e, "kind", lb_meeting_kind_str(m->kind));
    lb__ev_time(e, "starts_at", m->starts_at);
    lb__ev_key(e, "companies");
    int err = msgpack_pack_array(&e->pk, m->ncompanies);
    for (uint32_t i = 0; i < m->ncompanies; i++) {
        err |= msgpack_pack_map(&e->pk, 2);
        pack_s(&e->pk, "company_id");
        err |= msgpack_pack_uint64(&e->pk, m->companies[i].company_id);
        pack_s(&e->pk, "persons");
        err |= msgpack_pack_uint32(&e->pk, m->companies[i].persons);
    }
    lb__ev_key(e, "staff");
    err |= msgpack_pack_array(&e->pk, m->nstaff);
    for (uint32_t i = 0; i < m->nstaff; i++) {
        err |= msgpack_pack_map(&e->pk, 2);
        pack_s(&e->pk, "unit");
        pack_s(&e->pk, m->staff[i].unit);
        pack_s(&e->pk, "count");
        err |= msgpack_pack_uint32(&e->pk, m->staff[i].count);
    }
    if (err && !e->err)
        e->err = LB_ENOMEM;
}

static int emit(lb_txn *t, const struct lb_ctx *c, const char *type, const struct lb_meeting *m,
                void (*fill)(struct lb__ev *, const struct lb_meeting *))
{
    struct lb__ev e;
    lb__ev_init(&e);
    fill(&e, m);
    int rc = lb__ev_append(t, c, type, m->meta.id, &e);
    lb__ev_done(&e);
    return rc;
}

static bool meeting_ok(const struct lb_meeting *m)
{
    if (!m->title || !*m->title || (unsigned)m->kind >= LB_MEETING_KIND_COUNT ||
        m->starts_at == LB_TIME_NONE)
        return false;
    for (uint32_t i = 0; i < m->nitems; i++)
        if ((unsigned)m->items[i].type >= LB_MEETING_ITEM_TYPE_COUNT || !m->items[i].text)
            return false;
    return true;
}

/* The evaluation link's token record for meeting m (created or moved). */
static int token_put(lb_txn *t, const struct lb_ctx *c, const struct lb_meeting *m)
{
    struct lb_survey_token tok = {0};
    memcpy(tok.token_hash, m->eval_hash, 32);
    tok.kind = LB_SURVEY_KIND_MEETING;
    tok.target_id = m->meta.id;
    tok.created_at = c->now;
    tok.expires_at = m->eval_expires_at;
    tok.max_answers = 0;
    return lb_survey_token_put(t, &tok);
}

lb_time lb_meeting_eval_expiry(lb_time starts_at)
{
    return starts_at + (lb_time)LB_MEETING_EVAL_DAYS * 86400000;
}

int lb_meeting_create(lb_txn *t, const struct lb_ctx *c, struct lb_meeting *rec)
{
    lb_id id;
    if (!meeting_ok(rec) || !rec->eval_token)
        return LB_EINVAL;
    struct lb_survey_token old = {0};
    int rc = lb_survey_token_get(t, rec->eval_hash, &old);
    if (rc == 0)
        return LB_EEXIST; /* 256 random bits never collide; a replayed token would */
    if (rc != LB_ENOTFOUND)
        return rc;
    if ((rc = lb__next_id(t, &lb__meeting_type, &id)))
        return rc;
    lb__meta_new(&rec->meta, id, c);
    rec->eval_expires_at = lb_meeting_eval_expiry(rec->starts_at);
    if ((rc = lb__put(t, &lb__meeting_type, NULL, rec)) || (rc = token_put(t, c, rec)))
        return rc;
    return emit(t, c, "meeting.created", rec, meeting_event);
}

int lb_meeting_get(lb_txn *t, lb_id id, struct lb_meeting *out)
{
    return lb__get(t, &lb__meeting_type, id, out);
}

/* Moves cur into *rec (the caller's copy is replaced by what was stored). */
static void give(struct lb_meeting *cur, struct lb_meeting *rec)
{
    lb_meeting_clear(rec);
    *rec = *cur;
    memset(cur, 0, sizeof *cur);
}

int lb_meeting_update(lb_txn *t, const struct lb_ctx *c, struct lb_meeting *rec, uint64_t if_match)
{
    struct lb_meeting old = {0}, cur = {0};
    if (!meeting_ok(rec))
        return LB_EINVAL;
    int rc = lb_meeting_get(t, rec->meta.id, &old);
    if (rc == 0)
        rc = lb_meeting_get(t, rec->meta.id, &cur);
    if (rc)
        goto out;
    if ((rc = lb__touch(&cur.meta, c, if_match)))
        goto out;
    /* The editable fields come from rec; attendance and the link stay. */
    struct lb_meeting_company *co = cur.companies;
    uint32_t nco = cur.ncompanies;
    struct lb_meeting_staff *st = cur.staff;
    uint32_t nst = cur.nstaff;
    char *tok = cur.eval_token;
    uint8_t hash[32];
    memcpy(hash, cur.eval_hash, 32);
    struct lb_meta meta = cur.meta;
    cur.companies = NULL, cur.ncompanies = 0, cur.staff = NULL, cur.nstaff = 0;
    cur.eval_token = NULL;
    lb_meeting_clear(&cur);
    cur = *rec;
    memset(rec, 0, sizeof *rec);
    cur.meta = meta;
    lb_meeting_clear(rec);
    free(cur.companies);
    for (uint32_t i = 0; cur.staff && i < cur.nstaff; i++)
        free(cur.staff[i].unit);
    free(cur.staff);
    free(cur.eval_token);
    cur.companies = co, cur.ncompanies = nco, cur.staff = st, cur.nstaff = nst;
    cur.eval_token = tok;
    memcpy(cur.eval_hash, hash, 32);
    cur.eval_expires_at = lb_meeting_eval_expiry(cur.starts_at);
    if ((rc = lb__put(t, &lb__meeting_type, &old, &cur)))
        goto out;
    if (cur.eval_expires_at != old.eval_expires_at && (rc = token_put(t, c, &cur)))
        goto out;
    if ((rc = emit(t, c, "meeting.updated", &cur, meeting_event)) == 0)
        give(&cur, rec);
out:
    lb_meeting_clear(&old);
    lb_meeting_clear(&cur);
    return rc;
}

int lb_meeting_attendance(lb_txn *t, const struct lb_ctx *c, lb_id id,
                          const struct lb_meeting_company *companies, uint32_t ncompanies,
                          const struct lb_meeting_staff *staff, uint32_t nstaff, uint64_t if_match,
                          struct lb_meeting *out, lb_id *unknown_company)
{
    struct lb_meeting old = {0}, cur = {0};
    *unknown_company = 0;
    if (ncompanies > LB_MEETING_COMPANIES_MAX || nstaff > LB_MEETING_STAFF_MAX)
        return LB_ETOOBIG;
    for (uint32_t i = 0; i < ncompanies; i++) {
        struct lb_company co = {0};
        int rc = lb_company_get(t, companies[i].company_id, &co);
        lb_company_clear(&co);
        if (rc == LB_ENOTFOUND)
            *unknown_company = companies[i].company_id;
        if (rc)
            return rc;
        for (uint32_t k = 0; k < i; k++)
            if (companies[k].company_id == companies[i].company_id)
                return LB_EINVAL;
        if (companies[i].persons == 0)
            return LB_EINVAL;
    }
    for (uint32_t i = 0; i < nstaff; i++)
        if (!staff[i].unit || !*staff[i].unit)
            return LB_EINVAL;
    int rc = lb_meeting_get(t, id, &old);
    if (rc == 0)
        rc = lb_meeting_get(t, id, &cur);
    if (rc == 0)
        rc = lb__touch(&cur.meta, c, if_match);
    if (rc)
        goto out;
    free(cur.companies);
    for (uint32_t i = 0; cur.staff && i < cur.nstaff; i++)
        free(cur.staff[i].unit);
    free(cur.staff);
    cur.ncompanies = 0, cur.nstaff = 0;
    cur.companies = ncompanies ? calloc(ncompanies, sizeof *cur.companies) : NULL;
    cur.staff = nstaff ? calloc(nstaff, sizeof *cur.staff) : NULL;
    if ((ncompanies && !cur.companies) || (nstaff && !cur.staff)) {
        rc = LB_ENOMEM;
        goto out;
    }
    if (ncompanies)
        memcpy(cur.companies, companies, ncompanies * sizeof *companies);
    cur.ncompanies = ncompanies;
    for (uint32_t i = 0; i < nstaff; i++) {
        if (!(cur.staff[i].unit = strdup(staff[i].unit))) {
            rc = LB_ENOMEM;
            goto out;
        }
        cur.staff[i].count = staff[i].count;
        cur.nstaff = i + 1;
    }
    if ((rc = lb__put(t, &lb__meeting_type, &old, &cur)) ||
        (rc = emit(t, c, "meeting.attendance", &cur, attendance_event)))
        goto out;
    if (out)
        give(&cur, out);
out:
    lb_meeting_clear(&old);
    lb_meeting_clear(&cur);
    return rc;
}

int lb_meeting_list(lb_txn *t, struct lb_page *p)
{
    struct lb__src src;
    int rc = lb__src_open(t, &src, LB_DB_MEETINGS, NULL, 0, p->after);
    if (rc == 0)
        rc = lb__page_merge(t, &src, 1, NULL, NULL, p);
    lb__src_close(&src);
    return rc;
}

static int list_by(lb_txn *t, enum lb__db ix, lb_id key, struct lb_page *p)
{
    uint8_t kb[8];
    lb__be64(kb, key);
    struct lb__src src;
    int rc = lb__src_open(t, &src, ix, kb, 8, p->after);
    if (rc == 0)
        rc = lb__page_merge(t, &src, 1, NULL, NULL, p);
    lb__src_close(&src);
    return rc;
}

int lb_meeting_list_company(lb_txn *t, lb_id company_id, struct lb_page *p)
{
    return list_by(t, LB_IX_MEETING_COMPANY, company_id, p);
}

/* --- evaluations -------------------------------------------------------------- */

int lb_meeting_evaluate(lb_txn *t, const struct lb_ctx *c, struct lb_meeting_eval *rec)
{
    struct lb_meeting m = {0};
    if (rec->relevant > 6 || rec->knowledge > 2)
        return LB_EINVAL;
    int rc = lb_meeting_get(t, rec->meeting_id, &m);
    if (rc == 0 && rec->company_id) {
        struct lb_company co = {0};
        rc = lb_company_get(t, rec->company_id, &co);
        lb_company_clear(&co);
        if (rc == LB_ENOTFOUND)
            rc = LB_EINVAL;
    }
    lb_id id;
    if (rc == 0)
        rc = lb__next_id(t, &lb__meeting_eval_type, &id);
    if (rc == 0) {
        lb__meta_new(&rec->meta, id, c);
        rc = lb__put(t, &lb__meeting_eval_type, NULL, rec);
    }
    if (rc == 0) {
        struct lb__ev e;
        lb__ev_init(&e);
        lb__ev_uint(&e, "meeting_id", rec->meeting_id);
        lb__ev_str(&e, "kind", lb_meeting_kind_str(m.kind));
        lb__ev_time(&e, "starts_at", m.starts_at);
        if (rec->relevant)
            lb__ev_uint(&e, "relevant", rec->relevant);
        else
            lb__ev_nil(&e, "relevant");
        if (rec->knowledge)
            lb__ev_bool(&e, "knowledge", rec->knowledge == 2);
        else
            lb__ev_nil(&e, "knowledge");
        lb__ev_bool(&e, "paper", rec->paper);
        rc = lb__ev_append(t, c, "meeting.evaluated", id, &e);
        lb__ev_done(&e);
    }
    lb_meeting_clear(&m);
    return rc;
}

int lb_meeting_answer(lb_txn *t, const struct lb_ctx *c, const uint8_t token_hash[32],
                      struct lb_meeting_eval *rec)
{
    struct lb_survey_token tok = {0};
    int rc = lb_survey_token_get(t, token_hash, &tok);
    if (rc != 0)
        return rc;
    if (tok.kind != LB_SURVEY_KIND_MEETING || c->now >= tok.expires_at)
        return LB_ENOTFOUND;
    rec->meeting_id = tok.target_id;
    rec->paper = false;
    rec->company_id = 0;
    rc = lb_meeting_evaluate(t, c, rec);
    return rc == LB_ENOTFOUND ? LB_ECORRUPT : rc;
}

int lb_meeting_eval_get(lb_txn *t, lb_id id, struct lb_meeting_eval *out)
{
    return lb__get(t, &lb__meeting_eval_type, id, out);
}

int lb_meeting_eval_list(lb_txn *t, lb_id meeting_id, struct lb_page *p)
{
    return list_by(t, LB_IX_EVAL_MEETING, meeting_id, p);
}

int lb_meeting_eval_list_company(lb_txn *t, lb_id company_id, struct lb_page *p)
{
    return list_by(t, LB_IX_EVAL_COMPANY, company_id, p);
}

int lb_meeting_eval_summary(lb_txn *t, lb_id meeting_id, struct lb_meeting_tally *out)
{
    memset(out, 0, sizeof *out);
    lb_id ids[256];
    struct lb_page p = {.after = 0, .limit = 256, .ids = ids};
    for (;;) {
        int rc = lb_meeting_eval_list(t, meeting_id, &p);
        if (rc)
            return rc;
        for (size_t i = 0; i < p.count; i++) {
            MDB_val v;
            struct lb_meeting_eval e = {0};
            if ((rc = lb__get_raw(t, LB_DB_MEETING_EVALS, ids[i], &v)) ||
                (rc = lb_meeting_eval_decode(v.mv_data, v.mv_size, &e)))
                return rc;
            lb_meeting_tally_add(out, &e);
            lb_meeting_eval_clear(&e);
        }
        if (!p.next)
            return 0;
        p.after = p.next;
    }
}
