/* SPDX-License-Identifier: BSD-3-Clause */
/* Test potentials and configurations built without reference files. */
#ifndef MTP_TESTPOT_H
#define MTP_TESTPOT_H

#include "testutil.h"

#include <openmtp/openmtp.h>

/* A generated level-`level` potential with S species and random
 * coefficients of moderate size (deterministic). */
static inline mtp_potential *tp_potential(int level, int S, double cutoff)
{
    int labels[8];
    for (int s = 0; s < S; s++) labels[s] = s;
    mtp_basis_options opt = {level, S, labels, 1.6, cutoff, 8, 0};
    mtp_potential *pot;
    mtp_error err;
    if (mtp_potential_generate(&opt, &pot, &err) != MTP_OK) {
        fprintf(stderr, "generate level %d: %s\n", level, err.message);
        exit(1);
    }
    int n = mtp_potential_param_count(pot);
    mtp_potential_info in = mtp_potential_get_info(pot);
    double *theta = malloc(sizeof(double) * n);
    int nr = S * S * in.radial_funcs_count * in.radial_basis_size;
    for (int k = 0; k < n; k++) theta[k] = tu_rand();
    for (int k = 0; k < nr; k++) theta[k] *= 0.3;
    for (int k = nr + S; k < n; k++) theta[k] *= 1e-2; /* keep high-order products in range */
    if (mtp_potential_set_params(pot, theta, &err) != MTP_OK) {
        fprintf(stderr, "set params: %s\n", err.message);
        exit(1);
    }
    mtp_potential_set_scaling(pot, 0.2, &err);
    free(theta);
    return pot;
}

/* n atoms at random in the cell `L` (rows), no pair closer than dmin
 * (periodic images included when periodic != 0). */
static inline void tp_random_cfg(mtp_cfg *cfg, int n, const double L[3][3], int S, double dmin, int periodic)
{
    mtp_error err;
    mtp_cfg_init(cfg);
    mtp_cfg_alloc(cfg, n, 0, &err);
    if (periodic) memcpy(cfg->lattice, L, sizeof cfg->lattice);
    for (int i = 0; i < n; i++) {
        for (int attempt = 0; attempt < 10000; attempt++) {
            double f[3] = {0.5 * (tu_rand() + 1), 0.5 * (tu_rand() + 1), 0.5 * (tu_rand() + 1)};
            double x[3];
            for (int k = 0; k < 3; k++) x[k] = f[0] * L[0][k] + f[1] * L[1][k] + f[2] * L[2][k];
            int ok = 1;
            for (int j = 0; j < i && ok; j++)
                for (int p = -1; p <= 1 && ok; p++)
                    for (int q = -1; q <= 1 && ok; q++)
                        for (int s = -1; s <= 1 && ok; s++) {
                            if (!periodic && (p || q || s)) continue;
                            double d2 = 0;
                            for (int k = 0; k < 3; k++) {
                                double d = x[k] - cfg->positions[3 * j + k] - p * L[0][k] - q * L[1][k] - s * L[2][k];
                                d2 += d * d;
                            }
                            if (d2 < dmin * dmin) ok = 0;
                        }
            if (ok) {
                memcpy(cfg->positions + 3 * i, x, sizeof x);
                break;
            }
        }
        cfg->types[i] = i % S;
    }
}

#endif
