/* bench_import.c: the register of the import benchmark and its ceiling
 * (bench/bench.py, docs/benchmarks.md "Import").
 *
 *   bench_import csv FILE N
 *       writes N companies as Swedish Excel writes a register: ';', UTF-8,
 *       CRLF, the header Organisationsnummer;Företagsnamn;Ort;SNI;
 *       Kontaktperson;Roll;Telefon;E-post and one row a company with its
 *       contact person. bench.py imports it through lotsd and makes the XLSX
 *       of it with openpyxl, so every run imports the same records.
 *
 *   bench_import store N [--runs R]
 *       the ceiling: the same N records written through lb_store_batch
 *       directly, R times (default 3), each into a fresh store opened as
 *       lotsd opens it (every commit synced, the search index kept): one
 *       batch of one operation that creates every company with
 *       lb_company_create (its record, orgnr and name indexes, search words,
 *       company.created event) and writes import.completed — what lotsd's
 *       import commits, without HTTP, reading the file, checking the rows or
 *       the answer. Prints one line:
 *         store companies=N runs=R median_ms=X min_ms=Y max_ms=Z
 *       (the time of lb_store_batch, from the call to the synced commit). */
#define _XOPEN_SOURCE 700 /* nftw, mkdtemp */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lotsbok/records.h"
#include "lotsbok/store.h"

static const char *const places[] = {"Norrtälje", "Rimbo",       "Hallstavik", "Grisslehamn",
                                     "Älmsta",    "Väddö",       "Söderby",    "Edsbro",
                                     "Bergshamra", "Herräng",    "Skebobruk",  "Finsta"};
static const char *const snis[] = {"30120", "56101", "43341", "47111", "62010", "68203",
                                   "41200", "49410", "10711", "71121", "81210", "96021"};
#define NPLACES (sizeof places / sizeof places[0])
#define NSNIS (sizeof snis / sizeof snis[0])

/* Company i (1-based): a valid aktiebolag number 559iiiiiiC (Luhn check digit). */
static void orgnr_of(unsigned i, char out[11])
{
    snprintf(out, 11, "559%06u", i % 1000000u);
    int sum = 0;
    for (int k = 0; k < 9; k++) {
        int v = (out[k] - '0') * (k % 2 == 0 ? 2 : 1);
        sum += v / 10 + v % 10;
    }
    out[9] = (char)('0' + (10 - sum % 10) % 10);
    out[10] = '\0';
}

/* The texts of company i, as both the CSV and the store get them. */
struct rec {
    char orgnr[11], name[64], person[64], phone[24], email[64];
};
static void rec_of(unsigned i, struct rec *r)
{
    orgnr_of(i, r->orgnr);
    snprintf(r->name, sizeof r->name, "Roslagens Företag %u AB", i);
    snprintf(r->person, sizeof r->person, "Åsa Öberg %u", i);
    snprintf(r->phone, sizeof r->phone, "0176-%06u", i % 1000000u);
    snprintf(r->email, sizeof r->email, "asa.oberg%u@foretag.example", i);
}

static int write_csv(const char *path, unsigned n)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return 1;
    }
    fputs("Organisationsnummer;Företagsnamn;Ort;SNI;Kontaktperson;Roll;Telefon;E-post\r\n", f);
    for (unsigned i = 1; i <= n; i++) {
        struct rec r;
        rec_of(i, &r);
        fprintf(f, "%.6s-%s;%s;%s;%s;%s;VD;%s;%s\r\n", r.orgnr, r.orgnr + 6, r.name,
                places[i % NPLACES], snis[i % NSNIS], r.person, r.phone, r.email);
    }
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

struct job {
    unsigned n;
    int failed_at;
};

static int op_import(lb_txn *t, void *arg)
{
    struct job *j = arg;
    struct lb_ctx ctx = {"bench", 1767225600000};
    for (unsigned i = 1; i <= j->n; i++) {
        struct rec r;
        rec_of(i, &r);
        struct lb_person p = {.name = r.person, .role = "VD", .phone = r.phone, .email = r.email};
        struct lb_company co = {0};
        memcpy(co.orgnr, r.orgnr, sizeof co.orgnr);
        co.name = r.name;
        co.locality = (char *)places[i % NPLACES];
        co.sni = (char *)snis[i % NSNIS];
        co.contacts = &p;
        co.ncontacts = 1;
        co.anonymized_at = LB_TIME_NONE;
        lb_id existing = 0;
        int rc = lb_company_create(t, &ctx, &co, &existing);
        if (rc) {
            j->failed_at = (int)i;
            return rc;
        }
    }
    return lb_import_completed(t, &ctx, "csv", j->n, 0, 0, 0);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int store_runs(unsigned n, int runs)
{
    double ms[64];
    for (int k = 0; k < runs; k++) {
        char dir[] = "/tmp/lb-bench-import-XXXXXX";
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
        char data[64];
        snprintf(data, sizeof data, "%s/data", dir);
        struct lb_store_config cfg = {0};
        lb_store *s;
        int rc = lb_store_create(data, &cfg, &s);
        if (rc) {
            fprintf(stderr, "bench_import: cannot create a store in %s: %d\n", data, rc);
            return 1;
        }
        struct job j = {n, 0};
        struct lb_op op = {op_import, &j, 0};
        double t0 = now_ms();
        rc = lb_store_batch(s, &op, 1, NULL, NULL);
        ms[k] = now_ms() - t0;
        if (rc == 0)
            rc = op.result;
        lb_store_close(s);
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        if (rc) {
            fprintf(stderr, "bench_import: the batch failed (%d, company %d)\n", rc, j.failed_at);
            return 1;
        }
        fprintf(stderr, "bench_import: run %d: %u companies in %.0f ms\n", k + 1, n, ms[k]);
    }
    qsort(ms, (size_t)runs, sizeof ms[0], cmp_d);
    printf("store companies=%u runs=%d median_ms=%.1f min_ms=%.1f max_ms=%.1f\n", n, runs,
           ms[runs / 2], ms[0], ms[runs - 1]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "csv") == 0 && atoi(argv[3]) > 0)
        return write_csv(argv[2], (unsigned)atoi(argv[3]));
    if ((argc == 3 || (argc == 5 && strcmp(argv[3], "--runs") == 0)) &&
        strcmp(argv[1], "store") == 0 && atoi(argv[2]) > 0) {
        int runs = argc == 5 ? atoi(argv[4]) : 3;
        if (runs < 1 || runs > 64)
            runs = 3;
        return store_runs((unsigned)atoi(argv[2]), runs);
    }
    fprintf(stderr, "usage: bench_import csv FILE N\n"
                    "       bench_import store N [--runs R]\n");
    return 2;
}
