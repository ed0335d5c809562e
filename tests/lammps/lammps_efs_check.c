/* SPDX-License-Identifier: BSD-3-Clause */
/* Compare what lmp_mtp computed (a LAMMPS dump + a summary file written by
 * tests/lammps/efs.in) with libopenmtp's own whole-configuration evaluation
 * (mtp_compute), or with `mtp calculate_efs` when --cli is given.
 *
 * usage: lammps_efs_check --pot POT --dump DUMP --summary SUM
 *          [--map T1,T2,...] [--extra DUMP2 --extra-summary SUM2]
 *          [--tol 1e-10] [--cli /path/to/mtp]
 *
 *   SUM:   lines "BOX xlo xhi ylo yhi zlo zhi xy xz yz" and
 *          "EFS pe pxx pyy pzz pxy pxz pyz vol" (pressure compute with the
 *          virial only, bar), all printed with %.17g.
 *   DUMP:  write_dump custom, sorted by id, columns
 *          id type x y z fx fy fz pe s1..s6 c1..c9  (s: stress/atom,
 *          c: centroid/stress/atom, both "virial" only, bar*A^3).
 *   --map  cfg type for LAMMPS types 1,2,... ('-' drops the type's atoms
 *          from the reference: NULL types under pair_style hybrid);
 *          default t -> t-1, as MLIP.
 *   --extra  a second run (e.g. the zbl part of hybrid/overlay) whose
 *          energies, forces and virials are added to the reference.
 * Exit status 0 = all checks pass, 1 = a check failed, 77 = skipped
 * (potential file missing), 2 = usage or I/O error. */
#define _POSIX_C_SOURCE 200809L
#include "openmtp/openmtp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NKTV2P 1.6021765e6 /* LAMMPS metal: eV/A^3 -> bar */
#define NCOL 24

typedef struct {
    double box[9]; /* xlo xhi ylo yhi zlo zhi xy xz yz */
    double efs[8]; /* pe pxx pyy pzz pxy pxz pyz vol */
    int n;
    int *id, *type;
    double *col; /* [n][NCOL] */
} run_data;

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "lammps_efs_check: %s%s\n", msg, arg ? arg : "");
    exit(2);
}

static void read_summary(const char *path, run_data *r)
{
    FILE *fp = fopen(path, "r");
    if (!fp) die("cannot open ", path);
    char line[4096];
    int got_box = 0, got_efs = 0;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "BOX ", 4) == 0) {
            got_box = sscanf(line + 4, "%lf %lf %lf %lf %lf %lf %lf %lf %lf", &r->box[0],
                             &r->box[1], &r->box[2], &r->box[3], &r->box[4], &r->box[5],
                             &r->box[6], &r->box[7], &r->box[8]) == 9;
        } else if (strncmp(line, "EFS ", 4) == 0) {
            got_efs = sscanf(line + 4, "%lf %lf %lf %lf %lf %lf %lf %lf", &r->efs[0], &r->efs[1],
                             &r->efs[2], &r->efs[3], &r->efs[4], &r->efs[5], &r->efs[6],
                             &r->efs[7]) == 8;
        }
    }
    fclose(fp);
    if (!got_box || !got_efs) die("summary lacks BOX or EFS line: ", path);
}

static void read_dump(const char *path, run_data *r)
{
    FILE *fp = fopen(path, "r");
    if (!fp) die("cannot open ", path);
    char line[8192];
    r->n = -1;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "ITEM: NUMBER OF ATOMS", 21) == 0) {
            if (!fgets(line, sizeof line, fp) || sscanf(line, "%d", &r->n) != 1 || r->n < 0)
                die("bad atom count in ", path);
        } else if (strncmp(line, "ITEM: ATOMS", 11) == 0) {
            if (r->n < 0) die("no atom count before ATOMS in ", path);
            r->id = calloc((size_t)r->n + 1, sizeof(int));
            r->type = calloc((size_t)r->n + 1, sizeof(int));
            r->col = calloc((size_t)r->n * NCOL + 1, sizeof(double));
            for (int i = 0; i < r->n; i++) {
                if (!fgets(line, sizeof line, fp)) die("short dump ", path);
                char *p = line, *end;
                double *c = r->col + (size_t)i * NCOL;
                for (int k = 0; k < NCOL; k++) {
                    c[k] = strtod(p, &end);
                    if (end == p) die("too few columns in ", path);
                    p = end;
                }
                r->id[i] = (int)c[0];
                r->type[i] = (int)c[1];
            }
            break;
        }
    }
    fclose(fp);
    if (r->n < 0 || !r->col) die("no atoms in ", path);
}

static int failures = 0;
static double worst = 0.0;

static void check(const char *what, int atom, double got, double ref, double scale, double tol)
{
    double err = fabs(got - ref) / scale;
    if (err > worst) worst = err;
    if (!(err <= tol)) {
        if (failures < 20) {
            if (atom >= 0)
                fprintf(stderr, "FAIL %s atom %d: lammps %.17g reference %.17g (rel %.3g)\n", what,
                        atom, got, ref, err);
            else
                fprintf(stderr, "FAIL %s: lammps %.17g reference %.17g (rel %.3g)\n", what, got,
                        ref, err);
        }
        failures++;
    }
}

static double maxabs(const double *v, size_t n, size_t stride, double floor_)
{
    double m = floor_;
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i * stride]) > m) m = fabs(v[i * stride]);
    return m;
}

/* Reference by `mtp calculate_efs POT IN --output_filename=OUT` (MLIP-3
 * syntax): write the cfg, run the CLI, read energy/forces/stress back.
 * Binary .cfg both ways, so that no digits are lost. */
static int cli_reference(const char *cli, const char *pot, const mtp_cfg *cfg, double *energy,
                         double *forces, double *virial)
{
    char in[512], out[512], cmd[4096];
    mtp_error err;
    snprintf(in, sizeof in, "lammps_efs_check.%ld.in.cfg", (long)getpid());
    snprintf(out, sizeof out, "%s.out.cfg", in);
    if (mtp_write_cfgs(in, cfg, 1, MTP_FORMAT_CFG_BIN, NULL, 0, &err) != MTP_OK) {
        fprintf(stderr, "cannot write %s: %s\n", in, err.message);
        return -1;
    }
    snprintf(cmd, sizeof cmd, "'%s' calculate_efs '%s' '%s' --output_filename='%s' --output_format=bin >/dev/null",
             cli, pot, in, out);
    if (system(cmd) != 0) {
        fprintf(stderr, "command failed: %s\n", cmd);
        return -1;
    }
    mtp_cfg *res = NULL;
    int count = 0;
    if (mtp_read_cfgs(out, MTP_FORMAT_AUTO, NULL, &res, &count, &err) != MTP_OK || count != 1 ||
        !res[0].has_energy || !res[0].forces || res[0].n_atoms != cfg->n_atoms) {
        fprintf(stderr, "cannot read the CLI's result %s\n", out);
        return -1;
    }
    *energy = res[0].energy;
    memcpy(forces, res[0].forces, sizeof(double) * 3 * (size_t)cfg->n_atoms);
    if (res[0].has_stress) memcpy(virial, res[0].stress, sizeof(double) * 6);
    mtp_free_cfgs(res, count);
    remove(in);
    remove(out);
    return 0;
}

int main(int argc, char **argv)
{
    const char *pot_path = NULL, *dump = NULL, *summary = NULL, *map = NULL;
    const char *extra_dump = NULL, *extra_summary = NULL, *cli = NULL;
    double tol = 1e-10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;
        if (!v) die("missing value for ", a);
        if (!strcmp(a, "--pot")) pot_path = v;
        else if (!strcmp(a, "--dump")) dump = v;
        else if (!strcmp(a, "--summary")) summary = v;
        else if (!strcmp(a, "--map")) map = v;
        else if (!strcmp(a, "--extra")) extra_dump = v;
        else if (!strcmp(a, "--extra-summary")) extra_summary = v;
        else if (!strcmp(a, "--tol")) tol = atof(v);
        else if (!strcmp(a, "--cli")) cli = v;
        else die("unknown option ", a);
        i++;
    }
    if (!pot_path || !dump || !summary) die("need --pot, --dump and --summary", NULL);
    FILE *probe = fopen(pot_path, "r");
    if (!probe) {
        printf("SKIP: potential %s not found\n", pot_path);
        return 77;
    }
    fclose(probe);

    run_data r, x;
    memset(&r, 0, sizeof r);
    memset(&x, 0, sizeof x);
    read_summary(summary, &r);
    read_dump(dump, &r);
    if (extra_dump) {
        if (!extra_summary) die("--extra needs --extra-summary", NULL);
        read_summary(extra_summary, &x);
        read_dump(extra_dump, &x);
        if (x.n != r.n) die("extra dump has a different atom count", NULL);
    }

    /* LAMMPS type -> cfg type (or -1: drop) */
    int tmap[64];
    for (int t = 0; t < 64; t++) tmap[t] = t - 1;
    if (map) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", map);
        int t = 1;
        for (char *tok = strtok(buf, ","); tok && t < 64; tok = strtok(NULL, ","), t++)
            tmap[t] = strcmp(tok, "-") == 0 ? -1 : atoi(tok);
    }

    mtp_error err;
    mtp_potential *pot = NULL;
    if (mtp_potential_read(pot_path, &pot, &err) != MTP_OK) die("cannot read potential: ", err.message);
    mtp_calculator *calc = NULL;
    if (mtp_calculator_create(pot, &calc, &err) != MTP_OK) die("calculator: ", err.message);

    int n = r.n, m = 0;
    int *keep = calloc((size_t)n + 1, sizeof(int)); /* cfg index of dump row, -1 dropped */
    for (int i = 0; i < n; i++) {
        int t = r.type[i];
        keep[i] = (t > 0 && t < 64 && tmap[t] >= 0) ? m++ : -1;
    }
    mtp_cfg cfg;
    mtp_cfg_init(&cfg);
    if (mtp_cfg_alloc(&cfg, m, 0, &err) != MTP_OK) die("alloc: ", err.message);
    const double *b = r.box;
    double lat[3][3] = {{b[1] - b[0], 0, 0}, {b[6], b[3] - b[2], 0}, {b[7], b[8], b[5] - b[4]}};
    memcpy(cfg.lattice, lat, sizeof lat);
    for (int i = 0; i < n; i++) {
        if (keep[i] < 0) continue;
        int k = keep[i];
        cfg.types[k] = tmap[r.type[i]];
        for (int c = 0; c < 3; c++) cfg.positions[3 * k + c] = r.col[(size_t)i * NCOL + 2 + c];
    }

    double e_ref = 0.0, w_ref[6] = {0};
    double *f_ref = calloc(3 * (size_t)m + 3, sizeof(double));
    double *se_ref = calloc((size_t)m + 1, sizeof(double));
    double *sv_ref = calloc(9 * (size_t)m + 9, sizeof(double));
    int have_site = 1;
    if (m > 0) {
        if (cli) {
            have_site = 0;
            if (cli_reference(cli, pot_path, &cfg, &e_ref, f_ref, w_ref) != 0) return 1;
            printf("reference: %s calculate_efs\n", cli);
        } else {
            if (mtp_compute(calc, &cfg, &e_ref, f_ref, w_ref, se_ref, sv_ref, &err) != MTP_OK)
                die("mtp_compute: ", err.message);
            printf("reference: libopenmtp mtp_compute\n");
        }
    }

    /* reference per dump row (lib part + extra run) */
    double E_ref = e_ref + (extra_dump ? x.efs[0] : 0.0);
    double W_ref[6]; /* LAMMPS order xx yy zz xy xz yz; lib Voigt xx yy zz yz xz xy */
    W_ref[0] = w_ref[0];
    W_ref[1] = w_ref[1];
    W_ref[2] = w_ref[2];
    W_ref[3] = w_ref[5];
    W_ref[4] = w_ref[4];
    W_ref[5] = w_ref[3];
    if (extra_dump)
        for (int c = 0; c < 6; c++) W_ref[c] += x.efs[1 + c] * x.efs[7] / NKTV2P;
    double *F = calloc(3 * (size_t)n + 3, sizeof(double));
    double *PE = calloc((size_t)n + 1, sizeof(double));
    double *VA = calloc(9 * (size_t)n + 9, sizeof(double)); /* 3x3 reference per atom */
    for (int i = 0; i < n; i++) {
        int k = keep[i];
        if (k >= 0) {
            for (int c = 0; c < 3; c++) F[3 * i + c] = f_ref[3 * k + c];
            PE[i] = se_ref[k];
            for (int c = 0; c < 9; c++) VA[9 * i + c] = sv_ref[9 * k + c];
        }
        if (extra_dump) {
            const double *xc = x.col + (size_t)i * NCOL;
            for (int c = 0; c < 3; c++) F[3 * i + c] += xc[5 + c];
            PE[i] += xc[8];
            /* stress/atom: -W * nktv2p, order xx yy zz xy xz yz (symmetric part) */
            const int rc[6][2] = {{0, 0}, {1, 1}, {2, 2}, {0, 1}, {0, 2}, {1, 2}};
            for (int c = 0; c < 6; c++) {
                double w = -xc[9 + c] / NKTV2P;
                int a = rc[c][0], bb = rc[c][1];
                VA[9 * i + 3 * a + bb] += w;
                if (a != bb) VA[9 * i + 3 * bb + a] += w;
            }
        }
    }

    /* ---- LAMMPS side ---- */
    double E = r.efs[0], vol = r.efs[7], W[6];
    for (int c = 0; c < 6; c++) W[c] = r.efs[1 + c] * vol / NKTV2P;
    double fscale = maxabs(F, 3 * (size_t)n, 1, 1e-3);
    double escale = fabs(E_ref) > 1.0 ? fabs(E_ref) : 1.0;
    double wscale = maxabs(W_ref, 6, 1, 1e-3);
    double pescale = maxabs(PE, (size_t)n, 1, 1e-3);
    double vscale = maxabs(VA, 9 * (size_t)n, 1, 1e-3);

    check("energy", -1, E, E_ref, escale, tol);
    const char *wn[6] = {"virial xx", "virial yy", "virial zz", "virial xy", "virial xz", "virial yz"};
    for (int c = 0; c < 6; c++) check(wn[c], -1, W[c], W_ref[c], wscale, tol);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            check(c == 0 ? "fx" : c == 1 ? "fy" : "fz", r.id[i], r.col[(size_t)i * NCOL + 5 + c],
                  F[3 * i + c], fscale, tol);

    /* per-atom energy: sums to total; equals the site energies */
    double sum_pe = 0.0;
    for (int i = 0; i < n; i++) sum_pe += r.col[(size_t)i * NCOL + 8];
    check("sum of per-atom energies vs total", -1, sum_pe, E, escale, tol);
    if (have_site)
        for (int i = 0; i < n; i++)
            check("per-atom energy", r.id[i], r.col[(size_t)i * NCOL + 8], PE[i], pescale, tol);

    /* per-atom virial and centroid virial: sum to the global virial */
    double sv[6] = {0}, sc[9] = {0};
    for (int i = 0; i < n; i++) {
        const double *c = r.col + (size_t)i * NCOL;
        for (int k = 0; k < 6; k++) sv[k] += -c[9 + k] / NKTV2P;
        for (int k = 0; k < 9; k++) sc[k] += -c[15 + k] / NKTV2P;
    }
    for (int k = 0; k < 6; k++) check("sum of per-atom virials vs global", k, sv[k], W[k], wscale, tol);
    /* centroid order xx yy zz xy xz yz yx zx zy */
    const int csym[9] = {0, 1, 2, 3, 4, 5, 3, 4, 5};
    for (int k = 0; k < 9; k++)
        check("sum of centroid virials vs global", k, sc[k], W[csym[k]], wscale, tol);
    if (have_site) {
        /* lib: each pair term -D (x) r split half/half.  LAMMPS stores 6
         * components of the (non-symmetric) per-atom tensor; compare the
         * diagonal strictly and the off-diagonal against either orientation. */
        const int rc[6][2] = {{0, 0}, {1, 1}, {2, 2}, {0, 1}, {0, 2}, {1, 2}};
        int orient_fail[2] = {0, 0};
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < n; i++)
                for (int k = 3; k < 6; k++) {
                    int a = rc[k][0], bb = rc[k][1];
                    double ref = pass == 0 ? VA[9 * i + 3 * a + bb] : VA[9 * i + 3 * bb + a];
                    double got = -r.col[(size_t)i * NCOL + 9 + k] / NKTV2P;
                    if (!(fabs(got - ref) / vscale <= tol)) orient_fail[pass]++;
                }
        int orient = orient_fail[0] <= orient_fail[1] ? 0 : 1;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < 6; k++) {
                int a = rc[k][0], bb = rc[k][1];
                double ref = orient == 0 ? VA[9 * i + 3 * a + bb] : VA[9 * i + 3 * bb + a];
                check("per-atom virial", r.id[i], -r.col[(size_t)i * NCOL + 9 + k] / NKTV2P, ref,
                      vscale, tol);
            }
    }

    /* Per-atom centroid virial, independently: neighbourhoods by brute force
     * over periodic images, mtp_site_eval per site, and the pair term
     * (x_j - x_i) (x) F_j^(i) = -r_ij (x) d_ij given to the neighbour j
     * (reference point of site i = atom i).  Library mode, no extra run. */
    if (have_site && !extra_dump && m > 0) {
        int *row = calloc((size_t)m, sizeof(int)); /* cfg index -> dump row */
        for (int i = 0; i < n; i++)
            if (keep[i] >= 0) row[keep[i]] = i;
        double rc = mtp_potential_cutoff(pot), rc2 = rc * rc;
        const double(*L)[3] = cfg.lattice;
        double vol_c = fabs(L[0][0] * (L[1][1] * L[2][2] - L[1][2] * L[2][1]) -
                            L[0][1] * (L[1][0] * L[2][2] - L[1][2] * L[2][0]) +
                            L[0][2] * (L[1][0] * L[2][1] - L[1][1] * L[2][0]));
        int nimg[3];
        for (int a = 0; a < 3; a++) {
            const double *u = L[(a + 1) % 3], *w = L[(a + 2) % 3];
            double cx = u[1] * w[2] - u[2] * w[1], cy = u[2] * w[0] - u[0] * w[2],
                   cz = u[0] * w[1] - u[1] * w[0];
            double h = vol_c / sqrt(cx * cx + cy * cy + cz * cz);
            nimg[a] = (int)ceil(rc / h);
        }
        size_t cap = 256;
        double *rij = malloc(3 * cap * sizeof(double)), *dij = malloc(3 * cap * sizeof(double));
        int *sp = malloc(cap * sizeof(int)), *jx = malloc(cap * sizeof(int));
        double *cv = calloc(9 * (size_t)m, sizeof(double));
        double e_sum = 0.0;
        for (int i = 0; i < m; i++) {
            size_t nn = 0;
            const double *xi = cfg.positions + 3 * i;
            for (int j = 0; j < m; j++)
                for (int p = -nimg[0]; p <= nimg[0]; p++)
                    for (int q = -nimg[1]; q <= nimg[1]; q++)
                        for (int t = -nimg[2]; t <= nimg[2]; t++) {
                            double r[3];
                            for (int c = 0; c < 3; c++)
                                r[c] = cfg.positions[3 * j + c] + p * L[0][c] + q * L[1][c] +
                                       t * L[2][c] - xi[c];
                            double r2 = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
                            if (!(r2 > 0.0 && r2 < rc2)) continue;
                            if (nn == cap) {
                                cap *= 2;
                                rij = realloc(rij, 3 * cap * sizeof(double));
                                dij = realloc(dij, 3 * cap * sizeof(double));
                                sp = realloc(sp, cap * sizeof(int));
                                jx = realloc(jx, cap * sizeof(int));
                            }
                            memcpy(rij + 3 * nn, r, sizeof r);
                            sp[nn] = mtp_potential_species_index(pot, cfg.types[j]);
                            jx[nn] = j;
                            nn++;
                        }
            double ei = 0.0;
            int si = mtp_potential_species_index(pot, cfg.types[i]);
            if (mtp_site_eval(calc, si, (int)nn, sp, rij, &ei, dij, NULL, NULL, &err) != MTP_OK)
                die("mtp_site_eval: ", err.message);
            e_sum += ei;
            for (size_t k = 0; k < nn; k++) {
                const double *r = rij + 3 * k, *d = dij + 3 * k;
                double *c = cv + 9 * (size_t)jx[k];
                /* LAMMPS order xx yy zz xy xz yz yx zx zy; ab = -r_a d_b */
                c[0] -= r[0] * d[0];
                c[1] -= r[1] * d[1];
                c[2] -= r[2] * d[2];
                c[3] -= r[0] * d[1];
                c[4] -= r[0] * d[2];
                c[5] -= r[1] * d[2];
                c[6] -= r[1] * d[0];
                c[7] -= r[2] * d[0];
                c[8] -= r[2] * d[1];
            }
        }
        check("energy from site-by-site evaluation", -1, e_sum, e_ref, escale, tol);
        double cscale = maxabs(cv, 9 * (size_t)m, 1, 1e-3);
        for (int k = 0; k < m; k++) {
            int i = row[k];
            for (int c = 0; c < 9; c++)
                check("per-atom centroid virial", r.id[i], -r.col[(size_t)i * NCOL + 15 + c] / NKTV2P,
                      cv[9 * (size_t)k + c], cscale, tol);
        }
        free(row);
        free(rij);
        free(dij);
        free(sp);
        free(jx);
        free(cv);
    }

    printf("atoms %d (%d evaluated by the reference), E = %.12g eV, worst relative deviation %.3g "
           "(tolerance %.3g)\n",
           n, m, E, worst, tol);
    if (failures) {
        printf("FAILED: %d checks\n", failures);
        return 1;
    }
    printf("OK\n");
    mtp_cfg_free(&cfg);
    mtp_calculator_destroy(calc);
    mtp_potential_destroy(pot);
    return 0;
}
