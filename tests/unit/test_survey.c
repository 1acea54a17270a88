/* test_survey.c: the e-mail survey's pure parts: the questions, the reminder
 * timetable on Swedish working days, the recipient hash, and the public
 * form's pages (escaping, the stylesheet's hash in the CSP, what a page
 * shows). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/survey.h"
#include "lotsbok/survey_form.h"

static lb_date day(const char *s)
{
    lb_date d;
    assert_int_equal(lb_date_parse(s, &d), 0);
    return d;
}

static void test_questions(void **state)
{
    (void)state;
    size_t n;
    const struct lb_question *q = lb_survey_questions(LB_FOLLOWUP_KIND_LOTS, &n);
    assert_int_equal(n, 5);
    assert_non_null(q);
    q = lb_survey_questions(LB_FOLLOWUP_KIND_UNIT, &n);
    assert_int_equal(n, 10);
    assert_string_equal(q[0].key, "nki_overall");
    assert_int_equal(lb_survey_question(LB_FOLLOWUP_KIND_UNIT, "clear_and_lawful")->type,
                     LB_Q_YESNO);
    assert_int_equal(lb_survey_question(LB_FOLLOWUP_KIND_LOTS, "easy_contact")->type, LB_Q_YESNO);
    assert_null(lb_survey_question(LB_FOLLOWUP_KIND_LOTS, "nki_overall"));
    assert_null(lb_survey_question(LB_FOLLOWUP_KIND_UNIT, "usefulness"));
    assert_null(lb_survey_question(LB_FOLLOWUP_KIND_UNIT, NULL));
    assert_null(lb_survey_questions(LB_FOLLOWUP_KIND_COUNT, &n));
}

/* Hand-counted: sent Friday 18 December 2026; reminders every 3 working days
 * skip julafton, juldagen, annandag jul (a Saturday), nyårsafton, nyårsdagen
 * and trettondedag jul. */
static void test_timetable_over_christmas(void **state)
{
    (void)state;
    struct lb_survey_schedule s;
    lb_survey_schedule_default(&s);
    assert_int_equal(lb_survey_schedule_check(&s), 0);
    lb_date sent = day("2026-12-18");
    assert_int_equal(lb_survey_reminder_day(&s, sent, 1), day("2026-12-23"));
    assert_int_equal(lb_survey_reminder_day(&s, sent, 2), day("2026-12-30"));
    assert_int_equal(lb_survey_reminder_day(&s, sent, 3), day("2027-01-07"));
    assert_int_equal(lb_survey_call_day(&s, sent), day("2027-01-12"));
    s.reminders = 0;
    assert_int_equal(lb_survey_call_day(&s, sent), day("2026-12-23"));
    s.reminders = 4;
    assert_int_equal(lb_survey_schedule_check(&s), LB_EINVAL);
    s.reminders = 1;
    s.reminder_days = 0;
    assert_int_equal(lb_survey_schedule_check(&s), LB_EINVAL);
}

static void test_recipient_hash(void **state)
{
    (void)state;
    uint8_t a[32], b[32], c[32], zero[32] = {0};
    lb_survey_recipient_hash("Karin.Lind@Example.SE", a);
    lb_survey_recipient_hash("  karin.lind@example.se\t", b);
    lb_survey_recipient_hash("karin.lind@example.com", c);
    assert_memory_equal(a, b, 32);
    assert_memory_not_equal(a, c, 32);
    assert_memory_not_equal(a, zero, 32);
    lb_survey_recipient_hash("", c);
    assert_memory_equal(c, zero, 32);
    lb_survey_recipient_hash(NULL, c);
    assert_memory_equal(c, zero, 32);

    struct lb_person p = {.name = "K", .email = "k@x.se"};
    assert_true(lb_survey_contact_ok(&p));
    p.survey_opt_out = true;
    assert_false(lb_survey_contact_ok(&p));
    p.survey_opt_out = false;
    p.email_bounced = true;
    assert_false(lb_survey_contact_ok(&p));
    p.email_bounced = false;
    p.email = "no address";
    assert_false(lb_survey_contact_ok(&p));
}

static const char token[] = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde";

static void test_form_escapes_and_shows_little(void **state)
{
    (void)state;
    struct lb_form_section secs[] = {
        {"lots", LB_FOLLOWUP_KIND_LOTS, "Företagslotsen", "L2026-0001", NULL, 0},
        {"bygglov", LB_FOLLOWUP_KIND_UNIT, "Bygg<lov>", "L2026-0001, L2026-0002", NULL, 0},
    };
    struct lb_form f = {.municipality = "Norrtälje kommun",
                        .company = "<script>alert(1)</script> & \"Söner\" AB",
                        .token = token,
                        .sections = secs,
                        .nsections = 2};
    char *page = lb_form_page(&f);
    assert_non_null(page);
    assert_null(strstr(page, "<script"));
    assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Söner&quot;"));
    assert_non_null(strstr(page, "Bygg&lt;lov&gt;"));
    assert_non_null(strstr(page, "Gäller ärendena L2026-0001, L2026-0002."));
    assert_non_null(strstr(page, "action=\"/enkat/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde\""));
    assert_non_null(strstr(page, "<html lang=\"sv\">"));
    assert_null(strstr(page, "Fel:"));
    /* 15 questions, each a fieldset with a legend; scale ends said once. */
    size_t fieldsets = 0;
    for (const char *p = page; (p = strstr(p, "<fieldset")); p++)
        fieldsets++;
    assert_int_equal(fieldsets, 15);
    assert_non_null(strstr(page, "<span class=\"sr\"> mycket missnöjd</span>"));
    free(page);
}

static void test_form_errors_and_kept_answers(void **state)
{
    (void)state;
    struct lb_form_section secs[] = {
        {"lots", LB_FOLLOWUP_KIND_LOTS, "Företagslotsen", "", NULL, 0}};
    json_t *answers =
        json_pack("{s:{s:i,s:b,s:n}}", "lots", "usefulness", 5, "easy_contact", 0, "treatment");
    struct lb_form_error err = {"comment", "För lång"};
    struct lb_form f = {.municipality = "M",
                        .company = "C",
                        .token = token,
                        .sections = secs,
                        .nsections = 1,
                        .answers = answers,
                        .comment = "<b>",
                        .errors = &err,
                        .nerrors = 1};
    char *page = lb_form_page(&f);
    assert_non_null(page);
    assert_non_null(strstr(page, "<title>Fel: "));
    assert_non_null(strstr(page, "role=\"alert\""));
    assert_non_null(strstr(page, "<a href=\"#comment\">För lång</a>"));
    assert_non_null(strstr(page, "name=\"lots.usefulness\" value=\"5\" checked"));
    assert_non_null(strstr(page, "name=\"lots.easy_contact\" value=\"nej\" checked"));
    assert_non_null(strstr(page, "name=\"lots.treatment\" value=\"vet_ej\" checked"));
    assert_non_null(strstr(page, "aria-describedby=\"comment-hint comment-fel\" "
                                 "aria-invalid=\"true\">&lt;b&gt;</textarea>"));
    free(page);
    json_decref(answers);
}

/* The CSP allows exactly the stylesheet the pages carry. */
static void test_csp_hash_matches_the_style(void **state)
{
    (void)state;
    char *page = lb_form_message("Norrtälje kommun", LB_FORM_UNKNOWN, 0);
    assert_non_null(page);
    const char *a = strstr(page, "<style>"), *b = strstr(page, "</style>");
    assert_non_null(a);
    assert_non_null(b);
    a += 7;
    unsigned char h[crypto_hash_sha256_BYTES];
    char b64[64];
    crypto_hash_sha256(h, (const unsigned char *)a, (unsigned long long)(b - a));
    sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
    char want[128];
    snprintf(want, sizeof want, "style-src 'sha256-%s'", b64);
    assert_non_null(strstr(lb_form_headers(), want));
    assert_non_null(strstr(lb_form_headers(), "default-src 'none'"));
    /* no-store, nosniff and no-referrer come with every answer of lotsd's
     * (api.c, http_server.c): the form's own headers must not repeat them. */
    assert_null(strstr(lb_form_headers(), "Cache-Control"));
    assert_non_null(strstr(lb_form_headers(), "X-Frame-Options: DENY\r\n"));
    assert_non_null(strstr(page, "30 dagar"));
    free(page);
    page = lb_form_message("M", LB_FORM_RATE_LIMITED, 125);
    assert_non_null(strstr(page, "Vänta 3 minuter"));
    free(page);
    page = lb_form_opt_out("M", token, false);
    assert_non_null(strstr(page, "<form method=\"post\" action=\"/enkat/"));
    free(page);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_questions),
        cmocka_unit_test(test_timetable_over_christmas),
        cmocka_unit_test(test_recipient_hash),
        cmocka_unit_test(test_form_escapes_and_shows_little),
        cmocka_unit_test(test_form_errors_and_kept_answers),
        cmocka_unit_test(test_csp_hash_matches_the_style),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
