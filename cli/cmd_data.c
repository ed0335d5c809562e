/* SPDX-License-Identifier: BSD-3-Clause */
/* convert and mindist: dataset utilities. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char HELP_CONVERT[] =
    "mtp convert IN OUT [options]\n"
    "  Converts configurations between formats.  Readable: cfg (MLIP text), bin\n"
    "  (MLIP binary; detected automatically), xyz (extended XYZ as ASE writes it),\n"
    "  outcar, vasprun, cp2k, cp2k_md (CP2K MD trajectory: PREFIX or\n"
    "  PREFIX-pos-1.xyz with -frc-1.xyz, -1.cell, -1.stress, -vel-1.xyz), qe (pw.x\n"
    "  output), lammps_dump, lammps_data.  Writable: cfg, bin, xyz,\n"
    "  lammps_dump, lammps_data, poscar.  OUT is replaced atomically.\n"
    "  --input_format=F        default: from content, then from the file name\n"
    "  --output_format=F       default: from OUT's name, else cfg (MLIP: txt)\n"
    "  --append                append to OUT instead of replacing it\n"
    "  --last                  keep only the last configuration\n"
    "  --no_forces_stresses    drop forces, stresses and energies\n"
    "  --fix_lattice           make the lattice right-handed by flipping vectors\n"
    "  --type_order=Li,P,S     element of type 0,1,2,... (reading and writing)\n"
    "  --absolute_types        types are atomic numbers (OUTCAR etc.)\n"
    "  --save_nonconverged     keep VASP ionic steps / CP2K evaluations whose SCF did\n"
    "                          not converge (tagged EFS_by *_not_converged)\n"
    "  --no_loss               cfg output with full precision (%.16e)\n";

const char HELP_MINDIST[] =
    "mtp mindist DB [--no_overwrite] [--no_types]\n"
    "  Prints the smallest interatomic distance of the dataset, overall and per\n"
    "  pair of types.  Like MLIP, it then rewrites DB (a .cfg file) with a\n"
    "  `mindist`/`mindists` feature in each configuration, atomically; with\n"
    "  --no_overwrite the file is left alone.\n"
    "  --no_types              report only the overall distance\n"
    "  --search_radius=R       distances beyond R (default 10 A) are not found\n";

static void fix_lattice(mtp_cfg *c)
{
    double (*L)[3] = c->lattice;
    double det = L[0][0] * (L[1][1] * L[2][2] - L[1][2] * L[2][1]) - L[0][1] * (L[1][0] * L[2][2] - L[1][2] * L[2][0]) +
                 L[0][2] * (L[1][0] * L[2][1] - L[1][1] * L[2][0]);
    if (det < 0)
        for (int k = 0; k < 3; k++) L[2][k] = -L[2][k];
}

int cmd_convert(const char *cmd, cli_args *a)
{
    if (a->n_pos != 2) {
        fprintf(stderr, "usage: %s", HELP_CONVERT);
        return 2;
    }
    const char *in = a->pos[0], *out = a->pos[1];
    mtp_read_options ropt;
    mtp_format ifmt;
    char **tm = NULL;
    int append = 0, last = 0, strip = 0, fixl = 0, no_loss = 0, rc = 2;
    const char *ofmt_s = cli_opt(a, "output_format");
    mtp_reader *r = NULL;
    mtp_output_file *of = NULL;
    FILE *fp = NULL;
    mtp_cfg cfg, keep;
    mtp_cfg_init(&cfg);
    mtp_cfg_init(&keep);
    if (cli_read_options(a, &ropt, &ifmt, &tm) || cli_opt_bool(a, "append", 0, &append) ||
        cli_opt_bool(a, "last", 0, &last) || cli_opt_bool(a, "no_forces_stresses", 0, &strip) ||
        cli_opt_bool(a, "fix_lattice", 0, &fixl) || cli_opt_bool(a, "no_loss", 0, &no_loss) ||
        cli_check_unused(a, cmd))
        goto done;
    mtp_format ofmt;
    if (cli_output_format(cmd, ofmt_s, out, &ofmt)) goto done;
    if (strcmp(in, out) == 0) {
        fprintf(stderr, "mtp %s: input and output are the same file\n", cmd);
        goto done;
    }
    mtp_write_options wopt = {no_loss, 0, ropt.type_map, ropt.type_map_count};
    rc = 1;
    mtp_error err;
    if (mtp_reader_open(in, ifmt, &ropt, &r, &err)) {
        cli_report(cmd, &err);
        goto done;
    }
    if (append) {
        fp = fopen(out, "ab");
        if (!fp) {
            fprintf(stderr, "mtp %s: cannot open %s for appending\n", cmd, out);
            goto done;
        }
    } else if (mtp_output_open(out, &of, &fp, &err)) {
        cli_report(cmd, &err);
        goto done;
    }
    long n = 0;
    int got, have_keep = 0;
    for (;;) {
        if (mtp_reader_next(r, &cfg, &got, &err)) {
            cli_report(cmd, &err);
            goto done;
        }
        if (!got) break;
        n++;
        if (fixl) fix_lattice(&cfg);
        if (strip) {
            free(cfg.forces);
            cfg.forces = NULL;
            cfg.has_energy = cfg.has_stress = 0;
        }
        if (last) {
            mtp_cfg tmp = keep;
            keep = cfg;
            cfg = tmp;
            have_keep = 1;
            continue;
        }
        if (mtp_write_cfg(fp, out, &cfg, ofmt, &wopt, &err)) {
            cli_report(cmd, &err);
            goto done;
        }
    }
    if (last && have_keep && mtp_write_cfg(fp, out, &keep, ofmt, &wopt, &err)) {
        cli_report(cmd, &err);
        goto done;
    }
    if (of) {
        mtp_status st = mtp_output_commit(of, &err);
        of = NULL;
        fp = NULL;
        if (st) {
            cli_report(cmd, &err);
            goto done;
        }
    }
    fprintf(stderr, "mtp %s: %ld configurations read from %s, %ld written to %s\n", cmd, n, in,
            last ? (long)have_keep : n, out);
    rc = 0;
done:
    if (of) mtp_output_abort(of);
    else if (fp) fclose(fp);
    mtp_reader_close(r);
    mtp_cfg_free(&cfg);
    mtp_cfg_free(&keep);
    cli_free_type_map(tm, ropt.type_map_count);
    return rc;
}

#define MAX_TYPES 128

int cmd_mindist(const char *cmd, cli_args *a)
{
    if (a->n_pos != 1) {
        fprintf(stderr, "usage: %s", HELP_MINDIST);
        return 2;
    }
    const char *db = a->pos[0];
    int no_overwrite = 0, no_types = 0, rc = 2;
    double radius;
    mtp_read_options ropt;
    mtp_format ifmt;
    char **tm = NULL;
    mtp_cfg *cfgs = NULL;
    int n = 0;
    double *pm = NULL, *all = NULL;
    if (cli_read_options(a, &ropt, &ifmt, &tm) || cli_opt_bool(a, "no_overwrite", 0, &no_overwrite) ||
        cli_opt_bool(a, "no_types", 0, &no_types) || cli_opt_double(a, "search_radius", 10.0, &radius) ||
        cli_check_unused(a, cmd))
        goto done;
    rc = 1;
    mtp_error err;
    if (mtp_read_cfgs(db, ifmt, &ropt, &cfgs, &n, &err)) {
        cli_report(cmd, &err);
        goto done;
    }
    pm = malloc(sizeof(double) * MAX_TYPES * MAX_TYPES);
    all = malloc(sizeof(double) * MAX_TYPES * MAX_TYPES);
    if (!pm || !all) goto done;
    for (int k = 0; k < MAX_TYPES * MAX_TYPES; k++) all[k] = INFINITY;
    double global = INFINITY;
    int max_type = -1;
    for (int c = 0; c < n; c++) {
        double d;
        if (mtp_cfg_min_distance(&cfgs[c], radius, &d, MAX_TYPES, pm, &err)) {
            fprintf(stderr, "mtp %s: %s: configuration %d: %s\n", cmd, db, c + 1, err.message);
            goto done;
        }
        for (int i = 0; i < cfgs[c].n_atoms; i++)
            if (cfgs[c].types[i] > max_type && cfgs[c].types[i] < MAX_TYPES) max_type = cfgs[c].types[i];
        if (d < global) global = d;
        char buf[64], *feat = NULL;
        size_t len = 0;
        FILE *ms = open_memstream(&feat, &len);
        int first = 1;
        fputc('{', ms);
        for (int t1 = 0; t1 < MAX_TYPES; t1++)
            for (int t2 = t1; t2 < MAX_TYPES; t2++) {
                double v = fmin(pm[t1 * MAX_TYPES + t2], pm[t2 * MAX_TYPES + t1]);
                if (!isfinite(v)) continue;
                if (v < all[t1 * MAX_TYPES + t2]) all[t1 * MAX_TYPES + t2] = v;
                fprintf(ms, "%s(%d,%d):%f", first ? "" : ",", t1, t2, v);
                first = 0;
            }
        fputc('}', ms);
        fclose(ms);
        snprintf(buf, sizeof buf, "%f", d);
        if (isfinite(d)) {
            if (no_types) mtp_cfg_set_feature(&cfgs[c], "mindist", buf, &err);
            else mtp_cfg_set_feature(&cfgs[c], "mindists", feat, &err);
        }
        free(feat);
    }
    if (isfinite(global)) printf("Global mindist: %f\n", global);
    else printf("Global mindist: none within %g A\n", radius);
    if (!no_types)
        for (int t1 = 0; t1 <= max_type; t1++)
            for (int t2 = t1; t2 <= max_type; t2++)
                if (isfinite(all[t1 * MAX_TYPES + t2])) printf("mindist (%d,%d): %f\n", t1, t2, all[t1 * MAX_TYPES + t2]);
    if (!no_overwrite) {
        mtp_format f = ifmt ? ifmt : mtp_format_guess(db);
        if (f != MTP_FORMAT_CFG && f != MTP_FORMAT_AUTO) {
            fprintf(stderr, "mtp %s: %s is not a .cfg file; not rewritten\n", cmd, db);
        } else if (mtp_write_cfgs(db, cfgs, n, MTP_FORMAT_CFG, NULL, 0, &err)) {
            cli_report(cmd, &err);
            goto done;
        }
    }
    rc = 0;
done:
    free(pm);
    free(all);
    mtp_free_cfgs(cfgs, n);
    cli_free_type_map(tm, ropt.type_map_count);
    return rc;
}
