/* SPDX-License-Identifier: BSD-3-Clause */
/* Pruning (libmtp/src/potential_prune.c, fitter/prune.c):
 *  - keeping every function reproduces the potential byte for byte;
 *  - a pruned potential (fewer moments, products, basic moments, radial
 *    functions) gives the energies, forces and virials of the full one with
 *    the removed coefficients set to zero, also when a radial function in
 *    the middle goes (renumbering); it round-trips through the writer;
 *  - the cost model's counts are the pruned file's counts;
 *  - along the greedy path the loss from the normal equations equals
 *    fit_loss of the built potential, and never exceeds the bound.
 * Usage: test_prune DATA_DIR POT.almtp (DATA_DIR/mlearn/Mo/test.cfg). */
#include <openmtp/openmtp.h>

#include "fit.h"
#include "prune.h"
#include "testutil.h"

static double max_rel_diff(const mtp_potential *p, const mtp_potential *q, const mtp_cfg *cfgs, int n)
{
    mtp_calculator *cp = NULL, *cq = NULL;
    mtp_error err;
    double worst = 0;
    if (mtp_calculator_create(p, &cp, &err) || mtp_calculator_create(q, &cq, &err)) return INFINITY;
    for (int k = 0; k < n; k++) {
        int N = cfgs[k].n_atoms;
        double Ep, Eq, Wp[6], Wq[6], *Fp = malloc((size_t)N * 3 * sizeof(double)), *Fq = malloc((size_t)N * 3 * sizeof(double));
        if (mtp_compute(cp, &cfgs[k], &Ep, Fp, Wp, NULL, NULL, &err) || mtp_compute(cq, &cfgs[k], &Eq, Fq, Wq, NULL, NULL, &err))
            worst = INFINITY;
        double d = fabs(Ep - Eq) / (1 + fabs(Ep));
        for (int x = 0; x < 3 * N; x++) d = fmax(d, fabs(Fp[x] - Fq[x]) / (1 + fabs(Fp[x])));
        for (int c = 0; c < 6; c++) d = fmax(d, fabs(Wp[c] - Wq[c]) / (1 + fabs(Wp[c])));
        worst = fmax(worst, d);
        free(Fp), free(Fq);
    }
    mtp_calculator_destroy(cp), mtp_calculator_destroy(cq);
    return worst;
}

/* The full potential with the coefficients of the removed functions zeroed. */
static mtp_potential *zeroed(const mtp_potential *pot, const unsigned char *keep)
{
    mtp_potential *z = NULL;
    mtp_error err;
    if (mtp_potential_copy(pot, &z, &err)) return NULL;
    mtp_potential_info in = mtp_potential_get_info(pot);
    double *th = malloc((size_t)in.param_count * sizeof(double));
    mtp_potential_get_params(z, th, &err);
    for (int k = 0; k < in.scalar_count; k++)
        if (!keep[k]) th[in.param_count - in.scalar_count + k] = 0;
    mtp_potential_set_params(z, th, &err);
    free(th);
    return z;
}

static void check_mask(const char *what, const mtp_potential *pot, const prune_basis *pb, const unsigned char *keep,
                       const mtp_cfg *cfgs, int n, int expect_k)
{
    mtp_error err;
    mtp_potential *pr = NULL, *z = zeroed(pot, keep), *back = NULL;
    mtp_status st = mtp_potential_prune(pot, keep, &pr, &err);
    CHECK_OK(st, err);
    if (st || !z) return;
    mtp_potential_info a = mtp_potential_get_info(pot), b = mtp_potential_get_info(pr);
    prune_cost c;
    prune_cost_of(pb, keep, &c);
    CHECK(b.scalar_count == c.scalars && b.basic_count == c.basic && b.times_count == c.products &&
              b.radial_funcs_count == c.radial_funcs,
          "%s: file has %d scalars, %d basic, %d products, %d radial; the cost model counts %d, %d, %d, %d", what,
          b.scalar_count, b.basic_count, b.times_count, b.radial_funcs_count, c.scalars, c.basic, c.products,
          c.radial_funcs);
    CHECK(b.times_count < a.times_count && b.basic_count <= a.basic_count, "%s: nothing removed (%d products)", what,
          b.times_count);
    if (expect_k) CHECK(b.radial_funcs_count == expect_k, "%s: %d radial functions, expected %d", what, b.radial_funcs_count, expect_k);
    CHECK(!b.has_al_state, "%s: active-learning section kept", what);
    double d = max_rel_diff(pr, z, cfgs, n);
    CHECK(d < 1e-12, "%s: pruned potential and zeroed full potential differ by %g (relative)", what, d);
    /* round trip through the MLIP-3 writer and reader */
    char *buf = NULL, *buf2 = NULL;
    size_t size = 0, size2 = 0;
    st = mtp_potential_write_buffer(pr, &buf, &size, &err);
    if (!st) st = mtp_potential_read_buffer(buf, size, "<pruned>", &back, &err);
    if (!st) st = mtp_potential_write_buffer(back, &buf2, &size2, &err);
    CHECK_OK(st, err);
    if (!st) {
        CHECK(size == size2 && !memcmp(buf, buf2, size), "%s: write(read(write)) differs from write", what);
        CHECK(max_rel_diff(pr, back, cfgs, n) == 0, "%s: re-read potential evaluates differently", what);
    }
    free(buf), free(buf2);
    mtp_potential_destroy(back), mtp_potential_destroy(pr), mtp_potential_destroy(z);
}

int main(int argc, char **argv)
{
    const char *dir = tu_data_dir(argc, argv, "mlearn/Mo/test.cfg");
    char path[4096];
    snprintf(path, sizeof path, "%s/mlearn/Mo/test.cfg", dir);
    mtp_error err;
    mtp_potential *pot = NULL;
    mtp_cfg *cfgs = NULL;
    int n = 0, n_all = 0;
    mtp_status st = mtp_potential_read(argv[2], &pot, &err);
    if (!st) st = mtp_read_cfgs(path, MTP_FORMAT_AUTO, NULL, &cfgs, &n_all, &err);
    n = n_all;
    CHECK_OK(st, err);
    if (st) return tu_finish("test_prune");
    if (n > 8) n = 8; /* enough configurations for the comparisons, fast */
    mtp_potential_info in = mtp_potential_get_info(pot);
    const int A = in.scalar_count, S = in.species_count, nl = S + A;
    prune_basis pb;
    st = prune_basis_init(&pb, pot, 30, &err);
    CHECK_OK(st, err);
    unsigned char *keep = malloc((size_t)A);

    /* everything kept: the same file */
    {
        memset(keep, 1, (size_t)A);
        mtp_potential *pr = NULL;
        char *b1 = NULL, *b2 = NULL;
        size_t s1 = 0, s2 = 0;
        st = mtp_potential_prune(pot, keep, &pr, &err);
        if (!st) st = mtp_potential_write_buffer(pot, &b1, &s1, &err);
        if (!st) st = mtp_potential_write_buffer(pr, &b2, &s2, &err);
        CHECK_OK(st, err);
        if (!st) CHECK(s1 == s2 && !memcmp(b1, b2, s1), "keeping every function changed the file");
        free(b1), free(b2);
        mtp_potential_destroy(pr);
        memset(keep, 0, (size_t)A);
        CHECK(mtp_potential_prune(pot, keep, &pr, &err) == MTP_ERR_INVALID, "keeping nothing accepted");
    }
    /* random subsets */
    for (int trial = 0; trial < 3; trial++) {
        for (int k = 0; k < A; k++) keep[k] = tu_rand() > -0.4 + 0.5 * trial;
        keep[0] = 1;
        char what[64];
        snprintf(what, sizeof what, "random subset %d", trial);
        check_mask(what, pot, &pb, keep, cfgs, n, 0);
    }
    /* every function using radial function 1 goes: mu renumbered */
    {
        memset(keep, 1, (size_t)A);
        for (int q = 0; q < pb.B; q++)
            if (pb.basic[q][0] == 1)
                for (int k = 0; k < A; k++)
                    if (pb.need[(size_t)q * pb.words + k / 64] >> (k % 64) & 1) keep[k] = 0;
        check_mask("radial function 1 removed", pot, &pb, keep, cfgs, n, in.radial_funcs_count - 1);
    }

    /* greedy path: predicted losses are the losses of the built potentials */
    {
        fit_options o;
        fit_options_default(&o);
        o.energy_weight = 15;
        double *G = malloc((size_t)nl * nl * sizeof(double)), *b = malloc((size_t)nl * sizeof(double)), L0 = 0;
        double *th = malloc((size_t)in.param_count * sizeof(double)), *x = malloc((size_t)nl * sizeof(double));
        mtp_potential *work = NULL;
        st = mtp_potential_copy(pot, &work, &err);
        if (!st) st = fit_normal_equations(work, cfgs, n, &o, G, b, &err);
        if (!st) st = fit_loss(work, cfgs, n, &o, &L0, NULL, &err);
        if (!st) st = mtp_potential_get_params(pot, th, &err);
        CHECK_OK(st, err);
        double c0 = L0 - prune_quadratic_loss(nl, G, b, 0, th + in.param_count - nl);
        prune_options po;
        prune_options_default(&po);
        po.max_loss_increase = 0.2;
        prune_path path;
        st = prune_select(&pb, G, b, c0, L0, &po, &path, &err);
        CHECK_OK(st, err);
        CHECK(!st && path.n_steps >= 3, "greedy path of %d steps", st ? -1 : path.n_steps);
        unsigned char *kc = malloc((size_t)nl);
        for (int s = 1; !st && s <= path.n_steps; s++) {
            memset(kc, 1, (size_t)S);
            prune_path_keep(&path, s, kc + S);
            double Lr = 0, Le = 0;
            mtp_potential *pr = NULL;
            st = prune_refit(nl, G, b, c0, kc, x, &Lr, &err);
            if (!st) st = mtp_potential_prune(pot, kc + S, &pr, &err);
            if (!st) {
                int P = mtp_potential_param_count(pr), nr = P - (nl - (path.step_end[s])) ;
                double *tp = malloc((size_t)P * sizeof(double));
                mtp_potential_get_params(pr, tp, &err);
                for (int l = 0, u = 0; l < nl; l++)
                    if (kc[l]) tp[nr + u++] = x[l];
                st = mtp_potential_set_params(pr, tp, &err);
                if (!st) st = fit_loss(pr, cfgs, n, &o, &Le, NULL, &err);
                free(tp);
            }
            CHECK_OK(st, err);
            CHECK(tu_close(path.loss[s], Lr, 1e-12, 0), "step %d: path loss %.12g, refit %.12g", s, path.loss[s], Lr);
            CHECK(tu_close(Le, Lr, 1e-7, 1e-12 * L0), "step %d: fit_loss %.12g, normal equations %.12g", s, Le, Lr);
            CHECK(Le <= L0 * 1.2 * (1 + 1e-9), "step %d: loss %.12g above the bound %.12g", s, Le, 1.2 * L0);
            CHECK(path.cost[s].model < path.cost[s - 1].model, "step %d saved no cost", s);
            mtp_potential_destroy(pr);
        }
        free(kc);
        prune_path_free(&path);
        /* --remove: exactly that many */
        prune_options_default(&po);
        po.remove = 7;
        st = prune_select(&pb, G, b, c0, L0, &po, &path, &err);
        CHECK_OK(st, err);
        if (!st) CHECK(path.step_end[path.n_steps] == 7, "--remove=7 removed %d", path.step_end[path.n_steps]);
        prune_path_free(&path);
        free(G), free(b), free(th), free(x);
        mtp_potential_destroy(work);
    }
    free(keep);
    prune_basis_free(&pb);
    for (int k = 0; k < n_all; k++) mtp_cfg_free(&cfgs[k]);
    free(cfgs);
    mtp_potential_destroy(pot);
    return tu_finish("test_prune");
}
