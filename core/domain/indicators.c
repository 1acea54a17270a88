/* indicators.c: quarterly indicators (indicators.h), accumulated per event.
 *
 * The accumulator is a list of quarters; each quarter has one section for the
 * lots function and one per unit met (allocated on first use), plus the set of
 * company ids guided and the improvement counts. A section holds counters and
 * histograms only: working days to decision as counts per day, answers as
 * counts per scale value, the respondents' NKI as counts per (questions
 * answered, sum of answers). Median, percentiles, means and standard
 * deviations are then exact and cost O(scale) or O(days) per snapshot, however
 * many follow-ups were fed.
 *
 * Index values are rounded from exact integer ratios (no floating point in the
 * rounding), so the published tenths and SKR's grade never depend on how a
 * sum happened to round in a double. Year-to-date figures merge the year's
 * quarters up to the one asked for into a scratch quarter and render it with
 * the same code. */
#include "lotsbok/indicators.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/timeutil.h"

/* Working days beyond this are counted as this (about 250 years). */
#define DAYS_CAP 65535
#define NKI_SUM_MAX (LB_IND_NKI_QUESTIONS * LB_IND_SCALE_MAX)
/* The working-day table covers 2000-01-01 .. 2099-12-31; outside it the
 * calendar is walked. */
#define WD_BASE 10957 /* 2000-01-01 */
#define WD_DAYS 36525

enum { FU_DUE, FU_DONE, FU_NO_ANSWER, FU_DECLINED, FU_UNREACHABLE, FU_COUNT };

struct section {
    uint64_t handoffs, withdrawn_unacked, ack_in_time, overdue;
    uint64_t *days; /* days[d]: hand-offs decided after d working days */
    size_t days_len;
    uint64_t fu[FU_COUNT];
    uint64_t answers[LB_IND_QUESTIONS_MAX][LB_IND_SCALE_MAX + 1];
    uint64_t yes, no;
    uint64_t nki[LB_IND_NKI_QUESTIONS][NKI_SUM_MAX + 1]; /* [answered - 1][sum] */
};

struct idset {
    uint64_t *slot; /* 0 is empty; ids are never 0 */
    size_t cap, count;
};

struct quarter {
    int key;             /* year * 4 + quarter - 1 */
    lb_date first, last; /* its dates, to place the next date without a calendar conversion */
    uint64_t cases_opened, cases_closed, contacts[LB_CHANNEL_COUNT];
    uint64_t improvements_identified, improvements_implemented;
    struct idset companies;
    struct section lots;
    struct section *unit[LB_IND_UNITS_MAX];
};

struct lb_ind {
    struct lb_ind_config cfg;
    char codes[LB_IND_UNITS_MAX][LB_UNIT_CODE_MAX + 1];
    size_t nunits; /* configured first, then codes met in events */
    struct quarter **q;
    size_t nq, capq;
    struct quarter *last; /* the quarter of the previous call: events come in date order */
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

void lb_ind_config_default(struct lb_ind_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->scale_top = 6;
    cfg->min_answers = 7;
    cfg->ack_working_days = 2;
    lb_units_default(&cfg->units);
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

int lb_ind_new(const struct lb_ind_config *cfg, struct lb_ind **out)
{
    *out = NULL;
    if (cfg->scale_top < 2 || cfg->scale_top > LB_IND_SCALE_MAX || cfg->min_answers < 1 ||
        cfg->ack_working_days < 0 || cfg->units.count > LB_UNITS_MAX)
        return LB_EINVAL;
    struct lb_ind *acc = calloc(1, sizeof *acc);
    if (acc == NULL)
        return LB_ENOMEM;
    acc->cfg = *cfg;
    for (size_t i = 0; i < cfg->units.count; i++) {
        if (!code_ok(cfg->units.unit[i].code)) {
            free(acc);
            return LB_EINVAL;
        }
        memcpy(acc->codes[i], cfg->units.unit[i].code, sizeof acc->codes[i]);
    }
    acc->nunits = cfg->units.count;
    *out = acc;
    return 0;
}

static void section_clear(struct section *s)
{
    free(s->days);
    memset(s, 0, sizeof *s);
}

static void quarter_free(struct quarter *q)
{
    if (q == NULL)
        return;
    free(q->companies.slot);
    section_clear(&q->lots);
    for (size_t i = 0; i < LB_IND_UNITS_MAX; i++) {
        if (q->unit[i] != NULL) {
            section_clear(q->unit[i]);
            free(q->unit[i]);
        }
    }
    free(q);
}

void lb_ind_free(struct lb_ind *acc)
{
    if (acc == NULL)
        return;
    for (size_t i = 0; i < acc->nq; i++)
        quarter_free(acc->q[i]);
    free(acc->q);
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
    *out = acc->nunits++;
    return 0;
}

/* The section of unit `code` (the lots function when NULL) in the quarter of d. */
static int section_get(struct lb_ind *acc, lb_date d, const char *code, struct section **out)
{
    size_t ui = 0;
    int rc;
    if (code != NULL && (rc = unit_index(acc, code, &ui)) != 0)
        return rc;
    struct quarter *q;
    if ((rc = quarter_get(acc, d, &q)) != 0)
        return rc;
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

static int unit_section(struct lb_ind *acc, lb_date d, const char *unit, struct section **out)
{
    if (unit == NULL)
        return LB_EINVAL;
    return section_get(acc, d, unit, out);
}

int lb_ind_handoff_sent(struct lb_ind *acc, lb_date sent, const char *unit)
{
    struct section *s;
    int rc = unit_section(acc, sent, unit, &s);
    if (rc == 0)
        s->handoffs++;
    return rc;
}

int lb_ind_handoff_acknowledged(struct lb_ind *acc, lb_date sent, lb_date ack, const char *unit)
{
    struct section *s;
    if (ack == LB_DATE_NONE)
        return LB_EINVAL;
    int rc = unit_section(acc, sent, unit, &s);
    if (rc == 0 && working_days(acc, sent, ack) <= acc->cfg.ack_working_days)
        s->ack_in_time++;
    return rc;
}

int lb_ind_handoff_decided(struct lb_ind *acc, lb_date sent, lb_date decided, const char *unit)
{
    struct section *s;
    int rc;
    if (sent == LB_DATE_NONE)
        return LB_EINVAL;
    if ((rc = unit_section(acc, decided, unit, &s)) != 0)
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
    int rc = unit_section(acc, sent, unit, &s);
    if (rc == 0)
        s->overdue++;
    return rc;
}

int lb_ind_handoff_withdrawn(struct lb_ind *acc, lb_date sent, const char *unit, bool acknowledged)
{
    struct section *s;
    int rc = unit_section(acc, sent, unit, &s);
    if (rc == 0 && !acknowledged)
        s->withdrawn_unacked++;
    return rc;
}

int lb_ind_followup_due(struct lb_ind *acc, lb_date due, const char *unit)
{
    struct section *s;
    int rc = section_get(acc, due, unit, &s);
    if (rc == 0)
        s->fu[FU_DUE]++;
    return rc;
}

int lb_ind_followup_result(struct lb_ind *acc, lb_date date, const char *unit,
                           enum lb_followup_status status, const struct lb_ind_answers *answers)
{
    int slot;
    switch (status) {
    case LB_FOLLOWUP_DONE:
        slot = FU_DONE;
        break;
    case LB_FOLLOWUP_NO_ANSWER:
        slot = FU_NO_ANSWER;
        break;
    case LB_FOLLOWUP_DECLINED:
        slot = FU_DECLINED;
        break;
    case LB_FOLLOWUP_UNREACHABLE:
        slot = FU_UNREACHABLE;
        break;
    default:
        return LB_EINVAL;
    }
    size_t nq = unit ? LB_IND_UNIT_QUESTIONS : LB_IND_LOTS_QUESTIONS;
    bool count_answers = answers != NULL && status == LB_FOLLOWUP_DONE;
    if (count_answers) {
        for (size_t i = 0; i < nq; i++) {
            if (answers->scale[i] > acc->cfg.scale_top)
                return LB_EINVAL;
        }
        if (answers->yes < -1 || answers->yes > 1)
            return LB_EINVAL;
    }
    struct section *s;
    int rc = section_get(acc, date, unit, &s);
    if (rc != 0)
        return rc;
    s->fu[slot]++;
    if (!count_answers)
        return 0;
    for (size_t i = 0; i < nq; i++)
        s->answers[i][answers->scale[i]]++; /* [i][0] counts "vet ej", never published */
    if (answers->yes == 1)
        s->yes++;
    else if (answers->yes == 0)
        s->no++;
    if (unit != NULL) {
        int k = 0, sum = 0;
        for (int i = 0; i < LB_IND_NKI_QUESTIONS; i++) {
            if (answers->scale[i] != 0) {
                k++;
                sum += answers->scale[i];
            }
        }
        if (k > 0)
            s->nki[k - 1][sum]++;
    }
    return 0;
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

/* {"index", "n", "ci95", "suppressed"} (+ "label", "grade" for the NKI). */
static json_t *index_json(const struct stat *st, int min_n, const char *label)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    int bad = 0;
    if (label != NULL)
        bad |= json_object_set_new(o, "label", json_string(label));
    bool suppressed = st->n < (uint64_t)min_n || st->n == 0;
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

/* {"value", "n", "suppressed"}: yes / n to two decimals, half up; null and
 * suppressed under min_n (0 for a share that is not built on answers: null
 * but not suppressed when n is 0). */
static json_t *share_json(uint64_t yes, uint64_t n, int min_n)
{
    if (n < (uint64_t)min_n || n == 0)
        return json_pack("{s:n,s:I,s:b}", "value", "n", (json_int_t)n, "suppressed", min_n > 0);
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
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}", "due", (json_int_t)fu[FU_DUE], "done",
                     (json_int_t)fu[FU_DONE], "no_answer", (json_int_t)fu[FU_NO_ANSWER], "declined",
                     (json_int_t)fu[FU_DECLINED], "unreachable", (json_int_t)fu[FU_UNREACHABLE],
                     "response_rate", rate_json(fu));
}

static json_t *questions_json(const struct section *s, enum lb_followup_kind kind, int scale,
                              int min_n)
{
    size_t n;
    const char *const *keys = lb_ind_question_keys(kind, &n);
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        stat_scale(s->answers[i], scale, &st);
        if (json_object_set_new(o, keys[i], index_json(&st, min_n, NULL)) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
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

/* The lots section's figures (without companies_guided, which needs the sets). */
static json_t *lots_json(const struct lb_ind *acc, const struct quarter *q)
{
    const struct lb_ind_config *c = &acc->cfg;
    return json_pack(
        "{s:I,s:I,s:o,s:o,s:o,s:o}", "cases_opened", (json_int_t)q->cases_opened, "cases_closed",
        (json_int_t)q->cases_closed, "contacts", contacts_json(q->contacts), "followups",
        followups_json(q->lots.fu), "questions",
        questions_json(&q->lots, LB_FOLLOWUP_KIND_LOTS, c->scale_top, c->min_answers),
        "easy_contact", share_json(q->lots.yes, q->lots.yes + q->lots.no, c->min_answers));
}

static json_t *unit_json(const struct lb_ind *acc, const struct section *s, const char *code)
{
    static const struct section zero;
    const struct lb_ind_config *c = &acc->cfg;
    if (s == NULL)
        s = &zero;
    struct stat st;
    stat_nki(s->nki, c->scale_top, &st);
    uint64_t ack_n = s->handoffs > s->withdrawn_unacked ? s->handoffs - s->withdrawn_unacked : 0;
    uint64_t in_time = s->ack_in_time < ack_n ? s->ack_in_time : ack_n;
    return json_pack(
        "{s:I,s:o,s:o,s:I,s:o,s:o,s:o,s:o}", "handoffs", (json_int_t)s->handoffs,
        "acknowledged_in_time", share_json(in_time, ack_n, 0), "decision_working_days",
        days_json(s), "overdue", (json_int_t)s->overdue, "followups", followups_json(s->fu), "nki",
        index_json(&st, c->min_answers, strcmp(code, "upphandling") == 0 ? "NUI" : "NKI"),
        "questions", questions_json(s, LB_FOLLOWUP_KIND_UNIT, c->scale_top, c->min_answers),
        "clear_and_lawful", share_json(s->yes, s->yes + s->no, c->min_answers));
}

static void section_add(struct section *d, const struct section *s, int *rc)
{
    d->handoffs += s->handoffs;
    d->withdrawn_unacked += s->withdrawn_unacked;
    d->ack_in_time += s->ack_in_time;
    d->overdue += s->overdue;
    for (int i = 0; i < FU_COUNT; i++)
        d->fu[i] += s->fu[i];
    for (int i = 0; i < LB_IND_QUESTIONS_MAX; i++) {
        for (int v = 0; v <= LB_IND_SCALE_MAX; v++)
            d->answers[i][v] += s->answers[i][v];
    }
    d->yes += s->yes;
    d->no += s->no;
    for (int k = 0; k < LB_IND_NKI_QUESTIONS; k++) {
        for (int v = 0; v <= NKI_SUM_MAX; v++)
            d->nki[k][v] += s->nki[k][v];
    }
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

/* Merges quarters key_from..key_to of acc into the scratch quarter *ytd
 * (zeroed by the caller), the company sets as a union. */
static int merge_range(const struct lb_ind *acc, int key_from, int key_to, struct quarter *ytd)
{
    int rc = 0;
    for (int key = key_from; key <= key_to && rc == 0; key++) {
        const struct quarter *q = quarter_find(acc, key);
        if (q == NULL)
            continue;
        ytd->cases_opened += q->cases_opened;
        ytd->cases_closed += q->cases_closed;
        for (int ch = 0; ch < LB_CHANNEL_COUNT; ch++)
            ytd->contacts[ch] += q->contacts[ch];
        for (size_t i = 0; i < q->companies.cap && rc == 0; i++) {
            if (q->companies.slot[i] != 0)
                rc = idset_add(&ytd->companies, q->companies.slot[i]);
        }
        section_add(&ytd->lots, &q->lots, &rc);
        for (size_t u = 0; u < acc->nunits && rc == 0; u++) {
            if (q->unit[u] == NULL)
                continue;
            if (ytd->unit[u] == NULL && (ytd->unit[u] = calloc(1, sizeof *ytd->unit[u])) == NULL)
                rc = LB_ENOMEM;
            else
                section_add(ytd->unit[u], q->unit[u], &rc);
        }
    }
    return rc;
}

/* Sets key in o to v (a new reference, NULL on an earlier failure); 0 or -1. */
static int put(json_t *o, const char *key, json_t *v)
{
    return o == NULL || v == NULL ? (json_decref(v), -1) : json_object_set_new(o, key, v);
}

int lb_ind_snapshot_json(const struct lb_ind *acc, int year, int quarter, uint64_t source_seq,
                         lb_time computed_at, json_t **out)
{
    *out = NULL;
    if (quarter < 1 || quarter > 4 || year < 1900 || year > 2199)
        return LB_EINVAL;
    int key = year * 4 + quarter - 1;
    static const struct quarter zero_q;
    const struct quarter *q = quarter_find(acc, key);
    if (q == NULL)
        q = &zero_q;
    struct quarter *ytd = calloc(1, sizeof *ytd);
    if (ytd == NULL)
        return LB_ENOMEM;
    int rc = merge_range(acc, year * 4, key, ytd);
    json_t *doc = NULL;
    if (rc != 0)
        goto done;
    rc = LB_ENOMEM;
    char qs[8], at[32];
    lb_quarter_format(year, quarter, qs);
    lb_time_format_rfc3339(computed_at, at);

    json_t *lots = lots_json(acc, q);
    int bad = put(lots, "companies_guided", jcount(q->companies.count));
    bad |= put(lots, "companies_guided_ytd", jcount(ytd->companies.count));
    json_t *lots_ytd = lots_json(acc, ytd);
    bad |= put(lots_ytd, "companies_guided", jcount(ytd->companies.count));
    bad |= put(lots, "ytd", lots_ytd);

    json_t *units = json_object();
    for (size_t u = 0; u < acc->nunits && !bad; u++) {
        json_t *uj = unit_json(acc, q->unit[u], acc->codes[u]);
        bad |= put(uj, "ytd", unit_json(acc, ytd->unit[u], acc->codes[u]));
        bad |= put(units, acc->codes[u], uj);
    }

    uint64_t idt = 0, imt = 0;
    for (size_t i = 0; i < acc->nq; i++) {
        if (acc->q[i]->key <= key) {
            idt += acc->q[i]->improvements_identified;
            imt += acc->q[i]->improvements_implemented;
        }
    }
    json_t *imp =
        json_pack("{s:I,s:I,s:I,s:I}", "identified", (json_int_t)q->improvements_identified,
                  "implemented", (json_int_t)q->improvements_implemented, "identified_total",
                  (json_int_t)idt, "implemented_total", (json_int_t)imt);
    doc = json_pack("{s:s,s:s,s:I}", "quarter", qs, "computed_at", at, "source_seq",
                    (json_int_t)source_seq);
    bad |= put(doc, "lots", lots);
    bad |= put(doc, "units", units);
    bad |= put(doc, "improvements", imp);
    if (!bad)
        rc = 0;
done:
    quarter_free(ytd);
    if (rc != 0) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}
