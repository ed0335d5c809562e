/* SPDX-License-Identifier: BSD-3-Clause */
/* Stand-in for a LAMMPS with the native ML-MTP package (LAMMPS PR 5023) for
 * the plugin coexistence tests: a shared library, like liblammps.so, that
 * defines classes named LAMMPS_NS::PairMTP and LAMMPS_NS::ComputeMTPAtom with
 * default visibility, registered as pair_style mtp and compute mtp/atom by
 * fake_native_register().  The pair style gives every configuration the
 * energy FAKE_NATIVE_ENERGY, so an input can tell whose `mtp` ran. */
#include "atom.h"
#include "compute.h"
#include "comm.h"
#include "force.h"
#include "memory.h"
#include "modify.h"
#include "pair.h"
#include "update.h"
#include "utils.h"

using namespace LAMMPS_NS;

#define FAKE_NATIVE_ENERGY 12345.0

namespace LAMMPS_NS {

class PairMTP : public Pair {
 public:
  PairMTP(LAMMPS *lmp) : Pair(lmp)
  {
    single_enable = 0;
    one_coeff = 1;
  }
  ~PairMTP() override
  {
    if (allocated) {
      memory->destroy(setflag);
      memory->destroy(cutsq);
    }
  }
  void settings(int, char **) override
  {
    if (comm->me == 0) utils::logmesg(lmp, "FAKE_NATIVE_MTP: pair_style mtp of the host\n");
  }
  void coeff(int, char **) override
  {
    const int n = atom->ntypes;
    allocated = 1;
    memory->create(setflag, n + 1, n + 1, "pair:setflag");
    memory->create(cutsq, n + 1, n + 1, "pair:cutsq");
    for (int i = 1; i <= n; i++)
      for (int j = i; j <= n; j++) setflag[i][j] = 1;
  }
  double init_one(int, int) override { return 1.0; }
  void compute(int eflag, int vflag) override
  {
    ev_init(eflag, vflag);
    if (eflag_global && comm->me == 0) eng_vdwl += FAKE_NATIVE_ENERGY;
  }
};

class ComputeMTPAtom : public Compute {
 public:
  ComputeMTPAtom(LAMMPS *lmp, int narg, char **arg) : Compute(lmp, narg, arg)
  {
    scalar_flag = 1;
    extscalar = 0;
  }
  void init() override {}
  double compute_scalar() override
  {
    invoked_scalar = update->ntimestep;
    scalar = FAKE_NATIVE_ENERGY;
    return scalar;
  }
};

}    // namespace LAMMPS_NS

static Pair *create_pair(LAMMPS *lmp)
{
  return new PairMTP(lmp);
}
static Compute *create_compute(LAMMPS *lmp, int narg, char **arg)
{
  return new ComputeMTPAtom(lmp, narg, arg);
}

extern "C" void fake_native_register(void *ptr)
{
  LAMMPS *lmp = static_cast<LAMMPS *>(ptr);
  (*lmp->force->pair_map)["mtp"] = &create_pair;
  (*lmp->modify->compute_map)["mtp/atom"] = &create_compute;
}
