/* SPDX-License-Identifier: BSD-3-Clause */
/* lmp_mtp: LAMMPS' own main() plus the OpenMTP pair styles and compute mtp/atom.
 *
 * A drop-in for `lmp` (same command-line options, -in, -var, -log,
 * -screen, -partition, ...): it links the installed liblammps (Debian's
 * 29 Sep 2021 has no PLUGIN package) and, after constructing the LAMMPS
 * instance and before reading the input, inserts the "openmtp", "mtp" and
 * "mlip" pair-style creators into lmp->force->pair_map and "openmtp/atom" and
 * "mtp/atom" into lmp->modify->compute_map (openmtp_lammps_register; names the
 * library already has are left to it, see openmtp_styles.h). */
#include "lammps.h"

#include "accelerator_kokkos.h"
#include "input.h"
#include "lmppython.h"

#include "openmtp_styles.h"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

using namespace LAMMPS_NS;

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  MPI_Comm lammps_comm = MPI_COMM_WORLD;

  try {
    LAMMPS *lammps = new LAMMPS(argc, argv, lammps_comm);
    openmtp_lammps_register(lammps);
    lammps->input->file();
    delete lammps;
  } catch (std::exception &e) {
    fprintf(stderr, "lmp_mtp: unhandled exception: %s\n", e.what());
    KokkosLMP::finalize();
    Python::finalize();
    MPI_Abort(MPI_COMM_WORLD, 1);
    exit(1);
  }
  KokkosLMP::finalize();
  Python::finalize();
  MPI_Barrier(lammps_comm);
  MPI_Finalize();
  return 0;
}
