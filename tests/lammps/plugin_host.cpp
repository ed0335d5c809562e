/* SPDX-License-Identifier: BSD-3-Clause */
/* A LAMMPS executable on the installed liblammps (Debian's has no PLUGIN
 * package) with a `plugin load FILE` command, so that mtpplugin.so can be
 * tested without building LAMMPS.  The command does what LAMMPS' PLUGIN
 * package does (as documented for plugin.cpp / lammpsplugin_t): dlopen with
 * RTLD_NOW | RTLD_GLOBAL, call lammpsplugin_init(lmp, handle, regfunc), and
 * register each pair or compute style it passes to regfunc, overriding an
 * existing one with LAMMPS' warning "Overriding built-in ... style".
 *
 * Built twice (tests/lammps.cmake): lammps_plugin_host, and with
 * OPENMTP_FAKE_NATIVE_MTP lammps_clash_host, which is linked with
 * fake_native_mtp.cpp and registers its LAMMPS_NS::PairMTP as pair_style mtp
 * (and compute mtp/atom) before reading the input: a LAMMPS that has the
 * native ML-MTP package built in. */
#include "command.h"
#include "comm.h"
#include "error.h"
#include "force.h"
#include "input.h"
#include "lammps.h"
#include "lammpsplugin.h"
#include "modify.h"
#include "utils.h"

#include <mpi.h>

#include <dlfcn.h>

#include <string>

using namespace LAMMPS_NS;

#ifdef OPENMTP_FAKE_NATIVE_MTP
extern "C" void fake_native_register(void *lmp);
#endif

static void register_style(lammpsplugin_t *plugin, void *ptr)
{
  LAMMPS *lmp = static_cast<LAMMPS *>(ptr);
  const std::string kind = plugin->style, name = plugin->name;
  if (lmp->comm->me == 0)
    utils::logmesg(lmp, "Loading plugin: " + std::string(plugin->info) + " by " +
                            std::string(plugin->author) + "\n");
  if (kind == "pair") {
    if (lmp->force->pair_map->count(name) && lmp->comm->me == 0)
      lmp->error->warning(FLERR, "Overriding built-in pair style " + name + " from plugin");
    (*lmp->force->pair_map)[name] = (Force::PairCreator) plugin->creator.v1;
  } else if (kind == "compute") {
    if (lmp->modify->compute_map->count(name) && lmp->comm->me == 0)
      lmp->error->warning(FLERR, "Overriding built-in compute style " + name + " from plugin");
    (*lmp->modify->compute_map)[name] = (Modify::ComputeCreator) plugin->creator.v2;
  } else {
    lmp->error->all(FLERR, "plugin_host: style kind '" + kind + "' is not supported here");
  }
}

namespace {
class PluginCommand : public Command {
 public:
  PluginCommand(LAMMPS *lmp) : Command(lmp) {}
  void command(int narg, char **arg) override
  {
    if (narg != 2 || std::string(arg[0]) != "load")
      error->all(FLERR, "plugin_host: only 'plugin load FILE' is supported");
    dlerror();
    void *dso = dlopen(arg[1], RTLD_NOW | RTLD_GLOBAL);
    if (!dso) error->all(FLERR, "plugin_host: cannot open " + std::string(arg[1]) + ": " + dlerror());
    void *init = dlsym(dso, "lammpsplugin_init");
    if (!init) error->all(FLERR, "plugin_host: " + std::string(arg[1]) + " has no lammpsplugin_init");
    (*(lammpsplugin_initfunc) init)((void *) lmp, dso, (void *) &register_style);
  }
};

Command *create_plugin_command(LAMMPS *lmp)
{
  return new PluginCommand(lmp);
}
}    // namespace

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  LAMMPS *lmp = new LAMMPS(argc, argv, MPI_COMM_WORLD);
#ifdef OPENMTP_FAKE_NATIVE_MTP
  fake_native_register(lmp);
#endif
  (*lmp->input->command_map)["plugin"] = &create_plugin_command;
  lmp->input->file();
  delete lmp;
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return 0;
}
