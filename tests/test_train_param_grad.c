/* SPDX-License-Identifier: BSD-3-Clause */
/* The trainer's loss gradient on the kernel's stages (param_grad.c,
 * behind mtp_cfg_param_grad) against the scalar forward-over-reverse of
 * jacobian.c (to 1e-12 relative) and against finite differences of the
 * kernel's energy, forces and virial: one and two species, partial groups
 * of MTP_SITES sites, a site without neighbours, the repulsive radial basis
 * with pairs inside min_dist, energy-only and force-only adjoints.  Also
 * the design rows of the linear coefficients (mtp_cfg_basis_grad), built
 * from the kernel's forward stage with products over the kernel's runs,
 * against the scalar path they replaced (to 1e-12; finite differences of
 * the rows are in test_train_jacobian). */
#include "internal.h"
#include "testpot.h"

static double maxdiff(const double *a, const double *b, int n, double *scale)
{
    double d = 0, s = 1e-300;
    for (int i = 0; i < n; i++) {
        d = fmax(d, fabs(a[i] - b[i]));
        s = fmax(s, fabs(b[i]));
    }
    *scale = s;
    return d / s;
}

/* Batched vs scalar for the adjoints given; returns the worse relative difference. */
static double compare(mtp_param_deriv *pd, const mtp_cfg *cfg, const double *fa, const double *wa, int P,
                      const char *what)
{
    mtp_error err;
    double *e1 = calloc(P, sizeof(double)), *f1 = calloc(P, sizeof(double));
    double *e0 = calloc(P, sizeof(double)), *f0 = calloc(P, sizeof(double)), s;
    CHECK_OK(mtp_cfg_param_grad(pd, cfg, fa, wa, e1, f1, &err), err);
    CHECK_OK(mtp_cfg_param_grad_scalar(pd, cfg, fa, wa, e0, f0, &err), err);
    double de = maxdiff(e1, e0, P, &s), df = (fa || wa) ? maxdiff(f1, f0, P, &s) : 0;
    printf("%s: batched vs scalar d_energy %.2e, d_fw %.2e\n", what, de, df);
    CHECK(de < 1e-12, "%s: d_energy differs from the scalar path (%.2e)", what, de);
    CHECK(df < 1e-12, "%s: d_fw differs from the scalar path (%.2e)", what, df);
    /* energy only: d_fw untouched by a missing adjoint */
    CHECK_OK(mtp_cfg_param_grad(pd, cfg, NULL, NULL, e1, NULL, &err), err);
    de = maxdiff(e1, e0, P, &s);
    CHECK(de < 1e-12, "%s: energy-only gradient differs (%.2e)", what, de);
    free(e0), free(f0), free(e1), free(f1);
    return fmax(de, df);
}

/* Design rows of the linear coefficients on the kernel's forward stage and
 * product runs vs the scalar forward() and products one entry at a time. */
static void compare_rows(mtp_param_deriv *pd, const mtp_cfg *cfg, int A, const char *what)
{
    mtp_error err;
    const size_t nf = (size_t)A * 3 * cfg->n_atoms + 1;
    double *b1 = calloc(A, sizeof(double)), *f1 = calloc(nf, sizeof(double)), *w1 = calloc(6 * (size_t)A, sizeof(double));
    double *b0 = calloc(A, sizeof(double)), *f0 = calloc(nf, sizeof(double)), *w0 = calloc(6 * (size_t)A, sizeof(double)), s;
    CHECK_OK(mtp_cfg_basis_grad(pd, cfg, b1, f1, w1, &err), err);
    mtp_param_deriv_set_reference_rows(pd, 1);
    CHECK_OK(mtp_cfg_basis_grad(pd, cfg, b0, f0, w0, &err), err);
    mtp_param_deriv_set_reference_rows(pd, 0);
    double db = maxdiff(b1, b0, A, &s), df = maxdiff(f1, f0, (int)nf, &s), dw = maxdiff(w1, w0, 6 * A, &s);
    printf("%s: design rows, kernel stages vs scalar reference: basis %.2e, forces %.2e, virial %.2e\n", what, db, df, dw);
    CHECK(db < 1e-12, "%s: basis values differ (%.2e)", what, db);
    CHECK(df < 1e-12 && dw < 1e-12, "%s: design rows differ (%.2e, %.2e)", what, df, dw);
    free(b0), free(f0), free(w0), free(b1), free(f1), free(w1);
}

/* d_energy and d_fw against central differences of mtp_compute in every parameter. */
static void fd_check(mtp_potential *pot, mtp_param_deriv *pd, const mtp_cfg *cfg, const double *fa,
                     const double *wa, const char *what)
{
    mtp_error err;
    const int P = mtp_potential_param_count(pot), n = cfg->n_atoms;
    double *th = calloc(P, sizeof(double)), *tp = calloc(P, sizeof(double));
    double *dE = calloc(P, sizeof(double)), *dF = calloc(P, sizeof(double)), *F = calloc(3 * n, sizeof(double));
    mtp_potential_get_params(pot, th, &err);
    mtp_calculator *calc;
    CHECK_OK(mtp_calculator_create(pot, &calc, &err), err);
    mtp_calculator_set_min_dist_policy(calc, MTP_MIN_DIST_ALLOW);
    CHECK_OK(mtp_cfg_param_grad(pd, cfg, fa, wa, dE, dF, &err), err);
    double wE = 0, wF = 0, sE = 1e-8, sF = 1e-8;
    for (int i = 0; i < P; i++) sE = fmax(sE, fabs(dE[i])), sF = fmax(sF, fabs(dF[i]));
    for (int i = 0; i < P; i++) {
        double h = 1e-6 * fmax(1.0, fabs(th[i])), s[2], e[2], W[6];
        for (int sg = 0; sg < 2; sg++) {
            memcpy(tp, th, P * sizeof(double));
            tp[i] += sg ? -h : h;
            mtp_potential_set_params(pot, tp, &err);
            CHECK_OK(mtp_compute(calc, cfg, &e[sg], F, W, NULL, NULL, &err), err);
            double acc = 0;
            for (int x = 0; x < 3 * n; x++) acc += fa[x] * F[x];
            for (int c = 0; c < 6; c++) acc += wa[c] * W[c];
            s[sg] = acc;
        }
        wE = fmax(wE, fabs((e[0] - e[1]) / (2 * h) - dE[i]));
        wF = fmax(wF, fabs((s[0] - s[1]) / (2 * h) - dF[i]));
    }
    mtp_potential_set_params(pot, th, &err);
    printf("%s: dE/dtheta vs FD %.2e, d(f.F + w.W)/dtheta vs FD %.2e\n", what, wE / sE, wF / sF);
    CHECK(wE / sE < 1e-6, "%s: energy gradient vs FD (%.2e)", what, wE / sE);
    CHECK(wF / sF < 1e-6, "%s: force/virial gradient vs FD (%.2e)", what, wF / sF);
    mtp_calculator_destroy(calc);
    free(th), free(tp), free(dE), free(dF), free(F);
}

static void run_case(int level, int S, int n, double a, int repulsive, int fd, const char *what)
{
    mtp_error err;
    mtp_potential *pot = tp_potential(level, S, 5.0);
    if (repulsive) pot->radial_type = MTP_RADIAL_CHEBYSHEV_REPULSIVE;
    const int P = mtp_potential_param_count(pot);
    const double L[3][3] = {{a, 0, 0}, {0.3, a * 1.05, 0}, {0, 0.2, a * 0.97}};
    mtp_cfg cfg;
    tp_random_cfg(&cfg, n, L, S, repulsive ? 1.2 : 1.9, 1);
    double *fa = calloc(3 * n, sizeof(double)), wa[6];
    for (int x = 0; x < 3 * n; x++) fa[x] = tu_rand();
    for (int c = 0; c < 6; c++) wa[c] = tu_rand();
    mtp_param_deriv *pd;
    CHECK_OK(mtp_param_deriv_create(pot, &pd, &err), err);
    char name[128];
    snprintf(name, sizeof name, "%s, forces and virial", what);
    compare(pd, &cfg, fa, wa, P, name);
    snprintf(name, sizeof name, "%s, forces only", what);
    compare(pd, &cfg, fa, NULL, P, name);
    snprintf(name, sizeof name, "%s, virial only", what);
    compare(pd, &cfg, NULL, wa, P, name);
    compare_rows(pd, &cfg, mtp_potential_get_info(pot).scalar_count, what);
    if (fd) fd_check(pot, pd, &cfg, fa, wa, what);
    mtp_param_deriv_destroy(pd);
    mtp_cfg_free(&cfg);
    mtp_potential_destroy(pot);
    free(fa);
}

int main(void)
{
    /* one species: the vectorised radial sums; 13 atoms = 3 full groups + 1 */
    run_case(16, 1, 13, 5.2, 0, 1, "level 16, 1 species, 13 atoms");
    /* two species: per-neighbour radial blocks; 10 atoms = 2 groups + 2 */
    run_case(12, 2, 10, 4.8, 0, 1, "level 12, 2 species, 10 atoms");
    /* a larger cell, 3 species, more neighbours than one row of vectors */
    run_case(10, 3, 32, 7.0, 0, 0, "level 10, 3 species, 32 atoms");
    /* repulsive basis with pairs closer than min_dist (1.6 A) */
    run_case(8, 1, 16, 4.0, 1, 1, "level 8, repulsive, 16 atoms");

    /* isolated atoms (no pairs in the cutoff) and an empty configuration */
    {
        mtp_error err;
        mtp_potential *pot = tp_potential(10, 1, 5.0);
        const int P = mtp_potential_param_count(pot);
        mtp_cfg cfg;
        mtp_cfg_init(&cfg);
        CHECK_OK(mtp_cfg_alloc(&cfg, 3, 0, &err), err);
        for (int i = 0; i < 3; i++) cfg.positions[3 * i] = 10.0 * i, cfg.types[i] = 0;
        double fa[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        mtp_param_deriv *pd;
        CHECK_OK(mtp_param_deriv_create(pot, &pd, &err), err);
        compare(pd, &cfg, fa, NULL, P, "isolated atoms");
        mtp_cfg_free(&cfg);
        mtp_cfg_init(&cfg);
        compare(pd, &cfg, NULL, NULL, P, "empty configuration");
        mtp_param_deriv_destroy(pd);
        mtp_potential_destroy(pot);
    }
    printf("%d checks, %d failures\n", tu_checks, tu_failures);
    return tu_failures ? 1 : 0;
}
