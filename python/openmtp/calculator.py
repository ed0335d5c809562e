# SPDX-License-Identifier: BSD-3-Clause
"""ASE calculator on libopenmtp."""
import ctypes

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

from . import _cfg
from ._convert import c_ptr, fill_geometry
from ._lib import MTPError, check, lib, new_error
from .potential import GRADE_MODES, Potential

MTP_ERR_UNTRAINED = 7


def voigt_of_virials(w9):
    """[n][9] row-major virials -> [n][6] Voigt xx yy zz yz xz xy, symmetrised
    (a per-atom virial need not be symmetric; their sum is)."""
    w = w9.reshape(-1, 3, 3)
    return np.stack([w[:, 0, 0], w[:, 1, 1], w[:, 2, 2],
                     0.5 * (w[:, 1, 2] + w[:, 2, 1]),
                     0.5 * (w[:, 0, 2] + w[:, 2, 0]),
                     0.5 * (w[:, 0, 1] + w[:, 1, 0])], axis=1)


class MTPCalculator(Calculator):
    """Moment Tensor Potential from an .mtp/.almtp file.

    MTPCalculator(potential_path, species=None, grades=True, min_dist='allow')

    species   element of each species of the potential in label order, for
              potentials with relative labels (0, 1, 2, ...), e.g. ['Li', 'P', 'S'];
              without it the labels must be atomic numbers.
    grades    compute extrapolation grades when the potential has an active
              set (MLIP-3 .almtp): results 'max_grade' (the configuration's
              grade) and, in neighbourhood mode, 'grades' (one per atom).
    min_dist  'allow' (evaluate atoms closer than the potential's min_dist, as
              MLIP does) or 'refuse' (raise MTPError).

    Results (ASE units and signs): energy, free_energy (= energy; an MTP has
    no electronic entropy), forces (eV/A), energies (site energies, summing to
    the energy), and for cells periodic in all three directions stress
    (-W/V in eV/A^3, Voigt xx yy zz yz xz xy) and stresses (per-atom
    -W_i/V with V the cell volume, so that they sum to stress, as
    ase.calculators.abc and ASE's LennardJones define them; W_i splits every
    pair term equally between its two atoms).  Non-periodic directions are
    zero lattice rows for the library; structures that are not periodic in
    all directions have no stress.  Library errors raise openmtp.MTPError.
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "energies",
                              "stresses", "grades", "max_grade"]

    def __init__(self, potential_path, species=None, grades=True, min_dist="allow", **kwargs):
        super().__init__(**kwargs)
        self.potential = Potential(potential_path, species)
        self.potential.species_map  # refuse relative labels without species now, not at the first step
        info = self.potential.info
        if not info["trained"]:
            raise MTPError("%s: the potential has no coefficients (train it first)"
                           % self.potential.path, MTP_ERR_UNTRAINED)
        L = self._lib = lib()
        err = new_error()
        self._calc = ctypes.c_void_p()
        check(L.mtp_calculator_create(self.potential._handle, ctypes.byref(self._calc), err), err)
        if min_dist not in ("allow", "refuse"):
            raise ValueError("min_dist must be 'allow' or 'refuse', not %r" % (min_dist,))
        L.mtp_calculator_set_min_dist_policy(self._calc, 1 if min_dist == "refuse" else 0)
        self._grader = None
        self.grade_mode = None
        if grades and info["has_al_state"]:
            self._grader = ctypes.c_void_p()
            check(L.mtp_grader_create(self.potential._handle, ctypes.byref(self._grader), err),
                  err, self.potential.path)
            self.grade_mode = GRADE_MODES.get(L.mtp_grader_mode(self._grader))

    def __del__(self):
        L = getattr(self, "_lib", None)
        if L is None:
            return
        if getattr(self, "_grader", None):
            L.mtp_grader_destroy(self._grader)
            self._grader = None
        if getattr(self, "_calc", None):
            L.mtp_calculator_destroy(self._calc)
            self._calc = None

    @property
    def species(self):
        """Element symbols of the potential's species, in label order."""
        return list(self.potential.species_map.symbols)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        L = self._lib
        n = len(atoms)
        types = self.potential.species_map.types_of(atoms.get_atomic_numbers())
        cfg = _cfg.new_cfg()
        L.mtp_cfg_init(cfg)
        err = new_error()
        try:
            fill_geometry(cfg, atoms, types)
            energy = ctypes.c_double()
            forces = np.zeros((n, 3))
            virial = np.zeros(6)
            site = np.zeros(n)
            want_atom_virials = "stresses" in properties
            site_vir = np.zeros((n, 9)) if want_atom_virials else None
            check(L.mtp_compute(self._calc, cfg, ctypes.byref(energy), c_ptr(forces),
                                c_ptr(virial), c_ptr(site),
                                c_ptr(site_vir) if want_atom_virials else None, err), err)
            res = {"energy": energy.value, "free_energy": energy.value, "forces": forces,
                   "energies": site}
            if all(atoms.get_pbc()):
                volume = L.mtp_cfg_volume(cfg)
                res["stress"] = -virial / volume
                if want_atom_virials:
                    res["stresses"] = -voigt_of_virials(site_vir) / volume
            if self._grader:
                grade = ctypes.c_double()
                per_atom = np.zeros(n) if self.grade_mode == "nbh" else None
                check(L.mtp_grade(self._grader, cfg, ctypes.byref(grade),
                                  c_ptr(per_atom) if per_atom is not None else None, err), err)
                res["max_grade"] = grade.value
                if per_atom is not None:
                    res["grades"] = per_atom
        finally:
            L.mtp_cfg_free(cfg)
        self.results.update(res)
