#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mtp-label's vasp adapter with a stand-in VASP (--command) that answers
with MLIP-3's reference OUTCARs from ../shared/data (exit 77 without them):
frame 0 OUTCAR_converged, frame 1 OUTCAR_not_converged (NELM reached),
frame 2 a truncated OUTCAR and exit 1.  Expect exit 3, OUT = frame 0 with
the OUTCAR's energy, forces and stress, reasons recorded for frames 1 and 2,
the POSCAR/INCAR/POTCAR written as documented, and the --submit prefix
running the code.
Usage: test_label_vasp.py MTP_LABEL MTP SHARED_DATA WORK_DIR"""

import os
import shutil
import subprocess
import sys

MTP_LABEL, MTP, SHARED, WORK = sys.argv[1:5]
D = os.path.join(os.path.abspath(SHARED), "mlip3", "configurations", "VASP")
if not os.path.isfile(os.path.join(D, "OUTCAR_converged")):
    print("SKIP: %s/OUTCAR_converged (MLIP-3 reference data) is absent" % D)
    sys.exit(77)
sys.path.insert(0, os.path.dirname(os.path.realpath(MTP_LABEL)))
from mtplabel import cfgio  # noqa: E402

shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(os.path.join(WORK, "tpl"))
os.chdir(WORK)
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


subprocess.run([MTP, "convert", os.path.join(D, "OUTCAR_converged"), "ref.cfg", "--no_loss"], check=True,
               stderr=subprocess.DEVNULL)
ref = cfgio.read_frames("ref.cfg")[0]
with open("in.cfg", "w") as f:
    f.write(ref.text * 3)
with open(os.path.join(D, "OUTCAR_converged")) as f:
    titel = [l for l in f if "TITEL" in l]
with open("tpl/POTCAR", "w") as f:
    f.write("".join(titel))
with open("tpl/INCAR", "w") as f:
    f.write("ENCUT = 400\nNSW = 50\nIBRION = 2\n")
with open("tpl/KPOINTS", "w") as f:
    f.write("auto\n0\nGamma\n1 1 1\n")
with open("fake-vasp.sh", "w") as f:
    f.write("""#!/bin/sh
[ -s POSCAR ] && [ -s INCAR ] && [ -s KPOINTS ] && [ -s POTCAR ] || { echo "inputs missing"; exit 9; }
case "$(basename "$PWD")" in
  frame-000000) cp D/OUTCAR_converged OUTCAR ;;
  frame-000001) cp D/OUTCAR_not_converged OUTCAR ;;
  frame-000002) head -c 900000 D/OUTCAR_converged > OUTCAR; exit 1 ;;
esac
""".replace("D/", D + "/"))
with open("submit.sh", "w") as f:
    f.write('#!/bin/sh\necho "$*" >> %s/submitted.txt\nshift 2\nexec "$@"\n' % WORK)
for s in ("fake-vasp.sh", "submit.sh"):
    os.chmod(s, 0o755)
p = subprocess.run([MTP_LABEL, "vasp", "in.cfg", "out.cfg", "--template=tpl", "--type_order=Co,Nb",
                    "--command=" + os.path.join(WORK, "fake-vasp.sh"), "--submit=%s/submit.sh -n 2" % WORK],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
print(p.stderr)
check(p.returncode == 3, "exit %d, expected 3" % p.returncode)
out = cfgio.read_frames("out.cfg") if os.path.exists("out.cfg") else []
check(len(out) == 1, "one labelled frame")
if out:
    o = out[0]
    check(abs(o.energy - ref.energy) < 1e-9 and ("EFS_by", "VASP") in o.features, "energy / EFS_by")
    check(max(abs(a - b) for fa, fb in zip(o.forces, ref.forces) for a, b in zip(fa, fb)) < 1e-9, "forces")
    check(max(abs(a - b) for a, b in zip(o.stress, ref.stress)) < 1e-9, "stress")
rec = [l.split("\t") for l in open("out.cfg.failed").read().strip().split("\n")]
check([r[0] for r in rec] == ["1", "2"], "failed frames %s" % rec)
if len(rec) == 2:
    check("not converged" in rec[0][1], "frame 1 reason: %s" % rec[0][1])
    check("OUTCAR:" in rec[1][1] and "unexpected end of file" in rec[1][1], "frame 2 reason: %s" % rec[1][1])
incar = open("out.cfg.work/frame-000000/INCAR").read()
check("NSW = 0" in incar and "IBRION = -1" in incar and "ISIF = 2" in incar and "NSW = 50" not in incar, incar)
poscar = open("out.cfg.work/frame-000000/POSCAR").read().split("\n")
check(poscar[5].split() == ["Co", "Nb"] and poscar[6].split() == ["1", "3"], "POSCAR species/counts %s" % poscar[5:7])
sub = open("submitted.txt").read().split("\n")
check(len([s for s in sub if s]) == 3 and sub[0].startswith("-n 2 ") and sub[0].endswith("fake-vasp.sh"),
      "--submit prefix: %s" % sub)
# a single POTCAR whose elements differ from --type_order is a setup error (exit 1)
p = subprocess.run([MTP_LABEL, "vasp", "in.cfg", "x.cfg", "--template=tpl", "--type_order=Nb,Co",
                    "--command=" + os.path.join(WORK, "fake-vasp.sh")], stderr=subprocess.PIPE, universal_newlines=True)
check(p.returncode == 1 and "POTCAR holds Co,Nb" in p.stderr and not os.path.exists("x.cfg"), p.stderr)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
