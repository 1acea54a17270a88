/* test_suppression.c: no suppressed figure can be worked out from the published ones.
 *
 * The property test of issue 20: random answer sets are fed into an accumulator
 * (units of SKR's total, units beside it, upphandling, the lots function; every
 * quarter of a year; respondents who answer all, some or none of the three NKI
 * questions), the year's five snapshots are rendered, and every index and share
 * is read back from the JSON documents as published or suppressed — the
 * quarters' own figures, their year-to-date objects and the year's document.
 * Then, independently of core/domain/suppression.c (its own model of which
 * answers each figure sums, its own elimination in floating point, its own
 * grouping), every suppressed figure holding answers is checked not to be a
 * linear combination of the published ones — by any combination of quarters,
 * years to date, units, totals and questions. Also: every figure on fewer than
 * min_answers answers is suppressed; a figure reads the same wherever it
 * appears (Q1 and Q1's year to date, Q4's year to date and the year).
 *
 * A second property: in the open quarter, each published figure changes from
 * one closed day to the next only by steps of at least min_answers answers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lotsbok/calendar.h"
#include "lotsbok/error.h"
#include "lotsbok/indicators.h"
#include "lotsbok/suppression.h"
#include "lotsbok/timeutil.h"

#define YEAR 2026
#define MIN 7
#define NU 6 /* units fed: 4 in SKR's total, räddningstjänst, upphandling */
static const char *const UNITS[NU] = {
    "bygglov", "miljo", "livsmedel", "serveringstillstand", "raddningstjanst", "upphandling"};
static const char *const UQ[LB_IND_UNIT_QUESTIONS] = {
    "nki_overall", "nki_expectations", "nki_ideal",       "information", "accessibility",
    "treatment",   "competence",       "legal_certainty", "efficiency"};
static const char *const LQ[LB_IND_LOTS_QUESTIONS] = {"reached_right_person", "usefulness",
                                                      "treatment", "website_information"};

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* --- the answers fed, as the test counts them -------------------------------------------- */

/* Atoms of the test's own model (what each figure sums), per quarter:
 *   per unit: for each NKI answer pattern P (1..7) and question q in P: A_NKI(u,P,q);
 *             each other unit question q: A_Q(u,q); yes/no: A_YN(u)
 *   lots: each question: A_LQ(q); yes/no: A_LYN */
#define PER_UNIT (12 + 6 + 1)
#define NATOMS_Q (NU * PER_UNIT + LB_IND_LOTS_QUESTIONS + 1)
#define NATOMS (4 * NATOMS_Q)

struct data {
    uint64_t n[NATOMS]; /* answers (respondents for a pattern atom) in each atom */
};

static int nki_atom_index(int pat, int q)
{
    int k = 0;
    for (int p = 1; p < 8; p++) {
        for (int i = 0; i < 3; i++) {
            if (p & (1 << i)) {
                if (p == pat && i == q)
                    return k;
                k++;
            }
        }
    }
    return -1;
}

static int A_NKI(int qtr, int u, int pat, int q)
{
    return qtr * NATOMS_Q + u * PER_UNIT + nki_atom_index(pat, q);
}
static int A_Q(int qtr, int u, int q) /* q = 3..8 */
{
    return qtr * NATOMS_Q + u * PER_UNIT + 12 + (q - 3);
}
static int A_YN(int qtr, int u)
{
    return qtr * NATOMS_Q + u * PER_UNIT + 18;
}
static int A_LQ(int qtr, int q)
{
    return qtr * NATOMS_Q + NU * PER_UNIT + q;
}
static int A_LYN(int qtr)
{
    return qtr * NATOMS_Q + NU * PER_UNIT + LB_IND_LOTS_QUESTIONS;
}

static lb_date day_in(int qtr, int offset)
{
    lb_date first, last;
    lb_quarter_range(YEAR, qtr + 1, &first, &last);
    return first + offset;
}

/* One unit respondent on day d of quarter qtr, with random answers. */
static void unit_respondent(struct lb_ind *acc, struct data *dt, int qtr, lb_date d, int u)
{
    struct lb_ind_answers a;
    memset(&a, 0, sizeof a);
    /* Most answer all three NKI questions; some one or two; a few none. */
    int r = (int)rnd(10), pat = r < 6 ? 7 : r < 9 ? 1 + (int)rnd(7) : 0;
    for (int q = 0; q < 3; q++) {
        if (pat & (1 << q)) {
            a.scale[q] = (uint8_t)(1 + rnd(6));
            dt->n[A_NKI(qtr, u, pat, q)]++;
        }
    }
    for (int q = 3; q < LB_IND_UNIT_QUESTIONS; q++) {
        if (rnd(3) != 0) {
            a.scale[q] = (uint8_t)(1 + rnd(6));
            dt->n[A_Q(qtr, u, q)]++;
        }
    }
    a.yes = (int8_t)((int)rnd(3) - 1);
    if (a.yes >= 0)
        dt->n[A_YN(qtr, u)]++;
    assert_int_equal(lb_ind_followup_result(acc, d, UNITS[u], LB_FOLLOWUP_DONE, &a), 0);
}

static void lots_respondent(struct lb_ind *acc, struct data *dt, int qtr, lb_date d)
{
    struct lb_ind_answers a;
    memset(&a, 0, sizeof a);
    for (int q = 0; q < LB_IND_LOTS_QUESTIONS; q++) {
        if (rnd(4) != 0) {
            a.scale[q] = (uint8_t)(1 + rnd(6));
            dt->n[A_LQ(qtr, q)]++;
        }
    }
    a.yes = (int8_t)((int)rnd(3) - 1);
    if (a.yes >= 0)
        dt->n[A_LYN(qtr)]++;
    assert_int_equal(lb_ind_followup_result(acc, d, NULL, LB_FOLLOWUP_DONE, &a), 0);
}

/* A small count, often under the threshold, sometimes none. */
static int small_count(void)
{
    int r = (int)rnd(10);
    return r < 2 ? 0 : r < 6 ? 1 + (int)rnd(8) : 5 + (int)rnd(12);
}

/* --- figures, their model and their state in the documents ---------------------------------- */

#define FIGS_MAX 1024
struct fig {
    double w[NATOMS]; /* what the figure sums, in the test's model */
    uint64_t n;       /* answers behind it */
    int published;    /* 1 published, 0 suppressed */
    char name[96];
};
static struct fig figs[FIGS_MAX];
static size_t nfigs;

static json_t *get(json_t *doc, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = doc;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        v = json_object_get(v, k);
    if (v == NULL)
        fail_msg("no %s", path);
    return v;
}

/* Quarters [from, to] of a period as the documents show it. */
static void add_fig(json_t *obj, const char *name, int from, int to, int kind, int u, int q)
{
    assert_true(nfigs < FIGS_MAX);
    struct fig *f = &figs[nfigs++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s Q%d-Q%d", name, from + 1, to + 1);
    json_t *supp = json_object_get(obj, "suppressed");
    assert_true(json_is_boolean(supp));
    f->published = !json_is_true(supp);
    json_int_t n = json_integer_value(json_object_get(obj, "n"));
    for (int qt = from; qt <= to; qt++) {
        switch (kind) {
        case 0: /* a unit's NKI: units u..; u < 0: the total of the first four */
            for (int uu = u < 0 ? 0 : u; uu <= (u < 0 ? 3 : u); uu++) {
                for (int p = 1; p < 8; p++) {
                    int k = (p & 1) + ((p >> 1) & 1) + ((p >> 2) & 1);
                    for (int i = 0; i < 3; i++)
                        if (p & (1 << i))
                            f->w[A_NKI(qt, uu, p, i)] = 1.0 / k;
                }
            }
            break;
        case 1: /* a unit's NKI question q */
            for (int p = 1; p < 8; p++)
                if (p & (1 << q))
                    f->w[A_NKI(qt, u, p, q)] = 1;
            break;
        case 2: /* another unit question */
            f->w[A_Q(qt, u, q)] = 1;
            break;
        case 3: /* yes/no of unit u; u < 0: of every unit */
            for (int uu = u < 0 ? 0 : u; uu <= (u < 0 ? NU - 1 : u); uu++)
                f->w[A_YN(qt, uu)] = 1;
            break;
        case 4:
            f->w[A_LQ(qt, q)] = 1;
            break;
        case 5:
            f->w[A_LYN(qt)] = 1;
            break;
        }
    }
    f->n = (uint64_t)n;
}

/* Every index and share of one section of a document. */
static void add_doc(json_t *doc, int from, int to, const struct data *dt)
{
    (void)dt;
    char path[128];
    for (int u = 0; u < NU; u++) {
        snprintf(path, sizeof path, "units.%s.nki", UNITS[u]);
        add_fig(get(doc, path), path, from, to, 0, u, 0);
        for (int q = 0; q < LB_IND_UNIT_QUESTIONS; q++) {
            snprintf(path, sizeof path, "units.%s.questions.%s", UNITS[u], UQ[q]);
            add_fig(get(doc, path), path, from, to, q < 3 ? 1 : 2, u, q);
        }
        snprintf(path, sizeof path, "units.%s.clear_and_lawful", UNITS[u]);
        add_fig(get(doc, path), path, from, to, 3, u, 0);
    }
    add_fig(get(doc, "total.nki"), "total.nki", from, to, 0, -1, 0);
    add_fig(get(doc, "total.clear_and_lawful"), "total.clear_and_lawful", from, to, 3, -1, 0);
    for (int q = 0; q < LB_IND_LOTS_QUESTIONS; q++) {
        snprintf(path, sizeof path, "lots.questions.%s", LQ[q]);
        add_fig(get(doc, path), path, from, to, 4, 0, q);
    }
    add_fig(get(doc, "lots.easy_contact"), "lots.easy_contact", from, to, 5, 0, 0);
}

/* A view of a document's year-to-date objects as a document of its own. */
static json_t *ytd_doc(json_t *doc)
{
    json_t *d = json_object();
    json_object_set(d, "lots", get(doc, "lots.ytd"));
    json_object_set(d, "total", get(doc, "total.ytd"));
    json_t *units = json_object();
    for (int u = 0; u < NU; u++) {
        char path[64];
        snprintf(path, sizeof path, "units.%s.ytd", UNITS[u]);
        json_object_set(units, UNITS[u], get(doc, path));
    }
    json_object_set_new(d, "units", units);
    return d;
}

/* --- the independent check: elimination in floating point ---------------------------- */

/* Brings rows (nrows x ncols) to echelon form with partial pivoting; piv[k]
 * receives row k's pivot column. Returns the rank. The entries are 1, 1/2 and
 * 1/3 (and sums of them), so a tolerance of 1e-9 separates zero from not. */
static size_t echelon(double *m, size_t nrows, size_t ncols, size_t *piv)
{
    size_t r = 0;
    for (size_t c = 0; c < ncols && r < nrows; c++) {
        size_t best = r;
        for (size_t i = r; i < nrows; i++)
            if (fabs(m[i * ncols + c]) > fabs(m[best * ncols + c]))
                best = i;
        if (fabs(m[best * ncols + c]) < 1e-9)
            continue;
        if (best != r) {
            for (size_t j = 0; j < ncols; j++) {
                double x = m[r * ncols + j];
                m[r * ncols + j] = m[best * ncols + j];
                m[best * ncols + j] = x;
            }
        }
        for (size_t i = r + 1; i < nrows; i++) {
            double f = m[i * ncols + c] / m[r * ncols + c];
            if (f != 0)
                for (size_t j = c; j < ncols; j++)
                    m[i * ncols + j] -= f * m[r * ncols + j];
        }
        piv[r++] = c;
    }
    return r;
}

/* Checks every suppressed figure against the published ones; returns how many were checked. */
static size_t check_no_derivation(const struct data *dt)
{
    int cols[NATOMS];
    size_t ncols = 0;
    for (int a = 0; a < NATOMS; a++)
        if (dt->n[a] > 0)
            cols[ncols++] = a;
    if (ncols == 0)
        return 0;
    size_t npub = 0;
    for (size_t i = 0; i < nfigs; i++)
        npub += (size_t)figs[i].published;
    double *m = calloc((npub ? npub : 1) * ncols, sizeof *m);
    double *t = malloc(ncols * sizeof *t);
    size_t *piv = malloc(ncols * sizeof *piv);
    assert_non_null(m);
    assert_non_null(t);
    assert_non_null(piv);
    size_t r = 0;
    for (size_t i = 0; i < nfigs; i++) {
        if (!figs[i].published)
            continue;
        for (size_t j = 0; j < ncols; j++)
            m[r * ncols + j] = figs[i].w[cols[j]];
        r++;
    }
    size_t rank = echelon(m, npub, ncols, piv);
    size_t checked = 0;
    for (size_t i = 0; i < nfigs; i++) {
        if (figs[i].published)
            continue;
        int holds = 0;
        for (size_t j = 0; j < ncols; j++) {
            t[j] = figs[i].w[cols[j]];
            holds |= t[j] != 0;
        }
        if (!holds)
            continue; /* no answers behind it: nothing to protect */
        for (size_t k = 0; k < rank; k++) {
            double f = t[piv[k]] / m[k * ncols + piv[k]];
            if (f != 0)
                for (size_t j = piv[k]; j < ncols; j++)
                    t[j] -= f * m[k * ncols + j];
        }
        int zero = 1;
        for (size_t j = 0; j < ncols; j++)
            if (fabs(t[j]) > 1e-7)
                zero = 0;
        if (zero)
            fail_msg("suppressed %s (n %llu) can be worked out from the published figures",
                     figs[i].name, (unsigned long long)figs[i].n);
        checked++;
    }
    free(m);
    free(t);
    free(piv);
    return checked;
}

static void check_primary_and_agreement(void)
{
    for (size_t i = 0; i < nfigs; i++) {
        if (figs[i].n < MIN && figs[i].published)
            fail_msg("%s is published on %llu answers", figs[i].name,
                     (unsigned long long)figs[i].n);
        /* The same figure in another document reads the same. */
        for (size_t k = i + 1; k < nfigs; k++) {
            if (strcmp(figs[i].name, figs[k].name) == 0 && figs[i].published != figs[k].published)
                fail_msg("%s is published in one document and not in another", figs[i].name);
        }
    }
}

static void test_no_suppressed_figure_can_be_worked_out(void **state)
{
    (void)state;
    size_t checked = 0, hidden_secondarily = 0;
    for (int trial = 0; trial < 16; trial++) {
        rng_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(trial + 1) * 0x2545F4914F6CDD1DULL;
        struct lb_ind_config cfg;
        lb_ind_config_default(&cfg);
        struct lb_ind *acc = NULL;
        assert_int_equal(lb_ind_new(&cfg, &acc), 0);
        static struct data dt;
        memset(&dt, 0, sizeof dt);
        for (int qtr = 0; qtr < 4; qtr++) {
            for (int u = 0; u < NU; u++) {
                int n = small_count();
                for (int i = 0; i < n; i++)
                    unit_respondent(acc, &dt, qtr, day_in(qtr, 3 + (int)rnd(80)), u);
            }
            int n = small_count();
            for (int i = 0; i < n; i++)
                lots_respondent(acc, &dt, qtr, day_in(qtr, 3 + (int)rnd(80)));
        }
        json_t *docs[5];
        lb_time at = 0;
        assert_int_equal(lb_time_parse_rfc3339("2027-01-10T08:00:00Z", &at), 0);
        assert_int_equal(lb_ind_year_snapshots(acc, YEAR, LB_IND_PUBLISHED, 1, at, docs), 0);
        nfigs = 0;
        for (int k = 0; k < 4; k++) {
            add_doc(docs[k], k, k, &dt);
            json_t *y = ytd_doc(docs[k]);
            add_doc(y, 0, k, &dt);
            json_decref(y);
        }
        add_doc(docs[4], 0, 3, &dt);
        check_primary_and_agreement();
        checked += check_no_derivation(&dt);
        for (size_t i = 0; i < nfigs; i++)
            hidden_secondarily += !figs[i].published && figs[i].n >= MIN;
        for (int k = 0; k < 5; k++)
            json_decref(docs[k]);
        lb_ind_free(acc);
    }
    /* The test exercised what it is about. */
    assert_true(checked > 500);
    assert_true(hidden_secondarily > 50);
}

/* The engine on its own, on small tables: a unit suppressed among published
 * others and their total, and a quarter suppressed beside published years to date. */
static void test_engine_examples(void **state)
{
    (void)state;
    /* One figure, quarters of 5, 10, 10, 10 answers: Q1 is suppressed; Y2 - Q2 would
     * give it, so the one on fewer answers of Q2 (10) and Y2 (15) goes: Q2. Then Q3
     * and Y3 are both fine (Y3 - Q3 = Y2 = Q1 + Q2, two suppressed together). */
    uint64_t n1[1][4] = {{5, 10, 10, 10}};
    static const uint8_t w1[1] = {1};
    struct lb_supp_table t = {.nrows = 1,
                              .natoms = 1,
                              .w = w1,
                              .atom_n = (const uint64_t(*)[4])n1,
                              .row_n = (const uint64_t(*)[4])n1};
    bool h[LB_SUPP_PERIODS * 8];
    assert_int_equal(lb_supp_solve(&t, 7, h), 0);
    assert_true(h[LB_SUPP_Q1]);
    assert_true(h[LB_SUPP_Q2]);
    assert_false(h[LB_SUPP_Y2]);
    assert_false(h[LB_SUPP_Q3]);
    assert_false(h[LB_SUPP_Y3]);
    assert_false(h[LB_SUPP_Q4]);
    assert_false(h[LB_SUPP_Y4]);

    /* Two units and their total in one quarter: A 6 (suppressed), B 9, total 15.
     * Publishing B and the total gives A away: B goes (fewer answers). */
    uint64_t n2[3][4] = {{6, 0, 0, 0}, {9, 0, 0, 0}, {15, 0, 0, 0}};
    static const uint8_t w2[3 * 2] = {1, 0, 0, 1, 1, 1};
    struct lb_supp_table t2 = {.nrows = 3,
                               .natoms = 2,
                               .w = w2,
                               .atom_n = (const uint64_t(*)[4])n2,
                               .row_n = (const uint64_t(*)[4])n2};
    assert_int_equal(lb_supp_solve(&t2, 7, h), 0);
    assert_true(h[0 * LB_SUPP_PERIODS + LB_SUPP_Q1]);
    assert_true(h[1 * LB_SUPP_PERIODS + LB_SUPP_Q1]);
    assert_false(h[2 * LB_SUPP_PERIODS + LB_SUPP_Q1]);
    /* Nothing in a quarter: n 0 is suppressed and protects nothing. */
    assert_true(h[0 * LB_SUPP_PERIODS + LB_SUPP_Q2]);
    /* Y2 = Q1 for every row: the same figures, the same pattern. */
    for (int r = 0; r < 3; r++)
        assert_int_equal(h[r * LB_SUPP_PERIODS + LB_SUPP_Y2], h[r * LB_SUPP_PERIODS + LB_SUPP_Q1]);
    /* A threshold of 1: nothing with answers is suppressed. */
    assert_int_equal(lb_supp_solve(&t2, 1, h), 0);
    assert_false(h[0 * LB_SUPP_PERIODS + LB_SUPP_Q1]);
    assert_false(h[2 * LB_SUPP_PERIODS + LB_SUPP_Y4]);
    struct lb_supp_table bad = t2;
    bad.nrows = 0;
    assert_int_equal(lb_supp_solve(&bad, 7, h), LB_EINVAL);
}

/* In the open quarter, each published figure moves from one closed day to the
 * next by nothing or by at least min_answers answers, and never past the live one. */
static void test_open_quarter_steps(void **state)
{
    (void)state;
    for (int trial = 0; trial < 6; trial++) {
        rng_state = 0xdeadbeefcafef00dULL ^ (uint64_t)(trial + 7) * 0x2545F4914F6CDD1DULL;
        struct lb_ind_config cfg;
        lb_ind_config_default(&cfg);
        struct lb_ind *acc = NULL;
        assert_int_equal(lb_ind_new(&cfg, &acc), 0);
        static struct data dt;
        memset(&dt, 0, sizeof dt);
        /* Q3 is open all along: 40 days of answers, a day closed after each. */
        json_int_t prev[FIGS_MAX];
        size_t nprev = 0;
        for (int day = 0; day < 40; day++) {
            lb_date d = day_in(2, day);
            int n = (int)rnd(4);
            for (int i = 0; i < n; i++)
                unit_respondent(acc, &dt, 2, d, (int)rnd(NU));
            if (rnd(2))
                lots_respondent(acc, &dt, 2, d);
            assert_int_equal(lb_ind_day_close(acc, d), 0);
            char at[32];
            lb_date_format(d + 1, at);
            strcat(at, "T10:00:00Z");
            lb_time t = 0;
            assert_int_equal(lb_time_parse_rfc3339(at, &t), 0);
            json_t *pub = NULL, *live = NULL;
            assert_int_equal(lb_ind_snapshot_json(acc, YEAR, 3, LB_IND_PUBLISHED, 1, t, &pub), 0);
            assert_int_equal(lb_ind_snapshot_json(acc, YEAR, 3, LB_IND_LIVE, 1, t, &live), 0);
            nfigs = 0;
            add_doc(pub, 2, 2, &dt);
            size_t npub = nfigs;
            add_doc(live, 2, 2, &dt);
            for (size_t i = 0; i < npub; i++) {
                json_int_t fn = (json_int_t)figs[i].n;
                assert_true(figs[i].n <= figs[npub + i].n); /* never ahead of the live one */
                if (nprev == npub && fn != prev[i] && fn - prev[i] < MIN)
                    fail_msg("%s moved by %lld answers on day %d", figs[i].name,
                             (long long)(fn - prev[i]), day);
                prev[i] = fn;
            }
            nprev = npub;
            json_decref(pub);
            json_decref(live);
        }
        lb_ind_free(acc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_examples),
        cmocka_unit_test(test_no_suppressed_figure_can_be_worked_out),
        cmocka_unit_test(test_open_quarter_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
