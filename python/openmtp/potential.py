# SPDX-License-Identifier: BSD-3-Clause
"""A loaded MTP potential (.mtp / .almtp) and the mapping of chemical
elements to its species."""
import ctypes
import os

from . import _cfg
from ._lib import MTPError, check, lib, new_error

GRADE_MODES = {1: "nbh", 2: "cfg"}  # mtp_grade_mode
MTP_ERR_SPECIES = 5


class Potential:
    """An MLIP-2 .mtp or MLIP-3 .almtp potential read by libopenmtp.

    `species` optionally names the element of each species of the potential,
    in the order of its labels (needed when the labels are relative types
    0, 1, 2, ..., as `pair_style mtp FILE species Li P S`); without it the
    labels must be atomic numbers."""

    def __init__(self, path, species=None):
        L = lib()
        self.path = os.fspath(path)
        self._handle = ctypes.c_void_p()
        err = new_error()
        check(L.mtp_potential_read(self.path.encode(), ctypes.byref(self._handle), err), err)
        self._lib = L
        self._species = species
        self._species_map = None

    @property
    def species_map(self):
        """Element -> species mapping (built on first use: a potential with
        relative labels and no species can still be inspected and written)."""
        if self._species_map is None:
            self._species_map = SpeciesMap(self, self._species)
        return self._species_map

    @classmethod
    def generate(cls, level, species=("0",), cutoff=5.0, min_dist=2.0, radial_basis_size=8,
                 radial_funcs_count=0):
        """A new untrained potential of any level (mtp_potential_generate, as
        `mtp init`).  species: element symbols (labels = atomic numbers) or
        integer labels, e.g. ['Li', 'P', 'S'] or [0, 1, 2]."""
        L = lib()
        labels = []
        for s in species:
            if isinstance(s, int) or str(s).isdigit():
                labels.append(int(s))
            else:
                z = L.mtp_element_number(str(s).encode())
                if z <= 0:
                    raise MTPError("generate: '%s' is neither an element symbol nor a label" % s)
                labels.append(z)
        arr = (ctypes.c_int * len(labels))(*labels)
        opt = _cfg.mtp_basis_options(int(level), len(labels), arr, float(min_dist),
                                     float(cutoff), int(radial_basis_size),
                                     int(radial_funcs_count))
        self = cls.__new__(cls)
        self.path = "<generated level %d>" % int(level)
        self._handle = ctypes.c_void_p()
        err = new_error()
        check(L.mtp_potential_generate(ctypes.byref(opt), ctypes.byref(self._handle), err), err)
        self._lib = L
        self._species = None
        self._species_map = None
        return self

    def __del__(self):
        h = getattr(self, "_handle", None)
        if h:
            self._lib.mtp_potential_destroy(h)
            self._handle = None

    @property
    def info(self):
        """mtp_potential_info as a dict (level, species_count, trained, ...)."""
        i = self._lib.mtp_potential_get_info(self._handle)
        d = {name: getattr(i, name) for name, _t in i._fields_}
        d["trained"] = bool(d["trained"])
        d["has_al_state"] = bool(d["has_al_state"])
        d["radial_type"] = ["RBChebyshev", "RBChebyshev_repuls"][d["radial_type"]] \
            if d["radial_type"] in (0, 1) else d["radial_type"]
        return d

    @property
    def labels(self):
        """Species labels (the integer types of the potential), in order."""
        L = self._lib
        return [L.mtp_potential_species_label(self._handle, s)
                for s in range(L.mtp_potential_species_count(self._handle))]

    @property
    def cutoff(self):
        return self._lib.mtp_potential_cutoff(self._handle)

    @property
    def trained(self):
        return self.info["trained"]

    @property
    def has_active_set(self):
        return self.info["has_al_state"]

    def set_labels(self, labels):
        """Replace the species labels, e.g. relative [0, 1] by atomic numbers
        [14, 6] so that the written potential maps elements by itself.  The
        same number of labels keeps the coefficients (and the active set)."""
        labels = [int(x) for x in labels]
        if len(labels) != len(self.labels):
            raise MTPError("set_labels: %d labels given for a potential with %d species (a new "
                           "species count would discard the coefficients)"
                           % (len(labels), len(self.labels)))
        arr = (ctypes.c_int * len(labels))(*labels)
        err = new_error()
        check(self._lib.mtp_potential_set_species(self._handle, len(labels), arr, err), err)
        self._species_map = None

    def write(self, path):
        """Write in MLIP-3 format (atomically; active set included)."""
        err = new_error()
        check(self._lib.mtp_potential_write(self._handle, os.fspath(path).encode(), err), err)

    def __repr__(self):
        i = self.info
        return "Potential(%r: level %d, labels %s, cutoff %g, %s%s)" % (
            self.path, i["level"], self.labels, self.cutoff,
            "trained" if i["trained"] else "untrained",
            ", active set" if i["has_al_state"] else "")


class SpeciesMap:
    """Chemical symbol -> (species index, type label) for one potential."""

    def __init__(self, pot, species=None):
        L = lib()
        labels = pot.labels
        self.labels = labels
        self.path = pot.path
        self._by_z = {}
        if species is not None:
            species = [str(s) for s in species]
            if len(species) != len(labels):
                raise MTPError("species names %d elements (%s) but potential %s has %d species "
                               "(labels %s)" % (len(species), " ".join(species), pot.path,
                                                len(labels), " ".join(map(str, labels))))
            for k, sym in enumerate(species):
                z = L.mtp_element_number(sym.encode())
                if z <= 0:
                    raise MTPError("species: '%s' is not a chemical element symbol" % sym)
                if z in self._by_z:
                    raise MTPError("species: element %s is named twice" % sym)
                self._by_z[z] = k
            self.symbols = species
        else:
            if any(lab <= 0 or lab > 118 for lab in labels):
                raise MTPError(
                    "potential %s uses relative species labels (%s), so chemical elements cannot "
                    "be matched to its species; name them, one per species in label order, with "
                    "species=['El0', 'El1', ...]" % (pot.path, " ".join(map(str, labels))),
                    MTP_ERR_SPECIES)
            for k, lab in enumerate(labels):
                self._by_z[lab] = k
            self.symbols = [L.mtp_element_symbol(z).decode() for z in labels]

    def types_of(self, numbers):
        """Type labels (what mtp_cfg.types holds) of atoms with these atomic numbers."""
        out = []
        bad = set()
        for z in numbers:
            k = self._by_z.get(int(z))
            if k is None:
                bad.add(int(z))
            else:
                out.append(self.labels[k])
        if bad:
            L = lib()
            names = sorted((L.mtp_element_symbol(z).decode() if 0 < z <= 118 else "Z=%d" % z)
                           for z in bad)
            raise MTPError("element%s %s not among the species of potential %s (%s)"
                           % ("s" if len(bad) > 1 else "", ", ".join(names), self.path,
                              ", ".join("%s = label %d" % (s, lab)
                                        for s, lab in zip(self.symbols, self.labels))),
                           MTP_ERR_SPECIES)
        return out
