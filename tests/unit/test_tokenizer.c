/* test_tokenizer.c: folding, tokenising, query parsing and snippets
 * (core/domain/tokenizer.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lotsbok/error.h"
#include "lotsbok/tokenizer.h"

/* The words of text (compounds marked with a leading '+'), joined by '|'. */
struct collect {
    char buf[2048];
    size_t n;
};

static int collect_tok(const struct lb_token *t, void *arg)
{
    struct collect *c = arg;
    int w = snprintf(c->buf + c->n, sizeof c->buf - c->n, "%s%s%s", c->n ? "|" : "",
                     t->compound ? "+" : "", t->word);
    assert_true(w > 0 && (size_t)w < sizeof c->buf - c->n);
    assert_true(t->start < t->end);
    assert_int_equal(strlen(t->word), t->len);
    c->n += (size_t)w;
    return 0;
}

static const char *words(const char *text, bool compounds)
{
    static struct collect c;
    memset(&c, 0, sizeof c);
    assert_int_equal(lb_tokenize(text, strlen(text), compounds, collect_tok, &c), 0);
    return c.buf;
}

static void test_swedish_words(void **state)
{
    (void)state;
    assert_string_equal(words("Larssons Båtbyggeri AB", true), "larssons|batbyggeri|ab");
    assert_string_equal(words("ÅÄÖ åäö Öregrund", true), "aao|aao|oregrund");
    assert_string_equal(words("Café Ærø Straße", true), "cafe|aero|strasse");
    /* Decomposed å (a + combining ring) folds like the composed one. */
    assert_string_equal(words("Ba\xcc\x8atvarv", true), "batvarv");
    /* Soft hyphen inside a word does not split it. */
    assert_string_equal(words("strand\xc2\xadskydd", true), "strandskydd");
    assert_string_equal(words("  strandskydd, bygglov;  ", true), "strandskydd|bygglov");
}

static void test_orgnr_forms(void **state)
{
    (void)state;
    assert_string_equal(words("556036-0793", true), "556036|0793|+5560360793");
    assert_string_equal(words("5560360793", true), "5560360793");
    assert_string_equal(words("16556036-0793", true), "16556036|0793|+165560360793");
    /* An en dash from a word processor joins like a hyphen. */
    assert_string_equal(words("556036\xe2\x80\x93"
                              "0793",
                              true),
                        "556036|0793|+5560360793");
    /* Without compounds (queries): the words only. */
    assert_string_equal(words("556036-0793", false), "556036|0793");
}

static void test_case_numbers_and_diarienummer(void **state)
{
    (void)state;
    assert_string_equal(words("L2026-0001", true), "l|2026|0001|+l20260001");
    assert_string_equal(words("2026-0001", true), "2026|0001|+20260001");
    assert_string_equal(words("BYGG 2026-1234", true), "bygg|2026|1234|+20261234");
    assert_string_equal(words("MBN 2026/123", true), "mbn|2026|123|+2026123");
    assert_string_equal(words("KS2026.0042", true), "ks|2026|0042|+ks20260042");
    /* Joined words without a digit are no compound; two joiners break a run. */
    assert_string_equal(words("Rimbo-Norrtälje", true), "rimbo|norrtalje");
    assert_string_equal(words("2026--0001", true), "2026|0001");
}

static void test_mixed_scripts(void **state)
{
    (void)state;
    /* Greek and Cyrillic capitals fold to small letters; CJK runs are words. */
    assert_string_equal(words("ΑΘΗΝΑ Москва", true), "αθηνα|москва");
    assert_string_equal(words("Москва2026", true), "москва|2026|+москва2026");
    assert_string_equal(words("東京 タワー", true), "東京|タワー");
    /* Fullwidth Latin becomes ASCII. */
    assert_string_equal(words("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\x91", true), "ab|1|+ab1");
    /* Emoji, symbols and punctuation separate and are no words. */
    assert_string_equal(words("båt\xf0\x9f\x98\x80varv", true), "bat|varv");
    assert_string_equal(words("\xf0\x9f\x9a\xa4\xe2\x9a\x93 \xe2\x82\xac \xc2\xa9", true), "");
    assert_string_equal(words("a\xe2\x80\x8d"
                              "b",
                              true),
                        "a|b"); /* zero-width joiner */
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* Broken, overlong and surrogate sequences separate; nothing is read past the end. */
    assert_string_equal(words("ab\xff"
                              "cd",
                              true),
                        "ab|cd");
    assert_string_equal(words("ab\xc0\xaf"
                              "cd",
                              true),
                        "ab|cd"); /* overlong '/' */
    assert_string_equal(words("ab\xed\xa0\x80"
                              "cd",
                              true),
                        "ab|cd");                         /* surrogate */
    assert_string_equal(words("ab\xe2\x82", true), "ab"); /* cut off */
    struct collect c = {0};
    const char cut[] = "bygg\xc3"; /* the length stops inside å's two bytes */
    assert_int_equal(lb_tokenize(cut, 5, true, collect_tok, &c), 0);
    assert_string_equal(c.buf, "bygg");
}

static void test_long_words_are_cut(void **state)
{
    (void)state;
    char text[400];
    memset(text, 'x', 300);
    text[300] = '\0';
    const char *w = words(text, true);
    assert_int_equal(strlen(w), LB_WORD_MAX);
    /* A multi-byte letter is never split at the cut. */
    char ao[400] = "";
    for (int i = 0; i < 40; i++)
        strcat(ao, "ж");
    w = words(ao, true);
    assert_int_equal(strlen(w), LB_WORD_MAX);
}

static int stop_at_two(const struct lb_token *t, void *arg)
{
    (void)t;
    int *n = arg;
    return ++*n == 2 ? 42 : 0;
}

static void test_callback_stops(void **state)
{
    (void)state;
    int n = 0;
    assert_int_equal(lb_tokenize("a b c d", 7, true, stop_at_two, &n), 42);
    assert_int_equal(n, 2);
}

static void test_fold_name_unchanged(void **state)
{
    (void)state;
    /* The company-name index's fold keeps its behaviour (its keys are stored). */
    char buf[64];
    lb_fold_name("Mälarbåtar AB", buf, sizeof buf);
    assert_string_equal(buf, "malarbatar ab");
    lb_fold_name("ÖSTERÅKERS Café", buf, sizeof buf);
    assert_string_equal(buf, "osterakers cafe");
    lb_fold_name("Москва AB", buf, sizeof buf);
    assert_string_equal(buf, " ab");
}

static void test_query_parse(void **state)
{
    (void)state;
    struct lb_query q;
    assert_int_equal(lb_query_parse("Grisslehamn strandsk", &q), 0);
    assert_int_equal(q.n, 2);
    assert_string_equal(q.words[0], "grisslehamn");
    assert_string_equal(q.words[1], "strandsk");
    assert_true(q.last_prefix);
    assert_true(lb_query_word_matches(&q, 1, "strandskydd", 11));
    assert_false(lb_query_word_matches(&q, 0, "grisslehamns", 12));
    assert_true(lb_query_word_matches(&q, 0, "grisslehamn", 11));

    /* Every form of an orgnr is its 10 digits. */
    const char *forms[] = {"16556036-0793", "165560360793", "556036-0793", "5560360793"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(lb_query_parse(forms[i], &q), 0);
        assert_int_equal(q.n, 1);
        assert_string_equal(q.words[0], "5560360793");
    }
    /* A number that is no orgnr is its words. */
    assert_int_equal(lb_query_parse("L2026-0001", &q), 0);
    assert_int_equal(q.n, 3);
    assert_string_equal(q.words[0], "l");
    assert_string_equal(q.words[2], "0001");

    /* Nothing to search for. */
    const char *none[] = {"", "   ", "\xf0\x9f\x98\x80\xf0\x9f\x9a\xa4", "!!! ?? --",
                          "\x01\x02\x7f"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(lb_query_parse(none[i], &q), 0);
        assert_int_equal(q.n, 0);
    }
    /* Repeats are kept once; the last typed stays last. */
    assert_int_equal(lb_query_parse("bygg lov bygg", &q), 0);
    assert_int_equal(q.n, 2);
    assert_string_equal(q.words[0], "lov");
    assert_string_equal(q.words[1], "bygg");
    /* Too many words. */
    assert_int_equal(lb_query_parse("a b c d e f g h i j k l m n o p", &q), 0);
    assert_int_equal(q.n, 16);
    assert_int_equal(lb_query_parse("a b c d e f g h i j k l m n o p q", &q), LB_ETOOBIG);
    assert_int_equal(q.n, 0);
}

static void test_snippet(void **state)
{
    (void)state;
    struct lb_query q;
    struct lb_span sp[LB_SNIPPET_SPANS_MAX];
    char out[512];
    assert_int_equal(lb_query_parse("grisslehamn båtvarv", &q), 0);
    size_t n = lb_snippet("Utbyggnad av Båtvarvet i Grisslehamn", &q, 160, out, sizeof out, sp);
    /* The original text, highlights in code points. */
    assert_string_equal(out, "Utbyggnad av Båtvarvet i Grisslehamn");
    assert_int_equal(n, 2);
    assert_int_equal(sp[0].start, 13);
    assert_int_equal(sp[0].len, 9);
    assert_int_equal(sp[1].start, 25);
    assert_int_equal(sp[1].len, 11);

    /* A long text is cut around the first match, with ellipses. */
    char longt[2000] = "";
    for (int i = 0; i < 40; i++)
        strcat(longt, "Lorem ipsum dolor. ");
    strcat(longt, "Frågar om strandskydd vid bryggan. ");
    for (int i = 0; i < 40; i++)
        strcat(longt, "Sit amet. ");
    assert_int_equal(lb_query_parse("strandskydd", &q), 0);
    n = lb_snippet(longt, &q, 80, out, sizeof out, sp);
    assert_int_equal(n, 1);
    assert_true(strncmp(out, "\xe2\x80\xa6", 3) == 0);
    assert_non_null(strstr(out, "strandskydd"));
    size_t cps = 0;
    for (const char *p = out; *p; p++)
        cps += ((unsigned char)*p & 0xC0) != 0x80;
    assert_true(cps <= 80);
    assert_true(strcmp(out + strlen(out) - 3, "\xe2\x80\xa6") == 0);
    /* The highlighted code points are the word. */
    const char *p = out;
    for (size_t i = 0; i < sp[0].start; i++) {
        p++;
        while (((unsigned char)*p & 0xC0) == 0x80)
            p++;
    }
    assert_true(strncmp(p, "strandskydd", 11) == 0);
    assert_int_equal(sp[0].len, 11);

    /* Line breaks and control characters show as one space. */
    assert_int_equal(lb_query_parse("hall", &q), 0);
    lb_snippet("Ny\r\n\tverkstads-\x01hall", &q, 160, out, sizeof out, sp);
    assert_string_equal(out, "Ny verkstads- hall");

    /* A compound match highlights the whole number. */
    assert_int_equal(lb_query_parse("5560360793", &q), 0);
    n = lb_snippet("orgnr 556036-0793 ringde", &q, 160, out, sizeof out, sp);
    assert_int_equal(n, 1);
    assert_int_equal(sp[0].start, 6);
    assert_int_equal(sp[0].len, 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swedish_words),
        cmocka_unit_test(test_orgnr_forms),
        cmocka_unit_test(test_case_numbers_and_diarienummer),
        cmocka_unit_test(test_mixed_scripts),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_long_words_are_cut),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_fold_name_unchanged),
        cmocka_unit_test(test_query_parse),
        cmocka_unit_test(test_snippet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
