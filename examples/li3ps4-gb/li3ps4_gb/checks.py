# SPDX-License-Identifier: BSD-3-Clause
"""Geometric checks of a built or relaxed Li3PS4 cell; each returns a list of messages (empty =
passed).  Used by the builder on its own output and by the tests."""
import numpy as np
from pymatgen.core import Lattice, Structure

from . import SPECIES
from .crystal import PS_BOND_MAX

CHARGE = (1, 5, -2)   # formal charges Li+, P5+, S2-


def _structure(cell, types, pos):
    return Structure(Lattice(cell), [SPECIES[t] for t in types], pos, coords_are_cartesian=True)


def stoichiometry_check(types):
    n = np.bincount(np.asarray(types), minlength=3)
    msgs = []
    if n[1] == 0 or n[0] != 3 * n[1] or n[2] != 4 * n[1]:
        msgs.append("composition Li%d P%d S%d is not Li3PS4" % tuple(n))
    q = int(np.dot(n, CHARGE))
    if q != 0:
        msgs.append("cell charge %+d (formal charges Li+1 P+5 S-2), expected 0" % q)
    return msgs


def ps4_check(cell, types, pos):
    """Every P has exactly 4 S within PS_BOND_MAX, every S exactly one P."""
    st = _structure(cell, types, pos)
    i, j, _, d = st.get_neighbor_list(PS_BOND_MAX)
    types = np.asarray(types)
    ps = (types[i] == 1) & (types[j] == 2)
    nS = np.bincount(i[ps], minlength=len(types))
    nP = np.bincount(j[ps], minlength=len(types))
    msgs = []
    for k in np.where(types == 1)[0]:
        if nS[k] != 4:
            msgs.append("P atom %d has %d S within %.1f A, expected 4" % (k + 1, nS[k], PS_BOND_MAX))
    for k in np.where(types == 2)[0]:
        if nP[k] != 1:
            msgs.append("S atom %d has %d P within %.1f A, expected 1" % (k + 1, nP[k], PS_BOND_MAX))
    return msgs


def min_distance_check(cell, types, pos, thresholds, limit=5):
    """thresholds: {'Li-S': d, ...} (any order of the pair) and 'any': a floor for all pairs.
    P-S pairs closer than PS_BOND_MAX are bonds and only checked against 'any'."""
    st = _structure(cell, types, pos)
    rmax = max(thresholds.values()) + 0.01
    i, j, _, d = st.get_neighbor_list(rmax)
    msgs = []
    for a, b, r in zip(i, j, d):
        if a >= b:
            continue
        sa, sb = sorted((SPECIES[types[a]], SPECIES[types[b]]))
        lim = thresholds["any"]
        if not (sa == "P" and sb == "S" and r < PS_BOND_MAX):
            lim = max(lim, thresholds.get("%s-%s" % (sa, sb), 0.0))
        if r < lim:
            msgs.append("atoms %d (%s) and %d (%s) are %.3f A apart, minimum %.3f A"
                        % (a + 1, SPECIES[types[a]], b + 1, SPECIES[types[b]], r, lim))
            if len(msgs) >= limit:
                break
    return msgs


def orientation_check(cell, types, pos, grain, crystal, M1, axis_box, angle, axis_crys,
                      boundary_z, margin=3.0, tol=0.05):
    """Each grain is the crystal in its stated orientation: grain 1 M1 (box <- crystal
    Cartesian), grain 2 R(axis_box, angle) M1.  Checks that axis_box = M1 [uvw], that the in-plane
    box vectors are lattice vectors of both grains (periodicity), and that every atom farther
    than margin from a boundary plane sits on a crystal site of its species (within tol A)
    after mapping back with its grain's orientation (one common offset per grain)."""
    from .bicrystal import rotation_matrix
    msgs = []
    L = crystal.lattice.matrix
    Linv = np.linalg.inv(L)
    ax = np.asarray(axis_crys, float) @ L
    ax /= np.linalg.norm(ax)
    if np.linalg.norm(M1 @ ax - np.asarray(axis_box)) > 1e-6:
        msgs.append("stated box axis %s is not M1 [uvw] = %s" % (np.round(axis_box, 6),
                                                                  np.round(M1 @ ax, 6)))
    Ms = {1: np.asarray(M1), 2: rotation_matrix(axis_box, angle) @ np.asarray(M1)}
    cell = np.asarray(cell)
    Lz = cell[2, 2]
    z = np.asarray(pos)[:, 2]
    dz = np.min([np.abs((z - b + Lz / 2) % Lz - Lz / 2) for b in boundary_z], axis=0)
    site_f = crystal.frac_coords
    site_t = np.array([SPECIES.index(s.specie.symbol) for s in crystal])
    for g, M in Ms.items():
        for k in (0, 1):
            f = (M.T @ cell[k]) @ Linv
            if np.max(np.abs(f - np.rint(f))) > 1e-4:
                msgs.append("box vector %d is not a lattice vector of grain %d (%s)"
                            % (k + 1, g, np.round(f, 4)))
        sel = np.where((np.asarray(grain) == g) & (dz > margin))[0]
        if len(sel) < 4:
            msgs.append("grain %d has %d atoms farther than %.1f A from a boundary" % (g, len(sel), margin))
            continue
        xc = np.asarray(pos)[sel] @ M            # rows: M^T x
        ts = np.asarray(types)[sel]
        p0 = sel[np.where(ts == 1)[0][0]] if np.any(ts == 1) else sel[0]
        x0 = np.asarray(pos)[p0] @ M
        best = None
        for s in np.where(site_t == types[p0])[0]:
            o = x0 - site_f[s] @ L
            f = (xc - o) @ Linv
            worst = 0.0
            for t in range(3):
                m = ts == t
                if not m.any():
                    continue
                df = f[m][:, None, :] - site_f[site_t == t][None, :, :]
                df -= np.rint(df)
                dist = np.linalg.norm(df @ L, axis=2).min(axis=1)
                worst = max(worst, dist.max())
            best = worst if best is None else min(best, worst)
        if best is None or best > tol:
            msgs.append("grain %d: atoms off the crystal sites of its stated orientation by "
                        "up to %.3f A (tolerance %.3f A)" % (g, best if best is not None else -1, tol))
    return msgs


def files_agree(cfg, lmp, tol=1e-6):
    """The .cfg and the LAMMPS data file hold the same cell, types (cfg t = lammps t - 1) and
    positions (modulo lattice vectors)."""
    msgs = []
    if len(cfg["types"]) != len(lmp["types"]):
        return ["cfg has %d atoms, data file %d" % (len(cfg["types"]), len(lmp["types"]))]
    if np.max(np.abs(np.asarray(cfg["cell"]) - lmp["cell"])) > tol:
        msgs.append("cells differ by %.3g A" % np.max(np.abs(np.asarray(cfg["cell"]) - lmp["cell"])))
    bad = np.where(np.asarray(cfg["types"]) != lmp["types"])[0]
    if len(bad):
        msgs.append("atom %d: type %d in cfg, %d in the data file (expected cfg + 1)"
                    % (bad[0] + 1, cfg["types"][bad[0]], lmp["types"][bad[0]] + 1))
    df = (np.asarray(cfg["pos"]) - lmp["pos"]) @ np.linalg.inv(lmp["cell"])
    df -= np.rint(df)
    dev = np.linalg.norm(df @ lmp["cell"], axis=1)
    if dev.max() > tol * 10:
        k = int(np.argmax(dev))
        msgs.append("atom %d is %.3g A apart in the two files" % (k + 1, dev[k]))
    return msgs
