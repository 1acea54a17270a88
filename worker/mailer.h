/* mailer.h: the e-mail survey, lots-worker's side (docs/surveys.md).
 *
 * Fed by the event stream (lb_mailer_apply, in the batch's transaction like
 * the scheduler) it knows every scheduled call not yet attempted, by due
 * date, and every survey waiting for its reminders. lb_mailer_run, called
 * from the worker's loop when --smtp-url is given, mails what is due today:
 * the first mail on the call's due date, reminders every reminder_days
 * working days, in batches.
 *
 * Exactly once, as far as SMTP allows: a batch is issued to lotsd (POST
 * /api/v1/surveys/issue: lotsd registers the token, records the survey and
 * says whom to write and what about), composed, and recorded in the worker's
 * own LMDB (the mail itself, as it will be sent) before the SMTP
 * transactions; the outcome is recorded after them. A mail found recorded
 * "in flight" at start (a crash between the two) is resent once, the same
 * mail with the same Message-ID and Date; found in flight again it is taken
 * as sent. Temporary failures (4xx, no answer) wait and retry with backoff
 * (--survey-retry-ms, 30 s, doubling to 30 min); a permanent one (5xx) is reported to lotsd as a
 * bounce, which puts the call on the list.
 *
 * Tokens are derived, not stored: a keyed BLAKE2b-256 of the follow-up id
 * under a random key kept in the worker's state (so reminders and resends
 * carry the same link). */
#ifndef LOTSBOK_WORKER_MAILER_H
#define LOTSBOK_WORKER_MAILER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <lmdb.h>

#include "effects.h"
#include "envelope.h"
#include "lotsbok/survey.h"
#include "smtp.h"
#include "state.h"

#define LB_MAILER_BATCH_DEFAULT 32
#define LB_MAILER_GRACE_DAYS 3 /* working days past due a first mail may still go */

struct lb_mailer_config {
    const char *smtp_url;         /* NULL: no mail (the state is still kept) */
    const char *smtp_from;        /* "Name <addr>" */
    const char *smtp_credentials; /* file "user:password", mode 0600; may be NULL */
    const char *public_base;      /* the links' base URL */
    struct lb_survey_schedule sched;
    int batch;    /* mails per batch (1..100) */
    int retry_ms; /* the first wait after a temporary failure; 0 = 30 s */
};

struct lb_mailer {
    lb_wstate *st;
    lb_effects *fx;
    lb_smtp *smtp; /* NULL without --smtp-url */
    struct lb_mailer_config cfg;
    volatile sig_atomic_t *stop;
    MDB_dbi surveys, next, jobs, meta;
    uint8_t key[32];
    char domain[256]; /* of the sender's address, for Message-IDs */
    bool recovered;   /* crash leftovers handled (first run) */
    /* Counters for the logs and the stop line. */
    uint64_t sent, reminders, bounced, temporary, resent, dropped;
};

/* Opens the mailer's state (creating its key on first use) and, with
 * cfg->smtp_url, the SMTP client. LB_EINVAL for a bad URL, sender or
 * schedule; LB_EPERM for credentials readable by others. */
int lb_mailer_init(struct lb_mailer *m, lb_wstate *st, lb_effects *fx,
                   const struct lb_mailer_config *cfg, volatile sig_atomic_t *stop);
void lb_mailer_free(struct lb_mailer *m);

/* Applies one event to the mailer's state inside the batch's transaction. */
int lb_mailer_apply(struct lb_mailer *m, MDB_txn *t, const struct lb_wev *ev);

/* Mails one batch of what is due on now's Stockholm date (and retries what
 * waits). *more when more is due right away. LB_EBUSY when stopped; other
 * errors are the state's. Does nothing without SMTP. */
int lb_mailer_run(struct lb_mailer *m, lb_time now, bool *more);

/* The follow-up's token (43 characters and NUL) and its hash, as lotsd
 * stores it. */
void lb_mailer_token(const struct lb_mailer *m, lb_id followup_id, char text[44], uint8_t hash[32]);

#endif
