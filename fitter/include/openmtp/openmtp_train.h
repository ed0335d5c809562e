/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenMTP - public training interface (libopenmtp_train).
 *
 * Training a Moment Tensor Potential from C, as `mtp train` does (that
 * command is a thin user of this interface).  A second library, so that
 * libopenmtp stays an evaluation library without LAPACK; it links
 * libopenmtp and follows the CONVENTIONS block of <openmtp/openmtp.h>:
 * units, array layouts and species as there; every fallible function
 * returns mtp_status and fills err->message (NULL err: no message);
 * output pointers passed as NULL are not computed; the library never
 * prints, aborts or exits: what `mtp train` prints comes through the
 * callbacks below.
 *
 * Building the active set (selection state) of a trained potential and
 * grading are in libopenmtp itself (mtp_active_set_select, mtp_grader_*,
 * mtp_active_set_*); choosing new training configurations among
 * candidates as `mtp select_add` does is mtp_select_add below.
 *
 * Threads: training uses OpenMP threads over configurations
 * (OMP_NUM_THREADS); callbacks run on the calling thread.  The installed
 * shared library is built without MPI (`mpirun ... mtp train` uses the
 * same code with MPI: configurations dealt to the ranks, callbacks on
 * rank 0).  One mtp_train call at a time per potential; the options and
 * configurations are only read.
 */
#ifndef OPENMTP_TRAIN_H
#define OPENMTP_TRAIN_H

#include <openmtp/openmtp.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mtp_train_optimizer {
    MTP_TRAIN_VARPRO = 0, /* BFGS over radial coefficients, linear ones solved exactly at every evaluation */
    MTP_TRAIN_BFGS = 1    /* MLIP-3: pre-training, BFGS over all parameters, linear re-solves at fixed steps */
} mtp_train_optimizer;

/* One accepted optimiser step, reported to the progress callback. */
typedef struct mtp_train_progress {
    int optimizer;          /* mtp_train_optimizer of this phase     */
    int pretraining;        /* 1 during MLIP-3's 75 pre-training steps */
    int iteration;          /* accepted steps in this phase (1, 2, ...) */
    int iteration_limit;    /* of this phase                          */
    double loss;            /* objective, ridge included               */
    /* training RMS errors: meV/atom, eV/A, GPa (0 if not fitted)      */
    double rmse_energy, rmse_force, rmse_stress;
    /* validation (has_valid: computed at least once; valid_iteration:
     * the step they are from, every valid_every steps)                 */
    int has_valid, valid_iteration;
    double valid_rmse_energy, valid_rmse_force, valid_rmse_stress, valid_loss;
    double elapsed;         /* s since the start (earlier runs included on resume) */
    double eta;             /* s, upper bound from the iteration limit and max_time */
    long evaluations, gradient_evaluations;
} mtp_train_progress;

/* Progress: called on rank 0 after every accepted step.  A non-zero
 * return requests a clean stop: the run stops after this step, writes
 * its checkpoint (if checkpoint_path is set; resuming it continues the run
 * to the same result as an uninterrupted one) and finishes the potential
 * as --max_time does (final LinOptimize+Rescale); result->stopped is 1. */
typedef int (*mtp_train_progress_fn)(void *user, const mtp_train_progress *p);
/* Text: notices of the run (kind MTP_TRAIN_NOTE, lines starting with "# ",
 * e.g. "# rescale: scaling = ...") and warnings about the data
 * (MTP_TRAIN_WARNING); one or more whole lines ending in '\n'. */
enum { MTP_TRAIN_NOTE = 0, MTP_TRAIN_WARNING = 1 };
typedef void (*mtp_train_message_fn)(void *user, int kind, const char *text);
/* The line `mtp train` prints for p ("VarPro iter   12  loss ...", ending
 * in '\n') into buf[size]; returns what snprintf returns. */
int mtp_train_progress_format(const mtp_train_progress *p, char *buf, size_t size);

typedef struct mtp_train_options {
    /* The six weights default to NAN (unset): with all of them unset the
     * weights are derived from the training set (the rule of `mtp help
     * train`: wf = 0.01/<F^2>, we = 100 A^-2 wf, ws = 0.1 wf, then the
     * linear coefficients solved again with we = 500 A^-2 wf; noted through
     * `message`), as `mtp train` with no weight option.  Setting any one
     * gives MLIP-3's objective, the unset ones taking MLIP-3's defaults: */
    double energy_weight, force_weight, stress_weight; /* 1, 0.01, 0.001 */
    double weight_scaling, weight_scaling_forces;      /* 1, 0 */
    double penalty_weight;                             /* 1e-6 */
    int iteration_limit;                               /* 1000 (0 = linear fit only) */
    double tolerance;                                  /* 1e-3 */
    int init_random, skip_preinit, no_mindist_update;  /* 0 */
    unsigned seed;                                     /* 1 */
    int optimizer;                                     /* MTP_TRAIN_VARPRO */
    int restarts;                                      /* 3 (varpro with max_time) */
    double wolfe_c2;                                   /* 0.9 */
    double max_time;                                   /* s, 0 = none */
    int valid_every;                                   /* 10 */
    int allow_rare_species;                            /* 0 */
    /* Checkpoints: written atomically every checkpoint_interval seconds
     * (0 = every step) and on a requested stop; NULL = none.  resume: continue the run
     * saved there (the same initial potential, data and options, else
     * MTP_ERR_INVALID naming the difference); run_id: anything else that
     * defines the run for the caller (one token, may be NULL). */
    const char *checkpoint_path;
    double checkpoint_interval;                        /* 300 */
    int resume;
    const char *run_id;
    const char *train_name, *valid_name;               /* for messages (NULL: generic) */
    mtp_train_progress_fn progress;                    /* NULL = none */
    mtp_train_message_fn message;                      /* NULL = none */
    /* called on rank 0 after each checkpoint is committed (count: how many
     * this call of mtp_train has written); NULL = none */
    void (*checkpoint_written)(void *user, int count);
    void *user;                                        /* passed to the callbacks */
    /* valid_patience: with a validation set, stop when the validation loss
     * has not improved for this many iterations and end with the parameters
     * of the best validation loss; 0 = off; -1 (the default) = 200 when
     * there is a validation set and the weights are derived, else off (as
     * `mtp train`). */
    int valid_patience;
} mtp_train_options;

void mtp_train_options_default(mtp_train_options *o);
/* Options that make no sense (negative or non-finite weights, all three
 * weights 0, negative iteration limits, resume without a checkpoint
 * path, ...): MTP_ERR_INVALID naming the option ("--energy_weight=-1: ..."). */
mtp_status mtp_train_check_options(const mtp_train_options *o, mtp_error *err);

typedef struct mtp_train_result {
    int iterations;         /* accepted steps (all phases counted by mtp train) */
    int stopped;            /* 1: stopped by the progress callback      */
    double loss;            /* final training loss (under the final weights of the default rule) */
    double rmse_energy, rmse_force; /* final training RMS errors, meV/atom, eV/A */
    double elapsed;         /* s */
} mtp_train_result;

/* Train `pot` in place on train[n_train] (validation set optional, may be
 * NULL/0).  An untrained potential (from `mtp init`) gets its species
 * from the data (or keeps the species it names) and min_dist from the
 * smallest distance; a trained one is trained on.  Options and data are
 * checked first (MTP_ERR_INVALID / MTP_ERR_SPECIES naming the option, file
 * and configuration); a loss that becomes non-finite is an error.  The
 * active set is not built here: mtp_active_set_select() afterwards, as
 * `mtp train` does.  result may be NULL (zeroed on errors).  After an
 * error, pot may hold partly trained parameters: do not save it. */
mtp_status mtp_train(mtp_potential *pot, const mtp_cfg *train, int n_train, const mtp_cfg *valid, int n_valid,
                     const mtp_train_options *o, mtp_train_result *result, mtp_error *err);

/* For a potential that names its species (`mtp init --species Li,P,S`):
 * relative types 0..S-1 in the configurations are replaced by the
 * potential's labels (a note through o->message), so relative and
 * atomic-number data may be mixed; `mtp train` calls it before mtp_train.
 * Other potentials: no change.  o may be NULL. */
mtp_status mtp_train_adopt_species(const mtp_potential *pot, mtp_cfg *train, int n_train, mtp_cfg *valid,
                                   int n_valid, const mtp_train_options *o, mtp_error *err);

/* ------------------------------------------------------------------ */
/* Selecting new training configurations (`mtp select_add`)            */
/* ------------------------------------------------------------------ */
/* A configuration chosen: `file` indexes the candidate files, `index` is
 * its 0-based position there, `grade` its grade when chosen (batch form;
 * NAN in the MLIP-3 form).  Return MTP_OK, or an error (with err filled)
 * that ends the selection with that status, e.g. a failed write. */
typedef mtp_status (*mtp_select_chosen_fn)(void *user, const mtp_cfg *cfg, int file, long index, double grade,
                                           mtp_error *err);

typedef struct mtp_select_options {
    double threshold;           /* 1.001: a row is worth adding if some |c_j| exceeds it (> 1) */
    int max;                    /* 0: MLIP-3 form (one candidate file); N > 0: batch form, at most N */
    long swap_limit;            /* MLIP-3 form: swaps per batch (0 = no limit) */
    int batch_size;             /* MLIP-3 form: candidates selected together (9999; 0 = all) */
    int threads;                /* batch form: threads for rows and grades (1) */
    size_t buffer_bytes;        /* batch form: memory for buffered candidate rows (256 MiB) */
    mtp_select_chosen_fn chosen; /* every chosen configuration, in order; NULL = none */
    /* the selection log, lines as `mtp select_add --log` writes them
     * (kind MTP_TRAIN_NOTE); NULL = none */
    mtp_train_message_fn message;
    void *user;                 /* passed to the callbacks */
} mtp_select_options;

void mtp_select_options_default(mtp_select_options *o);

/* MLIP-3's select_add on an active set (mtp_active_set_load/create) of
 * potential `pot`: re-selects over the configurations of train_path
 * (threshold 1.001) so that the set matches the potential, then
 *   max == 0: reads candidates[0] and selects among them in batches
 *     (MaxVol swaps while some |c_j| > threshold), re-selects over
 *     train_path with threshold, and reports the candidates that own
 *     active rows at the end through chosen (active-set order);
 *   max > 0 (any number of files): at most max configurations, greedily
 *     by grade over a streamed pool (the algorithm of `mtp help
 *     select_add`), reported through chosen in the order chosen.
 * *count (may be NULL) receives the number chosen.  The active set is
 * updated (mtp_active_set_store saves it in a potential).  Errors name
 * the file and the configuration. */
mtp_status mtp_select_add(mtp_active_set *as, const mtp_potential *pot, const char *train_path,
                          const char *const *candidates, int n_candidates, mtp_format fmt,
                          const mtp_read_options *ropt, const mtp_select_options *o, long *count, mtp_error *err);

/* sizeof of this header's structures as the library was built (which: 0
 * mtp_train_options, 1 mtp_train_progress, 2 mtp_train_result,
 * 3 mtp_select_options; else 0), for bindings that lay them out themselves
 * (python/openmtp). */
size_t mtp_train_struct_size(int which);

/* A fingerprint of a file's bytes (64-bit FNV-1a as 16 hex digits and a
 * NUL in out[17]), e.g. of the initial potential for run_id. */
mtp_status mtp_train_fingerprint_file(const char *path, char out[17], mtp_error *err);

#ifdef __cplusplus
}
#endif
#endif
