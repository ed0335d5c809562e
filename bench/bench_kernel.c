/* SPDX-License-Identifier: BSD-3-Clause */
/* µs per atom for energy + forces + virial, single core, periodic bcc cells
 * of 2000 atoms (~26 neighbours at a 5 A cutoff), levels 8/16/20/24 with 1
 * and 3 species.  Prints the ratio against the straightforward reference
 * evaluation (reference_eval.c) measured in the same run; the baseline is
 * timed on a subset of atoms and scaled per atom. */
#include "internal.h"
#include "reference_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU time of this thread: unlike wall time it does not count the time the
 * thread waits for a core on a loaded machine. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static unsigned long long rng = 0x9E3779B97F4A7C15ULL;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static mtp_potential *make_potential(int level, int S)
{
    int labels[3] = {0, 1, 2};
    mtp_basis_options o = {level, S, labels, 2.0, 5.0, 8, 0};
    mtp_potential *p;
    mtp_error err;
    if (mtp_potential_generate(&o, &p, &err)) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    int n = mtp_potential_param_count(p);
    double *t = malloc(sizeof(double) * n);
    for (int k = 0; k < n; k++) t[k] = (urand() - 0.5) * 0.02;
    mtp_potential_set_params(p, t, &err);
    free(t);
    return p;
}

static void bcc(mtp_cfg *c, int reps, double a, int S)
{
    mtp_error err;
    mtp_cfg_init(c);
    mtp_cfg_alloc(c, 2 * reps * reps * reps, 0, &err);
    int k = 0;
    for (int i = 0; i < reps; i++)
        for (int j = 0; j < reps; j++)
            for (int l = 0; l < reps; l++)
                for (int b = 0; b < 2; b++, k++) {
                    double base[3] = {i * a + b * a / 2, j * a + b * a / 2, l * a + b * a / 2};
                    for (int x = 0; x < 3; x++) c->positions[3 * k + x] = base[x] + 0.08 * (urand() - 0.5);
                    c->types[k] = (int)(urand() * S);
                }
    for (int x = 0; x < 3; x++) c->lattice[x][x] = reps * a;
}

/* µs/atom of mtp_compute (energy, forces, virial) for a given potential and
 * configuration file: the standalone number next to LAMMPS runs. */
static int time_files(const char *pot_path, const char *cfg_path, int repeats)
{
    mtp_potential *p;
    mtp_calculator *calc;
    mtp_error err;
    mtp_cfg *cfgs;
    int ncfg;
    if (mtp_potential_read(pot_path, &p, &err) || mtp_calculator_create(p, &calc, &err) ||
        mtp_read_cfgs(cfg_path, MTP_FORMAT_AUTO, NULL, &cfgs, &ncfg, &err)) {
        fprintf(stderr, "bench_kernel: %s\n", err.message);
        return 1;
    }
    const mtp_cfg *cfg = &cfgs[0];
    double *F = malloc(sizeof(double) * 3 * cfg->n_atoms), W[6], E, best = 1e30;
    for (int rep = 0; rep < repeats; rep++) {
        double t0 = now();
        if (mtp_compute(calc, cfg, &E, F, W, NULL, NULL, &err)) {
            fprintf(stderr, "bench_kernel: %s\n", err.message);
            return 1;
        }
        if (now() - t0 < best) best = now() - t0;
    }
    printf("standalone libopenmtp: %d atoms, %.1f neighbours/atom, %.3f us/atom (E = %.10f eV)\n", cfg->n_atoms,
           (double)mtp_calculator_stats(calc).n_pairs / cfg->n_atoms, 1e6 * best / cfg->n_atoms, E);
    free(F);
    mtp_free_cfgs(cfgs, ncfg);
    mtp_calculator_destroy(calc);
    mtp_potential_destroy(p);
    return 0;
}

/* usage: bench_kernel [CELLS [LEVEL [REPEATS]]]
 *        bench_kernel --files POTENTIAL CONFIGURATION [REPEATS]
 *   CELLS    bcc cells per edge (default 10: 2000 atoms)
 *   LEVEL    only this level (default: 8, 16, 20, 24)
 *   REPEATS  timed repetitions, best kept (default 5; 1 for callgrind) */
int main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], "--files") == 0) return time_files(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 5);
    int reps = argc > 1 ? atoi(argv[1]) : 10;
    int only = argc > 2 ? atoi(argv[2]) : 0;
    int repeats = argc > 3 ? atoi(argv[3]) : 5;
    static const int levels[] = {8, 16, 20, 24};
    printf("# OpenMTP kernel benchmark: energy+forces+virial, single core (thread CPU time), bcc a=3.44 A, %d atoms, cutoff 5 A\n",
           2 * reps * reps * reps);
    printf("# level species nbh/atom  openmtp_us/atom  reference_us/atom  speedup  |E_ours-E_ref|/|E|\n");
    for (size_t li = 0; li < sizeof levels / sizeof levels[0]; li++)
        for (int S = 1; S <= 3; S += 2) {
            if (only && levels[li] != only) continue;
            mtp_potential *p = make_potential(levels[li], S);
            mtp_calculator *calc;
            mtp_error err;
            mtp_calculator_create(p, &calc, &err);
            mtp_cfg cfg;
            bcc(&cfg, reps, 3.44, S);
            int n = cfg.n_atoms;
            double *F = malloc(sizeof(double) * 3 * n), W[6], E = 0;
            double best = 1e30;
            for (int rep = 0; rep < repeats; rep++) {
                double t0 = now();
                if (mtp_compute(calc, &cfg, &E, F, W, NULL, NULL, &err)) {
                    fprintf(stderr, "%s\n", err.message);
                    return 1;
                }
                double t = now() - t0;
                if (t < best) best = t;
            }
            double ours = 1e6 * best / n;
            double nbh = (double)mtp_calculator_stats(calc).n_pairs / n;

            /* baseline on a subset of atoms, same neighbour lists */
            ref_basis rb = {p->species_count, p->radial_funcs_count, p->radial_basis_size, p->basic_count,
                            p->moments_count, p->times_count, p->scalar_count, p->min_dist, p->max_dist, p->scaling,
                            (const int(*)[4])p->basic, (const int(*)[4])p->times, p->mapping, p->radial_coeffs,
                            p->species_coeffs, p->moment_coeffs};
            ref_eval ref;
            ref_eval_init(&ref, &rb);
            int subset = repeats == 1 ? n : levels[li] >= 20 ? 40 : 400;
            if (subset > n) subset = n;
            const mtp_nlist *nl = &calc->nl;
            int *sp = malloc(sizeof(int) * 4096);
            double *d = malloc(sizeof(double) * 3 * 4096), Eref = 0, Esub = 0, ref_best = 1e30;
            for (int rep = 0; rep < (repeats > 1 ? 2 : 1); rep++) {
                double t0 = now();
                Eref = 0;
                for (int i = 0; i < subset; i++) {
                    long o = nl->offset[i], m = nl->offset[i + 1] - o;
                    for (long k = 0; k < m; k++) sp[k] = mtp_potential_species_index(p, cfg.types[nl->index[o + k]]);
                    Eref += ref_eval_site(&ref, mtp_potential_species_index(p, cfg.types[i]), (int)m, sp,
                                          nl->rij + 3 * o, d);
                    for (long k = 0; k < m; k++) /* the same force/virial bookkeeping as ours */
                        for (int a = 0; a < 3; a++) {
                            F[3 * i + a] += d[3 * k + a];
                            F[3 * nl->index[o + k] + a] -= d[3 * k + a];
                            W[a] -= d[3 * k + a] * nl->rij[3 * (o + k) + a];
                        }
                }
                double t = now() - t0;
                if (t < ref_best) ref_best = t;
            }
            double site;
            for (int i = 0; i < subset; i++) {
                long o = nl->offset[i], m = nl->offset[i + 1] - o;
                for (long k = 0; k < m; k++) sp[k] = mtp_potential_species_index(p, cfg.types[nl->index[o + k]]);
                mtp_site_eval(calc, mtp_potential_species_index(p, cfg.types[i]), (int)m, sp, nl->rij + 3 * o, &site,
                              NULL, NULL, NULL, &err);
                Esub += site;
            }
            double refus = 1e6 * ref_best / subset;
            printf("%7d %7d %8.1f %16.2f %18.2f %8.1fx %14.1e\n", levels[li], S, nbh, ours, refus, refus / ours,
                   fabs(Esub - Eref) / fmax(fabs(Eref), 1e-300));
            fflush(stdout);
            free(sp);
            free(d);
            ref_eval_free(&ref);
            free(F);
            mtp_cfg_free(&cfg);
            mtp_calculator_destroy(calc);
            mtp_potential_destroy(p);
        }
    return 0;
}
