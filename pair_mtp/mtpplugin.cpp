/* SPDX-License-Identifier: BSD-3-Clause */
/* mtpplugin.so: the OpenMTP pair styles as a LAMMPS plugin
 * (LAMMPS built with PKG_PLUGIN):   plugin load /path/to/mtpplugin.so
 * Registers pair styles openmtp, mtp and mlip and computes openmtp/atom and
 * mtp/atom; names this LAMMPS already has are left to it (openmtp_styles.h).
 *
 * lammpsplugin_init is the only symbol the plugin exports (hidden visibility,
 * mtpplugin.map, -Bsymbolic): its classes, libopenmtp and everything else bind
 * inside the plugin, whatever the host defines. */
#include "lammpsplugin.h"
#include "version.h"

#include "openmtp_styles.h"

#include "lammps.h"

extern "C" __attribute__((visibility("default"))) void lammpsplugin_init(void *lmp, void *handle,
                                                                        void *regfunc)
{
  lammpsplugin_regfunc register_plugin = (lammpsplugin_regfunc) regfunc;
  for (const auto &st : openmtp_lammps_styles(static_cast<LAMMPS_NS::LAMMPS *>(lmp))) {
    lammpsplugin_t plugin;
    plugin.version = LAMMPS_VERSION;
    plugin.style = st.kind;
    plugin.name = st.name;
    plugin.info = st.info;
    plugin.author = "OpenMTP";
    if (std::string(st.kind) == "pair")
      plugin.creator.v1 = (lammpsplugin_factory1 *) st.creator;
    else
      plugin.creator.v2 = (lammpsplugin_factory2 *) st.creator;
    plugin.handle = handle;
    (*register_plugin)(&plugin, lmp);
  }
}
