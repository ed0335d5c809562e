/* SPDX-License-Identifier: BSD-3-Clause */
/* The linear parameters (species + moment coefficients): LinOptimize, the
 * exact regularised least-squares solution for fixed radial coefficients
 * (spec 4.5 b; inside every varpro evaluation, at fixed steps of MLIP-3's
 * BFGS), and Rescale, the radial scaling that balances them (spec 4.5).
 *
 * Rescale uses the homogeneity of the basis in the radial scaling:
 * B_k(sigma) = sigma^d_k B_k(1), so the normal equations at a trial
 * sigma are those at the current one with rows/columns scaled by
 * f^d_k (f = sigma_trial / sigma) and need not be re-evaluated. */
#include "fit.h"
#include "fit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b,
                    const int *ldb, double *s, const double *rcond, int *rank, double *work, const int *lwork,
                    int *iwork, int *info);

/* Solve (G + diag lambda) x = b; lambda refreshed when it drifted outside
 * [0.01, 100] x its target 1e-10 max(1, G_ll) (spec 4.3), unless frozen. */
static mtp_status solve_normal(fit_ctx *c, const double *G, const double *b, double *x, int freeze_lambda,
                               int *lambda_changed, mtp_error *err)
{
    const int nl = c->nlin;
    int changed = 0;
    if (!freeze_lambda)
        for (int l = 0; l < nl; l++) {
            double target = 1e-10 * fmax(1.0, G[(size_t)l * nl + l]);
            double ratio = c->lambda[l] / target;
            if (!(ratio >= 0.01 && ratio <= 100)) {
                c->lambda[l] = target;
                changed = 1;
            }
        }
    if (lambda_changed) *lambda_changed = changed;
    /* equilibrated (Jacobi-scaled) system solved by SVD: the basis
     * functions differ by many orders of magnitude */
    double *Gs = malloc((size_t)nl * nl * sizeof(double)), *dsc = malloc((size_t)nl * sizeof(double));
    for (int l = 0; l < nl; l++) {
        double dl = G[(size_t)l * nl + l] + c->lambda[l];
        dsc[l] = dl > 0 ? 1.0 / sqrt(dl) : 1.0;
    }
    for (int i = 0; i < nl; i++) {
        x[i] = b[i] * dsc[i];
        for (int j = 0; j < nl; j++)
            Gs[(size_t)i * nl + j] = (G[(size_t)i * nl + j] + (i == j ? c->lambda[i] : 0.0)) * dsc[i] * dsc[j];
    }
    int info = 0, one = 1;
    {
        double *sv = malloc((size_t)nl * sizeof(double)), rcond = 1e-13, wq;
        int rank, lw = -1, *iw = malloc((size_t)(12 * nl + 64) * 8 * sizeof(int));
        dgelsd_(&nl, &nl, &one, Gs, &nl, x, &nl, sv, &rcond, &rank, &wq, &lw, iw, &info);
        lw = (int)wq + 1;
        double *wk = malloc((size_t)lw * sizeof(double));
        dgelsd_(&nl, &nl, &one, Gs, &nl, x, &nl, sv, &rcond, &rank, wk, &lw, iw, &info);
        free(wk), free(sv), free(iw);
    }
    for (int l = 0; l < nl; l++) x[l] *= dsc[l];
    free(dsc), free(Gs);
    if (info != 0) {
        if (err) snprintf(err->message, sizeof err->message, "linear least-squares solve failed (info %d)", info);
        return MTP_ERR_INVALID;
    }
    return MTP_OK;
}

/* LinOptimize: exact weighted least squares for (species, moment)
 * coefficients with the radial ones fixed.  *lambda_changed is set if the
 * ridge drifted outside [0.01, 100] times its target. */
mtp_status fit_lin_optimize_ex(fit_ctx *c, const mtp_cfg *cfgs, int n, int freeze_lambda, int *lambda_changed,
                                  mtp_error *err)
{
    const int nl = c->nlin;
    double *G = malloc((size_t)nl * nl * sizeof(double)), *b = malloc((size_t)nl * sizeof(double));
    double *x = malloc((size_t)nl * sizeof(double));
    mtp_status st = fit_build_normal(c, cfgs, n, G, b, err);
    if (!st) st = solve_normal(c, G, b, x, freeze_lambda, lambda_changed, err);
    if (!st) {
        memcpy(c->theta + c->nr, x, (size_t)nl * sizeof(double));
        st = fit_set_theta(c, c->theta, err);
    }
    free(G), free(b), free(x);
    return st;
}
mtp_status fit_lin_optimize(fit_ctx *c, const mtp_cfg *cfgs, int n, int *lambda_changed, mtp_error *err)
{
    return fit_lin_optimize_ex(c, cfgs, n, 0, lambda_changed, err);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* q = |xi|_2 / median |xi_l| */
static double balance(const double *xi, int nl)
{
    double *v = malloc((size_t)nl * sizeof(double)), n2 = 0;
    for (int l = 0; l < nl; l++) {
        v[l] = fabs(xi[l]);
        n2 += v[l] * v[l];
    }
    qsort(v, (size_t)nl, sizeof(double), cmp_double);
    double med = nl % 2 ? v[nl / 2] : 0.5 * (v[nl / 2 - 1] + v[nl / 2]);
    free(v);
    return med > 0 ? sqrt(n2) / med : INFINITY;
}

/* Normal equations built at sigma0 -> those at f * sigma0. */
static void scale_normal(const int *deg, int nl, double f, const double *G0, const double *b0, double *G, double *b)
{
    double *fp = malloc((size_t)nl * sizeof(double));
    for (int l = 0; l < nl; l++) fp[l] = pow(f, deg[l]);
    for (int i = 0; i < nl; i++) {
        for (int j = 0; j < nl; j++) G[(size_t)i * nl + j] = G0[(size_t)i * nl + j] * fp[i] * fp[j];
        b[i] = b0[i] * fp[i];
    }
    free(fp);
}

/* Rescale (spec 4.5): one evaluation of the normal equations, every trial
 * sigma by scaling them (exact, see scale_normal).  Falls back to
 * re-evaluation for a basis that is not homogeneous. */
mtp_status fit_rescale(fit_ctx *c, const mtp_cfg *cfgs, int n, mtp_error *err)
{
    static const double fac[5] = {1 / 1.2, 1 / 1.1, 1.0, 1.1, 1.2};
    const int nl = c->nlin;
    const double sigma0 = mtp_potential_get_info(c->pot).scaling;
    double sigma = sigma0, lo = sigma, hi = sigma;
    double *G0 = malloc((size_t)nl * nl * sizeof(double)), *b0 = malloc((size_t)nl * sizeof(double));
    double *G = malloc((size_t)nl * nl * sizeof(double)), *b = malloc((size_t)nl * sizeof(double));
    double *x = malloc((size_t)nl * sizeof(double)), *best = malloc((size_t)nl * sizeof(double));
    mtp_status st = MTP_OK;
    if (c->have_deg && (st = fit_build_normal(c, cfgs, n, G0, b0, err))) goto out;
    int rounds = 0;
    for (; rounds < 200; rounds++) {
        double best_q = INFINITY, best_s = sigma;
        int best_i = 2;
        for (int i = 0; i < 5; i++) {
            double s = sigma * fac[i];
            if (c->have_deg) {
                scale_normal(c->deg, nl, s / sigma0, G0, b0, G, b);
            } else {
                if ((st = mtp_potential_set_scaling(c->pot, s, err))) goto out;
                if ((st = fit_build_normal(c, cfgs, n, G, b, err))) goto out;
            }
            if ((st = solve_normal(c, G, b, x, 0, NULL, err))) goto out;
            double q = balance(x, nl);
            if (q < best_q || (q == best_q && i == 2)) {
                best_q = q, best_s = s, best_i = i;
                memcpy(best, x, (size_t)nl * sizeof(double));
            }
        }
        sigma = best_s;
        int at_end = best_i == 0 || best_i == 4;
        int outside = sigma < lo * 0.999 || sigma > hi * 1.001;
        if (sigma < lo) lo = sigma;
        if (sigma > hi) hi = sigma;
        if (!at_end || !outside) break;
    }
    if ((st = mtp_potential_set_scaling(c->pot, sigma, err))) goto out;
    memcpy(c->theta + c->nr, best, (size_t)nl * sizeof(double));
    st = fit_set_theta(c, c->theta, err);
    fit_note(c, "# rescale: scaling = %.6g (%d rounds)\n", sigma, rounds + 1);
out:
    free(G0), free(b0), free(G), free(b), free(x), free(best);
    return st;
}
int fit_scale_normal_equations(const mtp_potential *pot, double f, double *G, double *b)
{
    mtp_potential_info info = mtp_potential_get_info(pot);
    int S = info.species_count, nl = S + info.scalar_count;
    int *deg = calloc((size_t)nl, sizeof(int));
    if (mtp_potential_basis_degrees(pot, deg + S)) {
        free(deg);
        return -1;
    }
    double *G0 = malloc((size_t)nl * nl * sizeof(double)), *b0 = malloc((size_t)nl * sizeof(double));
    memcpy(G0, G, (size_t)nl * nl * sizeof(double));
    memcpy(b0, b, (size_t)nl * sizeof(double));
    scale_normal(deg, nl, f, G0, b0, G, b);
    free(G0), free(b0), free(deg);
    return 0;
}
