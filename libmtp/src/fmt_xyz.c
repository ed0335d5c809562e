/* SPDX-License-Identifier: BSD-3-Clause */
/* Extended XYZ as ASE writes it: reader and writer.
 *
 * Frame:   N
 *          key=value ... (Lattice="ax ay az bx by bz cx cy cz",
 *                         Properties=species:S:1:pos:R:3:forces:R:3, ...)
 *          N rows, columns as declared by Properties.
 *
 * Units: Å, eV, eV/Å (ASE's units).  Stress sign: ASE's `stress` is the
 * Cauchy stress in eV/Å^3 with the tensile-positive sign (ASE: stress =
 * (1/V) dE/deps), so W = -stress * V (eV).  A `virial` key (3x3, eV) is
 * ASE's virial = W and is taken as is.  `stress` may be 9 numbers
 * (row-major 3x3, as ASE writes it) or 6 in Voigt order xx yy zz yz xz xy.
 * Energy: `energy`, else `free_energy`.
 * pbc="T T F": the lattice rows of non-periodic directions are zeroed
 * (OpenMTP's convention for non-periodic directions).
 *
 * Per-atom properties: species (symbol; an integer is taken as the type
 * number itself), pos, forces/force -> forces, energies -> site energies,
 * charges/charge -> charges; other properties are skipped by their
 * declared width.  Other info keys become features (value without its
 * quotes).
 *
 * Writer: Lattice (if any row is non-zero), Properties=species:S:1:pos:R:3
 * [:forces:R:3][:energies:R:1][:charges:R:1][:force_weight:R:1], energy, stress (ASE sign,
 * 3x3, only when the volume is > 0; otherwise virial="..." in eV), pbc,
 * features as key="value".  Species names come from the type map or the
 * atomic number; types without a name are written as integers (readable
 * by OpenMTP, not by ASE). */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROPS 64

enum prop_kind { P_SKIP, P_SPECIES, P_POS, P_FORCES, P_ENERGIES, P_CHARGES, P_FORCE_WEIGHT };

typedef struct prop {
    int kind;
    int width;
} prop;

/* One key=value pair of the comment line; strings point into a buffer. */
typedef struct kv {
    char *key;
    char *value;   /* NULL for a bare key */
} kv;

/* Tokenise the comment line in place.  Returns the number of pairs or
 * -1 on an unterminated quote. */
static int split_kv(char *s, kv *out, int max)
{
    int n = 0;
    for (;;) {
        while (*s && isspace((unsigned char)*s)) s++;
        if (!*s) break;
        char *key = s;
        while (*s && !isspace((unsigned char)*s) && *s != '=') s++;
        char *key_end = s;
        char *t = s;
        while (*t && isspace((unsigned char)*t)) t++;
        char *value = NULL;
        if (*t == '=') {
            t++;
            while (*t && isspace((unsigned char)*t)) t++;
            if (*t == '"') {
                /* quoted, with \" and \\ escapes */
                char *w = ++t;
                value = w;
                for (;;) {
                    if (!*t) return -1;
                    if (*t == '\\' && (t[1] == '"' || t[1] == '\\')) {
                        *w++ = t[1];
                        t += 2;
                        continue;
                    }
                    if (*t == '\\' && t[1] == 'n') {
                        *w++ = '\n';
                        t += 2;
                        continue;
                    }
                    if (*t == '"') break;
                    *w++ = *t++;
                }
                t++;
                *w = '\0';
                s = t;
            } else if (*t == '{' || *t == '[') {
                char close = *t == '{' ? '}' : ']';
                value = ++t;
                while (*t && *t != close) t++;
                if (!*t) return -1;
                *t++ = '\0';
                s = t;
                /* commas as separators: "[1, 2, 3]" */
                for (char *c = value; *c; c++)
                    if (*c == ',') *c = ' ';
            } else {
                value = t;
                while (*t && !isspace((unsigned char)*t)) t++;
                if (*t) *t++ = '\0';
                s = t;
            }
        } else {
            s = key_end;
        }
        char saved = *key_end;
        *key_end = '\0';
        if (saved && key_end == s) s++; /* the bare key consumed its separator */
        if (n < max) {
            out[n].key = key;
            out[n].value = value;
        }
        n++;
    }
    return n;
}

static int parse_numbers(char *s, double *out, int max)
{
    char *tok[16];
    int nt = mtp_split_ws(s, tok, 16);
    if (nt > max) return -1;
    for (int i = 0; i < nt; i++)
        if (!mtp_parse_double(tok[i], &out[i])) return -1;
    return nt;
}

static int is_true(const char *s)
{
    return mtp_str_ieq(s, "T") || mtp_str_ieq(s, "True") || strcmp(s, "1") == 0;
}

static mtp_status xyz_next(mtp_reader *r, mtp_cfg *cfg, int *got, mtp_error *err)
{
    mtp_lines *ln = &r->lines;
    mtp_cfg_free(cfg);
    *got = 0;
    int any;
    mtp_status st;
    /* Atom count (blank lines between frames are tolerated). */
    st = mtp_lines_next_nonblank(ln, &any, err);
    if (st || !any) return st;
    long n;
    {
        char *tok[2];
        int nt = mtp_split_ws(ln->line, tok, 1);
        if (nt != 1 || !mtp_parse_int(tok[0], 0, MTP_MAX_ATOMS, &n))
            return mtp_parse_fail(err, r->name, ln->line_no,
                                  "expected the number of atoms of an XYZ frame (0..%d)", MTP_MAX_ATOMS);
    }
    long count_line = ln->line_no;
    st = mtp_lines_next(ln, &any, err);
    if (st) return st;
    if (!any)
        return mtp_parse_fail(err, r->name, ln->line_no + 1,
                              "unexpected end of file: expected the comment line of the frame begun at line %ld",
                              count_line);
    long comment_line = ln->line_no;
    char *comment = mtp_strdup(ln->line);
    if (!comment) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");

    prop props[MAX_PROPS];
    int n_props = 0, row_width = 0;
    int have_energy = 0, have_free_energy = 0, have_stress = 0, have_virial = 0;
    double free_energy = 0, stress[9] = {0}, virial[9] = {0};
    int n_stress = 0;
    int pbc[3] = {1, 1, 1}, have_lattice = 0;
    int n_kv;
    kv *pairs = NULL;
    double *pos = NULL, *frc = NULL, *sen = NULL, *chg = NULL, *fwt = NULL;
    int *types = NULL;
    char **tok = NULL;

#define FAIL_AT(line, ...)                                                  \
    do {                                                                    \
        st = mtp_parse_fail(err, r->name, (line), __VA_ARGS__);             \
        goto done;                                                          \
    } while (0)

    n_kv = split_kv(comment, NULL, 0);
    if (n_kv < 0) FAIL_AT(comment_line, "unterminated quoted value in the comment line");
    /* split_kv modified the buffer; redo on a fresh copy with storage */
    free(comment);
    comment = mtp_strdup(ln->line);
    pairs = mtp_calloc((size_t)(n_kv ? n_kv : 1), sizeof *pairs);
    if (!comment || !pairs) {
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        goto done;
    }
    split_kv(comment, pairs, n_kv);

    const char *properties = "species:S:1:pos:R:3";
    for (int i = 0; i < n_kv; i++) {
        const char *k = pairs[i].key;
        char *v = pairs[i].value;
        /* "= value" with nothing before: no feature can be named by it */
        if (!*k) FAIL_AT(comment_line, "'=' without a key in the comment line");
        if (mtp_str_ieq(k, "Lattice")) {
            double L[9];
            if (!v || parse_numbers(v, L, 9) != 9)
                FAIL_AT(comment_line, "Lattice: expected 9 finite numbers in quotes");
            for (int a = 0; a < 9; a++) cfg->lattice[a / 3][a % 3] = L[a];
            have_lattice = 1;
        } else if (mtp_str_ieq(k, "Properties")) {
            if (!v) FAIL_AT(comment_line, "Properties: expected name:type:width triples");
            properties = v;
        } else if (strcmp(k, "energy") == 0) {
            if (!v || !mtp_parse_double(v, &cfg->energy))
                FAIL_AT(comment_line, "energy: expected a finite number");
            have_energy = 1;
        } else if (strcmp(k, "free_energy") == 0) {
            if (!v || !mtp_parse_double(v, &free_energy))
                FAIL_AT(comment_line, "free_energy: expected a finite number");
            have_free_energy = 1;
        } else if (strcmp(k, "stress") == 0) {
            n_stress = v ? parse_numbers(v, stress, 9) : -1;
            if (n_stress != 9 && n_stress != 6)
                FAIL_AT(comment_line, "stress: expected 9 (3x3) or 6 (Voigt) finite numbers");
            have_stress = 1;
        } else if (strcmp(k, "virial") == 0) {
            if (!v || parse_numbers(v, virial, 9) != 9)
                FAIL_AT(comment_line, "virial: expected 9 finite numbers (3x3, eV)");
            have_virial = 1;
        } else if (strcmp(k, "pbc") == 0) {
            char *pt[4];
            if (!v) FAIL_AT(comment_line, "pbc: expected three of T/F");
            int np = mtp_split_ws(v, pt, 3);
            if (np != 3) FAIL_AT(comment_line, "pbc: expected three of T/F");
            for (int a = 0; a < 3; a++) pbc[a] = is_true(pt[a]);
        } else {
            st = mtp_cfg_set_feature(cfg, k, v ? v : "T", err);
            if (st) goto done;
        }
    }

    /* Properties=name:type:width:... */
    {
        char *pc = mtp_strdup(properties);
        if (!pc) {
            st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
            goto done;
        }
        char *fields[3 * MAX_PROPS + 1];
        int nf = 0;
        for (char *p = pc, *q; nf <= 3 * MAX_PROPS; p = q + 1) {
            q = strchr(p, ':');
            fields[nf++] = p;
            if (!q) break;
            *q = '\0';
        }
        int ok = nf % 3 == 0 && nf <= 3 * MAX_PROPS;
        int seen_species = 0, seen_pos = 0;
        for (int i = 0; ok && i < nf; i += 3) {
            long w;
            const char *name = fields[i], *type = fields[i + 1];
            if (!mtp_parse_int(fields[i + 2], 1, 1000, &w) || strlen(type) != 1 ||
                !strchr("SRILsril", type[0])) {
                ok = 0;
                break;
            }
            prop pr = {P_SKIP, (int)w};
            if (strcmp(name, "species") == 0 && w == 1) pr.kind = P_SPECIES, seen_species = 1;
            else if (strcmp(name, "pos") == 0 && w == 3) pr.kind = P_POS, seen_pos = 1;
            else if ((strcmp(name, "forces") == 0 || strcmp(name, "force") == 0) && w == 3) pr.kind = P_FORCES;
            else if (strcmp(name, "energies") == 0 && w == 1) pr.kind = P_ENERGIES;
            else if ((strcmp(name, "charges") == 0 || strcmp(name, "charge") == 0) && w == 1) pr.kind = P_CHARGES;
            else if (strcmp(name, "force_weight") == 0 && w == 1) pr.kind = P_FORCE_WEIGHT;
            props[n_props++] = pr;
            row_width += (int)w;
        }
        free(pc);
        if (!ok)
            FAIL_AT(comment_line, "Properties: expected name:type:width triples (type S, R, I or L)");
        if (!seen_species || !seen_pos)
            FAIL_AT(comment_line, "Properties: species:S:1 and pos:R:3 are required");
    }

    tok = mtp_calloc((size_t)row_width + 1, sizeof *tok);
    if (!tok) {
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        goto done;
    }
    int has_f = 0, has_e = 0, has_c = 0, has_w = 0;
    for (int p = 0; p < n_props; p++) {
        has_f |= props[p].kind == P_FORCES;
        has_e |= props[p].kind == P_ENERGIES;
        has_c |= props[p].kind == P_CHARGES;
        has_w |= props[p].kind == P_FORCE_WEIGHT;
    }
    long cap = 0;
    for (long i = 0; i < n; i++) {
        st = mtp_lines_next(ln, &any, err);
        if (st) goto done;
        if (!any)
            FAIL_AT(ln->line_no + 1, "unexpected end of file: expected %ld atom rows, found %ld", n, i);
        int nt = mtp_split_ws(ln->line, tok, row_width);
        if (nt != row_width)
            FAIL_AT(ln->line_no, "expected %d columns per atom row (Properties), found %d", row_width, nt);
        if (i == cap) {
            long ncap = cap ? 2 * cap : 64;
            if (ncap > n) ncap = n;
#define GROWA(ptr, w, on)                                                         \
    if (on) {                                                                     \
        void *q_ = mtp_realloc(ptr, (size_t)ncap * (w), sizeof *ptr);            \
        if (!q_) {                                                                \
            st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %ld atoms", ncap); \
            goto done;                                                            \
        }                                                                         \
        ptr = q_;                                                                 \
    }
            GROWA(types, 1, 1)
            GROWA(pos, 3, 1)
            GROWA(frc, 3, has_f)
            GROWA(sen, 1, has_e)
            GROWA(chg, 1, has_c)
            GROWA(fwt, 1, has_w)
#undef GROWA
            cap = ncap;
        }
        int c = 0;
        for (int p = 0; p < n_props; c += props[p].width, p++) {
            double v[3];
            if (props[p].kind == P_SKIP) continue;
            if (props[p].kind == P_SPECIES) {
                long t;
                int ty;
                if (mtp_parse_int(tok[c], 0, 1000000000L, &t)) ty = (int)t;
                else ty = mtp_reader_type_of_symbol(&r->opt, tok[c]);
                if (ty < 0) {
                    st = mtp_fail(err, MTP_ERR_SPECIES, "%s:%ld: unknown element '%s'%s", r->name,
                                  ln->line_no, tok[c], r->opt.type_map ? " (not in the type map)" : "");
                    goto done;
                }
                types[i] = ty;
                continue;
            }
            for (int a = 0; a < props[p].width; a++)
                if (!mtp_parse_double(tok[c + a], &v[a]))
                    FAIL_AT(ln->line_no, "column %d: expected a finite number, found '%.40s'", c + a + 1, tok[c + a]);
            switch (props[p].kind) {
            case P_POS: memcpy(pos + 3 * i, v, sizeof(double) * 3); break;
            case P_FORCES: memcpy(frc + 3 * i, v, sizeof(double) * 3); break;
            case P_ENERGIES: sen[i] = v[0]; break;
            case P_CHARGES: chg[i] = v[0]; break;
            case P_FORCE_WEIGHT:
                if (!(v[0] >= 0)) FAIL_AT(ln->line_no, "force_weight must be >= 0, found '%.40s'", tok[c]);
                fwt[i] = v[0];
                break;
            }
        }
    }
    {
        unsigned flags = (has_f ? MTP_CFG_FORCES : 0) | (has_e ? MTP_CFG_SITE_ENERGIES : 0) |
                         (has_c ? MTP_CFG_CHARGES : 0) | (has_w ? MTP_CFG_FORCE_WEIGHTS : 0);
        st = mtp_cfg_alloc(cfg, (int)n, flags, err);
        if (st) goto done;
        if (n > 0) {
            memcpy(cfg->types, types, (size_t)n * sizeof *types);
            memcpy(cfg->positions, pos, (size_t)n * 3 * sizeof *pos);
            if (has_f) memcpy(cfg->forces, frc, (size_t)n * 3 * sizeof *frc);
            if (has_e) memcpy(cfg->site_energies, sen, (size_t)n * sizeof *sen);
            if (has_c) memcpy(cfg->charges, chg, (size_t)n * sizeof *chg);
            if (has_w) memcpy(cfg->force_weights, fwt, (size_t)n * sizeof *fwt);
        }
    }
    if (!have_lattice) memset(cfg->lattice, 0, sizeof cfg->lattice);
    for (int a = 0; a < 3; a++)
        if (!pbc[a]) cfg->lattice[a][0] = cfg->lattice[a][1] = cfg->lattice[a][2] = 0;
    if (!have_energy && have_free_energy) {
        cfg->energy = free_energy;
        have_energy = 1;
    }
    cfg->has_energy = have_energy;
    if (have_virial) {
        const double *m = virial;
        double w[6] = {m[0], m[4], m[8], 0.5 * (m[5] + m[7]), 0.5 * (m[2] + m[6]), 0.5 * (m[1] + m[3])};
        memcpy(cfg->stress, w, sizeof w);
        cfg->has_stress = 1;
    } else if (have_stress) {
        double vol = mtp_cfg_volume(cfg);
        if (!(vol > 0))
            FAIL_AT(comment_line, "stress needs a periodic 3D Lattice to convert it to a virial (use virial= instead)");
        double s6[6];
        if (n_stress == 9) {
            const double *m = stress;
            double t[6] = {m[0], m[4], m[8], 0.5 * (m[5] + m[7]), 0.5 * (m[2] + m[6]), 0.5 * (m[1] + m[3])};
            memcpy(s6, t, sizeof t);
        } else {
            memcpy(s6, stress, sizeof s6);
        }
        for (int k = 0; k < 6; k++) cfg->stress[k] = -s6[k] * vol;
        cfg->has_stress = 1;
    }
    *got = 1;
    st = MTP_OK;
done:
#undef FAIL_AT
    free(comment);
    free(pairs);
    free(tok);
    free(types);
    free(pos);
    free(frc);
    free(sen);
    free(chg);
    free(fwt);
    if (st) mtp_cfg_free(cfg);
    return st;
}

/* A value written in double quotes with " \ and newlines escaped. */
static void write_quoted(FILE *fp, const char *v)
{
    fputc('"', fp);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\') fputc('\\', fp), fputc(*v, fp);
        else if (*v == '\n') fputs("\\n", fp);
        else fputc(*v, fp);
    }
    fputc('"', fp);
}

static int is_reserved_key(const char *k)
{
    static const char *const R[] = {"Lattice", "Properties", "energy", "free_energy",
                                    "stress", "virial", "pbc", NULL};
    for (int i = 0; R[i]; i++)
        if (mtp_str_ieq(k, R[i])) return 1;
    return 0;
}

static mtp_status xyz_write(FILE *fp, const char *name, const mtp_cfg *cfg,
                            const mtp_write_options *opt, mtp_error *err)
{
    int pbc[3], any_pbc = 0;
    for (int a = 0; a < 3; a++) {
        pbc[a] = cfg->lattice[a][0] != 0 || cfg->lattice[a][1] != 0 || cfg->lattice[a][2] != 0;
        any_pbc |= pbc[a];
    }
    fprintf(fp, "%d\n", cfg->n_atoms);
    if (any_pbc) {
        fputs("Lattice=\"", fp);
        for (int a = 0; a < 9; a++) fprintf(fp, a ? " %.16g" : "%.16g", cfg->lattice[a / 3][a % 3]);
        fputs("\" ", fp);
    }
    fputs("Properties=species:S:1:pos:R:3", fp);
    if (cfg->forces) fputs(":forces:R:3", fp);
    if (cfg->site_energies) fputs(":energies:R:1", fp);
    if (cfg->charges) fputs(":charges:R:1", fp);
    if (cfg->force_weights) fputs(":force_weight:R:1", fp);
    if (cfg->has_energy) fprintf(fp, " energy=%.16g", cfg->energy);
    if (cfg->has_stress) {
        const double *w = cfg->stress;
        double vol = mtp_cfg_volume(cfg);
        /* 3x3 from Voigt xx yy zz yz xz xy */
        double m[9] = {w[0], w[5], w[4], w[5], w[1], w[3], w[4], w[3], w[2]};
        double scale = 1.0;
        if (vol > 0) {
            fputs(" stress=\"", fp);
            scale = -1.0 / vol; /* ASE stress = -W/V, eV/Å^3 */
        } else {
            fputs(" virial=\"", fp);
        }
        for (int k = 0; k < 9; k++) fprintf(fp, k ? " %.16g" : "%.16g", scale * m[k] + 0.0);
        fputc('"', fp);
    }
    fprintf(fp, " pbc=\"%c %c %c\"", pbc[0] ? 'T' : 'F', pbc[1] ? 'T' : 'F', pbc[2] ? 'T' : 'F');
    for (int i = 0; i < cfg->n_features; i++) {
        const char *k = cfg->features[i].key;
        int bad = !*k || is_reserved_key(k);
        for (const char *c = k; *c; c++)
            if (isspace((unsigned char)*c) || *c == '=' || *c == '"') bad = 1;
        if (bad)
            return mtp_fail(err, MTP_ERR_UNSUPPORTED,
                            "%s: feature key '%s' cannot be written as an extended XYZ info key", name, k);
        fprintf(fp, " %s=", k);
        write_quoted(fp, cfg->features[i].value ? cfg->features[i].value : "");
    }
    fputc('\n', fp);
    for (int i = 0; i < cfg->n_atoms; i++) {
        const char *sym = mtp_writer_symbol_of_type(opt, cfg->types[i]);
        if (sym) fprintf(fp, "%-3s", sym);
        else fprintf(fp, "%-3d", cfg->types[i]);
        const double *x = cfg->positions + 3 * i;
        fprintf(fp, " %22.15e %22.15e %22.15e", x[0], x[1], x[2]);
        if (cfg->forces) {
            const double *f = cfg->forces + 3 * i;
            fprintf(fp, " %22.15e %22.15e %22.15e", f[0], f[1], f[2]);
        }
        if (cfg->site_energies) fprintf(fp, " %22.15e", cfg->site_energies[i]);
        if (cfg->charges) fprintf(fp, " %22.15e", cfg->charges[i]);
        if (cfg->force_weights) fprintf(fp, " %22.15e", cfg->force_weights[i]);
        fputc('\n', fp);
    }
    if (ferror(fp)) return mtp_fail(err, MTP_ERR_IO, "%s: write error", name);
    return MTP_OK;
}

static int xyz_sniff(const char *head, size_t n)
{
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\t')) i++;
    size_t d = i;
    while (i < n && isdigit((unsigned char)head[i])) i++;
    if (i == d) return 0;
    while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r')) i++;
    if (i >= n || head[i] != '\n') return 0;
    size_t s = ++i;
    while (i < n && head[i] != '\n') i++;
    size_t len = i - s;
    for (size_t k = 0; k + 8 <= len; k++)
        if (strncmp(head + s + k, "Lattice=", 8) == 0 ||
            (k + 11 <= len && strncmp(head + s + k, "Properties=", 11) == 0))
            return 1;
    return 0;
}

const mtp_format_ops mtp_format_xyz_ops = {MTP_FORMAT_XYZ, NULL, xyz_next, NULL, xyz_write, xyz_sniff};
