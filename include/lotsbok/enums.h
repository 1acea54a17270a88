/* enums.h: the closed vocabularies of DESIGN.md and their wire strings.
 *
 * Each enumeration converts string <-> value; an unknown string is rejected
 * with LB_EINVAL, never mapped to a default. Optional enumerations (a case's
 * outcome before it is closed, a hand-off's decision before it is decided) have
 * a NONE value 0 that has no string and is never accepted from input.
 *
 * Units are configuration, not an enum: a list of {code, Swedish display name}
 * with the defaults of DESIGN.md. */
#ifndef LOTSBOK_ENUMS_H
#define LOTSBOK_ENUMS_H

#include <stdbool.h>
#include <stddef.h>

enum lb_category {
    LB_CATEGORY_ESTABLISHMENT,
    LB_CATEGORY_EXPANSION,
    LB_CATEGORY_PERMIT,
    LB_CATEGORY_PREMISES_LAND,
    LB_CATEGORY_PROCUREMENT,
    LB_CATEGORY_RECRUITMENT,
    LB_CATEGORY_OTHER,
    LB_CATEGORY_COUNT
};

enum lb_channel {
    LB_CHANNEL_PHONE,
    LB_CHANNEL_EMAIL,
    LB_CHANNEL_VISIT,
    LB_CHANNEL_MEETING,
    LB_CHANNEL_VIDEO,
    LB_CHANNEL_COUNT
};

enum lb_direction { LB_DIRECTION_INBOUND, LB_DIRECTION_OUTBOUND, LB_DIRECTION_COUNT };

enum lb_case_status { LB_CASE_OPEN, LB_CASE_CLOSED, LB_CASE_STATUS_COUNT };

enum lb_outcome {
    LB_OUTCOME_NONE,
    LB_OUTCOME_RESOLVED,
    LB_OUTCOME_REFERRED,
    LB_OUTCOME_WITHDRAWN,
    LB_OUTCOME_NO_ACTION,
    LB_OUTCOME_COUNT
};

enum lb_handoff_status {
    LB_HANDOFF_SENT,
    LB_HANDOFF_ACKNOWLEDGED,
    LB_HANDOFF_DECIDED,
    LB_HANDOFF_WITHDRAWN,
    LB_HANDOFF_STATUS_COUNT
};

enum lb_decision {
    LB_DECISION_NONE,
    LB_DECISION_GRANTED,
    LB_DECISION_REFUSED,
    LB_DECISION_ADVICE_GIVEN,
    LB_DECISION_WITHDRAWN,
    LB_DECISION_OTHER,
    LB_DECISION_COUNT
};

enum lb_followup_kind { LB_FOLLOWUP_KIND_LOTS, LB_FOLLOWUP_KIND_UNIT, LB_FOLLOWUP_KIND_COUNT };

enum lb_followup_status {
    LB_FOLLOWUP_SCHEDULED,
    LB_FOLLOWUP_DONE,
    LB_FOLLOWUP_NO_ANSWER, /* only as a recorded result; the stored status goes back to scheduled */
    LB_FOLLOWUP_DECLINED,
    LB_FOLLOWUP_UNREACHABLE,
    LB_FOLLOWUP_CANCELLED,
    LB_FOLLOWUP_STATUS_COUNT
};

enum lb_improvement_status {
    LB_IMPROVEMENT_IDENTIFIED,
    LB_IMPROVEMENT_IMPLEMENTED,
    LB_IMPROVEMENT_DROPPED,
    LB_IMPROVEMENT_STATUS_COUNT
};

enum lb_role {
    LB_ROLE_ADMIN,
    LB_ROLE_LOTS,
    LB_ROLE_HANDLER,
    LB_ROLE_VIEWER,
    LB_ROLE_SERVICE,
    LB_ROLE_COUNT
};

/* How a follow-up's answer reached us (DESIGN.md "E-mail surveys"); NONE until
 * a result is recorded. */
enum lb_answer_channel {
    LB_ANSWER_CHANNEL_NONE,
    LB_ANSWER_CHANNEL_PHONE,
    LB_ANSWER_CHANNEL_EMAIL,
    LB_ANSWER_CHANNEL_PAPER,
    LB_ANSWER_CHANNEL_COUNT
};

/* A follow-up's e-mail survey; NONE when none was sent (docs/surveys.md). */
enum lb_survey_status {
    LB_SURVEY_NONE,
    LB_SURVEY_SENT,      /* sent, waiting for the answer (reminders may follow) */
    LB_SURVEY_ANSWERED,  /* answered through the public form */
    LB_SURVEY_BOUNCED,   /* the mail server refused the address for good */
    LB_SURVEY_OPTED_OUT, /* the recipient asked for no more e-mail surveys */
    LB_SURVEY_STATUS_COUNT
};

/* What a public survey token answers: a follow-up (one answer) or, from issue
 * 23, a meeting's evaluation (many answers). NONE is never stored. */
enum lb_survey_kind {
    LB_SURVEY_KIND_NONE,
    LB_SURVEY_KIND_FOLLOWUP,
    LB_SURVEY_KIND_MEETING,
    LB_SURVEY_KIND_COUNT
};

/* A meeting's kind (DESIGN.md "Meetings, trainings and their evaluations"). */
enum lb_meeting_kind {
    LB_MEETING_BUSINESS,       /* företagarträff, frukost */
    LB_MEETING_CLUSTER,        /* klusterträff */
    LB_MEETING_INFRASTRUCTURE, /* infrastrukturträff */
    LB_MEETING_COMPANY_TRAINING,
    LB_MEETING_STAFF_TRAINING,
    LB_MEETING_THEME_DAY,
    LB_MEETING_RECRUITMENT_FAIR,
    LB_MEETING_DIALOGUE,
    LB_MEETING_OTHER,
    LB_MEETING_KIND_COUNT
};

/* A documented item of a meeting: an expressed need, a proposal, input. */
enum lb_meeting_item_type {
    LB_MEETING_ITEM_NEED,
    LB_MEETING_ITEM_PROPOSAL,
    LB_MEETING_ITEM_INPUT,
    LB_MEETING_ITEM_TYPE_COUNT
};

/* String <-> value. *_from_str returns 0 and sets *out, or LB_EINVAL for an
 * unknown string (or NULL). *_str returns the wire string, or NULL for a NONE
 * value or a value out of range. */
#define LB_ENUM_DECLARE(name)                                                                      \
    int lb_##name##_from_str(const char *s, enum lb_##name *out);                                  \
    const char *lb_##name##_str(enum lb_##name v)

LB_ENUM_DECLARE(category);
LB_ENUM_DECLARE(channel);
LB_ENUM_DECLARE(direction);
LB_ENUM_DECLARE(case_status);
LB_ENUM_DECLARE(outcome);
LB_ENUM_DECLARE(handoff_status);
LB_ENUM_DECLARE(decision);
LB_ENUM_DECLARE(followup_kind);
LB_ENUM_DECLARE(followup_status);
LB_ENUM_DECLARE(improvement_status);
LB_ENUM_DECLARE(role);
LB_ENUM_DECLARE(answer_channel);
LB_ENUM_DECLARE(survey_status);
LB_ENUM_DECLARE(survey_kind);
LB_ENUM_DECLARE(meeting_kind);
LB_ENUM_DECLARE(meeting_item_type);

/* Swedish display names for user-facing text (CLI tables, reports, web). */
const char *lb_category_label_sv(enum lb_category v);
const char *lb_channel_label_sv(enum lb_channel v);
const char *lb_meeting_kind_label_sv(enum lb_meeting_kind v);
const char *lb_meeting_item_type_label_sv(enum lb_meeting_item_type v);
/* Whether a kind is a training (its evaluation asks whether it strengthened
 * the participants' knowledge). */
bool lb_meeting_kind_training(enum lb_meeting_kind v);
const char *lb_outcome_label_sv(enum lb_outcome v);
const char *lb_decision_label_sv(enum lb_decision v);
const char *lb_handoff_status_label_sv(enum lb_handoff_status v);
const char *lb_followup_status_label_sv(enum lb_followup_status v);
const char *lb_answer_channel_label_sv(enum lb_answer_channel v);
const char *lb_survey_status_label_sv(enum lb_survey_status v);

/* Units: a configured list. Codes are [a-z0-9_]{1,31}. */
#define LB_UNIT_CODE_MAX 31
#define LB_UNITS_MAX 64

struct lb_unit {
    char code[LB_UNIT_CODE_MAX + 1];
    char name_sv[128];
};

struct lb_units {
    struct lb_unit unit[LB_UNITS_MAX];
    size_t count;
};

/* Fills *u with the defaults of DESIGN.md: bygglov, miljo, livsmedel,
 * serveringstillstand, raddningstjanst, gata_park, upphandling. */
void lb_units_default(struct lb_units *u);

/* Parses a configuration list "code=Display name;code2=Name 2" into *u.
 * Returns LB_EINVAL for an empty list, a bad code, a duplicate or too many. */
int lb_units_parse(struct lb_units *u, const char *spec);

/* The unit with this code, or NULL when it is not configured. */
const struct lb_unit *lb_units_find(const struct lb_units *u, const char *code);

#endif
