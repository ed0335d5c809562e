/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for the trainer's data validation (fitter/train_data.c).
 * The input is a .cfg text file.  The first configurations (at most
 * MAX_CFGS, MAX_ATOMS atoms in all) go through fit_check_data as training
 * and as validation set and through fit_species_from_data with a level-2
 * template.  What is accepted must be trainable: every target finite and
 * within the documented bounds, and the objective at a fixed small
 * parameter vector finite (fit_loss); anything else is a failure (abort),
 * since it would reach the optimiser as the `loss -nan` of issue 10. */
#include <openmtp/openmtp.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"

enum { MAX_CFGS = 8, MAX_ATOMS = 96 };

static void check_targets(const mtp_cfg *c, int n)
{
    for (int k = 0; k < n; k++) {
        int N = c[k].n_atoms;
        if (N == 0) continue;
        if (c[k].has_energy && !(fabs(c[k].energy) / N <= 1e7)) abort();
        for (long x = 0; c[k].forces && x < 3L * N; x++)
            if (!(fabs(c[k].forces[x]) <= 1e6)) abort();
        for (int q = 0; c[k].has_stress && q < 6; q++)
            if (!(fabs(c[k].stress[q]) / N <= 1e7)) abort();
        for (long x = 0; x < 3L * N; x++)
            if (!(fabs(c[k].positions[x]) <= 1e6)) abort();
        for (int r = 0; r < 9; r++)
            if (!(fabs(c[k].lattice[r / 3][r % 3]) <= 1e6)) abort();
    }
}

/* The objective at a fixed parameter vector of a level-2 potential with
 * the data's species: finite, or an error status (e.g. overlapping atoms),
 * never NaN/inf. */
static void check_loss(const mtp_cfg *c, int n, const fit_options *o)
{
    int zero = 0;
    mtp_basis_options bo = {2, 1, &zero, 1.0, 4.0, 4, 0};
    mtp_potential *pot = NULL;
    mtp_error err;
    if (mtp_potential_generate(&bo, &pot, &err)) abort(); /* fixed, valid options */
    if (fit_species_from_data(pot, c, n, o, &err) == MTP_OK) {
        int P = mtp_potential_param_count(pot);
        double *theta = malloc((size_t)P * sizeof(double)), L = 0;
        for (int i = 0; theta && i < P; i++) theta[i] = 0.01 * ((i % 7) - 3);
        if (theta && mtp_potential_set_params(pot, theta, &err) == MTP_OK &&
            fit_loss(pot, c, n, o, &L, NULL, &err) == MTP_OK && !isfinite(L))
            abort();
        free(theta);
    }
    mtp_potential_destroy(pot);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0; /* fmemopen rejects empty buffers */
    FILE *fp = fmemopen((void *)data, size, "rb");
    if (!fp) return 0;
    mtp_error err;
    mtp_reader *r = NULL;
    if (mtp_reader_open_stream(fp, "fuzz.cfg", MTP_FORMAT_CFG, NULL, &r, &err) != MTP_OK) {
        fclose(fp);
        return 0;
    }
    mtp_cfg cfgs[MAX_CFGS];
    int n = 0, atoms = 0;
    for (; n < MAX_CFGS; n++) {
        int got = 0;
        mtp_cfg_init(&cfgs[n]);
        if (mtp_reader_next(r, &cfgs[n], &got, &err) != MTP_OK || !got || atoms + cfgs[n].n_atoms > MAX_ATOMS) {
            mtp_cfg_free(&cfgs[n]);
            break;
        }
        atoms += cfgs[n].n_atoms;
    }
    mtp_reader_close(r);
    fclose(fp);

    fit_options o;
    fit_options_default(&o);
    /* the weights MLIP-3 uses, and a variant from the data's first byte
     * (energy-only, forces-only, stress-only): "nothing to fit" follows */
    if (size > 0 && data[0] % 4) {
        o.energy_weight = data[0] % 4 == 1;
        o.force_weight = data[0] % 4 == 2;
        o.stress_weight = data[0] % 4 == 3;
    }
    o.allow_rare_species = 1;
    if (fit_check_options(&o, &err) != MTP_OK) abort(); /* all valid */
    mtp_status st = fit_check_data(cfgs, n, "fuzz.cfg", &o, 1, &err);
    mtp_status sv = fit_check_data(cfgs, n, "fuzz.cfg", &o, 0, &err);
    if (st == MTP_OK && sv != MTP_OK) abort(); /* training is the stricter check */
    if (sv == MTP_OK) check_targets(cfgs, n);
    if (st == MTP_OK) {
        if (n == 0) abort(); /* nothing to fit must be refused */
        check_loss(cfgs, n, &o);
    }
    for (int k = 0; k < n; k++) mtp_cfg_free(&cfgs[k]);
    return 0;
}
