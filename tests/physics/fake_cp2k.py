#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Stand-in for cp2k.psmp in the AIMD driver test: obeys MAX_STEPS and
&EXT_RESTART of the input like CP2K's MD, appends one XYZ frame per step to
li3ps4_aimd-pos-1.xyz / -frc-1.xyz (step 0 only on a fresh start), rewrites
li3ps4_aimd-1.restart (STEP_START_VAL, ending with &END FORCE_EVAL as CP2K's
does) after every step, one row per step to li3ps4_aimd-1.ener (with CP2K's
header on a fresh start).  FAKE_DIE_AFTER=k: after step k's restart, write step
k+1's frames (as if killed before the restart file was updated) and exit 1.
FAKE_SLEEP=s: sleep s seconds after every step (a run to interrupt)."""
import os
import re
import sys
import time

inp = open(sys.argv[sys.argv.index("-i") + 1]).read()
max_steps = int(re.search(r"MAX_STEPS\s+(\d+)", inp).group(1))
restart = "li3ps4_aimd-1.restart"
start = 0
if "&EXT_RESTART" in inp:
    start = int(re.search(r"STEP_START_VAL\s+(\d+)", open(restart).read()).group(1))
die = int(os.environ.get("FAKE_DIE_AFTER", "-1"))
pause = float(os.environ.get("FAKE_SLEEP", "0"))


def frame(step):
    for kind in ("pos", "frc"):
        with open("li3ps4_aimd-%s-1.xyz" % kind, "a") as f:
            f.write("2\n i =        %d, time =      %.3f, E = -1.0\nLi 0 0 %d\nS 1 1 1\n" % (step, step, step))
    with open("li3ps4_aimd-1.ener", "a") as f:
        if step == 0:
            f.write("#     Step Nr.          Time[fs]        Kin.[a.u.]          Temp[K]            Pot.[a.u.]"
                    "        Cons Qty[a.u.]        UsedTime[s]\n")
        f.write("%10d %19.6f %19.9f %19.9f %19.9f %19.9f %19.9f\n" % (step, step, 0.01, 600.0, -1.0 - step, -1.0, 0.5))


if start == 0:
    frame(0)
for step in range(start + 1, max_steps + 1):
    frame(step)
    with open(restart, "w") as f:
        f.write("&MOTION\n &MD\n  STEP_START_VAL %d\n &END MD\n&END MOTION\n&FORCE_EVAL\n&END FORCE_EVAL\n" % step)
    if step == die:
        frame(step + 1)
        sys.exit(1)
    time.sleep(pause)
