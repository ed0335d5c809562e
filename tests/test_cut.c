/* SPDX-License-Identifier: BSD-3-Clause */
/* Cutting extrapolative neighbourhoods (libmtp/src/cut_nbh.c):
 *  1. MLIP-3's cluster reproduces MLIP-3's example output byte for byte
 *     (needs ../shared/data; that part is skipped without it);
 *  2. the centre of a cluster cut with radius >= cutoff has the site energy
 *     it has in the periodic cell (images included);
 *  3. periodic cut of a big skewed periodic cell and of a cluster: every
 *     atom with force_weight 1 has the site energy and force it has in the
 *     big cell to 1e-10; with buffer < cutoff the core site energies are
 *     still exact but no force is claimed; the drop rule leaves no pair
 *     across the new boundary closer than min_dist; the trusted atoms'
 *     extrapolation grades (a function of their site rows) agree too. */
#include "testpot.h"

#include <openmtp/openmtp.h>

/* Index of the big-cell atom that a small-cell atom is an image of. */
static int find_orig(const mtp_cfg *big, const double inv[3][3], int periodic, const double *x)
{
    for (int j = 0; j < big->n_atoms; j++) {
        double d[3];
        for (int a = 0; a < 3; a++) d[a] = x[a] - big->positions[3 * j + a];
        if (periodic)
            for (int b = 0; b < 3; b++) {
                double f = d[0] * inv[0][b] + d[1] * inv[1][b] + d[2] * inv[2][b], s = -round(f);
                for (int a = 0; a < 3; a++) d[a] += s * big->lattice[b][a];
            }
        if (sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) < 1e-8) return j;
    }
    return -1;
}

static void invert(const double m[3][3], double inv[3][3])
{
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) {
            int r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
            inv[r][c] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) / det;
        }
}

/* Compare trusted atoms of `cell` with the big configuration; returns the
 * number of atoms with weight 1 checked.  core_sites: also check the site
 * energy of every atom within `core` of the centre regardless of weight. */
static int compare(mtp_calculator *calc, const mtp_cfg *big, const mtp_cfg *cell, const mtp_cut_report *rep,
                   const double *center, double core_site_radius, const char *what)
{
    mtp_error err;
    int nb = big->n_atoms, nc = cell->n_atoms, periodic = mtp_cfg_periodic_dims(big) == 3;
    double *eb = malloc(sizeof(double) * nb), *fb = malloc(sizeof(double) * 3 * nb);
    double *ec = malloc(sizeof(double) * nc), *fc = malloc(sizeof(double) * 3 * nc);
    double Eb, Ec, inv[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    if (periodic) invert(big->lattice, inv);
    CHECK_OK(mtp_compute(calc, big, &Eb, fb, NULL, eb, NULL, &err), err);
    CHECK_OK(mtp_compute(calc, cell, &Ec, fc, NULL, ec, NULL, &err), err);
    int checked = 0, n_w1 = 0;
    double worst_e = 0, worst_f = 0;
    for (int k = 0; k < nc; k++) {
        double x[3];
        for (int a = 0; a < 3; a++) x[a] = cell->positions[3 * k + a] + rep->origin[a];
        int o = find_orig(big, inv, periodic, x);
        CHECK(o >= 0, "%s: small-cell atom %d is no image of a big-cell atom", what, k);
        if (o < 0) continue;
        CHECK(cell->types[k] == big->types[o], "%s: atom %d type %d, in the big cell %d", what, k, cell->types[k],
              big->types[o]);
        double dc = sqrt(pow(x[0] - center[0], 2) + pow(x[1] - center[1], 2) + pow(x[2] - center[2], 2));
        int w1 = cell->force_weights[k] == 1.0;
        CHECK(cell->force_weights[k] == 0.0 || w1, "%s: weight %g", what, cell->force_weights[k]);
        n_w1 += w1;
        if (w1 || dc <= core_site_radius) {
            double de = fabs(ec[k] - eb[o]);
            if (de > worst_e) worst_e = de;
            CHECK(de <= 1e-10, "%s: atom %d (big %d): site energy %.15g vs %.15g", what, k, o, ec[k], eb[o]);
        }
        if (w1 && rep->n_force_exact == rep->n_trusted) {
            checked++;
            for (int a = 0; a < 3; a++) {
                double df = fabs(fc[3 * k + a] - fb[3 * o + a]);
                if (df > worst_f) worst_f = df;
                CHECK(df <= 1e-10, "%s: atom %d (big %d): force %.15g vs %.15g", what, k, o, fc[3 * k + a],
                      fb[3 * o + a]);
            }
        }
    }
    CHECK(n_w1 == rep->n_trusted, "%s: %d weights 1, report says %d trusted", what, n_w1, rep->n_trusted);
    printf("%s: %d atoms (big %d), box %.2f %.2f %.2f, trusted %d of %d core (%d exact forces), exact sites %d, dropped %d, "
           "cross-boundary min %.3f -> %.3f (threshold %.3f), worst |dE_site| %.2e, |dF| %.2e\n",
           what, nc, nb, rep->box[0], rep->box[1], rep->box[2], rep->n_trusted, rep->n_core, rep->n_force_exact, rep->n_exact_sites,
           rep->n_dropped, rep->min_cross_before, rep->min_cross_after, rep->min_dist_used, worst_e, worst_f);
    free(eb), free(fb), free(ec), free(fc);
    return checked;
}

static void mlip_reference(const char *dir)
{
    char in[4096], ref[4096];
    snprintf(in, sizeof in, "%s/mlip3/examples/cut_extrapolative_nbh/selected.cfg", dir);
    snprintf(ref, sizeof ref, "%s/mlip3/examples/cut_extrapolative_nbh/spherical.cfg", dir);
    if (!tu_exists(in)) {
        printf("SKIP part 1: %s not found (reference data beside the repository)\n", in);
        return;
    }
    mtp_cfg *cfgs;
    int n;
    mtp_error err;
    CHECK_OK(mtp_read_cfgs(in, MTP_FORMAT_AUTO, NULL, &cfgs, &n, &err), err);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    int written = 0;
    for (int k = 0; k < n; k++) {
        double g;
        int c = mtp_cfg_max_grade_atom(&cfgs[k], &g);
        if (c < 0 || g < 1.1) continue;
        mtp_cfg cl;
        mtp_cfg_init(&cl);
        CHECK_OK(mtp_cut_cluster(&cfgs[k], c, 8.0, &cl, &err), err);
        char s[64];
        snprintf(s, sizeof s, "%d", written++);
        mtp_cfg_set_feature(&cl, "cfg#", s, &err);
        snprintf(s, sizeof s, "%d", c);
        mtp_cfg_set_feature(&cl, "nbh#", s, &err);
        snprintf(s, sizeof s, "%f", g);
        mtp_cfg_set_feature(&cl, "extrapolation_grade", s, &err);
        CHECK_OK(mtp_write_cfg(fp, "memory", &cl, MTP_FORMAT_CFG, NULL, &err), err);
        mtp_cfg_free(&cl);
    }
    fclose(fp);
    FILE *rf = fopen(ref, "rb");
    char *rbuf = malloc(1 << 20);
    size_t rlen = fread(rbuf, 1, 1 << 20, rf);
    fclose(rf);
    CHECK(rlen == len && memcmp(rbuf, buf, len) == 0, "cluster output differs from MLIP-3's spherical.cfg (%zu vs %zu bytes)",
          len, rlen);
    printf("part 1: %d clusters, %zu bytes, identical to MLIP-3: %s\n", written, len,
           rlen == len && memcmp(rbuf, buf, len) == 0 ? "yes" : "NO");
    free(rbuf);
    free(buf);
    mtp_free_cfgs(cfgs, n);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/data";
    mlip_reference(dir);

    const double rc = 5.0;
    mtp_potential *pot = tp_potential(8, 2, rc);
    mtp_calculator *calc;
    mtp_error err;
    CHECK_OK(mtp_calculator_create(pot, &calc, &err), err);

    /* a big skewed cell: 600 atoms, two species */
    double L[3][3] = {{19.0, 0, 0}, {3.0, 18.0, 0}, {-2.0, 1.5, 17.0}};
    mtp_cfg big;
    tp_random_cfg(&big, 600, L, 2, 1.7, 1);
    const int c0 = 17;

    /* 2. cluster around c0: the centre's site energy is that of the cell */
    {
        mtp_cfg cl;
        mtp_cfg_init(&cl);
        CHECK_OK(mtp_cut_cluster(&big, c0, rc + 0.5, &cl, &err), err);
        double *eb = malloc(sizeof(double) * big.n_atoms), *ec = malloc(sizeof(double) * cl.n_atoms), E;
        CHECK_OK(mtp_compute(calc, &big, &E, NULL, NULL, eb, NULL, &err), err);
        CHECK_OK(mtp_compute(calc, &cl, &E, NULL, NULL, ec, NULL, &err), err);
        CHECK(fabs(ec[0] - eb[c0]) <= 1e-10, "cluster centre site energy %.15g vs %.15g", ec[0], eb[c0]);
        CHECK(cl.types[0] == big.types[c0], "cluster centre type");
        printf("part 2: cluster of %d atoms, centre site energy difference %.2e\n", cl.n_atoms, fabs(ec[0] - eb[c0]));
        free(eb), free(ec);
        mtp_cfg_free(&cl);
    }

    /* 3a. core 2.5, buffer = cutoff: all core atoms trusted, exact forces */
    mtp_cut_periodic_options o;
    mtp_cut_periodic_options_default(&o);
    o.cutoff = rc;
    o.core = 2.5;
    CHECK(o.whole_if_not_smaller == 1, "the whole rule is on by default");
    mtp_cfg cell;
    mtp_cfg_init(&cell);
    mtp_cut_report rep;

    /* 3w. the whole rule: the cut of 3a would hold 2182 atoms, more than the
     * 600 of the cell, so the cell itself is returned, all atoms trusted,
     * with its energy and stress weights untouched */
    CHECK_OK(mtp_cut_periodic(&big, 1, &c0, &o, &cell, &rep, &err), err);
    {
        CHECK(rep.whole == 1 && cell.n_atoms == big.n_atoms && rep.n_atoms == big.n_atoms && rep.n_dropped == 0,
              "whole rule: whole %d, %d atoms of %d", rep.whole, cell.n_atoms, big.n_atoms);
        int same = cell.force_weights != NULL && memcmp(cell.lattice, big.lattice, sizeof cell.lattice) == 0;
        for (int i = 0; same && i < big.n_atoms; i++)
            same = cell.types[i] == big.types[i] && cell.force_weights[i] == 1.0 &&
                   memcmp(cell.positions + 3 * i, big.positions + 3 * i, 3 * sizeof(double)) == 0;
        CHECK(same, "whole rule: the cell is the configuration, every force_weight 1");
        const char *g = mtp_cfg_get_feature(&cell, "cut_geometry");
        CHECK(g && strncmp(g, "whole configuration (smaller than the cut box of 28.", 52) == 0, "whole cut_geometry '%s'",
              g ? g : "(none)");
        CHECK(!mtp_cfg_get_feature(&cell, "EnergyWeight") && !mtp_cfg_get_feature(&cell, "StressWeight"),
              "a whole configuration keeps its energy and stress weights");
        printf("3w whole rule: %d atoms, %s\n", cell.n_atoms, g ? g : "");
    }
    o.whole_if_not_smaller = 0; /* 3a-3d test the cut itself on this small cell */
    CHECK_OK(mtp_cut_periodic(&big, 1, &c0, &o, &cell, &rep, &err), err);
    {
        const char *g = mtp_cfg_get_feature(&cell, "cut_geometry"), *ew = mtp_cfg_get_feature(&cell, "EnergyWeight"),
                   *sw = mtp_cfg_get_feature(&cell, "StressWeight");
        CHECK(rep.whole == 0 && g && strncmp(g, "cutoff=5 core=2.5 buffer=5 trusted=5 ", 37) == 0 && ew &&
                  strcmp(ew, "0") == 0 && sw && strcmp(sw, "0") == 0,
              "cut cell features: cut_geometry '%s', EnergyWeight %s, StressWeight %s", g ? g : "(none)",
              ew ? ew : "(none)", sw ? sw : "(none)");
    }
    const double *xc = big.positions + 3 * c0;
    int t = compare(calc, &big, &cell, &rep, xc, o.core + rc, "3a core 2.5 buffer 5");
    CHECK(t >= 2 && rep.n_trusted == rep.n_core && rep.n_force_exact == rep.n_trusted,
          "all %d core atoms trusted with exact forces, got %d / %d", rep.n_core, rep.n_trusted, rep.n_force_exact);
    CHECK(rep.min_cross_after >= rep.min_dist_used, "cross-boundary pair %.3f below threshold %.3f",
          rep.min_cross_after, rep.min_dist_used);
    for (int a = 0; a < 3; a++)
        CHECK(fabs(rep.box[a] - 2 * (o.core + rc + rc + rep.min_dist_used)) < 1e-12, "box edge %g", rep.box[a]);

    /* 3b. buffer 0: site energies of the core exact, but no force claimed */
    o.buffer = 0;
    CHECK_OK(mtp_cut_periodic(&big, 1, &c0, &o, &cell, &rep, &err), err);
    compare(calc, &big, &cell, &rep, xc, o.core, "3b core 2.5 buffer 0");
    CHECK(rep.n_trusted == rep.n_core && rep.n_force_exact == 0,
          "buffer 0: %d of %d core atoms trusted (site), %d claimed exact forces", rep.n_trusted, rep.n_core,
          rep.n_force_exact);

    /* 3c. two merged centres, strict drop threshold */
    {
        int cs[2] = {c0, -1};
        double best = INFINITY;
        for (int j = 0; j < big.n_atoms; j++) {
            if (j == c0) continue;
            double d = 0;
            for (int a = 0; a < 3; a++) d += pow(big.positions[3 * j + a] - xc[a], 2);
            if (sqrt(d) > 3 && sqrt(d) < best) best = sqrt(d), cs[1] = j;
        }
        o.buffer = -1;
        o.core = 1.0;
        o.min_dist = 2.2;
        CHECK_OK(mtp_cut_periodic(&big, 2, cs, &o, &cell, &rep, &err), err);
        compare(calc, &big, &cell, &rep, xc, 0, "3c two centres, min_dist 2.2");
        CHECK(rep.n_dropped > 0, "expected dropped atoms at min_dist 2.2 (closest cross pair %.3f)", rep.min_cross_before);
        CHECK(rep.min_cross_after >= 2.2, "pair across the boundary at %.3f after dropping", rep.min_cross_after);
        CHECK(rep.n_trusted >= 2, "both centres trusted (%d)", rep.n_trusted);
    }

    /* 3d. a non-periodic big configuration (a cluster) */
    {
        mtp_cfg cl;
        tp_random_cfg(&cl, 300, L, 2, 1.7, 0);
        int c = 5;
        o.core = 1.5;
        o.min_dist = 0;
        CHECK_OK(mtp_cut_periodic(&cl, 1, &c, &o, &cell, &rep, &err), err);
        compare(calc, &cl, &cell, &rep, cl.positions + 3 * c, 0, "3d non-periodic input");
        mtp_cfg_free(&cl);
    }

    /* 3e. a big cell (4096 atoms, larger than the box): perturbed lattice
     * with a tilted c vector, core 3 A */
    {
        const int m = 16;
        const double a0 = 2.45;
        mtp_cfg bc;
        mtp_cfg_init(&bc);
        CHECK_OK(mtp_cfg_alloc(&bc, m * m * m, 0, &err), err);
        double LB[3][3] = {{m * a0, 0, 0}, {0, m * a0, 0}, {0, 0.1 * m * a0, m * a0}};
        memcpy(bc.lattice, LB, sizeof LB);
        int k = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                for (int l = 0; l < m; l++, k++) {
                    double f[3] = {(i + 0.15 * tu_rand()) / m, (j + 0.15 * tu_rand()) / m, (l + 0.15 * tu_rand()) / m};
                    for (int a = 0; a < 3; a++) bc.positions[3 * k + a] = f[0] * LB[0][a] + f[1] * LB[1][a] + f[2] * LB[2][a];
                    bc.types[k] = (i + j + l) % 2;
                }
        int c = 1234;
        o.whole_if_not_smaller = 1; /* the cut is smaller: the rule leaves it alone */
        o.core = 3.0;
        o.buffer = -1;
        o.min_dist = 0;
        CHECK_OK(mtp_cut_periodic(&bc, 1, &c, &o, &cell, &rep, &err), err);
        int nt = compare(calc, &bc, &cell, &rep, bc.positions + 3 * c, o.core + rc, "3e big cell, core 3");
        CHECK(nt == rep.n_core && nt > 5 && rep.n_force_exact == nt, "all core atoms trusted: %d of %d", nt, rep.n_core);
        CHECK(cell.n_atoms < bc.n_atoms && !rep.whole, "the cut is smaller than the big cell");
        /* the site rows dV_i/dtheta are those of the big cell too: per-atom
         * extrapolation grades (neighbourhood mode, active set built on the
         * big cell) agree for the trusted atoms */
        mtp_active_set_options aso = {MTP_GRADE_NEIGHBORHOOD, 0, 0, -1, 0};
        int nsel;
        CHECK_OK(mtp_active_set_select(pot, &bc, 1, &aso, &nsel, &err), err);
        mtp_grader *g;
        CHECK_OK(mtp_grader_create(pot, &g, &err), err);
        double gb, gc, *ab = malloc(sizeof(double) * bc.n_atoms), *ac = malloc(sizeof(double) * cell.n_atoms);
        CHECK_OK(mtp_grade(g, &bc, &gb, ab, &err), err);
        CHECK_OK(mtp_grade(g, &cell, &gc, ac, &err), err);
        double inv[3][3], worst = 0;
        invert(bc.lattice, inv);
        int ng = 0;
        for (int k2 = 0; k2 < cell.n_atoms; k2++) {
            if (cell.force_weights[k2] != 1.0) continue;
            double x[3];
            for (int a = 0; a < 3; a++) x[a] = cell.positions[3 * k2 + a] + rep.origin[a];
            int o2 = find_orig(&bc, inv, 1, x);
            if (o2 < 0) continue;
            worst = fmax(worst, fabs(ac[k2] - ab[o2]) / fmax(1.0, fabs(ab[o2])));
            ng++;
        }
        printf("3e: grades of %d trusted atoms: max relative difference %.2e (grades around %.3g)\n", ng, worst, gb);
        CHECK(ng == rep.n_trusted && worst <= 1e-8, "trusted atoms' grades differ by %.3g", worst);
        free(ab), free(ac);
        mtp_grader_destroy(g);
        mtp_cfg_free(&bc);
    }

    /* bad input */
    o.cutoff = -1;
    CHECK(mtp_cut_periodic(&big, 1, &c0, &o, &cell, &rep, &err) == MTP_ERR_INVALID, "negative cutoff accepted");
    o.cutoff = rc;
    int bad = big.n_atoms;
    CHECK(mtp_cut_periodic(&big, 1, &bad, &o, &cell, &rep, &err) == MTP_ERR_INVALID, "bad centre accepted");
    CHECK(mtp_cut_cluster(&big, -1, 5, &cell, &err) == MTP_ERR_INVALID, "bad cluster centre accepted");

    mtp_cfg_free(&cell);
    mtp_cfg_free(&big);
    mtp_calculator_destroy(calc);
    mtp_potential_destroy(pot);
    return tu_finish("test_cut");
}
