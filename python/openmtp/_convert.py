# SPDX-License-Identifier: BSD-3-Clause
"""ase.Atoms <-> mtp_cfg (the geometry; reference data live in io.py)."""
import numpy as np

from . import _cfg
from ._lib import MTPError, check, lib, new_error


def lattice_of(atoms):
    """Lattice rows as openmtp.h wants them: the cell vectors of periodic
    directions, zero rows for non-periodic ones."""
    cell = np.array(atoms.get_cell(), dtype=float)
    pbc = np.asarray(atoms.get_pbc(), dtype=bool)
    lat = np.where(pbc[:, None], cell, 0.0)
    for d in range(3):
        if pbc[d] and not np.any(lat[d]):
            raise MTPError("atoms are periodic along cell vector %d but that vector is zero" % d,
                           6)  # MTP_ERR_GEOMETRY
    return lat


def fill_geometry(cfg, atoms, types, flags=0):
    """Allocate cfg (library memory) for the atoms and set lattice, types,
    positions; `flags` names optional arrays to allocate as well."""
    L = lib()
    n = len(atoms)
    err = new_error()
    check(L.mtp_cfg_alloc(cfg, n, flags, err), err)
    lat = lattice_of(atoms)
    for a in range(3):
        for b in range(3):
            cfg.lattice[a][b] = lat[a, b]
    if n:
        pos = np.asarray(atoms.get_positions(), dtype=float)
        if not np.all(np.isfinite(pos)):
            raise MTPError("atom positions contain NaN or infinity", 6)  # MTP_ERR_GEOMETRY
        _cfg.array(cfg, "positions", copy=False)[:] = pos
        _cfg.array(cfg, "types", copy=False)[:] = np.asarray(types, dtype=np.intc)
    return lat


def c_ptr(a):
    import ctypes
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
