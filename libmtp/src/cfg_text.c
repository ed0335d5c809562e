/* SPDX-License-Identifier: BSD-3-Clause */
/* MLIP text .cfg: reader and writer (see spec: mlip-compat.md §3). */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum column {
    COL_ID, COL_TYPE, COL_CX, COL_CY, COL_CZ, COL_DX, COL_DY, COL_DZ, COL_FX, COL_FY, COL_FZ,
    COL_SITE_EN, COL_CHARGE, COL_MX, COL_MY, COL_MZ, COL_EX, COL_EY, COL_EZ, COL_GHOST,
    COL_NBH_GRADES, COL_FORCE_WEIGHT, N_COLUMN_KINDS
};
static const char *const COLUMN_NAMES[N_COLUMN_KINDS] = {
    "id", "type", "cartes_x", "cartes_y", "cartes_z", "direct_x", "direct_y", "direct_z",
    "fx", "fy", "fz", "site_en", "charge", "magmom_x", "magmom_y", "magmom_z",
    "en_der_mx", "en_der_my", "en_der_mz", "ghost", "nbh_grades", "force_weight"};

#define MAX_COLUMNS 64

typedef struct cfg_parse {
    mtp_lines *ln;
    mtp_error *err;
    mtp_cfg *cfg;
    long declared_size;   /* -1 until Size seen */
    long size_line;
} cfg_parse;

static mtp_status perr(cfg_parse *p, const char *fmt, const char *a, const char *b)
{
    return mtp_parse_fail(p->err, p->ln->name, p->ln->line_no, fmt, a, b);
}

/* Next non-blank line into p->ln->line; *got = 0 at EOF. */
static mtp_status next_line(cfg_parse *p, int *got) { return mtp_lines_next_nonblank(p->ln, got, p->err); }

static int is_section_word(const char *w)
{
    static const char *const words[] = {"Size", "Supercell", "SuperCell", "AtomData:",
                                        "Atomic_data:", "Energy", "PlusStress:", "Virial:",
                                        "Stress:", "Feature", "Features:", "END_CFG", NULL};
    for (int i = 0; words[i]; i++)
        if (strcmp(w, words[i]) == 0) return 1;
    return 0;
}

/* Value(s) after a keyword: on the same line, or on the next non-blank
 * line(s).  Reads exactly `n` numbers. */
static mtp_status read_numbers(cfg_parse *p, char *rest, int n, double *out, const char *what)
{
    char *tok[16];
    int k = 0;
    char buf[32];
    snprintf(buf, sizeof buf, "%d", n);
    if (rest) {
        int nt = mtp_split_ws(rest, tok, 16);
        if (nt > n) return perr(p, "too many values for %s (expected %s)", what, buf);
        for (int i = 0; i < nt; i++, k++)
            if (!mtp_parse_double(tok[i], &out[k]))
                return perr(p, "%s: expected a finite number, found '%s'", what, tok[i]);
    }
    while (k < n) {
        int got, nt;
        mtp_status st = next_line(p, &got);
        if (st) return st;
        if (!got)
            return mtp_parse_fail(p->err, p->ln->name, p->ln->line_no,
                                  "unexpected end of file: expected %d number(s) for %s", n, what);
        nt = mtp_split_ws(p->ln->line, tok, 16);
        if (k + nt > n) return perr(p, "too many values for %s (expected %s)", what, buf);
        for (int i = 0; i < nt; i++, k++)
            if (!mtp_parse_double(tok[i], &out[k]))
                return perr(p, "%s: expected a finite number, found '%s'", what, tok[i]);
    }
    return MTP_OK;
}

static int all_numbers(char **tok, int n)
{
    double v;
    for (int i = 0; i < n; i++)
        if (!mtp_parse_double(tok[i], &v)) return 0;
    return 1;
}

static mtp_status read_supercell(cfg_parse *p)
{
    char *tok[8];
    int rows = 0;
    while (rows < 3) {
        int got, nt;
        mtp_status st = next_line(p, &got);
        if (st) return st;
        if (!got) break;
        char *copy = mtp_strdup(p->ln->line);
        if (!copy) return mtp_fail(p->err, MTP_ERR_NOMEM, "out of memory");
        nt = mtp_split_ws(copy, tok, 8);
        if (nt == 3 && all_numbers(tok, 3)) {
            for (int a = 0; a < 3; a++) mtp_parse_double(tok[a], &p->cfg->lattice[rows][a]);
            rows++;
            free(copy);
            continue;
        }
        int section = nt > 0 && is_section_word(tok[0]);
        free(copy);
        if (!section) return perr(p, "Supercell: expected a row of 3 numbers%s%s", "", "");
        mtp_lines_push_back(p->ln);
        break;
    }
    if (rows == 0) return perr(p, "Supercell: expected 1 to 3 rows of 3 numbers%s%s", "", "");
    return MTP_OK;
}

static void decode_key(char *k)
{
    char *w = k;
    for (char *r = k; *r; r++) {
        if (r[0] == '\\' && r[1]) {
            char c = r[1];
            if (c == '_') { *w++ = ' '; r++; continue; }
            if (c == 't') { *w++ = '\t'; r++; continue; }
            if (c == 'n') { *w++ = '\n'; r++; continue; }
            if (c == 'r') { *w++ = '\r'; r++; continue; }
            if (c == 'v') { *w++ = '\v'; r++; continue; }
            if (c == 'f') { *w++ = '\f'; r++; continue; }
            if (c == '\\') { *w++ = '\\'; r++; continue; }
        }
        *w++ = *r;
    }
    *w = '\0';
}

static mtp_status read_feature(cfg_parse *p, char *after_keyword)
{
    char *s = (char *)mtp_skip_ws(after_keyword);
    if (!*s) return perr(p, "Feature: expected a key and a value%s%s", "", "");
    char *e = s;
    while (*e && !isspace((unsigned char)*e)) e++;
    char *value = e;
    if (*value) value++; /* exactly one separator character */
    char *key = mtp_strndup(s, (size_t)(e - s));
    if (!key) return mtp_fail(p->err, MTP_ERR_NOMEM, "out of memory");
    decode_key(key);
    mtp_status st = mtp_cfg_append_feature(p->cfg, key, value, p->err);
    free(key);
    return st;
}

static mtp_status read_features_legacy(cfg_parse *p, char *names)
{
    char *keys[MAX_COLUMNS], *vals[MAX_COLUMNS];
    char *names_copy = mtp_strdup(names);
    if (!names_copy) return mtp_fail(p->err, MTP_ERR_NOMEM, "out of memory");
    int nk = mtp_split_ws(names_copy, keys, MAX_COLUMNS);
    int got, nt;
    mtp_status st = next_line(p, &got);
    if (!st && !got) st = perr(p, "Features: expected a line of values%s%s", "", "");
    if (!st) {
        nt = mtp_split_ws(p->ln->line, vals, MAX_COLUMNS);
        if (nt != nk || nk > MAX_COLUMNS) st = perr(p, "Features: expected one value per name%s%s", "", "");
        for (int i = 0; !st && i < nk; i++) st = mtp_cfg_append_feature(p->cfg, keys[i], vals[i], p->err);
    }
    free(names_copy);
    return st;
}

static mtp_status read_stress(cfg_parse *p, char *names, double sign, int per_volume)
{
    static const char *const N[6] = {"xx", "yy", "zz", "yz", "xz", "xy"};
    char *tok[8];
    int nt = mtp_split_ws(names, tok, 8);
    if (nt != 6) return perr(p, "expected the six names xx yy zz yz xz xy after the stress keyword%s%s", "", "");
    int slot[6], seen = 0;
    for (int i = 0; i < 6; i++) {
        slot[i] = -1;
        for (int k = 0; k < 6; k++)
            if (strcmp(tok[i], N[k]) == 0) slot[i] = k;
        if (slot[i] < 0) return perr(p, "unknown stress component '%s' (expected xx yy zz yz xz xy)%s", tok[i], "");
        if (seen & (1 << slot[i])) return perr(p, "stress component '%s' given twice%s", tok[i], "");
        seen |= 1 << slot[i];
    }
    double v[6];
    mtp_status st = read_numbers(p, NULL, 6, v, "PlusStress");
    if (st) return st;
    double scale = sign;
    if (per_volume) {
        double vol = mtp_cfg_volume(p->cfg);
        if (!(vol > 0)) return perr(p, "Virial: needs a 3D periodic Supercell given before it%s%s", "", "");
        scale /= vol;
    }
    for (int i = 0; i < 6; i++) p->cfg->stress[slot[i]] = scale * v[i];
    p->cfg->has_stress = 1;
    return MTP_OK;
}

/* Growable per-atom storage while rows are read: a bogus Size cannot
 * trigger a huge allocation before the data is actually there. */
static mtp_status grow(cfg_parse *p, int *cap, int need, unsigned flags)
{
    if (need <= *cap) return MTP_OK;
    int ncap = *cap ? *cap : 64;
    while (ncap < need) ncap = ncap > MTP_MAX_ATOMS / 2 ? MTP_MAX_ATOMS : ncap * 2;
    mtp_cfg *c = p->cfg;
    int *t = mtp_realloc(c->types, (size_t)ncap, sizeof(int));
    if (t) c->types = t;
    double *x = mtp_realloc(c->positions, (size_t)ncap * 3, sizeof(double));
    if (x) c->positions = x;
    if (!t || !x) return mtp_fail(p->err, MTP_ERR_NOMEM, "out of memory for %d atoms", ncap);
#define GROW(ptr, w)                                                                   \
    if (ptr) {                                                                         \
        void *q = mtp_realloc(ptr, (size_t)ncap * (w), sizeof *ptr);                  \
        if (!q) return mtp_fail(p->err, MTP_ERR_NOMEM, "out of memory");              \
        ptr = q;                                                                       \
    }
    GROW(c->forces, 3)
    GROW(c->site_energies, 1)
    GROW(c->charges, 1)
    GROW(c->magmom, 3)
    GROW(c->en_der_magmom, 3)
    GROW(c->ghost, 1)
    GROW(c->nbh_grades, 1)
    GROW(c->force_weights, 1)
#undef GROW
    (void)flags;
    *cap = ncap;
    return MTP_OK;
}

static mtp_status read_atom_data(cfg_parse *p, char *names)
{
    if (p->declared_size < 0) return perr(p, "AtomData: must come after Size%s%s", "", "");
    if (p->cfg->n_atoms > 0 || p->cfg->positions) return perr(p, "AtomData: given twice%s%s", "", "");
    char *names_copy = mtp_strdup(names);
    if (!names_copy) return mtp_fail(p->err, MTP_ERR_NOMEM, "out of memory");
    char *tok[MAX_COLUMNS + 1];
    int ncol = mtp_split_ws(names_copy, tok, MAX_COLUMNS);
    int kind[MAX_COLUMNS];
    int where[N_COLUMN_KINDS];
    mtp_status st = MTP_OK;
    for (int k = 0; k < N_COLUMN_KINDS; k++) where[k] = -1;
    if (ncol > MAX_COLUMNS) st = perr(p, "AtomData: too many columns%s%s", "", "");
    for (int i = 0; !st && i < ncol; i++) {
        kind[i] = -1;
        for (int k = 0; k < N_COLUMN_KINDS; k++)
            if (strcmp(tok[i], COLUMN_NAMES[k]) == 0) kind[i] = k;
        if (kind[i] < 0)
            st = perr(p, "AtomData: unknown column '%s' (expected id, type, cartes_x/y/z or direct_x/y/z, fx fy fz, site_en, charge, magmom_x/y/z, en_der_mx/my/mz, ghost, nbh_grades, force_weight)%s", tok[i], "");
        else if (where[kind[i]] >= 0)
            st = perr(p, "AtomData: column '%s' given twice%s", tok[i], "");
        else
            where[kind[i]] = i;
    }
    int cart = where[COL_CX] >= 0 || where[COL_CY] >= 0 || where[COL_CZ] >= 0;
    int direct = where[COL_DX] >= 0 || where[COL_DY] >= 0 || where[COL_DZ] >= 0;
    if (!st && cart && direct) st = perr(p, "AtomData: both cartes_ and direct_ columns given%s%s", "", "");
    if (!st && !cart && !direct) st = perr(p, "AtomData: positions missing (expected cartes_x cartes_y cartes_z or direct_x direct_y direct_z)%s%s", "", "");
    static const int groups[][3] = {{COL_CX, COL_CY, COL_CZ}, {COL_DX, COL_DY, COL_DZ},
                                    {COL_FX, COL_FY, COL_FZ}, {COL_MX, COL_MY, COL_MZ},
                                    {COL_EX, COL_EY, COL_EZ}};
    for (int g = 0; !st && g < 5; g++) {
        int n = (where[groups[g][0]] >= 0) + (where[groups[g][1]] >= 0) + (where[groups[g][2]] >= 0);
        if (n != 0 && n != 3)
            st = perr(p, "AtomData: column group %s.. needs all three components%s", COLUMN_NAMES[groups[g][0]], "");
    }
    free(names_copy);
    if (st) return st;

    mtp_cfg *c = p->cfg;
    /* Allocate optional arrays lazily as zero-length so grow() extends them. */
#define OPT(col, ptr)                                                   \
    if (where[col] >= 0 && !(c->ptr = mtp_calloc(1, sizeof *c->ptr))) \
        return mtp_fail(p->err, MTP_ERR_NOMEM, "out of memory");
    OPT(COL_FX, forces)
    OPT(COL_SITE_EN, site_energies)
    OPT(COL_CHARGE, charges)
    OPT(COL_MX, magmom)
    OPT(COL_EX, en_der_magmom)
    OPT(COL_GHOST, ghost)
    OPT(COL_NBH_GRADES, nbh_grades)
    OPT(COL_FORCE_WEIGHT, force_weights)
#undef OPT
    int cap = 0;
    long n = p->declared_size;
    char *row[MAX_COLUMNS + 1];
    double vals[MAX_COLUMNS];
    for (long i = 0; i < n; i++) {
        int got, nt;
        st = next_line(p, &got);
        if (st) return st;
        if (!got)
            return mtp_parse_fail(p->err, p->ln->name, p->ln->line_no,
                                  "unexpected end of file in AtomData: expected %ld atom rows (Size), found %ld",
                                  n, i);
        nt = mtp_split_ws(p->ln->line, row, MAX_COLUMNS);
        if (nt != ncol) {
            if (nt > 0 && is_section_word(row[0]))
                return mtp_parse_fail(p->err, p->ln->name, p->ln->line_no,
                                      "AtomData: expected %ld atom rows (Size), found %ld before '%s'",
                                      n, i, row[0]);
            return mtp_parse_fail(p->err, p->ln->name, p->ln->line_no,
                                  "AtomData: expected %d values per atom row, found %d", ncol, nt);
        }
        st = grow(p, &cap, (int)i + 1, 0);
        if (st) return st;
        for (int k = 0; k < ncol; k++) {
            if (kind[k] == COL_GHOST) {
                if (strcmp(row[k], "true") == 0 || strcmp(row[k], "1") == 0) vals[k] = 1;
                else if (strcmp(row[k], "false") == 0 || strcmp(row[k], "0") == 0) vals[k] = 0;
                else return perr(p, "AtomData: ghost must be true or false, found '%s'%s", row[k], "");
            } else if (kind[k] == COL_ID || kind[k] == COL_TYPE) {
                long v;
                if (!mtp_parse_int(row[k], -1000000000L, 1000000000L, &v))
                    return perr(p, "AtomData: %s must be an integer, found '%s'", COLUMN_NAMES[kind[k]], row[k]);
                vals[k] = (double)v;
            } else if (!mtp_parse_double(row[k], &vals[k])) {
                return perr(p, "AtomData: %s must be a finite number, found '%s'", COLUMN_NAMES[kind[k]], row[k]);
            }
        }
        if (where[COL_ID] >= 0 && vals[where[COL_ID]] != (double)(i + 1)) {
            char buf[32];
            snprintf(buf, sizeof buf, "%ld", i + 1);
            return perr(p, "AtomData: atom ids must be 1..Size in order; expected id %s, found %s", buf,
                        row[where[COL_ID]]);
        }
        c->types[i] = where[COL_TYPE] >= 0 ? (int)vals[where[COL_TYPE]] : 0;
        int base = cart ? COL_CX : COL_DX;
        for (int a = 0; a < 3; a++) c->positions[3 * i + a] = vals[where[base + a]];
        if (c->forces) for (int a = 0; a < 3; a++) c->forces[3 * i + a] = vals[where[COL_FX + a]];
        if (c->magmom) for (int a = 0; a < 3; a++) c->magmom[3 * i + a] = vals[where[COL_MX + a]];
        if (c->en_der_magmom) for (int a = 0; a < 3; a++) c->en_der_magmom[3 * i + a] = vals[where[COL_EX + a]];
        if (c->site_energies) c->site_energies[i] = vals[where[COL_SITE_EN]];
        if (c->charges) c->charges[i] = vals[where[COL_CHARGE]];
        if (c->ghost) c->ghost[i] = (unsigned char)vals[where[COL_GHOST]];
        if (c->nbh_grades) c->nbh_grades[i] = vals[where[COL_NBH_GRADES]];
        if (c->force_weights) {
            double fw = vals[where[COL_FORCE_WEIGHT]];
            if (!(fw >= 0))
                return perr(p, "AtomData: force_weight must be a finite number >= 0, found '%s'%s",
                            row[where[COL_FORCE_WEIGHT]], "");
            c->force_weights[i] = fw;
        }
        c->n_atoms = (int)i + 1;
    }
    if (direct) {
        if (mtp_cfg_periodic_dims(c) == 0)
            return perr(p, "AtomData: direct_ coordinates need a Supercell%s%s", "", "");
        for (int i = 0; i < c->n_atoms; i++) {
            double f[3] = {c->positions[3 * i], c->positions[3 * i + 1], c->positions[3 * i + 2]};
            for (int a = 0; a < 3; a++)
                c->positions[3 * i + a] = f[0] * c->lattice[0][a] + f[1] * c->lattice[1][a] + f[2] * c->lattice[2][a];
        }
    }
    return MTP_OK;
}

static mtp_status cfg_text_next(mtp_reader *r, mtp_cfg *cfg, int *got, mtp_error *err)
{
    mtp_cfg_free(cfg);
    *got = 0;
    cfg_parse p = {&r->lines, err, cfg, -1, 0};
    int any;
    mtp_status st;
    /* find BEGIN_CFG */
    for (;;) {
        st = next_line(&p, &any);
        if (st) return st;
        if (!any) return MTP_OK;
        const char *s = mtp_skip_ws(r->lines.line);
        if (strncmp(s, "BEGIN_CFG", 9) == 0 && (s[9] == '\0' || isspace((unsigned char)s[9]))) break;
        if (strncmp(s, "BEGIN", 5) == 0 && (s[5] == '\0' || isspace((unsigned char)s[5])))
            return mtp_fail(err, MTP_ERR_UNSUPPORTED,
                            "%s:%ld: legacy pre-2017 .cfg format (BEGIN ... END) is not supported; convert it with MLIP's fix_cfg",
                            r->name, r->lines.line_no);
        return mtp_parse_fail(err, r->name, r->lines.line_no, "expected BEGIN_CFG, found '%.40s'", s);
    }
    long begin_line = r->lines.line_no;
    for (;;) {
        st = next_line(&p, &any);
        if (st) goto fail;
        if (!any) {
            st = mtp_parse_fail(err, r->name, r->lines.line_no,
                                "unexpected end of file: configuration started at line %ld has no END_CFG",
                                begin_line);
            goto fail;
        }
        char *line = (char *)mtp_skip_ws(r->lines.line);
        char *kw_end = line;
        while (*kw_end && !isspace((unsigned char)*kw_end)) kw_end++;
        size_t kwlen = (size_t)(kw_end - line);
        char kw[32];
        if (kwlen >= sizeof kw) kwlen = sizeof kw - 1;
        memcpy(kw, line, kwlen);
        kw[kwlen] = '\0';
        char *rest = kw_end;
        if (strcmp(kw, "END_CFG") == 0) break;
        if (strcmp(kw, "Size") == 0) {
            double v;
            st = read_numbers(&p, rest, 1, &v, "Size");
            if (st) goto fail;
            if (v < 0 || v > MTP_MAX_ATOMS || v != floor(v)) {
                st = mtp_parse_fail(err, r->name, r->lines.line_no,
                                    "Size: expected a whole number of atoms between 0 and %d, found %g",
                                    MTP_MAX_ATOMS, v);
                goto fail;
            }
            if (p.declared_size >= 0 && p.declared_size != (long)v) {
                st = mtp_parse_fail(err, r->name, r->lines.line_no, "Size given twice with different values");
                goto fail;
            }
            p.declared_size = (long)v;
        } else if (strcmp(kw, "Supercell") == 0 || strcmp(kw, "SuperCell") == 0) {
            st = read_supercell(&p);
        } else if (strcmp(kw, "AtomData:") == 0 || strcmp(kw, "Atomic_data:") == 0) {
            st = read_atom_data(&p, rest);
        } else if (strcmp(kw, "Energy") == 0) {
            st = read_numbers(&p, rest, 1, &cfg->energy, "Energy");
            cfg->has_energy = 1;
        } else if (strcmp(kw, "PlusStress:") == 0) {
            st = read_stress(&p, rest, 1.0, 0);
        } else if (strcmp(kw, "Virial:") == 0) {
            st = read_stress(&p, rest, 1.0, 1);
        } else if (strcmp(kw, "Stress:") == 0) {
            st = read_stress(&p, rest, -1.0, 0);
        } else if (strcmp(kw, "Feature") == 0) {
            st = read_feature(&p, rest);
        } else if (strcmp(kw, "Features:") == 0) {
            st = read_features_legacy(&p, rest);
        } else {
            st = mtp_parse_fail(err, r->name, r->lines.line_no,
                                "unknown section '%s' (expected Size, Supercell, AtomData:, Energy, PlusStress:, Feature or END_CFG)",
                                kw);
        }
        if (st) goto fail;
    }
    if (p.declared_size < 0) {
        st = mtp_parse_fail(err, r->name, begin_line, "configuration has no Size");
        goto fail;
    }
    if (p.declared_size > 0 && !cfg->positions) {
        st = mtp_parse_fail(err, r->name, begin_line, "configuration has Size %ld but no AtomData:",
                            p.declared_size);
        goto fail;
    }
    if (p.declared_size == 0) {
        int *t = mtp_calloc(1, sizeof(int));
        double *x = mtp_calloc(3, sizeof(double));
        free(cfg->types);
        free(cfg->positions);
        cfg->types = t;
        cfg->positions = x;
        if (!t || !x) {
            st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    *got = 1;
    return MTP_OK;
fail:
    mtp_cfg_free(cfg);
    return st;
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */
static int cmp_feature(const void *a, const void *b)
{
    return strcmp(((const mtp_feature *)a)->key, ((const mtp_feature *)b)->key);
}

static void write_escaped_key(FILE *fp, const char *k)
{
    for (; *k; k++) {
        switch (*k) {
        case ' ': fputs("\\_", fp); break;
        case '\t': fputs("\\t", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\r': fputs("\\r", fp); break;
        case '\v': fputs("\\v", fp); break;
        case '\f': fputs("\\f", fp); break;
        case '\\': fputs("\\\\", fp); break;
        default: fputc(*k, fp);
        }
    }
}

static void header_field(FILE *fp, const char *name, int width) { fprintf(fp, "%*s", width, name); }

static mtp_status cfg_text_write(FILE *fp, const char *name, const mtp_cfg *cfg,
                                 const mtp_write_options *opt, mtp_error *err)
{
    int no_loss = opt && opt->no_loss;
    int keep_ghosts = opt && opt->keep_ghosts;
    /* features the format cannot hold are refused, not changed on the way:
     * a key names the Feature line; the reader drops a '\r' ending a line */
    for (int i = 0; i < cfg->n_features; i++) {
        const mtp_feature *f = &cfg->features[i];
        if (!f->key[0])
            return mtp_fail(err, MTP_ERR_UNSUPPORTED, "%s: a feature with an empty key cannot be written", name);
        for (const char *v = f->value; v && *v; v++)
            if (*v == '\r' && (v[1] == '\n' || v[1] == '\0'))
                return mtp_fail(err, MTP_ERR_UNSUPPORTED,
                                "%s: feature '%s': a value line ending in a carriage return cannot be written", name,
                                f->key);
    }
    int n_written = 0;
    for (int i = 0; i < cfg->n_atoms; i++)
        if (!cfg->ghost || !cfg->ghost[i] || keep_ghosts) n_written++;
    int ghost_col = cfg->ghost && keep_ghosts;

    fprintf(fp, "BEGIN_CFG\n Size\n    %d\n", n_written);
    int last_row = -1;
    for (int a = 0; a < 3; a++)
        if (cfg->lattice[a][0] != 0 || cfg->lattice[a][1] != 0 || cfg->lattice[a][2] != 0) last_row = a;
    if (last_row >= 0) {
        fputs(" Supercell\n", fp);
        for (int a = 0; a <= last_row; a++) {
            if (no_loss)
                fprintf(fp, "    %.16e %.16e %.16e\n", cfg->lattice[a][0], cfg->lattice[a][1], cfg->lattice[a][2]);
            else
                fprintf(fp, "    %13.6f %13.6f %13.6f\n", cfg->lattice[a][0], cfg->lattice[a][1], cfg->lattice[a][2]);
        }
    }
    fputs(" AtomData:  id", fp);
    header_field(fp, "type", 5);
    header_field(fp, "cartes_x", 15);
    header_field(fp, "cartes_y", 14);
    header_field(fp, "cartes_z", 14);
    if (cfg->site_energies) header_field(fp, "site_en", 19);
    if (cfg->forces) {
        header_field(fp, "fx", 13);
        header_field(fp, "fy", 12);
        header_field(fp, "fz", 12);
    }
    if (cfg->charges) header_field(fp, "charge", 12);
    if (cfg->magmom) {
        header_field(fp, "magmom_x", 14);
        header_field(fp, "magmom_y", 13);
        header_field(fp, "magmom_z", 13);
    }
    if (cfg->en_der_magmom) {
        header_field(fp, "en_der_mx", 15);
        header_field(fp, "en_der_my", 14);
        header_field(fp, "en_der_mz", 14);
    }
    if (ghost_col) header_field(fp, "ghost", 10);
    if (cfg->nbh_grades) header_field(fp, "nbh_grades", 17);
    if (cfg->force_weights) header_field(fp, "force_weight", 14);
    fputc('\n', fp);
    int id = 0;
    for (int i = 0; i < cfg->n_atoms; i++) {
        if (cfg->ghost && cfg->ghost[i] && !keep_ghosts) continue;
        const double *x = cfg->positions + 3 * i;
        id++;
        if (no_loss) {
            fprintf(fp, "    %d %d  %.16e %.16e %.16e", id, cfg->types[i], x[0], x[1], x[2]);
            if (cfg->site_energies) fprintf(fp, "  %.16e", cfg->site_energies[i]);
            if (cfg->forces) {
                const double *f = cfg->forces + 3 * i;
                fprintf(fp, "  %.16e %.16e %.16e", f[0], f[1], f[2]);
            }
            if (cfg->charges) fprintf(fp, "  %.16e", cfg->charges[i]);
            if (cfg->magmom) {
                const double *m = cfg->magmom + 3 * i;
                fprintf(fp, "  %.16e %.16e %.16e", m[0], m[1], m[2]);
            }
            if (cfg->en_der_magmom) {
                const double *m = cfg->en_der_magmom + 3 * i;
                fprintf(fp, "  %.16e %.16e %.16e", m[0], m[1], m[2]);
            }
            if (ghost_col) fprintf(fp, " %s", cfg->ghost[i] ? "true" : "false");
            if (cfg->nbh_grades) fprintf(fp, "  %.16e", cfg->nbh_grades[i]);
            if (cfg->force_weights) fprintf(fp, "  %.16e", cfg->force_weights[i]);
        } else {
            fprintf(fp, "    %10d %4d  %13.6f %13.6f %13.6f", id, cfg->types[i], x[0], x[1], x[2]);
            if (cfg->site_energies) fprintf(fp, "  %17.12f", cfg->site_energies[i]);
            if (cfg->forces) {
                const double *f = cfg->forces + 3 * i;
                fprintf(fp, "  %11.6f %11.6f %11.6f", f[0], f[1], f[2]);
            }
            if (cfg->charges) fprintf(fp, "    %8.4f", cfg->charges[i]);
            if (cfg->magmom) {
                const double *m = cfg->magmom + 3 * i;
                fprintf(fp, "  %12.6f %12.6f %12.6f", m[0], m[1], m[2]);
            }
            if (cfg->en_der_magmom) {
                const double *m = cfg->en_der_magmom + 3 * i;
                fprintf(fp, "  %13.5f %13.5f %13.5f", m[0], m[1], m[2]);
            }
            if (ghost_col) fputs(cfg->ghost[i] ? "     true " : "     false", fp); /* MLIP-3 pads "true" on the right */
            if (cfg->nbh_grades) fprintf(fp, "  %15.5f", cfg->nbh_grades[i]);
            if (cfg->force_weights) fprintf(fp, "  %12.6f", cfg->force_weights[i]);
        }
        fputc('\n', fp);
    }
    if (cfg->has_energy) {
        if (no_loss) fprintf(fp, " Energy\n    %.16e\n", cfg->energy);
        else fprintf(fp, " Energy\n    %20.12f\n", cfg->energy);
    }
    if (cfg->has_stress) {
        const double *s = cfg->stress;
        fputs(" PlusStress:  xx          yy          zz          yz          xz          xy\n", fp);
        if (no_loss)
            fprintf(fp, "     %.16e %.16e %.16e %.16e %.16e %.16e\n", s[0], s[1], s[2], s[3], s[4], s[5]);
        else
            fprintf(fp, "     %11.5f %11.5f %11.5f %11.5f %11.5f %11.5f\n", s[0], s[1], s[2], s[3], s[4], s[5]);
    }
    if (cfg->n_features > 0) {
        mtp_feature *sorted = mtp_calloc((size_t)cfg->n_features, sizeof *sorted);
        if (!sorted) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        memcpy(sorted, cfg->features, (size_t)cfg->n_features * sizeof *sorted);
        qsort(sorted, (size_t)cfg->n_features, sizeof *sorted, cmp_feature);
        for (int i = 0; i < cfg->n_features; i++) {
            const char *v = sorted[i].value;
            for (;;) { /* one Feature line per line of a multi-line value */
                const char *nl = strchr(v, '\n');
                size_t len = nl ? (size_t)(nl - v) : strlen(v);
                fputs(" Feature   ", fp);
                write_escaped_key(fp, sorted[i].key);
                fprintf(fp, "\t%.*s\n", (int)len, v);
                if (!nl) break;
                v = nl + 1;
            }
        }
        free(sorted);
    }
    fputs("END_CFG\n\n", fp);
    if (ferror(fp)) return mtp_fail(err, MTP_ERR_IO, "%s: write error", name);
    return MTP_OK;
}

static int cfg_text_sniff(const char *head, size_t n)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)head[i])) i++;
    return n - i >= 5 && strncmp(head + i, "BEGIN", 5) == 0;
}

const mtp_format_ops mtp_format_cfg_ops = {MTP_FORMAT_CFG, NULL, cfg_text_next, NULL, cfg_text_write,
                                           cfg_text_sniff};
