/* test_error.c: every lb_err code has its own description, and no code
 * (known or not) gives NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/error.h"

static void test_strerror(void **state)
{
    (void)state;
    /* LB_OK .. LB_EINTERNAL are 0 .. -15: each described, each differently. */
    for (int a = LB_OK; a >= LB_EINTERNAL; a--) {
        const char *sa = lb_strerror(a);
        assert_non_null(sa);
        assert_string_not_equal(sa, "unknown error");
        for (int b = LB_OK; b > a; b--)
            assert_string_not_equal(sa, lb_strerror(b));
    }
    assert_string_equal(lb_strerror(LB_EINVAL), "invalid input");
    assert_string_equal(lb_strerror(LB_EINTERNAL - 1), "unknown error");
    assert_string_equal(lb_strerror(1), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
