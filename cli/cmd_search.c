/* SPDX-License-Identifier: BSD-3-Clause */
/* `mtp search`: the hyperparameter search of python/openmtp/search.py (it
 * runs `mtp init`, `mtp train` and `mtp check_errors` for every candidate and
 * times the kernel through libopenmtp), started with this mtp's package. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

const char HELP_SEARCH[] =
    "mtp search TRAIN.cfg --workdir=DIR --species=LIST [options]\n"
    "  Trains one MTP per combination of level x cutoff x radial basis size x\n"
    "  radial-function count on a training part of TRAIN.cfg, measures its\n"
    "  errors on the validation part and its evaluation cost (us/atom, energy +\n"
    "  forces, one core), and writes DIR/search.tsv, DIR/search.png (validation\n"
    "  error against cost, Pareto front, chosen model) and DIR/chosen.almtp.\n"
    "  Running it again after an interruption redoes only unfinished candidates.\n"
    "  --valid=FILE | --valid_fraction=0.1 | --kfold=K   validation data\n"
    "  --levels=8,12,16 --cutoffs=5.0 --radial_basis_sizes=8\n"
    "  --radial_funcs=LIST        (default: each level's MLIP template)\n"
    "  --train_opts=\"...\"         options for every `mtp train`\n"
    "  --jobs=2                   candidates trained at once (one thread each)\n"
    "  --tolerance=0.1            chosen: the cheapest candidate whose score\n"
    "                             max(E/E_best, F/F_best) is within 10 % of the best\n"
    "  --seed=1                   of the split\n"
    "  Needs /usr/bin/python3 with python3-ase, python3-numpy and (for the\n"
    "  plot) python3-matplotlib.  Full description: python/openmtp/search.py.\n";

int cmd_search(const char *cmd, cli_args *a)
{
    /* hand everything through as given: the Python side checks it */
    size_t n = (size_t)a->n_pos + (size_t)a->n_opt;
    char **words = calloc(n + 1, sizeof *words);
    const char **args = calloc(n + 1, sizeof *args);
    int rc = 1;
    if (!words || !args) {
        fprintf(stderr, "mtp %s: out of memory\n", cmd);
        goto out;
    }
    size_t k = 0;
    for (int i = 0; i < a->n_pos; i++) args[k++] = a->pos[i];
    for (int i = 0; i < a->n_opt; i++) {
        size_t len = strlen(a->key[i]) + (a->val[i] ? strlen(a->val[i]) : 0) + 4;
        if (!(words[i] = malloc(len))) {
            fprintf(stderr, "mtp %s: out of memory\n", cmd);
            goto out;
        }
        if (a->val[i])
            snprintf(words[i], len, "--%s=%s", a->key[i], a->val[i]);
        else
            snprintf(words[i], len, "--%s", a->key[i]);
        a->used[i] = 1;
        args[k++] = words[i];
    }
    rc = cli_run_python_command(cmd, "openmtp.search", args);
out:
    if (words)
        for (int i = 0; i < a->n_opt; i++) free(words[i]);
    free(words);
    free(args);
    return rc;
}
