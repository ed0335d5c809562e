/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-atom force weights (AtomData column force_weight) in the trainer:
 *  1. the loss is sum_k w_F(k) sum_i w_i |F_i - F_i^ref|^2 / K (definition,
 *     with the per-configuration ForceWeight feature and --force_weight);
 *  2. its gradient (BFGS and varpro use it) matches central finite
 *     differences in theta;
 *  3. the normal equations (varpro, LinOptimize) equal J^T W J, J^T W y
 *     summed row by row with the per-atom weights;
 *  4. an atom of weight 0 has no influence: its reference force perturbed
 *     by 1e3 eV/A leaves the trained potential unchanged (both optimisers);
 *  5. the text .cfg and extended XYZ round trips keep the weights, bad
 *     weights are refused, the binary writer refuses weights it cannot store. */
#include "fit.h"
#include "testpot.h"

#include <openmtp/openmtp.h>

#define NCFG 4

static void make_data(mtp_cfg *c, mtp_potential *pot)
{
    double L[3][3] = {{7.5, 0, 0}, {0.5, 7.0, 0}, {0, 0.3, 7.2}};
    mtp_calculator *calc;
    mtp_error err;
    mtp_calculator_create(pot, &calc, &err);
    for (int k = 0; k < NCFG; k++) {
        tp_random_cfg(&c[k], 10 + 3 * k, L, 2, 1.9, 1);
        mtp_cfg_add_array(&c[k], MTP_CFG_FORCES | MTP_CFG_FORCE_WEIGHTS, &err);
        double E, W[6];
        mtp_compute(calc, &c[k], &E, c[k].forces, W, NULL, NULL, &err);
        /* references = prediction + noise, so residuals are non-zero */
        c[k].has_energy = 1;
        c[k].energy = E + 0.3 * tu_rand();
        c[k].has_stress = 1;
        for (int q = 0; q < 6; q++) c[k].stress[q] = W[q] + 0.5 * tu_rand();
        for (int x = 0; x < 3 * c[k].n_atoms; x++) c[k].forces[x] += 0.2 * tu_rand();
        for (int i = 0; i < c[k].n_atoms; i++) c[k].force_weights[i] = i % 4 == 0 ? 0.0 : 1.0 + tu_rand();
    }
    mtp_cfg_set_feature(&c[1], "ForceWeight", "2.5", &err);
    mtp_calculator_destroy(calc);
}

int main(void)
{
    mtp_error err;
    mtp_potential *pot = tp_potential(8, 2, 5.0);
    const int P = mtp_potential_param_count(pot);
    mtp_cfg cfgs[NCFG];
    make_data(cfgs, pot);
    fit_options o;
    fit_options_default(&o);
    o.energy_weight = 0.7, o.force_weight = 0.05, o.stress_weight = 0.002;
    o.weight_scaling_forces = 1.0;

    /* 1. definition (forces only) */
    {
        fit_options of = o;
        of.energy_weight = 0, of.stress_weight = 0;
        double L, ref = 0;
        CHECK_OK(fit_loss(pot, cfgs, NCFG, &of, &L, NULL, &err), err);
        mtp_calculator *calc;
        mtp_calculator_create(pot, &calc, &err);
        for (int k = 0; k < NCFG; k++) {
            int N = cfgs[k].n_atoms;
            double *F = malloc(sizeof(double) * 3 * N), E;
            mtp_compute(calc, &cfgs[k], &E, F, NULL, NULL, NULL, &err);
            double wk = (k == 1 ? 2.5 : 1.0) * of.force_weight / N;
            for (int x = 0; x < 3 * N; x++)
                ref += wk * cfgs[k].force_weights[x / 3] * pow(F[x] - cfgs[k].forces[x], 2);
            free(F);
        }
        ref /= NCFG;
        mtp_calculator_destroy(calc);
        printf("1. force loss %.15g, by definition %.15g\n", L, ref);
        CHECK(tu_close(L, ref, 1e-12, 0), "loss %.15g vs definition %.15g", L, ref);
    }

    /* 2. gradient vs central finite differences */
    {
        double L, *g = malloc(sizeof(double) * P), *th = malloc(sizeof(double) * P), *t2 = malloc(sizeof(double) * P);
        mtp_potential_get_params(pot, th, &err);
        CHECK_OK(fit_loss(pot, cfgs, NCFG, &o, &L, g, &err), err);
        double worst = 0, scale = 0;
        for (int p = 0; p < P; p += (p < 40 ? 3 : 17)) {
            double h = 1e-6 * fmax(1.0, fabs(th[p])), Lp, Lm;
            memcpy(t2, th, sizeof(double) * P);
            t2[p] = th[p] + h;
            mtp_potential_set_params(pot, t2, &err);
            fit_loss(pot, cfgs, NCFG, &o, &Lp, NULL, &err);
            t2[p] = th[p] - h;
            mtp_potential_set_params(pot, t2, &err);
            fit_loss(pot, cfgs, NCFG, &o, &Lm, NULL, &err);
            double fd = (Lp - Lm) / (2 * h);
            worst = fmax(worst, fabs(fd - g[p]));
            scale = fmax(scale, fabs(g[p]));
        }
        mtp_potential_set_params(pot, th, &err);
        printf("2. loss gradient with per-atom weights vs FD: max abs diff %.3g (max |g| %.3g)\n", worst, scale);
        CHECK(worst <= 1e-6 * scale, "gradient vs FD: %.3g of %.3g", worst, scale);
        /* the weights matter: all-1 weights give another gradient */
        double *g1 = malloc(sizeof(double) * P), L1, diff = 0;
        double *saved[NCFG];
        for (int k = 0; k < NCFG; k++) saved[k] = cfgs[k].force_weights, cfgs[k].force_weights = NULL;
        fit_loss(pot, cfgs, NCFG, &o, &L1, g1, &err);
        for (int k = 0; k < NCFG; k++) cfgs[k].force_weights = saved[k];
        for (int p = 0; p < P; p++) diff = fmax(diff, fabs(g1[p] - g[p]));
        CHECK(diff > 1e-3 * scale && L1 != L, "per-atom weights have no effect on the gradient");
        free(g), free(g1), free(th), free(t2);
    }

    /* 3. normal equations with per-atom weights, row by row */
    {
        mtp_potential_info in = mtp_potential_get_info(pot);
        const int S = in.species_count, A = in.scalar_count, nl = S + A;
        double *G = calloc((size_t)nl * nl, sizeof(double)), *b = calloc(nl, sizeof(double));
        double *Gr = calloc((size_t)nl * nl, sizeof(double)), *br = calloc(nl, sizeof(double));
        fit_options of = o;
        of.energy_weight = 0, of.stress_weight = 0;
        CHECK_OK(fit_normal_equations(pot, cfgs, NCFG, &of, G, b, &err), err);
        mtp_param_deriv *pd;
        mtp_param_deriv_create(pot, &pd, &err);
        double *bs = malloc(sizeof(double) * A), *bW = malloc(sizeof(double) * 6 * A);
        for (int k = 0; k < NCFG; k++) {
            int N = cfgs[k].n_atoms;
            double *bF = malloc(sizeof(double) * A * 3 * N);
            mtp_cfg_basis_grad(pd, &cfgs[k], bs, bF, bW, &err);
            double wk = (k == 1 ? 2.5 : 1.0) * of.force_weight / N;
            for (int x = 0; x < 3 * N; x++) {
                double w = wk * cfgs[k].force_weights[x / 3];
                for (int i = 0; i < A; i++) {
                    br[S + i] += w * bF[(size_t)i * 3 * N + x] * cfgs[k].forces[x];
                    for (int j = 0; j < A; j++)
                        Gr[(size_t)(S + i) * nl + S + j] += w * bF[(size_t)i * 3 * N + x] * bF[(size_t)j * 3 * N + x];
                }
            }
            free(bF);
        }
        double dG = 0, dB = 0, sG = 0, sB = 0;
        for (int i = 0; i < nl * nl; i++) dG = fmax(dG, fabs(G[i] - Gr[i] / NCFG)), sG = fmax(sG, fabs(Gr[i] / NCFG));
        for (int i = 0; i < nl; i++) dB = fmax(dB, fabs(b[i] - br[i] / NCFG)), sB = fmax(sB, fabs(br[i] / NCFG));
        printf("3. normal equations with per-atom weights: max diff G %.3g (of %.3g), b %.3g (of %.3g)\n", dG, sG, dB, sB);
        CHECK(dG <= 1e-12 * sG && dB <= 1e-12 * sB, "normal equations differ: G %.3g, b %.3g", dG, dB);
        free(G), free(b), free(Gr), free(br), free(bs), free(bW);
        mtp_param_deriv_destroy(pd);
    }

    /* 4. an atom of weight 0 does not influence training */
    for (int opt = 0; opt < 2; opt++) {
        double *t0 = malloc(sizeof(double) * P), *ta = malloc(sizeof(double) * P), *tb = malloc(sizeof(double) * P);
        mtp_potential_get_params(pot, t0, &err);
        fit_options ot = o;
        ot.optimizer = opt ? FIT_OPT_BFGS : FIT_OPT_VARPRO;
        ot.iteration_limit = 15;
        ot.restarts = 0;
        int it;
        mtp_potential *pa, *pb;
        mtp_potential_copy(pot, &pa, &err);
        mtp_potential_copy(pot, &pb, &err);
        CHECK_OK(fit_train(pa, cfgs, NCFG, NULL, 0, &ot, &it, &err), err);
        double saved = cfgs[2].forces[3 * 4 + 1];
        CHECK(cfgs[2].force_weights[4] == 0.0, "atom 5 of configuration 3 has weight 0");
        cfgs[2].forces[3 * 4 + 1] += 1e3;
        cfgs[2].forces[3 * 4 + 2] -= 7e2;
        CHECK_OK(fit_train(pb, cfgs, NCFG, NULL, 0, &ot, &it, &err), err);
        cfgs[2].forces[3 * 4 + 1] = saved;
        cfgs[2].forces[3 * 4 + 2] += 7e2;
        mtp_potential_get_params(pa, ta, &err);
        mtp_potential_get_params(pb, tb, &err);
        double d = 0, moved = 0;
        for (int p = 0; p < P; p++) d = fmax(d, fabs(ta[p] - tb[p])), moved = fmax(moved, fabs(ta[p] - t0[p]));
        printf("4. %s, %d iterations: parameters moved by %.3g; weight-0 atom's force +1e3 changes them by %.3g\n",
               opt ? "bfgs" : "varpro", it, moved, d);
        CHECK(moved > 1e-6, "training did not move the parameters");
        CHECK(d == 0.0, "%s: an atom of weight 0 changed the fit by %.3g", opt ? "bfgs" : "varpro", d);
        /* control: the same perturbation on an atom of weight > 0 does matter */
        if (opt == 0) {
            mtp_potential *pc;
            mtp_potential_copy(pot, &pc, &err);
            double s1 = cfgs[2].forces[3 * 5 + 1];
            cfgs[2].forces[3 * 5 + 1] += 1e3;
            fit_train(pc, cfgs, NCFG, NULL, 0, &ot, &it, &err);
            cfgs[2].forces[3 * 5 + 1] = s1;
            mtp_potential_get_params(pc, tb, &err);
            double dc = 0;
            for (int p = 0; p < P; p++) dc = fmax(dc, fabs(ta[p] - tb[p]));
            CHECK(dc > 1e-6, "control: a weighted atom's force does not matter (%.3g)", dc);
            mtp_potential_destroy(pc);
        }
        mtp_potential_destroy(pa);
        mtp_potential_destroy(pb);
        free(t0), free(ta), free(tb);
    }

    /* 5. file round trip and validation */
    {
        char *buf = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&buf, &len);
        CHECK_OK(mtp_write_cfg(fp, "mem", &cfgs[0], MTP_FORMAT_CFG, NULL, &err), err);
        fclose(fp);
        CHECK(strstr(buf, "force_weight") != NULL, "column header written");
        FILE *in = fmemopen(buf, len, "r");
        mtp_reader *r;
        mtp_cfg back;
        mtp_cfg_init(&back);
        int got = 0;
        CHECK_OK(mtp_reader_open_stream(in, "mem", MTP_FORMAT_AUTO, NULL, &r, &err), err);
        CHECK_OK(mtp_reader_next(r, &back, &got, &err), err);
        CHECK(got && back.force_weights, "force_weight read back");
        for (int i = 0; got && back.force_weights && i < back.n_atoms; i++)
            CHECK(fabs(back.force_weights[i] - cfgs[0].force_weights[i]) <= 5e-7, "weight %d: %g vs %g", i,
                  back.force_weights[i], cfgs[0].force_weights[i]);
        mtp_reader_close(r);
        fclose(in);
        free(buf);
        mtp_cfg_free(&back);
        const char *bad = "BEGIN_CFG\n Size\n 1\n AtomData: id type cartes_x cartes_y cartes_z force_weight\n"
                          " 1 0 0 0 0 -0.5\nEND_CFG\n";
        in = fmemopen((void *)bad, strlen(bad), "r");
        mtp_reader_open_stream(in, "bad.cfg", MTP_FORMAT_AUTO, NULL, &r, &err);
        mtp_status st = mtp_reader_next(r, &back, &got, &err);
        CHECK(st == MTP_ERR_PARSE && strstr(err.message, "bad.cfg:5:") && strstr(err.message, "force_weight"),
              "negative weight: status %d, '%s'", (int)st, err.message);
        mtp_reader_close(r);
        fclose(in);
        mtp_cfg_free(&back);
        fp = open_memstream(&buf, &len);
        st = mtp_write_cfg(fp, "x.bin", &cfgs[0], MTP_FORMAT_CFG_BIN, NULL, &err);
        fclose(fp);
        free(buf);
        CHECK(st == MTP_ERR_UNSUPPORTED && strstr(err.message, "force weight"), "binary writer: %d '%s'", (int)st,
              err.message);
        /* extended XYZ keeps them as the property force_weight:R:1 */
        fp = open_memstream(&buf, &len);
        CHECK_OK(mtp_write_cfg(fp, "mem.xyz", &cfgs[0], MTP_FORMAT_XYZ, NULL, &err), err);
        fclose(fp);
        in = fmemopen(buf, len, "r");
        CHECK_OK(mtp_reader_open_stream(in, "mem.xyz", MTP_FORMAT_XYZ, NULL, &r, &err), err);
        mtp_cfg_init(&back);
        CHECK_OK(mtp_reader_next(r, &back, &got, &err), err);
        CHECK(got && back.force_weights, "xyz: force_weight read back");
        for (int i = 0; got && back.force_weights && i < back.n_atoms; i++)
            CHECK(tu_close(back.force_weights[i], cfgs[0].force_weights[i], 1e-15, 0), "xyz weight %d: %g vs %g", i,
                  back.force_weights[i], cfgs[0].force_weights[i]);
        mtp_reader_close(r);
        fclose(in);
        free(buf);
        mtp_cfg_free(&back);
        cfgs[3].force_weights[0] = NAN;
        CHECK(fit_check_weights(cfgs, NCFG, "t.cfg", &err) == MTP_ERR_INVALID, "NaN weight accepted by the trainer");
        cfgs[3].force_weights[0] = 1;
    }

    for (int k = 0; k < NCFG; k++) mtp_cfg_free(&cfgs[k]);
    mtp_potential_destroy(pot);
    return tu_finish("train_force_weights");
}
