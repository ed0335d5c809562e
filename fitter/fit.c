/* SPDX-License-Identifier: BSD-3-Clause */
/* The trainer (see fit.h).  Objective, regularisation, initialisation,
 * LinOptimize, Rescale and the MLIP-compatible BFGS schedule follow spec
 * section 4.  The default optimiser is variable projection: BFGS over the
 * radial coefficients only, the linear coefficients (species + moment)
 * being the exact regularised least-squares solution at every evaluation,
 * so that the objective minimised is L(c) = min_xi L(c, xi) whose gradient
 * is the partial gradient at the optimal xi (envelope theorem).
 *
 * Rescale uses the homogeneity of the basis in the radial scaling:
 * B_k(sigma) = sigma^d_k B_k(1), so the normal equations at a trial
 * sigma are those at the current one with rows/columns scaled by
 * f^d_k (f = sigma_trial / sigma) and need not be re-evaluated.
 *
 * MPI (optional, OPENMTP_HAVE_MPI): configurations are dealt round-robin
 * to the ranks, losses, gradients and normal equations are summed with
 * MPI_Allreduce, every rank runs the same optimiser on identical numbers
 * and rank 0 alone logs and writes. */
#include "fit.h"
#include "fit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef OPENMTP_HAVE_MPI
#include <mpi.h>
#endif

extern void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b,
                    const int *ldb, double *s, const double *rcond, int *rank, double *work, const int *lwork,
                    int *iwork, int *info);
/* OpenBLAS (if it is the BLAS) must not start threads of its own inside
 * the trainer's threads: measured 20 % slower normal equations at level 20
 * with 2 + 2 threads on 2 cores.  Weak: other BLAS libraries lack it. */
extern void openblas_set_num_threads(int) __attribute__((weak));
extern void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k, const double *alpha,
                   const double *a, const int *lda, const double *beta, double *c, const int *ldc);
extern void dgemv_(const char *trans, const int *m, const int *n, const double *alpha, const double *a,
                   const int *lda, const double *x, const int *incx, const double *beta, double *y, const int *incy);

void fit_options_default(fit_options *o)
{
    memset(o, 0, sizeof *o);
    o->energy_weight = 1.0;
    o->force_weight = 0.01;
    o->stress_weight = 0.001;
    o->weight_scaling = 1.0;
    o->weight_scaling_forces = 0.0;
    o->penalty_weight = 1e-6;
    o->iteration_limit = 1000;
    o->tolerance = 1e-3;
    o->checkpoint_interval = 300;
    o->valid_every = 10;
    o->seed = 1;
    o->optimizer = FIT_OPT_VARPRO;
    o->wolfe_c2 = 0.9;
    o->restarts = 3;
}

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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}


static int nthreads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Sum x[0..n) over the MPI ranks (in place; no-op without MPI). */
static void reduce_sum(const fit_ctx *c, double *x, size_t n)
{
#ifdef OPENMTP_HAVE_MPI
    if (c->size > 1) MPI_Allreduce(MPI_IN_PLACE, x, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
#else
    (void)c, (void)x, (void)n;
#endif
}
/* Rank 0's value of x on every rank. */
static void bcast(const fit_ctx *c, double *x, int n)
{
#ifdef OPENMTP_HAVE_MPI
    if (c->size > 1) MPI_Bcast(x, n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
#else
    (void)c, (void)x, (void)n;
#endif
}

static mtp_status set_theta(fit_ctx *c, const double *th, mtp_error *err)
{
    if (th != c->theta) memcpy(c->theta, th, (size_t)c->P * sizeof(double));
    return mtp_potential_set_params(c->pot, c->theta, err);
}
mtp_status fit_set_theta(fit_ctx *c, const double *th, mtp_error *err)
{
    return set_theta(c, th, err);
}

static int all_finite(const double *x, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* A loss or gradient that is not finite is an error, never a potential:
 * the data checks (train_data.c) keep absurd targets out, this catches
 * what they cannot (e.g. a basis that overflows on the data). */
static mtp_status not_finite(mtp_error *err, const char *what, int step)
{
    if (err) {
        err->status = MTP_ERR_INVALID;
        snprintf(err->message, sizeof err->message,
                 "training diverged: the %s is not finite (after %d accepted steps); check the training data "
                 "(units, absurd values) and the weights",
                 what, step);
    }
    return MTP_ERR_INVALID;
}

static mtp_status fail(mtp_error *err, const char *msg)
{
    if (err) snprintf(err->message, sizeof err->message, "%s", msg);
    return MTP_ERR_INVALID;
}

/* Order-independent sums.  Per-configuration contributions are added in
 * double-double (acc[2i] = hi, acc[2i+1] = lo, TwoSum), so the rounded
 * totals do not depend on how the configurations are split over threads
 * and MPI ranks: 1 and N ranks (and any thread count) give the same
 * numbers, not merely numbers equal to rounding. */
static inline void dd_add(double *a, double x)
{
    double s = a[0] + x, bp = s - a[0];
    a[1] += (a[0] - (s - bp)) + (x - bp);
    a[0] = s;
}
static void dd_merge(double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dd_add(a + 2 * i, b[2 * i]);
        a[2 * i + 1] += b[2 * i + 1];
    }
}
#ifdef OPENMTP_HAVE_MPI
static void dd_mpi_op(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    (void)dt;
    dd_merge((double *)inout, (const double *)in, (size_t)*len);
}
#endif
/* Sum n double-double accumulators over the ranks (in place). */
static void dd_allreduce(const fit_ctx *c, double *acc, size_t n)
{
#ifdef OPENMTP_HAVE_MPI
    if (c->size > 1) {
        MPI_Datatype t;
        MPI_Op op;
        MPI_Type_contiguous(2, MPI_DOUBLE, &t);
        MPI_Type_commit(&t);
        MPI_Op_create(dd_mpi_op, 1, &op);
        MPI_Allreduce(MPI_IN_PLACE, acc, (int)n, t, op, MPI_COMM_WORLD);
        MPI_Op_free(&op);
        MPI_Type_free(&t);
    }
#else
    (void)c, (void)acc, (void)n;
#endif
}

/* After a parallel accumulation: merge the per-thread double-double sums
 * into acc[0..2n), agree across MPI ranks on whether any failed, and sum
 * over ranks. */
static mtp_status combine_sums(const fit_ctx *c, double *acc, size_t n, int nth, mtp_status status,
                               const char *what, mtp_error *err)
{
    for (int t = 1; t < nth; t++) dd_merge(acc, acc + (size_t)t * 2 * n, n);
    double bad = status ? 1 : 0;
    reduce_sum(c, &bad, 1);
    if (bad != 0) return status ? status : fail(err, what);
    dd_allreduce(c, acc, n);
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
static mtp_status eval_loss(fit_ctx *c, const mtp_cfg *cfgs, int n, double *loss, double *grad, fit_stats *stats,
                            int with_penalty, mtp_error *err)
{
    const fit_options *o = c->o;
    const int P = c->P, nth = c->nth;
    const size_t NH = 8; /* header: L, Ktot, 6 stats */
    const size_t NV = NH + (grad ? (size_t)P : 0);
    double *acc = calloc((size_t)nth * 2 * NV, sizeof(double));
    double L = 0, t_start = now_s();
    fit_stats st = {0};
    mtp_status status = MTP_OK;
#pragma omp parallel num_threads(nth)
    {
        int tid = thread_id();
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
            for (size_t x = 0; x < NV; x++) dd_add(A2 + 2 * x, v[x]);
        }
        free(F), free(fadj), free(dE), free(dFW), free(v);
    }
    mtp_status combined = combine_sums(c, acc, NV, nth, status, "evaluation failed on another MPI rank", err);
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

/* Gram-Schmidt of the radial coefficient vectors c_mu (spec 4.5 a). */
static void orthonormalise(fit_ctx *c)
{
    const int K = c->K, R = c->R, npair = c->S * c->S;
    double *th = c->theta;
#define CI(pr, m, b) th[((size_t)(pr) * K + (m)) * R + (b)]
    for (int m = 0; m < K; m++) {
        for (int m2 = 0; m2 < m; m2++) {
            double d = 0;
            for (int pr = 0; pr < npair; pr++)
                for (int b = 0; b < R; b++) d += CI(pr, m, b) * CI(pr, m2, b);
            for (int pr = 0; pr < npair; pr++)
                for (int b = 0; b < R; b++) CI(pr, m, b) -= d * CI(pr, m2, b);
        }
        double nn = 0;
        for (int pr = 0; pr < npair; pr++)
            for (int b = 0; b < R; b++) nn += CI(pr, m, b) * CI(pr, m, b);
        nn = sqrt(nn);
        if (nn > 0)
            for (int pr = 0; pr < npair; pr++)
                for (int b = 0; b < R; b++) CI(pr, m, b) /= nn;
    }
#undef CI
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
static mtp_status build_normal(fit_ctx *c, const mtp_cfg *cfgs, int n, double *Gout, double *bout, mtp_error *err)
{
    const fit_options *o = c->o;
    const int nl = c->nlin, S = c->S, A = c->A, nth = c->nth;
    mtp_status status = set_theta(c, c->theta, err);
    if (status) return status;
    const size_t NN = (size_t)nl * nl + nl + 1; /* G, b, Ktot */
    double *acc = calloc((size_t)nth * 2 * NN, sizeof(double));
    const double *x0 = c->theta + c->nr;
#pragma omp parallel num_threads(nth)
    {
        int tid = thread_id();
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
                for (int j = i; j < nl; j++) dd_add(A2 + 2 * ((size_t)i * nl + j), G[(size_t)i * nl + j]);
            for (size_t x = (size_t)nl * nl; x < NN; x++) dd_add(A2 + 2 * x, G[x]);
        }
        free(F), free(bF), free(bW), free(bs), free(row), free(G);
    }
    mtp_status combined = combine_sums(c, acc, NN, nth, status, "normal equations failed on another MPI rank", err);
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
static mtp_status lin_optimize_ex(fit_ctx *c, const mtp_cfg *cfgs, int n, int freeze_lambda, int *lambda_changed,
                                  mtp_error *err)
{
    const int nl = c->nlin;
    double *G = malloc((size_t)nl * nl * sizeof(double)), *b = malloc((size_t)nl * sizeof(double));
    double *x = malloc((size_t)nl * sizeof(double));
    mtp_status st = build_normal(c, cfgs, n, G, b, err);
    if (!st) st = solve_normal(c, G, b, x, freeze_lambda, lambda_changed, err);
    if (!st) {
        memcpy(c->theta + c->nr, x, (size_t)nl * sizeof(double));
        st = set_theta(c, c->theta, err);
    }
    free(G), free(b), free(x);
    return st;
}
static mtp_status lin_optimize(fit_ctx *c, const mtp_cfg *cfgs, int n, int *lambda_changed, mtp_error *err)
{
    return lin_optimize_ex(c, cfgs, n, 0, lambda_changed, err);
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
static mtp_status rescale(fit_ctx *c, const mtp_cfg *cfgs, int n, mtp_error *err)
{
    static const double fac[5] = {1 / 1.2, 1 / 1.1, 1.0, 1.1, 1.2};
    const int nl = c->nlin;
    const double sigma0 = mtp_potential_get_info(c->pot).scaling;
    double sigma = sigma0, lo = sigma, hi = sigma;
    double *G0 = malloc((size_t)nl * nl * sizeof(double)), *b0 = malloc((size_t)nl * sizeof(double));
    double *G = malloc((size_t)nl * nl * sizeof(double)), *b = malloc((size_t)nl * sizeof(double));
    double *x = malloc((size_t)nl * sizeof(double)), *best = malloc((size_t)nl * sizeof(double));
    mtp_status st = MTP_OK;
    if (c->have_deg && (st = build_normal(c, cfgs, n, G0, b0, err))) goto out;
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
                if ((st = build_normal(c, cfgs, n, G, b, err))) goto out;
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
    st = set_theta(c, c->theta, err);
    if (c->log) fprintf(c->log, "# rescale: scaling = %.6g (%d rounds)\n", sigma, rounds + 1);
out:
    free(G0), free(b0), free(G), free(b), free(x), free(best);
    return st;
}

/* ---- the objective seen by the optimiser ---------------------------- */
/* FIT_OPT_BFGS: x = theta (all P parameters), f = L(theta).
 * FIT_OPT_VARPRO: x = radial coefficients (nr), the linear ones solved
 * exactly (ridge lambda frozen), f = L(x, xi*(x)), g = dL/dx at xi*. */
static mtp_status objective(fit_ctx *c, int mode, const mtp_cfg *cfgs, int n, const double *x, double *f, double *g,
                            double *gfull, fit_stats *st, mtp_error *err)
{
    mtp_status s;
    double t = now_s();
    c->n_eval++;
    if (g) c->n_grad++;
    if (mode == FIT_OPT_BFGS) {
        if (!(s = set_theta(c, x, err))) s = eval_loss(c, cfgs, n, f, g, st, 1, err);
    } else {
        /* normal equations + solve, then loss (and gradient) at xi* */
        memcpy(c->theta, x, (size_t)c->nr * sizeof(double));
        if (!(s = lin_optimize_ex(c, cfgs, n, 1, NULL, err))) s = eval_loss(c, cfgs, n, f, g ? gfull : NULL, st, 1, err);
        if (!s && g) memcpy(g, gfull, (size_t)c->nr * sizeof(double));
    }
    c->t_eval += now_s() - t;
    return s;
}

/* The gradient at the point of the last objective() call (parameters,
 * and for varpro xi*, already set): used by the line search, which
 * evaluates the loss alone first and the gradient only for points that
 * pass the sufficient-decrease test. */
static mtp_status objective_grad(fit_ctx *c, int mode, const mtp_cfg *cfgs, int n, double *f, double *g,
                                 double *gfull, fit_stats *st, mtp_error *err)
{
    double t = now_s();
    c->n_grad++;
    mtp_status s = eval_loss(c, cfgs, n, f, mode == FIT_OPT_BFGS ? g : gfull, st, 1, err);
    if (!s && mode != FIT_OPT_BFGS) memcpy(g, gfull, (size_t)c->nr * sizeof(double));
    c->t_eval += now_s() - t;
    return s;
}

/* One progress line.  The validation numbers are computed every valid_every
 * iterations and repeated in between; "(iter N)" says which iteration they are
 * from, so that a learning curve (python3 -m openmtp.plot learning) plots each
 * measurement once.  valid_loss has no ridge penalty term. */
static void print_progress(fit_ctx *c, int mode, int it, int limit, double L, const fit_stats *s, const fit_stats *vs,
                           int have_v, double valid_loss, int valid_at)
{
    FILE *lg = c->log;
    if (!lg) return;
    double el = now_s() - c->t0;
    fprintf(lg, "%s iter %4d  loss %.6e  rmse E %.3f meV/atom  F %.4f eV/A  S %.3f GPa",
            mode == FIT_OPT_BFGS ? "BFGS" : "VarPro", it, L, s->ne ? 1e3 * sqrt(s->e2 / s->ne) : 0.0,
            s->nf ? sqrt(s->f2 / s->nf) : 0.0, s->ns ? sqrt(s->s2 / s->ns) : 0.0);
    if (have_v)
        fprintf(lg, "  | valid E %.3f F %.4f S %.3f loss %.6e (iter %d)", vs->ne ? 1e3 * sqrt(vs->e2 / vs->ne) : 0.0,
                vs->nf ? sqrt(vs->f2 / vs->nf) : 0.0, vs->ns ? sqrt(vs->s2 / vs->ns) : 0.0, valid_loss, valid_at);
    double eta = it > 0 ? el / it * (limit - it) : 0;
    if (c->o->max_time > 0 && eta > c->o->max_time - el) eta = fmax(0, c->o->max_time - el);
    fprintf(lg, "  evals %ld (%ld with gradient)  elapsed %.1fs  ETA<=%.0fs\n", c->n_eval, c->n_grad, el, eta);
    fflush(lg);
}

static double dot_n(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static int time_is_up(fit_ctx *c)
{
    double up = c->o->max_time > 0 && now_s() - c->t0 > c->o->max_time;
    bcast(c, &up, 1); /* rank 0 decides */
    return up != 0;
}

/* BFGS with a Wolfe line search (c1 0.1, c2 0.5), spec 4.6, over the
 * variables of `mode` (see objective()). */
static mtp_status bfgs(fit_ctx *c, int mode, const mtp_cfg *cfgs, int n, const mtp_cfg *valid, int nv, int limit,
                       int *steps_done, int *timed_out, fit_run *run, mtp_error *err)
{
    const int P = c->P, D = mode == FIT_OPT_BFGS ? P : c->nr;
    const fit_options *o = c->o;
    double *H = malloc((size_t)D * D * sizeof(double)), *g = malloc(D * sizeof(double)), *gn = malloc(D * sizeof(double));
    double *p = malloc(D * sizeof(double)), *x0 = malloc(D * sizeof(double)), *xt = malloc(D * sizeof(double));
    double *y = malloc(D * sizeof(double)), *Hy = malloc(D * sizeof(double)), *gbest = malloc(D * sizeof(double));
    double *gfull = malloc(P * sizeof(double)), *th0 = malloc(P * sizeof(double)), *thacc = malloc(P * sizeof(double));
    double L, Lref = INFINITY, last_ckpt = now_s();
    fit_stats stt, vst = {0};
    int have_v = 0, fresh_H = 1, steps = 0, stalls = 0, valid_at = 0;
    double valid_loss = 0;
    mtp_status st = MTP_OK;
    *timed_out = 0;
    if (run->resume) {
        /* continue from the checkpoint (theta, scaling, ridge restored by
         * fit_state_open): the state at the top of the next iteration */
        fit_bfgs_state b = {.D = D, .H = H, .g = g};
        st = fit_state_bfgs(run, &b, err);
        fit_ckpt_free(run->resume);
        run->resume = NULL;
        L = b.L, Lref = b.Lref, stt = b.stt, vst = b.vst;
        have_v = b.have_v, fresh_H = b.fresh_H, steps = b.steps, stalls = b.stalls;
    } else {
        if (mode == FIT_OPT_VARPRO) st = lin_optimize(c, cfgs, n, NULL, err); /* refresh lambda */
        if (!st) {
            memcpy(x0, c->theta, D * sizeof(double));
            st = objective(c, mode, cfgs, n, x0, &L, g, gfull, &stt, err);
        }
        if (!st && !(isfinite(L) && all_finite(g, D))) st = not_finite(err, "loss or its gradient", steps);
    }
    for (; !st && steps < limit;) {
        if (fresh_H) {
            memset(H, 0, (size_t)D * D * sizeof(double));
            for (int i = 0; i < D; i++) H[(size_t)i * D + i] = 1.0;
        }
        double d0 = 0;
        for (int i = 0; i < D; i++) {
            double s = 0;
            for (int j = 0; j < D; j++) s -= H[(size_t)i * D + j] * g[j];
            p[i] = s;
            d0 += s * g[i];
        }
        if (!(d0 < 0)) {
            if (fresh_H) break; /* zero gradient */
            fresh_H = 1;
            continue;
        }
        memcpy(x0, c->theta, D * sizeof(double));
        memcpy(th0, c->theta, P * sizeof(double));
        double pmax = 0;
        for (int i = 0; i < c->nr; i++) pmax = fmax(pmax, fabs(p[i]));
        double a = 1.0;
        if (pmax * a > 0.5) a = 0.5 / pmax;
        double a_lo = 0, f_lo = L, dlo = d0, a_hi = -1, f_hi = 0, acc_a = -1, acc_f = 0;
        fit_stats acc_s = stt, ts;
        for (int ls = 0; ls < 40 && !st; ls++) {
            for (int i = 0; i < D; i++) xt[i] = x0[i] + a * p[i];
            double f;
            if ((st = objective(c, mode, cfgs, n, xt, &f, NULL, gfull, &ts, err))) break;
            int keep = 0;
            if (!isfinite(f) || f > L + 0.1 * a * d0 || (a_hi < 0 && ls > 0 && f >= f_lo && a > a_lo)) {
                a_hi = a, f_hi = f; /* no gradient needed */
            } else {
                if ((st = objective_grad(c, mode, cfgs, n, &f, gn, gfull, &ts, err))) break;
                double d = dot_n(gn, p, D);
                if (fabs(d) <= (mode == FIT_OPT_BFGS ? 0.5 : c->o->wolfe_c2) * fabs(d0)) {
                    keep = 2;
                } else if (d > 0) {
                    a_hi = a, f_hi = f;
                } else {
                    a_lo = a, f_lo = f, dlo = d;
                    keep = 1; /* best sufficient-decrease point as a fallback */
                }
            }
            if (keep) {
                acc_a = a, acc_f = f, acc_s = ts;
                memcpy(gbest, gn, D * sizeof(double));
                memcpy(thacc, c->theta, P * sizeof(double));
                if (keep == 2) break;
            }
            /* near a minimum the curvature condition can be out of reach of
             * round-off (seen: 40 trial points per step on mlearn Li at
             * level 20); both optimisers take the best sufficient-decrease
             * point after 10 trial points */
            if (acc_a >= 0 && ls >= 9) break;
            if (mode == FIT_OPT_VARPRO && ls >= 19) break; /* no decrease in 20 points: handled below */
            if (a_hi < 0) {
                a *= 3;
                if (pmax * a > 0.5 + 1e-12 && pmax * a_lo >= 0.5 - 1e-12) break;
                if (pmax * a > 0.5) a = 0.5 / pmax;
            } else {
                double h = a_hi - a_lo, den = 2 * (f_hi - f_lo - dlo * h);
                double an = (isfinite(f_hi) && den > 0) ? a_lo - dlo * h * h / den : a_lo + 0.5 * h;
                double lo = a_lo + 0.1 * h, hi2 = a_hi - 0.1 * h;
                if (!(an >= lo && an <= hi2)) an = a_lo + 0.5 * h;
                a = an;
                if (h < 1e-14 * fmax(1.0, a_hi)) break;
            }
        }
        if (st) break;
        if (acc_a < 0) {
            /* no decrease found: restart from the identity once, else stop */
            if ((st = set_theta(c, th0, err))) break;
            if (fresh_H) break;
            fresh_H = 1;
            continue;
        }
        if (!isfinite(acc_f) || !all_finite(gbest, D)) {
            st = not_finite(err, "gradient of the loss", steps);
            break;
        }
        bcast(c, thacc, P); /* all ranks continue from bit-identical parameters */
        if ((st = set_theta(c, thacc, err))) break;
        double sy = 0, yy = 0;
        for (int i = 0; i < D; i++) {
            y[i] = gbest[i] - g[i];
            sy += acc_a * p[i] * y[i];
            yy += y[i] * y[i];
        }
        if (sy > 0) {
            if (fresh_H) {
                double sc = sy / yy;
                for (int i = 0; i < D; i++) H[(size_t)i * D + i] = sc;
            }
            double yHy = 0;
            for (int i = 0; i < D; i++) {
                double s = 0;
                for (int j = 0; j < D; j++) s += H[(size_t)i * D + j] * y[j];
                Hy[i] = s;
                yHy += s * y[i];
            }
            double rho = 1.0 / sy, f1 = (1 + rho * yHy) * rho;
            for (int i = 0; i < D; i++) {
                double si = acc_a * p[i];
                for (int j = 0; j < D; j++) {
                    double sj = acc_a * p[j];
                    H[(size_t)i * D + j] += f1 * si * sj - rho * (Hy[i] * sj + si * Hy[j]);
                }
            }
            fresh_H = 0;
        }
        double Lold = L;
        L = acc_f;
        stt = acc_s;
        memcpy(g, gbest, D * sizeof(double));
        steps++;
        if (nv > 0 && (steps % o->valid_every == 0 || steps == 1)) {
            if ((st = eval_loss(c, valid, nv, &valid_loss, NULL, &vst, 0, err))) break;
            have_v = 1;
            valid_at = steps;
        }
        print_progress(c, mode, steps, limit, L, &stt, &vst, have_v, valid_loss, valid_at);
        if (fabs(Lold - L) < 1e-16) break;
        /* converged to round-off: three steps in a row that lower the loss
         * by < 1e-5 relative (mlearn Li, level 20: ~1e-6 per step at 10 to
         * 40 evaluations each, the line search rarely finding a Wolfe point) */
        stalls = (mode == FIT_OPT_VARPRO && Lold - L < 1e-5 * L) ? stalls + 1 : 0;
        if (stalls >= 3) break;
        if (mode == FIT_OPT_BFGS &&
            (steps == 25 || steps == 70 || steps == 100 || steps == 150 || steps == 250 || steps == 400)) {
            int changed = 0;
            if ((st = lin_optimize(c, cfgs, n, &changed, err))) break;
            if ((st = eval_loss(c, cfgs, n, &L, g, &stt, 1, err))) break;
            if (changed) fresh_H = 1;
        }
        if (mode == FIT_OPT_VARPRO && steps % 50 == 0) {
            /* refresh the ridge (spec 4.3); the objective changes if it moved */
            int changed = 0;
            if ((st = lin_optimize(c, cfgs, n, &changed, err))) break;
            if (changed) {
                memcpy(x0, c->theta, D * sizeof(double));
                if ((st = objective(c, mode, cfgs, n, x0, &L, g, gfull, &stt, err))) break;
                fresh_H = 1;
            }
        }
        if (mode == FIT_OPT_BFGS ? (steps >= 150 && steps % 50 == 0) : (steps >= 50 && steps % 25 == 0)) {
            /* relative decrease over the last window below tolerance */
            double tol = mode == FIT_OPT_BFGS ? o->tolerance : 0.5 * o->tolerance;
            if ((Lref - L) / L < tol) break;
            Lref = L;
        }
        if (!isfinite(L)) {
            st = not_finite(err, "loss", steps);
            break;
        }
        if (time_is_up(c)) {
            *timed_out = 1;
            break;
        }
        if (o->checkpoint_path) {
            /* The state at the top of the next iteration.  A run that
             * believes it is checkpointed and is not loses hours when
             * killed: a failed checkpoint stops the fit, on every rank at
             * once (the others would wait for rank 0 in the next reduction). */
            double ckpt_failed = 0;
            if (c->rank == 0 && now_s() - last_ckpt >= o->checkpoint_interval) {
                fit_bfgs_state b = {D, H, g, L, Lref, stt, vst, have_v, fresh_H, steps, stalls};
                if ((st = fit_state_save(c, run, &b, err))) ckpt_failed = 1;
                else {
                    c->n_ckpt++;
                    if (c->log) fprintf(c->log, "# checkpoint written to %s\n", o->checkpoint_path);
                    if (o->checkpoint_written) {
                        if (c->log) fflush(c->log);
                        o->checkpoint_written(o->user, c->n_ckpt);
                    }
                }
                last_ckpt = now_s();
            }
            bcast(c, &ckpt_failed, 1);
            if (ckpt_failed) {
                if (c->rank != 0) {
                    st = MTP_ERR_IO;
                    if (err) {
                        err->status = st;
                        snprintf(err->message, sizeof err->message, "%.900s: checkpoint could not be written (see rank 0)",
                                 o->checkpoint_path);
                    }
                }
                break;
            }
        }
    }
    *steps_done = steps;
    free(H), free(g), free(gn), free(p), free(x0), free(xt), free(y), free(Hy), free(gbest);
    free(gfull), free(th0), free(thacc);
    return st;
}


static void ctx_free(fit_ctx *c)
{
    for (int t = 0; c->calc && t < c->nth; t++) {
        mtp_calculator_destroy(c->calc[t]);
        mtp_param_deriv_destroy(c->pd[t]);
    }
    free(c->calc), free(c->pd), free(c->theta), free(c->lambda), free(c->deg);
    c->calc = NULL, c->pd = NULL, c->theta = c->lambda = NULL, c->deg = NULL;
}

/* Sizes, work space, degrees; theta from the potential if it has
 * coefficients. */
static mtp_status ctx_init(fit_ctx *c, mtp_potential *pot, const fit_options *o, mtp_error *err)
{
    mtp_potential_info info = mtp_potential_get_info(pot);
    c->pot = pot;
    c->o = o;
    c->S = info.species_count;
    c->K = info.radial_funcs_count;
    c->R = info.radial_basis_size;
    c->A = info.scalar_count;
    c->P = info.param_count;
    c->nr = c->S * c->S * c->K * c->R;
    c->nlin = c->S + c->A;
    c->linear_rhs = info.radial_type == MTP_RADIAL_CHEBYSHEV;
    c->theta = calloc(c->P, sizeof(double));
    c->lambda = calloc(c->nlin, sizeof(double));
    c->deg = calloc(c->nlin, sizeof(int));
    c->have_deg = mtp_potential_basis_degrees(pot, c->deg + c->S) == 0; /* species: degree 0 */
    c->nth = nthreads();
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    c->calc = calloc(c->nth, sizeof *c->calc);
    c->pd = calloc(c->nth, sizeof *c->pd);
    mtp_status st = MTP_OK;
    if (info.trained && (st = mtp_potential_get_params(pot, c->theta, err))) return st;
    for (int t = 0; t < c->nth; t++) {
        if ((st = mtp_calculator_create(pot, &c->calc[t], err))) return st;
        if ((st = mtp_param_deriv_create(pot, &c->pd[t], err))) return st;
    }
    return MTP_OK;
}

/* Round-robin share of this rank (shallow copies). */
static mtp_cfg *local_share(const fit_ctx *c, const mtp_cfg *cfgs, int n, int *nloc)
{
    *nloc = 0;
    mtp_cfg *out = malloc((size_t)(n / (c->size > 0 ? c->size : 1) + 1) * sizeof(mtp_cfg));
    for (int k = c->rank; k < n; k += c->size) out[(*nloc)++] = cfgs[k];
    return out;
}

/* A fresh random start of the radial coefficients for restart k. */
static mtp_status restart_start(fit_ctx *c, const mtp_cfg *train, int n_train, int k, mtp_error *err)
{
    const fit_options *o = c->o;
    unsigned sd = o->seed + 7919u * (unsigned)k;
    for (int x = 0; x < c->nr; x++) {
        int b = x % c->R, m = (x / c->R) % c->K;
        double u1 = rand_r(&sd) / (double)RAND_MAX * 2 - 1, u2 = rand_r(&sd) / (double)RAND_MAX * 2 - 1;
        c->theta[x] = b == m ? 1e-7 * (1 + u2) : 5e-7 * u1;
    }
    mtp_status st;
    if ((st = mtp_potential_set_scaling(c->pot, 1.0, err)) || (st = set_theta(c, c->theta, err))) return st;
    orthonormalise(c);
    if ((st = lin_optimize(c, train, n_train, NULL, err)) || (st = rescale(c, train, n_train, err))) return st;
    if (c->log) fprintf(c->log, "# restart %d (random start, seed %u)\n", k, o->seed + 7919u * (unsigned)k);
    return MTP_OK;
}

mtp_status fit_train(mtp_potential *pot, const mtp_cfg *train_all, int n_train_all, const mtp_cfg *valid_all,
                     int n_valid_all, const fit_options *o, int *iterations, mtp_error *err)
{
    fit_ctx c;
    memset(&c, 0, sizeof c);
    c.t0 = now_s();
    c.size = 1;
#ifdef OPENMTP_HAVE_MPI
    {
        int inited = 0;
        MPI_Initialized(&inited);
        if (inited) {
            MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
            MPI_Comm_size(MPI_COMM_WORLD, &c.size);
        }
    }
#endif
    c.log = c.rank == 0 ? o->log : NULL;
    *iterations = 0;
    fit_run run = {.phase = FIT_PHASE_PRETRAIN};
    fit_options oq = *o; /* notices from rank 0 only */
    if (c.rank != 0) oq.warn = NULL;
    mtp_status st = MTP_OK;
    if ((st = fit_check_options(o, err)) || (st = fit_check_data(train_all, n_train_all, o->train_name, o, 1, err)) ||
        (st = fit_check_data(valid_all, n_valid_all, o->valid_name, o, 0, err)))
        return st;
    mtp_potential_info info = mtp_potential_get_info(pot);
    const int was_trained = info.trained;
    if (!was_trained && fit_named_species(pot)) {
        /* species named by the initial potential (mtp init --species): kept,
         * in its order; fit_adopt_species has mapped relative types */
        for (int k = 0; k < n_train_all; k++)
            for (int i = 0; i < train_all[k].n_atoms; i++)
                if (mtp_potential_species_index(pot, train_all[k].types[i]) < 0) {
                    if (err) {
                        err->status = MTP_ERR_SPECIES;
                        snprintf(err->message, sizeof err->message,
                                 "training configuration %d, atom %d: type %d is not a species of the initial "
                                 "potential (its labels are kept; see fit_adopt_species)",
                                 k + 1, i + 1, train_all[k].types[i]);
                    }
                    return MTP_ERR_SPECIES;
                }
    }
    /* species: kept if named, else the sorted set of types in the training set (spec 2.4) */
    if (!was_trained && (st = fit_species_from_data(pot, train_all, n_train_all, &oq, err))) return st;
    /* types the potential does not know: refused before any work, naming the file */
    if ((st = fit_check_species(pot, train_all, n_train_all, o->train_name ? o->train_name : "training set", err)) ||
        (st = fit_check_species(pot, valid_all, n_valid_all, o->valid_name ? o->valid_name : "validation set", err)))
        return st;
    if (!was_trained) {
        if (!o->no_mindist_update) {
            double dmin = INFINITY;
            for (int k = c.rank; k < n_train_all; k += c.size) {
                double d;
                if (mtp_cfg_min_distance(&train_all[k], info.max_dist, &d, 0, NULL, err) == MTP_OK && d < dmin) dmin = d;
            }
#ifdef OPENMTP_HAVE_MPI
            if (c.size > 1) MPI_Allreduce(MPI_IN_PLACE, &dmin, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
#endif
            if (isfinite(dmin) && 0.99 * dmin < info.max_dist) {
                if ((st = mtp_potential_set_min_dist(pot, 0.99 * dmin, err))) return st;
                if (c.log) fprintf(c.log, "# min_dist set to %.4f A (0.99 x smallest distance)\n", 0.99 * dmin);
            }
        }
    }
    if ((st = ctx_init(&c, pot, o, err))) goto done;
    fit_hash_cfgs(train_all, n_train_all, c.hash_train);
    fit_hash_cfgs(valid_all, n_valid_all, c.hash_valid);
    const int mode = o->optimizer == FIT_OPT_BFGS ? FIT_OPT_BFGS : FIT_OPT_VARPRO;
    if (!was_trained) {
        unsigned s = o->seed;
        for (int pr = 0; pr < c.S * c.S; pr++)
            for (int m = 0; m < c.K; m++)
                for (int b = 0; b < c.R; b++) {
                    double *x = &c.theta[((size_t)pr * c.K + m) * c.R + b];
                    if (o->init_random) {
                        double u1 = rand_r(&s) / (double)RAND_MAX * 2 - 1, u2 = rand_r(&s) / (double)RAND_MAX * 2 - 1;
                        *x = b == m ? 1e-7 * (1 + u2) : 5e-7 * u1;
                    } else
                        *x = b == m ? 1e-3 * (pr + 1) : 1e-6;
                }
        if ((st = set_theta(&c, c.theta, err))) goto done;
    }
    if (o->resume) {
        if ((st = fit_state_open(&c, mode, &run, err))) goto done;
        if (c.log) {
            static const char *phase_name[] = {"pre-training", "training", "restart"};
            fprintf(c.log, "# resuming from checkpoint %s: %s", o->checkpoint_path, phase_name[run.phase]);
            if (run.phase == FIT_PHASE_RESTART) fprintf(c.log, " %d", run.restart);
            fprintf(c.log, ", %.1f s of earlier runs\n", now_s() - c.t0);
        }
    }
    int n_train, n_valid;
    mtp_cfg *train = local_share(&c, train_all, n_train_all, &n_train);
    mtp_cfg *valid = local_share(&c, valid_all, n_valid_all, &n_valid);
    for (int k = 0; k < n_train_all; k++) c.atoms += train_all[k].n_atoms;
    if (c.log)
        fprintf(c.log,
                "# training: %d configurations, %d parameters (%d radial, %d linear), %d species, %d MPI rank(s) x %d "
                "thread(s), optimizer %s%s\n",
                n_train_all, c.P, c.nr, c.nlin, c.S, c.size, c.nth,
                mode == FIT_OPT_BFGS ? "bfgs (MLIP-3)" : "varpro", c.have_deg ? "" : ", rescale by re-evaluation");
    int steps = 0, timed_out = 0;
    const int resumed = run.resume != NULL;
    if (!was_trained && run.phase == FIT_PHASE_PRETRAIN) {
        if (!resumed) {
            orthonormalise(&c);
            if ((st = lin_optimize(&c, train, n_train, NULL, err))) goto done2;
        }
        if (o->iteration_limit > 0 && !o->skip_preinit && mode == FIT_OPT_BFGS) {
            if (!resumed) {
                if ((st = rescale(&c, train, n_train, err))) goto done2;
                if (c.log) fprintf(c.log, "# pre-training (75 BFGS steps)\n");
            }
            if ((st = bfgs(&c, mode, train, n_train, valid, n_valid, 75, &steps, &timed_out, &run, err))) goto done2;
        }
        if ((st = rescale(&c, train, n_train, err))) goto done2;
    }
    if (run.phase == FIT_PHASE_PRETRAIN) run.phase = FIT_PHASE_TRAIN;
    if (run.phase == FIT_PHASE_TRAIN && o->iteration_limit > 0 && !timed_out) {
        if (c.log && !run.resume)
            fprintf(c.log, "# training (at most %d %s steps)\n", o->iteration_limit, mode == FIT_OPT_BFGS ? "BFGS" : "VarPro");
        if ((st = bfgs(&c, mode, train, n_train, valid, n_valid, o->iteration_limit, &steps, &timed_out, &run, err)))
            goto done2;
        *iterations = steps;
        if (timed_out && c.log) fprintf(c.log, "# stopped: --max_time reached\n");
    }
    /* Restarts (varpro, fresh training with --max_time): the optimiser
     * converged to a local minimum with time to spare; train again from a
     * new random start (seed + k) while at least a quarter of the budget
     * is left, keep the lowest training loss.  The best start so far is
     * part of the checkpoint (fit_run). */
    if (!st && !was_trained && mode == FIT_OPT_VARPRO && o->restarts && o->max_time > 0 && o->iteration_limit > 0 &&
        !timed_out) {
        int k = 1;
        if (run.phase == FIT_PHASE_RESTART) {
            k = run.restart;
            steps = run.steps_before;
        } else {
            run.best = malloc((size_t)c.P * sizeof(double));
            run.best_lambda = malloc((size_t)c.nlin * sizeof(double));
            run.best_sigma = mtp_potential_get_info(pot).scaling;
            memcpy(run.best, c.theta, (size_t)c.P * sizeof(double));
            memcpy(run.best_lambda, c.lambda, (size_t)c.nlin * sizeof(double));
            if ((st = eval_loss(&c, train, n_train, &run.Lb, NULL, NULL, 1, err))) goto done2;
        }
        for (; !st && k <= o->restarts; k++) {
            if (!run.resume) {
                double go = now_s() - c.t0 < 0.75 * o->max_time;
                bcast(&c, &go, 1);
                if (go == 0) break;
                run.phase = FIT_PHASE_RESTART, run.restart = k, run.steps_before = steps;
                if ((st = restart_start(&c, train, n_train, k, err))) break;
            }
            int s2 = 0;
            if ((st = bfgs(&c, mode, train, n_train, valid, n_valid, o->iteration_limit, &s2, &timed_out, &run, err)))
                break;
            steps += s2;
            double L;
            if ((st = eval_loss(&c, train, n_train, &L, NULL, NULL, 1, err))) break;
            if (c.log) fprintf(c.log, "# restart %d: loss %.6e (%d steps%s); best so far %.6e\n", k, L, s2,
                               timed_out ? ", cut by --max_time" : "", fmin(L, run.Lb));
            if (L < run.Lb) {
                run.Lb = L;
                memcpy(run.best, c.theta, (size_t)c.P * sizeof(double));
                run.best_sigma = mtp_potential_get_info(pot).scaling;
                memcpy(run.best_lambda, c.lambda, (size_t)c.nlin * sizeof(double));
            }
            if (timed_out) break;
        }
        /* the best start with its own ridge (the loss includes the ridge term) */
        if (!st) {
            memcpy(c.lambda, run.best_lambda, (size_t)c.nlin * sizeof(double));
            if (!(st = mtp_potential_set_scaling(pot, run.best_sigma, err))) st = set_theta(&c, run.best, err);
        }
        *iterations = steps;
        if (st) goto done2;
    }
    {
        /* final LinOptimize (ridge refreshed) and Rescale as in MLIP-3, kept
         * only if they do not increase the training loss */
        double L0, L1, sigma0 = mtp_potential_get_info(pot).scaling;
        double *th0 = malloc((size_t)c.P * sizeof(double));
        memcpy(th0, c.theta, (size_t)c.P * sizeof(double));
        if (!(st = eval_loss(&c, train, n_train, &L0, NULL, NULL, 1, err)) &&
            !(st = lin_optimize(&c, train, n_train, NULL, err)) && !(st = rescale(&c, train, n_train, err)) &&
            !(st = eval_loss(&c, train, n_train, &L1, NULL, NULL, 1, err)) && !(L1 <= L0)) {
            if (c.log) fprintf(c.log, "# final LinOptimize+Rescale raised the loss (%.6e -> %.6e): undone\n", L0, L1);
            if (!(st = mtp_potential_set_scaling(pot, sigma0, err))) st = set_theta(&c, th0, err);
        }
        free(th0);
        if (st) goto done2;
    }
    {
        double Lf;
        fit_stats fs;
        if ((st = eval_loss(&c, train, n_train, &Lf, NULL, &fs, 1, err))) goto done2;
        if (!isfinite(Lf) || !all_finite(c.theta, c.P)) {
            st = not_finite(err, "final loss or a parameter", steps);
            goto done2;
        }
        if (c.log)
            fprintf(c.log, "# final loss %.17g  rmse E %.3f meV/atom  F %.4f eV/A  (%d iterations, %.1f s)\n", Lf,
                    fs.ne ? 1e3 * sqrt(fs.e2 / fs.ne) : 0.0, fs.nf ? sqrt(fs.f2 / fs.nf) : 0.0, steps, now_s() - c.t0);
    }
    if (c.log && c.n_eval > 0)
        fprintf(c.log,
                "# %ld objective evaluations (loss%s; %ld of them also the gradient), %.1f s in all, %.3g s each, "
                "%.3g us per atom (wall, all ranks and threads)\n",
                c.n_eval, mode == FIT_OPT_VARPRO ? " with the linear solve" : "", c.n_grad, c.t_eval,
                c.t_eval / c.n_eval, 1e6 * c.t_eval / c.n_eval / (c.atoms > 0 ? c.atoms : 1));
done2:
    free(train), free(valid);
done:
    if (run.resume) fit_ckpt_free(run.resume);
    free(run.best), free(run.best_lambda);
    ctx_free(&c);
    return st;
}

/* ---- for tests ------------------------------------------------------- */
mtp_status fit_normal_equations(mtp_potential *pot, const mtp_cfg *cfgs, int n, const fit_options *o, double *G,
                                double *b, mtp_error *err)
{
    fit_ctx c;
    memset(&c, 0, sizeof c);
    c.size = 1;
    mtp_status st = ctx_init(&c, pot, o, err);
    if (!st) st = build_normal(&c, cfgs, n, G, b, err);
    ctx_free(&c);
    return st;
}

mtp_status fit_loss(mtp_potential *pot, const mtp_cfg *cfgs, int n, const fit_options *o, double *loss, double *grad,
                    mtp_error *err)
{
    fit_ctx c;
    memset(&c, 0, sizeof c);
    c.size = 1;
    mtp_status st = ctx_init(&c, pot, o, err);
    if (!st) st = eval_loss(&c, cfgs, n, loss, grad, NULL, 0, err);
    ctx_free(&c);
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
