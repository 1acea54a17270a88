/* bench_scale_gen.c: fills an initialised lotsd environment with N contacts
 * for `make bench-scale` (reads at 10,000 and at 10,000,000 contacts).
 *
 *   bench_scale_gen DATA_DIR N
 *
 * DATA_DIR is made by `lotsd init`. The shape is a municipality's, scaled:
 * one company per 10 cases, 10 contacts per case (so GET /cases/{id} answers
 * the same amount of data at every size), each company in one of 16 localities
 * (the search benchmark's "<locality> lagerhall"). The search index is written
 * as by lotsd (lb__put), so the set is the size a real one would be. Everything goes through the
 * store's own write path, lb_store_batch with no_sync, 20 companies (2,220
 * records and as many events) per batch; the map grows by itself. An
 * fsync of data.mdb at the end makes it all reach the disk before the
 * program reports. The last line printed is
 *   contacts=N cases=C companies=K first_case=X last_case=Y
 * which bench/bench.py parses. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lotsbok/records.h"
#include "lotsbok/store.h"

#define CASES_PER_COMPANY 10
#define CONTACTS_PER_CASE 10
#define COMPANIES_PER_BATCH 20

static const char *const places[16] = {
    "Norrtälje",  "Hallstavik", "Grisslehamn", "Älmsta",       "Edsbro", "Herräng",
    "Bergshamra", "Riala",      "Svanberga",   "Spillersboda", "Blidö",  "Furusund",
    "Gräddö",     "Köpmanholm", "Östhammar",   "Väddö",
};

static const char summary[] = "Ringde om bygglov för lagerhall i Rimbo. Behöver situationsplan och "
                              "kontrollansvarig; hänvisade till bygglovshandläggaren.";

struct gen {
    uint64_t serial; /* company number: orgnr and name */
    lb_id first_case, last_case;
};

/* A valid aktiebolag orgnr 55xxxxxxxC from a serial (Luhn check digit). */
static void orgnr_of(uint64_t n, char out[11])
{
    snprintf(out, 11, "55%07llu", (unsigned long long)(n % 10000000));
    int sum = 0;
    for (int i = 0; i < 9; i++) {
        int v = (out[i] - '0') * (i % 2 == 0 ? 2 : 1);
        sum += v / 10 + v % 10;
    }
    out[9] = (char)('0' + (10 - sum % 10) % 10);
    out[10] = '\0';
}

/* One company with its cases and their contacts. */
static int op_company(lb_txn *t, void *arg)
{
    struct gen *g = arg;
    struct lb_ctx ctx = {"anna", 1767225600000 + (lb_time)g->serial * 1000};
    struct lb_company co = {0};
    orgnr_of(g->serial, co.orgnr);
    char name[64];
    snprintf(name, sizeof name, "Roslagens Bygg %llu AB", (unsigned long long)g->serial);
    co.name = name;
    co.locality = (char *)places[g->serial % 16];
    co.anonymized_at = LB_TIME_NONE;
    lb_id existing;
    int rc = lb_company_create(t, &ctx, &co, &existing);
    if (rc)
        return rc;
    for (int c = 0; c < CASES_PER_COMPANY; c++) {
        struct lb_case k = {0};
        k.company_id = co.meta.id;
        k.subject = "Bygglov för lagerhall";
        k.category = LB_CATEGORY_PERMIT;
        k.owner = "anna";
        k.opened_at = LB_TIME_NONE;
        k.closed_at = LB_TIME_NONE;
        rc = lb_case_open(t, &ctx, &k);
        if (rc)
            return rc;
        if (g->first_case == 0)
            g->first_case = k.meta.id;
        g->last_case = k.meta.id;
        for (int i = 0; i < CONTACTS_PER_CASE; i++) {
            struct lb_contact ct = {0};
            ct.case_id = k.meta.id;
            ct.at = LB_TIME_NONE;
            ct.channel = (enum lb_channel)(i % 3);
            ct.direction = LB_DIRECTION_INBOUND;
            ct.summary = (char *)summary;
            ct.minutes = 5 + i;
            ct.logged_by = "anna";
            rc = lb_contact_log(t, &ctx, &ct);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 || atoll(argv[2]) < CASES_PER_COMPANY * CONTACTS_PER_CASE) {
        fprintf(stderr, "usage: bench_scale_gen DATA_DIR N (N >= %d)\n",
                CASES_PER_COMPANY * CONTACTS_PER_CASE);
        return 2;
    }
    uint64_t companies = (uint64_t)atoll(argv[2]) / (CASES_PER_COMPANY * CONTACTS_PER_CASE);
    struct lb_store_config cfg = {.no_sync = true, .map_size = (size_t)1 << 30};
    lb_store *s;
    int rc = lb_store_open(argv[1], &cfg, &s);
    if (rc) {
        fprintf(stderr, "bench_scale_gen: cannot open %s: %d\n", argv[1], rc);
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct gen g[COMPANIES_PER_BATCH];
    struct lb_op ops[COMPANIES_PER_BATCH];
    lb_id first_case = 0, last_case = 0;
    for (uint64_t done = 0; done < companies;) {
        size_t n = companies - done < COMPANIES_PER_BATCH ? (size_t)(companies - done)
                                                          : COMPANIES_PER_BATCH;
        for (size_t i = 0; i < n; i++) {
            g[i] = (struct gen){.serial = done + i + 1};
            ops[i] = (struct lb_op){op_company, &g[i], 0};
        }
        rc = lb_store_batch(s, ops, n, NULL, NULL);
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = ops[i].result;
        if (rc) {
            fprintf(stderr, "bench_scale_gen: batch at company %llu failed: %d\n",
                    (unsigned long long)done, rc);
            lb_store_close(s);
            return 1;
        }
        if (first_case == 0)
            first_case = g[0].first_case;
        last_case = g[n - 1].last_case;
        done += n;
        if (done % 10000 == 0)
            fprintf(stderr, "bench_scale_gen: %llu of %llu companies\n", (unsigned long long)done,
                    (unsigned long long)companies);
    }
    lb_store_close(s);
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", argv[1]);
    int fd = open(path, O_RDWR);
    if (fd < 0 || fsync(fd) != 0) {
        perror(path);
        return 1;
    }
    close(fd);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    uint64_t cases = companies * CASES_PER_COMPANY;
    printf("bench_scale_gen: %llu contacts written in %.1f s (%.0f/s)\n",
           (unsigned long long)(cases * CONTACTS_PER_CASE), secs,
           (double)(cases * CONTACTS_PER_CASE) / secs);
    printf("contacts=%llu cases=%llu companies=%llu first_case=%llu last_case=%llu\n",
           (unsigned long long)(cases * CONTACTS_PER_CASE), (unsigned long long)cases,
           (unsigned long long)companies, (unsigned long long)first_case,
           (unsigned long long)last_case);
    return 0;
}
