/* SPDX-License-Identifier: BSD-3-Clause */
/* Symmetries a correct evaluation must respect: rotation, translation,
 * permutation, periodic images (small cells vs explicit supercells,
 * n-fold replication), plus per-atom sums and isolated atoms. */
#include "testpot.h"

typedef struct result {
    double E, W[6];
    double *F, *site, *sv;
} result;

static result eval(mtp_calculator *c, const mtp_cfg *cfg)
{
    result r;
    mtp_error err;
    int n = cfg->n_atoms ? cfg->n_atoms : 1;
    r.F = malloc(sizeof(double) * 3 * n);
    r.site = malloc(sizeof(double) * n);
    r.sv = malloc(sizeof(double) * 9 * n);
    mtp_status st = mtp_compute(c, cfg, &r.E, r.F, r.W, r.site, r.sv, &err);
    CHECK_OK(st, err);
    return r;
}

static void drop(result *r)
{
    free(r->F);
    free(r->site);
    free(r->sv);
}

static void rotation_matrix(double R[3][3])
{
    double q[4] = {tu_rand(), tu_rand(), tu_rand(), tu_rand()};
    double l = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    for (int k = 0; k < 4; k++) q[k] /= l;
    double a = q[0], b = q[1], c = q[2], d = q[3];
    double M[3][3] = {{a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)},
                      {2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b)},
                      {2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d}};
    memcpy(R, M, sizeof M);
}

static void apply(const double R[3][3], double *x)
{
    double y[3];
    for (int r = 0; r < 3; r++) y[r] = R[r][0] * x[0] + R[r][1] * x[1] + R[r][2] * x[2];
    memcpy(x, y, sizeof y);
}

static void replicate(const mtp_cfg *in, int na, int nb, int nc, mtp_cfg *out)
{
    mtp_error err;
    int n = in->n_atoms, m = n * na * nb * nc, k = 0;
    mtp_cfg_init(out);
    mtp_cfg_alloc(out, m, 0, &err);
    for (int p = 0; p < na; p++)
        for (int q = 0; q < nb; q++)
            for (int s = 0; s < nc; s++)
                for (int i = 0; i < n; i++, k++) {
                    for (int a = 0; a < 3; a++)
                        out->positions[3 * k + a] = in->positions[3 * i + a] + p * in->lattice[0][a] +
                                                    q * in->lattice[1][a] + s * in->lattice[2][a];
                    out->types[k] = in->types[i];
                }
    for (int a = 0; a < 3; a++) {
        out->lattice[0][a] = na * in->lattice[0][a];
        out->lattice[1][a] = nb * in->lattice[1][a];
        out->lattice[2][a] = nc * in->lattice[2][a];
    }
}

static void run(int level, int S)
{
    mtp_potential *pot = tp_potential(level, S, 5.0);
    mtp_calculator *c;
    mtp_error err;
    mtp_calculator_create(pot, &c, &err);
    double L[3][3] = {{5.1, 0, 0}, {1.2, 4.8, 0}, {-0.9, 0.7, 5.3}};
    mtp_cfg cfg, t;
    tp_random_cfg(&cfg, 10, L, S, 1.9, 1);
    mtp_cfg_init(&t);
    result r0 = eval(c, &cfg);
    int n = cfg.n_atoms;

    /* per-atom sums */
    double se = 0, sv[9] = {0};
    for (int i = 0; i < n; i++) {
        se += r0.site[i];
        for (int k = 0; k < 9; k++) sv[k] += r0.sv[9 * i + k];
    }
    CHECK(tu_close(se, r0.E, 1e-12, 1e-12), "site energies sum %.15g vs %.15g", se, r0.E);
    double W9[6] = {sv[0], sv[4], sv[8], 0.5 * (sv[5] + sv[7]), 0.5 * (sv[2] + sv[6]), 0.5 * (sv[1] + sv[3])};
    for (int k = 0; k < 6; k++) CHECK(tu_close(W9[k], r0.W[k], 1e-10, 1e-10), "per-atom virial sum %d", k);
    double fsum[3] = {0};
    for (int i = 0; i < n; i++)
        for (int a = 0; a < 3; a++) fsum[a] += r0.F[3 * i + a];
    for (int a = 0; a < 3; a++) CHECK(fabs(fsum[a]) < 1e-10 * (1 + fabs(r0.E)), "net force %d = %g", a, fsum[a]);

    /* rotation of atoms and cell */
    double R[3][3];
    rotation_matrix(R);
    mtp_cfg_copy(&t, &cfg, &err);
    for (int i = 0; i < n; i++) apply(R, t.positions + 3 * i);
    for (int v = 0; v < 3; v++) apply(R, t.lattice[v]);
    result r1 = eval(c, &t);
    CHECK(tu_close(r1.E, r0.E, 1e-11, 1e-11), "rotation: E %.15g vs %.15g", r1.E, r0.E);
    for (int i = 0; i < n; i++) {
        double f[3] = {r0.F[3 * i], r0.F[3 * i + 1], r0.F[3 * i + 2]};
        apply(R, f);
        for (int a = 0; a < 3; a++)
            CHECK(tu_close(f[a], r1.F[3 * i + a], 1e-9, 1e-9), "rotation: force %d,%d", i, a);
    }
    drop(&r1);

    /* translation (atoms leave the cell: wrapping must not matter) */
    mtp_cfg_copy(&t, &cfg, &err);
    for (int i = 0; i < n; i++)
        for (int a = 0; a < 3; a++) t.positions[3 * i + a] += 7.3 + 0.9 * a - 2.0 * (i % 3);
    for (int i = 0; i < n; i += 3) /* whole lattice-vector shifts of some atoms */
        for (int a = 0; a < 3; a++) t.positions[3 * i + a] += 2 * L[1][a] - L[2][a];
    mtp_cfg_copy(&t, &cfg, &err);
    for (int i = 0; i < n; i++)
        for (int a = 0; a < 3; a++) t.positions[3 * i + a] += 3.7 - 1.1 * a;
    for (int i = 0; i < n; i += 3)
        for (int a = 0; a < 3; a++) t.positions[3 * i + a] += 2 * L[1][a] - L[2][a];
    r1 = eval(c, &t);
    CHECK(tu_close(r1.E, r0.E, 1e-11, 1e-11), "translation: E %.15g vs %.15g", r1.E, r0.E);
    for (int i = 0; i < 3 * n; i++) CHECK(tu_close(r1.F[i], r0.F[i], 1e-9, 1e-9), "translation: force %d", i);
    for (int k = 0; k < 6; k++) CHECK(tu_close(r1.W[k], r0.W[k], 1e-9, 1e-9), "translation: virial %d", k);
    drop(&r1);

    /* permutation */
    mtp_cfg_copy(&t, &cfg, &err);
    for (int i = 0; i < n; i++) {
        int j = n - 1 - i;
        memcpy(t.positions + 3 * i, cfg.positions + 3 * j, 3 * sizeof(double));
        t.types[i] = cfg.types[j];
    }
    r1 = eval(c, &t);
    CHECK(tu_close(r1.E, r0.E, 1e-11, 1e-11), "permutation: E %.15g vs %.15g", r1.E, r0.E);
    for (int i = 0; i < n; i++)
        for (int a = 0; a < 3; a++)
            CHECK(tu_close(r1.F[3 * i + a], r0.F[3 * (n - 1 - i) + a], 1e-9, 1e-9), "permutation: force %d", i);
    drop(&r1);

    /* replication: n-fold cell has n times the energy and virial */
    int reps[3][3] = {{2, 1, 1}, {1, 2, 3}, {2, 2, 2}};
    for (int k = 0; k < 3; k++) {
        mtp_cfg big;
        replicate(&cfg, reps[k][0], reps[k][1], reps[k][2], &big);
        int m = reps[k][0] * reps[k][1] * reps[k][2];
        result rb = eval(c, &big);
        CHECK(tu_close(rb.E, m * r0.E, 1e-10, 1e-10), "%dx%dx%d supercell: E %.15g vs %d x %.15g", reps[k][0],
              reps[k][1], reps[k][2], rb.E, m, r0.E);
        for (int q = 0; q < 6; q++) CHECK(tu_close(rb.W[q], m * r0.W[q], 1e-9, 1e-9), "supercell virial %d", q);
        for (int i = 0; i < n; i++)
            for (int a = 0; a < 3; a++) CHECK(tu_close(rb.F[3 * i + a], r0.F[3 * i + a], 1e-9, 1e-9), "supercell force");
        drop(&rb);
        mtp_cfg_free(&big);
    }

    /* a cell much smaller than the cutoff: one atom, many self-images */
    mtp_cfg tiny, tiny3;
    mtp_cfg_init(&tiny);
    mtp_cfg_alloc(&tiny, 1, 0, &err);
    double Ls[3][3] = {{2.3, 0, 0}, {0.4, 2.2, 0}, {0.3, -0.5, 2.4}};
    memcpy(tiny.lattice, Ls, sizeof Ls);
    result rt = eval(c, &tiny);
    replicate(&tiny, 3, 3, 3, &tiny3);
    result rt3 = eval(c, &tiny3);
    CHECK(tu_close(rt3.E, 27 * rt.E, 1e-10, 1e-10), "tiny cell: E %.15g vs 27 x %.15g", rt3.E, rt.E);
    for (int q = 0; q < 6; q++) CHECK(tu_close(rt3.W[q], 27 * rt.W[q], 1e-9, 1e-9), "tiny cell virial %d", q);
    drop(&rt);
    drop(&rt3);
    mtp_cfg_free(&tiny);
    mtp_cfg_free(&tiny3);

    /* an isolated atom has the species energy and no force */
    mtp_cfg one;
    mtp_cfg_init(&one);
    mtp_cfg_alloc(&one, 2, 0, &err);
    one.positions[3] = 50.0;
    one.types[1] = S - 1;
    result ro = eval(c, &one);
    double theta_sc[8];
    int np = mtp_potential_param_count(pot), A = mtp_potential_get_info(pot).scalar_count;
    double *theta = malloc(sizeof(double) * np);
    mtp_potential_get_params(pot, theta, &err);
    for (int s = 0; s < S; s++) theta_sc[s] = theta[np - A - S + s];
    CHECK(tu_close(ro.E, theta_sc[0] + theta_sc[S - 1], 1e-14, 1e-14), "isolated atoms: E %.15g", ro.E);
    for (int i = 0; i < 6; i++) CHECK(ro.F[i] == 0, "isolated atom force");
    free(theta);
    drop(&ro);
    mtp_cfg_free(&one);

    printf("level %d, %d species: invariances hold\n", level, S);
    drop(&r0);
    mtp_cfg_free(&t);
    mtp_cfg_free(&cfg);
    mtp_calculator_destroy(c);
    mtp_potential_destroy(pot);
}


/* Total energy from brute-force neighbourhoods (all images within a box of
 * +-N cells) fed to the public kernel, for comparison with mtp_compute. */
static double brute_force_energy(mtp_potential *pot, mtp_calculator *c, const mtp_cfg *cfg, double rc)
{
    int per[3], N[3];
    for (int a = 0; a < 3; a++) {
        per[a] = cfg->lattice[a][0] != 0 || cfg->lattice[a][1] != 0 || cfg->lattice[a][2] != 0;
        double l = sqrt(cfg->lattice[a][0] * cfg->lattice[a][0] + cfg->lattice[a][1] * cfg->lattice[a][1] +
                        cfg->lattice[a][2] * cfg->lattice[a][2]);
        N[a] = per[a] ? (int)ceil(3 * rc / l) + 1 : 0;
    }
    int cap = 4096, *sp = malloc(sizeof(int) * cap);
    double *r = malloc(sizeof(double) * 3 * cap), E = 0;
    mtp_error err;
    for (int i = 0; i < cfg->n_atoms; i++) {
        int m = 0;
        for (int j = 0; j < cfg->n_atoms; j++)
            for (int p = -N[0]; p <= N[0]; p++)
                for (int q = -N[1]; q <= N[1]; q++)
                    for (int s = -N[2]; s <= N[2]; s++) {
                        double d[3];
                        for (int k = 0; k < 3; k++)
                            d[k] = cfg->positions[3 * j + k] + p * cfg->lattice[0][k] + q * cfg->lattice[1][k] +
                                   s * cfg->lattice[2][k] - cfg->positions[3 * i + k];
                        double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                        if (r2 == 0 || r2 >= rc * rc) continue;
                        if (m == cap) {
                            cap *= 2;
                            sp = realloc(sp, sizeof(int) * cap);
                            r = realloc(r, sizeof(double) * 3 * cap);
                        }
                        sp[m] = mtp_potential_species_index(pot, cfg->types[j]);
                        memcpy(r + 3 * m, d, sizeof d);
                        m++;
                    }
        double e;
        mtp_site_eval(c, mtp_potential_species_index(pot, cfg->types[i]), m, sp, r, &e, NULL, NULL, NULL, &err);
        E += e;
    }
    free(sp);
    free(r);
    return E;
}

static void neighbour_search_cases(void)
{
    mtp_potential *pot = tp_potential(8, 2, 5.0);
    mtp_calculator *c;
    mtp_error err;
    mtp_calculator_create(pot, &c, &err);
    static const double cells[][3][3] = {
        {{2.3, 0, 0}, {0.4, 2.2, 0}, {0.3, -0.5, 2.4}},     /* far below the cutoff */
        {{6.1, 0, 0}, {-2.9, 5.0, 0}, {0.8, 1.1, 4.2}},     /* strongly skewed */
        {{11.0, 0, 0}, {0, 10.5, 0}, {0, 0, 12.0}},         /* several bins */
        {{4.0, 0, 0}, {0, 0, 0}, {0, 0, 0}},                /* a wire */
        {{4.2, 0.3, 0}, {-1.0, 3.9, 0}, {0, 0, 0}},         /* a slab */
        {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}},                  /* a cluster */
    };
    for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++) {
        double box[3][3];
        memcpy(box, cells[k], sizeof box);
        for (int a = 0; a < 3; a++) /* non-periodic directions: place atoms in a 6 A box */
            if (box[a][0] == 0 && box[a][1] == 0 && box[a][2] == 0) box[a][a] = 6.0;
        mtp_cfg cfg;
        int n = k == 0 ? 2 : 9;
        tp_random_cfg(&cfg, n, box, 2, k == 0 ? 0.9 : 1.7, 1);
        memcpy(cfg.lattice, cells[k], sizeof cfg.lattice);
        /* atoms exactly on and just outside the cell faces */
        if (n > 2) {
            cfg.positions[0] = cfg.positions[1] = cfg.positions[2] = 0.0;
            for (int a = 0; a < 3; a++) cfg.positions[3 + a] = -1e-17 * (a + 1);
        }
        double E, Eb = brute_force_energy(pot, c, &cfg, 5.0);
        CHECK_OK(mtp_compute(c, &cfg, &E, NULL, NULL, NULL, NULL, &err), err);
        CHECK(tu_close(E, Eb, 1e-11, 1e-11), "cell case %zu: E %.15g vs brute force %.15g", k, E, Eb);
        mtp_cfg_free(&cfg);
    }
    mtp_calculator_destroy(c);
    mtp_potential_destroy(pot);
}

int main(void)
{
    neighbour_search_cases();
    run(8, 1);
    run(10, 3);
    run(16, 2);
    return tu_finish("invariance");
}
