/* indicators.h (worker): the quarterly and yearly indicators kept live from the event log.
 *
 * The worker holds one accumulator (lotsbok/indicators.h) over every quarter in
 * memory. Nothing of it is persisted: at start it is rebuilt by replaying the
 * whole outbox from seq 0 through lotsd's ROUTER (cheap: the accumulator takes
 * millions of events a second), then every live event the worker applies is
 * fed to it too. What the accumulator cannot be given by one event alone (which
 * hand-offs were acknowledged, how many items a call had, which improvements
 * were already counted as implemented) is kept in small in-memory maps rebuilt
 * the same way. The day of each event (its commit time, Stockholm date) and the
 * clock close days for the open quarter's published figures
 * (lb_ind_day_close). After a change, the touched quarters, every later
 * quarter seen and their years (year-to-date figures, totals and the
 * suppression pattern depend on earlier quarters) are PUT to
 * /api/v1/indicators/{quarter|year}, debounced: the live document with the
 * published one beside it under "published" when they differ, with
 * source_seq the last event that changed the accumulator and
 * Idempotency-Key "ind-<period>-<seq>-<content hash>"; a period whose
 * documents did not change since its last PUT is not written again.
 * docs/indicators.md ("Wiring"). */
#ifndef LOTSBOK_WORKER_INDICATORS_H
#define LOTSBOK_WORKER_INDICATORS_H

#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "effects.h"
#include "envelope.h"
#include "lotsbok/enums.h"
#include "lotsbok/indicators.h"
#include "subscriber.h"

#define LB_WIND_QUARTERS 400 /* 2000-Q1 .. 2099-Q4 */
#define LB_WIND_YEARS 100    /* 2000 .. 2099 */

struct lb_wmap; /* id -> value, open addressing */

struct lb_wind {
    struct lb_ind *acc;
    int scale_top;
    uint64_t seq;                /* last event fed (applied or ignored) */
    uint64_t changed_seq;        /* last event that changed the accumulator */
    lb_date day;                 /* the current day (last event's or the clock's), or NONE */
    struct lb_wmap *acked;       /* hand-offs acknowledged */
    struct lb_wmap *items;       /* follow-up id -> items counted as due */
    struct lb_wmap *implemented; /* improvements counted as implemented */
    bool seen[LB_WIND_QUARTERS]; /* quarters fed */
    int min_dirty;               /* first quarter changed since the last write, -1 none */
    int64_t dirty_since_ms;      /* monotonic time of the first unwritten change */
    bool touched;                /* the event being fed changed something */
    uint64_t puts, errors;
    /* what was last PUT per period (quarters, then years): a hash of the
     * documents without computed_at, 0 when nothing yet */
    uint64_t written[LB_WIND_QUARTERS + LB_WIND_YEARS];
};

/* An empty state with the configuration (lb_ind_config_default when NULL). */
int lb_wind_init(struct lb_wind *w, const struct lb_ind_config *cfg);
void lb_wind_free(struct lb_wind *w);

/* Feeds one event (ignored when ev->seq <= w->seq). 0 or LB_ENOMEM; events the
 * indicators cannot use (malformed fields) are logged and skipped. now_ms
 * stamps the first unwritten change. An event of a later day than the
 * current one closes the current day first. */
int lb_wind_feed(struct lb_wind *w, const struct lb_wev *ev, int64_t now_ms);

/* The clock's day: when the Stockholm date of lb_time_now() is after the
 * current day, closes it and marks the quarters it changes (the open one's
 * published figures, hand-offs whose acknowledgement window closed). */
int lb_wind_tick(struct lb_wind *w, int64_t now_ms);

/* Replays the log from w->seq to its end through sub (pages of limit events,
 * each waited for up to timeout_ms, retried until answered unless *stop),
 * then ticks the clock. 0, LB_EBUSY when stopped, LB_ENOMEM. */
int lb_wind_rebuild(struct lb_wind *w, lb_wsub *sub, uint32_t limit, int timeout_ms,
                    volatile sig_atomic_t *stop);

/* Whether a write is due: something changed and debounce_ms passed since. */
bool lb_wind_due(const struct lb_wind *w, int64_t now_ms, int debounce_ms);

/* PUTs the changed quarters (and the later quarters seen) and their years.
 * 0, or LB_EBUSY when stopped (they stay changed). */
int lb_wind_write(struct lb_wind *w, lb_effects *fx);

/* The body PUT for a year's five periods at once: out[0..3] the quarters,
 * out[4] the year; each the live document, with "published" (the document
 * viewers see) when it differs. */
int lb_wind_bodies(const struct lb_wind *w, int year, json_t *out[5]);

/* PUTs one body to /api/v1/indicators/{period} with the given Idempotency-Key
 * (NULL: "ind-<period>-<seq>-<hash>"), unless force is false and the body's
 * hash is what was last written for the period. period_index: a quarter index
 * (0..LB_WIND_QUARTERS-1) or LB_WIND_QUARTERS + year - 2000. 0 stored (or
 * already stored), LB_EBUSY stopped, LB_EIO refused. */
int lb_wind_put(struct lb_wind *w, lb_effects *fx, int period_index, json_t *body, const char *key,
                bool force);

/* Quarter index of a date or a "YYYY-Qn" string; -1 when out of range. */
int lb_wind_qi(int year, int quarter);

/* The first and last quarter index seen, -1 when none. */
void lb_wind_range(const struct lb_wind *w, int *first, int *last);

/* Parses the indicator options shared by the worker and recompute: --units
 * SPEC (must match lotsd's), --skr-areas SPEC, --min-answers N. Returns 1
 * when argv[*i] was one (and *i moved past its value), 0 when it is not one
 * of them, -1 on a bad value (message written). */
int lb_wind_option(int argc, char **argv, int *i, struct lb_ind_config *cfg);

/* lots-worker recompute (--quarter YYYY-Qn | --year YYYY | --all) --server URL
 * --token-file FILE --replay ENDPOINT [--units SPEC] [--skr-areas SPEC]
 * [--dry-run]: rebuilds from the event log by replay, prints each body (one
 * JSON line) and PUTs it with the key "recompute-<period>-<seq>-<now>".
 * argv[1] is "recompute"; token already read. Returns the process exit code. */
int lb_wind_recompute_main(int argc, char **argv, const char *token, volatile sig_atomic_t *stop);

/* Prints recompute's usage to f. */
void lb_wind_recompute_usage(FILE *f);

#endif
