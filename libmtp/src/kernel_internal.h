/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of the evaluation kernel (kernel.c) shared with the kernels
 * built on its stages: the loss gradient of the trainer (param_grad.c)
 * reuses the per-site forward stage (geometry, batched radial basis,
 * monomials, basic moments) and the backward accumulators S_mu, G_mu.
 * Not installed. */
#ifndef OPENMTP_KERNEL_INTERNAL_H
#define OPENMTP_KERNEL_INTERNAL_H

#include "internal.h"

struct mtp_plan {
    int K, R, B, M, T, A;
    int numax;
    int n_mono;
    int *mono_parent;   /* [n_mono] monomial this one extends (-1 for 1) */
    int *mono_axis;     /* [n_mono] axis of the extra factor              */
    int *basic_mu;      /* [B] */
    int *basic_mono;    /* [B] monomial of u^(a,b,c)                      */
    int (*basic_dmono)[3]; /* [B] monomial of u^(abc - e_axis), -1 if none */
    int (*basic_dcoef)[3]; /* [B] a, b, c                                 */
    int *t_i, *t_j, *t_k;  /* times entries split for streaming           */
    double *t_mult;
    /* products as runs of consecutive entries with the same output, so the
     * output accumulates in a register instead of through memory */
    int n_runs;
    int *run_k, *run_start; /* [n_runs], run_start[n_runs] = T */
    struct mtp_product { int i, j; double mult; } *prod; /* [T] */
    /* basic moments grouped by radial index for the backward pass */
    int *mu_start;      /* [K+1] range of each mu in the arrays below      */
    int *g_q;           /* [B] basic moment index                         */
    int *g_mono;        /* [B] its monomial row                            */
    int (*g_dmono)[3];  /* [B] rows of the derivative monomials (zero row) */
    double (*g_dcoef)[3];
    /* per (mu, component) the grouped basics whose term is not identically
     * zero: component 0 is S (all basics), 1-3 the gradient components */
    int *cl_start;      /* [4K+1] */
    int *cl_e2;         /* [4B]   */
};

/* Neighbour loops run over whole vectors of LANES doubles: the neighbour
 * count is padded with inert neighbours (outside the cutoff). */
#define LANES 4

/* Explicit vectors of 4 doubles (GCC/Clang extension): the compiler maps
 * them to AVX registers in the AVX2/AVX-512 variants and to SSE pairs
 * otherwise.  Every address they touch is 32-byte aligned (aligned scratch,
 * rows padded to whole vectors): unaligned 256-bit stores are split in two
 * under Haswell tuning, and the 256-bit loads that follow them then miss
 * store forwarding - that made the AVX2 variant 4x slower. */
typedef double v4d __attribute__((vector_size(32)));
/* Always inlined: called out of line from an AVX variant, a 32-byte vector
 * would be passed under a different ABI than the baseline helper expects
 * (unoptimised builds crashed that way). */
#define V4_INLINE static inline __attribute__((always_inline))
V4_INLINE v4d v4_load(const double *p) { return *(const v4d *)(const void *)p; }
V4_INLINE void v4_store(double *p, v4d v) { *(v4d *)(void *)p = v; }
V4_INLINE double v4_sum(v4d v) { return (v[0] + v[1]) + (v[2] + v[3]); }
_Static_assert(MTP_SITES == 4, "the moment stage uses one v4d lane per site");

/* Hot loops are compiled for AVX-512, AVX2+FMA and baseline x86-64 and the
 * best one is picked at load time (GCC function multi-versioning).  The ISA
 * levels x86-64-v4/v3 are dispatched by CPU features; "arch=haswell" would
 * be dispatched by CPU model and never chosen on other AVX2 processors. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(OPENMTP_NO_CLONES)
#define MTP_HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MTP_HOT
#endif

/* Stage 1 of the kernel for one site: geometry, radial basis and radial
 * functions, monomials of u and the basic moments into lane `lane` of
 * c->M4 (rows of c->ss[lane] padded to whole vectors of LANES). */
mtp_status mtp_kernel_site_forward(mtp_calculator *c, int lane, int center, int n, const int *species,
                                   const double *rij, mtp_error *err);
/* Backward accumulators of lane `lane` from the adjoints in c->g4:
 * S_mu = sum_q g_q U_q into ss->S and, if `with_grad`, G_mu = sum_q g_q
 * grad_u U_q into ss->Gx/Gy/Gz, for the first n (padded) neighbours. */
void mtp_kernel_site_accumulate(mtp_calculator *c, int lane, int n, int with_grad);

#endif
