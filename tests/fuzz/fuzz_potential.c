/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for the potential reader (.mtp / .almtp).  Parses the
 * input; if it is a potential, writes it back to a buffer, and if it is
 * trained, evaluates one tiny neighbourhood through the calculator. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mtp_error err;
    mtp_potential *pot = NULL;
    mtp_status st = mtp_potential_read_buffer((const char *)data, size, "fuzz.almtp", &pot, &err);
    if (st != MTP_OK) {
        if (pot) abort(); /* API contract */
        return 0;
    }
    if (!pot) abort();
    char *buf = NULL;
    size_t len = 0;
    if (mtp_potential_write_buffer(pot, &buf, &len, &err) == MTP_OK) {
        /* NUL-terminated; the active-learning section may hold binary data */
        if (!buf || buf[len] != 0) abort();
        /* what we write must read back */
        mtp_potential *again = NULL;
        if (mtp_potential_read_buffer(buf, len, "roundtrip.almtp", &again, &err) != MTP_OK) {
            /* not a memory-safety issue; reported through the status only */
        }
        mtp_potential_destroy(again);
    }
    free(buf);
    /* untrained potentials are evaluated too: basis-only requests must work
     * and energy requests must fail cleanly with MTP_ERR_UNTRAINED */
    eval_one(pot);
    mtp_potential_destroy(pot);
    return 0;
}
