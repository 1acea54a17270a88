/* meeting.h: the rules of meetings, trainings and their evaluations that
 * lotsd, the CLI and the worker share (DESIGN.md "Meetings, trainings and
 * their evaluations", docs/meetings.md). Pure functions, no I/O.
 *
 *   - the evaluation's questions as the public form asks them: `relevant`
 *     (1-6) for every meeting, `knowledge` (yes/no) for trainings;
 *   - the tally of a meeting's (or a kind's, or a year's) evaluations and its
 *     summary under the n >= 7 rule: a share or a mean on fewer than
 *     LB_MEETING_MIN_ANSWERS answers is not shown, only that it was held
 *     back; counts always are. "Relevant" is an answer of 4-6, the positive
 *     half of the 1-6 scale. */
#ifndef LOTSBOK_MEETING_H
#define LOTSBOK_MEETING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lotsbok/enums.h"
#include "lotsbok/records.h"
#include "lotsbok/survey.h"

#define LB_MEETING_MIN_ANSWERS 7
#define LB_MEETING_RELEVANT_FROM 4 /* 4, 5, 6: found it relevant */
#define LB_MEETING_EVAL_DAYS 30    /* the link works until 30 days after the start */
#define LB_MEETING_COMPANIES_MAX 2000
#define LB_MEETING_STAFF_MAX 64
#define LB_MEETING_ITEMS_MAX 200
#define LB_MEETING_ACTIONS_MAX 32

/* The questions of a meeting of this kind's evaluation, in order. */
const struct lb_question *lb_meeting_questions(enum lb_meeting_kind kind, size_t *n);
/* The question with this key for a meeting of this kind, or NULL. */
const struct lb_question *lb_meeting_question(enum lb_meeting_kind kind, const char *key);

struct lb_meeting_tally {
    uint32_t n;          /* evaluations */
    uint32_t relevant_n; /* of them answering `relevant` */
    uint32_t relevant_sum;
    uint32_t relevant_yes; /* answers >= LB_MEETING_RELEVANT_FROM */
    uint32_t knowledge_n;
    uint32_t knowledge_yes;
    uint32_t comments;
    uint32_t paper;
};

void lb_meeting_tally_add(struct lb_meeting_tally *t, const struct lb_meeting_eval *e);
/* {"n", "paper", "comments", "relevant": {"n", "share", "mean"} or {"n",
 * "suppressed": true}, "knowledge": likewise with "share"}; NULL when out of
 * memory. */
json_t *lb_meeting_tally_json(const struct lb_meeting_tally *t);

/* The participants of a meeting: persons of the companies plus staff counts. */
uint32_t lb_meeting_participants(const struct lb_meeting *m);

#endif
