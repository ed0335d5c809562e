# SPDX-License-Identifier: BSD-3-Clause
"""OpenMTP from Python: Moment Tensor Potentials through libopenmtp (ctypes).

    from openmtp import MTPCalculator, read_cfg, write_cfg, Grader, MTPError

MTPCalculator        ASE calculator (energy, forces, stress, per-atom energies
                     and stresses, extrapolation grades)
read_cfg, write_cfg  MLIP .cfg <-> ase.Atoms
Potential            a loaded .mtp/.almtp (info, labels, cutoff, write)
Grader, grade        extrapolation grades against the stored active set
build_active_set     MaxVol active set over training configurations
train_potential      training in this process through libopenmtp_train, with a
                     progress callback (clean stop, checkpoint, resume)
select_configurations  `mtp select_add` in this process (libopenmtp_train)
train, select_add    `mtp train` / `mtp select_add` as subprocesses
MTPError             every library error, with the library's message
openmtp.plot         PNG plots: parity/error histograms of check_errors, learning
                     curves of `mtp train`, grade histograms (python3 -m openmtp.plot)
"""
from ._lib import MTPError, library_path
from .potential import Potential
from .io import read_cfg, write_cfg
from .grading import Grader, grade, build_active_set
from .commands import train, select_add, run_mtp, mtp_executable
from .calculator import MTPCalculator
from .training import train_potential, TrainProgress, TrainResult, select_configurations, Selected


def version():
    """libopenmtp's version string."""
    from ._lib import lib
    return lib().mtp_version().decode()


__all__ = ["MTPCalculator", "MTPError", "Potential", "read_cfg", "write_cfg", "Grader", "grade",
           "build_active_set", "train", "train_potential", "TrainProgress", "TrainResult",
           "select_configurations", "Selected", "select_add",
           "run_mtp", "mtp_executable", "version",
           "library_path"]
