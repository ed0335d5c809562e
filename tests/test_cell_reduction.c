/* SPDX-License-Identifier: BSD-3-Clause */
/* Issue 10, item 1: one lattice in several bases (a -> a + 3b - 2c, a
 * permuted and mirrored basis, shears by hundreds of cells) gives the same
 * energies, forces, virials, neighbour lists and cut clusters as the
 * reduced basis, for the same number of periodic images and distance
 * evaluations; cells that are too thin for the cutoff, degenerate or
 * non-finite are MTP_ERR_GEOMETRY with a message, never a result. */
#include "testpot.h"

#include "internal.h"

enum { N_ATOMS = 24, N_REPS = 5 };
static const double CUTOFF = 4.5;

/* a triclinic cell smaller than twice the cutoff (images beyond the first
 * shell are needed); dyadic entries, so every integer row combination
 * below is exact and the bases are the same lattice to the last bit */
static const double REF[3][3] = {{6.5, 0, 0}, {1.25, 6.0, 0}, {-0.75, 1.5, 6.25}};

/* row operations L[dst] += k * L[src], applied in order */
typedef struct rowop {
    int dst, src, k;
} rowop;

static void representation(int rep, double L[3][3])
{
    memcpy(L, REF, sizeof REF);
    double t[3];
    switch (rep) {
    case 0: break;
    case 1: /* a -> a + 3b - 2c */
        for (int k = 0; k < 3; k++) L[0][k] += 3 * L[1][k] - 2 * L[2][k];
        break;
    case 2: /* (b, -a, a + b + c): permuted, left-handed */
        memcpy(t, L[0], sizeof t);
        memcpy(L[0], L[1], sizeof t);
        for (int k = 0; k < 3; k++) {
            L[1][k] = -t[k];
            L[2][k] += t[k] + L[0][k];
        }
        break;
    case 3: { /* sheared by hundreds of cells: main refused this one */
        const rowop ops[] = {{0, 1, 300}, {0, 2, -200}, {1, 0, 70}, {2, 0, -11}, {2, 1, 5}};
        for (size_t o = 0; o < sizeof ops / sizeof *ops; o++)
            for (int k = 0; k < 3; k++) L[ops[o].dst][k] += ops[o].k * L[ops[o].src][k];
        break;
    }
    case 4: { /* small shears, all rows */
        const rowop ops[] = {{2, 0, 4}, {1, 2, -3}, {0, 1, 2}, {2, 1, 1}};
        for (size_t o = 0; o < sizeof ops / sizeof *ops; o++)
            for (int k = 0; k < 3; k++) L[ops[o].dst][k] += ops[o].k * L[ops[o].src][k];
        break;
    }
    }
}

/* the reference configuration in basis `rep`, every atom moved by a
 * random lattice vector (the result must not care where atoms sit) */
static void make_cfg(const mtp_cfg *ref, int rep, mtp_cfg *out)
{
    mtp_error err;
    mtp_cfg_init(out);
    mtp_cfg_copy(out, ref, &err);
    representation(rep, out->lattice);
    if (rep == 0) return;
    for (int i = 0; i < out->n_atoms; i++) {
        int m[3] = {(int)floor(3 * tu_rand()), (int)floor(3 * tu_rand()), (int)floor(3 * tu_rand())};
        for (int k = 0; k < 3; k++)
            out->positions[3 * i + k] += m[0] * REF[0][k] + m[1] * REF[1][k] + m[2] * REF[2][k];
    }
}

typedef struct efs {
    double E, W[6], F[3 * N_ATOMS], site[N_ATOMS];
} efs;

static double max_abs(const double *v, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
    return m;
}

static void compare_efs(const efs *a, const efs *b, int rep)
{
    const double rel = 1e-12;
    CHECK(tu_close(a->E, b->E, rel, 0), "rep %d: energy %.17g vs %.17g", rep, b->E, a->E);
    double fs = max_abs(a->F, 3 * N_ATOMS), ws = max_abs(a->W, 6);
    int fbad = 0, wbad = 0, sbad = 0;
    for (int k = 0; k < 3 * N_ATOMS; k++) fbad += fabs(a->F[k] - b->F[k]) > rel * fs;
    for (int k = 0; k < 6; k++) wbad += fabs(a->W[k] - b->W[k]) > rel * ws;
    for (int i = 0; i < N_ATOMS; i++) sbad += !tu_close(a->site[i], b->site[i], rel, rel * fabs(a->E) / N_ATOMS);
    CHECK(fbad == 0, "rep %d: %d force components differ by more than %g relative", rep, fbad, rel);
    CHECK(wbad == 0, "rep %d: %d virial components differ by more than %g relative", rep, wbad, rel);
    CHECK(sbad == 0, "rep %d: %d site energies differ", rep, sbad);
}

/* same (j, r_ij) multiset for every atom, up to order and round-off */
static void compare_nlists(const mtp_nlist *a, const mtp_nlist *b, int rep)
{
    CHECK(a->n_pairs == b->n_pairs, "rep %d: %ld neighbour pairs, reference basis %ld", rep, b->n_pairs, a->n_pairs);
    if (a->n_pairs != b->n_pairs) return;
    int unmatched = 0;
    for (int i = 0; i < a->n_atoms; i++) {
        long a0 = a->offset[i], a1 = a->offset[i + 1], b0 = b->offset[i], b1 = b->offset[i + 1];
        if (a1 - a0 != b1 - b0) {
            unmatched++;
            continue;
        }
        unsigned char used[4096] = {0};
        for (long p = b0; p < b1; p++) {
            int found = 0;
            for (long q = a0; q < a1 && !found; q++) {
                if (used[q - a0] || a->index[q] != b->index[p]) continue;
                const double *u = a->rij + 3 * q, *v = b->rij + 3 * p;
                if (fabs(u[0] - v[0]) < 1e-9 && fabs(u[1] - v[1]) < 1e-9 && fabs(u[2] - v[2]) < 1e-9)
                    found = used[q - a0] = 1;
            }
            unmatched += !found;
        }
    }
    CHECK(unmatched == 0, "rep %d: %d neighbours without a match in the reference basis", rep, unmatched);
}

static int cmp_vec(const void *x, const void *y)
{
    const double *a = x, *b = y;
    for (int k = 0; k < 3; k++) {
        double u = round(a[k] * 1e6), v = round(b[k] * 1e6);
        if (u != v) return u < v ? -1 : 1;
    }
    return 0;
}

/* MLIP-3's cluster around atom 0: the same atoms up to order */
static void compare_clusters(const mtp_cfg *a, const mtp_cfg *b, int rep)
{
    CHECK(a->n_atoms == b->n_atoms, "rep %d: cluster of %d atoms, reference basis %d", rep, b->n_atoms, a->n_atoms);
    if (a->n_atoms != b->n_atoms) return;
    int n = a->n_atoms;
    double *u = malloc(sizeof(double) * 3 * n), *v = malloc(sizeof(double) * 3 * n);
    memcpy(u, a->positions, sizeof(double) * 3 * n);
    memcpy(v, b->positions, sizeof(double) * 3 * n);
    qsort(u, (size_t)n, 3 * sizeof(double), cmp_vec);
    qsort(v, (size_t)n, 3 * sizeof(double), cmp_vec);
    int bad = 0;
    for (int k = 0; k < 3 * n; k++) bad += fabs(u[k] - v[k]) > 1e-9;
    CHECK(bad == 0, "rep %d: %d cluster coordinates differ", rep, bad);
    free(u);
    free(v);
}

static void test_representations(void)
{
    mtp_potential *pot = tp_potential(8, 2, CUTOFF);
    mtp_calculator *calc;
    mtp_error err;
    CHECK_OK(mtp_calculator_create(pot, &calc, &err), err);
    mtp_cfg ref;
    tp_random_cfg(&ref, N_ATOMS, REF, 2, 1.7, 1);
    static efs res[N_REPS];
    mtp_nlist nl[N_REPS];
    mtp_cfg cluster[N_REPS];
    for (int rep = 0; rep < N_REPS; rep++) {
        mtp_cfg c;
        make_cfg(&ref, rep, &c);
        mtp_status st = mtp_compute(calc, &c, &res[rep].E, res[rep].F, res[rep].W, res[rep].site, NULL, &err);
        CHECK_OK(st, err);
        mtp_nlist_init(&nl[rep]);
        st = mtp_nlist_build(&nl[rep], &c, CUTOFF, &err);
        CHECK_OK(st, err);
        mtp_cfg_init(&cluster[rep]);
        st = mtp_cut_cluster(&c, 0, CUTOFF, &cluster[rep], &err);
        CHECK_OK(st, err);
        if (rep > 0) {
            compare_efs(&res[0], &res[rep], rep);
            compare_nlists(&nl[0], &nl[rep], rep);
            compare_clusters(&cluster[0], &cluster[rep], rep);
            /* the same cost: images made and distances computed */
            printf("basis %d: %ld images, %ld distance evaluations (reference basis %ld, %ld)\n", rep,
                   nl[rep].n_images, nl[rep].n_candidates, nl[0].n_images, nl[0].n_candidates);
            CHECK(nl[rep].n_images <= 1.1 * nl[0].n_images, "rep %d: %ld images, reference basis %ld", rep,
                  nl[rep].n_images, nl[0].n_images);
            CHECK(nl[rep].n_candidates <= 1.1 * nl[0].n_candidates,
                  "rep %d: %ld distance evaluations, reference basis %ld", rep, nl[rep].n_candidates,
                  nl[0].n_candidates);
        }
        mtp_cfg_free(&c);
    }
    for (int rep = 0; rep < N_REPS; rep++) {
        mtp_nlist_free(&nl[rep]);
        mtp_cfg_free(&cluster[rep]);
    }
    mtp_cfg_free(&ref);
    mtp_calculator_destroy(calc);
    mtp_potential_destroy(pot);
}

/* a slab (2 periodic rows, in-plane basis sheared) and a chain */
static void test_partial_periodicity(void)
{
    mtp_potential *pot = tp_potential(6, 1, CUTOFF);
    mtp_calculator *calc;
    mtp_error err;
    CHECK_OK(mtp_calculator_create(pot, &calc, &err), err);
    const double box[3][3] = {{5.5, 0, 0}, {1.5, 5.0, 0}, {0, 0, 9.0}};
    mtp_cfg base;
    tp_random_cfg(&base, 10, box, 1, 1.8, 1);
    for (int dims = 1; dims <= 2; dims++) {
        mtp_cfg a, b;
        mtp_cfg_init(&a);
        mtp_cfg_init(&b);
        mtp_cfg_copy(&a, &base, &err);
        memset(a.lattice[2], 0, sizeof a.lattice[2]);
        if (dims == 1) memset(a.lattice[1], 0, sizeof a.lattice[1]);
        mtp_cfg_copy(&b, &a, &err);
        if (dims == 2)
            for (int k = 0; k < 3; k++) b.lattice[1][k] += 40 * b.lattice[0][k]; /* same slab */
        else
            for (int k = 0; k < 3; k++) b.lattice[0][k] = -a.lattice[0][k]; /* same chain */
        for (int k = 0; k < 3; k++) b.positions[k] += 7 * a.lattice[0][k];
        efs ra, rb;
        static double Fa[30], Fb[30], sa[10], sb[10];
        CHECK_OK(mtp_compute(calc, &a, &ra.E, Fa, ra.W, sa, NULL, &err), err);
        CHECK_OK(mtp_compute(calc, &b, &rb.E, Fb, rb.W, sb, NULL, &err), err);
        CHECK(tu_close(ra.E, rb.E, 1e-12, 0), "%d periodic rows: energy %.17g vs %.17g", dims, rb.E, ra.E);
        int bad = 0;
        for (int k = 0; k < 30; k++) bad += fabs(Fa[k] - Fb[k]) > 1e-12 * max_abs(Fa, 30);
        CHECK(bad == 0, "%d periodic rows: %d force components differ", dims, bad);
        mtp_cfg_free(&a);
        mtp_cfg_free(&b);
    }
    mtp_cfg_free(&base);
    mtp_calculator_destroy(calc);
    mtp_potential_destroy(pot);
}

/* bad cells: an error from every image builder, with a message */
static void test_bad_cells(void)
{
    mtp_potential *pot = tp_potential(6, 1, CUTOFF);
    mtp_calculator *calc;
    mtp_error err;
    CHECK_OK(mtp_calculator_create(pot, &calc, &err), err);
    const struct {
        const char *what, *says;
        double L[3][3];
    } cases[] = {
        {"a row 1e-12 A high", "too thin", {{5, 0, 0}, {0, 5, 0}, {0, 0, 1e-12}}},
        {"a sheared row 1e-12 A high", "too thin", {{5, 0, 0}, {0, 5, 0}, {5, 5, 1e-12}}},
        {"a slab 1e-12 A wide", "too thin", {{5, 0, 0}, {5, 1e-12, 0}, {0, 0, 0}}},
        {"a chain of period 1e-12 A", "too thin", {{1e-12, 0, 0}, {0, 0, 0}, {0, 0, 0}}},
        {"coplanar rows", "linearly dependent", {{5, 0, 0}, {0, 5, 0}, {5, 5, 0}}},
        {"parallel rows", "linearly dependent", {{5, 1, 0}, {10, 2, 0}, {0, 0, 0}}},
        {"nearly coplanar rows", "", {{5, 0, 0}, {0, 5, 0}, {1.7, 2.3, 1e-17}}},
        {"a NaN row", "not finite", {{5, 0, 0}, {0, NAN, 0}, {0, 0, 5}}},
        {"an infinite row", "not finite", {{INFINITY, 0, 0}, {0, 5, 0}, {0, 0, 5}}},
        {"an absurdly long row", "absurdly long", {{1e200, 0, 0}, {0, 5, 0}, {0, 0, 5}}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        mtp_cfg cfg;
        mtp_cfg_init(&cfg);
        mtp_cfg_alloc(&cfg, 2, 0, &err);
        memcpy(cfg.lattice, cases[c].L, sizeof cfg.lattice);
        double x[6] = {0, 0, 0, 1.3, 1.1, 0.9};
        memcpy(cfg.positions, x, sizeof x);
        double E = 0, F[6], W[6];
        err.message[0] = 0;
        mtp_status st = mtp_compute(calc, &cfg, &E, F, W, NULL, NULL, &err);
        CHECK(st == MTP_ERR_GEOMETRY && strstr(err.message, cases[c].says) && err.message[0],
              "%s: mtp_compute status %d, message '%s', expected '%s' (E = %g)", cases[c].what, (int)st, err.message,
              cases[c].says, E);
        mtp_cfg cl;
        mtp_cfg_init(&cl);
        st = mtp_cut_cluster(&cfg, 0, CUTOFF, &cl, &err);
        CHECK(st == MTP_ERR_GEOMETRY, "%s: mtp_cut_cluster status %d (%d atoms)", cases[c].what, (int)st, cl.n_atoms);
        mtp_cfg_free(&cl);
        double dmin;
        st = mtp_cfg_min_distance(&cfg, CUTOFF, &dmin, 0, NULL, &err);
        CHECK(st == MTP_ERR_GEOMETRY, "%s: mtp_cfg_min_distance status %d", cases[c].what, (int)st);
        mtp_cfg_free(&cfg);
    }
    /* thin but fine for the cutoff (a 0.5 A period along z): computed */
    mtp_cfg cfg;
    mtp_cfg_init(&cfg);
    mtp_cfg_alloc(&cfg, 1, 0, &err);
    const double thin[3][3] = {{3, 0, 0}, {0, 3, 0}, {0, 0, 0.5}};
    memcpy(cfg.lattice, thin, sizeof thin);
    double E;
    CHECK_OK(mtp_compute(calc, &cfg, &E, NULL, NULL, NULL, NULL, &err), err);
    mtp_cfg_free(&cfg);
    mtp_calculator_destroy(calc);
    mtp_potential_destroy(pot);
}

static double row_norm(const double r[3]) { return sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]); }

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static double det3(const double L[3][3])
{
    return L[0][0] * (L[1][1] * L[2][2] - L[1][2] * L[2][1]) - L[0][1] * (L[1][0] * L[2][2] - L[1][2] * L[2][0]) +
           L[0][2] * (L[1][0] * L[2][1] - L[1][1] * L[2][0]);
}

static void test_reduce_api(void)
{
    mtp_error err;
    /* reduced lattices come back bit for bit (MLIP-3's outputs on them unchanged) */
    const double kept[][3][3] = {
        {{5, 0, 0}, {0, 6, 0}, {0, 0, 7}},
        {{3, 0, 0}, {-1.5, 2.598076211353316, 0}, {0, 0, 5}}, /* hexagonal, 120 degrees */
        {{3, 0, 0}, {1.5, 2.598076211353316, 0}, {0, 0, 5}},  /* hexagonal, 60 degrees */
        {{0, 2, 2}, {2, 0, 2}, {2, 2, 0}},                    /* fcc primitive */
        {{-2, 2, 2}, {2, -2, 2}, {2, 2, -2}},                 /* bcc primitive */
        {{4, 0, 0}, {0, 0, 0}, {1, 0, 3}},                    /* a slab */
    };
    for (size_t c = 0; c < sizeof kept / sizeof *kept; c++) {
        double R[3][3];
        CHECK_OK(mtp_lattice_reduce(kept[c], R, &err), err);
        CHECK(memcmp(R, kept[c], sizeof R) == 0, "reduced lattice %zu was changed", c);
    }
    /* every basis of REF reduces to rows as short as REF's, same volume */
    double ref_norms[3];
    for (int a = 0; a < 3; a++) ref_norms[a] = row_norm(REF[a]);
    qsort(ref_norms, 3, sizeof(double), cmp_double);
    for (int rep = 0; rep < N_REPS; rep++) {
        double L[3][3], R[3][3], nr[3];
        representation(rep, L);
        CHECK_OK(mtp_lattice_reduce(L, R, &err), err);
        for (int a = 0; a < 3; a++) nr[a] = row_norm(R[a]);
        qsort(nr, 3, sizeof(double), cmp_double);
        for (int a = 0; a < 3; a++)
            CHECK(nr[a] <= ref_norms[a] * (1 + 1e-12), "basis %d: reduced row %d has length %.17g, REF %.17g", rep, a,
                  nr[a], ref_norms[a]);
        CHECK(tu_close(fabs(det3(R)), fabs(det3(REF)), 1e-12, 0), "basis %d: volume %g, REF %g", rep, det3(R),
              det3(REF));
    }
    /* in place */
    double L[3][3];
    representation(3, L);
    CHECK_OK(mtp_lattice_reduce((const double(*)[3])L, L, &err), err);
    CHECK(tu_close(fabs(det3(L)), fabs(det3(REF)), 1e-12, 0), "in place: volume %g", det3(L));
}

int main(void)
{
    test_representations();
    test_partial_periodicity();
    test_bad_cells();
    test_reduce_api();
    return tu_finish("cell_reduction");
}
