/* SPDX-License-Identifier: BSD-3-Clause */
/* The trainer's shared state and internal functions, for the files of
 * fitter/ (not installed): fit.c (driver, schedule), fit_objective.c (loss,
 * normal equations), fit_linear.c (LinOptimize, Rescale), fit_bfgs.c (the
 * optimiser), fit_reduce.c (sums over threads and ranks) and fit_state.c
 * (checkpoints). */
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
    int stop_requested; /* the progress callback asked to stop (rank 0) */
    int stopped;        /* ... and the run stopped for it (all ranks)   */
    /* validation stopping (o->valid_patience): the best validation loss of
     * the whole run (all phases and restarts), its parameters and scaling */
    double vbest_loss, vbest_sigma;
    double *vbest;      /* [P], NULL until the first validation */
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
    int vbest_step;   /* step of this phase with the last improvement of the validation loss */
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

/* ---- fit.c: context and helpers ----------------------------------- */
/* Sizes, work space (a calculator and parameter derivatives per thread),
 * degrees; theta from the potential if it has coefficients. */
mtp_status fit_ctx_init(fit_ctx *c, mtp_potential *pot, const fit_options *o, mtp_error *err);
void fit_ctx_free(fit_ctx *c);
/* theta := th (unless th is theta) and into the potential. */
mtp_status fit_set_theta(fit_ctx *c, const double *th, mtp_error *err);
double fit_now(void); /* monotonic wall clock, s */
/* A note of the run (rank 0): to o->message (MTP_TRAIN_NOTE), else to the log. */
void fit_note(const fit_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fit_all_finite(const double *x, int n);
/* MTP_ERR_INVALID "training diverged: the WHAT is not finite ...". */
mtp_status fit_not_finite(mtp_error *err, const char *what, int step);

/* ---- fit_weights.c: default weights from the training set ---------- */
/* o's energy, force and stress weights and weight scalings := the rule
 * documented in fit_weights.c for the configurations cfgs[n]. */
void fit_default_weights(const mtp_cfg *cfgs, int n, fit_options *o);

/* ---- fit_objective.c: the objective --------------------------------- */
/* Loss (and gradient grad[P], NULL = skip; stats, NULL = skip) at the
 * potential's current parameters, summed over the local configurations
 * and all ranks, divided by the number of configurations; with_penalty
 * adds the radial penalty and the ridge. */
mtp_status fit_eval_loss(fit_ctx *c, const mtp_cfg *cfgs, int n, double *loss, double *grad, fit_stats *stats,
                         int with_penalty, mtp_error *err);
/* Normal equations G[nl][nl] (full), b[nl] of the linear parameters at the
 * current radial ones (spec 4.5 b), summed like the loss. */
mtp_status fit_build_normal(fit_ctx *c, const mtp_cfg *cfgs, int n, double *Gout, double *bout, mtp_error *err);

/* ---- fit_linear.c: LinOptimize and Rescale -------------------------- */
/* The linear parameters := the regularised least-squares solution; the
 * ridge is refreshed unless freeze_lambda (*lambda_changed, may be NULL,
 * says whether it moved). */
mtp_status fit_lin_optimize_ex(fit_ctx *c, const mtp_cfg *cfgs, int n, int freeze_lambda, int *lambda_changed,
                               mtp_error *err);
mtp_status fit_lin_optimize(fit_ctx *c, const mtp_cfg *cfgs, int n, int *lambda_changed, mtp_error *err);
/* Rescale (spec 4.5): the scaling that balances the linear solution. */
mtp_status fit_rescale(fit_ctx *c, const mtp_cfg *cfgs, int n, mtp_error *err);

/* ---- fit_bfgs.c: the optimiser -------------------------------------- */
/* At most `limit` accepted BFGS steps over the variables of `mode`
 * (FIT_OPT_*), continuing run->resume if set; *steps_done, *timed_out
 * (--max_time reached). */
mtp_status fit_bfgs(fit_ctx *c, int mode, const mtp_cfg *cfgs, int n, const mtp_cfg *valid, int nv, int limit,
                    int *steps_done, int *timed_out, fit_run *run, mtp_error *err);

/* ---- fit_reduce.c: threads and MPI ranks ---------------------------- */
int fit_nthreads(void);  /* OpenMP threads (1 without OpenMP) */
int fit_thread_id(void); /* inside a parallel region */
/* Sum x[0..n) over the MPI ranks (in place; no-op without MPI). */
void fit_reduce_sum(const fit_ctx *c, double *x, size_t n);
/* Rank 0's value of x on every rank. */
void fit_bcast(const fit_ctx *c, double *x, int n);
/* Order-independent sums.  Per-configuration contributions are added in
 * double-double (a[0] = hi, a[1] = lo, TwoSum), so the rounded totals do
 * not depend on how the configurations are split over threads and MPI
 * ranks: 1 and N ranks (and any thread count) give the same numbers, not
 * merely numbers equal to rounding.  Inline: the inner loop of the sums. */
static inline void fit_dd_add(double *a, double x)
{
    double s = a[0] + x, bp = s - a[0];
    a[1] += (a[0] - (s - bp)) + (x - bp);
    a[0] = s;
}
/* After a parallel accumulation into acc[t*2n .. (t+1)*2n) per thread t:
 * merge the threads into acc[0..2n), agree across MPI ranks on whether any
 * failed (status; `what` is the message of the ranks that did not), and
 * sum over ranks. */
mtp_status fit_combine_sums(const fit_ctx *c, double *acc, size_t n, int nth, mtp_status status, const char *what,
                            mtp_error *err);

#endif
