/* calendar.c: the Swedish working-day calendar (calendar.h).
 *
 * Dates are counted in days since 1970-01-01 in the proleptic Gregorian
 * calendar; the conversions are Howard Hinnant's days_from_civil and
 * civil_from_days, which work in 400-year eras so they need no tables and no
 * special cases for negative dates.
 *
 * Holidays are computed, never loaded: the fixed ones from the date, the
 * movable ones from Easter Sunday (Gregorian computus, the "anonymous"
 * Meeus/Jones/Butcher algorithm), midsommardagen as the Saturday in 20-26 June
 * and alla helgons dag as the Saturday in 31 October - 6 November (lag
 * 1989:253). Midsommarafton, julafton and nyårsafton are not public holidays
 * in law but are treated as non-working days (lag 1930:173 moves deadlines
 * off them), so lb_holiday_name names them too.
 *
 * Counting working days walks day by day. That is O(days) but each step is a
 * handful of integer operations plus one Easter computation, and the spans the
 * system counts (follow-up delays, hand-off handling times) are weeks, not
 * centuries. */
#include "lotsbok/calendar.h"

#include <stdint.h>

#include "lotsbok/error.h"

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && is_leap(y))
        return 29;
    return dim[m - 1];
}

/* Days since 1970-01-01 of a valid civil date; 64-bit so no input overflows. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

lb_date lb_date_from_ymd(int year, int month, int day)
{
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return LB_DATE_NONE;
    int64_t days = days_from_civil(year, month, day);
    if (days <= INT32_MIN || days > INT32_MAX)
        return LB_DATE_NONE;
    return (lb_date)days;
}

void lb_date_to_ymd(lb_date d, int *year, int *month, int *day)
{
    int64_t z = (int64_t)d + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    int64_t yy = yoe + era * 400 + (mm <= 2);
    *year = (int)yy;
    *month = (int)mm;
    *day = (int)dd;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Accepts exactly "YYYY-MM-DD" naming a real date; nothing before or after. */
int lb_date_parse(const char *s, lb_date *out)
{
    if (s == NULL)
        return LB_EINVAL;
    for (int i = 0; i < 10; i++) {
        if (s[i] == '\0')
            return LB_EINVAL;
    }
    if (s[10] != '\0' || s[4] != '-' || s[7] != '-')
        return LB_EINVAL;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || m < 0 || d < 0)
        return LB_EINVAL;
    lb_date v = lb_date_from_ymd(y, m, d);
    if (v == LB_DATE_NONE)
        return LB_EINVAL;
    *out = v;
    return 0;
}

/* Writes "YYYY-MM-DD" into buf (11 bytes). A year outside 0-9999 has no such
 * form and gives "" rather than overflowing buf. */
void lb_date_format(lb_date d, char *buf)
{
    int y, m, dd;
    lb_date_to_ymd(d, &y, &m, &dd);
    if (y < 0 || y > 9999) {
        buf[0] = '\0';
        return;
    }
    buf[0] = (char)('0' + y / 1000);
    buf[1] = (char)('0' + y / 100 % 10);
    buf[2] = (char)('0' + y / 10 % 10);
    buf[3] = (char)('0' + y % 10);
    buf[4] = '-';
    buf[5] = (char)('0' + m / 10);
    buf[6] = (char)('0' + m % 10);
    buf[7] = '-';
    buf[8] = (char)('0' + dd / 10);
    buf[9] = (char)('0' + dd % 10);
    buf[10] = '\0';
}

int lb_date_weekday(lb_date d)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0). */
    int64_t w = ((int64_t)d + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* Gregorian computus (Meeus/Jones/Butcher): exact for every Gregorian year. */
lb_date lb_easter_sunday(int year)
{
    int a = year % 19;
    int b = year / 100, c = year % 100;
    int d = b / 4, e = b % 4;
    int f = (b + 8) / 25;
    int g = (b - f + 1) / 3;
    int h = (19 * a + b - d - g + 15) % 30;
    int i = c / 4, k = c % 4;
    int l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    int month = (h + l - 7 * m + 114) / 31;
    int day = (h + l - 7 * m + 114) % 31 + 1;
    return lb_date_from_ymd(year, month, day);
}

/* The Saturday in the seven days starting at year-month-day. */
static lb_date saturday_from(int year, int month, int day)
{
    lb_date first = lb_date_from_ymd(year, month, day);
    return first + (5 - lb_date_weekday(first) + 7) % 7;
}

const char *lb_holiday_name(lb_date d)
{
    if (d == LB_DATE_NONE)
        return NULL;
    int y, m, dd;
    lb_date_to_ymd(d, &y, &m, &dd);

    switch (m * 100 + dd) {
    case 101:
        return "nyårsdagen";
    case 106:
        return "trettondedag jul";
    case 501:
        return "första maj";
    case 606:
        return "Sveriges nationaldag";
    case 1224:
        return "julafton";
    case 1225:
        return "juldagen";
    case 1226:
        return "annandag jul";
    case 1231:
        return "nyårsafton";
    default:
        break;
    }

    if (m >= 3 && m <= 6) {
        lb_date easter = lb_easter_sunday(y);
        switch (easter == LB_DATE_NONE ? INT32_MIN : d - easter) {
        case -2:
            return "långfredagen";
        case 0:
            return "påskdagen";
        case 1:
            return "annandag påsk";
        case 39:
            return "Kristi himmelsfärdsdag";
        case 49:
            return "pingstdagen";
        default:
            break;
        }
    }
    if (m == 6 && dd >= 19 && dd <= 26) {
        lb_date midsommar = saturday_from(y, 6, 20);
        if (d == midsommar)
            return "midsommardagen";
        if (d == midsommar - 1)
            return "midsommarafton";
    }
    if ((m == 10 && dd == 31) || (m == 11 && dd <= 6)) {
        if (d == saturday_from(y, 10, 31))
            return "alla helgons dag";
    }
    return NULL;
}

bool lb_is_working_day(lb_date d)
{
    if (d == LB_DATE_NONE)
        return false;
    return lb_date_weekday(d) < 5 && lb_holiday_name(d) == NULL;
}

/* Walks forward from d; a negative n counts as 0. LB_DATE_NONE stays NONE. */
lb_date lb_add_working_days(lb_date d, int n)
{
    if (d == LB_DATE_NONE)
        return LB_DATE_NONE;
    if (n <= 0) {
        while (!lb_is_working_day(d))
            d++;
        return d;
    }
    while (n > 0) {
        d++;
        if (lb_is_working_day(d))
            n--;
    }
    return d;
}

int lb_working_days_between(lb_date from, lb_date to)
{
    if (from == LB_DATE_NONE || to == LB_DATE_NONE || to <= from)
        return 0;
    int count = 0;
    for (lb_date d = from + 1; d <= to && d > from; d++) {
        if (lb_is_working_day(d))
            count++;
        if (d == INT32_MAX)
            break;
    }
    return count;
}
