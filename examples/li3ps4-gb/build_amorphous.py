#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Amorphous/crystal interface of beta-Li3PS4 (melt-quench of one slab with the MTP):

  build_amorphous.py --pot POT [--normal c] [--reps 2 2 4] [--tmelt 1500] [--melt-steps 2000]
                     [--quench-steps 2000] [--tfinal 300] [-o OUTDIR] [--name NAME]

Writes NAME.lmp / NAME.cfg (after melt-quench and minimisation), NAME-start.lmp/.cfg (the
crystal before), NAME.json (region per atom: 1 crystal, 2 amorphous; energies; checks) and
NAME.log.lammps.  The checks of the result (stoichiometry, PS4 units intact, minimum
distances, wall energy) are printed and stored; a failed check makes the exit status 1."""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from li3ps4_gb import amorphous, cellio, checks, crystal, lammps  # noqa: E402
from li3ps4_gb.bicrystal import bulk_min_distances  # noqa: E402


# a P of the amorphous region must end this far (median, A) from its crystal site; P-P
# neighbours in the crystal are ~4.5-6 A apart
AMORPHOUS_MIN_P_DISPLACEMENT = 1.0


def displacements(cell0, pos0, cell1, pos1):
    """|displacement| (A) of every atom between two frames of the same atoms, measured in each
    frame's fractional coordinates (minimum image) and expressed in the final cell."""
    h0, h1 = np.asarray(cell0, float), np.asarray(cell1, float)
    df = np.linalg.solve(h1.T, np.asarray(pos1, float).T).T - np.linalg.solve(h0.T, np.asarray(pos0, float).T).T
    df -= np.round(df)
    return np.linalg.norm(df @ h1, axis=1)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pot", required=True)
    p.add_argument("--model", default=crystal.DEFAULT_MODEL)
    p.add_argument("--normal", choices="abc", default="c")
    p.add_argument("--reps", type=int, nargs=3, default=(2, 2, 4))
    p.add_argument("--tmelt", type=float, default=1500.0)
    p.add_argument("--tfinal", type=float, default=300.0)
    p.add_argument("--melt-steps", type=int, default=2000)
    p.add_argument("--quench-steps", type=int, default=2000)
    p.add_argument("--seed", type=int, default=4928)
    p.add_argument("--timestep", type=float, default=0.001, help="ps (default 0.001)")
    p.add_argument("--no-relax-normal", action="store_true")
    p.add_argument("--clash-factor", type=float, default=0.75)
    p.add_argument("--lmp")
    p.add_argument("--name", default="amorphous-crystal")
    p.add_argument("-o", "--out", default=".")
    a = p.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    model = crystal.load_model(a.model)
    cell, types, pos, unit = amorphous.crystal_slab(model, a.normal, a.reps)
    Lz = cell[2, 2]
    # region by the P of each unit (whole PS4 units), Li by itself
    zkey = pos[:, 2].copy()
    for u in set(unit) - {-1}:
        m = unit == u
        zkey[m] = pos[m & (types == 1), 2][0]
    zkey %= Lz
    amorph = zkey >= Lz / 2
    prefix = os.path.join(a.out, a.name)
    start = cellio.to_lammps_frame({"cell": cell, "types": types, "pos": pos})
    start["features"] = [("interface", "amorphous/crystal start: crystal, normal %s" % a.normal)]
    cellio.write_lammps_data(prefix + "-start.lmp", start)
    cellio.write_cfg(prefix + "-start.cfg", start)
    n = len(types)
    print("%s: %d atoms (%d x %d x %d cells, normal %s along z, Lz %.2f A), %d amorphous"
          % (a.name, n, *a.reps, a.normal, Lz, int(amorph.sum())))
    e_start, _, _, _, _ = lammps.minimise(start, a.pot, a.lmp, relax_normal=False, maxiter=0,
                                          maxeval=0)
    wd = prefix + "-lammps"
    try:
        # the reference of the interface energy: the crystal through the same LAMMPS input with
        # no melt and no quench, i.e. the same minimisation (atoms, and the normal length unless
        # --no-relax-normal), so the relaxation of the crystal and the minimiser's own
        # tolerance do not count as interface energy
        e_crystal = amorphous.melt_quench(
            cell, types, pos, amorph, a.pot, a.tmelt, a.tfinal, 0, 0, a.seed, a.timestep,
            not a.no_relax_normal, a.lmp, workdir=prefix + "-crystal-lammps")[0]
        e, wall, out, thermo, logtxt = amorphous.melt_quench(
            cell, types, pos, amorph, a.pot, a.tmelt, a.tfinal, a.melt_steps, a.quench_steps,
            a.seed, a.timestep, not a.no_relax_normal, a.lmp, workdir=wd)
    except RuntimeError as err:
        sys.exit("%s: %s" % (a.name, err))
    dmin = bulk_min_distances(model, crystal.ps4_units(model))
    thr = {"%s-%s" % k: a.clash_factor * v for k, v in dmin.items()}
    thr["any"] = 1.6
    msgs = checks.stoichiometry_check(out["types"])
    msgs += checks.ps4_check(out["cell"], out["types"], out["pos"])
    msgs += checks.min_distance_check(out["cell"], out["types"], out["pos"], thr)
    if wall > 1e-3:
        msgs.append("the guard wall was touched (%.3g eV): the potential pulled atoms together" % wall)
    # amorphised? In the superionic state the Li sublattice melts while the PS4 framework keeps
    # its sites (seen with 1500 K for 20 ps: Li moved 9 A on average, P 0.1 A), which is no
    # amorphous region.  Displacements in fractional coordinates of each box, so the relaxed
    # normal length does not count as motion.
    disp = displacements(cell, pos, out["cell"], out["pos"])
    p_med = {r: float(np.median(disp[(amorph == (r == "amorphous")) & (types == 1)]))
             for r in ("crystal", "amorphous")}
    if p_med["amorphous"] < AMORPHOUS_MIN_P_DISPLACEMENT:
        msgs.append("the amorphous region did not amorphise: its P moved %.2f A (median) from their "
                    "crystal sites, less than %.1f A (the Li sublattice may have melted, the PS4 "
                    "framework did not); raise --tmelt or --melt-steps"
                    % (p_med["amorphous"], AMORPHOUS_MIN_P_DISPLACEMENT))
    out["features"] = [("interface", "amorphous/crystal, normal %s, melt %g K %d steps, quench to %g K in %d steps"
                        % (a.normal, a.tmelt, a.melt_steps, a.tfinal, a.quench_steps)),
                       ("potential", os.path.basename(a.pot)),
                       ("checks", "passed" if not msgs else "FAILED: " + "; ".join(msgs[:2]))]
    cellio.write_lammps_data(prefix + ".lmp", out)
    cellio.write_cfg(prefix + ".cfg", out)
    grade = lammps.max_grade(prefix + ".cfg", a.pot)
    area = np.linalg.norm(np.cross(cell[0], cell[1]))
    meta = {"name": a.name, "atoms": n, "normal": a.normal, "reps": list(a.reps),
            "region": (1 + amorph.astype(int)).tolist(), "E_start_eV": e_start, "E_crystal_relaxed_eV": e_crystal, "E_final_eV": e,
            "interface_energy_J_m2": (e - e_crystal) / (2 * area) * lammps.EV_PER_A2_TO_J_PER_M2,
            "wall_eV": wall, "tmelt": a.tmelt, "tfinal": a.tfinal, "melt_steps": a.melt_steps,
            "quench_steps": a.quench_steps, "max_grade": grade, "checks": msgs,
            "p_displacement_median_A": p_med,
            "thermo_last": thermo[-3:]}
    with open(prefix + ".json", "w") as f:
        json.dump(meta, f, indent=1)
    print("  E crystal %.4f eV (unrelaxed), %.4f eV (minimised); after melt-quench + minimisation "
          "%.4f eV: %.4f J/m2 per interface above the minimised crystal; wall %.3g eV, max grade %s"
          % (e_start, e_crystal, e, meta["interface_energy_J_m2"], wall, grade))
    for m in msgs[:5]:
        print("  CHECK FAILED: " + m)
    if msgs:
        sys.exit(1)


if __name__ == "__main__":
    main()
