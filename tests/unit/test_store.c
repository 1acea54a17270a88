/* test_store.c: the store's domain operations, indexes, lists, events and
 * group commit against a real LMDB environment in a temporary directory. */
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
#include "lotsbok/calendar.h"
#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "lotsbok/store.h"
#include "lotsbok/timeutil.h"

struct fx {
    char dir[64];
    lb_store *s;
    struct lb_ctx ctx;
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/lb_store_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    struct lb_store_config cfg = {.no_sync = true};
    assert_int_equal(lb_store_create(f->dir, &cfg, &f->s), 0);
    f->ctx.actor = "anna";
    f->ctx.now = (lb_time)lb_date_from_ymd(2026, 3, 10) * 86400000 + 9 * 3600000;
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

static void wcommit(lb_txn *t)
{
    assert_int_equal(lb__txn_commit(t), 0);
}

static lb_time at(int y, int m, int d, int hh, int mm)
{
    return (lb_time)lb_date_from_ymd(y, m, d) * 86400000 + (lb_time)hh * 3600000 +
           (lb_time)mm * 60000;
}

static lb_id mk_company(struct fx *f, lb_txn *t, const char *orgnr, const char *name)
{
    struct lb_company c = {0};
    strcpy(c.orgnr, orgnr);
    c.name = strdup(name);
    c.ncontacts = 1;
    c.contacts = calloc(1, sizeof *c.contacts);
    c.contacts[0].name = strdup("Sven Svensson");
    c.contacts[0].phone = strdup("070-1234567");
    lb_id existing;
    assert_int_equal(lb_company_create(t, &f->ctx, &c, &existing), 0);
    lb_id id = c.meta.id;
    assert_true(id > 0);
    lb_company_clear(&c);
    return id;
}

static lb_id mk_case(struct fx *f, lb_txn *t, lb_id company, const char *owner, lb_time opened)
{
    struct lb_case k = {0};
    k.company_id = company;
    k.subject = strdup("HEMLIG ämnesrad");
    k.description = strdup("HEMLIG beskrivning");
    k.category = LB_CATEGORY_PERMIT;
    k.owner = strdup(owner);
    k.opened_at = opened;
    assert_int_equal(lb_case_open(t, &f->ctx, &k), 0);
    lb_id id = k.meta.id;
    lb_case_clear(&k);
    return id;
}

static lb_id mk_handoff(struct fx *f, lb_txn *t, lb_id case_id, const char *unit)
{
    struct lb_handoff h = {0};
    h.case_id = case_id;
    h.unit = strdup(unit);
    h.note = strdup("HEMLIG anteckning");
    assert_int_equal(lb_handoff_create(t, &f->ctx, &h), 0);
    lb_id id = h.meta.id;
    lb_handoff_clear(&h);
    return id;
}

static void check_clean(struct fx *f)
{
    assert_int_equal(lb_store_check(f->s, stderr), 0);
}

/* --- companies ----------------------------------------------------------- */

static void test_fold_name(void **state)
{
    char buf[64];
    lb_fold_name("Mälarbåtar AB", buf, sizeof buf);
    assert_string_equal(buf, "malarbatar ab");
    lb_fold_name("ÖSTERÅKERS Café", buf, sizeof buf);
    assert_string_equal(buf, "osterakers cafe");
    lb_fold_name("Ærø Straße", buf, sizeof buf);
    assert_string_equal(buf, "aero strasse");
    lb_fold_name("Mälar", buf, 4);
    assert_string_equal(buf, "mal");
    lb_fold_name("a\xff\xfe"
                 "b",
                 buf, sizeof buf); /* broken UTF-8 is skipped */
    assert_string_equal(buf, "ab");
}

static void test_company_create_duplicate_search(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id a = mk_company(f, t, "5560360793", "Mälarbåtar AB");
    lb_id b = mk_company(f, t, "5565770837", "Malmö Mekaniska");
    lb_id c = mk_company(f, t, "5591234560", "Norrtälje Bygg");
    struct lb_company dup = {0};
    strcpy(dup.orgnr, "5560360793");
    dup.name = strdup("Another name");
    lb_id existing = 0;
    assert_int_equal(lb_company_create(t, &f->ctx, &dup, &existing), LB_EEXIST);
    assert_int_equal(existing, a);
    lb_company_clear(&dup);
    wcommit(t);

    lb_txn *r;
    assert_int_equal(lb_txn_read(f->s, &r), 0);
    lb_id id;
    assert_int_equal(lb_company_by_orgnr(r, "5565770837", &id), 0);
    assert_int_equal(id, b);
    assert_int_equal(lb_company_by_orgnr(r, "5560000000", &id), LB_ENOTFOUND);
    lb_id ids[8];
    struct lb_page p = {.limit = 8, .ids = ids};
    assert_int_equal(lb_company_search(r, "malar", &p), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(ids[0], a);
    assert_int_equal(lb_company_search(r, "MAL", &p), 0);
    assert_int_equal(p.count, 2);
    assert_int_equal(ids[0], a);
    assert_int_equal(ids[1], b);
    assert_int_equal(lb_company_search(r, "Mälarb", &p), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(lb_company_search(r, "tälje", &p), 0);
    assert_int_equal(p.count, 0);
    /* Pagination over the full list. */
    struct lb_page q = {.limit = 2, .ids = ids};
    assert_int_equal(lb_company_list(r, &q), 0);
    assert_int_equal(q.count, 2);
    assert_int_equal(q.next, b);
    q.after = q.next;
    assert_int_equal(lb_company_list(r, &q), 0);
    assert_int_equal(q.count, 1);
    assert_int_equal(ids[0], c);
    assert_int_equal(q.next, 0);
    lb_txn_end(r);
    check_clean(f);
}

static void test_company_update_if_match(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id a = mk_company(f, t, "5560360793", "Mälarbåtar AB");
    mk_company(f, t, "5565770837", "Malmö Mekaniska");
    struct lb_company c = {0};
    assert_int_equal(lb_company_get(t, a, &c), 0);
    assert_int_equal(c.meta.version, 1);
    free(c.name);
    c.name = strdup("Roslagsbåtar AB");
    assert_int_equal(lb_company_update(t, &f->ctx, &c, 2), LB_ESTALE);
    assert_int_equal(lb_company_update(t, &f->ctx, &c, 1), 0);
    assert_int_equal(c.meta.version, 2);
    assert_int_equal(lb_company_update(t, &f->ctx, &c, 1), LB_ESTALE);
    strcpy(c.orgnr, "5565770837");
    assert_int_equal(lb_company_update(t, &f->ctx, &c, 0), LB_EEXIST);
    lb_company_clear(&c);
    lb_id ids[4];
    struct lb_page p = {.limit = 4, .ids = ids};
    assert_int_equal(lb_company_search(t, "malarb", &p), 0);
    assert_int_equal(p.count, 0);
    assert_int_equal(lb_company_search(t, "roslags", &p), 0);
    assert_int_equal(p.count, 1);
    wcommit(t);
    check_clean(f);
}

/* --- cases --------------------------------------------------------------- */

static void test_case_numbering_per_year(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id co = mk_company(f, t, "5560360793", "Mälarbåtar AB");
    lb_id a = mk_case(f, t, co, "anna", at(2025, 12, 31, 12, 0));
    /* 23:30 UTC on 31 December is already 2026 in Stockholm. */
    lb_id b = mk_case(f, t, co, "anna", at(2025, 12, 31, 23, 30));
    lb_id c = mk_case(f, t, co, "anna", at(2026, 2, 1, 10, 0));
    lb_id d = mk_case(f, t, co, "anna", at(2025, 6, 1, 10, 0));
    struct lb_case k = {0};
    char num[16];
    assert_int_equal(lb_case_get(t, a, &k), 0);
    lb_case_number(&k, num, sizeof num);
    assert_string_equal(num, "L2025-0001");
    lb_case_clear(&k);
    assert_int_equal(lb_case_get(t, b, &k), 0);
    lb_case_number(&k, num, sizeof num);
    assert_string_equal(num, "L2026-0001");
    lb_case_clear(&k);
    assert_int_equal(lb_case_get(t, c, &k), 0);
    assert_int_equal(k.serial, 2);
    lb_case_clear(&k);
    assert_int_equal(lb_case_get(t, d, &k), 0);
    assert_int_equal(k.year, 2025);
    assert_int_equal(k.serial, 2);
    lb_case_clear(&k);
    lb_id id;
    assert_int_equal(lb_case_by_number(t, 2026, 2, &id), 0);
    assert_int_equal(id, c);
    assert_int_equal(lb_case_by_number(t, 2026, 3, &id), LB_ENOTFOUND);
    /* No such company. */
    k.company_id = 999;
    k.subject = strdup("x");
    k.owner = strdup("anna");
    k.opened_at = LB_TIME_NONE;
    assert_int_equal(lb_case_open(t, &f->ctx, &k), LB_ENOTFOUND);
    lb_case_clear(&k);
    wcommit(t);
    check_clean(f);
}

static void test_case_transitions_and_list(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id co = mk_company(f, t, "5560360793", "Mälarbåtar AB");
    lb_id co2 = mk_company(f, t, "5565770837", "Malmö Mekaniska");
    lb_id a = mk_case(f, t, co, "anna", at(2026, 1, 10, 10, 0));
    lb_id b = mk_case(f, t, co2, "bertil", at(2026, 2, 10, 10, 0));
    lb_id c = mk_case(f, t, co, "anna", at(2026, 3, 10, 10, 0));
    struct lb_case k = {0};
    assert_int_equal(lb_case_reopen(t, &f->ctx, a, NULL), LB_ESTATE);
    assert_int_equal(lb_case_close(t, &f->ctx, a, LB_OUTCOME_NONE, NULL, LB_TIME_NONE, NULL),
                     LB_EINVAL);
    assert_int_equal(lb_case_close(t, &f->ctx, a, LB_OUTCOME_RESOLVED, "HEMLIG", LB_TIME_NONE, &k),
                     0);
    assert_int_equal(k.status, LB_CASE_CLOSED);
    assert_int_equal(k.closed_at, f->ctx.now);
    assert_int_equal(k.meta.version, 2);
    lb_case_clear(&k);
    assert_int_equal(lb_case_close(t, &f->ctx, a, LB_OUTCOME_RESOLVED, NULL, LB_TIME_NONE, NULL),
                     LB_ESTATE);
    assert_int_equal(lb_case_close(t, &f->ctx, 77, LB_OUTCOME_RESOLVED, NULL, LB_TIME_NONE, NULL),
                     LB_ENOTFOUND);
    assert_int_equal(lb_case_close(t, &f->ctx, b, LB_OUTCOME_REFERRED, NULL, LB_TIME_NONE, NULL),
                     0);
    assert_int_equal(lb_case_reopen(t, &f->ctx, b, &k), 0);
    assert_int_equal(k.status, LB_CASE_OPEN);
    assert_int_equal(k.outcome, LB_OUTCOME_NONE);
    assert_int_equal(k.closed_at, LB_TIME_NONE);
    /* If-Match on update. */
    assert_int_equal(lb_case_update(t, &f->ctx, &k, 1), LB_ESTALE);
    k.legal_hold = true;
    assert_int_equal(lb_case_update(t, &f->ctx, &k, 3), 0);
    assert_int_equal(k.meta.version, 4);
    assert_true(k.legal_hold);
    lb_case_clear(&k);
    wcommit(t);

    lb_txn *r;
    lb_id ids[8];
    assert_int_equal(lb_txn_read(f->s, &r), 0);
    struct lb_case_filter flt = {-1, NULL, 0, LB_DATE_NONE, LB_DATE_NONE};
    struct lb_page p = {.limit = 8, .ids = ids};
    flt.status = LB_CASE_OPEN;
    assert_int_equal(lb_case_list(r, &flt, &p), 0);
    assert_int_equal(p.count, 2);
    assert_int_equal(ids[0], b);
    assert_int_equal(ids[1], c);
    flt.owner = "anna";
    assert_int_equal(lb_case_list(r, &flt, &p), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(ids[0], c);
    flt.status = -1;
    flt.owner = NULL;
    flt.company_id = co;
    assert_int_equal(lb_case_list(r, &flt, &p), 0);
    assert_int_equal(p.count, 2);
    flt.company_id = 0;
    flt.opened_from = lb_date_from_ymd(2026, 2, 1);
    flt.opened_to = lb_date_from_ymd(2026, 2, 28);
    assert_int_equal(lb_case_list(r, &flt, &p), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(ids[0], b);
    /* Pages of one over every case. */
    struct lb_case_filter all = {-1, NULL, 0, LB_DATE_NONE, LB_DATE_NONE};
    struct lb_page q = {.limit = 1, .ids = ids};
    lb_id seen[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(lb_case_list(r, &all, &q), 0);
        assert_int_equal(q.count, 1);
        seen[i] = ids[0];
        q.after = q.next;
    }
    assert_int_equal(q.next, 0);
    assert_int_equal(seen[0], a);
    assert_int_equal(seen[2], c);
    lb_txn_end(r);
    check_clean(f);
}

static void test_contacts(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id co = mk_company(f, t, "5560360793", "Mälarbåtar AB");
    lb_id a = mk_case(f, t, co, "anna", LB_TIME_NONE);
    lb_id b = mk_case(f, t, co, "anna", LB_TIME_NONE);
    for (int i = 0; i < 5; i++) {
        struct lb_contact ct = {0};
        ct.case_id = i % 2 ? b : a;
        ct.at = LB_TIME_NONE;
        ct.channel = LB_CHANNEL_PHONE;
        ct.direction = LB_DIRECTION_INBOUND;
        ct.summary = strdup("HEMLIG sammanfattning");
        ct.minutes = 10;
        assert_int_equal(lb_contact_log(t, &f->ctx, &ct), 0);
        assert_string_equal(ct.logged_by, "anna");
        lb_contact_clear(&ct);
    }
    struct lb_contact bad = {.case_id = 4242, .summary = "x", .minutes = -1};
    assert_int_equal(lb_contact_log(t, &f->ctx, &bad), LB_ENOTFOUND);
    lb_id ids[8];
    struct lb_page p = {.limit = 8, .ids = ids};
    assert_int_equal(lb_contact_list_by_case(t, a, &p), 0);
    assert_int_equal(p.count, 3);
    assert_int_equal(p.next, 0);
    assert_true(ids[0] < ids[1] && ids[1] < ids[2]);
    lb_id all[3] = {ids[0], ids[1], ids[2]};
    /* Pages of two along a dup index. */
    struct lb_page q = {.limit = 2, .ids = ids};
    assert_int_equal(lb_contact_list_by_case(t, a, &q), 0);
    assert_int_equal(q.count, 2);
    assert_int_equal(q.next, all[1]);
    q.after = q.next;
    assert_int_equal(lb_contact_list_by_case(t, a, &q), 0);
    assert_int_equal(q.count, 1);
    assert_int_equal(ids[0], all[2]);
    assert_int_equal(q.next, 0);
    q.after = all[2];
    assert_int_equal(lb_contact_list_by_case(t, a, &q), 0);
    assert_int_equal(q.count, 0);
    wcommit(t);
    check_clean(f);
}

/* --- hand-offs ----------------------------------------------------------- */

static void test_handoff_transitions(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id co = mk_company(f, t, "5560360793", "Mälarbåtar AB");
    lb_id k = mk_case(f, t, co, "anna", LB_TIME_NONE);
    lb_id h1 = mk_handoff(f, t, k, "bygglov");
    lb_id h2 = mk_handoff(f, t, k, "miljo");
    lb_id h3 = mk_handoff(f, t, k, "bygglov");
    struct lb_handoff h = {0};
    assert_int_equal(lb_handoff_acknowledge(t, &f->ctx, h1, "BN 2026-12", &h), 0);
    assert_int_equal(h.status, LB_HANDOFF_ACKNOWLEDGED);
    assert_string_equal(h.reference, "BN 2026-12");
    assert_int_equal(h.company_id, co);
    lb_handoff_clear(&h);
    assert_int_equal(lb_handoff_acknowledge(t, &f->ctx, h1, NULL, NULL), LB_ESTATE);
    assert_int_equal(lb_handoff_flag_overdue(t, &f->ctx, h1, NULL), LB_ESTATE);
    assert_int_equal(lb_handoff_decide(t, &f->ctx, h1, LB_DECISION_NONE, NULL, LB_TIME_NONE, NULL),
                     LB_EINVAL);
    assert_int_equal(
        lb_handoff_decide(t, &f->ctx, h1, LB_DECISION_GRANTED, NULL, LB_TIME_NONE, NULL), 0);
    assert_int_equal(
        lb_handoff_decide(t, &f->ctx, h1, LB_DECISION_GRANTED, NULL, LB_TIME_NONE, NULL),
        LB_ESTATE);
    assert_int_equal(lb_handoff_withdraw(t, &f->ctx, h1, NULL, NULL), LB_ESTATE);
    assert_int_equal(lb_handoff_withdraw(t, &f->ctx, h2, "HEMLIG", NULL), 0);
    assert_int_equal(
        lb_handoff_decide(t, &f->ctx, h2, LB_DECISION_REFUSED, NULL, LB_TIME_NONE, NULL),
        LB_ESTATE);
    assert_int_equal(lb_handoff_acknowledge(t, &f->ctx, h2, NULL, NULL), LB_ESTATE);
    assert_int_equal(lb_handoff_flag_overdue(t, &f->ctx, h3, NULL), 0);
    assert_int_equal(lb_handoff_flag_overdue(t, &f->ctx, h3, NULL), LB_ESTATE);
    /* No hand-off from a closed case. */
    assert_int_equal(lb_case_close(t, &f->ctx, k, LB_OUTCOME_RESOLVED, NULL, LB_TIME_NONE, NULL),
                     0);
    struct lb_handoff nh = {.case_id = k, .unit = "bygglov"};
    assert_int_equal(lb_handoff_create(t, &f->ctx, &nh), LB_ESTATE);
    wcommit(t);

    lb_txn *r;
    lb_id ids[8];
    assert_int_equal(lb_txn_read(f->s, &r), 0);
    const char *units[] = {"bygglov"};
    struct lb_handoff_filter flt = {units, 1, 0, -1, 0, 0};
    struct lb_page p = {.limit = 8, .ids = ids};
    assert_int_equal(lb_handoff_list(r, &flt, &p), 0);
    assert_int_equal(p.count, 2);
    assert_int_equal(ids[0], h1);
    assert_int_equal(ids[1], h3);
    flt.statuses = 1u << LB_HANDOFF_SENT;
    assert_int_equal(lb_handoff_list(r, &flt, &p), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(ids[0], h3);
    const char *units2[] = {"miljo", "bygglov"};
    struct lb_handoff_filter f2 = {units2, 2, 0, -1, 0, 0};
    assert_int_equal(lb_handoff_list(r, &f2, &p), 0);
    assert_int_equal(p.count, 3);
    assert_int_equal(ids[0], h1);
    assert_int_equal(ids[1], h2);
    assert_int_equal(ids[2], h3);
    struct lb_handoff_filter f3 = {NULL, 0, 0, 1, 0, 0};
    assert_int_equal(lb_handoff_list(r, &f3, &p), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(ids[0], h3);
    struct lb_handoff_filter f4 = {units, 1, 1u << LB_HANDOFF_WITHDRAWN, -1, 0, 0};
    assert_int_equal(lb_handoff_list(r, &f4, &p), 0);
    assert_int_equal(p.count, 0);
    /* A list of statuses, in a unit's inbox and over all units. */
    struct lb_handoff_filter f5 = {units, 1, (1u << LB_HANDOFF_SENT) | (1u << LB_HANDOFF_DECIDED),
                                   -1,    0, 0};
    assert_int_equal(lb_handoff_list(r, &f5, &p), 0);
    assert_int_equal(p.count, 2);
    assert_int_equal(ids[0], h1);
    assert_int_equal(ids[1], h3);
    struct lb_handoff_filter f6 = {NULL, 0, (1u << LB_HANDOFF_SENT) | (1u << LB_HANDOFF_WITHDRAWN),
                                   -1,   0, 0};
    assert_int_equal(lb_handoff_list(r, &f6, &p), 0);
    assert_int_equal(p.count, 2);
    assert_int_equal(ids[0], h2);
    assert_int_equal(ids[1], h3);
    /* Newest first, paged: the index lists, the status lists and the records. */
    p.desc = true;
    p.limit = 1;
    assert_int_equal(lb_handoff_list(r, &f5, &p), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(ids[0], h3);
    assert_int_equal(p.next, h3);
    p.after = p.next;
    assert_int_equal(lb_handoff_list(r, &f5, &p), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(ids[0], h1);
    assert_int_equal(p.next, 0);
    p.after = 0;
    p.limit = 8;
    assert_int_equal(lb_handoff_list(r, &f6, &p), 0);
    assert_int_equal(p.count, 2);
    assert_int_equal(ids[0], h3);
    assert_int_equal(ids[1], h2);
    struct lb_handoff_filter all = {NULL, 0, 0, -1, 0, 0};
    assert_int_equal(lb_handoff_list(r, &all, &p), 0);
    assert_int_equal(p.count, 3);
    assert_int_equal(ids[0], h3);
    assert_int_equal(ids[2], h1);
    p.after = h2;
    assert_int_equal(lb_handoff_list(r, &all, &p), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(ids[0], h1);
    p.after = h1;
    assert_int_equal(lb_handoff_list(r, &all, &p), 0);
    assert_int_equal(p.count, 0);
    struct lb_handoff_filter of_case = {NULL, 0, 0, -1, k, 0};
    p.after = 0;
    assert_int_equal(lb_handoff_list(r, &of_case, &p), 0);
    assert_int_equal(p.count, 3);
    assert_int_equal(ids[0], h3);
    lb_txn_end(r);
    check_clean(f);
}

/* --- follow-ups ---------------------------------------------------------- */

static void test_followup_retry_ladder(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id co = mk_company(f, t, "5560360793", "Mälarbåtar AB");
    lb_id k = mk_case(f, t, co, "anna", LB_TIME_NONE);
    lb_id k2 = mk_case(f, t, co, "anna", LB_TIME_NONE);
    lb_id h = mk_handoff(f, t, k, "bygglov");
    struct lb_followup fu = {0};
    fu.company_id = co;
    fu.assignee = strdup("anna");
    fu.due = lb_date_from_ymd(2026, 3, 20);
    fu.nitems = 1;
    fu.items = calloc(1, sizeof *fu.items);
    fu.items[0].kind = LB_FOLLOWUP_KIND_LOTS;
    fu.items[0].case_id = k;
    assert_int_equal(lb_followup_create(t, &f->ctx, &fu), 0);
    lb_id id = fu.meta.id;
    lb_followup_clear(&fu);

    struct lb_followup_item it = {LB_FOLLOWUP_KIND_UNIT, k, h, NULL};
    struct lb_followup out = {0};
    assert_int_equal(lb_followup_add_item(t, &f->ctx, id, &it, &out), 0);
    assert_int_equal(out.nitems, 2);
    assert_string_equal(out.items[1].unit, "bygglov");
    lb_followup_clear(&out);
    assert_int_equal(lb_followup_add_item(t, &f->ctx, id, &it, NULL), LB_EEXIST);
    struct lb_followup_item it2 = {LB_FOLLOWUP_KIND_LOTS, k2, 0, NULL};
    assert_int_equal(lb_followup_add_item(t, &f->ctx, id, &it2, NULL), 0);

    /* Thursday 2026-04-02: two working days on skip Good Friday, Easter
     * Monday and the weekend. */
    lb_date today = lb_date_from_ymd(2026, 4, 2);
    assert_int_equal(
        lb_followup_record(t, &f->ctx, id, LB_FOLLOWUP_SCHEDULED, NULL, 0, NULL, today, NULL),
        LB_EINVAL);
    assert_int_equal(
        lb_followup_record(t, &f->ctx, id, LB_FOLLOWUP_NO_ANSWER, NULL, 0, NULL, today, &out), 0);
    assert_int_equal(out.status, LB_FOLLOWUP_SCHEDULED);
    assert_int_equal(out.attempts, 1);
    assert_int_equal(out.due, lb_add_working_days(today, 2));
    assert_int_equal(out.due, lb_date_from_ymd(2026, 4, 8));
    lb_followup_clear(&out);
    assert_int_equal(lb_followup_record(t, &f->ctx, id, LB_FOLLOWUP_NO_ANSWER, NULL, 0, NULL,
                                        lb_date_from_ymd(2026, 4, 8), &out),
                     0);
    assert_int_equal(out.status, LB_FOLLOWUP_SCHEDULED);
    assert_int_equal(out.attempts, 2);
    assert_int_equal(out.due, lb_date_from_ymd(2026, 4, 10));
    lb_followup_clear(&out);
    assert_int_equal(lb_followup_record(t, &f->ctx, id, LB_FOLLOWUP_NO_ANSWER, NULL, 0, NULL,
                                        lb_date_from_ymd(2026, 4, 10), &out),
                     0);
    assert_int_equal(out.status, LB_FOLLOWUP_UNREACHABLE);
    assert_int_equal(out.attempts, 3);
    lb_followup_clear(&out);
    assert_int_equal(
        lb_followup_record(t, &f->ctx, id, LB_FOLLOWUP_DONE, NULL, 0, NULL, today, NULL),
        LB_ESTATE);
    assert_int_equal(lb_followup_add_item(t, &f->ctx, id, &it2, NULL), LB_ESTATE);
    assert_int_equal(lb_followup_cancel(t, &f->ctx, id, NULL), LB_ESTATE);

    /* A second call answered. */
    fu.company_id = co;
    fu.assignee = strdup("anna");
    fu.due = lb_date_from_ymd(2026, 3, 25);
    fu.nitems = 1;
    fu.items = calloc(1, sizeof *fu.items);
    fu.items[0].kind = LB_FOLLOWUP_KIND_UNIT;
    fu.items[0].case_id = k;
    fu.items[0].handoff_id = h;
    assert_int_equal(lb_followup_create(t, &f->ctx, &fu), 0);
    lb_id id2 = fu.meta.id;
    lb_followup_clear(&fu);
    struct lb_answer ans[2] = {{"bygglov", "nki_overall", LB_ANSWER_SCALE, 5},
                               {"bygglov", "clear_and_lawful", LB_ANSWER_BOOL, 1}};
    assert_int_equal(
        lb_followup_record(t, &f->ctx, id2, LB_FOLLOWUP_DONE, ans, 2, "HEMLIG", today, &out), 0);
    assert_int_equal(out.status, LB_FOLLOWUP_DONE);
    assert_int_equal(out.nanswers, 2);
    assert_int_equal(out.answers[0].value, 5);
    uint64_t v2 = out.meta.version;
    lb_followup_clear(&out);

    /* Corrected the same day (issue 26): the named answers change, the
     * others stay, and each change is kept (who, when, before, after). */
    bool changed = false;
    struct lb_answer fix[3] = {{"bygglov", "nki_overall", LB_ANSWER_SCALE, 2},
                               {"bygglov", "clear_and_lawful", LB_ANSWER_BOOL, 1},
                               {"bygglov", "information", LB_ANSWER_SCALE, 4}};
    assert_int_equal(lb_followup_correct(t, &f->ctx, id2, fix, 3, v2 + 1, &changed, NULL),
                     LB_ESTALE);
    assert_int_equal(lb_followup_correct(t, &f->ctx, id2, fix, 3, v2, &changed, &out), 0);
    assert_true(changed);
    assert_int_equal(out.meta.version, v2 + 1);
    assert_int_equal(out.nanswers, 3);
    assert_int_equal(out.answers[0].value, 2);
    assert_int_equal(out.answers[1].value, 1);
    assert_string_equal(out.answers[2].question, "information");
    lb_followup_clear(&out);
    assert_int_equal(lb_followup_get(t, id2, &out), 0);
    assert_int_equal(out.ncorrections, 2); /* clear_and_lawful was already yes */
    assert_string_equal(out.corrections[0].by, "anna");
    assert_string_equal(out.corrections[0].question, "nki_overall");
    assert_int_equal(out.corrections[0].before, 5);
    assert_int_equal(out.corrections[0].after, 2);
    assert_int_equal(out.corrections[0].at, f->ctx.now);
    assert_int_equal(out.corrections[1].before_type, LB_ANSWER_NULL);
    assert_int_equal(out.corrections[1].after, 4);
    lb_followup_clear(&out);
    /* The same answers again change nothing. */
    assert_int_equal(lb_followup_correct(t, &f->ctx, id2, fix, 3, 0, &changed, NULL), 0);
    assert_false(changed);
    /* The next day, and a call not done: LB_ESTATE. */
    struct lb_ctx next = f->ctx;
    next.now += 86400000;
    assert_int_equal(lb_followup_correct(t, &next, id2, fix, 1, 0, &changed, NULL), LB_ESTATE);
    assert_int_equal(lb_followup_correct(t, &f->ctx, id, fix, 1, 0, &changed, NULL), LB_ESTATE);

    /* A third, rescheduled then cancelled. */
    fu.company_id = co;
    fu.assignee = strdup("bertil");
    fu.due = lb_date_from_ymd(2026, 5, 25);
    fu.nitems = 1;
    fu.items = calloc(1, sizeof *fu.items);
    fu.items[0].kind = LB_FOLLOWUP_KIND_LOTS;
    fu.items[0].case_id = k2;
    assert_int_equal(lb_followup_create(t, &f->ctx, &fu), 0);
    lb_id id3 = fu.meta.id;
    lb_followup_clear(&fu);
    assert_int_equal(lb_followup_reschedule(t, &f->ctx, id3, lb_date_from_ymd(2026, 3, 1), NULL),
                     0);
    wcommit(t);

    lb_txn *r;
    lb_id ids[8];
    assert_int_equal(lb_txn_read(f->s, &r), 0);
    struct lb_followup_filter flt = {-1, "anna", LB_DATE_NONE, 0, 0};
    struct lb_page p = {.limit = 8, .ids = ids};
    assert_int_equal(lb_followup_list(r, &flt, &p), 0);
    assert_int_equal(p.count, 2);
    assert_int_equal(ids[0], id);
    assert_int_equal(ids[1], id2);
    flt.due_before = lb_date_from_ymd(2026, 4, 1);
    assert_int_equal(lb_followup_list(r, &flt, &p), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(ids[0], id2);
    struct lb_followup_filter f2 = {LB_FOLLOWUP_SCHEDULED, NULL, LB_DATE_NONE, 0, 0};
    assert_int_equal(lb_followup_list(r, &f2, &p), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(ids[0], id3);
    struct lb_followup_filter f3 = {-1, NULL, LB_DATE_NONE, 0, k2};
    assert_int_equal(lb_followup_list(r, &f3, &p), 0);
    assert_int_equal(p.count, 2);
    assert_int_equal(ids[0], id);
    assert_int_equal(ids[1], id3);
    lb_txn_end(r);
    t = wbegin(f);
    assert_int_equal(lb_followup_cancel(t, &f->ctx, id3, &out), 0);
    assert_int_equal(out.status, LB_FOLLOWUP_CANCELLED);
    lb_followup_clear(&out);
    wcommit(t);
    check_clean(f);
}

/* --- users, sessions, idempotency, improvements, snapshots ---------------- */

static void test_users_sessions(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    struct lb_user u = {0};
    u.username = strdup("hanna");
    u.password_hash = strdup("$argon2id$HEMLIG");
    u.role = LB_ROLE_HANDLER;
    u.nunits = 1;
    u.units = calloc(1, sizeof *u.units);
    u.units[0] = strdup("bygglov");
    assert_int_equal(lb_user_create(t, &f->ctx, &u), 0);
    assert_int_equal(lb_user_create(t, &f->ctx, &u), LB_EEXIST);
    u.disabled = true;
    assert_int_equal(lb_user_update(t, &f->ctx, &u, 7), LB_ESTALE);
    assert_int_equal(lb_user_update(t, &f->ctx, &u, 1), 0);
    lb_user_clear(&u);
    assert_int_equal(lb_user_get(t, "hanna", &u), 0);
    assert_true(u.disabled);
    assert_int_equal(u.meta.version, 2);
    lb_user_clear(&u);
    assert_int_equal(lb_user_get(t, "nobody", &u), LB_ENOTFOUND);

    struct lb_session s1 = {.username = "hanna", .created_at = 1, .expires_at = 2};
    struct lb_session s2 = {.username = "other", .created_at = 1, .expires_at = 2};
    memset(s1.token_hash, 1, 32);
    memset(s2.token_hash, 2, 32);
    assert_int_equal(lb_session_put(t, &s1), 0);
    assert_int_equal(lb_session_put(t, &s2), 0);
    struct lb_session got = {0};
    assert_int_equal(lb_session_get(t, s1.token_hash, &got), 0);
    assert_string_equal(got.username, "hanna");
    lb_session_clear(&got);
    assert_int_equal(lb_session_delete_user(t, "hanna"), 0);
    assert_int_equal(lb_session_get(t, s1.token_hash, &got), LB_ENOTFOUND);
    assert_int_equal(lb_session_get(t, s2.token_hash, &got), 0);
    lb_session_clear(&got);
    assert_int_equal(lb_session_delete(t, s2.token_hash), 0);
    assert_int_equal(lb_session_delete(t, s2.token_hash), LB_ENOTFOUND);

    struct lb_idempotency ik = {.status = 201, .body = "{}", .at = 5};
    assert_int_equal(lb_idempotency_put(t, "hanna", "key-1", &ik), 0);
    struct lb_idempotency ig = {0};
    assert_int_equal(lb_idempotency_get(t, "hanna", "key-1", 5, &ig), 0);
    assert_int_equal(ig.status, 201);
    lb_idempotency_clear(&ig);
    assert_int_equal(lb_idempotency_get(t, "other", "key-1", 5, &ig), LB_ENOTFOUND);

    struct lb_improvement im = {0};
    im.title = strdup("HEMLIG titel");
    im.status = LB_IMPROVEMENT_IDENTIFIED;
    im.identified_at = LB_TIME_NONE;
    im.implemented_at = LB_TIME_NONE;
    assert_int_equal(lb_improvement_create(t, &f->ctx, &im), 0);
    im.status = LB_IMPROVEMENT_IMPLEMENTED;
    assert_int_equal(lb_improvement_update(t, &f->ctx, &im, 2), LB_ESTALE);
    assert_int_equal(lb_improvement_update(t, &f->ctx, &im, 1), 0);
    assert_int_equal(im.implemented_at, f->ctx.now);
    lb_improvement_clear(&im);

    struct lb_snapshot sn = {.source_seq = 9, .json = "{}"};
    strcpy(sn.quarter, "2026-Q1");
    assert_int_equal(lb_snapshot_put(t, &f->ctx, &sn), 0);
    assert_int_equal(lb_snapshot_put(t, &f->ctx, &sn), 0);
    struct lb_snapshot sg = {0};
    assert_int_equal(lb_snapshot_get(t, "2026-Q1", &sg), 0);
    assert_int_equal(sg.meta.version, 2);
    assert_int_equal(sg.source_seq, 9);
    lb_snapshot_clear(&sg);
    assert_int_equal(lb_snapshot_get(t, "2026-Q2", &sg), LB_ENOTFOUND);
    wcommit(t);
    check_clean(f);
}

/* --- events -------------------------------------------------------------- */

struct evs {
    uint64_t n;
    uint64_t last;
    char types[64][32];
    bool leak;
};

static bool mem_has(const void *h, size_t hl, const char *needle)
{
    size_t nl = strlen(needle);
    const char *p = h;
    for (size_t i = 0; i + nl <= hl; i++)
        if (memcmp(p + i, needle, nl) == 0)
            return true;
    return false;
}

static int collect(uint64_t seq, const void *env, size_t len, void *arg)
{
    struct evs *e = arg;
    struct lb_event ev = {0};
    assert_int_equal(lb_event_decode(env, len, &ev), 0);
    assert_int_equal(ev.seq, seq);
    assert_int_equal(seq, e->last + 1);
    e->last = seq;
    if (e->n < 64)
        snprintf(e->types[e->n], sizeof e->types[0], "%s", ev.type);
    e->n++;
    /* The privacy rule: no free text, persons or hashes in any event. */
    if (mem_has(env, len, "HEMLIG") || mem_has(env, len, "Svensson") || mem_has(env, len, "070-") ||
        mem_has(env, len, "argon2") || mem_has(env, len, "Mälar"))
        e->leak = true;
    lb_event_clear(&ev);
    return 0;
}

static int grab_one(uint64_t seq, const void *env, size_t len, void *arg)
{
    return lb_event_decode(env, len, arg);
}

static void test_events_one_per_change_no_free_text(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id co = mk_company(f, t, "5560360793", "Mälarbåtar AB");
    lb_id k = mk_case(f, t, co, "anna", LB_TIME_NONE);
    lb_id h = mk_handoff(f, t, k, "bygglov");
    assert_int_equal(lb_handoff_acknowledge(t, &f->ctx, h, NULL, NULL), 0);
    assert_int_equal(
        lb_handoff_decide(t, &f->ctx, h, LB_DECISION_GRANTED, "HEMLIG", LB_TIME_NONE, NULL), 0);
    assert_int_equal(
        lb_case_close(t, &f->ctx, k, LB_OUTCOME_RESOLVED, "HEMLIG", LB_TIME_NONE, NULL), 0);
    /* Failed operations append nothing. */
    assert_int_equal(lb_case_close(t, &f->ctx, k, LB_OUTCOME_RESOLVED, NULL, LB_TIME_NONE, NULL),
                     LB_ESTATE);
    assert_int_equal(lb_case_reopen(t, &f->ctx, k, NULL), 0);
    /* Sessions are bookkeeping. */
    struct lb_session s1 = {.username = "anna"};
    assert_int_equal(lb_session_put(t, &s1), 0);
    wcommit(t);
    assert_int_equal(lb_store_last_seq(f->s), 7);

    lb_txn *r;
    struct evs e = {0};
    assert_int_equal(lb_txn_read(f->s, &r), 0);
    assert_int_equal(lb_outbox_read(r, 0, 100, collect, &e), 0);
    assert_int_equal(e.n, 7);
    assert_false(e.leak);
    assert_string_equal(e.types[0], "company.created");
    assert_string_equal(e.types[1], "case.opened");
    assert_string_equal(e.types[2], "handoff.created");
    assert_string_equal(e.types[3], "handoff.acknowledged");
    assert_string_equal(e.types[4], "handoff.decided");
    assert_string_equal(e.types[5], "case.closed");
    assert_string_equal(e.types[6], "case.reopened");
    struct evs e2 = {.last = 4};
    assert_int_equal(lb_outbox_read(r, 4, 2, collect, &e2), 0);
    assert_int_equal(e2.n, 2);
    assert_string_equal(e2.types[0], "handoff.decided");
    lb_txn_end(r);
    check_clean(f);
}

/* The data map of the event with sequence number seq, unpacked into u. */
static const msgpack_object *event_data(struct fx *f, uint64_t seq, msgpack_unpacked *u, char *type,
                                        size_t typelen)
{
    /* The unpacked strings point into the event's bytes: keep them until
     * the next call (and free them at the end with seq 0). */
    static struct {
        uint64_t seq;
        struct lb_event ev;
    } g;
    lb_event_clear(&g.ev);
    if (seq == 0)
        return NULL;
    g.seq = seq;
    lb_txn *r;
    assert_int_equal(lb_txn_read(f->s, &r), 0);
    assert_int_equal(lb_outbox_read(r, seq - 1, 1, grab_one, &g.ev), 0);
    lb_txn_end(r);
    assert_int_equal(g.ev.seq, seq);
    snprintf(type, typelen, "%s", g.ev.type);
    size_t off = 0;
    msgpack_unpacked_init(u);
    assert_int_equal(msgpack_unpack_next(u, (const char *)g.ev.data, g.ev.data_len, &off),
                     MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(u->data.type, MSGPACK_OBJECT_MAP);
    return &u->data;
}

static const msgpack_object *field(const msgpack_object *m, const char *k)
{
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object *kk = &m->via.map.ptr[i].key;
        if (kk->type == MSGPACK_OBJECT_STR && kk->via.str.size == strlen(k) &&
            memcmp(kk->via.str.ptr, k, kk->via.str.size) == 0)
            return &m->via.map.ptr[i].val;
    }
    fail_msg("event data has no %s", k);
    return NULL;
}

static bool str_is(const msgpack_object *o, const char *s)
{
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
           memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

static void test_event_data_for_the_worker(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id co = mk_company(f, t, "5560360793", "Mälarbåtar AB");
    lb_id k = mk_case(f, t, co, "bertil", LB_TIME_NONE);
    lb_id h = mk_handoff(f, t, k, "miljo");
    lb_time decided = at(2026, 3, 12, 8, 0);
    assert_int_equal(lb_handoff_decide(t, &f->ctx, h, LB_DECISION_REFUSED, "HEMLIG", decided, NULL),
                     0);
    lb_time closed = at(2026, 3, 13, 8, 0);
    assert_int_equal(lb_case_close(t, &f->ctx, k, LB_OUTCOME_REFERRED, NULL, closed, NULL), 0);
    struct lb_followup fu = {0};
    fu.company_id = co;
    fu.assignee = strdup("bertil");
    fu.due = lb_date_from_ymd(2026, 3, 27);
    fu.nitems = 1;
    fu.items = calloc(1, sizeof *fu.items);
    fu.items[0].kind = LB_FOLLOWUP_KIND_UNIT;
    fu.items[0].case_id = k;
    fu.items[0].handoff_id = h;
    assert_int_equal(lb_followup_create(t, &f->ctx, &fu), 0);
    struct lb_answer ans[3] = {{"miljo", "nki_overall", LB_ANSWER_SCALE, 4},
                               {"miljo", "clear_and_lawful", LB_ANSWER_BOOL, 0},
                               {"miljo", "nki_ideal", LB_ANSWER_NULL, 0}};
    assert_int_equal(lb_followup_record(t, &f->ctx, fu.meta.id, LB_FOLLOWUP_DONE, ans, 3, NULL,
                                        lb_date_from_ymd(2026, 3, 27), NULL),
                     0);
    lb_followup_clear(&fu);
    wcommit(t);

    char type[32];
    msgpack_unpacked u;
    const msgpack_object *d = event_data(f, 4, &u, type, sizeof type);
    assert_string_equal(type, "handoff.decided");
    assert_int_equal(field(d, "case_id")->via.u64, k);
    assert_int_equal(field(d, "company_id")->via.u64, co);
    assert_true(str_is(field(d, "unit"), "miljo"));
    assert_true(str_is(field(d, "decision"), "refused"));
    assert_int_equal(field(d, "decided_at")->via.u64, (uint64_t)decided);
    assert_true(str_is(field(d, "owner"), "bertil"));
    msgpack_unpacked_destroy(&u);

    d = event_data(f, 5, &u, type, sizeof type);
    assert_string_equal(type, "case.closed");
    assert_int_equal(field(d, "company_id")->via.u64, co);
    assert_true(str_is(field(d, "owner"), "bertil"));
    assert_true(str_is(field(d, "outcome"), "referred"));
    assert_int_equal(field(d, "closed_at")->via.u64, (uint64_t)closed);
    msgpack_unpacked_destroy(&u);

    d = event_data(f, 6, &u, type, sizeof type);
    assert_string_equal(type, "followup.scheduled");
    assert_true(str_is(field(d, "due"), "2026-03-27"));
    const msgpack_object *items = field(d, "items");
    assert_int_equal(items->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(items->via.array.size, 1);
    assert_true(str_is(field(&items->via.array.ptr[0], "kind"), "unit"));
    assert_true(str_is(field(&items->via.array.ptr[0], "unit"), "miljo"));
    assert_int_equal(field(&items->via.array.ptr[0], "handoff_id")->via.u64, h);
    msgpack_unpacked_destroy(&u);

    d = event_data(f, 7, &u, type, sizeof type);
    assert_string_equal(type, "followup.recorded");
    assert_true(str_is(field(d, "result"), "done"));
    assert_true(str_is(field(d, "status"), "done"));
    assert_int_equal(field(d, "attempts")->via.u64, 1);
    const msgpack_object *a = field(d, "answers");
    assert_int_equal(a->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(a->via.map.size, 1);
    const msgpack_object *mi = field(a, "miljo");
    assert_int_equal(mi->via.map.size, 3);
    assert_int_equal(field(mi, "nki_overall")->via.u64, 4);
    assert_int_equal(field(mi, "clear_and_lawful")->type, MSGPACK_OBJECT_BOOLEAN);
    assert_false(field(mi, "clear_and_lawful")->via.boolean);
    assert_int_equal(field(mi, "nki_ideal")->type, MSGPACK_OBJECT_NIL);
    msgpack_unpacked_destroy(&u);
    event_data(f, 0, NULL, NULL, 0);
}

static void test_company_anonymize(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    struct lb_company c = {0};
    strcpy(c.orgnr, "8112189876");
    c.personal_orgnr = true;
    c.name = strdup("Sven Svenssons Firma");
    lb_id existing;
    assert_int_equal(lb_company_create(t, &f->ctx, &c, &existing), 0);
    lb_id co = c.meta.id;
    lb_company_clear(&c);
    lb_id k = mk_case(f, t, co, "anna", LB_TIME_NONE);
    mk_handoff(f, t, k, "bygglov");
    struct lb_case kc = {0};
    assert_int_equal(lb_case_get(t, k, &kc), 0);
    kc.legal_hold = true;
    assert_int_equal(lb_case_update(t, &f->ctx, &kc, 0), 0);
    assert_int_equal(lb_company_anonymize(t, &f->ctx, co, "erasure_request", "9999999999"),
                     LB_EHOLD);
    kc.legal_hold = false;
    assert_int_equal(lb_case_update(t, &f->ctx, &kc, 0), 0);
    lb_case_clear(&kc);
    assert_int_equal(lb_company_anonymize(t, &f->ctx, co, "erasure_request", "9999999999"), 0);
    assert_int_equal(lb_company_get(t, co, &c), 0);
    assert_string_equal(c.orgnr, "9999999999");
    assert_int_equal(c.ncontacts, 0);
    assert_null(strstr(c.name, "Sven"));
    assert_true(c.anonymized_at != LB_TIME_NONE);
    lb_company_clear(&c);
    assert_int_equal(lb_case_get(t, k, &kc), 0);
    assert_null(strstr(kc.subject, "HEMLIG"));
    assert_null(kc.description == NULL ? NULL : strstr(kc.description, "HEMLIG"));
    lb_case_clear(&kc);
    lb_id id;
    assert_int_equal(lb_company_by_orgnr(t, "8112189876", &id), LB_ENOTFOUND);
    wcommit(t);
    check_clean(f);
}

/* --- group commit -------------------------------------------------------- */

struct contact_op {
    lb_store *s;
    struct lb_ctx *ctx;
    lb_id case_id;
    bool fail_after_write;
    lb_id id;
};

static int run_contact(lb_txn *t, void *arg)
{
    struct contact_op *o = arg;
    struct lb_contact ct = {0};
    ct.case_id = o->case_id;
    ct.at = LB_TIME_NONE;
    ct.summary = strdup("samtal");
    ct.minutes = 5;
    int rc = lb_contact_log(t, o->ctx, &ct);
    o->id = ct.meta.id;
    lb_contact_clear(&ct);
    if (rc == 0 && o->fail_after_write)
        return LB_EINVAL;
    return rc;
}

static void test_batch_nested_rollback(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id co = mk_company(f, t, "5560360793", "Mälarbåtar AB");
    lb_id k = mk_case(f, t, co, "anna", LB_TIME_NONE);
    wcommit(t);
    uint64_t before = lb_store_last_seq(f->s);
    struct contact_op a = {f->s, &f->ctx, k, false, 0}, b = {f->s, &f->ctx, k, true, 0},
                      c = {f->s, &f->ctx, 4242, false, 0}, d = {f->s, &f->ctx, k, false, 0};
    struct lb_op ops[4] = {
        {run_contact, &a, 99}, {run_contact, &b, 99}, {run_contact, &c, 99}, {run_contact, &d, 99}};
    uint64_t first, last;
    assert_int_equal(lb_store_batch(f->s, ops, 4, &first, &last), 0);
    assert_int_equal(ops[0].result, 0);
    assert_int_equal(ops[1].result, LB_EINVAL);
    assert_int_equal(ops[2].result, LB_ENOTFOUND);
    assert_int_equal(ops[3].result, 0);
    assert_int_equal(first, before + 1);
    assert_int_equal(last, before + 2);
    assert_int_equal(lb_store_last_seq(f->s), before + 2);
    lb_txn *r;
    assert_int_equal(lb_txn_read(f->s, &r), 0);
    struct lb_contact ct = {0};
    assert_int_equal(lb_contact_get(r, a.id, &ct), 0);
    lb_contact_clear(&ct);
    assert_int_equal(lb_contact_get(r, d.id, &ct), 0);
    lb_contact_clear(&ct);
    lb_id ids[8];
    struct lb_page p = {.limit = 8, .ids = ids};
    assert_int_equal(lb_contact_list_by_case(r, k, &p), 0);
    assert_int_equal(p.count, 2);
    lb_txn_end(r);
    /* An empty batch appends nothing. */
    assert_int_equal(lb_store_batch(f->s, ops, 0, &first, &last), 0);
    assert_true(first > last);
    check_clean(f);
}

/* A batch of one whose op fails after writing: the batch's own transaction
 * is aborted (no nested rerun), nothing of it is kept and no seq is used;
 * the next batch continues the sequence without a gap. */
static void test_batch_of_one_failing_after_write(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id co = mk_company(f, t, "5560360793", "Mälarbåtar AB");
    lb_id k = mk_case(f, t, co, "anna", LB_TIME_NONE);
    wcommit(t);
    uint64_t before = lb_store_last_seq(f->s);
    struct contact_op b = {f->s, &f->ctx, k, true, 0}, a = {f->s, &f->ctx, k, false, 0};
    struct lb_op op = {run_contact, &b, 99};
    uint64_t first, last;
    assert_int_equal(lb_store_batch(f->s, &op, 1, &first, &last), 0);
    assert_int_equal(op.result, LB_EINVAL);
    assert_true(first > last);
    assert_int_equal(lb_store_last_seq(f->s), before);
    op = (struct lb_op){run_contact, &a, 99};
    assert_int_equal(lb_store_batch(f->s, &op, 1, &first, &last), 0);
    assert_int_equal(op.result, 0);
    assert_int_equal(first, before + 1);
    assert_int_equal(last, before + 1);
    lb_txn *r;
    assert_int_equal(lb_txn_read(f->s, &r), 0);
    lb_id ids[8];
    struct lb_page p = {.limit = 8, .ids = ids};
    assert_int_equal(lb_contact_list_by_case(r, k, &p), 0);
    assert_int_equal(p.count, 1);
    assert_int_equal(ids[0], a.id);
    lb_txn_end(r);
    check_clean(f);
}

static void test_check_finds_broken_index(void **state)
{
    struct fx *f = *state;
    lb_txn *t = wbegin(f);
    lb_id co = mk_company(f, t, "5560360793", "Mälarbåtar AB");
    mk_case(f, t, co, "anna", LB_TIME_NONE);
    wcommit(t);
    check_clean(f);
    t = wbegin(f);
    MDB_val k = {10, "5560360793"};
    assert_int_equal(mdb_del(t->txn, lb__dbi(t, LB_IX_COMPANY_ORGNR), &k, NULL), 0);
    wcommit(t);
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(lb_store_check(f->s, devnull), LB_ECORRUPT);
    fclose(devnull);
    /* A stray entry pointing at a record without that key. */
    t = wbegin(f);
    uint8_t vb[8];
    lb__be64(vb, co);
    MDB_val v = {8, vb};
    assert_int_equal(mdb_put(t->txn, lb__dbi(t, LB_IX_COMPANY_ORGNR), &k, &v, 0), 0);
    MDB_val k2 = {5, "bogus"};
    assert_int_equal(mdb_put(t->txn, lb__dbi(t, LB_IX_CASE_OWNER), &k2, &v, 0), 0);
    wcommit(t);
    assert_int_equal(lb_store_check(f->s, NULL), LB_ECORRUPT);
}

static void test_create_open_errors(void **state)
{
    struct fx *f = *state;
    lb_store *s2;
    assert_int_equal(lb_store_create(f->dir, NULL, &s2), LB_EEXIST);
    assert_int_equal(lb_store_open("/tmp/lb_no_such_dir_here", NULL, &s2), LB_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_name),
        cmocka_unit_test_setup_teardown(test_company_create_duplicate_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_company_update_if_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_numbering_per_year, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_transitions_and_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contacts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handoff_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_followup_retry_ladder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_one_per_change_no_free_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_data_for_the_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_company_anonymize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_nested_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_of_one_failing_after_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_finds_broken_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_open_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
