# SPDX-License-Identifier: BSD-3-Clause
"""The ordered beta-Li3PS4 model (Pnma, a > b > c, 32 atoms) and the rational approximation of
its squared lattice constants that a coincidence-site lattice needs.

An orthorhombic lattice has a CSL for a rotation about [uvw] only if the squared axial ratios
entering the rotation are rational (pymatgen's GrainBoundaryGenerator takes them as the integer
triple ratio = [mu, lam, mv] = c^2 : b^2 : a^2, None for an axis that does not enter).  The
real ratios of beta-Li3PS4 (c^2 : b^2 : a^2 = 1 : 1.8017 : 4.3822) are not small rationals, so
the crystal is strained to the chosen ratio before the bicrystal is built.  The strain keeps
the volume of the cell (and the length of an axis that does not enter, ratio None); both grains
carry the same strain, and boundary energies are referred to bulk at that same strain."""
import math
import os
import numpy as np
from pymatgen.core import Lattice, Structure
from pymatgen.analysis.gb.grain import GrainBoundaryGenerator

from . import SPECIES
from .cellio import read_cfg

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MODEL = os.path.normpath(os.path.join(
    HERE, "..", "..", "li3ps4-beta", "cp2k", "beta-Li3PS4_geoopt_partial.cfg"))
PS_BOND_MAX = 2.3   # A; P-S bonds in the model are 2.03-2.08 A, the next S is > 3.3 A away


def load_model(path=DEFAULT_MODEL):
    """pymatgen Structure of a one-frame .cfg with an orthogonal cell (a, b, c along x, y, z)."""
    c = read_cfg(path)
    h = c["cell"]
    if np.max(np.abs(h - np.diag(np.diag(h)))) > 1e-6:
        raise ValueError("%s: expected an orthogonal cell (orthorhombic model)" % path)
    return Structure(Lattice(h), [SPECIES[t] for t in c["types"]], c["pos"],
                     coords_are_cartesian=True)


def ps4_units(structure):
    """For every P (site index) the indices of its four S and their Cartesian offsets from the P
    (minimum image).  Raises if a P does not have exactly four S within PS_BOND_MAX or an S
    does not belong to exactly one P."""
    units = {}
    owner = {}
    p_idx = [i for i, s in enumerate(structure) if s.specie.symbol == "P"]
    s_idx = [i for i, s in enumerate(structure) if s.specie.symbol == "S"]
    for p in p_idx:
        neigh = [(j, d) for j in s_idx
                 for d in [structure.lattice.get_distance_and_image(
                     structure[p].frac_coords, structure[j].frac_coords)]
                 if d[0] < PS_BOND_MAX]
        if len(neigh) != 4:
            raise ValueError("P %d has %d S within %.2f A, expected 4" % (p, len(neigh), PS_BOND_MAX))
        offs = []
        for j, (_, image) in neigh:
            if j in owner:
                raise ValueError("S %d belongs to P %d and P %d" % (j, owner[j], p))
            owner[j] = p
            fj = structure[j].frac_coords + image
            offs.append(structure.lattice.get_cartesian_coords(fj - structure[p].frac_coords))
        units[p] = ([j for j, _ in neigh], np.array(offs))
    if len(owner) != len(s_idx):
        raise ValueError("%d S atoms belong to no P" % (len(s_idx) - len(owner)))
    return units


def strain_for_ratio(lengths, ratio):
    """Relative changes (ea, eb, ec) of the lattice constants that make c^2:b^2:a^2 = ratio
    exactly, keeping the product of the lengths that enter (and any None axis unchanged)."""
    mu, lam, mv = ratio
    sq = {0: mv, 1: lam, 2: mu}
    enter = [i for i in range(3) if sq[i] is not None]
    L = np.asarray(lengths, float)
    k = (np.prod(L[enter]) / np.prod([math.sqrt(sq[i]) for i in enter])) ** (1.0 / len(enter))
    new = L.copy()
    for i in enter:
        new[i] = k * math.sqrt(sq[i])
    return new / L - 1.0


def strained(structure, strain):
    L = np.array(structure.lattice.abc) * (1.0 + np.asarray(strain))
    return Structure(Lattice.orthorhombic(*L), structure.species, structure.frac_coords)


def axis_ratio_template(axis):
    """Which squared axial ratios enter a rotation about [uvw]: an axis along a crystal axis
    leaves that axis' length out (pymatgen: ratio entry None)."""
    u, v, w = axis
    if v == 0 and w == 0:
        return (1, 1, None)          # about a: c^2 : b^2 only
    if u == 0 and w == 0:
        return (1, None, 1)          # about b: c^2 : a^2
    if u == 0 and v == 0:
        return (None, 1, 1)          # about c: b^2 : a^2
    return (1, 1, 1)


def _sigma_angles(axis, ratio, sigma_max):
    try:
        return GrainBoundaryGenerator.enum_sigma_ort(sigma_max, list(axis), list(ratio))
    except (RuntimeError, ValueError, ZeroDivisionError):
        return {}


def choose_ratio(lengths, axis, sigma=None, angle=None, max_int=40, max_strain=0.06):
    """Smallest-strain integer ratio c^2:b^2:a^2 (entries up to max_int, max |strain| up to
    max_strain) that has a CSL of the requested Sigma (or containing the requested angle)
    about axis.  Returns (ratio, strain, {sigma: [angles]})."""
    tmpl = axis_ratio_template(axis)
    best = None
    sig_max = sigma if sigma is not None else 60
    rng = range(1, max_int + 1)
    for mu in (rng if tmpl[0] else [None]):
        for lam in (rng if tmpl[1] else [None]):
            for mv in (rng if tmpl[2] else [None]):
                r = (mu, lam, mv)
                ints = [x for x in r if x is not None]
                if math.gcd(*ints) != 1:
                    continue
                eps = strain_for_ratio(lengths, r)
                e = np.max(np.abs(eps))
                if e > max_strain or (best is not None and e >= best[0]):
                    continue
                sig = _sigma_angles(axis, r, sig_max)
                if sigma is not None and sigma not in sig:
                    continue
                if angle is not None and not any(
                        abs(a - angle) < 1e-3 for v in sig.values() for a in v):
                    continue
                best = (e, r, eps, sig)
    if best is None:
        raise ValueError("no ratio c2:b2:a2 with entries <= %d and strain <= %.1f %% gives %s "
                         "about [%s]" % (max_int, 100 * max_strain,
                                         "Sigma %d" % sigma if sigma else "angle %g" % angle,
                                         " ".join(map(str, axis))))
    return best[1], best[2], best[3]
