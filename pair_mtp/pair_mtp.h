/* OpenMTP pair styles for LAMMPS.
 *
 *   pair_style mtp  pot.almtp [species El0 El1 ...] [min_dist allow|refuse]
 *                   [extrapolation yes|no] [threshold_save X] [threshold_break Y]
 *                   [save_extrapolative_to FILE] [grade_every N]
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
PairStyle(mtp,PairMTP);
PairStyle(mlip,PairMLIP);
// clang-format on
#else

#ifndef OPENMTP_LMP_PAIR_MTP_H
#define OPENMTP_LMP_PAIR_MTP_H

#include "pair.h"

#include <string>
#include <vector>

struct mtp_potential;
struct mtp_calculator;
struct mtp_grader;

namespace LAMMPS_NS {

class PairMTP : public Pair {
 public:
  PairMTP(class LAMMPS *);
  ~PairMTP() override;
  void compute(int, int) override;
  void settings(int, char **) override;
  void coeff(int, char **) override;
  void init_style() override;
  double init_one(int, int) override;
  double memory_usage() override;
  void *extract(const char *, int &) override;

 protected:
  std::string style_name;           // "mtp" or "mlip", for messages
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
  mtp_grader *grader;
  int grade_nbh_mode;               // 1: neighbourhood mode, 0: configuration mode
  double max_grade;                 // last global grade (pvector[0] on rank 0)
  double local_max_grade;           // last grade of this rank's atoms (nbh mode)
  bigint graded_step;               // step of the last grading, -1 = never
  std::vector<double> grade_row, grade_row_sum, atom_grade;

  void load_potential(const std::string &path);
  void setup_grading();
  void finish_grading(long n_graded);
  void save_configuration(double grade);
  void allocate();
  int species_of_token(const std::string &tok, std::string &why) const;
  std::string labels_string() const;
};

class PairMLIP : public PairMTP {
 public:
  PairMLIP(class LAMMPS *);
  void settings(int, char **) override;
};

}    // namespace LAMMPS_NS

/* Insert the OpenMTP pair styles ("mtp", "mlip") into lmp->force->pair_map.
 * Used by lmp_mtp's main() before the input is read. */
extern "C" void openmtp_lammps_register(void *lmp);

#endif
#endif
