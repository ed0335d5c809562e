/* SPDX-License-Identifier: BSD-3-Clause */
/* A straightforward MTP evaluation, written directly from the model's
 * definition, used as the same-run baseline of bench_kernel: per neighbour
 * it evaluates every basic moment with pow() and stores the moment's full
 * derivative (B x n x 3), then applies the chain rule - the textbook
 * reverse mode that MLIP-style codes implement, without our layout tricks. */
#include "reference_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ref_eval_init(ref_eval *r, const ref_basis *b)
{
    memset(r, 0, sizeof *r);
    r->b = *b;
    r->M = calloc((size_t)b->moments, sizeof(double));
    r->g = calloc((size_t)b->moments, sizeof(double));
}

void ref_eval_free(ref_eval *r)
{
    free(r->M);
    free(r->g);
    free(r->dM);
}

double ref_eval_site(ref_eval *r, int center, int n, const int *species, const double *rij, double *d_rij)
{
    const ref_basis *b = &r->b;
    if (n > r->cap) {
        free(r->dM);
        r->cap = n;
        r->dM = malloc(sizeof(double) * 3 * (size_t)n * b->basic);
    }
    memset(r->M, 0, sizeof(double) * b->moments);
    for (int j = 0; j < n; j++) {
        double x = rij[3 * j], y = rij[3 * j + 1], z = rij[3 * j + 2];
        double rr = sqrt(x * x + y * y + z * z);
        double xi = (2 * rr - (b->rmin + b->rcut)) / (b->rcut - b->rmin), dxi = 2 / (b->rcut - b->rmin);
        double T[64], dT[64], Q[64], dQ[64];
        T[0] = 1; T[1] = xi; dT[0] = 0; dT[1] = 1;
        for (int k = 2; k < b->R; k++) {
            T[k] = 2 * xi * T[k - 1] - T[k - 2];
            dT[k] = 2 * T[k - 1] + 2 * xi * dT[k - 1] - dT[k - 2];
        }
        for (int k = 0; k < b->R; k++) {
            Q[k] = b->scaling * T[k] * (rr - b->rcut) * (rr - b->rcut);
            dQ[k] = b->scaling * (dT[k] * dxi * (rr - b->rcut) * (rr - b->rcut) + 2 * T[k] * (rr - b->rcut));
        }
        for (int q = 0; q < b->basic; q++) {
            int mu = b->basic_idx[q][0], a = b->basic_idx[q][1], bb = b->basic_idx[q][2], c = b->basic_idx[q][3];
            const double *cc = b->radial + ((size_t)(center * b->S + species[j]) * b->K + mu) * b->R;
            double f = 0, fp = 0;
            for (int k = 0; k < b->R; k++) {
                f += cc[k] * Q[k];
                fp += cc[k] * dQ[k];
            }
            double ux = x / rr, uy = y / rr, uz = z / rr;
            double mono = pow(ux, a) * pow(uy, bb) * pow(uz, c);
            r->M[q] += f * mono;
            /* d(f mono)/dr_vec */
            double gx = a ? a * pow(ux, a - 1) * pow(uy, bb) * pow(uz, c) : 0;
            double gy = bb ? bb * pow(ux, a) * pow(uy, bb - 1) * pow(uz, c) : 0;
            double gz = c ? c * pow(ux, a) * pow(uy, bb) * pow(uz, c - 1) : 0;
            double nu = a + bb + c, ug = ux * gx + uy * gy + uz * gz;
            double *d = r->dM + 3 * ((size_t)q * n + j);
            (void)nu;
            d[0] = fp * mono * ux + f / rr * (gx - ux * ug);
            d[1] = fp * mono * uy + f / rr * (gy - uy * ug);
            d[2] = fp * mono * uz + f / rr * (gz - uz * ug);
        }
    }
    for (int t = 0; t < b->times; t++)
        r->M[b->times_idx[t][3]] += b->times_idx[t][2] * r->M[b->times_idx[t][0]] * r->M[b->times_idx[t][1]];
    double e = b->species_coeffs[center];
    for (int k = 0; k < b->A; k++) e += b->moment_coeffs[k] * r->M[b->mapping[k]];
    memset(r->g, 0, sizeof(double) * b->moments);
    for (int k = 0; k < b->A; k++) r->g[b->mapping[k]] += b->moment_coeffs[k];
    for (int t = b->times - 1; t >= 0; t--) {
        const int *e4 = b->times_idx[t];
        r->g[e4[0]] += r->g[e4[3]] * e4[2] * r->M[e4[1]];
        r->g[e4[1]] += r->g[e4[3]] * e4[2] * r->M[e4[0]];
    }
    for (int j = 0; j < n; j++) {
        double D[3] = {0, 0, 0};
        for (int q = 0; q < b->basic; q++)
            for (int a = 0; a < 3; a++) D[a] += r->g[q] * r->dM[3 * ((size_t)q * n + j) + a];
        memcpy(d_rij + 3 * j, D, sizeof D);
    }
    return e;
}
