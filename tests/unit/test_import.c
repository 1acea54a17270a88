/* test_import.c: the CSV and XLSX readers, the columns, the rows and the merge
 * of a company import (core/domain/import.c, xlsx_read.c), on the corpus of
 * tests/data/import/ (make_corpus.py says what each file holds) and on
 * strings written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/error.h"
#include "lotsbok/import.h"

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/import/%s", LB_SHARED_DATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static int csv(const char *s, struct lb_table *t)
{
    memset(t, 0, sizeof *t);
    return lb_csv_read(s, strlen(s), 100, t);
}

static void test_csv_quotes_newlines_lines(void **state)
{
    (void)state;
    struct lb_table t;
    assert_int_equal(csv("a;b\r\n\"x\"\"y\";\"two\r\nlines\"\r\n\r\n; \r\nlast;row", &t), 0);
    assert_string_equal(t.encoding, "utf-8");
    assert_int_equal(t.delimiter, ';');
    assert_int_equal(t.nrows, 3); /* the blank and the empty-celled lines are skipped */
    assert_string_equal(lb_table_cell(&t, 1, 0), "x\"y");
    assert_string_equal(lb_table_cell(&t, 1, 1), "two\nlines");
    assert_int_equal(t.rows[1].line, 2);
    assert_int_equal(t.rows[2].line, 6);
    assert_string_equal(lb_table_cell(&t, 2, 1), "row");
    assert_string_equal(lb_table_cell(&t, 2, 5), ""); /* beyond the row */
    lb_table_free(&t);

    assert_int_equal(csv("a,b,c\n1,\"2,5\",3\n", &t), 0); /* ',' when the header uses it */
    assert_int_equal(t.delimiter, ',');
    assert_string_equal(lb_table_cell(&t, 1, 1), "2,5");
    lb_table_free(&t);

    assert_int_equal(csv("a;b\n\"open;x\nmore", &t), LB_EINVAL);
    assert_int_equal(t.error_line, 2);
    lb_table_free(&t);
    memset(&t, 0, sizeof t);
    assert_int_equal(lb_csv_read("a\0b", 3, 100, &t), LB_EINVAL);
    lb_table_free(&t);
    memset(&t, 0, sizeof t);
    assert_int_equal(lb_csv_read("\xff\xfe"
                                 "a\0",
                                 4, 100, &t),
                     LB_EINVAL); /* UTF-16 */
    lb_table_free(&t);
    assert_int_equal(csv("h\n1\n2\n3\n", &t), 0);
    lb_table_free(&t);
    memset(&t, 0, sizeof t);
    assert_int_equal(lb_csv_read("h\n1\n2\n3\n", 8, 2, &t), LB_ETOOBIG); /* 3 rows over 2 */
    lb_table_free(&t);
}

static void test_csv_windows_1252(void **state)
{
    (void)state;
    struct lb_table t;
    /* "Företag;Ort" and "Öst & Väst AB;Älmsta \x80" in Windows-1252 */
    assert_int_equal(csv("F\xf6retag;Ort\r\n\xd6st & V\xe4st AB;\xc4lmsta \x80\r\n", &t), 0);
    assert_string_equal(t.encoding, "windows-1252");
    assert_string_equal(lb_table_cell(&t, 0, 0), "Företag");
    assert_string_equal(lb_table_cell(&t, 1, 0), "Öst & Väst AB");
    assert_string_equal(lb_table_cell(&t, 1, 1), "Älmsta €");
    lb_table_free(&t);
    /* The same text in UTF-8 stays UTF-8; a BOM is dropped. */
    assert_int_equal(csv("\xef\xbb\xbf"
                         "Företag;Ort\nÖst AB;Älmsta\n",
                         &t),
                     0);
    assert_string_equal(t.encoding, "utf-8");
    assert_string_equal(lb_table_cell(&t, 0, 0), "Företag");
    lb_table_free(&t);
    assert_int_equal(csv("\xef\xbb\xbf"
                         "F\xf6retag\n",
                         &t),
                     LB_EINVAL); /* BOM, not UTF-8 */
    lb_table_free(&t);
}

/* The corpus file win1252.csv: its columns and every row's verdict. */
static void test_corpus_win1252(void **state)
{
    (void)state;
    size_t len;
    char *b = slurp("win1252.csv", &len);
    struct lb_table t = {0};
    assert_int_equal(lb_csv_read(b, len, 100, &t), 0);
    assert_string_equal(t.encoding, "windows-1252");
    struct lb_import_header h;
    enum lb_import_col missing;
    int dup;
    assert_int_equal(lb_import_header(&t, &h, &missing, &dup), 0);
    for (int c = 0; c < LB_IMP_NCOLS; c++)
        assert_int_equal(h.col[c], c); /* the file's columns are in the enum's order */
    assert_int_equal(h.nunknown, 1);
    assert_string_equal(lb_table_cell(&t, 0, h.unknown[0]), "Anställda");
    struct lb_import_row r;
    static const struct {
        uint32_t line;
        const char *code;
        enum lb_import_col col;
    } want[] = {{2, NULL, 0},
                {3, NULL, 0},
                {4, NULL, 0},
                {6, NULL, 0},
                {7, NULL, 0},
                {8, NULL, 0},
                {9, "invalid_orgnr_checksum", LB_IMP_ORGNR},
                {10, "missing_field", LB_IMP_NAME},
                {11, "missing_field", LB_IMP_PERSON}};
    assert_int_equal(t.nrows, 1 + sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        lb_import_row(&t, &h, i + 1, &r);
        assert_int_equal(r.line, want[i].line);
        if (want[i].code) {
            assert_non_null(r.code);
            assert_string_equal(r.code, want[i].code);
            assert_int_equal(r.col, want[i].col);
        } else {
            assert_null(r.code);
        }
    }
    lb_import_row(&t, &h, 2, &r); /* 16 + orgnr */
    assert_string_equal(r.orgnr.digits, "5566778899");
    lb_import_row(&t, &h, 3, &r);
    assert_string_equal(r.person, "Märta \"Mia\" Holm");
    assert_string_equal(r.role, "Kock,\nsommartid");
    lb_import_row(&t, &h, 4, &r); /* 9 digits: the dropped zero of a personnummer */
    assert_string_equal(r.orgnr.digits, "0501011233");
    assert_true(r.orgnr.personnummer);
    assert_string_equal(r.name, "Ekströms Måleri (enskild firma)");
    assert_null(r.person);
    lb_table_free(&t);
    free(b);
}

static void test_header(void **state)
{
    (void)state;
    struct lb_table t;
    struct lb_import_header h;
    enum lb_import_col missing;
    int dup;
    /* A title row above the header, English and Swedish spellings. */
    assert_int_equal(csv("Företagsregister 2026\nPeOrgNr;FÖRETAGSNAMN;e-post;Mobil\n", &t), 0);
    assert_int_equal(lb_import_header(&t, &h, &missing, &dup), 0);
    assert_int_equal(h.row, 1);
    assert_int_equal(h.col[LB_IMP_ORGNR], 0);
    assert_int_equal(h.col[LB_IMP_NAME], 1);
    assert_int_equal(h.col[LB_IMP_EMAIL], 2);
    assert_int_equal(h.col[LB_IMP_PHONE], 3);
    lb_table_free(&t);
    assert_int_equal(csv("Namn;Ort\n", &t), 0);
    assert_int_equal(lb_import_header(&t, &h, &missing, &dup), LB_EINVAL);
    assert_int_equal(missing, LB_IMP_ORGNR);
    lb_table_free(&t);
    assert_int_equal(csv("Orgnr;Ort\n", &t), 0);
    assert_int_equal(lb_import_header(&t, &h, &missing, &dup), LB_EINVAL);
    assert_int_equal(missing, LB_IMP_NAME);
    lb_table_free(&t);
    assert_int_equal(csv("Orgnr;Namn;Företagsnamn\n", &t), 0);
    assert_int_equal(lb_import_header(&t, &h, &missing, &dup), LB_EINVAL);
    assert_int_equal(missing, LB_IMP_NCOLS);
    assert_int_equal(dup, 2);
    lb_table_free(&t);
}

static void test_xlsx_corpus(void **state)
{
    (void)state;
    size_t len;
    char *b = slurp("sheet.xlsx", &len);
    struct lb_table t = {0};
    assert_true(lb_import_is_zip(b, len));
    assert_int_equal(lb_xlsx_read(b, len, 100, &t), 0);
    assert_int_equal(t.nrows, 4);
    assert_string_equal(lb_table_cell(&t, 0, 2), "Postort");
    assert_string_equal(lb_table_cell(&t, 2, 0), "501011233"); /* a number: the zero is gone */
    assert_string_equal(lb_table_cell(&t, 1, 3), "Britt Ström");
    struct lb_import_header h;
    enum lb_import_col missing;
    int dup;
    struct lb_import_row r;
    assert_int_equal(lb_import_header(&t, &h, &missing, &dup), 0);
    lb_import_row(&t, &h, 2, &r);
    assert_null(r.code);
    assert_string_equal(r.orgnr.digits, "0501011233");
    /* 12 digits with the leading 16, stored as a number (165560360793) */
    assert_string_equal(lb_table_cell(&t, 3, 0), "165560360793");
    lb_import_row(&t, &h, 3, &r);
    assert_null(r.code);
    assert_string_equal(r.orgnr.digits, "5560360793");
    lb_table_free(&t);
    free(b);

    b = slurp("inline.xlsx", &len);
    memset(&t, 0, sizeof t);
    assert_int_equal(lb_xlsx_read(b, len, 100, &t), 0);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(lb_table_cell(&t, 0, 0), "Organisationsnummer"); /* shared */
    assert_string_equal(lb_table_cell(&t, 0, 1), "Företagsnamn");        /* inline, no r="" */
    assert_int_equal(t.rows[1].line, 3);
    assert_string_equal(lb_table_cell(&t, 1, 0), "5569000069"); /* 5.569000069E+09 */
    assert_string_equal(lb_table_cell(&t, 1, 1), "Rimbo Rör & Värme AB");
    assert_string_equal(lb_table_cell(&t, 1, 2), "Rimbo Rör"); /* rich text, no phonetic run */
    lb_table_free(&t);
    free(b);

    b = slurp("broken.xlsx", &len);
    memset(&t, 0, sizeof t);
    assert_int_equal(lb_xlsx_read(b, len, 100, &t), LB_EINVAL);
    assert_true(strstr(t.error, "not an XLSX file") != NULL);
    lb_table_free(&t);
    free(b);
}

static void test_apply(void **state)
{
    (void)state;
    struct lb_table t;
    assert_int_equal(csv("Orgnr;Namn;Ort;Kontaktperson;Telefon;Roll\n"
                         "5560360793;Larssons Båtbyggeri AB;;Åsa Öberg;;\n"
                         "556036-0793;Annat namn AB;Grisslehamn;ÅSA ÖBERG;0175-1;VD\n"
                         "5560360793;Larssons Båtbyggeri AB;Norrtälje;Asa Oberg;9;Ägare\n"
                         "5560360793;Larssons Båtbyggeri AB;;Per Ek;;\n",
                         &t),
                     0);
    struct lb_import_header h;
    enum lb_import_col missing;
    int dup;
    assert_int_equal(lb_import_header(&t, &h, &missing, &dup), 0);
    struct lb_company c = {0};
    struct lb_import_row r;
    lb_import_row(&t, &h, 1, &r);
    assert_int_equal(lb_import_apply(&c, &r, 100), LB_IMP_CH_NAME | LB_IMP_CH_CONTACT_ADDED);
    assert_string_equal(c.orgnr, "5560360793");
    lb_import_row(&t, &h, 2, &r); /* the name stays; locality and the person's fields fill */
    assert_int_equal(lb_import_apply(&c, &r, 100), LB_IMP_CH_LOCALITY | LB_IMP_CH_CONTACT_FILLED);
    assert_string_equal(c.name, "Larssons Båtbyggeri AB");
    assert_string_equal(c.locality, "Grisslehamn");
    assert_int_equal(c.ncontacts, 1);
    assert_string_equal(c.contacts[0].phone, "0175-1");
    assert_string_equal(c.contacts[0].role, "VD");
    lb_import_row(&t, &h, 3, &r); /* nothing empty left to fill: unchanged */
    assert_int_equal(lb_import_apply(&c, &r, 100), 0);
    assert_string_equal(c.locality, "Grisslehamn");
    assert_string_equal(c.contacts[0].phone, "0175-1");
    lb_import_row(&t, &h, 4, &r);
    assert_int_equal(lb_import_apply(&c, &r, 1), LB_ETOOBIG); /* at most 1 person */
    assert_int_equal(lb_import_apply(&c, &r, 100), LB_IMP_CH_CONTACT_ADDED);
    assert_int_equal(c.ncontacts, 2);
    lb_company_clear(&c);
    lb_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_quotes_newlines_lines),
        cmocka_unit_test(test_csv_windows_1252),
        cmocka_unit_test(test_corpus_win1252),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_xlsx_corpus),
        cmocka_unit_test(test_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
