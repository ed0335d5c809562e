/* SPDX-License-Identifier: BSD-3-Clause */
/* MLIP-2 .mtp and MLIP-3 .almtp potential files (spec mlip-compat.md §2).
 * The reader is lenient about whitespace and field order; the writer
 * emits exactly what MLIP-3 writes. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POT_FILE ((size_t)1 << 31)
#define OUR_SPECIES_TAG "openmtp-species="

typedef struct pot_parse {
    const char *name;
    char *text;         /* writable copy of the text part */
    char **line;        /* line starts */
    int n_lines;
    int cur;            /* index of the next line to read */
    long line_offset;   /* file lines before the text part (LAMMPS header comments) */
    mtp_error *err;
    mtp_pot_lines at;   /* where each field was read, for semantic messages */
    long *radial_rows;  /* [blocks*K] line of each radial coefficient row */
} pot_parse;

/* 1-based file line number of the last line read */
static long line_no(const pot_parse *pp) { return pp->cur + pp->line_offset; }

static mtp_status pfail(pot_parse *pp, const char *fmt, ...) MTP_PRINTF(2, 3);
static mtp_status pfail(pot_parse *pp, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mtp_parse_fail(pp->err, pp->name, line_no(pp), "%s", msg);
}

/* Next non-blank line with `<<<` annotations and surrounding blanks removed. */
static char *next_line(pot_parse *pp)
{
    while (pp->cur < pp->n_lines) {
        char *s = pp->line[pp->cur++];
        char *c = strstr(s, "<<<");
        if (c) *c = '\0';
        while (*s && isspace((unsigned char)*s)) s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
        if (*s) return s;
    }
    return NULL;
}

static char *peek_line(pot_parse *pp)
{
    int save = pp->cur;
    char *s = next_line(pp);
    pp->cur = save;
    return s;
}

/* Split "key = value" (value may be empty); returns 0 if there is no '='. */
static int split_kv(char *s, char **key, char **val)
{
    char *eq = strchr(s, '=');
    if (!eq) return 0;
    char *k = s, *ke = eq;
    while (ke > k && isspace((unsigned char)ke[-1])) ke--;
    *ke = '\0';
    char *v = eq + 1;
    while (*v && isspace((unsigned char)*v)) v++;
    *key = k;
    *val = v;
    return 1;
}

static mtp_status parse_double_val(pot_parse *pp, const char *key, const char *v, double *out)
{
    if (!mtp_parse_double(v, out)) return pfail(pp, "%s: expected a finite number, found '%.40s'", key, v);
    return MTP_OK;
}

/* sigma multiplies every radial basis function: MLIP's rescaling makes it
 * positive; zero would erase the basis and a sign change is no fit. */
static mtp_status parse_scaling(pot_parse *pp, const char *v, double *out)
{
    mtp_status st = parse_double_val(pp, "scaling", v, out);
    if (st) return st;
    if (!(*out > 0)) return pfail(pp, "scaling: expected a positive number, found '%.40s'", v);
    pp->at.scaling = line_no(pp);
    return MTP_OK;
}

static mtp_status parse_int_val(pot_parse *pp, const char *key, const char *v, long lo, long hi, int *out)
{
    long x;
    if (!mtp_parse_int(v, lo, hi, &x))
        return pfail(pp, "%s: expected an integer in [%ld, %ld], found '%.40s'", key, lo, hi, v);
    *out = (int)x;
    return MTP_OK;
}

/* Never allocate for a declared count the line cannot hold: a list of n
 * items needs at least `min_chars` characters per item (a 1 kB file must
 * not make the reader allocate gigabytes). */
static mtp_status check_room(pot_parse *pp, const char *key, const char *v, long n, size_t min_chars)
{
    size_t len = strlen(v);
    if (n > 0 && (size_t)n > len / min_chars)
        return pfail(pp, "%s: the count declares %ld items, but the line has room for at most %zu", key, n,
                     len / min_chars);
    return MTP_OK;
}

/* Parse "{a, b, c}" (flat) into doubles; exactly `n` items. */
static mtp_status parse_double_list(pot_parse *pp, const char *key, char *v, int n, double *out)
{
    char *s = v;
    while (isspace((unsigned char)*s)) s++;
    if (*s != '{') return pfail(pp, "%s: expected '{' starting a list of %d numbers", key, n);
    s++;
    int k = 0;
    for (;;) {
        while (isspace((unsigned char)*s)) s++;
        if (*s == '}') break;
        if (k == n) return pfail(pp, "%s: more than the expected %d numbers", key, n);
        char *end;
        errno = 0;
        double x = strtod(s, &end);
        if (end == s || !isfinite(x)) return pfail(pp, "%s: item %d is not a finite number", key, k + 1);
        out[k++] = x;
        s = end;
        while (isspace((unsigned char)*s)) s++;
        if (*s == ',') s++;
        else if (*s != '}') return pfail(pp, "%s: expected ',' or '}' after item %d", key, k);
    }
    if (k != n) return pfail(pp, "%s: expected %d numbers, found %d", key, n, k);
    s++;
    while (isspace((unsigned char)*s)) s++;
    if (*s) return pfail(pp, "%s: unexpected text after the list", key);
    return MTP_OK;
}

static mtp_status parse_int_list(pot_parse *pp, const char *key, char *v, int n, int *out)
{
    char *s = v;
    while (isspace((unsigned char)*s)) s++;
    if (*s != '{') return pfail(pp, "%s: expected '{' starting a list of %d integers", key, n);
    s++;
    int k = 0;
    for (;;) {
        while (isspace((unsigned char)*s)) s++;
        if (*s == '}') break;
        if (k == n) return pfail(pp, "%s: more than the expected %d integers", key, n);
        char *end;
        errno = 0;
        long x = strtol(s, &end, 10);
        if (end == s || errno == ERANGE || x < -2147483647L || x > 2147483647L)
            return pfail(pp, "%s: item %d is not an integer", key, k + 1);
        out[k++] = (int)x;
        s = end;
        while (isspace((unsigned char)*s)) s++;
        if (*s == ',') s++;
        else if (*s != '}') return pfail(pp, "%s: expected ',' or '}' after item %d", key, k);
    }
    if (k != n) return pfail(pp, "%s: expected %d integers, found %d", key, n, k);
    return MTP_OK;
}

/* Parse "{{a, b, c, d}, {...}}" into n 4-tuples. */
static mtp_status parse_tuple_list(pot_parse *pp, const char *key, char *v, int n, int (*out)[4])
{
    char *s = v;
    while (isspace((unsigned char)*s)) s++;
    if (*s != '{') return pfail(pp, "%s: expected '{{' starting a list of %d 4-tuples", key, n);
    s++;
    int k = 0;
    for (;;) {
        while (isspace((unsigned char)*s) || *s == ',') s++;
        if (*s == '}') break;
        if (*s != '{') return pfail(pp, "%s: expected '{' starting tuple %d", key, k + 1);
        if (k == n) return pfail(pp, "%s: more than the expected %d tuples", key, n);
        s++;
        for (int c = 0; c < 4; c++) {
            char *end;
            errno = 0;
            long x = strtol(s, &end, 10);
            if (end == s || errno == ERANGE || x < -2147483647L || x > 2147483647L)
                return pfail(pp, "%s: tuple %d: item %d is not an integer", key, k + 1, c + 1);
            out[k][c] = (int)x;
            s = end;
            while (isspace((unsigned char)*s)) s++;
            if (c < 3) {
                if (*s != ',') return pfail(pp, "%s: tuple %d: expected 4 comma-separated integers", key, k + 1);
                s++;
            }
        }
        if (*s != '}') return pfail(pp, "%s: tuple %d: expected '}' after 4 integers", key, k + 1);
        s++;
        k++;
    }
    if (k != n) return pfail(pp, "%s: expected %d tuples, found %d", key, n, k);
    return MTP_OK;
}

/* Require the next line to be "key = value" with one of the given keys. */
static mtp_status expect_kv(pot_parse *pp, const char *const *keys, char **val, int *which)
{
    char *s = next_line(pp);
    if (!s) return pfail(pp, "unexpected end of file: expected '%s = ...'", keys[0]);
    char *k, *v;
    if (split_kv(s, &k, &v))
        for (int i = 0; keys[i]; i++)
            if (strcmp(k, keys[i]) == 0) {
                *val = v;
                if (which) *which = i;
                return MTP_OK;
            }
    return pfail(pp, "expected '%s = ...', found '%.60s'", keys[0], s);
}

/* Is the next line "key = ..." for this key? (does not consume) */
static int next_is(pot_parse *pp, const char *key)
{
    char *s = peek_line(pp);
    if (!s) return 0;
    size_t n = strlen(key);
    return strncmp(s, key, n) == 0 && (s[n] == ' ' || s[n] == '=' || s[n] == '\t' || s[n] == '\0');
}

static int is_label(const char *s, int *a, int *b)
{
    char *e;
    if (!isdigit((unsigned char)*s)) return 0;
    long x = strtol(s, &e, 10);
    if (*e != '-' || !isdigit((unsigned char)e[1])) return 0;
    long y = strtol(e + 1, &e, 10);
    if (*e != '\0' || x > 100000 || y > 100000) return 0;
    *a = (int)x;
    *b = (int)y;
    return 1;
}

static mtp_status parse_species_tag(pot_parse *pp, mtp_potential *p, const char *tag, int *labels_from_tag)
{
    const char *t = strstr(tag, OUR_SPECIES_TAG);
    *labels_from_tag = 0;
    if (!t) return MTP_OK;
    t += strlen(OUR_SPECIES_TAG);
    int n = 1;
    for (const char *c = t; *c && !isspace((unsigned char)*c); c++) n += *c == ',';
    if (p->species_count > 0 && n != p->species_count)
        return pfail(pp, "potential_tag lists %d species but species_count is %d", n, p->species_count);
    int *l = mtp_calloc((size_t)n, sizeof(int));
    if (!l) return mtp_fail(pp->err, MTP_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        char *e;
        long x = strtol(t, &e, 10);
        if (e == t || x < 0 || x > 100000) {
            free(l);
            return pfail(pp, "potential_tag: malformed %s list", OUR_SPECIES_TAG);
        }
        l[i] = (int)x;
        t = *e == ',' ? e + 1 : e;
    }
    free(p->species_labels);
    p->species_labels = l;
    p->species_count = n;
    *labels_from_tag = 1;
    return MTP_OK;
}

static mtp_status parse_radial_coeffs(pot_parse *pp, mtp_potential *p)
{
    int K = p->radial_funcs_count, R = p->radial_basis_size;
    int cap = 0, nblocks = 0;
    int(*labels)[2] = NULL;
    long *label_line = NULL;
    double *coeffs = NULL;
    mtp_status st = MTP_OK;
    for (;;) {
        char *s = peek_line(pp);
        int a, b;
        if (!s || !is_label(s, &a, &b)) break;
        next_line(pp);
        if (nblocks == cap) {
            cap = cap ? 2 * cap : 16;
            if (cap > 128 * 128) {
                st = pfail(pp, "radial_coeffs: too many blocks");
                break;
            }
            void *nl = mtp_realloc(labels, (size_t)cap, sizeof *labels);
            if (nl) labels = nl;
            void *nc = mtp_realloc(coeffs, (size_t)cap * K * R, sizeof(double));
            if (nc) coeffs = nc;
            void *ll = mtp_realloc(label_line, (size_t)cap, sizeof *label_line);
            if (ll) label_line = ll;
            void *rl = mtp_realloc(pp->radial_rows, (size_t)cap * K, sizeof *pp->radial_rows);
            if (rl) pp->radial_rows = rl;
            if (!nl || !nc || !ll || !rl) {
                st = mtp_fail(pp->err, MTP_ERR_NOMEM, "out of memory");
                break;
            }
        }
        labels[nblocks][0] = a;
        labels[nblocks][1] = b;
        label_line[nblocks] = line_no(pp);
        for (int mu = 0; mu < K && !st; mu++) {
            char *row = next_line(pp);
            pp->radial_rows[(size_t)nblocks * K + mu] = line_no(pp);
            if (!row) st = pfail(pp, "radial_coeffs block %d-%d: unexpected end of file, expected %d rows", a, b, K);
            else st = parse_double_list(pp, "radial_coeffs", row, R, coeffs + ((size_t)nblocks * K + mu) * R);
        }
        if (st) break;
        nblocks++;
    }
    if (st || nblocks == 0) { /* MLIP-3 writes the keyword even for untrained potentials */
        free(labels);
        free(label_line);
        free(coeffs);
        return st;
    }
    int S = (int)lround(sqrt((double)nblocks));
    if (S * S != nblocks || (p->species_count > 0 && p->species_count != S)) {
        free(labels);
        free(label_line);
        free(coeffs);
        if (S * S != nblocks)
            return pfail(pp, "radial_coeffs: %d blocks is not a square number of species pairs", nblocks);
        return pfail(pp, "radial_coeffs: %d blocks, but species_count = %d needs %d", nblocks, p->species_count,
                     p->species_count * p->species_count);
    }
    /* Species list = first label numbers in order of appearance (MLIP-3);
     * every block must then be "<L[s1]>-<L[s2]>" in (s1, s2) order. */
    int *sl = mtp_calloc((size_t)S, sizeof(int));
    if (!sl) {
        free(labels);
        free(label_line);
        free(coeffs);
        return mtp_fail(pp->err, MTP_ERR_NOMEM, "out of memory");
    }
    for (int s = 0; s < S; s++) sl[s] = labels[s * S][0];
    for (int s1 = 0; s1 < S && !st; s1++)
        for (int s2 = 0; s2 < S && !st; s2++) {
            int *l = labels[s1 * S + s2];
            if (l[0] != sl[s1] || l[1] != sl[s2])
                st = mtp_parse_fail(pp->err, pp->name, label_line[s1 * S + s2],
                                    "radial_coeffs block %d is labelled %d-%d, expected %d-%d (blocks must be in "
                                    "species-pair order)",
                                    s1 * S + s2 + 1, l[0], l[1], sl[s1], sl[s2]);
        }
    free(labels);
    free(label_line);
    if (st) {
        free(sl);
        free(coeffs);
        return st;
    }
    free(p->species_labels);
    p->species_labels = sl;
    p->species_count = S;
    p->radial_coeffs = coeffs;
    return MTP_OK;
}

static mtp_status parse_text(pot_parse *pp, mtp_potential *p)
{
    mtp_status st;
    char *s = next_line(pp);
    if (!s || strcmp(s, "MTP") != 0)
        return pfail(pp, "not an MTP potential: the first line must be 'MTP'");
    char *v;
    static const char *const K_VERSION[] = {"version", NULL};
    if ((st = expect_kv(pp, K_VERSION, &v, NULL))) return st;
    if (strcmp(v, "1.1.0") != 0) return pfail(pp, "version: only 1.1.0 is supported, found '%.20s'", v);
    if (next_is(pp, "potential_name")) {
        static const char *const k[] = {"potential_name", NULL};
        expect_kv(pp, k, &v, NULL);
        free(p->name);
        p->name = mtp_strdup(*v ? v : "MTP1m");
        if (!p->name) return mtp_fail(pp->err, MTP_ERR_NOMEM, "out of memory");
    }
    double scaling = 1.0;
    if (next_is(pp, "scaling")) {
        static const char *const k[] = {"scaling", NULL};
        expect_kv(pp, k, &v, NULL);
        if ((st = parse_scaling(pp, v, &scaling))) return st;
    }
    if (next_is(pp, "species_count")) {
        static const char *const k[] = {"species_count", NULL};
        expect_kv(pp, k, &v, NULL);
        if ((st = parse_int_val(pp, "species_count", v, 0, 128, &p->species_count))) return st;
    }
    int labels_from_tag = 0;
    if (next_is(pp, "potential_tag")) {
        static const char *const k[] = {"potential_tag", NULL};
        expect_kv(pp, k, &v, NULL);
        if ((st = parse_species_tag(pp, p, v, &labels_from_tag))) return st;
    }
    static const char *const K_RBT[] = {"radial_basis_type", NULL};
    if ((st = expect_kv(pp, K_RBT, &v, NULL))) return st;
    if (strcmp(v, "RBChebyshev") == 0) p->radial_type = MTP_RADIAL_CHEBYSHEV;
    else if (strcmp(v, "RBChebyshev_repuls") == 0) p->radial_type = MTP_RADIAL_CHEBYSHEV_REPULSIVE;
    else if (!strcmp(v, "BChebyshev") || !strcmp(v, "BChebyshev_repuls") || !strcmp(v, "RBTaylor") ||
             !strcmp(v, "RBShapeev"))
        return mtp_fail(pp->err, MTP_ERR_UNSUPPORTED, "%s:%ld: radial_basis_type %s is not supported (RBChebyshev and RBChebyshev_repuls are)",
                        pp->name, line_no(pp), v);
    else return pfail(pp, "radial_basis_type: unknown type '%.40s'", v);
    if (next_is(pp, "scaling")) { /* inner scaling multiplies the outer one */
        static const char *const k[] = {"scaling", NULL};
        double inner;
        expect_kv(pp, k, &v, NULL);
        if ((st = parse_scaling(pp, v, &inner))) return st;
        scaling *= inner;
    }
    p->scaling = scaling;
    static const char *const K_MIN[] = {"min_dist", "min_val", NULL};
    static const char *const K_MAX[] = {"max_dist", "max_val", NULL};
    static const char *const K_R[] = {"radial_basis_size", "basis_size", NULL};
    static const char *const K_K[] = {"radial_funcs_count", NULL};
    if ((st = expect_kv(pp, K_MIN, &v, NULL)) || (st = parse_double_val(pp, "min_dist", v, &p->min_dist))) return st;
    pp->at.min_dist = line_no(pp);
    if ((st = expect_kv(pp, K_MAX, &v, NULL)) || (st = parse_double_val(pp, "max_dist", v, &p->max_dist))) return st;
    pp->at.max_dist = line_no(pp);
    if ((st = expect_kv(pp, K_R, &v, NULL)) ||
        (st = parse_int_val(pp, "radial_basis_size", v, 1, 64, &p->radial_basis_size)))
        return st;
    pp->at.radial_basis_size = line_no(pp);
    if (next_is(pp, "magnetic_basis_type"))
        return mtp_fail(pp->err, MTP_ERR_UNSUPPORTED, "%s:%ld: magnetic MTP (magnetic_basis_type) is not supported",
                        pp->name, line_no(pp) + 1);
    if ((st = expect_kv(pp, K_K, &v, NULL)) ||
        (st = parse_int_val(pp, "radial_funcs_count", v, 1, MTP_MAX_RADIAL_FUNCS, &p->radial_funcs_count)))
        return st;
    pp->at.radial_funcs_count = line_no(pp);
    char *peek = peek_line(pp);
    if (peek && strcmp(peek, "radial_coeffs") == 0) {
        next_line(pp);
        pp->at.radial_coeffs = line_no(pp);
        if (labels_from_tag) return pfail(pp, "potential_tag species list and radial_coeffs labels both given");
        if ((st = parse_radial_coeffs(pp, p))) return st;
    }
    static const char *const K_AMC[] = {"alpha_moments_count", NULL};
    static const char *const K_ABC[] = {"alpha_index_basic_count", NULL};
    static const char *const K_AB[] = {"alpha_index_basic", NULL};
    static const char *const K_ATC[] = {"alpha_index_times_count", NULL};
    static const char *const K_AT[] = {"alpha_index_times", NULL};
    static const char *const K_ASM[] = {"alpha_scalar_moments", NULL};
    static const char *const K_AMM[] = {"alpha_moment_mapping", NULL};
    if ((st = expect_kv(pp, K_AMC, &v, NULL)) ||
        (st = parse_int_val(pp, "alpha_moments_count", v, 1, 100000000, &p->moments_count)))
        return st;
    pp->at.moments_count = line_no(pp);
    if ((st = expect_kv(pp, K_ABC, &v, NULL)) ||
        (st = parse_int_val(pp, "alpha_index_basic_count", v, 1, p->moments_count, &p->basic_count)))
        return st;
    pp->at.basic_count = line_no(pp);
    /* every allocation below is bounded by the line that must hold the items */
    if ((st = expect_kv(pp, K_AB, &v, NULL)) || (st = check_room(pp, "alpha_index_basic", v, p->basic_count, 9)))
        return st;
    pp->at.basic = line_no(pp);
    if (!(p->basic = mtp_calloc((size_t)p->basic_count, sizeof *p->basic)))
        return mtp_fail(pp->err, MTP_ERR_NOMEM, "out of memory");
    if ((st = parse_tuple_list(pp, "alpha_index_basic", v, p->basic_count, p->basic))) return st;
    if ((st = expect_kv(pp, K_ATC, &v, NULL)) ||
        (st = parse_int_val(pp, "alpha_index_times_count", v, 0, 100000000, &p->times_count)))
        return st;
    if ((st = expect_kv(pp, K_AT, &v, NULL)) || (st = check_room(pp, "alpha_index_times", v, p->times_count, 9)))
        return st;
    pp->at.times = line_no(pp);
    if (!(p->times = mtp_calloc((size_t)(p->times_count ? p->times_count : 1), sizeof *p->times)))
        return mtp_fail(pp->err, MTP_ERR_NOMEM, "out of memory");
    if ((st = parse_tuple_list(pp, "alpha_index_times", v, p->times_count, p->times))) return st;
    if ((st = expect_kv(pp, K_ASM, &v, NULL)) ||
        (st = parse_int_val(pp, "alpha_scalar_moments", v, 0, p->moments_count, &p->scalar_count)))
        return st;
    pp->at.scalar_count = line_no(pp);
    if ((st = expect_kv(pp, K_AMM, &v, NULL)) ||
        (st = check_room(pp, "alpha_moment_mapping", v, p->scalar_count, 2)))
        return st;
    pp->at.mapping = line_no(pp);
    if (!(p->mapping = mtp_calloc((size_t)(p->scalar_count ? p->scalar_count : 1), sizeof(int))))
        return mtp_fail(pp->err, MTP_ERR_NOMEM, "out of memory");
    if ((st = parse_int_list(pp, "alpha_moment_mapping", v, p->scalar_count, p->mapping))) return st;
    int have_sc = next_is(pp, "species_coeffs");
    if (have_sc) {
        static const char *const k[] = {"species_coeffs", NULL};
        expect_kv(pp, k, &v, NULL);
        pp->at.species_coeffs = line_no(pp);
        if (!p->radial_coeffs) return pfail(pp, "species_coeffs given but radial_coeffs are missing");
        if (!(p->species_coeffs = mtp_calloc((size_t)p->species_count, sizeof(double))))
            return mtp_fail(pp->err, MTP_ERR_NOMEM, "out of memory");
        if ((st = parse_double_list(pp, "species_coeffs", v, p->species_count, p->species_coeffs))) return st;
    }
    if (next_is(pp, "moment_coeffs")) {
        static const char *const k[] = {"moment_coeffs", NULL};
        expect_kv(pp, k, &v, NULL);
        pp->at.moment_coeffs = line_no(pp);
        if (!have_sc) return pfail(pp, "moment_coeffs given without species_coeffs");
        if ((st = check_room(pp, "moment_coeffs", v, p->scalar_count, 2))) return st;
        if (!(p->moment_coeffs = mtp_calloc((size_t)(p->scalar_count ? p->scalar_count : 1), sizeof(double))))
            return mtp_fail(pp->err, MTP_ERR_NOMEM, "out of memory");
        if ((st = parse_double_list(pp, "moment_coeffs", v, p->scalar_count, p->moment_coeffs))) return st;
    } else if (have_sc) {
        return pfail(pp, "species_coeffs given without moment_coeffs");
    }
    s = next_line(pp);
    if (s) return pfail(pp, "unexpected line '%.60s' after moment_coeffs", s);
    if (p->radial_coeffs && !p->moment_coeffs)
        return pfail(pp, "radial_coeffs given but species_coeffs/moment_coeffs are missing");
    p->trained = p->radial_coeffs && p->species_coeffs && p->moment_coeffs;
    return MTP_OK;
}

/* Where a byte of the active-learning section lies in the file (the binary
 * matrices count their 0x0A bytes, as an editor would). */
typedef struct al_walk {
    const char *name;
    const unsigned char *a;
    size_t n, pos;
    long line;          /* file line of a[pos] */
    mtp_error *err;
} al_walk;

static void al_advance(al_walk *w, size_t to)
{
    for (; w->pos < to && w->pos < w->n; w->pos++) w->line += w->a[w->pos] == '\n';
}

static mtp_status al_fail(al_walk *w, const char *fmt, ...) MTP_PRINTF(2, 3);
static mtp_status al_fail(al_walk *w, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mtp_parse_fail(w->err, w->name, w->line, "active-learning section: %s", msg);
}

/* The text line at w->pos (without the newline) into buf; 0 if none. */
static int al_line(al_walk *w, char *buf, size_t cap, size_t *next)
{
    const unsigned char *nl = w->pos < w->n ? memchr(w->a + w->pos, '\n', w->n - w->pos) : NULL;
    if (!nl) return 0;
    size_t len = (size_t)(nl - (w->a + w->pos));
    if (len >= cap || memchr(w->a + w->pos, '\0', len)) return 0;
    memcpy(buf, w->a + w->pos, len);
    buf[len] = '\0';
    *next = (size_t)(nl - w->a) + 1;
    return 1;
}

/* Check the active-learning section's layout (spec 2.6; sizes from the
 * counts, never by searching for '#' in binary data), so that every error
 * names file:line at read time.  The stored configurations are parsed when
 * the active set is loaded (active_set.c), under the same file name. */
static mtp_status check_al_section(mtp_potential *p, const char *name, const unsigned char *a, size_t n,
                                   long first_line, mtp_error *err)
{
    al_walk w = {name, a, n, 0, first_line, err};
    static const char hdr[] = "#MVS_v1.1\n";
    static const char *const keys[] = {"energy_weight", "force_weight", "stress_weight", "site_en_weight",
                                       "weight_scaling"};
    int legacy = 0, weights;
    if (n >= sizeof hdr - 1 && memcmp(a, hdr, sizeof hdr - 1) == 0) {
        weights = 5;
    } else if (n >= 2 && a[1] == '\n') {
        legacy = 1;
        weights = 4;
    } else {
        return al_fail(&w, "expected '#MVS_v1.1' after moment_coeffs");
    }
    al_advance(&w, legacy ? 2 : sizeof hdr - 1);
    double wv[5] = {0};
    for (int k = 0; k < weights; k++) { /* "<key> <value>\n" lines */
        char buf[128], *tok[3];
        size_t next;
        if (!al_line(&w, buf, sizeof buf, &next))
            return al_fail(&w, "truncated weights: expected '%s <number>'", legacy ? "<weight>" : keys[k]);
        if (!legacy) {
            int nt = mtp_split_ws(buf, tok, 3);
            if (nt != 2 || strcmp(tok[0], keys[k]) != 0 || !mtp_parse_double(tok[1], &wv[k]))
                return al_fail(&w, "expected '%s <number>'", keys[k]);
        }
        al_advance(&w, next);
    }
    if (!legacy) {
        if (wv[4] != floor(wv[4]) || wv[4] < 0 || wv[4] > 2)
            return al_fail(&w, "weight_scaling must be 0, 1 or 2, not %g", wv[4]);
        for (int k = 0; k < 4; k++)
            if (!(wv[k] >= 0)) return al_fail(&w, "%s must be >= 0, not %g", keys[k], wv[k]);
        if (wv[0] == 0 && wv[1] == 0 && wv[2] == 0 && wv[3] == 0) return al_fail(&w, "all weights are zero");
    }
    if (w.pos >= n || a[w.pos] != '#') return al_fail(&w, "expected '#' before the matrices");
    size_t np = (size_t)mtp_potential_param_count(p);
    size_t mat = np * np * sizeof(double);
    if (np == 0 || n - w.pos - 1 < 2 * mat)
        return al_fail(&w, "truncated matrices: expected 2 x %zu x %zu doubles for %zu parameters, found %zu bytes",
                       np, np, np, n - w.pos - 1);
    if (legacy) return MTP_OK; /* refused with a message when the active set is loaded */
    al_advance(&w, w.pos + 1 + 2 * mat);
    if (n - w.pos < 3 || memcmp(a + w.pos, "\n#\n", 3) != 0)
        return al_fail(&w, "expected '#' on its own line after the matrices (are the matrices truncated?)");
    al_advance(&w, w.pos + 3);
    for (size_t r = 0; r < np; r++) {
        char buf[128], *tok[3];
        size_t next;
        long c, e;
        if (!al_line(&w, buf, sizeof buf, &next) || mtp_split_ws(buf, tok, 3) != 2 ||
            !mtp_parse_int(tok[0], -1, 2147483647L, &c) || !mtp_parse_int(tok[1], -1, 2147483647L, &e) ||
            (c == -1) != (e == -1))
            return al_fail(&w, "row link %zu of %zu: expected '<configuration> <equation>' (or '-1 -1')", r + 1, np);
        al_advance(&w, next);
    }
    if (n - w.pos < 2 || memcmp(a + w.pos, "#\n", 2) != 0)
        return al_fail(&w, "expected '#' after the %zu row links", np);
    al_advance(&w, w.pos + 2);
    free(p->al_origin);
    if (!(p->al_origin = mtp_strdup(name))) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    p->al_cfg_line = w.line;
    return MTP_OK;
}

/* LAMMPS potential files begin with "# DATE: ... UNITS: <style> CONTRIBUTOR:
 * ..." (and possibly more '#' comment lines).  Returns the length of that
 * leading comment block and its line count; refuses units other than metal,
 * which is what every MTP is fitted in. */
static mtp_status skip_lammps_header(const char *data, size_t size, const char *name, size_t *len, long *lines,
                                     mtp_error *err)
{
    size_t pos = 0;
    *lines = 0;
    *len = 0;
    for (;;) {
        size_t s = pos;
        while (s < size && (data[s] == ' ' || data[s] == '\t')) s++;
        if (s >= size || data[s] != '#') break;
        const char *nl = memchr(data + s, '\n', size - s);
        size_t end = nl ? (size_t)(nl - data) : size;
        char line[1024];
        size_t l = end - s < sizeof line ? end - s : sizeof line - 1;
        memcpy(line, data + s, l);
        line[l] = '\0';
        (*lines)++;
        char *u = strstr(line, "UNITS:");
        if (u) {
            char *v = u + strlen("UNITS:"), *ve;
            while (*v == ' ' || *v == '\t') v++;
            for (ve = v; *ve && !isspace((unsigned char)*ve); ve++) {}
            *ve = '\0';
            if (!*v)
                return mtp_parse_fail(err, name, *lines, "UNITS: expected a LAMMPS unit style (metal) after 'UNITS:'");
            if (strcmp(v, "metal") != 0)
                return mtp_fail(err, MTP_ERR_UNSUPPORTED,
                                "%s:%ld: UNITS: %.40s: MTP potentials are in metal units (A, eV); this file declares "
                                "'%.40s' and cannot be used",
                                name, *lines, v, v);
        }
        if (!nl) {
            pos = size;
            break;
        }
        pos = end + 1;
    }
    *len = pos;
    return MTP_OK;
}

static mtp_status read_potential_text(const char *data, size_t size, const char *name, mtp_potential **out,
                                      mtp_error *err)
{
    *out = NULL;
    size_t head_len;
    long head_lines;
    mtp_status st = skip_lammps_header(data, size, name, &head_len, &head_lines, err);
    if (st) return st;
    data += head_len;
    size -= head_len;
    const char *hash = memchr(data, '#', size);
    size_t text_len = hash ? (size_t)(hash - data) : size;
    if (memchr(data, '\0', text_len))
        return mtp_fail(err, MTP_ERR_PARSE, "%s: unexpected NUL byte in the text part (not a potential file?)", name);
    pot_parse pp;
    memset(&pp, 0, sizeof pp);
    pp.name = name;
    pp.err = err;
    pp.line_offset = head_lines;
    pp.text = mtp_strndup(data, text_len);
    int cap = 1;
    for (size_t i = 0; i < text_len; i++) cap += data[i] == '\n';
    pp.line = mtp_calloc((size_t)cap, sizeof(char *));
    mtp_potential *p = mtp_potential_alloc();
    if (!pp.text || !pp.line || !p) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    if (!st) {
        char *s = pp.text;
        pp.line[pp.n_lines++] = s;
        for (; *s; s++)
            if (*s == '\n') {
                *s = '\0';
                pp.line[pp.n_lines++] = s + 1;
            }
        for (int i = 0; i < pp.n_lines; i++) { /* CR at line ends */
            size_t l = strlen(pp.line[i]);
            if (l && pp.line[i][l - 1] == '\r') pp.line[i][l - 1] = '\0';
        }
        st = parse_text(&pp, p);
    }
    if (!st && !p->name && !(p->name = mtp_strdup("MTP1m"))) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    pp.at.radial_rows = pp.radial_rows;
    if (!st) st = mtp_potential_finalize_at(p, name, &pp.at, err);
    if (!st && hash) {
        size_t n = size - text_len;
        long first_line = head_lines + 1;
        for (size_t i = 0; i < text_len; i++) first_line += data[i] == '\n';
        st = check_al_section(p, name, (const unsigned char *)hash, n, first_line, err);
        if (!st) {
            p->al_section = malloc(n);
            if (!p->al_section) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
            else {
                memcpy(p->al_section, hash, n);
                p->al_size = n;
            }
        }
    }
    free(pp.text);
    free(pp.line);
    free(pp.radial_rows);
    if (st) {
        mtp_potential_destroy(p);
        return st;
    }
    *out = p;
    return MTP_OK;
}

mtp_status mtp_potential_read_buffer(const char *data, size_t size, const char *name, mtp_potential **pot,
                                     mtp_error *err)
{
    return read_potential_text(data, size, name ? name : "<buffer>", pot, err);
}

mtp_status mtp_potential_read(const char *path, mtp_potential **pot, mtp_error *err)
{
    *pot = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return mtp_fail(err, MTP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    mtp_status st = MTP_OK;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 16;
            if (ncap > MAX_POT_FILE) {
                st = mtp_fail(err, MTP_ERR_NOMEM, "%s: file larger than %zu bytes", path, MAX_POT_FILE);
                break;
            }
            char *b = realloc(buf, ncap + 1);
            if (!b) {
                st = mtp_fail(err, MTP_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            buf = b;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp)) st = mtp_fail(err, MTP_ERR_IO, "%s: read error", path);
            break;
        }
    }
    fclose(fp);
    if (!st) st = read_potential_text(buf, len, path, pot, err);
    free(buf);
    return st;
}

/* ---------------------------------------------------------------- */
/* Writer                                                            */
/* ---------------------------------------------------------------- */
typedef struct strbuf {
    char *s;
    size_t len, cap;
    int failed;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...) MTP_PRINTF(2, 3);
static void sb_printf(strbuf *b, const char *fmt, ...)
{
    if (b->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = b->cap ? b->cap : 4096;
        while (ncap <= b->len + (size_t)n) ncap *= 2;
        char *ns = realloc(b->s, ncap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = ncap;
    }
}

static void sb_doubles(strbuf *b, const double *x, int n)
{
    sb_printf(b, "{");
    for (int i = 0; i < n; i++) sb_printf(b, i ? ", %.15e" : "%.15e", x[i]);
    sb_printf(b, "}");
}

static void sb_tuples(strbuf *b, const int (*t)[4], int n)
{
    sb_printf(b, "{");
    for (int i = 0; i < n; i++)
        sb_printf(b, "%s{%d, %d, %d, %d}", i ? ", " : "", t[i][0], t[i][1], t[i][2], t[i][3]);
    sb_printf(b, "}");
}

mtp_status mtp_potential_write_buffer(const mtp_potential *p, char **data, size_t *size, mtp_error *err)
{
    strbuf b = {0};
    sb_printf(&b, "MTP\nversion = 1.1.0\npotential_name = %s\n", p->name ? p->name : "MTP1m");
    if (p->scaling != 1.0) sb_printf(&b, "scaling = %.15e\n", p->scaling);
    int default_labels = 1;
    for (int s = 0; s < p->species_count; s++) default_labels &= p->species_labels[s] == s;
    if (p->trained || p->species_count > 0) sb_printf(&b, "species_count = %d\n", p->species_count);
    if (!p->trained && !default_labels) {
        /* MLIP keeps no labels for untrained potentials; ours ride along in
         * the tag, whose value MLIP ignores. */
        sb_printf(&b, "potential_tag = %s", OUR_SPECIES_TAG);
        for (int s = 0; s < p->species_count; s++) sb_printf(&b, s ? ",%d" : "%d", p->species_labels[s]);
        sb_printf(&b, "\n");
    } else {
        sb_printf(&b, "potential_tag = \n");
    }
    sb_printf(&b, "radial_basis_type = %s\n",
              p->radial_type == MTP_RADIAL_CHEBYSHEV_REPULSIVE ? "RBChebyshev_repuls" : "RBChebyshev");
    sb_printf(&b, "\tmin_dist = %.15e\n\tmax_dist = %.15e\n", p->min_dist, p->max_dist);
    sb_printf(&b, "\tradial_basis_size = %d\n\tradial_funcs_count = %d\n", p->radial_basis_size,
              p->radial_funcs_count);
    if (p->trained) {
        int S = p->species_count, K = p->radial_funcs_count, R = p->radial_basis_size;
        sb_printf(&b, "\tradial_coeffs\n");
        for (int s1 = 0; s1 < S; s1++)
            for (int s2 = 0; s2 < S; s2++) {
                sb_printf(&b, "\t\t%d-%d\n", p->species_labels[s1], p->species_labels[s2]);
                for (int mu = 0; mu < K; mu++) {
                    sb_printf(&b, "\t\t\t");
                    sb_doubles(&b, p->radial_coeffs + ((size_t)(s1 * S + s2) * K + mu) * R, R);
                    sb_printf(&b, "\n");
                }
            }
    }
    sb_printf(&b, "alpha_moments_count = %d\nalpha_index_basic_count = %d\nalpha_index_basic = ",
              p->moments_count, p->basic_count);
    sb_tuples(&b, (const int(*)[4])p->basic, p->basic_count);
    sb_printf(&b, "\nalpha_index_times_count = %d\nalpha_index_times = ", p->times_count);
    sb_tuples(&b, (const int(*)[4])p->times, p->times_count);
    sb_printf(&b, "\nalpha_scalar_moments = %d\nalpha_moment_mapping = {", p->scalar_count);
    for (int k = 0; k < p->scalar_count; k++) sb_printf(&b, k ? ", %d" : "%d", p->mapping[k]);
    sb_printf(&b, "}");
    if (p->trained) {
        sb_printf(&b, "\nspecies_coeffs = ");
        sb_doubles(&b, p->species_coeffs, p->species_count);
        sb_printf(&b, "\nmoment_coeffs = ");
        sb_doubles(&b, p->moment_coeffs, p->scalar_count);
    }
    if (p->al_section) {
        sb_printf(&b, "\n");
        if (!b.failed) {
            char *ns = realloc(b.s, b.len + p->al_size + 1);
            if (!ns) b.failed = 1;
            else {
                b.s = ns;
                memcpy(b.s + b.len, p->al_section, p->al_size);
                b.len += p->al_size;
                b.s[b.len] = '\0';
            }
        }
    } else if (!p->trained) {
        sb_printf(&b, "\n");
    }
    if (b.failed) {
        free(b.s);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory writing a potential");
    }
    *data = b.s;
    *size = b.len;
    return MTP_OK;
}

mtp_status mtp_potential_write(const mtp_potential *p, const char *path, mtp_error *err)
{
    char *data;
    size_t size;
    mtp_status st = mtp_potential_write_buffer(p, &data, &size, err);
    if (st) return st;
    mtp_atomic_file af;
    st = mtp_atomic_open(&af, path, err);
    if (!st) {
        if (fwrite(data, 1, size, af.fp) != size) {
            mtp_atomic_abort(&af);
            st = mtp_fail(err, MTP_ERR_IO, "%s: write failed", path);
        } else {
            st = mtp_atomic_commit(&af, err);
        }
    }
    free(data);
    return st;
}
