#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mtp-label's cp2k adapter.
fake: a stand-in `cp2k` (--command) that checks the input the labeller wrote
  and answers with the stored real CP2K 2023.1 outputs of tests/data/cp2k:
  frames 0, 4, 5 converged (Li2H2), 1 unconverged SCF (H4), 2 crashed (H4,
  [ABORT], exit 1), 3 truncated (Li2H2 cut in the forces block).  Expect exit
  3, OUT = frames 0, 4, 5 with the log's numbers, the failure record naming
  each cause, SCF_GUESS ATOMIC after a failure or another composition and
  RESTART (previous frame's wfn) after a success with the same atoms.
real: Debian's cp2k on the 4-atom Li2H2 frame with the stored input as the
  template: energy, forces and stress equal the stored single-point log;
  the same after an interruption (from the run's own wavefunction, in
  fewer SCF steps) and with that wavefunction cut (run again without it);
  and the last step of the stored MD run, read by cp2k_md and relabelled
  as a single point, agrees with the trajectory's values.
Usage: test_label_cp2k.py fake|real MTP_LABEL MTP DATA_DIR WORK_DIR"""

import os
import shutil
import subprocess
import sys

MODE, MTP_LABEL, MTP, DATA, WORK = sys.argv[1:6]
DATA = os.path.join(DATA, "cp2k")
sys.path.insert(0, os.path.dirname(os.path.realpath(MTP_LABEL)))
from mtplabel import cfgio  # noqa: E402

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
    subprocess.run([MTP, "convert", src, dst, "--type_order=Li,H", "--no_loss"] + list(extra), check=True,
                   stderr=subprocess.DEVNULL)
    return cfgio.read_frames(dst)[0]


lih = convert(os.path.join(DATA, "lih_converged.out"), "lih.cfg")
h4 = convert(os.path.join(DATA, "h4_unconverged.out"), "h4.cfg", "--save_nonconverged")


def bare(fr):
    """The structure only, as a labeller's input holds it."""
    s = "BEGIN_CFG\n Size\n    %d\n Supercell\n" % fr.n_atoms
    s += "".join("    %.6f %.6f %.6f\n" % tuple(r) for r in fr.lattice)
    s += " AtomData:  id type cartes_x cartes_y cartes_z\n"
    for i, (t, p) in enumerate(zip(fr.types(), fr.positions())):
        s += "    %d %d %.6f %.6f %.6f\n" % (i + 1, t, p[0], p[1], p[2])
    return s + "END_CFG\n\n"


if MODE == "fake":
    with open("in.cfg", "w") as f:
        f.write("".join(bare(x) for x in (lih, h4, h4, lih, lih, lih, lih)))
    n = int(subprocess.run(["grep", "-n", "ATOMIC FORCES in", os.path.join(DATA, "lih_converged.out")],
                           stdout=subprocess.PIPE, universal_newlines=True).stdout.split(":")[0])
    with open(os.path.join(DATA, "lih_converged.out")) as f:
        cut = "".join(f.readlines()[:n + 2])
    with open("lih_truncated.out", "w") as f:
        f.write(cut)
    fake = """#!/bin/sh
# stand-in cp2k: mtp-label must call it as CMD -i label.inp -o label.out in the job directory
[ "$1" = -i ] && [ "$2" = label.inp ] && [ "$3" = -o ] && [ "$4" = label.out ] || { echo "bad arguments: $*" >&2; exit 9; }
for k in "RUN_TYPE ENERGY_FORCE" "STRESS_TENSOR ANALYTICAL" "PROJECT label" "&FORCES ON" "&STRESS_TENSOR ON" "&COORD"; do
  grep -q "$k" label.inp || { echo "label.inp lacks $k" >&2; exit 9; }
done
case "$(basename "$PWD")" in
  frame-000000|frame-000004|frame-000006) cp DATA/lih_converged.out label.out; echo wfn > label-RESTART.wfn ;;
  # a k-point run: CP2K writes label-RESTART.kp and no .wfn
  frame-000005) cp DATA/lih_converged.out label.out; echo kp > label-RESTART.kp ;;
  frame-000001) cp DATA/h4_unconverged.out label.out ;;
  frame-000002) cp DATA/h4_crashed.out label.out; exit 1 ;;
  frame-000003) cp WORK/lih_truncated.out label.out; exit 137 ;;
esac
""".replace("DATA", DATA).replace("WORK", WORK)
    with open("fake-cp2k.sh", "w") as f:
        f.write(fake)
    os.chmod("fake-cp2k.sh", 0o755)
    p = subprocess.run([MTP_LABEL, "cp2k", "in.cfg", "out.cfg", "--template=" + os.path.join(DATA, "lih_converged.inp"),
                        "--type_order=Li,H", "--command=./fake-cp2k.sh"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    print(p.stderr)
    check(p.returncode == 3, "exit %d, expected 3" % p.returncode)
    out = cfgio.read_frames("out.cfg") if os.path.exists("out.cfg") else []
    check(len(out) == 4, "OUT should hold frames 0, 4, 5, 6; has %d" % len(out))
    for fr in out:
        check(abs(fr.energy - lih.energy) < 1e-9 and ("EFS_by", "CP2K") in fr.features, "energy/EFS_by of a labelled frame")
        check(max(abs(a - b) for fa, fb in zip(fr.forces, lih.forces) for a, b in zip(fa, fb)) < 1e-9, "forces")
        check(max(abs(a - b) for a, b in zip(fr.stress, lih.stress)) < 1e-9, "stress")
    with open("out.cfg.failed") as f:
        rec = [l.split("\t", 1) for l in f.read().strip().split("\n")]
    idx = [r[0] for r in rec]
    check(idx == ["1", "2", "3"], "failed frames %s" % idx)
    if idx == ["1", "2", "3"]:
        check("label.out:" in rec[0][1] and "non-converged SCF" in rec[0][1], "frame 1 reason: %s" % rec[0][1])
        check("ABORT" in rec[1][1] and "GTH-PBE-q7" in rec[1][1], "frame 2 reason: %s" % rec[1][1])
        check("unexpected end of file" in rec[2][1], "frame 3 reason: %s" % rec[2][1])

    def guess(k):
        with open("out.cfg.work/frame-%06d/label.inp" % k) as f:
            t = f.read()
        return [w for w in ("SCF_GUESS ATOMIC", "SCF_GUESS RESTART", "WFN_RESTART_FILE_NAME previous.wfn",
                            "WFN_RESTART_FILE_NAME previous.kp") if w in t]

    check(guess(0) == ["SCF_GUESS ATOMIC"], "frame 0: %s" % guess(0))
    check(guess(1) == ["SCF_GUESS ATOMIC"], "frame 1 (other atoms): %s" % guess(1))
    check(guess(4) == ["SCF_GUESS ATOMIC"], "frame 4 (after a failure): %s" % guess(4))
    check(guess(5) == ["SCF_GUESS RESTART", "WFN_RESTART_FILE_NAME previous.wfn"], "frame 5: %s" % guess(5))
    # after a k-point frame the restart is its label-RESTART.kp, copied in
    check(guess(6) == ["SCF_GUESS RESTART", "WFN_RESTART_FILE_NAME previous.kp"], "frame 6: %s" % guess(6))
    with open("out.cfg.work/frame-000006/previous.kp") as f:
        check(f.read() == "kp\n", "frame 6: previous.kp is frame 5's label-RESTART.kp")
    # the coordinates written are the frame's
    with open("out.cfg.work/frame-000001/label.inp") as f:
        t = f.read()
    coord = t.split("&COORD")[1].split("&END COORD")[0].split("\n")[1:-1]
    got = [[float(x) for x in l.split()[1:]] for l in coord]
    check(len(got) == 4 and all(l.split()[0] == "H" for l in coord) and
          max(abs(a - b) for pa, pb in zip(got, h4.positions()) for a, b in zip(pa, pb)) < 1e-6, "&COORD of frame 1")

    # --- an interrupted frame restarts from the wavefunction its run wrote last
    os.makedirs("resume")
    os.chdir("resume")
    with open("in.cfg", "w") as f:
        f.write(bare(lih))
    template = os.path.join(DATA, "lih_converged.inp")
    with open("other.inp", "w") as f:  # the same settings, another text: another job key
        f.write("! another template\n" + open(template).read())
    with open("each3.inp", "w") as f:  # a template that sets its own restart interval
        f.write(open(template).read().replace("    &END SCF", "      &PRINT\n        &RESTART\n          &EACH\n"
                                                          "            QS_SCF 3\n          &END EACH\n"
                                                          "        &END RESTART\n      &END PRINT\n    &END SCF"))
    # modes: killed (writes a wavefunction, then SIGTERMs the labeller, whose
    # pid is in the job's lock file), ok (converged output), bad-resumed (a
    # crash when given the interrupted run's file, converged otherwise)
    fake = """#!/bin/sh
mode=$(cat WORK/resume/mode)
grep -E "SCF_GUESS|WFN_RESTART_FILE_NAME|QS_SCF" label.inp | tr -s ' ' > guess.txt
[ -f interrupted-label-RESTART.wfn ] && cp interrupted-label-RESTART.wfn given.wfn
case "$mode" in
  killed) echo "wfn of an interrupted run" > label-RESTART.wfn; kill -TERM $(cat ../frame-000000.lock); sleep 30 ;;
  killed-early) kill -TERM $(cat ../frame-000000.lock); sleep 30 ;;
  bad-resumed) if grep -q interrupted label.inp; then cp DATA/h4_crashed.out label.out; exit 1; fi ;;
  unconverged-resumed) if grep -q interrupted label.inp; then cp DATA/h4_unconverged.out label.out; exit 0; fi ;;
esac
cp DATA/lih_converged.out label.out; echo wfn > label-RESTART.wfn
""".replace("DATA", DATA).replace("WORK", WORK)
    with open("fake-cp2k.sh", "w") as f:
        f.write(fake)
    os.chmod("fake-cp2k.sh", 0o755)

    def label(mode, tmpl=template):
        with open("mode", "w") as f:
            f.write(mode)
        return subprocess.run([MTP_LABEL, "cp2k", "in.cfg", "out.cfg", "--template=" + tmpl, "--type_order=Li,H",
                               "--command=./fake-cp2k.sh"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)

    def job_file(name):
        try:
            with open("out.cfg.work/frame-000000/" + name) as f:
                return f.read()
        except OSError:
            return None

    def guess_lines():
        return [l.strip() for l in (job_file("guess.txt") or "").strip().split("\n")]

    p = label("killed")
    check(p.returncode == 1 and "interrupted" in p.stderr, "killed run: exit %d, %s" % (p.returncode, p.stderr))
    check(job_file("failed.txt") is None and job_file("result.cfg") is None, "a killed run records no failure")
    check(guess_lines() == ["SCF_GUESS ATOMIC", "QS_SCF 5"], "first run's input: %s" % guess_lines())
    p = label("ok")
    check(p.returncode == 0, "resumed run: exit %d, %s" % (p.returncode, p.stderr))
    check(guess_lines() == ["WFN_RESTART_FILE_NAME interrupted-label-RESTART.wfn", "SCF_GUESS RESTART", "QS_SCF 5"],
          "resumed run's input: %s" % guess_lines())
    check(job_file("given.wfn") == "wfn of an interrupted run\n", "the interrupted run's wavefunction is carried over")
    check(os.path.exists("out.cfg") and abs(cfgio.read_frames("out.cfg")[0].energy - lih.energy) < 1e-9,
          "resumed run's label")
    # a finished frame is not run again, so nothing is carried over
    p = label("bad-resumed")
    check(p.returncode == 0 and "from earlier runs" in p.stderr and "1 from earlier" in p.stderr, "finished frame reused")
    # the carried file makes the run fail: run again from the usual guess
    os.remove("out.cfg.work/frame-000000/result.cfg")
    os.remove("out.cfg.work/frame-000000/label-RESTART.wfn")
    p = label("killed")
    p = label("bad-resumed")
    check(p.returncode == 0 and "running it again without it" in p.stderr, "fallback: exit %d, %s" % (p.returncode, p.stderr))
    check(guess_lines() == ["SCF_GUESS ATOMIC", "QS_SCF 5"] and job_file("given.wfn") is None,
          "fallback run's input: %s" % guess_lines())
    check("ABORT" in (job_file("resumed-label.out") or ""), "the failed resumed run's output is kept")
    # interrupted twice, the second time before CP2K wrote a wavefunction: the first run's is kept on
    os.remove("out.cfg.work/frame-000000/result.cfg")
    os.remove("out.cfg.work/frame-000000/label-RESTART.wfn")
    label("killed")
    p = label("killed-early")
    check(p.returncode == 1 and job_file("given.wfn") == "wfn of an interrupted run\n", "second interruption")
    p = label("ok")
    check(p.returncode == 0 and job_file("given.wfn") == "wfn of an interrupted run\n",
          "after two interruptions the first run's wavefunction is used: %s" % guess_lines())
    # a resumed run that fails after SCF steps failed for the frame: recorded, not run twice
    os.remove("out.cfg.work/frame-000000/result.cfg")
    label("killed")
    p = label("unconverged-resumed")
    check(p.returncode == 3 and "running it again" not in p.stderr and
          "non-converged" in (job_file("failed.txt") or ""), "unconverged resumed run: %s" % p.stderr)
    os.remove("out.cfg.work/frame-000000/failed.txt")
    check(not [n for n in os.listdir("out.cfg.work") if n.endswith(".wfn")], "no carried file left beside the jobs")
    # another template is another job: its interrupted wavefunction is not used
    p = label("killed")
    p = label("ok", "other.inp")
    check(p.returncode == 0 and guess_lines() == ["SCF_GUESS ATOMIC", "QS_SCF 5"],
          "another template's job: %s" % guess_lines())
    # a recorded failure is redone (--retry_failed) from scratch, not from its files
    p = label("killed", "each3.inp")
    check(guess_lines() == ["SCF_GUESS ATOMIC", "QS_SCF 3"], "the template's own QS_SCF is kept: %s" % guess_lines())
    with open("out.cfg.work/frame-000000/failed.txt", "w") as f:
        f.write("an earlier failure\n")
    with open("mode", "w") as f:
        f.write("ok")
    p = subprocess.run([MTP_LABEL, "cp2k", "in.cfg", "out.cfg", "--template=each3.inp", "--type_order=Li,H",
                        "--command=./fake-cp2k.sh", "--retry_failed"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    check(p.returncode == 0 and guess_lines() == ["SCF_GUESS ATOMIC", "QS_SCF 3"],
          "retried failure: exit %d, %s" % (p.returncode, guess_lines()))
    # a template whose wavefunction print key would write nothing the labeller can read is
    # refused before any frame runs (it would silently start every frame from the atomic guess)
    restart_key = "      &PRINT\n        &RESTART%s\n%s        &END RESTART\n      &END PRINT\n    &END SCF"
    for name, head, body, why in (("off", " OFF", "", "remove OFF"),
                                  ("high", " HIGH", "", "PRINT_LEVEL HIGH"),
                                  ("filename", "", "          FILENAME =mine\n", "remove FILENAME"),
                                  ("on", " ON", "", None), ("plain", "", "          BACKUP_COPIES 1\n", None),
                                  # IOLEVEL is CP2K's alias of PRINT_LEVEL
                                  ("iolevel-low", " MEDIUM", "", None),
                                  ("iolevel-low-high", " HIGH", "", "PRINT_LEVEL HIGH"),
                                  ("iolevel-high", " HIGH", "", None)):
        text = open(template).read().replace("    &END SCF", restart_key % (head, body))
        if name.startswith("iolevel"):
            text = "&GLOBAL\n  IOLEVEL %s\n&END GLOBAL\n" % name.split("-")[1].upper() + \
                "\n".join(l for l in text.split("\n") if "PRINT_LEVEL" not in l)
            text = text.replace("&END GLOBAL\n&GLOBAL\n", "")
        with open("restart-%s.inp" % name, "w") as f:
            f.write(text)
        shutil.rmtree("out.cfg.work", ignore_errors=True)
        p = label("ok", "restart-%s.inp" % name)
        if why:
            check(p.returncode == 1 and why in p.stderr and "&RESTART" in p.stderr and
                  not os.path.exists("out.cfg.work/frame-000000/label.inp"),
                  "template with &RESTART%s%s: exit %d, %s" % (head, body.strip(), p.returncode, p.stderr))
        else:
            check(p.returncode == 0, "template with &RESTART%s: exit %d, %s" % (head, p.returncode, p.stderr))
        if name == "iolevel-low":  # raised to MEDIUM, the alias replaced
            written = job_file("label.inp") or ""
            check("PRINT_LEVEL MEDIUM" in written and "IOLEVEL" not in written, "IOLEVEL LOW raised: %s" %
                  [l for l in written.split("\n") if "LEVEL" in l])
    os.chdir(WORK)
else:
    exe = next((e for e in ("cp2k.psmp", "cp2k.popt", "cp2k") if shutil.which(e)), None)
    if not exe or not os.path.isdir("/usr/share/cp2k"):
        print("SKIP: needs Debian's cp2k and cp2k-data")
        sys.exit(77)
    with open("in.cfg", "w") as f:
        f.write(bare(lih))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    p = subprocess.run([MTP_LABEL, "cp2k", "in.cfg", "out.cfg", "--template=" + os.path.join(DATA, "lih_converged.inp"),
                        "--type_order=Li,H", "--command=" + exe], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    check(p.returncode == 0, "real cp2k: exit %d: %s" % (p.returncode, p.stderr))
    out = cfgio.read_frames("out.cfg") if p.returncode == 0 else []
    check(len(out) == 1, "one labelled frame")
    if out:
        fr = out[0]
        de = abs(fr.energy - lih.energy)
        df = max(abs(a - b) for fa, fb in zip(fr.forces, lih.forces) for a, b in zip(fa, fb))
        ds = max(abs(a - b) for a, b in zip(fr.stress, lih.stress))
        print("real cp2k vs stored log: |dE| = %.2e eV, max |dF| = %.2e eV/A, max |dW| = %.2e eV" % (de, df, ds))
        check(de < 1e-5 and df < 1e-4 and ds < 1e-3, "labelled values differ from the stored single point")
    # an interrupted frame (result gone, the run's wavefunction left) restarts from that
    # wavefunction, which real CP2K reads; one cut by a kill while being written makes CP2K
    # stop with a Fortran runtime error, and the frame is run once more without it
    job = "out.cfg.work/frame-000000/"

    def scf_steps():
        # an SCF iteration line is "<step> <method> ..."; CP2K also prints lines holding
        # a single number, which are not steps
        methods = ("OT", "Pulay", "Broy.", "P_Mix/Diag.", "DIIS/Diag.")
        with open(job + "label.out") as f:
            words = (l.split() for l in f)
            return sum(1 for w in words if len(w) >= 2 and w[0].isdigit() and w[1] in methods)

    first = scf_steps() if out else 0
    for cut in (None, 200):
        os.remove(job + "result.cfg")
        if cut:
            with open(job + "label-RESTART.wfn", "rb") as f:
                head = f.read(cut)
            with open(job + "label-RESTART.wfn", "wb") as f:
                f.write(head)
        p = subprocess.run([MTP_LABEL, "cp2k", "in.cfg", "out.cfg", "--template=" + os.path.join(DATA, "lih_converged.inp"),
                            "--type_order=Li,H", "--command=" + exe], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        what = "cut wavefunction" if cut else "interrupted run's wavefunction"
        check(p.returncode == 0, "%s: exit %d: %s" % (what, p.returncode, p.stderr))
        check(("running it again without it" in p.stderr) == bool(cut), "%s: %s" % (what, p.stderr))
        with open(job + "label.inp") as f:
            used = "interrupted-label-RESTART.wfn" in f.read()
        check(used != bool(cut), "%s: the last run's input" % what)
        steps = scf_steps()
        print("%s: %d SCF steps (%d from the atomic guess)" % (what, steps, first))
        check((steps < first / 2) if not cut else steps == first, "%s: %d SCF steps, %d from the atomic guess" % (what, steps, first))
        if p.returncode == 0:
            fr = cfgio.read_frames("out.cfg")[0]
            check(abs(fr.energy - lih.energy) < 1e-5 and
                  max(abs(a - b) for fa, fb in zip(fr.forces, lih.forces) for a, b in zip(fa, fb)) < 1e-4,
                  "%s: labels differ from the stored single point" % what)
    # the last frame of the stored MD run (cp2k_md reader) relabelled as a single point
    # with the MD input as the template: the trajectory files round-trip
    subprocess.run([MTP, "convert", os.path.join(DATA, "lih_md"), "md.cfg", "--type_order=Li,H", "--no_loss"],
                   check=True, stderr=subprocess.DEVNULL)
    last = cfgio.read_frames("md.cfg")[-1]
    with open("last.cfg", "w") as f:
        f.write(last.text)
    p = subprocess.run([MTP_LABEL, "cp2k", "last.cfg", "re.cfg", "--template=" + os.path.join(DATA, "lih_md.inp"),
                        "--type_order=Li,H", "--command=" + exe], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    check(p.returncode == 0, "relabelling the MD frame: %s" % p.stderr)
    if p.returncode == 0:
        b = cfgio.read_frames("re.cfg")[0]
        d = (abs(b.energy - last.energy),
             max(abs(x - y) for fa, fb in zip(b.forces, last.forces) for x, y in zip(fa, fb)),
             max(abs(x - y) for x, y in zip(b.stress, last.stress)))
        print("MD step 4 (cp2k_md) vs its single-point rerun: |dE| = %.1e eV, |dF| = %.1e eV/A, |dW| = %.1e eV" % d)
        # EPS_SCF 1e-6 and the MD's extrapolated guess: forces/stress agree to the SCF tolerance
        check(d[0] < 1e-6 and d[1] < 1e-4 and d[2] < 1e-3, "MD frame vs single-point rerun")
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
