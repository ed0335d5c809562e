/* MaxVol linear algebra (spec mlip-compat.md §5.3): the active-set matrix A,
 * its inverse, rank-one swap updates.  Rows and their owners live in
 * active_set.c; this file only knows numbers. */
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
    mv->ainv_t = mtp_calloc((size_t)n * n, sizeof(double));
    mv->w = mtp_calloc((size_t)n, sizeof(double));
    mv->col = mtp_calloc((size_t)n, sizeof(double));
    mv->diff = mtp_calloc((size_t)n, sizeof(double));
    if (!mv->A || !mv->ainv_t || !mv->w || !mv->col || !mv->diff) {
        mtp_maxvol_free(mv);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for a %d x %d active set", n, n);
    }
    for (int r = 0; r < n; r++) {
        mv->A[(size_t)r * n + r] = init_value;
        mv->ainv_t[(size_t)r * n + r] = 1.0 / init_value;
    }
    mv->log_det = n * log(init_value);
    return MTP_OK;
}

void mtp_maxvol_free(mtp_maxvol *mv)
{
    free(mv->A);
    free(mv->ainv_t);
    free(mv->w);
    free(mv->col);
    free(mv->diff);
    memset(mv, 0, sizeof *mv);
}

double mtp_maxvol_grade(const mtp_maxvol *mv, const double *row, int *col)
{
    const int n = mv->n;
    double best = 0;
    int jb = 0;
    for (int j = 0; j < n; j++) {
        const double *t = mv->ainv_t + (size_t)j * n;
        double c = 0;
        for (int k = 0; k < n; k++) c += row[k] * t[k];
        if (fabs(c) > best) {
            best = fabs(c);
            jb = j;
        }
    }
    if (col) *col = jb;
    return best;
}

void mtp_maxvol_coeffs(const mtp_maxvol *mv, const double *rows, long m, double *C)
{
    /* C[i][j] = rows[i] . (A^-1)^T[j]; blocked over j so a tile of A^-1 stays in cache */
    const int n = mv->n;
    enum { JB = 32 };
    for (int j0 = 0; j0 < n; j0 += JB) {
        int j1 = j0 + JB < n ? j0 + JB : n;
        for (long i = 0; i < m; i++) {
            const double *b = rows + (size_t)i * n;
            for (int j = j0; j < j1; j++) {
                const double *t = mv->ainv_t + (size_t)j * n;
                double c = 0;
                for (int k = 0; k < n; k++) c += b[k] * t[k];
                C[(size_t)i * n + j] = c;
            }
        }
    }
}

void mtp_maxvol_swap(mtp_maxvol *mv, double *rows, double *C, long m, long i0, int j0)
{
    const int n = mv->n;
    double *b = rows + (size_t)i0 * n, *a = mv->A + (size_t)j0 * n;
    const double t = C[(size_t)i0 * n + j0];
    /* Sherman-Morrison for A' = A + e_j0 (b - a)^T:
     *   A'^-1 = A^-1 - (A^-1 e_j0) ((b - a)^T A^-1) / t,  t = 1 + (b - a)^T A^-1 e_j0 = (b A^-1)_j0.
     * w = (b - a)^T A^-1 is computed from A^-1 itself rather than from C[i0] - e_j0
     * (algebraically equal) so that round-off in C does not leak into A^-1. */
    for (int k = 0; k < n; k++) mv->diff[k] = b[k] - a[k];
    for (int k = 0; k < n; k++) {
        const double *tk = mv->ainv_t + (size_t)k * n;
        double s = 0;
        for (int r = 0; r < n; r++) s += mv->diff[r] * tk[r];
        mv->w[k] = s;
    }
    memcpy(mv->col, mv->ainv_t + (size_t)j0 * n, (size_t)n * sizeof(double)); /* column j0 of A^-1 */
    for (int k = 0; k < n; k++) {
        double f = mv->w[k] / t;
        if (f == 0) continue;
        double *tk = mv->ainv_t + (size_t)k * n;
        for (int r = 0; r < n; r++) tk[r] -= f * mv->col[r];
    }
    /* candidates: C_y <- C_y - (C_y,j0 / t) (C_i0 - e_j0); the swapped-out row
     * (now candidate i0) gets e_j0 - (C_i0 - e_j0) / t */
    double *ci = mv->w; /* reuse: w is no longer needed */
    memcpy(ci, C + (size_t)i0 * n, (size_t)n * sizeof(double));
    ci[j0] -= 1.0;
    for (long y = 0; y < m; y++) {
        if (y == i0) continue;
        double *cy = C + (size_t)y * n;
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
