/* SPDX-License-Identifier: BSD-3-Clause */
/* mtp prune: cost-aware pruning of a trained potential's basis (fitter/prune.h). */
#include "cli.h"

#include "fit.h"
#include "prune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char HELP_PRUNE[] =
    "mtp prune POT.almtp TRAIN.cfg OUT.almtp [--valid_cfgs=V.cfg]\n"
    "          (--max_loss_increase=X | --target_speedup=S | --remove=N) [options]\n"
    "  Removes the scalar basis functions (alpha_moment_mapping entries) of a\n"
    "  trained potential whose removal costs least training loss per unit of\n"
    "  evaluation cost saved, together with the moments, moment products, basic\n"
    "  moments and radial functions nothing needs any more, refits the species\n"
    "  and moment coefficients on TRAIN.cfg (radial coefficients fixed; exact\n"
    "  least squares) and writes OUT.almtp (an MLIP-3 file).  Greedy backward\n"
    "  elimination: each step removes the single function, or the group of\n"
    "  functions sharing a moment or radial function, with the least loss\n"
    "  increase per model cost saved; loss increases come exactly from the\n"
    "  normal equations of the training loss (no refits while searching).\n"
    "  Stop rule (at least one):\n"
    "  --max_loss_increase=X      keep the training loss <= (1 + X) x that of POT\n"
    "                             (X = 0.05: at most 5 % worse); may be combined\n"
    "                             with one of the two below as a bound\n"
    "  --target_speedup=S         stop once the cost model is S times cheaper (S >= 1)\n"
    "  --remove=N                 remove N functions (0 <= N < alpha_scalar_moments;\n"
    "                             0 writes POT unchanged, active-learning section included)\n"
    "  --table=FILE               also write the trade-off table to FILE\n"
    "  --rows=6                   table rows along the path (first and last included)\n"
    "  --timing_repeats=4         kernel timing: CPU time of mtp_compute (energy,\n"
    "                             forces, virial) over TRAIN.cfg, best of this many\n"
    "                             passes after a warm-up, interleaved with POT measured in the same run\n"
    "  --max_group=64             largest group removed in one step\n"
    "  --al_mode=cfg|nbh|none     POT's active-learning section is invalid after\n"
    "                             pruning: it is recomputed over TRAIN.cfg in POT's\n"
    "                             mode (default), in the mode given, or dropped (none);\n"
    "                             as in `mtp train`, with a fresh A^-1 at the end\n"
    "  --energy_weight=1 --force_weight=0.01 --stress_weight=0.001\n"
    "  --weight_scaling=1 --weight_scaling_forces=0\n"
    "                             the training objective (as mtp train; use the\n"
    "                             weights POT was trained with)\n"
    "  Table columns: step, functions removed (total), basis size, basic moments,\n"
    "  products, radial functions, model cost (multiply-adds per atom:\n"
    "  n_nbh (5 basic + 2 R radial + monomials) + 3 products), training loss\n"
    "  predicted by the normal equations and evaluated on the written potential,\n"
    "  train (and valid) MAE of energy (meV/atom), forces (eV/A), stress (GPa),\n"
    "  kernel us/atom of the pruned and of POT, measured and model speed-up.\n";

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct row_errors {
    double e_mae, f_mae, s_mae; /* meV/atom, eV/A, GPa (component-wise, as check_errors) */
} row_errors;

/* Energy, forces and virial of every configuration: errors, and the mean
 * neighbour count per atom (nbh, may be NULL). */
static int evaluate(const char *cmd, const char *name, const mtp_potential *pot, const mtp_cfg *cfgs, int n,
                    row_errors *re, double *nbh)
{
    mtp_calculator *calc = NULL;
    mtp_error err;
    if (mtp_calculator_create(pot, &calc, &err)) {
        cli_report(cmd, &err);
        return -1;
    }
    efs_errors e;
    efs_errors_init(&e);
    double *F = NULL, pairs = 0, atoms = 0;
    long cap = 0;
    int rc = 0;
    for (int k = 0; k < n && !rc; k++) {
        if (3L * cfgs[k].n_atoms > cap) {
            cap = 3L * cfgs[k].n_atoms;
            free(F);
            F = malloc((size_t)cap * sizeof(double));
        }
        double E, W[6];
        if (mtp_compute(calc, &cfgs[k], &E, F, W, NULL, NULL, &err)) {
            cli_report(cmd, &err);
            rc = -1;
        } else if (cli_check_finite(cmd, name, k, E, F, cfgs[k].n_atoms, W)) {
            rc = -1;
        } else {
            efs_errors_add(&e, &cfgs[k], E, F, W);
            pairs += (double)mtp_calculator_stats(calc).n_pairs;
            atoms += cfgs[k].n_atoms;
        }
    }
    free(F);
    mtp_calculator_destroy(calc);
    const err_acc *ea = &e.energy_per_atom, *fa = &e.forces, *sa = &e.virial_gpa;
    re->e_mae = ea->comp_n ? 1e3 * ea->comp_sum / ea->comp_n : NAN;
    re->f_mae = fa->comp_n ? fa->comp_sum / fa->comp_n : NAN;
    re->s_mae = sa->comp_n ? sa->comp_sum / sa->comp_n : NAN;
    if (nbh) *nbh = atoms > 0 ? pairs / atoms : 0;
    return rc;
}

/* CPU seconds of one mtp_compute pass (E, F, W) over the configurations. */
static int time_pass(const char *cmd, mtp_calculator *calc, const mtp_cfg *cfgs, int n, double *F, double *sec)
{
    mtp_error err;
    double t0 = cpu_seconds();
    for (int k = 0; k < n; k++) {
        double E, W[6];
        if (mtp_compute(calc, &cfgs[k], &E, F, W, NULL, NULL, &err)) {
            cli_report(cmd, &err);
            return -1;
        }
    }
    *sec = cpu_seconds() - t0;
    return 0;
}

/* Kernel time per atom of `pot` and of the baseline, passes interleaved
 * (baseline, pruned, baseline, ...), best pass of each. */
static int time_kernel(const char *cmd, const mtp_potential *base, const mtp_potential *pot, const mtp_cfg *cfgs,
                       int n, int reps, double *us_base, double *us_pot)
{
    mtp_calculator *cb = NULL, *cp = NULL;
    mtp_error err;
    long atoms = 0, maxn = 1;
    for (int k = 0; k < n; k++) {
        atoms += cfgs[k].n_atoms;
        if (cfgs[k].n_atoms > maxn) maxn = cfgs[k].n_atoms;
    }
    double *F = malloc((size_t)maxn * 3 * sizeof(double));
    int rc = 0;
    if (!F || mtp_calculator_create(base, &cb, &err) || mtp_calculator_create(pot, &cp, &err)) {
        cli_report(cmd, &err);
        rc = -1;
    }
    /* a warm-up pass of each, then pairs in alternating order (base first,
     * then pruned first), so drifts of the machine's load hit both alike */
    double bb = INFINITY, bp = INFINITY, tb, tp;
    if (!rc && (time_pass(cmd, cb, cfgs, n, F, &tb) || time_pass(cmd, cp, cfgs, n, F, &tp))) rc = -1;
    for (int r = 0; r < reps && !rc; r++) {
        if (r % 2 == 0 ? time_pass(cmd, cb, cfgs, n, F, &tb) || time_pass(cmd, cp, cfgs, n, F, &tp)
                       : time_pass(cmd, cp, cfgs, n, F, &tp) || time_pass(cmd, cb, cfgs, n, F, &tb))
            rc = -1;
        else bb = fmin(bb, tb), bp = fmin(bp, tp);
    }
    mtp_calculator_destroy(cb);
    mtp_calculator_destroy(cp);
    free(F);
    *us_base = 1e6 * bb / (atoms > 0 ? atoms : 1);
    *us_pot = 1e6 * bp / (atoms > 0 ? atoms : 1);
    return rc;
}

/* The potential after `steps` steps: pruned basis, refitted coefficients
 * (step 0: POT's own coefficients).  *loss_pred: the quadratic model's loss. */
static int build_step(const char *cmd, const mtp_potential *pot, const prune_path *path, int steps, const double *G,
                      const double *b, double c0, mtp_potential **out, double *loss_pred)
{
    const int A = path->A, S = mtp_potential_species_count(pot), nl = S + A;
    unsigned char *keep = malloc((size_t)nl);
    double *x = malloc((size_t)nl * sizeof(double)), *theta = NULL;
    mtp_error err;
    int rc = -1;
    *out = NULL;
    if (!keep || !x) goto done;
    memset(keep, 1, (size_t)S);
    prune_path_keep(path, steps, keep + S);
    if (steps == 0) { /* the input itself, active-learning section included */
        if (mtp_potential_copy(pot, out, &err)) goto fail;
        *loss_pred = path->loss[0];
        rc = 0;
        goto done;
    }
    if (mtp_potential_prune(pot, keep + S, out, &err)) goto fail;
    if (prune_refit(nl, G, b, c0, keep, x, loss_pred, &err)) goto fail;
    int P = mtp_potential_param_count(*out), nr = P - S - (A - path->step_end[steps]);
    theta = malloc((size_t)P * sizeof(double));
    if (!theta || mtp_potential_get_params(*out, theta, &err)) goto fail;
    for (int s = 0; s < S; s++) theta[nr + s] = x[s];
    for (int k = 0, u = 0; k < A; k++)
        if (keep[S + k]) theta[nr + S + u++] = x[S + k];
    if (mtp_potential_set_params(*out, theta, &err)) goto fail;
    rc = 0;
    goto done;
fail:
    cli_report(cmd, &err);
    mtp_potential_destroy(*out);
    *out = NULL;
done:
    free(keep), free(x), free(theta);
    return rc;
}

typedef struct table_row {
    int step, removed;
    prune_cost cost;
    double loss_pred, loss_eval;
    row_errors tr, va;
    double us, us_base;
} table_row;

static void print_table(FILE *fp, const table_row *rows, int n, int have_valid, double cost0, const char *pot_name)
{
    fprintf(fp, "# mtp prune %s: accuracy against evaluation cost (step 0 = the input potential)\n", pot_name);
    fprintf(fp, "# loss: training loss (data term of the objective); pred = normal equations, eval = written file\n");
    fprintf(fp, "# MAE: energy meV/atom, forces eV/A, stress GPa; us/atom: mtp_compute CPU time (E, F, W), best pass,\n"
                "#   interleaved with the input potential (base) in the same run; model: multiply-adds per atom\n");
    fprintf(fp, "%-4s %7s %5s %5s %8s %4s %10s %13s %13s %9s %8s %8s", "step", "removed", "basis", "basic", "products",
            "rad", "model", "loss_pred", "loss_eval", "trE_MAE", "trF_MAE", "trS_MAE");
    if (have_valid) fprintf(fp, " %9s %8s %8s", "vaE_MAE", "vaF_MAE", "vaS_MAE");
    fprintf(fp, " %9s %9s %8s %8s\n", "us/atom", "base_us", "speedup", "model_x");
    for (int r = 0; r < n; r++) {
        const table_row *t = &rows[r];
        fprintf(fp, "%-4d %7d %5d %5d %8d %4d %10.0f %13.6e %13.6e %9.4f %8.5f %8.4f", t->step, t->removed,
                t->cost.scalars, t->cost.basic, t->cost.products, t->cost.radial_funcs, t->cost.model, t->loss_pred,
                t->loss_eval, t->tr.e_mae, t->tr.f_mae, t->tr.s_mae);
        if (have_valid) fprintf(fp, " %9.4f %8.5f %8.4f", t->va.e_mae, t->va.f_mae, t->va.s_mae);
        fprintf(fp, " %9.3f %9.3f %8.3f %8.3f\n", t->us, t->us_base, t->us_base / t->us, cost0 / t->cost.model);
    }
}

int cmd_prune(const char *cmd, cli_args *a)
{
    if (a->n_pos != 3) {
        fprintf(stderr, "usage: %s", HELP_PRUNE);
        return 2;
    }
    fit_options o;
    fit_options_default(&o);
    prune_options po;
    prune_options_default(&po);
    int n_rows = 6, reps = 4;
    const char *valid_path = cli_opt(a, "valid_cfgs|valid-cfgs"), *table_path = cli_opt(a, "table");
    const char *al_mode = cli_opt(a, "al_mode");
    int has_remove = cli_opt(a, "remove") != NULL, has_loss = cli_opt(a, "max_loss_increase") != NULL;
    int has_speed = cli_opt(a, "target_speedup") != NULL;
    if (cli_opt_double(a, "energy_weight|energy-weight", 1.0, &o.energy_weight) ||
        cli_opt_double(a, "force_weight|force-weight", 0.01, &o.force_weight) ||
        cli_opt_double(a, "stress_weight|stress-weight", 0.001, &o.stress_weight) ||
        cli_opt_double(a, "weight_scaling", 1.0, &o.weight_scaling) ||
        cli_opt_double(a, "weight_scaling_forces", 0.0, &o.weight_scaling_forces) ||
        cli_opt_int(a, "remove", -1, &po.remove) ||
        cli_opt_double(a, "max_loss_increase", -1, &po.max_loss_increase) ||
        cli_opt_double(a, "target_speedup", 0, &po.target_speedup) || cli_opt_int(a, "max_group", 64, &po.max_group) ||
        cli_opt_int(a, "rows", 6, &n_rows) || cli_opt_int(a, "timing_repeats", 4, &reps))
        return 2;
    if (!has_remove && !has_loss && !has_speed) {
        fprintf(stderr, "mtp %s: give a stop rule: --max_loss_increase=X, --target_speedup=S or --remove=N\n", cmd);
        return 2;
    }
    if (has_remove && has_speed) {
        fprintf(stderr, "mtp %s: --remove and --target_speedup are alternatives; give one (with "
                        "--max_loss_increase as a bound if wanted)\n", cmd);
        return 2;
    }
    if (has_remove && po.remove < 0) {
        fprintf(stderr, "mtp %s: --remove=%d: expected a count >= 0\n", cmd, po.remove);
        return 2;
    }
    if (has_loss && !(po.max_loss_increase >= 0 && isfinite(po.max_loss_increase))) {
        fprintf(stderr, "mtp %s: --max_loss_increase=%g: expected a finite fraction >= 0 (0.05 = 5 %%)\n", cmd,
                po.max_loss_increase);
        return 2;
    }
    if (has_speed && !(po.target_speedup >= 1 && isfinite(po.target_speedup))) {
        fprintf(stderr, "mtp %s: --target_speedup=%g: expected a finite factor >= 1\n", cmd, po.target_speedup);
        return 2;
    }
    if (po.max_group < 1 || n_rows < 2 || reps < 1) {
        fprintf(stderr, "mtp %s: expected --max_group >= 1, --rows >= 2 and --timing_repeats >= 1\n", cmd);
        return 2;
    }
    if (al_mode && strcmp(al_mode, "cfg") && strcmp(al_mode, "nbh") && strcmp(al_mode, "none")) {
        fprintf(stderr, "mtp %s: --al_mode must be cfg, nbh or none\n", cmd);
        return 2;
    }
    mtp_error err;
    memset(&err, 0, sizeof err);
    if (fit_check_options(&o, &err)) {
        fprintf(stderr, "mtp %s: %s\n", cmd, err.message);
        return 2;
    }
    mtp_read_options ropt;
    mtp_format fmt;
    char **tm = NULL;
    if (cli_read_options(a, &ropt, &fmt, &tm)) return 2;
    if (cli_check_unused(a, cmd)) return 2;

    mtp_potential *pot = NULL, *work = NULL, *out_pot = NULL;
    mtp_cfg *train = NULL, *valid = NULL;
    int nt = 0, nv = 0, rc = 1, nrow = 0;
    double *G = NULL, *b = NULL, *theta = NULL;
    prune_basis pb = {0};
    prune_path path = {0};
    table_row *rows = NULL;
    if (mtp_potential_read(a->pos[0], &pot, &err)) goto report;
    mtp_potential_info info = mtp_potential_get_info(pot);
    if (!info.trained) {
        fprintf(stderr, "mtp %s: %s: the potential is not trained (nothing to prune)\n", cmd, a->pos[0]);
        goto out;
    }
    if (has_remove && po.remove >= info.scalar_count) {
        fprintf(stderr, "mtp %s: --remove=%d: %s has %d scalar basis functions; at least one must stay\n", cmd,
                po.remove, a->pos[0], info.scalar_count);
        goto out;
    }
    if (mtp_read_cfgs(a->pos[1], fmt, &ropt, &train, &nt, &err) ||
        (valid_path && mtp_read_cfgs(valid_path, fmt, &ropt, &valid, &nv, &err)))
        goto report;
    if (nt == 0) {
        fprintf(stderr, "mtp %s: %s: no training configurations (empty input)\n", cmd, a->pos[1]);
        goto out;
    }
    if (fit_adopt_species(pot, train, nt, valid, nv, NULL, &err) ||
        fit_check_data(train, nt, a->pos[1], &o, 1, &err) ||
        (valid && fit_check_data(valid, nv, valid_path, &o, 0, &err)) ||
        fit_check_species(pot, train, nt, a->pos[1], &err) ||
        (valid && fit_check_species(pot, valid, nv, valid_path, &err)))
        goto report;

    /* the quadratic of the training loss in the linear coefficients */
    const int S = info.species_count, A = info.scalar_count, nl = S + A, P = info.param_count;
    double L0 = 0, nbh = 0;
    G = malloc((size_t)nl * nl * sizeof(double)), b = malloc((size_t)nl * sizeof(double));
    theta = malloc((size_t)P * sizeof(double));
    rows = calloc((size_t)n_rows, sizeof *rows);
    if (!G || !b || !theta || !rows) {
        fprintf(stderr, "mtp %s: out of memory\n", cmd);
        goto out;
    }
    double t_normal = cpu_seconds();
    if (mtp_potential_copy(pot, &work, &err) || fit_normal_equations(work, train, nt, &o, G, b, &err) ||
        fit_loss(work, train, nt, &o, &L0, NULL, &err) || mtp_potential_get_params(pot, theta, &err))
        goto report;
    t_normal = cpu_seconds() - t_normal;
    const double *x0 = theta + (P - nl);
    double c0 = L0 - prune_quadratic_loss(nl, G, b, 0, x0);
    row_errors base_tr, base_va = {NAN, NAN, NAN};
    if (evaluate(cmd, a->pos[1], pot, train, nt, &base_tr, &nbh) ||
        (valid && evaluate(cmd, valid_path, pot, valid, nv, &base_va, NULL)))
        goto out;
    double t_select = cpu_seconds();
    if (prune_basis_init(&pb, pot, nbh, &err) || prune_select(&pb, G, b, c0, L0, &po, &path, &err)) goto report;
    t_select = cpu_seconds() - t_select;
    printf("# %s: %d scalar basis functions, %d basic moments, %d products, %d radial functions; %.1f neighbours "
           "per atom in %s; training loss %.6e\n",
           a->pos[0], A, info.basic_count, info.times_count, info.radial_funcs_count, nbh, a->pos[1], L0);
    printf("# greedy path: %d steps, %d functions removed (CPU: normal equations and loss %.1f s, search %.1f s)\n",
           path.n_steps, path.step_end[path.n_steps], t_normal, t_select);

    /* table rows: step 0, the last step and evenly spaced removal counts */
    int last = path.n_steps, prev = -1;
    for (int r = 0; r < n_rows; r++) {
        int target = (int)((long)path.step_end[last] * r / (n_rows - 1)), s = 0;
        while (s < last && path.step_end[s] < target) s++;
        if (r == n_rows - 1) s = last;
        if (s == prev) continue;
        prev = s;
        table_row *t = &rows[nrow];
        mtp_potential *ps = NULL;
        if (build_step(cmd, pot, &path, s, G, b, c0, &ps, &t->loss_pred)) goto out;
        t->step = s, t->removed = path.step_end[s], t->cost = path.cost[s];
        t->va = base_va;
        if (s == 0) t->tr = base_tr;
        if ((s > 0 && evaluate(cmd, a->pos[1], ps, train, nt, &t->tr, NULL)) ||
            (s > 0 && valid && evaluate(cmd, valid_path, ps, valid, nv, &t->va, NULL)) ||
            fit_loss(ps, train, nt, &o, &t->loss_eval, NULL, &err) ||
            time_kernel(cmd, pot, ps, train, nt, reps, &t->us_base, &t->us)) {
            if (err.message[0]) cli_report(cmd, &err);
            mtp_potential_destroy(ps);
            goto out;
        }
        nrow++;
        if (s == last) out_pot = ps;
        else mtp_potential_destroy(ps);
    }
    print_table(stdout, rows, nrow, valid != NULL, path.cost[0].model, a->pos[0]);
    if (table_path) {
        mtp_output_file *of = NULL;
        FILE *fp = NULL;
        if (mtp_output_open(table_path, &of, &fp, &err)) goto report;
        print_table(fp, rows, nrow, valid != NULL, path.cost[0].model, a->pos[0]);
        if (mtp_output_commit(of, &err)) goto report;
    }

    if (has_speed && path.cost[last].model * po.target_speedup > path.cost[0].model)
        printf("# --target_speedup=%g not reached: the path stops at %.3f x (model)%s\n", po.target_speedup,
               path.cost[0].model / path.cost[last].model, has_loss ? " within the loss bound" : "");
    /* the active-learning section describes the old parameters (step 0: unchanged) */
    if (last > 0 && (info.has_al_state || (al_mode && strcmp(al_mode, "none")))) {
        mtp_grade_mode mode = MTP_GRADE_CONFIGURATION;
        if (al_mode && !strcmp(al_mode, "nbh")) mode = MTP_GRADE_NEIGHBORHOOD;
        else if (!al_mode) {
            mtp_grader *g0;
            if (mtp_grader_create(pot, &g0, NULL) == MTP_OK) {
                mode = mtp_grader_mode(g0);
                mtp_grader_destroy(g0);
            }
        }
        if (al_mode && !strcmp(al_mode, "none")) {
            printf("# active-learning section of %s dropped (--al_mode=none)\n", a->pos[0]);
        } else {
            mtp_active_set_options aso = {mode, 0, 0, -1, 1}; /* fresh_inverse: as mtp train */
            int nsel = 0;
            if (mtp_active_set_select(out_pot, train, nt, &aso, &nsel, &err)) goto report;
            printf("# active set recomputed over %s (%s mode): %d configurations selected\n", a->pos[1],
                   mode == MTP_GRADE_NEIGHBORHOOD ? "nbh" : "cfg", nsel);
        }
    }
    if (mtp_potential_write(out_pot, a->pos[2], &err)) goto report;
    printf("# pruned potential (step %d, %d of %d functions removed) written to %s\n", last, path.step_end[last], A,
           a->pos[2]);
    rc = 0;
    goto out;
report:
    cli_report(cmd, &err);
out:
    for (int k = 0; k < nt; k++) mtp_cfg_free(&train[k]);
    for (int k = 0; k < nv; k++) mtp_cfg_free(&valid[k]);
    free(train), free(valid), free(G), free(b), free(theta), free(rows);
    prune_basis_free(&pb);
    prune_path_free(&path);
    mtp_potential_destroy(pot);
    mtp_potential_destroy(work);
    mtp_potential_destroy(out_pot);
    cli_free_type_map(tm, ropt.type_map_count);
    return rc;
}
