/* metrics.h: lotsd's counters in Prometheus text format.
 *
 * A narrow interface the API's dispatcher feeds: it names the routes once
 * (lb_metrics_init), reports each answered request and each group commit,
 * and hands in the gauges it owns when /metrics is rendered. The module
 * knows nothing of requests, routes or the server; it only counts. The
 * counters are updated from the loop thread only, so they take no locks. */
#ifndef LOTSBOK_METRICS_H
#define LOTSBOK_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Resets every counter and names the routes: route i is the series
 * method=methods[i], route=labels[i] (the table's method and pattern; no two
 * routes may share both). At most LB_METRICS_MAX_ROUTES are counted; the
 * strings must outlive the module's use. */
#define LB_METRICS_MAX_ROUTES 128
void lb_metrics_init(const char *const *methods, const char *const *labels, size_t nroutes);
/* One answered request on route index route (outside 0..nroutes-1: only
 * the latency histogram counts it), its status and its time in µs. */
void lb_metrics_request(int route, int status, uint64_t us);
/* One group commit of n requests. */
void lb_metrics_batch(size_t n);

/* What the caller owns and the text reports as gauges and counters. */
struct lb_metrics_gauges {
    unsigned open_connections;
    uint64_t events_published;
    uint64_t replay_requests;
    uint64_t last_seq;
};
/* The whole exposition as a NUL-terminated malloc'd string, or NULL when
 * out of memory. */
char *lb_metrics_render(const struct lb_metrics_gauges *g);

#endif
