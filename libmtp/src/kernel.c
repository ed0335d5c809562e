/* The MTP kernel: site energy of one neighbourhood, its derivatives with
 * respect to the neighbour vectors (reverse mode), the scalar basis values
 * and the gradient with respect to the parameters.
 *
 * Layout: every per-neighbour quantity is stored as an array over the
 * neighbours ("structure of arrays"), so the inner loops run over
 * neighbours with unit stride and vectorise.  Basic moments need
 * f_mu(r) * u^(a,b,c) with u = r_ij/|r_ij|; all monomials of u up to the
 * highest rank are built once per neighbour by one multiplication each.
 *
 * Derivative of one basic moment term f(r) U(u), U homogeneous of degree nu:
 *     d/dr_ij [f U] = f'(r) U u + (f/r) (grad_u U - nu U u)
 * and, by Euler's identity, nu U = u . grad_u U.  So the backward pass only
 * accumulates, per neighbour and radial index mu,
 *     S_mu = sum_q g_q U_q           G_mu = sum_q g_q grad_u U_q
 * and D_ij = u sum_mu f'_mu S_mu + sum_mu (f_mu/r) (G_mu - u (u . G_mu)).
 * S_mu is also what the radial-coefficient gradient needs. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mtp_plan {
    int K, R, B, M, T, A;
    int numax;
    int n_mono;
    int *mono_parent;   /* [n_mono] monomial this one extends (-1 for 1) */
    int *mono_axis;     /* [n_mono] axis of the extra factor              */
    int *basic_mu;      /* [B] */
    int *basic_mono;    /* [B] monomial of u^(a,b,c)                      */
    int (*basic_dmono)[3]; /* [B] monomial of u^(abc - e_axis), -1 if none */
    int (*basic_dcoef)[3]; /* [B] a, b, c                                 */
    int *t_i, *t_j, *t_k;  /* times entries split for streaming           */
    double *t_mult;
};

void mtp_plan_destroy(mtp_plan *pl)
{
    if (!pl) return;
    free(pl->mono_parent);
    free(pl->mono_axis);
    free(pl->basic_mu);
    free(pl->basic_mono);
    free(pl->basic_dmono);
    free(pl->basic_dcoef);
    free(pl->t_i);
    free(pl->t_j);
    free(pl->t_k);
    free(pl->t_mult);
    free(pl);
}

/* Index of monomial (a, b, c) in degree-major order. */
static int mono_index(int a, int b, int c)
{
    int nu = a + b + c;
    int before = nu * (nu + 1) * (nu + 2) / 6; /* monomials of lower degree */
    /* within degree nu: ordered by a descending, then b descending */
    int ra = nu - a;                            /* number with larger a: sum_{a'>a} (nu-a'+1) */
    int off = ra * (ra + 1) / 2;
    return before + off + (nu - a - b);
}

mtp_status mtp_plan_build(const mtp_potential *p, mtp_plan **out, mtp_error *err)
{
    *out = NULL;
    mtp_plan *pl = mtp_calloc(1, sizeof *pl);
    if (!pl) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    pl->K = p->radial_funcs_count;
    pl->R = p->radial_basis_size;
    pl->B = p->basic_count;
    pl->M = p->moments_count;
    pl->T = p->times_count;
    pl->A = p->scalar_count;
    int numax = 0;
    for (int q = 0; q < pl->B; q++) {
        int nu = p->basic[q][1] + p->basic[q][2] + p->basic[q][3];
        if (nu > numax) numax = nu;
    }
    pl->numax = numax;
    pl->n_mono = (numax + 1) * (numax + 2) * (numax + 3) / 6;
    size_t nm = (size_t)pl->n_mono, B = (size_t)pl->B, T = (size_t)(pl->T ? pl->T : 1);
    pl->mono_parent = mtp_calloc(nm, sizeof(int));
    pl->mono_axis = mtp_calloc(nm, sizeof(int));
    pl->basic_mu = mtp_calloc(B, sizeof(int));
    pl->basic_mono = mtp_calloc(B, sizeof(int));
    pl->basic_dmono = mtp_calloc(B, sizeof *pl->basic_dmono);
    pl->basic_dcoef = mtp_calloc(B, sizeof *pl->basic_dcoef);
    pl->t_i = mtp_calloc(T, sizeof(int));
    pl->t_j = mtp_calloc(T, sizeof(int));
    pl->t_k = mtp_calloc(T, sizeof(int));
    pl->t_mult = mtp_calloc(T, sizeof(double));
    if (!pl->mono_parent || !pl->mono_axis || !pl->basic_mu || !pl->basic_mono || !pl->basic_dmono ||
        !pl->basic_dcoef || !pl->t_i || !pl->t_j || !pl->t_k || !pl->t_mult) {
        mtp_plan_destroy(pl);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    for (int nu = 0; nu <= numax; nu++)
        for (int a = nu; a >= 0; a--)
            for (int b = nu - a; b >= 0; b--) {
                int c = nu - a - b;
                int m = mono_index(a, b, c);
                if (nu == 0) {
                    pl->mono_parent[m] = -1;
                } else if (a > 0) {
                    pl->mono_parent[m] = mono_index(a - 1, b, c);
                    pl->mono_axis[m] = 0;
                } else if (b > 0) {
                    pl->mono_parent[m] = mono_index(a, b - 1, c);
                    pl->mono_axis[m] = 1;
                } else {
                    pl->mono_parent[m] = mono_index(a, b, c - 1);
                    pl->mono_axis[m] = 2;
                }
            }
    for (int q = 0; q < pl->B; q++) {
        int a = p->basic[q][1], b = p->basic[q][2], c = p->basic[q][3];
        pl->basic_mu[q] = p->basic[q][0];
        pl->basic_mono[q] = mono_index(a, b, c);
        pl->basic_dcoef[q][0] = a;
        pl->basic_dcoef[q][1] = b;
        pl->basic_dcoef[q][2] = c;
        pl->basic_dmono[q][0] = a > 0 ? mono_index(a - 1, b, c) : -1;
        pl->basic_dmono[q][1] = b > 0 ? mono_index(a, b - 1, c) : -1;
        pl->basic_dmono[q][2] = c > 0 ? mono_index(a, b, c - 1) : -1;
    }
    for (int t = 0; t < pl->T; t++) {
        pl->t_i[t] = p->times[t][0];
        pl->t_j[t] = p->times[t][1];
        pl->t_mult[t] = p->times[t][2];
        pl->t_k[t] = p->times[t][3];
    }
    *out = pl;
    return MTP_OK;
}

/* ------------------------------------------------------------------ */
/* Calculator: scratch memory for the kernel and for whole configurations */
/* ------------------------------------------------------------------ */

mtp_status mtp_calculator_create(const mtp_potential *pot, mtp_calculator **out, mtp_error *err)
{
    *out = NULL;
    if (!pot || !pot->plan) return mtp_fail(err, MTP_ERR_INVALID, "no potential");
    mtp_calculator *c = mtp_calloc(1, sizeof *c);
    if (!c) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    c->pot = pot;
    size_t M = (size_t)pot->moments_count;
    c->M = mtp_calloc(M, sizeof(double));
    c->g = mtp_calloc(M, sizeof(double));
    if (!c->M || !c->g) {
        mtp_calculator_destroy(c);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    mtp_nlist_init(&c->nl);
    c->stats.closest = INFINITY;
    *out = c;
    return MTP_OK;
}

void mtp_calculator_destroy(mtp_calculator *c)
{
    if (!c) return;
    free(c->block);
    free(c->inside);
    free(c->M);
    free(c->g);
    mtp_nlist_free(&c->nl);
    free(c->species_of_atom);
    free(c->nbh_species);
    free(c->d_rij);
    free(c);
}

void mtp_calculator_set_min_dist_policy(mtp_calculator *c, mtp_min_dist_policy policy) { c->policy = policy; }

mtp_compute_stats mtp_calculator_stats(const mtp_calculator *c) { return c->stats; }

/* Make room for n neighbours (rounded up so that reuse is the common case). */
static mtp_status reserve(mtp_calculator *c, int n, mtp_error *err)
{
    if (n <= c->cap) return MTP_OK;
    const mtp_plan *pl = c->pot->plan;
    int cap = c->cap ? c->cap : 32;
    while (cap < n) cap *= 2;
    size_t rows = 5 + 2 * (size_t)pl->R + 2 * (size_t)pl->K + (size_t)pl->n_mono + 4 * (size_t)pl->K;
    double *blk = mtp_calloc(rows * (size_t)cap, sizeof(double));
    unsigned char *ins = mtp_calloc((size_t)cap, 1);
    if (!blk || !ins) {
        free(blk);
        free(ins);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %d neighbours", n);
    }
    free(c->block);
    free(c->inside);
    c->block = blk;
    c->inside = ins;
    c->cap = cap;
    double *p = blk;
    c->r = p; p += cap;
    c->ux = p; p += cap;
    c->uy = p; p += cap;
    c->uz = p; p += cap;
    c->rep = p; p += cap;
    c->Q = p; p += (size_t)pl->R * cap;
    c->dQ = p; p += (size_t)pl->R * cap;
    c->f = p; p += (size_t)pl->K * cap;
    c->fp = p; p += (size_t)pl->K * cap;
    c->U = p; p += (size_t)pl->n_mono * cap;
    c->S = p; p += (size_t)pl->K * cap;
    c->Gx = p; p += (size_t)pl->K * cap;
    c->Gy = p; p += (size_t)pl->K * cap;
    c->Gz = p;
    return MTP_OK;
}

/* Chebyshev radial basis Q_beta(r) = sigma T_beta(xi) (r - Rc)^2 and dQ/dr
 * for all neighbours.  Neighbours outside the cutoff get Q = dQ = 0.
 * Returns the repulsive extra energy of RBChebyshev_repuls and stores its
 * radial derivative in c->rep[j] (zero otherwise). */
static double radial_basis(mtp_calculator *c, int n)
{
    const mtp_potential *p = c->pot;
    const int R = p->radial_basis_size, cap = c->cap;
    const double rmin = p->min_dist, rc = p->max_dist, sigma = p->scaling;
    const double inv_w = 1.0 / (rc - rmin), dxi = 2.0 * inv_w;
    const int repulsive = p->radial_type == MTP_RADIAL_CHEBYSHEV_REPULSIVE;
    double e_rep = 0;
    for (int j = 0; j < n; j++) {
        c->rep[j] = 0;
        if (!c->inside[j]) {
            for (int b = 0; b < R; b++) c->Q[b * cap + j] = c->dQ[b * cap + j] = 0;
            continue;
        }
        double r = c->r[j];
        int clamped = 0;
        if (repulsive && r < rmin) {
            e_rep += 1e4 * (exp(-10.0 * (r - 1.0)) - exp(-10.0 * (rmin - 1.0)));
            c->rep[j] = -1e5 * exp(-10.0 * (r - 1.0));
            r = rmin;
            clamped = 1;
        }
        double xi = (2.0 * r - (rmin + rc)) * inv_w;
        double d = r - rc, d2 = d * d;
        double t0 = 1, t1 = xi, dt0 = 0, dt1 = 1;
        for (int b = 0; b < R; b++) {
            double t, dt;
            if (b == 0) { t = t0; dt = dt0; }
            else if (b == 1) { t = t1; dt = dt1; }
            else {
                t = 2 * xi * t1 - t0;
                dt = 2 * t1 + 2 * xi * dt1 - dt0;
                t0 = t1; t1 = t;
                dt0 = dt1; dt1 = dt;
            }
            c->Q[b * cap + j] = sigma * t * d2;
            c->dQ[b * cap + j] = clamped ? 0.0 : sigma * (dt * dxi * d2 + 2.0 * t * d);
        }
    }
    return e_rep;
}

mtp_status mtp_site_eval(mtp_calculator *c, int center, int n, const int *species, const double *rij,
                         double *energy, double *d_rij, double *basis, double *d_params, mtp_error *err)
{
    const mtp_potential *p = c->pot;
    const mtp_plan *pl = p->plan;
    const int S = p->species_count, K = pl->K, R = pl->R, B = pl->B, A = pl->A;
    int need_grad = energy || d_rij || d_params;
    if (!p->radial_coeffs || (need_grad && !p->trained))
        return mtp_fail(err, MTP_ERR_UNTRAINED, "the potential has no coefficients (train it first)");
    if (center < 0 || center >= S)
        return mtp_fail(err, MTP_ERR_SPECIES, "central species index %d out of range 0..%d", center, S - 1);
    if (n < 0) return mtp_fail(err, MTP_ERR_INVALID, "negative neighbour count");
    mtp_status st = reserve(c, n > 0 ? n : 1, err);
    if (st) return st;
    const int cap = c->cap;
    const double rc = p->max_dist;

    /* geometry */
    for (int j = 0; j < n; j++) {
        if (species[j] < 0 || species[j] >= S)
            return mtp_fail(err, MTP_ERR_SPECIES, "neighbour %d: species index %d out of range 0..%d", j,
                            species[j], S - 1);
        double x = rij[3 * j], y = rij[3 * j + 1], z = rij[3 * j + 2];
        double r2 = x * x + y * y + z * z;
        if (!isfinite(r2)) return mtp_fail(err, MTP_ERR_GEOMETRY, "neighbour %d: non-finite position", j);
        if (r2 == 0) return mtp_fail(err, MTP_ERR_GEOMETRY, "neighbour %d coincides with the central atom", j);
        double r = sqrt(r2);
        c->inside[j] = r < rc;
        double ir = 1.0 / r;
        c->r[j] = r;
        c->ux[j] = x * ir;
        c->uy[j] = y * ir;
        c->uz[j] = z * ir;
    }
    double e_rep = radial_basis(c, n);

    /* radial functions f_mu(r) = sum_beta c[s_i][s_j][mu][beta] Q_beta */
    for (int mu = 0; mu < K; mu++) {
        double *f = c->f + (size_t)mu * cap, *fp = c->fp + (size_t)mu * cap;
        for (int j = 0; j < n; j++) {
            const double *cc = p->radial_coeffs + ((size_t)(center * S + species[j]) * K + mu) * R;
            double v = 0, dv = 0;
            for (int b = 0; b < R; b++) {
                v += cc[b] * c->Q[b * cap + j];
                dv += cc[b] * c->dQ[b * cap + j];
            }
            f[j] = v;
            fp[j] = dv;
        }
    }

    /* monomials of u */
    {
        double *U0 = c->U;
        for (int j = 0; j < n; j++) U0[j] = 1.0;
        const double *axis[3] = {c->ux, c->uy, c->uz};
        for (int m = 1; m < pl->n_mono; m++) {
            const double *par = c->U + (size_t)pl->mono_parent[m] * cap, *ax = axis[pl->mono_axis[m]];
            double *Um = c->U + (size_t)m * cap;
            for (int j = 0; j < n; j++) Um[j] = par[j] * ax[j];
        }
    }

    /* forward: basic moments, then products in file order */
    double *Mv = c->M;
    for (int q = 0; q < B; q++) {
        const double *f = c->f + (size_t)pl->basic_mu[q] * cap, *U = c->U + (size_t)pl->basic_mono[q] * cap;
        double acc = 0;
#pragma omp simd reduction(+ : acc)
        for (int j = 0; j < n; j++) acc += f[j] * U[j];
        Mv[q] = acc;
    }
    for (int k = B; k < pl->M; k++) Mv[k] = 0;
    for (int t = 0; t < pl->T; t++) Mv[pl->t_k[t]] += pl->t_mult[t] * Mv[pl->t_i[t]] * Mv[pl->t_j[t]];

    if (basis)
        for (int k = 0; k < A; k++) basis[k] = Mv[p->mapping[k]];
    if (!need_grad) return MTP_OK;

    double e = p->species_coeffs[center] + e_rep;
    for (int k = 0; k < A; k++) e += p->moment_coeffs[k] * Mv[p->mapping[k]];
    if (energy) *energy = e;
    if (!d_rij && !d_params) return MTP_OK;

    /* backward: adjoints of the moments */
    double *g = c->g;
    for (int k = 0; k < pl->M; k++) g[k] = 0;
    for (int k = 0; k < A; k++) g[p->mapping[k]] += p->moment_coeffs[k];
    for (int t = pl->T - 1; t >= 0; t--) {
        double gk = g[pl->t_k[t]] * pl->t_mult[t];
        if (gk == 0) continue;
        g[pl->t_i[t]] += gk * Mv[pl->t_j[t]];
        g[pl->t_j[t]] += gk * Mv[pl->t_i[t]];
    }

    /* per-neighbour accumulators S_mu and G_mu */
    memset(c->S, 0, (size_t)K * cap * sizeof(double));
    int want_G = d_rij != NULL;
    if (want_G) {
        memset(c->Gx, 0, (size_t)K * cap * sizeof(double));
        memset(c->Gy, 0, (size_t)K * cap * sizeof(double));
        memset(c->Gz, 0, (size_t)K * cap * sizeof(double));
    }
    for (int q = 0; q < B; q++) {
        double gq = g[q];
        if (gq == 0) continue;
        int mu = pl->basic_mu[q];
        double *Sm = c->S + (size_t)mu * cap;
        const double *U = c->U + (size_t)pl->basic_mono[q] * cap;
        for (int j = 0; j < n; j++) Sm[j] += gq * U[j];
        if (!want_G) continue;
        double *G[3] = {c->Gx + (size_t)mu * cap, c->Gy + (size_t)mu * cap, c->Gz + (size_t)mu * cap};
        for (int a = 0; a < 3; a++) {
            int dm = pl->basic_dmono[q][a];
            if (dm < 0) continue;
            double w = gq * pl->basic_dcoef[q][a];
            const double *Ud = c->U + (size_t)dm * cap;
            double *Ga = G[a];
            for (int j = 0; j < n; j++) Ga[j] += w * Ud[j];
        }
    }

    if (d_rij) {
        for (int j = 0; j < n; j++) {
            double rad = c->rep[j], gx = 0, gy = 0, gz = 0;
            if (c->inside[j]) {
                double ir = 1.0 / c->r[j];
                for (int mu = 0; mu < K; mu++) {
                    size_t o = (size_t)mu * cap + j;
                    rad += c->fp[o] * c->S[o];
                    double w = c->f[o] * ir;
                    gx += w * c->Gx[o];
                    gy += w * c->Gy[o];
                    gz += w * c->Gz[o];
                }
            }
            double ux = c->ux[j], uy = c->uy[j], uz = c->uz[j];
            double ug = ux * gx + uy * gy + uz * gz;
            d_rij[3 * j] = ux * (rad - ug) + gx;
            d_rij[3 * j + 1] = uy * (rad - ug) + gy;
            d_rij[3 * j + 2] = uz * (rad - ug) + gz;
        }
    }

    if (d_params) {
        size_t nr = (size_t)S * S * K * R;
        memset(d_params, 0, (nr + (size_t)S) * sizeof(double));
        for (int j = 0; j < n; j++) {
            if (!c->inside[j]) continue;
            double *blk = d_params + (size_t)(center * S + species[j]) * K * R;
            for (int mu = 0; mu < K; mu++) {
                double s = c->S[(size_t)mu * cap + j];
                for (int b = 0; b < R; b++) blk[mu * R + b] += s * c->Q[b * cap + j];
            }
        }
        d_params[nr + center] = 1.0;
        for (int k = 0; k < A; k++) d_params[nr + S + k] = Mv[p->mapping[k]];
    }
    return MTP_OK;
}

