/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MTP_REFERENCE_EVAL_H
#define MTP_REFERENCE_EVAL_H
/* Everything the baseline needs, copied out of a potential file's fields. */
typedef struct ref_basis {
    int S, K, R, basic, moments, times, A;
    double rmin, rcut, scaling;
    const int (*basic_idx)[4];
    const int (*times_idx)[4];
    const int *mapping;
    const double *radial, *species_coeffs, *moment_coeffs;
} ref_basis;

typedef struct ref_eval {
    ref_basis b;
    double *M, *g, *dM;
    int cap;
} ref_eval;

void ref_eval_init(ref_eval *r, const ref_basis *b);
void ref_eval_free(ref_eval *r);
double ref_eval_site(ref_eval *r, int center, int n, const int *species, const double *rij, double *d_rij);
#endif
