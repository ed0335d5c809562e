/* SPDX-License-Identifier: BSD-3-Clause */
/* The public training interface (openmtp/openmtp_train.h, libopenmtp_train):
 *   1. mtp_train + mtp_active_set_select on a slice of mlearn Si give the
 *      byte-identical potential file that `mtp train` writes for the same
 *      options and seed (the command is a thin user of the interface);
 *   2. the library prints nothing (stdout and stderr stay empty), notes
 *      come through the message callback, every step through progress;
 *   3. a progress callback that asks to stop stops after that step, the
 *      result says so, a checkpoint is left, and resuming it gives the
 *      bit-identical parameters of the uninterrupted run;
 *   4. errors: NULL arguments, bad options, resume without checkpoint.
 * Usage: test_train_api MTP SHARED_DATA WORKDIR */
#include <openmtp/openmtp.h>
#include <openmtp/openmtp_train.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

typedef struct seen {
    int steps, last_iteration, stop_at, notes, rescale_note, bad_progress;
} seen;

static int on_progress(void *user, const mtp_train_progress *p)
{
    seen *s = user;
    s->steps++;
    if (!(p->iteration >= 1 && p->loss > 0 && p->elapsed >= 0 && p->evaluations > 0 && p->rmse_force > 0))
        s->bad_progress++;
    s->last_iteration = p->iteration;
    char line[1024];
    if (mtp_train_progress_format(p, line, sizeof line) <= 0 || !strstr(line, " iter ")) s->bad_progress++;
    return s->stop_at > 0 && p->iteration == s->stop_at;
}

static void on_message(void *user, int kind, const char *text)
{
    seen *s = user;
    s->notes++;
    if (kind == MTP_TRAIN_NOTE && strstr(text, "# rescale: scaling")) s->rescale_note = 1;
}

/* Train a fresh copy of `init` through the interface. */
static mtp_status train_api(const char *init, const mtp_cfg *cfgs, int n, mtp_train_options *o,
                            mtp_potential **out, mtp_train_result *res, mtp_error *err)
{
    mtp_status st = mtp_potential_read(init, out, err);
    if (!st) st = mtp_train(*out, cfgs, n, NULL, 0, o, res, err);
    return st;
}

static int same_params(const mtp_potential *a, const mtp_potential *b)
{
    int n = mtp_potential_param_count(a);
    if (n != mtp_potential_param_count(b)) return 0;
    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
    mtp_error err;
    int same = !mtp_potential_get_params(a, x, &err) && !mtp_potential_get_params(b, y, &err) &&
               memcmp(x, y, sizeof(double) * n) == 0 &&
               mtp_potential_get_info(a).scaling == mtp_potential_get_info(b).scaling;
    free(x), free(y);
    return same;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s MTP SHARED_DATA WORKDIR\n", argv[0]);
        return 2;
    }
    const char *mtp = argv[1], *data = argv[2], *work = argv[3];
    char tr[4096], init[4096], cli_pot[4096], api_pot[4096], ckpt[4096];
    mtp_error err;
    mtp_cfg *all, *sl;
    int n, ns;
    if (tu_mlearn_si_slice(data, work, &all, &n, &sl, &ns)) return 77; /* 18 configurations */
    snprintf(tr, sizeof tr, "%s/train.cfg", work);
    snprintf(init, sizeof init, "%s/init.almtp", work);
    snprintf(cli_pot, sizeof cli_pot, "%s/cli.almtp", work);
    snprintf(api_pot, sizeof api_pot, "%s/api.almtp", work);
    snprintf(ckpt, sizeof ckpt, "%s/stop.checkpoint", work);
    CHECK_OK(mtp_write_cfgs(tr, sl, ns, MTP_FORMAT_CFG, NULL, 0, &err), err);
    CHECK(tu_run("%s init --level 8 --species 0 --cutoff 5.0 -o %s > /dev/null", mtp, init) == 0, "init");
    mtp_cfg *cfgs = NULL;
    int nc = 0;
    CHECK_OK(mtp_read_cfgs(tr, MTP_FORMAT_AUTO, NULL, &cfgs, &nc, &err), err);

    /* 1. the command and the interface: the same file */
    for (int opt = 0; opt < 2; opt++) {
        CHECK(tu_run("OMP_NUM_THREADS=2 %s train %s %s --save_to=%s --iteration_limit=10 --seed=3 --init_random "
                  "--energy_weight=5 %s --log=none > %s/cli.out",
                  mtp, init, tr, cli_pot, opt ? "--optimizer=bfgs" : "", work) == 0,
              "mtp train");
        mtp_train_options o;
        mtp_train_options_default(&o);
        o.iteration_limit = 10, o.seed = 3, o.init_random = 1, o.energy_weight = 5;
        o.optimizer = opt ? MTP_TRAIN_BFGS : MTP_TRAIN_VARPRO;
        seen s = {0};
        o.progress = on_progress, o.message = on_message, o.user = &s;
        mtp_potential *pot = NULL;
        mtp_train_result res;
        /* the library prints nothing: stdout and stderr into files */
        char so[4096], se[4096];
        snprintf(so, sizeof so, "%s/stdout.txt", work);
        snprintf(se, sizeof se, "%s/stderr.txt", work);
        fflush(stdout), fflush(stderr);
        int keep_out = dup(1), keep_err = dup(2);
        FILE *fo = fopen(so, "w"), *fe = fopen(se, "w");
        dup2(fileno(fo), 1), dup2(fileno(fe), 2);
        mtp_status st = train_api(init, cfgs, nc, &o, &pot, &res, &err);
        mtp_active_set_options aso = {MTP_GRADE_CONFIGURATION, 0, 0, -1, 1}; /* fresh_inverse, as mtp train */
        int nsel = 0;
        if (!st) st = mtp_active_set_select(pot, cfgs, nc, &aso, &nsel, &err);
        if (!st) st = mtp_potential_write(pot, api_pot, &err);
        fflush(stdout), fflush(stderr);
        dup2(keep_out, 1), dup2(keep_err, 2);
        close(keep_out), close(keep_err), fclose(fo), fclose(fe);
        CHECK_OK(st, err);
        CHECK(file_size(so) == 0 && file_size(se) == 0, "the library printed (stdout %ld, stderr %ld bytes)",
              file_size(so), file_size(se));
        CHECK(tu_same_file(cli_pot, api_pot), "%s: mtp train and mtp_train differ (%s, %s)", opt ? "bfgs" : "varpro",
              cli_pot, api_pot);
        CHECK(s.steps > 0 && s.bad_progress == 0, "progress: %d calls, %d bad", s.steps, s.bad_progress);
        CHECK(s.rescale_note, "the notes came through the message callback");
        CHECK(!st && res.iterations > 0 && !res.stopped && res.loss > 0 && res.rmse_force > 0, "result");
        printf("%s: %d progress calls, %d messages, %d iterations, loss %.10g, %d configurations selected\n",
               opt ? "bfgs" : "varpro", s.steps, s.notes, res.iterations, res.loss, nsel);
        mtp_potential_destroy(pot);
    }

    /* 3. a clean stop leaves a checkpoint that resumes to the uninterrupted result */
    {
        mtp_train_options o;
        mtp_train_options_default(&o);
        o.iteration_limit = 10;
        seen s = {0};
        o.progress = on_progress, o.user = &s;
        mtp_potential *full = NULL, *part = NULL, *resumed = NULL;
        mtp_train_result rf, rp, rr;
        CHECK_OK(train_api(init, cfgs, nc, &o, &full, &rf, &err), err);
        unlink(ckpt);
        o.checkpoint_path = ckpt;
        o.checkpoint_interval = 1e9; /* only the one written at the stop */
        s = (seen){.stop_at = 4};
        CHECK_OK(train_api(init, cfgs, nc, &o, &part, &rp, &err), err);
        CHECK(rp.stopped == 1 && s.last_iteration == 4, "stopped at step %d (stopped %d)", s.last_iteration,
              rp.stopped);
        CHECK(tu_exists(ckpt), "a checkpoint is left at the stop");
        CHECK(part && !same_params(part, full), "the stopped run is not the finished one");
        s = (seen){0};
        o.resume = 1;
        CHECK_OK(train_api(init, cfgs, nc, &o, &resumed, &rr, &err), err);
        CHECK(rr.stopped == 0 && s.steps > 0, "the resumed run went on (%d steps)", s.steps);
        CHECK(resumed && same_params(resumed, full), "resumed run == uninterrupted run (bit-identical)");
        CHECK(rr.iterations == rf.iterations, "iterations %d vs %d", rr.iterations, rf.iterations);
        printf("stop at 4, resume: %d iterations, loss %.17g vs uninterrupted %.17g\n", rr.iterations, rr.loss,
               rf.loss);
        mtp_potential_destroy(full), mtp_potential_destroy(part), mtp_potential_destroy(resumed);
    }

    /* 4. errors, with messages */
    {
        mtp_train_options o;
        mtp_train_options_default(&o);
        mtp_potential *pot = NULL;
        CHECK_OK(mtp_potential_read(init, &pot, &err), err);
        CHECK(mtp_train(NULL, cfgs, nc, NULL, 0, &o, NULL, &err) == MTP_ERR_INVALID && err.message[0], "NULL pot");
        mtp_train_result r4 = {.iterations = 77, .stopped = 1};
        CHECK(mtp_train(pot, cfgs, 0, NULL, 0, &o, &r4, &err) == MTP_ERR_INVALID && r4.iterations == 0 &&
                  r4.stopped == 0,
              "no configurations (and a zeroed result)");
        o.energy_weight = -1;
        CHECK(mtp_train_check_options(&o, &err) == MTP_ERR_INVALID && strstr(err.message, "energy_weight"),
              "bad option named: %s", err.message);
        CHECK(mtp_train(pot, cfgs, nc, NULL, 0, &o, NULL, &err) == MTP_ERR_INVALID &&
                  strstr(err.message, "energy_weight"),
              "mtp_train refuses the option: %s", err.message);
        mtp_train_options_default(&o);
        o.resume = 1;
        CHECK(mtp_train(pot, cfgs, nc, NULL, 0, &o, NULL, &err) == MTP_ERR_INVALID, "resume without a path");
        o.checkpoint_path = "/nonexistent/dir/x.checkpoint";
        CHECK(mtp_train(pot, cfgs, nc, NULL, 0, &o, NULL, &err) != MTP_OK && err.message[0],
              "resume from a missing checkpoint: %s", err.message);
        char fp[17];
        CHECK(mtp_train_fingerprint_file(init, fp, &err) == MTP_OK && strlen(fp) == 16, "fingerprint");
        CHECK(mtp_train_fingerprint_file("/nonexistent", fp, &err) == MTP_ERR_IO, "fingerprint of a missing file");
        mtp_potential_destroy(pot);
    }
    mtp_free_cfgs(cfgs, nc);
    mtp_free_cfgs(all, n);
    free(sl);
    printf("%d checks, %d failures\n", tu_checks, tu_failures);
    return tu_failures ? 1 : 0;
}
