/* SPDX-License-Identifier: BSD-3-Clause */
/* CP2K molecular-dynamics trajectory reader (format cp2k_md): the files
 * CP2K writes with &MOTION &PRINT, for a project PREFIX (run 1):
 *   PREFIX-pos-1.xyz   positions, Å; comment "i = STEP, time = T, E = E"
 *                      with E the potential energy in Hartree (required;
 *                      the reader is opened on it, or on PREFIX)
 *   PREFIX-frc-1.xyz   forces, Hartree/bohr (required)
 *   PREFIX-1.cell      "STEP TIME Ax Ay Az Bx By Bz Cx Cy Cz Volume", Å
 *                      (required: the xyz files carry no cell)
 *   PREFIX-1.stress    "STEP TIME xx xy xz yx yy yz zx zy zz", bar
 *                      (optional; needs PREFIX-vel-1.xyz, see below)
 *   PREFIX-vel-1.xyz   velocities, bohr per atomic time unit
 *   PREFIX-1.ener      "STEP TIME Kin Temp Pot ...", Hartree (optional check)
 * One configuration per step present in every file that exists (files
 * printed with different EACH frequencies give the common steps); steps
 * must increase within each file.
 *
 * Stress: the MD stress file holds CP2K's pressure tensor, which includes
 * the kinetic part: P = (K + V sigma_pot) / V with K_ab = sum_i m_i v_ia
 * v_ib, pressure-positive (tests/data/cp2k/lih_md at step 0: P_xx of the
 * file minus sigma_xx of the log's "STRESS| Analytical stress tensor" is
 * 5954 bar, and the trace of P - sigma is 2 E_kin / V = 10824 bar).
 * MLIP's W = -dE/deps is the potential part only:
 *     W = P[bar] * V / 1.6021766208e6 - K     (eV)
 * with K from the velocities and CP2K's default masses.  Those masses are
 * the IUPAC table CP2K 2023 uses (equal to ASE's atomic_masses_legacy);
 * when PREFIX-1.ener exists, the kinetic energy from them must match its
 * "Kin." column to 1e-5 relative, which catches &KIND MASS overrides.
 * The trajectory files do not say whether each step's SCF converged: only
 * the log does (see fmt_cp2k.c). */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HARTREE_EV 27.211386245988
#define BOHR_A 0.529177210903
#define BAR_EV_A3 1.6021766208e6
#define AMU_ME 1822.888486209 /* atomic mass unit in electron masses */

/* CP2K's default atomic masses (amu) by atomic number; 0 = none. */
static const double CP2K_MASS[104] = {
    0.0,
    1.00794, 4.0026, 6.941, 9.01218, 10.811, 12.011, 14.0067, 15.9994, 18.9984, 20.1797, 
    22.98977, 24.305, 26.98154, 28.0855, 30.97376, 32.066, 35.4527, 39.948, 39.0983, 40.078, 
    44.9559, 47.88, 50.9415, 51.996, 54.938, 55.847, 58.9332, 58.6934, 63.546, 65.39, 69.723, 
    72.61, 74.9216, 78.96, 79.904, 83.8, 85.4678, 87.62, 88.9059, 91.224, 92.9064, 95.94, 0, 
    101.07, 102.9055, 106.42, 107.868, 112.41, 114.82, 118.71, 121.757, 127.6, 126.9045, 
    131.29, 132.9054, 137.33, 138.9055, 140.12, 140.9077, 144.24, 0, 150.36, 151.965, 157.25, 
    158.9253, 162.5, 164.9303, 167.26, 168.9342, 173.04, 174.967, 178.49, 180.9479, 183.85, 
    186.207, 190.2, 192.22, 195.08, 196.9665, 200.59, 204.383, 207.2, 208.9804, 0, 0, 0, 0, 
    226.0254, 0, 232.0381, 231.0359, 238.029, 237.0482, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

/* A companion file with its next (pending) record. */
typedef struct side_file {
    FILE *fp;
    char *path;
    mtp_lines lines;
    int is_xyz;
    int have;      /* a pending record was read */
    int ended;
    long step;     /* its step */
    long n;        /* xyz: atoms */
    double *v;     /* xyz: [3n]; table: the numbers after STEP */
    int nv;        /* table: count of numbers in v */
    int *types;    /* xyz: element types [n] */
    int *z;        /* xyz: atomic numbers [n] (0 if not an element) */
} side_file;

typedef struct md_state {
    side_file pos, frc, cell, stress, vel, ener;
    char *prefix;
} md_state;

static void side_close(side_file *f)
{
    if (f->fp) fclose(f->fp);
    mtp_lines_free(&f->lines);
    free(f->path);
    free(f->v);
    free(f->types);
    free(f->z);
    memset(f, 0, sizeof *f);
}

/* Open PREFIX+suffix; a missing optional file leaves f->fp NULL. */
static mtp_status side_open(md_state *s, side_file *f, const char *suffix, int is_xyz, int required, mtp_error *err)
{
    size_t n = strlen(s->prefix) + strlen(suffix) + 1;
    f->is_xyz = is_xyz;
    if (!(f->path = malloc(n))) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    snprintf(f->path, n, "%s%s", s->prefix, suffix);
    f->fp = fopen(f->path, "rb");
    if (!f->fp) {
        if (!required && errno == ENOENT) return MTP_OK;
        return mtp_fail(err, MTP_ERR_IO, "%s: cannot open: %s (expected with the CP2K MD trajectory %s-pos-1.xyz)",
                        f->path, strerror(errno), s->prefix);
    }
    mtp_lines_init(&f->lines, f->fp, f->path);
    return MTP_OK;
}

/* Read the next xyz frame: "N", "i = STEP, time = T, E = E", N rows "El x y z". */
static mtp_status read_xyz(mtp_reader *r, side_file *f, double *energy, mtp_error *err)
{
    mtp_lines *ln = &f->lines;
    int got;
    mtp_status st = mtp_lines_next_nonblank(ln, &got, err);
    if (st) return st;
    if (!got) {
        f->have = 0;
        f->ended = 1;
        return MTP_OK;
    }
    char *tok[6];
    long n;
    if (mtp_split_ws(ln->line, tok, 3) != 1 || !mtp_parse_int(tok[0], 1, MTP_MAX_ATOMS, &n))
        return mtp_parse_fail(err, f->path, ln->line_no, "expected the atom count of a CP2K xyz frame");
    if ((st = mtp_lines_next(ln, &got, err))) return st;
    if (!got) return mtp_parse_fail(err, f->path, ln->line_no + 1, "unexpected end of file: expected 'i = STEP, ...'");
    const char *pi = strstr(ln->line, "i ="), *pe = strstr(ln->line, "E =");
    char *end;
    errno = 0;
    long step = pi ? strtol(pi + 3, &end, 10) : -1;
    if (!pi || end == pi + 3 || errno || step < 0)
        return mtp_parse_fail(err, f->path, ln->line_no, "expected a comment 'i = STEP, time = T, E = ENERGY'");
    if (energy) {
        char buf[80];
        snprintf(buf, sizeof buf, "%s", pe ? pe + 3 : "");
        if (!pe || mtp_split_ws(buf, tok, 1) != 1 || !mtp_parse_double(tok[0], energy))
            return mtp_parse_fail(err, f->path, ln->line_no, "expected 'E = ENERGY' (Hartree) with a finite energy");
    }
    if (f->have && step <= f->step)
        return mtp_parse_fail(err, f->path, ln->line_no, "expected a step after %ld, found %ld", f->step, step);
    if (n != f->n) {
        double *v = mtp_realloc(f->v, (size_t)n * 3, sizeof *v);
        if (v) f->v = v;
        int *t = mtp_realloc(f->types, (size_t)n, sizeof *t);
        if (t) f->types = t;
        int *z = mtp_realloc(f->z, (size_t)n, sizeof *z);
        if (z) f->z = z;
        if (!v || !t || !z) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        f->n = n;
    }
    for (long i = 0; i < n; i++) {
        if ((st = mtp_lines_next(ln, &got, err))) return st;
        if (!got)
            return mtp_parse_fail(err, f->path, ln->line_no + 1, "unexpected end of file: expected %ld atom rows (truncated?)", n);
        int nt = mtp_split_ws(ln->line, tok, 5);
        double *x = f->v + 3 * i;
        if (nt != 4 || !mtp_parse_double(tok[1], &x[0]) || !mtp_parse_double(tok[2], &x[1]) ||
            !mtp_parse_double(tok[3], &x[2]))
            return mtp_parse_fail(err, f->path, ln->line_no, "expected 'Element x y z' with finite numbers");
        int ty = mtp_reader_type_of_symbol(&r->opt, tok[0]);
        if (ty < 0)
            return mtp_fail(err, MTP_ERR_SPECIES, "%s:%ld: unknown element '%s'%s", f->path, ln->line_no, tok[0],
                            r->opt.type_map ? " (not in the type map)" : "");
        f->types[i] = ty;
        f->z[i] = mtp_element_number(tok[0]);
    }
    f->step = step;
    f->have = 1;
    return MTP_OK;
}

/* Read the next row "STEP TIME numbers..." of a table file (# comments). */
static mtp_status read_row(side_file *f, int want, mtp_error *err)
{
    mtp_lines *ln = &f->lines;
    for (;;) {
        int got;
        mtp_status st = mtp_lines_next(ln, &got, err);
        if (st) return st;
        if (!got) {
            f->have = 0;
            f->ended = 1;
            return MTP_OK;
        }
        const char *t = mtp_skip_ws(ln->line);
        if (*t == '#' || *t == '\0') continue;
        char *tok[16];
        int nt = mtp_split_ws(ln->line, tok, 15);
        long step;
        if (nt < 2 + want || !mtp_parse_int(tok[0], 0, 2000000000L, &step))
            return mtp_parse_fail(err, f->path, ln->line_no, "expected 'STEP TIME' and %d numbers", want);
        if (!f->v && !(f->v = mtp_calloc(16, sizeof *f->v))) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        for (int k = 0; k < want; k++)
            if (!mtp_parse_double(tok[2 + k], &f->v[k]))
                return mtp_parse_fail(err, f->path, ln->line_no, "expected finite numbers after 'STEP TIME'");
        if (f->have && step <= f->step)
            return mtp_parse_fail(err, f->path, ln->line_no, "expected a step after %ld, found %ld", f->step, step);
        f->nv = want;
        f->step = step;
        f->have = 1;
        return MTP_OK;
    }
}

/* Advance a companion file to the first record with step >= `step`. */
static mtp_status advance(mtp_reader *r, side_file *f, long step, int want, mtp_error *err)
{
    while (!f->ended && (!f->have || f->step < step)) {
        mtp_status st = f->is_xyz ? read_xyz(r, f, NULL, err) : read_row(f, want, err);
        if (st) return st;
    }
    return MTP_OK;
}

static mtp_status md_open(mtp_reader *r, mtp_error *err)
{
    md_state *s = mtp_calloc(1, sizeof *s);
    if (!s) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    r->state = s;
    const char *tail = "-pos-1.xyz";
    size_t n = strlen(r->name), t = strlen(tail);
    if (n <= t || strcmp(r->name + n - t, tail) != 0)
        return mtp_fail(err, MTP_ERR_INVALID, "%s: expected a CP2K MD positions file named PREFIX-pos-1.xyz (or PREFIX)",
                        r->name);
    if (!(s->prefix = mtp_strndup(r->name, n - t))) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    /* the positions file is the reader's own stream */
    s->pos.is_xyz = 1;
    s->pos.path = mtp_strdup(r->name);
    if (!s->pos.path) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    mtp_lines_init(&s->pos.lines, r->fp, s->pos.path);
    mtp_status st;
    if ((st = side_open(s, &s->frc, "-frc-1.xyz", 1, 1, err))) return st;
    if ((st = side_open(s, &s->cell, "-1.cell", 0, 1, err))) return st;
    if ((st = side_open(s, &s->stress, "-1.stress", 0, 0, err))) return st;
    if ((st = side_open(s, &s->vel, "-vel-1.xyz", 1, 0, err))) return st;
    if ((st = side_open(s, &s->ener, "-1.ener", 0, 0, err))) return st;
    if (s->stress.fp && !s->vel.fp)
        return mtp_fail(err, MTP_ERR_INVALID,
                        "%s: the MD stress includes the kinetic part; expected %s-vel-1.xyz (&MOTION &PRINT "
                        "&VELOCITIES) to remove it, or move the stress file away to read without stress",
                        s->stress.path, s->prefix);
    return MTP_OK;
}

static void md_close(mtp_reader *r)
{
    md_state *s = r->state;
    if (s) {
        s->pos.fp = NULL; /* owned by the reader */
        side_close(&s->pos);
        side_close(&s->frc);
        side_close(&s->cell);
        side_close(&s->stress);
        side_close(&s->vel);
        side_close(&s->ener);
        free(s->prefix);
    }
    free(s);
    r->state = NULL;
}

static mtp_status same_atoms(const side_file *pos, const side_file *f, mtp_error *err)
{
    if (f->n != pos->n)
        return mtp_parse_fail(err, f->path, f->lines.line_no, "step %ld: expected %ld atoms as in %s, found %ld", f->step,
                              pos->n, pos->path, f->n);
    for (long i = 0; i < f->n; i++)
        if (f->types[i] != pos->types[i])
            return mtp_parse_fail(err, f->path, f->lines.line_no, "step %ld: atom %ld is not the element of %s", f->step,
                                  i + 1, pos->path);
    return MTP_OK;
}

/* W (eV; xx yy zz yz xz xy) = P V / 1.6021766208e6 - K, K_ab = sum m v_a v_b
 * from the velocities (bohr per atomic time unit) and CP2K's masses. */
static mtp_status md_stress(md_state *s, double vol, double w[6], mtp_error *err)
{
    double K[3][3] = {{0}};
    for (long i = 0; i < s->vel.n; i++) {
        int z = s->pos.z[i];
        double m = z > 0 && z < 104 ? CP2K_MASS[z] : 0;
        if (m <= 0)
            return mtp_fail(err, MTP_ERR_UNSUPPORTED, "%s: atom %ld: no default mass for this element, so the kinetic "
                            "part of the MD stress cannot be removed", s->pos.path, i + 1);
        const double *v = s->vel.v + 3 * i;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) K[a][b] += m * AMU_ME * v[a] * v[b];
    }
    if (s->ener.have && s->ener.step == s->pos.step) {
        double ekin = 0.5 * (K[0][0] + K[1][1] + K[2][2]), ref = s->ener.v[0];
        if (fabs(ekin - ref) > 1e-5 * fabs(ref) + 1e-12)
            return mtp_parse_fail(err, s->ener.path, s->ener.lines.line_no,
                                  "step %ld: kinetic energy %.9g Hartree, but the velocities with CP2K's default masses "
                                  "give %.9g; expected default masses (no &KIND MASS) to remove the kinetic stress",
                                  s->ener.step, ref, ekin);
    }
    const double *p = s->stress.v; /* xx xy xz yx yy yz zx zy zz, bar */
    double k = vol / BAR_EV_A3, h = HARTREE_EV;
    w[0] = k * p[0] - h * K[0][0];
    w[1] = k * p[4] - h * K[1][1];
    w[2] = k * p[8] - h * K[2][2];
    w[3] = k * 0.5 * (p[5] + p[7]) - h * K[1][2];
    w[4] = k * 0.5 * (p[2] + p[6]) - h * K[0][2];
    w[5] = k * 0.5 * (p[1] + p[3]) - h * K[0][1];
    (void)err;
    return MTP_OK;
}

static mtp_status md_next(mtp_reader *r, mtp_cfg *cfg, int *got, mtp_error *err)
{
    md_state *s = r->state;
    mtp_cfg_free(cfg);
    *got = 0;
    for (;;) {
        double energy;
        mtp_status st = read_xyz(r, &s->pos, &energy, err);
        if (st) return st;
        if (!s->pos.have || s->pos.ended) return MTP_OK;
        long step = s->pos.step;
        side_file *need[5] = {&s->frc, &s->cell, s->stress.fp ? &s->stress : NULL, s->vel.fp ? &s->vel : NULL,
                              s->ener.fp ? &s->ener : NULL};
        const int want[5] = {0, 10, 9, 0, 3};
        int all = 1;
        for (int k = 0; k < 5; k++) {
            if (!need[k]) continue;
            if ((st = advance(r, need[k], step, want[k], err))) return st;
            if (!need[k]->have || need[k]->step != step) all = 0;
        }
        if (s->frc.ended && !s->frc.have) return MTP_OK; /* no later forces: done */
        if (!all) continue; /* this step is not in every file */
        if ((st = same_atoms(&s->pos, &s->frc, err))) return st;
        if (s->vel.fp && (st = same_atoms(&s->pos, &s->vel, err))) return st;
        if ((st = mtp_cfg_alloc(cfg, (int)s->pos.n, MTP_CFG_FORCES, err))) return st;
        memcpy(cfg->types, s->pos.types, (size_t)s->pos.n * sizeof *cfg->types);
        memcpy(cfg->positions, s->pos.v, (size_t)s->pos.n * 3 * sizeof *cfg->positions);
        for (long i = 0; i < 3 * s->pos.n; i++) cfg->forces[i] = s->frc.v[i] * (HARTREE_EV / BOHR_A);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) cfg->lattice[a][b] = s->cell.v[3 * a + b];
        double vol = mtp_cfg_volume(cfg);
        if (!(vol > 0) || fabs(vol - s->cell.v[9]) > 1e-6 * vol) {
            st = mtp_parse_fail(err, s->cell.path, s->cell.lines.line_no,
                                "step %ld: expected a cell A B C whose volume is the Volume column", step);
            goto fail;
        }
        cfg->energy = energy * HARTREE_EV;
        cfg->has_energy = 1;
        if (s->stress.fp) {
            if ((st = md_stress(s, vol, cfg->stress, err))) goto fail;
            cfg->has_stress = 1;
        }
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", step);
        if ((st = mtp_cfg_set_feature(cfg, "cp2k_md_step", buf, err))) goto fail;
        if ((st = mtp_cfg_set_feature(cfg, "EFS_by", "CP2K", err))) goto fail;
        *got = 1;
        return MTP_OK;
    fail:
        mtp_cfg_free(cfg);
        return st;
    }
}

/* The comment line of a CP2K trajectory frame. */
static int md_sniff(const char *head, size_t n)
{
    const char *nl = memchr(head, '\n', n);
    if (!nl) return 0;
    size_t off = (size_t)(nl + 1 - head);
    const char *c = head + off;
    size_t rest = n - off;
    while (rest && *c == ' ') c++, rest--;
    return rest > 4 && strncmp(c, "i = ", 4) == 0 && mtp_head_contains(c, rest, 120, ", E =");
}

const mtp_format_ops mtp_format_cp2k_md_ops = {MTP_FORMAT_CP2K_MD, md_open, md_next, md_close, NULL, md_sniff};
