/* test_demo.c: the demo generator (lb_demo_generate) against real LMDB
 * environments in temp directories.
 *
 * Determinism (the same seed and day give byte-identical event logs, another
 * seed a different one), the environment's consistency afterwards, every
 * company's organisationsnummer valid for its legal form, the counts a demo
 * needs to show every part of the system, actors and times in the log, and
 * refusal of an environment that is not fresh. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lotsbok/calendar.h"
#include "lotsbok/codec.h"
#include "lotsbok/demo.h"
#include "lotsbok/error.h"
#include "lotsbok/orgnr.h"
#include "lotsbok/store.h"
#include "lotsbok/timeutil.h"

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

struct env {
    char dir[64];
    lb_store *s;
};

/* lotsd init's two users, at a fixed time so the whole log is comparable. */
static int op_init(lb_txn *t, void *arg)
{
    (void)arg;
    struct lb_ctx c = {.actor = "admin", .now = 1700000000000};
    struct lb_user admin = {.username = "admin", .password_hash = "x", .role = LB_ROLE_ADMIN};
    struct lb_user worker = {.username = "worker", .password_hash = "x", .role = LB_ROLE_SERVICE};
    int rc = lb_user_create(t, &c, &admin);
    return rc ? rc : lb_user_create(t, &c, &worker);
}

static void env_open(struct env *e)
{
    snprintf(e->dir, sizeof e->dir, "/tmp/lotsbok-demo-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    struct lb_store_config cfg = {.no_sync = true};
    assert_int_equal(lb_store_create(e->dir, &cfg, &e->s), 0);
    assert_int_equal(lb_store_run(e->s, op_init, NULL), 0);
}

static void env_close(struct env *e)
{
    lb_store_close(e->s);
    nftw(e->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static lb_time until_2026_03_31(void)
{
    lb_time t;
    assert_int_equal(lb_time_parse_rfc3339("2026-03-31T15:00:00Z", &t), 0);
    return t;
}

struct buf {
    unsigned char *p;
    size_t len;
};

static int collect(uint64_t seq, const void *env, size_t len, void *arg)
{
    (void)seq;
    struct buf *b = arg;
    unsigned char *q = realloc(b->p, b->len + len);
    if (!q)
        return LB_ENOMEM;
    memcpy(q + b->len, env, len);
    b->p = q;
    b->len += len;
    return 0;
}

static void outbox(lb_store *s, struct buf *b)
{
    lb_txn *t;
    assert_int_equal(lb_txn_read(s, &t), 0);
    assert_int_equal(lb_outbox_read(t, 0, SIZE_MAX, collect, b), 0);
    lb_txn_end(t);
}

static void generate(struct env *e, uint64_t seed, struct lb_demo_stats *st)
{
    struct lb_demo_config cfg = {.seed = seed, .until = until_2026_03_31()};
    assert_int_equal(lb_demo_generate(e->s, &cfg, st, stderr), 0);
}

static void test_deterministic(void **state)
{
    (void)state;
    struct env a, b, c;
    struct lb_demo_stats *sa = calloc(3, sizeof *sa);
    assert_non_null(sa);
    env_open(&a);
    env_open(&b);
    env_open(&c);
    generate(&a, 42, &sa[0]);
    generate(&b, 42, &sa[1]);
    generate(&c, 43, &sa[2]);
    struct buf ba = {0}, bb = {0}, bc = {0};
    outbox(a.s, &ba);
    outbox(b.s, &bb);
    outbox(c.s, &bc);
    assert_true(ba.len > 100000);
    assert_int_equal(ba.len, bb.len);
    assert_memory_equal(ba.p, bb.p, ba.len);
    assert_true(bc.len != ba.len || memcmp(ba.p, bc.p, ba.len) != 0);
    /* The passwords are random, never derived from the seed. */
    assert_string_not_equal(sa[0].logins[0].password, sa[1].logins[0].password);
    free(ba.p);
    free(bb.p);
    free(bc.p);
    free(sa);
    env_close(&a);
    env_close(&b);
    env_close(&c);
}

struct cursor {
    lb_time *prev, until;
    int bad_time, bad_actor, n;
};

static int check_event(uint64_t seq, const void *env, size_t len, void *arg)
{
    (void)seq;
    struct cursor *c = arg;
    struct lb_event ev = {0};
    if (lb_event_decode(env, len, &ev) != 0)
        return LB_ECORRUPT;
    c->n++;
    if (ev.at < *c->prev || ev.at > c->until || ev.at < c->until - 366LL * 86400 * 1000)
        c->bad_time++;
    *c->prev = ev.at;
    const char *a = ev.actor, *ty = ev.type;
    bool lots = strcmp(a, "anna.lots") == 0 || strcmp(a, "erik.lots") == 0;
    bool handler = strstr(a, ".handl") != NULL;
    bool ok = true;
    if (strncmp(ty, "case.", 5) == 0 || strcmp(ty, "contact.logged") == 0 ||
        strcmp(ty, "handoff.created") == 0 || strcmp(ty, "handoff.withdrawn") == 0 ||
        strcmp(ty, "followup.recorded") == 0 || strncmp(ty, "improvement.", 12) == 0)
        ok = lots;
    else if (strcmp(ty, "handoff.acknowledged") == 0 || strcmp(ty, "handoff.decided") == 0)
        ok = handler;
    else if (strcmp(ty, "followup.scheduled") == 0 || strcmp(ty, "followup.updated") == 0 ||
             strcmp(ty, "handoff.overdue") == 0)
        ok = strcmp(a, "worker") == 0;
    else if (strcmp(ty, "user.created") == 0)
        ok = strcmp(a, "admin") == 0;
    if (!ok) {
        fprintf(stderr, "unexpected actor %s for %s\n", a, ty);
        c->bad_actor++;
    }
    lb_event_clear(&ev);
    return 0;
}

static void test_consistent_and_valid(void **state)
{
    (void)state;
    struct env e;
    struct lb_demo_stats st;
    env_open(&e);
    generate(&e, 7, &st);
    assert_int_equal(lb_store_check(e.s, stderr), 0);

    /* Counts a demo needs to show every part of the system. */
    assert_int_equal(st.companies, 300);
    assert_in_range(st.companies_personal, 20, 90);
    assert_in_range(st.cases, 330, 560);
    assert_true(st.cases_closed > st.cases * 7 / 10 && st.cases_closed < st.cases);
    assert_true(st.contacts > 2 * st.cases);
    assert_in_range(st.handoffs, 250, 700);
    assert_true(st.handoffs_overdue > 0 && st.handoffs_overdue < st.handoffs / 4);
    assert_true(st.handoffs_withdrawn > 0);
    for (int i = 1; i < LB_OUTCOME_COUNT; i++)
        assert_true(st.outcomes[i] > 0);
    for (int i = 1; i < LB_DECISION_COUNT; i++)
        assert_true(st.decisions[i] > 0);
    for (int i = 0; i < LB_CHANNEL_COUNT; i++)
        assert_true(st.channels[i] > 0);
    assert_true(st.followups > 250);
    assert_true(st.followup_items > st.followups); /* the 30-day rule merged some */
    assert_true(st.followups_done > st.followups / 2);
    assert_true(st.followups_declined > 0 && st.followups_unreachable > 0);
    assert_true(st.followup_attempts_no_answer > 0);
    assert_in_range(st.improvements, 3, 20);
    assert_true(st.improvements_implemented > 0);
    /* A frukost a month, two infrastrukturträffar, three trainings, ... */
    assert_in_range(st.meetings, 17, 20);
    assert_true(st.meeting_evaluations > st.meetings * 3);
    assert_int_equal(st.last_seq, lb_store_last_seq(e.s));

    lb_txn *t;
    assert_int_equal(lb_txn_read(e.s, &t), 0);
    /* Every company's organisationsnummer parses and fits its legal form. */
    lb_id ids[500];
    struct lb_page p = {.limit = 500, .ids = ids};
    assert_int_equal(lb_company_list(t, &p), 0);
    assert_int_equal(p.count, 300);
    int groups[10] = {0};
    for (size_t i = 0; i < p.count; i++) {
        struct lb_company co = {0};
        assert_int_equal(lb_company_get(t, ids[i], &co), 0);
        struct lb_orgnr o;
        assert_int_equal(lb_orgnr_parse(co.orgnr, &o), LB_ORGNR_OK);
        assert_int_equal(o.personnummer, co.personal_orgnr);
        groups[o.group]++;
        assert_non_null(co.sni);
        assert_int_equal(strlen(co.sni), 5);
        assert_true(co.ncontacts >= 1);
        assert_non_null(strstr(co.contacts[0].email, "@example.se"));
        assert_memory_equal(co.contacts[0].phone, "0176-", 5);
        if (!co.personal_orgnr && o.group == 5)
            assert_non_null(strstr(co.name, " AB"));
        lb_company_clear(&co);
    }
    assert_true(groups[5] > 150 && groups[9] > 0 && groups[7] > 0 && groups[0] > 0);

    /* Times in order within the demo's year; actors as the roles would be. */
    lb_time prev = INT64_MIN, until = until_2026_03_31();
    struct cursor cur = {&prev, until, 0, 0, 0};
    assert_int_equal(lb_outbox_read(t, st.first_seq - 1, SIZE_MAX, check_event, &cur), 0);
    lb_txn_end(t);
    assert_int_equal(cur.n, (int)(st.last_seq - st.first_seq + 1));
    assert_int_equal(cur.bad_time, 0);
    assert_int_equal(cur.bad_actor, 0);

    /* Not fresh any more: a second demo is refused. */
    struct lb_demo_config cfg = {.seed = 7, .until = until};
    struct lb_demo_stats again;
    assert_int_equal(lb_demo_generate(e.s, &cfg, &again, NULL), LB_EEXIST);
    env_close(&e);
}

/* Whatever the weekday the demo is made, calls due in the last working days
 * still wait: Min dag has calls to make, and the worker, which mails a first
 * survey up to 3 working days past due (LB_MAILER_GRACE_DAYS), has some to
 * mail (make run on a Saturday once had none). */
static void test_calls_waiting_any_weekday(void **state)
{
    (void)state;
    lb_time monday;
    assert_int_equal(lb_time_parse_rfc3339("2026-11-30T09:00:00Z", &monday), 0);
    for (int day = 0; day < 7; day++) {
        struct env e;
        struct lb_demo_stats st;
        env_open(&e);
        lb_time until = monday + (lb_time)day * 86400 * 1000;
        struct lb_demo_config cfg = {.seed = 1, .until = until};
        assert_int_equal(lb_demo_generate(e.s, &cfg, &st, NULL), 0);
        lb_date today = lb_stockholm_date(until);
        lb_txn *t;
        assert_int_equal(lb_txn_read(e.s, &t), 0);
        lb_id ids[200];
        struct lb_followup_filter f = {.status = LB_FOLLOWUP_SCHEDULED, .due_before = today};
        struct lb_page p = {.limit = 200, .ids = ids};
        assert_int_equal(lb_followup_list(t, &f, &p), 0);
        int mailable = 0;
        for (size_t i = 0; i < p.count; i++) {
            struct lb_followup fu = {0};
            assert_int_equal(lb_followup_get(t, ids[i], &fu), 0);
            if (lb_add_working_days(fu.due, 3) >= today)
                mailable++;
            lb_followup_clear(&fu);
        }
        lb_txn_end(t);
        if (mailable == 0)
            fail_msg("demo made on day %d of the week: no call due within the mail's grace", day);
        env_close(&e);
    }
}

int main(void)
{
    setenv("LOTSBOK_PWHASH_FAST", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_consistent_and_valid),
        cmocka_unit_test(test_calls_waiting_any_weekday),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
