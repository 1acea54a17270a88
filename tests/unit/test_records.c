/* test_records.c: record ownership (lb_*_clear) and case numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/error.h"
#include "lotsbok/records.h"

static char *dup(const char *s)
{
    char *c = strdup(s);
    assert_non_null(c);
    return c;
}

/* Clearing frees every owned pointer (ASan would report a leak otherwise),
 * zeroes the struct, and a second clear is harmless. */
static void test_clear_frees_and_zeroes(void **state)
{
    (void)state;
    static const uint8_t zero[sizeof(struct lb_followup) > sizeof(struct lb_company)
                                  ? sizeof(struct lb_followup)
                                  : sizeof(struct lb_company)];

    struct lb_company co = {.name = dup("Mälarbygg AB"), .locality = dup("Norrtälje")};
    co.contacts = calloc(2, sizeof(*co.contacts));
    assert_non_null(co.contacts);
    co.ncontacts = 2;
    co.contacts[0].name = dup("Anna");
    co.contacts[1].email = dup("b@example.se");
    lb_company_clear(&co);
    assert_memory_equal(&co, zero, sizeof(co));
    lb_company_clear(&co);
    lb_company_clear(NULL);

    struct lb_followup fu = {.assignee = dup("lotsen"), .comment = dup("bra")};
    fu.items = calloc(1, sizeof(*fu.items));
    assert_non_null(fu.items);
    fu.nitems = 1;
    fu.items[0].unit = dup("bygglov");
    fu.answers = calloc(1, sizeof(*fu.answers));
    assert_non_null(fu.answers);
    fu.nanswers = 1;
    fu.answers[0].item = dup("lots");
    fu.answers[0].question = dup("usefulness");
    lb_followup_clear(&fu);
    assert_memory_equal(&fu, zero, sizeof(fu));

    struct lb_user u = {.username = dup("admin"), .password_hash = dup("$argon2id$x")};
    u.units = calloc(2, sizeof(char *));
    assert_non_null(u.units);
    u.nunits = 2;
    u.units[0] = dup("miljo");
    lb_user_clear(&u);
    assert_null(u.units);
    assert_int_equal(u.nunits, 0);

    struct lb_case c = {.subject = dup("s"), .owner = dup("o"), .close_note = dup("n")};
    lb_case_clear(&c);
    assert_null(c.subject);
    struct lb_contact ct = {.summary = dup("s"), .logged_by = dup("l")};
    lb_contact_clear(&ct);
    struct lb_handoff h = {.unit = dup("u"), .note = dup("n"), .withdraw_note = dup("w")};
    lb_handoff_clear(&h);
    struct lb_improvement im = {.title = dup("t")};
    lb_improvement_clear(&im);
    struct lb_session se = {.username = dup("u")};
    lb_session_clear(&se);
    struct lb_idempotency id = {.body = dup("{}"), .location = dup("/x")};
    lb_idempotency_clear(&id);
    struct lb_snapshot sn = {.json = dup("{}")};
    lb_snapshot_clear(&sn);
    struct lb_event ev = {.type = dup("case.opened"), .actor = dup("a")};
    ev.data = malloc(1);
    assert_non_null(ev.data);
    lb_event_clear(&ev);
    assert_null(ev.data);
    assert_int_equal(ev.data_len, 0);
}

static void test_case_number_format(void **state)
{
    (void)state;
    char buf[24]; /* 16 is enough below serial 10^9; the largest serial needs 17 */
    struct lb_case c = {.year = 2026, .serial = 42};
    lb_case_number(&c, buf, sizeof(buf));
    assert_string_equal(buf, "L2026-0042");
    c.serial = 12345;
    lb_case_number(&c, buf, sizeof(buf));
    assert_string_equal(buf, "L2026-12345");
    c.serial = UINT32_MAX;
    lb_case_number(&c, buf, sizeof(buf));
    assert_string_equal(buf, "L2026-4294967295");
    char small[4];
    lb_case_number(&c, small, sizeof(small));
    assert_string_equal(small, "L20");
}

static void test_case_number_parse(void **state)
{
    (void)state;
    uint16_t y = 0;
    uint32_t s = 0;
    assert_int_equal(lb_case_number_parse("L2026-0042", &y, &s), 0);
    assert_int_equal(y, 2026);
    assert_int_equal(s, 42);
    assert_int_equal(lb_case_number_parse("L2027-12345", &y, &s), 0);
    assert_int_equal(y, 2027);
    assert_int_equal(s, 12345);
    assert_int_equal(lb_case_number_parse("L2026-4294967295", &y, &s), 0);
    assert_int_equal(s, UINT32_MAX);

    static const char *bad[] = {
        "",
        "L",
        "l2026-0042",
        "2026-0042",
        "L2026-42",
        "L2026-00042",
        "L2026-0000",
        "L0000-0001",
        "L2026_0042",
        "L2026-0042 ",
        " L2026-0042",
        "L202-0042",
        "L2026-",
        "L2026-4294967296",
        "L2026-99999999999",
        "L20a6-0042",
        "L2026-00a2",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        y = 7;
        s = 7;
        assert_int_equal(lb_case_number_parse(bad[i], &y, &s), LB_EINVAL);
        assert_int_equal(y, 7);
        assert_int_equal(s, 7);
    }
    assert_int_equal(lb_case_number_parse(NULL, &y, &s), LB_EINVAL);

    /* format and parse are inverse */
    char buf[24];
    for (uint32_t serial = 1; serial < 200000; serial = serial * 3 + 1) {
        struct lb_case c = {.year = 2031, .serial = serial};
        lb_case_number(&c, buf, sizeof(buf));
        assert_int_equal(lb_case_number_parse(buf, &y, &s), 0);
        assert_int_equal(y, 2031);
        assert_int_equal(s, serial);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear_frees_and_zeroes),
        cmocka_unit_test(test_case_number_format),
        cmocka_unit_test(test_case_number_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
