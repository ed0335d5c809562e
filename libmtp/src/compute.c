/* SPDX-License-Identifier: BSD-3-Clause */
/* Energies, forces and virials of whole configurations. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static mtp_status ensure_atoms(mtp_calculator *c, long n, mtp_error *err)
{
    if (n <= c->atoms_cap) return MTP_OK;
    int *s = mtp_realloc(c->species_of_atom, (size_t)n, sizeof(int));
    if (s) c->species_of_atom = s;
    double *e = mtp_realloc(c->energies, (size_t)n, sizeof(double));
    if (e) c->energies = e;
    if (!s || !e) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    c->atoms_cap = n;
    return MTP_OK;
}

static mtp_status ensure_nbh(mtp_calculator *c, long n, mtp_error *err)
{
    if (n <= c->pairs_cap) return MTP_OK;
    long cap = c->pairs_cap ? c->pairs_cap : 64;
    while (cap < n) cap *= 2;
    int *s = mtp_realloc(c->nbh_species, (size_t)cap, sizeof(int));
    if (s) c->nbh_species = s;
    double *d = mtp_realloc(c->d_rij, (size_t)cap * 3, sizeof(double));
    if (d) c->d_rij = d;
    if (!s || !d) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    c->pairs_cap = cap;
    return MTP_OK;
}

mtp_status mtp_compute(mtp_calculator *c, const mtp_cfg *cfg, double *energy, double *forces, double *virial,
                       double *site_energies, double *site_virials, mtp_error *err)
{
    const mtp_potential *p = c->pot;
    const int n = cfg->n_atoms;
    if (!p->trained) return mtp_fail(err, MTP_ERR_UNTRAINED, "the potential has no coefficients (train it first)");
    if (n < 0) return mtp_fail(err, MTP_ERR_INVALID, "negative atom count");
    mtp_status st = ensure_atoms(c, n > 0 ? n : 1, err);
    if (st) return st;
    if ((st = mtp_potential_cfg_species(p, cfg, c->species_of_atom, err))) return st;
    st = mtp_nlist_build(&c->nl, cfg, p->max_dist, err);
    if (st) return st;
    const mtp_nlist *nl = &c->nl;

    mtp_compute_stats stats = {nl->n_pairs, 0, INFINITY, 0};
    for (long k = 0; k < nl->n_pairs; k++) {
        const double *d = nl->rij + 3 * k;
        double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        if (r < stats.closest) stats.closest = r;
        if (r < p->min_dist) stats.n_close_pairs++;
    }
    c->stats = stats;
    if (stats.n_close_pairs && c->policy == MTP_MIN_DIST_REFUSE)
        return mtp_fail(err, MTP_ERR_GEOMETRY,
                        "%ld atom pairs are closer than the potential's min_dist %.4f A (closest %.4f A)",
                        stats.n_close_pairs, p->min_dist, stats.closest);

    int want_d = forces || virial || site_virials;
    long P = nl->n_pairs;
    st = ensure_nbh(c, P > 0 ? P : 1, err);
    if (st) return st;
    for (long k = 0; k < P; k++) c->nbh_species[k] = c->species_of_atom[nl->index[k]];
    for (int i = 0; i < n; i++) {
        long m = nl->offset[i + 1] - nl->offset[i];
        if (m > c->stats.max_neighbours) c->stats.max_neighbours = (int)m;
    }
    /* no pair in the cutoff: the list has no rij array, and the kernel's
     * `rij + 3 * offset` on NULL is undefined behaviour (found by fuzz_train_data) */
    static const double no_pairs[3];
    st = mtp_sites_eval(c, n, c->species_of_atom, nl->offset, c->nbh_species, nl->rij ? nl->rij : no_pairs,
                        c->energies, want_d ? c->d_rij : NULL, NULL, err);
    if (st) return st;
    if (forces) memset(forces, 0, (size_t)n * 3 * sizeof(double));
    if (site_virials) memset(site_virials, 0, (size_t)n * 9 * sizeof(double));
    double W[9] = {0};
    double E = 0;
    for (int i = 0; i < n; i++) {
        E += c->energies[i];
        if (site_energies) site_energies[i] = c->energies[i];
        if (!want_d) continue;
        for (long k = nl->offset[i]; k < nl->offset[i + 1]; k++) {
            const double *D = c->d_rij + 3 * k, *r = nl->rij + 3 * k;
            int j = nl->index[k];
            if (forces)
                for (int a = 0; a < 3; a++) {
                    forces[3 * i + a] += D[a];
                    forces[3 * j + a] -= D[a];
                }
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) {
                    double w = -D[a] * r[b];
                    W[3 * a + b] += w;
                    if (site_virials) {
                        site_virials[9 * i + 3 * a + b] += 0.5 * w;
                        site_virials[9 * j + 3 * a + b] += 0.5 * w;
                    }
                }
        }
    }
    if (energy) *energy = E;
    if (virial) {
        /* W is symmetric up to round-off for a rotation-invariant energy */
        virial[0] = W[0];
        virial[1] = W[4];
        virial[2] = W[8];
        virial[3] = 0.5 * (W[5] + W[7]);
        virial[4] = 0.5 * (W[2] + W[6]);
        virial[5] = 0.5 * (W[1] + W[3]);
    }
    return MTP_OK;
}

mtp_status mtp_cfg_min_distance(const mtp_cfg *cfg, double radius, double *overall, int n_types, double *pair_min,
                                mtp_error *err)
{
    *overall = INFINITY;
    if (pair_min)
        for (int k = 0; k < n_types * n_types; k++) pair_min[k] = INFINITY;
    mtp_nlist nl;
    mtp_nlist_init(&nl);
    mtp_status st = mtp_nlist_build(&nl, cfg, radius, err);
    if (!st) {
        for (int i = 0; i < cfg->n_atoms; i++)
            for (long k = nl.offset[i]; k < nl.offset[i + 1]; k++) {
                const double *d = nl.rij + 3 * k;
                double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
                if (r < *overall) *overall = r;
                int ti = cfg->types[i], tj = cfg->types[nl.index[k]];
                if (pair_min && ti >= 0 && tj >= 0 && ti < n_types && tj < n_types && r < pair_min[ti * n_types + tj])
                    pair_min[ti * n_types + tj] = r;
            }
    }
    mtp_nlist_free(&nl);
    return st;
}
