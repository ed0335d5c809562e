/* SPDX-License-Identifier: BSD-3-Clause */
/* The KIM portable model, driven through the KIM API as a simulator drives
 * it (contributing particles + padding images, neighbour lists reaching past
 * the cutoff), against libopenmtp's mtp_compute on the same periodic cell:
 * energy, forces (padding folded back), partialVirial (KIM's sign: -W),
 * per-particle energy and per-particle virial, each to 1e-10 relative.
 * Also: outputs requested one at a time, an unsupported element, and what
 * the driver must refuse: a species code outside the model's range, a
 * non-finite position, two particles at one position.
 * usage: kim_vs_library MODEL POTENTIAL EL0 EL1   (elements of species 0, 1)
 *        kim_vs_library --expect-create-error MODEL   (0 if KIM_Model_Create fails)
 *        kim_vs_library --relabel IN OUT LABEL0 LABEL1   (test potentials)
 * Exit 77 when the model cannot be created (no KIM collection configured). */
#include "KIM_SimulatorHeaders.h"
#include "openmtp/openmtp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-10

static int failures = 0;

static void check(const char *what, double diff, double scale)
{
    const double rel = scale > 0 ? diff / scale : diff;
    const int ok = rel <= TOL && scale > 0;
    printf("%-40s max |diff| %.3e of %.6g, rel %.3e %s\n", what, diff, scale, rel, ok ? "ok" : "FAIL");
    if (!ok) failures++;
}

/* ---- a simulator's particle set: originals + padding images ---- */
typedef struct system {
    int n;                 /* all particles */
    int n_real;            /* contributing: 0..n_real-1 */
    double *x;             /* [n][3] */
    int *code;             /* KIM species codes */
    int *contributing;
    int *origin;           /* padding -> original atom */
    int **nbh;             /* neighbour lists of contributing particles */
    int *n_nbh;
    double list_cutoff;
} system_t;

static int get_neighbours(void *const data, int const n_lists, double const *const cutoffs,
                          int const list, int const particle, int *const n_neighbours,
                          int const **const neighbours)
{
    system_t *s = data;
    (void) cutoffs;
    if (n_lists != 1 || list != 0 || particle < 0 || particle >= s->n) return 1;
    static const int none = 0;
    if (particle >= s->n_real) {   /* the model promised not to ask */
        *n_neighbours = 0;
        *neighbours = &none;
        return 0;
    }
    *n_neighbours = s->n_nbh[particle];
    *neighbours = s->nbh[particle];
    return 0;
}

static void system_free(system_t *s)
{
    for (int i = 0; i < s->n_real; i++) free(s->nbh[i]);
    free(s->nbh);
    free(s->n_nbh);
    free(s->x);
    free(s->code);
    free(s->contributing);
    free(s->origin);
}

/* padding: every image within `reach` of the cell; lists: all particles
 * closer than list_cutoff (> the model's cutoff, as a simulator's skin) */
static void system_build(system_t *s, const mtp_cfg *cfg, const int labels[2], const int *codes, double reach,
                         double list_cutoff)
{
    const double(*L)[3] = cfg->lattice;
    /* cell heights h_k = V / |a_i x a_j| and reciprocal rows for fractions */
    double rec[3][3], vol;
    for (int k = 0; k < 3; k++) {
        const double *a = L[(k + 1) % 3], *b = L[(k + 2) % 3];
        rec[k][0] = a[1] * b[2] - a[2] * b[1];
        rec[k][1] = a[2] * b[0] - a[0] * b[2];
        rec[k][2] = a[0] * b[1] - a[1] * b[0];
    }
    vol = L[0][0] * rec[0][0] + L[0][1] * rec[0][1] + L[0][2] * rec[0][2];
    double margin[3];
    int m[3];
    for (int k = 0; k < 3; k++) {
        const double norm = sqrt(rec[k][0] * rec[k][0] + rec[k][1] * rec[k][1] + rec[k][2] * rec[k][2]);
        margin[k] = reach * norm / fabs(vol);          /* reach in fractional units */
        m[k] = (int) ceil(margin[k]) + 1;
    }
    const int n0 = cfg->n_atoms;
    int cap = n0 * (2 * m[0] + 1) * (2 * m[1] + 1) * (2 * m[2] + 1);
    s->x = malloc((size_t) cap * 3 * sizeof(double));
    s->code = malloc((size_t) cap * sizeof(int));
    s->contributing = malloc((size_t) cap * sizeof(int));
    s->origin = malloc((size_t) cap * sizeof(int));
    s->n_real = n0;
    int n = 0;
    for (int i = 0; i < n0; i++) {
        memcpy(s->x + 3 * n, cfg->positions + 3 * i, 3 * sizeof(double));
        s->code[n] = codes[cfg->types[i] == labels[0] ? 0 : 1];
        s->contributing[n] = 1;
        s->origin[n++] = i;
    }
    for (int a = -m[0]; a <= m[0]; a++)
        for (int b = -m[1]; b <= m[1]; b++)
            for (int c = -m[2]; c <= m[2]; c++) {
                if (!a && !b && !c) continue;
                for (int i = 0; i < n0; i++) {
                    double y[3];
                    for (int d = 0; d < 3; d++)
                        y[d] = cfg->positions[3 * i + d] + a * L[0][d] + b * L[1][d] + c * L[2][d];
                    int inside = 1;
                    for (int k = 0; k < 3 && inside; k++) {
                        const double f = (y[0] * rec[k][0] + y[1] * rec[k][1] + y[2] * rec[k][2]) / vol;
                        inside = f > -margin[k] && f < 1.0 + margin[k];
                    }
                    if (!inside) continue;
                    memcpy(s->x + 3 * n, y, sizeof y);
                    s->code[n] = s->code[i];
                    s->contributing[n] = 0;
                    s->origin[n++] = i;
                }
            }
    s->n = n;
    s->list_cutoff = list_cutoff;
    s->nbh = calloc((size_t) n0, sizeof(int *));
    s->n_nbh = calloc((size_t) n0, sizeof(int));
    for (int i = 0; i < n0; i++) {
        s->nbh[i] = malloc((size_t) n * sizeof(int));
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            double r2 = 0;
            for (int d = 0; d < 3; d++) {
                const double dx = s->x[3 * j + d] - s->x[3 * i + d];
                r2 += dx * dx;
            }
            if (r2 < list_cutoff * list_cutoff) s->nbh[i][s->n_nbh[i]++] = j;
        }
    }
}

/* zinc-blende cell of r x r x r conventional cells, sheared and perturbed */
static void make_cell(mtp_cfg *cfg, int r, double a, unsigned seed, const int labels[2])
{
    static const double basis[8][3] = {{0, 0, 0},          {0, .5, .5},       {.5, 0, .5},
                                       {.5, .5, 0},        {.25, .25, .25},   {.25, .75, .75},
                                       {.75, .25, .75},    {.75, .75, .25}};
    mtp_error err;
    mtp_cfg_init(cfg);
    mtp_cfg_alloc(cfg, 8 * r * r * r, 0, &err);
    memset(cfg->lattice, 0, sizeof cfg->lattice);
    cfg->lattice[0][0] = r * a;
    cfg->lattice[1][0] = 0.07 * r * a;
    cfg->lattice[1][1] = r * a;
    cfg->lattice[2][0] = -0.05 * r * a;
    cfg->lattice[2][1] = 0.04 * r * a;
    cfg->lattice[2][2] = r * a;
    unsigned long st = seed;
    int n = 0;
    for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++)
            for (int k = 0; k < r; k++)
                for (int b = 0; b < 8; b++) {
                    const double f[3] = {(i + basis[b][0]) / r, (j + basis[b][1]) / r, (k + basis[b][2]) / r};
                    for (int d = 0; d < 3; d++) {
                        st = st * 6364136223846793005UL + 1442695040888963407UL;
                        const double u = ((st >> 11) * (1.0 / 9007199254740992.0)) - 0.5;
                        cfg->positions[3 * n + d] = f[0] * cfg->lattice[0][d] + f[1] * cfg->lattice[1][d] +
                                                    f[2] * cfg->lattice[2][d] + 0.16 * u;
                    }
                    cfg->types[n++] = labels[b < 4 ? 0 : 1];
                }
}

static double maxabs(const double *v, long n)
{
    double m = 0;
    for (long k = 0; k < n; k++) m = fmax(m, fabs(v[k]));
    return m;
}

static int compare_cell(KIM_Model *model, mtp_calculator *calc, const int labels[2], const int *codes,
                        int r)
{
    mtp_cfg cfg;
    mtp_error err;
    make_cell(&cfg, r, 4.37, 12345u + (unsigned) r, labels);
    const int n0 = cfg.n_atoms;
    double E, W[6], *F = calloc((size_t) 3 * n0, sizeof(double)), *se = calloc((size_t) n0, sizeof(double)),
                    *sv = calloc((size_t) 9 * n0, sizeof(double));
    if (mtp_compute(calc, &cfg, &E, F, W, se, sv, &err) != MTP_OK) {
        fprintf(stderr, "mtp_compute: %s\n", err.message);
        exit(1);
    }
    double influence;
    int n_lists;
    const double *cutoffs;
    const int *no_padding_nbh;
    KIM_Model_GetInfluenceDistance(model, &influence);
    KIM_Model_GetNeighborListPointers(model, &n_lists, &cutoffs, &no_padding_nbh);
    if (n_lists != 1 || !no_padding_nbh[0] || cutoffs[0] != influence) {
        printf("FAIL: expected one neighbour list with cutoff = influence distance, no padding "
               "neighbours (got %d lists)\n", n_lists);
        failures++;
    }
    system_t s;
    memset(&s, 0, sizeof s);
    system_build(&s, &cfg, labels, codes, influence, cutoffs[0] + 0.8);
    printf("-- %d x %d x %d cells: %d atoms, %d padding particles, cutoff %g A\n", r, r, r, n0,
           s.n - n0, cutoffs[0]);

    KIM_ComputeArguments *args = NULL;
    if (KIM_Model_ComputeArgumentsCreate(model, &args)) {
        printf("FAIL: ComputeArgumentsCreate\n");
        exit(1);
    }
    const int n = s.n;
    double kE = 0, kV[6], *kF = calloc((size_t) 3 * n, sizeof(double)),
           *kpe = calloc((size_t) n, sizeof(double)), *kpv = calloc((size_t) 6 * n, sizeof(double));
    int fail = KIM_ComputeArguments_SetArgumentPointerInteger(args, KIM_COMPUTE_ARGUMENT_NAME_numberOfParticles, &s.n) ||
               KIM_ComputeArguments_SetArgumentPointerInteger(args, KIM_COMPUTE_ARGUMENT_NAME_particleSpeciesCodes, s.code) ||
               KIM_ComputeArguments_SetArgumentPointerInteger(args, KIM_COMPUTE_ARGUMENT_NAME_particleContributing, s.contributing) ||
               KIM_ComputeArguments_SetArgumentPointerDouble(args, KIM_COMPUTE_ARGUMENT_NAME_coordinates, s.x) ||
               KIM_ComputeArguments_SetCallbackPointer(args, KIM_COMPUTE_CALLBACK_NAME_GetNeighborList,
                                                       KIM_LANGUAGE_NAME_c, (KIM_Function *) get_neighbours, &s);
    const KIM_ComputeArgumentName outs[5] = {KIM_COMPUTE_ARGUMENT_NAME_partialEnergy, KIM_COMPUTE_ARGUMENT_NAME_partialForces,
                                             KIM_COMPUTE_ARGUMENT_NAME_partialVirial, KIM_COMPUTE_ARGUMENT_NAME_partialParticleEnergy,
                                             KIM_COMPUTE_ARGUMENT_NAME_partialParticleVirial};
    double *ptrs[5] = {&kE, kF, kV, kpe, kpv};
    for (int k = 0; k < 5; k++) {
        KIM_SupportStatus st;
        KIM_ComputeArguments_GetArgumentSupportStatus(args, outs[k], &st);
        if (!KIM_SupportStatus_Equal(st, KIM_SUPPORT_STATUS_optional)) {
            printf("FAIL: %s is %s, expected optional\n", KIM_ComputeArgumentName_ToString(outs[k]),
                   KIM_SupportStatus_ToString(st));
            failures++;
        }
        fail = fail || KIM_ComputeArguments_SetArgumentPointerDouble(args, outs[k], ptrs[k]);
    }
    if (fail || KIM_Model_Compute(model, args)) {
        printf("FAIL: KIM compute\n");
        exit(1);
    }

    /* fold padding onto the originals */
    double *fF = calloc((size_t) 3 * n0, sizeof(double)), *fpe = calloc((size_t) n0, sizeof(double)),
           *fpv = calloc((size_t) 6 * n0, sizeof(double));
    double pad_energy = 0;
    for (int p = 0; p < n; p++) {
        const int i = s.origin[p];
        for (int d = 0; d < 3; d++) fF[3 * i + d] += kF[3 * p + d];
        fpe[i] += kpe[p];
        if (p >= n0) pad_energy = fmax(pad_energy, fabs(kpe[p]));
        for (int c = 0; c < 6; c++) fpv[6 * i + c] += kpv[6 * p + c];
    }
    check("energy", fabs(kE - E), fabs(E));
    double d = 0;
    for (int k = 0; k < 3 * n0; k++) d = fmax(d, fabs(fF[k] - F[k]));
    check("forces (padding folded)", d, maxabs(F, 3 * n0));
    d = 0;
    for (int c = 0; c < 6; c++) d = fmax(d, fabs(kV[c] + W[c]));   /* KIM virial = -W */
    check("partialVirial = -W (Voigt)", d, maxabs(W, 6));
    d = 0;
    for (int i = 0; i < n0; i++) d = fmax(d, fabs(fpe[i] - se[i]));
    check("partialParticleEnergy = site energies", d, maxabs(se, n0));
    if (pad_energy != 0) {
        printf("FAIL: padding particles got energy %g\n", pad_energy);
        failures++;
    }
    /* library per-atom virial [9] row-major, pair term -D (x) r, half to each
     * atom; KIM's Voigt (11,22,33,23,31,12) of r (x) D: -(xx,yy,zz,zy,zx,yx) */
    static const int lib_of_kim[6] = {0, 4, 8, 7, 6, 3};
    d = 0;
    double sum_pv[6] = {0};
    for (int i = 0; i < n0; i++)
        for (int c = 0; c < 6; c++) {
            d = fmax(d, fabs(fpv[6 * i + c] + sv[9 * i + lib_of_kim[c]]));
            sum_pv[c] += fpv[6 * i + c];
        }
    check("partialParticleVirial = -site virials", d, maxabs(sv, 9 * n0));
    d = 0;
    for (int c = 0; c < 6; c++) d = fmax(d, fabs(sum_pv[c] - kV[c]));
    check("sum of partialParticleVirial = partialVirial", d, maxabs(kV, 6));

    /* each output alone (the others NULL) gives the same numbers */
    for (int k = 0; k < 5; k++)
        KIM_ComputeArguments_SetArgumentPointerDouble(args, outs[k], NULL);
    double e_only = 0;
    KIM_ComputeArguments_SetArgumentPointerDouble(args, outs[0], &e_only);
    if (KIM_Model_Compute(model, args)) {
        printf("FAIL: energy-only compute\n");
        failures++;
    }
    check("energy alone", fabs(e_only - kE), fabs(kE));
    KIM_ComputeArguments_SetArgumentPointerDouble(args, outs[0], NULL);
    double *f_only = calloc((size_t) 3 * n, sizeof(double));
    KIM_ComputeArguments_SetArgumentPointerDouble(args, outs[1], f_only);
    if (KIM_Model_Compute(model, args)) {
        printf("FAIL: forces-only compute\n");
        failures++;
    }
    d = 0;
    for (int k = 0; k < 3 * n; k++) d = fmax(d, fabs(f_only[k] - kF[k]));
    check("forces alone", d, maxabs(kF, 3 * n));

    /* a species code the model does not have must be refused */
    const int saved = s.code[0];
    s.code[0] = 7;
    if (!KIM_Model_Compute(model, args)) {
        printf("FAIL: species code 7 was accepted\n");
        failures++;
    } else {
        printf("species code 7 refused: ok\n");
    }
    s.code[0] = saved;
    /* so must a non-finite position and two particles at one place */
    const double x0 = s.x[0];
    s.x[0] = NAN;
    if (!KIM_Model_Compute(model, args)) {
        printf("FAIL: a NaN position was accepted\n");
        failures++;
    } else {
        printf("NaN position refused: ok\n");
    }
    s.x[0] = x0;
    double x1[3];
    memcpy(x1, s.x + 3 * s.nbh[0][0], sizeof x1);
    memcpy(s.x + 3 * s.nbh[0][0], s.x, sizeof x1);
    if (!KIM_Model_Compute(model, args)) {
        printf("FAIL: two particles at the same position were accepted\n");
        failures++;
    } else {
        printf("particles at the same position refused: ok\n");
    }
    memcpy(s.x + 3 * s.nbh[0][0], x1, sizeof x1);

    KIM_Model_ComputeArgumentsDestroy(model, &args);
    system_free(&s);
    free(F); free(se); free(sv); free(kF); free(kpe); free(kpv); free(fF); free(fpe); free(fpv); free(f_only);
    mtp_cfg_free(&cfg);
    return 0;
}

static int relabel(const char *in, const char *out, int l0, int l1)
{
    mtp_error err;
    mtp_potential *pot = NULL;
    const int labels[2] = {l0, l1};
    double *theta = NULL;
    int ok = mtp_potential_read(in, &pot, &err) == MTP_OK && mtp_potential_species_count(pot) == 2;
    if (ok) {
        theta = malloc((size_t) mtp_potential_param_count(pot) * sizeof(double));
        ok = theta && mtp_potential_get_params(pot, theta, &err) == MTP_OK &&
             mtp_potential_set_species(pot, 2, labels, &err) == MTP_OK &&
             mtp_potential_set_params(pot, theta, &err) == MTP_OK &&
             mtp_potential_write(pot, out, &err) == MTP_OK;
    }
    if (!ok) fprintf(stderr, "relabel %s: %s\n", in, err.message);
    free(theta);
    mtp_potential_destroy(pot);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 6 && !strcmp(argv[1], "--relabel"))
        return relabel(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    if (argc == 3 && !strcmp(argv[1], "--expect-create-error")) {
        int accepted = 0;
        KIM_Model *model = NULL;
        if (!KIM_Model_Create(KIM_NUMBERING_zeroBased, KIM_LENGTH_UNIT_A, KIM_ENERGY_UNIT_eV,
                              KIM_CHARGE_UNIT_e, KIM_TEMPERATURE_UNIT_K, KIM_TIME_UNIT_ps, argv[2],
                              &accepted, &model)) {
            printf("FAIL: model %s was created\n", argv[2]);
            KIM_Model_Destroy(&model);
            return 1;
        }
        printf("model %s refused\n", argv[2]);
        return 0;
    }
    if (argc != 5) {
        fprintf(stderr, "usage: %s MODEL POTENTIAL EL0 EL1\n", argv[0]);
        return 2;
    }
    mtp_error err;
    mtp_potential *pot = NULL;
    mtp_calculator *calc = NULL;
    if (mtp_potential_read(argv[2], &pot, &err) != MTP_OK || mtp_calculator_create(pot, &calc, &err) != MTP_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    int accepted = 0;
    KIM_Model *model = NULL;
    if (KIM_Model_Create(KIM_NUMBERING_zeroBased, KIM_LENGTH_UNIT_A, KIM_ENERGY_UNIT_eV,
                         KIM_CHARGE_UNIT_e, KIM_TEMPERATURE_UNIT_K, KIM_TIME_UNIT_ps, argv[1],
                         &accepted, &model)) {
        printf("SKIP: KIM model %s cannot be created (KIM_API_PORTABLE_MODELS_DIR / "
               "KIM_API_MODEL_DRIVERS_DIR?)\n", argv[1]);
        return 77;
    }
    if (!accepted) {
        printf("FAIL: the model did not accept A / eV\n");
        failures++;
    }
    int codes[2], labels[2];
    if (mtp_potential_species_count(pot) != 2) {
        fprintf(stderr, "%s: expected a potential with 2 species\n", argv[2]);
        return 1;
    }
    for (int k = 0; k < 2; k++) {
        labels[k] = mtp_potential_species_label(pot, k);
        int supported = 0;
        KIM_Model_GetSpeciesSupportAndCode(model, KIM_SpeciesName_FromString(argv[3 + k]), &supported, &codes[k]);
        if (!supported) {
            printf("FAIL: species %s not supported\n", argv[3 + k]);
            return 1;
        }
        printf("species %s -> code %d (potential species %d, label %d)\n", argv[3 + k], codes[k], k,
               labels[k]);
        if (codes[k] != k) {
            printf("FAIL: %s should be species %d of the potential\n", argv[3 + k], k);
            failures++;
        }
    }
    int li = 1, li_code = -1;
    KIM_Model_GetSpeciesSupportAndCode(model, KIM_SPECIES_NAME_Li, &li, &li_code);
    if (li) {
        printf("FAIL: Li reported as supported\n");
        failures++;
    }
    /* 1 cell: edges below the cutoff, so atoms see several images of
     * themselves; 2 cells: 64 atoms */
    compare_cell(model, calc, labels, codes, 1);
    compare_cell(model, calc, labels, codes, 2);
    KIM_Model_Destroy(&model);
    mtp_calculator_destroy(calc);
    mtp_potential_destroy(pot);
    if (failures) {
        printf("FAIL: %d check(s)\n", failures);
        return 1;
    }
    printf("PASS\n");
    return 0;
}
