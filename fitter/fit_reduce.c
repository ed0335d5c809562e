/* SPDX-License-Identifier: BSD-3-Clause */
/* Sums over threads and MPI ranks for the trainer: plain sums and the
 * broadcast of rank 0's numbers, and the order-independent double-double
 * sums of the objective and normal equations (see fit_dd_add), so that
 * 1 and N ranks (and any thread count) give the same numbers. */
#include "fit.h"
#include "fit_internal.h"

#include <stdio.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef OPENMTP_HAVE_MPI
#include <mpi.h>
#endif

int fit_nthreads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
int fit_thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Sum x[0..n) over the MPI ranks (in place; no-op without MPI). */
void fit_reduce_sum(const fit_ctx *c, double *x, size_t n)
{
#ifdef OPENMTP_HAVE_MPI
    if (c->size > 1) MPI_Allreduce(MPI_IN_PLACE, x, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
#else
    (void)c, (void)x, (void)n;
#endif
}
/* Rank 0's value of x on every rank. */
void fit_bcast(const fit_ctx *c, double *x, int n)
{
#ifdef OPENMTP_HAVE_MPI
    if (c->size > 1) MPI_Bcast(x, n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
#else
    (void)c, (void)x, (void)n;
#endif
}
static mtp_status fail(mtp_error *err, const char *msg)
{
    if (err) snprintf(err->message, sizeof err->message, "%s", msg);
    return MTP_ERR_INVALID;
}

/* Double-double accumulators (fit_dd_add, fit_internal.h) merged. */
static void dd_merge(double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fit_dd_add(a + 2 * i, b[2 * i]);
        a[2 * i + 1] += b[2 * i + 1];
    }
}
#ifdef OPENMTP_HAVE_MPI
static void dd_mpi_op(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    (void)dt;
    dd_merge((double *)inout, (const double *)in, (size_t)*len);
}
#endif
/* Sum n double-double accumulators over the ranks (in place). */
static void dd_allreduce(const fit_ctx *c, double *acc, size_t n)
{
#ifdef OPENMTP_HAVE_MPI
    if (c->size > 1) {
        MPI_Datatype t;
        MPI_Op op;
        MPI_Type_contiguous(2, MPI_DOUBLE, &t);
        MPI_Type_commit(&t);
        MPI_Op_create(dd_mpi_op, 1, &op);
        MPI_Allreduce(MPI_IN_PLACE, acc, (int)n, t, op, MPI_COMM_WORLD);
        MPI_Op_free(&op);
        MPI_Type_free(&t);
    }
#else
    (void)c, (void)acc, (void)n;
#endif
}

/* After a parallel accumulation: merge the per-thread double-double sums
 * into acc[0..2n), agree across MPI ranks on whether any failed, and sum
 * over ranks. */
mtp_status fit_combine_sums(const fit_ctx *c, double *acc, size_t n, int nth, mtp_status status,
                               const char *what, mtp_error *err)
{
    for (int t = 1; t < nth; t++) dd_merge(acc, acc + (size_t)t * 2 * n, n);
    double bad = status ? 1 : 0;
    fit_reduce_sum(c, &bad, 1);
    if (bad != 0) return status ? status : fail(err, what);
    dd_allreduce(c, acc, n);
    return MTP_OK;
}

