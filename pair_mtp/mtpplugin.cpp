/* SPDX-License-Identifier: BSD-3-Clause */
/* mtpplugin.so: the OpenMTP pair styles as a LAMMPS plugin
 * (LAMMPS built with PKG_PLUGIN):   plugin load /path/to/mtpplugin.so
 * Registers pair styles mtp and mlip and compute mtp/atom. */
#include "lammpsplugin.h"
#include "version.h"

#include "compute_mtp_atom.h"
#include "pair_mtp.h"

using namespace LAMMPS_NS;

Pair *openmtp_lammps_create_mtp(LAMMPS *lmp);
Pair *openmtp_lammps_create_mlip(LAMMPS *lmp);

extern "C" void lammpsplugin_init(void *lmp, void *handle, void *regfunc)
{
  lammpsplugin_t plugin;
  lammpsplugin_regfunc register_plugin = (lammpsplugin_regfunc) regfunc;

  plugin.version = LAMMPS_VERSION;
  plugin.style = "pair";
  plugin.name = "mtp";
  plugin.info = "OpenMTP moment tensor potential (pair_style mtp)";
  plugin.author = "OpenMTP";
  plugin.creator.v1 = (lammpsplugin_factory1 *) &openmtp_lammps_create_mtp;
  plugin.handle = handle;
  (*register_plugin)(&plugin, lmp);

  plugin.name = "mlip";
  plugin.info = "OpenMTP drop-in for the MLIP-3 interface (pair_style mlip load_from=...)";
  plugin.creator.v1 = (lammpsplugin_factory1 *) &openmtp_lammps_create_mlip;
  (*register_plugin)(&plugin, lmp);

  plugin.style = "compute";
  plugin.name = "mtp/atom";
  plugin.info = "OpenMTP per-atom extrapolation grade (compute mtp/atom)";
  plugin.creator.v2 = (lammpsplugin_factory2 *) &openmtp_lammps_create_compute_mtp_atom;
  (*register_plugin)(&plugin, lmp);
}
