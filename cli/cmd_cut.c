/* SPDX-License-Identifier: BSD-3-Clause */
/* cut_extrapolative_nbh: the most extrapolative neighbourhoods of graded
 * configurations as small configurations to label (MLIP-3's spherical
 * clusters, or periodic cells with per-atom force weights). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char HELP_CUT_EXTRAPOLATIVE_NBH[] =
    "mtp cut_extrapolative_nbh IN OUT [--cutoff=7]\n"
    "mtp cut_extrapolative_nbh IN OUT --periodic [options]\n"
    "  IN holds configurations graded in neighbourhood mode (the nbh_grades\n"
    "  column written by `mtp calculate_grade`, LAMMPS `pair_style mtp ...\n"
    "  extrapolation yes` or `mtp select_add`).  For each configuration the atom\n"
    "  with the largest grade is the centre; a configuration whose largest grade\n"
    "  is < 1.1 is skipped.  OUT is replaced atomically.\n"
    "\n"
    "  Default (MLIP-3's command, same output byte for byte): a non-periodic\n"
    "  cluster, the centre at the origin followed by every atom and periodic\n"
    "  image within --cutoff of it; types kept; features cfg# (counter of\n"
    "  clusters), nbh# (0-based centre index), extrapolation_grade.\n"
    "  --cutoff=R                sphere radius, A (default 7)\n"
    "\n"
    "  --periodic: a small orthorhombic periodic cell for DFT instead of a\n"
    "  cluster with a free surface.  The core is every atom within --core of the\n"
    "  centre(s).  The box is the centres' bounding box grown on every side by\n"
    "  core + cutoff + buffer plus a pad of min_dist (at most cutoff), and keeps\n"
    "  every atom image inside it (single centre, core 0, buffer = cutoff: edge\n"
    "  4 x cutoff + 2 x min_dist).\n"
    "  Guarantee, verified on every cell: atoms within core + buffer of a centre\n"
    "  have exactly the MTP neighbourhood (all neighbours within cutoff) they\n"
    "  have in IN, hence the same site energies; with buffer >= cutoff the MTP\n"
    "  forces on the core atoms are the same too (reported as exact forces).\n"
    "  Core atoms with a verified neighbourhood get force_weight 1, all other\n"
    "  atoms 0 (AtomData column force_weight, honoured by `mtp train`); the\n"
    "  features EnergyWeight 0 and StressWeight 0 are set because energy and\n"
    "  stress include the artificial boundary.  Atoms closer than --min_dist to\n"
    "  an image across the new boundary are dropped, closest pair first, the\n"
    "  atom farther from the centres going (the pad keeps all of them outside\n"
    "  the guaranteed region); the shortest distance across the boundary is\n"
    "  reported before and after.  IN must be 3D periodic or non-periodic.\n"
    "  Types are kept; a Supercell is written.  A configuration no bigger than\n"
    "  its cut would be is written whole instead (all force weights 1, energy\n"
    "  and stress weights untouched).\n"
    "  --cutoff=R                the potential's cutoff (default 7, or from --potential)\n"
    "  --potential=POT           take the cutoff from POT's max_dist\n"
    "  --core=C                  trusted radius around the centres (default 0:\n"
    "                            the centre atoms only), A\n"
    "  --buffer=B                default: the cutoff (exact core forces)\n"
    "  --threshold=X             centres need a grade >= X (default 1.1)\n"
    "  --max_cells=N             cells per configuration (default 1): the worst\n"
    "                            atom not yet in a core is the next centre\n"
    "  --merge=D                 put other atoms >= threshold within D A of the\n"
    "                            centre into the same cell as extra centres (default 0)\n"
    "  --min_dist=D              drop threshold, A (default 0.9 x the shortest\n"
    "                            interatomic distance of the configuration)\n"
    "  Features: cfg#, from_cfg# (0-based index in IN), nbh# (centres, 0-based),\n"
    "  extrapolation_grade, cut_geometry (options, counts, and the origin: atom\n"
    "  positions in IN = positions in the cell + origin, up to IN's lattice).\n";

/* Distance between atoms i and j of cfg, nearest periodic image (3D
 * periodic: minimum image in fractional coordinates of the reduced
 * lattice L, checked over the 27 neighbouring shifts, which suffices for
 * a reduced basis however skewed the basis in the file is). */
static double image_distance(const mtp_cfg *c, const double L[3][3], const double inv[3][3], int periodic, int i,
                             int j)
{
    const double *xi = c->positions + 3 * i, *xj = c->positions + 3 * j;
    double d[3] = {xj[0] - xi[0], xj[1] - xi[1], xj[2] - xi[2]};
    if (!periodic) return sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    for (int b = 0; b < 3; b++) {
        double f = d[0] * inv[0][b] + d[1] * inv[1][b] + d[2] * inv[2][b], s = -round(f);
        for (int a = 0; a < 3; a++) d[a] += s * L[b][a];
    }
    double best = INFINITY;
    for (int p = -1; p <= 1; p++)
        for (int q = -1; q <= 1; q++)
            for (int s = -1; s <= 1; s++) {
                double e[3];
                for (int a = 0; a < 3; a++) e[a] = d[a] + p * L[0][a] + q * L[1][a] + s * L[2][a];
                double r = sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2]);
                if (r < best) best = r;
            }
    return best;
}

static int invert3(const double m[3][3], double inv[3][3])
{
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (det == 0 || !isfinite(det)) return 0;
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) {
            int r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
            inv[r][c] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) / det;
        }
    return 1;
}

typedef struct periodic_settings {
    mtp_cut_periodic_options o;
    double threshold, merge;
    int max_cells;
} periodic_settings;

/* The cells of one configuration; *n_cells is the running counter (cfg#). */
static int cut_periodic_cfg(const char *cmd, const mtp_cfg *cfg, long index, const periodic_settings *ps, FILE *fp,
                            const char *out, long *n_cells)
{
    const int n = cfg->n_atoms;
    double L[3][3], inv[3][3];
    int periodic = mtp_cfg_periodic_dims(cfg) == 3;
    mtp_error lerr;
    if (periodic && mtp_lattice_reduce(cfg->lattice, L, &lerr)) {
        fprintf(stderr, "mtp %s: configuration %ld: %s\n", cmd, index + 1, lerr.message);
        return 1;
    }
    if (periodic && !invert3(L, inv)) {
        fprintf(stderr, "mtp %s: configuration %ld: the lattice vectors are linearly dependent\n", cmd, index + 1);
        return 1;
    }
    unsigned char *covered = calloc((size_t)n + 1, 1);
    int *centers = malloc(((size_t)n + 1) * sizeof(int));
    mtp_cfg cell;
    mtp_cfg_init(&cell);
    int rc = 0;
    if (!covered || !centers) {
        fprintf(stderr, "mtp %s: out of memory\n", cmd);
        rc = 1;
        goto done;
    }
    for (int made = 0; made < ps->max_cells; made++) {
        int c0 = -1;
        for (int i = 0; i < n; i++)
            if (!covered[i] && cfg->nbh_grades[i] >= ps->threshold && (c0 < 0 || cfg->nbh_grades[i] > cfg->nbh_grades[c0]))
                c0 = i;
        if (c0 < 0) break;
        int nc = 0;
        centers[nc++] = c0;
        if (ps->merge > 0)
            for (int i = 0; i < n; i++)
                if (i != c0 && !covered[i] && cfg->nbh_grades[i] >= ps->threshold &&
                    image_distance(cfg, L, inv, periodic, c0, i) <= ps->merge)
                    centers[nc++] = i;
        mtp_cut_report rep;
        mtp_error err;
        if (mtp_cut_periodic(cfg, nc, centers, &ps->o, &cell, &rep, &err)) {
            fprintf(stderr, "mtp %s: configuration %ld: %s\n", cmd, index + 1, err.message);
            rc = 1;
            goto done;
        }
        /* the library's whole rule: a configuration no bigger than its cut
         * is labelled whole */
        const int whole = rep.whole;
        /* every candidate in a core of this cell is labelled by it */
        for (int i = 0; i < n; i++) {
            if (covered[i] || cfg->nbh_grades[i] < ps->threshold) continue;
            for (int c = 0; c < nc; c++)
                if (i == centers[c] || image_distance(cfg, L, inv, periodic, centers[c], i) <= ps->o.core) {
                    covered[i] = 1;
                    break;
                }
        }
        char buf[256], *list = malloc((size_t)nc * 12 + 1);
        if (!list) {
            fprintf(stderr, "mtp %s: out of memory\n", cmd);
            rc = 1;
            goto done;
        }
        size_t len = 0;
        for (int c = 0; c < nc; c++) len += (size_t)sprintf(list + len, c ? ",%d" : "%d", centers[c]);
        int bad = 0;
        snprintf(buf, sizeof buf, "%ld", *n_cells);
        bad |= mtp_cfg_set_feature(&cell, "cfg#", buf, &err) != MTP_OK;
        snprintf(buf, sizeof buf, "%ld", index);
        bad |= mtp_cfg_set_feature(&cell, "from_cfg#", buf, &err) != MTP_OK;
        bad |= mtp_cfg_set_feature(&cell, "nbh#", list, &err) != MTP_OK;
        snprintf(buf, sizeof buf, "%f", cfg->nbh_grades[c0]);
        bad |= mtp_cfg_set_feature(&cell, "extrapolation_grade", buf, &err) != MTP_OK;
        /* cut_geometry, EnergyWeight, StressWeight: set by mtp_cut_periodic */
        if (bad || mtp_write_cfg(fp, out, &cell, MTP_FORMAT_CFG, NULL, &err)) {
            free(list);
            cli_report(cmd, &err);
            rc = 1;
            goto done;
        }
        if (whole) {
            printf("cfg %ld: cell #%ld: the configuration itself (%d atoms, all trusted): it is no bigger than the "
                   "cut around atom(s) %s (grade %g) would be\n",
                   index + 1, *n_cells, n, list, cfg->nbh_grades[c0]);
            free(list);
            (*n_cells)++;
            break;
        }
        printf("cfg %ld: cell #%ld around atom(s) %s (grade %g): %d atoms, box %.3f x %.3f x %.3f A, "
               "%d trusted (of %d core; %d with exact MTP forces), %d dropped; closest pair across the new boundary %.4f A "
               "(%.4f A before dropping, threshold %.4f A), closest real pair %.4f A\n",
               index + 1, *n_cells, list, cfg->nbh_grades[c0], rep.n_atoms, rep.box[0], rep.box[1], rep.box[2],
               rep.n_trusted, rep.n_core, rep.n_force_exact, rep.n_dropped, rep.min_cross_after, rep.min_cross_before, rep.min_dist_used,
               rep.min_same);
        if (rep.n_trusted < rep.n_core)
            fprintf(stderr,
                    "mtp %s: warning: configuration %ld, cell #%ld: %d core atom(s) could not be verified to keep their "
                    "neighbourhood and got force_weight 0\n",
                    cmd, index + 1, *n_cells, rep.n_core - rep.n_trusted);
        if (rep.n_force_exact < rep.n_trusted)
            fprintf(stderr,
                    "mtp %s: note: configuration %ld, cell #%ld: %d of the %d trusted atoms keep their neighbourhood "
                    "but not all neighbouring ones (buffer < cutoff), so their MTP forces differ from the big "
                    "cell's; --buffer >= --cutoff makes them exact\n",
                    cmd, index + 1, *n_cells, rep.n_trusted - rep.n_force_exact, rep.n_trusted);
        free(list);
        (*n_cells)++;
    }
done:
    mtp_cfg_free(&cell);
    free(covered);
    free(centers);
    return rc;
}

int cmd_cut_extrapolative_nbh(const char *cmd, cli_args *a)
{
    if (a->n_pos != 2) {
        fprintf(stderr, "usage: %s", HELP_CUT_EXTRAPOLATIVE_NBH);
        return 2;
    }
    const char *in = a->pos[0], *out = a->pos[1];
    int periodic = 0, rc = 2;
    periodic_settings ps;
    mtp_cut_periodic_options_default(&ps.o);
    double cutoff;
    const char *pot_path = cli_opt(a, "potential");
    mtp_read_options ropt;
    mtp_format ifmt;
    char **tm = NULL;
    mtp_reader *r = NULL;
    mtp_output_file *of = NULL;
    FILE *fp = NULL;
    mtp_cfg cfg, cluster;
    mtp_cfg_init(&cfg);
    mtp_cfg_init(&cluster);
    if (cli_read_options(a, &ropt, &ifmt, &tm) || cli_opt_bool(a, "periodic", 0, &periodic) ||
        cli_opt_double(a, "cutoff", 7.0, &cutoff))
        goto done;
    if (periodic) {
        if (cli_opt_double(a, "core", 0.0, &ps.o.core) || cli_opt_double(a, "buffer", -1.0, &ps.o.buffer) ||
            cli_opt_double(a, "threshold", 1.1, &ps.threshold) || cli_opt_int(a, "max_cells", 1, &ps.max_cells) ||
            cli_opt_double(a, "merge", 0.0, &ps.merge) || cli_opt_double(a, "min_dist", 0.0, &ps.o.min_dist))
            goto done;
        if (ps.max_cells < 1 || ps.o.core < 0 || ps.merge < 0 || ps.o.min_dist < 0 ||
            (cli_opt(a, "buffer") && ps.o.buffer < 0)) {
            fprintf(stderr, "mtp %s: --max_cells must be >= 1 and --core, --buffer, --merge, --min_dist >= 0\n", cmd);
            goto done;
        }
        if (pot_path) {
            mtp_potential *pot;
            mtp_error err;
            if (mtp_potential_read(pot_path, &pot, &err)) {
                cli_report(cmd, &err);
                rc = 1;
                goto done;
            }
            if (!cli_opt(a, "cutoff")) cutoff = mtp_potential_cutoff(pot);
            else if (cutoff < mtp_potential_cutoff(pot))
                fprintf(stderr, "mtp %s: warning: --cutoff=%g is smaller than the potential's cutoff %g\n", cmd, cutoff,
                        mtp_potential_cutoff(pot));
            mtp_potential_destroy(pot);
        }
    } else if (pot_path) {
        fprintf(stderr, "mtp %s: --potential needs --periodic\n", cmd);
        goto done;
    }
    if (cli_check_unused(a, cmd)) goto done;
    if (!(cutoff > 0)) {
        fprintf(stderr, "mtp %s: --cutoff must be positive\n", cmd);
        goto done;
    }
    ps.o.cutoff = cutoff;
    if (strcmp(in, out) == 0) {
        fprintf(stderr, "mtp %s: refusing to overwrite the input file %s\n", cmd, in);
        goto done;
    }
    rc = 1;
    mtp_error err;
    if (mtp_reader_open(in, ifmt, &ropt, &r, &err) || mtp_output_open(out, &of, &fp, &err)) {
        cli_report(cmd, &err);
        goto done;
    }
    long index = 0, n_out = 0;
    for (;; index++) {
        int got;
        if (mtp_reader_next(r, &cfg, &got, &err)) {
            cli_report(cmd, &err);
            goto done;
        }
        if (!got) break;
        if (cfg.n_atoms == 0) continue;
        if (!cfg.nbh_grades) {
            fprintf(stderr,
                    "mtp %s: %s: configuration %ld has no nbh_grades column (grade it first with `mtp calculate_grade` "
                    "and a potential in neighbourhood mode, al_mode=nbh)\n",
                    cmd, in, index + 1);
            goto done;
        }
        if (periodic) {
            if (cut_periodic_cfg(cmd, &cfg, index, &ps, fp, out, &n_out)) goto done;
            continue;
        }
        double grade;
        int c = mtp_cfg_max_grade_atom(&cfg, &grade);
        if (c < 0 || grade < 1.1) continue; /* MLIP-3's fixed rule */
        char buf[64];
        if (mtp_cut_cluster(&cfg, c, cutoff, &cluster, &err)) {
            fprintf(stderr, "mtp %s: %s: configuration %ld: %s\n", cmd, in, index + 1, err.message);
            goto done;
        }
        snprintf(buf, sizeof buf, "%ld", n_out);
        if (mtp_cfg_set_feature(&cluster, "cfg#", buf, &err)) goto report;
        snprintf(buf, sizeof buf, "%d", c);
        if (mtp_cfg_set_feature(&cluster, "nbh#", buf, &err)) goto report;
        snprintf(buf, sizeof buf, "%f", grade); /* std::to_string(double) */
        if (mtp_cfg_set_feature(&cluster, "extrapolation_grade", buf, &err) ||
            mtp_write_cfg(fp, out, &cluster, MTP_FORMAT_CFG, NULL, &err))
            goto report;
        printf("cfg %ld: cut nbh#%d with grade %g (%d atoms within %g A)\n", index + 1, c, grade, cluster.n_atoms,
               cutoff);
        n_out++;
    }
    if (mtp_output_commit(of, &err)) {
        of = NULL;
        goto report;
    }
    of = NULL;
    /* a selection step: nothing to cut is a valid answer, but say why */
    if (index == 0) fprintf(stderr, "mtp %s: %s has no configurations: nothing to cut\n", cmd, in);
    printf("%ld %s written to %s\n", n_out, periodic ? "periodic cells" : "clusters", out);
    rc = 0;
    goto done;
report:
    cli_report(cmd, &err);
done:
    if (of) mtp_output_abort(of);
    mtp_cfg_free(&cfg);
    mtp_cfg_free(&cluster);
    mtp_reader_close(r);
    cli_free_type_map(tm, ropt.type_map_count);
    return rc;
}
