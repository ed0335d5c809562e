/* SPDX-License-Identifier: BSD-3-Clause */
/* mtp train: fit a potential to energies, forces and stresses (MLIP-3 `mlp train`). */
#include "cli.h"

#include <math.h>

#include <openmtp/openmtp_train.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef OPENMTP_HAVE_MPI
#include <mpi.h>
#endif

const char HELP_TRAIN[] =
    "mtp train INIT.almtp TRAIN.cfg [--save_to=POT.almtp] [options]\n"
    "  Fits the potential to the energies, forces and stresses of TRAIN.cfg by\n"
    "  MLIP-3's objective: exact linear least squares (LAPACK) for the species and\n"
    "  moment coefficients, BFGS with analytic gradients.\n"
    "  --optimizer=varpro|bfgs    varpro (default): BFGS over the radial coefficients,\n"
    "                             the linear ones solved exactly at every step;\n"
    "                             bfgs: MLIP-3's procedure (pre-training, BFGS over\n"
    "                             all parameters, linear re-solves at fixed steps)\n"
    "  --save_to=FILE             output (default: overwrite INIT)\n"
    "  Weights: with none of the options below, the weights are derived from\n"
    "  TRAIN.cfg and printed at the start (`# default weights: ...`):\n"
    "    force_weight  = 0.01 / <F^2>  (<F^2>: mean square force component)\n"
    "    energy_weight = 100/A^2 * force_weight  (MLIP-3's balance)\n"
    "    stress_weight = 0.1 * force_weight, weight_scaling 1, _forces 0\n"
    "  and, after training, the linear coefficients solved once more with\n"
    "    energy_weight = 500/A^2 * force_weight  (radial coefficients kept;\n"
    "    a trained INIT is written back unchanged if it is better under these\n"
    "    weights than what the further training gave)\n"
    "  so the fit does not depend on the energy unit (all targets times c: the\n"
    "  same potential up to c) or on how often configurations repeat.  The\n"
    "  radial functions are fixed mostly by the forces, the energies mostly by\n"
    "  the linear coefficients: on mlearn (level 20) this meets Zuo 2020's\n"
    "  energy and force errors for Mo, Li and Si, which neither balance alone\n"
    "  does (docs/training.md).\n"
    "  Any of these options gives MLIP-3's objective with MLIP-3's defaults for\n"
    "  the others:\n"
    "  --energy_weight=1 --force_weight=0.01 --stress_weight=0.001\n"
    "  --weight_scaling=1 --weight_scaling_forces=0 --penalty_weight=1e-6\n"
    "  --iteration_limit=1000 --tolerance=1e-3\n"
    "  --wolfe_c2=0.9             curvature condition of the varpro line search\n"
    "                             (bfgs uses MLIP-3's 0.5)\n"
    "  --init_random  --skip_preinit  --no_mindist_update\n"
    "  --valid_cfgs=FILE          validation set (progress lines and final report);\n"
    "                             training stops when the validation loss has not\n"
    "                             improved for --valid_patience iterations and the\n"
    "                             potential of the best validation loss is written\n"
    "                             (default weights: its linear coefficients solved\n"
    "                             again with the final energy weight)\n"
    "  --valid_patience=200       iterations (checked every 10); 0 = off, the default\n"
    "                             with any weight option (MLIP-3's procedure)\n"
    "  --max_time=SECONDS         stop BFGS after this wall time (0 = none)\n"
    "  --restarts=3               varpro with --max_time: if training converges with\n"
    "                             over a quarter of the time left, train again from\n"
    "                             a random start (at most this many times) and keep\n"
    "                             the lowest training loss (0 = off)\n"
    "  --checkpoint=FILE          training checkpoint (default SAVE_TO.checkpoint):\n"
    "                             the whole state of the run (iteration, parameters,\n"
    "                             optimiser history, restart bookkeeping) and the\n"
    "                             fingerprints of INIT, data and options; written\n"
    "                             atomically, removed when the potential is written\n"
    "  --checkpoint_interval=300  seconds between checkpoints (0 = every iteration)\n"
    "  --resume                   continue the run in the checkpoint if it exists\n"
    "                             (the same command: INIT, data and options must\n"
    "                             match, else an error); on one MPI rank the result\n"
    "                             is bit-identical to the uninterrupted run.  Without\n"
    "                             a checkpoint the run starts afresh\n"
    "  --log=stdout|none|FILE     progress output (one line per iteration; learning\n"
    "                             curves: python3 -m openmtp.plot learning FILE OUT.png)\n"
    "  --al_mode=cfg|nbh|none     active set stored with the potential (as MLIP-3):\n"
    "                             MaxVol over the training set, rows per configuration\n"
    "                             (cfg, default) or per atom (nbh); default: the mode of\n"
    "                             INIT's own active set if it has one; none skips it.\n"
    "                             Unlike MLIP-3, the selection ends with a freshly\n"
    "                             computed A^-1, so every training row grades <= 1.001\n"
    "  Per-configuration weights: the features EnergyWeight, ForceWeight and\n"
    "  StressWeight multiply the corresponding weights of that configuration\n"
    "  (Weight multiplies all three), e.g. `Feature EnergyWeight 10`.\n"
    "  Per-atom force weights: an AtomData column force_weight (0 = ignore that\n"
    "  atom's force, 1 = full weight) multiplies each atom's force term, e.g. the\n"
    "  buffer atoms of `mtp cut_extrapolative_nbh --periodic` cells.\n"
    "  Species: an INIT that names its species (`mtp init --species Li,P,S`,\n"
    "  labels 3,15,16) keeps them.  Configurations with atomic-number types are\n"
    "  used as they are; a configuration none of whose types is a label has\n"
    "  relative types 0,1,2, read as the species in INIT's order (Li, P, S);\n"
    "  one configuration must not mix the two (an H atom, type 1, among Li-P-S\n"
    "  labels is an error).  The trained potential keeps the atomic numbers,\n"
    "  so `pair_coeff * * Li P S` works, and the other commands read types by\n"
    "  the same rule.  An INIT without named species takes the sorted types of\n"
    "  the data (MLIP-3).\n"
    "  --seed=1                   for --init_random\n"
    "  Data checks: energies, forces and stresses must be finite and of physical\n"
    "  size (|E| <= 1e7 eV/atom, |F| <= 1e6 eV/A, |virial| <= 1e7 eV/atom, cell\n"
    "  vectors and coordinates <= 1e6 A) and\n"
    "  something must be fitted (a target with non-zero weight); weights must be\n"
    "  >= 0 and not all 0, --iteration_limit >= 0.  A loss that becomes non-finite\n"
    "  is an error; no potential is written.\n"
    "  Species from the data (INIT without named species): the sorted types of\n"
    "  TRAIN.cfg, as MLIP-3; if their number differs from INIT's species_count the\n"
    "  types are listed with their atom and configuration counts on stderr, and a\n"
    "  type found in a single configuration is refused as a stray (its species\n"
    "  would be fitted to that one energy):\n"
    "  --allow_rare_species       fit such a type anyway\n"
    "  Parallel: OpenMP threads over configurations (OMP_NUM_THREADS); if built\n"
    "  with MPI, `mpirun -np N mtp train ...` deals configurations to the ranks\n"
    "  (use N x OMP_NUM_THREADS = cores, OPENBLAS_NUM_THREADS=1).\n";

static int report(const char *title, mtp_potential *pot, const mtp_cfg *cfgs, int n)
{
    mtp_calculator *calc = NULL;
    mtp_error err;
    if (mtp_calculator_create(pot, &calc, &err)) return 1;
    efs_errors e;
    efs_errors_init(&e);
    double *F = NULL;
    long cap = 0;
    for (int k = 0; k < n; k++) {
        if (3L * cfgs[k].n_atoms > cap) {
            cap = 3L * cfgs[k].n_atoms;
            free(F);
            F = malloc((size_t)cap * sizeof(double));
        }
        double E, W[6];
        if (mtp_compute(calc, &cfgs[k], &E, F, W, NULL, NULL, &err) ||
            cli_check_finite("train", title, k, E, F, cfgs[k].n_atoms, W)) {
            free(F);
            mtp_calculator_destroy(calc);
            return 1;
        }
        efs_errors_add(&e, &cfgs[k], E, F, W);
    }
    printf("\n%s\n", title);
    efs_errors_print(stdout, &e);
    free(F);
    mtp_calculator_destroy(calc);
    return 0;
}

/* A diverged fit (loss -nan, coefficients inf) must not be saved as if trained. */
static int trained_params_finite(const char *cmd, const mtp_potential *pot, const char *save_to)
{
    int n = mtp_potential_param_count(pot);
    double *theta = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    mtp_error err;
    if (!theta || mtp_potential_get_params(pot, theta, &err)) {
        fprintf(stderr, "mtp %s: out of memory\n", cmd);
        free(theta);
        return -1;
    }
    int bad = -1;
    for (int i = 0; i < n && bad < 0; i++)
        if (!isfinite(theta[i])) bad = i;
    free(theta);
    if (bad < 0) return 0;
    fprintf(stderr, "mtp %s: the fit diverged (parameter %d of %d is not finite); %s not written\n", cmd, bad + 1, n,
            save_to);
    return -1;
}

static int cmd_train_run(const char *cmd, cli_args *a, int rank);

/* Where the trainer's text goes: notes and progress lines to the log
 * (stdout, a file or nowhere), warnings to stderr (rank 0). */
typedef struct train_output {
    FILE *log, *warn;
} train_output;

static void train_message(void *user, int kind, const char *text)
{
    const train_output *out = user;
    FILE *f = kind == MTP_TRAIN_WARNING ? out->warn : out->log;
    if (f) fputs(text, f);
}

static int train_progress(void *user, const mtp_train_progress *p)
{
    const train_output *out = user;
    if (out->log) {
        char line[1024];
        mtp_train_progress_format(p, line, sizeof line);
        fputs(line, out->log);
        fflush(out->log);
    }
    return 0;
}

/* Test hook: OPENMTP_TEST_KILL_AFTER_CHECKPOINTS=N kills the process with
 * SIGKILL right after its N-th checkpoint is committed, so a test can
 * interrupt a run at a known iteration the way kill -9 does (no cleanup). */
static void kill_after_checkpoints(void *user, int count)
{
    const train_output *out = user;
    if (out->log) fflush(out->log);
    const char *s = getenv("OPENMTP_TEST_KILL_AFTER_CHECKPOINTS");
    if (s && atoi(s) == count) {
        fflush(NULL);
        raise(SIGKILL);
    }
}

int cmd_train(const char *cmd, cli_args *a)
{
    if (a->n_pos != 2) {
        fprintf(stderr, "usage: %s", HELP_TRAIN);
        return 2;
    }
    int seed = 1, resume = 0, rank = 0, mpi_here = 0;
#ifdef OPENMTP_HAVE_MPI
    /* MPI only when started by a launcher (a singleton MPI_Init can be slow
     * or fail in containers) */
    if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK") || getenv("MPI_LOCALNRANKS")) {
        int inited = 0;
        MPI_Initialized(&inited);
        if (!inited) {
            MPI_Init(NULL, NULL);
            mpi_here = 1;
        }
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    }
#endif
    int rc = cmd_train_run(cmd, a, rank);
#ifdef OPENMTP_HAVE_MPI
    if (mpi_here) {
        int rc_max = rc;
        MPI_Allreduce(&rc, &rc_max, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        rc = rc_max;
        MPI_Finalize();
    }
#endif
    (void)mpi_here, (void)seed, (void)resume;
    return rc;
}

static int cmd_train_run(const char *cmd, cli_args *a, int rank)
{
    mtp_train_options o;
    mtp_train_options_default(&o);
    int seed = 1, resume = 0;
    const char *save_to = cli_opt(a, "save_to|trained-pot-name");
    const char *valid_path = cli_opt(a, "valid_cfgs|valid-cfgs");
    const char *ckpt = cli_opt(a, "checkpoint");
    const char *logname = cli_opt(a, "log");
    const char *optimizer = cli_opt(a, "optimizer");
    const char *al_mode = cli_opt(a, "al_mode");
    if (optimizer && !strcmp(optimizer, "bfgs")) o.optimizer = MTP_TRAIN_BFGS;
    else if (optimizer && strcmp(optimizer, "varpro")) {
        fprintf(stderr, "mtp %s: --optimizer must be varpro or bfgs\n", cmd);
        return 2;
    }
    /* no weight option at all: the weights stay unset (derived from the
     * training set); any of MLIP-3's weight options: MLIP-3's objective */
    int weights_given = cli_opt(a, "energy_weight|energy-weight") || cli_opt(a, "force_weight|force-weight") ||
                        cli_opt(a, "stress_weight|stress-weight") || cli_opt(a, "weight_scaling") ||
                        cli_opt(a, "weight_scaling_forces") || cli_opt(a, "penalty_weight");
    if (cli_opt_int(a, "valid_patience", valid_path && !weights_given ? 200 : 0, &o.valid_patience) ||
        (weights_given &&
         (cli_opt_double(a, "energy_weight|energy-weight", 1.0, &o.energy_weight) ||
          cli_opt_double(a, "force_weight|force-weight", 0.01, &o.force_weight) ||
          cli_opt_double(a, "stress_weight|stress-weight", 0.001, &o.stress_weight) ||
          cli_opt_double(a, "weight_scaling", 1.0, &o.weight_scaling) ||
          cli_opt_double(a, "weight_scaling_forces", 0.0, &o.weight_scaling_forces) ||
          cli_opt_double(a, "penalty_weight", 1e-6, &o.penalty_weight))) ||
        cli_opt_int(a, "iteration_limit|max-iter", 1000, &o.iteration_limit) ||
        cli_opt_double(a, "tolerance|bfgs-conv-tol", 1e-3, &o.tolerance) ||
        cli_opt_double(a, "wolfe_c2", 0.9, &o.wolfe_c2) || cli_opt_int(a, "restarts", 3, &o.restarts) ||
        cli_opt_bool(a, "init_random", 0, &o.init_random) || cli_opt_bool(a, "skip_preinit|skip-preinit", 0, &o.skip_preinit) ||
        cli_opt_bool(a, "no_mindist_update", 0, &o.no_mindist_update) ||
        cli_opt_double(a, "max_time", 0.0, &o.max_time) ||
        cli_opt_double(a, "checkpoint_interval", 300.0, &o.checkpoint_interval) ||
        cli_opt_bool(a, "resume", 0, &resume) || cli_opt_int(a, "seed", 1, &seed) ||
        cli_opt_bool(a, "allow_rare_species", 0, &o.allow_rare_species))
        return 2;
    o.seed = (unsigned)seed;
    {
        mtp_error oerr;
        if (mtp_train_check_options(&o, &oerr)) {
            fprintf(stderr, "mtp %s: %s\n", cmd, oerr.message);
            return 2;
        }
    }
    mtp_read_options ropt;
    mtp_format fmt;
    char **tm = NULL;
    if (cli_read_options(a, &ropt, &fmt, &tm)) return 2;
    if (cli_check_unused(a, cmd)) return 2;
    if (al_mode && strcmp(al_mode, "cfg") != 0 && strcmp(al_mode, "nbh") != 0 && strcmp(al_mode, "none") != 0) {
        fprintf(stderr, "mtp %s: --al_mode must be cfg, nbh or none\n", cmd);
        return 2;
    }
    if (!save_to) save_to = a->pos[0];
    char ckpt_buf[4096];
    if (!ckpt) {
        snprintf(ckpt_buf, sizeof ckpt_buf, "%s.checkpoint", save_to);
        ckpt = ckpt_buf;
    }
    o.checkpoint_path = ckpt;
    FILE *logf = stdout;
    if ((logname && !strcmp(logname, "none")) || rank != 0) logf = NULL;
    else if (logname && strcmp(logname, "stdout")) {
        logf = fopen(logname, "w");
        if (!logf) {
            fprintf(stderr, "mtp %s: cannot open log %s\n", cmd, logname);
            return 1;
        }
    }
    train_output out = {logf, rank == 0 ? stderr : NULL};
    o.message = train_message;
    o.progress = train_progress;
    o.checkpoint_written = kill_after_checkpoints;
    o.user = &out;
    o.train_name = a->pos[1];
    o.valid_name = valid_path;

    mtp_error err;
    mtp_potential *pot = NULL;
    /* the run is INIT + data + options; a checkpoint continues it */
    if (resume && access(ckpt, F_OK) == 0) o.resume = 1;
    else if (resume && logf) fprintf(logf, "# --resume: no checkpoint %s, starting afresh\n", ckpt);
    char run_id[96], init_hash[17];
    if (mtp_train_fingerprint_file(a->pos[0], init_hash, &err)) {
        cli_report(cmd, &err);
        return 1;
    }
    snprintf(run_id, sizeof run_id, "init=%s,al_mode=%s", init_hash, al_mode ? al_mode : "default");
    o.run_id = run_id;
    if (mtp_potential_read(a->pos[0], &pot, &err)) {
        cli_report(cmd, &err);
        return 1;
    }
    /* active-set mode: the option, else the input's own active set (MLIP-3), else cfg */
    mtp_grade_mode as_mode = MTP_GRADE_CONFIGURATION;
    int build_as = !al_mode || strcmp(al_mode, "none") != 0;
    if (al_mode && strcmp(al_mode, "nbh") == 0) as_mode = MTP_GRADE_NEIGHBORHOOD;
    if (!al_mode && mtp_potential_get_info(pot).has_al_state) {
        mtp_grader *g0;
        if (mtp_grader_create(pot, &g0, NULL) == MTP_OK) {
            as_mode = mtp_grader_mode(g0);
            mtp_grader_destroy(g0);
        }
    }
    mtp_cfg *train = NULL, *valid = NULL;
    int nt = 0, nv = 0, rc = 1;
    if (mtp_read_cfgs(a->pos[1], fmt, &ropt, &train, &nt, &err) ||
        (valid_path && mtp_read_cfgs(valid_path, fmt, &ropt, &valid, &nv, &err))) {
        cli_report(cmd, &err);
        goto out;
    }
    if (nt == 0) {
        fprintf(stderr, "mtp %s: %s: no training configurations (empty input)\n", cmd, a->pos[1]);
        goto out;
    }
    if (mtp_train_adopt_species(pot, train, nt, valid, nv, &o, &err)) {
        cli_report(cmd, &err);
        goto out;
    }
    mtp_train_result res;
    if (mtp_train(pot, train, nt, valid, nv, &o, &res, &err)) {
        cli_report(cmd, &err);
        goto out;
    }
    const int iters = res.iterations;
    if (rank != 0) {
        rc = 0;
        goto out;
    }
    if (build_as) {
        /* fresh_inverse: every training row grades <= 1.001 against the stored
         * set (MLIP-3's rank-one updates alone leave some at 1.02) */
        mtp_active_set_options aso = {as_mode, 0, 0, -1, 1};
        int nsel = 0;
        if (mtp_active_set_select(pot, train, nt, &aso, &nsel, &err)) {
            cli_report(cmd, &err);
            goto out;
        }
        if (logf)
            fprintf(logf, "# active set (%s mode): %d training configurations selected\n",
                    as_mode == MTP_GRADE_NEIGHBORHOOD ? "nbh" : "cfg", nsel);
    }
    if (trained_params_finite(cmd, pot, save_to)) goto out;
    if (mtp_potential_write(pot, save_to, &err)) {
        cli_report(cmd, &err);
        goto out;
    }
    if (logf) fprintf(logf, "# %d iterations; potential written to %s\n", iters, save_to);
    unlink(ckpt);
    rc = report("TRAIN ERRORS", pot, train, nt);
    if (!rc && nv) rc = report("VALIDATION ERRORS", pot, valid, nv);
out:
    mtp_free_cfgs(train, nt);
    if (valid) mtp_free_cfgs(valid, nv);
    mtp_potential_destroy(pot);
    cli_free_type_map(tm, ropt.type_map_count);
    if (logf && logf != stdout) {
        int bad = ferror(logf);
        if (fclose(logf) != 0) bad = 1;
        if (bad && rc == 0) {
            fprintf(stderr, "mtp %s: %s: write failed\n", cmd, logname);
            rc = 1;
        }
    }
    return rc;
}
