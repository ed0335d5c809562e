/* SPDX-License-Identifier: BSD-3-Clause */
/* mtp_select_add (openmtp_train.h): MLIP-3's select_add on an active set
 * (re-selection over the training set, MaxVol among the candidates of one
 * file in batches, re-selection, the candidates that own active rows),
 * and the batch form of select_batch.c.  `mtp select_add` is a thin user:
 * it loads the active set, writes what the chosen callback hands it and
 * prints the log lines of the message callback. */
#pragma GCC visibility push(default) /* the interface is what libopenmtp_train exports */
#include <openmtp/openmtp_train.h>
#pragma GCC visibility pop

#include "select_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mtp_select_options_default(mtp_select_options *o)
{
    memset(o, 0, sizeof *o);
    o->threshold = 1.001;
    o->batch_size = 9999;
    o->threads = 1;
    o->buffer_bytes = (size_t)256 << 20;
}

void fit_select_log(const mtp_select_options *o, const char *fmt, ...)
{
    if (!o->message) return;
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    o->message(o->user, MTP_TRAIN_NOTE, text);
}

static mtp_status invalid(mtp_error *err, const char *msg)
{
    if (err) {
        err->status = MTP_ERR_INVALID;
        snprintf(err->message, sizeof err->message, "%s", msg);
    }
    return MTP_ERR_INVALID;
}

/* Queue every configuration of `path` with tag `tag` (or its index if tag
 * is -3) and select every batch_size of them (0 = all at once). */
static mtp_status select_from_file(mtp_active_set *as, const char *path, mtp_format ifmt,
                                   const mtp_read_options *ropt, long tag, int batch_size, double threshold,
                                   long swap_limit, const mtp_select_options *o, mtp_error *err)
{
    mtp_reader *r = NULL;
    mtp_cfg cfg;
    mtp_cfg_init(&cfg);
    int queued = 0;
    long index = 0, swaps = 0, s;
    mtp_status st;
    if ((st = mtp_reader_open(path, ifmt, ropt, &r, err))) goto done;
    for (;; index++) {
        int got;
        if ((st = mtp_reader_next(r, &cfg, &got, err))) goto done;
        if (!got) break;
        mtp_error e;
        if ((st = mtp_active_set_queue(as, &cfg, tag == -3 ? index : tag, NULL, &e))) {
            if (err) {
                err->status = st;
                snprintf(err->message, sizeof err->message, "%.300s: configuration %ld: %.600s", path, index + 1,
                         e.message);
            }
            goto done;
        }
        if (++queued == batch_size) {
            if ((st = mtp_active_set_select_queued(as, threshold, swap_limit, &s, err))) goto done;
            swaps += s;
            queued = 0;
        }
    }
    if ((st = mtp_active_set_select_queued(as, threshold, swap_limit, &s, err))) goto done;
    swaps += s;
    fit_select_log(o, "selection from %s: %ld configurations, %ld swaps, active set of %d configurations, log|det A| %.6f\n",
                   path, index, swaps, mtp_active_set_size(as), mtp_active_set_log_volume(as));
done:
    mtp_cfg_free(&cfg);
    mtp_reader_close(r);
    return st;
}

mtp_status mtp_select_add(mtp_active_set *as, const mtp_potential *pot, const char *train_path,
                          const char *const *candidates, int n_candidates, mtp_format fmt,
                          const mtp_read_options *ropt, const mtp_select_options *o, long *count, mtp_error *err)
{
    long n = 0;
    if (count) *count = 0;
    if (!as || !pot || !train_path || !o || n_candidates < 0 || (n_candidates > 0 && !candidates))
        return invalid(err, "mtp_select_add: NULL active set, potential, training set, candidates or options");
    if (!(o->threshold > 1)) return invalid(err, "mtp_select_add: the threshold must be > 1");
    if (o->max < 0 || o->swap_limit < 0 || o->batch_size < 0 || o->threads < 1 || o->buffer_bytes < 1)
        return invalid(err, "mtp_select_add: need max >= 0, swap_limit >= 0, batch_size >= 0, threads >= 1, "
                            "buffer_bytes >= 1");
    if (o->max == 0 && n_candidates != 1)
        return invalid(err, "mtp_select_add: the MLIP-3 form (max = 0) takes one candidate file; several are the "
                            "batch form (max = N)");
    /* tags: candidates >= 0 (their index), training configurations -2 */
    mtp_status st = select_from_file(as, train_path, fmt, ropt, -2, 0, 1.001, 0, o, err);
    if (st) return st;
    if (o->max > 0) {
        st = fit_select_batch(as, pot, candidates, n_candidates, fmt, ropt, o, &n, err);
    } else {
        if ((st = select_from_file(as, candidates[0], fmt, ropt, -3, o->batch_size, o->threshold, o->swap_limit, o,
                                   err)) ||
            (st = select_from_file(as, train_path, fmt, ropt, -2, 0, o->threshold, 0, o, err)))
            return st;
        for (int k = 0; k < mtp_active_set_size(as); k++) {
            const mtp_cfg *cfg;
            long tag;
            if ((st = mtp_active_set_member(as, k, &cfg, &tag, err))) break;
            if (tag < 0) continue;
            if (o->chosen && (st = o->chosen(o->user, cfg, 0, tag, NAN, err))) break;
            fit_select_log(o, "selected %s:%ld\n", candidates[0], tag);
            n++;
        }
    }
    if (count) *count = n;
    if (err && st) err->status = st;
    return st;
}
