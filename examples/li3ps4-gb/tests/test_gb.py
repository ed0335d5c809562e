#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ctest driver for the boundary builder (label gb).

  test_gb.py WORKDIR build NAME          build boundary NAME (no potential) and check it
  test_gb.py WORKDIR broken NAME MODE FROM
                                         copy NAME.* from FROM (the WORKDIR of a build test),
                                         break the cell in one way (MODE) and require
                                         check_cell to FAIL with the expected message
Exit 77 (skipped) when pymatgen is not importable."""
import json
import os
import shutil
import sys

try:
    import pymatgen.analysis.gb.grain  # noqa: F401
    import numpy as np
except ImportError as e:
    print("skipped: %s (install python3-pymatgen)" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import build_gb  # noqa: E402
from check_cell import check  # noqa: E402
from li3ps4_gb import cellio  # noqa: E402

# MODE: (what is broken, substring check_cell must report)
BREAKS = {
    "drop-s": ("one S deleted (composition, PS4 unit)", "is not Li3PS4"),
    "drop-li": ("one Li deleted (charge -1)", "cell charge -1"),
    "close-pair": ("a Li moved to 1.0 A from an S", "apart, minimum"),
    "split-ps4": ("one S pulled 1.5 A away from its P", "S within 2.3 A, expected 4"),
    "wrong-angle": ("json states the rotation angle 5 degrees off", "off the crystal sites"),
    "wrong-axis": ("json states the box axis of grain 1 rotated 10 degrees about x", "is not M1 [uvw]"),
    "rotated-grain": ("grain-2 atoms rotated 3 degrees about the normal", "off the crystal sites"),
    "file-mismatch": ("one position moved 0.05 A in the data file only", "apart in the two files"),
    "type-mismatch": ("one type changed in the data file only", "in the data file (expected cfg + 1)"),
}


def rewrite(prefix, cfg, lmp=None):
    cellio.write_cfg(prefix + ".cfg", cfg)
    cellio.write_lammps_data(prefix + ".lmp", lmp if lmp is not None else cfg)


def break_cell(prefix, mode):
    with open(prefix + ".json") as f:
        meta = json.load(f)
    cfg = cellio.read_cfg(prefix + ".cfg")
    t, x = cfg["types"], cfg["pos"]
    h = cfg["cell"]

    def drop(k):
        cfg["types"] = np.delete(t, k)
        cfg["pos"] = np.delete(x, k, axis=0)
        meta["grain"] = [g for i, g in enumerate(meta["grain"]) if i != k]

    def nearest(k, typ):
        d = x - x[k]
        d = d - np.rint(d @ np.linalg.inv(h)) @ h
        r = np.linalg.norm(d, axis=1)
        r[t != typ] = 1e9
        r[k] = 1e9
        return int(np.argmin(r)), d

    if mode == "drop-s":
        drop(int(np.where(t == 2)[0][0]))
    elif mode == "drop-li":
        drop(int(np.where(t == 0)[0][0]))
    elif mode == "close-pair":
        li = int(np.where(t == 0)[0][0])
        s, _ = nearest(li, 2)
        v = x[li] - x[s]
        x[li] = x[s] + 1.0 * v / np.linalg.norm(v)
    elif mode == "split-ps4":
        p = int(np.where(t == 1)[0][0])
        s, d = nearest(p, 2)
        x[s] = x[p] + d[s] * (1 + 1.5 / np.linalg.norm(d[s]))
    elif mode == "wrong-angle":
        meta["geometry"]["angle_deg"] += 5.0
    elif mode == "wrong-axis":
        from li3ps4_gb.bicrystal import rotation_matrix
        R = rotation_matrix([1, 0, 0], 10.0)
        meta["axis_box_lammps"] = list(R @ np.array(meta["axis_box_lammps"]))
    elif mode == "rotated-grain":
        from li3ps4_gb.bicrystal import rotation_matrix
        g = np.array(meta["grain"]) == 2
        c = x[g].mean(axis=0)
        x[g] = (x[g] - c) @ rotation_matrix([0, 0, 1], 3.0).T + c
    elif mode in ("file-mismatch", "type-mismatch"):
        lmp = dict(cfg, pos=x.copy(), types=t.copy())
        if mode == "file-mismatch":
            lmp["pos"][5, 0] += 0.05
        else:
            lmp["types"][5] = (t[5] + 1) % 3
        rewrite(prefix, cfg, lmp)
        return meta
    else:
        raise SystemExit("unknown mode %s" % mode)
    rewrite(prefix, cfg)
    return meta


def slab_test():
    """The crystal half of the amorphous/crystal builder (no potential): whole PS4 units,
    Li3PS4, bulk distances, and an amorphous region made of whole units, half of the cell."""
    from li3ps4_gb import amorphous, checks, crystal
    model = crystal.load_model()
    cell, types, pos, unit = amorphous.crystal_slab(model, "c", (1, 2, 4))
    msgs = checks.stoichiometry_check(types) + checks.ps4_check(cell, types, pos)
    from li3ps4_gb.bicrystal import bulk_min_distances
    thr = {"%s-%s" % k: 0.999 * v for k, v in bulk_min_distances(model, crystal.ps4_units(model)).items()}
    thr["S-S"] = 3.2          # intra-unit S-S is 3.29 A; the check does not know units
    thr["any"] = 1.6
    msgs += checks.min_distance_check(cell, types, pos, thr)
    if len(types) != 32 * 8:
        msgs.append("slab has %d atoms, expected 256" % len(types))
    if abs(cell[2, 2] - 4 * model.lattice.c) > 1e-9:
        msgs.append("slab normal length %.4f, expected 4 c" % cell[2, 2])
    if msgs:
        sys.exit("\n".join(msgs))
    print("crystal slab of the amorphous/crystal builder: 256 atoms, checks passed")


def main():
    if sys.argv[1:2] == ["slab"]:
        return slab_test()
    work, action, name = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if action == "build":
        build_gb.main(["--all", "--only", name, "-o", work])  # exits non-zero if its self-check fails
    else:
        for ext in (".json", ".cfg", ".lmp"):
            shutil.copy(os.path.join(sys.argv[5], name + ext), work)
    json_path = os.path.join(work, name + ".json")
    msgs = check(json_path)
    if action == "build":
        if msgs:
            print("\n".join(msgs))
            sys.exit(1)
        print("%s: built and checked" % name)
        return
    mode = sys.argv[4]
    what, expect = BREAKS[mode]
    if msgs:
        sys.exit("the unbroken cell already fails: %s" % msgs[0])
    meta = break_cell(os.path.join(work, name), mode)
    msgs = check(json_path, meta=meta)
    print("broken: %s -> check_cell says:\n  %s" % (what, "\n  ".join(msgs[:4]) or "(nothing)"))
    if not any(expect in m for m in msgs):
        sys.exit("expected a failure containing %r" % expect)


if __name__ == "__main__":
    main()
