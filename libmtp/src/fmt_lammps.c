/* SPDX-License-Identifier: BSD-3-Clause */
/* LAMMPS text dump (read, write) and data file, atomic style (read, write).
 *
 * Units: LAMMPS `units metal` (Å, eV/Å); no conversion.  Neither format
 * carries an energy or a virial here.
 *
 * Cell: LAMMPS' restricted triclinic box a = (xhi-xlo, 0, 0),
 * b = (xy, yhi-ylo, 0), c = (xz, yz, zhi-zlo).  Dump files give the
 * bounding box: xlo = xlo_bound - min(0, xy, xz, xy+xz),
 * xhi = xhi_bound - max(0, xy, xz, xy+xz), ylo = ylo_bound - min(0, yz),
 * yhi = yhi_bound - max(0, yz).  A direction whose boundary is not "pp"
 * is not periodic: its lattice row is zeroed after scaled coordinates
 * have been converted.  Writers rotate a general cell (and positions and
 * forces) into LAMMPS' frame; a non-periodic configuration gets an
 * orthogonal box enclosing the atoms with "ff" boundaries.
 *
 * Types: LAMMPS type t -> cfg type t-1.  With a type map and
 * absolute_types, t -> atomic number of type_map[t-1].  A dump with an
 * `element` column uses the element instead when a type map or
 * absolute_types is given.  Writers: cfg type t -> LAMMPS type t+1 (the
 * dump gets an `element` column when a type map is given).
 *
 * Dump columns understood: id type element x y z | xs ys zs | xu yu zu |
 * xsu ysu zsu, fx fy fz, q; others are skipped.  Atoms are sorted by id.
 * Data files: header counts, "xlo xhi" etc., "xy xz yz", Masses, and
 * "Atoms" in atomic (id type x y z), charge (id type q x y z) or full
 * (id mol type q x y z) style, each optionally followed by image flags
 * (which unwrap the positions). */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 128

static int starts_with(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* ------------------------------------------------------------------ */
/* Shared helpers                                                      */
/* ------------------------------------------------------------------ */
static int lammps_type_to_cfg(const mtp_read_options *opt, long t, const char *element)
{
    if (element && (opt->absolute_types || opt->type_map)) return mtp_reader_type_of_symbol(opt, element);
    if (opt->type_map && opt->absolute_types) {
        if (t < 1 || t > opt->type_map_count) return -1;
        int z = mtp_element_number(opt->type_map[t - 1]);
        return z > 0 ? z : -1;
    }
    return (int)(t - 1);
}

static void lattice_from_bounds(double L[3][3], const double lo[3], const double hi[3], double xy,
                                double xz, double yz)
{
    memset(L, 0, 9 * sizeof(double));
    L[0][0] = hi[0] - lo[0];
    L[1][0] = xy;
    L[1][1] = hi[1] - lo[1];
    L[2][0] = xz;
    L[2][1] = yz;
    L[2][2] = hi[2] - lo[2];
}

static double dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

/* Box of a configuration in LAMMPS' frame.  R (rows = new axes) maps old
 * Cartesian vectors to the frame: v' = R v.  origin: box lower corner. */
typedef struct lbox {
    double lo[3], hi[3], xy, xz, yz;
    double R[3][3];
    int periodic;
} lbox;

static mtp_status make_box(const mtp_cfg *cfg, lbox *b, const char *name, mtp_error *err)
{
    memset(b, 0, sizeof *b);
    int dims = mtp_cfg_periodic_dims(cfg);
    for (int a = 0; a < 3; a++) b->R[a][a] = 1;
    if (dims == 3) {
        const double *A = cfg->lattice[0], *B = cfg->lattice[1], *C = cfg->lattice[2];
        double na = sqrt(dot3(A, A));
        double ex[3] = {A[0] / na, A[1] / na, A[2] / na};
        double bx = dot3(B, ex);
        double by_v[3] = {B[0] - bx * ex[0], B[1] - bx * ex[1], B[2] - bx * ex[2]};
        double nb = sqrt(dot3(by_v, by_v));
        if (!(nb > 0)) return mtp_fail(err, MTP_ERR_GEOMETRY, "%s: lattice vectors a and b are parallel", name);
        double ey[3] = {by_v[0] / nb, by_v[1] / nb, by_v[2] / nb};
        double ez[3] = {ex[1] * ey[2] - ex[2] * ey[1], ex[2] * ey[0] - ex[0] * ey[2], ex[0] * ey[1] - ex[1] * ey[0]};
        double cz = dot3(C, ez);
        if (!(cz > 0))
            return mtp_fail(err, MTP_ERR_GEOMETRY,
                            "%s: left-handed or flat cell cannot be written as a LAMMPS box (swap two lattice vectors)",
                            name);
        memcpy(b->R[0], ex, sizeof ex);
        memcpy(b->R[1], ey, sizeof ey);
        memcpy(b->R[2], ez, sizeof ez);
        b->hi[0] = na;
        b->hi[1] = nb;
        b->hi[2] = cz;
        b->xy = bx;
        b->xz = dot3(C, ex);
        b->yz = dot3(C, ey);
        b->periodic = 1;
        return MTP_OK;
    }
    if (dims != 0)
        return mtp_fail(err, MTP_ERR_UNSUPPORTED,
                        "%s: partially periodic configurations cannot be written to LAMMPS files", name);
    for (int a = 0; a < 3; a++) {
        b->lo[a] = cfg->n_atoms ? INFINITY : 0;
        b->hi[a] = cfg->n_atoms ? -INFINITY : 1;
    }
    for (int i = 0; i < cfg->n_atoms; i++)
        for (int a = 0; a < 3; a++) {
            double x = cfg->positions[3 * i + a];
            if (x < b->lo[a]) b->lo[a] = x;
            if (x > b->hi[a]) b->hi[a] = x;
        }
    for (int a = 0; a < 3; a++)
        if (b->hi[a] - b->lo[a] < 1) b->hi[a] = b->lo[a] + 1; /* LAMMPS needs a non-empty box */
    return MTP_OK;
}

static void rotate(const lbox *b, const double *v, double *out)
{
    for (int a = 0; a < 3; a++) out[a] = dot3(b->R[a], v);
}

/* ------------------------------------------------------------------ */
/* Dump reader                                                         */
/* ------------------------------------------------------------------ */
enum dcol { D_SKIP, D_ID, D_TYPE, D_ELEMENT, D_X, D_Y, D_Z, D_FX, D_FY, D_FZ, D_Q };

typedef struct atom_row {
    long id;
    int type;
    double x[3], f[3], q;
} atom_row;

static int cmp_row(const void *a, const void *b)
{
    long x = ((const atom_row *)a)->id, y = ((const atom_row *)b)->id;
    return x < y ? -1 : x > y;
}

static mtp_status dump_expect(mtp_reader *r, const char *item, mtp_error *err)
{
    int got;
    mtp_status st = mtp_lines_next(&r->lines, &got, err);
    if (st) return st;
    if (!got)
        return mtp_parse_fail(err, r->name, r->lines.line_no + 1, "unexpected end of file: expected '%s'", item);
    if (!starts_with(mtp_skip_ws(r->lines.line), item))
        return mtp_parse_fail(err, r->name, r->lines.line_no, "expected '%s'", item);
    return MTP_OK;
}

static mtp_status dump_value_line(mtp_reader *r, const char *what, mtp_error *err)
{
    int got;
    mtp_status st = mtp_lines_next(&r->lines, &got, err);
    if (st) return st;
    if (!got)
        return mtp_parse_fail(err, r->name, r->lines.line_no + 1, "unexpected end of file: expected %s", what);
    return MTP_OK;
}

static mtp_status dump_next(mtp_reader *r, mtp_cfg *cfg, int *got, mtp_error *err)
{
    mtp_lines *ln = &r->lines;
    mtp_cfg_free(cfg);
    *got = 0;
    int any;
    mtp_status st;
    st = mtp_lines_next_nonblank(ln, &any, err);
    if (st || !any) return st;
    if (!starts_with(mtp_skip_ws(ln->line), "ITEM: TIMESTEP"))
        return mtp_parse_fail(err, r->name, ln->line_no, "expected 'ITEM: TIMESTEP'");
    char *tok[MAX_COLS + 1];
    long timestep;
    st = dump_value_line(r, "the timestep", err);
    if (st) return st;
    if (mtp_split_ws(ln->line, tok, 1) != 1 || !mtp_parse_int(tok[0], -9223372036854775807L, 9223372036854775807L, &timestep))
        return mtp_parse_fail(err, r->name, ln->line_no, "expected an integer timestep");
    if ((st = dump_expect(r, "ITEM: NUMBER OF ATOMS", err))) return st;
    long n;
    if ((st = dump_value_line(r, "the number of atoms", err))) return st;
    if (mtp_split_ws(ln->line, tok, 1) != 1 || !mtp_parse_int(tok[0], 0, MTP_MAX_ATOMS, &n))
        return mtp_parse_fail(err, r->name, ln->line_no, "expected the number of atoms (0..%d)", MTP_MAX_ATOMS);
    if ((st = dump_expect(r, "ITEM: BOX BOUNDS", err))) return st;
    int triclinic = strstr(ln->line, "xy xz yz") != NULL;
    int periodic[3] = {1, 1, 1};
    {
        char *copy = mtp_strdup(ln->line);
        if (!copy) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        int nt = mtp_split_ws(copy, tok, 16);
        /* the last three words are the boundary flags */
        if (nt >= 6 && nt <= 16)
            for (int a = 0; a < 3; a++) periodic[a] = strcmp(tok[nt - 3 + a], "pp") == 0;
        free(copy);
    }
    double lo[3], hi[3], tilt[3] = {0, 0, 0};
    for (int a = 0; a < 3; a++) {
        if ((st = dump_value_line(r, "a box bounds row", err))) return st;
        int nt = mtp_split_ws(ln->line, tok, 3);
        double v[3];
        if (nt != (triclinic ? 3 : 2))
            return mtp_parse_fail(err, r->name, ln->line_no, "BOX BOUNDS: expected %d numbers per row",
                                  triclinic ? 3 : 2);
        for (int k = 0; k < nt; k++)
            if (!mtp_parse_double(tok[k], &v[k]))
                return mtp_parse_fail(err, r->name, ln->line_no, "BOX BOUNDS: expected finite numbers");
        lo[a] = v[0];
        hi[a] = v[1];
        if (triclinic) tilt[a] = v[2];
    }
    double xy = tilt[0], xz = tilt[1], yz = tilt[2];
    lo[0] -= fmin(fmin(0.0, xy), fmin(xz, xy + xz));
    hi[0] -= fmax(fmax(0.0, xy), fmax(xz, xy + xz));
    lo[1] -= fmin(0.0, yz);
    hi[1] -= fmax(0.0, yz);
    double L[3][3];
    lattice_from_bounds(L, lo, hi, xy, xz, yz);

    if ((st = dump_expect(r, "ITEM: ATOMS", err))) return st;
    long atoms_line = ln->line_no;
    char *header = mtp_strdup(mtp_skip_ws(ln->line) + 11);
    if (!header) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    int ncol = mtp_split_ws(header, tok, MAX_COLS);
    int kind[MAX_COLS];
    int pos_mode = -1; /* 0 x, 1 xs, 2 xu, 3 xsu */
    int have[D_Q + 1] = {0};
    if (ncol > MAX_COLS) {
        free(header);
        return mtp_parse_fail(err, r->name, atoms_line, "ITEM: ATOMS: more than %d columns", MAX_COLS);
    }
    static const char *const PN[4][3] = {{"x", "y", "z"}, {"xs", "ys", "zs"}, {"xu", "yu", "zu"}, {"xsu", "ysu", "zsu"}};
    for (int c = 0; c < ncol; c++) {
        const char *h = tok[c];
        kind[c] = D_SKIP;
        if (strcmp(h, "id") == 0) kind[c] = D_ID;
        else if (strcmp(h, "type") == 0) kind[c] = D_TYPE;
        else if (strcmp(h, "element") == 0) kind[c] = D_ELEMENT;
        else if (strcmp(h, "fx") == 0) kind[c] = D_FX;
        else if (strcmp(h, "fy") == 0) kind[c] = D_FY;
        else if (strcmp(h, "fz") == 0) kind[c] = D_FZ;
        else if (strcmp(h, "q") == 0) kind[c] = D_Q;
        else
            for (int m = 0; m < 4; m++)
                for (int a = 0; a < 3; a++)
                    if (strcmp(h, PN[m][a]) == 0 && (pos_mode < 0 || pos_mode == m)) {
                        pos_mode = m;
                        kind[c] = D_X + a;
                    }
        if (kind[c] != D_SKIP) have[kind[c]]++;
    }
    free(header);
    if (!(have[D_X] == 1 && have[D_Y] == 1 && have[D_Z] == 1))
        return mtp_parse_fail(err, r->name, atoms_line,
                              "ITEM: ATOMS: expected position columns x y z, xs ys zs, xu yu zu or xsu ysu zsu");
    if (!have[D_TYPE] && !have[D_ELEMENT])
        return mtp_parse_fail(err, r->name, atoms_line, "ITEM: ATOMS: expected a 'type' or 'element' column");
    int has_f = have[D_FX] && have[D_FY] && have[D_FZ];
    int has_q = have[D_Q] > 0;

    atom_row *rows = NULL;
    long cap = 0;
    for (long i = 0; i < n; i++) {
        st = mtp_lines_next(ln, &any, err);
        if (st) goto fail;
        if (!any) {
            st = mtp_parse_fail(err, r->name, ln->line_no + 1,
                                "unexpected end of file: expected %ld atom rows, found %ld", n, i);
            goto fail;
        }
        int nt = mtp_split_ws(ln->line, tok, MAX_COLS);
        if (nt != ncol) {
            st = mtp_parse_fail(err, r->name, ln->line_no, "expected %d columns per atom row, found %d", ncol, nt);
            goto fail;
        }
        if (i == cap) {
            long ncap = cap ? 2 * cap : 64;
            if (ncap > n) ncap = n;
            atom_row *nr = mtp_realloc(rows, (size_t)ncap, sizeof *rows);
            if (!nr) {
                st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %ld atoms", ncap);
                goto fail;
            }
            rows = nr;
            cap = ncap;
        }
        atom_row *a = &rows[i];
        memset(a, 0, sizeof *a);
        a->id = i + 1;
        long t = 1;
        const char *element = NULL;
        for (int c = 0; c < ncol; c++) {
            double v;
            switch (kind[c]) {
            case D_SKIP: break;
            case D_ID:
                if (!mtp_parse_int(tok[c], 1, 4000000000L, &a->id)) {
                    st = mtp_parse_fail(err, r->name, ln->line_no, "id: expected a positive integer, found '%.40s'", tok[c]);
                    goto fail;
                }
                break;
            case D_TYPE:
                if (!mtp_parse_int(tok[c], 1, 1000000, &t)) {
                    st = mtp_parse_fail(err, r->name, ln->line_no, "type: expected a positive integer, found '%.40s'", tok[c]);
                    goto fail;
                }
                break;
            case D_ELEMENT: element = tok[c]; break;
            default:
                if (!mtp_parse_double(tok[c], &v)) {
                    st = mtp_parse_fail(err, r->name, ln->line_no, "column %d: expected a finite number, found '%.40s'", c + 1, tok[c]);
                    goto fail;
                }
                if (kind[c] >= D_X && kind[c] <= D_Z) a->x[kind[c] - D_X] = v;
                else if (kind[c] >= D_FX && kind[c] <= D_FZ) a->f[kind[c] - D_FX] = v;
                else if (kind[c] == D_Q) a->q = v;
            }
        }
        if (!have[D_TYPE] && !r->opt.type_map && !r->opt.absolute_types)
            a->type = mtp_reader_type_of_symbol(&r->opt, element); /* atomic number */
        else
            a->type = lammps_type_to_cfg(&r->opt, t, element);
        if (a->type < 0) {
            st = mtp_fail(err, MTP_ERR_SPECIES, "%s:%ld: atom type %ld%s%s cannot be mapped to a cfg type", r->name,
                          ln->line_no, t, element ? " / element " : "", element ? element : "");
            goto fail;
        }
        if (pos_mode == 1 || pos_mode == 3) {
            double s[3] = {a->x[0], a->x[1], a->x[2]};
            for (int k = 0; k < 3; k++) a->x[k] = lo[k] + s[0] * L[0][k] + s[1] * L[1][k] + s[2] * L[2][k];
        }
    }
    if (n > 1) qsort(rows, (size_t)n, sizeof *rows, cmp_row);
    for (long i = 1; i < n; i++)
        if (rows[i].id == rows[i - 1].id) {
            st = mtp_parse_fail(err, r->name, atoms_line, "atom id %ld appears twice", rows[i].id);
            goto fail;
        }
    st = mtp_cfg_alloc(cfg, (int)n, (has_f ? MTP_CFG_FORCES : 0) | (has_q ? MTP_CFG_CHARGES : 0), err);
    if (st) goto fail;
    for (long i = 0; i < n; i++) {
        cfg->types[i] = rows[i].type;
        memcpy(cfg->positions + 3 * i, rows[i].x, sizeof rows[i].x);
        if (has_f) memcpy(cfg->forces + 3 * i, rows[i].f, sizeof rows[i].f);
        if (has_q) cfg->charges[i] = rows[i].q;
    }
    free(rows);
    memcpy(cfg->lattice, L, sizeof L);
    for (int a = 0; a < 3; a++)
        if (!periodic[a]) cfg->lattice[a][0] = cfg->lattice[a][1] = cfg->lattice[a][2] = 0;
    *got = 1;
    return MTP_OK;
fail:
    free(rows);
    mtp_cfg_free(cfg);
    return st;
}

/* ------------------------------------------------------------------ */
/* Dump writer                                                         */
/* ------------------------------------------------------------------ */
static mtp_status check_types(const mtp_cfg *cfg, const char *name, mtp_error *err, int *max_type)
{
    *max_type = 0;
    for (int i = 0; i < cfg->n_atoms; i++) {
        if (cfg->types[i] < 0)
            return mtp_fail(err, MTP_ERR_INVALID, "%s: negative atom type %d cannot be written to LAMMPS files", name,
                            cfg->types[i]);
        if (cfg->types[i] > *max_type) *max_type = cfg->types[i];
    }
    return MTP_OK;
}

static mtp_status dump_write(FILE *fp, const char *name, const mtp_cfg *cfg, const mtp_write_options *opt,
                             mtp_error *err)
{
    lbox b;
    int max_type;
    mtp_status st = check_types(cfg, name, err, &max_type);
    if (!st) st = make_box(cfg, &b, name, err);
    if (st) return st;
    const char *ts = mtp_cfg_get_feature(cfg, "timestep");
    long timestep = 0;
    if (ts) mtp_parse_int(ts, 0, 9223372036854775807L, &timestep);
    fprintf(fp, "ITEM: TIMESTEP\n%ld\nITEM: NUMBER OF ATOMS\n%d\n", timestep, cfg->n_atoms);
    const char *bc = b.periodic ? "pp pp pp" : "ff ff ff";
    fprintf(fp, "ITEM: BOX BOUNDS xy xz yz %s\n", bc);
    double xlo_b = b.lo[0] + fmin(fmin(0.0, b.xy), fmin(b.xz, b.xy + b.xz));
    double xhi_b = b.hi[0] + fmax(fmax(0.0, b.xy), fmax(b.xz, b.xy + b.xz));
    double ylo_b = b.lo[1] + fmin(0.0, b.yz), yhi_b = b.hi[1] + fmax(0.0, b.yz);
    fprintf(fp, "%.16e %.16e %.16e\n%.16e %.16e %.16e\n%.16e %.16e %.16e\n", xlo_b, xhi_b, b.xy + 0.0, ylo_b,
            yhi_b, b.xz + 0.0, b.lo[2], b.hi[2], b.yz + 0.0);
    int with_element = opt && opt->type_map;
    fprintf(fp, "ITEM: ATOMS id type%s x y z%s\n", with_element ? " element" : "", cfg->forces ? " fx fy fz" : "");
    for (int i = 0; i < cfg->n_atoms; i++) {
        double x[3], f[3];
        rotate(&b, cfg->positions + 3 * i, x);
        fprintf(fp, "%d %d", i + 1, cfg->types[i] + 1);
        if (with_element) {
            const char *sym = mtp_writer_symbol_of_type(opt, cfg->types[i]);
            if (!sym)
                return mtp_fail(err, MTP_ERR_SPECIES, "%s: type %d has no name in the type map", name, cfg->types[i]);
            fprintf(fp, " %s", sym);
        }
        fprintf(fp, " %.16e %.16e %.16e", x[0], x[1], x[2]);
        if (cfg->forces) {
            rotate(&b, cfg->forces + 3 * i, f);
            fprintf(fp, " %.16e %.16e %.16e", f[0], f[1], f[2]);
        }
        fputc('\n', fp);
    }
    if (ferror(fp)) return mtp_fail(err, MTP_ERR_IO, "%s: write error", name);
    return MTP_OK;
}

static int dump_sniff(const char *head, size_t n)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)head[i])) i++;
    return n - i >= 14 && strncmp(head + i, "ITEM: TIMESTEP", 14) == 0;
}

const mtp_format_ops mtp_format_lammps_dump_ops = {MTP_FORMAT_LAMMPS_DUMP, NULL, dump_next, NULL, dump_write,
                                                   dump_sniff};

/* ------------------------------------------------------------------ */
/* Data file                                                           */
/* ------------------------------------------------------------------ */
/* Strip a '#' comment; returns the comment text (or NULL). */
static char *strip_comment(char *s)
{
    char *h = strchr(s, '#');
    if (!h) return NULL;
    *h = '\0';
    return h + 1;
}

static mtp_status data_next(mtp_reader *r, mtp_cfg *cfg, int *got, mtp_error *err)
{
    mtp_lines *ln = &r->lines;
    mtp_cfg_free(cfg);
    *got = 0;
    if (r->n_read > 0 || r->state) return MTP_OK; /* one configuration per file */
    r->state = r;                                   /* mark as consumed */
    int any;
    mtp_status st = mtp_lines_next(ln, &any, err); /* title line */
    if (st) return st;
    if (!any) return mtp_parse_fail(err, r->name, 1, "empty file: expected a LAMMPS data file");
    long n = -1, ntypes = -1;
    double lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0}, tilt[3] = {0, 0, 0};
    int have_box[3] = {0, 0, 0};
    char *tok[16];
    char *section = NULL;
    /* Header */
    for (;;) {
        st = mtp_lines_next(ln, &any, err);
        if (st) return st;
        if (!any)
            return mtp_parse_fail(err, r->name, ln->line_no + 1, "unexpected end of file: expected the Atoms section");
        char *copy = mtp_strdup(ln->line);
        if (!copy) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        strip_comment(copy);
        int nt = mtp_split_ws(copy, tok, 15);
        if (nt == 0) {
            free(copy);
            continue;
        }
        double v[3];
        int nnum = 0;
        while (nnum < nt && nnum < 3 && mtp_parse_double(tok[nnum], &v[nnum])) nnum++;
        if (nnum == 0) { /* a section title */
            section = copy;
            break;
        }
        const char *kw = nt > nnum ? tok[nnum] : "";
        const char *kw2 = nt > nnum + 1 ? tok[nnum + 1] : "";
        int bad = 0;
        if (nnum == 1 && strcmp(kw, "atoms") == 0 && nt == 2) {
            if (v[0] < 0 || v[0] > MTP_MAX_ATOMS || v[0] != floor(v[0])) bad = 1;
            else n = (long)v[0];
        } else if (nnum == 1 && strcmp(kw, "atom") == 0 && strcmp(kw2, "types") == 0) {
            if (v[0] < 1 || v[0] > 1000000 || v[0] != floor(v[0])) bad = 1;
            else ntypes = (long)v[0];
        } else if (nnum == 2 && (strcmp(kw, "xlo") == 0 || strcmp(kw, "ylo") == 0 || strcmp(kw, "zlo") == 0)) {
            int a = kw[0] - 'x';
            lo[a] = v[0];
            hi[a] = v[1];
            have_box[a] = 1;
            if (!(hi[a] > lo[a])) bad = 1;
        } else if (nnum == 3 && strcmp(kw, "xy") == 0) {
            memcpy(tilt, v, sizeof tilt);
        } else if (nnum == 1 && (strcmp(kw, "bonds") == 0 || strcmp(kw, "angles") == 0 ||
                                 strcmp(kw, "dihedrals") == 0 || strcmp(kw, "impropers") == 0 ||
                                 strcmp(kw, "bond") == 0 || strcmp(kw, "angle") == 0 ||
                                 strcmp(kw, "dihedral") == 0 || strcmp(kw, "improper") == 0 ||
                                 strcmp(kw, "extra") == 0 || strcmp(kw, "ellipsoids") == 0 ||
                                 strcmp(kw, "lines") == 0 || strcmp(kw, "triangles") == 0 ||
                                 strcmp(kw, "bodies") == 0)) {
            /* topology counts: ignored */
        } else {
            bad = 1;
        }
        free(copy);
        if (bad)
            return mtp_parse_fail(err, r->name, ln->line_no,
                                  "expected a data file header line ('N atoms', 'N atom types', 'lo hi xlo xhi', 'xy xz yz xy xz yz')");
    }
    if (n < 0 || ntypes < 0 || !have_box[0] || !have_box[1] || !have_box[2]) {
        free(section);
        return mtp_parse_fail(err, r->name, ln->line_no,
                              "header incomplete before the first section: need 'atoms', 'atom types' and xlo/ylo/zlo bounds");
    }
    double L[3][3];
    lattice_from_bounds(L, lo, hi, tilt[0], tilt[1], tilt[2]);
    double *pos = NULL, *chg = NULL;
    int *types = NULL;
    long *ids = NULL;
    int have_atoms = 0, has_q = 0;
    for (;;) {
        /* section title in `section` (comment stripped); its comment: style */
        char *title_line = section;
        char *sec_tok[4];
        int ns = mtp_split_ws(title_line, sec_tok, 3);
        char style[32] = "";
        {
            const char *cm = strchr(ln->line, '#');
            if (cm) {
                char tmp[64];
                snprintf(tmp, sizeof tmp, "%s", cm + 1);
                char *st2[2];
                if (mtp_split_ws(tmp, st2, 1) == 1) snprintf(style, sizeof style, "%s", st2[0]);
            }
        }
        long skip_rows = -1;
        int is_atoms = ns == 1 && strcmp(sec_tok[0], "Atoms") == 0;
        if (ns == 1 && strcmp(sec_tok[0], "Masses") == 0) skip_rows = ntypes;
        else if (ns == 1 && strcmp(sec_tok[0], "Velocities") == 0) skip_rows = n;
        free(section);
        section = NULL;
        if (!is_atoms && skip_rows < 0) break; /* sections we do not need: stop here */
        if (is_atoms && have_atoms) {
            st = mtp_parse_fail(err, r->name, ln->line_no, "Atoms section given twice");
            goto fail;
        }
        long want = is_atoms ? n : skip_rows;
        long row_line = ln->line_no;
        int ncol_expect = -1;
        int off_type = 1, off_q = -1, off_x = 2;
        if (strcmp(style, "charge") == 0) off_q = 2, off_x = 3;
        else if (strcmp(style, "full") == 0) off_type = 2, off_q = 3, off_x = 4;
        else if (style[0] && strcmp(style, "atomic") != 0 && is_atoms) {
            st = mtp_fail(err, MTP_ERR_UNSUPPORTED, "%s:%ld: atom style '%s' is not supported (atomic, charge, full)",
                          r->name, ln->line_no, style);
            goto fail;
        }
        long cap = 0;
        for (long i = 0; i < want;) {
            st = mtp_lines_next(ln, &any, err);
            if (st) goto fail;
            if (!any) {
                st = mtp_parse_fail(err, r->name, ln->line_no + 1,
                                    "unexpected end of file: expected %ld rows in the section begun at line %ld", want,
                                    row_line);
                goto fail;
            }
            strip_comment(ln->line);
            int nt = mtp_split_ws(ln->line, tok, 15);
            if (nt == 0) continue;
            if (!is_atoms) {
                i++;
                continue;
            }
            if (ncol_expect < 0) {
                ncol_expect = nt;
                if (nt != off_x + 3 && nt != off_x + 6) {
                    st = mtp_parse_fail(err, r->name, ln->line_no,
                                        "Atoms: expected %d or %d columns (style %s), found %d", off_x + 3, off_x + 6,
                                        style[0] ? style : "atomic", nt);
                    goto fail;
                }
            }
            if (nt != ncol_expect) {
                st = mtp_parse_fail(err, r->name, ln->line_no, "Atoms: expected %d columns, found %d", ncol_expect, nt);
                goto fail;
            }
            if (i == cap) {
                long ncap = cap ? 2 * cap : 64;
                if (ncap > n) ncap = n;
                double *np_ = mtp_realloc(pos, (size_t)ncap * 3, sizeof *pos);
                if (np_) pos = np_;
                double *nc = mtp_realloc(chg, (size_t)ncap, sizeof *chg);
                if (nc) chg = nc;
                int *nty = mtp_realloc(types, (size_t)ncap, sizeof *types);
                if (nty) types = nty;
                long *nid = mtp_realloc(ids, (size_t)ncap, sizeof *ids);
                if (nid) ids = nid;
                if (!np_ || !nc || !nty || !nid) {
                    st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory for %ld atoms", ncap);
                    goto fail;
                }
                cap = ncap;
            }
            long id, t;
            double x[3], img[3] = {0, 0, 0}, q = 0;
            int ok = mtp_parse_int(tok[0], 1, 4000000000L, &id) && mtp_parse_int(tok[off_type], 1, 1000000, &t);
            if (ok && off_q >= 0) ok = mtp_parse_double(tok[off_q], &q);
            for (int a = 0; ok && a < 3; a++) ok = mtp_parse_double(tok[off_x + a], &x[a]);
            for (int a = 0; ok && nt == off_x + 6 && a < 3; a++) {
                long im;
                ok = mtp_parse_int(tok[off_x + 3 + a], -1000000000L, 1000000000L, &im);
                img[a] = (double)im;
            }
            if (!ok) {
                st = mtp_parse_fail(err, r->name, ln->line_no,
                                    "Atoms: expected id, type, finite coordinates (and integer image flags)");
                goto fail;
            }
            if (t > ntypes) {
                st = mtp_parse_fail(err, r->name, ln->line_no, "Atoms: type %ld exceeds 'atom types' (%ld)", t, ntypes);
                goto fail;
            }
            int ty = lammps_type_to_cfg(&r->opt, t, NULL);
            if (ty < 0) {
                st = mtp_fail(err, MTP_ERR_SPECIES, "%s:%ld: LAMMPS type %ld is not in the type map", r->name,
                              ln->line_no, t);
                goto fail;
            }
            for (int a = 0; a < 3; a++) x[a] += img[0] * L[0][a] + img[1] * L[1][a] + img[2] * L[2][a];
            memcpy(pos + 3 * i, x, sizeof x);
            chg[i] = q;
            types[i] = ty;
            ids[i] = id;
            i++;
        }
        if (is_atoms) {
            have_atoms = 1;
            has_q = off_q >= 0;
        }
        /* next section title */
        for (;;) {
            st = mtp_lines_next(ln, &any, err);
            if (st) goto fail;
            if (!any) break;
            char *copy = mtp_strdup(ln->line);
            if (!copy) {
                st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
                goto fail;
            }
            strip_comment(copy);
            if (*mtp_skip_ws(copy)) {
                section = copy;
                break;
            }
            free(copy);
        }
        if (!section) break;
    }
    free(section);
    section = NULL;
    if (!have_atoms && n > 0) {
        st = mtp_parse_fail(err, r->name, ln->line_no, "no Atoms section found (expected %ld atoms)", n);
        goto fail;
    }
    st = mtp_cfg_alloc(cfg, (int)n, has_q ? MTP_CFG_CHARGES : 0, err);
    if (st) goto fail;
    {
        /* order by atom id */
        atom_row *rows = n > 0 ? mtp_calloc((size_t)n, sizeof *rows) : NULL;
        if (n > 0 && !rows) {
            st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
            goto fail;
        }
        for (long i = 0; i < n; i++) {
            rows[i].id = ids[i];
            rows[i].type = types[i];
            memcpy(rows[i].x, pos + 3 * i, 3 * sizeof(double));
            rows[i].q = chg[i];
        }
        if (n > 1) qsort(rows, (size_t)n, sizeof *rows, cmp_row);
        for (long i = 1; i < n; i++)
            if (rows[i].id == rows[i - 1].id) {
                st = mtp_parse_fail(err, r->name, ln->line_no, "Atoms: atom id %ld appears twice", rows[i].id);
                free(rows);
                goto fail;
            }
        for (long i = 0; i < n; i++) {
            cfg->types[i] = rows[i].type;
            memcpy(cfg->positions + 3 * i, rows[i].x, 3 * sizeof(double));
            if (has_q) cfg->charges[i] = rows[i].q;
        }
        free(rows);
    }
    memcpy(cfg->lattice, L, sizeof L);
    free(pos);
    free(chg);
    free(types);
    free(ids);
    *got = 1;
    return MTP_OK;
fail:
    free(section);
    free(pos);
    free(chg);
    free(types);
    free(ids);
    mtp_cfg_free(cfg);
    return st;
}

static mtp_status data_write(FILE *fp, const char *name, const mtp_cfg *cfg, const mtp_write_options *opt,
                             mtp_error *err)
{
    lbox b;
    int max_type;
    mtp_status st = check_types(cfg, name, err, &max_type);
    if (!st) st = make_box(cfg, &b, name, err);
    if (st) return st;
    int ntypes = max_type + 1;
    if (opt && opt->type_map && opt->type_map_count > ntypes) ntypes = opt->type_map_count;
    fprintf(fp, "LAMMPS data file written by OpenMTP\n\n%d atoms\n%d atom types\n\n", cfg->n_atoms, ntypes);
    fprintf(fp, "%.16e %.16e xlo xhi\n%.16e %.16e ylo yhi\n%.16e %.16e zlo zhi\n", b.lo[0], b.hi[0], b.lo[1], b.hi[1],
            b.lo[2], b.hi[2]);
    if (b.xy != 0 || b.xz != 0 || b.yz != 0) fprintf(fp, "%.16e %.16e %.16e xy xz yz\n", b.xy, b.xz, b.yz);
    fputs("\nAtoms # atomic\n\n", fp);
    for (int i = 0; i < cfg->n_atoms; i++) {
        double x[3];
        rotate(&b, cfg->positions + 3 * i, x);
        fprintf(fp, "%d %d %.16e %.16e %.16e\n", i + 1, cfg->types[i] + 1, x[0], x[1], x[2]);
    }
    if (ferror(fp)) return mtp_fail(err, MTP_ERR_IO, "%s: write error", name);
    return MTP_OK;
}

const mtp_format_ops mtp_format_lammps_data_ops = {MTP_FORMAT_LAMMPS_DATA, NULL, data_next, NULL, data_write, NULL};
