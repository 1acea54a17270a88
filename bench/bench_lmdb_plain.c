/* bench_lmdb_plain.c: the ceiling for durable contact writes.
 *
 * A plain C loop writes what POST /cases/{id}/contacts writes — the contact
 * record (msgpack through the codec, a realistic summary), its index entry
 * (contact by case), the id counter and one outbox event (the envelope as
 * stored) — straight into LMDB, N records per transaction, each commit with
 * a full sync. No nested transactions, no state checks, no HTTP: this is
 * what the API's write path is compared with.
 *
 * For comparison it then runs the store's own write path on the same
 * machine in the same run: lb_store_batch of lb_contact_log operations
 * (nested transaction per operation, state checks, the case read for the
 * event's company_id, generic index maintenance), and prints the share of the
 * ceiling it reaches.
 *
 * Usage: bench_lmdb_plain [DIR] [SECONDS_PER_RUN]
 * Prints records/s for batches of 1, 16 and 256: median, min and max of 3
 * runs. DIR defaults to a fresh directory under /tmp (removed afterwards).
 *
 *        bench_lmdb_plain --batch N [--secs S] [--runs R] [--store [--varied]]
 * runs the plain loop (or, with --store, lb_store_batch) at exactly batch N,
 * with --varied a different summary each record (Zipf-distributed words),
 * R times (default 3), and prints one machine-readable line for bench/bench.py:
 *   plain batch=N runs=R median=X min=Y max=Z txn_p50_ms=P txn_p99_ms=Q
 * (records/s; then the time of one transaction, begin to synced commit,
 * over every transaction of the R runs: at batch 1, one synced write). */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdbool.h>
#include <lmdb.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lotsbok/codec.h"
#include "lotsbok/records.h"
#include "lotsbok/store.h"

static const char summary[] =
    "Ringde om bygglov för bryggan vid Norrtäljeviken. Behöver ritningar, situationsplan och "
    "kontrollansvarig innan ansökan kan lämnas in; hänvisade till bygglovshandläggaren och "
    "lovade återkomma nästa vecka med besked om strandskyddsdispens.";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p);
}

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_) {                                                                                 \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, mdb_strerror(rc_));         \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

struct env {
    MDB_env *env;
    MDB_dbi contacts, ix_case, meta, events;
    uint64_t next_id, seq;
};

static void env_open(struct env *e, const char *dir)
{
    memset(e, 0, sizeof *e);
    CHECK(mdb_env_create(&e->env));
    CHECK(mdb_env_set_maxdbs(e->env, 8));
    CHECK(mdb_env_set_mapsize(e->env, (size_t)4 << 30));
    CHECK(mdb_env_open(e->env, dir, MDB_NOTLS, 0600));
    MDB_txn *t;
    CHECK(mdb_txn_begin(e->env, NULL, 0, &t));
    CHECK(mdb_dbi_open(t, "contacts", MDB_CREATE, &e->contacts));
    CHECK(mdb_dbi_open(t, "ix_contact_case", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &e->ix_case));
    CHECK(mdb_dbi_open(t, "meta", MDB_CREATE, &e->meta));
    CHECK(mdb_dbi_open(t, "events", MDB_CREATE, &e->events));
    CHECK(mdb_txn_commit(t));
    e->next_id = 1;
    e->seq = 1;
}

/* One record with its index entry, counter and event. */
static void write_one(struct env *e, MDB_txn *t, msgpack_sbuffer *sb, msgpack_sbuffer *eb)
{
    uint64_t case_id = 1 + e->next_id % 1000;
    struct lb_contact c = {
        .meta = {e->next_id, 1, 1773133200000, 1773133200000},
        .case_id = case_id,
        .at = 1773133200000,
        .channel = LB_CHANNEL_PHONE,
        .direction = LB_DIRECTION_INBOUND,
        .summary = (char *)summary,
        .minutes = 12,
        .logged_by = "anna",
    };
    sb->size = 0;
    if (lb_contact_encode(&c, sb)) {
        fprintf(stderr, "encode failed\n");
        exit(1);
    }
    uint8_t kid[8], kcase[8], kseq[8], ctr[8];
    be64(kid, c.meta.id);
    be64(kcase, case_id);
    be64(kseq, e->seq);
    MDB_val k = {8, kid}, v = {sb->size, sb->data};
    CHECK(mdb_put(t, e->contacts, &k, &v, MDB_APPEND));
    MDB_val ik = {8, kcase}, iv = {8, kid};
    CHECK(mdb_put(t, e->ix_case, &ik, &iv, 0));
    be64(ctr, ++e->next_id);
    MDB_val mk = {16, "next_id:contact"}, mv = {8, ctr};
    CHECK(mdb_put(t, e->meta, &mk, &mv, 0));

    /* The event data as the store builds it: ids, enums, times. */
    msgpack_sbuffer db;
    msgpack_packer pk;
    msgpack_sbuffer_init(&db);
    msgpack_packer_init(&pk, &db, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    const char *keys[] = {"case_id",   "company_id", "at",       "channel",
                          "direction", "minutes",    "logged_by"};
    for (int i = 0; i < 7; i++) {
        msgpack_pack_str(&pk, strlen(keys[i]));
        msgpack_pack_str_body(&pk, keys[i], strlen(keys[i]));
        switch (i) {
        case 0:
        case 1:
            msgpack_pack_uint64(&pk, case_id);
            break;
        case 2:
            msgpack_pack_int64(&pk, c.at);
            break;
        case 5:
            msgpack_pack_int32(&pk, c.minutes);
            break;
        default: {
            const char *sv = i == 3 ? "phone" : i == 4 ? "inbound" : "anna";
            msgpack_pack_str(&pk, strlen(sv));
            msgpack_pack_str_body(&pk, sv, strlen(sv));
        }
        }
    }
    struct lb_event ev = {e->seq,    "contact.logged",   c.at,   "anna",
                          c.meta.id, (uint8_t *)db.data, db.size};
    eb->size = 0;
    if (lb_event_encode(&ev, eb)) {
        fprintf(stderr, "event encode failed\n");
        exit(1);
    }
    msgpack_sbuffer_destroy(&db);
    MDB_val ek = {8, kseq}, evv = {eb->size, eb->data};
    CHECK(mdb_put(t, e->events, &ek, &evv, MDB_APPEND));
    e->seq++;
}

/* Each transaction's time, begin to synced commit (s), of the plain runs. */
static double *txn_times;
static size_t ntxn, txn_cap;

static void txn_time(double s)
{
    if (ntxn == txn_cap) {
        size_t cap = txn_cap ? txn_cap * 2 : 4096;
        double *p = realloc(txn_times, cap * sizeof *p);
        if (!p)
            return; /* the percentiles then cover fewer transactions */
        txn_times = p;
        txn_cap = cap;
    }
    txn_times[ntxn++] = s;
}

/* Records per second writing for `secs` seconds in batches of `batch`. */
static double run(const char *dir, size_t batch, double secs)
{
    struct env e;
    env_open(&e, dir);
    msgpack_sbuffer sb, eb;
    msgpack_sbuffer_init(&sb);
    msgpack_sbuffer_init(&eb);
    size_t n = 0;
    double t0 = now_s(), el;
    do {
        MDB_txn *t;
        double b0 = now_s();
        CHECK(mdb_txn_begin(e.env, NULL, 0, &t));
        for (size_t i = 0; i < batch; i++)
            write_one(&e, t, &sb, &eb);
        CHECK(mdb_txn_commit(t)); /* full sync: no MDB_NOSYNC */
        n += batch;
        double b1 = now_s();
        txn_time(b1 - b0);
        el = b1 - t0;
    } while (el < secs);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&eb);
    mdb_env_close(e.env);
    return (double)n / el;
}

static const struct lb_ctx bctx = {"anna", 1773133200000};

struct seed {
    lb_id case_id;
};

static int run_seed(lb_txn *t, void *arg)
{
    struct seed *sd = arg;
    struct lb_company c = {0};
    strcpy(c.orgnr, "5560360793");
    c.name = strdup("Mälarbåtar AB");
    lb_id existing;
    int rc = lb_company_create(t, &bctx, &c, &existing);
    lb_id co = c.meta.id;
    lb_company_clear(&c);
    if (rc)
        return rc;
    struct lb_case k = {0};
    k.company_id = co;
    k.subject = strdup("Bygglov för brygga");
    k.owner = strdup("anna");
    k.opened_at = LB_TIME_NONE;
    rc = lb_case_open(t, &bctx, &k);
    sd->case_id = k.meta.id;
    lb_case_clear(&k);
    return rc;
}

/* --varied: each summary VARIED_WORDS words drawn from a vocabulary of
 * VOCABULARY made-up words with Zipf's law (s = 1), as a language's words
 * are used: a few very common, most rare. The search index then writes a
 * different set of lists for every record, where the fixed summary writes
 * the same lists again and again. */
#define VOCABULARY 20000
#define VARIED_WORDS 25
static bool varied;
static double zipf_cdf[VOCABULARY];
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void zipf_init(void)
{
    double sum = 0;
    for (int i = 0; i < VOCABULARY; i++)
        zipf_cdf[i] = sum += 1.0 / (i + 1);
    for (int i = 0; i < VOCABULARY; i++)
        zipf_cdf[i] /= sum;
}

/* Word i: syllables spelling i in base 16, e.g. "kalora". */
static size_t word_of(unsigned i, char *out)
{
    static const char *const syl[16] = {"ka", "lo", "ra", "mi", "su", "te", "vå", "ni",
                                        "bö", "de", "gu", "ha", "jo", "pe", "sä", "fy"};
    size_t n = 0;
    do {
        const char *s = syl[i % 16];
        memcpy(out + n, s, strlen(s));
        n += strlen(s);
        i /= 16;
    } while (i);
    return n;
}

static char *varied_summary(void)
{
    char *out = malloc(VARIED_WORDS * 16);
    size_t n = 0;
    if (!out)
        return NULL;
    for (int w = 0; w < VARIED_WORDS; w++) {
        double u = (double)(rng() >> 11) / 9007199254740992.0;
        size_t lo = 0, hi = VOCABULARY - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (zipf_cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (w)
            out[n++] = ' ';
        n += word_of((unsigned)lo, out + n);
    }
    out[n] = '\0';
    return out;
}

static int run_contact(lb_txn *t, void *arg)
{
    const struct seed *sd = arg;
    struct lb_contact ct = {0};
    ct.case_id = sd->case_id;
    ct.at = LB_TIME_NONE;
    ct.channel = LB_CHANNEL_PHONE;
    ct.direction = LB_DIRECTION_INBOUND;
    ct.summary = varied ? varied_summary() : strdup(summary);
    ct.minutes = 12;
    ct.logged_by = strdup("anna");
    int rc = ct.summary && ct.logged_by ? lb_contact_log(t, &bctx, &ct) : -2;
    lb_contact_clear(&ct);
    return rc;
}

/* The same records through lb_store_batch. */
static double run_store(const char *dir, size_t batch, double secs)
{
    lb_store *s;
    struct lb_store_config cfg = {.map_size = (size_t)1 << 30};
    struct seed sd;
    if (lb_store_create(dir, &cfg, &s) || lb_store_run(s, run_seed, &sd)) {
        fprintf(stderr, "store set-up failed\n");
        exit(1);
    }
    struct lb_op *ops = calloc(batch, sizeof *ops);
    if (!ops)
        exit(1);
    size_t n = 0;
    double t0 = now_s(), el;
    do {
        for (size_t i = 0; i < batch; i++)
            ops[i] = (struct lb_op){run_contact, &sd, 0};
        uint64_t first, last;
        if (lb_store_batch(s, ops, batch, &first, &last) != 0 || last - first + 1 != batch) {
            fprintf(stderr, "batch failed\n");
            exit(1);
        }
        n += batch;
        el = now_s() - t0;
    } while (el < secs);
    free(ops);
    lb_store_close(s);
    return (double)n / el;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The driver's mode: one batch size, R runs, one line of key=value. */
static int main_one(int argc, char **argv)
{
    size_t batch = 0;
    int runs = 3;
    double secs = 2.0;
    bool store = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            batch = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--secs") == 0 && i + 1 < argc)
            secs = atof(argv[++i]);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--store") == 0)
            store = true;
        else if (strcmp(argv[i], "--varied") == 0)
            varied = true;
        else
            batch = 0, i = argc;
    }
    if (batch == 0 || batch > 100000 || runs < 1 || runs > 100 || !(secs > 0)) {
        fprintf(stderr,
                "usage: bench_lmdb_plain --batch N [--secs S] [--runs R] [--store [--varied]]\n");
        return 2;
    }
    if (varied)
        zipf_init();
    char base[] = "/tmp/lb_bench_plain_XXXXXX";
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    double r[100];
    for (int i = 0; i < runs; i++) {
        char dir[300];
        snprintf(dir, sizeof dir, "%s/run-%d", base, i);
        if (mkdir(dir, 0700) != 0) {
            perror(dir);
            return 1;
        }
        r[i] = store ? run_store(dir, batch, secs) : run(dir, batch, secs);
        nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    }
    nftw(base, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    qsort(r, (size_t)runs, sizeof *r, cmp_d);
    printf("%s batch=%zu runs=%d median=%.0f min=%.0f max=%.0f", store ? "store" : "plain", batch,
           runs, r[runs / 2], r[0], r[runs - 1]);
    if (ntxn) {
        qsort(txn_times, ntxn, sizeof *txn_times, cmp_d);
        printf(" txn_p50_ms=%.4f txn_p99_ms=%.4f", txn_times[ntxn / 2] * 1e3,
               txn_times[ntxn * 99 / 100] * 1e3);
    }
    printf("\n");
    free(txn_times);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strncmp(argv[1], "--", 2) == 0)
        return main_one(argc, argv);
    char base[256];
    double secs = argc > 2 ? atof(argv[2]) : 1.0;
    if (argc > 1) {
        snprintf(base, sizeof base, "%s", argv[1]);
    } else {
        strcpy(base, "/tmp/lb_bench_plain_XXXXXX");
        if (!mkdtemp(base)) {
            perror("mkdtemp");
            return 1;
        }
    }
    static const size_t sizes[] = {1, 16, 256};
    printf("bench_lmdb_plain: contact + index + counter + outbox event, full sync, %.1f s runs\n",
           secs);
    printf("%-8s %-12s %12s %12s %12s %10s\n", "batch", "path", "median/s", "min/s", "max/s",
           "of plain");
    for (size_t s = 0; s < 3; s++) {
        double med[2];
        for (int mode = 0; mode < 2; mode++) {
            double r[3];
            for (int i = 0; i < 3; i++) {
                char dir[300];
                snprintf(dir, sizeof dir, "%s/run-%d-%zu-%d", base, mode, sizes[s], i);
                if (mkdir(dir, 0700) != 0) {
                    perror(dir);
                    return 1;
                }
                r[i] = mode == 0 ? run(dir, sizes[s], secs) : run_store(dir, sizes[s], secs);
                nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
            }
            qsort(r, 3, sizeof *r, cmp_d);
            med[mode] = r[1];
            printf("%-8zu %-12s %12.0f %12.0f %12.0f %9.0f%%\n", sizes[s],
                   mode == 0 ? "plain" : "lb_store", r[1], r[0], r[2], 100.0 * r[1] / med[0]);
        }
    }
    if (argc <= 1)
        nftw(base, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    return 0;
}
