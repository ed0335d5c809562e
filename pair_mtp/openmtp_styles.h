/* SPDX-License-Identifier: BSD-3-Clause */
/* The style names under which OpenMTP's pair styles and compute are
 * registered, by lmp_mtp's main() and by mtpplugin.so alike:
 *
 *   pair_style openmtp   always (unambiguous; same arguments as pair_style mtp)
 *   pair_style mtp       unless this LAMMPS already has a style of that name
 *   pair_style mlip      unless this LAMMPS already has a style of that name
 *   compute openmtp/atom always;  compute mtp/atom unless taken
 *
 * A name that LAMMPS already holds (e.g. pair_style mtp of the native ML-MTP
 * package, LAMMPS PR 5023) is left to it, and the log says so: inputs written
 * for the built-in style keep their meaning, and OpenMTP is reached as
 * `pair_style openmtp`.  Names registered by OpenMTP itself (the plugin
 * loaded twice) count as free. */
#ifndef OPENMTP_LMP_STYLES_H
#define OPENMTP_LMP_STYLES_H

#include <vector>

namespace LAMMPS_NS {
class LAMMPS;
}

struct openmtp_lammps_style {
  const char *kind;    // "pair" or "compute"
  const char *name;
  const char *info;
  void *creator;       // Force::PairCreator or Modify::ComputeCreator
};

/* The styles to register in lmp (see above); logs the names left to LAMMPS. */
std::vector<openmtp_lammps_style> openmtp_lammps_styles(LAMMPS_NS::LAMMPS *lmp);

/* Insert the styles of openmtp_lammps_styles() into lmp->force->pair_map and
 * lmp->modify->compute_map (lmp: a LAMMPS_NS::LAMMPS *); used by lmp_mtp's
 * main() before the input is read.  C linkage, as before the style names. */
extern "C" void openmtp_lammps_register(void *lmp);

#endif
