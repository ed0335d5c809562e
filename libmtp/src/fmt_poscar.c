/* SPDX-License-Identifier: BSD-3-Clause */
/* VASP POSCAR writer (VASP 5 format with a species line).
 *
 * Units: Å, scale factor 1.0, Cartesian coordinates.  POSCAR holds no
 * energies, forces or stresses.
 *
 * Species order: with a type map, its order (types 0, 1, ..., which is
 * MLIP's relative typing = POTCAR order; types without atoms are written
 * with count 0 so the POTCAR can stay the same); otherwise the distinct
 * types in ascending order.  Names come from mtp_writer_symbol_of_type
 * (type map, else atomic number); if a type has no name the species line
 * is omitted (VASP 4 style, as MLIP writes).  Atoms are grouped by
 * species, keeping their relative order.  A POSCAR needs a full 3D cell:
 * other configurations are refused.  Several configurations written to
 * one stream are simply concatenated. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

static mtp_status poscar_write(FILE *fp, const char *name, const mtp_cfg *cfg, const mtp_write_options *opt,
                               mtp_error *err)
{
    if (mtp_cfg_periodic_dims(cfg) != 3 || !(mtp_cfg_volume(cfg) > 0))
        return mtp_fail(err, MTP_ERR_UNSUPPORTED, "%s: a POSCAR needs a 3D periodic cell", name);
    int n = cfg->n_atoms;
    int *order = mtp_calloc((size_t)(n > 0 ? n : 1), sizeof *order);
    if (!order) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    int n_species = 0;
    if (opt && opt->type_map) {
        for (int i = 0; i < n; i++)
            if (cfg->types[i] < 0 || cfg->types[i] >= opt->type_map_count) {
                free(order);
                return mtp_fail(err, MTP_ERR_SPECIES, "%s: type %d is not in the type map", name, cfg->types[i]);
            }
        n_species = opt->type_map_count;
        for (int s = 0; s < n_species; s++) order[s] = s;
    } else {
        for (int i = 0; i < n; i++) order[i] = cfg->types[i];
        qsort(order, (size_t)n, sizeof *order, cmp_int);
        for (int i = 0; i < n; i++)
            if (i == 0 || order[i] != order[n_species - 1]) order[n_species++] = order[i];
    }
    int named = n_species > 0;
    for (int s = 0; s < n_species; s++)
        if (!mtp_writer_symbol_of_type(opt, order[s])) named = 0;

    fputs(named ? "" : "OpenMTP", fp);
    if (named)
        for (int s = 0; s < n_species; s++) fprintf(fp, s ? " %s" : "%s", mtp_writer_symbol_of_type(opt, order[s]));
    fputs("\n1.0\n", fp);
    for (int a = 0; a < 3; a++)
        fprintf(fp, "  %20.12f %20.12f %20.12f\n", cfg->lattice[a][0], cfg->lattice[a][1], cfg->lattice[a][2]);
    if (named) {
        for (int s = 0; s < n_species; s++) fprintf(fp, " %s", mtp_writer_symbol_of_type(opt, order[s]));
        fputc('\n', fp);
    }
    for (int s = 0; s < n_species; s++) {
        int c = 0;
        for (int i = 0; i < n; i++) c += cfg->types[i] == order[s];
        fprintf(fp, " %d", c);
    }
    fputs("\nCartesian\n", fp);
    for (int s = 0; s < n_species; s++)
        for (int i = 0; i < n; i++)
            if (cfg->types[i] == order[s]) {
                const double *x = cfg->positions + 3 * i;
                fprintf(fp, "  %20.12f %20.12f %20.12f\n", x[0], x[1], x[2]);
            }
    free(order);
    if (ferror(fp)) return mtp_fail(err, MTP_ERR_IO, "%s: write error", name);
    return MTP_OK;
}

const mtp_format_ops mtp_format_poscar_ops = {MTP_FORMAT_POSCAR, NULL, NULL, NULL, poscar_write, NULL};
