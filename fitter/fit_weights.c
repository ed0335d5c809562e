/* SPDX-License-Identifier: BSD-3-Clause */
/* Default weights of the objective (fit_options.default_weights), derived
 * from the training set so that `mtp train` without weight options
 * balances energies, forces and stresses by itself.
 *
 * The objective per configuration of N atoms (weight_scaling 1, forces
 * unscaled) is  we N (dE/N)^2 + wf sum_3N dF^2 + ws/N sum_6 dvirial^2:
 * every term already grows with N, so each atom counts equally and the
 * average over configurations does not depend on how many there are.
 * What remains to choose is the unit scale and the balance:
 *
 *   scale:   wf = 0.01 / <F^2>, <F^2> the mean square force component of
 *            the training set (MLIP-3's force weight 0.01 for forces of
 *            1 eV/A).  Energies, forces and stresses in other units (all
 *            multiplied by c) give the same objective value, so the same
 *            fitted potential up to the unit.
 *   balance: we = wf * 3 / delta^2, delta = 0.05 A: the energy residual per
 *            atom counts like the force residual of one atom moved by
 *            delta.  Balancing by the spreads of the targets instead
 *            (we = wf * 3 <F^2> / var(E/N)) gives we/wf = 39 (Mo), 79 (Li),
 *            24 (Si) on the mlearn sets, below MLIP-3's default 100, while
 *            Zuo-quality fits need 500-1500 (bench/README.md "Weights"): the
 *            energy per atom is fitted about ten times better relative to
 *            its spread than the forces are.  Zuo 2020's MTP errors have
 *            E/F = 0.031 (Mo), 0.049 (Li), 0.037 (Si) A, hence delta.
 *   stress:  ws = 0.1 wf (MLIP-3's ratio of stress to force weight).
 *
 * With no forces in the data the scale comes from the energies
 * (<F^2> := 3 var(E/N) / delta^2), with neither from the stresses, else 1. */
#include "fit_internal.h"

#include <math.h>

#define FIT_DEFAULT_WEIGHT_LENGTH 0.05 /* delta, A */

void fit_default_weights(const mtp_cfg *cfgs, int n, fit_options *o)
{
    const double d2 = FIT_DEFAULT_WEIGHT_LENGTH * FIT_DEFAULT_WEIGHT_LENGTH;
    double f2 = 0, nf = 0, e1 = 0, e2 = 0, ne = 0, s2 = 0, ns = 0;
    for (int k = 0; k < n; k++) {
        const mtp_cfg *cf = &cfgs[k];
        const int N = cf->n_atoms;
        if (N <= 0) continue;
        if (cf->forces)
            for (int x = 0; x < 3 * N; x++) f2 += cf->forces[x] * cf->forces[x], nf++;
        if (cf->has_energy) {
            double e = cf->energy / N;
            e1 += e, e2 += e * e, ne++;
        }
        if (cf->has_stress)
            for (int j = 0; j < 6; j++) s2 += (cf->stress[j] / N) * (cf->stress[j] / N), ns++;
    }
    double scale = 0;
    if (nf > 0 && f2 > 0) scale = f2 / nf;
    else if (ne > 1) {
        double m = e1 / ne, var = e2 / ne - m * m;
        if (var > 0) scale = 3 * var / d2;
    }
    if (!(scale > 0) && ns > 0 && s2 > 0) scale = 3 * (s2 / ns) / d2;
    if (!(scale > 0 && isfinite(scale))) scale = 1;
    o->force_weight = 0.01 / scale;
    o->energy_weight = o->force_weight * 3 / d2;
    o->stress_weight = 0.1 * o->force_weight;
    o->weight_scaling = 1;
    o->weight_scaling_forces = 0;
}
