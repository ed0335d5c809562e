# SPDX-License-Identifier: BSD-3-Clause
"""Extrapolation grades (MaxVol) and the active set, through libopenmtp."""
import ctypes
import os

import numpy as np
from ase import Atoms

from . import _cfg
from ._convert import c_ptr, fill_geometry
from ._lib import MTPError, check, lib, new_error
from .potential import GRADE_MODES, Potential


def _potential(pot, species):
    if isinstance(pot, Potential):
        if species is not None:
            raise ValueError("species goes with a potential path, not a Potential "
                             "(it was given when the Potential was made)")
        return pot
    return Potential(pot, species)


class Grader:
    """Grades configurations against the active set stored in a potential.

    Grader(potential, species=None): potential is a path or a Potential
    (trained, with an MLIP-3 active-learning section).  grade(atoms) returns
    (grade, atom_grades): the configuration's grade (max over atoms in
    neighbourhood mode) and the per-atom grades (None in configuration
    mode).  A grade <= 1 is interpolation; MLIP's usual thresholds are 2
    (save for labelling) and 10 (stop)."""

    def __init__(self, potential, species=None):
        self.potential = _potential(potential, species)
        self._lib = L = lib()
        self._grader = ctypes.c_void_p()
        err = new_error()
        check(L.mtp_grader_create(self.potential._handle, ctypes.byref(self._grader), err), err,
              self.potential.path)
        self.mode = GRADE_MODES.get(L.mtp_grader_mode(self._grader))

    def __del__(self):
        if getattr(self, "_grader", None):
            self._lib.mtp_grader_destroy(self._grader)
            self._grader = None

    def grade(self, atoms):
        L = self._lib
        types = self.potential.species_map.types_of(atoms.get_atomic_numbers())
        cfg = _cfg.new_cfg()
        L.mtp_cfg_init(cfg)
        err = new_error()
        try:
            fill_geometry(cfg, atoms, types)
            g = ctypes.c_double()
            per_atom = np.zeros(len(atoms)) if self.mode == "nbh" else None
            check(L.mtp_grade(self._grader, cfg, ctypes.byref(g),
                              c_ptr(per_atom) if per_atom is not None else None, err), err)
        finally:
            L.mtp_cfg_free(cfg)
        return g.value, per_atom

    def grades(self, atoms_list):
        """Configuration grades of a list of Atoms, as a numpy array."""
        return np.array([self.grade(a)[0] for a in atoms_list])


def grade(potential, atoms, species=None):
    """(grade, atom_grades) of one Atoms, or an array of grades of a list."""
    g = Grader(potential, species)
    if isinstance(atoms, Atoms):
        return g.grade(atoms)
    return g.grades(atoms)


def build_active_set(potential, atoms_list, species=None, mode="nbh", threshold=0.0,
                     init_value=0.0, weight_scaling=-1, save_to=None, fresh_inverse=False):
    """MaxVol active set of the potential over training configurations
    (mtp_active_set_select, what `mtp select` and the end of `mtp train` do).

    mode 'nbh' (rows per atom) or 'cfg' (rows per configuration);
    threshold/init_value/weight_scaling 0/0/-1 mean MLIP-3's defaults
    (1.001, 1e-6, 2).  fresh_inverse=True ends the selection with A^-1
    recomputed from A and swaps on until no row exceeds the threshold against
    it (as `mtp train`; every training row then grades <= threshold); False
    is MLIP-3's selection exactly, whose rank-one updates can drift.  The
    potential (a path is read; a Potential is changed in place) gets the
    active set; it is written to save_to when given.
    Returns (potential, number of configurations owning active rows)."""
    pot = _potential(potential, species)
    L = lib()
    if mode not in ("nbh", "cfg"):
        raise ValueError("mode must be 'nbh' or 'cfg', not %r" % (mode,))
    atoms_list = list(atoms_list)
    n = len(atoms_list)
    cfgs = (_cfg.mtp_cfg * max(n, 1))()
    for k in range(n):
        L.mtp_cfg_init(cfgs[k])
    opt = _cfg.mtp_active_set_options(1 if mode == "nbh" else 2, threshold, init_value,
                                      weight_scaling, int(bool(fresh_inverse)))
    err = new_error()
    selected = ctypes.c_int()
    try:
        for k, atoms in enumerate(atoms_list):
            fill_geometry(cfgs[k], atoms, pot.species_map.types_of(atoms.get_atomic_numbers()))
        check(L.mtp_active_set_select(pot._handle, cfgs, n, ctypes.byref(opt),
                                      ctypes.byref(selected), err), err)
    finally:
        for k in range(n):
            L.mtp_cfg_free(cfgs[k])
    if save_to is not None:
        pot.write(save_to)
    return pot, selected.value
