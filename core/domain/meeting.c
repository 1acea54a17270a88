/* meeting.c: the evaluation questions of a meeting and the tally of its
 * answers under the n >= 7 rule (meeting.h, docs/meetings.md). */
#include "lotsbok/meeting.h"

#include <string.h>

static const struct lb_question questions[] = {
    {"relevant", LB_Q_SCALE, "Hur relevant var träffen för dig och ditt företag?"},
    {"knowledge", LB_Q_YESNO, "Har utbildningen stärkt dina kunskaper?"},
};

const struct lb_question *lb_meeting_questions(enum lb_meeting_kind kind, size_t *n)
{
    *n = lb_meeting_kind_training(kind) ? 2 : 1;
    return questions;
}

const struct lb_question *lb_meeting_question(enum lb_meeting_kind kind, const char *key)
{
    size_t n;
    const struct lb_question *q = lb_meeting_questions(kind, &n);
    for (size_t i = 0; key && i < n; i++)
        if (strcmp(q[i].key, key) == 0)
            return &q[i];
    return NULL;
}

void lb_meeting_tally_add(struct lb_meeting_tally *t, const struct lb_meeting_eval *e)
{
    t->n++;
    if (e->relevant >= 1 && e->relevant <= LB_SURVEY_SCALE_TOP) {
        t->relevant_n++;
        t->relevant_sum += e->relevant;
        t->relevant_yes += e->relevant >= LB_MEETING_RELEVANT_FROM;
    }
    if (e->knowledge == 1 || e->knowledge == 2) {
        t->knowledge_n++;
        t->knowledge_yes += e->knowledge == 2;
    }
    t->comments += e->comment && e->comment[0];
    t->paper += e->paper;
}

/* {"n", "share"[, "mean"]} or {"n", "suppressed": true}. */
static json_t *measure(uint32_t n, uint32_t yes, uint32_t sum, bool mean)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "n", json_integer(n));
    if (n < LB_MEETING_MIN_ANSWERS) {
        json_object_set_new(o, "suppressed", json_true());
        return o;
    }
    json_object_set_new(o, "share", json_real((double)yes / n));
    if (mean)
        json_object_set_new(o, "mean", json_real((double)sum / n));
    return o;
}

json_t *lb_meeting_tally_json(const struct lb_meeting_tally *t)
{
    return json_pack("{s:i,s:i,s:i,s:o*,s:o*}", "n", (json_int_t)t->n, "paper",
                     (json_int_t)t->paper, "comments", (json_int_t)t->comments, "relevant",
                     measure(t->relevant_n, t->relevant_yes, t->relevant_sum, true), "knowledge",
                     measure(t->knowledge_n, t->knowledge_yes, 0, false));
}

uint32_t lb_meeting_participants(const struct lb_meeting *m)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->ncompanies; i++)
        n += m->companies[i].persons;
    for (uint32_t i = 0; i < m->nstaff; i++)
        n += m->staff[i].count;
    return n;
}
