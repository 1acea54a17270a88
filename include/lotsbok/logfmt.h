/* logfmt.h: log lines in logfmt, every value escaped in one place.
 *
 * lotsd's log lines are `ts=… level=… msg="…" key=value …` on stderr. Values
 * may come from clients (a login's username, a header), so each is written by
 * lb_logfmt_value: bare when it is safe bare, otherwise quoted with '"' and
 * '\' escaped and every control or non-ASCII byte written as \n, \r, \t or
 * \xHH. A value can therefore never end its line, start a field of its own or
 * break out of its quotes, and a log line is always one line of printable
 * ASCII. A line is built in a struct lb_logfmt (fixed size, truncated, never
 * overflowing) and printed whole. */
#ifndef LOTSBOK_LOGFMT_H
#define LOTSBOK_LOGFMT_H

#include <stddef.h>

#define LB_LOGFMT_MAX 1024

struct lb_logfmt {
    char buf[LB_LOGFMT_MAX]; /* "key=value key2=value2", NUL-terminated */
    size_t len;
};

/* Writes v (NULL is written as "-") as one logfmt value into out (cap >= 4
 * bytes), NUL-terminated; a value that does not fit is cut, its quotes
 * still closed. Returns the length written. */
size_t lb_logfmt_value(char *out, size_t cap, const char *v);

/* Starts an empty field list. */
void lb_logfmt_init(struct lb_logfmt *l);
/* Appends " key=value" (no space before the first), the value escaped. The
 * key is the caller's constant. A field that does not fit is left out. */
void lb_logfmt_str(struct lb_logfmt *l, const char *key, const char *value);
void lb_logfmt_int(struct lb_logfmt *l, const char *key, long long value);

/* One whole line into out: "ts=TS level=LEVEL msg=\"MSG\" FIELDS" with msg
 * escaped like any value and always quoted, ending "\n" (fields may be
 * NULL). ts is the caller's RFC 3339 time. Returns the length. */
size_t lb_logfmt_line(char *out, size_t cap, const char *ts, const char *level, const char *msg,
                      const struct lb_logfmt *fields);

#endif
