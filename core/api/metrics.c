/* metrics.c: lotsd's counters and their Prometheus text (metrics.h).
 *
 * Counters live in this file, updated from the loop thread only (the API
 * runs on one libuv loop), so they need no locks. One lotsd process serves
 * one API, hence file-level state. Exposed: requests by method, route
 * pattern and status (each (method, route) one series), a request latency
 * histogram, group-commit batch sizes and times, the time durable writes
 * spent in each stage (lb_write_stage), and the gauges the caller hands in
 * (open connections, events published, replay requests, the last committed
 * sequence number). */
#include "lotsbok/metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES LB_METRICS_MAX_ROUTES

static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 412,
                               413, 415, 422, 429, 431, 500, 503, 507, 0};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

static const double latency_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                        0.01,   0.025,   0.05,   0.1,   0.25,   1.0};
#define NLAT (sizeof latency_bounds / sizeof latency_bounds[0])

static const size_t batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
#define NBATCH (sizeof batch_bounds / sizeof batch_bounds[0])

static struct {
    const char *const *methods;
    const char *const *labels;
    size_t nroutes;
    uint64_t requests[MAX_ROUTES][NSTATUS];
    uint64_t other_status[MAX_ROUTES];
    uint64_t lat[NLAT + 1];
    double lat_sum;
    uint64_t lat_count;
    uint64_t batch[NBATCH + 1];
    uint64_t batch_sum, batch_count;
    uint64_t batch_ops_ns, batch_commit_ns;
    uint64_t stage_ns[LB_STAGES];
    uint64_t stage_count;
} m;

static const char *const stage_names[LB_STAGES] = {"parse",  "queue", "ops",
                                                   "commit", "wake",  "answer"};

void lb_metrics_init(const char *const *methods, const char *const *labels, size_t nroutes)
{
    memset(&m, 0, sizeof m);
    m.methods = methods;
    m.labels = labels;
    m.nroutes = nroutes < MAX_ROUTES ? nroutes : MAX_ROUTES;
}

void lb_metrics_request(int route, int status, uint64_t us)
{
    if (route >= 0 && (size_t)route < m.nroutes) {
        size_t i = 0;
        while (statuses[i] && statuses[i] != status)
            i++;
        m.requests[route][i]++;
        if (!statuses[i])
            m.other_status[route]++;
    }
    double s = (double)us / 1e6;
    size_t b = 0;
    while (b < NLAT && s > latency_bounds[b])
        b++;
    m.lat[b]++;
    m.lat_sum += s;
    m.lat_count++;
}

void lb_metrics_batch(size_t n, uint64_t ops_ns, uint64_t commit_ns)
{
    m.batch_ops_ns += ops_ns;
    m.batch_commit_ns += commit_ns;
    size_t b = 0;
    while (b < NBATCH && n > batch_bounds[b])
        b++;
    m.batch[b]++;
    m.batch_sum += n;
    m.batch_count++;
}

void lb_metrics_write_stages(const uint64_t ns[LB_STAGES])
{
    for (size_t i = 0; i < LB_STAGES; i++)
        m.stage_ns[i] += ns[i];
    m.stage_count++;
}

/* A growing text buffer; on allocation failure it stays failed. */
struct tbuf {
    char *p;
    size_t len, cap;
    bool failed;
};

static void tb_printf(struct tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_printf(struct tbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n + 1;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

char *lb_metrics_render(const struct lb_metrics_gauges *g)
{
    struct tbuf b = {.p = malloc(16384), .cap = 16384};
    if (!b.p)
        return NULL;
    tb_printf(&b, "# HELP lotsd_http_requests_total HTTP requests by method, route and status.\n"
                  "# TYPE lotsd_http_requests_total counter\n");
    for (size_t i = 0; i < m.nroutes; i++) {
        for (size_t s = 0; s + 1 < NSTATUS; s++)
            if (m.requests[i][s])
                tb_printf(&b,
                          "lotsd_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} "
                          "%llu\n",
                          m.methods[i], m.labels[i], statuses[s],
                          (unsigned long long)m.requests[i][s]);
        if (m.other_status[i])
            tb_printf(&b,
                      "lotsd_http_requests_total{method=\"%s\",route=\"%s\",status=\"other\"} "
                      "%llu\n",
                      m.methods[i], m.labels[i], (unsigned long long)m.other_status[i]);
    }
    tb_printf(&b, "# HELP lotsd_http_request_duration_seconds Time from first byte to answer.\n"
                  "# TYPE lotsd_http_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t i = 0; i < NLAT; i++) {
        cum += m.lat[i];
        tb_printf(&b, "lotsd_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                  latency_bounds[i], (unsigned long long)cum);
    }
    cum += m.lat[NLAT];
    tb_printf(&b,
              "lotsd_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
              "lotsd_http_request_duration_seconds_sum %.6f\n"
              "lotsd_http_request_duration_seconds_count %llu\n",
              (unsigned long long)cum, m.lat_sum, (unsigned long long)m.lat_count);
    tb_printf(&b, "# HELP lotsd_commit_batch_size Requests per group commit.\n"
                  "# TYPE lotsd_commit_batch_size histogram\n");
    cum = 0;
    for (size_t i = 0; i < NBATCH; i++) {
        cum += m.batch[i];
        tb_printf(&b, "lotsd_commit_batch_size_bucket{le=\"%zu\"} %llu\n", batch_bounds[i],
                  (unsigned long long)cum);
    }
    cum += m.batch[NBATCH];
    tb_printf(&b,
              "lotsd_commit_batch_size_bucket{le=\"+Inf\"} %llu\n"
              "lotsd_commit_batch_size_sum %llu\n"
              "lotsd_commit_batch_size_count %llu\n",
              (unsigned long long)cum, (unsigned long long)m.batch_sum,
              (unsigned long long)m.batch_count);
    tb_printf(&b,
              "# HELP lotsd_commit_seconds_total Group commits' time: their operations, and "
              "mdb_txn_commit (page writes and syncs).\n"
              "# TYPE lotsd_commit_seconds_total counter\n"
              "lotsd_commit_seconds_total{part=\"ops\"} %.9f\n"
              "lotsd_commit_seconds_total{part=\"commit\"} %.9f\n",
              (double)m.batch_ops_ns / 1e9, (double)m.batch_commit_ns / 1e9);
    tb_printf(&b, "# HELP lotsd_write_stage_seconds_total Time queued writes spent in each stage "
                  "(summed over writes).\n"
                  "# TYPE lotsd_write_stage_seconds_total counter\n");
    for (size_t i = 0; i < LB_STAGES; i++)
        tb_printf(&b, "lotsd_write_stage_seconds_total{stage=\"%s\"} %.9f\n", stage_names[i],
                  (double)m.stage_ns[i] / 1e9);
    tb_printf(&b,
              "# HELP lotsd_write_stage_writes_total Queued writes counted in the stages.\n"
              "# TYPE lotsd_write_stage_writes_total counter\n"
              "lotsd_write_stage_writes_total %llu\n",
              (unsigned long long)m.stage_count);
    tb_printf(&b,
              "# HELP lotsd_open_connections Open HTTP connections.\n"
              "# TYPE lotsd_open_connections gauge\n"
              "lotsd_open_connections %u\n"
              "# HELP lotsd_events_published_total Events published on the PUB socket.\n"
              "# TYPE lotsd_events_published_total counter\n"
              "lotsd_events_published_total %llu\n"
              "# HELP lotsd_replay_requests_total Replay requests answered.\n"
              "# TYPE lotsd_replay_requests_total counter\n"
              "lotsd_replay_requests_total %llu\n"
              "# HELP lotsd_last_seq The last committed event sequence number.\n"
              "# TYPE lotsd_last_seq gauge\n"
              "lotsd_last_seq %llu\n",
              g->open_connections, (unsigned long long)g->events_published,
              (unsigned long long)g->replay_requests, (unsigned long long)g->last_seq);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p; /* NUL-terminated by vsnprintf */
}
