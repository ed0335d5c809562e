/* SPDX-License-Identifier: BSD-3-Clause */
/* Basis structure of a potential and pruning: a potential restricted to a
 * subset of its scalar basis functions, without the moments, products,
 * basic moments and radial functions nothing kept needs any more (so the
 * kernel really does less work), renumbered into a valid MLIP file. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

mtp_status mtp_potential_get_basis(const mtp_potential *p, int (*basic)[4], int (*times)[4], int *mapping,
                                   mtp_error *err)
{
    (void)err;
    if (basic) memcpy(basic, p->basic, (size_t)p->basic_count * sizeof *p->basic);
    if (times) memcpy(times, p->times, (size_t)p->times_count * sizeof *p->times);
    if (mapping) memcpy(mapping, p->mapping, (size_t)p->scalar_count * sizeof(int));
    return MTP_OK;
}

mtp_status mtp_potential_prune(const mtp_potential *p, const unsigned char *keep, mtp_potential **out,
                               mtp_error *err)
{
    *out = NULL;
    const int A = p->scalar_count, M = p->moments_count, B = p->basic_count, T = p->times_count;
    const int K = p->radial_funcs_count, R = p->radial_basis_size, S = p->species_count;
    int n_keep = 0;
    for (int k = 0; k < A; k++) n_keep += keep[k] != 0;
    if (n_keep < 1) return mtp_fail(err, MTP_ERR_INVALID, "pruning must keep at least one scalar basis function");
    unsigned char *need = mtp_calloc((size_t)M, 1);
    int *new_index = mtp_calloc((size_t)M, sizeof(int));
    int new_mu[MTP_MAX_RADIAL_FUNCS];
    mtp_potential *q = mtp_potential_alloc();
    if (!need || !new_index || !q) {
        free(need), free(new_index), mtp_potential_destroy(q);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    /* What the kept functions need: every product entry of a needed moment
     * and its inputs.  Entries are in topological order (an input is
     * complete before it is read), so one reverse sweep closes the set. */
    for (int k = 0; k < A; k++)
        if (keep[k]) need[p->mapping[k]] = 1;
    for (int t = T - 1; t >= 0; t--)
        if (need[p->times[t][3]]) need[p->times[t][0]] = need[p->times[t][1]] = 1;
    /* radial functions of the needed basic moments, renumbered in order */
    for (int m = 0; m < K; m++) new_mu[m] = -1;
    for (int b = 0; b < B; b++)
        if (need[b]) new_mu[p->basic[b][0]] = 0;
    int K2 = 0;
    for (int m = 0; m < K; m++)
        if (new_mu[m] >= 0) new_mu[m] = K2++;
    /* moments renumbered keeping their order: basic ones first, products
     * after, so the file's layout rules (outputs contiguous after the basic
     * moments, inputs complete before use) still hold */
    int B2 = 0, M2 = 0, T2 = 0;
    for (int m = 0; m < M; m++) {
        new_index[m] = need[m] ? M2++ : -1;
        if (need[m] && m < B) B2++;
    }
    for (int t = 0; t < T; t++) T2 += need[p->times[t][3]] != 0;
    *q = *p;
    q->name = NULL, q->species_labels = NULL, q->radial_coeffs = NULL, q->species_coeffs = NULL;
    q->moment_coeffs = NULL, q->basic = NULL, q->times = NULL, q->mapping = NULL;
    q->al_section = NULL, q->al_size = 0, q->al_origin = NULL, q->al_cfg_line = 0, q->plan = NULL;
    q->radial_funcs_count = K2, q->basic_count = B2, q->moments_count = M2, q->times_count = T2;
    q->scalar_count = n_keep;
    q->name = mtp_strdup(p->name ? p->name : "MTP1m");
    q->basic = mtp_calloc((size_t)B2, sizeof *q->basic);
    q->times = mtp_calloc((size_t)(T2 ? T2 : 1), sizeof *q->times);
    q->mapping = mtp_calloc((size_t)n_keep, sizeof(int));
    if (S > 0) q->species_labels = mtp_calloc((size_t)S, sizeof(int));
    if (p->trained) {
        q->radial_coeffs = mtp_calloc((size_t)S * S * K2 * R, sizeof(double));
        q->species_coeffs = mtp_calloc((size_t)S, sizeof(double));
        q->moment_coeffs = mtp_calloc((size_t)n_keep, sizeof(double));
    }
    if (!q->name || !q->basic || !q->times || !q->mapping || (S > 0 && !q->species_labels) ||
        (p->trained && (!q->radial_coeffs || !q->species_coeffs || !q->moment_coeffs))) {
        free(need), free(new_index), mtp_potential_destroy(q);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    if (S > 0) memcpy(q->species_labels, p->species_labels, (size_t)S * sizeof(int));
    for (int b = 0; b < B; b++)
        if (need[b]) {
            int *d = q->basic[new_index[b]];
            memcpy(d, p->basic[b], sizeof *q->basic);
            d[0] = new_mu[p->basic[b][0]];
        }
    for (int t = 0, u = 0; t < T; t++)
        if (need[p->times[t][3]]) {
            q->times[u][0] = new_index[p->times[t][0]];
            q->times[u][1] = new_index[p->times[t][1]];
            q->times[u][2] = p->times[t][2];
            q->times[u][3] = new_index[p->times[t][3]];
            u++;
        }
    for (int k = 0, u = 0; k < A; k++)
        if (keep[k]) {
            q->mapping[u] = new_index[p->mapping[k]];
            if (p->trained) q->moment_coeffs[u] = p->moment_coeffs[k];
            u++;
        }
    if (p->trained) {
        memcpy(q->species_coeffs, p->species_coeffs, (size_t)S * sizeof(double));
        for (int pr = 0; pr < S * S; pr++)
            for (int m = 0; m < K; m++)
                if (new_mu[m] >= 0)
                    memcpy(q->radial_coeffs + ((size_t)pr * K2 + new_mu[m]) * R,
                           p->radial_coeffs + ((size_t)pr * K + m) * R, (size_t)R * sizeof(double));
    }
    free(need), free(new_index);
    mtp_status st = mtp_potential_finalize(q, "<pruned potential>", err);
    if (st) {
        mtp_potential_destroy(q);
        return st;
    }
    *out = q;
    return MTP_OK;
}
