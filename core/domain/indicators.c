/* indicators.c: quarterly and yearly indicators (indicators.h), accumulated per event.
 *
 * The accumulator is a list of quarters; each quarter has one section for the
 * lots function and one per unit met (allocated on first use), plus the set of
 * company ids guided, call and improvement counts. A section holds counters and
 * histograms only: working days to decision as counts per day, answers as
 * counts per scale value, the respondents' NKI as counts per (questions
 * answered, sum of answers), hand-offs by the day they were sent. Median,
 * percentiles, means and standard deviations are then exact and cost O(scale)
 * or O(days) per snapshot, however many follow-ups were fed.
 *
 * Index values are rounded from exact integer ratios (no floating point in the
 * rounding), so the published tenths and SKR's grade never depend on how a
 * sum happened to round in a double.
 *
 * Snapshots are rendered a year at a time. First the year's four quarters are
 * copied into a *view*: with LB_IND_PUBLISHED the open quarter's answers are
 * replaced by their published state (kept per section and question in `pub`,
 * advanced by lb_ind_day_close), and every section gets its acknowledged-in-time
 * denominator for "today". Year-to-date and the year merge the view's
 * quarters into a scratch quarter and render it with the same code. Then the
 * suppression pattern of the year is computed over every index and share of
 * the view (suppression.h: primary under min_answers, and secondary so that
 * no suppressed figure can be worked out from the published ones), and the
 * documents are rendered with it. */
#include "lotsbok/indicators.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/suppression.h"
#include "lotsbok/timeutil.h"

/* Working days beyond this are counted as this (about 250 years). */
#define DAYS_CAP 65535
#define NKI_SUM_MAX (LB_IND_NKI_QUESTIONS * LB_IND_SCALE_MAX)
/* The working-day table covers 2000-01-01 .. 2099-12-31; outside it the
 * calendar is walked. */
#define WD_BASE 10957 /* 2000-01-01 */
#define WD_DAYS 36525
#define QDAYS 92 /* days in the longest quarter */

/* The answer-based figures of a section: every index and share. The unit of
 * the open quarter's publication (lb_ind_day_close) is one question, the NKI or
 * the yes/no question of one section: its VAR_* below. */
enum { VAR_NKI = LB_IND_QUESTIONS_MAX, VAR_YESNO, VAR_COUNT };

enum { FU_DUE, FU_DONE, FU_NO_ANSWER, FU_DECLINED, FU_UNREACHABLE, FU_EMAIL, FU_COUNT };

#define NKI_PATTERNS 8 /* which of the three NKI questions a respondent answered: bits 0..2 */

struct ans {
    uint64_t answers[LB_IND_QUESTIONS_MAX][LB_IND_SCALE_MAX + 1];
    uint64_t yes, no;
    uint64_t nki[LB_IND_NKI_QUESTIONS][NKI_SUM_MAX + 1]; /* [answered - 1][sum] */
    uint64_t nki_pat[NKI_PATTERNS]; /* respondents by the set of NKI questions answered */
};

struct section {
    uint64_t handoffs, overdue;
    uint64_t acked, ack_in_time; /* acknowledged (whenever), and within the window */
    /* by the day of the quarter the hand-off was sent: sent, acknowledged,
     * withdrawn before acknowledgement (what is left is waiting) */
    uint32_t sent_day[QDAYS], acked_day[QDAYS], wdu_day[QDAYS];
    uint64_t ack_den; /* views only: acknowledged + waiting past the window, for "today" */
    uint64_t *days;   /* days[d]: hand-offs decided after d working days */
    size_t days_len;
    uint64_t fu[FU_COUNT];
    struct ans a;
};

struct idset {
    uint64_t *slot; /* 0 is empty; ids are never 0 */
    size_t cap, count;
};

struct quarter {
    int key;             /* year * 4 + quarter - 1 */
    lb_date first, last; /* its dates, to place the next date without a calendar conversion */
    uint64_t cases_opened, cases_closed, contacts[LB_CHANNEL_COUNT];
    uint64_t calls[FU_COUNT];
    uint64_t improvements_identified, improvements_implemented;
    struct idset companies;
    struct section lots;
    struct section *unit[LB_IND_UNITS_MAX];
    bool view; /* a view's copy: days and companies are borrowed, not owned */
};

/* The published state of the quarter `key` (LB_IND_PUBLISHED). */
struct pub {
    int key;     /* -1: none yet */
    lb_date day; /* the last day closed */
    struct ans lots;
    struct ans *unit[LB_IND_UNITS_MAX];
};

struct lb_ind {
    struct lb_ind_config cfg;
    char codes[LB_IND_UNITS_MAX][LB_UNIT_CODE_MAX + 1];
    enum lb_ind_area area[LB_IND_UNITS_MAX];
    size_t nunits; /* configured first, then codes met in events */
    struct quarter **q;
    size_t nq, capq;
    struct quarter *last; /* the quarter of the previous call: events come in date order */
    struct pub pub;
    /* wd_cum[i]: working days in (WD_BASE, WD_BASE + i], built on first use, so a
     * hand-off's working days are one subtraction instead of a walk over the
     * calendar (which computes Easter for every day it passes). */
    int32_t *wd_cum;
};

static const char *const lots_keys[LB_IND_LOTS_QUESTIONS] = {"reached_right_person", "usefulness",
                                                             "treatment", "website_information"};
static const char *const unit_keys[LB_IND_UNIT_QUESTIONS] = {
    "nki_overall", "nki_expectations", "nki_ideal",       "information", "accessibility",
    "treatment",   "competence",       "legal_certainty", "efficiency"};

const char *const *lb_ind_question_keys(enum lb_followup_kind kind, size_t *n)
{
    if (kind == LB_FOLLOWUP_KIND_UNIT) {
        *n = LB_IND_UNIT_QUESTIONS;
        return unit_keys;
    }
    *n = LB_IND_LOTS_QUESTIONS;
    return lots_keys;
}

const char *lb_ind_yesno_key(enum lb_followup_kind kind)
{
    return kind == LB_FOLLOWUP_KIND_UNIT ? "clear_and_lawful" : "easy_contact";
}

/* --- configuration ------------------------------------------------------------------ */

static const char *const area_strs[LB_IND_AREA_COUNT] = {
    [LB_IND_AREA_NONE] = "none",
    [LB_IND_AREA_BYGGLOV] = "bygglov",
    [LB_IND_AREA_MILJO_HALSOSKYDD] = "miljo_halsoskydd",
    [LB_IND_AREA_LIVSMEDELSKONTROLL] = "livsmedelskontroll",
    [LB_IND_AREA_SERVERINGSTILLSTAND] = "serveringstillstand",
    [LB_IND_AREA_BRANDSKYDD] = "brandskydd",
    [LB_IND_AREA_MARKUPPLATELSE] = "markupplatelse",
    [LB_IND_AREA_UPPHANDLING] = "upphandling",
};

const char *lb_ind_area_str(enum lb_ind_area a)
{
    return (int)a >= 0 && a < LB_IND_AREA_COUNT ? area_strs[a] : NULL;
}

int lb_ind_area_from_str(const char *s, enum lb_ind_area *out)
{
    for (int i = 0; s != NULL && i < LB_IND_AREA_COUNT; i++) {
        if (strcmp(area_strs[i], s) == 0) {
            *out = (enum lb_ind_area)i;
            return 0;
        }
    }
    return LB_EINVAL;
}

bool lb_ind_area_in_total(enum lb_ind_area a)
{
    return a == LB_IND_AREA_BYGGLOV || a == LB_IND_AREA_MILJO_HALSOSKYDD ||
           a == LB_IND_AREA_LIVSMEDELSKONTROLL || a == LB_IND_AREA_SERVERINGSTILLSTAND;
}

/* Reported beside the total (SKR's optional areas). */
static bool area_beside(enum lb_ind_area a)
{
    return a == LB_IND_AREA_BRANDSKYDD || a == LB_IND_AREA_MARKUPPLATELSE;
}

static const struct lb_ind_area_map default_areas[] = {
    {"bygglov", LB_IND_AREA_BYGGLOV},
    {"miljo", LB_IND_AREA_MILJO_HALSOSKYDD},
    {"livsmedel", LB_IND_AREA_LIVSMEDELSKONTROLL},
    {"serveringstillstand", LB_IND_AREA_SERVERINGSTILLSTAND},
    {"raddningstjanst", LB_IND_AREA_BRANDSKYDD},
    {"gata_park", LB_IND_AREA_MARKUPPLATELSE},
    {"upphandling", LB_IND_AREA_UPPHANDLING},
};

void lb_ind_config_default(struct lb_ind_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->scale_top = 6;
    cfg->min_answers = 7;
    cfg->ack_working_days = 2;
    lb_units_default(&cfg->units);
    memcpy(cfg->areas, default_areas, sizeof default_areas);
    cfg->nareas = sizeof default_areas / sizeof default_areas[0];
}

static int code_ok(const char *s)
{
    size_t n = 0;
    if (s == NULL)
        return 0;
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return n >= 1 && n <= LB_UNIT_CODE_MAX;
}

int lb_ind_areas_parse(struct lb_ind_config *cfg, const char *spec)
{
    struct lb_ind_area_map m[LB_UNITS_MAX];
    size_t n = 0;
    if (spec == NULL)
        return LB_EINVAL;
    const char *p = spec;
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        char entry[96];
        if (len >= sizeof entry)
            return LB_EINVAL;
        memcpy(entry, p, len);
        entry[len] = '\0';
        p += len + (p[len] == ',');
        if (len == 0)
            continue;
        char *eq = strchr(entry, '=');
        if (eq == NULL || n == LB_UNITS_MAX)
            return LB_EINVAL;
        *eq = '\0';
        if (!code_ok(entry) || lb_ind_area_from_str(eq + 1, &m[n].area) != 0)
            return LB_EINVAL;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(m[i].code, entry) == 0)
                return LB_EINVAL;
        }
        strcpy(m[n].code, entry); /* length checked by code_ok */
        n++;
    }
    memcpy(cfg->areas, m, n * sizeof m[0]);
    cfg->nareas = n;
    return 0;
}

static enum lb_ind_area area_of(const struct lb_ind_config *cfg, const char *code)
{
    for (size_t i = 0; i < cfg->nareas; i++) {
        if (strcmp(cfg->areas[i].code, code) == 0)
            return cfg->areas[i].area;
    }
    return LB_IND_AREA_NONE;
}

int lb_ind_answers_from_json(enum lb_followup_kind kind, const json_t *obj, int scale_top,
                             struct lb_ind_answers *out)
{
    memset(out, 0, sizeof *out);
    out->yes = -1;
    if (!json_is_object(obj) || scale_top < 2 || scale_top > LB_IND_SCALE_MAX)
        return LB_EINVAL;
    size_t n;
    const char *const *keys = lb_ind_question_keys(kind, &n);
    struct lb_ind_answers a;
    memset(&a, 0, sizeof a);
    a.yes = -1;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(obj, keys[i]);
        if (v == NULL || json_is_null(v))
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > scale_top)
            return LB_EINVAL;
        a.scale[i] = (uint8_t)json_integer_value(v);
    }
    json_t *yn = json_object_get(obj, lb_ind_yesno_key(kind));
    if (yn != NULL && !json_is_null(yn)) {
        if (!json_is_boolean(yn))
            return LB_EINVAL;
        a.yes = json_is_true(yn) ? 1 : 0;
    }
    *out = a;
    return 0;
}

/* --- the accumulator ---------------------------------------------------------------- */

int lb_ind_new(const struct lb_ind_config *cfg, struct lb_ind **out)
{
    *out = NULL;
    if (cfg->scale_top < 2 || cfg->scale_top > LB_IND_SCALE_MAX || cfg->min_answers < 1 ||
        cfg->ack_working_days < 0 || cfg->units.count > LB_UNITS_MAX || cfg->nareas > LB_UNITS_MAX)
        return LB_EINVAL;
    struct lb_ind *acc = calloc(1, sizeof *acc);
    if (acc == NULL)
        return LB_ENOMEM;
    acc->cfg = *cfg;
    acc->pub.key = -1;
    acc->pub.day = LB_DATE_NONE;
    for (size_t i = 0; i < cfg->units.count; i++) {
        if (!code_ok(cfg->units.unit[i].code)) {
            free(acc);
            return LB_EINVAL;
        }
        memcpy(acc->codes[i], cfg->units.unit[i].code, sizeof acc->codes[i]);
        acc->area[i] = area_of(cfg, acc->codes[i]);
    }
    acc->nunits = cfg->units.count;
    *out = acc;
    return 0;
}

static void section_clear(struct section *s, bool owned)
{
    if (owned)
        free(s->days);
    memset(s, 0, sizeof *s);
}

static void quarter_free(struct quarter *q)
{
    if (q == NULL)
        return;
    bool owned = !q->view;
    if (owned)
        free(q->companies.slot);
    section_clear(&q->lots, owned);
    for (size_t i = 0; i < LB_IND_UNITS_MAX; i++) {
        if (q->unit[i] != NULL) {
            section_clear(q->unit[i], owned);
            free(q->unit[i]);
        }
    }
    free(q);
}

static void pub_clear(struct pub *p)
{
    for (size_t i = 0; i < LB_IND_UNITS_MAX; i++) {
        free(p->unit[i]);
        p->unit[i] = NULL;
    }
    memset(&p->lots, 0, sizeof p->lots);
}

void lb_ind_free(struct lb_ind *acc)
{
    if (acc == NULL)
        return;
    for (size_t i = 0; i < acc->nq; i++)
        quarter_free(acc->q[i]);
    free(acc->q);
    pub_clear(&acc->pub);
    free(acc->wd_cum);
    free(acc);
}

static int quarter_key(lb_date d, int *key)
{
    int y, q;
    if (d == LB_DATE_NONE)
        return LB_EINVAL;
    lb_date_quarter(d, &y, &q);
    *key = y * 4 + q - 1;
    return 0;
}

/* lb_working_days_between through the table when both dates are in it. */
static int working_days(struct lb_ind *acc, lb_date from, lb_date to)
{
    if (to <= from)
        return 0;
    if (from < WD_BASE || to >= WD_BASE + WD_DAYS)
        return lb_working_days_between(from, to);
    if (acc->wd_cum == NULL) {
        int32_t *cum = malloc(WD_DAYS * sizeof *cum);
        if (cum == NULL)
            return lb_working_days_between(from, to); /* slower, still right */
        cum[0] = 0;
        for (int i = 1; i < WD_DAYS; i++)
            cum[i] = cum[i - 1] + (lb_is_working_day(WD_BASE + i) ? 1 : 0);
        acc->wd_cum = cum;
    }
    return acc->wd_cum[to - WD_BASE] - acc->wd_cum[from - WD_BASE];
}

static struct quarter *quarter_find(const struct lb_ind *acc, int key)
{
    if (acc->last != NULL && acc->last->key == key)
        return acc->last;
    for (size_t i = 0; i < acc->nq; i++) {
        if (acc->q[i]->key == key)
            return acc->q[i];
    }
    return NULL;
}

/* The quarter holding date d, created when missing. */
static int quarter_get(struct lb_ind *acc, lb_date d, struct quarter **out)
{
    if (acc->last != NULL && d >= acc->last->first && d <= acc->last->last) {
        *out = acc->last;
        return 0;
    }
    int key, rc = quarter_key(d, &key);
    if (rc != 0)
        return rc;
    struct quarter *q = quarter_find(acc, key);
    if (q == NULL) {
        if (acc->nq == acc->capq) {
            size_t cap = acc->capq ? acc->capq * 2 : 8;
            struct quarter **nq = realloc(acc->q, cap * sizeof *nq);
            if (nq == NULL)
                return LB_ENOMEM;
            acc->q = nq;
            acc->capq = cap;
        }
        q = calloc(1, sizeof *q);
        if (q == NULL)
            return LB_ENOMEM;
        q->key = key;
        lb_quarter_range(key / 4, key % 4 + 1, &q->first, &q->last);
        acc->q[acc->nq++] = q;
    }
    acc->last = q;
    *out = q;
    return 0;
}

/* Index of unit code in acc->codes, adding it when new. */
static int unit_index(struct lb_ind *acc, const char *code, size_t *out)
{
    if (!code_ok(code))
        return LB_EINVAL;
    for (size_t i = 0; i < acc->nunits; i++) {
        if (strcmp(acc->codes[i], code) == 0) {
            *out = i;
            return 0;
        }
    }
    if (acc->nunits == LB_IND_UNITS_MAX)
        return LB_ETOOBIG;
    strcpy(acc->codes[acc->nunits], code); /* length checked by code_ok */
    acc->area[acc->nunits] = area_of(&acc->cfg, code);
    *out = acc->nunits++;
    return 0;
}

/* The section of unit `code` (the lots function when NULL) in the quarter of
 * d; *qout (may be NULL) receives the quarter. */
static int section_get(struct lb_ind *acc, lb_date d, const char *code, struct section **out,
                       struct quarter **qout)
{
    size_t ui = 0;
    int rc;
    if (code != NULL && (rc = unit_index(acc, code, &ui)) != 0)
        return rc;
    struct quarter *q;
    if ((rc = quarter_get(acc, d, &q)) != 0)
        return rc;
    if (qout != NULL)
        *qout = q;
    if (code == NULL) {
        *out = &q->lots;
        return 0;
    }
    if (q->unit[ui] == NULL && (q->unit[ui] = calloc(1, sizeof *q->unit[ui])) == NULL)
        return LB_ENOMEM;
    *out = q->unit[ui];
    return 0;
}

static uint64_t id_hash(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static int idset_add(struct idset *s, uint64_t id)
{
    if (id == 0)
        return LB_EINVAL;
    if ((s->count + 1) * 4 > s->cap * 3) { /* keep the load under 3/4 */
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *slot = calloc(cap, sizeof *slot);
        if (slot == NULL)
            return LB_ENOMEM;
        for (size_t i = 0; i < s->cap; i++) {
            if (s->slot[i] == 0)
                continue;
            size_t j = id_hash(s->slot[i]) & (cap - 1);
            while (slot[j] != 0)
                j = (j + 1) & (cap - 1);
            slot[j] = s->slot[i];
        }
        free(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    size_t j = id_hash(id) & (s->cap - 1);
    while (s->slot[j] != 0) {
        if (s->slot[j] == id)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->slot[j] = id;
    s->count++;
    return 0;
}

/* --- input -------------------------------------------------------------------------- */

int lb_ind_case_opened(struct lb_ind *acc, lb_date date, lb_id company_id)
{
    struct quarter *q;
    int rc;
    if (company_id == 0)
        return LB_EINVAL;
    if ((rc = quarter_get(acc, date, &q)) != 0 || (rc = idset_add(&q->companies, company_id)) != 0)
        return rc;
    q->cases_opened++;
    return 0;
}

int lb_ind_case_closed(struct lb_ind *acc, lb_date date)
{
    struct quarter *q;
    int rc = quarter_get(acc, date, &q);
    if (rc == 0)
        q->cases_closed++;
    return rc;
}

int lb_ind_contact(struct lb_ind *acc, lb_date date, lb_id company_id, enum lb_channel channel)
{
    struct quarter *q;
    int rc;
    if (company_id == 0 || (int)channel < 0 || channel >= LB_CHANNEL_COUNT)
        return LB_EINVAL;
    if ((rc = quarter_get(acc, date, &q)) != 0 || (rc = idset_add(&q->companies, company_id)) != 0)
        return rc;
    q->contacts[channel]++;
    return 0;
}

/* The unit's section in the quarter of `sent`, and sent's day in that quarter. */
static int handoff_section(struct lb_ind *acc, lb_date sent, const char *unit, struct section **out,
                           size_t *day)
{
    struct quarter *q;
    if (unit == NULL)
        return LB_EINVAL;
    int rc = section_get(acc, sent, unit, out, &q);
    if (rc == 0)
        *day = (size_t)(sent - q->first) < QDAYS ? (size_t)(sent - q->first) : QDAYS - 1;
    return rc;
}

int lb_ind_handoff_sent(struct lb_ind *acc, lb_date sent, const char *unit)
{
    struct section *s;
    size_t day;
    int rc = handoff_section(acc, sent, unit, &s, &day);
    if (rc == 0) {
        s->handoffs++;
        s->sent_day[day]++;
    }
    return rc;
}

int lb_ind_handoff_acknowledged(struct lb_ind *acc, lb_date sent, lb_date ack, const char *unit)
{
    struct section *s;
    size_t day;
    if (ack == LB_DATE_NONE)
        return LB_EINVAL;
    int rc = handoff_section(acc, sent, unit, &s, &day);
    if (rc != 0)
        return rc;
    s->acked++;
    s->acked_day[day]++;
    if (working_days(acc, sent, ack) <= acc->cfg.ack_working_days)
        s->ack_in_time++;
    return 0;
}

int lb_ind_handoff_decided(struct lb_ind *acc, lb_date sent, lb_date decided, const char *unit)
{
    struct section *s;
    int rc;
    if (sent == LB_DATE_NONE || unit == NULL)
        return LB_EINVAL;
    if ((rc = section_get(acc, decided, unit, &s, NULL)) != 0)
        return rc;
    int d = working_days(acc, sent, decided);
    size_t day = d > DAYS_CAP ? DAYS_CAP : (size_t)d;
    if (day >= s->days_len) {
        size_t len = s->days_len ? s->days_len : 32;
        while (len <= day)
            len *= 2;
        uint64_t *days = realloc(s->days, len * sizeof *days);
        if (days == NULL)
            return LB_ENOMEM;
        memset(days + s->days_len, 0, (len - s->days_len) * sizeof *days);
        s->days = days;
        s->days_len = len;
    }
    s->days[day]++;
    return 0;
}

int lb_ind_handoff_overdue(struct lb_ind *acc, lb_date sent, const char *unit)
{
    struct section *s;
    size_t day;
    int rc = handoff_section(acc, sent, unit, &s, &day);
    if (rc == 0)
        s->overdue++;
    return rc;
}

int lb_ind_handoff_withdrawn(struct lb_ind *acc, lb_date sent, const char *unit, bool acknowledged)
{
    struct section *s;
    size_t day;
    int rc = handoff_section(acc, sent, unit, &s, &day);
    if (rc == 0 && !acknowledged)
        s->wdu_day[day]++;
    return rc;
}

int lb_ind_followup_due(struct lb_ind *acc, lb_date due, const char *unit)
{
    struct section *s;
    int rc = section_get(acc, due, unit, &s, NULL);
    if (rc == 0)
        s->fu[FU_DUE]++;
    return rc;
}

static int fu_slot(enum lb_followup_status status)
{
    switch (status) {
    case LB_FOLLOWUP_DONE:
        return FU_DONE;
    case LB_FOLLOWUP_NO_ANSWER:
        return FU_NO_ANSWER;
    case LB_FOLLOWUP_DECLINED:
        return FU_DECLINED;
    case LB_FOLLOWUP_UNREACHABLE:
        return FU_UNREACHABLE;
    default:
        return -1;
    }
}

int lb_ind_followup_by_email(struct lb_ind *acc, lb_date date, const char *unit)
{
    struct section *s;
    int rc = section_get(acc, date, unit, &s, NULL);
    if (rc == 0)
        s->fu[FU_EMAIL]++;
    return rc;
}

/* The counters one respondent's answers add to in a section's answers: each
 * question's value (0: "vet ej"), the yes/no answer, and for a unit the NKI
 * sum and pattern. Returns how many (at most ANS_CELLS). */
#define ANS_CELLS (LB_IND_QUESTIONS_MAX + 3)
static size_t ans_cells(struct ans *a, size_t nq, bool unit, const struct lb_ind_answers *x,
                        uint64_t *cell[ANS_CELLS])
{
    size_t n = 0;
    for (size_t i = 0; i < nq; i++)
        cell[n++] = &a->answers[i][x->scale[i]]; /* [i][0] counts "vet ej", never published */
    if (x->yes == 1)
        cell[n++] = &a->yes;
    else if (x->yes == 0)
        cell[n++] = &a->no;
    if (unit) {
        int k = 0, sum = 0, pat = 0;
        for (int i = 0; i < LB_IND_NKI_QUESTIONS; i++) {
            if (x->scale[i] != 0) {
                k++;
                sum += x->scale[i];
                pat |= 1 << i;
            }
        }
        if (k > 0) {
            cell[n++] = &a->nki[k - 1][sum];
            cell[n++] = &a->nki_pat[pat];
        }
    }
    return n;
}

static bool answers_ok(const struct lb_ind *acc, size_t nq, const struct lb_ind_answers *x)
{
    for (size_t i = 0; i < nq; i++) {
        if (x->scale[i] > acc->cfg.scale_top)
            return false;
    }
    return x->yes >= -1 && x->yes <= 1;
}

int lb_ind_followup_result(struct lb_ind *acc, lb_date date, const char *unit,
                           enum lb_followup_status status, const struct lb_ind_answers *answers)
{
    int slot = fu_slot(status);
    if (slot < 0)
        return LB_EINVAL;
    size_t nq = unit ? LB_IND_UNIT_QUESTIONS : LB_IND_LOTS_QUESTIONS;
    bool count_answers = answers != NULL && status == LB_FOLLOWUP_DONE;
    if (count_answers && !answers_ok(acc, nq, answers))
        return LB_EINVAL;
    struct section *s;
    int rc = section_get(acc, date, unit, &s, NULL);
    if (rc != 0)
        return rc;
    s->fu[slot]++;
    if (!count_answers)
        return 0;
    uint64_t *cell[ANS_CELLS];
    size_t n = ans_cells(&s->a, nq, unit != NULL, answers, cell);
    for (size_t i = 0; i < n; i++)
        (*cell[i])++;
    return 0;
}

int lb_ind_followup_corrected(struct lb_ind *acc, lb_date date, const char *unit,
                              const struct lb_ind_answers *before,
                              const struct lb_ind_answers *after)
{
    size_t nq = unit ? LB_IND_UNIT_QUESTIONS : LB_IND_LOTS_QUESTIONS;
    if ((before && !answers_ok(acc, nq, before)) || (after && !answers_ok(acc, nq, after)))
        return LB_EINVAL;
    struct section *s;
    int rc = section_get(acc, date, unit, &s, NULL);
    if (rc != 0)
        return rc;
    uint64_t *cell[ANS_CELLS];
    if (before) {
        /* The answers replaced must be there: every counter they added. */
        size_t n = ans_cells(&s->a, nq, unit != NULL, before, cell);
        for (size_t i = 0; i < n; i++) {
            if (*cell[i] == 0)
                return LB_EINVAL; /* the cells are distinct: a check per cell holds */
        }
        for (size_t i = 0; i < n; i++)
            (*cell[i])--;
    }
    if (after) {
        size_t n = ans_cells(&s->a, nq, unit != NULL, after, cell);
        for (size_t i = 0; i < n; i++)
            (*cell[i])++;
    }
    return 0;
}

int lb_ind_call_due(struct lb_ind *acc, lb_date due)
{
    struct quarter *q;
    int rc = quarter_get(acc, due, &q);
    if (rc == 0)
        q->calls[FU_DUE]++;
    return rc;
}

int lb_ind_call_result(struct lb_ind *acc, lb_date date, enum lb_followup_status status)
{
    struct quarter *q;
    int slot = fu_slot(status);
    if (slot < 0)
        return LB_EINVAL;
    int rc = quarter_get(acc, date, &q);
    if (rc == 0)
        q->calls[slot]++;
    return rc;
}

int lb_ind_improvement_identified(struct lb_ind *acc, lb_date date)
{
    struct quarter *q;
    int rc = quarter_get(acc, date, &q);
    if (rc == 0)
        q->improvements_identified++;
    return rc;
}

int lb_ind_improvement_implemented(struct lb_ind *acc, lb_date date)
{
    struct quarter *q;
    int rc = quarter_get(acc, date, &q);
    if (rc == 0)
        q->improvements_implemented++;
    return rc;
}

/* --- the open quarter's published state ------------------------------------------------ */

/* Answers behind figure `var` of a section's answers. */
static uint64_t var_n(const struct ans *a, int var)
{
    uint64_t n = 0;
    if (var == VAR_YESNO)
        return a->yes + a->no;
    if (var == VAR_NKI) {
        for (int k = 0; k < LB_IND_NKI_QUESTIONS; k++) {
            for (int v = 0; v <= NKI_SUM_MAX; v++)
                n += a->nki[k][v];
        }
        return n;
    }
    for (int v = 1; v <= LB_IND_SCALE_MAX; v++)
        n += a->answers[var][v];
    return n;
}

static void var_copy(struct ans *to, const struct ans *from, int var)
{
    if (var == VAR_YESNO) {
        to->yes = from->yes;
        to->no = from->no;
    } else if (var == VAR_NKI) {
        memcpy(to->nki, from->nki, sizeof to->nki);
        memcpy(to->nki_pat, from->nki_pat, sizeof to->nki_pat);
    } else {
        memcpy(to->answers[var], from->answers[var], sizeof to->answers[var]);
    }
}

/* Whether figure var may move from pub to live: nothing new, or at least min
 * answers new (fewer would let a viewer read them out of the difference). */
static bool step_ok(const struct ans *pub, const struct ans *live, int var, int min, bool *moved)
{
    uint64_t nl = var_n(live, var), np = var_n(pub, var);
    if (nl != np)
        *moved = true;
    return nl == np || nl < np || nl - np >= (uint64_t)min;
}

/* The published answers pub take the live ones, figure by figure, where at
 * least min answers were added. A unit's NKI and its three NKI questions
 * move together (the NKI is built from the same answers, so a view mixing two
 * days would give the difference away), and only when each of the four moves
 * by nothing or by at least min. */
static void pub_advance(struct ans *pub, const struct ans *live, int min, bool unit)
{
    int first = 0;
    if (unit) {
        bool ok = true, moved = false;
        ok &= step_ok(pub, live, VAR_NKI, min, &moved);
        for (int q = 0; q < LB_IND_NKI_QUESTIONS; q++)
            ok &= step_ok(pub, live, q, min, &moved);
        if (ok && moved) {
            var_copy(pub, live, VAR_NKI);
            for (int q = 0; q < LB_IND_NKI_QUESTIONS; q++)
                var_copy(pub, live, q);
        }
        first = LB_IND_NKI_QUESTIONS;
    }
    for (int var = first; var < VAR_COUNT; var++) {
        if (var == VAR_NKI)
            continue;
        bool moved = false;
        if (step_ok(pub, live, var, min, &moved) && moved)
            var_copy(pub, live, var);
    }
}

int lb_ind_day_close(struct lb_ind *acc, lb_date day)
{
    int key;
    if (quarter_key(day, &key) != 0)
        return LB_EINVAL;
    struct pub *p = &acc->pub;
    if (p->day != LB_DATE_NONE && day <= p->day)
        return 0;
    if (p->key != key) {
        pub_clear(p);
        p->key = key;
    }
    p->day = day;
    const struct quarter *q = quarter_find(acc, key);
    if (q == NULL)
        return 0;
    pub_advance(&p->lots, &q->lots.a, acc->cfg.min_answers, false);
    for (size_t u = 0; u < acc->nunits; u++) {
        if (q->unit[u] == NULL)
            continue;
        if (p->unit[u] == NULL && (p->unit[u] = calloc(1, sizeof *p->unit[u])) == NULL)
            return LB_ENOMEM;
        pub_advance(p->unit[u], &q->unit[u]->a, acc->cfg.min_answers, true);
    }
    return 0;
}

/* --- figures ------------------------------------------------------------------------ */

const char *lb_ind_grade(int tenths)
{
    if (tenths >= 805)
        return "mycket högt";
    if (tenths >= 695)
        return "högt";
    if (tenths >= 615)
        return "godkänt";
    if (tenths >= 495)
        return "lågt";
    return "mycket lågt";
}

int lb_ind_percentile(const uint64_t *counts, size_t len, int p)
{
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += counts[i];
    if (n == 0 || p < 1 || p > 100)
        return -1;
    uint64_t rank = (n * (uint64_t)p + 99) / 100; /* ceil(p/100 * n), >= 1 */
    uint64_t cum = 0;
    for (size_t i = 0; i < len; i++) {
        cum += counts[i];
        if (cum >= rank)
            return (int)i;
    }
    return -1; /* not reached */
}

/* An index's exact value is 100 * num / den; mean and sd are of the
 * per-answer (or per-respondent) indices, for the interval. */
struct stat {
    uint64_t n, num, den;
    double mean, sd;
};

static void stat_finish(struct stat *st, double sum_x, double sum_xx)
{
    if (st->n == 0)
        return;
    st->mean = sum_x / (double)st->n;
    if (st->n > 1) {
        double var = (sum_xx - (double)st->n * st->mean * st->mean) / (double)(st->n - 1);
        st->sd = var > 0 ? sqrt(var) : 0;
    }
}

/* One question: counts[v] answers of value v, v = 1..scale. The index of an
 * answer v is (v - 1) / (scale - 1) * 100; their mean is 100 * sum(v - 1) /
 * (n * (scale - 1)). */
static void stat_scale(const uint64_t *counts, int scale, struct stat *st)
{
    double sx = 0, sxx = 0;
    memset(st, 0, sizeof *st);
    for (int v = 1; v <= scale; v++) {
        double x = 100.0 * (v - 1) / (scale - 1);
        st->n += counts[v];
        st->num += counts[v] * (uint64_t)(v - 1);
        sx += (double)counts[v] * x;
        sxx += (double)counts[v] * x * x;
    }
    st->den = st->n * (uint64_t)(scale - 1);
    stat_finish(st, sx, sxx);
}

/* NKI: a respondent who answered k of the three questions with sum s has the
 * index (s / k - 1) / (scale - 1) * 100. Times 6 (divisible by k = 1, 2, 3)
 * the respondents' values are integers: num = sum 6 (s - k) / k,
 * den = 6 n (scale - 1). */
static void stat_nki(const uint64_t nki[][NKI_SUM_MAX + 1], int scale, struct stat *st)
{
    double sx = 0, sxx = 0;
    memset(st, 0, sizeof *st);
    for (int k = 1; k <= LB_IND_NKI_QUESTIONS; k++) {
        for (int s = k; s <= k * scale; s++) {
            uint64_t c = nki[k - 1][s];
            if (c == 0)
                continue;
            double x = 100.0 * ((double)s / k - 1) / (scale - 1);
            st->n += c;
            st->num += c * (uint64_t)(6 * (s - k) / k);
            sx += (double)c * x;
            sxx += (double)c * x * x;
        }
    }
    st->den = 6 * st->n * (uint64_t)(scale - 1);
    stat_finish(st, sx, sxx);
}

/* round(100 * num / den, 1 decimal) in tenths, half up, exactly. */
static int tenths_of(uint64_t num, uint64_t den)
{
    return (int)((2000 * num + den) / (2 * den));
}

static double round1(double x)
{
    return floor(x * 10 + 0.5) / 10;
}

/* A JSON integer from a counter (counters never reach 2^63). */
static json_t *jcount(uint64_t v)
{
    return json_integer((json_int_t)v);
}

/* {"index", "n", "ci95", "suppressed"} (+ "label", "grade" for an NKI).
 * hidden: suppressed by the pattern (under min_n, or secondarily). */
static json_t *index_json(const struct stat *st, bool hidden, const char *label)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    int bad = 0;
    if (label != NULL)
        bad |= json_object_set_new(o, "label", json_string(label));
    bool suppressed = hidden || st->n == 0;
    if (suppressed) {
        bad |= json_object_set_new(o, "index", json_null());
        bad |= json_object_set_new(o, "n", jcount(st->n));
        bad |= json_object_set_new(o, "ci95", json_null());
        if (label != NULL)
            bad |= json_object_set_new(o, "grade", json_null());
    } else {
        int t = tenths_of(st->num, st->den);
        bad |= json_object_set_new(o, "index", json_real(t / 10.0));
        bad |= json_object_set_new(o, "n", jcount(st->n));
        if (st->n > 1) {
            double half = 1.96 * st->sd / sqrt((double)st->n);
            double lo = round1(st->mean - half), hi = round1(st->mean + half);
            bad |= json_object_set_new(o, "ci95",
                                       json_pack("[ff]", lo < 0 ? 0.0 : lo, hi > 100 ? 100.0 : hi));
        } else {
            bad |= json_object_set_new(o, "ci95", json_null());
        }
        if (label != NULL)
            bad |= json_object_set_new(o, "grade", json_string(lb_ind_grade(t)));
    }
    bad |= json_object_set_new(o, "suppressed", json_boolean(suppressed));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* {"value", "n", "suppressed"} of an answer-based share: yes / n to two
 * decimals, half up; null and suppressed when hidden or n is 0. */
static json_t *share_json(uint64_t yes, uint64_t n, bool hidden)
{
    if (hidden || n == 0)
        return json_pack("{s:n,s:I,s:b}", "value", "n", (json_int_t)n, "suppressed", 1);
    uint64_t h = (200 * yes + n) / (2 * n);
    return json_pack("{s:f,s:I,s:b}", "value", h / 100.0, "n", (json_int_t)n, "suppressed", 0);
}

/* A share built on hand-offs, not answers: never suppressed, null when n is 0. */
static json_t *count_share_json(uint64_t yes, uint64_t n)
{
    if (n == 0)
        return json_pack("{s:n,s:I,s:b}", "value", "n", 0, "suppressed", 0);
    uint64_t h = (200 * yes + n) / (2 * n);
    return json_pack("{s:f,s:I,s:b}", "value", h / 100.0, "n", (json_int_t)n, "suppressed", 0);
}

/* done / (done + declined + unreachable) to two decimals, or null. */
static json_t *rate_json(const uint64_t *fu)
{
    uint64_t den = fu[FU_DONE] + fu[FU_DECLINED] + fu[FU_UNREACHABLE];
    if (den == 0)
        return json_null();
    return json_real((double)((200 * fu[FU_DONE] + den) / (2 * den)) / 100.0);
}

static json_t *followups_json(const uint64_t *fu)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:I}", "due", (json_int_t)fu[FU_DUE], "done",
                     (json_int_t)fu[FU_DONE], "no_answer", (json_int_t)fu[FU_NO_ANSWER], "declined",
                     (json_int_t)fu[FU_DECLINED], "unreachable", (json_int_t)fu[FU_UNREACHABLE],
                     "response_rate", rate_json(fu), "done_by_email", (json_int_t)fu[FU_EMAIL]);
}

static json_t *days_json(const struct section *s)
{
    uint64_t n = 0;
    for (size_t i = 0; i < s->days_len; i++)
        n += s->days[i];
    if (n == 0)
        return json_pack("{s:n,s:n,s:i}", "median", "p90", "n", 0);
    return json_pack("{s:i,s:i,s:I}", "median", lb_ind_percentile(s->days, s->days_len, 50), "p90",
                     lb_ind_percentile(s->days, s->days_len, 90), "n", (json_int_t)n);
}

static json_t *contacts_json(const uint64_t *c)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    for (int ch = 0; ch < LB_CHANNEL_COUNT; ch++) {
        if (json_object_set_new(o, lb_channel_str((enum lb_channel)ch), jcount(c[ch])) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* --- views ------------------------------------------------------------------------------ */

/* The periods of a year the suppression pattern covers (suppression.h):
 * LB_SUPP_Q1..Q4 the quarters, LB_SUPP_Y2..Y4 the years to date (Y1 is Q1;
 * Y4 is the year). */
static int ytd_period(int quarter)
{
    return quarter == 1 ? LB_SUPP_Q1 : LB_SUPP_Y2 + quarter - 2;
}

/* A view of one year: its four quarters (copies with the view's answers and
 * today's acknowledgement denominators), and the suppression pattern of every
 * index and share. */
struct yearview {
    int year;
    struct quarter *q[4];
    /* hidden[...][period]: suppressed, primarily or secondarily */
    bool lots[VAR_COUNT][LB_SUPP_PERIODS];
    bool (*unit)[VAR_COUNT][LB_SUPP_PERIODS]; /* [acc->nunits] */
    bool total_nki[LB_SUPP_PERIODS], total_yes[LB_SUPP_PERIODS];
};

static void yearview_free(struct yearview *yv)
{
    for (int i = 0; i < 4; i++)
        quarter_free(yv->q[i]);
    free(yv->unit);
    memset(yv, 0, sizeof *yv);
}

/* Hand-offs acknowledged, plus those still waiting whose window closed before
 * `today`: the denominator of the acknowledged-in-time share. A hand-off is
 * counted once it is acknowledged or its window has closed, whichever comes
 * first (withdrawn before acknowledgement: never). */
static uint64_t ack_denominator(const struct lb_ind *acc, const struct section *s, lb_date first,
                                lb_date today)
{
    uint64_t den = s->acked;
    for (size_t d = 0; d < QDAYS; d++) {
        int64_t waiting = (int64_t)s->sent_day[d] - s->acked_day[d] - s->wdu_day[d];
        if (waiting <= 0)
            continue;
        lb_date sent = first + (lb_date)d;
        if (today != LB_DATE_NONE && today > sent &&
            lb_working_days_between(sent, today) > acc->cfg.ack_working_days)
            den += (uint64_t)waiting;
    }
    return den;
}

/* A view's copy of quarter q (NULL: an empty quarter of key), with answers
 * taken from pub when given (the open quarter in LB_IND_PUBLISHED), or zero
 * when pub_zero (the open quarter with no day of it closed yet). */
static struct quarter *view_copy(const struct lb_ind *acc, const struct quarter *q, int key,
                                 lb_date today, const struct pub *pub, bool pub_zero)
{
    struct quarter *v = calloc(1, sizeof *v);
    if (v == NULL)
        return NULL;
    if (q != NULL) {
        *v = *q;
        memset(v->unit, 0, sizeof v->unit);
    } else {
        v->key = key;
        lb_quarter_range(key / 4, key % 4 + 1, &v->first, &v->last);
    }
    v->view = true;
    v->lots.ack_den = 0;
    for (size_t u = 0; q != NULL && u < acc->nunits; u++) {
        if (q->unit[u] == NULL)
            continue;
        if ((v->unit[u] = malloc(sizeof *v->unit[u])) == NULL) {
            quarter_free(v);
            return NULL;
        }
        *v->unit[u] = *q->unit[u];
        v->unit[u]->ack_den = ack_denominator(acc, q->unit[u], q->first, today);
    }
    if (pub != NULL || pub_zero) {
        static const struct ans zero;
        v->lots.a = pub ? pub->lots : zero;
        for (size_t u = 0; u < acc->nunits; u++) {
            if (v->unit[u] != NULL)
                v->unit[u]->a = pub && pub->unit[u] ? *pub->unit[u] : zero;
        }
    }
    return v;
}

static void section_add(struct section *d, const struct section *s, int *rc)
{
    d->handoffs += s->handoffs;
    d->overdue += s->overdue;
    d->acked += s->acked;
    d->ack_in_time += s->ack_in_time;
    d->ack_den += s->ack_den;
    for (int i = 0; i < FU_COUNT; i++)
        d->fu[i] += s->fu[i];
    for (int i = 0; i < LB_IND_QUESTIONS_MAX; i++) {
        for (int v = 0; v <= LB_IND_SCALE_MAX; v++)
            d->a.answers[i][v] += s->a.answers[i][v];
    }
    d->a.yes += s->a.yes;
    d->a.no += s->a.no;
    for (int k = 0; k < LB_IND_NKI_QUESTIONS; k++) {
        for (int v = 0; v <= NKI_SUM_MAX; v++)
            d->a.nki[k][v] += s->a.nki[k][v];
    }
    for (int k = 0; k < NKI_PATTERNS; k++)
        d->a.nki_pat[k] += s->a.nki_pat[k];
    if (s->days_len > d->days_len) {
        uint64_t *days = realloc(d->days, s->days_len * sizeof *days);
        if (days == NULL) {
            *rc = LB_ENOMEM;
            return;
        }
        memset(days + d->days_len, 0, (s->days_len - d->days_len) * sizeof *days);
        d->days = days;
        d->days_len = s->days_len;
    }
    for (size_t i = 0; i < s->days_len; i++)
        d->days[i] += s->days[i];
}

/* Merges the view's quarters 1..upto into the scratch quarter *m (zeroed by
 * the caller, which owns what it allocates), the company sets as a union. */
static int merge_view(const struct lb_ind *acc, const struct yearview *yv, int upto,
                      struct quarter *m)
{
    int rc = 0;
    for (int i = 0; i < upto && rc == 0; i++) {
        const struct quarter *q = yv->q[i];
        m->cases_opened += q->cases_opened;
        m->cases_closed += q->cases_closed;
        for (int ch = 0; ch < LB_CHANNEL_COUNT; ch++)
            m->contacts[ch] += q->contacts[ch];
        for (int k = 0; k < FU_COUNT; k++)
            m->calls[k] += q->calls[k];
        m->improvements_identified += q->improvements_identified;
        m->improvements_implemented += q->improvements_implemented;
        for (size_t j = 0; j < q->companies.cap && rc == 0; j++) {
            if (q->companies.slot[j] != 0)
                rc = idset_add(&m->companies, q->companies.slot[j]);
        }
        section_add(&m->lots, &q->lots, &rc);
        for (size_t u = 0; u < acc->nunits && rc == 0; u++) {
            if (q->unit[u] == NULL)
                continue;
            if (m->unit[u] == NULL && (m->unit[u] = calloc(1, sizeof *m->unit[u])) == NULL)
                rc = LB_ENOMEM;
            else
                section_add(m->unit[u], q->unit[u], &rc);
        }
    }
    return rc;
}

/* Answers of figure var of unit u (NULL: the lots section) in quarter i of the view. */
static uint64_t view_n(const struct yearview *yv, int i, const size_t *u, int var)
{
    const struct quarter *q = yv->q[i];
    if (u == NULL)
        return var_n(&q->lots.a, var);
    return q->unit[*u] ? var_n(&q->unit[*u]->a, var) : 0;
}

/* The suppression pattern of one figure standing alone (a lots question or
 * share, a unit's question outside the NKI): one row, one atom. */
static int solve_single(const struct lb_ind *acc, const struct yearview *yv, const size_t *u,
                        int var, bool *hidden)
{
    uint64_t n[1][4];
    static const uint8_t w[1] = {1};
    for (int i = 0; i < 4; i++)
        n[0][i] = view_n(yv, i, u, var);
    struct lb_supp_table t = {.nrows = 1,
                              .natoms = 1,
                              .w = w,
                              .atom_n = (const uint64_t(*)[4])n,
                              .row_n = (const uint64_t(*)[4])n};
    return lb_supp_solve(&t, acc->cfg.min_answers, hidden);
}

/* The NKI atoms of a unit: the answers to NKI question q by the respondents
 * who answered the set P of the three (q in P), twelve in all. */
#define NKI_ATOMS 12
static void nki_atoms(int pat[NKI_ATOMS], int q[NKI_ATOMS])
{
    int k = 0;
    for (int p = 1; p < NKI_PATTERNS; p++) {
        for (int i = 0; i < LB_IND_NKI_QUESTIONS; i++) {
            if (p & (1 << i)) {
                pat[k] = p;
                q[k++] = i;
            }
        }
    }
}

static int popcount3(int p)
{
    return (p & 1) + ((p >> 1) & 1) + ((p >> 2) & 1);
}

/* The suppression pattern of a unit's NKI and its three NKI questions, for
 * the units of SKR's total together with the total's NKI (total true), or
 * for one unit alone (members = {u}). Rows per member: NKI, then the three
 * questions; then the total. A respondent's NKI is the mean of the questions
 * they answered, so the NKI row weighs an atom of set P by 6 / |P|. */
static int solve_nki(const struct lb_ind *acc, struct yearview *yv, const size_t *members,
                     size_t nm, bool total)
{
    int pat[NKI_ATOMS], qi[NKI_ATOMS];
    nki_atoms(pat, qi);
    size_t nrows = nm * 4 + (total ? 1 : 0), natoms = nm * NKI_ATOMS;
    uint8_t *w = calloc(nrows * natoms, 1), *klass = calloc(nrows, 1);
    uint64_t(*atom_n)[4] = calloc(natoms, sizeof *atom_n);
    uint64_t(*row_n)[4] = calloc(nrows, sizeof *row_n);
    uint32_t *block = calloc(natoms, sizeof *block);
    bool *hidden = calloc(nrows * LB_SUPP_PERIODS, sizeof *hidden);
    int rc = LB_ENOMEM;
    if (!w || !klass || !atom_n || !row_n || !block || !hidden)
        goto out;
    for (size_t m = 0; m < nm; m++) {
        size_t u = members[m];
        for (int k = 0; k < NKI_ATOMS; k++) {
            size_t a = m * NKI_ATOMS + (size_t)k;
            block[a] = (uint32_t)m;
            for (int i = 0; i < 4; i++) {
                const struct section *s = yv->q[i]->unit[u];
                atom_n[a][i] = s ? s->a.nki_pat[pat[k]] : 0;
            }
            uint8_t nki_w = (uint8_t)(6 / popcount3(pat[k]));
            w[(m * 4) * natoms + a] = nki_w;                 /* the unit's NKI */
            w[(m * 4 + 1 + (size_t)qi[k]) * natoms + a] = 1; /* its question */
            if (total)
                w[(nrows - 1) * natoms + a] = nki_w;
        }
        for (int i = 0; i < 4; i++) {
            row_n[m * 4][i] = view_n(yv, i, &u, VAR_NKI);
            for (int q = 0; q < LB_IND_NKI_QUESTIONS; q++)
                row_n[m * 4 + 1 + (size_t)q][i] = view_n(yv, i, &u, q);
            if (total)
                row_n[nrows - 1][i] += row_n[m * 4][i];
        }
    }
    if (total)
        klass[nrows - 1] = 1;
    struct lb_supp_table t = {.nrows = nrows,
                              .natoms = natoms,
                              .w = w,
                              .atom_n = (const uint64_t(*)[4])atom_n,
                              .row_n = (const uint64_t(*)[4])row_n,
                              .klass = klass,
                              .block = block};
    rc = lb_supp_solve(&t, acc->cfg.min_answers, hidden);
    if (rc == 0) {
        for (size_t m = 0; m < nm; m++) {
            bool(*uh)[LB_SUPP_PERIODS] = yv->unit[members[m]];
            memcpy(uh[VAR_NKI], hidden + (m * 4) * LB_SUPP_PERIODS, sizeof uh[VAR_NKI]);
            for (int q = 0; q < LB_IND_NKI_QUESTIONS; q++)
                memcpy(uh[q], hidden + (m * 4 + 1 + (size_t)q) * LB_SUPP_PERIODS, sizeof uh[q]);
        }
        if (total)
            memcpy(yv->total_nki, hidden + (nrows - 1) * LB_SUPP_PERIODS, sizeof yv->total_nki);
    }
out:
    free(w);
    free(klass);
    free(atom_n);
    free(row_n);
    free(block);
    free(hidden);
    return rc;
}

/* The pattern of clear_and_lawful over every unit and their total: a row
 * and an atom per unit, then the total. */
static int solve_yesno(const struct lb_ind *acc, struct yearview *yv)
{
    size_t nm = acc->nunits, nrows = nm + 1, natoms = nm ? nm : 1;
    uint8_t *w = calloc(nrows * natoms, 1), *klass = calloc(nrows, 1);
    uint64_t(*row_n)[4] = calloc(nrows, sizeof *row_n);
    bool *hidden = calloc(nrows * LB_SUPP_PERIODS, sizeof *hidden);
    int rc = LB_ENOMEM;
    if (!w || !klass || !row_n || !hidden)
        goto out;
    for (size_t u = 0; u < nm; u++) {
        w[u * natoms + u] = 1;
        w[nm * natoms + u] = 1;
        for (int i = 0; i < 4; i++) {
            row_n[u][i] = view_n(yv, i, &u, VAR_YESNO);
            row_n[nm][i] += row_n[u][i];
        }
    }
    klass[nm] = 1;
    /* With no unit at all the total is one empty row over one empty atom. */
    struct lb_supp_table t = {.nrows = nrows,
                              .natoms = natoms,
                              .w = w,
                              .atom_n = (const uint64_t(*)[4])row_n,
                              .row_n = (const uint64_t(*)[4])row_n,
                              .klass = klass};
    rc = lb_supp_solve(&t, acc->cfg.min_answers, hidden);
    if (rc == 0) {
        for (size_t u = 0; u < nm; u++)
            memcpy(yv->unit[u][VAR_YESNO], hidden + u * LB_SUPP_PERIODS,
                   sizeof yv->unit[u][VAR_YESNO]);
        memcpy(yv->total_yes, hidden + nm * LB_SUPP_PERIODS, sizeof yv->total_yes);
    }
out:
    free(w);
    free(klass);
    free(row_n);
    free(hidden);
    return rc;
}

/* Builds the view of `year` for `view` and today, with its suppression pattern. */
static int yearview_build(const struct lb_ind *acc, int year, enum lb_ind_view view, lb_date today,
                          struct yearview *yv)
{
    memset(yv, 0, sizeof *yv);
    yv->year = year;
    int open_key = -1;
    if (today != LB_DATE_NONE && view == LB_IND_PUBLISHED)
        (void)quarter_key(today, &open_key);
    for (int i = 0; i < 4; i++) {
        int key = year * 4 + i;
        const struct pub *pub = NULL;
        bool pub_zero = false;
        if (key == open_key) {
            if (acc->pub.key == key)
                pub = &acc->pub;
            else
                pub_zero = true;
        }
        yv->q[i] = view_copy(acc, quarter_find(acc, key), key, today, pub, pub_zero);
        if (yv->q[i] == NULL) {
            yearview_free(yv);
            return LB_ENOMEM;
        }
    }
    yv->unit = calloc(acc->nunits ? acc->nunits : 1, sizeof *yv->unit);
    if (yv->unit == NULL) {
        yearview_free(yv);
        return LB_ENOMEM;
    }
    int rc = 0;
    for (int var = 0; var < VAR_COUNT && rc == 0; var++) {
        if (var < LB_IND_LOTS_QUESTIONS || var == VAR_YESNO)
            rc = solve_single(acc, yv, NULL, var, yv->lots[var]);
    }
    size_t members[LB_IND_UNITS_MAX], nm = 0;
    for (size_t u = 0; u < acc->nunits && rc == 0; u++) {
        for (int var = LB_IND_NKI_QUESTIONS; var < LB_IND_UNIT_QUESTIONS && rc == 0; var++)
            rc = solve_single(acc, yv, &u, var, yv->unit[u][var]);
        if (lb_ind_area_in_total(acc->area[u]))
            members[nm++] = u;
        else if (rc == 0)
            rc = solve_nki(acc, yv, &u, 1, false);
    }
    if (rc == 0 && nm > 0)
        rc = solve_nki(acc, yv, members, nm, true);
    else if (rc == 0) /* no unit in the total: its NKI has no answers */
        for (int p = 0; p < LB_SUPP_PERIODS; p++)
            yv->total_nki[p] = true;
    if (rc == 0)
        rc = solve_yesno(acc, yv);
    if (rc != 0)
        yearview_free(yv);
    return rc;
}

/* --- rendering -------------------------------------------------------------------------- */

static json_t *questions_json(const struct ans *a, enum lb_followup_kind kind, int scale,
                              bool (*hidden)[LB_SUPP_PERIODS], int period)
{
    size_t n;
    const char *const *keys = lb_ind_question_keys(kind, &n);
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        stat_scale(a->answers[i], scale, &st);
        if (json_object_set_new(o, keys[i], index_json(&st, hidden[i][period], NULL)) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* The lots section's figures of q (without companies_guided, which needs the sets). */
static json_t *lots_json(const struct lb_ind *acc, struct yearview *yv, const struct quarter *q,
                         int period)
{
    const struct lb_ind_config *c = &acc->cfg;
    return json_pack(
        "{s:I,s:I,s:o,s:o,s:o,s:o,s:o}", "cases_opened", (json_int_t)q->cases_opened,
        "cases_closed", (json_int_t)q->cases_closed, "contacts", contacts_json(q->contacts),
        "calls", followups_json(q->calls), "followups", followups_json(q->lots.fu), "questions",
        questions_json(&q->lots.a, LB_FOLLOWUP_KIND_LOTS, c->scale_top, yv->lots, period),
        "easy_contact",
        share_json(q->lots.a.yes, q->lots.a.yes + q->lots.a.no, yv->lots[VAR_YESNO][period]));
}

static json_t *unit_json(const struct lb_ind *acc, struct yearview *yv, size_t u,
                         const struct section *s, int period)
{
    static const struct section zero;
    const struct lb_ind_config *c = &acc->cfg;
    if (s == NULL)
        s = &zero;
    struct stat st;
    stat_nki(s->a.nki, c->scale_top, &st);
    uint64_t in_time = s->ack_in_time < s->ack_den ? s->ack_in_time : s->ack_den;
    const char *label = acc->area[u] == LB_IND_AREA_UPPHANDLING ? "NUI" : "NKI";
    return json_pack(
        "{s:I,s:o,s:o,s:I,s:o,s:o,s:o,s:o}", "handoffs", (json_int_t)s->handoffs,
        "acknowledged_in_time", count_share_json(in_time, s->ack_den), "decision_working_days",
        days_json(s), "overdue", (json_int_t)s->overdue, "followups", followups_json(s->fu), "nki",
        index_json(&st, yv->unit[u][VAR_NKI][period], label), "questions",
        questions_json(&s->a, LB_FOLLOWUP_KIND_UNIT, c->scale_top, yv->unit[u], period),
        "clear_and_lawful",
        share_json(s->a.yes, s->a.yes + s->a.no, yv->unit[u][VAR_YESNO][period]));
}

/* The totals over units of q: SKR's total NKI (the units of the four
 * mandatory areas together) and clear_and_lawful over every unit. */
static json_t *total_figures_json(const struct lb_ind *acc, struct yearview *yv,
                                  const struct quarter *q, int period)
{
    uint64_t nki[LB_IND_NKI_QUESTIONS][NKI_SUM_MAX + 1];
    uint64_t yes = 0, no = 0;
    memset(nki, 0, sizeof nki);
    for (size_t u = 0; u < acc->nunits; u++) {
        const struct section *s = q->unit[u];
        if (s == NULL)
            continue;
        yes += s->a.yes;
        no += s->a.no;
        if (!lb_ind_area_in_total(acc->area[u]))
            continue;
        for (int k = 0; k < LB_IND_NKI_QUESTIONS; k++) {
            for (int v = 0; v <= NKI_SUM_MAX; v++)
                nki[k][v] += s->a.nki[k][v];
        }
    }
    struct stat st;
    stat_nki((const uint64_t(*)[NKI_SUM_MAX + 1]) nki, acc->cfg.scale_top, &st);
    return json_pack("{s:o,s:o}", "nki", index_json(&st, yv->total_nki[period], "NKI totalt"),
                     "clear_and_lawful", share_json(yes, yes + no, yv->total_yes[period]));
}

/* Sets key in o to v (a new reference, NULL on an earlier failure); 0 or -1. */
static int put(json_t *o, const char *key, json_t *v)
{
    return o == NULL || v == NULL ? (json_decref(v), -1) : json_object_set_new(o, key, v);
}

static json_t *total_json(const struct lb_ind *acc, struct yearview *yv, const struct quarter *q,
                          int period, const struct quarter *ytd, int ytd_p)
{
    json_t *in = json_array(), *beside = json_array();
    int bad = in == NULL || beside == NULL;
    for (size_t u = 0; u < acc->nunits && !bad; u++) {
        if (lb_ind_area_in_total(acc->area[u]))
            bad |= json_array_append_new(in, json_string(acc->codes[u]));
        else if (area_beside(acc->area[u]))
            bad |= json_array_append_new(beside, json_string(acc->codes[u]));
    }
    json_t *t = total_figures_json(acc, yv, q, period);
    bad |= put(t, "units", in);
    in = NULL;
    bad |= put(t, "beside", beside);
    beside = NULL;
    if (ytd != NULL)
        bad |= put(t, "ytd", total_figures_json(acc, yv, ytd, ytd_p));
    json_decref(in);
    json_decref(beside);
    if (bad) {
        json_decref(t);
        return NULL;
    }
    return t;
}

/* Improvement actions: in the period, and in total up to its end. */
static json_t *improvements_json(const struct lb_ind *acc, const struct quarter *q, int last_key)
{
    uint64_t idt = 0, imt = 0;
    for (size_t i = 0; i < acc->nq; i++) {
        if (acc->q[i]->key <= last_key) {
            idt += acc->q[i]->improvements_identified;
            imt += acc->q[i]->improvements_implemented;
        }
    }
    return json_pack("{s:I,s:I,s:I,s:I}", "identified", (json_int_t)q->improvements_identified,
                     "implemented", (json_int_t)q->improvements_implemented, "identified_total",
                     (json_int_t)idt, "implemented_total", (json_int_t)imt);
}

/* The document of quarter 1..4 of the view, or of the year (quarter 0). */
static json_t *render(const struct lb_ind *acc, struct yearview *yv, int quarter,
                      uint64_t source_seq, lb_time computed_at)
{
    int year = yv->year;
    struct quarter *merged = calloc(1, sizeof *merged);
    if (merged == NULL)
        return NULL;
    /* The year to date of a quarter, or the whole year. */
    int upto = quarter == LB_IND_YEAR ? 4 : quarter;
    json_t *doc = NULL;
    if (merge_view(acc, yv, upto, merged) != 0)
        goto done;
    char name[8], at[32];
    if (quarter == LB_IND_YEAR)
        snprintf(name, sizeof name, "%04d", year);
    else
        lb_quarter_format(year, quarter, name);
    lb_time_format_rfc3339(computed_at, at);

    const struct quarter *q = quarter == LB_IND_YEAR ? merged : yv->q[quarter - 1];
    int period = quarter == LB_IND_YEAR ? LB_SUPP_Y4 : quarter - 1;
    int ytd_p = quarter == LB_IND_YEAR ? LB_SUPP_Y4 : ytd_period(quarter);
    bool with_ytd = quarter != LB_IND_YEAR;

    json_t *lots = lots_json(acc, yv, q, period);
    int bad = put(lots, "companies_guided", jcount(q->companies.count));
    if (with_ytd) {
        bad |= put(lots, "companies_guided_ytd", jcount(merged->companies.count));
        json_t *lots_ytd = lots_json(acc, yv, merged, ytd_p);
        bad |= put(lots_ytd, "companies_guided", jcount(merged->companies.count));
        bad |= put(lots, "ytd", lots_ytd);
    }
    json_t *units = json_object();
    for (size_t u = 0; u < acc->nunits && !bad; u++) {
        json_t *uj = unit_json(acc, yv, u, q->unit[u], period);
        if (with_ytd)
            bad |= put(uj, "ytd", unit_json(acc, yv, u, merged->unit[u], ytd_p));
        bad |= put(units, acc->codes[u], uj);
    }
    json_t *total = total_json(acc, yv, q, period, with_ytd ? merged : NULL, ytd_p);
    int last_key = year * 4 + upto - 1;
    doc = json_pack("{s:s,s:s,s:I,s:i}", quarter == LB_IND_YEAR ? "year" : "quarter", name,
                    "computed_at", at, "source_seq", (json_int_t)source_seq, "min_answers",
                    acc->cfg.min_answers);
    bad |= put(doc, "lots", lots);
    bad |= put(doc, "units", units);
    bad |= put(doc, "total", total);
    bad |= put(doc, "improvements", improvements_json(acc, q, last_key));
    if (bad) {
        json_decref(doc);
        doc = NULL;
    }
done:
    quarter_free(merged);
    return doc;
}

int lb_ind_year_snapshots(const struct lb_ind *acc, int year, enum lb_ind_view view,
                          uint64_t source_seq, lb_time computed_at, json_t *out[5])
{
    for (int i = 0; i < 5; i++)
        out[i] = NULL;
    if (year < 1900 || year > 2199)
        return LB_EINVAL;
    struct yearview yv;
    int rc = yearview_build(acc, year, view, lb_stockholm_date(computed_at), &yv);
    if (rc != 0)
        return rc;
    for (int i = 0; i < 5 && rc == 0; i++) {
        out[i] = render(acc, &yv, i < 4 ? i + 1 : LB_IND_YEAR, source_seq, computed_at);
        if (out[i] == NULL)
            rc = LB_ENOMEM;
    }
    yearview_free(&yv);
    if (rc != 0) {
        for (int i = 0; i < 5; i++) {
            json_decref(out[i]);
            out[i] = NULL;
        }
    }
    return rc;
}

int lb_ind_snapshot_json(const struct lb_ind *acc, int year, int quarter, enum lb_ind_view view,
                         uint64_t source_seq, lb_time computed_at, json_t **out)
{
    *out = NULL;
    if (quarter < 0 || quarter > 4 || year < 1900 || year > 2199)
        return LB_EINVAL;
    struct yearview yv;
    int rc = yearview_build(acc, year, view, lb_stockholm_date(computed_at), &yv);
    if (rc != 0)
        return rc;
    *out = render(acc, &yv, quarter, source_seq, computed_at);
    yearview_free(&yv);
    return *out != NULL ? 0 : LB_ENOMEM;
}
