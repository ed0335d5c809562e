/* SPDX-License-Identifier: BSD-3-Clause */
/* VASP vasprun.xml reader: one configuration per <calculation> (ionic
 * step).  A small line-oriented tag scanner (VASP writes one element per
 * line); no XML library.
 *
 * Per <calculation>: <structure> basis (Å, rows a b c) and positions
 * (direct -> Cartesian), <varray name="forces"> (eV/Å), <varray
 * name="stress"> (kB), energy = <i name="e_fr_energy"> of the step (the
 * free energy, OUTCAR's TOTEN; the values inside <scstep> are ignored).
 *
 * Stress sign and units: vasprun's stress is the tensor of OUTCAR's
 * "in kB" line, pressure-positive (ASE converts both the same way:
 * stress_ASE = -0.1 GPa * value).  Hence W = stress_kB * V / 1602.1766208
 * (eV), identical to OUTCAR's "FORCE on cell =-STRESS ... Total" row.
 *
 * Types: from <atominfo>'s "atoms" array: relative = atomtype - 1 (POTCAR
 * order, MLIP's relative types), absolute_types -> atomic number,
 * type_map -> index of the element.  A step with >= NELM electronic
 * steps (<scstep> count, NELM from <parameters>) is tagged
 * EFS_by=VASP_not_converged and dropped unless save_nonconverged; others
 * get EFS_by=VASP, as for OUTCAR. */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KBAR_EV_A3 1602.1766208 /* 1 eV/Å^3 = 1602.1766208 kB */

typedef struct vrun_state {
    int n_ions;          /* from <atominfo>; -1 until known */
    int *ion_type;       /* [n_ions] cfg types */
    int nelm;
} vrun_state;

static mtp_status next_line(mtp_reader *r, int *got, mtp_error *err) { return mtp_lines_next(&r->lines, got, err); }

static mtp_status eof(mtp_reader *r, mtp_error *err, const char *what)
{
    return mtp_parse_fail(err, r->name, r->lines.line_no + 1, "unexpected end of file: expected %s (truncated vasprun.xml?)", what);
}

/* Numbers of a <v>...</v> line; returns count or -1. */
static int v_numbers(char *line, double *out, int max)
{
    char *s = strstr(line, "<v");
    if (!s) return -1;
    s = strchr(s, '>');
    if (!s) return -1;
    s++;
    char *e = strstr(s, "</v>");
    if (!e) return -1;
    *e = '\0';
    char *tok[8];
    int nt = mtp_split_ws(s, tok, max);
    if (nt > max) return -1;
    for (int i = 0; i < nt; i++)
        if (!mtp_parse_double(tok[i], &out[i])) return -1;
    return nt;
}

/* Text between the first '>' after `tag` and the next '<'. */
static int tag_text(const char *line, const char *tag, char *buf, size_t size)
{
    const char *s = strstr(line, tag);
    if (!s) return 0;
    s = strchr(s, '>');
    if (!s) return 0;
    s++;
    const char *e = strchr(s, '<');
    if (!e) return 0;
    while (s < e && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    size_t n = (size_t)(e - s);
    if (n >= size) n = size - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return 1;
}

/* Read a varray of rows of 3 numbers until </varray>; grows *arr. */
static mtp_status read_varray(mtp_reader *r, const char *name, double **arr, int *rows, mtp_error *err)
{
    int cap = 0, n = 0, got;
    double *a = NULL;
    for (;;) {
        mtp_status st = next_line(r, &got, err);
        if (st) { free(a); return st; }
        if (!got) { free(a); return eof(r, err, "</varray>"); }
        if (strstr(r->lines.line, "</varray>")) break;
        double v[4];
        if (v_numbers(r->lines.line, v, 3) != 3) {
            free(a);
            return mtp_parse_fail(err, r->name, r->lines.line_no, "varray %s: expected <v> with 3 finite numbers </v>", name);
        }
        if (n == cap) {
            int ncap = cap ? 2 * cap : 64;
            double *na = ncap <= MTP_MAX_ATOMS ? mtp_realloc(a, (size_t)ncap * 3, sizeof *a) : NULL;
            if (!na) { free(a); return mtp_fail(err, MTP_ERR_NOMEM, "out of memory reading %s", r->name); }
            a = na;
            cap = ncap;
        }
        memcpy(a + 3 * n, v, 3 * sizeof *v);
        n++;
    }
    free(*arr);
    *arr = a;
    *rows = n;
    return MTP_OK;
}

static mtp_status read_atominfo(mtp_reader *r, vrun_state *s, mtp_error *err)
{
    int got, in_atoms = 0, cap = 0, n = 0;
    mtp_status st;
    for (;;) {
        st = next_line(r, &got, err);
        if (st) return st;
        if (!got) return eof(r, err, "</atominfo>");
        char *line = r->lines.line;
        if (strstr(line, "</atominfo>")) break;
        if (strstr(line, "<array") && strstr(line, "name=\"atoms\"")) in_atoms = 1;
        else if (in_atoms && strstr(line, "</array>")) in_atoms = 0;
        else if (in_atoms && strstr(line, "<rc>")) {
            char el[32], at[32];
            const char *c2 = strstr(line, "</c>");
            long t;
            if (!tag_text(line, "<c", el, sizeof el) || !c2 || !tag_text(c2, "<c", at, sizeof at) ||
                !mtp_parse_int(at, 1, 1000, &t))
                return mtp_parse_fail(err, r->name, r->lines.line_no,
                                      "atominfo: expected <rc><c>element</c><c>atomtype</c></rc>");
            int ty;
            if (r->opt.absolute_types || r->opt.type_map) {
                char *sp = strchr(el, ' ');
                if (sp) *sp = '\0';
                ty = mtp_reader_type_of_symbol(&r->opt, el);
                if (ty < 0)
                    return mtp_fail(err, MTP_ERR_SPECIES, "%s:%ld: unknown element '%s'%s", r->name,
                                    r->lines.line_no, el, r->opt.type_map ? " (not in the type map)" : "");
            } else {
                ty = (int)t - 1;
            }
            if (n == cap) {
                int ncap = cap ? 2 * cap : 64;
                int *nt = ncap <= MTP_MAX_ATOMS ? mtp_realloc(s->ion_type, (size_t)ncap, sizeof *nt) : NULL;
                if (!nt) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
                s->ion_type = nt;
                cap = ncap;
            }
            s->ion_type[n++] = ty;
        }
    }
    s->n_ions = n;
    return MTP_OK;
}

static mtp_status vrun_open(mtp_reader *r, mtp_error *err)
{
    vrun_state *s = mtp_calloc(1, sizeof *s);
    if (!s) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    s->n_ions = -1;
    r->state = s;
    return MTP_OK;
}

static void vrun_close(mtp_reader *r)
{
    vrun_state *s = r->state;
    if (s) free(s->ion_type);
    free(s);
    r->state = NULL;
}

static mtp_status read_calculation(mtp_reader *r, mtp_cfg *cfg, int *converged, mtp_error *err)
{
    vrun_state *s = r->state;
    long begin = r->lines.line_no;
    int got, in_sc = 0, n_sc = 0, have_basis = 0, have_energy = 0, n_pos = 0, n_frc = 0, n_str = 0;
    double *pos = NULL, *frc = NULL, *str = NULL, *basis = NULL;
    int n_basis = 0;
    mtp_status st = MTP_OK;
    for (;;) {
        st = next_line(r, &got, err);
        if (st) goto done;
        if (!got) { st = eof(r, err, "</calculation>"); goto done; }
        char *line = r->lines.line;
        if (strstr(line, "</calculation>")) break;
        if (strstr(line, "<scstep")) { in_sc = 1; n_sc++; continue; }
        if (strstr(line, "</scstep>")) { in_sc = 0; continue; }
        if (in_sc) continue;
        if (strstr(line, "<varray")) {
            if (strstr(line, "name=\"basis\"")) {
                st = read_varray(r, "basis", &basis, &n_basis, err);
                if (!st && n_basis != 3) st = mtp_parse_fail(err, r->name, r->lines.line_no, "basis: expected 3 rows");
                have_basis = 1;
            } else if (strstr(line, "name=\"positions\"")) {
                st = read_varray(r, "positions", &pos, &n_pos, err);
            } else if (strstr(line, "name=\"forces\"")) {
                st = read_varray(r, "forces", &frc, &n_frc, err);
            } else if (strstr(line, "name=\"stress\"")) {
                st = read_varray(r, "stress", &str, &n_str, err);
                if (!st && n_str != 3) st = mtp_parse_fail(err, r->name, r->lines.line_no, "stress: expected 3 rows");
            } else {
                /* e.g. rec_basis: skip */
                double *tmp = NULL;
                int nt;
                st = read_varray(r, "(other)", &tmp, &nt, err);
                free(tmp);
            }
            if (st) goto done;
        } else if (strstr(line, "name=\"e_fr_energy\"")) {
            char buf[64];
            if (!tag_text(line, "<i", buf, sizeof buf) || !mtp_parse_double(buf, &cfg->energy)) {
                st = mtp_parse_fail(err, r->name, r->lines.line_no, "e_fr_energy: expected a finite number");
                goto done;
            }
            have_energy = 1;
        }
    }
    if (!have_basis || !pos) {
        st = mtp_parse_fail(err, r->name, begin, "<calculation> without a structure (basis and positions)");
        goto done;
    }
    if (s->n_ions >= 0 && n_pos != s->n_ions) {
        st = mtp_parse_fail(err, r->name, begin, "<calculation> has %d positions but atominfo lists %d atoms", n_pos, s->n_ions);
        goto done;
    }
    if (frc && n_frc != n_pos) {
        st = mtp_parse_fail(err, r->name, begin, "<calculation> has %d forces for %d atoms", n_frc, n_pos);
        goto done;
    }
    st = mtp_cfg_alloc(cfg, n_pos, frc ? MTP_CFG_FORCES : 0, err);
    if (st) goto done;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) cfg->lattice[a][b] = basis[3 * a + b];
    for (int i = 0; i < n_pos; i++) {
        const double *f = pos + 3 * i;
        for (int a = 0; a < 3; a++)
            cfg->positions[3 * i + a] = f[0] * basis[a] + f[1] * basis[3 + a] + f[2] * basis[6 + a];
        cfg->types[i] = s->n_ions >= 0 ? s->ion_type[i] : 0;
    }
    if (frc) memcpy(cfg->forces, frc, (size_t)n_pos * 3 * sizeof *frc);
    if (str) {
        double vol = mtp_cfg_volume(cfg);
        double k = vol / KBAR_EV_A3;
        cfg->stress[0] = k * str[0];
        cfg->stress[1] = k * str[4];
        cfg->stress[2] = k * str[8];
        cfg->stress[3] = k * 0.5 * (str[5] + str[7]);
        cfg->stress[4] = k * 0.5 * (str[2] + str[6]);
        cfg->stress[5] = k * 0.5 * (str[1] + str[3]);
        cfg->has_stress = 1;
    }
    cfg->has_energy = have_energy;
    *converged = !(s->nelm > 0 && n_sc >= s->nelm);
    st = mtp_cfg_set_feature(cfg, "EFS_by", *converged ? "VASP" : "VASP_not_converged", err);
done:
    free(pos);
    free(frc);
    free(str);
    free(basis);
    return st;
}

static mtp_status vrun_next(mtp_reader *r, mtp_cfg *cfg, int *got, mtp_error *err)
{
    vrun_state *s = r->state;
    *got = 0;
    int any;
    for (;;) {
        mtp_cfg_free(cfg);
        mtp_status st = next_line(r, &any, err);
        if (st) return st;
        if (!any) {
            if (s->n_ions < 0) return eof(r, err, "<atominfo>");
            return MTP_OK; /* a missing </modeling> (run still going) is tolerated */
        }
        char *line = r->lines.line;
        if (strstr(line, "<atominfo>")) {
            st = read_atominfo(r, s, err);
            if (st) return st;
        } else if (strstr(line, "name=\"NELM\"")) {
            char buf[32];
            long v;
            if (tag_text(line, "<i", buf, sizeof buf) && mtp_parse_int(buf, 0, 1000000000L, &v)) s->nelm = (int)v;
        } else if (strstr(line, "<calculation>")) {
            if (s->n_ions < 0)
                return mtp_parse_fail(err, r->name, r->lines.line_no, "<calculation> before <atominfo>");
            int converged = 1;
            st = read_calculation(r, cfg, &converged, err);
            if (st) {
                mtp_cfg_free(cfg);
                return st;
            }
            if (converged || r->opt.save_nonconverged) {
                *got = 1;
                return MTP_OK;
            }
        } else if (strstr(line, "</modeling>")) {
            return MTP_OK;
        }
    }
}

static int vrun_sniff(const char *head, size_t n) { return mtp_head_contains(head, n, 1024, "<modeling>"); }

const mtp_format_ops mtp_format_vasprun_ops = {MTP_FORMAT_VASPRUN, vrun_open, vrun_next, vrun_close, NULL, vrun_sniff};
