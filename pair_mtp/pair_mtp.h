/* SPDX-License-Identifier: BSD-3-Clause */
/* OpenMTP pair styles for LAMMPS.
 *
 *   pair_style mtp  pot.almtp [species El0 El1 ...] [min_dist allow|refuse]
 *                   [extrapolation yes|no] [threshold_save X] [threshold_break Y]
 *                   [save_extrapolative_to FILE] [grade_every N]
 *                   [save_every N] [save_max M] [save_cut no|cluster|periodic]
 *                   [cut_radius R]
 *   pair_style mlip load_from=pot.almtp [extrapolation_control=true ...]   (MLIP-3 drop-in)
 *   pair_coeff * * [El1 El2 ... | label1 label2 ... | NULL (under hybrid)]
 *
 * Thin glue around libopenmtp's kernel mtp_site_eval(): one call per local
 * atom with its full neighbour list; forces on ghost atoms are reverse
 * communicated by LAMMPS (newton_pair on is required).  See
 * pair_mtp/README.md for the type -> species mapping rules.
 */
#ifdef PAIR_CLASS
// clang-format off
PairStyle(openmtp,PairOpenMTP);
PairStyle(mtp,PairOpenMTP);
PairStyle(mlip,PairOpenMLIP);
// clang-format on
#else

#ifndef OPENMTP_LMP_PAIR_MTP_H
#define OPENMTP_LMP_PAIR_MTP_H

#include "pair.h"

#include <string>
#include <vector>

// Pair::extract_peratom() (used by `fix pair`) exists from LAMMPS 15 Sep 2022 on;
// the build system detects it from pair.h, this is the fallback.
#if !defined(OPENMTP_LAMMPS_EXTRACT_PERATOM)
#if defined(LAMMPS_VERSION_NUMBER) && LAMMPS_VERSION_NUMBER >= 20220915
#define OPENMTP_LAMMPS_EXTRACT_PERATOM 1
#else
#define OPENMTP_LAMMPS_EXTRACT_PERATOM 0
#endif
#endif

struct mtp_potential;
struct mtp_calculator;
struct mtp_grader;
struct mtp_cfg;

namespace LAMMPS_NS {

// Own class names (not PairMTP): a LAMMPS with the native ML-MTP package has
// a LAMMPS_NS::PairMTP of its own, and two definitions of one C++ class in a
// process are undefined behaviour (the dynamic linker binds the plugin's
// references to the host's).  See openmtp_styles.h for the style names.
class PairOpenMTP : public Pair {
 public:
  // what is written for an extrapolative configuration (save_cut)
  enum { SAVE_FRAME = 0, SAVE_CLUSTER = 1, SAVE_PERIODIC = 2 };

  // name: the style name it was created under ("openmtp", "mtp"), for messages
  PairOpenMTP(class LAMMPS *, const char *name = "mtp");
  ~PairOpenMTP() override;
  void compute(int, int) override;
  void settings(int, char **) override;
  void coeff(int, char **) override;
  void init_style() override;
  double init_one(int, int) override;
  double memory_usage() override;
  void *extract(const char *, int &) override;
#if OPENMTP_LAMMPS_EXTRACT_PERATOM
  void *extract_peratom(const char *, int &) override;
#endif

  /* Per-atom grades (nlocal values) of the current configuration, for
   * compute mtp/atom.  If the last force call was not graded, the grades are
   * computed now from the current neighbour list (collective: call on all
   * ranks); such on-demand grades are neither saved nor checked against
   * threshold_break.  nullptr if extrapolation control is off. */
  const double *current_atom_grades();
  const std::string &name() const { return style_name; }
  bool grading_on() const { return grader != nullptr; }

 protected:
  std::string style_name;           // "openmtp", "mtp" or "mlip", for messages
  std::string pot_path;
  mtp_potential *pot;
  mtp_calculator *calc;
  int n_species;
  double cutoff, cutoffsq, mindistsq;
  int refuse_close;                 // min_dist refuse
  std::vector<std::string> species_names;   // optional names of species 0..S-1
  std::vector<int> type_map;        // LAMMPS type (1..ntypes) -> species index, -1 = none

  // per-neighbourhood buffers, reused between atoms and steps
  std::vector<double> rij, drij;
  std::vector<int> nbh_species, nbh_index;
  // one chunk of sites for mtp_sites_eval (CSR over the buffers above)
  std::vector<long> site_offset;
  std::vector<int> site_atom, site_species;
  std::vector<double> site_energy;

  // extrapolation control (MLIP-3 semantics, see pair_mtp/README.md)
  int extrapolation_control;        // grading on/off
  double threshold_save, threshold_break;
  std::string save_extrapolative_to;
  int grade_every;                  // grade every N-th step (1 = every force call)
  int save_every;                   // at most one saved frame per N graded steps
  int save_max;                     // at most M saved frames per run (0 = no limit)
  int save_cut;                     // SAVE_FRAME, SAVE_CLUSTER, SAVE_PERIODIC
  double cut_radius;                // cluster radius / periodic core radius, < 0 = default
  mtp_grader *grader;
  int grade_nbh_mode;               // 1: neighbourhood mode, 0: configuration mode
  double max_grade;                 // last global grade (pvector[0] on rank 0)
  double local_max_grade;           // last grade of this rank's atoms (nbh mode)
  bigint graded_step;               // step of the last grading, -1 = never
  // per-atom grade of the last grading (local atoms; configuration mode: the
  // configuration grade for every atom); valid while last_graded_call == force_calls
  // grade_rows: [chunk][P] site rows dV_i/dtheta of the chunk being graded
  std::vector<double> grade_rows, chunk_grades, grade_row_sum, atom_grade;
  long force_calls;                 // compute() calls so far
  long last_graded_call;            // force_calls value of the last grading
  int grade_request;                // set by fix pair (extract "grade_flag"): grade this step
  // saving bookkeeping, reset at every run (init_style)
  long run_graded;                  // graded force calls in this run
  long run_last_saved;              // run_graded at the last saved frame, -1 = none
  long run_saved, run_skipped;      // frames written / above threshold_save but not written
  int run_save_max_told;            // "save_max reached" already logged

  void load_potential(const std::string &path);
  void setup_grading();
  void reset_run_counters();
  int gather_chunk(int i0, int i1);
  void grade_chunk(int ns, long &n_graded, bool have_rows);
  void begin_grading();
  double reduce_grades(long n_graded);
  void finish_grading(long n_graded);
  bool save_configuration(double grade);
  void parse_save_cut(const std::string &value, const std::string &what);
  void require_metal_units();
  void reset_options();
  bool set_grading_option(const std::string &key, const std::string &value,
                          const std::string &shown);
  void finish_settings(bool grading_keys);
  static bool mtp_keyword(const std::string &word);
  void cut_for_saving(mtp_cfg *cfg);
  void allocate();
  int species_of_token(const std::string &tok, std::string &why) const;
  std::string labels_string() const;
};

class PairOpenMLIP : public PairOpenMTP {
 public:
  PairOpenMLIP(class LAMMPS *);
  void settings(int, char **) override;
};

}    // namespace LAMMPS_NS

#endif
#endif
