/* SPDX-License-Identifier: BSD-3-Clause */
/* Error statistics of predicted energies, forces and stresses, reported
 * like MLIP's check_errors, plus component-wise MAE/RMSE. */
#include "cli.h"

#include <math.h>
#include <string.h>

#define EV_PER_A3_IN_GPA 160.2176487 /* MLIP's constant in this report */

void efs_errors_init(efs_errors *e) { memset(e, 0, sizeof *e); }

static void acc_add(err_acc *a, double diff, double ref)
{
    a->n++;
    if (diff > a->max) a->max = diff;
    a->sum += diff;
    a->sum2 += diff * diff;
    if (fabs(ref) > a->ref_max) a->ref_max = fabs(ref);
    a->ref_sum2 += ref * ref;
}

static void acc_comp(err_acc *a, double d)
{
    a->comp_n++;
    a->comp_sum += fabs(d);
    a->comp_sum2 += d * d;
}

/* One compared value of the parity data (efs_errors_add_values): %.17g, so
 * that what a plot recomputes from the file is what the report sums. */
static void value_row(FILE *fp, const char *quantity, long cfg_number, int atom, int type, const char *component,
                      double ref, double pred, double diff)
{
    if (!fp) return;
    fprintf(fp, "%s\t%ld\t", quantity, cfg_number);
    if (atom > 0) fprintf(fp, "%d\t%d\t", atom, type);
    else fputs("-\t-\t", fp);
    fprintf(fp, "%s\t%.17g\t%.17g\t%.17g\n", component, ref, pred, diff);
}

void efs_errors_values_header(FILE *fp, const char *pot, const char *db)
{
    fprintf(fp,
            "# mtp check_errors parity data: potential %s, reference %s\n"
            "# every value the component-wise MAE/RMSE of the report are taken over, one per row:\n"
            "# energy_per_atom in eV/atom, force in eV/A, stress = virial W/V in GPa (Voigt components);\n"
            "# difference = predicted - reference as the report sums it; atom: 1-based index, type: as in the file\n"
            "quantity\tcfg\tatom\ttype\tcomponent\treference\tpredicted\tdifference\n",
            pot, db);
}

void efs_errors_add(efs_errors *e, const mtp_cfg *ref, double E, const double *F, const double *W)
{
    efs_errors_add_values(e, ref, E, F, W, NULL, 0);
}

void efs_errors_add_values(efs_errors *e, const mtp_cfg *ref, double E, const double *F, const double *W,
                           FILE *values, long cfg_number)
{
    int n = ref->n_atoms;
    if (n == 0) return;
    double w[3];
    mtp_cfg_fit_weights(ref, w, NULL);
    if (ref->has_energy && w[0] == 0) {
        e->left_out_energies++;
    } else if (ref->has_energy) {
        double d = E - ref->energy;
        acc_add(&e->energy, fabs(d), ref->energy);
        acc_add(&e->energy_per_atom, fabs(d) / n, ref->energy / n);
        acc_comp(&e->energy_per_atom, d / n);
        value_row(values, "energy_per_atom", cfg_number, 0, 0, "-", ref->energy / n, E / n, d / n);
    }
    if (ref->forces && F)
        for (int i = 0; i < n; i++) {
            if (w[1] == 0 || (ref->force_weights && ref->force_weights[i] == 0)) {
                e->left_out_forces++;
                continue;
            }
            double d2 = 0, r2 = 0;
            for (int a = 0; a < 3; a++) {
                double d = F[3 * i + a] - ref->forces[3 * i + a];
                d2 += d * d;
                r2 += ref->forces[3 * i + a] * ref->forces[3 * i + a];
                acc_comp(&e->forces, d);
                static const char *const xyz[3] = {"x", "y", "z"};
                value_row(values, "force", cfg_number, i + 1, ref->types[i], xyz[a], ref->forces[3 * i + a],
                          F[3 * i + a], d);
            }
            acc_add(&e->forces, sqrt(d2), sqrt(r2));
        }
    if (ref->has_stress && W && w[2] == 0) {
        e->left_out_stresses++;
    } else if (ref->has_stress && W) {
        /* all nine components of the symmetric tensor (off-diagonals twice) */
        static const double w9[6] = {1, 1, 1, 2, 2, 2};
        double d2 = 0, r2 = 0;
        for (int k = 0; k < 6; k++) {
            double d = W[k] - ref->stress[k];
            d2 += w9[k] * d * d;
            r2 += w9[k] * ref->stress[k] * ref->stress[k];
        }
        acc_add(&e->stress, sqrt(d2), sqrt(r2));
        double vol = mtp_cfg_volume(ref);
        if (vol > 0) {
            double s = EV_PER_A3_IN_GPA / vol;
            acc_add(&e->virial_gpa, sqrt(d2) * s, sqrt(r2) * s);
            static const char *const voigt[6] = {"xx", "yy", "zz", "yz", "xz", "xy"};
            for (int k = 0; k < 6; k++) {
                acc_comp(&e->virial_gpa, (W[k] - ref->stress[k]) * s);
                value_row(values, "stress", cfg_number, 0, 0, voigt[k], ref->stress[k] * s, W[k] * s,
                          (W[k] - ref->stress[k]) * s);
            }
        }
    }
}

static void print_block(FILE *fp, const char *title, const char *what, const err_acc *a, int ratios,
                        const char *ratio_name, int last)
{
    fprintf(fp, "%s:\n\tErrors checked for %ld %s\n", title, a->n, what);
    double avg = a->n ? a->sum / a->n : 0, rms = a->n ? sqrt(a->sum2 / a->n) : 0;
    fprintf(fp, "\tMaximal absolute difference = %g\n", a->max);
    fprintf(fp, "\tAverage absolute difference = %g\n", avg);
    fprintf(fp, "\tRMS     absolute difference = %g\n", rms);
    if (ratios) {
        double rr = a->n ? sqrt(a->ref_sum2 / a->n) : 0;
        fprintf(fp, "\tMax(%sDiff) / Max(%s) = %g\n", ratio_name, ratio_name, a->ref_max > 0 ? a->max / a->ref_max : 0);
        fprintf(fp, "\tRMS(%sDiff) / RMS(%s) = %g\n", ratio_name, ratio_name, rr > 0 ? rms / rr : 0);
    }
    if (!last) fputc('\n', fp);
}

void efs_errors_print(FILE *fp, const efs_errors *e)
{
    fprintf(fp, "_________________Errors report_________________\n");
    print_block(fp, "Energy", "configurations", &e->energy, 0, NULL, 0);
    print_block(fp, "Energy per atom", "configurations", &e->energy_per_atom, 0, NULL, 0);
    print_block(fp, "Forces", "atoms", &e->forces, 1, "Force", 0);
    print_block(fp, "Stresses (in energy units)", "configurations", &e->stress, 1, "Stres", 0);
    print_block(fp, "Virial stresses (in pressure units)", "configurations", &e->virial_gpa, 1, "Stres", 1);
    fprintf(fp, "_______________________________________________\n\n");
    fprintf(fp, "MAE / RMSE (component-wise):\n");
    const err_acc *ea = &e->energy_per_atom, *fa = &e->forces, *sa = &e->virial_gpa;
    if (ea->comp_n)
        fprintf(fp, "\tEnergy per atom   MAE %10.4f  RMSE %10.4f  meV/atom  (%ld configurations)\n",
                1e3 * ea->comp_sum / ea->comp_n, 1e3 * sqrt(ea->comp_sum2 / ea->comp_n), ea->comp_n);
    if (fa->comp_n)
        fprintf(fp, "\tForces            MAE %10.4f  RMSE %10.4f  eV/A      (%ld components)\n",
                fa->comp_sum / fa->comp_n, sqrt(fa->comp_sum2 / fa->comp_n), fa->comp_n);
    if (sa->comp_n)
        fprintf(fp, "\tStress            MAE %10.4f  RMSE %10.4f  GPa       (%ld components)\n",
                sa->comp_sum / sa->comp_n, sqrt(sa->comp_sum2 / sa->comp_n), sa->comp_n);
    if (e->left_out_energies || e->left_out_forces || e->left_out_stresses)
        fprintf(fp,
                "Left out (weight 0, not fitted): forces of %ld atoms, energies of %ld configurations, stresses of %ld "
                "configurations\n",
                e->left_out_forces, e->left_out_energies, e->left_out_stresses);
}
