/* test_orgnr.c: organisationsnummer and personnummer parsing.
 *
 * Every number below that is meant to pass the Luhn check was verified by
 * hand (and with an independent script) to do so; those meant to fail the
 * check are one digit off a valid number. The constructed numbers used to
 * reach one specific error carry a valid check digit, so the test proves the
 * structural check fires, not the Luhn one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/orgnr.h"

static void expect_ok(const char *in, const char *digits, bool person, int group)
{
    struct lb_orgnr o;
    int rc = lb_orgnr_parse(in, &o);
    if (rc != LB_ORGNR_OK)
        fail_msg("\"%s\" rejected: %s", in, lb_orgnr_strerror(rc));
    assert_string_equal(o.digits, digits);
    assert_int_equal(o.personnummer, person);
    assert_int_equal(o.group, group);
}

static void expect_err(const char *in, int err)
{
    struct lb_orgnr o;
    memset(&o, 0x55, sizeof o);
    int rc = lb_orgnr_parse(in, &o);
    if (rc != err)
        fail_msg("\"%s\": want %s, got %s", in ? in : "(null)", lb_orgnr_strerror(err),
                 lb_orgnr_strerror(rc));
    /* *out is zeroed on failure. */
    assert_string_equal(o.digits, "");
    assert_false(o.personnummer);
    assert_int_equal(o.group, 0);
}

static void test_accepted_forms(void **state)
{
    (void)state;
    /* 556036-0793: Luhn 5*2=10->1, 5, 6*2=12->3, 0, 3*2=6, 6, 0, 7, 9*2=18->9,
     * 3: 1+5+3+0+6+6+0+7+9+3 = 40. */
    expect_ok("5560360793", "5560360793", false, 5);
    expect_ok("556036-0793", "5560360793", false, 5);
    expect_ok("16556036-0793", "5560360793", false, 5);
    expect_ok("165560360793", "5560360793", false, 5);
}

static void test_real_numbers(void **state)
{
    (void)state;
    expect_ok("556012-5790", "5560125790", false, 5); /* AB Volvo */
    expect_ok("556016-0680", "5560160680", false, 5); /* Telefonaktiebolaget LM Ericsson */
    expect_ok("556042-7220", "5560427220", false, 5); /* H & M Hennes & Mauritz AB */
    expect_ok("556703-7485", "5567037485", false, 5); /* Spotify AB */
    expect_ok("202100-5448", "2021005448", false, 2); /* Skatteverket */
    expect_ok("16202100-5448", "2021005448", false, 2);
    expect_ok("502013-0000", "5020130000", false, 5); /* constructed, Luhn sum 20 */
}

static void test_personnummer(void **state)
{
    (void)state;
    /* Skatteverket's test person "Tolvan", 1912-12-12 (also valid as 2012). */
    expect_ok("121212-1212", "1212121212", true, 0);
    expect_ok("1212121212", "1212121212", true, 0);
    expect_ok("121212+1212", "1212121212", true, 0); /* over 100 years old */
    expect_ok("19121212-1212", "1212121212", true, 0);
    expect_ok("191212121212", "1212121212", true, 0);
    expect_ok("20121212-1212", "1212121212", true, 0);
    /* Samordningsnummer: day 12 + 60 = 72, 12 November. */
    expect_ok("121172-1236", "1211721236", true, 0);
    expect_ok("121272-1235", "1212721235", true, 0);
    /* 29 February: 1984 is a leap year; 00 is 2000 with "-" (a leap year). */
    expect_ok("840229-1234", "8402291234", true, 0);
    expect_ok("000229-1235", "0002291235", true, 0);
    expect_ok("20000229-1235", "0002291235", true, 0);
}

static void test_whitespace(void **state)
{
    (void)state;
    /* Leading and trailing whitespace is trimmed; inside it is an error. */
    expect_ok(" 556036-0793", "5560360793", false, 5);
    expect_ok("556036-0793\n", "5560360793", false, 5);
    expect_ok("\t 165560360793 \r\n", "5560360793", false, 5);
    expect_err("556036 0793", LB_ORGNR_FORMAT);
    expect_err("556036 -0793", LB_ORGNR_FORMAT);
    expect_err("5560 360793", LB_ORGNR_FORMAT);
    expect_err("   ", LB_ORGNR_EMPTY);
    expect_err("\n", LB_ORGNR_EMPTY);
}

static void test_checksum(void **state)
{
    (void)state;
    expect_err("5560360794", LB_ORGNR_CHECKSUM);
    expect_err("556036-0794", LB_ORGNR_CHECKSUM);
    expect_err("16556036-0794", LB_ORGNR_CHECKSUM);
    expect_err("5560360739", LB_ORGNR_CHECKSUM); /* transposed digits */
    expect_err("121212-1213", LB_ORGNR_CHECKSUM);
    expect_err("19121212-1213", LB_ORGNR_CHECKSUM);
    /* The Luhn digit is never computed with "16" attached: 165560360795
     * passes Luhn over all 12 digits (the prefix adds 1*2 + 6 = 8 to the sum
     * of 5560360795, which is 42), but 5560360795 itself fails. */
    expect_err("165560360795", LB_ORGNR_CHECKSUM);
    expect_err("16556036-0795", LB_ORGNR_CHECKSUM);
}

static void test_each_error(void **state)
{
    (void)state;
    expect_err(NULL, LB_ORGNR_EMPTY);
    expect_err("", LB_ORGNR_EMPTY);

    const char *format[] = {
        "556036-07930",
        "55603607",
        "556036079",
        "55603607931",
        "5560360793a",
        "5560-360793",
        "5560360-793",
        "556036--0793",
        "556036_0793",
        "556036/0793",
        "-5560360793",
        "5560360793-",
        "16-556036-0793",
        "556036–0793" /* en dash */,
        "556036+0793" /* "+" is for personnummer only */,
        "19121212+1212",
        "1655603607933",
        "５５６０３６０７９３" /* full-width digits */,
    };
    for (size_t i = 0; i < sizeof format / sizeof format[0]; i++)
        expect_err(format[i], LB_ORGNR_FORMAT);

    /* 12 digits with a prefix other than 16 / 19 / 20, or a century on a
     * legal person's number. */
    expect_err("185560360793", LB_ORGNR_PREFIX);
    expect_err("215560360793", LB_ORGNR_PREFIX);
    expect_err("005560360793", LB_ORGNR_PREFIX);
    expect_err("19556036-0793", LB_ORGNR_PREFIX);
    expect_err("205560360793", LB_ORGNR_PREFIX);

    /* "16" promises a legal person: digits 3-4 must be 20 or more. */
    expect_err("161212121212", LB_ORGNR_MIDDLE_DIGITS);
    expect_err("16121212-1212", LB_ORGNR_MIDDLE_DIGITS);
    /* 10 digits with digits 3-4 of 00 or 13-19: not a month, not a legal person. */
    expect_err("121300-1231", LB_ORGNR_MIDDLE_DIGITS);
    expect_err("120014-1230", LB_ORGNR_MIDDLE_DIGITS);
    expect_err("551990-1234", LB_ORGNR_MIDDLE_DIGITS);

    /* Personnummer with an impossible date (valid Luhn digits). */
    expect_err("850229-1233", LB_ORGNR_DATE); /* neither 1985 nor 2085 is a leap year */
    expect_err("19850229-1233", LB_ORGNR_DATE);
    expect_err("000229+1235", LB_ORGNR_DATE);   /* "+": 1900 or 1800, neither leap */
    expect_err("19000229-1235", LB_ORGNR_DATE); /* 1900 is not a leap year */
    expect_err("121232-1234", LB_ORGNR_DATE);   /* 32 December */
    expect_err("121100-1233", LB_ORGNR_DATE);   /* day 00 */
    expect_err("550231-1235", LB_ORGNR_DATE);   /* 31 February */
    expect_err("550291-1232", LB_ORGNR_DATE);   /* samordningsnummer for 31 February */
    expect_err("19121312-1212", LB_ORGNR_DATE); /* month 13 with a century: a date claim */

    /* Legal persons whose first digit is no legal-form group. */
    expect_err("402012-1234", LB_ORGNR_GROUP);
    expect_err("002012-1232", LB_ORGNR_GROUP);
    expect_err("16402012-1234", LB_ORGNR_GROUP);
}

static void test_error_codes_are_distinct(void **state)
{
    (void)state;
    int codes[] = {LB_ORGNR_OK,     LB_ORGNR_EMPTY,         LB_ORGNR_FORMAT, LB_ORGNR_CHECKSUM,
                   LB_ORGNR_PREFIX, LB_ORGNR_MIDDLE_DIGITS, LB_ORGNR_DATE,   LB_ORGNR_GROUP};
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            assert_int_not_equal(codes[i], codes[j]);
            assert_string_not_equal(lb_orgnr_strerror(codes[i]), lb_orgnr_strerror(codes[j]));
        }
    }
    assert_string_equal(lb_orgnr_strerror(LB_ORGNR_CHECKSUM), "invalid_orgnr_checksum");
    assert_string_equal(lb_orgnr_strerror(LB_ORGNR_DATE), "invalid_orgnr_date");
    assert_string_equal(lb_orgnr_strerror(-99), "invalid_orgnr");
}

static void test_groups_and_format(void **state)
{
    (void)state;
    assert_string_equal(lb_orgnr_group_name(5), "Aktiebolag");
    assert_string_equal(lb_orgnr_group_name(1), "Dödsbo");
    assert_string_equal(lb_orgnr_group_name(9), "Handelsbolag eller kommanditbolag");
    for (int g = 1; g <= 9; g++) {
        if (g == 4)
            assert_null(lb_orgnr_group_name(g));
        else
            assert_non_null(lb_orgnr_group_name(g));
    }
    assert_null(lb_orgnr_group_name(0));
    assert_null(lb_orgnr_group_name(10));

    char buf[12];
    lb_orgnr_format("5560360793", buf);
    assert_string_equal(buf, "556036-0793");
    lb_orgnr_format("556036079", buf);
    assert_string_equal(buf, "");
    lb_orgnr_format("55603607931", buf);
    assert_string_equal(buf, "");
    lb_orgnr_format("556036-793", buf);
    assert_string_equal(buf, "");
    lb_orgnr_format(NULL, buf);
    assert_string_equal(buf, "");

    /* Parse then format gives the canonical form whatever the input form. */
    struct lb_orgnr o;
    assert_int_equal(lb_orgnr_parse("165560360793", &o), LB_ORGNR_OK);
    lb_orgnr_format(o.digits, buf);
    assert_string_equal(buf, "556036-0793");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_forms),
        cmocka_unit_test(test_real_numbers),
        cmocka_unit_test(test_personnummer),
        cmocka_unit_test(test_whitespace),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_each_error),
        cmocka_unit_test(test_error_codes_are_distinct),
        cmocka_unit_test(test_groups_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
