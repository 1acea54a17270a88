/* survey.c: the questions, the reminder timetable and the recipient hash of
 * the e-mail survey (survey.h).
 *
 * The question texts are written for the company reading the form on its
 * own, in the "du" form Swedish public bodies use, on the scale of SKR's
 * Insikt (1 = mycket missnöjd .. 6 = mycket nöjd); the keys are the API's
 * (DESIGN.md "Follow-up answers"). The staff's call script (cli_format.c,
 * web/lib/sv.mjs) words the same questions for reading aloud. */
#include "lotsbok/survey.h"

#include <string.h>

#include <sodium.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"

static const struct lb_question lots_questions[] = {
    {"reached_right_person", LB_Q_SCALE,
     "Hur nöjd är du med möjligheten att komma i kontakt med rätt person på kommunen?"},
    {"easy_contact", LB_Q_YESNO, "Var det enkelt att komma i kontakt med rätt person?"},
    {"usefulness", LB_Q_SCALE, "Hur nöjd är du med den nytta du hade av företagslotsen?"},
    {"treatment", LB_Q_SCALE, "Hur nöjd är du med bemötandet du fick av företagslotsen?"},
    {"website_information", LB_Q_SCALE, "Hur nöjd är du med informationen på kommunens webbplats?"},
};

static const struct lb_question unit_questions[] = {
    {"nki_overall", LB_Q_SCALE, "Hur nöjd är du sammantaget med kommunens service i ditt ärende?"},
    {"nki_expectations", LB_Q_SCALE, "Hur väl motsvarade servicen dina förväntningar?"},
    {"nki_ideal", LB_Q_SCALE,
     "Tänk dig en perfekt service. Hur nöjd är du med hur nära den kommunens service kom?"},
    {"information", LB_Q_SCALE, "Hur nöjd är du med informationen du fick?"},
    {"accessibility", LB_Q_SCALE, "Hur nöjd är du med hur lätt det var att nå handläggaren?"},
    {"treatment", LB_Q_SCALE, "Hur nöjd är du med bemötandet?"},
    {"competence", LB_Q_SCALE, "Hur nöjd är du med handläggarens kunskap?"},
    {"legal_certainty", LB_Q_SCALE,
     "Hur nöjd är du med att ärendet behandlades rättvist och enligt reglerna?"},
    {"efficiency", LB_Q_SCALE, "Hur nöjd är du med hur snabbt ärendet hanterades?"},
    {"clear_and_lawful", LB_Q_YESNO, "Var handläggningen tydlig och rättssäker?"},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct lb_question *lb_survey_questions(enum lb_followup_kind kind, size_t *n)
{
    switch (kind) {
    case LB_FOLLOWUP_KIND_LOTS:
        *n = N(lots_questions);
        return lots_questions;
    case LB_FOLLOWUP_KIND_UNIT:
        *n = N(unit_questions);
        return unit_questions;
    default:
        *n = 0;
        return NULL;
    }
}

const struct lb_question *lb_survey_question(enum lb_followup_kind kind, const char *key)
{
    size_t n;
    const struct lb_question *q = lb_survey_questions(kind, &n);
    for (size_t i = 0; key != NULL && i < n; i++)
        if (strcmp(q[i].key, key) == 0)
            return &q[i];
    return NULL;
}

void lb_survey_schedule_default(struct lb_survey_schedule *s)
{
    s->reminders = 3;
    s->reminder_days = 3;
    s->fallback_days = 3;
}

int lb_survey_schedule_check(const struct lb_survey_schedule *s)
{
    if (s->reminders < 0 || s->reminders > LB_SURVEY_REMINDERS_MAX || s->reminder_days < 1 ||
        s->reminder_days > 60 || s->fallback_days < 1 || s->fallback_days > 60)
        return LB_EINVAL;
    return 0;
}

lb_date lb_survey_reminder_day(const struct lb_survey_schedule *s, lb_date sent, int k)
{
    return lb_add_working_days(sent, k * s->reminder_days);
}

lb_date lb_survey_call_day(const struct lb_survey_schedule *s, lb_date sent)
{
    return lb_add_working_days(sent, s->reminders * s->reminder_days + s->fallback_days);
}

void lb_survey_recipient_hash(const char *email, uint8_t out[32])
{
    memset(out, 0, 32);
    if (email == NULL)
        return;
    while (*email == ' ' || *email == '\t')
        email++;
    size_t n = strlen(email);
    while (n > 0 && (email[n - 1] == ' ' || email[n - 1] == '\t'))
        n--;
    if (n == 0)
        return;
    crypto_generichash_state st;
    static const char ctx[] = "lotsbok survey recipient v1";
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const unsigned char *)ctx, sizeof ctx);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)email[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        crypto_generichash_update(&st, &c, 1);
    }
    crypto_generichash_final(&st, out, 32);
}

bool lb_survey_contact_ok(const struct lb_person *p)
{
    if (p == NULL || p->email == NULL || p->survey_opt_out || p->email_bounced)
        return false;
    for (const char *c = p->email; *c; c++)
        if (*c == '@')
            return true;
    return false;
}
