/* store_idempotency.c: stored Idempotency-Key answers, their expiry and
 * their removal when a company is anonymised (issue 19).
 *
 * An answer lives in "idempotency" under username NUL key (the stored key,
 * "ikey"). It describes records, and a user's answer to POST /companies or a
 * contact holds the very personal data anonymisation removes, so every
 * answer is also filed in "idempotency_ix" (plain keys, empty values):
 *
 *   'u' be64 at   ikey    a user's answer, by the time it was given
 *   's' be64 at   ikey    the service role's (the worker's), likewise
 *   'q' be64 seq  ikey    the service's answer to an event "ev-<seq>-..."
 *   'c' be64 id   ikey    under every company the answer describes
 *
 * Expiry is a range scan from the front of 'u', 's' or 'q'; anonymisation a
 * prefix scan of 'c' + company. The entries of an answer are computed from
 * the answer itself (its at, class, seq and companies), so deleting one
 * deletes exactly its entries. The purge is bounded by its caller: a few per
 * keyed write (lotsd's commit) and thousands per call of the worker's
 * PUT /worker/cursor, so no transaction grows with the backlog.
 *
 * The worker's answers are kept until its reported cursor (meta
 * "worker_cursor", the largest reported) has passed their event: a worker
 * killed between a 2xx and saving its cursor repeats that request, possibly
 * days later, and must get the first answer back. idem_service_ms (90 days)
 * bounds them when the worker never reports. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "store_internal.h"

/* The stored key: username NUL key. A 64-character username and a
 * 200-character Idempotency-Key (the API's limits) take 265 bytes; with the
 * index's 9-byte prefix it stays within LMDB's 511-byte key limit. */
#define IDEM_KEY_MAX 500
#define IX_KEY_MAX (IDEM_KEY_MAX + 9)

static const char worker_cursor_key[] = "worker_cursor";
static const char anon_count_key[] = "anonymized_since_compaction";
static const char upgraded_key[] = "idempotency_ix";

static int idem_key(const char *username, const char *key, uint8_t *buf, size_t *len)
{
    size_t a = username ? strlen(username) : 0, b = key ? strlen(key) : 0;
    if (a == 0 || b == 0 || a + b + 1 > IDEM_KEY_MAX)
        return LB_EINVAL;
    memcpy(buf, username, a);
    buf[a] = 0;
    memcpy(buf + a + 1, key, b);
    *len = a + b + 1;
    return 0;
}

/* The event a worker's key names: "ev-<seq>-<rule>..." -> seq; else 0. */
static lb_id key_seq(const char *key)
{
    if (strncmp(key, "ev-", 3) != 0)
        return 0;
    uint64_t v = 0;
    const char *p = key + 3;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    return p > key + 3 && *p == '-' ? v : 0;
}

static size_t ix_key(uint8_t *buf, char kind, uint64_t v, const uint8_t *ikey, size_t ilen)
{
    buf[0] = (uint8_t)kind;
    lb__be64(buf + 1, v);
    memcpy(buf + 9, ikey, ilen);
    return 9 + ilen;
}

static int ix_put(lb_txn *t, char kind, uint64_t v, const uint8_t *ikey, size_t ilen)
{
    uint8_t kb[IX_KEY_MAX];
    MDB_val k = {ix_key(kb, kind, v, ikey, ilen), kb}, d = {0, NULL};
    return lb__mdb_err(t, mdb_put(t->txn, lb__dbi(t, LB_DB_IDEM_INDEX), &k, &d, 0));
}

static int ix_del(lb_txn *t, char kind, uint64_t v, const uint8_t *ikey, size_t ilen)
{
    uint8_t kb[IX_KEY_MAX];
    MDB_val k = {ix_key(kb, kind, v, ikey, ilen), kb};
    int rc = mdb_del(t->txn, lb__dbi(t, LB_DB_IDEM_INDEX), &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : lb__mdb_err(t, rc);
}

/* Adds (put) or removes the index entries of rec stored under ikey. */
static int ix_apply(lb_txn *t, const struct lb_idempotency *rec, const uint8_t *ikey, size_t ilen,
                    bool put)
{
    int (*fn)(lb_txn *, char, uint64_t, const uint8_t *, size_t) = put ? ix_put : ix_del;
    bool service = rec->cls == LB_IDEM_SERVICE;
    int rc = fn(t, service ? 's' : 'u', (uint64_t)(rec->at > 0 ? rec->at : 0), ikey, ilen);
    if (rc == 0 && service && rec->seq)
        rc = fn(t, 'q', rec->seq, ikey, ilen);
    for (uint32_t i = 0; rc == 0 && i < rec->ncompanies; i++)
        if (rec->companies[i].id)
            rc = fn(t, 'c', rec->companies[i].id, ikey, ilen);
    return rc;
}

static int get_raw(lb_txn *t, const uint8_t *ikey, size_t ilen, struct lb_idempotency *out)
{
    MDB_val k = {ilen, (void *)ikey}, v;
    int rc = mdb_get(t->txn, lb__dbi(t, LB_DB_IDEMPOTENCY), &k, &v);
    if (rc)
        return lb__mdb_err(t, rc);
    return lb_idempotency_decode(v.mv_data, v.mv_size, out);
}

/* Deletes the answer under ikey and its index entries; 0 when it was gone. */
static int delete_answer(lb_txn *t, const uint8_t *ikey, size_t ilen)
{
    struct lb_idempotency old = {0};
    int rc = get_raw(t, ikey, ilen, &old);
    if (rc == LB_ENOTFOUND) /* not there, or undecodable: nothing to file */
        return 0;
    if (rc == 0)
        rc = ix_apply(t, &old, ikey, ilen, false);
    lb_idempotency_clear(&old);
    if (rc == 0) {
        MDB_val k = {ilen, (void *)ikey};
        rc = mdb_del(t->txn, lb__dbi(t, LB_DB_IDEMPOTENCY), &k, NULL);
        rc = rc == MDB_NOTFOUND ? 0 : lb__mdb_err(t, rc);
    }
    return rc;
}

static lb_time user_ms(lb_txn *t)
{
    return t->s->cfg.idem_user_ms > 0 ? t->s->cfg.idem_user_ms : LB_IDEM_USER_MS_DEFAULT;
}

static lb_time service_ms(lb_txn *t)
{
    return t->s->cfg.idem_service_ms > 0 ? t->s->cfg.idem_service_ms : LB_IDEM_SERVICE_MS_DEFAULT;
}

static bool expired(lb_txn *t, const struct lb_idempotency *rec, lb_time now)
{
    lb_time keep = rec->cls == LB_IDEM_SERVICE ? service_ms(t) : user_ms(t);
    return rec->at != LB_TIME_NONE && now - rec->at >= keep;
}

int lb_idempotency_get(lb_txn *t, const char *username, const char *key, lb_time now,
                       struct lb_idempotency *out)
{
    uint8_t kb[IDEM_KEY_MAX];
    size_t len;
    if (idem_key(username, key, kb, &len))
        return LB_ENOTFOUND;
    int rc = get_raw(t, kb, len, out);
    if (rc == 0 && expired(t, out, now)) {
        lb_idempotency_clear(out);
        return LB_ENOTFOUND; /* the purge deletes it; a new answer replaces it */
    }
    return rc;
}

int lb_idempotency_put(lb_txn *t, const char *username, const char *key,
                       const struct lb_idempotency *rec)
{
    uint8_t kb[IDEM_KEY_MAX];
    size_t len;
    int rc = idem_key(username, key, kb, &len);
    if (rc)
        return rc;
    if (rec->ncompanies > LB_IDEM_COMPANIES_MAX)
        return LB_ETOOBIG;
    struct lb_idempotency r = *rec;
    r.seq = r.cls == LB_IDEM_SERVICE ? key_seq(key) : 0;
    if ((rc = delete_answer(t, kb, len)) != 0)
        return rc;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    rc = lb_idempotency_encode(&r, &sb);
    if (rc == 0) {
        MDB_val k = {len, kb}, v = {sb.size, sb.data};
        rc = lb__mdb_err(t, mdb_put(t->txn, lb__dbi(t, LB_DB_IDEMPOTENCY), &k, &v, 0));
    }
    msgpack_sbuffer_destroy(&sb);
    return rc == 0 ? ix_apply(t, &r, kb, len, true) : rc;
}

/* Deletes the answers filed under kind with a value below `below`, at most
 * *budget of them (which it lowers). Every entry collected is deleted with its
 * answer, or alone when its answer is gone, so each pass makes progress. */
static int purge_range(lb_txn *t, char kind, uint64_t below, size_t *budget, size_t *purged)
{
    enum { CHUNK = 32 };
    uint8_t keys[CHUNK][IX_KEY_MAX];
    size_t lens[CHUNK];
    MDB_dbi ix = lb__dbi(t, LB_DB_IDEM_INDEX);
    while (*budget > 0) {
        MDB_cursor *cur;
        int rc = mdb_cursor_open(t->txn, ix, &cur);
        if (rc)
            return lb__mdb_err(t, rc);
        uint8_t start = (uint8_t)kind;
        MDB_val k = {1, &start}, v;
        size_t n = 0, want = *budget < CHUNK ? *budget : CHUNK;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
             rc == 0 && n < want && k.mv_size > 9 && k.mv_size <= IX_KEY_MAX &&
             ((const uint8_t *)k.mv_data)[0] == start &&
             lb__rd64((const uint8_t *)k.mv_data + 1) < below;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            memcpy(keys[n], k.mv_data, k.mv_size);
            lens[n++] = k.mv_size;
        }
        mdb_cursor_close(cur);
        if (rc && rc != MDB_NOTFOUND)
            return lb__mdb_err(t, rc);
        for (size_t i = 0; i < n; i++) {
            if ((rc = delete_answer(t, keys[i] + 9, lens[i] - 9)) != 0)
                return rc;
            MDB_val dk = {lens[i], keys[i]};
            rc = mdb_del(t->txn, ix, &dk, NULL);
            if (rc && rc != MDB_NOTFOUND)
                return lb__mdb_err(t, rc);
            (*purged)++;
            (*budget)--;
        }
        if (n < want)
            return 0;
    }
    return 0;
}

int lb_idempotency_purge(lb_txn *t, lb_time now, size_t limit, size_t *purged, bool *more)
{
    *purged = 0;
    uint64_t cursor = 0;
    int rc = lb_worker_cursor_get(t, &cursor);
    lb_time u = now - user_ms(t), s = now - service_ms(t);
    size_t budget = limit;
    /* An answer given at or before now - keep has expired (as in get). */
    if (rc == 0 && budget)
        rc = purge_range(t, 'u', (uint64_t)(u > 0 ? u : 0) + 1, &budget, purged);
    if (rc == 0 && budget)
        rc = purge_range(t, 's', (uint64_t)(s > 0 ? s : 0) + 1, &budget, purged);
    if (rc == 0 && budget && cursor)
        rc = purge_range(t, 'q', cursor + 1, &budget, purged);
    if (more)
        *more = rc == 0 && budget == 0; /* perhaps: the limit was reached */
    return rc;
}

int lb_idempotency_forget_company(lb_txn *t, lb_id company, size_t *deleted)
{
    *deleted = 0;
    uint64_t cursor = 0;
    int rc = lb_worker_cursor_get(t, &cursor);
    if (rc)
        return rc;
    uint8_t prefix[9];
    prefix[0] = 'c';
    lb__be64(prefix + 1, company);
    uint8_t after[IX_KEY_MAX];
    size_t after_len = 9;
    memcpy(after, prefix, 9);
    for (;;) {
        MDB_cursor *cur;
        if ((rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_IDEM_INDEX), &cur)))
            return lb__mdb_err(t, rc);
        MDB_val k = {after_len, after}, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        /* Skip the entry we stopped at (kept, or already deleted). */
        if (rc == 0 && after_len > 9 && k.mv_size == after_len &&
            memcmp(k.mv_data, after, after_len) == 0)
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        if (rc == MDB_NOTFOUND || (rc == 0 && (k.mv_size <= 9 || memcmp(k.mv_data, prefix, 9)))) {
            mdb_cursor_close(cur);
            return 0;
        }
        if (rc) {
            mdb_cursor_close(cur);
            return lb__mdb_err(t, rc);
        }
        if (k.mv_size > IX_KEY_MAX) {
            mdb_cursor_close(cur);
            return LB_ECORRUPT;
        }
        after_len = k.mv_size;
        memcpy(after, k.mv_data, after_len);
        mdb_cursor_close(cur);
        const uint8_t *ikey = after + 9;
        size_t ilen = after_len - 9;
        struct lb_idempotency rec = {0};
        rc = get_raw(t, ikey, ilen, &rec);
        bool keep = rc == 0 && rec.cls == LB_IDEM_SERVICE && rec.seq && rec.seq > cursor;
        lb_idempotency_clear(&rec);
        if (rc == LB_ENOTFOUND) { /* dangling: drop the entry itself */
            MDB_val dk = {after_len, after};
            rc = mdb_del(t->txn, lb__dbi(t, LB_DB_IDEM_INDEX), &dk, NULL);
            if (rc && rc != MDB_NOTFOUND)
                return lb__mdb_err(t, rc);
            continue;
        }
        if (rc)
            return rc;
        if (keep)
            continue;
        if ((rc = delete_answer(t, ikey, ilen)) != 0)
            return rc;
        (*deleted)++;
    }
}

int lb_worker_cursor_get(lb_txn *t, uint64_t *seq)
{
    return lb__meta_get(t, worker_cursor_key, sizeof worker_cursor_key - 1, seq);
}

int lb_worker_cursor_put(lb_txn *t, uint64_t seq)
{
    uint64_t old = 0;
    int rc = lb_worker_cursor_get(t, &old);
    if (rc == 0 && seq > old)
        rc = lb__meta_put(t, worker_cursor_key, sizeof worker_cursor_key - 1, seq);
    return rc;
}

int lb_anonymized_since_compaction(lb_txn *t, uint64_t *n)
{
    return lb__meta_get(t, anon_count_key, sizeof anon_count_key - 1, n);
}

/* Counts one anonymisation for lotsd compact (store_privacy.c). */
int lb__anonymized_count(lb_txn *t)
{
    uint64_t n = 0;
    int rc = lb_anonymized_since_compaction(t, &n);
    return rc ? rc : lb__meta_put(t, anon_count_key, sizeof anon_count_key - 1, n + 1);
}

static int reset_run(lb_txn *t, void *arg)
{
    (void)arg;
    return lb__meta_put(t, anon_count_key, sizeof anon_count_key - 1, 0);
}

int lb_store_compacted(lb_store *s)
{
    return lb_store_run(s, reset_run, NULL);
}

struct upgrade {
    size_t filed;
};

static int upgrade_run(lb_txn *t, void *arg);

int lb__idempotency_file(lb_txn *t, size_t *filed)
{
    struct upgrade u = {0};
    int rc = upgrade_run(t, &u);
    if (filed)
        *filed = u.filed;
    return rc;
}

static int upgrade_run(lb_txn *t, void *arg)
{
    struct upgrade *u = arg;
    uint64_t done = 0;
    int rc = lb__meta_get(t, upgraded_key, sizeof upgraded_key - 1, &done);
    if (rc || done)
        return rc;
    u->filed = 0;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_IDEMPOTENCY), &cur)))
        return lb__mdb_err(t, rc);
    MDB_val k, v;
    uint8_t ikey[IDEM_KEY_MAX];
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size >= IDEM_KEY_MAX)
            continue;
        size_t ilen = k.mv_size;
        memcpy(ikey, k.mv_data, ilen);
        const char *user = (const char *)ikey;
        const uint8_t *nul = memchr(ikey, 0, ilen);
        if (!nul)
            continue;
        char key[IDEM_KEY_MAX];
        size_t kl = ilen - (size_t)(nul - ikey) - 1;
        memcpy(key, nul + 1, kl);
        key[kl] = 0;
        struct lb_idempotency rec = {0};
        if (lb_idempotency_decode(v.mv_data, v.mv_size, &rec) != 0)
            continue;
        struct lb_user usr = {0};
        int urc = lb_user_get(t, user, &usr);
        rec.cls = urc == 0 && usr.role == LB_ROLE_SERVICE ? LB_IDEM_SERVICE : LB_IDEM_USER;
        rec.seq = rec.cls == LB_IDEM_SERVICE ? key_seq(key) : 0;
        lb_user_clear(&usr);
        /* Rewrite the value (class, seq) and file it; the cursor stays valid
         * for MDB_NEXT after a put of the current key's value. */
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        rc = lb_idempotency_encode(&rec, &sb);
        if (rc == 0) {
            MDB_val nv = {sb.size, sb.data};
            rc = lb__mdb_err(t, mdb_cursor_put(cur, &k, &nv, MDB_CURRENT));
        }
        msgpack_sbuffer_destroy(&sb);
        if (rc == 0)
            rc = ix_apply(t, &rec, ikey, ilen, true);
        lb_idempotency_clear(&rec);
        if (rc) {
            mdb_cursor_close(cur);
            return rc;
        }
        u->filed++;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
        return lb__mdb_err(t, rc);
    return lb__meta_put(t, upgraded_key, sizeof upgraded_key - 1, 1);
}

int lb_idempotency_upgrade(lb_store *s, size_t *filed)
{
    struct upgrade u = {0};
    int rc = lb_store_run(s, upgrade_run, &u);
    if (filed)
        *filed = u.filed;
    return rc;
}
