/* bench_events.c: event latency and replay throughput of the publisher.
 *
 *   bench_events [--batches N] [--batch-size K] [--replay-events M] [--rate R] [--nosync]
 *
 * 1. Latency: a real store (durable commits unless --nosync) and a publisher
 *    on 127.0.0.1. The main thread commits N small batches of K events with
 *    lb_store_batch, publishes each right after its commit and runs the uv
 *    loop; a SUB socket in another thread timestamps each arrival. Latency is
 *    commit returned -> SUB received, per event; p50/p99/max are printed.
 *    Batches are paced to offer R events/s (default 20,000, the durable
 *    write bar) when commits are faster than that; --rate 0 runs flat out,
 *    which measures queueing in a saturated subscriber rather than latency.
 * 2. Replay: M events in a second store (no-sync, to build it fast); a
 *    DEALER in another thread asks ["replay", {"after", "limit": 10000}]
 *    until it has everything, while the main thread runs the loop. The
 *    ceiling beside it is lb_outbox_read scanning the same events in one
 *    read transaction with nothing sent.
 *
 * The bar (DESIGN.md): commit -> received p99 <= 2 ms; replay >= 500,000
 * events/s. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>
#include <uv.h>
#include <zmq.h>

#include "lotsbok/error.h"
#include "lotsbok/publisher.h"
#include "lotsbok/store.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_events: %s failed: %d\n", what, rc);
    exit(1);
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

struct append_arg {
    uint32_t k;
    uint64_t seq;
};

static int op_append(lb_txn *t, void *arg)
{
    struct append_arg *a = arg;
    struct lb_ctx c = {.actor = "bench", .now = 1767225600000 + a->k};
    /* a contact.logged-sized data map: {"case_id": k, "channel": "phone", "minutes": 12} */
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "case_id", 7);
    msgpack_pack_uint32(&pk, a->k);
    msgpack_pack_str_with_body(&pk, "channel", 7);
    msgpack_pack_str_with_body(&pk, "phone", 5);
    msgpack_pack_str_with_body(&pk, "minutes", 7);
    msgpack_pack_uint32(&pk, 12);
    int rc = lb_outbox_append(t, &c, "contact.logged", a->k, sb.data, sb.size, &a->seq);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* Commits one batch of n events; returns the committed range. */
static void commit_batch(lb_store *s, size_t n, uint64_t *first, uint64_t *last)
{
    struct lb_op ops[64];
    struct append_arg args[64];
    uint64_t next = lb_store_last_seq(s) + 1;
    for (size_t i = 0; i < n; i++) {
        args[i] = (struct append_arg){.k = (uint32_t)(next + i)};
        ops[i] = (struct lb_op){.run = op_append, .arg = &args[i]};
    }
    int rc = lb_store_batch(s, ops, n, first, last);
    if (rc != 0)
        die("lb_store_batch", rc);
}

static lb_store *open_store(char *dir, bool no_sync)
{
    lb_store *s;
    struct lb_store_config cfg = {.no_sync = no_sync, .map_size = (size_t)1 << 30};
    if (mkdtemp(dir) == NULL)
        die("mkdtemp", -1);
    int rc = lb_store_create(dir, &cfg, &s);
    if (rc != 0)
        die("lb_store_create", rc);
    return s;
}

static void on_stop(void *arg)
{
    *(int *)arg = 1;
}

static void stop_publisher(uv_loop_t *loop, lb_publisher *p)
{
    int stopped = 0;
    lb_publisher_stop(p, on_stop, &stopped);
    while (!stopped)
        uv_run(loop, UV_RUN_ONCE);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* --- latency ---------------------------------------------------------------- */

/* The SUB thread records every arrival time; the main thread notes where
 * the measured events start (after the warm-up). Nothing is dropped at the
 * default high-water mark, so the i-th arrival is the i-th event. */
struct lat_sub {
    void *zctx;
    const char *endpoint;
    size_t cap;
    double *arrival;
    atomic_size_t received;
    atomic_int stop;
};

static void *lat_sub_main(void *arg)
{
    struct lat_sub *ls = arg;
    void *sub = zmq_socket(ls->zctx, ZMQ_SUB);
    int linger = 0, timeout = 100;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect(sub, ls->endpoint);
    char buf[4096];
    while (!atomic_load(&ls->stop)) {
        if (zmq_recv(sub, buf, sizeof buf, 0) < 0)
            continue;
        int more = 0;
        size_t sz = sizeof more;
        zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &sz);
        if (more && zmq_recv(sub, buf, sizeof buf, 0) < 0)
            continue;
        size_t i = atomic_load(&ls->received);
        if (i < ls->cap)
            ls->arrival[i] = now_us();
        atomic_store(&ls->received, i + 1);
    }
    zmq_close(sub);
    return NULL;
}

static void bench_latency(size_t batches, size_t batch_size, bool no_sync, double rate)
{
    char dir[] = "/tmp/lb-bench-events-XXXXXX";
    lb_store *s = open_store(dir, no_sync);
    uv_loop_t loop;
    uv_loop_init(&loop);
    lb_publisher *p;
    int rc = lb_publisher_start(&loop, s, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", &p);
    if (rc != 0)
        die("lb_publisher_start", rc);
    const char *pub_ep;
    lb_publisher_endpoints(p, &pub_ep, NULL);

    size_t warm = 0;
    size_t total = batches * batch_size;
    struct lat_sub ls = {.zctx = zmq_ctx_new(), .endpoint = pub_ep, .cap = total + 100000};
    ls.arrival = calloc(ls.cap, sizeof *ls.arrival);
    double *committed = calloc(total, sizeof *committed);
    if (ls.zctx == NULL || ls.arrival == NULL || committed == NULL)
        die("allocation", LB_ENOMEM);
    pthread_t th;
    pthread_create(&th, NULL, lat_sub_main, &ls);

    /* Warm up: publish single events until the subscriber sees one. */
    uint64_t first, last;
    double until = now_us() + 5e6;
    while (atomic_load(&ls.received) == 0 && now_us() < until) {
        commit_batch(s, 1, &first, &last);
        lb_publisher_publish(p, first, last);
        warm++;
        double t = now_us() + 10000;
        while (now_us() < t)
            uv_run(&loop, UV_RUN_NOWAIT);
    }
    /* Let any warm-up copies land, then note where measured events start. */
    double t = now_us() + 100000;
    while (now_us() < t)
        uv_run(&loop, UV_RUN_NOWAIT);
    size_t base = atomic_load(&ls.received);

    double start = now_us();
    double interval = rate > 0 ? 1e6 * (double)batch_size / rate : 0;
    for (size_t b = 0; b < batches; b++) {
        while (now_us() < start + (double)b * interval)
            uv_run(&loop, UV_RUN_NOWAIT);
        commit_batch(s, batch_size, &first, &last);
        double c = now_us();
        for (size_t i = 0; i < batch_size; i++)
            committed[b * batch_size + i] = c;
        lb_publisher_publish(p, first, last);
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    double elapsed = now_us() - start;
    t = now_us() + 2e6;
    while (atomic_load(&ls.received) < base + total && now_us() < t)
        uv_run(&loop, UV_RUN_NOWAIT);
    atomic_store(&ls.stop, 1);
    pthread_join(th, NULL);

    size_t got = atomic_load(&ls.received) - base;
    double *lat = calloc(total, sizeof *lat);
    size_t n = got < total ? got : total;
    for (size_t i = 0; i < n; i++)
        lat[i] = ls.arrival[base + i] - committed[i];
    qsort(lat, n, sizeof *lat, cmp_double);
    printf("latency: %zu batches of %zu events, %s commits, offered %.0f events/s, achieved %.0f "
           "events/s\n",
           batches, batch_size, no_sync ? "no-sync" : "durable", rate,
           (double)total / (elapsed / 1e6));
    printf("latency: commit -> SUB received over %zu events (%zu received): p50 %.3f ms, "
           "p99 %.3f ms, max %.3f ms  [bar: p99 <= 2 ms]\n",
           total, got, n ? lat[n / 2] / 1000 : 0, n ? lat[(size_t)(n * 0.99)] / 1000 : 0,
           n ? lat[n - 1] / 1000 : 0);
    free(lat);
    free(committed);
    free(ls.arrival);
    stop_publisher(&loop, p);
    uv_loop_close(&loop);
    zmq_ctx_term(ls.zctx);
    lb_store_close(s);
    nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* --- replay --------------------------------------------------------------------- */

struct replay_client {
    void *zctx;
    const char *endpoint;
    uint64_t total;
    uint64_t events;
    uint64_t bytes;
    double elapsed_us;
    int failed;
    atomic_int done;
};

/* Reads the array count from the answer's header. */
static int array_count(const uint8_t *b, size_t len, uint64_t *n)
{
    if (len >= 1 && (b[0] & 0xf0) == 0x90) {
        *n = b[0] & 0x0f;
        return 0;
    }
    if (len >= 3 && b[0] == 0xdc) {
        *n = ((uint64_t)b[1] << 8) | b[2];
        return 0;
    }
    if (len >= 5 && b[0] == 0xdd) {
        *n = ((uint64_t)b[1] << 24) | ((uint64_t)b[2] << 16) | ((uint64_t)b[3] << 8) | b[4];
        return 0;
    }
    return -1;
}

static void *replay_main(void *arg)
{
    struct replay_client *rc = arg;
    void *s = zmq_socket(rc->zctx, ZMQ_DEALER);
    int linger = 0, timeout = 10000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_connect(s, rc->endpoint);
    uint64_t after = 0;
    double start = now_us();
    while (after < rc->total) {
        uint8_t req[32];
        size_t len = 0;
        req[len++] = 0x82;
        req[len++] = 0xa5;
        memcpy(req + len, "after", 5);
        len += 5;
        req[len++] = 0xcf;
        for (int i = 7; i >= 0; i--)
            req[len++] = (uint8_t)(after >> (8 * i));
        req[len++] = 0xa5;
        memcpy(req + len, "limit", 5);
        len += 5;
        req[len++] = 0xcd;
        req[len++] = 10000 >> 8;
        req[len++] = 10000 & 0xff;
        zmq_send(s, "replay", 6, ZMQ_SNDMORE);
        zmq_send(s, req, len, 0);
        zmq_msg_t cmd, body;
        zmq_msg_init(&cmd);
        zmq_msg_init(&body);
        uint64_t n = 0;
        if (zmq_msg_recv(&cmd, s, 0) < 0 || zmq_msg_recv(&body, s, 0) < 0 ||
            zmq_msg_size(&cmd) != 6 ||
            array_count(zmq_msg_data(&body), zmq_msg_size(&body), &n) != 0 || n == 0) {
            rc->failed = 1;
            zmq_msg_close(&cmd);
            zmq_msg_close(&body);
            break;
        }
        rc->bytes += zmq_msg_size(&body);
        zmq_msg_close(&cmd);
        zmq_msg_close(&body);
        after += n;
    }
    rc->elapsed_us = now_us() - start;
    rc->events = after;
    zmq_close(s);
    atomic_store(&rc->done, 1);
    return NULL;
}

static int count_cb(uint64_t seq, const void *env, size_t len, void *arg)
{
    *(uint64_t *)arg += len;
    return 0;
}

static void bench_replay(size_t nevents)
{
    char dir[] = "/tmp/lb-bench-replay-XXXXXX";
    lb_store *s = open_store(dir, true);
    double t0 = now_us();
    struct lb_op *ops = calloc(10000, sizeof *ops);
    struct append_arg *args = calloc(10000, sizeof *args);
    if (ops == NULL || args == NULL)
        die("allocation", LB_ENOMEM);
    for (size_t done = 0; done < nevents;) {
        size_t m = nevents - done < 10000 ? nevents - done : 10000;
        for (size_t i = 0; i < m; i++) {
            args[i] = (struct append_arg){.k = (uint32_t)(done + i + 1)};
            ops[i] = (struct lb_op){.run = op_append, .arg = &args[i]};
        }
        uint64_t first, last;
        int rc = lb_store_batch(s, ops, m, &first, &last);
        if (rc != 0)
            die("lb_store_batch", rc);
        done += m;
    }
    free(ops);
    free(args);
    printf("replay: %zu events appended in %.2f s\n", nevents, (now_us() - t0) / 1e6);

    /* Ceiling: scanning the outbox in one read transaction, nothing sent. */
    lb_txn *t;
    uint64_t bytes = 0;
    t0 = now_us();
    if (lb_txn_read(s, &t) != 0 || lb_outbox_read(t, 0, nevents, count_cb, &bytes) != 0)
        die("lb_outbox_read", -1);
    lb_txn_end(t);
    double scan = now_us() - t0;

    uv_loop_t loop;
    uv_loop_init(&loop);
    lb_publisher *p;
    int rc = lb_publisher_start(&loop, s, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", &p);
    if (rc != 0)
        die("lb_publisher_start", rc);
    const char *replay_ep;
    lb_publisher_endpoints(p, NULL, &replay_ep);
    struct replay_client c = {.zctx = zmq_ctx_new(), .endpoint = replay_ep, .total = nevents};
    pthread_t th;
    pthread_create(&th, NULL, replay_main, &c);
    while (!atomic_load(&c.done))
        uv_run(&loop, UV_RUN_ONCE); /* the fd wakes the loop for each request */
    pthread_join(th, NULL);
    printf("replay: outbox scan ceiling %.0f events/s (%.1f MB)\n", nevents / (scan / 1e6),
           (double)bytes / 1e6);
    printf("replay: DEALER limit 10000: %llu events in %.3f s = %.0f events/s, %.0f MB/s%s  "
           "[bar: >= 500,000 events/s]\n",
           (unsigned long long)c.events, c.elapsed_us / 1e6, c.events / (c.elapsed_us / 1e6),
           (double)c.bytes / c.elapsed_us, c.failed ? " (FAILED)" : "");
    stop_publisher(&loop, p);
    uv_loop_close(&loop);
    zmq_ctx_term(c.zctx);
    lb_store_close(s);
    nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv)
{
    size_t batches = 2000, batch_size = 4, replay_events = 1000000;
    bool no_sync = false;
    double rate = 20000; /* events/s offered: the durable-write bar */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--batches") == 0 && i + 1 < argc)
            batches = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--batch-size") == 0 && i + 1 < argc)
            batch_size = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--replay-events") == 0 && i + 1 < argc)
            replay_events = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
            rate = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--nosync") == 0)
            no_sync = true;
        else {
            fprintf(stderr,
                    "usage: bench_events [--batches N] [--batch-size K (<= 64)] "
                    "[--replay-events M] [--rate EVENTS_PER_S (0 = flat out)] [--nosync]\n");
            return 2;
        }
    }
    if (batch_size == 0 || batch_size > 64 || batches == 0)
        return 2;
    bench_latency(batches, batch_size, no_sync, rate);
    if (replay_events > 0)
        bench_replay(replay_events);
    return 0;
}
