/* test_enums.c: wire strings of every enumeration, Swedish labels, units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/enums.h"
#include "lotsbok/error.h"

/* Checks one enumeration: the wire strings of DESIGN.md in value order (NULL
 * for a NONE value), both directions, and the strings it must reject. */
#define CHECK_ENUM(name, COUNT, ...)                                                               \
    do {                                                                                           \
        const char *want[] = {__VA_ARGS__};                                                        \
        assert_int_equal(sizeof want / sizeof want[0], COUNT);                                     \
        for (int i = 0; i < (int)COUNT; i++) {                                                     \
            const char *got = lb_##name##_str((enum lb_##name)i);                                  \
            if (want[i] == NULL) {                                                                 \
                assert_null(got);                                                                  \
                continue;                                                                          \
            }                                                                                      \
            assert_non_null(got);                                                                  \
            assert_string_equal(got, want[i]);                                                     \
            enum lb_##name v = (enum lb_##name)(COUNT);                                            \
            assert_int_equal(lb_##name##_from_str(want[i], &v), 0);                                \
            assert_int_equal((int)v, i);                                                           \
        }                                                                                          \
        assert_null(lb_##name##_str((enum lb_##name)(COUNT)));                                     \
        assert_null(lb_##name##_str((enum lb_##name) - 1));                                        \
        enum lb_##name v = (enum lb_##name)0;                                                      \
        const char *bad[] = {"", "unknown", "none", "NONE", " ", "Open", "PHONE", "Q1"};           \
        for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++)                                    \
            assert_int_equal(lb_##name##_from_str(bad[j], &v), LB_EINVAL);                         \
        assert_int_equal(lb_##name##_from_str(NULL, &v), LB_EINVAL);                               \
        /* A valid string with anything appended is still unknown. */                              \
        char longer[64];                                                                           \
        const char *first = want[0] != NULL ? want[0] : want[1];                                   \
        snprintf(longer, sizeof longer, "%s ", first);                                             \
        assert_int_equal(lb_##name##_from_str(longer, &v), LB_EINVAL);                             \
        snprintf(longer, sizeof longer, "%.*s", (int)strlen(first) - 1, first);                    \
        assert_int_equal(lb_##name##_from_str(longer, &v), LB_EINVAL);                             \
    } while (0)

static void test_wire_strings(void **state)
{
    (void)state;
    CHECK_ENUM(category, LB_CATEGORY_COUNT, "establishment", "expansion", "permit", "premises_land",
               "procurement", "recruitment", "other");
    CHECK_ENUM(channel, LB_CHANNEL_COUNT, "phone", "email", "visit", "meeting", "video");
    CHECK_ENUM(direction, LB_DIRECTION_COUNT, "inbound", "outbound");
    CHECK_ENUM(case_status, LB_CASE_STATUS_COUNT, "open", "closed");
    CHECK_ENUM(outcome, LB_OUTCOME_COUNT, NULL, "resolved", "referred", "withdrawn", "no_action");
    CHECK_ENUM(handoff_status, LB_HANDOFF_STATUS_COUNT, "sent", "acknowledged", "decided",
               "withdrawn");
    CHECK_ENUM(decision, LB_DECISION_COUNT, NULL, "granted", "refused", "advice_given", "withdrawn",
               "other");
    CHECK_ENUM(followup_kind, LB_FOLLOWUP_KIND_COUNT, "lots", "unit");
    CHECK_ENUM(followup_status, LB_FOLLOWUP_STATUS_COUNT, "scheduled", "done", "no_answer",
               "declined", "unreachable", "cancelled");
    CHECK_ENUM(improvement_status, LB_IMPROVEMENT_STATUS_COUNT, "identified", "implemented",
               "dropped");
    CHECK_ENUM(role, LB_ROLE_COUNT, "admin", "lots", "handler", "viewer", "service");
}

static void test_enums_do_not_leak_across(void **state)
{
    (void)state;
    /* Strings of one vocabulary are unknown to another. */
    enum lb_outcome o;
    assert_int_equal(lb_outcome_from_str("granted", &o), LB_EINVAL);
    enum lb_decision d;
    assert_int_equal(lb_decision_from_str("resolved", &d), LB_EINVAL);
    enum lb_followup_status f;
    assert_int_equal(lb_followup_status_from_str("open", &f), LB_EINVAL);
    enum lb_role r = LB_ROLE_VIEWER;
    assert_int_equal(lb_role_from_str("root", &r), LB_EINVAL);
    assert_int_equal(r, LB_ROLE_VIEWER); /* untouched on failure */
}

/* Every label of a vocabulary is present (except NONE) and unique. */
#define CHECK_LABELS(fn, COUNT, first_valid)                                                       \
    do {                                                                                           \
        for (int i = 0; i < (int)(COUNT); i++) {                                                   \
            const char *a = fn(i);                                                                 \
            if (i < (first_valid)) {                                                               \
                assert_null(a);                                                                    \
                continue;                                                                          \
            }                                                                                      \
            assert_non_null(a);                                                                    \
            assert_true(strlen(a) > 0);                                                            \
            for (int j = (first_valid); j < i; j++)                                                \
                assert_string_not_equal(a, fn(j));                                                 \
        }                                                                                          \
        assert_null(fn(COUNT));                                                                    \
    } while (0)

static void test_swedish_labels(void **state)
{
    (void)state;
    CHECK_LABELS(lb_category_label_sv, LB_CATEGORY_COUNT, 0);
    CHECK_LABELS(lb_channel_label_sv, LB_CHANNEL_COUNT, 0);
    CHECK_LABELS(lb_outcome_label_sv, LB_OUTCOME_COUNT, 1);
    CHECK_LABELS(lb_decision_label_sv, LB_DECISION_COUNT, 1);
    CHECK_LABELS(lb_handoff_status_label_sv, LB_HANDOFF_STATUS_COUNT, 0);
    CHECK_LABELS(lb_followup_status_label_sv, LB_FOLLOWUP_STATUS_COUNT, 0);
    assert_string_equal(lb_channel_label_sv(LB_CHANNEL_EMAIL), "E-post");
    assert_string_equal(lb_channel_label_sv(LB_CHANNEL_VISIT), "Besök");
    assert_string_equal(lb_category_label_sv(LB_CATEGORY_PERMIT), "Tillstånd");
    assert_string_equal(lb_category_label_sv(LB_CATEGORY_OTHER), "Övrigt");
    assert_string_equal(lb_decision_label_sv(LB_DECISION_GRANTED), "Beviljat");
    assert_string_equal(lb_followup_status_label_sv(LB_FOLLOWUP_NO_ANSWER), "Inget svar");
}

static void test_units_default(void **state)
{
    (void)state;
    struct lb_units u;
    memset(&u, 0x5a, sizeof u);
    lb_units_default(&u);
    assert_int_equal(u.count, 7);
    const char *want[][2] = {
        {"bygglov", "Bygglov"},
        {"miljo", "Miljö- och hälsoskydd"},
        {"livsmedel", "Livsmedelskontroll"},
        {"serveringstillstand", "Serveringstillstånd"},
        {"raddningstjanst", "Räddningstjänst (brandskydd)"},
        {"gata_park", "Gata och park (markupplåtelse)"},
        {"upphandling", "Upphandling"},
    };
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(u.unit[i].code, want[i][0]);
        assert_string_equal(u.unit[i].name_sv, want[i][1]);
        const struct lb_unit *f = lb_units_find(&u, want[i][0]);
        assert_ptr_equal(f, &u.unit[i]);
    }
    assert_null(lb_units_find(&u, "skola"));
    assert_null(lb_units_find(&u, "Bygglov"));
    assert_null(lb_units_find(&u, ""));
    assert_null(lb_units_find(&u, NULL));
}

static void test_units_parse(void **state)
{
    (void)state;
    struct lb_units u;
    assert_int_equal(lb_units_parse(&u, "bygglov=Bygglov;miljo=Miljö- och hälsoskydd"), 0);
    assert_int_equal(u.count, 2);
    assert_string_equal(lb_units_find(&u, "miljo")->name_sv, "Miljö- och hälsoskydd");
    assert_null(lb_units_find(&u, "livsmedel"));

    /* Whitespace around entries is trimmed; a trailing ";" is fine. */
    assert_int_equal(lb_units_parse(&u, " skola = Skolförvaltning ; vatten_2=Vatten och avlopp;\n"),
                     0);
    assert_int_equal(u.count, 2);
    assert_string_equal(u.unit[0].code, "skola");
    assert_string_equal(u.unit[0].name_sv, "Skolförvaltning");
    assert_string_equal(u.unit[1].code, "vatten_2");
    assert_string_equal(u.unit[1].name_sv, "Vatten och avlopp");

    /* The longest code allowed, 31 characters. */
    char spec[8192];
    snprintf(spec, sizeof spec, "%s=X", "abcdefghijklmnopqrstuvwxyz01234");
    assert_int_equal(lb_units_parse(&u, spec), 0);
    assert_int_equal(u.count, 1);

    /* Exactly LB_UNITS_MAX units, then one more. */
    size_t off = 0;
    for (int i = 0; i < LB_UNITS_MAX; i++)
        off += (size_t)snprintf(spec + off, sizeof spec - off, "u%d=Enhet %d;", i, i);
    assert_int_equal(lb_units_parse(&u, spec), 0);
    assert_int_equal(u.count, LB_UNITS_MAX);
    assert_string_equal(lb_units_find(&u, "u63")->name_sv, "Enhet 63");
    snprintf(spec + off, sizeof spec - off, "extra=En till");
    assert_int_equal(lb_units_parse(&u, spec), LB_EINVAL);

    /* Failures leave *u unchanged. */
    lb_units_default(&u);
    const char *bad[] = {
        "",
        " ; ;",
        "bygglov",
        "bygglov=",
        "=Bygglov",
        "Bygglov=Bygglov",
        "bygg lov=Bygglov",
        "bygg-lov=Bygglov",
        "byggl\xc3\xb6v=Bygglov",
        "bygglov=Bygglov;bygglov=Igen",
        "abcdefghijklmnopqrstuvwxyz012345=X",
        "bygglov=Bygg\x01lov",
        "bygglov=Bygg\xc3lov",     /* truncated UTF-8 */
        "bygglov=Bygg\xc0\xaflov", /* overlong */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (lb_units_parse(&u, bad[i]) != LB_EINVAL)
            fail_msg("accepted bad unit list \"%s\"", bad[i]);
        assert_int_equal(u.count, 7);
        assert_string_equal(u.unit[0].code, "bygglov");
    }
    assert_int_equal(lb_units_parse(&u, NULL), LB_EINVAL);

    /* A name of 127 bytes fits, 128 does not. */
    memset(spec, 0, sizeof spec);
    strcpy(spec, "a=");
    memset(spec + 2, 'n', 127);
    assert_int_equal(lb_units_parse(&u, spec), 0);
    assert_int_equal(strlen(u.unit[0].name_sv), 127);
    spec[2 + 127] = 'n';
    assert_int_equal(lb_units_parse(&u, spec), LB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_strings),   cmocka_unit_test(test_enums_do_not_leak_across),
        cmocka_unit_test(test_swedish_labels), cmocka_unit_test(test_units_default),
        cmocka_unit_test(test_units_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
