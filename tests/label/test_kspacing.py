#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mtp-label --kspacing: Monkhorst-Pack meshes from each frame's cell.
Unit checks of kmesh.py: the beta-Li3PS4 cell (12.819 x 8.2195 x 6.1236 A)
gets the production 2x2x3 at 0.42/A, at -5 % and +5 % strain too, its 2x2x2
supercell 1x1x2; degenerate cells and bad spacings are refused.
With a stand-in cp2k (the stored Li2H2 output): label.inp carries the mesh
(MONKHORST-PACK n1 n2 n3, or no &KPOINTS for 1x1x1), and a frame restarts
from the previous frame's wavefunction only when both have the same mesh.
Usage: test_kspacing.py MTP_LABEL MTP DATA_DIR WORK_DIR"""

import os
import shutil
import subprocess
import sys

MTP_LABEL, MTP, DATA, WORK = sys.argv[1:5]
DATA = os.path.join(DATA, "cp2k")
sys.path.insert(0, os.path.dirname(os.path.realpath(MTP_LABEL)))
from mtplabel import cfgio  # noqa: E402
from mtplabel.kmesh import monkhorst_pack_mesh, parse_kspacing  # noqa: E402

shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
os.chdir(WORK)
failed = 0


def check(cond, what):
    global failed
    if not cond:
        failed += 1
        print("FAIL: " + what)


cell = [[12.819, 0, 0], [0, 8.2195, 0], [0, 0, 6.1236]]
scaled = lambda c, f: [[f * x for x in r] for r in c]  # noqa: E731
check(monkhorst_pack_mesh(cell, 0.42) == (2, 2, 3), "Li3PS4 cell: %s" % (monkhorst_pack_mesh(cell, 0.42),))
for f in (0.95, 1.05):
    check(monkhorst_pack_mesh(scaled(cell, f), 0.42) == (2, 2, 3), "Li3PS4 cell x %g" % f)
check(monkhorst_pack_mesh(scaled(cell, 2), 0.42) == (1, 1, 2), "2x2x2 supercell: %s" %
      (monkhorst_pack_mesh(scaled(cell, 2), 0.42),))
check(monkhorst_pack_mesh([[30, 0, 0], [0, 30, 0], [0, 0, 30]], 0.42) == (1, 1, 1), "30 A cube: Gamma")
for bad in ([[1, 0, 0], [2, 0, 0], [0, 0, 1]], [[0, 0, 0], [0, 1, 0], [0, 0, 1]]):
    try:
        monkhorst_pack_mesh(bad, 0.42)
        check(False, "degenerate cell %s accepted" % bad)
    except ValueError:
        pass
for text in ("0", "-0.3", "nan", "inf", "x"):
    try:
        parse_kspacing(text)
        check(False, "--kspacing=%s accepted" % text)
    except ValueError:
        pass

# --- the labeller with a stand-in cp2k ---------------------------------------
subprocess.run([MTP, "convert", os.path.join(DATA, "lih_converged.out"), "lih.cfg", "--type_order=Li,H",
                "--no_loss"], check=True, stderr=subprocess.DEVNULL)
lih = cfgio.read_frames("lih.cfg")[0]


def frame(lattice):
    s = "BEGIN_CFG\n Size\n    %d\n Supercell\n" % lih.n_atoms
    s += "".join("    %.6f %.6f %.6f\n" % tuple(r) for r in lattice)
    s += " AtomData:  id type cartes_x cartes_y cartes_z\n"
    for i, (t, p) in enumerate(zip(lih.types(), lih.positions())):
        s += "    %d %d %.6f %.6f %.6f\n" % (i + 1, t, p[0], p[1], p[2])
    return s + "END_CFG\n\n"


big = scaled(lih.lattice, 8.0)  # the same atoms in a cell 8x larger: Gamma only
with open("in.cfg", "w") as f:
    f.write(frame(lih.lattice) + frame(big) + frame(lih.lattice) + frame(lih.lattice))
with open("fake-cp2k.sh", "w") as f:
    f.write("#!/bin/sh\ncp %s label.out\necho kp > label-RESTART.kp\n" % os.path.join(DATA, "lih_converged.out"))
os.chmod("fake-cp2k.sh", 0o755)
cmd = [MTP_LABEL, "cp2k", "in.cfg", "out.cfg", "--template=" + os.path.join(DATA, "lih_converged.inp"),
       "--type_order=Li,H", "--command=./fake-cp2k.sh", "--kspacing=0.3"]
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
check(p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr))
small_mesh = monkhorst_pack_mesh(lih.lattice, 0.3)
check(small_mesh != (1, 1, 1), "the Li2H2 cell needs more than Gamma at 0.3/A: %s" % (small_mesh,))


def inp(k):
    with open("out.cfg.work/frame-%06d/label.inp" % k) as f:
        return f.read()


for k in (0, 2, 3):
    check("SCHEME MONKHORST-PACK %d %d %d" % small_mesh in inp(k), "frame %d: mesh %s in label.inp" % (k, small_mesh))
check("&KPOINTS" not in inp(1), "frame 1 (8x cell): no &KPOINTS (Gamma-only code)")
guess = lambda k: "SCF_GUESS RESTART" in inp(k)  # noqa: E731
check(not guess(0) and not guess(1) and not guess(2), "frames 0-2: atomic guess (first frame, mesh changed twice)")
check(guess(3), "frame 3: restart from frame 2 (same mesh)")
# the spacing is part of the job key: another spacing relabels, the same one reuses
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
check("4 from earlier runs" in p.stderr, "same --kspacing reuses the jobs: %s" % p.stderr)
p = subprocess.run(cmd[:-1] + ["--kspacing=0.5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   universal_newlines=True)
check("0 from earlier runs" in p.stderr, "another --kspacing relabels: %s" % p.stderr)
for bad, code in (("--kspacing=0", "cp2k"), ("--kspacing=0.3", "vasp"), ("--kspacing=0.3", "lammps")):
    p = subprocess.run([MTP_LABEL, code, "in.cfg", "bad.cfg", "--template=x", "--type_order=Li,H", bad],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    check(p.returncode == 2 and "kspacing" in p.stderr, "%s %s: exit %d %s" % (code, bad, p.returncode, p.stderr))
# qe: K_POINTS automatic from the frame's cell
from mtplabel import qe  # noqa: E402
qframe = cfgio.read_frames(os.path.join(os.path.dirname(DATA), "qe", "sic_frame.cfg"))[0]


class QeJob:
    dir = os.path.join(WORK, "qe-job")
    frame = qframe

    def path(self, name):
        return os.path.join(self.dir, name)


os.makedirs(QeJob.dir)
qa = qe.Adapter(os.path.join(os.path.dirname(DATA), "qe", "sic_template.pwi"), ["Si", "C"], MTP, [qframe], kspacing=0.3)
qa.prepare(QeJob(), None)
with open(QeJob().path("label.pwi")) as f:
    pwi = f.read()
want = "K_POINTS automatic\n  %d %d %d 0 0 0\n" % monkhorst_pack_mesh(qframe.lattice, 0.3)
check(want in pwi and pwi.count("K_POINTS") == 1, "qe: %r in label.pwi" % want)
print("%s" % ("FAILED: %d checks" % failed if failed else "all checks passed"))
sys.exit(1 if failed else 0)
