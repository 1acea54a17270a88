/* api.c: the dispatcher of lotsd's HTTP/JSON API and its group commit.
 *
 * Every request goes through lb_api_handle: the route table below matches
 * method and path pattern (405 with Allow for a known path and the wrong
 * method), the Bearer token is authenticated here and nowhere else (session,
 * expiry, user, disabled), the role is checked with lb_authz_allowed, the
 * body is parsed once (415 unless JSON, 400 when malformed) and a repeated
 * Idempotency-Key is answered from its stored answer. The route's handler
 * then runs with one read transaction.
 *
 * Writes: a handler validates and calls api_queue. The first queued request
 * arms a uv_check handle (and an idle handle so the loop does not block in
 * poll meanwhile); the check callback takes every queued operation as one
 * batch for lb_store_batch. With cfg.commit_thread (lotsd) the check hands
 * the iteration's requests to a commit thread (under mu), so the loop keeps
 * parsing, validating and reading while a commit syncs. The thread commits
 * everything handed over as one batch and, when the commit ends, puts the
 * batch on the done list, wakes the loop (uv_async) and at once takes what
 * was handed over meanwhile. The loop publishes each done batch's events and
 * answers its requests from their operations' results, in commit order.
 * Without the thread the check callback commits, publishes and answers in
 * place. Each operation runs through
 * op_wrapper, which replays or refuses a key already stored in the same
 * parent transaction (two identical keyed requests in one batch) and stores
 * the answer under the key inside the same nested transaction as the
 * mutation, so key and effect commit together. lb_store_batch may run an
 * operation twice (map growth): op_wrapper clears the answer first.
 *
 * lb_err values become HTTP statuses in one table (err_table); every error
 * answer has the shape {"error": {"code", "message", "field"?}}. */
#include "lotsbok/api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "lotsbok/error.h"
#include "lotsbok/metrics.h"
#include "lotsbok/calendar.h"
#include "lotsbok/survey.h"
#include "lotsbok/timeutil.h"

/* An authenticated session, cached so that a request with a known token
 * needs neither the token's hash nor the session and user records: valid
 * while lb_auth_generation in the request's snapshot is still gen (no user
 * or session written since) and the session has not expired. Shared by the
 * cache and the requests using it (refs; loop thread only): a request's
 * user is a shallow copy of user. */
#define AUTH_CACHE_SLOTS 256
struct auth_entry {
    unsigned refs;
    char token[LB_TOKEN_LEN];
    uint8_t token_hash[32];
    lb_time expires_at;
    uint64_t gen;
    struct lb_user user;
};

/* One group commit: its requests (linked by next) and their operations. */
struct api_batch {
    struct api_batch *next; /* in the done or the free list */
    struct lb_api_req *reqs;
    size_t n;
    struct lb_op *ops;
    size_t cap;
    int rc;
    uint64_t first, last;
    /* uv_hrtime() when the commit thread took it and when its commit
     * ended, and how long mdb_txn_commit took (lb_write_stage). */
    uint64_t taken_ns, done_ns, commit_ns;
};

struct lb_api {
    uv_loop_t *loop;
    struct lb_api_config cfg;
    lb_http_server *server;
    uv_check_t check;
    uv_idle_t idle;
    uv_prepare_t prepare;
    bool armed;
    struct lb_api_req *head, *tail; /* queued in this loop iteration */
    size_t queued;
    struct api_batch local; /* the batch without a commit thread */
    /* The commit thread (cfg.commit_thread) and what mu guards: requests
     * handed over and not yet taken, batches committed and not yet
     * answered (in commit order), spare batches, and quit. */
    bool threaded;   /* the commit thread runs */
    bool have_async; /* it was started: its state and handle exist until close */
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cv;
    uv_async_t committed;
    struct lb_api_req *handed, *handed_tail;
    size_t nhanded;
    struct api_batch *done, *done_tail, *spare;
    bool quit;
    lb_ratelimit *login_limit; /* failed logins per username and per client address */
    /* Password hashing (api_offload): at most hash_slots requests on libuv's
     * pool at once, the others waiting in order (linked by next), at most
     * API_HASH_WAIT_MAX of them; requests slowed down (api_offload_after)
     * wait in delayed, in order of ready_ms, for delay_timer. */
    unsigned hash_slots, hash_running;
    struct lb_api_req *hash_head, *hash_tail;
    size_t hash_waiting;
    struct lb_api_req *delayed, *delayed_tail;
    uv_timer_t delay_timer;
    lb_ratelimit *public_rate;  /* public survey requests per address and second */
    lb_ratelimit *public_fail;  /* failed public survey requests per address */
    lb_ratelimit *meeting_rate; /* evaluations per address and meeting link (10 min) */
    struct auth_entry *auth_cache[AUTH_CACHE_SLOTS];
    struct api_memo *memo[API_MEMO_SLOTS];
    int closing;
    void (*close_done)(void *arg);
    void *close_arg;
};

/* --- the route table ------------------------------------------------------ */

#define PUBLIC (-1) /* no authentication, no transaction: /healthz, /metrics */
/* The public survey (api_surveys.c): no authentication, a read transaction,
 * rate limited per address. OPEN takes a JSON body; OPEN_FORM an HTML form's
 * (the handler reads it) and answers pages, errors included. */
#define OPEN (-2)
#define OPEN_FORM (-3)

struct api_route {
    const char *method;
    const char *pattern;
    int route; /* enum lb_route, or PUBLIC, OPEN, OPEN_FORM (no authentication) */
    lb_api_handler_fn fn;
};

static const struct api_route routes[] = {
    {"GET", "/healthz", PUBLIC, api_healthz},
    {"GET", "/metrics", PUBLIC, api_metrics},
    {"POST", "/api/v1/sessions", LB_ROUTE_SESSION_CREATE, api_session_create},
    {"DELETE", "/api/v1/sessions/current", LB_ROUTE_SESSION_DELETE, api_session_delete},
    {"GET", "/api/v1/me", LB_ROUTE_ME, api_me},
    {"GET", "/api/v1/units", LB_ROUTE_UNITS, api_units_list},
    {"POST", "/api/v1/users", LB_ROUTE_USER_CREATE, api_user_create},
    {"GET", "/api/v1/users", LB_ROUTE_USER_LIST, api_user_list},
    {"PATCH", "/api/v1/users/{name}", LB_ROUTE_USER_UPDATE, api_user_update},
    {"POST", "/api/v1/companies", LB_ROUTE_COMPANY_CREATE, api_company_create},
    {"GET", "/api/v1/companies", LB_ROUTE_COMPANY_LIST, api_company_list},
    {"GET", "/api/v1/companies/{id}", LB_ROUTE_COMPANY_GET, api_company_get},
    {"PATCH", "/api/v1/companies/{id}", LB_ROUTE_COMPANY_UPDATE, api_company_update},
    {"POST", "/api/v1/cases", LB_ROUTE_CASE_CREATE, api_case_create},
    {"GET", "/api/v1/cases", LB_ROUTE_CASE_LIST, api_case_list},
    {"GET", "/api/v1/cases/{id}", LB_ROUTE_CASE_GET, api_case_get},
    {"PATCH", "/api/v1/cases/{id}", LB_ROUTE_CASE_UPDATE, api_case_update},
    {"POST", "/api/v1/cases/{id}/contacts", LB_ROUTE_CONTACT_CREATE, api_contact_create},
    {"POST", "/api/v1/cases/{id}/close", LB_ROUTE_CASE_CLOSE, api_case_close},
    {"POST", "/api/v1/cases/{id}/reopen", LB_ROUTE_CASE_REOPEN, api_case_reopen},
    {"POST", "/api/v1/cases/{id}/handoffs", LB_ROUTE_HANDOFF_CREATE, api_handoff_create},
    {"GET", "/api/v1/handoffs", LB_ROUTE_HANDOFF_LIST, api_handoff_list},
    {"GET", "/api/v1/handoffs/{id}", LB_ROUTE_HANDOFF_GET, api_handoff_get},
    {"POST", "/api/v1/handoffs/{id}/acknowledge", LB_ROUTE_HANDOFF_ACK, api_handoff_ack},
    {"POST", "/api/v1/handoffs/{id}/decide", LB_ROUTE_HANDOFF_DECIDE, api_handoff_decide},
    {"POST", "/api/v1/handoffs/{id}/withdraw", LB_ROUTE_HANDOFF_WITHDRAW, api_handoff_withdraw},
    {"POST", "/api/v1/handoffs/{id}/overdue", LB_ROUTE_HANDOFF_OVERDUE, api_handoff_overdue},
    {"GET", "/api/v1/followups", LB_ROUTE_FOLLOWUP_LIST, api_followup_list},
    {"POST", "/api/v1/followups", LB_ROUTE_FOLLOWUP_CREATE, api_followup_create},
    {"GET", "/api/v1/followups/{id}", LB_ROUTE_FOLLOWUP_GET, api_followup_get},
    {"PATCH", "/api/v1/followups/{id}", LB_ROUTE_FOLLOWUP_UPDATE, api_followup_update},
    {"POST", "/api/v1/followups/{id}/items", LB_ROUTE_FOLLOWUP_ITEMS, api_followup_items},
    {"POST", "/api/v1/followups/{id}/result", LB_ROUTE_FOLLOWUP_RESULT, api_followup_result},
    {"PATCH", "/api/v1/followups/{id}/result", LB_ROUTE_FOLLOWUP_CORRECT, api_followup_correct},
    {"GET", "/api/v1/improvements", LB_ROUTE_IMPROVEMENT_LIST, api_improvement_list},
    {"POST", "/api/v1/improvements", LB_ROUTE_IMPROVEMENT_CREATE, api_improvement_create},
    {"PATCH", "/api/v1/improvements/{id}", LB_ROUTE_IMPROVEMENT_UPDATE, api_improvement_update},
    {"POST", "/api/v1/companies/{id}/anonymize", LB_ROUTE_COMPANY_ANONYMIZE, api_company_anonymize},
    {"GET", "/api/v1/companies/{id}/export", LB_ROUTE_COMPANY_EXPORT, api_company_export},
    {"GET", "/api/v1/persons", LB_ROUTE_PERSONS, api_persons},
    {"GET", "/api/v1/indicators", LB_ROUTE_INDICATORS_GET, api_indicators_get},
    {"PUT", "/api/v1/indicators/{quarter}", LB_ROUTE_INDICATORS_PUT, api_indicators_put},
    {"GET", "/api/v1/reports/quarterly", LB_ROUTE_REPORT_GET, api_report_get},
    {"GET", "/api/v1/events", LB_ROUTE_EVENTS, api_events_list},
    {"GET", "/api/v1/search", LB_ROUTE_SEARCH, api_search},
    {"GET", "/api/v1/plan", LB_ROUTE_PLAN_GET, api_plan_get},
    {"POST", "/api/v1/plan/actions", LB_ROUTE_PLAN_ACTION_CREATE, api_plan_action_create},
    {"GET", "/api/v1/plan/actions/{code}", LB_ROUTE_PLAN_ACTION_GET, api_plan_action_get},
    {"PATCH", "/api/v1/plan/actions/{code}", LB_ROUTE_PLAN_ACTION_UPDATE, api_plan_action_update},
    {"GET", "/api/v1/plan/actions/{code}/followups/{year}", LB_ROUTE_PLAN_FOLLOWUP_GET,
     api_plan_followup_get},
    {"PUT", "/api/v1/plan/actions/{code}/followups/{year}", LB_ROUTE_PLAN_FOLLOWUP_PUT,
     api_plan_followup_put},
    {"GET", "/api/v1/plan/indicators/{id}/values", LB_ROUTE_PLAN_VALUES, api_plan_values},
    {"POST", "/api/v1/imports/companies", LB_ROUTE_IMPORT_COMPANIES, api_import_companies},
    {"GET", "/api/v1/reports/annual", LB_ROUTE_REPORT_ANNUAL, api_report_annual},
    {"PUT", "/api/v1/worker/cursor", LB_ROUTE_WORKER_CURSOR, api_worker_cursor},
    {"POST", "/api/v1/surveys/issue", LB_ROUTE_SURVEY_ISSUE, api_survey_issue},
    {"POST", "/api/v1/followups/{id}/survey/bounce", LB_ROUTE_SURVEY_BOUNCE, api_survey_bounce},
    {"GET", "/api/v1/meetings", LB_ROUTE_MEETING_LIST, api_meeting_list},
    {"POST", "/api/v1/meetings", LB_ROUTE_MEETING_CREATE, api_meeting_create},
    {"GET", "/api/v1/meetings/{id}", LB_ROUTE_MEETING_GET, api_meeting_get},
    {"PATCH", "/api/v1/meetings/{id}", LB_ROUTE_MEETING_UPDATE, api_meeting_update},
    {"PUT", "/api/v1/meetings/{id}/attendance", LB_ROUTE_MEETING_ATTENDANCE,
     api_meeting_attendance},
    {"POST", "/api/v1/meetings/{id}/evaluations", LB_ROUTE_MEETING_EVALUATE, api_meeting_evaluate},
    {"GET", "/api/v1/meetings/{id}/sheet", LB_ROUTE_MEETING_SHEET, api_meeting_sheet},
    {"GET", "/api/v1/public/surveys/{token}", OPEN, api_public_survey_get},
    {"POST", "/api/v1/public/surveys/{token}", OPEN, api_public_survey_answer},
    {"POST", "/api/v1/public/surveys/{token}/opt-out", OPEN, api_public_survey_opt_out},
    {"GET", "/enkat/{token}", OPEN_FORM, api_form_get},
    {"POST", "/enkat/{token}", OPEN_FORM, api_form_post},
    {"GET", "/enkat/{token}/avregistrera", OPEN_FORM, api_form_opt_out_get},
    {"POST", "/enkat/{token}/avregistrera", OPEN_FORM, api_form_opt_out_post},
};

#define NROUTES (sizeof routes / sizeof routes[0])
#define ROUTE_STATIC ((int)NROUTES)
#define ROUTE_NONE ((int)NROUTES + 1)

static const char *route_pattern(int i)
{
    if (i >= 0 && i < (int)NROUTES)
        return routes[i].pattern;
    return i == ROUTE_STATIC ? "static" : "unmatched";
}

/* The metrics labels, in route index order: each route's method and
 * pattern (GET and PATCH /api/v1/cases/{id} are two series, not one
 * twice), then the static files (GET) and the unmatched requests (any). */
static const char *route_labels[NROUTES + 2], *route_methods[NROUTES + 2];
_Static_assert(NROUTES + 2 <= LB_METRICS_MAX_ROUTES, "raise LB_METRICS_MAX_ROUTES");

static void metrics_init(void)
{
    for (int i = 0; i < (int)NROUTES + 2; i++) {
        route_labels[i] = route_pattern(i);
        route_methods[i] = i < (int)NROUTES ? routes[i].method : i == ROUTE_STATIC ? "GET" : "any";
    }
    lb_metrics_init(route_methods, route_labels, NROUTES + 2);
}

/* Matches path against pattern segment by segment; "{...}" matches one
 * non-empty segment, captured into params (at most 2). */
static bool route_match(const char *pattern, const char *path, char params[2][LB_API_PARAM_MAX])
{
    /* One pass over both: literal characters must be equal, a "{name}"
     * segment of the pattern takes one non-empty segment of the path. Most
     * routes fail within the first characters after "/api/v1/". */
    int np = 0;
    const char *p = pattern, *q = path;
    while (*p) {
        if (*p != '{') {
            if (*p != *q)
                return false;
            p++, q++;
            continue;
        }
        while (*p && *p != '/')
            p++;
        const char *seg = q;
        while (*q && *q != '/')
            q++;
        size_t ql = (size_t)(q - seg);
        if (ql == 0 || ql >= LB_API_PARAM_MAX || np >= 2)
            return false;
        if (params) {
            memcpy(params[np], seg, ql);
            params[np][ql] = '\0';
        }
        np++;
    }
    return *q == '\0';
}

/* --- accessors ------------------------------------------------------------ */

lb_store *api_store(const struct lb_api_req *r)
{
    return r->api->cfg.store;
}

const char *api_data_dir(const struct lb_api_req *r)
{
    return r->api->cfg.data_dir;
}

const struct lb_units *api_units(const struct lb_api_req *r)
{
    return &r->api->cfg.units;
}

lb_time api_session_ms(const struct lb_api_req *r)
{
    return r->api->cfg.session_ms;
}

struct api_memo **api_memo_slot(const struct lb_api_req *r, lb_id id)
{
    return &r->api->memo[id % API_MEMO_SLOTS];
}

lb_ratelimit *api_login_limit(const struct lb_api_req *r)
{
    return r->api->login_limit;
}

static lb_time mono_ms(void);

int api_meeting_submit_limit(struct lb_api_req *r, const uint8_t link_hash[32])
{
    char key[160], hex[17];
    sodium_bin2hex(hex, sizeof hex, link_hash, 8);
    snprintf(key, sizeof key, "%s|%s", r->http->peer ? r->http->peer : "-", hex);
    unsigned retry = 0;
    lb_time now = mono_ms();
    if (lb_ratelimit_check(r->api->meeting_rate, key, now, &retry)) {
        api_fail(r, 429, "rate_limited", NULL, "too many evaluations from this address");
        r->err.retry_after = retry ? retry : 1;
        return LB_EINVAL;
    }
    lb_ratelimit_fail(r->api->meeting_rate, key, now);
    return 0;
}

const struct lb_api_config *api_config(const struct lb_api_req *r)
{
    return &r->api->cfg;
}

unsigned api_open_connections(const struct lb_api_req *r)
{
    return r->api->server ? lb_http_server_connections(r->api->server) : 0;
}

uint64_t api_events_published(const struct lb_api_req *r)
{
    return r->api->cfg.publisher ? lb_publisher_published(r->api->cfg.publisher) : 0;
}

uint64_t api_replay_requests(const struct lb_api_req *r)
{
    return r->api->cfg.publisher ? lb_publisher_replays(r->api->cfg.publisher) : 0;
}

/* --- errors --------------------------------------------------------------- */

/* The one table from lb_err to HTTP status and error code. */
static const struct {
    int err;
    int status;
    const char *code;
    const char *message;
} err_table[] = {
    {LB_EINVAL, 422, "invalid", "the request fails validation"},
    {LB_ENOMEM, 503, "overloaded", "out of memory, try again"},
    {LB_ENOTFOUND, 404, "not_found", "no such record"},
    {LB_EEXIST, 409, "duplicate", "the record already exists"},
    {LB_ESTATE, 409, "invalid_transition", "the record's state does not allow this"},
    {LB_ESTALE, 412, "stale", "If-Match names an older version of the record"},
    {LB_ENOSPC, 507, "storage_full", "storage is full; nothing was written"},
    {LB_EIO, 500, "internal", "storage I/O error"},
    {LB_ECORRUPT, 500, "internal", "a stored record does not decode"},
    {LB_EHOLD, 409, "legal_hold", "a legal hold prevents this"},
    {LB_ETOOBIG, 413, "too_large", "a value is over its limit"},
    {LB_EBUSY, 503, "overloaded", "busy, try again"},
    {LB_EPERM, 403, "forbidden", "not allowed"},
    {LB_EINTERNAL, 500, "internal", "internal error"},
};

int api_fail(struct lb_api_req *r, int status, const char *code, const char *field, const char *fmt,
             ...)
{
    r->err.status = status;
    r->err.code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err.message, sizeof r->err.message, fmt, ap);
    va_end(ap);
    snprintf(r->err.field, sizeof r->err.field, "%s", field ? field : "");
    r->err.allowed[0] = '\0';
    r->err.state[0] = '\0';
    return LB_EINVAL;
}

void api_allowed_add(char *buf, size_t len, const char *value)
{
    size_t used = strlen(buf);
    if (!value)
        return;
    int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", value);
    if (n < 0 || (size_t)n >= len - used)
        buf[used] = '\0'; /* does not fit: the list stays as it was */
}

int api_fail_allowed(struct lb_api_req *r, int status, const char *code, const char *field,
                     const char *allowed)
{
    char shown[sizeof r->err.allowed];
    size_t j = 0;
    for (size_t i = 0; allowed[i] && j + 2 < sizeof shown; i++) {
        shown[j++] = allowed[i];
        if (allowed[i] == ',')
            shown[j++] = ' ';
    }
    shown[j] = '\0';
    api_fail(r, status, code, field, "%s must be one of: %s", field ? field : "the value", shown);
    snprintf(r->err.allowed, sizeof r->err.allowed, "%s", allowed);
    return LB_EINVAL;
}

/* The comma-separated list s as a JSON array of strings. */
static json_t *csv_array(const char *s)
{
    json_t *a = json_array();
    while (a && *s) {
        const char *end = strchr(s, ',');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        json_array_append_new(a, json_stringn(s, n));
        s += n + (end != NULL);
    }
    return a;
}

/* Fills r->status and r->resp_body with the error answer for rc. */
static void build_error(struct lb_api_req *r, int rc)
{
    int status = 500;
    const char *code = "internal", *message = lb_strerror(rc);
    if (r->err.status) {
        status = r->err.status;
        code = r->err.code;
        message = r->err.message;
    } else {
        for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++) {
            if (err_table[i].err == rc) {
                status = err_table[i].status;
                code = err_table[i].code;
                message = err_table[i].message;
                break;
            }
        }
    }
    json_t *e = json_object();
    json_t *o = json_object();
    if (e && o) {
        json_object_set_new(e, "code", json_string(code));
        json_object_set_new(e, "message", json_string(message));
        if (r->err.field[0])
            json_object_set_new(e, "field", json_string(r->err.field));
        if (r->err.existing_id)
            json_object_set_new(e, "existing_id", json_integer((json_int_t)r->err.existing_id));
        if (r->err.allowed[0])
            json_object_set_new(e, "allowed", csv_array(r->err.allowed));
        if (r->err.state[0])
            json_object_set_new(e, "state", json_string(r->err.state));
        json_object_set_new(o, "error", e);
        e = NULL;
    }
    json_decref(e);
    free(r->resp_body);
    r->resp_len = 0;
    r->resp_body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    r->status = status;
    r->content_type = NULL;
    r->extra_headers[0] = '\0';
    r->location[0] = '\0';
}

/* --- answers -------------------------------------------------------------- */

int api_answer(struct lb_api_req *r, int status, json_t *j, const char *location)
{
    free(r->resp_body);
    r->resp_body = NULL;
    r->resp_len = 0;
    if (j) {
        r->resp_body = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!r->resp_body)
            return LB_ENOMEM;
    }
    r->status = status;
    snprintf(r->location, sizeof r->location, "%s", location ? location : "");
    return 0;
}

int api_answer_jw(struct lb_api_req *r, int status, struct lb_jw *w, const char *location)
{
    free(r->resp_body);
    r->resp_len = 0;
    r->resp_body = lb_jw_take(w, NULL);
    if (!r->resp_body)
        return LB_ENOMEM;
    r->status = status;
    snprintf(r->location, sizeof r->location, "%s", location ? location : "");
    return 0;
}

int api_answer_list(struct lb_api_req *r, json_t *items, lb_id next)
{
    json_t *o = json_object();
    if (!o || !items) {
        json_decref(o);
        json_decref(items);
        return LB_ENOMEM;
    }
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "next", next ? json_integer((json_int_t)next) : json_null());
    return api_answer(r, 200, o, NULL);
}

static void auth_unref(struct auth_entry *e)
{
    if (e && --e->refs == 0) {
        lb_user_clear(&e->user);
        sodium_memzero(e, sizeof *e);
        free(e);
    }
}

static void req_free(struct lb_api_req *r)
{
    json_decref(r->body);
    if (r->auth)
        auth_unref(r->auth); /* r->user is the entry's, shallow */
    else
        lb_user_clear(&r->user);
    free(r->idem_key);
    free(r->idem_cos);
    if (r->arg_free && r->arg)
        r->arg_free(r->arg);
    free(r->resp_body);
    free(r);
}

/* What the request's log line and metrics need from the connection, taken
 * before lb_http_respond: once answered, the connection may be freed (its
 * client reset while the request was being committed or hashed) or already
 * hold the next pipelined request, so r->http must not be read again. */
struct req_note {
    uint64_t start_ns;
    const char *method; /* http_parser's static name */
    char peer[64];
};

static void req_note_take(const struct lb_api_req *r, struct req_note *n)
{
    n->start_ns = r->http->start_ns;
    n->method = r->http->method_name;
    snprintf(n->peer, sizeof n->peer, "%s", r->http->peer ? r->http->peer : "-");
}

static void log_request(struct lb_api_req *r, const struct req_note *n, uint64_t us)
{
    struct lb_logfmt f;
    lb_logfmt_init(&f);
    lb_logfmt_str(&f, "method", n->method);
    lb_logfmt_str(&f, "route", route_pattern(r->route_index));
    lb_logfmt_int(&f, "status", r->status);
    lb_logfmt_int(&f, "us", (long long)us);
    lb_logfmt_int(&f, "batch", (long long)r->batch);
    lb_logfmt_str(&f, "user", r->authed ? r->user.username : "-");
    lb_logfmt_str(&f, "peer", n->peer);
    api_log("request", &f);
}

static lb_time mono_ms(void)
{
    return (lb_time)(uv_hrtime() / 1000000);
}

/* A public survey answer that counts against the address's failures:
 * unknown or expired tokens and bodies that do not parse or validate. */
static bool public_failure(int status)
{
    return status == 400 || status == 404 || status == 413 || status == 415 || status == 422;
}

/* After the answer went to the server: counts it, logs it and frees r.
 * Returns the time (uv_hrtime) its duration was taken at. */
static uint64_t req_done(struct lb_api_req *r, const struct req_note *n)
{
    uint64_t now = uv_hrtime();
    uint64_t us = (now - n->start_ns) / 1000;
    lb_metrics_request(r->route_index, r->status, us);
    if (r->api->cfg.log_requests)
        log_request(r, n, us);
    req_free(r);
    return now;
}

/* Sends r's answer (or the error for rc), counts it, logs it and frees r;
 * r->http is not touched after lb_http_respond (struct req_note). Returns
 * when (uv_hrtime) the answer was counted as sent. */
static uint64_t send_answer(struct lb_api_req *r, int rc)
{
    if ((rc != 0 || !r->status) && r->fail_page)
        r->fail_page(r, rc ? rc : LB_EINTERNAL);
    else if (rc != 0 || !r->status)
        build_error(r, rc ? rc : LB_EINTERNAL);
    if (r->route_index >= 0 && r->route_index < (int)NROUTES &&
        routes[r->route_index].route <= OPEN && public_failure(r->status))
        lb_ratelimit_fail(r->api->public_fail, r->http->peer ? r->http->peer : "-", mono_ms());
    char extra[1024];
    size_t n = 0;
    extra[0] = '\0';
    if (r->location[0]) { /* location is at most 127 bytes: it fits */
        size_t l = strlen(r->location);
        memcpy(extra, "Location: ", 10);
        memcpy(extra + 10, r->location, l);
        memcpy(extra + 10 + l, "\r\n", 3);
        n = 10 + l + 2;
    }
    /* Answers hold personal data: never stored by a browser or a proxy. */
    memcpy(extra + n, "Cache-Control: no-store\r\n", 25);
    n += 25;
    extra[n] = '\0';
    if (r->status == 401)
        n += (size_t)snprintf(extra + n, sizeof extra - n, "WWW-Authenticate: Bearer\r\n");
    if (r->status == 429 && r->err.retry_after)
        n += (size_t)snprintf(extra + n, sizeof extra - n, "Retry-After: %u\r\n",
                              r->err.retry_after);
    if (r->status == 405 && r->err.allow[0])
        n += (size_t)snprintf(extra + n, sizeof extra - n, "Allow: %s\r\n", r->err.allow);
    if ((r->always_headers || (r->status >= 200 && r->status < 300)) && r->extra_headers[0] &&
        n < sizeof extra)
        n += (size_t)snprintf(extra + n, sizeof extra - n, "%s", r->extra_headers);
    (void)n;
    const char *body = r->resp_body ? r->resp_body : "";
    const char *ctype = r->content_type ? r->content_type : "application/json";
    struct req_note note;
    req_note_take(r, &note);
    lb_http_respond(r->http, r->status, r->resp_body ? ctype : NULL, extra[0] ? extra : NULL, body,
                    r->resp_body && r->resp_len ? r->resp_len : strlen(body));
    return req_done(r, &note);
}

void api_finish(struct lb_api_req *r, int rc)
{
    if (rc == LB_API_QUEUED)
        return;
    send_answer(r, rc);
}

void api_log(const char *msg, const struct lb_logfmt *fields)
{
    char ts[32], line[LB_LOGFMT_MAX + 640];
    lb_time_format_rfc3339(lb_time_now(), ts);
    size_t n = lb_logfmt_line(line, sizeof line, ts, "info", msg, fields);
    fwrite(line, 1, n, stderr);
}

/* --- group commit --------------------------------------------------------- */

/* Expired Idempotency-Key answers deleted by each keyed write (its commit). */
#define API_IDEM_PURGE_PER_WRITE 8

static void clear_answer(struct lb_api_req *r)
{
    r->render = NULL;
    free(r->resp_body);
    r->resp_body = NULL;
    r->resp_len = 0;
    r->status = 0;
    r->location[0] = '\0';
    memset(&r->err, 0, sizeof r->err);
    r->idem_nco = 0;
    r->idem_too_many = false;
}

int api_idem_company(struct lb_api_req *r, lb_id company)
{
    if (!r->idem_key || !company)
        return 0;
    for (uint32_t i = 0; i < r->idem_nco; i++)
        if (r->idem_cos[i].id == company)
            return 0;
    if (r->idem_nco == LB_IDEM_COMPANIES_MAX) {
        r->idem_too_many = true;
        return 0;
    }
    if (r->idem_nco == r->idem_capco) {
        uint32_t cap = r->idem_capco ? r->idem_capco * 2 : 4;
        struct lb_idem_company *p = realloc(r->idem_cos, cap * sizeof *p);
        if (!p)
            return LB_ENOMEM;
        r->idem_cos = p;
        r->idem_capco = cap;
    }
    r->idem_cos[r->idem_nco++].id = company;
    return 0;
}

int api_idem_case(struct lb_api_req *r, lb_txn *t, lb_id case_id)
{
    if (!r->idem_key)
        return 0;
    struct lb_case c = {0};
    int rc = lb_case_get(t, case_id, &c);
    lb_id company = c.company_id;
    lb_case_clear(&c);
    if (rc == LB_ENOTFOUND)
        return 0;
    return rc ? rc : api_idem_company(r, company);
}

static int replay_stored(struct lb_api_req *r, const struct lb_idempotency *rec)
{
    if (sodium_memcmp(rec->request_hash, r->req_hash, 32) != 0)
        return api_fail(r, 422, "idempotency_key_reused", NULL,
                        "Idempotency-Key was used before with a different request");
    r->status = rec->status;
    snprintf(r->location, sizeof r->location, "%s", rec->location ? rec->location : "");
    if (rec->body && !(r->resp_body = strdup(rec->body)))
        return LB_ENOMEM;
    return 0;
}

/* Runs one queued request's operation inside its nested transaction. */
static int op_wrapper(lb_txn *t, void *arg)
{
    struct lb_api_req *r = arg;
    clear_answer(r);
    if (r->idem_key) {
        struct lb_idempotency rec = {0};
        int rc = lb_idempotency_get(t, r->user.username, r->idem_key, r->ctx.now, &rec);
        if (rc == 0) {
            rc = replay_stored(r, &rec);
            lb_idempotency_clear(&rec);
            return rc;
        }
        lb_idempotency_clear(&rec);
        if (rc != LB_ENOTFOUND)
            return rc;
    }
    int rc = r->op(t, r);
    if (rc != 0)
        return rc;
    if (r->idem_key) {
        if (r->render) {
            rc = r->render(r);
            r->render = NULL;
            if (rc != 0)
                return rc;
        }
        /* An answer naming more companies than one record may list (a large
         * import) is not kept: repeating an import changes nothing anyway. */
        if (!r->idem_too_many) {
            struct lb_idempotency rec = {0};
            memcpy(rec.request_hash, r->req_hash, 32);
            rec.status = r->status;
            rec.location = r->location[0] ? r->location : NULL;
            rec.body = r->resp_body;
            rec.at = r->ctx.now;
            rec.cls = r->user.role == LB_ROLE_SERVICE ? LB_IDEM_SERVICE : LB_IDEM_USER;
            rec.ncompanies = r->idem_nco;
            rec.companies = r->idem_cos;
            rc = lb_idempotency_put(t, r->user.username, r->idem_key, &rec);
            if (rc != 0)
                return rc;
        }
        /* Expired answers go a few at a time with the writes that store new
         * ones, so the store never grows with the backlog (docs/api.md). */
        size_t purged;
        rc = lb_idempotency_purge(t, r->ctx.now, API_IDEM_PURGE_PER_WRITE, &purged, NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Commits the n requests of list as batch b (on the commit thread, or on
 * the loop thread without one). Touches only the batch, its requests and
 * the store. */
static void commit_batch(lb_api *a, struct api_batch *b, struct lb_api_req *list, size_t n)
{
    b->taken_ns = uv_hrtime();
    b->commit_ns = 0;
    b->reqs = list;
    b->n = n;
    b->first = 1;
    b->last = 0;
    if (n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < n)
            cap *= 2;
        struct lb_op *ops = realloc(b->ops, cap * sizeof *ops);
        if (!ops) {
            b->rc = LB_ENOMEM; /* nothing was run */
            b->done_ns = uv_hrtime();
            return;
        }
        b->ops = ops;
        b->cap = cap;
    }
    size_t i = 0;
    for (struct lb_api_req *r = list; r; r = r->next, i++) {
        b->ops[i].run = op_wrapper;
        b->ops[i].arg = r;
        b->ops[i].result = 0;
    }
    b->rc = lb_store_batch_timed(a->cfg.store, b->ops, n, &b->first, &b->last, &b->commit_ns);
    b->done_ns = uv_hrtime();
}

/* After the commit, on the loop thread: publish, then answer every request. */
static void finish_batch(lb_api *a, struct api_batch *b)
{
    uint64_t taken_up = uv_hrtime();
    struct lb_api_req *list = b->reqs;
    size_t n = b->n;
    b->reqs = NULL;
    b->n = 0;
    if (b->rc == 0 && a->cfg.publisher && b->first <= b->last)
        lb_publisher_publish(a->cfg.publisher, b->first, b->last);
    if (b->rc != 0 && a->cfg.store_lost && lb_store_broken(a->cfg.store)) {
        void (*lost)(void *) = a->cfg.store_lost;
        a->cfg.store_lost = NULL; /* once */
        lost(a->cfg.store_lost_arg);
    }
    uint64_t busy = b->done_ns - b->taken_ns;
    lb_metrics_batch(n, busy - b->commit_ns, b->commit_ns);
    uint64_t st[LB_STAGES];
    st[LB_STAGE_OPS] = busy - b->commit_ns;
    st[LB_STAGE_COMMIT] = b->commit_ns;
    st[LB_STAGE_WAKE] = taken_up - b->done_ns;
    size_t i = 0;
    for (struct lb_api_req *r = list, *next; r; r = next, i++) {
        next = r->next;
        r->batch = n;
        st[LB_STAGE_PARSE] = r->queued_ns - r->http->start_ns; /* r->http is gone once answered */
        st[LB_STAGE_QUEUE] = b->taken_ns - r->queued_ns;
        int rc = b->rc != 0 ? b->rc : b->ops[i].result;
        if (b->rc != 0)
            memset(&r->err, 0, sizeof r->err);
        if (rc == 0 && r->render)
            rc = r->render(r);
        st[LB_STAGE_ANSWER] = send_answer(r, rc) - taken_up;
        lb_metrics_write_stages(st);
    }
}

/* How long the commit thread may wait for a pipelined group to join the
 * next batch: half the last commit, at most API_GATHER_MAX_NS. */
#define API_GATHER_MAX_NS 2000000u
/* Groups are gathered up to this many writers in all. Beyond, a commit
 * already carries many, and answering and parsing the group that comes back
 * takes longer than the larger batch saves (bench/run.sh --writes at 64
 * connections: 67-84 % of the plain loop with gathering, 96-105 % without). */
#define API_GATHER_MAX_WRITERS 16

/* The commit thread: takes everything handed over as one batch, commits
 * it, puts it on the done list for the loop, and takes what was handed
 * over meanwhile, so no commit waits for the loop to wake up.
 *
 * Gathering: when requests were already waiting as a commit ended, the
 * writers are split into groups that take turns (one commits while the
 * other is being answered and sends again), and each commit holds only a
 * part of them. Then the next batch waits, at most half a commit, for the
 * writers of the batch just committed to come back (until as many are
 * handed over as were in both groups, API_GATHER_MAX_WRITERS at most), so
 * the groups merge and one commit carries them all. A wait that ends
 * without them is not tried on the next batch. A thread that was idle never
 * waits: a lone writer is committed at once. Every answer still follows its
 * batch's synced commit. */
static void commit_thread(void *arg)
{
    lb_api *a = arg;
    size_t target = 0;        /* writers to gather for the next batch; 0: none */
    uint64_t last_commit = 0; /* ns the last commit took */
    bool gave_up = false;     /* the last gathering timed out */
    uv_mutex_lock(&a->mu);
    for (;;) {
        while (!a->nhanded && !a->quit)
            uv_cond_wait(&a->cv, &a->mu);
        if (!a->nhanded)
            break; /* quit, with nothing left to commit */
        if (target > a->nhanded && !gave_up) {
            uint64_t wait =
                last_commit / 2 < API_GATHER_MAX_NS ? last_commit / 2 : API_GATHER_MAX_NS;
            uint64_t until = uv_hrtime() + wait;
            for (uint64_t now = uv_hrtime(); a->nhanded < target && !a->quit && now < until;
                 now = uv_hrtime())
                (void)uv_cond_timedwait(&a->cv, &a->mu, until - now);
            gave_up = a->nhanded < target;
        } else {
            gave_up = false;
        }
        /* A spare batch, or a new one; out of memory, wait until the loop
         * gives one back (two exist from the start, so one always will). */
        struct api_batch *b;
        while (!(b = a->spare) && !(b = calloc(1, sizeof *b)))
            uv_cond_wait(&a->cv, &a->mu);
        if (b == a->spare)
            a->spare = b->next;
        struct lb_api_req *list = a->handed;
        size_t n = a->nhanded;
        a->handed = a->handed_tail = NULL;
        a->nhanded = 0;
        uv_mutex_unlock(&a->mu);
        commit_batch(a, b, list, n);
        last_commit = b->done_ns - b->taken_ns;
        uv_mutex_lock(&a->mu);
        b->next = NULL;
        if (a->done_tail)
            a->done_tail->next = b;
        else
            a->done = b;
        a->done_tail = b;
        uv_async_send(&a->committed);
        /* Pipelined groups: gather them (a handful of writers). */
        target = a->nhanded && n + a->nhanded <= API_GATHER_MAX_WRITERS ? n + a->nhanded : 0;
    }
    uv_mutex_unlock(&a->mu);
}

/* Answers every batch the commit thread has finished, in commit order. */
static void drain_done(lb_api *a)
{
    uv_mutex_lock(&a->mu);
    struct api_batch *b = a->done;
    a->done = a->done_tail = NULL;
    uv_mutex_unlock(&a->mu);
    while (b) {
        struct api_batch *next = b->next;
        finish_batch(a, b);
        uv_mutex_lock(&a->mu);
        b->next = a->spare;
        a->spare = b;
        uv_cond_signal(&a->cv);
        uv_mutex_unlock(&a->mu);
        b = next;
    }
}

static void on_committed(uv_async_t *h)
{
    drain_done(h->data);
}

/* Sends this iteration's requests to be committed: to the commit thread,
 * or commits and answers them here. */
static void start_batch(lb_api *a)
{
    struct lb_api_req *list = a->head, *tail = a->tail;
    size_t n = a->queued;
    if (n == 0)
        return;
    a->head = a->tail = NULL;
    a->queued = 0;
    if (a->threaded) {
        uv_mutex_lock(&a->mu);
        if (a->handed_tail)
            a->handed_tail->next = list;
        else
            a->handed = list;
        a->handed_tail = tail;
        a->nhanded += n;
        uv_cond_signal(&a->cv);
        uv_mutex_unlock(&a->mu);
        return;
    }
    commit_batch(a, &a->local, list, n);
    finish_batch(a, &a->local);
}

/* Frees what the commit thread worked with, once it has ended (or never
 * started): the spare batches, the condition and the mutex. */
static void thread_state_free(lb_api *a)
{
    for (struct api_batch *b = a->spare, *next; b; b = next) {
        next = b->next;
        free(b->ops);
        free(b);
    }
    a->spare = NULL;
    uv_cond_destroy(&a->cv);
    uv_mutex_destroy(&a->mu);
}

/* Ends the commit thread once it has committed everything handed over. */
static void stop_thread(lb_api *a)
{
    if (!a->threaded)
        return;
    uv_mutex_lock(&a->mu);
    a->quit = true;
    uv_cond_signal(&a->cv);
    uv_mutex_unlock(&a->mu);
    uv_thread_join(&a->thread);
    a->threaded = false;
}

static void disarm(lb_api *a)
{
    if (a->armed) {
        uv_check_stop(&a->check);
        uv_idle_stop(&a->idle);
        a->armed = false;
    }
}

/* Commits and answers everything queued or handed over, then goes on
 * without the commit thread (shutdown). */
void lb_api_flush(lb_api *a)
{
    disarm(a);
    start_batch(a);
    if (a->threaded) {
        stop_thread(a);
        drain_done(a);
    }
    while (a->queued) /* answers may have let pipelined requests in */
        start_batch(a);
}

static void on_check(uv_check_t *h)
{
    lb_api *a = h->data;
    disarm(a);
    start_batch(a);
}

static void on_idle(uv_idle_t *h)
{
    (void)h; /* only keeps poll from blocking while a batch waits */
}

static void on_prepare(uv_prepare_t *h)
{
    (void)h;
    fflush(stderr); /* request lines are buffered per loop iteration */
}

int api_queue(struct lb_api_req *r, lb_api_op_fn op, void *arg, void (*arg_free)(void *))
{
    lb_api *a = r->api;
    r->queued_ns = uv_hrtime();
    r->op = op;
    r->arg = arg;
    r->arg_free = arg_free;
    r->next = NULL;
    if (a->tail)
        a->tail->next = r;
    else
        a->head = r;
    a->tail = r;
    a->queued++;
    if (!a->armed) {
        uv_check_start(&a->check, on_check);
        uv_idle_start(&a->idle, on_idle);
        a->armed = true;
    }
    return LB_API_QUEUED;
}

/* --- thread-pool work (password hashing) ---------------------------------- */

/* argon2id takes 64 MiB and ~100 ms a run: at most hash_slots run at once
 * (the cores, by default), so 32 parallel logins cost 2 x 64 MiB on two
 * cores instead of one per pool thread, and the rest wait in order. Beyond
 * API_HASH_WAIT_MAX waiting, a request is refused with 503 at once. */
#define API_HASH_WAIT_MAX 256

static void hash_start_next(lb_api *a);

static void work_cb(uv_work_t *w)
{
    struct lb_api_req *r = w->data;
    r->work(r);
}

static void after_work_cb(uv_work_t *w, int status)
{
    struct lb_api_req *r = w->data;
    lb_api *a = r->api;
    a->hash_running--;
    int rc = status == 0 ? r->after_work(r) : LB_EINTERNAL;
    api_finish(r, rc);
    hash_start_next(a);
}

/* Starts waiting hash jobs while a slot is free. A job that cannot be
 * queued on the pool is answered 500 at once. */
static void hash_start_next(lb_api *a)
{
    while (a->hash_head && a->hash_running < a->hash_slots) {
        struct lb_api_req *r = a->hash_head;
        a->hash_head = r->next;
        if (!a->hash_head)
            a->hash_tail = NULL;
        a->hash_waiting--;
        r->next = NULL;
        r->work_req.data = r;
        if (uv_queue_work(a->loop, &r->work_req, work_cb, after_work_cb) != 0) {
            send_answer(r, LB_EINTERNAL);
            continue;
        }
        a->hash_running++;
    }
}

/* Puts r in the hash queue (or refuses it when the queue is full). */
static int hash_enqueue(struct lb_api_req *r)
{
    lb_api *a = r->api;
    if (a->hash_waiting >= API_HASH_WAIT_MAX) {
        api_fail(r, 503, "overloaded", NULL, "too many logins at once; try again");
        r->err.retry_after = 1;
        return LB_EBUSY;
    }
    r->next = NULL;
    if (a->hash_tail)
        a->hash_tail->next = r;
    else
        a->hash_head = r;
    a->hash_tail = r;
    a->hash_waiting++;
    hash_start_next(a);
    return LB_API_QUEUED;
}

int api_offload(struct lb_api_req *r, void (*work)(struct lb_api_req *r),
                int (*after)(struct lb_api_req *r))
{
    r->work = work;
    r->after_work = after;
    return hash_enqueue(r);
}

/* --- thread-pool work (reads) ----------------------------------------------- */

static void read_work_cb(uv_work_t *w)
{
    struct lb_api_req *r = w->data;
    r->work(r);
}

static void read_after_cb(uv_work_t *w, int status)
{
    struct lb_api_req *r = w->data;
    api_finish(r, status == 0 ? r->after_work(r) : LB_EINTERNAL);
}

int api_offload_read(struct lb_api_req *r, void (*work)(struct lb_api_req *r),
                     int (*after)(struct lb_api_req *r))
{
    r->work = work;
    r->after_work = after;
    r->work_req.data = r;
    if (uv_queue_work(r->api->loop, &r->work_req, read_work_cb, read_after_cb) != 0)
        return LB_EINTERNAL;
    return LB_API_QUEUED;
}

static void on_delay(uv_timer_t *h)
{
    lb_api *a = h->data;
    uint64_t now = uv_now(a->loop);
    while (a->delayed && a->delayed->ready_ms <= now) {
        struct lb_api_req *r = a->delayed;
        a->delayed = r->next;
        if (!a->delayed)
            a->delayed_tail = NULL;
        int rc = hash_enqueue(r);
        if (rc != LB_API_QUEUED)
            send_answer(r, rc);
    }
    if (a->delayed)
        uv_timer_start(&a->delay_timer, on_delay, a->delayed->ready_ms - now, 0);
}

int api_offload_after(struct lb_api_req *r, unsigned delay_ms, void (*work)(struct lb_api_req *r),
                      int (*after)(struct lb_api_req *r))
{
    lb_api *a = r->api;
    r->work = work;
    r->after_work = after;
    if (delay_ms == 0)
        return hash_enqueue(r);
    /* Every delay is the same, so appending keeps the list in ready order. */
    r->ready_ms = uv_now(a->loop) + delay_ms;
    r->next = NULL;
    if (a->delayed_tail)
        a->delayed_tail->next = r;
    else
        a->delayed = r;
    a->delayed_tail = r;
    if (a->delayed == r)
        uv_timer_start(&a->delay_timer, on_delay, delay_ms, 0);
    return LB_API_QUEUED;
}

/* --- JSON building -------------------------------------------------------- */

void api_json_time(json_t *o, const char *key, lb_time t)
{
    if (t == LB_TIME_NONE) {
        json_object_set_new(o, key, json_null());
        return;
    }
    char buf[32];
    lb_time_format_rfc3339(t, buf);
    json_object_set_new(o, key, json_string(buf));
}

void api_json_date(json_t *o, const char *key, lb_date d)
{
    if (d == LB_DATE_NONE) {
        json_object_set_new(o, key, json_null());
        return;
    }
    char buf[16];
    lb_date_format(d, buf);
    json_object_set_new(o, key, json_string(buf));
}

void api_json_str(json_t *o, const char *key, const char *s)
{
    json_object_set_new(o, key, s ? json_string(s) : json_null());
}

void api_json_meta(json_t *o, const struct lb_meta *m)
{
    json_object_set_new(o, "id", json_integer((json_int_t)m->id));
    json_object_set_new(o, "version", json_integer((json_int_t)m->version));
    api_json_time(o, "created_at", m->created_at);
    api_json_time(o, "updated_at", m->updated_at);
}

void api_jw_time_value(struct lb_jw *w, lb_time t)
{
    if (t == LB_TIME_NONE) {
        lb_jw_null(w);
        return;
    }
    /* Digits, '-', ':', 'T', '.', 'Z': nothing to escape. */
    char buf[34];
    buf[0] = '"';
    lb_time_format_rfc3339(t, buf + 1);
    size_t n = strlen(buf + 1);
    buf[n + 1] = '"';
    lb_jw_raw(w, buf, n + 2);
}

void api_jw_meta(struct lb_jw *w, const struct lb_meta *m)
{
    LB_JW_KINT(w, "id", (int64_t)m->id);
    LB_JW_KINT(w, "version", (int64_t)m->version);
    API_JW_TIME(w, "created_at", m->created_at);
    API_JW_TIME(w, "updated_at", m->updated_at);
}

/* --- validation ----------------------------------------------------------- */

size_t api_utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Whether s is well-formed UTF-8 (no overlongs, no surrogates). */
static bool utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        if (i + n >= len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

static json_t *field_get(json_t *obj, const char *key)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    return v && !json_is_null(v) ? v : NULL;
}

static int missing(struct lb_api_req *r, const char *key)
{
    return api_fail(r, 422, "missing_field", key, "%s is required", key);
}

static int wrong_type(struct lb_api_req *r, const char *key, const char *type)
{
    return api_fail(r, 422, "invalid_type", key, "%s must be %s", key, type);
}

int api_str(struct lb_api_req *r, json_t *obj, const char *key, bool required, size_t maxchars,
            const char **out)
{
    json_t *v = field_get(obj, key);
    *out = NULL;
    if (!v)
        return required ? missing(r, key) : 0;
    if (!json_is_string(v))
        return wrong_type(r, key, "a string");
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return api_fail(r, 422, "invalid_value", key, "%s must not contain NUL", key);
    if (required && s[0] == '\0')
        return api_fail(r, 422, "missing_field", key, "%s must not be empty", key);
    if (api_utf8_len(s) > maxchars)
        return api_fail(r, 422, "too_long", key, "%s is over %zu characters", key, maxchars);
    *out = s;
    return 0;
}

/* The times a request gives (when a contact, an opening, a closing or a
 * decision happened): from 2000-01-01 to one day ahead of the server's
 * clock, so a clock a little ahead or an evening entry for the next morning
 * passes, and a year 0001 or 9999 typo does not reach the indicators. */
#define API_TIME_MIN 946684800000LL /* 2000-01-01T00:00:00Z */
#define API_TIME_AHEAD (24LL * 3600 * 1000)

int api_time(struct lb_api_req *r, json_t *obj, const char *key, bool required, lb_time *out)
{
    const char *s;
    *out = LB_TIME_NONE;
    int rc = api_str(r, obj, key, required, 64, &s);
    if (rc != 0 || !s)
        return rc;
    if (lb_time_parse_rfc3339(s, out) != 0)
        return api_fail(r, 422, "invalid_time", key, "%s must be an RFC 3339 time", key);
    if (*out < API_TIME_MIN || *out > r->ctx.now + API_TIME_AHEAD) {
        *out = LB_TIME_NONE;
        return api_fail(r, 422, "out_of_range", key,
                        "%s must be from 2000-01-01 to one day from now", key);
    }
    return 0;
}

int api_date(struct lb_api_req *r, json_t *obj, const char *key, bool required, lb_date *out)
{
    const char *s;
    *out = LB_DATE_NONE;
    int rc = api_str(r, obj, key, required, 16, &s);
    if (rc != 0 || !s)
        return rc;
    if (lb_date_parse(s, out) != 0)
        return api_fail(r, 422, "invalid_date", key, "%s must be a date YYYY-MM-DD", key);
    return 0;
}

int api_int(struct lb_api_req *r, json_t *obj, const char *key, bool required, long long min,
            long long max, bool *present, long long *out)
{
    json_t *v = field_get(obj, key);
    if (present)
        *present = v != NULL;
    if (!v)
        return required ? missing(r, key) : 0;
    if (!json_is_integer(v))
        return wrong_type(r, key, "an integer");
    long long x = json_integer_value(v);
    if (x < min || x > max)
        return api_fail(r, 422, "out_of_range", key, "%s must be in %lld..%lld", key, min, max);
    *out = x;
    return 0;
}

int api_id(struct lb_api_req *r, json_t *obj, const char *key, bool required, lb_id *out)
{
    long long x = 0;
    bool present = false;
    *out = 0;
    int rc = api_int(r, obj, key, required, 1, INT64_MAX, &present, &x);
    if (rc == 0 && present)
        *out = (lb_id)x;
    return rc;
}

int api_bool(struct lb_api_req *r, json_t *obj, const char *key, bool *present, bool *out)
{
    json_t *v = field_get(obj, key);
    *present = v != NULL;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return wrong_type(r, key, "true or false");
    *out = json_is_true(v);
    return 0;
}

int api_strdup(char **dst, const char *s)
{
    char *c = NULL;
    if (s && !(c = strdup(s)))
        return LB_ENOMEM;
    free(*dst);
    *dst = c;
    return 0;
}

/* --- query, paging, path -------------------------------------------------- */

int api_query(struct lb_api_req *r, const char *key, char *buf, size_t len)
{
    const char *q = r->http->query;
    size_t klen = strlen(key);
    while (q && *q) {
        const char *end = strchr(q, '&');
        size_t l = end ? (size_t)(end - q) : strlen(q);
        if (l > klen && memcmp(q, key, klen) == 0 && q[klen] == '=') {
            const char *v = q + klen + 1;
            size_t vl = l - klen - 1;
            char raw[1024];
            if (vl >= sizeof raw)
                return api_fail(r, 400, "bad_query", key, "%s is too long", key);
            for (size_t i = 0; i < vl; i++)
                raw[i] = v[i] == '+' ? ' ' : v[i];
            raw[vl] = '\0';
            int olen = 0;
            char *dec = curl_easy_unescape(NULL, raw, (int)vl, &olen);
            if (!dec)
                return LB_ENOMEM;
            bool ok = (size_t)olen < len && memchr(dec, '\0', (size_t)olen) == NULL &&
                      utf8_valid((const unsigned char *)dec, (size_t)olen);
            if (ok)
                memcpy(buf, dec, (size_t)olen + 1);
            curl_free(dec);
            if (!ok)
                return api_fail(r, 400, "bad_query", key, "%s is not a valid value", key);
            return 1;
        }
        if (l == klen && memcmp(q, key, klen) == 0) {
            buf[0] = '\0';
            return 1;
        }
        q = end ? end + 1 : NULL;
    }
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!*s || strlen(s) > 19)
        return -1;
    uint64_t x = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *out = x;
    return 0;
}

int api_page(struct lb_api_req *r, struct lb_page *p, lb_id *ids)
{
    char buf[32];
    uint64_t x;
    memset(p, 0, sizeof *p);
    p->ids = ids;
    p->limit = 50;
    int rc = api_query(r, "limit", buf, sizeof buf);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if (parse_u64(buf, &x) != 0 || x < 1 || x > 500)
            return api_fail(r, 400, "bad_query", "limit", "limit must be 1..500");
        p->limit = (size_t)x;
    }
    rc = api_query(r, "after", buf, sizeof buf);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if (parse_u64(buf, &x) != 0)
            return api_fail(r, 400, "bad_query", "after", "after must be an id");
        p->after = x;
    }
    return 0;
}

int api_order(struct lb_api_req *r, struct lb_page *p, bool newest_default)
{
    char buf[16];
    p->desc = newest_default;
    int rc = api_query(r, "order", buf, sizeof buf);
    if (rc <= 0)
        return rc;
    if (strcmp(buf, "newest") == 0)
        p->desc = true;
    else if (strcmp(buf, "oldest") == 0)
        p->desc = false;
    else
        return api_fail_allowed(r, 400, "bad_query", "order", "newest,oldest");
    return 0;
}

int api_path_id(struct lb_api_req *r, int idx, lb_id *out)
{
    uint64_t x;
    if (parse_u64(r->params[idx], &x) != 0 || x == 0)
        return api_fail(r, 404, "not_found", NULL, "no such record");
    *out = x;
    return 0;
}

int api_if_match(struct lb_api_req *r, uint64_t *out)
{
    const char *h = lb_http_req_header(r->http, "If-Match");
    *out = 0;
    if (!h)
        return 0;
    char buf[32];
    size_t l = strlen(h);
    if (l >= 2 && h[0] == '"' && h[l - 1] == '"') { /* an ETag-style quoted version */
        h++;
        l -= 2;
    }
    if (l == 0 || l >= sizeof buf)
        return api_fail(r, 400, "bad_header", "If-Match", "If-Match must be a version");
    memcpy(buf, h, l);
    buf[l] = '\0';
    uint64_t x;
    if (parse_u64(buf, &x) != 0 || x == 0)
        return api_fail(r, 400, "bad_header", "If-Match", "If-Match must be a version");
    *out = x;
    return 0;
}

/* --- scoping -------------------------------------------------------------- */

bool api_unit_allowed(const struct lb_api_req *r, const char *unit)
{
    if (r->user.role != LB_ROLE_HANDLER)
        return true;
    for (uint32_t i = 0; i < r->user.nunits; i++)
        if (unit && strcmp(r->user.units[i], unit) == 0)
            return true;
    return false;
}

static bool handler_has_handoff(struct lb_api_req *r, lb_txn *t, lb_id case_id, lb_id company_id)
{
    lb_id ids[1];
    struct lb_handoff_filter f = {
        .units = (const char *const *)r->user.units,
        .nunits = r->user.nunits,
        .overdue = -1,
        .case_id = case_id,
        .company_id = company_id,
    };
    struct lb_page p = {.after = 0, .limit = 1, .ids = ids};
    if (r->user.nunits == 0)
        return false;
    return lb_handoff_list(t, &f, &p) == 0 && p.count > 0;
}

bool api_company_visible(struct lb_api_req *r, lb_txn *t, lb_id company_id)
{
    if (r->user.role != LB_ROLE_HANDLER)
        return true;
    return handler_has_handoff(r, t, 0, company_id);
}

bool api_case_visible(struct lb_api_req *r, lb_txn *t, lb_id case_id)
{
    if (r->user.role != LB_ROLE_HANDLER)
        return true;
    return handler_has_handoff(r, t, case_id, 0);
}

/* --- authentication ------------------------------------------------------- */

/* The cache slot of a token text (random base64url: its first bytes). */
static size_t auth_slot(const char *token)
{
    size_t h = 0;
    for (int i = 0; i < 8; i++)
        h = h * 64 + (unsigned char)token[i];
    return h % AUTH_CACHE_SLOTS;
}

static void auth_use(struct lb_api_req *r, struct auth_entry *e)
{
    e->refs++;
    r->auth = e;
    r->user = e->user;
    memcpy(r->token_hash, e->token_hash, 32);
    r->authed = true;
    r->ctx.actor = r->user.username;
}

static int authenticate(struct lb_api_req *r, lb_txn *t)
{
    const char *h = lb_http_req_header(r->http, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return api_fail(r, 401, "unauthorized", NULL, "a Bearer token is required");
    h += 7;
    while (*h == ' ')
        h++;
    uint64_t gen;
    int rc = lb_auth_generation(t, &gen);
    if (rc != 0)
        return rc;
    struct auth_entry **slot = NULL;
    if (strnlen(h, LB_TOKEN_LEN + 1) == LB_TOKEN_LEN) {
        slot = &r->api->auth_cache[auth_slot(h)];
        struct auth_entry *e = *slot;
        if (e && e->gen == gen && sodium_memcmp(e->token, h, LB_TOKEN_LEN) == 0 &&
            e->expires_at > r->ctx.now) {
            auth_use(r, e);
            return 0;
        }
    }
    if (lb_token_hash(h, r->token_hash) != 0)
        return api_fail(r, 401, "unauthorized", NULL, "the token is not valid");
    struct lb_session s = {0};
    rc = lb_session_get(t, r->token_hash, &s);
    if (rc == LB_ENOTFOUND)
        return api_fail(r, 401, "unauthorized", NULL, "the token is not valid");
    if (rc != 0)
        return rc;
    bool expired = s.expires_at <= r->ctx.now;
    lb_time expires_at = s.expires_at;
    rc = expired ? LB_ENOTFOUND : lb_user_get(t, s.username, &r->user);
    lb_session_clear(&s);
    if (rc == LB_ENOTFOUND || (rc == 0 && r->user.disabled)) {
        lb_user_clear(&r->user);
        return api_fail(r, 401, "unauthorized", NULL,
                        expired ? "the session has expired" : "the token is not valid");
    }
    if (rc != 0)
        return rc;
    r->authed = true;
    r->ctx.actor = r->user.username;
    /* Cache it (the token is valid, so slot is set): the entry takes the
     * user, the request keeps a shallow copy. */
    struct auth_entry *e = slot ? calloc(1, sizeof *e) : NULL;
    if (e) {
        memcpy(e->token, h, LB_TOKEN_LEN);
        memcpy(e->token_hash, r->token_hash, 32);
        e->expires_at = expires_at;
        e->gen = gen;
        e->user = r->user;
        e->refs = 1;
        auth_unref(*slot);
        *slot = e;
        auth_use(r, e);
    }
    return 0;
}

/* Whether the Content-Type names JSON ("application/json; charset=utf-8"). */
static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    if (strncasecmp(ct, "application/json", 16) != 0)
        return false;
    ct += 16;
    return *ct == '\0' || *ct == ';' || *ct == ' ';
}

static int parse_body(struct lb_api_req *r)
{
    if (r->http->body_len == 0) {
        r->body = json_object();
        return r->body ? 0 : LB_ENOMEM;
    }
    if (!is_json_type(lb_http_req_header(r->http, "Content-Type")))
        return api_fail(r, 415, "unsupported_media_type", NULL,
                        "the body must be application/json");
    json_error_t jerr;
    r->body = json_loadb(r->http->body, r->http->body_len, 0, &jerr);
    if (!r->body)
        return api_fail(r, 400, "invalid_json", NULL, "malformed JSON: %s", jerr.text);
    if (!json_is_object(r->body))
        return api_fail(r, 400, "invalid_json", NULL, "the body must be a JSON object");
    return 0;
}

/* Request-time Idempotency-Key handling, on POST and PATCH (the worker keys
 * its cancelling PATCH, docs/worker.md; DESIGN.md names POST only): 1 when r
 * was answered from the stored answer (or refused), 0 to go on. */
static int idempotency_begin(struct lb_api_req *r, lb_txn *t)
{
    const char *key = lb_http_req_header(r->http, "Idempotency-Key");
    const char *m = r->http->method_name;
    if (!key || (strcmp(m, "POST") != 0 && strcmp(m, "PATCH") != 0) || !r->authed)
        return 0;
    size_t kl = strlen(key);
    if (kl == 0 || kl > 200)
        return api_fail(r, 400, "bad_header", "Idempotency-Key", "Idempotency-Key: 1..200 chars");
    for (size_t i = 0; i < kl; i++)
        if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
            return api_fail(r, 400, "bad_header", "Idempotency-Key",
                            "Idempotency-Key must be printable ASCII");
    if (!(r->idem_key = strdup(key)))
        return LB_ENOMEM;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const unsigned char *)r->http->method_name,
                              strlen(r->http->method_name) + 1);
    crypto_generichash_update(&st, (const unsigned char *)r->http->path, strlen(r->http->path) + 1);
    if (r->http->body_len)
        crypto_generichash_update(&st, (const unsigned char *)r->http->body, r->http->body_len);
    crypto_generichash_final(&st, r->req_hash, 32);
    struct lb_idempotency rec = {0};
    int rc = lb_idempotency_get(t, r->user.username, key, r->ctx.now, &rec);
    if (rc == 0) {
        rc = replay_stored(r, &rec);
        lb_idempotency_clear(&rec);
        return rc == 0 ? 1 : rc;
    }
    lb_idempotency_clear(&rec);
    return rc == LB_ENOTFOUND ? 0 : rc;
}

/* --- static files --------------------------------------------------------- */

static const char *mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* Serves GET of a file under web_dir. Only [A-Za-z0-9._/-] paths without
 * "..", so nothing outside web_dir is reachable. */
static void serve_static(struct lb_api_req *r)
{
    const char *path = r->http->path;
    const char *dir = r->api->cfg.web_dir;
    bool ok = dir != NULL && path[0] == '/' && strstr(path, "..") == NULL &&
              strstr(path, "//") == NULL && strlen(path) < 256;
    for (const char *p = path; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '.' || *p == '_' || *p == '/' || *p == '-';
    char file[1024];
    struct stat st;
    int fd = -1;
    if (ok) {
        bool index = path[strlen(path) - 1] == '/';
        snprintf(file, sizeof file, "%s%s%s", dir, path, index ? "index.html" : "");
        fd = open(file, O_RDONLY | O_CLOEXEC);
        ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= (8 << 20);
    }
    char *buf = ok ? malloc((size_t)st.st_size + 1) : NULL;
    ok = ok && buf && read(fd, buf, (size_t)st.st_size) == (ssize_t)st.st_size;
    if (fd >= 0)
        close(fd);
    if (!ok) {
        free(buf);
        api_fail(r, 404, "not_found", NULL, "no such page");
        send_answer(r, LB_ENOTFOUND);
        return;
    }
    r->status = 200;
    struct req_note note;
    req_note_take(r, &note);
    lb_http_respond(r->http, 200, mime_type(file),
                    "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n", buf,
                    (size_t)st.st_size);
    free(buf);
    req_done(r, &note);
}

/* --- the dispatcher ------------------------------------------------------- */

void lb_api_handle(lb_http_req *req, void *arg)
{
    lb_api *a = arg;
    struct lb_api_req *r = calloc(1, sizeof *r);
    if (!r) {
        static const char body[] =
            "{\"error\":{\"code\":\"overloaded\",\"message\":\"out of memory\"}}";
        lb_http_respond(req, 503, "application/json", NULL, body, sizeof body - 1);
        return;
    }
    r->api = a;
    r->http = req;
    r->ctx.now = lb_time_now();
    r->ctx.actor = "-";
    r->route_index = ROUTE_NONE;

    char allow[64] = "";
    for (size_t i = 0; i < NROUTES; i++) {
        if (!route_match(routes[i].pattern, req->path, r->params))
            continue;
        if (strcmp(routes[i].method, req->method_name) == 0) {
            r->route_index = (int)i;
            break;
        }
        size_t l = strlen(allow);
        snprintf(allow + l, sizeof allow - l, "%s%s", l ? ", " : "", routes[i].method);
    }
    if (r->route_index == ROUTE_NONE) {
        if (allow[0]) {
            api_fail(r, 405, "method_not_allowed", NULL, "%s is not allowed here",
                     req->method_name);
            snprintf(r->err.allow, sizeof r->err.allow, "%s", allow);
            send_answer(r, LB_EINVAL);
        } else if (strncmp(req->path, "/api/", 5) != 0 && strcmp(req->method_name, "GET") == 0) {
            r->route_index = ROUTE_STATIC;
            serve_static(r);
        } else {
            api_fail(r, 404, "not_found", NULL, "no such resource");
            send_answer(r, LB_ENOTFOUND);
        }
        return;
    }

    const struct api_route *route = &routes[r->route_index];
    bool open = route->route == OPEN || route->route == OPEN_FORM;
    if (open) {
        r->ctx.actor = "public";
        api_survey_prepare(r, route->route == OPEN_FORM);
        /* On the monotonic clock: limits are about real time, also when
         * LOTSBOK_NOW fixes the business clock. */
        unsigned retry = 0;
        const char *peer = req->peer ? req->peer : "-";
        lb_time now = mono_ms();
        if ((a->public_fail && lb_ratelimit_check(a->public_fail, peer, now, &retry)) ||
            (a->public_rate && lb_ratelimit_check(a->public_rate, peer, now, &retry))) {
            api_fail(r, 429, "rate_limited", NULL, "too many requests from this address");
            r->err.retry_after = retry ? retry : 1;
            send_answer(r, LB_EINVAL);
            return;
        }
        lb_ratelimit_fail(a->public_rate, peer, now); /* counts every request */
    }
    lb_txn *t = NULL; /* public routes (healthz, metrics) need no transaction */
    int rc = route->route == PUBLIC ? 0 : lb_txn_read(a->cfg.store, &t);
    if (rc != 0) {
        send_answer(r, rc);
        return;
    }
    if (route->route >= 0 && route->route != LB_ROUTE_SESSION_CREATE) {
        rc = authenticate(r, t);
        if (rc == 0 && !lb_authz_allowed((enum lb_route)route->route, r->user.role))
            rc = api_fail(r, 403, "forbidden", NULL, "the role %s may not do this",
                          lb_role_str(r->user.role));
    }
    bool has_body = strcmp(req->method_name, "POST") == 0 ||
                    strcmp(req->method_name, "PATCH") == 0 || strcmp(req->method_name, "PUT") == 0;
    /* An import's body is the file itself (api_import.c reads it); a form's
     * body is the form (api_surveys.c). */
    if (rc == 0 && has_body && route->route != LB_ROUTE_IMPORT_COMPANIES &&
        route->route != OPEN_FORM)
        rc = parse_body(r);
    else if (rc == 0 && has_body && !(r->body = json_object()))
        rc = LB_ENOMEM;
    if (rc == 0 && t) {
        rc = idempotency_begin(r, t);
        if (rc == 1) {
            lb_txn_end(t);
            send_answer(r, 0);
            return;
        }
    }
    if (rc == 0)
        rc = route->fn(r, t);
    if (t)
        lb_txn_end(t);
    api_finish(r, rc);
}

/* --- life cycle ----------------------------------------------------------- */

int lb_api_new(uv_loop_t *loop, const struct lb_api_config *cfg, lb_api **out)
{
    lb_api *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    a->loop = loop;
    a->cfg = *cfg;
    if (!a->cfg.session_ms)
        a->cfg.session_ms = LB_SESSION_MS_DEFAULT;
    if (!a->cfg.login_window_ms)
        a->cfg.login_window_ms = 60 * 1000;
    if (!a->cfg.login_max)
        a->cfg.login_max = 10;
    if (lb_ratelimit_new(a->cfg.login_max, a->cfg.login_window_ms, &a->login_limit) != 0) {
        free(a);
        return LB_ENOMEM;
    }
    a->hash_slots = a->cfg.hash_concurrency ? a->cfg.hash_concurrency : uv_available_parallelism();
    if (a->hash_slots < 1)
        a->hash_slots = 1;
    /* The public survey's limits (0 = off: NULL limiters let everything by). */
    if ((a->cfg.public_rate && lb_ratelimit_new(a->cfg.public_rate, 1000, &a->public_rate) != 0) ||
        (a->cfg.public_failures &&
         lb_ratelimit_new(a->cfg.public_failures, 10 * 60 * 1000, &a->public_fail) != 0)) {
        lb_ratelimit_free(a->public_rate);
        lb_ratelimit_free(a->login_limit);
        free(a);
        return LB_EINVAL;
    }
    if (lb_ratelimit_new(LB_MEETING_SUBMITS_PER_ADDRESS, 10 * 60 * 1000, &a->meeting_rate) != 0) {
        lb_ratelimit_free(a->public_rate);
        lb_ratelimit_free(a->public_fail);
        lb_ratelimit_free(a->login_limit);
        free(a);
        return LB_EINVAL;
    }
    if (!a->cfg.municipality)
        a->cfg.municipality = LB_MUNICIPALITY_DEFAULT;
    if (!a->cfg.survey_valid_ms)
        a->cfg.survey_valid_ms = (lb_time)LB_SURVEY_VALID_DAYS * 24 * 3600 * 1000;
    if (cfg->commit_thread) {
        if (uv_mutex_init(&a->mu) != 0)
            goto fail;
        if (uv_cond_init(&a->cv) != 0) {
            uv_mutex_destroy(&a->mu);
            goto fail;
        }
        for (int i = 0; i < 2; i++) {
            struct api_batch *b = calloc(1, sizeof *b);
            if (b) {
                b->next = a->spare;
                a->spare = b;
            }
        }
        if (!a->spare || !a->spare->next || uv_thread_create(&a->thread, commit_thread, a) != 0) {
            thread_state_free(a);
            goto fail;
        }
        a->threaded = true;
    }
    if (uv_check_init(loop, &a->check) != 0 || uv_idle_init(loop, &a->idle) != 0 ||
        uv_prepare_init(loop, &a->prepare) != 0 || uv_timer_init(loop, &a->delay_timer) != 0 ||
        (a->threaded && uv_async_init(loop, &a->committed, on_committed) != 0)) {
        if (a->threaded) { /* init fails only on a broken loop */
            stop_thread(a);
            thread_state_free(a);
        }
        goto fail;
    }
    a->have_async = a->threaded;
    a->check.data = a->idle.data = a->prepare.data = a->committed.data = a->delay_timer.data = a;
    if (a->threaded)
        uv_unref((uv_handle_t *)&a->committed); /* the connections keep the loop alive */
    uv_prepare_start(&a->prepare, on_prepare);
    metrics_init();
    *out = a;
    return 0;
fail:
    lb_ratelimit_free(a->login_limit);
    lb_ratelimit_free(a->public_rate);
    lb_ratelimit_free(a->public_fail);
    lb_ratelimit_free(a->meeting_rate);
    free(a);
    return LB_EINTERNAL;
}

void lb_api_set_server(lb_api *a, lb_http_server *s)
{
    a->server = s;
}

static void on_handle_closed(uv_handle_t *h)
{
    lb_api *a = h->data;
    if (--a->closing > 0)
        return;
    void (*done)(void *) = a->close_done;
    void *arg = a->close_arg;
    free(a->local.ops);
    if (a->have_async)
        thread_state_free(a);
    for (size_t i = 0; i < AUTH_CACHE_SLOTS; i++)
        auth_unref(a->auth_cache[i]);
    for (size_t i = 0; i < API_MEMO_SLOTS; i++)
        free(a->memo[i]);
    lb_ratelimit_free(a->login_limit);
    lb_ratelimit_free(a->public_rate);
    lb_ratelimit_free(a->public_fail);
    lb_ratelimit_free(a->meeting_rate);
    free(a);
    if (done)
        done(arg);
}

void lb_api_close(lb_api *a, void (*done)(void *arg), void *arg)
{
    lb_api_flush(a); /* and stops the commit thread */
    bool async = a->have_async;
    fflush(stderr);
    a->close_done = done;
    a->close_arg = arg;
    a->closing = async ? 5 : 4;
    uv_close((uv_handle_t *)&a->delay_timer, on_handle_closed);
    uv_close((uv_handle_t *)&a->check, on_handle_closed);
    uv_close((uv_handle_t *)&a->idle, on_handle_closed);
    uv_close((uv_handle_t *)&a->prepare, on_handle_closed);
    if (async)
        uv_close((uv_handle_t *)&a->committed, on_handle_closed);
}
