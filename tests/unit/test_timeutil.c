/* test_timeutil.c: RFC 3339, LOTSBOK_NOW, Stockholm dates across DST and year
 * ends, quarters.
 *
 * Epoch values were computed outside this code (Python's datetime) and are
 * written as literals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"

#define T_20260314_0930Z INT64_C(1773480600000)
#define T_20260329_0100Z INT64_C(1774746000000) /* CET -> CEST */
#define T_20261025_0100Z INT64_C(1792890000000) /* CEST -> CET */
#define T_20251231_2330Z INT64_C(1767223800000)
#define HOUR INT64_C(3600000)

static lb_time P(const char *s)
{
    lb_time t = 0;
    if (lb_time_parse_rfc3339(s, &t) != 0)
        fail_msg("test instant %s does not parse", s);
    return t;
}

static void assert_sthlm_date(lb_time t, const char *want)
{
    char buf[11];
    lb_date_format(lb_stockholm_date(t), buf);
    assert_string_equal(buf, want);
}

static void test_parse_accepts(void **state)
{
    (void)state;
    assert_int_equal(P("2026-03-14T09:30:00Z"), T_20260314_0930Z);
    assert_int_equal(P("2026-03-14t09:30:00z"), T_20260314_0930Z);
    assert_int_equal(P("2026-03-14T10:30:00+01:00"), T_20260314_0930Z);
    assert_int_equal(P("2026-03-14T11:30:00+02:00"), T_20260314_0930Z);
    assert_int_equal(P("2026-03-14T04:30:00-05:00"), T_20260314_0930Z);
    assert_int_equal(P("2026-03-14T09:30:00+00:00"), T_20260314_0930Z);
    assert_int_equal(P("2026-03-14T09:30:00-00:00"), T_20260314_0930Z);
    /* An offset carrying the instant into the previous UTC day. */
    assert_int_equal(P("2026-03-15T00:30:00+15:00"), T_20260314_0930Z);
    assert_int_equal(P("2026-03-14T05:00:00-04:30"), T_20260314_0930Z);

    /* Fractions are kept to the millisecond, extra digits truncated. */
    assert_int_equal(P("2026-03-14T09:30:00.1Z"), T_20260314_0930Z + 100);
    assert_int_equal(P("2026-03-14T09:30:00.12Z"), T_20260314_0930Z + 120);
    assert_int_equal(P("2026-03-14T09:30:00.123Z"), T_20260314_0930Z + 123);
    assert_int_equal(P("2026-03-14T09:30:00.123999Z"), T_20260314_0930Z + 123);
    assert_int_equal(P("2026-03-14T09:30:00.999999999Z"), T_20260314_0930Z + 999);
    assert_int_equal(P("2026-03-14T10:30:00.5+01:00"), T_20260314_0930Z + 500);

    assert_int_equal(P("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(P("1969-12-31T23:59:59.999Z"), -1);
    assert_int_equal(P("2024-02-29T12:00:00Z") - P("2024-02-28T12:00:00Z"), 24 * HOUR);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "2026-02-30T00:00:00Z", /* impossible date */
        "2025-02-29T00:00:00Z", /* not a leap year */
        "2026-13-01T00:00:00Z",
        "2026-03-14T24:00:00Z", /* hour 24 */
        "2026-03-14T09:60:00Z",
        "2026-03-14T09:30:60Z",     /* leap second */
        "2026-03-14T09:30:00",      /* missing offset */
        "2026-03-14T09:30:00Zjunk", /* trailing garbage */
        "2026-03-14T09:30:00Z ",
        " 2026-03-14T09:30:00Z",
        "2026-03-14T09:30:00+01:00x",
        "2026-03-14 09:30:00Z", /* space for T */
        "2026-03-14T09:30Z",    /* no seconds */
        "2026-03-14T9:30:00Z",
        "2026-03-14T09:30:00+0100", /* offset without colon */
        "2026-03-14T09:30:00+01",
        "2026-03-14T09:30:00+24:00",
        "2026-03-14T09:30:00+01:60",
        "2026-03-14T09:30:00.Z", /* empty fraction */
        "2026-03-14T09:30:00.1234567890Z",
        "2026-03-14T09:30:00,5Z",
        "2026-03-14",
        "2026-03-14T",
        "",
        "now",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lb_time t = 42;
        if (lb_time_parse_rfc3339(bad[i], &t) != LB_EINVAL)
            fail_msg("accepted bad instant \"%s\"", bad[i]);
        assert_int_equal(t, 42);
    }
    lb_time t;
    assert_int_equal(lb_time_parse_rfc3339(NULL, &t), LB_EINVAL);
}

static void test_format(void **state)
{
    (void)state;
    char buf[32];
    lb_time_format_rfc3339(T_20260314_0930Z, buf);
    assert_string_equal(buf, "2026-03-14T09:30:00Z");
    lb_time_format_rfc3339(T_20260314_0930Z + 7, buf);
    assert_string_equal(buf, "2026-03-14T09:30:00.007Z");
    lb_time_format_rfc3339(0, buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    lb_time_format_rfc3339(-1, buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    lb_time_format_rfc3339(P("2026-03-14T10:30:00.250+01:00"), buf);
    assert_string_equal(buf, "2026-03-14T09:30:00.250Z");
    lb_time_format_rfc3339(LB_TIME_NONE, buf);
    assert_string_equal(buf, "");

    /* Round trip over a spread of instants, ms included. */
    for (lb_time t = -INT64_C(86400000) * 400; t < INT64_C(4102444800000);
         t += INT64_C(7777777777) + 13) {
        lb_time_format_rfc3339(t, buf);
        assert_int_equal(P(buf), t);
    }
    /* Many instants a day, across midnights and back (the formatter keeps
     * the last day's date). */
    for (lb_time t = T_20260314_0930Z - INT64_C(86400000) * 3;
         t < T_20260314_0930Z + INT64_C(86400000) * 3; t += INT64_C(997123)) {
        lb_time_format_rfc3339(t, buf);
        assert_int_equal(P(buf), t);
        lb_time_format_rfc3339(t - INT64_C(86400000), buf);
        assert_int_equal(P(buf), t - INT64_C(86400000));
    }
}

static void test_now(void **state)
{
    (void)state;
    assert_int_equal(setenv("LOTSBOK_NOW", "2026-03-14T10:30:00+01:00", 1), 0);
    assert_int_equal(lb_time_now(), T_20260314_0930Z);
    assert_int_equal(setenv("LOTSBOK_NOW", "2026-03-14T09:30:00.5Z", 1), 0);
    assert_int_equal(lb_time_now(), T_20260314_0930Z + 500);

    /* Unset or unparsable: the real clock. */
    assert_int_equal(unsetenv("LOTSBOK_NOW"), 0);
    lb_time real = (lb_time)time(NULL) * 1000;
    lb_time now = lb_time_now();
    assert_true(now >= real - 2000 && now <= real + 5000);
    assert_int_equal(setenv("LOTSBOK_NOW", "yesterday", 1), 0);
    now = lb_time_now();
    assert_true(now >= real - 2000 && now <= real + 5000);
    assert_int_equal(unsetenv("LOTSBOK_NOW"), 0);
}

static void test_dst_2026(void **state)
{
    (void)state;
    /* Spring: 2026-03-29 01:00 UTC, 02:00 CET becomes 03:00 CEST. */
    assert_int_equal(P("2026-03-29T01:00:00Z"), T_20260329_0100Z);
    assert_int_equal(lb_stockholm_offset(T_20260329_0100Z - 1), 3600);
    assert_int_equal(lb_stockholm_offset(T_20260329_0100Z), 7200);
    assert_int_equal(lb_stockholm_offset(P("2026-03-28T12:00:00Z")), 3600);
    /* Autumn: 2026-10-25 01:00 UTC, 03:00 CEST becomes 02:00 CET. */
    assert_int_equal(P("2026-10-25T01:00:00Z"), T_20261025_0100Z);
    assert_int_equal(lb_stockholm_offset(T_20261025_0100Z - 1), 7200);
    assert_int_equal(lb_stockholm_offset(T_20261025_0100Z), 3600);
    assert_int_equal(lb_stockholm_offset(P("2026-07-01T00:00:00Z")), 7200);
    assert_int_equal(lb_stockholm_offset(P("2026-01-15T00:00:00Z")), 3600);
    assert_int_equal(lb_stockholm_offset(P("2026-11-15T00:00:00Z")), 3600);

    /* Local midnight moves with the offset. */
    assert_sthlm_date(P("2026-03-28T22:59:59Z"), "2026-03-28"); /* 23:59:59 CET */
    assert_sthlm_date(P("2026-03-28T23:00:00Z"), "2026-03-29"); /* 00:00 CET */
    assert_sthlm_date(P("2026-03-29T21:59:59Z"), "2026-03-29"); /* 23:59:59 CEST */
    assert_sthlm_date(P("2026-03-29T22:00:00Z"), "2026-03-30"); /* 00:00 CEST */
    assert_sthlm_date(P("2026-10-24T21:59:59Z"), "2026-10-24"); /* 23:59:59 CEST */
    assert_sthlm_date(P("2026-10-24T22:00:00Z"), "2026-10-25"); /* 00:00 CEST */
    assert_sthlm_date(P("2026-10-25T22:59:59Z"), "2026-10-25"); /* 23:59:59 CET */
    assert_sthlm_date(P("2026-10-25T23:00:00Z"), "2026-10-26");
    /* A Stockholm wall-clock time written with its own offset keeps its date. */
    assert_sthlm_date(P("2026-10-25T00:30:00+02:00"), "2026-10-25");
    assert_sthlm_date(P("2026-10-25T23:30:00+01:00"), "2026-10-25");
    assert_sthlm_date(P("2026-03-29T00:30:00+01:00"), "2026-03-29");
}

static void test_dst_rule_all_years(void **state)
{
    (void)state;
    /* Known switch dates from the almanac. */
    assert_int_equal(lb_stockholm_offset(P("2025-03-30T01:00:00Z")), 7200);
    assert_int_equal(lb_stockholm_offset(P("2025-03-30T00:59:59Z")), 3600);
    assert_int_equal(lb_stockholm_offset(P("2025-10-26T01:00:00Z")), 3600);
    assert_int_equal(lb_stockholm_offset(P("2025-10-26T00:59:59Z")), 7200);
    assert_int_equal(lb_stockholm_offset(P("2027-03-28T01:00:00Z")), 7200);
    assert_int_equal(lb_stockholm_offset(P("2027-10-31T00:59:59Z")), 7200);
    assert_int_equal(lb_stockholm_offset(P("2027-10-31T01:00:00Z")), 3600);

    /* Hour by hour over 2020-2035: exactly two switches a year, each at 01:00
     * UTC on the last Sunday of March (to +2) or October (to +1). */
    lb_time start = P("2020-01-01T00:00:00Z"), end = P("2036-01-01T00:00:00Z");
    int prev = lb_stockholm_offset(start), switches = 0;
    assert_int_equal(prev, 3600);
    for (lb_time t = start + HOUR; t < end; t += HOUR) {
        int off = lb_stockholm_offset(t);
        assert_true(off == 3600 || off == 7200);
        if (off == prev)
            continue;
        switches++;
        lb_date day = (lb_date)(t / (24 * HOUR));
        int y, m, d;
        lb_date_to_ymd(day, &y, &m, &d);
        assert_int_equal(t % (24 * HOUR), HOUR);
        assert_int_equal(lb_date_weekday(day), 6);
        assert_true(d + 7 > 31);
        assert_int_equal(m, off == 7200 ? 3 : 10);
        assert_int_equal(lb_stockholm_offset(t - 1), prev);
        prev = off;
    }
    assert_int_equal(switches, 32);
}

static void test_year_end_and_quarters(void **state)
{
    (void)state;
    int y, q;
    /* 2025-12-31T23:30Z is 00:30 on New Year's Day in Stockholm: Q1 2026. */
    assert_int_equal(P("2025-12-31T23:30:00Z"), T_20251231_2330Z);
    assert_sthlm_date(T_20251231_2330Z, "2026-01-01");
    lb_date_quarter(lb_stockholm_date(T_20251231_2330Z), &y, &q);
    assert_int_equal(y, 2026);
    assert_int_equal(q, 1);
    /* Half an hour before local midnight it is still Q4 2025. */
    assert_sthlm_date(P("2025-12-31T22:59:59.999Z"), "2025-12-31");
    lb_date_quarter(lb_stockholm_date(P("2025-12-31T22:59:59.999Z")), &y, &q);
    assert_int_equal(y, 2025);
    assert_int_equal(q, 4);
    /* Quarter ends in summer time: 22:00Z on 31 March/30 June is already the
     * next day. */
    lb_date_quarter(lb_stockholm_date(P("2026-03-31T21:59:59Z")), &y, &q);
    assert_int_equal(q, 1);
    lb_date_quarter(lb_stockholm_date(P("2026-03-31T22:00:00Z")), &y, &q);
    assert_int_equal(q, 2);
    lb_date_quarter(lb_stockholm_date(P("2026-06-30T22:00:00Z")), &y, &q);
    assert_int_equal(q, 3);
    lb_date_quarter(lb_stockholm_date(P("2026-09-30T21:59:00Z")), &y, &q);
    assert_int_equal(q, 3);
    lb_date_quarter(lb_stockholm_date(P("2026-09-30T22:00:00Z")), &y, &q);
    assert_int_equal(q, 4);
    assert_int_equal(lb_stockholm_date(LB_TIME_NONE), LB_DATE_NONE);
}

static void test_quarter_format_parse_range(void **state)
{
    (void)state;
    char buf[8];
    lb_quarter_format(2026, 1, buf);
    assert_string_equal(buf, "2026-Q1");
    lb_quarter_format(2035, 4, buf);
    assert_string_equal(buf, "2035-Q4");
    lb_quarter_format(2026, 5, buf);
    assert_string_equal(buf, "");

    int y = 0, q = 0;
    assert_int_equal(lb_quarter_parse("2026-Q3", &y, &q), 0);
    assert_int_equal(y, 2026);
    assert_int_equal(q, 3);
    const char *bad[] = {"2026-Q0", "2026-Q5", "2026Q1",   "2026-q1", "2026-Q1 ", "26-Q1",
                         "2026-Q",  "2026-1",  "2026-Q12", "",        "x026-Q1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        y = q = -7;
        if (lb_quarter_parse(bad[i], &y, &q) != LB_EINVAL)
            fail_msg("accepted bad quarter \"%s\"", bad[i]);
        assert_int_equal(y, -7);
        assert_int_equal(q, -7);
    }
    assert_int_equal(lb_quarter_parse(NULL, &y, &q), LB_EINVAL);

    lb_date first, last;
    char a[11], b[11];
    const struct {
        int year, quarter;
        const char *first, *last;
    } ranges[] = {
        {2026, 1, "2026-01-01", "2026-03-31"}, {2026, 2, "2026-04-01", "2026-06-30"},
        {2026, 3, "2026-07-01", "2026-09-30"}, {2026, 4, "2026-10-01", "2026-12-31"},
        {2024, 1, "2024-01-01", "2024-03-31"},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        lb_quarter_range(ranges[i].year, ranges[i].quarter, &first, &last);
        lb_date_format(first, a);
        lb_date_format(last, b);
        assert_string_equal(a, ranges[i].first);
        assert_string_equal(b, ranges[i].last);
        /* Every date of the range maps back to the quarter. */
        for (lb_date d = first; d <= last; d++) {
            lb_date_quarter(d, &y, &q);
            assert_int_equal(y, ranges[i].year);
            assert_int_equal(q, ranges[i].quarter);
        }
        lb_date_quarter(first - 1, &y, &q);
        assert_int_not_equal(q, ranges[i].quarter);
        lb_date_quarter(last + 1, &y, &q);
        assert_int_not_equal(q, ranges[i].quarter);
    }
    lb_quarter_range(2026, 0, &first, &last);
    assert_int_equal(first, LB_DATE_NONE);
    assert_int_equal(last, LB_DATE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_now),
        cmocka_unit_test(test_dst_2026),
        cmocka_unit_test(test_dst_rule_all_years),
        cmocka_unit_test(test_year_end_and_quarters),
        cmocka_unit_test(test_quarter_format_parse_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
