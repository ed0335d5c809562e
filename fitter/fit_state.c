/* SPDX-License-Identifier: BSD-3-Clause */
/* What a training checkpoint holds and how a run is restored from it
 * (format: checkpoint.h).  A run is defined by the initial potential, the
 * data and the options below; a checkpoint carries their fingerprints and
 * a resume with anything different is refused, naming what differs,
 * because it would silently continue some other run. */
#include "fit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The options that change the trajectory of the optimiser.  Not here:
 * max_time (a budget the user may extend on resume; it counts the time of
 * all starts), checkpoint_interval, log, warn. */
typedef struct run_option {
    const char *name;
    double value;
} run_option;

static int run_options(const fit_options *o, run_option *out)
{
    int n = 0;
    out[n++] = (run_option){"energy_weight", o->energy_weight};
    out[n++] = (run_option){"force_weight", o->force_weight};
    out[n++] = (run_option){"stress_weight", o->stress_weight};
    out[n++] = (run_option){"weight_scaling", o->weight_scaling};
    out[n++] = (run_option){"weight_scaling_forces", o->weight_scaling_forces};
    out[n++] = (run_option){"penalty_weight", o->penalty_weight};
    out[n++] = (run_option){"iteration_limit", o->iteration_limit};
    out[n++] = (run_option){"tolerance", o->tolerance};
    out[n++] = (run_option){"init_random", o->init_random};
    out[n++] = (run_option){"skip_preinit", o->skip_preinit};
    out[n++] = (run_option){"no_mindist_update", o->no_mindist_update};
    out[n++] = (run_option){"valid_every", o->valid_every};
    out[n++] = (run_option){"seed", o->seed};
    out[n++] = (run_option){"optimizer", o->optimizer};
    out[n++] = (run_option){"restarts", o->restarts};
    out[n++] = (run_option){"wolfe_c2", o->wolfe_c2};
    out[n++] = (run_option){"allow_rare_species", o->allow_rare_species};
    out[n++] = (run_option){"default_weights", o->default_weights};
    out[n++] = (run_option){"valid_patience", o->valid_patience};
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

mtp_status fit_state_save(fit_ctx *c, const fit_run *run, const fit_bfgs_state *b, mtp_error *err)
{
    fit_ckpt_writer *w;
    mtp_status st = fit_ckpt_create(c->o->checkpoint_path, &w, err);
    if (st) return st;
    mtp_potential_info info = mtp_potential_get_info(c->pot);
    run_option ro[32];
    int nro = run_options(c->o, ro);
    char key[80];
    for (int i = 0; i < nro; i++) {
        snprintf(key, sizeof key, "option.%s", ro[i].name);
        fit_ckpt_put1(w, key, ro[i].value);
    }
    fit_ckpt_put_string(w, "data.train", c->hash_train);
    fit_ckpt_put_string(w, "data.valid", c->hash_valid);
    fit_ckpt_put_string(w, "run_id", c->o->run_id);
    double sizes[5] = {c->P, c->S, c->nr, c->nlin, b->D};
    fit_ckpt_put(w, "sizes", sizes, 5); /* P S radial linear D */
    double *lab = malloc((size_t)c->S * sizeof(double));
    for (int s = 0; s < c->S && lab; s++) lab[s] = mtp_potential_species_label(c->pot, s);
    if (lab) fit_ckpt_put(w, "species", lab, c->S);
    free(lab);
    fit_ckpt_put1(w, "min_dist", info.min_dist);
    /* position */
    fit_ckpt_put1(w, "phase", run->phase);
    fit_ckpt_put1(w, "restart", run->restart);
    fit_ckpt_put1(w, "steps_before", run->steps_before);
    fit_ckpt_put1(w, "pre_steps", run->pre_steps);
    /* parameters */
    fit_ckpt_put1(w, "scaling", info.scaling);
    fit_ckpt_put(w, "theta", c->theta, c->P);
    fit_ckpt_put(w, "lambda", c->lambda, c->nlin);
    /* optimiser */
    fit_ckpt_put(w, "bfgs.H", b->H, (long)b->D * b->D);
    fit_ckpt_put(w, "bfgs.g", b->g, b->D);
    double sc[4] = {b->L, b->Lref, b->have_v, b->fresh_H};
    fit_ckpt_put(w, "bfgs.L_Lref_havev_freshH", sc, 4);
    double it[2] = {b->steps, b->stalls};
    fit_ckpt_put(w, "bfgs.steps_stalls", it, 2);
    fit_ckpt_put(w, "bfgs.stats", &b->stt.e2, 6);
    fit_ckpt_put(w, "bfgs.valid_stats", &b->vst.e2, 6);
    /* restart bookkeeping (phase RESTART; zeros before) */
    fit_ckpt_put1(w, "restart.best_loss", run->best ? run->Lb : 0.0);
    fit_ckpt_put1(w, "restart.best_sigma", run->best ? run->best_sigma : 0.0);
    fit_ckpt_put(w, "restart.best", run->best, run->best ? c->P : 0);
    fit_ckpt_put(w, "restart.best_lambda", run->best_lambda, run->best_lambda ? c->nlin : 0);
    /* validation stopping: the best validation loss so far, its parameters
     * (none before the first validation) and where in this phase it was */
    fit_ckpt_put1(w, "valid.best_loss", c->vbest ? c->vbest_loss : 0.0);
    fit_ckpt_put1(w, "valid.best_sigma", c->vbest ? c->vbest_sigma : 0.0);
    fit_ckpt_put(w, "valid.best", c->vbest, c->vbest ? c->P : 0);
    fit_ckpt_put1(w, "valid.best_step", b->vbest_step);
    /* counters and time (the log's, and the --max_time budget) */
    double ctr[4] = {(double)c->n_eval, (double)c->n_grad, c->t_eval, now_s() - c->t0};
    fit_ckpt_put(w, "counters.evals_grads_teval_elapsed", ctr, 4);
    return fit_ckpt_commit(w, err);
}

static mtp_status mismatch(mtp_error *err, const char *path, const char *what)
{
    if (err) {
        err->status = MTP_ERR_INVALID;
        snprintf(err->message, sizeof err->message,
                 "%.700s: this checkpoint belongs to another run: %.200s; resume with the command that wrote it, "
                 "or remove the checkpoint to start afresh",
                 path, what);
    }
    return MTP_ERR_INVALID;
}

mtp_status fit_state_open(fit_ctx *c, int mode, fit_run *run, mtp_error *err)
{
    const char *path = c->o->checkpoint_path;
    fit_ckpt *ck;
    mtp_status st = fit_ckpt_read(path, &ck, err);
    if (st) return st;
    char what[256];
    /* the data first: with default weights the weights derive from the data, so other data
     * would otherwise be reported as other weights */
    const struct {
        const char *rec, *mine, *desc;
    } ids[] = {{"data.train", c->hash_train, "the training configurations differ"},
               {"data.valid", c->hash_valid, "the validation configurations differ"},
               {"run_id", c->o->run_id && *c->o->run_id ? c->o->run_id : "-",
                "the initial potential or the options applied after training differ"}};
    for (int i = 0; i < 3; i++) {
        const char *s = fit_ckpt_get_string(ck, ids[i].rec);
        if (!s || strcmp(s, ids[i].mine) != 0) {
            snprintf(what, sizeof what, "%s (%s %s, this command %s)", ids[i].desc, ids[i].rec, s ? s : "absent",
                     ids[i].mine);
            st = mismatch(err, path, what);
            goto fail;
        }
    }
    run_option ro[32];
    int nro = run_options(c->o, ro);
    for (int i = 0; i < nro; i++) {
        char key[80];
        double v;
        snprintf(key, sizeof key, "option.%s", ro[i].name);
        if ((st = fit_ckpt_get1(ck, key, &v, err))) goto fail;
        if (v != ro[i].value) {
            snprintf(what, sizeof what, "it was written with --%s=%.17g, this command has --%s=%.17g", ro[i].name, v,
                     ro[i].name, ro[i].value);
            st = mismatch(err, path, what);
            goto fail;
        }
    }
    double sizes[5], md;
    const int D = mode == FIT_OPT_BFGS ? c->P : c->nr;
    if ((st = fit_ckpt_get(ck, "sizes", sizes, 5, err))) goto fail;
    if (sizes[0] != c->P || sizes[1] != c->S || sizes[2] != c->nr || sizes[3] != c->nlin || sizes[4] != D) {
        st = mismatch(err, path, "the potential's sizes differ");
        goto fail;
    }
    double *lab = malloc((size_t)c->S * sizeof(double));
    if (!lab || (st = fit_ckpt_get(ck, "species", lab, c->S, err))) {
        free(lab);
        if (!st) st = MTP_ERR_NOMEM;
        goto fail;
    }
    for (int s = 0; s < c->S; s++)
        if (lab[s] != mtp_potential_species_label(c->pot, s)) {
            free(lab);
            st = mismatch(err, path, "the species differ");
            goto fail;
        }
    free(lab);
    if ((st = fit_ckpt_get1(ck, "min_dist", &md, err))) goto fail;
    if (md != mtp_potential_get_info(c->pot).min_dist) {
        st = mismatch(err, path, "min_dist differs");
        goto fail;
    }
    double sigma, ctr[4];
    if ((st = fit_ckpt_get_int(ck, "phase", &run->phase, err)) ||
        (st = fit_ckpt_get_int(ck, "restart", &run->restart, err)) ||
        (st = fit_ckpt_get_int(ck, "steps_before", &run->steps_before, err)) ||
        (st = fit_ckpt_get_int(ck, "pre_steps", &run->pre_steps, err)) ||
        (st = fit_ckpt_get1(ck, "scaling", &sigma, err)) || (st = fit_ckpt_get(ck, "theta", c->theta, c->P, err)) ||
        (st = fit_ckpt_get(ck, "lambda", c->lambda, c->nlin, err)) ||
        (st = fit_ckpt_get(ck, "counters.evals_grads_teval_elapsed", ctr, 4, err)))
        goto fail;
    if (run->phase < FIT_PHASE_PRETRAIN || run->phase > FIT_PHASE_RESTART) {
        st = mismatch(err, path, "unknown phase");
        goto fail;
    }
    if (run->phase == FIT_PHASE_RESTART) {
        run->best = malloc((size_t)c->P * sizeof(double));
        run->best_lambda = malloc((size_t)c->nlin * sizeof(double));
        if (!run->best || !run->best_lambda) {
            st = MTP_ERR_NOMEM;
            goto fail;
        }
        if ((st = fit_ckpt_get1(ck, "restart.best_loss", &run->Lb, err)) ||
            (st = fit_ckpt_get1(ck, "restart.best_sigma", &run->best_sigma, err)) ||
            (st = fit_ckpt_get(ck, "restart.best", run->best, c->P, err)) ||
            (st = fit_ckpt_get(ck, "restart.best_lambda", run->best_lambda, c->nlin, err)))
            goto fail;
    }
    {
        /* validation stopping: "valid.best" has P numbers or none */
        double vb;
        if ((st = fit_ckpt_get1(ck, "valid.best_loss", &vb, err))) goto fail;
        if (fit_ckpt_get(ck, "valid.best", NULL, 0, NULL) != MTP_OK) {
            if (!(c->vbest = malloc((size_t)c->P * sizeof(double)))) {
                st = MTP_ERR_NOMEM;
                goto fail;
            }
            if ((st = fit_ckpt_get(ck, "valid.best", c->vbest, c->P, err)) ||
                (st = fit_ckpt_get1(ck, "valid.best_sigma", &c->vbest_sigma, err)))
                goto fail;
            c->vbest_loss = vb;
        }
    }
    if ((st = mtp_potential_set_scaling(c->pot, sigma, err)) || (st = fit_set_theta(c, c->theta, err))) goto fail;
    c->n_eval = (long)ctr[0], c->n_grad = (long)ctr[1], c->t_eval = ctr[2];
    c->t0 -= ctr[3]; /* elapsed time of the earlier starts counts */
    run->resume = ck;
    return MTP_OK;
fail:
    fit_ckpt_free(ck);
    return st;
}

mtp_status fit_state_bfgs(const fit_run *run, fit_bfgs_state *b, mtp_error *err)
{
    const fit_ckpt *ck = run->resume;
    double sc[4], it[2];
    mtp_status st;
    if ((st = fit_ckpt_get(ck, "bfgs.H", b->H, (long)b->D * b->D, err)) ||
        (st = fit_ckpt_get(ck, "bfgs.g", b->g, b->D, err)) ||
        (st = fit_ckpt_get(ck, "bfgs.L_Lref_havev_freshH", sc, 4, err)) ||
        (st = fit_ckpt_get(ck, "bfgs.steps_stalls", it, 2, err)) ||
        (st = fit_ckpt_get(ck, "bfgs.stats", &b->stt.e2, 6, err)) ||
        (st = fit_ckpt_get(ck, "bfgs.valid_stats", &b->vst.e2, 6, err)))
        return st;
    b->L = sc[0], b->Lref = sc[1], b->have_v = (int)sc[2], b->fresh_H = (int)sc[3];
    b->steps = (int)it[0], b->stalls = (int)it[1];
    double vs;
    if ((st = fit_ckpt_get1(ck, "valid.best_step", &vs, err))) return st;
    b->vbest_step = (int)vs;
    return MTP_OK;
}
