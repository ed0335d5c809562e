#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""analyze.py: convergence table (markdown) from runs/*.out.  Each row: name, settings, reference,
|dE| per atom (meV/atom), max |dF| (eV/A, norm of the per-atom force difference), RMS dF, max |d sigma| (GPa),
SCF steps, CP2K wall time (s, one process, machine shared: see load column of runs/times.txt)."""
import os, sys, glob
import numpy as np
sys.path.insert(0, os.path.dirname(__file__))
from parse_out import parse
R = "/work/cp2k-li3ps4/runs"
def first(*names):
    for n in names:
        if os.path.exists(f"{R}/{n}.out") and "PROGRAM ENDED" in open(f"{R}/{n}.out").read():
            return n
    return names[-1]
cref = first("c800", "c600", "c500")
kref = first("k334", "k223")
sref = first("e8", "e7", "t0")
rows = [  # name, description, reference (rows whose run did not finish are left out)
 ("c250", "CUTOFF 250 / REL 60, Gamma", cref), ("c300", "CUTOFF 300 / REL 60, Gamma", cref),
 ("c350", "CUTOFF 350 / REL 60, Gamma", cref), ("c400", "CUTOFF 400 / REL 60, Gamma", cref),
 ("c500", "CUTOFF 500 / REL 60, Gamma", cref), ("c600", "CUTOFF 600 / REL 60, Gamma", cref),
 ("c800", "CUTOFF 800 / REL 60, Gamma", cref),
 ("r30", "CUTOFF 400 / REL 30", "c400"), ("r40", "CUTOFF 400 / REL 40", "c400"),
 ("t0", "CUTOFF 400 / REL 50 (vs REL 60)", "c400"), ("r80", "CUTOFF 400 / REL 80 (vs REL 60)", "c400"),
 ("t0", "Gamma only", kref), ("k112", "k-mesh 1x1x2", kref), ("k122", "k-mesh 1x2x2", kref),
 ("k123", "k-mesh 1x2x3", kref), ("k223", "k-mesh 2x2x3", kref), ("k334", "k-mesh 3x3x4", kref),
 ("t0", "Gamma only (vs 1x2x2)", "k122"), ("k112", "k-mesh 1x1x2 (vs 1x2x2)", "k122"),
 ("e5", "EPS_SCF 1e-5 (diag.)", sref if sref != "t0" else None), ("e5", "EPS_SCF 1e-5 vs 1e-6 (diag.)", "t0"),
 ("t0", "EPS_SCF 1e-6 (diag.)", sref if sref != "t0" else None), ("e7", "EPS_SCF 1e-7 (diag.)", sref),
 ("e8", "EPS_SCF 1e-8 (diag.)", sref),
 ("otfsi", "OT DIIS FULL_SINGLE_INVERSE + outer SCF, Gamma (vs diag.)", "t0"),
 ("rs", "frame 2, Gamma, SCF_GUESS RESTART from frame 1 (t0: 16 steps from atomic guess)", None),
 ("rsk", "frame 2, k 1x1x2, SCF_GUESS RESTART from frame 1 (k112: 16 steps)", None),
 ("d3", "PBE+D3(BJ) vs PBE, k 2x2x3, disp1 (effect of D3, not an error)", "k223"),
 ("spd3", "PBE+D3(BJ) vs PBE, k 2x2x3, partially relaxed model (effect of D3)", "sp"),
 ("sp", "partially relaxed model, production settings (single point with stress)", None),
]
extra = [l.split() for l in open(sys.argv[1])] if len(sys.argv) > 1 else []
for p in extra: rows.append((p[0], " ".join(p[2:]), None if p[1] == "-" else p[1]))
cpu = {}
if os.path.exists(f"{R}/cpu.txt"):
    for l in open(f"{R}/cpu.txt"):
        p_ = l.split()
        if len(p_) >= 3 and p_[1].startswith(R + "/"):
            cpu[os.path.basename(p_[1])[:-4]] = float(p_[2])
cache = {}
def get(n):
    if n not in cache:
        f = f"{R}/{n}.out"
        cache[n] = parse(f) if os.path.exists(f) else None
        if cache[n] and cache[n]["E"] is None: cache[n] = None
    return cache[n]
print("| run | settings | reference | dE (meV/atom) | max dF (eV/A) | RMS dF (eV/A) | max d(stress) (GPa) | SCF steps | wall (s) | CPU (s) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for n, d, ref in rows:
    r = get(n)
    if r is None:
        continue
    nat = len(r["F"]); s = "-"; dE = dFm = dFr = "-"
    if ref == n: ref = None
    if ref is None and n in ("e5", "t0"): continue
    if ref and get(ref):
        q = get(ref)
        dE = f"{abs(r['E'] - q['E']) / nat * 1000:.3f}"
        df = np.linalg.norm(np.array(r["F"]) - np.array(q["F"]), axis=1)
        dFm = f"{df.max():.4f}"; dFr = f"{np.sqrt((df**2).mean() / 3):.4f}"
        if r["stress"] and q["stress"]:
            s = f"{np.abs(np.array(r['stress']) - np.array(q['stress'])).max():.3f}"
    elif ref:
        dE = f"(ref {ref} missing)"
    steps = "+".join(str(x) for x in r["steps"])
    print(f"| {n} | {d} | {ref or '-'} | {dE} | {dFm} | {dFr} | {s} | {steps} | {r['wall']:.0f} | {cpu[n] if n in cpu else '-'} |")
