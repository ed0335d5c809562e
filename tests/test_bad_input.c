/* SPDX-License-Identifier: BSD-3-Clause */
/* Malformed input must give a clear status and message (file:line: what was
 * expected), never a crash, an abort or a huge allocation. */
#include "testutil.h"

#include <openmtp/openmtp.h>

/* Read all configurations of a text; returns the status of the first failure. */
static mtp_status read_text(const char *text, size_t len, const char *name, mtp_error *err, int *count)
{
    FILE *fp = fmemopen((void *)text, len, "rb");
    mtp_reader *r;
    mtp_status st = mtp_reader_open_stream(fp, name, MTP_FORMAT_AUTO, NULL, &r, err);
    *count = 0;
    if (!st) {
        mtp_cfg cfg;
        mtp_cfg_init(&cfg);
        int got;
        while (!(st = mtp_reader_next(r, &cfg, &got, err)) && got) (*count)++;
        mtp_cfg_free(&cfg);
        mtp_reader_close(r);
    }
    fclose(fp);
    return st;
}

static void expect_parse_error(const char *text, const char *name, const char *needle)
{
    mtp_error err;
    int n;
    mtp_status st = read_text(text, strlen(text), name, &err, &n);
    CHECK(st != MTP_OK, "%s: accepted malformed input", name);
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s:", name);
    CHECK(st == MTP_OK || strncmp(err.message, prefix, strlen(prefix)) == 0, "%s: message lacks the file name: %s",
          name, err.message);
    CHECK(st == MTP_OK || !needle || strstr(err.message, needle), "%s: message '%s' lacks '%s'", name, err.message,
          needle);
    if (st) printf("  %-22s -> %s\n", name, err.message);
}

static const char GOOD[] = "BEGIN_CFG\n Size\n    2\n Supercell\n 3 0 0\n 0 3 0\n 0 0 3\n"
                           " AtomData:  id type cartes_x cartes_y cartes_z fx fy fz\n"
                           "   1 0 0.0 0.0 0.0 0.1 0.2 0.3\n   2 1 1.5 1.5 1.5 -0.1 -0.2 -0.3\n"
                           " Energy\n   -3.5\n PlusStress:  xx yy zz yz xz xy\n   1 2 3 4 5 6\n"
                           " Feature   note\tvalue with spaces\nEND_CFG\n";

static void cfg_cases(const char *dir)
{
    mtp_error err;
    int n;
    CHECK(read_text(GOOD, strlen(GOOD), "good.cfg", &err, &n) == MTP_OK && n == 1, "good input rejected: %s",
          err.message);
    /* every truncation of a valid file is an error or a shorter valid read, never a crash */
    size_t complete = (size_t)(strstr(GOOD, "END_CFG") - GOOD) + strlen("END_CFG");
    for (size_t cut = 0; cut < complete; cut++) {
        mtp_status st = read_text(GOOD, cut, "truncated.cfg", &err, &n);
        CHECK(st != MTP_OK || n == 0, "truncated at %zu accepted", cut);
    }
    expect_parse_error("BEGIN_CFG\n Size\n 99999999999\nEND_CFG\n", "huge-size.cfg", "Size");
    expect_parse_error("BEGIN_CFG\n Size\n 100000000\n AtomData: id type cartes_x cartes_y cartes_z\n 1 0 0 0 0\nEND_CFG\n",
                       "absurd-size.cfg", "expected 100000000 atom rows");
    expect_parse_error("BEGIN_CFG\n Size\n 1\n AtomData: id type cartes_x cartes_y cartes_z\n 1 0 nan 0 0\nEND_CFG\n",
                       "nan.cfg", "finite");
    expect_parse_error("BEGIN_CFG\n Size\n 1\n AtomData: id type cartes_x cartes_y cartes_z\n 1 0 inf 0 0\nEND_CFG\n",
                       "inf.cfg", "finite");
    expect_parse_error("BEGIN_CFG\n Size\n 1\n AtomData: id type cartes_x cartes_y cartes_z\n 1 0 0 0 0\n Energy\n 1e999\nEND_CFG\n",
                       "overflow.cfg", "finite");
    expect_parse_error("BEGIN_CFG\n Size\n -3\nEND_CFG\n", "negative.cfg", "Size");
    expect_parse_error("garbage\n", "garbage.cfg", NULL);
    /* MLIP-3's own negative cases */
    for (int k = 1; k <= 9; k++) {
        char path[4096], name[64];
        snprintf(path, sizeof path, "%s/mlip3/configurations/errorneous/%d.cfg", dir, k);
        mtp_cfg *c;
        int cnt;
        mtp_status st = mtp_read_cfgs(path, MTP_FORMAT_AUTO, NULL, &c, &cnt, &err);
        snprintf(name, sizeof name, "errorneous/%d.cfg", k);
        CHECK(st == MTP_ERR_PARSE, "%s: expected a parse error, got status %d", name, (int)st);
        CHECK(st == MTP_OK || (strstr(err.message, path) && strchr(err.message + strlen(path), ':')),
              "%s: message lacks file:line: %s", name, err.message);
        if (st) printf("  %-22s -> %s\n", name, err.message + strlen(dir) + 1);
        else mtp_free_cfgs(c, cnt);
    }
    /* a binary file with a corrupt atom count must not allocate gigabytes */
    static const char bin[] = "n\xff\xff\xff\x0fl";
    CHECK(read_text(bin, sizeof bin - 1, "corrupt.bin", &err, &n) != MTP_OK, "corrupt binary accepted");
}

static void potential_cases(const char *dir)
{
    static const char *bad[][2] = {
        {"MTP\nversion = 1.1.0\n", "end of file"},
        {"MTQ\n", "first line"},
        {"MTP\nversion = 2.0\n", "version"},
        {"MTP\nversion = 1.1.0\npotential_name = x\nradial_basis_type = RBChebyshev\n\tmin_dist = 2\n\tmax_dist = nan\n", "max_dist"},
        {"MTP\nversion = 1.1.0\nradial_basis_type = RBChebyshev\n\tmin_dist = 2\n\tmax_dist = 5\n\tradial_basis_size = 8\n"
         "\tradial_funcs_count = 1\nalpha_moments_count = 1\nalpha_index_basic_count = 1\nalpha_index_basic = {{0, 0, 0, 0}}\n"
         "alpha_index_times_count = 1\nalpha_index_times = {{0, 0, 1, 5}}\nalpha_scalar_moments = 1\nalpha_moment_mapping = {0}\n",
         "alpha_index_times"},
        {"MTP\nversion = 1.1.0\nspecies_count = 2\nradial_basis_type = RBChebyshev\n\tmin_dist = 2\n\tmax_dist = 5\n"
         "\tradial_basis_size = 2\n\tradial_funcs_count = 1\n\tradial_coeffs\n\t\t0-0\n\t\t\t{1, 2}\n"
         "alpha_moments_count = 1\nalpha_index_basic_count = 1\nalpha_index_basic = {{0, 0, 0, 0}}\n"
         "alpha_index_times_count = 0\nalpha_index_times = {}\nalpha_scalar_moments = 1\nalpha_moment_mapping = {0}\n"
         "species_coeffs = {1}\nmoment_coeffs = {1}",
         "species_count"},
        {"MTP\nversion = 1.1.0\nradial_basis_type = RBChebyshev\n\tmin_dist = 2\n\tmax_dist = 5\n\tradial_basis_size = 8\n"
         "\tradial_funcs_count = 3\nalpha_moments_count = 1\nalpha_index_basic_count = 1\nalpha_index_basic = {{0, 0, 0, 0}}\n"
         "alpha_index_times_count = 0\nalpha_index_times = {}\nalpha_scalar_moments = 1\nalpha_moment_mapping = {0}\n",
         "radial_funcs_count"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        mtp_potential *p = NULL;
        mtp_error err;
        mtp_status st = mtp_potential_read_buffer(bad[k][0], strlen(bad[k][0]), "bad.mtp", &p, &err);
        CHECK(st != MTP_OK && !p, "bad potential %zu accepted", k);
        CHECK(st == MTP_OK || strstr(err.message, bad[k][1]), "bad potential %zu: '%s' lacks '%s'", k, err.message,
              bad[k][1]);
        if (st) printf("  bad potential %zu -> %s\n", k, err.message);
    }
    /* every truncation of a real potential fails cleanly or parses */
    char path[4096];
    snprintf(path, sizeof path, "%s/mlip3/multispecies/pot10.almtp", dir);
    FILE *fp = fopen(path, "rb");
    if (fp) {
        static char buf[1 << 22];
        size_t len = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        for (size_t cut = 0; cut < len; cut += 1 + cut / 50) {
            mtp_potential *p = NULL;
            mtp_error err;
            if (mtp_potential_read_buffer(buf, cut, "cut.almtp", &p, &err) == MTP_OK) mtp_potential_destroy(p);
        }
    }
}

static void evaluation_cases(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/mlip3/multispecies/pot10.almtp", dir);
    mtp_potential *pot;
    mtp_calculator *c;
    mtp_error err;
    if (mtp_potential_read(path, &pot, &err)) return;
    mtp_calculator_create(pot, &c, &err);
    mtp_cfg cfg;
    mtp_cfg_init(&cfg);
    mtp_cfg_alloc(&cfg, 3, 0, &err);
    double L[3][3] = {{6, 0, 0}, {0, 6, 0}, {0, 0, 6}};
    memcpy(cfg.lattice, L, sizeof L);
    cfg.positions[3] = 2.0;
    cfg.positions[7] = 2.5;
    double E;
    cfg.types[2] = 7;
    mtp_status st = mtp_compute(c, &cfg, &E, NULL, NULL, NULL, NULL, &err);
    CHECK(st == MTP_ERR_SPECIES && strstr(err.message, "type 7"), "unknown species: %d %s", (int)st, err.message);
    printf("  unknown species -> %s\n", err.message);
    cfg.types[2] = 2;
    cfg.positions[4] = NAN;
    st = mtp_compute(c, &cfg, &E, NULL, NULL, NULL, NULL, &err);
    CHECK(st == MTP_ERR_GEOMETRY, "NaN position: %d %s", (int)st, err.message);
    printf("  NaN position -> %s\n", err.message);
    cfg.positions[4] = 0;
    memcpy(cfg.positions + 6, cfg.positions + 3, 3 * sizeof(double));
    st = mtp_compute(c, &cfg, &E, NULL, NULL, NULL, NULL, &err);
    CHECK(st == MTP_ERR_GEOMETRY && strstr(err.message, "same position"), "overlap: %d %s", (int)st, err.message);
    printf("  overlapping atoms -> %s\n", err.message);
    cfg.positions[6] = 2.3; /* 0.3 A apart: below min_dist */
    st = mtp_compute(c, &cfg, &E, NULL, NULL, NULL, NULL, &err);
    CHECK(st == MTP_OK && mtp_calculator_stats(c).n_close_pairs == 2, "close pair counted: %ld",
          mtp_calculator_stats(c).n_close_pairs);
    mtp_calculator_set_min_dist_policy(c, MTP_MIN_DIST_REFUSE);
    st = mtp_compute(c, &cfg, &E, NULL, NULL, NULL, NULL, &err);
    CHECK(st == MTP_ERR_GEOMETRY && strstr(err.message, "min_dist"), "min_dist refused: %d %s", (int)st, err.message);
    printf("  closer than min_dist -> %s\n", err.message);
    double flat[3][3] = {{6, 0, 0}, {12, 0, 0}, {0, 0, 6}};
    memcpy(cfg.lattice, flat, sizeof flat);
    st = mtp_compute(c, &cfg, &E, NULL, NULL, NULL, NULL, &err);
    CHECK(st == MTP_ERR_GEOMETRY, "singular cell: %d %s", (int)st, err.message);
    printf("  singular cell -> %s\n", err.message);
    mtp_cfg_free(&cfg);
    mtp_calculator_destroy(c);
    mtp_potential_destroy(pot);
    /* an untrained template cannot evaluate energies */
    snprintf(path, sizeof path, "%s/mlip3/templates/08.almtp", dir);
    if (mtp_potential_read(path, &pot, &err) == MTP_OK) {
        mtp_calculator_create(pot, &c, &err);
        int sp = 0;
        double r[3] = {2.5, 0, 0};
        st = mtp_site_eval(c, 0, 1, &sp, r, &E, NULL, NULL, NULL, &err);
        CHECK(st == MTP_ERR_UNTRAINED, "untrained: %d", (int)st);
        mtp_calculator_destroy(c);
        mtp_potential_destroy(pot);
    }
}

/* The type rule of a configuration (mtp_potential_cfg_species): labels only when any atom
 * carries a label, otherwise relative types 0..S-1 in the potential's order (MLIP files; as
 * `mtp train` reads them), so that a stray small atomic number (H = 1) among labelled atoms
 * is an error, never species 1. */
static void relative_type_cases(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/mlip3/multispecies/pot10.almtp", dir);
    mtp_potential *pot;
    mtp_calculator *c;
    mtp_error err;
    if (mtp_potential_read(path, &pot, &err)) return;
    int S = mtp_potential_species_count(pot);
    CHECK(S == 3, "pot10 has %d species, the test expects 3", S);
    if (S != 3) return;
    mtp_cfg cfg;
    mtp_cfg_init(&cfg);
    mtp_cfg_alloc(&cfg, 3, 0, &err);
    double L[3][3] = {{6, 0, 0}, {0, 6, 0}, {0, 0, 6}};
    memcpy(cfg.lattice, L, sizeof L);
    cfg.positions[3] = 2.0;
    cfg.positions[7] = 2.5;
    double E_rel, E_lab, E, E_022, F_rel[9], F_lab[9];
    int sp[3];
    for (int i = 0; i < 3; i++) cfg.types[i] = i;
    mtp_calculator_create(pot, &c, &err);
    mtp_status st = mtp_compute(c, &cfg, &E_rel, F_rel, NULL, NULL, NULL, &err);
    CHECK(st == MTP_OK, "labels 0,1,2: %s", err.message);
    cfg.types[1] = 2;
    st = mtp_compute(c, &cfg, &E_022, NULL, NULL, NULL, NULL, &err);
    CHECK(st == MTP_OK, "labels 0,1,2, types 0,2,2: %s", err.message);
    mtp_calculator_destroy(c);
    const int z[3] = {3, 15, 16}; /* Li, P, S */
    mtp_potential_set_species(pot, 3, z, &err);
    mtp_calculator_create(pot, &c, &err);
    for (int i = 0; i < 3; i++) cfg.types[i] = i;
    st = mtp_compute(c, &cfg, &E, NULL, NULL, NULL, NULL, &err);
    CHECK(st == MTP_OK && E == E_rel, "labels 3,15,16, relative types 0,1,2: %d %s, E %.17g vs %.17g", (int)st,
          err.message, E, E_rel);
    for (int i = 0; i < 3; i++) cfg.types[i] = z[i];
    st = mtp_compute(c, &cfg, &E_lab, F_lab, NULL, NULL, NULL, &err);
    CHECK(st == MTP_OK && E_lab == E_rel && !memcmp(F_lab, F_rel, sizeof F_rel), "types 3,15,16: %d %s", (int)st,
          err.message);
    cfg.types[0] = 1; /* H among Li-P-S labels: an error, not species 1 (P) */
    st = mtp_compute(c, &cfg, &E, NULL, NULL, NULL, NULL, &err);
    CHECK(st == MTP_ERR_SPECIES && strstr(err.message, "atom 1 has type 1") && strstr(err.message, "every atom"),
          "type 1 among labels: %d %s", (int)st, err.message);
    printf("  a small atomic number among labelled atoms -> %s\n", err.message);
    cfg.types[0] = 0; /* relative 0 with labels 15, 16: mixed, refused */
    st = mtp_potential_cfg_species(pot, &cfg, sp, &err);
    CHECK(st == MTP_ERR_SPECIES && strstr(err.message, "type 0"), "mixed relative and label types: %d %s", (int)st,
          err.message);
    cfg.types[0] = 0, cfg.types[1] = 1, cfg.types[2] = 4; /* no label, 4 is no relative type */
    st = mtp_compute(c, &cfg, &E, NULL, NULL, NULL, NULL, &err);
    CHECK(st == MTP_ERR_SPECIES && strstr(err.message, "type 4") && strstr(err.message, "relative types 0..2"),
          "type 4: %d %s", (int)st, err.message);
    printf("  neither labels nor relative types -> %s\n", err.message);
    mtp_calculator_destroy(c);
    const int h[3] = {1, 3, 15}; /* H's label 1 is also a relative type */
    mtp_potential_set_species(pot, 3, h, &err);
    mtp_calculator_create(pot, &c, &err);
    for (int i = 0; i < 3; i++) cfg.types[i] = i; /* 1 is a label: labels only, 0 refused */
    st = mtp_compute(c, &cfg, &E, NULL, NULL, NULL, NULL, &err);
    CHECK(st == MTP_ERR_SPECIES && strstr(err.message, "type 0"), "labels 1,3,15, types 0,1,2: %d %s", (int)st,
          err.message);
    cfg.types[0] = 0, cfg.types[1] = 2, cfg.types[2] = 2; /* no label: relative 0,2,2 = H, P, P */
    st = mtp_compute(c, &cfg, &E, NULL, NULL, NULL, NULL, &err);
    CHECK(st == MTP_OK && E == E_022, "labels 1,3,15, relative types 0,2,2: %d %s", (int)st, err.message);
    mtp_cfg_free(&cfg);
    mtp_calculator_destroy(c);
    mtp_potential_destroy(pot);
}

int main(int argc, char **argv)
{
    const char *dir = tu_data_dir(argc, argv, "mlip3/configurations/errorneous/1.cfg");
    cfg_cases(dir);
    potential_cases(dir);
    evaluation_cases(dir);
    relative_type_cases(dir);
    return tu_finish("bad_input");
}
