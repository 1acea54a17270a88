/* test_jsonw.c: the JSON writer (jsonw.h) and the API renderers built on it.
 *
 * Every output is parsed back with jansson, and compared byte for byte with
 * what json_dumps(JSON_COMPACT) prints for the same values: the answers of
 * GET /cases/{id} and POST /cases/{id}/contacts moved from jansson trees to
 * the writer and must not change by a byte. Hostile strings: quotes,
 * backslashes, every control character, DEL, U+2028/U+2029, non-BMP
 * characters, invalid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/api.h"
#include "lotsbok/jsonw.h"
#include "lotsbok/timeutil.h"

static const char *const hostile[] = {
    "",
    "plain ascii",
    "quote \" and backslash \\ and slash /",
    "\"\\\"\\\\",
    "tab\tnl\ncr\rbs\bff\f",
    "\x01\x02\x1f\x7f end",
    "Åsa Öberg, Mälarbygg AB",
    "line\xe2\x80\xa8sep\xe2\x80\xa9para",         /* U+2028, U+2029 */
    "emoji \xf0\x9f\x98\x80 and \xf4\x8f\xbf\xbf", /* U+1F600, U+10FFFF */
    "</script><!-- & ' =",
    "\xef\xbb\xbf bom and \xef\xbf\xbd",
};

/* What jansson prints for s as a compact JSON string. */
static char *jansson_str(const char *s)
{
    json_t *j = json_string(s);
    assert_non_null(j);
    char *out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    assert_non_null(out);
    return out;
}

static char *writer_str(const char *s, size_t n)
{
    struct lb_jw w;
    lb_jw_init(&w);
    lb_jw_strn(&w, s, n);
    char *out = lb_jw_take(&w, NULL);
    assert_non_null(out);
    return out;
}

/* The string parses back to itself and is byte for byte jansson's. */
static void check_str(const char *s, size_t n)
{
    char *mine = writer_str(s, n);
    json_error_t err;
    json_t *back = json_loads(mine, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    assert_non_null(back);
    assert_true(json_is_string(back));
    assert_int_equal(json_string_length(back), n);
    assert_memory_equal(json_string_value(back), s, n);
    json_decref(back);
    if (strlen(s) == n) {
        char *theirs = jansson_str(s);
        assert_string_equal(mine, theirs);
        free(theirs);
    }
    free(mine);
}

static void test_hostile_strings(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        check_str(hostile[i], strlen(hostile[i]));
}

/* Every single ASCII byte, and every pair of a control character and text. */
static void test_every_ascii_byte(void **state)
{
    (void)state;
    for (int c = 1; c < 0x80; c++) {
        char s[4] = {'a', (char)c, 'b', 0};
        check_str(s, 3);
    }
    check_str("a\0b", 3); /* an embedded NUL becomes \u0000 */
    char *nul = writer_str("\0", 1);
    assert_string_equal(nul, "\"\\u0000\"");
    free(nul);
}

/* Invalid UTF-8 never reaches the output raw: U+FFFD per bad byte. */
static void test_invalid_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xff", "\xc0\x80", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xc3", "\x80x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = writer_str(bad[i], strlen(bad[i]));
        json_error_t err;
        json_t *back = json_loads(out, JSON_DECODE_ANY, &err);
        assert_non_null(back);
        assert_non_null(strstr(json_string_value(back), "\xef\xbf\xbd"));
        json_decref(back);
        free(out);
    }
}

static void test_integers_and_structure(void **state)
{
    (void)state;
    static const int64_t vals[] = {0, 1, -1, 42, -1234567890123LL, INT64_MAX, INT64_MIN};
    struct lb_jw w;
    lb_jw_init(&w);
    json_t *ref = json_object(), *arr = json_array(), *inner = json_object();
    assert_true(ref && arr && inner);
    lb_jw_obj_begin(&w);
    lb_jw_key(&w, "ints");
    lb_jw_arr_begin(&w);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        lb_jw_int(&w, vals[i]);
        json_array_append_new(arr, json_integer(vals[i]));
    }
    lb_jw_arr_end(&w);
    json_object_set_new(ref, "ints", arr);
    lb_jw_key(&w, "empty");
    lb_jw_arr_begin(&w);
    lb_jw_arr_end(&w);
    json_object_set_new(ref, "empty", json_array());
    lb_jw_key(&w, "in\"ner");
    lb_jw_obj_begin(&w);
    lb_jw_kbool(&w, "t", true);
    lb_jw_kbool(&w, "f", false);
    lb_jw_kstr(&w, "n", NULL);
    lb_jw_obj_end(&w);
    json_object_set_new(inner, "t", json_true());
    json_object_set_new(inner, "f", json_false());
    json_object_set_new(inner, "n", json_null());
    json_object_set_new(ref, "in\"ner", inner);
    json_t *sub = json_pack("{s:[i,s,n]}", "x", 1, "y\n");
    assert_non_null(sub);
    lb_jw_key(&w, "dumped");
    lb_jw_json(&w, sub);
    json_object_set(ref, "dumped", sub);
    json_decref(sub);
    lb_jw_obj_end(&w);
    size_t len = 0;
    char *mine = lb_jw_take(&w, &len);
    assert_non_null(mine);
    assert_int_equal(len, strlen(mine));
    char *theirs = json_dumps(ref, JSON_COMPACT);
    assert_string_equal(mine, theirs);
    json_error_t err;
    json_t *back = json_loads(mine, 0, &err);
    assert_non_null(back);
    assert_true(json_equal(back, ref));
    json_decref(back);
    json_decref(ref);
    free(mine);
    free(theirs);
}

/* A long string crosses many buffer doublings intact. */
static void test_growth(void **state)
{
    (void)state;
    size_t n = 200000;
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)(i % 7 == 0 ? '"' : 'a' + (char)(i % 26));
    s[n] = 0;
    check_str(s, n);
    free(s);
}

static char *dump(json_t *j)
{
    assert_non_null(j);
    char *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    assert_non_null(out);
    return out;
}

/* The case and contact renderers print what api_case_json/api_contact_json
 * print, for every hostile string in every text field, open and closed. */
static void test_case_and_contact_match_jansson(void **state)
{
    (void)state;
    lb_time now = 1767225600123LL; /* 2026-01-01T00:00:00.123Z */
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        const char *s = hostile[i];
        struct lb_case c = {
            .meta = {.id = 7 + i, .version = 3, .created_at = now, .updated_at = now + 5},
            .year = 2026,
            .serial = 42,
            .company_id = 9,
            .subject = (char *)s,
            .category = LB_CATEGORY_ESTABLISHMENT,
            .description = i % 2 ? (char *)s : NULL,
            .opened_at = now,
            .owner = (char *)s,
            .status = i % 2 ? LB_CASE_CLOSED : LB_CASE_OPEN,
            .outcome = i % 2 ? LB_OUTCOME_RESOLVED : LB_OUTCOME_NONE,
            .close_note = i % 2 ? (char *)s : NULL,
            .closed_at = i % 2 ? now + 1000 : LB_TIME_NONE,
            .legal_hold = i % 3 == 0,
        };
        struct lb_jw w;
        lb_jw_init(&w);
        lb_jw_obj_begin(&w);
        api_case_fields_jw(&w, &c);
        lb_jw_obj_end(&w);
        char *mine = lb_jw_take(&w, NULL);
        char *theirs = dump(api_case_json(&c));
        assert_non_null(mine);
        assert_string_equal(mine, theirs);
        free(mine);
        free(theirs);

        struct lb_contact k = {
            .meta = {.id = 100 + i, .version = 1, .created_at = now, .updated_at = now},
            .case_id = 7,
            .at = i % 2 ? now : LB_TIME_NONE,
            .channel = LB_CHANNEL_PHONE,
            .direction = LB_DIRECTION_INBOUND,
            .summary = (char *)s,
            .minutes = i % 2 ? (int32_t)i * 10 : -1,
            .logged_by = i % 3 ? (char *)s : NULL,
        };
        lb_jw_init(&w);
        api_contact_jw(&w, &k);
        mine = lb_jw_take(&w, NULL);
        theirs = dump(api_contact_json(&k));
        assert_non_null(mine);
        assert_string_equal(mine, theirs);
        free(mine);
        free(theirs);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_strings),
        cmocka_unit_test(test_every_ascii_byte),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_integers_and_structure),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_case_and_contact_match_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
