/* SPDX-License-Identifier: BSD-3-Clause */
/* The trainer's shared state, for the files of fitter/ (not installed):
 * fit.c (objective, optimisers, schedule) and fit_state.c (checkpoints). */
#ifndef OPENMTP_FIT_INTERNAL_H
#define OPENMTP_FIT_INTERNAL_H

#include "checkpoint.h"
#include "fit.h"

typedef struct fit_stats {
    double e2, f2, s2;
    double ne, nf, ns;
} fit_stats;

typedef struct fit_ctx {
    mtp_potential *pot;
    const fit_options *o;
    FILE *log;        /* o->log on rank 0, NULL elsewhere */
    int P, S, K, R, A, nr, nlin;
    int nth;
    mtp_calculator **calc;
    mtp_param_deriv **pd;
    double *lambda;   /* [nlin] ridge of the linear parameters */
    double *theta;    /* current parameters */
    int *deg;         /* [nlin] degree in sigma of each linear parameter's basis function */
    int have_deg;
    int rank, size;   /* MPI */
    int linear_rhs;   /* energy is exactly linear in the linear parameters (no repulsive term) */
    double t0;        /* start of this process's run, shifted back by the time of earlier starts (resume) */
    long n_eval;      /* objective (loss) evaluations */
    long n_grad;      /* of which (or after which) the gradient was also evaluated */
    double t_eval;    /* their wall time */
    long atoms;       /* atoms in the (global) training set */
    int n_ckpt;       /* checkpoints written by this process */
    char hash_train[17], hash_valid[17]; /* fingerprints of the data (checkpoint.h) */
} fit_ctx;

/* Phases of a run, in order (a checkpoint names the one it was taken in). */
enum { FIT_PHASE_PRETRAIN = 0, FIT_PHASE_TRAIN = 1, FIT_PHASE_RESTART = 2 };

/* The BFGS state at the top of an iteration: with theta, scaling and the
 * ridge, all the next iteration reads. */
typedef struct fit_bfgs_state {
    int D;            /* variables: P (bfgs) or radial (varpro) */
    double *H, *g;    /* [D*D] inverse Hessian, [D] gradient (caller's buffers) */
    double L, Lref;   /* loss, loss at the last tolerance window */
    fit_stats stt, vst;
    int have_v, fresh_H, steps, stalls;
} fit_bfgs_state;

/* Where the run is, and what the phase after it needs. */
typedef struct fit_run {
    int phase, restart;       /* FIT_PHASE_*, restart index in FIT_PHASE_RESTART */
    int steps_before;         /* accepted steps of earlier phases counted in the result (restarts) */
    int pre_steps;            /* accepted pre-training steps (bfgs) */
    /* restart bookkeeping: the best start so far */
    double Lb, best_sigma;
    double *best, *best_lambda; /* [P], [nlin] */
    fit_ckpt *resume;         /* checkpoint to continue from; taken by the first bfgs() */
} fit_run;

/* Write the checkpoint (rank 0; atomic; MTP_ERR_IO if it cannot be written). */
mtp_status fit_state_save(fit_ctx *c, const fit_run *run, const fit_bfgs_state *b, mtp_error *err);
/* Read o->checkpoint_path, check that it belongs to this run (options,
 * data, run_id, sizes) and restore theta, scaling, ridge, counters and
 * the run's position; run->resume keeps the file for fit_state_bfgs. */
mtp_status fit_state_open(fit_ctx *c, int mode, fit_run *run, mtp_error *err);
/* The BFGS state of run->resume into b (b->H, b->g: buffers of b->D). */
mtp_status fit_state_bfgs(const fit_run *run, fit_bfgs_state *b, mtp_error *err);

mtp_status fit_set_theta(fit_ctx *c, const double *th, mtp_error *err);

#endif
