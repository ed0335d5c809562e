/* SPDX-License-Identifier: BSD-3-Clause */
/* Finite-difference tests of the parameter derivatives (jacobian.c):
 * site d_params / d_rij against the kernel, mixed second derivatives
 * against differences of the kernel in r and in theta, basis gradients,
 * and the configuration-level force/virial Jacobian products. */
#include <openmtp/openmtp.h>

#include "testutil.h"

static double urand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffffff) / (double)0x1000000;
}

static double maxrel(const double *a, const double *b, int n, double floor_)
{
    double num = 0, den = floor_;
    for (int i = 0; i < n; i++) {
        num = fmax(num, fabs(a[i] - b[i]));
        den = fmax(den, fabs(b[i]));
    }
    return num / den;
}

int main(void)
{
    mtp_error err;
    unsigned seed = 12345;
    int labels[2] = {0, 1};
    mtp_basis_options bo = {.level = 12, .species_count = 2, .species_labels = labels, .min_dist = 1.6,
                            .max_dist = 5.0, .radial_basis_size = 8, .radial_funcs_count = 0};
    mtp_potential *pot = NULL;
    mtp_status st = mtp_potential_generate(&bo, &pot, &err);
    CHECK_OK(st, err);
    if (st) return 1;
    const int P = mtp_potential_param_count(pot);
    mtp_potential_info info = mtp_potential_get_info(pot);
    const int A = info.scalar_count;
    double *theta = calloc((size_t)P, sizeof(double));
    for (int i = 0; i < P; i++) theta[i] = 0.5 * (2 * urand(&seed) - 1);
    CHECK_OK(mtp_potential_set_params(pot, theta, &err), err);
    mtp_calculator *calc = NULL;
    mtp_param_deriv *pd = NULL;
    CHECK_OK(mtp_calculator_create(pot, &calc, &err), err);
    CHECK_OK(mtp_param_deriv_create(pot, &pd, &err), err);

    enum { N = 14 };
    int sp[N];
    double rij[3 * N], v[3 * N], r2[3 * N];
    for (int j = 0; j < N; j++) {
        sp[j] = urand(&seed) < 0.5;
        double r = 1.9 + 3.0 * urand(&seed), x, y, z, l;
        do {
            x = 2 * urand(&seed) - 1, y = 2 * urand(&seed) - 1, z = 2 * urand(&seed) - 1;
            l = sqrt(x * x + y * y + z * z);
        } while (l > 1 || l < 0.1);
        rij[3 * j] = r * x / l, rij[3 * j + 1] = r * y / l, rij[3 * j + 2] = r * z / l;
        for (int a = 0; a < 3; a++) v[3 * j + a] = 2 * urand(&seed) - 1;
    }
    const int center = 1;
    double e0, e1, *D0 = calloc(3 * N, sizeof(double)), *D1 = calloc(3 * N, sizeof(double));
    double *dp0 = calloc(P, sizeof(double)), *dp1 = calloc(P, sizeof(double)), *dpd = calloc(P, sizeof(double));
    double *fd = calloc(P, sizeof(double)), *tp = calloc(P, sizeof(double)), *tm = calloc(P, sizeof(double));
    CHECK_OK(mtp_site_eval(calc, center, N, sp, rij, &e0, D0, NULL, dp0, &err), err);
    CHECK_OK(mtp_site_param_jvp(pd, center, N, sp, rij, v, &e1, D1, dp1, dpd, &err), err);
    CHECK(tu_close(e0, e1, 1e-12, 1e-12), "energy %.15g vs kernel %.15g", e1, e0);
    double rel = maxrel(D1, D0, 3 * N, 1e-12);
    printf("site d_rij vs kernel: max rel diff %.2e\n", rel);
    CHECK(rel < 1e-11, "d_rij differs from the kernel (%.2e)", rel);
    rel = maxrel(dp1, dp0, P, 1e-12);
    printf("site d_params vs kernel: max rel diff %.2e\n", rel);
    CHECK(rel < 1e-11, "d_params differs from the kernel (%.2e)", rel);

    /* mixed derivative, (a): central differences of the kernel's d_params along v */
    const double h = 1e-5;
    for (int x = 0; x < 3 * N; x++) r2[x] = rij[x] + h * v[x];
    CHECK_OK(mtp_site_eval(calc, center, N, sp, r2, NULL, NULL, NULL, tp, &err), err);
    for (int x = 0; x < 3 * N; x++) r2[x] = rij[x] - h * v[x];
    CHECK_OK(mtp_site_eval(calc, center, N, sp, r2, NULL, NULL, NULL, tm, &err), err);
    for (int i = 0; i < P; i++) fd[i] = (tp[i] - tm[i]) / (2 * h);
    rel = maxrel(dpd, fd, P, 1e-8);
    printf("d/dtheta(v.dV/dr) vs FD in r: max rel diff %.2e (P=%d)\n", rel, P);
    CHECK(rel < 1e-6, "mixed derivative vs FD in r (%.2e)", rel);
    /* (b): central differences in theta of v . d_rij, every parameter */
    {
        double worst = 0, scale = 1e-8;
        for (int i = 0; i < P; i++) scale = fmax(scale, fabs(dpd[i]));
        for (int i = 0; i < P; i++) {
            double hp = 1e-6 * fmax(1.0, fabs(theta[i])), s[2];
            for (int sg = 0; sg < 2; sg++) {
                memcpy(tp, theta, P * sizeof(double));
                tp[i] += sg ? -hp : hp;
                mtp_potential_set_params(pot, tp, &err);
                mtp_site_eval(calc, center, N, sp, rij, NULL, D1, NULL, NULL, &err);
                double acc = 0;
                for (int x = 0; x < 3 * N; x++) acc += v[x] * D1[x];
                s[sg] = acc;
            }
            worst = fmax(worst, fabs((s[0] - s[1]) / (2 * hp) - dpd[i]));
        }
        mtp_potential_set_params(pot, theta, &err);
        printf("d/dtheta(v.dV/dr) vs FD in theta: max rel diff %.2e\n", worst / scale);
        CHECK(worst / scale < 1e-6, "mixed derivative vs FD in theta (%.2e)", worst / scale);
    }
    /* basis gradient */
    {
        double *b0 = calloc(A, sizeof(double)), *bp = calloc(A, sizeof(double)), *bm = calloc(A, sizeof(double));
        double *dB = calloc((size_t)A * 3 * N, sizeof(double));
        CHECK_OK(mtp_site_basis_grad(pd, center, N, sp, rij, b0, dB, &err), err);
        double worst = 0, scale = 1e-10;
        for (int x = 0; x < 3 * N; x++) {
            memcpy(r2, rij, sizeof r2);
            r2[x] += h;
            mtp_site_eval(calc, center, N, sp, r2, NULL, NULL, bp, NULL, &err);
            r2[x] -= 2 * h;
            mtp_site_eval(calc, center, N, sp, r2, NULL, NULL, bm, NULL, &err);
            for (int k = 0; k < A; k++) {
                double f = (bp[k] - bm[k]) / (2 * h);
                scale = fmax(scale, fabs(f));
                worst = fmax(worst, fabs(f - dB[(size_t)k * 3 * N + x]));
            }
        }
        printf("dB/dr vs FD: max rel diff %.2e (A=%d)\n", worst / scale, A);
        CHECK(worst / scale < 1e-6, "basis gradient (%.2e)", worst / scale);
        free(b0), free(bp), free(bm), free(dB);
    }

    /* configuration level: periodic cell with two species */
    {
        mtp_cfg cfg;
        mtp_cfg_init(&cfg);
        const int n = 10;
        CHECK_OK(mtp_cfg_alloc(&cfg, n, 0, &err), err);
        double L = 4.6;
        cfg.lattice[0][0] = L, cfg.lattice[1][1] = L * 1.05, cfg.lattice[2][2] = L * 0.97;
        cfg.lattice[1][0] = 0.3;
        for (int i = 0; i < n; i++) {
            cfg.types[i] = i % 2;
            int ok;
            do {
                for (int a = 0; a < 3; a++) cfg.positions[3 * i + a] = L * urand(&seed);
                ok = 1;
                for (int k = 0; k < i; k++) {
                    double d2 = 0;
                    for (int a = 0; a < 3; a++) {
                        double d = cfg.positions[3 * i + a] - cfg.positions[3 * k + a];
                        d2 += d * d;
                    }
                    if (d2 < 1.7 * 1.7) ok = 0;
                }
            } while (!ok);
        }
        double *fa = calloc(3 * n, sizeof(double)), wa[6], *F = calloc(3 * n, sizeof(double)), W[6], E;
        for (int x = 0; x < 3 * n; x++) fa[x] = 2 * urand(&seed) - 1;
        for (int c = 0; c < 6; c++) wa[c] = 2 * urand(&seed) - 1;
        double *dE = calloc(P, sizeof(double)), *dFW = calloc(P, sizeof(double));
        CHECK_OK(mtp_cfg_param_grad(pd, &cfg, fa, wa, dE, dFW, &err), err);
        double wE = 0, wF = 0, sE = 1e-8, sF = 1e-8;
        for (int i = 0; i < P; i++) sE = fmax(sE, fabs(dE[i])), sF = fmax(sF, fabs(dFW[i]));
        for (int i = 0; i < P; i++) {
            double hp = 1e-6 * fmax(1.0, fabs(theta[i])), s[2], e[2];
            for (int sg = 0; sg < 2; sg++) {
                memcpy(tp, theta, P * sizeof(double));
                tp[i] += sg ? -hp : hp;
                mtp_potential_set_params(pot, tp, &err);
                mtp_compute(calc, &cfg, &E, F, W, NULL, NULL, &err);
                double acc = 0;
                for (int x = 0; x < 3 * n; x++) acc += fa[x] * F[x];
                for (int c = 0; c < 6; c++) acc += wa[c] * W[c];
                s[sg] = acc;
                e[sg] = E;
            }
            wE = fmax(wE, fabs((e[0] - e[1]) / (2 * hp) - dE[i]));
            wF = fmax(wF, fabs((s[0] - s[1]) / (2 * hp) - dFW[i]));
        }
        mtp_potential_set_params(pot, theta, &err);
        printf("cfg dE/dtheta vs FD: %.2e; d(f.F + w.W)/dtheta vs FD: %.2e\n", wE / sE, wF / sF);
        CHECK(wE / sE < 1e-6, "cfg energy gradient (%.2e)", wE / sE);
        CHECK(wF / sF < 1e-6, "cfg force/virial Jacobian product (%.2e)", wF / sF);
        /* design rows of the linear coefficients: forces and virial linear in xi */
        double *bs = calloc(A, sizeof(double)), *bF = calloc((size_t)A * 3 * n, sizeof(double));
        double *bW = calloc((size_t)A * 6, sizeof(double));
        CHECK_OK(mtp_cfg_basis_grad(pd, &cfg, bs, bF, bW, &err), err);
        double *F0 = calloc(3 * n, sizeof(double)), W0[6], E0;
        const int nr = P - 2 - A;
        memcpy(tp, theta, P * sizeof(double));
        for (int k = 0; k < A; k++) tp[nr + 2 + k] = 0;
        tp[nr] = tp[nr + 1] = 0;
        mtp_potential_set_params(pot, tp, &err);
        mtp_compute(calc, &cfg, &E0, F0, W0, NULL, NULL, &err);
        double wl = 0, sl = 1e-10;
        for (int k = 0; k < A; k += 7) {
            tp[nr + 2 + k] = 1.0;
            mtp_potential_set_params(pot, tp, &err);
            mtp_compute(calc, &cfg, &E, F, W, NULL, NULL, &err);
            tp[nr + 2 + k] = 0.0;
            wl = fmax(wl, fabs(E - E0 - bs[k]));
            sl = fmax(sl, fabs(bs[k]));
            for (int x = 0; x < 3 * n; x++) {
                wl = fmax(wl, fabs(F[x] - F0[x] - bF[(size_t)k * 3 * n + x]));
                sl = fmax(sl, fabs(bF[(size_t)k * 3 * n + x]));
            }
            for (int c = 0; c < 6; c++) wl = fmax(wl, fabs(W[c] - W0[c] - bW[6 * k + c]));
        }
        mtp_potential_set_params(pot, theta, &err);
        printf("cfg linear design rows (E, F, W) vs compute: %.2e\n", wl / sl);
        CHECK(wl / sl < 1e-9, "linear design rows (%.2e)", wl / sl);
        free(bs), free(bF), free(bW), free(F0);
        free(fa), free(F), free(dE), free(dFW);
        mtp_cfg_free(&cfg);
    }
    mtp_param_deriv_destroy(pd);
    mtp_calculator_destroy(calc);
    mtp_potential_destroy(pot);
    free(theta), free(D0), free(D1), free(dp0), free(dp1), free(dpd), free(fd), free(tp), free(tm);
    printf("%d checks, %d failures\n", tu_checks, tu_failures);
    return tu_failures ? 1 : 0;
}
