/* SPDX-License-Identifier: BSD-3-Clause */
/* CP2K output log reader (versions printing "ATOMIC FORCES in [a.u.]",
 * e.g. 2023.1).  One configuration per "ENERGY| Total FORCE_EVAL"
 * evaluation, with
 *   cell      latest "CELL| Vector a/b/c [angstrom]" lines; "CELL|
 *             Periodicity" lists the periodic directions (others zeroed),
 *   positions latest "ATOMIC COORDINATES IN ANGSTROM" block (Element
 *             column -> type via the type map or atomic number),
 *   energy    "ENERGY| Total FORCE_EVAL ( .. ) energy [a.u.]:" Hartree -> eV,
 *   forces    "ATOMIC FORCES in [a.u.]" Hartree/bohr -> eV/Å,
 *   stress    "STRESS| Analytical (or Numerical) stress tensor [GPa]".
 * CP2K prints the atomic coordinates only once per run (MD, GEO_OPT,
 * CELL_OPT write them to the trajectory file instead); an evaluation
 * that is not preceded by a fresh coordinate block cannot be converted
 * and stops the reader with MTP_ERR_UNSUPPORTED after the earlier frames.
 *
 * Completeness and convergence (a labelling run must never pass as
 * data when it did not finish):
 *   - "SCF run NOT converged" (CP2K 2023.1 prints it as "*** WARNING in
 *     qs_scf.F:601 :: SCF run NOT converged ***" and goes on to print the
 *     energy and forces of the unconverged density) or "SCF loop FAILED to
 *     converge" (outer/CDFT loop) before an evaluation's energy line
 *     makes that evaluation non-converged: a parse error at that line,
 *     unless save_nonconverged, which keeps it tagged
 *     EFS_by=CP2K_not_converged (converged ones get EFS_by=CP2K).  Unlike
 *     OUTCAR (where MLIP drops such steps silently and we follow it),
 *     dropping is not an option here: a single-point run would give zero
 *     configurations and success;
 *   - a "[ABORT]" box (CP2K stopped with an error) is an error carrying
 *     CP2K's message;
 *   - the run must end with "PROGRAM ENDED AT"; end of file before it
 *     (truncated, killed or crashed job) is an error after the complete
 *     evaluations, and an evaluation cut off by it is not returned;
 *   - a complete run without any "ENERGY| Total FORCE_EVAL" is an error.
 *
 * Stress sign: CP2K's stress tensor is pressure-positive (its 1/3 trace
 * is the pressure; ASE's CP2K calculator negates it: "cp2k uses the
 * opposite sign").  Checked with cp2k 2023.1 on an H2 cell, finite
 * differences of E under a strain eps_xx = +-0.002 gave -dE/deps_xx =
 * 7.97 eV and sigma_xx * V / 160.21766208 = 39.13 GPa * 32.64 Å^3 / 160.2
 * = 7.97 eV.  Hence W = +sigma_CP2K[GPa] * V / 160.21766208 (eV). */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HARTREE_EV 27.211386245988
#define BOHR_A 0.529177210903
#define GPA_EV_A3 160.21766208

typedef struct cp2k_state {
    double lattice[3][3];
    int have_cell;
    int periodic[3];
    int n;                 /* atoms of the latest coordinate block */
    int *types;
    double *pos;
    int coords_fresh;      /* coordinate block not used by a frame yet */
    long coords_line;
    long scf_failed_line;  /* "SCF run NOT converged" since the last evaluation, 0 if none */
    int ended;             /* "PROGRAM ENDED AT" seen */
    long n_evaluations;
} cp2k_state;

static int contains_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++) {
        size_t i = 0;
        while (i < n && s[i] && tolower((unsigned char)s[i]) == tolower((unsigned char)needle[i])) i++;
        if (i == n) return 1;
    }
    return 0;
}

static mtp_status eof(mtp_reader *r, mtp_error *err, const char *what)
{
    return mtp_parse_fail(err, r->name, r->lines.line_no + 1, "unexpected end of file: expected %s (truncated CP2K output?)", what);
}

/* CP2K's error box:
 *  *******************************************************************************
 *  *   ___                                                                       *
 *  * [ABORT]                                                                     *
 *  *  \___/  The requested atomic potential <GTH-PBE-q7> for element <H> was not *
 *  *    |                found in the potential file <GTH_POTENTIALS>            *
 *  ...
 *  * / \                                  subsys/external_potential_types.F:2324 *
 *  *******************************************************************************
 * The text starts in column 11 (after the drawing); it is joined into one
 * message. */
static mtp_status read_abort_box(mtp_reader *r, mtp_error *err)
{
    long at = r->lines.line_no;
    char msg[600];
    size_t len = 0;
    msg[0] = '\0';
    int any;
    for (int k = 0; k < 40; k++) {
        mtp_status st = mtp_lines_next(&r->lines, &any, err);
        if (st) return st;
        if (!any) break;
        const char *l = r->lines.line;
        size_t n = strlen(l);
        if (n < 3 || strncmp(l, " *", 2) != 0 || strncmp(l, " ****", 5) == 0) break;
        if (n <= 11) continue;
        const char *text = l + 11;
        size_t tl = strlen(text);
        while (tl > 0 && (text[tl - 1] == '*' || text[tl - 1] == ' ')) tl--;
        while (tl > 0 && *text == ' ') text++, tl--;
        if (tl == 0) continue;
        int w = snprintf(msg + len, sizeof msg - len, "%s%.*s", len ? " " : "", (int)tl, text);
        if (w < 0 || (size_t)w >= sizeof msg - len) break;
        len += (size_t)w;
    }
    return mtp_parse_fail(err, r->name, at, "CP2K stopped with an error (ABORT): %s; expected a run that ends normally",
                          len ? msg : "(no message)");
}

static mtp_status cp2k_open(mtp_reader *r, mtp_error *err)
{
    cp2k_state *s = mtp_calloc(1, sizeof *s);
    if (!s) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    s->periodic[0] = s->periodic[1] = s->periodic[2] = 1;
    r->state = s;
    return MTP_OK;
}

static void cp2k_close(mtp_reader *r)
{
    cp2k_state *s = r->state;
    if (s) {
        free(s->types);
        free(s->pos);
    }
    free(s);
    r->state = NULL;
}

static mtp_status read_cell_vector(mtp_reader *r, cp2k_state *s, int a, mtp_error *err)
{
    const char *p = strchr(r->lines.line, ']');
    char buf[256];
    char *tok[8];
    double v[3];
    if (p) snprintf(buf, sizeof buf, "%s", p + 1);
    else buf[0] = '\0';
    char *q = buf;
    if (*q == ':') q++;
    int nt = mtp_split_ws(q, tok, 7);
    if (nt < 3 || !mtp_parse_double(tok[0], &v[0]) || !mtp_parse_double(tok[1], &v[1]) ||
        !mtp_parse_double(tok[2], &v[2]))
        return mtp_parse_fail(err, r->name, r->lines.line_no, "CELL| Vector: expected 3 finite numbers in angstrom");
    memcpy(s->lattice[a], v, sizeof v);
    s->have_cell = 1;
    return MTP_OK;
}

static mtp_status read_coordinates(mtp_reader *r, cp2k_state *s, double scale, mtp_error *err)
{
    int got, n = 0, cap = 0, header = 0;
    int *types = NULL;
    double *pos = NULL;
    mtp_status st;
    long start = r->lines.line_no;
    for (;;) {
        st = mtp_lines_next(&r->lines, &got, err);
        if (st) goto fail;
        if (!got) {
            st = eof(r, err, "the rows of ATOMIC COORDINATES");
            goto fail;
        }
        char *tok[16];
        /* split a copy: a line that ends the block is pushed back intact */
        char copy[512];
        snprintf(copy, sizeof copy, "%s", r->lines.line);
        int nt = mtp_split_ws(copy, tok, 15);
        if (nt == 0) {
            if (header && n > 0) break; /* blank line after the rows */
            continue;
        }
        if (!header) {
            if (strcmp(tok[0], "Atom") == 0) header = 1;
            continue;
        }
        long id, kind;
        double x[3];
        if (nt < 6 || !mtp_parse_int(tok[0], 1, MTP_MAX_ATOMS, &id) || !mtp_parse_int(tok[1], 1, 1000000, &kind) ||
            !mtp_parse_double(tok[nt >= 9 ? 4 : 3], &x[0]))
        {
            if (n > 0) {
                mtp_lines_push_back(&r->lines); /* the line after the block is not ours */
                break;
            }
            st = mtp_parse_fail(err, r->name, r->lines.line_no, "ATOMIC COORDINATES: expected 'Atom Kind Element [Z] X Y Z ...' rows");
            goto fail;
        }
        /* 2023: Atom Kind Element Z X Y Z Z(eff) Mass; older: without the atomic number column */
        int ox = (nt >= 9) ? 4 : 3;
        if (nt < ox + 3 || !mtp_parse_double(tok[ox], &x[0]) || !mtp_parse_double(tok[ox + 1], &x[1]) ||
            !mtp_parse_double(tok[ox + 2], &x[2])) {
            st = mtp_parse_fail(err, r->name, r->lines.line_no, "ATOMIC COORDINATES: expected finite X Y Z");
            goto fail;
        }
        if (id != n + 1) {
            st = mtp_parse_fail(err, r->name, r->lines.line_no, "ATOMIC COORDINATES: expected atom %d, found %ld", n + 1, id);
            goto fail;
        }
        int ty = mtp_reader_type_of_symbol(&r->opt, tok[2]);
        if (ty < 0) {
            st = mtp_fail(err, MTP_ERR_SPECIES, "%s:%ld: unknown element '%s'%s", r->name, r->lines.line_no, tok[2],
                          r->opt.type_map ? " (not in the type map)" : "");
            goto fail;
        }
        if (n == cap) {
            int ncap = cap ? 2 * cap : 64;
            int *nt2 = ncap <= MTP_MAX_ATOMS ? mtp_realloc(types, (size_t)ncap, sizeof *types) : NULL;
            if (nt2) types = nt2;
            double *np = ncap <= MTP_MAX_ATOMS ? mtp_realloc(pos, (size_t)ncap * 3, sizeof *pos) : NULL;
            if (np) pos = np;
            if (!nt2 || !np) {
                st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
                goto fail;
            }
            cap = ncap;
        }
        types[n] = ty;
        for (int a = 0; a < 3; a++) pos[3 * n + a] = x[a] * scale;
        n++;
    }
    free(s->types);
    free(s->pos);
    s->types = types;
    s->pos = pos;
    s->n = n;
    s->coords_fresh = 1;
    s->coords_line = start;
    return MTP_OK;
fail:
    free(types);
    free(pos);
    return st;
}

static mtp_status cp2k_next(mtp_reader *r, mtp_cfg *cfg, int *got, mtp_error *err)
{
    cp2k_state *s = r->state;
    mtp_lines *ln = &r->lines;
    mtp_cfg_free(cfg);
    *got = 0;
    int any, in_frame = 0, frame_converged = 1;
    mtp_status st;
    for (;;) {
        st = mtp_lines_next(ln, &any, err);
        if (st) goto fail;
        if (!any) break;
        const char *line = ln->line;
        const char *t = mtp_skip_ws(line);
        if (strstr(t, "SCF run NOT converged") || strstr(t, "SCF loop FAILED to converge")) {
            if (in_frame) {
                mtp_lines_push_back(ln);
                break;
            }
            s->scf_failed_line = ln->line_no;
        } else if (strstr(t, "[ABORT]")) {
            if (in_frame && cfg->forces) { /* return the complete evaluation first */
                mtp_lines_push_back(ln);
                break;
            }
            st = read_abort_box(r, err);
            goto fail;
        } else if (strncmp(t, "PROGRAM ENDED AT", 16) == 0 || strstr(t, "**  PROGRAM ENDED AT")) {
            s->ended = 1;
        } else if (strncmp(t, "ENERGY| Total FORCE_EVAL", 24) == 0) {
            if (in_frame) {
                mtp_lines_push_back(ln);
                break;
            }
            long energy_line = ln->line_no;
            s->n_evaluations++;
            if (s->scf_failed_line) {
                long scf_line = s->scf_failed_line;
                s->scf_failed_line = 0;
                if (!r->opt.save_nonconverged) {
                    st = mtp_parse_fail(err, r->name, energy_line,
                                        "energy of a non-converged SCF (line %ld: SCF run NOT converged); expected a "
                                        "converged SCF (raise MAX_SCF or improve the guess; save_nonconverged keeps it "
                                        "tagged EFS_by CP2K_not_converged)",
                                        scf_line);
                    goto fail;
                }
                frame_converged = 0;
            } else {
                frame_converged = 1;
            }
            const char *c = strrchr(t, ':');
            char *tok[4];
            char buf[128];
            snprintf(buf, sizeof buf, "%s", c ? c + 1 : "");
            if (mtp_split_ws(buf, tok, 3) != 1 || !mtp_parse_double(tok[0], &cfg->energy)) {
                st = mtp_parse_fail(err, r->name, ln->line_no, "ENERGY| Total FORCE_EVAL: expected a finite energy in Hartree");
                goto fail;
            }
            cfg->energy *= HARTREE_EV;
            cfg->has_energy = 1;
            if (!s->coords_fresh) {
                st = mtp_fail(err, s->n > 0 ? MTP_ERR_UNSUPPORTED : MTP_ERR_PARSE,
                              "%s:%ld: energy evaluation without atomic coordinates printed before it "
                              "(CP2K prints them once per run; read MD runs with the cp2k_md format from the trajectory files)",
                              r->name, ln->line_no);
                goto fail;
            }
            if (!s->have_cell) {
                st = mtp_parse_fail(err, r->name, ln->line_no, "energy evaluation before any 'CELL| Vector' lines");
                goto fail;
            }
            st = mtp_cfg_alloc(cfg, s->n, 0, err);
            if (st) goto fail;
            memcpy(cfg->types, s->types, (size_t)s->n * sizeof *s->types);
            memcpy(cfg->positions, s->pos, (size_t)s->n * 3 * sizeof *s->pos);
            memcpy(cfg->lattice, s->lattice, sizeof s->lattice);
            for (int a = 0; a < 3; a++)
                if (!s->periodic[a]) cfg->lattice[a][0] = cfg->lattice[a][1] = cfg->lattice[a][2] = 0;
            s->coords_fresh = 0;
            in_frame = 1;
        } else if (strncmp(t, "CELL| Vector ", 13) == 0 && t[13] >= 'a' && t[13] <= 'c' && strstr(t, "[angstrom]")) {
            if (in_frame) {
                mtp_lines_push_back(ln);
                break;
            }
            st = read_cell_vector(r, s, t[13] - 'a', err);
            if (st) goto fail;
        } else if (strncmp(t, "CELL| Periodicity", 17) == 0) {
            const char *p = t + 17;
            s->periodic[0] = strchr(p, 'X') != NULL;
            s->periodic[1] = strchr(p, 'Y') != NULL;
            s->periodic[2] = strchr(p, 'Z') != NULL;
        } else if (contains_ci(t, "ATOMIC COORDINATES IN ANGSTROM") || contains_ci(t, "ATOMIC COORDINATES IN BOHR")) {
            if (in_frame) {
                mtp_lines_push_back(ln);
                break;
            }
            st = read_coordinates(r, s, contains_ci(t, "BOHR") ? BOHR_A : 1.0, err);
            if (st) goto fail;
        } else if (in_frame && strncmp(t, "ATOMIC FORCES in [a.u.]", 23) == 0) {
            st = mtp_cfg_add_array(cfg, MTP_CFG_FORCES, err);
            if (st) goto fail;
            int i = 0;
            while (i < cfg->n_atoms) {
                st = mtp_lines_next(ln, &any, err);
                if (st) goto fail;
                if (!any) {
                    st = eof(r, err, "ATOMIC FORCES rows");
                    goto fail;
                }
                char *tok[8];
                int nt = mtp_split_ws(ln->line, tok, 7);
                if (nt == 0 || tok[0][0] == '#') continue;
                long id;
                double f[3];
                if (nt != 6 || !mtp_parse_int(tok[0], 1, MTP_MAX_ATOMS, &id) || id != i + 1 ||
                    !mtp_parse_double(tok[3], &f[0]) || !mtp_parse_double(tok[4], &f[1]) ||
                    !mtp_parse_double(tok[5], &f[2])) {
                    st = mtp_parse_fail(err, r->name, ln->line_no,
                                        "ATOMIC FORCES: expected row '%d Kind Element Fx Fy Fz' with finite forces (%d atoms)",
                                        i + 1, cfg->n_atoms);
                    goto fail;
                }
                for (int a = 0; a < 3; a++) cfg->forces[3 * i + a] = f[a] * (HARTREE_EV / BOHR_A);
                i++;
            }
        } else if (in_frame && strncmp(t, "STRESS|", 7) == 0 && strstr(t, "stress tensor [GPa]") &&
                   !strstr(t, "Eigen")) {
            double m[9];
            int row = 0;
            while (row < 3) {
                st = mtp_lines_next(ln, &any, err);
                if (st) goto fail;
                if (!any) {
                    st = eof(r, err, "STRESS| rows x, y, z");
                    goto fail;
                }
                char *tok[8];
                int nt = mtp_split_ws(ln->line, tok, 7);
                if (nt == 4 && strcmp(tok[0], "STRESS|") == 0 && strcmp(tok[1], "x") == 0 &&
                    strcmp(tok[2], "y") == 0)
                    continue; /* column header */
                static const char *const AX[3] = {"x", "y", "z"};
                if (nt != 5 || strcmp(tok[0], "STRESS|") != 0 || strcmp(tok[1], AX[row]) != 0 ||
                    !mtp_parse_double(tok[2], &m[3 * row]) || !mtp_parse_double(tok[3], &m[3 * row + 1]) ||
                    !mtp_parse_double(tok[4], &m[3 * row + 2])) {
                    st = mtp_parse_fail(err, r->name, ln->line_no, "STRESS|: expected row '%s' with 3 finite numbers",
                                        AX[row]);
                    goto fail;
                }
                row++;
            }
            double vol = mtp_cfg_volume(cfg);
            if (vol > 0) {
                double k = vol / GPA_EV_A3; /* W = +sigma_CP2K * V (see the top of the file) */
                cfg->stress[0] = k * m[0];
                cfg->stress[1] = k * m[4];
                cfg->stress[2] = k * m[8];
                cfg->stress[3] = k * 0.5 * (m[5] + m[7]);
                cfg->stress[4] = k * 0.5 * (m[2] + m[6]);
                cfg->stress[5] = k * 0.5 * (m[1] + m[3]);
                cfg->has_stress = 1;
            }
        }
    }
    if (!any && !s->ended) {
        /* end of file without the closing banner: whatever evaluation is in
         * progress may lack its forces or stress */
        st = mtp_parse_fail(err, r->name, ln->line_no + 1,
                            "unexpected end of file: expected %s and 'PROGRAM ENDED AT' (truncated, killed or crashed "
                            "CP2K job)",
                            in_frame ? "the rest of the last evaluation" : "an 'ENERGY| Total FORCE_EVAL' evaluation");
        goto fail;
    }
    if (!in_frame) {
        mtp_cfg_free(cfg);
        if (s->n_evaluations == 0) {
            s->n_evaluations = -1; /* report once */
            return mtp_parse_fail(err, r->name, ln->line_no,
                                  "end of a complete CP2K run without 'ENERGY| Total FORCE_EVAL': expected at least one "
                                  "energy evaluation (RUN_TYPE ENERGY or ENERGY_FORCE)");
        }
        return MTP_OK;
    }
    st = mtp_cfg_set_feature(cfg, "EFS_by", frame_converged ? "CP2K" : "CP2K_not_converged", err);
    if (st) goto fail;
    *got = 1;
    return MTP_OK;
fail:
    mtp_cfg_free(cfg);
    return st;
}

static int cp2k_sniff(const char *head, size_t n) { return mtp_head_contains(head, n, 4096, "CP2K|"); }

const mtp_format_ops mtp_format_cp2k_ops = {MTP_FORMAT_CP2K, cp2k_open, cp2k_next, cp2k_close, NULL, cp2k_sniff};
