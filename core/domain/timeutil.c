/* timeutil.c: instants, RFC 3339, and the Europe/Stockholm calendar (timeutil.h).
 *
 * Instants are milliseconds since the Unix epoch (UTC). Parsing is strict
 * RFC 3339 "date-time": "YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM)", with
 * lower-case t and z allowed, nothing before or after. Fractional seconds are
 * truncated to the millisecond (at most 9 digits accepted). A leap second
 * (:60) is rejected: nothing in Lotsbok needs one and the epoch count cannot
 * represent it.
 *
 * Stockholm's offset uses the EU summer-time rule directly (CEST from the last
 * Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC, CET
 * otherwise), so no tzdata or TZ setting is consulted. The rule has been in
 * force since 1996; earlier instants get it too, which is wrong for history
 * but irrelevant to the system's data. */
#include "lotsbok/timeutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"

#define MS_PER_DAY INT64_C(86400000)
/* Instants beyond about a million years either way (including LB_TIME_NONE)
 * are outside the calendar; checked before any arithmetic that could overflow. */
#define TIME_LIMIT (INT64_C(1) << 55)

static int in_range(lb_time t)
{
    return t > -TIME_LIMIT && t < TIME_LIMIT;
}

/* Floor division for possibly negative instants. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Checks that s has at least n characters, without reading past its NUL. */
static int has_len(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0')
            return 0;
    }
    return 1;
}

int lb_time_parse_rfc3339(const char *s, lb_time *out)
{
    if (s == NULL || !has_len(s, 19))
        return LB_EINVAL;
    if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return LB_EINVAL;
    int year = num(s, 4), mon = num(s + 5, 2), day = num(s + 8, 2);
    int hour = num(s + 11, 2), min = num(s + 14, 2), sec = num(s + 17, 2);
    if (year < 0 || mon < 0 || day < 0 || hour < 0 || min < 0 || sec < 0)
        return LB_EINVAL;
    if (hour > 23 || min > 59 || sec > 59)
        return LB_EINVAL;
    lb_date date = lb_date_from_ymd(year, mon, day);
    if (date == LB_DATE_NONE)
        return LB_EINVAL;

    const char *p = s + 19;
    int ms = 0;
    if (*p == '.') {
        p++;
        int ndig = 0;
        while (*p >= '0' && *p <= '9') {
            if (ndig < 3)
                ms = ms * 10 + (*p - '0');
            ndig++;
            p++;
        }
        if (ndig == 0 || ndig > 9)
            return LB_EINVAL;
        for (int i = ndig; i < 3; i++)
            ms *= 10;
    }

    int offset_min;
    if (*p == 'Z' || *p == 'z') {
        offset_min = 0;
        p++;
    } else if (*p == '+' || *p == '-') {
        if (!has_len(p, 6) || p[3] != ':')
            return LB_EINVAL;
        int oh = num(p + 1, 2), om = num(p + 4, 2);
        if (oh < 0 || om < 0 || oh > 23 || om > 59)
            return LB_EINVAL;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return LB_EINVAL; /* missing offset */
    }
    if (*p != '\0')
        return LB_EINVAL;

    int64_t secs = (int64_t)date * 86400 + hour * 3600 + min * 60 + sec - offset_min * 60;
    *out = secs * 1000 + ms;
    return 0;
}

/* Writes v as exactly n decimal digits (v < 10^n). */
static char *put_digits(char *p, int v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

/* Digits by hand rather than snprintf: every record's created_at and
 * updated_at pass through here on every answer, and snprintf's format
 * interpretation was about a tenth of GET /cases/{id}'s CPU. */
void lb_time_format_rfc3339(lb_time t, char *buf)
{
    /* An answer's instants mostly fall on a few days: the last day's
     * "YYYY-MM-DD" is kept per thread. */
    static _Thread_local int64_t memo_days = INT64_MIN;
    static _Thread_local char memo[10];
    if (!in_range(t)) {
        buf[0] = '\0';
        return;
    }
    int64_t days = floor_div(t, MS_PER_DAY);
    int64_t rem = t - days * MS_PER_DAY;
    int ms = (int)(rem % 1000);
    int secs = (int)(rem / 1000);
    if (days != memo_days) {
        int y, m, d;
        lb_date_to_ymd((lb_date)days, &y, &m, &d);
        if (y < 0 || y > 9999) { /* not RFC 3339 any more; the general path */
            int n = snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, secs / 3600,
                             secs / 60 % 60, secs % 60);
            if (n < 0 || n >= 32)
                buf[0] = '\0';
            else
                snprintf(buf + n, (size_t)(32 - n), ms != 0 ? ".%03dZ" : "Z", ms);
            return;
        }
        char *p = put_digits(memo, y, 4);
        *p++ = '-';
        p = put_digits(p, m, 2);
        *p++ = '-';
        put_digits(p, d, 2);
        memo_days = days;
    }
    memcpy(buf, memo, 10);
    char *p = buf + 10;
    *p++ = 'T';
    p = put_digits(p, secs / 3600, 2);
    *p++ = ':';
    p = put_digits(p, secs / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, secs % 60, 2);
    if (ms != 0) {
        *p++ = '.';
        p = put_digits(p, ms, 3);
    }
    *p++ = 'Z';
    *p = '\0';
}

/* LOTSBOK_NOW, when set to a valid RFC 3339 instant, fixes the clock; an
 * unparsable value is ignored (the real clock is used) rather than failing,
 * since there is no error path here. */
lb_time lb_time_now(void)
{
    const char *fixed = getenv("LOTSBOK_NOW");
    if (fixed != NULL && fixed[0] != '\0') {
        lb_time t;
        if (lb_time_parse_rfc3339(fixed, &t) == 0)
            return t;
    }
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (lb_time)time(NULL) * 1000;
    return (lb_time)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The instant (ms) of 01:00 UTC on the last Sunday of month (31 days long). */
static lb_time last_sunday_0100(int year, int month)
{
    lb_date last = lb_date_from_ymd(year, month, 31);
    lb_date sunday = last - (lb_date_weekday(last) + 1) % 7;
    return (lb_time)sunday * MS_PER_DAY + 3600 * 1000;
}

int lb_stockholm_offset(lb_time t)
{
    if (!in_range(t))
        return 3600;
    int64_t days = floor_div(t, MS_PER_DAY);
    int y, m, d;
    lb_date_to_ymd((lb_date)days, &y, &m, &d);
    if (m < 3 || m > 10)
        return 3600;
    if (t >= last_sunday_0100(y, 3) && t < last_sunday_0100(y, 10))
        return 7200;
    return 3600;
}

lb_date lb_stockholm_date(lb_time t)
{
    if (!in_range(t))
        return LB_DATE_NONE;
    return (lb_date)floor_div(t + (int64_t)lb_stockholm_offset(t) * 1000, MS_PER_DAY);
}

void lb_date_quarter(lb_date d, int *year, int *quarter)
{
    int y, m, dd;
    lb_date_to_ymd(d, &y, &m, &dd);
    *year = y;
    *quarter = (m - 1) / 3 + 1;
}

/* "2026-Q1"; a year outside 0-9999 or a quarter outside 1-4 gives "". */
void lb_quarter_format(int year, int quarter, char *buf)
{
    if (year < 0 || year > 9999 || quarter < 1 || quarter > 4) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, 8, "%04d-Q%d", year, quarter);
}

/* Accepts exactly "YYYY-Qn" with n in 1-4 (upper-case Q). */
int lb_quarter_parse(const char *s, int *year, int *quarter)
{
    if (s == NULL || !has_len(s, 7) || s[7] != '\0' || s[4] != '-' || s[5] != 'Q')
        return LB_EINVAL;
    int y = num(s, 4), q = num(s + 6, 1);
    if (y < 0 || q < 1 || q > 4)
        return LB_EINVAL;
    *year = y;
    *quarter = q;
    return 0;
}

/* An invalid quarter gives LB_DATE_NONE for both ends. */
void lb_quarter_range(int year, int quarter, lb_date *first, lb_date *last)
{
    if (quarter < 1 || quarter > 4) {
        *first = *last = LB_DATE_NONE;
        return;
    }
    int m0 = (quarter - 1) * 3 + 1;
    static const int last_day[4] = {31, 30, 30, 31}; /* of March, June, September, December */
    *first = lb_date_from_ymd(year, m0, 1);
    *last = lb_date_from_ymd(year, m0 + 2, last_day[quarter - 1]);
    if (*first == LB_DATE_NONE || *last == LB_DATE_NONE)
        *first = *last = LB_DATE_NONE;
}
