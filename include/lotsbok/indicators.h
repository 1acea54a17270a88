/* indicators.h: the quarterly indicators of DESIGN.md ("Indicators"), as an
 * accumulator the worker feeds one event at a time and a snapshot renderer.
 *
 * The accumulator holds every quarter it has been fed, keyed by the
 * Europe/Stockholm calendar date the caller passes (lb_stockholm_date of the
 * event's instant, or a due date). Per quarter it keeps only what the figures
 * need, so memory does not grow with the number of follow-ups:
 *   - the distinct company ids guided (a hash set: the one thing that must grow),
 *   - counters (cases, contacts by channel, hand-offs, follow-up results),
 *   - a histogram of working days from hand-off to decision (exact median and
 *     90th percentile by nearest rank),
 *   - per question the count of each answer 1..scale_top (exact mean and
 *     standard deviation), per unit a histogram of the respondents' NKI
 *     (how many of the three questions they answered, and the sum),
 *   - yes/no counts for easy_contact and clear_and_lawful, improvement counts.
 * Rebuilding a quarter from the log is feeding the same calls again into a
 * fresh accumulator. Every figure's definition is in docs/indicators.md. */
#ifndef LOTSBOK_INDICATORS_H
#define LOTSBOK_INDICATORS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lotsbok/enums.h"
#include "lotsbok/records.h"

/* Configuration. lb_ind_config_default gives DESIGN.md's defaults. */
#define LB_IND_SCALE_MAX 10  /* the largest scale top accepted */
#define LB_IND_UNITS_MAX 128 /* configured units plus codes met in events */

/* SKR's Insikt areas a unit's answers belong to (the unit-to-area mapping is
 * configuration). Since 2024 SKR's total NKI is the answers of the four
 * mandatory areas together; brandskydd and markupplåtelse are reported beside
 * it; upphandling is reported as NUI and never enters it. */
enum lb_ind_area {
    LB_IND_AREA_NONE, /* not an Insikt area: in no total */
    LB_IND_AREA_BYGGLOV,
    LB_IND_AREA_MILJO_HALSOSKYDD,
    LB_IND_AREA_LIVSMEDELSKONTROLL,
    LB_IND_AREA_SERVERINGSTILLSTAND,
    LB_IND_AREA_BRANDSKYDD,
    LB_IND_AREA_MARKUPPLATELSE,
    LB_IND_AREA_UPPHANDLING,
    LB_IND_AREA_COUNT
};

/* "bygglov", "miljo_halsoskydd", "livsmedelskontroll", "serveringstillstand",
 * "brandskydd", "markupplatelse", "upphandling" ("none" for NONE). */
const char *lb_ind_area_str(enum lb_ind_area a);
int lb_ind_area_from_str(const char *s, enum lb_ind_area *out);
/* Whether the area's answers enter SKR's total NKI. */
bool lb_ind_area_in_total(enum lb_ind_area a);

struct lb_ind_area_map {
    char code[LB_UNIT_CODE_MAX + 1];
    enum lb_ind_area area;
};

struct lb_ind_config {
    int scale_top;         /* 6: answers are 1..scale_top (2..LB_IND_SCALE_MAX) */
    int min_answers;       /* 7: an index or share on fewer answers is suppressed (>= 1) */
    int ack_working_days;  /* 2: acknowledged within this many working days is in time */
    struct lb_units units; /* the configured units, listed in every snapshot */
    /* unit code -> SKR area; a code not listed is in no area. Default: bygglov,
     * miljo, livsmedel, serveringstillstand (the four of the total),
     * raddningstjanst (brandskydd), gata_park (markupplåtelse), upphandling. */
    struct lb_ind_area_map areas[LB_UNITS_MAX];
    size_t nareas;
};

void lb_ind_config_default(struct lb_ind_config *cfg);

/* Replaces cfg's area mapping by spec "unit=area,unit=area" (areas as
 * lb_ind_area_str; "none" allowed). LB_EINVAL for a malformed entry, an
 * unknown area, a duplicate unit or too many; cfg unchanged then. */
int lb_ind_areas_parse(struct lb_ind_config *cfg, const char *spec);

/* Dump snapshot documents with this flag (or a precision up to 15) so that
 * 71.2 is written as 71.2, not 71.200000000000003. */
#define LB_IND_JSON_REAL JSON_REAL_PRECISION(12)

/* The questions of DESIGN.md "Follow-up answers", in the order of
 * struct lb_ind_answers.scale[]. */
#define LB_IND_LOTS_QUESTIONS                                                                      \
    4 /* reached_right_person, usefulness, treatment, website_information */
#define LB_IND_UNIT_QUESTIONS                                                                      \
    9 /* nki_overall, nki_expectations, nki_ideal, information,                                    \
         accessibility, treatment, competence, legal_certainty,                                    \
         efficiency */
#define LB_IND_QUESTIONS_MAX 9
#define LB_IND_NKI_QUESTIONS 3 /* scale[0..2] of a unit item */

/* The keys of a kind's scale questions (*n receives the count) and of its
 * yes/no question ("easy_contact" or "clear_and_lawful"). */
const char *const *lb_ind_question_keys(enum lb_followup_kind kind, size_t *n);
const char *lb_ind_yesno_key(enum lb_followup_kind kind);

/* One item's answers. scale[i] is 0 for "vet ej" (left out or null), else
 * 1..scale_top; yes is -1 for "vet ej", 0 no, 1 yes. */
struct lb_ind_answers {
    uint8_t scale[LB_IND_QUESTIONS_MAX];
    int8_t yes;
};

/* Fills *out from an item's answers object ({"nki_overall": 5, ...}). Keys
 * that are not questions of the kind are ignored; a scale value must be an
 * integer 1..scale_top, a yes/no value a boolean, either may be null.
 * Returns 0 or LB_EINVAL (then *out is all "vet ej"). */
int lb_ind_answers_from_json(enum lb_followup_kind kind, const json_t *obj, int scale_top,
                             struct lb_ind_answers *out);

/* The accumulator. */
struct lb_ind;

/* Creates an empty accumulator. LB_EINVAL when the configuration is out of
 * range, LB_ENOMEM. */
int lb_ind_new(const struct lb_ind_config *cfg, struct lb_ind **out);
void lb_ind_free(struct lb_ind *acc);

/* --- input: one call per event ----------------------------------------------------
 * Every call returns 0, LB_EINVAL (LB_DATE_NONE, a malformed unit code, an
 * enum out of range), LB_ETOOBIG (more than LB_IND_UNITS_MAX distinct units)
 * or LB_ENOMEM; on error nothing is counted. A unit code that is not
 * configured is counted under its code and listed after the configured ones,
 * so nothing in the log is silently dropped. */

/* case.opened (date = opened_at's Stockholm date): cases_opened, companies guided. */
int lb_ind_case_opened(struct lb_ind *acc, lb_date date, lb_id company_id);
/* case.closed: cases_closed (a case closed again after reopening counts again). */
int lb_ind_case_closed(struct lb_ind *acc, lb_date date);
/* contact.logged: contacts by channel, companies guided. */
int lb_ind_contact(struct lb_ind *acc, lb_date date, lb_id company_id, enum lb_channel channel);

/* handoff.created: the unit's hand-offs in the quarter of `sent`. */
int lb_ind_handoff_sent(struct lb_ind *acc, lb_date sent, const char *unit);
/* handoff.acknowledged: in time when lb_working_days_between(sent, ack) <=
 * ack_working_days; counts to the quarter of `sent`. */
int lb_ind_handoff_acknowledged(struct lb_ind *acc, lb_date sent, lb_date ack, const char *unit);
/* handoff.decided: working days sent -> decided, to the quarter of `decided`. */
int lb_ind_handoff_decided(struct lb_ind *acc, lb_date sent, lb_date decided, const char *unit);
/* handoff.overdue: to the quarter of `sent`. */
int lb_ind_handoff_overdue(struct lb_ind *acc, lb_date sent, const char *unit);
/* handoff.withdrawn: a hand-off withdrawn before it was acknowledged leaves
 * the acknowledged-in-time share (it was never the unit's to acknowledge);
 * one withdrawn after acknowledgement changes nothing. */
int lb_ind_handoff_withdrawn(struct lb_ind *acc, lb_date sent, const char *unit, bool acknowledged);

/* A follow-up call covers items (the lots item, unit items); each item is
 * answered in the section it belongs to (the lots function or its unit), and
 * a call counts ONCE per section however many of its items fall in it (two
 * lotsärenden of one company merged into one call are one respondent): the
 * caller passes each section of a call once.
 *
 * followup.scheduled / items merged into a call: the call gained a section
 * (unit NULL for the lots function), due on `due`. Pass the first due date;
 * rescheduling after no_answer does not count again. */
int lb_ind_followup_due(struct lb_ind *acc, lb_date due, const char *unit);
/* followup.recorded, once per section of the call: the result as it stands
 * after the attempt (done, no_answer, declined or unreachable — the third
 * no_answer is passed as unreachable). answers (may be NULL) count only when
 * status is done; each scale value must be 0..scale_top. */
int lb_ind_followup_result(struct lb_ind *acc, lb_date date, const char *unit,
                           enum lb_followup_status status, const struct lb_ind_answers *answers);
/* followup.corrected (a recorded call's answers corrected the same day),
 * once per section of the call: the answers `before` (NULL: none were
 * counted) leave the section's figures in the quarter of `date` (the day
 * the call was recorded) and `after` (NULL: none) take their place; the
 * call's result and every count stay. LB_EINVAL, and nothing changes, when
 * a value is out of range or `before` was never counted there. The
 * published state (lb_ind_day_close) follows as for new answers: a figure
 * whose number of answers does not move keeps its published value. */
int lb_ind_followup_corrected(struct lb_ind *acc, lb_date date, const char *unit,
                              const struct lb_ind_answers *before,
                              const struct lb_ind_answers *after);
/* The call itself, once per call whatever its items ("antal genomförda
 * uppföljningar", lots.calls): scheduled on `due`, and each recorded result. */
int lb_ind_call_due(struct lb_ind *acc, lb_date due);
int lb_ind_call_result(struct lb_ind *acc, lb_date date, enum lb_followup_status status);

/* A done result that came by e-mail (the survey's public form): counted
 * besides lb_ind_followup_result, as `done_by_email` (docs/surveys.md). */
int lb_ind_followup_by_email(struct lb_ind *acc, lb_date date, const char *unit);

/* improvement.created / improvement.updated to implemented. */
int lb_ind_improvement_identified(struct lb_ind *acc, lb_date date);
int lb_ind_improvement_implemented(struct lb_ind *acc, lb_date date);

/* The day `day` (Stockholm date) has ended: every answer fed so far was
 * recorded on it or before. For the quarter of `day`, each answer-based
 * figure's published state (LB_IND_PUBLISHED below) takes the live value
 * where at least min_answers answers were added since it last did. Call it
 * once the clock or the event stream has passed the day; a day not after the
 * last one closed is ignored. 0 or LB_ENOMEM. */
int lb_ind_day_close(struct lb_ind *acc, lb_date day);

/* --- output -------------------------------------------------------------------------- */

/* Which answers a snapshot is computed from (docs/indicators.md, "The open
 * quarter"). LB_IND_LIVE: every answer fed (what lots and admin see).
 * LB_IND_PUBLISHED: in the open quarter — the quarter of computed_at's
 * Stockholm date — each index and share as it stood at the end of the last
 * day closed with lb_ind_day_close, and only as far as steps of at least
 * min_answers answers took it; counts stay live (what viewers, handlers and
 * the reports see). Other quarters are the same in both views. */
enum lb_ind_view { LB_IND_LIVE, LB_IND_PUBLISHED };

#define LB_IND_YEAR 0 /* quarter 0: the calendar year's snapshot */

/* The snapshot of quarter (year, quarter 1..4) in DESIGN.md's shape, with
 * year-to-date figures in a "ytd" object per section, or with quarter
 * LB_IND_YEAR the calendar year's (the same shape with "year" instead of
 * "quarter" and no "ytd": every figure computed over the year's events, an
 * index over the year's answers). Indices and shares are suppressed under
 * min_answers and, secondarily, wherever a suppressed one could otherwise be
 * worked out from the published ones (docs/indicators.md). computed_at also
 * gives "today" (its Stockholm date): hand-offs still inside their
 * acknowledgement window are not yet counted, and it decides the open
 * quarter. A period never fed gives the zero snapshot. *out is a new
 * reference. Returns 0, LB_EINVAL (period out of range) or LB_ENOMEM. */
int lb_ind_snapshot_json(const struct lb_ind *acc, int year, int quarter, enum lb_ind_view view,
                         uint64_t source_seq, lb_time computed_at, json_t **out);

/* The five snapshots of a year at once (one suppression pass): out[0..3] the
 * quarters, out[4] the year. On failure every out[i] is NULL. */
int lb_ind_year_snapshots(const struct lb_ind *acc, int year, enum lb_ind_view view,
                          uint64_t source_seq, lb_time computed_at, json_t *out[5]);

/* SKR's grade of an index given in tenths (712 = 71.2): "mycket högt" from
 * 80.5, "högt" from 69.5, "godkänt" from 61.5, "lågt" from 49.5, else
 * "mycket lågt" — the index rounded to a whole number, as SKR publishes it,
 * then SKR's bands (over 80, 70-80, 62-69, 50-61, under 50). */
const char *lb_ind_grade(int tenths);

/* Nearest-rank percentile of a histogram: counts[v] values equal to v, for v
 * in [0, len). The smallest v whose cumulative count reaches ceil(p/100 * n),
 * p in 1..100. Returns -1 when the histogram is empty. */
int lb_ind_percentile(const uint64_t *counts, size_t len, int p);

#endif
