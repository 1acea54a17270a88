/* subscriber.c: SUB and DEALER sockets toward lotsd (see subscriber.h).
 *
 * The SUB socket's receive high-water mark is raised to 1,000,000 messages so
 * that events published while the worker is busy catching up are queued
 * rather than dropped; when ZeroMQ drops anyway, the worker sees a gap in the
 * sequence and replays. Reconnection intervals start at 100 ms and back off
 * to 5 s, so a restarted lotsd is found again quickly without hammering a
 * stopped one. */
#include "subscriber.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>
#include <zmq.h>

#include "lotsbok/error.h"
#include "wlog.h"

struct lb_wsub {
    void *ctx;
    void *sub;
    void *dealer;
    char *replay_endpoint;
    struct lb_curve_client curve; /* with has_curve: lotsd's public key, our pair */
    bool has_curve;
    zmq_msg_t msg; /* the last message handed out */
    int have_msg;
};

static void release(lb_wsub *w)
{
    if (w->have_msg) {
        zmq_msg_close(&w->msg);
        w->have_msg = 0;
    }
}

/* Options both sockets share: no linger, reconnection backoff, and CURVE
 * (set before connecting: the role applies to the connects that follow). */
static int set_common(lb_wsub *w, void *sock)
{
    int linger = 0, ivl = 100, ivl_max = 5000;
    if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl) != 0 ||
        zmq_setsockopt(sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max) != 0)
        return LB_EINTERNAL;
    if (w->has_curve &&
        (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, w->curve.server_pub, LB_CURVE_KEY) != 0 ||
         zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, w->curve.pub, LB_CURVE_KEY) != 0 ||
         zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, w->curve.sec, LB_CURVE_KEY) != 0))
        return LB_EINTERNAL;
    return 0;
}

static int open_dealer(lb_wsub *w)
{
    w->dealer = zmq_socket(w->ctx, ZMQ_DEALER);
    if (w->dealer == NULL)
        return LB_EINTERNAL;
    int64_t maxmsg = -1;
    if (set_common(w, w->dealer) != 0 ||
        zmq_setsockopt(w->dealer, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        zmq_connect(w->dealer, w->replay_endpoint) != 0) {
        lb_wlog("error", "cannot connect the replay socket", "endpoint=%s error=\"%s\"",
                w->replay_endpoint, zmq_strerror(zmq_errno()));
        zmq_close(w->dealer);
        w->dealer = NULL;
        return LB_EINVAL;
    }
    return 0;
}

int lb_wsub_open(const char *sub_endpoint, const char *replay_endpoint,
                 const struct lb_curve_client *curve, lb_wsub **out)
{
    *out = NULL;
    if (curve != NULL && !lb_curve_available()) {
        lb_wlog("error", "CURVE keys given but this libzmq has no CURVE", NULL);
        return LB_EINVAL;
    }
    lb_wsub *w = calloc(1, sizeof *w);
    if (w == NULL)
        return LB_ENOMEM;
    if (curve != NULL) {
        w->curve = *curve;
        w->has_curve = true;
    }
    w->replay_endpoint = strdup(replay_endpoint);
    w->ctx = zmq_ctx_new();
    if (w->replay_endpoint == NULL || w->ctx == NULL) {
        lb_wsub_close(w);
        return LB_ENOMEM;
    }
    w->sub = zmq_socket(w->ctx, ZMQ_SUB);
    int hwm = 1000000;
    if (w->sub == NULL || set_common(w, w->sub) != 0 ||
        zmq_setsockopt(w->sub, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(w->sub, ZMQ_SUBSCRIBE, "", 0) != 0 ||
        zmq_connect(w->sub, sub_endpoint) != 0) {
        lb_wlog("error", "cannot connect the subscriber", "endpoint=%s error=\"%s\"", sub_endpoint,
                zmq_strerror(zmq_errno()));
        lb_wsub_close(w);
        return LB_EINVAL;
    }
    int rc = open_dealer(w);
    if (rc != 0) {
        lb_wsub_close(w);
        return rc;
    }
    *out = w;
    return 0;
}

void lb_wsub_close(lb_wsub *w)
{
    if (w == NULL)
        return;
    release(w);
    if (w->sub != NULL)
        zmq_close(w->sub);
    if (w->dealer != NULL)
        zmq_close(w->dealer);
    if (w->ctx != NULL)
        zmq_ctx_term(w->ctx);
    free(w->replay_endpoint);
    sodium_memzero(&w->curve, sizeof w->curve);
    free(w);
}

/* Receives the rest of a multipart message and throws it away. */
static void drain_more(void *sock)
{
    int more = 1;
    size_t sz = sizeof more;
    while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        zmq_msg_close(&m);
    }
}

static int reset_dealer(lb_wsub *w)
{
    if (w->dealer != NULL)
        zmq_close(w->dealer);
    w->dealer = NULL;
    return open_dealer(w);
}

int lb_wsub_replay(lb_wsub *w, uint64_t after, uint32_t limit, int timeout_ms, const void **buf,
                   size_t *len)
{
    release(w);
    if (w->dealer == NULL && reset_dealer(w) != 0)
        return LB_EBUSY;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int bad = msgpack_pack_map(&pk, 2);
    bad |= msgpack_pack_str_with_body(&pk, "after", 5);
    bad |= msgpack_pack_uint64(&pk, after);
    bad |= msgpack_pack_str_with_body(&pk, "limit", 5);
    bad |= msgpack_pack_uint32(&pk, limit);
    if (bad) {
        msgpack_sbuffer_destroy(&sb);
        return LB_ENOMEM;
    }
    int s1 = zmq_send(w->dealer, "replay", 6, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    int s2 = s1 < 0 ? -1 : zmq_send(w->dealer, sb.data, sb.size, ZMQ_DONTWAIT);
    msgpack_sbuffer_destroy(&sb);
    if (s1 < 0 || s2 < 0) {
        /* Not connected yet (DEALER refuses to queue without a peer). */
        (void)reset_dealer(w);
        return LB_EBUSY;
    }
    zmq_pollitem_t item = {w->dealer, 0, ZMQ_POLLIN, 0};
    int n = zmq_poll(&item, 1, timeout_ms);
    if (n <= 0) {
        (void)reset_dealer(w);
        return LB_EBUSY;
    }
    zmq_msg_t kind;
    zmq_msg_init(&kind);
    if (zmq_msg_recv(&kind, w->dealer, 0) < 0) {
        zmq_msg_close(&kind);
        (void)reset_dealer(w);
        return LB_EBUSY;
    }
    bool events = zmq_msg_size(&kind) == 6 && memcmp(zmq_msg_data(&kind), "events", 6) == 0;
    bool more = zmq_msg_more(&kind);
    zmq_msg_close(&kind);
    if (!events || !more) {
        lb_wlog("error", "replay answered with an error", "after=%llu", (unsigned long long)after);
        drain_more(w->dealer);
        return LB_ECORRUPT;
    }
    zmq_msg_init(&w->msg);
    if (zmq_msg_recv(&w->msg, w->dealer, 0) < 0) {
        zmq_msg_close(&w->msg);
        (void)reset_dealer(w);
        return LB_EBUSY;
    }
    w->have_msg = 1;
    drain_more(w->dealer);
    *buf = zmq_msg_data(&w->msg);
    *len = zmq_msg_size(&w->msg);
    return 0;
}

int lb_wsub_wait(lb_wsub *w, int timeout_ms)
{
    zmq_pollitem_t item = {w->sub, 0, ZMQ_POLLIN, 0};
    int n = zmq_poll(&item, 1, timeout_ms);
    if (n < 0)
        return zmq_errno() == EINTR ? LB_EBUSY : LB_EINTERNAL;
    return n > 0 ? 1 : 0;
}

int lb_wsub_next(lb_wsub *w, const void **buf, size_t *len)
{
    release(w);
    zmq_msg_t topic;
    zmq_msg_init(&topic);
    if (zmq_msg_recv(&topic, w->sub, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&topic);
        return LB_ENOTFOUND;
    }
    bool more = zmq_msg_more(&topic);
    zmq_msg_close(&topic);
    if (!more)
        return LB_ECORRUPT;
    zmq_msg_init(&w->msg);
    if (zmq_msg_recv(&w->msg, w->sub, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&w->msg);
        return LB_ECORRUPT;
    }
    w->have_msg = 1;
    if (zmq_msg_more(&w->msg)) {
        drain_more(w->sub);
        release(w);
        return LB_ECORRUPT;
    }
    *buf = zmq_msg_data(&w->msg);
    *len = zmq_msg_size(&w->msg);
    return 0;
}
