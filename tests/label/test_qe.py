#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The qe reader (libmtp/src/fmt_qe.c) and mtp-label's qe adapter, on real
pw.x 6.7 outputs (tests/data/qe: SiC, 2 atoms, LDA, stored by running the
adapter with Debian's quantum-espresso):
reader: the converged output gives the '!' energy, the forces and W =
  +sigma(Ry/bohr^3) V (sign checked by finite differences, docs/formats.md);
  the unconverged (electron_maxstep 3), crashed (missing pseudopotential)
  and truncated (cut) outputs are rejected with file:line messages;
  save_nonconverged does not invent an energy that pw.x never printed.
fake: a stand-in pw.x answers frame 0 with the converged output, frame 1
  with the unconverged one: exit 3, one labelled frame, reasons recorded;
  the input written has ibrav=0, nat, tprnfor, tstress and the frame's cell
  and positions.
real: Debian's pw.x on the frame (skipped, exit 77, without pw.x/pseudos).
Usage: test_qe.py reader|fake|real MTP_LABEL MTP DATA_DIR WORK_DIR"""

import os
import shutil
import subprocess
import sys

MODE, MTP_LABEL, MTP, DATA, WORK = sys.argv[1:6]
DATA = os.path.join(DATA, "qe")
sys.path.insert(0, os.path.dirname(os.path.realpath(MTP_LABEL)))
from mtplabel import cfgio  # noqa: E402

RY, BOHR = 13.605693122994, 0.529177210903
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
os.chdir(WORK)
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


def convert(src, dst, *extra):
    return subprocess.run([MTP, "convert", src, dst, "--type_order=Si,C", "--no_loss"] + list(extra),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


conv = os.path.join(DATA, "sic_converged.pwo")
frame = cfgio.read_frames(os.path.join(DATA, "sic_frame.cfg"))[0]
if MODE == "reader":
    p = convert(conv, "c.cfg")  # format from the content ("Program PWSCF")
    check(p.returncode == 0, "converged: %s" % p.stderr)
    c = cfgio.read_frames("c.cfg")[0]
    log = open(conv).read().split("\n")
    e = float(next(l for l in log if l.startswith("!")).split()[-2]) * RY
    check(abs(c.energy - e) < 1e-9, "energy %.10f vs %.10f" % (c.energy, e))
    k = next(i for i, l in enumerate(log) if "Forces acting on atoms" in l)
    f1 = [float(x) * RY / BOHR for x in log[k + 2].split()[-3:]]
    check(max(abs(a - b) for a, b in zip(c.forces[0], f1)) < 1e-9, "force of atom 1")
    k = next(i for i, l in enumerate(log) if "total   stress" in l)
    m = [[float(x) for x in log[k + 1 + r].split()[:3]] for r in range(3)]
    vol = abs(cfgio.det3(c.lattice))
    w = cfgio.stress3x3_to_6([[x * vol * RY / BOHR ** 3 for x in row] for row in m])
    check(max(abs(a - b) for a, b in zip(c.stress, w)) < 1e-8, "W = +sigma V: %s vs %s" % (c.stress, w))
    check(max(abs(a - b) for ra, rb in zip(c.lattice, frame.lattice) for a, b in zip(ra, rb)) < 2e-5, "cell (Å)")
    check(max(abs(a - b) for pa, pb in zip(c.positions(), frame.positions()) for a, b in zip(pa, pb)) < 2e-5,
          "positions (Å)")
    # pw.x prints the cell and positions with 6-7 decimals in units of alat (~3 Å)
    check(c.types() == [0, 1] and ("EFS_by", "QE") in c.features, "types/EFS_by")

    def reject(what, src, pattern):
        p = convert(src, "bad.cfg")
        ok = p.returncode == 1 and pattern in p.stderr and not os.path.exists("bad.cfg") and \
            (os.path.basename(src) + ":") in p.stderr
        check(ok, "%s: exit %d, %r lacks file:line %r" % (what, p.returncode, p.stderr.strip(), pattern))
        if ok:
            print("ok %s: %s" % (what, p.stderr.strip()))

    reject("unconverged", os.path.join(DATA, "sic_unconverged.pwo"), "convergence NOT achieved")
    p = convert(os.path.join(DATA, "sic_unconverged.pwo"), "u.cfg", "--save_nonconverged")
    check(p.returncode == 1 or "BEGIN_CFG" not in open("u.cfg").read(),
          "save_nonconverged must not make a frame without a printed energy")
    reject("crashed", os.path.join(DATA, "sic_crashed.pwo"), "Error in routine readpp")
    for cut_at in ("Forces acting on atoms", "total   stress", "JOB DONE."):
        k = next(i for i, l in enumerate(log) if cut_at in l)
        with open("cut.pwo", "w") as f:
            f.write("\n".join(log[:k + (2 if cut_at != "JOB DONE." else 0)]) + "\n")
        reject("truncated before/in '%s'" % cut_at, "cut.pwo", "unexpected end of file")
elif MODE == "fake":
    shutil.copy(os.path.join(DATA, "sic_frame.cfg"), "in.cfg")
    with open("in.cfg", "a") as f:
        f.write(frame.text)
    fake = """#!/bin/sh
[ "$1" = -in ] && [ "$2" = label.pwi ] || { echo "bad arguments: $*"; exit 9; }
for k in "calculation = 'scf'" "tprnfor = .true." "tstress = .true." "ibrav = 0" "nat = 2" "ntyp = 2" \\
         "CELL_PARAMETERS angstrom" "ATOMIC_POSITIONS angstrom" "K_POINTS automatic"; do
  grep -qF "$k" label.pwi || { echo "label.pwi lacks $k"; exit 9; }
done
grep -q celldm label.pwi && { echo "celldm left in label.pwi"; exit 9; }
case "$(basename "$PWD")" in
  frame-000000) cat DATA/sic_converged.pwo ;;
  frame-000001) cat DATA/sic_unconverged.pwo; exit 2 ;;
esac
""".replace("DATA", DATA)
    with open("fake-pw.sh", "w") as f:
        f.write(fake)
    os.chmod("fake-pw.sh", 0o755)
    p = subprocess.run([MTP_LABEL, "qe", "in.cfg", "out.cfg", "--template=" + os.path.join(DATA, "sic_template.pwi"),
                        "--type_order=Si,C", "--command=./fake-pw.sh"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    print(p.stderr)
    check(p.returncode == 3, "exit %d, expected 3" % p.returncode)
    out = cfgio.read_frames("out.cfg") if os.path.exists("out.cfg") else []
    check(len(out) == 1 and ("EFS_by", "QE") in out[0].features, "one labelled frame")
    rec = open("out.cfg.failed").read()
    check(rec.startswith("1\tlabel.pwo:") and "convergence NOT achieved" in rec, "failure record %r" % rec)
else:
    pseudo = "/usr/share/espresso/pseudo"
    if not shutil.which("pw.x") or not all(os.path.isfile(os.path.join(pseudo, x))
                                           for x in ("Si.pz-vbc.UPF", "C.pz-rrkjus.UPF")):
        print("SKIP: needs Debian's quantum-espresso and quantum-espresso-data")
        sys.exit(77)
    p = subprocess.run([MTP_LABEL, "qe", os.path.join(DATA, "sic_frame.cfg"), "out.cfg",
                        "--template=" + os.path.join(DATA, "sic_template.pwi"), "--type_order=Si,C"],
                       env=dict(os.environ, OMP_NUM_THREADS="1"),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    check(p.returncode == 0, "real pw.x: %s" % p.stderr)
    p2 = convert(conv, "stored.cfg")
    if p.returncode == 0 and p2.returncode == 0:
        a, b = cfgio.read_frames("out.cfg")[0], cfgio.read_frames("stored.cfg")[0]
        d = (abs(a.energy - b.energy), max(abs(x - y) for fa, fb in zip(a.forces, b.forces) for x, y in zip(fa, fb)),
             max(abs(x - y) for x, y in zip(a.stress, b.stress)))
        print("real pw.x vs stored output: |dE| %.1e eV, |dF| %.1e eV/A, |dW| %.1e eV" % d)
        check(d[0] < 1e-5 and d[1] < 1e-4 and d[2] < 1e-3, "real run differs from the stored output")
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
