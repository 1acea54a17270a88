/* test_auth.c: passwords, tokens, the failed-login limiter and the route x role table.
 *
 * The role table is checked cell by cell against a matrix written out here from
 * DESIGN.md's HTTP API table, independently of core/api/auth.c's own table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "lotsbok/auth.h"
#include "lotsbok/error.h"

/* ---- route x role ---- */

/* Columns: admin, lots, handler, viewer, service. */
static const struct {
    enum lb_route route;
    const char *name;
    int allowed[5];
} expected[] = {
    {LB_ROUTE_SESSION_CREATE, "POST /sessions", {1, 1, 1, 1, 1}},
    {LB_ROUTE_SESSION_DELETE, "DELETE /sessions/current", {1, 1, 1, 1, 1}},
    {LB_ROUTE_COMPANY_CREATE, "POST /companies", {1, 1, 0, 0, 0}},
    {LB_ROUTE_COMPANY_LIST, "GET /companies", {1, 1, 1, 0, 0}},
    {LB_ROUTE_COMPANY_GET, "GET /companies/{id}", {1, 1, 1, 0, 0}},
    {LB_ROUTE_COMPANY_UPDATE, "PATCH /companies/{id}", {1, 1, 0, 0, 0}},
    {LB_ROUTE_COMPANY_ANONYMIZE, "POST /companies/{id}/anonymize", {1, 0, 0, 0, 1}},
    {LB_ROUTE_COMPANY_EXPORT, "GET /companies/{id}/export", {1, 0, 0, 0, 0}},
    {LB_ROUTE_CASE_CREATE, "POST /cases", {0, 1, 0, 0, 0}},
    {LB_ROUTE_CASE_LIST, "GET /cases", {1, 1, 0, 0, 0}},
    {LB_ROUTE_CASE_GET, "GET /cases/{id}", {1, 1, 1, 0, 0}},
    {LB_ROUTE_CASE_UPDATE, "PATCH /cases/{id}", {1, 1, 0, 0, 0}}, /* admin: legal_hold only */
    {LB_ROUTE_CONTACT_CREATE, "POST /cases/{id}/contacts", {0, 1, 0, 0, 0}},
    {LB_ROUTE_CASE_CLOSE, "POST /cases/{id}/close", {0, 1, 0, 0, 0}},
    {LB_ROUTE_CASE_REOPEN, "POST /cases/{id}/reopen", {0, 1, 0, 0, 0}},
    {LB_ROUTE_HANDOFF_CREATE, "POST /cases/{id}/handoffs", {0, 1, 0, 0, 0}},
    {LB_ROUTE_HANDOFF_LIST, "GET /handoffs", {1, 1, 1, 0, 0}},
    {LB_ROUTE_HANDOFF_GET, "GET /handoffs/{id}", {1, 1, 1, 0, 0}},
    {LB_ROUTE_HANDOFF_ACK, "POST /handoffs/{id}/acknowledge", {0, 0, 1, 0, 0}},
    {LB_ROUTE_HANDOFF_DECIDE, "POST /handoffs/{id}/decide", {0, 0, 1, 0, 0}},
    {LB_ROUTE_HANDOFF_WITHDRAW, "POST /handoffs/{id}/withdraw", {0, 1, 0, 0, 0}},
    {LB_ROUTE_HANDOFF_OVERDUE, "POST /handoffs/{id}/overdue", {0, 0, 0, 0, 1}},
    {LB_ROUTE_FOLLOWUP_LIST, "GET /followups", {1, 1, 0, 0, 0}},
    {LB_ROUTE_FOLLOWUP_GET, "GET /followups/{id}", {1, 1, 0, 0, 0}},
    {LB_ROUTE_FOLLOWUP_CREATE, "POST /followups", {0, 0, 0, 0, 1}},
    {LB_ROUTE_FOLLOWUP_ITEMS, "POST /followups/{id}/items", {0, 0, 0, 0, 1}},
    {LB_ROUTE_FOLLOWUP_RESULT, "POST /followups/{id}/result", {0, 1, 0, 0, 0}},
    {LB_ROUTE_FOLLOWUP_UPDATE, "PATCH /followups/{id}", {0, 0, 0, 0, 1}},
    {LB_ROUTE_FOLLOWUP_CORRECT, "PATCH /followups/{id}/result", {0, 1, 0, 0, 0}},
    {LB_ROUTE_IMPROVEMENT_LIST, "GET /improvements", {1, 1, 1, 1, 0}}, /* handler: own units' */
    {LB_ROUTE_IMPROVEMENT_CREATE, "POST /improvements", {1, 1, 0, 0, 0}},
    {LB_ROUTE_IMPROVEMENT_UPDATE, "PATCH /improvements/{id}", {1, 1, 0, 0, 0}},
    {LB_ROUTE_INDICATORS_GET, "GET /indicators", {1, 1, 1, 1, 1}},
    {LB_ROUTE_INDICATORS_PUT, "PUT /indicators/{quarter}", {0, 0, 0, 0, 1}},
    {LB_ROUTE_REPORT_GET, "GET /reports/quarterly", {1, 1, 1, 1, 1}},
    {LB_ROUTE_PERSONS, "GET /persons", {1, 0, 0, 0, 0}},
    {LB_ROUTE_EVENTS, "GET /events", {1, 0, 0, 0, 1}},
    {LB_ROUTE_USER_CREATE, "POST /users", {1, 0, 0, 0, 0}},
    {LB_ROUTE_USER_LIST, "GET /users", {1, 1, 1, 0, 0}}, /* lots, handler: the directory */
    {LB_ROUTE_USER_UPDATE, "PATCH /users/{name}", {1, 0, 0, 0, 0}},
    {LB_ROUTE_ME, "GET /me", {1, 1, 1, 1, 1}},
    {LB_ROUTE_UNITS, "GET /units", {1, 1, 1, 1, 1}},
    {LB_ROUTE_SEARCH, "GET /search", {1, 1, 1, 0, 0}},
    {LB_ROUTE_PLAN_GET, "GET /plan", {1, 1, 1, 1, 1}},
    {LB_ROUTE_PLAN_ACTION_CREATE, "POST /plan/actions", {1, 0, 0, 0, 0}},
    {LB_ROUTE_PLAN_ACTION_GET, "GET /plan/actions/{code}", {1, 1, 1, 1, 1}},
    {LB_ROUTE_PLAN_ACTION_UPDATE, "PATCH /plan/actions/{code}", {1, 1, 0, 0, 0}},
    {LB_ROUTE_PLAN_FOLLOWUP_GET, "GET /plan/actions/{code}/followups/{year}", {1, 1, 1, 1, 1}},
    /* handler: only an action of their units (api_plan.c) */
    {LB_ROUTE_PLAN_FOLLOWUP_PUT, "PUT /plan/actions/{code}/followups/{year}", {1, 1, 1, 0, 0}},
    {LB_ROUTE_PLAN_VALUES, "GET /plan/indicators/{id}/values", {1, 1, 1, 1, 1}},
    {LB_ROUTE_IMPORT_COMPANIES, "POST /imports/companies", {1, 1, 0, 0, 0}},
    {LB_ROUTE_SURVEY_ISSUE, "POST /surveys/issue", {0, 0, 0, 0, 1}},
    {LB_ROUTE_SURVEY_BOUNCE, "POST /followups/{id}/survey/bounce", {0, 0, 0, 0, 1}},
    {LB_ROUTE_MEETING_LIST, "GET /meetings", {1, 1, 1, 1, 0}}, /* handler, viewer: counts */
    {LB_ROUTE_MEETING_CREATE, "POST /meetings", {1, 1, 0, 0, 0}},
    {LB_ROUTE_MEETING_GET, "GET /meetings/{id}", {1, 1, 1, 1, 0}},
    {LB_ROUTE_MEETING_UPDATE, "PATCH /meetings/{id}", {1, 1, 0, 0, 0}},
    {LB_ROUTE_MEETING_ATTENDANCE, "PUT /meetings/{id}/attendance", {1, 1, 0, 0, 0}},
    {LB_ROUTE_MEETING_EVALUATE, "POST /meetings/{id}/evaluations", {1, 1, 0, 0, 0}},
    {LB_ROUTE_MEETING_SHEET, "GET /meetings/{id}/sheet", {1, 1, 0, 0, 0}},
    {LB_ROUTE_REPORT_ANNUAL, "GET /reports/annual", {1, 1, 1, 1, 1}},
    {LB_ROUTE_WORKER_CURSOR, "PUT /worker/cursor", {0, 0, 0, 0, 1}},
};

static const enum lb_role role_column[5] = {LB_ROLE_ADMIN, LB_ROLE_LOTS, LB_ROLE_HANDLER,
                                            LB_ROLE_VIEWER, LB_ROLE_SERVICE};

static void test_authz_matrix(void **state)
{
    (void)state;
    /* Every route has exactly one row, so a route added to the enum without a row fails. */
    assert_int_equal(sizeof expected / sizeof expected[0], LB_ROUTE_COUNT);
    int seen[LB_ROUTE_COUNT] = {0};
    int mismatches = 0;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        assert_true(expected[i].route < LB_ROUTE_COUNT);
        seen[expected[i].route]++;
        for (int c = 0; c < 5; c++) {
            bool got = lb_authz_allowed(expected[i].route, role_column[c]);
            if (got != (expected[i].allowed[c] != 0)) {
                fprintf(stderr, "%s role %d: got %d, expected %d\n", expected[i].name, c, got,
                        expected[i].allowed[c]);
                mismatches++;
            }
        }
    }
    for (int r = 0; r < LB_ROUTE_COUNT; r++)
        assert_int_equal(seen[r], 1);
    assert_int_equal(mismatches, 0);
}

static void test_authz_viewer_reads_only_and_out_of_range(void **state)
{
    (void)state;
    /* A viewer sees no personal data: of the data routes, only indicators, reports,
     * improvements, the action plan and meetings (counts, no names: api_meetings.c),
     * plus its own session and /me. */
    for (int r = 0; r < LB_ROUTE_COUNT; r++) {
        bool ok = lb_authz_allowed((enum lb_route)r, LB_ROLE_VIEWER);
        bool expect = r == LB_ROUTE_SESSION_CREATE || r == LB_ROUTE_SESSION_DELETE ||
                      r == LB_ROUTE_IMPROVEMENT_LIST || r == LB_ROUTE_INDICATORS_GET ||
                      r == LB_ROUTE_REPORT_GET || r == LB_ROUTE_ME || r == LB_ROUTE_UNITS ||
                      r == LB_ROUTE_PLAN_GET || r == LB_ROUTE_PLAN_ACTION_GET ||
                      r == LB_ROUTE_PLAN_FOLLOWUP_GET || r == LB_ROUTE_PLAN_VALUES ||
                      r == LB_ROUTE_MEETING_LIST || r == LB_ROUTE_MEETING_GET ||
                      r == LB_ROUTE_REPORT_ANNUAL;
        assert_int_equal(ok, expect);
    }
    assert_false(lb_authz_allowed(LB_ROUTE_COUNT, LB_ROLE_ADMIN));
    assert_false(lb_authz_allowed((enum lb_route) - 1, LB_ROLE_ADMIN));
    assert_false(lb_authz_allowed(LB_ROUTE_ME, LB_ROLE_COUNT));
    assert_false(lb_authz_allowed(LB_ROUTE_ME, (enum lb_role) - 1));
}

/* ---- passwords ---- */

static void test_password_hash_verify(void **state)
{
    (void)state;
    char hash[crypto_pwhash_STRBYTES];
    assert_int_equal(lb_password_hash("korrekt häst batteri", hash, sizeof hash), 0);
    assert_non_null(strstr(hash, "$argon2id$"));
    assert_null(strstr(hash, "korrekt"));
    assert_int_equal(lb_password_verify(hash, "korrekt häst batteri"), 0);
    assert_int_equal(lb_password_verify(hash, "korrekt häst batteri "), LB_EPERM);
    assert_int_equal(lb_password_verify(hash, "Korrekt häst batteri"), LB_EPERM);
    assert_int_equal(lb_password_verify(hash, ""), LB_EPERM);
    assert_int_equal(lb_password_verify("not a hash", "x"), LB_EPERM);
    assert_int_equal(lb_password_verify(NULL, "x"), LB_EPERM);
    assert_int_equal(lb_password_verify(hash, NULL), LB_EPERM);

    /* Two hashes of one password differ (random salt) and both verify. */
    char hash2[crypto_pwhash_STRBYTES];
    assert_int_equal(lb_password_hash("korrekt häst batteri", hash2, sizeof hash2), 0);
    assert_string_not_equal(hash, hash2);
    assert_int_equal(lb_password_verify(hash2, "korrekt häst batteri"), 0);

    assert_int_equal(lb_password_hash("x", hash, 10), LB_EINVAL);
    assert_int_equal(lb_password_hash(NULL, hash, sizeof hash), LB_EINVAL);
}

static void test_password_limits_follow_env(void **state)
{
    (void)state;
    char hash[crypto_pwhash_STRBYTES];
    /* Fast (main sets LOTSBOK_PWHASH_FAST=1): libsodium's minimum, 8 KiB and 1 pass. */
    assert_int_equal(lb_password_hash("pw", hash, sizeof hash), 0);
    assert_non_null(strstr(hash, "$m=8,t=1,"));

    /* Default: interactive limits, 64 MiB and 2 passes. */
    assert_int_equal(unsetenv("LOTSBOK_PWHASH_FAST"), 0);
    int rc = lb_password_hash("pw", hash, sizeof hash);
    assert_int_equal(setenv("LOTSBOK_PWHASH_FAST", "1", 1), 0);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(hash, "$m=65536,t=2,"));
    assert_int_equal(lb_password_verify(hash, "pw"), 0);
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_password_verify_dummy(void **state)
{
    (void)state;
    /* With production (interactive) limits: the dummy is made on first use with the same
     * limits, so a login for a missing user costs about what a wrong password costs. */
    assert_int_equal(unsetenv("LOTSBOK_PWHASH_FAST"), 0);
    char hash[crypto_pwhash_STRBYTES];
    int rc_hash = lb_password_hash("hemligt", hash, sizeof hash);
    int rc_first = lb_password_verify_dummy("hemligt");
    double t0 = seconds_now();
    int rc_dummy = lb_password_verify_dummy("hemligt");
    double t1 = seconds_now();
    int rc_real = lb_password_verify(hash, "fel lösenord");
    double t2 = seconds_now();
    assert_int_equal(setenv("LOTSBOK_PWHASH_FAST", "1", 1), 0);
    assert_int_equal(rc_hash, 0);
    assert_int_equal(rc_first, LB_EPERM);
    assert_int_equal(rc_dummy, LB_EPERM);
    assert_int_equal(rc_real, LB_EPERM);
    /* Generous bound for a shared machine; a dummy that skips the work is 1000x faster. */
    assert_true(t1 - t0 > (t2 - t1) / 4);

    assert_int_equal(lb_password_verify_dummy(""), LB_EPERM);
    assert_int_equal(lb_password_verify_dummy(NULL), LB_EPERM);
}

/* ---- tokens ---- */

static void test_token_new_format_and_hash(void **state)
{
    (void)state;
    char a[LB_TOKEN_LEN + 1], b[LB_TOKEN_LEN + 1];
    uint8_t ha[32], hb[32], again[32];
    assert_int_equal(lb_token_new(a, ha), 0);
    assert_int_equal(lb_token_new(b, hb), 0);
    assert_int_equal(strlen(a), LB_TOKEN_LEN);
    for (size_t i = 0; i < LB_TOKEN_LEN; i++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", a[i]));
    assert_string_not_equal(a, b);
    assert_memory_not_equal(ha, hb, 32);

    /* The stored hash is BLAKE2b-256 of the token text, and hashing is repeatable. */
    uint8_t direct[32];
    crypto_generichash(direct, 32, (const unsigned char *)a, LB_TOKEN_LEN, NULL, 0);
    assert_memory_equal(ha, direct, 32);
    assert_int_equal(lb_token_hash(a, again), 0);
    assert_memory_equal(ha, again, 32);

    /* The token decodes to 32 bytes. */
    unsigned char raw[64];
    size_t rawlen = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, a, LB_TOKEN_LEN, NULL, &rawlen, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    assert_int_equal(rawlen, 32);
}

static void test_token_hash_rejects(void **state)
{
    (void)state;
    char ok[LB_TOKEN_LEN + 1];
    uint8_t h[32];
    assert_int_equal(lb_token_new(ok, h), 0);

    char bad[LB_TOKEN_LEN + 8];
    assert_int_equal(lb_token_hash(NULL, h), LB_EINVAL);
    assert_int_equal(lb_token_hash("", h), LB_EINVAL);
    /* one short, one long */
    memcpy(bad, ok, LB_TOKEN_LEN - 1);
    bad[LB_TOKEN_LEN - 1] = '\0';
    assert_int_equal(lb_token_hash(bad, h), LB_EINVAL);
    memcpy(bad, ok, LB_TOKEN_LEN);
    bad[LB_TOKEN_LEN] = 'A';
    bad[LB_TOKEN_LEN + 1] = '\0';
    assert_int_equal(lb_token_hash(bad, h), LB_EINVAL);
    /* standard-alphabet and padding characters, a space, a NUL-free non-ASCII byte */
    const char subst[] = {'+', '/', '=', ' ', '.', (char)0xc3};
    for (size_t i = 0; i < sizeof subst; i++) {
        memcpy(bad, ok, LB_TOKEN_LEN + 1);
        bad[10] = subst[i];
        assert_int_equal(lb_token_hash(bad, h), LB_EINVAL);
    }
    /* 43 valid characters whose last one has a padding bit set: not a canonical token. */
    memcpy(bad, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", LB_TOKEN_LEN + 1);
    assert_int_equal(lb_token_hash(bad, h), LB_EINVAL);
    bad[LB_TOKEN_LEN - 1] = 'E'; /* 000100: padding bits zero */
    assert_int_equal(lb_token_hash(bad, h), 0);
}

/* ---- failed-login limiter ---- */

#define MIN_MS 60000

static void test_ratelimit_ten_then_refused(void **state)
{
    (void)state;
    lb_ratelimit *r;
    assert_int_equal(lb_ratelimit_new(10, MIN_MS, &r), 0);
    lb_time t = 1700000000000;
    unsigned retry = 12345;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(lb_ratelimit_check(r, "anna", t, &retry), 0);
        lb_ratelimit_fail(r, "anna", t);
        t += 1000;
    }
    /* 10 failures at t0 .. t0+9 s; now t0+10 s: the 11th attempt is refused until the first
     * failure leaves the window at t0+60 s, i.e. 50 s from now. */
    assert_int_equal(lb_ratelimit_check(r, "anna", t, &retry), LB_EBUSY);
    assert_true(retry > 0 && retry <= 60);
    assert_int_equal(retry, 50);

    /* A refused attempt just before the first failure expires says 1 s. */
    lb_time t0 = t - 10000;
    assert_int_equal(lb_ratelimit_check(r, "anna", t0 + MIN_MS - 1, &retry), LB_EBUSY);
    assert_int_equal(retry, 1);
    /* Sliding: at t0+60 s the first failure has left the window; one more try allowed. */
    assert_int_equal(lb_ratelimit_check(r, "anna", t0 + MIN_MS, &retry), 0);
    lb_ratelimit_fail(r, "anna", t0 + MIN_MS);
    /* ... and the next refusal waits for the second failure (t0+1 s) to expire. */
    assert_int_equal(lb_ratelimit_check(r, "anna", t0 + MIN_MS, &retry), LB_EBUSY);
    assert_int_equal(retry, 1);
    assert_int_equal(lb_ratelimit_check(r, "anna", t0 + MIN_MS + 1000, &retry), 0);

    /* A success resets the key. */
    lb_ratelimit_reset(r, "anna");
    assert_int_equal(lb_ratelimit_check(r, "anna", t0 + MIN_MS, &retry), 0);
    lb_ratelimit_free(r);
}

static void test_ratelimit_window_expiry(void **state)
{
    (void)state;
    lb_ratelimit *r;
    assert_int_equal(lb_ratelimit_new(10, MIN_MS, &r), 0);
    lb_time t = 5000000;
    unsigned retry = 0;
    for (int i = 0; i < 10; i++)
        lb_ratelimit_fail(r, "10.0.0.7", t);
    assert_int_equal(lb_ratelimit_check(r, "10.0.0.7", t, &retry), LB_EBUSY);
    assert_int_equal(retry, 60);
    assert_int_equal(lb_ratelimit_check(r, "10.0.0.7", t + 30000, &retry), LB_EBUSY);
    assert_int_equal(retry, 30);
    assert_int_equal(lb_ratelimit_check(r, "10.0.0.7", t + MIN_MS - 1, &retry), LB_EBUSY);
    assert_int_equal(lb_ratelimit_check(r, "10.0.0.7", t + MIN_MS, &retry), 0);

    /* Failures spread out so that never more than 9 fall in one window: never refused. */
    lb_ratelimit_reset(r, "10.0.0.7");
    t = 10000000;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(lb_ratelimit_check(r, "10.0.0.7", t, &retry), 0);
        lb_ratelimit_fail(r, "10.0.0.7", t);
        t += MIN_MS / 9 + 1;
    }

    /* A clock that went back never yields a Retry-After over one window. */
    lb_ratelimit_reset(r, "10.0.0.7");
    for (int i = 0; i < 10; i++)
        lb_ratelimit_fail(r, "10.0.0.7", 9000000);
    assert_int_equal(lb_ratelimit_check(r, "10.0.0.7", 8000000, &retry), LB_EBUSY);
    assert_true(retry > 0 && retry <= 60);
    lb_ratelimit_free(r);
}

static void test_ratelimit_keys_independent(void **state)
{
    (void)state;
    lb_ratelimit *r;
    assert_int_equal(lb_ratelimit_new(10, MIN_MS, &r), 0);
    unsigned retry;
    for (int i = 0; i < 10; i++)
        lb_ratelimit_fail(r, "anna", 1000 + i);
    for (int i = 0; i < 9; i++)
        lb_ratelimit_fail(r, "bertil", 1000 + i);
    assert_int_equal(lb_ratelimit_check(r, "anna", 2000, &retry), LB_EBUSY);
    assert_int_equal(lb_ratelimit_check(r, "bertil", 2000, &retry), 0);
    assert_int_equal(lb_ratelimit_check(r, "annA", 2000, &retry), 0);
    assert_int_equal(lb_ratelimit_check(r, "ann", 2000, &retry), 0);
    lb_ratelimit_fail(r, "bertil", 2000);
    assert_int_equal(lb_ratelimit_check(r, "bertil", 2000, &retry), LB_EBUSY);
    lb_ratelimit_reset(r, "anna");
    assert_int_equal(lb_ratelimit_check(r, "anna", 2000, &retry), 0);
    assert_int_equal(lb_ratelimit_check(r, "bertil", 2000, &retry), LB_EBUSY);

    assert_int_equal(lb_ratelimit_new(0, MIN_MS, &r), LB_EINVAL);
    assert_int_equal(lb_ratelimit_new(10, 0, &r), LB_EINVAL);
    assert_int_equal(lb_ratelimit_check(r, NULL, 0, &retry), LB_EINVAL);
    lb_ratelimit_free(r);
}

static void test_ratelimit_bounded_under_many_keys(void **state)
{
    (void)state;
    lb_ratelimit *r;
    assert_int_equal(lb_ratelimit_new(10, MIN_MS, &r), 0);
    unsigned retry;
    lb_time t = 1000000;
    /* 100,000 distinct keys fail inside one window. The limiter allocates nothing after
     * _new (heap in use is unchanged), and a key that fails ten times while the table is
     * under that pressure is still locked out right away. */
    struct mallinfo2 before = mallinfo2();
    char key[32];
    int locked = 0;
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        lb_time now = t + i / 100;
        lb_ratelimit_fail(r, key, now);
        if (i % 100 == 0) {
            for (int k = 0; k < 9; k++)
                lb_ratelimit_fail(r, key, now);
            locked += lb_ratelimit_check(r, key, now, &retry) == LB_EBUSY;
        }
    }
    struct mallinfo2 after = mallinfo2();
    assert_int_equal(locked, 1000);
    assert_int_equal(after.uordblks, before.uordblks);
    for (int i = 0; i < 10; i++)
        lb_ratelimit_fail(r, "victim-after", t + 1000);
    assert_int_equal(lb_ratelimit_check(r, "victim-after", t + 1000, &retry), LB_EBUSY);
    lb_ratelimit_free(r);
}

int main(void)
{
    if (setenv("LOTSBOK_PWHASH_FAST", "1", 1) != 0 || lb_auth_init() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authz_matrix),
        cmocka_unit_test(test_authz_viewer_reads_only_and_out_of_range),
        cmocka_unit_test(test_password_hash_verify),
        cmocka_unit_test(test_password_limits_follow_env),
        cmocka_unit_test(test_password_verify_dummy),
        cmocka_unit_test(test_token_new_format_and_hash),
        cmocka_unit_test(test_token_hash_rejects),
        cmocka_unit_test(test_ratelimit_ten_then_refused),
        cmocka_unit_test(test_ratelimit_window_expiry),
        cmocka_unit_test(test_ratelimit_keys_independent),
        cmocka_unit_test(test_ratelimit_bounded_under_many_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
