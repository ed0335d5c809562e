/* SPDX-License-Identifier: BSD-3-Clause */
/* VASP OUTCAR reader (spec: mlip-compat.md §3.7), one configuration per
 * ionic step, reproducing `mlp convert --input_format=outcar`.
 *
 * Units and signs: OUTCAR is already in eV, Å, eV/Å.  The virial is the
 * "Total" row of the block "FORCE on cell =-STRESS in cart. coord. units
 * (eV)", columns XX YY ZZ XY YZ ZX; that row is -dE/deps = W (MLIP's
 * PlusStress) and is stored without conversion (the "in kB" row below it
 * is the same tensor times 1602.1766208/V).  Energy = "free energy TOTEN"
 * (not the sigma->0 energy).
 *
 * Per ionic step (as MLIP): skip to the end of the SCF loop ("aborting
 * loop because EDIFF is reached"); the last "--- Iteration  n( m)" line
 * before it gives the SCF count m; m >= NELM tags the step
 * EFS_by=VASP_not_converged and drops it unless save_nonconverged, others
 * get EFS_by=VASP.  VASP 6 also prints "aborting loop EDIFF was not
 * reached (unconverged)": such a step is a non-converged step too.  The
 * line "Total CPU time used (sec)" ends the run normally; end of file
 * before it means a truncated OUTCAR and is reported as an error after
 * the complete steps have been returned.
 *
 * Types: index of the element in the POTCAR list (MLIP's relative types),
 * the atomic number with absolute_types, or the index in type_map. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPECIES 256

typedef struct outcar_state {
    int n_species;                 /* entries of "ions per type"           */
    int ions_per_type[MAX_SPECIES];
    int type_of_species[MAX_SPECIES];
    int nelm;
    int finished;                  /* "Total CPU time used" seen          */
} outcar_state;

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Numbers separated by blanks or run together ("-10293.69148-10013.02"),
 * as Fortran prints them.  Returns the count read (<= max) and stops at
 * the first non-number; -1 if a NaN/Inf appears. */
static int scan_numbers(const char *s, double *out, int max)
{
    int n = 0;
    while (n < max) {
        while (*s && isspace((unsigned char)*s)) s++;
        if (!*s) break;
        if (!(isdigit((unsigned char)*s) || *s == '-' || *s == '+' || *s == '.')) break;
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s) break;
        if (!isfinite(v)) return -1;
        out[n++] = v;
        s = end;
    }
    return n;
}

static mtp_status next_line(mtp_reader *r, int *got, mtp_error *err)
{
    return mtp_lines_next(&r->lines, got, err);
}

static mtp_status eof_error(mtp_reader *r, mtp_error *err, const char *what)
{
    return mtp_parse_fail(err, r->name, r->lines.line_no + 1,
                          "unexpected end of file: expected %s (truncated OUTCAR?)", what);
}

static mtp_status outcar_open(mtp_reader *r, mtp_error *err)
{
    outcar_state *s = mtp_calloc(1, sizeof *s);
    if (!s) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    r->state = s;
    s->nelm = -1;
    int potcar_z[2 * MAX_SPECIES], n_potcar = 0;
    int got;
    mtp_status st;
    for (;;) {
        st = next_line(r, &got, err);
        if (st) return st;
        if (!got)
            return mtp_parse_fail(err, r->name, r->lines.line_no,
                                  "end of file before the 'NELM =' line: not a VASP OUTCAR or truncated header");
        const char *line = r->lines.line;
        if (starts_with(line, " POTCAR:")) {
            /* " POTCAR:    PAW_PBE Nb_sv 25May2007": element = second word up to '_'. */
            char buf[256];
            snprintf(buf, sizeof buf, "%s", line + 8);
            char *tok[8];
            int nt = mtp_split_ws(buf, tok, 8);
            int z = 0;
            for (int i = 1; i < nt && i < 8 && z == 0; i++) {
                char *u = strchr(tok[i], '_');
                if (u) *u = '\0';
                z = mtp_element_number(tok[i]);
            }
            if (z == 0)
                return mtp_parse_fail(err, r->name, r->lines.line_no,
                                      "POTCAR: expected an element name such as 'PAW_PBE Li 17Jan2003'");
            if (n_potcar < 2 * MAX_SPECIES) potcar_z[n_potcar++] = z;
        } else if (starts_with(line, "   ions per type =")) {
            double v[MAX_SPECIES + 1];
            int n = scan_numbers(line + 18, v, MAX_SPECIES + 1);
            if (n <= 0 || n > MAX_SPECIES)
                return mtp_parse_fail(err, r->name, r->lines.line_no,
                                      "ions per type: expected 1 to %d atom counts", MAX_SPECIES);
            for (int i = 0; i < n; i++) {
                if (v[i] < 0 || v[i] > MTP_MAX_ATOMS || v[i] != floor(v[i]))
                    return mtp_parse_fail(err, r->name, r->lines.line_no,
                                          "ions per type: expected whole numbers of atoms");
                s->ions_per_type[i] = (int)v[i];
            }
            s->n_species = n;
        } else if (starts_with(line, "   NELM   =")) {
            double v;
            if (scan_numbers(line + 11, &v, 1) != 1 || v < 0 || v != floor(v) || v > 1e9)
                return mtp_parse_fail(err, r->name, r->lines.line_no, "NELM: expected an integer");
            s->nelm = (int)v;
            break;
        }
    }
    if (s->n_species == 0)
        return mtp_parse_fail(err, r->name, r->lines.line_no,
                              "'ions per type =' not found before NELM: not a VASP OUTCAR?");
    /* POTCAR names: the header lists them once per species and VASP
     * repeats the list; MLIP keeps unique elements in order of appearance. */
    int species_z[2 * MAX_SPECIES], n_z = 0;
    if (n_potcar == 2 * s->n_species &&
        memcmp(potcar_z, potcar_z + s->n_species, (size_t)s->n_species * sizeof(int)) == 0) {
        n_z = s->n_species;
        memcpy(species_z, potcar_z, (size_t)n_z * sizeof(int));
    } else {
        for (int i = 0; i < n_potcar; i++) {
            int dup = 0;
            for (int k = 0; k < n_z; k++) dup |= species_z[k] == potcar_z[i];
            if (!dup) species_z[n_z++] = potcar_z[i];
        }
    }
    if (n_z != s->n_species)
        return mtp_parse_fail(err, r->name, r->lines.line_no,
                              "found %d POTCAR element(s) but %d entries in 'ions per type'", n_z,
                              s->n_species);
    for (int k = 0; k < s->n_species; k++) {
        if (r->opt.absolute_types) {
            s->type_of_species[k] = species_z[k];
        } else if (r->opt.type_map) {
            const char *sym = mtp_element_symbol(species_z[k]);
            int t = sym ? mtp_reader_type_of_symbol(&r->opt, sym) : -1;
            if (t < 0)
                return mtp_fail(err, MTP_ERR_SPECIES, "%s: element %s of the POTCAR is not in the type map",
                                r->name, sym ? sym : "?");
            s->type_of_species[k] = t;
        } else {
            s->type_of_species[k] = k;
        }
    }
    return MTP_OK;
}

static void outcar_close(mtp_reader *r)
{
    free(r->state);
    r->state = NULL;
}

/* Read one ionic step.  *got = 0 at the normal end of the run. */
static mtp_status read_step(mtp_reader *r, mtp_cfg *cfg, int *got, int *converged, mtp_error *err)
{
    outcar_state *s = r->state;
    int any, iter = -1, unconverged_line = 0;
    mtp_status st;
    *got = 0;
    for (;;) {
        st = next_line(r, &any, err);
        if (st) return st;
        if (!any) {
            if (r->n_read == 0)
                return eof_error(r, err, "'aborting loop because EDIFF is reached' (end of an SCF loop)");
            return eof_error(r, err, "another ionic step or 'Total CPU time used'");
        }
        const char *line = r->lines.line;
        if (starts_with(line, "------------------------ aborting loop because EDIFF is reached")) break;
        if (starts_with(line, "------------------------ aborting loop EDIFF was not reached")) {
            unconverged_line = 1;
            break;
        }
        if (starts_with(line, "                  Total CPU time used (sec)")) {
            s->finished = 1;
            return MTP_OK;
        }
        const char *it = strstr(line, "--- Iteration");
        if (it) {
            const char *paren = strchr(it, '(');
            double v;
            if (paren && scan_numbers(paren + 1, &v, 1) == 1)
                iter = v >= 0 && v < 1e9 ? (int)v : 1000000000; /* absurd counts: "reached NELM" */
        }
    }
    *converged = !unconverged_line && !(s->nelm != 0 && iter >= s->nelm);

    /* Virial (optional) and lattice. */
    for (;;) {
        st = next_line(r, &any, err);
        if (st) return st;
        if (!any) return eof_error(r, err, "'direct lattice vectors'");
        if (starts_with(r->lines.line, "  FORCE on cell =-STRESS")) {
            for (;;) {
                st = next_line(r, &any, err);
                if (st) return st;
                if (!any) return eof_error(r, err, "the 'Total' row of 'FORCE on cell =-STRESS'");
                if (starts_with(r->lines.line, "  Total")) break;
            }
            double v[6];
            if (scan_numbers(r->lines.line + 7, v, 6) != 6)
                return mtp_parse_fail(err, r->name, r->lines.line_no,
                                      "FORCE on cell: expected 6 finite numbers XX YY ZZ XY YZ ZX after 'Total'");
            /* VASP: XX YY ZZ XY YZ ZX -> ours: xx yy zz yz xz xy */
            cfg->stress[0] = v[0];
            cfg->stress[1] = v[1];
            cfg->stress[2] = v[2];
            cfg->stress[3] = v[4];
            cfg->stress[4] = v[5];
            cfg->stress[5] = v[3];
            cfg->has_stress = 1;
        } else if (starts_with(r->lines.line, "      direct lattice vectors")) {
            break;
        }
    }
    for (int a = 0; a < 3; a++) {
        st = next_line(r, &any, err);
        if (st) return st;
        if (!any) return eof_error(r, err, "3 rows of direct lattice vectors");
        double v[6];
        if (scan_numbers(r->lines.line, v, 6) < 3)
            return mtp_parse_fail(err, r->name, r->lines.line_no,
                                  "direct lattice vectors: expected a row of finite numbers");
        for (int b = 0; b < 3; b++) cfg->lattice[a][b] = v[b];
    }

    /* Positions and forces. */
    for (;;) {
        st = next_line(r, &any, err);
        if (st) return st;
        if (!any) return eof_error(r, err, "the 'POSITION ... TOTAL-FORCE (eV/Angst)' table");
        if (starts_with(r->lines.line, " POSITION ") && strstr(r->lines.line, "TOTAL-FORCE")) break;
    }
    st = next_line(r, &any, err); /* dashes */
    if (st) return st;
    if (!any) return eof_error(r, err, "the rows of the POSITION table");
    int n = 0, cap = 0;
    double *x = NULL, *f = NULL;
    for (;;) {
        st = next_line(r, &any, err);
        if (st) goto fail;
        if (!any) {
            st = eof_error(r, err, "the end of the POSITION table");
            goto fail;
        }
        double v[7];
        int k = scan_numbers(r->lines.line, v, 7);
        const char *t = mtp_skip_ws(r->lines.line);
        if (k == 0 && *t == '-') break; /* closing dashes */
        if (k != 6) {
            st = mtp_parse_fail(err, r->name, r->lines.line_no,
                                "POSITION table: expected 6 finite numbers (x y z fx fy fz) per row");
            goto fail;
        }
        if (n == cap) {
            int ncap = cap ? 2 * cap : 64;
            double *nx = mtp_realloc(x, (size_t)ncap * 3, sizeof *x);
            if (nx) x = nx;
            double *nf = mtp_realloc(f, (size_t)ncap * 3, sizeof *f);
            if (nf) f = nf;
            if (!nx || !nf || ncap > MTP_MAX_ATOMS) {
                st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory reading %s", r->name);
                goto fail;
            }
            cap = ncap;
        }
        memcpy(x + 3 * n, v, 3 * sizeof *v);
        memcpy(f + 3 * n, v + 3, 3 * sizeof *v);
        n++;
    }
    long table_line = r->lines.line_no;

    /* Energy. */
    for (;;) {
        st = next_line(r, &any, err);
        if (st) goto fail;
        if (!any) {
            st = eof_error(r, err, "'FREE ENERGIE OF THE ION-ELECTRON SYSTEM (eV)'");
            goto fail;
        }
        if (starts_with(r->lines.line, "  FREE ENERGIE OF THE ION-ELECTRON SYSTEM (eV)")) break;
    }
    for (int k = 0; k < 2; k++) {
        st = next_line(r, &any, err);
        if (st) goto fail;
        if (!any) {
            st = eof_error(r, err, "'free  energy   TOTEN  = ... eV'");
            goto fail;
        }
    }
    {
        const char *eq = strchr(r->lines.line, '=');
        if (!strstr(r->lines.line, "TOTEN") || !eq || scan_numbers(eq + 1, &cfg->energy, 1) != 1) {
            st = mtp_parse_fail(err, r->name, r->lines.line_no,
                                "expected 'free  energy   TOTEN  = <finite number> eV'");
            goto fail;
        }
        cfg->has_energy = 1;
    }

    /* Types from "ions per type". */
    long total = 0;
    for (int k = 0; k < s->n_species; k++) total += s->ions_per_type[k];
    if (total != n) {
        st = mtp_parse_fail(err, r->name, table_line,
                            "POSITION table has %d atoms but 'ions per type' sums to %ld", n, total);
        goto fail;
    }
    st = mtp_cfg_alloc(cfg, n, MTP_CFG_FORCES, err);
    if (st) goto fail;
    if (n > 0) {
        memcpy(cfg->positions, x, (size_t)n * 3 * sizeof *x);
        memcpy(cfg->forces, f, (size_t)n * 3 * sizeof *f);
    }
    for (int k = 0, i = 0; k < s->n_species; k++)
        for (int j = 0; j < s->ions_per_type[k]; j++) cfg->types[i++] = s->type_of_species[k];
    free(x);
    free(f);
    st = mtp_cfg_set_feature(cfg, "EFS_by", *converged ? "VASP" : "VASP_not_converged", err);
    if (st) return st;
    *got = 1;
    return MTP_OK;
fail:
    free(x);
    free(f);
    return st;
}

static mtp_status outcar_next(mtp_reader *r, mtp_cfg *cfg, int *got, mtp_error *err)
{
    outcar_state *s = r->state;
    *got = 0;
    for (;;) {
        mtp_cfg_free(cfg);
        if (s->finished) return MTP_OK;
        int converged = 1;
        mtp_status st = read_step(r, cfg, got, &converged, err);
        if (st) {
            mtp_cfg_free(cfg);
            *got = 0;
            return st;
        }
        if (!*got) return MTP_OK;
        if (converged || r->opt.save_nonconverged) return MTP_OK;
        *got = 0; /* drop a non-converged step */
    }
}

static int outcar_sniff(const char *head, size_t n) { return mtp_head_contains(head, n, 512, " vasp."); }

const mtp_format_ops mtp_format_outcar_ops = {MTP_FORMAT_OUTCAR, outcar_open, outcar_next,
                                              outcar_close, NULL, outcar_sniff};
