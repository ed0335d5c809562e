/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for the configuration readers.  Built once per format
 * with -DFUZZ_FORMAT=MTP_FORMAT_xxx.  Reads every configuration of the
 * input (at most MAX_CFGS) through the streaming reader and, for each one
 * the reader accepts, checks what a user would rely on (a violation
 * aborts, so the fuzzer reports the input):
 *   - finite: every number the reader returns (readers reject non-finite
 *     input), and the energy, forces and virial a potential computes from
 *     the configuration whenever the calculation succeeds;
 *   - round trip: written with the no-loss text .cfg writer, and with the
 *     binary .cfg writer (the fields it stores), and read back, the
 *     configuration is the same, number for number and bit for bit;
 *   - right, not just finite: the same configuration with its lattice in
 *     another basis (a -> a + b - c) and its atoms moved by lattice vectors
 *     gives the same energy, forces and virial, and the re-read
 *     configuration gives bit-identical ones.
 * Formats the library does not read yet (MTP_ERR_UNSUPPORTED) are a no-op. */
#include <openmtp/openmtp.h>

#include "internal.h" /* mtp_cell: how many images an evaluation would build */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_FORMAT
#error "define FUZZ_FORMAT"
#endif
#ifndef FUZZ_NAME
#define FUZZ_NAME "fuzz-input"
#endif

enum { MAX_CFGS = 1000 };
/* evaluation is skipped beyond these (cost per input, and the fuzzer's
 * 1 GB malloc limit: the library itself allows far more) */
enum { EVAL_MAX_ATOMS = 64, EVAL_MAX_IMAGES = 20000 };
static const double EVAL_CUTOFF = 4.0;

static void fail(const char *what, long index, const char *detail)
{
    fprintf(stderr, "OPENMTP-FUZZ-FAIL: %s: configuration %ld: %s%s%s\n", FUZZ_NAME, index + 1, what,
            detail ? ": " : "", detail ? detail : "");
    abort();
}

/* ---- finite ------------------------------------------------------- */
static void check_finite_array(const double *v, long n, const char *what, long index)
{
    if (!v) return;
    for (long k = 0; k < n; k++)
        if (!isfinite(v[k])) fail("reader returned a non-finite number", index, what);
}

static void check_read_cfg(const mtp_cfg *c, long index)
{
    if (c->n_atoms < 0 || (c->n_atoms > 0 && (!c->types || !c->positions))) fail("broken configuration", index, NULL);
    long n = c->n_atoms;
    check_finite_array(&c->lattice[0][0], 9, "lattice", index);
    check_finite_array(c->positions, 3 * n, "positions", index);
    check_finite_array(c->forces, 3 * n, "forces", index);
    check_finite_array(c->site_energies, n, "site energies", index);
    check_finite_array(c->charges, n, "charges", index);
    check_finite_array(c->magmom, 3 * n, "magmom", index);
    check_finite_array(c->en_der_magmom, 3 * n, "en_der_magmom", index);
    check_finite_array(c->nbh_grades, n, "nbh_grades", index);
    check_finite_array(c->force_weights, n, "force_weights", index);
    if (c->has_energy) check_finite_array(&c->energy, 1, "energy", index);
    if (c->has_stress) check_finite_array(c->stress, 6, "stress", index);
    for (int f = 0; f < c->n_features; f++)
        if (!c->features[f].key || !c->features[f].value) fail("feature without key or value", index, NULL);
}

/* ---- round trip --------------------------------------------------- */
/* Bit-for-bit equality (so -0.0 vs 0.0 counts too: the writers claim no loss). */
static int same_bits(const double *a, const double *b, long n)
{
    if (!a || !b) return a == b;
    return memcmp(a, b, (size_t)n * sizeof(double)) == 0;
}

static int cmp_feature_key(const void *x, const void *y)
{
    const mtp_feature *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : strcmp(a->value, b->value);
}

/* same features as multisets (the text writer sorts them by key) */
static int same_features(const mtp_cfg *a, const mtp_cfg *b)
{
    if (a->n_features != b->n_features) return 0;
    int n = a->n_features, same = 1;
    if (n == 0) return 1;
    mtp_feature *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    if (!x || !y) abort();
    memcpy(x, a->features, (size_t)n * sizeof *x);
    memcpy(y, b->features, (size_t)n * sizeof *y);
    qsort(x, (size_t)n, sizeof *x, cmp_feature_key);
    qsort(y, (size_t)n, sizeof *y, cmp_feature_key);
    for (int k = 0; k < n && same; k++) same = strcmp(x[k].key, y[k].key) == 0 && strcmp(x[k].value, y[k].value) == 0;
    free(x);
    free(y);
    return same;
}

static int same_ghosts(const mtp_cfg *a, const mtp_cfg *b)
{
    for (int i = 0; i < a->n_atoms; i++)
        if ((a->ghost && a->ghost[i]) != (b->ghost && b->ghost[i])) return 0;
    return 1;
}

/* Bit for bit, except that a row of zeros is a non-periodic direction whatever
 * the signs of its zeros: the text .cfg writes only the rows up to the last
 * non-zero one, so a (-0, 0, 0) row comes back as (0, 0, 0), the same cell. */
static int same_lattice(const mtp_cfg *a, const mtp_cfg *b)
{
    for (int r = 0; r < 3; r++) {
        const double *x = a->lattice[r], *y = b->lattice[r];
        int zx = x[0] == 0 && x[1] == 0 && x[2] == 0, zy = y[0] == 0 && y[1] == 0 && y[2] == 0;
        if (zx && zy) continue;
        if (!same_bits(x, y, 3)) return 0;
    }
    return 1;
}

/* What differs between the configuration and its re-read copy (NULL: nothing).
 * binary: the binary .cfg layout, which has no nbh_grades record and
 * stores force weights only when all are 1 (the writer refuses others). */
static const char *round_trip_difference(const mtp_cfg *a, const mtp_cfg *b, int binary)
{
    long n = a->n_atoms;
    if (a->n_atoms != b->n_atoms) return "atom count";
    if (!same_lattice(a, b)) return "lattice";
    if (n > 0 && memcmp(a->types, b->types, (size_t)n * sizeof(int)) != 0) return "types";
    if (n > 0 && !same_bits(a->positions, b->positions, 3 * n)) return "positions";
    if (n > 0 && !same_bits(a->forces, b->forces, 3 * n)) return "forces";
    if (n > 0 && !same_bits(a->site_energies, b->site_energies, n)) return "site energies";
    if (n > 0 && !same_bits(a->charges, b->charges, n)) return "charges";
    if (n > 0 && !same_bits(a->magmom, b->magmom, 3 * n)) return "magmom";
    if (n > 0 && !same_bits(a->en_der_magmom, b->en_der_magmom, 3 * n)) return "en_der_magmom";
    if (!same_ghosts(a, b)) return "ghost flags";
    if (!binary && n > 0 && !same_bits(a->nbh_grades, b->nbh_grades, n)) return "nbh_grades";
    if (!binary && n > 0 && !same_bits(a->force_weights, b->force_weights, n)) return "force weights";
    if (a->has_energy != b->has_energy || (a->has_energy && !same_bits(&a->energy, &b->energy, 1))) return "energy";
    if (a->has_stress != b->has_stress || (a->has_stress && !same_bits(a->stress, b->stress, 6))) return "stress";
    if (!same_features(a, b)) return "features";
    return NULL;
}

/* Write cfg in `fmt`, read it back into *back.  0 if the writer refused
 * (a documented refusal, e.g. force weights in binary), 1 if re-read. */
static int write_and_reread(const mtp_cfg *cfg, mtp_format fmt, const mtp_write_options *wo, mtp_cfg *back, long index)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) abort();
    mtp_error err;
    mtp_status st = mtp_write_cfg(out, "roundtrip", cfg, fmt, wo, &err);
    if (fclose(out) != 0) abort();
    if (st == MTP_ERR_UNSUPPORTED) {
        free(buf);
        return 0;
    }
    if (st) fail("the writer failed", index, err.message);
    if (len == 0) fail("the writer wrote nothing", index, NULL);
    FILE *in = fmemopen(buf, len, "rb");
    if (!in) abort();
    mtp_reader *r = NULL;
    int got = 0;
    st = mtp_reader_open_stream(in, "roundtrip", fmt, NULL, &r, &err);
    if (!st) st = mtp_reader_next(r, back, &got, &err);
    if (st) fail(fmt == MTP_FORMAT_CFG ? "no-loss text .cfg output is not readable" : "binary .cfg output is not readable",
                 index, err.message);
    if (!got) fail("the written configuration reads back as none", index, NULL);
    mtp_cfg extra;
    mtp_cfg_init(&extra);
    st = mtp_reader_next(r, &extra, &got, &err);
    if (st || got) fail("one written configuration reads back as more than one", index, st ? err.message : NULL);
    mtp_cfg_free(&extra);
    mtp_reader_close(r);
    fclose(in);
    free(buf);
    return 1;
}

/* 1 if *text_copy holds the re-read no-loss text copy, 0 if the writer
 * refused the configuration (MTP_ERR_UNSUPPORTED: something .cfg cannot hold) */
static int check_round_trips(const mtp_cfg *cfg, long index, mtp_cfg *text_copy)
{
    const mtp_write_options no_loss = {.no_loss = 1, .keep_ghosts = 1};
    int have_copy = write_and_reread(cfg, MTP_FORMAT_CFG, &no_loss, text_copy, index);
    const char *d = have_copy ? round_trip_difference(cfg, text_copy, 0) : NULL;
    if (d) fail("no-loss text .cfg round trip changed", index, d);
    mtp_cfg bin;
    mtp_cfg_init(&bin);
    if (write_and_reread(cfg, MTP_FORMAT_CFG_BIN, NULL, &bin, index)) {
        d = round_trip_difference(cfg, &bin, 1);
        if (d) fail("binary .cfg round trip changed", index, d);
    }
    mtp_cfg_free(&bin);
    /* the MLIP-style text writer (6 decimals) must at least be readable */
    mtp_cfg plain;
    mtp_cfg_init(&plain);
    write_and_reread(cfg, MTP_FORMAT_CFG, NULL, &plain, index);
    mtp_cfg_free(&plain);
    return have_copy;
}

/* ---- evaluation ----------------------------------------------------- */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static double rng(void) /* [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 4503599627370496.0 - 1.0;
}

/* a level-6 potential for species 0 and 1 with moderate random coefficients */
static mtp_calculator *calculator(void)
{
    static mtp_potential *pot;
    static mtp_calculator *calc;
    if (calc) return calc;
    mtp_basis_options opt = {6, 2, NULL, 1.0, EVAL_CUTOFF, 6, 0};
    mtp_error err;
    if (mtp_potential_generate(&opt, &pot, &err)) abort();
    int np = mtp_potential_param_count(pot);
    mtp_potential_info in = mtp_potential_get_info(pot);
    int nr = in.species_count * in.species_count * in.radial_funcs_count * in.radial_basis_size;
    double *theta = malloc((size_t)np * sizeof(double));
    if (!theta) abort();
    for (int k = 0; k < np; k++) theta[k] = (k < nr ? 0.3 : k < nr + 2 ? 1.0 : 1e-2) * rng();
    if (mtp_potential_set_params(pot, theta, &err) || mtp_potential_set_scaling(pot, 0.2, &err) ||
        mtp_calculator_create(pot, &calc, &err))
        abort();
    free(theta);
    return calc;
}

typedef struct efs {
    double E, W[6];
    double *F;
} efs;

/* 1 on success (finite results checked), 0 if the library refused (why in *err) */
static int evaluate(const mtp_cfg *cfg, efs *r, long index, mtp_error *err)
{
    r->F = malloc((size_t)(cfg->n_atoms ? cfg->n_atoms : 1) * 3 * sizeof(double));
    if (!r->F) abort();
    mtp_status st = mtp_compute(calculator(), cfg, &r->E, r->F, r->W, NULL, NULL, err);
    if (st == MTP_ERR_NOMEM) fail("out of memory for a small configuration", index, err->message);
    if (st) return 0;
    if (!isfinite(r->E)) fail("non-finite energy", index, NULL);
    for (int k = 0; k < 6; k++)
        if (!isfinite(r->W[k])) fail("non-finite virial", index, NULL);
    for (long k = 0; k < 3L * cfg->n_atoms; k++)
        if (!isfinite(r->F[k])) fail("non-finite force", index, NULL);
    return 1;
}

static double max_abs(const double *v, long n)
{
    double m = 0;
    for (long k = 0; k < n; k++) m = fmax(m, fabs(v[k]));
    return m;
}

/* The same lattice in another basis (rows mixed by an integer matrix of
 * determinant 1, only among the periodic rows) and atoms moved by lattice
 * vectors: mathematically the same configuration. */
static void other_basis(mtp_cfg *c)
{
    int per[3], np = 0;
    for (int a = 0; a < 3; a++) {
        per[a] = c->lattice[a][0] != 0 || c->lattice[a][1] != 0 || c->lattice[a][2] != 0;
        np += per[a];
    }
    double L[3][3];
    memcpy(L, c->lattice, sizeof L);
    for (int i = 0; i < c->n_atoms; i++)
        for (int a = 0; a < 3; a++)
            if (per[a] && (i + a) % 3 == 0)
                for (int k = 0; k < 3; k++) c->positions[3 * i + k] += (i % 2 ? 1 : -2) * L[a][k];
    if (np == 3) /* a -> a + b - c */
        for (int k = 0; k < 3; k++) c->lattice[0][k] = L[0][k] + L[1][k] - L[2][k];
    else if (np == 2) { /* u -> u + 2 v */
        int u = per[0] ? 0 : 1, v = per[2] ? 2 : 1;
        for (int k = 0; k < 3; k++) c->lattice[u][k] = L[u][k] + 2 * L[v][k];
    } else if (np == 1)
        for (int a = 0; a < 3; a++)
            if (per[a])
                for (int k = 0; k < 3; k++) c->lattice[a][k] = -L[a][k];
}

static int same_results(const efs *a, const efs *b, long n, double rel)
{
    double fs = max_abs(a->F, 3 * n) + max_abs(b->F, 3 * n), ws = max_abs(a->W, 6) + max_abs(b->W, 6);
    if (!(fabs(a->E - b->E) <= rel * (fabs(a->E) + fabs(b->E) + 1e-300) + 1e-12)) return 0;
    for (long k = 0; k < 3 * n; k++)
        if (!(fabs(a->F[k] - b->F[k]) <= rel * fs + 1e-12)) return 0;
    for (int k = 0; k < 6; k++)
        if (!(fabs(a->W[k] - b->W[k]) <= rel * ws + 1e-12)) return 0;
    return 1;
}

static void check_evaluation(const mtp_cfg *cfg, const mtp_cfg *reread, long index)
{
    if (cfg->n_atoms == 0 || cfg->n_atoms > EVAL_MAX_ATOMS) return;
    mtp_cell cell;
    mtp_error err;
    if (mtp_cell_init(&cell, cfg->lattice, &err) == MTP_OK &&
        mtp_cell_image_estimate(&cell, EVAL_CUTOFF, cfg->n_atoms) > EVAL_MAX_IMAGES)
        return;
    /* types onto the potential's two species; ghosts would make it a sub-domain */
    mtp_cfg c, r2, o;
    mtp_cfg_init(&c);
    mtp_cfg_init(&r2);
    mtp_cfg_init(&o);
    if (mtp_cfg_copy(&c, cfg, &err) || mtp_cfg_copy(&r2, reread, &err)) abort();
    for (int i = 0; i < c.n_atoms; i++) c.types[i] = r2.types[i] = (int)((unsigned)c.types[i] % 2u);
    efs e1 = {0}, e2 = {0}, e3 = {0};
    int ok = evaluate(&c, &e1, index, &err);
    /* pairs closer than the potential's min_dist: the radial basis is
     * extrapolated there (as in MLIP) and the energy is a sum of huge terms
     * whose rounding depends on their order, which another basis changes;
     * the basis comparison is only meaningful inside the potential's range */
    const int in_range = ok && mtp_calculator_stats(calculator()).n_close_pairs == 0;
    if (evaluate(&r2, &e2, index, &err) != ok) fail("the re-read configuration evaluates differently (success)", index, NULL);
    if (ok && !same_results(&e1, &e2, c.n_atoms, 0))
        fail("the re-read configuration gives other energy, forces or virial", index, NULL);
    /* far from the origin, moving atoms by lattice vectors rounds them */
    double extent = max_abs(c.positions, 3L * c.n_atoms) + 3 * max_abs(&c.lattice[0][0], 9);
    if (in_range && extent < 1e4) {
        if (mtp_cfg_copy(&o, &c, &err)) abort();
        other_basis(&o);
        if (!evaluate(&o, &e3, index, &err)) fail("another basis of the same lattice is refused", index, err.message);
        if (!same_results(&e1, &e3, c.n_atoms, 1e-8))
            fail("another basis of the same lattice gives other energy, forces or virial", index, NULL);
    }
    free(e1.F);
    free(e2.F);
    free(e3.F);
    mtp_cfg_free(&c);
    mtp_cfg_free(&r2);
    mtp_cfg_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0; /* fmemopen rejects empty buffers */
    FILE *fp = fmemopen((void *)data, size, "rb");
    if (!fp) return 0;
    mtp_error err;
    mtp_reader *r = NULL;
    mtp_status st = mtp_reader_open_stream(fp, FUZZ_NAME, FUZZ_FORMAT, NULL, &r, &err);
    if (st == MTP_OK) {
        if (!r) abort(); /* API contract: reader set on success */
        mtp_cfg cfg, back;
        mtp_cfg_init(&cfg);
        mtp_cfg_init(&back);
        int got = 0;
        for (long i = 0; i < MAX_CFGS; i++) {
            st = mtp_reader_next(r, &cfg, &got, &err);
            if (st != MTP_OK || !got) break;
            check_read_cfg(&cfg, i);
            int have_copy = check_round_trips(&cfg, i, &back);
            check_evaluation(&cfg, have_copy ? &back : &cfg, i);
        }
        mtp_cfg_free(&cfg);
        mtp_cfg_free(&back);
        mtp_reader_close(r);
    } else if (r) {
        abort(); /* API contract: *reader NULL on failure */
    } else if (st == MTP_ERR_UNSUPPORTED) {
        static int noted;
        if (!noted++)
            fprintf(stderr, "OPENMTP-FUZZ-NOTE: %s: reader not registered (MTP_ERR_UNSUPPORTED): %s\n",
                    FUZZ_NAME, err.message);
    }
    fclose(fp);
    return 0;
}
