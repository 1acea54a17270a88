/* test_annual.c: the annual report's document and its CSV and HTML
 * (core/domain/annual.c, annual_render.c).
 *
 * Hand-made plan, follow-ups and year snapshots: the assessment of each kind
 * of indicator (a target met or not, a direction against the year before, a
 * milestone met, late, overdue or pending, a count only reported, no value),
 * the actions in code order (1.10 after 1.2), the samlad analys counts, the
 * yearly index read from the year's snapshot (never a mean of its quarters)
 * with its suppression kept, no username anywhere, and the escaping of staff
 * text in CSV (formulas) and HTML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/annual.h"
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

static const char *HEADER =
    "{\"title\": \"Plan\", \"municipality\": \"Kommunen\", \"period\": {\"from\": 2025, \"to\": "
    "2030},"
    " \"areas\": [{\"number\": 1, \"title\": \"Service\", \"goal\": \"Bättre service\"},"
    " {\"number\": 2, \"title\": \"Innovation\"}]}";

static const char *ACTIONS =
    "[{\"code\": \"1.10\", \"area\": 1, \"title\": \"Tionde\", \"followup_frequency\": \"annual\","
    "  \"units\": [], \"activities\": [], \"indicators\": []},"
    " {\"code\": \"1.2\", \"area\": 1, \"title\": \"Uppföljning\", \"followup_frequency\": "
    "\"quarterly\","
    "  \"units\": [\"bygglov\"], \"owner\": \"anna.lots\", \"activities\": [{\"text\": \"Gör\"}],"
    "  \"indicators\": ["
    "   {\"id\": \"1.2-1\", \"name\": \"NKI\", \"kind\": \"auto\", \"source\": \"nki_total\","
    "    \"unit\": \"index\", \"direction\": \"increase\", \"target\": {\"2026\": 70}},"
    "   {\"id\": \"1.2-2\", \"name\": \"Anbud\", \"kind\": \"manual\", \"unit\": \"count\","
    "    \"direction\": \"decrease\"},"
    "   {\"id\": \"1.2-3\", \"name\": \"Klart\", \"kind\": \"milestone\", \"unit\": \"text\","
    "    \"direction\": \"none\", \"due\": \"2025-12-31\"},"
    "   {\"id\": \"1.2-4\", \"name\": \"Sent\", \"kind\": \"milestone\", \"unit\": \"text\","
    "    \"direction\": \"none\", \"due\": \"2026-06-30\"},"
    "   {\"id\": \"1.2-5\", \"name\": \"Senare\", \"kind\": \"milestone\", \"unit\": \"text\","
    "    \"direction\": \"none\", \"due\": \"2027-11-30\"},"
    "   {\"id\": \"1.2-6\", \"name\": \"Träffar\", \"kind\": \"auto\", \"source\": "
    "\"meetings:cluster_meeting\","
    "    \"unit\": \"count\", \"direction\": \"at_least\", \"target\": {\"2026\": 1}},"
    "   {\"id\": \"1.2-7\", \"name\": \"Guidade\", \"kind\": \"auto\", \"source\": "
    "\"companies_guided\","
    "    \"unit\": \"count\", \"direction\": \"none\"},"
    "   {\"id\": \"1.2-8\", \"name\": \"Nytta\", \"kind\": \"auto\", \"source\": "
    "\"usefulness_index\","
    "    \"unit\": \"index\", \"direction\": \"increase\"}]},"
    " {\"code\": \"2.1\", \"area\": 2, \"title\": \"Råd\", \"followup_frequency\": \"annual\","
    "  \"units\": [], \"activities\": [], \"indicators\": []}]";

/* 2025 and 2026 year snapshots, and 2026's quarters, whose indices would average
 * to something else than the year's. */
static const char *SNAPSHOTS =
    "{\"2025\": {\"total\": {\"nki\": {\"index\": 66.0, \"n\": 100, \"suppressed\": false}},"
    "            \"lots\": {\"companies_guided\": 40,"
    "                       \"questions\": {\"usefulness\": {\"index\": 71.0, \"n\": 30}}}},"
    " \"2026\": {\"total\": {\"nki\": {\"index\": 72.5, \"n\": 212, \"suppressed\": false}},"
    "            \"lots\": {\"companies_guided\": 55,"
    "                       \"questions\": {\"usefulness\": {\"index\": null, \"n\": 6,"
    "                                                       \"suppressed\": true}}},"
    "            \"units\": {\"upphandling\": {\"nki\": {\"index\": 60.0, \"n\": 9, \"label\": "
    "\"NUI\"}}}},"
    " \"2026-Q1\": {\"total\": {\"nki\": {\"index\": 50.0, \"n\": 50}}},"
    " \"2026-Q2\": {\"total\": {\"nki\": {\"index\": 90.0, \"n\": 50}}}}";

static const char *FOLLOWUPS =
    "[{\"code\": \"1.2\", \"year\": 2025, \"status\": \"ongoing\", \"updated_by\": \"anna.lots\","
    "  \"values\": [{\"indicator\": \"1.2-2\", \"period\": \"2025\", \"value\": 10, \"by\": "
    "\"anna.lots\"},"
    "              {\"indicator\": \"1.2-3\", \"period\": \"2025\", \"done\": \"2025-12-10\"}]},"
    " {\"code\": \"1.2\", \"year\": 2026, \"status\": \"completed\", \"updated_by\": "
    "\"anna.lots\","
    "  \"results\": \"=SUM(A1) <b>fet</b>\", \"collaboration\": [\"2.1\"],"
    "  \"adjustment\": \"Mer tid\", \"comment\": \"Bra\","
    "  \"values\": [{\"indicator\": \"1.2-2\", \"period\": \"2026\", \"value\": 8, \"by\": "
    "\"anna.lots\"}]},"
    " {\"code\": \"2.1\", \"year\": 2026, \"status\": \"not_started\", \"updated_by\": "
    "\"bo.admin\"}]";

struct fixture {
    json_t *header, *actions, *followups, *snapshots;
    struct lb_units units;
    struct lb_annual_input in;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->header = J(HEADER);
    f->actions = J(ACTIONS);
    f->followups = J(FOLLOWUPS);
    f->snapshots = J(SNAPSHOTS);
    lb_units_default(&f->units);
    f->in = (struct lb_annual_input){.year = 2026,
                                     .header = f->header,
                                     .actions = f->actions,
                                     .followups = f->followups,
                                     .snapshots = f->snapshots,
                                     .units = &f->units,
                                     .generated_at = 1790000000000};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    json_decref(f->header);
    json_decref(f->actions);
    json_decref(f->followups);
    json_decref(f->snapshots);
    free(f);
    return 0;
}

static const json_t *indicator(const json_t *doc, const char *id)
{
    size_t i, j, k;
    json_t *area, *a, *x;
    json_array_foreach(json_object_get(doc, "areas"), i, area)
        json_array_foreach(json_object_get(area, "actions"), j, a) json_array_foreach(
            json_object_get(a, "indicators"), k,
            x) if (strcmp(json_string_value(json_object_get(x, "id")), id) == 0) return x;
    fail_msg("no indicator %s", id);
    return NULL;
}

static const char *assessment(const json_t *doc, const char *id)
{
    return json_string_value(json_object_get(indicator(doc, id), "assessment"));
}

static void test_document(void **state)
{
    struct fixture *f = *state;
    json_t *doc;
    assert_int_equal(lb_annual_json(&f->in, &doc), 0);
    const json_t *area1 = json_array_get(json_object_get(doc, "areas"), 0);
    const json_t *acts = json_object_get(area1, "actions");
    assert_int_equal(json_array_size(acts), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(acts, 0), "code")), "1.2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(acts, 1), "code")),
                        "1.10");
    /* The assessments. */
    assert_string_equal(assessment(doc, "1.2-1"), "met");      /* 72.5 >= target 70 */
    assert_string_equal(assessment(doc, "1.2-2"), "improved"); /* 10 -> 8, decrease */
    assert_string_equal(assessment(doc, "1.2-3"), "met");      /* done before due */
    assert_string_equal(assessment(doc, "1.2-4"), "overdue");  /* due in 2026, not done */
    assert_string_equal(assessment(doc, "1.2-5"), "pending");  /* due 2027 */
    assert_string_equal(assessment(doc, "1.2-6"), "no_data");  /* meetings: not measured */
    assert_string_equal(assessment(doc, "1.2-7"), "reported"); /* direction none */
    assert_string_equal(assessment(doc, "1.2-8"), "no_data");  /* suppressed in 2026 */
    /* The yearly index is the year snapshot's, not the mean of its quarters (70). */
    const json_t *v = json_array_get(json_object_get(indicator(doc, "1.2-1"), "values"), 1);
    assert_float_equal(json_number_value(json_object_get(v, "value")), 72.5, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(v, "n")), 212);
    const json_t *q = json_object_get(indicator(doc, "1.2-1"), "quarters");
    assert_int_equal(json_array_size(q), 4);
    assert_float_equal(json_number_value(json_object_get(json_array_get(q, 1), "value")), 90.0,
                       1e-9);
    v = json_array_get(json_object_get(indicator(doc, "1.2-8"), "values"), 1);
    assert_true(json_is_null(json_object_get(v, "value")));
    assert_string_equal(json_string_value(json_object_get(v, "reason")), "suppressed");
    assert_int_equal(json_integer_value(json_object_get(v, "n")), 6);
    /* The analysis and the summary. */
    const json_t *an = json_object_get(area1, "analysis");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(an, "status"), "completed")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(an, "status"), "not_followed_up")), 1);
    const json_t *ic = json_object_get(an, "indicators");
    assert_int_equal(json_integer_value(json_object_get(ic, "intended")), 3);
    assert_int_equal(json_integer_value(json_object_get(ic, "against")), 1);
    assert_int_equal(json_integer_value(json_object_get(ic, "no_data")), 2);
    const json_t *sum = json_object_get(doc, "summary");
    assert_int_equal(json_integer_value(json_object_get(sum, "not_started")), 1);
    assert_int_equal(json_integer_value(json_object_get(sum, "actions")), 3);
    /* The business climate: NUI of upphandling, NKI totalt over the years. */
    const json_t *bc = json_object_get(doc, "business_climate");
    assert_int_equal(json_array_size(json_object_get(json_object_get(bc, "nki_total"), "values")),
                     2);
    size_t i;
    json_t *u;
    bool seen = false;
    json_array_foreach(json_object_get(bc, "units"), i, u)
    {
        if (strcmp(json_string_value(json_object_get(u, "unit")), "upphandling") == 0) {
            assert_string_equal(json_string_value(json_object_get(u, "label")), "NUI");
            seen = true;
        }
    }
    assert_true(seen);
    /* No username anywhere. */
    char *text = json_dumps(doc, 0);
    assert_null(strstr(text, "anna.lots"));
    assert_null(strstr(text, "bo.admin"));
    free(text);
    json_decref(doc);
}

static void test_renders(void **state)
{
    struct fixture *f = *state;
    json_t *doc;
    char *out;
    size_t len;
    assert_int_equal(lb_annual_json(&f->in, &doc), 0);
    assert_int_equal(lb_annual_render(doc, LB_ANNUAL_CSV, &out, &len), 0);
    assert_int_equal(strlen(out), len);
    assert_memory_equal(out, "\xEF\xBB\xBF", 3);
    assert_non_null(strstr(out, ";'=SUM(A1) <b>fet</b>;")); /* no formula */
    assert_non_null(
        strstr(out, "1.2;1.2-1;NKI;;Automatisk;Index;Ska öka;2025;66;100")); /* kind label */
    assert_non_null(strstr(out, ";2026;72,5;212;70;;Målet nått\r\n"));
    assert_null(strstr(out, "anna.lots"));
    free(out);
    assert_int_equal(lb_annual_render(doc, LB_ANNUAL_HTML, &out, &len), 0);
    assert_non_null(strstr(out, "=SUM(A1) &lt;b&gt;fet&lt;/b&gt;"));
    assert_null(strstr(out, "<b>fet"));
    assert_null(strstr(out, "<script"));
    assert_non_null(strstr(out, "id=\"atg-1-10\""));
    assert_non_null(strstr(out, "För få svar (n = 6)"));
    assert_non_null(strstr(out, "Ej beräknat"));
    assert_null(strstr(out, "anna.lots"));
    free(out);
    assert_int_equal(lb_annual_render(doc, LB_ANNUAL_XLSX, &out, &len), LB_EINVAL);
    json_decref(doc);
    char csp[384];
    assert_int_equal(lb_annual_html_csp(csp, sizeof csp), 0);
    assert_non_null(strstr(csp, "default-src 'none'; style-src 'sha256-"));
}

/* A suppressed figure says why: no answers at all ("Inga svar"), too few ("För få
 * svar (n = 6)"), or hidden on enough answers so that another cannot be worked out
 * (secondary suppression: n >= the snapshot's min_answers, "Skyddat värde"). */
static void test_suppression_labels(void **state)
{
    struct fixture *f = *state;
    json_t *y25 = json_object_get(f->snapshots, "2025"),
           *y26 = json_object_get(f->snapshots, "2026");
    json_object_set_new(y25, "min_answers", json_integer(7));
    json_object_set_new(
        y25, "units",
        J("{\"miljo\": {\"nki\": {\"index\": null, \"n\": 0, \"suppressed\": true}}}"));
    json_object_set_new(y26, "min_answers", json_integer(7));
    json_object_set_new(json_object_get(y26, "units"), "bygglov",
                        J("{\"nki\": {\"index\": null, \"n\": 45, \"suppressed\": true}}"));
    json_t *doc;
    char *out;
    size_t len;
    assert_int_equal(lb_annual_json(&f->in, &doc), 0);
    assert_int_equal(lb_annual_render(doc, LB_ANNUAL_HTML, &out, &len), 0);
    assert_non_null(strstr(out, "Skyddat värde (n = 45)"));
    assert_null(strstr(out, "För få svar (n = 45)"));
    assert_non_null(strstr(out, "Inga svar"));
    assert_null(strstr(out, "För få svar (n = 0)"));
    assert_non_null(strstr(out, "För få svar (n = 6)")); /* primary: under the threshold */
    free(out);
    assert_int_equal(lb_annual_render(doc, LB_ANNUAL_CSV, &out, &len), 0);
    assert_non_null(strstr(out, ";6;;För få svar (n = 6);")); /* the note says why too */
    free(out);
    json_decref(doc);

    json_t *item = J("{\"reason\": \"suppressed\", \"n\": 6}");
    char buf[64];
    lb_annual_reason_text(buf, sizeof buf, item);
    assert_string_equal(buf, "För få svar (n = 6)");
    json_object_set_new(item, "secondary", json_true());
    json_object_set_new(item, "n", json_integer(12));
    lb_annual_reason_text(buf, sizeof buf, item);
    assert_string_equal(buf, "Skyddat värde (n = 12)");
    json_object_set_new(item, "reason", json_string("not_recorded"));
    lb_annual_reason_text(buf, sizeof buf, item);
    assert_string_equal(buf, "Ej inrapporterat");
    json_decref(item);
}

static void test_bad_input(void **state)
{
    struct fixture *f = *state;
    json_t *doc;
    f->in.year = 2024;
    assert_int_equal(lb_annual_json(&f->in, &doc), LB_EINVAL);
    f->in.year = 2031;
    assert_int_equal(lb_annual_json(&f->in, &doc), LB_EINVAL);
    f->in.year = 2025; /* the first year: no year before to compare with */
    assert_int_equal(lb_annual_json(&f->in, &doc), 0);
    assert_string_equal(assessment(doc, "1.2-2"), "no_comparison");
    assert_string_equal(assessment(doc, "1.2-4"), "pending");
    json_decref(doc);
    f->in.year = 2026;
    enum lb_annual_format fmt;
    assert_int_equal(lb_annual_format_from_str("xlsx", &fmt), 0);
    assert_int_equal(fmt, LB_ANNUAL_XLSX);
    assert_int_equal(lb_annual_format_from_str("pdf", &fmt), LB_EINVAL);
    assert_int_equal(lb_annual_format_from_str(NULL, &fmt), LB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_renders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suppression_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
