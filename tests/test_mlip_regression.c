/* SPDX-License-Identifier: BSD-3-Clause */
/* Reproduce every MLIP-3 evaluation output shipped in ../shared/data/mlip3:
 * energies to 1e-10 relative, forces and PlusStress to the printed
 * precision; potentials survive a write/read round trip, the active-learning
 * section byte for byte. */
#include "testutil.h"

#include <openmtp/openmtp.h>

static void compare_efs(const char *dir, const char *pot_file, const char *in_file, const char *ref_file)
{
    char p[4096], in[4096], ref[4096];
    snprintf(p, sizeof p, "%s/%s", dir, pot_file);
    snprintf(in, sizeof in, "%s/%s", dir, in_file);
    snprintf(ref, sizeof ref, "%s/%s", dir, ref_file);
    mtp_error err;
    mtp_potential *pot;
    mtp_calculator *calc;
    CHECK_OK(mtp_potential_read(p, &pot, &err), err);
    if (!pot) return;
    CHECK_OK(mtp_calculator_create(pot, &calc, &err), err);
    mtp_cfg *a, *b;
    int na, nb;
    CHECK_OK(mtp_read_cfgs(in, MTP_FORMAT_AUTO, NULL, &a, &na, &err), err);
    CHECK_OK(mtp_read_cfgs(ref, MTP_FORMAT_AUTO, NULL, &b, &nb, &err), err);
    CHECK(na == nb && na > 0, "%s: %d input vs %d reference configurations", ref_file, na, nb);
    double worst_e = 0, worst_f = 0, worst_s = 0;
    for (int k = 0; k < na && k < nb; k++) {
        int n = a[k].n_atoms;
        double E, W[6], *F = malloc(sizeof(double) * 3 * (n ? n : 1));
        CHECK_OK(mtp_compute(calc, &a[k], &E, F, W, NULL, NULL, &err), err);
        CHECK(b[k].has_energy && tu_close(E, b[k].energy, 1e-10, 1e-12), "%s cfg %d: E %.12f vs %.12f", ref_file,
              k + 1, E, b[k].energy);
        worst_e = fmax(worst_e, fabs(E - b[k].energy) / fabs(b[k].energy));
        for (int i = 0; i < 3 * n; i++) {
            double d = fabs(F[i] - b[k].forces[i]);
            worst_f = fmax(worst_f, d);
            CHECK(d <= 0.5e-6 + 1e-9, "%s cfg %d: force component %d: %.7f vs %.6f", ref_file, k + 1, i, F[i],
                  b[k].forces[i]);
        }
        for (int c = 0; c < 6; c++) {
            double d = fabs(W[c] - b[k].stress[c]);
            worst_s = fmax(worst_s, d);
            CHECK(d <= 0.5e-5 + 1e-9, "%s cfg %d: PlusStress %d: %.6f vs %.5f", ref_file, k + 1, c, W[c],
                  b[k].stress[c]);
        }
        free(F);
    }
    printf("%-40s %d cfgs: max rel dE %.2e, max |dF| %.2e eV/A, max |dW| %.2e eV\n", ref_file, na, worst_e, worst_f,
           worst_s);
    mtp_free_cfgs(a, na);
    mtp_free_cfgs(b, nb);
    mtp_calculator_destroy(calc);
    mtp_potential_destroy(pot);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, fp);
    fclose(fp);
    return buf;
}

/* Writing what was read gives the same bytes (MLIP-3 files) or at least the
 * same potential (MLIP-2 files with aliases). */
static void round_trip(const char *dir, const char *file, int expect_identical)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    mtp_error err;
    mtp_potential *pot, *again;
    CHECK_OK(mtp_potential_read(path, &pot, &err), err);
    if (!pot) return;
    char *out;
    size_t out_len, in_len;
    CHECK_OK(mtp_potential_write_buffer(pot, &out, &out_len, &err), err);
    char *in = slurp(path, &in_len);
    if (expect_identical)
        CHECK(in_len == out_len && memcmp(in, out, in_len) == 0, "%s: written file differs from the original", file);
    CHECK_OK(mtp_potential_read_buffer(out, out_len, "round-trip", &again, &err), err);
    if (again) {
        int n = mtp_potential_param_count(pot);
        CHECK(n == mtp_potential_param_count(again), "%s: parameter count changed", file);
        mtp_potential_info i1 = mtp_potential_get_info(pot), i2 = mtp_potential_get_info(again);
        CHECK(i1.trained == i2.trained && i1.scaling == i2.scaling && i1.min_dist == i2.min_dist &&
                  i1.max_dist == i2.max_dist && i1.has_al_state == i2.has_al_state,
              "%s: header fields changed", file);
        if (i1.trained) {
            double *t1 = malloc(sizeof(double) * n), *t2 = malloc(sizeof(double) * n);
            mtp_potential_get_params(pot, t1, &err);
            mtp_potential_get_params(again, t2, &err);
            CHECK(memcmp(t1, t2, sizeof(double) * n) == 0, "%s: parameters changed on round trip", file);
            free(t1);
            free(t2);
        }
        for (int s = 0; s < mtp_potential_species_count(pot); s++)
            CHECK(mtp_potential_species_label(pot, s) == mtp_potential_species_label(again, s), "%s: label %d", file, s);
        mtp_potential_destroy(again);
    }
    free(in);
    free(out);
    mtp_potential_destroy(pot);
}

int main(int argc, char **argv)
{
    const char *dir = tu_data_dir(argc, argv, "mlip3/examples/calculate_efs/pot.almtp");
    char base[4096];
    snprintf(base, sizeof base, "%s/mlip3", dir);
    compare_efs(base, "examples/calculate_efs/pot.almtp", "examples/calculate_efs/train.cfg",
                "examples/calculate_efs/calculated.cfg");
    compare_efs(base, "multispecies/pot10.almtp", "multispecies/test3.cfg", "multispecies/test3.efs.cfg");
    compare_efs(base, "multispecies/learned.mtp", "multispecies/NaCl_small.cfgs", "multispecies/NaCl_small.learned.cfg");
    round_trip(base, "examples/calculate_efs/pot.almtp", 1);
    round_trip(base, "examples/select_add/pot.almtp", 1);
    round_trip(base, "multispecies/pot10.almtp", 1);
    round_trip(base, "multispecies/learned.mtp", 0);
    static const char *levels[] = {"06", "08", "10", "12", "14", "16", "18", "20", "22", "24", "26", "28"};
    for (int i = 0; i < 12; i++) {
        char f[64];
        snprintf(f, sizeof f, "templates/%s.almtp", levels[i]);
        round_trip(base, f, 0);
        mtp_potential *t;
        mtp_error err;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", base, f);
        if (mtp_potential_read(path, &t, &err) == MTP_OK) {
            CHECK(mtp_potential_get_info(t).level == atoi(levels[i]), "template %s has level %d", levels[i],
                  mtp_potential_get_info(t).level);
            mtp_potential_destroy(t);
        }
    }
    return tu_finish("mlip_regression");
}
