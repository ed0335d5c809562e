/* SPDX-License-Identifier: BSD-3-Clause */
/* Loss gradients of whole configurations on the evaluation kernel's stages.
 *
 * For adjoint weights f_adj (forces) and w_adj (virial) the trainer needs
 *     d_energy = dE/dtheta,   d_fw = d/dtheta ( f_adj . F + w_adj . W ),
 * and the second is sum over sites of d/dtheta ( sum_j v_j . dV/dr_j ) for
 * a per-neighbour direction v_j (from f_adj and w_adj).  That is the
 * directional derivative along v of the kernel's reverse pass ("forward
 * over reverse"), so it is computed here on the kernel's own data: the
 * per-site forward stage (geometry, batched radial basis, monomials, basic
 * moments; kernel.c), the moment tree on MTP_SITES sites at once (one
 * vector lane per site), and the kernel's backward accumulators.  On top
 * of them, per site:
 *   tangent of the geometry   dr_j = u_j . v_j,  du_j = (v_j - u_j dr_j) / r_j
 *   tangent of basic moments  dM_q = sum_j f'_mu dr_j U_q + f_mu grad U_q . du_j
 *                             (dot products over neighbours, like M_q)
 *   tangent of the products and of the adjoints g (dg), with the moments
 *   tangent of S_mu           dS_mu = sum_q dg_q U_q + du . G_mu
 *   radial gradient           dE/dc_mu,b  += sum_j S_mu Q_b
 *                             d_fw/dc_mu,b += sum_j dS_mu Q_b + S_mu Q'_b dr_j
 * and the linear parts M and dM of the scalar basis functions.
 * The scalar reference of the same derivative is mtp_site_param_jvp
 * (jacobian.c); ctest train_param_grad compares the two. */
#include "internal.h"
#include "kernel_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Tangent rows of one site, arrays over the padded neighbours. */
typedef struct lane_tangent {
    int cap;
    double *block;
    double *dr, *dux, *duy, *duz; /* [cap] tangent of r and of u            */
    double *W;                    /* [4K][cap] f' dr, f du_x, f du_y, f du_z */
    double *dS;                   /* [K][cap] tangent of S_mu               */
} lane_tangent;

struct mtp_batched_grad {
    const mtp_potential *pot;
    mtp_calculator *calc;  /* the kernel's per-site scratch, M4 and g4      */
    double *dM4, *dg4;     /* [M][MTP_SITES] tangents of moments, adjoints  */
    double *dgw;           /* [B] adjoint tangents of one site, grouped     */
    lane_tangent lt[MTP_SITES];
    mtp_nlist nl;
    int *sp_atom, *nb_sp;
    double *v;             /* [max neighbours][3] direction of one site    */
    long atoms_cap, pairs_cap, v_cap;
};

mtp_status mtp_batched_grad_create(const mtp_potential *pot, mtp_batched_grad **out, mtp_error *err)
{
    *out = NULL;
    mtp_batched_grad *bg = mtp_calloc(1, sizeof *bg);
    if (!bg) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    bg->pot = pot;
    mtp_nlist_init(&bg->nl);
    mtp_status st = mtp_calculator_create(pot, &bg->calc, err);
    if (st) {
        mtp_batched_grad_destroy(bg);
        return st;
    }
    size_t M = (size_t)pot->moments_count, B = (size_t)(pot->basic_count > 0 ? pot->basic_count : 1);
    bg->dM4 = mtp_aligned_calloc(M * MTP_SITES, sizeof(double));
    bg->dg4 = mtp_aligned_calloc(M * MTP_SITES, sizeof(double));
    bg->dgw = mtp_calloc(B, sizeof(double));
    if (!bg->dM4 || !bg->dg4 || !bg->dgw) {
        mtp_batched_grad_destroy(bg);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    *out = bg;
    return MTP_OK;
}

void mtp_batched_grad_destroy(mtp_batched_grad *bg)
{
    if (!bg) return;
    mtp_calculator_destroy(bg->calc);
    free(bg->dM4);
    free(bg->dg4);
    free(bg->dgw);
    for (int l = 0; l < MTP_SITES; l++) free(bg->lt[l].block);
    mtp_nlist_free(&bg->nl);
    free(bg->sp_atom);
    free(bg->nb_sp);
    free(bg->v);
    free(bg);
}

/* Tangent rows sized like the kernel's rows of the same lane. */
static mtp_status lane_reserve(lane_tangent *lt, int cap, int K, mtp_error *err)
{
    if (lt->block && lt->cap == cap) return MTP_OK;
    double *blk = mtp_aligned_calloc((4 + 5 * (size_t)K) * (size_t)cap, sizeof(double));
    if (!blk) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %d neighbours", cap);
    free(lt->block);
    lt->block = blk;
    lt->cap = cap;
    double *p = blk;
    lt->dr = p; p += cap;
    lt->dux = p; p += cap;
    lt->duy = p; p += cap;
    lt->duz = p; p += cap;
    lt->W = p; p += 4 * (size_t)K * cap;
    lt->dS = p;
    return MTP_OK;
}

/* Tangent of the geometry along v[n][3] and of the basic moments, into
 * lane `lane` of bg->dM4 (after the kernel's forward stage of that lane). */
MTP_HOT
static void basic_tangent(mtp_batched_grad *bg, int lane, int n, const double *v)
{
    const mtp_plan *pl = bg->pot->plan;
    const mtp_site_scratch *ss = &bg->calc->ss[lane];
    lane_tangent *lt = &bg->lt[lane];
    const int K = pl->K, cap = ss->cap, np = (n + LANES - 1) / LANES * LANES;
    for (int j = 0; j < n; j++) {
        const double ux = ss->ux[j], uy = ss->uy[j], uz = ss->uz[j], ir = 1.0 / ss->r[j];
        const double vx = v[3 * j], vy = v[3 * j + 1], vz = v[3 * j + 2];
        const double dr = ux * vx + uy * vy + uz * vz;
        lt->dr[j] = dr;
        lt->dux[j] = (vx - ux * dr) * ir;
        lt->duy[j] = (vy - uy * dr) * ir;
        lt->duz[j] = (vz - uz * dr) * ir;
    }
    for (int j = n; j < np; j++) lt->dr[j] = lt->dux[j] = lt->duy[j] = lt->duz[j] = 0;
    for (int mu = 0; mu < K; mu++) {
        const double *f = ss->f + (size_t)mu * cap, *fp = ss->fp + (size_t)mu * cap;
        double *W0 = lt->W + (size_t)(4 * mu) * cap, *Wx = W0 + cap, *Wy = Wx + cap, *Wz = Wy + cap;
        for (int j = 0; j < np; j += 4) {
            const v4d fj = v4_load(f + j);
            v4_store(W0 + j, v4_load(fp + j) * v4_load(lt->dr + j));
            v4_store(Wx + j, fj * v4_load(lt->dux + j));
            v4_store(Wy + j, fj * v4_load(lt->duy + j));
            v4_store(Wz + j, fj * v4_load(lt->duz + j));
        }
    }
    /* dM_q = W0_mu . U_q + a Wx_mu . U_(q - e_x) + b Wy_mu . U_(q - e_y) + c Wz_mu . U_(q - e_z);
     * a missing derivative row is the kernel's zero row (its coefficient is 0) */
    double *dM4 = bg->dM4;
    for (int mu = 0; mu < K; mu++) {
        const double *W0 = lt->W + (size_t)(4 * mu) * cap, *Wx = W0 + cap, *Wy = Wx + cap, *Wz = Wy + cap;
        for (int e2 = pl->mu_start[mu]; e2 < pl->mu_start[mu + 1]; e2++) {
            const double *const *rows = ss->rows + 4 * e2;
            const double *U = rows[0], *Ux = rows[1], *Uy = rows[2], *Uz = rows[3];
            const double ca = pl->g_dcoef[e2][0], cb = pl->g_dcoef[e2][1], cc = pl->g_dcoef[e2][2];
            v4d a0 = {0, 0, 0, 0}, a1 = {0, 0, 0, 0};
            for (int j = 0; j < np; j += 4) {
                a0 += v4_load(W0 + j) * v4_load(U + j) + ca * (v4_load(Wx + j) * v4_load(Ux + j));
                a1 += cb * (v4_load(Wy + j) * v4_load(Uy + j)) + cc * (v4_load(Wz + j) * v4_load(Uz + j));
            }
            dM4[(size_t)pl->g_q[e2] * MTP_SITES + lane] = v4_sum(a0 + a1);
        }
    }
}

/* The moment tree on all lanes: products and their tangents (file order),
 * then the adjoints g = dV/dM and their tangents dg (reverse order).
 * Entries of one run do not read the run's output, so every input is
 * final when it is read (as in the kernel's moments()). */
MTP_HOT
static void moments_tangent(mtp_batched_grad *bg, int tangent)
{
    const mtp_potential *p = bg->pot;
    const mtp_plan *pl = p->plan;
    double *M4 = bg->calc->M4, *g4 = bg->calc->g4, *dM4 = bg->dM4, *dg4 = bg->dg4;
    const v4d zero = {0, 0, 0, 0};
    for (int k = pl->B; k < pl->M; k++) {
        v4_store(M4 + (size_t)k * MTP_SITES, zero);
        v4_store(dM4 + (size_t)k * MTP_SITES, zero);
    }
    for (int r = 0; r < pl->n_runs; r++) {
        const size_t ko = (size_t)pl->run_k[r] * MTP_SITES;
        v4d acc = v4_load(M4 + ko), dacc = v4_load(dM4 + ko);
        for (int t = pl->run_start[r]; t < pl->run_start[r + 1]; t++) {
            const size_t io = (size_t)pl->prod[t].i * MTP_SITES, jo = (size_t)pl->prod[t].j * MTP_SITES;
            const v4d mi = pl->prod[t].mult * v4_load(M4 + io), mj = v4_load(M4 + jo);
            acc += mi * mj;
            if (tangent) dacc += mi * v4_load(dM4 + jo) + pl->prod[t].mult * v4_load(dM4 + io) * mj;
        }
        v4_store(M4 + ko, acc);
        v4_store(dM4 + ko, dacc);
    }
    memset(g4, 0, (size_t)pl->M * MTP_SITES * sizeof(double));
    memset(dg4, 0, (size_t)pl->M * MTP_SITES * sizeof(double));
    for (int k = 0; k < pl->A; k++) {
        double *gk = g4 + (size_t)p->mapping[k] * MTP_SITES;
        v4_store(gk, v4_load(gk) + p->moment_coeffs[k]);
    }
    for (int r = pl->n_runs - 1; r >= 0; r--) {
        const size_t ko = (size_t)pl->run_k[r] * MTP_SITES;
        const v4d gk = v4_load(g4 + ko), dgk = v4_load(dg4 + ko);
        for (int t = pl->run_start[r + 1] - 1; t >= pl->run_start[r]; t--) {
            const size_t io = (size_t)pl->prod[t].i * MTP_SITES, jo = (size_t)pl->prod[t].j * MTP_SITES;
            const v4d w = gk * pl->prod[t].mult;
            const v4d mi = v4_load(M4 + io), mj = v4_load(M4 + jo);
            v4_store(g4 + io, v4_load(g4 + io) + w * mj);
            v4_store(g4 + jo, v4_load(g4 + jo) + w * mi);
            if (tangent) {
                const v4d dw = dgk * pl->prod[t].mult, dmi = v4_load(dM4 + io), dmj = v4_load(dM4 + jo);
                v4_store(dg4 + io, v4_load(dg4 + io) + dw * mj + w * dmj);
                v4_store(dg4 + jo, v4_load(dg4 + jo) + dw * mi + w * dmi);
            }
        }
    }
}

/* Backward stage of lane `lane`: the radial parts of d_energy (if not NULL)
 * and of d_fw (if `tangent`), accumulated. */
MTP_HOT
static void site_grad(mtp_batched_grad *bg, int lane, int center, int n, const int *species, int tangent,
                      double *d_energy, double *d_fw)
{
    const mtp_potential *p = bg->pot;
    const mtp_plan *pl = p->plan;
    mtp_calculator *c = bg->calc;
    const mtp_site_scratch *ss = &c->ss[lane];
    lane_tangent *lt = &bg->lt[lane];
    const int S = p->species_count, K = pl->K, R = pl->R, cap = ss->cap, np = (n + LANES - 1) / LANES * LANES;
    mtp_kernel_site_accumulate(c, lane, n, tangent);
    if (tangent) {
        /* dS_mu = du . G_mu + sum_q dg_q U_q (row-wise AXPYs as in the kernel) */
        for (int mu = 0; mu < K; mu++) {
            const size_t o = (size_t)mu * cap;
            double *restrict dS = lt->dS + o;
            for (int j = 0; j < np; j += 4)
                v4_store(dS + j, v4_load(lt->dux + j) * v4_load(ss->Gx + o + j) +
                                     v4_load(lt->duy + j) * v4_load(ss->Gy + o + j) +
                                     v4_load(lt->duz + j) * v4_load(ss->Gz + o + j));
            const int q0 = pl->mu_start[mu], q1 = pl->mu_start[mu + 1];
            for (int e2 = q0; e2 < q1; e2++) bg->dgw[e2] = bg->dg4[(size_t)pl->g_q[e2] * MTP_SITES + lane];
            int e2 = q0;
            for (; e2 + 4 <= q1; e2 += 4) {
                const double w0 = bg->dgw[e2], w1 = bg->dgw[e2 + 1], w2 = bg->dgw[e2 + 2], w3 = bg->dgw[e2 + 3];
                const double *restrict U0 = ss->rows[4 * e2], *restrict U1 = ss->rows[4 * (e2 + 1)];
                const double *restrict U2 = ss->rows[4 * (e2 + 2)], *restrict U3 = ss->rows[4 * (e2 + 3)];
                for (int j = 0; j < np; j++) dS[j] += (w0 * U0[j] + w1 * U1[j]) + (w2 * U2[j] + w3 * U3[j]);
            }
            for (; e2 < q1; e2++) {
                const double w = bg->dgw[e2], *restrict U = ss->rows[4 * e2];
                for (int j = 0; j < np; j++) dS[j] += w * U[j];
            }
        }
    }
    int one_species = 1;
    for (int j = 1; j < n; j++) one_species &= species[j] == species[0];
    if (n == 0) return;
    if (one_species) {
        /* neighbours outside the cutoff and padding lanes have Q = Q' = 0 */
        const size_t blk = (size_t)(center * S + species[0]) * K * R;
        for (int mu = 0; mu < K; mu++) {
            const double *Sm = ss->S + (size_t)mu * cap, *dS = lt->dS + (size_t)mu * cap;
            for (int b = 0; b < R; b++) {
                const double *Q = ss->Q + (size_t)b * cap, *dQ = ss->dQ + (size_t)b * cap;
                v4d e = {0, 0, 0, 0}, d = {0, 0, 0, 0};
                if (d_energy)
                    for (int j = 0; j < np; j += 4) e += v4_load(Sm + j) * v4_load(Q + j);
                if (tangent)
                    for (int j = 0; j < np; j += 4)
                        d += v4_load(dS + j) * v4_load(Q + j) + v4_load(Sm + j) * v4_load(dQ + j) * v4_load(lt->dr + j);
                if (d_energy) d_energy[blk + (size_t)mu * R + b] += v4_sum(e);
                if (tangent) d_fw[blk + (size_t)mu * R + b] += v4_sum(d);
            }
        }
        return;
    }
    for (int j = 0; j < n; j++) {
        if (!ss->inside[j]) continue;
        const size_t blk = (size_t)(center * S + species[j]) * K * R;
        for (int mu = 0; mu < K; mu++) {
            const double sv = ss->S[(size_t)mu * cap + j];
            const double dsv = tangent ? lt->dS[(size_t)mu * cap + j] : 0.0, sdr = tangent ? sv * lt->dr[j] : 0.0;
            for (int b = 0; b < R; b++) {
                const double q = ss->Q[(size_t)b * cap + j];
                if (d_energy) d_energy[blk + (size_t)mu * R + b] += sv * q;
                if (tangent) d_fw[blk + (size_t)mu * R + b] += dsv * q + sdr * ss->dQ[(size_t)b * cap + j];
            }
        }
    }
}

static mtp_status cfg_prepare(mtp_batched_grad *bg, const mtp_cfg *cfg, mtp_error *err)
{
    const mtp_potential *p = bg->pot;
    const int n = cfg->n_atoms;
    if ((long)n > bg->atoms_cap) {
        int *sa = mtp_realloc(bg->sp_atom, (size_t)n, sizeof(int));
        if (!sa) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        bg->sp_atom = sa;
        bg->atoms_cap = n;
    }
    mtp_status st = mtp_potential_cfg_species(p, cfg, bg->sp_atom, err);
    if (st) return st;
    st = mtp_nlist_build(&bg->nl, cfg, p->max_dist, err);
    if (st) return st;
    const long P = bg->nl.n_pairs > 0 ? bg->nl.n_pairs : 1;
    if (P > bg->pairs_cap) {
        int *ns = mtp_realloc(bg->nb_sp, (size_t)P, sizeof(int));
        if (!ns) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        bg->nb_sp = ns;
        bg->pairs_cap = P;
    }
    long mx = 1;
    for (int i = 0; i < n; i++) {
        long m = bg->nl.offset[i + 1] - bg->nl.offset[i];
        if (m > mx) mx = m;
    }
    if (mx > bg->v_cap) {
        double *v = mtp_realloc(bg->v, (size_t)mx * 3, sizeof(double));
        if (!v) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        bg->v = v;
        bg->v_cap = mx;
    }
    for (long k = 0; k < bg->nl.n_pairs; k++) bg->nb_sp[k] = bg->sp_atom[bg->nl.index[k]];
    return MTP_OK;
}

mtp_status mtp_batched_cfg_param_grad(mtp_batched_grad *bg, const mtp_cfg *cfg, const double *f_adj,
                                      const double *w_adj, double *d_energy, double *d_fw, mtp_error *err)
{
    const mtp_potential *p = bg->pot;
    const int n = cfg->n_atoms, P = mtp_potential_param_count(p), S = p->species_count, A = p->scalar_count;
    const size_t nr = (size_t)S * S * p->radial_funcs_count * p->radial_basis_size;
    if (d_energy) memset(d_energy, 0, (size_t)P * sizeof(double));
    if (d_fw) memset(d_fw, 0, (size_t)P * sizeof(double));
    if (n == 0) return MTP_OK;
    if (!p->trained || !p->moment_coeffs || !p->species_coeffs || !p->radial_coeffs)
        return mtp_fail(err, MTP_ERR_UNTRAINED, "the potential has no coefficients (train it first)");
    mtp_status st = cfg_prepare(bg, cfg, err);
    if (st) return st;
    double Om[9] = {0};
    if (w_adj) {
        Om[0] = w_adj[0], Om[4] = w_adj[1], Om[8] = w_adj[2];
        Om[5] = Om[7] = 0.5 * w_adj[3];
        Om[2] = Om[6] = 0.5 * w_adj[4];
        Om[1] = Om[3] = 0.5 * w_adj[5];
    }
    const int tangent = d_fw && (f_adj || w_adj);
    const mtp_nlist *nl = &bg->nl;
    static const double no_pairs[3];
    const double *rij_all = nl->rij ? nl->rij : no_pairs;
    mtp_calculator *c = bg->calc;
    const size_t nb4 = (size_t)p->basic_count * MTP_SITES;
    for (int s0 = 0; s0 < n; s0 += MTP_SITES) {
        const int m = n - s0 < MTP_SITES ? n - s0 : MTP_SITES;
        if (m < MTP_SITES) { /* idle lanes must hold finite values */
            memset(c->M4, 0, nb4 * sizeof(double));
            memset(bg->dM4, 0, nb4 * sizeof(double));
        }
        for (int l = 0; l < m; l++) {
            const int i = s0 + l;
            const long o = nl->offset[i], mm = nl->offset[i + 1] - o;
            const double *rij = rij_all + 3 * o;
            st = mtp_kernel_site_forward(c, l, bg->sp_atom[i], (int)mm, bg->nb_sp + o, rij, err);
            if (st) return st;
            if ((st = lane_reserve(&bg->lt[l], c->ss[l].cap, p->radial_funcs_count, err))) return st;
            if (!tangent) continue;
            /* direction of this site: v_k = -(f_adj_j - f_adj_i) - Om r_k */
            for (long k = 0; k < mm; k++) {
                const int j = nl->index[o + k];
                const double *r = rij + 3 * k;
                for (int a = 0; a < 3; a++) {
                    double x = 0;
                    if (f_adj) x -= f_adj[3 * j + a] - f_adj[3 * i + a];
                    if (w_adj) x -= Om[3 * a] * r[0] + Om[3 * a + 1] * r[1] + Om[3 * a + 2] * r[2];
                    bg->v[3 * k + a] = x;
                }
            }
            basic_tangent(bg, l, (int)mm, bg->v);
        }
        moments_tangent(bg, tangent);
        for (int l = 0; l < m; l++) {
            const int i = s0 + l;
            const long o = nl->offset[i], mm = nl->offset[i + 1] - o;
            site_grad(bg, l, bg->sp_atom[i], (int)mm, bg->nb_sp + o, tangent, d_energy, d_fw);
            if (d_energy) {
                d_energy[nr + bg->sp_atom[i]] += 1.0;
                for (int k = 0; k < A; k++) d_energy[nr + S + k] += c->M4[(size_t)p->mapping[k] * MTP_SITES + l];
            }
            if (tangent)
                for (int k = 0; k < A; k++) d_fw[nr + S + k] += bg->dM4[(size_t)p->mapping[k] * MTP_SITES + l];
        }
    }
    return MTP_OK;
}
