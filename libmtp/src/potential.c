/* SPDX-License-Identifier: BSD-3-Clause */
/* Potential objects: lifetime, accessors, parameters, validation. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

mtp_potential *mtp_potential_alloc(void)
{
    mtp_potential *p = mtp_calloc(1, sizeof *p);
    if (!p) return NULL;
    p->scaling = 1.0;
    p->radial_type = MTP_RADIAL_CHEBYSHEV;
    return p;
}

void mtp_potential_destroy(mtp_potential *p)
{
    if (!p) return;
    free(p->name);
    free(p->species_labels);
    free(p->radial_coeffs);
    free(p->species_coeffs);
    free(p->moment_coeffs);
    free(p->basic);
    free(p->times);
    free(p->mapping);
    free(p->al_section);
    mtp_plan_destroy(p->plan);
    free(p);
}

static int dup_array(void **dst, const void *src, size_t bytes)
{
    *dst = NULL;
    if (!src) return 1;
    *dst = malloc(bytes ? bytes : 1);
    if (!*dst) return 0;
    memcpy(*dst, src, bytes);
    return 1;
}

mtp_status mtp_potential_copy(const mtp_potential *p, mtp_potential **out, mtp_error *err)
{
    *out = NULL;
    mtp_potential *q = mtp_potential_alloc();
    if (!q) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    *q = *p;
    q->plan = NULL;
    size_t S = (size_t)p->species_count, K = (size_t)p->radial_funcs_count,
           R = (size_t)p->radial_basis_size;
    int ok = 1;
    q->name = NULL;
    if (p->name && !(q->name = mtp_strdup(p->name))) ok = 0;
    ok &= dup_array((void **)&q->species_labels, p->species_labels, S * sizeof(int));
    ok &= dup_array((void **)&q->radial_coeffs, p->radial_coeffs, S * S * K * R * sizeof(double));
    ok &= dup_array((void **)&q->species_coeffs, p->species_coeffs, S * sizeof(double));
    ok &= dup_array((void **)&q->moment_coeffs, p->moment_coeffs, (size_t)p->scalar_count * sizeof(double));
    ok &= dup_array((void **)&q->basic, p->basic, (size_t)p->basic_count * sizeof *p->basic);
    ok &= dup_array((void **)&q->times, p->times, (size_t)p->times_count * sizeof *p->times);
    ok &= dup_array((void **)&q->mapping, p->mapping, (size_t)p->scalar_count * sizeof(int));
    ok &= dup_array((void **)&q->al_section, p->al_section, p->al_size);
    if (!ok) {
        mtp_potential_destroy(q);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    mtp_status st = mtp_potential_finalize(q, "<copy>", err);
    if (st) {
        mtp_potential_destroy(q);
        return st;
    }
    *out = q;
    return MTP_OK;
}

int mtp_potential_level(const mtp_potential *p)
{
    /* level of a basic moment = 2 + 4 mu + nu; of a scalar = sum over the
     * basic moments of its contraction tree (tracked through `times`). */
    int M = p->moments_count;
    int *lev = mtp_calloc((size_t)(M > 0 ? M : 1), sizeof(int));
    if (!lev) return -1;
    for (int q = 0; q < p->basic_count; q++)
        lev[q] = 2 + 4 * p->basic[q][0] + p->basic[q][1] + p->basic[q][2] + p->basic[q][3];
    for (int t = 0; t < p->times_count; t++) {
        int l = lev[p->times[t][0]] + lev[p->times[t][1]];
        if (l > lev[p->times[t][3]]) lev[p->times[t][3]] = l;
    }
    int best = 0;
    for (int k = 0; k < p->scalar_count; k++)
        if (lev[p->mapping[k]] > best) best = lev[p->mapping[k]];
    free(lev);
    return best;
}

mtp_status mtp_potential_finalize(mtp_potential *p, const char *name, mtp_error *err)
{
    if (!name) name = "<potential>";
    if (!(p->max_dist > 0) || !isfinite(p->max_dist))
        return mtp_fail(err, MTP_ERR_INVALID, "%s: max_dist must be positive, found %g", name, p->max_dist);
    if (!(p->min_dist >= 0) || !(p->min_dist < p->max_dist))
        return mtp_fail(err, MTP_ERR_INVALID, "%s: need 0 <= min_dist < max_dist, found %g and %g", name,
                        p->min_dist, p->max_dist);
    if (!isfinite(p->scaling))
        return mtp_fail(err, MTP_ERR_INVALID, "%s: scaling must be finite", name);
    if (p->radial_basis_size < 1 || p->radial_basis_size > 64)
        return mtp_fail(err, MTP_ERR_INVALID, "%s: radial_basis_size must be 1..64, found %d", name,
                        p->radial_basis_size);
    if (p->radial_funcs_count < 1 || p->radial_funcs_count > 64)
        return mtp_fail(err, MTP_ERR_INVALID, "%s: radial_funcs_count must be 1..64, found %d", name,
                        p->radial_funcs_count);
    if (p->basic_count < 1 || p->moments_count < p->basic_count)
        return mtp_fail(err, MTP_ERR_INVALID,
                        "%s: need 1 <= alpha_index_basic_count <= alpha_moments_count, found %d and %d",
                        name, p->basic_count, p->moments_count);
    if (p->scalar_count < 0)
        return mtp_fail(err, MTP_ERR_INVALID, "%s: alpha_scalar_moments must be >= 0", name);
    int max_mu = -1;
    for (int q = 0; q < p->basic_count; q++) {
        const int *b = p->basic[q];
        if (b[0] < 0 || b[1] < 0 || b[2] < 0 || b[3] < 0 || b[1] + b[2] + b[3] > 64)
            return mtp_fail(err, MTP_ERR_INVALID, "%s: alpha_index_basic entry %d {%d, %d, %d, %d} is invalid",
                            name, q, b[0], b[1], b[2], b[3]);
        if (b[0] > max_mu) max_mu = b[0];
    }
    if (max_mu + 1 != p->radial_funcs_count)
        return mtp_fail(err, MTP_ERR_INVALID,
                        "%s: radial_funcs_count = %d but alpha_index_basic uses %d radial functions", name,
                        p->radial_funcs_count, max_mu + 1);
    for (int t = 0; t < p->times_count; t++) {
        const int *e = p->times[t];
        if (e[0] < 0 || e[1] < 0 || e[0] >= p->moments_count || e[1] >= p->moments_count ||
            e[3] < p->basic_count || e[3] >= p->moments_count)
            return mtp_fail(err, MTP_ERR_INVALID,
                            "%s: alpha_index_times entry %d {%d, %d, %d, %d} refers outside the %d moments (outputs must be >= %d)",
                            name, t, e[0], e[1], e[2], e[3], p->moments_count, p->basic_count);
    }
    for (int k = 0; k < p->scalar_count; k++)
        if (p->mapping[k] < 0 || p->mapping[k] >= p->moments_count)
            return mtp_fail(err, MTP_ERR_INVALID, "%s: alpha_moment_mapping[%d] = %d is out of range", name, k,
                            p->mapping[k]);
    if (p->species_count < 0 || p->species_count > 128)
        return mtp_fail(err, MTP_ERR_INVALID, "%s: species_count must be 0..128, found %d", name,
                        p->species_count);
    if (p->species_count > 0 && !p->species_labels) {
        p->species_labels = mtp_calloc((size_t)p->species_count, sizeof(int));
        if (!p->species_labels) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        for (int s = 0; s < p->species_count; s++) p->species_labels[s] = s;
    }
    for (int s = 0; s < p->species_count; s++)
        for (int t = 0; t < s; t++)
            if (p->species_labels[s] == p->species_labels[t])
                return mtp_fail(err, MTP_ERR_INVALID, "%s: species label %d appears twice", name,
                                p->species_labels[s]);
    if (p->trained && (!p->radial_coeffs || !p->species_coeffs || !p->moment_coeffs || p->species_count < 1))
        return mtp_fail(err, MTP_ERR_INVALID, "%s: trained potential lacks coefficients", name);
    mtp_plan_destroy(p->plan);
    p->plan = NULL;
    return mtp_plan_build(p, &p->plan, err);
}

mtp_potential_info mtp_potential_get_info(const mtp_potential *p)
{
    mtp_potential_info in;
    memset(&in, 0, sizeof in);
    in.level = mtp_potential_level(p);
    in.species_count = p->species_count;
    in.radial_funcs_count = p->radial_funcs_count;
    in.radial_basis_size = p->radial_basis_size;
    in.basic_count = p->basic_count;
    in.moments_count = p->moments_count;
    in.times_count = p->times_count;
    in.scalar_count = p->scalar_count;
    in.param_count = mtp_potential_param_count(p);
    in.trained = p->trained;
    in.has_al_state = p->al_section != NULL;
    in.radial_type = p->radial_type;
    in.min_dist = p->min_dist;
    in.max_dist = p->max_dist;
    in.scaling = p->scaling;
    return in;
}

int mtp_potential_species_count(const mtp_potential *p) { return p->species_count; }

int mtp_potential_species_label(const mtp_potential *p, int s)
{
    return s >= 0 && s < p->species_count ? p->species_labels[s] : -1;
}

int mtp_potential_species_index(const mtp_potential *p, int type)
{
    for (int s = 0; s < p->species_count; s++)
        if (p->species_labels[s] == type) return s;
    return -1;
}

double mtp_potential_cutoff(const mtp_potential *p) { return p->max_dist; }

int mtp_potential_param_count(const mtp_potential *p)
{
    int S = p->species_count;
    return S * S * p->radial_funcs_count * p->radial_basis_size + S + p->scalar_count;
}

mtp_status mtp_potential_get_params(const mtp_potential *p, double *theta, mtp_error *err)
{
    if (!p->trained) return mtp_fail(err, MTP_ERR_UNTRAINED, "potential has no coefficients");
    size_t nr = (size_t)p->species_count * p->species_count * p->radial_funcs_count * p->radial_basis_size;
    memcpy(theta, p->radial_coeffs, nr * sizeof(double));
    memcpy(theta + nr, p->species_coeffs, (size_t)p->species_count * sizeof(double));
    memcpy(theta + nr + p->species_count, p->moment_coeffs, (size_t)p->scalar_count * sizeof(double));
    return MTP_OK;
}

mtp_status mtp_potential_set_params(mtp_potential *p, const double *theta, mtp_error *err)
{
    if (p->species_count < 1)
        return mtp_fail(err, MTP_ERR_INVALID, "potential has no species; set them first");
    int n = mtp_potential_param_count(p);
    for (int i = 0; i < n; i++)
        if (!isfinite(theta[i])) return mtp_fail(err, MTP_ERR_INVALID, "parameter %d is not finite", i);
    size_t nr = (size_t)p->species_count * p->species_count * p->radial_funcs_count * p->radial_basis_size;
    if (!p->radial_coeffs) p->radial_coeffs = mtp_calloc(nr, sizeof(double));
    if (!p->species_coeffs) p->species_coeffs = mtp_calloc((size_t)p->species_count, sizeof(double));
    if (!p->moment_coeffs) p->moment_coeffs = mtp_calloc((size_t)(p->scalar_count ? p->scalar_count : 1), sizeof(double));
    if (!p->radial_coeffs || !p->species_coeffs || !p->moment_coeffs)
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    memcpy(p->radial_coeffs, theta, nr * sizeof(double));
    memcpy(p->species_coeffs, theta + nr, (size_t)p->species_count * sizeof(double));
    memcpy(p->moment_coeffs, theta + nr + p->species_count, (size_t)p->scalar_count * sizeof(double));
    p->trained = 1;
    free(p->al_section);
    p->al_section = NULL;
    p->al_size = 0;
    return MTP_OK;
}

mtp_status mtp_potential_set_species(mtp_potential *p, int S, const int *labels, mtp_error *err)
{
    if (S < 1 || S > 128) return mtp_fail(err, MTP_ERR_INVALID, "species count must be 1..128, got %d", S);
    for (int s = 0; s < S; s++)
        for (int t = 0; t < s; t++)
            if (labels && labels[s] == labels[t])
                return mtp_fail(err, MTP_ERR_INVALID, "species label %d given twice", labels[s]);
    int *l = mtp_calloc((size_t)S, sizeof(int));
    if (!l) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    for (int s = 0; s < S; s++) l[s] = labels ? labels[s] : s;
    if (S != p->species_count) {
        free(p->radial_coeffs);
        free(p->species_coeffs);
        free(p->moment_coeffs);
        p->radial_coeffs = p->species_coeffs = p->moment_coeffs = NULL;
        p->trained = 0;
        free(p->al_section);
        p->al_section = NULL;
        p->al_size = 0;
    }
    free(p->species_labels);
    p->species_labels = l;
    p->species_count = S;
    return MTP_OK;
}

mtp_status mtp_potential_set_scaling(mtp_potential *p, double scaling, mtp_error *err)
{
    if (!isfinite(scaling) || scaling == 0) return mtp_fail(err, MTP_ERR_INVALID, "scaling must be finite and non-zero");
    p->scaling = scaling;
    return MTP_OK;
}

mtp_status mtp_potential_set_min_dist(mtp_potential *p, double d, mtp_error *err)
{
    if (!(d >= 0 && d < p->max_dist)) return mtp_fail(err, MTP_ERR_INVALID, "min_dist must be in [0, max_dist)");
    p->min_dist = d;
    return MTP_OK;
}
