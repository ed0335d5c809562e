/* SPDX-License-Identifier: BSD-3-Clause */
/* Format registry, streaming reader and writers of configuration files. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One entry per supported format; readers/writers live in one file per format. */
static const mtp_format_ops *const FORMATS[] = {
    &mtp_format_cfg_ops,
    &mtp_format_cfg_bin_ops,
    &mtp_format_outcar_ops,
    &mtp_format_cp2k_md_ops, /* before xyz: its -pos-1.xyz files are xyz files too */
    &mtp_format_xyz_ops,
    &mtp_format_lammps_dump_ops,
    &mtp_format_lammps_data_ops,
    &mtp_format_poscar_ops,
    &mtp_format_vasprun_ops,
    &mtp_format_cp2k_ops,
    &mtp_format_qe_ops,
};
#define N_FORMATS (sizeof FORMATS / sizeof FORMATS[0])

static const struct { const char *name; mtp_format fmt; } FORMAT_NAMES[] = {
    {"auto", MTP_FORMAT_AUTO},           {"cfg", MTP_FORMAT_CFG},
    {"txt", MTP_FORMAT_CFG},             {"bin", MTP_FORMAT_CFG_BIN},
    {"xyz", MTP_FORMAT_XYZ},             {"extxyz", MTP_FORMAT_XYZ},
    {"outcar", MTP_FORMAT_OUTCAR},       {"vasp_outcar", MTP_FORMAT_OUTCAR},
    {"vasprun", MTP_FORMAT_VASPRUN},     {"vasprun.xml", MTP_FORMAT_VASPRUN},
    {"cp2k", MTP_FORMAT_CP2K},           {"lammps_dump", MTP_FORMAT_LAMMPS_DUMP},
    {"lammps_data", MTP_FORMAT_LAMMPS_DATA}, {"lammps_datafile", MTP_FORMAT_LAMMPS_DATA},
    {"poscar", MTP_FORMAT_POSCAR},       {"vasp_poscar", MTP_FORMAT_POSCAR},
    {"cp2k_md", MTP_FORMAT_CP2K_MD},     {"cp2k-md", MTP_FORMAT_CP2K_MD},
    {"qe", MTP_FORMAT_QE},               {"espresso", MTP_FORMAT_QE},
};

int mtp_format_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof FORMAT_NAMES / sizeof FORMAT_NAMES[0]; i++)
        if (mtp_str_ieq(name, FORMAT_NAMES[i].name)) return (int)FORMAT_NAMES[i].fmt;
    return -1;
}

const char *mtp_format_name(mtp_format fmt)
{
    for (size_t i = 0; i < sizeof FORMAT_NAMES / sizeof FORMAT_NAMES[0]; i++)
        if (FORMAT_NAMES[i].fmt == fmt) return FORMAT_NAMES[i].name;
    return "unknown";
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && mtp_str_ieq(s + a - b, suffix);
}

mtp_format mtp_format_guess(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (ends_with(base, "-pos-1.xyz")) return MTP_FORMAT_CP2K_MD;
    if (ends_with(base, ".xyz") || ends_with(base, ".extxyz")) return MTP_FORMAT_XYZ;
    if (strstr(base, "OUTCAR")) return MTP_FORMAT_OUTCAR;
    if (ends_with(base, ".xml") && strstr(base, "vasprun")) return MTP_FORMAT_VASPRUN;
    if (strstr(base, "POSCAR") || strstr(base, "CONTCAR") || ends_with(base, ".vasp"))
        return MTP_FORMAT_POSCAR;
    if (ends_with(base, ".dump") || ends_with(base, ".lammpstrj")) return MTP_FORMAT_LAMMPS_DUMP;
    if (ends_with(base, ".data") || ends_with(base, ".lmp")) return MTP_FORMAT_LAMMPS_DATA;
    if (ends_with(base, ".cfg") || ends_with(base, ".cfgs")) return MTP_FORMAT_CFG;
    return MTP_FORMAT_AUTO;
}

static const mtp_format_ops *ops_of(mtp_format fmt)
{
    for (size_t i = 0; i < N_FORMATS; i++)
        if (FORMATS[i]->format == fmt) return FORMATS[i];
    return NULL;
}

int mtp_reader_type_of_symbol(const mtp_read_options *opt, const char *symbol)
{
    if (opt && opt->type_map && !opt->absolute_types) {
        for (int i = 0; i < opt->type_map_count; i++)
            if (strcmp(opt->type_map[i], symbol) == 0) return i;
        return -1;
    }
    int z = mtp_element_number(symbol);
    return z > 0 ? z : -1;
}

const char *mtp_writer_symbol_of_type(const mtp_write_options *opt, int type)
{
    if (opt && opt->type_map) return type >= 0 && type < opt->type_map_count ? opt->type_map[type] : NULL;
    return mtp_element_symbol(type);
}

static mtp_status copy_options(mtp_reader *r, const mtp_read_options *opt, mtp_error *err)
{
    if (!opt) return MTP_OK;
    r->opt = *opt;
    r->opt.type_map = NULL;
    if (opt->type_map && opt->type_map_count > 0) {
        char **m = mtp_calloc((size_t)opt->type_map_count, sizeof *m);
        if (!m) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        r->opt.type_map = (const char *const *)m;
        for (int i = 0; i < opt->type_map_count; i++)
            if (!(m[i] = mtp_strdup(opt->type_map[i]))) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    } else {
        r->opt.type_map_count = 0;
    }
    return MTP_OK;
}

/* Identify the format from the first bytes of a seekable stream (the
 * stream position is restored); AUTO for pipes or unknown content. */
static mtp_format sniff_stream(FILE *fp)
{
    long pos = ftell(fp);
    if (pos < 0) return MTP_FORMAT_AUTO;
    char head[4096];
    size_t n = fread(head, 1, sizeof head, fp);
    clearerr(fp);
    if (fseek(fp, pos, SEEK_SET) != 0) return MTP_FORMAT_AUTO;
    for (size_t i = 0; i < N_FORMATS; i++)
        if (FORMATS[i]->sniff && FORMATS[i]->sniff(head, n)) return FORMATS[i]->format;
    return MTP_FORMAT_AUTO;
}

mtp_status mtp_reader_open_stream(FILE *fp, const char *name, mtp_format fmt,
                                  const mtp_read_options *opt, mtp_reader **out, mtp_error *err)
{
    *out = NULL;
    if (!name) name = "<stream>";
    mtp_reader *r = mtp_calloc(1, sizeof *r);
    if (!r || !(r->name = mtp_strdup(name))) {
        free(r);
        return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    }
    r->fp = fp;
    mtp_status st = copy_options(r, opt, err);
    if (!st && fmt == MTP_FORMAT_AUTO) {
        fmt = sniff_stream(fp);
        if (fmt == MTP_FORMAT_AUTO) fmt = mtp_format_guess(name);
        if (fmt == MTP_FORMAT_AUTO)
            st = mtp_fail(err, MTP_ERR_PARSE,
                          "%s: cannot tell the file format from its content or name; give it explicitly",
                          name);
    }
    if (!st) {
        r->format = fmt;
        r->ops = ops_of(fmt);
        if (!r->ops || !r->ops->next)
            st = mtp_fail(err, MTP_ERR_UNSUPPORTED, "%s: reading format '%s' is not supported", name,
                          mtp_format_name(fmt));
    }
    if (!st) {
        mtp_lines_init(&r->lines, fp, r->name);
        if (r->ops->open) st = r->ops->open(r, err);
    }
    if (st) {
        mtp_reader_close(r);
        return st;
    }
    *out = r;
    return MTP_OK;
}

mtp_status mtp_reader_open(const char *path, mtp_format fmt, const mtp_read_options *opt,
                           mtp_reader **out, mtp_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    char *md_pos = NULL;
    if (!fp && errno == ENOENT && (fmt == MTP_FORMAT_CP2K_MD || fmt == MTP_FORMAT_AUTO)) {
        /* a CP2K MD trajectory may be named by its project prefix */
        size_t n = strlen(path) + sizeof "-pos-1.xyz";
        md_pos = malloc(n);
        if (!md_pos) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        snprintf(md_pos, n, "%s-pos-1.xyz", path);
        fp = fopen(md_pos, "rb");
        if (fp) path = md_pos;
        else errno = ENOENT;
    }
    if (!fp) {
        free(md_pos);
        return mtp_fail(err, MTP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    mtp_status st = mtp_reader_open_stream(fp, path, fmt, opt, out, err);
    free(md_pos);
    if (st) {
        fclose(fp);
        return st;
    }
    (*out)->own_fp = 1;
    return MTP_OK;
}

mtp_status mtp_reader_next(mtp_reader *r, mtp_cfg *cfg, int *got, mtp_error *err)
{
    *got = 0;
    mtp_status st = r->ops->next(r, cfg, got, err);
    if (!st && *got) r->n_read++;
    return st;
}

mtp_format mtp_reader_format(const mtp_reader *r) { return r->format; }

void mtp_reader_close(mtp_reader *r)
{
    if (!r) return;
    if (r->ops && r->ops->close) r->ops->close(r);
    mtp_lines_free(&r->lines);
    if (r->opt.type_map) {
        for (int i = 0; i < r->opt.type_map_count; i++) free((char *)r->opt.type_map[i]);
        free((void *)r->opt.type_map);
    }
    if (r->own_fp && r->fp) fclose(r->fp);
    free(r->name);
    free(r);
}

void mtp_free_cfgs(mtp_cfg *cfgs, int count)
{
    if (!cfgs) return;
    for (int i = 0; i < count; i++) mtp_cfg_free(&cfgs[i]);
    free(cfgs);
}

mtp_status mtp_read_cfgs(const char *path, mtp_format fmt, const mtp_read_options *opt,
                         mtp_cfg **cfgs, int *count, mtp_error *err)
{
    *cfgs = NULL;
    *count = 0;
    mtp_reader *r;
    mtp_status st = mtp_reader_open(path, fmt, opt, &r, err);
    if (st) return st;
    int cap = 0, n = 0, got = 0;
    mtp_cfg *arr = NULL;
    for (;;) {
        if (n == cap) {
            int ncap = cap ? 2 * cap : 16;
            mtp_cfg *a = mtp_realloc(arr, (size_t)ncap, sizeof *a);
            if (!a) {
                st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory reading %s", path);
                break;
            }
            arr = a;
            cap = ncap;
        }
        mtp_cfg_init(&arr[n]);
        st = mtp_reader_next(r, &arr[n], &got, err);
        if (st || !got) break;
        n++;
    }
    mtp_reader_close(r);
    if (st) {
        mtp_free_cfgs(arr, n);
        return st;
    }
    *cfgs = arr;
    *count = n;
    return MTP_OK;
}

mtp_status mtp_write_cfg(FILE *fp, const char *name, const mtp_cfg *cfg, mtp_format fmt,
                         const mtp_write_options *opt, mtp_error *err)
{
    if (fmt == MTP_FORMAT_AUTO) fmt = mtp_format_guess(name ? name : "");
    if (fmt == MTP_FORMAT_AUTO) fmt = MTP_FORMAT_CFG;
    const mtp_format_ops *ops = ops_of(fmt);
    if (!ops || !ops->write)
        return mtp_fail(err, MTP_ERR_UNSUPPORTED, "writing format '%s' is not supported",
                        mtp_format_name(fmt));
    return ops->write(fp, name ? name : "<stream>", cfg, opt, err);
}

mtp_status mtp_write_cfgs(const char *path, const mtp_cfg *cfgs, int count, mtp_format fmt,
                          const mtp_write_options *opt, int append, mtp_error *err)
{
    if (fmt == MTP_FORMAT_AUTO) fmt = mtp_format_guess(path);
    if (fmt == MTP_FORMAT_AUTO) fmt = MTP_FORMAT_CFG;
    mtp_status st = MTP_OK;
    if (append) {
        FILE *fp = fopen(path, "ab");
        if (!fp) return mtp_fail(err, MTP_ERR_IO, "%s: cannot open for appending: %s", path, strerror(errno));
        for (int i = 0; !st && i < count; i++) st = mtp_write_cfg(fp, path, &cfgs[i], fmt, opt, err);
        if (fclose(fp) != 0 && !st) st = mtp_fail(err, MTP_ERR_IO, "%s: write failed", path);
        return st;
    }
    mtp_atomic_file af;
    st = mtp_atomic_open(&af, path, err);
    if (st) return st;
    for (int i = 0; !st && i < count; i++) st = mtp_write_cfg(af.fp, path, &cfgs[i], fmt, opt, err);
    if (st) {
        mtp_atomic_abort(&af);
        return st;
    }
    return mtp_atomic_commit(&af, err);
}
