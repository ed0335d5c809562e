/* SPDX-License-Identifier: BSD-3-Clause */
/* Training checkpoint files and run fingerprints (see checkpoint.h). */
#include "checkpoint.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct fit_ckpt_writer {
    mtp_output_file *out;
    FILE *fp;
};

static mtp_status ck_fail(mtp_error *err, mtp_status st, const char *fmt, const char *a, const char *b)
{
    if (err) {
        err->status = st;
        snprintf(err->message, sizeof err->message, fmt, a, b ? b : "");
    }
    return st;
}

mtp_status fit_ckpt_create(const char *path, fit_ckpt_writer **w, mtp_error *err)
{
    *w = calloc(1, sizeof **w);
    if (!*w) return ck_fail(err, MTP_ERR_NOMEM, "%.900s: out of memory%s", path, NULL);
    mtp_status st = mtp_output_open(path, &(*w)->out, &(*w)->fp, err);
    if (st) {
        free(*w);
        *w = NULL;
        return st;
    }
    fprintf((*w)->fp, "%s %d\n", FIT_CHECKPOINT_MAGIC, FIT_CHECKPOINT_VERSION);
    return MTP_OK;
}

void fit_ckpt_put(fit_ckpt_writer *w, const char *name, const double *x, long n)
{
    fprintf(w->fp, "%s %ld", name, n);
    for (long i = 0; i < n; i++) fprintf(w->fp, " %a", x[i]);
    fputc('\n', w->fp);
}

void fit_ckpt_put1(fit_ckpt_writer *w, const char *name, double x)
{
    fit_ckpt_put(w, name, &x, 1);
}

void fit_ckpt_put_string(fit_ckpt_writer *w, const char *name, const char *s)
{
    fprintf(w->fp, "%s 1 %s\n", name, s && *s ? s : "-");
}

mtp_status fit_ckpt_commit(fit_ckpt_writer *w, mtp_error *err)
{
    mtp_status st = mtp_output_commit(w->out, err);
    free(w);
    return st;
}

void fit_ckpt_abort(fit_ckpt_writer *w)
{
    if (!w) return;
    mtp_output_abort(w->out);
    free(w);
}

/* ---- reading --------------------------------------------------------- */
typedef struct ck_record {
    char *name;
    long n;
    char *values; /* the rest of the line */
    int line;
} ck_record;

struct fit_ckpt {
    char *path;
    char *text;
    ck_record *rec;
    int n_rec;
};

void fit_ckpt_free(fit_ckpt *ck)
{
    if (!ck) return;
    free(ck->path), free(ck->text), free(ck->rec), free(ck);
}

const char *fit_ckpt_path(const fit_ckpt *ck)
{
    return ck->path;
}

mtp_status fit_ckpt_read(const char *path, fit_ckpt **out, mtp_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return ck_fail(err, MTP_ERR_IO, "%.900s: cannot open the checkpoint: %.80s", path, strerror(errno));
    fit_ckpt *ck = calloc(1, sizeof *ck);
    size_t cap = 1 << 16, len = 0;
    char *t = malloc(cap);
    for (;;) {
        if (!ck || !t) break;
        if (len + 1 >= cap) {
            char *t2 = realloc(t, cap *= 2);
            if (!t2) break;
            t = t2;
        }
        size_t got = fread(t + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    int bad_read = ferror(f);
    fclose(f);
    if (!ck || !t || bad_read) {
        free(t), free(ck);
        return ck_fail(err, bad_read ? MTP_ERR_IO : MTP_ERR_NOMEM, "%.900s: cannot read the checkpoint%s", path, NULL);
    }
    t[len] = '\0';
    ck->text = t;
    ck->path = strdup(path);
    size_t magic_len = strlen(FIT_CHECKPOINT_MAGIC);
    if (strncmp(t, FIT_CHECKPOINT_MAGIC, magic_len) != 0 || t[magic_len] != ' ') {
        fit_ckpt_free(ck);
        return ck_fail(err, MTP_ERR_PARSE,
                       "%.900s:1: expected '" FIT_CHECKPOINT_MAGIC " 1' (a training checkpoint); this is not one "
                       "(a potential written as checkpoint by an older mtp train? use it as INIT to train on from "
                       "it)%s",
                       path, NULL);
    }
    if (atoi(t + magic_len + 1) != FIT_CHECKPOINT_VERSION) {
        fit_ckpt_free(ck);
        return ck_fail(err, MTP_ERR_PARSE, "%.900s:1: checkpoint version %.20s; this mtp train reads version 1", path,
                       t + magic_len + 1);
    }
    int cap_rec = 64, line = 1;
    ck->rec = malloc((size_t)cap_rec * sizeof *ck->rec);
    char *p = strchr(t, '\n');
    while (p && ck->rec) { /* every line end becomes '\0' */
        *p++ = '\0';
        line++;
        char *eol = strchr(p, '\n');
        if (eol) *eol = '\0';
        if (*p) {
            char *sp = strchr(p, ' '), *end = NULL;
            long n = sp ? strtol(sp + 1, &end, 10) : -1;
            if (!sp || n < 0 || end == sp + 1 || (*end != ' ' && *end != '\0')) {
                char ln[24];
                snprintf(ln, sizeof ln, "%d", line);
                fit_ckpt_free(ck);
                return ck_fail(err, MTP_ERR_PARSE, "%.900s:%s: expected 'NAME COUNT VALUES...'", path, ln);
            }
            *sp = '\0';
            if (ck->n_rec == cap_rec) {
                ck_record *r2 = realloc(ck->rec, (size_t)(cap_rec *= 2) * sizeof *ck->rec);
                if (!r2) break;
                ck->rec = r2;
            }
            ck->rec[ck->n_rec++] = (ck_record){p, n, end, line};
        }
        p = eol;
    }
    if (!ck->rec) {
        fit_ckpt_free(ck);
        return ck_fail(err, MTP_ERR_NOMEM, "%.900s: out of memory%s", path, NULL);
    }
    *out = ck;
    return MTP_OK;
}

static const ck_record *find(const fit_ckpt *ck, const char *name)
{
    for (int i = 0; i < ck->n_rec; i++)
        if (!strcmp(ck->rec[i].name, name)) return &ck->rec[i];
    return NULL;
}

mtp_status fit_ckpt_get(const fit_ckpt *ck, const char *name, double *x, long n, mtp_error *err)
{
    const ck_record *r = find(ck, name);
    if (!r) return ck_fail(err, MTP_ERR_PARSE, "%.900s: the checkpoint has no record '%.60s'", ck->path, name);
    if (r->n != n) {
        if (err) {
            err->status = MTP_ERR_PARSE;
            snprintf(err->message, sizeof err->message, "%.900s:%d: record '%.60s' has %ld values, expected %ld",
                     ck->path, r->line, name, r->n, n);
        }
        return MTP_ERR_PARSE;
    }
    const char *s = r->values; /* ends at the line's end ('\0') */
    for (long i = 0; i < n; i++) {
        char *end;
        errno = 0;
        x[i] = strtod(s, &end);
        if (end == s || (*end != ' ' && *end != '\n' && *end != '\0')) {
            if (err) {
                err->status = MTP_ERR_PARSE;
                snprintf(err->message, sizeof err->message, "%.900s:%d: record '%.60s': value %ld is not a number",
                         ck->path, r->line, name, i + 1);
            }
            return MTP_ERR_PARSE;
        }
        s = end;
    }
    return MTP_OK;
}

mtp_status fit_ckpt_get1(const fit_ckpt *ck, const char *name, double *x, mtp_error *err)
{
    return fit_ckpt_get(ck, name, x, 1, err);
}

mtp_status fit_ckpt_get_int(const fit_ckpt *ck, const char *name, int *x, mtp_error *err)
{
    double v;
    mtp_status st = fit_ckpt_get(ck, name, &v, 1, err);
    if (st) return st;
    if (!(v >= -2147483647.0 && v <= 2147483647.0) || v != floor(v))
        return ck_fail(err, MTP_ERR_PARSE, "%.900s: record '%.60s' is not an integer", ck->path, name);
    *x = (int)v;
    return MTP_OK;
}

const char *fit_ckpt_get_string(const fit_ckpt *ck, const char *name)
{
    const ck_record *r = find(ck, name);
    if (!r || r->n != 1) return NULL;
    static _Thread_local char buf[512];
    const char *s = r->values;
    while (*s == ' ') s++;
    size_t k = 0;
    while (s[k] && s[k] != ' ' && s[k] != '\n' && k + 1 < sizeof buf) k++;
    memcpy(buf, s, k);
    buf[k] = '\0';
    return buf;
}

/* ---- fingerprints ------------------------------------------------------ */
static void fnv(uint64_t *h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        *h ^= p[i];
        *h *= 1099511628211ull;
    }
}

static void hex(uint64_t h, char out[17])
{
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

mtp_status fit_hash_file(const char *path, char out[17], mtp_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ck_fail(err, MTP_ERR_IO, "%.900s: cannot open: %.80s", path, strerror(errno));
    uint64_t h = 14695981039346656037ull;
    unsigned char buf[1 << 14];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) fnv(&h, buf, got);
    int bad = ferror(f);
    fclose(f);
    if (bad) return ck_fail(err, MTP_ERR_IO, "%.900s: read error%s", path, NULL);
    hex(h, out);
    return MTP_OK;
}

void fit_hash_cfgs(const mtp_cfg *cfgs, int n, char out[17])
{
    uint64_t h = 14695981039346656037ull;
    fnv(&h, &n, sizeof n);
    for (int k = 0; k < n; k++) {
        const mtp_cfg *c = &cfgs[k];
        const size_t N = (size_t)(c->n_atoms > 0 ? c->n_atoms : 0);
        int flags[4] = {c->n_atoms, c->has_energy, c->has_stress, (c->forces ? 1 : 0) | (c->force_weights ? 2 : 0)};
        fnv(&h, flags, sizeof flags);
        fnv(&h, c->lattice, sizeof c->lattice);
        if (N) {
            fnv(&h, c->types, N * sizeof(int));
            fnv(&h, c->positions, 3 * N * sizeof(double));
            if (c->forces) fnv(&h, c->forces, 3 * N * sizeof(double));
            if (c->force_weights) fnv(&h, c->force_weights, N * sizeof(double));
        }
        if (c->has_energy) fnv(&h, &c->energy, sizeof c->energy);
        if (c->has_stress) fnv(&h, c->stress, sizeof c->stress);
        /* the weight features (other features do not enter the fit) */
        double w[3] = {1, 1, 1};
        mtp_cfg_fit_weights(c, w, NULL);
        fnv(&h, w, sizeof w);
    }
    hex(h, out);
}
