#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Stand-in for cp2k.psmp in the AIMD driver tests, behaving as CP2K 2023.1's MD does
(checked on the real code): obeys MAX_STEPS (stops at step MAX_STEPS - 1) and
&EXT_RESTART of the input; appends one XYZ frame per step to li3ps4_aimd-pos-1.xyz /
-frc-1.xyz and one row to li3ps4_aimd-1.ener (step 0 and CP2K's header only on a fresh
start; appending to existing files); then replaces li3ps4_aimd-1.restart (STEP_START_VAL; ending with &END FORCE_EVAL, or
&END EXT_RESTART on a resumed run) as CP2K does: the old one renamed to .bak-1, a new
one written.
  FAKE_DIE_AFTER=k: after step k's restart, write step k+1's frames (as if killed
                    before the restart file was updated) and exit 1.
  FAKE_CUT_RESTART=k: at step k, write half of the restart file and exit 1 (killed
                    while writing it).
  FAKE_DIE_AFTER_RENAME=k: at step k, exit 1 right after renaming the restart file to
                    .bak-1 (killed before the new one exists).
  FAKE_SLEEP=s:     sleep s seconds after every step (a run to interrupt).
  FAKE_SHIFT=x:     add x to every coordinate (another AIMD)."""
import os
import re
import sys
import time

inp = open(sys.argv[sys.argv.index("-i") + 1]).read()
max_steps = int(re.search(r"MAX_STEPS\s+(\d+)", inp).group(1))
restart = "li3ps4_aimd-1.restart"
resumed = "&EXT_RESTART" in inp
start = 0
if resumed:
    start = int(re.search(r"STEP_START_VAL\s+(\d+)", open(restart).read()).group(1))
die = int(os.environ.get("FAKE_DIE_AFTER", "-1"))
cut = int(os.environ.get("FAKE_CUT_RESTART", "-1"))
renamed = int(os.environ.get("FAKE_DIE_AFTER_RENAME", "-1"))
pause = float(os.environ.get("FAKE_SLEEP", "0"))
shift = float(os.environ.get("FAKE_SHIFT", "0"))


def frame(step):
    for kind in ("pos", "frc"):
        with open("li3ps4_aimd-%s-1.xyz" % kind, "a") as f:
            f.write("2\n i =        %d, time =      %.3f, E = -1.0\nLi 0 0 %g\nS 1 1 %g\n" % (step, step, step + shift, 1 + shift))
    with open("li3ps4_aimd-1.ener", "a") as f:
        if step == 0:
            f.write("#     Step Nr.          Time[fs]        Kin.[a.u.]          Temp[K]            Pot.[a.u.]"
                    "        Cons Qty[a.u.]        UsedTime[s]\n")
        f.write("%10d %19.6f %19.9f %19.9f %19.9f %19.9f %19.9f\n" % (step, step, 0.01, 600.0, -1.0 - step, -1.0, 0.5))


def restart_text(step):
    text = "&GLOBAL\n&END GLOBAL\n&MOTION\n &MD\n  STEP_START_VAL %d\n &END MD\n&END MOTION\n&FORCE_EVAL\n&END FORCE_EVAL\n" % step
    if resumed:
        text += "&EXT_RESTART\n  RESTART_FILE_NAME\n&END EXT_RESTART\n"
    return text


if start == 0:
    frame(0)
for step in range(start + 1, max_steps):
    frame(step)
    # CP2K 2023.1's sequence (strace, BACKUP_COPIES 1): unlink .bak-1, rename the restart file
    # to .bak-1, create a new one and write it
    if os.path.exists(restart + ".bak-1"):
        os.unlink(restart + ".bak-1")
    if os.path.exists(restart):
        os.rename(restart, restart + ".bak-1")
    if step == renamed:
        sys.exit(1)
    text = restart_text(step)
    with open(restart, "w") as f:
        if step == cut:
            f.write(text[:len(text) // 2])
            sys.exit(1)
        f.write(text)
    if step == die:
        frame(step + 1)
        sys.exit(1)
    time.sleep(pause)
