/* store_improvements.c: improvement actions and the worker's indicator
 * snapshots.
 *
 * Improvements are plain records in id order (no secondary index: the list is
 * short and always read whole). Snapshots are stored under their period
 * ("2026-Q1" for a quarter, "2026" for a calendar year) and replaced whole by
 * each lb_snapshot_put, which bumps the version and appends
 * indicators.updated (with "quarter" or "year"). */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"
#include "store_internal.h"

LB__RTYPE(improvement, LB_DB_IMPROVEMENTS, NULL);

static void improvement_event(struct lb__ev *e, const struct lb_improvement *r)
{
    lb__ev_str(e, "unit", r->unit);
    if (r->followup_id)
        lb__ev_uint(e, "followup_id", r->followup_id);
    else
        lb__ev_nil(e, "followup_id");
    lb__ev_str(e, "status", lb_improvement_status_str(r->status));
    lb__ev_time(e, "identified_at", r->identified_at);
    lb__ev_time(e, "implemented_at", r->implemented_at);
}

int lb_improvement_create(lb_txn *t, const struct lb_ctx *c, struct lb_improvement *rec)
{
    lb_id id;
    if (!rec->title || !*rec->title || (unsigned)rec->status >= LB_IMPROVEMENT_STATUS_COUNT)
        return LB_EINVAL;
    int rc = lb__next_id(t, &lb__improvement_type, &id);
    if (rc)
        return rc;
    lb__meta_new(&rec->meta, id, c);
    if (rec->identified_at == LB_TIME_NONE || rec->identified_at == 0)
        rec->identified_at = c->now;
    if (rec->status == LB_IMPROVEMENT_IMPLEMENTED) {
        if (rec->implemented_at == LB_TIME_NONE || rec->implemented_at == 0)
            rec->implemented_at = c->now;
    } else {
        rec->implemented_at = LB_TIME_NONE;
    }
    if ((rc = lb__put(t, &lb__improvement_type, NULL, rec)))
        return rc;
    struct lb__ev e;
    lb__ev_init(&e);
    improvement_event(&e, rec);
    rc = lb__ev_append(t, c, "improvement.created", id, &e);
    lb__ev_done(&e);
    return rc;
}

int lb_improvement_get(lb_txn *t, lb_id id, struct lb_improvement *out)
{
    return lb__get(t, &lb__improvement_type, id, out);
}

int lb_improvement_update(lb_txn *t, const struct lb_ctx *c, struct lb_improvement *rec,
                          uint64_t if_match)
{
    struct lb_improvement cur = {0};
    if (!rec->title || !*rec->title || (unsigned)rec->status >= LB_IMPROVEMENT_STATUS_COUNT)
        return LB_EINVAL;
    int rc = lb_improvement_get(t, rec->meta.id, &cur);
    if (rc)
        return rc;
    if ((rc = lb__touch(&cur.meta, c, if_match)) || (rc = lb__strset(&cur.unit, rec->unit)) ||
        (rc = lb__strset(&cur.title, rec->title)) ||
        (rc = lb__strset(&cur.description, rec->description)))
        goto out;
    cur.followup_id = rec->followup_id;
    if (rec->status == LB_IMPROVEMENT_IMPLEMENTED && cur.status != LB_IMPROVEMENT_IMPLEMENTED)
        cur.implemented_at = c->now;
    else if (rec->status != LB_IMPROVEMENT_IMPLEMENTED)
        cur.implemented_at = LB_TIME_NONE;
    cur.status = rec->status;
    if ((rc = lb__put(t, &lb__improvement_type, NULL, &cur)))
        goto out;
    struct lb__ev e;
    lb__ev_init(&e);
    improvement_event(&e, &cur);
    rc = lb__ev_append(t, c, "improvement.updated", cur.meta.id, &e);
    lb__ev_done(&e);
    if (rc == 0) {
        lb_improvement_clear(rec);
        *rec = cur;
        memset(&cur, 0, sizeof cur);
    }
out:
    lb_improvement_clear(&cur);
    return rc;
}

int lb_improvement_list(lb_txn *t, struct lb_page *p)
{
    struct lb_improvement_filter f = {.status = -1};
    return lb_improvement_list_filtered(t, &f, p);
}

static int improvement_accept(lb_txn *t, lb_id id, void *arg)
{
    const struct lb_improvement_filter *f = arg;
    struct lb_improvement m = {0};
    int rc = lb_improvement_get(t, id, &m);
    if (rc)
        return rc == LB_ENOTFOUND ? LB_ECORRUPT : rc;
    int ok = f->status < 0 || (int)m.status == f->status;
    if (ok && f->units) {
        ok = 0;
        for (size_t i = 0; i < f->nunits && !ok; i++)
            ok = m.unit && f->units[i] && strcmp(m.unit, f->units[i]) == 0;
    }
    lb_improvement_clear(&m);
    return ok;
}

/* The actions are few (a handful a quarter), so status and unit are checked
 * on each record rather than kept in an index. */
int lb_improvement_list_filtered(lb_txn *t, const struct lb_improvement_filter *f,
                                 struct lb_page *p)
{
    struct lb__src src;
    bool any = f->status < 0 && !f->units;
    int rc = lb__src_open_page(t, &src, LB_DB_IMPROVEMENTS, NULL, 0, p);
    if (rc == 0)
        rc = lb__page_merge(t, &src, 1, any ? NULL : improvement_accept, (void *)f, p);
    lb__src_close(&src);
    return rc;
}

/* --- snapshots ----------------------------------------------------------- */

/* A period key: "YYYY-Qn" (a quarter) or "YYYY" (a calendar year). */
static bool period_ok(const char *s, bool *is_year)
{
    int y, q;
    *is_year = strlen(s) == 4;
    if (*is_year)
        return s[0] >= '1' && s[0] <= '9' && strspn(s, "0123456789") == 4;
    return lb_quarter_parse(s, &y, &q) == 0;
}

int lb_snapshot_put(lb_txn *t, const struct lb_ctx *c, struct lb_snapshot *rec)
{
    bool is_year;
    struct lb_snapshot old = {0};
    if (!period_ok(rec->quarter, &is_year) || !rec->json)
        return LB_EINVAL;
    size_t qlen = strlen(rec->quarter);
    MDB_val k = {qlen, rec->quarter}, v;
    int rc = mdb_get(t->txn, lb__dbi(t, LB_DB_SNAPSHOTS), &k, &v);
    if (rc == 0) {
        if ((rc = lb_snapshot_decode(v.mv_data, v.mv_size, &old)))
            return rc;
        rec->meta = old.meta;
        lb_snapshot_clear(&old);
        lb__touch(&rec->meta, c, 0);
    } else if (rc == MDB_NOTFOUND) {
        static const char key[] = "next_id:snapshot";
        uint64_t id;
        if ((rc = lb__meta_get(t, key, sizeof key - 1, &id)))
            return rc;
        if (id == 0)
            id = 1;
        if ((rc = lb__meta_put(t, key, sizeof key - 1, id + 1)))
            return rc;
        lb__meta_new(&rec->meta, id, c);
    } else {
        return lb__mdb_err(t, rc);
    }
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    rc = lb_snapshot_encode(rec, &sb);
    if (rc == 0) {
        MDB_val d = {sb.size, sb.data};
        rc = lb__mdb_err(t, mdb_put(t->txn, lb__dbi(t, LB_DB_SNAPSHOTS), &k, &d, 0));
    }
    msgpack_sbuffer_destroy(&sb);
    if (rc)
        return rc;
    struct lb__ev e;
    lb__ev_init(&e);
    lb__ev_str(&e, is_year ? "year" : "quarter", rec->quarter);
    lb__ev_uint(&e, "source_seq", rec->source_seq);
    rc = lb__ev_append(t, c, "indicators.updated", rec->meta.id, &e);
    lb__ev_done(&e);
    return rc;
}

int lb_snapshot_get(lb_txn *t, const char *quarter, struct lb_snapshot *out)
{
    if (!quarter || !*quarter || strlen(quarter) > 16)
        return LB_ENOTFOUND;
    MDB_val k = {strlen(quarter), (void *)quarter}, v;
    int rc = mdb_get(t->txn, lb__dbi(t, LB_DB_SNAPSHOTS), &k, &v);
    if (rc)
        return lb__mdb_err(t, rc);
    return lb_snapshot_decode(v.mv_data, v.mv_size, out);
}
