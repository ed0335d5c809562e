/* calculate_grade: extrapolation grades of configurations (MLIP-3's command). */
#include "cli.h"

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
    "  thresholds are 2 (save for labelling) and 10 (stop).\n"
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
        char buf[64];
        snprintf(buf, sizeof buf, "%f", grade);
        if (mtp_cfg_set_feature(&cfg, "MV_grade", buf, &err)) goto report;
        snprintf(buf, sizeof buf, "%ld", index);
        if (mtp_cfg_set_feature(&cfg, "ID", buf, &err) || mtp_write_cfg(fp, out, &cfg, ofmt, NULL, &err)) goto report;
        if (grade > worst) worst = grade;
        written++;
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
