/* demo_meetings.c: a year of believable Norrtälje meetings for the demo
 * (demo.h, docs/demo.md, docs/meetings.md).
 *
 * Written after the demo's cases, in one transaction: a företagarfrukost every
 * month (action 6.2), two infrastrukturträffar with input to the
 * trafikstrateg (3.1), three upphandling trainings for companies (1.4), a
 * klusterträff for the visitor industry (5.1), a temadag for growth companies
 * (2.2) and the internal service training (1.3, staff counts per unit). Each
 * meeting that has taken place gets attendance drawn from the demo's
 * companies, documented needs and proposals, and evaluations: some typed in
 * from paper forms, most answered through the meeting's link, relevant mostly
 * 4-6. Randomness: its own splitmix64 stream from the demo's seed, so the
 * cases' stream (demo.c) is untouched. Every write goes through the store's
 * meeting operations (store_meetings.c), events and all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/auth.h"
#include "lotsbok/calendar.h"
#include "lotsbok/demo.h"
#include "lotsbok/error.h"
#include "lotsbok/meeting.h"
#include "lotsbok/store.h"
#include "lotsbok/timeutil.h"

struct mrng {
    uint64_t x;
};

static uint64_t mnext(struct mrng *r)
{
    uint64_t z = (r->x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int mrnd(struct mrng *r, int n)
{
    return n <= 0 ? 0 : (int)(mnext(r) % (uint64_t)n);
}

/* The instant of minute_of_day on day d, Stockholm time. */
static lb_time local_time(lb_date d, int minute_of_day)
{
    lb_time t = ((lb_time)d * 86400 + (lb_time)minute_of_day * 60) * 1000;
    return t - (lb_time)lb_stockholm_offset(t) * 1000;
}

/* The n-th (1-based) weekday wd (0 = Monday) of the month. */
static lb_date nth_weekday(int y, int m, int wd, int n)
{
    lb_date d = lb_date_from_ymd(y, m, 1);
    int w = (int)(((d % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
    return d + (wd - w + 7) % 7 + 7 * (n - 1);
}

struct plan {
    enum lb_meeting_kind kind;
    const char *title, *place, *unit, *action;
    int month_offset; /* months before the end of the year */
    int weekday, nth, minute, minutes_long;
    int companies_lo, companies_hi;
};

static const char *const frukost_teman[] = {
    "Kompetensförsörjning",   "Nya detaljplaner i Rimbo", "Upphandling för små företag",
    "Sommarens besöksnäring", "Energikostnader",          "Digitala tjänster från kommunen",
    "Lokaler och mark",       "Unga entreprenörer",       "Infrastruktur och pendling",
    "Näringslivsranking",     "Hållbar tillväxt",         "Julhandel i centrum"};
static const char *const frukost_platser[] = {"Kulturhuset, Norrtälje", "Hallstavik Folkets hus",
                                              "Rimbo bibliotek", "Societetshuset, Norrtälje"};

static const char *const needs[] = {"Fler praktikplatser för gymnasieelever",
                                    "Snabbare besked i bygglovsärenden under våren",
                                    "Mark för lätt industri i Rimbo",
                                    "Bättre mobiltäckning i norra Roslagen",
                                    "Kvällsöppen rådgivning för nya företagare",
                                    "Tydligare information om serveringstillstånd",
                                    "Bredband till landsbygdsföretag",
                                    "Bostäder för nyanställda"};
static const char *const proposals[] = {"Gemensam rekryteringsdag med gymnasiet i maj",
                                        "En kontaktperson per företag för stora etableringar",
                                        "Leverantörsträff inför kommunens stora upphandlingar",
                                        "Samordnad marknadsföring av besöksmålen",
                                        "Mentorprogram för unga företagare",
                                        "Digital ansökan för markupplåtelse"};
static const char *const inputs[] = {
    "Bussförbindelsen Rimbo–Stockholm behöver tätare turer morgon och kväll",
    "Väg 76 genom Hallstavik saknar säker cykelväg",
    "Godstrafiken till hamnen i Kapellskär belastar E18",
    "Pendelparkering vid Campus Roslagen är full före klockan åtta",
    "Laddinfrastruktur för tunga fordon efterfrågas av åkerierna"};
static const char *const comments[] = {"Bra och konkret, fler sådana träffar!",
                                       "Lite för lång presentation.",
                                       "Nyttigt att träffa handläggarna direkt.",
                                       "Bra nätverkande.",
                                       "Svårt att hinna med på morgonen, gärna lunchtid.",
                                       "Tydligt och matnyttigt."};

struct run {
    struct lb_ctx ctx, pub; /* staff (paper forms, records) and the public form */
    lb_time until;
    struct mrng rng;
    lb_id *companies;
    size_t ncompanies;
    size_t meetings, evaluations;
    uint64_t seed;
};

static int add_meeting(lb_txn *t, struct run *r, const struct plan *p, lb_date day,
                       const char *title)
{
    struct lb_meeting m = {0};
    char tok[LB_TOKEN_LEN + 1];
    int rc = lb_token_new(tok, m.eval_hash);
    if (rc)
        return rc;
    m.kind = p->kind;
    m.title = strdup(title);
    m.starts_at = local_time(day, p->minute);
    m.place = p->place ? strdup(p->place) : NULL;
    m.unit = p->unit ? strdup(p->unit) : NULL;
    m.eval_token = strdup(tok);
    m.actions = calloc(1, sizeof *m.actions);
    if (m.actions && (m.actions[0] = strdup(p->action)))
        m.nactions = 1;
    bool held = m.starts_at + (lb_time)p->minutes_long * 60000 <= r->until;
    /* Documented items, for meetings that took place. */
    int ni = held ? 1 + mrnd(&r->rng, 3) : 0;
    m.items = ni ? calloc((size_t)ni, sizeof *m.items) : NULL;
    for (int i = 0; m.items && i < ni; i++) {
        enum lb_meeting_item_type ty = p->kind == LB_MEETING_INFRASTRUCTURE ? LB_MEETING_ITEM_INPUT
                                       : i % 2 == 0                         ? LB_MEETING_ITEM_NEED
                                                    : LB_MEETING_ITEM_PROPOSAL;
        const char *text = ty == LB_MEETING_ITEM_INPUT  ? inputs[mrnd(&r->rng, 5)]
                           : ty == LB_MEETING_ITEM_NEED ? needs[mrnd(&r->rng, 8)]
                                                        : proposals[mrnd(&r->rng, 6)];
        bool dup = false;
        for (uint32_t k = 0; k < m.nitems; k++)
            dup |= strcmp(m.items[k].text, text) == 0;
        if (dup)
            continue;
        m.items[m.nitems].type = ty;
        if (!(m.items[m.nitems].text = strdup(text)))
            break;
        m.nitems++;
    }
    if (!m.title || !m.eval_token || !m.nactions || (ni && !m.items)) {
        lb_meeting_clear(&m);
        return LB_ENOMEM;
    }
    rc = lb_meeting_create(t, &r->ctx, &m);
    lb_id mid = m.meta.id;
    enum lb_meeting_kind kind = m.kind;
    lb_meeting_clear(&m);
    if (rc || !held)
        return rc;
    r->meetings++;

    /* Attendance. */
    uint32_t participants = 0;
    if (p->kind == LB_MEETING_STAFF_TRAINING) {
        static const char *const units[] = {"lots", "bygglov", "miljo", "livsmedel",
                                            "serveringstillstand"};
        struct lb_meeting_staff st[5];
        for (int i = 0; i < 5; i++) {
            st[i].unit = (char *)units[i];
            st[i].count = (uint32_t)(2 + mrnd(&r->rng, 9));
            participants += st[i].count;
        }
        struct lb_meeting out = {0};
        lb_id unknown;
        rc = lb_meeting_attendance(t, &r->ctx, mid, NULL, 0, st, 5, 0, &out, &unknown);
        lb_meeting_clear(&out);
    } else if (r->ncompanies) {
        int n = p->companies_lo + mrnd(&r->rng, p->companies_hi - p->companies_lo + 1);
        if ((size_t)n > r->ncompanies)
            n = (int)r->ncompanies;
        struct lb_meeting_company *cs = calloc((size_t)n, sizeof *cs);
        if (!cs)
            return LB_ENOMEM;
        int got = 0;
        for (int tries = 0; got < n && tries < n * 20; tries++) {
            lb_id id = r->companies[mrnd(&r->rng, (int)r->ncompanies)];
            bool dup = false;
            for (int k = 0; k < got; k++)
                dup |= cs[k].company_id == id;
            if (dup)
                continue;
            cs[got].company_id = id;
            cs[got].persons = (uint32_t)(1 + (mrnd(&r->rng, 4) == 0));
            participants += cs[got].persons;
            got++;
        }
        struct lb_meeting out = {0};
        lb_id unknown;
        rc = lb_meeting_attendance(t, &r->ctx, mid, cs, (uint32_t)got, NULL, 0, 0, &out, &unknown);
        lb_meeting_clear(&out);
        free(cs);
    }
    if (rc)
        return rc;

    /* Evaluations: about half the participants answer, a fifth of them on paper. */
    int ne = (int)participants * (35 + mrnd(&r->rng, 30)) / 100;
    bool training = lb_meeting_kind_training(kind);
    for (int i = 0; i < ne && rc == 0; i++) {
        struct lb_meeting_eval e = {0};
        e.meeting_id = mid;
        int roll = mrnd(&r->rng, 100);
        e.relevant = roll < 6    ? 0
                     : roll < 12 ? 2 + (uint32_t)mrnd(&r->rng, 2)
                     : roll < 40 ? 4
                     : roll < 75 ? 5
                                 : 6;
        if (training)
            e.knowledge = mrnd(&r->rng, 100) < 82 ? 2 : 1;
        e.paper = mrnd(&r->rng, 5) == 0;
        if (mrnd(&r->rng, 6) == 0)
            e.comment = strdup(comments[mrnd(&r->rng, 6)]);
        rc = lb_meeting_evaluate(t, e.paper ? &r->ctx : &r->pub, &e);
        lb_meeting_eval_clear(&e);
        if (rc == 0)
            r->evaluations++;
    }
    return rc;
}

static int run_meetings(lb_txn *t, void *arg)
{
    struct run *r = arg;
    /* The same draws when the batch runs again (after the map grew). */
    r->rng.x = r->seed ^ 0x6d656574696e6773ULL;
    r->meetings = r->evaluations = 0;
    int y, mo, d;
    lb_date today = lb_stockholm_date(r->until);
    lb_date_to_ymd(today, &y, &mo, &d);
    /* Month k months before this one (k = 0 is the current month). */
#define MONTH_BACK(k, yy, mm)                                                                      \
    do {                                                                                           \
        int idx_ = y * 12 + (mo - 1) - (k);                                                        \
        (yy) = idx_ / 12;                                                                          \
        (mm) = idx_ % 12 + 1;                                                                      \
    } while (0)
    int rc = 0;
    /* A frukost on the second Thursday of every month, the last twelve. */
    for (int k = 11; k >= 0 && rc == 0; k--) {
        int yy, mm;
        MONTH_BACK(k, yy, mm);
        lb_date day = nth_weekday(yy, mm, 3, 2);
        struct plan p = {LB_MEETING_BUSINESS,
                         NULL,
                         frukost_platser[mrnd(&r->rng, 4)],
                         NULL,
                         "6.2",
                         k,
                         3,
                         2,
                         7 * 60 + 30,
                         90,
                         12,
                         34};
        char title[200];
        snprintf(title, sizeof title, "Företagarfrukost: %s", frukost_teman[(mm - 1) % 12]);
        rc = add_meeting(t, r, &p, day, title);
    }
    static const struct plan others[] = {
        {LB_MEETING_INFRASTRUCTURE, "Infrastrukturträff vår", "Kommunhuset, Norrtälje", NULL, "3.1",
         9, 1, 3, 15 * 60, 120, 8, 16},
        {LB_MEETING_INFRASTRUCTURE, "Infrastrukturträff höst", "Campus Roslagen", NULL, "3.1", 3, 1,
         3, 15 * 60, 120, 8, 16},
        {LB_MEETING_COMPANY_TRAINING,
         "Upphandlingsskolan del 1: Så läser du ett förfrågningsunderlag", "Kommunhuset, Norrtälje",
         "upphandling", "1.4", 10, 2, 2, 13 * 60, 180, 9, 18},
        {LB_MEETING_COMPANY_TRAINING, "Upphandlingsskolan del 2: Att skriva ett anbud",
         "Kommunhuset, Norrtälje", "upphandling", "1.4", 7, 2, 2, 13 * 60, 180, 8, 16},
        {LB_MEETING_COMPANY_TRAINING, "Upphandlingsskolan del 3: Avtal och uppföljning",
         "Hallstavik Folkets hus", "upphandling", "1.4", 2, 2, 2, 13 * 60, 180, 7, 14},
        {LB_MEETING_CLUSTER, "Klusterträff besöksnäringen inför sommaren", "Grisslehamns hamn",
         NULL, "5.1", 8, 1, 1, 9 * 60, 240, 10, 22},
        {LB_MEETING_THEME_DAY, "Temadag för tillväxtföretag", "Societetshuset, Norrtälje", NULL,
         "2.2", 5, 2, 3, 9 * 60, 420, 15, 30},
        {LB_MEETING_STAFF_TRAINING, "Serviceutbildning: bemötande av företagare",
         "Kommunhuset, Norrtälje", NULL, "1.3", 6, 1, 2, 8 * 60 + 30, 240, 0, 0},
    };
    for (size_t i = 0; i < sizeof others / sizeof *others && rc == 0; i++) {
        const struct plan *p = &others[i];
        int yy, mm;
        MONTH_BACK(p->month_offset, yy, mm);
        lb_date day = nth_weekday(yy, mm, p->weekday, p->nth);
        rc = add_meeting(t, r, p, day, p->title);
    }
#undef MONTH_BACK
    return rc;
}

int lb_demo_meetings(lb_store *s, uint64_t seed, lb_time until, const char *actor, size_t *meetings,
                     size_t *evaluations)
{
    struct run r = {.ctx = {actor, until}, .pub = {"public", until}, .until = until, .seed = seed};
    lb_txn *t = NULL;
    int rc = lb_txn_read(s, &t);
    size_t cap = 0;
    lb_id ids[500];
    struct lb_page p = {.after = 0, .limit = 500, .ids = ids};
    while (rc == 0) {
        if ((rc = lb_company_list(t, &p)) != 0)
            break;
        if (r.ncompanies + p.count > cap) {
            cap = (r.ncompanies + p.count) * 2;
            lb_id *n = realloc(r.companies, cap * sizeof *n);
            if (!n) {
                rc = LB_ENOMEM;
                break;
            }
            r.companies = n;
        }
        memcpy(r.companies + r.ncompanies, ids, p.count * sizeof *ids);
        r.ncompanies += p.count;
        if (!p.next)
            break;
        p.after = p.next;
    }
    if (t)
        lb_txn_end(t);
    if (rc == 0) {
        struct lb_op op = {run_meetings, &r, 0};
        uint64_t first, last;
        rc = lb_store_batch(s, &op, 1, &first, &last);
        if (rc == 0)
            rc = op.result;
    }
    free(r.companies);
    *meetings = r.meetings;
    *evaluations = r.evaluations;
    return rc;
}
