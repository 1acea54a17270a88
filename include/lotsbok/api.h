/* api.h: the HTTP/JSON API of lotsd (DESIGN.md "HTTP API").
 *
 * lb_api is the request handler plugged into lb_http_server. One dispatcher
 * matches method and path against the route table, authenticates the Bearer
 * token (one read transaction: session, then user), authorises the caller's
 * role with lb_authz_allowed and hands the request to the route's handler
 * with the caller's identity. Reads answer at once from one read
 * transaction. Writes are validated first and then queued as an lb_op; a
 * uv_check handle runs the queued operations once per loop iteration as one
 * group commit (lb_store_batch), publishes the batch's events and only then
 * answers every queued request. Idempotency-Key answers are stored inside
 * the same nested transaction as the mutation they describe.
 *
 * The lower half of this header is internal to core/api*.c: the request
 * context, the JSON and validation helpers and the per-area handlers. */
#ifndef LOTSBOK_API_H
#define LOTSBOK_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "lotsbok/auth.h"
#include "lotsbok/enums.h"
#include "lotsbok/http_server.h"
#include "lotsbok/jsonw.h"
#include "lotsbok/logfmt.h"
#include "lotsbok/publisher.h"
#include "lotsbok/records.h"
#include "lotsbok/store.h"

#define LB_SESSION_MS_DEFAULT (12LL * 3600 * 1000)
/* Service sessions (the worker's token written by `lotsd init`) live ten
 * years: the worker runs unattended and has no password to log in again. */
#define LB_SERVICE_SESSION_MS (10LL * 366 * 24 * 3600 * 1000)

struct lb_api_config {
    lb_store *store;
    lb_publisher *publisher; /* NULL: events are committed but not published */
    struct lb_units units;   /* configured units (lb_units_default or --units) */
    lb_time session_ms;      /* login session lifetime; 0 = 12 h */
    lb_time login_window_ms; /* failed-login window; 0 = 60 s */
    unsigned login_max;      /* failures per window per username and per address; 0 = 10 */
    const char *web_dir;     /* static files for GET /; NULL = none (404) */
    bool log_requests;       /* one logfmt line per request on stderr */
    const char *data_dir;    /* the data directory (DIR/pseudonym.key); NULL = none */
    /* Commit batches on a thread of their own, so the loop goes on parsing
     * and reading while a commit syncs (lotsd); false: on the loop thread. */
    bool commit_thread;
    /* Password hashes (argon2id, 64 MiB each) computed at once at most; 0 =
     * the cores (uv_available_parallelism). Others wait in order. */
    unsigned hash_concurrency;
    /* Called once, on the loop thread, when a batch failed because the store
     * became unusable (lb_store_broken): lotsd stops, exiting 1. */
    void (*store_lost)(void *arg);
    void *store_lost_arg;
    /* The e-mail survey's public form (docs/surveys.md). */
    const char *municipality; /* on the form and in the mail; NULL = LB_MUNICIPALITY_DEFAULT */
    lb_time survey_valid_ms;  /* how long a survey link works; 0 = 30 days */
    unsigned public_rate;     /* public requests per address and second, 1..64; 0 = no limit */
    unsigned public_failures; /* failed public requests per address in 10 min, 1..64; 0 = none */
    /* The public form's base URL for the links lotsd prints (a meeting's QR
     * sheet); NULL: http:// and the request's Host (docs/meetings.md). */
    const char *public_base;
};

#define LB_MUNICIPALITY_DEFAULT "Norrtälje kommun"
#define LB_PUBLIC_RATE_DEFAULT 20
#define LB_PUBLIC_FAILURES_DEFAULT 30

typedef struct lb_api lb_api;

/* Creates the API on loop (its check handle for the group commit). */
int lb_api_new(uv_loop_t *loop, const struct lb_api_config *cfg, lb_api **out);
/* The lb_http_handler; arg is the lb_api. */
void lb_api_handle(lb_http_req *req, void *arg);
/* Lets /metrics report the server's open connections. */
void lb_api_set_server(lb_api *a, lb_http_server *s);
/* Commits and answers whatever is queued now (used at shutdown). */
void lb_api_flush(lb_api *a);
/* Closes the loop handles and frees the API once they are closed; done(arg)
 * is then called. Nothing may be queued any more. */
void lb_api_close(lb_api *a, void (*done)(void *arg), void *arg);

/* ======================================================================
 * Internal to core/api*.c
 * ====================================================================== */

#define LB_API_QUEUED 1 /* handler return: the request waits for the group commit */
#define LB_API_PARAM_MAX 96

struct lb_api_req;
/* A handler: validates, then answers (return 0 with the answer set by
 * api_answer), queues (return LB_API_QUEUED via api_queue) or fails (return
 * a negative lb_err, with detail from api_fail when set). t is a read
 * transaction that ends when the handler returns. */
typedef int (*lb_api_handler_fn)(struct lb_api_req *r, lb_txn *t);
/* A queued operation: runs inside a nested write transaction, possibly more
 * than once; sets the answer like a handler. */
typedef int (*lb_api_op_fn)(lb_txn *t, struct lb_api_req *r);

struct lb_api_error {
    int status; /* 0: map the lb_err */
    const char *code;
    char message[256];
    char field[128];
    lb_id existing_id;
    unsigned retry_after;
    char allow[64];    /* 405: the methods the path takes */
    char allowed[512]; /* the values field takes, comma-separated: "allowed" in the answer */
    char state[32];    /* 409 invalid_transition: the record's status, "state" in the answer */
};

struct lb_api_req {
    lb_api *api;
    lb_http_req *http;
    int route_index;
    char params[2][LB_API_PARAM_MAX]; /* path parameters, in order */
    bool authed;
    struct lb_user user;     /* the caller (username, role, units); read-only */
    struct auth_entry *auth; /* when user is a cached session's (core/api/api.c) */
    uint8_t token_hash[32];  /* the caller's session */
    struct lb_ctx ctx;       /* actor = user.username, now = request time */
    json_t *body;            /* the parsed JSON object, or NULL */
    char *idem_key;          /* Idempotency-Key, or NULL */
    uint8_t req_hash[32];
    /* The companies a keyed answer describes (api_idem_company): it is stored
     * under each, so anonymising one deletes it. Emptied before each run of
     * the operation. */
    struct lb_idem_company *idem_cos;
    uint32_t idem_nco, idem_capco;
    bool idem_too_many; /* more than LB_IDEM_COMPANIES_MAX: not stored */
    lb_api_op_fn op;
    void *arg;
    void (*arg_free)(void *arg);
    int (*after_work)(struct lb_api_req *r); /* api_offload */
    void (*work)(struct lb_api_req *r);
    uv_work_t work_req;
    /* The answer. An operation may leave it to render, which then runs on
     * the loop thread after the commit (off the commit thread), or inside
     * the operation's transaction when an Idempotency-Key stores it. */
    int (*render)(struct lb_api_req *r);
    int status;
    char *resp_body;
    size_t resp_len;          /* bytes of a binary resp_body (XLSX); 0: a string */
    const char *content_type; /* NULL: application/json */
    char extra_headers[512];  /* more header lines ("Name: value\r\n"), sent with a 2xx */
    bool always_headers;      /* ...and with any other status too (the public survey) */
    /* When set, renders the answer for a failure (rc, and err when set)
     * instead of the JSON error shape: the public form's pages. */
    void (*fail_page)(struct lb_api_req *r, int rc);
    char location[128];
    struct lb_api_error err;
    size_t batch;
    uint64_t queued_ns; /* uv_hrtime() when api_queue took it (lb_write_stage) */
    /* The batch queue (api_queue), or the hash queue / the delayed list
     * (api_offload, api_offload_after) before that: one at a time. */
    struct lb_api_req *next;
    uint64_t ready_ms; /* api_offload_after: when it may be hashed (uv_now) */
};

/* Contact answers memoised by the stored record's exact bytes (GET
 * /cases/{id}, core/api/api_cases.c): rendering is a function of those bytes
 * alone, so an entry whose bytes equal the record's is its answer, whatever
 * was written since. Direct-mapped by contact id, loop thread only; entries
 * over API_MEMO_ENTRY_MAX bytes are not kept (at most 2 MiB in all). */
#define API_MEMO_SLOTS 1024
#define API_MEMO_ENTRY_MAX 2048
struct api_memo {
    lb_id id;
    uint32_t rec_len, json_len;
    char data[]; /* the record's bytes, then the answer's */
};
struct api_memo **api_memo_slot(const struct lb_api_req *r, lb_id id);

/* Context every handler can read. */
const struct lb_api_config *api_config(const struct lb_api_req *r);
lb_store *api_store(const struct lb_api_req *r);
const struct lb_units *api_units(const struct lb_api_req *r);
lb_time api_session_ms(const struct lb_api_req *r);
lb_ratelimit *api_login_limit(const struct lb_api_req *r);
/* Counts an evaluation through a meeting's link (its hash) from the caller's
 * address: 0, or 429 (api_fail) past LB_MEETING_SUBMITS_PER_ADDRESS in ten
 * minutes. */
#define LB_MEETING_SUBMITS_PER_ADDRESS 30
int api_meeting_submit_limit(struct lb_api_req *r, const uint8_t link_hash[32]);

/* Answers: status with j as the body (j is consumed); location optional. */
int api_answer(struct lb_api_req *r, int status, json_t *j, const char *location);
/* Answers with what w wrote (its buffer is taken; w is left empty).
 * LB_ENOMEM when the writer ran out of memory. */
int api_answer_jw(struct lb_api_req *r, int status, struct lb_jw *w, const char *location);
/* Fails with a specific status and code; returns LB_EINVAL (the value to
 * return from the handler). field may be NULL. */
int api_fail(struct lb_api_req *r, int status, const char *code, const char *field, const char *fmt,
             ...) __attribute__((format(printf, 5, 6)));
/* api_fail with the values the field takes (allowed: comma-separated); the
 * message names them and the answer carries them as "allowed": [...]. */
int api_fail_allowed(struct lb_api_req *r, int status, const char *code, const char *field,
                     const char *allowed);
/* Appends value to a comma-separated list in buf (len bytes); NULL is skipped. */
void api_allowed_add(char *buf, size_t len, const char *value);
/* Queues op for the group commit; arg is freed with arg_free after the
 * answer. Returns LB_API_QUEUED. */
int api_queue(struct lb_api_req *r, lb_api_op_fn op, void *arg, void (*arg_free)(void *));
/* An operation names a company its answer describes (a no-op without an
 * Idempotency-Key): anonymising the company deletes the stored answer
 * (docs/privacy.md). api_idem_case names the case's company. */
int api_idem_company(struct lb_api_req *r, lb_id company);
int api_idem_case(struct lb_api_req *r, lb_txn *t, lb_id case_id);
/* Runs work on the thread pool (password hashing), then after on the loop,
 * which continues like a handler's end (answer, queue or fail through
 * r->status / api_queue / api_fail). Returns LB_API_QUEUED. */
int api_offload(struct lb_api_req *r, void (*work)(struct lb_api_req *r),
                int (*after)(struct lb_api_req *r));
/* Runs work on the thread pool without the hash queue's limit, then after on
 * the loop, like api_offload: for a read that costs far more than the loop's
 * own work on a request (GET /search, docs/search.md). work runs in its own
 * read transaction (lb_txn_read in work) and touches only r and the store. */
int api_offload_read(struct lb_api_req *r, void (*work)(struct lb_api_req *r),
                     int (*after)(struct lb_api_req *r));
/* api_offload after delay_ms (login slowing); the same return. */
int api_offload_after(struct lb_api_req *r, unsigned delay_ms, void (*work)(struct lb_api_req *r),
                      int (*after)(struct lb_api_req *r));
/* After an offloaded step: finishes r the way a handler's return value would. */
void api_finish(struct lb_api_req *r, int rc);
/* Logs a login or other notable event (logfmt, level info): msg and every
 * field escaped (lotsbok/logfmt.h); fields may be NULL. */
void api_log(const char *msg, const struct lb_logfmt *fields);

/* JSON building. */
void api_json_meta(json_t *o, const struct lb_meta *m);
void api_json_time(json_t *o, const char *key, lb_time t);    /* null when LB_TIME_NONE */
void api_json_date(json_t *o, const char *key, lb_date d);    /* null when LB_DATE_NONE */
void api_json_str(json_t *o, const char *key, const char *s); /* null when NULL */
/* The same fields through the writer (jsonw.h), byte for byte. */
void api_jw_time_value(struct lb_jw *w, lb_time t); /* null when LB_TIME_NONE */
/* "lit": the instant (lit a string literal: the key is written pre-quoted). */
#define API_JW_TIME(w, lit, t)                                                                     \
    do {                                                                                           \
        LB_JW_KEY(w, lit);                                                                         \
        api_jw_time_value((w), (t));                                                               \
    } while (0)
void api_jw_meta(struct lb_jw *w, const struct lb_meta *m);

/* Validation of a body field. Each returns 0 or a negative value after
 * api_fail (422 with the field). Absent or null optional fields leave *out
 * NULL / LB_TIME_NONE / LB_DATE_NONE / untouched and set *present false. */
int api_str(struct lb_api_req *r, json_t *obj, const char *key, bool required, size_t maxchars,
            const char **out);
int api_time(struct lb_api_req *r, json_t *obj, const char *key, bool required, lb_time *out);
int api_date(struct lb_api_req *r, json_t *obj, const char *key, bool required, lb_date *out);
int api_id(struct lb_api_req *r, json_t *obj, const char *key, bool required, lb_id *out);
int api_int(struct lb_api_req *r, json_t *obj, const char *key, bool required, long long min,
            long long max, bool *present, long long *out);
int api_bool(struct lb_api_req *r, json_t *obj, const char *key, bool *present, bool *out);
/* Enum field: api_enum_<name>(r, obj, key, required, &value, &present); an
 * unknown value is 422 invalid_enum naming the values
 * (api_enum_<name>_fail). api_enum_<name>_values lists them. */
#define API_ENUM_DEFINE(name, COUNT)                                                               \
    static inline void api_enum_##name##_values(char *buf, size_t len)                             \
    {                                                                                              \
        buf[0] = '\0';                                                                             \
        for (int v_ = 0; v_ < (COUNT); v_++)                                                       \
            api_allowed_add(buf, len, lb_##name##_str((enum lb_##name)v_));                        \
    }                                                                                              \
    static inline int api_enum_##name##_fail(struct lb_api_req *r, int status, const char *code,   \
                                             const char *key)                                      \
    {                                                                                              \
        char vals[sizeof r->err.allowed];                                                          \
        api_enum_##name##_values(vals, sizeof vals);                                               \
        return api_fail_allowed(r, status, code, key, vals);                                       \
    }                                                                                              \
    static inline int api_enum_##name(struct lb_api_req *r, json_t *obj, const char *key,          \
                                      bool required, enum lb_##name *out, bool *present)           \
    {                                                                                              \
        const char *s = NULL;                                                                      \
        int rc = api_str(r, obj, key, required, 64, &s);                                           \
        if (present)                                                                               \
            *present = (s != NULL);                                                                \
        if (rc != 0 || s == NULL)                                                                  \
            return rc;                                                                             \
        if (lb_##name##_from_str(s, out) != 0)                                                     \
            return api_enum_##name##_fail(r, 422, "invalid_enum", key);                            \
        return 0;                                                                                  \
    }
API_ENUM_DEFINE(category, LB_CATEGORY_COUNT)
API_ENUM_DEFINE(channel, LB_CHANNEL_COUNT)
API_ENUM_DEFINE(direction, LB_DIRECTION_COUNT)
API_ENUM_DEFINE(case_status, LB_CASE_STATUS_COUNT)
API_ENUM_DEFINE(outcome, LB_OUTCOME_COUNT)
API_ENUM_DEFINE(handoff_status, LB_HANDOFF_STATUS_COUNT)
API_ENUM_DEFINE(decision, LB_DECISION_COUNT)
API_ENUM_DEFINE(followup_kind, LB_FOLLOWUP_KIND_COUNT)
API_ENUM_DEFINE(followup_status, LB_FOLLOWUP_STATUS_COUNT)
API_ENUM_DEFINE(improvement_status, LB_IMPROVEMENT_STATUS_COUNT)
API_ENUM_DEFINE(role, LB_ROLE_COUNT)

/* Characters (code points) in a UTF-8 string. */
size_t api_utf8_len(const char *s);

/* Query parameters: 1 found (decoded into buf), 0 absent, negative after
 * api_fail (400 bad_query). */
int api_query(struct lb_api_req *r, const char *key, char *buf, size_t len);
/* limit and after of a list into p (ids storage of 500 is the caller's). */
int api_page(struct lb_api_req *r, struct lb_page *p, lb_id *ids);
/* order=newest|oldest of a list into p->desc (newest_default when absent);
 * 400 bad_query naming the two otherwise. */
int api_order(struct lb_api_req *r, struct lb_page *p, bool newest_default);
/* {"items": items, "next": next|null} (items consumed). */
int api_answer_list(struct lb_api_req *r, json_t *items, lb_id next);
/* Path parameter idx as a record id; 404 when not a positive integer. */
int api_path_id(struct lb_api_req *r, int idx, lb_id *out);
/* If-Match as a version: 0 when absent; 400 when malformed. */
int api_if_match(struct lb_api_req *r, uint64_t *out);
/* Whether the caller is a handler whose units include unit. */
bool api_unit_allowed(const struct lb_api_req *r, const char *unit);
/* Whether the caller may see the company (handlers: a hand-off to one of
 * their units exists). */
bool api_company_visible(struct lb_api_req *r, lb_txn *t, lb_id company_id);
/* Whether the caller may see the case (handlers: a hand-off of the case to
 * one of their units). */
bool api_case_visible(struct lb_api_req *r, lb_txn *t, lb_id case_id);
/* Replaces a malloc'd string with a copy of s (NULL allowed); 0 or LB_ENOMEM. */
int api_strdup(char **dst, const char *s);

/* Record JSON, shared by the handlers that embed records. */
json_t *api_company_json(const struct lb_company *c);
json_t *api_case_json(const struct lb_case *c);
json_t *api_contact_json(const struct lb_contact *c);
/* The writer's versions: the fields of api_case_json without the braces
 * (GET /cases/{id} appends its embedded lists), and the whole contact. */
void api_case_fields_jw(struct lb_jw *w, const struct lb_case *c);
void api_contact_jw(struct lb_jw *w, const struct lb_contact *c);
json_t *api_handoff_json(const struct lb_handoff *h);
json_t *api_followup_json(const struct lb_followup *f);
/* Validates an answers object against the call's items (DESIGN.md
 * "Follow-up answers"; 422 with the field's path). *out and *n are set even
 * on failure; free them with api_answers_free. */
int api_followup_answers(struct lb_api_req *r, const struct lb_followup *f, json_t *answers,
                         struct lb_answer **out, uint32_t *n);
void api_answers_free(struct lb_answer *a, uint32_t n);
json_t *api_improvement_json(const struct lb_improvement *m);
json_t *api_user_json(const struct lb_user *u);

/* Handlers, one per route (api_<area>.c). */
int api_session_create(struct lb_api_req *r, lb_txn *t);
int api_session_delete(struct lb_api_req *r, lb_txn *t);
int api_me(struct lb_api_req *r, lb_txn *t);
/* GET /units (api_units.c): the configured units with their display names. */
int api_units_list(struct lb_api_req *r, lb_txn *t);
int api_user_create(struct lb_api_req *r, lb_txn *t);
int api_user_list(struct lb_api_req *r, lb_txn *t);
int api_user_update(struct lb_api_req *r, lb_txn *t);
int api_company_create(struct lb_api_req *r, lb_txn *t);
int api_company_list(struct lb_api_req *r, lb_txn *t);
int api_company_get(struct lb_api_req *r, lb_txn *t);
int api_company_update(struct lb_api_req *r, lb_txn *t);
int api_case_create(struct lb_api_req *r, lb_txn *t);
int api_case_list(struct lb_api_req *r, lb_txn *t);
int api_case_get(struct lb_api_req *r, lb_txn *t);
int api_case_update(struct lb_api_req *r, lb_txn *t);
int api_contact_create(struct lb_api_req *r, lb_txn *t);
int api_case_close(struct lb_api_req *r, lb_txn *t);
int api_case_reopen(struct lb_api_req *r, lb_txn *t);
int api_handoff_create(struct lb_api_req *r, lb_txn *t);
int api_handoff_list(struct lb_api_req *r, lb_txn *t);
int api_handoff_get(struct lb_api_req *r, lb_txn *t);
int api_handoff_ack(struct lb_api_req *r, lb_txn *t);
int api_handoff_decide(struct lb_api_req *r, lb_txn *t);
int api_handoff_withdraw(struct lb_api_req *r, lb_txn *t);
int api_handoff_overdue(struct lb_api_req *r, lb_txn *t);
int api_followup_list(struct lb_api_req *r, lb_txn *t);
int api_followup_get(struct lb_api_req *r, lb_txn *t);
int api_followup_create(struct lb_api_req *r, lb_txn *t);
int api_followup_items(struct lb_api_req *r, lb_txn *t);
int api_followup_result(struct lb_api_req *r, lb_txn *t);
int api_followup_correct(struct lb_api_req *r, lb_txn *t);
int api_followup_update(struct lb_api_req *r, lb_txn *t);
int api_improvement_list(struct lb_api_req *r, lb_txn *t);
int api_improvement_create(struct lb_api_req *r, lb_txn *t);
int api_improvement_update(struct lb_api_req *r, lb_txn *t);
/* Indicators and the quarterly report (api_indicators.c). */
int api_indicators_get(struct lb_api_req *r, lb_txn *t);
int api_indicators_put(struct lb_api_req *r, lb_txn *t);
int api_report_get(struct lb_api_req *r, lb_txn *t);
/* The action plan (api_plan.c, docs/plan.md). api_plan_load reads the header,
 * every action and (when followups) every follow-up, each a document with its
 * record's id, version, created_at and updated_at; LB_ENOTFOUND when no plan
 * is loaded. */
struct api_plan {
    json_t *header;    /* title, municipality, period, followup_from, summary, areas */
    json_t *actions;   /* in creation order */
    json_t *followups; /* every action's, every year's */
};
int api_plan_load(lb_txn *t, bool followups, struct api_plan *p);
void api_plan_free(struct api_plan *p);
/* The follow-up of an action for a year in p, or NULL. */
const json_t *api_plan_followup(const struct api_plan *p, const char *code, int year);
/* The Stockholm year of now, clamped into the plan's period. */
int api_plan_year(const struct api_plan *p, lb_time now);
int api_plan_get(struct lb_api_req *r, lb_txn *t);
int api_plan_action_create(struct lb_api_req *r, lb_txn *t);
int api_plan_action_get(struct lb_api_req *r, lb_txn *t);
int api_plan_action_update(struct lb_api_req *r, lb_txn *t);
int api_plan_followup_get(struct lb_api_req *r, lb_txn *t);
int api_plan_followup_put(struct lb_api_req *r, lb_txn *t);
int api_plan_values(struct lb_api_req *r, lb_txn *t);
/* GET /reports/annual (api_annual.c): the plan's annual report to kommunstyrelsen. */
int api_report_annual(struct lb_api_req *r, lb_txn *t);
/* The annual report's document as an XLSX workbook (annual_xlsx.c): *out
 * malloc'd, *len bytes. 0, LB_EIO (the temporary file) or LB_ENOMEM. */
int api_annual_xlsx(const json_t *doc, char **out, size_t *len);
/* The quarterly report's document (lb_report_json) as an XLSX workbook
 * (quarterly_xlsx.c): *out malloc'd, *len bytes. 0, LB_EIO or LB_ENOMEM. */
int api_quarterly_xlsx(const json_t *doc, char **out, size_t *len);
/* The workbook libxlsxwriter closed at path, read into *out (malloc'd, *len
 * bytes; under 64 MiB). The caller unlinks path. 0, LB_EIO or LB_ENOMEM. */
int api_xlsx_read_back(const char *path, char **out, size_t *len);
/* GET /cases?format=xlsx (cases_xlsx.c): every case the filter selects (from
 * p->after; p->ids must hold 500) as a workbook, or 413 too_many_rows over
 * LB_CASES_XLSX_MAX cases. */
#define LB_CASES_XLSX_MAX 100000
int api_case_list_xlsx(struct lb_api_req *r, lb_txn *t, const struct lb_case_filter *f,
                       struct lb_page *p);
/* GET /events?after=&limit= (admin, service): the outbox envelopes as JSON. */
int api_events_list(struct lb_api_req *r, lb_txn *t);

/* GET /search (api_search.c). */
int api_search(struct lb_api_req *r, lb_txn *t);

/* POST /imports/companies (api_import.c). */
int api_import_companies(struct lb_api_req *r, lb_txn *t);

/* Privacy (api_privacy.c): anonymisation, register extract, export. */
int api_company_anonymize(struct lb_api_req *r, lb_txn *t);
int api_company_export(struct lb_api_req *r, lb_txn *t);
int api_persons(struct lb_api_req *r, lb_txn *t);
/* The data directory of lotsd (NULL when not configured). */
const char *api_data_dir(const struct lb_api_req *r);
/* Reads the 32-byte pseudonym key DIR/pseudonym.key, creating it (random,
 * mode 0600) when it does not exist. LB_EIO, LB_ECORRUPT (wrong size). */
int lb_pseudonym_key(const char *dir, uint8_t key[32]);
/* The pseudonym of a personnummer: 9 digits of a keyed BLAKE2b hash of
 * (orgnr10, attempt) and a Luhn check digit that is deliberately wrong, so
 * it can never be a valid orgnr or personnummer. attempt > 0 only after a
 * collision with another company's pseudonym. */
void lb_pseudonym(const uint8_t key[32], const char *orgnr10, unsigned attempt, char out[11]);
/* Whether 10 digits carry a valid Luhn check digit (every registered orgnr
 * does; a pseudonym never). */
bool lb_luhn_ok(const char *digits10);
/* Phone number for comparison: digits only, "0046"/"+46" country code
 * replaced by a leading 0. Writes at most len-1 bytes. */
void lb_phone_normalize(const char *in, char *out, size_t len);

/* The e-mail survey (api_surveys.c, docs/surveys.md): the worker's routes,
 * the public API and the public form (pages rendered by survey_form.c). */
int api_survey_issue(struct lb_api_req *r, lb_txn *t);
int api_survey_bounce(struct lb_api_req *r, lb_txn *t);
int api_meeting_list(struct lb_api_req *r, lb_txn *t);
int api_meeting_create(struct lb_api_req *r, lb_txn *t);
int api_meeting_get(struct lb_api_req *r, lb_txn *t);
int api_meeting_update(struct lb_api_req *r, lb_txn *t);
int api_meeting_attendance(struct lb_api_req *r, lb_txn *t);
int api_meeting_evaluate(struct lb_api_req *r, lb_txn *t);
int api_meeting_sheet(struct lb_api_req *r, lb_txn *t);
/* The plan's meeting sources for a period ("2026", "2026-Q3") from the
 * meeting records: {"<kind>": {"meetings", "meeting_participants",
 * "meeting_companies", "meeting_relevant_share": {value, n} | {n, suppressed},
 * "meeting_knowledge_share", "needs_expressed", "proposals_documented"}}
 * over the meetings started in the period and by now (api_meeting_figures.c). */
int api_meeting_figures(lb_txn *t, const char *period, lb_time now, json_t **out);
/* relevant (1..6 or null) and knowledge (bool or null) of obj into e; field
 * names in errors get prefix. 0 or a negative value after api_fail. */
struct lb_meeting_eval;
int api_meeting_eval_fields(struct lb_api_req *r, json_t *obj, const char *prefix,
                            struct lb_meeting_eval *e);
int api_public_survey_get(struct lb_api_req *r, lb_txn *t);
int api_public_survey_answer(struct lb_api_req *r, lb_txn *t);
int api_public_survey_opt_out(struct lb_api_req *r, lb_txn *t);
int api_form_get(struct lb_api_req *r, lb_txn *t);
int api_form_post(struct lb_api_req *r, lb_txn *t);
int api_form_opt_out_get(struct lb_api_req *r, lb_txn *t);
int api_form_opt_out_post(struct lb_api_req *r, lb_txn *t);
/* Sets a public request's answer headers (and, for the form, its error
 * pages) before anything can fail. */
void api_survey_prepare(struct lb_api_req *r, bool form);

/* /healthz and /metrics (api_health.c). */
int api_healthz(struct lb_api_req *r, lb_txn *t);
/* PUT /worker/cursor {"seq": N} (service): the worker reports that every event
 * up to N is applied; lotsd purges expired Idempotency-Key answers (a bounded
 * batch, "more" when another call would find more) and answers how many
 * anonymisations wait for lotsd compact (core/api/api_health.c). */
int api_worker_cursor(struct lb_api_req *r, lb_txn *t);
int api_metrics(struct lb_api_req *r, lb_txn *t);
/* The gauges /metrics reports (api.c). */
unsigned api_open_connections(const struct lb_api_req *r);
uint64_t api_events_published(const struct lb_api_req *r);
uint64_t api_replay_requests(const struct lb_api_req *r);

#endif
