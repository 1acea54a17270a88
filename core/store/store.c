/* store.c: the LMDB environment, transactions, group commit, the outbox,
 * backup and the consistency check.
 *
 * One environment per data directory (data.mdb + lock.mdb), opened with
 * MDB_NOTLS so read transactions are not tied to threads, and without
 * MDB_WRITEMAP because nested transactions need it off. Every sub-database is
 * opened once at start in one write transaction.
 *
 * Group commit (lb_store_batch): one write transaction. Operations first run
 * directly in it, one after the other: a nested LMDB transaction costs a
 * malloc'd dirty-page list (about 2 MB zeroed per begin) and a merge into the
 * parent per operation, which at 40 requests per commit was most of the
 * store's CPU. When every operation succeeds, that is the batch. When one
 * fails, it may have written part of its records already, so the whole
 * transaction is aborted and the batch run again with each operation in a
 * nested transaction, so a failing one rolls back alone and consumes no
 * event sequence number (the next seq is always the outbox's last key + 1,
 * read inside the transaction). A batch of one needs no second run: its
 * failing operation's transaction is simply aborted. Operations are
 * callable more than once (store.h), which this and map growth rely on. When LMDB reports
 * MDB_MAP_FULL anywhere, the whole batch is aborted, the map doubled (with no transaction open) and
 * every operation run again. The commit syncs (unless no_sync); if it fails, every operation is
 * told so and nothing was written. Growing calls mdb_env_set_mapsize, which LMDB allows only while
 * no transaction of this process is open: every top-level transaction holds the store's
 * map_lock shared from its begin to its end, and growth (and adopting a map another process
 * grew, MDB_MAP_RESIZED) takes it exclusive, so lotsd's commit thread can grow the map while
 * its loop thread reads. A thread must not grow while it holds a transaction itself: the one
 * that calls lb_store_batch holds no read transaction meanwhile (growth would wait forever).
 * When growth fails (no address space for the larger map), LMDB has already unmapped the file:
 * remap opens the environment again at its old size, so the store goes on and only the batch
 * that needed the room fails (issue 30).
 *
 * The outbox is the sub-database "events": big-endian seq -> the envelope
 * bytes exactly as they are published. meta["last_seq"] mirrors the last key
 * and is written once per batch.
 *
 * Read transactions are recycled: lb_txn_end resets one (mdb_txn_reset) and
 * keeps it in the store, and the next lb_txn_read renews it, which keeps its
 * reader slot and skips the allocation and the reader-table lock of a fresh
 * begin (GET answers begin and end one per request). The kept one holds no
 * snapshot; it is freed before map growth and at close.
 *
 * lb__mdb_err is the one place an MDB_* code becomes an lb_err. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "lotsbok/calendar.h"
#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "lotsbok/logfmt.h"
#include "lotsbok/timeutil.h"
#include "store_internal.h"

/* LMDB's map is address space, not memory (without MDB_WRITEMAP the file grows only
 * as pages are used), so the default is large enough that growth, which needs a moment
 * with no transaction open and can fail for want of address space, is rare. */
#define LB_DEFAULT_MAP ((size_t)1 << 30)
#define LB_MAX_DBS 64
#define LB_FULL_DISK_BYTES (16u << 20)

static const char *const db_names[LB_DB_COUNT] = {
    [LB_DB_META] = "meta",
    [LB_DB_EVENTS] = "events",
    [LB_DB_COMPANIES] = "companies",
    [LB_DB_CASES] = "cases",
    [LB_DB_CONTACTS] = "contacts",
    [LB_DB_HANDOFFS] = "handoffs",
    [LB_DB_FOLLOWUPS] = "followups",
    [LB_DB_IMPROVEMENTS] = "improvements",
    [LB_DB_SNAPSHOTS] = "snapshots",
    [LB_DB_USERS] = "users",
    [LB_DB_SESSIONS] = "sessions",
    [LB_DB_IDEMPOTENCY] = "idempotency",
    [LB_DB_SEARCH] = "search",
    [LB_DB_PLAN] = "plan",
    [LB_DB_PLAN_ACTIONS] = "plan_actions",
    [LB_DB_PLAN_FOLLOWUPS] = "plan_followups",
    [LB_DB_SURVEY_TOKENS] = "survey_tokens",
    [LB_DB_MEETINGS] = "meetings",
    [LB_DB_MEETING_EVALS] = "meeting_evals",
    [LB_DB_IDEM_INDEX] = "idempotency_ix",
    [LB_DB_SEARCH_PENDING] = "search_pending",
    [LB_IX_COMPANY_ORGNR] = "ix_company_orgnr",
    [LB_IX_COMPANY_NAME] = "ix_company_name",
    [LB_IX_CASE_STATUS] = "ix_case_status",
    [LB_IX_CASE_OWNER] = "ix_case_owner",
    [LB_IX_CASE_COMPANY] = "ix_case_company",
    [LB_IX_CASE_NUMBER] = "ix_case_number",
    [LB_IX_CONTACT_CASE] = "ix_contact_case",
    [LB_IX_HANDOFF_UNIT_STATUS] = "ix_handoff_unit_status",
    [LB_IX_HANDOFF_STATUS] = "ix_handoff_status",
    [LB_IX_HANDOFF_CASE] = "ix_handoff_case",
    [LB_IX_FOLLOWUP_ASSIGNEE_DUE] = "ix_followup_assignee_due",
    [LB_IX_FOLLOWUP_STATUS] = "ix_followup_status",
    [LB_IX_FOLLOWUP_CASE] = "ix_followup_case",
    [LB_IX_USER_NAME] = "ix_user_name",
    [LB_IX_PLAN_ACTION_CODE] = "ix_plan_action_code",
    [LB_IX_PLAN_FOLLOWUP] = "ix_plan_followup",
    [LB_IX_MEETING_COMPANY] = "ix_meeting_company",
    [LB_IX_EVAL_MEETING] = "ix_eval_meeting",
    [LB_IX_EVAL_COMPANY] = "ix_eval_company",
};

bool lb__db_unique(enum lb__db db)
{
    return db == LB_IX_COMPANY_ORGNR || db == LB_IX_CASE_NUMBER || db == LB_IX_USER_NAME ||
           db == LB_IX_PLAN_ACTION_CODE || db == LB_IX_PLAN_FOLLOWUP;
}

static bool db_is_dup(enum lb__db db)
{
    return db >= LB_IX_COMPANY_ORGNR && !lb__db_unique(db);
}

int lb__mdb_err(lb_txn *t, int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return 0;
    case MDB_NOTFOUND:
        return LB_ENOTFOUND;
    case MDB_KEYEXIST:
        return LB_EEXIST;
    case MDB_MAP_FULL:
        if (t)
            t->map_full = true;
        return LB_EMAPFULL;
    case MDB_TXN_FULL:
    case MDB_BAD_VALSIZE:
        return LB_ETOOBIG;
    case MDB_READERS_FULL:
    case MDB_MAP_RESIZED:
        return LB_EBUSY;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_INCOMPATIBLE:
        return LB_ECORRUPT;
    case ENOENT:
        return LB_ENOTFOUND;
    case ENOSPC:
    case EDQUOT:
    case EFBIG: /* over the file size limit: as full as a full disk */
        return LB_ENOSPC;
    case EIO:
        return LB_EIO;
    case ENOMEM:
        return LB_ENOMEM;
    case EEXIST:
        return LB_EEXIST;
    case EACCES:
    case EPERM:
        return LB_EPERM;
    case EAGAIN:
    case EBUSY:
        return LB_EBUSY;
    default:
        return LB_EINTERNAL;
    }
}

MDB_dbi lb__dbi(lb_txn *t, enum lb__db db)
{
    return t->s->dbi[db];
}

void lb__be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t lb__rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

void lb__be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t lb__rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* --- environment --------------------------------------------------------- */

static int path_join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= len ? LB_ETOOBIG : 0;
}

/* Creates s->env on s->dir with a map of s->map_size bytes (or the larger
 * size the file already has, which s->map_size then holds), opens every
 * sub-database into s->dbi and reads the outbox's last seq into *last.
 * Returns an MDB_* code or errno; on failure s->env is closed and NULL. */
static int env_open(lb_store *s, uint64_t *last)
{
    int rc = mdb_env_create(&s->env);
    if (rc) {
        s->env = NULL;
        return rc;
    }
    unsigned flags = MDB_NOTLS | (s->cfg.no_sync ? MDB_NOSYNC : 0);
    if ((rc = mdb_env_set_maxdbs(s->env, LB_MAX_DBS)) ||
        (rc = mdb_env_set_mapsize(s->env, s->map_size)) ||
        (rc = mdb_env_open(s->env, s->dir, flags, 0600)))
        goto fail;
    /* The file may be larger than our configured map (it grew before). */
    MDB_envinfo info;
    if ((rc = mdb_env_info(s->env, &info)))
        goto fail;
    s->map_size = info.me_mapsize;
    int dead = 0;
    if ((rc = mdb_reader_check(s->env, &dead)))
        goto fail;

    MDB_txn *txn;
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)))
        goto fail;
    for (int i = 0; i < LB_DB_COUNT; i++) {
        unsigned f = MDB_CREATE;
        if (db_is_dup((enum lb__db)i) || i == LB_DB_SEARCH)
            f |= MDB_DUPSORT | MDB_DUPFIXED;
        if ((rc = mdb_dbi_open(txn, db_names[i], f, &s->dbi[i]))) {
            mdb_txn_abort(txn);
            goto fail;
        }
    }
    MDB_cursor *cur;
    MDB_val k, v;
    *last = 0;
    if ((rc = mdb_cursor_open(txn, s->dbi[LB_DB_EVENTS], &cur))) {
        mdb_txn_abort(txn);
        goto fail;
    }
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (rc == 0 && k.mv_size == 8)
        *last = lb__rd64(k.mv_data);
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        goto fail;
    }
    if ((rc = mdb_txn_commit(txn)))
        goto fail;
    return 0;
fail:
    mdb_env_close(s->env);
    s->env = NULL;
    return rc;
}

static int search_complete(lb_txn *t, void *arg)
{
    (void)arg;
    return lb__search_init(t, true);
}

static int search_missing(lb_txn *t, void *arg)
{
    (void)arg;
    return lb__search_init(t, false);
}

static int stamp_data_version(lb_txn *t, void *arg);

/* Opens the environment in dir and every sub-database. */
static int store_open(const char *dir, const struct lb_store_config *cfg, bool create,
                      lb_store **out)
{
    *out = NULL;
    lb_store *s = calloc(1, sizeof *s);
    if (!s)
        return LB_ENOMEM;
    if (pthread_rwlock_init(&s->map_lock, NULL) != 0) {
        free(s);
        return LB_ENOMEM;
    }
    if (cfg)
        s->cfg = *cfg;
    if (s->cfg.followup_retry_days <= 0)
        s->cfg.followup_retry_days = 2;
    if (s->cfg.followup_max_attempts <= 0)
        s->cfg.followup_max_attempts = 3;
    s->map_size = s->cfg.map_size ? s->cfg.map_size : LB_DEFAULT_MAP;
    s->search_off = s->cfg.no_search_index;
    if (snprintf(s->dir, sizeof s->dir, "%s", dir) >= (int)sizeof s->dir) {
        pthread_rwlock_destroy(&s->map_lock);
        free(s);
        return LB_ETOOBIG;
    }
    uint64_t last;
    int rc = env_open(s, &last);
    if (rc) {
        pthread_rwlock_destroy(&s->map_lock);
        free(s);
        return lb__mdb_err(NULL, rc);
    }
    atomic_store(&s->last_seq, last);
    if (create && (rc = lb_store_run(s, stamp_data_version, NULL))) {
        lb_store_close(s);
        return rc;
    }
    if (create || s->search_off) {
        /* A new environment's empty index is complete; a store that will
         * not maintain it marks it missing, so a later start rebuilds it. */
        rc = lb_store_run(s, create && !s->search_off ? search_complete : search_missing, NULL);
        if (rc) {
            lb_store_close(s);
            return rc;
        }
    }
    *out = s;
    return 0;
}

/* Creates dir and its missing parents (mode 0700), like mkdir -p. Returns 0
 * or an lb_err (errno translated). */
static int mkdir_p(const char *dir)
{
    char p[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof p)
        return LB_ETOOBIG;
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return lb__mdb_err(NULL, errno);
        p[i] = c;
    }
    return 0;
}

int lb_store_create(const char *dir, const struct lb_store_config *cfg, lb_store **out)
{
    char path[PATH_MAX];
    struct stat st;
    *out = NULL;
    if (!dir || !*dir)
        return LB_EINVAL;
    int rc = mkdir_p(dir);
    if (rc)
        return rc;
    if (path_join(path, sizeof path, dir, "data.mdb"))
        return LB_ETOOBIG;
    if (stat(path, &st) == 0)
        return LB_EEXIST;
    return store_open(dir, cfg, true, out);
}

int lb_store_open(const char *dir, const struct lb_store_config *cfg, lb_store **out)
{
    char path[PATH_MAX];
    struct stat st;
    *out = NULL;
    if (!dir || !*dir)
        return LB_EINVAL;
    if (path_join(path, sizeof path, dir, "data.mdb"))
        return LB_ETOOBIG;
    if (stat(path, &st) != 0)
        return LB_ENOTFOUND;
    return store_open(dir, cfg, false, out);
}

static void drop_spare_read(lb_store *s);

void lb_store_close(lb_store *s)
{
    if (!s)
        return;
    drop_spare_read(s);
    mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->map_lock);
    free(s);
}

uint64_t lb_store_last_seq(lb_store *s)
{
    return atomic_load(&s->last_seq);
}

/* Logs one line about the store's own state (rare: map growth failing). */
static void store_log(const char *msg, size_t from, size_t to, int rc)
{
    char ts[32], line[LB_LOGFMT_MAX + 640];
    struct lb_logfmt f;
    lb_logfmt_init(&f);
    lb_logfmt_int(&f, "map_bytes", (long long)from);
    lb_logfmt_int(&f, "wanted_bytes", (long long)to);
    lb_logfmt_str(&f, "error", mdb_strerror(rc));
    lb_time_format_rfc3339(lb_time_now(), ts);
    fwrite(line, 1, lb_logfmt_line(line, sizeof line, ts, "error", msg, &f), stderr);
    fflush(stderr);
}

/* Changes the map's size under the exclusive map lock, since LMDB allows it
 * only with no transaction of this process open: doubled when grow, else
 * adopting the size another process grew the file to. s->map_size is read
 * and written only under the lock (and at open).
 *
 * When mdb_env_set_mapsize fails (mmap refused: out of address space, a
 * RLIMIT_AS), LMDB has already unmapped the file and left the environment
 * without a map, where the next transaction would crash. The environment is
 * then closed and opened again at the size it had, which the unmapping has
 * just freed; the store goes on at that size and the caller's batch fails
 * with the error. Should even that fail, the store is marked broken: every
 * later transaction fails with EIO and lb_store_broken tells lotsd to stop.
 * Returns 0 or an lb_err. */
static int remap(lb_store *s, bool grow)
{
    pthread_rwlock_wrlock(&s->map_lock);
    if (s->broken) {
        pthread_rwlock_unlock(&s->map_lock);
        return LB_EIO;
    }
    drop_spare_read(s);
    size_t old = s->map_size, size = 0;
    if (grow) {
        size = old * 2;
        if (size < old) {
            pthread_rwlock_unlock(&s->map_lock);
            return LB_ENOSPC;
        }
    }
    int rc = mdb_env_set_mapsize(s->env, size);
    if (rc == 0) {
        MDB_envinfo info;
        if (mdb_env_info(s->env, &info) == 0)
            s->map_size = info.me_mapsize;
        pthread_rwlock_unlock(&s->map_lock);
        return 0;
    }
    mdb_env_close(s->env); /* it has no map: nothing else to do with it */
    s->env = NULL;
    s->map_size = old;
    uint64_t last;
    int rc2 = env_open(s, &last);
    if (rc2 == 0) {
        store_log("map growth failed; the environment is open again at its old size", old, size,
                  rc);
    } else {
        s->broken = true;
        store_log("map growth failed and the environment cannot be opened again; "
                  "the store is unusable",
                  old, size, rc2);
    }
    pthread_rwlock_unlock(&s->map_lock);
    return lb__mdb_err(NULL, rc);
}

/* Doubles the map (the caller holds no transaction). */
static int store_grow(lb_store *s)
{
    return remap(s, true);
}

bool lb_store_broken(lb_store *s)
{
    pthread_rwlock_rdlock(&s->map_lock);
    bool broken = s->broken;
    pthread_rwlock_unlock(&s->map_lock);
    return broken;
}

static int is_empty_dir(const char *path, bool *empty)
{
    DIR *d = opendir(path);
    if (!d)
        return lb__mdb_err(NULL, errno);
    struct dirent *e;
    *empty = true;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            *empty = false;
            break;
        }
    }
    closedir(d);
    return 0;
}

/* Writes a compacting copy of s as data.mdb (mode 0600 whatever the umask)
 * into the open directory dirfd and syncs the file and the directory. On
 * failure the partial file is removed. Returns 0 or an lb_err. */
static int copy_into(lb_store *s, int dirfd)
{
    int fd = openat(dirfd, "data.mdb", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return lb__mdb_err(NULL, errno);
    int rc = fchmod(fd, 0600) != 0 ? errno : 0;
    if (rc == 0) {
        pthread_rwlock_rdlock(&s->map_lock); /* the copy reads the map */
        rc = s->broken ? EIO : mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
        pthread_rwlock_unlock(&s->map_lock);
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = errno;
    if (close(fd) != 0 && rc == 0)
        rc = errno;
    if (rc == 0 && fsync(dirfd) != 0)
        rc = errno;
    if (rc != 0)
        unlinkat(dirfd, "data.mdb", 0);
    return rc ? lb__mdb_err(NULL, rc) : 0;
}

/* Creates directory `to` (or takes an existing empty one) and makes it 0700
 * whatever the umask or its mode before. Returns an open fd of it in *dirfd. */
static int private_dir(const char *to, int *dirfd)
{
    bool empty = false;
    *dirfd = -1;
    if (mkdir(to, 0700) != 0) {
        if (errno != EEXIST)
            return lb__mdb_err(NULL, errno);
        int rc = is_empty_dir(to, &empty);
        if (rc)
            return rc;
        if (!empty)
            return LB_EEXIST;
    }
    int fd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return lb__mdb_err(NULL, errno);
    if (fchmod(fd, 0700) != 0) {
        int err = errno;
        close(fd);
        return lb__mdb_err(NULL, err);
    }
    *dirfd = fd;
    return 0;
}

int lb_store_backup(lb_store *s, const char *to)
{
    if (!to || !*to)
        return LB_EINVAL;
    int dirfd;
    int rc = private_dir(to, &dirfd);
    if (rc)
        return rc;
    rc = copy_into(s, dirfd);
    close(dirfd);
    return rc;
}

/* --- transactions -------------------------------------------------------- */

/* Begins a top-level transaction holding the map lock shared, which the
 * caller releases when the transaction ends; a map another process grew is
 * adopted first. Returns an MDB_* code. */
static int txn_begin(lb_store *s, unsigned flags, MDB_txn **out)
{
    pthread_rwlock_rdlock(&s->map_lock);
    int rc = s->broken ? EIO : mdb_txn_begin(s->env, NULL, flags, out);
    if (rc == MDB_MAP_RESIZED) {
        pthread_rwlock_unlock(&s->map_lock);
        int err = remap(s, false);
        if (err != 0)
            return err == LB_ENOMEM ? ENOMEM : EIO;
        pthread_rwlock_rdlock(&s->map_lock);
        rc = s->broken ? EIO : mdb_txn_begin(s->env, NULL, flags, out);
    }
    if (rc != 0)
        pthread_rwlock_unlock(&s->map_lock);
    return rc;
}

/* Ends and frees a read transaction with its record cursors. */
static void read_free(lb_txn *t)
{
    for (size_t i = 0; i < LB_DB_COUNT; i++)
        if (t->rcur[i])
            mdb_cursor_close(t->rcur[i]);
    mdb_txn_abort(t->txn);
    free(t);
}

/* Frees the kept read transactions (before map growth and close). */
static void drop_spare_read(lb_store *s)
{
    for (size_t i = 0; i < LB__SPARE_READS; i++) {
        lb_txn *t = atomic_exchange(&s->spare_read[i], NULL);
        if (t)
            read_free(t);
    }
}

int lb_txn_read(lb_store *s, lb_txn **out)
{
    *out = NULL;
    pthread_rwlock_rdlock(&s->map_lock);
    lb_txn *t = NULL;
    for (size_t i = 0; i < LB__SPARE_READS && !t; i++)
        t = atomic_exchange(&s->spare_read[i], NULL);
    if (t) {
        /* Renewing takes a fresh snapshot; on any failure (a map another
         * process grew, say) fall back to a new transaction below. */
        if (mdb_txn_renew(t->txn) == 0) {
            t->map_full = false;
            t->rcur_live = 0; /* each cursor is renewed when next used */
            *out = t;
            return 0; /* holding the map lock */
        }
        read_free(t);
    }
    pthread_rwlock_unlock(&s->map_lock);
    t = calloc(1, sizeof *t);
    if (!t)
        return LB_ENOMEM;
    t->s = s;
    int rc = txn_begin(s, MDB_RDONLY, &t->txn);
    if (rc) {
        free(t);
        return lb__mdb_err(NULL, rc);
    }
    *out = t;
    return 0;
}

void lb_txn_end(lb_txn *t)
{
    if (!t)
        return;
    lb_store *s = t->s;
    if (!t->write) {
        /* Kept for a next lb_txn_read when a spare slot is free. */
        mdb_txn_reset(t->txn);
        bool kept = false;
        for (size_t i = 0; i < LB__SPARE_READS && !kept; i++) {
            lb_txn *none = NULL;
            kept = atomic_compare_exchange_strong(&s->spare_read[i], &none, t);
        }
        if (!kept)
            read_free(t);
        pthread_rwlock_unlock(&s->map_lock);
        return;
    }
    mdb_txn_abort(t->txn);
    free(t);
    pthread_rwlock_unlock(&s->map_lock);
}

static int last_seq_in(lb_txn *t, uint64_t *seq);

int lb__txn_write(lb_store *s, lb_txn **out)
{
    *out = NULL;
    lb_txn *t = calloc(1, sizeof *t);
    if (!t)
        return LB_ENOMEM;
    t->s = s;
    t->write = true;
    int rc = txn_begin(s, 0, &t->txn);
    if (rc) {
        free(t);
        return lb__mdb_err(NULL, rc);
    }
    *out = t;
    return 0;
}

int lb__txn_commit(lb_txn *t)
{
    uint64_t last = 0;
    int rc = last_seq_in(t, &last);
    if (rc == 0) {
        static const char key[] = "last_seq";
        rc = lb__meta_put(t, key, sizeof key - 1, last);
    }
    lb_store *s = t->s;
    if (rc) {
        mdb_txn_abort(t->txn);
        free(t);
        pthread_rwlock_unlock(&s->map_lock);
        return rc;
    }
    rc = lb__mdb_err(t, mdb_txn_commit(t->txn));
    if (rc == 0)
        atomic_store(&s->last_seq, last);
    free(t);
    pthread_rwlock_unlock(&s->map_lock);
    return rc;
}

static int last_seq_in(lb_txn *t, uint64_t *seq)
{
    MDB_cursor *cur;
    MDB_val k, v;
    *seq = 0;
    int rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_EVENTS), &cur);
    if (rc)
        return lb__mdb_err(t, rc);
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return lb__mdb_err(t, rc);
    if (k.mv_size != 8)
        return LB_ECORRUPT;
    *seq = lb__rd64(k.mv_data);
    return 0;
}

/* What batch_pass returns when an operation failed in direct mode: the
 * transaction may hold part of its writes, so the batch is rerun nested. */
#define BATCH_RERUN_NESTED 1

/* Runs every op once under parent: directly in it (nested false), or each
 * in its own nested transaction. Returns 0 when the batch may be committed,
 * LB_EMAPFULL when it must be rerun on a larger map, BATCH_RERUN_NESTED when
 * an op failed in direct mode, another error when the parent transaction is
 * unusable. */
static int batch_pass(lb_store *s, MDB_txn *parent, struct lb_op *ops, size_t nops, bool nested)
{
    for (size_t i = 0; i < nops; i++) {
        lb_txn t = {.s = s, .write = true, .txn = parent};
        if (!nested) {
            int res = ops[i].run(&t, ops[i].arg);
            if (t.map_full || res == LB_EMAPFULL)
                return LB_EMAPFULL;
            ops[i].result = res;
            if (res != 0)
                return BATCH_RERUN_NESTED;
            continue;
        }
        int rc = mdb_txn_begin(s->env, parent, 0, &t.txn);
        if (rc) {
            rc = lb__mdb_err(&t, rc);
            return t.map_full ? LB_EMAPFULL : rc;
        }
        int res = ops[i].run(&t, ops[i].arg);
        if (t.map_full || res == LB_EMAPFULL) {
            mdb_txn_abort(t.txn);
            return LB_EMAPFULL;
        }
        if (res == 0) {
            rc = mdb_txn_commit(t.txn);
            if (rc) {
                res = lb__mdb_err(&t, rc);
                if (t.map_full)
                    return LB_EMAPFULL;
            }
        } else {
            mdb_txn_abort(t.txn);
        }
        ops[i].result = res;
    }
    return 0;
}

/* LMDB reports a short write (what a filling disk usually gives) as EIO.
 * When the data directory's file system has next to nothing left, call it
 * what it is, so the client hears 507 rather than 500. */
static int refine_io_error(lb_store *s, int err)
{
    struct statvfs vfs;
    if (err == LB_EIO && statvfs(s->dir, &vfs) == 0 &&
        (uint64_t)vfs.f_bavail * vfs.f_frsize < LB_FULL_DISK_BYTES)
        return LB_ENOSPC;
    return err;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int lb_store_batch_timed(lb_store *s, struct lb_op *ops, size_t nops, uint64_t *first_seq,
                         uint64_t *last_seq, uint64_t *commit_ns)
{
    uint64_t before = atomic_load(&s->last_seq);
    uint64_t after = before;
    int err;
    if (commit_ns)
        *commit_ns = 0;
    if (first_seq)
        *first_seq = before + 1;
    if (last_seq)
        *last_seq = before;
    bool nested = false;
    for (;;) {
        MDB_txn *parent;
        lb_txn pt = {.s = s, .write = true};
        int rc = txn_begin(s, 0, &parent);
        if (rc) {
            err = lb__mdb_err(NULL, rc);
            goto fail;
        }
        pt.txn = parent;
        err = batch_pass(s, parent, ops, nops, nested);
        if (err == BATCH_RERUN_NESTED) {
            mdb_txn_abort(parent);
            pthread_rwlock_unlock(&s->map_lock);
            if (nops == 1)
                return 0; /* its result is set; nothing was written */
            nested = true;
            continue;
        }
        if (err == 0)
            err = last_seq_in(&pt, &after);
        if (err == 0 && after != before) {
            static const char key[] = "last_seq";
            err = lb__meta_put(&pt, key, sizeof key - 1, after);
        }
        if (err == 0) {
            uint64_t t0 = commit_ns ? mono_ns() : 0;
            rc = mdb_txn_commit(parent);
            if (commit_ns)
                *commit_ns = mono_ns() - t0;
            pthread_rwlock_unlock(&s->map_lock);
            if (rc == 0)
                break;
            err = refine_io_error(s, lb__mdb_err(&pt, rc));
        } else {
            mdb_txn_abort(parent);
            pthread_rwlock_unlock(&s->map_lock);
        }
        if (err == LB_EMAPFULL || pt.map_full) {
            err = store_grow(s);
            if (err)
                goto fail;
            continue;
        }
        goto fail;
    }
    atomic_store(&s->last_seq, after);
    if (first_seq)
        *first_seq = before + 1;
    if (last_seq)
        *last_seq = after;
    return 0;
fail:
    for (size_t i = 0; i < nops; i++)
        ops[i].result = err;
    return err;
}

int lb_store_batch(lb_store *s, struct lb_op *ops, size_t nops, uint64_t *first_seq,
                   uint64_t *last_seq)
{
    return lb_store_batch_timed(s, ops, nops, first_seq, last_seq, NULL);
}

int lb_store_run(lb_store *s, int (*run)(lb_txn *t, void *arg), void *arg)
{
    struct lb_op op = {.run = run, .arg = arg};
    int rc = lb_store_batch(s, &op, 1, NULL, NULL);
    return rc ? rc : op.result;
}

/* --- meta ---------------------------------------------------------------- */

int lb__meta_get(lb_txn *t, const void *key, size_t len, uint64_t *v)
{
    MDB_val k = {len, (void *)key}, d;
    *v = 0;
    int rc = mdb_get(t->txn, lb__dbi(t, LB_DB_META), &k, &d);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return lb__mdb_err(t, rc);
    if (d.mv_size != 8)
        return LB_ECORRUPT;
    *v = lb__rd64(d.mv_data);
    return 0;
}

int lb__meta_put(lb_txn *t, const void *key, size_t len, uint64_t v)
{
    uint8_t buf[8];
    lb__be64(buf, v);
    MDB_val k = {len, (void *)key}, d = {8, buf};
    return lb__mdb_err(t, mdb_put(t->txn, lb__dbi(t, LB_DB_META), &k, &d, 0));
}

/* --- the outbox ---------------------------------------------------------- */

int lb_outbox_append(lb_txn *t, const struct lb_ctx *c, const char *type, lb_id id,
                     const void *data, size_t data_len, uint64_t *seq)
{
    if (!t->write || !type || !data || data_len == 0)
        return LB_EINVAL;
    uint64_t last;
    int rc = last_seq_in(t, &last);
    if (rc)
        return rc;
    struct lb_event ev = {
        .seq = last + 1,
        .type = (char *)type,
        .at = c->now,
        .actor = (char *)(c->actor ? c->actor : ""),
        .id = id,
        .data = (uint8_t *)data,
        .data_len = data_len,
    };
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    rc = lb_event_encode(&ev, &sb);
    if (rc == 0) {
        uint8_t kb[8];
        lb__be64(kb, ev.seq);
        MDB_val k = {8, kb}, v = {sb.size, sb.data};
        rc = lb__mdb_err(t, mdb_put(t->txn, lb__dbi(t, LB_DB_EVENTS), &k, &v, MDB_APPEND));
    }
    msgpack_sbuffer_destroy(&sb);
    if (rc == 0 && seq)
        *seq = ev.seq;
    return rc;
}

int lb_outbox_read(lb_txn *t, uint64_t after, size_t limit,
                   int (*fn)(uint64_t seq, const void *env, size_t len, void *arg), void *arg)
{
    MDB_cursor *cur;
    uint8_t kb[8];
    if (after == UINT64_MAX || limit == 0)
        return 0;
    lb__be64(kb, after + 1);
    MDB_val k = {8, kb}, v;
    int rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_EVENTS), &cur);
    if (rc)
        return lb__mdb_err(t, rc);
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    size_t n = 0;
    int ret = 0;
    while (rc == 0 && n < limit) {
        if (k.mv_size != 8) {
            ret = LB_ECORRUPT;
            break;
        }
        ret = fn(lb__rd64(k.mv_data), v.mv_data, v.mv_size, arg);
        if (ret)
            break;
        n++;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (ret)
        return ret;
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : lb__mdb_err(t, rc);
}

/* --- records and indexes ------------------------------------------------- */

void lb__keys_init(struct lb__keys *ks)
{
    ks->n = 0;
    ks->cap = LB__KEYS_INLINE;
    ks->k = ks->small;
}

void lb__keys_free(struct lb__keys *ks)
{
    if (ks && ks->k != ks->small)
        free(ks->k);
    if (ks)
        lb__keys_init(ks);
}

int lb__keys_add(struct lb__keys *ks, enum lb__db db, const void *key, size_t len)
{
    if (ks->n >= LB__KEYS_MAX || len > LB__KEY_MAX || len == 0)
        return LB_ETOOBIG;
    if (ks->n == ks->cap) {
        size_t cap = ks->cap * 2;
        struct lb__ikey *k = malloc(cap * sizeof *k);
        if (!k)
            return LB_ENOMEM;
        memcpy(k, ks->k, ks->n * sizeof *k);
        if (ks->k != ks->small)
            free(ks->k);
        ks->k = k;
        ks->cap = cap;
    }
    struct lb__ikey *k = &ks->k[ks->n++];
    k->db = db;
    k->len = len;
    memcpy(k->key, key, len);
    return 0;
}

int lb__keys_add_id(struct lb__keys *ks, enum lb__db db, uint64_t v)
{
    uint8_t b[8];
    lb__be64(b, v);
    return lb__keys_add(ks, db, b, 8);
}

int lb__keys_add_u8(struct lb__keys *ks, enum lb__db db, uint8_t v)
{
    return lb__keys_add(ks, db, &v, 1);
}

int lb__keys_add_str(struct lb__keys *ks, enum lb__db db, const char *s)
{
    if (!s || !*s)
        return LB_EINVAL;
    return lb__keys_add(ks, db, s, strlen(s));
}

static bool ikey_eq(const struct lb__ikey *a, const struct lb__ikey *b)
{
    return a->db == b->db && a->len == b->len && memcmp(a->key, b->key, a->len) == 0;
}

static bool keys_has(const struct lb__keys *ks, const struct lb__ikey *k)
{
    for (size_t i = 0; i < ks->n; i++)
        if (ikey_eq(&ks->k[i], k))
            return true;
    return false;
}

int lb__get_raw(lb_txn *t, enum lb__db db, lb_id id, MDB_val *v)
{
    uint8_t kb[8];
    lb__be64(kb, id);
    MDB_val k = {8, kb};
    int rc;
    if (t->write) {
        rc = mdb_get(t->txn, lb__dbi(t, db), &k, v);
        return rc ? lb__mdb_err(t, rc) : 0;
    }
    /* A read transaction: through its cursor for db (store_internal.h). */
    MDB_cursor **c = &t->rcur[db];
    uint64_t bit = 1ull << db;
    if (!*c) {
        if ((rc = mdb_cursor_open(t->txn, lb__dbi(t, db), c)) != 0) {
            *c = NULL;
            return lb__mdb_err(t, rc);
        }
        t->rcur_live |= bit;
    } else if (!(t->rcur_live & bit)) {
        if ((rc = mdb_cursor_renew(t->txn, *c)) != 0)
            return lb__mdb_err(t, rc);
        t->rcur_live |= bit;
    }
    rc = mdb_cursor_get(*c, &k, v, MDB_SET);
    return rc ? lb__mdb_err(t, rc) : 0;
}

int lb__get(lb_txn *t, const struct lb__rtype *rt, lb_id id, void *rec)
{
    MDB_val v;
    int rc = lb__get_raw(t, rt->db, id, &v);
    return rc ? rc : rt->decode(v.mv_data, v.mv_size, rec);
}

int lb__unique_get(lb_txn *t, enum lb__db db, const void *key, size_t len, lb_id *id)
{
    MDB_val k = {len, (void *)key}, v;
    *id = 0;
    if (len == 0 || len > LB__KEY_MAX)
        return LB_ENOTFOUND;
    int rc = mdb_get(t->txn, lb__dbi(t, db), &k, &v);
    if (rc)
        return lb__mdb_err(t, rc);
    if (v.mv_size != 8)
        return LB_ECORRUPT;
    *id = lb__rd64(v.mv_data);
    return 0;
}

/* Adds one index entry for id; unique keys held by another id: LB_EEXIST. */
static int index_add(lb_txn *t, const struct lb__ikey *ik, lb_id id)
{
    uint8_t vb[8];
    lb__be64(vb, id);
    MDB_val k = {ik->len, (void *)ik->key}, v = {8, vb};
    if (lb__db_unique(ik->db)) {
        lb_id other;
        int rc = lb__unique_get(t, ik->db, ik->key, ik->len, &other);
        if (rc == 0)
            return other == id ? 0 : LB_EEXIST;
        if (rc != LB_ENOTFOUND)
            return rc;
        return lb__mdb_err(t, mdb_put(t->txn, lb__dbi(t, ik->db), &k, &v, 0));
    }
    int rc = mdb_put(t->txn, lb__dbi(t, ik->db), &k, &v, MDB_NODUPDATA);
    return rc == MDB_KEYEXIST ? 0 : lb__mdb_err(t, rc);
}

static int index_del(lb_txn *t, const struct lb__ikey *ik, lb_id id)
{
    uint8_t vb[8];
    lb__be64(vb, id);
    MDB_val k = {ik->len, (void *)ik->key}, v = {8, vb};
    int rc = mdb_del(t->txn, lb__dbi(t, ik->db), &k, &v);
    return rc == MDB_NOTFOUND ? 0 : lb__mdb_err(t, rc);
}

int lb__put(lb_txn *t, const struct lb__rtype *rt, const void *old, const void *rec)
{
    struct lb__keys *ko = NULL, *kn = NULL;
    msgpack_sbuffer sb;
    int rc;
    lb_id id = rt->meta(rec)->id;
    if (!t->write || id == 0)
        return LB_EINVAL;
    msgpack_sbuffer_init(&sb);
    if (rt->keys) {
        /* malloc, not calloc: only the first n entries are ever read. */
        ko = malloc(sizeof *ko);
        kn = malloc(sizeof *kn);
        if (!ko || !kn) {
            rc = LB_ENOMEM;
            goto out;
        }
        lb__keys_init(ko);
        lb__keys_init(kn);
        if (old && (rc = rt->keys(old, ko)))
            goto out;
        if ((rc = rt->keys(rec, kn)))
            goto out;
        /* Conflicts first, so a refused write changes nothing. */
        for (size_t i = 0; i < kn->n; i++) {
            lb_id other;
            if (!lb__db_unique(kn->k[i].db) || keys_has(ko, &kn->k[i]))
                continue;
            rc = lb__unique_get(t, kn->k[i].db, kn->k[i].key, kn->k[i].len, &other);
            if (rc == 0 && other != id) {
                rc = LB_EEXIST;
                goto out;
            }
            if (rc && rc != LB_ENOTFOUND)
                goto out;
        }
        for (size_t i = 0; i < ko->n; i++)
            if (!keys_has(kn, &ko->k[i]) && (rc = index_del(t, &ko->k[i], id)))
                goto out;
        for (size_t i = 0; i < kn->n; i++)
            if (!keys_has(ko, &kn->k[i]) && (rc = index_add(t, &kn->k[i], id)))
                goto out;
    }
    if ((rc = rt->encode(rec, &sb)))
        goto out;
    uint8_t kb[8];
    lb__be64(kb, id);
    MDB_val k = {8, kb}, v = {sb.size, sb.data};
    rc = lb__mdb_err(t, mdb_put(t->txn, lb__dbi(t, rt->db), &k, &v, 0));
    if (rc == 0)
        rc = lb__search_put(t, rt, old, rec);
out:
    msgpack_sbuffer_destroy(&sb);
    lb__keys_free(ko);
    lb__keys_free(kn);
    free(ko);
    free(kn);
    return rc;
}

int lb__next_id(lb_txn *t, const struct lb__rtype *rt, lb_id *id)
{
    char key[64];
    int n = snprintf(key, sizeof key, "next_id:%s", rt->name);
    uint64_t v;
    int rc = lb__meta_get(t, key, (size_t)n, &v);
    if (rc)
        return rc;
    if (v == 0)
        v = 1;
    if ((rc = lb__meta_put(t, key, (size_t)n, v + 1)))
        return rc;
    *id = v;
    return 0;
}

void lb__meta_new(struct lb_meta *m, lb_id id, const struct lb_ctx *c)
{
    m->id = id;
    m->version = 1;
    m->created_at = c->now;
    m->updated_at = c->now;
}

int lb__touch(struct lb_meta *m, const struct lb_ctx *c, uint64_t if_match)
{
    if (if_match && if_match != m->version)
        return LB_ESTALE;
    m->version++;
    m->updated_at = c->now;
    return 0;
}

int lb__strdup(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return 0;
    *out = strdup(s);
    return *out ? 0 : LB_ENOMEM;
}

int lb__strset(char **dst, const char *s)
{
    char *n;
    int rc = lb__strdup(s, &n);
    if (rc)
        return rc;
    free(*dst);
    *dst = n;
    return 0;
}

/* --- pages --------------------------------------------------------------- */

int lb__src_open(lb_txn *t, struct lb__src *src, enum lb__db db, const void *key, size_t len,
                 lb_id after)
{
    memset(src, 0, sizeof *src);
    if (len > LB__KEY_MAX)
        return LB_ETOOBIG;
    int rc = mdb_cursor_open(t->txn, lb__dbi(t, db), &src->cur);
    if (rc)
        return lb__mdb_err(t, rc);
    src->dup = key != NULL;
    src->keylen = len;
    if (key)
        memcpy(src->key, key, len);
    if (after == UINT64_MAX)
        return 0;
    uint8_t ab[8];
    lb__be64(ab, after + 1);
    MDB_val k, v;
    if (src->dup) {
        k.mv_size = len;
        k.mv_data = src->key;
        v.mv_size = 8;
        v.mv_data = ab;
        rc = mdb_cursor_get(src->cur, &k, &v, MDB_GET_BOTH_RANGE);
        if (rc == 0) {
            if (v.mv_size != 8)
                return LB_ECORRUPT;
            src->next = lb__rd64(v.mv_data);
        }
    } else {
        k.mv_size = 8;
        k.mv_data = ab;
        rc = mdb_cursor_get(src->cur, &k, &v, MDB_SET_RANGE);
        if (rc == 0) {
            if (k.mv_size != 8)
                return LB_ECORRUPT;
            src->next = lb__rd64(k.mv_data);
        }
    }
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : lb__mdb_err(t, rc);
}

/* Descending positioning: the largest id below after (the largest of all
 * when after is 0). LMDB positions at the first entry >= after, so step back
 * one, or start from the end when there is none. */
static int src_seek_desc(lb_txn *t, struct lb__src *src, lb_id after)
{
    uint8_t ab[8];
    MDB_val k = {src->keylen, src->key}, v = {8, ab};
    int rc;
    lb__be64(ab, after);
    if (src->dup) {
        rc = after ? mdb_cursor_get(src->cur, &k, &v, MDB_GET_BOTH_RANGE) : MDB_NOTFOUND;
        if (rc == 0) {
            rc = mdb_cursor_get(src->cur, &k, &v, MDB_PREV_DUP);
        } else if (rc == MDB_NOTFOUND) {
            k.mv_size = src->keylen;
            k.mv_data = src->key;
            rc = mdb_cursor_get(src->cur, &k, &v, MDB_SET);
            if (rc == 0)
                rc = mdb_cursor_get(src->cur, &k, &v, MDB_LAST_DUP);
        }
    } else {
        k.mv_size = 8;
        k.mv_data = ab;
        rc = after ? mdb_cursor_get(src->cur, &k, &v, MDB_SET_RANGE) : MDB_NOTFOUND;
        if (rc == 0)
            rc = mdb_cursor_get(src->cur, &k, &v, MDB_PREV);
        else if (rc == MDB_NOTFOUND)
            rc = mdb_cursor_get(src->cur, &k, &v, MDB_LAST);
    }
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return lb__mdb_err(t, rc);
    const MDB_val *idv = src->dup ? &v : &k;
    if (idv->mv_size != 8)
        return LB_ECORRUPT;
    src->next = lb__rd64(idv->mv_data);
    return 0;
}

int lb__src_open_page(lb_txn *t, struct lb__src *src, enum lb__db db, const void *key, size_t len,
                      const struct lb_page *p)
{
    if (!p->desc)
        return lb__src_open(t, src, db, key, len, p->after);
    memset(src, 0, sizeof *src);
    if (len > LB__KEY_MAX)
        return LB_ETOOBIG;
    int rc = mdb_cursor_open(t->txn, lb__dbi(t, db), &src->cur);
    if (rc)
        return lb__mdb_err(t, rc);
    src->dup = key != NULL;
    src->desc = true;
    src->keylen = len;
    if (key)
        memcpy(src->key, key, len);
    return src_seek_desc(t, src, p->after);
}

int lb__src_advance(struct lb__src *src)
{
    MDB_val k, v;
    if (!src->next)
        return 0;
    MDB_cursor_op op =
        src->dup ? (src->desc ? MDB_PREV_DUP : MDB_NEXT_DUP) : (src->desc ? MDB_PREV : MDB_NEXT);
    int rc = mdb_cursor_get(src->cur, &k, &v, op);
    src->next = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return lb__mdb_err(NULL, rc);
    const MDB_val *idv = src->dup ? &v : &k;
    if (idv->mv_size != 8)
        return LB_ECORRUPT;
    src->next = lb__rd64(idv->mv_data);
    return 0;
}

void lb__src_close(struct lb__src *src)
{
    if (src->cur)
        mdb_cursor_close(src->cur);
    src->cur = NULL;
}

int lb__page_merge(lb_txn *t, struct lb__src *srcs, size_t nsrc,
                   int (*accept)(lb_txn *t, lb_id id, void *arg), void *arg, struct lb_page *p)
{
    p->count = 0;
    p->next = 0;
    for (;;) {
        lb_id min = 0; /* the next id in p's direction: the smallest, or the largest */
        for (size_t i = 0; i < nsrc; i++)
            if (srcs[i].next && (!min || (p->desc ? srcs[i].next > min : srcs[i].next < min)))
                min = srcs[i].next;
        if (!min)
            return 0;
        for (size_t i = 0; i < nsrc; i++) {
            if (srcs[i].next == min) {
                int rc = lb__src_advance(&srcs[i]);
                if (rc)
                    return rc;
            }
        }
        int ok = accept ? accept(t, min, arg) : 1;
        if (ok < 0)
            return ok;
        if (!ok)
            continue;
        if (p->count == p->limit) {
            p->next = p->count ? p->ids[p->count - 1] : 0;
            return 0;
        }
        p->ids[p->count++] = min;
    }
}

void lb__page_from_sorted(const lb_id *ids, size_t n, struct lb_page *p)
{
    p->count = 0;
    p->next = 0;
    for (size_t j = 0; j < n; j++) {
        size_t i = p->desc ? n - 1 - j : j;
        if (p->desc ? (p->after && ids[i] >= p->after) || (j > 0 && ids[i] == ids[i + 1])
                    : ids[i] <= p->after || (j > 0 && ids[i] == ids[i - 1]))
            continue;
        if (p->count == p->limit) {
            p->next = p->count ? p->ids[p->count - 1] : 0;
            return;
        }
        p->ids[p->count++] = ids[i];
    }
}

/* --- event data ---------------------------------------------------------- */

void lb__ev_init(struct lb__ev *e)
{
    msgpack_sbuffer_init(&e->buf);
    msgpack_packer_init(&e->pk, &e->buf, msgpack_sbuffer_write);
    e->n = 0;
    e->err = 0;
}

void lb__ev_done(struct lb__ev *e)
{
    msgpack_sbuffer_destroy(&e->buf);
}

static int ev_check(struct lb__ev *e, int rc)
{
    if (rc && !e->err)
        e->err = LB_ENOMEM;
    return rc ? LB_ENOMEM : 0;
}

int lb__ev_key(struct lb__ev *e, const char *k)
{
    size_t n = strlen(k);
    e->n++;
    return ev_check(e, msgpack_pack_str(&e->pk, n) || msgpack_pack_str_body(&e->pk, k, n));
}

int lb__ev_str(struct lb__ev *e, const char *k, const char *v)
{
    if (lb__ev_key(e, k))
        return LB_ENOMEM;
    if (!v)
        return ev_check(e, msgpack_pack_nil(&e->pk));
    size_t n = strlen(v);
    return ev_check(e, msgpack_pack_str(&e->pk, n) || msgpack_pack_str_body(&e->pk, v, n));
}

int lb__ev_uint(struct lb__ev *e, const char *k, uint64_t v)
{
    if (lb__ev_key(e, k))
        return LB_ENOMEM;
    return ev_check(e, msgpack_pack_uint64(&e->pk, v));
}

int lb__ev_int(struct lb__ev *e, const char *k, int64_t v)
{
    if (lb__ev_key(e, k))
        return LB_ENOMEM;
    return ev_check(e, msgpack_pack_int64(&e->pk, v));
}

int lb__ev_bool(struct lb__ev *e, const char *k, bool v)
{
    if (lb__ev_key(e, k))
        return LB_ENOMEM;
    return ev_check(e, v ? msgpack_pack_true(&e->pk) : msgpack_pack_false(&e->pk));
}

int lb__ev_nil(struct lb__ev *e, const char *k)
{
    if (lb__ev_key(e, k))
        return LB_ENOMEM;
    return ev_check(e, msgpack_pack_nil(&e->pk));
}

int lb__ev_time(struct lb__ev *e, const char *k, lb_time v)
{
    return v == LB_TIME_NONE ? lb__ev_nil(e, k) : lb__ev_int(e, k, v);
}

int lb__ev_date(struct lb__ev *e, const char *k, lb_date v)
{
    if (v == LB_DATE_NONE)
        return lb__ev_nil(e, k);
    char buf[16];
    lb_date_format(v, buf);
    return lb__ev_str(e, k, buf);
}

int lb__ev_append(lb_txn *t, const struct lb_ctx *c, const char *type, lb_id id, struct lb__ev *e)
{
    if (e->err)
        return e->err;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = LB_ENOMEM;
    if (msgpack_pack_map(&pk, e->n) == 0 &&
        (e->buf.size == 0 || msgpack_sbuffer_write(&sb, e->buf.data, e->buf.size) == 0))
        rc = lb_outbox_append(t, c, type, id, sb.data, sb.size, NULL);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* --- the consistency check ---------------------------------------------- */

struct check {
    lb_txn *t;
    FILE *report;
    size_t problems;
    size_t expected[LB_DB_COUNT]; /* index entries the records call for */
};

static void problem(struct check *ck, const char *fmt, const char *a, unsigned long long b)
{
    ck->problems++;
    if (ck->report) {
        fprintf(ck->report, fmt, a, b);
        fputc('\n', ck->report);
    }
}

/* Does index entry ik hold id? */
static int index_has(lb_txn *t, const struct lb__ikey *ik, lb_id id, bool *has)
{
    uint8_t vb[8];
    lb__be64(vb, id);
    MDB_val k = {ik->len, (void *)ik->key}, v = {8, vb};
    *has = false;
    if (lb__db_unique(ik->db)) {
        int rc = mdb_get(t->txn, lb__dbi(t, ik->db), &k, &v);
        if (rc == MDB_NOTFOUND)
            return 0;
        if (rc)
            return lb__mdb_err(t, rc);
        *has = v.mv_size == 8 && lb__rd64(v.mv_data) == id;
        return 0;
    }
    MDB_cursor *cur;
    int rc = mdb_cursor_open(t->txn, lb__dbi(t, ik->db), &cur);
    if (rc)
        return lb__mdb_err(t, rc);
    rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return lb__mdb_err(t, rc);
    *has = true;
    return 0;
}

/* Every record of rt decodes, has its key's id, and has its index entries;
 * counts the entries for check_counts. */
static int check_records(struct check *ck, const struct lb__rtype *rt, uint64_t *max_id)
{
    lb_txn *t = ck->t;
    MDB_cursor *cur;
    MDB_val k, v;
    void *rec = calloc(1, rt->size);
    struct lb__keys *ks = calloc(1, sizeof *ks);
    int err = 0;
    *max_id = 0;
    if (!rec || !ks) {
        free(rec);
        free(ks);
        return LB_ENOMEM;
    }
    int rc = mdb_cursor_open(t->txn, lb__dbi(t, rt->db), &cur);
    if (rc) {
        free(rec);
        free(ks);
        return lb__mdb_err(t, rc);
    }
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8) {
            problem(ck, "%s: key of %llu bytes", rt->name, (unsigned long long)k.mv_size);
            continue;
        }
        lb_id id = lb__rd64(k.mv_data);
        *max_id = id;
        if (rt->decode(v.mv_data, v.mv_size, rec) != 0) {
            problem(ck, "%s %llu: does not decode", rt->name, (unsigned long long)id);
            continue;
        }
        if (rt->meta(rec)->id != id)
            problem(ck, "%s %llu: record carries another id", rt->name, (unsigned long long)id);
        lb__keys_free(ks);
        if (rt->keys && rt->keys(rec, ks) != 0)
            problem(ck, "%s %llu: index keys cannot be built", rt->name, (unsigned long long)id);
        for (size_t i = 0; i < ks->n; i++) {
            bool has;
            if ((err = index_has(t, &ks->k[i], id, &has)))
                break;
            ck->expected[ks->k[i].db]++;
            if (!has)
                problem(ck, "%s: record %llu missing from its index entry", db_names[ks->k[i].db],
                        id);
        }
        rt->clear(rec);
        if (err)
            break;
    }
    mdb_cursor_close(cur);
    free(rec);
    lb__keys_free(ks);
    free(ks);
    if (!err && rc != MDB_NOTFOUND)
        err = lb__mdb_err(t, rc);
    return err;
}

/* An index holding more entries than its records call for has entries
 * pointing at records without that key (or at no record). */
static int check_counts(struct check *ck)
{
    for (int db = LB_IX_COMPANY_ORGNR; db < LB_DB_COUNT; db++) {
        MDB_stat st;
        int rc = mdb_stat(ck->t->txn, lb__dbi(ck->t, db), &st);
        if (rc)
            return lb__mdb_err(ck->t, rc);
        if (st.ms_entries != ck->expected[db])
            problem(ck, "%s: index entries do not match the records (%llu expected)", db_names[db],
                    (unsigned long long)ck->expected[db]);
    }
    return 0;
}

static int check_meta_id(struct check *ck, const char *name, uint64_t max_id)
{
    char key[64];
    uint64_t next;
    int n = snprintf(key, sizeof key, "next_id:%s", name);
    int rc = lb__meta_get(ck->t, key, (size_t)n, &next);
    if (rc)
        return rc;
    if (max_id && next <= max_id)
        problem(ck, "meta: next id of %s does not exceed the largest id %llu", name, max_id);
    return 0;
}

/* Every event decodes, carries its key's seq, and seqs run 1..last. */
static int check_events(struct check *ck)
{
    lb_txn *t = ck->t;
    MDB_cursor *cur;
    MDB_val k, v;
    uint64_t expect = 1;
    int rc = mdb_cursor_open(t->txn, lb__dbi(t, LB_DB_EVENTS), &cur);
    if (rc)
        return lb__mdb_err(t, rc);
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        struct lb_event ev = {0};
        uint64_t seq = k.mv_size == 8 ? lb__rd64(k.mv_data) : 0;
        if (seq != expect)
            problem(ck, "%s: gap or bad key before seq %llu", "events", seq);
        expect = seq + 1;
        if (lb_event_decode(v.mv_data, v.mv_size, &ev) != 0)
            problem(ck, "%s: seq %llu does not decode", "events", seq);
        else if (ev.seq != seq)
            problem(ck, "%s: seq %llu carries another seq", "events", seq);
        lb_event_clear(&ev);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
        return lb__mdb_err(t, rc);
    static const char key[] = "last_seq";
    uint64_t last;
    if ((rc = lb__meta_get(t, key, sizeof key - 1, &last)))
        return rc;
    if (last != expect - 1)
        problem(ck, "meta: %s differs from the outbox's last seq %llu", "last_seq", expect - 1);
    return 0;
}

/* Values of a plain database decode with fn. */
static int check_plain(struct check *ck, enum lb__db db, int (*fn)(const void *, size_t))
{
    MDB_cursor *cur;
    MDB_val k, v;
    unsigned long long n = 0;
    int rc = mdb_cursor_open(ck->t->txn, lb__dbi(ck->t, db), &cur);
    if (rc)
        return lb__mdb_err(ck->t, rc);
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++)
        if (fn(v.mv_data, v.mv_size) != 0)
            problem(ck, "%s: entry %llu does not decode", db_names[db], n);
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : lb__mdb_err(ck->t, rc);
}

#define DECODES(t)                                                                                 \
    static int t##_decodes(const void *b, size_t l)                                                \
    {                                                                                              \
        struct lb_##t r = {0};                                                                     \
        int rc = lb_##t##_decode(b, l, &r);                                                        \
        lb_##t##_clear(&r);                                                                        \
        return rc;                                                                                 \
    }
DECODES(session)
DECODES(idempotency)
DECODES(snapshot)
DECODES(survey_token)

static const struct lb__rtype *const all_types[] = {
    &lb__company_type,     &lb__case_type,          &lb__contact_type, &lb__handoff_type,
    &lb__followup_type,    &lb__improvement_type,   &lb__user_type,    &lb__plan_header_type,
    &lb__plan_action_type, &lb__plan_followup_type, &lb__meeting_type, &lb__meeting_eval_type,
};

static const char data_version_key[] = "data_version";

static int data_version_in(lb_txn *t, uint64_t *v)
{
    int rc = lb__meta_get(t, data_version_key, sizeof data_version_key - 1, v);
    if (rc == 0 && *v == 0)
        *v = 1; /* written before the number existed */
    return rc;
}

int lb_store_data_version(lb_store *s, uint64_t *version)
{
    lb_txn *t;
    int rc = lb_txn_read(s, &t);
    if (rc)
        return rc;
    rc = data_version_in(t, version);
    lb_txn_end(t);
    return rc;
}

static int stamp_data_version(lb_txn *t, void *arg)
{
    (void)arg;
    return lb__meta_put(t, data_version_key, sizeof data_version_key - 1, LB_DATA_VERSION);
}

struct migrate {
    uint64_t from;
    char *why;
    size_t why_len;
};

/* Every value of db decodes with fn (the plain databases) or rt (records). */
static int migrate_decodes(lb_txn *t, struct migrate *m, enum lb__db db,
                           const struct lb__rtype *rt, int (*fn)(const void *, size_t))
{
    MDB_cursor *cur;
    MDB_val k, v;
    void *rec = rt ? calloc(1, rt->size) : NULL;
    if (rt && !rec)
        return LB_ENOMEM;
    int rc = mdb_cursor_open(t->txn, lb__dbi(t, db), &cur);
    if (rc) {
        free(rec);
        return lb__mdb_err(t, rc);
    }
    unsigned long long n = 0;
    int bad = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !bad;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
        if (rt) {
            bad = rt->decode(v.mv_data, v.mv_size, rec) != 0;
            rt->clear(rec);
            memset(rec, 0, rt->size);
        } else {
            bad = fn(v.mv_data, v.mv_size) != 0;
        }
        if (bad)
            snprintf(m->why, m->why_len, "%s: %s %llu does not decode", db_names[db],
                     k.mv_size == 8 ? "id" : "entry",
                     k.mv_size == 8 ? (unsigned long long)lb__rd64(k.mv_data) : n);
    }
    mdb_cursor_close(cur);
    free(rec);
    if (bad)
        return LB_ECORRUPT;
    return rc == MDB_NOTFOUND ? 0 : lb__mdb_err(t, rc);
}

static int event_decodes(const void *b, size_t l)
{
    struct lb_event ev = {0};
    int rc = lb_event_decode(b, l, &ev);
    lb_event_clear(&ev);
    return rc;
}

/* Data version 1 (before the number) to 2: the Idempotency-Key answers filed
 * by age and role, and every stored value read by this version's codec. */
static int migrate_1_to_2(lb_txn *t, struct migrate *m)
{
    size_t filed = 0;
    int rc = lb__idempotency_file(t, &filed);
    for (size_t i = 0; i < sizeof all_types / sizeof *all_types && !rc; i++)
        rc = migrate_decodes(t, m, all_types[i]->db, all_types[i], NULL);
    if (!rc)
        rc = migrate_decodes(t, m, LB_DB_EVENTS, NULL, event_decodes);
    if (!rc)
        rc = migrate_decodes(t, m, LB_DB_SESSIONS, NULL, session_decodes);
    if (!rc)
        rc = migrate_decodes(t, m, LB_DB_IDEMPOTENCY, NULL, idempotency_decodes);
    if (!rc)
        rc = migrate_decodes(t, m, LB_DB_SNAPSHOTS, NULL, snapshot_decodes);
    if (!rc)
        rc = migrate_decodes(t, m, LB_DB_SURVEY_TOKENS, NULL, survey_token_decodes);
    return rc;
}

static int migrate_run(lb_txn *t, void *arg)
{
    struct migrate *m = arg;
    uint64_t v;
    int rc = data_version_in(t, &v);
    if (rc)
        return rc;
    m->from = v;
    if (v > LB_DATA_VERSION) {
        snprintf(m->why, m->why_len, "data version %llu is newer than this program's %d",
                 (unsigned long long)v, LB_DATA_VERSION);
        return LB_ESTATE;
    }
    if (v == LB_DATA_VERSION)
        return 0;
    if (v < 2 && (rc = migrate_1_to_2(t, m)))
        return rc;
    /* 2 -> 3 adds search_pending (opened, empty, with the environment): a
     * version 2 lotsd would neither read nor merge its entries. Nothing to
     * convert. */
    return stamp_data_version(t, NULL);
}

int lb_store_migrate(lb_store *s, uint64_t *from, char *why, size_t why_len)
{
    char none[1];
    struct migrate m = {.why = why ? why : none, .why_len = why ? why_len : sizeof none};
    if (m.why_len)
        m.why[0] = '\0';
    /* Read first: an up-to-date directory takes no write transaction. */
    int rc = lb_store_data_version(s, &m.from);
    if (rc == 0 && m.from != LB_DATA_VERSION)
        rc = lb_store_run(s, migrate_run, &m);
    *from = m.from;
    return rc;
}

int lb_store_check(lb_store *s, FILE *report)
{
    const struct lb__rtype *const *types = all_types;
    size_t ntypes = sizeof all_types / sizeof *all_types;
    struct check ck = {.report = report};
    int rc = lb_txn_read(s, &ck.t);
    if (rc)
        return rc;
    uint64_t version;
    if ((rc = data_version_in(ck.t, &version))) {
        lb_txn_end(ck.t);
        return rc;
    }
#define LB__STR2(x) #x
#define LB__STR(x) LB__STR2(x)
    if (version < LB_DATA_VERSION)
        problem(&ck, "meta: %s %llu is older than this lotsd's " LB__STR(LB_DATA_VERSION) ": run lotsd migrate",
                "data version", version);
    else if (version > LB_DATA_VERSION)
        problem(&ck, "meta: %s %llu is newer than this lotsd's " LB__STR(LB_DATA_VERSION),
                "data version", version);
    for (size_t i = 0; i < ntypes && !rc; i++) {
        uint64_t max_id;
        rc = check_records(&ck, types[i], &max_id);
        if (!rc)
            rc = check_meta_id(&ck, types[i]->name, max_id);
    }
    if (!rc)
        rc = check_counts(&ck);
    if (!rc)
        rc = lb__search_check(ck.t, report, &ck.problems);
    if (!rc)
        rc = check_events(&ck);
    if (!rc)
        rc = check_plain(&ck, LB_DB_SESSIONS, session_decodes);
    if (!rc)
        rc = check_plain(&ck, LB_DB_IDEMPOTENCY, idempotency_decodes);
    if (!rc)
        rc = check_plain(&ck, LB_DB_SNAPSHOTS, snapshot_decodes);
    if (!rc)
        rc = check_plain(&ck, LB_DB_SURVEY_TOKENS, survey_token_decodes);
    lb_txn_end(ck.t);
    if (rc)
        return rc;
    return ck.problems ? LB_ECORRUPT : 0;
}
