/* store_users.c: users and login sessions.
 *
 * Users are records with events (user.created, user.updated; never the
 * password hash) and a unique username index. Sessions (under the hash of
 * their token) are bookkeeping: plain values, no version, no event
 * (idempotency keys are store_idempotency.c). lb_session_delete_user scans every
 * session, which is O(sessions): a municipality has few. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "store_internal.h"

static int user_keys(const void *r, struct lb__keys *ks)
{
    const struct lb_user *u = r;
    return lb__keys_add_str(ks, LB_IX_USER_NAME, u->username);
}

LB__RTYPE(user, LB_DB_USERS, user_keys);

static void user_event(struct lb__ev *e, const struct lb_user *u)
{
    lb__ev_str(e, "username", u->username);
    lb__ev_str(e, "role", lb_role_str(u->role));
    lb__ev_key(e, "units");
    int err = msgpack_pack_array(&e->pk, u->nunits);
    for (uint32_t i = 0; i < u->nunits; i++) {
        size_t n = strlen(u->units[i]);
        err |= msgpack_pack_str(&e->pk, n);
        err |= msgpack_pack_str_body(&e->pk, u->units[i], n);
    }
    if (err && !e->err)
        e->err = LB_ENOMEM;
    lb__ev_bool(e, "disabled", u->disabled);
}

static bool username_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
              ch == '-'))
            return false;
    }
    return true;
}

static bool units_ok(const struct lb_user *u)
{
    for (uint32_t i = 0; i < u->nunits; i++)
        if (!u->units || !u->units[i])
            return false;
    return true;
}

/* --- the authentication generation (lb_auth_generation) ----------------- */

static const char auth_gen_key[] = "auth_gen";

int lb_auth_generation(lb_txn *t, uint64_t *gen)
{
    return lb__meta_get(t, auth_gen_key, sizeof auth_gen_key - 1, gen);
}

/* Called by every write to users or sessions, in its transaction. */
static int auth_bump(lb_txn *t)
{
    uint64_t g;
    int rc = lb__meta_get(t, auth_gen_key, sizeof auth_gen_key - 1, &g);
    return rc ? rc : lb__meta_put(t, auth_gen_key, sizeof auth_gen_key - 1, g + 1);
}

int lb_user_create(lb_txn *t, const struct lb_ctx *c, struct lb_user *rec)
{
    lb_id id, other;
    if (!username_ok(rec->username) || (unsigned)rec->role >= LB_ROLE_COUNT || !units_ok(rec))
        return LB_EINVAL;
    int rc = lb__unique_get(t, LB_IX_USER_NAME, rec->username, strlen(rec->username), &other);
    if (rc == 0)
        return LB_EEXIST;
    if (rc != LB_ENOTFOUND)
        return rc;
    if ((rc = lb__next_id(t, &lb__user_type, &id)))
        return rc;
    lb__meta_new(&rec->meta, id, c);
    if ((rc = lb__put(t, &lb__user_type, NULL, rec)) || (rc = auth_bump(t)))
        return rc;
    struct lb__ev e;
    lb__ev_init(&e);
    user_event(&e, rec);
    rc = lb__ev_append(t, c, "user.created", id, &e);
    lb__ev_done(&e);
    return rc;
}

int lb_user_get_id(lb_txn *t, lb_id id, struct lb_user *out)
{
    return lb__get(t, &lb__user_type, id, out);
}

int lb_user_get(lb_txn *t, const char *username, struct lb_user *out)
{
    lb_id id;
    if (!username_ok(username))
        return LB_ENOTFOUND;
    int rc = lb__unique_get(t, LB_IX_USER_NAME, username, strlen(username), &id);
    return rc ? rc : lb_user_get_id(t, id, out);
}

int lb_user_update(lb_txn *t, const struct lb_ctx *c, struct lb_user *rec, uint64_t if_match)
{
    struct lb_user old = {0}, cur = {0};
    if ((unsigned)rec->role >= LB_ROLE_COUNT || !units_ok(rec))
        return LB_EINVAL;
    int rc = lb_user_get_id(t, rec->meta.id, &old);
    if (rc)
        return rc;
    if ((rc = lb_user_get_id(t, rec->meta.id, &cur)) || (rc = lb__touch(&cur.meta, c, if_match)))
        goto out;
    char **units = rec->nunits ? calloc(rec->nunits, sizeof *units) : NULL;
    if (rec->nunits && !units) {
        rc = LB_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < rec->nunits && !rc; i++)
        rc = lb__strdup(rec->units[i], &units[i]);
    for (uint32_t i = 0; i < cur.nunits; i++)
        free(cur.units[i]);
    free(cur.units);
    cur.units = units;
    cur.nunits = rec->nunits;
    if (rc || (rc = lb__strset(&cur.password_hash, rec->password_hash)) ||
        (rc = lb__strset(&cur.display_name, rec->display_name)))
        goto out;
    cur.role = rec->role;
    cur.disabled = rec->disabled;
    cur.password_changed_at = rec->password_changed_at;
    if ((rc = lb__put(t, &lb__user_type, &old, &cur)) || (rc = auth_bump(t)))
        goto out;
    struct lb__ev e;
    lb__ev_init(&e);
    user_event(&e, &cur);
    lb__ev_bool(&e, "password_changed", old.password_changed_at != cur.password_changed_at);
    rc = lb__ev_append(t, c, "user.updated", cur.meta.id, &e);
    lb__ev_done(&e);
    if (rc == 0) {
        lb_user_clear(rec);
        *rec = cur;
        memset(&cur, 0, sizeof cur);
    }
out:
    lb_user_clear(&old);
    lb_user_clear(&cur);
    return rc;
}

int lb_user_list(lb_txn *t, struct lb_page *p)
{
    struct lb__src src;
    int rc = lb__src_open(t, &src, LB_DB_USERS, NULL, 0, p->after);
    if (rc == 0)
        rc = lb__page_merge(t, &src, 1, NULL, NULL, p);
    lb__src_close(&src);
    return rc;
}

/* --- sessions ------------------------------------------------------------ */

int lb_session_put(lb_txn *t, const struct lb_session *s)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int rc = lb_session_encode(s, &sb);
    if (rc == 0) {
        MDB_val k = {32, (void *)s->token_hash}, v = {sb.size, sb.data};
        rc = lb__mdb_err(t, mdb_put(t->txn, lb__dbi(t, LB_DB_SESSIONS), &k, &v, 0));
    }
    msgpack_sbuffer_destroy(&sb);
    return rc ? rc : auth_bump(t);
}

int lb_session_get(lb_txn *t, const uint8_t token_hash[32], struct lb_session *out)
{
    MDB_val k = {32, (void *)token_hash}, v;
    int rc = mdb_get(t->txn, lb__dbi(t, LB_DB_SESSIONS), &k, &v);
    if (rc)
        return lb__mdb_err(t, rc);
    return lb_session_decode(v.mv_data, v.mv_size, out);
}

int lb_session_delete(lb_txn *t, const uint8_t token_hash[32])
{
    MDB_val k = {32, (void *)token_hash};
    int rc = lb__mdb_err(t, mdb_del(t->txn, lb__dbi(t, LB_DB_SESSIONS), &k, NULL));
    return rc ? rc : auth_bump(t);
}

int lb_session_delete_user(lb_txn *t, const char *username)
{
    MDB_cursor *cur;
    MDB_val k, v;
    if (!username)
        return LB_EINVAL;
    int rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_SESSIONS), &cur);
    if (rc)
        return lb__mdb_err(t, rc);
    int err = 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
        struct lb_session s = {0};
        /* A session that does not decode cannot be used: delete it too. */
        bool del = lb_session_decode(v.mv_data, v.mv_size, &s) != 0 ||
                   (s.username && strcmp(s.username, username) == 0);
        lb_session_clear(&s);
        if (del && (rc = mdb_cursor_del(cur, 0))) {
            err = lb__mdb_err(t, rc);
            break;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (!err && rc && rc != MDB_NOTFOUND)
        err = lb__mdb_err(t, rc);
    return err ? err : auth_bump(t);
}

struct user_session {
    uint8_t hash[32];
    lb_time created_at;
};

static int by_created(const void *a, const void *b)
{
    const struct user_session *x = a, *y = b;
    return x->created_at < y->created_at ? -1 : x->created_at > y->created_at;
}

int lb_session_trim_user(lb_txn *t, const char *username, size_t keep, const uint8_t keep_hash[32],
                         lb_time now)
{
    MDB_cursor *cur;
    MDB_val k, v;
    if (!username)
        return LB_EINVAL;
    int rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_SESSIONS), &cur);
    if (rc)
        return lb__mdb_err(t, rc);
    struct user_session *live = NULL;
    size_t n = 0, cap = 0;
    int err = 0;
    bool deleted = false;
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0 && !err) {
        struct lb_session s = {0};
        bool mine = k.mv_size == 32 && lb_session_decode(v.mv_data, v.mv_size, &s) == 0 &&
                    s.username && strcmp(s.username, username) == 0;
        bool kept = mine && memcmp(k.mv_data, keep_hash, 32) == 0;
        if (mine && !kept && s.expires_at <= now) {
            if ((rc = mdb_cursor_del(cur, 0)))
                err = lb__mdb_err(t, rc);
            deleted = true;
        } else if (mine && !kept) {
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 32;
                struct user_session *m = realloc(live, nc * sizeof *m);
                if (!m)
                    err = LB_ENOMEM;
                else
                    live = m, cap = nc;
            }
            if (!err) {
                memcpy(live[n].hash, k.mv_data, 32);
                live[n++].created_at = s.created_at;
            }
        }
        lb_session_clear(&s);
        if (!err)
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (!err && rc && rc != MDB_NOTFOUND)
        err = lb__mdb_err(t, rc);
    /* keep_hash counts as one of the kept. */
    size_t room = keep > 0 ? keep - 1 : 0;
    if (!err && n > room) {
        qsort(live, n, sizeof *live, by_created);
        for (size_t i = 0; i < n - room && !err; i++) {
            MDB_val dk = {32, live[i].hash};
            if ((rc = mdb_del(t->txn, lb__dbi(t, LB_DB_SESSIONS), &dk, NULL)))
                err = lb__mdb_err(t, rc);
            deleted = true;
        }
    }
    free(live);
    if (err)
        return err;
    return deleted ? auth_bump(t) : 0;
}
