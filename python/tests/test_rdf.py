#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""openmtp.rdf against analytic cases: an ideal gas in a triclinic cell (g -> 1),
fcc in its one-atom primitive (triclinic) cell with r_max far beyond the cell's
width (shell counts 12, 6, 24, 12, 24), rocksalt partials (Na-Cl 6, Na-Na 12,
Na-Cl 8 more), a triclinic LAMMPS dump read back, and the peak helpers."""
import io
import math
import os
import sys

try:
    import numpy as np
except ImportError:
    print("SKIP: needs numpy")
    sys.exit(77)
from openmtp import rdf

fails = []


def check(cond, what):
    if not cond:
        fails.append(what)
        print("FAIL:", what)


# 1. ideal gas: uniform points in a sheared cell, g = 1 within noise everywhere
rng = np.random.default_rng(7)
cell = np.array([[10.0, 0, 0], [3.0, 9.0, 0], [-2.0, 1.5, 8.0]])
frames = []
for _ in range(15):
    frac = rng.random((300, 3))
    names = ["A"] * 180 + ["B"] * 120
    frames.append((cell, frac @ cell, names))
res = rdf.compute(frames, rmax=3.9, dr=0.3)
for p in res["pairs"]:
    g = res["g"][p][res["r"] > 1.5]
    dev = np.abs(g - 1).max()
    check(dev < 0.12, "ideal gas %s: max |g - 1| = %.3f beyond 1.5 A (expected < 0.12)" % (rdf.pair_name(p), dev))
    check(abs(g.mean() - 1) < 0.02, "ideal gas %s: mean g = %.4f" % (rdf.pair_name(p), g.mean()))

# 2. fcc primitive cell (1 atom, rmax = 2.6 x the cell's perpendicular width)
a = 4.0
d1 = a / math.sqrt(2)
# the primitive vectors a/2 (0 1 1) etc. rotated to LAMMPS' lower-triangular form
prim = d1 * np.array([[1, 0, 0], [0.5, math.sqrt(3) / 2, 0], [0.5, 0.5 / math.sqrt(3), math.sqrt(2.0 / 3.0)]])
res = rdf.compute([(prim, np.zeros((1, 3)), ["X"])], rmax=6.5, dr=0.01, pairs=["total"])
expect = [(d1, 12), (a, 18), (d1 * math.sqrt(3), 42), (d1 * 2, 54), (d1 * math.sqrt(5), 78)]
for k, (r, n) in enumerate(expect):
    lo = rdf.cn_at(res, "total", r - 0.05)
    hi = rdf.cn_at(res, "total", r + 0.05)
    prev = expect[k - 1][1] if k else 0
    check(abs(lo - prev) < 1e-9 and abs(hi - n) < 1e-9,
          "fcc shell %d at %.3f A: n = %g -> %g, expected %d -> %d" % (k + 1, r, lo, hi, prev, n))
check(min(rdf.perpendicular_widths(prim)) < 6.5 / 2.5, "fcc test: rmax should exceed the cell width")
pk, _ = rdf.first_peak(res["r"], res["g"]["total"])
check(abs(pk - d1) < 0.011, "fcc first peak at %.3f, expected %.3f" % (pk, d1))

# 3. rocksalt (conventional cubic cell, 8 atoms), partials and their cumulative counts
a = 5.64
base = np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0]])
pos = np.vstack([base, base + [.5, 0, 0]]) * a
names = ["Na"] * 4 + ["Cl"] * 4
res = rdf.compute([(np.eye(3) * a, pos, names)], rmax=6.0, dr=0.01)
check(abs(rdf.cn_at(res, ("Cl", "Na"), a / 2 + 0.05) - 6) < 1e-9, "rocksalt Cl-Na first shell != 6")
check(abs(rdf.cn_at(res, ("Cl", "Na"), a / 2 - 0.05)) < 1e-9, "rocksalt Cl-Na below a/2 != 0")
check(abs(rdf.cn_at(res, ("Na", "Na"), a / math.sqrt(2) + 0.05) - 12) < 1e-9, "rocksalt Na-Na first shell != 12")
check(abs(rdf.cn_at(res, ("Cl", "Na"), a * math.sqrt(3) / 2 + 0.05) - 14) < 1e-9, "rocksalt Cl-Na to sqrt(3)a/2 != 6 + 8")
check(abs(rdf.cn_at(res, "total", a / 2 + 0.05) - 6) < 1e-9, "rocksalt total first shell != 6")

# 4. a triclinic LAMMPS dump (the fcc primitive cell as 2x... one frame) read back = same counts
work = os.environ.get("OPENMTP_TEST_WORK", ".")
os.makedirs(work, exist_ok=True)
path = os.path.join(work, "rdf-tri.dump")
xy, xz, yz = prim[1][0], prim[2][0], prim[2][1]
lx, ly, lz = prim[0][0], prim[1][1], prim[2][2]
# LAMMPS writes bounding-box bounds for triclinic boxes
xlob = 0.0 + min(0.0, xy, xz, xy + xz)
xhib = lx + max(0.0, xy, xz, xy + xz)
with open(path, "w") as f:
    f.write("ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n1\nITEM: BOX BOUNDS xy xz yz pp pp pp\n")
    f.write("%r %r %r\n%r %r %r\n%r %r %r\n" % (xlob, xhib, xy, min(0.0, yz), ly + max(0.0, yz), xz, 0.0, lz, yz))
    f.write("ITEM: ATOMS id type x y z\n1 1 0.3 0.2 0.1\n")
fr = rdf.read_lammps_dump(path, ["X"])
check(np.allclose(fr[0][0], prim), "triclinic dump cell %s != %s" % (fr[0][0].tolist(), prim.tolist()))
res2 = rdf.compute(fr, rmax=6.0, dr=0.01, pairs=["total"])
check(abs(rdf.cn_at(res2, "total", 4.05) - 18) < 1e-9, "fcc from the triclinic dump: n(4.05) != 18")

# 5. table round trip and the comparison helpers
buf = io.StringIO()
rdf.write_table(res, buf)
tpath = os.path.join(work, "rdf-table.txt")
with open(tpath, "w") as f:
    f.write(buf.getvalue())
back = rdf.read_table(tpath)
check(back["pairs"] == [rdf.pair_name(p) for p in res["pairs"]], "table pairs %s" % back["pairs"])
check(np.allclose(back["g"]["Cl-Na"], res["g"][("Cl", "Na")], atol=1e-5), "table round trip of g")
check(abs(rdf.integrated_abs_difference(back["r"], np.ones(10), np.zeros(10)) - 10 * (back["r"][1] - back["r"][0])) < 1e-12,
      "integrated |difference|")
# bad input: a clear file:line error
with open(path, "w") as f:
    f.write("ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n2\nITEM: BOX BOUNDS pp pp pp\n0 1\n0 1\n0 1\nITEM: ATOMS id type x y z\n1 1 0 0 0\n")
try:
    rdf.read_lammps_dump(path)
    check(False, "a truncated dump was accepted")
except rdf.RdfError as e:
    check(path in str(e) and "truncated" in str(e), "truncated dump message: %s" % e)

if fails:
    print("%d check(s) failed" % len(fails))
    sys.exit(1)
print("rdf analytic checks: ok")
