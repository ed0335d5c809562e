/* SPDX-License-Identifier: BSD-3-Clause */
/* Parameter derivatives of energies, forces and virials (for fitting).
 *
 * A plain scalar implementation of the MTP site model that, besides the
 * energy, the neighbour derivatives D_j = dV/dr_j and the parameter
 * gradient dV/dtheta (all identical to the kernel's), propagates one
 * tangent direction v over the neighbour vectors through the forward
 * moments and through the reverse (adjoint) pass ("forward over
 * reverse").  This gives the exact mixed second derivative
 *     d/dtheta ( sum_j v_j . dV/dr_j ) = d/deps dV/dtheta (r + eps v),
 * which is the product of the transposed force/virial Jacobian with an
 * arbitrary weight vector: one such pass per site yields the gradient
 * of any least-squares loss on forces and stresses.  A second routine
 * gives dB_k/dr_j for all scalar basis functions at once (forward mode
 * over the 3n neighbour coordinates), i.e. the exact design rows of the
 * linear parameters for forces and virials. */
#include "internal.h"
#include "kernel_internal.h" /* the plan: products grouped in runs */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Rows of the forward-mode moments are padded to a multiple of JAC_XB
 * doubles (one AVX-512 vector, 64 bytes) and 64-byte aligned. */
#define JAC_XB 8

struct mtp_param_deriv {
    const mtp_potential *pot;
    int S, K, R, B, M, T, A, P, numax;
    int cap;
    double *blk;
    double *r, *u, *dr, *du, *Q, *dQ, *f, *fp, *U, *gU, *pw, *dMr, *rep;
    void *dMr_raw;
    unsigned char *inside;
    double *Mv, *dM, *g, *dg;
    /* configuration scratch */
    mtp_nlist nl;
    int *sp_atom, *nb_sp;
    double *v, *dp, *dpd, *dB;
    long atoms_cap, nb_cap;
    int simd; /* AVX2+FMA versions of the hot loops */
    double *kbuf; /* [5K] */
    mtp_batched_grad *bg; /* the loss gradient on the kernel's stages (param_grad.c) */
    double *tw;           /* [2T] mult * M_j, mult * M_i of every product of one site */
    int reference_rows;   /* design rows by forward() and products one entry at a time (tests) */
    mtp_calculator *kc;   /* the kernel's forward stage for the design rows */
    double *fr;           /* [K][kc cap] f_mu / r of one site */
    long fr_cap;
    /* design rows without clearing all moment rows of every site (a tenth
     * of the design rows' memory traffic at level 20): a run whose output
     * no earlier run writes, and none of whose products reads it, starts
     * its registers from zero instead of loading the row; the rows no such
     * run covers are cleared per site */
    unsigned char *run_zero; /* [n_runs] */
    int *zero_rows, n_zero_rows;
};

/* run_zero / zero_rows from the plan (see the struct); -1: out of memory. */
static int plan_zero_starts(mtp_param_deriv *pd)
{
    const mtp_plan *pl = pd->pot->plan;
    unsigned char *seen = mtp_calloc((size_t)(pd->M > 0 ? pd->M : 1), 1);
    pd->run_zero = mtp_calloc((size_t)(pl->n_runs > 0 ? pl->n_runs : 1), 1);
    pd->zero_rows = mtp_calloc((size_t)(pd->M > 0 ? pd->M : 1), sizeof(int));
    if (!seen || !pd->run_zero || !pd->zero_rows) {
        free(seen);
        return -1;
    }
    for (int q = 0; q < pd->B && q < pd->M; q++) seen[q] = 1; /* basic rows: written first */
    for (int r = 0; r < pl->n_runs; r++) {
        const int k = pl->run_k[r];
        int reads_k = 0;
        for (int t = pl->run_start[r]; t < pl->run_start[r + 1]; t++)
            if (pl->prod[t].i == k || pl->prod[t].j == k) reads_k = 1;
        if (!seen[k]) {
            if (reads_k) pd->zero_rows[pd->n_zero_rows++] = k;
            else pd->run_zero[r] = 1;
            seen[k] = 1;
        }
    }
    for (int k = pd->B; k < pd->M; k++)
        if (!seen[k]) pd->zero_rows[pd->n_zero_rows++] = k;
    free(seen);
    return 0;
}

mtp_status mtp_param_deriv_create(const mtp_potential *pot, mtp_param_deriv **out, mtp_error *err)
{
    *out = NULL;
    if (!pot || pot->species_count < 1 || !pot->plan)
        return mtp_fail(err, MTP_ERR_INVALID, "potential without species or basis");
    mtp_param_deriv *pd = mtp_calloc(1, sizeof *pd);
    if (!pd) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    pd->pot = pot;
    pd->S = pot->species_count;
    pd->K = pot->radial_funcs_count;
    pd->R = pot->radial_basis_size;
    pd->B = pot->basic_count;
    pd->M = pot->moments_count;
    pd->T = pot->times_count;
    pd->A = pot->scalar_count;
    pd->P = mtp_potential_param_count(pot);
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(OPENMTP_NO_CLONES)
    __builtin_cpu_init();
    pd->simd = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    for (int q = 0; q < pd->B; q++) {
        int nu = pot->basic[q][1] + pot->basic[q][2] + pot->basic[q][3];
        if (nu > pd->numax) pd->numax = nu;
    }
    pd->Mv = mtp_calloc((size_t)pd->M, sizeof(double));
    pd->dM = mtp_calloc((size_t)pd->M, sizeof(double));
    pd->g = mtp_calloc((size_t)pd->M, sizeof(double));
    pd->dg = mtp_calloc((size_t)pd->M, sizeof(double));
    pd->dp = mtp_calloc((size_t)pd->P, sizeof(double));
    pd->dpd = mtp_calloc((size_t)pd->P, sizeof(double));
    pd->kbuf = mtp_calloc((size_t)5 * (pd->K > 0 ? pd->K : 1), sizeof(double));
    pd->tw = mtp_calloc((size_t)2 * (pd->T > 0 ? pd->T : 1), sizeof(double));
    if (plan_zero_starts(pd) || !pd->kbuf || !pd->tw || !pd->Mv || !pd->dM || !pd->g || !pd->dg || !pd->dp || !pd->dpd) {
        mtp_param_deriv_destroy(pd);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    mtp_nlist_init(&pd->nl);
    mtp_status st = mtp_batched_grad_create(pot, &pd->bg, err);
    if (!st) st = mtp_calculator_create(pot, &pd->kc, err);
    if (st) {
        mtp_param_deriv_destroy(pd);
        return st;
    }
    *out = pd;
    return MTP_OK;
}

void mtp_param_deriv_set_reference_rows(mtp_param_deriv *pd, int on) { pd->reference_rows = on; }

void mtp_param_deriv_destroy(mtp_param_deriv *pd)
{
    if (!pd) return;
    free(pd->blk);
    free(pd->inside);
    free(pd->Mv);
    free(pd->dM);
    free(pd->g);
    free(pd->dg);
    free(pd->dp);
    free(pd->dpd);
    free(pd->kbuf);
    free(pd->tw);
    free(pd->dMr_raw);
    mtp_nlist_free(&pd->nl);
    free(pd->sp_atom);
    free(pd->nb_sp);
    free(pd->v);
    free(pd->dB);
    mtp_batched_grad_destroy(pd->bg);
    mtp_calculator_destroy(pd->kc);
    free(pd->fr);
    free(pd->run_zero);
    free(pd->zero_rows);
    free(pd);
}

static mtp_status reserve(mtp_param_deriv *pd, int n, int want_dMr, mtp_error *err)
{
    if (n > pd->cap) {
        int cap = pd->cap ? pd->cap : 32;
        while (cap < n) cap *= 2;
        size_t c = (size_t)cap, R = (size_t)pd->R, K = (size_t)pd->K, B = (size_t)pd->B;
        size_t per = 1 + 3 + 1 + 3 + 2 * R + 2 * K + B + 3 * B + 3 * ((size_t)pd->numax + 1) + 1;
        double *blk = mtp_calloc(per * c, sizeof(double));
        unsigned char *ins = mtp_calloc(c, 1);
        if (!blk || !ins) {
            free(blk);
            free(ins);
            return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %d neighbours", n);
        }
        free(pd->blk);
        free(pd->inside);
        free(pd->dMr_raw);
        pd->dMr_raw = NULL;
        pd->dMr = NULL;
        pd->blk = blk;
        pd->inside = ins;
        pd->cap = cap;
        double *p = blk;
        pd->r = p; p += c;
        pd->u = p; p += 3 * c;
        pd->dr = p; p += c;
        pd->du = p; p += 3 * c;
        pd->Q = p; p += R * c;
        pd->dQ = p; p += R * c;
        pd->f = p; p += K * c;
        pd->fp = p; p += K * c;
        pd->U = p; p += B * c;
        pd->gU = p; p += 3 * B * c;
        pd->pw = p; p += 3 * ((size_t)pd->numax + 1) * c;
        pd->rep = p;
    }
    if (want_dMr && !pd->dMr) {
        /* rows of dmr_stride(cap) doubles, 64-byte aligned */
        pd->dMr_raw = mtp_calloc((size_t)pd->M * (3 * (size_t)pd->cap + JAC_XB) + 8, sizeof(double));
        if (!pd->dMr_raw) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        pd->dMr = (double *)(((uintptr_t)pd->dMr_raw + 63) & ~(uintptr_t)63);
    }
    return MTP_OK;
}

/* Geometry, radial functions, monomials and the forward moments. */
static mtp_status forward(mtp_param_deriv *pd, int center, int n, const int *species, const double *rij,
                          double *e_rep_out, mtp_error *err)
{
    const mtp_potential *p = pd->pot;
    const int S = pd->S, K = pd->K, R = pd->R, B = pd->B, np1 = pd->numax + 1;
    if (!p->radial_coeffs) return mtp_fail(err, MTP_ERR_UNTRAINED, "the potential has no coefficients");
    if (center < 0 || center >= S)
        return mtp_fail(err, MTP_ERR_SPECIES, "central species index %d out of range 0..%d", center, S - 1);
    if (n < 0) return mtp_fail(err, MTP_ERR_INVALID, "negative neighbour count");
    const double rmin = p->min_dist, rc = p->max_dist, sigma = p->scaling;
    const double inv_w = 1.0 / (rc - rmin), dxi = 2.0 * inv_w;
    double e_rep = 0, *Mv = pd->Mv;
    for (int k = 0; k < pd->M; k++) Mv[k] = 0;
    for (int j = 0; j < n; j++) {
        if (species[j] < 0 || species[j] >= S)
            return mtp_fail(err, MTP_ERR_SPECIES, "neighbour %d: species index %d out of range 0..%d", j,
                            species[j], S - 1);
        const double *x = rij + 3 * j;
        double r2 = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
        if (!isfinite(r2)) return mtp_fail(err, MTP_ERR_GEOMETRY, "neighbour %d: non-finite position", j);
        if (r2 == 0) return mtp_fail(err, MTP_ERR_GEOMETRY, "neighbour %d coincides with the central atom", j);
        double r = sqrt(r2);
        pd->r[j] = r;
        for (int a = 0; a < 3; a++) pd->u[3 * j + a] = x[a] / r;
        pd->inside[j] = r < rc;
        pd->rep[j] = 0;
        double *Q = pd->Q + (size_t)j * R, *dQ = pd->dQ + (size_t)j * R;
        if (!pd->inside[j]) {
            memset(Q, 0, (size_t)R * sizeof(double));
            memset(dQ, 0, (size_t)R * sizeof(double));
        } else {
            double live = 1.0, rr = r;
            if (p->radial_type == MTP_RADIAL_CHEBYSHEV_REPULSIVE && r < rmin) {
                e_rep += 1e4 * (exp(-10.0 * (r - 1.0)) - exp(-10.0 * (rmin - 1.0)));
                pd->rep[j] = -1e5 * exp(-10.0 * (r - 1.0));
                rr = rmin;
                live = 0.0;
            }
            double xi = (2.0 * rr - (rmin + rc)) * inv_w, d = rr - rc;
            double t0 = 1, t1 = xi, d0 = 0, d1 = 1;
            for (int b = 0; b < R; b++) {
                double t, dt;
                if (b == 0) t = t0, dt = d0;
                else if (b == 1) t = t1, dt = d1;
                else {
                    t = 2 * xi * t1 - t0;
                    dt = 2 * t1 + 2 * xi * d1 - d0;
                    t0 = t1, t1 = t, d0 = d1, d1 = dt;
                }
                Q[b] = sigma * t * d * d;
                dQ[b] = live * sigma * (dt * dxi * d * d + 2.0 * t * d);
            }
        }
        const double *cc = p->radial_coeffs + (size_t)(center * S + species[j]) * K * R;
        for (int mu = 0; mu < K; mu++) {
            double v = 0, dv = 0;
            for (int b = 0; b < R; b++) {
                v += cc[mu * R + b] * Q[b];
                dv += cc[mu * R + b] * dQ[b];
            }
            pd->f[(size_t)j * K + mu] = v;
            pd->fp[(size_t)j * K + mu] = dv;
        }
        double *pw = pd->pw + (size_t)j * 3 * np1;
        for (int a = 0; a < 3; a++) {
            pw[a * np1] = 1.0;
            for (int k = 1; k < np1; k++) pw[a * np1 + k] = pw[a * np1 + k - 1] * pd->u[3 * j + a];
        }
        for (int q = 0; q < B; q++) {
            const int e[3] = {p->basic[q][1], p->basic[q][2], p->basic[q][3]};
            double px = pw[e[0]], py = pw[np1 + e[1]], pz = pw[2 * np1 + e[2]];
            double *gU = pd->gU + ((size_t)j * B + q) * 3;
            pd->U[(size_t)j * B + q] = px * py * pz;
            gU[0] = e[0] ? e[0] * pw[e[0] - 1] * py * pz : 0.0;
            gU[1] = e[1] ? e[1] * px * pw[np1 + e[1] - 1] * pz : 0.0;
            gU[2] = e[2] ? e[2] * px * py * pw[2 * np1 + e[2] - 1] : 0.0;
        }
        if (pd->inside[j]) {
            const double *fj = pd->f + (size_t)j * K, *Uj = pd->U + (size_t)j * B;
            for (int q = 0; q < B; q++) Mv[q] += fj[p->basic[q][0]] * Uj[q];
        }
    }
    for (int t = 0; t < pd->T; t++) {
        const int *tt = p->times[t];
        Mv[tt[3]] += tt[2] * Mv[tt[0]] * Mv[tt[1]];
    }
    *e_rep_out = e_rep;
    return MTP_OK;
}

mtp_status mtp_site_param_jvp(mtp_param_deriv *pd, int center, int n, const int *species, const double *rij,
                              const double *v, double *energy, double *d_rij, double *d_params,
                              double *d_params_dir, mtp_error *err)
{
    const mtp_potential *p = pd->pot;
    const int S = pd->S, K = pd->K, R = pd->R, B = pd->B, A = pd->A;
    mtp_status st = reserve(pd, n, 0, err);
    if (st) return st;
    double e_rep;
    st = forward(pd, center, n, species, rij, &e_rep, err);
    if (st) return st;
    if (!p->trained || !p->moment_coeffs || !p->species_coeffs)
        return mtp_fail(err, MTP_ERR_UNTRAINED, "the potential has no coefficients (train it first)");
    double *Mv = pd->Mv, *dM = pd->dM, *g = pd->g, *dg = pd->dg;
    if (energy) {
        double e = p->species_coeffs[center] + e_rep;
        for (int k = 0; k < A; k++) e += p->moment_coeffs[k] * Mv[p->mapping[k]];
        *energy = e;
    }
    const int want_dir = v && d_params_dir;
    /* tangent of the forward pass */
    for (int k = 0; k < pd->M; k++) dM[k] = 0;
    if (want_dir) {
        for (int j = 0; j < n; j++) {
            const double *u = pd->u + 3 * j, *vj = v + 3 * j;
            double drj = u[0] * vj[0] + u[1] * vj[1] + u[2] * vj[2];
            pd->dr[j] = drj;
            for (int a = 0; a < 3; a++) pd->du[3 * j + a] = (vj[a] - u[a] * drj) / pd->r[j];
            if (!pd->inside[j]) continue;
            const double *du = pd->du + 3 * j, *fj = pd->f + (size_t)j * K, *fpj = pd->fp + (size_t)j * K;
            const double *Uj = pd->U + (size_t)j * B, *gUj = pd->gU + (size_t)j * B * 3;
            for (int q = 0; q < B; q++) {
                const int mu = p->basic[q][0];
                const double *gU = gUj + 3 * q;
                dM[q] += fpj[mu] * drj * Uj[q] + fj[mu] * (gU[0] * du[0] + gU[1] * du[1] + gU[2] * du[2]);
            }
        }
        for (int t = 0; t < pd->T; t++) {
            const int *tt = p->times[t];
            dM[tt[3]] += tt[2] * (dM[tt[0]] * Mv[tt[1]] + Mv[tt[0]] * dM[tt[1]]);
        }
    }
    /* adjoints and their tangents */
    for (int k = 0; k < pd->M; k++) g[k] = dg[k] = 0;
    for (int k = 0; k < A; k++) g[p->mapping[k]] += p->moment_coeffs[k];
    for (int t = pd->T - 1; t >= 0; t--) {
        const int *tt = p->times[t];
        const int i = tt[0], j = tt[1], k = tt[3];
        const double w = tt[2] * g[k], dw = tt[2] * dg[k];
        g[i] += w * Mv[j];
        g[j] += w * Mv[i];
        if (want_dir) {
            dg[i] += dw * Mv[j] + w * dM[j];
            dg[j] += dw * Mv[i] + w * dM[i];
        }
    }
    const size_t nr = (size_t)S * S * K * R;
    if (d_params) memset(d_params, 0, (size_t)pd->P * sizeof(double));
    if (d_params_dir) memset(d_params_dir, 0, (size_t)pd->P * sizeof(double));
    for (int j = 0; j < n; j++) {
        double *D = d_rij ? d_rij + 3 * j : NULL;
        if (D) {
            const double *u = pd->u + 3 * j;
            for (int a = 0; a < 3; a++) D[a] = pd->rep[j] * u[a];
        }
        if (!pd->inside[j]) continue;
        const double *u = pd->u + 3 * j, *du = want_dir ? pd->du + 3 * j : NULL;
        const double ir = 1.0 / pd->r[j];
        const size_t blk = (size_t)(center * S + species[j]) * K * R;
        const double *Q = pd->Q + (size_t)j * R, *dQ = pd->dQ + (size_t)j * R;
        /* per radial function: Sm = sum_q g_q U_q, G = sum_q g_q grad U_q,
         * dSm (tangent); one pass over the basic moments */
        double *SmK = pd->kbuf, *dSmK = SmK + K, *GK = dSmK + K;
        memset(SmK, 0, (size_t)5 * K * sizeof(double));
        for (int q = 0; q < B; q++) {
            const int mu = p->basic[q][0];
            const double Uq = pd->U[(size_t)j * B + q];
            const double *gU = pd->gU + ((size_t)j * B + q) * 3;
            SmK[mu] += g[q] * Uq;
            for (int a = 0; a < 3; a++) GK[3 * mu + a] += g[q] * gU[a];
            if (want_dir) dSmK[mu] += dg[q] * Uq + g[q] * (gU[0] * du[0] + gU[1] * du[1] + gU[2] * du[2]);
        }
        for (int mu = 0; mu < K; mu++) {
            const double Sm = SmK[mu], dSm = dSmK[mu], *G = GK + 3 * mu;
            const double fv = pd->f[(size_t)j * K + mu], fpv = pd->fp[(size_t)j * K + mu];
            if (D) {
                double uG = u[0] * G[0] + u[1] * G[1] + u[2] * G[2];
                for (int a = 0; a < 3; a++) D[a] += fpv * Sm * u[a] + fv * ir * (G[a] - u[a] * uG);
            }
            if (d_params)
                for (int b = 0; b < R; b++) d_params[blk + (size_t)mu * R + b] += Sm * Q[b];
            if (want_dir)
                for (int b = 0; b < R; b++)
                    d_params_dir[blk + (size_t)mu * R + b] += dSm * Q[b] + Sm * dQ[b] * pd->dr[j];
        }
    }
    if (d_params) {
        d_params[nr + center] = 1.0;
        for (int k = 0; k < A; k++) d_params[nr + S + k] = Mv[p->mapping[k]];
    }
    if (want_dir)
        for (int k = 0; k < A; k++) d_params_dir[nr + S + k] = dM[p->mapping[k]];
    return MTP_OK;
}

/* Hot loops are compiled for x86-64 baseline and for AVX2+FMA and picked
 * at run time by CPU feature (pd->simd), not by CPU model: GCC's
 * target_clones("arch=haswell") resolves by model and falls back to the
 * baseline on newer CPUs that report another model. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(OPENMTP_NO_CLONES)
#define JAC_DISPATCH 1
#define JAC_INLINE static inline __attribute__((always_inline))
#else
#define JAC_DISPATCH 0
#define JAC_INLINE static inline
#endif

/* Row stride of dMr for n neighbours: 3n rounded up to JAC_XB (padding = 0). */
static inline size_t dmr_stride(int n) { return (3 * (size_t)n + JAC_XB - 1) / JAC_XB * JAC_XB; }

/* Forward mode over the 3n neighbour coordinates after forward():
 * dMr[q][ws] = dM_q/dr (x, y, z per neighbour, unit stride), for all
 * moments q.  Neighbours outside the cutoff have f = fp = 0 (Q = dQ = 0),
 * so no branch is needed. */
JAC_INLINE void basis_grad_rows_body(mtp_param_deriv *pd, int n, int from_kernel)
{
    const mtp_potential *p = pd->pot;
    const int K = pd->K, B = pd->B;
    const size_t ws = dmr_stride(n), w = 3 * (size_t)n;
    double *restrict dMr = pd->dMr;
    if (pd->reference_rows) memset(dMr + (size_t)B * ws, 0, (size_t)(pd->M - B) * ws * sizeof(double));
    else
        for (int z = 0; z < pd->n_zero_rows; z++) memset(dMr + (size_t)pd->zero_rows[z] * ws, 0, ws * sizeof(double));
    if (from_kernel) {
        /* basic rows from the kernel's forward stage (lane 0 of pd->kc):
         * d(f U)/dr = f' U u + (f/r) (grad U - u (u . grad U)) */
        const mtp_plan *pl = p->plan;
        const mtp_site_scratch *ss = &pd->kc->ss[0];
        const int cap = ss->cap;
        for (int mu = 0; mu < K; mu++)
            for (int j = 0; j < n; j++) pd->fr[(size_t)mu * cap + j] = ss->f[(size_t)mu * cap + j] / ss->r[j];
        for (int e2 = 0; e2 < B; e2++) {
            const int q = pl->g_q[e2], mu = pl->basic_mu[q];
            const double *f = pd->fr + (size_t)mu * cap, *fp = ss->fp + (size_t)mu * cap;
            const double *U = ss->rows[4 * e2], *Ux = ss->rows[4 * e2 + 1], *Uy = ss->rows[4 * e2 + 2],
                         *Uz = ss->rows[4 * e2 + 3];
            const double ca = pl->g_dcoef[e2][0], cb = pl->g_dcoef[e2][1], cc = pl->g_dcoef[e2][2];
            double *restrict row = dMr + (size_t)q * ws;
            for (int j = 0; j < n; j++) {
                const double ux = ss->ux[j], uy = ss->uy[j], uz = ss->uz[j];
                const double gx = ca * Ux[j], gy = cb * Uy[j], gz = cc * Uz[j], uG = ux * gx + uy * gy + uz * gz;
                const double wU = fp[j] * U[j], fv = f[j];
                row[3 * j] = wU * ux + fv * (gx - ux * uG);
                row[3 * j + 1] = wU * uy + fv * (gy - uy * uG);
                row[3 * j + 2] = wU * uz + fv * (gz - uz * uG);
            }
            for (size_t x = w; x < ws; x++) row[x] = 0;
        }
    } else
    for (int q = 0; q < B; q++) {
        const int mu = p->basic[q][0];
        double *restrict row = dMr + (size_t)q * ws;
        for (int j = 0; j < n; j++) {
            const double *u = pd->u + 3 * j, *gU = pd->gU + ((size_t)j * B + q) * 3;
            const double fv = pd->f[(size_t)j * K + mu] / pd->r[j], fpv = pd->fp[(size_t)j * K + mu];
            const double Uq = fpv * pd->U[(size_t)j * B + q], uG = u[0] * gU[0] + u[1] * gU[1] + u[2] * gU[2];
            for (int a = 0; a < 3; a++) row[3 * j + a] = Uq * u[a] + fv * (gU[a] - u[a] * uG);
        }
        for (size_t x = w; x < ws; x++) row[x] = 0;
    }
    if (pd->reference_rows) {
        for (int t = 0; t < pd->T; t++) {
            const int *tt = p->times[t];
            const double mi = tt[2] * pd->Mv[tt[0]], mj = tt[2] * pd->Mv[tt[1]];
            double *restrict out = dMr + (size_t)tt[3] * ws;
            const double *ri = dMr + (size_t)tt[0] * ws, *rj = dMr + (size_t)tt[1] * ws;
            for (size_t x = 0; x < ws; x++) out[x] += ri[x] * mj + mi * rj[x];
        }
        return;
    }
    /* products in the kernel's runs (consecutive entries with one output
     * that do not read it): a block of 16 columns of the output row stays
     * in registers over the run, so each entry costs two row loads instead
     * of three loads and a store (the rows do not fit in L1) */
    const mtp_plan *pl = p->plan;
    double *restrict tw = pd->tw;
    for (int t = 0; t < pl->T; t++) {
        tw[2 * t] = pl->prod[t].mult * pd->Mv[pl->prod[t].j];
        tw[2 * t + 1] = pl->prod[t].mult * pd->Mv[pl->prod[t].i];
    }
    for (int r = 0; r < pl->n_runs; r++) {
        double *out = dMr + (size_t)pl->run_k[r] * ws;
        const int t0 = pl->run_start[r], t1 = pl->run_start[r + 1], fresh = pd->run_zero[r];
        const v4d zero = {0, 0, 0, 0};
        size_t x = 0;
        for (; x + 16 <= ws; x += 16) {
            v4d a0 = fresh ? zero : v4_load(out + x), a1 = fresh ? zero : v4_load(out + x + 4),
                a2 = fresh ? zero : v4_load(out + x + 8), a3 = fresh ? zero : v4_load(out + x + 12);
            for (int t = t0; t < t1; t++) {
                const double *ri = dMr + (size_t)pl->prod[t].i * ws + x, *rj = dMr + (size_t)pl->prod[t].j * ws + x;
                const double mj = tw[2 * t], mi = tw[2 * t + 1];
                a0 += v4_load(ri) * mj + mi * v4_load(rj);
                a1 += v4_load(ri + 4) * mj + mi * v4_load(rj + 4);
                a2 += v4_load(ri + 8) * mj + mi * v4_load(rj + 8);
                a3 += v4_load(ri + 12) * mj + mi * v4_load(rj + 12);
            }
            v4_store(out + x, a0), v4_store(out + x + 4, a1), v4_store(out + x + 8, a2), v4_store(out + x + 12, a3);
        }
        if (x < ws) { /* ws is a multiple of JAC_XB = 8 */
            v4d a0 = fresh ? zero : v4_load(out + x), a1 = fresh ? zero : v4_load(out + x + 4);
            for (int t = t0; t < t1; t++) {
                const double *ri = dMr + (size_t)pl->prod[t].i * ws + x, *rj = dMr + (size_t)pl->prod[t].j * ws + x;
                const double mj = tw[2 * t], mi = tw[2 * t + 1];
                a0 += v4_load(ri) * mj + mi * v4_load(rj);
                a1 += v4_load(ri + 4) * mj + mi * v4_load(rj + 4);
            }
            v4_store(out + x, a0), v4_store(out + x + 4, a1);
        }
    }
}

#if JAC_DISPATCH
__attribute__((target("avx2,fma"))) static void basis_grad_rows_avx2(mtp_param_deriv *pd, int n, int from_kernel)
{
    basis_grad_rows_body(pd, n, from_kernel);
}
#endif
/* from_kernel: the basic rows from pd->kc's forward stage (kernel_forward),
 * else from forward()'s arrays */
static void basis_grad_rows(mtp_param_deriv *pd, int n, int from_kernel)
{
#if JAC_DISPATCH
    if (pd->simd) {
        basis_grad_rows_avx2(pd, n, from_kernel);
        return;
    }
#endif
    basis_grad_rows_body(pd, n, from_kernel);
}

mtp_status mtp_site_basis_grad(mtp_param_deriv *pd, int center, int n, const int *species, const double *rij,
                               double *basis, double *d_basis, mtp_error *err)
{
    const mtp_potential *p = pd->pot;
    const int A = pd->A;
    mtp_status st = reserve(pd, n, d_basis != NULL, err);
    if (st) return st;
    double e_rep;
    st = forward(pd, center, n, species, rij, &e_rep, err);
    if (st) return st;
    if (basis)
        for (int k = 0; k < A; k++) basis[k] = pd->Mv[p->mapping[k]];
    if (!d_basis) return MTP_OK;
    basis_grad_rows(pd, n, 0);
    const size_t w = 3 * (size_t)n, ws = dmr_stride(n);
    for (int k = 0; k < A; k++) memcpy(d_basis + (size_t)k * w, pd->dMr + (size_t)p->mapping[k] * ws, w * sizeof(double));
    return MTP_OK;
}

/* ---- whole configurations ----------------------------------------- */
static mtp_status cfg_prepare(mtp_param_deriv *pd, const mtp_cfg *cfg, long extra_per_pair, mtp_error *err)
{
    const mtp_potential *p = pd->pot;
    const int n = cfg->n_atoms;
    if ((long)n > pd->atoms_cap) {
        int *sa = mtp_realloc(pd->sp_atom, (size_t)n, sizeof(int));
        if (!sa) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        pd->sp_atom = sa;
        pd->atoms_cap = n;
    }
    mtp_status st = mtp_potential_cfg_species(p, cfg, pd->sp_atom, err);
    if (st) return st;
    st = mtp_nlist_build(&pd->nl, cfg, p->max_dist, err);
    if (st) return st;
    long mx = 1;
    for (int i = 0; i < n; i++) {
        long m = pd->nl.offset[i + 1] - pd->nl.offset[i];
        if (m > mx) mx = m;
    }
    if (mx > pd->nb_cap) {
        int *ns = mtp_realloc(pd->nb_sp, (size_t)mx, sizeof(int));
        if (!ns) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        pd->nb_sp = ns;
        double *v = mtp_realloc(pd->v, (size_t)mx * 3, sizeof(double));
        if (!v) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        pd->v = v;
        pd->nb_cap = mx;
        free(pd->dB);
        pd->dB = NULL;
    }
    if (extra_per_pair && !pd->dB) {
        pd->dB = mtp_calloc((size_t)pd->nb_cap * 3 * (size_t)pd->A, sizeof(double));
        if (!pd->dB) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    return MTP_OK;
}

mtp_status mtp_cfg_param_grad(mtp_param_deriv *pd, const mtp_cfg *cfg, const double *f_adj, const double *w_adj,
                              double *d_energy, double *d_fw, mtp_error *err)
{
    return mtp_batched_cfg_param_grad(pd->bg, cfg, f_adj, w_adj, d_energy, d_fw, err);
}

/* The same derivative site by site with mtp_site_param_jvp (the scalar
 * reference the batched path is tested against). */
mtp_status mtp_cfg_param_grad_scalar(mtp_param_deriv *pd, const mtp_cfg *cfg, const double *f_adj,
                                     const double *w_adj, double *d_energy, double *d_fw, mtp_error *err)
{
    const int n = cfg->n_atoms, P = pd->P;
    if (d_energy) memset(d_energy, 0, (size_t)P * sizeof(double));
    if (d_fw) memset(d_fw, 0, (size_t)P * sizeof(double));
    if (n == 0) return MTP_OK;
    mtp_status st = cfg_prepare(pd, cfg, 0, err);
    if (st) return st;
    double Om[9] = {0};
    if (w_adj) {
        Om[0] = w_adj[0], Om[4] = w_adj[1], Om[8] = w_adj[2];
        Om[5] = Om[7] = 0.5 * w_adj[3];
        Om[2] = Om[6] = 0.5 * w_adj[4];
        Om[1] = Om[3] = 0.5 * w_adj[5];
    }
    const int want_dir = d_fw && (f_adj || w_adj);
    for (int i = 0; i < n; i++) {
        long o = pd->nl.offset[i], m = pd->nl.offset[i + 1] - o;
        for (long k = 0; k < m; k++) {
            int j = pd->nl.index[o + k];
            pd->nb_sp[k] = pd->sp_atom[j];
            if (!want_dir) continue;
            double *vk = pd->v + 3 * k;
            const double *r = pd->nl.rij + 3 * (o + k);
            for (int a = 0; a < 3; a++) {
                double x = 0;
                if (f_adj) x -= f_adj[3 * j + a] - f_adj[3 * i + a];
                if (w_adj) x -= Om[3 * a] * r[0] + Om[3 * a + 1] * r[1] + Om[3 * a + 2] * r[2];
                vk[a] = x;
            }
        }
        st = mtp_site_param_jvp(pd, pd->sp_atom[i], (int)m, pd->nb_sp, pd->nl.rij + 3 * o, want_dir ? pd->v : NULL,
                                NULL, NULL, pd->dp, want_dir ? pd->dpd : NULL, err);
        if (st) return st;
        if (d_energy)
            for (int x = 0; x < P; x++) d_energy[x] += pd->dp[x];
        if (want_dir)
            for (int x = 0; x < P; x++) d_fw[x] += pd->dpd[x];
    }
    return MTP_OK;
}

/* Scatter of one site's design rows into the configuration's force and
 * virial rows: forces[a][N][3], virial[a][6]. */
JAC_INLINE void scatter_site_body(const mtp_param_deriv *pd, int i, long o, long m, int N, double *forces,
                                  double *virial)
{
    const mtp_potential *p = pd->pot;
    const size_t ws = dmr_stride((int)m);
    const int *idx = pd->nl.index + o;
    const double *rij = pd->nl.rij + 3 * o;
    for (int a = 0; a < pd->A; a++) {
        const double *D = pd->dMr + (size_t)p->mapping[a] * ws;
        double fi0 = 0, fi1 = 0, fi2 = 0, w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0;
        double *F = forces ? forces + (size_t)a * 3 * N : NULL;
        for (long k = 0; k < m; k++) {
            const double *Dk = D + 3 * k, *r = rij + 3 * k;
            fi0 += Dk[0], fi1 += Dk[1], fi2 += Dk[2];
            w0 += Dk[0] * r[0];
            w1 += Dk[1] * r[1];
            w2 += Dk[2] * r[2];
            w3 += Dk[1] * r[2] + Dk[2] * r[1];
            w4 += Dk[0] * r[2] + Dk[2] * r[0];
            w5 += Dk[0] * r[1] + Dk[1] * r[0];
            if (F) {
                double *Fj = F + 3 * (size_t)idx[k];
                Fj[0] -= Dk[0], Fj[1] -= Dk[1], Fj[2] -= Dk[2];
            }
        }
        if (F) F[3 * i] += fi0, F[3 * i + 1] += fi1, F[3 * i + 2] += fi2;
        if (virial) {
            double *W = virial + 6 * a;
            W[0] -= w0, W[1] -= w1, W[2] -= w2;
            W[3] -= 0.5 * w3, W[4] -= 0.5 * w4, W[5] -= 0.5 * w5;
        }
    }
}

#if JAC_DISPATCH
__attribute__((target("avx2,fma"))) static void scatter_site_avx2(const mtp_param_deriv *pd, int i, long o, long m,
                                                                  int N, double *forces, double *virial)
{
    scatter_site_body(pd, i, o, m, N, forces, virial);
}
#endif
static void scatter_site(const mtp_param_deriv *pd, int i, long o, long m, int N, double *forces, double *virial)
{
#if JAC_DISPATCH
    if (pd->simd) {
        scatter_site_avx2(pd, i, o, m, N, forces, virial);
        return;
    }
#endif
    scatter_site_body(pd, i, o, m, N, forces, virial);
}

/* The kernel's forward stage for one site, then the products of the basic
 * moments (pd->Mv) as forward() leaves them. */
static mtp_status kernel_forward(mtp_param_deriv *pd, int center, int n, const int *species, const double *rij,
                                 mtp_error *err)
{
    const mtp_potential *p = pd->pot;
    if (!p->radial_coeffs) return mtp_fail(err, MTP_ERR_UNTRAINED, "the potential has no coefficients");
    static const double no_pairs[3];
    mtp_status st = mtp_kernel_site_forward(pd->kc, 0, center, n, species, n > 0 ? rij : no_pairs, err);
    if (st) return st;
    const long need = (long)pd->K * pd->kc->ss[0].cap;
    if (need > pd->fr_cap) {
        double *fr = mtp_realloc(pd->fr, (size_t)(need > 0 ? need : 1), sizeof(double));
        if (!fr) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        pd->fr = fr;
        pd->fr_cap = need;
    }
    double *Mv = pd->Mv;
    for (int q = 0; q < pd->B; q++) Mv[q] = pd->kc->M4[(size_t)q * MTP_SITES];
    for (int k = pd->B; k < pd->M; k++) Mv[k] = 0;
    for (int t = 0; t < pd->T; t++) {
        const int *tt = p->times[t];
        Mv[tt[3]] += tt[2] * Mv[tt[0]] * Mv[tt[1]];
    }
    return MTP_OK;
}

mtp_status mtp_cfg_basis_grad(mtp_param_deriv *pd, const mtp_cfg *cfg, double *basis_sum, double *forces,
                              double *virial, mtp_error *err)
{
    const int n = cfg->n_atoms, A = pd->A;
    if (basis_sum) memset(basis_sum, 0, (size_t)A * sizeof(double));
    if (forces) memset(forces, 0, (size_t)A * 3 * (size_t)n * sizeof(double));
    if (virial) memset(virial, 0, (size_t)A * 6 * sizeof(double));
    if (n == 0) return MTP_OK;
    const int want_d = forces || virial;
    mtp_status st = cfg_prepare(pd, cfg, 0, err);
    if (st) return st;
    const mtp_potential *p = pd->pot;
    for (int i = 0; i < n; i++) {
        long o = pd->nl.offset[i], m = pd->nl.offset[i + 1] - o;
        for (long k = 0; k < m; k++) pd->nb_sp[k] = pd->sp_atom[pd->nl.index[o + k]];
        if ((st = reserve(pd, (int)m, want_d, err))) return st;
        if (pd->reference_rows) {
            double e_rep;
            if ((st = forward(pd, pd->sp_atom[i], (int)m, pd->nb_sp, pd->nl.rij + 3 * o, &e_rep, err))) return st;
        } else if ((st = kernel_forward(pd, pd->sp_atom[i], (int)m, pd->nb_sp, pd->nl.rij + 3 * o, err)))
            return st;
        if (basis_sum)
            for (int a = 0; a < A; a++) basis_sum[a] += pd->Mv[p->mapping[a]];
        if (!want_d) continue;
        basis_grad_rows(pd, (int)m, !pd->reference_rows);
        scatter_site(pd, i, o, m, n, forces, virial);
    }
    return MTP_OK;
}

/* ---- homogeneity in the radial scaling ---------------------------- */
int mtp_potential_basis_degrees(const mtp_potential *p, int *deg)
{
    if (!p || !p->basic || p->scalar_count < 0) return -1;
    int *d = malloc((size_t)(p->moments_count > 0 ? p->moments_count : 1) * sizeof(int));
    if (!d) return -1;
    for (int q = 0; q < p->moments_count; q++) d[q] = q < p->basic_count ? 1 : -1;
    int ok = 1;
    for (int t = 0; t < p->times_count && ok; t++) {
        const int *tt = p->times[t];
        int di = d[tt[0]], dj = d[tt[1]];
        if (di < 0 || dj < 0) {
            ok = 0;
            break;
        }
        if (d[tt[3]] < 0) d[tt[3]] = di + dj;
        else if (d[tt[3]] != di + dj) ok = 0; /* not homogeneous */
    }
    for (int k = 0; ok && k < p->scalar_count; k++) {
        int q = p->mapping[k];
        if (q < 0 || q >= p->moments_count || d[q] < 0) ok = 0;
        else deg[k] = d[q];
    }
    free(d);
    return ok ? 0 : -1;
}
