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

ComputeMTPAtom::ComputeMTPAtom(LAMMPS *lmp, int narg, char **arg) :
    Compute(lmp, narg, arg), pair(nullptr), nmax(0), grade(nullptr)
{
  if (narg != 3)
    error->all(FLERR, "Illegal compute mtp/atom command: expected 'compute ID group mtp/atom'");
  peratom_flag = 1;
  size_peratom_cols = 0;
}

ComputeMTPAtom::~ComputeMTPAtom()
{
  memory->destroy(grade);
}

/* the pair style: mtp or mlip, also as a sub-style of hybrid (exactly one) */
static PairMTP *find_pair(LAMMPS *lmp)
{
  for (const char *name : {"mtp", "mlip"}) {
    Pair *p = lmp->force->pair_match(name, 1, 0);
    if (p) return dynamic_cast<PairMTP *>(p);
  }
  return nullptr;
}

void ComputeMTPAtom::init()
{
  pair = find_pair(lmp);
  if (!pair)
    error->all(FLERR, "compute mtp/atom needs pair_style mtp or mlip (once, also under hybrid)");
  if (!pair->grading_on())
    error->all(FLERR, "compute mtp/atom: pair_style " + pair->name() +
                          " has no extrapolation control; use 'extrapolation yes' "
                          "(pair_style mlip: extrapolation_control=true)");
}

void ComputeMTPAtom::compute_peratom()
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

double ComputeMTPAtom::memory_usage()
{
  return (double) nmax * sizeof(double);
}

Compute *openmtp_lammps_create_compute_mtp_atom(LAMMPS *lmp, int narg, char **arg)
{
  return new ComputeMTPAtom(lmp, narg, arg);
}
