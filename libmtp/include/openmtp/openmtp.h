/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenMTP - Moment Tensor Potentials in C.
 * Public interface of libopenmtp.  One header, one set of conventions.
 *
 * ===================================================================
 * CONVENTIONS (read once; every function below follows them)
 * ===================================================================
 * Units ("metal", as in MLIP and LAMMPS `units metal`):
 *   lengths Å, energies eV, forces eV/Å, virials eV.
 *
 * Virial / stress sign.  The library reports the virial
 *     W_ab = -dE/d(eps_ab)    (eV)
 *   for a homogeneous strain x -> (I + eps) x of cell and positions.
 *   W = -V * sigma (sigma the tensile-positive Cauchy stress): positive
 *   diagonal entries mean the configuration is compressed and wants to
 *   expand.  W is exactly MLIP's "PlusStress", LAMMPS' virial in metal
 *   units, and VASP's "FORCE on cell =-STRESS ... Total" row.  Pressure
 *   is P = tr(W) / (3V); 1 eV/Å^3 = 160.21766208 GPa.  Readers of other
 *   formats convert to W on input (ASE `stress` = -W/V in eV/Å^3, VASP
 *   "in kB" * V / 1602.1766208); each reader's conversion is documented
 *   next to it in the source and in docs/formats.md.
 *
 * Six-component tensors use MLIP's text order
 *     [xx, yy, zz, yz, xz, xy]        (Voigt order)
 *   Nine-component tensors are row-major [xx xy xz yx yy yz zx zy zz].
 *
 * Arrays: per-atom vectors are row-major [n_atoms][3] in one flat double
 *   array.  Lattice vectors are the ROWS of lattice[3][3] (a, b, c).  A
 *   zero row means "not periodic along that direction"; an all-zero
 *   lattice is a non-periodic cluster.
 *
 * Relative vectors: r_ij = x_j - x_i (from the central atom i to its
 *   neighbour j, periodic images included).  Neighbours are all atoms
 *   and images with 0 < |r_ij| < cutoff (strict), as in MLIP.
 *
 * Species.  Atom "types" in configurations are the integers MLIP stores
 *   (relative 0,1,2,... or atomic numbers).  A potential holds an
 *   ordered list of species labels; type t is evaluated as the species
 *   whose label equals t.  mtp_potential_species_index() maps a type to
 *   the 0-based species index that the kernel takes.  A configuration
 *   none of whose types is a label holds relative types 0..S-1 (MLIP's
 *   files), read as the species in the potential's order; one that holds
 *   any label must hold labels only, so that e.g. an H atom (type 1) in a
 *   Li-P-S frame with atomic-number types is an error, never species 1
 *   (mtp_potential_cfg_species()).  For potentials that do not name their
 *   species (labels 0..S-1) both readings are the same.
 *
 * Parameters theta (for fitting and active learning), MLIP's order:
 *   [ radial coeffs (S*S*K*R; index ((s1*S + s2)*K + mu)*R + beta,
 *     s1 central species, s2 neighbour species) | species coeffs (S)
 *     | moment coeffs (A) ].
 *
 * Errors.  Every fallible function returns mtp_status and, when `err`
 *   is not NULL, fills err->message with a one-line explanation; for
 *   malformed files the message starts with "file:line: ".  The library
 *   never prints, never aborts, never calls exit().
 *
 * Optional outputs.  Output pointers passed as NULL are not computed.
 *
 * Threads.  Potentials are immutable after loading and may be shared
 *   between threads; an mtp_calculator holds scratch memory and belongs
 *   to one thread at a time.
 * ===================================================================
 */
#ifndef OPENMTP_H
#define OPENMTP_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OPENMTP_VERSION_MAJOR 0
#define OPENMTP_VERSION_MINOR 1
#define OPENMTP_VERSION_PATCH 0
#define OPENMTP_VERSION_STRING "0.1.0"

const char *mtp_version(void);

/* ------------------------------------------------------------------ */
/* Status codes and error reports                                      */
/* ------------------------------------------------------------------ */
typedef enum mtp_status {
    MTP_OK = 0,
    MTP_ERR_NOMEM,       /* allocation failed or a size is absurd          */
    MTP_ERR_IO,          /* a file cannot be opened, read or written       */
    MTP_ERR_PARSE,       /* malformed input; message is "file:line: ..."   */
    MTP_ERR_INVALID,     /* invalid argument or inconsistent data          */
    MTP_ERR_SPECIES,     /* an atom type the potential does not know       */
    MTP_ERR_GEOMETRY,    /* NaN/Inf positions, overlapping atoms, singular
                            cell, atoms closer than min_dist (if refused)  */
    MTP_ERR_UNTRAINED,   /* potential has no coefficients                  */
    MTP_ERR_UNSUPPORTED  /* valid input using a feature not supported      */
} mtp_status;

#define MTP_ERROR_MESSAGE_SIZE 1024
typedef struct mtp_error {
    mtp_status status;
    char message[MTP_ERROR_MESSAGE_SIZE];
} mtp_error;

/* Short fixed description of a status ("parse error", ...). */
const char *mtp_status_string(mtp_status status);

/* ------------------------------------------------------------------ */
/* Chemical elements                                                   */
/* ------------------------------------------------------------------ */
/* Atomic number of an element symbol ("Li" -> 3), 0 if unknown. */
int mtp_element_number(const char *symbol);
/* Symbol of atomic number z (1..118), NULL otherwise. */
const char *mtp_element_symbol(int z);

/* ------------------------------------------------------------------ */
/* Configurations (one atomic structure with optional reference data)  */
/* ------------------------------------------------------------------ */
typedef struct mtp_feature {
    char *key;
    char *value;            /* may contain '\n' for multi-line features */
} mtp_feature;

/* A transparent record: the arrays are owned by the struct and released
 * by mtp_cfg_free().  Optional per-atom arrays are NULL when absent.   */
typedef struct mtp_cfg {
    int n_atoms;
    double lattice[3][3];    /* rows a, b, c (Å); zero row = not periodic */
    int *types;              /* [n] atom types (never NULL if n > 0)      */
    double *positions;       /* [n][3] Cartesian, Å (never NULL if n > 0) */
    double *forces;          /* [n][3] eV/Å or NULL                       */
    double *site_energies;   /* [n] eV or NULL                            */
    double *charges;         /* [n] or NULL                               */
    double *magmom;          /* [n][3] or NULL                            */
    double *en_der_magmom;   /* [n][3] or NULL                            */
    unsigned char *ghost;    /* [n] 0/1 or NULL                           */
    double *nbh_grades;      /* [n] or NULL                               */
    int has_energy;
    double energy;           /* eV                                        */
    int has_stress;
    double stress[6];        /* virial W (PlusStress), eV, xx yy zz yz xz xy */
    int n_features;
    mtp_feature *features;   /* in insertion order                        */
    /* [n] per-atom force weights (AtomData column `force_weight`, an
     * OpenMTP extension MLIP does not know): finite, >= 0; 1 = fit this
     * atom's force fully, 0 = ignore it.  NULL = all 1. */
    double *force_weights;
} mtp_cfg;

/* Optional per-atom arrays, for mtp_cfg_alloc(). */
enum {
    MTP_CFG_FORCES = 1 << 0,
    MTP_CFG_SITE_ENERGIES = 1 << 1,
    MTP_CFG_CHARGES = 1 << 2,
    MTP_CFG_MAGMOM = 1 << 3,
    MTP_CFG_EN_DER_MAGMOM = 1 << 4,
    MTP_CFG_GHOST = 1 << 5,
    MTP_CFG_NBH_GRADES = 1 << 6,
    MTP_CFG_FORCE_WEIGHTS = 1 << 7
};

void mtp_cfg_init(mtp_cfg *cfg);                      /* empty, no allocation */
void mtp_cfg_free(mtp_cfg *cfg);                      /* back to empty        */
/* (Re)allocate for n atoms: types/positions zeroed, plus the optional
 * arrays named in `flags` (MTP_CFG_*); other optional arrays are freed. */
mtp_status mtp_cfg_alloc(mtp_cfg *cfg, int n_atoms, unsigned flags, mtp_error *err);
/* Allocate one optional array (zeroed) if it does not exist yet. */
mtp_status mtp_cfg_add_array(mtp_cfg *cfg, unsigned flag, mtp_error *err);
mtp_status mtp_cfg_copy(mtp_cfg *dst, const mtp_cfg *src, mtp_error *err);
/* Set (replace) a feature; value may be NULL for "". */
mtp_status mtp_cfg_set_feature(mtp_cfg *cfg, const char *key, const char *value, mtp_error *err);
/* Append "\n" + value to an existing feature, or create it. */
mtp_status mtp_cfg_append_feature(mtp_cfg *cfg, const char *key, const char *value, mtp_error *err);
const char *mtp_cfg_get_feature(const mtp_cfg *cfg, const char *key); /* NULL if absent */
/* The fit weights of a configuration, as `mtp train` applies them and
 * `mtp check_errors` honours them (weight 0 = not fitted, not reported):
 * w[0], w[1], w[2] = Weight x EnergyWeight, Weight x ForceWeight,
 * Weight x StressWeight (features; 1 when absent).  The force of atom i
 * has weight w[1] x force_weights[i] when the force_weight column exists.
 * MTP_ERR_INVALID ("feature K = 'V' is not a non-negative number", "atom
 * I: force_weight X is not a finite number >= 0") if a feature or a
 * force_weight is not a finite number >= 0; w is then all 1. */
mtp_status mtp_cfg_fit_weights(const mtp_cfg *cfg, double w[3], mtp_error *err);
void mtp_cfg_remove_feature(mtp_cfg *cfg, const char *key);
/* Number of periodic directions (non-zero lattice rows). */
int mtp_cfg_periodic_dims(const mtp_cfg *cfg);
/* |det(lattice)|, 0 unless all three rows are set. */
double mtp_cfg_volume(const mtp_cfg *cfg);
/* The same lattice in a reduced basis, as every image builder of the
 * library uses it: each non-zero row replaced by the shortest vector of
 * row + integer combinations of the other non-zero rows (Minkowski-style
 * greedy reduction), zero rows kept zero, rows never reordered; a lattice
 * that is already reduced comes back bit for bit.  Results do not depend
 * on the basis a lattice is given in.  MTP_ERR_GEOMETRY if a row is not
 * finite or the rows are (nearly) linearly dependent.  reduced may be
 * lattice. */
mtp_status mtp_lattice_reduce(const double lattice[3][3], double reduced[3][3], mtp_error *err);

/* ------------------------------------------------------------------ */
/* Configuration files                                                 */
/* ------------------------------------------------------------------ */
typedef enum mtp_format {
    MTP_FORMAT_AUTO = 0,     /* from content / file name              */
    MTP_FORMAT_CFG,          /* MLIP text .cfg                        */
    MTP_FORMAT_CFG_BIN,      /* MLIP binary .cfg (read, write)        */
    MTP_FORMAT_XYZ,          /* extended XYZ as ASE writes it         */
    MTP_FORMAT_OUTCAR,       /* VASP OUTCAR (read)                    */
    MTP_FORMAT_VASPRUN,      /* VASP vasprun.xml (read)               */
    MTP_FORMAT_CP2K,         /* CP2K output log (read)                */
    MTP_FORMAT_LAMMPS_DUMP,  /* LAMMPS text dump (read, write)        */
    MTP_FORMAT_LAMMPS_DATA,  /* LAMMPS data file, atomic style (read, write) */
    MTP_FORMAT_POSCAR,       /* VASP POSCAR (write)                   */
    MTP_FORMAT_CP2K_MD,      /* CP2K MD trajectory PREFIX-pos-1.xyz + -frc-1.xyz,
                                -1.cell, -1.stress, -vel-1.xyz (read) */
    MTP_FORMAT_QE            /* Quantum ESPRESSO pw.x output (read)   */
} mtp_format;

/* Parse a format name: "cfg"/"txt", "bin", "xyz"/"extxyz", "outcar",
 * "vasprun", "cp2k", "lammps_dump", "lammps_data"/"lammps_datafile",
 * "poscar", "cp2k_md"/"cp2k-md", "qe"/"espresso".  Returns MTP_FORMAT_AUTO for
 * "auto" and -1 if unknown. */
int mtp_format_from_name(const char *name);
const char *mtp_format_name(mtp_format fmt);
/* Guess from a file name (extension / well-known names); AUTO if none. */
mtp_format mtp_format_guess(const char *path);

typedef struct mtp_read_options {
    /* Element symbols for types 0,1,2,... when a format names elements
     * (XYZ, OUTCAR, vasprun, CP2K, LAMMPS with element columns).  NULL:
     * OUTCAR/vasprun use the POTCAR order (MLIP's relative types); the
     * other formats use atomic numbers. */
    const char *const *type_map;
    int type_map_count;
    int absolute_types;      /* types = atomic numbers (MLIP --absolute_types) */
    int save_nonconverged;   /* keep non-converged VASP ionic steps and CP2K evaluations */
    /* LAMMPS dump/data: type t (1-based) -> cfg type t-1 unless a
     * type_map gives element names for LAMMPS types in order. */
} mtp_read_options;

typedef struct mtp_write_options {
    int no_loss;             /* .cfg: every real number as %.16e          */
    int keep_ghosts;         /* .cfg: write ghost atoms and the ghost column */
    const char *const *type_map; /* symbols for types (XYZ, POSCAR, LAMMPS) */
    int type_map_count;
} mtp_write_options;

/* Streaming reader: one configuration at a time, so arbitrarily large
 * training sets need memory for one configuration only. */
typedef struct mtp_reader mtp_reader;
mtp_status mtp_reader_open(const char *path, mtp_format fmt, const mtp_read_options *opt,
                           mtp_reader **reader, mtp_error *err);
/* Read from an open stream (not closed by the reader); `name` is used in
 * messages.  fmt AUTO sniffs the content. */
mtp_status mtp_reader_open_stream(FILE *fp, const char *name, mtp_format fmt,
                                  const mtp_read_options *opt, mtp_reader **reader,
                                  mtp_error *err);
/* Next configuration into *cfg (previous content is replaced).
 * *got = 1 if one was read, 0 at the end of the input. */
mtp_status mtp_reader_next(mtp_reader *reader, mtp_cfg *cfg, int *got, mtp_error *err);
mtp_format mtp_reader_format(const mtp_reader *reader);
void mtp_reader_close(mtp_reader *reader);

/* Convenience: read a whole file into a newly allocated array. */
mtp_status mtp_read_cfgs(const char *path, mtp_format fmt, const mtp_read_options *opt,
                         mtp_cfg **cfgs, int *count, mtp_error *err);
void mtp_free_cfgs(mtp_cfg *cfgs, int count);

/* Writer: appends configurations to a stream. */
mtp_status mtp_write_cfg(FILE *fp, const char *name, const mtp_cfg *cfg, mtp_format fmt,
                         const mtp_write_options *opt, mtp_error *err);
/* Write a whole file atomically (temporary file + rename), or append. */
mtp_status mtp_write_cfgs(const char *path, const mtp_cfg *cfgs, int count, mtp_format fmt,
                          const mtp_write_options *opt, int append, mtp_error *err);

/* Output files that appear complete or not at all: data goes to a
 * temporary file beside `path`, renamed over it by commit (after fsync).
 * Used for results, potentials and checkpoints so an interrupted run
 * never leaves a half-written file. */
typedef struct mtp_output_file mtp_output_file;
mtp_status mtp_output_open(const char *path, mtp_output_file **file, FILE **fp, mtp_error *err);
mtp_status mtp_output_commit(mtp_output_file *file, mtp_error *err);  /* closes, renames, frees */
void mtp_output_abort(mtp_output_file *file);                          /* closes, removes, frees */
/* When `path` is an existing device or pipe (/dev/stdout, a FIFO) it is
 * written directly (no temporary, no rename); commit still reports failed
 * writes.  The library installs no signal handlers: a program that wants
 * temporaries removed when it is killed registers an observer, told of each
 * temporary file as it is created (live = 1) and when it is renamed or
 * removed (live = 0); it may copy the path for use in its signal handler.
 * Process-wide; NULL unregisters. */
typedef void mtp_temp_file_observer(const char *tmp_path, int live, void *user);
void mtp_set_temp_file_observer(mtp_temp_file_observer *observer, void *user);

/* ------------------------------------------------------------------ */
/* Potentials                                                          */
/* ------------------------------------------------------------------ */
typedef struct mtp_potential mtp_potential;

typedef enum mtp_radial_type {
    MTP_RADIAL_CHEBYSHEV = 0,         /* RBChebyshev         */
    MTP_RADIAL_CHEBYSHEV_REPULSIVE    /* RBChebyshev_repuls  */
} mtp_radial_type;

typedef struct mtp_potential_info {
    int level;                 /* max level of the basis (computed)        */
    int species_count;         /* S                                        */
    int radial_funcs_count;    /* K                                        */
    int radial_basis_size;     /* R                                        */
    int basic_count;           /* B = alpha_index_basic_count              */
    int moments_count;         /* alpha_moments_count                      */
    int times_count;           /* alpha_index_times_count                  */
    int scalar_count;          /* A = alpha_scalar_moments                 */
    int param_count;           /* n = S*S*K*R + S + A                      */
    int trained;               /* coefficients present                    */
    int has_al_state;          /* an MLIP-3 active-learning section exists */
    mtp_radial_type radial_type;
    double min_dist, max_dist; /* Å; max_dist is the cutoff               */
    double scaling;            /* sigma                                    */
} mtp_potential_info;

/* Read an MLIP-2 .mtp or MLIP-3 .almtp file (format from content). */
mtp_status mtp_potential_read(const char *path, mtp_potential **pot, mtp_error *err);
mtp_status mtp_potential_read_buffer(const char *data, size_t size, const char *name,
                                     mtp_potential **pot, mtp_error *err);
/* Write in MLIP-3 format (readable by MLIP-2 and MLIP-3); the
 * active-learning section, if any, is written back byte for byte.  The
 * file is replaced atomically. */
mtp_status mtp_potential_write(const mtp_potential *pot, const char *path, mtp_error *err);
/* Same, to a malloc'ed buffer (*size bytes, NUL-terminated). */
mtp_status mtp_potential_write_buffer(const mtp_potential *pot, char **data, size_t *size,
                                      mtp_error *err);
mtp_status mtp_potential_copy(const mtp_potential *pot, mtp_potential **copy, mtp_error *err);
void mtp_potential_destroy(mtp_potential *pot);

mtp_potential_info mtp_potential_get_info(const mtp_potential *pot);
int mtp_potential_species_count(const mtp_potential *pot);
/* Label (type number) of species s, -1 if out of range. */
int mtp_potential_species_label(const mtp_potential *pot, int s);
/* Species index of atom type `type`, -1 if the potential lacks it. */
int mtp_potential_species_index(const mtp_potential *pot, int type);
/* species[i] (n_atoms entries): the species each atom of cfg is evaluated
 * as, by the rule of the conventions block: when any atom's type is one of
 * the potential's labels, every atom must carry a label; otherwise every
 * type is relative, 0 <= t < S, species t in the potential's order (MLIP's
 * .cfg convention; `mtp train` reads data the same way).  MTP_ERR_SPECIES
 * names the first atom that fits neither. */
mtp_status mtp_potential_cfg_species(const mtp_potential *pot, const mtp_cfg *cfg, int *species, mtp_error *err);
/* Cutoff radius (max_dist), Å. */
double mtp_potential_cutoff(const mtp_potential *pot);

/* Parameters theta in the order of the conventions block. */
int mtp_potential_param_count(const mtp_potential *pot);
mtp_status mtp_potential_get_params(const mtp_potential *pot, double *theta, mtp_error *err);
/* Setting parameters marks the potential trained and drops a stored
 * active-learning section (it no longer matches the parameters). */
mtp_status mtp_potential_set_params(mtp_potential *pot, const double *theta, mtp_error *err);
/* Replace the species label list (length S; makes the potential have S
 * species, coefficients reset to zero if S changes). */
mtp_status mtp_potential_set_species(mtp_potential *pot, int species_count, const int *labels,
                                     mtp_error *err);
/* scaling: finite and > 0; min_dist: 0 <= min_dist <= max_dist - 0.001 Å (what
 * the potential reader requires, docs/formats.md). */
mtp_status mtp_potential_set_scaling(mtp_potential *pot, double scaling, mtp_error *err);
mtp_status mtp_potential_set_min_dist(mtp_potential *pot, double min_dist, mtp_error *err);

/* The basis, copied into caller arrays sized by mtp_potential_get_info
 * (NULL = skip): basic[B] {mu, a, b, c} (alpha_index_basic), times[T]
 * {i, j, mult, k} (alpha_index_times, in file order), mapping[A]. */
mtp_status mtp_potential_get_basis(const mtp_potential *pot, int (*basic)[4], int (*times)[4], int *mapping,
                                   mtp_error *err);
/* Pruning: a new potential with the scalar basis functions k for which
 * keep[k] != 0 (at least one; alpha_moment_mapping entries and moment
 * coefficients in their order) and only the moments, products, basic
 * moments and radial functions they need, renumbered (moments and
 * products in their order, radial functions in order of mu).  Other
 * coefficients are copied, so the kept functions' values are unchanged;
 * refit the linear coefficients with mtp_potential_set_params.  The
 * active-learning section is not copied (it describes the old parameters). */
mtp_status mtp_potential_prune(const mtp_potential *pot, const unsigned char *keep, mtp_potential **pruned,
                               mtp_error *err);

/* Generate an untrained potential of any level from the library's own
 * enumeration of moment-tensor contractions (no template files). */
typedef struct mtp_basis_options {
    int level;                  /* >= 2                              */
    int species_count;          /* S >= 1                            */
    const int *species_labels;  /* S labels, NULL for 0..S-1         */
    double min_dist;            /* Å (MLIP templates: 2.0)           */
    double max_dist;            /* cutoff, Å (templates: 5.0)        */
    int radial_basis_size;      /* R (templates: 8)                  */
    int radial_funcs_count;     /* K; 0 = as MLIP's templates for the level */
} mtp_basis_options;
mtp_status mtp_potential_generate(const mtp_basis_options *opt, mtp_potential **pot,
                                  mtp_error *err);
/* Radial-function count MLIP's template of this level uses. */
int mtp_default_radial_funcs(int level);

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */
/* ------------------------------------------------------------------ */
typedef struct mtp_calculator mtp_calculator;

/* What to do with pairs closer than the potential's min_dist. */
typedef enum mtp_min_dist_policy {
    MTP_MIN_DIST_ALLOW = 0,   /* evaluate as MLIP does (extrapolates)  */
    MTP_MIN_DIST_REFUSE       /* return MTP_ERR_GEOMETRY               */
} mtp_min_dist_policy;

mtp_status mtp_calculator_create(const mtp_potential *pot, mtp_calculator **calc,
                                 mtp_error *err);
void mtp_calculator_destroy(mtp_calculator *calc);
void mtp_calculator_set_min_dist_policy(mtp_calculator *calc, mtp_min_dist_policy policy);

/* Statistics of the last mtp_compute() call. */
typedef struct mtp_compute_stats {
    long n_pairs;               /* neighbour pairs (i, j-image) visited    */
    long n_close_pairs;         /* pairs with r < min_dist                 */
    double closest;             /* smallest r found (Å); +inf if no pair   */
    int max_neighbours;         /* largest neighbourhood                   */
} mtp_compute_stats;
mtp_compute_stats mtp_calculator_stats(const mtp_calculator *calc);

/* The kernel: one atom's neighbourhood.  Shared by mtp_compute, the
 * LAMMPS pair style and the fitter.
 *   center   species index (0..S-1) of the central atom
 *   n        number of neighbours (0 allowed)
 *   species  [n] species indices of the neighbours
 *   rij      [n][3] r_j - r_i, Å; every |rij| must be > 0 and < cutoff
 * Outputs (NULL = not computed):
 *   energy   site energy V (eV)
 *   d_rij    [n][3] dV/d(r_ij)  (force on atom i += d_rij, on j -= d_rij)
 *   basis    [A]    scalar basis values B_k = M[mapping[k]]
 *   d_params [P]    dV/dtheta, P = mtp_potential_param_count()
 * Requires a trained potential unless only `basis` is requested. */
mtp_status mtp_site_eval(mtp_calculator *calc, int center, int n, const int *species,
                         const double *rij, double *energy, double *d_rij, double *basis,
                         double *d_params, mtp_error *err);

/* Many neighbourhoods at once (faster than one mtp_site_eval per atom:
 * the contraction stage runs on several sites together).  Site s has
 * centre species center[s] and the neighbours offset[s] .. offset[s+1]-1
 * of the arrays species[] and rij[][3] (layout as in mtp_site_eval).
 *   energy [n_sites]          site energies, or NULL
 *   d_rij  [offset[n_sites]][3] dV_s/dr_ij, or NULL
 *   d_params [n_sites][P]     dV_s/dtheta (the grading rows; equal to
 *                             mtp_site_eval's d_params), or NULL
 * Requires a trained potential. */
mtp_status mtp_sites_eval(mtp_calculator *calc, int n_sites, const int *center, const long *offset,
                          const int *species, const double *rij, double *energy, double *d_rij,
                          double *d_params, mtp_error *err);

/* A whole configuration (periodic in the directions with non-zero
 * lattice rows; cells smaller than the cutoff are handled through all
 * images).  Outputs (NULL = not computed):
 *   energy        total energy (eV)
 *   forces        [n][3] eV/Å
 *   virial        [6] W (eV), xx yy zz yz xz xy
 *   site_energies [n]
 *   site_virials  [n][9] per-atom virial (eV), row-major; each pair term
 *                 -D_ij (x) r_ij is split equally between i and j, so the
 *                 sum over atoms is the global virial. */
mtp_status mtp_compute(mtp_calculator *calc, const mtp_cfg *cfg, double *energy,
                       double *forces, double *virial, double *site_energies,
                       double *site_virials, mtp_error *err);

/* ------------------------------------------------------------------ */
/* Extrapolation grades (MaxVol, from an .almtp's active-learning state) */
/* ------------------------------------------------------------------ */
/* gamma(b) = max_j |(b A^-1)_j| for a row b: <= 1 interpolation, > 1
 * extrapolation.  Rows are gradients w.r.t. all parameters: one per atom
 * (dV_i/dtheta, "neighbourhood" mode) or one per configuration
 * (energy_weight / N^(p/2) * dE/dtheta, "configuration" mode), as stored
 * in the potential file by MLIP-3 (or our trainer). */
typedef struct mtp_grader mtp_grader;
typedef enum mtp_grade_mode {
    MTP_GRADE_NEIGHBORHOOD = 1, /* al_mode=nbh: site_en_weight != 0 */
    MTP_GRADE_CONFIGURATION = 2 /* al_mode=cfg: energy rows          */
} mtp_grade_mode;

/* Needs a trained potential with an active-learning section; configuration
 * mode with force or stress rows is not supported (MTP_ERR_UNSUPPORTED). */
mtp_status mtp_grader_create(const mtp_potential *pot, mtp_grader **grader, mtp_error *err);
void mtp_grader_destroy(mtp_grader *grader);
mtp_grade_mode mtp_grader_mode(const mtp_grader *grader);
/* Grade of a configuration (max over its atoms in neighbourhood mode) and,
 * in neighbourhood mode, per-atom grades atom_grades[n] (NULL = skip). */
mtp_status mtp_grade(mtp_grader *grader, const mtp_cfg *cfg, double *grade, double *atom_grades,
                     mtp_error *err);
/* Building blocks for distributed codes (LAMMPS): the row of one
 * neighbourhood is mtp_site_eval's d_params.  Neighbourhood mode grades a
 * site row directly; configuration mode grades the sum of the site rows of
 * all n_atoms atoms (summed over MPI ranks by the caller). */
double mtp_grade_site_row(const mtp_grader *grader, const double *row);
/* Neighbourhood mode, many rows at once (mtp_sites_eval's d_params):
 * grades[s] = mtp_grade_site_row(rows[s]) exactly, for rows[n_rows][P],
 * computed as one matrix product (much faster than row by row). */
void mtp_grade_site_rows(const mtp_grader *grader, int n_rows, const double *rows, double *grades);
double mtp_grade_cfg_row(const mtp_grader *grader, const double *row_sum, long n_atoms);

/* Build the MaxVol active set over training configurations and store it
 * in the potential (written back as MLIP-3's MVS_v1.1 section; MLIP-3's
 * `train` does this at its end).  Rows as above, from the potential's
 * current parameters; starts from init_value * I and swaps rows in while
 * some |(b A^-1)_j| > threshold (MLIP-3 defaults: threshold 1.001,
 * init_value 1e-6, weight_scaling 2).  *n_selected receives the number of
 * configurations that own active rows (they are stored in the section). */
typedef struct mtp_active_set_options {
    mtp_grade_mode mode;   /* MTP_GRADE_NEIGHBORHOOD or MTP_GRADE_CONFIGURATION */
    double threshold;      /* 0 = 1.001   */
    double init_value;     /* 0 = 1e-6    */
    int weight_scaling;    /* configuration mode: energy rows / N^(p/2); -1 = 2 */
    /* 0 = MLIP-3's selection exactly (its outputs are reproduced bit for
     * bit): A^-1 and the candidates' coefficients follow rank-one updates
     * only, which drift when |det A| grows by many orders of magnitude, so
     * rows offered may grade above threshold against the stored set
     * afterwards (1.02 seen for training neighbourhoods).  Nonzero:
     * once no swap is left, A^-1 is recomputed from A, and swapping goes on
     * until no queued row exceeds threshold against a fresh inverse (the
     * stored A^-1 is that inverse).  `mtp train` and `mtp prune` set it. */
    int fresh_inverse;
} mtp_active_set_options;
mtp_status mtp_active_set_select(mtp_potential *pot, const mtp_cfg *cfgs, int count,
                                 const mtp_active_set_options *opt, int *n_selected, mtp_error *err);

/* The active set as a handle (MLIP-3's selection state): A, A^-1, which
 * configuration and equation owns each row, the configurations owning
 * rows ("members"), and a queue of candidate rows.  Typical use
 * (MLIP-3's select_add): load from a potential, queue configurations,
 * select, read the members back, store into a potential.  One thread at a
 * time, except mtp_active_set_rows and mtp_active_set_row_grade, which
 * only read the set and may run concurrently (one calculator per thread). */
typedef struct mtp_active_set mtp_active_set;
/* Empty: init_value * I, every row unowned; weights from opt->mode
 * (site_en_weight 1 or energy_weight 1); selections confirm with a fresh
 * A^-1 if opt->fresh_inverse. */
mtp_status mtp_active_set_create(const mtp_potential *pot, const mtp_active_set_options *opt,
                                 mtp_active_set **as, mtp_error *err);
/* The state stored in pot's MVS_v1.1 section, members in stored order
 * (their MV_grade feature reset to 0, as MLIP-3 does); fresh_inverse off. */
mtp_status mtp_active_set_load(const mtp_potential *pot, mtp_active_set **as, mtp_error *err);
void mtp_active_set_destroy(mtp_active_set *as);
mtp_grade_mode mtp_active_set_mode(const mtp_active_set *as);
double mtp_active_set_log_volume(const mtp_active_set *as); /* log |det A| */
/* Rows of a configuration: one per non-ghost atom (neighbourhood mode) or
 * one (configuration mode); 0 for a configuration without real atoms. */
int mtp_active_set_row_count(const mtp_active_set *as, const mtp_cfg *cfg);
/* rows[row_count][P] and, if not NULL, their MLIP equation numbers. */
mtp_status mtp_active_set_rows(const mtp_active_set *as, mtp_calculator *calc, const mtp_cfg *cfg,
                               double *rows, int *eqns, mtp_error *err);
/* max_j |(row A^-1)_j| against the current set; scratch[P]. */
double mtp_active_set_row_grade(const mtp_active_set *as, const double *row, double *scratch);
/* C[m][P] = rows[m][P] A^-1 (the coefficients whose max |.| is the grade). */
void mtp_active_set_coeffs(const mtp_active_set *as, const double *rows, long m, double *C);
int mtp_active_set_param_count(const mtp_active_set *as);
/* mtp_active_set_options.fresh_inverse for the selections of a set made by
 * mtp_active_set_load (or to change it on any set); on = nonzero. */
void mtp_active_set_set_fresh_inverse(mtp_active_set *as, int on);
/* Recompute A^-1 from A (MLIP-3's rank-one updates drift over many swaps
 * when |det A| grows by orders of magnitude; MLIP-3 never does this). */
mtp_status mtp_active_set_refresh(mtp_active_set *as, mtp_error *err);
/* Queue a configuration (copied) with a caller's tag; rows = its rows as
 * from mtp_active_set_rows, or NULL to compute them here. */
mtp_status mtp_active_set_queue(mtp_active_set *as, const mtp_cfg *cfg, long tag, const double *rows,
                                mtp_error *err);
/* MLIP-3's selection over the queue: swap the largest |c| > threshold in
 * until none is left (at most swap_limit swaps; <= 0 = unlimited; with
 * fresh_inverse, then A^-1 and all coefficients are recomputed and this
 * repeats until no queued row exceeds threshold against a fresh inverse,
 * the limit counting all swaps).  Queued configurations that own rows
 * afterwards become members (after the old ones), members left without
 * rows leave; the queue is emptied. */
mtp_status mtp_active_set_select_queued(mtp_active_set *as, double threshold, long swap_limit,
                                        long *n_swaps, mtp_error *err);
/* Greedy batch selection over the queue: repeatedly choose the queued
 * configuration with the largest grade (max |c| over its rows), if that is
 * > threshold and, from the second choice on, > stop_at (a caller's bound
 * on the grades of candidates not queued); swap its rows in by MaxVol
 * restricted to the rows of the chosen configurations and the rows they
 * displaced, until none exceeds threshold (so every chosen configuration,
 * and any duplicate of one, grades <= threshold afterwards); at most
 * max_picks choices.  Tags and grades at choice time go to picked_tags[],
 * picked_grades[] (max_picks each).  Then as select_queued. */
mtp_status mtp_active_set_select_greedy(mtp_active_set *as, double threshold, double stop_at,
                                        int max_picks, long *picked_tags, double *picked_grades,
                                        int *n_picked, mtp_error *err);
int mtp_active_set_size(const mtp_active_set *as); /* members */
/* Member k (0-based): its configuration with feature selected_eqn_inds
 * brought up to date, and its tag (-1 if it was loaded).  The pointer is
 * valid until the next selection. */
mtp_status mtp_active_set_member(mtp_active_set *as, int k, const mtp_cfg **cfg, long *tag,
                                 mtp_error *err);
/* Write the state into pot's active-learning section (MVS_v1.1). */
mtp_status mtp_active_set_store(mtp_active_set *as, mtp_potential *pot, mtp_error *err);

/* Minimal interatomic distance, overall and per pair of types, searched
 * up to `search_radius` Å (pairs further apart are not found; the result
 * is +inf then).  For `mtp mindist`.  pair_min may be NULL; otherwise it
 * is [n_types][n_types] for types 0..n_types-1 (others ignored). */
mtp_status mtp_cfg_min_distance(const mtp_cfg *cfg, double search_radius, double *overall,
                                int n_types, double *pair_min, mtp_error *err);

#ifdef __cplusplus
}
#endif
/* ------------------------------------------------------------------ */
/* Parameter derivatives for fitting (jacobian.c)                      */
/* ------------------------------------------------------------------ */
#ifdef __cplusplus
extern "C" {
#endif
/* Workspace for the parameter derivatives of one potential (reads the
 * potential's current coefficients at every call; one thread at a time). */
typedef struct mtp_param_deriv mtp_param_deriv;
mtp_status mtp_param_deriv_create(const mtp_potential *pot, mtp_param_deriv **pd, mtp_error *err);
void mtp_param_deriv_destroy(mtp_param_deriv *pd);

/* One neighbourhood (arguments as mtp_site_eval).  With a direction
 * v[n][3] over the neighbour vectors, d_params_dir[P] receives the exact
 * mixed derivative  d/dtheta ( sum_j v_j . dV/dr_ij ).  energy, d_rij,
 * d_params as mtp_site_eval; NULL outputs are skipped. */
mtp_status mtp_site_param_jvp(mtp_param_deriv *pd, int center, int n, const int *species,
                              const double *rij, const double *v, double *energy, double *d_rij,
                              double *d_params, double *d_params_dir, mtp_error *err);
/* Scalar basis values basis[A] and their derivatives
 * d_basis[A][n][3] = dB_k/dr_ij (NULL = not computed). */
mtp_status mtp_site_basis_grad(mtp_param_deriv *pd, int center, int n, const int *species,
                               const double *rij, double *basis, double *d_basis, mtp_error *err);

/* Whole configuration.  d_energy[P] = dE/dtheta;
 * d_fw[P] = d/dtheta ( sum_i f_adj_i . F_i + sum_c w_adj_c W_c )
 * for weights f_adj[n][3] (NULL = 0) and w_adj[6] (Voigt, NULL = 0):
 * the transposed force/virial Jacobian times a vector (loss gradients). */
mtp_status mtp_cfg_param_grad(mtp_param_deriv *pd, const mtp_cfg *cfg, const double *f_adj,
                              const double *w_adj, double *d_energy, double *d_fw, mtp_error *err);
/* Design rows of the linear (moment) coefficients: basis_sum[A] =
 * sum_i B_k(i), forces[A][n][3] = -d(sum_i B_k)/dx, virial[A][6] (Voigt). */
mtp_status mtp_cfg_basis_grad(mtp_param_deriv *pd, const mtp_cfg *cfg, double *basis_sum,
                              double *forces, double *virial, mtp_error *err);
/* Degree d_k of every scalar basis function in the radial functions:
 * B_k is a sum of products of d_k basic moments, each linear in the
 * radial functions, so B_k(sigma) = sigma^d_k B_k(1) (and likewise its
 * force and virial rows).  deg[A]; returns 0, or -1 if the basis is not
 * homogeneous (then no such scaling law holds). */
int mtp_potential_basis_degrees(const mtp_potential *pot, int *deg);
#ifdef __cplusplus
}
#endif

/* ------------------------------------------------------------------ */
/* Cutting extrapolative neighbourhoods for labelling (cut_nbh.c)      */
/* ------------------------------------------------------------------ */
#ifdef __cplusplus
extern "C" {
#endif
/* Atom with the largest nbh_grades value (the first of equal ones), as
 * MLIP-3 picks it: -1 if there is no nbh_grades column or no grade > 0.
 * *grade (may be NULL) receives that grade (0 if none). */
int mtp_cfg_max_grade_atom(const mtp_cfg *cfg, double *grade);

/* MLIP-3's `cut_extrapolative_nbh` cluster: a non-periodic configuration
 * holding atom `center` at the origin followed by every atom and periodic
 * image j with |x_j - x_center| < radius, at x_j - x_center, in MLIP-3's
 * neighbour order (so MLIP's output is reproduced byte for byte); types
 * kept, no energy, forces or features.  *cluster is replaced. */
mtp_status mtp_cut_cluster(const mtp_cfg *cfg, int center, double radius, mtp_cfg *cluster, mtp_error *err);

/* Periodic cut: a small orthorhombic periodic cell around one or more
 * centre atoms of a big (3D periodic or non-periodic) configuration, for a
 * DFT code to label.  Atoms within `core` of a centre are the core; the box
 * is the bounding box of the centres grown by h = core + cutoff + buffer
 * plus a pad of min_dist (at most the cutoff) on every side, and holds every
 * atom image strictly inside it.
 * Guarantee (checked on the result, not assumed): with r_c = cutoff, the
 * MTP neighbourhood (all neighbours within r_c) of every atom within
 * core + buffer of a centre is identical in both cells, so its site energy
 * is identical; with buffer >= r_c the force on every core atom is
 * identical too (forces depend on the sites within r_c).  The output has
 * force_weights: 1 for core atoms whose neighbourhood was verified
 * identical (trusted), 0 for the rest (the buffer); the report counts the
 * trusted atoms whose neighbouring sites were verified identical as well
 * (exact MTP force; all of them when buffer >= cutoff).
 * Atoms closer than min_dist to an image across the new boundary are
 * dropped, closest pair first, the one farther from the centres going
 * (thanks to the pad both are farther than h from every centre, so the
 * guarantee is unaffected); min_dist 0 means 0.9 x the shortest
 * interatomic distance of the big cell.  Types are kept; energies,
 * forces, stresses and features of cfg are not copied.
 * Whole rule (whole_if_not_smaller, on by default): when the cut cell
 * would hold at least as many atoms as cfg, *cell is cfg itself instead
 * (lattice, types, positions; every force_weight 1) and report->whole is
 * 1: every atom keeps its environment exactly and energy and stress are
 * real.  This is the rule of `mtp cut_extrapolative_nbh --periodic` and of
 * pair_style mtp's `save_cut periodic`, which both call this function.
 * Features of *cell: cut_geometry (the options, the counts and the origin;
 * for a whole configuration "whole configuration (smaller than the cut box
 * of X x Y x Z A)") and, unless whole, EnergyWeight 0 and StressWeight 0
 * (energy and stress include the artificial boundary; `mtp train` and
 * `mtp check_errors` then use the forces of the trusted atoms only). */
typedef struct mtp_cut_periodic_options {
    double cutoff;    /* MTP cutoff r_c (the potential's max_dist), A      */
    double core;      /* trusted radius around each centre, A (0 = the centre atoms only) */
    double buffer;    /* extra layer beyond the core's neighbourhoods, A; < 0 = cutoff */
    double min_dist;  /* drop rule, A; 0 = automatic (see above)            */
    int whole_if_not_smaller; /* the whole rule above (default 1; 0 = always cut) */
} mtp_cut_periodic_options;
void mtp_cut_periodic_options_default(mtp_cut_periodic_options *opt); /* 5, 0, -1, 0, 1 */

typedef struct mtp_cut_report {
    int n_atoms;             /* atoms in the small cell                          */
    int n_core;              /* of which within core of a centre                 */
    int n_trusted;           /* core atoms with verified site (force_weight 1)   */
    int n_force_exact;       /* trusted atoms whose MTP force is verified identical */
    int n_exact_sites;       /* atoms whose neighbourhood is verified identical  */
    int n_dropped;           /* removed by the min_dist rule                     */
    double box[3];           /* cell edges, A                                    */
    double origin[3];        /* point of the big cell at the small cell's origin:
                                x_big = x_small + origin (+ a big-cell lattice vector) */
    double min_same;         /* shortest interatomic distance of the big cell (inf: none < cutoff) */
    double min_cross_before; /* shortest distance across the new boundary before dropping (inf: none < cutoff) */
    double min_cross_after;  /* the same after dropping                          */
    double min_dist_used;    /* the drop threshold applied                       */
    int whole;               /* 1: *cell is cfg itself (the whole rule); then box,
                                min_same and min_dist_used are those of the cut not
                                made, the atom counts are cfg's (all trusted, none
                                dropped), origin is 0 and min_cross_* are inf */
} mtp_cut_report;
mtp_status mtp_cut_periodic(const mtp_cfg *cfg, int n_centers, const int *centers,
                            const mtp_cut_periodic_options *opt, mtp_cfg *cell, mtp_cut_report *report,
                            mtp_error *err);
#ifdef __cplusplus
}
#endif

#endif /* OPENMTP_H */
