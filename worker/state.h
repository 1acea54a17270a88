/* state.h: the worker's own LMDB environment.
 *
 * What the worker must remember between events to apply the follow-up rules,
 * and its cursor (the last event sequence applied). Everything an event
 * changes is written in the same write transaction as the cursor, so after a
 * crash the state and the cursor agree and the worker replays from there.
 *
 * Sub-databases (keys big-endian so cursors iterate in order):
 *   meta       "cursor" -> u64
 *   cases      case id -> struct lb_wcase
 *   handoffs   hand-off id -> struct lb_whandoff
 *   followups  follow-up id -> struct lb_wfollowup
 *   calls      company id ++ follow-up id -> ""        (a company's calls)
 *   pending    sent date (biased) ++ hand-off id -> "" (hand-offs awaiting acknowledgement)
 *   effects    Idempotency-Key -> struct lb_weffect     (effects acknowledged by lotsd)
 * Values are fixed-size structs written by this program on this machine, each
 * starting with a version byte; a value of the wrong size or version is
 * LB_ECORRUPT, never trusted. */
#ifndef LOTSBOK_WORKER_STATE_H
#define LOTSBOK_WORKER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "lotsbok/records.h"

#define LB_WSTATE_VERSION 1
#define LB_WNAME_MAX 65 /* usernames and unit codes, with the NUL */

typedef struct lb_wstate lb_wstate;

struct lb_wcase {
    uint8_t v;
    uint8_t status; /* enum lb_case_status */
    lb_id company_id;
    lb_id lots_fid; /* the call holding this case's lots item, 0 when none */
    char owner[LB_WNAME_MAX];
};

struct lb_whandoff {
    uint8_t v;
    uint8_t status;  /* enum lb_handoff_status */
    uint8_t overdue; /* flagged (by us or seen in the log) */
    lb_id case_id;
    lb_id company_id;
    lb_date sent;   /* Stockholm date it was sent */
    lb_id unit_fid; /* the call holding its unit item, 0 when none */
    char unit[LB_WNAME_MAX];
};

struct lb_wfollowup {
    uint8_t v;
    uint8_t status; /* enum lb_followup_status */
    lb_id company_id;
    lb_date due;
    lb_date made;    /* Stockholm date the result was recorded, when done or declined */
    uint32_t nitems; /* items the call covers, as far as we know */
};

struct lb_weffect {
    uint8_t v;
    lb_id target; /* e.g. the follow-up id the effect created or merged into */
    uint64_t seq; /* the event that caused it (0 for the overdue timer) */
};

/* Opens (creating dir and the environment when missing) with an initial map
 * of map_size bytes (0 = 1 GiB; the file is sparse). */
int lb_wstate_open(const char *dir, size_t map_size, lb_wstate **out);
void lb_wstate_close(lb_wstate *s);
/* Doubles the map size; call with no transaction open (after MDB_MAP_FULL,
 * which the functions below report as LB_EMAPFULL). */
int lb_wstate_grow(lb_wstate *s);

int lb_wstate_begin(lb_wstate *s, bool write, MDB_txn **out);
/* Nested write transaction inside parent. */
int lb_wstate_begin_nested(lb_wstate *s, MDB_txn *parent, MDB_txn **out);
int lb_wstate_commit(MDB_txn *t);
void lb_wstate_abort(MDB_txn *t);

int lb_wstate_cursor_get(lb_wstate *s, MDB_txn *t, uint64_t *seq); /* 0 when never set */
int lb_wstate_cursor_put(lb_wstate *s, MDB_txn *t, uint64_t seq);

/* get: 0, LB_ENOTFOUND or LB_ECORRUPT. put: 0 or an error (LB_EMAPFULL). */
int lb_wstate_case_get(lb_wstate *s, MDB_txn *t, lb_id id, struct lb_wcase *out);
int lb_wstate_case_put(lb_wstate *s, MDB_txn *t, lb_id id, const struct lb_wcase *rec);
int lb_wstate_handoff_get(lb_wstate *s, MDB_txn *t, lb_id id, struct lb_whandoff *out);
int lb_wstate_handoff_put(lb_wstate *s, MDB_txn *t, lb_id id, const struct lb_whandoff *rec);
int lb_wstate_followup_get(lb_wstate *s, MDB_txn *t, lb_id id, struct lb_wfollowup *out);
/* Also files the call under its company. */
int lb_wstate_followup_put(lb_wstate *s, MDB_txn *t, lb_id id, const struct lb_wfollowup *rec);

/* The company's calls, in id order: ids[] (cap entries) with *n set; calls
 * beyond cap are left out (LB_ETOOBIG with the first cap returned). */
int lb_wstate_company_calls(lb_wstate *s, MDB_txn *t, lb_id company_id, lb_id *ids, size_t cap,
                            size_t *n);

/* Hand-offs awaiting acknowledgement, by the date they were sent. */
int lb_wstate_pending_put(lb_wstate *s, MDB_txn *t, lb_date sent, lb_id handoff_id);
int lb_wstate_pending_del(lb_wstate *s, MDB_txn *t, lb_date sent, lb_id handoff_id);
/* The first cap pending hand-offs in order of sending date (then id). */
struct lb_wpending {
    lb_date sent;
    lb_id handoff_id;
};
int lb_wstate_pending_list(lb_wstate *s, MDB_txn *t, struct lb_wpending *out, size_t cap,
                           size_t *n);

int lb_wstate_effect_get(lb_wstate *s, MDB_txn *t, const char *key, struct lb_weffect *out);
int lb_wstate_effect_put(lb_wstate *s, MDB_txn *t, const char *key, const struct lb_weffect *rec);

/* Opens (creating) another named sub-database of the environment for a
 * module with its own state (retention.c), in a transaction of its own; call
 * at start, before any other transaction. At most 16 in all. */
int lb_wstate_dbi(lb_wstate *s, const char *name, MDB_dbi *out);
/* Commits without a sync while on (MDB_NOSYNC): they survive the process
 * being killed, not the machine losing power, and the environment stays
 * consistent either way. For progress marks between two synced records
 * (mailer.c); call with no transaction open. lb_wstate_sync syncs what such
 * commits wrote. */
int lb_wstate_nosync(lb_wstate *s, bool on);
int lb_wstate_sync(lb_wstate *s);

/* The lb_err of an LMDB return code (MDB_MAP_FULL is LB_EMAPFULL). */
int lb_wstate_err(int mdb_rc);

#endif
