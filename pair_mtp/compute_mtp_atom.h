/* SPDX-License-Identifier: BSD-3-Clause */
/* compute ID group mtp/atom
 *
 * Per-atom extrapolation grade of pair_style mtp / mlip (extrapolation
 * control on), for dump custom (c_ID), compute reduce max, dump_modify thresh,
 * variables and fix halt.  Neighbourhood mode: each atom's own grade;
 * configuration mode: the configuration's grade for every atom.  Atoms
 * outside the group or of types the pair style does not handle get 0.
 * If the pair style did not grade the last force call (grade_every N > 1),
 * the grades are computed on demand for the current positions.  See
 * pair_mtp/README.md.
 */
#ifdef COMPUTE_CLASS
// clang-format off
ComputeStyle(openmtp/atom,ComputeOpenMTPAtom);
ComputeStyle(mtp/atom,ComputeOpenMTPAtom);
// clang-format on
#else

#ifndef OPENMTP_LMP_COMPUTE_MTP_ATOM_H
#define OPENMTP_LMP_COMPUTE_MTP_ATOM_H

#include "compute.h"

namespace LAMMPS_NS {

class PairOpenMTP;

class ComputeOpenMTPAtom : public Compute {
 public:
  ComputeOpenMTPAtom(class LAMMPS *, int, char **);
  ~ComputeOpenMTPAtom() override;
  void init() override;
  void compute_peratom() override;
  double memory_usage() override;

 private:
  PairOpenMTP *pair;
  int nmax;
  double *grade;
};

}    // namespace LAMMPS_NS

#endif
#endif
