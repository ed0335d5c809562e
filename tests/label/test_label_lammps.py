#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mtp-label's lammps adapter end to end, on triclinic SiC cells labelled
with Debian's Tersoff SiC.tersoff:
  - energies equal a direct `lmp` run on the data file `mtp convert` writes;
  - forces and the virial equal central finite differences of the labelled
    energies (atom displacements, symmetric strains), which checks the
    rotation into LAMMPS' frame and back and the sign of W;
  - extra AtomData columns (force_weight) and features survive;
  - a command that crashes on frame 2 gives exit 3, OUT without frame 2,
    and 'index<TAB>reason' in the failure record;
  - kill -9 of the labeller during frame 2, then a re-run: frames 0 and 1
    are not run again, and OUT equals the uninterrupted run's;
  - a malformed IN is refused with libmtp's reader message.
Usage: test_label_lammps.py MTP_LABEL MTP WORK_DIR   (exit 77: no lmp/potential)"""

import os
import random
import shutil
import subprocess
import sys

MTP_LABEL, MTP, WORK = sys.argv[1:4]
sys.path.insert(0, os.path.dirname(os.path.realpath(MTP_LABEL)))
from mtplabel import cfgio  # noqa: E402

POT = os.path.join(os.environ.get("LAMMPS_POTENTIALS", "/usr/share/lammps/potentials"), "SiC.tersoff")
LMP = shutil.which("lmp")
if not LMP or not os.path.isfile(POT):
    print("SKIP: needs Debian's lmp and %s" % POT)
    sys.exit(77)
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


def frame_text(lattice, types, pos, weights=None, feature=None):
    cols = "id type cartes_x cartes_y cartes_z" + (" force_weight" if weights else "")
    s = "BEGIN_CFG\n Size\n    %d\n Supercell\n" % len(types)
    s += "".join("    %.12f %.12f %.12f\n" % tuple(r) for r in lattice)
    s += " AtomData:  " + cols + "\n"
    for i, (t, p) in enumerate(zip(types, pos)):
        s += "    %d %d %.12f %.12f %.12f" % (i + 1, t, p[0], p[1], p[2])
        s += (" %.2f" % weights[i]) if weights else ""
        s += "\n"
    if feature:
        s += " Feature   %s\n" % feature
    return s + "END_CFG\n\n"


random.seed(11)
A = 4.36
BASIS = [(0, 0, 0, 0), (0, .5, .5, 0), (.5, 0, .5, 0), (.5, .5, 0, 0),
         (.25, .25, .25, 1), (.25, .75, .75, 1), (.75, .25, .75, 1), (.75, .75, .25, 1)]
frames = []
for k in range(4):
    lat = [[A, 0.0, 0.0], [0.3 * k, A * 0.98, 0.0], [0.2, -0.25 * k, A * 1.01]]
    if k == 3:  # a general (rotated) cell: not in LAMMPS' a-along-x form
        lat = [[3.9, 1.2, 0.6], [-1.0, 4.1, 0.4], [0.5, -0.3, 4.3]]
    pos = []
    for x, y, z, t in BASIS:
        pos.append([x * lat[0][c] + y * lat[1][c] + z * lat[2][c] + random.uniform(-0.12, 0.12) for c in range(3)])
    frames.append((lat, [b[3] for b in BASIS], pos))
with open("template.lmp", "w") as f:
    f.write("pair_style tersoff\npair_coeff * * %s Si C\n" % POT)
with open("in.cfg", "w") as f:
    for k, (lat, types, pos) in enumerate(frames):
        f.write(frame_text(lat, types, pos, [1.0, 0.5] * 4, "MV_grade\t%.2f" % (3.0 + k)))


def label(inp, out, *extra):
    return subprocess.run([MTP_LABEL, "lammps", inp, out, "--template=template.lmp"] + list(extra),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


p = label("in.cfg", "out.cfg")
check(p.returncode == 0, "lammps adapter exit %d: %s" % (p.returncode, p.stderr))
out = cfgio.read_frames("out.cfg") if p.returncode == 0 else []
check(len(out) == 4, "expected 4 labelled frames")
for fr in out:
    check(fr.column("force_weight") >= 0 and float(fr.rows[1][fr.column("force_weight")]) == 0.5, "force_weight kept")
    check(("EFS_by", "lammps") in fr.features and "MV_grade" in dict(fr.features), "features: %s" % fr.features)
    check(fr.stress is not None and fr.forces is not None, "forces and stress present")

# 1. energy against a direct lmp evaluation of mtp convert's data file
for k, fr in enumerate(out):
    with open("one.cfg", "w") as f:  # without force_weight, which this mtp may not know
        f.write(frame_text(fr.lattice, fr.types(), fr.positions()))
    subprocess.run([MTP, "convert", "one.cfg", "one.data", "--output_format=lammps_data"], check=True,
                   stderr=subprocess.DEVNULL)
    with open("direct.in", "w") as f:
        f.write("units metal\natom_style atomic\nbox tilt large\nread_data one.data\nmass * 1.0\n"
                "pair_style tersoff\npair_coeff * * %s Si C\nthermo_style custom step pe\n"
                "thermo_modify format float %%.16e\nrun 0\nprint \"PE $(pe:%%.16e)\"\n" % POT)
    r = subprocess.run([LMP, "-in", "direct.in", "-log", "none"], stdout=subprocess.PIPE, universal_newlines=True)
    e = [float(l.split()[1]) for l in r.stdout.split("\n") if l.startswith("PE ")]
    check(len(e) == 1 and abs(e[0] - fr.energy) < 1e-8,
          "frame %d: mtp-label energy %.10f vs direct lmp %s" % (k, fr.energy, e))

# 2. finite differences of the labelled energies (frames 1 and 3: triclinic and rotated)
H = 1e-4
fd_frames, jobs_fd = [], []
for k in (3,):  # the general (rotated) cell
    lat, types, pos = frames[k]
    for atom in (0, 5):
        for c in range(3):
            for sgn in (1, -1):
                q = [p[:] for p in pos]
                q[atom][c] += sgn * H
                fd_frames.append(frame_text(lat, types, q))
            jobs_fd.append(("force", k, atom, c))
    for a, b in ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)):
        for sgn in (1, -1):
            e = [[0.0] * 3 for _ in range(3)]
            e[a][b] += sgn * H / (1 if a == b else 2)
            if a != b:
                e[b][a] += sgn * H / 2
            F = [[(1.0 if i == j else 0.0) + e[i][j] for j in range(3)] for i in range(3)]
            lat2 = [cfgio.vecmat(r, F) for r in lat]
            pos2 = [cfgio.vecmat(r, F) for r in pos]
            fd_frames.append(frame_text(lat2, types, pos2))
        jobs_fd.append(("stress", k, (a, b), None))
with open("fd.cfg", "w") as f:
    f.write("".join(fd_frames))
p = label("fd.cfg", "fd_out.cfg")
check(p.returncode == 0, "finite-difference frames: %s" % p.stderr)
E = [fr.energy for fr in cfgio.read_frames("fd_out.cfg")] if p.returncode == 0 else []
worst_f = worst_w = 0.0
for n, (kind, k, what, c) in enumerate(jobs_fd):
    if len(E) != 2 * len(jobs_fd):
        break
    d = -(E[2 * n] - E[2 * n + 1]) / (2 * H)
    ref = out[k]
    if kind == "force":
        worst_f = max(worst_f, abs(d - ref.forces[what][c]))
    else:
        comp = {(0, 0): 0, (1, 1): 1, (2, 2): 2, (1, 2): 3, (0, 2): 4, (0, 1): 5}[what]
        worst_w = max(worst_w, abs(d - ref.stress[comp]))
print("finite differences: max |F - F_fd| = %.2e eV/A, max |W - W_fd| = %.2e eV" % (worst_f, worst_w))
check(len(E) == 2 * len(jobs_fd) and worst_f < 1e-4 and worst_w < 1e-4,
      "finite differences: forces off by %.3g, virial by %.3g" % (worst_f, worst_w))

# 3. a command that crashes on frame 2
with open("crash-on-2.sh", "w") as f:
    f.write('#!/bin/sh\ncase "$2" in *frame-000002*) echo "fake crash" >&2; exit 1;; esac\nexec %s "$@"\n' % LMP)
os.chmod("crash-on-2.sh", 0o755)
p = label("in.cfg", "crash.cfg", "--command=./crash-on-2.sh", "--workdir=crash.work")
check(p.returncode == 3, "crash on frame 2: exit %d, expected 3 (%s)" % (p.returncode, p.stderr))
got = cfgio.read_frames("crash.cfg") if os.path.exists("crash.cfg") else []
check([g.text.split("MV_grade")[1][:6] for g in got] == [o.text.split("MV_grade")[1][:6] for o in (out[0], out[1], out[3])],
      "crash.cfg should hold frames 0, 1, 3 in order")
with open("crash.cfg.failed") as f:
    rec = f.read()
check(rec.startswith("2\tlammps exited with status 1") and rec.count("\n") == 1, "failure record: %r" % rec)
check("frame 2 failed" in p.stderr, "failures reported on stderr")

# 4. kill -9 during frame 2, then resume
with open("count-and-kill.sh", "w") as f:
    f.write('#!/bin/sh\necho "$2" >> %s/runs.txt\n' % WORK +
            'n=$(wc -l < %s/runs.txt)\n' % WORK +
            'if [ "$n" -eq 3 ] && [ ! -e %s/killed ]; then touch %s/killed; kill -9 $PPID; sleep 5; exit 1; fi\n' % (WORK, WORK) +
            'exec %s "$@"\n' % LMP)
os.chmod("count-and-kill.sh", 0o755)
p = label("in.cfg", "resume.cfg", "--command=./count-and-kill.sh", "--workdir=resume.work")
check(p.returncode == -9, "first run should die by SIGKILL, exit %d" % p.returncode)
check(not os.path.exists("resume.cfg"), "no OUT after the kill")
p = label("in.cfg", "resume.cfg", "--command=./count-and-kill.sh", "--workdir=resume.work")
check(p.returncode == 0, "resumed run exit %d: %s" % (p.returncode, p.stderr))
with open("runs.txt") as f:
    runs = [os.path.basename(os.path.dirname(l.strip())) for l in f if l.strip()]
counts = {d: runs.count(d) for d in sorted(set(runs))}
print("job runs per frame over both runs:", counts)
check(counts == {"frame-000000": 1, "frame-000001": 1, "frame-000002": 2, "frame-000003": 1}, "runs %s" % counts)
check("2 from earlier runs" in p.stderr, "summary counts reused frames: %s" % p.stderr.strip().split("\n")[-1])
with open("resume.cfg") as a, open("out.cfg") as b:
    check(a.read() == b.read(), "resumed OUT equals the uninterrupted OUT")

# 5. usage errors: exit 2
p = subprocess.run([MTP_LABEL, "lammps", "in.cfg"], stderr=subprocess.PIPE)
check(p.returncode == 2, "missing OUT: exit %d" % p.returncode)
p = subprocess.run([MTP_LABEL, "cp2k", "in.cfg", "x.cfg", "--template=template.lmp"], stderr=subprocess.PIPE)
check(p.returncode == 2, "cp2k without --type_order: exit %d" % p.returncode)
p = label("missing.cfg", "x.cfg")
check(p.returncode == 1 and not os.path.exists("x.cfg"), "unreadable IN: exit %d" % p.returncode)
# IN is read by libmtp's reader: its file:line message, exit 1, nothing written
with open("short.cfg", "w") as f:
    f.write("BEGIN_CFG\n Size\n    2\n AtomData:  id type cartes_x cartes_y cartes_z\n    1 0 0 0 0\nEND_CFG\n")
p = label("short.cfg", "x.cfg")
check(p.returncode == 1 and not os.path.exists("x.cfg") and "short.cfg:6: AtomData: expected 2 atom rows" in p.stderr,
      "malformed IN: exit %d: %s" % (p.returncode, p.stderr))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
