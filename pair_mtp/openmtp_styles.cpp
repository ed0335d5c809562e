/* SPDX-License-Identifier: BSD-3-Clause */
#include "openmtp_styles.h"

#include "compute_mtp_atom.h"
#include "pair_mtp.h"

#include "comm.h"
#include "force.h"
#include "modify.h"
#include "utils.h"

#include <string>

using namespace LAMMPS_NS;

static Pair *create_openmtp(LAMMPS *lmp)
{
  return new PairOpenMTP(lmp, "openmtp");
}
static Pair *create_mtp(LAMMPS *lmp)
{
  return new PairOpenMTP(lmp, "mtp");
}
static Pair *create_mlip(LAMMPS *lmp)
{
  return new PairOpenMLIP(lmp);
}
static Compute *create_compute(LAMMPS *lmp, int narg, char **arg)
{
  return new ComputeOpenMTPAtom(lmp, narg, arg);
}

std::vector<openmtp_lammps_style> openmtp_lammps_styles(LAMMPS *lmp)
{
  std::vector<openmtp_lammps_style> all = {
      {"pair", "openmtp", "OpenMTP moment tensor potential (pair_style openmtp)",
       (void *) &create_openmtp},
      {"pair", "mtp", "OpenMTP moment tensor potential (pair_style mtp = openmtp)",
       (void *) &create_mtp},
      {"pair", "mlip", "OpenMTP drop-in for the MLIP-3 interface (pair_style mlip load_from=...)",
       (void *) &create_mlip},
      {"compute", "openmtp/atom", "OpenMTP per-atom extrapolation grade (compute openmtp/atom)",
       (void *) &create_compute},
      {"compute", "mtp/atom", "OpenMTP per-atom extrapolation grade (compute mtp/atom)",
       (void *) &create_compute},
  };
  std::vector<openmtp_lammps_style> out;
  for (const auto &st : all) {
    const std::string kind = st.kind, name = st.name;
    bool taken = false;
    if (name != "openmtp" && name != "openmtp/atom") {
      if (kind == "pair") {
        auto it = lmp->force->pair_map->find(name);
        taken = it != lmp->force->pair_map->end() && (void *) it->second != st.creator;
      } else {
        auto it = lmp->modify->compute_map->find(name);
        taken = it != lmp->modify->compute_map->end() && (void *) it->second != st.creator;
      }
    }
    if (!taken) {
      out.push_back(st);
    } else if (lmp->comm->me == 0) {
      utils::logmesg(lmp, "OpenMTP: " + kind + " style " + name +
                              " is already defined in this LAMMPS (built in, e.g. the ML-MTP "
                              "package, or from another plugin) and is left to it; OpenMTP's is " +
                              (kind == "pair" ? "'pair_style openmtp' (same arguments as "
                                                "OpenMTP's pair_style mtp)"
                                              : "'compute ID group openmtp/atom'") +
                              "\n");
    }
  }
  return out;
}

extern "C" void openmtp_lammps_register(void *ptr)
{
  LAMMPS *lmp = static_cast<LAMMPS *>(ptr);
  for (const auto &st : openmtp_lammps_styles(lmp)) {
    if (std::string(st.kind) == "pair")
      (*lmp->force->pair_map)[st.name] = (Force::PairCreator) st.creator;
    else
      (*lmp->modify->compute_map)[st.name] = (Modify::ComputeCreator) st.creator;
  }
}
