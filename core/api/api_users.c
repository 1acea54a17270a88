/* api_users.c: sessions (login, logout), users and /me.
 *
 * Login (POST /sessions) answers a wrong username and a wrong password the
 * same way, 401 invalid_credentials, and verifies a dummy hash for unknown
 * users so that timing does not tell them apart. Failed logins are limited
 * per (username, address) and per address (429 with Retry-After) and slow a
 * username down globally without refusing it (see "sessions" below).
 * argon2id runs on the libuv thread pool, a bounded number at once
 * (api_offload), never on the loop. The log names a failed login's user only
 * when it exists. A session is stored as its token's hash
 * (lb_session_put) in the same group commit as any write, so it survives a
 * restart. Disabling a user or changing its password deletes its sessions,
 * and a login whose verification overlapped such a change is refused when
 * its session is stored (op_session_put checks the hash it verified is still
 * the user's).
 * Password hashes never leave this file: api_user_json omits them and no log
 * line carries them.
 *
 * GET /users is the administrator's list and, for lots and handlers, the staff
 * directory the screens show names from: username, display_name, role, units
 * and disabled only (no versions, no password dates), so a timeline can say
 * "Anna Lind" where the records hold "anna.lots". Viewers see no names. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lotsbok/api.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"

json_t *api_user_json(const struct lb_user *u)
{
    json_t *o = json_object();
    json_t *units = json_array();
    if (!o || !units) {
        json_decref(o);
        json_decref(units);
        return NULL;
    }
    api_json_meta(o, &u->meta);
    api_json_str(o, "username", u->username);
    api_json_str(o, "display_name", u->display_name);
    api_json_str(o, "role", lb_role_str(u->role));
    for (uint32_t i = 0; i < u->nunits; i++)
        json_array_append_new(units, json_string(u->units[i]));
    json_object_set_new(o, "units", units);
    json_object_set_new(o, "disabled", json_boolean(u->disabled));
    api_json_time(o, "password_changed_at", u->password_changed_at);
    return o;
}

/* The directory entry of a user, for callers other than an administrator. */
static json_t *user_directory_json(const struct lb_user *u)
{
    json_t *o = json_object();
    json_t *units = json_array();
    if (!o || !units) {
        json_decref(o);
        json_decref(units);
        return NULL;
    }
    api_json_str(o, "username", u->username);
    api_json_str(o, "display_name", u->display_name);
    api_json_str(o, "role", lb_role_str(u->role));
    for (uint32_t i = 0; i < u->nunits; i++)
        json_array_append_new(units, json_string(u->units[i]));
    json_object_set_new(o, "units", units);
    json_object_set_new(o, "disabled", json_boolean(u->disabled));
    return o;
}

/* Validates the optional "display_name" (a name: 1..200 characters after
 * trimming is the caller's; null clears it on PATCH). */
static int validate_display_name(struct lb_api_req *r)
{
    const char *s;
    int rc = api_str(r, r->body, "display_name", false, LB_LIMIT_NAME, &s);
    if (rc == 0 && s && !*s)
        rc = api_fail(r, 422, "missing_field", "display_name",
                      "display_name must not be empty (null removes it)");
    return rc;
}

/* Copies the body's display_name into u when the key is present. */
static int copy_display_name(struct lb_api_req *r, struct lb_user *u)
{
    json_t *v = json_object_get(r->body, "display_name");
    if (!v)
        return 0;
    return api_strdup(&u->display_name, json_is_string(v) ? json_string_value(v) : NULL);
}

/* --- sessions ------------------------------------------------------------- */

/* Failed-login throttling (lb_ratelimit, login_max failures per window):
 *   - per (username, address): beyond the limit, 429 for that pair, even
 *     with the right password;
 *   - per address, over all usernames: beyond it, 429 (one address trying
 *     many names);
 *   - per username, over all addresses: beyond it, every login of that name
 *     waits LOGIN_SLOW_MS before its verification, but is never refused for
 *     it, so failures from strangers' addresses cannot lock the user out
 *     of a clean address.
 * A successful login clears its pair. */
#define LOGIN_SLOW_MS 1000
/* Sessions a user keeps at most; a new login revokes the oldest beyond. */
#define LOGIN_SESSIONS_MAX 20

enum { KEY_PAIR, KEY_ADDR, KEY_USER, NKEYS };

struct login_arg {
    char username[72];
    char peer[64];
    char *password;
    char hash[crypto_pwhash_STRBYTES];
    bool exists; /* a user of that name exists (enabled or not) */
    bool known;  /* ... and is enabled, with a hash to verify */
    int verified;
    char keys[NKEYS][160];
    char token[LB_TOKEN_LEN + 1];
    uint8_t token_hash[32];
    lb_time expires_at;
};

static void login_arg_free(void *p)
{
    struct login_arg *a = p;
    if (a->password) {
        sodium_memzero(a->password, strlen(a->password));
        free(a->password);
    }
    sodium_memzero(a, sizeof *a);
    free(a);
}

static void login_work(struct lb_api_req *r)
{
    struct login_arg *a = r->arg;
    a->verified =
        a->known ? lb_password_verify(a->hash, a->password) : lb_password_verify_dummy(a->password);
}

/* Stores the session, after checking again, in the transaction that stores
 * it, that the user is still the one whose hash was verified: a password
 * change or a disabling that committed while argon2id ran has revoked the
 * user's sessions already, and must not be outlived by this one. Then keeps
 * the user's newest LOGIN_SESSIONS_MAX sessions. */
static int op_session_put(lb_txn *t, struct lb_api_req *r)
{
    struct login_arg *a = r->arg;
    struct lb_user u = {0};
    int rc = lb_user_get(t, a->username, &u);
    bool same = rc == 0 && !u.disabled && u.password_hash && strcmp(u.password_hash, a->hash) == 0;
    lb_user_clear(&u);
    if (rc != 0 && rc != LB_ENOTFOUND)
        return rc;
    if (!same)
        return api_fail(r, 401, "invalid_credentials", NULL, "wrong username or password");
    struct lb_session s = {0};
    memcpy(s.token_hash, a->token_hash, 32);
    s.username = a->username;
    s.created_at = r->ctx.now;
    s.expires_at = a->expires_at;
    rc = lb_session_put(t, &s);
    if (rc == 0)
        rc = lb_session_trim_user(t, a->username, LOGIN_SESSIONS_MAX, a->token_hash, r->ctx.now);
    if (rc != 0)
        return rc;
    json_t *o = json_object();
    if (!o)
        return LB_ENOMEM;
    json_object_set_new(o, "token", json_string(a->token));
    api_json_time(o, "expires_at", a->expires_at);
    return api_answer(r, 201, o, NULL);
}

/* The log line of a login: the username only when such a user exists (a
 * password typed into the username field is never logged). */
static void login_log(const struct login_arg *a, const char *msg)
{
    struct lb_logfmt f;
    lb_logfmt_init(&f);
    if (a->exists)
        lb_logfmt_str(&f, "user", a->username);
    else
        lb_logfmt_str(&f, "user_known", "false");
    lb_logfmt_str(&f, "peer", a->peer);
    api_log(msg, &f);
}

static int login_after(struct lb_api_req *r)
{
    struct login_arg *a = r->arg;
    lb_ratelimit *rl = api_login_limit(r);
    lb_time now = lb_time_now();
    if (a->verified != 0 || !a->known) {
        for (int i = 0; i < NKEYS; i++)
            lb_ratelimit_fail(rl, a->keys[i], now);
        login_log(a, "login failed");
        return api_fail(r, 401, "invalid_credentials", NULL, "wrong username or password");
    }
    lb_ratelimit_reset(rl, a->keys[KEY_PAIR]);
    login_log(a, "login");
    if (lb_token_new(a->token, a->token_hash) != 0)
        return LB_EINTERNAL;
    a->expires_at = r->ctx.now + api_session_ms(r);
    return api_queue(r, op_session_put, a, login_arg_free);
}

int api_session_create(struct lb_api_req *r, lb_txn *t)
{
    const char *username, *password;
    int rc = api_str(r, r->body, "username", true, 64, &username);
    if (rc == 0)
        rc = api_str(r, r->body, "password", true, 1024, &password);
    if (rc != 0)
        return rc;
    struct login_arg *a = calloc(1, sizeof *a);
    if (!a || !(a->password = strdup(password))) {
        free(a);
        return LB_ENOMEM;
    }
    snprintf(a->username, sizeof a->username, "%s", username);
    snprintf(a->peer, sizeof a->peer, "%s", r->http->peer ? r->http->peer : "");
    /* The username cannot hold a NUL, so "user NUL address" names one pair. */
    int pl = snprintf(a->keys[KEY_PAIR], sizeof a->keys[KEY_PAIR], "pair:%s", username);
    if (pl > 0 && (size_t)pl + 1 < sizeof a->keys[KEY_PAIR])
        snprintf(a->keys[KEY_PAIR] + pl, sizeof a->keys[KEY_PAIR] - (size_t)pl, "\x1f%s", a->peer);
    snprintf(a->keys[KEY_ADDR], sizeof a->keys[KEY_ADDR], "addr:%s", a->peer);
    snprintf(a->keys[KEY_USER], sizeof a->keys[KEY_USER], "user:%s", username);
    lb_ratelimit *rl = api_login_limit(r);
    unsigned retry = 0, retry2 = 0;
    lb_time now = lb_time_now();
    int busy1 = lb_ratelimit_check(rl, a->keys[KEY_PAIR], now, &retry);
    int busy2 = lb_ratelimit_check(rl, a->keys[KEY_ADDR], now, &retry2);
    if (busy1 != 0 || busy2 != 0) {
        login_arg_free(a);
        api_fail(r, 429, "too_many_attempts", NULL, "too many failed logins; try again later");
        r->err.retry_after = (retry > retry2 ? retry : retry2);
        if (!r->err.retry_after)
            r->err.retry_after = 1;
        return LB_EBUSY;
    }
    bool slow = lb_ratelimit_check(rl, a->keys[KEY_USER], now, NULL) != 0;
    struct lb_user u = {0};
    rc = lb_user_get(t, username, &u);
    a->exists = rc == 0;
    if (rc == 0 && !u.disabled && u.password_hash && strlen(u.password_hash) < sizeof a->hash) {
        a->known = true;
        memcpy(a->hash, u.password_hash, strlen(u.password_hash) + 1);
    }
    lb_user_clear(&u);
    if (rc != 0 && rc != LB_ENOTFOUND) {
        login_arg_free(a);
        return rc;
    }
    r->arg = a;
    r->arg_free = login_arg_free;
    return api_offload_after(r, slow ? LOGIN_SLOW_MS : 0, login_work, login_after);
}

static int op_session_delete(lb_txn *t, struct lb_api_req *r)
{
    int rc = lb_session_delete(t, r->token_hash);
    if (rc != 0 && rc != LB_ENOTFOUND)
        return rc;
    return api_answer(r, 204, NULL, NULL);
}

int api_session_delete(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    return api_queue(r, op_session_delete, NULL, NULL);
}

/* Counts what a follow-up filter matches, a page of 500 ids at a time. */
static int count_followups(lb_txn *t, const struct lb_followup_filter *f, json_int_t *n)
{
    lb_id ids[500];
    struct lb_page p = {.after = 0, .limit = 500, .ids = ids};
    *n = 0;
    for (;;) {
        p.count = 0;
        p.next = 0;
        int rc = lb_followup_list(t, f, &p);
        if (rc != 0)
            return rc;
        *n += (json_int_t)p.count;
        if (p.next == 0)
            return 0;
        p.after = p.next;
    }
}

/* Counts what a hand-off filter matches, a page of 500 ids at a time. */
static int count_handoffs(lb_txn *t, const struct lb_handoff_filter *f, json_int_t *n)
{
    lb_id ids[500];
    struct lb_page p = {.after = 0, .limit = 500, .ids = ids};
    *n = 0;
    for (;;) {
        p.count = 0;
        p.next = 0;
        int rc = lb_handoff_list(t, f, &p);
        if (rc != 0)
            return rc;
        *n += (json_int_t)p.count;
        if (p.next == 0)
            return 0;
        p.after = p.next;
    }
}

/* GET /me: the caller, and "counts" for the menu of the web interface, so a
 * screen needs no request of its own for them: a lots's
 * "followups_due" (their scheduled calls due today, Stockholm, or earlier)
 * and, for those who see an inbox (handler: their units; lots, admin: every
 * unit), "handoffs_new" (sent, not yet acknowledged). */
int api_me(struct lb_api_req *r, lb_txn *t)
{
    json_t *j = api_user_json(&r->user);
    json_t *counts = json_object();
    if (!j || !counts) {
        json_decref(j);
        json_decref(counts);
        return LB_ENOMEM;
    }
    json_object_set_new(j, "counts", counts);
    enum lb_role role = r->user.role;
    json_int_t n;
    int rc = 0;
    if (role == LB_ROLE_LOTS) {
        struct lb_followup_filter f = {.status = LB_FOLLOWUP_SCHEDULED,
                                       .assignee = r->user.username,
                                       .due_before = lb_stockholm_date(r->ctx.now)};
        if ((rc = count_followups(t, &f, &n)) == 0)
            json_object_set_new(counts, "followups_due", json_integer(n));
    }
    if (rc == 0 && (role == LB_ROLE_LOTS || role == LB_ROLE_ADMIN || role == LB_ROLE_HANDLER)) {
        struct lb_handoff_filter f = {.statuses = 1u << LB_HANDOFF_SENT, .overdue = -1};
        if (role == LB_ROLE_HANDLER) {
            f.units = (const char *const *)r->user.units;
            f.nunits = r->user.nunits;
        }
        if (role != LB_ROLE_HANDLER || f.nunits > 0)
            rc = count_handoffs(t, &f, &n);
        else
            n = 0;
        if (rc == 0)
            json_object_set_new(counts, "handoffs_new", json_integer(n));
    }
    if (rc != 0) {
        json_decref(j);
        return rc;
    }
    return api_answer(r, 200, j, NULL);
}

/* --- users ---------------------------------------------------------------- */

struct user_arg {
    char username[72];
    char *password; /* NULL when not changing it */
    char hash[crypto_pwhash_STRBYTES];
    int hashed;
    enum lb_role role;
    bool has_role;
    bool disabled, has_disabled;
    uint64_t if_match;
};

static void user_arg_free(void *p)
{
    struct user_arg *a = p;
    if (a->password) {
        sodium_memzero(a->password, strlen(a->password));
        free(a->password);
    }
    sodium_memzero(a, sizeof *a);
    free(a);
}

static bool username_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
              *s == '-'))
            return false;
    return true;
}

/* Validates "units": an array of configured unit codes (absent is fine);
 * *present tells whether it was given. */
static int validate_units(struct lb_api_req *r, bool *present)
{
    json_t *u = json_object_get(r->body, "units");
    *present = u && !json_is_null(u);
    if (!*present)
        return 0;
    if (!json_is_array(u) || json_array_size(u) > LB_UNITS_MAX)
        return api_fail(r, 422, "invalid_type", "units", "units must be an array of unit codes");
    for (size_t i = 0; i < json_array_size(u); i++) {
        json_t *v = json_array_get(u, i);
        char field[32];
        snprintf(field, sizeof field, "units[%zu]", i);
        if (!json_is_string(v))
            return api_fail(r, 422, "invalid_type", field, "%s must be a string", field);
        if (!lb_units_find(api_units(r), json_string_value(v)))
            return api_fail(r, 422, "unknown_unit", field, "%s is not a configured unit", field);
    }
    return 0;
}

/* Replaces the record's units with the body's "units". */
static int copy_units(struct lb_api_req *r, struct lb_user *u)
{
    json_t *arr = json_object_get(r->body, "units");
    for (uint32_t i = 0; i < u->nunits; i++)
        free(u->units[i]);
    free(u->units);
    u->units = NULL;
    u->nunits = 0;
    size_t n = arr && json_is_array(arr) ? json_array_size(arr) : 0;
    if (n == 0)
        return 0;
    if (!(u->units = calloc(n, sizeof *u->units)))
        return LB_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!(u->units[i] = strdup(json_string_value(json_array_get(arr, i)))))
            return LB_ENOMEM;
        u->nunits++;
    }
    return 0;
}

static void hash_work(struct lb_api_req *r)
{
    struct user_arg *a = r->arg;
    a->hashed = lb_password_hash(a->password, a->hash, sizeof a->hash);
}

static int user_answer(struct lb_api_req *r, const struct lb_user *u, int status)
{
    char loc[128];
    snprintf(loc, sizeof loc, "/api/v1/users/%s", u->username);
    json_t *j = api_user_json(u);
    return j ? api_answer(r, status, j, status == 201 ? loc : NULL) : LB_ENOMEM;
}

static int op_user_create(lb_txn *t, struct lb_api_req *r)
{
    struct user_arg *a = r->arg;
    struct lb_user u = {0};
    u.role = a->role;
    u.password_changed_at = r->ctx.now;
    int rc;
    if ((rc = api_strdup(&u.username, a->username)) == 0 &&
        (rc = api_strdup(&u.password_hash, a->hash)) == 0 && (rc = copy_units(r, &u)) == 0 &&
        (rc = copy_display_name(r, &u)) == 0)
        rc = lb_user_create(t, &r->ctx, &u);
    if (rc == LB_EEXIST)
        api_fail(r, 409, "duplicate_username", "username", "the username is taken");
    else if (rc == 0)
        rc = user_answer(r, &u, 201);
    lb_user_clear(&u);
    return rc;
}

static int user_create_after(struct lb_api_req *r)
{
    struct user_arg *a = r->arg;
    if (a->hashed != 0)
        return LB_EINTERNAL;
    r->arg = NULL; /* api_queue takes it over */
    return api_queue(r, op_user_create, a, user_arg_free);
}

/* The password field, when present, through the policy (lb_password_policy):
 * 422 password_too_short or password_weak, naming the rule but never the
 * password. */
static int validate_password(struct lb_api_req *r, bool required, const char **pw)
{
    int rc = api_str(r, r->body, "password", required, 1024, pw);
    if (rc != 0 || !*pw)
        return rc;
    const char *code;
    char msg[256];
    rc = lb_password_policy(*pw, &code, msg, sizeof msg);
    if (rc == LB_EINVAL)
        return api_fail(r, 422, code, "password", "%s", msg);
    if (rc != 0) { /* the cracklib dictionary cannot be read: the installation's fault */
        struct lb_logfmt f;
        lb_logfmt_init(&f);
        lb_logfmt_str(&f, "error", "cracklib_dictionary");
        api_log("password check failed", &f);
    }
    return rc;
}

int api_user_create(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    const char *username, *password;
    enum lb_role role;
    bool has_units;
    int rc = api_str(r, r->body, "username", true, 64, &username);
    if (rc == 0 && !username_valid(username))
        rc = api_fail(r, 422, "invalid_username", "username",
                      "username must be 1-64 of a-z 0-9 . _ -");
    if (rc == 0)
        rc = validate_password(r, true, &password);
    if (rc == 0)
        rc = api_enum_role(r, r->body, "role", true, &role, NULL);
    if (rc == 0)
        rc = validate_units(r, &has_units);
    if (rc == 0)
        rc = validate_display_name(r);
    if (rc == 0 && role == LB_ROLE_HANDLER &&
        (!has_units || json_array_size(json_object_get(r->body, "units")) == 0))
        rc = api_fail(r, 422, "missing_field", "units", "a handler needs at least one unit");
    if (rc != 0)
        return rc;
    struct user_arg *a = calloc(1, sizeof *a);
    if (!a || !(a->password = strdup(password))) {
        free(a);
        return LB_ENOMEM;
    }
    snprintf(a->username, sizeof a->username, "%s", username);
    a->role = role;
    r->arg = a;
    r->arg_free = user_arg_free;
    return api_offload(r, hash_work, user_create_after);
}

int api_user_list(struct lb_api_req *r, lb_txn *t)
{
    lb_id ids[500];
    struct lb_page p;
    int rc = api_page(r, &p, ids);
    if (rc != 0 || (rc = lb_user_list(t, &p)) != 0)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; items && i < p.count; i++) {
        struct lb_user u = {0};
        if ((rc = lb_user_get_id(t, ids[i], &u)) != 0) {
            json_decref(items);
            return rc;
        }
        /* Service accounts are machinery, not colleagues: left out of the directory. */
        if (r->user.role == LB_ROLE_ADMIN)
            json_array_append_new(items, api_user_json(&u));
        else if (u.role != LB_ROLE_SERVICE)
            json_array_append_new(items, user_directory_json(&u));
        lb_user_clear(&u);
    }
    return api_answer_list(r, items, p.next);
}

/* Whether an enabled admin other than the user `except` exists. */
static int other_admin(lb_txn *t, lb_id except, bool *found)
{
    lb_id ids[500];
    struct lb_page p = {.after = 0, .limit = 500, .ids = ids};
    *found = false;
    for (;;) {
        int rc = lb_user_list(t, &p);
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < p.count && !*found; i++) {
            struct lb_user u = {0};
            if ((rc = lb_user_get_id(t, ids[i], &u)) != 0)
                return rc;
            *found = u.meta.id != except && u.role == LB_ROLE_ADMIN && !u.disabled;
            lb_user_clear(&u);
        }
        if (*found || !p.next)
            return 0;
        p.after = p.next;
    }
}

static int op_user_update(lb_txn *t, struct lb_api_req *r)
{
    struct user_arg *a = r->arg;
    struct lb_user u = {0};
    int rc = lb_user_get(t, a->username, &u);
    bool revoke = false, was_admin = rc == 0 && u.role == LB_ROLE_ADMIN && !u.disabled;
    if (rc == 0 && a->password) {
        rc = api_strdup(&u.password_hash, a->hash);
        u.password_changed_at = r->ctx.now;
        revoke = true;
    }
    if (rc == 0 && a->has_role)
        u.role = a->role;
    if (rc == 0 && a->has_disabled) {
        revoke = revoke || (a->disabled && !u.disabled);
        u.disabled = a->disabled;
    }
    json_t *units = json_object_get(r->body, "units");
    if (rc == 0 && units && !json_is_null(units))
        rc = copy_units(r, &u);
    if (rc == 0)
        rc = copy_display_name(r, &u);
    if (rc == 0 && u.role == LB_ROLE_HANDLER && u.nunits == 0)
        rc = api_fail(r, 422, "missing_field", "units", "a handler needs at least one unit");
    /* The last enabled admin stays one: nobody could manage users any more
     * (lotsd admin-reset is the way back when it happens anyway). */
    if (rc == 0 && was_admin && (u.role != LB_ROLE_ADMIN || u.disabled)) {
        bool found;
        rc = other_admin(t, u.meta.id, &found);
        if (rc == 0 && !found)
            rc = api_fail(r, 409, "last_admin", NULL,
                          "the last enabled admin cannot be disabled or given another role");
    }
    if (rc == 0)
        rc = lb_user_update(t, &r->ctx, &u, a->if_match);
    if (rc == 0 && revoke)
        rc = lb_session_delete_user(t, u.username);
    if (rc == 0)
        rc = user_answer(r, &u, 200);
    lb_user_clear(&u);
    return rc;
}

static int user_update_after(struct lb_api_req *r)
{
    struct user_arg *a = r->arg;
    if (a->hashed != 0)
        return LB_EINTERNAL;
    r->arg = NULL;
    return api_queue(r, op_user_update, a, user_arg_free);
}

int api_user_update(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    const char *password;
    bool has_units;
    struct user_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    snprintf(a->username, sizeof a->username, "%.64s", r->params[0]);
    int rc = api_if_match(r, &a->if_match);
    if (rc == 0)
        rc = validate_password(r, false, &password);
    if (rc == 0)
        rc = api_enum_role(r, r->body, "role", false, &a->role, &a->has_role);
    if (rc == 0)
        rc = validate_units(r, &has_units);
    if (rc == 0)
        rc = api_bool(r, r->body, "disabled", &a->has_disabled, &a->disabled);
    if (rc == 0)
        rc = validate_display_name(r);
    if (rc == 0 && password && !(a->password = strdup(password)))
        rc = LB_ENOMEM;
    if (rc != 0) {
        user_arg_free(a);
        return rc;
    }
    if (!a->password)
        return api_queue(r, op_user_update, a, user_arg_free);
    r->arg = a;
    r->arg_free = user_arg_free;
    return api_offload(r, hash_work, user_update_after);
}
