/* SPDX-License-Identifier: BSD-3-Clause */
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
#include "kernel_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


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
    free(pl->run_k);
    free(pl->run_start);
    free(pl->prod);
    free(pl->mu_start);
    free(pl->g_q);
    free(pl->g_mono);
    free(pl->g_dmono);
    free(pl->g_dcoef);
    free(pl->cl_start);
    free(pl->cl_e2);
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
    pl->mu_start = mtp_calloc((size_t)pl->K + 1, sizeof(int));
    pl->g_q = mtp_calloc(B, sizeof(int));
    pl->g_mono = mtp_calloc(B, sizeof(int));
    pl->g_dmono = mtp_calloc(B, sizeof *pl->g_dmono);
    pl->g_dcoef = mtp_calloc(B, sizeof *pl->g_dcoef);
    if (!pl->mu_start || !pl->g_q || !pl->g_mono || !pl->g_dmono || !pl->g_dcoef) {
        mtp_plan_destroy(pl);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    int at = 0;
    for (int mu = 0; mu < pl->K; mu++) {
        pl->mu_start[mu] = at;
        for (int q = 0; q < pl->B; q++) {
            if (pl->basic_mu[q] != mu) continue;
            pl->g_q[at] = q;
            pl->g_mono[at] = pl->basic_mono[q];
            for (int a = 0; a < 3; a++) {
                /* row n_mono is all zeros: missing derivatives cost no branch */
                pl->g_dmono[at][a] = pl->basic_dmono[q][a] >= 0 ? pl->basic_dmono[q][a] : pl->n_mono;
                pl->g_dcoef[at][a] = pl->basic_dcoef[q][a];
            }
            at++;
        }
    }
    pl->mu_start[pl->K] = at;
    pl->cl_start = mtp_calloc(4 * (size_t)pl->K + 1, sizeof(int));
    pl->cl_e2 = mtp_calloc(4 * B, sizeof(int));
    if (!pl->cl_start || !pl->cl_e2) {
        mtp_plan_destroy(pl);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    int cl = 0;
    for (int mu = 0; mu < pl->K; mu++)
        for (int comp = 0; comp < 4; comp++) {
            pl->cl_start[4 * mu + comp] = cl;
            for (int e2 = pl->mu_start[mu]; e2 < pl->mu_start[mu + 1]; e2++)
                if (comp == 0 || pl->g_dcoef[e2][comp - 1] != 0) pl->cl_e2[cl++] = e2;
        }
    pl->cl_start[4 * pl->K] = cl;
    for (int t = 0; t < pl->T; t++) {
        pl->t_i[t] = p->times[t][0];
        pl->t_j[t] = p->times[t][1];
        pl->t_mult[t] = p->times[t][2];
        pl->t_k[t] = p->times[t][3];
    }
    pl->run_k = mtp_calloc(T + 1, sizeof(int));
    pl->run_start = mtp_calloc(T + 1, sizeof(int));
    pl->prod = mtp_calloc(T, sizeof *pl->prod);
    if (!pl->run_k || !pl->run_start || !pl->prod) {
        mtp_plan_destroy(pl);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    for (int t = 0; t < pl->T; t++) {
        int k = pl->t_k[t];
        /* a new run when the output changes or an entry reads the running output */
        if (pl->n_runs == 0 || pl->run_k[pl->n_runs - 1] != k || pl->t_i[t] == k || pl->t_j[t] == k) {
            pl->run_k[pl->n_runs] = k;
            pl->run_start[pl->n_runs] = t;
            pl->n_runs++;
        }
        pl->prod[t].i = pl->t_i[t];
        pl->prod[t].j = pl->t_j[t];
        pl->prod[t].mult = pl->t_mult[t];
    }
    pl->run_start[pl->n_runs] = pl->T;
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
    size_t M = (size_t)pot->moments_count, B = (size_t)pot->basic_count;
    c->M4 = mtp_aligned_calloc(M * MTP_SITES, sizeof(double));
    c->g4 = mtp_aligned_calloc(M * MTP_SITES, sizeof(double));
    c->gw = mtp_calloc(4 * B, sizeof(double));
    int ok = c->M4 && c->g4 && c->gw;
    for (int s = 0; s < MTP_SITES; s++)
        ok &= (c->ss[s].rows = mtp_calloc(4 * B, sizeof(double *))) != NULL;
    if (!ok) {
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
    for (int s = 0; s < MTP_SITES; s++) {
        free(c->ss[s].block);
        free(c->ss[s].inside);
        free((void *)c->ss[s].rows);
    }
    free(c->M4);
    free(c->g4);
    free(c->gw);
    mtp_nlist_free(&c->nl);
    free(c->species_of_atom);
    free(c->nbh_species);
    free(c->d_rij);
    free(c->centers);
    free(c->energies);
    free(c);
}

void mtp_calculator_set_min_dist_policy(mtp_calculator *c, mtp_min_dist_policy policy) { c->policy = policy; }

mtp_compute_stats mtp_calculator_stats(const mtp_calculator *c) { return c->stats; }


/* Room for n neighbours in one site's scratch. */
static mtp_status reserve(const mtp_plan *pl, mtp_site_scratch *ss, int n, mtp_error *err)
{
    if (n <= ss->cap && ss->block) return MTP_OK;
    /* exactly the padded size: the monomial rows must stay within L1 */
    int cap = (n + LANES - 1) / LANES * LANES;
    if (cap < LANES) cap = LANES;
    size_t rows = 5 + 2 * (size_t)pl->R + 2 * (size_t)pl->K + (size_t)pl->n_mono + 1 + 4 * (size_t)pl->K;
    /* aligned: every row starts on a vector boundary (cap is a multiple of 4) */
    double *blk = mtp_aligned_calloc(rows * (size_t)cap, sizeof(double));
    unsigned char *ins = mtp_calloc((size_t)cap, 1);
    if (!blk || !ins) {
        free(blk);
        free(ins);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %d neighbours", n);
    }
    free(ss->block);
    free(ss->inside);
    ss->block = blk;
    ss->inside = ins;
    ss->cap = cap;
    double *p = blk;
    ss->r = p; p += cap;
    ss->ux = p; p += cap;
    ss->uy = p; p += cap;
    ss->uz = p; p += cap;
    ss->rep = p; p += cap;
    ss->Q = p; p += (size_t)pl->R * cap;
    ss->dQ = p; p += (size_t)pl->R * cap;
    ss->f = p; p += (size_t)pl->K * cap;
    ss->fp = p; p += (size_t)pl->K * cap;
    ss->U = p; p += ((size_t)pl->n_mono + 1) * cap; /* + the zero row */
    ss->S = p; p += (size_t)pl->K * cap;
    ss->Gx = p; p += (size_t)pl->K * cap;
    ss->Gy = p; p += (size_t)pl->K * cap;
    ss->Gz = p;
    for (int e2 = 0; e2 < pl->B; e2++) {
        ss->rows[4 * e2] = ss->U + (size_t)pl->g_mono[e2] * cap;
        for (int a = 0; a < 3; a++) ss->rows[4 * e2 + 1 + a] = ss->U + (size_t)pl->g_dmono[e2][a] * cap;
    }
    return MTP_OK;
}


/* Chebyshev radial basis Q_beta(r) = sigma T_beta(xi) (r - Rc)^2 and dQ/dr,
 * row by row over the (padded) neighbours; neighbours outside the cutoff
 * and padding lanes get Q = dQ = 0.  Returns the repulsive extra energy of
 * RBChebyshev_repuls and stores its radial derivative in ss->rep[j]. */
MTP_HOT
static double radial_basis(const mtp_potential *p, mtp_site_scratch *ss, int np)
{
    const int R = p->radial_basis_size, cap = ss->cap;
    const double rmin = p->min_dist, rc = p->max_dist, sigma = p->scaling;
    const double inv_w = 1.0 / (rc - rmin), dxi = 2.0 * inv_w;
    double e_rep = 0;
    /* scratch rows: xi, (r-Rc), and the inside/clamp masks, in Gx/Gy/Gz/S */
    double *xi = ss->Gx, *d = ss->Gy, *live = ss->Gz, *dlive = ss->S;
    for (int j = 0; j < np; j++) {
        double r = ss->r[j];
        ss->rep[j] = 0;
        live[j] = ss->inside[j] ? 1.0 : 0.0;
        dlive[j] = live[j];
        if (p->radial_type == MTP_RADIAL_CHEBYSHEV_REPULSIVE && ss->inside[j] && r < rmin) {
            e_rep += 1e4 * (exp(-10.0 * (r - 1.0)) - exp(-10.0 * (rmin - 1.0)));
            ss->rep[j] = -1e5 * exp(-10.0 * (r - 1.0));
            r = rmin;
            dlive[j] = 0; /* the basis is constant below min_dist */
        }
        xi[j] = (2.0 * r - (rmin + rc)) * inv_w;
        d[j] = r - rc;
    }
    double *Q0 = ss->Q, *dQ0 = ss->dQ;
    /* T and dT/dxi are built in the Q/dQ rows, then scaled in place */
    for (int j = 0; j < np; j++) {
        Q0[j] = 1.0;
        dQ0[j] = 0.0;
    }
    if (R > 1)
        for (int j = 0; j < np; j++) {
            ss->Q[cap + j] = xi[j];
            ss->dQ[cap + j] = 1.0;
        }
    const v4d two = {2, 2, 2, 2};
    for (int b = 2; b < R; b++) {
        double *T = ss->Q + (size_t)b * cap, *T1 = T - cap, *T2 = T - 2 * cap;
        double *D = ss->dQ + (size_t)b * cap, *D1 = D - cap, *D2 = D - 2 * cap;
        for (int j = 0; j < np; j += 4) {
            v4d x = v4_load(xi + j), t1 = v4_load(T1 + j);
            v4_store(T + j, two * x * t1 - v4_load(T2 + j));
            v4_store(D + j, two * t1 + two * x * v4_load(D1 + j) - v4_load(D2 + j));
        }
    }
    for (int b = 0; b < R; b++) {
        double *T = ss->Q + (size_t)b * cap, *D = ss->dQ + (size_t)b * cap;
        for (int j = 0; j < np; j += 4) {
            v4d dd = v4_load(d + j), d2 = dd * dd, t = v4_load(T + j);
            v4d q = sigma * t * d2, dq = sigma * (v4_load(D + j) * dxi * d2 + two * t * dd);
            v4_store(T + j, v4_load(live + j) * q);
            v4_store(D + j, v4_load(dlive + j) * dq);
        }
    }
    return e_rep;
}

/* Stage 1, per site: geometry, radial functions, monomials and the basic
 * moments, written to lane `lane` of c->M4. */
MTP_HOT
mtp_status mtp_kernel_site_forward(mtp_calculator *c, int lane, int center, int n, const int *species,
                                   const double *rij, mtp_error *err)
{
    const mtp_potential *p = c->pot;
    const mtp_plan *pl = p->plan;
    mtp_site_scratch *ss = &c->ss[lane];
    const int S = p->species_count, K = pl->K, R = pl->R, B = pl->B;
    if (center < 0 || center >= S)
        return mtp_fail(err, MTP_ERR_SPECIES, "central species index %d out of range 0..%d", center, S - 1);
    if (n < 0) return mtp_fail(err, MTP_ERR_INVALID, "negative neighbour count");
    mtp_status st = reserve(pl, ss, n, err);
    if (st) return st;
    const int cap = ss->cap, np = (n + LANES - 1) / LANES * LANES;
    const double rc = p->max_dist;

    /* geometry; padding lanes are inert neighbours outside the cutoff */
    int one_species = 1;
    for (int j = 0; j < n; j++) {
        if (species[j] < 0 || species[j] >= S)
            return mtp_fail(err, MTP_ERR_SPECIES, "neighbour %d: species index %d out of range 0..%d", j,
                            species[j], S - 1);
        one_species &= species[j] == species[0];
        double x = rij[3 * j], y = rij[3 * j + 1], z = rij[3 * j + 2];
        double r2 = x * x + y * y + z * z;
        if (!isfinite(r2)) return mtp_fail(err, MTP_ERR_GEOMETRY, "neighbour %d: non-finite position", j);
        if (r2 == 0) return mtp_fail(err, MTP_ERR_GEOMETRY, "neighbour %d coincides with the central atom", j);
        double r = sqrt(r2), ir = 1.0 / r;
        ss->inside[j] = r < rc;
        ss->r[j] = r;
        ss->ux[j] = x * ir;
        ss->uy[j] = y * ir;
        ss->uz[j] = z * ir;
    }
    for (int j = n; j < np; j++) {
        ss->inside[j] = 0;
        ss->r[j] = rc;
        ss->ux[j] = ss->uy[j] = ss->uz[j] = 0;
    }
    ss->e_rep = radial_basis(p, ss, np);

    /* radial functions f_mu(r) = sum_beta c[s_i][s_j][mu][beta] Q_beta */
    for (int mu = 0; mu < K; mu++) {
        double *f = ss->f + (size_t)mu * cap, *fp = ss->fp + (size_t)mu * cap;
        for (int j = 0; j < np; j++) f[j] = fp[j] = 0;
        if (one_species && n > 0) {
            const double *cc = p->radial_coeffs + ((size_t)(center * S + species[0]) * K + mu) * R;
            for (int b = 0; b < R; b++) {
                const double w = cc[b], *Q = ss->Q + (size_t)b * cap, *dQ = ss->dQ + (size_t)b * cap;
                for (int j = 0; j < np; j++) {
                    f[j] += w * Q[j];
                    fp[j] += w * dQ[j];
                }
            }
        } else {
            for (int j = 0; j < n; j++) {
                const double *cc = p->radial_coeffs + ((size_t)(center * S + species[j]) * K + mu) * R;
                double v = 0, dv = 0;
                for (int b = 0; b < R; b++) {
                    v += cc[b] * ss->Q[(size_t)b * cap + j];
                    dv += cc[b] * ss->dQ[(size_t)b * cap + j];
                }
                f[j] = v;
                fp[j] = dv;
            }
        }
    }

    /* monomials of u, and the zero row */
    {
        double *U0 = ss->U;
        for (int j = 0; j < np; j++) U0[j] = 1.0;
        const double *axis[3] = {ss->ux, ss->uy, ss->uz};
        for (int m = 1; m < pl->n_mono; m++) {
            const double *par = ss->U + (size_t)pl->mono_parent[m] * cap, *ax = axis[pl->mono_axis[m]];
            double *Um = ss->U + (size_t)m * cap;
            for (int j = 0; j < np; j += 4) v4_store(Um + j, v4_load(par + j) * v4_load(ax + j));
        }
        double *Z = ss->U + (size_t)pl->n_mono * cap;
        for (int j = 0; j < np; j++) Z[j] = 0;
    }

    /* basic moments M_q = sum_j f_mu(r_j) u_j^(a,b,c) */
    double *M4 = c->M4;
    for (int q = 0; q < B; q++) {
        const double *f = ss->f + (size_t)pl->basic_mu[q] * cap, *U = ss->U + (size_t)pl->basic_mono[q] * cap;
        v4d a0 = {0, 0, 0, 0}, a1 = {0, 0, 0, 0}; /* two chains hide the FMA latency */
        int jb = 0;
        for (; jb + 8 <= np; jb += 8) {
            a0 += v4_load(f + jb) * v4_load(U + jb);
            a1 += v4_load(f + jb + 4) * v4_load(U + jb + 4);
        }
        if (jb < np) a0 += v4_load(f + jb) * v4_load(U + jb);
        M4[(size_t)q * MTP_SITES + lane] = v4_sum(a0 + a1);
    }
    return MTP_OK;
}

/* Stage 2, all sites at once: products in file order (forward) and, if
 * `adjoint`, the adjoints g = dV/dM of every moment (reverse order). */
MTP_HOT
static void moments(mtp_calculator *c, int adjoint)
{
    const mtp_potential *p = c->pot;
    const mtp_plan *pl = p->plan;
    double *M4 = c->M4, *g4 = c->g4;
    for (int k = pl->B; k < pl->M; k++) v4_store(M4 + (size_t)k * MTP_SITES, (v4d){0, 0, 0, 0});
    for (int r = 0; r < pl->n_runs; r++) {
        double *out = M4 + (size_t)pl->run_k[r] * MTP_SITES;
        v4d acc = v4_load(out);
        for (int t = pl->run_start[r]; t < pl->run_start[r + 1]; t++)
            acc += pl->prod[t].mult * v4_load(M4 + (size_t)pl->prod[t].i * MTP_SITES) *
                   v4_load(M4 + (size_t)pl->prod[t].j * MTP_SITES);
        v4_store(out, acc);
    }
    if (!adjoint) return;
    memset(g4, 0, (size_t)pl->M * MTP_SITES * sizeof(double));
    for (int k = 0; k < pl->A; k++) {
        double *gk = g4 + (size_t)p->mapping[k] * MTP_SITES;
        v4_store(gk, v4_load(gk) + p->moment_coeffs[k]);
    }
    for (int r = pl->n_runs - 1; r >= 0; r--) {
        const v4d gk = v4_load(g4 + (size_t)pl->run_k[r] * MTP_SITES);
        for (int t = pl->run_start[r + 1] - 1; t >= pl->run_start[r]; t--) {
            const v4d w = gk * pl->prod[t].mult;
            double *gi = g4 + (size_t)pl->prod[t].i * MTP_SITES, *gj = g4 + (size_t)pl->prod[t].j * MTP_SITES;
            const v4d mi = v4_load(M4 + (size_t)pl->prod[t].i * MTP_SITES);
            const v4d mj = v4_load(M4 + (size_t)pl->prod[t].j * MTP_SITES);
            v4_store(gi, v4_load(gi) + w * mj);
            v4_store(gj, v4_load(gj) + w * mi);
        }
    }
}

/* Site energy of lane `lane` (after stage 2). */
static double site_energy(const mtp_calculator *c, int lane, int center)
{
    const mtp_potential *p = c->pot;
    double e = p->species_coeffs[center] + c->ss[lane].e_rep;
    for (int k = 0; k < p->scalar_count; k++) e += p->moment_coeffs[k] * c->M4[(size_t)p->mapping[k] * MTP_SITES + lane];
    return e;
}

MTP_HOT
void mtp_kernel_site_accumulate(mtp_calculator *c, int lane, int n, int with_grad)
{
    const mtp_potential *p = c->pot;
    const mtp_plan *pl = p->plan;
    mtp_site_scratch *ss = &c->ss[lane];
    const int K = pl->K, cap = ss->cap, np = (n + LANES - 1) / LANES * LANES, ncomp = with_grad ? 4 : 1;
    const double *g4 = c->g4;

    /* per-neighbour accumulators S_mu = sum g U and G_mu = sum g grad U */
    for (int mu = 0; mu < K; mu++) {
        double *restrict Sm = ss->S + (size_t)mu * cap, *restrict Gx = ss->Gx + (size_t)mu * cap,
                         *restrict Gy = ss->Gy + (size_t)mu * cap, *restrict Gz = ss->Gz + (size_t)mu * cap;
        const int q0 = pl->mu_start[mu], q1 = pl->mu_start[mu + 1];
        for (int e2 = q0; e2 < q1; e2++) { /* weights of this radial function's basics */
            const double gq = g4[(size_t)pl->g_q[e2] * MTP_SITES + lane];
            c->gw[4 * e2] = gq;
            c->gw[4 * e2 + 1] = gq * pl->g_dcoef[e2][0];
            c->gw[4 * e2 + 2] = gq * pl->g_dcoef[e2][1];
            c->gw[4 * e2 + 3] = gq * pl->g_dcoef[e2][2];
        }
        /* row-wise AXPYs over the neighbours, four basics per pass: measured
         * faster here than keeping neighbour blocks in registers */
        memset(Sm, 0, (size_t)np * sizeof(double));
        if (with_grad) {
            memset(Gx, 0, (size_t)np * sizeof(double));
            memset(Gy, 0, (size_t)np * sizeof(double));
            memset(Gz, 0, (size_t)np * sizeof(double));
        }
        for (int comp = 0; comp < ncomp; comp++) {
            double *restrict acc = comp == 0 ? Sm : comp == 1 ? Gx : comp == 2 ? Gy : Gz;
            const int *e = pl->cl_e2 + pl->cl_start[4 * mu + comp], ne = pl->cl_start[4 * mu + comp + 1] - pl->cl_start[4 * mu + comp];
            int t = 0;
            for (; t + 4 <= ne; t += 4) {
                const double w0 = c->gw[4 * e[t] + comp], w1 = c->gw[4 * e[t + 1] + comp];
                const double w2 = c->gw[4 * e[t + 2] + comp], w3 = c->gw[4 * e[t + 3] + comp];
                const double *restrict U0 = ss->rows[4 * e[t] + comp], *restrict U1 = ss->rows[4 * e[t + 1] + comp];
                const double *restrict U2 = ss->rows[4 * e[t + 2] + comp], *restrict U3 = ss->rows[4 * e[t + 3] + comp];
                for (int j = 0; j < np; j++) acc[j] += (w0 * U0[j] + w1 * U1[j]) + (w2 * U2[j] + w3 * U3[j]);
            }
            for (; t < ne; t++) {
                const double w = c->gw[4 * e[t] + comp];
                const double *restrict U = ss->rows[4 * e[t] + comp];
                for (int j = 0; j < np; j++) acc[j] += w * U[j];
            }
        }
    }
}

/* Stage 3, per site: dV/dr_ij and dV/dtheta from the adjoints of lane `lane`. */
MTP_HOT
static void site_backward(mtp_calculator *c, int lane, int center, int n, const int *species, double *d_rij,
                          double *d_params)
{
    const mtp_potential *p = c->pot;
    const mtp_plan *pl = p->plan;
    mtp_site_scratch *ss = &c->ss[lane];
    const int S = p->species_count, K = pl->K, R = pl->R, cap = ss->cap;

    mtp_kernel_site_accumulate(c, lane, n, d_rij != NULL);
    if (d_rij) {
        for (int j = 0; j < n; j++) {
            double rad = ss->rep[j], gx = 0, gy = 0, gz = 0;
            if (ss->inside[j]) {
                double ir = 1.0 / ss->r[j];
                for (int mu = 0; mu < K; mu++) {
                    size_t o = (size_t)mu * cap + j;
                    rad += ss->fp[o] * ss->S[o];
                    double w = ss->f[o] * ir;
                    gx += w * ss->Gx[o];
                    gy += w * ss->Gy[o];
                    gz += w * ss->Gz[o];
                }
            }
            double ux = ss->ux[j], uy = ss->uy[j], uz = ss->uz[j];
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
            if (!ss->inside[j]) continue;
            double *blk = d_params + (size_t)(center * S + species[j]) * K * R;
            for (int mu = 0; mu < K; mu++) {
                double sv = ss->S[(size_t)mu * cap + j];
                for (int b = 0; b < R; b++) blk[mu * R + b] += sv * ss->Q[(size_t)b * cap + j];
            }
        }
        d_params[nr + center] = 1.0;
        for (int k = 0; k < p->scalar_count; k++)
            d_params[nr + S + k] = c->M4[(size_t)p->mapping[k] * MTP_SITES + lane];
    }
}

static mtp_status check_trained(const mtp_potential *p, int need_grad, mtp_error *err)
{
    if (!p->radial_coeffs || (need_grad && !p->trained))
        return mtp_fail(err, MTP_ERR_UNTRAINED, "the potential has no coefficients (train it first)");
    return MTP_OK;
}

mtp_status mtp_site_eval(mtp_calculator *c, int center, int n, const int *species, const double *rij,
                         double *energy, double *d_rij, double *basis, double *d_params, mtp_error *err)
{
    const mtp_potential *p = c->pot;
    int need_grad = energy || d_rij || d_params;
    mtp_status st = check_trained(p, need_grad, err);
    if (st) return st;
    for (int q = 0; q < p->basic_count; q++) /* idle lanes hold zeros */
        for (int l = 1; l < MTP_SITES; l++) c->M4[(size_t)q * MTP_SITES + l] = 0;
    st = mtp_kernel_site_forward(c, 0, center, n, species, rij, err);
    if (st) return st;
    moments(c, d_rij || d_params);
    if (basis)
        for (int k = 0; k < p->scalar_count; k++) basis[k] = c->M4[(size_t)p->mapping[k] * MTP_SITES];
    if (!need_grad) return MTP_OK;
    if (energy) *energy = site_energy(c, 0, center);
    if (d_rij || d_params) site_backward(c, 0, center, n, species, d_rij, d_params);
    return MTP_OK;
}

mtp_status mtp_sites_eval(mtp_calculator *c, int n_sites, const int *center, const long *offset,
                              const int *species, const double *rij, double *energy, double *d_rij,
                              double *d_params, mtp_error *err)
{
    mtp_status st = check_trained(c->pot, 1, err);
    if (st) return st;
    const size_t P = (size_t)mtp_potential_param_count(c->pot);
    for (int s0 = 0; s0 < n_sites; s0 += MTP_SITES) {
        int m = n_sites - s0 < MTP_SITES ? n_sites - s0 : MTP_SITES;
        if (m < MTP_SITES) /* idle lanes must hold finite values */
            for (size_t k = 0; k < (size_t)c->pot->basic_count * MTP_SITES; k++) c->M4[k] = 0;
        for (int l = 0; l < m; l++) {
            int s = s0 + l;
            long o = offset[s];
            st = mtp_kernel_site_forward(c, l, center[s], (int)(offset[s + 1] - o), species + o, rij + 3 * o, err);
            if (st) {
                if (err) {
                    char msg[MTP_ERROR_MESSAGE_SIZE];
                    memcpy(msg, err->message, sizeof msg);
                    mtp_fail(err, st, "site %d: %s", s + 1, msg);
                }
                return st;
            }
        }
        moments(c, d_rij || d_params);
        for (int l = 0; l < m; l++) {
            int s = s0 + l;
            if (energy) energy[s] = site_energy(c, l, center[s]);
            if (d_rij || d_params) {
                /* the same backward pass as mtp_site_eval's, so the rows are bit-identical */
                long o = offset[s];
                site_backward(c, l, center[s], (int)(offset[s + 1] - o), species + o, d_rij ? d_rij + 3 * o : NULL,
                              d_params ? d_params + (size_t)s * P : NULL);
            }
        }
    }
    return MTP_OK;
}
