# SPDX-License-Identifier: BSD-3-Clause
"""MLIP .cfg files (and the library's other formats) <-> ase.Atoms.

read_cfg(path, species=None, format='auto') -> list of ase.Atoms
write_cfg(path, atoms_list, species=None, format='cfg', append=False, no_loss=False)

Both go through libopenmtp's readers and writers, so what is accepted and
rejected (with "file:line: ..." messages) is exactly what `mtp` accepts.

Mapping of .cfg data to ase.Atoms:
  type t            -> element species[t] if species is given, otherwise the
                       element with atomic number t (MLIP --absolute_types);
                       the raw types are kept in atoms.arrays['mtp_types']
  Supercell         -> cell rows; pbc True exactly where a row is given
  Energy            -> calculator 'energy' and 'free_energy'
  fx fy fz          -> 'forces'
  site_en           -> 'energies'
  PlusStress W (eV) -> 'stress' = -W/V (eV/A^3, Voigt xx yy zz yz xz xy) for 3-D
                       periodic cells; otherwise atoms.info['virial'] (3x3 W, eV,
                       ASE extxyz's meaning of 'virial')
  Feature key value -> atoms.info[key] = value (str; multi-line values keep '\n')
  nbh_grades, charges, ghost, force_weight -> atoms.arrays['nbh_grades'],
                       'initial_charges', 'ghost', 'force_weights'
  magmom / en_der_magmom -> atoms.arrays['mtp_magmom'] / ['mtp_en_der_magmom']
The reference data are attached as an ase SinglePointCalculator.  Writing
takes energies, forces and stress from atoms.calc without computing
anything (only results already there for these very atoms), and every
atoms.info entry whose value is a str, int or float as a Feature.
"""
import ctypes
import os
import numbers

import numpy as np
from ase import Atoms
from ase.calculators.calculator import PropertyNotImplementedError
from ase.calculators.singlepoint import SinglePointCalculator

from . import _cfg
from ._convert import fill_geometry
from ._lib import MTPError, check, lib, new_error

_ARRAY_NAMES = {  # mtp_cfg optional array -> atoms.arrays key
    "nbh_grades": "nbh_grades",
    "charges": "initial_charges",
    "ghost": "ghost",
    "force_weights": "force_weights",
    "magmom": "mtp_magmom",
    "en_der_magmom": "mtp_en_der_magmom",
}


def _format_code(fmt, default):
    L = lib()
    if fmt is None:
        fmt = default
    code = L.mtp_format_from_name(str(fmt).encode())
    if code < 0:
        raise MTPError("unknown configuration format '%s'" % fmt)
    return code


def _symbols_for(types, species, path, index):
    L = lib()
    out = []
    for t in types:
        t = int(t)
        if species is not None:
            if not 0 <= t < len(species):
                raise MTPError("%s: configuration %d has atom type %d but species names only "
                               "types 0..%d (%s)" % (path, index, t, len(species) - 1,
                                                     " ".join(species)))
            out.append(species[t])
        else:
            if not 0 < t <= 118:
                raise MTPError("%s: configuration %d has atom type %d, which is not an atomic "
                               "number; give the element of each relative type with "
                               "species=['El0', 'El1', ...]" % (path, index, t))
            out.append(L.mtp_element_symbol(t).decode())
    return out


def cfg_to_atoms(cfg, species=None, path="<cfg>", index=0):
    """One mtp_cfg as ase.Atoms with a SinglePointCalculator."""
    n = cfg.n_atoms
    types = _cfg.array(cfg, "types") if n else np.zeros(0, dtype=np.intc)
    pos = _cfg.array(cfg, "positions") if n else np.zeros((0, 3))
    lat = np.array([[cfg.lattice[a][b] for b in range(3)] for a in range(3)])
    pbc = np.any(lat != 0.0, axis=1)
    atoms = Atoms(symbols=_symbols_for(types, species, path, index), positions=pos,
                  cell=lat, pbc=pbc)
    atoms.arrays["mtp_types"] = np.asarray(types, dtype=int)
    for name, key in _ARRAY_NAMES.items():
        if _cfg.has_array(name):
            a = _cfg.array(cfg, name)
            if a is not None:
                atoms.arrays[key] = a.astype(bool) if name == "ghost" else a
    for k in range(cfg.n_features):
        f = cfg.features[k]
        atoms.info[f.key.decode()] = (f.value or b"").decode()
    results = {}
    if cfg.has_energy:
        results["energy"] = results["free_energy"] = cfg.energy
    if cfg.forces:
        results["forces"] = _cfg.array(cfg, "forces")
    if cfg.site_energies:
        results["energies"] = _cfg.array(cfg, "site_energies")
    if cfg.has_stress:
        w = np.array(cfg.stress[:])
        if all(pbc):
            results["stress"] = -w / abs(np.linalg.det(lat))
        else:
            xx, yy, zz, yz, xz, xy = w
            atoms.info["virial"] = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
    if results:
        atoms.calc = SinglePointCalculator(atoms, **results)
    return atoms


def read_cfg(path, species=None, format="auto"):
    """All configurations of a file (MLIP .cfg text or binary; with format=
    any format of `mtp help convert`) as a list of ase.Atoms."""
    L = lib()
    path = os.fspath(path)
    if species is not None:
        species = [str(s) for s in species]
    opt = _cfg.mtp_read_options()
    keep = None
    if species is not None:  # element names for formats that name elements (XYZ, OUTCAR, ...)
        keep = (ctypes.c_char_p * len(species))(*[s.encode() for s in species])
        opt.type_map = ctypes.cast(keep, ctypes.POINTER(ctypes.c_char_p))
        opt.type_map_count = len(species)
    err = new_error()
    reader = ctypes.c_void_p()
    check(L.mtp_reader_open(path.encode(), _format_code(format, "auto"), ctypes.byref(opt),
                            ctypes.byref(reader), err), err)
    cfg = _cfg.new_cfg()
    L.mtp_cfg_init(cfg)
    out = []
    try:
        got = ctypes.c_int()
        while True:
            check(L.mtp_reader_next(reader, cfg, ctypes.byref(got), err), err)
            if not got.value:
                break
            out.append(cfg_to_atoms(cfg, species, path, len(out)))
    finally:
        L.mtp_cfg_free(cfg)
        L.mtp_reader_close(reader)
    return out


def _result(atoms, name):
    """A result already held by atoms.calc for these atoms, else None (never computes)."""
    calc = atoms.calc
    if calc is None:
        return None
    try:
        return calc.get_property(name, atoms, allow_calculation=False)
    except PropertyNotImplementedError:
        return None


def _types_for(atoms, species, index):
    if species is not None:
        where = {s: t for t, s in enumerate(species)}
        syms = atoms.get_chemical_symbols()
        missing = sorted(set(syms) - set(where))
        if missing:
            raise MTPError("configuration %d has element%s %s not in species (%s)"
                           % (index, "s" if len(missing) > 1 else "", ", ".join(missing),
                              " ".join(species)))
        return [where[s] for s in syms]
    return list(atoms.get_atomic_numbers())


def atoms_to_cfg(cfg, atoms, species=None, index=0):
    """Fill an initialised mtp_cfg from ase.Atoms (geometry, reference data, features)."""
    L = lib()
    err = new_error()
    types = _types_for(atoms, species, index)
    energy = _result(atoms, "energy")
    forces = _result(atoms, "forces")
    site = _result(atoms, "energies")
    stress = _result(atoms, "stress")
    flags = 0
    if forces is not None:
        flags |= _cfg.flag_of("forces")
    if site is not None:
        flags |= _cfg.flag_of("site_energies")
    present = {}
    for name, key in _ARRAY_NAMES.items():
        if key in atoms.arrays and _cfg.has_array(name):
            present[name] = atoms.arrays[key]
            flags |= _cfg.flag_of(name)
    lat = fill_geometry(cfg, atoms, types, flags)
    if energy is not None:
        cfg.has_energy, cfg.energy = 1, float(energy)
    if forces is not None:
        _cfg.array(cfg, "forces", copy=False)[:] = np.asarray(forces, dtype=float)
    if site is not None:
        _cfg.array(cfg, "site_energies", copy=False)[:] = np.asarray(site, dtype=float)
    for name, a in present.items():
        dst = _cfg.array(cfg, name, copy=False)
        dst[:] = np.asarray(a).reshape(dst.shape)
    w = None
    if stress is not None:
        s = np.asarray(stress, dtype=float)
        if s.shape == (3, 3):
            s = np.array([s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]])
        volume = abs(np.linalg.det(lat))
        if volume == 0.0:
            raise MTPError("configuration %d has a stress but is not periodic in all three "
                           "directions (no volume to turn it into a virial)" % index)
        w = -s * volume
    elif "virial" in atoms.info:
        v = np.asarray(atoms.info["virial"], dtype=float).reshape(3, 3)
        w = np.array([v[0, 0], v[1, 1], v[2, 2], v[1, 2], v[0, 2], v[0, 1]])
    if w is not None:
        cfg.has_stress = 1
        for k in range(6):
            cfg.stress[k] = w[k]
    for key, value in atoms.info.items():
        if key == "virial" or isinstance(value, bool):
            continue
        if isinstance(value, (str, numbers.Integral, numbers.Real)):
            if isinstance(value, str):
                text = value
            elif isinstance(value, numbers.Integral):
                text = str(int(value))
            else:
                text = repr(float(value))  # shortest exact text (numpy scalars included)
            check(L.mtp_cfg_set_feature(cfg, str(key).encode(), text.encode(), err), err)


def write_cfg(path, atoms_list, species=None, format="cfg", append=False, no_loss=False):
    """Write ase.Atoms (one or a list) as MLIP .cfg (atomically unless append).

    Types: species.index(symbol) if species is given (relative types, as
    MLIP's training sets usually have), otherwise atomic numbers."""
    L = lib()
    if isinstance(atoms_list, Atoms):
        atoms_list = [atoms_list]
    atoms_list = list(atoms_list)
    if species is not None:
        species = [str(s) for s in species]
    n = len(atoms_list)
    cfgs = (_cfg.mtp_cfg * max(n, 1))()
    for k in range(n):
        L.mtp_cfg_init(cfgs[k])
    opt = _cfg.mtp_write_options()
    opt.no_loss = 1 if no_loss else 0
    keep = None
    if species is not None:  # element names for formats that write them (XYZ, POSCAR, LAMMPS)
        keep = (ctypes.c_char_p * len(species))(*[s.encode() for s in species])
        opt.type_map = ctypes.cast(keep, ctypes.POINTER(ctypes.c_char_p))
        opt.type_map_count = len(species)
    err = new_error()
    try:
        for k, atoms in enumerate(atoms_list):
            atoms_to_cfg(cfgs[k], atoms, species, k)
        check(L.mtp_write_cfgs(os.fspath(path).encode(), cfgs, n, _format_code(format, "cfg"),
                               ctypes.byref(opt), 1 if append else 0, err), err)
    finally:
        for k in range(n):
            L.mtp_cfg_free(cfgs[k])
