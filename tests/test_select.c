/* SPDX-License-Identifier: BSD-3-Clause */
/* Active-set selection (libmtp/src/active_set.c, maxvol.c) against its
 * definition: MaxVol stability after MLIP-3's selection, and greedy batch
 * choices equal to a brute-force search over determinants computed from
 * scratch.  Generated potentials and configurations only. */
#include "internal.h"
#include "testpot.h"

/* log |det M| by Gaussian elimination with partial pivoting (M destroyed). */
static double log_abs_det(double *M, int n)
{
    double ld = 0;
    for (int k = 0; k < n; k++) {
        int p = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(M[(size_t)i * n + k]) > fabs(M[(size_t)p * n + k])) p = i;
        if (p != k)
            for (int j = 0; j < n; j++) {
                double t = M[(size_t)k * n + j];
                M[(size_t)k * n + j] = M[(size_t)p * n + j];
                M[(size_t)p * n + j] = t;
            }
        double d = M[(size_t)k * n + k];
        if (d == 0) return -INFINITY;
        ld += log(fabs(d));
        for (int i = k + 1; i < n; i++) {
            double f = M[(size_t)i * n + k] / d;
            for (int j = k; j < n; j++) M[(size_t)i * n + j] -= f * M[(size_t)k * n + j];
        }
    }
    return ld;
}

/* A as stored in the potential's MVS_v1.1 section (the file format, read
 * independently of the library's loader). */
static double *stored_A(const mtp_potential *pot, int P)
{
    const unsigned char *s = pot->al_section;
    size_t pos = 0;
    for (int lines = 0; lines < 6; pos++) lines += s[pos] == '\n'; /* header + 5 weights */
    if (s[pos] != '#') return NULL;
    double *A = malloc(sizeof(double) * P * P);
    memcpy(A, s + pos + 1, sizeof(double) * P * P);
    return A;
}

static void random_cfgs(mtp_cfg *cfgs, int count, int n_min, int n_max)
{
    for (int k = 0; k < count; k++) {
        int n = n_min + (int)((n_max - n_min + 1) * 0.5 * (tu_rand() + 1)) % (n_max - n_min + 1);
        double a = 2.6 * cbrt((double)n) + 0.3 * tu_rand();
        double L[3][3] = {{a, 0, 0}, {0.3 * tu_rand(), a, 0}, {0, 0.2 * tu_rand(), a}};
        tp_random_cfg(&cfgs[k], n, L, 1, 1.7, 1);
    }
}

static double max_grade(const mtp_active_set *as, const mtp_cfg *cfg, mtp_calculator *calc, int P)
{
    int m = mtp_active_set_row_count(as, cfg);
    double *rows = malloc(sizeof(double) * P * (m ? m : 1)), *c = malloc(sizeof(double) * P), g = 0;
    mtp_error err;
    CHECK_OK(mtp_active_set_rows(as, calc, cfg, rows, NULL, &err), err);
    for (int i = 0; i < m; i++) g = fmax(g, mtp_active_set_row_grade(as, rows + (size_t)i * P, c));
    free(rows);
    free(c);
    return g;
}

/* MLIP-3's selection leaves every queued row with grade <= threshold, and
 * selecting the same configurations again swaps nothing. */
static void test_stability(mtp_potential *pot, mtp_grade_mode mode, int n_train)
{
    const int P = mtp_potential_param_count(pot);
    mtp_error err;
    mtp_active_set *as;
    mtp_active_set_options o = {mode, 1.001, 1e-6, 2, 0};
    CHECK_OK(mtp_active_set_create(pot, &o, &as, &err), err);
    mtp_cfg *cfgs = calloc((size_t)n_train, sizeof *cfgs);
    random_cfgs(cfgs, n_train, 4, 9);
    for (int k = 0; k < n_train; k++) CHECK_OK(mtp_active_set_queue(as, &cfgs[k], k, NULL, &err), err);
    long swaps;
    CHECK_OK(mtp_active_set_select_queued(as, 1.001, 0, &swaps, &err), err);
    CHECK(swaps >= P / 2, "mode %d: only %ld swaps for %d parameters", mode, swaps, P);
    mtp_calculator *calc;
    CHECK_OK(mtp_calculator_create(pot, &calc, &err), err);
    double worst = 0;
    for (int k = 0; k < n_train; k++) worst = fmax(worst, max_grade(as, &cfgs[k], calc, P));
    CHECK(worst <= 1.001 + 1e-9, "mode %d: a selected-over row has grade %.12g", mode, worst);
    int size = mtp_active_set_size(as);
    for (int k = 0; k < n_train; k++) CHECK_OK(mtp_active_set_queue(as, &cfgs[k], 1000 + k, NULL, &err), err);
    CHECK_OK(mtp_active_set_select_queued(as, 1.001, 0, &swaps, &err), err);
    CHECK(swaps == 0 && mtp_active_set_size(as) == size, "mode %d: re-selection made %ld swaps", mode, swaps);
    /* a stored and re-loaded state grades the same */
    CHECK_OK(mtp_active_set_store(as, pot, &err), err);
    mtp_active_set *back;
    CHECK_OK(mtp_active_set_load(pot, &back, &err), err);
    CHECK(mtp_active_set_size(back) == size, "mode %d: %d members after loading, %d stored", mode,
          mtp_active_set_size(back), size);
    CHECK(tu_close(mtp_active_set_log_volume(back), mtp_active_set_log_volume(as), 1e-9, 1e-9),
          "mode %d: log det %.12g after loading, %.12g before", mode, mtp_active_set_log_volume(back),
          mtp_active_set_log_volume(as));
    mtp_cfg probe;
    random_cfgs(&probe, 1, 6, 6);
    CHECK(tu_close(max_grade(back, &probe, calc, P), max_grade(as, &probe, calc, P), 1e-10, 1e-12),
          "mode %d: a loaded state grades differently", mode);
    mtp_cfg_free(&probe);
    mtp_active_set_destroy(back);
    for (int k = 0; k < n_train; k++) mtp_cfg_free(&cfgs[k]);
    free(cfgs);
    mtp_calculator_destroy(calc);
    mtp_active_set_destroy(as);
}

/* Greedy batch choices (configuration mode: one row per configuration)
 * against brute force: at every step the chosen candidate and slot give the
 * largest |det A| over all candidates and all slots, each determinant
 * computed from scratch.  Duplicates of a chosen configuration are never
 * chosen again. */
static void test_greedy_brute_force(mtp_potential *pot)
{
    const int P = mtp_potential_param_count(pot), n_train = P + 5, n_uniq = 30, n_dup = 6, n_pool = n_uniq + n_dup;
    const int N = 12;
    mtp_error err;
    mtp_active_set *as;
    mtp_active_set_options o = {MTP_GRADE_CONFIGURATION, 1.001, 1e-6, 2, 0};
    CHECK_OK(mtp_active_set_create(pot, &o, &as, &err), err);
    mtp_cfg *train = calloc((size_t)n_train, sizeof *train), *pool = calloc((size_t)n_pool, sizeof *pool);
    random_cfgs(train, n_train, 3, 5); /* small cells: the pool (more atoms) extrapolates */
    random_cfgs(pool, n_uniq, 6, 10);
    for (int k = 0; k < n_dup; k++) mtp_cfg_init(&pool[n_uniq + k]);
    for (int k = 0; k < n_dup; k++) mtp_cfg_copy(&pool[n_uniq + k], &pool[(7 * k) % n_uniq], &err);
    for (int k = 0; k < n_train; k++) CHECK_OK(mtp_active_set_queue(as, &train[k], -2, NULL, &err), err);
    CHECK_OK(mtp_active_set_select_queued(as, 1.001, 0, NULL, &err), err);
    CHECK_OK(mtp_active_set_store(as, pot, &err), err);
    double *A = stored_A(pot, P), *M = malloc(sizeof(double) * P * P);
    double *B = malloc(sizeof(double) * P * n_pool), *O = malloc(sizeof(double) * P * 4 * N);
    int nO = 0;
    mtp_calculator *calc;
    CHECK_OK(mtp_calculator_create(pot, &calc, &err), err);
    for (int k = 0; k < n_pool; k++) CHECK_OK(mtp_active_set_rows(as, calc, &pool[k], B + (size_t)k * P, NULL, &err), err);
    memcpy(M, A, sizeof(double) * P * P);
    double ld = log_abs_det(M, P);
    CHECK(tu_close(ld, mtp_active_set_log_volume(as), 1e-8, 1e-8), "log det %.12g, the set says %.12g", ld,
          mtp_active_set_log_volume(as));

    for (int k = 0; k < n_pool; k++) CHECK_OK(mtp_active_set_queue(as, &pool[k], k, B + (size_t)k * P, &err), err);
    long tags[N];
    double grades[N];
    int np;
    CHECK_OK(mtp_active_set_select_greedy(as, 1.001, 0, N, tags, grades, &np, &err), err);
    CHECK(np >= 4, "only %d choices", np);
    int chosen[64] = {0};
    for (int s = 0; s <= np && s < N; s++) {
        double best = -INFINITY, second = -INFINITY;
        int bc = -1, bj = -1;
        for (int c = 0; c < n_pool; c++) {
            if (chosen[c]) continue;
            double bc_best = -INFINITY;
            int bc_j = -1;
            for (int j = 0; j < P; j++) {
                memcpy(M, A, sizeof(double) * P * P);
                memcpy(M + (size_t)j * P, B + (size_t)c * P, sizeof(double) * P);
                double v = log_abs_det(M, P);
                if (v > bc_best) {
                    bc_best = v;
                    bc_j = j;
                }
            }
            if (bc_best > best) {
                second = best;
                best = bc_best;
                bc = c;
                bj = bc_j;
            } else if (bc_best > second) second = bc_best;
        }
        if (s == np) { /* the greedy stopped: nothing is worth adding any more */
            CHECK(best - ld <= log(1.001) + 1e-9, "stopped after %d choices, but candidate %d has det ratio %.10g", np,
                  bc, exp(best - ld));
            break;
        }
        long t = tags[s];
        int same = t == bc || (bc >= n_uniq && t == (7 * (bc - n_uniq)) % n_uniq) ||
                   (t >= n_uniq && bc == (7 * (t - n_uniq)) % n_uniq);
        CHECK(same, "choice %d: candidate %ld, brute force says %d (log det %.10g, runner-up %.10g)", s, t, bc, best,
              second);
        CHECK(tu_close(log(grades[s]), best - ld, 1e-7, 1e-7), "choice %d: grade %.10g, det ratio %.10g", s,
              grades[s], exp(best - ld));
        /* swap it in; the displaced row joins the rows that may come back */
        memcpy(O + (size_t)nO++ * P, A + (size_t)bj * P, sizeof(double) * P);
        memcpy(A + (size_t)bj * P, B + (size_t)bc * P, sizeof(double) * P);
        ld = best;
        /* MaxVol over the displaced rows (chosen rows among them) until no
         * swap gains more than the threshold */
        for (;;) {
            double gain = -INFINITY;
            int br = -1, bs = -1;
            for (int r = 0; r < nO; r++)
                for (int j = 0; j < P; j++) {
                    memcpy(M, A, sizeof(double) * P * P);
                    memcpy(M + (size_t)j * P, O + (size_t)r * P, sizeof(double) * P);
                    double v = log_abs_det(M, P) - ld;
                    if (v > gain) {
                        gain = v;
                        br = r;
                        bs = j;
                    }
                }
            if (!(gain > log(1.001))) break;
            for (int k = 0; k < P; k++) {
                double t = A[(size_t)bs * P + k];
                A[(size_t)bs * P + k] = O[(size_t)br * P + k];
                O[(size_t)br * P + k] = t;
            }
            ld += gain;
        }
        chosen[t] = 1;
        /* a duplicate and its original count as one */
        if (t >= n_uniq) chosen[(7 * (t - n_uniq)) % n_uniq] = 1;
        for (int k = 0; k < n_dup; k++)
            if ((7 * k) % n_uniq == t) chosen[n_uniq + k] = 1;
    }
    CHECK(tu_close(ld, mtp_active_set_log_volume(as), 1e-7, 1e-7), "after the choices: log det %.12g, set %.12g", ld,
          mtp_active_set_log_volume(as));
    double *c = malloc(sizeof(double) * P);
    for (int s = 0; s < np; s++) {
        double g = mtp_active_set_row_grade(as, B + (size_t)tags[s] * P, c);
        CHECK(g <= 1.001 + 1e-9, "chosen configuration %ld grades %.12g afterwards", tags[s], g);
    }
    free(c);
    for (int s = 0; s < np; s++)
        for (int r = 0; r < s; r++) {
            long a = tags[s] >= n_uniq ? (7 * (tags[s] - n_uniq)) % n_uniq : tags[s];
            long b = tags[r] >= n_uniq ? (7 * (tags[r] - n_uniq)) % n_uniq : tags[r];
            CHECK(a != b, "choices %d and %d (%ld, %ld) are the same configuration", r, s, tags[r], tags[s]);
        }
    free(A);
    free(M);
    free(B);
    free(O);
    for (int k = 0; k < n_train; k++) mtp_cfg_free(&train[k]);
    for (int k = 0; k < n_pool; k++) mtp_cfg_free(&pool[k]);
    free(train);
    free(pool);
    mtp_calculator_destroy(calc);
    mtp_active_set_destroy(as);
}

/* Neighbourhood mode: after greedy choices every chosen configuration's
 * rows grade <= threshold; a duplicate of a choice then too. */
static void test_greedy_nbh(mtp_potential *pot)
{
    const int P = mtp_potential_param_count(pot), n_pool = 12;
    mtp_error err;
    mtp_active_set *as;
    mtp_active_set_options o = {MTP_GRADE_NEIGHBORHOOD, 1.001, 1e-6, 2, 0};
    CHECK_OK(mtp_active_set_create(pot, &o, &as, &err), err);
    mtp_cfg train[4], pool[12];
    random_cfgs(train, 4, 6, 8);
    random_cfgs(pool, 10, 8, 12);
    mtp_cfg_init(&pool[10]);
    mtp_cfg_init(&pool[11]);
    mtp_cfg_copy(&pool[10], &pool[3], &err);
    mtp_cfg_copy(&pool[11], &pool[5], &err);
    for (int k = 0; k < 4; k++) CHECK_OK(mtp_active_set_queue(as, &train[k], -2, NULL, &err), err);
    CHECK_OK(mtp_active_set_select_queued(as, 1.001, 0, NULL, &err), err);
    for (int k = 0; k < n_pool; k++) CHECK_OK(mtp_active_set_queue(as, &pool[k], k, NULL, &err), err);
    long tags[12];
    double grades[12];
    int np;
    CHECK_OK(mtp_active_set_select_greedy(as, 1.001, 0, 12, tags, grades, &np, &err), err);
    CHECK(np >= 5 && np <= 10, "%d choices among 10 distinct configurations", np);
    mtp_calculator *calc;
    CHECK_OK(mtp_calculator_create(pot, &calc, &err), err);
    int twice = 0;
    for (int s = 0; s < np; s++) {
        double g = max_grade(as, &pool[tags[s]], calc, P);
        CHECK(g <= 1.001 + 1e-9, "chosen configuration %ld grades %.12g afterwards", tags[s], g);
        for (int r = 0; r < s; r++) {
            long a = tags[s] == 10 ? 3 : tags[s] == 11 ? 5 : tags[s], b = tags[r] == 10 ? 3 : tags[r] == 11 ? 5 : tags[r];
            twice += a == b;
        }
    }
    CHECK(twice == 0, "a configuration and its duplicate were both chosen");
    for (int k = 0; k < 4; k++) mtp_cfg_free(&train[k]);
    for (int k = 0; k < n_pool; k++) mtp_cfg_free(&pool[k]);
    mtp_calculator_destroy(calc);
    mtp_active_set_destroy(as);
}

/* Choices made one per call, each call over the candidates not chosen yet
 * (as `select_add --max` does pass by pass), equal the choices of one call
 * over the whole pool: the rows that may come back are carried over. */
static void test_greedy_calls(mtp_potential *pot)
{
    const int n_pool = 10, K = 6;
    mtp_error err;
    mtp_active_set *one, *many;
    mtp_active_set_options o = {MTP_GRADE_NEIGHBORHOOD, 1.001, 1e-6, 2, 0};
    mtp_cfg train[3], pool[10];
    random_cfgs(train, 3, 6, 8);
    random_cfgs(pool, n_pool, 6, 12);
    CHECK_OK(mtp_active_set_create(pot, &o, &one, &err), err);
    CHECK_OK(mtp_active_set_create(pot, &o, &many, &err), err);
    for (int k = 0; k < 3; k++) {
        CHECK_OK(mtp_active_set_queue(one, &train[k], -2, NULL, &err), err);
        CHECK_OK(mtp_active_set_queue(many, &train[k], -2, NULL, &err), err);
    }
    CHECK_OK(mtp_active_set_select_queued(one, 1.001, 0, NULL, &err), err);
    CHECK_OK(mtp_active_set_select_queued(many, 1.001, 0, NULL, &err), err);
    for (int k = 0; k < n_pool; k++) CHECK_OK(mtp_active_set_queue(one, &pool[k], k, NULL, &err), err);
    long tags[10], tag;
    double grades[10], grade;
    int np, got, chosen[10] = {0};
    CHECK_OK(mtp_active_set_select_greedy(one, 1.001, 0, K, tags, grades, &np, &err), err);
    CHECK(np == K, "%d choices, wanted %d", np, K);
    for (int s = 0; s < np; s++) {
        for (int k = 0; k < n_pool; k++)
            if (!chosen[k]) CHECK_OK(mtp_active_set_queue(many, &pool[k], k, NULL, &err), err);
        CHECK_OK(mtp_active_set_select_greedy(many, 1.001, 0, 1, &tag, &grade, &got, &err), err);
        CHECK(got == 1 && tag == tags[s] && tu_close(grade, grades[s], 1e-8, 1e-10),
              "call %d chose %ld (grade %.10g), one call chose %ld (grade %.10g)", s, got ? tag : -1, grade, tags[s],
              grades[s]);
        if (got == 1 && tag >= 0 && tag < n_pool) chosen[tag] = 1;
    }
    CHECK(tu_close(mtp_active_set_log_volume(one), mtp_active_set_log_volume(many), 1e-9, 1e-9),
          "log det %.12g after one call, %.12g after several", mtp_active_set_log_volume(one),
          mtp_active_set_log_volume(many));
    CHECK(mtp_active_set_size(one) == mtp_active_set_size(many), "%d members after one call, %d after several",
          mtp_active_set_size(one), mtp_active_set_size(many));
    for (int k = 0; k < 3; k++) mtp_cfg_free(&train[k]);
    for (int k = 0; k < n_pool; k++) mtp_cfg_free(&pool[k]);
    mtp_active_set_destroy(one);
    mtp_active_set_destroy(many);
}

int main(void)
{
    mtp_potential *pot = tp_potential(6, 1, 5.0);
    printf("level 6 test potential: %d parameters\n", mtp_potential_param_count(pot));
    test_stability(pot, MTP_GRADE_CONFIGURATION, 3 * mtp_potential_param_count(pot));
    test_stability(pot, MTP_GRADE_NEIGHBORHOOD, 12);
    test_greedy_brute_force(pot);
    test_greedy_nbh(pot);
    test_greedy_calls(pot);
    mtp_potential_destroy(pot);
    printf("%d checks, %d failures\n", tu_checks, tu_failures);
    return tu_failures ? 1 : 0;
}
