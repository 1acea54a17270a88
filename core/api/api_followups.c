/* api_followups.c: the follow-up call list and its results.
 *
 * GET /followups, GET /followups/{id}, POST /followups (the worker, with an
 * Idempotency-Key), POST /followups/{id}/items (merging under the 30-day
 * rule), POST /followups/{id}/result (the lots records the call) and PATCH
 * /followups/{id} (the worker cancels or reschedules).
 *
 * Answers are validated here against DESIGN.md "Follow-up answers": the
 * answers object is keyed by "lots" or by the unit code of a unit item of
 * that call, each holding that item's questions; scale questions take
 * 1..LB_SCALE_TOP or null ("vet ej"), yes/no questions true, false or null.
 * Anything else is 422 with the path of the offending field. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/api.h"
#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/survey.h"
#include "lotsbok/timeutil.h"

#define LB_SCALE_TOP LB_SURVEY_SCALE_TOP /* the top of the answer scale (SKR Insikt: 1..6) */

static json_t *answer_value(enum lb_answer_type type, int32_t value)
{
    return type == LB_ANSWER_SCALE  ? json_integer(value)
           : type == LB_ANSWER_BOOL ? json_boolean(value != 0)
                                    : json_null();
}

json_t *api_followup_json(const struct lb_followup *f)
{
    json_t *o = json_object(), *items = json_array(), *answers = json_object();
    if (!o || !items || !answers) {
        json_decref(o);
        json_decref(items);
        json_decref(answers);
        return NULL;
    }
    api_json_meta(o, &f->meta);
    json_object_set_new(o, "company_id", json_integer((json_int_t)f->company_id));
    api_json_str(o, "assignee", f->assignee);
    api_json_date(o, "due", f->due);
    api_json_str(o, "status", lb_followup_status_str(f->status));
    json_object_set_new(o, "attempts", json_integer(f->attempts));
    for (uint32_t i = 0; i < f->nitems; i++) {
        const struct lb_followup_item *it = &f->items[i];
        json_t *j = json_object();
        if (!j)
            continue;
        api_json_str(j, "kind", lb_followup_kind_str(it->kind));
        json_object_set_new(j, "case_id", json_integer((json_int_t)it->case_id));
        json_object_set_new(j, "handoff_id",
                            it->handoff_id ? json_integer((json_int_t)it->handoff_id)
                                           : json_null());
        api_json_str(j, "unit", it->unit);
        json_array_append_new(items, j);
    }
    json_object_set_new(o, "items", items);
    for (uint32_t i = 0; i < f->nanswers; i++) {
        const struct lb_answer *an = &f->answers[i];
        if (!an->item || !an->question)
            continue;
        json_t *per = json_object_get(answers, an->item);
        if (!per) {
            per = json_object();
            json_object_set_new(answers, an->item, per);
        }
        json_t *v = an->type == LB_ANSWER_SCALE  ? json_integer(an->value)
                    : an->type == LB_ANSWER_BOOL ? json_boolean(an->value != 0)
                                                 : json_null();
        json_object_set_new(per, an->question, v);
    }
    json_object_set_new(o, "answers", answers);
    api_json_str(o, "comment", f->comment);
    api_json_time(o, "recorded_at", f->recorded_at);
    api_json_time(o, "last_attempt_at", f->last_attempt_at);
    api_json_str(o, "channel", lb_answer_channel_str(f->channel));
    const struct lb_followup_survey *sv = &f->survey;
    json_t *survey = sv->status == LB_SURVEY_NONE ? json_null() : json_object();
    if (survey && json_is_object(survey)) {
        api_json_str(survey, "status", lb_survey_status_str(sv->status));
        api_json_time(survey, "sent_at", sv->sent_at);
        json_object_set_new(survey, "reminders", json_integer(sv->reminders));
        api_json_time(survey, "reminded_at", sv->reminded_at);
        api_json_date(survey, "call_from", sv->call_from);
        api_json_time(survey, "expires_at", sv->expires_at);
        api_json_time(survey, "ended_at", sv->ended_at);
        /* Waiting: the call is not on today's list because the company may
         * still answer by e-mail (docs/surveys.md). */
        json_object_set_new(
            survey, "waiting",
            json_boolean(f->status == LB_FOLLOWUP_SCHEDULED && sv->status == LB_SURVEY_SENT));
    }
    json_object_set_new(o, "survey", survey);
    /* The same-day corrections: who changed which answer when, from what to what. */
    json_t *cors = json_array();
    for (uint32_t i = 0; cors && i < f->ncorrections; i++) {
        const struct lb_answer_change *k = &f->corrections[i];
        json_t *j = json_object();
        if (!j)
            continue;
        api_json_time(j, "at", k->at);
        api_json_str(j, "by", k->by);
        api_json_str(j, "item", k->item);
        api_json_str(j, "question", k->question);
        json_object_set_new(j, "before", answer_value(k->before_type, k->before));
        json_object_set_new(j, "after", answer_value(k->after_type, k->after));
        json_array_append_new(cors, j);
    }
    json_object_set_new(o, "corrections", cors ? cors : json_array());
    return o;
}

/* Adds to a follow-up's JSON what the call list and the call screen show
 * without a request per row: "company_name", and per item "case_number" and
 * "case_subject". A record gone missing leaves its field null. */
static int followup_context(lb_txn *t, const struct lb_followup *f, json_t *o)
{
    struct lb_company co = {0};
    int rc = lb_company_get(t, f->company_id, &co);
    if (rc != 0 && rc != LB_ENOTFOUND)
        return rc;
    api_json_str(o, "company_name", rc == 0 ? co.name : NULL);
    lb_company_clear(&co);
    json_t *items = json_object_get(o, "items");
    for (uint32_t i = 0; i < f->nitems && i < json_array_size(items); i++) {
        json_t *j = json_array_get(items, i);
        struct lb_case c = {0};
        char number[16] = "";
        rc = lb_case_get(t, f->items[i].case_id, &c);
        if (rc != 0 && rc != LB_ENOTFOUND)
            return rc;
        if (rc == 0)
            lb_case_number(&c, number, sizeof number);
        api_json_str(j, "case_number", rc == 0 ? number : NULL);
        api_json_str(j, "case_subject", rc == 0 ? c.subject : NULL);
        lb_case_clear(&c);
    }
    return 0;
}

/* The follow-up as the answer of a write. Writes answer without the context
 * (followup_context): their answers are kept for Idempotency-Key repeats, the
 * worker's for long, and must hold no company name or case subject; the
 * worker's no comment either. */
static int followup_answer(struct lb_api_req *r, const struct lb_followup *f, int status)
{
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/followups/%llu", (unsigned long long)f->meta.id);
    int rc = api_idem_company(r, f->company_id);
    if (rc)
        return rc;
    json_t *j = api_followup_json(f);
    /* The worker's answers outlive an anonymisation of the company while its
     * cursor has not passed their event (docs/privacy.md): no free text. */
    if (j && r->user.role == LB_ROLE_SERVICE)
        json_object_del(j, "comment");
    return j ? api_answer(r, status, j, status == 201 ? loc : NULL) : LB_ENOMEM;
}

/* --- reads ------------------------------------------------------------------ */

int api_followup_list(struct lb_api_req *r, lb_txn *t)
{
    lb_id ids[500];
    struct lb_page p;
    char status[32], assignee[128], due[32];
    struct lb_followup_filter f = {.status = -1, .due_before = LB_DATE_NONE};
    int rc = api_page(r, &p, ids);
    if (rc != 0)
        return rc;
    if ((rc = api_query(r, "status", status, sizeof status)) < 0)
        return rc;
    enum lb_followup_status st;
    if (rc == 1) {
        if (lb_followup_status_from_str(status, &st) != 0)
            return api_enum_followup_status_fail(r, 400, "bad_query", "status");
        f.status = (int)st;
    }
    if ((rc = api_query(r, "assignee", assignee, sizeof assignee)) < 0)
        return rc;
    if (rc == 1)
        f.assignee = assignee;
    if ((rc = api_query(r, "due_before", due, sizeof due)) < 0)
        return rc;
    if (rc == 1 && lb_date_parse(due, &f.due_before) != 0)
        return api_fail(r, 400, "bad_query", "due_before", "due_before must be YYYY-MM-DD");
    if ((rc = lb_followup_list(t, &f, &p)) != 0)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; items && i < p.count; i++) {
        struct lb_followup fu = {0};
        rc = lb_followup_get(t, ids[i], &fu);
        if (rc == LB_ENOTFOUND)
            continue;
        if (rc != 0) {
            json_decref(items);
            return rc;
        }
        json_t *o = api_followup_json(&fu);
        rc = o ? followup_context(t, &fu, o) : LB_ENOMEM;
        lb_followup_clear(&fu);
        if (rc != 0) {
            json_decref(o);
            json_decref(items);
            return rc;
        }
        json_array_append_new(items, o);
    }
    return api_answer_list(r, items, p.next);
}

int api_followup_get(struct lb_api_req *r, lb_txn *t)
{
    lb_id id;
    int rc = api_path_id(r, 0, &id);
    if (rc != 0)
        return rc;
    struct lb_followup f = {0};
    if ((rc = lb_followup_get(t, id, &f)) != 0)
        return rc;
    json_t *j = api_followup_json(&f);
    rc = j ? followup_context(t, &f, j) : LB_ENOMEM;
    lb_followup_clear(&f);
    if (rc != 0) {
        json_decref(j);
        return rc;
    }
    return api_answer(r, 200, j, NULL);
}

/* --- items -------------------------------------------------------------------- */

struct fitem {
    enum lb_followup_kind kind;
    lb_id case_id, handoff_id;
};

/* Validates one item object; prefix names it in error fields ("items[0]"). */
static int validate_item(struct lb_api_req *r, json_t *o, const char *prefix, struct fitem *it)
{
    int rc;
    if (!json_is_object(o))
        return api_fail(r, 422, "invalid_type", prefix[0] ? prefix : NULL,
                        "an item must be an object");
    if ((rc = api_enum_followup_kind(r, o, "kind", true, &it->kind, NULL)) != 0 ||
        (rc = api_id(r, o, "case_id", true, &it->case_id)) != 0 ||
        (rc = api_id(r, o, "handoff_id", it->kind == LB_FOLLOWUP_KIND_UNIT, &it->handoff_id)) !=
            0) {
        if (prefix[0]) {
            char field[64];
            snprintf(field, sizeof field, "%.60s", r->err.field);
            snprintf(r->err.field, sizeof r->err.field, "%.60s.%.60s", prefix, field);
        }
        return rc;
    }
    if (it->kind == LB_FOLLOWUP_KIND_LOTS)
        it->handoff_id = 0;
    return 0;
}

/* Fills a stored item from a validated one, with the hand-off's unit. */
static int fill_item(lb_txn *t, struct lb_api_req *r, const struct fitem *in,
                     struct lb_followup_item *out, const char *field)
{
    out->kind = in->kind;
    out->case_id = in->case_id;
    out->handoff_id = in->handoff_id;
    out->unit = NULL;
    if (in->kind != LB_FOLLOWUP_KIND_UNIT)
        return 0;
    struct lb_handoff h = {0};
    int rc = lb_handoff_get(t, in->handoff_id, &h);
    if (rc == LB_ENOTFOUND)
        return api_fail(r, 422, "unknown_handoff", field, "no such hand-off");
    if (rc == 0 && h.case_id != in->case_id)
        rc = api_fail(r, 422, "invalid_value", field, "the hand-off is not of that case");
    if (rc == 0) {
        out->unit = h.unit;
        h.unit = NULL;
    }
    lb_handoff_clear(&h);
    return rc;
}

struct followup_arg {
    lb_id id;
    lb_id company_id;
    lb_date due;
    struct fitem *items;
    size_t nitems;
    enum lb_followup_status status;
    enum lb_answer_channel channel;
    bool has_status;
    uint64_t if_match;
    struct lb_answer *answers;
    uint32_t nanswers;
};

static void followup_arg_free(void *p)
{
    struct followup_arg *a = p;
    for (uint32_t i = 0; i < a->nanswers; i++) {
        free(a->answers[i].item);
        free(a->answers[i].question);
    }
    free(a->answers);
    free(a->items);
    free(a);
}

static int op_followup_create(lb_txn *t, struct lb_api_req *r)
{
    struct followup_arg *a = r->arg;
    struct lb_followup f = {0};
    f.company_id = a->company_id;
    f.due = a->due;
    f.recorded_at = f.last_attempt_at = LB_TIME_NONE;
    json_t *as = json_object_get(r->body, "assignee");
    int rc = api_strdup(&f.assignee, json_string_value(as));
    if (rc == 0 && !(f.items = calloc(a->nitems, sizeof *f.items)))
        rc = LB_ENOMEM;
    for (size_t i = 0; rc == 0 && i < a->nitems; i++) {
        char field[64];
        snprintf(field, sizeof field, "items[%zu].handoff_id", i);
        rc = fill_item(t, r, &a->items[i], &f.items[i], field);
        if (rc == 0)
            f.nitems++;
    }
    if (rc == 0)
        rc = lb_followup_create(t, &r->ctx, &f);
    if (rc == LB_ENOTFOUND && !r->err.status)
        rc = api_fail(r, 422, "unknown_company", "company_id", "no such company or case");
    if (rc == 0)
        rc = followup_answer(r, &f, 201);
    lb_followup_clear(&f);
    return rc;
}

int api_followup_create(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    const char *s;
    struct followup_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    int rc = api_id(r, r->body, "company_id", true, &a->company_id);
    if (rc == 0)
        rc = api_date(r, r->body, "due", true, &a->due);
    if (rc == 0)
        rc = api_str(r, r->body, "assignee", true, 64, &s);
    json_t *items = json_object_get(r->body, "items");
    if (rc == 0 && (!items || !json_is_array(items) || json_array_size(items) == 0 ||
                    json_array_size(items) > 100))
        rc = api_fail(r, 422, items ? "invalid_type" : "missing_field", "items",
                      "items must be an array of 1..100 items");
    if (rc == 0 && !(a->items = calloc(json_array_size(items), sizeof *a->items)))
        rc = LB_ENOMEM;
    for (size_t i = 0; rc == 0 && i < json_array_size(items); i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "items[%zu]", i);
        rc = validate_item(r, json_array_get(items, i), prefix, &a->items[i]);
        a->nitems++;
    }
    if (rc != 0) {
        followup_arg_free(a);
        return rc;
    }
    return api_queue(r, op_followup_create, a, followup_arg_free);
}

static int op_followup_items(lb_txn *t, struct lb_api_req *r)
{
    struct followup_arg *a = r->arg;
    struct lb_followup_item item = {0};
    struct lb_followup f = {0};
    int rc = lb_followup_get(t, a->id, &f);
    lb_followup_clear(&f);
    if (rc == 0)
        rc = fill_item(t, r, &a->items[0], &item, "handoff_id");
    if (rc == 0)
        rc = lb_followup_add_item(t, &r->ctx, a->id, &item, &f);
    if (rc == LB_EEXIST)
        api_fail(r, 409, "duplicate_item", NULL, "the call already covers this item");
    else if (rc == LB_ESTATE)
        api_fail(r, 409, "invalid_transition", NULL, "the call is not scheduled");
    else if (rc == 0)
        rc = followup_answer(r, &f, 200);
    free(item.unit);
    lb_followup_clear(&f);
    return rc;
}

int api_followup_items(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    struct followup_arg *a = calloc(1, sizeof *a);
    if (!a || !(a->items = calloc(1, sizeof *a->items))) {
        free(a);
        return LB_ENOMEM;
    }
    a->nitems = 1;
    int rc = api_path_id(r, 0, &a->id);
    if (rc == 0)
        rc = validate_item(r, r->body, "", &a->items[0]);
    if (rc != 0) {
        followup_arg_free(a);
        return rc;
    }
    return api_queue(r, op_followup_items, a, followup_arg_free);
}

/* --- results ------------------------------------------------------------------ */

/* Validates answers against the call's items into a->answers. */
static int validate_answers(struct lb_api_req *r, const struct lb_followup *f, json_t *answers,
                            struct followup_arg *a)
{
    if (!answers || json_is_null(answers))
        return 0;
    if (!json_is_object(answers))
        return api_fail(r, 422, "invalid_type", "answers", "answers must be an object");
    size_t total = 0;
    const char *item;
    json_t *qs;
    json_object_foreach(answers, item, qs)
    {
        if (json_is_object(qs))
            total += json_object_size(qs);
    }
    if (total > 0 && !(a->answers = calloc(total, sizeof *a->answers)))
        return LB_ENOMEM;
    json_object_foreach(answers, item, qs)
    {
        char field[256];
        snprintf(field, sizeof field, "answers.%s", item);
        bool lots = strcmp(item, "lots") == 0, found = false;
        for (uint32_t i = 0; i < f->nitems && !found; i++) {
            const struct lb_followup_item *it = &f->items[i];
            found =
                lots ? it->kind == LB_FOLLOWUP_KIND_LOTS
                     : it->kind == LB_FOLLOWUP_KIND_UNIT && it->unit && strcmp(it->unit, item) == 0;
        }
        if (!found)
            return api_fail(r, 422, "unknown_item", field,
                            "%s: not an item of this call ('lots' or a unit code)", field);
        if (!json_is_object(qs))
            return api_fail(r, 422, "invalid_type", field, "%s must be an object", field);
        const char *q;
        json_t *v;
        json_object_foreach(qs, q, v)
        {
            snprintf(field, sizeof field, "answers.%s.%s", item, q);
            const struct lb_question *qq =
                lb_survey_question(lots ? LB_FOLLOWUP_KIND_LOTS : LB_FOLLOWUP_KIND_UNIT, q);
            bool scale = qq && qq->type == LB_Q_SCALE, yesno = qq && qq->type == LB_Q_YESNO;
            struct lb_answer an = {0};
            if (!scale && !yesno)
                return api_fail(r, 422, "unknown_question", field, "%s is not a question", field);
            if (json_is_null(v)) {
                an.type = LB_ANSWER_NULL;
            } else if (scale) {
                if (!json_is_integer(v) || json_integer_value(v) < 1 ||
                    json_integer_value(v) > LB_SCALE_TOP)
                    return api_fail(r, 422, "out_of_range", field, "%s must be 1..%d or null",
                                    field, LB_SCALE_TOP);
                an.type = LB_ANSWER_SCALE;
                an.value = (int32_t)json_integer_value(v);
            } else {
                if (!json_is_boolean(v))
                    return api_fail(r, 422, "invalid_type", field, "%s must be true, false or null",
                                    field);
                an.type = LB_ANSWER_BOOL;
                an.value = json_is_true(v) ? 1 : 0;
            }
            if (!(an.item = strdup(item)) || !(an.question = strdup(q))) {
                free(an.item);
                return LB_ENOMEM;
            }
            a->answers[a->nanswers++] = an;
        }
    }
    return 0;
}

int api_followup_answers(struct lb_api_req *r, const struct lb_followup *f, json_t *answers,
                         struct lb_answer **out, uint32_t *n)
{
    struct followup_arg a = {0};
    int rc = validate_answers(r, f, answers, &a);
    *out = a.answers;
    *n = a.nanswers;
    return rc;
}

void api_answers_free(struct lb_answer *a, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(a[i].item);
        free(a[i].question);
    }
    free(a);
}

static int op_followup_result(lb_txn *t, struct lb_api_req *r)
{
    struct followup_arg *a = r->arg;
    struct lb_followup f = {0};
    json_t *c = json_object_get(r->body, "comment");
    lb_date today = lb_stockholm_date(r->ctx.now);
    int rc =
        lb_followup_record_via(t, &r->ctx, a->id, a->status, a->channel, a->answers, a->nanswers,
                               c && json_is_string(c) ? json_string_value(c) : NULL, today, &f);
    if (rc == LB_ESTATE)
        api_fail(r, 409, "invalid_transition", NULL, "the call is not scheduled");
    else if (rc == 0)
        rc = followup_answer(r, &f, 200);
    lb_followup_clear(&f);
    return rc;
}

int api_followup_result(struct lb_api_req *r, lb_txn *t)
{
    const char *s;
    struct followup_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    struct lb_followup f = {0};
    int rc = api_path_id(r, 0, &a->id);
    if (rc == 0)
        rc = api_enum_followup_status(r, r->body, "status", true, &a->status, NULL);
    if (rc == 0 && a->status != LB_FOLLOWUP_DONE && a->status != LB_FOLLOWUP_NO_ANSWER &&
        a->status != LB_FOLLOWUP_DECLINED)
        rc = api_fail(r, 422, "invalid_enum", "status",
                      "status must be done, no_answer or declined");
    if (rc == 0)
        rc = api_str(r, r->body, "comment", false, LB_LIMIT_TEXT, &s);
    const char *ch = NULL;
    a->channel = LB_ANSWER_CHANNEL_PHONE;
    if (rc == 0)
        rc = api_str(r, r->body, "channel", false, 16, &ch);
    /* phone (the default), paper (a form typed in), email (answers the
     * company mailed back; the public form records its own). */
    if (rc == 0 && ch && lb_answer_channel_from_str(ch, &a->channel) != 0)
        rc = api_fail(r, 422, "invalid_enum", "channel", "channel must be phone, email or paper");
    if (rc == 0)
        rc = lb_followup_get(t, a->id, &f);
    if (rc == 0)
        rc = validate_answers(r, &f, json_object_get(r->body, "answers"), a);
    lb_followup_clear(&f);
    if (rc != 0) {
        followup_arg_free(a);
        return rc;
    }
    return api_queue(r, op_followup_result, a, followup_arg_free);
}

/* --- correcting a recorded call's answers the same day ---------------------------- */

static int op_followup_correct(lb_txn *t, struct lb_api_req *r)
{
    struct followup_arg *a = r->arg;
    struct lb_followup f = {0};
    bool changed = false;
    int rc = lb_followup_get(t, a->id, &f);
    /* Say which rule refuses (the store only knows LB_ESTATE). */
    if (rc == 0 && (f.status != LB_FOLLOWUP_DONE || f.recorded_at == LB_TIME_NONE))
        rc = api_fail(r, 409, "invalid_transition", NULL,
                      "only a call recorded as done has answers to correct");
    else if (rc == 0 && f.survey.status == LB_SURVEY_ANSWERED)
        rc = api_fail(r, 409, "company_answer", NULL,
                      "the company answered through the e-mail survey; its answers are its own");
    else if (rc == 0 && lb_stockholm_date(f.recorded_at) != lb_stockholm_date(r->ctx.now)) {
        char day[16];
        lb_date_format(lb_stockholm_date(f.recorded_at), day);
        rc = api_fail(r, 409, "correction_closed", NULL,
                      "answers can be corrected only on the day they were recorded (%s)", day);
    }
    lb_followup_clear(&f);
    if (rc == 0)
        rc = lb_followup_correct(t, &r->ctx, a->id, a->answers, a->nanswers, a->if_match, &changed,
                                 &f);
    if (rc == LB_ESTATE)
        api_fail(r, 409, "invalid_transition", NULL, "the call's answers cannot be corrected");
    else if (rc == LB_ETOOBIG)
        api_fail(r, 409, "too_many_corrections", NULL, "the call has been corrected too often");
    else if (rc == 0)
        rc = followup_answer(r, &f, 200);
    lb_followup_clear(&f);
    return rc;
}

int api_followup_correct(struct lb_api_req *r, lb_txn *t)
{
    struct followup_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    struct lb_followup f = {0};
    int rc = api_path_id(r, 0, &a->id);
    if (rc == 0)
        rc = api_if_match(r, &a->if_match);
    json_t *answers = json_object_get(r->body, "answers");
    if (rc == 0 && (!answers || !json_is_object(answers) || json_object_size(answers) == 0))
        rc = api_fail(r, 422, answers ? "invalid_type" : "missing_field", "answers",
                      "answers must be an object naming at least one item");
    /* Nothing else may change here: not the status, the channel or the comment. */
    const char *k;
    json_t *v;
    json_object_foreach(r->body, k, v)
    {
        if (rc == 0 && strcmp(k, "answers") != 0)
            rc = api_fail(r, 422, "unknown_field", k,
                          "only answers can be corrected (the status and channel stay)");
    }
    if (rc == 0)
        rc = lb_followup_get(t, a->id, &f);
    if (rc == 0)
        rc = validate_answers(r, &f, answers, a);
    lb_followup_clear(&f);
    if (rc != 0) {
        followup_arg_free(a);
        return rc;
    }
    return api_queue(r, op_followup_correct, a, followup_arg_free);
}

/* --- PATCH (the worker: cancel or reschedule) ------------------------------------ */

static int op_followup_update(lb_txn *t, struct lb_api_req *r)
{
    struct followup_arg *a = r->arg;
    struct lb_followup f = {0};
    int rc = a->has_status ? lb_followup_cancel(t, &r->ctx, a->id, &f)
                           : lb_followup_reschedule(t, &r->ctx, a->id, a->due, &f);
    if (rc == LB_ESTATE)
        api_fail(r, 409, "invalid_transition", NULL, "the call is not scheduled");
    else if (rc == 0)
        rc = followup_answer(r, &f, 200);
    lb_followup_clear(&f);
    return rc;
}

int api_followup_update(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    struct followup_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    int rc = api_path_id(r, 0, &a->id);
    if (rc == 0)
        rc = api_enum_followup_status(r, r->body, "status", false, &a->status, &a->has_status);
    if (rc == 0 && a->has_status && a->status != LB_FOLLOWUP_CANCELLED)
        rc = api_fail(r, 422, "invalid_enum", "status", "only status cancelled can be set here");
    if (rc == 0)
        rc = api_date(r, r->body, "due", !a->has_status, &a->due);
    if (rc != 0) {
        followup_arg_free(a);
        return rc;
    }
    return api_queue(r, op_followup_update, a, followup_arg_free);
}
