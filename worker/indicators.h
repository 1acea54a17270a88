/* indicators.h (worker): the quarterly indicators kept live from the event log.
 *
 * The worker holds one accumulator (lotsbok/indicators.h) over every quarter in
 * memory. Nothing of it is persisted: at start it is rebuilt by replaying the
 * whole outbox from seq 0 through lotsd's ROUTER (cheap: the accumulator takes
 * millions of events a second), then every live event the worker applies is
 * fed to it too. What the accumulator cannot be given by one event alone (which
 * hand-offs were acknowledged, how many items a call had, which improvements
 * were already counted as implemented) is kept in small in-memory maps rebuilt
 * the same way. After a change, the touched quarters and every later quarter
 * seen (their year-to-date figures and totals depend on it) are PUT to
 * /api/v1/indicators/{quarter}, debounced, with source_seq the last event that
 * changed the accumulator and Idempotency-Key "ind-<quarter>-<seq>".
 * docs/indicators.md ("Wiring"). */
#ifndef LOTSBOK_WORKER_INDICATORS_H
#define LOTSBOK_WORKER_INDICATORS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "effects.h"
#include "envelope.h"
#include "lotsbok/enums.h"
#include "lotsbok/indicators.h"
#include "subscriber.h"

#define LB_WIND_QUARTERS 400 /* 2000-Q1 .. 2099-Q4 */

struct lb_wmap; /* id -> value, open addressing */

struct lb_wind {
    struct lb_ind *acc;
    int scale_top;
    uint64_t seq;                /* last event fed (applied or ignored) */
    uint64_t changed_seq;        /* last event that changed the accumulator */
    struct lb_wmap *acked;       /* hand-offs acknowledged */
    struct lb_wmap *items;       /* follow-up id -> items counted as due */
    struct lb_wmap *implemented; /* improvements counted as implemented */
    bool seen[LB_WIND_QUARTERS]; /* quarters fed */
    int min_dirty;               /* first quarter changed since the last write, -1 none */
    int64_t dirty_since_ms;      /* monotonic time of the first unwritten change */
    bool touched;                /* the event being fed changed something */
    uint64_t puts, errors;
};

/* An empty state with the given units (lb_units_default when NULL). */
int lb_wind_init(struct lb_wind *w, const struct lb_units *units);
void lb_wind_free(struct lb_wind *w);

/* Feeds one event (ignored when ev->seq <= w->seq). 0 or LB_ENOMEM; events the
 * indicators cannot use (malformed fields) are logged and skipped. now_ms
 * stamps the first unwritten change. */
int lb_wind_feed(struct lb_wind *w, const struct lb_wev *ev, int64_t now_ms);

/* Replays the log from w->seq to its end through sub (pages of limit events,
 * each waited for up to timeout_ms, retried until answered unless *stop).
 * 0, LB_EBUSY when stopped, LB_ENOMEM. */
int lb_wind_rebuild(struct lb_wind *w, lb_wsub *sub, uint32_t limit, int timeout_ms,
                    volatile sig_atomic_t *stop);

/* Whether a write is due: something changed and debounce_ms passed since. */
bool lb_wind_due(const struct lb_wind *w, int64_t now_ms, int debounce_ms);

/* PUTs the changed quarters (and the later quarters seen). 0, or LB_EBUSY
 * when stopped (they stay changed). */
int lb_wind_write(struct lb_wind *w, lb_effects *fx);

/* The snapshot of one quarter index (year * 4 + quarter - 1) as PUT. */
int lb_wind_snapshot(const struct lb_wind *w, int qi, json_t **out);

/* PUTs quarter index qi with the given Idempotency-Key (NULL: "ind-<q>-<seq>").
 * 0 stored (or already stored at this seq), LB_EBUSY stopped, LB_EIO refused. */
int lb_wind_put(struct lb_wind *w, lb_effects *fx, int qi, const char *key);

/* Quarter index of a date or a "YYYY-Qn" string; -1 when out of range. */
int lb_wind_qi(int year, int quarter);

/* The first and last quarter index seen, -1 when none. */
void lb_wind_range(const struct lb_wind *w, int *first, int *last);

/* lots-worker recompute (--quarter YYYY-Qn | --all) --server URL --token-file FILE
 * --replay ENDPOINT [--units SPEC] [--dry-run]: rebuilds from the event log by
 * replay, prints each snapshot (one JSON line) and PUTs it with the key
 * "recompute-<quarter>-<seq>-<now>". argv[1] is "recompute"; token already read.
 * Returns the process exit code. */
int lb_wind_recompute_main(int argc, char **argv, const char *token, volatile sig_atomic_t *stop);

#endif
