#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The cp2k_md reader on a real CP2K 2023.1 NVE run (tests/data/cp2k/lih_md:
Li2H2, 5 steps of 0.5 fs from 600 K, trajectory, forces, velocities, cell
and stress printed every step): every frame's energy, forces and virial
equal the values the same run printed in its log for that step (ENERGY|,
ATOMIC FORCES, STRESS| Analytical stress tensor, i.e. without the kinetic
part that the -1.stress file includes); frame 0 equals the separate
single-point run lih_converged.out read by the cp2k log reader; the
prefix and the -pos-1.xyz path give the same; missing companions, stress
without velocities, wrong masses and truncated files are errors.
Usage: test_cp2k_md.py MTP DATA_DIR WORK_DIR"""

import os
import shutil
import subprocess
import sys

MTP, DATA, WORK = sys.argv[1:4]
DATA = os.path.join(DATA, "cp2k")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "label"))
from mtplabel import cfgio  # noqa: E402

HA, BOHR, GPA = 27.211386245988, 0.529177210903, 160.21766208
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
    return subprocess.run([MTP, "convert", src, dst, "--type_order=Li,H", "--no_loss"] + list(extra),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


p = convert(os.path.join(DATA, "lih_md"), "md.cfg", "--input_format=cp2k_md")
check(p.returncode == 0, "prefix: %s" % p.stderr)
md = cfgio.read_frames("md.cfg") if p.returncode == 0 else []
check(len(md) == 5, "expected 5 MD frames, got %d" % len(md))
p = convert(os.path.join(DATA, "lih_md-pos-1.xyz"), "md2.cfg")  # format from the content
check(p.returncode == 0 and open("md2.cfg").read() == open("md.cfg").read(), "the -pos-1.xyz path (auto) gives the same")

# the log's per-step values
log = open(os.path.join(DATA, "lih_md.out")).read().split("\n")
steps = []
for i, l in enumerate(log):
    if l.startswith(" ENERGY| Total FORCE_EVAL"):
        steps.append({"E": float(l.split()[-1]) * HA})
    elif l.startswith(" ATOMIC FORCES in [a.u.]"):
        rows = [log[i + 3 + k].split() for k in range(4)]
        steps[-1]["F"] = [[float(x) * HA / BOHR for x in r[3:6]] for r in rows]
    elif l.startswith(" STRESS| Analytical stress tensor [GPa]"):
        m = [[float(x) for x in log[i + 2 + k].split()[2:5]] for k in range(3)]
        steps[-1]["S"] = m
check(len(steps) == 5 and all("F" in s and "S" in s for s in steps), "log blocks per step")
worst = [0.0, 0.0, 0.0]
for fr, ref in zip(md, steps):
    vol = abs(cfgio.det3(fr.lattice))
    w = cfgio.stress3x3_to_6([[x * vol / GPA for x in row] for row in ref["S"]])
    worst[0] = max(worst[0], abs(fr.energy - ref["E"]))
    worst[1] = max(worst[1], max(abs(a - b) for fa, fb in zip(fr.forces, ref["F"]) for a, b in zip(fa, fb)))
    worst[2] = max(worst[2], max(abs(a - b) for a, b in zip(fr.stress, w)))
print("cp2k_md vs the log, 5 steps: max |dE| = %.2e eV, |dF| = %.2e eV/A, |dW| = %.2e eV" % tuple(worst))
# E: 10 decimals of Hartree in the xyz comment; F: the log prints 8 decimals
# of Ha/bohr (5e-9 * 51.4 = 2.6e-7 eV/A); W: the velocities' 10 decimals
# limit the kinetic term to ~1e-6 relative
check(worst[0] < 1e-8 and worst[1] < 5e-7 and worst[2] < 1e-5, "cp2k_md frames differ from the log: %s" % worst)
check([dict(fr.features).get("cp2k_md_step") for fr in md] == ["0", "1", "2", "3", "4"], "step features")

# frame 0 = the separate single point of the same geometry and settings
p = convert(os.path.join(DATA, "lih_converged.out"), "sp.cfg")
sp = cfgio.read_frames("sp.cfg")[0] if p.returncode == 0 else None
if sp and md:
    f0 = md[0]
    d = (abs(sp.energy - f0.energy), max(abs(a - b) for fa, fb in zip(sp.forces, f0.forces) for a, b in zip(fa, fb)),
         max(abs(a - b) for a, b in zip(sp.stress, f0.stress)),
         max(abs(a - b) for ra, rb in zip(sp.lattice, f0.lattice) for a, b in zip(ra, rb)),
         max(abs(a - b) for pa, pb in zip(sp.positions(), f0.positions()) for a, b in zip(pa, pb)))
    print("frame 0 vs the single point: |dE| %.1e, |dF| %.1e, |dW| %.1e, cell %.1e, positions %.1e" % d)
    check(d[0] < 1e-8 and d[1] < 5e-7 and d[2] < 1e-5 and d[3] < 1e-9 and d[4] < 1e-6, "frame 0 vs single point")
    check(sp.types() == f0.types(), "types")


# errors
def copy_set(name, skip=(), edit=None):
    os.makedirs(name, exist_ok=True)
    for suf in ("-pos-1.xyz", "-frc-1.xyz", "-vel-1.xyz", "-1.cell", "-1.stress", "-1.ener"):
        if suf in skip:
            continue
        text = open(os.path.join(DATA, "lih_md" + suf)).read()
        if edit and suf in edit:
            text = edit[suf](text)
        open(os.path.join(name, "run" + suf), "w").write(text)
    return os.path.join(name, "run")


def expect_error(what, prefix, pattern):
    p = convert(prefix, "bad.cfg", "--input_format=cp2k_md")
    ok = p.returncode == 1 and pattern in p.stderr and not os.path.exists("bad.cfg")
    check(ok, "%s: exit %d, message %r lacks %r" % (what, p.returncode, p.stderr.strip(), pattern))
    if ok:
        print("ok %s: %s" % (what, p.stderr.strip()))


expect_error("no forces file", copy_set("nofrc", skip=("-frc-1.xyz",)), "run-frc-1.xyz: cannot open")
expect_error("no cell file", copy_set("nocell", skip=("-1.cell",)), "run-1.cell: cannot open")
expect_error("stress without velocities", copy_set("novel", skip=("-vel-1.xyz",)), "includes the kinetic part")
expect_error("wrong masses", copy_set("mass", edit={"-1.ener": lambda t: t.replace("0.008550401", "0.008650401")}),
             "kinetic energy")
expect_error("truncated forces", copy_set("trunc", edit={"-frc-1.xyz": lambda t: "\n".join(t.split("\n")[:-3]) + "\n"}),
             "unexpected end of file")
p = convert(copy_set("nostress", skip=("-1.stress", "-vel-1.xyz")), "ns.cfg", "--input_format=cp2k_md")
check(p.returncode == 0 and "PlusStress" not in open("ns.cfg").read() and open("ns.cfg").read().count("BEGIN_CFG") == 5,
      "without stress and velocities: frames without stress")
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
