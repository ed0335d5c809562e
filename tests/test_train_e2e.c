/* SPDX-License-Identifier: BSD-3-Clause */
/* End-to-end `mtp train`: a level-8 MTP trained on a slice of the mlearn Si
 * set must reach test errors below fixed thresholds; checkpoint/resume; and
 * (if built with MPI and mpirun exists) 1 vs 2 ranks give the same loss.
 * Usage: test_train_e2e MTP SHARED_DATA WORKDIR [MPIRUN] */
#include <openmtp/openmtp.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "testutil.h"

static const char *mtp, *work;

/* "# final loss X" from a log */
static double final_loss(const char *log)
{
    FILE *f = fopen(log, "r");
    if (!f) return -1;
    char line[4096];
    double L = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "# final loss ", 13)) L = atof(line + 13);
    fclose(f);
    return L;
}
static int log_has(const char *log, const char *s)
{
    FILE *f = fopen(log, "r");
    if (!f) return 0;
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, f)) found |= strstr(line, s) != NULL;
    fclose(f);
    return found;
}

/* MAE of energy per atom and of force components of pot on cfgs */
static int mae(const char *pot_path, const mtp_cfg *c, int n, double *ea, double *fa)
{
    mtp_error err;
    mtp_potential *pot;
    mtp_calculator *calc;
    if (mtp_potential_read(pot_path, &pot, &err) || mtp_calculator_create(pot, &calc, &err)) {
        printf("%s\n", err.message);
        return 1;
    }
    double se = 0, sf = 0;
    long nf = 0;
    for (int k = 0; k < n; k++) {
        double E, W[6], *F = malloc(3 * sizeof(double) * (size_t)c[k].n_atoms);
        if (mtp_compute(calc, &c[k], &E, F, W, NULL, NULL, &err)) return 1;
        se += fabs(E - c[k].energy) / c[k].n_atoms;
        for (int x = 0; x < 3 * c[k].n_atoms; x++, nf++) sf += fabs(F[x] - c[k].forces[x]);
        free(F);
    }
    *ea = se / n, *fa = sf / nf;
    mtp_calculator_destroy(calc);
    mtp_potential_destroy(pot);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) return 2;
    mtp = argv[1];
    const char *data = argv[2];
    work = argv[3];
    const char *mpirun = argc > 4 && argv[4][0] ? argv[4] : NULL;
    char path[4096], tr[4096], te[4096], init[4096];
    snprintf(path, sizeof path, "%s/mlearn/Si/train.cfg", data);
    mtp_error err;
    mtp_cfg *all = NULL, *test = NULL;
    int n = 0, nt = 0;
    if (mtp_read_cfgs(path, MTP_FORMAT_AUTO, NULL, &all, &n, &err)) {
        printf("SKIP: %s\n", err.message);
        return 77;
    }
    snprintf(path, sizeof path, "%s/mlearn/Si/test.cfg", data);
    CHECK_OK(mtp_read_cfgs(path, MTP_FORMAT_AUTO, NULL, &test, &nt, &err), err);
    mkdir(work, 0777);
    /* every 5th configuration of the training set (43 cfgs) */
    int ns = 0;
    mtp_cfg *sl = malloc((size_t)n * sizeof *sl);
    for (int k = 0; k < n; k += 5) sl[ns++] = all[k];
    snprintf(tr, sizeof tr, "%s/train.cfg", work);
    snprintf(te, sizeof te, "%s/test.cfg", work);
    snprintf(init, sizeof init, "%s/init.almtp", work);
    CHECK_OK(mtp_write_cfgs(tr, sl, ns, MTP_FORMAT_CFG, NULL, 0, &err), err);
    CHECK_OK(mtp_write_cfgs(te, test, nt, MTP_FORMAT_CFG, NULL, 0, &err), err);
    CHECK(tu_run("%s init --level 8 --species 0 --cutoff 5.0 -o %s > /dev/null", mtp, init) == 0, "init");

    /* 1. default optimiser reaches the accuracy threshold */
    CHECK(tu_run("OMP_NUM_THREADS=2 %s train %s %s --save_to=%s/vp.almtp --iteration_limit=60 --checkpoint_interval=0 "
              "--log=%s/vp.log > /dev/null",
              mtp, init, tr, work, work) == 0,
          "train varpro");
    double ea, fa;
    snprintf(path, sizeof path, "%s/vp.almtp", work);
    if (!mae(path, test, nt, &ea, &fa)) {
        printf("varpro, level 8, %d training cfgs: test MAE E %.2f meV/atom, F %.4f eV/A\n", ns, 1e3 * ea, fa);
        CHECK(ea < 25e-3, "energy MAE %g", ea);
        CHECK(fa < 0.18, "force MAE %g", fa);
    } else
        CHECK(0, "evaluation of the trained potential");
    snprintf(path, sizeof path, "%s/vp.log", work);
    CHECK(log_has(path, "# checkpoint written to"), "checkpoint written during training");
    CHECK(log_has(path, "# rescale: scaling"), "rescale ran");
    double L1 = final_loss(path);
    CHECK(L1 > 0, "final loss reported");

    /* 2. a trained potential as INIT: training continues from it (not from
     * scratch); a potential is not a checkpoint (--resume refuses it, since
     * it holds no optimiser state) */
    CHECK(tu_run("OMP_NUM_THREADS=2 %s train %s/vp.almtp %s --save_to=%s/res.almtp --iteration_limit=5 --log=%s/res.log > "
              "/dev/null",
              mtp, work, tr, work, work) == 0,
          "train on from a trained potential");
    snprintf(path, sizeof path, "%s/res.log", work);
    double L2 = final_loss(path);
    printf("loss after training %.10g, after 5 more steps from the trained potential %.10g\n", L1, L2);
    CHECK(L2 > 0 && L2 <= L1 * (1 + 1e-9), "training on from a trained potential does not start over");
    CHECK(tu_run("cp %s/vp.almtp %s/res2.almtp.checkpoint", work, work) == 0, "cp");
    CHECK(tu_run("OMP_NUM_THREADS=2 %s train %s %s --save_to=%s/res2.almtp --resume --iteration_limit=5 --log=none "
              "2> %s/res2.err",
              mtp, init, tr, work, work) != 0,
          "--resume refuses a potential as checkpoint");
    snprintf(path, sizeof path, "%s/res2.err", work);
    CHECK(log_has(path, "expected 'openmtp_train_checkpoint 1'"), "the refusal says what a checkpoint is");

    /* 3. MLIP-compatible optimiser still works (short) */
    CHECK(tu_run("OMP_NUM_THREADS=2 %s train %s %s --save_to=%s/bf.almtp --optimizer=bfgs --iteration_limit=5 "
              "--log=%s/bf.log > /dev/null",
              mtp, init, tr, work, work) == 0,
          "train bfgs");

    /* 4. MPI: 1 and 2 ranks give the same loss */
#ifdef OPENMTP_HAVE_MPI
    if (mpirun) {
        const char *mf = "--allow-run-as-root --oversubscribe";
        for (int np = 1; np <= 2; np++)
            CHECK(tu_run("OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 %s %s -np %d %s train %s %s --save_to=%s/mpi%d.almtp "
                      "--iteration_limit=4 --log=%s/mpi%d.log > %s/mpi%d.out 2>&1",
                      mpirun, mf, np, mtp, init, tr, work, np, work, np, work, np) == 0,
                  "mpirun -np %d", np);
        snprintf(path, sizeof path, "%s/mpi1.log", work);
        double a = final_loss(path);
        snprintf(path, sizeof path, "%s/mpi2.log", work);
        double b = final_loss(path);
        printf("MPI: loss with 1 rank %.17g, 2 ranks %.17g, relative difference %.3g\n", a, b, fabs(a - b) / a);
        CHECK(a > 0 && b > 0 && fabs(a - b) <= 1e-10 * a, "1 vs 2 ranks");
        CHECK(log_has(path, "2 MPI rank(s)"), "2 ranks used");
    } else
        printf("MPI test skipped: no mpirun\n");
#else
    (void)mpirun;
    printf("MPI test skipped: built without MPI\n");
#endif
    free(sl);
    mtp_free_cfgs(all, n);
    mtp_free_cfgs(test, nt);
    return tu_finish("train_e2e");
}
