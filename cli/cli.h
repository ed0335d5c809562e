/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared pieces of the `mtp` command-line tool. */
#ifndef MTP_CLI_H
#define MTP_CLI_H

#include <openmtp/openmtp.h>
#include <stdio.h>

/* Parsed command line: positional arguments and --key[=value] options
 * (MLIP style; a bare --flag means "true"; `-o X` is --output=X). */
typedef struct cli_args {
    int n_pos;
    char **pos;
    int n_opt;
    char **key;
    char **val;
    unsigned char *used;
} cli_args;

int cli_parse(int argc, char **argv, cli_args *a);
void cli_args_free(cli_args *a);
/* Value of option `key` (aliases separated by '|', e.g. "min_dist|min-dist"), or NULL. */
const char *cli_opt(cli_args *a, const char *key);
int cli_opt_bool(cli_args *a, const char *key, int dflt, int *out);
int cli_opt_double(cli_args *a, const char *key, double dflt, double *out);
int cli_opt_int(cli_args *a, const char *key, int dflt, int *out);
/* Report options that no command consumed; returns non-zero if any. */
int cli_check_unused(cli_args *a, const char *cmd);

/* Read options for configuration files from --input_format, --type_order,
 * --absolute_types, --save_nonconverged.  Returns 0 on success. */
int cli_read_options(cli_args *a, mtp_read_options *opt, mtp_format *fmt, char ***type_map_storage);
void cli_free_type_map(char **type_map, int n);
/* Output format from --output_format (if given), else from the output file
 * name, else MLIP text .cfg.  Returns 0 on success. */
int cli_output_format(const char *cmd, const char *name, const char *out_path, mtp_format *fmt);

/* Print an error from the library: "mtp CMD: message". */
void cli_report(const char *cmd, const mtp_error *err);

/* 0 if the energy, forces [n_atoms*3] (may be NULL) and stress [6] (may be
 * NULL) are finite; else prints "mtp CMD: SRC: configuration INDEX+1: ..."
 * naming the quantity (and atom) and returns -1. */
int cli_check_finite(const char *cmd, const char *src, long index, double E, const double *F, int n_atoms,
                     const double *W);

/* 1 if all n values of x (may be NULL) are finite. */
int cli_all_finite(const double *x, long n);

/* Flushes and closes stdout; -1 (after a message) if any report written
 * there was lost, e.g. `mtp check_errors ... > /dev/full`. */
int cli_finish_stdout(const char *cmd);

/* On SIGINT/SIGTERM/SIGHUP/SIGPIPE, remove the temporaries of outputs not yet
 * committed, then die of the signal (cli/signals.c). */
void cli_install_cleanup_handlers(void);

/* One command: name, one-line summary, usage text, entry point. */
typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *help;
    int (*run)(const char *name, cli_args *a);
} cli_command;

int cmd_calculate_efs(const char *name, cli_args *a);
int cmd_check_errors(const char *name, cli_args *a);
int cmd_convert(const char *name, cli_args *a);
int cmd_mindist(const char *name, cli_args *a);
int cmd_init(const char *name, cli_args *a);
int cmd_calculate_grade(const char *name, cli_args *a);
int cmd_select(const char *name, cli_args *a);
int cmd_train(const char *name, cli_args *a);
int cmd_cut_extrapolative_nbh(const char *name, cli_args *a);
extern const char HELP_CUT_EXTRAPOLATIVE_NBH[];
extern const char HELP_TRAIN[];

extern const char HELP_CALCULATE_GRADE[], HELP_SELECT[];
int cmd_select_add(const char *name, cli_args *a);
int cmd_search(const char *name, cli_args *a);
extern const char HELP_SELECT_ADD[];
extern const char HELP_SEARCH[];
int cmd_prune(const char *name, cli_args *a);
extern const char HELP_PRUNE[];

extern const char HELP_CALCULATE_EFS[], HELP_CHECK_ERRORS[], HELP_CONVERT[], HELP_MINDIST[], HELP_INIT[];

/* Errors of predicted energies/forces/stresses against reference data
 * (check_errors and the trainer's report). */
typedef struct err_acc {
    long n;
    double max, sum, sum2;    /* of |difference| */
    double ref_max, ref_sum2; /* of |reference| */
    double comp_sum, comp_sum2;
    long comp_n;              /* component-wise MAE/RMSE */
} err_acc;

typedef struct efs_errors {
    err_acc energy, energy_per_atom, forces, stress, virial_gpa;
    /* reference values the fit ignores (weight 0), left out of the errors */
    long left_out_energies, left_out_forces, left_out_stresses; /* configurations, atoms, configurations */
} efs_errors;

void efs_errors_init(efs_errors *e);
/* Add one configuration: reference `ref`, prediction E, F, W (eV).  What
 * the fit ignores is left out and counted: the energy of a configuration
 * with energy weight 0, its stress with stress weight 0, the force of an
 * atom with weight 0 (mtp_cfg_fit_weights: EnergyWeight, StressWeight,
 * ForceWeight, Weight features, force_weight column).  The caller checks
 * the weights first (mtp_cfg_fit_weights); invalid ones count as 1 here. */
void efs_errors_add(efs_errors *e, const mtp_cfg *ref, double E, const double *F, const double *W);
/* The same, also writing every compared value (reference, predicted,
 * difference) as one row of the parity data to `values` (if non-NULL), for
 * configuration `cfg_number` (1-based); efs_errors_values_header writes the
 * file's header.  Format: docs/formats.md, "Parity data". */
void efs_errors_add_values(efs_errors *e, const mtp_cfg *ref, double E, const double *F, const double *W,
                           FILE *values, long cfg_number);
void efs_errors_values_header(FILE *fp, const char *pot, const char *db);

/* Runs `PYTHON -m openmtp.plot ARGS...` (cli/plot.c) with the openmtp package
 * of this installation or build tree on PYTHONPATH; PYTHON is $OPENMTP_PYTHON,
 * else the interpreter found at configure time.  0 if it exited with status
 * 0, else -1 after a message naming what failed. */
int cli_run_plot(const char *cmd, const char *const *args);
/* Runs a whole command that lives in the Python package (`mtp search` is
 * `python3 -m openmtp.search`), found as for plots; returns its exit status
 * (1 with a message if it could not be started). */
int cli_run_python_command(const char *cmd, const char *module, const char *const *args);
/* The report of MLIP's check_errors, then MAE/RMSE in customary units,
 * then (only if something was left out) one line saying what was. */
void efs_errors_print(FILE *fp, const efs_errors *e);

#endif
