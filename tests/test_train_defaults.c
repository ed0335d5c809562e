/* SPDX-License-Identifier: BSD-3-Clause */
/* Default weights and validation stopping of the trainer (issue 11 item 1):
 *   1. the rule of fit_weights.c on a slice of mlearn Si: wf = 0.01/<F^2>,
 *      we = 100 wf, ws = 0.1 wf, final energy weight 500 wf; all targets
 *      times 3 divide the weights by 9; every configuration twice leaves
 *      them unchanged;
 *   2. the same data in another energy unit (targets times 2) gives the same
 *      fitted potential up to the unit: radial coefficients equal, linear
 *      ones (species and moment coefficients) times 2;
 *   3. validation stopping (the rule's first-stage weights given
 *      explicitly; a validation set whose forces are reversed, so
 *      its loss rises as training fits the forces) stops after
 *      valid_patience iterations without improvement and ends with the
 *      parameters of the best validation loss seen;
 *   4. a run with validation stopping stopped cleanly and resumed from its
 *      checkpoint ends bit-identical to the uninterrupted run;
 *   5. explicit MLIP-3 weights (default_weights 0) are not touched;
 *   6. the rule's second stage: the default-weight run equals the run with
 *      its first-stage weights given explicitly in the radial coefficients,
 *      and has the lower loss under the final energy weight (the higher
 *      under the first-stage one): only the linear solve differs;
 *   7. with validation stopping as well: the radial coefficients are the
 *      best-validation ones, the linear ones solved again;
 *   8. training on from a trained potential never ends with a higher
 *      final-weight loss than the potential given.
 * Usage: test_train_defaults MTP SHARED_DATA WORKDIR */
#include <openmtp/openmtp.h>
#include <openmtp/openmtp_train.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fit_internal.h"
#include "testutil.h"

typedef struct seen {
    int stop_at, last_iteration, vstop_note, vkept_note;
    int nv;
    double vloss[4096];
} seen;

static int on_progress(void *user, const mtp_train_progress *p)
{
    seen *s = user;
    s->last_iteration = p->iteration;
    if (getenv("TRAIN_DEFAULTS_TRACE")) fprintf(stderr, "iter %d loss %g valid %g\n", p->iteration, p->loss, p->valid_loss);
    if (p->has_valid && p->valid_iteration == p->iteration && s->nv < 4096) s->vloss[s->nv++] = p->valid_loss;
    return s->stop_at > 0 && p->iteration == s->stop_at;
}

static void on_message(void *user, int kind, const char *text)
{
    seen *s = user;
    if (strstr(text, "# validation stopping: no lower")) s->vstop_note = 1;
    if (strstr(text, "# validation stopping: kept")) s->vkept_note = 1;
}

static void on_message_final(void *user, int kind, const char *text)
{
    (void)kind;
    if (strstr(text, "# linear coefficients solved again with --energy_weight=")) *(int *)user += 1;
}

/* a against b: whether the radial coefficients are equal bit for bit, how
 * many of the n_lin linear ones (species and moment coefficients) differ */
static mtp_status compare_stages(const mtp_potential *a, const mtp_potential *b, int *rad_same, int *lin_diff,
                                 int *n_lin, mtp_error *err)
{
    mtp_potential_info info = mtp_potential_get_info(a);
    int P = info.param_count,
        nr = info.species_count * info.species_count * info.radial_funcs_count * info.radial_basis_size;
    double *ta = malloc(sizeof(double) * P), *tb = malloc(sizeof(double) * P);
    mtp_status st = mtp_potential_get_params(a, ta, err);
    if (!st) st = mtp_potential_get_params(b, tb, err);
    *rad_same = 1, *lin_diff = 0, *n_lin = P - nr;
    for (int i = 0; !st && i < P; i++) {
        if (i < nr && !(ta[i] == tb[i])) *rad_same = 0;
        if (i >= nr && !tu_close(ta[i], tb[i], 1e-9, 1e-12)) ++*lin_diff;
    }
    free(ta), free(tb);
    return st;
}

static int same_params(const mtp_potential *a, const mtp_potential *b)
{
    int n = mtp_potential_param_count(a);
    if (n != mtp_potential_param_count(b)) return 0;
    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
    mtp_error err;
    int same = !mtp_potential_get_params(a, x, &err) && !mtp_potential_get_params(b, y, &err) &&
               memcmp(x, y, sizeof(double) * n) == 0 &&
               mtp_potential_get_info(a).scaling == mtp_potential_get_info(b).scaling;
    free(x), free(y);
    return same;
}

/* deep copies of cfgs with all targets times f (forces of the copy negated if flip) */
static mtp_cfg *scaled_copy(const mtp_cfg *cfgs, int n, double f, int flip)
{
    mtp_cfg *out = malloc((size_t)n * sizeof *out);
    for (int k = 0; k < n; k++) {
        out[k] = cfgs[k];
        const int N = cfgs[k].n_atoms;
        out[k].energy *= f;
        for (int j = 0; j < 6; j++) out[k].stress[j] *= f;
        if (cfgs[k].forces) {
            out[k].forces = malloc(sizeof(double) * 3 * N);
            for (int x = 0; x < 3 * N; x++) out[k].forces[x] = (flip ? -f : f) * cfgs[k].forces[x];
        }
    }
    return out;
}

static void free_copy(mtp_cfg *c, int n)
{
    for (int k = 0; k < n; k++) free(c[k].forces);
    free(c);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s MTP SHARED_DATA WORKDIR\n", argv[0]);
        return 2;
    }
    const char *mtp = argv[1], *data = argv[2], *work = argv[3];
    char init[4096], ckpt[4096];
    mtp_error err;
    mtp_cfg *all, *sl;
    int n, ns;
    if (tu_mlearn_si_slice(data, work, &all, &n, &sl, &ns)) return 77; /* 18 configurations */
    snprintf(init, sizeof init, "%s/init.almtp", work);
    snprintf(ckpt, sizeof ckpt, "%s/vstop.checkpoint", work);
    CHECK(tu_run("%s init --level 8 --species 0 --cutoff 5.0 -o %s > /dev/null", mtp, init) == 0, "mtp init");

    /* 1. the rule */
    {
        double f2 = 0, nf = 0;
        for (int k = 0; k < ns; k++)
            for (int x = 0; x < 3 * sl[k].n_atoms; x++) f2 += sl[k].forces[x] * sl[k].forces[x], nf++;
        fit_options a, b, c;
        fit_options_default(&a);
        fit_options_default(&b);
        fit_options_default(&c);
        fit_default_weights(sl, ns, &a);
        CHECK(tu_close(a.force_weight, 0.01 / (f2 / nf), 1e-12, 0), "force weight %g", a.force_weight);
        CHECK(tu_close(a.energy_weight, 100 * a.force_weight, 1e-12, 0), "energy weight %g", a.energy_weight);
        CHECK(tu_close(a.final_energy_weight, 500 * a.force_weight, 1e-12, 0), "final energy weight %g",
              a.final_energy_weight);
        CHECK(tu_close(a.stress_weight, 0.1 * a.force_weight, 1e-12, 0), "stress weight %g", a.stress_weight);
        CHECK(a.weight_scaling == 1 && a.weight_scaling_forces == 0, "weight scalings");
        mtp_cfg *x3 = scaled_copy(sl, ns, 3, 0);
        fit_default_weights(x3, ns, &b);
        CHECK(tu_close(b.force_weight * 9, a.force_weight, 1e-12, 0) &&
                  tu_close(b.energy_weight * 9, a.energy_weight, 1e-12, 0) &&
                  tu_close(b.final_energy_weight * 9, a.final_energy_weight, 1e-12, 0) &&
                  tu_close(b.stress_weight * 9, a.stress_weight, 1e-12, 0),
              "targets x3: weights / 9 (%g %g)", b.force_weight, a.force_weight);
        free_copy(x3, ns);
        mtp_cfg *twice = malloc(2 * (size_t)ns * sizeof *twice);
        for (int k = 0; k < ns; k++) twice[k] = twice[ns + k] = sl[k];
        fit_default_weights(twice, 2 * ns, &c);
        CHECK(tu_close(c.force_weight, a.force_weight, 1e-12, 0) && tu_close(c.energy_weight, a.energy_weight, 1e-12, 0),
              "duplicated configurations: the same weights");
        free(twice);
        printf("rule: energy %.6g force %.6g stress %.6g\n", a.energy_weight, a.force_weight, a.stress_weight);
    }

    /* 2. another energy unit: the same potential up to the unit */
    {
        mtp_train_options o;
        mtp_train_options_default(&o);
        o.iteration_limit = 5, o.seed = 2, o.init_random = 1;
        mtp_potential *p1 = NULL, *p2 = NULL;
        mtp_cfg *x2 = scaled_copy(sl, ns, 2, 0);
        CHECK_OK(mtp_potential_read(init, &p1, &err), err);
        CHECK_OK(mtp_train(p1, sl, ns, NULL, 0, &o, NULL, &err), err);
        CHECK_OK(mtp_potential_read(init, &p2, &err), err);
        CHECK_OK(mtp_train(p2, x2, ns, NULL, 0, &o, NULL, &err), err);
        mtp_potential_info i1 = mtp_potential_get_info(p1);
        int P = i1.param_count, nr = i1.species_count * i1.species_count * i1.radial_funcs_count * i1.radial_basis_size;
        double *t1 = malloc(sizeof(double) * P), *t2 = malloc(sizeof(double) * P);
        CHECK_OK(mtp_potential_get_params(p1, t1, &err), err);
        CHECK_OK(mtp_potential_get_params(p2, t2, &err), err);
        int bad = 0;
        double worst = 0;
        for (int i = 0; i < P; i++) {
            double want = i < nr ? t1[i] : 2 * t1[i];
            double d = fabs(t2[i] - want) / fmax(fabs(want), 1e-300);
            if (!(d <= 1e-3)) bad++;
            if (d > worst) worst = d;
        }
        CHECK(bad == 0, "targets x2: %d of %d parameters differ from the unit-scaled ones (worst rel %.3g)", bad, P,
              worst);
        CHECK(tu_close(mtp_potential_get_info(p2).scaling, i1.scaling, 1e-9, 0), "scaling");
        printf("units: %d parameters, worst relative difference %.3g\n", P, worst);
        free(t1), free(t2), free_copy(x2, ns);
        mtp_potential_destroy(p1), mtp_potential_destroy(p2);
    }

    /* 3. validation stopping keeps the best-validation parameters (the
     * rule's first-stage weights given explicitly: derived weights would
     * solve the linear coefficients again at the end, by design) */
    fit_options rule;
    fit_options_default(&rule);
    fit_default_weights(sl, ns, &rule);
    mtp_cfg *rev = scaled_copy(sl, ns, 1, 1);
    mtp_train_options ov;
    mtp_train_options_default(&ov);
    ov.iteration_limit = 40, ov.valid_every = 1, ov.valid_patience = 4;
    ov.energy_weight = rule.energy_weight, ov.force_weight = rule.force_weight, ov.stress_weight = rule.stress_weight;
    ov.weight_scaling = 1, ov.weight_scaling_forces = 0;
    ov.progress = on_progress, ov.message = on_message;
    {
        seen *s = calloc(1, sizeof *s);
        ov.user = s;
        mtp_potential *pot = NULL, *plain = NULL;
        mtp_train_result r;
        CHECK_OK(mtp_potential_read(init, &pot, &err), err);
        CHECK_OK(mtp_train(pot, sl, ns, rev, ns, &ov, &r, &err), err);
        CHECK(s->vstop_note && s->vkept_note, "the log says validation stopping stopped the run and what was kept");
        int imin = 0;
        for (int i = 1; i < s->nv; i++)
            if (s->vloss[i] < s->vloss[imin]) imin = i;
        CHECK(s->nv == imin + 1 + 4, "stopped %d checks after the best (check %d of %d)", s->nv - imin - 1, imin + 1,
              s->nv);
        CHECK(s->nv > 0 && s->vloss[s->nv - 1] > s->vloss[imin], "the validation loss rose");
        fit_options fo = rule;
        double vl;
        CHECK_OK(fit_loss(pot, rev, ns, &fo, &vl, NULL, &err), err);
        CHECK(tu_close(vl, s->vloss[imin], 1e-10, 0), "the potential has the best validation loss (%.10g vs %.10g)",
              vl, s->vloss[imin]);
        /* without a validation set: the same run trains on (here it goes further) */
        mtp_train_options op = ov;
        seen *s2 = calloc(1, sizeof *s2);
        op.user = s2;
        CHECK_OK(mtp_potential_read(init, &plain, &err), err);
        CHECK_OK(mtp_train(plain, sl, ns, NULL, 0, &op, NULL, &err), err);
        CHECK(!s2->vstop_note && s2->last_iteration > s->last_iteration, "no validation set: no validation stopping");
        printf("validation stopping: best check %d, stopped at %d (iteration %d; without validation %d), loss %.6g\n",
               imin + 1, s->nv, s->last_iteration, s2->last_iteration, vl);
        free(s), free(s2);
        mtp_potential_destroy(pot), mtp_potential_destroy(plain);
    }

    /* 4. stop + resume with validation stopping: bit-identical */
    {
        seen *s = calloc(1, sizeof *s);
        ov.user = s;
        mtp_potential *full = NULL, *part = NULL, *resumed = NULL;
        CHECK_OK(mtp_potential_read(init, &full, &err), err);
        CHECK_OK(mtp_train(full, sl, ns, rev, ns, &ov, NULL, &err), err);
        int full_steps = s->last_iteration;
        unlink(ckpt);
        mtp_train_options oc = ov;
        oc.checkpoint_path = ckpt, oc.checkpoint_interval = 1e9;
        memset(s, 0, sizeof *s);
        s->stop_at = full_steps > 3 ? full_steps - 2 : 1;
        mtp_train_result rp;
        CHECK_OK(mtp_potential_read(init, &part, &err), err);
        CHECK_OK(mtp_train(part, sl, ns, rev, ns, &oc, &rp, &err), err);
        CHECK(rp.stopped && tu_exists(ckpt), "stopped with a checkpoint at %d of %d", s->stop_at, full_steps);
        memset(s, 0, sizeof *s);
        oc.resume = 1;
        CHECK_OK(mtp_potential_read(init, &resumed, &err), err);
        CHECK_OK(mtp_train(resumed, sl, ns, rev, ns, &oc, NULL, &err), err);
        CHECK(s->vkept_note, "the resumed run keeps the best validation parameters");
        CHECK(same_params(full, resumed), "resumed run == uninterrupted run (bit for bit)");
        printf("resume: stopped at %d of %d iterations, resumed to the same parameters\n", full_steps - 2, full_steps);
        free(s);
        mtp_potential_destroy(full), mtp_potential_destroy(part), mtp_potential_destroy(resumed);
    }

    /* 6. the second stage of the rule: only the linear solve differs */
    {
        mtp_train_options od;
        mtp_train_options_default(&od);
        od.iteration_limit = 5, od.seed = 2, od.init_random = 1;
        od.message = on_message_final;
        int noted = 0;
        od.user = &noted;
        mtp_train_options oe = od;
        oe.energy_weight = rule.energy_weight, oe.force_weight = rule.force_weight, oe.stress_weight = rule.stress_weight;
        oe.weight_scaling = 1, oe.weight_scaling_forces = 0;
        mtp_potential *pd = NULL, *pe = NULL;
        CHECK_OK(mtp_potential_read(init, &pd, &err), err);
        CHECK_OK(mtp_train(pd, sl, ns, NULL, 0, &od, NULL, &err), err);
        CHECK(noted == 1, "the log notes the final linear solve");
        noted = 0;
        CHECK_OK(mtp_potential_read(init, &pe, &err), err);
        CHECK_OK(mtp_train(pe, sl, ns, NULL, 0, &oe, NULL, &err), err);
        CHECK(noted == 0, "explicit weights: no final linear solve");
        int rad_same, lin_diff, n_lin;
        CHECK_OK(compare_stages(pd, pe, &rad_same, &lin_diff, &n_lin, &err), err);
        CHECK(rad_same, "the radial coefficients are those of the first stage");
        CHECK(lin_diff > 0, "the linear coefficients were solved again");
        fit_options ff = rule;
        ff.energy_weight = rule.final_energy_weight;
        double Ld, Le, L1d, L1e;
        CHECK_OK(fit_loss(pd, sl, ns, &ff, &Ld, NULL, &err), err);
        CHECK_OK(fit_loss(pe, sl, ns, &ff, &Le, NULL, &err), err);
        CHECK_OK(fit_loss(pd, sl, ns, &rule, &L1d, NULL, &err), err);
        CHECK_OK(fit_loss(pe, sl, ns, &rule, &L1e, NULL, &err), err);
        CHECK(Ld < Le && L1e < L1d, "final-weight loss %.10g < %.10g, first-stage loss %.10g < %.10g", Ld, Le, L1e, L1d);
        printf("second stage: %d of %d linear coefficients changed; final-weight loss %.6g -> %.6g\n", lin_diff,
               n_lin, Le, Ld);
        mtp_potential_destroy(pd), mtp_potential_destroy(pe);
    }

    /* 7. default weights with validation stopping: the radial coefficients
     * are the best-validation ones (those of the same run with the
     * first-stage weights given explicitly), the linear ones solved again */
    {
        mtp_train_options od = ov, oe = ov;
        od.energy_weight = od.force_weight = od.stress_weight = NAN;
        od.weight_scaling = od.weight_scaling_forces = NAN;
        seen *sd = calloc(1, sizeof *sd), *se = calloc(1, sizeof *se);
        od.user = sd, oe.user = se;
        mtp_potential *pd = NULL, *pe = NULL;
        CHECK_OK(mtp_potential_read(init, &pd, &err), err);
        CHECK_OK(mtp_train(pd, sl, ns, rev, ns, &od, NULL, &err), err);
        CHECK_OK(mtp_potential_read(init, &pe, &err), err);
        CHECK_OK(mtp_train(pe, sl, ns, rev, ns, &oe, NULL, &err), err);
        CHECK(sd->vkept_note && se->vkept_note && sd->nv == se->nv, "both runs stop by validation at the same check");
        int rad_same, lin_diff, n_lin;
        CHECK_OK(compare_stages(pd, pe, &rad_same, &lin_diff, &n_lin, &err), err);
        CHECK(rad_same && lin_diff > 0, "validation stopping + default weights: radial kept (%d), %d linear re-solved",
              rad_same, lin_diff);
        free(sd), free(se);
        mtp_potential_destroy(pd), mtp_potential_destroy(pe);
    }

    /* 8. training on from a trained potential under the default rule never
     * ends with a higher final-weight loss than the potential given */
    {
        mtp_train_options od;
        mtp_train_options_default(&od);
        od.iteration_limit = 5, od.seed = 2, od.init_random = 1;
        char once[4096];
        snprintf(once, sizeof once, "%s/once.almtp", work);
        mtp_potential *p1 = NULL, *p2 = NULL;
        CHECK_OK(mtp_potential_read(init, &p1, &err), err);
        CHECK_OK(mtp_train(p1, sl, ns, NULL, 0, &od, NULL, &err), err);
        CHECK_OK(mtp_potential_write(p1, once, &err), err);
        double worst = -INFINITY, best_rel = INFINITY;
        for (int more = 1; more <= 3; more++) {
            od.iteration_limit = more;
            CHECK_OK(mtp_potential_read(once, &p2, &err), err);
            CHECK_OK(mtp_train(p2, sl, ns, NULL, 0, &od, NULL, &err), err);
            fit_options ff = rule;
            ff.energy_weight = rule.final_energy_weight;
            double L1, L2;
            CHECK_OK(fit_loss(p1, sl, ns, &ff, &L1, NULL, &err), err);
            CHECK_OK(fit_loss(p2, sl, ns, &ff, &L2, NULL, &err), err);
            CHECK(L2 <= L1 * (1 + 1e-12), "%d more steps: final-weight loss %.12g > the given potential's %.12g", more,
                  L2, L1);
            if (L2 / L1 - 1 > worst) worst = L2 / L1 - 1;
            if (L2 / L1 - 1 < best_rel) best_rel = L2 / L1 - 1;
            mtp_potential_destroy(p2);
            p2 = NULL;
        }
        /* (and the further training is used when it is better: kept back always, it would never be lower) */
        CHECK(best_rel < 0, "no further training was ever kept");
        printf("training on: final-weight loss relative to the given potential's at most %+.3g\n", worst);
        mtp_potential_destroy(p1);
    }
    free_copy(rev, ns);

    /* 5. explicit weights stay as given */
    {
        fit_options a;
        fit_options_default(&a);
        a.energy_weight = 7;
        CHECK(a.default_weights == 0 && a.valid_patience == 0, "the trainer's internal defaults are MLIP-3's");
        /* the public options: unset weights (derived) unless one is given, as `mtp train` */
        mtp_train_options p;
        mtp_train_options_default(&p);
        CHECK(isnan(p.energy_weight) && isnan(p.force_weight) && isnan(p.stress_weight) && isnan(p.weight_scaling) &&
                  isnan(p.weight_scaling_forces) && isnan(p.penalty_weight) && p.valid_patience == -1,
              "public defaults: weights unset, valid_patience automatic");
    }
    free(sl);
    for (int k = 0; k < n; k++) mtp_cfg_free(&all[k]);
    free(all);
    return tu_finish("train_defaults");
}
