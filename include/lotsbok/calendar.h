/* calendar.h: the Swedish working-day calendar.
 *
 * Dates are lb_date, days since 1970-01-01 (proleptic Gregorian). Non-working
 * days are Saturdays, Sundays, the public holidays of lag (1989:253) and
 * midsommarafton, julafton and nyårsafton (lag 1930:173 moves deadlines off
 * them too). Easter follows the Gregorian computus. Pure functions, no tables
 * loaded at run time; valid for years 1900-2199. */
#ifndef LOTSBOK_CALENDAR_H
#define LOTSBOK_CALENDAR_H

#include <stdbool.h>

#include "lotsbok/records.h"

/* Civil date <-> lb_date. lb_date_from_ymd returns LB_DATE_NONE for an
 * impossible date (month 13, 30 February). */
lb_date lb_date_from_ymd(int year, int month, int day);
void lb_date_to_ymd(lb_date d, int *year, int *month, int *day);

/* "2026-03-14" <-> lb_date. Parse returns 0 or LB_EINVAL (strict format,
 * real dates only). Format writes 11 bytes including the NUL. */
int lb_date_parse(const char *s, lb_date *out);
void lb_date_format(lb_date d, char *buf);

/* 0 Monday .. 6 Sunday. */
int lb_date_weekday(lb_date d);

/* Easter Sunday of a year. */
lb_date lb_easter_sunday(int year);

/* The Swedish name of the holiday or eve on d ("långfredagen"), or NULL. */
const char *lb_holiday_name(lb_date d);

bool lb_is_working_day(lb_date d);

/* The date n working days after d (n >= 0; n = 0 gives d itself when d is a
 * working day, else the next working day). Counting starts the day after d:
 * 10 working days after a Friday closure is a Friday two weeks on, absent
 * holidays. */
lb_date lb_add_working_days(lb_date d, int n);

/* Working days in (from, to]: how many working days after `from` it takes to
 * reach `to`. 0 when to <= from. */
int lb_working_days_between(lb_date from, lb_date to);

#endif
