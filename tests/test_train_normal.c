/* SPDX-License-Identifier: BSD-3-Clause */
/* The trainer's normal equations (fit_normal_equations: BLAS on the force
 * block, hand-written rows for energy and stress) equal J^T W J and
 * J^T W y summed row by row from the public design rows
 * (mtp_cfg_basis_grad) with the documented weights: energy_weight N^-ws
 * per energy, force_weight N^-wsf per force component, stress_weight/N
 * per virial component (off-diagonal ones twice), divided by the number
 * of configurations.  With RBChebyshev_repuls the part of E, F, W that is
 * not linear in the coefficients moves into the targets:
 * y - (prediction - row . x0).  Usage: test_train_normal CFG [more CFG ...]. */
#include <openmtp/openmtp.h>

#include "fit.h"
#include "testutil.h"

/* prediction - row . x0: exactly zero for the plain Chebyshev basis (the
 * trainer skips it there; computed, it would only add round-off) */
static double nonlinear(const double *row, const double *x0, int nl, double prediction)
{
    if (!x0) return 0.0;
    double lin = 0;
    for (int i = 0; i < nl; i++) lin += row[i] * x0[i];
    return prediction - lin;
}

static void add_row(int nl, const double *row, double w, double t, double *G, double *b)
{
    for (int i = 0; i < nl; i++) {
        b[i] += w * row[i] * t;
        for (int j = 0; j < nl; j++) G[(size_t)i * nl + j] += w * row[i] * row[j];
    }
}

/* The same potential with the repulsive radial basis, through its file. */
static mtp_potential *make_repulsive(const mtp_potential *pot, const char *tmp, mtp_error *err)
{
    char *data = NULL;
    size_t size = 0;
    mtp_potential *rep = NULL;
    if (mtp_potential_write_buffer(pot, &data, &size, err)) return NULL;
    const char *key = "radial_basis_type = RBChebyshev", *at = strstr(data, key);
    FILE *f = fopen(tmp, "w");
    if (at && f) {
        at += strlen(key);
        fwrite(data, 1, (size_t)(at - data), f);
        fputs("_repuls", f);
        fwrite(at, 1, size - (size_t)(at - data), f);
    }
    if (f) fclose(f);
    free(data);
    if (at && mtp_potential_read(tmp, &rep, err)) rep = NULL;
    remove(tmp);
    return rep;
}

static void check_file(const char *path, int level, int repulsive)
{
    mtp_error err;
    mtp_cfg *cfgs = NULL;
    int n = 0;
    if (mtp_read_cfgs(path, MTP_FORMAT_AUTO, NULL, &cfgs, &n, &err)) {
        printf("SKIP %s: %s\n", path, err.message);
        return;
    }
    const int n_all = n;
    if (n > 8) n = 8;
    int labels[8], S = 0;
    for (int k = 0; k < n; k++)
        for (int i = 0; i < cfgs[k].n_atoms; i++) {
            int t = cfgs[k].types[i], seen = 0;
            for (int s = 0; s < S; s++) seen |= labels[s] == t;
            if (!seen && S < 8) labels[S++] = t;
        }
    /* min_dist above the shortest distances: the repulsive term acts */
    mtp_basis_options bo = {.level = level, .species_count = S, .species_labels = labels,
                            .min_dist = repulsive ? 2.3 : 1.5,
                            .max_dist = 5.0, .radial_basis_size = 8, .radial_funcs_count = 0};
    mtp_potential *pot = NULL;
    mtp_param_deriv *pd = NULL;
    CHECK_OK(mtp_potential_generate(&bo, &pot, &err), err);
    mtp_potential_info info = mtp_potential_get_info(pot);
    const int P = info.param_count, A = info.scalar_count, nl = S + A;
    double *th = calloc((size_t)P, sizeof(double));
    unsigned s = 11;
    for (int i = 0; i < P; i++) {
        s = s * 1103515245u + 12345u;
        th[i] = ((s >> 8) & 0xffff) / 65536.0 - 0.5;
    }
    CHECK_OK(mtp_potential_set_params(pot, th, &err), err);
    if (repulsive) {
        mtp_potential *rep = make_repulsive(pot, "test_train_normal.tmp.almtp", &err);
        CHECK(rep != NULL, "repulsive variant: %s", err.message);
        if (!rep) return;
        mtp_potential_destroy(pot);
        pot = rep;
        CHECK(mtp_potential_get_info(pot).radial_type == MTP_RADIAL_CHEBYSHEV_REPULSIVE, "radial type");
    }
    const double *x0 = repulsive ? th + (P - nl) : NULL; /* species, then moment coefficients */
    mtp_calculator *calc = NULL;
    CHECK_OK(mtp_calculator_create(pot, &calc, &err), err);
    CHECK_OK(mtp_param_deriv_create(pot, &pd, &err), err);
    fit_options o;
    fit_options_default(&o);
    o.energy_weight = 3.0, o.force_weight = 0.02, o.stress_weight = 0.004;
    o.weight_scaling = 2.0, o.weight_scaling_forces = 1.0;
    double *G = calloc((size_t)nl * nl, sizeof(double)), *b = calloc((size_t)nl, sizeof(double));
    double *Gr = calloc((size_t)nl * nl, sizeof(double)), *br = calloc((size_t)nl, sizeof(double));
    double *row = malloc((size_t)nl * sizeof(double)), *bs = malloc((size_t)A * sizeof(double));
    double *bW = malloc((size_t)A * 6 * sizeof(double));
    CHECK_OK(fit_normal_equations(pot, cfgs, n, &o, G, b, &err), err);
    for (int k = 0; k < n; k++) {
        const mtp_cfg *cf = &cfgs[k];
        const int N = cf->n_atoms;
        double *bF = malloc((size_t)A * 3 * N * sizeof(double)), *F = malloc((size_t)3 * N * sizeof(double));
        double E = 0, W[6];
        CHECK_OK(mtp_cfg_basis_grad(pd, cf, bs, bF, bW, &err), err);
        CHECK_OK(mtp_compute(calc, cf, &E, F, W, NULL, NULL, &err), err);
        if (cf->has_energy) {
            memset(row, 0, (size_t)nl * sizeof(double));
            for (int i = 0; i < N; i++) row[mtp_potential_species_index(pot, cf->types[i])] += 1;
            for (int a = 0; a < A; a++) row[S + a] = bs[a];
            add_row(nl, row, o.energy_weight * pow(N, -o.weight_scaling), cf->energy - nonlinear(row, x0, nl, E),
                    Gr, br);
        }
        if (cf->forces)
            for (int x = 0; x < 3 * N; x++) {
                memset(row, 0, (size_t)nl * sizeof(double));
                for (int a = 0; a < A; a++) row[S + a] = bF[(size_t)a * 3 * N + x];
                add_row(nl, row, o.force_weight * pow(N, -o.weight_scaling_forces),
                        cf->forces[x] - nonlinear(row, x0, nl, F[x]), Gr, br);
            }
        if (cf->has_stress)
            for (int q = 0; q < 6; q++) {
                memset(row, 0, (size_t)nl * sizeof(double));
                for (int a = 0; a < A; a++) row[S + a] = bW[6 * a + q];
                add_row(nl, row, o.stress_weight / N * (q < 3 ? 1 : 2), cf->stress[q] - nonlinear(row, x0, nl, W[q]),
                        Gr, br);
            }
        free(bF), free(F);
    }
    double dG = 0, dB = 0;
    for (int i = 0; i < nl; i++) {
        for (int j = 0; j < nl; j++) {
            double sc = sqrt(fabs(Gr[(size_t)i * nl + i] * Gr[(size_t)j * nl + j])) + 1e-300;
            dG = fmax(dG, fabs(G[(size_t)i * nl + j] - Gr[(size_t)i * nl + j] / n) / sc);
        }
        dB = fmax(dB, fabs(b[i] - br[i] / n) / (fabs(br[i] / n) + 1e-12 * fabs(br[0] / n) + 1e-300));
    }
    printf("%s, level %d, %d species, %s, %d cfgs: max relative difference G %.3g, b %.3g\n", path, level, S,
           repulsive ? "RBChebyshev_repuls" : "RBChebyshev", n, dG, dB);
    CHECK(dG < 1e-12, "%s: G differs by %g", path, dG);
    CHECK(dB < 1e-10, "%s: b differs by %g", path, dB);
    free(G), free(b), free(Gr), free(br), free(row), free(bs), free(bW), free(th);
    mtp_param_deriv_destroy(pd);
    mtp_calculator_destroy(calc);
    mtp_potential_destroy(pot);
    mtp_free_cfgs(cfgs, n_all);
}

int main(int argc, char **argv)
{
    if (argc < 2) return 77;
    int found = 0;
    for (int a = 1; a < argc; a++) {
        if (!tu_exists(argv[a])) {
            printf("SKIP: %s is absent\n", argv[a]);
            continue;
        }
        found = 1;
        check_file(argv[a], 12, 0);
        check_file(argv[a], 12, 1);
    }
    if (!found) return 77;
    return tu_finish("train_normal");
}
