#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""mtp-label killed with kill -9 while its code runs, and restarted at once
(what a restarted `make` does): the code must never run twice at the same
time in the same job directory, and the frame must end up labelled exactly
once, by one complete run.

The code is a fake LAMMPS (--command) that needs no lmp: it records
'start FRAME PID' / 'end FRAME PID' in events.txt, and checks a lock-free
running-FRAME file of its own: if the PID written there by an earlier start is
still alive, it records 'OVERLAP'.  Its energy is its PID, so OUT tells which
run labelled the frame.  The first start on frame 1 is slow: it waits for a
'release' file (or its death).

Scenario 'plain': the code dies with the labeller (PR_SET_PDEATHSIG); the
restarted labeller waits for the job lock if the code is still dying, then
redoes frame 1.
Scenario 'survivor': a --submit prefix that ignores SIGTERM (like a job
under `sbatch --wait` that goes on elsewhere) keeps the code alive; the
restarted labeller must report that it waits, and run frame 1 only after the
survivor ended.
Usage: test_label_lock.py MTP_LABEL WORK_DIR"""

import os
import shutil
import signal
import subprocess
import sys
import time

MTP_LABEL, WORK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
sys.path.insert(0, os.path.dirname(os.path.realpath(MTP_LABEL)))
from mtplabel import cfgio  # noqa: E402

shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
os.chdir(WORK)
passed = failed = 0
BAIL_OUT = 120  # seconds; only so that a broken labeller cannot hang ctest


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


FAKE = r'''#!/usr/bin/python3
import os, sys, time
ev_dir = os.environ["FAKE_EVENTS"]
jobdir = os.path.dirname(sys.argv[sys.argv.index("-in") + 1])
frame = os.path.basename(jobdir)
pid = os.getpid()

def event(what):
    with open(os.path.join(ev_dir, "events.txt"), "a") as f:
        f.write("%s %s %d\n" % (what, frame, pid))

def alive(p):
    try:
        with open("/proc/%d/stat" % p) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False

running = os.path.join(ev_dir, "running-" + frame)
try:
    other = int(open(running).read())
except (OSError, ValueError):
    other = None
if other is not None and alive(other):
    event("OVERLAP")
with open(running, "w") as f:
    f.write("%d" % pid)
event("start")
slow = os.path.join(ev_dir, "slow-started")
if frame == "frame-000001" and not os.path.exists(slow):
    open(slow, "w").close()
    t0 = time.time()
    while not os.path.exists(os.path.join(ev_dir, "release")) and time.time() - t0 < 120:
        time.sleep(0.05)
with open(os.path.join(jobdir, "frame.data")) as f:
    n = int(next(l for l in f if l.strip().endswith("atoms")).split()[0])
open(os.path.join(jobdir, "log.lammps"), "w").write("fake lammps\n")
with open(os.path.join(jobdir, "forces.dump"), "w") as f:
    f.write("ITEM: NUMBER OF ATOMS\n%d\nITEM: ATOMS id fx fy fz\n" % n)
    f.write("".join("%d 0 0 0\n" % (i + 1) for i in range(n)))
open(os.path.join(jobdir, "energy.txt"), "w").write("LABEL %d 0 0 0 0 0 0 1000\n" % pid)
event("end")
os.remove(running)
'''
with open("fake-lmp", "w") as f:
    f.write(FAKE)
os.chmod("fake-lmp", 0o755)
with open("ignore-term", "w") as f:  # a submitter whose job goes on after the labeller's death
    f.write("#!/bin/sh\ntrap '' TERM\n\"$@\"\n")
os.chmod("ignore-term", 0o755)
with open("template.lmp", "w") as f:
    f.write("pair_style zero 3.0\npair_coeff * *\n")
with open("in.cfg", "w") as f:
    for k in range(3):
        f.write("BEGIN_CFG\n Size\n    2\n Supercell\n    5 0 0\n    0 5 0\n    0 0 5\n"
                " AtomData:  id type cartes_x cartes_y cartes_z\n"
                "    1 0 0 0 0\n    2 0 1.%d 1 1\nEND_CFG\n\n" % k)


def wait_for(cond):
    t0 = time.time()
    while not cond():
        if time.time() - t0 > BAIL_OUT:
            return False
        time.sleep(0.05)
    return True


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def release(d):
    with open(os.path.join(d, "release"), "w"):
        pass


def scenario(name, extra):
    d = os.path.join(WORK, name)
    os.makedirs(d)
    env = dict(os.environ, FAKE_EVENTS=d)
    argv = [MTP_LABEL, "lammps", "in.cfg", os.path.join(d, "out.cfg"), "--template=template.lmp",
            "--command=./fake-lmp", "--workdir=" + os.path.join(d, "work")] + extra
    first = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    check(wait_for(lambda: os.path.exists(os.path.join(d, "slow-started"))), name + ": slow frame never started")
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    with open(os.path.join(d, "second.err"), "w") as err:
        second = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err)
    if name == "survivor":
        # the survivor may only finish once the second labeller said it waits for it
        wait_for(lambda: second.poll() is not None or "waiting" in open(os.path.join(d, "second.err")).read())
        release(d)
    try:
        rc = second.wait(BAIL_OUT)
    except subprocess.TimeoutExpired:
        second.kill()
        rc = None
    release(d)  # plain: a first code that did not die with its labeller is still waiting
    with open(os.path.join(d, "second.err")) as f:
        err = f.read()
    check(rc == 0, "%s: restarted labeller exit %s: %s" % (name, rc, err))
    # let a survivor of a broken labeller end before looking at the events
    wait_for(lambda: not os.path.exists(os.path.join(d, "running-frame-000001")) or
             not alive(int(open(os.path.join(d, "running-frame-000001")).read() or 0)))
    with open(os.path.join(d, "events.txt")) as f:
        events = [l.split() for l in f if l.strip()]
    print("%s: %s" % (name, " | ".join(" ".join(e) for e in events)))
    check(not [e for e in events if e[0] == "OVERLAP"], name + ": the code ran twice at once in one job directory")
    ends = [int(e[2]) for e in events if e[:2] == ["end", "frame-000001"]]
    out = cfgio.read_frames(os.path.join(d, "out.cfg")) if rc == 0 else []
    check(len(out) == 3, "%s: expected 3 labelled frames, got %d" % (name, len(out)))
    if len(out) == 3:
        check(out[1].energy == ends[-1] if ends else False,
              "%s: frame 1 must be labelled by the run that finished last (energy %s, ends %s)" %
              (name, out[1].energy, ends))
    for fr in ("frame-000000", "frame-000002"):
        check([e[0] for e in events if e[1] == fr] == ["start", "end"], "%s: %s ran more than once" % (name, fr))
    starts = [int(e[2]) for e in events if e[:2] == ["start", "frame-000001"]]
    if name == "plain":
        # the code died with the labeller: it never finished, the restart redid the frame
        check(len(starts) == 2 and ends == [starts[1]] and not alive(starts[0]),
              "plain: expected the killed run to die unfinished and one rerun (starts %s, ends %s)" % (starts, ends))
    else:
        check("waiting for it to finish" in err, "survivor: the restarted labeller should say it waits: %s" % err)
        check(len(starts) == 2 and ends == starts, "survivor: expected two runs one after the other (%s)" % events)


scenario("plain", [])
scenario("survivor", ["--submit=./ignore-term"])
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
