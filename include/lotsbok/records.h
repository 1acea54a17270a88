/* records.h: the data model of DESIGN.md as C structs.
 *
 * Every record carries struct lb_meta (id, version, created_at, updated_at).
 * Strings are NUL-terminated UTF-8 owned by the record (malloc'd); an absent
 * optional string is NULL. lb_<type>_clear() frees what a record owns and
 * zeroes it, so a cleared or zero-initialised record can be cleared again.
 *
 * Times are lb_time, milliseconds since the Unix epoch in UTC; LB_TIME_NONE
 * means "not set". Calendar dates (due dates) are lb_date, days since
 * 1970-01-01 of the Europe/Stockholm calendar; LB_DATE_NONE means "not set".
 *
 * The msgpack encoding of each record is in codec.h. */
#ifndef LOTSBOK_RECORDS_H
#define LOTSBOK_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lotsbok/enums.h"

typedef uint64_t lb_id; /* 0 is "no record" */
typedef int64_t lb_time;
typedef int32_t lb_date;

#define LB_TIME_NONE INT64_MIN
#define LB_DATE_NONE INT32_MIN

/* String limits of DESIGN.md, in characters (Unicode code points). */
#define LB_LIMIT_NAME 200 /* names, subjects, titles */
#define LB_LIMIT_SUMMARY 2000
#define LB_LIMIT_TEXT 10000 /* notes, descriptions, comments */
#define LB_LIMIT_SHORT 200  /* phone, e-mail, role, locality, sni, reference */

struct lb_meta {
    lb_id id;
    uint64_t version; /* 1 on create, +1 on every change */
    lb_time created_at;
    lb_time updated_at;
};

struct lb_person {
    char *name;
    char *role;  /* optional */
    char *phone; /* optional */
    char *email; /* optional */
    /* E-mail surveys (docs/surveys.md): set by lotsd only, carried over by
     * address when the contacts are replaced. */
    bool survey_opt_out; /* asked for no more e-mail surveys */
    bool email_bounced;  /* the mail server refused the address for good */
};

struct lb_company {
    struct lb_meta meta;
    char orgnr[11];      /* 10 digits, normalised */
    bool personal_orgnr; /* the orgnr is a personnummer (enskild firma): personal data */
    char *name;
    char *locality; /* optional */
    char *sni;      /* optional, SNI 2007 code "56100" */
    struct lb_person *contacts;
    uint32_t ncontacts;
    lb_time anonymized_at; /* LB_TIME_NONE unless anonymised */
};

struct lb_case {
    struct lb_meta meta;
    uint16_t year;   /* number is "L%04u-%04u", year and serial */
    uint32_t serial; /* per year, from 1 */
    lb_id company_id;
    char *subject;
    enum lb_category category;
    char *description; /* optional free text */
    lb_time opened_at;
    char *owner; /* username of the lots who opened it */
    enum lb_case_status status;
    enum lb_outcome outcome; /* NONE while open */
    char *close_note;        /* optional free text */
    lb_time closed_at;       /* LB_TIME_NONE while open */
    bool legal_hold;
};

struct lb_contact {
    struct lb_meta meta;
    lb_id case_id;
    lb_time at;
    enum lb_channel channel;
    enum lb_direction direction;
    char *summary;   /* free text */
    int32_t minutes; /* -1 when not given */
    char *logged_by; /* username */
};

struct lb_handoff {
    struct lb_meta meta;
    lb_id case_id;
    lb_id company_id; /* denormalised from the case, for scoping and follow-ups */
    char *unit;       /* a configured unit code */
    char *note;       /* free text */
    char *sent_by;    /* username */
    enum lb_handoff_status status;
    lb_time sent_at;
    lb_time acknowledged_at; /* LB_TIME_NONE until acknowledged */
    char *reference;         /* the unit's diarienummer, optional */
    lb_time decided_at;
    enum lb_decision decision;
    char *decision_note;
    lb_time withdrawn_at;
    char *withdraw_note;
    bool overdue; /* flagged once by the worker */
};

struct lb_followup_item {
    enum lb_followup_kind kind;
    lb_id case_id;
    lb_id handoff_id; /* 0 for a lots item */
    char *unit;       /* NULL for a lots item; the hand-off's unit for a unit item */
};

enum lb_answer_type { LB_ANSWER_NULL, LB_ANSWER_SCALE, LB_ANSWER_BOOL };

struct lb_answer {
    char *item;     /* "lots" or a unit code: the key in the API's answers object */
    char *question; /* e.g. "nki_overall" */
    enum lb_answer_type type;
    int32_t value; /* 1..scale for SCALE, 0/1 for BOOL, 0 for NULL ("vet ej") */
};

/* One answer changed by a same-day correction (lb_followup_correct): the
 * audit trail of who changed what, when, from what to what. An answer left
 * out is LB_ANSWER_NULL ("vet ej"). */
#define LB_FOLLOWUP_CORRECTIONS_MAX 200 /* changed answers kept per call */
struct lb_answer_change {
    lb_time at;
    char *by;       /* username */
    char *item;     /* "lots" or a unit code */
    char *question; /* e.g. "usefulness" */
    enum lb_answer_type before_type, after_type;
    int32_t before, after;
};

/* A follow-up's e-mail survey (docs/surveys.md). Everything but status is
 * meaningful only when status is not LB_SURVEY_NONE. */
struct lb_followup_survey {
    enum lb_survey_status status;
    lb_time sent_at;       /* the first mail */
    uint32_t reminders;    /* reminders sent */
    lb_time reminded_at;   /* the last reminder */
    lb_date call_from;     /* the call goes on the list this day when unanswered */
    lb_time expires_at;    /* the link works until then */
    lb_time ended_at;      /* answered, bounced or opted out */
    uint8_t recipient[32]; /* lb_survey_recipient_hash of the address; zeros when none */
};

struct lb_followup {
    struct lb_meta meta;
    lb_id company_id;
    char *assignee;
    lb_date due;
    enum lb_followup_status status;
    uint32_t attempts;
    struct lb_followup_item *items;
    uint32_t nitems;
    struct lb_answer *answers;
    uint32_t nanswers;
    char *comment;       /* free text, optional */
    lb_time recorded_at; /* when the final result was recorded */
    lb_time last_attempt_at;
    enum lb_answer_channel channel; /* how the result came: phone, email, paper */
    struct lb_followup_survey survey;
    struct lb_answer_change *corrections; /* oldest first */
    uint32_t ncorrections;
};

struct lb_improvement {
    struct lb_meta meta;
    char *unit; /* optional unit code; NULL for the lots function */
    char *title;
    char *description; /* optional */
    lb_id followup_id; /* 0 when not from a follow-up */
    enum lb_improvement_status status;
    lb_time identified_at;
    lb_time implemented_at; /* LB_TIME_NONE unless implemented */
};

/* A meeting, training or event (DESIGN.md "Meetings, trainings and their
 * evaluations", docs/meetings.md). Attendance lives in the record: companies
 * from the register with a persons count, and for staff trainings counts per
 * unit (no names). Evaluations are records of their own. */
struct lb_meeting_item {
    enum lb_meeting_item_type type;
    char *text;
};
struct lb_meeting_company {
    lb_id company_id;
    uint32_t persons; /* >= 1 */
};
struct lb_meeting_staff {
    char *unit; /* a configured unit code, or "lots" for the näringslivsenhet */
    uint32_t count;
};
struct lb_meeting {
    struct lb_meta meta;
    enum lb_meeting_kind kind;
    char *title;
    lb_time starts_at;
    char *place;    /* optional */
    char *unit;     /* optional organiser unit code; NULL: the lots function */
    char **actions; /* plan action codes it serves ("6.2") */
    uint32_t nactions;
    char *notes; /* optional free text */
    struct lb_meeting_item *items;
    uint32_t nitems;
    struct lb_meeting_company *companies;
    uint32_t ncompanies;
    struct lb_meeting_staff *staff;
    uint32_t nstaff;
    char *eval_token;      /* the evaluation link's token: public by purpose (it is
                            * printed on the QR sheet); only its hash answers */
    uint8_t eval_hash[32]; /* the token's hash, the survey token's key */
    lb_time eval_expires_at;
};

/* One evaluation of a meeting: answered on the public form through the
 * meeting's link, or typed in from paper by staff. */
struct lb_meeting_eval {
    struct lb_meta meta;
    lb_id meeting_id;
    uint32_t relevant;  /* 1..6; 0 not answered (vet ej) */
    uint32_t knowledge; /* 0 not answered, 1 no, 2 yes */
    char *comment;      /* optional */
    bool paper;         /* typed in by staff */
    lb_id company_id;   /* optional: a paper form that names its company */
};

struct lb_user {
    struct lb_meta meta;
    char *username;      /* [a-z0-9._-]{1,64} */
    char *display_name;  /* optional: the name colleagues read ("Anna Lind") */
    char *password_hash; /* crypto_pwhash_str output, never logged */
    enum lb_role role;
    char **units; /* handler's units */
    uint32_t nunits;
    bool disabled;
    lb_time password_changed_at;
};

/* A login session; stored under the hash of its token, never the token. */
struct lb_session {
    uint8_t token_hash[32];
    char *username;
    lb_time created_at;
    lb_time expires_at;
};

/* A public survey token (docs/surveys.md): stored under the hash of the
 * token, never the token, like a session. Bookkeeping: no meta, no event. */
struct lb_survey_token {
    uint8_t token_hash[32];
    enum lb_survey_kind kind;
    lb_id target_id; /* the follow-up (or, issue 23, the meeting) it answers */
    lb_time created_at;
    lb_time expires_at;
    uint32_t answers;     /* answers given through it */
    uint32_t max_answers; /* 1 for a follow-up; 0 = no limit (a meeting's link) */
};

/* A stored answer to an Idempotency-Key (bookkeeping, no event). */
/* A company an answer describes (anonymising it deletes the answer). */
struct lb_idem_company {
    lb_id id;
};

/* The most companies one stored answer is filed under; an answer naming more
 * (an import of a larger file) is not stored (docs/api.md). */
#define LB_IDEM_COMPANIES_MAX 4096

/* Who an answer was given to: a user's answers expire after hours, the
 * service's (the worker's, no personal data) are kept for its exactly-once. */
enum lb_idem_class { LB_IDEM_USER = 0, LB_IDEM_SERVICE = 1, LB_IDEM_CLASS_COUNT };

struct lb_idempotency {
    uint8_t request_hash[32]; /* hash of method, path and body */
    int status;               /* HTTP status of the first answer */
    char *location;           /* optional Location header */
    char *body;               /* the first answer's JSON body */
    lb_time at;
    unsigned cls;                      /* enum lb_idem_class */
    lb_id seq;                         /* service keys "ev-<seq>-...": the event; else 0 */
    struct lb_idem_company *companies; /* the companies the answer describes */
    uint32_t ncompanies;
};

/* The worker's indicator snapshot for one quarter or one calendar year. */
struct lb_snapshot {
    struct lb_meta meta;
    char quarter[8]; /* the period: "2026-Q1", or "2026" for a year */
    uint64_t source_seq;
    char *json;        /* the live document (lots, admin, service) */
    char *json_public; /* the published document (viewers, handlers, reports); NULL: json */
};

/* The action plan (plan.h, docs/plan.md). Each record keeps its document as
 * the JSON text core/domain/plan.c validated (the plan's documents are nested
 * and shaped by the municipality's file), beside the fields its indexes need. */
struct lb_plan_header {
    struct lb_meta meta; /* one record, id 1 */
    char *json;          /* title, municipality, period, followup_from, summary, areas */
};

struct lb_plan_action {
    struct lb_meta meta;
    char code[16]; /* "1.2" */
    uint32_t area;
    char *json; /* the action document (plan.h) */
};

struct lb_plan_followup {
    struct lb_meta meta;
    char code[16]; /* the action's */
    uint16_t year;
    char *json; /* the follow-up document (plan.h) */
};

/* An outbox event, decoded. The wire form (codec.h) is a msgpack map with
 * string keys seq, type, at, actor, id, data; data is kept here as the raw
 * msgpack bytes of the map so that it round-trips byte for byte. */
struct lb_event {
    uint64_t seq;
    char *type;
    lb_time at;
    char *actor;
    lb_id id;
    uint8_t *data; /* msgpack map */
    size_t data_len;
};

void lb_company_clear(struct lb_company *r);
void lb_case_clear(struct lb_case *r);
void lb_contact_clear(struct lb_contact *r);
void lb_handoff_clear(struct lb_handoff *r);
void lb_followup_clear(struct lb_followup *r);
void lb_improvement_clear(struct lb_improvement *r);
void lb_meeting_clear(struct lb_meeting *r);
void lb_meeting_eval_clear(struct lb_meeting_eval *r);
void lb_user_clear(struct lb_user *r);
void lb_session_clear(struct lb_session *r);
void lb_survey_token_clear(struct lb_survey_token *r);
void lb_idempotency_clear(struct lb_idempotency *r);
void lb_snapshot_clear(struct lb_snapshot *r);
void lb_plan_header_clear(struct lb_plan_header *r);
void lb_plan_action_clear(struct lb_plan_action *r);
void lb_plan_followup_clear(struct lb_plan_followup *r);
void lb_event_clear(struct lb_event *r);

/* Formats a case number "L2026-0042" into buf (at least 16 bytes). */
void lb_case_number(const struct lb_case *c, char *buf, size_t len);
/* Parses "L2026-0042" into year and serial; LB_EINVAL when malformed. */
int lb_case_number_parse(const char *s, uint16_t *year, uint32_t *serial);

#endif
