/* fuzz_parse.c: libFuzzer target for the text parsers that take user input:
 * organisationsnummer, RFC 3339 instants, calendar dates, quarters and case
 * numbers. Each must return an error or a value, never crash; what parses
 * must survive a round trip through its formatter. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/calendar.h"
#include "lotsbok/orgnr.h"
#include "lotsbok/records.h"
#include "lotsbok/timeutil.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    struct lb_orgnr o;
    if (lb_orgnr_parse(s, &o) == LB_ORGNR_OK) {
        struct lb_orgnr again;
        CHECK(strlen(o.digits) == 10);
        CHECK(lb_orgnr_parse(o.digits, &again) == LB_ORGNR_OK);
        CHECK(strcmp(again.digits, o.digits) == 0 && again.personnummer == o.personnummer);
    }

    lb_time t;
    if (lb_time_parse_rfc3339(s, &t) == 0) {
        char buf[40];
        lb_time back;
        lb_time_format_rfc3339(t, buf);
        CHECK(lb_time_parse_rfc3339(buf, &back) == 0 && back == t);
        (void)lb_stockholm_date(t);
    }

    lb_date d;
    if (lb_date_parse(s, &d) == 0) {
        char buf[16];
        lb_date back;
        lb_date_format(d, buf);
        CHECK(lb_date_parse(buf, &back) == 0 && back == d);
        (void)lb_add_working_days(d, 10);
    }

    int year, quarter;
    if (lb_quarter_parse(s, &year, &quarter) == 0)
        CHECK(quarter >= 1 && quarter <= 4);

    uint16_t cy;
    uint32_t serial;
    if (lb_case_number_parse(s, &cy, &serial) == 0)
        CHECK(serial > 0);

    free(s);
    return 0;
}
