/* scheduler.c: the follow-up rules applied to the event stream (scheduler.h).
 *
 * State the rules need and the events that feed it:
 *   case.opened/updated   the case's company and owner (the assignee of its calls)
 *   case.closed           -> a lots follow-up (rule "lots")
 *   case.reopened         -> its pending lots call cancelled when it is the call's only item
 *   handoff.created       the hand-off's case, company, unit, sending date; pending acknowledgement
 *   handoff.acknowledged/withdrawn/overdue   no longer pending
 *   handoff.decided       -> a unit follow-up (rule "unit")
 *   followup.scheduled/updated/recorded      the company's calls: due date, status, day made
 *   survey.sent/answered/bounced/opted_out   the same for a call asked by e-mail
 * Effects are made before the state is written, inside the caller's
 * transaction, so what the state says always happened at lotsd.
 *
 * Every request carries the Idempotency-Key "ev-<seq>-<rule>[-<target>]":
 * deciding from the same state gives the same request, so an event replayed
 * after a crash repeats the very request lotsd already answered and gets the
 * first answer back instead of a second follow-up. */
#include "scheduler.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lotsbok/calendar.h"
#include "lotsbok/enums.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"
#include "wlog.h"

#define MAX_CALLS 256 /* a company's calls the merge rule looks at */
#define MAX_TRIES 8   /* merge targets tried before giving up on an event */
#define PENDING_PAGE 256

bool lb_sched_has_effect(const struct lb_wev *ev)
{
    return lb_wev_is(ev, "case.closed") || lb_wev_is(ev, "case.reopened") ||
           lb_wev_is(ev, "handoff.decided");
}

static bool is_2xx(long status)
{
    return status >= 200 && status < 300;
}

/* A 409 that says the item is already on the call: the effect is there. */
static bool says_duplicate(const json_t *resp)
{
    const char *code = lb_effects_error_code(resp);
    return strstr(code, "exist") != NULL || strstr(code, "duplicate") != NULL ||
           strstr(code, "already") != NULL;
}

static void note_effect(struct lb_sched *s, MDB_txn *t, const char *key, lb_id target, uint64_t seq,
                        int *rc)
{
    if (*rc != 0)
        return;
    struct lb_weffect e = {.target = target, .seq = seq};
    *rc = lb_wstate_effect_put(s->st, t, key, &e);
}

/* The company's calls the rules consider, minus `excluded`. */
static int load_calls(struct lb_sched *s, MDB_txn *t, lb_id company_id, const lb_id *excluded,
                      size_t nexcluded, struct lb_fr_call *calls, size_t *ncalls)
{
    lb_id ids[MAX_CALLS];
    size_t n = 0;
    *ncalls = 0;
    int rc = lb_wstate_company_calls(s->st, t, company_id, ids, MAX_CALLS, &n);
    if (rc == LB_ETOOBIG) /* the rule only looks at the first MAX_CALLS; logged */
        lb_wlog("warn", "company has too many calls", "company_id=%" PRIu64, company_id);
    else if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        bool skip = false;
        for (size_t j = 0; j < nexcluded; j++)
            skip = skip || excluded[j] == ids[i];
        struct lb_wfollowup f;
        if (skip)
            continue;
        rc = lb_wstate_followup_get(s->st, t, ids[i], &f);
        if (rc == LB_ENOTFOUND)
            continue;
        if (rc != 0)
            return rc;
        if (f.status == LB_FOLLOWUP_SCHEDULED)
            calls[*ncalls] = (struct lb_fr_call){ids[i], LB_FR_CALL_SCHEDULED, f.due};
        else if ((f.status == LB_FOLLOWUP_DONE || f.status == LB_FOLLOWUP_DECLINED) &&
                 f.made != LB_DATE_NONE)
            calls[*ncalls] = (struct lb_fr_call){ids[i], LB_FR_CALL_MADE, f.made};
        else
            continue;
        (*ncalls)++;
    }
    return 0;
}

static json_t *item_json(enum lb_followup_kind kind, lb_id case_id, lb_id handoff_id)
{
    json_t *item = json_object();
    if (item == NULL)
        return NULL;
    int bad = json_object_set_new(item, "kind", json_string(lb_followup_kind_str(kind)));
    bad |= json_object_set_new(item, "case_id", json_integer((json_int_t)case_id));
    if (handoff_id != 0)
        bad |= json_object_set_new(item, "handoff_id", json_integer((json_int_t)handoff_id));
    if (bad) {
        json_decref(item);
        return NULL;
    }
    return item;
}

struct want {
    const struct lb_wev *ev;
    const char *rule; /* "lots" or "unit" */
    enum lb_followup_kind kind;
    lb_id case_id, handoff_id, company_id;
    const char *assignee;
    lb_date due;
};

/* Puts one follow-up item where the rules say, through the API. *fid is the
 * call holding it, or 0 when lotsd refused it for good (logged). */
static int schedule_item(struct lb_sched *s, MDB_txn *t, const struct want *w, lb_id *fid)
{
    struct lb_fr_call calls[MAX_CALLS];
    lb_id excluded[MAX_TRIES];
    size_t nexcluded = 0, ncalls = 0;
    char key[128], path[96];
    *fid = 0;
    for (int tries = 0; tries < MAX_TRIES; tries++) {
        int rc = load_calls(s, t, w->company_id, excluded, nexcluded, calls, &ncalls);
        if (rc != 0)
            return rc;
        struct lb_fr_decision d;
        lb_fr_decide(&s->cfg, w->due, calls, ncalls, &d);
        json_t *item = item_json(w->kind, w->case_id, w->handoff_id);
        if (item == NULL)
            return LB_ENOMEM;
        long status;
        json_t *resp = NULL;
        if (d.action == LB_FR_MERGE) {
            char rule[32];
            snprintf(rule, sizeof rule, "%s-merge", w->rule);
            if (lb_fr_key(key, sizeof key, w->ev->seq, rule, d.merge_into) != 0) {
                json_decref(item);
                return LB_EINTERNAL;
            }
            snprintf(path, sizeof path, "/api/v1/followups/%" PRIu64 "/items", d.merge_into);
            rc = lb_effects_call(s->fx, "POST", path, item, key, &status, &resp);
            json_decref(item);
            if (rc != 0)
                return rc;
            bool dup = status == 409 && says_duplicate(resp);
            json_decref(resp);
            if (is_2xx(status) || dup) {
                struct lb_wfollowup f;
                rc = lb_wstate_followup_get(s->st, t, d.merge_into, &f);
                if (rc == 0 && is_2xx(status)) {
                    f.nitems++;
                    rc = lb_wstate_followup_put(s->st, t, d.merge_into, &f);
                }
                note_effect(s, t, key, d.merge_into, w->ev->seq, &rc);
                if (rc != 0)
                    return rc;
                s->merged++;
                lb_wlog("info", "follow-up merged",
                        "seq=%" PRIu64 " rule=%s followup_id=%" PRIu64 " case_id=%" PRIu64
                        " status=%ld",
                        w->ev->seq, w->rule, d.merge_into, w->case_id, status);
                *fid = d.merge_into;
                return 0;
            }
            if (status == 409 || status == 404) {
                /* The call is no longer scheduled at lotsd (its result was
                 * recorded after the state we decided from): decide again
                 * without it. The same happens on a replay, so keys agree. */
                lb_wlog("info", "merge target no longer open, deciding again",
                        "seq=%" PRIu64 " followup_id=%" PRIu64 " status=%ld", w->ev->seq,
                        d.merge_into, status);
                excluded[nexcluded++] = d.merge_into;
                continue;
            }
            lb_wlog("error", "lotsd refused a merge; skipped",
                    "seq=%" PRIu64 " followup_id=%" PRIu64 " status=%ld key=%s", w->ev->seq,
                    d.merge_into, status, key);
            s->skipped++;
            return 0;
        }
        json_t *body = json_object();
        json_t *items = json_array();
        char due[11];
        lb_date_format(d.due, due);
        if (body == NULL || items == NULL || json_array_append_new(items, item) != 0 ||
            json_object_set_new(body, "items", items) != 0 ||
            json_object_set_new(body, "company_id", json_integer((json_int_t)w->company_id)) ||
            json_object_set_new(body, "due", json_string(due)) ||
            json_object_set_new(body, "assignee", json_string(w->assignee))) {
            json_decref(body);
            return LB_ENOMEM;
        }
        if (lb_fr_key(key, sizeof key, w->ev->seq, w->rule, 0) != 0) {
            json_decref(body);
            return LB_EINTERNAL;
        }
        rc = lb_effects_call(s->fx, "POST", "/api/v1/followups", body, key, &status, &resp);
        json_decref(body);
        if (rc != 0)
            return rc;
        json_int_t id = json_integer_value(json_object_get(resp, "id"));
        json_decref(resp);
        if (!is_2xx(status) || id <= 0) {
            lb_wlog("error", "lotsd refused a follow-up; skipped",
                    "seq=%" PRIu64 " status=%ld key=%s", w->ev->seq, status, key);
            s->skipped++;
            return 0;
        }
        struct lb_wfollowup f = {.status = LB_FOLLOWUP_SCHEDULED,
                                 .company_id = w->company_id,
                                 .due = d.due,
                                 .made = LB_DATE_NONE,
                                 .nitems = 1};
        rc = lb_wstate_followup_put(s->st, t, (lb_id)id, &f);
        note_effect(s, t, key, (lb_id)id, w->ev->seq, &rc);
        if (rc != 0)
            return rc;
        s->created++;
        lb_wlog("info", "follow-up scheduled",
                "seq=%" PRIu64 " rule=%s followup_id=%" PRIu64 " case_id=%" PRIu64 " due=%s",
                w->ev->seq, w->rule, (lb_id)id, w->case_id, due);
        *fid = (lb_id)id;
        return 0;
    }
    lb_wlog("error", "no call accepted the follow-up; skipped", "seq=%" PRIu64, w->ev->seq);
    s->skipped++;
    return 0;
}

static lb_date date_of(const struct lb_wev *ev, const char *key)
{
    lb_time at;
    if (!lb_wev_time(ev, key, &at))
        at = ev->at;
    return lb_stockholm_date(at);
}

static int on_case_opened(struct lb_sched *s, MDB_txn *t, const struct lb_wev *ev)
{
    struct lb_wcase c;
    int rc = lb_wstate_case_get(s->st, t, ev->id, &c);
    if (rc == LB_ENOTFOUND) {
        memset(&c, 0, sizeof c);
        c.status = LB_CASE_OPEN;
    } else if (rc != 0) {
        return rc;
    }
    uint64_t company;
    if (lb_wev_u64(ev, "company_id", &company))
        c.company_id = company;
    char owner[LB_WNAME_MAX];
    if (lb_wev_str(ev, "owner", owner, sizeof owner))
        memcpy(c.owner, owner, sizeof owner);
    return lb_wstate_case_put(s->st, t, ev->id, &c);
}

static void copy_actor(const struct lb_wev *ev, char *buf, size_t len)
{
    size_t n = ev->actor_len < len - 1 ? ev->actor_len : 0;
    if (ev->actor != NULL && n > 0)
        memcpy(buf, ev->actor, n);
    buf[n] = '\0';
}

static int on_case_closed(struct lb_sched *s, MDB_txn *t, const struct lb_wev *ev)
{
    struct lb_wcase c;
    int rc = lb_wstate_case_get(s->st, t, ev->id, &c);
    if (rc == LB_ENOTFOUND) {
        memset(&c, 0, sizeof c);
        uint64_t company;
        if (lb_wev_u64(ev, "company_id", &company))
            c.company_id = company;
    } else if (rc != 0) {
        return rc;
    }
    c.status = LB_CASE_CLOSED;
    if (c.owner[0] == '\0')
        copy_actor(ev, c.owner, sizeof c.owner);
    if (c.lots_fid != 0) {
        struct lb_wfollowup f;
        rc = lb_wstate_followup_get(s->st, t, c.lots_fid, &f);
        if (rc == 0 && f.status == LB_FOLLOWUP_SCHEDULED) /* kept through a reopening */
            return lb_wstate_case_put(s->st, t, ev->id, &c);
        if (rc != 0 && rc != LB_ENOTFOUND)
            return rc;
    }
    if (c.company_id == 0 || c.owner[0] == '\0') {
        lb_wlog("error", "closed case unknown to the worker; no follow-up",
                "seq=%" PRIu64 " case_id=%" PRIu64, ev->seq, ev->id);
        s->skipped++;
        return lb_wstate_case_put(s->st, t, ev->id, &c);
    }
    struct want w = {.ev = ev,
                     .rule = "lots",
                     .kind = LB_FOLLOWUP_KIND_LOTS,
                     .case_id = ev->id,
                     .company_id = c.company_id,
                     .assignee = c.owner,
                     .due = lb_fr_due(&s->cfg, date_of(ev, "closed_at"))};
    lb_id fid;
    rc = schedule_item(s, t, &w, &fid);
    if (rc != 0)
        return rc;
    c.lots_fid = fid;
    return lb_wstate_case_put(s->st, t, ev->id, &c);
}

static int on_case_reopened(struct lb_sched *s, MDB_txn *t, const struct lb_wev *ev)
{
    struct lb_wcase c;
    int rc = lb_wstate_case_get(s->st, t, ev->id, &c);
    if (rc == LB_ENOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    c.status = LB_CASE_OPEN;
    if (c.lots_fid == 0)
        return lb_wstate_case_put(s->st, t, ev->id, &c);
    struct lb_wfollowup f;
    rc = lb_wstate_followup_get(s->st, t, c.lots_fid, &f);
    if (rc != 0 && rc != LB_ENOTFOUND)
        return rc;
    if (rc == LB_ENOTFOUND || f.status != LB_FOLLOWUP_SCHEDULED) {
        c.lots_fid = 0; /* already made or gone: a new closure gets a new call */
        return lb_wstate_case_put(s->st, t, ev->id, &c);
    }
    if (f.nitems > 1) {
        /* The call covers other cases or hand-offs: it stays, with this
         * case's item (the API cannot remove one item). A new closure then
         * finds the item still scheduled and adds nothing. */
        lb_wlog("info", "reopened case shares its call; call kept",
                "seq=%" PRIu64 " case_id=%" PRIu64 " followup_id=%" PRIu64, ev->seq, ev->id,
                c.lots_fid);
        return lb_wstate_case_put(s->st, t, ev->id, &c);
    }
    char key[128], path[96];
    if (lb_fr_key(key, sizeof key, ev->seq, "cancel", c.lots_fid) != 0)
        return LB_EINTERNAL;
    snprintf(path, sizeof path, "/api/v1/followups/%" PRIu64, c.lots_fid);
    json_t *body = json_pack("{s:s}", "status", "cancelled");
    if (body == NULL)
        return LB_ENOMEM;
    long status;
    json_t *resp = NULL;
    rc = lb_effects_call(s->fx, "PATCH", path, body, key, &status, &resp);
    json_decref(body);
    json_decref(resp);
    if (rc != 0)
        return rc;
    if (is_2xx(status) || status == 409 || status == 404) {
        /* 409: no longer scheduled (already cancelled by our earlier try, or
         * made meanwhile); either way nothing is left to cancel. */
        if (is_2xx(status)) {
            f.status = LB_FOLLOWUP_CANCELLED;
            rc = lb_wstate_followup_put(s->st, t, c.lots_fid, &f);
            if (rc != 0)
                return rc;
            s->cancelled++;
        }
        note_effect(s, t, key, c.lots_fid, ev->seq, &rc);
        if (rc != 0)
            return rc;
        lb_wlog("info", "follow-up cancelled",
                "seq=%" PRIu64 " case_id=%" PRIu64 " followup_id=%" PRIu64 " status=%ld", ev->seq,
                ev->id, c.lots_fid, status);
        c.lots_fid = 0;
    } else {
        lb_wlog("error", "lotsd refused a cancellation; skipped",
                "seq=%" PRIu64 " followup_id=%" PRIu64 " status=%ld", ev->seq, c.lots_fid, status);
        s->skipped++;
    }
    return lb_wstate_case_put(s->st, t, ev->id, &c);
}

static int on_handoff_created(struct lb_sched *s, MDB_txn *t, const struct lb_wev *ev)
{
    struct lb_whandoff h;
    memset(&h, 0, sizeof h);
    h.status = LB_HANDOFF_SENT;
    uint64_t v;
    if (lb_wev_u64(ev, "case_id", &v))
        h.case_id = v;
    if (lb_wev_u64(ev, "company_id", &v))
        h.company_id = v;
    if (h.company_id == 0 && h.case_id != 0) {
        struct lb_wcase c;
        int rc = lb_wstate_case_get(s->st, t, h.case_id, &c);
        if (rc == 0)
            h.company_id = c.company_id;
        else if (rc != LB_ENOTFOUND)
            return rc;
    }
    if (!lb_wev_str(ev, "unit", h.unit, sizeof h.unit))
        h.unit[0] = '\0';
    h.sent = date_of(ev, "sent_at");
    int rc = lb_wstate_handoff_put(s->st, t, ev->id, &h);
    if (rc == 0)
        rc = lb_wstate_pending_put(s->st, t, h.sent, ev->id);
    return rc;
}

/* acknowledged, withdrawn, overdue, decided: no longer waiting. */
static int handoff_settle(struct lb_sched *s, MDB_txn *t, const struct lb_wev *ev,
                          struct lb_whandoff *h, bool *known)
{
    int rc = lb_wstate_handoff_get(s->st, t, ev->id, h);
    *known = rc == 0;
    if (rc == LB_ENOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (lb_wev_is(ev, "handoff.acknowledged"))
        h->status = LB_HANDOFF_ACKNOWLEDGED;
    else if (lb_wev_is(ev, "handoff.withdrawn"))
        h->status = LB_HANDOFF_WITHDRAWN;
    else if (lb_wev_is(ev, "handoff.decided"))
        h->status = LB_HANDOFF_DECIDED;
    else if (lb_wev_is(ev, "handoff.overdue"))
        h->overdue = 1;
    return lb_wstate_pending_del(s->st, t, h->sent, ev->id);
}

static int on_handoff_decided(struct lb_sched *s, MDB_txn *t, const struct lb_wev *ev)
{
    struct lb_whandoff h;
    bool known;
    int rc = handoff_settle(s, t, ev, &h, &known);
    if (rc != 0)
        return rc;
    /* The owner: from the event (lotsd copies the case's owner into it),
     * else from the case as the worker knows it. */
    char owner[LB_WNAME_MAX];
    if (!lb_wev_str(ev, "owner", owner, sizeof owner) || owner[0] == '\0') {
        struct lb_wcase c;
        rc = known ? lb_wstate_case_get(s->st, t, h.case_id, &c) : LB_ENOTFOUND;
        if (rc != 0 && rc != LB_ENOTFOUND)
            return rc;
        if (rc == 0)
            memcpy(owner, c.owner, sizeof owner);
        else
            owner[0] = '\0';
    }
    if (!known || h.company_id == 0 || owner[0] == '\0' || h.unit[0] == '\0') {
        lb_wlog("error", "decided hand-off unknown to the worker; no follow-up",
                "seq=%" PRIu64 " handoff_id=%" PRIu64, ev->seq, ev->id);
        s->skipped++;
        return known ? lb_wstate_handoff_put(s->st, t, ev->id, &h) : 0;
    }
    if (h.unit_fid != 0)
        return lb_wstate_handoff_put(s->st, t, ev->id, &h);
    struct want w = {.ev = ev,
                     .rule = "unit",
                     .kind = LB_FOLLOWUP_KIND_UNIT,
                     .case_id = h.case_id,
                     .handoff_id = ev->id,
                     .company_id = h.company_id,
                     .assignee = owner,
                     .due = lb_fr_due(&s->cfg, date_of(ev, "decided_at"))};
    lb_id fid;
    rc = schedule_item(s, t, &w, &fid);
    if (rc != 0)
        return rc;
    h.unit_fid = fid;
    return lb_wstate_handoff_put(s->st, t, ev->id, &h);
}

/* Links the items of a call to their cases and hand-offs. */
static int link_items(struct lb_sched *s, MDB_txn *t, lb_id fid, const msgpack_object *items)
{
    for (uint32_t i = 0; i < items->via.array.size; i++) {
        const msgpack_object *it = &items->via.array.ptr[i];
        char kind[8];
        uint64_t case_id = 0, handoff_id = 0;
        if (!lb_mp_as_str(lb_mp_map_get(it, "kind"), kind, sizeof kind))
            continue;
        (void)lb_mp_as_u64(lb_mp_map_get(it, "case_id"), &case_id);
        (void)lb_mp_as_u64(lb_mp_map_get(it, "handoff_id"), &handoff_id);
        int rc = 0;
        if (strcmp(kind, "lots") == 0 && case_id != 0) {
            struct lb_wcase c;
            rc = lb_wstate_case_get(s->st, t, case_id, &c);
            if (rc == 0 && c.lots_fid != fid) {
                c.lots_fid = fid;
                rc = lb_wstate_case_put(s->st, t, case_id, &c);
            }
        } else if (strcmp(kind, "unit") == 0 && handoff_id != 0) {
            struct lb_whandoff h;
            rc = lb_wstate_handoff_get(s->st, t, handoff_id, &h);
            if (rc == 0 && h.unit_fid != fid) {
                h.unit_fid = fid;
                rc = lb_wstate_handoff_put(s->st, t, handoff_id, &h);
            }
        }
        if (rc != 0 && rc != LB_ENOTFOUND)
            return rc;
    }
    return 0;
}

static int on_followup(struct lb_sched *s, MDB_txn *t, const struct lb_wev *ev)
{
    struct lb_wfollowup f;
    int rc = lb_wstate_followup_get(s->st, t, ev->id, &f);
    if (rc == LB_ENOTFOUND) {
        memset(&f, 0, sizeof f);
        f.status = LB_FOLLOWUP_SCHEDULED;
        f.due = LB_DATE_NONE;
        f.made = LB_DATE_NONE;
    } else if (rc != 0) {
        return rc;
    }
    uint64_t v;
    if (f.company_id == 0 && lb_wev_u64(ev, "company_id", &v))
        f.company_id = v;
    lb_date due;
    if (lb_wev_date(ev, "due", &due))
        f.due = due;
    char status[16];
    enum lb_followup_status st;
    if (lb_wev_str(ev, "status", status, sizeof status) &&
        lb_followup_status_from_str(status, &st) == 0) {
        if (st == LB_FOLLOWUP_NO_ANSWER)
            st = LB_FOLLOWUP_SCHEDULED; /* an attempt; the call stays scheduled */
        if ((st == LB_FOLLOWUP_DONE || st == LB_FOLLOWUP_DECLINED) && f.made == LB_DATE_NONE)
            f.made = date_of(ev, "recorded_at");
        f.status = (uint8_t)st;
    }
    const msgpack_object *items = lb_wev_field(ev, "items");
    if (items != NULL && items->type == MSGPACK_OBJECT_ARRAY) {
        if (items->via.array.size > f.nitems)
            f.nitems = items->via.array.size;
        rc = link_items(s, t, ev->id, items);
        if (rc != 0)
            return rc;
    }
    return lb_wstate_followup_put(s->st, t, ev->id, &f);
}

int lb_sched_apply(struct lb_sched *s, MDB_txn *t, const struct lb_wev *ev)
{
    if (ev->type_len < 5)
        return 0;
    switch (ev->type[0]) {
    case 'c':
        if (lb_wev_is(ev, "case.opened") || lb_wev_is(ev, "case.updated"))
            return on_case_opened(s, t, ev);
        if (lb_wev_is(ev, "case.closed"))
            return on_case_closed(s, t, ev);
        if (lb_wev_is(ev, "case.reopened"))
            return on_case_reopened(s, t, ev);
        return 0;
    case 'h':
        if (lb_wev_is(ev, "handoff.created"))
            return on_handoff_created(s, t, ev);
        if (lb_wev_is(ev, "handoff.decided"))
            return on_handoff_decided(s, t, ev);
        if (lb_wev_is(ev, "handoff.acknowledged") || lb_wev_is(ev, "handoff.withdrawn") ||
            lb_wev_is(ev, "handoff.overdue")) {
            struct lb_whandoff h;
            bool known;
            int rc = handoff_settle(s, t, ev, &h, &known);
            if (rc == 0 && known)
                rc = lb_wstate_handoff_put(s->st, t, ev->id, &h);
            return rc;
        }
        return 0;
    case 'f':
        if (lb_wev_is(ev, "followup.scheduled") || lb_wev_is(ev, "followup.updated") ||
            lb_wev_is(ev, "followup.recorded"))
            return on_followup(s, t, ev);
        return 0;
    case 's': /* the e-mail survey moves the call's due date or ends it (docs/surveys.md) */
        if (lb_wev_is(ev, "survey.sent") || lb_wev_is(ev, "survey.answered") ||
            lb_wev_is(ev, "survey.bounced") || lb_wev_is(ev, "survey.opted_out"))
            return on_followup(s, t, ev);
        return 0;
    default:
        return 0;
    }
}

/* Flags one hand-off through the API; commits its own transaction. 0 when
 * settled, 1 when lotsd refused and it stays pending, or an error. */
static int flag_one(struct lb_sched *s, const struct lb_wpending *p)
{
    char key[64], path[96];
    snprintf(key, sizeof key, "handoff-%" PRIu64 "-overdue", p->handoff_id);
    snprintf(path, sizeof path, "/api/v1/handoffs/%" PRIu64 "/overdue", p->handoff_id);
    long status;
    json_t *resp = NULL;
    json_t *body = json_object();
    if (body == NULL)
        return LB_ENOMEM;
    int rc = lb_effects_call(s->fx, "POST", path, body, key, &status, &resp);
    json_decref(body);
    json_decref(resp);
    if (rc != 0)
        return rc;
    /* 2xx flagged now; 409 flagged before or no longer waiting; 404 gone.
     * Anything else is logged and the hand-off left pending for the next
     * check. */
    if (!is_2xx(status) && status != 409 && status != 404) {
        lb_wlog("error", "lotsd refused an overdue flag", "handoff_id=%" PRIu64 " status=%ld",
                p->handoff_id, status);
        return 1;
    }
    MDB_txn *t;
    rc = lb_wstate_begin(s->st, true, &t);
    if (rc != 0)
        return rc;
    struct lb_whandoff h;
    rc = lb_wstate_handoff_get(s->st, t, p->handoff_id, &h);
    if (rc == 0) {
        h.overdue = 1;
        rc = lb_wstate_handoff_put(s->st, t, p->handoff_id, &h);
    } else if (rc == LB_ENOTFOUND) {
        rc = 0;
    }
    if (rc == 0)
        rc = lb_wstate_pending_del(s->st, t, p->sent, p->handoff_id);
    struct lb_weffect e = {.target = p->handoff_id, .seq = 0};
    if (rc == 0)
        rc = lb_wstate_effect_put(s->st, t, key, &e);
    if (rc != 0) {
        lb_wstate_abort(t);
        return rc;
    }
    rc = lb_wstate_commit(t);
    if (rc == 0 && is_2xx(status)) {
        s->flagged++;
        lb_wlog("info", "hand-off flagged overdue", "handoff_id=%" PRIu64 " status=%ld",
                p->handoff_id, status);
    }
    return rc;
}

int lb_sched_overdue(struct lb_sched *s, lb_date today, uint64_t *nflagged)
{
    *nflagged = 0;
    for (;;) {
        struct lb_wpending page[PENDING_PAGE];
        size_t n = 0, due = 0;
        MDB_txn *t;
        int rc = lb_wstate_begin(s->st, false, &t);
        if (rc != 0)
            return rc;
        rc = lb_wstate_pending_list(s->st, t, page, PENDING_PAGE, &n);
        lb_wstate_abort(t);
        if (rc != 0)
            return rc;
        /* Sorted by sending date and the deadline grows with it: stop at the
         * first hand-off still in time. */
        while (due < n && lb_fr_is_overdue(&s->cfg, page[due].sent, today))
            due++;
        size_t refused = 0;
        for (size_t i = 0; i < due; i++) {
            uint64_t before = s->flagged;
            rc = flag_one(s, &page[i]);
            if (rc < 0)
                return rc;
            refused += (size_t)rc;
            *nflagged += s->flagged - before;
        }
        if (due < PENDING_PAGE || refused == due)
            return 0; /* done, or a page lotsd refuses whole: next check */
    }
}
