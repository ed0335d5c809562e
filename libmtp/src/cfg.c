/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration records: allocation, copying, features. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mtp_cfg_init(mtp_cfg *cfg) { memset(cfg, 0, sizeof *cfg); }

static void free_features(mtp_cfg *cfg)
{
    for (int i = 0; i < cfg->n_features; i++) {
        free(cfg->features[i].key);
        free(cfg->features[i].value);
    }
    free(cfg->features);
    cfg->features = NULL;
    cfg->n_features = 0;
}

void mtp_cfg_free(mtp_cfg *cfg)
{
    free(cfg->types);
    free(cfg->positions);
    free(cfg->forces);
    free(cfg->site_energies);
    free(cfg->charges);
    free(cfg->magmom);
    free(cfg->en_der_magmom);
    free(cfg->ghost);
    free(cfg->nbh_grades);
    free(cfg->force_weights);
    free_features(cfg);
    mtp_cfg_init(cfg);
}

/* The optional arrays: flag, address of the pointer, doubles per atom
 * (0 = one byte per atom). */
typedef struct { unsigned flag; size_t offset; int width; } optional_array;
static const optional_array OPTIONAL_ARRAYS[] = {
    {MTP_CFG_FORCES, offsetof(mtp_cfg, forces), 3},
    {MTP_CFG_SITE_ENERGIES, offsetof(mtp_cfg, site_energies), 1},
    {MTP_CFG_CHARGES, offsetof(mtp_cfg, charges), 1},
    {MTP_CFG_MAGMOM, offsetof(mtp_cfg, magmom), 3},
    {MTP_CFG_EN_DER_MAGMOM, offsetof(mtp_cfg, en_der_magmom), 3},
    {MTP_CFG_GHOST, offsetof(mtp_cfg, ghost), 0},
    {MTP_CFG_NBH_GRADES, offsetof(mtp_cfg, nbh_grades), 1},
    {MTP_CFG_FORCE_WEIGHTS, offsetof(mtp_cfg, force_weights), 1},
};
#define N_OPTIONAL (sizeof OPTIONAL_ARRAYS / sizeof OPTIONAL_ARRAYS[0])

static void **array_slot(mtp_cfg *cfg, const optional_array *oa)
{
    return (void **)((char *)cfg + oa->offset);
}

static size_t array_bytes(const optional_array *oa, int n)
{
    return oa->width ? (size_t)n * (size_t)oa->width * sizeof(double) : (size_t)n;
}

mtp_status mtp_cfg_alloc(mtp_cfg *cfg, int n, unsigned flags, mtp_error *err)
{
    if (n < 0 || n > MTP_MAX_ATOMS)
        return mtp_fail(err, MTP_ERR_INVALID, "invalid number of atoms %d", n);
    int *types = mtp_calloc((size_t)n, sizeof(int));
    double *pos = mtp_calloc((size_t)n * 3, sizeof(double));
    if (!types || !pos) {
        free(types);
        free(pos);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %d atoms", n);
    }
    free(cfg->types);
    free(cfg->positions);
    cfg->types = types;
    cfg->positions = pos;
    cfg->n_atoms = n;
    for (size_t k = 0; k < N_OPTIONAL; k++) {
        void **slot = array_slot(cfg, &OPTIONAL_ARRAYS[k]);
        free(*slot);
        *slot = NULL;
    }
    return mtp_cfg_add_array(cfg, flags, err);
}

mtp_status mtp_cfg_add_array(mtp_cfg *cfg, unsigned flags, mtp_error *err)
{
    for (size_t k = 0; k < N_OPTIONAL; k++) {
        const optional_array *oa = &OPTIONAL_ARRAYS[k];
        void **slot = array_slot(cfg, oa);
        if (!(flags & oa->flag) || *slot) continue;
        *slot = mtp_calloc(array_bytes(oa, cfg->n_atoms), 1);
        if (!*slot) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %d atoms", cfg->n_atoms);
    }
    return MTP_OK;
}

mtp_status mtp_cfg_copy(mtp_cfg *dst, const mtp_cfg *src, mtp_error *err)
{
    if (dst == src) return MTP_OK;
    mtp_cfg tmp;
    mtp_cfg_init(&tmp);
    unsigned flags = 0;
    for (size_t k = 0; k < N_OPTIONAL; k++)
        if (*array_slot((mtp_cfg *)src, &OPTIONAL_ARRAYS[k])) flags |= OPTIONAL_ARRAYS[k].flag;
    mtp_status st = mtp_cfg_alloc(&tmp, src->n_atoms, flags, err);
    if (st) return st;
    memcpy(tmp.types, src->types, (size_t)src->n_atoms * sizeof(int));
    memcpy(tmp.positions, src->positions, (size_t)src->n_atoms * 3 * sizeof(double));
    for (size_t k = 0; k < N_OPTIONAL; k++) {
        const optional_array *oa = &OPTIONAL_ARRAYS[k];
        void *s = *array_slot((mtp_cfg *)src, oa);
        if (s) memcpy(*array_slot(&tmp, oa), s, array_bytes(oa, src->n_atoms));
    }
    memcpy(tmp.lattice, src->lattice, sizeof tmp.lattice);
    tmp.has_energy = src->has_energy;
    tmp.energy = src->energy;
    tmp.has_stress = src->has_stress;
    memcpy(tmp.stress, src->stress, sizeof tmp.stress);
    for (int i = 0; i < src->n_features; i++) {
        st = mtp_cfg_set_feature(&tmp, src->features[i].key, src->features[i].value, err);
        if (st) {
            mtp_cfg_free(&tmp);
            return st;
        }
    }
    mtp_cfg_free(dst);
    *dst = tmp;
    return MTP_OK;
}

static int find_feature(const mtp_cfg *cfg, const char *key)
{
    for (int i = 0; i < cfg->n_features; i++)
        if (strcmp(cfg->features[i].key, key) == 0) return i;
    return -1;
}

const char *mtp_cfg_get_feature(const mtp_cfg *cfg, const char *key)
{
    int i = find_feature(cfg, key);
    return i < 0 ? NULL : cfg->features[i].value;
}

mtp_status mtp_cfg_fit_weights(const mtp_cfg *cfg, double w[3], mtp_error *err)
{
    static const char *const keys[] = {"Weight", "EnergyWeight", "ForceWeight", "StressWeight"};
    double x[4];
    w[0] = w[1] = w[2] = 1.0;
    for (int q = 0; q < 4; q++) {
        const char *v = mtp_cfg_get_feature(cfg, keys[q]);
        x[q] = 1.0;
        if (!v) continue;
        char *end;
        x[q] = strtod(v, &end);
        while (*end == ' ' || *end == '\t') end++;
        if (end == v || *end || !isfinite(x[q]) || x[q] < 0)
            return mtp_fail(err, MTP_ERR_INVALID, "feature %s = '%.40s' is not a non-negative number", keys[q], v);
    }
    if (cfg->force_weights)
        for (int i = 0; i < cfg->n_atoms; i++)
            if (!(cfg->force_weights[i] >= 0) || !isfinite(cfg->force_weights[i]))
                return mtp_fail(err, MTP_ERR_INVALID, "atom %d: force_weight %g is not a finite number >= 0", i + 1,
                                cfg->force_weights[i]);
    w[0] = x[0] * x[1];
    w[1] = x[0] * x[2];
    w[2] = x[0] * x[3];
    return MTP_OK;
}

mtp_status mtp_cfg_set_feature(mtp_cfg *cfg, const char *key, const char *value, mtp_error *err)
{
    char *v = mtp_strdup(value ? value : "");
    if (!v) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    int i = find_feature(cfg, key);
    if (i >= 0) {
        free(cfg->features[i].value);
        cfg->features[i].value = v;
        return MTP_OK;
    }
    char *k = mtp_strdup(key);
    mtp_feature *f = mtp_realloc(cfg->features, (size_t)cfg->n_features + 1, sizeof *f);
    if (!k || !f) {
        free(k);
        free(v);
        if (f) cfg->features = f;
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    cfg->features = f;
    f[cfg->n_features].key = k;
    f[cfg->n_features].value = v;
    cfg->n_features++;
    return MTP_OK;
}

mtp_status mtp_cfg_append_feature(mtp_cfg *cfg, const char *key, const char *value, mtp_error *err)
{
    int i = find_feature(cfg, key);
    if (i < 0) return mtp_cfg_set_feature(cfg, key, value, err);
    const char *old = cfg->features[i].value;
    size_t a = strlen(old), b = strlen(value ? value : "");
    char *v = malloc(a + b + 2);
    if (!v) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    memcpy(v, old, a);
    v[a] = '\n';
    memcpy(v + a + 1, value ? value : "", b + 1);
    free(cfg->features[i].value);
    cfg->features[i].value = v;
    return MTP_OK;
}

void mtp_cfg_remove_feature(mtp_cfg *cfg, const char *key)
{
    int i = find_feature(cfg, key);
    if (i < 0) return;
    free(cfg->features[i].key);
    free(cfg->features[i].value);
    memmove(cfg->features + i, cfg->features + i + 1,
            (size_t)(cfg->n_features - i - 1) * sizeof *cfg->features);
    cfg->n_features--;
}

static int row_nonzero(const double r[3]) { return r[0] != 0.0 || r[1] != 0.0 || r[2] != 0.0; }

int mtp_cfg_periodic_dims(const mtp_cfg *cfg)
{
    int n = 0;
    for (int a = 0; a < 3; a++) n += row_nonzero(cfg->lattice[a]);
    return n;
}

double mtp_cfg_volume(const mtp_cfg *cfg)
{
    const double(*L)[3] = cfg->lattice;
    double det = L[0][0] * (L[1][1] * L[2][2] - L[1][2] * L[2][1]) -
                 L[0][1] * (L[1][0] * L[2][2] - L[1][2] * L[2][0]) +
                 L[0][2] * (L[1][0] * L[2][1] - L[1][1] * L[2][0]);
    return fabs(det);
}
