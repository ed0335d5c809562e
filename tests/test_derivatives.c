/* SPDX-License-Identifier: BSD-3-Clause */
/* Finite-difference checks of every analytic derivative: forces, virial
 * (periodic triclinic and non-periodic), neighbour-vector derivatives of
 * the kernel and parameter gradients, for levels 6-20 and 1-3 species. */
#include "testpot.h"

static double energy_of(mtp_calculator *c, const mtp_cfg *cfg)
{
    double E;
    mtp_error err;
    if (mtp_compute(c, cfg, &E, NULL, NULL, NULL, NULL, &err) != MTP_OK) {
        fprintf(stderr, "compute: %s\n", err.message);
        exit(1);
    }
    return E;
}

static void check_forces_virial(int level, int S, int periodic)
{
    mtp_potential *pot = tp_potential(level, S, 4.5);
    mtp_calculator *c;
    mtp_error err;
    CHECK_OK(mtp_calculator_create(pot, &c, &err), err);
    /* triclinic cell smaller than twice the cutoff: images matter */
    double L[3][3] = {{4.6, 0.0, 0.0}, {0.9, 4.3, 0.0}, {-0.7, 0.6, 4.9}};
    mtp_cfg cfg;
    tp_random_cfg(&cfg, 7, L, S, 1.9, periodic);
    int n = cfg.n_atoms;
    double E, W[6], *F = malloc(sizeof(double) * 3 * n);
    CHECK_OK(mtp_compute(c, &cfg, &E, F, W, NULL, NULL, &err), err);
    const double h = 1e-5;
    double fmx = 0, worst = 0;
    for (int i = 0; i < 3 * n; i++) fmx = fmax(fmx, fabs(F[i]));
    for (int i = 0; i < 3 * n; i++) {
        double x0 = cfg.positions[i];
        cfg.positions[i] = x0 + h;
        double ep = energy_of(c, &cfg);
        cfg.positions[i] = x0 - h;
        double em = energy_of(c, &cfg);
        cfg.positions[i] = x0;
        double fd = -(ep - em) / (2 * h);
        worst = fmax(worst, fabs(fd - F[i]) / (fmx + 1e-12));
        CHECK(fabs(fd - F[i]) <= 1e-6 * (fmx + 1e-3), "level %d S %d periodic %d: force %d analytic %.10g fd %.10g",
              level, S, periodic, i, F[i], fd);
    }
    /* virial: W_ab = -dE/d eps_ab for x -> (I + eps) x, cell included */
    static const int ab[6][2] = {{0, 0}, {1, 1}, {2, 2}, {1, 2}, {0, 2}, {0, 1}};
    double wmax = 0;
    for (int k = 0; k < 6; k++) wmax = fmax(wmax, fabs(W[k]));
    mtp_cfg strained;
    mtp_cfg_init(&strained);
    for (int k = 0; k < 6; k++) {
        double e2[2];
        for (int sgn = 0; sgn < 2; sgn++) {
            double eps = sgn ? -h : h;
            mtp_cfg_copy(&strained, &cfg, &err);
            int a = ab[k][0], b = ab[k][1];
            /* symmetric strain: W is symmetric, so split eps over (a,b) and (b,a) */
            double m[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
            m[a][b] += a == b ? eps : 0.5 * eps;
            if (a != b) m[b][a] += 0.5 * eps;
            for (int i = 0; i < n; i++) {
                double *x = strained.positions + 3 * i, y[3];
                for (int r = 0; r < 3; r++) y[r] = m[r][0] * x[0] + m[r][1] * x[1] + m[r][2] * x[2];
                memcpy(x, y, sizeof y);
            }
            if (periodic)
                for (int v = 0; v < 3; v++) {
                    double *x = strained.lattice[v], y[3];
                    for (int r = 0; r < 3; r++) y[r] = m[r][0] * x[0] + m[r][1] * x[1] + m[r][2] * x[2];
                    memcpy(x, y, sizeof y);
                }
            e2[sgn] = energy_of(c, &strained);
        }
        double dEde = (e2[0] - e2[1]) / (2 * h);
        double fd = -dEde;
        CHECK(fabs(fd - W[k]) <= 1e-6 * (wmax + 1e-3), "level %d S %d periodic %d: virial %d analytic %.10g fd %.10g",
              level, S, periodic, k, W[k], fd);
    }
    printf("level %2d S %d %s: forces max rel err %.1e\n", level, S, periodic ? "periodic" : "cluster ", worst);
    mtp_cfg_free(&strained);
    mtp_cfg_free(&cfg);
    free(F);
    mtp_calculator_destroy(c);
    mtp_potential_destroy(pot);
}

/* dV/dtheta of one neighbourhood against finite differences in theta. */
static void check_param_gradient(int level, int S)
{
    mtp_potential *pot = tp_potential(level, S, 5.0);
    mtp_calculator *c;
    mtp_error err;
    CHECK_OK(mtp_calculator_create(pot, &c, &err), err);
    int nn = 9, sp[9];
    double rij[27];
    for (int j = 0; j < nn; j++) {
        double r = 2.0 + 2.8 * 0.5 * (tu_rand() + 1), u[3] = {tu_rand(), tu_rand(), tu_rand()};
        double l = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
        for (int k = 0; k < 3; k++) rij[3 * j + k] = r * u[k] / l;
        sp[j] = j % S;
    }
    int n = mtp_potential_param_count(pot), A = mtp_potential_get_info(pot).scalar_count;
    double *g = malloc(sizeof(double) * n), *theta = malloc(sizeof(double) * n), *basis = malloc(sizeof(double) * A);
    double *d_rij = malloc(sizeof(double) * 3 * nn);
    double V;
    int center = S - 1;
    CHECK_OK(mtp_site_eval(c, center, nn, sp, rij, &V, d_rij, basis, g, &err), err);
    mtp_potential_get_params(pot, theta, &err);
    double gmax = 0;
    for (int k = 0; k < n; k++) gmax = fmax(gmax, fabs(g[k]));
    for (int k = 0; k < n; k++) {
        double t0 = theta[k], h = 1e-6 * fmax(1.0, fabs(t0)), ep, em;
        theta[k] = t0 + h;
        mtp_potential_set_params(pot, theta, &err);
        mtp_site_eval(c, center, nn, sp, rij, &ep, NULL, NULL, NULL, &err);
        theta[k] = t0 - h;
        mtp_potential_set_params(pot, theta, &err);
        mtp_site_eval(c, center, nn, sp, rij, &em, NULL, NULL, NULL, &err);
        theta[k] = t0;
        double fd = (ep - em) / (2 * h);
        CHECK(fabs(fd - g[k]) <= 1e-6 * (gmax + 1e-6), "level %d S %d: dV/dtheta[%d] analytic %.10g fd %.10g", level,
              S, k, g[k], fd);
    }
    mtp_potential_set_params(pot, theta, &err);
    /* the linear part: V = species_coeff + sum_k moment_coeffs[k] basis[k] */
    double lin = theta[n - A - S + center];
    for (int k = 0; k < A; k++) lin += theta[n - A + k] * basis[k];
    CHECK(tu_close(lin, V, 1e-12, 1e-12), "level %d: V %.15g != linear part %.15g", level, V, lin);
    /* dV/drij against finite differences */
    for (int j = 0; j < nn; j++)
        for (int a = 0; a < 3; a++) {
            double x0 = rij[3 * j + a], h = 1e-6, ep, em;
            rij[3 * j + a] = x0 + h;
            mtp_site_eval(c, center, nn, sp, rij, &ep, NULL, NULL, NULL, &err);
            rij[3 * j + a] = x0 - h;
            mtp_site_eval(c, center, nn, sp, rij, &em, NULL, NULL, NULL, &err);
            rij[3 * j + a] = x0;
            double fd = (ep - em) / (2 * h);
            CHECK(tu_close(fd, d_rij[3 * j + a], 1e-5, 1e-7 * (fabs(V) + 1)), "level %d: dV/dr[%d][%d] %.10g fd %.10g",
                  level, j, a, d_rij[3 * j + a], fd);
        }
    free(g);
    free(theta);
    free(basis);
    free(d_rij);
    mtp_calculator_destroy(c);
    mtp_potential_destroy(pot);
}


/* RBChebyshev_repuls: the basis is frozen below min_dist and a steep
 * repulsion is added there; forces must still be exact derivatives. */
static void check_repulsive(void)
{
    mtp_potential *pot = tp_potential(10, 2, 4.5), *rep;
    mtp_error err;
    char *text;
    size_t len;
    mtp_potential_write_buffer(pot, &text, &len, &err);
    char *at = strstr(text, "RBChebyshev\n");
    CHECK(at != NULL, "radial type line not found");
    if (!at) return;
    size_t head = (size_t)(at - text) + strlen("RBChebyshev");
    char *mod = malloc(len + 16);
    memcpy(mod, text, head);
    strcpy(mod + head, "_repuls");
    memcpy(mod + head + 7, text + head, len - head + 1);
    CHECK_OK(mtp_potential_read_buffer(mod, len + 7, "repulsive", &rep, &err), err);
    CHECK(mtp_potential_get_info(rep).radial_type == MTP_RADIAL_CHEBYSHEV_REPULSIVE, "radial type not read");
    mtp_calculator *c;
    mtp_calculator_create(rep, &c, &err);
    mtp_cfg cfg;
    mtp_cfg_init(&cfg);
    mtp_cfg_alloc(&cfg, 3, 0, &err);
    double xyz[9] = {0, 0, 0, 1.3, 0.2, -0.1, 0.4, 2.1, 0.3}; /* 1.32 A < min_dist 1.6 */
    memcpy(cfg.positions, xyz, sizeof xyz);
    cfg.types[1] = 1;
    double E, F[9], W[6];
    CHECK_OK(mtp_compute(c, &cfg, &E, F, W, NULL, NULL, &err), err);
    CHECK(mtp_calculator_stats(c).n_close_pairs == 2, "close pairs %ld", mtp_calculator_stats(c).n_close_pairs);
    double fmx = 0;
    for (int i = 0; i < 9; i++) fmx = fmax(fmx, fabs(F[i]));
    for (int i = 0; i < 9; i++) {
        double x0 = cfg.positions[i], h = 1e-6, ep, em;
        cfg.positions[i] = x0 + h;
        mtp_compute(c, &cfg, &ep, NULL, NULL, NULL, NULL, &err);
        cfg.positions[i] = x0 - h;
        mtp_compute(c, &cfg, &em, NULL, NULL, NULL, NULL, &err);
        cfg.positions[i] = x0;
        double fd = -(ep - em) / (2 * h);
        CHECK(fabs(fd - F[i]) <= 1e-6 * fmx, "repulsive: force %d analytic %.10g fd %.10g", i, F[i], fd);
    }
    printf("RBChebyshev_repuls: E %.6f eV, max |F| %.3f eV/A\n", E, fmx);
    mtp_cfg_free(&cfg);
    mtp_calculator_destroy(c);
    mtp_potential_destroy(rep);
    mtp_potential_destroy(pot);
    free(text);
    free(mod);
}

int main(void)
{
    check_repulsive();
    for (int level = 6; level <= 20; level += 2)
        for (int S = 1; S <= 3; S++) {
            if (level >= 18 && S == 2) continue; /* keep the run short; 1 and 3 species cover it */
            check_forces_virial(level, S, 1);
            check_param_gradient(level, S);
        }
    check_forces_virial(10, 2, 0);
    check_forces_virial(16, 3, 0);
    return tu_finish("derivatives");
}
