/* SPDX-License-Identifier: BSD-3-Clause */
/* Neighbour search for whole configurations: every (i, j, image) with
 * 0 < |r_ij| < cutoff, periodic along the non-zero lattice rows, for
 * cells of any shape and size (cells smaller than the cutoff get as many
 * images as needed).  O(N): the lattice is reduced first (lattice.c), so
 * every basis of a lattice gives the same neighbours at the same cost;
 * atoms are wrapped into the reduced cell, the images that can be within
 * the cutoff of the cell are counted (a cell too thin for the cutoff is an
 * error) and generated explicitly, and everything is binned on a grid
 * whose bins are at least one cutoff thick in every lattice direction. */
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

static mtp_status push_pair(mtp_nlist *nl, int j, const double d[3], mtp_error *err)
{
    if (nl->n_pairs == nl->cap) {
        long ncap = nl->cap < 1024 ? 1024 : nl->cap * 2;
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
    nl->n_images = nl->n_candidates = 0;
    long *off = mtp_realloc(nl->offset, (size_t)n + 1, sizeof(long));
    if (!off) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    nl->offset = off;
    nl->offset[0] = 0;
    /* never NULL, even with no pairs: callers offset these pointers (UB on NULL) */
    if (!nl->index) nl->index = mtp_calloc(1, sizeof(int));
    if (!nl->rij) nl->rij = mtp_calloc(3, sizeof(double));
    if (!nl->index || !nl->rij) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    if (nl->cap == 0) nl->cap = 1;
    if (n == 0) return MTP_OK;
    if (!(rc > 0) || !isfinite(rc)) return mtp_fail(err, MTP_ERR_INVALID, "cutoff must be positive");

    /* the reduced basis: every basis of the same lattice gives the same
     * images, at the cost of the best one */
    mtp_cell cell;
    mtp_status st = mtp_cell_init(&cell, cfg->lattice, err);
    if (st) return st;
    const double(*L)[3] = cell.L, (*inv)[3] = cell.inv;
    const int *per = cell.periodic;
    const double *h = cell.height;

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
            /* beyond 2^50 cells away the wrapped position has no digits left */
            if (!(fabs(f[a]) < 0x1p50)) {
                double far = f[a];
                free(frac);
                return mtp_fail(err, MTP_ERR_GEOMETRY,
                                "atom %d is too far from the cell (coordinate %.3g along lattice direction %d)", i + 1,
                                far, a + 1);
            }
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

    /* images: fractional range [-delta, 1 + delta] along periodic axes.
     * Atom i has the images p with lo <= f_i + p <= hi, counted first (in
     * double: a thin cell needs more than any integer holds) so that a
     * cell too thin for the cutoff is an error, not an overflow. */
    for (int a = 0; a < 3; a++)
        if (per[a]) {
            double delta = rc / h[a];
            lo[a] = -delta;
            hi[a] = 1.0 + delta;
        }
    double count = 0;
    for (int i = 0; i < n; i++) {
        double m = 1;
        for (int a = 0; a < 3; a++)
            if (per[a]) m *= floor(hi[a] - frac[3 * i + a]) - ceil(lo[a] - frac[3 * i + a]) + 1;
        count += m;
    }
    if ((st = mtp_cell_check_images(&cell, rc, n, count, err))) {
        free(frac);
        return st;
    }
    const long n_img = (long)count;
    if (n_img > nl->img_cap) {
        double *np_ = mtp_realloc(nl->img_pos, (size_t)n_img * 4, sizeof(double));
        if (np_) nl->img_pos = np_;
        int *no = mtp_realloc(nl->img_owner, (size_t)n_img, sizeof(int));
        if (no) nl->img_owner = no;
        if (!np_ || !no) {
            free(frac);
            return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %ld periodic images", n_img);
        }
        nl->img_cap = n_img;
    }
    long m_img = 0;
    for (int i = 0; i < n; i++) {
        const double *f = frac + 3 * i;
        int pmin[3] = {0, 0, 0}, pmax[3] = {0, 0, 0};
        for (int a = 0; a < 3; a++)
            if (per[a]) {
                pmin[a] = (int)ceil(lo[a] - f[a]);
                pmax[a] = (int)floor(hi[a] - f[a]);
            }
        for (int p = pmin[0]; p <= pmax[0]; p++)
            for (int q = pmin[1]; q <= pmax[1]; q++)
                for (int s = pmin[2]; s <= pmax[2]; s++) {
                    double *ip = nl->img_pos + 4 * m_img;
                    for (int k = 0; k < 3; k++) ip[k] = w[3 * i + k] + p * L[0][k] + q * L[1][k] + s * L[2][k];
                    ip[3] = (p == 0 && q == 0 && s == 0) ? 1.0 : 0.0; /* the atom itself */
                    nl->img_owner[m_img] = i;
                    m_img++;
                }
    }
    nl->n_images = n_img;

    /* bins: at least rc thick along each lattice direction */
    int nb[3];
    long total = 1;
    for (int a = 0; a < 3; a++) {
        double span = (hi[a] - lo[a]) * h[a];
        /* clamped as a double: a huge (or non-finite) span must not reach
         * the conversion to an integer */
        double k = floor(span / (rc * (1 + 1e-9))); /* margin for rounding */
        if (!(k >= 1)) k = 1;
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
                        nl->n_candidates++;
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
