/* SPDX-License-Identifier: BSD-3-Clause */
/* `mtp`: MLIP-compatible command-line front end of libopenmtp. */
#include "cli.h"

#include <string.h>

static const char HELP_HELP[] =
    "mtp help [COMMAND]\n"
    "  Without COMMAND: list the commands.  With COMMAND: its options.\n";

static const cli_command COMMANDS[] = {
    {"calculate_efs", "energies, forces and stresses of configurations", HELP_CALCULATE_EFS, cmd_calculate_efs},
    {"calculate_grade", "extrapolation grades against the stored active set", HELP_CALCULATE_GRADE,
     cmd_calculate_grade},
    {"check_errors", "errors of a potential against reference data", HELP_CHECK_ERRORS, cmd_check_errors},
    {"convert", "convert configurations between file formats", HELP_CONVERT, cmd_convert},
    {"cut_extrapolative_nbh", "cut the most extrapolative neighbourhoods out for labelling",
     HELP_CUT_EXTRAPOLATIVE_NBH, cmd_cut_extrapolative_nbh},
    {"mindist", "minimal interatomic distances of a dataset", HELP_MINDIST, cmd_mindist},
    {"init", "create an untrained potential of any level", HELP_INIT, cmd_init},
    {"select", "build the active set (MaxVol) over a training set", HELP_SELECT, cmd_select},
    {"select_add", "choose new training configurations among candidates (MaxVol)", HELP_SELECT_ADD, cmd_select_add},
    {"prune", "remove the basis functions that cost most and help least, refit", HELP_PRUNE, cmd_prune},
    {"search", "hyperparameter search: validation error against evaluation cost", HELP_SEARCH, cmd_search},
    {"train", "fit a potential to energies, forces and stresses", HELP_TRAIN, cmd_train},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void list_commands(FILE *fp)
{
    fprintf(fp, "OpenMTP %s - Moment Tensor Potentials (MLIP-compatible)\n\n"
                "usage: mtp COMMAND [ARGUMENTS] [--OPTION=VALUE ...]\n\ncommands:\n",
            mtp_version());
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(fp, "  %-21s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(fp, "  %-21s %s\n  %-21s %s\n\n", "help", "this list, or `mtp help COMMAND` for one command",
            "version", "print the version");
    fprintf(fp, "Every command that reads configurations accepts MLIP .cfg (text or binary),\n"
                "extended XYZ and the other formats of `mtp help convert`.\n");
}

static const cli_command *find(const char *name)
{
    /* MLIP-2 spelled commands with hyphens: accept both. */
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const char *a = COMMANDS[i].name, *b = name;
        while (*a && (*a == *b || (*a == '_' && *b == '-'))) a++, b++;
        if (!*a && !*b) return &COMMANDS[i];
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "list") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        list_commands(stdout);
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("mtp (OpenMTP) %s\n", mtp_version());
        return 0;
    }
    if (!strcmp(argv[1], "help")) {
        if (argc < 3) {
            list_commands(stdout);
            return 0;
        }
        if (!strcmp(argv[2], "help")) {
            fputs(HELP_HELP, stdout);
            return 0;
        }
        const cli_command *c = find(argv[2]);
        if (!c) {
            fprintf(stderr, "mtp help: unknown command '%s'\n", argv[2]);
            return 2;
        }
        fputs(c->help, stdout);
        return 0;
    }
    const cli_command *c = find(argv[1]);
    if (!c) {
        fprintf(stderr, "mtp: unknown command '%s' (run `mtp help` for the list)\n", argv[1]);
        return 2;
    }
    cli_install_cleanup_handlers();
    cli_args a;
    if (cli_parse(argc - 2, argv + 2, &a)) {
        fprintf(stderr, "mtp: out of memory\n");
        return 1;
    }
    int want_help = 0;
    for (int i = 0; i < a.n_opt; i++)
        if (!strcmp(a.key[i], "help")) want_help = 1;
    int rc;
    if (want_help) {
        fputs(c->help, stdout);
        rc = 0;
    } else {
        rc = c->run(c->name, &a);
    }
    if (cli_finish_stdout(c->name) && rc == 0) rc = 1;
    cli_args_free(&a);
    return rc;
}
