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
/* One group commit of n requests; ops_ns and commit_ns are the time its
 * operations and its mdb_txn_commit (page writes and syncs) took. */
void lb_metrics_batch(size_t n, uint64_t ops_ns, uint64_t commit_ns);

/* Where one queued write's time went, in ns, from consecutive monotonic
 * timestamps (core/api/api.c): the first byte read to the operation queued
 * (HTTP and JSON parsing, authentication, validation), queued to taken by
 * the commit thread, the batch's operations, its commit (page writes and
 * syncs), committed to the loop taking the batch up, and from there to its
 * answer handed to the socket and counted (the batch's events published,
 * the answers before it in the batch). The stages add up to the write's
 * time in the server, as lb_metrics_request counts it. */
enum lb_write_stage {
    LB_STAGE_PARSE,
    LB_STAGE_QUEUE,
    LB_STAGE_OPS,
    LB_STAGE_COMMIT,
    LB_STAGE_WAKE,
    LB_STAGE_ANSWER,
    LB_STAGES
};
void lb_metrics_write_stages(const uint64_t ns[LB_STAGES]);

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
