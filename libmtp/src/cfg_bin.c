/* SPDX-License-Identifier: BSD-3-Clause */
/* MLIP binary .cfg (records 'n' ... '#'; see spec mlip-compat.md §3.6).
 * Native byte order, int32 and IEEE doubles, as MLIP writes them. */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(int) == 4, "binary .cfg types are int32");

typedef struct bin_in {
    FILE *fp;
    const char *name;
    long record;          /* 1-based record number, for messages */
    mtp_error *err;
} bin_in;

static mtp_status bfail(bin_in *b, const char *what)
{
    return mtp_fail(b->err, MTP_ERR_PARSE, "%s: binary record %ld (byte %ld): %s", b->name, b->record,
                    ftell(b->fp), what);
}

static mtp_status read_exact(bin_in *b, void *dst, size_t bytes, const char *what)
{
    if (fread(dst, 1, bytes, b->fp) != bytes) return bfail(b, what);
    return MTP_OK;
}

/* Read `count` elements into a fresh array, growing in chunks so that a
 * corrupt count cannot cause an allocation far beyond the data present. */
static mtp_status read_array(bin_in *b, size_t count, size_t elem, void **out, const char *what)
{
    const size_t chunk = (size_t)1 << 16;
    char *arr = NULL;
    size_t have = 0;
    while (have < count) {
        size_t take = count - have < chunk ? count - have : chunk;
        char *a = mtp_realloc(arr, have + take, elem);
        if (!a) {
            free(arr);
            return mtp_fail(b->err, MTP_ERR_NOMEM, "%s: out of memory", b->name);
        }
        arr = a;
        if (fread(arr + have * elem, elem, take, b->fp) != take) {
            free(arr);
            return bfail(b, what);
        }
        have += take;
    }
    if (!arr && !(arr = mtp_calloc(1, elem))) return mtp_fail(b->err, MTP_ERR_NOMEM, "out of memory");
    *out = arr;
    return MTP_OK;
}

static mtp_status read_double_array(bin_in *b, size_t count, double **out, const char *what)
{
    mtp_status st = read_array(b, count, sizeof(double), (void **)out, what);
    for (size_t i = 0; !st && i < count; i++)
        if (!isfinite((*out)[i])) {
            free(*out);
            *out = NULL;
            st = bfail(b, "non-finite number");
        }
    return st;
}

static mtp_status read_string(bin_in *b, char **out)
{
    int32_t len;
    mtp_status st = read_exact(b, &len, sizeof len, "truncated feature");
    if (st) return st;
    if (len < 0 || len > (1 << 26)) return bfail(b, "feature length out of range");
    char *s = malloc((size_t)len + 1);
    if (!s) return mtp_fail(b->err, MTP_ERR_NOMEM, "out of memory");
    if (len && fread(s, 1, (size_t)len, b->fp) != (size_t)len) {
        free(s);
        return bfail(b, "truncated feature");
    }
    s[len] = '\0';
    if (strlen(s) != (size_t)len) {
        free(s);
        return bfail(b, "NUL byte inside a feature");
    }
    *out = s;
    return MTP_OK;
}

static mtp_status bin_next(mtp_reader *r, mtp_cfg *cfg, int *got, mtp_error *err)
{
    mtp_cfg_free(cfg);
    *got = 0;
    bin_in b = {r->fp, r->name, r->n_read + 1, err};
    int c;
    while ((c = getc(r->fp)) != EOF && isspace(c)) {}
    if (c == EOF) return MTP_OK;
    if (c != 'n') return bfail(&b, "expected record start 'n'");
    int32_t n;
    mtp_status st = read_exact(&b, &n, sizeof n, "truncated atom count");
    if (st) return st;
    if (n < 0 || n > MTP_MAX_ATOMS) return bfail(&b, "atom count out of range");
    cfg->n_atoms = n;
    int have_l = 0, have_p = 0;
    for (;;) {
        c = getc(r->fp);
        if (c == EOF) {
            st = bfail(&b, "truncated record (no '#' terminator)");
            break;
        }
        if (c == '#') break;
        double **arr = NULL;
        int width = 0;
        switch (c) {
        case 'l':
            st = read_exact(&b, cfg->lattice, sizeof cfg->lattice, "truncated lattice");
            for (int k = 0; !st && k < 9; k++)
                if (!isfinite(cfg->lattice[k / 3][k % 3])) st = bfail(&b, "non-finite lattice");
            have_l = 1;
            break;
        case 'p': arr = &cfg->positions; width = 3; have_p = 1; break;
        case 'f': arr = &cfg->forces; width = 3; break;
        case 'm': arr = &cfg->magmom; width = 3; break;
        case 'd': arr = &cfg->en_der_magmom; width = 3; break;
        case 'v': arr = &cfg->site_energies; width = 1; break;
        case 'c': arr = &cfg->charges; width = 1; break;
        case 't': {
            free(cfg->types);
            cfg->types = NULL;
            int32_t *t = NULL;
            st = read_array(&b, (size_t)n, sizeof(int32_t), (void **)&t, "truncated types");
            cfg->types = (int *)t; /* int is 32 bits on every supported platform */
            /* the text reader's range, so that every file read here can be
             * written as text and read back */
            for (int i = 0; !st && i < n; i++)
                if (t[i] < -1000000000 || t[i] > 1000000000) st = bfail(&b, "atom types must lie within +-1e9");
            break;
        }
        case 'g': {
            free(cfg->ghost);
            cfg->ghost = NULL;
            st = read_array(&b, (size_t)n, 1, (void **)&cfg->ghost, "truncated ghost flags");
            for (int i = 0; !st && i < n; i++) {
                unsigned char g = cfg->ghost[i];
                if (g != '0' && g != '1' && g != 0 && g != 1) st = bfail(&b, "ghost flags must be '0' or '1'");
                cfg->ghost[i] = g == '1' || g == 1;
            }
            break;
        }
        case 's': {
            double s[6]; /* binary order: xx yy zz xy yz xz */
            st = read_exact(&b, s, sizeof s, "truncated stress");
            for (int k = 0; !st && k < 6; k++)
                if (!isfinite(s[k])) st = bfail(&b, "non-finite stress");
            if (!st) {
                cfg->stress[0] = s[0]; cfg->stress[1] = s[1]; cfg->stress[2] = s[2];
                cfg->stress[5] = s[3]; cfg->stress[3] = s[4]; cfg->stress[4] = s[5];
                cfg->has_stress = 1;
            }
            break;
        }
        case 'e':
            st = read_exact(&b, &cfg->energy, sizeof(double), "truncated energy");
            if (!st && !isfinite(cfg->energy)) st = bfail(&b, "non-finite energy");
            cfg->has_energy = 1;
            break;
        case 'F': {
            char *k = NULL, *v = NULL;
            st = read_string(&b, &k);
            if (!st) st = read_string(&b, &v);
            if (!st) st = mtp_cfg_append_feature(cfg, k, v, err);
            free(k);
            free(v);
            break;
        }
        default: st = bfail(&b, "unknown field tag"); break;
        }
        if (!st && arr) {
            free(*arr);
            *arr = NULL;
            st = read_double_array(&b, (size_t)n * (size_t)width, arr, "truncated per-atom data");
        }
        if (st) break;
    }
    if (!st && (!have_l || !have_p)) st = bfail(&b, "record lacks the mandatory lattice ('l') or positions ('p')");
    if (!st && !cfg->types) {
        cfg->types = mtp_calloc(n ? (size_t)n : 1, sizeof(int));
        if (!cfg->types) st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    if (st) {
        mtp_cfg_free(cfg);
        return st;
    }
    *got = 1;
    return MTP_OK;
}

static void put(FILE *fp, const void *p, size_t n) { fwrite(p, 1, n, fp); }

static mtp_status bin_write(FILE *fp, const char *name, const mtp_cfg *cfg, const mtp_write_options *opt,
                            mtp_error *err)
{
    /* MLIP's binary layout has no record for per-atom force weights; refuse
     * rather than silently turning weights 0 into 1 (all-1 weights lose nothing). */
    if (cfg->force_weights)
        for (int i = 0; i < cfg->n_atoms; i++)
            if (cfg->force_weights[i] != 1.0)
                return mtp_fail(err, MTP_ERR_UNSUPPORTED,
                                "%s: binary .cfg cannot store per-atom force weights (atom %d has force_weight %g); "
                                "write text .cfg instead",
                                name, i + 1, cfg->force_weights[i]);
    int32_t n = cfg->n_atoms;
    fputc('n', fp);
    put(fp, &n, sizeof n);
    fputc('l', fp);
    put(fp, cfg->lattice, sizeof cfg->lattice);
    fputc('p', fp);
    put(fp, cfg->positions, (size_t)n * 3 * sizeof(double));
    fputc('t', fp);
    for (int i = 0; i < n; i++) {
        int32_t t = cfg->types[i];
        put(fp, &t, sizeof t);
    }
    if (cfg->forces) { fputc('f', fp); put(fp, cfg->forces, (size_t)n * 3 * sizeof(double)); }
    if (cfg->magmom) { fputc('m', fp); put(fp, cfg->magmom, (size_t)n * 3 * sizeof(double)); }
    if (cfg->en_der_magmom) { fputc('d', fp); put(fp, cfg->en_der_magmom, (size_t)n * 3 * sizeof(double)); }
    if (cfg->site_energies) { fputc('v', fp); put(fp, cfg->site_energies, (size_t)n * sizeof(double)); }
    if (cfg->charges) { fputc('c', fp); put(fp, cfg->charges, (size_t)n * sizeof(double)); }
    if (cfg->ghost) {
        fputc('g', fp);
        for (int i = 0; i < n; i++) fputc(cfg->ghost[i] ? '1' : '0', fp);
    }
    if (cfg->has_stress) {
        const double *s = cfg->stress;
        double o[6] = {s[0], s[1], s[2], s[5], s[3], s[4]};
        fputc('s', fp);
        put(fp, o, sizeof o);
    }
    if (cfg->has_energy) { fputc('e', fp); put(fp, &cfg->energy, sizeof(double)); }
    for (int i = 0; i < cfg->n_features; i++) {
        int32_t kl = (int32_t)strlen(cfg->features[i].key), vl = (int32_t)strlen(cfg->features[i].value);
        fputc('F', fp);
        put(fp, &kl, sizeof kl);
        put(fp, cfg->features[i].key, (size_t)kl);
        put(fp, &vl, sizeof vl);
        put(fp, cfg->features[i].value, (size_t)vl);
    }
    fputc('#', fp);
    (void)opt;
    if (ferror(fp)) return mtp_fail(err, MTP_ERR_IO, "%s: write error", name);
    return MTP_OK;
}

static int bin_sniff(const char *head, size_t n)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)head[i])) i++;
    return i < n && head[i] == 'n';
}

const mtp_format_ops mtp_format_cfg_bin_ops = {MTP_FORMAT_CFG_BIN, NULL, bin_next, NULL, bin_write, bin_sniff};
