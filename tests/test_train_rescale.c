/* SPDX-License-Identifier: BSD-3-Clause */
/* Rescale without re-evaluation: the normal equations of the linear
 * parameters built at 1.2 sigma directly equal those built at sigma and
 * scaled by f^(d_k + d_l) (fit_scale_normal_equations), to 1e-12. */
#include <openmtp/openmtp.h>

#include "fit.h"
#include "testutil.h"

int main(int argc, char **argv)
{
    if (argc < 2) return 77;
    mtp_error err;
    mtp_cfg *cfgs = NULL;
    int n = 0;
    if (mtp_read_cfgs(argv[1], MTP_FORMAT_AUTO, NULL, &cfgs, &n, &err)) {
        printf("SKIP: %s\n", err.message);
        return 77;
    }
    const int n_all = n;
    if (n > 6) n = 6;
    for (int level = 8; level <= 16; level += 8) {
        int label = 0;
        mtp_basis_options bo = {.level = level, .species_count = 1, .species_labels = &label, .min_dist = 1.9,
                                .max_dist = 5.0, .radial_basis_size = 8, .radial_funcs_count = 0};
        mtp_potential *pot = NULL;
        CHECK_OK(mtp_potential_generate(&bo, &pot, &err), err);
        mtp_potential_info info = mtp_potential_get_info(pot);
        const int P = info.param_count, nl = info.species_count + info.scalar_count;
        double *th = calloc((size_t)P, sizeof(double));
        unsigned s = 7;
        for (int i = 0; i < P; i++) {
            s = s * 1103515245u + 12345u;
            th[i] = ((s >> 8) & 0xffff) / 65536.0 - 0.5;
        }
        CHECK_OK(mtp_potential_set_params(pot, th, &err), err);
        CHECK_OK(mtp_potential_set_scaling(pot, 0.3, &err), err);
        fit_options o;
        fit_options_default(&o);
        double *G0 = malloc((size_t)nl * nl * sizeof(double)), *b0 = malloc((size_t)nl * sizeof(double));
        double *G1 = malloc((size_t)nl * nl * sizeof(double)), *b1 = malloc((size_t)nl * sizeof(double));
        CHECK_OK(fit_normal_equations(pot, cfgs, n, &o, G0, b0, &err), err);
        CHECK(fit_scale_normal_equations(pot, 1.2, G0, b0) == 0, "basis not homogeneous");
        CHECK_OK(mtp_potential_set_scaling(pot, 0.3 * 1.2, &err), err);
        CHECK_OK(fit_normal_equations(pot, cfgs, n, &o, G1, b1, &err), err);
        double dG = 0, dB = 0;
        for (int i = 0; i < nl; i++) {
            for (int j = 0; j < nl; j++) {
                double a = G0[(size_t)i * nl + j], b = G1[(size_t)i * nl + j];
                /* relative to the geometric mean of the diagonal (scale of the entry) */
                double sc = sqrt(fabs(G1[(size_t)i * nl + i] * G1[(size_t)j * nl + j])) + 1e-300;
                dG = fmax(dG, fabs(a - b) / sc);
            }
            dB = fmax(dB, fabs(b0[i] - b1[i]) / (fabs(b1[i]) + 1e-300));
        }
        printf("level %d (%d linear parameters): max relative difference G %.3g, b %.3g\n", level, nl, dG, dB);
        CHECK(dG < 1e-12, "G differs by %g", dG);
        CHECK(dB < 1e-12, "b differs by %g", dB);
        free(G0), free(b0), free(G1), free(b1), free(th);
        mtp_potential_destroy(pot);
    }
    mtp_free_cfgs(cfgs, n_all);
    return tu_finish("train_rescale");
}
