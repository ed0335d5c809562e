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


def lammps_agree_test(work, name, src, mtp, lmp, seed_cfg):
    """The .cfg (read by mtp calculate_efs) and the data file (read by lmp_mtp) give the same
    energy and forces with one potential (a level-6 MTP trained 5 iterations on the seed frames
    here, enough to be non-trivial); then a data file with one type changed must not."""
    import re
    import subprocess
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    for ext in (".cfg", ".lmp"):
        shutil.copy(os.path.join(src, name + ext), work)
    pot = os.path.join(work, "l6.almtp")
    run = lambda *a: subprocess.run(a, cwd=work, check=True, capture_output=True, text=True)
    run(mtp, "init", "--level", "6", "--species", "0,1,2", "-o", "l6-init.almtp")
    run(mtp, "train", "l6-init.almtp", seed_cfg, "--iteration_limit=5", "--seed=1",
        "--trained_pot_name=" + pot)
    run(mtp, "calculate_efs", pot, name + ".cfg", "--output_filename=efs.cfg")
    lines = open(os.path.join(work, "efs.cfg")).read().splitlines()
    e_cfg = float(lines[[i for i, l in enumerate(lines) if l.strip() == "Energy"][0] + 1])
    a = [i for i, l in enumerate(lines) if l.strip().startswith("AtomData:")][0]
    cols = lines[a].split()[1:]
    n = int(lines[[i for i, l in enumerate(lines) if l.strip() == "Size"][0] + 1])
    f_cfg = np.array([[float(x) for x in lines[a + 1 + k].split()[cols.index("fx"):cols.index("fx") + 3]]
                      for k in range(n)])

    def lammps_efs(data):
        with open(os.path.join(work, "in.efs"), "w") as f:
            f.write("units metal\natom_style atomic\nbox tilt large\nread_data %s\n"
                    "pair_style mtp %s\npair_coeff * *\n"
                    "dump f all custom 1 f.dump id fx fy fz\ndump_modify f sort id format float %%.10g\n"
                    "run 0\nprint \"RESULT_E $(pe:%%.10f)\"\n" % (data, pot))
        run(lmp, "-in", "in.efs", "-screen", "none", "-log", "log.efs")
        e = float(re.search(r"RESULT_E ([-+0-9.eE]+)", open(os.path.join(work, "log.efs")).read()).group(1))
        d = open(os.path.join(work, "f.dump")).read().splitlines()
        k = [i for i, l in enumerate(d) if l.startswith("ITEM: ATOMS")][0]
        return e, np.array([[float(x) for x in l.split()[1:4]] for l in d[k + 1:k + 1 + n]])

    e_l, f_l = lammps_efs(name + ".lmp")
    de, df = abs(e_l - e_cfg), np.max(np.abs(f_l - f_cfg))
    print("energy: cfg %.8f eV, LAMMPS data %.8f eV (diff %.2g); max force diff %.2g eV/A"
          % (e_cfg, e_l, de, df))
    if de > 1e-6 * max(1.0, abs(e_cfg)) or df > 1e-5:
        sys.exit("the .cfg and the LAMMPS data file do not describe the same cell")
    lmp_cell = cellio.read_lammps_data(os.path.join(work, name + ".lmp"))
    lmp_cell["types"][3] = (lmp_cell["types"][3] + 1) % 3
    cellio.write_lammps_data(os.path.join(work, "broken.lmp"), lmp_cell)
    e_b, _ = lammps_efs("broken.lmp")
    print("with one type changed in the data file: %.8f eV" % e_b)
    if abs(e_b - e_cfg) <= 1e-6 * max(1.0, abs(e_cfg)):
        sys.exit("a changed type went unnoticed: the comparison cannot fail")


def main():
    if sys.argv[1:2] == ["slab"]:
        return slab_test()
    if sys.argv[2:3] == ["lammps-agree"]:
        return lammps_agree_test(sys.argv[1], *sys.argv[3:8])
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
