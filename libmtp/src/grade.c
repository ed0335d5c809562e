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

/* "key value\n" at *pos; advances past the line. */
static int read_weight(const unsigned char *a, size_t size, size_t *pos, const char *key, double *value)
{
    size_t k = strlen(key);
    if (*pos + k + 1 > size || memcmp(a + *pos, key, k) != 0 || a[*pos + k] != ' ') return 0;
    const unsigned char *nl = memchr(a + *pos, '\n', size - *pos);
    if (!nl) return 0;
    char buf[64];
    size_t len = (size_t)(nl - (a + *pos + k + 1));
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, a + *pos + k + 1, len);
    buf[len] = '\0';
    if (!mtp_parse_double(buf, value)) return 0;
    *pos = (size_t)(nl - a) + 1;
    return 1;
}

mtp_status mtp_grader_create(const mtp_potential *pot, mtp_grader **out, mtp_error *err)
{
    *out = NULL;
    if (!pot->trained) return mtp_fail(err, MTP_ERR_UNTRAINED, "the potential has no coefficients");
    if (!pot->al_section)
        return mtp_fail(err, MTP_ERR_INVALID,
                        "the potential has no active-learning state (train it with MLIP-3 or `mtp train`, which store one)");
    const unsigned char *a = pot->al_section;
    size_t size = pot->al_size, pos = 0;
    static const char hdr[] = "#MVS_v1.1\n";
    if (size < sizeof hdr - 1 || memcmp(a, hdr, sizeof hdr - 1) != 0)
        return mtp_fail(err, MTP_ERR_UNSUPPORTED, "only the MLIP-3 active-learning format MVS_v1.1 is supported");
    pos = sizeof hdr - 1;
    double ew, fw, sw, siw, ws;
    if (!read_weight(a, size, &pos, "energy_weight", &ew) || !read_weight(a, size, &pos, "force_weight", &fw) ||
        !read_weight(a, size, &pos, "stress_weight", &sw) || !read_weight(a, size, &pos, "site_en_weight", &siw) ||
        !read_weight(a, size, &pos, "weight_scaling", &ws))
        return mtp_fail(err, MTP_ERR_PARSE, "active-learning section: malformed weights");
    int n = mtp_potential_param_count(pot);
    if (pos >= size || a[pos] != '#' || size - pos - 1 < 2 * (size_t)n * n * sizeof(double))
        return mtp_fail(err, MTP_ERR_PARSE, "active-learning section: truncated matrices");
    mtp_grade_mode mode;
    if (siw != 0) mode = MTP_GRADE_NEIGHBORHOOD;
    else if (fw != 0 || sw != 0)
        return mtp_fail(err, MTP_ERR_UNSUPPORTED,
                        "configuration-mode active set with force or stress rows is not supported (energy rows are)");
    else if (ew != 0) mode = MTP_GRADE_CONFIGURATION;
    else return mtp_fail(err, MTP_ERR_PARSE, "active-learning section: all weights are zero");
    mtp_grader *g = mtp_calloc(1, sizeof *g);
    if (!g) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    g->pot = pot;
    g->n = n;
    g->mode = mode;
    g->energy_weight = ew;
    g->weight_scaling = (int)ws;
    g->ainv_t = (const double *)(const void *)(a + pos + 1 + (size_t)n * n * sizeof(double));
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
    for (int i = 0; i < n && !st; i++) {
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
    if (!st && g->mode == MTP_GRADE_CONFIGURATION) *grade = mtp_grade_cfg_row(g, g->sum, n);
    free(sp);
    free(nsp);
    return st;
}
