/* The trainer (see fit.h).  Objective, regularisation, initialisation,
 * LinOptimize, Rescale and the BFGS schedule follow spec section 4. */
#include "fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

extern void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b,
                    const int *ldb, double *s, const double *rcond, int *rank, double *work, const int *lwork,
                    int *iwork, int *info);

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
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct fit_stats {
    double e2, f2, s2;
    long ne, nf, ns;
} fit_stats;

typedef struct fit_ctx {
    mtp_potential *pot;
    const fit_options *o;
    int P, S, K, R, A, nr, nlin;
    int nth;
    mtp_calculator **calc;
    mtp_param_deriv **pd;
    double *lambda;   /* [nlin] ridge of the linear parameters */
    double *theta;    /* current parameters */
    double t0;
} fit_ctx;

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

static mtp_status set_theta(fit_ctx *c, const double *th, mtp_error *err)
{
    if (th != c->theta) memcpy(c->theta, th, (size_t)c->P * sizeof(double));
    return mtp_potential_set_params(c->pot, c->theta, err);
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

/* Loss (and gradient) at the potential's current parameters. */
static mtp_status eval_loss(fit_ctx *c, const mtp_cfg *cfgs, int n, double *loss, double *grad, fit_stats *stats,
                            int with_penalty, mtp_error *err)
{
    const fit_options *o = c->o;
    const int P = c->P, nth = c->nth;
    double *gacc = grad ? calloc((size_t)nth * P, sizeof(double)) : NULL;
    double L = 0;
    fit_stats st = {0};
    mtp_status status = MTP_OK;
    int Ktot = 0;
    for (int k = 0; k < n; k++) Ktot += cfgs[k].n_atoms > 0;
#pragma omp parallel reduction(+ : L) num_threads(nth)
    {
        int tid = thread_id();
        double *F = NULL, *fadj = NULL, *dE = NULL, *dFW = NULL;
        long cap = 0;
        double *g = grad ? gacc + (size_t)tid * P : NULL;
        if (grad) {
            dE = malloc((size_t)P * sizeof(double));
            dFW = malloc((size_t)P * sizeof(double));
        }
        fit_stats ls = {0};
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
            double coefE = 0, wadj[6] = {0};
            int useF = 0, useS = 0;
            if (cf->has_energy && o->energy_weight != 0) {
                double r = E - cf->energy, w = o->energy_weight * pow(N, -o->weight_scaling);
                L += w * r * r;
                coefE = 2 * w * r;
                ls.e2 += (r / N) * (r / N);
                ls.ne++;
            }
            if (cf->forces && o->force_weight != 0) {
                double w = o->force_weight * pow(N, -o->weight_scaling_forces);
                for (int x = 0; x < 3 * N; x++) {
                    double r = F[x] - cf->forces[x];
                    L += w * r * r;
                    fadj[x] = 2 * w * r;
                    ls.f2 += r * r;
                }
                ls.nf += 3 * N;
                useF = 1;
            }
            if (cf->has_stress && o->stress_weight != 0) {
                double w = o->stress_weight / N, V = mtp_cfg_volume(cf);
                for (int q = 0; q < 6; q++) {
                    double r = W[q] - cf->stress[q], m = q < 3 ? 1 : 2;
                    L += w * m * r * r;
                    wadj[q] = 2 * w * m * r;
                    double rs = V > 0 ? r / V * 160.21766208 : r / N;
                    ls.s2 += m * rs * rs;
                }
                ls.ns += 9;
                useS = 1;
            }
            if (g && (coefE != 0 || useF || useS)) {
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
                if (coefE != 0)
                    for (int x = 0; x < P; x++) g[x] += coefE * dE[x];
                if (useF || useS)
                    for (int x = 0; x < P; x++) g[x] += dFW[x];
            }
        }
#pragma omp critical
        {
            st.e2 += ls.e2, st.f2 += ls.f2, st.s2 += ls.s2;
            st.ne += ls.ne, st.nf += ls.nf, st.ns += ls.ns;
        }
        free(F), free(fadj), free(dE), free(dFW);
    }
    if (status) {
        free(gacc);
        return status;
    }
    double inv = Ktot ? 1.0 / Ktot : 0.0;
    L *= inv;
    if (grad) {
        memset(grad, 0, (size_t)P * sizeof(double));
        for (int t = 0; t < nth; t++)
            for (int x = 0; x < P; x++) grad[x] += gacc[(size_t)t * P + x];
        for (int x = 0; x < P; x++) grad[x] *= inv;
        free(gacc);
    }
    if (with_penalty) L += penalty(c, c->theta, grad);
    *loss = L;
    if (stats) *stats = st;
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

/* LinOptimize: exact weighted least squares for (species, moment)
 * coefficients with the radial ones fixed.  *lambda_changed is set if the
 * ridge drifted outside [0.01, 100] times its target. */
static mtp_status lin_optimize(fit_ctx *c, const mtp_cfg *cfgs, int n, int *lambda_changed, mtp_error *err)
{
    const fit_options *o = c->o;
    const int nl = c->nlin, S = c->S, A = c->A, nth = c->nth;
    mtp_status status = set_theta(c, c->theta, err);
    if (status) return status;
    double *Gall = calloc((size_t)nth * nl * nl, sizeof(double)), *ball = calloc((size_t)nth * nl, sizeof(double));
    const double *x0 = c->theta + c->nr;
    int Ktot = 0;
    for (int k = 0; k < n; k++) Ktot += cfgs[k].n_atoms > 0;
#pragma omp parallel num_threads(nth)
    {
        int tid = thread_id();
        double *G = Gall + (size_t)tid * nl * nl, *b = ball + (size_t)tid * nl;
        double *F = NULL, *bF = NULL, *bW = malloc((size_t)A * 6 * sizeof(double));
        double *bs = malloc((size_t)A * sizeof(double)), *row = malloc((size_t)nl * sizeof(double));
        long cap = 0;
        mtp_error lerr;
#pragma omp for schedule(dynamic, 1)
        for (int k = 0; k < n; k++) {
            const mtp_cfg *cf = &cfgs[k];
            const int N = cf->n_atoms;
            if (N == 0 || status) continue;
            if (3L * N > cap) {
                cap = 3L * N;
                free(F), free(bF);
                F = malloc((size_t)cap * sizeof(double));
                bF = malloc((size_t)cap * A * sizeof(double));
            }
            double E, W[6];
            mtp_status s = mtp_compute(c->calc[tid], cf, &E, F, W, NULL, NULL, &lerr);
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
            if (cf->has_energy && o->energy_weight != 0) {
                memset(row, 0, (size_t)nl * sizeof(double));
                for (int i = 0; i < N; i++) {
                    int sp = mtp_potential_species_index(c->pot, cf->types[i]);
                    row[sp] += 1;
                }
                for (int a = 0; a < A; a++) row[S + a] = bs[a];
                double pr = 0;
                for (int i = 0; i < nl; i++) pr += row[i] * x0[i];
                ADDROW(o->energy_weight * pow(N, -o->weight_scaling), cf->energy - (E - pr));
            }
            if (cf->forces && o->force_weight != 0) {
                double w = o->force_weight * pow(N, -o->weight_scaling_forces);
                for (int x = 0; x < 3 * N; x++) {
                    memset(row, 0, (size_t)S * sizeof(double));
                    for (int a = 0; a < A; a++) row[S + a] = bF[(size_t)a * 3 * N + x];
                    double pr = 0;
                    for (int i = 0; i < nl; i++) pr += row[i] * x0[i];
                    ADDROW(w, cf->forces[x] - (F[x] - pr));
                }
            }
            if (cf->has_stress && o->stress_weight != 0) {
                double w = o->stress_weight / N;
                for (int q = 0; q < 6; q++) {
                    memset(row, 0, (size_t)S * sizeof(double));
                    for (int a = 0; a < A; a++) row[S + a] = bW[6 * a + q];
                    double pr = 0;
                    for (int i = 0; i < nl; i++) pr += row[i] * x0[i];
                    ADDROW(w * (q < 3 ? 1 : 2), cf->stress[q] - (W[q] - pr));
                }
            }
#undef ADDROW
        }
        free(F), free(bF), free(bW), free(bs), free(row);
    }
    if (status) {
        free(Gall), free(ball);
        return status;
    }
    double *G = Gall, *b = ball;
    for (int t = 1; t < nth; t++) {
        for (size_t x = 0; x < (size_t)nl * nl; x++) G[x] += Gall[(size_t)t * nl * nl + x];
        for (int x = 0; x < nl; x++) b[x] += ball[(size_t)t * nl + x];
    }
    double inv = Ktot ? 1.0 / Ktot : 0.0;
    for (size_t x = 0; x < (size_t)nl * nl; x++) G[x] *= inv;
    for (int x = 0; x < nl; x++) b[x] *= inv;
    /* symmetric fill (upper computed, row-major == column-major lower) */
    for (int i = 0; i < nl; i++)
        for (int j = 0; j < i; j++) G[(size_t)i * nl + j] = G[(size_t)j * nl + i];
    int changed = 0;
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
    double *Gs = malloc((size_t)nl * nl * sizeof(double)), *x = malloc((size_t)nl * sizeof(double));
    double *dsc = malloc((size_t)nl * sizeof(double));
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
    free(dsc);
    if (info == 0) {
        memcpy(c->theta + c->nr, x, (size_t)nl * sizeof(double));
        status = set_theta(c, c->theta, err);
    } else {
        status = MTP_ERR_INVALID;
        if (err) snprintf(err->message, sizeof err->message, "linear least-squares solve failed (info %d)", info);
    }
    free(Gs), free(x), free(Gall), free(ball);
    return status;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double balance(const fit_ctx *c)
{
    const int nl = c->nlin;
    double *v = malloc((size_t)nl * sizeof(double)), n2 = 0;
    for (int l = 0; l < nl; l++) {
        v[l] = fabs(c->theta[c->nr + l]);
        n2 += v[l] * v[l];
    }
    qsort(v, (size_t)nl, sizeof(double), cmp_double);
    double med = nl % 2 ? v[nl / 2] : 0.5 * (v[nl / 2 - 1] + v[nl / 2]);
    free(v);
    return med > 0 ? sqrt(n2) / med : INFINITY;
}

/* Rescale (spec 4.5). */
static mtp_status rescale(fit_ctx *c, const mtp_cfg *cfgs, int n, mtp_error *err)
{
    static const double fac[5] = {1 / 1.2, 1 / 1.1, 1.0, 1.1, 1.2};
    double sigma = mtp_potential_get_info(c->pot).scaling;
    double lo = sigma, hi = sigma;
    double *best_th = malloc((size_t)c->P * sizeof(double)), *th0 = malloc((size_t)c->P * sizeof(double));
    mtp_status st = MTP_OK;
    for (int round = 0; round < 60; round++) {
        memcpy(th0, c->theta, (size_t)c->P * sizeof(double));
        double best_q = INFINITY, best_s = sigma;
        int best_i = 2;
        for (int i = 0; i < 5; i++) {
            double s = sigma * fac[i];
            memcpy(c->theta, th0, (size_t)c->P * sizeof(double));
            if ((st = mtp_potential_set_scaling(c->pot, s, err))) goto out;
            if ((st = lin_optimize(c, cfgs, n, NULL, err))) goto out;
            double q = balance(c);
            if (q < best_q || (q == best_q && i == 2)) {
                best_q = q, best_s = s, best_i = i;
                memcpy(best_th, c->theta, (size_t)c->P * sizeof(double));
            }
        }
        sigma = best_s;
        mtp_potential_set_scaling(c->pot, sigma, err);
        memcpy(c->theta, best_th, (size_t)c->P * sizeof(double));
        set_theta(c, c->theta, err);
        int at_end = best_i == 0 || best_i == 4;
        int outside = sigma < lo * 0.999 || sigma > hi * 1.001;
        if (sigma < lo) lo = sigma;
        if (sigma > hi) hi = sigma;
        if (!at_end || !outside) break;
    }
    if (c->o->log) fprintf(c->o->log, "# rescale: scaling = %.6g\n", sigma);
out:
    free(best_th), free(th0);
    return st;
}

static void print_progress(fit_ctx *c, int it, int limit, double L, const fit_stats *s, const fit_stats *vs, int have_v)
{
    FILE *lg = c->o->log;
    if (!lg) return;
    double el = now_s() - c->t0;
    fprintf(lg, "BFGS iter %4d  loss %.6e  rmse E %.3f meV/atom  F %.4f eV/A  S %.3f GPa", it, L,
            s->ne ? 1e3 * sqrt(s->e2 / s->ne) : 0.0, s->nf ? sqrt(s->f2 / s->nf) : 0.0,
            s->ns ? sqrt(s->s2 / s->ns) : 0.0);
    if (have_v)
        fprintf(lg, "  | valid E %.3f F %.4f", vs->ne ? 1e3 * sqrt(vs->e2 / vs->ne) : 0.0,
                vs->nf ? sqrt(vs->f2 / vs->nf) : 0.0);
    double eta = it > 0 ? el / it * (limit - it) : 0;
    if (c->o->max_time > 0 && eta > c->o->max_time - el) eta = fmax(0, c->o->max_time - el);
    fprintf(lg, "  elapsed %.0fs  ETA<=%.0fs\n", el, eta);
    fflush(lg);
}

typedef struct bfgs_result {
    int steps;
    int stop_time;
} bfgs_result;

/* BFGS with a strong-Wolfe line search (c1 0.1, c2 0.5), spec 4.6. */
static mtp_status bfgs(fit_ctx *c, const mtp_cfg *cfgs, int n, const mtp_cfg *valid, int nv, int limit, int *steps_done,
                       int *timed_out, mtp_error *err)
{
    const int P = c->P;
    const fit_options *o = c->o;
    double *H = malloc((size_t)P * P * sizeof(double)), *g = malloc(P * sizeof(double)), *gn = malloc(P * sizeof(double));
    double *p = malloc(P * sizeof(double)), *x0 = malloc(P * sizeof(double)), *xt = malloc(P * sizeof(double));
    double *y = malloc(P * sizeof(double)), *Hy = malloc(P * sizeof(double)), *gbest = malloc(P * sizeof(double));
    double L, Lref = INFINITY, last_ckpt = now_s();
    fit_stats stt, vst = {0};
    int have_v = 0, fresh_H = 1, steps = 0;
    mtp_status st = set_theta(c, c->theta, err);
    if (!st) st = eval_loss(c, cfgs, n, &L, g, &stt, 1, err);
    *timed_out = 0;
    for (; !st && steps < limit;) {
        if (fresh_H) {
            memset(H, 0, (size_t)P * P * sizeof(double));
            for (int i = 0; i < P; i++) H[(size_t)i * P + i] = 1.0;
        }
        double d0 = 0;
        for (int i = 0; i < P; i++) {
            double s = 0;
            for (int j = 0; j < P; j++) s -= H[(size_t)i * P + j] * g[j];
            p[i] = s;
            d0 += s * g[i];
        }
        if (!(d0 < 0)) {
            if (fresh_H) break; /* zero gradient */
            fresh_H = 1;
            continue;
        }
        memcpy(x0, c->theta, P * sizeof(double));
        double pmax = 0;
        for (int i = 0; i < c->nr; i++) pmax = fmax(pmax, fabs(p[i]));
        double a = 1.0;
        if (pmax * a > 0.5) a = 0.5 / pmax;
        double a_lo = 0, f_lo = L, dlo = d0, a_hi = -1, f_hi = 0, acc_a = -1, acc_f = 0;
        fit_stats acc_s = stt, ts;
        for (int ls = 0; ls < 40 && !st; ls++) {
            for (int i = 0; i < P; i++) xt[i] = x0[i] + a * p[i];
            double f;
            if ((st = set_theta(c, xt, err))) break;
            if ((st = eval_loss(c, cfgs, n, &f, gn, &ts, 1, err))) break;
            double d = 0;
            for (int i = 0; i < P; i++) d += gn[i] * p[i];
            if (!isfinite(f) || f > L + 0.1 * a * d0 || (a_hi < 0 && ls > 0 && f >= f_lo && a > a_lo)) {
                a_hi = a, f_hi = f;
            } else if (fabs(d) <= 0.5 * fabs(d0)) {
                acc_a = a, acc_f = f, acc_s = ts;
                memcpy(gbest, gn, P * sizeof(double));
                break;
            } else if (d > 0) {
                a_hi = a, f_hi = f;
            } else {
                a_lo = a, f_lo = f, dlo = d;
                /* keep the best sufficient-decrease point as a fallback */
                acc_a = a, acc_f = f, acc_s = ts;
                memcpy(gbest, gn, P * sizeof(double));
            }
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
            if ((st = set_theta(c, x0, err))) break;
            if (fresh_H) break;
            fresh_H = 1;
            continue;
        }
        for (int i = 0; i < P; i++) c->theta[i] = x0[i] + acc_a * p[i];
        if ((st = set_theta(c, c->theta, err))) break;
        double sy = 0, yy = 0;
        for (int i = 0; i < P; i++) {
            y[i] = gbest[i] - g[i];
            sy += acc_a * p[i] * y[i];
            yy += y[i] * y[i];
        }
        if (sy > 0) {
            if (fresh_H) {
                double sc = sy / yy;
                for (int i = 0; i < P; i++) H[(size_t)i * P + i] = sc;
            }
            double yHy = 0;
            for (int i = 0; i < P; i++) {
                double s = 0;
                for (int j = 0; j < P; j++) s += H[(size_t)i * P + j] * y[j];
                Hy[i] = s;
                yHy += s * y[i];
            }
            double rho = 1.0 / sy, f1 = (1 + rho * yHy) * rho;
            for (int i = 0; i < P; i++) {
                double si = acc_a * p[i];
                for (int j = 0; j < P; j++) {
                    double sj = acc_a * p[j];
                    H[(size_t)i * P + j] += f1 * si * sj - rho * (Hy[i] * sj + si * Hy[j]);
                }
            }
            fresh_H = 0;
        }
        double Lold = L;
        L = acc_f;
        stt = acc_s;
        memcpy(g, gbest, P * sizeof(double));
        steps++;
        if (nv > 0 && (steps % o->valid_every == 0 || steps == 1)) {
            double lv;
            if ((st = eval_loss(c, valid, nv, &lv, NULL, &vst, 0, err))) break;
            have_v = 1;
        }
        print_progress(c, steps, limit, L, &stt, &vst, have_v);
        if (o->checkpoint_path && now_s() - last_ckpt > o->checkpoint_interval) {
            mtp_error e2;
            if (mtp_potential_write(c->pot, o->checkpoint_path, &e2) == MTP_OK && o->log)
                fprintf(o->log, "# checkpoint written to %s\n", o->checkpoint_path);
            last_ckpt = now_s();
        }
        if (fabs(Lold - L) < 1e-16) break;
        if (steps == 25 || steps == 70 || steps == 100 || steps == 150 || steps == 250 || steps == 400) {
            int changed = 0;
            if ((st = lin_optimize(c, cfgs, n, &changed, err))) break;
            if ((st = eval_loss(c, cfgs, n, &L, g, &stt, 1, err))) break;
            if (changed) fresh_H = 1;
        }
        if (steps >= 150 && steps % 50 == 0) {
            if ((Lref - L) / L < o->tolerance) break;
            Lref = L;
        }
        if (o->max_time > 0 && now_s() - c->t0 > o->max_time) {
            *timed_out = 1;
            break;
        }
    }
    *steps_done = steps;
    free(H), free(g), free(gn), free(p), free(x0), free(xt), free(y), free(Hy), free(gbest);
    return st;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

mtp_status fit_train(mtp_potential *pot, const mtp_cfg *train, int n_train, const mtp_cfg *valid, int n_valid,
                     const fit_options *o, int *iterations, mtp_error *err)
{
    fit_ctx c;
    memset(&c, 0, sizeof c);
    c.pot = pot;
    c.o = o;
    c.t0 = now_s();
    *iterations = 0;
    mtp_potential_info info = mtp_potential_get_info(pot);
    const int was_trained = info.trained;
    mtp_status st = MTP_OK;
    if (!was_trained) {
        /* species: sorted set of types in the training set (spec 2.4) */
        int nlab = 0, cap = 16, *lab = malloc(cap * sizeof(int));
        for (int k = 0; k < n_train; k++)
            for (int i = 0; i < train[k].n_atoms; i++) {
                int t = train[k].types[i], seen = 0;
                for (int q = 0; q < nlab; q++) seen |= lab[q] == t;
                if (seen) continue;
                if (nlab == cap) lab = realloc(lab, (cap *= 2) * sizeof(int));
                lab[nlab++] = t;
            }
        qsort(lab, nlab, sizeof(int), cmp_int);
        st = mtp_potential_set_species(pot, nlab, lab, err);
        free(lab);
        if (st) return st;
        if (!o->no_mindist_update) {
            double dmin = INFINITY;
            for (int k = 0; k < n_train; k++) {
                double d;
                if (mtp_cfg_min_distance(&train[k], info.max_dist, &d, 0, NULL, err) == MTP_OK && d < dmin) dmin = d;
            }
            if (isfinite(dmin) && 0.99 * dmin < info.max_dist) {
                if ((st = mtp_potential_set_min_dist(pot, 0.99 * dmin, err))) return st;
                if (o->log) fprintf(o->log, "# min_dist set to %.4f A (0.99 x smallest distance)\n", 0.99 * dmin);
            }
        }
        info = mtp_potential_get_info(pot);
    }
    c.S = info.species_count;
    c.K = info.radial_funcs_count;
    c.R = info.radial_basis_size;
    c.A = info.scalar_count;
    c.P = info.param_count;
    c.nr = c.S * c.S * c.K * c.R;
    c.nlin = c.S + c.A;
    c.theta = calloc(c.P, sizeof(double));
    c.lambda = calloc(c.nlin, sizeof(double));
    if (was_trained) {
        if ((st = mtp_potential_get_params(pot, c.theta, err))) goto done;
    } else {
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
    c.nth = nthreads();
    c.calc = calloc(c.nth, sizeof *c.calc);
    c.pd = calloc(c.nth, sizeof *c.pd);
    for (int t = 0; t < c.nth; t++) {
        if ((st = mtp_calculator_create(pot, &c.calc[t], err))) goto done;
        if ((st = mtp_param_deriv_create(pot, &c.pd[t], err))) goto done;
    }
    if (o->log)
        fprintf(o->log, "# training: %d configurations, %d parameters (%d radial, %d linear), %d species, %d threads\n",
                n_train, c.P, c.nr, c.nlin, c.S, c.nth);
    int steps = 0, timed_out = 0;
    if (!was_trained) {
        orthonormalise(&c);
        if ((st = lin_optimize(&c, train, n_train, NULL, err))) goto done;
        if (o->iteration_limit > 0 && !o->skip_preinit) {
            if ((st = rescale(&c, train, n_train, err))) goto done;
            if (o->log) fprintf(o->log, "# pre-training (75 BFGS steps)\n");
            if ((st = bfgs(&c, train, n_train, valid, n_valid, 75, &steps, &timed_out, err))) goto done;
            if ((st = rescale(&c, train, n_train, err))) goto done;
        }
    }
    if (o->iteration_limit > 0 && !timed_out) {
        if (o->log) fprintf(o->log, "# training (at most %d BFGS steps)\n", o->iteration_limit);
        if ((st = bfgs(&c, train, n_train, valid, n_valid, o->iteration_limit, &steps, &timed_out, err))) goto done;
        *iterations = steps;
        if (timed_out && o->log) fprintf(o->log, "# stopped: --max_time reached\n");
    }
    if ((st = lin_optimize(&c, train, n_train, NULL, err))) goto done;
    if ((st = rescale(&c, train, n_train, err))) goto done;
done:
    for (int t = 0; c.calc && t < c.nth; t++) {
        mtp_calculator_destroy(c.calc[t]);
        mtp_param_deriv_destroy(c.pd[t]);
    }
    free(c.calc), free(c.pd), free(c.theta), free(c.lambda);
    return st;
}
