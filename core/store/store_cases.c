/* store_cases.c: lotsärenden (cases) and the contacts logged on them.
 *
 * A case is numbered L<year>-<serial> with a serial counted per Stockholm
 * year of opened_at (meta key "serial:" + big-endian year); the number index
 * is unique. Cases are indexed by status, owner and company; contacts by case.
 * lb_case_list walks the most selective index the filter names (company, then
 * owner, then status, else every case) and checks the remaining conditions on
 * the record, so a page costs the records it skips. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/calendar.h"
#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"
#include "store_internal.h"

static int case_keys(const void *r, struct lb__keys *ks)
{
    const struct lb_case *c = r;
    uint8_t num[6];
    lb__be32(num + 2, c->serial);
    num[0] = (uint8_t)(c->year >> 8);
    num[1] = (uint8_t)c->year;
    int rc = lb__keys_add_u8(ks, LB_IX_CASE_STATUS, (uint8_t)c->status);
    if (!rc)
        rc = lb__keys_add_str(ks, LB_IX_CASE_OWNER, c->owner);
    if (!rc)
        rc = lb__keys_add_id(ks, LB_IX_CASE_COMPANY, c->company_id);
    if (!rc)
        rc = lb__keys_add(ks, LB_IX_CASE_NUMBER, num, sizeof num);
    return rc;
}

LB__RTYPE(case, LB_DB_CASES, case_keys);

static int contact_keys(const void *r, struct lb__keys *ks)
{
    const struct lb_contact *c = r;
    return lb__keys_add_id(ks, LB_IX_CONTACT_CASE, c->case_id);
}

LB__RTYPE(contact, LB_DB_CONTACTS, contact_keys);

static void case_number_event(struct lb__ev *e, const struct lb_case *r)
{
    char num[24];
    lb_case_number(r, num, sizeof num);
    lb__ev_str(e, "number", num);
}

int lb_case_open(lb_txn *t, const struct lb_ctx *c, struct lb_case *rec)
{
    struct lb_company co = {0};
    if (!rec->subject || !*rec->subject || !rec->owner || !*rec->owner ||
        (unsigned)rec->category >= LB_CATEGORY_COUNT)
        return LB_EINVAL;
    int rc = lb_company_get(t, rec->company_id, &co);
    lb_company_clear(&co);
    if (rc)
        return rc;
    if (rec->opened_at == LB_TIME_NONE)
        rec->opened_at = c->now;
    int y, m, d;
    lb_date_to_ymd(lb_stockholm_date(rec->opened_at), &y, &m, &d);
    if (y < 1 || y > 9999)
        return LB_EINVAL;
    uint8_t key[8] = {'s', 'e', 'r', 'i', 'a', 'l', (uint8_t)(y >> 8), (uint8_t)y};
    uint64_t serial;
    lb_id id;
    if ((rc = lb__meta_get(t, key, sizeof key, &serial)) ||
        (rc = lb__meta_put(t, key, sizeof key, serial + 1)) ||
        (rc = lb__next_id(t, &lb__case_type, &id)))
        return rc;
    lb__meta_new(&rec->meta, id, c);
    rec->year = (uint16_t)y;
    rec->serial = (uint32_t)(serial + 1);
    rec->status = LB_CASE_OPEN;
    rec->outcome = LB_OUTCOME_NONE;
    rec->closed_at = LB_TIME_NONE;
    free(rec->close_note);
    rec->close_note = NULL;
    if ((rc = lb__put(t, &lb__case_type, NULL, rec)))
        return rc;
    struct lb__ev e;
    lb__ev_init(&e);
    case_number_event(&e, rec);
    lb__ev_uint(&e, "company_id", rec->company_id);
    lb__ev_str(&e, "category", lb_category_str(rec->category));
    lb__ev_str(&e, "owner", rec->owner);
    lb__ev_time(&e, "opened_at", rec->opened_at);
    lb__ev_str(&e, "status", "open");
    rc = lb__ev_append(t, c, "case.opened", id, &e);
    lb__ev_done(&e);
    return rc;
}

int lb_case_get(lb_txn *t, lb_id id, struct lb_case *out)
{
    return lb__get(t, &lb__case_type, id, out);
}

int lb_case_by_number(lb_txn *t, uint16_t year, uint32_t serial, lb_id *id)
{
    uint8_t num[6] = {(uint8_t)(year >> 8), (uint8_t)year};
    lb__be32(num + 2, serial);
    return lb__unique_get(t, LB_IX_CASE_NUMBER, num, sizeof num, id);
}

/* Moves cur into *out (or clears it). */
static void case_give(struct lb_case *cur, struct lb_case *out)
{
    if (out) {
        lb_case_clear(out);
        *out = *cur;
        memset(cur, 0, sizeof *cur);
    } else {
        lb_case_clear(cur);
    }
}

static void case_event(struct lb__ev *e, const struct lb_case *r)
{
    case_number_event(e, r);
    lb__ev_uint(e, "company_id", r->company_id);
    lb__ev_str(e, "owner", r->owner);
}

int lb_case_update(lb_txn *t, const struct lb_ctx *c, struct lb_case *rec, uint64_t if_match)
{
    struct lb_case old = {0}, cur = {0};
    if (!rec->subject || !*rec->subject || (unsigned)rec->category >= LB_CATEGORY_COUNT)
        return LB_EINVAL;
    int rc = lb_case_get(t, rec->meta.id, &old);
    if (rc)
        return rc;
    if ((rc = lb_case_get(t, rec->meta.id, &cur)) || (rc = lb__touch(&cur.meta, c, if_match)) ||
        (rc = lb__strset(&cur.subject, rec->subject)) ||
        (rc = lb__strset(&cur.description, rec->description)) ||
        (rec->owner && *rec->owner && (rc = lb__strset(&cur.owner, rec->owner))))
        goto out;
    cur.category = rec->category;
    cur.legal_hold = rec->legal_hold;
    if ((rc = lb__put(t, &lb__case_type, &old, &cur)))
        goto out;
    struct lb__ev e;
    lb__ev_init(&e);
    case_event(&e, &cur);
    lb__ev_str(&e, "category", lb_category_str(cur.category));
    lb__ev_bool(&e, "legal_hold", cur.legal_hold);
    rc = lb__ev_append(t, c, "case.updated", cur.meta.id, &e);
    lb__ev_done(&e);
    if (rc == 0)
        case_give(&cur, rec);
out:
    lb_case_clear(&old);
    lb_case_clear(&cur);
    return rc;
}

int lb_case_close(lb_txn *t, const struct lb_ctx *c, lb_id id, enum lb_outcome outcome,
                  const char *note, lb_time closed_at, struct lb_case *out)
{
    struct lb_case old = {0}, cur = {0};
    if (outcome <= LB_OUTCOME_NONE || outcome >= LB_OUTCOME_COUNT)
        return LB_EINVAL;
    int rc = lb_case_get(t, id, &old);
    if (rc)
        return rc;
    if (old.status == LB_CASE_CLOSED) {
        rc = LB_ESTATE;
        goto out;
    }
    if ((rc = lb_case_get(t, id, &cur)) || (rc = lb__touch(&cur.meta, c, 0)) ||
        (rc = lb__strset(&cur.close_note, note)))
        goto out;
    cur.status = LB_CASE_CLOSED;
    cur.outcome = outcome;
    cur.closed_at = closed_at == LB_TIME_NONE ? c->now : closed_at;
    if ((rc = lb__put(t, &lb__case_type, &old, &cur)))
        goto out;
    struct lb__ev e;
    lb__ev_init(&e);
    case_event(&e, &cur);
    lb__ev_str(&e, "outcome", lb_outcome_str(cur.outcome));
    lb__ev_time(&e, "closed_at", cur.closed_at);
    lb__ev_time(&e, "opened_at", cur.opened_at);
    rc = lb__ev_append(t, c, "case.closed", id, &e);
    lb__ev_done(&e);
    if (rc == 0)
        case_give(&cur, out);
out:
    lb_case_clear(&old);
    lb_case_clear(&cur);
    return rc;
}

int lb_case_reopen(lb_txn *t, const struct lb_ctx *c, lb_id id, struct lb_case *out)
{
    struct lb_case old = {0}, cur = {0};
    int rc = lb_case_get(t, id, &old);
    if (rc)
        return rc;
    if (old.status != LB_CASE_CLOSED) {
        rc = LB_ESTATE;
        goto out;
    }
    if ((rc = lb_case_get(t, id, &cur)) || (rc = lb__touch(&cur.meta, c, 0)) ||
        (rc = lb__strset(&cur.close_note, NULL)))
        goto out;
    cur.status = LB_CASE_OPEN;
    cur.outcome = LB_OUTCOME_NONE;
    cur.closed_at = LB_TIME_NONE;
    if ((rc = lb__put(t, &lb__case_type, &old, &cur)))
        goto out;
    struct lb__ev e;
    lb__ev_init(&e);
    case_event(&e, &cur);
    lb__ev_str(&e, "previous_outcome", lb_outcome_str(old.outcome));
    lb__ev_time(&e, "reopened_at", c->now);
    rc = lb__ev_append(t, c, "case.reopened", id, &e);
    lb__ev_done(&e);
    if (rc == 0)
        case_give(&cur, out);
out:
    lb_case_clear(&old);
    lb_case_clear(&cur);
    return rc;
}

static int case_accept(lb_txn *t, lb_id id, void *arg)
{
    const struct lb_case_filter *f = arg;
    struct lb_case k = {0};
    int rc = lb_case_get(t, id, &k);
    if (rc)
        return rc == LB_ENOTFOUND ? LB_ECORRUPT : rc;
    int ok = 1;
    if (f->status >= 0 && (int)k.status != f->status)
        ok = 0;
    if (f->owner && strcmp(f->owner, k.owner ? k.owner : "") != 0)
        ok = 0;
    if (f->company_id && k.company_id != f->company_id)
        ok = 0;
    if (f->opened_from != LB_DATE_NONE || f->opened_to != LB_DATE_NONE) {
        lb_date d = lb_stockholm_date(k.opened_at);
        if (f->opened_from != LB_DATE_NONE && d < f->opened_from)
            ok = 0;
        if (f->opened_to != LB_DATE_NONE && d > f->opened_to)
            ok = 0;
    }
    lb_case_clear(&k);
    return ok;
}

int lb_case_list(lb_txn *t, const struct lb_case_filter *f, struct lb_page *p)
{
    struct lb__src src;
    int rc;
    int nfilters = (f->status >= 0) + (f->owner != NULL) + (f->company_id != 0) +
                   (f->opened_from != LB_DATE_NONE) + (f->opened_to != LB_DATE_NONE);
    if (f->company_id) {
        uint8_t kb[8];
        lb__be64(kb, f->company_id);
        rc = lb__src_open_page(t, &src, LB_IX_CASE_COMPANY, kb, 8, p);
    } else if (f->owner) {
        if (!*f->owner || strlen(f->owner) > LB__KEY_MAX) {
            p->count = 0;
            p->next = 0;
            return 0;
        }
        rc = lb__src_open_page(t, &src, LB_IX_CASE_OWNER, f->owner, strlen(f->owner), p);
    } else if (f->status >= 0) {
        uint8_t st = (uint8_t)f->status;
        rc = lb__src_open_page(t, &src, LB_IX_CASE_STATUS, &st, 1, p);
    } else {
        rc = lb__src_open_page(t, &src, LB_DB_CASES, NULL, 0, p);
    }
    /* One index filter and nothing else: the index is the answer. */
    bool exact = nfilters == 1 && (f->company_id || f->owner || f->status >= 0);
    if (rc == 0)
        rc = lb__page_merge(t, &src, 1, exact ? NULL : case_accept, (void *)f, p);
    lb__src_close(&src);
    return rc;
}

/* --- contacts ------------------------------------------------------------ */

/* Whether case id exists, and its company, without decoding the case. */
static int case_company(lb_txn *t, lb_id id, lb_id *company_id)
{
    MDB_val v;
    int rc = lb__get_raw(t, LB_DB_CASES, id, &v);
    return rc ? rc : lb_case_company_id(v.mv_data, v.mv_size, company_id);
}

int lb_contact_log(lb_txn *t, const struct lb_ctx *c, struct lb_contact *rec)
{
    lb_id id, company_id;
    if ((unsigned)rec->channel >= LB_CHANNEL_COUNT ||
        (unsigned)rec->direction >= LB_DIRECTION_COUNT || !rec->summary || rec->minutes < -1)
        return LB_EINVAL;
    int rc = case_company(t, rec->case_id, &company_id);
    if (rc)
        return rc;
    if (!rec->logged_by && (rc = lb__strdup(c->actor, &rec->logged_by)))
        return rc;
    if (rec->at == LB_TIME_NONE)
        rec->at = c->now;
    if ((rc = lb__next_id(t, &lb__contact_type, &id)))
        return rc;
    lb__meta_new(&rec->meta, id, c);
    if ((rc = lb__put(t, &lb__contact_type, NULL, rec)))
        return rc;
    struct lb__ev e;
    lb__ev_init(&e);
    lb__ev_uint(&e, "case_id", rec->case_id);
    lb__ev_uint(&e, "company_id", company_id);
    lb__ev_time(&e, "at", rec->at);
    lb__ev_str(&e, "channel", lb_channel_str(rec->channel));
    lb__ev_str(&e, "direction", lb_direction_str(rec->direction));
    if (rec->minutes >= 0)
        lb__ev_int(&e, "minutes", rec->minutes);
    else
        lb__ev_nil(&e, "minutes");
    lb__ev_str(&e, "logged_by", rec->logged_by);
    rc = lb__ev_append(t, c, "contact.logged", id, &e);
    lb__ev_done(&e);
    return rc;
}

int lb_contact_get(lb_txn *t, lb_id id, struct lb_contact *out)
{
    return lb__get(t, &lb__contact_type, id, out);
}

int lb_contact_raw(lb_txn *t, lb_id id, const void **buf, size_t *len)
{
    MDB_val v;
    int rc = lb__get_raw(t, LB_DB_CONTACTS, id, &v);
    if (rc == 0) {
        *buf = v.mv_data;
        *len = v.mv_size;
    }
    return rc;
}

int lb_contact_list_by_case(lb_txn *t, lb_id case_id, struct lb_page *p)
{
    uint8_t kb[8];
    struct lb__src src;
    lb__be64(kb, case_id);
    int rc = lb__src_open(t, &src, LB_IX_CONTACT_CASE, kb, 8, p->after);
    if (rc == 0)
        rc = lb__page_merge(t, &src, 1, NULL, NULL, p);
    lb__src_close(&src);
    return rc;
}
