/* bench_search_query.c: the search benchmark's query mix run in-process,
 * straight against the store, so the cost of a query can be read without
 * HTTP and without the noise of a shared machine (docs/benchmarks.md,
 * "Search (issue 24)").
 *
 *   bench_search_query DATA_DIR COMPANIES [QUERIES] [LIMIT]
 *
 * DATA_DIR is a bench_scale_gen data set with COMPANIES companies. The mix is
 * bench/search_two_words.lua's: half "<locality> lagerhall", half
 * "roslagens <N>" with N drawn from 1..COMPANIES (the last word a prefix),
 * QUERIES of them (default 20000) after as many again to warm the page
 * cache, all in one read transaction, first page of LIMIT hits (default 20)
 * as admin (no scoping). Times are this thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID): time spent descheduled by the machine's other
 * work is not counted (a VM's stolen time still is); the lists, seeks and
 * postings are exact counts. Prints, per query kind (the roslagens ones by
 * the digits of N), the count, µs per query (lb_search) at p50/p90/p99/max,
 * the mean lists opened, cursor seeks, postings read and hits collected per
 * query, the median µs of then reading the page's records as the route does
 * to render them, and the kind's slowest query; then the whole mix's
 * p50/p99 and queries per second of CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lotsbok/records.h"
#include "lotsbok/store.h"
#include "lotsbok/tokenizer.h"

static const char *const places[16] = {
    "norrtalje",  "hallstavik", "grisslehamn", "almsta",       "edsbro", "herrang",
    "bergshamra", "riala",      "svanberga",   "spillersboda", "blido",  "furusund",
    "graddo",     "kopmanholm", "osthammar",   "vaddo",
};

#define KINDS 7 /* 0: place lagerhall; 1..6: roslagens N of that many digits */

struct kind {
    double *us, *rec_us;
    size_t n, cap;
    struct lb_search_stats st;
    char slowest[64];
    double slowest_us;
};

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static int push(struct kind *k, double us, double rec_us)
{
    if (k->n == k->cap) {
        size_t nc = k->cap ? k->cap * 2 : 256;
        double *nv = realloc(k->us, nc * sizeof *nv), *nr;
        if (!nv)
            return -1;
        k->us = nv;
        if (!(nr = realloc(k->rec_us, nc * sizeof *nr)))
            return -1;
        k->rec_us = nr;
        k->cap = nc;
    }
    k->rec_us[k->n] = rec_us;
    k->us[k->n++] = us;
    return 0;
}

/* Reads the records of the page's hits as the route renders them (a case
 * with its company, a contact with its case; the last company and case read
 * are kept for the next hit, as api_search.c does). */
static int read_hits(lb_txn *t, const struct lb_search_res *res)
{
    int rc = 0;
    struct lb_company co = {0};
    struct lb_case kc = {0};
    lb_id co_id = 0, k_id = 0;
    for (size_t i = 0; !rc && i < res->count; i++) {
        const struct lb_search_hit *h = &res->hits[i];
        struct lb_case k = {0};
        struct lb_contact ct = {0};
        lb_id want_co = 0, want_k = 0;
        switch (h->pos.type) {
        case LB_SEARCH_COMPANY:
            want_co = h->pos.id;
            break;
        case LB_SEARCH_CASE:
            if ((rc = lb_case_get(t, h->pos.id, &k)) == 0)
                want_co = k.company_id;
            break;
        case LB_SEARCH_CONTACT:
            if ((rc = lb_contact_get(t, h->pos.id, &ct)) == 0)
                want_k = ct.case_id;
            break;
        default:
            break;
        }
        if (!rc && want_co && want_co != co_id) {
            lb_company_clear(&co);
            memset(&co, 0, sizeof co);
            rc = lb_company_get(t, want_co, &co);
            co_id = rc ? 0 : want_co;
        }
        if (!rc && want_k && want_k != k_id) {
            lb_case_clear(&kc);
            memset(&kc, 0, sizeof kc);
            rc = lb_case_get(t, want_k, &kc);
            k_id = rc ? 0 : want_k;
        }
        lb_case_clear(&k);
        lb_contact_clear(&ct);
    }
    lb_company_clear(&co);
    lb_case_clear(&kc);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: bench_search_query DATA_DIR COMPANIES [QUERIES] [LIMIT]\n");
        return 2;
    }
    long companies = atol(argv[2]);
    long queries = argc > 3 ? atol(argv[3]) : 20000;
    size_t limit = argc > 4 ? (size_t)atol(argv[4]) : 20;
    if (companies < 1 || queries < 1 || limit < 1 || limit > LB_SEARCH_PAGE_MAX) {
        fprintf(stderr, "bench_search_query: bad COMPANIES, QUERIES or LIMIT\n");
        return 2;
    }
    lb_store *s;
    struct lb_store_config cfg = {0};
    int rc = lb_store_open(argv[1], &cfg, &s);
    if (rc) {
        fprintf(stderr, "bench_search_query: cannot open %s: %d\n", argv[1], rc);
        return 1;
    }
    lb_txn *t;
    if ((rc = lb_txn_read(s, &t)) != 0) {
        fprintf(stderr, "bench_search_query: read transaction: %d\n", rc);
        return 1;
    }
    struct kind kinds[KINDS] = {0};
    struct lb_search_res *res = malloc(sizeof *res);
    double *all = malloc((size_t)queries * sizeof *all);
    if (!res || !all)
        return 1;
    srand(24);
    double t_all = 0;
    uint64_t sum = 1469598103934665603ull; /* FNV-1a of every page's hits */
    for (long i = 0; i < 2 * queries && !rc; i++) {
        char text[64];
        int kind;
        if (rand() % 2 == 0) {
            snprintf(text, sizeof text, "%s lagerhall", places[rand() % 16]);
            kind = 0;
        } else {
            long n = 1 + rand() % companies;
            snprintf(text, sizeof text, "roslagens %ld", n);
            kind = (int)strlen(text) - 10;
            if (kind > KINDS - 1)
                kind = KINDS - 1;
        }
        struct lb_query q;
        if (lb_query_parse(text, &q) != 0)
            return 1;
        struct lb_search_stats st = {0};
        struct lb_search_req rq = {.q = &q, .limit = limit, .stats = &st};
        double t0 = now_us();
        rc = lb_search(t, &rq, res);
        double t1 = now_us();
        if (!rc)
            rc = read_hits(t, res);
        double us = t1 - t0, rec_us = now_us() - t1;
        for (size_t j = 0; j < res->count; j++) {
            const struct lb_search_hit *h = &res->hits[j];
            uint64_t x[3] = {h->pos.id, h->pos.type, h->fields};
            for (int b = 0; b < 3; b++)
                sum = (sum ^ x[b]) * 1099511628211ull;
        }
        if (i < queries)
            continue; /* warming */
        struct kind *k = &kinds[kind];
        if (push(k, us, rec_us))
            return 1;
        all[i - queries] = us;
        if (us > k->slowest_us) {
            k->slowest_us = us;
            snprintf(k->slowest, sizeof k->slowest, "%s", text);
        }
        t_all += us;
        k->st.lists += st.lists;
        k->st.seeks += st.seeks;
        k->st.postings += st.postings;
        k->st.hits += st.hits;
    }
    lb_txn_end(t);
    lb_store_close(s);
    if (rc) {
        fprintf(stderr, "bench_search_query: lb_search: %d\n", rc);
        return 1;
    }
    printf("%-22s %7s %8s %8s %8s %8s %8s %8s %9s %6s %11s\n", "query", "n", "p50 µs", "p90 µs",
           "p99 µs", "max µs", "lists", "seeks", "postings", "hits", "records µs");
    for (int i = 0; i < KINDS; i++) {
        struct kind *k = &kinds[i];
        if (!k->n)
            continue;
        char name[32];
        if (i == 0)
            snprintf(name, sizeof name, "<place> lagerhall");
        else
            snprintf(name, sizeof name, "roslagens <%d digit%s>", i, i > 1 ? "s" : "");
        qsort(k->us, k->n, sizeof *k->us, dcmp);
        qsort(k->rec_us, k->n, sizeof *k->rec_us, dcmp);
        double d = (double)k->n;
        printf("%-22s %7zu %8.0f %8.0f %8.0f %8.0f %8.1f %8.1f %9.1f %6.1f %11.0f\n", name, k->n,
               pct(k->us, k->n, 50), pct(k->us, k->n, 90), pct(k->us, k->n, 99), k->us[k->n - 1],
               (double)k->st.lists / d, (double)k->st.seeks / d, (double)k->st.postings / d,
               (double)k->st.hits / d, pct(k->rec_us, k->n, 50));
        free(k->us);
        free(k->rec_us);
        printf("  slowest: \"%s\"\n", k->slowest);
    }
    qsort(all, (size_t)queries, sizeof *all, dcmp);
    printf("mix: %ld queries, p50 %.0f µs, p99 %.0f µs, max %.0f µs, %.0f queries/s of CPU, hits "
           "checksum %016llx\n",
           queries, pct(all, (size_t)queries, 50), pct(all, (size_t)queries, 99), all[queries - 1],
           (double)queries / (t_all / 1e6), (unsigned long long)sum);
    free(all);
    free(res);
    return 0;
}
