/* test_calendar.c: the Swedish working-day calendar against an almanac and
 * against the shared fixture of 2020-2035 holidays.
 *
 * The hand-written table below was copied from an almanac, independently of
 * the computus in calendar.c; the fixture check then covers every day of
 * 2020-2035, so a holiday the code invents or misses on any of those 5,844
 * days fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"

static lb_date D(const char *s)
{
    lb_date d = LB_DATE_NONE;
    int rc = lb_date_parse(s, &d);
    if (rc != 0)
        fail_msg("test date %s does not parse", s);
    return d;
}

static void assert_date_eq(lb_date got, const char *want)
{
    char buf[11];
    lb_date_format(got, buf);
    assert_string_equal(buf, want);
}

static void test_date_conversions(void **state)
{
    (void)state;
    assert_int_equal(lb_date_from_ymd(1970, 1, 1), 0);
    assert_int_equal(lb_date_from_ymd(2000, 3, 1), 11017);
    assert_int_equal(lb_date_from_ymd(1969, 12, 31), -1);
    assert_int_equal(lb_date_from_ymd(2026, 2, 30), LB_DATE_NONE);
    assert_int_equal(lb_date_from_ymd(2026, 13, 1), LB_DATE_NONE);
    assert_int_equal(lb_date_from_ymd(2026, 0, 1), LB_DATE_NONE);
    assert_int_equal(lb_date_from_ymd(2026, 4, 31), LB_DATE_NONE);
    assert_int_equal(lb_date_from_ymd(2023, 2, 29), LB_DATE_NONE);
    assert_int_equal(lb_date_from_ymd(1900, 2, 29), LB_DATE_NONE);
    assert_int_not_equal(lb_date_from_ymd(2000, 2, 29), LB_DATE_NONE);
    assert_int_not_equal(lb_date_from_ymd(2024, 2, 29), LB_DATE_NONE);

    /* Round trip every day of 1900-2199 and check the days are consecutive. */
    lb_date prev = lb_date_from_ymd(1899, 12, 31);
    for (int y = 1900; y < 2200; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= 31; d++) {
                lb_date v = lb_date_from_ymd(y, m, d);
                if (v == LB_DATE_NONE)
                    continue;
                assert_int_equal(v, prev + 1);
                int yy, mm, dd;
                lb_date_to_ymd(v, &yy, &mm, &dd);
                assert_int_equal(yy, y);
                assert_int_equal(mm, m);
                assert_int_equal(dd, d);
                prev = v;
            }
        }
    }
    assert_int_equal(prev, lb_date_from_ymd(2199, 12, 31));
}

static void test_date_parse_format(void **state)
{
    (void)state;
    lb_date d = 123;
    assert_int_equal(lb_date_parse("2026-03-14", &d), 0);
    assert_date_eq(d, "2026-03-14");
    assert_int_equal(lb_date_parse("1970-01-01", &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(lb_date_parse("2024-02-29", &d), 0);
    assert_date_eq(d, "2024-02-29");
    assert_date_eq(lb_date_from_ymd(1905, 7, 4), "1905-07-04");

    const char *bad[] = {
        "2026-02-30",  "2023-02-29",          "2026-13-01", "2026-00-10", "2026-01-00",
        "2026-3-14",   "2026-03-1",           "26-03-14",   "2026/03/14", "2026-03-14x",
        " 2026-03-14", "2026-03-14 ",         "",           "2026-03",    "2026-0a-14",
        "+026-03-14",  "2026-03-14T00:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        d = 77;
        if (lb_date_parse(bad[i], &d) != LB_EINVAL)
            fail_msg("accepted bad date \"%s\"", bad[i]);
        assert_int_equal(d, 77); /* untouched on failure */
    }
    assert_int_equal(lb_date_parse(NULL, &d), LB_EINVAL);
}

static void test_weekday(void **state)
{
    (void)state;
    assert_int_equal(lb_date_weekday(0), 3);               /* 1970-01-01 Thursday */
    assert_int_equal(lb_date_weekday(D("2026-03-14")), 5); /* Saturday */
    assert_int_equal(lb_date_weekday(D("2026-03-15")), 6); /* Sunday */
    assert_int_equal(lb_date_weekday(D("2026-03-16")), 0); /* Monday */
    assert_int_equal(lb_date_weekday(D("1969-12-31")), 2); /* Wednesday, negative day */
    assert_int_equal(lb_date_weekday(D("1900-01-01")), 0); /* Monday */
}

/* From an almanac, written out by hand (not computed): Easter Sunday,
 * midsommardagen and alla helgons dag for 2020-2035. */
static const struct {
    const char *easter, *midsommar, *allhelgona;
} almanac[] = {
    {"2020-04-12", "2020-06-20", "2020-10-31"}, {"2021-04-04", "2021-06-26", "2021-11-06"},
    {"2022-04-17", "2022-06-25", "2022-11-05"}, {"2023-04-09", "2023-06-24", "2023-11-04"},
    {"2024-03-31", "2024-06-22", "2024-11-02"}, {"2025-04-20", "2025-06-21", "2025-11-01"},
    {"2026-04-05", "2026-06-20", "2026-10-31"}, {"2027-03-28", "2027-06-26", "2027-11-06"},
    {"2028-04-16", "2028-06-24", "2028-11-04"}, {"2029-04-01", "2029-06-23", "2029-11-03"},
    {"2030-04-21", "2030-06-22", "2030-11-02"}, {"2031-04-13", "2031-06-21", "2031-11-01"},
    {"2032-03-28", "2032-06-26", "2032-11-06"}, {"2033-04-17", "2033-06-25", "2033-11-05"},
    {"2034-04-09", "2034-06-24", "2034-11-04"}, {"2035-03-25", "2035-06-23", "2035-11-03"},
};

static void test_almanac_2020_2035(void **state)
{
    (void)state;
    for (int i = 0; i < 16; i++) {
        int year = 2020 + i;
        lb_date easter = D(almanac[i].easter);
        assert_int_equal(lb_easter_sunday(year), easter);
        assert_string_equal(lb_holiday_name(easter), "påskdagen");
        assert_string_equal(lb_holiday_name(easter - 2), "långfredagen");
        assert_string_equal(lb_holiday_name(easter + 1), "annandag påsk");
        assert_string_equal(lb_holiday_name(easter + 39), "Kristi himmelsfärdsdag");
        assert_string_equal(lb_holiday_name(easter + 49), "pingstdagen");
        assert_null(lb_holiday_name(easter - 1)); /* påskafton is a Saturday, not listed */
        /* Annandag pingst is no holiday since 2005; in 2022 and 2033 it falls
         * on 6 June, which is one for its own sake. */
        const char *annandag_pingst = lb_holiday_name(easter + 50);
        if (year == 2022 || year == 2033)
            assert_string_equal(annandag_pingst, "Sveriges nationaldag");
        else
            assert_null(annandag_pingst);

        lb_date mids = D(almanac[i].midsommar);
        assert_string_equal(lb_holiday_name(mids), "midsommardagen");
        assert_string_equal(lb_holiday_name(mids - 1), "midsommarafton");
        assert_false(lb_is_working_day(mids - 1)); /* a Friday */
        assert_int_equal(lb_date_weekday(mids - 1), 4);

        lb_date ahd = D(almanac[i].allhelgona);
        assert_string_equal(lb_holiday_name(ahd), "alla helgons dag");
        assert_null(lb_holiday_name(ahd - 1)); /* no eve counted */
        assert_true(lb_is_working_day(ahd - 1));
    }
}

static void test_easter_other_years(void **state)
{
    (void)state;
    /* Almanac values, including the extremes of the Gregorian range. */
    assert_int_equal(lb_easter_sunday(1900), D("1900-04-15"));
    assert_int_equal(lb_easter_sunday(2000), D("2000-04-23"));
    assert_int_equal(lb_easter_sunday(2008), D("2008-03-23"));
    assert_int_equal(lb_easter_sunday(2011), D("2011-04-24"));
    assert_int_equal(lb_easter_sunday(2019), D("2019-04-21"));
    assert_int_equal(lb_easter_sunday(2038), D("2038-04-25")); /* latest possible */
    assert_int_equal(lb_easter_sunday(2285), D("2285-03-22")); /* earliest possible */
    for (int y = 1900; y < 2200; y++) {
        lb_date e = lb_easter_sunday(y);
        assert_int_equal(lb_date_weekday(e), 6);
        assert_true(e >= lb_date_from_ymd(y, 3, 22) && e <= lb_date_from_ymd(y, 4, 25));
    }
}

#define FIX_FIRST_YEAR 2020
#define FIX_LAST_YEAR 2035

/* Reads the fixture into names[] indexed by day - first; returns the row count. */
static int load_fixture(lb_date first, char (*names)[40], size_t ndays)
{
    const char *path = LB_SHARED_DATA "/svenska-helgdagar-2020-2035.csv";
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char line[256];
    int rows = 0;
    if (fgets(line, sizeof line, f) == NULL)
        fail_msg("empty fixture");
    assert_string_equal(line, "datum,namn,slag\n");
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        char *c1 = strchr(line, ',');
        assert_non_null(c1);
        *c1 = '\0';
        char *c2 = strchr(c1 + 1, ',');
        assert_non_null(c2);
        *c2 = '\0';
        const char *kind = c2 + 1;
        assert_true(strcmp(kind, "helgdag") == 0 || strcmp(kind, "afton") == 0);
        lb_date d = D(line);
        assert_true(d >= first && (size_t)(d - first) < ndays);
        assert_true(strlen(c1 + 1) < 40);
        assert_string_equal(names[d - first], ""); /* no date twice */
        strcpy(names[d - first], c1 + 1);
        rows++;
    }
    fclose(f);
    return rows;
}

static void test_fixture_2020_2035(void **state)
{
    (void)state;
    lb_date first = lb_date_from_ymd(FIX_FIRST_YEAR, 1, 1);
    lb_date last = lb_date_from_ymd(FIX_LAST_YEAR, 12, 31);
    size_t ndays = (size_t)(last - first + 1);
    char(*names)[40] = calloc(ndays, sizeof *names);
    assert_non_null(names);
    int rows = load_fixture(first, names, ndays);
    assert_int_equal(rows, 16 * 16);

    int holidays = 0, working = 0;
    for (lb_date d = first; d <= last; d++) {
        const char *want = names[d - first];
        const char *got = lb_holiday_name(d);
        if (want[0] != '\0') {
            if (got == NULL || strcmp(got, want) != 0) {
                char buf[11];
                lb_date_format(d, buf);
                fail_msg("%s: want \"%s\", got \"%s\"", buf, want, got ? got : "(none)");
            }
            assert_false(lb_is_working_day(d));
            holidays++;
        } else {
            if (got != NULL) {
                char buf[11];
                lb_date_format(d, buf);
                fail_msg("%s: not in the fixture but named \"%s\"", buf, got);
            }
            /* Weekdays not in the fixture work; weekends never do. */
            assert_int_equal(lb_is_working_day(d), lb_date_weekday(d) < 5);
            working += lb_is_working_day(d);
        }
    }
    assert_int_equal(holidays, 256);
    /* 2026 alone: 261 weekdays, of which 10 holidays or eves on weekdays
     * (1/1, 6/1, 3/4, 6/4, 1/5, 14/5, 19/6, 24/12, 25/12, 31/12) = 251. */
    int w2026 = lb_working_days_between(D("2025-12-31"), D("2026-12-31"));
    assert_int_equal(w2026, 251);
    assert_true(working > 0);
    free(names);
}

static void test_add_working_days(void **state)
{
    (void)state;
    /* Friday closure, no holidays near: 10 working days on is the Friday two
     * weeks later (2026-02-06 is a Friday). */
    assert_date_eq(lb_add_working_days(D("2026-02-06"), 10), "2026-02-20");
    assert_date_eq(lb_add_working_days(D("2026-02-06"), 1), "2026-02-09");
    assert_date_eq(lb_add_working_days(D("2026-02-09"), 0), "2026-02-09");

    /* Across Christmas and New Year. From Friday 2026-12-18:
     * 21 Mon 1, 22 Tue 2, 23 Wed 3, 24 julafton, 25 juldagen, 26-27 weekend,
     * 28 Mon 4, 29 Tue 5, 30 Wed 6, 31 nyårsafton, 1/1 nyårsdagen, 2-3 weekend,
     * 4 Mon 7, 5 Tue 8, 6 trettondedag jul, 7 Thu 9, 8 Fri 10. */
    assert_date_eq(lb_add_working_days(D("2026-12-18"), 10), "2027-01-08");
    assert_int_equal(lb_working_days_between(D("2026-12-18"), D("2027-01-08")), 10);

    /* Across Easter week 2026 (påskdagen 5 April). From Friday 2026-03-27:
     * 30 Mon 1, 31 Tue 2, 1/4 Wed 3, 2 Thu 4, 3 långfredagen, 4-5 weekend,
     * 6 annandag påsk, 7 Tue 5, 8 Wed 6, 9 Thu 7, 10 Fri 8, 13 Mon 9, 14 Tue 10. */
    assert_date_eq(lb_add_working_days(D("2026-03-27"), 10), "2026-04-14");
    assert_int_equal(lb_working_days_between(D("2026-03-27"), D("2026-04-14")), 10);

    /* Across midsommar 2026 (midsommarafton Friday 19 June). From Wednesday
     * 17 June: 18 Thu 1, 19 afton, 20-21 weekend, 22 Mon 2, 23 Tue 3. */
    assert_date_eq(lb_add_working_days(D("2026-06-17"), 3), "2026-06-23");

    /* Across New Year alone: 30 Dec 2026 (Wed) + 1 skips 31/12, 1/1 and the
     * weekend. */
    assert_date_eq(lb_add_working_days(D("2026-12-30"), 1), "2027-01-04");

    /* Kristi himmelsfärdsdag 2026 is Thursday 14 May; första maj a Friday. */
    assert_date_eq(lb_add_working_days(D("2026-05-13"), 1), "2026-05-15");
    assert_date_eq(lb_add_working_days(D("2026-04-30"), 1), "2026-05-04");

    /* A start date that is itself a holiday: counting starts the day after. */
    assert_date_eq(lb_add_working_days(D("2026-12-25"), 1), "2026-12-28");
    assert_date_eq(lb_add_working_days(D("2026-04-03"), 1), "2026-04-07"); /* långfredagen */
    assert_date_eq(lb_add_working_days(D("2026-06-19"), 2), "2026-06-23"); /* midsommarafton */
    /* n = 0 on a non-working day gives the next working day. */
    assert_date_eq(lb_add_working_days(D("2026-12-24"), 0), "2026-12-28");
    assert_date_eq(lb_add_working_days(D("2026-03-14"), 0), "2026-03-16"); /* Saturday */
    /* Negative n is treated as 0; NONE stays NONE. */
    assert_date_eq(lb_add_working_days(D("2026-03-14"), -5), "2026-03-16");
    assert_int_equal(lb_add_working_days(LB_DATE_NONE, 3), LB_DATE_NONE);
}

static void test_working_days_between(void **state)
{
    (void)state;
    lb_date fri = D("2026-02-06");
    assert_int_equal(lb_working_days_between(fri, fri), 0);
    assert_int_equal(lb_working_days_between(fri, fri - 3), 0);
    assert_int_equal(lb_working_days_between(fri, fri + 1), 0); /* Saturday */
    assert_int_equal(lb_working_days_between(fri, fri + 3), 1); /* Monday */
    assert_int_equal(lb_working_days_between(fri - 1, fri), 1);
    /* Hand-off sent on julafton 2026, acknowledged 28 Dec: 1 working day. */
    assert_int_equal(lb_working_days_between(D("2026-12-24"), D("2026-12-28")), 1);
    assert_int_equal(lb_working_days_between(LB_DATE_NONE, fri), 0);
    assert_int_equal(lb_working_days_between(fri, LB_DATE_NONE), 0);

    /* The two functions are inverses on every start day of 2026 and n 0..25. */
    for (lb_date d = D("2026-01-01"); d <= D("2026-12-31"); d++) {
        for (int n = 1; n <= 25; n++) {
            lb_date t = lb_add_working_days(d, n);
            assert_true(lb_is_working_day(t));
            assert_int_equal(lb_working_days_between(d, t), n);
            assert_int_equal(lb_working_days_between(d, t - 1), n - 1);
        }
    }
}

static void test_holiday_names_outside_fixture(void **state)
{
    (void)state;
    /* 2008: Kristi himmelsfärdsdag fell on första maj; the day is named once. */
    assert_string_equal(lb_holiday_name(D("2008-05-01")), "första maj");
    assert_false(lb_is_working_day(D("2008-05-01")));
    assert_string_equal(lb_holiday_name(D("2019-06-21")), "midsommarafton");
    assert_string_equal(lb_holiday_name(D("2036-11-01")), "alla helgons dag");
    /* Far outside the supported years nothing overflows (UBSan checks this);
     * fixed-date holidays are still named. */
    for (lb_date d = lb_date_from_ymd(-101, 3, 1); d < lb_date_from_ymd(-101, 7, 1); d++)
        (void)lb_is_working_day(d);
    assert_string_equal(lb_holiday_name(lb_date_from_ymd(-101, 12, 25)), "juldagen");
    assert_string_equal(lb_holiday_name(lb_date_from_ymd(9999, 1, 1)), "nyårsdagen");
    assert_int_equal(lb_date_weekday(lb_easter_sunday(9999)), 6);
    assert_null(lb_holiday_name(LB_DATE_NONE));
    assert_false(lb_is_working_day(LB_DATE_NONE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_conversions),
        cmocka_unit_test(test_date_parse_format),
        cmocka_unit_test(test_weekday),
        cmocka_unit_test(test_almanac_2020_2035),
        cmocka_unit_test(test_easter_other_years),
        cmocka_unit_test(test_fixture_2020_2035),
        cmocka_unit_test(test_add_working_days),
        cmocka_unit_test(test_working_days_between),
        cmocka_unit_test(test_holiday_names_outside_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
