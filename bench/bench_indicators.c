/* bench_indicators.c: recomputing a quarter's indicators, and rendering the
 * quarterly report.
 *
 *   bench_indicators [--followups N] [--runs R]
 *
 * 1. Recompute: N follow-ups (default 1,000,000) in one quarter, generated with
 *    a fixed xorshift seed into a compact event list first (so the PRNG is not
 *    timed). Each follow-up stands for the events the worker would replay for
 *    it: the case opened and closed, one contact, for a unit follow-up the
 *    hand-off sent, acknowledged and decided, the call's item due and its
 *    result with answers (80 % done, the rest no answer / declined /
 *    unreachable). One run = a fresh accumulator fed every event, then the
 *    snapshot JSON built and dumped to text. Median of R runs (default 3),
 *    min and max. The ceiling beside it is the same loop over the events
 *    doing nothing but summing a field, i.e. the cost of reading the list.
 * 2. Report: snapshots of 8 quarters x 7 units from an accumulator, the HTML
 *    report rendered R times (plus CSV and JSON once each for comparison).
 *
 * The bar (DESIGN.md): recompute one quarter over 1,000,000 follow-ups <= 1 s;
 * quarterly report rendered <= 200 ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/indicators.h"
#include "lotsbok/report.h"
#include "lotsbok/timeutil.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_indicators: %s failed: %d\n", what, rc);
    exit(1);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

struct fu_event {
    uint32_t company;
    int16_t day;    /* closing / result day offset in the quarter */
    int8_t unit;    /* -1: lots item */
    uint8_t status; /* enum lb_followup_status */
    uint8_t channel;
    uint8_t decide_in; /* working days to decision */
    struct lb_ind_answers a;
};

static const char *const units[] = {
    "bygglov",         "miljo",     "livsmedel",  "serveringstillstand",
    "raddningstjanst", "gata_park", "upphandling"};

static struct fu_event *generate(size_t n)
{
    struct fu_event *ev = malloc(n * sizeof *ev);
    if (ev == NULL)
        die("malloc", LB_ENOMEM);
    static const uint8_t st[10] = {LB_FOLLOWUP_DONE,    LB_FOLLOWUP_DONE, LB_FOLLOWUP_DONE,
                                   LB_FOLLOWUP_DONE,    LB_FOLLOWUP_DONE, LB_FOLLOWUP_DONE,
                                   LB_FOLLOWUP_DONE,    LB_FOLLOWUP_DONE, LB_FOLLOWUP_NO_ANSWER,
                                   LB_FOLLOWUP_DECLINED};
    for (size_t i = 0; i < n; i++) {
        struct fu_event *e = &ev[i];
        memset(e, 0, sizeof *e);
        e->company = 1 + rnd(200000);
        e->day = (int16_t)rnd(80);
        e->unit = (int8_t)(rnd(3) == 0 ? -1 : (int)rnd(7));
        e->status = i % 97 == 0 ? LB_FOLLOWUP_UNREACHABLE : st[rnd(10)];
        e->channel = (uint8_t)rnd(LB_CHANNEL_COUNT);
        e->decide_in = (uint8_t)rnd(40);
        size_t nq = e->unit < 0 ? LB_IND_LOTS_QUESTIONS : LB_IND_UNIT_QUESTIONS;
        for (size_t q = 0; q < nq; q++)
            e->a.scale[q] = (uint8_t)rnd(7); /* 0 = vet ej, 1..6 */
        e->a.yes = (int8_t)((int)rnd(3) - 1);
    }
    return ev;
}

/* Feeds every event of the follow-ups into a fresh accumulator and renders
 * the quarter's snapshot as text. Returns the text length (to keep it live). */
static size_t recompute(const struct fu_event *ev, size_t n, lb_date q0)
{
    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    struct lb_ind *acc;
    int rc = lb_ind_new(&cfg, &acc);
    if (rc != 0)
        die("lb_ind_new", rc);
    for (size_t i = 0; i < n; i++) {
        const struct fu_event *e = &ev[i];
        lb_date d = q0 + e->day;
        const char *unit = e->unit < 0 ? NULL : units[e->unit];
        rc |= lb_ind_case_opened(acc, d, e->company);
        rc |= lb_ind_contact(acc, d, e->company, (enum lb_channel)e->channel);
        rc |= lb_ind_case_closed(acc, d);
        if (unit != NULL) {
            rc |= lb_ind_handoff_sent(acc, d, unit);
            rc |= lb_ind_handoff_acknowledged(acc, d, d + (e->decide_in & 3), unit);
            rc |= lb_ind_handoff_decided(acc, d, d + e->decide_in, unit);
        }
        rc |= lb_ind_followup_due(acc, d, unit);
        rc |= lb_ind_followup_result(acc, d + 2, unit, (enum lb_followup_status)e->status, &e->a);
    }
    if (rc != 0)
        die("feeding", rc);
    json_t *doc;
    if ((rc = lb_ind_snapshot_json(acc, 2026, 2, LB_IND_LIVE, n, 0, &doc)) != 0)
        die("lb_ind_snapshot_json", rc);
    char *s = json_dumps(doc, LB_IND_JSON_REAL);
    if (s == NULL)
        die("json_dumps", LB_ENOMEM);
    size_t len = strlen(s);
    free(s);
    json_decref(doc);
    lb_ind_free(acc);
    return len;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void stats(double *t, int runs, double *med, double *min, double *max)
{
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    *min = t[0];
    *max = t[runs - 1];
    *med = t[runs / 2];
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    int runs = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--followups") == 0)
            n = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
    }
    if (runs < 1 || runs > 100 || n == 0) {
        fprintf(stderr, "usage: bench_indicators [--followups N] [--runs R]\n");
        return 2;
    }
    lb_date q0, qlast;
    lb_quarter_range(2026, 2, &q0, &qlast);

    /* 1. Recompute. */
    struct fu_event *ev = generate(n);
    double *t = calloc((size_t)runs, sizeof *t);
    if (t == NULL)
        die("calloc", LB_ENOMEM);
    size_t len = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = now_ms();
        len = recompute(ev, n, q0);
        t[r] = now_ms() - t0;
    }
    double t0 = now_ms();
    uint64_t sink = 0;
    for (size_t i = 0; i < n; i++)
        sink += ev[i].company + (uint64_t)ev[i].a.scale[0];
    double ceiling = now_ms() - t0;
    double med, min, max;
    stats(t, runs, &med, &min, &max);
    printf("recompute one quarter, %zu follow-ups (%zu-byte snapshot): median %.1f ms "
           "(min %.1f, max %.1f, %d runs); bar <= 1000 ms; ceiling (reading the events) %.1f ms "
           "[sink %llu]\n",
           n, len, med, min, max, runs, ceiling, (unsigned long long)(sink & 1));
    free(ev);

    /* 2. Report: 8 quarters x 7 units, 20,000 follow-ups per quarter. */
    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    struct lb_ind *acc;
    int rc = lb_ind_new(&cfg, &acc);
    if (rc != 0)
        die("lb_ind_new", rc);
    struct lb_report_input in = {.year = 2026, .quarter = 2, .units = &cfg.units};
    json_t *snaps[LB_REPORT_QUARTERS];
    struct fu_event *qev = generate(20000);
    for (int k = 0; k < LB_REPORT_QUARTERS; k++) {
        int y, q;
        lb_date first, last;
        lb_report_quarter_back(2026, 2, LB_REPORT_QUARTERS - 1 - k, &y, &q);
        lb_quarter_range(y, q, &first, &last);
        for (size_t i = 0; i < 20000; i++) {
            const struct fu_event *e = &qev[(i + (size_t)k * 131) % 20000];
            const char *unit = units[i % 7];
            rc |= lb_ind_handoff_sent(acc, first + e->day, unit);
            rc |= lb_ind_handoff_decided(acc, first + e->day, first + e->day + e->decide_in, unit);
            rc |= lb_ind_followup_result(acc, first + e->day, unit,
                                         (enum lb_followup_status)e->status, &e->a);
        }
        if (rc != 0 || (rc = lb_ind_snapshot_json(acc, y, q, LB_IND_LIVE, 1, 0, &snaps[k])) != 0)
            die("report snapshots", rc);
        in.snapshots[k] = snaps[k];
    }
    free(qev);
    lb_ind_free(acc);
    struct lb_improvement imp[20];
    memset(imp, 0, sizeof imp);
    for (int i = 0; i < 20; i++) {
        imp[i].meta.id = (lb_id)(i + 1);
        imp[i].title = "Förbättrad information om bygglov på webbplatsen";
        imp[i].unit = (char *)units[i % 7];
        imp[i].status = i % 3 == 0 ? LB_IMPROVEMENT_IMPLEMENTED : LB_IMPROVEMENT_IDENTIFIED;
        imp[i].identified_at = INT64_C(1767225600000) + (lb_time)i * 86400000;
        imp[i].implemented_at = i % 3 == 0 ? imp[i].identified_at + 864000000 : LB_TIME_NONE;
    }
    in.improvements = imp;
    in.nimprovements = 20;
    static const char *const names[] = {"json", "csv", "html"};
    for (int f = 0; f < 3; f++) {
        double *rt = calloc((size_t)runs, sizeof *rt);
        if (rt == NULL)
            die("calloc", LB_ENOMEM);
        size_t outlen = 0;
        for (int r = 0; r < runs; r++) {
            char *out;
            double s0 = now_ms();
            if ((rc = lb_report_render(&in, (enum lb_report_format)f, &out, &outlen)) != 0)
                die("lb_report_render", rc);
            rt[r] = now_ms() - s0;
            free(out);
        }
        stats(rt, runs, &med, &min, &max);
        printf("report %s, 8 quarters x 7 units (%zu bytes): median %.2f ms (min %.2f, max "
               "%.2f, %d runs); bar <= 200 ms\n",
               names[f], outlen, med, min, max, runs);
        free(rt);
    }
    for (int k = 0; k < LB_REPORT_QUARTERS; k++)
        json_decref(snaps[k]);
    free(t);
    return 0;
}
