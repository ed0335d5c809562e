/* SPDX-License-Identifier: BSD-3-Clause */
/* Cost-aware pruning: the basis dependency structure, the cost model and
 * the greedy elimination over the normal equations (see prune.h). */
#include "prune.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b,
                    const int *ldb, int *info);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);

static mtp_status fail(mtp_error *err, mtp_status st, const char *msg)
{
    if (err) {
        err->status = st;
        snprintf(err->message, sizeof err->message, "%s", msg);
    }
    return st;
}

void prune_options_default(prune_options *o)
{
    o->remove = -1;
    o->max_loss_increase = -1;
    o->target_speedup = 0;
    o->max_group = 64;
}

void prune_basis_free(prune_basis *pb)
{
    free(pb->basic), free(pb->times), free(pb->mapping), free(pb->need), free(pb->n_out);
    memset(pb, 0, sizeof *pb);
}

mtp_status prune_basis_init(prune_basis *pb, const mtp_potential *pot, double nbh, mtp_error *err)
{
    memset(pb, 0, sizeof *pb);
    mtp_potential_info in = mtp_potential_get_info(pot);
    pb->S = in.species_count, pb->A = in.scalar_count, pb->B = in.basic_count, pb->M = in.moments_count;
    pb->T = in.times_count, pb->K = in.radial_funcs_count, pb->R = in.radial_basis_size, pb->nbh = nbh;
    pb->words = (pb->A + 63) / 64;
    pb->basic = malloc((size_t)pb->B * sizeof *pb->basic);
    pb->times = malloc((size_t)(pb->T ? pb->T : 1) * sizeof *pb->times);
    pb->mapping = malloc((size_t)(pb->A ? pb->A : 1) * sizeof(int));
    pb->need = calloc((size_t)pb->M * pb->words + 1, sizeof(uint64_t));
    pb->n_out = calloc((size_t)pb->M, sizeof(int));
    if (!pb->basic || !pb->times || !pb->mapping || !pb->need || !pb->n_out) {
        prune_basis_free(pb);
        return fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    mtp_status st = mtp_potential_get_basis(pot, pb->basic, pb->times, pb->mapping, err);
    if (st) {
        prune_basis_free(pb);
        return st;
    }
    const int W = pb->words;
    for (int k = 0; k < pb->A; k++) pb->need[(size_t)pb->mapping[k] * W + k / 64] |= (uint64_t)1 << (k % 64);
    /* products in reverse file order: an output is complete before any
     * entry reads it, so its set of users is final when we reach it */
    for (int t = pb->T - 1; t >= 0; t--) {
        const int *e = pb->times[t];
        uint64_t *nk = pb->need + (size_t)e[3] * W, *ni = pb->need + (size_t)e[0] * W, *nj = pb->need + (size_t)e[1] * W;
        for (int w = 0; w < W; w++) ni[w] |= nk[w], nj[w] |= nk[w];
        pb->n_out[e[3]]++;
    }
    return MTP_OK;
}

static void cost_of_bits(const prune_basis *pb, const uint64_t *kb, prune_cost *c)
{
    const int W = pb->words;
    int mu_used[64] = {0};
    memset(c, 0, sizeof *c);
    for (int w = 0; w < W; w++) c->scalars += __builtin_popcountll(kb[w]);
    for (int m = 0; m < pb->M; m++) {
        const uint64_t *n = pb->need + (size_t)m * W;
        int used = 0;
        for (int w = 0; w < W && !used; w++) used = (n[w] & kb[w]) != 0;
        if (!used) continue;
        if (m < pb->B) {
            const int *q = pb->basic[m];
            c->basic++;
            if (q[0] < 64) mu_used[q[0]] = 1;
            if (q[1] + q[2] + q[3] > c->max_rank) c->max_rank = q[1] + q[2] + q[3];
        } else {
            c->products += pb->n_out[m];
        }
    }
    for (int m = 0; m < 64; m++) c->radial_funcs += mu_used[m];
    int nu = c->max_rank, mono = (nu + 1) * (nu + 2) * (nu + 3) / 6;
    c->model = pb->nbh * (5.0 * c->basic + 2.0 * pb->R * c->radial_funcs + mono) + 3.0 * c->products;
}

void prune_cost_of(const prune_basis *pb, const unsigned char *keep, prune_cost *c)
{
    uint64_t *kb = calloc((size_t)pb->words + 1, sizeof(uint64_t));
    for (int k = 0; k < pb->A; k++)
        if (keep[k]) kb[k / 64] |= (uint64_t)1 << (k % 64);
    cost_of_bits(pb, kb, c);
    free(kb);
}

void prune_path_free(prune_path *p)
{
    free(p->order), free(p->step_end), free(p->loss), free(p->cost);
    memset(p, 0, sizeof *p);
}

void prune_path_keep(const prune_path *p, int steps, unsigned char *keep)
{
    memset(keep, 1, (size_t)p->A);
    if (steps > p->n_steps) steps = p->n_steps;
    for (int r = 0; r < p->step_end[steps]; r++) keep[p->order[r]] = 0;
}

double prune_quadratic_loss(int nl, const double *G, const double *b, double c0, const double *x)
{
    double q = 0, l = 0;
    for (int i = 0; i < nl; i++) {
        if (x[i] == 0) continue;
        double gi = 0;
        for (int j = 0; j < nl; j++) gi += G[(size_t)i * nl + j] * x[j];
        q += x[i] * gi;
        l += b[i] * x[i];
    }
    return q - 2 * l + c0;
}

/* The trainer's ridge (spec 4.3) times `boost`, Jacobi-equilibrated: the
 * basis functions differ by many orders of magnitude. */
static void scaled_system(int nl, const double *G, const double *b, const int *cols, int n, double boost, double *Gs,
                          double *bs, double *dsc)
{
    for (int a = 0; a < n; a++) {
        double g = G[(size_t)cols[a] * nl + cols[a]], d = g + boost * 1e-10 * fmax(1.0, g);
        dsc[a] = d > 0 ? 1.0 / sqrt(d) : 1.0;
    }
    for (int a = 0; a < n; a++) {
        int l = cols[a];
        double g = G[(size_t)l * nl + l];
        for (int c = 0; c < n; c++)
            Gs[(size_t)a * n + c] = (G[(size_t)l * nl + cols[c]] + (a == c ? boost * 1e-10 * fmax(1.0, g) : 0.0)) *
                                    dsc[a] * dsc[c];
        bs[a] = b[l] * dsc[a];
    }
}

/* Cholesky factor of the scaled ridge system of the columns cols[n] into
 * L (lower), solution xs (scaled).  The ridge is raised (x100, up to four
 * times) if rounding leaves the matrix not positive definite. */
static mtp_status factor(int nl, const double *G, const double *b, const int *cols, int n, double *L, double *xs,
                         double *dsc, mtp_error *err)
{
    int info = 1, one = 1;
    for (double boost = 1; boost <= 1e8 && info; boost *= 100) {
        scaled_system(nl, G, b, cols, n, boost, L, xs, dsc);
        dpotrf_("L", &n, L, &n, &info);
    }
    if (info) return fail(err, MTP_ERR_INVALID, "normal equations not positive definite even with a ridge");
    dpotrs_("L", &n, &one, L, &n, xs, &n, &info);
    return info ? fail(err, MTP_ERR_INVALID, "Cholesky solve failed") : MTP_OK;
}

mtp_status prune_refit(int nl, const double *G, const double *b, double c0, const unsigned char *keep_col, double *x,
                       double *loss, mtp_error *err)
{
    int n = 0, *cols = malloc((size_t)nl * sizeof(int));
    double *L = malloc((size_t)nl * nl * sizeof(double)), *xs = malloc((size_t)nl * sizeof(double));
    double *dsc = malloc((size_t)nl * sizeof(double));
    if (!cols || !L || !xs || !dsc) {
        free(cols), free(L), free(xs), free(dsc);
        return fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    for (int l = 0; l < nl; l++)
        if (keep_col[l]) cols[n++] = l;
    if (n == 0) {
        free(cols), free(L), free(xs), free(dsc);
        return fail(err, MTP_ERR_INVALID, "refit: no columns kept");
    }
    mtp_status st = factor(nl, G, b, cols, n, L, xs, dsc, err);
    if (!st) {
        memset(x, 0, (size_t)nl * sizeof(double));
        for (int a = 0; a < n; a++) x[cols[a]] = xs[a] * dsc[a];
        if (loss) *loss = prune_quadratic_loss(nl, G, b, c0, x);
    }
    free(cols), free(L), free(xs), free(dsc);
    return st;
}

/* Candidate groups, deduplicated by content. */
typedef struct cand_set {
    int n, cap, W;
    uint64_t *bits; /* [cap][W] */
    int *size;
    int *slot;      /* open-addressing table of candidate indices, -1 = empty */
    int nslot;
} cand_set;

static uint64_t hash_bits(const uint64_t *v, int W)
{
    uint64_t h = 1469598103934665603ULL;
    for (int w = 0; w < W; w++) h = (h ^ v[w]) * 1099511628211ULL, h ^= h >> 29;
    return h;
}

static int cand_add(cand_set *cs, const uint64_t *v)
{
    int sz = 0;
    for (int w = 0; w < cs->W; w++) sz += __builtin_popcountll(v[w]);
    if (sz == 0) return 0;
    size_t h = (size_t)(hash_bits(v, cs->W) % (uint64_t)cs->nslot);
    while (cs->slot[h] >= 0) {
        if (!memcmp(cs->bits + (size_t)cs->slot[h] * cs->W, v, (size_t)cs->W * sizeof(uint64_t))) return 0;
        h = (h + 1) % (size_t)cs->nslot;
    }
    if (cs->n == cs->cap) return -1;
    memcpy(cs->bits + (size_t)cs->n * cs->W, v, (size_t)cs->W * sizeof(uint64_t));
    cs->size[cs->n] = sz;
    cs->slot[h] = cs->n++;
    return 0;
}

mtp_status prune_select(const prune_basis *pb, const double *G, const double *b, double c0, double L0,
                        const prune_options *o, prune_path *path, mtp_error *err)
{
    const int A = pb->A, S = pb->S, nl = S + A, W = pb->words, K = pb->K;
    memset(path, 0, sizeof *path);
    path->A = A;
    path->order = malloc((size_t)(A ? A : 1) * sizeof(int));
    path->step_end = calloc((size_t)A + 1, sizeof(int));
    path->loss = calloc((size_t)A + 1, sizeof(double));
    path->cost = calloc((size_t)A + 1, sizeof(prune_cost));
    cand_set cs = {0};
    cs.W = W, cs.cap = A + pb->M + K + 1, cs.nslot = 2 * cs.cap + 1;
    cs.bits = malloc((size_t)cs.cap * W * sizeof(uint64_t));
    cs.size = malloc((size_t)cs.cap * sizeof(int));
    cs.slot = malloc((size_t)cs.nslot * sizeof(int));
    uint64_t *kb = calloc((size_t)W, sizeof(uint64_t)), *tmp = calloc((size_t)W, sizeof(uint64_t));
    int *cols = malloc((size_t)nl * sizeof(int)), *pos = malloc((size_t)(A ? A : 1) * sizeof(int));
    int *idx = malloc((size_t)(A ? A : 1) * sizeof(int));
    double *L = malloc((size_t)nl * nl * sizeof(double)), *xs = malloc((size_t)nl * sizeof(double));
    double *dsc = malloc((size_t)nl * sizeof(double)), *x = calloc((size_t)nl, sizeof(double));
    int mg = o->max_group > 0 ? o->max_group : 1;
    double *HJ = malloc((size_t)mg * mg * sizeof(double)), *z = malloc((size_t)mg * sizeof(double));
    mtp_status st = MTP_OK;
    if (!path->order || !path->step_end || !path->loss || !path->cost || !cs.bits || !cs.size || !cs.slot || !kb ||
        !tmp || !cols || !pos || !idx || !L || !xs || !dsc || !x || !HJ || !z) {
        st = fail(err, MTP_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k < A; k++) kb[k / 64] |= (uint64_t)1 << (k % 64);
    cost_of_bits(pb, kb, &path->cost[0]);
    path->loss[0] = L0;
    const double cost0 = path->cost[0].model;
    const double bound = o->max_loss_increase >= 0 ? L0 * (1 + o->max_loss_increase) : INFINITY;
    int removed = 0, steps = 0;
    for (;;) {
        /* the current set: species columns and the kept functions */
        int n = 0, nk = 0;
        for (int s = 0; s < S; s++) cols[n++] = s;
        for (int k = 0; k < A; k++) {
            pos[k] = -1;
            if (kb[k / 64] >> (k % 64) & 1) pos[k] = n, cols[n++] = S + k, nk++;
        }
        if ((st = factor(nl, G, b, cols, n, L, xs, dsc, err))) goto out;
        memset(x, 0, (size_t)nl * sizeof(double));
        for (int a = 0; a < n; a++) x[cols[a]] = xs[a] * dsc[a];
        double Lcur = prune_quadratic_loss(nl, G, b, c0, x);
        if (steps > 0) path->loss[steps] = Lcur;
        const prune_cost *cc = &path->cost[steps];
        if (nk <= 1 || (o->remove >= 0 && removed >= o->remove) ||
            (o->target_speedup > 0 && cc->model * o->target_speedup <= cost0))
            break;
        /* H = (scaled G_TT)^-1 from the factor */
        int info = 0;
        dpotri_("L", &n, L, &n, &info);
        if (info) {
            st = fail(err, MTP_ERR_INVALID, "inverse of the normal equations failed");
            goto out;
        }
#define H(i, j) ((i) >= (j) ? L[(size_t)(j) * n + (i)] : L[(size_t)(i) * n + (j)]) /* column-major lower */
        /* candidates: single functions, then the users of each moment and
         * of each radial function */
        cs.n = 0;
        for (int s = 0; s < cs.nslot; s++) cs.slot[s] = -1;
        for (int k = 0; k < A; k++)
            if (pos[k] >= 0) {
                memset(tmp, 0, (size_t)W * sizeof(uint64_t));
                tmp[k / 64] |= (uint64_t)1 << (k % 64);
                cand_add(&cs, tmp);
            }
        for (int m = 0; m < pb->M; m++) {
            const uint64_t *nm = pb->need + (size_t)m * W;
            for (int w = 0; w < W; w++) tmp[w] = nm[w] & kb[w];
            cand_add(&cs, tmp);
        }
        for (int mu = 0; mu < K; mu++) {
            memset(tmp, 0, (size_t)W * sizeof(uint64_t));
            for (int q = 0; q < pb->B; q++)
                if (pb->basic[q][0] == mu)
                    for (int w = 0; w < W; w++) tmp[w] |= pb->need[(size_t)q * W + w] & kb[w];
            cand_add(&cs, tmp);
        }
        int best = -1, best_zero = -1;
        double best_score = INFINITY, best_saved = 0, best_dl = 0, zero_dl = INFINITY;
        const int budget = o->remove >= 0 ? o->remove - removed : nk - 1;
        for (int c = 0; c < cs.n; c++) {
            int sz = cs.size[c];
            if (sz > mg || sz > budget || sz >= nk) continue;
            const uint64_t *J = cs.bits + (size_t)c * W;
            int ni = 0;
            for (int k = 0; k < A; k++)
                if (J[k / 64] >> (k % 64) & 1) idx[ni++] = pos[k];
            double dl;
            if (ni == 1) {
                dl = xs[idx[0]] * xs[idx[0]] / H(idx[0], idx[0]);
            } else {
                for (int i = 0; i < ni; i++) {
                    z[i] = xs[idx[i]];
                    for (int j = 0; j < ni; j++) HJ[(size_t)i * ni + j] = H(idx[i], idx[j]);
                }
                int one = 1, inf2 = 0;
                dpotrf_("L", &ni, HJ, &ni, &inf2);
                if (inf2) continue; /* numerically singular block: not a safe candidate */
                dpotrs_("L", &ni, &one, HJ, &ni, z, &ni, &inf2);
                dl = 0;
                for (int i = 0; i < ni; i++) dl += xs[idx[i]] * z[i];
            }
            if (!(dl >= 0)) dl = dl < 0 ? 0 : INFINITY;
            if (Lcur + dl > bound) continue;
            for (int w = 0; w < W; w++) tmp[w] = kb[w] & ~J[w];
            prune_cost c2;
            cost_of_bits(pb, tmp, &c2);
            double saved = cc->model - c2.model;
            if (saved > 0) {
                double score = dl / saved;
                if (score < best_score || (score == best_score && saved > best_saved))
                    best = c, best_score = score, best_saved = saved, best_dl = dl;
            } else if (o->remove >= 0 && dl < zero_dl) {
                best_zero = c, zero_dl = dl;
            }
        }
#undef H
        if (best < 0) best = best_zero; /* --remove: functions that save nothing alone, least loss first */
        if (best < 0) break;
        (void)best_dl;
        const uint64_t *J = cs.bits + (size_t)best * W;
        for (int k = 0; k < A; k++)
            if (J[k / 64] >> (k % 64) & 1) path->order[removed++] = k;
        for (int w = 0; w < W; w++) kb[w] &= ~J[w];
        steps++;
        path->step_end[steps] = removed;
        cost_of_bits(pb, kb, &path->cost[steps]);
        path->n_steps = steps;
    }
    path->n_steps = steps;
out:
    free(cs.bits), free(cs.size), free(cs.slot), free(kb), free(tmp), free(cols), free(pos), free(idx);
    free(L), free(xs), free(dsc), free(x), free(HJ), free(z);
    if (st) prune_path_free(path);
    return st;
}
