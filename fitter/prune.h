/* SPDX-License-Identifier: BSD-3-Clause */
/* Cost-aware pruning of a trained potential's scalar basis functions
 * (`mtp prune`): greedy backward elimination by (training-loss increase)
 * / (evaluation cost saved), with the radial parameters fixed.
 *
 * With the radial coefficients fixed the energies, forces and stresses
 * are linear in the linear coefficients x = [species | moment], so the
 * training loss (the data term of fit_loss) is exactly the quadratic
 *     L(x) = x' G x - 2 b' x + c0
 * of the normal equations G, b (fit_normal_equations), and the loss of
 * the best refit on any subset T of the columns is c0 - b_T' G_TT^-1 b_T.
 * Dropping a group J from T raises it by  x_J' (H_JJ)^-1 x_J,  H = G_TT^-1,
 * x = H b_T  (block elimination), so every candidate is scored from one
 * inverse per step, without refitting. */
#ifndef OPENMTP_PRUNE_H
#define OPENMTP_PRUNE_H

#include <openmtp/openmtp.h>
#include <stdint.h>

/* What evaluating a (pruned) basis costs, counted from its structure. */
typedef struct prune_cost {
    int scalars;      /* scalar basis functions (moment coefficients)   */
    int basic;        /* basic moments (radial terms f_mu u^abc)        */
    int products;     /* moment products (alpha_index_times entries)    */
    int radial_funcs; /* radial functions f_mu                          */
    int max_rank;     /* highest tensor rank of a basic moment          */
    double model;     /* multiply-adds per atom, prune_cost_model below */
} prune_cost;

/* The dependency structure of a potential's basis: which scalar basis
 * functions need each moment (bit sets over the A scalars). */
typedef struct prune_basis {
    int S, A, B, M, T, K, R;
    int (*basic)[4], (*times)[4], *mapping;
    int words;        /* 64-bit words per bit set                        */
    uint64_t *need;   /* [M][words]: scalars whose value needs moment m  */
    int *n_out;       /* [M] product entries adding into moment m        */
    double nbh;       /* mean neighbours per atom (for the cost model)   */
} prune_basis;

mtp_status prune_basis_init(prune_basis *pb, const mtp_potential *pot, double nbh, mtp_error *err);
void prune_basis_free(prune_basis *pb);
/* Cost of the basis restricted to the scalars with keep[k] != 0.
 * Model (the kernel's loops, kernel.c), per atom with n neighbours:
 *   n * (5 basic + 2 R radial_funcs + monomials(max_rank)) + 3 products
 * (a basic moment: 1 multiply-add forward, 4 backward (value and
 * gradient sums); a radial function: value and derivative, R terms each;
 * the unit-vector monomials up to max_rank, one product each; a product
 * entry: 1 forward, 2 backward). */
void prune_cost_of(const prune_basis *pb, const unsigned char *keep, prune_cost *c);

typedef struct prune_options {
    int remove;               /* stop once this many functions are removed (< 0: no limit) */
    double max_loss_increase; /* relative: keep L <= L0 (1 + x) (< 0: no limit) */
    double target_speedup;    /* stop once cost0 / cost >= this (model; <= 0: no limit) */
    int max_group;            /* largest group of functions removed in one step (64) */
} prune_options;
void prune_options_default(prune_options *o);

/* The elimination path.  Step s (1..n_steps) removes the scalars
 * order[step_end[s-1] .. step_end[s]) (original indices); loss[s] is the
 * training loss of the refit after s steps (the quadratic model; loss[0]
 * is L0 of the input coefficients), cost[s] the structure after s steps. */
typedef struct prune_path {
    int A, n_steps;
    int *order, *step_end;   /* [A], [A+1] */
    double *loss;            /* [A+1] */
    prune_cost *cost;        /* [A+1] */
} prune_path;
void prune_path_free(prune_path *p);
/* keep[A] after `steps` steps of the path. */
void prune_path_keep(const prune_path *p, int steps, unsigned char *keep);

/* Greedy elimination.  G[nl*nl], b[nl] (nl = S + A: species columns first,
 * never removed), c0 the constant of the quadratic, L0 the loss of the
 * input coefficients.  Candidates at each step: every single function
 * whose removal saves cost, and every group of functions that share a
 * moment or a radial function (all of them must go before it is saved),
 * of at most max_group members; the one with the least loss increase per
 * model cost saved (within the loss bound and the --remove budget) is
 * removed.  At least one function is kept. */
mtp_status prune_select(const prune_basis *pb, const double *G, const double *b, double c0, double L0,
                        const prune_options *o, prune_path *path, mtp_error *err);

/* Least-squares refit on the columns with keep_col[l] != 0 (nl columns):
 * x[nl] (0 for dropped columns) minimises L + the trainer's ridge
 * 1e-10 max(1, G_ll) x_l^2 (spec 4.3), *loss = L(x) (no ridge). */
mtp_status prune_refit(int nl, const double *G, const double *b, double c0, const unsigned char *keep_col, double *x,
                       double *loss, mtp_error *err);

/* L(x) of the quadratic. */
double prune_quadratic_loss(int nl, const double *G, const double *b, double c0, const double *x);

#endif
