/* Extrapolation grades from the MaxVol active set stored in an .almtp
 * (MLIP-3 "MVS_v1.1" section; spec mlip-compat.md §2.6 and §5). */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mtp_grader {
    const mtp_potential *pot;
    mtp_calculator *calc;
    int n;                  /* parameters */
    mtp_grade_mode mode;
    double energy_weight;
    int weight_scaling;
    const double *ainv_t;   /* [n][n] (A^-1)^T, inside the potential's section */
    double *row, *sum;      /* [n] */
};

mtp_status mtp_grader_create(const mtp_potential *pot, mtp_grader **out, mtp_error *err)
{
    *out = NULL;
    mtp_mvs_header h;
    mtp_status hs = mtp_mvs_header_read(pot, &h, err);
    if (hs) return hs;
    int n = mtp_potential_param_count(pot);
    mtp_grader *g = mtp_calloc(1, sizeof *g);
    if (!g) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    g->pot = pot;
    g->n = n;
    g->mode = h.mode;
    g->energy_weight = h.energy_weight;
    g->weight_scaling = h.weight_scaling;
    g->ainv_t = (const double *)(const void *)(pot->al_section + h.matrices + (size_t)n * n * sizeof(double));
    g->row = mtp_calloc((size_t)n, sizeof(double));
    g->sum = mtp_calloc((size_t)n, sizeof(double));
    mtp_status st = g->row && g->sum ? mtp_calculator_create(pot, &g->calc, err)
                                     : mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    if (st) {
        mtp_grader_destroy(g);
        return st;
    }
    *out = g;
    return MTP_OK;
}

void mtp_grader_destroy(mtp_grader *g)
{
    if (!g) return;
    mtp_calculator_destroy(g->calc);
    free(g->row);
    free(g->sum);
    free(g);
}

mtp_grade_mode mtp_grader_mode(const mtp_grader *g) { return g->mode; }

double mtp_grade_site_row(const mtp_grader *g, const double *row)
{
    /* c_j = sum_k b_k (A^-1)_kj = row . (A^-1)^T[j];  gamma = max |c_j| */
    double best = 0;
    const int n = g->n;
    for (int j = 0; j < n; j++) {
        const double *t = g->ainv_t + (size_t)j * n;
        double c = 0;
        for (int k = 0; k < n; k++) {
            double tk;
            memcpy(&tk, t + k, sizeof tk); /* the section is not 8-byte aligned */
            c += row[k] * tk;
        }
        if (fabs(c) > best) best = fabs(c);
    }
    return best;
}

double mtp_grade_cfg_row(const mtp_grader *g, const double *row_sum, long n_atoms)
{
    /* the row is energy_weight / N^(p/2) * sum of site rows; gamma is linear in it */
    double scale = g->energy_weight / pow((double)n_atoms, 0.5 * g->weight_scaling);
    return fabs(scale) * mtp_grade_site_row(g, row_sum);
}

mtp_status mtp_grade(mtp_grader *g, const mtp_cfg *cfg, double *grade, double *atom_grades, mtp_error *err)
{
    mtp_calculator *c = g->calc;
    const mtp_potential *p = g->pot;
    const int n = cfg->n_atoms;
    *grade = 0;
    if (n == 0) return MTP_OK;
    int *sp = mtp_calloc((size_t)n, sizeof(int));
    if (!sp) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    mtp_status st = MTP_OK;
    for (int i = 0; i < n && !st; i++)
        if ((sp[i] = mtp_potential_species_index(p, cfg->types[i])) < 0)
            st = mtp_fail(err, MTP_ERR_SPECIES, "atom %d has type %d, which the potential does not have", i + 1,
                          cfg->types[i]);
    if (!st) st = mtp_nlist_build(&c->nl, cfg, p->max_dist, err);
    int *nsp = NULL;
    if (!st && !(nsp = mtp_calloc((size_t)(c->nl.n_pairs ? c->nl.n_pairs : 1), sizeof(int))))
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    for (long k = 0; !st && k < c->nl.n_pairs; k++) nsp[k] = sp[c->nl.index[k]];
    memset(g->sum, 0, (size_t)g->n * sizeof(double));
    long n_real = 0;
    for (int i = 0; i < n && !st; i++) {
        /* ghost atoms (MLIP-3 sub-domain halos) are neighbours only */
        if (cfg->ghost && cfg->ghost[i]) {
            if (atom_grades) atom_grades[i] = 0;
            continue;
        }
        n_real++;
        long o = c->nl.offset[i];
        st = mtp_site_eval(c, sp[i], (int)(c->nl.offset[i + 1] - o), nsp + o, c->nl.rij + 3 * o, NULL, NULL, NULL,
                           g->row, err);
        if (st) break;
        if (g->mode == MTP_GRADE_NEIGHBORHOOD) {
            double gi = mtp_grade_site_row(g, g->row);
            if (atom_grades) atom_grades[i] = gi;
            if (gi > *grade) *grade = gi;
        } else {
            for (int k = 0; k < g->n; k++) g->sum[k] += g->row[k];
        }
    }
    if (!st && g->mode == MTP_GRADE_CONFIGURATION && n_real > 0) *grade = mtp_grade_cfg_row(g, g->sum, n_real);
    free(sp);
    free(nsp);
    return st;
}
