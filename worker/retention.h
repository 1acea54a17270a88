/* retention.h: gallring, the worker's retention run.
 *
 * From the events the worker keeps, per company, how many of its cases are
 * open, when the last one closed and whether it was anonymised since. A
 * company whose cases are all closed, the last more than `months` months ago
 * (by the Stockholm calendar: closed 2023-03-14 with 36 months is due after
 * 2026-03-14, so anonymised from 2026-03-15), is anonymised through
 * POST /companies/{id}/anonymize {"reason": "retention"} with an
 * Idempotency-Key. A case opened or reopened meanwhile makes the company
 * not due; a case closed later moves the date. A legal hold (409) leaves the
 * company due: it is asked again at the next run, and anonymised once the
 * hold is lifted. See docs/privacy.md. */
#ifndef LOTSBOK_WORKER_RETENTION_H
#define LOTSBOK_WORKER_RETENTION_H

#include <stdint.h>

#include <lmdb.h>

#include "effects.h"
#include "envelope.h"
#include "state.h"

#define LB_RETENTION_MONTHS_DEFAULT 36

struct lb_retention {
    lb_wstate *st;
    lb_effects *fx;
    MDB_dbi dbi; /* "retention": be64 company id -> struct lb_wretention */
    int months;
    /* counters, for logs and tests */
    uint64_t anonymized, held, failed;
};

/* What the worker keeps per company (fixed size, version byte first). */
struct lb_wretention {
    uint8_t v;
    uint8_t anonymized;  /* anonymised after the last close */
    uint32_t open;       /* cases open now */
    lb_time last_closed; /* LB_TIME_NONE when no case has closed */
};

/* Opens the sub-database; call before any other transaction. */
int lb_retention_init(struct lb_retention *r, lb_wstate *st, lb_effects *fx, int months);

/* Applies one event to the per-company state in t (case.opened, case.closed,
 * case.reopened, company.anonymized; others are ignored). No API calls. */
int lb_retention_apply(struct lb_retention *r, MDB_txn *t, const struct lb_wev *ev);

/* The last date of the retention period of a case closed at `closed`: the
 * Stockholm date `months` months later (the day clamped to the month's
 * length). A company is due on the days after it. */
lb_date lb_retention_last_day(lb_time closed, int months);

/* One run on `now`: anonymises every due company, each in its own committed
 * transaction. *nanon counts the anonymisations acknowledged, *nheld the
 * companies left for a legal hold. LB_EBUSY when stopped. */
int lb_retention_run(struct lb_retention *r, lb_time now, uint64_t *nanon, uint64_t *nheld);

#endif
