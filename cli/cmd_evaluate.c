/* SPDX-License-Identifier: BSD-3-Clause */
/* calculate_efs and check_errors: evaluate a potential over a dataset,
 * one configuration at a time (datasets are streamed, never loaded whole). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double sqrt_mean(double sum2, long n) { return sqrt(sum2 / (double)n); }

const char HELP_CALCULATE_EFS[] =
    "mtp calculate_efs POT IN [--output_filename=OUT] [options]\n"
    "  Evaluates the potential POT (.mtp/.almtp) on every configuration of IN and\n"
    "  writes them with energies, forces and PlusStress (virial, eV) to OUT, plus\n"
    "  site energies when IN has a site_en column, and the feature\n"
    "  EFS_by=MultiMTP<A+1> as MLIP does.  The input file is never overwritten.\n"
    "  --output_filename=OUT   output file (default: IN with '.efs' before the\n"
    "                          extension, e.g. train.efs.cfg); -o OUT is the same\n"
    "  --output_format=F       cfg (default), bin, xyz, lammps_dump, ...\n"
    "  --input_format=F        format of IN (default: from content/name)\n"
    "  --type_order=Li,P,S     element of type 0,1,2,... for formats with element\n"
    "                          names (XYZ, OUTCAR, ...); default: atomic numbers\n"
    "  --absolute_types        use atomic numbers as types\n"
    "  --refuse_close_atoms    fail if atoms are closer than the potential's min_dist\n"
    "                          (default: evaluate, as MLIP does, and warn)\n";

const char HELP_CHECK_ERRORS[] =
    "mtp check_errors POT DB [--report_to=FILE] [--log=FILE|stdout] [--parity_to=FILE.png] [options]\n"
    "  Compares the potential's energies, forces and stresses with the reference\n"
    "  values in DB and prints MLIP's error report (maximal, average and RMS\n"
    "  absolute differences; per-atom force vectors; stresses as eV and GPa)\n"
    "  followed by component-wise MAE and RMSE (energy per atom in meV/atom,\n"
    "  forces in eV/A, stresses in GPa).\n"
    "  What `mtp train` would not fit is left out, and one last line says how\n"
    "  much: forces of atoms with force_weight 0 (AtomData column), energies and\n"
    "  stresses of configurations with EnergyWeight 0 / StressWeight 0 (also\n"
    "  ForceWeight 0, Weight 0), e.g. the cells of `mtp cut_extrapolative_nbh\n"
    "  --periodic`.\n"
    "  --report_to=FILE        also write the report to FILE\n"
    "  --log=FILE|stdout       one line of errors per configuration\n"
    "  --group_by=FEATURE      an extra report per value of a configuration feature\n"
    "                          (default: mlearn_group when present)\n"
    "  --parity_to=FILE.png    parity plots (energy per atom, force and stress\n"
    "                          components) and error histograms, drawn by\n"
    "                          `python3 -m openmtp.plot parity` (matplotlib) from the\n"
    "                          data file below; fails if the plot cannot be made\n"
    "                          (e.g. matplotlib missing); the MAE/RMSE shown are\n"
    "                          recomputed from the data file and equal the report's\n"
    "  --parity_data=FILE      every compared value (reference, predicted,\n"
    "                          difference) as a table (docs/formats.md); default\n"
    "                          with --parity_to: FILE.png's name with .tsv\n"
    "  --input_format=F, --type_order=..., --absolute_types   as in calculate_efs\n";

/* Context shared by both commands. */
typedef struct evaluator {
    const char *cmd;
    mtp_potential *pot;
    mtp_calculator *calc;
    double *F, *W, *site;
    int cap;
    long close_pairs;
} evaluator;

static int eval_open(evaluator *ev, const char *cmd, const char *pot_path)
{
    memset(ev, 0, sizeof *ev);
    ev->cmd = cmd;
    mtp_error err;
    if (mtp_potential_read(pot_path, &ev->pot, &err) || mtp_calculator_create(ev->pot, &ev->calc, &err)) {
        cli_report(cmd, &err);
        return -1;
    }
    if (!mtp_potential_get_info(ev->pot).trained) {
        fprintf(stderr, "mtp %s: %s: the potential has no coefficients (train it first)\n", cmd, pot_path);
        return -1;
    }
    return 0;
}

static void eval_close(evaluator *ev)
{
    mtp_calculator_destroy(ev->calc);
    mtp_potential_destroy(ev->pot);
    free(ev->F);
    free(ev->W);
    free(ev->site);
}

static int eval_cfg(evaluator *ev, const mtp_cfg *cfg, const char *src, long index, double *E)
{
    if (cfg->n_atoms > ev->cap) {
        free(ev->F);
        free(ev->site);
        ev->cap = cfg->n_atoms;
        ev->F = malloc((size_t)ev->cap * 3 * sizeof(double));
        ev->site = malloc((size_t)ev->cap * sizeof(double));
        if (!ev->F || !ev->site) {
            fprintf(stderr, "mtp %s: out of memory\n", ev->cmd);
            return -1;
        }
    }
    if (!ev->W) ev->W = malloc(6 * sizeof(double));
    mtp_error err;
    if (mtp_compute(ev->calc, cfg, E, ev->F, ev->W, ev->site, NULL, &err)) {
        fprintf(stderr, "mtp %s: %s: configuration %ld: %s\n", ev->cmd, src, index + 1, err.message);
        return -1;
    }
    ev->close_pairs += mtp_calculator_stats(ev->calc).n_close_pairs;
    /* a potential that overflows must not reach the output as NaN or inf */
    if (cli_check_finite(ev->cmd, src, index, *E, ev->F, cfg->n_atoms, ev->W)) return -1;
    return 0;
}

static void warn_close(const evaluator *ev)
{
    if (ev->close_pairs)
        fprintf(stderr,
                "mtp %s: warning: %ld atom pairs were closer than the potential's min_dist (%.4f A); "
                "results there are extrapolated\n",
                ev->cmd, ev->close_pairs, mtp_potential_get_info(ev->pot).min_dist);
}

static char *default_output(const char *in)
{
    const char *slash = strrchr(in, '/');
    const char *dot = strrchr(in, '.');
    size_t n = strlen(in);
    char *out = malloc(n + 8);
    if (!out) return NULL;
    if (dot && (!slash || dot > slash + 1)) {
        size_t stem = (size_t)(dot - in);
        memcpy(out, in, stem);
        strcpy(out + stem, ".efs");
        strcat(out, dot);
    } else {
        strcpy(out, in);
        strcat(out, ".efs");
    }
    return out;
}

/* Evaluate every configuration of `in` and stream the results to `fp`. */
static int calculate_all(evaluator *ev, mtp_reader *r, const char *in, FILE *fp, const char *out,
                         mtp_format ofmt, long *count)
{
    char efs_by[64];
    snprintf(efs_by, sizeof efs_by, "MultiMTP%d", mtp_potential_get_info(ev->pot).scalar_count + 1);
    mtp_error err;
    mtp_cfg cfg;
    mtp_cfg_init(&cfg);
    int got, rc = 0;
    *count = 0;
    for (;;) {
        if (mtp_reader_next(r, &cfg, &got, &err)) {
            cli_report(ev->cmd, &err);
            rc = -1;
            break;
        }
        if (!got) break;
        double E;
        if (eval_cfg(ev, &cfg, in, *count, &E)) {
            rc = -1;
            break;
        }
        int had_site = cfg.site_energies != NULL;
        if (mtp_cfg_add_array(&cfg, MTP_CFG_FORCES, &err)) {
            cli_report(ev->cmd, &err);
            rc = -1;
            break;
        }
        /* a 0-atom configuration has no per-atom arrays (NULL): nothing to copy */
        if (cfg.n_atoms > 0) {
            memcpy(cfg.forces, ev->F, (size_t)cfg.n_atoms * 3 * sizeof(double));
            if (had_site) memcpy(cfg.site_energies, ev->site, (size_t)cfg.n_atoms * sizeof(double));
        }
        cfg.energy = E;
        cfg.has_energy = 1;
        memcpy(cfg.stress, ev->W, sizeof cfg.stress);
        cfg.has_stress = 1;
        if (mtp_cfg_set_feature(&cfg, "EFS_by", efs_by, &err) || mtp_write_cfg(fp, out, &cfg, ofmt, NULL, &err)) {
            cli_report(ev->cmd, &err);
            rc = -1;
            break;
        }
        (*count)++;
    }
    mtp_cfg_free(&cfg);
    return rc;
}

int cmd_calculate_efs(const char *cmd, cli_args *a)
{
    if (a->n_pos != 2) {
        fprintf(stderr, "usage: %s", HELP_CALCULATE_EFS);
        return 2;
    }
    const char *pot_path = a->pos[0], *in = a->pos[1];
    const char *out_opt = cli_opt(a, "output_filename|output");
    const char *ofmt_s = cli_opt(a, "output_format");
    int refuse = 0, rc = 2;
    mtp_read_options ropt;
    mtp_format ifmt;
    char **tm = NULL;
    char *out = NULL;
    evaluator ev;
    memset(&ev, 0, sizeof ev);
    mtp_reader *r = NULL;
    if (cli_read_options(a, &ropt, &ifmt, &tm) || cli_opt_bool(a, "refuse_close_atoms", 0, &refuse) ||
        cli_check_unused(a, cmd))
        goto done;
    out = out_opt ? strdup(out_opt) : default_output(in);
    if (!out || strcmp(out, in) == 0) {
        fprintf(stderr, "mtp %s: refusing to overwrite the input file %s; give --output_filename\n", cmd, in);
        goto done;
    }
    mtp_format ofmt;
    if (cli_output_format(cmd, ofmt_s, out, &ofmt)) goto done;
    rc = 1;
    mtp_error err;
    if (eval_open(&ev, cmd, pot_path)) goto done;
    if (refuse) mtp_calculator_set_min_dist_policy(ev.calc, MTP_MIN_DIST_REFUSE);
    if (mtp_reader_open(in, ifmt, &ropt, &r, &err)) {
        cli_report(cmd, &err);
        goto done;
    }
    /* temporary file + rename: an interrupted run leaves no half-written output */
    mtp_output_file *of;
    FILE *fp;
    if (mtp_output_open(out, &of, &fp, &err)) {
        cli_report(cmd, &err);
        goto done;
    }
    long count;
    if (calculate_all(&ev, r, in, fp, out, ofmt, &count)) {
        mtp_output_abort(of);
        goto done;
    }
    if (count == 0) {
        /* an empty input is usually a crashed upstream job: do not look like success */
        mtp_output_abort(of);
        fprintf(stderr, "mtp %s: %s: no configurations to evaluate (empty input)\n", cmd, in);
        goto done;
    }
    if (mtp_output_commit(of, &err)) {
        cli_report(cmd, &err);
        goto done;
    }
    warn_close(&ev);
    fprintf(stderr, "mtp %s: %ld configurations written to %s\n", cmd, count, out);
    rc = 0;
done:
    mtp_reader_close(r);
    eval_close(&ev);
    free(out);
    cli_free_type_map(tm, ropt.type_map_count);
    return rc;
}

/* ---------------------------------------------------------------- */
/* --parity_data, else --parity_to's name with .tsv for .png (or appended). */
static char *parity_data_path(const char *data_opt, const char *png)
{
    if (data_opt) return strdup(data_opt);
    if (!png) return NULL;
    size_t n = strlen(png);
    char *out = malloc(n + 5);
    if (!out) return NULL;
    strcpy(out, png);
    if (n > 4 && strcmp(png + n - 4, ".png") == 0) out[n - 4] = 0;
    strcat(out, ".tsv");
    return out;
}

typedef struct group_report {
    char *value;
    efs_errors e;
} group_report;

int cmd_check_errors(const char *cmd, cli_args *a)
{
    if (a->n_pos != 2) {
        fprintf(stderr, "usage: %s", HELP_CHECK_ERRORS);
        return 2;
    }
    const char *pot_path = a->pos[0], *db = a->pos[1];
    const char *report_to = cli_opt(a, "report_to");
    const char *log_to = cli_opt(a, "log");
    const char *group_opt = cli_opt(a, "group_by");
    const char *group_key = group_opt ? group_opt : "mlearn_group";
    const char *parity_png = cli_opt(a, "parity_to");
    char *parity_path = NULL;
    mtp_output_file *parity_of = NULL;
    FILE *parity = NULL;
    mtp_read_options ropt;
    mtp_format ifmt;
    char **tm = NULL;
    int rc = 2;
    evaluator ev;
    memset(&ev, 0, sizeof ev);
    mtp_reader *r = NULL;
    FILE *log = NULL;
    group_report *groups = NULL;
    int n_groups = 0;
    if (cli_read_options(a, &ropt, &ifmt, &tm)) goto done;
    parity_path = parity_data_path(cli_opt(a, "parity_data"), parity_png);
    if (cli_check_unused(a, cmd)) goto done;
    if (parity_path && (strcmp(parity_path, db) == 0 || (parity_png && strcmp(parity_png, db) == 0) ||
                        (parity_png && strcmp(parity_png, parity_path) == 0))) {
        fprintf(stderr, "mtp %s: --parity_to, --parity_data and DB must be three different files\n", cmd);
        goto done;
    }
    rc = 1;
    /* before the evaluation, which may take long: can the plot be made at all? */
    if (parity_png && cli_run_plot(cmd, (const char *const[]){"check", NULL})) goto done;
    if (log_to && strcmp(log_to, "none") != 0) {
        log = strcmp(log_to, "stdout") == 0 ? stdout : strcmp(log_to, "stderr") == 0 ? stderr : fopen(log_to, "w");
        if (!log) {
            fprintf(stderr, "mtp %s: cannot open log file %s\n", cmd, log_to);
            goto done;
        }
    }
    mtp_error err;
    if (eval_open(&ev, cmd, pot_path)) goto done;
    if (mtp_reader_open(db, ifmt, &ropt, &r, &err)) {
        cli_report(cmd, &err);
        goto done;
    }
    if (parity_path) {
        if (mtp_output_open(parity_path, &parity_of, &parity, &err)) {
            cli_report(cmd, &err);
            goto done;
        }
        efs_errors_values_header(parity, pot_path, db);
    }
    efs_errors total;
    efs_errors_init(&total);
    mtp_cfg cfg;
    mtp_cfg_init(&cfg);
    long k = 0;
    int got, failed = 0;
    for (;;) {
        if (mtp_reader_next(r, &cfg, &got, &err)) {
            cli_report(cmd, &err);
            failed = 1;
            break;
        }
        if (!got) break;
        double E, w[3];
        if (mtp_cfg_fit_weights(&cfg, w, &err)) {
            fprintf(stderr, "mtp %s: %s: configuration %ld: %s\n", cmd, db, k + 1, err.message);
            failed = 1;
            break;
        }
        if (eval_cfg(&ev, &cfg, db, k, &E)) {
            failed = 1;
            break;
        }
        efs_errors_add_values(&total, &cfg, E, ev.F, ev.W, parity, k + 1);
        const char *gv = mtp_cfg_get_feature(&cfg, group_key);
        if (gv) {
            int gi = 0;
            while (gi < n_groups && strcmp(groups[gi].value, gv) != 0) gi++;
            if (gi == n_groups) {
                group_report *g = realloc(groups, (size_t)(n_groups + 1) * sizeof *g);
                if (!g) {
                    failed = 1;
                    break;
                }
                groups = g;
                groups[gi].value = strdup(gv);
                efs_errors_init(&groups[gi].e);
                n_groups++;
            }
            efs_errors_add(&groups[gi].e, &cfg, E, ev.F, ev.W);
        }
        if (log) {
            efs_errors one;
            efs_errors_init(&one);
            efs_errors_add(&one, &cfg, E, ev.F, ev.W);
            fprintf(log, "cfg %ld: atoms %d  energy/atom diff %.6g eV  force RMS diff %.6g eV/A  stress RMS diff %.6g eV\n",
                    k + 1, cfg.n_atoms, one.energy_per_atom.n ? one.energy_per_atom.sum : 0.0,
                    one.forces.n ? sqrt_mean(one.forces.sum2, one.forces.n) : 0.0,
                    one.stress.n ? one.stress.sum : 0.0);
        }
        k++;
    }
    mtp_cfg_free(&cfg);
    if (failed) goto done;
    if (k == 0) {
        fprintf(stderr, "mtp %s: %s: no configurations to compare (empty input)\n", cmd, db);
        goto done;
    }
    if (log && log != stdout && log != stderr) {
        int bad = ferror(log) | fclose(log);
        log = NULL;
        if (bad) {
            fprintf(stderr, "mtp %s: %s: write failed\n", cmd, log_to);
            goto done;
        }
    }
    if (parity_of) {
        mtp_status st = mtp_output_commit(parity_of, &err);
        parity_of = NULL;
        if (st) {
            cli_report(cmd, &err);
            goto done;
        }
    }
    warn_close(&ev);
    efs_errors_print(stdout, &total);
    for (int gi = 0; gi < n_groups; gi++) {
        printf("\n=== %s = %s ===\n", group_key, groups[gi].value);
        efs_errors_print(stdout, &groups[gi].e);
    }
    if (report_to) {
        mtp_output_file *of;
        FILE *fp;
        if (mtp_output_open(report_to, &of, &fp, &err)) {
            cli_report(cmd, &err);
            goto done;
        }
        efs_errors_print(fp, &total);
        for (int gi = 0; gi < n_groups; gi++) {
            fprintf(fp, "\n=== %s = %s ===\n", group_key, groups[gi].value);
            efs_errors_print(fp, &groups[gi].e);
        }
        if (mtp_output_commit(of, &err)) {
            cli_report(cmd, &err);
            goto done;
        }
    }
    if (parity_png && cli_run_plot(cmd, (const char *const[]){"parity", parity_path, parity_png, NULL})) goto done;
    rc = 0;
done:
    if (parity_of) mtp_output_abort(parity_of);
    free(parity_path);
    if (log && log != stdout && log != stderr) fclose(log);
    for (int gi = 0; gi < n_groups; gi++) free(groups[gi].value);
    free(groups);
    mtp_reader_close(r);
    eval_close(&ev);
    cli_free_type_map(tm, ropt.type_map_count);
    return rc;
}
