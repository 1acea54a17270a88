/* api_meeting_figures.c: the plan's meeting sources for a period, from the
 * meeting records (docs/meetings.md "The plan's meeting sources").
 *
 * lb_plan_source_path maps `meetings:<kind>`, `meeting_participants:<kind>`,
 * ... to "meetings.<kind>.<name>"; the plan's routes ask this file for the
 * figures of the period and read them at that path like any auto source. Per
 * kind, over the meetings that started in the period (Stockholm dates) and
 * before now: meetings, meeting_participants (persons of the companies plus
 * staff counts), meeting_companies (distinct), meeting_relevant_share and
 * meeting_knowledge_share ({value, n}, or {n, suppressed} under n >= 7),
 * needs_expressed and proposals_documented (items of those types). Counts
 * hold no personal data; shares follow the rule of every index. */
#include <stdlib.h>
#include <string.h>

#include "lotsbok/api.h"
#include "lotsbok/error.h"
#include "lotsbok/meeting.h"
#include "lotsbok/timeutil.h"

struct kind_fig {
    uint32_t meetings, participants, needs, proposals;
    struct lb_meeting_tally tally;
    lb_id *companies;
    size_t ncompanies, cap;
};

static int add_company(struct kind_fig *k, lb_id id)
{
    for (size_t i = 0; i < k->ncompanies; i++)
        if (k->companies[i] == id)
            return 0;
    if (k->ncompanies == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 64;
        lb_id *n = realloc(k->companies, cap * sizeof *n);
        if (!n)
            return LB_ENOMEM;
        k->companies = n;
        k->cap = cap;
    }
    k->companies[k->ncompanies++] = id;
    return 0;
}

static json_t *share(uint32_t n, uint32_t yes)
{
    if (n < LB_MEETING_MIN_ANSWERS)
        return json_pack("{s:i,s:b}", "n", (json_int_t)n, "suppressed", 1);
    return json_pack("{s:f,s:i}", "value", (double)yes / n, "n", (json_int_t)n);
}

int api_meeting_figures(lb_txn *t, const char *period, lb_time now, json_t **out)
{
    int year = 0, quarter = 0;
    *out = NULL;
    size_t pl = strlen(period);
    if (pl == 4)
        year = atoi(period);
    else if (lb_quarter_parse(period, &year, &quarter) != 0)
        return LB_EINVAL;
    struct kind_fig k[LB_MEETING_KIND_COUNT];
    memset(k, 0, sizeof k);
    lb_id ids[500];
    struct lb_page p = {.after = 0, .limit = 500, .ids = ids};
    int rc = 0;
    do {
        if ((rc = lb_meeting_list(t, &p)) != 0)
            break;
        for (size_t i = 0; rc == 0 && i < p.count; i++) {
            struct lb_meeting m = {0};
            if ((rc = lb_meeting_get(t, ids[i], &m)) != 0)
                break;
            int y, q;
            lb_date_quarter(lb_stockholm_date(m.starts_at), &y, &q);
            if (m.starts_at <= now && y == year && (quarter == 0 || q == quarter) &&
                (unsigned)m.kind < LB_MEETING_KIND_COUNT) {
                struct kind_fig *f = &k[m.kind];
                f->meetings++;
                f->participants += lb_meeting_participants(&m);
                for (uint32_t c = 0; rc == 0 && c < m.ncompanies; c++)
                    rc = add_company(f, m.companies[c].company_id);
                for (uint32_t c = 0; c < m.nitems; c++) {
                    f->needs += m.items[c].type == LB_MEETING_ITEM_NEED;
                    f->proposals += m.items[c].type == LB_MEETING_ITEM_PROPOSAL;
                }
                struct lb_meeting_tally mt;
                if (rc == 0 && (rc = lb_meeting_eval_summary(t, m.meta.id, &mt)) == 0) {
                    f->tally.n += mt.n;
                    f->tally.relevant_n += mt.relevant_n;
                    f->tally.relevant_yes += mt.relevant_yes;
                    f->tally.relevant_sum += mt.relevant_sum;
                    f->tally.knowledge_n += mt.knowledge_n;
                    f->tally.knowledge_yes += mt.knowledge_yes;
                }
            }
            lb_meeting_clear(&m);
        }
        p.after = p.next;
    } while (rc == 0 && p.next);
    json_t *o = rc == 0 ? json_object() : NULL;
    if (rc == 0 && !o)
        rc = LB_ENOMEM;
    for (int i = 0; rc == 0 && i < LB_MEETING_KIND_COUNT; i++) {
        struct kind_fig *f = &k[i];
        json_t *fig =
            json_pack("{s:i,s:i,s:i,s:o,s:o,s:i,s:i}", "meetings", (json_int_t)f->meetings,
                      "meeting_participants", (json_int_t)f->participants, "meeting_companies",
                      (json_int_t)f->ncompanies, "meeting_relevant_share",
                      share(f->tally.relevant_n, f->tally.relevant_yes), "meeting_knowledge_share",
                      share(f->tally.knowledge_n, f->tally.knowledge_yes), "needs_expressed",
                      (json_int_t)f->needs, "proposals_documented", (json_int_t)f->proposals);
        if (!fig || json_object_set_new(o, lb_meeting_kind_str((enum lb_meeting_kind)i), fig))
            rc = LB_ENOMEM;
    }
    for (int i = 0; i < LB_MEETING_KIND_COUNT; i++)
        free(k[i].companies);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}
