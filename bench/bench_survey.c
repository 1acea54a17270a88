/* bench_survey.c: data and a ceiling for the e-mail survey's benchmark rows
 * (bench/bench.py, docs/benchmarks.md).
 *
 *   bench_survey seed DATA_DIR N [--issue TOKENS_FILE]
 *       N scheduled follow-up calls due today in an environment made by
 *       `lotsd init` (100 per company, each company one contact person with an
 *       address, one open case each, so the scheduler has nothing to do).
 *       With --issue each call's survey is issued as the worker would
 *       (lb_survey_issue) with a fresh token, and the tokens are written to
 *       TOKENS_FILE, one per line, for wrk to answer the public form with.
 *       Everything goes through lb_store_batch (no sync) and one fsync at the
 *       end. Prints "followups=N".
 *   bench_survey smtp URL N
 *       The ceiling of the worker's mailing: N survey mails (composed by
 *       worker/mail.c, sent by worker/smtp.c on one connection) with no
 *       bookkeeping at all. Prints "mails=N ms=T rate=R".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lotsbok/auth.h"
#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/records.h"
#include "lotsbok/store.h"
#include "lotsbok/timeutil.h"
#include "mail.h"
#include "smtp.h"

#define PER_COMPANY 100

struct seed {
    uint64_t serial;
    FILE *tokens; /* NULL: do not issue */
    lb_date due, call_from;
    char text[PER_COMPANY][LB_TOKEN_LEN + 1];
};

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

/* One company, its case and PER_COMPANY calls (issued with --issue). */
static int op_seed(lb_txn *t, void *arg)
{
    struct seed *g = arg;
    struct lb_ctx ctx = {"worker", lb_time_now()};
    char name[64], mail[64];
    snprintf(name, sizeof name, "Enkätbolaget %llu AB", (unsigned long long)g->serial);
    snprintf(mail, sizeof mail, "kontakt%llu@example.se", (unsigned long long)g->serial);
    struct lb_person p = {.name = "Karin Öberg", .email = mail};
    struct lb_company co = {.name = name, .contacts = &p, .ncontacts = 1};
    orgnr_of(g->serial, co.orgnr);
    co.anonymized_at = LB_TIME_NONE;
    lb_id existing;
    int rc = lb_company_create(t, &ctx, &co, &existing);
    if (rc)
        return rc;
    struct lb_case k = {.company_id = co.meta.id,
                        .subject = "Ny butik",
                        .category = LB_CATEGORY_ESTABLISHMENT,
                        .owner = "anna",
                        .opened_at = LB_TIME_NONE,
                        .closed_at = LB_TIME_NONE};
    if ((rc = lb_case_open(t, &ctx, &k)))
        return rc;
    for (int i = 0; i < PER_COMPANY; i++) {
        struct lb_followup_item it = {.kind = LB_FOLLOWUP_KIND_LOTS, .case_id = k.meta.id};
        struct lb_followup f = {
            .company_id = co.meta.id, .assignee = "anna", .due = g->due, .items = &it, .nitems = 1};
        rc = lb_followup_create(t, &ctx, &f);
        lb_id fid = f.meta.id;
        f.items = NULL; /* ours, not the record's */
        f.nitems = 0;
        f.assignee = NULL;
        free(it.unit);
        it.unit = NULL;
        lb_followup_clear(&f);
        if (rc || !g->tokens)
            continue;
        struct lb_survey_issue in = {.followup_id = fid,
                                     .reminder = 0,
                                     .call_from = g->call_from,
                                     .valid_ms = 30LL * 24 * 3600 * 1000};
        if ((rc = lb_token_new(g->text[i], in.token_hash)))
            return rc;
        enum lb_survey_verdict v;
        struct lb_followup fu = {0};
        struct lb_company c2 = {0};
        uint32_t who;
        rc = lb_survey_issue(t, &ctx, &in, &v, &fu, &c2, &who);
        lb_followup_clear(&fu);
        lb_company_clear(&c2);
        if (rc == 0 && v != LB_SURVEY_SEND)
            rc = LB_EINTERNAL;
        if (rc)
            return rc;
    }
    return rc;
}

static int seed(int argc, char **argv)
{
    if (argc < 4 || atoll(argv[3]) < PER_COMPANY) {
        fprintf(stderr, "usage: bench_survey seed DATA_DIR N [--issue TOKENS_FILE] (N >= %d)\n",
                PER_COMPANY);
        return 2;
    }
    uint64_t companies = (uint64_t)atoll(argv[3]) / PER_COMPANY;
    FILE *tokens = NULL;
    if (argc == 6 && strcmp(argv[4], "--issue") == 0 && !(tokens = fopen(argv[5], "w"))) {
        perror(argv[5]);
        return 1;
    }
    struct lb_store_config cfg = {.no_sync = true, .map_size = (size_t)1 << 30};
    lb_store *s;
    int rc = lb_store_open(argv[2], &cfg, &s);
    if (rc) {
        fprintf(stderr, "bench_survey: cannot open %s: %d\n", argv[2], rc);
        return 1;
    }
    lb_date today = lb_stockholm_date(lb_time_now());
    static struct seed g[10];
    struct lb_op ops[10];
    for (uint64_t done = 0; done < companies && rc == 0;) {
        size_t n = companies - done < 10 ? (size_t)(companies - done) : 10;
        for (size_t i = 0; i < n; i++) {
            g[i].serial = done + i + 1;
            g[i].tokens = tokens;
            g[i].due = today;
            g[i].call_from = lb_add_working_days(today, 12);
            ops[i] = (struct lb_op){op_seed, &g[i], 0};
        }
        rc = lb_store_batch(s, ops, n, NULL, NULL);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            rc = ops[i].result;
            for (int k = 0; rc == 0 && tokens && k < PER_COMPANY; k++)
                fprintf(tokens, "%s\n", g[i].text[k]);
        }
        done += n;
    }
    lb_store_close(s);
    if (tokens && fclose(tokens) != 0)
        rc = 1;
    int fd = -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", argv[2]);
    if (rc == 0 && ((fd = open(path, O_RDONLY)) < 0 || fsync(fd) != 0))
        rc = 1;
    if (fd >= 0)
        close(fd);
    if (rc) {
        fprintf(stderr, "bench_survey: seeding failed: %d\n", rc);
        return 1;
    }
    printf("followups=%llu\n", (unsigned long long)(companies * PER_COMPANY));
    return 0;
}

static int smtp_ceiling(int argc, char **argv)
{
    if (argc != 4 || atoi(argv[3]) < 1) {
        fprintf(stderr, "usage: bench_survey smtp URL N\n");
        return 2;
    }
    int n = atoi(argv[3]);
    json_t *item = json_pack("{s:{s:s,s:s},s:s,s:i,s:s,s:s,s:[{s:s,s:n,s:s,s:s,s:s,s:s}]}",
                             "recipient", "name", "Karin Öberg", "email", "kontakt@example.se",
                             "company", "Enkätbolaget AB", "reminder", 0, "sent_at",
                             "2026-11-30T08:00:00Z", "expires_at", "2026-12-30T08:00:00Z", "items",
                             "kind", "lots", "unit", "title", "Företagslotsen", "case_number",
                             "L2026-0001", "case_subject", "Ny butik", "date", "2026-11-16");
    struct lb_mail_ctx ctx = {
        "Företagslotsen, Norrtälje kommun <lots@example.se>", "https://enkat.example.se",
        "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde", "<bench@example.se>", lb_time_now()};
    struct lb_mail m;
    lb_smtp *smtp;
    if (!item || lb_mail_compose(&ctx, "Norrtälje kommun", item, &m) != 0 ||
        lb_smtp_new(argv[2], NULL, &smtp) != 0) {
        fprintf(stderr, "bench_survey: cannot set up\n");
        return 1;
    }
    json_decref(item);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int sent = 0;
    for (int i = 0; i < n; i++) {
        enum lb_smtp_outcome out;
        long code;
        char detail[256];
        if (lb_smtp_send(smtp, &m, &out, &code, detail, sizeof detail) == 0 && out == LB_SMTP_SENT)
            sent++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("mails=%d ms=%.0f rate=%.0f\n", sent, ms, ms > 0 ? sent * 1000.0 / ms : 0.0);
    lb_smtp_free(smtp);
    lb_mail_clear(&m);
    return sent == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (lb_auth_init() != 0)
        return 1;
    if (argc > 1 && strcmp(argv[1], "seed") == 0)
        return seed(argc, argv);
    if (argc > 1 && strcmp(argv[1], "smtp") == 0)
        return smtp_ceiling(argc, argv);
    fprintf(stderr, "usage: bench_survey seed DATA_DIR N [--issue TOKENS_FILE]\n"
                    "       bench_survey smtp URL N\n");
    return 2;
}
