/* store_followups.c: follow-up calls (one call to one company, covering one
 * or more items: the lots' own case and units' hand-offs).
 *
 * Indexes: assignee + due date (the call list), status, and every case an
 * item names. The result ladder: done and declined end the call;
 * no_answer counts an attempt and moves `due` followup_retry_days working
 * days after the day it was recorded, until the followup_max_attempts-th
 * attempt makes the call unreachable. Every result, including no_answer,
 * appends followup.recorded. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/calendar.h"
#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"
#include "store_internal.h"

static int assignee_due_key(const char *assignee, lb_date due, uint8_t *key, size_t *len)
{
    size_t n = assignee ? strlen(assignee) : 0;
    if (n == 0 || n + 5 > LB__KEY_MAX)
        return LB_EINVAL;
    memcpy(key, assignee, n);
    key[n] = 0;
    lb__be32(key + n + 1, lb__date_key(due));
    *len = n + 5;
    return 0;
}

static int followup_keys(const void *r, struct lb__keys *ks)
{
    const struct lb_followup *f = r;
    uint8_t key[LB__KEY_MAX];
    size_t len;
    int rc = assignee_due_key(f->assignee, f->due, key, &len);
    if (!rc)
        rc = lb__keys_add(ks, LB_IX_FOLLOWUP_ASSIGNEE_DUE, key, len);
    if (!rc)
        rc = lb__keys_add_u8(ks, LB_IX_FOLLOWUP_STATUS, (uint8_t)f->status);
    for (uint32_t i = 0; i < f->nitems && !rc; i++) {
        bool seen = false;
        for (uint32_t j = 0; j < i && !seen; j++)
            seen = f->items[j].case_id == f->items[i].case_id;
        if (!seen)
            rc = lb__keys_add_id(ks, LB_IX_FOLLOWUP_CASE, f->items[i].case_id);
    }
    return rc;
}

LB__RTYPE(followup, LB_DB_FOLLOWUPS, followup_keys);

static void followup_give(struct lb_followup *cur, struct lb_followup *out)
{
    if (out) {
        lb_followup_clear(out);
        *out = *cur;
        memset(cur, 0, sizeof *cur);
    } else {
        lb_followup_clear(cur);
    }
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    if (!s) {
        msgpack_pack_nil(pk);
        return;
    }
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

/* company_id, due, assignee, status, attempts and items. */
static void followup_event(struct lb__ev *e, const struct lb_followup *f)
{
    lb__ev_uint(e, "company_id", f->company_id);
    lb__ev_date(e, "due", f->due);
    lb__ev_str(e, "assignee", f->assignee);
    lb__ev_str(e, "status", lb_followup_status_str(f->status));
    lb__ev_uint(e, "attempts", f->attempts);
    lb__ev_key(e, "items");
    int err = msgpack_pack_array(&e->pk, f->nitems);
    for (uint32_t i = 0; i < f->nitems; i++) {
        const struct lb_followup_item *it = &f->items[i];
        err |= msgpack_pack_map(&e->pk, 4);
        pack_str(&e->pk, "kind");
        pack_str(&e->pk, lb_followup_kind_str(it->kind));
        pack_str(&e->pk, "case_id");
        err |= msgpack_pack_uint64(&e->pk, it->case_id);
        pack_str(&e->pk, "handoff_id");
        err |=
            it->handoff_id ? msgpack_pack_uint64(&e->pk, it->handoff_id) : msgpack_pack_nil(&e->pk);
        pack_str(&e->pk, "unit");
        pack_str(&e->pk, it->unit);
    }
    if (err && !e->err)
        e->err = LB_ENOMEM;
}

/* Checks an item against the store and fills its unit from the hand-off. */
static int item_resolve(lb_txn *t, lb_id company_id, struct lb_followup_item *it)
{
    struct lb_case k = {0};
    if ((unsigned)it->kind >= LB_FOLLOWUP_KIND_COUNT)
        return LB_EINVAL;
    int rc = lb_case_get(t, it->case_id, &k);
    lb_id co = k.company_id;
    lb_case_clear(&k);
    if (rc)
        return rc;
    if (co != company_id)
        return LB_EINVAL;
    if (it->kind == LB_FOLLOWUP_KIND_LOTS) {
        it->handoff_id = 0;
        return lb__strset(&it->unit, NULL);
    }
    struct lb_handoff h = {0};
    if ((rc = lb_handoff_get(t, it->handoff_id, &h)))
        return rc;
    if (h.case_id != it->case_id)
        rc = LB_EINVAL;
    else
        rc = lb__strset(&it->unit, h.unit);
    lb_handoff_clear(&h);
    return rc;
}

static bool item_same(const struct lb_followup_item *a, const struct lb_followup_item *b)
{
    return a->kind == b->kind && a->case_id == b->case_id && a->handoff_id == b->handoff_id;
}

int lb_followup_create(lb_txn *t, const struct lb_ctx *c, struct lb_followup *rec)
{
    struct lb_company co = {0};
    lb_id id;
    if (!rec->assignee || !*rec->assignee || rec->due == LB_DATE_NONE || rec->nitems == 0 ||
        !rec->items)
        return LB_EINVAL;
    int rc = lb_company_get(t, rec->company_id, &co);
    lb_company_clear(&co);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < rec->nitems; i++) {
        if ((rc = item_resolve(t, rec->company_id, &rec->items[i])))
            return rc;
        for (uint32_t j = 0; j < i; j++)
            if (item_same(&rec->items[i], &rec->items[j]))
                return LB_EEXIST;
    }
    for (uint32_t i = 0; i < rec->nanswers; i++) {
        free(rec->answers[i].item);
        free(rec->answers[i].question);
    }
    free(rec->answers);
    rec->answers = NULL;
    rec->nanswers = 0;
    if ((rc = lb__strset(&rec->comment, NULL)) || (rc = lb__next_id(t, &lb__followup_type, &id)))
        return rc;
    lb__meta_new(&rec->meta, id, c);
    rec->status = LB_FOLLOWUP_SCHEDULED;
    rec->attempts = 0;
    rec->recorded_at = LB_TIME_NONE;
    rec->last_attempt_at = LB_TIME_NONE;
    rec->channel = LB_ANSWER_CHANNEL_NONE;
    rec->survey = (struct lb_followup_survey){.status = LB_SURVEY_NONE,
                                              .sent_at = LB_TIME_NONE,
                                              .reminded_at = LB_TIME_NONE,
                                              .call_from = LB_DATE_NONE,
                                              .expires_at = LB_TIME_NONE,
                                              .ended_at = LB_TIME_NONE};
    if ((rc = lb__put(t, &lb__followup_type, NULL, rec)))
        return rc;
    struct lb__ev e;
    lb__ev_init(&e);
    followup_event(&e, rec);
    rc = lb__ev_append(t, c, "followup.scheduled", id, &e);
    lb__ev_done(&e);
    return rc;
}

int lb_followup_get(lb_txn *t, lb_id id, struct lb_followup *out)
{
    return lb__get(t, &lb__followup_type, id, out);
}

/* Loads a scheduled call as old and cur (LB_ESTATE when not scheduled). */
static int load_scheduled(lb_txn *t, lb_id id, struct lb_followup *old, struct lb_followup *cur)
{
    int rc = lb_followup_get(t, id, old);
    if (rc)
        return rc;
    if (old->status != LB_FOLLOWUP_SCHEDULED)
        return LB_ESTATE;
    return lb_followup_get(t, id, cur);
}

/* Stores cur over old and appends `type` with the common data plus `change`
 * (may be NULL). */
static int store_and_emit(lb_txn *t, const struct lb_ctx *c, const struct lb_followup *old,
                          struct lb_followup *cur, const char *type, const char *change,
                          void (*extra)(struct lb__ev *e, const void *arg), const void *arg)
{
    int rc = lb__touch(&cur->meta, c, 0);
    if (!rc)
        rc = lb__put(t, &lb__followup_type, old, cur);
    if (rc)
        return rc;
    struct lb__ev e;
    lb__ev_init(&e);
    followup_event(&e, cur);
    if (change)
        lb__ev_str(&e, "change", change);
    if (extra)
        extra(&e, arg);
    rc = lb__ev_append(t, c, type, cur->meta.id, &e);
    lb__ev_done(&e);
    return rc;
}

int lb__followup_emit(lb_txn *t, const struct lb_ctx *c, const struct lb_followup *old,
                      struct lb_followup *cur, const char *type,
                      void (*extra)(struct lb__ev *e, const void *arg), const void *arg)
{
    return store_and_emit(t, c, old, cur, type, NULL, extra, arg);
}

int lb_followup_add_item(lb_txn *t, const struct lb_ctx *c, lb_id id,
                         const struct lb_followup_item *item, struct lb_followup *out)
{
    struct lb_followup old = {0}, cur = {0};
    struct lb_followup_item it = *item;
    it.unit = NULL;
    int rc = load_scheduled(t, id, &old, &cur);
    if (rc)
        goto out;
    if ((rc = item_resolve(t, cur.company_id, &it)))
        goto out;
    for (uint32_t i = 0; i < cur.nitems; i++) {
        if (item_same(&cur.items[i], &it)) {
            rc = LB_EEXIST;
            goto out;
        }
    }
    struct lb_followup_item *items = realloc(cur.items, (cur.nitems + 1) * sizeof *items);
    if (!items) {
        rc = LB_ENOMEM;
        goto out;
    }
    cur.items = items;
    cur.items[cur.nitems++] = it;
    it.unit = NULL; /* owned by cur now */
    rc = store_and_emit(t, c, &old, &cur, "followup.updated", "merged", NULL, NULL);
    if (rc == 0)
        followup_give(&cur, out);
out:
    free(it.unit);
    lb_followup_clear(&old);
    lb_followup_clear(&cur);
    return rc;
}

static void pack_answers(struct lb__ev *e, const struct lb_answer *a, uint32_t nanswers);

struct recorded {
    enum lb_followup_status result;
    enum lb_answer_channel channel;
    const struct lb_answer *answers;
    uint32_t nanswers;
    lb_time at;
};

/* followup.recorded's extra data: the result and the answers as
 * {item: {question: value | nil}}, items in the order first seen. */
static void recorded_extra(struct lb__ev *e, const void *arg)
{
    const struct recorded *r = arg;
    lb__ev_str(e, "result", lb_followup_status_str(r->result));
    lb__ev_str(e, "channel", lb_answer_channel_str(r->channel));
    lb__ev_time(e, "recorded_at", r->at);
    lb__ev_key(e, "answers");
    pack_answers(e, r->answers, r->nanswers);
}

/* Packs answers as {item: {question: value | nil}}, items in the order first
 * seen (the value of the key written just before). */
static void pack_answers(struct lb__ev *e, const struct lb_answer *a, uint32_t nanswers)
{
    uint32_t nitems = 0;
    int err = 0;
    for (uint32_t i = 0; i < nanswers; i++) {
        bool seen = false;
        for (uint32_t j = 0; j < i && !seen; j++)
            seen = strcmp(a[j].item, a[i].item) == 0;
        nitems += !seen;
    }
    err |= msgpack_pack_map(&e->pk, nitems);
    for (uint32_t i = 0; i < nanswers; i++) {
        bool seen = false;
        for (uint32_t j = 0; j < i && !seen; j++)
            seen = strcmp(a[j].item, a[i].item) == 0;
        if (seen)
            continue;
        uint32_t n = 0;
        for (uint32_t j = i; j < nanswers; j++)
            n += strcmp(a[j].item, a[i].item) == 0;
        pack_str(&e->pk, a[i].item);
        err |= msgpack_pack_map(&e->pk, n);
        for (uint32_t j = i; j < nanswers; j++) {
            if (strcmp(a[j].item, a[i].item) != 0)
                continue;
            pack_str(&e->pk, a[j].question);
            switch (a[j].type) {
            case LB_ANSWER_SCALE:
                err |= msgpack_pack_int32(&e->pk, a[j].value);
                break;
            case LB_ANSWER_BOOL:
                err |= a[j].value ? msgpack_pack_true(&e->pk) : msgpack_pack_false(&e->pk);
                break;
            default:
                err |= msgpack_pack_nil(&e->pk);
                break;
            }
        }
    }
    if (err && !e->err)
        e->err = LB_ENOMEM;
}

static int answers_copy(const struct lb_answer *src, uint32_t n, struct lb_followup *f)
{
    struct lb_answer *a = n ? calloc(n, sizeof *a) : NULL;
    if (n && !a)
        return LB_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        a[i].type = src[i].type;
        a[i].value = src[i].value;
        if (lb__strdup(src[i].item, &a[i].item) || lb__strdup(src[i].question, &a[i].question)) {
            for (uint32_t j = 0; j <= i; j++) {
                free(a[j].item);
                free(a[j].question);
            }
            free(a);
            return LB_ENOMEM;
        }
    }
    for (uint32_t i = 0; i < f->nanswers; i++) {
        free(f->answers[i].item);
        free(f->answers[i].question);
    }
    free(f->answers);
    f->answers = a;
    f->nanswers = n;
    return 0;
}

int lb_followup_record(lb_txn *t, const struct lb_ctx *c, lb_id id, enum lb_followup_status status,
                       const struct lb_answer *answers, uint32_t nanswers, const char *comment,
                       lb_date today, struct lb_followup *out)
{
    return lb__followup_record(t, c, id, status, LB_ANSWER_CHANNEL_PHONE, answers, nanswers,
                               comment, today, "followup.recorded", out);
}

int lb_followup_record_via(lb_txn *t, const struct lb_ctx *c, lb_id id,
                           enum lb_followup_status status, enum lb_answer_channel channel,
                           const struct lb_answer *answers, uint32_t nanswers, const char *comment,
                           lb_date today, struct lb_followup *out)
{
    return lb__followup_record(t, c, id, status, channel, answers, nanswers, comment, today,
                               "followup.recorded", out);
}

int lb__followup_record(lb_txn *t, const struct lb_ctx *c, lb_id id, enum lb_followup_status status,
                        enum lb_answer_channel channel, const struct lb_answer *answers,
                        uint32_t nanswers, const char *comment, lb_date today, const char *type,
                        struct lb_followup *out)
{
    struct lb_followup old = {0}, cur = {0};
    if (status != LB_FOLLOWUP_DONE && status != LB_FOLLOWUP_DECLINED &&
        status != LB_FOLLOWUP_NO_ANSWER)
        return LB_EINVAL;
    if (channel == LB_ANSWER_CHANNEL_NONE || (unsigned)channel >= LB_ANSWER_CHANNEL_COUNT)
        return LB_EINVAL;
    if (status == LB_FOLLOWUP_NO_ANSWER && today == LB_DATE_NONE)
        return LB_EINVAL;
    for (uint32_t i = 0; i < nanswers; i++)
        if (!answers[i].item || !answers[i].question)
            return LB_EINVAL;
    int rc = load_scheduled(t, id, &old, &cur);
    if (rc)
        goto out;
    cur.attempts++;
    cur.last_attempt_at = c->now;
    if (status == LB_FOLLOWUP_NO_ANSWER) {
        if (cur.attempts >= (uint32_t)t->s->cfg.followup_max_attempts) {
            cur.status = LB_FOLLOWUP_UNREACHABLE;
            cur.recorded_at = c->now;
        } else {
            cur.due = lb_add_working_days(today, t->s->cfg.followup_retry_days);
        }
    } else {
        cur.status = status;
        cur.recorded_at = c->now;
        cur.channel = channel;
        if ((rc = answers_copy(answers, nanswers, &cur)))
            goto out;
        if (channel == LB_ANSWER_CHANNEL_EMAIL) {
            cur.survey.status = LB_SURVEY_ANSWERED;
            cur.survey.ended_at = c->now;
        }
    }
    if (comment && (rc = lb__strset(&cur.comment, comment)))
        goto out;
    struct recorded r = {status, channel, status == LB_FOLLOWUP_NO_ANSWER ? NULL : answers,
                         status == LB_FOLLOWUP_NO_ANSWER ? 0 : nanswers, c->now};
    rc = store_and_emit(t, c, &old, &cur, type, NULL, recorded_extra, &r);
    if (rc == 0)
        followup_give(&cur, out);
out:
    lb_followup_clear(&old);
    lb_followup_clear(&cur);
    return rc;
}

struct corrected {
    const struct lb_followup *old, *cur;
};

/* followup.corrected's extra data: the result and channel as recorded, the
 * day's instant it was recorded (the quarter the answers count to), when it
 * was corrected, and the whole answer sets before and after. */
static void corrected_extra(struct lb__ev *e, const void *arg)
{
    const struct corrected *k = arg;
    lb__ev_str(e, "result", lb_followup_status_str(k->cur->status));
    lb__ev_str(e, "channel", lb_answer_channel_str(k->cur->channel));
    lb__ev_time(e, "recorded_at", k->cur->recorded_at);
    lb__ev_time(e, "corrected_at", k->cur->meta.updated_at);
    lb__ev_key(e, "answers");
    pack_answers(e, k->cur->answers, k->cur->nanswers);
    lb__ev_key(e, "previous_answers");
    pack_answers(e, k->old->answers, k->old->nanswers);
}

static bool answer_same(const struct lb_answer *a, enum lb_answer_type type, int32_t value)
{
    return a->type == type && (type == LB_ANSWER_NULL || a->value == value);
}

int lb_followup_correct(lb_txn *t, const struct lb_ctx *c, lb_id id,
                        const struct lb_answer *changes, uint32_t nchanges, uint64_t if_match,
                        bool *changed, struct lb_followup *out)
{
    struct lb_followup old = {0}, cur = {0};
    *changed = false;
    for (uint32_t i = 0; i < nchanges; i++)
        if (!changes[i].item || !changes[i].question)
            return LB_EINVAL;
    int rc = lb_followup_get(t, id, &old);
    if (rc == 0)
        rc = lb_followup_get(t, id, &cur);
    if (rc)
        goto out;
    if (if_match && old.meta.version != if_match) {
        rc = LB_ESTALE;
        goto out;
    }
    /* Only a call recorded done, today (Stockholm), and not the company's own
     * answer through the e-mail survey's form. */
    if (old.status != LB_FOLLOWUP_DONE || old.recorded_at == LB_TIME_NONE ||
        lb_stockholm_date(old.recorded_at) != lb_stockholm_date(c->now) ||
        old.survey.status == LB_SURVEY_ANSWERED) {
        rc = LB_ESTATE;
        goto out;
    }
    for (uint32_t i = 0; i < nchanges; i++) {
        const struct lb_answer *ch = &changes[i];
        struct lb_answer *a = NULL;
        for (uint32_t j = 0; j < cur.nanswers && !a; j++)
            if (strcmp(cur.answers[j].item, ch->item) == 0 &&
                strcmp(cur.answers[j].question, ch->question) == 0)
                a = &cur.answers[j];
        enum lb_answer_type bt = a ? a->type : LB_ANSWER_NULL;
        int32_t bv = a ? a->value : 0;
        if (a ? answer_same(a, ch->type, ch->value) : ch->type == LB_ANSWER_NULL)
            continue;
        if (cur.ncorrections >= LB_FOLLOWUP_CORRECTIONS_MAX) {
            rc = LB_ETOOBIG;
            goto out;
        }
        if (!a) {
            struct lb_answer *na = realloc(cur.answers, (cur.nanswers + 1) * sizeof *na);
            if (!na) {
                rc = LB_ENOMEM;
                goto out;
            }
            cur.answers = na;
            a = &cur.answers[cur.nanswers];
            memset(a, 0, sizeof *a);
            if ((rc = lb__strdup(ch->item, &a->item)) ||
                (rc = lb__strdup(ch->question, &a->question))) {
                free(a->item);
                goto out;
            }
            cur.nanswers++;
        }
        a->type = ch->type;
        a->value = ch->type == LB_ANSWER_NULL ? 0 : ch->value;
        struct lb_answer_change *nc = realloc(cur.corrections, (cur.ncorrections + 1) * sizeof *nc);
        if (!nc) {
            rc = LB_ENOMEM;
            goto out;
        }
        cur.corrections = nc;
        struct lb_answer_change *k = &cur.corrections[cur.ncorrections];
        memset(k, 0, sizeof *k);
        k->at = c->now;
        k->before_type = bt;
        k->before = bv;
        k->after_type = a->type;
        k->after = a->value;
        if ((rc = lb__strdup(c->actor ? c->actor : "", &k->by)) ||
            (rc = lb__strdup(ch->item, &k->item)) ||
            (rc = lb__strdup(ch->question, &k->question))) {
            free(k->by);
            free(k->item);
            goto out;
        }
        cur.ncorrections++;
        *changed = true;
    }
    if (*changed) {
        struct corrected k = {&old, &cur};
        if ((rc = lb__touch(&cur.meta, c, 0)) == 0)
            rc = lb__put(t, &lb__followup_type, &old, &cur);
        if (rc == 0) {
            struct lb__ev e;
            lb__ev_init(&e);
            followup_event(&e, &cur);
            corrected_extra(&e, &k);
            rc = lb__ev_append(t, c, "followup.corrected", cur.meta.id, &e);
            lb__ev_done(&e);
        }
    }
    if (rc == 0)
        followup_give(&cur, out);
out:
    lb_followup_clear(&old);
    lb_followup_clear(&cur);
    return rc;
}

int lb_followup_cancel(lb_txn *t, const struct lb_ctx *c, lb_id id, struct lb_followup *out)
{
    struct lb_followup old = {0}, cur = {0};
    int rc = load_scheduled(t, id, &old, &cur);
    if (rc == 0) {
        cur.status = LB_FOLLOWUP_CANCELLED;
        rc = store_and_emit(t, c, &old, &cur, "followup.updated", "cancelled", NULL, NULL);
    }
    if (rc == 0)
        followup_give(&cur, out);
    lb_followup_clear(&old);
    lb_followup_clear(&cur);
    return rc;
}

int lb_followup_reschedule(lb_txn *t, const struct lb_ctx *c, lb_id id, lb_date due,
                           struct lb_followup *out)
{
    struct lb_followup old = {0}, cur = {0};
    if (due == LB_DATE_NONE)
        return LB_EINVAL;
    int rc = load_scheduled(t, id, &old, &cur);
    if (rc == 0) {
        cur.due = due;
        rc = store_and_emit(t, c, &old, &cur, "followup.updated", "rescheduled", NULL, NULL);
    }
    if (rc == 0)
        followup_give(&cur, out);
    lb_followup_clear(&old);
    lb_followup_clear(&cur);
    return rc;
}

static int followup_accept(lb_txn *t, lb_id id, void *arg)
{
    const struct lb_followup_filter *f = arg;
    struct lb_followup x = {0};
    int rc = lb_followup_get(t, id, &x);
    if (rc)
        return rc == LB_ENOTFOUND ? LB_ECORRUPT : rc;
    int ok = 1;
    if (f->status >= 0 && (int)x.status != f->status)
        ok = 0;
    if (f->assignee && strcmp(f->assignee, x.assignee ? x.assignee : "") != 0)
        ok = 0;
    if (f->due_before != LB_DATE_NONE && x.due > f->due_before)
        ok = 0;
    if (f->company_id && x.company_id != f->company_id)
        ok = 0;
    if (f->case_id) {
        bool found = false;
        for (uint32_t i = 0; i < x.nitems && !found; i++)
            found = x.items[i].case_id == f->case_id;
        if (!found)
            ok = 0;
    }
    lb_followup_clear(&x);
    return ok;
}

static int cmp_id(const void *a, const void *b)
{
    lb_id x = *(const lb_id *)a, y = *(const lb_id *)b;
    return x < y ? -1 : x > y;
}

/* The assignee's calls due up to due_before (any due when NONE), in id
 * order: the index is ordered by due date, so collect and sort. */
static int list_by_assignee(lb_txn *t, const struct lb_followup_filter *f, struct lb_page *p)
{
    uint8_t lo[LB__KEY_MAX], hi[LB__KEY_MAX];
    size_t lolen, hilen;
    p->count = 0;
    p->next = 0;
    if (assignee_due_key(f->assignee, LB_DATE_NONE, lo, &lolen) ||
        assignee_due_key(f->assignee, f->due_before == LB_DATE_NONE ? INT32_MAX : f->due_before, hi,
                         &hilen))
        return 0;
    lb__be32(lo + lolen - 4, 0);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_IX_FOLLOWUP_ASSIGNEE_DUE), &cur);
    if (rc)
        return lb__mdb_err(t, rc);
    MDB_val k = {lolen, lo}, v;
    lb_id *ids = NULL;
    size_t n = 0, cap = 0;
    int err = 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
        if (k.mv_size != hilen || memcmp(k.mv_data, hi, hilen - 4) != 0 ||
            memcmp(k.mv_data, hi, hilen) > 0)
            break;
        if (v.mv_size != 8) {
            err = LB_ECORRUPT;
            break;
        }
        lb_id id = lb__rd64(v.mv_data);
        if (id > p->after) {
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                lb_id *nids = realloc(ids, ncap * sizeof *ids);
                if (!nids) {
                    err = LB_ENOMEM;
                    break;
                }
                ids = nids;
                cap = ncap;
            }
            ids[n++] = id;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (!err && rc && rc != MDB_NOTFOUND)
        err = lb__mdb_err(t, rc);
    if (!err && n) {
        qsort(ids, n, sizeof *ids, cmp_id);
        bool others = f->status >= 0 || f->company_id || f->case_id;
        for (size_t i = 0; i < n && !err; i++) {
            if (others) {
                int ok = followup_accept(t, ids[i], (void *)f);
                if (ok < 0) {
                    err = ok;
                    break;
                }
                if (!ok)
                    continue;
            }
            if (p->count == p->limit) {
                p->next = p->count ? p->ids[p->count - 1] : 0;
                break;
            }
            p->ids[p->count++] = ids[i];
        }
    }
    free(ids);
    return err;
}

int lb_followup_list(lb_txn *t, const struct lb_followup_filter *f, struct lb_page *p)
{
    struct lb__src src;
    int rc;
    if (f->assignee && !f->case_id)
        return list_by_assignee(t, f, p);
    if (f->case_id) {
        uint8_t kb[8];
        lb__be64(kb, f->case_id);
        rc = lb__src_open(t, &src, LB_IX_FOLLOWUP_CASE, kb, 8, p->after);
    } else if (f->status >= 0) {
        uint8_t st = (uint8_t)f->status;
        rc = lb__src_open(t, &src, LB_IX_FOLLOWUP_STATUS, &st, 1, p->after);
    } else {
        rc = lb__src_open(t, &src, LB_DB_FOLLOWUPS, NULL, 0, p->after);
    }
    bool exact = !f->assignee && f->due_before == LB_DATE_NONE && !f->company_id &&
                 (f->case_id ? f->status < 0 : true);
    if (rc == 0)
        rc = lb__page_merge(t, &src, 1, exact ? NULL : followup_accept, (void *)f, p);
    lb__src_close(&src);
    return rc;
}
