/* suppression.h: primary and secondary suppression of related figures over a year.
 *
 * A table is a set of figures (rows) published for seven periods of a year:
 * the four quarters and the years to date after Q2, Q3 and Q4 (after Q1 it is
 * Q1 itself; after Q4 it is the year). Every published index or share is, up
 * to an affine map that its public n fixes, a weighted sum of answers, so one
 * cell can be worked out from others when its sum is a linear combination of
 * theirs: Q1 = Y2 - Q2; a unit = the total - the other units; a unit's NKI =
 * the mean of its three NKI questions when every respondent answered all
 * three. The answers are grouped in atoms (one kind of answer: a unit's
 * yes/no answers, or the answers to one NKI question by respondents who
 * answered a given set of the three), and a row is a weighted sum of atoms.
 *
 * lb_supp_solve marks the cells to suppress: primarily every cell on fewer
 * than min_answers answers (n = 0 included), secondarily as statistics offices
 * do it (SCB's practice) — as long as some suppressed cell holding answers is
 * a linear combination of the published ones, one more cell is suppressed.
 * Periods are settled in the order they are published (Q1; Q2 and Y2; Q3 and
 * Y3; Q4 and Y4), and a complement is only ever taken among the cells of the
 * period being settled, since what an earlier quarter published is out. Of the
 * candidates that take part in the combination found, the one on the fewest
 * answers is suppressed (then a quarter before a year to date, then a lower
 * class: a unit's figure before a total), so as little as possible is
 * withheld: typically the next quarter's figure of the same unit, and the
 * year's figure last. */
#ifndef LOTSBOK_SUPPRESSION_H
#define LOTSBOK_SUPPRESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LB_SUPP_PERIODS 7
enum { LB_SUPP_Q1, LB_SUPP_Q2, LB_SUPP_Q3, LB_SUPP_Q4, LB_SUPP_Y2, LB_SUPP_Y3, LB_SUPP_Y4 };

#define LB_SUPP_ROWS_MAX 1024
#define LB_SUPP_ATOMS_MAX 2048

struct lb_supp_table {
    size_t nrows;  /* figures, 1..LB_SUPP_ROWS_MAX */
    size_t natoms; /* kinds of answers, 1..LB_SUPP_ATOMS_MAX */
    /* w[row * natoms + atom]: the weight of the atom's answers in the row's
     * sum (0: not in it); any positive scale per row */
    const uint8_t *w;
    const uint64_t (*atom_n)[4]; /* answers in the atom in quarter i + 1 (0: known empty) */
    const uint64_t (*row_n)[4];  /* answers (or respondents) behind the row in quarter i + 1 */
    const uint8_t *klass;        /* per row, the tie-break (a total above its units); may be NULL */
    /* per atom, its block: the atoms of one block (adjacent) and quarter are
     * one unit's answers to related questions, whose columns are reduced
     * together (only linear relations matter); may be NULL (every atom its
     * own block) */
    const uint32_t *block;
};

/* Fills hidden[row * LB_SUPP_PERIODS + period] for every row and period:
 * true where the cell must not be published. Returns 0, LB_EINVAL (sizes out
 * of range) or LB_ENOMEM. */
int lb_supp_solve(const struct lb_supp_table *t, int min_answers, bool *hidden);

/* The answers behind cell (row, period). */
uint64_t lb_supp_cell_n(const struct lb_supp_table *t, size_t row, int period);

#endif
