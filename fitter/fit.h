/* SPDX-License-Identifier: BSD-3-Clause */
/* OpenMTP trainer: MLIP-3's objective (spec section 4) minimised by BFGS
 * over all parameters with exact gradients (libmtp jacobian.c), and the
 * linear coefficients solved exactly by LAPACK (LinOptimize), Rescale;
 * by default variable projection (see fit.c).  With OPENMTP_HAVE_MPI and
 * MPI initialised by the caller, configurations are distributed over the
 * ranks of MPI_COMM_WORLD (every rank passes the full sets). */
#ifndef OPENMTP_FIT_H
#define OPENMTP_FIT_H

#include <openmtp/openmtp.h>
#include <openmtp/openmtp_train.h>

enum {
    FIT_OPT_VARPRO = 0, /* BFGS over radial coefficients, linear ones solved exactly at every evaluation */
    FIT_OPT_BFGS = 1    /* MLIP-3: pre-training, BFGS over all parameters, linear re-solves at fixed steps */
};

typedef struct fit_options {
    double energy_weight, force_weight, stress_weight; /* 1, 0.01, 0.001 */
    double weight_scaling, weight_scaling_forces;      /* 1, 0 */
    double penalty_weight;                             /* 1e-6 */
    int iteration_limit;                               /* 1000 */
    double tolerance;                                  /* 1e-3 */
    int init_random, skip_preinit, no_mindist_update;
    double max_time;                                   /* s, 0 = none */
    double checkpoint_interval;                        /* s */
    const char *checkpoint_path;                       /* NULL = none */
    int valid_every;                                   /* iterations */
    unsigned seed;
    int optimizer;                                     /* FIT_OPT_VARPRO (default) or FIT_OPT_BFGS */
    int restarts;                                      /* varpro with max_time: random restarts after convergence (3) */
    double wolfe_c2;                                   /* curvature constant of the varpro line search (0.9); bfgs: 0.5 */
    FILE *log;                                         /* NULL = quiet */
    /* Data checks and loud notices (see train_data.c) */
    const char *train_name, *valid_name;               /* file names for messages (NULL: generic) */
    int allow_rare_species;                            /* accept a type seen in one configuration only */
    FILE *warn;                                        /* species notices and warnings (stderr); NULL = none */
    /* Resume (see fit_train): continue the run saved in checkpoint_path.
     * run_id: what else defines the run for the caller (e.g. a
     * fingerprint of the initial potential file and options applied after
     * training), one token; stored in checkpoints and compared on resume. */
    int resume;
    const char *run_id;
    /* Called on rank 0 after each checkpoint is committed (count = how
     * many this process has written); NULL = none. */
    void (*checkpoint_written)(void *user, int count);
    void *user;
    /* The public interface's callbacks (openmtp_train.h), also passed
     * `user`: progress after every accepted step, on rank 0 (a non-zero
     * return stops the run cleanly: a checkpoint is written, if there is a
     * path, and the potential finished as after max_time); the text of
     * notes (MTP_TRAIN_NOTE) and warnings (MTP_TRAIN_WARNING) instead of
     * log and warn.  NULL = the progress line to log, text to log/warn. */
    mtp_train_progress_fn progress;
    mtp_train_message_fn message;
    /* default_weights: replace the five weights above by the rule of
     * fit_weights.c, derived from the training set (printed at the start).
     * valid_patience: with a validation set, stop a phase when the
     * validation loss has not improved for this many iterations and end
     * with the parameters of the best validation loss (0 = off). */
    int default_weights;
    int valid_patience;
    /* final_energy_weight > 0: after training, the linear coefficients are
     * solved once more (and the potential rescaled) with this energy weight
     * instead of energy_weight, the radial ones kept (the second stage of
     * the default rule, fit_weights.c; 0 = none, as in MLIP-3) */
    double final_energy_weight;
} fit_options;

void fit_options_default(fit_options *o);

/* Train `pot` in place on cfgs (validation set optional).  The species
 * list and min_dist are set from the training data for an untrained
 * potential.  Returns MTP_OK; *iterations receives accepted BFGS steps.
 * Options and data are checked first (fit_check_options, fit_check_data);
 * a loss or parameters that become non-finite are an error.
 * Checkpoints (o->checkpoint_path, every o->checkpoint_interval seconds,
 * written atomically; a failed write is an error) hold the whole state of
 * the run: phase, iteration, parameters, scaling, ridge, the BFGS inverse
 * Hessian and gradient, restart bookkeeping, counters, and fingerprints
 * of the options, data and o->run_id.  With o->resume, `pot` must be the
 * same initial potential and the data and options the same (else
 * MTP_ERR_INVALID naming the difference); the run then continues from
 * the checkpoint and, on one rank and thread count of any size, ends with
 * bit-identical parameters to the uninterrupted run (the objective's sums
 * are order-independent; random starts are derived from the seed and the
 * restart index, so there is no generator state).  Wall-time decisions
 * (--max_time, restarts) count the time of all starts together. */
mtp_status fit_train(mtp_potential *pot, const mtp_cfg *train, int n_train, const mtp_cfg *valid,
                     int n_valid, const fit_options *opt, int *iterations, mtp_error *err);
/* fit_train with the outcome: accepted steps, whether the progress
 * callback stopped the run, final loss and RMS errors, wall time. */
typedef struct fit_result {
    int iterations, stopped;
    double loss, rmse_energy, rmse_force, elapsed;
} fit_result;
mtp_status fit_train_ex(mtp_potential *pot, const mtp_cfg *train, int n_train, const mtp_cfg *valid, int n_valid,
                        const fit_options *opt, fit_result *res, mtp_error *err);

/* Species named by the potential: its labels are not the default 0..S-1
 * (`mtp init --species Li,P,S` gives 3,15,16).  Training keeps such a
 * list (instead of replacing it by the sorted types of the data). */
int fit_named_species(const mtp_potential *pot);
/* For a potential that names its species: a type t that is not a label
 * but 0 <= t < S is relative and replaced by label t (the potential's
 * species order; logged to `log`, may be NULL), so relative and
 * atomic-number data may be mixed (a training set from MLIP files plus
 * frames saved by LAMMPS).  If some label lies in 0..S-1 (ambiguous),
 * the data must be all labels or all relative.  Any other type is an
 * error (MTP_ERR_SPECIES).  Other potentials: no change. */
mtp_status fit_adopt_species(const mtp_potential *pot, mtp_cfg *train, int n_train, mtp_cfg *valid, int n_valid,
                             FILE *log, mtp_error *err);
/* The same, the note to o->message (else o->log). */
mtp_status fit_adopt_species_ex(const mtp_potential *pot, mtp_cfg *train, int n_train, mtp_cfg *valid, int n_valid,
                                const fit_options *o, mtp_error *err);

/* Options that make no sense (negative or non-finite weights, all three
 * weights 0, negative iteration limits, ...): MTP_ERR_INVALID naming the option. */
mtp_status fit_check_options(const fit_options *o, mtp_error *err);
/* Configurations for training (training = 1) or validation: finite cell
 * and positions, targets finite and of physical size per atom (energy
 * <= 1e7 eV/atom, force components <= 1e6 eV/A, virial <= 1e7 eV/atom;
 * cell vectors and coordinates <= 1e6 A),
 * valid weight features; for training, at least one energy, force or
 * stress with non-zero weight ("nothing to fit ..." naming what is
 * missing).  Messages are "NAME: configuration K: ...". */
mtp_status fit_check_data(const mtp_cfg *cfgs, int n, const char *name, const fit_options *o, int training,
                          mtp_error *err);
/* Species of an untrained potential from its training data.  A potential
 * that names its species keeps them (warning, to o->warn, about a species
 * with no atoms).  Otherwise the sorted types of the data (MLIP-3), with
 * the per-type counts printed to o->warn when their number differs from
 * the template's species count, and MTP_ERR_SPECIES (naming the file and
 * configuration) when a type occurs in one configuration only unless
 * o->allow_rare_species. */
mtp_status fit_species_from_data(mtp_potential *pot, const mtp_cfg *train, int n, const fit_options *o,
                                 mtp_error *err);

/* Every atom type of cfgs is a species of pot (MTP_ERR_SPECIES "NAME:
 * configuration K: atom I: type T is not a species of the potential"). */
mtp_status fit_check_species(const mtp_potential *pot, const mtp_cfg *cfgs, int n, const char *name, mtp_error *err);

/* For tests: the normal equations G[nl][nl], b[nl] (nl = S + A) of the
 * linear parameters at the potential's current parameters (single
 * process), and their exact transformation to the scaling f * sigma
 * (returns -1 if the basis is not homogeneous in sigma). */
/* Check the per-configuration weight features (EnergyWeight, ForceWeight,
 * StressWeight, Weight): non-negative numbers. */
mtp_status fit_check_weights(const mtp_cfg *cfgs, int n, const char *name, mtp_error *err);
mtp_status fit_normal_equations(mtp_potential *pot, const mtp_cfg *cfgs, int n, const fit_options *o, double *G,
                                double *b, mtp_error *err);
int fit_scale_normal_equations(const mtp_potential *pot, double f, double *G, double *b);
/* For tests: the data term of the objective (no regularisation) and its
 * gradient grad[P] (NULL = skip) at the potential's current parameters,
 * single process, as the optimisers see it. */
mtp_status fit_loss(mtp_potential *pot, const mtp_cfg *cfgs, int n, const fit_options *o, double *loss, double *grad,
                    mtp_error *err);

#endif
