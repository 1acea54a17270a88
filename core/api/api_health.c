/* api_health.c: GET /healthz and GET /metrics.
 *
 * /healthz answers the last committed sequence number; /metrics gathers the
 * gauges the API owns (connections, publisher counters, last sequence) and
 * hands them to the metrics module (metrics.h), which renders the counters
 * the dispatcher has fed it. */
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
