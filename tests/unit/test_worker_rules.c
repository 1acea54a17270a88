/* test_worker_rules.c: the follow-up rules (core/domain/followup_rules.c).
 *
 * Due dates are checked against dates counted by hand on the 2026/2027
 * almanac; each expectation says how it was counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/followup_rules.h"

static struct lb_fr_config cfg;

static lb_date D(int y, int m, int d)
{
    lb_date r = lb_date_from_ymd(y, m, d);
    assert_int_not_equal(r, LB_DATE_NONE);
    return r;
}

static int setup(void **state)
{
    (void)state;
    lb_fr_config_default(&cfg);
    return 0;
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(cfg.followup_days, 10);
    assert_int_equal(cfg.merge_window_days, 30);
    assert_int_equal(cfg.overdue_days, 2);
    assert_int_equal(lb_fr_config_check(&cfg), 0);
    struct lb_fr_config bad = cfg;
    bad.followup_days = -1;
    assert_int_equal(lb_fr_config_check(&bad), LB_EINVAL);
    bad = cfg;
    bad.merge_window_days = 1000;
    assert_int_equal(lb_fr_config_check(&bad), LB_EINVAL);
}

static void test_due_plain_weeks(void **state)
{
    (void)state;
    /* Fri 13 March 2026, no holidays: Mon 16 .. Fri 20 are 1..5, Mon 23 ..
     * Fri 27 are 6..10. */
    assert_int_equal(lb_fr_due(&cfg, D(2026, 3, 13)), D(2026, 3, 27));
    /* Closed on a Sunday (15 March): counting starts Monday 16 -> Fri 27. */
    assert_int_equal(lb_fr_due(&cfg, D(2026, 3, 15)), D(2026, 3, 27));
}

static void test_due_across_easter(void **state)
{
    (void)state;
    /* Easter Sunday 2026 is 5 April. Closed on skärtorsdag Thu 2 April:
     * Fri 3 (långfredagen), Sat 4, Sun 5 (påskdagen), Mon 6 (annandag påsk)
     * are off; Tue 7 (1), Wed 8 (2), Thu 9 (3), Fri 10 (4), Mon 13 (5),
     * Tue 14 (6), Wed 15 (7), Thu 16 (8), Fri 17 (9), Mon 20 (10). */
    assert_int_equal(lb_fr_due(&cfg, D(2026, 4, 2)), D(2026, 4, 20));
    /* Closed Fri 24 April: Mon 27 (1), Tue 28 (2), Wed 29 (3), Thu 30 (4),
     * Fri 1 May off (första maj), Mon 4 (5) .. Fri 8 (9), Mon 11 (10). */
    assert_int_equal(lb_fr_due(&cfg, D(2026, 4, 24)), D(2026, 5, 11));
}

static void test_due_across_midsommar(void **state)
{
    (void)state;
    /* Midsommarafton 2026 is Fri 19 June. Closed Fri 12 June: Mon 15 (1),
     * Tue 16 (2), Wed 17 (3), Thu 18 (4), Fri 19 off, Mon 22 (5), Tue 23 (6),
     * Wed 24 (7), Thu 25 (8), Fri 26 (9), Mon 29 (10). */
    assert_int_equal(lb_fr_due(&cfg, D(2026, 6, 12)), D(2026, 6, 29));
}

static void test_due_across_christmas(void **state)
{
    (void)state;
    /* Closed Mon 21 Dec 2026: Tue 22 (1), Wed 23 (2), Thu 24 julafton off,
     * Fri 25 juldagen off, Mon 28 (3), Tue 29 (4), Wed 30 (5), Thu 31
     * nyårsafton off, Fri 1 Jan 2027 nyårsdagen off, Mon 4 (6), Tue 5 (7),
     * Wed 6 trettondedag jul off, Thu 7 (8), Fri 8 (9), Mon 11 (10). */
    assert_int_equal(lb_fr_due(&cfg, D(2026, 12, 21)), D(2027, 1, 11));
}

static void test_due_configurable(void **state)
{
    (void)state;
    struct lb_fr_config c = cfg;
    c.followup_days = 5;
    /* Thu 2 April 2026 + 5: Tue 7 (1) .. Fri 10 (4), Mon 13 (5). */
    assert_int_equal(lb_fr_due(&c, D(2026, 4, 2)), D(2026, 4, 13));
}

static void test_overdue(void **state)
{
    (void)state;
    /* Sent Mon 9 March 2026: Tue 10 (1), Wed 11 (2) is the last day in time. */
    assert_int_equal(lb_fr_ack_deadline(&cfg, D(2026, 3, 9)), D(2026, 3, 11));
    assert_false(lb_fr_is_overdue(&cfg, D(2026, 3, 9), D(2026, 3, 11)));
    assert_true(lb_fr_is_overdue(&cfg, D(2026, 3, 9), D(2026, 3, 12)));
    /* Sent on skärtorsdag Thu 2 April: Tue 7 (1), Wed 8 (2); overdue Thu 9. */
    assert_false(lb_fr_is_overdue(&cfg, D(2026, 4, 2), D(2026, 4, 8)));
    assert_true(lb_fr_is_overdue(&cfg, D(2026, 4, 2), D(2026, 4, 9)));
    /* Sent Sat 14 March: Mon 16 (1), Tue 17 (2); overdue Wed 18. */
    assert_false(lb_fr_is_overdue(&cfg, D(2026, 3, 14), D(2026, 3, 17)));
    assert_true(lb_fr_is_overdue(&cfg, D(2026, 3, 14), D(2026, 3, 18)));
}

static void test_decide_alone(void **state)
{
    (void)state;
    struct lb_fr_decision d;
    lb_fr_decide(&cfg, D(2026, 4, 20), NULL, 0, &d);
    assert_int_equal(d.action, LB_FR_CREATE);
    assert_int_equal(d.due, D(2026, 4, 20));
}

static void test_decide_merge_window_edges(void **state)
{
    (void)state;
    lb_date due = D(2026, 4, 20);
    struct lb_fr_decision d;
    /* 29 days later: within the window, merged; the call keeps its date. */
    struct lb_fr_call later29 = {.id = 7, .state = LB_FR_CALL_SCHEDULED, .date = due + 29};
    lb_fr_decide(&cfg, due, &later29, 1, &d);
    assert_int_equal(d.action, LB_FR_MERGE);
    assert_int_equal(d.merge_into, 7);
    assert_int_equal(d.due, due + 29);
    /* 29 days earlier: merged as well. */
    struct lb_fr_call earlier29 = {.id = 8, .state = LB_FR_CALL_SCHEDULED, .date = due - 29};
    lb_fr_decide(&cfg, due, &earlier29, 1, &d);
    assert_int_equal(d.action, LB_FR_MERGE);
    assert_int_equal(d.merge_into, 8);
    /* Exactly 30 days apart either side: two calls are allowed. */
    struct lb_fr_call apart[2] = {{.id = 1, .state = LB_FR_CALL_SCHEDULED, .date = due + 30},
                                  {.id = 2, .state = LB_FR_CALL_SCHEDULED, .date = due - 30}};
    lb_fr_decide(&cfg, due, apart, 2, &d);
    assert_int_equal(d.action, LB_FR_CREATE);
    assert_int_equal(d.due, due);
}

static void test_decide_nearest_then_lowest_id(void **state)
{
    (void)state;
    lb_date due = D(2026, 6, 29);
    struct lb_fr_call calls[3] = {{.id = 9, .state = LB_FR_CALL_SCHEDULED, .date = due + 5},
                                  {.id = 4, .state = LB_FR_CALL_SCHEDULED, .date = due - 12},
                                  {.id = 3, .state = LB_FR_CALL_SCHEDULED, .date = due - 5}};
    struct lb_fr_decision d;
    lb_fr_decide(&cfg, due, calls, 3, &d);
    assert_int_equal(d.action, LB_FR_MERGE);
    assert_int_equal(d.merge_into, 3); /* 5 days either side: 3 < 9 */
}

static void test_decide_after_made_call(void **state)
{
    (void)state;
    struct lb_fr_decision d;
    /* Wanted Mon 20 April 2026; a call was made Wed 1 April (19 days before).
     * 1 April + 30 = Fri 1 May, första maj, so the first working day at least
     * 30 days after the call is Mon 4 May. */
    struct lb_fr_call made = {.id = 2, .state = LB_FR_CALL_MADE, .date = D(2026, 4, 1)};
    lb_fr_decide(&cfg, D(2026, 4, 20), &made, 1, &d);
    assert_int_equal(d.action, LB_FR_CREATE);
    assert_int_equal(d.due, D(2026, 5, 4));
    /* Made exactly 30 days before (21 March): not in the way. */
    made.date = D(2026, 3, 21);
    lb_fr_decide(&cfg, D(2026, 4, 20), &made, 1, &d);
    assert_int_equal(d.action, LB_FR_CREATE);
    assert_int_equal(d.due, D(2026, 4, 20));
    /* Two made calls: the latest one decides (10 April + 30 = Sun 10 May,
     * so Mon 11 May). */
    struct lb_fr_call two[2] = {{.id = 2, .state = LB_FR_CALL_MADE, .date = D(2026, 4, 10)},
                                {.id = 1, .state = LB_FR_CALL_MADE, .date = D(2026, 4, 1)}};
    lb_fr_decide(&cfg, D(2026, 4, 20), two, 2, &d);
    assert_int_equal(d.action, LB_FR_CREATE);
    assert_int_equal(d.due, D(2026, 5, 11));
}

static void test_decide_pushed_into_scheduled(void **state)
{
    (void)state;
    struct lb_fr_decision d;
    /* Wanted 20 April; made 1 April pushes it to 4 May; a call scheduled on
     * 20 May is exactly 30 days from 20 April (no merge there) but 16 days
     * from 4 May, so the item joins it. */
    struct lb_fr_call calls[2] = {{.id = 2, .state = LB_FR_CALL_MADE, .date = D(2026, 4, 1)},
                                  {.id = 5, .state = LB_FR_CALL_SCHEDULED, .date = D(2026, 5, 20)}};
    lb_fr_decide(&cfg, D(2026, 4, 20), calls, 2, &d);
    assert_int_equal(d.action, LB_FR_MERGE);
    assert_int_equal(d.merge_into, 5);
    assert_int_equal(d.due, D(2026, 5, 20));
}

static void test_keys(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(lb_fr_key(buf, sizeof buf, 42, "lots", 0), 0);
    assert_string_equal(buf, "ev-42-lots");
    assert_int_equal(lb_fr_key(buf, sizeof buf, 42, "lots-merge", 7), 0);
    assert_string_equal(buf, "ev-42-lots-merge-7");
    /* Different events or rules never share a key. */
    char other[64];
    assert_int_equal(lb_fr_key(other, sizeof other, 42, "unit", 0), 0);
    assert_string_not_equal(buf, other);
    assert_int_equal(lb_fr_key(other, sizeof other, 421, "lots", 0), 0);
    assert_string_not_equal("ev-42-lots", other);
    char tiny[8];
    assert_int_equal(lb_fr_key(tiny, sizeof tiny, 42, "lots", 0), LB_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, setup),
        cmocka_unit_test_setup(test_due_plain_weeks, setup),
        cmocka_unit_test_setup(test_due_across_easter, setup),
        cmocka_unit_test_setup(test_due_across_midsommar, setup),
        cmocka_unit_test_setup(test_due_across_christmas, setup),
        cmocka_unit_test_setup(test_due_configurable, setup),
        cmocka_unit_test_setup(test_overdue, setup),
        cmocka_unit_test_setup(test_decide_alone, setup),
        cmocka_unit_test_setup(test_decide_merge_window_edges, setup),
        cmocka_unit_test_setup(test_decide_nearest_then_lowest_id, setup),
        cmocka_unit_test_setup(test_decide_after_made_call, setup),
        cmocka_unit_test_setup(test_decide_pushed_into_scheduled, setup),
        cmocka_unit_test_setup(test_keys, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
