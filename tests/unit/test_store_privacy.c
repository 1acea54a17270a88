/* test_store_privacy.c: anonymisation in the store (lb_company_anonymize)
 * against a real LMDB environment, and the pseudonym and phone helpers of
 * api_privacy.c. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/store/store_internal.h"
#include "lotsbok/api.h"
#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/orgnr.h"
#include "lotsbok/store.h"
#include "lotsbok/survey.h"
#include "lotsbok/timeutil.h"

struct fx {
    char dir[64];
    lb_store *s;
    struct lb_ctx ctx;
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/lb_priv_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    struct lb_store_config cfg = {.no_sync = true};
    assert_int_equal(lb_store_create(f->dir, &cfg, &f->s), 0);
    f->ctx.actor = "admin";
    f->ctx.now = (lb_time)lb_date_from_ymd(2026, 3, 10) * 86400000;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    lb_store_close(f->s);
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static lb_txn *wbegin(struct fx *f)
{
    lb_txn *t;
    assert_int_equal(lb__txn_write(f->s, &t), 0);
    return t;
}

static lb_id mk_company(struct fx *f, lb_txn *t, const char *orgnr, bool personal)
{
    struct lb_company c = {0};
    strcpy(c.orgnr, orgnr);
    c.personal_orgnr = personal;
    c.name = strdup(personal ? "Karin Karlsson" : "Alfa AB");
    c.ncontacts = 1;
    c.contacts = calloc(1, sizeof *c.contacts);
    c.contacts[0].name = strdup("Sven Svensson");
    c.contacts[0].email = strdup("sven@example.se");
    lb_id existing;
    assert_int_equal(lb_company_create(t, &f->ctx, &c, &existing), 0);
    lb_id id = c.meta.id;
    lb_company_clear(&c);
    return id;
}

/* A closed case with a contact, a decided hand-off and a follow-up with a
 * comment and an answer. */
static lb_id mk_history(struct fx *f, lb_txn *t, lb_id co, lb_id *contact, lb_id *handoff,
                        lb_id *followup)
{
    struct lb_case k = {0};
    k.company_id = co;
    k.subject = strdup("HEMLIG ämne");
    k.description = strdup("HEMLIG beskrivning");
    k.category = LB_CATEGORY_PERMIT;
    k.owner = strdup("anna");
    k.opened_at = f->ctx.now - 86400000;
    assert_int_equal(lb_case_open(t, &f->ctx, &k), 0);
    lb_id id = k.meta.id;
    lb_case_clear(&k);
    struct lb_contact ct = {0};
    ct.case_id = id;
    ct.at = LB_TIME_NONE;
    ct.summary = strdup("HEMLIG samtal");
    ct.minutes = 7;
    assert_int_equal(lb_contact_log(t, &f->ctx, &ct), 0);
    *contact = ct.meta.id;
    lb_contact_clear(&ct);
    struct lb_handoff h = {0};
    h.case_id = id;
    h.unit = strdup("bygglov");
    h.note = strdup("HEMLIG anteckning");
    assert_int_equal(lb_handoff_create(t, &f->ctx, &h), 0);
    *handoff = h.meta.id;
    lb_handoff_clear(&h);
    assert_int_equal(lb_handoff_decide(t, &f->ctx, *handoff, LB_DECISION_GRANTED, "HEMLIG beslut",
                                       LB_TIME_NONE, NULL),
                     0);
    assert_int_equal(
        lb_case_close(t, &f->ctx, id, LB_OUTCOME_RESOLVED, "HEMLIG avslut", LB_TIME_NONE, NULL), 0);
    struct lb_followup fu = {0};
    fu.company_id = co;
    fu.assignee = strdup("anna");
    fu.due = lb_date_from_ymd(2026, 3, 24);
    fu.nitems = 1;
    fu.items = calloc(1, sizeof *fu.items);
    fu.items[0].kind = LB_FOLLOWUP_KIND_LOTS;
    fu.items[0].case_id = id;
    assert_int_equal(lb_followup_create(t, &f->ctx, &fu), 0);
    *followup = fu.meta.id;
    lb_followup_clear(&fu);
    struct lb_answer ans = {"lots", "nki_overall", LB_ANSWER_SCALE, 8};
    assert_int_equal(lb_followup_record(t, &f->ctx, *followup, LB_FOLLOWUP_DONE, &ans, 1,
                                        "HEMLIG kommentar", lb_date_from_ymd(2026, 3, 24), NULL),
                     0);
    return id;
}

static int count_type(uint64_t seq, const void *env, size_t len, void *arg)
{
    (void)seq;
    const char *needle = "company.anonymized";
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; i++)
        if (memcmp((const char *)env + i, needle, nl) == 0) {
            (*(int *)arg)++;
            break;
        }
    return 0;
}

struct needle {
    const char *s;
    bool hit;
};

static int find_bytes(uint64_t seq, const void *env, size_t len, void *arg)
{
    (void)seq;
    struct needle *n = arg;
    size_t nl = strlen(n->s);
    for (size_t i = 0; i + nl <= len; i++)
        if (memcmp((const char *)env + i, n->s, nl) == 0)
            n->hit = true;
    return 0;
}

/* Whether any event after `after` holds the bytes of s. */
static bool has_bytes(lb_txn *t, uint64_t after, const char *s)
{
    struct needle n = {s, false};
    assert_int_equal(lb_outbox_read(t, after, 100000, find_bytes, &n), 0);
    return n.hit;
}

static void test_anonymize_keeps_facts_replaces_text(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id co = mk_company(f, t, "5560360793", false), ct, h, fu;
    lb_id k = mk_history(f, t, co, &ct, &h, &fu);
    struct lb_case kb = {0};
    struct lb_followup fb = {0};
    assert_int_equal(lb_case_get(t, k, &kb), 0);
    assert_int_equal(lb_followup_get(t, fu, &fb), 0);
    uint64_t seq0 = 0;
    int n = 0;

    assert_int_equal(lb_company_anonymize(t, &f->ctx, co, "because I said so", NULL), LB_EINVAL);
    assert_int_equal(lb_company_anonymize(t, &f->ctx, co, "retention", NULL), 0);

    struct lb_company c = {0};
    assert_int_equal(lb_company_get(t, co, &c), 0);
    assert_int_equal(c.ncontacts, 0);
    assert_string_equal(c.name, "Alfa AB"); /* a legal person's name is no personal data */
    assert_string_equal(c.orgnr, "5560360793");
    assert_true(c.anonymized_at == f->ctx.now);
    uint64_t version = c.meta.version;
    lb_company_clear(&c);

    struct lb_case ka = {0};
    assert_int_equal(lb_case_get(t, k, &ka), 0);
    assert_string_equal(ka.subject, "[anonymiserad]");
    assert_string_equal(ka.description, "[anonymiserad]");
    assert_string_equal(ka.close_note, "[anonymiserad]");
    assert_int_equal(ka.category, kb.category);
    assert_int_equal(ka.outcome, kb.outcome);
    assert_true(ka.opened_at == kb.opened_at && ka.closed_at == kb.closed_at);
    assert_int_equal(ka.serial, kb.serial);
    lb_case_clear(&ka);
    lb_case_clear(&kb);
    struct lb_contact cta = {0};
    assert_int_equal(lb_contact_get(t, ct, &cta), 0);
    assert_string_equal(cta.summary, "[anonymiserad]");
    assert_int_equal(cta.minutes, 7);
    lb_contact_clear(&cta);
    struct lb_handoff ha = {0};
    assert_int_equal(lb_handoff_get(t, h, &ha), 0);
    assert_string_equal(ha.note, "[anonymiserad]");
    assert_string_equal(ha.decision_note, "[anonymiserad]");
    assert_null(ha.withdraw_note); /* absent text stays absent */
    assert_int_equal(ha.decision, LB_DECISION_GRANTED);
    lb_handoff_clear(&ha);
    struct lb_followup fa = {0};
    assert_int_equal(lb_followup_get(t, fu, &fa), 0);
    assert_string_equal(fa.comment, "[anonymiserad]");
    assert_int_equal(fa.nanswers, 1);
    assert_int_equal(fa.answers[0].value, fb.answers[0].value);
    assert_string_equal(fa.answers[0].question, "nki_overall");
    assert_int_equal(fa.status, fb.status);
    assert_int_equal(fa.due, fb.due);
    lb_followup_clear(&fa);
    lb_followup_clear(&fb);

    /* exactly one event, and none for the repeat, which writes nothing */
    assert_int_equal(lb_outbox_read(t, seq0, 100000, count_type, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(lb_company_anonymize(t, &f->ctx, co, "erasure_request", NULL), 0);
    n = 0;
    assert_int_equal(lb_outbox_read(t, seq0, 100000, count_type, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(lb_company_get(t, co, &c), 0);
    assert_int_equal(c.meta.version, version);
    lb_company_clear(&c);
    assert_false(has_bytes(t, 0, "HEMLIG"));
    assert_int_equal(lb__txn_commit(t), 0);
    assert_int_equal(lb_store_check(f->s, stderr), 0);
}

/* An e-mail survey remembers its recipient as a hash of the address (docs/surveys.md):
 * anonymisation erases it with the contact persons. */
static void test_anonymize_erases_survey_recipient(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id co = mk_company(f, t, "5560360793", false);
    struct lb_case k = {.company_id = co,
                        .subject = "Kiosk",
                        .category = LB_CATEGORY_PERMIT,
                        .owner = "anna",
                        .opened_at = LB_TIME_NONE,
                        .closed_at = LB_TIME_NONE};
    assert_int_equal(lb_case_open(t, &f->ctx, &k), 0);
    struct lb_followup_item it = {.kind = LB_FOLLOWUP_KIND_LOTS, .case_id = k.meta.id};
    struct lb_followup fu = {.company_id = co,
                             .assignee = "anna",
                             .due = lb_stockholm_date(f->ctx.now),
                             .items = &it,
                             .nitems = 1};
    assert_int_equal(lb_followup_create(t, &f->ctx, &fu), 0);
    lb_id fid = fu.meta.id;
    free(it.unit);
    struct lb_survey_issue in = {.followup_id = fid,
                                 .reminder = 0,
                                 .call_from = lb_stockholm_date(f->ctx.now) + 20,
                                 .valid_ms = 86400000};
    memset(in.token_hash, 7, sizeof in.token_hash);
    enum lb_survey_verdict v;
    struct lb_followup got = {0};
    struct lb_company c = {0};
    uint32_t who;
    assert_int_equal(lb_survey_issue(t, &f->ctx, &in, &v, &got, &c, &who), 0);
    assert_int_equal(v, LB_SURVEY_SEND);
    uint8_t want[32], zero[32] = {0};
    lb_survey_recipient_hash("sven@example.se", want);
    assert_memory_equal(got.survey.recipient, want, 32);
    lb_followup_clear(&got);
    lb_company_clear(&c);
    assert_int_equal(lb_company_anonymize(t, &f->ctx, co, "retention", NULL), 0);
    assert_int_equal(lb_followup_get(t, fid, &got), 0);
    assert_memory_equal(got.survey.recipient, zero, 32);
    assert_int_equal(got.survey.status, LB_SURVEY_SENT); /* the facts stay */
    lb_followup_clear(&got);
    assert_int_equal(lb__txn_commit(t), 0);
    assert_int_equal(lb_store_check(f->s, stderr), 0);
}

static void test_anonymize_personnummer_and_collision(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id p1 = mk_company(f, t, "8112189876", true);
    lb_id p2 = mk_company(f, t, "6403273813", true);
    assert_int_equal(lb_company_anonymize(t, &f->ctx, p1, "erasure_request", NULL), LB_EINVAL);
    assert_int_equal(lb_company_anonymize(t, &f->ctx, p1, "erasure_request", "1234567890"), 0);
    struct lb_company c = {0};
    assert_int_equal(lb_company_get(t, p1, &c), 0);
    assert_string_equal(c.orgnr, "1234567890");
    assert_string_equal(c.name, "[anonymiserad]");
    assert_true(c.personal_orgnr); /* keeps the orgnr out of events */
    lb_company_clear(&c);
    lb_id id;
    assert_int_equal(lb_company_by_orgnr(t, "8112189876", &id), LB_ENOTFOUND);
    /* the same pseudonym for another company is refused and writes nothing */
    assert_int_equal(lb_company_anonymize(t, &f->ctx, p2, "retention", "1234567890"), LB_EEXIST);
    assert_int_equal(lb_company_get(t, p2, &c), 0);
    assert_string_equal(c.orgnr, "6403273813");
    assert_int_equal(c.ncontacts, 1);
    assert_int_equal(c.meta.version, 1);
    lb_company_clear(&c);
    assert_int_equal(lb__txn_commit(t), 0);
    assert_int_equal(lb_store_check(f->s, stderr), 0);
}

static void test_pseudonym(void **state)
{
    (void)state;
    uint8_t k1[32], k2[32];
    memset(k1, 1, sizeof k1);
    memset(k2, 2, sizeof k2);
    char a[11], b[11], c[11], d[11];
    lb_pseudonym(k1, "8112189876", 0, a);
    lb_pseudonym(k1, "8112189876", 0, b);
    lb_pseudonym(k2, "8112189876", 0, c);
    lb_pseudonym(k1, "8112189876", 1, d);
    assert_string_equal(a, b);     /* stable */
    assert_string_not_equal(a, c); /* keyed */
    assert_string_not_equal(a, d);
    assert_true(lb_luhn_ok("8112189876"));
    assert_true(lb_luhn_ok("5560360793"));
    /* never a valid number: many inputs, every one fails the Luhn check */
    for (int i = 0; i < 2000; i++) {
        char in[11], out[11];
        snprintf(in, sizeof in, "%010d", i * 7919);
        lb_pseudonym(k1, in, 0, out);
        assert_int_equal(strlen(out), 10);
        assert_false(lb_luhn_ok(out));
        struct lb_orgnr on;
        assert_true(lb_orgnr_parse(out, &on) != LB_ORGNR_OK);
    }
}

static void test_phone_normalize(void **state)
{
    (void)state;
    char buf[64];
    static const char *const same[] = {"070-111 22 33", "+46 70-111 22 33", "0046701112233",
                                       "(070) 111 22 33", "0701112233"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        lb_phone_normalize(same[i], buf, sizeof buf);
        assert_string_equal(buf, "0701112233");
    }
    lb_phone_normalize("08-555 000 00", buf, sizeof buf);
    assert_string_equal(buf, "0855500000");
    lb_phone_normalize("+47 22 00 00 00", buf, sizeof buf);
    assert_string_equal(buf, "4722000000"); /* foreign numbers keep their country code */
    lb_phone_normalize(NULL, buf, sizeof buf);
    assert_string_equal(buf, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_anonymize_keeps_facts_replaces_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anonymize_personnummer_and_collision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anonymize_erases_survey_recipient, setup, teardown),
        cmocka_unit_test(test_pseudonym),
        cmocka_unit_test(test_phone_normalize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
