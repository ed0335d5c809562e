#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Test MAE as Zuo et al. 2020 report it: energy per atom (meV/atom) and
force components (eV/A).  Usage: mae.py REFERENCE.cfg PREDICTED.cfg
(PREDICTED from `mtp calculate_efs POT REFERENCE.cfg PREDICTED.cfg`)."""
import sys


def read(path):
    cfgs, cur, mode = [], None, None
    for line in open(path):
        t = line.split()
        if not t:
            continue
        if t[0] == "BEGIN_CFG":
            cur = {"E": None, "F": []}
        elif t[0] == "END_CFG":
            cfgs.append(cur)
            mode = None
        elif t[0] == "Size":
            mode = "size"
        elif mode == "size":
            cur["N"] = int(t[0])
            mode = None
        elif t[0] == "AtomData:":
            cols = t[1:]
            mode = "atoms"
            ix = [cols.index(c) for c in ("fx", "fy", "fz")] if "fx" in cols else None
            cur["ix"] = ix
        elif t[0] == "Energy":
            mode = "energy"
        elif mode == "energy":
            cur["E"] = float(t[0])
            mode = None
        elif mode == "atoms" and not t[0].isalpha() and len(t) > 1 and cur["ix"]:
            cur["F"] += [float(t[i]) for i in cur["ix"]]
        elif t[0][0].isalpha():
            mode = None
    return cfgs


ref, pred = read(sys.argv[1]), read(sys.argv[2])
assert len(ref) == len(pred)
e = [abs(a["E"] - b["E"]) / a["N"] for a, b in zip(ref, pred)]
f = [abs(x - y) for a, b in zip(ref, pred) for x, y in zip(a["F"], b["F"])]
print("test MAE: energy %.2f meV/atom, force components %.4f eV/A (%d cfgs, %d components)"
      % (1e3 * sum(e) / len(e), sum(f) / len(f), len(e), len(f)))
