/* SPDX-License-Identifier: BSD-3-Clause */
/* Cutting extrapolative neighbourhoods out of configurations for labelling:
 * MLIP-3's non-periodic cluster (`cut_extrapolative_nbh`, spec §5.4) and a
 * small periodic cell whose trusted atoms keep exactly the environment
 * they have in the big cell. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mtp_cfg_max_grade_atom(const mtp_cfg *cfg, double *grade)
{
    /* MLIP-3: max starts at 0 and only a strictly larger grade wins, so the
     * first atom of a tie is taken and all-zero grades give none. */
    int best = -1;
    double max = 0.0;
    if (cfg->nbh_grades)
        for (int i = 0; i < cfg->n_atoms; i++)
            if (cfg->nbh_grades[i] > max) {
                max = cfg->nbh_grades[i];
                best = i;
            }
    if (grade) *grade = max;
    return best;
}

/* ------------------------------------------------------------------ */
/* MLIP-3 cluster                                                      */
/* ------------------------------------------------------------------ */
static double dist3(const double *a, const double *b)
{
    double d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
    return sqrt(d0 * d0 + d1 * d1 + d2 * d2);
}

typedef struct ghosts {
    double *pos;  /* [n][3] real atoms first, then ghost images */
    int *orig;    /* [n] atom each position is an image of     */
    long n, cap;
} ghosts;

static int ghosts_push(ghosts *g, const double *x, int orig)
{
    if (g->n == g->cap) {
        long nc = g->cap ? 2 * g->cap : 1024;
        double *p = mtp_realloc(g->pos, (size_t)nc * 3, sizeof(double));
        if (p) g->pos = p;
        int *o = mtp_realloc(g->orig, (size_t)nc, sizeof(int));
        if (o) g->orig = o;
        if (!p || !o) return 0;
        g->cap = nc;
    }
    memcpy(g->pos + 3 * g->n, x, 3 * sizeof(double));
    g->orig[g->n++] = orig;
    return 1;
}

/* MLIP-3's Configuration::InitNbhs_AddGhostAtoms, operation for operation
 * (the cluster is written with 6 decimals, so the rounding of every
 * relative vector must be the same for byte-identical output): shells
 * l = 1, 2, ... of images along the periodic directions; an image is kept
 * if it lies within the bounding box of the atoms grown by the cutoff and
 * within the cutoff of some atom; stop at the first shell adding nothing. */
static mtp_status add_ghosts(const mtp_cfg *cfg, double cutoff, ghosts *g, mtp_error *err)
{
    const int n = cfg->n_atoms;
    for (int i = 0; i < n; i++)
        if (!ghosts_push(g, cfg->positions + 3 * i, i)) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    if (n == 0) return MTP_OK;
    const double *x = cfg->positions;
    /* MLIP-3 shells along the rows as given; a skewed basis would need
     * shells far beyond the first empty one (and stop early), so the rows
     * are reduced first.  A reduced lattice is kept bit for bit, so the
     * cells MLIP-3 is compared on give its output unchanged. */
    double L[3][3];
    mtp_cell cell;
    mtp_status st = mtp_cell_init(&cell, cfg->lattice, err);
    if (st) return st;
    if ((st = mtp_cell_check_images(&cell, cutoff, n, mtp_cell_image_estimate(&cell, cutoff, n), err))) return st;
    for (int a = 0; a < 3; a++)
        for (int k = 0; k < 3; k++) L[a][k] = cell.periodic[a] ? cell.L[a][k] : 0.0;
    double lo[3], hi[3];
    for (int a = 0; a < 3; a++) lo[a] = hi[a] = x[a];
    for (int i = 1; i < n; i++)
        for (int a = 0; a < 3; a++) {
            if (lo[a] > x[3 * i + a]) lo[a] = x[3 * i + a];
            if (hi[a] < x[3 * i + a]) hi[a] = x[3 * i + a];
        }
    const int *periodic = cell.periodic;
    if (!periodic[0] && !periodic[1] && !periodic[2]) return MTP_OK;
    int added = 1;
    for (int l = 1; added; l++) {
        added = 0;
        if (l > 100000) return mtp_fail(err, MTP_ERR_GEOMETRY, "periodic extension does not terminate (degenerate cell?)");
        int ll[3];
        for (int a = 0; a < 3; a++) ll[a] = periodic[a] ? l : 0;
        for (int i = -ll[0]; i <= ll[0]; i++)
            for (int j = -ll[1]; j <= ll[1]; j++)
                for (int k = -ll[2]; k <= ll[2]; k++) {
                    int m = abs(i) > abs(j) ? abs(i) : abs(j);
                    if (abs(k) > m) m = abs(k);
                    if (m != l) continue;
                    for (int ind = 0; ind < n; ind++) {
                        double c[3];
                        for (int a = 0; a < 3; a++) c[a] = x[3 * ind + a] + (i * L[0][a] + j * L[1][a] + k * L[2][a]);
                        if (c[0] < lo[0] - cutoff || c[1] < lo[1] - cutoff || c[2] < lo[2] - cutoff ||
                            c[0] > hi[0] + cutoff || c[1] > hi[1] + cutoff || c[2] > hi[2] + cutoff)
                            continue;
                        int jnd = 0;
                        while (jnd < n && dist3(c, x + 3 * jnd) > cutoff) jnd++;
                        if (jnd < n) {
                            if (!ghosts_push(g, c, ind)) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
                            added = 1;
                        }
                    }
                }
    }
    return MTP_OK;
}

static int any_ghost(const mtp_cfg *cfg)
{
    if (cfg->ghost)
        for (int i = 0; i < cfg->n_atoms; i++)
            if (cfg->ghost[i]) return 1;
    return 0;
}

mtp_status mtp_cut_cluster(const mtp_cfg *cfg, int center, double radius, mtp_cfg *cluster, mtp_error *err)
{
    if (center < 0 || center >= cfg->n_atoms)
        return mtp_fail(err, MTP_ERR_INVALID, "atom index %d out of range (configuration of %d atoms)", center,
                        cfg->n_atoms);
    if (!(radius > 0) || !isfinite(radius)) return mtp_fail(err, MTP_ERR_INVALID, "cut radius must be positive");
    for (int i = 0; i < 3 * cfg->n_atoms; i++)
        if (!isfinite(cfg->positions[i])) return mtp_fail(err, MTP_ERR_GEOMETRY, "atom %d has a non-finite position", i / 3 + 1);
    ghosts g = {0};
    mtp_status st = MTP_OK;
    /* MLIP-3 does not extend configurations that carry ghost atoms (MPI
     * sub-domains): their neighbours are the atoms listed. */
    if (any_ghost(cfg)) {
        for (int i = 0; i < cfg->n_atoms && !st; i++)
            if (!ghosts_push(&g, cfg->positions + 3 * i, i)) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    } else {
        st = add_ghosts(cfg, radius, &g, err);
    }
    /* Neighbours of `center` in the order MLIP-3's InitNbhs_ConstructNbhs
     * appends them: first, for every atom i < center, the images of
     * `center` (itself, then its ghosts) seen from i, as -(x_img - x_i);
     * then every later position j > center whose atom is >= center, as
     * x_j - x_center. */
    double *vec = NULL;
    int *typ = NULL;
    long nv = 0, cap = 0;
#define PUSH(v0, v1, v2, t)                                                                   \
    do {                                                                                      \
        if (nv == cap) {                                                                      \
            long nc_ = cap ? 2 * cap : 256;                                                   \
            double *p_ = mtp_realloc(vec, (size_t)nc_ * 3, sizeof(double));                   \
            if (p_) vec = p_;                                                                 \
            int *q_ = mtp_realloc(typ, (size_t)nc_, sizeof(int));                             \
            if (q_) typ = q_;                                                                 \
            if (!p_ || !q_) {                                                                 \
                st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");                          \
                goto done;                                                                    \
            }                                                                                 \
            cap = nc_;                                                                        \
        }                                                                                     \
        vec[3 * nv] = (v0), vec[3 * nv + 1] = (v1), vec[3 * nv + 2] = (v2), typ[nv++] = (t); \
    } while (0)
    if (st) goto done;
    for (int i = 0; i < center; i++) {
        const double *xi = g.pos + 3 * i;
        for (long j = center; j < g.n; j++) {
            if (g.orig[j] != center) continue;
            const double *xj = g.pos + 3 * j;
            double v[3] = {xj[0] - xi[0], xj[1] - xi[1], xj[2] - xi[2]};
            if (sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) < radius) PUSH(-v[0], -v[1], -v[2], cfg->types[i]);
        }
    }
    {
        const double *xc = g.pos + 3 * center;
        for (long j = center + 1; j < g.n; j++) {
            if (g.orig[j] < center) continue;
            const double *xj = g.pos + 3 * j;
            double v[3] = {xj[0] - xc[0], xj[1] - xc[1], xj[2] - xc[2]};
            if (sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) < radius) PUSH(v[0], v[1], v[2], cfg->types[g.orig[j]]);
        }
    }
#undef PUSH
    if (nv + 1 > MTP_MAX_ATOMS) {
        st = mtp_fail(err, MTP_ERR_INVALID, "cluster of %ld atoms is too large", nv + 1);
        goto done;
    }
    {
        mtp_cfg out;
        mtp_cfg_init(&out);
        if ((st = mtp_cfg_alloc(&out, (int)nv + 1, 0, err))) goto done;
        out.types[0] = cfg->types[center];
        for (long k = 0; k < nv; k++) {
            memcpy(out.positions + 3 * (k + 1), vec + 3 * k, 3 * sizeof(double));
            out.types[k + 1] = typ[k];
        }
        mtp_cfg_free(cluster);
        *cluster = out;
    }
done:
    free(vec);
    free(typ);
    free(g.pos);
    free(g.orig);
    return st;
}

/* ------------------------------------------------------------------ */
/* Periodic cut                                                        */
/* ------------------------------------------------------------------ */
/* Kept atom of the periodic cut: an image of atom `orig` of the big cell. */
typedef struct kept_atom {
    double x[3];     /* Cartesian position of the image in the big cell's frame */
    int orig;
    double dcenter;  /* distance to the nearest centre */
    int core;        /* within opt->core of a centre  */
    int dropped;
} kept_atom;

static int cmp_pair_dist(const void *a, const void *b)
{
    double x = ((const double *)a)[0], y = ((const double *)b)[0];
    return x < y ? -1 : x > y;
}

void mtp_cut_periodic_options_default(mtp_cut_periodic_options *o)
{
    memset(o, 0, sizeof *o);
    o->cutoff = 5.0;
    o->core = 0.0;
    o->buffer = -1.0;
    o->min_dist = 0.0;
    o->whole_if_not_smaller = 1;
}

/* The whole rule: *out becomes cfg itself, every atom trusted. */
static mtp_status whole_configuration(const mtp_cfg *cfg, mtp_cfg *out, mtp_cut_report *r, mtp_error *err)
{
    const int n = cfg->n_atoms;
    mtp_status st = mtp_cfg_alloc(out, n, MTP_CFG_FORCE_WEIGHTS, err);
    if (st) return st;
    memcpy(out->lattice, cfg->lattice, sizeof out->lattice);
    memcpy(out->types, cfg->types, (size_t)n * sizeof(int));
    memcpy(out->positions, cfg->positions, (size_t)n * 3 * sizeof(double));
    for (int i = 0; i < n; i++) out->force_weights[i] = 1.0;
    r->whole = 1;
    r->n_core = r->n_trusted = r->n_force_exact = r->n_exact_sites = n;
    r->n_dropped = 0;
    memset(r->origin, 0, sizeof r->origin);
    r->min_cross_before = r->min_cross_after = INFINITY;
    return MTP_OK;
}

/* The features that say what the cell is (see openmtp.h). */
static mtp_status cut_features(mtp_cfg *cell, const mtp_cut_periodic_options *o, const mtp_cut_report *r,
                               mtp_error *err)
{
    char buf[256];
    mtp_status st;
    if (r->whole) {
        snprintf(buf, sizeof buf, "whole configuration (smaller than the cut box of %.3f x %.3f x %.3f A)", r->box[0],
                 r->box[1], r->box[2]);
        return mtp_cfg_set_feature(cell, "cut_geometry", buf, err);
    }
    snprintf(buf, sizeof buf,
             "cutoff=%g core=%g buffer=%g trusted=%d exact_forces=%d dropped=%d min_dist=%.4f origin=%.6f,%.6f,%.6f",
             o->cutoff, o->core, o->buffer < 0 ? o->cutoff : o->buffer, r->n_trusted, r->n_force_exact, r->n_dropped,
             r->min_dist_used, r->origin[0], r->origin[1], r->origin[2]);
    if ((st = mtp_cfg_set_feature(cell, "cut_geometry", buf, err))) return st;
    if ((st = mtp_cfg_set_feature(cell, "EnergyWeight", "0", err))) return st;
    return mtp_cfg_set_feature(cell, "StressWeight", "0", err);
}

mtp_status mtp_cut_periodic(const mtp_cfg *cfg, int n_centers, const int *centers,
                            const mtp_cut_periodic_options *opt, mtp_cfg *cell, mtp_cut_report *rep,
                            mtp_error *err)
{
    const int n = cfg->n_atoms;
    const double rc = opt->cutoff, core = opt->core;
    const double buffer = opt->buffer < 0 ? rc : opt->buffer;
    mtp_cut_report r;
    memset(&r, 0, sizeof r);
    if (!(rc > 0) || !isfinite(rc)) return mtp_fail(err, MTP_ERR_INVALID, "cutoff must be positive, found %g", rc);
    if (!(core >= 0) || !isfinite(core)) return mtp_fail(err, MTP_ERR_INVALID, "core radius must be >= 0, found %g", core);
    if (!isfinite(buffer)) return mtp_fail(err, MTP_ERR_INVALID, "buffer must be finite");
    if (!(opt->min_dist >= 0) || !isfinite(opt->min_dist))
        return mtp_fail(err, MTP_ERR_INVALID, "min_dist must be >= 0, found %g", opt->min_dist);
    if (n_centers < 1) return mtp_fail(err, MTP_ERR_INVALID, "no centre atom given");
    for (int c = 0; c < n_centers; c++)
        if (centers[c] < 0 || centers[c] >= n)
            return mtp_fail(err, MTP_ERR_INVALID, "centre atom %d out of range (configuration of %d atoms)", centers[c], n);
    for (int i = 0; i < 3 * n; i++)
        if (!isfinite(cfg->positions[i])) return mtp_fail(err, MTP_ERR_GEOMETRY, "atom %d has a non-finite position", i / 3 + 1);

    /* Periodic directions of the big cell and fractional coordinates, in
     * the reduced basis: the fewest images cover the box, whatever basis
     * the lattice is given in. */
    mtp_cell bigcell;
    mtp_status st = mtp_cell_init(&bigcell, cfg->lattice, err);
    if (st) return st;
    const int np = bigcell.n_periodic;
    if (np != 0 && np != 3)
        return mtp_fail(err, MTP_ERR_UNSUPPORTED, "periodic cut needs a 3D periodic or a non-periodic configuration (%d periodic directions)", np);
    const double(*L)[3] = bigcell.L, (*inv)[3] = bigcell.inv;

    /* Centres: each the image nearest to the first centre (minimum image in
     * fractional coordinates), so a merged group is one compact region. */
    double(*cx)[3] = mtp_calloc((size_t)n_centers, sizeof *cx);
    kept_atom *kept = NULL;
    double *pairs = NULL;
    mtp_nlist nl_big, nl_cut;
    mtp_nlist_init(&nl_big);
    mtp_nlist_init(&nl_cut);
    mtp_cfg out;
    mtp_cfg_init(&out);
    if (!cx) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    for (int c = 0; c < n_centers; c++) {
        const double *x0 = cfg->positions + 3 * centers[0], *xc = cfg->positions + 3 * centers[c];
        double d[3] = {xc[0] - x0[0], xc[1] - x0[1], xc[2] - x0[2]};
        if (np == 3)
            for (int b = 0; b < 3; b++) {
                double f = d[0] * inv[0][b] + d[1] * inv[1][b] + d[2] * inv[2][b];
                double s = -round(f);
                for (int a = 0; a < 3; a++) d[a] += s * L[b][a];
            }
        for (int a = 0; a < 3; a++) cx[c][a] = x0[a] + d[a];
    }

    /* Orthorhombic box: bounding box of the centres grown by
     * h = core + cutoff + buffer on every side.  Atom k is kept iff
     * lo < x_k < hi.  Why this suffices: an atom t within `core` of a
     * centre has all its neighbours (r < cutoff) strictly inside the box,
     * and the periodic image of any kept atom is more than h - core >=
     * cutoff away from t along the shifted axis, so t's neighbourhood in
     * the small cell is its neighbourhood in the big cell; the same holds
     * for every atom within core + buffer, hence for every site whose
     * neighbourhood contains t when buffer >= cutoff (forces on t exact). */
    const double h = core + rc + buffer;
    if (!(h >= rc)) {
        free(cx);
        return mtp_fail(err, MTP_ERR_INVALID, "core + buffer must be >= 0");
    }
    /* The drop threshold, and a pad of that width around the box: a pair
     * across the new boundary closer than it then has both atoms farther
     * than h from every centre, where no guarantee needs them. */
    r.min_same = r.min_cross_before = r.min_cross_after = INFINITY;
    if ((st = mtp_nlist_build(&nl_big, cfg, rc, err))) goto done;
    for (long p = 0; p < nl_big.n_pairs; p++) {
        const double *v = nl_big.rij + 3 * p;
        double d = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        if (d < r.min_same) r.min_same = d;
    }
    r.min_dist_used = opt->min_dist > 0 ? opt->min_dist : (isfinite(r.min_same) ? 0.9 * r.min_same : 0.0);
    const double pad = r.min_dist_used < rc ? r.min_dist_used : rc;
    double lo[3], hi[3];
    for (int a = 0; a < 3; a++) {
        lo[a] = hi[a] = cx[0][a];
        for (int c = 1; c < n_centers; c++) {
            if (cx[c][a] < lo[a]) lo[a] = cx[c][a];
            if (cx[c][a] > hi[a]) hi[a] = cx[c][a];
        }
        lo[a] -= h + pad;
        hi[a] += h + pad;
        r.box[a] = hi[a] - lo[a];
        r.origin[a] = lo[a];
    }

    /* Images of the big cell's atoms inside the box: the fractional extent
     * of the box bounds the image range along every lattice direction. */
    int range[3] = {0, 0, 0};
    if (np == 3)
        for (int b = 0; b < 3; b++) {
            double ext = 0;
            for (int a = 0; a < 3; a++) ext += fabs(inv[a][b]) * (hi[a] - lo[a]);
            range[b] = (int)ceil(ext) + 1;
            if (range[b] > 1000) {
                st = mtp_fail(err, MTP_ERR_INVALID, "the cut box (%.1f A) needs more than 1000 images of the cell", ext);
                goto done;
            }
        }
    long nk = 0, kcap = 0;
    double fmid[3] = {0, 0, 0};
    if (np == 3) {
        double mid[3] = {(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2};
        for (int b = 0; b < 3; b++) fmid[b] = mid[0] * inv[0][b] + mid[1] * inv[1][b] + mid[2] * inv[2][b];
    }
    for (int i = 0; i < n; i++) {
        const double *xi = cfg->positions + 3 * i;
        int base[3] = {0, 0, 0};
        if (np == 3) /* start from the image nearest to the box centre */
            for (int b = 0; b < 3; b++) {
                double f = xi[0] * inv[0][b] + xi[1] * inv[1][b] + xi[2] * inv[2][b];
                base[b] = (int)round(fmid[b] - f);
            }
        for (int p = -range[0]; p <= range[0]; p++)
            for (int q = -range[1]; q <= range[1]; q++)
                for (int s = -range[2]; s <= range[2]; s++) {
                    double y[3];
                    int m[3] = {base[0] + p, base[1] + q, base[2] + s};
                    for (int a = 0; a < 3; a++) y[a] = xi[a] + m[0] * L[0][a] + m[1] * L[1][a] + m[2] * L[2][a];
                    if (!(y[0] > lo[0] && y[0] < hi[0] && y[1] > lo[1] && y[1] < hi[1] && y[2] > lo[2] && y[2] < hi[2]))
                        continue;
                    if (nk == kcap) {
                        long nc = kcap ? 2 * kcap : 1024;
                        kept_atom *kk = mtp_realloc(kept, (size_t)nc, sizeof *kk);
                        if (!kk) {
                            st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
                            goto done;
                        }
                        kept = kk;
                        kcap = nc;
                    }
                    kept_atom *k = &kept[nk++];
                    memcpy(k->x, y, sizeof y);
                    k->orig = i;
                    k->dropped = 0;
                    k->dcenter = INFINITY;
                    for (int c = 0; c < n_centers; c++) {
                        double d = dist3(y, cx[c]);
                        if (d < k->dcenter) k->dcenter = d;
                    }
                    /* 1e-9 A: the images of the other centres are found again
                     * only up to round-off */
                    k->core = k->dcenter <= core + 1e-9;
                    if (np == 0) goto next_atom; /* one image only */
                }
    next_atom:;
    }
    if (nk > MTP_MAX_ATOMS) {
        st = mtp_fail(err, MTP_ERR_INVALID, "the cut cell would hold %ld atoms", nk);
        goto done;
    }

    /* The small cell, before dropping: positions relative to lo. */
#define BUILD_CELL(ONLY_KEPT)                                                                     \
    do {                                                                                          \
        int m_ = 0;                                                                               \
        for (long k_ = 0; k_ < nk; k_++) m_ += !(ONLY_KEPT) || !kept[k_].dropped;                \
        if ((st = mtp_cfg_alloc(&out, m_, 0, err))) goto done;                                    \
        memset(out.lattice, 0, sizeof out.lattice);                                               \
        for (int a_ = 0; a_ < 3; a_++) out.lattice[a_][a_] = r.box[a_];                          \
        m_ = 0;                                                                                   \
        for (long k_ = 0; k_ < nk; k_++) {                                                        \
            if ((ONLY_KEPT) && kept[k_].dropped) continue;                                        \
            for (int a_ = 0; a_ < 3; a_++) out.positions[3 * m_ + a_] = kept[k_].x[a_] - lo[a_]; \
            out.types[m_] = cfg->types[kept[k_].orig];                                            \
            idx[m_++] = k_;                                                                       \
        }                                                                                         \
    } while (0)
    long *idx = mtp_calloc((size_t)(nk ? nk : 1), sizeof(long));
    if (!idx) {
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        goto done;
    }
    BUILD_CELL(0);
    if ((st = mtp_nlist_build(&nl_cut, &out, rc, err))) goto done_idx;

    /* Pairs across the new boundary: the neighbour vector differs from the
     * plain difference of positions (a non-zero box shift). */
    long npairs = 0;
    pairs = mtp_calloc((size_t)(nl_cut.n_pairs ? nl_cut.n_pairs : 1) * 3, sizeof(double));
    if (!pairs) {
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        goto done_idx;
    }
    for (int k = 0; k < out.n_atoms; k++)
        for (long p = nl_cut.offset[k]; p < nl_cut.offset[k + 1]; p++) {
            int j = nl_cut.index[p];
            const double *v = nl_cut.rij + 3 * p;
            double d = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            int cross = 0;
            for (int a = 0; a < 3; a++)
                cross |= fabs(v[a] - (out.positions[3 * j + a] - out.positions[3 * k + a])) > 0.5 * r.box[a];
            if (!cross) continue;
            if (d < r.min_cross_before) r.min_cross_before = d;
            if (j > k) {
                pairs[3 * npairs] = d;
                pairs[3 * npairs + 1] = k;
                pairs[3 * npairs + 2] = j;
                npairs++;
            }
        }
    /* Drop rule: for every pair across the boundary closer than min_dist,
     * shortest first, the atom farther from the centres goes unless one
     * of the two is already gone (removing atoms creates no new pairs). */
    qsort(pairs, (size_t)npairs, 3 * sizeof(double), cmp_pair_dist);
    for (long p = 0; p < npairs; p++) {
        if (pairs[3 * p] >= r.min_dist_used) break;
        kept_atom *a = &kept[idx[(long)pairs[3 * p + 1]]], *b = &kept[idx[(long)pairs[3 * p + 2]]];
        if (a->dropped || b->dropped) continue;
        kept_atom *victim = a->dcenter >= b->dcenter ? a : b;
        if (victim->dcenter <= h) { /* excluded by the pad; kept as a safety net */
            st = mtp_fail(err, MTP_ERR_GEOMETRY,
                          "an atom %.3f A from a centre is %.3f A from an image across the new cell boundary",
                          victim->dcenter, pairs[3 * p]);
            goto done_idx;
        }
        victim->dropped = 1;
        r.n_dropped++;
    }
    if (r.n_dropped) {
        BUILD_CELL(1);
        if ((st = mtp_nlist_build(&nl_cut, &out, rc, err))) goto done_idx;
    }
#undef BUILD_CELL

    /* Check the guarantee instead of trusting the geometry argument: a site
     * is exact when its neighbours in the small cell are all same-cell
     * pairs and as many as the atom has in the big cell; an atom's force
     * is exact when it and all its neighbours are exact sites.  Trusted
     * (force_weight 1): core atoms with an exact site. */
    {
        const int m = out.n_atoms;
        unsigned char *site_ok = mtp_calloc((size_t)(m ? m : 1), 1);
        if (!site_ok) {
            st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
            goto done_idx;
        }
        for (int k = 0; k < m; k++) {
            int ok = 1;
            long cnt = 0;
            for (long p = nl_cut.offset[k]; p < nl_cut.offset[k + 1]; p++) {
                int j = nl_cut.index[p];
                const double *v = nl_cut.rij + 3 * p;
                for (int a = 0; a < 3; a++)
                    if (fabs(v[a] - (out.positions[3 * j + a] - out.positions[3 * k + a])) > 0.5 * r.box[a]) ok = 0;
                cnt++;
            }
            int o = kept[idx[k]].orig;
            if (cnt != nl_big.offset[o + 1] - nl_big.offset[o]) ok = 0;
            site_ok[k] = (unsigned char)ok;
            r.n_exact_sites += ok;
        }
        for (int k = 0; k < m; k++)
            for (long p = nl_cut.offset[k]; p < nl_cut.offset[k + 1]; p++) {
                int j = nl_cut.index[p];
                const double *v = nl_cut.rij + 3 * p;
                int cross = 0;
                for (int a = 0; a < 3; a++)
                    cross |= fabs(v[a] - (out.positions[3 * j + a] - out.positions[3 * k + a])) > 0.5 * r.box[a];
                if (cross) {
                    double d = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
                    if (d < r.min_cross_after) r.min_cross_after = d;
                }
            }
        if ((st = mtp_cfg_add_array(&out, MTP_CFG_FORCE_WEIGHTS, err))) {
            free(site_ok);
            goto done_idx;
        }
        for (int k = 0; k < m; k++) {
            const kept_atom *ka = &kept[idx[k]];
            if (!ka->core) continue;
            r.n_core++;
            if (!site_ok[k]) continue;
            out.force_weights[k] = 1.0;
            r.n_trusted++;
            int ok = 1;
            for (long p = nl_cut.offset[k]; ok && p < nl_cut.offset[k + 1]; p++) ok = site_ok[nl_cut.index[p]];
            r.n_force_exact += ok;
        }
        free(site_ok);
    }
    /* no smaller than cfg: label cfg itself (whole_configuration) */
    if (opt->whole_if_not_smaller && out.n_atoms >= n && (st = whole_configuration(cfg, &out, &r, err))) goto done_idx;
    r.n_atoms = out.n_atoms;
    if ((st = cut_features(&out, opt, &r, err))) goto done_idx;
    mtp_cfg_free(cell);
    *cell = out;
    mtp_cfg_init(&out);
done_idx:
    free(idx);
done:
    mtp_cfg_free(&out);
    mtp_nlist_free(&nl_big);
    mtp_nlist_free(&nl_cut);
    free(pairs);
    free(kept);
    free(cx);
    if (rep) *rep = r;
    return st;
}
