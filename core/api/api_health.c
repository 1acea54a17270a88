/* api_health.c: GET /healthz and GET /metrics.
 *
 * /healthz answers the last committed sequence number; /metrics gathers the
 * gauges the API owns (connections, publisher counters, last sequence) and
 * hands them to the metrics module (metrics.h), which renders the counters
 * the dispatcher has fed it. PUT /worker/cursor is here too: the worker
 * reporting how far it has applied the log, for the expiry of its stored
 * answers (store_idempotency.c). */
#include <stdlib.h>

#include "lotsbok/api.h"
#include "lotsbok/error.h"
#include "lotsbok/metrics.h"

int api_healthz(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    json_t *o = json_object();
    if (!o)
        return LB_ENOMEM;
    json_object_set_new(o, "status", json_string("ok"));
    json_object_set_new(o, "seq", json_integer((json_int_t)lb_store_last_seq(api_store(r))));
    return api_answer(r, 200, o, NULL);
}

int api_metrics(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    struct lb_metrics_gauges g = {
        .open_connections = api_open_connections(r),
        .events_published = api_events_published(r),
        .replay_requests = api_replay_requests(r),
        .last_seq = lb_store_last_seq(api_store(r)),
    };
    char *text = lb_metrics_render(&g);
    if (!text)
        return LB_ENOMEM;
    free(r->resp_body);
    r->resp_body = text;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    r->status = 200;
    return 0;
}

/* --- PUT /worker/cursor ------------------------------------------------------ */

/* Answers purged per call: a bounded transaction; the worker calls again while
 * "more" is true. */
#define WORKER_CURSOR_PURGE 5000

struct cursor_arg {
    uint64_t seq;
};

static int op_worker_cursor(lb_txn *t, struct lb_api_req *r)
{
    struct cursor_arg *a = r->arg;
    size_t purged = 0;
    bool more = false;
    uint64_t cursor = 0, anon = 0;
    int rc = lb_worker_cursor_put(t, a->seq);
    if (rc == 0)
        rc = lb_idempotency_purge(t, r->ctx.now, WORKER_CURSOR_PURGE, &purged, &more);
    if (rc == 0)
        rc = lb_worker_cursor_get(t, &cursor);
    if (rc == 0)
        rc = lb_anonymized_since_compaction(t, &anon);
    if (rc != 0)
        return rc;
    json_t *o = json_object();
    if (!o)
        return LB_ENOMEM;
    json_object_set_new(o, "seq", json_integer((json_int_t)cursor));
    json_object_set_new(o, "purged", json_integer((json_int_t)purged));
    json_object_set_new(o, "more", json_boolean(more));
    json_object_set_new(o, "anonymized_since_compaction", json_integer((json_int_t)anon));
    return api_answer(r, 200, o, NULL);
}

int api_worker_cursor(struct lb_api_req *r, lb_txn *t)
{
    (void)t;
    json_t *v = json_object_get(r->body, "seq");
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return api_fail(r, 422, "invalid_type", "seq", "seq must be an unsigned integer");
    uint64_t seq = (uint64_t)json_integer_value(v);
    if (seq > lb_store_last_seq(api_store(r)))
        return api_fail(r, 422, "out_of_range", "seq", "seq is past the last event");
    struct cursor_arg *a = calloc(1, sizeof *a);
    if (!a)
        return LB_ENOMEM;
    a->seq = seq;
    return api_queue(r, op_worker_cursor, a, free);
}
