/* store_handoffs.c: hand-offs from the lots to the municipality's units.
 *
 * States: sent -> acknowledged -> decided, sent|acknowledged -> withdrawn;
 * overdue is a flag set once on a sent hand-off. Indexes: unit+status (a
 * unit's inbox), status, and case. lb_handoff_list merges the inbox lists of
 * the requested units and statuses (or the status lists) in id order, oldest
 * or newest first, or walks the case list, and checks the rest of the filter
 * on each record. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "store_internal.h"

static int unit_status_key(const char *unit, int status, uint8_t *key, size_t *len)
{
    size_t n = unit ? strlen(unit) : 0;
    if (n == 0 || n + 2 > LB__KEY_MAX)
        return LB_EINVAL;
    memcpy(key, unit, n);
    key[n] = 0;
    key[n + 1] = (uint8_t)status;
    *len = n + 2;
    return 0;
}

static int handoff_keys(const void *r, struct lb__keys *ks)
{
    const struct lb_handoff *h = r;
    uint8_t key[LB__KEY_MAX];
    size_t len;
    int rc = unit_status_key(h->unit, (int)h->status, key, &len);
    if (!rc)
        rc = lb__keys_add(ks, LB_IX_HANDOFF_UNIT_STATUS, key, len);
    if (!rc)
        rc = lb__keys_add_u8(ks, LB_IX_HANDOFF_STATUS, (uint8_t)h->status);
    if (!rc)
        rc = lb__keys_add_id(ks, LB_IX_HANDOFF_CASE, h->case_id);
    return rc;
}

LB__RTYPE(handoff, LB_DB_HANDOFFS, handoff_keys);

static void handoff_event(struct lb__ev *e, const struct lb_handoff *h)
{
    lb__ev_uint(e, "case_id", h->case_id);
    lb__ev_uint(e, "company_id", h->company_id);
    lb__ev_str(e, "unit", h->unit);
    lb__ev_str(e, "status", lb_handoff_status_str(h->status));
    lb__ev_time(e, "sent_at", h->sent_at);
}

/* The owner of h's case, for events the worker acts on. Caller frees. */
static int case_owner(lb_txn *t, lb_id case_id, char **owner)
{
    struct lb_case k = {0};
    *owner = NULL;
    int rc = lb_case_get(t, case_id, &k);
    if (rc == 0) {
        *owner = k.owner;
        k.owner = NULL;
    }
    lb_case_clear(&k);
    return rc;
}

static void handoff_give(struct lb_handoff *cur, struct lb_handoff *out)
{
    if (out) {
        lb_handoff_clear(out);
        *out = *cur;
        memset(cur, 0, sizeof *cur);
    } else {
        lb_handoff_clear(cur);
    }
}

int lb_handoff_create(lb_txn *t, const struct lb_ctx *c, struct lb_handoff *rec)
{
    struct lb_case k = {0};
    uint8_t key[LB__KEY_MAX];
    size_t len;
    lb_id id;
    if (unit_status_key(rec->unit, 0, key, &len))
        return LB_EINVAL;
    int rc = lb_case_get(t, rec->case_id, &k);
    if (rc)
        return rc;
    if (k.status != LB_CASE_OPEN) {
        rc = LB_ESTATE;
        goto out;
    }
    if (!rec->sent_by && (rc = lb__strdup(c->actor, &rec->sent_by)))
        goto out;
    if ((rc = lb__strset(&rec->reference, NULL)) || (rc = lb__strset(&rec->decision_note, NULL)) ||
        (rc = lb__strset(&rec->withdraw_note, NULL)) ||
        (rc = lb__next_id(t, &lb__handoff_type, &id)))
        goto out;
    lb__meta_new(&rec->meta, id, c);
    rec->company_id = k.company_id;
    rec->status = LB_HANDOFF_SENT;
    rec->sent_at = c->now;
    rec->acknowledged_at = LB_TIME_NONE;
    rec->decided_at = LB_TIME_NONE;
    rec->decision = LB_DECISION_NONE;
    rec->withdrawn_at = LB_TIME_NONE;
    rec->overdue = false;
    if ((rc = lb__put(t, &lb__handoff_type, NULL, rec)))
        goto out;
    struct lb__ev e;
    lb__ev_init(&e);
    handoff_event(&e, rec);
    lb__ev_str(&e, "sent_by", rec->sent_by);
    lb__ev_str(&e, "owner", k.owner);
    rc = lb__ev_append(t, c, "handoff.created", id, &e);
    lb__ev_done(&e);
out:
    lb_case_clear(&k);
    return rc;
}

int lb_handoff_get(lb_txn *t, lb_id id, struct lb_handoff *out)
{
    return lb__get(t, &lb__handoff_type, id, out);
}

/* The shared shape of a transition: load old and cur, check the state with
 * allowed (a bit per status), let apply change cur, store, and append the
 * event built by apply's caller. */
struct transition {
    unsigned allowed;
    bool need_not_overdue;
    int (*apply)(struct lb_handoff *cur, const struct lb_ctx *c, const void *arg);
    const void *arg;
    const char *type;
    bool with_owner;
};

static int transition(lb_txn *t, const struct lb_ctx *c, lb_id id, const struct transition *tr,
                      struct lb_handoff *out)
{
    struct lb_handoff old = {0}, cur = {0};
    char *owner = NULL;
    int rc = lb_handoff_get(t, id, &old);
    if (rc)
        return rc;
    if (!(tr->allowed & (1u << old.status)) || (tr->need_not_overdue && old.overdue)) {
        rc = LB_ESTATE;
        goto out;
    }
    if ((rc = lb_handoff_get(t, id, &cur)) || (rc = lb__touch(&cur.meta, c, 0)) ||
        (rc = tr->apply(&cur, c, tr->arg)) || (rc = lb__put(t, &lb__handoff_type, &old, &cur)))
        goto out;
    if (tr->with_owner && (rc = case_owner(t, cur.case_id, &owner)))
        goto out;
    struct lb__ev e;
    lb__ev_init(&e);
    handoff_event(&e, &cur);
    if (cur.status == LB_HANDOFF_ACKNOWLEDGED)
        lb__ev_time(&e, "acknowledged_at", cur.acknowledged_at);
    if (cur.status == LB_HANDOFF_DECIDED) {
        lb__ev_time(&e, "acknowledged_at", cur.acknowledged_at);
        lb__ev_str(&e, "decision", lb_decision_str(cur.decision));
        lb__ev_time(&e, "decided_at", cur.decided_at);
    }
    if (cur.status == LB_HANDOFF_WITHDRAWN)
        lb__ev_time(&e, "withdrawn_at", cur.withdrawn_at);
    if (tr->with_owner)
        lb__ev_str(&e, "owner", owner);
    rc = lb__ev_append(t, c, tr->type, id, &e);
    lb__ev_done(&e);
    if (rc == 0)
        handoff_give(&cur, out);
out:
    free(owner);
    lb_handoff_clear(&old);
    lb_handoff_clear(&cur);
    return rc;
}

#define BIT(s) (1u << (s))

static int apply_ack(struct lb_handoff *h, const struct lb_ctx *c, const void *arg)
{
    h->status = LB_HANDOFF_ACKNOWLEDGED;
    h->acknowledged_at = c->now;
    return lb__strset(&h->reference, arg);
}

int lb_handoff_acknowledge(lb_txn *t, const struct lb_ctx *c, lb_id id, const char *reference,
                           struct lb_handoff *out)
{
    struct transition tr = {BIT(LB_HANDOFF_SENT),   false, apply_ack, reference,
                            "handoff.acknowledged", false};
    return transition(t, c, id, &tr, out);
}

struct decide_arg {
    enum lb_decision decision;
    const char *note;
    lb_time at;
};

static int apply_decide(struct lb_handoff *h, const struct lb_ctx *c, const void *arg)
{
    const struct decide_arg *d = arg;
    h->status = LB_HANDOFF_DECIDED;
    h->decision = d->decision;
    h->decided_at = d->at == LB_TIME_NONE ? c->now : d->at;
    return lb__strset(&h->decision_note, d->note);
}

int lb_handoff_decide(lb_txn *t, const struct lb_ctx *c, lb_id id, enum lb_decision decision,
                      const char *note, lb_time decided_at, struct lb_handoff *out)
{
    if (decision <= LB_DECISION_NONE || decision >= LB_DECISION_COUNT)
        return LB_EINVAL;
    struct decide_arg d = {decision, note, decided_at};
    struct transition tr = {BIT(LB_HANDOFF_SENT) | BIT(LB_HANDOFF_ACKNOWLEDGED),
                            false,
                            apply_decide,
                            &d,
                            "handoff.decided",
                            true};
    return transition(t, c, id, &tr, out);
}

static int apply_withdraw(struct lb_handoff *h, const struct lb_ctx *c, const void *arg)
{
    h->status = LB_HANDOFF_WITHDRAWN;
    h->withdrawn_at = c->now;
    return lb__strset(&h->withdraw_note, arg);
}

int lb_handoff_withdraw(lb_txn *t, const struct lb_ctx *c, lb_id id, const char *note,
                        struct lb_handoff *out)
{
    struct transition tr = {BIT(LB_HANDOFF_SENT) | BIT(LB_HANDOFF_ACKNOWLEDGED),
                            false,
                            apply_withdraw,
                            note,
                            "handoff.withdrawn",
                            false};
    return transition(t, c, id, &tr, out);
}

static int apply_overdue(struct lb_handoff *h, const struct lb_ctx *c, const void *arg)
{
    h->overdue = true;
    return 0;
}

int lb_handoff_flag_overdue(lb_txn *t, const struct lb_ctx *c, lb_id id, struct lb_handoff *out)
{
    struct transition tr = {BIT(LB_HANDOFF_SENT), true, apply_overdue, NULL,
                            "handoff.overdue",    true};
    return transition(t, c, id, &tr, out);
}

static int handoff_accept(lb_txn *t, lb_id id, void *arg)
{
    const struct lb_handoff_filter *f = arg;
    struct lb_handoff h = {0};
    int rc = lb_handoff_get(t, id, &h);
    if (rc)
        return rc == LB_ENOTFOUND ? LB_ECORRUPT : rc;
    int ok = 1;
    if (f->statuses && !(f->statuses & (1u << h.status)))
        ok = 0;
    if (f->overdue >= 0 && (int)h.overdue != f->overdue)
        ok = 0;
    if (f->case_id && h.case_id != f->case_id)
        ok = 0;
    if (f->company_id && h.company_id != f->company_id)
        ok = 0;
    if (f->units) {
        bool found = false;
        for (size_t i = 0; i < f->nunits && !found; i++)
            found = f->units[i] && h.unit && strcmp(f->units[i], h.unit) == 0;
        if (!found)
            ok = 0;
    }
    lb_handoff_clear(&h);
    return ok;
}

/* Whether status st is wanted by the filter. */
static bool status_wanted(const struct lb_handoff_filter *f, int st)
{
    return !f->statuses || (f->statuses & (1u << st));
}

int lb_handoff_list(lb_txn *t, const struct lb_handoff_filter *f, struct lb_page *p)
{
    struct lb__src *srcs = NULL;
    size_t nsrc = 0;
    int rc = 0;
    p->count = 0;
    p->next = 0;
    if (f->units && f->nunits == 0)
        return 0;
    if (f->case_id) {
        uint8_t kb[8];
        lb__be64(kb, f->case_id);
        srcs = calloc(1, sizeof *srcs);
        if (!srcs)
            return LB_ENOMEM;
        rc = lb__src_open_page(t, &srcs[nsrc++], LB_IX_HANDOFF_CASE, kb, 8, p);
    } else if (f->units) {
        srcs = calloc(f->nunits * (size_t)LB_HANDOFF_STATUS_COUNT, sizeof *srcs);
        if (!srcs)
            return LB_ENOMEM;
        for (size_t i = 0; i < f->nunits && rc == 0; i++) {
            for (int st = 0; st < LB_HANDOFF_STATUS_COUNT && rc == 0; st++) {
                uint8_t key[LB__KEY_MAX];
                size_t len;
                if (!status_wanted(f, st) || unit_status_key(f->units[i], st, key, &len))
                    continue; /* not wanted, or no such unit can have hand-offs */
                rc = lb__src_open_page(t, &srcs[nsrc++], LB_IX_HANDOFF_UNIT_STATUS, key, len, p);
            }
        }
    } else if (f->statuses) {
        srcs = calloc(LB_HANDOFF_STATUS_COUNT, sizeof *srcs);
        if (!srcs)
            return LB_ENOMEM;
        for (int st = 0; st < LB_HANDOFF_STATUS_COUNT && rc == 0; st++) {
            uint8_t key = (uint8_t)st;
            if (status_wanted(f, st))
                rc = lb__src_open_page(t, &srcs[nsrc++], LB_IX_HANDOFF_STATUS, &key, 1, p);
        }
    } else {
        srcs = calloc(1, sizeof *srcs);
        if (!srcs)
            return LB_ENOMEM;
        rc = lb__src_open_page(t, &srcs[nsrc++], LB_DB_HANDOFFS, NULL, 0, p);
    }
    bool need_check = f->overdue >= 0 || f->company_id || (f->case_id && (f->units || f->statuses));
    if (rc == 0)
        rc = lb__page_merge(t, srcs, nsrc, need_check ? handoff_accept : NULL, (void *)f, p);
    for (size_t i = 0; i < nsrc; i++)
        lb__src_close(&srcs[i]);
    free(srcs);
    return rc;
}
