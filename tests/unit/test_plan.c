/* test_plan.c: the plan's documents and values (core/domain/plan.c).
 *
 * The real plan file (data/plan-norrtalje-2025-2030.json) is checked whole;
 * then each rule is shown to refuse what it must, with the path of the fault,
 * and to normalise what it accepts. Values are read from hand-made snapshots
 * and follow-ups: a count, a suppressed index, a restated line (same_as), a
 * milestone, a meeting source (null with a reason, never a number). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/error.h"
#include "lotsbok/plan.h"
#include "lotsbok/timeutil.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad fixture JSON: %s: %s", e.text, text);
    return j;
}

static const char *HEADER = "{\"title\": \"Plan\", \"municipality\": \"Kommunen\","
                            " \"period\": {\"from\": 2025, \"to\": 2030},"
                            " \"areas\": [{\"number\": 1, \"title\": \"Service\"},"
                            " {\"number\": 2, \"title\": \"Innovation\"}]}";

static json_t *header(void)
{
    json_t *h = J(HEADER);
    struct lb_plan_err err = {0};
    assert_int_equal(lb_plan_check_header(h, &err), 0);
    return h;
}

static json_t *action(const char *extra)
{
    char buf[4096];
    snprintf(
        buf, sizeof buf,
        "{\"code\": \"1.2\", \"area\": 1, \"title\": \"Uppföljning\","
        " \"followup_frequency\": \"quarterly\", \"units\": [\"bygglov\"],"
        " \"indicators\": ["
        "  {\"id\": \"1.2-1\", \"name\": \"NKI\", \"kind\": \"auto\", \"source\": \"nki_total\","
        "   \"unit\": \"index\", \"direction\": \"increase\"},"
        "  {\"id\": \"1.2-2\", \"name\": \"Antal\", \"kind\": \"manual\", \"unit\": \"count\"},"
        "  {\"id\": \"1.2-3\", \"name\": \"Antal ska minska\", \"kind\": \"manual\","
        "   \"unit\": \"count\", \"direction\": \"decrease\", \"same_as\": \"1.2-2\"},"
        "  {\"id\": \"1.2-4\", \"name\": \"Beslut senast Q1\", \"kind\": \"milestone\","
        "   \"due\": \"2026-03-31\"},"
        "  {\"id\": \"1.2-5\", \"name\": \"Andel\", \"kind\": \"manual\", \"unit\": \"share\","
        "   \"direction\": \"at_least\", \"target\": {\"2026\": 0.5}},"
        "  {\"id\": \"1.2-6\", \"name\": \"Träffar\", \"kind\": \"auto\","
        "   \"source\": \"meetings:cluster_meeting\", \"unit\": \"count\"}"
        " ]%s%s}",
        extra ? ", " : "", extra ? extra : "");
    return J(buf);
}

static void test_vocabularies(void **state)
{
    (void)state;
    enum lb_plan_status st;
    assert_int_equal(lb_plan_status_from_str("ongoing", &st), 0);
    assert_int_equal(st, LB_PLAN_ONGOING);
    assert_string_equal(lb_plan_status_label_sv(LB_PLAN_NOT_STARTED), "Ej påbörjad");
    assert_string_equal(lb_plan_status_label_sv(LB_PLAN_CLOSED), "Avslutad");
    assert_int_equal(lb_plan_status_from_str("done", &st), LB_EINVAL);
    assert_null(lb_plan_status_str(LB_PLAN_STATUS_COUNT));
    assert_string_equal(lb_plan_direction_label_sv("decrease"), "Ska minska");
    assert_string_equal(lb_plan_frequency_label_sv("quarterly"), "Kvartalsvis");
    assert_null(lb_plan_direction_label_sv("sideways"));

    char p[64];
    assert_int_equal(lb_plan_source_path("usefulness_index", p, sizeof p), 0);
    assert_string_equal(p, "lots.questions.usefulness");
    assert_int_equal(lb_plan_source_path("nki:upphandling", p, sizeof p), 0);
    assert_string_equal(p, "units.upphandling.nki");
    assert_int_equal(lb_plan_source_path("meeting_companies:theme_day", p, sizeof p), 0);
    assert_string_equal(p, "meetings.theme_day.meeting_companies");
    assert_int_equal(lb_plan_source_path("meeting_companies:picnic", p, sizeof p), LB_EINVAL);
    assert_int_equal(lb_plan_source_path("nki:Bygg lov", p, sizeof p), LB_EINVAL);
    assert_int_equal(lb_plan_source_path("weather", p, sizeof p), LB_EINVAL);

    int y, q;
    assert_int_equal(lb_plan_period_parse("2026", &y, &q), 0);
    assert_int_equal(y * 10 + q, 20260);
    assert_int_equal(lb_plan_period_parse("2026-Q3", &y, &q), 0);
    assert_int_equal(y * 10 + q, 20263);
    const char *bad[] = {"26", "2026-Q0", "2026-Q5", "2026Q1", "1999", "2026-q1", "20x6", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(lb_plan_period_parse(bad[i], &y, &q), LB_EINVAL);
}

static void test_the_real_file(void **state)
{
    (void)state;
    json_error_t e;
    json_t *file = json_load_file(LB_SOURCE_DIR "/data/plan-norrtalje-2025-2030.json", 0, &e);
    assert_non_null(file);
    struct lb_units units;
    lb_units_default(&units);
    json_t *actions = NULL;
    struct lb_plan_err err = {0};
    int rc = lb_plan_check_file(file, &units, &actions, &err);
    if (rc)
        fail_msg("%s: %s", err.field, err.message);
    assert_int_equal(json_array_size(actions), 17);
    assert_null(json_object_get(json_array_get(json_object_get(file, "areas"), 0), "actions"));
    assert_int_equal(json_integer_value(json_object_get(file, "followup_from")), 2026);
    /* Normalised: the loader's area is set, optional fields are present. */
    json_t *a = json_array_get(actions, 16);
    assert_string_equal(json_string_value(json_object_get(a, "code")), "6.4");
    assert_int_equal(json_integer_value(json_object_get(a, "area")), 6);
    assert_true(json_is_null(json_object_get(a, "owner")));
    json_decref(actions);
    json_decref(file);
}

static void expect_refused(const char *extra, const char *code, const char *field)
{
    json_t *h = header(), *a = action(extra);
    struct lb_units units;
    lb_units_default(&units);
    struct lb_plan_err err = {0};
    assert_int_equal(lb_plan_check_action(a, h, &units, &err), LB_EINVAL);
    if (strcmp(err.code, code) != 0 || strcmp(err.field, field) != 0)
        fail_msg("%s: got %s at %s (%s), want %s at %s", extra, err.code, err.field, err.message,
                 code, field);
    json_decref(a);
    json_decref(h);
}

static void test_action_rules(void **state)
{
    (void)state;
    json_t *h = header(), *a = action(NULL);
    struct lb_units units;
    lb_units_default(&units);
    struct lb_plan_err err = {0};
    assert_int_equal(lb_plan_check_action(a, h, &units, &err), 0);
    assert_true(json_is_array(json_object_get(a, "activities")));
    assert_true(json_is_null(json_object_get(a, "purpose")));
    json_t *ms = json_array_get(json_object_get(a, "indicators"), 3);
    assert_string_equal(json_string_value(json_object_get(ms, "unit")), "text");
    json_decref(a);

    /* An indicator without id gets the next number; read-only fields are dropped. */
    a = action("\"id\": 7, \"version\": 3, \"area_title\": \"x\"");
    json_array_append_new(json_object_get(a, "indicators"),
                          J("{\"name\": \"Ny\", \"kind\": \"manual\", \"unit\": \"count\"}"));
    assert_int_equal(lb_plan_check_action(a, h, &units, &err), 0);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(a, "indicators"), 6), "id")),
                        "1.2-7");
    assert_null(json_object_get(a, "version"));
    json_decref(a);
    json_decref(h);

    expect_refused("\"colour\": 1", "unknown_field", "colour");
    expect_refused("\"code\": \"2.2\"", "invalid_field", "code");
    expect_refused("\"code\": \"x\"", "invalid_field", "code");
    expect_refused("\"area\": 3, \"code\": \"3.1\"", "unknown_area", "area");
    expect_refused("\"title\": \"  \"", "missing_field", "title");
    expect_refused("\"units\": [\"bygglovet\"]", "unknown_unit", "units[0]");
    expect_refused("\"units\": [\"miljo\", \"miljo\"]", "duplicate", "units[1]");
    expect_refused("\"start\": \"2026-02-30\"", "invalid_field", "start");
    expect_refused("\"start\": \"2026-05-01\", \"end\": \"2026-01-01\"", "invalid_field", "end");
    expect_refused("\"owner\": \"Anna Öberg\"", "invalid_field", "owner");
    expect_refused("\"followup_frequency\": \"weekly\"", "invalid_enum", "followup_frequency");
    expect_refused("\"activities\": [{\"text\": \"a\", \"done\": \"yes\"}]", "invalid_field",
                   "activities[0].done");

    char big[2100];
    memset(big, 'x', 2099);
    big[2099] = '\0';
    char extra[2300];
    snprintf(extra, sizeof extra, "\"activities\": [{\"text\": \"%s\"}]", big);
    expect_refused(extra, "too_long", "activities[0].text");
}

static void indicator_refused(const char *ind, const char *code, const char *field)
{
    json_t *h = header(), *a = action(NULL);
    json_array_append_new(json_object_get(a, "indicators"), J(ind));
    struct lb_plan_err err = {0};
    assert_int_equal(lb_plan_check_action(a, h, NULL, &err), LB_EINVAL);
    if (strcmp(err.code, code) != 0 || strcmp(err.field, field) != 0)
        fail_msg("%s: got %s at %s (%s), want %s at %s", ind, err.code, err.field, err.message,
                 code, field);
    json_decref(a);
    json_decref(h);
}

static void test_indicator_rules(void **state)
{
    (void)state;
    indicator_refused("{\"name\": \"X\", \"kind\": \"auto\", \"unit\": \"count\"}", "invalid_enum",
                      "indicators[6].source");
    indicator_refused("{\"name\": \"X\", \"kind\": \"manual\", \"unit\": \"count\","
                      " \"source\": \"nki_total\"}",
                      "invalid_field", "indicators[6].source");
    indicator_refused("{\"name\": \"X\", \"kind\": \"milestone\"}", "missing_field",
                      "indicators[6].due");
    indicator_refused("{\"name\": \"X\", \"kind\": \"manual\", \"unit\": \"count\","
                      " \"due\": \"2026-01-01\"}",
                      "invalid_field", "indicators[6].due");
    indicator_refused("{\"name\": \"X\", \"kind\": \"manual\", \"unit\": \"count\","
                      " \"direction\": \"at_least\"}",
                      "missing_field", "indicators[6].target");
    indicator_refused("{\"name\": \"X\", \"kind\": \"manual\", \"unit\": \"share\","
                      " \"target\": {\"2026\": 1.5}}",
                      "invalid_field", "indicators[6].target.2026");
    indicator_refused("{\"name\": \"X\", \"kind\": \"manual\", \"unit\": \"count\","
                      " \"target\": {\"26\": 1}}",
                      "invalid_field", "indicators[6].target.26");
    indicator_refused("{\"id\": \"1.2-2\", \"name\": \"X\", \"kind\": \"manual\","
                      " \"unit\": \"count\"}",
                      "duplicate", "indicators[6].id");
    indicator_refused("{\"id\": \"2.1-1\", \"name\": \"X\", \"kind\": \"manual\","
                      " \"unit\": \"count\"}",
                      "invalid_field", "indicators[6].id");
    /* same_as: another manual line of the same unit, itself recorded directly. */
    indicator_refused("{\"name\": \"X\", \"kind\": \"manual\", \"unit\": \"count\","
                      " \"same_as\": \"1.2-3\"}",
                      "invalid_field", "indicators[6].same_as");
    indicator_refused("{\"name\": \"X\", \"kind\": \"manual\", \"unit\": \"share\","
                      " \"same_as\": \"1.2-2\"}",
                      "invalid_field", "indicators[6].same_as");
    indicator_refused("{\"name\": \"X\", \"kind\": \"manual\", \"unit\": \"text\","
                      " \"direction\": \"increase\"}",
                      "invalid_field", "indicators[6].direction");
    indicator_refused("{\"name\": \"X\", \"kind\": \"guess\", \"unit\": \"count\"}", "invalid_enum",
                      "indicators[6].kind");
}

static json_t *checked_followup(const char *body, int year, int *rc, struct lb_plan_err *err)
{
    json_t *h = header(), *a = action(NULL);
    assert_int_equal(lb_plan_check_action(a, h, NULL, err), 0);
    json_t *codes = J("[\"1.1\", \"1.2\", \"2.1\"]");
    json_t *b = J(body);
    *rc = lb_plan_check_followup(b, a, year, codes, err);
    json_decref(codes);
    json_decref(a);
    json_decref(h);
    return b;
}

static void followup_refused(const char *body, const char *code, const char *field)
{
    struct lb_plan_err err = {0};
    int rc;
    json_t *b = checked_followup(body, 2026, &rc, &err);
    assert_int_equal(rc, LB_EINVAL);
    if (strcmp(err.code, code) != 0 || strcmp(err.field, field) != 0)
        fail_msg("%s: got %s at %s (%s), want %s at %s", body, err.code, err.field, err.message,
                 code, field);
    json_decref(b);
}

static void test_followup_rules(void **state)
{
    (void)state;
    struct lb_plan_err err = {0};
    int rc;
    json_t *b = checked_followup(
        "{\"status\": \"ongoing\", \"values\": ["
        " {\"indicator\": \"1.2-2\", \"period\": \"2026-Q3\", \"value\": 4},"
        " {\"indicator\": \"1.2-2\", \"period\": \"2026\", \"value\": 12, \"by\": \"x\"},"
        " {\"indicator\": \"1.2-4\", \"period\": \"2026\", \"done\": \"2026-02-20\"},"
        " {\"indicator\": \"1.2-5\", \"period\": \"2026\", \"value\": 0.61}],"
        " \"collaboration\": [\"2.1\"], \"code\": \"ignored\"}",
        2026, &rc, &err);
    if (rc)
        fail_msg("%s: %s", err.field, err.message);
    assert_string_equal(json_string_value(json_object_get(b, "code")), "1.2");
    assert_int_equal(json_integer_value(json_object_get(b, "year")), 2026);
    assert_true(json_is_null(json_object_get(b, "results")));
    assert_null(json_object_get(json_array_get(json_object_get(b, "values"), 1), "by"));

    /* Stamps: new values by the writer; an unchanged one keeps its stamp. */
    json_t *old = json_deep_copy(b);
    lb_time t1, t2;
    lb_time_parse_rfc3339("2026-03-01T08:00:00Z", &t1);
    lb_time_parse_rfc3339("2026-09-01T08:00:00Z", &t2);
    assert_int_equal(lb_plan_followup_stamp(old, NULL, "anna", t1), 0);
    json_real_set(json_object_get(json_array_get(json_object_get(b, "values"), 3), "value"), 0.7);
    assert_int_equal(lb_plan_followup_stamp(b, old, "erik", t2), 0);
    json_t *v0 = json_array_get(json_object_get(b, "values"), 0);
    json_t *v3 = json_array_get(json_object_get(b, "values"), 3);
    assert_string_equal(json_string_value(json_object_get(v0, "by")), "anna");
    assert_string_equal(json_string_value(json_object_get(v0, "at")), "2026-03-01T08:00:00Z");
    assert_string_equal(json_string_value(json_object_get(v3, "by")), "erik");
    assert_string_equal(json_string_value(json_object_get(b, "updated_by")), "erik");
    json_decref(old);
    json_decref(b);

    followup_refused("{}", "missing_field", "status");
    followup_refused("{\"status\": \"paused\"}", "invalid_enum", "status");
    followup_refused("{\"status\": \"ongoing\", \"values\": [{\"indicator\": \"1.2-1\","
                     " \"period\": \"2026\", \"value\": 70}]}",
                     "auto_indicator", "values[0].indicator");
    followup_refused("{\"status\": \"ongoing\", \"values\": [{\"indicator\": \"1.2-3\","
                     " \"period\": \"2026\", \"value\": 7}]}",
                     "recorded_elsewhere", "values[0].indicator");
    followup_refused("{\"status\": \"ongoing\", \"values\": [{\"indicator\": \"1.2-5\","
                     " \"period\": \"2026\", \"value\": 1.01}]}",
                     "invalid_field", "values[0].value");
    followup_refused("{\"status\": \"ongoing\", \"values\": [{\"indicator\": \"1.2-2\","
                     " \"period\": \"2026\", \"text\": \"tolv\"}]}",
                     "invalid_field", "values[0]");
    followup_refused("{\"status\": \"ongoing\", \"values\": [{\"indicator\": \"1.2-4\","
                     " \"period\": \"2026-Q1\", \"done\": \"2026-02-20\"}]}",
                     "invalid_field", "values[0].period");
    followup_refused("{\"status\": \"ongoing\", \"values\": [{\"indicator\": \"1.2-4\","
                     " \"period\": \"2026\", \"done\": \"2027-01-02\"}]}",
                     "invalid_field", "values[0].done");
    followup_refused("{\"status\": \"ongoing\", \"values\": [{\"indicator\": \"1.2-2\","
                     " \"period\": \"2027\", \"value\": 2}]}",
                     "invalid_field", "values[0].period");
    followup_refused("{\"status\": \"ongoing\", \"collaboration\": [\"1.2\"]}", "invalid_field",
                     "collaboration[0]");
    followup_refused("{\"status\": \"ongoing\", \"collaboration\": [\"2.1\", \"2.1\"]}",
                     "duplicate", "collaboration[1]");
    followup_refused("{\"status\": \"ongoing\", \"collaboration\": [3]}", "unknown_action",
                     "collaboration[0]");
    followup_refused("[1]", "invalid_field", "");
}

static void test_values(void **state)
{
    (void)state;
    json_t *h = header(), *a = action(NULL);
    struct lb_plan_err err = {0};
    assert_int_equal(lb_plan_check_action(a, h, NULL, &err), 0);
    json_t *snap = J("{\"year\": \"2026\", \"total\": {\"nki\": {\"index\": 68.4, \"n\": 212,"
                     " \"ci95\": [66.1, 70.7], \"suppressed\": false}}}");
    json_t *small = J("{\"total\": {\"nki\": {\"index\": null, \"n\": 6, \"ci95\": null,"
                      " \"suppressed\": true}}}");
    json_t *fu = J("{\"values\": [{\"indicator\": \"1.2-2\", \"period\": \"2026\", \"value\": 41},"
                   " {\"indicator\": \"1.2-4\", \"period\": \"2026\", \"done\": \"2026-02-20\"}]}");
    json_t *item;
    const json_t *ind = lb_plan_indicator(a, "1.2-1");
    assert_int_equal(lb_plan_value(a, ind, "2026", snap, fu, &item), 0);
    assert_float_equal(json_real_value(json_object_get(item, "value")), 68.4, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(item, "n")), 212);
    assert_string_equal(json_string_value(json_object_get(item, "origin")), "auto");
    assert_null(json_object_get(item, "reason"));
    json_decref(item);
    assert_int_equal(lb_plan_value(a, ind, "2026", small, fu, &item), 0);
    assert_true(json_is_null(json_object_get(item, "value")));
    assert_string_equal(json_string_value(json_object_get(item, "reason")), "suppressed");
    assert_true(json_is_true(json_object_get(item, "suppressed")));
    json_decref(item);
    assert_int_equal(lb_plan_value(a, ind, "2025", NULL, NULL, &item), 0);
    assert_string_equal(json_string_value(json_object_get(item, "reason")), "not_computed");
    json_decref(item);
    json_t *other = J("{\"lots\": {}}");
    assert_int_equal(lb_plan_value(a, ind, "2026", other, NULL, &item), 0);
    assert_string_equal(json_string_value(json_object_get(item, "reason")), "not_in_snapshot");
    json_decref(item);
    json_decref(other);

    /* The restated line reads 1.2-2's value. */
    assert_int_equal(lb_plan_value(a, lb_plan_indicator(a, "1.2-3"), "2026", NULL, fu, &item), 0);
    assert_int_equal(json_integer_value(json_object_get(item, "value")), 41);
    assert_string_equal(json_string_value(json_object_get(item, "origin")), "manual");
    json_decref(item);
    assert_int_equal(lb_plan_value(a, lb_plan_indicator(a, "1.2-2"), "2026-Q2", NULL, fu, &item),
                     0);
    assert_string_equal(json_string_value(json_object_get(item, "reason")), "not_recorded");
    json_decref(item);
    assert_int_equal(lb_plan_value(a, lb_plan_indicator(a, "1.2-4"), "2026", NULL, fu, &item), 0);
    assert_string_equal(json_string_value(json_object_get(item, "value")), "2026-02-20");
    json_decref(item);
    /* A meeting source reads lotsd's figures at meetings.<kind>.<name>
     * (api_meeting_figures.c); without them it is not in the snapshot. */
    json_t *lying = J("{\"meetings\": {\"cluster_meeting\": {\"meetings\": 3}}}");
    assert_int_equal(lb_plan_value(a, lb_plan_indicator(a, "1.2-6"), "2026", lying, fu, &item), 0);
    assert_float_equal(json_number_value(json_object_get(item, "value")), 3, 1e-9);
    json_decref(item);
    assert_int_equal(lb_plan_value(a, lb_plan_indicator(a, "1.2-6"), "2026", snap, fu, &item), 0);
    assert_string_equal(json_string_value(json_object_get(item, "reason")), "not_in_snapshot");
    json_decref(item);
    assert_int_equal(lb_plan_value(a, ind, "2026-Q9", snap, fu, &item), LB_EINVAL);

    assert_float_equal(json_number_value(lb_plan_target(lb_plan_indicator(a, "1.2-5"), 2026)), 0.5,
                       1e-9);
    assert_null(lb_plan_target(lb_plan_indicator(a, "1.2-5"), 2027));
    json_decref(lying);
    json_decref(snap);
    json_decref(small);
    json_decref(fu);
    json_decref(a);
    json_decref(h);
}

static void test_reload_and_dump(void **state)
{
    (void)state;
    json_t *file = J("{\"b\": 1, \"owner\": null, \"activities\": [{\"text\": \"A\", \"done\": "
                     "false}, {\"text\": \"B\", \"done\": false}], \"a\": 0.1}");
    json_t *stored = J("{\"owner\": \"anna\", \"activities\": [{\"text\": \"B\", \"done\": true},"
                       " {\"text\": \"Gammal\", \"done\": true}]}");
    assert_int_equal(lb_plan_merge_reload(file, stored), 0);
    char *s = lb_plan_dump(file);
    assert_string_equal(s, "{\"a\":0.1,\"activities\":[{\"done\":false,\"text\":\"A\"},"
                           "{\"done\":true,\"text\":\"B\"}],\"b\":1,\"owner\":\"anna\"}");
    free(s);
    json_decref(file);
    json_decref(stored);
}

static void test_header_rules(void **state)
{
    (void)state;
    const char *bad[][2] = {
        {"{\"title\": \"P\", \"municipality\": \"K\", \"period\": {\"from\": 2030, \"to\": 2025},"
         " \"areas\": [{\"number\": 1, \"title\": \"A\"}]}",
         "period"},
        {"{\"title\": \"P\", \"municipality\": \"K\", \"period\": {\"from\": 2025, \"to\": 2030},"
         " \"areas\": []}",
         "areas"},
        {"{\"title\": \"P\", \"municipality\": \"K\", \"period\": {\"from\": 2025, \"to\": 2030},"
         " \"areas\": [{\"number\": 1, \"title\": \"A\"}, {\"number\": 1, \"title\": \"B\"}]}",
         "areas[1].number"},
        {"{\"title\": \"P\", \"municipality\": \"K\", \"period\": {\"from\": 2025, \"to\": 2030},"
         " \"followup_from\": 2031, \"areas\": [{\"number\": 1, \"title\": \"A\"}]}",
         "followup_from"},
        {"{\"municipality\": \"K\", \"period\": {\"from\": 2025, \"to\": 2030},"
         " \"areas\": [{\"number\": 1, \"title\": \"A\"}]}",
         "title"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *h = J(bad[i][0]);
        struct lb_plan_err err = {0};
        assert_int_equal(lb_plan_check_header(h, &err), LB_EINVAL);
        if (strcmp(err.field, bad[i][1]) != 0)
            fail_msg("%s: field %s, want %s", bad[i][0], err.field, bad[i][1]);
        json_decref(h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocabularies),    cmocka_unit_test(test_the_real_file),
        cmocka_unit_test(test_action_rules),    cmocka_unit_test(test_indicator_rules),
        cmocka_unit_test(test_followup_rules),  cmocka_unit_test(test_values),
        cmocka_unit_test(test_reload_and_dump), cmocka_unit_test(test_header_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
