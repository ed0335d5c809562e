/* SPDX-License-Identifier: BSD-3-Clause */
/* Minimal test helpers: checks that count failures and keep going. */
#ifndef MTP_TESTUTIL_H
#define MTP_TESTUTIL_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int tu_failures = 0, tu_checks = 0;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        tu_checks++;                                                          \
        if (!(cond)) {                                                        \
            tu_failures++;                                                    \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

#define CHECK_OK(st, err) CHECK((st) == MTP_OK, "status %d: %s", (int)(st), (err).message)

static inline int tu_close(double a, double b, double rel, double abs_tol)
{
    return fabs(a - b) <= abs_tol + rel * fmax(fabs(a), fabs(b));
}

static inline int tu_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Exit 77 (ctest: skipped) when the shared reference data is absent. */
static inline const char *tu_data_dir(int argc, char **argv, const char *probe)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/data";
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, probe);
    if (!tu_exists(path)) {
        printf("SKIP: reference data not found at %s (expected ../shared/data beside the repository)\n", path);
        exit(77);
    }
    return dir;
}

static inline int tu_finish(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, tu_checks, tu_failures);
    return tu_failures ? 1 : 0;
}

/* Deterministic pseudo-random numbers in [-1, 1). */
static unsigned long long tu_rng_state = 88172645463325252ULL;
static inline double tu_rand(void)
{
    tu_rng_state ^= tu_rng_state << 13;
    tu_rng_state ^= tu_rng_state >> 7;
    tu_rng_state ^= tu_rng_state << 17;
    return (double)(tu_rng_state >> 11) / 4503599627370496.0 - 1.0;
}

/* Run a shell command (printed first, as "+ cmd"); its exit status, -1 if it
 * did not exit normally. */
static int tu_run(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static int tu_run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    printf("+ %s\n", cmd);
    fflush(stdout);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* 1 if both files exist and have the same bytes */
static inline int tu_same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

#ifdef OPENMTP_H
/* The training tests' small data set: every 12th configuration of
 * SHARED_DATA/mlearn/Si/train.cfg (18 of them) into *slice (shallow copies of
 * (*all)[k]; free *slice, then each of (*all)[0..*n_all) and *all).  Prints
 * SKIP and returns 77 when the data are absent, else 0; creates work/. */
static inline int tu_mlearn_si_slice(const char *data, const char *work, mtp_cfg **all, int *n_all,
                                     mtp_cfg **slice, int *n_slice)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/mlearn/Si/train.cfg", data);
    mtp_error err;
    *all = NULL, *n_all = 0, *slice = NULL, *n_slice = 0;
    if (mtp_read_cfgs(path, MTP_FORMAT_AUTO, NULL, all, n_all, &err)) {
        printf("SKIP: %s\n", err.message);
        return 77;
    }
    mkdir(work, 0777);
    *slice = malloc((size_t)*n_all * sizeof **slice);
    for (int k = 0; k < *n_all; k += 12) (*slice)[(*n_slice)++] = (*all)[k];
    return 0;
}
#endif

#endif
