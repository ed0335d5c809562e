/* SPDX-License-Identifier: BSD-3-Clause */
/* Batch selection (mtp_select_add with max = N, `mtp select_add ... --max=N`): the N candidates that
 * enlarge the active set's volume most, chosen greedily from a pool that is
 * streamed (never held) from many files.
 *
 * One pass reads every candidate file in chunks; threads compute each
 * configuration's rows and grade against the current active set.  Only a
 * bounded buffer of the best configurations (whole, with all their rows) is
 * kept, in a min-heap by grade; for everything else just the largest grade
 * left outside the buffer (g_out) is remembered.  The buffered
 * configurations are then chosen greedily by the library (the best one,
 * its rows swapped in, grades updated, the next best ...) while the best
 * buffered grade exceeds g_out: grades only go down as the set grows (up to
 * rare exceptions), so such a choice is also the best of the whole pool.
 * When g_out wins, a new pass refreshes all grades.  Memory: the buffer,
 * one chunk of configurations with their rows, one flag per candidate. */
#include "select_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int all_finite(const double *x, long n)
{
    for (long i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

static mtp_status out_of_memory(mtp_error *err)
{
    if (err) {
        err->status = MTP_ERR_NOMEM;
        snprintf(err->message, sizeof err->message, "out of memory");
    }
    return MTP_ERR_NOMEM;
}

typedef struct pool_item {
    mtp_cfg cfg;
    long gid;          /* 0-based position in the pool (files in order) */
    int file;
    long index;        /* 0-based position in its file */
    double grade;
    double *rows;      /* [n_rows][P] */
    int n_rows;
} pool_item;

typedef struct chunk_work {
    const mtp_active_set *as;
    const mtp_potential *pot;
    pool_item *items;
    int n_items;
    int next;
    pthread_mutex_t mu;
    int failed;
    long failed_index;
    mtp_error err;
} chunk_work;

static void *grade_worker(void *arg)
{
    chunk_work *w = arg;
    const int P = mtp_active_set_param_count(w->as);
    mtp_calculator *calc = NULL;
    mtp_error err;
    double *C = NULL;
    size_t c_cap = 0;
    int ok = mtp_calculator_create(w->pot, &calc, &err) == MTP_OK;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        int i = ok && !w->failed ? w->next++ : w->n_items;
        pthread_mutex_unlock(&w->mu);
        if (i >= w->n_items) break;
        pool_item *it = &w->items[i];
        const int m = mtp_active_set_row_count(w->as, &it->cfg);
        it->grade = 0;
        if (m == 0) continue;
        if ((size_t)m * P > c_cap) {
            free(C);
            c_cap = (size_t)m * P;
            C = malloc(c_cap * sizeof(double));
        }
        it->rows = malloc((size_t)m * P * sizeof(double));
        if (!C || !it->rows) {
            c_cap = 0;
            snprintf(err.message, sizeof err.message, "out of memory for the rows of %d atoms", m);
            ok = 0;
            break;
        }
        if (mtp_active_set_rows(w->as, calc, &it->cfg, it->rows, NULL, &err)) {
            pthread_mutex_lock(&w->mu);
            if (!w->failed) {
                w->failed = 1;
                w->failed_index = it->index;
                w->err = err;
            }
            pthread_mutex_unlock(&w->mu);
            break;
        }
        it->n_rows = m;
        mtp_active_set_coeffs(w->as, it->rows, m, C);
        double g = 0;
        for (size_t k = 0; k < (size_t)m * P; k++) {
            double v = C[k] < 0 ? -C[k] : C[k];
            if (v > g) g = v;
        }
        /* a NaN would compare as "grade 0" and the candidate be silently dropped */
        if (!all_finite(C, (long)m * P) || !all_finite(it->rows, (long)m * P)) {
            pthread_mutex_lock(&w->mu);
            if (!w->failed) {
                w->failed = 1;
                w->failed_index = it->index;
                snprintf(w->err.message, sizeof w->err.message,
                         "non-finite extrapolation grade (the potential overflows here)");
            }
            pthread_mutex_unlock(&w->mu);
            break;
        }
        it->grade = g;
    }
    if (!ok) {
        pthread_mutex_lock(&w->mu);
        if (!w->failed) {
            w->failed = 1;
            w->failed_index = -1;
            w->err = err;
        }
        pthread_mutex_unlock(&w->mu);
    }
    free(C);
    mtp_calculator_destroy(calc);
    return NULL;
}

static void item_free(pool_item *it)
{
    mtp_cfg_free(&it->cfg);
    free(it->rows);
    it->rows = NULL;
    it->n_rows = 0;
}

/* Min-heap of buffered configurations by grade. */
typedef struct heap {
    pool_item *a;
    int n, cap;
    long rows;
} heap;

static void heap_swap(heap *h, int i, int j)
{
    pool_item t = h->a[i];
    h->a[i] = h->a[j];
    h->a[j] = t;
}

static void heap_push(heap *h, pool_item *it) /* h->n < h->cap */
{
    int i = h->n++;
    h->a[i] = *it;
    h->rows += it->n_rows;
    while (i > 0 && h->a[(i - 1) / 2].grade > h->a[i].grade) {
        heap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_pop(heap *h) /* frees the minimum */
{
    h->rows -= h->a[0].n_rows;
    item_free(&h->a[0]);
    h->a[0] = h->a[--h->n];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, s = i;
        if (l < h->n && h->a[l].grade < h->a[s].grade) s = l;
        if (r < h->n && h->a[r].grade < h->a[s].grade) s = r;
        if (s == i) break;
        heap_swap(h, i, s);
        i = s;
    }
}

typedef struct pass_stats {
    long graded, above;
    double best, outside;   /* best grade; best grade not kept in the buffer */
} pass_stats;

/* Offer a graded configuration to the buffer; takes it over or frees it. */
static void offer(heap *h, pool_item *it, long max_rows, double threshold, pass_stats *ps)
{
    if (it->grade > threshold) {
        ps->above++;
        /* make room by dropping weaker buffered ones; the buffer always takes one */
        while (h->n > 0 && h->a[0].grade < it->grade && (h->n == h->cap || h->rows + it->n_rows > max_rows)) {
            if (h->a[0].grade > ps->outside) ps->outside = h->a[0].grade;
            heap_pop(h);
        }
        if (h->n < h->cap && (h->n == 0 || h->rows + it->n_rows <= max_rows)) {
            heap_push(h, it);
            mtp_cfg_init(&it->cfg);
            it->rows = NULL;
            it->n_rows = 0;
            return;
        }
        if (it->grade > ps->outside) ps->outside = it->grade;
    }
    item_free(it);
}

/* One pass over the pool: grades of every candidate not chosen yet. */
static mtp_status grade_pass(mtp_active_set *as, const mtp_potential *pot, const char *const *files, int n_files,
                             mtp_format ifmt, const mtp_read_options *ropt, const mtp_select_options *o,
                             unsigned char **chosen, long *pool_size, heap *h, long max_rows, pass_stats *ps,
                             mtp_error *err)
{
    enum { CHUNK_CFGS = 64, CHUNK_ATOMS = 16384 };
    pool_item *items = calloc(CHUNK_CFGS, sizeof *items);
    pthread_t *tid = calloc((size_t)o->threads, sizeof *tid);
    if (!items || !tid) {
        free(items);
        free(tid);
        return out_of_memory(err);
    }
    for (int k = 0; k < CHUNK_CFGS; k++) mtp_cfg_init(&items[k].cfg);
    memset(ps, 0, sizeof *ps);
    long gid = 0;
    mtp_status rc = MTP_ERR_INVALID;
    for (int f = 0; f < n_files; f++) {
        mtp_reader *r = NULL;
        if ((rc = mtp_reader_open(files[f], ifmt, ropt, &r, err))) goto done;
        rc = MTP_ERR_INVALID;
        long index = 0;
        for (int eof = 0; !eof;) {
            int n = 0;
            long atoms = 0;
            while (n < CHUNK_CFGS && (n == 0 || atoms < CHUNK_ATOMS)) {
                int got;
                if ((rc = mtp_reader_next(r, &items[n].cfg, &got, err))) {
                    mtp_reader_close(r);
                    goto done;
                }
                if (!got) {
                    eof = 1;
                    break;
                }
                if (gid >= *pool_size) { /* first pass: the pool grows */
                    long ncap = *pool_size ? 2 * *pool_size : 1024;
                    unsigned char *c = realloc(*chosen, (size_t)ncap);
                    if (!c) {
                        rc = out_of_memory(err);
                        mtp_reader_close(r);
                        goto done;
                    }
                    memset(c + *pool_size, 0, (size_t)(ncap - *pool_size));
                    *chosen = c;
                    *pool_size = ncap;
                }
                items[n].gid = gid;
                items[n].file = f;
                items[n].index = index++;
                if ((*chosen)[gid++]) continue; /* already chosen: not a candidate any more */
                atoms += items[n].cfg.n_atoms;
                n++;
            }
            if (n == 0) continue;
            chunk_work w = {as, pot, items, n, 0, PTHREAD_MUTEX_INITIALIZER, 0, 0, {0}};
            int nt = o->threads < n ? o->threads : n, started = 0;
            for (int t = 1; t < nt; t++)
                if (pthread_create(&tid[t], NULL, grade_worker, &w) == 0) started = t;
                else break;
            grade_worker(&w);
            for (int t = 1; t <= started; t++) pthread_join(tid[t], NULL);
            if (w.failed) {
                rc = w.err.status ? w.err.status : MTP_ERR_INVALID;
                if (err) {
                    err->status = rc;
                    if (w.failed_index >= 0)
                        snprintf(err->message, sizeof err->message, "%.300s: configuration %ld: %.600s", files[f],
                                 w.failed_index + 1, w.err.message);
                    else snprintf(err->message, sizeof err->message, "%s", w.err.message);
                }
                for (int k = 0; k < n; k++) item_free(&items[k]);
                mtp_reader_close(r);
                goto done;
            }
            for (int k = 0; k < n; k++) {
                ps->graded++;
                if (items[k].grade > ps->best) ps->best = items[k].grade;
                offer(h, &items[k], max_rows, o->threshold, ps);
            }
        }
        mtp_reader_close(r);
    }
    rc = MTP_OK;
done:
    for (int k = 0; k < CHUNK_CFGS; k++) item_free(&items[k]);
    free(items);
    free(tid);
    return rc;
}

mtp_status fit_select_batch(mtp_active_set *as, const mtp_potential *pot, const char *const *files, int n_files,
                            mtp_format ifmt, const mtp_read_options *ropt, const mtp_select_options *o,
                            long *n_written, mtp_error *err)
{
    const int P = mtp_active_set_param_count(as);
    /* buffered rows are held twice at the peak: queued in the active set and their coefficients */
    long max_rows = (long)(o->buffer_bytes / (2 * sizeof(double) * (size_t)P));
    if (max_rows < 1) max_rows = 1;
    unsigned char *chosen = NULL;
    long pool_size = 0, *tags = calloc((size_t)o->max, sizeof(long));
    double *grades = calloc((size_t)o->max, sizeof(double));
    heap h = {0};
    int remaining = o->max;
    mtp_status rc = MTP_OK;
    *n_written = 0;
    if (!tags || !grades) {
        rc = out_of_memory(err);
        goto done;
    }
    if ((rc = mtp_active_set_refresh(as, err))) goto done;
    for (int pass = 1; remaining > 0; pass++) {
        /* a few more than the budget, so that choices can continue when some
         * buffered ones lose their grade (duplicates of a choice) */
        long cap = 2L * remaining + 8;
        if (cap > max_rows) cap = max_rows; /* every configuration has a row */
        h.cap = cap > (1 << 20) ? 1 << 20 : (int)cap;
        h.n = 0;
        h.rows = 0;
        free(h.a);
        if (!(h.a = calloc((size_t)h.cap, sizeof *h.a))) {
            rc = out_of_memory(err);
            goto done;
        }
        pass_stats ps;
        if ((rc = grade_pass(as, pot, files, n_files, ifmt, ropt, o, &chosen, &pool_size, &h, max_rows, &ps, err)))
            goto done;
        fit_select_log(o,
                       "pass %d: %ld candidates graded, %ld above %g, largest grade %g; %d buffered (%ld rows), "
                       "best grade outside %g\n",
                       pass, ps.graded, ps.above, o->threshold, ps.best, h.n, h.rows, ps.outside);
        if (h.n == 0) break;
        for (int k = 0; k < h.n; k++) {
            if ((rc = mtp_active_set_queue(as, &h.a[k].cfg, h.a[k].gid, h.a[k].rows, err))) goto done;
            free(h.a[k].rows); /* the set has its own copy */
            h.a[k].rows = NULL;
        }
        int np;
        if ((rc = mtp_active_set_select_greedy(as, o->threshold, ps.outside, remaining, tags, grades, &np, err)))
            goto done;
        for (int c = 0; c < np; c++) {
            int k = 0;
            while (k < h.n && h.a[k].gid != tags[c]) k++;
            if (k == h.n) {
                rc = MTP_ERR_INVALID;
                if (err) {
                    err->status = rc;
                    snprintf(err->message, sizeof err->message,
                             "internal error: chosen candidate %ld is not buffered", tags[c]);
                }
                goto done;
            }
            if (o->chosen &&
                (rc = o->chosen(o->user, &h.a[k].cfg, h.a[k].file, h.a[k].index, grades[c], err)))
                goto done;
            chosen[tags[c]] = 1;
            ++*n_written;
            fit_select_log(o, "chosen %s:%ld grade %.6g\n", files[h.a[k].file], h.a[k].index, grades[c]);
        }
        fit_select_log(o, "pass %d: %d chosen, active set of %d configurations, log|det A| %.6f\n", pass, np,
                       mtp_active_set_size(as), mtp_active_set_log_volume(as));
        remaining -= np;
        for (int k = 0; k < h.n; k++) item_free(&h.a[k]);
        h.n = 0;
        /* done when nothing outside the buffer could still be worth taking */
        if (np == 0 || !(ps.outside > o->threshold)) break;
    }
done:
    for (int k = 0; k < h.n; k++) item_free(&h.a[k]);
    free(h.a);
    free(chosen);
    free(tags);
    free(grades);
    return rc;
}
