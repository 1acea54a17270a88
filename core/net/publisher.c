/* publisher.c: the outbox published over ZeroMQ, and replay.
 *
 * One ZeroMQ context with two sockets, both driven from the libuv loop:
 *
 *   PUB     after each commit, lb_publisher_publish reads the batch's events
 *           from the outbox (one read transaction) and sends each as
 *           [type, envelope], the envelope exactly as stored. Sends use
 *           ZMQ_DONTWAIT; a subscriber over its high-water mark loses the
 *           message (PUB semantics) and recovers through replay, so the loop
 *           never blocks on a slow subscriber.
 *   ROUTER  answers [identity, ("" from REQ), "replay", {"after","limit"}] with
 *           the same envelope frames and ["events", [envelope...]], the array
 *           written as a header followed by the stored bytes (no re-encoding),
 *           at most LB_REPLAY_MAX events; anything malformed gets
 *           ["error", {"message"}].
 *
 * ZMQ_FD is edge-triggered: it only says "something changed". Each socket's fd
 * is watched with a uv_poll_t; the callback (and every place we send or
 * receive) re-reads ZMQ_EVENTS, which also runs ZeroMQ's pending commands
 * (new subscriptions, disconnects), and drains ROUTER with ZMQ_DONTWAIT until
 * nothing is pending. A burst of replay requests is served LB_REQUESTS_PER_TURN
 * at a time; the rest continues from a uv_idle_t on the next loop turn so
 * commits and HTTP are not starved. The fd is ZeroMQ's: never read or closed
 * here.
 *
 * CURVE (docs/zeromq.md): with keys, both sockets are CURVE servers (their
 * secret key set before they bind), and a ZAP handler, a REP socket bound to
 * inproc://zeromq.zap.01 in the same context before them, answers libzmq's
 * authentication requests on the loop: a handshake whose client public key is
 * in the list gets "200" (its name becomes the ZAP user id), anything else
 * "400". libzmq waits for that answer before the connection carries a message,
 * so a refused peer never sees an event. Without keys, an endpoint beyond
 * loopback is refused before anything is bound.
 *
 * The request map comes from the network: it is decoded with a small bounded
 * reader below (no allocation, every count checked against the bytes that
 * remain, nesting limited) rather than msgpack-c's unpacker, which allocates
 * for a declared array count before checking that the bytes exist. The same
 * reader finds the "type" key of a stored envelope for the PUB topic frame,
 * which is cheaper than decoding the whole envelope. */
#include "lotsbok/publisher.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>
#include <zmq.h>

#include <sodium.h>

#include "lotsbok/error.h"
#include "lotsbok/logfmt.h"

#define LB_PUB_SNDHWM_DEFAULT 100000
#define LB_HEARTBEAT_IVL_DEFAULT 1000
#define LB_HEARTBEAT_TIMEOUT_DEFAULT 5000
#define LB_REPLAY_MAXMSGSIZE (64 * 1024) /* largest request frame a peer may send */
#define LB_REPLAY_SNDHWM 16              /* queued answers per peer (each up to ~MBs) */
#define LB_REPLAY_RCVHWM 64              /* queued requests per peer */
#define LB_REQUESTS_PER_TURN 8           /* replay requests served per loop turn */
#define LB_REQ_MAX_FRAMES 8              /* frames kept of one request; more is malformed */
#define LB_MP_MAX_DEPTH 16               /* nesting accepted when skipping msgpack values */
#define LB_ENDPOINT_LEN 256
#define LB_REPLY_HEADROOM 5 /* room for the largest msgpack array header */

struct lb_publisher {
    uv_loop_t *loop;
    lb_store *store;
    void *ctx;
    void *pub;
    void *router;
    uv_poll_t pub_poll;
    uv_poll_t router_poll;
    uv_idle_t router_idle;
    void *zap; /* the ZAP handler's REP socket, with CURVE only */
    uv_poll_t zap_poll;
    struct lb_curve_server curve; /* a copy: the key pair and the clients let in */
    bool has_curve;
    time_t zap_refused_at; /* refusals are logged at most once a second */
    uint64_t zap_refused_quiet;
    bool idle_active;
    bool stopping;
    int open_handles; /* uv handles not yet closed */
    uint64_t published;
    uint64_t replays;
    uint64_t replay_errors;
    char pub_endpoint[LB_ENDPOINT_LEN];
    char replay_endpoint[LB_ENDPOINT_LEN];
    /* The replay answer under construction, reused between requests:
     * LB_REPLY_HEADROOM bytes, then the envelopes back to back. */
    uint8_t *reply;
    size_t reply_len;
    size_t reply_cap;
    uint32_t reply_count;
    int reply_err;
    void (*done)(void *arg);
    void *done_arg;
};

/* --- logging -------------------------------------------------------------- */

/* One log line: msg, up to three string fields given as key, value pairs (a
 * NULL key ends them early), then module=publisher; every value escaped by
 * lb_logfmt. Numbers are passed as text (pub_u64). */
static void pub_log(const char *level, const char *msg, const char *k1, const char *v1,
                    const char *k2, const char *v2, const char *k3, const char *v3)
{
    char ts[32], line[LB_LOGFMT_MAX + 640];
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL || strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(ts, sizeof ts, "%lld", (long long)now);
    struct lb_logfmt f;
    lb_logfmt_init(&f);
    if (k1)
        lb_logfmt_str(&f, k1, v1);
    if (k1 && k2)
        lb_logfmt_str(&f, k2, v2);
    if (k1 && k2 && k3)
        lb_logfmt_str(&f, k3, v3);
    lb_logfmt_str(&f, "module", "publisher");
    fwrite(line, 1, lb_logfmt_line(line, sizeof line, ts, level, msg, &f), stderr);
}

#define PUB_LOG0(level, msg) pub_log(level, msg, NULL, NULL, NULL, NULL, NULL, NULL)
#define PUB_LOG1(level, msg, k1, v1) pub_log(level, msg, k1, v1, NULL, NULL, NULL, NULL)
#define PUB_LOG2(level, msg, k1, v1, k2, v2) pub_log(level, msg, k1, v1, k2, v2, NULL, NULL)

/* Decimal text of v (for a log field). */
struct pub_num {
    char s[24];
};
static struct pub_num pub_u64(unsigned long long v)
{
    struct pub_num n;
    snprintf(n.s, sizeof n.s, "%llu", v);
    return n;
}

/* --- a bounded msgpack reader ---------------------------------------------- */

struct mp_reader {
    const uint8_t *p;
    const uint8_t *end;
};

static size_t mp_left(const struct mp_reader *r)
{
    return (size_t)(r->end - r->p);
}

static uint64_t mp_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Reads a big-endian length of n bytes; LB_ECORRUPT when truncated. */
static int mp_take_len(struct mp_reader *r, size_t n, uint64_t *out)
{
    if (mp_left(r) < n)
        return LB_ECORRUPT;
    *out = mp_be(r->p, n);
    r->p += n;
    return 0;
}

/* Skips n bytes; LB_ECORRUPT when fewer remain. */
static int mp_advance(struct mp_reader *r, uint64_t n)
{
    if (n > mp_left(r))
        return LB_ECORRUPT;
    r->p += n;
    return 0;
}

/* Reads a map header into *n. LB_EINVAL when the next value is not a map,
 * LB_ECORRUPT when truncated or when the count cannot fit the bytes left
 * (each pair takes at least two bytes). */
static int mp_read_map(struct mp_reader *r, uint64_t *n)
{
    if (mp_left(r) < 1)
        return LB_ECORRUPT;
    uint8_t b = *r->p;
    int rc = 0;
    if (b >= 0x80 && b <= 0x8f) {
        r->p++;
        *n = b & 0x0f;
    } else if (b == 0xde || b == 0xdf) {
        r->p++;
        rc = mp_take_len(r, b == 0xde ? 2 : 4, n);
    } else {
        return LB_EINVAL;
    }
    if (rc == 0 && *n > mp_left(r) / 2)
        rc = LB_ECORRUPT;
    return rc;
}

/* Reads a string (pointer into the buffer, not terminated). LB_EINVAL when
 * the next value is not a string, LB_ECORRUPT when truncated. */
static int mp_read_str(struct mp_reader *r, const char **s, size_t *len)
{
    if (mp_left(r) < 1)
        return LB_ECORRUPT;
    uint8_t b = *r->p;
    uint64_t n;
    if (b >= 0xa0 && b <= 0xbf) {
        r->p++;
        n = b & 0x1f;
    } else if (b >= 0xd9 && b <= 0xdb) {
        r->p++;
        int rc = mp_take_len(r, (size_t)1 << (b - 0xd9), &n);
        if (rc != 0)
            return rc;
    } else {
        return LB_EINVAL;
    }
    if (n > mp_left(r))
        return LB_ECORRUPT;
    *s = (const char *)r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

/* Reads a non-negative integer (any msgpack integer format whose value is
 * >= 0). LB_EINVAL for another type or a negative value, LB_ECORRUPT when
 * truncated. */
static int mp_read_uint(struct mp_reader *r, uint64_t *v)
{
    if (mp_left(r) < 1)
        return LB_ECORRUPT;
    uint8_t b = *r->p;
    if (b <= 0x7f) {
        r->p++;
        *v = b;
        return 0;
    }
    if (b >= 0xcc && b <= 0xcf) {
        r->p++;
        return mp_take_len(r, (size_t)1 << (b - 0xcc), v);
    }
    if (b >= 0xd0 && b <= 0xd3) {
        size_t n = (size_t)1 << (b - 0xd0);
        if (mp_left(r) < 1 + n)
            return LB_ECORRUPT;
        if (r->p[1] & 0x80)
            return LB_EINVAL; /* negative */
        r->p++;
        return mp_take_len(r, n, v);
    }
    return LB_EINVAL;
}

/* Skips one complete value of any type, nested at most LB_MP_MAX_DEPTH deep.
 * LB_ECORRUPT when malformed or truncated. */
static int mp_skip(struct mp_reader *r, int depth)
{
    if (depth > LB_MP_MAX_DEPTH || mp_left(r) < 1)
        return LB_ECORRUPT;
    uint8_t b = *r->p++;
    uint64_t n = 0, items = 0;
    int rc = 0;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return 0;
    if (b >= 0x80 && b <= 0x8f)
        items = (uint64_t)(b & 0x0f) * 2;
    else if (b >= 0x90 && b <= 0x9f)
        items = b & 0x0f;
    else if (b >= 0xa0 && b <= 0xbf)
        return mp_advance(r, b & 0x1f);
    else
        switch (b) {
        case 0xc4:
        case 0xd9:
            rc = mp_take_len(r, 1, &n);
            return rc ? rc : mp_advance(r, n);
        case 0xc5:
        case 0xda:
            rc = mp_take_len(r, 2, &n);
            return rc ? rc : mp_advance(r, n);
        case 0xc6:
        case 0xdb:
            rc = mp_take_len(r, 4, &n);
            return rc ? rc : mp_advance(r, n);
        case 0xc7:
            rc = mp_take_len(r, 1, &n);
            return rc ? rc : mp_advance(r, n + 1);
        case 0xc8:
            rc = mp_take_len(r, 2, &n);
            return rc ? rc : mp_advance(r, n + 1);
        case 0xc9:
            rc = mp_take_len(r, 4, &n);
            return rc ? rc : mp_advance(r, n + 1);
        case 0xca:
            return mp_advance(r, 4);
        case 0xcb:
            return mp_advance(r, 8);
        case 0xcc:
        case 0xd0:
            return mp_advance(r, 1);
        case 0xcd:
        case 0xd1:
            return mp_advance(r, 2);
        case 0xce:
        case 0xd2:
            return mp_advance(r, 4);
        case 0xcf:
        case 0xd3:
            return mp_advance(r, 8);
        case 0xd4:
            return mp_advance(r, 2);
        case 0xd5:
            return mp_advance(r, 3);
        case 0xd6:
            return mp_advance(r, 5);
        case 0xd7:
            return mp_advance(r, 9);
        case 0xd8:
            return mp_advance(r, 17);
        case 0xdc:
            rc = mp_take_len(r, 2, &items);
            break;
        case 0xdd:
            rc = mp_take_len(r, 4, &items);
            break;
        case 0xde:
            rc = mp_take_len(r, 2, &items);
            items *= 2;
            break;
        case 0xdf:
            rc = mp_take_len(r, 4, &items);
            items *= 2;
            break;
        default:
            return LB_ECORRUPT; /* 0xc1: never used */
        }
    if (rc != 0)
        return rc;
    if (items > mp_left(r)) /* every item takes at least one byte */
        return LB_ECORRUPT;
    for (uint64_t i = 0; i < items; i++) {
        rc = mp_skip(r, depth + 1);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Finds the "type" string of a stored envelope without decoding the rest.
 * *type points into env. LB_ECORRUPT when env is not a map holding a string
 * "type". */
static int envelope_type(const void *env, size_t len, const char **type, size_t *type_len)
{
    struct mp_reader r = {env, (const uint8_t *)env + len};
    uint64_t n;
    if (mp_read_map(&r, &n) != 0)
        return LB_ECORRUPT;
    for (uint64_t i = 0; i < n; i++) {
        const char *k;
        size_t klen;
        if (mp_read_str(&r, &k, &klen) != 0)
            return LB_ECORRUPT;
        if (klen == 4 && memcmp(k, "type", 4) == 0)
            return mp_read_str(&r, type, type_len) == 0 ? 0 : LB_ECORRUPT;
        if (mp_skip(&r, 1) != 0)
            return LB_ECORRUPT;
    }
    return LB_ECORRUPT;
}

/* lb_replay_request_parse (publisher.h): a replay request map {"after", "limit"}. */
int lb_replay_request_parse(const void *buf, size_t len, uint64_t *after, uint64_t *limit,
                            const char **why)
{
    struct mp_reader r = {buf, (const uint8_t *)buf + len};
    uint64_t n;
    bool have_after = false, have_limit = false;
    if (mp_read_map(&r, &n) != 0) {
        *why = "the request must be a msgpack map {\"after\": uint, \"limit\": uint}";
        return LB_EINVAL;
    }
    for (uint64_t i = 0; i < n; i++) {
        const char *k;
        size_t klen;
        if (mp_read_str(&r, &k, &klen) != 0) {
            *why = "request map keys must be strings";
            return LB_EINVAL;
        }
        if (klen == 5 && memcmp(k, "after", 5) == 0) {
            if (mp_read_uint(&r, after) != 0) {
                *why = "after must be an unsigned integer";
                return LB_EINVAL;
            }
            have_after = true;
        } else if (klen == 5 && memcmp(k, "limit", 5) == 0) {
            if (mp_read_uint(&r, limit) != 0) {
                *why = "limit must be an unsigned integer";
                return LB_EINVAL;
            }
            have_limit = true;
        } else if (mp_skip(&r, 1) != 0) {
            *why = "the request map is not well-formed msgpack";
            return LB_EINVAL;
        }
    }
    if (r.p != r.end) {
        *why = "trailing bytes after the request map";
        return LB_EINVAL;
    }
    if (!have_after) {
        *why = "after is missing";
        return LB_EINVAL;
    }
    if (!have_limit) {
        *why = "limit is missing";
        return LB_EINVAL;
    }
    if (*limit == 0) {
        *why = "limit must be at least 1";
        return LB_EINVAL;
    }
    return 0;
}

/* --- ZeroMQ helpers ----------------------------------------------------------- */

static int zmq_to_lb(int e)
{
    switch (e) {
    case ENOMEM:
        return LB_ENOMEM;
    case EADDRINUSE:
        return LB_EBUSY;
    case EINVAL:
    case EPROTONOSUPPORT:
    case ENOCOMPATPROTO:
    case EADDRNOTAVAIL:
    case ENODEV:
        return LB_EINVAL;
    default:
        return LB_EIO;
    }
}

static int set_int(void *sock, int opt, int value)
{
    return zmq_setsockopt(sock, opt, &value, sizeof value);
}

/* Returns ZMQ_EVENTS of sock (0 on failure). Reading it also runs the
 * socket's pending commands, which re-arms the edge-triggered ZMQ_FD. */
static int socket_events(void *sock)
{
    int ev = 0;
    size_t sz = sizeof ev;
    if (zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &sz) != 0) {
        if (zmq_errno() != ETERM)
            PUB_LOG1("error", "ZMQ_EVENTS failed", "err", zmq_strerror(zmq_errno()));
        return 0;
    }
    return ev;
}

/* Sends one frame with ZMQ_DONTWAIT (| more). Returns 0 or -1 (errno in
 * zmq_errno(); EAGAIN when the peer's queue is full). */
static int send_frame(void *sock, const void *data, size_t len, bool more)
{
    return zmq_send(sock, data, len, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) < 0 ? -1 : 0;
}

/* Applies the options both sockets share: heartbeats, so that a peer that
 * vanished without a FIN (host died, cable pulled) is noticed and its queue
 * freed. */
static int set_common(void *sock, const struct lb_publisher_options *o)
{
    int ttl = o->heartbeat_timeout_ms;
    if (ttl > 6553500)
        ttl = 6553500; /* ZMQ_HEARTBEAT_TTL is carried in deciseconds, 16 bits */
    if (set_int(sock, ZMQ_HEARTBEAT_IVL, o->heartbeat_ivl_ms) != 0 ||
        set_int(sock, ZMQ_HEARTBEAT_TIMEOUT, o->heartbeat_timeout_ms) != 0 ||
        set_int(sock, ZMQ_HEARTBEAT_TTL, ttl) != 0)
        return -1;
    return 0;
}

/* --- publishing ------------------------------------------------------------------ */

static int publish_one(uint64_t seq, const void *env, size_t len, void *arg)
{
    lb_publisher *p = arg;
    const char *type;
    size_t tlen;
    if (envelope_type(env, len, &type, &tlen) != 0) {
        PUB_LOG1("error", "stored envelope has no type; not published", "seq", pub_u64(seq).s);
        return 0;
    }
    if (send_frame(p->pub, type, tlen, true) != 0 || send_frame(p->pub, env, len, false) != 0) {
        /* PUB drops at the high-water mark without an error; reaching here
         * means the socket itself failed. Subscribers recover by replay. */
        PUB_LOG2("error", "publish failed", "seq", pub_u64(seq).s, "err",
                 zmq_strerror(zmq_errno()));
        return 0;
    }
    p->published++;
    return 0;
}

void lb_publisher_publish(lb_publisher *p, uint64_t first, uint64_t last)
{
    if (p == NULL || p->stopping || first > last)
        return;
    if (first == 0)
        first = 1;
    uint64_t count = last - first + 1;
    lb_txn *t;
    int rc = lb_txn_read(p->store, &t);
    if (rc != 0) {
        pub_log("error", "cannot read the outbox", "first", pub_u64(first).s, "last",
                pub_u64(last).s, "err", lb_strerror(rc));
        return;
    }
    rc = lb_outbox_read(t, first - 1, count > SIZE_MAX ? SIZE_MAX : (size_t)count, publish_one, p);
    lb_txn_end(t);
    if (rc != 0)
        pub_log("error", "cannot read the outbox", "first", pub_u64(first).s, "last",
                pub_u64(last).s, "err", lb_strerror(rc));
    (void)socket_events(p->pub); /* process commands the sends may have left pending */
}

static void on_pub_readable(uv_poll_t *h, int status, int events)
{
    lb_publisher *p = h->data;
    if (p->stopping)
        return;
    /* PUB receives nothing; reading ZMQ_EVENTS processes subscriptions and
     * disconnects and resets the fd. */
    (void)socket_events(p->pub);
}

/* --- replay ------------------------------------------------------------------- */

/* Makes room for n more bytes in the reply buffer. */
static int reply_reserve(lb_publisher *p, size_t n)
{
    if (p->reply_cap - p->reply_len >= n)
        return 0;
    size_t cap = p->reply_cap ? p->reply_cap : 64 * 1024;
    while (cap - p->reply_len < n) {
        if (cap > SIZE_MAX / 2)
            return LB_ENOMEM;
        cap *= 2;
    }
    uint8_t *b = realloc(p->reply, cap);
    if (b == NULL)
        return LB_ENOMEM;
    p->reply = b;
    p->reply_cap = cap;
    return 0;
}

static int replay_one(uint64_t seq, const void *env, size_t len, void *arg)
{
    lb_publisher *p = arg;
    int rc = reply_reserve(p, len);
    if (rc != 0) {
        p->reply_err = rc;
        return rc;
    }
    memcpy(p->reply + p->reply_len, env, len);
    p->reply_len += len;
    p->reply_count++;
    return 0;
}

struct hdr_buf {
    uint8_t b[LB_REPLY_HEADROOM];
    size_t len;
};

static int hdr_write(void *data, const char *buf, size_t len)
{
    struct hdr_buf *h = data;
    if (len > sizeof h->b - h->len)
        return -1;
    memcpy(h->b + h->len, buf, len);
    h->len += len;
    return 0;
}

static void send_envelope(lb_publisher *p, zmq_msg_t *frames, size_t nenv)
{
    for (size_t i = 0; i < nenv; i++)
        (void)send_frame(p->router, zmq_msg_data(&frames[i]), zmq_msg_size(&frames[i]), true);
}

/* Answers ["error", {"message": why}] after the request's envelope frames. */
static void reply_error(lb_publisher *p, zmq_msg_t *frames, size_t nenv, const char *why)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    size_t wlen = strlen(why);
    if (msgpack_pack_map(&pk, 1) != 0 || msgpack_pack_str_with_body(&pk, "message", 7) != 0 ||
        msgpack_pack_str_with_body(&pk, why, wlen) != 0) {
        PUB_LOG0("error", "cannot encode a replay error");
        msgpack_sbuffer_destroy(&sb);
        return;
    }
    p->replay_errors++;
    send_envelope(p, frames, nenv);
    (void)send_frame(p->router, "error", 5, true);
    (void)send_frame(p->router, sb.data, sb.size, false);
    msgpack_sbuffer_destroy(&sb);
}

/* Answers a well-formed replay request from the outbox. */
static void reply_events(lb_publisher *p, zmq_msg_t *frames, size_t nenv, uint64_t after,
                         uint64_t limit)
{
    if (limit > LB_REPLAY_MAX)
        limit = LB_REPLAY_MAX;
    p->reply_len = 0;
    p->reply_count = 0;
    p->reply_err = 0;
    int rc = reply_reserve(p, LB_REPLY_HEADROOM);
    if (rc == 0) {
        p->reply_len = LB_REPLY_HEADROOM;
        lb_txn *t;
        rc = lb_txn_read(p->store, &t);
        if (rc == 0) {
            rc = lb_outbox_read(t, after, (size_t)limit, replay_one, p);
            lb_txn_end(t);
        }
    }
    if (rc == 0 && p->reply_err != 0)
        rc = p->reply_err;
    struct hdr_buf h = {.len = 0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &h, hdr_write);
    if (rc == 0 && msgpack_pack_array(&pk, p->reply_count) != 0)
        rc = LB_EINTERNAL;
    if (rc != 0) {
        PUB_LOG2("error", "replay failed", "after", pub_u64(after).s, "err", lb_strerror(rc));
        reply_error(p, frames, nenv, "the event log could not be read; try again");
        return;
    }
    /* The header goes right before the first envelope: one contiguous frame. */
    uint8_t *start = p->reply + LB_REPLY_HEADROOM - h.len;
    memcpy(start, h.b, h.len);
    p->replays++;
    send_envelope(p, frames, nenv);
    (void)send_frame(p->router, "events", 6, true);
    (void)send_frame(p->router, start, p->reply_len - (LB_REPLY_HEADROOM - h.len), false);
}

/* Receives one request (all its frames) and answers it. Returns false when
 * nothing could be received. */
static bool router_handle_one(lb_publisher *p)
{
    zmq_msg_t frames[LB_REQ_MAX_FRAMES];
    size_t kept = 0, total = 0;
    bool more = true;
    while (more) {
        zmq_msg_t scratch;
        zmq_msg_t *m = kept < LB_REQ_MAX_FRAMES ? &frames[kept] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, p->router, ZMQ_DONTWAIT) < 0) {
            int e = zmq_errno();
            zmq_msg_close(m);
            if (!(e == EAGAIN && total == 0) && e != ETERM)
                PUB_LOG1("error", "replay receive failed", "err", zmq_strerror(e));
            for (size_t i = 0; i < kept; i++)
                zmq_msg_close(&frames[i]);
            return false;
        }
        more = zmq_msg_more(m) != 0;
        total++;
        if (m == &scratch)
            zmq_msg_close(&scratch);
        else
            kept++;
    }
    /* frames[0] is the peer's identity (ROUTER); a REQ client adds an empty
     * delimiter. Both are echoed so the answer reaches the right peer and
     * REQ accepts it. */
    size_t nenv = 1;
    if (total >= 2 && zmq_msg_size(&frames[1]) == 0)
        nenv = 2;
    size_t nbody = total - nenv;
    uint64_t after = 0, limit = 0;
    const char *why = NULL;
    if (nbody != 2) {
        why = "expected two frames: \"replay\" and a msgpack map {\"after\", \"limit\"}";
    } else if (zmq_msg_size(&frames[nenv]) != 6 ||
               memcmp(zmq_msg_data(&frames[nenv]), "replay", 6)) {
        why = "unknown command; the only command is \"replay\"";
    } else {
        (void)lb_replay_request_parse(zmq_msg_data(&frames[nenv + 1]),
                                      zmq_msg_size(&frames[nenv + 1]), &after, &limit, &why);
    }
    if (why != NULL)
        reply_error(p, frames, nenv, why);
    else
        reply_events(p, frames, nenv, after, limit);
    for (size_t i = 0; i < kept; i++)
        zmq_msg_close(&frames[i]);
    return true;
}

static void on_router_idle(uv_idle_t *h);

/* Serves pending requests until none is left or this turn's share is used;
 * then keeps an idle handle running so the rest is served next turn (the
 * edge-triggered fd will not fire again for requests already queued). */
static void router_drain(lb_publisher *p)
{
    for (int served = 0;; served++) {
        if (p->stopping)
            return;
        if (!(socket_events(p->router) & ZMQ_POLLIN)) {
            if (p->idle_active) {
                uv_idle_stop(&p->router_idle);
                p->idle_active = false;
            }
            return;
        }
        if (served == LB_REQUESTS_PER_TURN) {
            if (!p->idle_active && uv_idle_start(&p->router_idle, on_router_idle) == 0)
                p->idle_active = true;
            return;
        }
        if (!router_handle_one(p))
            return;
    }
}

static void on_router_idle(uv_idle_t *h)
{
    router_drain(h->data);
}

static void on_router_readable(uv_poll_t *h, int status, int events)
{
    router_drain(h->data);
}

/* --- ZAP: who may connect (CURVE only) ---------------------------------------- */

#define ZAP_FRAMES 8 /* a CURVE request has 7 (RFC 27); more is kept no further */

static bool frame_is(zmq_msg_t *m, const char *s)
{
    size_t n = strlen(s);
    return zmq_msg_size(m) == n && memcmp(zmq_msg_data(m), s, n) == 0;
}

/* The peer's address as sent by libzmq, printable ASCII only, for the log. */
static void zap_address(zmq_msg_t *m, char *out, size_t len)
{
    size_t n = zmq_msg_size(m) < len - 1 ? zmq_msg_size(m) : len - 1;
    const unsigned char *d = zmq_msg_data(m);
    for (size_t i = 0; i < n; i++)
        out[i] = d[i] > 0x20 && d[i] < 0x7f && d[i] != '"' && d[i] != '\\' ? (char)d[i] : '?';
    out[n] = '\0';
}

/* Answers one ZAP request: 200 with the client's name as user id when its
 * CURVE public key is listed, 400 otherwise (also for anything malformed, so
 * the REP socket always answers what it received). false when nothing was
 * there to read. */
static bool zap_handle_one(lb_publisher *p)
{
    zmq_msg_t f[ZAP_FRAMES];
    int n = 0;
    bool more = true;
    while (more) {
        zmq_msg_t scratch;
        zmq_msg_t *m = n < ZAP_FRAMES ? &f[n] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, p->zap, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(m);
            for (int i = 0; i < n; i++)
                zmq_msg_close(&f[i]);
            return false;
        }
        more = zmq_msg_more(m) != 0;
        if (m == &scratch)
            zmq_msg_close(&scratch);
        else
            n++;
    }
    const char *name = NULL;
    if (n == 7 && frame_is(&f[0], "1.0") && frame_is(&f[5], "CURVE") &&
        zmq_msg_size(&f[6]) == LB_CURVE_KEY)
        name = lb_curve_server_client(&p->curve, zmq_msg_data(&f[6]));
    char addr[64] = "?";
    if (n >= 4)
        zap_address(&f[3], addr, sizeof addr);
    const void *id = n >= 2 ? zmq_msg_data(&f[1]) : "";
    size_t idlen = n >= 2 ? zmq_msg_size(&f[1]) : 0;
    if (send_frame(p->zap, "1.0", 3, true) != 0 || send_frame(p->zap, id, idlen, true) != 0 ||
        send_frame(p->zap, name ? "200" : "400", 3, true) != 0 ||
        send_frame(p->zap, name ? "OK" : "not authorised", name ? 2 : 14, true) != 0 ||
        send_frame(p->zap, name ? name : "", name ? strlen(name) : 0, true) != 0 ||
        send_frame(p->zap, "", 0, false) != 0)
        PUB_LOG1("error", "cannot answer a ZAP request", "err", zmq_strerror(zmq_errno()));
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
    if (name) {
        PUB_LOG2("info", "subscriber let in", "client", name, "address", addr);
    } else {
        time_t now = time(NULL);
        if (now != p->zap_refused_at) {
            PUB_LOG2("warn", "subscriber refused: its CURVE key is not in clients/", "address",
                     addr, "refused_unlogged", pub_u64(p->zap_refused_quiet).s);
            p->zap_refused_at = now;
            p->zap_refused_quiet = 0;
        } else {
            p->zap_refused_quiet++;
        }
    }
    return true;
}

static void on_zap_readable(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    lb_publisher *p = h->data;
    while (!p->stopping && (socket_events(p->zap) & ZMQ_POLLIN))
        if (!zap_handle_one(p))
            break;
}

/* --- lifecycle ------------------------------------------------------------------- */

/* Closes the sockets and the context and frees p (no uv handle may be open). */
static void teardown(lb_publisher *p)
{
    if (p->pub != NULL) {
        (void)set_int(p->pub, ZMQ_LINGER, 0);
        zmq_close(p->pub);
    }
    if (p->router != NULL) {
        (void)set_int(p->router, ZMQ_LINGER, 0);
        zmq_close(p->router);
    }
    if (p->zap != NULL) {
        (void)set_int(p->zap, ZMQ_LINGER, 0);
        zmq_close(p->zap);
    }
    lb_curve_server_free(&p->curve);
    if (p->ctx != NULL) {
        while (zmq_ctx_term(p->ctx) != 0 && zmq_errno() == EINTR)
            ;
    }
    free(p->reply);
    free(p);
}

static void on_handle_closed(uv_handle_t *h)
{
    lb_publisher *p = h->data;
    if (--p->open_handles > 0)
        return;
    void (*done)(void *) = p->done;
    void *arg = p->done_arg;
    teardown(p);
    if (done != NULL)
        done(arg);
}

void lb_publisher_stop(lb_publisher *p, void (*done)(void *arg), void *arg)
{
    if (p == NULL || p->stopping)
        return;
    p->stopping = true;
    p->done = done;
    p->done_arg = arg;
    uv_close((uv_handle_t *)&p->pub_poll, on_handle_closed);
    uv_close((uv_handle_t *)&p->router_poll, on_handle_closed);
    uv_close((uv_handle_t *)&p->router_idle, on_handle_closed);
    if (p->has_curve)
        uv_close((uv_handle_t *)&p->zap_poll, on_handle_closed);
}

/* Creates, configures and binds one socket; copies the bound endpoint. */
static int open_socket(lb_publisher *p, int type, const char *endpoint,
                       const struct lb_publisher_options *o, void **out, char *bound)
{
    void *s = zmq_socket(p->ctx, type);
    if (s == NULL)
        return zmq_to_lb(zmq_errno());
    *out = s;
    int rc = set_common(s, o);
    if (rc == 0 && type == ZMQ_PUB)
        rc = set_int(s, ZMQ_SNDHWM, o->pub_sndhwm);
    if (rc == 0 && type == ZMQ_PUB && o->pub_sndbuf > 0)
        rc = set_int(s, ZMQ_SNDBUF, o->pub_sndbuf);
    if (rc == 0 && type == ZMQ_ROUTER) {
        int64_t max = LB_REPLAY_MAXMSGSIZE;
        rc = zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max);
        if (rc == 0)
            rc = set_int(s, ZMQ_ROUTER_MANDATORY, 0);
        if (rc == 0)
            rc = set_int(s, ZMQ_SNDHWM, LB_REPLAY_SNDHWM);
        if (rc == 0)
            rc = set_int(s, ZMQ_RCVHWM, LB_REPLAY_RCVHWM);
    }
    if (rc == 0 && p->has_curve) {
        static const char domain[] = "lotsbok";
        rc = set_int(s, ZMQ_CURVE_SERVER, 1);
        if (rc == 0)
            rc = zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, p->curve.sec, LB_CURVE_KEY);
        if (rc == 0)
            rc = zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, domain, sizeof domain - 1);
    }
    if (rc != 0) {
        PUB_LOG1("error", "cannot set socket options", "err", zmq_strerror(zmq_errno()));
        return LB_EINTERNAL;
    }
    if (zmq_bind(s, endpoint) != 0) {
        int e = zmq_errno();
        PUB_LOG2("error", "cannot bind", "endpoint", endpoint, "err", zmq_strerror(e));
        return zmq_to_lb(e);
    }
    size_t len = LB_ENDPOINT_LEN;
    if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, bound, &len) != 0)
        snprintf(bound, LB_ENDPOINT_LEN, "%s", endpoint);
    bound[LB_ENDPOINT_LEN - 1] = '\0';
    return 0;
}

/* Whether endpoint names a network transport and a place beyond this host.
 * A malformed endpoint or an unknown transport is left to zmq_bind, which
 * refuses it (LB_EINVAL), so a typo is not reported as a security refusal. */
static bool beyond_host(const char *endpoint)
{
    static const char *const networked[] = {"tcp://", "pgm://", "epgm://", "tipc://", "vmci://",
                                            "udp://", "ws://",  "wss://",  "norm://"};
    for (size_t i = 0; i < sizeof networked / sizeof networked[0]; i++)
        if (strncmp(endpoint, networked[i], strlen(networked[i])) == 0)
            return !lb_endpoint_is_local(endpoint);
    return false;
}

int lb_publisher_start_opts(uv_loop_t *loop, lb_store *store, const char *pub_endpoint,
                            const char *replay_endpoint, const struct lb_publisher_options *opts,
                            lb_publisher **out)
{
    if (loop == NULL || store == NULL || pub_endpoint == NULL || replay_endpoint == NULL ||
        out == NULL)
        return LB_EINVAL;
    *out = NULL;
    struct lb_publisher_options o = {0};
    if (opts != NULL)
        o = *opts;
    if (o.pub_sndhwm <= 0)
        o.pub_sndhwm = LB_PUB_SNDHWM_DEFAULT;
    if (o.heartbeat_ivl_ms <= 0)
        o.heartbeat_ivl_ms = LB_HEARTBEAT_IVL_DEFAULT;
    if (o.heartbeat_timeout_ms <= 0)
        o.heartbeat_timeout_ms = LB_HEARTBEAT_TIMEOUT_DEFAULT;

    if (o.curve == NULL) {
        const char *far = beyond_host(pub_endpoint)      ? pub_endpoint
                          : beyond_host(replay_endpoint) ? replay_endpoint
                                                         : NULL;
        if (far != NULL) {
            PUB_LOG1("error", "refusing to bind beyond loopback without CURVE keys", "endpoint",
                     far);
            return LB_EPERM;
        }
    } else if (!lb_curve_available()) {
        PUB_LOG0("error", "CURVE keys given but this libzmq has no CURVE");
        return LB_EINVAL;
    }

    lb_publisher *p = calloc(1, sizeof *p);
    if (p == NULL)
        return LB_ENOMEM;
    p->loop = loop;
    p->store = store;
    if (o.curve != NULL) {
        p->has_curve = true;
        memcpy(p->curve.pub, o.curve->pub, LB_CURVE_KEY);
        memcpy(p->curve.sec, o.curve->sec, LB_CURVE_KEY);
        if (o.curve->nclients > 0) {
            p->curve.clients = malloc(o.curve->nclients * sizeof *p->curve.clients);
            if (p->curve.clients == NULL) {
                lb_curve_server_free(&p->curve);
                free(p);
                return LB_ENOMEM;
            }
            memcpy(p->curve.clients, o.curve->clients,
                   o.curve->nclients * sizeof *p->curve.clients);
            p->curve.nclients = o.curve->nclients;
        }
    }
    p->ctx = zmq_ctx_new();
    if (p->ctx == NULL) {
        lb_curve_server_free(&p->curve);
        free(p);
        return LB_ENOMEM;
    }
    int rc = 0;
    if (p->has_curve) { /* the handler must exist before a CURVE socket binds */
        p->zap = zmq_socket(p->ctx, ZMQ_REP);
        if (p->zap == NULL || zmq_bind(p->zap, "inproc://zeromq.zap.01") != 0) {
            PUB_LOG1("error", "cannot start the ZAP handler", "err", zmq_strerror(zmq_errno()));
            rc = LB_EINTERNAL;
        }
    }
    if (rc == 0)
        rc = open_socket(p, ZMQ_PUB, pub_endpoint, &o, &p->pub, p->pub_endpoint);
    if (rc == 0)
        rc = open_socket(p, ZMQ_ROUTER, replay_endpoint, &o, &p->router, p->replay_endpoint);
    int pub_fd = -1, router_fd = -1;
    size_t sz = sizeof pub_fd;
    if (rc == 0 && zmq_getsockopt(p->pub, ZMQ_FD, &pub_fd, &sz) != 0)
        rc = LB_EINTERNAL;
    sz = sizeof router_fd;
    if (rc == 0 && zmq_getsockopt(p->router, ZMQ_FD, &router_fd, &sz) != 0)
        rc = LB_EINTERNAL;
    int zap_fd = -1;
    sz = sizeof zap_fd;
    if (rc == 0 && p->has_curve && zmq_getsockopt(p->zap, ZMQ_FD, &zap_fd, &sz) != 0)
        rc = LB_EINTERNAL;
    if (rc != 0) {
        teardown(p);
        return rc;
    }

    /* From here on the handles exist and p is freed by their close callbacks. */
    int uvrc = uv_poll_init(loop, &p->pub_poll, pub_fd);
    if (uvrc != 0) {
        PUB_LOG1("error", "uv_poll_init failed", "err", uv_strerror(uvrc));
        teardown(p);
        return LB_EINTERNAL;
    }
    p->pub_poll.data = p;
    p->open_handles = 1;
    uvrc = uv_poll_init(loop, &p->router_poll, router_fd);
    if (uvrc == 0) {
        p->router_poll.data = p;
        p->open_handles++;
        uvrc = uv_idle_init(loop, &p->router_idle);
        if (uvrc == 0) {
            p->router_idle.data = p;
            p->open_handles++;
        }
    }
    if (uvrc == 0 && p->has_curve) {
        uvrc = uv_poll_init(loop, &p->zap_poll, zap_fd);
        if (uvrc == 0) {
            p->zap_poll.data = p;
            p->open_handles++;
        }
    }
    if (uvrc == 0)
        uvrc = uv_poll_start(&p->pub_poll, UV_READABLE, on_pub_readable);
    if (uvrc == 0)
        uvrc = uv_poll_start(&p->router_poll, UV_READABLE, on_router_readable);
    if (uvrc == 0 && p->has_curve)
        uvrc = uv_poll_start(&p->zap_poll, UV_READABLE, on_zap_readable);
    if (uvrc != 0) {
        PUB_LOG1("error", "cannot watch the sockets", "err", uv_strerror(uvrc));
        p->stopping = true;
        int open = p->open_handles;
        uv_close((uv_handle_t *)&p->pub_poll, on_handle_closed);
        if (open >= 2)
            uv_close((uv_handle_t *)&p->router_poll, on_handle_closed);
        if (open >= 3)
            uv_close((uv_handle_t *)&p->router_idle, on_handle_closed);
        if (open >= 4)
            uv_close((uv_handle_t *)&p->zap_poll, on_handle_closed);
        return LB_EINTERNAL;
    }
    /* Requests or subscriptions may already be queued: the fd only reports
     * changes from now on. */
    (void)socket_events(p->pub);
    router_drain(p);
    if (p->has_curve)
        on_zap_readable(&p->zap_poll, 0, 0);
    {
        struct lb_logfmt f;
        char ts[32], line[LB_LOGFMT_MAX + 640];
        time_t now = time(NULL);
        struct tm tm;
        if (!gmtime_r(&now, &tm) || !strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm))
            snprintf(ts, sizeof ts, "%lld", (long long)now);
        lb_logfmt_init(&f);
        lb_logfmt_str(&f, "pub", p->pub_endpoint);
        lb_logfmt_str(&f, "replay", p->replay_endpoint);
        lb_logfmt_str(&f, "curve", p->has_curve ? "on" : "off");
        lb_logfmt_int(&f, "clients", (long long)p->curve.nclients);
        lb_logfmt_str(&f, "module", "publisher");
        fwrite(line, 1, lb_logfmt_line(line, sizeof line, ts, "info", "publishing", &f), stderr);
    }
    *out = p;
    return 0;
}

int lb_publisher_start(uv_loop_t *loop, lb_store *store, const char *pub_endpoint,
                       const char *replay_endpoint, lb_publisher **out)
{
    return lb_publisher_start_opts(loop, store, pub_endpoint, replay_endpoint, NULL, out);
}

void lb_publisher_endpoints(const lb_publisher *p, const char **pub, const char **replay)
{
    if (pub != NULL)
        *pub = p->pub_endpoint;
    if (replay != NULL)
        *replay = p->replay_endpoint;
}

uint64_t lb_publisher_published(const lb_publisher *p)
{
    return p->published;
}

uint64_t lb_publisher_replays(const lb_publisher *p)
{
    return p->replays;
}

uint64_t lb_publisher_replay_errors(const lb_publisher *p)
{
    return p->replay_errors;
}
