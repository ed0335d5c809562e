/* SPDX-License-Identifier: BSD-3-Clause */
/* mtp_select_add (openmtp/openmtp_train.h) against `mtp select_add` on
 * MLIP-3's select_add example: the same configurations written (byte for
 * byte, as the command writes them) and the same selection log, in the
 * MLIP-3 form and the batch form; a chosen callback's error ends the
 * selection with it; invalid options are refused.
 * Usage: test_select_api MTP SHARED_DATA WORKDIR */
#include <openmtp/openmtp.h>
#include <openmtp/openmtp_train.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "testutil.h"

typedef struct sink {
    FILE *out, *log;
    const char *out_name;
    int calls, fail_at;
} sink;

static mtp_status chosen(void *user, const mtp_cfg *cfg, int file, long index, double grade, mtp_error *err)
{
    sink *s = user;
    if (++s->calls == s->fail_at) {
        err->status = MTP_ERR_IO;
        snprintf(err->message, sizeof err->message, "test: refusing configuration %d:%ld", file, index);
        return MTP_ERR_IO;
    }
    mtp_write_options wo = {0, 1, NULL, 0};
    return s->out ? mtp_write_cfg(s->out, s->out_name, cfg, MTP_FORMAT_CFG, &wo, err) : MTP_OK;
}

static void on_log(void *user, int kind, const char *text)
{
    sink *s = user;
    if (s->log) fputs(text, s->log);
}

/* The API run: active set from the potential, selection, output and log files. */
static mtp_status select_api(const char *pot_path, const char *train, const char *const *cands, int nc, int max,
                             const char *out, const char *log, int fail_at, long *count, mtp_error *err)
{
    mtp_potential *pot = NULL;
    mtp_active_set *as = NULL;
    sink s = {fopen(out, "w"), fopen(log, "w"), out, 0, fail_at};
    mtp_select_options o;
    mtp_select_options_default(&o);
    o.max = max;
    o.threads = 2;
    o.chosen = chosen, o.message = on_log, o.user = &s;
    mtp_status st = mtp_potential_read(pot_path, &pot, err);
    if (!st) st = mtp_active_set_load(pot, &as, err);
    if (!st) st = mtp_select_add(as, pot, train, cands, nc, MTP_FORMAT_AUTO, NULL, &o, count, err);
    fclose(s.out), fclose(s.log);
    mtp_active_set_destroy(as);
    mtp_potential_destroy(pot);
    return st;
}

/* the lines of `log` that start with one of the prefixes, into out */
static void grep_lines(const char *log, const char *out, const char *p1, const char *p2)
{
    FILE *f = fopen(log, "r"), *g = fopen(out, "w");
    char line[4096];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, p1, strlen(p1)) || (p2 && !strncmp(line, p2, strlen(p2)))) fputs(line, g);
    if (f) fclose(f);
    fclose(g);
}

int main(int argc, char **argv)
{
    if (argc < 4) return 2;
    const char *mtp = argv[1], *data = argv[2], *work = argv[3];
    char ex[4096], pot[4096], train[4096], pre[4096], p1[4096], p2[4096], p3[4096], p4[4096];
    snprintf(ex, sizeof ex, "%s/mlip3/examples/select_add", data);
    snprintf(pot, sizeof pot, "%s/pot.almtp", ex);
    snprintf(train, sizeof train, "%s/train.cfg", ex);
    snprintf(pre, sizeof pre, "%s/preselected.cfg", ex);
    if (!tu_exists(pot)) {
        printf("SKIP: %s not found\n", pot);
        return 77;
    }
    mkdir(work, 0777);
    mtp_error err;
    const char *one[1] = {pre}, *two[2] = {pre, train};
    long count = -1;

    /* MLIP-3 form */
    CHECK(tu_run("%s select_add %s %s %s %s/cli.cfg --log=%s/cli.log > %s/cli.out", mtp, pot, train, pre, work, work,
              work) == 0,
          "mtp select_add");
    snprintf(p1, sizeof p1, "%s/cli.cfg", work);
    snprintf(p2, sizeof p2, "%s/api.cfg", work);
    snprintf(p3, sizeof p3, "%s/api.log", work);
    CHECK_OK(select_api(pot, train, one, 1, 0, p2, p3, 0, &count, &err), err);
    CHECK(tu_same_file(p1, p2), "MLIP-3 form: %s and %s differ", p1, p2);
    snprintf(p1, sizeof p1, "%s/cli.log", work);
    /* the command's log starts with a line of its own; compare the selection lines */
    snprintf(p4, sizeof p4, "%s/cli.sel", work);
    grep_lines(p1, p4, "selection from ", "selected ");
    snprintf(p1, sizeof p1, "%s/api.sel", work);
    grep_lines(p3, p1, "selection from ", "selected ");
    CHECK(tu_same_file(p1, p4), "MLIP-3 form: the selection logs differ (%s, %s)", p1, p4);
    CHECK(count == 2, "MLIP-3's example adds 2 configurations (got %ld)", count);

    /* batch form, two files */
    CHECK(tu_run("%s select_add %s %s %s %s %s/clib.cfg --max=3 --threads=2 --log=%s/clib.log > %s/clib.out", mtp, pot,
              train, pre, train, work, work, work) == 0,
          "mtp select_add --max=3");
    snprintf(p1, sizeof p1, "%s/clib.cfg", work);
    snprintf(p2, sizeof p2, "%s/apib.cfg", work);
    snprintf(p3, sizeof p3, "%s/apib.log", work);
    long cb = -1;
    CHECK_OK(select_api(pot, train, two, 2, 3, p2, p3, 0, &cb, &err), err);
    CHECK(tu_same_file(p1, p2), "batch form: %s and %s differ", p1, p2);
    snprintf(p1, sizeof p1, "%s/clib.log", work);
    snprintf(p4, sizeof p4, "%s/clib.sel", work);
    grep_lines(p1, p4, "chosen ", "pass ");
    snprintf(p1, sizeof p1, "%s/apib.sel", work);
    grep_lines(p3, p1, "chosen ", "pass ");
    CHECK(tu_same_file(p1, p4), "batch form: the logs differ (%s, %s)", p1, p4);
    printf("MLIP-3 form: %ld chosen; batch form: %ld chosen\n", count, cb);
    CHECK(cb >= 1 && cb <= 3, "batch count %ld", cb);

    /* a failing chosen callback ends the selection with its error */
    CHECK(select_api(pot, train, one, 1, 0, p2, p3, 1, &count, &err) == MTP_ERR_IO &&
              strstr(err.message, "test: refusing"),
          "callback error: %s", err.message);
    /* invalid arguments */
    {
        mtp_potential *p = NULL;
        mtp_active_set *as = NULL;
        CHECK_OK(mtp_potential_read(pot, &p, &err), err);
        CHECK_OK(mtp_active_set_load(p, &as, &err), err);
        mtp_select_options o;
        mtp_select_options_default(&o);
        CHECK(mtp_select_add(as, p, train, two, 2, MTP_FORMAT_AUTO, NULL, &o, NULL, &err) == MTP_ERR_INVALID &&
                  strstr(err.message, "batch form"),
              "several files need max: %s", err.message);
        o.threshold = 0.5;
        CHECK(mtp_select_add(as, p, train, one, 1, MTP_FORMAT_AUTO, NULL, &o, NULL, &err) == MTP_ERR_INVALID,
              "threshold <= 1");
        mtp_select_options_default(&o);
        const char *missing[1] = {"/nonexistent/cands.cfg"};
        CHECK(mtp_select_add(as, p, train, missing, 1, MTP_FORMAT_AUTO, NULL, &o, NULL, &err) != MTP_OK &&
                  strstr(err.message, "/nonexistent/cands.cfg"),
              "missing candidates named: %s", err.message);
        CHECK(mtp_select_add(NULL, p, train, one, 1, MTP_FORMAT_AUTO, NULL, &o, NULL, &err) == MTP_ERR_INVALID,
              "NULL active set");
        mtp_active_set_destroy(as);
        mtp_potential_destroy(p);
    }
    printf("%d checks, %d failures\n", tu_checks, tu_failures);
    return tu_failures ? 1 : 0;
}
