/* scheduler.h: applies events to the worker's state and makes the effects.
 *
 * For each event in sequence order, lb_sched_apply updates the worker's
 * state (cases and their owners, hand-offs, the company's calls) in the
 * caller's write transaction and, for the events the follow-up rules act on
 * (case.closed, case.reopened, handoff.decided), makes the effect through the
 * HTTP API first. The caller commits the transaction together with the
 * cursor, so an event's state change is durable only after its effect was
 * acknowledged. lb_sched_overdue is the timer's check of unacknowledged
 * hand-offs. The rules themselves are in core/domain/followup_rules.c. */
#ifndef LOTSBOK_WORKER_SCHEDULER_H
#define LOTSBOK_WORKER_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>

#include "envelope.h"
#include "effects.h"
#include "lotsbok/followup_rules.h"
#include "state.h"

struct lb_sched {
    lb_wstate *st;
    lb_effects *fx;
    struct lb_fr_config cfg;
    /* counters, for logs and tests */
    uint64_t created, merged, cancelled, flagged, skipped;
};

/* Whether applying ev may call the API (the caller then gives it a nested
 * transaction so that a stop in the middle leaves nothing behind). */
bool lb_sched_has_effect(const struct lb_wev *ev);

/* Applies one event. 0 when applied (an effect lotsd refused for good is
 * logged and counted in `skipped`, not retried: see docs/worker.md);
 * LB_EBUSY when the stop flag interrupted an effect (nothing is known about
 * it, roll the event back); another error when the state could not be
 * written (LB_EMAPFULL: grow and retry). */
int lb_sched_apply(struct lb_sched *s, MDB_txn *t, const struct lb_wev *ev);

/* Flags every pending hand-off that is overdue on `today`, once each, each
 * in its own committed transaction. *nflagged counts the flags acknowledged.
 * LB_EBUSY when stopped. */
int lb_sched_overdue(struct lb_sched *s, lb_date today, uint64_t *nflagged);

#endif
