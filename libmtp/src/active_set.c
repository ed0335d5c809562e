/* SPDX-License-Identifier: BSD-3-Clause */
/* The MaxVol active set as a handle (spec mlip-compat.md §5): which
 * configuration and equation owns each row of A, the queue of candidate
 * rows, MLIP-3's selection and a greedy one, and the "MVS_v1.1"
 * serialisation (§2.6).  The linear algebra is in maxvol.c. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct as_link {
    long entry; /* index into entries[], -1 = a row of the initial init_value * I */
    int eqn;    /* MLIP equation number (§5.1) */
} as_link;

/* ENTRY_OUT: owns no active row but some spare row (below), so it is kept:
 * its rows may come back in a later greedy selection. */
typedef enum { ENTRY_GONE = 0, ENTRY_MEMBER, ENTRY_QUEUED, ENTRY_OUT } entry_state;

typedef struct as_entry {
    mtp_cfg cfg;
    long tag;          /* the caller's, -1 for configurations loaded from a potential */
    entry_state state;
    int picked;        /* greedy selection: chosen in this call */
} as_entry;

struct mtp_active_set {
    const mtp_potential *pot;
    int n; /* parameters */
    mtp_grade_mode mode;
    double energy_weight, force_weight, stress_weight, site_en_weight;
    int weight_scaling;
    int fresh_inverse;        /* select_queued confirms with a fresh A^-1 */
    mtp_maxvol mv;
    as_link *slot;            /* [n]: owner of each active row */
    as_entry *entries;
    long n_entries, cap_entries;
    long *members;            /* entry indices of the members, in MLIP's order */
    long n_members;
    double *qrows;            /* queued candidate rows [q_count][n] */
    as_link *qlink;
    long q_count, q_cap;
    /* Greedy selections keep the rows that may come back (of chosen
     * configurations, and rows they displaced) for the next call, so that
     * several calls over parts of a pool choose as one call over all of it. */
    double *spare_rows;       /* [n_spare][n] */
    as_link *spare_link;
    long n_spare;
    mtp_calculator *calc;     /* for rows computed by mtp_active_set_queue */
};

/* ------------------------------------------------------------------ */
/* MVS_v1.1 header                                                     */
/* ------------------------------------------------------------------ */

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

/* Errors in a stored section name the file it was read from. */
static mtp_status section_fail(const mtp_potential *pot, mtp_error *err, const char *fmt, ...) MTP_PRINTF(3, 4);
static mtp_status section_fail(const mtp_potential *pot, mtp_error *err, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (pot->al_origin) return mtp_fail(err, MTP_ERR_PARSE, "%s: %s", pot->al_origin, msg);
    return mtp_fail(err, MTP_ERR_PARSE, "%s", msg);
}

mtp_status mtp_mvs_header_read(const mtp_potential *pot, mtp_mvs_header *h, mtp_error *err)
{
    memset(h, 0, sizeof *h);
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
    double ws;
    if (!read_weight(a, size, &pos, "energy_weight", &h->energy_weight) ||
        !read_weight(a, size, &pos, "force_weight", &h->force_weight) ||
        !read_weight(a, size, &pos, "stress_weight", &h->stress_weight) ||
        !read_weight(a, size, &pos, "site_en_weight", &h->site_en_weight) ||
        !read_weight(a, size, &pos, "weight_scaling", &ws))
        return section_fail(pot, err, "active-learning section: malformed weights");
    if (ws != floor(ws) || ws < 0 || ws > 2)
        return section_fail(pot, err, "active-learning section: weight_scaling must be 0, 1 or 2, not %g", ws);
    h->weight_scaling = (int)ws;
    int n = mtp_potential_param_count(pot);
    if (pos >= size || a[pos] != '#' || size - pos - 1 < 2 * (size_t)n * n * sizeof(double))
        return section_fail(pot, err, "active-learning section: truncated matrices");
    if (h->site_en_weight != 0) h->mode = MTP_GRADE_NEIGHBORHOOD;
    else if (h->force_weight != 0 || h->stress_weight != 0)
        return mtp_fail(err, MTP_ERR_UNSUPPORTED,
                        "configuration-mode active set with force or stress rows is not supported (energy rows are)");
    else if (h->energy_weight != 0) h->mode = MTP_GRADE_CONFIGURATION;
    else return section_fail(pot, err, "active-learning section: all weights are zero");
    h->matrices = pos + 1;
    h->after_matrices = h->matrices + 2 * (size_t)n * n * sizeof(double);
    return MTP_OK;
}

/* ------------------------------------------------------------------ */
/* Rows                                                                */
/* ------------------------------------------------------------------ */

static int real_atoms(const mtp_cfg *cfg)
{
    int n = 0;
    for (int i = 0; i < cfg->n_atoms; i++) n += !(cfg->ghost && cfg->ghost[i]);
    return n;
}

int mtp_active_set_row_count(const mtp_active_set *as, const mtp_cfg *cfg)
{
    int n = real_atoms(cfg);
    return as->mode == MTP_GRADE_NEIGHBORHOOD ? n : n > 0;
}

mtp_status mtp_active_set_rows(const mtp_active_set *as, mtp_calculator *c, const mtp_cfg *cfg, double *rows,
                               int *eqns, mtp_error *err)
{
    const mtp_potential *p = as->pot;
    const int n = cfg->n_atoms, P = as->n, n_real = real_atoms(cfg);
    if (n_real == 0) return MTP_OK;
    if (c->pot != p) return mtp_fail(err, MTP_ERR_INVALID, "the calculator belongs to another potential");
    mtp_status st = MTP_OK;
    int *sp = mtp_calloc((size_t)n, sizeof(int));
    enum { CHUNK = 64 }; /* sites per mtp_sites_eval call in configuration mode */
    double *row = mtp_calloc((size_t)CHUNK * P, sizeof(double)), *sum = mtp_calloc((size_t)P, sizeof(double));
    int *nsp = NULL;
    if (!sp || !row || !sum) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    if (!st) st = mtp_potential_cfg_species(p, cfg, sp, err);
    /* ghost atoms (MPI sub-domain halos written by MLIP-3's LAMMPS interface)
     * are neighbours only: no rows of their own, as in MLIP-3 */
    if (!st) st = mtp_nlist_build(&c->nl, cfg, p->max_dist, err);
    if (!st && !(nsp = mtp_calloc((size_t)(c->nl.n_pairs ? c->nl.n_pairs : 1), sizeof(int))))
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    for (long k = 0; !st && k < c->nl.n_pairs; k++) nsp[k] = sp[c->nl.index[k]];
    int site = 0;
    for (int i0 = 0; i0 < n && !st;) {
        if (cfg->ghost && cfg->ghost[i0]) {
            i0++;
            continue;
        }
        /* a run of real atoms, evaluated together (their neighbour lists are
         * consecutive); rows in atom order, as summed before */
        int i1 = i0 + 1;
        while (i1 < n && i1 - i0 < CHUNK && !(cfg->ghost && cfg->ghost[i1])) i1++;
        const int m = i1 - i0;
        double *out = as->mode == MTP_GRADE_NEIGHBORHOOD ? rows + (size_t)site * P : row;
        st = mtp_sites_eval(c, m, sp + i0, c->nl.offset + i0, nsp, c->nl.rij, NULL, NULL, out, NULL);
        if (st) { /* name the failing atom as the single-site kernel does */
            for (int i = i0; i < i1; i++) {
                long off = c->nl.offset[i];
                st = mtp_site_eval(c, sp[i], (int)(c->nl.offset[i + 1] - off), nsp + off, c->nl.rij + 3 * off, NULL,
                                   NULL, NULL, row, err);
                if (st) break;
            }
            if (!st) st = mtp_fail(err, MTP_ERR_INVALID, "atoms %d..%d could not be evaluated together", i0 + 1, i1);
            break;
        }
        for (int l = 0; l < m; l++, site++) {
            if (as->mode == MTP_GRADE_NEIGHBORHOOD) {
                if (eqns) eqns[site] = 3 * n_real + 10 + site;
            } else {
                for (int k = 0; k < P; k++) sum[k] += row[(size_t)l * P + k];
            }
        }
        i0 = i1;
    }
    if (!st && as->mode == MTP_GRADE_CONFIGURATION) {
        double scale = as->energy_weight / pow((double)n_real, 0.5 * as->weight_scaling);
        for (int k = 0; k < P; k++) rows[k] = sum[k] * scale;
        if (eqns) eqns[0] = 0;
    }
    free(sp);
    free(nsp);
    free(row);
    free(sum);
    return st;
}

double mtp_active_set_row_grade(const mtp_active_set *as, const double *row, double *scratch)
{
    return mtp_maxvol_grade(&as->mv, row, scratch);
}

void mtp_active_set_coeffs(const mtp_active_set *as, const double *rows, long m, double *C)
{
    mtp_maxvol_coeffs(&as->mv, rows, m, C);
}

int mtp_active_set_param_count(const mtp_active_set *as) { return as->n; }

mtp_status mtp_active_set_refresh(mtp_active_set *as, mtp_error *err) { return mtp_maxvol_refresh(&as->mv, err); }

void mtp_active_set_set_fresh_inverse(mtp_active_set *as, int on) { as->fresh_inverse = on != 0; }

/* ------------------------------------------------------------------ */
/* Handle                                                              */
/* ------------------------------------------------------------------ */

static mtp_status new_set(const mtp_potential *pot, double init_value, mtp_active_set **out, mtp_error *err)
{
    *out = NULL;
    if (!pot->trained) return mtp_fail(err, MTP_ERR_UNTRAINED, "the potential has no coefficients");
    mtp_active_set *as = mtp_calloc(1, sizeof *as);
    if (!as) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    as->pot = pot;
    as->n = mtp_potential_param_count(pot);
    mtp_status st = mtp_maxvol_init(&as->mv, as->n, init_value, err);
    if (!st && !(as->slot = mtp_calloc((size_t)as->n, sizeof *as->slot)))
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    if (!st) st = mtp_calculator_create(pot, &as->calc, err);
    if (st) {
        mtp_active_set_destroy(as);
        return st;
    }
    for (int r = 0; r < as->n; r++) {
        as->slot[r].entry = -1;
        as->slot[r].eqn = -1;
    }
    *out = as;
    return MTP_OK;
}

mtp_status mtp_active_set_create(const mtp_potential *pot, const mtp_active_set_options *opt, mtp_active_set **out,
                                 mtp_error *err)
{
    mtp_active_set_options o = {MTP_GRADE_NEIGHBORHOOD, 1.001, 1e-6, 2, 0};
    if (opt) o = *opt;
    if (o.init_value == 0) o.init_value = 1e-6;
    if (o.weight_scaling < 0) o.weight_scaling = 2;
    *out = NULL;
    if (o.mode != MTP_GRADE_NEIGHBORHOOD && o.mode != MTP_GRADE_CONFIGURATION)
        return mtp_fail(err, MTP_ERR_INVALID, "unknown active-set mode");
    if (o.weight_scaling > 2) return mtp_fail(err, MTP_ERR_INVALID, "weight_scaling must be 0, 1 or 2");
    mtp_status st = new_set(pot, o.init_value, out, err);
    if (st) return st;
    mtp_active_set *as = *out;
    as->mode = o.mode;
    as->weight_scaling = o.weight_scaling;
    as->fresh_inverse = o.fresh_inverse != 0;
    if (o.mode == MTP_GRADE_NEIGHBORHOOD) as->site_en_weight = 1;
    else as->energy_weight = 1;
    return MTP_OK;
}

void mtp_active_set_destroy(mtp_active_set *as)
{
    if (!as) return;
    for (long e = 0; e < as->n_entries; e++) mtp_cfg_free(&as->entries[e].cfg);
    free(as->entries);
    free(as->members);
    free(as->qrows);
    free(as->qlink);
    free(as->spare_rows);
    free(as->spare_link);
    free(as->slot);
    mtp_maxvol_free(&as->mv);
    mtp_calculator_destroy(as->calc);
    free(as);
}

mtp_grade_mode mtp_active_set_mode(const mtp_active_set *as) { return as->mode; }
int mtp_active_set_size(const mtp_active_set *as) { return (int)as->n_members; }
double mtp_active_set_log_volume(const mtp_active_set *as) { return as->mv.log_det; }

static mtp_status add_entry(mtp_active_set *as, const mtp_cfg *cfg, long tag, entry_state state, long *index,
                            mtp_error *err)
{
    if (as->n_entries == as->cap_entries) {
        long ncap = as->cap_entries ? 2 * as->cap_entries : 64;
        as_entry *e = mtp_realloc(as->entries, (size_t)ncap, sizeof *e);
        if (!e) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        as->entries = e;
        as->cap_entries = ncap;
    }
    as_entry *e = &as->entries[as->n_entries];
    memset(e, 0, sizeof *e);
    mtp_cfg_init(&e->cfg);
    mtp_status st = mtp_cfg_copy(&e->cfg, cfg, err);
    if (st) {
        mtp_cfg_free(&e->cfg);
        return st;
    }
    e->tag = tag;
    e->state = state;
    *index = as->n_entries++;
    return MTP_OK;
}

static mtp_status grow_queue(mtp_active_set *as, int m, mtp_error *err)
{
    const int P = as->n;
    if (as->q_count + m > as->q_cap) {
        long ncap = as->q_cap ? as->q_cap : 256;
        while (ncap < as->q_count + m) ncap *= 2;
        double *r = mtp_realloc(as->qrows, (size_t)ncap * P, sizeof(double));
        if (r) as->qrows = r;
        as_link *l = mtp_realloc(as->qlink, (size_t)ncap, sizeof *l);
        if (l) as->qlink = l;
        if (!r || !l)
            return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %ld candidate rows of %d parameters", ncap, P);
        as->q_cap = ncap;
    }
    return MTP_OK;
}

mtp_status mtp_active_set_queue(mtp_active_set *as, const mtp_cfg *cfg, long tag, const double *rows, mtp_error *err)
{
    const int P = as->n, m = mtp_active_set_row_count(as, cfg);
    if (m == 0) return MTP_OK; /* nothing to select (MLIP-3 skips such configurations too) */
    mtp_status gs = grow_queue(as, m, err);
    if (gs) return gs;
    double *dst = as->qrows + (size_t)as->q_count * P;
    int *eqns = mtp_calloc((size_t)m, sizeof(int));
    if (!eqns) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    mtp_status st = MTP_OK;
    if (rows) {
        memcpy(dst, rows, (size_t)m * P * sizeof(double));
        int nr = real_atoms(cfg);
        for (int k = 0; k < m; k++) eqns[k] = as->mode == MTP_GRADE_NEIGHBORHOOD ? 3 * nr + 10 + k : 0;
    } else {
        st = mtp_active_set_rows(as, as->calc, cfg, dst, eqns, err);
    }
    /* a NaN row would poison the MaxVol determinant of the whole set */
    for (size_t k = 0; !st && k < (size_t)m * P; k++)
        if (!isfinite(dst[k]))
            st = mtp_fail(err, MTP_ERR_INVALID, "non-finite selection row (the potential overflows here)");
    long e = -1;
    if (!st) st = add_entry(as, cfg, tag, ENTRY_QUEUED, &e, err);
    if (!st) {
        for (int k = 0; k < m; k++) {
            as->qlink[as->q_count + k].entry = e;
            as->qlink[as->q_count + k].eqn = eqns[k];
        }
        as->q_count += m;
    }
    free(eqns);
    return st;
}

/* After a selection: queued configurations owning rows join the members
 * (in queue order, after the surviving members, as MLIP-3 orders its
 * list), members without rows leave (but are kept while they have spare
 * rows); the queue is emptied. */
static mtp_status finish_selection(mtp_active_set *as, mtp_error *err)
{
    long *owned = mtp_calloc((size_t)(as->n_entries ? as->n_entries : 1), sizeof(long));
    long *members = mtp_calloc((size_t)(as->n_entries ? as->n_entries : 1), sizeof(long));
    if (!owned || !members) {
        free(owned);
        free(members);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    for (int r = 0; r < as->n; r++)
        if (as->slot[r].entry >= 0) owned[as->slot[r].entry] += 2;
    for (long i = 0; i < as->n_spare; i++)
        if (as->spare_link[i].entry >= 0) owned[as->spare_link[i].entry] |= 1; /* odd: has spare rows */
    long nm = 0;
    for (long k = 0; k < as->n_members; k++) {
        long e = as->members[k];
        if (owned[e] >= 2) members[nm++] = e;
    }
    for (long e = 0; e < as->n_entries; e++)
        if (as->entries[e].state == ENTRY_QUEUED && owned[e] >= 2) members[nm++] = e;
    for (long e = 0; e < as->n_entries; e++)
        if (as->entries[e].state == ENTRY_OUT && owned[e] >= 2) members[nm++] = e;
    for (long e = 0; e < as->n_entries; e++) {
        as_entry *en = &as->entries[e];
        if (en->state == ENTRY_GONE) continue;
        en->picked = 0;
        if (owned[e] >= 2) en->state = ENTRY_MEMBER;
        else if (owned[e]) en->state = ENTRY_OUT;
        else {
            en->state = ENTRY_GONE;
            mtp_cfg_free(&en->cfg);
        }
    }
    free(owned);
    free(as->members);
    as->members = members;
    as->n_members = nm;
    as->q_count = 0;
    return MTP_OK;
}

/* Largest |C| over the rows with eligible[i] (all rows if NULL), first in
 * row-major order among equals (as MLIP-3's search); *i0 = -1 if none
 * exceeds `above`. */
static double find_max(const double *C, long m, int n, const unsigned char *eligible, double above, long *i0, int *j0)
{
    double best = above;
    *i0 = -1;
    *j0 = -1;
    for (long i = 0; i < m; i++) {
        if (eligible && !eligible[i]) continue;
        const double *ci = C + (size_t)i * n;
        for (int j = 0; j < n; j++) {
            double v = fabs(ci[j]);
            if (v > best) {
                best = v;
                *i0 = i;
                *j0 = j;
            }
        }
    }
    return best;
}

static void swap_rows(mtp_active_set *as, double *C, long i0, int j0)
{
    mtp_maxvol_swap(&as->mv, as->qrows, C, as->q_count, i0, j0);
    as_link t = as->qlink[i0];
    as->qlink[i0] = as->slot[j0];
    as->slot[j0] = t;
}

static mtp_status coeffs_of_queue(mtp_active_set *as, double **C, mtp_error *err)
{
    *C = mtp_calloc((size_t)(as->q_count ? as->q_count : 1) * as->n, sizeof(double));
    if (!*C)
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %ld x %d candidate coefficients", as->q_count, as->n);
    mtp_maxvol_coeffs(&as->mv, as->qrows, as->q_count, *C);
    return MTP_OK;
}

mtp_status mtp_active_set_select_queued(mtp_active_set *as, double threshold, long swap_limit, long *n_swaps,
                                        mtp_error *err)
{
    if (n_swaps) *n_swaps = 0;
    if (!(threshold > 1)) return mtp_fail(err, MTP_ERR_INVALID, "the selection threshold must be > 1, not %g", threshold);
    as->n_spare = 0; /* MLIP-3 forgets displaced rows after each selection */
    if (as->q_count == 0) return finish_selection(as, err);
    double *C;
    mtp_status st = coeffs_of_queue(as, &C, err);
    if (st) return st;
    long swaps = 0;
    /* with fresh_inverse: whether A^-1 and C were computed afresh since the
     * last swap (a loaded A^-1 may carry the drift of earlier selections) */
    int fresh = 0;
    while (!st && (swap_limit <= 0 || swaps < swap_limit)) {
        long i0;
        int j0;
        find_max(C, as->q_count, as->n, NULL, threshold, &i0, &j0);
        if (i0 < 0) {
            if (!as->fresh_inverse || fresh) break;
            /* MLIP-3 stops here; its rank-one updates of A^-1 and C drift
             * when |det A| grows by many orders of magnitude, so rows it
             * judged <= threshold can grade above it against the set (as
             * the grader, from the stored A^-1, sees it): confirm with a
             * fresh inverse and go on swapping if any row exceeds it */
            if ((st = mtp_maxvol_refresh(&as->mv, err))) break;
            mtp_maxvol_coeffs(&as->mv, as->qrows, as->q_count, C);
            fresh = 1;
            continue;
        }
        swap_rows(as, C, i0, j0);
        swaps++;
        fresh = 0;
    }
    free(C);
    if (st) return st;
    if (n_swaps) *n_swaps = swaps;
    return finish_selection(as, err);
}

mtp_status mtp_active_set_select_greedy(mtp_active_set *as, double threshold, double stop_at, int max_picks,
                                        long *picked_tags, double *picked_grades, int *n_picked, mtp_error *err)
{
    *n_picked = 0;
    if (!(threshold > 1)) return mtp_fail(err, MTP_ERR_INVALID, "the selection threshold must be > 1, not %g", threshold);
    if (as->q_count == 0 || max_picks <= 0) return finish_selection(as, err);
    /* rows of configurations chosen by earlier calls and rows displaced then
     * take part again (never as candidates): no choice of this call can push
     * an earlier one back above the threshold unnoticed */
    if (as->n_spare) {
        mtp_status gs = grow_queue(as, (int)as->n_spare, err);
        if (gs) return gs;
        memcpy(as->qrows + (size_t)as->q_count * as->n, as->spare_rows, (size_t)as->n_spare * as->n * sizeof(double));
        memcpy(as->qlink + as->q_count, as->spare_link, (size_t)as->n_spare * sizeof(as_link));
        as->q_count += as->n_spare;
    }
    const long m = as->q_count;
    const int n = as->n;
    double *C = NULL, *grade = mtp_calloc((size_t)as->n_entries, sizeof(double));
    unsigned char *eligible = mtp_calloc((size_t)m, 1);
    mtp_status st = grade && eligible ? coeffs_of_queue(as, &C, err) : mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    double floor_grade = stop_at > threshold ? stop_at : threshold;
    long swaps_since_refresh = 0;
    while (!st && *n_picked < max_picks) {
        /* grades decide which configuration comes next: take them from a
         * fresh inverse once swaps have been made (the rank-one updates
         * drift when |det A| grows by many orders of magnitude) */
        if (swaps_since_refresh) {
            if ((st = mtp_maxvol_refresh(&as->mv, err))) break;
            mtp_maxvol_coeffs(&as->mv, as->qrows, m, C);
            swaps_since_refresh = 0;
        }
        /* the grade of each queued configuration not chosen yet: max |C| over the rows it still has */
        for (long e = 0; e < as->n_entries; e++) grade[e] = 0;
        for (long i = 0; i < m; i++) {
            long e = as->qlink[i].entry;
            if (e < 0 || as->entries[e].state != ENTRY_QUEUED || as->entries[e].picked) continue;
            const double *ci = C + (size_t)i * n;
            for (int j = 0; j < n; j++)
                if (fabs(ci[j]) > grade[e]) grade[e] = fabs(ci[j]);
        }
        long best = -1;
        double floor_now = *n_picked ? floor_grade : threshold; /* stop_at applies from the second choice on */
        for (long e = 0; e < as->n_entries; e++)
            if (grade[e] > floor_now && (best < 0 || grade[e] > grade[best])) best = e;
        if (best < 0) break;
        as->entries[best].picked = 1;
        picked_tags[*n_picked] = as->entries[best].tag;
        picked_grades[*n_picked] = grade[best];
        ++*n_picked;
        /* MaxVol restricted to the rows of the configurations chosen so far
         * and the rows they displaced (which may come back), until none
         * exceeds threshold: every chosen configuration keeps grading
         * <= threshold, so a duplicate of one is never chosen later */
        for (long i = 0; i < m; i++) {
            long e = as->qlink[i].entry;
            eligible[i] = e < 0 || as->entries[e].state != ENTRY_QUEUED || as->entries[e].picked;
        }
        for (;;) {
            long i0;
            int j0;
            find_max(C, m, n, eligible, threshold, &i0, &j0);
            if (i0 < 0) {
                if (!swaps_since_refresh) break;
                /* confirm with a fresh inverse that nothing is left */
                if ((st = mtp_maxvol_refresh(&as->mv, err))) break;
                mtp_maxvol_coeffs(&as->mv, as->qrows, m, C);
                swaps_since_refresh = 0;
                continue;
            }
            swap_rows(as, C, i0, j0);
            swaps_since_refresh++;
            eligible[i0] = 1; /* now holds the displaced row */
        }
    }
    if (!st) {
        /* keep for the next call every row that could come back */
        long ns = 0;
        for (long i = 0; i < m; i++) {
            long e = as->qlink[i].entry;
            ns += e < 0 || as->entries[e].state != ENTRY_QUEUED || as->entries[e].picked;
        }
        double *sr = mtp_calloc((size_t)(ns ? ns : 1) * n, sizeof(double));
        as_link *sl = mtp_calloc((size_t)(ns ? ns : 1), sizeof *sl);
        if (!sr || !sl) {
            free(sr);
            free(sl);
            st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %ld spare rows", ns);
        } else {
            long k = 0;
            for (long i = 0; i < m; i++) {
                long e = as->qlink[i].entry;
                if (!(e < 0 || as->entries[e].state != ENTRY_QUEUED || as->entries[e].picked)) continue;
                memcpy(sr + (size_t)k * n, as->qrows + (size_t)i * n, (size_t)n * sizeof(double));
                sl[k++] = as->qlink[i];
            }
            free(as->spare_rows);
            free(as->spare_link);
            as->spare_rows = sr;
            as->spare_link = sl;
            as->n_spare = ns;
        }
    }
    free(C);
    free(grade);
    free(eligible);
    if (st) return st;
    return finish_selection(as, err);
}

/* ------------------------------------------------------------------ */
/* Members                                                             */
/* ------------------------------------------------------------------ */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* "e1,e2,..." of the equations entry e owns, ascending (MLIP-3's std::set). */
static char *eqn_list(const mtp_active_set *as, long e)
{
    int *eqns = mtp_calloc((size_t)as->n, sizeof(int)), ne = 0;
    if (!eqns) return NULL;
    for (int r = 0; r < as->n; r++)
        if (as->slot[r].entry == e) eqns[ne++] = as->slot[r].eqn;
    qsort(eqns, (size_t)ne, sizeof(int), cmp_int);
    char *list = malloc((size_t)ne * 12 + 1);
    if (list) {
        size_t len = 0;
        list[0] = '\0';
        for (int k = 0; k < ne; k++) len += (size_t)sprintf(list + len, k ? ",%d" : "%d", eqns[k]);
    }
    free(eqns);
    return list;
}

mtp_status mtp_active_set_member(mtp_active_set *as, int k, const mtp_cfg **cfg, long *tag, mtp_error *err)
{
    if (k < 0 || k >= as->n_members)
        return mtp_fail(err, MTP_ERR_INVALID, "active-set member %d does not exist (%ld members)", k, as->n_members);
    long e = as->members[k];
    char *list = eqn_list(as, e);
    if (!list) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    mtp_status st = mtp_cfg_set_feature(&as->entries[e].cfg, "selected_eqn_inds", list, err);
    free(list);
    if (st) return st;
    if (cfg) *cfg = &as->entries[e].cfg;
    if (tag) *tag = as->entries[e].tag;
    return MTP_OK;
}

/* ------------------------------------------------------------------ */
/* Serialisation                                                       */
/* ------------------------------------------------------------------ */

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

mtp_status mtp_active_set_store(mtp_active_set *as, mtp_potential *pot, mtp_error *err)
{
    if (mtp_potential_param_count(pot) != as->n)
        return mtp_fail(err, MTP_ERR_INVALID, "the potential has %d parameters, the active set %d",
                        mtp_potential_param_count(pot), as->n);
    const int P = as->n;
    long *position = mtp_calloc((size_t)(as->n_entries ? as->n_entries : 1), sizeof(long));
    if (!position) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    for (long k = 0; k < as->n_members; k++) position[as->members[k]] = k;
    bytes out = {0};
    putf(&out, "#MVS_v1.1\n");
    putf(&out, "energy_weight %.16e\n", as->energy_weight);
    putf(&out, "force_weight %.16e\n", as->force_weight);
    putf(&out, "stress_weight %.16e\n", as->stress_weight);
    putf(&out, "site_en_weight %.16e\n", as->site_en_weight);
    putf(&out, "weight_scaling %d\n#", as->weight_scaling);
    put(&out, as->mv.A, (size_t)P * P * sizeof(double));
    for (int j = 0; j < P; j++) /* (A^-1)^T, row-major */
        for (int k = 0; k < P; k++) put(&out, &as->mv.ainv[(size_t)k * P + j], sizeof(double));
    putf(&out, "\n#\n");
    for (int r = 0; r < P; r++) {
        if (as->slot[r].entry < 0) putf(&out, "-1 -1\n");
        else putf(&out, "%ld %d\n", position[as->slot[r].entry], as->slot[r].eqn);
    }
    putf(&out, "#\n");
    free(position);
    mtp_status st = MTP_OK;
    for (long k = 0; k < as->n_members && !st; k++) {
        const mtp_cfg *cfg;
        st = mtp_active_set_member(as, (int)k, &cfg, NULL, err);
        if (st) break;
        char *text = NULL;
        size_t tlen = 0;
        FILE *mem = open_memstream(&text, &tlen);
        mtp_write_options wo = {1, 1, NULL, 0};
        if (!mem) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        else {
            st = mtp_write_cfg(mem, "<active set>", cfg, MTP_FORMAT_CFG, &wo, err);
            fclose(mem);
            put(&out, text, tlen);
            free(text);
        }
    }
    if (!st && out.failed) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    if (st) {
        free(out.p);
        return st;
    }
    free(pot->al_section);
    pot->al_section = out.p;
    pot->al_size = out.len;
    free(pot->al_origin); /* no longer the section of that file */
    pot->al_origin = NULL;
    return MTP_OK;
}

/* "<int> <int>\n" at *pos. */
static int read_link(const unsigned char *a, size_t size, size_t *pos, long *cfg, long *eqn)
{
    const unsigned char *nl = memchr(a + *pos, '\n', size - *pos);
    if (!nl) return 0;
    size_t len = (size_t)(nl - (a + *pos));
    char buf[64];
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, a + *pos, len);
    buf[len] = '\0';
    char *end;
    *cfg = strtol(buf, &end, 10);
    if (end == buf || *end != ' ') return 0;
    char *s = end + 1;
    *eqn = strtol(s, &end, 10);
    if (end == s || *end != '\0') return 0;
    *pos = (size_t)(nl - a) + 1;
    return 1;
}

mtp_status mtp_active_set_load(const mtp_potential *pot, mtp_active_set **out, mtp_error *err)
{
    *out = NULL;
    mtp_mvs_header h;
    mtp_status st = mtp_mvs_header_read(pot, &h, err);
    if (st) return st;
    mtp_active_set *as;
    if ((st = new_set(pot, 1e-6, &as, err))) return st;
    as->mode = h.mode;
    as->energy_weight = h.energy_weight;
    as->force_weight = h.force_weight;
    as->stress_weight = h.stress_weight;
    as->site_en_weight = h.site_en_weight;
    as->weight_scaling = h.weight_scaling;
    const int P = as->n;
    const unsigned char *a = pot->al_section;
    const size_t size = pot->al_size;
    memcpy(as->mv.A, a + h.matrices, (size_t)P * P * sizeof(double));
    const unsigned char *ainv_t = a + h.matrices + (size_t)P * P * sizeof(double);
    for (int j = 0; j < P; j++)
        for (int k = 0; k < P; k++) /* the section is not 8-byte aligned */
            memcpy(&as->mv.ainv[(size_t)k * P + j], ainv_t + ((size_t)j * P + k) * sizeof(double), sizeof(double));
    size_t pos = h.after_matrices;
    long *cfg_of = mtp_calloc((size_t)P, sizeof(long));
    if (!cfg_of) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    if (!st && (size - pos < 3 || memcmp(a + pos, "\n#\n", 3) != 0))
        st = section_fail(pot, err, "active-learning section: expected '#' after the matrices");
    pos += 3;
    long max_cfg = -1;
    for (int r = 0; r < P && !st; r++) {
        long c, e;
        if (!read_link(a, size, &pos, &c, &e))
            st = section_fail(pot, err, "active-learning section: row link %d of %d is not '<cfg> <eqn>'", r + 1, P);
        else if (c < -1 || (c == -1) != (e == -1) || e < -1 || e > 3L * MTP_MAX_ATOMS + 10L + MTP_MAX_ATOMS)
            st = section_fail(pot, err, "active-learning section: row link %d is '%ld %ld'", r + 1, c, e);
        else {
            cfg_of[r] = c;
            as->slot[r].eqn = (int)e;
            if (c > max_cfg) max_cfg = c;
        }
    }
    if (!st && (size - pos < 2 || memcmp(a + pos, "#\n", 2) != 0))
        st = section_fail(pot, err, "active-learning section: expected '#' after the row links");
    pos += 2;
    if (!st) {
        /* the stored configurations (text .cfg) */
        FILE *mem = fmemopen((void *)(a + pos), size - pos ? size - pos : 1, "r");
        mtp_reader *rd = NULL;
        mtp_cfg cfg;
        mtp_cfg_init(&cfg);
        if (!mem) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        else if (size > pos) {
            /* messages name the potential file and its lines when it came from one */
            st = mtp_reader_open_stream(mem, pot->al_origin ? pot->al_origin : "<active-set configurations>",
                                        MTP_FORMAT_CFG, NULL, &rd, err);
            if (!st && pot->al_origin) rd->lines.line_no = pot->al_cfg_line - 1;
        }
        while (!st && rd) {
            int got;
            if ((st = mtp_reader_next(rd, &cfg, &got, err)) || !got) break;
            /* MLIP-3 resets the grade of loaded configurations */
            long e;
            if (!(st = mtp_cfg_set_feature(&cfg, "MV_grade", "0", err)) &&
                !(st = add_entry(as, &cfg, -1, ENTRY_MEMBER, &e, err))) {
                long *m = mtp_realloc(as->members, (size_t)(as->n_members + 1), sizeof(long));
                if (!m) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
                else {
                    as->members = m;
                    as->members[as->n_members++] = e;
                }
            }
        }
        mtp_cfg_free(&cfg);
        mtp_reader_close(rd);
        if (mem) fclose(mem);
    }
    if (!st && max_cfg >= as->n_members)
        st = mtp_fail(err, MTP_ERR_PARSE,
                      "active-learning section: a row belongs to configuration %ld, but only %ld are stored", max_cfg,
                      as->n_members);
    for (int r = 0; r < P && !st; r++) as->slot[r].entry = cfg_of[r] < 0 ? -1 : as->members[cfg_of[r]];
    free(cfg_of);
    if (st) {
        mtp_active_set_destroy(as);
        return st;
    }
    /* log |det A| from an LU factorisation, for logs only */
    double *lu = mtp_calloc((size_t)P * P, sizeof(double));
    if (lu) {
        memcpy(lu, as->mv.A, (size_t)P * P * sizeof(double));
        double ld = 0;
        for (int k = 0; k < P; k++) {
            int piv = k;
            for (int i = k + 1; i < P; i++)
                if (fabs(lu[(size_t)i * P + k]) > fabs(lu[(size_t)piv * P + k])) piv = i;
            if (piv != k)
                for (int j = 0; j < P; j++) {
                    double t = lu[(size_t)k * P + j];
                    lu[(size_t)k * P + j] = lu[(size_t)piv * P + j];
                    lu[(size_t)piv * P + j] = t;
                }
            double d = lu[(size_t)k * P + k];
            if (d == 0) {
                ld = -INFINITY;
                break;
            }
            ld += log(fabs(d));
            for (int i = k + 1; i < P; i++) {
                double f = lu[(size_t)i * P + k] / d;
                if (f != 0)
                    for (int j = k; j < P; j++) lu[(size_t)i * P + j] -= f * lu[(size_t)k * P + j];
            }
        }
        as->mv.log_det = ld;
        free(lu);
    }
    *out = as;
    return MTP_OK;
}

/* ------------------------------------------------------------------ */
/* One-shot build (mtp train, mtp select)                              */
/* ------------------------------------------------------------------ */

mtp_status mtp_active_set_select(mtp_potential *pot, const mtp_cfg *cfgs, int count,
                                 const mtp_active_set_options *opt, int *n_selected, mtp_error *err)
{
    mtp_active_set_options o = {MTP_GRADE_NEIGHBORHOOD, 1.001, 1e-6, 2, 0};
    if (opt) o = *opt;
    if (o.threshold == 0) o.threshold = 1.001;
    mtp_active_set *as;
    mtp_status st = mtp_active_set_create(pot, &o, &as, err);
    for (int k = 0; !st && k < count; k++) st = mtp_active_set_queue(as, &cfgs[k], k, NULL, err);
    if (!st) st = mtp_active_set_select_queued(as, o.threshold, 0, NULL, err);
    if (!st) st = mtp_active_set_store(as, pot, err);
    if (!st && n_selected) *n_selected = mtp_active_set_size(as);
    mtp_active_set_destroy(as);
    return st;
}
