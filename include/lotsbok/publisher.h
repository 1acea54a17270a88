/* publisher.h: the outbox published over ZeroMQ, and replay.
 *
 * A handle on the libuv loop that owns two ZeroMQ sockets: PUB, on which each
 * commit's events are published in sequence order as two frames
 * [type, envelope], and ROUTER, which answers ["replay", {"after","limit"}]
 * with ["events", [envelope, ...]] read straight from the outbox, and anything
 * malformed with ["error", {"message"}]. The sockets are watched with
 * uv_poll_t on ZMQ_FD (edge-triggered: drained with ZMQ_DONTWAIT, ZMQ_EVENTS
 * re-checked after every send and receive). Publishing never blocks the loop.
 * With CURVE keys (lb_publisher_options.curve) both sockets are CURVE servers
 * and a ZAP handler (a REP socket on inproc://zeromq.zap.01, on the same loop)
 * lets in the clients whose public keys are listed; docs/zeromq.md. */
#ifndef LOTSBOK_PUBLISHER_H
#define LOTSBOK_PUBLISHER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "lotsbok/curve.h"
#include "lotsbok/store.h"

typedef struct lb_publisher lb_publisher;

/* Binds pub_endpoint and replay_endpoint ("tcp://127.0.0.1:7701"), which must
 * be local (lb_endpoint_is_local) without CURVE keys: LB_EPERM otherwise. */
int lb_publisher_start(uv_loop_t *loop, lb_store *store, const char *pub_endpoint,
                       const char *replay_endpoint, lb_publisher **out);

/* At most this many events in one replay answer, whatever the limit asked. */
#define LB_REPLAY_MAX 10000

/* Tuning for lb_publisher_start_opts; a zero field takes its default. */
struct lb_publisher_options {
    int pub_sndhwm;           /* PUB send high-water mark, messages per subscriber; 100,000 */
    int heartbeat_ivl_ms;     /* ZMTP heartbeat interval on both sockets; 1,000 */
    int heartbeat_timeout_ms; /* a peer silent this long is dropped; 5,000 */
    int pub_sndbuf;           /* PUB kernel send buffer in bytes (ZMQ_SNDBUF); OS default */
    /* CURVE keys (curve.h): both sockets become CURVE servers and a ZAP handler on
     * the loop lets in the listed clients only. NULL: no CURVE, and then an endpoint
     * beyond loopback (lb_endpoint_is_local) is refused with LB_EPERM. Copied. */
    const struct lb_curve_server *curve;
};

/* lb_publisher_start with options (opts may be NULL: every default). The
 * endpoints may use a wildcard port ("tcp://127.0.0.1:*"); read the bound
 * ones back with lb_publisher_endpoints. */
int lb_publisher_start_opts(uv_loop_t *loop, lb_store *store, const char *pub_endpoint,
                            const char *replay_endpoint, const struct lb_publisher_options *opts,
                            lb_publisher **out);

/* The endpoints actually bound (ZMQ_LAST_ENDPOINT), e.g. "tcp://127.0.0.1:41234".
 * The strings belong to p and live until lb_publisher_stop. Either out may be NULL. */
void lb_publisher_endpoints(const lb_publisher *p, const char **pub, const char **replay);

/* Publishes the committed events first..last (read from the outbox). Call
 * right after each commit; a no-op when first > last. */
void lb_publisher_publish(lb_publisher *p, uint64_t first, uint64_t last);

/* Decodes a replay request's second frame, a msgpack map {"after": uint,
 * "limit": uint} (other keys skipped, trailing bytes refused, limit >= 1).
 * Returns 0, or LB_EINVAL with *why a message for the client. Exposed for
 * the unit tests and tests/fuzz/fuzz_replay.c. */
int lb_replay_request_parse(const void *buf, size_t len, uint64_t *after, uint64_t *limit,
                            const char **why);

/* Counters for /metrics. */
uint64_t lb_publisher_published(const lb_publisher *p);
uint64_t lb_publisher_replays(const lb_publisher *p);
/* Replay requests answered with an error (malformed, or the outbox unreadable). */
uint64_t lb_publisher_replay_errors(const lb_publisher *p);

/* Closes the sockets and the poll handles; done(arg) once all are closed. */
void lb_publisher_stop(lb_publisher *p, void (*done)(void *arg), void *arg);

#endif
