/* SPDX-License-Identifier: BSD-3-Clause */
/* The batched grading path against the single-site one:
 *  - mtp_sites_eval's d_params rows equal mtp_site_eval's (levels 8-20,
 *    1-3 species, empty, single-species and mixed neighbourhoods, batches
 *    that are not a multiple of the kernel's four lanes), and asking for
 *    them changes neither energies nor d_rij;
 *  - those rows are dV_s/dtheta (finite differences of the batched energies);
 *  - mtp_grade_site_rows equals a plain row-by-row evaluation of
 *    max_j |(b A^-1)_j| bit for bit, with A^-1 read from the potential's
 *    MVS_v1.1 section independently of the library's loader, and so does
 *    mtp_grade's per-atom grade (which uses both batched paths).
 * Generated potentials and configurations only. */
#include "internal.h"
#include "testpot.h"

enum { N_SITES = 23 };

/* N_SITES random neighbourhoods: neighbour counts cycle through 0 (empty),
 * 1, 3, 9, 17, 30; even sites have one neighbour species (the kernel's
 * single-species radial path), odd sites mixed species. */
static void random_sites(int S, double cutoff, int *center, long *offset, int **species, double **rij)
{
    static const int counts[] = {0, 1, 3, 9, 17, 30};
    offset[0] = 0;
    for (int s = 0; s < N_SITES; s++) offset[s + 1] = offset[s] + counts[s % 6];
    long tot = offset[N_SITES];
    *species = malloc(sizeof(int) * (tot ? tot : 1));
    *rij = malloc(sizeof(double) * 3 * (tot ? tot : 1));
    for (int s = 0; s < N_SITES; s++) {
        center[s] = s % S;
        int one = (s / 2) % S;
        for (long j = offset[s]; j < offset[s + 1]; j++) {
            double r = 1.8 + (cutoff - 1.9) * 0.5 * (tu_rand() + 1), u[3] = {tu_rand(), tu_rand(), tu_rand()};
            double l = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
            for (int k = 0; k < 3; k++) (*rij)[3 * j + k] = r * u[k] / l;
            (*species)[j] = s % 2 == 0 ? one : (int)(j % S);
        }
    }
}

static void check_rows(int level, int S)
{
    const double cutoff = 5.0;
    mtp_potential *pot = tp_potential(level, S, cutoff);
    mtp_calculator *c;
    mtp_error err;
    CHECK_OK(mtp_calculator_create(pot, &c, &err), err);
    const int P = mtp_potential_param_count(pot);
    int center[N_SITES], *sp;
    long offset[N_SITES + 1];
    double *rij;
    random_sites(S, cutoff, center, offset, &sp, &rij);
    const long tot = offset[N_SITES];
    double *rows = malloc(sizeof(double) * N_SITES * P), *row = malloc(sizeof(double) * P);
    double *d_rij = malloc(sizeof(double) * 3 * (tot ? tot : 1)), *d_rij0 = malloc(sizeof(double) * 3 * (tot ? tot : 1));
    double E[N_SITES], E0[N_SITES];
    CHECK_OK(mtp_sites_eval(c, N_SITES, center, offset, sp, rij, E, d_rij, rows, &err), err);
    CHECK_OK(mtp_sites_eval(c, N_SITES, center, offset, sp, rij, E0, d_rij0, NULL, &err), err);
    int same = 1;
    for (int s = 0; s < N_SITES; s++) same &= E[s] == E0[s];
    for (long k = 0; k < 3 * tot; k++) same &= d_rij[k] == d_rij0[k];
    CHECK(same, "level %d S %d: energies or d_rij change when d_params is requested", level, S);
    /* rows only (no energy, no d_rij), in a different batching: 5 sites then the rest */
    double *rows2 = malloc(sizeof(double) * N_SITES * P);
    CHECK_OK(mtp_sites_eval(c, 5, center, offset, sp, rij, NULL, NULL, rows2, &err), err);
    CHECK_OK(mtp_sites_eval(c, N_SITES - 5, center + 5, offset + 5, sp, rij, NULL, NULL, rows2 + 5 * P, &err), err);
    long exact = 0, total = 0;
    double worst = 0;
    for (int s = 0; s < N_SITES; s++) {
        long o = offset[s];
        CHECK_OK(mtp_site_eval(c, center[s], (int)(offset[s + 1] - o), sp + o, rij + 3 * o, NULL, NULL, NULL, row, &err),
                 err);
        double scale = 0;
        for (int k = 0; k < P; k++) scale = fmax(scale, fabs(row[k]));
        for (int k = 0; k < P; k++) {
            double a = rows[(size_t)s * P + k], b = row[k], b2 = rows2[(size_t)s * P + k];
            double dev = fmax(fabs(a - b), fabs(b2 - b)) / (scale > 0 ? scale : 1);
            worst = fmax(worst, dev);
            exact += a == b && b2 == b;
            total++;
            if (dev > 1e-12) {
                CHECK(0, "level %d S %d site %d (%ld neighbours): d_params[%d] batched %.17g / %.17g, single %.17g",
                      level, S, s, offset[s + 1] - o, k, a, b2, b);
                s = N_SITES; /* one message per potential */
                break;
            }
        }
    }
    /* the empty neighbourhood: only its species coefficient and the constant basis functions */
    const double *empty = rows;
    CHECK(empty[(size_t)S * S * mtp_potential_get_info(pot).radial_funcs_count *
                mtp_potential_get_info(pot).radial_basis_size + center[0]] == 1.0,
          "level %d S %d: empty neighbourhood has no species-coefficient derivative", level, S);
    printf("level %2d S %d: %d parameters, %ld/%ld row entries bit-identical, max deviation %.3g\n", level, S, P, exact,
           total, worst);

    /* finite differences of the batched energies in theta (sites 3 and 4:
     * mixed and single-species, 9 and 17 neighbours) */
    double *theta = malloc(sizeof(double) * P);
    mtp_potential_get_params(pot, theta, &err);
    for (int s = 3; s <= 4; s++) {
        double gmax = 0;
        for (int k = 0; k < P; k++) gmax = fmax(gmax, fabs(rows[(size_t)s * P + k]));
        for (int k = 0; k < P; k++) {
            double t0 = theta[k], h = 1e-6 * fmax(1.0, fabs(t0)), ep[N_SITES], em[N_SITES];
            theta[k] = t0 + h;
            mtp_potential_set_params(pot, theta, &err);
            CHECK_OK(mtp_sites_eval(c, N_SITES, center, offset, sp, rij, ep, NULL, NULL, &err), err);
            theta[k] = t0 - h;
            mtp_potential_set_params(pot, theta, &err);
            CHECK_OK(mtp_sites_eval(c, N_SITES, center, offset, sp, rij, em, NULL, NULL, &err), err);
            theta[k] = t0;
            double fd = (ep[s] - em[s]) / (2 * h), g = rows[(size_t)s * P + k];
            if (fabs(fd - g) > 1e-6 * (gmax + 1e-6)) {
                CHECK(0, "level %d S %d site %d: dV/dtheta[%d] batched %.10g fd %.10g", level, S, s, k, g, fd);
                break;
            }
        }
    }
    mtp_potential_set_params(pot, theta, &err);
    free(theta);
    free(rows);
    free(rows2);
    free(row);
    free(d_rij);
    free(d_rij0);
    free(sp);
    free(rij);
    mtp_calculator_destroy(c);
    mtp_potential_destroy(pot);
}

/* (A^-1)^T as stored in the MVS_v1.1 section, after A (file format read
 * independently of the library's loader, as in test_select.c). */
static double *stored_ainv_t(const mtp_potential *pot, int P)
{
    const unsigned char *s = pot->al_section;
    size_t pos = 0;
    for (int lines = 0; lines < 6; pos++) lines += s[pos] == '\n'; /* header + 5 weights */
    if (s[pos] != '#') return NULL;
    double *T = malloc(sizeof(double) * P * P);
    memcpy(T, s + pos + 1 + sizeof(double) * P * P, sizeof(double) * P * P);
    return T;
}

/* max_j |sum_k b_k (A^-1)_kj|, summed in order k = 0, 1, ... */
static double plain_grade(const double *ainv_t, int P, const double *b)
{
    double best = 0;
    for (int j = 0; j < P; j++) {
        volatile double c = 0; /* one rounding per product and sum, never fused */
        for (int k = 0; k < P; k++) {
            volatile double t = b[k] * ainv_t[(size_t)j * P + k];
            c = c + t;
        }
        if (fabs(c) > best) best = fabs(c);
    }
    return best;
}

static void check_grades(int level, int S)
{
    mtp_potential *pot = tp_potential(level, S, 5.0);
    mtp_error err;
    const int P = mtp_potential_param_count(pot);
    /* training configurations for the active set, and fresh ones to grade */
    enum { N_TRAIN = 6, N_TEST = 3 };
    mtp_cfg cfgs[N_TRAIN + N_TEST];
    for (int k = 0; k < N_TRAIN + N_TEST; k++) {
        int n = 20 + 7 * k;
        double a = 2.6 * cbrt((double)n);
        double L[3][3] = {{a, 0, 0}, {0.3 * tu_rand(), a, 0}, {0, 0.2 * tu_rand(), a}};
        tp_random_cfg(&cfgs[k], n, L, S, 1.7, 1);
    }
    mtp_active_set_options opt = {MTP_GRADE_NEIGHBORHOOD, 0, 0, -1, 0};
    int n_sel = 0;
    CHECK_OK(mtp_active_set_select(pot, cfgs, N_TRAIN, &opt, &n_sel, &err), err);
    mtp_grader *g;
    CHECK_OK(mtp_grader_create(pot, &g, &err), err);
    double *ainv_t = stored_ainv_t(pot, P);
    CHECK(ainv_t != NULL, "level %d S %d: no MVS section", level, S);
    mtp_calculator *c;
    CHECK_OK(mtp_calculator_create(pot, &c, &err), err);
    long n_rows = 0, identical = 0;
    double gmax = 0;
    for (int k = N_TRAIN; k < N_TRAIN + N_TEST && ainv_t; k++) {
        const mtp_cfg *cfg = &cfgs[k];
        double grade, *atom_grades = malloc(sizeof(double) * cfg->n_atoms);
        CHECK_OK(mtp_grade(g, cfg, &grade, atom_grades, &err), err);
        /* reference: single-site rows, graded one by one in plain C */
        double *row = malloc(sizeof(double) * P), *rows = malloc(sizeof(double) * cfg->n_atoms * P);
        double ref_max = 0;
        mtp_nlist nl;
        mtp_nlist_init(&nl);
        CHECK_OK(mtp_nlist_build(&nl, cfg, mtp_potential_get_info(pot).max_dist, &err), err);
        for (int i = 0; i < cfg->n_atoms; i++) {
            int center = mtp_potential_species_index(pot, cfg->types[i]);
            int nn = (int)(nl.offset[i + 1] - nl.offset[i]), *sp = malloc(sizeof(int) * (nn ? nn : 1));
            for (int j = 0; j < nn; j++) sp[j] = mtp_potential_species_index(pot, cfg->types[nl.index[nl.offset[i] + j]]);
            CHECK_OK(mtp_site_eval(c, center, nn, sp, nl.rij + 3 * nl.offset[i], NULL, NULL, NULL, row, &err), err);
            memcpy(rows + (size_t)i * P, row, sizeof(double) * P);
            double ref = plain_grade(ainv_t, P, row);
            ref_max = fmax(ref_max, ref);
            CHECK(atom_grades[i] == ref, "level %d S %d cfg %d atom %d: mtp_grade %.17g, plain %.17g", level, S, k, i,
                  atom_grades[i], ref);
            CHECK(mtp_grade_site_row(g, row) == ref, "level %d S %d: mtp_grade_site_row %.17g, plain %.17g", level, S,
                  mtp_grade_site_row(g, row), ref);
            identical += atom_grades[i] == ref;
            n_rows++;
            free(sp);
        }
        /* all rows at once, and in odd-sized pieces */
        double *gr = malloc(sizeof(double) * cfg->n_atoms), *gr2 = malloc(sizeof(double) * cfg->n_atoms);
        mtp_grade_site_rows(g, cfg->n_atoms, rows, gr);
        for (int i0 = 0; i0 < cfg->n_atoms; i0 += 7) {
            int m = cfg->n_atoms - i0 < 7 ? cfg->n_atoms - i0 : 7;
            mtp_grade_site_rows(g, m, rows + (size_t)i0 * P, gr2 + i0);
        }
        int same = 1;
        for (int i = 0; i < cfg->n_atoms; i++) same &= gr[i] == atom_grades[i] && gr2[i] == atom_grades[i];
        CHECK(same, "level %d S %d cfg %d: mtp_grade_site_rows differs from mtp_grade", level, S, k);
        CHECK(grade == ref_max, "level %d S %d cfg %d: grade %.17g, max of plain grades %.17g", level, S, k, grade,
              ref_max);
        gmax = fmax(gmax, grade);
        mtp_nlist_free(&nl);
        free(gr);
        free(gr2);
        free(row);
        free(rows);
        free(atom_grades);
    }
    printf("level %2d S %d: %d parameters, %ld/%ld grades bit-identical to the plain evaluation, max grade %.4g\n",
           level, S, P, identical, n_rows, gmax);
    for (int k = 0; k < N_TRAIN + N_TEST; k++) mtp_cfg_free(&cfgs[k]);
    free(ainv_t);
    mtp_calculator_destroy(c);
    mtp_grader_destroy(g);
    mtp_potential_destroy(pot);
}

int main(void)
{
    for (int level = 8; level <= 20; level += 2)
        for (int S = 1; S <= 3; S++) {
            if (level >= 18 && S == 2) continue; /* keep the run short; 1 and 3 species cover it */
            check_rows(level, S);
        }
    check_grades(8, 1);
    check_grades(10, 2);
    check_grades(12, 3);
    return tu_finish("grade_batch");
}
