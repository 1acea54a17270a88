/* test_logfmt.c: log values escaped in one place (issue 19, item 2). A value
 * from a client can neither end its line, nor start a field of its own, nor
 * leave its quotes; a line is always one line of printable ASCII. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/logfmt.h"

static const char *value(const char *v)
{
    static char out[256];
    lb_logfmt_value(out, sizeof out, v);
    return out;
}

static void test_bare_and_quoted(void **state)
{
    (void)state;
    assert_string_equal(value("anna.lots"), "anna.lots");
    assert_string_equal(value("127.0.0.1"), "127.0.0.1");
    assert_string_equal(value("/api/v1/cases/{id}"), "/api/v1/cases/{id}");
    assert_string_equal(value(""), "\"\"");
    assert_string_equal(value(NULL), "-");
    assert_string_equal(value("two words"), "\"two words\"");
    assert_string_equal(value("x user=admin"), "\"x user=admin\"");
    assert_string_equal(value("a=b"), "\"a=b\"");
    assert_string_equal(value("say \"hi\""), "\"say \\\"hi\\\"\"");
    assert_string_equal(value("back\\slash"), "\"back\\\\slash\"");
}

static void test_control_and_non_ascii(void **state)
{
    (void)state;
    assert_string_equal(value("a\nts=x level=info msg=\"forged\""),
                        "\"a\\nts=x level=info msg=\\\"forged\\\"\"");
    assert_string_equal(value("cr\rtab\t"), "\"cr\\rtab\\t\"");
    assert_string_equal(value("\x01\x1b[31m\x7f"), "\"\\x01\\x1b[31m\\x7f\"");
    assert_string_equal(value("Malmö"), "\"Malm\\xc3\\xb6\"");
}

/* Whatever the input, the output is printable ASCII, and quotes balance. */
static void test_every_byte(void **state)
{
    (void)state;
    char in[256], out[1200];
    for (int b = 1; b < 256; b++) {
        for (int i = 0; i < 8; i++)
            in[i] = (char)b;
        in[8] = '\0';
        size_t n = lb_logfmt_value(out, sizeof out, in);
        assert_int_equal(n, strlen(out));
        for (size_t i = 0; i < n; i++)
            assert_true(out[i] > 0x20 ? out[i] < 0x7f : out[i] == ' ' && out[0] == '"');
        if (out[0] == '"') {
            assert_true(n >= 2 && out[n - 1] == '"');
            for (size_t i = 1; i + 1 < n; i++) { /* every inner quote escaped */
                if (out[i] == '\\')
                    i++;
                else
                    assert_true(out[i] != '"');
            }
        } else {
            assert_null(memchr(out, '=', n));
        }
    }
}

/* A value that does not fit is cut between escapes, its quotes closed. */
static void test_cut(void **state)
{
    (void)state;
    char out[12];
    lb_logfmt_value(out, sizeof out, "\n\n\n\n\n\n\n\n");
    assert_string_equal(out, "\"\\n\\n\\n\\n\"");
    lb_logfmt_value(out, sizeof out, "abcdefghijklmnopqrstuvwxyz");
    assert_string_equal(out, "abcdefghijk");
    lb_logfmt_value(out, 4, "x y");
    assert_string_equal(out, "\"x\"");
}

static void test_fields_and_line(void **state)
{
    (void)state;
    struct lb_logfmt f;
    lb_logfmt_init(&f);
    lb_logfmt_str(&f, "user", "x\nts=1 level=info msg=\"login\" user=admin");
    lb_logfmt_int(&f, "status", 401);
    lb_logfmt_str(&f, "peer", "127.0.0.1");
    assert_string_equal(f.buf, "user=\"x\\nts=1 level=info msg=\\\"login\\\" user=admin\" "
                               "status=401 peer=127.0.0.1");
    char line[2048];
    size_t n =
        lb_logfmt_line(line, sizeof line, "2026-03-14T09:30:00Z", "info", "login failed", &f);
    assert_int_equal(n, strlen(line));
    assert_string_equal(line,
                        "ts=2026-03-14T09:30:00Z level=info msg=\"login failed\" user=\"x\\nts=1 "
                        "level=info msg=\\\"login\\\" user=admin\" status=401 peer=127.0.0.1\n");
    assert_ptr_equal(strchr(line, '\n'), line + n - 1); /* one line */
    /* A field list never overflows: fields that do not fit are left out. */
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lb_logfmt_init(&f);
    for (int i = 0; i < 20; i++)
        lb_logfmt_str(&f, "k", big);
    assert_true(f.len < sizeof f.buf);
    assert_int_equal(f.len, strlen(f.buf));
    n = lb_logfmt_line(line, 64, "t", "info", "m", &f);
    assert_int_equal(n, 63);
    assert_int_equal(line[62], '\n');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bare_and_quoted), cmocka_unit_test(test_control_and_non_ascii),
        cmocka_unit_test(test_every_byte),      cmocka_unit_test(test_cut),
        cmocka_unit_test(test_fields_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
