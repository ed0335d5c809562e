/* MaxVol active set over training configurations (spec mlip-compat.md §5.3)
 * and its MLIP-3 "MVS_v1.1" serialisation (§2.6). */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct candidate {
    int cfg;   /* index into the input configurations, -1 = initial eps row */
    int eqn;   /* MLIP equation number (§5.1), or the unit vector's index    */
} candidate;

typedef struct row_set {
    int n;            /* parameters */
    long count, cap;
    double *rows;     /* [count][n] */
    candidate *who;   /* [count]    */
} row_set;

static mtp_status push_row(row_set *rs, const double *row, int cfg, int eqn, mtp_error *err)
{
    if (rs->count == rs->cap) {
        long ncap = rs->cap ? 2 * rs->cap : 256;
        double *r = mtp_realloc(rs->rows, (size_t)ncap * rs->n, sizeof(double));
        if (r) rs->rows = r;
        candidate *w = mtp_realloc(rs->who, (size_t)ncap, sizeof *w);
        if (w) rs->who = w;
        if (!r || !w) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %ld active-set candidates", ncap);
        rs->cap = ncap;
    }
    memcpy(rs->rows + (size_t)rs->count * rs->n, row, (size_t)rs->n * sizeof(double));
    rs->who[rs->count].cfg = cfg;
    rs->who[rs->count].eqn = eqn;
    rs->count++;
    return MTP_OK;
}

/* Candidate rows of one configuration: site rows (neighbourhood mode) or
 * the scaled energy row (configuration mode). */
static mtp_status cfg_rows(mtp_calculator *c, const mtp_cfg *cfg, int index, const mtp_active_set_options *o,
                           row_set *rs, double *row, double *sum, mtp_error *err)
{
    const mtp_potential *p = c->pot;
    const int n = cfg->n_atoms, P = rs->n;
    if (n == 0) return MTP_OK;
    mtp_status st = MTP_OK;
    int *sp = mtp_calloc((size_t)n, sizeof(int));
    if (!sp) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n && !st; i++)
        if ((sp[i] = mtp_potential_species_index(p, cfg->types[i])) < 0)
            st = mtp_fail(err, MTP_ERR_SPECIES, "configuration %d, atom %d: type %d is not in the potential", index + 1,
                          i + 1, cfg->types[i]);
    if (!st) st = mtp_nlist_build(&c->nl, cfg, p->max_dist, err);
    int *nsp = NULL;
    if (!st && !(nsp = mtp_calloc((size_t)(c->nl.n_pairs ? c->nl.n_pairs : 1), sizeof(int))))
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    for (long k = 0; !st && k < c->nl.n_pairs; k++) nsp[k] = sp[c->nl.index[k]];
    memset(sum, 0, (size_t)P * sizeof(double));
    for (int i = 0; i < n && !st; i++) {
        long off = c->nl.offset[i];
        st = mtp_site_eval(c, sp[i], (int)(c->nl.offset[i + 1] - off), nsp + off, c->nl.rij + 3 * off, NULL, NULL,
                           NULL, row, err);
        if (st) break;
        if (o->mode == MTP_GRADE_NEIGHBORHOOD) st = push_row(rs, row, index, 3 * n + 10 + i, err);
        else
            for (int k = 0; k < P; k++) sum[k] += row[k];
    }
    if (!st && o->mode == MTP_GRADE_CONFIGURATION) {
        double scale = 1.0 / pow((double)n, 0.5 * o->weight_scaling);
        for (int k = 0; k < P; k++) sum[k] *= scale;
        st = push_row(rs, sum, index, 0, err);
    }
    free(sp);
    free(nsp);
    return st;
}

/* Append bytes to a growing buffer. */
typedef struct bytes {
    unsigned char *p;
    size_t len, cap;
    int failed;
} bytes;

static void put(bytes *b, const void *data, size_t n)
{
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t ncap = b->cap ? b->cap : 1 << 16;
        while (ncap < b->len + n) ncap *= 2;
        unsigned char *q = realloc(b->p, ncap);
        if (!q) {
            b->failed = 1;
            return;
        }
        b->p = q;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void putf(bytes *b, const char *fmt, ...) MTP_PRINTF(2, 3);
static void putf(bytes *b, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0) put(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

mtp_status mtp_active_set_select(mtp_potential *pot, const mtp_cfg *cfgs, int count,
                                 const mtp_active_set_options *opt, int *n_selected, mtp_error *err)
{
    mtp_active_set_options o = {MTP_GRADE_NEIGHBORHOOD, 1.001, 1e-6, 2};
    if (opt) o = *opt;
    if (o.threshold == 0) o.threshold = 1.001;
    if (o.init_value == 0) o.init_value = 1e-6;
    if (o.weight_scaling < 0) o.weight_scaling = 2;
    if (o.mode != MTP_GRADE_NEIGHBORHOOD && o.mode != MTP_GRADE_CONFIGURATION)
        return mtp_fail(err, MTP_ERR_INVALID, "unknown active-set mode");
    if (!(o.threshold > 1)) return mtp_fail(err, MTP_ERR_INVALID, "the selection threshold must be > 1");
    if (!pot->trained) return mtp_fail(err, MTP_ERR_UNTRAINED, "the potential has no coefficients");
    const int P = mtp_potential_param_count(pot);
    mtp_calculator *c = NULL;
    row_set cand = {P, 0, 0, NULL, NULL};
    double *row = mtp_calloc((size_t)P, sizeof(double)), *sum = mtp_calloc((size_t)P, sizeof(double));
    double *A = mtp_calloc((size_t)P * P, sizeof(double)), *Ainv = mtp_calloc((size_t)P * P, sizeof(double));
    candidate *slot = mtp_calloc((size_t)P, sizeof *slot);
    double *C = NULL, *colj = mtp_calloc((size_t)P, sizeof(double)), *ci = mtp_calloc((size_t)P, sizeof(double));
    int *owner_count = NULL;
    bytes out = {0};
    mtp_status st = row && sum && A && Ainv && slot && colj && ci ? mtp_calculator_create(pot, &c, err)
                                                                    : mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    for (int k = 0; !st && k < count; k++) st = cfg_rows(c, &cfgs[k], k, &o, &cand, row, sum, err);
    if (st) goto done;

    /* A = eps I, A^-1 = I / eps; row r initially "unit vector r" (link -1 -1) */
    for (int r = 0; r < P; r++) {
        A[(size_t)r * P + r] = o.init_value;
        Ainv[(size_t)r * P + r] = 1.0 / o.init_value;
        slot[r].cfg = -1;
        slot[r].eqn = r;
    }
    const long m = cand.count;
    if (!(C = mtp_calloc((size_t)(m ? m : 1) * P, sizeof(double)))) {
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %ld x %d active-set candidates", m, P);
        goto done;
    }
    /* C = B A^-1 = B / eps initially */
    for (size_t k = 0; k < (size_t)m * P; k++) C[k] = cand.rows[k] / o.init_value;
    for (long swaps = 0; swaps < 100L * P + 1000; swaps++) {
        long i0 = -1;
        int j0 = -1;
        double best = o.threshold;
        for (long i = 0; i < m; i++)
            for (int j = 0; j < P; j++) {
                double v = fabs(C[(size_t)i * P + j]);
                if (v > best) {
                    best = v;
                    i0 = i;
                    j0 = j;
                }
            }
        if (i0 < 0) break;
        const double t = C[(size_t)i0 * P + j0];
        /* ci = C_i0 - e_j0 ; colj = A^-1[:, j0] */
        memcpy(ci, C + (size_t)i0 * P, (size_t)P * sizeof(double));
        ci[j0] -= 1.0;
        for (int r = 0; r < P; r++) colj[r] = Ainv[(size_t)r * P + j0];
        for (int r = 0; r < P; r++) {
            double f = colj[r] / t;
            if (f != 0)
                for (int k = 0; k < P; k++) Ainv[(size_t)r * P + k] -= f * ci[k];
        }
        for (long y = 0; y < m; y++) {
            if (y == i0) continue;
            double f = C[(size_t)y * P + j0] / t;
            if (f != 0)
                for (int k = 0; k < P; k++) C[(size_t)y * P + k] -= f * ci[k];
        }
        /* the swapped-out row becomes candidate i0 */
        for (int k = 0; k < P; k++) C[(size_t)i0 * P + k] = -ci[k] / t;
        C[(size_t)i0 * P + j0] += 1.0;
        double *b = cand.rows + (size_t)i0 * P, *a = A + (size_t)j0 * P;
        for (int k = 0; k < P; k++) {
            double tmp = a[k];
            a[k] = b[k];
            b[k] = tmp;
        }
        candidate tw = cand.who[i0];
        cand.who[i0] = slot[j0];
        slot[j0] = tw;
    }

    /* configurations that own active rows, in input order */
    owner_count = mtp_calloc((size_t)(count ? count : 1), sizeof(int));
    int *stored_index = mtp_calloc((size_t)(count ? count : 1), sizeof(int));
    if (!owner_count || !stored_index) {
        free(stored_index);
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int r = 0; r < P; r++)
        if (slot[r].cfg >= 0) owner_count[slot[r].cfg]++;
    int n_stored = 0;
    for (int k = 0; k < count; k++) stored_index[k] = owner_count[k] ? n_stored++ : -1;

    /* MVS_v1.1 section */
    int site = o.mode == MTP_GRADE_NEIGHBORHOOD;
    putf(&out, "#MVS_v1.1\n");
    putf(&out, "energy_weight %.16e\n", site ? 0.0 : 1.0);
    putf(&out, "force_weight %.16e\n", 0.0);
    putf(&out, "stress_weight %.16e\n", 0.0);
    putf(&out, "site_en_weight %.16e\n", site ? 1.0 : 0.0);
    putf(&out, "weight_scaling %d\n#", o.weight_scaling);
    put(&out, A, (size_t)P * P * sizeof(double));
    for (int r = 0; r < P; r++) /* (A^-1)^T row-major */
        for (int k = 0; k < P; k++) put(&out, &Ainv[(size_t)k * P + r], sizeof(double));
    putf(&out, "\n#\n");
    for (int r = 0; r < P; r++) {
        if (slot[r].cfg < 0) putf(&out, "-1 -1\n");
        else putf(&out, "%d %d\n", stored_index[slot[r].cfg], slot[r].eqn);
    }
    putf(&out, "#\n");
    int *eqns = mtp_calloc((size_t)P, sizeof(int));
    for (int k = 0; k < count && eqns && !st; k++) {
        if (!owner_count[k]) continue;
        int ne = 0;
        for (int r = 0; r < P; r++)
            if (slot[r].cfg == k) eqns[ne++] = slot[r].eqn;
        qsort(eqns, (size_t)ne, sizeof(int), cmp_int);
        char *list = malloc((size_t)ne * 12 + 1);
        if (!list) {
            st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
            break;
        }
        size_t len = 0;
        for (int e = 0; e < ne; e++) len += (size_t)sprintf(list + len, e ? ",%d" : "%d", eqns[e]);
        mtp_cfg copy;
        mtp_cfg_init(&copy);
        st = mtp_cfg_copy(&copy, &cfgs[k], err);
        if (!st) st = mtp_cfg_set_feature(&copy, "selected_eqn_inds", list, err);
        free(list);
        if (!st) {
            char *text = NULL;
            size_t tlen = 0;
            FILE *mem = open_memstream(&text, &tlen);
            mtp_write_options wo = {1, 1, NULL, 0};
            if (!mem) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
            else {
                st = mtp_write_cfg(mem, "<active set>", &copy, MTP_FORMAT_CFG, &wo, err);
                fclose(mem);
                put(&out, text, tlen);
                free(text);
            }
        }
        mtp_cfg_free(&copy);
    }
    free(eqns);
    free(stored_index);
    if (!st && out.failed) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    if (!st) {
        free(pot->al_section);
        pot->al_section = out.p;
        pot->al_size = out.len;
        out.p = NULL;
        if (n_selected) *n_selected = n_stored;
    }
done:
    free(out.p);
    free(owner_count);
    free(row);
    free(sum);
    free(A);
    free(Ainv);
    free(slot);
    free(C);
    free(colj);
    free(ci);
    free(cand.rows);
    free(cand.who);
    mtp_calculator_destroy(c);
    return st;
}
