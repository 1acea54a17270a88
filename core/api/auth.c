/* auth.c: passwords, session tokens, the failed-login limiter and the route x role table.
 *
 * Passwords: libsodium's crypto_pwhash_str (argon2id) with the interactive limits, or
 * the minimum limits when LOTSBOK_PWHASH_FAST=1 (tests only; read in pwhash_limits()).
 * A login for a user that does not exist verifies against a dummy hash made once with
 * the same limits, so both paths cost one argon2id verification.
 *
 * Tokens: 32 bytes from randombytes_buf, base64url without padding (43 characters).
 * Only BLAKE2b-256 of the token text is stored; a presented token is checked to be
 * canonical base64url of exactly 32 bytes before it is hashed.
 *
 * Limiter: a fixed-size open-addressing table of LB_RL_SLOTS slots. A key is
 * identified by a keyed BLAKE2b-128 of its text (the key is random per limiter, so
 * nobody outside can aim keys at one bucket) and remembers its last `max` failure
 * times in a ring. A key probes LB_RL_PROBE consecutive slots; when none is free or
 * expired, the slot whose newest failure is the oldest is evicted. Memory is fixed at
 * creation: LB_RL_SLOTS * (sizeof(struct rl_slot) + max * 8) bytes, 448 KiB for
 * max = 10, whatever the number of distinct keys. The cost of the bound: a flood of
 * more than LB_RL_SLOTS distinct keys failing inside one window can evict an entry
 * and so forget its failures; lotsd checks both the username and the client address,
 * so one flooding client still locks itself out by address. Not thread-safe: lotsd
 * calls it from its loop thread only.
 *
 * Route x role table (lb_authz_allowed), from DESIGN.md's HTTP API "who" column.
 * A = admin, L = lots, H = handler, V = viewer, S = service; x = allowed.
 *
 *   route                               A  L  H  V  S
 *   POST   /sessions                    x  x  x  x  x
 *   DELETE /sessions/current            x  x  x  x  x
 *   POST   /companies                   x  x
 *   GET    /companies                   x  x  x          handler: scoped by handler code
 *   GET    /companies/{id}              x  x  x          handler: scoped by handler code
 *   PATCH  /companies/{id}              x  x
 *   POST   /companies/{id}/anonymize    x              x
 *   GET    /companies/{id}/export       x
 *   POST   /cases                          x
 *   GET    /cases                       x  x
 *   GET    /cases/{id}                  x  x  x          handler: only with a hand-off of theirs
 *   PATCH  /cases/{id}                     x
 *   POST   /cases/{id}/contacts            x
 *   POST   /cases/{id}/close               x
 *   POST   /cases/{id}/reopen              x
 *   POST   /cases/{id}/handoffs            x
 *   GET    /handoffs                    x  x  x          handler: own units only
 *   GET    /handoffs/{id}               x  x  x          handler: own units only
 *   POST   /handoffs/{id}/acknowledge         x          handler of that unit
 *   POST   /handoffs/{id}/decide              x          handler of that unit
 *   POST   /handoffs/{id}/withdraw         x
 *   POST   /handoffs/{id}/overdue                      x
 *   GET    /followups                   x  x
 *   GET    /followups/{id}              x  x
 *   POST   /followups                                  x
 *   POST   /followups/{id}/items                       x
 *   POST   /followups/{id}/result          x
 *   PATCH  /followups/{id}                             x
 *   GET    /improvements                x  x  x  x       handler: own units' only
 *   POST   /improvements                x  x
 *   PATCH  /improvements/{id}           x  x
 *   GET    /indicators                  x  x  x  x  x
 *   PUT    /indicators/{quarter}                       x
 *   GET    /reports/quarterly           x  x  x  x  x
 *   GET    /persons                     x
 *   GET    /events                      x              x
 *   POST   /users                       x
 *   GET    /users                       x  x  x          lots, handler: the staff directory
 *   PATCH  /users/{name}                x
 *   GET    /me                          x  x  x  x  x
 *   GET    /units                       x  x  x  x  x
 *   GET    /search                      x  x  x          handler: what their units may see
 *   GET    /plan                        x  x  x  x  x
 *   POST   /plan/actions                x
 *   GET    /plan/actions/{code}         x  x  x  x  x
 *   PATCH  /plan/actions/{code}         x  x
 *   GET    /plan/actions/{c}/followups/{y}  x  x  x  x  x
 *   PUT    /plan/actions/{c}/followups/{y}  x  x  x       handler: an action of their units
 *   GET    /plan/indicators/{id}/values x  x  x  x  x
 *   GET    /meetings                    x  x  x  x       handler, viewer: counts, no names
 *   POST   /meetings                    x  x
 *   GET    /meetings/{id}               x  x  x  x       handler, viewer: counts, no names
 *   PATCH  /meetings/{id}               x  x
 *   PUT    /meetings/{id}/attendance    x  x
 *   POST   /meetings/{id}/evaluations   x  x
 *   GET    /meetings/{id}/sheet         x  x
 *   GET    /reports/annual              x  x  x  x  x
 *   PUT    /worker/cursor                              x
 *
 * Decision: the case writes (create, update, contacts, close, reopen, hand-off create
 * and withdraw) are the lots' alone, as DESIGN.md says; admin may read cases but not
 * write them. A case's owner is the caller who opened it, and an administrator's job
 * is users, units and configuration, not casework; an admin who also works as a lots
 * gets a second account with role lots, so the audit trail says who did the casework.
 * PATCH /cases/{id} is not in DESIGN.md's table; it is a case write, so lots only. */
#include "lotsbok/auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pwquality.h>
#include <sodium.h>

#include "lotsbok/error.h"

int lb_auth_init(void)
{
    /* 0: initialised now; 1: already initialised; -1: failure. */
    return sodium_init() < 0 ? LB_EINTERNAL : 0;
}

/* ---- passwords ---- */

/* The one place LOTSBOK_PWHASH_FAST is read: the argon2id limits for new hashes. */
static void pwhash_limits(unsigned long long *ops, size_t *mem)
{
    const char *fast = getenv("LOTSBOK_PWHASH_FAST");
    if (fast != NULL && strcmp(fast, "1") == 0) {
        *ops = crypto_pwhash_OPSLIMIT_MIN;
        *mem = crypto_pwhash_MEMLIMIT_MIN;
    } else {
        *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    }
}

int lb_password_hash(const char *password, char *out, size_t outlen)
{
    if (password == NULL || out == NULL || outlen < crypto_pwhash_STRBYTES)
        return LB_EINVAL;
    unsigned long long ops;
    size_t mem;
    pwhash_limits(&ops, &mem);
    /* crypto_pwhash_str fails only when the memory cannot be had. */
    if (crypto_pwhash_str(out, password, strlen(password), ops, mem) != 0)
        return LB_ENOMEM;
    return 0;
}

int lb_password_verify(const char *hash, const char *password)
{
    if (hash == NULL || password == NULL)
        return LB_EPERM;
    /* A stored hash that is not a valid argon2 string also fails here: never a match. */
    if (crypto_pwhash_str_verify(hash, password, strlen(password)) != 0)
        return LB_EPERM;
    return 0;
}

/* One settings object for every check: libpwquality's defaults with the rules
 * we rely on set explicitly (no credits, no class or repetition rules, the
 * dictionary check on), so /etc/security/pwquality.conf does not
 * change what the API accepts. */
static pwquality_settings_t *policy_settings(void)
{
    static pwquality_settings_t *pwq;
    if (pwq)
        return pwq;
    pwquality_settings_t *p = pwquality_default_settings();
    if (!p)
        return NULL;
    static const int ints[][2] = {
        {PWQ_SETTING_MIN_LENGTH, LB_PASSWORD_MIN},
        {PWQ_SETTING_DIG_CREDIT, 0},
        {PWQ_SETTING_UP_CREDIT, 0},
        {PWQ_SETTING_LOW_CREDIT, 0},
        {PWQ_SETTING_OTH_CREDIT, 0},
        {PWQ_SETTING_MIN_CLASS, 0},
        {PWQ_SETTING_MAX_REPEAT, 0},
        {PWQ_SETTING_MAX_CLASS_REPEAT, 0},
        {PWQ_SETTING_MAX_SEQUENCE, 0},
        {PWQ_SETTING_GECOS_CHECK, 0},
        {PWQ_SETTING_DICT_CHECK, 1},
        {PWQ_SETTING_USER_CHECK, 0},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (pwquality_set_int_value(p, ints[i][0], ints[i][1]) != 0) {
            pwquality_free_settings(p);
            return NULL;
        }
    }
    pwq = p;
    return pwq;
}

int lb_password_policy(const char *password, const char **code, char *msg, size_t msglen)
{
    *code = "password_weak";
    size_t chars = 0;
    bool blank = true;
    for (const unsigned char *p = (const unsigned char *)password; *p; p++) {
        chars += (*p & 0xc0) != 0x80;
        blank = blank && (*p == ' ' || (*p >= '\t' && *p <= '\r'));
    }
    if (chars < LB_PASSWORD_MIN) {
        *code = "password_too_short";
        snprintf(msg, msglen, "password must be at least %d characters", LB_PASSWORD_MIN);
        return LB_EINVAL;
    }
    if (blank) {
        snprintf(msg, msglen, "password must not be only white space");
        return LB_EINVAL;
    }
    pwquality_settings_t *pwq = policy_settings();
    if (!pwq) {
        snprintf(msg, msglen, "cannot set up libpwquality");
        return LB_EINTERNAL;
    }
    void *aux = NULL;
    int score = pwquality_check(pwq, password, NULL, NULL, &aux);
    if (score >= 0)
        return 0;
    /* cracklib's "error loading dictionary" is the installation's fault, not the
     * user's (its messages are static strings; read before strerror frees aux). */
    bool broken = score == PWQ_ERROR_CRACKLIB_CHECK && aux &&
                  strstr((const char *)aux, "error loading") != NULL;
    char buf[PWQ_MAX_ERROR_MESSAGE_LEN];
    const char *why = pwquality_strerror(buf, sizeof buf, score, aux);
    snprintf(msg, msglen, "%s%s",
             broken ? "" : "password is too weak: ", why ? why : "refused by libpwquality");
    if (broken)
        return LB_EINTERNAL;
    return LB_EINVAL;
}

static pthread_mutex_t dummy_lock = PTHREAD_MUTEX_INITIALIZER;
static char dummy_hash[crypto_pwhash_STRBYTES];
static int dummy_ready;

/* Makes the dummy hash on first use: a hash of a random password nobody knows, with
 * the same limits as real hashes. Thread-safe (lotsd may verify on a worker thread). */
static int dummy_hash_get(const char **out)
{
    int rc = 0;
    if (pthread_mutex_lock(&dummy_lock) != 0)
        return LB_EINTERNAL;
    if (!dummy_ready) {
        unsigned char secret[32];
        char text[sodium_base64_ENCODED_LEN(sizeof secret, sodium_base64_VARIANT_ORIGINAL)];
        randombytes_buf(secret, sizeof secret);
        sodium_bin2base64(text, sizeof text, secret, sizeof secret, sodium_base64_VARIANT_ORIGINAL);
        rc = lb_password_hash(text, dummy_hash, sizeof dummy_hash);
        sodium_memzero(secret, sizeof secret);
        sodium_memzero(text, sizeof text);
        if (rc == 0)
            dummy_ready = 1;
    }
    pthread_mutex_unlock(&dummy_lock);
    *out = dummy_hash;
    return rc;
}

int lb_password_verify_dummy(const char *password)
{
    const char *hash;
    /* The result is meaningless (nobody knows the dummy's password); only the time spent
     * matters. */
    if (password != NULL && dummy_hash_get(&hash) == 0 &&
        crypto_pwhash_str_verify(hash, password, strlen(password)) == 0)
        return LB_EPERM;
    return LB_EPERM;
}

/* ---- tokens ---- */

int lb_token_new(char *text, uint8_t hash[32])
{
    unsigned char raw[32];
    if (text == NULL || hash == NULL)
        return LB_EINVAL;
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(text, LB_TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    return lb_token_hash(text, hash);
}

static int is_base64url_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_';
}

int lb_token_hash(const char *text, uint8_t hash[32])
{
    if (text == NULL || hash == NULL)
        return LB_EINVAL;
    size_t n = 0;
    while (n <= LB_TOKEN_LEN && text[n] != '\0') {
        if (!is_base64url_char(text[n]))
            return LB_EINVAL;
        n++;
    }
    if (n != LB_TOKEN_LEN)
        return LB_EINVAL;
    /* The 43rd character carries 4 bits and 2 padding bits that must be zero; decoding
     * rejects the non-canonical spellings, so one token has exactly one text. */
    unsigned char raw[32];
    size_t rawlen = 0;
    int rc = sodium_base642bin(raw, sizeof raw, text, LB_TOKEN_LEN, NULL, &rawlen, NULL,
                               sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    if (rc != 0 || rawlen != sizeof raw)
        return LB_EINVAL;
    if (crypto_generichash(hash, 32, (const unsigned char *)text, LB_TOKEN_LEN, NULL, 0) != 0)
        return LB_EINTERNAL;
    return 0;
}

/* ---- failed-login limiter ---- */

#define LB_RL_SLOTS 4096u /* power of two */
#define LB_RL_PROBE 8u
#define LB_RL_MAX_MAX 64u /* largest `max` accepted, to keep the table's size sane */

struct rl_slot {
    uint8_t id[16]; /* keyed BLAKE2b-128 of the key text */
    uint32_t count; /* failures held in the ring, <= max; 0: the slot is free */
    uint32_t next;  /* ring index the next failure goes to */
    lb_time newest; /* time of the newest failure */
};

struct lb_ratelimit {
    unsigned max;
    lb_time window_ms;
    uint8_t hash_key[crypto_generichash_KEYBYTES];
    struct rl_slot slot[LB_RL_SLOTS];
    lb_time *times; /* LB_RL_SLOTS rings of max entries each */
};

int lb_ratelimit_new(unsigned max, lb_time window_ms, lb_ratelimit **out)
{
    if (out == NULL || max == 0 || max > LB_RL_MAX_MAX || window_ms <= 0)
        return LB_EINVAL;
    lb_ratelimit *r = calloc(1, sizeof *r);
    if (r == NULL)
        return LB_ENOMEM;
    r->times = calloc((size_t)LB_RL_SLOTS * max, sizeof *r->times);
    if (r->times == NULL) {
        free(r);
        return LB_ENOMEM;
    }
    r->max = max;
    r->window_ms = window_ms;
    randombytes_buf(r->hash_key, sizeof r->hash_key);
    *out = r;
    return 0;
}

void lb_ratelimit_free(lb_ratelimit *r)
{
    if (r == NULL)
        return;
    free(r->times);
    free(r);
}

static void rl_key_id(const lb_ratelimit *r, const char *key, uint8_t id[16])
{
    /* Cannot fail with these sizes (16 and 32 are within BLAKE2b's bounds). */
    (void)crypto_generichash(id, 16, (const unsigned char *)key, strlen(key), r->hash_key,
                             sizeof r->hash_key);
}

static uint32_t rl_home(const uint8_t id[16])
{
    uint32_t h;
    memcpy(&h, id, sizeof h);
    return h & (LB_RL_SLOTS - 1);
}

/* The slot holding key id, or NULL. Scans the whole probe run: freed slots are not
 * tombstoned, so an empty slot does not end the search. */
static struct rl_slot *rl_find(lb_ratelimit *r, const uint8_t id[16])
{
    uint32_t home = rl_home(id);
    for (uint32_t i = 0; i < LB_RL_PROBE; i++) {
        struct rl_slot *s = &r->slot[(home + i) & (LB_RL_SLOTS - 1)];
        if (s->count > 0 && memcmp(s->id, id, sizeof s->id) == 0)
            return s;
    }
    return NULL;
}

static int rl_expired(const lb_ratelimit *r, const struct rl_slot *s, lb_time now)
{
    return s->count == 0 || s->newest <= now - r->window_ms;
}

/* A slot for a new key: the first free or expired slot of the probe run, otherwise the
 * one whose newest failure is the oldest (it is the closest to expiring anyway). */
static struct rl_slot *rl_claim(lb_ratelimit *r, const uint8_t id[16], lb_time now)
{
    uint32_t home = rl_home(id);
    struct rl_slot *victim = NULL;
    for (uint32_t i = 0; i < LB_RL_PROBE; i++) {
        struct rl_slot *s = &r->slot[(home + i) & (LB_RL_SLOTS - 1)];
        if (rl_expired(r, s, now)) {
            victim = s;
            break;
        }
        if (victim == NULL || s->newest < victim->newest)
            victim = s;
    }
    memcpy(victim->id, id, sizeof victim->id);
    victim->count = 0;
    victim->next = 0;
    return victim;
}

static lb_time *rl_ring(lb_ratelimit *r, const struct rl_slot *s)
{
    return r->times + (size_t)(s - r->slot) * r->max;
}

int lb_ratelimit_check(lb_ratelimit *r, const char *key, lb_time now, unsigned *retry_after_s)
{
    if (r == NULL || key == NULL)
        return LB_EINVAL;
    uint8_t id[16];
    rl_key_id(r, key, id);
    struct rl_slot *s = rl_find(r, id);
    if (s == NULL || s->count < r->max)
        return 0;
    /* The ring is full: its oldest entry is the max-th most recent failure. The key is
     * over the limit while that failure is inside the window. */
    lb_time oldest = rl_ring(r, s)[s->next];
    lb_time until = oldest + r->window_ms;
    if (until <= now)
        return 0;
    if (retry_after_s != NULL) {
        lb_time ms = until - now;
        if (ms > r->window_ms) /* the clock went back: never promise more than one window */
            ms = r->window_ms;
        *retry_after_s = (unsigned)((ms + 999) / 1000);
    }
    return LB_EBUSY;
}

void lb_ratelimit_fail(lb_ratelimit *r, const char *key, lb_time now)
{
    if (r == NULL || key == NULL)
        return;
    uint8_t id[16];
    rl_key_id(r, key, id);
    struct rl_slot *s = rl_find(r, id);
    if (s == NULL)
        s = rl_claim(r, id, now);
    rl_ring(r, s)[s->next] = now;
    s->next = (s->next + 1) % r->max;
    if (s->count < r->max)
        s->count++;
    if (now > s->newest || s->count == 1)
        s->newest = now;
}

void lb_ratelimit_reset(lb_ratelimit *r, const char *key)
{
    if (r == NULL || key == NULL)
        return;
    uint8_t id[16];
    rl_key_id(r, key, id);
    struct rl_slot *s = rl_find(r, id);
    if (s != NULL)
        memset(s, 0, sizeof *s);
}

/* ---- route x role ---- */

#define A (1u << LB_ROLE_ADMIN)
#define L (1u << LB_ROLE_LOTS)
#define H (1u << LB_ROLE_HANDLER)
#define V (1u << LB_ROLE_VIEWER)
#define S (1u << LB_ROLE_SERVICE)
#define ALL (A | L | H | V | S)

/* One bit per role; see the table at the top of the file. */
static const unsigned route_roles[LB_ROUTE_COUNT] = {
    [LB_ROUTE_SESSION_CREATE] = ALL,
    [LB_ROUTE_SESSION_DELETE] = ALL,
    [LB_ROUTE_COMPANY_CREATE] = A | L,
    [LB_ROUTE_COMPANY_LIST] = A | L | H,
    [LB_ROUTE_COMPANY_GET] = A | L | H,
    [LB_ROUTE_COMPANY_UPDATE] = A | L,
    [LB_ROUTE_COMPANY_ANONYMIZE] = A | S,
    [LB_ROUTE_COMPANY_EXPORT] = A,
    [LB_ROUTE_CASE_CREATE] = L,
    [LB_ROUTE_CASE_LIST] = A | L,
    [LB_ROUTE_CASE_GET] = A | L | H,
    [LB_ROUTE_CASE_UPDATE] = A | L, /* admin: legal_hold only (api_case_update) */
    [LB_ROUTE_CONTACT_CREATE] = L,
    [LB_ROUTE_CASE_CLOSE] = L,
    [LB_ROUTE_CASE_REOPEN] = L,
    [LB_ROUTE_HANDOFF_CREATE] = L,
    [LB_ROUTE_HANDOFF_LIST] = A | L | H,
    [LB_ROUTE_HANDOFF_GET] = A | L | H,
    [LB_ROUTE_HANDOFF_ACK] = H,
    [LB_ROUTE_HANDOFF_DECIDE] = H,
    [LB_ROUTE_HANDOFF_WITHDRAW] = L,
    [LB_ROUTE_HANDOFF_OVERDUE] = S,
    [LB_ROUTE_FOLLOWUP_LIST] = A | L,
    [LB_ROUTE_FOLLOWUP_GET] = A | L,
    [LB_ROUTE_FOLLOWUP_CREATE] = S,
    [LB_ROUTE_FOLLOWUP_ITEMS] = S,
    [LB_ROUTE_FOLLOWUP_RESULT] = L,
    [LB_ROUTE_FOLLOWUP_UPDATE] = S,
    [LB_ROUTE_IMPROVEMENT_LIST] = A | L | H | V, /* handler: own units' (api_improvement_list) */
    [LB_ROUTE_IMPROVEMENT_CREATE] = A | L,
    [LB_ROUTE_IMPROVEMENT_UPDATE] = A | L,
    [LB_ROUTE_INDICATORS_GET] = ALL,
    [LB_ROUTE_INDICATORS_PUT] = S,
    [LB_ROUTE_REPORT_GET] = ALL,
    [LB_ROUTE_PERSONS] = A,
    [LB_ROUTE_EVENTS] = A | S,
    [LB_ROUTE_USER_CREATE] = A,
    [LB_ROUTE_USER_LIST] = A | L | H, /* lots, handler: the directory (api_user_list) */
    [LB_ROUTE_USER_UPDATE] = A,
    [LB_ROUTE_ME] = ALL,
    [LB_ROUTE_UNITS] = ALL,
    [LB_ROUTE_SEARCH] = A | L | H, /* as the list routes: a viewer sees no personal data */
    [LB_ROUTE_PLAN_GET] = ALL,
    [LB_ROUTE_PLAN_ACTION_CREATE] = A,
    [LB_ROUTE_PLAN_ACTION_GET] = ALL,
    [LB_ROUTE_PLAN_ACTION_UPDATE] = A | L,
    [LB_ROUTE_PLAN_FOLLOWUP_GET] = ALL,
    [LB_ROUTE_PLAN_FOLLOWUP_PUT] = A | L | H, /* handler: scoped in api_plan.c */
    [LB_ROUTE_PLAN_VALUES] = ALL,
    [LB_ROUTE_IMPORT_COMPANIES] = A | L,
    [LB_ROUTE_SURVEY_ISSUE] = S,
    [LB_ROUTE_SURVEY_BOUNCE] = S,
    [LB_ROUTE_MEETING_LIST] = A | L | H | V, /* handler, viewer: counts only (api_meetings.c) */
    [LB_ROUTE_MEETING_CREATE] = A | L,
    [LB_ROUTE_MEETING_GET] = A | L | H | V,
    [LB_ROUTE_MEETING_UPDATE] = A | L,
    [LB_ROUTE_MEETING_ATTENDANCE] = A | L,
    [LB_ROUTE_MEETING_EVALUATE] = A | L,
    [LB_ROUTE_MEETING_SHEET] = A | L,
    [LB_ROUTE_REPORT_ANNUAL] = ALL, /* no personal data (annual.h) */
    [LB_ROUTE_WORKER_CURSOR] = S,
    [LB_ROUTE_FOLLOWUP_CORRECT] = L, /* as recording the call */
};

#undef A
#undef L
#undef H
#undef V
#undef S
#undef ALL

bool lb_authz_allowed(enum lb_route route, enum lb_role role)
{
    /* Both come from our own code, but an out-of-range value must deny, not read past. */
    if ((unsigned)route >= LB_ROUTE_COUNT || (unsigned)role >= LB_ROLE_COUNT)
        return false;
    return (route_roles[route] & (1u << role)) != 0;
}
