/* retention.c: gallring, the worker's retention run (retention.h).
 *
 * The per-company state lives in the worker's environment, in its own
 * sub-database, and is written in the caller's transaction together with the
 * cursor, like the scheduler's state: every event is applied exactly once.
 * A run reads the whole table (one record per company that ever had a case;
 * O(companies) once a day), then asks lotsd to anonymise each due company,
 * one request and one small commit at a time, so a stop or a crash in the
 * middle loses nothing: the next run asks again, and the Idempotency-Key
 * "retention-<company>-<last close ms>" makes a repeat harmless. */
#include "retention.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"
#include "wlog.h"

#define RET_VERSION 1

int lb_retention_init(struct lb_retention *r, lb_wstate *st, lb_effects *fx, int months)
{
    memset(r, 0, sizeof *r);
    r->st = st;
    r->fx = fx;
    r->months = months;
    if (months < 1 || months > 1200)
        return LB_EINVAL;
    return lb_wstate_dbi(st, "retention", &r->dbi);
}

static void key_of(uint8_t k[8], lb_id id)
{
    for (int i = 7; i >= 0; i--) {
        k[i] = (uint8_t)id;
        id >>= 8;
    }
}

static int ret_get(struct lb_retention *r, MDB_txn *t, lb_id company, struct lb_wretention *out)
{
    uint8_t kb[8];
    key_of(kb, company);
    MDB_val k = {8, kb}, v;
    int rc = mdb_get(t, r->dbi, &k, &v);
    if (rc == MDB_NOTFOUND) {
        *out = (struct lb_wretention){.v = RET_VERSION, .last_closed = LB_TIME_NONE};
        return 0;
    }
    if (rc != 0)
        return lb_wstate_err(rc);
    if (v.mv_size != sizeof *out || ((const uint8_t *)v.mv_data)[0] != RET_VERSION)
        return LB_ECORRUPT;
    memcpy(out, v.mv_data, sizeof *out);
    return 0;
}

static int ret_put(struct lb_retention *r, MDB_txn *t, lb_id company,
                   const struct lb_wretention *rec)
{
    uint8_t kb[8];
    key_of(kb, company);
    struct lb_wretention copy;
    memset(&copy, 0, sizeof copy); /* no uninitialised padding on disk */
    copy.v = RET_VERSION;
    copy.anonymized = rec->anonymized;
    copy.open = rec->open;
    copy.last_closed = rec->last_closed;
    MDB_val k = {8, kb}, v = {sizeof copy, &copy};
    return lb_wstate_err(mdb_put(t, r->dbi, &k, &v, 0));
}

int lb_retention_apply(struct lb_retention *r, MDB_txn *t, const struct lb_wev *ev)
{
    bool opened = lb_wev_is(ev, "case.opened"), closed = lb_wev_is(ev, "case.closed"),
         reopened = lb_wev_is(ev, "case.reopened"), anon = lb_wev_is(ev, "company.anonymized");
    if (!opened && !closed && !reopened && !anon)
        return 0;
    uint64_t company = ev->id;
    if (!anon && !lb_wev_u64(ev, "company_id", &company)) {
        lb_wlog("warn", "case event without company_id", "seq=%" PRIu64, ev->seq);
        return 0;
    }
    struct lb_wretention rec;
    int rc = ret_get(r, t, company, &rec);
    if (rc != 0)
        return rc;
    if (opened || reopened) {
        rec.open++;
        rec.anonymized = 0; /* new text may come: due again after its close */
    } else if (closed) {
        lb_time at;
        if (!lb_wev_time(ev, "closed_at", &at))
            at = ev->at;
        if (rec.open > 0)
            rec.open--;
        if (rec.last_closed == LB_TIME_NONE || at > rec.last_closed)
            rec.last_closed = at;
        rec.anonymized = 0;
    } else {
        rec.anonymized = 1;
    }
    return ret_put(r, t, company, &rec);
}

lb_date lb_retention_last_day(lb_time closed, int months)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    lb_date_to_ymd(lb_stockholm_date(closed), &y, &m, &d);
    int total = y * 12 + (m - 1) + months;
    y = total / 12;
    m = total % 12 + 1;
    int last = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        last = 29;
    return lb_date_from_ymd(y, m, d > last ? last : d);
}

struct due {
    lb_id company;
    lb_time last_closed;
};

/* The due companies, into a malloc'd array. */
static int find_due(struct lb_retention *r, lb_date today, struct due **out, size_t *n)
{
    MDB_txn *t;
    MDB_cursor *cur;
    struct due *arr = NULL;
    size_t cnt = 0, cap = 0;
    *out = NULL;
    *n = 0;
    int rc = lb_wstate_begin(r->st, false, &t);
    if (rc != 0)
        return rc;
    if ((rc = mdb_cursor_open(t, r->dbi, &cur)) != 0) {
        lb_wstate_abort(t);
        return lb_wstate_err(rc);
    }
    MDB_val k, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (mrc == 0) {
        struct lb_wretention rec;
        if (k.mv_size != 8 || v.mv_size != sizeof rec ||
            ((const uint8_t *)v.mv_data)[0] != RET_VERSION) {
            rc = LB_ECORRUPT;
            break;
        }
        memcpy(&rec, v.mv_data, sizeof rec);
        if (rec.open == 0 && !rec.anonymized && rec.last_closed != LB_TIME_NONE &&
            today > lb_retention_last_day(rec.last_closed, r->months)) {
            if (cnt == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                struct due *na = realloc(arr, ncap * sizeof *arr);
                if (!na) {
                    rc = LB_ENOMEM;
                    break;
                }
                arr = na;
                cap = ncap;
            }
            uint64_t id = 0;
            for (int i = 0; i < 8; i++)
                id = (id << 8) | ((const uint8_t *)k.mv_data)[i];
            arr[cnt++] = (struct due){id, rec.last_closed};
        }
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc == 0 && mrc != MDB_NOTFOUND)
        rc = lb_wstate_err(mrc);
    mdb_cursor_close(cur);
    lb_wstate_abort(t);
    if (rc != 0) {
        free(arr);
        return rc;
    }
    *out = arr;
    *n = cnt;
    return 0;
}

/* Records that company was anonymised (or is gone), in its own transaction. */
static int mark_done(struct lb_retention *r, lb_id company)
{
    MDB_txn *t;
    struct lb_wretention rec;
    int rc = lb_wstate_begin(r->st, true, &t);
    if (rc != 0)
        return rc;
    if ((rc = ret_get(r, t, company, &rec)) == 0) {
        rec.anonymized = 1;
        rc = ret_put(r, t, company, &rec);
    }
    if (rc != 0) {
        lb_wstate_abort(t);
        return rc;
    }
    return lb_wstate_commit(t);
}

/* Asks lotsd to anonymise one company. */
static int anonymize_one(struct lb_retention *r, const struct due *d, bool *held)
{
    char path[96], key[96];
    *held = false;
    snprintf(path, sizeof path, "/api/v1/companies/%" PRIu64 "/anonymize", d->company);
    snprintf(key, sizeof key, "retention-%" PRIu64 "-%" PRId64, d->company, d->last_closed);
    json_t *body = json_pack("{s:s}", "reason", "retention");
    if (!body)
        return LB_ENOMEM;
    long status = 0;
    json_t *resp = NULL;
    int rc = lb_effects_call(r->fx, "POST", path, body, key, &status, &resp);
    json_decref(body);
    if (rc != 0)
        return rc;
    const char *code = status >= 400 ? lb_effects_error_code(resp) : "";
    if (status == 200 || status == 404) {
        /* 404: the company is gone; nothing is left to keep or remove. */
        rc = mark_done(r, d->company);
        if (rc == 0 && status == 200)
            r->anonymized++;
    } else if (status == 409 && strcmp(code, "legal_hold") == 0) {
        *held = true;
        r->held++;
    } else {
        r->failed++;
        lb_wlog("warn", "retention: anonymisation refused; asked again next run",
                "company=%" PRIu64 " status=%ld code=%s", d->company, status, code);
    }
    json_decref(resp);
    return rc;
}

int lb_retention_run(struct lb_retention *r, lb_time now, uint64_t *nanon, uint64_t *nheld)
{
    struct due *due = NULL;
    size_t n = 0;
    *nanon = 0;
    *nheld = 0;
    lb_date today = lb_stockholm_date(now);
    int rc = find_due(r, today, &due, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint64_t before = r->anonymized;
        bool held;
        rc = anonymize_one(r, &due[i], &held);
        *nanon += r->anonymized - before;
        if (held)
            (*nheld)++;
    }
    free(due);
    return rc;
}
