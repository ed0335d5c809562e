/* SPDX-License-Identifier: BSD-3-Clause */
/* The trainer's objective (spec section 4): MLIP-3's weighted sum of
 * squared energy, force and stress residuals with per-configuration
 * weights, the radial penalty and the ridge of the linear parameters;
 * its gradient (libmtp jacobian.c); and the normal equations of the
 * linear parameters built from the design rows.  Sums over
 * configurations are order-independent (fit_reduce.c). */
#include "fit.h"
#include "fit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k, const double *alpha,
                   const double *a, const int *lda, const double *beta, double *c, const int *ldc);
extern void dgemv_(const char *trans, const int *m, const int *n, const double *alpha, const double *a,
                   const int *lda, const double *x, const int *incx, const double *beta, double *y, const int *incy);

/* Per-configuration weight multipliers from the features EnergyWeight,
 * ForceWeight and StressWeight (Weight multiplies all three); 1 when absent.
 * The rule is the library's (mtp_cfg_fit_weights), which check_errors uses
 * too; values are checked by fit_check_data (fit_check_weights) before training. */
static void cfg_weights(const mtp_cfg *cf, double w[3])
{
    mtp_cfg_fit_weights(cf, w, NULL);
}

mtp_status fit_check_weights(const mtp_cfg *cfgs, int n, const char *name, mtp_error *err)
{
    for (int k = 0; k < n; k++) {
        double w[3];
        mtp_error e;
        if (mtp_cfg_fit_weights(&cfgs[k], w, &e)) {
            if (err) {
                err->status = e.status;
                snprintf(err->message, sizeof err->message, "%.200s: configuration %d: %.700s", name, k + 1, e.message);
            }
            return e.status;
        }
    }
    return MTP_OK;
}

/* Radial penalty of spec 4.3 (and its gradient added to g). */
static double penalty(const fit_ctx *c, const double *th, double *g)
{
    const int K = c->K, R = c->R, npair = c->S * c->S;
    double wP = c->o->penalty_weight, pen = 0;
    double *C = calloc((size_t)K * K, sizeof(double));
    for (int m = 0; m < K; m++)
        for (int m2 = m; m2 < K; m2++) {
            double s = 0;
            for (int pr = 0; pr < npair; pr++)
                for (int b = 0; b < R; b++) s += th[((size_t)pr * K + m) * R + b] * th[((size_t)pr * K + m2) * R + b];
            C[m * K + m2] = C[m2 * K + m] = s;
        }
    for (int m = 0; m < K; m++) {
        pen += wP * (C[m * K + m] - 1) * (C[m * K + m] - 1);
        for (int m2 = m + 1; m2 < K; m2++) pen += wP * C[m * K + m2] * C[m * K + m2];
    }
    if (g)
        for (int pr = 0; pr < npair; pr++)
            for (int m = 0; m < K; m++)
                for (int b = 0; b < R; b++) {
                    double acc = 4 * (C[m * K + m] - 1) * th[((size_t)pr * K + m) * R + b];
                    for (int m2 = 0; m2 < K; m2++)
                        if (m2 != m) acc += 2 * C[m * K + m2] * th[((size_t)pr * K + m2) * R + b];
                    g[((size_t)pr * K + m) * R + b] += wP * acc;
                }
    free(C);
    for (int l = 0; l < c->nlin; l++) {
        double x = th[c->nr + l];
        pen += c->lambda[l] * x * x;
        if (g) g[c->nr + l] += 2 * c->lambda[l] * x;
    }
    return pen;
}

/* Loss (and gradient) at the potential's current parameters, summed over
 * the local configurations and all ranks. */
mtp_status fit_eval_loss(fit_ctx *c, const mtp_cfg *cfgs, int n, double *loss, double *grad, fit_stats *stats,
                            int with_penalty, mtp_error *err)
{
    const fit_options *o = c->o;
    const int P = c->P, nth = c->nth;
    const size_t NH = 8; /* header: L, Ktot, 6 stats */
    const size_t NV = NH + (grad ? (size_t)P : 0);
    double *acc = calloc((size_t)nth * 2 * NV, sizeof(double));
    double L = 0, t_start = fit_now();
    fit_stats st = {0};
    mtp_status status = MTP_OK;
#pragma omp parallel num_threads(nth)
    {
        int tid = fit_thread_id();
        double *F = NULL, *fadj = NULL, *dE = NULL, *dFW = NULL, *v = calloc(NV, sizeof(double));
        double *A2 = acc + (size_t)tid * 2 * NV;
        long cap = 0;
        if (grad) {
            dE = malloc((size_t)P * sizeof(double));
            dFW = malloc((size_t)P * sizeof(double));
        }
        mtp_error lerr;
#pragma omp for schedule(dynamic, 1)
        for (int k = 0; k < n; k++) {
            const mtp_cfg *cf = &cfgs[k];
            const int N = cf->n_atoms;
            if (N == 0 || status) continue;
            if (3L * N > cap) {
                cap = 3L * N;
                free(F);
                free(fadj);
                F = malloc((size_t)cap * sizeof(double));
                fadj = malloc((size_t)cap * sizeof(double));
            }
            double E, W[6];
            mtp_status s = mtp_compute(c->calc[tid], cf, &E, F, W, NULL, NULL, &lerr);
            if (s) {
#pragma omp critical
                {
                    status = s;
                    if (err) *err = lerr;
                }
                continue;
            }
            double coefE = 0, wadj[6] = {0}, Lk = 0, cw[3];
            cfg_weights(cf, cw);
            int useF = 0, useS = 0;
            memset(v, 0, NV * sizeof(double));
            v[1] = 1;
            if (cf->has_energy && o->energy_weight != 0) {
                double r = E - cf->energy, w = cw[0] * o->energy_weight * pow(N, -o->weight_scaling);
                Lk += w * r * r;
                coefE = 2 * w * r;
                v[2] = (r / N) * (r / N);
                v[5] = 1;
            }
            if (cf->forces && o->force_weight != 0) {
                /* per-atom weights (force_weight column) multiply each
                 * atom's residual term; atoms of weight 0 stay out of the
                 * reported force errors too */
                double w = cw[1] * o->force_weight * pow(N, -o->weight_scaling_forces), f2 = 0, nf = 0;
                for (int x = 0; x < 3 * N; x++) {
                    double wa = cf->force_weights ? cf->force_weights[x / 3] : 1.0;
                    double r = F[x] - cf->forces[x];
                    Lk += w * wa * r * r;
                    fadj[x] = 2 * w * wa * r;
                    if (wa != 0) f2 += r * r, nf++;
                }
                v[3] = f2;
                v[6] = nf;
                useF = 1;
            }
            if (cf->has_stress && o->stress_weight != 0) {
                double w = cw[2] * o->stress_weight / N, V = mtp_cfg_volume(cf), s2 = 0;
                for (int q = 0; q < 6; q++) {
                    double r = W[q] - cf->stress[q], m = q < 3 ? 1 : 2;
                    Lk += w * m * r * r;
                    wadj[q] = 2 * w * m * r;
                    double rs = V > 0 ? r / V * 160.21766208 : r / N;
                    s2 += m * rs * rs;
                }
                v[4] = s2;
                v[7] = 9;
                useS = 1;
            }
            v[0] = Lk;
            if (grad && (coefE != 0 || useF || useS)) {
                s = mtp_cfg_param_grad(c->pd[tid], cf, useF ? fadj : NULL, useS ? wadj : NULL, coefE != 0 ? dE : NULL,
                                       (useF || useS) ? dFW : NULL, &lerr);
                if (s) {
#pragma omp critical
                    {
                        status = s;
                        if (err) *err = lerr;
                    }
                    continue;
                }
                double *g = v + NH;
                for (int x = 0; x < P; x++)
                    g[x] = (coefE != 0 ? coefE * dE[x] : 0.0) + ((useF || useS) ? dFW[x] : 0.0);
            }
            for (size_t x = 0; x < NV; x++) fit_dd_add(A2 + 2 * x, v[x]);
        }
        free(F), free(fadj), free(dE), free(dFW), free(v);
    }
    mtp_status combined = fit_combine_sums(c, acc, NV, nth, status, "evaluation failed on another MPI rank", err);
    if (combined) {
        free(acc);
        return combined;
    }
#define DDV(i) (acc[2 * (i)] + acc[2 * (i) + 1])
    L = DDV(0);
    st.e2 = DDV(2), st.f2 = DDV(3), st.s2 = DDV(4), st.ne = DDV(5), st.nf = DDV(6), st.ns = DDV(7);
    double inv = DDV(1) > 0 ? 1.0 / DDV(1) : 0.0;
    L *= inv;
    if (grad)
        for (int x = 0; x < P; x++) grad[x] = DDV(NH + x) * inv;
#undef DDV
    free(acc);
    if (with_penalty) L += penalty(c, c->theta, grad);
    *loss = L;
    if (stats) *stats = st;
    (void)t_start;
    return MTP_OK;
}

static double dotx0(const double *row, const double *x0, int nl)
{
    double pr = 0;
    for (int i = 0; i < nl; i++) pr += row[i] * x0[i];
    return pr;
}

/* Normal equations of the linear least-squares problem for (species,
 * moment) coefficients with the radial ones fixed (spec 4.5 b), summed
 * over the local configurations and all ranks, divided by K_tot:
 * G[nl][nl] (full, symmetric), b[nl]. */
mtp_status fit_build_normal(fit_ctx *c, const mtp_cfg *cfgs, int n, double *Gout, double *bout, mtp_error *err)
{
    const fit_options *o = c->o;
    const int nl = c->nlin, S = c->S, A = c->A, nth = c->nth;
    mtp_status status = fit_set_theta(c, c->theta, err);
    if (status) return status;
    const size_t NN = (size_t)nl * nl + nl + 1; /* G, b, Ktot */
    double *acc = calloc((size_t)nth * 2 * NN, sizeof(double));
    const double *x0 = c->theta + c->nr;
#pragma omp parallel num_threads(nth)
    {
        int tid = fit_thread_id();
        double *A2 = acc + (size_t)tid * 2 * NN;
        double *G = calloc(NN, sizeof(double)), *b = G + (size_t)nl * nl; /* one configuration */
        double *F = NULL, *bF = NULL, *bW = malloc((size_t)A * 6 * sizeof(double));
        double *bs = malloc((size_t)A * sizeof(double)), *row = malloc((size_t)nl * sizeof(double));
        long cap = 0;
        mtp_error lerr;
#pragma omp for schedule(dynamic, 1)
        for (int k = 0; k < n; k++) {
            const mtp_cfg *cf = &cfgs[k];
            const int N = cf->n_atoms;
            if (N == 0 || status) continue;
            memset(G, 0, NN * sizeof(double));
            if (3L * N > cap) {
                cap = 3L * N;
                free(F), free(bF);
                F = malloc((size_t)cap * sizeof(double));
                bF = malloc((size_t)cap * A * sizeof(double));
            }
            double E = 0, W[6] = {0};
            mtp_status s = MTP_OK;
            /* the part of E, F, W not linear in the coefficients (the
             * repulsive term) is target - (prediction - row . x0); it is
             * exactly zero for the plain Chebyshev basis */
            if (!c->linear_rhs) s = mtp_compute(c->calc[tid], cf, &E, F, W, NULL, NULL, &lerr);
            if (!s) s = mtp_cfg_basis_grad(c->pd[tid], cf, bs, bF, bW, &lerr);
            if (s) {
#pragma omp critical
                {
                    status = s;
                    if (err) *err = lerr;
                }
                continue;
            }
#define ADDROW(w, t)                                                         \
    do {                                                                     \
        double tt_ = (t);                                                    \
        for (int i_ = 0; i_ < nl; i_++) {                                    \
            if (row[i_] == 0) continue;                                      \
            double wr_ = (w) * row[i_];                                      \
            b[i_] += wr_ * tt_;                                              \
            for (int j_ = i_; j_ < nl; j_++) G[(size_t)i_ * nl + j_] += wr_ * row[j_]; \
        }                                                                    \
    } while (0)
#define REMAINDER(pred) (c->linear_rhs ? 0.0 : (pred)-dotx0(row, x0, nl))
            double cw[3];
            cfg_weights(cf, cw);
            if (cf->has_energy && o->energy_weight != 0) {
                memset(row, 0, (size_t)nl * sizeof(double));
                for (int i = 0; i < N; i++) {
                    int sp = mtp_potential_species_index(c->pot, cf->types[i]);
                    row[sp] += 1;
                }
                for (int a = 0; a < A; a++) row[S + a] = bs[a];
                ADDROW(cw[0] * o->energy_weight * pow(N, -o->weight_scaling), cf->energy - REMAINDER(E));
            }
            if (cf->forces && o->force_weight != 0) {
                /* 3N rows against A columns: the bulk of the work, done by
                 * BLAS on the column-major design block bF (3N x A).  The
                 * row-major upper triangle of G is the column-major lower
                 * one; force rows have no species entries. */
                double w = cw[1] * o->force_weight * pow(N, -o->weight_scaling_forces), one = 1.0, minus_one = -1.0;
                int m3 = 3 * N, inc = 1;
                const double *rhs = cf->forces;
                if (!c->linear_rhs) { /* F := target - (prediction - bF . x0) */
                    dgemv_("N", &m3, &A, &one, bF, &m3, x0 + S, &inc, &minus_one, F, &inc);
                    for (int x = 0; x < m3; x++) F[x] += cf->forces[x];
                    rhs = F;
                }
                if (cf->force_weights) {
                    /* per-atom weights: rows and targets scaled by sqrt(w_i),
                     * so the BLAS products below carry w_i exactly once */
                    if (rhs != F) memcpy(F, cf->forces, (size_t)m3 * sizeof(double));
                    rhs = F;
                    for (int x = 0; x < m3; x++) {
                        double q = sqrt(cf->force_weights[x / 3]);
                        F[x] *= q;
                        for (int a = 0; a < A; a++) bF[(size_t)a * m3 + x] *= q;
                    }
                }
                dgemv_("T", &m3, &A, &w, bF, &m3, rhs, &inc, &one, b + S, &inc);
                dsyrk_("L", "T", &A, &m3, &w, bF, &m3, &one, G + (size_t)S * nl + S, &nl);
            }
            if (cf->has_stress && o->stress_weight != 0) {
                double w = cw[2] * o->stress_weight / N;
                memset(row, 0, (size_t)S * sizeof(double));
                for (int q = 0; q < 6; q++) {
                    for (int a = 0; a < A; a++) row[S + a] = bW[6 * a + q];
                    ADDROW(w * (q < 3 ? 1 : 2), cf->stress[q] - REMAINDER(W[q]));
                }
            }
#undef ADDROW
#undef REMAINDER
            G[NN - 1] = 1;
            for (int i = 0; i < nl; i++)
                for (int j = i; j < nl; j++) fit_dd_add(A2 + 2 * ((size_t)i * nl + j), G[(size_t)i * nl + j]);
            for (size_t x = (size_t)nl * nl; x < NN; x++) fit_dd_add(A2 + 2 * x, G[x]);
        }
        free(F), free(bF), free(bW), free(bs), free(row), free(G);
    }
    mtp_status combined = fit_combine_sums(c, acc, NN, nth, status, "normal equations failed on another MPI rank", err);
    if (combined) {
        free(acc);
        return combined;
    }
#define DDV(i) (acc[2 * (i)] + acc[2 * (i) + 1])
    double inv = DDV(NN - 1) > 0 ? 1.0 / DDV(NN - 1) : 0.0;
    for (int i = 0; i < nl; i++) {
        for (int j = i; j < nl; j++)
            Gout[(size_t)i * nl + j] = Gout[(size_t)j * nl + i] = DDV((size_t)i * nl + j) * inv;
        bout[i] = DDV((size_t)nl * nl + i) * inv;
    }
#undef DDV
    free(acc);
    return MTP_OK;
}


/* ---- for tests (fit.h) ---------------------------------------------- */
mtp_status fit_normal_equations(mtp_potential *pot, const mtp_cfg *cfgs, int n, const fit_options *o, double *G,
                                double *b, mtp_error *err)
{
    fit_ctx c;
    memset(&c, 0, sizeof c);
    c.size = 1;
    mtp_status st = fit_ctx_init(&c, pot, o, err);
    if (!st) st = fit_build_normal(&c, cfgs, n, G, b, err);
    fit_ctx_free(&c);
    return st;
}

mtp_status fit_loss(mtp_potential *pot, const mtp_cfg *cfgs, int n, const fit_options *o, double *loss, double *grad,
                    mtp_error *err)
{
    fit_ctx c;
    memset(&c, 0, sizeof c);
    c.size = 1;
    mtp_status st = fit_ctx_init(&c, pot, o, err);
    if (!st) st = fit_eval_loss(&c, cfgs, n, loss, grad, NULL, 0, err);
    fit_ctx_free(&c);
    return st;
}

