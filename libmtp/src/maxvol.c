/* SPDX-License-Identifier: BSD-3-Clause */
/* MaxVol linear algebra (spec mlip-compat.md §5.3): the active-set matrix A,
 * its inverse, rank-one swap updates.  Rows and their owners live in
 * active_set.c; this file only knows numbers.  A^-1 is kept row-major so
 * that every product is a sequence of axpy operations over contiguous
 * rows, which compilers vectorise without reassociating sums. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

mtp_status mtp_maxvol_init(mtp_maxvol *mv, int n, double init_value, mtp_error *err)
{
    memset(mv, 0, sizeof *mv);
    if (n <= 0) return mtp_fail(err, MTP_ERR_INVALID, "MaxVol needs at least one parameter");
    if (!(init_value > 0)) return mtp_fail(err, MTP_ERR_INVALID, "init_value must be > 0, not %g", init_value);
    mv->n = n;
    mv->A = mtp_calloc((size_t)n * n, sizeof(double));
    mv->ainv = mtp_calloc((size_t)n * n, sizeof(double));
    mv->w = mtp_calloc((size_t)n, sizeof(double));
    mv->col = mtp_calloc((size_t)n, sizeof(double));
    mv->diff = mtp_calloc((size_t)n, sizeof(double));
    if (!mv->A || !mv->ainv || !mv->w || !mv->col || !mv->diff) {
        mtp_maxvol_free(mv);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for a %d x %d active set", n, n);
    }
    for (int r = 0; r < n; r++) {
        mv->A[(size_t)r * n + r] = init_value;
        mv->ainv[(size_t)r * n + r] = 1.0 / init_value;
    }
    mv->log_det = n * log(init_value);
    return MTP_OK;
}

void mtp_maxvol_free(mtp_maxvol *mv)
{
    free(mv->A);
    free(mv->ainv);
    free(mv->w);
    free(mv->col);
    free(mv->diff);
    memset(mv, 0, sizeof *mv);
}

/* c[j] = sum_k b[k] A^-1[k][j] for four rows at once (one pass over A^-1). */
static void coeffs4(const mtp_maxvol *mv, const double *b0, const double *b1, const double *b2, const double *b3,
                    double *restrict c0, double *restrict c1, double *restrict c2, double *restrict c3)
{
    const int n = mv->n;
    memset(c0, 0, (size_t)n * sizeof(double));
    memset(c1, 0, (size_t)n * sizeof(double));
    memset(c2, 0, (size_t)n * sizeof(double));
    memset(c3, 0, (size_t)n * sizeof(double));
    for (int k = 0; k < n; k++) {
        const double *restrict a = mv->ainv + (size_t)k * n;
        const double x0 = b0[k], x1 = b1[k], x2 = b2[k], x3 = b3[k];
        for (int j = 0; j < n; j++) {
            c0[j] += x0 * a[j];
            c1[j] += x1 * a[j];
            c2[j] += x2 * a[j];
            c3[j] += x3 * a[j];
        }
    }
}

static void coeffs1(const mtp_maxvol *mv, const double *b, double *restrict c)
{
    const int n = mv->n;
    memset(c, 0, (size_t)n * sizeof(double));
    for (int k = 0; k < n; k++) {
        const double *restrict a = mv->ainv + (size_t)k * n;
        const double x = b[k];
        if (x != 0)
            for (int j = 0; j < n; j++) c[j] += x * a[j];
    }
}

void mtp_maxvol_coeffs(const mtp_maxvol *mv, const double *rows, long m, double *C)
{
    const size_t n = (size_t)mv->n;
    long i = 0;
    for (; i + 4 <= m; i += 4)
        coeffs4(mv, rows + i * n, rows + (i + 1) * n, rows + (i + 2) * n, rows + (i + 3) * n, C + i * n,
                C + (i + 1) * n, C + (i + 2) * n, C + (i + 3) * n);
    for (; i < m; i++) coeffs1(mv, rows + i * n, C + i * n);
}

double mtp_maxvol_grade(const mtp_maxvol *mv, const double *row, double *c)
{
    coeffs1(mv, row, c);
    double best = 0;
    for (int j = 0; j < mv->n; j++)
        if (fabs(c[j]) > best) best = fabs(c[j]);
    return best;
}

void mtp_maxvol_swap(mtp_maxvol *mv, double *rows, double *C, long m, long i0, int j0)
{
    const int n = mv->n;
    double *b = rows + (size_t)i0 * n, *a = mv->A + (size_t)j0 * n;
    const double t = C[(size_t)i0 * n + j0];
    /* Sherman-Morrison for A' = A + e_j0 (b - a)^T:
     *   A'^-1 = A^-1 - (A^-1 e_j0) ((b - a)^T A^-1) / t,  t = 1 + (b - a)^T A^-1 e_j0 = (b A^-1)_j0.
     * w = (b - a)^T A^-1 is computed from A^-1 itself rather than taken as
     * C[i0] - e_j0 (algebraically equal) so that round-off accumulated in C
     * does not leak into A^-1. */
    for (int k = 0; k < n; k++) mv->diff[k] = b[k] - a[k];
    coeffs1(mv, mv->diff, mv->w);
    for (int r = 0; r < n; r++) mv->col[r] = mv->ainv[(size_t)r * n + j0];
    for (int r = 0; r < n; r++) {
        double f = mv->col[r] / t;
        if (f == 0) continue;
        double *restrict ar = mv->ainv + (size_t)r * n;
        for (int k = 0; k < n; k++) ar[k] -= f * mv->w[k];
    }
    /* candidates: C_y <- C_y - (C_y,j0 / t) (C_i0 - e_j0); the swapped-out row
     * (now candidate i0) gets e_j0 - (C_i0 - e_j0) / t */
    double *ci = mv->w; /* w is no longer needed */
    memcpy(ci, C + (size_t)i0 * n, (size_t)n * sizeof(double));
    ci[j0] -= 1.0;
    for (long y = 0; y < m; y++) {
        if (y == i0) continue;
        double *restrict cy = C + (size_t)y * n;
        double f = cy[j0] / t;
        if (f != 0)
            for (int k = 0; k < n; k++) cy[k] -= f * ci[k];
    }
    double *c0 = C + (size_t)i0 * n;
    for (int k = 0; k < n; k++) c0[k] = -ci[k] / t;
    c0[j0] += 1.0;
    for (int k = 0; k < n; k++) {
        double tmp = a[k];
        a[k] = b[k];
        b[k] = tmp;
    }
    mv->log_det += log(fabs(t));
}

mtp_status mtp_maxvol_refresh(mtp_maxvol *mv, mtp_error *err)
{
    /* Gauss-Jordan with partial pivoting on [A | I]; the rank-one updates
     * lose accuracy over many swaps when |det A| grows by orders of
     * magnitude (from init_value * I), a fresh inverse does not. */
    const int n = mv->n;
    double *lu = mtp_calloc((size_t)n * n, sizeof(double)), *inv = mtp_calloc((size_t)n * n, sizeof(double));
    if (!lu || !inv) {
        free(lu);
        free(inv);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for a %d x %d inverse", n, n);
    }
    memcpy(lu, mv->A, (size_t)n * n * sizeof(double));
    for (int r = 0; r < n; r++) inv[(size_t)r * n + r] = 1;
    double ld = 0;
    for (int k = 0; k < n; k++) {
        int p = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(lu[(size_t)i * n + k]) > fabs(lu[(size_t)p * n + k])) p = i;
        double d = lu[(size_t)p * n + k];
        if (d == 0) {
            free(lu);
            free(inv);
            return mtp_fail(err, MTP_ERR_INVALID, "the active-set matrix is singular");
        }
        if (p != k)
            for (int j = 0; j < n; j++) {
                double t = lu[(size_t)k * n + j];
                lu[(size_t)k * n + j] = lu[(size_t)p * n + j];
                lu[(size_t)p * n + j] = t;
                t = inv[(size_t)k * n + j];
                inv[(size_t)k * n + j] = inv[(size_t)p * n + j];
                inv[(size_t)p * n + j] = t;
            }
        ld += log(fabs(d));
        double *lk = lu + (size_t)k * n, *ik = inv + (size_t)k * n;
        for (int j = 0; j < n; j++) {
            lk[j] /= d;
            ik[j] /= d;
        }
        for (int i = 0; i < n; i++) {
            if (i == k) continue;
            double f = lu[(size_t)i * n + k];
            if (f == 0) continue;
            double *li = lu + (size_t)i * n, *ii = inv + (size_t)i * n;
            for (int j = 0; j < n; j++) {
                li[j] -= f * lk[j];
                ii[j] -= f * ik[j];
            }
        }
    }
    memcpy(mv->ainv, inv, (size_t)n * n * sizeof(double));
    mv->log_det = ld;
    free(lu);
    free(inv);
    return MTP_OK;
}
