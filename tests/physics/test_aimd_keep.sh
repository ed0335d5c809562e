#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest (label physics): keeping a running CP2K AIMD in the repository and continuing it on
# another machine (examples/li3ps4-beta/physics/aimd/aimd.py save / restore, trajectory.py),
# with the stand-in CP2K (fake_cp2k.py):
#   * a run killed after step 2 (frames past its restart file), resumed, and saved while the
#     resumed CP2K is running (CP2K's own files half-way), then killed as a lost machine would be;
#   * restored into an empty directory, run to the end: trajectory, forces and energies are
#     byte-identical to an uninterrupted run's;
#   * the report's view (aimd.py view) of the killed directory holds every step up to its
#     restart file, byte-identical to the uninterrupted run's, and changes nothing;
#   * saving again leaves the full pieces as they were and drops the replaced partial piece;
#     a directory behind the saved step or of another AIMD is refused (exit 2); a damaged
#     piece is refused by restore (exit 1); restoring onto a directory at that step is a no-op.
#   test_aimd_keep.sh SRC WORK
set -uo pipefail
SRC=$1 WORK=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
AIMD="/usr/bin/python3 $SRC/examples/li3ps4-beta/physics/aimd/aimd.py"
FAKE="/usr/bin/python3 $SRC/tests/physics/fake_cp2k.py"
rm -rf "$WORK"; mkdir -p "$WORK"
input() {
  mkdir -p "$1"
  printf '&GLOBAL\n  RUN_TYPE MD\n&END GLOBAL\n&MOTION\n  &MD\n    MAX_STEPS 0\n  &END MD\n&END MOTION\n' > "$1/aimd.inp"
}
steps() { grep -o 'i = *[0-9]*' "$1" | tr -s ' ' | cut -d' ' -f3 | tr '\n' ' '; }
restart_step() { sed -n 's/^ *STEP_START_VAL *//p' "$1/li3ps4_aimd-1.restart"; }

# the uninterrupted reference
input "$WORK/ref"
$AIMD run "$WORK/ref" --steps=9 --command="$FAKE" > "$WORK/ref.log" 2>&1 || fail "reference run: $(cat "$WORK/ref.log")"

# machine 1: killed after step 2, resumed in the background, saved while it runs
A=$WORK/a OUT=$WORK/kept
input "$A"
FAKE_DIE_AFTER=2 $AIMD run "$A" --steps=9 --command="$FAKE" > "$WORK/a1.log" 2>&1 && fail "the killed run reported success"
FAKE_SLEEP=0.4 setsid $AIMD run "$A" --steps=9 --command="$FAKE" > "$WORK/a2.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  s=$(restart_step "$A" 2> /dev/null); [ -n "$s" ] && [ "$s" -ge 5 ] && break; sleep 0.1
done
[ -e "$A/li3ps4_aimd-pos-1.xyz" ] || fail "the resumed stand-in CP2K has no trajectory file of its own (not running?)"
$AIMD save "$A" "$OUT" --chunk=2 > "$WORK/save1.log" 2>&1 || fail "save while running: $(cat "$WORK/save1.log")"
kill -9 -- -$pid 2> /dev/null; wait $pid 2> /dev/null
saved=$(sed -n 's/^step //p' "$OUT/state.txt")
[ -n "$saved" ] && [ "$saved" -ge 5 ] && [ "$saved" -lt 9 ] || fail "saved step '$saved', expected 5..8 (mid-run)"
[ -e "$OUT/pos-000000-000001.xyz" ] && [ -e "$OUT/pos-000002-000003.xyz" ] && [ -e "$OUT/restart-$(printf %06d "$saved").restart" ] ||
  fail "kept pieces: $(ls "$OUT" | tr '\n' ' ')"
[ "$(cat "$OUT"/pos-*.xyz | steps /dev/stdin)" = "$(seq -s ' ' 0 "$saved") " ] ||
  fail "kept trajectory steps $(cat "$OUT"/pos-*.xyz | steps /dev/stdin), expected 0..$saved"
cp "$OUT/pos-000000-000001.xyz" "$WORK/full-chunk.xyz"
# the report's view of the killed directory: every step up to its restart file (CP2K's own files
# included), where the merged file stops at the first run's step 2; the same bytes as the
# uninterrupted run's steps; a second view rewrites nothing; the directory is unchanged
# (the stand-in CP2K outlives the killed driver in its own session, holding the run's lock: wait for it)
flock -w 30 "$A/.aimd.lock" true || fail "the orphaned stand-in CP2K did not finish"
live=$(restart_step "$A")
before=$(cd "$A" && sha256sum * | sha256sum)
$AIMD view "$A" "$WORK/view" > "$WORK/view.log" 2>&1 || fail "view: $(cat "$WORK/view.log")"
[ "$(steps "$WORK/view/aimd-pos.xyz")" = "$(seq -s ' ' 0 "$live") " ] || fail "view steps $(steps "$WORK/view/aimd-pos.xyz"), expected 0..$live"
[ "$(steps "$A/aimd-pos.xyz")" = "0 1 2 " ] || fail "merged steps of the killed run: $(steps "$A/aimd-pos.xyz")"
for f in aimd-pos.xyz aimd-frc.xyz aimd-ener.txt; do
  n=$(wc -c < "$WORK/view/$f")
  cmp -s -n "$n" "$WORK/view/$f" "$WORK/ref/$f" || fail "view $f is not the uninterrupted run's beginning"
done
cmp -s "$WORK/view/aimd.inp" "$A/aimd.inp" || fail "view aimd.inp"
touch -d '2000-01-01' "$WORK/view"/*
$AIMD view "$A" "$WORK/view" > /dev/null 2>&1 || fail "second view"
[ -z "$(find "$WORK/view" -newermt '2001-01-01' -type f)" ] || fail "a second view rewrote unchanged files"
[ "$(cd "$A" && sha256sum * | sha256sum)" = "$before" ] || fail "view changed the AIMD directory"

# machine 2: restore into an empty directory, continue to the end
B=$WORK/b
$AIMD restore "$OUT" "$B" > "$WORK/restore.log" 2>&1 || fail "restore: $(cat "$WORK/restore.log")"
[ "$(restart_step "$B")" = "$saved" ] || fail "restored restart file at step $(restart_step "$B"), expected $saved"
$AIMD run "$B" --steps=9 --command="$FAKE" > "$WORK/b.log" 2>&1 || fail "continuing the restored AIMD: $(cat "$WORK/b.log")"
grep -q "resuming after step $saved" "$WORK/b.log" || fail "no resume after step $saved: $(cat "$WORK/b.log")"
for f in aimd-pos.xyz aimd-frc.xyz aimd-ener.txt; do
  cmp -s "$B/$f" "$WORK/ref/$f" || fail "$f differs from the uninterrupted run's ($(diff "$B/$f" "$WORK/ref/$f" | head -3))"
done
[ "$(steps "$B/aimd-pos.xyz")" = "0 1 2 3 4 5 6 7 8 9 " ] || fail "steps $(steps "$B/aimd-pos.xyz")"

# a restore onto it does nothing; a save from it moves the kept state to step 9
out=$($AIMD restore "$OUT" "$B" 2>&1) || fail "restore onto a directory past the kept step failed: $out"
[ -z "$out" ] || fail "restore onto a directory past the kept step wrote: $out"
$AIMD save "$B" "$OUT" --chunk=2 > "$WORK/save2.log" 2>&1 || fail "save at the end: $(cat "$WORK/save2.log")"
[ "$(sed -n 's/^step //p' "$OUT/state.txt")" = 9 ] || fail "state after the last save: $(head -1 "$OUT/state.txt")"
cmp -s "$OUT/pos-000000-000001.xyz" "$WORK/full-chunk.xyz" || fail "a full piece was rewritten"
grep -q "pos-000000-000001.xyz" "$WORK/save2.log" && fail "the unchanged full piece was written again"
[ -e "$OUT/pos-000008-000009.xyz" ] && [ ! -e "$OUT/restart-$(printf %06d "$saved").restart" ] ||
  fail "after the last save: $(ls "$OUT" | tr '\n' ' ')"
[ "$(ls "$OUT" | grep -c '^pos-')" = 5 ] || fail "pieces after the last save: $(ls "$OUT" | tr '\n' ' ')"
out=$($AIMD save "$B" "$OUT" --chunk=2 2>&1) || fail "a repeated save failed: $out"
[ -z "$out" ] || fail "a repeated save changed: $out"

# refusals: a directory behind the kept step, another AIMD, a damaged piece
C=$WORK/c
input "$C"
$AIMD run "$C" --steps=1 --command="$FAKE" > /dev/null 2>&1 || fail "short run"
$AIMD save "$C" "$OUT" --chunk=2 > "$WORK/save3.log" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "restore the kept AIMD into a new directory" "$WORK/save3.log" || fail "a directory behind the kept state: exit $rc, $(cat "$WORK/save3.log")"
D=$WORK/d
input "$D"; echo "! another" >> "$D/aimd.inp"
$AIMD run "$D" --steps=9 --command="$FAKE" > /dev/null 2>&1 || fail "other run"
$AIMD save "$D" "$OUT" --chunk=2 > "$WORK/save4.log" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "another AIMD" "$WORK/save4.log" || fail "another AIMD: exit $rc, $(cat "$WORK/save4.log")"
# another AIMD of the same input that got further (not restored, started afresh) is refused too
F=$WORK/f
input "$F"
FAKE_SHIFT=0.5 $AIMD run "$F" --steps=12 --command="$FAKE" > /dev/null 2>&1 || fail "shifted run"
$AIMD save "$F" "$OUT" --chunk=2 > "$WORK/save5.log" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "another AIMD" "$WORK/save5.log" || fail "another AIMD further on: exit $rc, $(cat "$WORK/save5.log")"
grep -qx "step 9" "$OUT/state.txt" || fail "a refused save changed the kept state"
# an interrupted restore (restart file not yet written) can be run again; the driver refuses the
# half-restored directory instead of starting a fresh CP2K run onto it
G=$WORK/g
$AIMD restore "$OUT" "$G" > /dev/null 2>&1 || fail "restore into g"
rm "$G/li3ps4_aimd-1.restart"
$AIMD run "$G" --steps=12 --command="$FAKE" > "$WORK/g.log" 2>&1 && fail "the driver ran on a half-restored directory"
grep -q "without CP2K's restart file" "$WORK/g.log" || fail "unclear message: $(cat "$WORK/g.log")"
$AIMD restore "$OUT" "$G" > "$WORK/g2.log" 2>&1 || fail "a second restore after an interrupted one: $(cat "$WORK/g2.log")"
$AIMD run "$G" --steps=12 --command="$FAKE" > /dev/null 2>&1 || fail "continuing after the second restore"
[ "$(steps "$G/aimd-pos.xyz")" = "$(seq -s ' ' 0 12) " ] || fail "after the second restore: steps $(steps "$G/aimd-pos.xyz")"
# CP2K killed while rewriting its restart file: the backup (.bak-1, one step earlier) stands in
H=$WORK/h
input "$H"
FAKE_CUT_RESTART=4 $AIMD run "$H" --steps=9 --command="$FAKE" > "$WORK/h1.log" 2>&1 && fail "the cut run reported success"
[ "$(steps "$H/aimd-pos.xyz")" = "0 1 2 3 " ] || fail "after a cut restart file: steps $(steps "$H/aimd-pos.xyz"), expected 0..3 (the backup's)"
$AIMD run "$H" --steps=9 --command="$FAKE" > "$WORK/h2.log" 2>&1 || fail "resume after a cut restart file: $(cat "$WORK/h2.log")"
for f in aimd-pos.xyz aimd-frc.xyz aimd-ener.txt; do
  cmp -s "$H/$f" "$WORK/ref/$f" || fail "$f after a cut restart file differs from the uninterrupted run's"
done
# CP2K killed between renaming its restart file to .bak-1 and writing the new one: the backup
# stands in (for the driver and for a save), nothing is lost or refused
J=$WORK/j
input "$J"
FAKE_DIE_AFTER_RENAME=5 $AIMD run "$J" --steps=9 --command="$FAKE" > "$WORK/j1.log" 2>&1 && fail "the run killed after the rename reported success"
[ "$(steps "$J/aimd-pos.xyz")" = "0 1 2 3 4 " ] || fail "killed after the rename: steps $(steps "$J/aimd-pos.xyz"), expected 0..4"
$AIMD run "$J" --steps=9 --command="$FAKE" > "$WORK/j2.log" 2>&1 || fail "resume after a kill past the rename: $(cat "$WORK/j2.log")"
cmp -s "$J/aimd-pos.xyz" "$WORK/ref/aimd-pos.xyz" || fail "after a kill past the rename the trajectory differs"
JK=$WORK/j-live
mkdir -p "$JK"; cp "$WORK/ref/aimd.inp" "$WORK/ref/aimd-pos.xyz" "$WORK/ref/aimd-frc.xyz" "$WORK/ref/aimd-ener.txt" "$JK/"
cp "$WORK/ref/li3ps4_aimd-1.restart" "$JK/li3ps4_aimd-1.restart.bak-1"   # the moment between rename and write
$AIMD save "$JK" "$WORK/kept-j" > "$WORK/j3.log" 2>&1 || fail "save between rename and write: $(cat "$WORK/j3.log")"
grep -qx "step 9" "$WORK/kept-j/state.txt" || fail "save between rename and write: $(head -1 "$WORK/kept-j/state.txt")"
# a stale temporary of an interrupted save is removed by the next save
echo junk > "$WORK/kept-j/pos-000000-000009.xyz.tmp.99999"
rm "$WORK/kept-j/state.txt"
$AIMD save "$JK" "$WORK/kept-j" > /dev/null 2>&1 || fail "save into a kept copy without state"
[ ! -e "$WORK/kept-j/pos-000000-000009.xyz.tmp.99999" ] || fail "a stale temporary was left in the kept copy"
# one driver per directory: a second one is refused while the first (or its CP2K) runs; SIGTERM
# to the driver stops its CP2K and the frames are merged
L=$WORK/l
input "$L"
FAKE_SLEEP=0.3 $AIMD run "$L" --steps=9 --command="$FAKE" > "$WORK/l1.log" 2>&1 &
lpid=$!
for _ in $(seq 50); do [ -e "$L/li3ps4_aimd-1.restart" ] && break; sleep 0.1; done
$AIMD run "$L" --steps=9 --command="$FAKE" > "$WORK/l2.log" 2>&1 && fail "a second driver ran beside the first"
grep -q "lock is held" "$WORK/l2.log" || fail "unclear message: $(cat "$WORK/l2.log")"
kill -TERM $lpid; wait $lpid
sleep 0.5
[ ! -e "$L/li3ps4_aimd-pos-1.xyz" ] || fail "after SIGTERM the driver did not merge CP2K's files"
n1=$(steps "$L/aimd-pos.xyz" | wc -w); sleep 1
[ "$n1" -ge 1 ] && [ "$n1" -lt 10 ] || fail "SIGTERM did not stop the run early ($n1 frames kept): $(cat "$WORK/l1.log")"
[ "$(steps "$L/aimd-pos.xyz" | wc -w)" = "$n1" ] && [ ! -e "$L/li3ps4_aimd-pos-1.xyz" ] || fail "SIGTERM to the driver left its CP2K running"
$AIMD run "$L" --steps=9 --command="$FAKE" > "$WORK/l3.log" 2>&1 || fail "continuing after a terminated driver: $(cat "$WORK/l3.log")"
cmp -s "$L/aimd-pos.xyz" "$WORK/ref/aimd-pos.xyz" || fail "after a terminated driver the trajectory differs"
# a wavefunction file that CP2K cannot start from (no step made) is moved aside for the next run
M=$WORK/m
input "$M"
$AIMD run "$M" --steps=2 --command="$FAKE" > /dev/null 2>&1 || fail "short run for the wavefunction case"
echo broken > "$M/li3ps4_aimd-RESTART.kp"
$AIMD run "$M" --steps=4 --command=false > "$WORK/m1.log" 2>&1 && fail "a failing CP2K reported success"
[ -e "$M/li3ps4_aimd-RESTART.kp.unused" ] && [ ! -e "$M/li3ps4_aimd-RESTART.kp" ] || fail "the wavefunction file was not moved aside: $(cat "$WORK/m1.log")"
# CP2K appending a resumed run to a killed run's file: the later frame of a step is the one kept
I=$WORK/i
mkdir -p "$I"; cp "$WORK/ref/aimd.inp" "$I/"
for s in 0 1 2; do printf '1\n i = %d\nLi 0 0 %d\n' $s $s; done > "$I/li3ps4_aimd-pos-1.xyz"
printf '1\n i = 3\nLi 9 9 9\n1\n i = 3\nLi 0 0 3\n1\n i = 4\nLi 0 0 4\n' >> "$I/li3ps4_aimd-pos-1.xyz"
cp "$I/li3ps4_aimd-pos-1.xyz" "$I/li3ps4_aimd-frc-1.xyz"
for s in 0 1 2 3 3 4; do printf '%d %d 0 600 -1 -1 0.5\n' $s $s; done > "$I/li3ps4_aimd-1.ener"
printf '&MOTION\n STEP_START_VAL 4\n&END MOTION\n&FORCE_EVAL\n&END FORCE_EVAL\n' > "$I/li3ps4_aimd-1.restart"
$AIMD run "$I" --steps=4 --command=false > "$WORK/i.log" 2>&1 || fail "collect of an appended file: $(cat "$WORK/i.log")"
grep -q "9 9 9" "$I/aimd-pos.xyz" && fail "the killed run's stale step-3 frame was kept"
[ "$(steps "$I/aimd-pos.xyz")" = "0 1 2 3 4 " ] || fail "appended file: steps $(steps "$I/aimd-pos.xyz")"
cp -r "$OUT" "$WORK/damaged"; sed -i 's/Li 0 0 3/Li 0 0 7/' "$WORK/damaged/pos-000002-000003.xyz"
$AIMD restore "$WORK/damaged" "$WORK/e" > "$WORK/restore2.log" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "sha256" "$WORK/restore2.log" || fail "a damaged piece: exit $rc, $(cat "$WORK/restore2.log")"
[ ! -e "$WORK/e/li3ps4_aimd-1.restart" ] || fail "a refused restore wrote a restart file"
echo "aimd keep: ok"
