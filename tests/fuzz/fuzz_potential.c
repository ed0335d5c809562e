/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for the potential reader (.mtp / .almtp).  Parses the
 * input; if it is a potential:
 *   - writes it back and re-reads it: the re-read must succeed, give the
 *     same basis, species and coefficients (to the writer's %.15e), and
 *     write back byte for byte the same text (what we write is a fixed point);
 *   - evaluates one tiny neighbourhood through the calculator (basis-only
 *     requests for untrained potentials, refused energies);
 *   - if trained, evaluates a small fixed configuration whose pairs all lie
 *     within [min_dist, max_dist): an accepted potential must give finite
 *     energy, forces and stress there (the reader refuses potentials whose
 *     values are not bounded in their range), so anything else aborts. */
#include <openmtp/openmtp.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Sizes above these are not evaluated: a valid potential may legitimately
 * have them, but the harness would only measure allocation speed. */
enum { MAX_EVAL_PARAMS = 1 << 20, MAX_EVAL_SCALARS = 1 << 16 };

static void eval_one(const mtp_potential *pot)
{
    mtp_potential_info info = mtp_potential_get_info(pot);
    int S = mtp_potential_species_count(pot);
    int P = mtp_potential_param_count(pot);
    if (S <= 0 || P <= 0 || P > MAX_EVAL_PARAMS) return;
    if (info.scalar_count < 0 || info.scalar_count > MAX_EVAL_SCALARS) return;
    double rc = mtp_potential_cutoff(pot);
    if (!(rc > 0) || !isfinite(rc)) return;

    mtp_error err;
    mtp_calculator *calc = NULL;
    if (mtp_calculator_create(pot, &calc, &err) != MTP_OK) {
        if (calc) abort();
        return;
    }
    double lo = info.min_dist > 0 && info.min_dist < rc ? info.min_dist : 0;
    double d = lo + 0.5 * (rc - lo);
    if (!(d > 0 && d < rc)) d = 0.5 * rc;
    int species[3] = {0, S > 1 ? 1 : 0, S - 1};
    double rij[9] = {d, 0, 0, 0, 0.9 * d, 0.1 * d, -0.3 * d, 0.2 * d, -0.7 * d};
    double energy = 0, d_rij[9];
    double *basis = malloc(sizeof(double) * (size_t)(info.scalar_count > 0 ? info.scalar_count : 1));
    double *dparams = malloc(sizeof(double) * (size_t)P);
    if (basis && dparams) {
        int center = S - 1;
        mtp_site_eval(calc, center, 3, species, rij, NULL, NULL, basis, NULL, &err);
        mtp_site_eval(calc, center, 3, species, rij, &energy, d_rij, basis, dparams, &err);
        mtp_site_eval(calc, 0, 0, species, rij, &energy, NULL, NULL, NULL, &err);
        mtp_site_eval(calc, 0, 1, species, rij, &energy, d_rij, NULL, NULL, &err);
        /* an out-of-range species must be refused, not read out of bounds */
        int bad = S;
        mtp_site_eval(calc, 0, 1, &bad, rij, &energy, NULL, NULL, NULL, &err);
    }
    free(basis);
    free(dparams);
    mtp_calculator_destroy(calc);
}

/* A regular tetrahedron of edge d = the middle of [min_dist, max_dist),
 * non-periodic, species mixed: every pair is in the potential's range. */
static void eval_in_range(const mtp_potential *pot)
{
    mtp_potential_info info = mtp_potential_get_info(pot);
    int S = mtp_potential_species_count(pot);
    if (!info.trained || S <= 0 || info.param_count > MAX_EVAL_PARAMS || info.scalar_count > MAX_EVAL_SCALARS)
        return;
    double d = info.min_dist + 0.5 * (info.max_dist - info.min_dist);
    mtp_error err;
    mtp_calculator *calc = NULL;
    if (mtp_calculator_create(pot, &calc, &err) != MTP_OK) return; /* out of memory only */
    mtp_cfg cfg;
    mtp_cfg_init(&cfg);
    if (mtp_cfg_alloc(&cfg, 4, 0, &err) == MTP_OK) {
        static const double unit[4][3] = {{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}}; /* edge 2 sqrt 2 */
        const double a = d / (2 * sqrt(2.0));
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < 3; k++) cfg.positions[3 * i + k] = a * unit[i][k];
            cfg.types[i] = mtp_potential_species_label(pot, i % S);
        }
        double energy = NAN, forces[12], virial[6];
        mtp_status st = mtp_compute(calc, &cfg, &energy, forces, virial, NULL, NULL, &err);
        /* refusals other than resource limits are failures: the configuration is valid */
        if (st != MTP_OK && st != MTP_ERR_NOMEM) abort();
        if (st == MTP_OK) {
            if (!isfinite(energy)) abort();
            for (int k = 0; k < 12; k++)
                if (!isfinite(forces[k])) abort();
            for (int k = 0; k < 6; k++)
                if (!isfinite(virial[k])) abort();
        }
    }
    mtp_cfg_free(&cfg);
    mtp_calculator_destroy(calc);
}

static int same_double(double a, double b)
{
    /* the writer prints %.15e: 16 significant digits */
    return a == b || fabs(a - b) <= 1e-15 * fmax(fabs(a), fabs(b));
}

/* The re-read potential must be the written one. */
static void check_round_trip(const mtp_potential *pot, const char *buf, size_t len)
{
    mtp_error err;
    mtp_potential *again = NULL;
    if (mtp_potential_read_buffer(buf, len, "roundtrip.almtp", &again, &err) != MTP_OK) {
        if (err.status == MTP_ERR_NOMEM) return;
        abort(); /* we wrote a file we refuse to read */
    }
    mtp_potential_info a = mtp_potential_get_info(pot), b = mtp_potential_get_info(again);
    if (a.level != b.level || a.species_count != b.species_count || a.radial_funcs_count != b.radial_funcs_count ||
        a.radial_basis_size != b.radial_basis_size || a.basic_count != b.basic_count ||
        a.moments_count != b.moments_count || a.times_count != b.times_count || a.scalar_count != b.scalar_count ||
        a.param_count != b.param_count || a.trained != b.trained || a.has_al_state != b.has_al_state ||
        a.radial_type != b.radial_type || !same_double(a.min_dist, b.min_dist) ||
        !same_double(a.max_dist, b.max_dist) || !same_double(a.scaling, b.scaling))
        abort();
    for (int s = 0; s < a.species_count; s++)
        if (mtp_potential_species_label(pot, s) != mtp_potential_species_label(again, s)) abort();
    if (a.trained && a.param_count > 0 && a.param_count <= MAX_EVAL_PARAMS) {
        double *x = malloc(sizeof(double) * (size_t)a.param_count), *y = malloc(sizeof(double) * (size_t)a.param_count);
        if (x && y && mtp_potential_get_params(pot, x, &err) == MTP_OK &&
            mtp_potential_get_params(again, y, &err) == MTP_OK)
            for (int k = 0; k < a.param_count; k++)
                if (!same_double(x[k], y[k])) abort();
        free(x);
        free(y);
    }
    /* written again, byte for byte the same (basis tuples, mapping, labels, AL section) */
    char *buf2 = NULL;
    size_t len2 = 0;
    if (mtp_potential_write_buffer(again, &buf2, &len2, &err) == MTP_OK) {
        if (len2 != len || memcmp(buf, buf2, len) != 0) abort();
    }
    free(buf2);
    mtp_potential_destroy(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mtp_error err;
    mtp_potential *pot = NULL;
    mtp_status st = mtp_potential_read_buffer((const char *)data, size, "fuzz.almtp", &pot, &err);
    if (st != MTP_OK) {
        if (pot) abort(); /* API contract */
        /* a refusal says where: "fuzz.almtp:<line>: ..." or "fuzz.almtp: ..." */
        if (strncmp(err.message, "fuzz.almtp:", 11) != 0 && st != MTP_ERR_NOMEM) abort();
        return 0;
    }
    if (!pot) abort();
    char *buf = NULL;
    size_t len = 0;
    if (mtp_potential_write_buffer(pot, &buf, &len, &err) == MTP_OK) {
        /* NUL-terminated; the active-learning section may hold binary data */
        if (!buf || buf[len] != 0) abort();
        check_round_trip(pot, buf, len);
    }
    free(buf);
    /* untrained potentials are evaluated too: basis-only requests must work
     * and energy requests must fail cleanly with MTP_ERR_UNTRAINED */
    eval_one(pot);
    eval_in_range(pot);
    mtp_potential_destroy(pot);
    return 0;
}
