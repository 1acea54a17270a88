/* followup_rules.c: the follow-up scheduling rules of DESIGN.md as pure functions.
 *
 * Everything here is arithmetic on lb_date (days since 1970-01-01, Stockholm
 * calendar) and the working-day calendar; the worker feeds in what it knows
 * about a company's calls and applies the decision through the HTTP API. See
 * include/lotsbok/followup_rules.h for the rules and docs/worker.md for why. */
#include "lotsbok/followup_rules.h"

#include <inttypes.h>
#include <stdio.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"

void lb_fr_config_default(struct lb_fr_config *cfg)
{
    cfg->followup_days = 10;
    cfg->merge_window_days = 30;
    cfg->overdue_days = 2;
}

int lb_fr_config_check(const struct lb_fr_config *cfg)
{
    if (cfg->followup_days < 0 || cfg->followup_days > 365)
        return LB_EINVAL;
    if (cfg->merge_window_days < 0 || cfg->merge_window_days > 365)
        return LB_EINVAL;
    if (cfg->overdue_days < 0 || cfg->overdue_days > 365)
        return LB_EINVAL;
    return 0;
}

lb_date lb_fr_due(const struct lb_fr_config *cfg, lb_date d)
{
    return lb_add_working_days(d, cfg->followup_days);
}

lb_date lb_fr_ack_deadline(const struct lb_fr_config *cfg, lb_date sent)
{
    return lb_add_working_days(sent, cfg->overdue_days);
}

bool lb_fr_is_overdue(const struct lb_fr_config *cfg, lb_date sent, lb_date today)
{
    return today > lb_fr_ack_deadline(cfg, sent);
}

static int64_t days_apart(lb_date a, lb_date b)
{
    int64_t d = (int64_t)a - (int64_t)b;
    return d < 0 ? -d : d;
}

/* The scheduled call nearest to `due` within the window, or NULL. */
static const struct lb_fr_call *nearest_scheduled(const struct lb_fr_config *cfg, lb_date due,
                                                  const struct lb_fr_call *calls, size_t n)
{
    const struct lb_fr_call *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct lb_fr_call *c = &calls[i];
        if (c->state != LB_FR_CALL_SCHEDULED)
            continue;
        int64_t d = days_apart(c->date, due);
        if (d >= cfg->merge_window_days)
            continue;
        if (best == NULL || d < days_apart(best->date, due) ||
            (d == days_apart(best->date, due) && c->id < best->id))
            best = c;
    }
    return best;
}

void lb_fr_decide(const struct lb_fr_config *cfg, lb_date due, const struct lb_fr_call *calls,
                  size_t ncalls, struct lb_fr_decision *out)
{
    const struct lb_fr_call *m = nearest_scheduled(cfg, due, calls, ncalls);
    if (m != NULL) {
        *out = (struct lb_fr_decision){.action = LB_FR_MERGE, .merge_into = m->id, .due = m->date};
        return;
    }
    /* The latest call already made that is too close: before `due` by less
     * than the window, or (a call made early) on or after it. */
    bool blocked = false;
    lb_date latest = 0;
    for (size_t i = 0; i < ncalls; i++) {
        const struct lb_fr_call *c = &calls[i];
        if (c->state != LB_FR_CALL_MADE)
            continue;
        if ((int64_t)due - (int64_t)c->date >= cfg->merge_window_days)
            continue;
        if (!blocked || c->date > latest)
            latest = c->date;
        blocked = true;
    }
    if (blocked) {
        lb_date pushed = lb_add_working_days(latest + cfg->merge_window_days, 0);
        if (pushed > due)
            due = pushed;
        m = nearest_scheduled(cfg, due, calls, ncalls);
        if (m != NULL) {
            *out =
                (struct lb_fr_decision){.action = LB_FR_MERGE, .merge_into = m->id, .due = m->date};
            return;
        }
    }
    *out = (struct lb_fr_decision){.action = LB_FR_CREATE, .merge_into = 0, .due = due};
}

int lb_fr_key(char *buf, size_t len, uint64_t seq, const char *rule, lb_id target)
{
    int n;
    if (target != 0)
        n = snprintf(buf, len, "ev-%" PRIu64 "-%s-%" PRIu64, seq, rule, target);
    else
        n = snprintf(buf, len, "ev-%" PRIu64 "-%s", seq, rule);
    if (n < 0 || (size_t)n >= len)
        return LB_ETOOBIG;
    return 0;
}
