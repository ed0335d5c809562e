/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of the configuration file formats other than .cfg:
 * OUTCAR (against MLIP's reference conversions), extended XYZ (round trip
 * with ASE), LAMMPS dump/data, POSCAR, vasprun.xml, CP2K; malformed input.
 * usage: test_formats <shared-data-dir> <tests/data dir> */
#include "openmtp/openmtp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(c, ...)                                                   \
    do {                                                                \
        if (!(c)) {                                                     \
            failures++;                                                 \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #c);         \
            printf(__VA_ARGS__);                                        \
            printf("\n");                                               \
        }                                                               \
    } while (0)

static char tmpdir[256];

static const char *tmp(const char *name)
{
    static char buf[8][512];
    static int k = 0;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        printf("cannot write %s\n", path);
        exit(1);
    }
    fputs(text, fp);
    fclose(fp);
}

static int file_exists(const char *p) { return access(p, R_OK) == 0; }

static int files_equal(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int eq = fa && fb;
    while (eq) {
        int ca = getc(fa), cb = getc(fb);
        if (ca != cb) eq = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return eq;
}

static int near(double a, double b, double tol) { return fabs(a - b) <= tol * (1 + fabs(b)); }

/* Compare two configurations field by field to tolerance `tol`. */
static int same_cfg(const mtp_cfg *a, const mtp_cfg *b, double tol, int check_stress, int check_energy)
{
    if (a->n_atoms != b->n_atoms) return 0;
    for (int i = 0; i < 9; i++)
        if (!near(a->lattice[i / 3][i % 3], b->lattice[i / 3][i % 3], tol)) return 0;
    for (int i = 0; i < a->n_atoms; i++) {
        if (a->types[i] != b->types[i]) return 0;
        for (int k = 0; k < 3; k++) {
            if (!near(a->positions[3 * i + k], b->positions[3 * i + k], tol)) return 0;
            if ((a->forces != NULL) != (b->forces != NULL)) return 0;
            if (a->forces && !near(a->forces[3 * i + k], b->forces[3 * i + k], tol)) return 0;
        }
    }
    if (check_energy && (a->has_energy != b->has_energy || (a->has_energy && !near(a->energy, b->energy, tol))))
        return 0;
    if (check_stress) {
        if (a->has_stress != b->has_stress) return 0;
        for (int k = 0; a->has_stress && k < 6; k++)
            if (!near(a->stress[k], b->stress[k], tol)) return 0;
    }
    return 1;
}

static void sample_cfg(mtp_cfg *c)
{
    mtp_cfg_init(c);
    mtp_cfg_alloc(c, 4, MTP_CFG_FORCES, NULL);
    double L[3][3] = {{5.1, 0, 0}, {0.7, 4.9, 0}, {-0.4, 0.3, 6.2}};
    memcpy(c->lattice, L, sizeof L);
    double x[12] = {0.1, 0.2, 0.3, 1.5, 2.5, 3.5, 4.0, 0.5, 5.9, 2.2, 4.4, 1.1};
    double f[12] = {0.11, -0.2, 0.3, -0.4, 0.05, 0.6, 0.7, -0.8, 0.9, -0.41, 0.95, -1.8};
    memcpy(c->positions, x, sizeof x);
    memcpy(c->forces, f, sizeof f);
    c->types[0] = 0;
    c->types[1] = 1;
    c->types[2] = 1;
    c->types[3] = 2;
    c->has_energy = 1;
    c->energy = -17.123456789;
    c->has_stress = 1;
    double w[6] = {1.25, -0.5, 0.75, 0.125, -0.25, 0.375};
    memcpy(c->stress, w, sizeof w);
    mtp_cfg_set_feature(c, "config_type", "bulk sample", NULL);
}

static int read_all(const char *path, mtp_format fmt, const mtp_read_options *ro, mtp_cfg **cfgs, int *n,
                    mtp_error *e)
{
    return mtp_read_cfgs(path, fmt, ro, cfgs, n, e);
}

/* ---------------------------------------------------------------- */
static void test_outcar(const char *shared)
{
    char d[1024], p[1200], ref[1200];
    snprintf(d, sizeof d, "%s/mlip3/configurations/VASP", shared);
    snprintf(p, sizeof p, "%s/mlip3/examples/convert_outcar/OUTCAR", shared);
    if (!file_exists(p)) {
        printf("skip: OUTCAR reference data not found under %s\n", shared);
        return;
    }
    mtp_error e;
    mtp_cfg *c = NULL;
    int n = 0;
    /* relax: byte-identical to mlp convert --input_format=outcar */
    CHECK(read_all(p, MTP_FORMAT_AUTO, NULL, &c, &n, &e) == MTP_OK, "%s", e.message);
    CHECK(n == 3, "n=%d", n);
    const char *out = tmp("relax.cfg");
    CHECK(mtp_write_cfgs(out, c, n, MTP_FORMAT_CFG, NULL, 0, &e) == MTP_OK, "%s", e.message);
    snprintf(ref, sizeof ref, "%s/mlip3/examples/convert_outcar/relax.cfg", shared);
    CHECK(files_equal(out, ref), "relax.cfg differs from MLIP's output");
    mtp_free_cfgs(c, n);

    /* usual / no_stresses: MLIP unit-test references (written before the
     * EFS_by feature existed): equal numerically, feature aside */
    const char *pairs[2][2] = {{"OUTCAR_usual", "cfg_usual"}, {"OUTCAR_no_stresses", "cfg_no_stresses"}};
    for (int k = 0; k < 2; k++) {
        mtp_cfg *a = NULL, *b = NULL;
        int na = 0, nb = 0;
        snprintf(p, sizeof p, "%s/%s", d, pairs[k][0]);
        snprintf(ref, sizeof ref, "%s/%s", d, pairs[k][1]);
        CHECK(read_all(p, MTP_FORMAT_OUTCAR, NULL, &a, &na, &e) == MTP_OK, "%s", e.message);
        CHECK(read_all(ref, MTP_FORMAT_CFG, NULL, &b, &nb, &e) == MTP_OK, "%s", e.message);
        CHECK(na == 1 && nb == 1, "%s: %d %d", pairs[k][0], na, nb);
        if (na == 1 && nb == 1) {
            /* to the printed precision: write ours and re-read */
            const char *t = tmp("o.cfg");
            mtp_write_cfgs(t, a, 1, MTP_FORMAT_CFG, NULL, 0, &e);
            mtp_cfg *a2 = NULL;
            int n2 = 0;
            read_all(t, MTP_FORMAT_CFG, NULL, &a2, &n2, &e);
            CHECK(n2 == 1 && same_cfg(&a2[0], &b[0], 1e-12, 1, 1), "%s differs from %s", pairs[k][0], pairs[k][1]);
            const char *f = mtp_cfg_get_feature(&a[0], "EFS_by");
            CHECK(f && strcmp(f, "VASP") == 0, "EFS_by");
            mtp_free_cfgs(a2, n2);
        }
        CHECK(k != 1 || (na == 1 && !a[0].has_stress), "no_stresses has a stress");
        mtp_free_cfgs(a, na);
        mtp_free_cfgs(b, nb);
    }
    /* absolute types: Pd Ag -> 47 for the Ag atoms */
    mtp_read_options ro = {0};
    ro.absolute_types = 1;
    snprintf(p, sizeof p, "%s/OUTCAR_relax", d);
    CHECK(read_all(p, MTP_FORMAT_OUTCAR, &ro, &c, &n, &e) == MTP_OK, "%s", e.message);
    CHECK(n == 3 && c[0].types[0] == 47, "absolute types");
    mtp_free_cfgs(c, n);
    /* type map */
    const char *map[] = {"Ag", "Pd"};
    mtp_read_options rm = {0};
    rm.type_map = map;
    rm.type_map_count = 2;
    CHECK(read_all(p, MTP_FORMAT_OUTCAR, &rm, &c, &n, &e) == MTP_OK, "%s", e.message);
    CHECK(n == 3 && c[0].types[0] == 0, "type map");
    mtp_free_cfgs(c, n);
    /* non-converged: dropped by default, kept and tagged on request */
    snprintf(p, sizeof p, "%s/OUTCAR_not_converged", d);
    CHECK(read_all(p, MTP_FORMAT_OUTCAR, NULL, &c, &n, &e) == MTP_OK && n == 0, "not converged kept: n=%d", n);
    mtp_free_cfgs(c, n);
    mtp_read_options rs = {0};
    rs.save_nonconverged = 1;
    CHECK(read_all(p, MTP_FORMAT_OUTCAR, &rs, &c, &n, &e) == MTP_OK && n == 1, "save_nonconverged");
    if (n == 1) {
        const char *f = mtp_cfg_get_feature(&c[0], "EFS_by");
        CHECK(f && strcmp(f, "VASP_not_converged") == 0, "EFS_by=%s", f ? f : "(null)");
    }
    mtp_free_cfgs(c, n);
    snprintf(p, sizeof p, "%s/OUTCAR_converged", d);
    CHECK(read_all(p, MTP_FORMAT_OUTCAR, NULL, &c, &n, &e) == MTP_OK && n == 1, "converged");
    mtp_free_cfgs(c, n);
    /* broken (truncated): the three complete steps, then an error */
    snprintf(p, sizeof p, "%s/OUTCAR_broken", d);
    mtp_reader *r;
    CHECK(mtp_reader_open(p, MTP_FORMAT_AUTO, NULL, &r, &e) == MTP_OK, "%s", e.message);
    mtp_cfg one;
    mtp_cfg_init(&one);
    int got, steps = 0;
    mtp_status st;
    while ((st = mtp_reader_next(r, &one, &got, &e)) == MTP_OK && got) steps++;
    CHECK(steps == 3 && st == MTP_ERR_PARSE && strstr(e.message, "OUTCAR_broken:") && strstr(e.message, "truncated"),
          "broken: %d steps, status %d, %s", steps, st, e.message);
    mtp_reader_close(r);
    mtp_cfg_free(&one);
}

/* ---------------------------------------------------------------- */
static void round_trip(mtp_format fmt, int has_energy_stress, int has_forces)
{
    mtp_cfg a, *b = NULL;
    int n = 0;
    mtp_error e;
    sample_cfg(&a);
    const char *path = tmp("rt.out");
    mtp_write_options wo = {0};
    wo.no_loss = 1;
    CHECK(mtp_write_cfgs(path, &a, 1, fmt, &wo, 0, &e) == MTP_OK, "%s: %s", mtp_format_name(fmt), e.message);
    CHECK(mtp_write_cfgs(path, &a, 1, fmt, &wo, 1, &e) == MTP_OK, "%s: %s", mtp_format_name(fmt), e.message);
    mtp_status st = read_all(path, fmt, NULL, &b, &n, &e);
    int expect = fmt == MTP_FORMAT_LAMMPS_DATA ? 1 : 2;
    CHECK(st == MTP_OK && n == expect, "%s: st %d n %d %s", mtp_format_name(fmt), st, n, st ? e.message : "");
    if (!has_forces) {
        free(a.forces);
        a.forces = NULL;
    }
    for (int i = 0; i < n; i++)
        CHECK(same_cfg(&b[i], &a, 1e-13, has_energy_stress, has_energy_stress), "%s: round trip differs",
              mtp_format_name(fmt));
    if (has_energy_stress && n > 0) {
        const char *f = mtp_cfg_get_feature(&b[0], "config_type");
        CHECK(f && strcmp(f, "bulk sample") == 0, "%s: feature lost", mtp_format_name(fmt));
    }
    /* auto-detection from content */
    mtp_reader *r;
    if (fmt != MTP_FORMAT_LAMMPS_DATA) {
        FILE *fp = fopen(path, "rb");
        CHECK(mtp_reader_open_stream(fp, "noext", MTP_FORMAT_AUTO, NULL, &r, &e) == MTP_OK &&
                  mtp_reader_format(r) == fmt,
              "%s: not sniffed", mtp_format_name(fmt));
        if (r) mtp_reader_close(r);
        fclose(fp);
    }
    mtp_free_cfgs(b, n);
    mtp_cfg_free(&a);
}

static void test_round_trips(void)
{
    round_trip(MTP_FORMAT_CFG, 1, 1);
    round_trip(MTP_FORMAT_CFG_BIN, 1, 1);
    round_trip(MTP_FORMAT_XYZ, 1, 1);
    round_trip(MTP_FORMAT_LAMMPS_DUMP, 0, 1);
    round_trip(MTP_FORMAT_LAMMPS_DATA, 0, 0);

    /* a general (rotated) cell is rotated into LAMMPS' frame: invariants kept */
    mtp_cfg a, *b = NULL;
    int n = 0;
    mtp_error e;
    sample_cfg(&a);
    double L[3][3] = {{3.0, 3.0, 0.2}, {-2.5, 2.6, 0.4}, {0.3, -0.2, 5.8}};
    memcpy(a.lattice, L, sizeof L);
    const char *path = tmp("rot.dump");
    CHECK(mtp_write_cfgs(path, &a, 1, MTP_FORMAT_LAMMPS_DUMP, NULL, 0, &e) == MTP_OK, "%s", e.message);
    CHECK(read_all(path, MTP_FORMAT_LAMMPS_DUMP, NULL, &b, &n, &e) == MTP_OK && n == 1, "%s", e.message);
    if (n == 1) {
        CHECK(near(mtp_cfg_volume(&b[0]), mtp_cfg_volume(&a), 1e-12), "volume");
        for (int i = 1; i < 4; i++) {
            double d0 = 0, d1 = 0, f0 = 0, f1 = 0;
            for (int k = 0; k < 3; k++) {
                d0 += pow(a.positions[3 * i + k] - a.positions[k], 2);
                d1 += pow(b[0].positions[3 * i + k] - b[0].positions[k], 2);
                f0 += a.forces[3 * i + k] * (a.positions[3 * i + k] - a.positions[k]);
                f1 += b[0].forces[3 * i + k] * (b[0].positions[3 * i + k] - b[0].positions[k]);
            }
            CHECK(near(d0, d1, 1e-12) && near(f0, f1, 1e-12), "rotation invariants");
        }
        CHECK(b[0].lattice[0][1] == 0 && b[0].lattice[0][2] == 0 && b[0].lattice[1][2] == 0, "LAMMPS frame");
    }
    mtp_free_cfgs(b, n);

    /* POSCAR: species line from the type map, atoms grouped by species */
    const char *map[] = {"Li", "Nb", "O"};
    mtp_write_options wo = {0};
    wo.type_map = map;
    wo.type_map_count = 3;
    path = tmp("POSCAR");
    CHECK(mtp_write_cfgs(path, &a, 1, MTP_FORMAT_POSCAR, &wo, 0, &e) == MTP_OK, "%s", e.message);
    FILE *fp = fopen(path, "rb");
    char text[4096] = "";
    size_t len = fp ? fread(text, 1, sizeof text - 1, fp) : 0;
    text[len] = '\0';
    if (fp) fclose(fp);
    CHECK(strstr(text, "\n Li Nb O\n 1 2 1\nCartesian\n") != NULL, "POSCAR text:\n%s", text);
    /* cluster: refused with a message */
    memset(a.lattice, 0, sizeof a.lattice);
    CHECK(mtp_write_cfgs(path, &a, 1, MTP_FORMAT_POSCAR, &wo, 0, &e) == MTP_ERR_UNSUPPORTED, "cluster POSCAR");
    /* cluster to XYZ: pbc F F F, virial instead of stress */
    path = tmp("cluster.xyz");
    CHECK(mtp_write_cfgs(path, &a, 1, MTP_FORMAT_XYZ, NULL, 0, &e) == MTP_OK, "%s", e.message);
    CHECK(read_all(path, MTP_FORMAT_XYZ, NULL, &b, &n, &e) == MTP_OK && n == 1 && same_cfg(&b[0], &a, 1e-13, 1, 1),
          "cluster XYZ round trip");
    mtp_free_cfgs(b, n);
    /* cluster to LAMMPS dump: ff box around the atoms */
    path = tmp("cluster.dump");
    CHECK(mtp_write_cfgs(path, &a, 1, MTP_FORMAT_LAMMPS_DUMP, NULL, 0, &e) == MTP_OK, "%s", e.message);
    CHECK(read_all(path, MTP_FORMAT_LAMMPS_DUMP, NULL, &b, &n, &e) == MTP_OK && n == 1 &&
              same_cfg(&b[0], &a, 1e-13, 0, 0),
          "cluster dump round trip");
    mtp_free_cfgs(b, n);
    mtp_cfg_free(&a);
}

/* ---------------------------------------------------------------- */
static void test_ase(void)
{
    if (system("/usr/bin/python3 -c 'import ase, numpy' >/dev/null 2>&1") != 0) {
        printf("skip: ASE not available\n");
        return;
    }
    char cmd[4096];
    const char *ase_file = tmp("ase.xyz");
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"\n"
             "import numpy as np\n"
             "from ase import Atoms\n"
             "from ase.calculators.singlepoint import SinglePointCalculator\n"
             "from ase.io import write\n"
             "a = Atoms('Si2O', positions=[[0,0,0],[1.1,1.2,1.3],[2,0.5,0.1]],\n"
             "          cell=[[5,0,0],[0.5,5,0],[0.3,0.2,6]], pbc=True)\n"
             "a.info['config_type'] = 'bulk test'\n"
             "a.calc = SinglePointCalculator(a, energy=-12.5, forces=np.arange(9.).reshape(3,3)*0.1,\n"
             "          stress=np.array([0.01, 0.02, 0.03, 0.004, 0.005, 0.006]))\n"
             "write('%s', a)\n\"",
             ase_file);
    CHECK(system(cmd) == 0, "ASE could not write");
    mtp_cfg *c = NULL;
    int n = 0;
    mtp_error e;
    CHECK(read_all(ase_file, MTP_FORMAT_AUTO, NULL, &c, &n, &e) == MTP_OK && n == 1, "%s", e.message);
    if (n != 1) return;
    double vol = 5 * 5 * 6;
    /* ASE stress (Voigt xx yy zz yz xz xy) 0.01 .. 0.006 eV/Å^3 -> W = -stress*V */
    double w[6] = {-0.01 * vol, -0.02 * vol, -0.03 * vol, -0.004 * vol, -0.005 * vol, -0.006 * vol};
    for (int k = 0; k < 6; k++) CHECK(near(c[0].stress[k], w[k], 1e-12), "W[%d]=%g expected %g", k, c[0].stress[k], w[k]);
    CHECK(c[0].types[0] == 14 && c[0].types[2] == 8, "types");
    CHECK(near(c[0].energy, -12.5, 1e-15) && near(c[0].forces[8], 0.8, 1e-15), "energy/forces");
    CHECK(near(c[0].lattice[2][0], 0.3, 1e-15), "lattice");
    const char *f = mtp_cfg_get_feature(&c[0], "config_type");
    CHECK(f && strcmp(f, "bulk test") == 0, "feature");
    /* and back: our XYZ read by ASE */
    const char *ours = tmp("ours.xyz");
    CHECK(mtp_write_cfgs(ours, c, 1, MTP_FORMAT_XYZ, NULL, 0, &e) == MTP_OK, "%s", e.message);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"\n"
             "import numpy as np, sys\n"
             "from ase.io import read\n"
             "x = read('%s'); y = read('%s')\n"
             "ok = np.allclose(x.positions, y.positions, atol=1e-12) and np.allclose(x.cell, y.cell, atol=1e-12)\n"
             "ok = ok and np.allclose(x.get_stress(), y.get_stress(), atol=1e-14)\n"
             "ok = ok and abs(x.get_potential_energy() - y.get_potential_energy()) < 1e-12\n"
             "ok = ok and np.allclose(x.get_forces(), y.get_forces(), atol=1e-14)\n"
             "ok = ok and list(x.symbols) == list(y.symbols) and all(x.pbc == y.pbc)\n"
             "ok = ok and y.info.get('config_type') == 'bulk test'\n"
             "sys.exit(0 if ok else 1)\n\"",
             ase_file, ours);
    CHECK(system(cmd) == 0, "ASE reads our XYZ differently");
    mtp_free_cfgs(c, n);
}

/* ---------------------------------------------------------------- */
static void test_vasprun_cp2k(const char *data)
{
    char p[1200];
    mtp_cfg *c = NULL;
    int n = 0;
    mtp_error e;
    snprintf(p, sizeof p, "%s/formats/vasprun_small.xml", data);
    CHECK(read_all(p, MTP_FORMAT_AUTO, NULL, &c, &n, &e) == MTP_OK && n == 2, "vasprun: %s n=%d", e.message, n);
    if (n == 2) {
        double V = 80.0, k = V / 1602.1766208;
        CHECK(near(c[0].stress[0], 10 * k, 1e-12) && near(c[0].stress[2], 30 * k, 1e-12) &&
                  near(c[0].stress[3], 3 * k, 1e-12) && near(c[0].stress[4], 2 * k, 1e-12) &&
                  near(c[0].stress[5], 1 * k, 1e-12),
              "vasprun stress");
        CHECK(near(c[0].energy, -10.5, 1e-15) && near(c[1].energy, -10.75, 1e-15), "vasprun energy (e_fr_energy)");
        CHECK(c[0].types[0] == 0 && c[0].types[1] == 1, "vasprun relative types");
        CHECK(near(c[0].positions[3], 2.25, 1e-15) && near(c[0].positions[8], 3.75, 1e-15), "direct -> Cartesian");
        CHECK(near(c[0].forces[2], 0.3, 1e-15), "forces");
    }
    mtp_free_cfgs(c, n);
    mtp_read_options ro = {0};
    ro.save_nonconverged = 1;
    ro.absolute_types = 1;
    CHECK(read_all(p, MTP_FORMAT_VASPRUN, &ro, &c, &n, &e) == MTP_OK && n == 3, "vasprun save_nonconverged");
    if (n == 3) {
        CHECK(strcmp(mtp_cfg_get_feature(&c[1], "EFS_by"), "VASP_not_converged") == 0, "EFS_by");
        CHECK(c[0].types[0] == 46 && c[0].types[1] == 47, "vasprun absolute types");
    }
    mtp_free_cfgs(c, n);

    /* CP2K 2023.1, H2 in a triclinic cell (tests/data/formats/cp2k_h2.inp) */
    snprintf(p, sizeof p, "%s/formats/cp2k_h2.out", data);
    CHECK(read_all(p, MTP_FORMAT_AUTO, NULL, &c, &n, &e) == MTP_OK && n == 1, "cp2k: %s", e.message);
    if (n == 1) {
        CHECK(near(c[0].energy, -1.087258721725512 * 27.211386245988, 1e-14), "cp2k energy");
        CHECK(near(c[0].forces[0], -0.37194801 * 27.211386245988 / 0.529177210903, 1e-14), "cp2k force");
        /* finite differences of E under eps_xx = +-0.002 (same setup): -dE/deps = 7.9715 eV */
        CHECK(fabs(c[0].stress[0] - 7.9715) < 2e-3, "cp2k W_xx = %g", c[0].stress[0]);
        CHECK(c[0].types[0] == 1 && near(c[0].positions[3], 0.609, 1e-15), "cp2k atoms");
        CHECK(near(c[0].lattice[1][0], 0.3, 1e-15) && near(c[0].lattice[2][1], 0.2, 1e-15), "cp2k cell");
    }
    mtp_free_cfgs(c, n);
}

/* ---------------------------------------------------------------- */
/* Malformed input: an error status with "file:line:", never a crash. */
static void expect_error(const char *label, mtp_format fmt, const char *text)
{
    const char *path = tmp("bad.in");
    write_text(path, text);
    mtp_cfg *c = NULL;
    int n = 0;
    mtp_error e;
    e.message[0] = '\0';
    mtp_status st = read_all(path, fmt, NULL, &c, &n, &e);
    CHECK(st != MTP_OK, "%s: accepted (%d cfgs)", label, n);
    CHECK(st == MTP_OK || strstr(e.message, "bad.in:") != NULL, "%s: message without file:line: '%s'", label, e.message);
    if (st != MTP_OK) printf("ok %-28s -> %s\n", label, e.message);
    mtp_free_cfgs(c, n);
}

static void test_malformed(const char *data)
{
    const char *xyz_hdr = "2\nLattice=\"4 0 0 0 4 0 0 0 4\" Properties=species:S:1:pos:R:3:forces:R:3 energy=-1.0 pbc=\"T T T\"\n";
    char buf[4096];
    snprintf(buf, sizeof buf, "%sSi 0 0 0 0 0 0\n", xyz_hdr);
    expect_error("xyz truncated", MTP_FORMAT_XYZ, buf);
    snprintf(buf, sizeof buf, "%sSi 0 0 0 0 0 0\nSi 1 1 nan 0 0 0\n", xyz_hdr);
    expect_error("xyz NaN", MTP_FORMAT_XYZ, buf);
    snprintf(buf, sizeof buf, "%sSi 0 0 0 0 0 0\nSi 1 1 1 0 0\n", xyz_hdr);
    expect_error("xyz short row", MTP_FORMAT_XYZ, buf);
    expect_error("xyz absurd count", MTP_FORMAT_XYZ, "99999999999\nProperties=species:S:1:pos:R:3\nSi 0 0 0\n");
    expect_error("xyz huge count, little data", MTP_FORMAT_XYZ, "90000000\nProperties=species:S:1:pos:R:3\nSi 0 0 0\n");
    expect_error("xyz bad Lattice", MTP_FORMAT_XYZ, "1\nLattice=\"1 2 3\" Properties=species:S:1:pos:R:3\nSi 0 0 0\n");
    expect_error("xyz unterminated quote", MTP_FORMAT_XYZ, "1\nLattice=\"1 0 0 0 1 0 0 0 1\nSi 0 0 0\n");
    expect_error("xyz inf energy", MTP_FORMAT_XYZ, "1\nProperties=species:S:1:pos:R:3 energy=inf\nSi 0 0 0\n");
    expect_error("xyz bad Properties", MTP_FORMAT_XYZ, "1\nProperties=species:S:1:pos:R\nSi 0 0 0\n");
    expect_error("xyz unknown element", MTP_FORMAT_XYZ, "1\nProperties=species:S:1:pos:R:3\nXx 0 0 0\n");
    expect_error("xyz stress no cell", MTP_FORMAT_XYZ,
                 "1\nProperties=species:S:1:pos:R:3 stress=\"1 0 0 0 1 0 0 0 1\"\nSi 0 0 0\n");

    const char *dump_hdr = "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n2\nITEM: BOX BOUNDS pp pp pp\n0 4\n0 4\n0 4\nITEM: ATOMS id type x y z\n";
    snprintf(buf, sizeof buf, "%s1 1 0 0 0\n", dump_hdr);
    expect_error("dump truncated", MTP_FORMAT_LAMMPS_DUMP, buf);
    snprintf(buf, sizeof buf, "%s1 1 0 0 0\n2 1 NaN 0 0\n", dump_hdr);
    expect_error("dump NaN", MTP_FORMAT_LAMMPS_DUMP, buf);
    snprintf(buf, sizeof buf, "%s1 1 0 0 0\n1 1 1 1 1\n", dump_hdr);
    expect_error("dump duplicate id", MTP_FORMAT_LAMMPS_DUMP, buf);
    expect_error("dump absurd count", MTP_FORMAT_LAMMPS_DUMP,
                 "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n1000000000000\n");
    expect_error("dump huge count", MTP_FORMAT_LAMMPS_DUMP,
                 "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n99999999\nITEM: BOX BOUNDS pp pp pp\n0 4\n0 4\n0 4\nITEM: ATOMS id type x y z\n1 1 0 0 0\n");
    expect_error("dump truncated header", MTP_FORMAT_LAMMPS_DUMP, "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n2\nITEM: BOX BOUNDS pp pp pp\n0 4\n");

    const char *data_hdr = "title\n\n2 atoms\n1 atom types\n0 4 xlo xhi\n0 4 ylo yhi\n0 4 zlo zhi\n\nAtoms # atomic\n\n";
    snprintf(buf, sizeof buf, "%s1 1 0 0 0\n", data_hdr);
    expect_error("data truncated", MTP_FORMAT_LAMMPS_DATA, buf);
    snprintf(buf, sizeof buf, "%s1 1 0 0 0\n2 1 0 inf 0\n", data_hdr);
    expect_error("data inf", MTP_FORMAT_LAMMPS_DATA, buf);
    snprintf(buf, sizeof buf, "%s1 1 0 0 0\n2 2 0 0 0\n", data_hdr);
    expect_error("data type > atom types", MTP_FORMAT_LAMMPS_DATA, buf);
    expect_error("data absurd count", MTP_FORMAT_LAMMPS_DATA,
                 "t\n\n1e12 atoms\n1 atom types\n0 4 xlo xhi\n0 4 ylo yhi\n0 4 zlo zhi\n\nAtoms\n\n1 1 0 0 0\n");
    expect_error("data huge count", MTP_FORMAT_LAMMPS_DATA,
                 "t\n\n90000000 atoms\n1 atom types\n0 4 xlo xhi\n0 4 ylo yhi\n0 4 zlo zhi\n\nAtoms\n\n1 1 0 0 0\n");
    expect_error("data no box", MTP_FORMAT_LAMMPS_DATA, "t\n\n1 atoms\n1 atom types\n\nAtoms\n\n1 1 0 0 0\n");

    expect_error("outcar empty", MTP_FORMAT_OUTCAR, "");
    expect_error("outcar no header", MTP_FORMAT_OUTCAR, " vasp.5.4.1\n   NELM   =     60;\n");
    const char *oc_hdr =
        " vasp.5.4.1\n POTCAR:    PAW_PBE Si 05Jan2001\n   ions per type =               2\n   NELM   =     60;\n"
        "----------------------------------------- Iteration    1(   1)  ---------------------------------------\n"
        "------------------------ aborting loop because EDIFF is reached ----------------------------------------\n"
        "  FORCE on cell =-STRESS in cart. coord.  units (eV):\n"
        "  Total       0.1 0.2 0.3 0.4 0.5 0.6\n"
        "      direct lattice vectors                 reciprocal lattice vectors\n"
        "     4.0 0.0 0.0  0.25 0 0\n     0.0 4.0 0.0  0 0.25 0\n     0.0 0.0 4.0  0 0 0.25\n"
        " POSITION                                       TOTAL-FORCE (eV/Angst)\n"
        " -----------------------------------------------------------------------------------\n";
    snprintf(buf, sizeof buf, "%s      0.0 0.0 0.0    0.1 0.1 0.1\n", oc_hdr);
    expect_error("outcar truncated table", MTP_FORMAT_OUTCAR, buf);
    snprintf(buf, sizeof buf, "%s      0.0 0.0 0.0    0.1 0.1 0.1\n      1.0 NaN 1.0    0.1 0.1 0.1\n --------\n", oc_hdr);
    expect_error("outcar NaN", MTP_FORMAT_OUTCAR, buf);
    snprintf(buf, sizeof buf,
             "%s      0.0 0.0 0.0    0.1 0.1 0.1\n --------\n  FREE ENERGIE OF THE ION-ELECTRON SYSTEM (eV)\n"
             "  ---------------------------------------------------\n  free  energy   TOTEN  =       -8.0 eV\n",
             oc_hdr);
    expect_error("outcar atom count mismatch", MTP_FORMAT_OUTCAR, buf);
    expect_error("outcar absurd ions per type", MTP_FORMAT_OUTCAR,
                 " vasp.5\n POTCAR:    PAW_PBE Si 05Jan2001\n   ions per type =   1e15\n   NELM   =     60;\n");

    expect_error("vasprun truncated", MTP_FORMAT_VASPRUN,
                 "<modeling>\n <atominfo>\n  <array name=\"atoms\" >\n   <set>\n    <rc><c>Si</c><c>   1</c></rc>\n"
                 "   </set>\n  </array>\n </atominfo>\n <calculation>\n  <structure>\n   <crystal>\n"
                 "    <varray name=\"basis\" >\n     <v> 4 0 0 </v>\n");
    expect_error("vasprun NaN", MTP_FORMAT_VASPRUN,
                 "<modeling>\n <atominfo>\n  <array name=\"atoms\" >\n   <set>\n    <rc><c>Si</c><c>   1</c></rc>\n"
                 "   </set>\n  </array>\n </atominfo>\n <calculation>\n  <structure>\n   <crystal>\n"
                 "    <varray name=\"basis\" >\n     <v> 4 0 0 </v>\n     <v> 0 NaN 0 </v>\n     <v> 0 0 4 </v>\n"
                 "    </varray>\n");
    expect_error("vasprun count mismatch", MTP_FORMAT_VASPRUN,
                 "<modeling>\n <atominfo>\n  <array name=\"atoms\" >\n   <set>\n    <rc><c>Si</c><c>   1</c></rc>\n"
                 "   </set>\n  </array>\n </atominfo>\n <calculation>\n  <structure>\n   <crystal>\n"
                 "    <varray name=\"basis\" >\n     <v> 4 0 0 </v>\n     <v> 0 4 0 </v>\n     <v> 0 0 4 </v>\n"
                 "    </varray>\n   </crystal>\n   <varray name=\"positions\" >\n    <v> 0 0 0 </v>\n    <v> 0.5 0.5 0.5 </v>\n"
                 "   </varray>\n  </structure>\n </calculation>\n</modeling>\n");

    /* CP2K: the real output, cut in the forces block / with a NaN force */
    char p[1200];
    snprintf(p, sizeof p, "%s/formats/cp2k_h2.out", data);
    FILE *fp = fopen(p, "rb");
    static char big[1 << 17];
    size_t len = fp ? fread(big, 1, sizeof big - 1, fp) : 0;
    if (fp) fclose(fp);
    big[len] = '\0';
    char *forces = strstr(big, "ATOMIC FORCES in [a.u.]");
    CHECK(forces != NULL, "cp2k fixture");
    if (forces) {
        char *row = strstr(forces, "      1      1      H");
        if (row) {
            char saved = row[40];
            row[40] = '\0';
            expect_error("cp2k truncated forces", MTP_FORMAT_CP2K, big);
            row[40] = saved;
            memcpy(row + 28, "        NaN", 11);
            expect_error("cp2k NaN force", MTP_FORMAT_CP2K, big);
        }
    }
    expect_error("cp2k energy without coordinates", MTP_FORMAT_CP2K,
                 " CP2K| version string: CP2K version 2023.1\n CELL| Vector a [angstrom]:  3 0 0 |a| = 3\n"
                 " ENERGY| Total FORCE_EVAL ( QS ) energy [a.u.]:   -1.0\n");
}

int main(int argc, char **argv)
{
    const char *shared = argc > 1 ? argv[1] : "../shared/data";
    const char *data = argc > 2 ? argv[2] : "tests/data";
    snprintf(tmpdir, sizeof tmpdir, "formats_tmp_%ld", (long)getpid());
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", tmpdir);
    if (system(cmd) != 0) return 1;
    test_outcar(shared);
    test_round_trips();
    test_ase();
    test_vasprun_cp2k(data);
    test_malformed(data);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (failures == 0 && system(cmd) != 0) return 1;
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}
