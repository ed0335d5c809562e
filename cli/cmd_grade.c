/* SPDX-License-Identifier: BSD-3-Clause */
/* calculate_grade: extrapolation grades of configurations (MLIP-3's command). */
#include "cli.h"

#include <math.h>

#include <stdlib.h>
#include <string.h>

const char HELP_CALCULATE_GRADE[] =
    "mtp calculate_grade POT IN OUT [options]\n"
    "  Extrapolation grades (MaxVol) of every configuration of IN against the\n"
    "  active set stored in POT (.almtp written by MLIP-3 or `mtp train`).\n"
    "  Writes each non-empty configuration to OUT with the features MV_grade\n"
    "  (the configuration's grade) and ID (its 0-based index in IN) and, for\n"
    "  potentials in neighbourhood mode (al_mode=nbh), the per-atom grades as\n"
    "  the nbh_grades column.  A grade <= 1 means interpolation; MLIP's usual\n"
    "  thresholds are 2 (save for labelling) and 10 (stop).  Histograms of the\n"
    "  grades: python3 -m openmtp.plot grades OUT GRADES.png.\n"
    "  --input_format=F, --type_order=..., --absolute_types   as in calculate_efs\n"
    "  --output_format=F       cfg (default), bin, xyz, ...\n";

int cmd_calculate_grade(const char *cmd, cli_args *a)
{
    if (a->n_pos != 3) {
        fprintf(stderr, "usage: %s", HELP_CALCULATE_GRADE);
        return 2;
    }
    const char *pot_path = a->pos[0], *in = a->pos[1], *out = a->pos[2];
    const char *ofmt_s = cli_opt(a, "output_format");
    mtp_read_options ropt;
    mtp_format ifmt, ofmt;
    char **tm = NULL;
    int rc = 2;
    mtp_potential *pot = NULL;
    mtp_grader *g = NULL;
    mtp_reader *r = NULL;
    mtp_output_file *of = NULL;
    FILE *fp = NULL;
    mtp_cfg cfg;
    mtp_cfg_init(&cfg);
    if (cli_read_options(a, &ropt, &ifmt, &tm) || cli_check_unused(a, cmd) ||
        cli_output_format(cmd, ofmt_s, out, &ofmt))
        goto done;
    if (strcmp(in, out) == 0) {
        fprintf(stderr, "mtp %s: refusing to overwrite the input file %s\n", cmd, in);
        goto done;
    }
    rc = 1;
    mtp_error err;
    if (mtp_potential_read(pot_path, &pot, &err) || mtp_grader_create(pot, &g, &err) ||
        mtp_reader_open(in, ifmt, &ropt, &r, &err) || mtp_output_open(out, &of, &fp, &err)) {
        cli_report(cmd, &err);
        goto done;
    }
    int nbh = mtp_grader_mode(g) == MTP_GRADE_NEIGHBORHOOD;
    long index = 0, written = 0;
    double worst = 0;
    for (;; index++) {
        int got;
        if (mtp_reader_next(r, &cfg, &got, &err)) {
            cli_report(cmd, &err);
            goto done;
        }
        if (!got) break;
        if (cfg.n_atoms == 0) continue;
        if (nbh && mtp_cfg_add_array(&cfg, MTP_CFG_NBH_GRADES, &err)) {
            cli_report(cmd, &err);
            goto done;
        }
        double grade;
        if (mtp_grade(g, &cfg, &grade, nbh ? cfg.nbh_grades : NULL, &err)) {
            fprintf(stderr, "mtp %s: %s: configuration %ld: %s\n", cmd, in, index + 1, err.message);
            goto done;
        }
        if (!isfinite(grade) || (nbh && !cli_all_finite(cfg.nbh_grades, cfg.n_atoms))) {
            fprintf(stderr, "mtp %s: %s: configuration %ld: non-finite extrapolation grade (the potential overflows here)\n",
                    cmd, in, index + 1);
            goto done;
        }
        char buf[64];
        snprintf(buf, sizeof buf, "%f", grade);
        if (mtp_cfg_set_feature(&cfg, "MV_grade", buf, &err)) goto report;
        snprintf(buf, sizeof buf, "%ld", index);
        if (mtp_cfg_set_feature(&cfg, "ID", buf, &err) || mtp_write_cfg(fp, out, &cfg, ofmt, NULL, &err)) goto report;
        if (grade > worst) worst = grade;
        written++;
    }
    if (index == 0) {
        fprintf(stderr, "mtp %s: %s: no configurations to grade (empty input)\n", cmd, in);
        goto done;
    }
    mtp_status st = mtp_output_commit(of, &err);
    of = NULL;
    if (st) goto report;
    fprintf(stderr, "mtp %s: %ld configurations graded (%s mode), largest grade %g, written to %s\n", cmd, written,
            nbh ? "neighbourhood" : "configuration", worst, out);
    rc = 0;
    goto done;
report:
    cli_report(cmd, &err);
done:
    if (of) mtp_output_abort(of);
    mtp_cfg_free(&cfg);
    mtp_reader_close(r);
    mtp_grader_destroy(g);
    mtp_potential_destroy(pot);
    cli_free_type_map(tm, ropt.type_map_count);
    return rc;
}

const char HELP_SELECT[] =
    "mtp select POT TRAIN [options]\n"
    "  Builds the MaxVol active set of POT over the configurations of TRAIN and\n"
    "  stores it in the potential (MLIP-3's active-learning section), as\n"
    "  `mtp train` does at its end.  Prints the chosen configurations as\n"
    "  TRAIN:INDEX (0-based) with the number of active rows each owns.  The potential can then grade configurations\n"
    "  (`mtp calculate_grade`, extrapolation control in LAMMPS).\n"
    "  --al_mode=nbh|cfg         rows per atom (site energies, default) or per\n"
    "                            configuration (energy per atom)\n"
    "  --site_en_weight=W --energy_weight=W   MLIP-3's spelling of the mode\n"
    "  --weight_scaling=2        configuration mode: energy rows / N^(p/2)\n"
    "  --threshold=1.001         swap while some |c_j| exceeds it\n"
    "  --init_value=1e-6         initial active set init_value * I\n"
    "  --fresh_inverse           once no swap is left, recompute A^-1 from A and go on\n"
    "                            until no row exceeds the threshold against it (as\n"
    "                            `mtp train` does): every row of TRAIN then grades\n"
    "                            <= threshold.  Default: MLIP-3's rank-one updates\n"
    "                            only (its `select` output exactly; they drift when\n"
    "                            |det A| grows by orders of magnitude, leaving rows\n"
    "                            above the threshold, 1.02 seen)\n"
    "  --save_to=FILE            output potential (default: overwrite POT, atomically)\n"
    "  --input_format=F, --type_order=..., --absolute_types   as in calculate_efs\n";

int cmd_select(const char *cmd, cli_args *a)
{
    if (a->n_pos != 2) {
        fprintf(stderr, "usage: %s", HELP_SELECT);
        return 2;
    }
    const char *pot_path = a->pos[0], *train = a->pos[1];
    const char *mode_s = cli_opt(a, "al_mode"), *save_to = cli_opt(a, "save_to");
    double site_w, energy_w, threshold, init_value;
    int ws, fresh_inverse;
    mtp_read_options ropt;
    mtp_format ifmt;
    char **tm = NULL;
    int rc = 2, count = 0;
    mtp_cfg *cfgs = NULL;
    mtp_potential *pot = NULL;
    mtp_active_set *as = NULL;
    if (cli_read_options(a, &ropt, &ifmt, &tm) || cli_opt_double(a, "site_en_weight", -1, &site_w) ||
        cli_opt_double(a, "energy_weight", -1, &energy_w) || cli_opt_double(a, "threshold", 1.001, &threshold) ||
        cli_opt_double(a, "init_value", 1e-6, &init_value) || cli_opt_int(a, "weight_scaling", 2, &ws) ||
        cli_opt_bool(a, "fresh_inverse", 0, &fresh_inverse) || cli_check_unused(a, cmd))
        goto done;
    mtp_active_set_options o = {MTP_GRADE_NEIGHBORHOOD, threshold, init_value, ws, fresh_inverse};
    if (mode_s && strcmp(mode_s, "cfg") == 0) o.mode = MTP_GRADE_CONFIGURATION;
    else if (mode_s && strcmp(mode_s, "nbh") != 0) {
        fprintf(stderr, "mtp %s: --al_mode must be nbh or cfg\n", cmd);
        goto done;
    }
    if (site_w == 0 && energy_w > 0) o.mode = MTP_GRADE_CONFIGURATION;
    rc = 1;
    mtp_error err;
    if (mtp_potential_read(pot_path, &pot, &err) || mtp_read_cfgs(train, ifmt, &ropt, &cfgs, &count, &err)) {
        cli_report(cmd, &err);
        goto done;
    }
    if (mtp_active_set_create(pot, &o, &as, &err)) goto report;
    for (int k = 0; k < count; k++)
        if (mtp_active_set_queue(as, &cfgs[k], k, NULL, &err)) {
            fprintf(stderr, "mtp %s: %s: configuration %d: %s\n", cmd, train, k + 1, err.message);
            goto done_as;
        }
    if (mtp_active_set_select_queued(as, threshold, 0, NULL, &err) || mtp_active_set_store(as, pot, &err) ||
        mtp_potential_write(pot, save_to ? save_to : pot_path, &err))
        goto report;
    int n_sel = mtp_active_set_size(as);
    printf("active set (%s mode) built from %d configurations: %d of them selected; written to %s\n",
           o.mode == MTP_GRADE_NEIGHBORHOOD ? "neighbourhood" : "configuration", count, n_sel,
           save_to ? save_to : pot_path);
    /* which ones: FILE:INDEX (0-based) and how many active rows each owns */
    for (int k = 0; k < n_sel; k++) {
        const mtp_cfg *c;
        long tag;
        if (mtp_active_set_member(as, k, &c, &tag, &err)) goto report;
        const char *eq = mtp_cfg_get_feature(c, "selected_eqn_inds");
        int rows = eq && *eq ? 1 : 0;
        for (const char *q = eq; q && *q; q++) rows += *q == ',';
        printf("selected %s:%ld (%d rows)\n", train, tag, rows);
    }
    mtp_active_set_destroy(as);
    as = NULL;
    rc = 0;
    goto done;
report:
    cli_report(cmd, &err);
done_as:
    mtp_active_set_destroy(as);
done:
    mtp_free_cfgs(cfgs, count);
    mtp_potential_destroy(pot);
    cli_free_type_map(tm, ropt.type_map_count);
    return rc;
}
