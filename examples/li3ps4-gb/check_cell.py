#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check a cell written by build_gb.py:  check_cell.py NAME.json [--relaxed]

Reads NAME.json, NAME.cfg and NAME.lmp (or NAME-relaxed.* with --relaxed) and checks
  * Li3PS4 stoichiometry and zero formal charge (Li+1, P+5, S-2);
  * no pair closer than the stated minimum distances (json min_distance_rule: 'any' for every
    pair, and clash_factor x the bulk minimum for pairs of different units);
  * PS4 units intact: every P has exactly 4 S within 2.3 A and every S exactly one P;
  * each grain in its stated orientation (grain 2 = R(axis_box, angle) grain 1) and the
    in-plane box vectors lattice vectors of both grains (skipped for --relaxed: atoms moved);
  * the .cfg and the LAMMPS data file hold the same cell, types and positions.
Prints every failure as 'file: what was expected' and exits 1 if any."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from li3ps4_gb import cellio, checks, crystal  # noqa: E402


def check(json_path, meta=None, relaxed=False):
    if meta is None:
        with open(json_path) as f:
            meta = json.load(f)
    prefix = json_path[:-len(".json")] + ("-relaxed" if relaxed else "")
    try:
        cfg = cellio.read_cfg(prefix + ".cfg")
        lmp = cellio.read_lammps_data(prefix + ".lmp")
    except (OSError, cellio.CellFormatError) as e:
        return [str(e)]
    msgs = ["%s.lmp vs .cfg: %s" % (prefix, m) for m in checks.files_agree(cfg, lmp)]
    c = cfg
    where = prefix + ".cfg: "
    msgs += [where + m for m in checks.stoichiometry_check(c["types"])]
    msgs += [where + m for m in checks.ps4_check(c["cell"], c["types"], c["pos"])]
    msgs += [where + m for m in checks.min_distance_check(c["cell"], c["types"], c["pos"],
                                                          meta["min_distance_rule"])]
    if not relaxed:
        g = meta["geometry"]
        if len(meta["grain"]) != len(c["types"]):
            msgs.append(where + "%d atoms but %d grain labels in the json"
                        % (len(c["types"]), len(meta["grain"])))
        else:
            crys = crystal.strained(crystal.load_model(meta["model"]), g["strain_abc"])
            msgs += [where + m for m in checks.orientation_check(
                c["cell"], c["types"], c["pos"], meta["grain"], crys,
                np.array(meta["M1_lammps"]), meta["axis_box_lammps"], g["angle_deg"],
                g["axis"], meta["boundary_z"])]
    return msgs


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1 or not args[0].endswith(".json"):
        sys.exit("usage: check_cell.py NAME.json [--relaxed]")
    msgs = check(args[0], relaxed="--relaxed" in sys.argv)
    for m in msgs:
        print(m)
    if msgs:
        sys.exit(1)
    print("%s: all checks passed" % args[0])


if __name__ == "__main__":
    main()
