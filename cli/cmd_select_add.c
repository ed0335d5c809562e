/* SPDX-License-Identifier: BSD-3-Clause */
/* select_add: active selection of new training configurations (MLIP-3's
 * command), and its batch form over many candidate files with a budget. */
#include "cli.h"

#include <openmtp/openmtp_train.h>

#include <stdlib.h>
#include <string.h>

const char HELP_SELECT_ADD[] =
    "mtp select_add POT TRAIN CANDIDATES NEW [options]             (MLIP-3)\n"
    "mtp select_add POT TRAIN CAND1 [CAND2 ...] NEW --max=N [options] (batch)\n"
    "  Chooses among candidate configurations (e.g. the extrapolative frames\n"
    "  saved by LAMMPS) those worth labelling and adding to TRAIN, by MaxVol\n"
    "  on the rows of the active set (site-energy gradients per atom in\n"
    "  neighbourhood mode, the energy gradient per configuration in\n"
    "  configuration mode; spec mlip-compat.md section 5).\n"
    "\n"
    "  MLIP-3 form (one candidate file, no --max), as MLIP-3's select_add:\n"
    "   1. loads the active-learning state stored in POT (unless a weight option\n"
    "      is given: then it starts from init_value * I with those weights);\n"
    "   2. re-selects over TRAIN with threshold 1.001, so that the state matches\n"
    "      the current potential;\n"
    "   3. reads CANDIDATES and selects among them in batches of --batch_size:\n"
    "      while some candidate row b has |c_j| > threshold, c = b A^-1, the\n"
    "      largest such b replaces active row j (|det A| grows by |c_j|);\n"
    "   4. re-selects over TRAIN once more (with --threshold, as MLIP-3 does);\n"
    "   5. writes to NEW the candidates that own active rows at the end, whole\n"
    "      (ghost atoms kept), with the feature selected_eqn_inds, and prints\n"
    "      \"Training set was increased by K configurations\".\n"
    "\n"
    "  Batch form (--max=N; any number of candidate files, e.g. all dumps of one\n"
    "  exploration round): returns at most N configurations, greedily.  Each\n"
    "  step takes the candidate whose rows enlarge |det A| most (its grade, max\n"
    "  |c_j| over its rows; > threshold), swaps its rows in, then runs MaxVol\n"
    "  over the rows of all configurations chosen so far and the rows they\n"
    "  displaced until no swap gains more than the threshold.  Chosen\n"
    "  configurations therefore keep grading <= threshold, and a duplicate of\n"
    "  one is never chosen.  A^-1 is recomputed from A before each step.\n"
    "  The pool is streamed, never held: a pass over all files grades every\n"
    "  candidate (rows and grades in --threads threads, files read in chunks)\n"
    "  and keeps only a bounded buffer of the best ones with all their rows\n"
    "  (2N+8 configurations at most, --buffer_mb of rows); steps are taken in\n"
    "  the buffer while its best grade beats the best grade left outside it at\n"
    "  that pass (grades mostly fall as the set grows), then a new pass\n"
    "  refreshes the grades; the rows of chosen configurations and the rows\n"
    "  they displaced are carried from pass to pass, so passes choose as one\n"
    "  pass over a fully buffered pool would.  Memory: the buffer, one chunk,\n"
    "  those rows, one byte per candidate.  Steps 1-2 are as above; NEW gets the chosen configurations\n"
    "  as read, in the order chosen; the log (stderr or --log) names each as\n"
    "  \"chosen FILE:INDEX grade G\" (INDEX 0-based, G at the time of choice).\n"
    "  NEW is written (possibly empty) also when nothing is chosen.\n"
    "\n"
    "  --threshold=1.001        a row is worth adding if some |c_j| exceeds it (> 1)\n"
    "  --swap_limit=N           MLIP-3 form: at most N swaps per batch (0 = no limit)\n"
    "  --batch_size=9999        MLIP-3 form: candidates selected together\n"
    "  --fresh_inverse          MLIP-3's selections (over TRAIN; candidates in the\n"
    "                           MLIP-3 form) end with A^-1 recomputed from A and go\n"
    "                           on until no row exceeds the threshold against it, as\n"
    "                           `mtp train` does (default: MLIP-3's rank-one updates\n"
    "                           only, which drift; see `mtp help select`)\n"
    "  --max=N                  batch form: budget of configurations\n"
    "  --threads=T              batch form: threads for rows and grades (default 1)\n"
    "  --buffer_mb=256          batch form: memory for buffered candidate rows\n"
    "  --init_value=1e-6        initial active set init_value * I (with weights)\n"
    "  --site_en_weight=W --energy_weight=W --force_weight=0 --stress_weight=0\n"
    "  --weight_scaling=2       start from scratch in this mode (site_en_weight != 0:\n"
    "                           neighbourhoods) instead of the state in POT\n"
    "  --save_to=FILE           write the updated potential + state to FILE\n"
    "  --save_selected_to=FILE  write the whole active set (feature AS_index)\n"
    "  --log=FILE|stdout|stderr selection log (MLIP-3 form: none by default;\n"
    "                           batch form: stderr)\n"
    "  --input_format=F, --type_order=..., --absolute_types   as in calculate_efs\n";

/* Selection log: NULL = none. */
static FILE *open_log(const char *cmd, const char *spec, const char *dflt, int *owned)
{
    *owned = 0;
    if (!spec) spec = dflt;
    if (!spec || !*spec || !strcmp(spec, "none")) return NULL;
    if (!strcmp(spec, "stdout")) return stdout;
    if (!strcmp(spec, "stderr")) return stderr;
    FILE *fp = fopen(spec, "w");
    if (!fp) {
        fprintf(stderr, "mtp %s: cannot open the log %s\n", cmd, spec);
        return (FILE *)-1;
    }
    setvbuf(fp, NULL, _IOLBF, 0); /* follow long selections with tail -f */
    *owned = 1;
    return fp;
}

/* What mtp_select_add reports: chosen configurations into NEW, the
 * selection log into the log. */
typedef struct select_output {
    FILE *out, *log;
    const char *out_name;
} select_output;

static mtp_status write_chosen(void *user, const mtp_cfg *cfg, int file, long index, double grade, mtp_error *err)
{
    const select_output *so = user;
    mtp_write_options wo = {0, 1, NULL, 0};
    return mtp_write_cfg(so->out, so->out_name, cfg, MTP_FORMAT_CFG, &wo, err);
}

static void log_line(void *user, int kind, const char *text)
{
    const select_output *so = user;
    if (so->log) fputs(text, so->log);
}

/* The whole active set, as MLIP-3's --save_selected_to (feature AS_index, 1-based). */
static int write_active_set(const char *cmd, mtp_active_set *as, const char *path)
{
    mtp_error err;
    mtp_output_file *of;
    FILE *fp;
    if (mtp_output_open(path, &of, &fp, &err)) goto report;
    mtp_write_options wo = {0, 1, NULL, 0};
    mtp_cfg copy;
    mtp_cfg_init(&copy);
    for (int k = 0; k < mtp_active_set_size(as); k++) {
        const mtp_cfg *cfg;
        char buf[32];
        snprintf(buf, sizeof buf, "%d", k + 1);
        if (mtp_active_set_member(as, k, &cfg, NULL, &err) || mtp_cfg_copy(&copy, cfg, &err) ||
            mtp_cfg_set_feature(&copy, "AS_index", buf, &err) || mtp_write_cfg(fp, path, &copy, MTP_FORMAT_CFG, &wo, &err)) {
            mtp_cfg_free(&copy);
            mtp_output_abort(of);
            goto report;
        }
    }
    mtp_cfg_free(&copy);
    if (mtp_output_commit(of, &err)) goto report;
    return 0;
report:
    cli_report(cmd, &err);
    return 1;
}

int cmd_select_add(const char *cmd, cli_args *a)
{
    if (a->n_pos < 4) {
        fprintf(stderr, "usage: %s", HELP_SELECT_ADD);
        return 2;
    }
    const char *pot_path = a->pos[0], *train = a->pos[1], *out = a->pos[a->n_pos - 1];
    const int n_cand = a->n_pos - 3;
    char **cands = a->pos + 2;
    const char *save_to = cli_opt(a, "save_to"), *save_selected = cli_opt(a, "save_selected_to");
    const char *log_s = cli_opt(a, "log"), *max_s = cli_opt(a, "max");
    double threshold, init_value, ew, fw, sw, siw;
    int swap_limit, batch_size, ws, max_n, threads, buffer_mb, fresh_inverse;
    const int weights_given = cli_opt(a, "energy_weight") || cli_opt(a, "force_weight") ||
                              cli_opt(a, "stress_weight") || cli_opt(a, "site_en_weight") ||
                              cli_opt(a, "weight_scaling");
    mtp_read_options ropt;
    mtp_format ifmt;
    char **tm = NULL;
    int rc = 2, log_owned = 0;
    FILE *log = NULL;
    mtp_potential *pot = NULL;
    mtp_active_set *as = NULL;
    mtp_output_file *of = NULL;
    memset(&ropt, 0, sizeof ropt);
    if (cli_read_options(a, &ropt, &ifmt, &tm) || cli_opt_double(a, "threshold", 1.001, &threshold) ||
        cli_opt_double(a, "init_value", 1e-6, &init_value) || cli_opt_double(a, "energy_weight", 1, &ew) ||
        cli_opt_double(a, "force_weight", 0, &fw) || cli_opt_double(a, "stress_weight", 0, &sw) ||
        cli_opt_double(a, "site_en_weight", 0, &siw) || cli_opt_int(a, "weight_scaling", 2, &ws) ||
        cli_opt_int(a, "swap_limit|selection_limit", 0, &swap_limit) ||
        cli_opt_int(a, "batch_size", 9999, &batch_size) || cli_opt_int(a, "max", 0, &max_n) ||
        cli_opt_int(a, "threads", 1, &threads) || cli_opt_int(a, "buffer_mb", 256, &buffer_mb) ||
        cli_opt_bool(a, "fresh_inverse", 0, &fresh_inverse) || cli_check_unused(a, cmd))
        goto done;
    if (!(threshold > 1)) {
        fprintf(stderr, "mtp %s: --threshold must be > 1 (got %g)\n", cmd, threshold);
        goto done;
    }
    if (!(init_value > 0) || swap_limit < 0 || batch_size < 0 || ws < 0 || ws > 2 || threads < 1 || buffer_mb < 1) {
        fprintf(stderr, "mtp %s: need --init_value > 0, --swap_limit >= 0, --batch_size >= 0, --weight_scaling 0..2, "
                        "--threads >= 1, --buffer_mb >= 1\n", cmd);
        goto done;
    }
    if (max_s && max_n < 1) {
        fprintf(stderr, "mtp %s: --max must be at least 1 (got %s)\n", cmd, max_s);
        goto done;
    }
    if (n_cand > 1 && !max_s) {
        fprintf(stderr, "mtp %s: several candidate files are the batch form: give the budget --max=N\n", cmd);
        goto done;
    }
    if (weights_given && (fw != 0 || sw != 0)) {
        fprintf(stderr, "mtp %s: force and stress rows (--force_weight, --stress_weight) are not supported; "
                        "use --site_en_weight=1 (neighbourhoods) or --energy_weight=1 (configurations)\n", cmd);
        goto done;
    }
    if (weights_given && siw == 0 && ew == 0) {
        fprintf(stderr, "mtp %s: all selection weights are zero\n", cmd);
        goto done;
    }
    for (int k = 0; k < a->n_pos - 1; k++)
        if (strcmp(a->pos[k], out) == 0) {
            fprintf(stderr, "mtp %s: refusing to overwrite the input file %s\n", cmd, out);
            goto done;
        }
    rc = 1;
    log = open_log(cmd, log_s, max_s ? "stderr" : NULL, &log_owned);
    if (log == (FILE *)-1) {
        log = NULL;
        goto done;
    }
    mtp_error err;
    if (mtp_potential_read(pot_path, &pot, &err)) goto report;
    if (weights_given) {
        mtp_active_set_options o = {siw != 0 ? MTP_GRADE_NEIGHBORHOOD : MTP_GRADE_CONFIGURATION, threshold, init_value, ws, fresh_inverse};
        if (mtp_active_set_create(pot, &o, &as, &err)) goto report;
    } else if (mtp_active_set_load(pot, &as, &err)) {
        if (err.status != MTP_ERR_INVALID) goto report; /* a broken state is an error, a missing one is not */
        /* MLIP-3 goes on with its default weights (energy rows) */
        fprintf(stderr, "mtp %s: %s has no active-learning state; starting from init_value * I in configuration mode\n",
                cmd, pot_path);
        mtp_active_set_options o = {MTP_GRADE_CONFIGURATION, threshold, init_value, ws, fresh_inverse};
        if (mtp_active_set_create(pot, &o, &as, &err)) goto report;
    }
    mtp_active_set_set_fresh_inverse(as, fresh_inverse); /* a loaded set has it off */
    if (log)
        fprintf(log, "%s: active set of %d configurations (%s mode), log|det A| %.6f\n", pot_path,
                mtp_active_set_size(as),
                mtp_active_set_mode(as) == MTP_GRADE_NEIGHBORHOOD ? "neighbourhood" : "configuration",
                mtp_active_set_log_volume(as));
    FILE *fp;
    if (mtp_output_open(out, &of, &fp, &err)) goto report;
    long count = 0;
    select_output so = {fp, log, out};
    mtp_select_options so_opt;
    mtp_select_options_default(&so_opt);
    so_opt.threshold = threshold;
    so_opt.max = max_s ? max_n : 0;
    so_opt.swap_limit = swap_limit;
    so_opt.batch_size = batch_size;
    so_opt.threads = threads;
    so_opt.buffer_bytes = (size_t)buffer_mb << 20;
    so_opt.chosen = write_chosen;
    so_opt.message = log_line;
    so_opt.user = &so;
    if (mtp_select_add(as, pot, train, (const char *const *)cands, n_cand, ifmt, &ropt, &so_opt, &count, &err))
        goto report;
    mtp_status st = mtp_output_commit(of, &err);
    of = NULL;
    if (st) goto report;
    if (save_selected && write_active_set(cmd, as, save_selected)) goto done;
    if (save_to && (mtp_active_set_store(as, pot, &err) || mtp_potential_write(pot, save_to, &err))) goto report;
    if (count == 0)
        fprintf(stderr, "mtp %s: nothing to select (no candidates, or none extrapolative enough); %s written empty\n", cmd,
                out);
    printf("Training set was increased by %ld configurations\n", count);
    rc = 0;
    goto done;
report:
    cli_report(cmd, &err);
done:
    if (of) mtp_output_abort(of);
    if (log_owned) {
        int bad = ferror(log);
        if (fclose(log) != 0) bad = 1;
        if (bad && rc == 0) {
            fprintf(stderr, "mtp %s: writing the log failed\n", cmd);
            rc = 1;
        }
    } else if (log) fflush(log);
    mtp_active_set_destroy(as);
    mtp_potential_destroy(pot);
    cli_free_type_map(tm, ropt.type_map_count);
    return rc;
}
