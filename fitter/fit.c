/* SPDX-License-Identifier: BSD-3-Clause */
/* The trainer's driver (see fit.h): fit_train checks options and data,
 * sets species, min_dist and the initial coefficients, deals the
 * configurations to the MPI ranks and runs the schedule of spec section 4
 * (initialisation, LinOptimize, Rescale, pre-training and training by
 * BFGS, random restarts, the final LinOptimize+Rescale).  The default
 * optimiser is variable projection: BFGS over the radial coefficients
 * only, the linear coefficients (species + moment) being the exact
 * regularised least-squares solution at every evaluation, so that the
 * objective minimised is L(c) = min_xi L(c, xi) whose gradient is the
 * partial gradient at the optimal xi (envelope theorem).
 *
 * The parts, each in its own file (declarations in fit_internal.h):
 *   fit_objective.c  loss and gradient, normal equations, penalty, weights
 *   fit_linear.c     LinOptimize (regularised linear solve) and Rescale
 *   fit_bfgs.c       the BFGS iteration with its line search
 *   fit_reduce.c     order-independent sums over threads and MPI ranks
 *   fit_state.c      checkpoints of a run (format in checkpoint.c)
 *
 * MPI (optional, OPENMTP_HAVE_MPI): configurations are dealt round-robin
 * to the ranks, losses, gradients and normal equations are summed with
 * MPI_Allreduce, every rank runs the same optimiser on identical numbers
 * and rank 0 alone logs and writes. */
#include "fit.h"
#include "fit_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef OPENMTP_HAVE_MPI
#include <mpi.h>
#endif

/* OpenBLAS (if it is the BLAS) must not start threads of its own inside
 * the trainer's threads: measured 20 % slower normal equations at level 20
 * with 2 + 2 threads on 2 cores.  Weak: other BLAS libraries lack it. */
extern void openblas_set_num_threads(int) __attribute__((weak));

void fit_options_default(fit_options *o)
{
    memset(o, 0, sizeof *o);
    o->energy_weight = 1.0;
    o->force_weight = 0.01;
    o->stress_weight = 0.001;
    o->weight_scaling = 1.0;
    o->weight_scaling_forces = 0.0;
    o->penalty_weight = 1e-6;
    o->iteration_limit = 1000;
    o->tolerance = 1e-3;
    o->checkpoint_interval = 300;
    o->valid_every = 10;
    o->seed = 1;
    o->optimizer = FIT_OPT_VARPRO;
    o->wolfe_c2 = 0.9;
    o->restarts = 3;
    o->final_energy_weight = 0;
}

double fit_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

void fit_note(const fit_ctx *c, const char *fmt, ...)
{
    if (c->rank != 0) return;
    va_list ap;
    va_start(ap, fmt);
    if (c->o && c->o->message) {
        char text[2048];
        vsnprintf(text, sizeof text, fmt, ap);
        c->o->message(c->o->user, MTP_TRAIN_NOTE, text);
    } else if (c->log)
        vfprintf(c->log, fmt, ap);
    va_end(ap);
}

mtp_status fit_set_theta(fit_ctx *c, const double *th, mtp_error *err)
{
    if (th != c->theta) memcpy(c->theta, th, (size_t)c->P * sizeof(double));
    return mtp_potential_set_params(c->pot, c->theta, err);
}

int fit_all_finite(const double *x, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* A loss or gradient that is not finite is an error, never a potential:
 * the data checks (train_data.c) keep absurd targets out, this catches
 * what they cannot (e.g. a basis that overflows on the data). */
mtp_status fit_not_finite(mtp_error *err, const char *what, int step)
{
    if (err) {
        err->status = MTP_ERR_INVALID;
        snprintf(err->message, sizeof err->message,
                 "training diverged: the %s is not finite (after %d accepted steps); check the training data "
                 "(units, absurd values) and the weights",
                 what, step);
    }
    return MTP_ERR_INVALID;
}

/* Gram-Schmidt of the radial coefficient vectors c_mu (spec 4.5 a). */
static void orthonormalise(fit_ctx *c)
{
    const int K = c->K, R = c->R, npair = c->S * c->S;
    double *th = c->theta;
#define CI(pr, m, b) th[((size_t)(pr) * K + (m)) * R + (b)]
    for (int m = 0; m < K; m++) {
        for (int m2 = 0; m2 < m; m2++) {
            double d = 0;
            for (int pr = 0; pr < npair; pr++)
                for (int b = 0; b < R; b++) d += CI(pr, m, b) * CI(pr, m2, b);
            for (int pr = 0; pr < npair; pr++)
                for (int b = 0; b < R; b++) CI(pr, m, b) -= d * CI(pr, m2, b);
        }
        double nn = 0;
        for (int pr = 0; pr < npair; pr++)
            for (int b = 0; b < R; b++) nn += CI(pr, m, b) * CI(pr, m, b);
        nn = sqrt(nn);
        if (nn > 0)
            for (int pr = 0; pr < npair; pr++)
                for (int b = 0; b < R; b++) CI(pr, m, b) /= nn;
    }
#undef CI
}


void fit_ctx_free(fit_ctx *c)
{
    for (int t = 0; c->calc && t < c->nth; t++) {
        mtp_calculator_destroy(c->calc[t]);
        mtp_param_deriv_destroy(c->pd[t]);
    }
    free(c->calc), free(c->pd), free(c->theta), free(c->lambda), free(c->deg), free(c->vbest);
    c->calc = NULL, c->pd = NULL, c->theta = c->lambda = NULL, c->deg = NULL, c->vbest = NULL;
}

/* Sizes, work space, degrees; theta from the potential if it has
 * coefficients. */
mtp_status fit_ctx_init(fit_ctx *c, mtp_potential *pot, const fit_options *o, mtp_error *err)
{
    mtp_potential_info info = mtp_potential_get_info(pot);
    c->pot = pot;
    c->o = o;
    c->S = info.species_count;
    c->K = info.radial_funcs_count;
    c->R = info.radial_basis_size;
    c->A = info.scalar_count;
    c->P = info.param_count;
    c->nr = c->S * c->S * c->K * c->R;
    c->nlin = c->S + c->A;
    c->linear_rhs = info.radial_type == MTP_RADIAL_CHEBYSHEV;
    c->theta = calloc(c->P, sizeof(double));
    c->lambda = calloc(c->nlin, sizeof(double));
    c->deg = calloc(c->nlin, sizeof(int));
    c->have_deg = mtp_potential_basis_degrees(pot, c->deg + c->S) == 0; /* species: degree 0 */
    c->nth = fit_nthreads();
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    c->calc = calloc(c->nth, sizeof *c->calc);
    c->pd = calloc(c->nth, sizeof *c->pd);
    mtp_status st = MTP_OK;
    if (info.trained && (st = mtp_potential_get_params(pot, c->theta, err))) return st;
    for (int t = 0; t < c->nth; t++) {
        if ((st = mtp_calculator_create(pot, &c->calc[t], err))) return st;
        if ((st = mtp_param_deriv_create(pot, &c->pd[t], err))) return st;
    }
    return MTP_OK;
}

/* Round-robin share of this rank (shallow copies). */
static mtp_cfg *local_share(const fit_ctx *c, const mtp_cfg *cfgs, int n, int *nloc)
{
    *nloc = 0;
    mtp_cfg *out = malloc((size_t)(n / (c->size > 0 ? c->size : 1) + 1) * sizeof(mtp_cfg));
    for (int k = c->rank; k < n; k += c->size) out[(*nloc)++] = cfgs[k];
    return out;
}

/* A fresh random start of the radial coefficients for restart k. */
/* The potential's scaling and parameters set to (sigma, theta). */
static mtp_status set_params(fit_ctx *c, mtp_potential *pot, const double *theta, double sigma, mtp_error *err)
{
    mtp_status st = mtp_potential_set_scaling(pot, sigma, err);
    return st ? st : fit_set_theta(c, theta, err);
}

/* The linear coefficients solved again under c->o (ridge refreshed), then,
 * if `rescale`, the potential rescaled; kept only if the training loss does
 * not rise.  *before: that loss before the attempt (computed if NAN), *after:
 * the attempt's; *kept: whether the attempt stands (else the parameters and
 * scaling are those before it). */
static mtp_status resolve_linear(fit_ctx *c, mtp_potential *pot, const mtp_cfg *train, int n, int rescale,
                                 double *before, double *after, int *kept, mtp_error *err)
{
    const double sigma0 = mtp_potential_get_info(pot).scaling;
    double *th0 = malloc((size_t)c->P * sizeof(double));
    *kept = 0;
    if (!th0) {
        if (err) {
            err->status = MTP_ERR_NOMEM;
            snprintf(err->message, sizeof err->message, "out of memory (linear solve)");
        }
        return MTP_ERR_NOMEM;
    }
    memcpy(th0, c->theta, (size_t)c->P * sizeof(double));
    mtp_status st;
    if (!(isnan(*before) && (st = fit_eval_loss(c, train, n, before, NULL, NULL, 1, err))) &&
        !(st = fit_lin_optimize(c, train, n, NULL, err)) && !(rescale && (st = fit_rescale(c, train, n, err))) &&
        !(st = fit_eval_loss(c, train, n, after, NULL, NULL, 1, err))) {
        *kept = *after <= *before;
        if (!*kept) st = set_params(c, pot, th0, sigma0, err);
    }
    free(th0);
    return st;
}

static mtp_status restart_start(fit_ctx *c, const mtp_cfg *train, int n_train, int k, mtp_error *err)
{
    const fit_options *o = c->o;
    unsigned sd = o->seed + 7919u * (unsigned)k;
    for (int x = 0; x < c->nr; x++) {
        int b = x % c->R, m = (x / c->R) % c->K;
        double u1 = rand_r(&sd) / (double)RAND_MAX * 2 - 1, u2 = rand_r(&sd) / (double)RAND_MAX * 2 - 1;
        c->theta[x] = b == m ? 1e-7 * (1 + u2) : 5e-7 * u1;
    }
    mtp_status st;
    if ((st = mtp_potential_set_scaling(c->pot, 1.0, err)) || (st = fit_set_theta(c, c->theta, err))) return st;
    orthonormalise(c);
    if ((st = fit_lin_optimize(c, train, n_train, NULL, err)) || (st = fit_rescale(c, train, n_train, err))) return st;
    fit_note(c, "# restart %d (random start, seed %u)\n", k, o->seed + 7919u * (unsigned)k);
    return MTP_OK;
}

mtp_status fit_train(mtp_potential *pot, const mtp_cfg *train_all, int n_train_all, const mtp_cfg *valid_all,
                     int n_valid_all, const fit_options *o, int *iterations, mtp_error *err)
{
    fit_result r;
    mtp_status st = fit_train_ex(pot, train_all, n_train_all, valid_all, n_valid_all, o, &r, err);
    *iterations = r.iterations;
    return st;
}

mtp_status fit_train_ex(mtp_potential *pot, const mtp_cfg *train_all, int n_train_all, const mtp_cfg *valid_all,
                        int n_valid_all, const fit_options *o, fit_result *res, mtp_error *err)
{
    memset(res, 0, sizeof *res);
    int iters = 0, *iterations = &iters;
    fit_ctx c;
    memset(&c, 0, sizeof c);
    c.o = o;
    c.t0 = fit_now();
    c.size = 1;
#ifdef OPENMTP_HAVE_MPI
    {
        int inited = 0;
        MPI_Initialized(&inited);
        if (inited) {
            MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
            MPI_Comm_size(MPI_COMM_WORLD, &c.size);
        }
    }
#endif
    c.log = c.rank == 0 ? o->log : NULL;
    *iterations = 0;
    fit_run run = {.phase = FIT_PHASE_PRETRAIN};
    fit_options oq = *o; /* notices from rank 0 only */
    if (c.rank != 0) oq.warn = NULL, oq.message = NULL;
    mtp_status st = MTP_OK;
    fit_options ow; /* o with the default weights */
    fit_options of; /* o with the final energy weight (set at the end) */
    double *th_in = NULL; /* a trained INIT's parameters (final stage) */
    if (o->default_weights) {
        ow = *o;
        fit_default_weights(train_all, n_train_all, &ow);
        o = &ow;
        c.o = o;
    }
    if ((st = fit_check_options(o, err)) || (st = fit_check_data(train_all, n_train_all, o->train_name, o, 1, err)) ||
        (st = fit_check_data(valid_all, n_valid_all, o->valid_name, o, 0, err)))
        return st;
    if (o->default_weights)
        fit_note(&c,
                 "# default weights (no weight options; rule in `mtp help train`): --energy_weight=%.6g "
                 "--force_weight=%.6g --stress_weight=%.6g --weight_scaling=1 --weight_scaling_forces=0; "
                 "then the linear coefficients solved again with energy weight %.6g\n",
                 o->energy_weight, o->force_weight, o->stress_weight, o->final_energy_weight);
    const int vstop = o->valid_patience > 0 && n_valid_all > 0;
    c.vbest_loss = INFINITY;
    mtp_potential_info info = mtp_potential_get_info(pot);
    const int was_trained = info.trained;
    if (!was_trained && fit_named_species(pot)) {
        /* species named by the initial potential (mtp init --species): kept,
         * in its order; fit_adopt_species has mapped relative types */
        for (int k = 0; k < n_train_all; k++)
            for (int i = 0; i < train_all[k].n_atoms; i++)
                if (mtp_potential_species_index(pot, train_all[k].types[i]) < 0) {
                    if (err) {
                        err->status = MTP_ERR_SPECIES;
                        snprintf(err->message, sizeof err->message,
                                 "training configuration %d, atom %d: type %d is not a species of the initial "
                                 "potential (its labels are kept; see fit_adopt_species)",
                                 k + 1, i + 1, train_all[k].types[i]);
                    }
                    return MTP_ERR_SPECIES;
                }
    }
    /* species: kept if named, else the sorted set of types in the training set (spec 2.4) */
    if (!was_trained && (st = fit_species_from_data(pot, train_all, n_train_all, &oq, err))) return st;
    /* types the potential does not know: refused before any work, naming the file */
    if ((st = fit_check_species(pot, train_all, n_train_all, o->train_name ? o->train_name : "training set", err)) ||
        (st = fit_check_species(pot, valid_all, n_valid_all, o->valid_name ? o->valid_name : "validation set", err)))
        return st;
    if (!was_trained) {
        if (!o->no_mindist_update) {
            double dmin = INFINITY;
            for (int k = c.rank; k < n_train_all; k += c.size) {
                double d;
                if (mtp_cfg_min_distance(&train_all[k], info.max_dist, &d, 0, NULL, err) == MTP_OK && d < dmin) dmin = d;
            }
#ifdef OPENMTP_HAVE_MPI
            if (c.size > 1) MPI_Allreduce(MPI_IN_PLACE, &dmin, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
#endif
            if (isfinite(dmin) && 0.99 * dmin < info.max_dist) {
                if ((st = mtp_potential_set_min_dist(pot, 0.99 * dmin, err))) return st;
                fit_note(&c, "# min_dist set to %.4f A (0.99 x smallest distance)\n", 0.99 * dmin);
            }
        }
    }
    if ((st = fit_ctx_init(&c, pot, o, err))) goto done;
    /* a trained potential trained on under the default rule: its own
     * parameters are kept if they are better under the final weights (the
     * first stage optimises another objective, so more steps can leave the
     * final one a little higher) */
    const double sigma_in = info.scaling;
    if (was_trained && o->final_energy_weight > 0 && isfinite(o->final_energy_weight) && !vstop &&
        (th_in = malloc((size_t)c.P * sizeof(double))))
        memcpy(th_in, c.theta, (size_t)c.P * sizeof(double));
    fit_hash_cfgs(train_all, n_train_all, c.hash_train);
    fit_hash_cfgs(valid_all, n_valid_all, c.hash_valid);
    const int mode = o->optimizer == FIT_OPT_BFGS ? FIT_OPT_BFGS : FIT_OPT_VARPRO;
    if (!was_trained) {
        unsigned s = o->seed;
        for (int pr = 0; pr < c.S * c.S; pr++)
            for (int m = 0; m < c.K; m++)
                for (int b = 0; b < c.R; b++) {
                    double *x = &c.theta[((size_t)pr * c.K + m) * c.R + b];
                    if (o->init_random) {
                        double u1 = rand_r(&s) / (double)RAND_MAX * 2 - 1, u2 = rand_r(&s) / (double)RAND_MAX * 2 - 1;
                        *x = b == m ? 1e-7 * (1 + u2) : 5e-7 * u1;
                    } else
                        *x = b == m ? 1e-3 * (pr + 1) : 1e-6;
                }
        if ((st = fit_set_theta(&c, c.theta, err))) goto done;
    }
    if (o->resume) {
        if ((st = fit_state_open(&c, mode, &run, err))) goto done;
        static const char *phase_name[] = {"pre-training", "training", "restart"};
        char which[32] = "";
        if (run.phase == FIT_PHASE_RESTART) snprintf(which, sizeof which, " %d", run.restart);
        fit_note(&c, "# resuming from checkpoint %s: %s%s, %.1f s of earlier runs\n", o->checkpoint_path,
                 phase_name[run.phase], which, fit_now() - c.t0);
    }
    int n_train, n_valid;
    mtp_cfg *train = local_share(&c, train_all, n_train_all, &n_train);
    mtp_cfg *valid = local_share(&c, valid_all, n_valid_all, &n_valid);
    for (int k = 0; k < n_train_all; k++) c.atoms += train_all[k].n_atoms;
    fit_note(&c,
                "# training: %d configurations, %d parameters (%d radial, %d linear), %d species, %d MPI rank(s) x %d "
                "thread(s), optimizer %s%s\n",
                n_train_all, c.P, c.nr, c.nlin, c.S, c.size, c.nth,
                mode == FIT_OPT_BFGS ? "bfgs (MLIP-3)" : "varpro", c.have_deg ? "" : ", rescale by re-evaluation");
    int steps = 0, timed_out = 0;
    const int resumed = run.resume != NULL;
    if (!was_trained && run.phase == FIT_PHASE_PRETRAIN) {
        if (!resumed) {
            orthonormalise(&c);
            if ((st = fit_lin_optimize(&c, train, n_train, NULL, err))) goto done2;
        }
        if (o->iteration_limit > 0 && !o->skip_preinit && mode == FIT_OPT_BFGS) {
            if (!resumed) {
                if ((st = fit_rescale(&c, train, n_train, err))) goto done2;
                fit_note(&c, "# pre-training (75 BFGS steps)\n");
            }
            if ((st = fit_bfgs(&c, mode, train, n_train, valid, n_valid, 75, &steps, &timed_out, &run, err))) goto done2;
        }
        if ((st = fit_rescale(&c, train, n_train, err))) goto done2;
    }
    if (run.phase == FIT_PHASE_PRETRAIN) run.phase = FIT_PHASE_TRAIN;
    if (run.phase == FIT_PHASE_TRAIN && o->iteration_limit > 0 && !timed_out) {
        if (!run.resume)
            fit_note(&c, "# training (at most %d %s steps)\n", o->iteration_limit, mode == FIT_OPT_BFGS ? "BFGS" : "VarPro");
        if ((st = fit_bfgs(&c, mode, train, n_train, valid, n_valid, o->iteration_limit, &steps, &timed_out, &run, err)))
            goto done2;
        *iterations = steps;
        if (c.stopped)
            fit_note(&c, "# stopped: requested by the progress callback%s%s\n",
                     o->checkpoint_path ? "; checkpoint " : "", o->checkpoint_path ? o->checkpoint_path : "");
        else if (timed_out)
            fit_note(&c, "# stopped: --max_time reached\n");
    }
    /* Restarts (varpro, fresh training with --max_time): the optimiser
     * converged to a local minimum with time to spare; train again from a
     * new random start (seed + k) while at least a quarter of the budget
     * is left, keep the lowest training loss.  The best start so far is
     * part of the checkpoint (fit_run). */
    if (!st && !was_trained && mode == FIT_OPT_VARPRO && o->restarts && o->max_time > 0 && o->iteration_limit > 0 &&
        !timed_out) {
        int k = 1;
        if (run.phase == FIT_PHASE_RESTART) {
            k = run.restart;
            steps = run.steps_before;
        } else {
            run.best = malloc((size_t)c.P * sizeof(double));
            run.best_lambda = malloc((size_t)c.nlin * sizeof(double));
            run.best_sigma = mtp_potential_get_info(pot).scaling;
            memcpy(run.best, c.theta, (size_t)c.P * sizeof(double));
            memcpy(run.best_lambda, c.lambda, (size_t)c.nlin * sizeof(double));
            if ((st = fit_eval_loss(&c, train, n_train, &run.Lb, NULL, NULL, 1, err))) goto done2;
        }
        for (; !st && k <= o->restarts; k++) {
            if (!run.resume) {
                double go = fit_now() - c.t0 < 0.75 * o->max_time;
                fit_bcast(&c, &go, 1);
                if (go == 0) break;
                run.phase = FIT_PHASE_RESTART, run.restart = k, run.steps_before = steps;
                if ((st = restart_start(&c, train, n_train, k, err))) break;
            }
            int s2 = 0;
            if ((st = fit_bfgs(&c, mode, train, n_train, valid, n_valid, o->iteration_limit, &s2, &timed_out, &run, err)))
                break;
            steps += s2;
            double L;
            if ((st = fit_eval_loss(&c, train, n_train, &L, NULL, NULL, 1, err))) break;
            fit_note(&c, "# restart %d: loss %.6e (%d steps%s); best so far %.6e\n", k, L, s2,
                               timed_out ? ", cut by --max_time" : "", fmin(L, run.Lb));
            if (L < run.Lb) {
                run.Lb = L;
                memcpy(run.best, c.theta, (size_t)c.P * sizeof(double));
                run.best_sigma = mtp_potential_get_info(pot).scaling;
                memcpy(run.best_lambda, c.lambda, (size_t)c.nlin * sizeof(double));
            }
            if (timed_out) break;
        }
        /* the best start with its own ridge (the loss includes the ridge term) */
        if (!st) {
            memcpy(c.lambda, run.best_lambda, (size_t)c.nlin * sizeof(double));
            st = set_params(&c, pot, run.best, run.best_sigma, err);
        }
        *iterations = steps;
        if (st) goto done2;
    }
    if (vstop && c.vbest) {
        /* validation stopping: the potential of the best validation loss
         * (the final LinOptimize below would refit it to the training set) */
        if ((st = set_params(&c, pot, c.vbest, c.vbest_sigma, err))) goto done2;
        fit_note(&c, "# validation stopping: kept the parameters of the best validation loss %.6e%s\n", c.vbest_loss,
                 o->final_energy_weight > 0 ? " (its linear coefficients are solved again below)" : "");
    } else {
        /* final LinOptimize (ridge refreshed) and Rescale as in MLIP-3, kept
         * only if they do not increase the training loss */
        double L0 = NAN, L1;
        int kept;
        if ((st = resolve_linear(&c, pot, train, n_train, 1, &L0, &L1, &kept, err))) goto done2;
        if (!kept) fit_note(&c, "# final LinOptimize+Rescale raised the loss (%.6e -> %.6e): undone\n", L0, L1);
    }
    if (o->final_energy_weight > 0 && isfinite(o->final_energy_weight)) {
        /* the second stage of the default rule (fit_weights.c): the linear
         * coefficients (and the scaling) for another energy weight, the
         * radial ones kept; undone if it does not lower that objective */
        of = *o;
        of.energy_weight = o->final_energy_weight;
        c.o = o = &of;
        double L0 = NAN, L1, L2 = INFINITY;
        int kept;
        if ((st = resolve_linear(&c, pot, train, n_train, 1, &L0, &L1, &kept, err))) goto done2;
        if (kept)
            fit_note(&c, "# linear coefficients solved again with --energy_weight=%.6g: loss %.6e -> %.6e\n",
                     o->energy_weight, L0, L1);
        else {
            /* the Rescale can be what raised it (seen with MLIP-3's final
             * LinOptimize+Rescale): the linear solve alone, else undone */
            if ((st = resolve_linear(&c, pot, train, n_train, 0, &L0, &L2, &kept, err))) goto done2;
            if (kept)
                fit_note(&c,
                         "# linear coefficients solved again with --energy_weight=%.6g, without the rescale "
                         "(which raised the loss to %.6e): loss %.6e -> %.6e\n",
                         o->energy_weight, L1, L0, L2);
            else
                fit_note(&c, "# linear solve with --energy_weight=%.6g raised that loss (%.6e -> %.6e): undone\n",
                         o->energy_weight, L0, fmin(L1, L2));
            L1 = kept ? L2 : L0; /* the loss of what is kept */
        }
        if (th_in) {
            double Lin;
            double *th1 = malloc((size_t)c.P * sizeof(double)), sigma1 = mtp_potential_get_info(pot).scaling;
            if (th1) {
                memcpy(th1, c.theta, (size_t)c.P * sizeof(double));
                if (!(st = set_params(&c, pot, th_in, sigma_in, err)) &&
                    !(st = fit_eval_loss(&c, train, n_train, &Lin, NULL, NULL, 1, err))) {
                    if (Lin <= L1)
                        fit_note(&c, "# the potential given is better under these weights (%.6e vs %.6e): kept\n", Lin,
                                 L1);
                    else
                        st = set_params(&c, pot, th1, sigma1, err);
                }
                free(th1);
            }
        }
        if (st) goto done2;
    }
    {
        double Lf;
        fit_stats fs;
        if ((st = fit_eval_loss(&c, train, n_train, &Lf, NULL, &fs, 1, err))) goto done2;
        if (!isfinite(Lf) || !fit_all_finite(c.theta, c.P)) {
            st = fit_not_finite(err, "final loss or a parameter", steps);
            goto done2;
        }
        if (res) {
            res->loss = Lf;
            res->rmse_energy = fs.ne ? 1e3 * sqrt(fs.e2 / fs.ne) : 0.0;
            res->rmse_force = fs.nf ? sqrt(fs.f2 / fs.nf) : 0.0;
        }
        fit_note(&c, "# final loss %.17g  rmse E %.3f meV/atom  F %.4f eV/A  (%d iterations, %.1f s)\n", Lf,
                    fs.ne ? 1e3 * sqrt(fs.e2 / fs.ne) : 0.0, fs.nf ? sqrt(fs.f2 / fs.nf) : 0.0, steps, fit_now() - c.t0);
    }
    if (c.n_eval > 0)
        fit_note(&c,
                "# %ld objective evaluations (loss%s; %ld of them also the gradient), %.1f s in all, %.3g s each, "
                "%.3g us per atom (wall, all ranks and threads)\n",
                c.n_eval, mode == FIT_OPT_VARPRO ? " with the linear solve" : "", c.n_grad, c.t_eval,
                c.t_eval / c.n_eval, 1e6 * c.t_eval / c.n_eval / (c.atoms > 0 ? c.atoms : 1));
done2:
    free(train), free(valid);
done:
    res->iterations = *iterations;
    res->stopped = c.stopped;
    res->elapsed = fit_now() - c.t0;
    if (run.resume) fit_ckpt_free(run.resume);
    free(run.best), free(run.best_lambda), free(th_in);
    fit_ctx_free(&c);
    return st;
}
