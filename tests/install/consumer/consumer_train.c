/* SPDX-License-Identifier: BSD-3-Clause */
/* A program outside the tree that trains through the installed
 * libopenmtp_train: a level-4 potential fitted to the energies of a few
 * Si dimers in a box, stopped by its progress callback after 3 steps. */
#include <openmtp/openmtp.h>
#include <openmtp/openmtp_train.h>
#include <stdio.h>

static int on_progress(void *user, const mtp_train_progress *p)
{
    int *steps = user;
    *steps = p->iteration;
    return p->iteration >= 3;
}

int main(int argc, char **argv)
{
    const char *cfg_path = argc > 1 ? argv[1] : "dimers.cfg";
    FILE *f = fopen(cfg_path, "w");
    if (!f) return 1;
    for (int k = 0; k < 6; k++) {
        double d = 2.0 + 0.15 * k, e = 2.0 * (1.0 - 2.3 / d) * (1.0 - 2.3 / d) - 1.0;
        fprintf(f, "BEGIN_CFG\n Size\n 2\n Supercell\n 8 0 0\n 0 8 0\n 0 0 8\n"
                   " AtomData: id type cartes_x cartes_y cartes_z\n 1 0 1 1 1\n 2 0 %.3f 1 1\n Energy\n %.6f\nEND_CFG\n\n",
                1.0 + d, e);
    }
    if (fclose(f)) return 1;
    mtp_basis_options bo = {4, 1, NULL, 1.5, 4.5, 6, 0};
    mtp_potential *pot;
    mtp_cfg *cfgs;
    int n, steps = 0;
    mtp_error err;
    mtp_train_options o;
    mtp_train_options_default(&o);
    o.iteration_limit = 20;
    o.progress = on_progress;
    o.user = &steps;
    mtp_train_result res;
    if (mtp_potential_generate(&bo, &pot, &err) || mtp_read_cfgs(cfg_path, MTP_FORMAT_AUTO, NULL, &cfgs, &n, &err) ||
        mtp_train(pot, cfgs, n, NULL, 0, &o, &res, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    printf("openmtp_train: %d configurations, %d steps%s, loss %.3g\n", n, res.iterations,
           res.stopped ? " (stopped by the callback)" : "", res.loss);
    int ok = res.stopped && res.iterations == 3 && steps == 3 && res.loss >= 0;
    mtp_free_cfgs(cfgs, n);
    mtp_potential_destroy(pot);
    return ok ? 0 : 1;
}
