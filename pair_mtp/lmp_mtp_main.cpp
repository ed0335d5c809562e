/* SPDX-License-Identifier: BSD-3-Clause */
/* lmp_mtp: LAMMPS' own main() plus the OpenMTP pair styles and compute mtp/atom.
 *
 * A drop-in for `lmp` (same command-line options, -in, -var, -log,
 * -screen, -partition, ...): it links the installed liblammps (Debian's
 * 29 Sep 2021 has no PLUGIN package) and, after constructing the LAMMPS
 * instance and before reading the input, inserts the "openmtp", "mtp" and
 * "mlip" pair-style creators into lmp->force->pair_map and "openmtp/atom" and
 * "mtp/atom" into lmp->modify->compute_map (openmtp_lammps_register; names the
 * library already has are left to it, see openmtp_styles.h).  The `clear`
 * command rebuilds those maps; lmp_mtp's LAMMPS::post_create() below inserts
 * the styles again after every clear. */
#include "lammps.h"

#include "accelerator_kokkos.h"
#include "input.h"
#include "lmppython.h"

#include "openmtp_styles.h"

#include <mpi.h>

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

using namespace LAMMPS_NS;

/* The `clear` command (Input::clear: destroy(), create(), post_create()) deletes Force and Modify
 * and creates new ones whose style maps hold only the library's own styles, so the styles that
 * main() inserted were gone after a `clear` ("Unrecognized pair style 'mtp'"), and input scripts
 * that use clear (multi-stage runs, LAMMPS' ELASTIC example) failed.  LAMMPS has no hook for
 * this, but liblammps calls post_create() through its PLT (it is not linked -Bsymbolic; checked
 * on Debian's 29 Sep 2021 build), so this definition in the executable takes the place of the
 * library's (ELF symbol interposition) after construction and after every clear: it runs the
 * library's post_create() (found with dlsym(RTLD_NEXT)) and then inserts the styles.  Were the
 * library ever linked so that the call bound locally, this would simply not run and clear would
 * drop the styles as before; ctest lammps_clear catches that. */
void LAMMPS::post_create()
{
  using post_create_fn = void (*)(LAMMPS *);
  // the Itanium C++ ABI passes `this` as the first argument of a non-virtual member function
  static post_create_fn library_post_create =
      reinterpret_cast<post_create_fn>(dlsym(RTLD_NEXT, "_ZN9LAMMPS_NS6LAMMPS11post_createEv"));
  if (!library_post_create) {
    fprintf(stderr, "lmp_mtp: liblammps has no LAMMPS::post_create() (%s)\n", dlerror());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  library_post_create(this);
  openmtp_lammps_register(this);
}

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
