/* SPDX-License-Identifier: BSD-3-Clause */
/* OpenMTP's KIM model driver: Moment Tensor Potentials for every simulator
 * that speaks the KIM API (LAMMPS `kim`, ASE's KIM calculator, GULP, ...).
 *
 * Thin glue, like pair_mtp/: the potential is read and evaluated by
 * libopenmtp (mtp_potential_read, mtp_sites_eval); this file only turns
 * KIM's particles and neighbour lists into neighbourhoods and the kernel's
 * d_ij = dV_i/dr_ij back into KIM's outputs.
 *
 * Parameter files of a model (kim/README.md):
 *   1. the potential, MLIP-2 .mtp or MLIP-3 .almtp;
 *   2. optional: the element symbols of the potential's species, in its
 *      species order ("Si C"; '#' starts a comment).  Needed when the
 *      potential has relative labels 0,1,...; without it the labels must be
 *      atomic numbers.
 *
 * Units: Å and eV (metal), declared to KIM; the simulator converts or refuses.
 *
 * Energies: the site energy V_i of every contributing particle i; its
 * neighbourhood is every particle j (contributing or padding) with
 * 0 < |x_j - x_i| < cutoff, so the model never asks for neighbours of
 * padding particles.  Forces: +d_ij on i, -d_ij on j (padding included; the
 * simulator folds them back).
 * Virials in KIM's convention, V = sum_pairs r_ij (x) d_ij = -W (W the
 * library's virial, conventions block of openmtp.h), Voigt order
 * (11, 22, 33, 23, 31, 12) = (xx, yy, zz, yz, xz, xy) with the components
 * r_y d_z, r_x d_z, r_x d_y of each pair term (those pair_style mtp uses);
 * per particle, each pair term is split equally between i and j, as in
 * mtp_compute's site_virials and pair_style mtp's per-atom virial.
 */
#include "KIM_LogMacros.h"
#include "KIM_ModelDriverHeaders.h"

#include "openmtp/openmtp.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* sites handed to the kernel at once (mtp_sites_eval batches them) */
#define OPENMTP_KIM_CHUNK 64

typedef struct openmtp_kim_model {
    mtp_potential *pot;
    mtp_calculator *calc;
    int n_species;
    double cutoff;             /* neighbour-list cutoff = influence distance */
    double influence_distance;
    int will_not_request_padding_neighbours;
    /* scratch for one chunk of sites */
    int site_atom[OPENMTP_KIM_CHUNK];
    int site_species[OPENMTP_KIM_CHUNK];
    long site_offset[OPENMTP_KIM_CHUNK + 1];
    double site_energy[OPENMTP_KIM_CHUNK];
    long capacity;             /* neighbour slots allocated below */
    double *rij, *drij;        /* [capacity][3] */
    int *nbh_species, *nbh_index;
} openmtp_kim_model;

int openmtp_kim_driver_create(KIM_ModelDriverCreate *const create,
                              KIM_LengthUnit const requested_length,
                              KIM_EnergyUnit const requested_energy,
                              KIM_ChargeUnit const requested_charge,
                              KIM_TemperatureUnit const requested_temperature,
                              KIM_TimeUnit const requested_time);

static void model_free(openmtp_kim_model *m)
{
    if (!m) return;
    free(m->rij);
    free(m->drij);
    free(m->nbh_species);
    free(m->nbh_index);
    if (m->calc) mtp_calculator_destroy(m->calc);
    if (m->pot) mtp_potential_destroy(m->pot);
    free(m);
}

static int grow_neighbours(openmtp_kim_model *m, long need)
{
    if (need <= m->capacity) return 0;
    long cap = need + need / 2 + 64;
    double *r = realloc(m->rij, (size_t) cap * 3 * sizeof(double));
    if (r) m->rij = r;
    double *d = realloc(m->drij, (size_t) cap * 3 * sizeof(double));
    if (d) m->drij = d;
    int *s = realloc(m->nbh_species, (size_t) cap * sizeof(int));
    if (s) m->nbh_species = s;
    int *x = realloc(m->nbh_index, (size_t) cap * sizeof(int));
    if (x) m->nbh_index = x;
    if (!r || !d || !s || !x) return 1;
    m->capacity = cap;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Creation: potential, species, units, neighbour list, routines       */
/* ------------------------------------------------------------------ */

#undef KIM_LOGGER_FUNCTION_NAME
#define KIM_LOGGER_FUNCTION_NAME KIM_ModelDriverCreate_LogEntry
#undef KIM_LOGGER_OBJECT_NAME
#define KIM_LOGGER_OBJECT_NAME create

/* Element symbols from the species file `path` (shown as `name`) into
 * symbols[n][4]; 0 on success, else msg = "name:line: what was expected". */
static int read_species_file(const char *path, const char *name, int n, char (*symbols)[4],
                             char *msg, size_t msg_size)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(msg, msg_size, "%s: cannot open the species file", name);
        return 1;
    }
    char line[1024];
    int count = 0, lineno = 0, bad = 0;
    while (!bad && fgets(line, sizeof line, fp)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
            if (mtp_element_number(tok) <= 0) {
                snprintf(msg, msg_size, "%s:%d: expected a chemical element symbol, found '%.32s'",
                         name, lineno, tok);
                bad = 1;
                break;
            }
            if (count >= n) {
                snprintf(msg, msg_size,
                         "%s:%d: expected %d element symbols (one per species of the potential), "
                         "found more", name, lineno, n);
                bad = 1;
                break;
            }
            snprintf(symbols[count++], 4, "%s", mtp_element_symbol(mtp_element_number(tok)));
        }
    }
    fclose(fp);
    if (!bad && count != n) {
        snprintf(msg, msg_size, "%s:%d: expected %d element symbols (one per species of the "
                 "potential), found %d", name, lineno, n, count);
        bad = 1;
    }
    return bad;
}

static int parameter_file_path(KIM_ModelDriverCreate *const create, int index, char *path,
                               size_t size, const char **base)
{
    const char *dir = NULL;
    KIM_ModelDriverCreate_GetParameterFileDirectoryName(create, &dir);
    if (KIM_ModelDriverCreate_GetParameterFileBasename(create, index, base) || !dir || !*base)
        return 1;
    return snprintf(path, size, "%s/%s", dir, *base) >= (int) size;
}

static int compute_arguments_create(KIM_ModelCompute const *const compute,
                                    KIM_ModelComputeArgumentsCreate *const args_create);
static int compute_arguments_destroy(KIM_ModelCompute const *const compute,
                                     KIM_ModelComputeArgumentsDestroy *const args_destroy);
static int model_compute(KIM_ModelCompute const *const compute,
                         KIM_ModelComputeArguments const *const args);
static int model_destroy(KIM_ModelDestroy *const destroy);

int openmtp_kim_driver_create(KIM_ModelDriverCreate *const create,
                              KIM_LengthUnit const requested_length,
                              KIM_EnergyUnit const requested_energy,
                              KIM_ChargeUnit const requested_charge,
                              KIM_TemperatureUnit const requested_temperature,
                              KIM_TimeUnit const requested_time)
{
    (void) requested_length;
    (void) requested_energy;
    (void) requested_charge;
    (void) requested_temperature;
    (void) requested_time;
    char msg[MTP_ERROR_MESSAGE_SIZE + 256];
    char path[4096];
    const char *base = NULL;
    mtp_error err;
    err.message[0] = '\0';

    int n_files = 0;
    KIM_ModelDriverCreate_GetNumberOfParameterFiles(create, &n_files);
    if (n_files < 1 || n_files > 2) {
        snprintf(msg, sizeof msg, "OpenMTP driver: expected 1 or 2 parameter files (the potential, "
                 "then optionally the species file), got %d", n_files);
        LOG_ERROR(msg);
        return 1;
    }

    openmtp_kim_model *m = calloc(1, sizeof *m);
    if (!m) {
        LOG_ERROR("OpenMTP driver: out of memory");
        return 1;
    }
    if (parameter_file_path(create, 0, path, sizeof path, &base)) {
        LOG_ERROR("OpenMTP driver: cannot get the name of parameter file 1 (the potential)");
        model_free(m);
        return 1;
    }
    if (mtp_potential_read(path, &m->pot, &err) != MTP_OK) {
        snprintf(msg, sizeof msg, "OpenMTP driver: cannot read the potential (parameter file 1, "
                 "%s): %s", base, err.message);
        LOG_ERROR(msg);
        model_free(m);
        return 1;
    }
    mtp_potential_info info = mtp_potential_get_info(m->pot);
    if (!info.trained) {
        snprintf(msg, sizeof msg, "OpenMTP driver: potential %s is untrained (it has no "
                 "coefficients)", base);
        LOG_ERROR(msg);
        model_free(m);
        return 1;
    }
    if (mtp_calculator_create(m->pot, &m->calc, &err) != MTP_OK) {
        snprintf(msg, sizeof msg, "OpenMTP driver: %s", err.message);
        LOG_ERROR(msg);
        model_free(m);
        return 1;
    }
    m->n_species = mtp_potential_species_count(m->pot);
    m->cutoff = mtp_potential_cutoff(m->pot);
    m->influence_distance = m->cutoff;
    m->will_not_request_padding_neighbours = 1;
    if (!(m->cutoff > 0.0) || !isfinite(m->cutoff) || m->n_species < 1) {
        snprintf(msg, sizeof msg, "OpenMTP driver: potential %s has %d species and cutoff %g; "
                 "expected at least one species and a finite cutoff > 0", base, m->n_species,
                 m->cutoff);
        LOG_ERROR(msg);
        model_free(m);
        return 1;
    }

    /* species index s <-> element symbol */
    char (*symbols)[4] = calloc((size_t) m->n_species, sizeof *symbols);
    if (!symbols) {
        LOG_ERROR("OpenMTP driver: out of memory");
        model_free(m);
        return 1;
    }
    int bad = 0;
    if (n_files == 2) {
        const char *sbase = NULL;
        if (parameter_file_path(create, 1, path, sizeof path, &sbase)) {
            LOG_ERROR("OpenMTP driver: cannot get the name of parameter file 2 (the species file)");
            bad = 1;
        } else if (read_species_file(path, sbase, m->n_species, symbols, msg, sizeof msg)) {
            LOG_ERROR(msg);
            bad = 1;
        }
    } else {
        for (int s = 0; s < m->n_species && !bad; s++) {
            const int label = mtp_potential_species_label(m->pot, s);
            const char *el = mtp_element_symbol(label);
            if (!el) {
                snprintf(msg, sizeof msg, "OpenMTP driver: potential %s has species label %d, "
                         "which is not an atomic number (relative labels 0,1,...); name the "
                         "elements in a second parameter file (the species file, e.g. \"Si C\")",
                         base, label);
                LOG_ERROR(msg);
                bad = 1;
            } else {
                snprintf(symbols[s], 4, "%s", el);
            }
        }
    }
    for (int s = 0; s < m->n_species && !bad; s++)
        for (int t = 0; t < s && !bad; t++)
            if (!strcmp(symbols[s], symbols[t])) {
                snprintf(msg, sizeof msg, "OpenMTP driver: element %s is given to species %d and "
                         "%d; each species needs its own element", symbols[s], t, s);
                LOG_ERROR(msg);
                bad = 1;
            }
    for (int s = 0; s < m->n_species && !bad; s++) {
        KIM_SpeciesName name = KIM_SpeciesName_FromString(symbols[s]);
        if (!KIM_SpeciesName_Known(name) || KIM_ModelDriverCreate_SetSpeciesCode(create, name, s)) {
            snprintf(msg, sizeof msg, "OpenMTP driver: KIM does not accept species %s",
                     symbols[s]);
            LOG_ERROR(msg);
            bad = 1;
        }
    }
    free(symbols);
    if (bad) {
        model_free(m);
        return 1;
    }

    if (KIM_ModelDriverCreate_SetUnits(create, KIM_LENGTH_UNIT_A, KIM_ENERGY_UNIT_eV,
                                       KIM_CHARGE_UNIT_unused, KIM_TEMPERATURE_UNIT_unused,
                                       KIM_TIME_UNIT_unused) ||
        KIM_ModelDriverCreate_SetModelNumbering(create, KIM_NUMBERING_zeroBased)) {
        LOG_ERROR("OpenMTP driver: KIM refused the units (A, eV) or the zero-based numbering");
        model_free(m);
        return 1;
    }
    KIM_ModelDriverCreate_SetInfluenceDistancePointer(create, &m->influence_distance);
    KIM_ModelDriverCreate_SetNeighborListPointers(create, 1, &m->cutoff,
                                                  &m->will_not_request_padding_neighbours);
    if (KIM_ModelDriverCreate_SetRoutinePointer(create, KIM_MODEL_ROUTINE_NAME_ComputeArgumentsCreate,
                                                KIM_LANGUAGE_NAME_c, 1,
                                                (KIM_Function *) compute_arguments_create) ||
        KIM_ModelDriverCreate_SetRoutinePointer(create, KIM_MODEL_ROUTINE_NAME_Compute,
                                                KIM_LANGUAGE_NAME_c, 1,
                                                (KIM_Function *) model_compute) ||
        KIM_ModelDriverCreate_SetRoutinePointer(create, KIM_MODEL_ROUTINE_NAME_ComputeArgumentsDestroy,
                                                KIM_LANGUAGE_NAME_c, 1,
                                                (KIM_Function *) compute_arguments_destroy) ||
        KIM_ModelDriverCreate_SetRoutinePointer(create, KIM_MODEL_ROUTINE_NAME_Destroy,
                                                KIM_LANGUAGE_NAME_c, 1,
                                                (KIM_Function *) model_destroy)) {
        LOG_ERROR("OpenMTP driver: KIM refused a routine pointer");
        model_free(m);
        return 1;
    }
    KIM_ModelDriverCreate_SetModelBufferPointer(create, m);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Compute arguments: what the driver can deliver                      */
/* ------------------------------------------------------------------ */

#undef KIM_LOGGER_FUNCTION_NAME
#define KIM_LOGGER_FUNCTION_NAME KIM_ModelComputeArgumentsCreate_LogEntry
#undef KIM_LOGGER_OBJECT_NAME
#define KIM_LOGGER_OBJECT_NAME args_create

static int compute_arguments_create(KIM_ModelCompute const *const compute,
                                    KIM_ModelComputeArgumentsCreate *const args_create)
{
    (void) compute;
    /* MTP is not a pair potential: ProcessDEDrTerm / ProcessD2EDr2Term stay notSupported */
    const KIM_ComputeArgumentName optional[] = {
        KIM_COMPUTE_ARGUMENT_NAME_partialEnergy, KIM_COMPUTE_ARGUMENT_NAME_partialForces,
        KIM_COMPUTE_ARGUMENT_NAME_partialParticleEnergy, KIM_COMPUTE_ARGUMENT_NAME_partialVirial,
        KIM_COMPUTE_ARGUMENT_NAME_partialParticleVirial};
    for (size_t k = 0; k < sizeof optional / sizeof optional[0]; k++)
        if (KIM_ModelComputeArgumentsCreate_SetArgumentSupportStatus(args_create, optional[k],
                                                                     KIM_SUPPORT_STATUS_optional)) {
            LOG_ERROR("OpenMTP driver: cannot declare the supported compute arguments");
            return 1;
        }
    return 0;
}

static int compute_arguments_destroy(KIM_ModelCompute const *const compute,
                                     KIM_ModelComputeArgumentsDestroy *const args_destroy)
{
    (void) compute;
    (void) args_destroy;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Compute                                                             */
/* ------------------------------------------------------------------ */

#undef KIM_LOGGER_FUNCTION_NAME
#define KIM_LOGGER_FUNCTION_NAME KIM_ModelCompute_LogEntry
#undef KIM_LOGGER_OBJECT_NAME
#define KIM_LOGGER_OBJECT_NAME compute

/* Neighbourhoods of the contributing particles first .. end-1 (at most
 * OPENMTP_KIM_CHUNK of them) into the model's scratch; returns the number of
 * sites, or -1 with msg set. */
static int gather_chunk(openmtp_kim_model *m, KIM_ModelComputeArguments const *const args,
                        int n_particles, const int *species, const int *contributing,
                        const double *x, int *next, char *msg, size_t msg_size)
{
    const double cutsq = m->cutoff * m->cutoff;
    int ns = 0;
    long tot = 0;
    m->site_offset[0] = 0;
    int i = *next;
    for (; i < n_particles && ns < OPENMTP_KIM_CHUNK; i++) {
        if (!contributing[i]) continue;
        int n_nbh = 0;
        const int *nbh = NULL;
        if (KIM_ModelComputeArguments_GetNeighborList(args, 0, i, &n_nbh, &nbh)) {
            snprintf(msg, msg_size, "OpenMTP driver: GetNeighborList failed for particle %d", i);
            return -1;
        }
        if (grow_neighbours(m, tot + n_nbh)) {
            snprintf(msg, msg_size, "OpenMTP driver: out of memory (%ld neighbours)",
                     (long) (tot + n_nbh));
            return -1;
        }
        const double *xi = x + 3 * (size_t) i;
        long n = tot;
        for (int jj = 0; jj < n_nbh; jj++) {
            const int j = nbh[jj];
            const double dx = x[3 * (size_t) j] - xi[0], dy = x[3 * (size_t) j + 1] - xi[1],
                         dz = x[3 * (size_t) j + 2] - xi[2];
            const double rsq = dx * dx + dy * dy + dz * dz;
            if (!(rsq < cutsq)) continue;     /* KIM lists reach cutoff + skin */
            if (rsq == 0.0) {
                snprintf(msg, msg_size, "OpenMTP driver: particles %d and %d are at the same "
                         "position", i, j);
                return -1;
            }
            m->rij[3 * n] = dx;
            m->rij[3 * n + 1] = dy;
            m->rij[3 * n + 2] = dz;
            m->nbh_species[n] = species[j];
            m->nbh_index[n] = j;
            n++;
        }
        m->site_atom[ns] = i;
        m->site_species[ns] = species[i];
        tot = n;
        m->site_offset[++ns] = tot;
    }
    *next = i;
    return ns;
}

static int model_compute(KIM_ModelCompute const *const compute,
                         KIM_ModelComputeArguments const *const args)
{
    openmtp_kim_model *m = NULL;
    KIM_ModelCompute_GetModelBufferPointer(compute, (void **) &m);
    char msg[MTP_ERROR_MESSAGE_SIZE + 256];

    int *n_particles_p = NULL, *species = NULL, *contributing = NULL;
    double *x = NULL, *energy = NULL, *forces = NULL, *particle_energy = NULL, *virial = NULL,
           *particle_virial = NULL;
    if (KIM_ModelComputeArguments_GetArgumentPointerInteger(
            args, KIM_COMPUTE_ARGUMENT_NAME_numberOfParticles, &n_particles_p) ||
        KIM_ModelComputeArguments_GetArgumentPointerInteger(
            args, KIM_COMPUTE_ARGUMENT_NAME_particleSpeciesCodes, &species) ||
        KIM_ModelComputeArguments_GetArgumentPointerInteger(
            args, KIM_COMPUTE_ARGUMENT_NAME_particleContributing, &contributing) ||
        KIM_ModelComputeArguments_GetArgumentPointerDouble(
            args, KIM_COMPUTE_ARGUMENT_NAME_coordinates, &x) ||
        KIM_ModelComputeArguments_GetArgumentPointerDouble(
            args, KIM_COMPUTE_ARGUMENT_NAME_partialEnergy, &energy) ||
        KIM_ModelComputeArguments_GetArgumentPointerDouble(
            args, KIM_COMPUTE_ARGUMENT_NAME_partialForces, &forces) ||
        KIM_ModelComputeArguments_GetArgumentPointerDouble(
            args, KIM_COMPUTE_ARGUMENT_NAME_partialParticleEnergy, &particle_energy) ||
        KIM_ModelComputeArguments_GetArgumentPointerDouble(
            args, KIM_COMPUTE_ARGUMENT_NAME_partialVirial, &virial) ||
        KIM_ModelComputeArguments_GetArgumentPointerDouble(
            args, KIM_COMPUTE_ARGUMENT_NAME_partialParticleVirial, &particle_virial)) {
        LOG_ERROR("OpenMTP driver: cannot get the compute argument pointers");
        return 1;
    }
    const int n = *n_particles_p;
    for (int i = 0; i < n; i++)
        if (species[i] < 0 || species[i] >= m->n_species) {
            snprintf(msg, sizeof msg, "OpenMTP driver: particle %d has species code %d; the "
                     "model has codes 0..%d", i, species[i], m->n_species - 1);
            LOG_ERROR(msg);
            return 1;
        }

    for (long k = 0; k < 3L * n; k++)
        if (!isfinite(x[k])) {
            snprintf(msg, sizeof msg, "OpenMTP driver: particle %ld has a non-finite position",
                     k / 3);
            LOG_ERROR(msg);
            return 1;
        }

    if (energy) *energy = 0.0;
    if (forces) memset(forces, 0, (size_t) n * 3 * sizeof(double));
    if (particle_energy) memset(particle_energy, 0, (size_t) n * sizeof(double));
    if (virial) memset(virial, 0, 6 * sizeof(double));
    if (particle_virial) memset(particle_virial, 0, (size_t) n * 6 * sizeof(double));
    const int need_d = forces || virial || particle_virial;

    mtp_error err;
    err.message[0] = '\0';
    int next = 0;
    while (next < n) {
        const int ns = gather_chunk(m, args, n, species, contributing, x, &next, msg, sizeof msg);
        if (ns < 0) {
            LOG_ERROR(msg);
            return 1;
        }
        if (ns == 0) break;
        if (mtp_sites_eval(m->calc, ns, m->site_species, m->site_offset, m->nbh_species, m->rij,
                           m->site_energy, m->drij, NULL, &err) != MTP_OK) {
            snprintf(msg, sizeof msg, "OpenMTP driver: %s", err.message);
            LOG_ERROR(msg);
            return 1;
        }
        for (int s = 0; s < ns; s++) {
            const int i = m->site_atom[s];
            const double ei = m->site_energy[s];
            int finite = isfinite(ei);
            for (long k = 3 * m->site_offset[s]; finite && need_d && k < 3 * m->site_offset[s + 1]; k++)
                finite = isfinite(m->drij[k]);
            if (!finite) {
                snprintf(msg, sizeof msg, "OpenMTP driver: particle %d: non-finite energy or "
                         "force (the potential overflows here)", i);
                LOG_ERROR(msg);
                return 1;
            }
            if (energy) *energy += ei;
            if (particle_energy) particle_energy[i] += ei;
            if (!need_d) continue;
            for (long k = m->site_offset[s]; k < m->site_offset[s + 1]; k++) {
                const int j = m->nbh_index[k];
                const double *d = m->drij + 3 * k, *r = m->rij + 3 * k;
                if (forces) {
                    for (int c = 0; c < 3; c++) {
                        forces[3 * (size_t) i + c] += d[c];
                        forces[3 * (size_t) j + c] -= d[c];
                    }
                }
                if (virial || particle_virial) {
                    const double v[6] = {r[0] * d[0], r[1] * d[1], r[2] * d[2],
                                         r[1] * d[2], r[0] * d[2], r[0] * d[1]};
                    if (virial)
                        for (int c = 0; c < 6; c++) virial[c] += v[c];
                    if (particle_virial)
                        for (int c = 0; c < 6; c++) {
                            particle_virial[6 * (size_t) i + c] += 0.5 * v[c];
                            particle_virial[6 * (size_t) j + c] += 0.5 * v[c];
                        }
                }
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Destroy (no Refresh: the model publishes no parameters, and KIM      */
/* refuses a Refresh routine without them)                              */
/* ------------------------------------------------------------------ */

static int model_destroy(KIM_ModelDestroy *const destroy)
{
    openmtp_kim_model *m = NULL;
    KIM_ModelDestroy_GetModelBufferPointer(destroy, (void **) &m);
    model_free(m);
    return 0;
}
