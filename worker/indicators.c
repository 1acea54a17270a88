/* indicators.c (worker): feeding the indicator accumulator from events, and
 * writing the snapshots to lotsd (indicators.h in this directory).
 *
 * Each event type maps to accumulator calls as docs/indicators.md lists:
 *   case.opened          lb_ind_case_opened(opened_at, company_id)
 *   contact.logged       lb_ind_contact(at, company_id, channel)
 *   case.closed          lb_ind_case_closed(closed_at)
 *   handoff.created      lb_ind_handoff_sent(sent_at, unit)
 *   handoff.acknowledged lb_ind_handoff_acknowledged(sent_at, acknowledged_at, unit)
 *   handoff.decided      lb_ind_handoff_decided(sent_at, decided_at, unit)
 *   handoff.overdue      lb_ind_handoff_overdue(sent_at, unit)
 *   handoff.withdrawn    lb_ind_handoff_withdrawn(sent_at, unit, acknowledged before?)
 *   followup.scheduled   lb_ind_call_due(due), lb_ind_followup_due(due, section) per
 *                        distinct section of its items (the lots function or a unit)
 *   followup.updated     (merged) lb_ind_followup_due for the sections the new items add
 *   followup.recorded    lb_ind_call_result, and lb_ind_followup_result(recorded_at,
 *                        section, status, answers) once per distinct section: two
 *                        items of one section share one answer set and are one
 *                        respondent; a no_answer that left the call unreachable
 *                        counts as unreachable
 *   survey.answered      as followup.recorded (an answer through the e-mail survey's
 *                        form), and lb_ind_followup_by_email per section
 *   followup.corrected   lb_ind_followup_corrected(recorded_at, section,
 *                        previous_answers, answers) once per distinct section: the
 *                        corrected answers replace the old ones where they counted
 *   improvement.created  lb_ind_improvement_identified(identified_at) (+ implemented)
 *   improvement.updated  lb_ind_improvement_implemented(implemented_at), once per action
 * Every instant becomes its Europe/Stockholm date (lb_stockholm_date). The
 * hand-off's sending instant travels in every hand-off event (sent_at). The
 * event's own commit time (`at`) moves the current day: a later day first
 * closes the current one (lb_ind_day_close), as the clock does when no event
 * comes (lb_wind_tick). */
#include "indicators.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"
#include "wlog.h"

/* --- a small id -> value map (open addressing, linear probing) ------------------------ */

struct lb_wmap {
    uint64_t *keys; /* 0 = empty (ids start at 1) */
    uint32_t *vals;
    size_t cap, count;
};

static struct lb_wmap *wmap_new(void)
{
    struct lb_wmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = 1024;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->vals = calloc(m->cap, sizeof *m->vals);
    if (!m->keys || !m->vals) {
        free(m->keys);
        free(m->vals);
        free(m);
        return NULL;
    }
    return m;
}

static void wmap_free(struct lb_wmap *m)
{
    if (m) {
        free(m->keys);
        free(m->vals);
        free(m);
    }
}

static size_t wmap_slot(const struct lb_wmap *m, uint64_t k)
{
    size_t i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & (m->cap - 1);
    while (m->keys[i] != 0 && m->keys[i] != k)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static uint32_t wmap_get(const struct lb_wmap *m, uint64_t k)
{
    size_t i = wmap_slot(m, k);
    return m->keys[i] == k ? m->vals[i] : 0;
}

static int wmap_put(struct lb_wmap *m, uint64_t k, uint32_t v)
{
    if (k == 0)
        return LB_EINVAL;
    if ((m->count + 1) * 2 > m->cap) {
        struct lb_wmap n = {.cap = m->cap * 2};
        n.keys = calloc(n.cap, sizeof *n.keys);
        n.vals = calloc(n.cap, sizeof *n.vals);
        if (!n.keys || !n.vals) {
            free(n.keys);
            free(n.vals);
            return LB_ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (m->keys[i] != 0) {
                size_t j = wmap_slot(&n, m->keys[i]);
                n.keys[j] = m->keys[i];
                n.vals[j] = m->vals[i];
            }
        }
        free(m->keys);
        free(m->vals);
        m->keys = n.keys;
        m->vals = n.vals;
        m->cap = n.cap;
    }
    size_t i = wmap_slot(m, k);
    if (m->keys[i] == 0)
        m->count++;
    m->keys[i] = k;
    m->vals[i] = v;
    return 0;
}

/* --- state ---------------------------------------------------------------------------- */

int lb_wind_init(struct lb_wind *w, const struct lb_ind_config *cfg)
{
    memset(w, 0, sizeof *w);
    struct lb_ind_config def;
    if (cfg == NULL) {
        lb_ind_config_default(&def);
        cfg = &def;
    }
    w->scale_top = cfg->scale_top;
    w->min_dirty = -1;
    w->day = LB_DATE_NONE;
    w->acked = wmap_new();
    w->items = wmap_new();
    w->implemented = wmap_new();
    int rc = (w->acked && w->items && w->implemented) ? lb_ind_new(cfg, &w->acc) : LB_ENOMEM;
    if (rc != 0)
        lb_wind_free(w);
    return rc;
}

void lb_wind_free(struct lb_wind *w)
{
    lb_ind_free(w->acc);
    wmap_free(w->acked);
    wmap_free(w->items);
    wmap_free(w->implemented);
    w->acc = NULL;
    w->acked = w->items = w->implemented = NULL;
}

int lb_wind_qi(int year, int quarter)
{
    if (year < 2000 || year > 2099 || quarter < 1 || quarter > 4)
        return -1;
    return (year - 2000) * 4 + quarter - 1;
}

void lb_wind_range(const struct lb_wind *w, int *first, int *last)
{
    *first = *last = -1;
    for (int i = 0; i < LB_WIND_QUARTERS; i++) {
        if (w->seen[i]) {
            if (*first < 0)
                *first = i;
            *last = i;
        }
    }
}

static void mark_dirty(struct lb_wind *w, int qi, int64_t now_ms)
{
    if (qi < 0 || qi >= LB_WIND_QUARTERS)
        return;
    if (w->min_dirty < 0)
        w->dirty_since_ms = now_ms;
    if (w->min_dirty < 0 || qi < w->min_dirty)
        w->min_dirty = qi;
}

static int qi_of(lb_date d)
{
    int y, q;
    lb_date_quarter(d, &y, &q);
    return lb_wind_qi(y, q);
}

/* Notes that the quarter of date d changed (after a successful call). */
static void touch(struct lb_wind *w, lb_date d, int64_t now_ms)
{
    w->touched = true;
    int qi = qi_of(d);
    if (qi < 0)
        return;
    w->seen[qi] = true;
    mark_dirty(w, qi, now_ms);
}

/* The current day becomes d (later than it): the day before is closed for
 * the published figures, and the quarters whose documents depend on the day
 * are marked: the open one, and those of the last two weeks (hand-offs whose
 * acknowledgement window closes). */
static int day_advance(struct lb_wind *w, lb_date d, int64_t now_ms)
{
    if (d == LB_DATE_NONE || (w->day != LB_DATE_NONE && d <= w->day))
        return 0;
    if (w->day != LB_DATE_NONE) {
        int rc = lb_ind_day_close(w->acc, w->day);
        if (rc != 0)
            return rc;
        for (int qi = qi_of(d - 14); qi >= 0 && qi <= qi_of(d); qi++) {
            if (w->seen[qi])
                mark_dirty(w, qi, now_ms);
        }
    }
    w->day = d;
    return 0;
}

int lb_wind_tick(struct lb_wind *w, int64_t now_ms)
{
    return day_advance(w, lb_stockholm_date(lb_time_now()), now_ms);
}

/* --- feeding ---------------------------------------------------------------------------- */

static bool ev_date(const struct lb_wev *ev, const char *key, lb_date *out)
{
    lb_time t;
    if (!lb_wev_time(ev, key, &t))
        return false;
    *out = lb_stockholm_date(t);
    return *out != LB_DATE_NONE;
}

/* The answers of one item as JSON (scalar values only), for lb_ind_answers_from_json. */
static json_t *answers_json(const msgpack_object *map)
{
    json_t *o = json_object();
    if (!o || map == NULL || map->type != MSGPACK_OBJECT_MAP)
        return o;
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        char key[64];
        if (!lb_mp_as_str(&kv->key, key, sizeof key))
            continue;
        json_t *v;
        switch (kv->val.type) {
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            v = json_integer(kv->val.via.u64 > 1000 ? 1000 : (json_int_t)kv->val.via.u64);
            break;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            v = json_integer(-1);
            break;
        case MSGPACK_OBJECT_BOOLEAN:
            v = json_boolean(kv->val.via.boolean);
            break;
        case MSGPACK_OBJECT_NIL:
            v = json_null();
            break;
        default:
            v = json_string("?");
        }
        json_object_set_new(o, key, v);
    }
    return o;
}

/* One item of a follow-up event: kind and unit (unit "" for the lots item). */
static bool item_of(const msgpack_object *it, enum lb_followup_kind *kind, char *unit, size_t len)
{
    char k[16];
    if (!lb_mp_as_str(lb_mp_map_get(it, "kind"), k, sizeof k) ||
        lb_followup_kind_from_str(k, kind) != 0)
        return false;
    unit[0] = '\0';
    if (*kind == LB_FOLLOWUP_KIND_UNIT)
        return lb_mp_as_str(lb_mp_map_get(it, "unit"), unit, len) && unit[0] != '\0';
    return true;
}

/* The distinct sections of a call's items [from, to): "" for the lots
 * function, else the unit code. A call counts once per section. */
#define SECTIONS_MAX 64
struct sections {
    size_t n;
    enum lb_followup_kind kind[SECTIONS_MAX];
    char code[SECTIONS_MAX][LB_UNIT_CODE_MAX + 1];
};

static bool sections_has(const struct sections *s, const char *code)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->code[i], code) == 0)
            return true;
    }
    return false;
}

static void sections_of(const msgpack_object *items, uint32_t from, uint32_t to, struct sections *s)
{
    for (uint32_t i = from; i < to && s->n < SECTIONS_MAX; i++) {
        enum lb_followup_kind kind;
        char unit[LB_UNIT_CODE_MAX + 1];
        if (!item_of(&items->via.array.ptr[i], &kind, unit, sizeof unit) || sections_has(s, unit))
            continue;
        s->kind[s->n] = kind;
        strcpy(s->code[s->n++], unit);
    }
}

static const msgpack_object *items_of(const struct lb_wev *ev)
{
    const msgpack_object *items = lb_wev_field(ev, "items");
    return items && items->type == MSGPACK_OBJECT_ARRAY ? items : NULL;
}

/* followup.scheduled (the call is due: once, and each of its sections once)
 * and followup.updated merged (only the sections the new items add). Items
 * from index `from` on are new; they are due on the call's due date. */
static int feed_due(struct lb_wind *w, const struct lb_wev *ev, bool scheduled, int64_t now_ms)
{
    const msgpack_object *items = items_of(ev);
    lb_date due;
    if (!items || !lb_wev_date(ev, "due", &due))
        return LB_EINVAL;
    uint32_t from = wmap_get(w->items, ev->id), n = items->via.array.size;
    if (from > n)
        from = n;
    if (scheduled && from == 0) {
        int rc = lb_ind_call_due(w->acc, due);
        if (rc == LB_ENOMEM)
            return rc;
        if (rc == 0)
            touch(w, due, now_ms);
    }
    struct sections old = {0}, add = {0};
    sections_of(items, 0, from, &old);
    sections_of(items, from, n, &add);
    for (size_t i = 0; i < add.n; i++) {
        if (sections_has(&old, add.code[i]))
            continue;
        int rc = lb_ind_followup_due(w->acc, due, add.code[i][0] ? add.code[i] : NULL);
        if (rc == LB_ENOMEM)
            return rc;
        if (rc == 0)
            touch(w, due, now_ms);
    }
    return n > from ? wmap_put(w->items, ev->id, n) : 0;
}

/* followup.recorded: the call's result once, and once per section with that
 * section's answers (items of one section share one answer set). */
static int feed_recorded(struct lb_wind *w, const struct lb_wev *ev, int64_t now_ms)
{
    char result[16], status[16];
    lb_date date;
    const msgpack_object *items = items_of(ev);
    if (!items || !lb_wev_str(ev, "result", result, sizeof result) ||
        !ev_date(ev, "recorded_at", &date))
        return LB_EINVAL;
    if (!lb_wev_str(ev, "status", status, sizeof status))
        status[0] = '\0';
    enum lb_followup_status st;
    if (strcmp(result, "done") == 0)
        st = LB_FOLLOWUP_DONE;
    else if (strcmp(result, "declined") == 0)
        st = LB_FOLLOWUP_DECLINED;
    else if (strcmp(result, "no_answer") == 0)
        st = strcmp(status, "unreachable") == 0 ? LB_FOLLOWUP_UNREACHABLE : LB_FOLLOWUP_NO_ANSWER;
    else
        return LB_EINVAL;
    int rc = lb_ind_call_result(w->acc, date, st);
    if (rc == LB_ENOMEM)
        return rc;
    if (rc == 0)
        touch(w, date, now_ms);
    const msgpack_object *answers = lb_wev_field(ev, "answers");
    char channel[16];
    bool by_email =
        lb_wev_str(ev, "channel", channel, sizeof channel) && strcmp(channel, "email") == 0;
    struct sections secs = {0};
    sections_of(items, 0, items->via.array.size, &secs);
    for (size_t i = 0; i < secs.n; i++) {
        const char *unit = secs.code[i];
        struct lb_ind_answers a;
        bool have = false;
        if (st == LB_FOLLOWUP_DONE && answers && answers->type == MSGPACK_OBJECT_MAP) {
            const msgpack_object *m = lb_mp_map_get(answers, unit[0] ? unit : "lots");
            json_t *j = m ? answers_json(m) : NULL;
            if (j && lb_ind_answers_from_json(secs.kind[i], j, w->scale_top, &a) == 0)
                have = true;
            else if (m)
                lb_wlog("warn", "follow-up answers not counted", "seq=%" PRIu64, ev->seq);
            json_decref(j);
        }
        rc = lb_ind_followup_result(w->acc, date, unit[0] ? unit : NULL, st, have ? &a : NULL);
        if (rc == 0 && st == LB_FOLLOWUP_DONE && by_email)
            rc = lb_ind_followup_by_email(w->acc, date, unit[0] ? unit : NULL);
        if (rc == LB_ENOMEM)
            return rc;
        if (rc == 0)
            touch(w, date, now_ms);
    }
    return 0;
}

/* One section's answers out of an event's answers map: true and *a when
 * they count (as feed_recorded counts them), false when the section has none
 * or they do not parse. */
static bool section_answers(const struct lb_wind *w, const msgpack_object *answers,
                            enum lb_followup_kind kind, const char *unit, struct lb_ind_answers *a)
{
    if (!answers || answers->type != MSGPACK_OBJECT_MAP)
        return false;
    const msgpack_object *m = lb_mp_map_get(answers, unit[0] ? unit : "lots");
    json_t *j = m ? answers_json(m) : NULL;
    bool ok = j && lb_ind_answers_from_json(kind, j, w->scale_top, a) == 0;
    json_decref(j);
    return ok;
}

/* followup.corrected: per section, the answers as they were (what the
 * recorded event or the previous correction counted) leave the quarter of
 * the day the call was recorded, the corrected ones take their place. */
static int feed_corrected(struct lb_wind *w, const struct lb_wev *ev, int64_t now_ms)
{
    char result[16];
    lb_date date;
    const msgpack_object *items = items_of(ev);
    if (!items || !lb_wev_str(ev, "result", result, sizeof result) || strcmp(result, "done") != 0 ||
        !ev_date(ev, "recorded_at", &date))
        return LB_EINVAL;
    const msgpack_object *now = lb_wev_field(ev, "answers");
    const msgpack_object *was = lb_wev_field(ev, "previous_answers");
    struct sections secs = {0};
    sections_of(items, 0, items->via.array.size, &secs);
    for (size_t i = 0; i < secs.n; i++) {
        const char *unit = secs.code[i];
        struct lb_ind_answers before, after;
        bool have_before = section_answers(w, was, secs.kind[i], unit, &before);
        bool have_after = section_answers(w, now, secs.kind[i], unit, &after);
        if (!have_before && !have_after)
            continue;
        int rc =
            lb_ind_followup_corrected(w->acc, date, unit[0] ? unit : NULL,
                                      have_before ? &before : NULL, have_after ? &after : NULL);
        if (rc == LB_ENOMEM)
            return rc;
        if (rc == 0)
            touch(w, date, now_ms);
        else
            lb_wlog("warn", "corrected answers not counted", "seq=%" PRIu64 " section=%s", ev->seq,
                    unit[0] ? unit : "lots");
    }
    return 0;
}

static int feed_handoff(struct lb_wind *w, const struct lb_wev *ev, int64_t now_ms)
{
    char unit[LB_UNIT_CODE_MAX + 1];
    lb_date sent, d;
    if (!lb_wev_str(ev, "unit", unit, sizeof unit) || !ev_date(ev, "sent_at", &sent))
        return LB_EINVAL;
    int rc;
    lb_date touched = sent;
    if (lb_wev_is(ev, "handoff.created")) {
        rc = lb_ind_handoff_sent(w->acc, sent, unit);
    } else if (lb_wev_is(ev, "handoff.acknowledged")) {
        if (!ev_date(ev, "acknowledged_at", &d))
            return LB_EINVAL;
        rc = lb_ind_handoff_acknowledged(w->acc, sent, d, unit);
        if (rc == 0)
            rc = wmap_put(w->acked, ev->id, 1);
    } else if (lb_wev_is(ev, "handoff.decided")) {
        if (!ev_date(ev, "decided_at", &d))
            return LB_EINVAL;
        rc = lb_ind_handoff_decided(w->acc, sent, d, unit);
        touched = d;
    } else if (lb_wev_is(ev, "handoff.overdue")) {
        rc = lb_ind_handoff_overdue(w->acc, sent, unit);
    } else {
        rc = lb_ind_handoff_withdrawn(w->acc, sent, unit, wmap_get(w->acked, ev->id) != 0);
    }
    if (rc == 0)
        touch(w, touched, now_ms);
    return rc;
}

static int feed_improvement(struct lb_wind *w, const struct lb_wev *ev, int64_t now_ms)
{
    char status[16];
    lb_date d;
    int rc = 0;
    if (lb_wev_is(ev, "improvement.created")) {
        if (!ev_date(ev, "identified_at", &d))
            return LB_EINVAL;
        if ((rc = lb_ind_improvement_identified(w->acc, d)) != 0)
            return rc;
        touch(w, d, now_ms);
    }
    if (lb_wev_str(ev, "status", status, sizeof status) && strcmp(status, "implemented") == 0 &&
        wmap_get(w->implemented, ev->id) == 0 && ev_date(ev, "implemented_at", &d)) {
        if ((rc = lb_ind_improvement_implemented(w->acc, d)) != 0)
            return rc;
        touch(w, d, now_ms);
        rc = wmap_put(w->implemented, ev->id, 1);
    }
    return rc;
}

/* Feeds one event; 0 (used or not), LB_EINVAL (unusable fields), LB_ENOMEM. */
static int feed(struct lb_wind *w, const struct lb_wev *ev, int64_t now_ms)
{
    lb_date d;
    uint64_t company;
    char s[16];
    if (lb_wev_is(ev, "case.opened")) {
        if (!ev_date(ev, "opened_at", &d) || !lb_wev_u64(ev, "company_id", &company))
            return LB_EINVAL;
        int rc = lb_ind_case_opened(w->acc, d, company);
        if (rc == 0)
            touch(w, d, now_ms);
        return rc;
    }
    if (lb_wev_is(ev, "case.closed")) {
        if (!ev_date(ev, "closed_at", &d))
            return LB_EINVAL;
        int rc = lb_ind_case_closed(w->acc, d);
        if (rc == 0)
            touch(w, d, now_ms);
        return rc;
    }
    if (lb_wev_is(ev, "contact.logged")) {
        enum lb_channel ch;
        if (!ev_date(ev, "at", &d) || !lb_wev_u64(ev, "company_id", &company) ||
            !lb_wev_str(ev, "channel", s, sizeof s) || lb_channel_from_str(s, &ch) != 0)
            return LB_EINVAL;
        int rc = lb_ind_contact(w->acc, d, company, ch);
        if (rc == 0)
            touch(w, d, now_ms);
        return rc;
    }
    if (lb_wev_is(ev, "handoff.created") || lb_wev_is(ev, "handoff.acknowledged") ||
        lb_wev_is(ev, "handoff.decided") || lb_wev_is(ev, "handoff.overdue") ||
        lb_wev_is(ev, "handoff.withdrawn"))
        return feed_handoff(w, ev, now_ms);
    if (lb_wev_is(ev, "followup.scheduled"))
        return feed_due(w, ev, true, now_ms);
    if (lb_wev_is(ev, "followup.updated")) {
        if (!lb_wev_str(ev, "change", s, sizeof s) || strcmp(s, "merged") != 0)
            return 0;
        return feed_due(w, ev, false, now_ms);
    }
    /* An answer through the e-mail survey's form is survey.answered, with
     * followup.recorded's data: counted alike (docs/surveys.md). */
    if (lb_wev_is(ev, "followup.recorded") || lb_wev_is(ev, "survey.answered"))
        return feed_recorded(w, ev, now_ms);
    if (lb_wev_is(ev, "followup.corrected"))
        return feed_corrected(w, ev, now_ms);
    if (lb_wev_is(ev, "improvement.created") || lb_wev_is(ev, "improvement.updated"))
        return feed_improvement(w, ev, now_ms);
    return 0;
}

int lb_wind_feed(struct lb_wind *w, const struct lb_wev *ev, int64_t now_ms)
{
    if (ev->seq <= w->seq)
        return 0;
    /* A later day closes the current one before the event counts. */
    int rc = day_advance(w, lb_stockholm_date(ev->at), now_ms);
    if (rc == LB_ENOMEM)
        return rc;
    w->touched = false;
    rc = feed(w, ev, now_ms);
    if (rc == LB_ENOMEM)
        return rc;
    if (rc != 0)
        lb_wlog("warn", "event not counted in the indicators",
                "seq=%" PRIu64 " type=%.*s error=\"%s\"", ev->seq, (int)ev->type_len, ev->type,
                lb_strerror(rc));
    if (w->touched)
        w->changed_seq = ev->seq;
    w->seq = ev->seq;
    return 0;
}

int lb_wind_rebuild(struct lb_wind *w, lb_wsub *sub, uint32_t limit, int timeout_ms,
                    volatile sig_atomic_t *stop)
{
    msgpack_zone zone;
    if (!msgpack_zone_init(&zone, 1 << 20))
        return LB_ENOMEM;
    long backoff = 100;
    uint64_t start = w->seq;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = 0;
    for (;;) {
        if (*stop) {
            rc = LB_EBUSY;
            break;
        }
        const void *buf;
        size_t len;
        rc = lb_wsub_replay(sub, w->seq, limit, timeout_ms, &buf, &len);
        msgpack_object arr;
        if (rc == 0) {
            msgpack_zone_clear(&zone);
            rc = lb_mp_unpack(buf, len, &zone, &arr);
            if (rc == 0 && arr.type != MSGPACK_OBJECT_ARRAY)
                rc = LB_ECORRUPT;
        }
        if (rc == LB_ENOMEM)
            break;
        if (rc != 0) {
            lb_wlog("warn", "indicator replay not answered; retrying",
                    "after=%" PRIu64 " wait_ms=%ld", w->seq, backoff);
            struct timespec ts = {backoff / 1000, (backoff % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
            continue;
        }
        backoff = 100;
        uint64_t before = w->seq;
        for (uint32_t i = 0; i < arr.via.array.size && rc == 0; i++) {
            struct lb_wev ev;
            if (lb_wev_from_object(&arr.via.array.ptr[i], &ev) != 0 || ev.seq != w->seq + 1)
                break; /* a gap or garbage: ask again from here */
            rc = lb_wind_feed(w, &ev, 0);
        }
        if (rc != 0)
            break;
        if (arr.via.array.size < limit && w->seq == before + arr.via.array.size)
            break;
    }
    msgpack_zone_destroy(&zone);
    if (rc == 0)
        rc = lb_wind_tick(w, 0);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (rc == 0)
        lb_wlog("info", "indicators rebuilt",
                "from=%" PRIu64 " seq=%" PRIu64 " changed_seq=%" PRIu64 " ms=%" PRId64, start,
                w->seq, w->changed_seq, ms);
    return rc;
}

/* --- writing ---------------------------------------------------------------------------- */

bool lb_wind_due(const struct lb_wind *w, int64_t now_ms, int debounce_ms)
{
    return w->min_dirty >= 0 && now_ms - w->dirty_since_ms >= debounce_ms;
}

int lb_wind_bodies(const struct lb_wind *w, int year, json_t *out[5])
{
    json_t *pub[5];
    lb_time now = lb_time_now();
    int rc = lb_ind_year_snapshots(w->acc, year, LB_IND_LIVE, w->changed_seq, now, out);
    if (rc != 0)
        return rc;
    rc = lb_ind_year_snapshots(w->acc, year, LB_IND_PUBLISHED, w->changed_seq, now, pub);
    for (int i = 0; i < 5; i++) {
        if (rc == 0 && !json_equal(out[i], pub[i]) &&
            json_object_set(out[i], "published", pub[i]) != 0)
            rc = LB_ENOMEM;
        json_decref(pub[i]);
    }
    if (rc != 0) {
        for (int i = 0; i < 5; i++) {
            json_decref(out[i]);
            out[i] = NULL;
        }
    }
    return rc;
}

/* FNV-1a over the body without its computed_at (and the published one's). */
static uint64_t body_hash(json_t *body)
{
    json_t *copy = json_deep_copy(body);
    if (copy == NULL)
        return 0;
    json_object_del(copy, "computed_at");
    json_object_del(json_object_get(copy, "published"), "computed_at");
    char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | LB_IND_JSON_REAL);
    json_decref(copy);
    if (text == NULL)
        return 0;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * UINT64_C(0x100000001b3);
    free(text);
    return h ? h : 1;
}

static void period_name(int pi, char *buf, size_t len)
{
    if (pi < LB_WIND_QUARTERS)
        lb_quarter_format(2000 + pi / 4, pi % 4 + 1, buf);
    else
        snprintf(buf, len, "%04d", 2000 + pi - LB_WIND_QUARTERS);
}

int lb_wind_put(struct lb_wind *w, lb_effects *fx, int pi, json_t *body, const char *key,
                bool force)
{
    char period[16], path[64], k[96];
    if (pi < 0 || pi >= LB_WIND_QUARTERS + LB_WIND_YEARS)
        return LB_EINVAL;
    period_name(pi, period, sizeof period);
    uint64_t h = body_hash(body);
    if (!force && h != 0 && w->written[pi] == h)
        return 0; /* the same documents as last written */
    snprintf(path, sizeof path, "/api/v1/indicators/%s", period);
    if (!key) {
        snprintf(k, sizeof k, "ind-%s-%" PRIu64 "-%016" PRIx64, period, w->changed_seq, h);
        key = k;
    }
    long status = 0;
    json_t *resp = NULL;
    int rc = lb_effects_call(fx, "PUT", path, body, key, &status, &resp);
    if (rc == 0) {
        /* 422 idempotency_key_reused: these documents at this seq are stored
         * already (written before a restart; they differ only in computed_at). */
        bool ok =
            (status >= 200 && status < 300) ||
            (status == 422 && strcmp(lb_effects_error_code(resp), "idempotency_key_reused") == 0);
        if (ok) {
            w->puts++;
            w->written[pi] = h;
            lb_wlog("debug", "indicators written", "period=%s source_seq=%" PRIu64 " status=%ld",
                    period, w->changed_seq, status);
        } else {
            w->errors++;
            lb_wlog("error", "indicators refused", "period=%s status=%ld code=%s key=%s", period,
                    status, lb_effects_error_code(resp), key);
            rc = LB_EIO;
        }
    }
    json_decref(resp);
    return rc;
}

int lb_wind_write(struct lb_wind *w, lb_effects *fx)
{
    if (w->min_dirty < 0)
        return 0;
    int first, last;
    lb_wind_range(w, &first, &last);
    int from = w->min_dirty;
    for (int y = from / 4; last >= 0 && y <= last / 4; y++) {
        json_t *body[5];
        int rc = lb_wind_bodies(w, 2000 + y, body);
        for (int i = 0; rc == 0 && i < 4; i++) {
            int qi = y * 4 + i;
            if (qi >= from && w->seen[qi])
                rc = lb_wind_put(w, fx, qi, body[i], NULL, false);
        }
        if (rc == 0)
            rc = lb_wind_put(w, fx, LB_WIND_QUARTERS + y, body[4], NULL, false);
        for (int i = 0; i < 5; i++)
            json_decref(body[i]);
        if (rc == LB_EBUSY || rc == LB_ENOMEM) {
            w->min_dirty = y * 4 > from ? y * 4 : from; /* the rest stays to be written */
            return rc;
        }
    }
    w->min_dirty = -1;
    return 0;
}

/* --- options and lots-worker recompute ---------------------------------------------------- */

int lb_wind_option(int argc, char **argv, int *i, struct lb_ind_config *cfg)
{
    const char *a = argv[*i];
    if (strcmp(a, "--units") != 0 && strcmp(a, "--skr-areas") != 0 &&
        strcmp(a, "--min-answers") != 0)
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "lots-worker: %s needs a value\n", a);
        return -1;
    }
    const char *v = argv[++*i];
    if (strcmp(a, "--units") == 0) {
        if (lb_units_parse(&cfg->units, v) != 0) {
            fprintf(stderr, "lots-worker: bad --units: %s\n", v);
            return -1;
        }
    } else if (strcmp(a, "--skr-areas") == 0) {
        if (lb_ind_areas_parse(cfg, v) != 0) {
            fprintf(stderr,
                    "lots-worker: bad --skr-areas (unit=area,...; areas bygglov, "
                    "miljo_halsoskydd, livsmedelskontroll, serveringstillstand, brandskydd, "
                    "markupplatelse, upphandling, none): %s\n",
                    v);
            return -1;
        }
    } else {
        char *end;
        long n = strtol(v, &end, 10);
        if (end == v || *end != '\0' || n < 1 || n > 1000) {
            fprintf(stderr, "lots-worker: bad --min-answers: %s\n", v);
            return -1;
        }
        cfg->min_answers = (int)n;
    }
    return 1;
}

void lb_wind_recompute_usage(FILE *f)
{
    fputs("usage: lots-worker recompute (--quarter YYYY-Qn | --year YYYY | --all)\n"
          "                   --server URL --token-file FILE --replay ENDPOINT\n"
          "                   [--units SPEC] [--skr-areas SPEC] [--min-answers N] [--dry-run]\n"
          "                   [--curve-keys DIR]\n"
          "\n"
          "Rebuilds the indicators from lotsd's event log (replayed through ENDPOINT),\n"
          "prints each snapshot as one JSON line and PUTs it to lotsd (not with\n"
          "--dry-run), always with a fresh Idempotency-Key, so stored snapshots are\n"
          "repaired after a fix in the computation. --all: every quarter and year that\n"
          "has events. --units, --skr-areas and --min-answers must be the worker's;\n"
          "--curve-keys as the worker's when lotsd's sockets use CURVE.\n",
          f);
}

int lb_wind_recompute_main(int argc, char **argv, const char *token, volatile sig_atomic_t *stop)
{
    const char *quarter = NULL, *year_s = NULL, *server = NULL, *replay = NULL, *curve_keys = NULL;
    bool all = false, dry = false;
    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int o = lb_wind_option(argc, argv, &i, &cfg);
        if (o < 0)
            return 2;
        if (o > 0)
            continue;
        if (strcmp(a, "--all") == 0) {
            all = true;
        } else if (strcmp(a, "--dry-run") == 0) {
            dry = true;
        } else if (i + 1 < argc && strcmp(a, "--quarter") == 0) {
            quarter = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--year") == 0) {
            year_s = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--server") == 0) {
            server = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--replay") == 0) {
            replay = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--curve-keys") == 0) {
            curve_keys = argv[++i];
        } else if (i + 1 < argc && (strcmp(a, "--token-file") == 0 || strcmp(a, "--sub") == 0 ||
                                    strcmp(a, "--data") == 0)) {
            i++; /* read by the caller, or not needed */
        } else {
            fprintf(stderr, "lots-worker recompute: bad option: %s\n", a);
            lb_wind_recompute_usage(stderr);
            return 2;
        }
    }
    int qy = 0, qq = 0, yy = 0;
    int chosen = (all ? 1 : 0) + (quarter ? 1 : 0) + (year_s ? 1 : 0);
    if (chosen != 1 || !server || !replay ||
        (quarter && (strlen(quarter) != 7 || lb_quarter_parse(quarter, &qy, &qq) != 0 ||
                     lb_wind_qi(qy, qq) < 0)) ||
        (year_s &&
         (strlen(year_s) != 4 || sscanf(year_s, "%d", &yy) != 1 || yy < 2000 || yy > 2099))) {
        lb_wind_recompute_usage(stderr);
        return 2;
    }
    struct lb_wind w;
    lb_wsub *sub = NULL;
    lb_effects *fx = NULL;
    int rc = lb_wind_init(&w, &cfg);
    struct lb_curve_client curve;
    if (rc == 0 && curve_keys) {
        char why[512];
        if ((rc = lb_curve_client_load(curve_keys, "worker", &curve, why, sizeof why)) != 0)
            fprintf(stderr, "lots-worker recompute: --curve-keys: %s\n", why);
    }
    if (rc == 0)
        rc = lb_wsub_open("inproc://lots-worker-recompute-unused", replay,
                          curve_keys ? &curve : NULL, &sub);
    if (curve_keys)
        sodium_memzero(&curve, sizeof curve);
    if (rc == 0)
        rc = lb_effects_new(server, token, stop, &fx);
    if (rc == 0)
        rc = lb_wind_rebuild(&w, sub, 10000, 5000, stop);
    /* The periods: pi < LB_WIND_QUARTERS a quarter, else a year. */
    int first = -1, last = -1;
    if (rc == 0) {
        lb_wind_range(&w, &first, &last);
        if (quarter)
            first = last = lb_wind_qi(qy, qq);
        else if (year_s)
            first = last = (yy - 2000) * 4;
    }
    char key[128], name[16];
    for (int y = first < 0 ? 1 : first / 4; rc == 0 && first >= 0 && y <= last / 4; y++) {
        json_t *body[5];
        rc = lb_wind_bodies(&w, 2000 + y, body);
        for (int i = 0; rc == 0 && i < 5; i++) {
            int pi = i < 4 ? y * 4 + i : LB_WIND_QUARTERS + y;
            bool want = quarter ? pi == first : year_s ? i == 4 : (i == 4 || w.seen[pi]);
            if (!want)
                continue;
            char *text = json_dumps(body[i], JSON_COMPACT | JSON_SORT_KEYS | LB_IND_JSON_REAL);
            if (!text) {
                rc = LB_ENOMEM;
                break;
            }
            printf("%s\n", text);
            free(text);
            if (dry)
                continue;
            period_name(pi, name, sizeof name);
            /* A key of its own: a recompute always writes (after a fix in the
             * computation the figures differ from what the worker stored). */
            snprintf(key, sizeof key, "recompute-%s-%" PRIu64 "-%" PRId64, name, w.changed_seq,
                     (int64_t)lb_time_now());
            rc = lb_wind_put(&w, fx, pi, body[i], key, true);
            if (rc == 0)
                lb_wlog("info", "indicators recomputed", "period=%s source_seq=%" PRIu64, name,
                        w.changed_seq);
        }
        for (int i = 0; i < 5; i++)
            json_decref(body[i]);
    }
    fflush(stdout);
    if (rc != 0)
        lb_wlog("error", "recompute failed", "error=\"%s\"", lb_strerror(rc));
    lb_effects_free(fx);
    lb_wsub_close(sub);
    lb_wind_free(&w);
    return rc == 0 ? 0 : 1;
}
