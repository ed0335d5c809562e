/* SPDX-License-Identifier: BSD-3-Clause */
/* Extrapolation grades from the MaxVol active set stored in an .almtp
 * (MLIP-3 "MVS_v1.1" section; spec mlip-compat.md §2.6 and §5). */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mtp_grader {
    const mtp_potential *pot;
    mtp_calculator *calc;
    int n;                  /* parameters */
    mtp_grade_mode mode;
    double energy_weight;
    int weight_scaling;
    /* A^-1 as [n][ld] (row k, column j), columns padded with zeros to ld, a
     * multiple of GRADE_COLS, aligned: the grading kernel streams it by rows */
    double *ainv;
    int ld;
    double *rows;           /* [GRADE_CHUNK][n] site rows of mtp_grade */
    double *sum;            /* [n] */
};

/* Sites per batch in mtp_grade, and the register block of the grading
 * kernel: GRADE_ROWS rows times GRADE_COLS columns of A^-1. */
#define GRADE_CHUNK 64
#define GRADE_ROWS 4
#define GRADE_COLS 8

mtp_status mtp_grader_create(const mtp_potential *pot, mtp_grader **out, mtp_error *err)
{
    *out = NULL;
    mtp_mvs_header h;
    mtp_status hs = mtp_mvs_header_read(pot, &h, err);
    if (hs) return hs;
    int n = mtp_potential_param_count(pot);
    mtp_grader *g = mtp_calloc(1, sizeof *g);
    if (!g) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    g->pot = pot;
    g->n = n;
    g->mode = h.mode;
    g->energy_weight = h.energy_weight;
    g->weight_scaling = h.weight_scaling;
    g->ld = (n + GRADE_COLS - 1) / GRADE_COLS * GRADE_COLS;
    g->ainv = mtp_aligned_calloc((size_t)n * g->ld, sizeof(double));
    g->rows = mtp_calloc((size_t)GRADE_CHUNK * n, sizeof(double));
    g->sum = mtp_calloc((size_t)n, sizeof(double));
    mtp_status st = g->ainv && g->rows && g->sum ? mtp_calculator_create(pot, &g->calc, err)
                                                 : mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    if (!st) {
        /* the section stores (A^-1)^T row-major, not 8-byte aligned */
        const unsigned char *ainv_t = pot->al_section + h.matrices + (size_t)n * n * sizeof(double);
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++)
                memcpy(g->ainv + (size_t)k * g->ld + j, ainv_t + ((size_t)j * n + k) * sizeof(double), sizeof(double));
    }
    if (st) {
        mtp_grader_destroy(g);
        return st;
    }
    *out = g;
    return MTP_OK;
}

void mtp_grader_destroy(mtp_grader *g)
{
    if (!g) return;
    mtp_calculator_destroy(g->calc);
    free(g->ainv);
    free(g->rows);
    free(g->sum);
    free(g);
}

mtp_grade_mode mtp_grader_mode(const mtp_grader *g) { return g->mode; }

/* Hot loops for AVX-512, AVX2 and baseline x86-64, picked at load time (as
 * in kernel.c).  grade.c is compiled with -ffp-contract=off: every c_j is
 * the sum over k of row_k * (A^-1)_kj with one rounding per product and per
 * addition, in order k = 0, 1, ..., whatever the instruction set, so the
 * grades do not depend on the build or on how many rows are graded at once. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(OPENMTP_NO_CLONES)
#define GRADE_HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GRADE_HOT
#endif

typedef double v4d __attribute__((vector_size(32)));
#define V4_INLINE static inline __attribute__((always_inline))
V4_INLINE v4d v4_load(const double *p) { return *(const v4d *)(const void *)p; }
typedef long long v4l __attribute__((vector_size(32)));
/* |v|: the sign bit cleared, as fabs does */
V4_INLINE v4d v4_abs(v4d v)
{
    const long long m = 0x7fffffffffffffffLL;
    return (v4d)((v4l)v & (v4l){m, m, m, m});
}
V4_INLINE v4d v4_raise(v4d best, v4d x)
{
    v4l up = x > best; /* all ones where x is larger (false for a NaN x) */
    return (v4d)((up & (v4l)x) | (~up & (v4l)best));
}

/* grades[s] = max_j |(rows[s] A^-1)_j| for nr rows of n parameters: blocks of
 * GRADE_ROWS rows against GRADE_COLS columns of A^-1 at a time, so that A^-1
 * is read once per block of rows instead of once per row (a gemm, not nr
 * gemvs), with the accumulators in registers. */
GRADE_HOT
static void grade_rows(const mtp_grader *g, int nr, const double *rows, double *grades)
{
    const int n = g->n, ld = g->ld;
    const double *ainv = g->ainv;
    for (int s0 = 0; s0 < nr; s0 += GRADE_ROWS) {
        const int m = nr - s0 < GRADE_ROWS ? nr - s0 : GRADE_ROWS;
        /* missing rows of the last block repeat its first row */
        const double *r[GRADE_ROWS];
        for (int l = 0; l < GRADE_ROWS; l++) r[l] = rows + (size_t)(s0 + (l < m ? l : 0)) * n;
        v4d best[GRADE_ROWS];
        for (int l = 0; l < GRADE_ROWS; l++) best[l] = (v4d){0, 0, 0, 0};
        for (int j = 0; j < ld; j += GRADE_COLS) {
            v4d c00 = {0, 0, 0, 0}, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
            const double *a = ainv + j;
            for (int k = 0; k < n; k++, a += ld) {
                const v4d a0 = v4_load(a), a1 = v4_load(a + 4);
                const double b0 = r[0][k], b1 = r[1][k], b2 = r[2][k], b3 = r[3][k];
                c00 = c00 + b0 * a0;
                c01 = c01 + b0 * a1;
                c10 = c10 + b1 * a0;
                c11 = c11 + b1 * a1;
                c20 = c20 + b2 * a0;
                c21 = c21 + b2 * a1;
                c30 = c30 + b3 * a0;
                c31 = c31 + b3 * a1;
            }
            /* padding columns of A^-1 are zero: they cannot raise the maximum */
            best[0] = v4_raise(v4_raise(best[0], v4_abs(c00)), v4_abs(c01));
            best[1] = v4_raise(v4_raise(best[1], v4_abs(c10)), v4_abs(c11));
            best[2] = v4_raise(v4_raise(best[2], v4_abs(c20)), v4_abs(c21));
            best[3] = v4_raise(v4_raise(best[3], v4_abs(c30)), v4_abs(c31));
        }
        for (int l = 0; l < m; l++) {
            double x = 0;
            for (int e = 0; e < 4; e++)
                if (best[l][e] > x) x = best[l][e];
            grades[s0 + l] = x;
        }
    }
}

double mtp_grade_site_row(const mtp_grader *g, const double *row)
{
    /* c_j = sum_k b_k (A^-1)_kj;  gamma = max |c_j| */
    double grade;
    grade_rows(g, 1, row, &grade);
    return grade;
}

void mtp_grade_site_rows(const mtp_grader *g, int n_rows, const double *rows, double *grades)
{
    grade_rows(g, n_rows, rows, grades);
}

double mtp_grade_cfg_row(const mtp_grader *g, const double *row_sum, long n_atoms)
{
    /* the row is energy_weight / N^(p/2) * sum of site rows; gamma is linear in it */
    double scale = g->energy_weight / pow((double)n_atoms, 0.5 * g->weight_scaling);
    return fabs(scale) * mtp_grade_site_row(g, row_sum);
}

mtp_status mtp_grade(mtp_grader *g, const mtp_cfg *cfg, double *grade, double *atom_grades, mtp_error *err)
{
    mtp_calculator *c = g->calc;
    const mtp_potential *p = g->pot;
    const int n = cfg->n_atoms;
    *grade = 0;
    if (n == 0) return MTP_OK;
    int *sp = mtp_calloc((size_t)n, sizeof(int));
    if (!sp) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    mtp_status st = mtp_potential_cfg_species(p, cfg, sp, err);
    if (!st) st = mtp_nlist_build(&c->nl, cfg, p->max_dist, err);
    int *nsp = NULL;
    if (!st && !(nsp = mtp_calloc((size_t)(c->nl.n_pairs ? c->nl.n_pairs : 1), sizeof(int))))
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    for (long k = 0; !st && k < c->nl.n_pairs; k++) nsp[k] = sp[c->nl.index[k]];
    memset(g->sum, 0, (size_t)g->n * sizeof(double));
    long n_real = 0;
    const size_t P = (size_t)g->n;
    for (int i0 = 0; i0 < n && !st;) {
        /* ghost atoms (MLIP-3 sub-domain halos) are neighbours only */
        if (cfg->ghost && cfg->ghost[i0]) {
            if (atom_grades) atom_grades[i0] = 0;
            i0++;
            continue;
        }
        /* a run of real atoms, evaluated together: their neighbour lists are
         * consecutive, so the run's offsets are those of the list */
        int i1 = i0 + 1;
        while (i1 < n && i1 - i0 < GRADE_CHUNK && !(cfg->ghost && cfg->ghost[i1])) i1++;
        const int m = i1 - i0;
        st = mtp_sites_eval(c, m, sp + i0, c->nl.offset + i0, nsp, c->nl.rij, NULL, NULL, g->rows, NULL);
        if (st) { /* name the failing atom as the single-site kernel does */
            for (int i = i0; i < i1; i++) {
                long o = c->nl.offset[i];
                st = mtp_site_eval(c, sp[i], (int)(c->nl.offset[i + 1] - o), nsp + o, c->nl.rij + 3 * o, NULL, NULL,
                                   NULL, g->rows, err);
                if (st) break;
            }
            if (!st) st = mtp_fail(err, MTP_ERR_INVALID, "atoms %d..%d could not be graded together", i0 + 1, i1);
            break;
        }
        /* a NaN row compares as "grade 0": the most extrapolative
         * neighbourhood of all would look perfectly safe */
        for (size_t k = 0; k < (size_t)m * P; k++)
            if (!isfinite(g->rows[k])) {
                st = mtp_fail(err, MTP_ERR_INVALID, "atom %d: non-finite grade row (the potential overflows here)",
                              i0 + (int)(k / P) + 1);
                break;
            }
        if (st) break;
        n_real += m;
        if (g->mode == MTP_GRADE_NEIGHBORHOOD) {
            double gi[GRADE_CHUNK];
            grade_rows(g, m, g->rows, gi);
            for (int l = 0; l < m; l++) {
                if (atom_grades) atom_grades[i0 + l] = gi[l];
                if (gi[l] > *grade) *grade = gi[l];
            }
        } else {
            for (int l = 0; l < m; l++)
                for (size_t k = 0; k < P; k++) g->sum[k] += g->rows[l * P + k];
        }
        i0 = i1;
    }
    if (!st && g->mode == MTP_GRADE_CONFIGURATION && n_real > 0) *grade = mtp_grade_cfg_row(g, g->sum, n_real);
    free(sp);
    free(nsp);
    return st;
}
