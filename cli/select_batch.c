/* SPDX-License-Identifier: BSD-3-Clause */
/* Batch selection for `mtp select_add ... --max=N`: the N candidates that
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
#include "cli.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
        if (!cli_all_finite(C, (long)m * P) || !cli_all_finite(it->rows, (long)m * P)) {
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
static int grade_pass(const char *cmd, mtp_active_set *as, const mtp_potential *pot, const char *const *files,
                      int n_files, mtp_format ifmt, const mtp_read_options *ropt, const select_batch_options *o,
                      unsigned char **chosen, long *pool_size, heap *h, long max_rows, pass_stats *ps)
{
    enum { CHUNK_CFGS = 64, CHUNK_ATOMS = 16384 };
    pool_item *items = calloc(CHUNK_CFGS, sizeof *items);
    pthread_t *tid = calloc((size_t)o->threads, sizeof *tid);
    if (!items || !tid) {
        free(items);
        free(tid);
        fprintf(stderr, "mtp %s: out of memory\n", cmd);
        return 1;
    }
    for (int k = 0; k < CHUNK_CFGS; k++) mtp_cfg_init(&items[k].cfg);
    memset(ps, 0, sizeof *ps);
    long gid = 0;
    int rc = 1;
    mtp_error err;
    for (int f = 0; f < n_files; f++) {
        mtp_reader *r = NULL;
        if (mtp_reader_open(files[f], ifmt, ropt, &r, &err)) {
            cli_report(cmd, &err);
            goto done;
        }
        long index = 0;
        for (int eof = 0; !eof;) {
            int n = 0;
            long atoms = 0;
            while (n < CHUNK_CFGS && (n == 0 || atoms < CHUNK_ATOMS)) {
                int got;
                if (mtp_reader_next(r, &items[n].cfg, &got, &err)) {
                    cli_report(cmd, &err);
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
                        fprintf(stderr, "mtp %s: out of memory\n", cmd);
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
                if (w.failed_index >= 0)
                    fprintf(stderr, "mtp %s: %s: configuration %ld: %s\n", cmd, files[f], w.failed_index + 1,
                            w.err.message);
                else fprintf(stderr, "mtp %s: %s\n", cmd, w.err.message);
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
    rc = 0;
done:
    for (int k = 0; k < CHUNK_CFGS; k++) item_free(&items[k]);
    free(items);
    free(tid);
    return rc;
}

int select_batch(const char *cmd, mtp_active_set *as, const mtp_potential *pot, const char *const *files,
                 int n_files, mtp_format ifmt, const mtp_read_options *ropt, const select_batch_options *o,
                 FILE *out, const char *out_name, long *n_written)
{
    const int P = mtp_active_set_param_count(as);
    /* buffered rows are held twice at the peak: queued in the active set and their coefficients */
    long max_rows = (long)(o->buffer_bytes / (2 * sizeof(double) * (size_t)P));
    if (max_rows < 1) max_rows = 1;
    unsigned char *chosen = NULL;
    long pool_size = 0, *tags = calloc((size_t)o->max, sizeof(long));
    double *grades = calloc((size_t)o->max, sizeof(double));
    heap h = {0};
    int rc = 1, remaining = o->max;
    *n_written = 0;
    mtp_error err;
    mtp_write_options wo = {0, 1, NULL, 0};
    if (!tags || !grades) {
        fprintf(stderr, "mtp %s: out of memory\n", cmd);
        goto done;
    }
    if (mtp_active_set_refresh(as, &err)) goto report;
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
            fprintf(stderr, "mtp %s: out of memory\n", cmd);
            goto done;
        }
        pass_stats ps;
        if (grade_pass(cmd, as, pot, files, n_files, ifmt, ropt, o, &chosen, &pool_size, &h, max_rows, &ps)) goto done;
        if (o->log)
            fprintf(o->log,
                    "pass %d: %ld candidates graded, %ld above %g, largest grade %g; %d buffered (%ld rows), "
                    "best grade outside %g\n",
                    pass, ps.graded, ps.above, o->threshold, ps.best, h.n, h.rows, ps.outside);
        if (h.n == 0) break;
        for (int k = 0; k < h.n; k++) {
            if (mtp_active_set_queue(as, &h.a[k].cfg, h.a[k].gid, h.a[k].rows, &err)) goto report;
            free(h.a[k].rows); /* the set has its own copy */
            h.a[k].rows = NULL;
        }
        int np;
        if (mtp_active_set_select_greedy(as, o->threshold, ps.outside, remaining, tags, grades, &np, &err)) goto report;
        for (int c = 0; c < np; c++) {
            int k = 0;
            while (k < h.n && h.a[k].gid != tags[c]) k++;
            if (k == h.n) {
                fprintf(stderr, "mtp %s: internal error: chosen candidate %ld is not buffered\n", cmd, tags[c]);
                goto done;
            }
            if (mtp_write_cfg(out, out_name, &h.a[k].cfg, MTP_FORMAT_CFG, &wo, &err)) goto report;
            chosen[tags[c]] = 1;
            ++*n_written;
            if (o->log)
                fprintf(o->log, "chosen %s:%ld grade %.6g\n", files[h.a[k].file], h.a[k].index, grades[c]);
        }
        if (o->log)
            fprintf(o->log, "pass %d: %d chosen, active set of %d configurations, log|det A| %.6f\n", pass, np,
                    mtp_active_set_size(as), mtp_active_set_log_volume(as));
        remaining -= np;
        for (int k = 0; k < h.n; k++) item_free(&h.a[k]);
        h.n = 0;
        /* done when nothing outside the buffer could still be worth taking */
        if (np == 0 || !(ps.outside > o->threshold)) break;
    }
    rc = 0;
    goto done;
report:
    cli_report(cmd, &err);
done:
    for (int k = 0; k < h.n; k++) item_free(&h.a[k]);
    free(h.a);
    free(chosen);
    free(tags);
    free(grades);
    return rc;
}
