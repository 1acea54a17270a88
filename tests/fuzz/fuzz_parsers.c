/* fuzz_parsers.c: libFuzzer target for the text parsers that take user input
 * outside JSON: organisationsnummer (core/domain/orgnr.c), RFC 3339 instants and
 * quarters (core/domain/timeutil.c), calendar dates (core/domain/calendar.c), case numbers
 * (core/domain/records.c), the --units list (core/domain/enums.c) and the query-string
 * reader of the API (api_query and api_page, core/api/api.c).
 *
 * The input is one NUL-terminated string handed to each parser. Besides "no
 * crash", each parser's promise is checked: what parses formats back to
 * something that parses to the same value, a valid orgnr is 10 digits, and a
 * query value is valid UTF-8 without NUL that fits the caller's buffer. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/api.h"
#include "lotsbok/calendar.h"
#include "lotsbok/enums.h"
#include "lotsbok/orgnr.h"
#include "lotsbok/records.h"
#include "lotsbok/timeutil.h"

static void fail(const char *what, const char *input)
{
    fprintf(stderr, "fuzz_parsers: %s (input \"%s\")\n", what, input);
    abort();
}

static void check_orgnr(const char *s)
{
    struct lb_orgnr o;
    if (lb_orgnr_parse(s, &o) != LB_ORGNR_OK)
        return;
    if (strlen(o.digits) != 10 || strspn(o.digits, "0123456789") != 10)
        fail("orgnr accepted but not 10 digits", s);
    char formatted[16];
    lb_orgnr_format(o.digits, formatted);
    struct lb_orgnr again;
    if (lb_orgnr_parse(o.digits, &again) != LB_ORGNR_OK || strcmp(again.digits, o.digits) != 0)
        fail("orgnr digits do not parse back", s);
    if (lb_orgnr_parse(formatted, &again) != LB_ORGNR_OK || strcmp(again.digits, o.digits) != 0)
        fail("formatted orgnr does not parse back", s);
    (void)lb_orgnr_group_name(o.group);
}

static void check_time(const char *s)
{
    lb_time t;
    if (lb_time_parse_rfc3339(s, &t) != 0)
        return;
    char buf[64];
    lb_time_format_rfc3339(t, buf);
    lb_time again;
    if (lb_time_parse_rfc3339(buf, &again) != 0 || again != t)
        fail("formatted instant does not parse back", s);
    lb_date d = lb_stockholm_date(t);
    int y, q;
    lb_date_quarter(d, &y, &q);
    (void)lb_is_working_day(d);
}

static void check_date(const char *s)
{
    lb_date d;
    if (lb_date_parse(s, &d) != 0)
        return;
    char buf[16];
    lb_date_format(d, buf);
    lb_date again;
    if (lb_date_parse(buf, &again) != 0 || again != d)
        fail("formatted date does not parse back", s);
    (void)lb_holiday_name(d);
    (void)lb_add_working_days(d, 10);
}

static void check_quarter(const char *s)
{
    int y, q;
    if (lb_quarter_parse(s, &y, &q) != 0)
        return;
    if (q < 1 || q > 4)
        fail("quarter out of 1..4", s);
    char buf[32];
    lb_quarter_format(y, q, buf);
    int y2, q2;
    if (lb_quarter_parse(buf, &y2, &q2) != 0 || y2 != y || q2 != q)
        fail("formatted quarter does not parse back", s);
    lb_date first, last;
    lb_quarter_range(y, q, &first, &last);
    if (first > last)
        fail("quarter range inverted", s);
}

static void check_query(const char *s)
{
    static const char *const keys[] = {"limit", "after", "q", "orgnr", "status", "due_before"};
    lb_http_req http;
    memset(&http, 0, sizeof http);
    http.query = s;
    http.path = "/api/v1/cases";
    struct lb_api_req r;
    memset(&r, 0, sizeof r);
    r.http = &http;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char buf[24];
        int rc = api_query(&r, keys[i], buf, sizeof buf);
        if (rc == 1 && strlen(buf) >= sizeof buf)
            fail("query value overflows its buffer", s);
    }
    struct lb_page p;
    static lb_id ids[500];
    memset(&r, 0, sizeof r);
    r.http = &http;
    if (api_page(&r, &p, ids) == 0 && (p.limit < 1 || p.limit > 500))
        fail("page limit outside 1..500", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_orgnr(s);
    check_time(s);
    check_date(s);
    check_quarter(s);
    uint16_t year;
    uint32_t serial;
    (void)lb_case_number_parse(s, &year, &serial);
    struct lb_units u;
    (void)lb_units_parse(&u, s);
    check_query(s);
    free(s);
    return 0;
}
