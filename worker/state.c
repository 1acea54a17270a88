/* state.c: the worker's LMDB environment (see state.h).
 *
 * The only file of the worker that calls LMDB: every MDB_* code is translated
 * here (lb_err_of), so the scheduler sees lb_err values only. Records are
 * fixed-size structs; reads check size and version before copying, and
 * strings are forced NUL-terminated, so a damaged file cannot make the worker
 * read out of bounds. */
#include "state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lotsbok/error.h"

struct lb_wstate {
    MDB_env *env;
    size_t map_size;
    MDB_dbi meta, cases, handoffs, followups, calls, pending, effects;
};

static int lb_err_of(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return 0;
    case MDB_NOTFOUND:
        return LB_ENOTFOUND;
    case MDB_MAP_FULL:
        return LB_EMAPFULL;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
        return LB_ECORRUPT;
    case ENOMEM:
        return LB_ENOMEM;
    case ENOSPC:
        return LB_ENOSPC;
    case EIO:
        return LB_EIO;
    default:
        return LB_EINTERNAL;
    }
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int lb_wstate_open(const char *dir, size_t map_size, lb_wstate **out)
{
    *out = NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return LB_EIO;
    lb_wstate *s = calloc(1, sizeof *s);
    if (s == NULL)
        return LB_ENOMEM;
    s->map_size = map_size != 0 ? map_size : (size_t)1 << 30;
    int rc = mdb_env_create(&s->env);
    if (rc != 0) {
        free(s);
        return lb_err_of(rc);
    }
    MDB_txn *t = NULL;
    int dead = 0;
    if ((rc = mdb_env_set_maxdbs(s->env, 16)) != 0 ||
        (rc = mdb_env_set_mapsize(s->env, s->map_size)) != 0 ||
        (rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600)) != 0 ||
        (rc = mdb_reader_check(s->env, &dead)) != 0 || (rc = mdb_txn_begin(s->env, NULL, 0, &t)))
        goto fail;
    struct {
        const char *name;
        MDB_dbi *dbi;
    } dbs[] = {{"meta", &s->meta},           {"cases", &s->cases}, {"handoffs", &s->handoffs},
               {"followups", &s->followups}, {"calls", &s->calls}, {"pending", &s->pending},
               {"effects", &s->effects}};
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++)
        if ((rc = mdb_dbi_open(t, dbs[i].name, MDB_CREATE, dbs[i].dbi)) != 0)
            goto fail;
    if ((rc = mdb_txn_commit(t)) != 0) {
        t = NULL;
        goto fail;
    }
    *out = s;
    return 0;
fail:
    if (t != NULL)
        mdb_txn_abort(t);
    mdb_env_close(s->env);
    free(s);
    return lb_err_of(rc);
}

void lb_wstate_close(lb_wstate *s)
{
    if (s == NULL)
        return;
    mdb_env_close(s->env);
    free(s);
}

int lb_wstate_grow(lb_wstate *s)
{
    size_t next = s->map_size * 2;
    int rc = mdb_env_set_mapsize(s->env, next);
    if (rc != 0)
        return lb_err_of(rc);
    s->map_size = next;
    return 0;
}

int lb_wstate_begin(lb_wstate *s, bool write, MDB_txn **out)
{
    return lb_err_of(mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, out));
}

int lb_wstate_begin_nested(lb_wstate *s, MDB_txn *parent, MDB_txn **out)
{
    return lb_err_of(mdb_txn_begin(s->env, parent, 0, out));
}

int lb_wstate_commit(MDB_txn *t)
{
    return lb_err_of(mdb_txn_commit(t));
}

void lb_wstate_abort(MDB_txn *t)
{
    mdb_txn_abort(t);
}

/* Reads a fixed-size versioned value into out (size bytes). */
static int get_fixed(MDB_txn *t, MDB_dbi dbi, const void *k, size_t klen, void *out, size_t size)
{
    MDB_val key = {klen, (void *)k}, val;
    int rc = mdb_get(t, dbi, &key, &val);
    if (rc != 0)
        return lb_err_of(rc);
    if (val.mv_size != size || ((const uint8_t *)val.mv_data)[0] != LB_WSTATE_VERSION)
        return LB_ECORRUPT;
    memcpy(out, val.mv_data, size);
    return 0;
}

static int put_fixed(MDB_txn *t, MDB_dbi dbi, const void *k, size_t klen, const void *rec,
                     size_t size)
{
    MDB_val key = {klen, (void *)k}, val = {size, (void *)rec};
    *(uint8_t *)val.mv_data = LB_WSTATE_VERSION; /* callers pass their own copy */
    return lb_err_of(mdb_put(t, dbi, &key, &val, 0));
}

int lb_wstate_cursor_get(lb_wstate *s, MDB_txn *t, uint64_t *seq)
{
    MDB_val key = {6, "cursor"}, val;
    int rc = mdb_get(t, s->meta, &key, &val);
    if (rc == MDB_NOTFOUND) {
        *seq = 0;
        return 0;
    }
    if (rc != 0)
        return lb_err_of(rc);
    if (val.mv_size != 8)
        return LB_ECORRUPT;
    *seq = get_be64(val.mv_data);
    return 0;
}

int lb_wstate_cursor_put(lb_wstate *s, MDB_txn *t, uint64_t seq)
{
    uint8_t b[8];
    put_be64(b, seq);
    MDB_val key = {6, "cursor"}, val = {8, b};
    return lb_err_of(mdb_put(t, s->meta, &key, &val, 0));
}

#define ID_KEY(name, id)                                                                           \
    uint8_t name[8];                                                                               \
    put_be64(name, id)

int lb_wstate_case_get(lb_wstate *s, MDB_txn *t, lb_id id, struct lb_wcase *out)
{
    ID_KEY(k, id);
    int rc = get_fixed(t, s->cases, k, 8, out, sizeof *out);
    if (rc == 0)
        out->owner[LB_WNAME_MAX - 1] = '\0';
    return rc;
}

int lb_wstate_case_put(lb_wstate *s, MDB_txn *t, lb_id id, const struct lb_wcase *rec)
{
    ID_KEY(k, id);
    struct lb_wcase copy = *rec;
    return put_fixed(t, s->cases, k, 8, &copy, sizeof copy);
}

int lb_wstate_handoff_get(lb_wstate *s, MDB_txn *t, lb_id id, struct lb_whandoff *out)
{
    ID_KEY(k, id);
    int rc = get_fixed(t, s->handoffs, k, 8, out, sizeof *out);
    if (rc == 0)
        out->unit[LB_WNAME_MAX - 1] = '\0';
    return rc;
}

int lb_wstate_handoff_put(lb_wstate *s, MDB_txn *t, lb_id id, const struct lb_whandoff *rec)
{
    ID_KEY(k, id);
    struct lb_whandoff copy = *rec;
    return put_fixed(t, s->handoffs, k, 8, &copy, sizeof copy);
}

int lb_wstate_followup_get(lb_wstate *s, MDB_txn *t, lb_id id, struct lb_wfollowup *out)
{
    ID_KEY(k, id);
    return get_fixed(t, s->followups, k, 8, out, sizeof *out);
}

int lb_wstate_followup_put(lb_wstate *s, MDB_txn *t, lb_id id, const struct lb_wfollowup *rec)
{
    ID_KEY(k, id);
    struct lb_wfollowup copy = *rec;
    int rc = put_fixed(t, s->followups, k, 8, &copy, sizeof copy);
    if (rc != 0 || rec->company_id == 0)
        return rc;
    uint8_t ck[16];
    put_be64(ck, rec->company_id);
    put_be64(ck + 8, id);
    MDB_val key = {16, ck}, val = {0, ""};
    return lb_err_of(mdb_put(t, s->calls, &key, &val, 0));
}

int lb_wstate_company_calls(lb_wstate *s, MDB_txn *t, lb_id company_id, lb_id *ids, size_t cap,
                            size_t *n)
{
    *n = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t, s->calls, &c);
    if (rc != 0)
        return lb_err_of(rc);
    uint8_t ck[16];
    put_be64(ck, company_id);
    put_be64(ck + 8, 0);
    MDB_val key = {16, ck}, val;
    int out = 0;
    rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
    while (rc == 0) {
        if (key.mv_size != 16) {
            out = LB_ECORRUPT;
            break;
        }
        if (get_be64(key.mv_data) != company_id)
            break;
        if (*n == cap) {
            out = LB_ETOOBIG;
            break;
        }
        ids[(*n)++] = get_be64((const uint8_t *)key.mv_data + 8);
        rc = mdb_cursor_get(c, &key, &val, MDB_NEXT);
    }
    if (out == 0 && rc != 0 && rc != MDB_NOTFOUND)
        out = lb_err_of(rc);
    mdb_cursor_close(c);
    return out;
}

/* Dates are signed; biasing by 2^31 makes big-endian order the date order. */
static void pending_key(uint8_t *k, lb_date sent, lb_id id)
{
    put_be32(k, (uint32_t)((int64_t)sent + 2147483648LL));
    put_be64(k + 4, id);
}

int lb_wstate_pending_put(lb_wstate *s, MDB_txn *t, lb_date sent, lb_id handoff_id)
{
    uint8_t k[12];
    pending_key(k, sent, handoff_id);
    MDB_val key = {12, k}, val = {0, ""};
    return lb_err_of(mdb_put(t, s->pending, &key, &val, 0));
}

int lb_wstate_pending_del(lb_wstate *s, MDB_txn *t, lb_date sent, lb_id handoff_id)
{
    uint8_t k[12];
    pending_key(k, sent, handoff_id);
    MDB_val key = {12, k};
    int rc = mdb_del(t, s->pending, &key, NULL);
    return rc == MDB_NOTFOUND ? 0 : lb_err_of(rc);
}

int lb_wstate_pending_list(lb_wstate *s, MDB_txn *t, struct lb_wpending *out, size_t cap, size_t *n)
{
    *n = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(t, s->pending, &c);
    if (rc != 0)
        return lb_err_of(rc);
    MDB_val key, val;
    int res = 0;
    rc = mdb_cursor_get(c, &key, &val, MDB_FIRST);
    while (rc == 0 && *n < cap) {
        if (key.mv_size != 12) {
            res = LB_ECORRUPT;
            break;
        }
        const uint8_t *k = key.mv_data;
        out[*n].sent = (lb_date)((int64_t)get_be32(k) - 2147483648LL);
        out[*n].handoff_id = get_be64(k + 4);
        (*n)++;
        rc = mdb_cursor_get(c, &key, &val, MDB_NEXT);
    }
    if (res == 0 && rc != 0 && rc != MDB_NOTFOUND)
        res = lb_err_of(rc);
    mdb_cursor_close(c);
    return res;
}

int lb_wstate_effect_get(lb_wstate *s, MDB_txn *t, const char *key, struct lb_weffect *out)
{
    return get_fixed(t, s->effects, key, strlen(key), out, sizeof *out);
}

int lb_wstate_effect_put(lb_wstate *s, MDB_txn *t, const char *key, const struct lb_weffect *rec)
{
    struct lb_weffect copy = *rec;
    return put_fixed(t, s->effects, key, strlen(key), &copy, sizeof copy);
}

int lb_wstate_dbi(lb_wstate *s, const char *name, MDB_dbi *out)
{
    MDB_txn *t;
    int rc = mdb_txn_begin(s->env, NULL, 0, &t);
    if (rc != 0)
        return lb_err_of(rc);
    if ((rc = mdb_dbi_open(t, name, MDB_CREATE, out)) != 0) {
        mdb_txn_abort(t);
        return lb_err_of(rc);
    }
    return lb_err_of(mdb_txn_commit(t));
}

int lb_wstate_err(int mdb_rc)
{
    return lb_err_of(mdb_rc);
}

int lb_wstate_nosync(lb_wstate *s, bool on)
{
    return lb_err_of(mdb_env_set_flags(s->env, MDB_NOSYNC, on ? 1 : 0));
}

int lb_wstate_sync(lb_wstate *s)
{
    return lb_err_of(mdb_env_sync(s->env, 1));
}
