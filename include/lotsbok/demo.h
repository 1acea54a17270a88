/* demo.h: a living demo: a year of believable data for a fresh environment.
 *
 * lb_demo_generate() fills an environment just made by `lotsd init` with about
 * 300 companies in Norrtälje kommun, a year of lotsärenden ending at cfg->until,
 * their contacts, hand-offs, decisions, the worker's follow-up calls and their
 * answers, improvement actions and the demo users. Everything is written through
 * the store's domain operations (store.h), so the records, the indexes and the
 * event log are exactly what the real system would have written; see
 * docs/demo.md.
 *
 * Deterministic: the same seed and the same `until` give a byte-identical event
 * log (the generator has its own PRNG; only the demo users' passwords, which
 * appear in no event, are random). */
#ifndef LOTSBOK_DEMO_H
#define LOTSBOK_DEMO_H

#include <stddef.h>
#include <stdint.h>

#include "lotsbok/records.h"
#include "lotsbok/store.h"

#define LB_DEMO_USERS 9

struct lb_demo_config {
    uint64_t seed;
    lb_time until; /* the demo's "now": nothing happens after it (LB_TIME_NONE = lb_time_now()) */
    size_t companies; /* 0 = 300 */
};

struct lb_demo_login {
    char username[32];
    char password[32]; /* random, printable; in no event */
    const char *role;
    const char *units; /* "bygglov" or "miljo, livsmedel"; "" for none */
};

struct lb_demo_stats {
    size_t companies, companies_personal, cases, cases_closed, contacts, handoffs,
        handoffs_acknowledged, handoffs_decided, handoffs_withdrawn, handoffs_overdue, followups,
        followup_items, followups_done, followups_declined, followups_unreachable,
        followup_attempts_no_answer, improvements, improvements_implemented;
    size_t meetings, meeting_evaluations; /* held meetings (demo_meetings.c) */
    size_t outcomes[LB_OUTCOME_COUNT];
    size_t decisions[LB_DECISION_COUNT];
    size_t channels[LB_CHANNEL_COUNT];
    uint64_t first_seq, last_seq; /* the events the demo appended */
    struct lb_demo_login logins[LB_DEMO_USERS];
    size_t nlogins;
};

/* Generates the demo into s. The environment must hold no company, case or
 * demo user yet (LB_EEXIST otherwise). Returns 0 and fills *out, or an lb_err;
 * on failure the batches already committed stay (the environment is then best
 * thrown away). When report is not NULL, a failing step is described there. */
int lb_demo_generate(lb_store *s, const struct lb_demo_config *cfg, struct lb_demo_stats *out,
                     FILE *report);

/* The demo's meetings (demo_meetings.c), written after its cases: a year of
 * Norrtälje meetings up to until with attendance drawn from the environment's
 * companies and evaluations (form answers by "public", paper ones by actor). */
int lb_demo_meetings(lb_store *s, uint64_t seed, lb_time until, const char *actor, size_t *meetings,
                     size_t *evaluations);

/* Writes the demo logins to path (created with mode 0600, replaced when it
 * exists), marked as demo only. Returns 0 or LB_EIO. */
int lb_demo_write_logins(const char *path, const struct lb_demo_stats *st);

#endif
