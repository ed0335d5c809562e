# SPDX-License-Identifier: BSD-3-Clause
"""Choosing the rigid-body translation: every candidate (u, v, gap) of a grid is built with the
overlap rule, minimised with the potential (atoms only, loose tolerance), the lowest valid one
is minimised again tightly (atoms, then box length normal to the plane if asked), and its
boundary energy is returned.  A candidate is invalid (kept in the log, never chosen) if the
relaxed cell has wall energy above WALL_MAX, a broken PS4 unit or a pair closer than the
stated minimum distance: that is how a potential's failure shows instead of a number."""
import numpy as np

from . import lammps
from .checks import ps4_check, min_distance_check

WALL_MAX = 1e-3   # eV per cell: the guard wall must not have been touched


def relaxed_ok(cell, thresholds):
    msgs = ps4_check(cell["cell"], cell["types"], cell["pos"])
    msgs += min_distance_check(cell["cell"], cell["types"], cell["pos"], thresholds, limit=1)
    return msgs


def bulk_reference(bic, pot, lmp=None, relax_normal=True, log=print):
    """(energy per atom, atoms, minimised cell) of grain 1's oriented bulk supercell (A, B, T_c),
    same minimisation; the cell is written beside the boundary for a DFT check of gamma."""
    sp, x, _ = [g for g in bic.grains[0]]
    n1 = len(sp) // bic.expand
    from .bicrystal import TYPE
    cell = {"cell": np.array([bic.A, bic.B, bic.Q @ bic.T[2]]),
            "types": np.array([TYPE[s] for s in sp[:n1]]), "pos": x[:n1]}
    e, rel, lz, wall, _ = lammps.minimise(cell, pot, lmp, relax_normal=relax_normal, ftol=1e-4,
                                          maxiter=1000, maxeval=10000)
    log("  bulk reference: %d atoms, E = %.6f eV, e_bulk = %.6f eV/atom, wall %.2g eV"
        % (n1, e, e / n1, wall))
    return e / n1, n1, rel


def search(bic, pot, grid=(2, 2), gaps=(0.0, 1.0), lmp=None, relax_normal=True,
           clash_factor=0.75, log=print, thresholds=None):
    e_bulk, n_bulk, bulk_cell = bulk_reference(bic, pot, lmp, relax_normal, log)
    area = bic.area()
    rows = []
    for gap in gaps:
        for i in range(grid[0]):
            for j in range(grid[1]):
                u, v = i / grid[0], j / grid[1]
                c = bic.cell(u, v, gap, clash_factor=clash_factor)
                n = len(c["types"])
                e, rel, lz, wall, e0 = lammps.minimise(c, pot, lmp, relax_normal=False,
                                                       ftol=1e-2, maxiter=200, maxeval=2000)
                bad = relaxed_ok(rel, thresholds) if wall < WALL_MAX else ["wall %.3g eV" % wall]
                g = lammps.boundary_energy(e, n, e_bulk, area)
                g0 = lammps.boundary_energy(e0, n, e_bulk, area)
                rows.append({"u": u, "v": v, "gap": gap, "atoms": n, "E": e, "gamma": g,
                             "gamma_static": g0,
                             "wall": wall, "valid": not bad, "why": "; ".join(bad[:2])})
                log("  u %.2f v %.2f gap %.2f: %4d atoms, gamma unrelaxed %7.3f, relaxed %9.3f "
                    "J/m2 (screening)%s" % (u, v, gap, n, g0, g,
                                            "" if not bad else "  INVALID: " + rows[-1]["why"]))
    valid = [r for r in rows if r["valid"]]
    if not valid:
        # Every relaxation failed (the potential collapses the boundary): say so, and pick the
        # translation by the unrelaxed energy so that the cell can still seed active learning.
        best = min(rows, key=lambda r: r["gamma_static"])
        log("  every relaxed candidate is invalid; translation chosen by the UNRELAXED energy "
            "(u %.2f v %.2f gap %.2f, gamma unrelaxed %.3f J/m2)"
            % (best["u"], best["v"], best["gap"], best["gamma_static"]))
        return {"e_bulk": e_bulk, "bulk_relaxed": bulk_cell, "candidates": rows, "best": best, "valid": False,
                "chosen_by": "unrelaxed energy (all relaxations invalid)",
                "gamma_static": best["gamma_static"], "why": "all relaxations invalid",
                "cell": bic.cell(best["u"], best["v"], best["gap"], clash_factor=clash_factor)}
    best = min(valid, key=lambda r: r["gamma"])
    c = bic.cell(best["u"], best["v"], best["gap"], clash_factor=clash_factor)
    e, rel, lz, wall, e0 = lammps.minimise(c, pot, lmp, relax_normal=relax_normal, ftol=1e-4,
                                           maxiter=1000, maxeval=10000)
    bad = relaxed_ok(rel, thresholds) if wall < WALL_MAX else ["wall %.3g eV" % wall]
    g = lammps.boundary_energy(e, len(c["types"]), e_bulk, area)
    log("  final (u %.2f v %.2f gap %.2f): gamma %.3f J/m2, Lz %.3f -> %.3f A%s"
        % (best["u"], best["v"], best["gap"], g, c["cell"][2][2], lz,
           "" if not bad else "  INVALID: " + "; ".join(bad[:2])))
    return {"e_bulk": e_bulk, "bulk_relaxed": bulk_cell, "candidates": rows, "best": best, "gamma": g, "E": e,
            "valid": not bad, "why": "; ".join(bad[:2]), "wall": wall, "lz": lz,
            "chosen_by": "relaxed energy", "gamma_static": best["gamma_static"],
            "cell": c, "relaxed": rel}
