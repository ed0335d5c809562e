/* SPDX-License-Identifier: BSD-3-Clause */
/* Quantum ESPRESSO pw.x output reader (format qe; checked with pw.x 6.7).
 * One configuration per "!    total energy" line (scf: one; relax/md:
 * one per ionic step), with
 *   cell      "crystal axes: (cart. coord. in units of alat)" times
 *             "lattice parameter (alat)" (bohr), or the latest
 *             "CELL_PARAMETERS (alat= A | bohr | angstrom)" card (vc-relax),
 *   positions "site n. atom positions (alat units)" table, or the latest
 *             "ATOMIC_POSITIONS (alat | bohr | angstrom | crystal)" card
 *             (relax/md print the new positions before the next SCF),
 *   types     the atom label (e.g. "Si", or "Fe1": trailing non-letters
 *             are dropped when the label itself is not known),
 *   energy    "!    total energy = E Ry" (with smearing this is the free
 *             energy F = E - TS, the force-consistent one), Ry -> eV,
 *   forces    "Forces acting on atoms (cartesian axes, Ry/au):" rows
 *             "atom N type T force = fx fy fz" (only the first block: the
 *             contributions printed with verbosity='high' follow it),
 *   stress    "total   stress  (Ry/bohr**3)  (kbar)  P= ..." rows, the
 *             Ry/bohr^3 columns (more digits than the kbar ones).
 * Stress sign: pw.x prints the pressure-positive tensor (its trace/3 is
 * the printed P; ASE's espresso reader negates it into ASE's tensile
 * convention).  Checked with pw.x 6.7 on tests/data/qe (see
 * docs/formats.md): W = +sigma_QE * V.
 * Completeness and convergence (as for CP2K): "convergence NOT achieved"
 * before an energy is a parse error at that line unless save_nonconverged
 * (then EFS_by QE_not_converged; others EFS_by QE); an error box
 * ("%%%%" lines around "Error in routine ...") is an error with pw.x's
 * message; the run must end with "JOB DONE." (end of file before it is an
 * error after the complete steps); a complete run without energy is an
 * error. */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RY_EV 13.605693122994
#define BOHR_A 0.529177210903

typedef struct qe_state {
    double alat;          /* bohr */
    double lattice[3][3]; /* Å */
    int have_cell;
    int n;
    int *types;
    double *pos;          /* Å */
    long scf_failed_line;
    int ended;
    long n_energies;
} qe_state;

static mtp_status qe_open(mtp_reader *r, mtp_error *err)
{
    qe_state *s = mtp_calloc(1, sizeof *s);
    if (!s) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    r->state = s;
    return MTP_OK;
}

static void qe_close(mtp_reader *r)
{
    qe_state *s = r->state;
    if (s) {
        free(s->types);
        free(s->pos);
    }
    free(s);
    r->state = NULL;
}

/* Numbers after the first '=' or '(' ... up to `max`; returns the count. */
static int numbers_after(const char *p, double *v, int max)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", p);
    for (char *c = buf; *c; c++)
        if (*c == '(' || *c == ')' || *c == '=' || *c == ',') *c = ' ';
    char *tok[16];
    int nt = mtp_split_ws(buf, tok, 15), k = 0;
    if (nt > 15) nt = 15; /* 16 means "more than 15" */
    for (int i = 0; i < nt && k < max; i++)
        if (mtp_parse_double(tok[i], &v[k])) k++;
    return k;
}

static int type_of_label(mtp_reader *r, const char *label)
{
    int ty = mtp_reader_type_of_symbol(&r->opt, label);
    if (ty >= 0) return ty;
    char el[8];
    size_t k = 0;
    while (label[k] && isalpha((unsigned char)label[k]) && k < sizeof el - 1) {
        el[k] = label[k];
        k++;
    }
    el[k] = '\0';
    if (k >= 2 && mtp_element_number(el) <= 0) el[1] = '\0'; /* "Hx" -> "H" */
    return mtp_reader_type_of_symbol(&r->opt, el);
}

static mtp_status ensure_atoms(qe_state *s, int n, mtp_error *err)
{
    if (n == s->n && s->types) return MTP_OK;
    int *t = mtp_realloc(s->types, (size_t)n, sizeof *t);
    if (t) s->types = t;
    double *p = mtp_realloc(s->pos, (size_t)n * 3, sizeof *p);
    if (p) s->pos = p;
    if (!t || !p) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    s->n = n;
    return MTP_OK;
}

/* "site n.  atom  positions (alat units)" table: "1  Si  tau(   1) = (  x  y  z  )". */
static mtp_status read_site_table(mtp_reader *r, qe_state *s, mtp_error *err)
{
    int any, n = 0, cap = 0;
    int *types = NULL;
    double *pos = NULL;
    mtp_status st = MTP_OK;
    for (;;) {
        if ((st = mtp_lines_next(&r->lines, &any, err))) goto done;
        if (!any) {
            st = mtp_parse_fail(err, r->name, r->lines.line_no + 1, "unexpected end of file in the atomic positions table");
            goto done;
        }
        const char *l = r->lines.line, *tau = strstr(l, "tau(");
        if (!tau) {
            if (n > 0) {
                mtp_lines_push_back(&r->lines); /* the line after the table is not ours */
                break;
            }
            st = mtp_parse_fail(err, r->name, r->lines.line_no, "expected rows 'N  Element  tau( N) = ( x y z )'");
            goto done;
        }
        char label[32];
        long id;
        if (sscanf(l, "%ld %31s", &id, label) != 2 || id != n + 1) {
            st = mtp_parse_fail(err, r->name, r->lines.line_no, "expected atom %d of the positions table", n + 1);
            goto done;
        }
        double v[4];
        const char *eq = strchr(tau, '=');
        if (!eq || numbers_after(eq, v, 3) != 3) {
            st = mtp_parse_fail(err, r->name, r->lines.line_no, "expected 3 finite coordinates after 'tau(..) ='");
            goto done;
        }
        int ty = type_of_label(r, label);
        if (ty < 0) {
            st = mtp_fail(err, MTP_ERR_SPECIES, "%s:%ld: unknown element '%s'%s", r->name, r->lines.line_no, label,
                          r->opt.type_map ? " (not in the type map)" : "");
            goto done;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            int *t = mtp_realloc(types, (size_t)cap, sizeof *t);
            if (t) types = t;
            double *p = mtp_realloc(pos, (size_t)cap * 3, sizeof *p);
            if (p) pos = p;
            if (!t || !p) {
                st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
                goto done;
            }
        }
        types[n] = ty;
        for (int a = 0; a < 3; a++) pos[3 * n + a] = v[a] * s->alat * BOHR_A;
        n++;
    }
    if ((st = ensure_atoms(s, n, err))) goto done;
    memcpy(s->types, types, (size_t)n * sizeof *types);
    memcpy(s->pos, pos, (size_t)n * 3 * sizeof *pos);
done:
    free(types);
    free(pos);
    return st;
}

/* ATOMIC_POSITIONS (unit) card with s->n rows "Label x y z [if_pos]". */
static mtp_status read_positions_card(mtp_reader *r, qe_state *s, const char *head, mtp_error *err)
{
    if (s->n <= 0) return mtp_parse_fail(err, r->name, r->lines.line_no, "ATOMIC_POSITIONS before the positions table");
    int crystal = strstr(head, "crystal") != NULL;
    double scale = strstr(head, "angstrom") ? 1.0 : strstr(head, "bohr") ? BOHR_A : s->alat * BOHR_A;
    for (int i = 0; i < s->n; i++) {
        int any;
        mtp_status st = mtp_lines_next_nonblank(&r->lines, &any, err);
        if (st) return st;
        if (!any) return mtp_parse_fail(err, r->name, r->lines.line_no + 1, "unexpected end of file in ATOMIC_POSITIONS");
        char *tok[8];
        double x[3];
        int nt = mtp_split_ws(r->lines.line, tok, 7);
        if (nt < 4 || !mtp_parse_double(tok[1], &x[0]) || !mtp_parse_double(tok[2], &x[1]) ||
            !mtp_parse_double(tok[3], &x[2]))
            return mtp_parse_fail(err, r->name, r->lines.line_no, "ATOMIC_POSITIONS: expected 'Label x y z' for atom %d", i + 1);
        int ty = type_of_label(r, tok[0]);
        if (ty != s->types[i])
            return mtp_parse_fail(err, r->name, r->lines.line_no, "ATOMIC_POSITIONS: expected the species of atom %d", i + 1);
        for (int a = 0; a < 3; a++)
            s->pos[3 * i + a] = crystal ? x[0] * s->lattice[0][a] + x[1] * s->lattice[1][a] + x[2] * s->lattice[2][a]
                                        : x[a] * scale;
    }
    return MTP_OK;
}

/* Three rows of a cell: "a(1) = ( x y z )" (alat units) or a CELL_PARAMETERS card. */
static mtp_status read_cell_rows(mtp_reader *r, qe_state *s, double scale, mtp_error *err)
{
    for (int a = 0; a < 3; a++) {
        int any;
        mtp_status st = mtp_lines_next_nonblank(&r->lines, &any, err);
        if (st) return st;
        if (!any) return mtp_parse_fail(err, r->name, r->lines.line_no + 1, "unexpected end of file: expected cell vector %d", a + 1);
        const char *l = r->lines.line, *eq = strchr(l, '=');
        double v[3];
        if (numbers_after(eq ? eq : l, v, 3) != 3)
            return mtp_parse_fail(err, r->name, r->lines.line_no, "expected cell vector %d with 3 finite numbers", a + 1);
        for (int b = 0; b < 3; b++) s->lattice[a][b] = v[b] * scale;
    }
    /* pw.x cells are 3D: three independent vectors */
    const double(*L)[3] = s->lattice;
    double det = L[0][0] * (L[1][1] * L[2][2] - L[1][2] * L[2][1]) - L[0][1] * (L[1][0] * L[2][2] - L[1][2] * L[2][0]) +
                 L[0][2] * (L[1][0] * L[2][1] - L[1][1] * L[2][0]);
    double n0 = sqrt(L[0][0] * L[0][0] + L[0][1] * L[0][1] + L[0][2] * L[0][2]),
           n1 = sqrt(L[1][0] * L[1][0] + L[1][1] * L[1][1] + L[1][2] * L[1][2]),
           n2 = sqrt(L[2][0] * L[2][0] + L[2][1] * L[2][1] + L[2][2] * L[2][2]);
    if (!(fabs(det) > 1e-9 * n0 * n1 * n2) || !isfinite(det))
        return mtp_parse_fail(err, r->name, r->lines.line_no, "the three cell vectors do not span a 3D cell");
    s->have_cell = 1;
    return MTP_OK;
}

/* "%%%%" box: the lines up to the closing row form the message. */
static mtp_status read_error_box(mtp_reader *r, mtp_error *err)
{
    long at = r->lines.line_no;
    char msg[600];
    size_t len = 0;
    msg[0] = '\0';
    for (int k = 0; k < 20; k++) {
        int any;
        mtp_status st = mtp_lines_next(&r->lines, &any, err);
        if (st) return st;
        if (!any) break;
        const char *t = mtp_skip_ws(r->lines.line);
        if (strncmp(t, "%%%%", 4) == 0) break;
        if (!*t) continue;
        int w = snprintf(msg + len, sizeof msg - len, "%s%s", len ? " " : "", t);
        if (w < 0 || (size_t)w >= sizeof msg - len) break;
        len += (size_t)w;
    }
    return mtp_parse_fail(err, r->name, at, "pw.x stopped with an error: %s; expected a run that ends with JOB DONE",
                          len ? msg : "(no message)");
}

static mtp_status qe_next(mtp_reader *r, mtp_cfg *cfg, int *got, mtp_error *err)
{
    qe_state *s = r->state;
    mtp_lines *ln = &r->lines;
    mtp_cfg_free(cfg);
    *got = 0;
    int any, in_frame = 0, converged = 1;
    mtp_status st;
    for (;;) {
        if ((st = mtp_lines_next(ln, &any, err))) goto fail;
        if (!any) break;
        const char *t = mtp_skip_ws(ln->line);
        int starts_new = strncmp(t, "!", 1) == 0 || strncmp(t, "ATOMIC_POSITIONS", 16) == 0 ||
                         strncmp(t, "CELL_PARAMETERS", 15) == 0 || strstr(t, "convergence NOT achieved") ||
                         strncmp(t, "%%%%", 4) == 0;
        if (in_frame && starts_new) {
            mtp_lines_push_back(ln);
            break;
        }
        if (strncmp(t, "%%%%", 4) == 0) {
            st = read_error_box(r, err);
            goto fail;
        } else if (strstr(t, "convergence NOT achieved")) {
            s->scf_failed_line = ln->line_no;
        } else if (strncmp(t, "JOB DONE.", 9) == 0) {
            s->ended = 1;
        } else if (strncmp(t, "lattice parameter (alat)", 24) == 0) {
            double v;
            if (numbers_after(strchr(t, '='), &v, 1) != 1 || !(v > 0)) {
                st = mtp_parse_fail(err, r->name, ln->line_no, "expected a positive lattice parameter in bohr");
                goto fail;
            }
            s->alat = v;
        } else if (strncmp(t, "crystal axes: (cart. coord. in units of alat)", 45) == 0) {
            /* pw.x prints alat first; without it the cell would be 0 x the rows */
            if (!(s->alat > 0)) {
                st = mtp_parse_fail(err, r->name, ln->line_no,
                                    "crystal axes in alat units before 'lattice parameter (alat) = ...'");
                goto fail;
            }
            if ((st = read_cell_rows(r, s, s->alat * BOHR_A, err))) goto fail;
        } else if (strncmp(t, "site n.", 7) == 0 && strstr(t, "positions (alat units)")) {
            if (!(s->alat > 0)) {
                st = mtp_parse_fail(err, r->name, ln->line_no,
                                    "positions in alat units before 'lattice parameter (alat) = ...'");
                goto fail;
            }
            if ((st = read_site_table(r, s, err))) goto fail;
        } else if (strncmp(t, "CELL_PARAMETERS", 15) == 0) {
            double scale = strstr(t, "angstrom") ? 1.0 : strstr(t, "bohr") ? BOHR_A : s->alat * BOHR_A, a;
            const char *al = strstr(t, "alat=");
            if (al && numbers_after(al + 5, &a, 1) == 1 && a > 0) scale = a * BOHR_A;
            if ((st = read_cell_rows(r, s, scale, err))) goto fail;
        } else if (strncmp(t, "ATOMIC_POSITIONS", 16) == 0) {
            if ((st = read_positions_card(r, s, t, err))) goto fail;
        } else if (t[0] == '!' && strstr(t, "total energy")) {
            double e;
            if (numbers_after(strchr(t, '='), &e, 1) != 1 || !strstr(t, "Ry")) {
                st = mtp_parse_fail(err, r->name, ln->line_no, "'! total energy': expected a finite energy in Ry");
                goto fail;
            }
            s->n_energies++;
            if (s->scf_failed_line) {
                long at = s->scf_failed_line;
                s->scf_failed_line = 0;
                if (!r->opt.save_nonconverged) {
                    st = mtp_parse_fail(err, r->name, ln->line_no,
                                        "energy of a non-converged SCF (line %ld: convergence NOT achieved); expected a "
                                        "converged SCF (raise electron_maxstep or change mixing; save_nonconverged keeps "
                                        "it tagged EFS_by QE_not_converged)", at);
                    goto fail;
                }
                converged = 0;
            }
            if (!s->have_cell || s->n <= 0) {
                st = mtp_parse_fail(err, r->name, ln->line_no, "energy before the cell and atomic positions");
                goto fail;
            }
            if ((st = mtp_cfg_alloc(cfg, s->n, 0, err))) goto fail;
            memcpy(cfg->types, s->types, (size_t)s->n * sizeof *s->types);
            memcpy(cfg->positions, s->pos, (size_t)s->n * 3 * sizeof *s->pos);
            memcpy(cfg->lattice, s->lattice, sizeof s->lattice);
            cfg->energy = e * RY_EV;
            cfg->has_energy = 1;
            in_frame = 1;
        } else if (in_frame && !cfg->forces && strncmp(t, "Forces acting on atoms", 22) == 0) {
            if ((st = mtp_cfg_add_array(cfg, MTP_CFG_FORCES, err))) goto fail;
            for (int i = 0; i < cfg->n_atoms;) {
                if ((st = mtp_lines_next(ln, &any, err))) goto fail;
                if (!any) {
                    st = mtp_parse_fail(err, r->name, ln->line_no + 1, "unexpected end of file: expected force rows (truncated?)");
                    goto fail;
                }
                const char *l = mtp_skip_ws(ln->line);
                if (!*l) continue;
                long id;
                double f[3];
                const char *eq = strstr(l, "force =");
                if (sscanf(l, "atom %ld", &id) != 1 || id != i + 1 || !eq || numbers_after(eq + 7, f, 3) != 3) {
                    st = mtp_parse_fail(err, r->name, ln->line_no, "expected 'atom %d type T force = fx fy fz' (%d atoms)",
                                        i + 1, cfg->n_atoms);
                    goto fail;
                }
                for (int a = 0; a < 3; a++) cfg->forces[3 * i + a] = f[a] * (RY_EV / BOHR_A);
                i++;
            }
        } else if (in_frame && strncmp(t, "total   stress", 14) == 0) {
            double m[9];
            for (int row = 0; row < 3; row++) {
                if ((st = mtp_lines_next(ln, &any, err))) goto fail;
                if (!any) {
                    st = mtp_parse_fail(err, r->name, ln->line_no + 1,
                                        "unexpected end of file: expected stress row %d (truncated?)", row + 1);
                    goto fail;
                }
                double v[6];
                char buf[256];
                snprintf(buf, sizeof buf, "%s", ln->line);
                char *tok[8];
                int nt = mtp_split_ws(buf, tok, 7);
                if (nt != 6 || !mtp_parse_double(tok[0], &v[0]) || !mtp_parse_double(tok[1], &v[1]) ||
                    !mtp_parse_double(tok[2], &v[2])) {
                    st = mtp_parse_fail(err, r->name, ln->line_no,
                                        "stress: expected row %d with 3 numbers in Ry/bohr^3 and 3 in kbar", row + 1);
                    goto fail;
                }
                for (int b = 0; b < 3; b++) m[3 * row + b] = v[b];
            }
            double vol = mtp_cfg_volume(cfg);
            double k = vol * RY_EV / (BOHR_A * BOHR_A * BOHR_A); /* W = +sigma_QE * V, eV */
            cfg->stress[0] = k * m[0];
            cfg->stress[1] = k * m[4];
            cfg->stress[2] = k * m[8];
            cfg->stress[3] = k * 0.5 * (m[5] + m[7]);
            cfg->stress[4] = k * 0.5 * (m[2] + m[6]);
            cfg->stress[5] = k * 0.5 * (m[1] + m[3]);
            cfg->has_stress = 1;
        }
    }
    if (!any && !s->ended) {
        st = mtp_parse_fail(err, r->name, ln->line_no + 1,
                            "unexpected end of file: expected %s and 'JOB DONE.' (truncated, killed or crashed pw.x job)",
                            in_frame ? "the rest of the last step" : "a '! total energy'");
        goto fail;
    }
    if (!in_frame) {
        mtp_cfg_free(cfg);
        if (s->scf_failed_line && !r->opt.save_nonconverged) {
            long at = s->scf_failed_line;
            s->scf_failed_line = 0;
            s->n_energies = -1;
            return mtp_parse_fail(err, r->name, at, "convergence NOT achieved: expected a converged SCF");
        }
        if (s->n_energies == 0) {
            s->n_energies = -1;
            return mtp_parse_fail(err, r->name, ln->line_no,
                                  "end of a complete pw.x run without '! total energy': expected at least one SCF");
        }
        return MTP_OK;
    }
    if ((st = mtp_cfg_set_feature(cfg, "EFS_by", converged ? "QE" : "QE_not_converged", err))) goto fail;
    *got = 1;
    return MTP_OK;
fail:
    mtp_cfg_free(cfg);
    return st;
}

static int qe_sniff(const char *head, size_t n) { return mtp_head_contains(head, n, 4096, "Program PWSCF"); }

const mtp_format_ops mtp_format_qe_ops = {MTP_FORMAT_QE, qe_open, qe_next, qe_close, NULL, qe_sniff};
