#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest (label physics): the CP2K AIMD driver (examples/li3ps4-beta/physics/
# aimd/aimd.py run) with a stand-in CP2K (fake_cp2k.py) that is killed after
# step 2, leaving a frame past its restart file: the driver fails, keeps steps
# 0-2; run again it resumes through &EXT_RESTART and ends with every step 0-5
# exactly once in aimd-pos.xyz and aimd-frc.xyz; a third run does nothing.
#   test_aimd_driver.sh SRC WORK
set -uo pipefail
SRC=$1 WORK=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
AIMD=$SRC/examples/li3ps4-beta/physics/aimd/aimd.py
FAKE="/usr/bin/python3 $SRC/tests/physics/fake_cp2k.py"
rm -rf "$WORK"; mkdir -p "$WORK"
printf '&GLOBAL\n  RUN_TYPE MD\n&END GLOBAL\n&MOTION\n  &MD\n    MAX_STEPS 0\n  &END MD\n&END MOTION\n' > "$WORK/aimd.inp"
steps() { grep -o 'i = *[0-9]*' "$1" | tr -s ' ' | cut -d' ' -f3 | tr '\n' ' '; }
FAKE_DIE_AFTER=2 /usr/bin/python3 "$AIMD" run "$WORK" --steps=5 --command="$FAKE" > "$WORK/log1" 2>&1 &&
  fail "the driver reported success after CP2K died"
[ "$(steps "$WORK/aimd-pos.xyz")" = "0 1 2 " ] || fail "after the kill: steps $(steps "$WORK/aimd-pos.xyz"), expected 0 1 2"
/usr/bin/python3 "$AIMD" run "$WORK" --steps=5 --command="$FAKE" > "$WORK/log2" 2>&1 || { cat "$WORK/log2"; fail "resume failed"; }
grep -q "resuming after step 2" "$WORK/log2" || fail "no resume: $(cat "$WORK/log2")"
grep -q "&EXT_RESTART" "$WORK/run-001.inp" || fail "the resumed input has no &EXT_RESTART"
grep -q "MAX_STEPS 6" "$WORK/run-001.inp" || fail "MAX_STEPS not set to the requested length + 1 (CP2K stops at MAX_STEPS - 1)"
for k in pos frc; do
  [ "$(steps "$WORK/aimd-$k.xyz")" = "0 1 2 3 4 5 " ] || fail "aimd-$k.xyz: steps $(steps "$WORK/aimd-$k.xyz"), expected 0..5 once each"
done
/usr/bin/python3 "$AIMD" run "$WORK" --steps=5 --command="false" > "$WORK/log3" 2>&1 || fail "a finished run was not recognised"
grep -q "5 steps done" "$WORK/log3" || fail "third run: $(cat "$WORK/log3")"
echo "aimd driver: ok"
