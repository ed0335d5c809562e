/* SPDX-License-Identifier: BSD-3-Clause */
/* The public training interface (openmtp/openmtp_train.h) over the
 * trainer's fit_options / fit_train_ex (fit.h). */
/* the interface's functions are the only ones libopenmtp_train exports
 * (built with -fvisibility=hidden) */
#pragma GCC visibility push(default)
#include <openmtp/openmtp_train.h>
#pragma GCC visibility pop

#include "checkpoint.h"
#include "fit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void mtp_train_options_default(mtp_train_options *o)
{
    fit_options f;
    fit_options_default(&f);
    memset(o, 0, sizeof *o);
    /* unset (NAN): weights derived from the training set, as `mtp train`
     * without weight options */
    o->energy_weight = o->force_weight = o->stress_weight = NAN;
    o->weight_scaling = o->weight_scaling_forces = o->penalty_weight = NAN;
    o->valid_patience = -1; /* 200 with a validation set and derived weights */
    o->iteration_limit = f.iteration_limit;
    o->tolerance = f.tolerance;
    o->seed = f.seed;
    o->optimizer = f.optimizer == FIT_OPT_BFGS ? MTP_TRAIN_BFGS : MTP_TRAIN_VARPRO;
    o->restarts = f.restarts;
    o->wolfe_c2 = f.wolfe_c2;
    o->max_time = f.max_time;
    o->valid_every = f.valid_every;
    o->checkpoint_interval = f.checkpoint_interval;
}

/* The trainer's options for public ones (no FILE streams: text goes to
 * the message callback). */
static void to_fit_options(const mtp_train_options *o, int have_valid, fit_options *f)
{
    fit_options_default(f);
    /* all six weights unset: derived from the data; any one set: MLIP-3's
     * objective, with MLIP-3's defaults for the unset ones */
    const double *given[6] = {&o->energy_weight, &o->force_weight, &o->stress_weight,
                              &o->weight_scaling, &o->weight_scaling_forces, &o->penalty_weight};
    double *field[6] = {&f->energy_weight, &f->force_weight, &f->stress_weight,
                        &f->weight_scaling, &f->weight_scaling_forces, &f->penalty_weight};
    f->default_weights = 1;
    for (int k = 0; k < 6; k++)
        if (!isnan(*given[k])) f->default_weights = 0, *field[k] = *given[k];
    f->iteration_limit = o->iteration_limit;
    f->tolerance = o->tolerance;
    f->init_random = o->init_random;
    f->skip_preinit = o->skip_preinit;
    f->no_mindist_update = o->no_mindist_update;
    f->seed = o->seed;
    f->optimizer = o->optimizer == MTP_TRAIN_BFGS ? FIT_OPT_BFGS : FIT_OPT_VARPRO;
    f->restarts = o->restarts;
    f->wolfe_c2 = o->wolfe_c2;
    f->max_time = o->max_time;
    f->valid_every = o->valid_every;
    f->allow_rare_species = o->allow_rare_species;
    f->checkpoint_path = o->checkpoint_path;
    f->checkpoint_interval = o->checkpoint_interval;
    f->resume = o->resume;
    f->run_id = o->run_id;
    f->train_name = o->train_name;
    f->valid_name = o->valid_name;
    f->log = NULL;
    f->warn = NULL;
    f->progress = o->progress;
    f->message = o->message;
    f->checkpoint_written = o->checkpoint_written;
    f->user = o->user;
    f->valid_patience = o->valid_patience >= 0 ? o->valid_patience : have_valid && f->default_weights ? 200 : 0;
}

mtp_status mtp_train_check_options(const mtp_train_options *o, mtp_error *err)
{
    if (!o) {
        if (err) {
            err->status = MTP_ERR_INVALID;
            snprintf(err->message, sizeof err->message, "mtp_train_check_options: NULL options");
        }
        return MTP_ERR_INVALID;
    }
    fit_options f;
    to_fit_options(o, 1, &f);
    mtp_status st = fit_check_options(&f, err);
    if (err) err->status = st;
    return st;
}

mtp_status mtp_train_fingerprint_file(const char *path, char out[17], mtp_error *err)
{
    mtp_status st = fit_hash_file(path, out, err);
    if (err) err->status = st;
    return st;
}

mtp_status mtp_train(mtp_potential *pot, const mtp_cfg *train, int n_train, const mtp_cfg *valid, int n_valid,
                     const mtp_train_options *o, mtp_train_result *result, mtp_error *err)
{
    if (err) err->status = MTP_OK, err->message[0] = 0;
    if (result) memset(result, 0, sizeof *result); /* also on errors: nothing done */
    if (!pot || !o || (n_train > 0 && !train) || (n_valid > 0 && !valid) || n_train < 0 || n_valid < 0) {
        if (err) {
            err->status = MTP_ERR_INVALID;
            snprintf(err->message, sizeof err->message, "mtp_train: NULL potential, options or configurations");
        }
        return MTP_ERR_INVALID;
    }
    if (n_train == 0) {
        if (err) {
            err->status = MTP_ERR_INVALID;
            snprintf(err->message, sizeof err->message, "%s: no training configurations",
                     o->train_name ? o->train_name : "training set");
        }
        return MTP_ERR_INVALID;
    }
    fit_options f;
    to_fit_options(o, n_valid > 0, &f);
    fit_result r;
    mtp_status st = fit_train_ex(pot, train, n_train, valid, n_valid, &f, &r, err);
    if (err && st) err->status = st;
    if (result) {
        result->iterations = r.iterations;
        result->stopped = r.stopped;
        result->loss = r.loss;
        result->rmse_energy = r.rmse_energy;
        result->rmse_force = r.rmse_force;
        result->elapsed = r.elapsed;
    }
    return st;
}

mtp_status mtp_train_adopt_species(const mtp_potential *pot, mtp_cfg *train, int n_train, mtp_cfg *valid,
                                   int n_valid, const mtp_train_options *o, mtp_error *err)
{
    fit_options f;
    if (o) to_fit_options(o, n_valid > 0, &f);
    else fit_options_default(&f);
    return fit_adopt_species_ex(pot, train, n_train, valid, n_valid, &f, err);
}

int mtp_train_progress_format(const mtp_train_progress *p, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s iter %4d  loss %.6e  rmse E %.3f meV/atom  F %.4f eV/A  S %.3f GPa",
                     p->optimizer == MTP_TRAIN_BFGS ? "BFGS" : "VarPro", p->iteration, p->loss, p->rmse_energy,
                     p->rmse_force, p->rmse_stress);
    if (n >= 0 && p->has_valid && (size_t)n < size)
        n += snprintf(buf + n, size - n, "  | valid E %.3f F %.4f S %.3f loss %.6e (iter %d)", p->valid_rmse_energy,
                      p->valid_rmse_force, p->valid_rmse_stress, p->valid_loss, p->valid_iteration);
    if (n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - n, "  evals %ld (%ld with gradient)  elapsed %.1fs  ETA<=%.0fs\n", p->evaluations,
                      p->gradient_evaluations, p->elapsed, p->eta);
    return n;
}

size_t mtp_train_struct_size(int which)
{
    switch (which) {
    case 0: return sizeof(mtp_train_options);
    case 1: return sizeof(mtp_train_progress);
    case 2: return sizeof(mtp_train_result);
    case 3: return sizeof(mtp_select_options);
    default: return 0;
    }
}
