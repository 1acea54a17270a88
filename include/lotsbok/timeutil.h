/* timeutil.h: instants, RFC 3339, and the Europe/Stockholm calendar.
 *
 * An instant is lb_time (ms since the Unix epoch, UTC). Stockholm's local
 * date is computed with the EU rule (CET, CEST from the last Sunday of March
 * 01:00 UTC to the last Sunday of October 01:00 UTC), not with the process's
 * TZ, so results do not depend on the machine's configuration. */
#ifndef LOTSBOK_TIMEUTIL_H
#define LOTSBOK_TIMEUTIL_H

#include <stddef.h>

#include "lotsbok/records.h"

/* Parses "2026-03-14T09:30:00Z", "2026-03-14T10:30:00+01:00", with optional
 * fractional seconds (kept to the millisecond) and lower-case t/z. Returns 0
 * or LB_EINVAL. */
int lb_time_parse_rfc3339(const char *s, lb_time *out);

/* Formats as UTC "2026-03-14T09:30:00Z" (with ".123" when ms != 0) into buf
 * of at least 32 bytes. */
void lb_time_format_rfc3339(lb_time t, char *buf);

/* The current time (CLOCK_REALTIME), unless overridden: the environment
 * variable LOTSBOK_NOW (RFC 3339) fixes the clock for tests. Read in this one
 * place. */
lb_time lb_time_now(void);

/* Offset of Europe/Stockholm from UTC at instant t, in seconds (3600 or 7200). */
int lb_stockholm_offset(lb_time t);

/* The Stockholm calendar date of instant t. */
lb_date lb_stockholm_date(lb_time t);

/* Quarter of a date: year and 1..4. "2026-Q1" formatting and parsing. */
void lb_date_quarter(lb_date d, int *year, int *quarter);
void lb_quarter_format(int year, int quarter, char *buf); /* buf >= 8 */
int lb_quarter_parse(const char *s, int *year, int *quarter);

/* The first and last date of a quarter. */
void lb_quarter_range(int year, int quarter, lb_date *first, lb_date *last);

#endif
