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
    /* products as runs of consecutive entries with the same output, so the
     * output accumulates in a register instead of through memory */
    int n_runs;
    int *run_k, *run_start; /* [n_runs], run_start[n_runs] = T */
    struct mtp_product { int i, j; double mult; } *prod; /* [T] */
    /* basic moments grouped by radial index for the backward pass */
    int *mu_start;      /* [K+1] range of each mu in the arrays below      */
    int *g_q;           /* [B] basic moment index                         */
    int *g_mono;        /* [B] its monomial row                            */
    int (*g_dmono)[3];  /* [B] rows of the derivative monomials (zero row) */
    double (*g_dcoef)[3];
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
    free(pl->run_k);
    free(pl->run_start);
    free(pl->prod);
    free(pl->mu_start);
    free(pl->g_q);
    free(pl->g_mono);
    free(pl->g_dmono);
    free(pl->g_dcoef);
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
    size_t M = (size_t)pot->moments_count;
    c->M = mtp_calloc(M, sizeof(double));
    c->g = mtp_calloc(M, sizeof(double));
    c->gw = mtp_calloc(4 * (size_t)pot->basic_count, sizeof(double));
    c->rows = mtp_calloc(4 * (size_t)pot->basic_count, sizeof(double *));
    if (!c->M || !c->g || !c->gw || !c->rows) {
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
    free(c->gw);
    free(c->rows);
    mtp_nlist_free(&c->nl);
    free(c->species_of_atom);
    free(c->nbh_species);
    free(c->d_rij);
    free(c);
}

void mtp_calculator_set_min_dist_policy(mtp_calculator *c, mtp_min_dist_policy policy) { c->policy = policy; }

mtp_compute_stats mtp_calculator_stats(const mtp_calculator *c) { return c->stats; }

/* Neighbour loops run over whole vectors of LANES doubles: the neighbour
 * count is padded with inert neighbours (outside the cutoff). */
#define LANES 4

/* Make room for n neighbours (rounded up so that reuse is the common case). */
static mtp_status reserve(mtp_calculator *c, int n, mtp_error *err)
{
    if (n <= c->cap && c->block) return MTP_OK;
    const mtp_plan *pl = c->pot->plan;
    /* exactly the padded size: the monomial rows must stay within L1 */
    int cap = (n + LANES - 1) / LANES * LANES;
    if (cap < LANES) cap = LANES;
    size_t rows = 5 + 2 * (size_t)pl->R + 2 * (size_t)pl->K + (size_t)pl->n_mono + 1 + 4 * (size_t)pl->K;
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
    c->U = p; p += ((size_t)pl->n_mono + 1) * cap; /* + the zero row */
    c->S = p; p += (size_t)pl->K * cap;
    c->Gx = p; p += (size_t)pl->K * cap;
    c->Gy = p; p += (size_t)pl->K * cap;
    c->Gz = p;
    for (int e2 = 0; e2 < pl->B; e2++) {
        c->rows[4 * e2] = c->U + (size_t)pl->g_mono[e2] * cap;
        for (int a = 0; a < 3; a++) c->rows[4 * e2 + 1 + a] = c->U + (size_t)pl->g_dmono[e2][a] * cap;
    }
    return MTP_OK;
}

/* Explicit vectors of 4 doubles (GCC/Clang extension): the compiler maps
 * them to AVX registers in the AVX2 clone and to SSE pairs otherwise. */
typedef double v4d __attribute__((vector_size(32), aligned(8)));
static inline v4d v4_load(const double *p)
{
    v4d v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void v4_store(double *p, v4d v) { memcpy(p, &v, sizeof v); }
static inline double v4_sum(v4d v) { return (v[0] + v[1]) + (v[2] + v[3]); }

/* Hot loops are compiled twice, for x86-64 baseline and for AVX2+FMA, and
 * the better one is picked at load time (GCC function multi-versioning). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(OPENMTP_NO_CLONES)
#define MTP_HOT __attribute__((target_clones("arch=haswell", "default")))
#else
#define MTP_HOT
#endif

/* Chebyshev radial basis Q_beta(r) = sigma T_beta(xi) (r - Rc)^2 and dQ/dr,
 * row by row over the (padded) neighbours; neighbours outside the cutoff
 * and padding lanes get Q = dQ = 0.  Returns the repulsive extra energy of
 * RBChebyshev_repuls and stores its radial derivative in c->rep[j]. */
MTP_HOT
static double radial_basis(mtp_calculator *c, int np)
{
    const mtp_potential *p = c->pot;
    const int R = p->radial_basis_size, cap = c->cap;
    const double rmin = p->min_dist, rc = p->max_dist, sigma = p->scaling;
    const double inv_w = 1.0 / (rc - rmin), dxi = 2.0 * inv_w;
    double e_rep = 0;
    /* scratch rows: xi, (r-Rc), and the inside/clamp masks, in Gx/Gy/Gz */
    double *xi = c->Gx, *d = c->Gy, *live = c->Gz, *dlive = c->S;
    for (int j = 0; j < np; j++) {
        double r = c->r[j];
        c->rep[j] = 0;
        live[j] = c->inside[j] ? 1.0 : 0.0;
        dlive[j] = live[j];
        if (p->radial_type == MTP_RADIAL_CHEBYSHEV_REPULSIVE && c->inside[j] && r < rmin) {
            e_rep += 1e4 * (exp(-10.0 * (r - 1.0)) - exp(-10.0 * (rmin - 1.0)));
            c->rep[j] = -1e5 * exp(-10.0 * (r - 1.0));
            r = rmin;
            dlive[j] = 0; /* the basis is constant below min_dist */
        }
        xi[j] = (2.0 * r - (rmin + rc)) * inv_w;
        d[j] = r - rc;
    }
    double *Q0 = c->Q, *dQ0 = c->dQ;
    /* T and dT/dxi are built in the Q/dQ rows, then scaled in place */
    for (int j = 0; j < np; j++) {
        Q0[j] = 1.0;
        dQ0[j] = 0.0;
    }
    if (R > 1)
        for (int j = 0; j < np; j++) {
            c->Q[cap + j] = xi[j];
            c->dQ[cap + j] = 1.0;
        }
    const v4d two = {2, 2, 2, 2};
    for (int b = 2; b < R; b++) {
        double *T = c->Q + (size_t)b * cap, *T1 = T - cap, *T2 = T - 2 * cap;
        double *D = c->dQ + (size_t)b * cap, *D1 = D - cap, *D2 = D - 2 * cap;
        for (int j = 0; j < np; j += 4) {
            v4d x = v4_load(xi + j), t1 = v4_load(T1 + j);
            v4_store(T + j, two * x * t1 - v4_load(T2 + j));
            v4_store(D + j, two * t1 + two * x * v4_load(D1 + j) - v4_load(D2 + j));
        }
    }
    for (int b = 0; b < R; b++) {
        double *T = c->Q + (size_t)b * cap, *D = c->dQ + (size_t)b * cap;
        for (int j = 0; j < np; j += 4) {
            v4d dd = v4_load(d + j), d2 = dd * dd, t = v4_load(T + j);
            v4d q = sigma * t * d2, dq = sigma * (v4_load(D + j) * dxi * d2 + two * t * dd);
            v4_store(T + j, v4_load(live + j) * q);
            v4_store(D + j, v4_load(dlive + j) * dq);
        }
    }
    return e_rep;
}

MTP_HOT
static mtp_status site_eval(mtp_calculator *c, int center, int n, const int *species, const double *rij,
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
    mtp_status st = reserve(c, n, err);
    if (st) return st;
    const int cap = c->cap, np = (n + LANES - 1) / LANES * LANES;
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
        c->inside[j] = r < rc;
        c->r[j] = r;
        c->ux[j] = x * ir;
        c->uy[j] = y * ir;
        c->uz[j] = z * ir;
    }
    for (int j = n; j < np; j++) {
        c->inside[j] = 0;
        c->r[j] = rc;
        c->ux[j] = c->uy[j] = c->uz[j] = 0;
    }
    double e_rep = radial_basis(c, np);

    /* radial functions f_mu(r) = sum_beta c[s_i][s_j][mu][beta] Q_beta */
    for (int mu = 0; mu < K; mu++) {
        double *f = c->f + (size_t)mu * cap, *fp = c->fp + (size_t)mu * cap;
        for (int j = 0; j < np; j++) f[j] = fp[j] = 0;
        if (one_species && n > 0) {
            const double *cc = p->radial_coeffs + ((size_t)(center * S + species[0]) * K + mu) * R;
            for (int b = 0; b < R; b++) {
                const double w = cc[b], *Q = c->Q + (size_t)b * cap, *dQ = c->dQ + (size_t)b * cap;
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
                    v += cc[b] * c->Q[(size_t)b * cap + j];
                    dv += cc[b] * c->dQ[(size_t)b * cap + j];
                }
                f[j] = v;
                fp[j] = dv;
            }
        }
    }

    /* monomials of u, and the zero row */
    {
        double *U0 = c->U;
        for (int j = 0; j < np; j++) U0[j] = 1.0;
        const double *axis[3] = {c->ux, c->uy, c->uz};
        for (int m = 1; m < pl->n_mono; m++) {
            const double *par = c->U + (size_t)pl->mono_parent[m] * cap, *ax = axis[pl->mono_axis[m]];
            double *Um = c->U + (size_t)m * cap;
            for (int j = 0; j < np; j += 4) v4_store(Um + j, v4_load(par + j) * v4_load(ax + j));
        }
        double *Z = c->U + (size_t)pl->n_mono * cap;
        for (int j = 0; j < np; j++) Z[j] = 0;
    }

    /* forward: basic moments, then products in file order */
    double *Mv = c->M;
    for (int q = 0; q < B; q++) {
        const double *f = c->f + (size_t)pl->basic_mu[q] * cap, *U = c->U + (size_t)pl->basic_mono[q] * cap;
        v4d a0 = {0, 0, 0, 0}, a1 = {0, 0, 0, 0}; /* two chains hide the FMA latency */
        int jb = 0;
        for (; jb + 8 <= np; jb += 8) {
            a0 += v4_load(f + jb) * v4_load(U + jb);
            a1 += v4_load(f + jb + 4) * v4_load(U + jb + 4);
        }
        if (jb < np) a0 += v4_load(f + jb) * v4_load(U + jb);
        Mv[q] = v4_sum(a0 + a1);
    }
    for (int k = B; k < pl->M; k++) Mv[k] = 0;
    for (int r = 0; r < pl->n_runs; r++) {
        const int k = pl->run_k[r];
        double acc = Mv[k];
        for (int t = pl->run_start[r]; t < pl->run_start[r + 1]; t++)
            acc += pl->prod[t].mult * Mv[pl->prod[t].i] * Mv[pl->prod[t].j];
        Mv[k] = acc;
    }

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
    for (int r = pl->n_runs - 1; r >= 0; r--) {
        const double gk = g[pl->run_k[r]];
        if (gk == 0) continue;
        for (int t = pl->run_start[r + 1] - 1; t >= pl->run_start[r]; t--) {
            const double w = gk * pl->prod[t].mult;
            const int i = pl->prod[t].i, j = pl->prod[t].j;
            g[i] += w * Mv[j];
            g[j] += w * Mv[i];
        }
    }

    /* per-neighbour accumulators S_mu = sum g U and G_mu = sum g grad U,
     * one block of LANES neighbours at a time, accumulating in registers */
    for (int mu = 0; mu < K; mu++) {
        double *restrict Sm = c->S + (size_t)mu * cap, *restrict Gx = c->Gx + (size_t)mu * cap,
                         *restrict Gy = c->Gy + (size_t)mu * cap, *restrict Gz = c->Gz + (size_t)mu * cap;
        const int q0 = pl->mu_start[mu], q1 = pl->mu_start[mu + 1];
        for (int e2 = q0; e2 < q1; e2++) { /* weights of this block of basics */
            const double gq = g[pl->g_q[e2]];
            c->gw[4 * e2] = gq;
            c->gw[4 * e2 + 1] = gq * pl->g_dcoef[e2][0];
            c->gw[4 * e2 + 2] = gq * pl->g_dcoef[e2][1];
            c->gw[4 * e2 + 3] = gq * pl->g_dcoef[e2][2];
        }
        /* row-wise AXPYs over the neighbours: measured faster here than
         * keeping a block of neighbours in registers across basics */
        memset(Sm, 0, (size_t)np * sizeof(double));
        memset(Gx, 0, (size_t)np * sizeof(double));
        memset(Gy, 0, (size_t)np * sizeof(double));
        memset(Gz, 0, (size_t)np * sizeof(double));
        /* four basics per pass: each accumulator row is loaded and stored
         * once per four AXPYs (the loop is bound by memory operations) */
        int e2 = q0;
        for (; e2 + 4 <= q1; e2 += 4)
            for (int comp = 0; comp < 4; comp++) {
                double *restrict acc = comp == 0 ? Sm : comp == 1 ? Gx : comp == 2 ? Gy : Gz;
                const double w0 = c->gw[4 * e2 + comp], w1 = c->gw[4 * e2 + 4 + comp];
                const double w2 = c->gw[4 * e2 + 8 + comp], w3 = c->gw[4 * e2 + 12 + comp];
                const double *restrict U0 = c->rows[4 * e2 + comp], *restrict U1 = c->rows[4 * e2 + 4 + comp];
                const double *restrict U2 = c->rows[4 * e2 + 8 + comp], *restrict U3 = c->rows[4 * e2 + 12 + comp];
                for (int j = 0; j < np; j++) acc[j] += (w0 * U0[j] + w1 * U1[j]) + (w2 * U2[j] + w3 * U3[j]);
            }
        for (; e2 < q1; e2++)
            for (int comp = 0; comp < 4; comp++) {
                double *restrict acc = comp == 0 ? Sm : comp == 1 ? Gx : comp == 2 ? Gy : Gz;
                const double w = c->gw[4 * e2 + comp];
                const double *restrict U = c->rows[4 * e2 + comp];
                for (int j = 0; j < np; j++) acc[j] += w * U[j];
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
                double sv = c->S[(size_t)mu * cap + j];
                for (int b = 0; b < R; b++) blk[mu * R + b] += sv * c->Q[(size_t)b * cap + j];
            }
        }
        d_params[nr + center] = 1.0;
        for (int k = 0; k < A; k++) d_params[nr + S + k] = Mv[p->mapping[k]];
    }
    return MTP_OK;
}

mtp_status mtp_site_eval(mtp_calculator *c, int center, int n, const int *species, const double *rij,
                         double *energy, double *d_rij, double *basis, double *d_params, mtp_error *err)
{
    return site_eval(c, center, n, species, rij, energy, d_rij, basis, d_params, err);
}
