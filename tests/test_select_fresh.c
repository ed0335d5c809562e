/* SPDX-License-Identifier: BSD-3-Clause */
/* mtp_active_set_options.fresh_inverse (libmtp/src/active_set.c): MLIP-3's
 * selection updates A^-1 and the candidates' coefficients by rank-one
 * formulas only; when |det A| grows by hundreds of orders of magnitude
 * (from init_value * I to rows whose columns span ten orders, as the
 * moment-coefficient columns of real neighbourhood rows do) both drift,
 * and rows it judged <= threshold grade far above it against the stored
 * set.  With fresh_inverse every row offered to the selection grades <=
 * threshold afterwards, against the stored A^-1 (what `mtp calculate_grade`
 * and LAMMPS use), after a store/load round trip, and against an inverse
 * computed from A afresh.
 *
 * Usage: test_select_fresh [--off]
 *   --off runs the same checks with fresh_inverse = 0 (MLIP-3's
 *   selection); they must fail there (ctest select_fresh_inverse_off,
 *   WILL_FAIL), which shows that this data set does drift. */
#include "internal.h"
#include "testpot.h"

enum { N_ROWS = 800, N_LATENT = 5 };
static const double THRESHOLD = 1.001, TOLERANCE = 1e-9;

/* Rows like real neighbourhood rows: every column a product of small
 * powers of a few latent variables (the moments of one neighbourhood),
 * column scales from 1e-2 to 1e8 (radial gradients ~1, moment products up
 * to ~1e8 in mlearn Si); strongly correlated, so A is ill-conditioned. */
static double *drifting_rows(int P)
{
    int (*power)[N_LATENT] = malloc(sizeof *power * (size_t)P);
    double *scale = malloc(sizeof(double) * (size_t)P), *rows = malloc(sizeof(double) * (size_t)P * N_ROWS);
    for (int j = 0; j < P; j++) {
        for (int k = 0; k < N_LATENT; k++) power[j][k] = (int)(2 * (tu_rand() + 1)) % 4;
        scale[j] = pow(10, -2 + 10.0 * j / (P - 1));
    }
    for (int i = 0; i < N_ROWS; i++) {
        double z[N_LATENT];
        for (int k = 0; k < N_LATENT; k++) z[k] = 0.5 + 0.75 * (tu_rand() + 1);
        for (int j = 0; j < P; j++) {
            double v = scale[j];
            for (int k = 0; k < N_LATENT; k++) v *= pow(z[k], power[j][k]);
            rows[(size_t)i * P + j] = v;
        }
    }
    free(power);
    free(scale);
    return rows;
}

static double worst_grade(const mtp_active_set *as, const double *rows, int P)
{
    double *c = malloc(sizeof(double) * (size_t)P), worst = 0;
    for (int i = 0; i < N_ROWS; i++) worst = fmax(worst, mtp_active_set_row_grade(as, rows + (size_t)i * P, c));
    free(c);
    return worst;
}

/* Each row is one neighbourhood: a configuration of one atom. */
static void queue_rows(mtp_active_set *as, const mtp_cfg *atom, const double *rows, int P)
{
    mtp_error err;
    for (int i = 0; i < N_ROWS; i++) CHECK_OK(mtp_active_set_queue(as, atom, i, rows + (size_t)i * P, &err), err);
}

int main(int argc, char **argv)
{
    const int fresh = !(argc > 1 && strcmp(argv[1], "--off") == 0);
    mtp_potential *pot = tp_potential(6, 1, 5.0);
    const int P = mtp_potential_param_count(pot);
    printf("fresh_inverse = %d; level 6 test potential: %d parameters, %d rows\n", fresh, P, N_ROWS);
    double *rows = drifting_rows(P);
    const double L[3][3] = {{10, 0, 0}, {0, 10, 0}, {0, 0, 10}};
    mtp_cfg atom;
    tp_random_cfg(&atom, 1, L, 1, 1.7, 1);
    mtp_error err;

    /* one selection from init_value * I over all rows (as `mtp train`) */
    mtp_active_set *as;
    mtp_active_set_options o = {MTP_GRADE_NEIGHBORHOOD, THRESHOLD, 1e-6, 2, fresh};
    CHECK_OK(mtp_active_set_create(pot, &o, &as, &err), err);
    queue_rows(as, &atom, rows, P);
    long swaps;
    CHECK_OK(mtp_active_set_select_queued(as, THRESHOLD, 0, &swaps, &err), err);
    double stored = worst_grade(as, rows, P);
    printf("after %ld swaps, log|det A| %.6f: worst grade %.6f against the stored A^-1\n", swaps,
           mtp_active_set_log_volume(as), stored);
    CHECK(stored <= THRESHOLD + TOLERANCE, "a selected-over row grades %.6f against the stored A^-1", stored);
    /* as the potential file carries it (the grader's view) */
    CHECK_OK(mtp_active_set_store(as, pot, &err), err);
    mtp_active_set *back;
    CHECK_OK(mtp_active_set_load(pot, &back, &err), err);
    double loaded = worst_grade(back, rows, P);
    CHECK(loaded <= THRESHOLD + TOLERANCE, "a selected-over row grades %.6f after store and load", loaded);
    /* the set itself, not only its inverse, is complete: a fresh inverse agrees */
    CHECK_OK(mtp_active_set_refresh(as, &err), err);
    double truth = worst_grade(as, rows, P);
    printf("worst grade %.6f against A^-1 computed afresh\n", truth);
    CHECK(truth <= THRESHOLD + TOLERANCE, "a selected-over row grades %.6f against a fresh A^-1", truth);

    /* a loaded set gets the option by mtp_active_set_set_fresh_inverse (as
     * `mtp select_add --fresh_inverse`): selecting the same rows again
     * leaves them <= threshold and the set as good as before */
    mtp_active_set_set_fresh_inverse(back, fresh);
    queue_rows(back, &atom, rows, P);
    long again;
    CHECK_OK(mtp_active_set_select_queued(back, THRESHOLD, 0, &again, &err), err);
    double reselected = worst_grade(back, rows, P);
    printf("re-selection over the same rows: %ld swaps, worst grade %.6f\n", again, reselected);
    CHECK(reselected <= THRESHOLD + TOLERANCE, "after re-selection a row grades %.6f", reselected);

    /* swap_limit still bounds all swaps, those after a refresh included */
    mtp_active_set *limited;
    CHECK_OK(mtp_active_set_create(pot, &o, &limited, &err), err);
    queue_rows(limited, &atom, rows, P);
    long limit = swaps > 1 ? swaps - 1 : 1, made;
    CHECK_OK(mtp_active_set_select_queued(limited, THRESHOLD, limit, &made, &err), err);
    CHECK(made == limit, "swap_limit %ld: %ld swaps made", limit, made);

    mtp_active_set_destroy(limited);
    mtp_active_set_destroy(back);
    mtp_active_set_destroy(as);
    mtp_cfg_free(&atom);
    free(rows);
    mtp_potential_destroy(pot);
    return tu_finish("select_fresh");
}
