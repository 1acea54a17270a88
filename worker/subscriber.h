/* subscriber.h: the worker's two ZeroMQ sockets toward lotsd.
 *
 * SUB (connected to lotsd's PUB, subscribed to every type) receives live
 * events as [type, envelope]; DEALER (connected to lotsd's ROUTER) asks for
 * replays with ["replay", {"after","limit"}] and receives ["events",
 * [envelope, ...]]. Both reconnect by themselves when lotsd restarts. A
 * replay that is not answered in time resets the DEALER socket, so a late
 * answer to an abandoned request can never be mistaken for the next one.
 * With CURVE keys both are CURVE clients (docs/zeromq.md). */
#ifndef LOTSBOK_WORKER_SUBSCRIBER_H
#define LOTSBOK_WORKER_SUBSCRIBER_H

#include <stddef.h>
#include <stdint.h>

#include "lotsbok/curve.h"

typedef struct lb_wsub lb_wsub;

/* Connects both sockets (connecting succeeds even while lotsd is down). curve:
 * lotsd's public key and the worker's key pair when lotsd's sockets use CURVE
 * (copied; NULL for plain sockets). */
int lb_wsub_open(const char *sub_endpoint, const char *replay_endpoint,
                 const struct lb_curve_client *curve, lb_wsub **out);
void lb_wsub_close(lb_wsub *w);

/* Asks for at most limit events after `after` and waits up to timeout_ms.
 * On 0, *buf and *len is the msgpack array of envelopes, valid until the next
 * call on w. LB_EBUSY when no answer came in time or a signal interrupted
 * the wait (the socket is reset); LB_ECORRUPT for an ["error", ...] answer
 * or a malformed one. */
int lb_wsub_replay(lb_wsub *w, uint64_t after, uint32_t limit, int timeout_ms, const void **buf,
                   size_t *len);

/* Waits up to timeout_ms for a live message: 1 when one is ready, 0 on
 * timeout, LB_EBUSY when a signal interrupted the wait. */
int lb_wsub_wait(lb_wsub *w, int timeout_ms);

/* Takes one live message without waiting: 0 with *buf and *len the envelope
 * (valid until the next call on w), LB_ENOTFOUND when none is queued,
 * LB_ECORRUPT for a message that is not [type, envelope]. */
int lb_wsub_next(lb_wsub *w, const void **buf, size_t *len);

#endif
