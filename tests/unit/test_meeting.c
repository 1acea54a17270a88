/* test_meeting.c: the pure parts of meetings: kinds and item types, the
 * evaluation's questions per kind, the tally and its n >= 7 rule, the
 * record codec (a meeting with its attendance round-trips; a bad enum is
 * refused), and the public form's page for a meeting's link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/codec.h"
#include "lotsbok/error.h"
#include "lotsbok/meeting.h"
#include "lotsbok/survey_form.h"

static void test_kinds(void **state)
{
    (void)state;
    enum lb_meeting_kind k;
    assert_int_equal(lb_meeting_kind_from_str("infrastructure_meeting", &k), 0);
    assert_int_equal(k, LB_MEETING_INFRASTRUCTURE);
    assert_int_equal(lb_meeting_kind_from_str("party", &k), LB_EINVAL);
    for (int i = 0; i < LB_MEETING_KIND_COUNT; i++) {
        assert_non_null(lb_meeting_kind_str((enum lb_meeting_kind)i));
        assert_non_null(lb_meeting_kind_label_sv((enum lb_meeting_kind)i));
    }
    assert_true(lb_meeting_kind_training(LB_MEETING_COMPANY_TRAINING));
    assert_true(lb_meeting_kind_training(LB_MEETING_STAFF_TRAINING));
    assert_false(lb_meeting_kind_training(LB_MEETING_BUSINESS));
    enum lb_meeting_item_type t;
    assert_int_equal(lb_meeting_item_type_from_str("proposal", &t), 0);
    assert_string_equal(lb_meeting_item_type_label_sv(t), "Förslag");
}

static void test_questions(void **state)
{
    (void)state;
    size_t n;
    const struct lb_question *q = lb_meeting_questions(LB_MEETING_BUSINESS, &n);
    assert_int_equal(n, 1);
    assert_string_equal(q[0].key, "relevant");
    q = lb_meeting_questions(LB_MEETING_COMPANY_TRAINING, &n);
    assert_int_equal(n, 2);
    assert_int_equal(q[1].type, LB_Q_YESNO);
    assert_non_null(lb_meeting_question(LB_MEETING_STAFF_TRAINING, "knowledge"));
    assert_null(lb_meeting_question(LB_MEETING_THEME_DAY, "knowledge"));
}

static struct lb_meeting_eval ev(uint32_t relevant, uint32_t knowledge, const char *comment)
{
    struct lb_meeting_eval e = {0};
    e.relevant = relevant;
    e.knowledge = knowledge;
    e.comment = (char *)comment;
    return e;
}

static void test_tally_and_rule(void **state)
{
    (void)state;
    struct lb_meeting_tally t = {0};
    /* Six answers to relevant (4, 5, 6 relevant; 1, 2, 3 not) and one vet ej. */
    for (uint32_t v = 1; v <= 6; v++) {
        struct lb_meeting_eval e = ev(v, v % 2 ? 2 : 1, v == 3 ? "bra" : NULL);
        lb_meeting_tally_add(&t, &e);
    }
    struct lb_meeting_eval dk = ev(0, 0, "");
    lb_meeting_tally_add(&t, &dk);
    assert_int_equal(t.n, 7);
    assert_int_equal(t.relevant_n, 6);
    assert_int_equal(t.relevant_yes, 3);
    assert_int_equal(t.comments, 1);
    json_t *j = lb_meeting_tally_json(&t);
    assert_non_null(j);
    json_t *rel = json_object_get(j, "relevant");
    assert_true(json_is_true(json_object_get(rel, "suppressed")));
    assert_null(json_object_get(rel, "share")); /* six answers: held back */
    assert_int_equal(json_integer_value(json_object_get(rel, "n")), 6);
    json_decref(j);
    /* The seventh answer to relevant shows the share and the mean. */
    struct lb_meeting_eval e = ev(4, 2, NULL);
    lb_meeting_tally_add(&t, &e);
    j = lb_meeting_tally_json(&t);
    rel = json_object_get(j, "relevant");
    assert_null(json_object_get(rel, "suppressed"));
    assert_float_equal(json_real_value(json_object_get(rel, "share")), 4.0 / 7, 1e-12);
    assert_float_equal(json_real_value(json_object_get(rel, "mean")), 25.0 / 7, 1e-12);
    json_t *kn = json_object_get(j, "knowledge");
    assert_int_equal(json_integer_value(json_object_get(kn, "n")), 7);
    assert_float_equal(json_real_value(json_object_get(kn, "share")), 4.0 / 7, 1e-12);
    json_decref(j);
}

static void test_codec_round_trip(void **state)
{
    (void)state;
    struct lb_meeting m = {0};
    m.meta.id = 7;
    m.meta.version = 2;
    m.kind = LB_MEETING_STAFF_TRAINING;
    m.title = strdup("Serviceutbildning");
    m.starts_at = 1773300000000LL;
    m.place = strdup("Kommunhuset");
    m.nactions = 1;
    m.actions = calloc(1, sizeof *m.actions);
    m.actions[0] = strdup("1.3");
    m.nitems = 1;
    m.items = calloc(1, sizeof *m.items);
    m.items[0].type = LB_MEETING_ITEM_NEED;
    m.items[0].text = strdup("Tydligare rutiner");
    m.ncompanies = 1;
    m.companies = calloc(1, sizeof *m.companies);
    m.companies[0].company_id = 42;
    m.companies[0].persons = 3;
    m.nstaff = 1;
    m.staff = calloc(1, sizeof *m.staff);
    m.staff[0].unit = strdup("bygglov");
    m.staff[0].count = 12;
    m.eval_token = strdup("abc");
    m.eval_hash[0] = 9;
    m.eval_expires_at = m.starts_at + 1;
    assert_int_equal(lb_meeting_participants(&m), 15);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(lb_meeting_encode(&m, &sb), 0);
    struct lb_meeting d = {0};
    assert_int_equal(lb_meeting_decode(sb.data, sb.size, &d), 0);
    assert_string_equal(d.title, "Serviceutbildning");
    assert_int_equal(d.kind, LB_MEETING_STAFF_TRAINING);
    assert_string_equal(d.actions[0], "1.3");
    assert_string_equal(d.items[0].text, "Tydligare rutiner");
    assert_int_equal(d.companies[0].company_id, 42);
    assert_int_equal(d.companies[0].persons, 3);
    assert_string_equal(d.staff[0].unit, "bygglov");
    assert_int_equal(d.staff[0].count, 12);
    assert_int_equal(d.eval_hash[0], 9);
    assert_int_equal(d.eval_expires_at, m.starts_at + 1);
    lb_meeting_clear(&d);
    msgpack_sbuffer_destroy(&sb);
    /* An enum out of range is refused on encode (nothing undecodable is written). */
    m.kind = LB_MEETING_KIND_COUNT;
    msgpack_sbuffer_init(&sb);
    assert_int_not_equal(lb_meeting_encode(&m, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    lb_meeting_clear(&m);

    struct lb_meeting_eval e = ev(5, 2, NULL);
    e.meta.id = 3;
    e.meeting_id = 7;
    e.paper = true;
    e.comment = strdup("Lärorikt");
    msgpack_sbuffer_init(&sb);
    assert_int_equal(lb_meeting_eval_encode(&e, &sb), 0);
    struct lb_meeting_eval de = {0};
    assert_int_equal(lb_meeting_eval_decode(sb.data, sb.size, &de), 0);
    assert_int_equal(de.relevant, 5);
    assert_int_equal(de.knowledge, 2);
    assert_true(de.paper);
    assert_string_equal(de.comment, "Lärorikt");
    lb_meeting_eval_clear(&de);
    lb_meeting_eval_clear(&e);
    msgpack_sbuffer_destroy(&sb);
}

static void test_form_page(void **state)
{
    (void)state;
    size_t n;
    const struct lb_question *q = lb_meeting_questions(LB_MEETING_COMPANY_TRAINING, &n);
    struct lb_form_section sec = {"meeting", LB_FOLLOWUP_KIND_LOTS, "Upphandling <del 1>", "", q,
                                  n};
    struct lb_form f = {.municipality = "Norrtälje kommun",
                        .meeting = "Upphandling <del 1>, 5 november 2026",
                        .token = "AAAA",
                        .sections = &sec,
                        .nsections = 1};
    char *page = lb_form_page(&f);
    assert_non_null(page);
    assert_non_null(strstr(page, "Vad tyckte du om träffen?"));
    assert_non_null(strstr(page, "Upphandling &lt;del 1&gt;, 5 november 2026"));
    assert_non_null(strstr(page, "name=\"meeting.relevant\""));
    assert_non_null(strstr(page, "name=\"meeting.knowledge\""));
    assert_non_null(strstr(page, "inte alls relevant"));
    assert_null(strstr(page, "avregistrera")); /* nobody was mailed */
    assert_null(strstr(page, "mycket missnöjd"));
    free(page);
    page = lb_form_thanks_meeting("Norrtälje kommun", "Frukost & prat");
    assert_non_null(strstr(page, "Frukost &amp; prat"));
    assert_null(strstr(page, "avregistrera"));
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),          cmocka_unit_test(test_questions),
        cmocka_unit_test(test_tally_and_rule), cmocka_unit_test(test_codec_round_trip),
        cmocka_unit_test(test_form_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
