/* store_internal.h: what the store's files share and nothing above them sees.
 *
 * core/store/store.c owns the environment, transactions, the batch, the outbox,
 * backup, check and the one function translating MDB_* codes (lb__mdb_err).
 * The domain files (store_companies.c, store_cases.c, ...) build on the
 * helpers below: big-endian keys, record get/put through the codec, the
 * generic index maintenance driven by each record type's key function, and
 * event building.
 *
 * Every secondary index is described by the record type's `keys` function:
 * given a decoded record it lists the (index, key) pairs the record must have.
 * Writes compute the old and the new list and apply the difference; the check
 * recomputes the lists from the records and compares them with the indexes, so
 * maintenance and verification can never disagree about what an index holds. */
#ifndef LOTSBOK_STORE_INTERNAL_H
#define LOTSBOK_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <msgpack.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lotsbok/store.h"

/* The named sub-databases. Secondary indexes are IX_*; unique ones map a key
 * to one big-endian id, the others are MDB_DUPSORT|MDB_DUPFIXED lists of
 * big-endian ids (so each list is in creation order). */
#define LB__SPARE_READS 8

enum lb__db {
    LB_DB_META,
    LB_DB_EVENTS,
    LB_DB_COMPANIES,
    LB_DB_CASES,
    LB_DB_CONTACTS,
    LB_DB_HANDOFFS,
    LB_DB_FOLLOWUPS,
    LB_DB_IMPROVEMENTS,
    LB_DB_SNAPSHOTS,
    LB_DB_USERS,
    LB_DB_SESSIONS,
    LB_DB_IDEMPOTENCY,
    /* the search index (store_search.c): MDB_DUPSORT|MDB_DUPFIXED postings */
    LB_DB_SEARCH,
    LB_DB_PLAN, /* the plan's header: one record */
    LB_DB_PLAN_ACTIONS,
    LB_DB_PLAN_FOLLOWUPS,
    LB_DB_SURVEY_TOKENS,         /* token hash -> struct lb_survey_token (docs/surveys.md) */
    LB_DB_MEETINGS,              /* meetings (docs/meetings.md) */
    LB_DB_MEETING_EVALS,         /* their evaluations */
    LB_DB_IDEM_INDEX,            /* stored answers by age, event and company (store_idempotency.c) */
    LB_DB_SEARCH_PENDING,        /* type, be64 id -> a new record's postings, not yet merged */
    LB_IX_COMPANY_ORGNR,         /* unique: 10 digits -> id */
    LB_IX_COMPANY_NAME,          /* folded name (truncated) -> ids */
    LB_IX_CASE_STATUS,           /* 1 byte status -> ids */
    LB_IX_CASE_OWNER,            /* owner username -> ids */
    LB_IX_CASE_COMPANY,          /* be64 company -> ids */
    LB_IX_CASE_NUMBER,           /* unique: be16 year, be32 serial -> id */
    LB_IX_CONTACT_CASE,          /* be64 case -> ids */
    LB_IX_HANDOFF_UNIT_STATUS,   /* unit, NUL, 1 byte status -> ids */
    LB_IX_HANDOFF_STATUS,        /* 1 byte status -> ids */
    LB_IX_HANDOFF_CASE,          /* be64 case -> ids */
    LB_IX_FOLLOWUP_ASSIGNEE_DUE, /* assignee, NUL, be32 biased due -> ids */
    LB_IX_FOLLOWUP_STATUS,       /* 1 byte status -> ids */
    LB_IX_FOLLOWUP_CASE,         /* be64 case of an item -> ids */
    LB_IX_USER_NAME,             /* unique: username -> id */
    LB_IX_PLAN_ACTION_CODE,      /* unique: action code -> id */
    LB_IX_PLAN_FOLLOWUP,         /* unique: action code, NUL, be16 year -> id */
    LB_IX_MEETING_COMPANY,       /* be64 attending company -> meeting ids */
    LB_IX_EVAL_MEETING,          /* be64 meeting -> evaluation ids */
    LB_IX_EVAL_COMPANY,          /* be64 company a paper evaluation names -> ids */
    LB_DB_COUNT
};

/* Longest index key we build (LMDB's default limit is 511). Folded names are
 * cut to LB__FOLD_MAX bytes before they become keys. */
#define LB__KEY_MAX 256
#define LB__FOLD_MAX 200
#define LB__KEYS_INLINE 64 /* entries held in the struct; more go to the heap */
#define LB__KEYS_MAX 4096  /* a meeting lists up to 2,000 attending companies */

struct lb_store {
    MDB_env *env;
    MDB_dbi dbi[LB_DB_COUNT];
    struct lb_store_config cfg;
    size_t map_size;
    _Atomic uint64_t last_seq; /* committed */
    /* Ended read transactions kept reset (mdb_txn_reset) for the next
     * lb_txn_read, which renews one: that keeps its reader slot and saves
     * the malloc, the reader-table lock and the free of a fresh begin. Up to
     * one per thread reading at once (the loop, the pool's searches). */
    struct lb_txn *_Atomic spare_read[LB__SPARE_READS];
    /* Every top-level transaction holds it shared from its begin to its end;
     * changing the map's size takes it exclusive, so a batch committing on
     * another thread (lotsd's commit thread) never remaps under an open
     * transaction. */
    pthread_rwlock_t map_lock;
    /* Set (under the exclusive map lock) when a failed map growth left an
     * environment that could not be opened again: every transaction fails. */
    bool broken;
    bool search_off; /* cfg.no_search_index: writes leave the search index alone */
    char dir[4096];
};

struct lb_txn {
    lb_store *s;
    MDB_txn *txn;
    bool write;
    bool map_full; /* set by lb__mdb_err when LMDB reported MDB_MAP_FULL */
    /* A read transaction's record cursors, one per database, opened by the
     * first lb__get_raw and kept with the recycled transaction: a cursor
     * still standing on the leaf page that holds the next id looked up (a
     * page of search hits, a case's contacts) finds it without descending
     * the B-tree again. rcur_live: renewed in this transaction. */
    MDB_cursor *rcur[LB_DB_COUNT];
    uint64_t rcur_live;
};
_Static_assert(LB_DB_COUNT <= 64, "rcur_live has a bit per database");

/* A plain write transaction outside any batch: no map growth, no retry.
 * For tests and tools that seed data; lb__txn_commit syncs and frees t. */
int lb__txn_write(lb_store *s, lb_txn **out);
int lb__txn_commit(lb_txn *t);

/* The one translation of an LMDB return code into an lb_err. Records
 * MDB_MAP_FULL on t (may be NULL) so the batch grows the map even when an
 * operation maps the error into something else. */
int lb__mdb_err(lb_txn *t, int rc);

MDB_dbi lb__dbi(lb_txn *t, enum lb__db db);
bool lb__db_unique(enum lb__db db);

/* Big-endian writers and readers. */
void lb__be64(uint8_t *p, uint64_t v);
uint64_t lb__rd64(const uint8_t *p);
void lb__be32(uint8_t *p, uint32_t v);
uint32_t lb__rd32(const uint8_t *p);
/* Biased so that negative dates sort before positive ones. */
static inline uint32_t lb__date_key(lb_date d)
{
    return (uint32_t)d ^ 0x80000000u;
}

/* One index entry a record must have. */
struct lb__ikey {
    enum lb__db db;
    size_t len;
    uint8_t key[LB__KEY_MAX];
};
struct lb__keys {
    size_t n, cap;
    struct lb__ikey *k; /* small, or a heap array once more than LB__KEYS_INLINE */
    struct lb__ikey small[LB__KEYS_INLINE];
};
/* Empties ks for use; lb__keys_free releases what it grew into. */
void lb__keys_init(struct lb__keys *ks);
void lb__keys_free(struct lb__keys *ks);
/* Appends an entry; LB_ETOOBIG when the key or the list is over its limit. */
int lb__keys_add(struct lb__keys *ks, enum lb__db db, const void *key, size_t len);
/* Entry helpers for the common key shapes. */
int lb__keys_add_id(struct lb__keys *ks, enum lb__db db, uint64_t v);
int lb__keys_add_u8(struct lb__keys *ks, enum lb__db db, uint8_t v);
int lb__keys_add_str(struct lb__keys *ks, enum lb__db db, const char *s);

/* A record type: its primary database, codec and index keys. */
struct lb__rtype {
    const char *name;
    enum lb__db db;
    size_t size;
    int (*decode)(const void *buf, size_t len, void *out);
    int (*encode)(const void *rec, msgpack_sbuffer *out);
    void (*clear)(void *rec);
    int (*keys)(const void *rec, struct lb__keys *out); /* NULL: no index */
    const struct lb_meta *(*meta)(const void *rec);
};

/* Defines lb__<t>_type from the codec's functions and a key function. */
#define LB__RTYPE(t, dbv, keysfn)                                                                  \
    static int t##_dec(const void *b, size_t l, void *o)                                           \
    {                                                                                              \
        return lb_##t##_decode(b, l, o);                                                           \
    }                                                                                              \
    static int t##_enc(const void *r, msgpack_sbuffer *o)                                          \
    {                                                                                              \
        return lb_##t##_encode(r, o);                                                              \
    }                                                                                              \
    static void t##_clr(void *r)                                                                   \
    {                                                                                              \
        lb_##t##_clear(r);                                                                         \
    }                                                                                              \
    static const struct lb_meta *t##_meta(const void *r)                                           \
    {                                                                                              \
        return &((const struct lb_##t *)r)->meta;                                                  \
    }                                                                                              \
    const struct lb__rtype lb__##t##_type = {                                                      \
        #t, dbv, sizeof(struct lb_##t), t##_dec, t##_enc, t##_clr, keysfn, t##_meta}

extern const struct lb__rtype lb__company_type, lb__case_type, lb__contact_type, lb__handoff_type,
    lb__followup_type, lb__improvement_type, lb__user_type, lb__plan_header_type,
    lb__plan_action_type, lb__plan_followup_type, lb__meeting_type, lb__meeting_eval_type;

/* lb_idempotency_upgrade's step in the caller's write transaction (the data
 * version migration runs it): files answers stored before their index. */
int lb__idempotency_file(lb_txn *t, size_t *filed);

/* Whether s is a stored orgnr: exactly 10 digits (store_companies.c). */
bool lb__orgnr10_ok(const char *s);

/* Reads record id of type rt into rec (which the caller clears).
 * LB_ENOTFOUND, LB_ECORRUPT. */
/* A record's stored bytes by id (valid until the transaction ends). */
int lb__get_raw(lb_txn *t, enum lb__db db, lb_id id, MDB_val *v);
int lb__get(lb_txn *t, const struct lb__rtype *rt, lb_id id, void *rec);
/* Writes rec (new when old == NULL) and moves its index entries from old's
 * keys to rec's. LB_EEXIST when a unique index key belongs to another id. */
int lb__put(lb_txn *t, const struct lb__rtype *rt, const void *old, const void *rec);
/* Assigns the next id of the type (meta counter). */
int lb__next_id(lb_txn *t, const struct lb__rtype *rt, lb_id *id);
/* Looks a unique index key up. LB_ENOTFOUND. */
int lb__unique_get(lb_txn *t, enum lb__db db, const void *key, size_t len, lb_id *id);

/* Meta counters: 8-byte big-endian values under string-ish keys. */
int lb__meta_get(lb_txn *t, const void *key, size_t len, uint64_t *v); /* 0 when absent */
/* store_idempotency.c: counts an anonymisation for lotsd compact. */
int lb__anonymized_count(lb_txn *t);
int lb__meta_put(lb_txn *t, const void *key, size_t len, uint64_t v);

/* Bumps version and updated_at, checks if_match (LB_ESTALE). */
int lb__touch(struct lb_meta *m, const struct lb_ctx *c, uint64_t if_match);
void lb__meta_new(struct lb_meta *m, lb_id id, const struct lb_ctx *c);

/* Page walking. A source of ids in ascending order (or descending for a
 * page with desc set); lists merge several sources. */
struct lb__src {
    MDB_cursor *cur;
    bool dup;  /* a dup list under key; else the keys of a primary db */
    bool desc; /* walks down: the next candidate is the next smaller id */
    uint8_t key[LB__KEY_MAX];
    size_t keylen;
    lb_id next; /* the next candidate, 0 when exhausted */
};
/* An ascending source of the ids after `after`. */
int lb__src_open(lb_txn *t, struct lb__src *src, enum lb__db db, const void *key, size_t len,
                 lb_id after);
/* A source for page p: ascending after p->after, or, when p->desc, descending
 * from the id below p->after (from the largest when p->after is 0). */
int lb__src_open_page(lb_txn *t, struct lb__src *src, enum lb__db db, const void *key, size_t len,
                      const struct lb_page *p);
int lb__src_advance(struct lb__src *src);
void lb__src_close(struct lb__src *src);

/* Fills p from the merge of nsrc sources (in p's direction, duplicates
 * removed), keeping ids for which accept returns 1 (0 skips; < 0 is an
 * error). The sources must all walk in p's direction. */
int lb__page_merge(lb_txn *t, struct lb__src *srcs, size_t nsrc,
                   int (*accept)(lb_txn *t, lb_id id, void *arg), void *arg, struct lb_page *p);
/* Fills p from an ascending array of ids (walked from its end when p->desc). */
void lb__page_from_sorted(const lb_id *ids, size_t n, struct lb_page *p);

/* Event data building: a msgpack map written by the caller through pk. */
struct lb__ev {
    msgpack_sbuffer buf; /* the map's entries; the header is added at append */
    msgpack_packer pk;   /* for nested values written right after lb__ev_key */
    uint32_t n;          /* entries so far */
    int err;             /* first packing error */
};
void lb__ev_init(struct lb__ev *e);
void lb__ev_done(struct lb__ev *e);
int lb__ev_str(struct lb__ev *e, const char *k, const char *v); /* nil for NULL */
int lb__ev_uint(struct lb__ev *e, const char *k, uint64_t v);
int lb__ev_int(struct lb__ev *e, const char *k, int64_t v);
int lb__ev_bool(struct lb__ev *e, const char *k, bool v);
int lb__ev_time(struct lb__ev *e, const char *k, lb_time v); /* ms int; nil for none */
int lb__ev_date(struct lb__ev *e, const char *k, lb_date v); /* "YYYY-MM-DD"; nil for none */
int lb__ev_nil(struct lb__ev *e, const char *k);
int lb__ev_key(struct lb__ev *e, const char *k);
/* Appends the event whose data is the map of e's entries. */
int lb__ev_append(lb_txn *t, const struct lb_ctx *c, const char *type, lb_id id, struct lb__ev *e);

/* The search index's part of lb__put (store_search.c): moves the record's
 * postings from old's words to rec's (old NULL for a new record), and for a
 * company whose name or locality changed, its cases' postings of those. 0
 * for a type that is not searched. */
int lb__search_put(lb_txn *t, const struct lb__rtype *rt, const void *old, const void *rec);
/* Marks the (empty) index of a new environment complete, or, for a store
 * opened with no_search_index, empties it and marks it missing. */
int lb__search_init(lb_txn *t, bool complete);
/* New records whose postings wait in LB_DB_SEARCH_PENDING; the write that
 * makes this many merges them all (store_search.c). */
#define LB__SEARCH_PENDING_MAX 64
/* Merges every pending record's postings into the lists (store_search.c);
 * the index reads the same before and after. */
int lb__search_merge(lb_txn *t);
/* The check of the search index: every record's postings are there and the
 * index holds no others. Writes one line per problem to report and counts
 * them in *problems. */
int lb__search_check(lb_txn *t, FILE *report, size_t *problems);
/* Follow-up writes shared with store_surveys.c (store_followups.c). */
/* Stores cur over old (version bumped) and appends `type` with the call's
 * common data and what extra adds. */
int lb__followup_emit(lb_txn *t, const struct lb_ctx *c, const struct lb_followup *old,
                      struct lb_followup *cur, const char *type,
                      void (*extra)(struct lb__ev *e, const void *arg), const void *arg);
/* lb_followup_record_via with the event's type: "followup.recorded", or
 * "survey.answered" for an answer through the public form. */
int lb__followup_record(lb_txn *t, const struct lb_ctx *c, lb_id id, enum lb_followup_status status,
                        enum lb_answer_channel channel, const struct lb_answer *answers,
                        uint32_t nanswers, const char *comment, lb_date today, const char *type,
                        struct lb_followup *out);

/* Duplicates a string (NULL stays NULL). LB_ENOMEM. */
int lb__strdup(const char *s, char **out);
int lb__strset(char **dst, const char *s); /* frees *dst, copies s */

#endif
