#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""One MD cell of the grain-boundary study (issue 13 item 4): a built bicrystal (NAME.json and
its NAME-relaxed.lmp, else NAME.lmp, from build_gb.py) replicated in the boundary plane, or
the bulk ordered model replicated n x n x n, to at least --min-atoms atoms.

    prepare_cell.py --gb OUT/NAME.json  --min-atoms 4000 -o DIR [--pot POT] [--no-wall]
    prepare_cell.py --bulk MODEL.cfg    --min-atoms 4000 -o DIR [--pot POT] [--no-wall]
    prepare_cell.py --pair-only --pot POT -o DIR [--no-wall]     # pair.lmp alone (md restore)

Writes DIR/cell.lmp (LAMMPS data, types 1 Li 2 P 3 S; box x || A, z || boundary normal),
DIR/cell.regions (what the region analysis needs: the boundary planes as fractions of L_z,
'none' for bulk, the replication and the barostat; python -m openmtp.region_diffusion reads it)
and, with --pot, DIR/pair.lmp (pair_style lines the MD scripts include: the MTP, overlaid by
the builder's guard wall unless --no-wall).

Replication: the bicrystal's in-plane periods A, B are repeated n_A x n_B times (never along
the normal: the grain thickness and the boundary spacing are the builder's), choosing among
all (n_A, n_B) with >= min-atoms atoms the one with the fewest atoms, then the most nearly
square plane.  The boundary planes are the builder's boundary_z (json) as fractions of its
unrelaxed L_z; the relaxation of the normal length scales both grains, so the fractions hold
for the relaxed cell to within the excess volume of the boundary (< 0.1 A here)."""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from li3ps4_gb import cellio, lammps  # noqa: E402


def choose_replication(a_len, b_len, n_atoms, min_atoms, max_rep=64):
    """(n_A, n_B) with n_A n_B n_atoms >= min_atoms: fewest atoms, then the most nearly square plane."""
    best = None
    for na in range(1, max_rep + 1):
        for nb in range(1, max_rep + 1):
            n = na * nb * n_atoms
            if n < min_atoms:
                continue
            la, lb = na * a_len, nb * b_len
            key = (n, round(max(la, lb) / min(la, lb), 6))
            if best is None or key < best[0]:
                best = (key, na, nb)
            break  # larger nb only adds atoms at this na
    return best[1], best[2]


def replicate(cell, reps):
    h = np.asarray(cell["cell"], float)
    pos, types = np.asarray(cell["pos"], float), np.asarray(cell["types"])
    shifts = [i * h[0] + j * h[1] + k * h[2]
              for i in range(reps[0]) for j in range(reps[1]) for k in range(reps[2])]
    out = dict(cell)
    out["pos"] = np.concatenate([pos + s for s in shifts])
    out["types"] = np.concatenate([types] * len(shifts))
    out["cell"] = h * np.asarray(reps, float)[:, None]
    return out


def write_pair(out, pot, no_wall):
    """OUT/pair.lmp: the pair_style lines the MD scripts include (the MTP, with the guard wall
    unless no_wall)."""
    cellio._atomic_write(os.path.join(out, "pair.lmp"), lammps.pair_commands(pot, None if no_wall else lammps.WALL) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--gb", help="NAME.json of build_gb.py (NAME-relaxed.lmp used when present)")
    src.add_argument("--bulk", help="the ordered model (.cfg), replicated n x n x n")
    src.add_argument("--pair-only", action="store_true",
                     help="write only pair.lmp (with --pot): a cell restored from the results")
    ap.add_argument("--min-atoms", type=int, default=4000)
    ap.add_argument("--pot", help="write pair.lmp for this potential")
    ap.add_argument("--no-wall", action="store_true", help="MTP alone, without the guard wall")
    ap.add_argument("-o", "--out", required=True)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    if a.pair_only:
        if not a.pot:
            ap.error("--pair-only needs --pot")
        write_pair(a.out, a.pot, a.no_wall)
        return 0
    if a.gb:
        with open(a.gb) as f:
            meta = json.load(f)
        stem = os.path.splitext(a.gb)[0]
        data = stem + "-relaxed.lmp" if os.path.exists(stem + "-relaxed.lmp") else stem + ".lmp"
        cell = cellio.read_lammps_data(data)
        h = np.asarray(cell["cell"], float)
        if abs(h[2, 0]) > 1e-6 or abs(h[2, 1]) > 1e-6:
            sys.exit("%s: expected the boundary normal along z (xz = yz = 0)" % data)
        lz0 = float(meta["cell_lammps"][2][2])
        fractions = sorted(float(z) / lz0 % 1.0 for z in meta["boundary_z"])
        na, nb = choose_replication(np.linalg.norm(h[0]), np.linalg.norm(h[1]), len(cell["types"]), a.min_atoms)
        reps, kind, label, baro = (na, nb, 1), "bicrystal", meta.get("label", meta["name"]), "z"
    else:
        cell = cellio.to_lammps_frame(cellio.read_cfg(a.bulk))
        n = 1
        while n ** 3 * len(cell["types"]) < a.min_atoms:
            n += 1
        reps, kind, label, baro, fractions, data = (n, n, n), "bulk", "bulk", "aniso", [], a.bulk
    big = replicate(cell, reps)
    big["features"] = [("md_cell", "%s from %s replicated %d x %d x %d" % (kind, os.path.abspath(data), *reps))]
    cellio.write_lammps_data(os.path.join(a.out, "cell.lmp"), big)
    lines = ["# region file of prepare_cell.py (read by python -m openmtp.region_diffusion)",
             "label %s" % label, "kind %s" % kind, "source %s" % os.path.abspath(data),
             "replication %d %d %d" % reps, "atoms %d" % len(big["types"]),
             "li %d" % int(np.sum(big["types"] == 0)), "normal z", "barostat %s" % baro,
             "boundary_fractions %s" % (" ".join("%.6f" % s for s in fractions) if fractions else "none")]
    cellio._atomic_write(os.path.join(a.out, "cell.regions"), "\n".join(lines) + "\n")
    if a.pot:
        write_pair(a.out, a.pot, a.no_wall)
    print("%s: %s, %d x %d x %d, %d atoms (%d Li), box %.2f x %.2f x %.2f A"
          % (a.out, label, *reps, len(big["types"]), int(np.sum(big["types"] == 0)),
             big["cell"][0][0], big["cell"][1][1], big["cell"][2][2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
