/* SPDX-License-Identifier: BSD-3-Clause */
/* compute mtp/atom: the per-atom extrapolation grade of pair_style mtp/mlip. */
#include "compute_mtp_atom.h"

#include "pair_mtp.h"

#include "atom.h"
#include "error.h"
#include "force.h"
#include "memory.h"
#include "update.h"

#include <string>

using namespace LAMMPS_NS;

ComputeOpenMTPAtom::ComputeOpenMTPAtom(LAMMPS *lmp, int narg, char **arg) :
    Compute(lmp, narg, arg), pair(nullptr), nmax(0), grade(nullptr)
{
  if (narg != 3)
    error->all(FLERR, "Illegal compute " + std::string(arg[2]) + " command: expected 'compute ID group " +
                          std::string(arg[2]) + "'");
  peratom_flag = 1;
  size_peratom_cols = 0;
}

ComputeOpenMTPAtom::~ComputeOpenMTPAtom()
{
  memory->destroy(grade);
}

/* OpenMTP's pair style (openmtp, mtp or mlip), also as a sub-style of hybrid
   (exactly one); a style of the same name that is not OpenMTP's (the native
   ML-MTP pair_style mtp) does not count */
static PairOpenMTP *find_pair(LAMMPS *lmp)
{
  for (const char *name : {"openmtp", "mtp", "mlip"}) {
    auto *p = dynamic_cast<PairOpenMTP *>(lmp->force->pair_match(name, 1, 0));
    if (p) return p;
  }
  return nullptr;
}

void ComputeOpenMTPAtom::init()
{
  pair = find_pair(lmp);
  if (!pair)
    error->all(FLERR, "compute " + std::string(style) +
                          " needs pair_style mtp or mlip of OpenMTP (or openmtp; once, also "
                          "under hybrid)");
  if (!pair->grading_on())
    error->all(FLERR, "compute " + std::string(style) + ": pair_style " + pair->name() +
                          " has no extrapolation control; use 'extrapolation yes' "
                          "(pair_style mlip: extrapolation_control=true)");
}

void ComputeOpenMTPAtom::compute_peratom()
{
  invoked_peratom = update->ntimestep;
  if (atom->nmax > nmax) {
    memory->destroy(grade);
    nmax = atom->nmax;
    memory->create(grade, nmax, "mtp/atom:grade");
    vector_atom = grade;
  }
  // collective: may grade now (configuration mode reduces over ranks)
  const double *g = pair->current_atom_grades();
  const int nlocal = atom->nlocal;
  const int *mask = atom->mask;
  for (int i = 0; i < nlocal; i++) grade[i] = (mask[i] & groupbit) ? g[i] : 0.0;
}

double ComputeOpenMTPAtom::memory_usage()
{
  return (double) nmax * sizeof(double);
}
