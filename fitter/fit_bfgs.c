/* SPDX-License-Identifier: BSD-3-Clause */
/* The optimiser: BFGS with a Wolfe line search (spec 4.6) over all
 * parameters (FIT_OPT_BFGS, MLIP-3's schedule of linear re-solves) or over
 * the radial coefficients with the linear ones solved at every evaluation
 * (FIT_OPT_VARPRO); progress lines, the convergence and time limits, and
 * checkpoints at the top of an iteration (fit_state.c). */
#include "fit.h"
#include "fit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the objective seen by the optimiser ---------------------------- */
/* FIT_OPT_BFGS: x = theta (all P parameters), f = L(theta).
 * FIT_OPT_VARPRO: x = radial coefficients (nr), the linear ones solved
 * exactly (ridge lambda frozen), f = L(x, xi*(x)), g = dL/dx at xi*. */
static mtp_status objective(fit_ctx *c, int mode, const mtp_cfg *cfgs, int n, const double *x, double *f, double *g,
                            double *gfull, fit_stats *st, mtp_error *err)
{
    mtp_status s;
    double t = fit_now();
    c->n_eval++;
    if (g) c->n_grad++;
    if (mode == FIT_OPT_BFGS) {
        if (!(s = fit_set_theta(c, x, err))) s = fit_eval_loss(c, cfgs, n, f, g, st, 1, err);
    } else {
        /* normal equations + solve, then loss (and gradient) at xi* */
        memcpy(c->theta, x, (size_t)c->nr * sizeof(double));
        if (!(s = fit_lin_optimize_ex(c, cfgs, n, 1, NULL, err))) s = fit_eval_loss(c, cfgs, n, f, g ? gfull : NULL, st, 1, err);
        if (!s && g) memcpy(g, gfull, (size_t)c->nr * sizeof(double));
    }
    c->t_eval += fit_now() - t;
    return s;
}

/* The gradient at the point of the last objective() call (parameters,
 * and for varpro xi*, already set): used by the line search, which
 * evaluates the loss alone first and the gradient only for points that
 * pass the sufficient-decrease test. */
static mtp_status objective_grad(fit_ctx *c, int mode, const mtp_cfg *cfgs, int n, double *f, double *g,
                                 double *gfull, fit_stats *st, mtp_error *err)
{
    double t = fit_now();
    c->n_grad++;
    mtp_status s = fit_eval_loss(c, cfgs, n, f, mode == FIT_OPT_BFGS ? g : gfull, st, 1, err);
    if (!s && mode != FIT_OPT_BFGS) memcpy(g, gfull, (size_t)c->nr * sizeof(double));
    c->t_eval += fit_now() - t;
    return s;
}

/* One step's progress: to the progress callback (whose non-zero return
 * requests a stop), else as a line to the log (mtp_train_progress_format).
 * The validation numbers are computed every valid_every iterations and
 * repeated in between; valid_iteration ("(iter N)") says which iteration
 * they are from, so that a learning curve (python3 -m openmtp.plot
 * learning) plots each measurement once.  valid_loss has no ridge penalty
 * term. */
static void report_progress(fit_ctx *c, int mode, int pretraining, int it, int limit, double L, const fit_stats *s,
                            const fit_stats *vs, int have_v, double valid_loss, int valid_at)
{
    if (c->rank != 0 || (!c->o->progress && !c->log)) return;
    double el = fit_now() - c->t0;
    double eta = it > 0 ? el / it * (limit - it) : 0;
    if (c->o->max_time > 0 && eta > c->o->max_time - el) eta = fmax(0, c->o->max_time - el);
    mtp_train_progress p = {
        .optimizer = mode == FIT_OPT_BFGS ? MTP_TRAIN_BFGS : MTP_TRAIN_VARPRO,
        .pretraining = pretraining,
        .iteration = it,
        .iteration_limit = limit,
        .loss = L,
        .rmse_energy = s->ne ? 1e3 * sqrt(s->e2 / s->ne) : 0.0,
        .rmse_force = s->nf ? sqrt(s->f2 / s->nf) : 0.0,
        .rmse_stress = s->ns ? sqrt(s->s2 / s->ns) : 0.0,
        .has_valid = have_v,
        .valid_iteration = valid_at,
        .valid_rmse_energy = vs->ne ? 1e3 * sqrt(vs->e2 / vs->ne) : 0.0,
        .valid_rmse_force = vs->nf ? sqrt(vs->f2 / vs->nf) : 0.0,
        .valid_rmse_stress = vs->ns ? sqrt(vs->s2 / vs->ns) : 0.0,
        .valid_loss = valid_loss,
        .elapsed = el,
        .eta = eta,
        .evaluations = c->n_eval,
        .gradient_evaluations = c->n_grad,
    };
    if (c->o->progress) {
        if (c->o->progress(c->o->user, &p)) c->stop_requested = 1;
    } else {
        char line[1024];
        mtp_train_progress_format(&p, line, sizeof line);
        fputs(line, c->log);
        fflush(c->log);
    }
}

static double dot_n(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* 0: go on; 1: max_time is reached; 2: the progress callback asked to stop. */
static int time_is_up(fit_ctx *c)
{
    double up = c->stop_requested ? 2 : c->o->max_time > 0 && fit_now() - c->t0 > c->o->max_time;
    fit_bcast(c, &up, 1); /* rank 0 decides */
    return (int)up;
}

/* BFGS with a Wolfe line search (c1 0.1, c2 0.5), spec 4.6, over the
 * variables of `mode` (see objective()). */
mtp_status fit_bfgs(fit_ctx *c, int mode, const mtp_cfg *cfgs, int n, const mtp_cfg *valid, int nv, int limit,
                       int *steps_done, int *timed_out, fit_run *run, mtp_error *err)
{
    const int P = c->P, D = mode == FIT_OPT_BFGS ? P : c->nr;
    const fit_options *o = c->o;
    double *H = malloc((size_t)D * D * sizeof(double)), *g = malloc(D * sizeof(double)), *gn = malloc(D * sizeof(double));
    double *p = malloc(D * sizeof(double)), *x0 = malloc(D * sizeof(double)), *xt = malloc(D * sizeof(double));
    double *y = malloc(D * sizeof(double)), *Hy = malloc(D * sizeof(double)), *gbest = malloc(D * sizeof(double));
    double *gfull = malloc(P * sizeof(double)), *th0 = malloc(P * sizeof(double)), *thacc = malloc(P * sizeof(double));
    double L, Lref = INFINITY, last_ckpt = fit_now();
    fit_stats stt, vst = {0};
    int have_v = 0, fresh_H = 1, steps = 0, stalls = 0, valid_at = 0, vbest_step = 0;
    const int vstop = o->valid_patience > 0 && nv > 0;
    double valid_loss = 0;
    mtp_status st = MTP_OK;
    *timed_out = 0;
    if (run->resume) {
        /* continue from the checkpoint (theta, scaling, ridge restored by
         * fit_state_open): the state at the top of the next iteration */
        fit_bfgs_state b = {.D = D, .H = H, .g = g};
        st = fit_state_bfgs(run, &b, err);
        fit_ckpt_free(run->resume);
        run->resume = NULL;
        L = b.L, Lref = b.Lref, stt = b.stt, vst = b.vst;
        have_v = b.have_v, fresh_H = b.fresh_H, steps = b.steps, stalls = b.stalls, vbest_step = b.vbest_step;
    } else {
        if (mode == FIT_OPT_VARPRO) st = fit_lin_optimize(c, cfgs, n, NULL, err); /* refresh lambda */
        if (!st) {
            memcpy(x0, c->theta, D * sizeof(double));
            st = objective(c, mode, cfgs, n, x0, &L, g, gfull, &stt, err);
        }
        if (!st && !(isfinite(L) && fit_all_finite(g, D))) st = fit_not_finite(err, "loss or its gradient", steps);
    }
    for (; !st && steps < limit;) {
        if (fresh_H) {
            memset(H, 0, (size_t)D * D * sizeof(double));
            for (int i = 0; i < D; i++) H[(size_t)i * D + i] = 1.0;
        }
        double d0 = 0;
        for (int i = 0; i < D; i++) {
            double s = 0;
            for (int j = 0; j < D; j++) s -= H[(size_t)i * D + j] * g[j];
            p[i] = s;
            d0 += s * g[i];
        }
        if (!(d0 < 0)) {
            if (fresh_H) break; /* zero gradient */
            fresh_H = 1;
            continue;
        }
        memcpy(x0, c->theta, D * sizeof(double));
        memcpy(th0, c->theta, P * sizeof(double));
        double pmax = 0;
        for (int i = 0; i < c->nr; i++) pmax = fmax(pmax, fabs(p[i]));
        double a = 1.0;
        if (pmax * a > 0.5) a = 0.5 / pmax;
        double a_lo = 0, f_lo = L, dlo = d0, a_hi = -1, f_hi = 0, acc_a = -1, acc_f = 0;
        fit_stats acc_s = stt, ts;
        for (int ls = 0; ls < 40 && !st; ls++) {
            for (int i = 0; i < D; i++) xt[i] = x0[i] + a * p[i];
            double f;
            if ((st = objective(c, mode, cfgs, n, xt, &f, NULL, gfull, &ts, err))) break;
            int keep = 0;
            if (!isfinite(f) || f > L + 0.1 * a * d0 || (a_hi < 0 && ls > 0 && f >= f_lo && a > a_lo)) {
                a_hi = a, f_hi = f; /* no gradient needed */
            } else {
                if ((st = objective_grad(c, mode, cfgs, n, &f, gn, gfull, &ts, err))) break;
                double d = dot_n(gn, p, D);
                if (fabs(d) <= (mode == FIT_OPT_BFGS ? 0.5 : c->o->wolfe_c2) * fabs(d0)) {
                    keep = 2;
                } else if (d > 0) {
                    a_hi = a, f_hi = f;
                } else {
                    a_lo = a, f_lo = f, dlo = d;
                    keep = 1; /* best sufficient-decrease point as a fallback */
                }
            }
            if (keep) {
                acc_a = a, acc_f = f, acc_s = ts;
                memcpy(gbest, gn, D * sizeof(double));
                memcpy(thacc, c->theta, P * sizeof(double));
                if (keep == 2) break;
            }
            /* near a minimum the curvature condition can be out of reach of
             * round-off (seen: 40 trial points per step on mlearn Li at
             * level 20); both optimisers take the best sufficient-decrease
             * point after 10 trial points */
            if (acc_a >= 0 && ls >= 9) break;
            if (mode == FIT_OPT_VARPRO && ls >= 19) break; /* no decrease in 20 points: handled below */
            if (a_hi < 0) {
                a *= 3;
                if (pmax * a > 0.5 + 1e-12 && pmax * a_lo >= 0.5 - 1e-12) break;
                if (pmax * a > 0.5) a = 0.5 / pmax;
            } else {
                double h = a_hi - a_lo, den = 2 * (f_hi - f_lo - dlo * h);
                double an = (isfinite(f_hi) && den > 0) ? a_lo - dlo * h * h / den : a_lo + 0.5 * h;
                double lo = a_lo + 0.1 * h, hi2 = a_hi - 0.1 * h;
                if (!(an >= lo && an <= hi2)) an = a_lo + 0.5 * h;
                a = an;
                if (h < 1e-14 * fmax(1.0, a_hi)) break;
            }
        }
        if (st) break;
        if (acc_a < 0) {
            /* no decrease found: restart from the identity once, else stop */
            if ((st = fit_set_theta(c, th0, err))) break;
            if (fresh_H) break;
            fresh_H = 1;
            continue;
        }
        if (!isfinite(acc_f) || !fit_all_finite(gbest, D)) {
            st = fit_not_finite(err, "gradient of the loss", steps);
            break;
        }
        fit_bcast(c, thacc, P); /* all ranks continue from bit-identical parameters */
        if ((st = fit_set_theta(c, thacc, err))) break;
        double sy = 0, yy = 0;
        for (int i = 0; i < D; i++) {
            y[i] = gbest[i] - g[i];
            sy += acc_a * p[i] * y[i];
            yy += y[i] * y[i];
        }
        if (sy > 0) {
            if (fresh_H) {
                double sc = sy / yy;
                for (int i = 0; i < D; i++) H[(size_t)i * D + i] = sc;
            }
            double yHy = 0;
            for (int i = 0; i < D; i++) {
                double s = 0;
                for (int j = 0; j < D; j++) s += H[(size_t)i * D + j] * y[j];
                Hy[i] = s;
                yHy += s * y[i];
            }
            double rho = 1.0 / sy, f1 = (1 + rho * yHy) * rho;
            for (int i = 0; i < D; i++) {
                double si = acc_a * p[i];
                for (int j = 0; j < D; j++) {
                    double sj = acc_a * p[j];
                    H[(size_t)i * D + j] += f1 * si * sj - rho * (Hy[i] * sj + si * Hy[j]);
                }
            }
            fresh_H = 0;
        }
        double Lold = L;
        L = acc_f;
        stt = acc_s;
        memcpy(g, gbest, D * sizeof(double));
        steps++;
        if (nv > 0 && (steps % o->valid_every == 0 || steps == 1)) {
            if ((st = fit_eval_loss(c, valid, nv, &valid_loss, NULL, &vst, 0, err))) break;
            have_v = 1;
            valid_at = steps;
            if (vstop && valid_loss < c->vbest_loss) {
                /* the best validation loss of the run so far: its parameters are the result */
                if (!c->vbest && !(c->vbest = malloc((size_t)P * sizeof(double)))) {
                    st = MTP_ERR_NOMEM;
                    break;
                }
                memcpy(c->vbest, c->theta, (size_t)P * sizeof(double));
                c->vbest_loss = valid_loss;
                c->vbest_sigma = mtp_potential_get_info(c->pot).scaling;
                vbest_step = steps;
            }
        }
        report_progress(c, mode, run->phase == FIT_PHASE_PRETRAIN, steps, limit, L, &stt, &vst, have_v, valid_loss,
                        valid_at);
        if (vstop && steps - vbest_step >= o->valid_patience) {
            fit_note(c, "# validation stopping: no lower validation loss in %d iterations (best %.6e, iteration %d)\n",
                     steps - vbest_step, c->vbest_loss, vbest_step);
            break;
        }
        if (fabs(Lold - L) < 1e-16) break;
        /* converged to round-off: three steps in a row that lower the loss
         * by < 1e-5 relative (mlearn Li, level 20: ~1e-6 per step at 10 to
         * 40 evaluations each, the line search rarely finding a Wolfe point) */
        stalls = (mode == FIT_OPT_VARPRO && Lold - L < 1e-5 * L) ? stalls + 1 : 0;
        if (stalls >= 3) break;
        if (mode == FIT_OPT_BFGS &&
            (steps == 25 || steps == 70 || steps == 100 || steps == 150 || steps == 250 || steps == 400)) {
            int changed = 0;
            if ((st = fit_lin_optimize(c, cfgs, n, &changed, err))) break;
            if ((st = fit_eval_loss(c, cfgs, n, &L, g, &stt, 1, err))) break;
            if (changed) fresh_H = 1;
        }
        if (mode == FIT_OPT_VARPRO && steps % 50 == 0) {
            /* refresh the ridge (spec 4.3); the objective changes if it moved */
            int changed = 0;
            if ((st = fit_lin_optimize(c, cfgs, n, &changed, err))) break;
            if (changed) {
                memcpy(x0, c->theta, D * sizeof(double));
                if ((st = objective(c, mode, cfgs, n, x0, &L, g, gfull, &stt, err))) break;
                fresh_H = 1;
            }
        }
        if (mode == FIT_OPT_BFGS ? (steps >= 150 && steps % 50 == 0) : (steps >= 50 && steps % 25 == 0)) {
            /* relative decrease over the last window below tolerance */
            double tol = mode == FIT_OPT_BFGS ? o->tolerance : 0.5 * o->tolerance;
            if ((Lref - L) / L < tol) break;
            Lref = L;
        }
        if (!isfinite(L)) {
            st = fit_not_finite(err, "loss", steps);
            break;
        }
        const int up = time_is_up(c);
        if (up == 1) {
            *timed_out = 1;
            break;
        }
        if (o->checkpoint_path) {
            /* The state at the top of the next iteration.  A run that
             * believes it is checkpointed and is not loses hours when
             * killed: a failed checkpoint stops the fit, on every rank at
             * once (the others would wait for rank 0 in the next reduction). */
            double ckpt_failed = 0;
            if (c->rank == 0 && (up == 2 || fit_now() - last_ckpt >= o->checkpoint_interval)) {
                fit_bfgs_state b = {D, H, g, L, Lref, stt, vst, have_v, fresh_H, steps, stalls, vbest_step};
                if ((st = fit_state_save(c, run, &b, err))) ckpt_failed = 1;
                else {
                    c->n_ckpt++;
                    fit_note(c, "# checkpoint written to %s\n", o->checkpoint_path);
                    if (o->checkpoint_written) {
                        if (c->log) fflush(c->log);
                        o->checkpoint_written(o->user, c->n_ckpt);
                    }
                }
                last_ckpt = fit_now();
            }
            fit_bcast(c, &ckpt_failed, 1);
            if (ckpt_failed) {
                if (c->rank != 0) {
                    st = MTP_ERR_IO;
                    if (err) {
                        err->status = st;
                        snprintf(err->message, sizeof err->message, "%.900s: checkpoint could not be written (see rank 0)",
                                 o->checkpoint_path);
                    }
                }
                break;
            }
        }
        if (up == 2) { /* a clean stop: the checkpoint above is the state to resume from */
            c->stopped = 1;
            *timed_out = 1;
            break;
        }
    }
    *steps_done = steps;
    free(H), free(g), free(gn), free(p), free(x0), free(xt), free(y), free(Hy), free(gbest);
    free(gfull), free(th0), free(thacc);
    return st;
}
