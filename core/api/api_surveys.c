/* api_surveys.c: the e-mail survey's routes (docs/surveys.md).
 *
 * The worker's (role service):
 *   POST /api/v1/surveys/issue            before mailing a batch: per item the
 *                                         verdict and, for "send", what the mail
 *                                         says and to whom
 *   POST /api/v1/followups/{id}/survey/bounce   the mail server refused for good
 * The public ones (no login; rate limited per address in api.c):
 *   GET, POST /api/v1/public/surveys/{token}    the questions; the answers
 *   POST /api/v1/public/surveys/{token}/opt-out
 *   GET, POST /enkat/{token}                    the form and its answer page
 *   GET, POST /enkat/{token}/avregistrera       opt-out in one click
 *
 * A token names what it answers (store_surveys.c). The public routes find it
 * by the token's hash and show the company's name and, per part of the form,
 * the unit's name and the case numbers: nothing else about anybody. An
 * unknown or expired token is 404 (a kind page on /enkat), an answered call
 * 409 already_answered, a call that ended otherwise (the lots called) 409
 * survey_closed. Neither tokens nor addresses are logged: request lines carry
 * the route's pattern, never the path. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "lotsbok/api.h"
#include "lotsbok/auth.h"
#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/meeting.h"
#include "lotsbok/survey.h"
#include "lotsbok/survey_form.h"
#include "lotsbok/timeutil.h"

#define ISSUE_MAX 100 /* items per issue request */
#define SECTIONS_MAX 16

/* --- what a token shows --------------------------------------------------------- */

enum view_state { VIEW_OPEN, VIEW_UNKNOWN, VIEW_ANSWERED, VIEW_CLOSED };

struct view_section {
    char item[LB_UNIT_CODE_MAX + 1];
    enum lb_followup_kind kind;
    char title[160];
    char cases[128];
    const struct lb_question *questions; /* a meeting's; NULL: kind's */
    size_t nquestions;
};

struct view {
    enum view_state state;
    uint8_t hash[32];
    struct lb_followup fu;
    bool meeting;            /* a meeting's evaluation link (docs/meetings.md) */
    char meeting_title[400]; /* "title, 12 mars 2026" for the page */
    char *company;
    struct view_section sec[SECTIONS_MAX];
    size_t nsec;
};

static void view_clear(struct view *v)
{
    lb_followup_clear(&v->fu);
    free(v->company);
    memset(v, 0, sizeof *v);
}

/* The form's parts: one per item key ("lots" first, then units in the order
 * of the call's items), with the case numbers each is about. */
static int view_sections(lb_txn *t, const struct lb_units *units, struct view *v)
{
    const struct lb_followup *f = &v->fu;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < f->nitems; i++) {
            const struct lb_followup_item *it = &f->items[i];
            bool lots = it->kind == LB_FOLLOWUP_KIND_LOTS;
            if (lots != (pass == 0) || (!lots && !it->unit))
                continue;
            const char *key = lots ? "lots" : it->unit;
            struct view_section *s = NULL;
            for (size_t k = 0; k < v->nsec && !s; k++)
                if (strcmp(v->sec[k].item, key) == 0)
                    s = &v->sec[k];
            if (!s) {
                if (v->nsec == SECTIONS_MAX || strlen(key) > LB_UNIT_CODE_MAX)
                    continue;
                s = &v->sec[v->nsec++];
                snprintf(s->item, sizeof s->item, "%s", key);
                s->kind = it->kind;
                const struct lb_unit *u = lots ? NULL : lb_units_find(units, key);
                snprintf(s->title, sizeof s->title, "%s",
                         lots ? "Företagslotsen"
                         : u  ? u->name_sv
                              : key);
            }
            struct lb_case c = {0};
            int rc = lb_case_get(t, it->case_id, &c);
            if (rc == LB_ENOTFOUND)
                continue;
            if (rc != 0)
                return rc;
            char num[16];
            lb_case_number(&c, num, sizeof num);
            lb_case_clear(&c);
            if (strstr(s->cases, num))
                continue;
            size_t l = strlen(s->cases);
            snprintf(s->cases + l, sizeof s->cases - l, "%s%s", l ? ", " : "", num);
        }
    }
    return 0;
}

/* A meeting's evaluation: one part, its questions, the meeting's title and day. */
static int view_meeting(lb_txn *t, lb_id id, struct view *v)
{
    struct lb_meeting m = {0};
    int rc = lb_meeting_get(t, id, &m);
    if (rc != 0)
        return rc == LB_ENOTFOUND ? 0 : rc;
    static const char *const months[] = {"januari",   "februari", "mars",     "april",
                                         "maj",       "juni",     "juli",     "augusti",
                                         "september", "oktober",  "november", "december"};
    int y, mo, d;
    lb_date_to_ymd(lb_stockholm_date(m.starts_at), &y, &mo, &d);
    snprintf(v->meeting_title, sizeof v->meeting_title, "%s, %d %s %d", m.title, d,
             months[(mo - 1) % 12], y);
    v->meeting = true;
    v->company = strdup(v->meeting_title); /* what the thank-you page names */
    struct view_section *s = &v->sec[0];
    snprintf(s->item, sizeof s->item, "meeting");
    snprintf(s->title, sizeof s->title, "%s", m.title);
    s->questions = lb_meeting_questions(m.kind, &s->nquestions);
    v->nsec = 1;
    lb_meeting_clear(&m);
    if (!v->company)
        return LB_ENOMEM;
    v->state = VIEW_OPEN;
    return 0;
}

/* Loads what the token in path parameter 0 answers. Unknown covers a token
 * that does not parse, is not stored, is not a follow-up's or has expired. */
static int view_load(struct lb_api_req *r, lb_txn *t, struct view *v)
{
    memset(v, 0, sizeof *v);
    v->state = VIEW_UNKNOWN;
    if (lb_token_hash(r->params[0], v->hash) != 0)
        return 0;
    struct lb_survey_token tok = {0};
    int rc = lb_survey_token_get(t, v->hash, &tok);
    if (rc == LB_ENOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (r->ctx.now >= tok.expires_at)
        return 0;
    if (tok.kind == LB_SURVEY_KIND_MEETING)
        return view_meeting(t, tok.target_id, v);
    if (tok.kind != LB_SURVEY_KIND_FOLLOWUP)
        return 0;
    if ((rc = lb_followup_get(t, tok.target_id, &v->fu)) != 0)
        return rc == LB_ENOTFOUND ? 0 : rc;
    struct lb_company co = {0};
    if ((rc = lb_company_get(t, v->fu.company_id, &co)) != 0)
        return rc == LB_ENOTFOUND ? 0 : rc;
    v->company = co.name;
    co.name = NULL;
    lb_company_clear(&co);
    if (!v->company)
        return LB_ENOMEM;
    if (v->fu.status == LB_FOLLOWUP_DONE)
        v->state = VIEW_ANSWERED;
    else if (v->fu.status != LB_FOLLOWUP_SCHEDULED)
        v->state = VIEW_CLOSED;
    else
        v->state = VIEW_OPEN;
    return view_sections(t, api_units(r), v);
}

/* --- pages -------------------------------------------------------------------------- */

static const char *municipality(const struct lb_api_req *r)
{
    return api_config(r)->municipality;
}

/* Answers r with page (taken) and status; a NULL page is out of memory. */
static int page_answer(struct lb_api_req *r, int status, char *page)
{
    if (!page)
        return LB_ENOMEM;
    free(r->resp_body);
    r->resp_body = page;
    r->status = status;
    r->content_type = "text/html; charset=utf-8";
    return 0;
}

/* The page for a failure (api.c calls it for any error of a form route). */
static void fail_page(struct lb_api_req *r, int rc)
{
    int status = r->err.status;
    const char *code = r->err.code ? r->err.code : "";
    enum lb_form_message m = LB_FORM_ERROR;
    if (!status)
        status = rc == LB_ENOTFOUND ? 404 : rc == LB_ENOMEM || rc == LB_EBUSY ? 503 : 500;
    if (status == 404)
        m = LB_FORM_UNKNOWN;
    else if (status == 429)
        m = LB_FORM_RATE_LIMITED;
    else if (strcmp(code, "already_answered") == 0)
        m = LB_FORM_ANSWERED;
    else if (status == 409)
        m = LB_FORM_CLOSED;
    else if (status >= 400 && status < 500)
        m = LB_FORM_BAD_REQUEST;
    free(r->resp_body);
    r->resp_body = lb_form_message(municipality(r), m, r->err.retry_after);
    r->status = r->resp_body ? status : 503;
    r->content_type = r->resp_body ? "text/html; charset=utf-8" : NULL;
    if (!r->resp_body) /* the last resort: a body the server always has */
        r->resp_body = strdup("<!DOCTYPE html><title>Försök igen</title><p>Försök igen om en "
                              "stund.</p>");
    snprintf(r->extra_headers, sizeof r->extra_headers, "%s", lb_form_headers());
}

void api_survey_prepare(struct lb_api_req *r, bool form)
{
    r->always_headers = true;
    /* Cache-Control: no-store, nosniff and no-referrer come with every answer
     * (api.c, http_server.c); the form adds its CSP and frame refusal. */
    if (form) {
        r->fail_page = fail_page;
        snprintf(r->extra_headers, sizeof r->extra_headers, "%s", lb_form_headers());
    }
}

/* The view's state as a failure: 404, 409 already_answered, 409 survey_closed. */
static int view_refusal(struct lb_api_req *r, enum view_state st)
{
    if (st == VIEW_UNKNOWN)
        return api_fail(r, 404, "not_found", NULL, "no such survey, or its link has expired");
    if (st == VIEW_ANSWERED)
        return api_fail(r, 409, "already_answered", NULL, "the survey has been answered");
    return api_fail(r, 409, "survey_closed", NULL, "the survey can no longer be answered");
}

static void form_sections(const struct view *v, struct lb_form_section *out)
{
    for (size_t i = 0; i < v->nsec; i++)
        out[i] =
            (struct lb_form_section){v->sec[i].item,  v->sec[i].kind,      v->sec[i].title,
                                     v->sec[i].cases, v->sec[i].questions, v->sec[i].nquestions};
}

int api_form_get(struct lb_api_req *r, lb_txn *t)
{
    struct view v;
    int rc = view_load(r, t, &v);
    if (rc == 0 && v.state != VIEW_OPEN)
        rc = view_refusal(r, v.state);
    if (rc == 0) {
        struct lb_form_section secs[SECTIONS_MAX];
        form_sections(&v, secs);
        struct lb_form f = {.municipality = municipality(r),
                            .company = v.meeting ? NULL : v.company,
                            .meeting = v.meeting ? v.meeting_title : NULL,
                            .token = r->params[0],
                            .sections = secs,
                            .nsections = v.nsec};
        rc = page_answer(r, 200, lb_form_page(&f));
    }
    view_clear(&v);
    return rc;
}

/* --- answering ---------------------------------------------------------------------- */

struct answer_arg {
    uint8_t hash[32];
    struct lb_answer *answers;
    uint32_t nanswers;
    char *comment;
    char *company;
    bool form;
    bool meeting;
    struct lb_meeting_eval eval; /* a meeting's evaluation */
    char token[LB_TOKEN_LEN + 1];
};

static void answer_arg_free(void *p)
{
    struct answer_arg *a = p;
    api_answers_free(a->answers, a->nanswers);
    free(a->comment);
    free(a->company);
    lb_meeting_eval_clear(&a->eval);
    free(a);
}

static int op_meeting_answer(lb_txn *t, struct lb_api_req *r)
{
    struct answer_arg *a = r->arg;
    a->eval.comment = a->comment;
    a->comment = NULL;
    int rc = lb_meeting_answer(t, &r->ctx, a->hash, &a->eval);
    if (rc == LB_ENOTFOUND)
        rc = view_refusal(r, VIEW_UNKNOWN);
    else if (rc == 0 && a->form)
        rc = page_answer(r, 200, lb_form_thanks_meeting(municipality(r), a->company));
    else if (rc == 0)
        rc = api_answer(r, 200, json_pack("{s:s}", "status", "answered"), NULL);
    return rc;
}

static int op_answer(lb_txn *t, struct lb_api_req *r)
{
    struct answer_arg *a = r->arg;
    struct lb_followup f = {0};
    int rc = lb_survey_answer(t, &r->ctx, a->hash, a->answers, a->nanswers, a->comment, &f);
    if (rc == LB_ENOTFOUND)
        rc = view_refusal(r, VIEW_UNKNOWN);
    else if (rc == LB_ESTATE)
        rc = view_refusal(r, f.status == LB_FOLLOWUP_DONE ? VIEW_ANSWERED : VIEW_CLOSED);
    else if (rc == 0 && a->form)
        rc = page_answer(r, 200, lb_form_thanks(municipality(r), a->company, a->token));
    else if (rc == 0)
        rc = api_answer(r, 200, json_pack("{s:s}", "status", "answered"), NULL);
    lb_followup_clear(&f);
    return rc;
}

/* Whether s (len bytes) is UTF-8 without NUL: jansson checks it. */
static bool text_ok(const char *s, size_t len)
{
    if (memchr(s, '\0', len))
        return false;
    json_t *j = json_stringn(s, len);
    json_decref(j);
    return j != NULL;
}

/* A meeting's answers: {"meeting": {relevant?, knowledge?}}; knowledge only
 * after a training. */
static int meeting_answers(struct lb_api_req *r, const struct view *v, json_t *answers,
                           struct answer_arg *a)
{
    const char *k;
    json_t *per;
    json_object_foreach(answers, k, per)
    {
        char f[96];
        snprintf(f, sizeof f, "answers.%.80s", k);
        if (strcmp(k, "meeting") != 0)
            return api_fail(r, 422, "unknown_item", f, "the only item is meeting");
        if (!json_is_object(per))
            return api_fail(r, 422, "invalid_type", f, "answers.meeting is an object");
        const char *q;
        json_t *val;
        json_object_foreach(per, q, val)
        {
            bool known = false;
            for (size_t i = 0; i < v->sec[0].nquestions; i++)
                known |= strcmp(v->sec[0].questions[i].key, q) == 0;
            if (!known) {
                snprintf(f, sizeof f, "answers.meeting.%.60s", q);
                return api_fail(r, 422, "unknown_question", f, "no such question");
            }
        }
        int rc = api_meeting_eval_fields(r, per, "answers.meeting.", &a->eval);
        if (rc != 0)
            return rc;
    }
    a->meeting = true;
    return 0;
}

/* Validates answers and comment for the view's call into a (queued by the
 * caller). The comment is bounded by the public form's limit. */
static int answer_validate(struct lb_api_req *r, const struct view *v, json_t *answers,
                           const char *comment, struct answer_arg *a)
{
    if (!answers || !json_is_object(answers))
        return api_fail(r, 422, answers ? "invalid_type" : "missing_field", "answers",
                        "answers must be an object keyed by item");
    size_t given = 0;
    const char *k;
    json_t *per;
    json_object_foreach(answers, k, per) given += json_is_object(per) ? json_object_size(per) : 1;
    if (given == 0 && (!comment || !comment[0]))
        return api_fail(r, 422, "no_answers", "answers",
                        "answer at least one question (null is vet ej)");
    int rc = v->meeting ? meeting_answers(r, v, answers, a)
                        : api_followup_answers(r, &v->fu, answers, &a->answers, &a->nanswers);
    if (rc != 0)
        return rc;
    if (comment && api_utf8_len(comment) > LB_SURVEY_COMMENT_MAX)
        return api_fail(r, 422, "too_long", "comment", "comment is over %d characters",
                        LB_SURVEY_COMMENT_MAX);
    if (comment && comment[0] && !(a->comment = strdup(comment)))
        return LB_ENOMEM;
    memcpy(a->hash, v->hash, 32);
    snprintf(a->token, sizeof a->token, "%.*s", LB_TOKEN_LEN, r->params[0]);
    return 0;
}

int api_public_survey_get(struct lb_api_req *r, lb_txn *t)
{
    struct view v;
    int rc = view_load(r, t, &v);
    if (rc == 0 && v.state != VIEW_OPEN)
        rc = view_refusal(r, v.state);
    json_t *o = rc == 0 ? json_object() : NULL, *secs = rc == 0 ? json_array() : NULL;
    if (rc == 0 && (!o || !secs))
        rc = LB_ENOMEM;
    for (size_t i = 0; rc == 0 && i < v.nsec; i++) {
        size_t nq;
        const struct lb_question *q =
            v.sec[i].questions ? v.sec[i].questions : lb_survey_questions(v.sec[i].kind, &nq);
        if (v.sec[i].questions)
            nq = v.sec[i].nquestions;
        json_t *qs = json_array();
        for (size_t k = 0; qs && k < nq; k++)
            json_array_append_new(qs, json_pack("{s:s,s:s,s:s}", "key", q[k].key, "type",
                                                q[k].type == LB_Q_SCALE ? "scale" : "yes_no",
                                                "text", q[k].text_sv));
        json_array_append_new(
            secs, json_pack("{s:s,s:s,s:s,s:s,s:o*}", "item", v.sec[i].item, "kind",
                            v.meeting ? "meeting" : lb_followup_kind_str(v.sec[i].kind), "title",
                            v.sec[i].title, "cases", v.sec[i].cases, "questions", qs));
    }
    if (rc == 0) {
        json_object_set_new(o, "kind", json_string(v.meeting ? "meeting" : "followup"));
        json_object_set_new(o, "municipality", json_string(municipality(r)));
        if (v.meeting) {
            json_object_set_new(o, "meeting", json_pack("{s:s}", "title", v.meeting_title));
        } else {
            json_object_set_new(o, "company", json_pack("{s:s}", "name", v.company));
            api_json_time(o, "expires_at", v.fu.survey.expires_at);
        }
        json_object_set_new(o, "scale",
                            json_pack("{s:i,s:i,s:s,s:s}", "min", 1, "max", LB_SURVEY_SCALE_TOP,
                                      "min_label",
                                      v.meeting ? "inte alls relevant" : "mycket missnöjd",
                                      "max_label", v.meeting ? "mycket relevant" : "mycket nöjd"));
        json_object_set_new(o, "sections", secs);
        secs = NULL;
        rc = api_answer(r, 200, o, NULL);
        o = NULL;
    }
    json_decref(o);
    json_decref(secs);
    view_clear(&v);
    return rc;
}

int api_public_survey_answer(struct lb_api_req *r, lb_txn *t)
{
    struct view v;
    struct answer_arg *a = calloc(1, sizeof *a);
    int rc = a ? view_load(r, t, &v) : LB_ENOMEM;
    if (!a)
        return rc;
    if (rc == 0 && v.state != VIEW_OPEN)
        rc = view_refusal(r, v.state);
    const char *comment = NULL;
    if (rc == 0)
        rc = api_str(r, r->body, "comment", false, LB_SURVEY_COMMENT_MAX, &comment);
    if (rc == 0)
        rc = answer_validate(r, &v, json_object_get(r->body, "answers"), comment, a);
    if (rc == 0 && a->meeting)
        rc = api_meeting_submit_limit(r, v.hash);
    view_clear(&v);
    if (rc != 0) {
        answer_arg_free(a);
        return rc;
    }
    return api_queue(r, a->meeting ? op_meeting_answer : op_answer, a, answer_arg_free);
}

/* --- the HTML form's POST ------------------------------------------------------------ */

/* Whether the Content-Type is an HTML form's (urlencoded). */
static bool is_form_type(const char *ct)
{
    while (ct && *ct == ' ')
        ct++;
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
        return false;
    return ct[33] == '\0' || ct[33] == ';' || ct[33] == ' ';
}

/* Decodes one urlencoded component ('+' is a space) into a malloc'd string;
 * NULL when it is not UTF-8 text. */
static char *form_decode(const char *s, size_t len)
{
    char *raw = malloc(len + 1);
    if (!raw)
        return NULL;
    for (size_t i = 0; i < len; i++)
        raw[i] = s[i] == '+' ? ' ' : s[i];
    raw[len] = '\0';
    int olen = 0;
    char *dec = curl_easy_unescape(NULL, raw, (int)len, &olen);
    free(raw);
    if (!dec)
        return NULL;
    char *out = text_ok(dec, (size_t)olen) ? strndup(dec, (size_t)olen) : NULL;
    curl_free(dec);
    return out;
}

/* Reads the form's fields into answers ({item: {question: value}}) and
 * *comment. Field names are "item.question" with values 1..6, ja, nej or
 * vet_ej (null), and "comment"; anything else is a 400 (not a form of ours).
 * A question given twice keeps the last value, as a browser never sends
 * that. */
static int form_read(struct lb_api_req *r, const struct view *v, json_t *answers, char **comment)
{
    const char *p = r->http->body, *end = p + r->http->body_len;
    if (r->http->body_len > 64 * 1024)
        return api_fail(r, 413, "too_large", NULL, "the form is too large");
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (stop == p) {
            p = stop + 1;
            continue;
        }
        char *key = form_decode(p, (size_t)((eq ? eq : stop) - p));
        char *val = eq ? form_decode(eq + 1, (size_t)(stop - eq - 1)) : strdup("");
        int rc = 0;
        if (!key || !val) {
            rc = api_fail(r, 400, "bad_form", NULL, "the form's data is not UTF-8 text");
        } else if (strcmp(key, "comment") == 0) {
            free(*comment);
            *comment = val;
            val = NULL;
        } else {
            const char *dot = strchr(key, '.');
            char item[LB_UNIT_CODE_MAX + 1] = "";
            const struct view_section *s = NULL;
            if (dot && (size_t)(dot - key) <= LB_UNIT_CODE_MAX) {
                memcpy(item, key, (size_t)(dot - key));
                item[dot - key] = '\0';
            }
            for (size_t i = 0; i < v->nsec && !s; i++)
                if (strcmp(v->sec[i].item, item) == 0)
                    s = &v->sec[i];
            const struct lb_question *q = NULL;
            for (size_t i = 0; s && s->questions && i < s->nquestions; i++)
                if (strcmp(s->questions[i].key, dot + 1) == 0)
                    q = &s->questions[i];
            if (s && !s->questions)
                q = lb_survey_question(s->kind, dot + 1);
            json_t *value = NULL;
            if (q && strcmp(val, "vet_ej") == 0)
                value = json_null();
            else if (q && q->type == LB_Q_YESNO && strcmp(val, "ja") == 0)
                value = json_true();
            else if (q && q->type == LB_Q_YESNO && strcmp(val, "nej") == 0)
                value = json_false();
            else if (q && q->type == LB_Q_SCALE && strlen(val) == 1 && val[0] >= '1' &&
                     val[0] <= '0' + LB_SURVEY_SCALE_TOP)
                value = json_integer(val[0] - '0');
            if (!q)
                rc = api_fail(r, 400, "bad_form", NULL, "unknown field in the form");
            else if (!value)
                rc = api_fail(r, 422, "out_of_range", key, "not an answer to this question");
            else {
                json_t *per = json_object_get(answers, item);
                if (!per) {
                    per = json_object();
                    json_object_set_new(answers, item, per);
                }
                if (!per || json_object_set_new(per, q->key, value) != 0)
                    rc = LB_ENOMEM;
            }
        }
        free(key);
        free(val);
        if (rc != 0)
            return rc;
        p = stop + 1;
    }
    return 0;
}

/* Re-renders the form with the errors of r->err (422). */
static int form_again(struct lb_api_req *r, const struct view *v, json_t *answers,
                      const char *comment)
{
    const char *field = r->err.field[0] ? r->err.field : NULL;
    char path[160] = "";
    const char *msg = "Ett av svaren gick inte att läsa. Välj ett av alternativen.";
    if (field && strncmp(field, "answers.", 8) == 0) /* api_followup_answers' paths */
        field = snprintf(path, sizeof path, "%s", field + 8) > 0 ? path : NULL;
    if (r->err.code && strcmp(r->err.code, "no_answers") == 0) {
        field = NULL;
        msg = "Du har inte svarat på någon fråga. Välj ett svar på minst en fråga – eller "
              "”Vet ej” – innan du skickar.";
    } else if (field && strcmp(field, "comment") == 0) {
        msg = "Kommentaren är för lång. Korta den till högst 2 000 tecken.";
    }
    struct lb_form_error err = {field, msg};
    struct lb_form_section secs[SECTIONS_MAX];
    form_sections(v, secs);
    struct lb_form f = {.municipality = municipality(r),
                        .company = v->meeting ? NULL : v->company,
                        .meeting = v->meeting ? v->meeting_title : NULL,
                        .token = r->params[0],
                        .sections = secs,
                        .nsections = v->nsec,
                        .answers = answers,
                        .comment = comment,
                        .errors = &err,
                        .nerrors = 1};
    int status = r->err.status ? r->err.status : 422;
    char *page = lb_form_page(&f); /* before err, which field points into, is cleared */
    memset(&r->err, 0, sizeof r->err);
    return page_answer(r, status, page);
}

int api_form_post(struct lb_api_req *r, lb_txn *t)
{
    struct view v;
    struct answer_arg *a = calloc(1, sizeof *a);
    json_t *answers = json_object();
    char *comment = NULL;
    int rc = a && answers ? view_load(r, t, &v) : LB_ENOMEM;
    if (!a || !answers) {
        free(a);
        json_decref(answers);
        return rc;
    }
    if (rc == 0 && v.state != VIEW_OPEN)
        rc = view_refusal(r, v.state);
    else if (rc == 0 && r->http->body_len > 0 &&
             !is_form_type(lb_http_req_header(r->http, "Content-Type")))
        rc = api_fail(r, 415, "unsupported_media_type", NULL, "the body must be a form");
    else if (rc == 0)
        rc = form_read(r, &v, answers, &comment);
    /* Blank or whitespace-only comments are no comment. */
    if (comment && strspn(comment, " \t\r\n") == strlen(comment)) {
        free(comment);
        comment = NULL;
    }
    if (rc == 0)
        rc = answer_validate(r, &v, answers, comment, a);
    if (rc == 0 && !(a->company = strdup(v.company)))
        rc = LB_ENOMEM;
    if (rc == LB_EINVAL && r->err.status == 422)
        rc = form_again(r, &v, answers, comment);
    else if (rc == 0 && a->meeting && (rc = api_meeting_submit_limit(r, v.hash)) != 0)
        ;
    else if (rc == 0) {
        a->form = true;
        rc = api_queue(r, a->meeting ? op_meeting_answer : op_answer, a, answer_arg_free);
        a = NULL;
    }
    if (a)
        answer_arg_free(a);
    json_decref(answers);
    free(comment);
    view_clear(&v);
    return rc;
}

/* --- opting out ---------------------------------------------------------------------- */

struct opt_out_arg {
    uint8_t hash[32];
    bool form;
};

static int op_opt_out(lb_txn *t, struct lb_api_req *r)
{
    struct opt_out_arg *a = r->arg;
    bool changed;
    int rc = lb_survey_opt_out(t, &r->ctx, a->hash, &changed);
    if (rc == LB_ENOTFOUND)
        return view_refusal(r, VIEW_UNKNOWN);
    if (rc != 0)
        return rc;
    if (a->form)
        return page_answer(r, 200, lb_form_opt_out(municipality(r), r->params[0], true));
    return api_answer(r, 200, json_pack("{s:b}", "opted_out", 1), NULL);
}

/* The token's hash when it is stored as a follow-up's (expired or not: an
 * opt-out link keeps working). */
static int opt_out_token(struct lb_api_req *r, lb_txn *t, uint8_t hash[32])
{
    struct lb_survey_token tok = {0};
    if (lb_token_hash(r->params[0], hash) != 0)
        return view_refusal(r, VIEW_UNKNOWN);
    int rc = lb_survey_token_get(t, hash, &tok);
    if (rc == LB_ENOTFOUND || (rc == 0 && tok.kind != LB_SURVEY_KIND_FOLLOWUP))
        return view_refusal(r, VIEW_UNKNOWN);
    return rc;
}

static int opt_out_queue(struct lb_api_req *r, lb_txn *t, bool form)
{
    struct opt_out_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    a->form = form;
    int rc = opt_out_token(r, t, a->hash);
    if (rc != 0) {
        free(a);
        return rc;
    }
    return api_queue(r, op_opt_out, a, free);
}

int api_form_opt_out_get(struct lb_api_req *r, lb_txn *t)
{
    uint8_t hash[32];
    int rc = opt_out_token(r, t, hash);
    return rc ? rc : page_answer(r, 200, lb_form_opt_out(municipality(r), r->params[0], false));
}

/* Any body is accepted: a browser's empty form, or RFC 8058's one-click
 * "List-Unsubscribe=One-Click" from a mail program. */
int api_form_opt_out_post(struct lb_api_req *r, lb_txn *t)
{
    return opt_out_queue(r, t, true);
}

int api_public_survey_opt_out(struct lb_api_req *r, lb_txn *t)
{
    return opt_out_queue(r, t, false);
}

/* --- the worker's routes --------------------------------------------------------------- */

struct issue_arg {
    struct lb_survey_issue items[ISSUE_MAX];
    size_t n;
};

static const char *verdict_str(enum lb_survey_verdict v)
{
    switch (v) {
    case LB_SURVEY_SEND:
        return "send";
    case LB_SURVEY_PHONE:
        return "phone";
    case LB_SURVEY_NO_RECIPIENT:
        return "no_recipient";
    case LB_SURVEY_LATE:
        return "late";
    default:
        return "closed";
    }
}

/* What the mail says about the call's items: per item its part's title, the
 * case's number and subject, and the day it ended (the decision, or the
 * closing for the lots's own case). */
static json_t *mail_items(lb_txn *t, const struct lb_api_req *r, const struct lb_followup *f)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; arr && i < f->nitems; i++) {
        const struct lb_followup_item *it = &f->items[i];
        struct lb_case c = {0};
        struct lb_handoff h = {0};
        if (lb_case_get(t, it->case_id, &c) != 0)
            continue;
        lb_time ended = c.closed_at;
        if (it->kind == LB_FOLLOWUP_KIND_UNIT && lb_handoff_get(t, it->handoff_id, &h) == 0)
            ended = h.decided_at;
        char num[16], day[16] = "";
        lb_case_number(&c, num, sizeof num);
        if (ended != LB_TIME_NONE)
            lb_date_format(lb_stockholm_date(ended), day);
        const struct lb_unit *u = it->unit ? lb_units_find(api_units(r), it->unit) : NULL;
        json_t *o = json_object();
        if (o) {
            api_json_str(o, "kind", lb_followup_kind_str(it->kind));
            api_json_str(o, "unit", it->unit);
            api_json_str(o, "title",
                         it->kind == LB_FOLLOWUP_KIND_LOTS ? "Företagslotsen"
                         : u                               ? u->name_sv
                                                           : it->unit);
            api_json_str(o, "case_number", num);
            api_json_str(o, "case_subject", c.subject);
            api_json_str(o, "date", day[0] ? day : NULL);
            json_array_append_new(arr, o);
        }
        lb_case_clear(&c);
        lb_handoff_clear(&h);
    }
    return arr;
}

static int op_issue(lb_txn *t, struct lb_api_req *r)
{
    struct issue_arg *a = r->arg;
    json_t *out = json_object(), *items = json_array();
    int rc = out && items ? 0 : LB_ENOMEM;
    for (size_t i = 0; rc == 0 && i < a->n; i++) {
        struct lb_survey_issue in = a->items[i];
        in.valid_ms = api_config(r)->survey_valid_ms;
        enum lb_survey_verdict verdict = LB_SURVEY_CLOSED;
        struct lb_followup f = {0};
        struct lb_company co = {0};
        uint32_t who = 0;
        json_t *o = json_object();
        rc = o ? lb_survey_issue(t, &r->ctx, &in, &verdict, &f, &co, &who) : LB_ENOMEM;
        if (rc == LB_ENOTFOUND) {
            rc = 0;
            verdict = LB_SURVEY_CLOSED;
            json_object_set_new(o, "verdict", json_string("not_found"));
        } else if (rc == LB_EINVAL) {
            rc = api_fail(r, 422, "invalid_value", "items",
                          "item %zu: call_from must be after today", i);
        } else if (rc == 0) {
            json_object_set_new(o, "verdict", json_string(verdict_str(verdict)));
        }
        if (rc == 0 && verdict == LB_SURVEY_SEND) {
            const struct lb_person *p = &co.contacts[who];
            json_object_set_new(o, "recipient",
                                json_pack("{s:s?,s:s}", "name", p->name, "email", p->email));
            api_json_str(o, "company", co.name);
            api_json_time(o, "sent_at", f.survey.sent_at);
            api_json_date(o, "call_from", f.survey.call_from);
            api_json_time(o, "expires_at", f.survey.expires_at);
            json_object_set_new(o, "items", mail_items(t, r, &f));
        }
        json_object_set_new(o, "followup_id", json_integer((json_int_t)in.followup_id));
        json_object_set_new(o, "reminder", json_integer(in.reminder));
        if (rc == 0)
            json_array_append_new(items, o);
        else
            json_decref(o);
        lb_followup_clear(&f);
        lb_company_clear(&co);
    }
    if (rc == 0) {
        json_object_set_new(out, "municipality", json_string(municipality(r)));
        json_object_set_new(out, "items", items);
        items = NULL;
        rc = api_answer(r, 200, out, NULL);
        out = NULL;
    }
    json_decref(items);
    json_decref(out);
    return rc;
}

/* 64 hex digits into 32 bytes. */
static bool hex32(const char *s, uint8_t out[32])
{
    size_t bin_len = 0;
    return s && strlen(s) == 64 && sodium_hex2bin(out, 32, s, 64, NULL, &bin_len, NULL) == 0 &&
           bin_len == 32;
}

int api_survey_issue(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    json_t *items = json_object_get(r->body, "items");
    if (!items || !json_is_array(items) || json_array_size(items) == 0 ||
        json_array_size(items) > ISSUE_MAX)
        return api_fail(r, 422, items ? "invalid_type" : "missing_field", "items",
                        "items must be an array of 1..%d", ISSUE_MAX);
    struct issue_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(items); i++) {
        json_t *o = json_array_get(items, i);
        struct lb_survey_issue *in = &a->items[a->n++];
        long long rem = 0;
        const char *hash = NULL;
        char field[32];
        snprintf(field, sizeof field, "items[%zu]", i);
        if (!json_is_object(o))
            rc = api_fail(r, 422, "invalid_type", field, "an item must be an object");
        if (rc == 0)
            rc = api_id(r, o, "followup_id", true, &in->followup_id);
        if (rc == 0)
            rc = api_int(r, o, "reminder", true, 0, LB_SURVEY_REMINDERS_MAX, NULL, &rem);
        if (rc == 0)
            rc = api_str(r, o, "token_hash", true, 64, &hash);
        if (rc == 0 && !hex32(hash, in->token_hash))
            rc = api_fail(r, 422, "invalid_value", "token_hash", "token_hash: 64 hex digits");
        if (rc == 0)
            rc = api_date(r, o, "call_from", rem == 0, &in->call_from);
        in->reminder = (uint32_t)rem;
    }
    if (rc != 0) {
        free(a);
        return rc;
    }
    return api_queue(r, op_issue, a, free);
}

static int op_bounce(lb_txn *t, struct lb_api_req *r)
{
    lb_id *id = r->arg;
    bool changed;
    int rc = lb_survey_bounce(t, &r->ctx, *id, &changed);
    if (rc == 0)
        rc = api_answer(r, 200,
                        json_pack("{s:I,s:b}", "followup_id", (json_int_t)*id, "changed", changed),
                        NULL);
    return rc;
}

int api_survey_bounce(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    lb_id *id = malloc(sizeof *id);
    if (!id)
        return LB_ENOMEM;
    int rc = api_path_id(r, 0, id);
    if (rc != 0) {
        free(id);
        return rc;
    }
    return api_queue(r, op_bounce, id, free);
}
