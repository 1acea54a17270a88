/* orgnr.h: Swedish organisationsnummer and personnummer (enskild firma).
 *
 * Accepted forms: "5560360793", "556036-0793", "16556036-0793",
 * "165560360793"; for an enskild firma a personnummer in 10 or 12 digits
 * ("19"/"20" century prefix) with an optional "-" or "+" separator. The result
 * is always the 10 digits; the Luhn check digit is verified on those 10
 * digits, never with the "16" prefix attached.
 *
 * Leading and trailing ASCII whitespace is trimmed (numbers are pasted from
 * letters and web pages); whitespace inside the number is a format error.
 * A 10-digit number whose digits 3-4 are 20 or more is a legal person; under
 * 20 it can only be a personnummer (or samordningsnummer, day + 60), accepted
 * when its date exists in a possible century ("-": 19xx or 20xx, "+" for a
 * person over 100: 18xx or 19xx). "+" is accepted only in the 10-digit
 * personnummer form. When several things are wrong, the first failing check
 * is reported, in the order EMPTY, FORMAT, PREFIX, MIDDLE_DIGITS, DATE, GROUP,
 * CHECKSUM: the Luhn digit is checked last, so a checksum error means the
 * shape was right. */
#ifndef LOTSBOK_ORGNR_H
#define LOTSBOK_ORGNR_H

#include <stdbool.h>

/* Distinct reasons, so the API and the web form can say what is wrong. */
enum lb_orgnr_err {
    LB_ORGNR_OK = 0,
    LB_ORGNR_EMPTY = -1,        /* NULL or empty */
    LB_ORGNR_FORMAT = -2,       /* not one of the accepted shapes (length, characters, separator) */
    LB_ORGNR_CHECKSUM = -3,     /* Luhn check digit wrong */
    LB_ORGNR_PREFIX = -4,       /* 12 digits with a prefix other than 16 (legal person) or 19/20 */
    LB_ORGNR_MIDDLE_DIGITS = -5,/* legal person with digits 3-4 under 20 ("16" form), or a
                                   10-digit number whose digits 3-4 (00, 13-19) are neither a
                                   legal person's nor a month */
    LB_ORGNR_DATE = -6,         /* personnummer with an impossible date */
    LB_ORGNR_GROUP = -7,        /* legal person whose first digit (0, 4) is no legal-form group */
};

struct lb_orgnr {
    char digits[11];     /* normalised 10 digits, NUL-terminated */
    bool personnummer;   /* personal data: a natural person's number */
    int group;           /* legal-form group, the first digit (1 dödsbo .. 9 handelsbolag); 0 for personnummer */
};

/* Parses and validates s. Returns LB_ORGNR_OK and fills *out, or a negative
 * lb_orgnr_err and leaves *out zeroed. */
int lb_orgnr_parse(const char *s, struct lb_orgnr *out);

/* A stable machine code for an error ("invalid_orgnr_checksum", ...). */
const char *lb_orgnr_strerror(int err);

/* The legal-form group's Swedish name ("Aktiebolag" for 5, ...); NULL for 0. */
const char *lb_orgnr_group_name(int group);

/* Formats the 10 digits as "556036-0793" into buf (at least 12 bytes). */
void lb_orgnr_format(const char *digits10, char *buf);

#endif
