/* OpenMTP trainer: MLIP-3's objective (spec section 4) minimised by BFGS
 * over all parameters with exact gradients (libmtp jacobian.c), and the
 * linear coefficients solved exactly by LAPACK (LinOptimize), Rescale. */
#ifndef OPENMTP_FIT_H
#define OPENMTP_FIT_H

#include <openmtp/openmtp.h>

typedef struct fit_options {
    double energy_weight, force_weight, stress_weight; /* 1, 0.01, 0.001 */
    double weight_scaling, weight_scaling_forces;      /* 1, 0 */
    double penalty_weight;                             /* 1e-6 */
    int iteration_limit;                               /* 1000 */
    double tolerance;                                  /* 1e-3 */
    int init_random, skip_preinit, no_mindist_update;
    double max_time;                                   /* s, 0 = none */
    double checkpoint_interval;                        /* s */
    const char *checkpoint_path;                       /* NULL = none */
    int valid_every;                                   /* iterations */
    unsigned seed;
    FILE *log;                                         /* NULL = quiet */
} fit_options;

void fit_options_default(fit_options *o);

/* Train `pot` in place on cfgs (validation set optional).  The species
 * list and min_dist are set from the training data for an untrained
 * potential.  Returns MTP_OK; *iterations receives accepted BFGS steps. */
mtp_status fit_train(mtp_potential *pot, const mtp_cfg *train, int n_train, const mtp_cfg *valid,
                     int n_valid, const fit_options *opt, int *iterations, mtp_error *err);

#endif
