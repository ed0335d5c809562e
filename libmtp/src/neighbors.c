/* SPDX-License-Identifier: BSD-3-Clause */
/* Neighbour search for whole configurations: every (i, j, image) with
 * 0 < |r_ij| < cutoff, periodic along the non-zero lattice rows, for
 * cells of any shape and size (cells smaller than the cutoff get as many
 * images as needed).  O(N): atoms are wrapped into the cell, the images
 * that can be within the cutoff of the cell are generated explicitly and
 * everything is binned on a grid whose bins are at least one cutoff thick
 * in every lattice direction. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mtp_nlist_init(mtp_nlist *nl) { memset(nl, 0, sizeof *nl); }

void mtp_nlist_free(mtp_nlist *nl)
{
    free(nl->offset);
    free(nl->index);
    free(nl->rij);
    free(nl->wrapped);
    free(nl->cell_head);
    free(nl->cell_next);
    free(nl->img_pos);
    free(nl->img_owner);
    mtp_nlist_init(nl);
}

static void cross(const double a[3], const double b[3], double c[3])
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

static double norm(const double a[3]) { return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); }

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

/* Complete the periodic rows of the lattice to a basis: missing rows are
 * replaced by unit vectors orthogonal to the periodic ones. */
static mtp_status full_basis(const mtp_cfg *cfg, double L[3][3], int periodic[3], mtp_error *err)
{
    int np = 0, idx[3];
    for (int a = 0; a < 3; a++) {
        periodic[a] = cfg->lattice[a][0] != 0 || cfg->lattice[a][1] != 0 || cfg->lattice[a][2] != 0;
        for (int k = 0; k < 3; k++) {
            L[a][k] = cfg->lattice[a][k];
            if (!isfinite(L[a][k])) return mtp_fail(err, MTP_ERR_GEOMETRY, "lattice vector %d is not finite", a + 1);
        }
        if (periodic[a]) idx[np++] = a;
    }
    if (np == 3) return MTP_OK;
    double e[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    if (np == 0) {
        memcpy(L, e, sizeof e);
        return MTP_OK;
    }
    if (np == 1) {
        const double *a = L[idx[0]];
        /* pick the Cartesian axis least parallel to a */
        int best = 0;
        for (int k = 1; k < 3; k++)
            if (fabs(a[k]) < fabs(a[best])) best = k;
        double t1[3], t2[3];
        cross(a, e[best], t1);
        cross(a, t1, t2);
        double n1 = norm(t1), n2 = norm(t2);
        int o = 0;
        for (int r = 0; r < 3; r++) {
            if (periodic[r]) continue;
            const double *t = o == 0 ? t1 : t2;
            double n = o == 0 ? n1 : n2;
            for (int k = 0; k < 3; k++) L[r][k] = t[k] / n;
            o++;
        }
        return MTP_OK;
    }
    double c[3];
    cross(L[idx[0]], L[idx[1]], c);
    double n = norm(c);
    if (!(n > 0)) return mtp_fail(err, MTP_ERR_GEOMETRY, "the two lattice vectors are parallel");
    for (int r = 0; r < 3; r++)
        if (!periodic[r])
            for (int k = 0; k < 3; k++) L[r][k] = c[k] / n;
    return MTP_OK;
}

static mtp_status push_pair(mtp_nlist *nl, int j, const double d[3], mtp_error *err)
{
    if (nl->n_pairs == nl->cap) {
        long ncap = nl->cap ? nl->cap * 2 : 1024;
        int *ni = mtp_realloc(nl->index, (size_t)ncap, sizeof(int));
        if (ni) nl->index = ni;
        double *nr = mtp_realloc(nl->rij, (size_t)ncap * 3, sizeof(double));
        if (nr) nl->rij = nr;
        if (!ni || !nr) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %ld neighbour pairs", ncap);
        nl->cap = ncap;
    }
    nl->index[nl->n_pairs] = j;
    memcpy(nl->rij + 3 * nl->n_pairs, d, 3 * sizeof(double));
    nl->n_pairs++;
    return MTP_OK;
}

mtp_status mtp_nlist_build(mtp_nlist *nl, const mtp_cfg *cfg, double rc, mtp_error *err)
{
    const int n = cfg->n_atoms;
    nl->n_atoms = n;
    nl->n_pairs = 0;
    long *off = mtp_realloc(nl->offset, (size_t)n + 1, sizeof(long));
    if (!off) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    nl->offset = off;
    nl->offset[0] = 0;
    if (n == 0) return MTP_OK;
    if (!(rc > 0) || !isfinite(rc)) return mtp_fail(err, MTP_ERR_INVALID, "cutoff must be positive");

    double L[3][3], inv[3][3];
    int per[3];
    mtp_status st = full_basis(cfg, L, per, err);
    if (st) return st;
    if (mtp_invert3(L, inv) == 0)
        return mtp_fail(err, MTP_ERR_GEOMETRY, "the lattice vectors are linearly dependent (zero cell volume)");
    /* plane spacing of each lattice direction = 1/|column a of inverse| */
    double h[3];
    for (int a = 0; a < 3; a++) {
        double col[3] = {inv[0][a], inv[1][a], inv[2][a]};
        h[a] = 1.0 / norm(col);
    }

    double *w = mtp_realloc(nl->wrapped, (size_t)n * 3, sizeof(double));
    if (!w) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    nl->wrapped = w;
    double *frac = mtp_calloc((size_t)n * 3, sizeof(double));
    if (!frac) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int i = 0; i < n; i++) {
        const double *x = cfg->positions + 3 * i;
        if (!isfinite(x[0]) || !isfinite(x[1]) || !isfinite(x[2])) {
            free(frac);
            return mtp_fail(err, MTP_ERR_GEOMETRY, "atom %d has a non-finite position", i + 1);
        }
        double *f = frac + 3 * i;
        for (int a = 0; a < 3; a++) f[a] = x[0] * inv[0][a] + x[1] * inv[1][a] + x[2] * inv[2][a];
        double shift[3] = {0, 0, 0};
        for (int a = 0; a < 3; a++) {
            if (per[a]) {
                double fl = floor(f[a]);
                f[a] -= fl;
                if (f[a] >= 1.0) { /* -tiny wraps to 1 - eps, which rounds to 1.0 */
                    f[a] -= 1.0;
                    fl += 1.0;
                }
                shift[a] = -fl;
            }
            if (f[a] < lo[a]) lo[a] = f[a];
            if (f[a] > hi[a]) hi[a] = f[a];
        }
        for (int k = 0; k < 3; k++)
            w[3 * i + k] = x[k] + shift[0] * L[0][k] + shift[1] * L[1][k] + shift[2] * L[2][k];
    }

    /* images: fractional range [lo - delta, hi + delta] along periodic axes */
    double delta[3];
    int nimg[3];
    long per_atom = 1;
    for (int a = 0; a < 3; a++) {
        delta[a] = per[a] ? rc / h[a] : 0.0;
        nimg[a] = per[a] ? (int)ceil(delta[a]) + 1 : 0;
        per_atom *= 2 * nimg[a] + 1;
        if (per[a]) {
            lo[a] = -delta[a];
            hi[a] = 1.0 + delta[a];
        }
    }
    if (per_atom > 100000000L / (n > 0 ? n : 1)) {
        free(frac);
        return mtp_fail(err, MTP_ERR_GEOMETRY,
                        "the cell is far smaller than the cutoff (%ld periodic images per atom); refusing", per_atom);
    }
    long n_img = 0;
    for (int i = 0; i < n; i++) {
        const double *f = frac + 3 * i;
        for (int p = -nimg[0]; p <= nimg[0]; p++) {
            double fa = f[0] + p;
            if (per[0] && (fa < lo[0] || fa > hi[0])) continue;
            for (int q = -nimg[1]; q <= nimg[1]; q++) {
                double fb = f[1] + q;
                if (per[1] && (fb < lo[1] || fb > hi[1])) continue;
                for (int s = -nimg[2]; s <= nimg[2]; s++) {
                    double fc = f[2] + s;
                    if (per[2] && (fc < lo[2] || fc > hi[2])) continue;
                    if (n_img == nl->img_cap) {
                        long ncap = nl->img_cap ? nl->img_cap * 2 : 4096;
                        double *np_ = mtp_realloc(nl->img_pos, (size_t)ncap * 4, sizeof(double));
                        if (np_) nl->img_pos = np_;
                        int *no = mtp_realloc(nl->img_owner, (size_t)ncap, sizeof(int));
                        if (no) nl->img_owner = no;
                        if (!np_ || !no) {
                            free(frac);
                            return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for periodic images");
                        }
                        nl->img_cap = ncap;
                    }
                    double *ip = nl->img_pos + 4 * n_img;
                    for (int k = 0; k < 3; k++) ip[k] = w[3 * i + k] + p * L[0][k] + q * L[1][k] + s * L[2][k];
                    ip[3] = (p == 0 && q == 0 && s == 0) ? 1.0 : 0.0; /* the atom itself */
                    nl->img_owner[n_img] = i;
                    n_img++;
                }
            }
        }
    }

    /* bins: at least rc thick along each lattice direction */
    int nb[3];
    long total = 1;
    for (int a = 0; a < 3; a++) {
        double span = (hi[a] - lo[a]) * h[a];
        long k = (long)floor(span / (rc * (1 + 1e-9))); /* margin for rounding */
        if (k < 1) k = 1;
        if (k > 1024) k = 1024;
        nb[a] = (int)k;
    }
    while ((total = (long)nb[0] * nb[1] * nb[2]) > 4 * (n_img + 64)) {
        int big = nb[0] >= nb[1] && nb[0] >= nb[2] ? 0 : (nb[1] >= nb[2] ? 1 : 2);
        nb[big] = (nb[big] + 1) / 2;
    }
    if (total > nl->cell_cap) {
        int *nh = mtp_realloc(nl->cell_head, (size_t)total, sizeof(int));
        if (!nh) {
            free(frac);
            return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        }
        nl->cell_head = nh;
        nl->cell_cap = total;
    }
    int *next = mtp_realloc(nl->cell_next, (size_t)(n_img ? n_img : 1), sizeof(int));
    if (!next) {
        free(frac);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    nl->cell_next = next;
    for (long c = 0; c < total; c++) nl->cell_head[c] = -1;
    double scale[3];
    for (int a = 0; a < 3; a++) scale[a] = hi[a] > lo[a] ? nb[a] / (hi[a] - lo[a]) : 0.0;
#define BIN_OF(fv, a) \
    ((int)fmin(fmax(floor(((fv) - lo[a]) * scale[a]), 0.0), (double)(nb[a] - 1)))
    for (long m = n_img - 1; m >= 0; m--) { /* reverse so lists come out in image order */
        const double *ip = nl->img_pos + 4 * m;
        int b[3];
        for (int a = 0; a < 3; a++) {
            double fv = ip[0] * inv[0][a] + ip[1] * inv[1][a] + ip[2] * inv[2][a];
            b[a] = BIN_OF(fv, a);
        }
        long c = ((long)b[0] * nb[1] + b[1]) * nb[2] + b[2];
        next[m] = nl->cell_head[c];
        nl->cell_head[c] = (int)m;
    }
    const double rc2 = rc * rc;
    for (int i = 0; i < n; i++) {
        const double *xi = w + 3 * i;
        int b[3];
        for (int a = 0; a < 3; a++) b[a] = BIN_OF(frac[3 * i + a], a);
        for (int da = -1; da <= 1; da++) {
            int ba = b[0] + da;
            if (ba < 0 || ba >= nb[0]) continue;
            for (int db = -1; db <= 1; db++) {
                int bb = b[1] + db;
                if (bb < 0 || bb >= nb[1]) continue;
                for (int dc = -1; dc <= 1; dc++) {
                    int bc = b[2] + dc;
                    if (bc < 0 || bc >= nb[2]) continue;
                    for (int m = nl->cell_head[((long)ba * nb[1] + bb) * nb[2] + bc]; m >= 0; m = next[m]) {
                        const double *ip = nl->img_pos + 4 * (long)m;
                        double d[3] = {ip[0] - xi[0], ip[1] - xi[1], ip[2] - xi[2]};
                        double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                        if (r2 >= rc2) continue;
                        int j = nl->img_owner[m];
                        if (r2 == 0) {
                            if (j == i && ip[3] != 0) continue; /* the atom itself */
                            free(frac);
                            return mtp_fail(err, MTP_ERR_GEOMETRY, "atoms %d and %d are at the same position", i + 1,
                                            j + 1);
                        }
                        st = push_pair(nl, j, d, err);
                        if (st) {
                            free(frac);
                            return st;
                        }
                    }
                }
            }
        }
        nl->offset[i + 1] = nl->n_pairs;
    }
#undef BIN_OF
    free(frac);
    return MTP_OK;
}
