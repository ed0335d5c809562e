/* SPDX-License-Identifier: BSD-3-Clause */
/* The selection of new training configurations (mtp_select_add,
 * openmtp_train.h), for the files of fitter/ (not installed):
 * select_add.c (entry, MLIP-3 form) and select_batch.c (batch form). */
#ifndef OPENMTP_SELECT_INTERNAL_H
#define OPENMTP_SELECT_INTERNAL_H

#include <openmtp/openmtp.h>
#include <openmtp/openmtp_train.h>

/* A line of the selection log to o->message (printf format). */
void fit_select_log(const mtp_select_options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The batch form (o->max > 0) over files[n_files], after the re-selection
 * over the training set; *n_written: configurations chosen. */
mtp_status fit_select_batch(mtp_active_set *as, const mtp_potential *pot, const char *const *files, int n_files,
                            mtp_format ifmt, const mtp_read_options *ropt, const mtp_select_options *o,
                            long *n_written, mtp_error *err);

#endif
