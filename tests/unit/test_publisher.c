/* test_publisher.c: the outbox over ZeroMQ PUB, and replay over ROUTER.
 *
 * Real LMDB store in a temp dir, real ZeroMQ on 127.0.0.1 with wildcard
 * ports. Events are appended with lb_store_batch / lb_outbox_append and
 * published with lb_publisher_publish; the test's own SUB, DEALER and REQ
 * sockets check what arrives. The uv loop runs in this thread with
 * UV_RUN_NOWAIT between short zmq_polls, until a deadline. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#include <zmq.h>

#include "lotsbok/error.h"
#include "lotsbok/publisher.h"
#include "lotsbok/store.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLOW_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOW_BUILD 1
#endif
#endif
#ifndef SLOW_BUILD
#define SLOW_BUILD 0
#endif

#define MAX_FRAMES 8
#define TIMEOUT_MS 5000

struct fx {
    char dir[64];
    lb_store *store;
    uv_loop_t loop;
    lb_publisher *pub;
    const char *pub_ep;
    const char *replay_ep;
    void *zctx;
    /* every stored envelope, index seq - 1 */
    uint8_t **env;
    size_t *env_len;
    size_t nenv;
};

struct frames {
    int n;
    uint8_t *data[MAX_FRAMES];
    size_t len[MAX_FRAMES];
};

static void frames_free(struct frames *f)
{
    for (int i = 0; i < f->n; i++)
        free(f->data[i]);
    f->n = 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* --- fixture ------------------------------------------------------------------- */

static int fx_start(void **state, const struct lb_publisher_options *opts)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/lb-publisher-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    struct lb_store_config cfg = {.no_sync = true};
    assert_int_equal(lb_store_create(f->dir, &cfg, &f->store), 0);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(lb_publisher_start_opts(&f->loop, f->store, "tcp://127.0.0.1:*",
                                             "tcp://127.0.0.1:*", opts, &f->pub),
                     0);
    lb_publisher_endpoints(f->pub, &f->pub_ep, &f->replay_ep);
    assert_non_null(strstr(f->pub_ep, "tcp://127.0.0.1:"));
    assert_string_not_equal(f->pub_ep, f->replay_ep);
    f->zctx = zmq_ctx_new();
    assert_non_null(f->zctx);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return fx_start(state, NULL);
}

static void on_stopped(void *arg)
{
    (*(int *)arg)++;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    int stopped = 0;
    lb_publisher_stop(f->pub, on_stopped, &stopped);
    int64_t deadline = now_ms() + TIMEOUT_MS;
    while (stopped == 0 && now_ms() < deadline)
        uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(stopped, 1);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    zmq_ctx_term(f->zctx);
    lb_store_close(f->store);
    nftw(f->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
    for (size_t i = 0; i < f->nenv; i++)
        free(f->env[i]);
    free(f->env);
    free(f->env_len);
    free(f);
    return 0;
}

/* --- events ------------------------------------------------------------------------- */

/* One operation appends `count` events, seq first.. (type_of(seq), data
 * {"k": seq}). Several events per operation keeps big tests fast: each
 * operation is a nested LMDB transaction. */
struct append_arg {
    uint64_t first;
    size_t count;
};

#define EVENTS_PER_OP 100

static const char *const TYPES[] = {"case.opened", "handoff.created", "contact.logged",
                                    "case.closed", "company.created"};
#define NTYPES (sizeof TYPES / sizeof TYPES[0])

static const char *type_of(uint64_t seq)
{
    return TYPES[seq % NTYPES];
}

static int op_append(lb_txn *t, void *arg)
{
    struct append_arg *a = arg;
    for (size_t i = 0; i < a->count; i++) {
        uint64_t k = a->first + i;
        struct lb_ctx c = {.actor = "tester", .now = 1767225600000 + (lb_time)k};
        uint8_t data[8] = {
            0x81,      0xa1, 'k', 0xce, (uint8_t)(k >> 24), (uint8_t)(k >> 16), (uint8_t)(k >> 8),
            (uint8_t)k};
        uint64_t seq = 0;
        int rc = lb_outbox_append(t, &c, type_of(k), 1000 + k, data, sizeof data, &seq);
        if (rc != 0)
            return rc;
        if (seq != k)
            return LB_EINTERNAL;
    }
    return 0;
}

/* Appends n events in commits of at most `batch` events, publishing each
 * commit's range right after it when publish is set. */
static void append_events(struct fx *f, size_t n, size_t batch, bool publish)
{
    size_t maxops = (batch + EVENTS_PER_OP - 1) / EVENTS_PER_OP;
    struct lb_op *ops = calloc(maxops, sizeof *ops);
    struct append_arg *args = calloc(maxops, sizeof *args);
    assert_non_null(ops);
    assert_non_null(args);
    size_t done = 0;
    while (done < n) {
        size_t m = n - done < batch ? n - done : batch;
        uint64_t next = lb_store_last_seq(f->store) + 1;
        size_t nops = 0;
        for (size_t i = 0; i < m; i += EVENTS_PER_OP, nops++) {
            args[nops] = (struct append_arg){
                .first = next + i, .count = m - i < EVENTS_PER_OP ? m - i : EVENTS_PER_OP};
            ops[nops] = (struct lb_op){.run = op_append, .arg = &args[nops]};
        }
        uint64_t first = 0, last = 0;
        assert_int_equal(lb_store_batch(f->store, ops, nops, &first, &last), 0);
        for (size_t i = 0; i < nops; i++)
            assert_int_equal(ops[i].result, 0);
        assert_int_equal(first, next);
        assert_int_equal(last, next + m - 1);
        if (publish)
            lb_publisher_publish(f->pub, first, last);
        done += m;
    }
    free(ops);
    free(args);
}

static int keep_envelope(uint64_t seq, const void *env, size_t len, void *arg)
{
    struct fx *f = arg;
    assert_int_equal(seq, f->nenv + 1);
    f->env[f->nenv] = malloc(len ? len : 1);
    assert_non_null(f->env[f->nenv]);
    memcpy(f->env[f->nenv], env, len);
    f->env_len[f->nenv] = len;
    f->nenv++;
    return 0;
}

/* Loads every stored envelope into f->env for byte comparisons. */
static void load_envelopes(struct fx *f)
{
    for (size_t i = 0; i < f->nenv; i++)
        free(f->env[i]);
    free(f->env);
    free(f->env_len);
    size_t n = (size_t)lb_store_last_seq(f->store);
    f->env = calloc(n + 1, sizeof *f->env);
    f->env_len = calloc(n + 1, sizeof *f->env_len);
    f->nenv = 0;
    assert_non_null(f->env);
    assert_non_null(f->env_len);
    lb_txn *t;
    assert_int_equal(lb_txn_read(f->store, &t), 0);
    assert_int_equal(lb_outbox_read(t, 0, n, keep_envelope, f), 0);
    lb_txn_end(t);
    assert_int_equal(f->nenv, n);
}

/* --- sockets ------------------------------------------------------------------------ */

/* Receives one multipart message from sock within timeout_ms, running the uv
 * loop meanwhile. Returns true when one arrived. */
static bool recv_msg(struct fx *f, void *sock, int timeout_ms, struct frames *out)
{
    out->n = 0;
    int64_t deadline = now_ms() + timeout_ms;
    do {
        uv_run(&f->loop, UV_RUN_NOWAIT);
        zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
        int r = zmq_poll(&it, 1, 1);
        assert_true(r >= 0);
        if (r == 0)
            continue;
        int more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            assert_true(zmq_msg_recv(&m, sock, 0) >= 0);
            more = zmq_msg_more(&m);
            assert_true(out->n < MAX_FRAMES);
            out->len[out->n] = zmq_msg_size(&m);
            out->data[out->n] = malloc(out->len[out->n] + 1);
            assert_non_null(out->data[out->n]);
            memcpy(out->data[out->n], zmq_msg_data(&m), out->len[out->n]);
            out->n++;
            zmq_msg_close(&m);
        }
        return true;
    } while (now_ms() < deadline);
    return false;
}

static void *open_sock(struct fx *f, int type, const char *endpoint)
{
    void *s = zmq_socket(f->zctx, type);
    assert_non_null(s);
    int linger = 0;
    assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger), 0);
    assert_int_equal(zmq_connect(s, endpoint), 0);
    return s;
}

static void *open_sub(struct fx *f, const char *prefix, int rcvhwm)
{
    void *s = zmq_socket(f->zctx, ZMQ_SUB);
    assert_non_null(s);
    int linger = 0;
    assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger), 0);
    if (rcvhwm > 0) {
        int buf = 4096;
        assert_int_equal(zmq_setsockopt(s, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm), 0);
        assert_int_equal(zmq_setsockopt(s, ZMQ_RCVBUF, &buf, sizeof buf), 0);
    }
    assert_int_equal(zmq_setsockopt(s, ZMQ_SUBSCRIBE, prefix, strlen(prefix)), 0);
    assert_int_equal(zmq_connect(s, f->pub_ep), 0);
    return s;
}

/* Publishes event `probe` until sub receives it (the subscription reached
 * the PUB socket), then swallows further copies for a moment. */
static void sub_sync(struct fx *f, void *sub, uint64_t probe)
{
    struct frames m;
    int64_t deadline = now_ms() + TIMEOUT_MS;
    bool got = false;
    while (!got && now_ms() < deadline) {
        lb_publisher_publish(f->pub, probe, probe);
        got = recv_msg(f, sub, 20, &m);
        if (got)
            frames_free(&m);
    }
    assert_true(got);
    while (recv_msg(f, sub, 50, &m))
        frames_free(&m);
}

/* Sends [replay, {after, limit}] (map from pack) on a DEALER or REQ socket. */
static void send_replay(void *s, uint64_t after, uint64_t limit)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "after", 5);
    msgpack_pack_uint64(&pk, after);
    msgpack_pack_str_with_body(&pk, "limit", 5);
    msgpack_pack_uint64(&pk, limit);
    assert_int_equal(zmq_send(s, "replay", 6, ZMQ_SNDMORE), 6);
    assert_int_equal(zmq_send(s, sb.data, sb.size, 0), (int)sb.size);
    msgpack_sbuffer_destroy(&sb);
}

/* The exact bytes an answer with events after..after+count must carry. */
static void expected_array(struct fx *f, uint64_t after, size_t count, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, count);
    for (size_t i = 0; i < count; i++)
        msgpack_sbuffer_write(sb, (const char *)f->env[after + i], f->env_len[after + i]);
}

/* Receives an answer and checks it is ["events", exactly the stored
 * envelopes after+1 .. after+count]. */
static void expect_events(struct fx *f, void *s, uint64_t after, size_t count)
{
    struct frames m;
    assert_true(recv_msg(f, s, TIMEOUT_MS, &m));
    assert_int_equal(m.n, 2);
    assert_int_equal(m.len[0], 6);
    assert_memory_equal(m.data[0], "events", 6);
    msgpack_sbuffer want;
    expected_array(f, after, count, &want);
    assert_int_equal(m.len[1], want.size);
    assert_memory_equal(m.data[1], want.data, want.size);
    msgpack_sbuffer_destroy(&want);
    frames_free(&m);
}

/* Receives an answer and checks it is ["error", {"message": non-empty str}]. */
static void expect_error(struct fx *f, void *s)
{
    struct frames m;
    assert_true(recv_msg(f, s, TIMEOUT_MS, &m));
    assert_int_equal(m.n, 2);
    assert_int_equal(m.len[0], 5);
    assert_memory_equal(m.data[0], "error", 5);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&u, (const char *)m.data[1], m.len[1], &off),
                     MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, m.len[1]);
    assert_int_equal(u.data.type, MSGPACK_OBJECT_MAP);
    assert_int_equal(u.data.via.map.size, 1);
    msgpack_object_kv *kv = &u.data.via.map.ptr[0];
    assert_int_equal(kv->key.type, MSGPACK_OBJECT_STR);
    assert_int_equal(kv->key.via.str.size, 7);
    assert_memory_equal(kv->key.via.str.ptr, "message", 7);
    assert_int_equal(kv->val.type, MSGPACK_OBJECT_STR);
    assert_true(kv->val.via.str.size > 0);
    msgpack_unpacked_destroy(&u);
    frames_free(&m);
}

/* --- tests ---------------------------------------------------------------------------- */

/* Every committed event reaches a subscriber in order as [type, envelope]. */
static void test_publish_in_order(void **state)
{
    struct fx *f = *state;
    append_events(f, 1, 1, false); /* the probe, seq 1 */
    void *sub = open_sub(f, "", 0);
    sub_sync(f, sub, 1);
    uint64_t before = lb_publisher_published(f->pub);
    append_events(f, 200, 7, true);
    load_envelopes(f);
    assert_int_equal(lb_publisher_published(f->pub) - before, 200);
    for (uint64_t seq = 2; seq <= 201; seq++) {
        struct frames m;
        assert_true(recv_msg(f, sub, TIMEOUT_MS, &m));
        assert_int_equal(m.n, 2);
        assert_int_equal(m.len[0], strlen(type_of(seq)));
        assert_memory_equal(m.data[0], type_of(seq), m.len[0]);
        assert_int_equal(m.len[1], f->env_len[seq - 1]);
        assert_memory_equal(m.data[1], f->env[seq - 1], m.len[1]);
        frames_free(&m);
    }
    zmq_close(sub);
}

/* A prefix subscription receives the matching types only. */
static void test_prefix_filter(void **state)
{
    struct fx *f = *state;
    append_events(f, 5, 5, false); /* seq 5 is case.opened: the probe */
    assert_string_equal(type_of(5), "case.opened");
    void *sub = open_sub(f, "case.", 0);
    sub_sync(f, sub, 5);
    append_events(f, 100, 10, true);
    load_envelopes(f);
    size_t want = 0;
    for (uint64_t seq = 6; seq <= 105; seq++)
        want += strncmp(type_of(seq), "case.", 5) == 0;
    assert_true(want > 0 && want < 100);
    uint64_t seq = 5;
    for (size_t i = 0; i < want; i++) {
        do
            seq++;
        while (strncmp(type_of(seq), "case.", 5) != 0);
        struct frames m;
        assert_true(recv_msg(f, sub, TIMEOUT_MS, &m));
        assert_int_equal(m.n, 2);
        assert_int_equal(m.len[0], strlen(type_of(seq)));
        assert_memory_equal(m.data[0], type_of(seq), m.len[0]);
        assert_int_equal(m.len[1], f->env_len[seq - 1]);
        assert_memory_equal(m.data[1], f->env[seq - 1], m.len[1]);
        frames_free(&m);
    }
    struct frames extra;
    assert_false(recv_msg(f, sub, 200, &extra)); /* nothing else came */
    zmq_close(sub);
}

static void check_replays(struct fx *f, void *s)
{
    send_replay(s, 0, 1000);
    expect_events(f, s, 0, 50); /* everything, byte for byte */
    send_replay(s, 30, 1000);
    expect_events(f, s, 30, 20); /* only the later ones */
    send_replay(s, 10, 7);
    expect_events(f, s, 10, 7); /* the limit */
    send_replay(s, 50, 10);
    expect_events(f, s, 50, 0); /* up to date: empty array */
    send_replay(s, UINT64_MAX, 10);
    expect_events(f, s, 50, 0);
}

static void test_replay_dealer(void **state)
{
    struct fx *f = *state;
    append_events(f, 50, 16, true);
    load_envelopes(f);
    void *s = open_sock(f, ZMQ_DEALER, f->replay_ep);
    check_replays(f, s);
    assert_int_equal(lb_publisher_replays(f->pub), 5);
    assert_int_equal(lb_publisher_replay_errors(f->pub), 0);
    zmq_close(s);
}

static void test_replay_req(void **state)
{
    struct fx *f = *state;
    append_events(f, 50, 50, true);
    load_envelopes(f);
    void *s = open_sock(f, ZMQ_REQ, f->replay_ep);
    check_replays(f, s);
    zmq_close(s);
}

/* Sends the given frames as one message. */
static void send_frames(void *s, int n, const char *const *data, const size_t *len)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(zmq_send(s, data[i], len[i], i + 1 < n ? ZMQ_SNDMORE : 0), (int)len[i]);
}

struct bad_request {
    int n;
    const char *data[4];
    size_t len[4];
};

static void run_malformed(struct fx *f, void *s)
{
    /* after=0 as a msgpack uint is 0x00; "\x82\xa5after\x00\xa5limit\x0a" is good. */
    static const struct bad_request bad[] = {
        {1, {"garbage"}, {7}},
        {2, {"replay", "\xc1"}, {6, 1}},
        {2,
         {"replay", "\x81\xa5"
                    "after\x00"},
         {6, 8}}, /* limit missing */
        {2,
         {"replay", "\x81\xa5"
                    "limit\x0a"},
         {6, 8}}, /* after missing */
        {2,
         {"replay", "\x82\xa5"
                    "after\xa1"
                    "0\xa5"
                    "limit\x0a"},
         {6, 16}}, /* string after */
        {2,
         {"replay", "\x82\xa5"
                    "after\xff\xa5"
                    "limit\x0a"},
         {6, 15}}, /* negative after */
        {2,
         {"replay", "\x82\xa5"
                    "after\x00\xa5"
                    "limit\x00"},
         {6, 15}}, /* limit 0 */
        {2,
         {"replay", "\x82\xa5"
                    "after\x00\xa5"
                    "limit\x0a\xc0"},
         {6, 16}}, /* trailing */
        {2,
         {"replay", "\x82\xa5"
                    "after\x00"},
         {6, 8}},                                        /* truncated */
        {2, {"replay", "\x93\x01\x02\x03"}, {6, 4}},     /* not a map */
        {2, {"replay", "\xdd\xff\xff\xff\xff"}, {6, 5}}, /* huge array */
        {2, {"replay", "\xdf\xff\xff\xff\xff"}, {6, 5}}, /* huge map */
        {2,
         {"fetch", "\x82\xa5"
                   "after\x00\xa5"
                   "limit\x0a"},
         {5, 15}}, /* unknown */
        {3,
         {"replay",
          "\x82\xa5"
          "after\x00\xa5"
          "limit\x0a",
          "x"},
         {6, 15, 1}},
        {4,
         {"replay",
          "\x82\xa5"
          "after\x00\xa5"
          "limit\x0a",
          "x", "y"},
         {6, 15, 1, 1}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        send_frames(s, bad[i].n, bad[i].data, bad[i].len);
        expect_error(f, s);
        /* and the server goes on */
        send_replay(s, 3, 2);
        expect_events(f, s, 3, 2);
    }
    /* a map with extra keys and a nested value is accepted */
    const char *ok[] = {"replay", "\x83\xa1x\x92\x81\xa1y\xc3\xa0\xa5"
                                  "after\x00\xa5"
                                  "limit\x0a"};
    size_t oklen[] = {6, 23};
    send_frames(s, 2, ok, oklen);
    expect_events(f, s, 0, 10);
}

static void test_replay_malformed_dealer(void **state)
{
    struct fx *f = *state;
    append_events(f, 20, 20, true);
    load_envelopes(f);
    void *s = open_sock(f, ZMQ_DEALER, f->replay_ep);
    run_malformed(f, s);
    assert_int_equal(lb_publisher_replay_errors(f->pub), 15);
    zmq_close(s);
}

static void test_replay_malformed_req(void **state)
{
    struct fx *f = *state;
    append_events(f, 20, 20, true);
    load_envelopes(f);
    void *s = open_sock(f, ZMQ_REQ, f->replay_ep);
    run_malformed(f, s);
    zmq_close(s);
}

/* A frame over ZMQ_MAXMSGSIZE drops that peer; others are still served. */
static void test_replay_oversized(void **state)
{
    struct fx *f = *state;
    append_events(f, 3, 3, true);
    load_envelopes(f);
    void *big = open_sock(f, ZMQ_DEALER, f->replay_ep);
    size_t n = 128 * 1024;
    char *junk = calloc(1, n);
    assert_non_null(junk);
    assert_int_equal(zmq_send(big, "replay", 6, ZMQ_SNDMORE), 6);
    assert_int_equal(zmq_send(big, junk, n, 0), (int)n);
    free(junk);
    struct frames m;
    assert_false(recv_msg(f, big, 300, &m));
    void *s = open_sock(f, ZMQ_DEALER, f->replay_ep);
    send_replay(s, 0, 10);
    expect_events(f, s, 0, 3);
    zmq_close(big);
    zmq_close(s);
}

static int setup_small_hwm(void **state)
{
    struct lb_publisher_options o = {.pub_sndhwm = 100, .pub_sndbuf = 4096};
    return fx_start(state, &o);
}

/* A subscriber that does not read loses live events once the queues are
 * full; replay still returns every one, at most LB_REPLAY_MAX per answer. */
static void test_slow_subscriber_recovers_by_replay(void **state)
{
    struct fx *f = *state;
    const size_t n = SLOW_BUILD ? 50000 : 200000;
    append_events(f, 1, 1, false);
    void *sub = open_sub(f, "", 100);
    sub_sync(f, sub, 1);
    append_events(f, n - 1, 10000, true);
    load_envelopes(f);

    /* What the subscriber got is in order, and fewer than published. */
    size_t got = 0;
    uint64_t last = 1;
    struct frames m;
    while (recv_msg(f, sub, 300, &m)) {
        assert_int_equal(m.n, 2);
        bool found = false;
        for (uint64_t seq = last + 1; seq <= n; seq++) {
            if (m.len[1] == f->env_len[seq - 1] &&
                memcmp(m.data[1], f->env[seq - 1], m.len[1]) == 0) {
                last = seq;
                found = true;
                break;
            }
        }
        assert_true(found);
        got++;
        frames_free(&m);
    }
    print_message("slow subscriber got %zu of %zu live events\n", got, n - 1);
    assert_true(got < n - 1);

    void *s = open_sock(f, ZMQ_DEALER, f->replay_ep);
    uint64_t after = 0;
    while (after < n) {
        send_replay(s, after, 1000000);
        size_t count = n - after < LB_REPLAY_MAX ? n - after : LB_REPLAY_MAX;
        expect_events(f, s, after, count);
        after += count;
    }
    send_replay(s, after, 1000000);
    expect_events(f, s, after, 0);
    zmq_close(s);
    zmq_close(sub);
}

/* Binding an endpoint in use fails cleanly with LB_EBUSY. */
static void test_bind_in_use(void **state)
{
    struct fx *f = *state;
    lb_publisher *other = NULL;
    assert_int_equal(lb_publisher_start(&f->loop, f->store, f->pub_ep, "tcp://127.0.0.1:*", &other),
                     LB_EBUSY);
    assert_null(other);
    assert_int_equal(
        lb_publisher_start(&f->loop, f->store, "tcp://127.0.0.1:*", "bogus://x", &other),
        LB_EINVAL);
    assert_null(other);
}

/* Publishing nothing, or after stop was requested, is harmless. */
static void test_publish_empty_range(void **state)
{
    struct fx *f = *state;
    append_events(f, 2, 2, false);
    lb_publisher_publish(f->pub, 2, 1);
    assert_int_equal(lb_publisher_published(f->pub), 0);
    lb_publisher_publish(f->pub, 1, 2);
    assert_int_equal(lb_publisher_published(f->pub), 2);
    lb_publisher_publish(f->pub, 3, 10); /* not committed: nothing */
    assert_int_equal(lb_publisher_published(f->pub), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefix_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_dealer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_req, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_malformed_dealer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_malformed_req, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_subscriber_recovers_by_replay, setup_small_hwm,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bind_in_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_empty_range, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
