/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-atom cost of the trainer's kernels on a cfg file (one thread):
 * energy+forces (mtp_compute), loss gradient (mtp_cfg_param_grad, on the
 * kernel's stages, and the scalar forward-over-reverse it replaced, which
 * must agree), design rows (mtp_cfg_basis_grad) and the full normal
 * equations (fit_normal_equations, all threads).  CPU time (thread CPU
 * time for the one-thread kernels, process CPU time for the normal
 * equations), so that waiting for a core on a loaded machine is not
 * counted; every kernel is timed REPEATS times, interleaved, best kept.
 * Usage: bench_jac CFG [NCFG] [LEVEL] [REPEATS] */
#include <openmtp/openmtp.h>

#include "fit.h"
#include "internal.h" /* mtp_cfg_param_grad_scalar */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
#define now_s() cpu_s(CLOCK_THREAD_CPUTIME_ID)

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    mtp_error err;
    mtp_cfg *cfgs = NULL;
    int n = 0;
    if (mtp_read_cfgs(argv[1], MTP_FORMAT_AUTO, NULL, &cfgs, &n, &err)) return fprintf(stderr, "%s\n", err.message), 1;
    if (argc > 2 && atoi(argv[2]) > 0 && atoi(argv[2]) < n) n = atoi(argv[2]);
    int level = argc > 3 ? atoi(argv[3]) : 16, label = cfgs[0].types[0];
    mtp_basis_options bo = {.level = level, .species_count = 1, .species_labels = &label, .min_dist = 1.9,
                            .max_dist = 5.0, .radial_basis_size = 8, .radial_funcs_count = 0};
    mtp_potential *pot = NULL;
    if (mtp_potential_generate(&bo, &pot, &err)) return fprintf(stderr, "%s\n", err.message), 1;
    mtp_potential_info info = mtp_potential_get_info(pot);
    const int P = info.param_count, A = info.scalar_count, nl = info.species_count + A;
    double *th = calloc((size_t)P, sizeof(double));
    unsigned s = 7;
    for (int i = 0; i < P; i++) {
        s = s * 1103515245u + 12345u;
        th[i] = (((s >> 8) & 0xffff) / 65536.0 - 0.5) * 0.1;
    }
    mtp_potential_set_params(pot, th, &err);
    mtp_potential_set_scaling(pot, 0.3, &err);
    long atoms = 0, maxn = 0;
    for (int k = 0; k < n; k++) {
        atoms += cfgs[k].n_atoms;
        if (cfgs[k].n_atoms > maxn) maxn = cfgs[k].n_atoms;
    }
    mtp_calculator *calc;
    mtp_param_deriv *pd;
    mtp_calculator_create(pot, &calc, &err);
    mtp_param_deriv_create(pot, &pd, &err);
    double *F = malloc(3 * maxn * sizeof(double)), *adj = malloc(3 * maxn * sizeof(double));
    double *dE = malloc(P * sizeof(double)), *dF = malloc(P * sizeof(double));
    double *bs = malloc(A * sizeof(double)), *bF = malloc((size_t)A * 3 * maxn * sizeof(double)), *bW = malloc(A * 6 * sizeof(double));
    for (long x = 0; x < 3 * maxn; x++) adj[x] = 1e-3 * ((x % 7) - 3);
    double wadj[6] = {1e-4, 2e-4, 3e-4, 0, 1e-4, 0}, E, W[6], chk = 0;
    const int reps = argc > 4 && atoi(argv[4]) > 0 ? atoi(argv[4]) : 1;
    fit_options o;
    fit_options_default(&o);
    double *G = malloc((size_t)nl * nl * sizeof(double)), *b = malloc(nl * sizeof(double));
    double *dE0 = malloc(P * sizeof(double)), *dF0 = malloc(P * sizeof(double)), worst = 0;
    double tc = INFINITY, tg = INFINITY, tg0 = INFINITY, tb = INFINITY, tb0 = INFINITY, tn = INFINITY;
    for (int rep = 0; rep < reps; rep++) {
        double t = now_s();
        for (int k = 0; k < n; k++) mtp_compute(calc, &cfgs[k], &E, F, W, NULL, NULL, &err);
        tc = fmin(tc, now_s() - t);
        t = now_s();
        for (int k = 0; k < n; k++) {
            if (mtp_cfg_param_grad_scalar(pd, &cfgs[k], adj, wadj, dE0, dF0, &err)) return fprintf(stderr, "%s\n", err.message), 1;
        }
        tg0 = fmin(tg0, now_s() - t);
        t = now_s();
        for (int k = 0; k < n; k++) {
            if (mtp_cfg_param_grad(pd, &cfgs[k], adj, wadj, dE, dF, &err)) return fprintf(stderr, "%s\n", err.message), 1;
            chk += dF[0];
        }
        tg = fmin(tg, now_s() - t);
        t = now_s();
        for (int k = 0; k < n; k++) {
            if (mtp_cfg_basis_grad(pd, &cfgs[k], bs, bF, bW, &err)) return fprintf(stderr, "%s\n", err.message), 1;
            chk += bF[0];
        }
        tb = fmin(tb, now_s() - t);
        mtp_param_deriv_set_reference_rows(pd, 1);
        t = now_s();
        for (int k = 0; k < n; k++) {
            if (mtp_cfg_basis_grad(pd, &cfgs[k], bs, bF, bW, &err)) return fprintf(stderr, "%s\n", err.message), 1;
            chk -= bF[0];
        }
        tb0 = fmin(tb0, now_s() - t);
        mtp_param_deriv_set_reference_rows(pd, 0);
        t = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
        if (fit_normal_equations(pot, cfgs, n, &o, G, b, &err)) return fprintf(stderr, "%s\n", err.message), 1;
        tn = fmin(tn, cpu_s(CLOCK_PROCESS_CPUTIME_ID) - t);
    }
    /* the two gradient paths on the last configuration */
    for (int x = 0; x < P; x++) {
        double s0 = fmax(fabs(dE0[x]), fabs(dF0[x])) + 1e-300;
        worst = fmax(worst, fmax(fabs(dE[x] - dE0[x]), fabs(dF[x] - dF0[x])) / s0);
    }
    printf("level %d, %d cfgs, %ld atoms, %d linear, best of %d (CPU us/atom): compute %.2f, param_grad %.2f "
           "(scalar %.2f, %.2fx; %.2fx compute), basis_grad %.2f (reference path %.2f, %.2fx), normal equations (CPU, all threads) %.2f  "
           "[max rel diff batched/scalar %.1e, chk %.6g G00 %.10g G%d%d %.10g]\n",
           level, n, atoms, nl, reps, 1e6 * tc / atoms, 1e6 * tg / atoms, 1e6 * tg0 / atoms, tg0 / tg, tg / tc,
           1e6 * tb / atoms, 1e6 * tb0 / atoms, tb0 / tb, 1e6 * tn / atoms, worst, chk, G[nl + 1], nl - 1, nl - 1, G[(size_t)nl * nl - 1]);
    return 0;
}
