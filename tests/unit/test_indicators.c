/* test_indicators.c: the quarterly indicators against a fixture computed by hand.
 *
 * Scale 1-6, so an answer v has the index (v - 1) / 5 * 100 = 20 (v - 1):
 * 6 -> 100, 5 -> 80, 4 -> 60, 3 -> 40, 2 -> 20, 1 -> 0. Publishing threshold 7.
 * Interval = mean +- 1.96 * s / sqrt(n), s the sample standard deviation (n - 1).
 * Every expected figure below has its arithmetic beside it; the square roots
 * were checked with Python's statistics.stdev. Working days: Easter 2026 is
 * 5 April, so 3 April (långfredagen) and 6 April (annandag påsk) are holidays,
 * as is 1 May. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/indicators.h"
#include "lotsbok/timeutil.h"

static lb_date D(const char *s)
{
    lb_date d = LB_DATE_NONE;
    if (lb_date_parse(s, &d) != 0)
        fail_msg("test date %s does not parse", s);
    return d;
}

/* The Stockholm date of an RFC 3339 instant, as the worker derives it. */
static lb_date SD(const char *s)
{
    lb_time t = 0;
    if (lb_time_parse_rfc3339(s, &t) != 0)
        fail_msg("test instant %s does not parse", s);
    return lb_stockholm_date(t);
}

/* The value at a dotted path ("units.bygglov.nki.index"); fails when absent. */
static json_t *J(json_t *doc, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = doc;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
        v = json_is_array(v) ? json_array_get(v, (size_t)atoi(k)) : json_object_get(v, k);
        if (v == NULL)
            fail_msg("no %s in snapshot (at %s)", path, k);
    }
    return v;
}

static void assert_num(json_t *doc, const char *path, double want)
{
    json_t *v = J(doc, path);
    if (!json_is_number(v))
        fail_msg("%s is not a number", path);
    if (fabs(json_number_value(v) - want) > 1e-9)
        fail_msg("%s = %.10g, want %.10g", path, json_number_value(v), want);
}

static void assert_jnull(json_t *doc, const char *path)
{
    if (!json_is_null(J(doc, path)))
        fail_msg("%s is not null", path);
}

static void assert_str(json_t *doc, const char *path, const char *want)
{
    json_t *v = J(doc, path);
    if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
        fail_msg("%s is not \"%s\"", path, want);
}

static void assert_bool(json_t *doc, const char *path, int want)
{
    json_t *v = J(doc, path);
    if (!json_is_boolean(v) || json_is_true(v) != want)
        fail_msg("%s is not %s", path, want ? "true" : "false");
}

/* A unit item's answers: the nine scale questions in lb_ind_question_keys
 * order (0 = vet ej) and clear_and_lawful (-1 vet ej). */
static struct lb_ind_answers UA(int o, int e, int i, int info, int yes) {
    struct lb_ind_answers a = {{(uint8_t)o, (uint8_t)e, (uint8_t)i, (uint8_t)info}, (int8_t)yes};
    return a;
}

static struct lb_ind_answers
LA(int reached, int usefulness, int yes) {
    struct lb_ind_answers a = {{(uint8_t)reached, (uint8_t)usefulness}, (int8_t)yes};
    return a;
}

static void
done(struct lb_ind *acc, const char *date, const char *unit, struct lb_ind_answers a)
{
    assert_int_equal(lb_ind_followup_result(acc, D(date), unit, LB_FOLLOWUP_DONE, &a), 0);
}

/* n answers (one NKI question each) summing to sum, for a grade boundary. */
static void nki_answers(struct lb_ind *acc, const char *unit, int n, int sum)
{
    int base = sum / n, extra = sum % n; /* `extra` answers of base + 1 */
    for (int i = 0; i < n; i++)
        done(acc, "2026-05-20", unit, UA(base + (i < extra), 0, 0, 0, -1));
}

static struct lb_ind *fixture(void)
{
    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    struct lb_ind *acc = NULL;
    assert_int_equal(lb_ind_new(&cfg, &acc), 0);

    /* Activity. Q1: cases for companies 1, 2, 1; contacts for 3 (phone), 4 (e-mail, at
     * 23:30 Stockholm summer time on 31 March), 6 (meeting, 00:30 CET on 1 January, which
     * is still 31 December in UTC). Q2: company 5 (visit, 00:30 CEST on 1 April). */
    assert_int_equal(lb_ind_case_opened(acc, D("2026-01-15"), 1), 0);
    assert_int_equal(lb_ind_case_opened(acc, D("2026-02-03"), 2), 0);
    assert_int_equal(lb_ind_case_opened(acc, D("2026-03-10"), 1), 0);
    assert_int_equal(lb_ind_contact(acc, D("2026-02-04"), 3, LB_CHANNEL_PHONE), 0);
    assert_int_equal(lb_ind_contact(acc, SD("2026-03-31T21:30:00Z"), 4, LB_CHANNEL_EMAIL), 0);
    assert_int_equal(lb_ind_contact(acc, SD("2025-12-31T23:30:00Z"), 6, LB_CHANNEL_MEETING), 0);
    assert_int_equal(lb_ind_contact(acc, SD("2026-03-31T22:30:00Z"), 5, LB_CHANNEL_VISIT), 0);
    assert_int_equal(lb_ind_case_closed(acc, D("2026-03-20")), 0);

    /* Bygglov hand-offs (sent, acknowledged, decided; working days in brackets):
     * H1 Thu 2 Apr, ack Wed 8 Apr [7, 8 Apr = 2: in time], decided Thu 16 Apr [8]
     * H2 Thu 2 Apr, ack Thu 9 Apr [3: late, flagged overdue], decided Thu 30 Apr [18]
     * H3 Mon 20 Apr, ack same day [0], decided Mon 4 May [21-24, 27-30, 4 May = 9]
     * H4 Tue 21 Apr, ack Wed 22 Apr [1], decided Thu 23 Apr [2]
     * H5 Tue 31 Mar (Q1), ack Wed 1 Apr [1], decided Tue 14 Apr [1, 2, 7-10, 13, 14 = 8]
     * H6 Mon 11 May, withdrawn before acknowledgement: not in the in-time share
     * H7 Tue 12 May, never acknowledged: counts as not in time */
    const char *B = "bygglov";
    assert_int_equal(lb_ind_handoff_sent(acc, D("2026-04-02"), B), 0);
    assert_int_equal(lb_ind_handoff_acknowledged(acc, D("2026-04-02"), D("2026-04-08"), B), 0);
    assert_int_equal(lb_ind_handoff_decided(acc, D("2026-04-02"), D("2026-04-16"), B), 0);
    assert_int_equal(lb_ind_handoff_sent(acc, D("2026-04-02"), B), 0);
    assert_int_equal(lb_ind_handoff_overdue(acc, D("2026-04-02"), B), 0);
    assert_int_equal(lb_ind_handoff_acknowledged(acc, D("2026-04-02"), D("2026-04-09"), B), 0);
    assert_int_equal(lb_ind_handoff_decided(acc, D("2026-04-02"), D("2026-04-30"), B), 0);
    assert_int_equal(lb_ind_handoff_sent(acc, D("2026-04-20"), B), 0);
    assert_int_equal(lb_ind_handoff_acknowledged(acc, D("2026-04-20"), D("2026-04-20"), B), 0);
    assert_int_equal(lb_ind_handoff_decided(acc, D("2026-04-20"), D("2026-05-04"), B), 0);
    assert_int_equal(lb_ind_handoff_sent(acc, D("2026-04-21"), B), 0);
    assert_int_equal(lb_ind_handoff_acknowledged(acc, D("2026-04-21"), D("2026-04-22"), B), 0);
    assert_int_equal(lb_ind_handoff_decided(acc, D("2026-04-21"), D("2026-04-23"), B), 0);
    assert_int_equal(lb_ind_handoff_sent(acc, D("2026-03-31"), B), 0);
    assert_int_equal(lb_ind_handoff_acknowledged(acc, D("2026-03-31"), D("2026-04-01"), B), 0);
    assert_int_equal(lb_ind_handoff_decided(acc, D("2026-03-31"), D("2026-04-14"), B), 0);
    assert_int_equal(lb_ind_handoff_sent(acc, D("2026-05-11"), B), 0);
    assert_int_equal(lb_ind_handoff_withdrawn(acc, D("2026-05-11"), B, false), 0);
    assert_int_equal(lb_ind_handoff_sent(acc, D("2026-05-12"), B), 0);

    /* Bygglov follow-ups in Q2: 12 items due, 8 done, 1 declined, 1 unreachable, 2 no answer.
     * NKI questions (o, e, i) -> respondent's NKI:
     * R1 6,6,6 -> 100   R2 5,5,5 -> 80   R3 5,4,- -> (80+60)/2 = 70   R4 4,4,4 -> 60
     * R5 3,-,- -> 40    R6 6,5,4 -> 80   R7 2,3,4 -> (20+40+60)/3 = 40 R8 -,-,- -> not counted */
    for (int i = 0; i < 12; i++)
        assert_int_equal(lb_ind_followup_due(acc, D("2026-05-04"), B), 0);
    done(acc, "2026-05-18", B, UA(6, 6, 6, 5, 1));
    done(acc, "2026-05-18", B, UA(5, 5, 5, 5, 1));
    done(acc, "2026-05-18", B, UA(5, 4, 0, 5, 0));
    done(acc, "2026-05-19", B, UA(4, 4, 4, 5, 1));
    done(acc, "2026-05-19", B, UA(3, 0, 0, 5, 1));
    done(acc, "2026-05-19", B, UA(6, 5, 4, 5, 1));
    done(acc, "2026-05-20", B, UA(2, 3, 4, 5, 0));
    done(acc, "2026-05-20", B, UA(0, 0, 0, 0, 1));
    /* A declined call's answers never count. */
    struct lb_ind_answers ignored = UA(1, 1, 1, 1, 0);
    assert_int_equal(
        lb_ind_followup_result(acc, D("2026-05-20"), B, LB_FOLLOWUP_DECLINED, &ignored), 0);
    assert_int_equal(lb_ind_followup_result(acc, D("2026-05-21"), B, LB_FOLLOWUP_UNREACHABLE, NULL),
                     0);
    assert_int_equal(lb_ind_followup_result(acc, D("2026-05-21"), B, LB_FOLLOWUP_NO_ANSWER, NULL),
                     0);
    assert_int_equal(lb_ind_followup_result(acc, D("2026-05-22"), B, LB_FOLLOWUP_NO_ANSWER, NULL),
                     0);

    /* Grade boundaries from data (one NKI question per respondent, so NKI = its index):
     * upphandling 10 answers summing to 41: mean 4.1 -> 20 * 3.1 = 62.0 -> godkänt, NUI
     * raddningstjanst 10 summing to 45: 4.5 -> 70.0 -> högt
     * miljo 7 answers of 5: 80.0 -> högt (SKR: "over 80" is mycket högt)
     * livsmedel 40 summing to 179: 4.475 -> 69.5 -> högt (rounds to 70) */
    nki_answers(acc, "upphandling", 10, 41);
    nki_answers(acc, "raddningstjanst", 10, 45);
    nki_answers(acc, "miljo", 7, 35);
    nki_answers(acc, "livsmedel", 40, 179);

    /* Lots follow-ups in Q2: 7 done, 1 declined. reached_right_person
     * 6,6,5,5,4,4,3; usefulness answered 6 times; easy_contact 5 yes, 2 no. */
    int reached[7] = {6, 6, 5, 5, 4, 4, 3};
    for (int i = 0; i < 7; i++)
        done(acc, "2026-06-01", NULL, LA(reached[i], i < 6 ? 5 : 0, i < 5 ? 1 : 0));
    assert_int_equal(lb_ind_followup_result(acc, D("2026-06-02"), NULL, LB_FOLLOWUP_DECLINED, NULL),
                     0);

    /* Improvements: identified 10 Jan, 1 Feb, 15 Apr; the first implemented 20 Apr. */
    assert_int_equal(lb_ind_improvement_identified(acc, D("2026-01-10")), 0);
    assert_int_equal(lb_ind_improvement_identified(acc, D("2026-02-01")), 0);
    assert_int_equal(lb_ind_improvement_identified(acc, D("2026-04-15")), 0);
    assert_int_equal(lb_ind_improvement_implemented(acc, D("2026-04-20")), 0);
    return acc;
}

static json_t *snap(struct lb_ind *acc, int year, int q)
{
    json_t *doc = NULL;
    assert_int_equal(
        lb_ind_snapshot_json(acc, year, q, LB_IND_LIVE, 1234, INT64_C(1782871200000), &doc), 0);
    assert_non_null(doc);
    return doc;
}

static void test_activity_and_quarters_by_stockholm_date(void **state)
{
    (void)state;
    struct lb_ind *acc = fixture();
    json_t *q1 = snap(acc, 2026, 1), *q2 = snap(acc, 2026, 2);
    assert_str(q1, "quarter", "2026-Q1");
    assert_str(q1, "computed_at", "2026-07-01T02:00:00Z");
    assert_num(q1, "source_seq", 1234);
    /* Q1 companies {1, 2, 3, 4, 6}: 1 twice, 4 at 23:30 on 31 March, 6 at 00:30 on 1 Jan. */
    assert_num(q1, "lots.companies_guided", 5);
    assert_num(q1, "lots.companies_guided_ytd", 5);
    assert_num(q1, "lots.cases_opened", 3);
    assert_num(q1, "lots.cases_closed", 1);
    assert_num(q1, "lots.contacts.phone", 1);
    assert_num(q1, "lots.contacts.email", 1);
    assert_num(q1, "lots.contacts.meeting", 1);
    assert_num(q1, "lots.contacts.visit", 0);
    assert_num(q1, "lots.contacts.video", 0);
    /* Q2: company 5 only (00:30 on 1 April); year to date {1, 2, 3, 4, 5, 6}. */
    assert_num(q2, "lots.companies_guided", 1);
    assert_num(q2, "lots.companies_guided_ytd", 6);
    assert_num(q2, "lots.contacts.visit", 1);
    assert_num(q2, "lots.cases_opened", 0);
    assert_num(q2, "lots.ytd.cases_opened", 3);
    assert_num(q2, "lots.ytd.companies_guided", 6);
    assert_num(q2, "lots.ytd.contacts.visit", 1);
    /* Nothing counted in 2025-Q4 although one instant is 31 December in UTC. */
    json_t *q4 = snap(acc, 2025, 4);
    assert_num(q4, "lots.companies_guided", 0);
    assert_num(q4, "lots.contacts.meeting", 0);
    json_decref(q1);
    json_decref(q2);
    json_decref(q4);
    lb_ind_free(acc);
}

static void test_handling_in_working_days(void **state)
{
    (void)state;
    struct lb_ind *acc = fixture();
    json_t *q1 = snap(acc, 2026, 1), *q2 = snap(acc, 2026, 2);
    /* Q2 sent: H1, H2, H3, H4, H6, H7 = 6. In-time share over 6 - 1 withdrawn = 5:
     * H1, H3, H4 in time = 3 / 5 = 0.60. Never suppressed: no answers behind it. */
    assert_num(q2, "units.bygglov.handoffs", 6);
    assert_num(q2, "units.bygglov.acknowledged_in_time.value", 0.6);
    assert_num(q2, "units.bygglov.acknowledged_in_time.n", 5);
    assert_bool(q2, "units.bygglov.acknowledged_in_time.suppressed", 0);
    assert_num(q2, "units.bygglov.overdue", 1);
    /* Decided in Q2 (H5's decision too, though sent in Q1): 2, 8, 8, 9, 18.
     * Nearest rank: median rank ceil(0.5 * 5) = 3 -> 8; p90 rank ceil(0.9 * 5) = 5 -> 18. */
    assert_num(q2, "units.bygglov.decision_working_days.median", 8);
    assert_num(q2, "units.bygglov.decision_working_days.p90", 18);
    assert_num(q2, "units.bygglov.decision_working_days.n", 5);
    /* Q1: H5 sent and acknowledged in time (1 / 1), nothing decided yet. */
    assert_num(q1, "units.bygglov.handoffs", 1);
    assert_num(q1, "units.bygglov.acknowledged_in_time.value", 1.0);
    assert_jnull(q1, "units.bygglov.decision_working_days.median");
    assert_jnull(q1, "units.bygglov.decision_working_days.p90");
    assert_num(q1, "units.bygglov.decision_working_days.n", 0);
    /* Year to date at Q2: 7 sent, 6 in the share, 4 in time: 4 / 6 = 0.667 -> 0.67. */
    assert_num(q2, "units.bygglov.ytd.handoffs", 7);
    assert_num(q2, "units.bygglov.ytd.acknowledged_in_time.value", 0.67);
    assert_num(q2, "units.bygglov.ytd.decision_working_days.median", 8);
    json_decref(q1);
    json_decref(q2);
    lb_ind_free(acc);
}

static void test_satisfaction_nki_intervals_suppression(void **state)
{
    (void)state;
    struct lb_ind *acc = fixture();
    json_t *q2 = snap(acc, 2026, 2);
    /* NKI: respondents 100, 80, 70, 60, 40, 80, 40: mean 470 / 7 = 67.142857 -> 67.1.
     * Deviations 32.86, 12.86, 2.86, -7.14, -27.14, 12.86, -27.14; squares sum 2942.857;
     * s = sqrt(2942.857 / 6) = 22.147; 1.96 * 22.147 / sqrt(7) = 16.407;
     * interval 50.736 .. 83.549 -> [50.7, 83.5]. 67.1 rounds to 67: godkänt. */
    assert_str(q2, "units.bygglov.nki.label", "NKI");
    assert_num(q2, "units.bygglov.nki.index", 67.1);
    assert_num(q2, "units.bygglov.nki.n", 7);
    assert_num(q2, "units.bygglov.nki.ci95.0", 50.7);
    assert_num(q2, "units.bygglov.nki.ci95.1", 83.5);
    assert_str(q2, "units.bygglov.nki.grade", "godkänt");
    assert_bool(q2, "units.bygglov.nki.suppressed", 0);
    /* nki_overall: 6,5,5,4,3,6,2 -> 100,80,80,60,40,100,20: 480 / 7 = 68.571 -> 68.6;
     * s = sqrt(5485.714 / 6) = 30.237; 1.96 * 30.237 / sqrt(7) = 22.400 -> [46.2, 91.0]. */
    assert_num(q2, "units.bygglov.questions.nki_overall.index", 68.6);
    assert_num(q2, "units.bygglov.questions.nki_overall.n", 7);
    assert_num(q2, "units.bygglov.questions.nki_overall.ci95.0", 46.2);
    assert_num(q2, "units.bygglov.questions.nki_overall.ci95.1", 91.0);
    /* nki_expectations answered 6 times: suppressed, n kept, no interval. */
    assert_jnull(q2, "units.bygglov.questions.nki_expectations.index");
    assert_num(q2, "units.bygglov.questions.nki_expectations.n", 6);
    assert_jnull(q2, "units.bygglov.questions.nki_expectations.ci95");
    assert_bool(q2, "units.bygglov.questions.nki_expectations.suppressed", 1);
    /* information: seven 5s = 80.0, s = 0 -> [80.0, 80.0]. */
    assert_num(q2, "units.bygglov.questions.information.index", 80.0);
    assert_num(q2, "units.bygglov.questions.information.ci95.0", 80.0);
    assert_num(q2, "units.bygglov.questions.information.ci95.1", 80.0);
    /* clear_and_lawful: 6 yes of 8 = 0.75. */
    assert_num(q2, "units.bygglov.clear_and_lawful.value", 0.75);
    assert_num(q2, "units.bygglov.clear_and_lawful.n", 8);
    /* Follow-ups: response rate 8 / (8 + 1 + 1) = 0.80; no_answer not in it. */
    assert_num(q2, "units.bygglov.followups.due", 12);
    assert_num(q2, "units.bygglov.followups.done", 8);
    assert_num(q2, "units.bygglov.followups.declined", 1);
    assert_num(q2, "units.bygglov.followups.unreachable", 1);
    assert_num(q2, "units.bygglov.followups.no_answer", 2);
    assert_num(q2, "units.bygglov.followups.response_rate", 0.8);

    /* Lots: reached_right_person 100,100,80,80,60,60,40: 520 / 7 = 74.286 -> 74.3;
     * s = 22.254, 1.96 s / sqrt(7) = 16.486 -> [57.8, 90.8]. usefulness n = 6: suppressed.
     * easy_contact 5 / 7 = 0.714 -> 0.71. Response rate 7 / 8 = 0.875 -> 0.88 (half up). */
    assert_num(q2, "lots.questions.reached_right_person.index", 74.3);
    assert_num(q2, "lots.questions.reached_right_person.ci95.0", 57.8);
    assert_num(q2, "lots.questions.reached_right_person.ci95.1", 90.8);
    assert_jnull(q2, "lots.questions.usefulness.index");
    assert_num(q2, "lots.questions.usefulness.n", 6);
    assert_bool(q2, "lots.questions.usefulness.suppressed", 1);
    assert_num(q2, "lots.easy_contact.value", 0.71);
    assert_num(q2, "lots.easy_contact.n", 7);
    assert_num(q2, "lots.followups.response_rate", 0.88);
    /* A question nobody answered: n 0, suppressed. */
    assert_num(q2, "lots.questions.website_information.n", 0);
    assert_bool(q2, "lots.questions.website_information.suppressed", 1);
    json_decref(q2);
    lb_ind_free(acc);
}

static void test_grades_labels_and_empty_units(void **state)
{
    (void)state;
    struct lb_ind *acc = fixture();
    json_t *q2 = snap(acc, 2026, 2), *q1 = snap(acc, 2026, 1);
    assert_str(q2, "units.upphandling.nki.label", "NUI");
    assert_num(q2, "units.upphandling.nki.index", 62.0);
    assert_str(q2, "units.upphandling.nki.grade", "godkänt");
    /* One 5 and nine 4s: indices 80, 60 x 9; deviations 18, -2 x 9; squares 324 + 36 = 360;
     * s = sqrt(360 / 9) = 6.325; 1.96 * 6.325 / sqrt(10) = 3.920 -> [58.08, 65.92] -> [58.1, 65.9].
     */
    assert_num(q2, "units.upphandling.nki.ci95.0", 58.1);
    assert_num(q2, "units.upphandling.nki.ci95.1", 65.9);
    assert_num(q2, "units.raddningstjanst.nki.index", 70.0);
    assert_str(q2, "units.raddningstjanst.nki.grade", "högt");
    assert_num(q2, "units.miljo.nki.index", 80.0);
    assert_str(q2, "units.miljo.nki.grade", "högt");
    assert_num(q2, "units.livsmedel.nki.index", 69.5);
    assert_str(q2, "units.livsmedel.nki.grade", "högt");
    /* Every configured unit is listed; gata_park has nothing: zeros, nulls, suppressed. */
    assert_int_equal(json_object_size(J(q2, "units")), 7);
    assert_num(q2, "units.gata_park.handoffs", 0);
    assert_num(q2, "units.gata_park.overdue", 0);
    assert_jnull(q2, "units.gata_park.acknowledged_in_time.value");
    assert_bool(q2, "units.gata_park.acknowledged_in_time.suppressed", 0);
    assert_jnull(q2, "units.gata_park.decision_working_days.median");
    assert_num(q2, "units.gata_park.followups.done", 0);
    assert_jnull(q2, "units.gata_park.followups.response_rate");
    assert_jnull(q2, "units.gata_park.nki.index");
    assert_jnull(q2, "units.gata_park.nki.grade");
    assert_num(q2, "units.gata_park.nki.n", 0);
    assert_bool(q2, "units.gata_park.nki.suppressed", 1);
    assert_num(q2, "units.gata_park.questions.efficiency.n", 0);
    /* The NUI label holds when suppressed too. */
    assert_str(q1, "units.upphandling.nki.label", "NUI");
    assert_jnull(q1, "units.upphandling.nki.index");
    /* Improvements: Q1 2 identified; Q2 1 identified, 1 implemented; totals 3 and 1. */
    assert_num(q1, "improvements.identified", 2);
    assert_num(q1, "improvements.identified_total", 2);
    assert_num(q1, "improvements.implemented_total", 0);
    assert_num(q2, "improvements.identified", 1);
    assert_num(q2, "improvements.implemented", 1);
    assert_num(q2, "improvements.identified_total", 3);
    assert_num(q2, "improvements.implemented_total", 1);
    json_decref(q1);
    json_decref(q2);
    lb_ind_free(acc);
}

static void test_grade_boundaries(void **state)
{
    (void)state;
    assert_string_equal(lb_ind_grade(1000), "mycket högt");
    assert_string_equal(lb_ind_grade(805), "mycket högt");
    assert_string_equal(lb_ind_grade(804), "högt");
    assert_string_equal(lb_ind_grade(800), "högt");
    assert_string_equal(lb_ind_grade(700), "högt");
    assert_string_equal(lb_ind_grade(695), "högt");
    assert_string_equal(lb_ind_grade(694), "godkänt");
    assert_string_equal(lb_ind_grade(620), "godkänt");
    assert_string_equal(lb_ind_grade(615), "godkänt");
    assert_string_equal(lb_ind_grade(614), "lågt");
    assert_string_equal(lb_ind_grade(500), "lågt");
    assert_string_equal(lb_ind_grade(495), "lågt");
    assert_string_equal(lb_ind_grade(494), "mycket lågt");
    assert_string_equal(lb_ind_grade(0), "mycket lågt");
}

static void test_suppression_threshold_six_and_seven(void **state)
{
    (void)state;
    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    struct lb_ind *acc = NULL;
    assert_int_equal(lb_ind_new(&cfg, &acc), 0);
    for (int i = 0; i < 6; i++)
        done(acc, "2026-08-03", "miljo", UA(4, 0, 0, 0, 1));
    json_t *s6 = snap(acc, 2026, 3);
    assert_bool(s6, "units.miljo.nki.suppressed", 1);
    assert_jnull(s6, "units.miljo.nki.index");
    assert_num(s6, "units.miljo.nki.n", 6);
    assert_bool(s6, "units.miljo.clear_and_lawful.suppressed", 1);
    assert_jnull(s6, "units.miljo.clear_and_lawful.value");
    done(acc, "2026-08-03", "miljo", UA(4, 0, 0, 0, 1));
    json_t *s7 = snap(acc, 2026, 3);
    assert_bool(s7, "units.miljo.nki.suppressed", 0);
    assert_num(s7, "units.miljo.nki.index", 60.0);
    assert_num(s7, "units.miljo.nki.n", 7);
    assert_num(s7, "units.miljo.clear_and_lawful.value", 1.0);
    json_decref(s6);
    json_decref(s7);
    lb_ind_free(acc);

    /* The threshold and the scale are configuration: threshold 3, scale 1-5, where an
     * answer 4 has the index (4 - 1) / 4 * 100 = 75. */
    cfg.min_answers = 3;
    cfg.scale_top = 5;
    assert_int_equal(lb_ind_new(&cfg, &acc), 0);
    for (int i = 0; i < 3; i++)
        done(acc, "2026-08-03", "miljo", UA(4, 0, 0, 0, -1));
    json_t *s3 = snap(acc, 2026, 3);
    assert_num(s3, "units.miljo.nki.index", 75.0);
    struct lb_ind_answers six = UA(6, 0, 0, 0, -1);
    assert_int_equal(lb_ind_followup_result(acc, D("2026-08-03"), "miljo", LB_FOLLOWUP_DONE, &six),
                     LB_EINVAL);
    json_decref(s3);
    lb_ind_free(acc);
}

/* followup.corrected: the corrected answers replace the old ones; the call's
 * counts stay; answers never counted cannot be taken away. */
static void test_corrected_answers_replace(void **state)
{
    (void)state;
    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    struct lb_ind *acc = NULL;
    assert_int_equal(lb_ind_new(&cfg, &acc), 0);
    for (int i = 0; i < 7; i++)
        done(acc, "2026-08-03", "miljo", UA(4, 0, 0, 0, 1));
    done(acc, "2026-08-03", NULL, LA(0, 5, 1));
    struct lb_ind_answers was = UA(4, 0, 0, 0, 1), now = UA(6, 0, 0, 0, 0);
    assert_int_equal(lb_ind_followup_corrected(acc, D("2026-08-03"), "miljo", &was, &now), 0);
    /* NKI: six at 60 and one at 100: 460 / 7 = 65.71 -> 65.7; yes 6 of 7. */
    json_t *s = snap(acc, 2026, 3);
    assert_num(s, "units.miljo.nki.index", 65.7);
    assert_num(s, "units.miljo.nki.n", 7);
    assert_num(s, "units.miljo.clear_and_lawful.value", 0.86);
    assert_num(s, "units.miljo.followups.done", 7);
    json_decref(s);
    /* Answers that were never counted (no 2 among them): refused, nothing moves. */
    struct lb_ind_answers never = UA(2, 0, 0, 0, -1);
    assert_int_equal(lb_ind_followup_corrected(acc, D("2026-08-03"), "miljo", &never, &now),
                     LB_EINVAL);
    struct lb_ind_answers bad = UA(7, 0, 0, 0, -1);
    assert_int_equal(lb_ind_followup_corrected(acc, D("2026-08-03"), "miljo", &was, &bad),
                     LB_EINVAL);
    s = snap(acc, 2026, 3);
    assert_num(s, "units.miljo.nki.index", 65.7);
    assert_num(s, "units.miljo.nki.n", 7);
    json_decref(s);
    /* The lots section: usefulness 5 -> "vet ej", reached_right_person gains a 6. */
    struct lb_ind_answers lwas = LA(0, 5, 1), lnow = LA(6, 0, 1);
    assert_int_equal(lb_ind_followup_corrected(acc, D("2026-08-03"), NULL, &lwas, &lnow), 0);
    s = snap(acc, 2026, 3);
    assert_num(s, "lots.questions.usefulness.n", 0);
    assert_num(s, "lots.questions.reached_right_person.n", 1);
    json_decref(s);
    /* A section with no answers before gains them (before NULL). */
    assert_int_equal(lb_ind_followup_corrected(acc, D("2026-08-03"), "miljo", NULL, &now), 0);
    s = snap(acc, 2026, 3);
    assert_num(s, "units.miljo.nki.n", 8);
    json_decref(s);
    lb_ind_free(acc);
}

static void test_percentile_nearest_rank(void **state)
{
    (void)state;
    uint64_t four[5] = {0, 1, 1, 1, 1};                   /* values 1, 2, 3, 4 */
    assert_int_equal(lb_ind_percentile(four, 5, 50), 2);  /* rank ceil(2.0) = 2: lower middle */
    assert_int_equal(lb_ind_percentile(four, 5, 90), 4);  /* rank ceil(3.6) = 4 */
    uint64_t ten[11] = {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}; /* 1..10 */
    assert_int_equal(lb_ind_percentile(ten, 11, 90), 9);  /* rank 9 */
    assert_int_equal(lb_ind_percentile(ten, 11, 100), 10);
    uint64_t one[3] = {0, 0, 1};
    assert_int_equal(lb_ind_percentile(one, 3, 50), 2);
    assert_int_equal(lb_ind_percentile(one, 3, 90), 2);
    uint64_t none[3] = {0};
    assert_int_equal(lb_ind_percentile(none, 3, 50), -1);
}

/* The accumulator's working-day table agrees with the calendar, also across the
 * years' holidays and outside the table's range (before 2000, after 2099). */
static void test_working_days_agree_with_calendar(void **state)
{
    (void)state;
    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    const char *from[] = {"2025-12-19", "2026-04-02", "2026-06-18", "2026-12-23", "2027-03-24",
                          "1999-12-22", "2099-12-28", "2000-01-01", "2026-05-13"};
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        for (int len = 0; len < 30; len += 7) {
            struct lb_ind *acc = NULL;
            assert_int_equal(lb_ind_new(&cfg, &acc), 0);
            lb_date s = D(from[i]), e = s + len;
            assert_int_equal(lb_ind_handoff_decided(acc, s, e, "miljo"), 0);
            int y, q;
            lb_date_quarter(e, &y, &q);
            json_t *doc = NULL;
            assert_int_equal(lb_ind_snapshot_json(acc, y, q, LB_IND_LIVE, 0, 0, &doc), 0);
            assert_num(doc, "units.miljo.decision_working_days.median",
                       lb_working_days_between(s, e));
            json_decref(doc);
            lb_ind_free(acc);
        }
    }
}

static void test_input_rejected(void **state)
{
    (void)state;
    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    struct lb_ind *acc = NULL;
    assert_int_equal(lb_ind_new(&cfg, &acc), 0);
    assert_int_equal(lb_ind_case_opened(acc, LB_DATE_NONE, 1), LB_EINVAL);
    assert_int_equal(lb_ind_case_opened(acc, D("2026-01-01"), 0), LB_EINVAL);
    assert_int_equal(lb_ind_contact(acc, D("2026-01-01"), 1, LB_CHANNEL_COUNT), LB_EINVAL);
    assert_int_equal(lb_ind_handoff_sent(acc, D("2026-01-01"), "Bygglov"), LB_EINVAL);
    assert_int_equal(lb_ind_handoff_sent(acc, D("2026-01-01"), NULL), LB_EINVAL);
    assert_int_equal(
        lb_ind_followup_result(acc, D("2026-01-01"), NULL, LB_FOLLOWUP_SCHEDULED, NULL), LB_EINVAL);
    json_t *s = NULL;
    assert_int_equal(lb_ind_snapshot_json(acc, 2026, 5, LB_IND_LIVE, 0, 0, &s), LB_EINVAL);
    assert_null(s);
    /* A unit that is not configured is counted under its code, after the configured. */
    assert_int_equal(lb_ind_handoff_sent(acc, D("2026-01-02"), "hamn"), 0);
    s = snap(acc, 2026, 1);
    assert_int_equal(json_object_size(J(s, "units")), 8);
    assert_num(s, "units.hamn.handoffs", 1);
    assert_str(s, "units.hamn.nki.label", "NKI");
    json_decref(s);
    lb_ind_free(acc);
    cfg.scale_top = 1;
    assert_int_equal(lb_ind_new(&cfg, &acc), LB_EINVAL);
    assert_null(acc);
}

static void test_answers_from_json(void **state)
{
    (void)state;
    struct lb_ind_answers a;
    json_t *o = json_loads("{\"nki_overall\": 5, \"nki_ideal\": null, \"efficiency\": 1,"
                           " \"clear_and_lawful\": false, \"unknown\": 99}",
                           0, NULL);
    assert_int_equal(lb_ind_answers_from_json(LB_FOLLOWUP_KIND_UNIT, o, 6, &a), 0);
    assert_int_equal(a.scale[0], 5);
    assert_int_equal(a.scale[2], 0);
    assert_int_equal(a.scale[8], 1);
    assert_int_equal(a.yes, 0);
    json_decref(o);
    o = json_loads("{\"usefulness\": 7}", 0, NULL);
    assert_int_equal(lb_ind_answers_from_json(LB_FOLLOWUP_KIND_LOTS, o, 6, &a), LB_EINVAL);
    json_decref(o);
    o = json_loads("{\"easy_contact\": 1}", 0, NULL);
    assert_int_equal(lb_ind_answers_from_json(LB_FOLLOWUP_KIND_LOTS, o, 6, &a), LB_EINVAL);
    assert_int_equal(a.yes, -1);
    json_decref(o);
    o = json_loads("{\"easy_contact\": true, \"reached_right_person\": 6}", 0, NULL);
    assert_int_equal(lb_ind_answers_from_json(LB_FOLLOWUP_KIND_LOTS, o, 6, &a), 0);
    assert_int_equal(a.yes, 1);
    assert_int_equal(a.scale[0], 6);
    json_decref(o);
}

/* The document dumps with one decimal as written, not 71.200000000000003. */
static void test_dump_precision(void **state)
{
    (void)state;
    struct lb_ind *acc = fixture();
    json_t *q2 = snap(acc, 2026, 2);
    char *s = json_dumps(q2, JSON_COMPACT | LB_IND_JSON_REAL);
    assert_non_null(s);
    assert_non_null(strstr(s, "\"index\":67.1,"));
    assert_non_null(strstr(s, "\"ci95\":[50.7,83.5]"));
    free(s);
    json_decref(q2);
    lb_ind_free(acc);
}

static json_t *snap_at(struct lb_ind *acc, int year, int q, enum lb_ind_view view, const char *at)
{
    lb_time t = 0;
    if (lb_time_parse_rfc3339(at, &t) != 0)
        fail_msg("bad instant %s", at);
    json_t *doc = NULL;
    assert_int_equal(lb_ind_snapshot_json(acc, year, q, view, 7, t, &doc), 0);
    assert_non_null(doc);
    return doc;
}

/* SKR's total NKI since 2024: the respondents of the four mandatory areas
 * together (bygglov, miljö- och hälsoskydd, livsmedelskontroll,
 * serveringstillstånd); brandskydd and markupplåtelse beside it; upphandling's
 * NUI never in it. */
static void test_nki_total(void **state)
{
    (void)state;
    struct lb_ind *acc = fixture();
    json_t *q2 = snap(acc, 2026, 2);
    /* Q2 respondents' indices: bygglov 100+80+70+60+40+80+40 = 470 (n 7), miljö 7 x 80 = 560,
     * livsmedel 40 answers summing to 179: sum of 20 (v - 1) = 20 x (179 - 40) = 2780;
     * serveringstillstånd none. 470 + 560 + 2780 = 3810 over 54 = 70.56 -> 70.6, "högt".
     * Upphandling (NUI 62.0, n 10) and räddningstjänst (70.0, n 10) are not in it. */
    assert_str(q2, "total.nki.label", "NKI totalt");
    assert_num(q2, "total.nki.index", 70.6);
    assert_num(q2, "total.nki.n", 54);
    assert_str(q2, "total.nki.grade", "högt");
    assert_int_equal(json_array_size(J(q2, "total.units")), 4);
    assert_str(q2, "total.units.0", "bygglov");
    assert_str(q2, "total.units.1", "miljo");
    assert_str(q2, "total.units.2", "livsmedel");
    assert_str(q2, "total.units.3", "serveringstillstand");
    assert_int_equal(json_array_size(J(q2, "total.beside")), 2);
    assert_str(q2, "total.beside.0", "raddningstjanst");
    assert_str(q2, "total.beside.1", "gata_park");
    /* clear_and_lawful over every unit: only bygglov's 6 yes of 8 have one. */
    assert_num(q2, "total.clear_and_lawful.value", 0.75);
    assert_num(q2, "total.clear_and_lawful.n", 8);
    /* Year to date (nothing answered in Q1): the same. */
    assert_num(q2, "total.ytd.nki.index", 70.6);
    json_decref(q2);
    lb_ind_free(acc);

    /* The mapping is configuration: a municipality whose hamn unit does livsmedelskontroll,
     * and whose miljö unit is not an Insikt area. */
    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    assert_int_equal(lb_ind_areas_parse(&cfg, "bygglov=bygglov,hamn=livsmedelskontroll,"
                                              "upphandling=upphandling,miljo=none"),
                     0);
    assert_int_equal(lb_ind_new(&cfg, &acc), 0);
    for (int i = 0; i < 4; i++)
        done(acc, "2026-08-03", "bygglov", UA(6, 6, 6, 0, -1)); /* 100 */
    for (int i = 0; i < 4; i++)
        done(acc, "2026-08-03", "hamn", UA(1, 1, 1, 0, -1)); /* 0 */
    for (int i = 0; i < 9; i++) {
        done(acc, "2026-08-03", "miljo", UA(4, 4, 4, 0, -1));       /* not in the total */
        done(acc, "2026-08-03", "upphandling", UA(4, 4, 4, 0, -1)); /* NUI, never in it */
    }
    json_t *q3 = snap(acc, 2026, 3);
    assert_num(q3, "total.nki.index", 50.0); /* (4 x 100 + 4 x 0) / 8 */
    assert_num(q3, "total.nki.n", 8);
    assert_str(q3, "units.upphandling.nki.label", "NUI");
    assert_str(q3, "units.miljo.nki.label", "NKI");
    json_decref(q3);
    lb_ind_free(acc);
    /* Bad mappings change nothing. */
    lb_ind_config_default(&cfg);
    assert_int_equal(lb_ind_areas_parse(&cfg, "bygglov=bygg"), LB_EINVAL);
    assert_int_equal(lb_ind_areas_parse(&cfg, "Bygglov=bygglov"), LB_EINVAL);
    assert_int_equal(lb_ind_areas_parse(&cfg, "bygglov"), LB_EINVAL);
    assert_int_equal(lb_ind_areas_parse(&cfg, "bygglov=bygglov,bygglov=none"), LB_EINVAL);
    assert_int_equal(cfg.nareas, 7);
}

/* The year's snapshot: every figure over the year's events, an index over the
 * year's answers — never a mean of the quarters' indices. */
static void test_year_snapshot(void **state)
{
    (void)state;
    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    struct lb_ind *acc = NULL;
    assert_int_equal(lb_ind_new(&cfg, &acc), 0);
    /* usefulness: Q1 seven 6s (index 100), Q3 fourteen 2s (index 20). The mean of the two
     * quarters' indices would be 60.0; over the year's 21 answers it is
     * (7 x 100 + 14 x 20) / 21 = 980 / 21 = 46.67 -> 46.7. */
    for (int i = 0; i < 7; i++)
        done(acc, "2026-02-10", NULL, LA(0, 6, 1));
    for (int i = 0; i < 14; i++)
        done(acc, "2026-08-10", NULL, LA(0, 2, 0));
    assert_int_equal(lb_ind_case_opened(acc, D("2026-02-01"), 1), 0);
    assert_int_equal(lb_ind_case_opened(acc, D("2026-08-01"), 1), 0);
    assert_int_equal(lb_ind_contact(acc, D("2026-11-01"), 2, LB_CHANNEL_PHONE), 0);
    assert_int_equal(lb_ind_case_opened(acc, D("2025-12-31"), 3), 0); /* another year */
    assert_int_equal(lb_ind_improvement_identified(acc, D("2025-06-01")), 0);
    assert_int_equal(lb_ind_improvement_identified(acc, D("2026-03-01")), 0);
    assert_int_equal(lb_ind_improvement_implemented(acc, D("2026-10-01")), 0);
    json_t *y = snap_at(acc, 2026, LB_IND_YEAR, LB_IND_LIVE, "2027-01-02T08:00:00Z");
    assert_str(y, "year", "2026");
    assert_null(json_object_get(y, "quarter"));
    assert_num(y, "lots.questions.usefulness.index", 46.7);
    assert_num(y, "lots.questions.usefulness.n", 21);
    /* easy_contact: 7 yes of 21 = 0.33. */
    assert_num(y, "lots.easy_contact.value", 0.33);
    /* Companies {1, 2}: 1 counted once though guided in two quarters; 3 is 2025's. */
    assert_num(y, "lots.companies_guided", 2);
    assert_num(y, "lots.cases_opened", 2);
    assert_num(y, "lots.followups.done", 21);
    assert_num(y, "improvements.identified", 1);
    assert_num(y, "improvements.implemented", 1);
    assert_num(y, "improvements.identified_total", 2);
    /* No year to date in the year's document. */
    assert_null(json_object_get(J(y, "lots"), "ytd"));
    assert_null(json_object_get(J(y, "units.bygglov"), "ytd"));
    assert_null(json_object_get(J(y, "total"), "ytd"));
    /* The quarters' own figures for comparison. */
    json_t *q1 = snap_at(acc, 2026, 1, LB_IND_LIVE, "2027-01-02T08:00:00Z");
    json_t *q3 = snap_at(acc, 2026, 3, LB_IND_LIVE, "2027-01-02T08:00:00Z");
    assert_num(q1, "lots.questions.usefulness.index", 100.0);
    assert_num(q3, "lots.questions.usefulness.index", 20.0);
    /* lb_ind_year_snapshots gives the same five documents. */
    json_t *all[5];
    lb_time t = 0;
    assert_int_equal(lb_time_parse_rfc3339("2027-01-02T08:00:00Z", &t), 0);
    assert_int_equal(lb_ind_year_snapshots(acc, 2026, LB_IND_LIVE, 7, t, all), 0);
    assert_true(json_equal(all[0], q1));
    assert_true(json_equal(all[2], q3));
    assert_true(json_equal(all[4], y));
    for (int i = 0; i < 5; i++)
        json_decref(all[i]);
    json_decref(y);
    json_decref(q1);
    json_decref(q3);
    lb_ind_free(acc);
}

/* lots.calls counts each call once whatever its items ("antal genomförda uppföljningar"). */
static void test_calls(void **state)
{
    (void)state;
    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    struct lb_ind *acc = NULL;
    assert_int_equal(lb_ind_new(&cfg, &acc), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(lb_ind_call_due(acc, D("2026-05-04")), 0);
    assert_int_equal(lb_ind_call_result(acc, D("2026-05-05"), LB_FOLLOWUP_DONE), 0);
    assert_int_equal(lb_ind_call_result(acc, D("2026-05-05"), LB_FOLLOWUP_NO_ANSWER), 0);
    assert_int_equal(lb_ind_call_result(acc, D("2026-05-07"), LB_FOLLOWUP_DONE), 0);
    assert_int_equal(lb_ind_call_result(acc, D("2026-05-07"), LB_FOLLOWUP_DECLINED), 0);
    assert_int_equal(lb_ind_call_result(acc, D("2026-05-07"), LB_FOLLOWUP_SCHEDULED), LB_EINVAL);
    json_t *q2 = snap(acc, 2026, 2);
    assert_num(q2, "lots.calls.due", 3);
    assert_num(q2, "lots.calls.done", 2);
    assert_num(q2, "lots.calls.no_answer", 1);
    assert_num(q2, "lots.calls.declined", 1);
    assert_num(q2, "lots.calls.response_rate", 0.67);
    assert_num(q2, "lots.ytd.calls.done", 2);
    /* The lots item counts are separate: no lots item was recorded. */
    assert_num(q2, "lots.followups.done", 0);
    json_decref(q2);
    lb_ind_free(acc);
}

/* A hand-off counts in "acknowledged within 2 working days" once it is
 * acknowledged or its window has closed, whichever comes first. */
static void test_ack_window(void **state)
{
    (void)state;
    struct lb_ind_config cfg;
    lb_ind_config_default(&cfg);
    struct lb_ind *acc = NULL;
    assert_int_equal(lb_ind_new(&cfg, &acc), 0);
    const char *R = "raddningstjanst";
    /* Sent Monday 7 Sep 2026: A acknowledged Wednesday (2 working days: in time),
     * B never acknowledged, C withdrawn before acknowledgement. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(lb_ind_handoff_sent(acc, D("2026-09-07"), R), 0);
    assert_int_equal(lb_ind_handoff_acknowledged(acc, D("2026-09-07"), D("2026-09-09"), R), 0);
    assert_int_equal(lb_ind_handoff_withdrawn(acc, D("2026-09-07"), R, false), 0);
    /* Tuesday and Wednesday B is inside its window: only A counts, 1 / 1. */
    json_t *tue = snap_at(acc, 2026, 3, LB_IND_LIVE, "2026-09-08T10:00:00Z");
    assert_num(tue, "units.raddningstjanst.acknowledged_in_time.value", 1.0);
    assert_num(tue, "units.raddningstjanst.acknowledged_in_time.n", 1);
    json_t *wed = snap_at(acc, 2026, 3, LB_IND_LIVE, "2026-09-09T21:00:00Z");
    assert_num(wed, "units.raddningstjanst.acknowledged_in_time.n", 1);
    /* Thursday its window has closed: late, 1 / 2. */
    json_t *thu = snap_at(acc, 2026, 3, LB_IND_LIVE, "2026-09-10T06:00:00Z");
    assert_num(thu, "units.raddningstjanst.acknowledged_in_time.value", 0.5);
    assert_num(thu, "units.raddningstjanst.acknowledged_in_time.n", 2);
    assert_num(thu, "units.raddningstjanst.ytd.acknowledged_in_time.n", 2);
    json_t *year = snap_at(acc, 2026, LB_IND_YEAR, LB_IND_LIVE, "2026-09-10T06:00:00Z");
    assert_num(year, "units.raddningstjanst.acknowledged_in_time.n", 2);
    /* Sent on Maundy Thursday 2 April: the window runs over Easter to Wednesday 8 April. */
    assert_int_equal(lb_ind_handoff_sent(acc, D("2026-04-02"), R), 0);
    json_t *e1 = snap_at(acc, 2026, 2, LB_IND_LIVE, "2026-04-08T12:00:00Z");
    assert_num(e1, "units.raddningstjanst.acknowledged_in_time.n", 0);
    assert_jnull(e1, "units.raddningstjanst.acknowledged_in_time.value");
    json_t *e2 = snap_at(acc, 2026, 2, LB_IND_LIVE, "2026-04-09T12:00:00Z");
    assert_num(e2, "units.raddningstjanst.acknowledged_in_time.n", 1);
    assert_num(e2, "units.raddningstjanst.acknowledged_in_time.value", 0.0);
    json_decref(tue);
    json_decref(wed);
    json_decref(thu);
    json_decref(year);
    json_decref(e1);
    json_decref(e2);
    lb_ind_free(acc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activity_and_quarters_by_stockholm_date),
        cmocka_unit_test(test_handling_in_working_days),
        cmocka_unit_test(test_satisfaction_nki_intervals_suppression),
        cmocka_unit_test(test_grades_labels_and_empty_units),
        cmocka_unit_test(test_grade_boundaries),
        cmocka_unit_test(test_suppression_threshold_six_and_seven),
        cmocka_unit_test(test_corrected_answers_replace),
        cmocka_unit_test(test_percentile_nearest_rank),
        cmocka_unit_test(test_working_days_agree_with_calendar),
        cmocka_unit_test(test_input_rejected),
        cmocka_unit_test(test_answers_from_json),
        cmocka_unit_test(test_dump_precision),
        cmocka_unit_test(test_nki_total),
        cmocka_unit_test(test_year_snapshot),
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_ack_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
