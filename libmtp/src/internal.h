/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal declarations shared by libopenmtp's source files.  Not installed. */
#ifndef OPENMTP_INTERNAL_H
#define OPENMTP_INTERNAL_H

#include "openmtp/openmtp.h"

#include <stdarg.h>
#include <stdint.h>

#if defined(__GNUC__)
#define MTP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MTP_PRINTF(a, b)
#endif

/* ---- errors (error.c) --------------------------------------------- */
/* Fill err (if not NULL) and return st. */
mtp_status mtp_fail(mtp_error *err, mtp_status st, const char *fmt, ...) MTP_PRINTF(3, 4);
mtp_status mtp_vfail(mtp_error *err, mtp_status st, const char *fmt, va_list ap);
/* "name:line: " + message, status MTP_ERR_PARSE. */
mtp_status mtp_parse_fail(mtp_error *err, const char *name, long line, const char *fmt, ...)
    MTP_PRINTF(4, 5);
void mtp_error_clear(mtp_error *err);

/* ---- memory (error.c) ---------------------------------------------- */
/* Upper bound for any single allocation driven by input data; inputs
 * that claim more are rejected instead of being trusted. */
#define MTP_MAX_ALLOC ((size_t)1 << 34) /* 16 GiB */
#define MTP_MAX_ATOMS 100000000
/* calloc with overflow and size checks; NULL on failure. */
void *mtp_calloc(size_t count, size_t size);
/* realloc with overflow and size checks; NULL on failure (old kept). */
void *mtp_realloc(void *ptr, size_t count, size_t size);
/* Zeroed, 64-byte aligned (release with free()); NULL on failure. */
void *mtp_aligned_calloc(size_t count, size_t size);
char *mtp_strdup(const char *s);
char *mtp_strndup(const char *s, size_t n);

/* ---- line-oriented text input (textio.c) --------------------------- */
typedef struct mtp_lines {
    FILE *fp;
    const char *name;     /* for messages */
    long line_no;         /* number of the line in `line` (1-based)      */
    char *line;           /* current line without the newline; NUL-free   */
    size_t len;
    size_t cap;
    int pushed_back;      /* next mtp_lines_next() returns `line` again   */
    int eof;
} mtp_lines;

void mtp_lines_init(mtp_lines *ln, FILE *fp, const char *name);
void mtp_lines_free(mtp_lines *ln);
/* Next line into ln->line.  *got = 0 at EOF.  Embedded NUL bytes or
 * lines longer than 64 MiB are a parse error. */
mtp_status mtp_lines_next(mtp_lines *ln, int *got, mtp_error *err);
void mtp_lines_push_back(mtp_lines *ln);
/* Next line that is not blank (whitespace only); *got = 0 at EOF. */
mtp_status mtp_lines_next_nonblank(mtp_lines *ln, int *got, mtp_error *err);

/* Strict number parsing: the whole token must be a finite number. */
int mtp_parse_double(const char *tok, double *out);   /* 1 on success */
int mtp_parse_int(const char *tok, long lo, long hi, long *out);
/* Split `s` in place at whitespace; returns number of tokens (<= max). */
int mtp_split_ws(char *s, char **tok, int max);
int mtp_str_ieq(const char *a, const char *b);        /* ASCII case-insensitive */
/* 1 if `needle` occurs within the first `limit` bytes of head[0..n) (sniffers). */
int mtp_head_contains(const char *head, size_t n, size_t limit, const char *needle);
const char *mtp_skip_ws(const char *s);

/* Atomic file replacement: write to "path.tmp.<pid>" then rename. */
typedef struct mtp_atomic_file {
    FILE *fp;
    char *path;
    char *tmp_path;
} mtp_atomic_file;
mtp_status mtp_atomic_open(mtp_atomic_file *af, const char *path, mtp_error *err);
mtp_status mtp_atomic_commit(mtp_atomic_file *af, mtp_error *err); /* close + rename */
void mtp_atomic_abort(mtp_atomic_file *af);                         /* close + unlink */

/* ---- potentials (potential.c, potential_io.c) ---------------------- */
/* Precomputed evaluation plan of a basis (kernel.c). */
typedef struct mtp_plan mtp_plan;

struct mtp_potential {
    char *name;                 /* potential_name                      */
    double scaling;             /* sigma (outer * inner scaling)        */
    int species_count;          /* S (0 for untrained templates)        */
    int *species_labels;        /* [S]                                  */
    mtp_radial_type radial_type;
    double min_dist, max_dist;
    int radial_basis_size;      /* R */
    int radial_funcs_count;     /* K */
    int trained;                /* coefficients present                 */
    double *radial_coeffs;      /* [S*S*K*R]                            */
    double *species_coeffs;     /* [S]                                  */
    double *moment_coeffs;      /* [A]                                  */
    int moments_count;          /* alpha_moments_count                  */
    int basic_count;            /* B */
    int (*basic)[4];            /* [B] {mu, a, b, c}                    */
    int times_count;
    int (*times)[4];            /* [T] {i, j, mult, k}                  */
    int scalar_count;           /* A */
    int *mapping;               /* [A] */
    /* MLIP-3 active-learning section: raw bytes from the first '#' to the
     * end of file, kept for byte-exact round trips. */
    unsigned char *al_section;
    size_t al_size;
    char *al_origin;            /* file the section was read from (messages), or NULL */
    long al_cfg_line;           /* file line where its configurations start */
    mtp_plan *plan;             /* derived, rebuilt when the basis changes */
};

/* Limits of a potential's definition (potential.c).  Radial functions and
 * tensor powers as MLIP-3's templates use them (level 28: mu <= 5, nu <= 13). */
#define MTP_MAX_RADIAL_FUNCS 64
#define MTP_MAX_TENSOR_RANK 64
#define MTP_MAX_CUTOFF 1000.0      /* A; beyond any interatomic cutoff          */
#define MTP_MIN_RADIAL_RANGE 1e-3  /* A; max_dist - min_dist (fits: 2-6 A)       */
/* A trained potential whose site energy can exceed this bound (eV) for a
 * neighbourhood in its range is refused: the bound of MLIP-3's and our fits
 * stays below 1e15, and 1e100 leaves 200 orders of magnitude to overflow
 * for forces, stresses and sums over atoms. */
#define MTP_MAGNITUDE_LIMIT 1e100

/* Line of each field in the file a potential was read from (0 = unknown,
 * e.g. built in memory), so validation names file:line. */
typedef struct mtp_pot_lines {
    long scaling, min_dist, max_dist, radial_basis_size, radial_funcs_count, radial_coeffs;
    long moments_count, basic_count, basic, times, scalar_count, mapping, species_coeffs, moment_coeffs;
    const long *radial_rows; /* [S*S*K] line of each radial coefficient row, or NULL */
} mtp_pot_lines;

mtp_potential *mtp_potential_alloc(void);
/* Check internal consistency of basis and coefficients, (re)build plan. */
mtp_status mtp_potential_finalize(mtp_potential *pot, const char *name, mtp_error *err);
/* The same, naming the file line of the failing field (lines may be NULL). */
mtp_status mtp_potential_finalize_at(mtp_potential *pot, const char *name, const mtp_pot_lines *lines,
                                     mtp_error *err);
int mtp_potential_level(const mtp_potential *pot);

/* ---- kernel (kernel.c) --------------------------------------------- */
mtp_status mtp_plan_build(const mtp_potential *pot, mtp_plan **plan, mtp_error *err);
void mtp_plan_destroy(mtp_plan *plan);

/* ---- neighbour search (neighbors.c) ------------------------------ */
/* Half-open CSR neighbour list of all (i, j-image) with 0 < r < cutoff. */
typedef struct mtp_nlist {
    int n_atoms;
    long n_pairs;
    long *offset;    /* [n+1] */
    int *index;      /* [pairs] owning atom index j                     */
    double *rij;     /* [pairs][3] x_j + image - x_i                    */
    long cap;
    /* scratch for the build */
    double *wrapped; /* [n][3] */
    int *cell_head, *cell_next;
    double *img_pos; int *img_owner;
    long img_cap; long cell_cap;
    /* cost of the last build: images made, distances computed */
    long n_images, n_candidates;
} mtp_nlist;

void mtp_nlist_init(mtp_nlist *nl);
void mtp_nlist_free(mtp_nlist *nl);
mtp_status mtp_nlist_build(mtp_nlist *nl, const mtp_cfg *cfg, double cutoff, mtp_error *err);

/* ---- cell geometry (lattice.c) -------------------------------------- */
/* Inverse of a 3x3 matrix; returns the determinant (0 if singular or not finite). */
double mtp_invert3(const double m[3][3], double inv[3][3]);
/* A configuration's lattice as the image builders use it: the periodic
 * (non-zero) rows reduced to a short basis of the same lattice, in the
 * same row positions (a reduced lattice is kept bit for bit); the other
 * rows unit vectors completing a 3D basis. */
typedef struct mtp_cell {
    int periodic[3];     /* row a of the input lattice is non-zero          */
    int n_periodic;
    double L[3][3];      /* the basis, rows                                 */
    double inv[3][3];    /* L^-1: fractional coordinates f = x inv          */
    double height[3];    /* spacing of the lattice planes along row a (A)   */
} mtp_cell;
/* MTP_ERR_GEOMETRY for non-finite, absurdly long or (nearly) dependent rows. */
mtp_status mtp_cell_init(mtp_cell *cell, const double lattice[3][3], mtp_error *err);
/* Images (atoms included) of n atoms within rc of the cell, about:
 * n * prod over periodic rows of (1 + 2 rc / height). */
double mtp_cell_image_estimate(const mtp_cell *cell, double rc, long n_atoms);
/* Most periodic images (atoms included) any image builder makes: ~4 GB of
 * neighbour-search scratch, and every count below it fits in an int. */
#define MTP_MAX_IMAGES 100000000L
/* MTP_OK if n_images <= MTP_MAX_IMAGES, else MTP_ERR_GEOMETRY saying why
 * (the thinnest plane spacing against the cutoff). */
mtp_status mtp_cell_check_images(const mtp_cell *cell, double rc, long n_atoms, double n_images, mtp_error *err);


/* ---- MaxVol linear algebra (maxvol.c) ------------------------------ */
typedef struct mtp_maxvol {
    int n;
    double *A;              /* [n][n]: row r is active row r                     */
    double *ainv;           /* [n][n] A^-1, row-major (the file stores it transposed) */
    double log_det;         /* log |det A|                                         */
    double *w, *col, *diff; /* scratch [n] */
} mtp_maxvol;
/* A = init_value * I. */
mtp_status mtp_maxvol_init(mtp_maxvol *mv, int n, double init_value, mtp_error *err);
void mtp_maxvol_free(mtp_maxvol *mv);
/* C[m][n] = rows[m][n] A^-1 (reads only: may run in several threads). */
void mtp_maxvol_coeffs(const mtp_maxvol *mv, const double *rows, long m, double *C);
/* max_j |(row A^-1)_j|; c[n] is the caller's scratch (reads only). */
double mtp_maxvol_grade(const mtp_maxvol *mv, const double *row, double *c);
/* Candidate row i0 replaces active row j0; the old active row takes its
 * place among the candidates; A^-1 and all m rows of C are updated. */
void mtp_maxvol_swap(mtp_maxvol *mv, double *rows, double *C, long m, long i0, int j0);
/* A^-1 and log|det A| recomputed from A (rank-one updates drift). */
mtp_status mtp_maxvol_refresh(mtp_maxvol *mv, mtp_error *err);

/* ---- MLIP-3 "MVS_v1.1" section header (active_set.c) --------------- */
typedef struct mtp_mvs_header {
    double energy_weight, force_weight, stress_weight, site_en_weight;
    int weight_scaling;
    mtp_grade_mode mode;
    size_t matrices;        /* offset of A (then (A^-1)^T) in pot->al_section   */
    size_t after_matrices;  /* offset just past them                           */
} mtp_mvs_header;
/* Parses and checks the weights and the matrices' extent; configuration
 * mode with force or stress rows is MTP_ERR_UNSUPPORTED. */
mtp_status mtp_mvs_header_read(const mtp_potential *pot, mtp_mvs_header *h, mtp_error *err);

/* ---- configuration readers and writers (reader.c + one file per format) */
struct mtp_reader {
    FILE *fp;
    int own_fp;
    char *name;
    mtp_format format;
    mtp_read_options opt;       /* type_map strings copied, owned       */
    mtp_lines lines;            /* for text formats                      */
    long n_read;                /* configurations returned so far        */
    void *state;                /* format-specific                       */
    const struct mtp_format_ops *ops;
};

typedef struct mtp_format_ops {
    mtp_format format;
    /* optional: set up r->state */
    mtp_status (*open)(mtp_reader *r, mtp_error *err);
    mtp_status (*next)(mtp_reader *r, mtp_cfg *cfg, int *got, mtp_error *err);
    void (*close)(mtp_reader *r);
    mtp_status (*write)(FILE *fp, const char *name, const mtp_cfg *cfg,
                        const mtp_write_options *opt, mtp_error *err);
    /* optional: 1 if the first bytes of a stream look like this format */
    int (*sniff)(const char *head, size_t n);
} mtp_format_ops;

extern const mtp_format_ops mtp_format_cfg_ops;
extern const mtp_format_ops mtp_format_cfg_bin_ops;
extern const mtp_format_ops mtp_format_outcar_ops;
extern const mtp_format_ops mtp_format_xyz_ops;
extern const mtp_format_ops mtp_format_lammps_dump_ops;
extern const mtp_format_ops mtp_format_lammps_data_ops;
extern const mtp_format_ops mtp_format_poscar_ops;
extern const mtp_format_ops mtp_format_vasprun_ops;
extern const mtp_format_ops mtp_format_cp2k_ops;
extern const mtp_format_ops mtp_format_cp2k_md_ops;
extern const mtp_format_ops mtp_format_qe_ops;

/* Type number for an element symbol under the read options (type_map
 * index, else atomic number); -1 if unknown. */
int mtp_reader_type_of_symbol(const mtp_read_options *opt, const char *symbol);
/* Element symbol for a type under write options (type_map, else atomic
 * number); NULL if none. */
const char *mtp_writer_symbol_of_type(const mtp_write_options *opt, int type);

/* ---- calculator (kernel.c; whole configurations in compute.c) -------- */
/* Sites evaluated together: the moment stage (contraction products and
 * their adjoints) runs on MTP_SITES atoms at once, one vector lane each. */
#define MTP_SITES 4

/* Per-neighbour scratch of one site, arrays over the (padded) neighbours. */
typedef struct mtp_site_scratch {
    int cap;               /* neighbours the arrays hold                    */
    double *block;         /* one allocation for all arrays below           */
    double *r, *ux, *uy, *uz;
    double *Q, *dQ;        /* [R][cap] radial basis values and derivatives */
    double *f, *fp;        /* [K][cap] radial functions and derivatives    */
    double *U;             /* [n_mono + 1][cap] monomials of u, zero row    */
    double *S, *Gx, *Gy, *Gz; /* [K][cap] backward accumulators            */
    double *rep;           /* [cap] d(repulsive energy)/dr (RBChebyshev_repuls) */
    unsigned char *inside; /* [cap] r < cutoff                              */
    const double **rows;   /* [4B] monomial rows used by each grouped basic */
    double e_rep;          /* repulsive energy of this site                 */
} mtp_site_scratch;

struct mtp_calculator {
    const mtp_potential *pot;
    mtp_min_dist_policy policy;
    mtp_site_scratch ss[MTP_SITES];
    double *M4, *g4;       /* [moments][MTP_SITES] values and adjoints      */
    double *gw;            /* [4B] backward weights g, g*a, g*b, g*c        */
    /* whole-configuration scratch (compute.c) */
    mtp_nlist nl;
    int *species_of_atom;
    int *nbh_species;
    double *d_rij;
    int *centers;
    double *energies;
    long atoms_cap, pairs_cap;
    mtp_compute_stats stats;
};

/* ---- loss gradients on the kernel's stages (param_grad.c) ---------- */
typedef struct mtp_batched_grad mtp_batched_grad;
mtp_status mtp_batched_grad_create(const mtp_potential *pot, mtp_batched_grad **out, mtp_error *err);
void mtp_batched_grad_destroy(mtp_batched_grad *bg);
/* mtp_cfg_param_grad (which calls it): d_energy[P], d_fw[P] for force and
 * virial adjoints, sites evaluated MTP_SITES at a time. */
mtp_status mtp_batched_cfg_param_grad(mtp_batched_grad *bg, const mtp_cfg *cfg, const double *f_adj,
                                      const double *w_adj, double *d_energy, double *d_fw, mtp_error *err);
/* The same by the scalar forward-over-reverse of jacobian.c (reference). */
mtp_status mtp_cfg_param_grad_scalar(mtp_param_deriv *pd, const mtp_cfg *cfg, const double *f_adj,
                                     const double *w_adj, double *d_energy, double *d_fw, mtp_error *err);
/* Design rows (mtp_cfg_basis_grad) as before they moved onto the kernel's
 * forward stage and its product runs: scalar forward(), products one
 * entry at a time (reference for tests and bench_train_jac). */
void mtp_param_deriv_set_reference_rows(mtp_param_deriv *pd, int on);

#endif
