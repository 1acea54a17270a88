/* auth.h: passwords, tokens, failed-login limits and the route x role table.
 *
 * Passwords are stored with libsodium's argon2id (crypto_pwhash_str) and never
 * logged. A session token is 32 random bytes, base64url without padding (43
 * characters), given to the client once and stored only as its BLAKE2b-256
 * hash (crypto_generichash). Comparisons of secrets are constant-time. */
#ifndef LOTSBOK_AUTH_H
#define LOTSBOK_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lotsbok/enums.h"
#include "lotsbok/records.h"

#define LB_TOKEN_LEN 43 /* base64url of 32 bytes, no padding */

/* Must be called once before anything else here (sodium_init). */
int lb_auth_init(void);

/* argon2id hash of password into out (crypto_pwhash_STRBYTES). Interactive
 * limits by default; LOTSBOK_PWHASH_FAST=1 in the environment selects the
 * minimum limits for tests (read in this one place). */
int lb_password_hash(const char *password, char *out, size_t outlen);
/* 0 when password matches hash, LB_EPERM when not. */
int lb_password_verify(const char *hash, const char *password);
/* Verifies against a fixed dummy hash: call it when the user does not exist
 * so that timing does not tell whether a username exists. Always LB_EPERM. */
int lb_password_verify_dummy(const char *password);

/* The password policy (NIST SP 800-63B): at least LB_PASSWORD_MIN characters
 * (UTF-8 code points), no upper limit below the API's 1,024, no composition
 * rules; refused when it is white space only or fails libpwquality's checks
 * with the cracklib dictionary (dictionary words and their variants,
 * "12345678", too few different characters, palindromes).
 * Returns 0 when acceptable. Otherwise LB_EINVAL with *code set to
 * "password_too_short" or "password_weak" and an English reason in msg
 * (never the password); LB_EINTERNAL when the dictionary cannot be read,
 * with the reason in msg. Call from one thread at a time (cracklib). */
#define LB_PASSWORD_MIN 8
int lb_password_policy(const char *password, const char **code, char *msg, size_t msglen);

/* A fresh random token: text (LB_TOKEN_LEN + 1 bytes with NUL) and its hash. */
int lb_token_new(char *text, uint8_t hash[32]);
/* Hash of a presented token; LB_EINVAL when it is not 43 base64url chars. */
int lb_token_hash(const char *text, uint8_t hash[32]);

/* Failed-login limiter: at most `max` failures per key (username, or client
 * address) in a sliding window of `window_ms`. In memory, bounded. */
typedef struct lb_ratelimit lb_ratelimit;
int lb_ratelimit_new(unsigned max, lb_time window_ms, lb_ratelimit **out);
void lb_ratelimit_free(lb_ratelimit *r);
/* 0 when key may try now; LB_EBUSY when over the limit, with *retry_after_s
 * the seconds until the next attempt is allowed. */
int lb_ratelimit_check(lb_ratelimit *r, const char *key, lb_time now, unsigned *retry_after_s);
void lb_ratelimit_fail(lb_ratelimit *r, const char *key, lb_time now);
void lb_ratelimit_reset(lb_ratelimit *r, const char *key);

/* The route x role table: one row per route of DESIGN.md's HTTP API. */
enum lb_route {
    LB_ROUTE_SESSION_CREATE,   /* POST /sessions */
    LB_ROUTE_SESSION_DELETE,   /* DELETE /sessions/current */
    LB_ROUTE_COMPANY_CREATE,   /* POST /companies */
    LB_ROUTE_COMPANY_LIST,     /* GET /companies */
    LB_ROUTE_COMPANY_GET,      /* GET /companies/{id} */
    LB_ROUTE_COMPANY_UPDATE,   /* PATCH /companies/{id} */
    LB_ROUTE_COMPANY_ANONYMIZE,/* POST /companies/{id}/anonymize */
    LB_ROUTE_COMPANY_EXPORT,   /* GET /companies/{id}/export */
    LB_ROUTE_CASE_CREATE,      /* POST /cases */
    LB_ROUTE_CASE_LIST,        /* GET /cases */
    LB_ROUTE_CASE_GET,         /* GET /cases/{id} */
    LB_ROUTE_CASE_UPDATE,      /* PATCH /cases/{id} */
    LB_ROUTE_CONTACT_CREATE,   /* POST /cases/{id}/contacts */
    LB_ROUTE_CASE_CLOSE,       /* POST /cases/{id}/close */
    LB_ROUTE_CASE_REOPEN,      /* POST /cases/{id}/reopen */
    LB_ROUTE_HANDOFF_CREATE,   /* POST /cases/{id}/handoffs */
    LB_ROUTE_HANDOFF_LIST,     /* GET /handoffs */
    LB_ROUTE_HANDOFF_GET,      /* GET /handoffs/{id} */
    LB_ROUTE_HANDOFF_ACK,      /* POST /handoffs/{id}/acknowledge */
    LB_ROUTE_HANDOFF_DECIDE,   /* POST /handoffs/{id}/decide */
    LB_ROUTE_HANDOFF_WITHDRAW, /* POST /handoffs/{id}/withdraw */
    LB_ROUTE_HANDOFF_OVERDUE,  /* POST /handoffs/{id}/overdue (service) */
    LB_ROUTE_FOLLOWUP_LIST,    /* GET /followups */
    LB_ROUTE_FOLLOWUP_GET,     /* GET /followups/{id} */
    LB_ROUTE_FOLLOWUP_CREATE,  /* POST /followups */
    LB_ROUTE_FOLLOWUP_ITEMS,   /* POST /followups/{id}/items */
    LB_ROUTE_FOLLOWUP_RESULT,  /* POST /followups/{id}/result */
    LB_ROUTE_FOLLOWUP_UPDATE,  /* PATCH /followups/{id} (service: cancel, reschedule) */
    LB_ROUTE_IMPROVEMENT_LIST, /* GET /improvements */
    LB_ROUTE_IMPROVEMENT_CREATE, /* POST /improvements */
    LB_ROUTE_IMPROVEMENT_UPDATE, /* PATCH /improvements/{id} */
    LB_ROUTE_INDICATORS_GET,   /* GET /indicators */
    LB_ROUTE_INDICATORS_PUT,   /* PUT /indicators/{quarter} */
    LB_ROUTE_REPORT_GET,       /* GET /reports/quarterly */
    LB_ROUTE_PERSONS,          /* GET /persons */
    LB_ROUTE_EVENTS,           /* GET /events */
    LB_ROUTE_USER_CREATE,      /* POST /users */
    LB_ROUTE_USER_LIST,        /* GET /users */
    LB_ROUTE_USER_UPDATE,      /* PATCH /users/{name} */
    LB_ROUTE_ME,               /* GET /me: the caller's own user */
    LB_ROUTE_UNITS,            /* GET /units: the configured units and their names */
    LB_ROUTE_SEARCH,           /* GET /search */
    LB_ROUTE_PLAN_GET,         /* GET /plan */
    LB_ROUTE_PLAN_ACTION_CREATE, /* POST /plan/actions */
    LB_ROUTE_PLAN_ACTION_GET,    /* GET /plan/actions/{code} */
    LB_ROUTE_PLAN_ACTION_UPDATE, /* PATCH /plan/actions/{code} */
    LB_ROUTE_PLAN_FOLLOWUP_GET,  /* GET /plan/actions/{code}/followups/{year} */
    LB_ROUTE_PLAN_FOLLOWUP_PUT,  /* PUT /plan/actions/{code}/followups/{year} */
    LB_ROUTE_PLAN_VALUES,        /* GET /plan/indicators/{id}/values */
    LB_ROUTE_IMPORT_COMPANIES, /* POST /imports/companies */
    LB_ROUTE_MEETING_LIST,       /* GET /meetings (handler, viewer: counts, no names) */
    LB_ROUTE_MEETING_CREATE,     /* POST /meetings */
    LB_ROUTE_MEETING_GET,        /* GET /meetings/{id} (handler, viewer: counts, no names) */
    LB_ROUTE_MEETING_UPDATE,     /* PATCH /meetings/{id} */
    LB_ROUTE_MEETING_ATTENDANCE, /* PUT /meetings/{id}/attendance */
    LB_ROUTE_MEETING_EVALUATE,   /* POST /meetings/{id}/evaluations (paper forms) */
    LB_ROUTE_MEETING_SHEET,      /* GET /meetings/{id}/sheet (the QR sheet) */
    LB_ROUTE_SURVEY_ISSUE,     /* POST /surveys/issue (service: the worker's mails) */
    LB_ROUTE_SURVEY_BOUNCE,    /* POST /followups/{id}/survey/bounce (service) */
    LB_ROUTE_REPORT_ANNUAL,      /* GET /reports/annual */
    LB_ROUTE_WORKER_CURSOR,      /* PUT /worker/cursor (service: expiry of its answers) */
    LB_ROUTE_FOLLOWUP_CORRECT,   /* PATCH /followups/{id}/result: same-day correction */
    LB_ROUTE_COUNT
};

/* Whether role may call route at all (403 otherwise). Data scoping (a
 * handler's units) is applied by the handlers on top of this. */
bool lb_authz_allowed(enum lb_route route, enum lb_role role);

#endif
