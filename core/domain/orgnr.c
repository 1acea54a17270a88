/* orgnr.c: Swedish organisationsnummer and personnummer (orgnr.h).
 *
 * Parsing is one pass that collects the digits and at most one separator,
 * then a classification on the digit count and, for 12 digits, the prefix:
 *   12 digits "16..."      legal person, digits 3-4 of the 10 must be >= 20
 *   12 digits "19"/"20"... personnummer with its century
 *   10 digits, 3-4 >= 20   legal person
 *   10 digits, 3-4 <  20   personnummer; the century is not written, so the
 *                          date must exist in one of the two centuries the
 *                          separator allows (only 29 February depends on it)
 * and finally the Luhn digit over the 10 digits. Each failure has its own
 * code so the API and the web form can say what is wrong. */
#include "lotsbok/orgnr.h"

#include <stddef.h>
#include <string.h>

#include "lotsbok/calendar.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int two(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* Luhn over exactly 10 digits: weights 2,1,2,1,... from the left. */
static bool luhn_ok(const char *ten)
{
    int sum = 0;
    for (int i = 0; i < 10; i++) {
        int v = (ten[i] - '0') * (i % 2 == 0 ? 2 : 1);
        sum += v / 10 + v % 10;
    }
    return sum % 10 == 0;
}

/* Does yymmdd (day possibly + 60) name a real date in one of the centuries? */
static bool person_date_ok(const char *ten, int century_a, int century_b)
{
    int yy = two(ten), month = two(ten + 2), day = two(ten + 4);
    if (day > 60)
        day -= 60; /* samordningsnummer */
    if (lb_date_from_ymd(century_a * 100 + yy, month, day) != LB_DATE_NONE)
        return true;
    return lb_date_from_ymd(century_b * 100 + yy, month, day) != LB_DATE_NONE;
}

int lb_orgnr_parse(const char *s, struct lb_orgnr *out)
{
    memset(out, 0, sizeof *out);
    if (s == NULL)
        return LB_ORGNR_EMPTY;
    const char *start = s, *end = s + strlen(s);
    while (start < end && is_space(*start))
        start++;
    while (end > start && is_space(end[-1]))
        end--;
    if (start == end)
        return LB_ORGNR_EMPTY;

    char dig[13];
    int nd = 0, sep_at = -1;
    char sep = 0;
    for (const char *p = start; p < end; p++) {
        if (*p >= '0' && *p <= '9') {
            if (nd == 12)
                return LB_ORGNR_FORMAT;
            dig[nd++] = *p;
        } else if ((*p == '-' || *p == '+') && sep == 0) {
            sep = *p;
            sep_at = nd;
        } else {
            return LB_ORGNR_FORMAT;
        }
    }
    dig[nd] = '\0';
    if (nd != 10 && nd != 12)
        return LB_ORGNR_FORMAT;
    if (sep != 0 && sep_at != nd - 4)
        return LB_ORGNR_FORMAT;
    if (sep == '+' && nd == 12)
        return LB_ORGNR_FORMAT; /* the century is written; "+" would contradict it */

    const char *ten = dig + (nd - 10);
    int mid = two(ten + 2);
    bool person;
    int century_a = 19, century_b = 20;
    if (nd == 12) {
        int prefix = two(dig);
        if (prefix == 16) {
            if (mid < 20)
                return LB_ORGNR_MIDDLE_DIGITS;
            person = false;
        } else if (prefix == 19 || prefix == 20) {
            if (mid >= 20)
                return LB_ORGNR_PREFIX; /* a legal person's number with a century */
            person = true;
            century_a = century_b = prefix;
        } else {
            return LB_ORGNR_PREFIX;
        }
    } else if (mid >= 20) {
        if (sep == '+')
            return LB_ORGNR_FORMAT;
        person = false;
    } else {
        if (mid < 1 || mid > 12)
            return LB_ORGNR_MIDDLE_DIGITS; /* neither a month nor a legal person */
        person = true;
        if (sep == '+') {
            century_a = 18;
            century_b = 19;
        }
    }

    int group = 0;
    if (person) {
        if (!person_date_ok(ten, century_a, century_b))
            return LB_ORGNR_DATE;
    } else {
        group = ten[0] - '0';
        if (lb_orgnr_group_name(group) == NULL)
            return LB_ORGNR_GROUP;
    }
    if (!luhn_ok(ten))
        return LB_ORGNR_CHECKSUM;

    memcpy(out->digits, ten, 10);
    out->digits[10] = '\0';
    out->personnummer = person;
    out->group = group;
    return LB_ORGNR_OK;
}

const char *lb_orgnr_strerror(int err)
{
    switch (err) {
    case LB_ORGNR_OK:
        return "ok";
    case LB_ORGNR_EMPTY:
        return "invalid_orgnr_empty";
    case LB_ORGNR_FORMAT:
        return "invalid_orgnr_format";
    case LB_ORGNR_CHECKSUM:
        return "invalid_orgnr_checksum";
    case LB_ORGNR_PREFIX:
        return "invalid_orgnr_prefix";
    case LB_ORGNR_MIDDLE_DIGITS:
        return "invalid_orgnr_middle_digits";
    case LB_ORGNR_DATE:
        return "invalid_orgnr_date";
    case LB_ORGNR_GROUP:
        return "invalid_orgnr_group";
    default:
        return "invalid_orgnr";
    }
}

const char *lb_orgnr_group_name(int group)
{
    switch (group) {
    case 1:
        return "Dödsbo";
    case 2:
        return "Stat, region, kommun eller församling";
    case 3:
        return "Utländskt företag";
    case 5:
        return "Aktiebolag";
    case 6:
        return "Enkelt bolag";
    case 7:
        return "Ekonomisk förening eller bostadsrättsförening";
    case 8:
        return "Ideell förening eller stiftelse";
    case 9:
        return "Handelsbolag eller kommanditbolag";
    default:
        return NULL;
    }
}

/* Writes "XXXXXX-XXXX"; anything but exactly 10 digits gives "". */
void lb_orgnr_format(const char *digits10, char *buf)
{
    buf[0] = '\0';
    if (digits10 == NULL)
        return;
    for (int i = 0; i < 10; i++) {
        if (digits10[i] < '0' || digits10[i] > '9')
            return;
    }
    if (digits10[10] != '\0')
        return;
    memcpy(buf, digits10, 6);
    buf[6] = '-';
    memcpy(buf + 7, digits10 + 6, 4);
    buf[11] = '\0';
}
