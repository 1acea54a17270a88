/* suppression.c: primary and secondary suppression of related figures over a
 * year (suppression.h; the rule in docs/indicators.md, "Suppression").
 *
 * The unknowns are the columns: the answers of one atom in one quarter (an
 * atom without answers in a quarter is known to be empty and left out). A cell
 * (row, period) is the weighted sum of its row's atoms over the period's
 * quarters: a vector over the columns. A suppressed cell can be worked out
 * exactly when its vector lies in the span of the published cells' vectors.
 * That is decided by Gaussian elimination over the prime field GF(2^61 - 1):
 * the entries are small integers, and for the tables Lotsbok publishes no
 * minor that matters comes near 2^61, so the rank over the field is the rank
 * over the rationals.
 *
 * Two things keep it small. First, the columns of one block and quarter (one
 * unit's answers to the three NKI questions, split by which of them each
 * respondent answered: up to twelve atoms) are reduced to a linearly
 * independent subset before anything else — the cells only ever see such a
 * block through the block's few rows, so at most that many columns carry all
 * its relations. Second, periods are settled one step at a time: the cells of
 * earlier steps are fixed, their basis is built once per step, and each round
 * only adds the step's own published cells, each carrying which of the step's
 * cells it came from, so a derivation found names the cells it uses and one
 * of them becomes the next complement. */
#include "lotsbok/suppression.h"

#include <stdlib.h>
#include <string.h>

#include "lotsbok/error.h"

#define P61 ((UINT64_C(1) << 61) - 1)

static uint64_t mulmod(uint64_t a, uint64_t b)
{
    unsigned __int128 x = (unsigned __int128)a * b;
    uint64_t r = (uint64_t)(x & P61) + (uint64_t)(x >> 61);
    r = (r & P61) + (r >> 61);
    return r >= P61 ? r - P61 : r;
}

static uint64_t addmod(uint64_t a, uint64_t b)
{
    uint64_t r = a + b;
    return r >= P61 ? r - P61 : r;
}

static uint64_t submod(uint64_t a, uint64_t b)
{
    return a >= b ? a - b : a + P61 - b;
}

static uint64_t invmod(uint64_t a)
{
    uint64_t r = 1, e = P61 - 2;
    while (e) {
        if (e & 1)
            r = mulmod(r, a);
        a = mulmod(a, a);
        e >>= 1;
    }
    return r;
}

static int step_of(int period)
{
    return period <= LB_SUPP_Q4 ? period + 1 : period - LB_SUPP_Y2 + 2;
}

static bool in_period(int quarter, int period)
{
    if (period <= LB_SUPP_Q4)
        return quarter == period;
    return quarter <= period - LB_SUPP_Y2 + 1;
}

uint64_t lb_supp_cell_n(const struct lb_supp_table *t, size_t row, int period)
{
    uint64_t n = 0;
    for (int i = 0; i < 4; i++) {
        if (in_period(i, period))
            n += t->row_n[row][i];
    }
    return n;
}

/* --- an echelon basis over GF(p), optionally tracking combinations ------------------------ */

struct basis {
    size_t ncols, ncoef; /* vector length; combination length (0: not tracked) */
    size_t rank, cap;
    size_t *pivot;
    uint64_t *vec, *coef;
    uint64_t *tv, *tc; /* scratch */
};

static void basis_free(struct basis *b)
{
    free(b->pivot);
    free(b->vec);
    free(b->coef);
    free(b->tv);
    free(b->tc);
    memset(b, 0, sizeof *b);
}

static int basis_init(struct basis *b, size_t ncols, size_t ncoef, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->ncols = ncols;
    b->ncoef = ncoef;
    b->cap = cap ? cap : 1;
    b->pivot = calloc(b->cap, sizeof *b->pivot);
    b->vec = calloc(b->cap * (ncols ? ncols : 1), sizeof *b->vec);
    b->coef = calloc(b->cap * (ncoef ? ncoef : 1), sizeof *b->coef);
    b->tv = calloc(ncols ? ncols : 1, sizeof *b->tv);
    b->tc = calloc(ncoef ? ncoef : 1, sizeof *b->tc);
    if (!b->pivot || !b->vec || !b->coef || !b->tv || !b->tc) {
        basis_free(b);
        return LB_ENOMEM;
    }
    return 0;
}

/* Copies the rows of src (no combinations) into dst, whose combinations start at 0. */
static void basis_copy(struct basis *dst, const struct basis *src)
{
    dst->rank = src->rank;
    memcpy(dst->pivot, src->pivot, src->rank * sizeof *src->pivot);
    memcpy(dst->vec, src->vec, src->rank * src->ncols * sizeof *src->vec);
    memset(dst->coef, 0, src->rank * (dst->ncoef ? dst->ncoef : 1) * sizeof *dst->coef);
}

/* Reduces (tv, tc) by the basis: tv loses every pivot column; tc
 * accumulates the combination subtracted, so tv = original - sum(tc_j x_j). */
static void reduce(struct basis *b)
{
    for (size_t k = 0; k < b->rank; k++) {
        uint64_t f = b->tv[b->pivot[k]];
        if (f == 0)
            continue;
        const uint64_t *bv = b->vec + k * b->ncols, *bc = b->coef + k * b->ncoef;
        for (size_t j = 0; j < b->ncols; j++) {
            if (bv[j])
                b->tv[j] = submod(b->tv[j], mulmod(f, bv[j]));
        }
        for (size_t j = 0; j < b->ncoef; j++) {
            if (bc[j])
                b->tc[j] = addmod(b->tc[j], mulmod(f, bc[j]));
        }
    }
}

static void load(struct basis *b, const uint64_t *v)
{
    memcpy(b->tv, v, b->ncols * sizeof *v);
    if (b->ncoef)
        memset(b->tc, 0, b->ncoef * sizeof *b->tc);
}

/* Adds v (combination index `which`, or none when the basis tracks none);
 * returns whether it was independent. */
static bool insert(struct basis *b, const uint64_t *v, size_t which)
{
    load(b, v);
    reduce(b);
    size_t pc = b->ncols;
    for (size_t j = 0; j < b->ncols; j++) {
        if (b->tv[j]) {
            pc = j;
            break;
        }
    }
    if (pc == b->ncols || b->rank == b->cap)
        return false;
    uint64_t inv = invmod(b->tv[pc]);
    uint64_t *nv = b->vec + b->rank * b->ncols, *nc = b->coef + b->rank * b->ncoef;
    for (size_t j = 0; j < b->ncols; j++)
        nv[j] = mulmod(b->tv[j], inv);
    if (b->ncoef) {
        for (size_t j = 0; j < b->ncoef; j++)
            nc[j] = mulmod(submod(0, b->tc[j]), inv);
        nc[which] = addmod(nc[which], inv);
    }
    b->pivot[b->rank++] = pc;
    return true;
}

/* Whether v is in the span; then tc holds a combination giving it. */
static bool in_span(struct basis *b, const uint64_t *v)
{
    load(b, v);
    reduce(b);
    for (size_t j = 0; j < b->ncols; j++) {
        if (b->tv[j])
            return false;
    }
    return true;
}

/* --- the solver ------------------------------------------------------------------------ */

struct col {
    size_t atom;
    int quarter;
};

/* Candidate order: fewest answers, then a quarter before a year to date, then
 * the lower class, then the row. */
static bool better(const struct lb_supp_table *t, size_t ca, size_t cb)
{
    size_t ra = ca / LB_SUPP_PERIODS, rb = cb / LB_SUPP_PERIODS;
    int pa = (int)(ca % LB_SUPP_PERIODS), pb = (int)(cb % LB_SUPP_PERIODS);
    uint64_t na = lb_supp_cell_n(t, ra, pa), nb = lb_supp_cell_n(t, rb, pb);
    if (na != nb)
        return na < nb;
    bool ya = pa >= LB_SUPP_Y2, yb = pb >= LB_SUPP_Y2;
    if (ya != yb)
        return !ya;
    int ka = t->klass ? t->klass[ra] : 0, kb = t->klass ? t->klass[rb] : 0;
    if (ka != kb)
        return ka < kb;
    return ra < rb;
}

/* The columns: every (atom, quarter) holding answers, reduced per block and
 * quarter to a linearly independent subset over the cells. *out is malloc'd. */
static int columns(const struct lb_supp_table *t, struct col **out, size_t *ncols)
{
    size_t ncells = t->nrows * LB_SUPP_PERIODS, n = 0, widest = 1;
    for (size_t a0 = 0, a1; a0 < t->natoms; a0 = a1) {
        for (a1 = a0 + 1; t->block && a1 < t->natoms && t->block[a1] == t->block[a0]; a1++)
            ;
        if (a1 - a0 > widest)
            widest = a1 - a0;
    }
    struct col *all = malloc(t->natoms * 4 * sizeof *all);
    uint64_t *cv = malloc(ncells * sizeof *cv);
    struct basis b;
    if (!all || !cv || basis_init(&b, ncells, 0, widest < ncells ? widest : ncells) != 0) {
        free(all);
        free(cv);
        return LB_ENOMEM;
    }
    for (size_t a0 = 0, a1; a0 < t->natoms; a0 = a1) {
        for (a1 = a0 + 1; t->block && a1 < t->natoms && t->block[a1] == t->block[a0]; a1++)
            ;
        for (int i = 0; i < 4; i++) {
            /* One block and quarter: its columns as vectors over the cells. */
            b.rank = 0;
            for (size_t a = a0; a < a1; a++) {
                if (t->atom_n[a][i] == 0)
                    continue;
                for (size_t c = 0; c < ncells; c++) {
                    size_t row = c / LB_SUPP_PERIODS;
                    cv[c] =
                        in_period(i, (int)(c % LB_SUPP_PERIODS)) ? t->w[row * t->natoms + a] : 0;
                }
                if (insert(&b, cv, 0))
                    all[n++] = (struct col){a, i};
            }
        }
    }
    basis_free(&b);
    free(cv);
    *out = all;
    *ncols = n;
    return 0;
}

int lb_supp_solve(const struct lb_supp_table *t, int min_answers, bool *hidden)
{
    if (t->nrows == 0 || t->nrows > LB_SUPP_ROWS_MAX || t->natoms == 0 ||
        t->natoms > LB_SUPP_ATOMS_MAX)
        return LB_EINVAL;
    size_t ncells = t->nrows * LB_SUPP_PERIODS;
    uint64_t min = (uint64_t)(min_answers > 0 ? min_answers : 1);
    for (size_t c = 0; c < ncells; c++)
        hidden[c] = lb_supp_cell_n(t, c / LB_SUPP_PERIODS, (int)(c % LB_SUPP_PERIODS)) < min;

    struct col *cols = NULL;
    size_t ncols = 0;
    int rc = columns(t, &cols, &ncols);
    if (rc != 0)
        return rc;
    if (ncols == 0) { /* no answers at all: every cell is n = 0 */
        free(cols);
        return 0;
    }
    /* Every cell's vector over the columns, and the cells of each step. */
    uint64_t *vec = calloc(ncells * ncols, sizeof *vec);
    size_t *newc = malloc(2 * t->nrows * sizeof *newc);
    bool *covered = malloc(ncols * sizeof *covered);
    struct basis old, cur;
    memset(&old, 0, sizeof old);
    memset(&cur, 0, sizeof cur);
    size_t cap = ncols;
    rc = LB_ENOMEM;
    if (!vec || !newc || !covered || basis_init(&old, ncols, 0, cap) != 0 ||
        basis_init(&cur, ncols, 2 * t->nrows, cap) != 0)
        goto out;
    for (size_t c = 0; c < ncells; c++) {
        size_t row = c / LB_SUPP_PERIODS;
        int p = (int)(c % LB_SUPP_PERIODS);
        for (size_t j = 0; j < ncols; j++) {
            if (in_period(cols[j].quarter, p))
                vec[c * ncols + j] = t->w[row * t->natoms + cols[j].atom];
        }
    }
    for (int step = 1; step <= 4; step++) {
        /* The settled cells of earlier steps. */
        old.rank = 0;
        size_t nnew = 0;
        for (size_t c = 0; c < ncells; c++) {
            int s = step_of((int)(c % LB_SUPP_PERIODS));
            if (s < step && !hidden[c])
                insert(&old, vec + c * ncols, 0);
            else if (s == step)
                newc[nnew++] = c;
        }
        /* Each round suppresses one more of this step's cells. */
        for (size_t round = 0; round <= nnew; round++) {
            basis_copy(&cur, &old);
            memset(covered, 0, ncols * sizeof *covered);
            for (size_t c = 0; c < ncells; c++) {
                if (hidden[c] || step_of((int)(c % LB_SUPP_PERIODS)) > step)
                    continue;
                for (size_t j = 0; j < ncols; j++)
                    covered[j] |= vec[c * ncols + j] != 0;
            }
            for (size_t k = 0; k < nnew; k++) {
                if (!hidden[newc[k]])
                    insert(&cur, vec + newc[k] * ncols, k);
            }
            /* A suppressed cell holding answers that the published ones give away.
             * One with a column no published cell touches cannot be. */
            bool leak = false;
            for (size_t c = 0; c < ncells && !leak; c++) {
                int p = (int)(c % LB_SUPP_PERIODS);
                if (!hidden[c] || step_of(p) > step ||
                    lb_supp_cell_n(t, c / LB_SUPP_PERIODS, p) == 0)
                    continue;
                const uint64_t *v = vec + c * ncols;
                bool possible = false, any = false;
                for (size_t j = 0; j < ncols; j++) {
                    if (v[j]) {
                        any = true;
                        possible = covered[j];
                        if (!possible)
                            break;
                    }
                }
                if (any && possible)
                    leak = in_span(&cur, v);
            }
            if (!leak)
                break;
            /* cur.tc: the combination that gives it away, over this step's cells. */
            size_t best = ncells, fallback = ncells;
            for (size_t k = 0; k < nnew; k++) {
                size_t c = newc[k];
                if (hidden[c])
                    continue;
                if (fallback == ncells || better(t, c, fallback))
                    fallback = c;
                if (cur.tc[k] != 0 && (best == ncells || better(t, c, best)))
                    best = c;
            }
            if (best == ncells)
                best = fallback;
            if (best == ncells)
                break; /* nothing of this step left to suppress */
            hidden[best] = true;
        }
    }
    rc = 0;
out:
    basis_free(&old);
    basis_free(&cur);
    free(vec);
    free(newc);
    free(covered);
    free(cols);
    return rc;
}
