/* test_cli_format.c: the pure parts of the lots CLI: UTF-8 width and shortening,
 * tables within 80 columns, option parsing, references, survey answers, Swedish
 * error lines and exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/cli_format.h"
#include "lotsbok/error.h"

static void test_width(void **state)
{
    (void)state;
    assert_int_equal(lb_cli_width(""), 0);
    assert_int_equal(lb_cli_width("abc"), 3);
    assert_int_equal(lb_cli_width("Mälardalens Åkeri"), 17);
    assert_int_equal(lb_cli_width("a\xCC\x88"), 1);    /* a + combining diaeresis */
    assert_int_equal(lb_cli_width("\xE6\x97\xA5"), 2); /* CJK: wide */
    assert_int_equal(lb_cli_width("\xE2\x80\xA6"), 1); /* the ellipsis */
    assert_int_equal(lb_cli_width("a\xFF"
                                  "b"),
                     3); /* invalid byte counts 1 */
}

static void test_wrap(void **state)
{
    (void)state;
    /* Lines that fit stay as they are; a long one breaks between words, never
     * inside one, its continuation indented by its own indent plus hang. */
    char *s = lb_cli_wrap("kort rad\n  en rad som är för lång för tio", 10, 2);
    assert_string_equal(s, "kort rad\n  en rad\n    som är\n    för\n    lång\n    för\n    tio");
    free(s);
    s = lb_cli_wrap("åååå åååå", 5, 0); /* width in columns, not bytes */
    assert_string_equal(s, "åååå\nåååå");
    free(s);
    s = lb_cli_wrap("ettmycketlångtord och", 5, 0); /* a word wider than the line stays whole */
    assert_string_equal(s, "ettmycketlångtord\noch");
    free(s);
    s = lb_cli_wrap("", 80, 0);
    assert_string_equal(s, "");
    free(s);
}

static void test_fit(void **state)
{
    (void)state;
    char *s = lb_cli_fit("Mälardalens Åkeri AB", 10);
    assert_string_equal(s, "Mälardale…");
    assert_int_equal(lb_cli_width(s), 10);
    free(s);
    s = lb_cli_fit("Kort", 10);
    assert_string_equal(s, "Kort");
    free(s);
    s = lb_cli_fit("rad ett\nrad två", 40);
    assert_string_equal(s, "rad ett rad två");
    free(s);
    /* Never cuts inside a multi-byte character, nor before a combining mark. */
    s = lb_cli_fit("ååååå", 3);
    assert_string_equal(s, "åå…");
    free(s);
    s = lb_cli_fit("Mälar Bygg", 7);
    assert_string_equal(s, "Mälar…"); /* no blank before the ellipsis */
    free(s);
    s = lb_cli_fit("\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5", 4);
    assert_int_equal(lb_cli_width(s), 3); /* a wide char does not fit in the last column */
    free(s);
}

/* Every line of text at most width columns. */
static void assert_lines_fit(const char *text, size_t width)
{
    char *copy = strdup(text);
    assert_non_null(copy);
    int lines = 0;
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        assert_true(lb_cli_width(l) <= width);
        assert_true(l[strlen(l) - 1] != ' ');
        lines++;
    }
    assert_true(lines >= 2);
    free(copy);
}

/* The start column (in display columns) of needle on the line that holds it. */
static size_t column_of(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    assert_non_null(p);
    const char *line = p;
    while (line > text && line[-1] != '\n')
        line--;
    char *prefix = strndup(line, (size_t)(p - line));
    size_t w = lb_cli_width(prefix);
    free(prefix);
    return w;
}

static void test_table_fits_80(void **state)
{
    (void)state;
    struct lb_cli_table t;
    const char *h[] = {"Nummer", "Öppnat", "Status", "Företag", "Ärende"};
    assert_int_equal(lb_cli_table_init(&t, 5, h, (1u << 3) | (1u << 4)), 0);
    const char *r1[] = {"L2026-0001", "2026-03-14", "Öppet", "Mälardalens Åkeri och Transport AB",
                        "Bygglov för ny lagerlokal vid hamnen i Norrtälje, med utökad parkering"};
    const char *r2[] = {"L2026-0002", "2026-03-15", "Avslutat", "Ölands Café", NULL};
    assert_int_equal(lb_cli_table_add(&t, r1), 0);
    assert_int_equal(lb_cli_table_add(&t, r2), 0);
    char *out;
    assert_int_equal(lb_cli_table_render(&t, 80, &out), 0);
    assert_lines_fit(out, 80);
    assert_non_null(strstr(out, "…"));
    assert_non_null(strstr(out, "L2026-0002  2026-03-15  Avslutat  Ölands Café"));
    /* Columns line up: the status column starts at the same column on every line. */
    assert_int_equal(column_of(out, "Status"), column_of(out, "Öppet"));
    assert_int_equal(column_of(out, "Status"), column_of(out, "Avslutat"));
    free(out);
    /* A narrow table is left as it is. */
    lb_cli_table_free(&t);
    const char *h2[] = {"ID", "Namn"};
    assert_int_equal(lb_cli_table_init(&t, 2, h2, 2u), 0);
    const char *r3[] = {"7", "Åsa"};
    assert_int_equal(lb_cli_table_add(&t, r3), 0);
    assert_int_equal(lb_cli_table_render(&t, 80, &out), 0);
    assert_string_equal(out, "ID  Namn\n──  ────\n7   Åsa\n");
    free(out);
    lb_cli_table_free(&t);
}

static void test_table_alignment_utf8(void **state)
{
    (void)state;
    struct lb_cli_table t;
    const char *h[] = {"Företag", "Ort"};
    assert_int_equal(lb_cli_table_init(&t, 2, h, 1u), 0);
    const char *r1[] = {"Åkeri Öst", "Norrtälje"};
    const char *r2[] = {"ABC", "Rimbo"};
    assert_int_equal(lb_cli_table_add(&t, r1), 0);
    assert_int_equal(lb_cli_table_add(&t, r2), 0);
    char *out;
    assert_int_equal(lb_cli_table_render(&t, 80, &out), 0);
    assert_int_equal(column_of(out, "Ort"), column_of(out, "Norrtälje"));
    assert_int_equal(column_of(out, "Rimbo"), column_of(out, "Norrtälje"));
    assert_int_equal(column_of(out, "Rimbo"), 11); /* "Åkeri Öst" is 9 columns + 2 */
    free(out);
    /* Forced narrow: the shrinkable column gives way first. */
    assert_int_equal(lb_cli_table_render(&t, 17, &out), 0);
    assert_lines_fit(out, 17);
    assert_non_null(strstr(out, "Åkeri…"));
    assert_non_null(strstr(out, "Norrtälje"));
    free(out);
    lb_cli_table_free(&t);
}

static const struct lb_cli_optspec spec[] = {
    {"subject", 0, LB_CLI_OPT_VALUE},
    {"answer", 0, LB_CLI_OPT_VALUE},
    {"mine", 0, LB_CLI_OPT_FLAG},
    {"output", 'o', LB_CLI_OPT_VALUE},
};

static void test_parse(void **state)
{
    (void)state;
    struct lb_cli_args a;
    char *argv[] = {"L2026-0001",
                    "--subject",
                    "Ny lokal",
                    "--answer=lots.usefulness=5",
                    "--mine",
                    "--answer",
                    "lots.treatment=vet ej",
                    "-o",
                    "ut.csv",
                    "--json",
                    "--",
                    "--inte-flagga"};
    assert_int_equal(lb_cli_parse(12, argv, spec, 4, &a), 0);
    assert_int_equal(a.npos, 2);
    assert_string_equal(a.pos[0], "L2026-0001");
    assert_string_equal(a.pos[1], "--inte-flagga");
    assert_string_equal(lb_cli_get(&a, "subject"), "Ny lokal");
    assert_string_equal(lb_cli_get_nth(&a, "answer", 0), "lots.usefulness=5");
    assert_string_equal(lb_cli_get_nth(&a, "answer", 1), "lots.treatment=vet ej");
    assert_null(lb_cli_get_nth(&a, "answer", 2));
    assert_string_equal(lb_cli_get(&a, "output"), "ut.csv");
    assert_true(lb_cli_has(&a, "mine"));
    assert_true(lb_cli_has(&a, "json"));
    assert_false(lb_cli_has(&a, "server"));

    char *bad1[] = {"--nope"};
    assert_int_equal(lb_cli_parse(1, bad1, spec, 4, &a), LB_EINVAL);
    assert_string_equal(a.error, "okänd flagga: --nope");
    char *bad2[] = {"--subject"};
    assert_int_equal(lb_cli_parse(1, bad2, spec, 4, &a), LB_EINVAL);
    assert_string_equal(a.error, "--subject kräver ett värde");
    char *bad3[] = {"--mine=yes"};
    assert_int_equal(lb_cli_parse(1, bad3, spec, 4, &a), LB_EINVAL);
    char *help[] = {"-h"};
    assert_int_equal(lb_cli_parse(1, help, spec, 4, &a), 0);
    assert_true(lb_cli_has(&a, "help"));
    char *neg[] = {"-5"};
    assert_int_equal(lb_cli_parse(1, neg, spec, 4, &a), 0);
    assert_int_equal(a.npos, 1);
}

static void test_refs(void **state)
{
    (void)state;
    char out[24];
    assert_int_equal(lb_cli_company_ref("556036-0793", out), LB_CLI_REF_ORGNR);
    assert_string_equal(out, "5560360793");
    assert_int_equal(lb_cli_company_ref("16556036-0793", out), LB_CLI_REF_ORGNR);
    assert_string_equal(out, "5560360793");
    assert_int_equal(lb_cli_company_ref("42", out), LB_CLI_REF_ID);
    assert_string_equal(out, "42");
    assert_int_equal(lb_cli_company_ref("5560360794", out), LB_CLI_REF_INVALID); /* bad Luhn */
    assert_int_equal(lb_cli_company_ref("Mälar", out), LB_CLI_REF_INVALID);
    assert_int_equal(lb_cli_case_ref("L2026-0042", out), LB_CLI_REF_NUMBER);
    assert_string_equal(out, "L2026-0042");
    assert_int_equal(lb_cli_case_ref("l2026-42", out), LB_CLI_REF_NUMBER);
    assert_string_equal(out, "L2026-0042");
    assert_int_equal(lb_cli_case_ref("17", out), LB_CLI_REF_ID);
    assert_int_equal(lb_cli_case_ref("L2026-", out), LB_CLI_REF_INVALID);
    assert_int_equal(lb_cli_case_ref("X2026-0001", out), LB_CLI_REF_INVALID);
    assert_int_equal(lb_cli_case_ref("0", out), LB_CLI_REF_INVALID);
    assert_false(lb_cli_is_id("0"));
    assert_false(lb_cli_is_id("12a"));
    assert_true(lb_cli_is_id("9"));
}

static void test_answer_values(void **state)
{
    (void)state;
    json_t *v;
    assert_int_equal(lb_cli_answer_value(LB_CLI_Q_SCALE, " 5 ", &v), 0);
    assert_true(json_is_integer(v) && json_integer_value(v) == 5);
    json_decref(v);
    assert_int_equal(lb_cli_answer_value(LB_CLI_Q_SCALE, "Vet ej", &v), 0);
    assert_true(json_is_null(v));
    assert_int_equal(lb_cli_answer_value(LB_CLI_Q_SCALE, "vet_ej", &v), 0);
    assert_true(json_is_null(v));
    assert_int_equal(lb_cli_answer_value(LB_CLI_Q_SCALE, "7", &v), LB_EINVAL);
    assert_int_equal(lb_cli_answer_value(LB_CLI_Q_SCALE, "0", &v), LB_EINVAL);
    assert_int_equal(lb_cli_answer_value(LB_CLI_Q_SCALE, "", &v), LB_EINVAL);
    assert_int_equal(lb_cli_answer_value(LB_CLI_Q_SCALE, "ja", &v), LB_EINVAL);
    assert_int_equal(lb_cli_answer_value(LB_CLI_Q_YESNO, "JA", &v), 0);
    assert_true(json_is_true(v));
    assert_int_equal(lb_cli_answer_value(LB_CLI_Q_YESNO, "nej", &v), 0);
    assert_true(json_is_false(v));
    assert_int_equal(lb_cli_answer_value(LB_CLI_Q_YESNO, "3", &v), LB_EINVAL);
}

static void test_answers_add(void **state)
{
    (void)state;
    json_t *a = json_object();
    char err[200];
    assert_int_equal(lb_cli_answers_add(a, "lots.usefulness=5", err, sizeof err), 0);
    assert_int_equal(lb_cli_answers_add(a, "lots.easy_contact=ja", err, sizeof err), 0);
    assert_int_equal(lb_cli_answers_add(a, "bygglov.nki_overall=vet_ej", err, sizeof err), 0);
    char *s = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(s, "{\"bygglov\":{\"nki_overall\":null},"
                           "\"lots\":{\"easy_contact\":true,\"usefulness\":5}}");
    free(s);
    assert_int_equal(lb_cli_answers_add(a, "lots.nki_overall=5", err, sizeof err), LB_EINVAL);
    assert_string_equal(err, "--answer: okänd fråga: lots.nki_overall");
    assert_int_equal(lb_cli_answers_add(a, "lots.usefulness=9", err, sizeof err), LB_EINVAL);
    assert_non_null(strstr(err, "1–6"));
    assert_int_equal(lb_cli_answers_add(a, "usefulness=5", err, sizeof err), LB_EINVAL);
    assert_int_equal(lb_cli_answers_add(a, "Lots.usefulness=5", err, sizeof err), LB_EINVAL);
    json_decref(a);
    size_t n;
    const struct lb_cli_question *q = lb_cli_questions(true, &n);
    assert_int_equal(n, 10);
    assert_string_equal(q[0].key, "nki_overall");
    q = lb_cli_questions(false, &n);
    assert_int_equal(n, 5);
    assert_int_equal(lb_cli_question_find(false, "easy_contact")->type, LB_CLI_Q_YESNO);
}

static void test_errors_and_exit_codes(void **state)
{
    (void)state;
    char buf[200];
    lb_cli_error_line(422, "invalid_orgnr_format", "orgnr is not valid", "orgnr", buf, sizeof buf);
    assert_string_equal(buf, "Fel: ogiltigt organisationsnummer (fält: orgnr)");
    lb_cli_error_line(422, "brand_new_code", "something new", NULL, buf, sizeof buf);
    assert_string_equal(buf, "Fel: something new");
    lb_cli_error_line(404, NULL, NULL, NULL, buf, sizeof buf);
    assert_string_equal(buf, "Fel: hittades inte");
    assert_int_equal(lb_cli_exit_code(200), 0);
    assert_int_equal(lb_cli_exit_code(204), 0);
    assert_int_equal(lb_cli_exit_code(400), 2);
    assert_int_equal(lb_cli_exit_code(404), 2);
    assert_int_equal(lb_cli_exit_code(409), 2);
    assert_int_equal(lb_cli_exit_code(422), 2);
    assert_int_equal(lb_cli_exit_code(401), 3);
    assert_int_equal(lb_cli_exit_code(403), 3);
    assert_int_equal(lb_cli_exit_code(500), 5);
}

static void test_labels_and_time(void **state)
{
    (void)state;
    assert_string_equal(lb_cli_label("category", "permit"), "Tillstånd");
    assert_string_equal(lb_cli_label("unit", "miljo"), "Miljö- och hälsoskydd");
    assert_string_equal(lb_cli_label("unit", "egen_enhet"), "egen_enhet");
    assert_string_equal(lb_cli_label("case_status", "closed"), "Avslutat");
    assert_string_equal(lb_cli_label("nonsense", "x"), "x");
    assert_string_equal(lb_cli_label("channel", NULL), "");
    char buf[32];
    lb_cli_local_time("2026-03-14T09:30:00Z", buf, sizeof buf); /* CET, +1 */
    assert_string_equal(buf, "2026-03-14 10:30");
    lb_cli_local_time("2026-07-01T22:15:00Z", buf, sizeof buf); /* CEST, +2, next day */
    assert_string_equal(buf, "2026-07-02 00:15");
    lb_cli_local_time("inte en tid", buf, sizeof buf);
    assert_string_equal(buf, "inte en tid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_table_fits_80),
        cmocka_unit_test(test_table_alignment_utf8),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_answer_values),
        cmocka_unit_test(test_answers_add),
        cmocka_unit_test(test_errors_and_exit_codes),
        cmocka_unit_test(test_labels_and_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
