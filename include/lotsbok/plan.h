/* plan.h: the municipality's action plan as data (DESIGN.md "The action plan
 * and its annual follow-up"): its vocabularies, the validation of its three
 * documents, and the value of one indicator in one period.
 *
 * The plan is kept as JSON documents, validated and normalised here:
 *   - the header: {title, municipality, period: {from, to}, followup_from,
 *     summary?, areas: [{number, title, goal, description?}]};
 *   - an action: {code, area, title, purpose, timeline, start?, end?,
 *     responsible, units, owner?, resources?, activities: [{text, done,
 *     group?}], followup_frequency, followup_text?, comment?, indicators:
 *     [{id, name, aspect?, note?, kind, source?, unit, direction, target?,
 *     due?, same_as?}]};
 *   - a follow-up of an action for a year: {code, year, status, results?,
 *     values: [{indicator, period, value? | text? | done?, by, at}],
 *     collaboration: [codes], adjustment?, comment?, updated_by}.
 * The file `lotsd plan load` reads is the header with each area's actions
 * inside it (data/plan-norrtalje-2025-2030.json). docs/plan.md describes every
 * field and decision.
 *
 * Values: an auto indicator reads a figure of the worker's indicator snapshot
 * of the period (a quarter "2026-Q3" or a year "2026") through one table,
 * source -> JSON path (lb_plan_source_path); a manual one reads the values
 * recorded in the action's follow-up of the period's year; a milestone is met
 * by the `done` date recorded in a follow-up. Nothing is ever made up: a value
 * that cannot be had is null with a reason. Pure functions on jansson
 * documents; no I/O. */
#ifndef LOTSBOK_PLAN_H
#define LOTSBOK_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lotsbok/enums.h"
#include "lotsbok/records.h"

#define LB_PLAN_CODE_MAX 15 /* "1.2", "12.10a" */
#define LB_PLAN_ID_MAX 24   /* indicator ids "1.2-3" */
#define LB_PLAN_YEAR_MIN 2000
#define LB_PLAN_YEAR_MAX 2100
#define LB_PLAN_INDICATORS_MAX 100 /* per action */
#define LB_PLAN_ACTIVITIES_MAX 100
#define LB_PLAN_VALUES_MAX 1000 /* values in one follow-up */

enum lb_plan_status {
    LB_PLAN_NOT_STARTED,
    LB_PLAN_ONGOING,
    LB_PLAN_COMPLETED,
    LB_PLAN_CLOSED,
    LB_PLAN_STATUS_COUNT
};

/* The wire words ("not_started", ...) and the Swedish labels of the plan's
 * standard template ("Ej påbörjad", "Pågående", "Genomförd", "Avslutad").
 * from_str: 0 or LB_EINVAL. */
int lb_plan_status_from_str(const char *s, enum lb_plan_status *out);
const char *lb_plan_status_str(enum lb_plan_status v);
const char *lb_plan_status_label_sv(enum lb_plan_status v);

/* Swedish labels of the other vocabularies, for reports, the CLI and the web
 * ("increase" -> "Ska öka", "quarterly" -> "Kvartalsvis", "share" -> "Andel");
 * NULL for a word outside the vocabulary. */
const char *lb_plan_direction_label_sv(const char *direction);
const char *lb_plan_frequency_label_sv(const char *frequency);
const char *lb_plan_kind_label_sv(const char *kind);

/* Where a validation failed: code ("invalid_field", "unknown_field",
 * "missing_field", "invalid_enum", "unknown_unit", "unknown_action", ...), the
 * field as a path ("indicators[2].source") and an English message. */
struct lb_plan_err {
    const char *code; /* a string literal */
    char field[160];
    char message[256];
};

/* Checks the header document and normalises it in place (absent optional
 * fields become null). 0 or LB_EINVAL with *err filled. */
int lb_plan_check_header(json_t *header, struct lb_plan_err *err);

/* Checks an action document against the header (its area must be one of the
 * header's; NULL skips that check) and the configured units, and normalises it
 * in place: absent optional fields become null, false or [], activities get
 * done = false, and an indicator without an id gets the next free
 * "<code>-<n>". Unknown fields are refused; read-only fields a client may
 * echo back (id, version, created_at, updated_at, area_title) are dropped.
 * 0 or LB_EINVAL with *err filled; LB_ENOMEM. */
int lb_plan_check_action(json_t *action, const json_t *header, const struct lb_units *units,
                         struct lb_plan_err *err);

/* Checks a whole plan file (the header with "actions" inside each area) and
 * normalises it: every action is checked with lb_plan_check_action, codes
 * are unique and start with their area's number, and the actions are taken out
 * of the areas into *actions (a new array, in the file's order), leaving the
 * file a header. 0 or LB_EINVAL with *err filled; LB_ENOMEM. */
int lb_plan_check_file(json_t *file, const struct lb_units *units, json_t **actions,
                       struct lb_plan_err *err);

/* Checks a follow-up body (PUT /plan/actions/{code}/followups/{year}) for the
 * action and year and normalises it into the stored document: status
 * required; results, adjustment, comment optional text; values of the
 * action's manual indicators (value a number in the indicator's unit's range,
 * or text for unit text) and milestones (done, a date), for the year or, for
 * an action followed up quarterly, a quarter of it, each (indicator, period)
 * once; collaboration the codes of other actions among `codes` (an array of
 * strings; NULL skips the check). Adds "code" and "year". 0 or LB_EINVAL with
 * *err filled; LB_ENOMEM. */
int lb_plan_check_followup(json_t *body, const json_t *action, int year, const json_t *codes,
                           struct lb_plan_err *err);

/* Stamps a checked follow-up: "updated_by" = user, and every value's "by" and
 * "at" (RFC 3339) — kept from `old` (the stored follow-up, may be NULL) when
 * the same indicator and period held the same value there, else user and now.
 * 0 or LB_ENOMEM. */
int lb_plan_followup_stamp(json_t *followup, const json_t *old, const char *user, lb_time now);

/* Reloading a plan file over a stored action: the file's document, keeping
 * what the organisation records in Lotsbok — the owner (when the file names
 * none) and each activity's done flag (for an activity of the same text).
 * file_action is changed in place. 0 or LB_ENOMEM. */
int lb_plan_merge_reload(json_t *file_action, const json_t *stored);

/* The canonical text of a document (compact, keys sorted), so equal
 * documents are equal bytes: malloc'd, NULL when out of memory. */
char *lb_plan_dump(const json_t *doc);

/* "2026" -> (2026, 0); "2026-Q3" -> (2026, 3). 0 or LB_EINVAL. */
int lb_plan_period_parse(const char *s, int *year, int *quarter);

/* The indicator of the action with this id, or NULL. */
const json_t *lb_plan_indicator(const json_t *action, const char *id);

/* The snapshot path of an auto source ("lots.questions.usefulness",
 * "units.bygglov.nki", "meetings.cluster_meeting.meetings" for a meeting
 * source, whose figures lotsd adds from its meeting records) into buf; 0, or
 * LB_EINVAL for a source outside DESIGN.md's vocabulary. */
int lb_plan_source_path(const char *source, char *buf, size_t len);
/* Whether source is in DESIGN.md's vocabulary (meeting sources included). */
bool lb_plan_source_known(const char *source);

/* The value of an indicator of an action in a period, as the item the API
 * and the report use: {"period", "value", "origin": "auto"|"manual", and
 * where they apply "n", "ci95", "suppressed", "reason"}. value is a number
 * (a count, a share 0..1, an index), a text, a date (a milestone's done), or
 * null with reason "not_computed" (no snapshot of the period),
 * "not_in_snapshot", "source_not_available" (a source no snapshot holds),
 * "suppressed" (fewer answers than SKR publishes) or "not_recorded".
 * snapshot is the worker's snapshot of the period (NULL when none);
 * followup the action's follow-up of the period's year (NULL when none).
 * 0, LB_EINVAL (a bad period) or LB_ENOMEM; *item is a new reference. */
int lb_plan_value(const json_t *action, const json_t *indicator, const char *period,
                  const json_t *snapshot, const json_t *followup, json_t **item);

/* The indicator's target for a year (target["2026"]), or NULL. */
const json_t *lb_plan_target(const json_t *indicator, int year);

#endif
