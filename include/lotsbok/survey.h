/* survey.h: the rules of the e-mail survey that lotsd, the worker and the
 * public form share (DESIGN.md "E-mail surveys and the public answer form",
 * docs/surveys.md). Pure functions, no I/O.
 *
 *   - the questions of DESIGN.md "Follow-up answers" as the company reads them
 *     on the public form and in the mail: key, type and plain Swedish text;
 *   - the reminder timetable: the first mail on day S, reminder k on S + k x
 *     reminder_days working days (k = 1..reminders), the call on the lots's
 *     list fallback_days working days after the last one;
 *   - the hash that names a survey's recipient without keeping the address. */
#ifndef LOTSBOK_SURVEY_H
#define LOTSBOK_SURVEY_H

#include <stddef.h>
#include <stdint.h>

#include "lotsbok/enums.h"
#include "lotsbok/records.h"

#define LB_SURVEY_SCALE_TOP 6 /* SKR Insikt: 1 = mycket missnöjd .. 6 = mycket nöjd */
#define LB_SURVEY_VALID_DAYS 30
#define LB_SURVEY_REMINDERS_MAX 3
#define LB_SURVEY_COMMENT_MAX 2000 /* characters of the public form's comment */

enum lb_question_type { LB_Q_SCALE, LB_Q_YESNO };

struct lb_question {
    const char *key; /* the API's answer key, "nki_overall" */
    enum lb_question_type type;
    const char *text_sv; /* the question as the company reads it */
};

/* The questions of an item of kind (lots or unit), in the order they are
 * asked; *n receives their number. NULL for an unknown kind. */
const struct lb_question *lb_survey_questions(enum lb_followup_kind kind, size_t *n);
/* The question key of an item of kind, or NULL when it is not one. */
const struct lb_question *lb_survey_question(enum lb_followup_kind kind, const char *key);

/* The reminder timetable (worker options; the defaults of DESIGN.md). */
struct lb_survey_schedule {
    int reminders;     /* 0..LB_SURVEY_REMINDERS_MAX, default 3 */
    int reminder_days; /* working days between mails, default 3 */
    int fallback_days; /* working days after the last mail until the call, default 3 */
};
void lb_survey_schedule_default(struct lb_survey_schedule *s);
/* LB_EINVAL when a value is out of range (days 1..60). */
int lb_survey_schedule_check(const struct lb_survey_schedule *s);
/* The day of reminder k (1..reminders) of a survey first sent on day sent. */
lb_date lb_survey_reminder_day(const struct lb_survey_schedule *s, lb_date sent, int k);
/* The day the call goes on the lots's list when nothing was answered. */
lb_date lb_survey_call_day(const struct lb_survey_schedule *s, lb_date sent);

/* The recipient's name for the records: BLAKE2b-256 of the address trimmed
 * and in lower case (ASCII), so a contact person is found again by address
 * without the survey keeping it. A NULL or empty address gives all zeros. */
void lb_survey_recipient_hash(const char *email, uint8_t out[32]);

/* Whether contact p may be sent a survey: an address, not opted out, not
 * bounced. */
bool lb_survey_contact_ok(const struct lb_person *p);

#endif
