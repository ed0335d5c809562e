/* SPDX-License-Identifier: BSD-3-Clause */
/* Training checkpoints: the file format (a list of named records of
 * exact numbers) and fingerprints of the data that define a run.  What a
 * checkpoint holds is the trainer's business (fit.c, fit_save_state); this
 * file only stores and finds records.
 *
 * Format (text, so a checkpoint can be inspected and moved between
 * machines): a first line `openmtp_train_checkpoint 1`, then one record per
 * line, `NAME COUNT V1 ... VCOUNT`, numbers as C99 hexadecimal floats
 * (%a, exact round trip) and strings as single tokens.  Written through
 * mtp_output_open/commit, so a checkpoint is complete or absent. */
#ifndef OPENMTP_FIT_CHECKPOINT_H
#define OPENMTP_FIT_CHECKPOINT_H

#include <openmtp/openmtp.h>

#include <stdint.h>
#include <stdio.h>

#define FIT_CHECKPOINT_MAGIC "openmtp_train_checkpoint"
#define FIT_CHECKPOINT_VERSION 1

/* Writing: open, put records, commit (or abort on any error). */
typedef struct fit_ckpt_writer fit_ckpt_writer;
mtp_status fit_ckpt_create(const char *path, fit_ckpt_writer **w, mtp_error *err);
void fit_ckpt_put(fit_ckpt_writer *w, const char *name, const double *x, long n);
void fit_ckpt_put1(fit_ckpt_writer *w, const char *name, double x);
void fit_ckpt_put_string(fit_ckpt_writer *w, const char *name, const char *s); /* one token, no blanks */
mtp_status fit_ckpt_commit(fit_ckpt_writer *w, mtp_error *err);               /* frees w */
void fit_ckpt_abort(fit_ckpt_writer *w);                                       /* frees w */

/* Reading: the whole file, checked for the magic line and the version. */
typedef struct fit_ckpt fit_ckpt;
mtp_status fit_ckpt_read(const char *path, fit_ckpt **ck, mtp_error *err);
void fit_ckpt_free(fit_ckpt *ck);
/* Exactly n numbers under `name` into x (MTP_ERR_PARSE naming the file
 * and the record if absent, of another length or not a number). */
mtp_status fit_ckpt_get(const fit_ckpt *ck, const char *name, double *x, long n, mtp_error *err);
mtp_status fit_ckpt_get1(const fit_ckpt *ck, const char *name, double *x, mtp_error *err);
mtp_status fit_ckpt_get_int(const fit_ckpt *ck, const char *name, int *x, mtp_error *err);
/* The string record `name`, NULL if absent. */
const char *fit_ckpt_get_string(const fit_ckpt *ck, const char *name);
const char *fit_ckpt_path(const fit_ckpt *ck);

/* 64-bit FNV-1a fingerprints, as 16 hex digits in out[17]: of a file's
 * bytes, and of everything in a set of configurations that the objective
 * reads (atoms, cell, targets, weights, features). */
mtp_status fit_hash_file(const char *path, char out[17], mtp_error *err);
void fit_hash_cfgs(const mtp_cfg *cfgs, int n, char out[17]);

#endif
