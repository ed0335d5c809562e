/* SPDX-License-Identifier: BSD-3-Clause */
/* Checks on what the commands are about to hand to the user: computed results
 * must be finite, and stdout (where reports go) must really have been written. */
#include "cli.h"

#include <math.h>

int cli_check_finite(const char *cmd, const char *src, long index, double E, const double *F, int n_atoms,
                     const double *W)
{
    const char *what = NULL;
    int atom = -1;
    if (!isfinite(E)) what = "energy";
    for (int i = 0; !what && F && i < n_atoms; i++)
        if (!isfinite(F[3 * i]) || !isfinite(F[3 * i + 1]) || !isfinite(F[3 * i + 2])) {
            what = "force";
            atom = i;
        }
    for (int k = 0; !what && W && k < 6; k++)
        if (!isfinite(W[k])) what = "stress";
    if (!what) return 0;
    if (atom >= 0)
        fprintf(stderr, "mtp %s: %s: configuration %ld: non-finite %s on atom %d (the potential overflows here)\n",
                cmd, src, index + 1, what, atom + 1);
    else
        fprintf(stderr, "mtp %s: %s: configuration %ld: non-finite %s (the potential overflows here)\n", cmd, src,
                index + 1, what);
    return -1;
}

int cli_all_finite(const double *x, long n)
{
    for (long i = 0; x && i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

int cli_finish_stdout(const char *cmd)
{
    int bad = fflush(stdout) != 0;
    if (ferror(stdout)) bad = 1;
    if (fclose(stdout) != 0) bad = 1;
    if (bad) {
        fprintf(stderr, "mtp %s: writing to standard output failed\n", cmd);
        return -1;
    }
    return 0;
}
