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
    free(p->al_origin);
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
    q->al_origin = NULL;
    if (p->name && !(q->name = mtp_strdup(p->name))) ok = 0;
    if (p->al_origin && !(q->al_origin = mtp_strdup(p->al_origin))) ok = 0;
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
     * basic moments of its contraction tree (tracked through `times`).
     * Saturates instead of overflowing for pathological product chains. */
    enum { LEVEL_CAP = 1 << 20 };
    int M = p->moments_count;
    int *lev = mtp_calloc((size_t)(M > 0 ? M : 1), sizeof(int));
    if (!lev) return -1;
    for (int q = 0; q < p->basic_count; q++)
        lev[q] = 2 + 4 * p->basic[q][0] + p->basic[q][1] + p->basic[q][2] + p->basic[q][3];
    for (int t = 0; t < p->times_count; t++) {
        int l = lev[p->times[t][0]] + lev[p->times[t][1]];
        if (l > LEVEL_CAP) l = LEVEL_CAP;
        if (l > lev[p->times[t][3]]) lev[p->times[t][3]] = l;
    }
    int best = 0;
    for (int k = 0; k < p->scalar_count; k++)
        if (lev[p->mapping[k]] > best) best = lev[p->mapping[k]];
    free(lev);
    return best;
}

/* "name:line: ..." (MTP_ERR_PARSE) when the field came from a file line,
 * else "name: ..." (MTP_ERR_INVALID) for potentials built in memory. */
static mtp_status vfail(mtp_error *err, const char *name, long line, const char *fmt, ...) MTP_PRINTF(4, 5);
static mtp_status vfail(mtp_error *err, const char *name, long line, const char *fmt, ...)
{
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0) return mtp_parse_fail(err, name, line, "%s", msg);
    return mtp_fail(err, MTP_ERR_INVALID, "%s: %s", name, msg);
}

#define AT(field) (lines ? lines->field : 0)

/* Indices of the basis: every entry in range, every moment defined (a basic
 * moment or the output of a product whose inputs are complete before it). */
static mtp_status check_basis(const mtp_potential *p, const char *name, const mtp_pot_lines *lines, mtp_error *err)
{
    const int M = p->moments_count, B = p->basic_count;
    if (B < 1 || M < B)
        return vfail(err, name, AT(basic_count),
                     "need 1 <= alpha_index_basic_count <= alpha_moments_count, found %d and %d", B, M);
    if (p->times_count < 0 || (long)M > (long)B + p->times_count)
        return vfail(err, name, AT(moments_count),
                     "alpha_moments_count = %d, but %d basic moments and %d products can define at most %ld",
                     M, B, p->times_count, (long)B + (p->times_count > 0 ? p->times_count : 0));
    if (p->scalar_count < 0)
        return vfail(err, name, AT(scalar_count), "alpha_scalar_moments must be >= 0, found %d", p->scalar_count);
    int max_mu = -1;
    for (int q = 0; q < B; q++) {
        const int *b = p->basic[q];
        /* each component alone first: their sum could overflow */
        if (b[0] < 0 || b[0] >= MTP_MAX_RADIAL_FUNCS || b[1] < 0 || b[1] > MTP_MAX_TENSOR_RANK || b[2] < 0 ||
            b[2] > MTP_MAX_TENSOR_RANK || b[3] < 0 || b[3] > MTP_MAX_TENSOR_RANK ||
            b[1] + b[2] + b[3] > MTP_MAX_TENSOR_RANK)
            return vfail(err, name, AT(basic),
                         "alpha_index_basic entry %d {%d, %d, %d, %d}: expected mu in 0..%d and tensor powers "
                         ">= 0 adding up to at most %d",
                         q + 1, b[0], b[1], b[2], b[3], MTP_MAX_RADIAL_FUNCS - 1, MTP_MAX_TENSOR_RANK);
        if (b[0] > max_mu) max_mu = b[0];
    }
    if (max_mu + 1 != p->radial_funcs_count)
        return vfail(err, name, AT(radial_funcs_count),
                     "radial_funcs_count = %d, but alpha_index_basic uses %d radial functions", p->radial_funcs_count,
                     max_mu + 1);
    int *last = mtp_calloc((size_t)M, sizeof(int)); /* 1 + last entry producing each moment */
    if (!last) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    mtp_status st = MTP_OK;
    for (int t = 0; t < p->times_count && !st; t++) {
        const int *e = p->times[t];
        if (e[0] < 0 || e[1] < 0 || e[0] >= M || e[1] >= M || e[3] < B || e[3] >= M)
            st = vfail(err, name, AT(times),
                       "alpha_index_times entry %d {%d, %d, %d, %d}: expected inputs in 0..%d and an output in %d..%d",
                       t + 1, e[0], e[1], e[2], e[3], M - 1, B, M - 1);
        else last[e[3]] = t + 1;
    }
    for (int t = 0; t < p->times_count && !st; t++) {
        const int *e = p->times[t];
        if (last[e[0]] > t || last[e[1]] > t)
            st = vfail(err, name, AT(times),
                       "alpha_index_times entry %d {%d, %d, %d, %d}: input moment %d is still being formed by entry %d "
                       "(a product may use only moments complete before it)",
                       t + 1, e[0], e[1], e[2], e[3], last[e[0]] > t ? e[0] : e[1],
                       last[e[0]] > t ? last[e[0]] : last[e[1]]);
    }
    for (int k = B; k < M && !st; k++)
        if (!last[k])
            st = vfail(err, name, AT(moments_count),
                       "moment %d of the alpha_moments_count = %d is neither basic nor the output of any "
                       "alpha_index_times entry",
                       k, M);
    free(last);
    if (st) return st;
    for (int k = 0; k < p->scalar_count; k++)
        if (p->mapping[k] < 0 || p->mapping[k] >= M)
            return vfail(err, name, AT(mapping), "alpha_moment_mapping item %d = %d: expected a moment in 0..%d",
                         k + 1, p->mapping[k], M - 1);
    return MTP_OK;
}

/* Atoms no closer than min_dist to each other: at most ((2 Rc + Rmin)/Rmin)^3
 * of them fit within the cutoff (sphere packing, loosely).  Capped for
 * min_dist -> 0, where the potential gives no density scale. */
static double neighbour_bound(const mtp_potential *p)
{
    double n = 1000;
    if (p->min_dist > 0) {
        double q = (2 * p->max_dist + p->min_dist) / p->min_dist, pack = q * q * q;
        if (pack < n) n = pack;
    }
    return n > 1 ? n : 1;
}

/* A trained potential must give finite numbers with headroom for every
 * neighbourhood it is made for: within [min_dist, max_dist) every Chebyshev
 * value is at most 1, so |Q_beta| <= sigma W^2 (W = max_dist - min_dist),
 * each basic moment is at most N max|f_mu|, and the products and the
 * linear combination bound the site energy.  The bound is loose (trained
 * MLIP-3 potentials stay below 1e15 eV); one above MTP_MAGNITUDE_LIMIT
 * means coefficients no fit produces and results that would overflow. */
static mtp_status check_magnitudes(const mtp_potential *p, const char *name, const mtp_pot_lines *lines,
                                   mtp_error *err)
{
    const int S = p->species_count, K = p->radial_funcs_count, R = p->radial_basis_size, M = p->moments_count;
    const double W = p->max_dist - p->min_dist, q_max = p->scaling * W * W, N = neighbour_bound(p);
    double *bound = mtp_calloc((size_t)M + (size_t)K, sizeof(double));
    if (!bound) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    double *f_max = bound + M;
    mtp_status st = MTP_OK;
    for (int s1 = 0; s1 < S && !st; s1++)
        for (int s2 = 0; s2 < S && !st; s2++)
            for (int mu = 0; mu < K && !st; mu++) {
                const double *c = p->radial_coeffs + ((size_t)(s1 * S + s2) * K + mu) * R;
                double sum = 0;
                for (int b = 0; b < R; b++) sum += fabs(c[b]);
                double f = q_max * sum;
                if (!(N * f <= MTP_MAGNITUDE_LIMIT))
                    st = vfail(err, name,
                               lines && lines->radial_rows ? lines->radial_rows[(s1 * S + s2) * K + mu] : 0,
                               "radial_coeffs block %d-%d row %d: with scaling %g over [%g, %g) this radial function "
                               "reaches %.3g, so %g neighbours give moments beyond %g: not a usable potential",
                               p->species_labels[s1], p->species_labels[s2], mu + 1, p->scaling, p->min_dist,
                               p->max_dist, f, N, MTP_MAGNITUDE_LIMIT);
                if (f > f_max[mu]) f_max[mu] = f;
            }
    for (int q = 0; q < p->basic_count && !st; q++) bound[q] = N * f_max[p->basic[q][0]];
    for (int t = 0; t < p->times_count && !st; t++) {
        const int *e = p->times[t];
        bound[e[3]] += fabs((double)e[2]) * bound[e[0]] * bound[e[1]];
    }
    double species_max = 0, energy = 0;
    for (int s = 0; s < S && !st; s++)
        if (!(fabs(p->species_coeffs[s]) <= MTP_MAGNITUDE_LIMIT))
            st = vfail(err, name, AT(species_coeffs), "species_coeffs item %d = %g: expected at most %g in magnitude",
                       s + 1, p->species_coeffs[s], MTP_MAGNITUDE_LIMIT);
        else if (fabs(p->species_coeffs[s]) > species_max)
            species_max = fabs(p->species_coeffs[s]);
    energy = species_max;
    for (int k = 0; k < p->scalar_count && !st; k++) {
        if (p->moment_coeffs[k] == 0) continue; /* adds nothing, whatever its moment's bound */
        energy += fabs(p->moment_coeffs[k]) * bound[p->mapping[k]];
        if (!(energy <= MTP_MAGNITUDE_LIMIT))
            st = vfail(err, name, AT(moment_coeffs),
                       "moment_coeffs item %d = %g times its moment (%d, bounded by %.3g for %g neighbours within "
                       "[%g, %g)) lets site energies reach %.3g eV, beyond %g: not a usable potential",
                       k + 1, p->moment_coeffs[k], p->mapping[k], bound[p->mapping[k]], N, p->min_dist, p->max_dist,
                       energy, MTP_MAGNITUDE_LIMIT);
    }
    free(bound);
    return st;
}

mtp_status mtp_potential_finalize(mtp_potential *p, const char *name, mtp_error *err)
{
    return mtp_potential_finalize_at(p, name, NULL, err);
}

mtp_status mtp_potential_finalize_at(mtp_potential *p, const char *name, const mtp_pot_lines *lines, mtp_error *err)
{
    if (!name) name = "<potential>";
    if (!(p->max_dist > 0) || !(p->max_dist <= MTP_MAX_CUTOFF))
        return vfail(err, name, AT(max_dist), "max_dist: expected a cutoff in (0, %g] A, found %g", MTP_MAX_CUTOFF,
                     p->max_dist);
    if (!(p->min_dist >= 0) || !(p->min_dist < p->max_dist))
        return vfail(err, name, AT(min_dist), "min_dist: expected 0 <= min_dist < max_dist = %g, found %g",
                     p->max_dist, p->min_dist);
    /* the Chebyshev argument and the forces divide by the width of the radial range */
    const double W = p->max_dist - p->min_dist;
    if (!(W >= MTP_MIN_RADIAL_RANGE))
        return vfail(err, name, AT(min_dist),
                     "min_dist = %.17g leaves a radial range of %g A below max_dist = %.17g: expected a range of "
                     "at least %g A",
                     p->min_dist, W, p->max_dist, MTP_MIN_RADIAL_RANGE);
    if (!(p->scaling > 0) || !isfinite(p->scaling) || !isfinite(p->scaling * W * W))
        return vfail(err, name, AT(scaling), "scaling: expected a finite positive number, found %g", p->scaling);
    if (p->radial_basis_size < 1 || p->radial_basis_size > 64)
        return vfail(err, name, AT(radial_basis_size), "radial_basis_size: expected 1..64, found %d",
                     p->radial_basis_size);
    if (p->radial_funcs_count < 1 || p->radial_funcs_count > MTP_MAX_RADIAL_FUNCS)
        return vfail(err, name, AT(radial_funcs_count), "radial_funcs_count: expected 1..%d, found %d",
                     MTP_MAX_RADIAL_FUNCS, p->radial_funcs_count);
    mtp_status st = check_basis(p, name, lines, err);
    if (st) return st;
    if (p->species_count < 0 || p->species_count > 128)
        return vfail(err, name, 0, "species_count must be 0..128, found %d", p->species_count);
    if (p->species_count > 0 && !p->species_labels) {
        p->species_labels = mtp_calloc((size_t)p->species_count, sizeof(int));
        if (!p->species_labels) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        for (int s = 0; s < p->species_count; s++) p->species_labels[s] = s;
    }
    for (int s = 0; s < p->species_count; s++)
        for (int t = 0; t < s; t++)
            if (p->species_labels[s] == p->species_labels[t])
                return vfail(err, name, AT(radial_coeffs), "species label %d appears twice", p->species_labels[s]);
    if (p->trained && (!p->radial_coeffs || !p->species_coeffs || !p->moment_coeffs || p->species_count < 1))
        return vfail(err, name, 0, "trained potential lacks coefficients");
    if (p->trained && (st = check_magnitudes(p, name, lines, err))) return st;
    mtp_plan_destroy(p->plan);
    p->plan = NULL;
    return mtp_plan_build(p, &p->plan, err);
}
#undef AT

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

mtp_status mtp_potential_cfg_species(const mtp_potential *p, const mtp_cfg *cfg, int *species, mtp_error *err)
{
    int any_label = 0;
    for (int i = 0; i < cfg->n_atoms && !any_label; i++) any_label = mtp_potential_species_index(p, cfg->types[i]) >= 0;
    for (int i = 0; i < cfg->n_atoms; i++) {
        int t = cfg->types[i];
        int s = any_label ? mtp_potential_species_index(p, t) : (t >= 0 && t < p->species_count ? t : -1);
        if (s < 0) {
            char labels[256] = "";
            for (int k = 0, len = 0; k < p->species_count && len < (int)sizeof labels; k++)
                len += snprintf(labels + len, sizeof labels - len, " %d", p->species_labels[k]);
            if (any_label)
                return mtp_fail(err, MTP_ERR_SPECIES, "atom %d has type %d, which the potential does not have "
                                "(species labels%s; a configuration that uses them must use them for every atom)",
                                i + 1, t, labels);
            return mtp_fail(err, MTP_ERR_SPECIES, "atom %d has type %d, which the potential does not have "
                            "(species labels%s, or relative types 0..%d)", i + 1, t, labels, p->species_count - 1);
        }
        species[i] = s;
    }
    return MTP_OK;
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
    if (!(scaling > 0) || !isfinite(scaling)) return mtp_fail(err, MTP_ERR_INVALID, "scaling must be finite and positive, not %g", scaling);
    p->scaling = scaling;
    return MTP_OK;
}

mtp_status mtp_potential_set_min_dist(mtp_potential *p, double d, mtp_error *err)
{
    /* the radial range the reader requires of every potential (potential files) */
    if (!(d >= 0 && d <= p->max_dist - MTP_MIN_RADIAL_RANGE))
        return mtp_fail(err, MTP_ERR_INVALID, "min_dist = %g: expected a value in [0, max_dist - %g A] = [0, %g]", d,
                        MTP_MIN_RADIAL_RANGE, p->max_dist - MTP_MIN_RADIAL_RANGE);
    p->min_dist = d;
    return MTP_OK;
}
