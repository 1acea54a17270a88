/* test_store_durability.c: map growth, hot backup under writes, and kill -9
 * in the middle of group commits (every acknowledged id survives and the
 * environment checks clean). */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../core/store/store_internal.h"
#include "lotsbok/error.h"
#include "lotsbok/store.h"

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct lb_ctx ctx = {"anna", 1773133200000};

struct seed {
    lb_id company, case_id;
};

static int run_seed(lb_txn *t, void *arg)
{
    struct seed *sd = arg;
    struct lb_company c = {0};
    strcpy(c.orgnr, "5560360793");
    c.name = strdup("Mälarbåtar AB");
    lb_id existing;
    int rc = lb_company_create(t, &ctx, &c, &existing);
    sd->company = c.meta.id;
    lb_company_clear(&c);
    if (rc)
        return rc;
    struct lb_case k = {0};
    k.company_id = sd->company;
    k.subject = strdup("Bygglov för brygga");
    k.owner = strdup("anna");
    k.opened_at = LB_TIME_NONE;
    rc = lb_case_open(t, &ctx, &k);
    sd->case_id = k.meta.id;
    lb_case_clear(&k);
    return rc;
}

struct contact_op {
    lb_id case_id;
    lb_id id;
};

static int run_contact(lb_txn *t, void *arg)
{
    struct contact_op *o = arg;
    struct lb_contact ct = {0};
    ct.case_id = o->case_id;
    ct.at = LB_TIME_NONE;
    ct.channel = LB_CHANNEL_PHONE;
    ct.direction = LB_DIRECTION_INBOUND;
    ct.summary = strdup("Ringde om bygglov för bryggan, behöver ritningar och situationsplan "
                        "innan ansökan kan lämnas in. Återkommer nästa vecka.");
    ct.minutes = 12;
    int rc = lb_contact_log(t, &ctx, &ct);
    o->id = ct.meta.id;
    lb_contact_clear(&ct);
    return rc;
}

/* Writes n contacts in batches of `per`; the ids into ids (may be NULL). */
static void write_contacts(lb_store *s, lb_id case_id, size_t n, size_t per, lb_id *ids)
{
    struct contact_op *o = calloc(per, sizeof *o);
    struct lb_op *ops = calloc(per, sizeof *ops);
    assert_non_null(o);
    assert_non_null(ops);
    for (size_t done = 0; done < n;) {
        size_t m = n - done < per ? n - done : per;
        for (size_t i = 0; i < m; i++) {
            o[i].case_id = case_id;
            ops[i] = (struct lb_op){run_contact, &o[i], 99};
        }
        uint64_t first, last;
        assert_int_equal(lb_store_batch(s, ops, m, &first, &last), 0);
        assert_int_equal(last - first + 1, m);
        for (size_t i = 0; i < m; i++) {
            assert_int_equal(ops[i].result, 0);
            if (ids)
                ids[done + i] = o[i].id;
        }
        done += m;
    }
    free(o);
    free(ops);
}

/* A fresh store in dir (a mkdtemp template) with a 64 KiB map, unsynced,
 * seeded with one company and case. */
static const struct lb_store_config small_cfg = {.map_size = 64 << 10, .no_sync = true};

static lb_store *small_store(char *dir, struct seed *sd)
{
    lb_store *s;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(lb_store_create(dir, &small_cfg, &s), 0);
    assert_int_equal(lb_store_run(s, run_seed, sd), 0);
    return s;
}

static void test_map_growth(void **state)
{
    char dir[] = "/tmp/lb_grow_XXXXXX";
    struct seed sd;
    lb_store *s = small_store(dir, &sd);
    enum { N = 3000 };
    lb_id *ids = calloc(N, sizeof *ids);
    write_contacts(s, sd.case_id, N, 100, ids);
    assert_true(s->map_size > (64u << 10));
    assert_int_equal(lb_store_last_seq(s), N + 2);
    lb_txn *r;
    assert_int_equal(lb_txn_read(s, &r), 0);
    for (size_t i = 0; i < N; i++) {
        struct lb_contact ct = {0};
        assert_int_equal(lb_contact_get(r, ids[i], &ct), 0);
        assert_int_equal(ct.case_id, sd.case_id);
        lb_contact_clear(&ct);
    }
    lb_txn_end(r);
    assert_int_equal(lb_store_check(s, stderr), 0);
    lb_store_close(s);
    /* Reopening with the small configured map keeps the grown file. */
    assert_int_equal(lb_store_open(dir, &small_cfg, &s), 0);
    assert_int_equal(lb_store_last_seq(s), N + 2);
    assert_int_equal(lb_store_check(s, stderr), 0);
    lb_store_close(s);
    free(ids);
    rm_rf(dir);
}

struct writer {
    lb_store *s;
    lb_id case_id;
    atomic_bool stop;
    atomic_int batches;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    while (!atomic_load(&w->stop)) {
        write_contacts(w->s, w->case_id, 16, 16, NULL);
        atomic_fetch_add(&w->batches, 1);
    }
    return NULL;
}

struct grower {
    lb_store *s;
    lb_id case_id;
    atomic_bool done;
};

static void *grow_thread(void *arg)
{
    struct grower *g = arg;
    write_contacts(g->s, g->case_id, 6000, 50, NULL);
    atomic_store(&g->done, true);
    return NULL;
}

/* lotsd commits on a thread of its own while its loop thread reads: the
 * map grows (remapped) under that thread's read transactions' feet unless
 * growth waits for them (the store's map lock). Many growths from 64 KiB;
 * the reader checks every contact it lists, all the time. */
static void test_map_growth_while_reading(void **state)
{
    (void)state;
    char dir[] = "/tmp/lb_growr_XXXXXX";
    struct seed sd;
    lb_store *s = small_store(dir, &sd);
    size_t start_map = s->map_size;
    struct grower g = {.s = s, .case_id = sd.case_id};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, grow_thread, &g), 0);
    size_t reads = 0, seen_max = 0;
    while (!atomic_load(&g.done)) {
        lb_txn *r;
        assert_int_equal(lb_txn_read(s, &r), 0);
        struct lb_page p = {.limit = 100};
        lb_id ids[100];
        p.ids = ids;
        assert_int_equal(lb_contact_list_by_case(r, sd.case_id, &p), 0);
        for (size_t i = 0; i < p.count; i++) {
            struct lb_contact ct = {0};
            assert_int_equal(lb_contact_get(r, ids[i], &ct), 0);
            assert_int_equal(ct.case_id, sd.case_id);
            assert_non_null(ct.summary);
            lb_contact_clear(&ct);
        }
        if (p.count > seen_max)
            seen_max = p.count;
        lb_txn_end(r);
        reads++;
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(s->map_size >= start_map * 16); /* it grew at least four times */
    assert_true(reads > 0);
    assert_int_equal(seen_max, 100);
    assert_int_equal(lb_store_last_seq(s), 6000 + 2);
    lb_store_close(s);
    rm_rf(dir);
}

/* Another process grows the map (MDB_MAP_RESIZED here): the next read and
 * the next batch adopt the new size under the exclusive map lock and see
 * every record the other process wrote. */
static void test_map_grown_by_another_process(void **state)
{
    (void)state;
    char dir[] = "/tmp/lb_adopt_XXXXXX";
    struct seed sd;
    lb_store *s = small_store(dir, &sd);
    lb_txn *r;
    assert_int_equal(lb_txn_read(s, &r), 0); /* leaves a kept read transaction */
    lb_txn_end(r);
    size_t before = s->map_size;

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        lb_store *o;
        if (lb_store_open(dir, &small_cfg, &o) != 0)
            _exit(2);
        write_contacts(o, sd.case_id, 3000, 100, NULL);
        lb_store_close(o);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    assert_int_equal(lb_txn_read(s, &r), 0);
    assert_true(s->map_size > before);
    struct lb_page p = {.limit = 10};
    lb_id ids[10];
    p.ids = ids;
    assert_int_equal(lb_contact_list_by_case(r, sd.case_id, &p), 0);
    assert_int_equal(p.count, 10);
    lb_txn_end(r);
    struct contact_op o = {.case_id = sd.case_id};
    assert_int_equal(lb_store_run(s, run_contact, &o), 0);
    assert_int_equal(lb_store_last_seq(s), 3000 + 1 + 2);
    assert_int_equal(lb_txn_read(s, &r), 0);
    struct lb_contact ct = {0};
    assert_int_equal(lb_contact_get(r, o.id, &ct), 0);
    lb_contact_clear(&ct);
    lb_txn_end(r);
    lb_store_close(s);
    rm_rf(dir);
}

static void test_backup_during_writes(void **state)
{
    char dir[] = "/tmp/lb_bak_XXXXXX", to[64];
    assert_non_null(mkdtemp(dir));
    snprintf(to, sizeof to, "%s/copy", dir);
    char data[64];
    snprintf(data, sizeof data, "%s/data", dir);
    struct lb_store_config cfg = {.map_size = 256 << 20, .no_sync = true};
    lb_store *s;
    assert_int_equal(lb_store_create(data, &cfg, &s), 0);
    struct seed sd;
    assert_int_equal(lb_store_run(s, run_seed, &sd), 0);
    write_contacts(s, sd.case_id, 500, 50, NULL);
    struct writer w = {.s = s, .case_id = sd.case_id};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
    while (atomic_load(&w.batches) < 5)
        usleep(1000);
    assert_int_equal(lb_store_backup(s, to), 0);
    int during = atomic_load(&w.batches);
    while (atomic_load(&w.batches) < during + 5)
        usleep(1000);
    atomic_store(&w.stop, true);
    pthread_join(th, NULL);
    assert_int_equal(lb_store_backup(s, to), LB_EEXIST); /* not empty now */

    lb_store *b;
    assert_int_equal(lb_store_open(to, &cfg, &b), 0);
    uint64_t copied = lb_store_last_seq(b);
    assert_true(copied >= 502);
    assert_true(copied < lb_store_last_seq(s));
    assert_int_equal(lb_store_check(b, stderr), 0);
    lb_store_close(b);
    assert_int_equal(lb_store_check(s, stderr), 0);
    lb_store_close(s);
    rm_rf(dir);
}

/* The child: commits batches forever, reporting each acknowledged id. */
static void crash_child(const char *dir, lb_id case_id, int fd, unsigned seed)
{
    lb_store *s;
    struct lb_store_config cfg = {.map_size = 1 << 20}; /* small: growth happens too */
    if (lb_store_open(dir, &cfg, &s) != 0)
        _exit(2);
    srand(seed);
    struct contact_op o[32];
    struct lb_op ops[32];
    for (;;) {
        size_t m = 1 + (size_t)rand() % 32;
        for (size_t i = 0; i < m; i++) {
            o[i].case_id = case_id;
            ops[i] = (struct lb_op){run_contact, &o[i], 99};
        }
        if (lb_store_batch(s, ops, m, NULL, NULL) != 0)
            _exit(3);
        for (size_t i = 0; i < m; i++) {
            if (ops[i].result != 0)
                _exit(4);
            uint8_t b[8];
            lb__be64(b, o[i].id);
            if (write(fd, b, 8) != 8)
                _exit(5);
        }
    }
}

static void test_kill9_mid_batch(void **state)
{
    char dir[] = "/tmp/lb_crash_XXXXXX";
    assert_non_null(mkdtemp(dir));
    lb_store *s;
    assert_int_equal(lb_store_create(dir, NULL, &s), 0);
    struct seed sd;
    assert_int_equal(lb_store_run(s, run_seed, &sd), 0);
    lb_store_close(s);
    srand((unsigned)time(NULL));
    size_t total = 0;
    for (int round = 0; round < 20; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            crash_child(dir, sd.case_id, p[1], (unsigned)rand());
        }
        close(p[1]);
        /* Let it run 10..70 ms after its first acknowledgement (on a loaded
         * machine, under ASan, the child may take longer than that to start),
         * reading acknowledgements meanwhile. */
        size_t cap = 1 << 16, n = 0, have = 0;
        uint8_t *buf = malloc(cap);
        struct timespec t0, now, started;
        clock_gettime(CLOCK_MONOTONIC, &started);
        bool acked = false;
        long run_ms = 10 + rand() % 60;
        bool killed = false;
        for (;;) {
            if (!acked && have >= 8) {
                acked = true;
                clock_gettime(CLOCK_MONOTONIC, &t0);
            }
            long el = 0;
            if (!acked) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - started.tv_sec > 60) {
                    kill(pid, SIGKILL);
                    fail_msg("the writer acknowledged nothing in 60 s");
                }
            } else {
                clock_gettime(CLOCK_MONOTONIC, &now);
                el = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
            }
            if (!killed && acked && el >= run_ms) {
                kill(pid, SIGKILL);
                killed = true;
            }
            struct pollfd pf = {p[0], POLLIN, 0};
            if (poll(&pf, 1, 5) <= 0)
                continue;
            if (have == cap) {
                cap *= 2;
                buf = realloc(buf, cap);
                assert_non_null(buf);
            }
            ssize_t got = read(p[0], buf + have, cap - have);
            if (got <= 0)
                break; /* EOF: the child is gone */
            have += (size_t)got;
        }
        close(p[0]);
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        n = have / 8;
        total += n;
        assert_int_equal(lb_store_open(dir, NULL, &s), 0);
        lb_txn *r;
        assert_int_equal(lb_txn_read(s, &r), 0);
        for (size_t i = 0; i < n; i++) {
            struct lb_contact ct = {0};
            assert_int_equal(lb_contact_get(r, lb__rd64(buf + 8 * i), &ct), 0);
            lb_contact_clear(&ct);
        }
        lb_txn_end(r);
        assert_int_equal(lb_store_check(s, stderr), 0);
        lb_store_close(s);
        free(buf);
    }
    assert_true(total > 0);
    rm_rf(dir);
}

/* A child limited to a small file size (RLIMIT_FSIZE: writes past it fail
 * like a full disk) writes until a commit fails: that batch reports the
 * same error for every operation, and everything acknowledged before is
 * there, the environment checking clean. */
static void test_full_disk(void **state)
{
    char dir[] = "/tmp/lb_full_XXXXXX";
    assert_non_null(mkdtemp(dir));
    lb_store *s;
    struct lb_store_config cfg = {.map_size = 256 << 10};
    assert_int_equal(lb_store_create(dir, &cfg, &s), 0);
    struct seed sd;
    assert_int_equal(lb_store_run(s, run_seed, &sd), 0);
    lb_store_close(s);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {2 << 20, RLIM_INFINITY};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0 || lb_store_open(dir, &cfg, &s) != 0)
            _exit(2);
        struct contact_op o[16];
        struct lb_op ops[16];
        for (int round = 0; round < 100000; round++) {
            for (size_t i = 0; i < 16; i++) {
                o[i].case_id = sd.case_id;
                ops[i] = (struct lb_op){run_contact, &o[i], 99};
            }
            int rc = lb_store_batch(s, ops, 16, NULL, NULL);
            if (rc != 0) {
                for (size_t i = 0; i < 16; i++)
                    if (ops[i].result != rc)
                        _exit(6);
                /* A short write is EIO to LMDB; ENOSPC when the file
                 * system really is full (not the case under a rlimit). */
                if (rc != LB_ENOSPC && rc != LB_EIO)
                    _exit(7);
                /* Space comes back: the same store commits again. */
                rl.rlim_cur = RLIM_INFINITY;
                if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                    _exit(9);
                if (lb_store_batch(s, ops, 16, NULL, NULL) != 0)
                    _exit(10);
                for (size_t i = 0; i < 16; i++) {
                    uint8_t b[8];
                    lb__be64(b, o[i].id);
                    if (ops[i].result != 0 || write(p[1], b, 8) != 8)
                        _exit(5);
                }
                lb_store_close(s);
                _exit(0);
            }
            for (size_t i = 0; i < 16; i++) {
                uint8_t b[8];
                lb__be64(b, o[i].id);
                if (ops[i].result != 0 || write(p[1], b, 8) != 8)
                    _exit(5);
            }
        }
        _exit(8);
    }
    close(p[1]);
    size_t cap = 1 << 20, have = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (have == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t got = read(p[0], buf + have, cap - have);
        if (got <= 0)
            break;
        have += (size_t)got;
    }
    close(p[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_true(have > 0);
    assert_int_equal(lb_store_open(dir, NULL, &s), 0);
    lb_txn *r;
    assert_int_equal(lb_txn_read(s, &r), 0);
    for (size_t i = 0; i < have / 8; i++) {
        struct lb_contact ct = {0};
        assert_int_equal(lb_contact_get(r, lb__rd64(buf + 8 * i), &ct), 0);
        lb_contact_clear(&ct);
    }
    lb_txn_end(r);
    assert_int_equal(lb_store_last_seq(s), have / 8 + 2);
    assert_int_equal(lb_store_check(s, stderr), 0);
    lb_store_close(s);
    free(buf);
    rm_rf(dir);
}

/* An idempotency answer of about 1 MiB under key "big-N" (a record the
 * store keeps whole, so every few writes need the map to grow). */
struct big_op {
    int n;
    char *body;
};

static int run_big(lb_txn *t, void *arg)
{
    struct big_op *o = arg;
    char key[32];
    snprintf(key, sizeof key, "big-%d", o->n);
    struct lb_idempotency rec = {.status = 201, .body = o->body, .at = ctx.now};
    return lb_idempotency_put(t, "anna", key, &rec);
}

/* The address space this process uses now (VmSize), in bytes; 0 unknown. */
static size_t vm_size(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %zu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb * 1024;
}

/* Issue 30: when the map cannot grow (no address space for the larger map:
 * RLIMIT_AS = what the process uses + 24 MiB, then 1 MiB records), LMDB has
 * already unmapped the file. The batch must fail with LB_ENOMEM and the store
 * go on at its old size: reads see every record written before, and once
 * address space is back the same write succeeds. Before the fix the next
 * read transaction crashed the process. In a child, since the limit is
 * process-wide; not under AddressSanitizer, whose shadow memory the limit
 * would starve. */
static void test_map_growth_fails(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#endif
    char dir[] = "/tmp/lb_growfail_XXXXXX";
    assert_non_null(mkdtemp(dir));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct lb_store_config cfg = {.map_size = 1 << 20, .no_sync = true};
        lb_store *s;
        struct big_op o = {.body = malloc(1000000)};
        if (!o.body || lb_store_create(dir, &cfg, &s) != 0)
            _exit(2);
        memset(o.body, 'x', 999999);
        o.body[999999] = '\0';
        struct rlimit rl = {vm_size() + (24 << 20), RLIM_INFINITY};
        if (rl.rlim_cur == 24 << 20 || setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(3);
        int rc = 0;
        for (o.n = 0; o.n < 200 && rc == 0; o.n++)
            rc = lb_store_run(s, run_big, &o);
        o.n--;
        if (rc != LB_ENOMEM)
            _exit(4); /* it never failed (or failed otherwise) */
        /* The store goes on: a read sees every record written before. */
        lb_txn *r;
        if (lb_txn_read(s, &r) != 0)
            _exit(5);
        for (int i = 0; i < o.n; i++) {
            char key[32];
            struct lb_idempotency rec = {0};
            snprintf(key, sizeof key, "big-%d", i);
            if (lb_idempotency_get(r, "anna", key, ctx.now, &rec) != 0 || strlen(rec.body) != 999999)
                _exit(6);
            lb_idempotency_clear(&rec);
        }
        lb_txn_end(r);
        if (lb_store_broken(s))
            _exit(7);
        /* Address space is back: the same write grows the map and commits. */
        rl.rlim_cur = RLIM_INFINITY;
        if (setrlimit(RLIMIT_AS, &rl) != 0 || lb_store_run(s, run_big, &o) != 0)
            _exit(8);
        lb_store_close(s);
        free(o.body);
        _exit(o.n > 0 ? 0 : 9);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st))
        fail_msg("the child died of signal %d after the failed growth", WTERMSIG(st));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    lb_store *s;
    assert_int_equal(lb_store_open(dir, NULL, &s), 0);
    assert_int_equal(lb_store_check(s, stderr), 0);
    lb_store_close(s);
    rm_rf(dir);
}

/* The put that finds the map full takes every bit of address space away
 * (RLIMIT_AS far below what the process uses), so that growing fails and
 * so does opening the environment again. */
static int run_big_starve(lb_txn *t, void *arg)
{
    int rc = run_big(t, arg);
    if (rc == LB_EMAPFULL) {
        struct rlimit rl = {1 << 20, RLIM_INFINITY};
        setrlimit(RLIMIT_AS, &rl);
    }
    return rc;
}

/* When even opening the environment again fails after a failed growth, the
 * store is broken: every later transaction fails with LB_EIO (no crash) and
 * lb_store_broken says so, for lotsd to stop. */
static void test_map_growth_fails_broken(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#endif
    char dir[] = "/tmp/lb_growbroken_XXXXXX";
    assert_non_null(mkdtemp(dir));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct lb_store_config cfg = {.map_size = 1 << 20, .no_sync = true};
        lb_store *s;
        struct big_op o = {.body = malloc(1000000)};
        if (!o.body || lb_store_create(dir, &cfg, &s) != 0)
            _exit(2);
        memset(o.body, 'x', 999999);
        o.body[999999] = '\0';
        int rc = 0;
        for (o.n = 0; o.n < 200 && rc == 0; o.n++)
            rc = lb_store_run(s, run_big_starve, &o);
        if (rc == 0)
            _exit(3);
        if (!lb_store_broken(s))
            _exit(4);
        lb_txn *r;
        if (lb_txn_read(s, &r) != LB_EIO || lb_store_run(s, run_big, &o) != LB_EIO)
            _exit(5);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st))
        fail_msg("the child died of signal %d after the failed growth", WTERMSIG(st));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    /* Nothing acknowledged was lost: the environment opens and checks clean. */
    lb_store *s;
    assert_int_equal(lb_store_open(dir, NULL, &s), 0);
    assert_int_equal(lb_store_check(s, stderr), 0);
    lb_store_close(s);
    rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_growth),
        cmocka_unit_test(test_map_growth_while_reading),
        cmocka_unit_test(test_map_grown_by_another_process),
        cmocka_unit_test(test_backup_during_writes),
        cmocka_unit_test(test_kill9_mid_batch),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_map_growth_fails),
        cmocka_unit_test(test_map_growth_fails_broken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
