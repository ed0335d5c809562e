/* SPDX-License-Identifier: BSD-3-Clause */
/* Cell geometry: the periodic rows of a configuration's lattice reduced to
 * a short, nearly orthogonal basis of the same lattice, completed to a 3D
 * basis, with its inverse and lattice-plane spacings; and the bound on the
 * periodic images a cutoff needs.
 *
 * Why reduce: everything that builds periodic images (the neighbour search,
 * the cluster and periodic cuts) walks integer combinations of the rows.  A
 * skewed basis of a large cell (a' = a + 3000 b - 2000 c spans the same
 * lattice as a, b, c) has lattice planes ~1e-3 of the cell apart, so it
 * needs millions of images where the reduced basis needs a handful, or is
 * refused as "far smaller than the cutoff".  Reduced first, every basis of
 * a lattice costs the same and gives the same neighbours.
 *
 * The reduction is greedy (Minkowski-style, as in Nguyen and Stehle's
 * greedy algorithm, which gives a Minkowski-reduced basis in 3D): each row
 * is replaced by the shortest vector of its coset row + Z(other rows),
 * searched among the integer points around its projection onto the span of
 * the others, until no row gets shorter.  Rows are never reordered and a
 * row is replaced only if that shortens it by more than a relative 1e-10,
 * so an already reduced lattice (orthorhombic, hexagonal, any cell MLIP
 * would meet) comes back bit for bit and its results are unchanged. */
#include "internal.h"

#include <math.h>
#include <string.h>

static double dot3(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static void cross3(const double a[3], const double b[3], double c[3])
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

static double norm3(const double a[3]) { return sqrt(dot3(a, a)); }

double mtp_invert3(const double m[3][3], double inv[3][3])
{
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                 m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (det == 0 || !isfinite(det)) return 0;
    double id = 1.0 / det;
    inv[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) * id;
    inv[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) * id;
    inv[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) * id;
    inv[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) * id;
    inv[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) * id;
    inv[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) * id;
    inv[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) * id;
    inv[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) * id;
    inv[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) * id;
    return det;
}

/* A row is replaced only if this much shorter (squared, relative): ties
 * (|a + b| = |b| in a hexagonal cell) are never broken by round-off. */
#define SHORTER (1.0 - 1e-10)
/* Integer multipliers beyond this cannot be applied exactly in double
 * precision: the rows are then parallel for all practical purposes. */
#define MAX_MULTIPLIER 1e15
#define MAX_SWEEPS 1000

/* cand = b - x1 * u (- x2 * v); keep it in best if shorter. */
static void try_candidate(const double b[3], const double *u, double x1, const double *v, double x2, double best[3],
                          double *best2)
{
    double c[3];
    for (int k = 0; k < 3; k++) c[k] = b[k] - x1 * u[k] - (v ? x2 * v[k] : 0.0);
    double c2 = dot3(c, c);
    if (c2 < *best2) {
        *best2 = c2;
        memcpy(best, c, sizeof c);
    }
}

/* Shorten row k of B against the other n_other rows (indices o[]): the
 * integer points around the projection of B[k] onto each other row and,
 * when the two others are not nearly parallel, onto their plane.
 * Returns 1 if B[k] was replaced, 0 if not, -1 if a multiplier is absurd. */
static int shorten_row(double B[3][3], int k, const int *o, int n_other)
{
    const double *b = B[k];
    double b2 = dot3(b, b), best[3], best2 = b2 * SHORTER;
    memcpy(best, b, sizeof best);
    for (int t = 0; t < n_other; t++) {
        const double *u = B[o[t]];
        double mu = dot3(b, u) / dot3(u, u);
        if (!(fabs(mu) < MAX_MULTIPLIER)) return -1;
        double f = floor(mu);
        try_candidate(b, u, f, NULL, 0, best, &best2);
        try_candidate(b, u, f + 1, NULL, 0, best, &best2);
    }
    if (n_other == 2) {
        const double *u = B[o[0]], *v = B[o[1]];
        double uu = dot3(u, u), vv = dot3(v, v), uv = dot3(u, v), bu = dot3(b, u), bv = dot3(b, v);
        double det = uu * vv - uv * uv;
        if (det > 1e-9 * uu * vv) { /* otherwise the pairwise steps above straighten u, v first */
            double m1 = (bu * vv - bv * uv) / det, m2 = (bv * uu - bu * uv) / det;
            if (!(fabs(m1) < MAX_MULTIPLIER) || !(fabs(m2) < MAX_MULTIPLIER)) return -1;
            double f1 = floor(m1), f2 = floor(m2);
            for (int d1 = -1; d1 <= 2; d1++)
                for (int d2 = -1; d2 <= 2; d2++) try_candidate(b, u, f1 + d1, v, f2 + d2, best, &best2);
        }
    }
    if (best2 < b2 * SHORTER) {
        memcpy(B[k], best, sizeof best);
        return 1;
    }
    return 0;
}

/* Reduce the rows idx[0..np) of B in place. */
static mtp_status reduce_rows(double B[3][3], const int *idx, int np, mtp_error *err)
{
    for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
        int changed = 0;
        for (int t = 0; t < np; t++) {
            int o[2], no = 0;
            for (int s = 0; s < np; s++)
                if (s != t) o[no++] = idx[s];
            int r = shorten_row(B, idx[t], o, no);
            if (r < 0) return mtp_fail(err, MTP_ERR_GEOMETRY, "the lattice vectors are (nearly) parallel");
            if (r > 0 && dot3(B[idx[t]], B[idx[t]]) == 0)
                return mtp_fail(err, MTP_ERR_GEOMETRY,
                                "the lattice vectors are linearly dependent (an integer combination of them is zero)");
            changed |= r;
        }
        if (!changed) return MTP_OK;
    }
    return mtp_fail(err, MTP_ERR_GEOMETRY, "the lattice could not be reduced in %d sweeps (degenerate cell?)",
                    MAX_SWEEPS);
}

/* |b1| ... |bn| / (n-volume): 1 for orthogonal rows, at most ~2 for a
 * reduced basis in exact arithmetic; far beyond that, round-off has eaten
 * the volume and the rows are dependent for all practical purposes. */
#define MAX_ORTHOGONALITY_DEFECT 1e6

mtp_status mtp_cell_init(mtp_cell *cell, const double lattice[3][3], mtp_error *err)
{
    memset(cell, 0, sizeof *cell);
    int idx[3], np = 0;
    for (int a = 0; a < 3; a++) {
        for (int k = 0; k < 3; k++) {
            if (!isfinite(lattice[a][k]))
                return mtp_fail(err, MTP_ERR_GEOMETRY, "lattice vector %d is not finite", a + 1);
            cell->L[a][k] = lattice[a][k];
        }
        cell->periodic[a] = lattice[a][0] != 0 || lattice[a][1] != 0 || lattice[a][2] != 0;
        if (cell->periodic[a]) idx[np++] = a;
    }
    cell->n_periodic = np;
    /* squares of 1e160 overflow: such lengths are no cell anyway */
    for (int t = 0; t < np; t++) {
        const double *r = cell->L[idx[t]];
        double big = fmax(fabs(r[0]), fmax(fabs(r[1]), fabs(r[2])));
        if (!(big < 1e100))
            return mtp_fail(err, MTP_ERR_GEOMETRY, "lattice vector %d is absurdly long (a component of %g A)",
                            idx[t] + 1, big);
    }
    mtp_status st = reduce_rows(cell->L, idx, np, err);
    if (st) return st;

    double (*L)[3] = cell->L;
    const double e[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    if (np == 0) {
        memcpy(L, e, sizeof e);
    } else if (np == 1) {
        /* complete with two unit vectors orthogonal to the row and each other */
        const double *a = L[idx[0]];
        int best = 0; /* the Cartesian axis least parallel to a */
        for (int k = 1; k < 3; k++)
            if (fabs(a[k]) < fabs(a[best])) best = k;
        double t1[3], t2[3];
        cross3(a, e[best], t1);
        cross3(a, t1, t2);
        double n1 = norm3(t1), n2 = norm3(t2);
        int o = 0;
        for (int r = 0; r < 3; r++) {
            if (cell->periodic[r]) continue;
            for (int k = 0; k < 3; k++) L[r][k] = o == 0 ? t1[k] / n1 : t2[k] / n2;
            o++;
        }
    } else if (np == 2) {
        double c[3];
        const double *u = L[idx[0]], *v = L[idx[1]];
        cross3(u, v, c);
        double n = norm3(c);
        if (!(n > 0) || norm3(u) * norm3(v) > MAX_ORTHOGONALITY_DEFECT * n)
            return mtp_fail(err, MTP_ERR_GEOMETRY, "the two lattice vectors are (nearly) parallel");
        for (int r = 0; r < 3; r++)
            if (!cell->periodic[r])
                for (int k = 0; k < 3; k++) L[r][k] = c[k] / n;
    }
    double det = mtp_invert3(L, cell->inv);
    if (det == 0 || (np == 3 && norm3(L[0]) * norm3(L[1]) * norm3(L[2]) > MAX_ORTHOGONALITY_DEFECT * fabs(det)))
        return mtp_fail(err, MTP_ERR_GEOMETRY, "the lattice vectors are (nearly) linearly dependent (cell volume %g A^3)",
                        fabs(det));
    /* plane spacing along row a = 1 / |column a of the inverse| */
    for (int a = 0; a < 3; a++) {
        double col[3] = {cell->inv[0][a], cell->inv[1][a], cell->inv[2][a]};
        cell->height[a] = 1.0 / norm3(col);
    }
    return MTP_OK;
}

mtp_status mtp_cell_check_images(const mtp_cell *cell, double rc, long n_atoms, double n_images, mtp_error *err)
{
    if (n_images <= (double)MTP_MAX_IMAGES) return MTP_OK;
    int thin = -1;
    for (int a = 0; a < 3; a++)
        if (cell->periodic[a] && (thin < 0 || cell->height[a] < cell->height[thin])) thin = a;
    return mtp_fail(err, MTP_ERR_GEOMETRY,
                    "the cell is too thin for the cutoff: its lattice planes are %.3g A apart (cutoff %g A), so "
                    "the %ld atoms would need %.3g periodic images (limit %.0e); a direction that is not periodic "
                    "needs a zero lattice row",
                    thin >= 0 ? cell->height[thin] : 0.0, rc, n_atoms, n_images, (double)MTP_MAX_IMAGES);
}

double mtp_cell_image_estimate(const mtp_cell *cell, double rc, long n_atoms)
{
    double per_atom = 1;
    for (int a = 0; a < 3; a++)
        if (cell->periodic[a]) per_atom *= 1.0 + 2.0 * rc / cell->height[a];
    return per_atom * (double)n_atoms;
}

mtp_status mtp_lattice_reduce(const double lattice[3][3], double reduced[3][3], mtp_error *err)
{
    mtp_cell cell;
    mtp_status st = mtp_cell_init(&cell, lattice, err);
    if (st) return st;
    for (int a = 0; a < 3; a++)
        for (int k = 0; k < 3; k++) reduced[a][k] = cell.periodic[a] ? cell.L[a][k] : 0.0;
    return MTP_OK;
}
