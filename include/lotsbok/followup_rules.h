/* followup_rules.h: the worker's follow-up scheduling rules, as pure functions.
 *
 * DESIGN.md "Follow-up rules": a closed case gets a `lots` call and a decided
 * hand-off a `unit` call, due a number of Swedish working days after the
 * closing or decision date; a company is never called twice within a window
 * of days, so a new follow-up is merged into a scheduled call near it, or
 * pushed past a call that was already made. These functions take the facts
 * (dates, the company's other calls) and return the decision; they touch no
 * storage, network or clock, so they can be tested exhaustively and reused by
 * anything that wants to explain a schedule. */
#ifndef LOTSBOK_FOLLOWUP_RULES_H
#define LOTSBOK_FOLLOWUP_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lotsbok/records.h"

/* The numbers of the rules; lb_fr_config_default gives DESIGN.md's. */
struct lb_fr_config {
    int followup_days;     /* working days from closure/decision to the call: 10 */
    int merge_window_days; /* calendar days within which a company is not called twice: 30 */
    int overdue_days;      /* working days a hand-off may wait for acknowledgement: 2 */
};

void lb_fr_config_default(struct lb_fr_config *cfg);
/* LB_EINVAL unless followup_days in 0..365, merge_window_days in 0..365,
 * overdue_days in 0..365. */
int lb_fr_config_check(const struct lb_fr_config *cfg);

/* The due date of a follow-up for a closure or decision on date d. */
lb_date lb_fr_due(const struct lb_fr_config *cfg, lb_date d);

/* The last day a hand-off sent on date `sent` may be acknowledged in time:
 * overdue_days working days after it. It is overdue on any later day. */
lb_date lb_fr_ack_deadline(const struct lb_fr_config *cfg, lb_date sent);
bool lb_fr_is_overdue(const struct lb_fr_config *cfg, lb_date sent, lb_date today);

/* Another call to the same company, as the rules see it. */
enum lb_fr_call_state {
    LB_FR_CALL_SCHEDULED, /* still to be made; date = its due date */
    LB_FR_CALL_MADE,      /* made (done or declined); date = the day it was recorded */
};

struct lb_fr_call {
    lb_id id;
    enum lb_fr_call_state state;
    lb_date date;
};

enum lb_fr_action { LB_FR_CREATE, LB_FR_MERGE };

struct lb_fr_decision {
    enum lb_fr_action action;
    lb_id merge_into; /* LB_FR_MERGE: the scheduled call that takes the new item */
    lb_date due;      /* LB_FR_CREATE: the due date of the new call */
};

/* Decides where a follow-up wanted on `due` goes, given the company's other
 * calls (any order; calls in other states must not be passed).
 *  1. A scheduled call whose due date is less than merge_window_days from
 *     `due` (either side) takes the item: the nearest one, the lowest id on a
 *     tie. Its due date is kept.
 *  2. Otherwise, when a call was made less than merge_window_days before
 *     `due` (or on a later day), the new call moves to the first working day
 *     at least merge_window_days after the latest such call; then rule 1 is
 *     applied once more at the new date.
 *  3. Otherwise a new call on `due`.
 * Deterministic: the same inputs always give the same decision. */
void lb_fr_decide(const struct lb_fr_config *cfg, lb_date due, const struct lb_fr_call *calls,
                  size_t ncalls, struct lb_fr_decision *out);

/* The Idempotency-Key of the effect `rule` of event `seq`: "ev-<seq>-<rule>",
 * and, when target is not 0, "ev-<seq>-<rule>-<target>". Returns 0, or
 * LB_ETOOBIG when buf (len bytes) is too small. */
int lb_fr_key(char *buf, size_t len, uint64_t seq, const char *rule, lb_id target);

#endif
