#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest (label physics): examples/li3ps4-beta/physics/results.sh keeps a diffusion run's state
# in a results directory, and a run restored from it on a new WORKDIR continues exactly:
#   * an interrupted run (equilibration + block 000 of 2) is saved: its MSD, logs and the newest
#     restart (block-000.restart, not equil.restart) are kept, no D.txt;
#   * restored into an empty WORKDIR, `make` runs only block 001 (no equilibration), and its MSD
#     and D.txt are byte-identical to those of an uninterrupted run on the same rank count;
#   * saving the finished run drops the restart from the results; restoring that reruns nothing;
#   * a CP2K AIMD in WORKDIR/aimd (stand-in CP2K) is kept in RESULTS/aimd by the same save and
#     written back by restore; a WORKDIR whose AIMD is behind the kept one is refused (exit 2);
#   * results of another potential are refused, on save and on restore.
#   test_physics_results.sh BIN SRC WORK
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$BIN/lmp_mtp" ] || { echo "SKIP: lmp_mtp not built" >&2; exit 77; }
/usr/bin/python3 -c "import numpy" 2> /dev/null || { echo "SKIP: needs python3-numpy" >&2; exit 77; }
RES_SH=$SRC/examples/li3ps4-beta/physics/results.sh
POT=$SRC/potentials/Li3PS4-beta-L16/Li3PS4-beta-L16.almtp
export PYTHONPATH="$(dirname "$BIN")/python"
rm -rf "$WORK"; mkdir -p "$WORK"
md() { # md WORKDIR [target...]: the production MD Makefile on a 256-atom stand-in, 2 blocks at 900 K
  local w=$1; shift
  make --no-print-directory -C "$SRC/examples/li3ps4-beta/md" LMP="$BIN/lmp_mtp" POT="$POT" \
    WORKDIR="$w/diffusion" NP=1 TEMPS=900 N=2 EQUIL_PS=0.1 BLOCK_PS=0.1 BLOCKS=2 MSD_EVERY=10 "$@"
}
A=$WORK/uninterrupted B=$WORK/interrupted C=$WORK/restored D=$WORK/restored-done RES=$WORK/results
md "$A" T900 > "$WORK/logA" 2>&1 || { tail -20 "$WORK/logA"; fail "uninterrupted run failed"; }
[ -s "$A/diffusion/T900/D.txt" ] || fail "uninterrupted run: no D.txt"
md "$B" "$B/diffusion/T900/block-000.msd" > "$WORK/logB" 2>&1 || { tail -20 "$WORK/logB"; fail "interrupted run failed"; }
[ -e "$B/diffusion/T900/block-001.msd" ] && fail "the interrupted run went past block 000"

"$RES_SH" save "$B" "$RES" "$POT" > /dev/null || fail "save of the interrupted run failed"
for f in pot.sha256 diffusion/T900/block-000.msd diffusion/T900/block-000.restart diffusion/T900/lattice.txt \
         diffusion/T900/equil.log diffusion/T900/block-000.log; do
  [ -s "$RES/$f" ] || fail "results lack $f"
done
[ -e "$RES/diffusion/T900/equil.restart" ] && fail "results keep equil.restart, which block 001 does not need"
[ -e "$RES/diffusion/T900/D.txt" ] && fail "results of an unfinished run hold a D.txt"

# a temperature still equilibrating (no restart yet; T950 sorts after T900) does not stop a save
mkdir -p "$B/diffusion/T950" && echo "# running" > "$B/diffusion/T950/equil.log"
"$RES_SH" save "$B" "$RES" "$POT" > /dev/null || fail "save with a temperature still equilibrating failed"
[ -s "$RES/diffusion/T950/equil.log" ] && [ -s "$RES/diffusion/T900/block-000.restart" ] || fail "that save lost files"
rm -r "$B/diffusion/T950" "$RES/diffusion/T950"
# a WORKDIR without the saved run (not restored yet) is refused and the resume point stays
mkdir -p "$WORK/empty"
"$RES_SH" save "$WORK/empty" "$RES" "$POT" > "$WORK/logG" 2>&1 && fail "save from a WORKDIR without the saved run succeeded"
grep -q "restore first" "$WORK/logG" || fail "unclear message: $(cat "$WORK/logG")"
[ -s "$RES/diffusion/T900/block-000.restart" ] || fail "a refused save dropped the saved restart"

"$RES_SH" restore "$C" "$RES" "$POT" > /dev/null || fail "restore failed"
[ -e "$C/diffusion/T900/block-000.restart" ] && ! compgen -G "$C/diffusion/T900/*.tmp.*" > /dev/null || fail "restore left temporaries or no restart"
md "$C" T900 > "$WORK/logC" 2>&1 || { tail -20 "$WORK/logC"; fail "restored run failed"; }
grep -q "equilibrate.lmp" "$WORK/logC" && fail "the restored run equilibrated again"
[ "$(grep -c "block.lmp" "$WORK/logC")" = 1 ] || fail "the restored run should run exactly one block: $(grep -c block.lmp "$WORK/logC")"
cmp -s "$A/diffusion/T900/block-001.msd" "$C/diffusion/T900/block-001.msd" ||
  fail "block 001 after restore differs from the uninterrupted run"
cmp -s "$A/diffusion/T900/D.txt" "$C/diffusion/T900/D.txt" || fail "D.txt after restore differs from the uninterrupted run"

"$RES_SH" save "$C" "$RES" "$POT" > /dev/null || fail "save of the finished run failed"
[ -s "$RES/diffusion/T900/D.txt" ] && [ -s "$RES/diffusion/T900/block-001.msd" ] || fail "results lack the finished run's files"
compgen -G "$RES/diffusion/T900/*.restart" > /dev/null && fail "results of a finished temperature still hold a restart"
"$RES_SH" restore "$D" "$RES" "$POT" > /dev/null || fail "restore of the finished run failed"
md "$D" T900 > "$WORK/logD" 2>&1 || { tail -20 "$WORK/logD"; fail "make on the restored finished run failed"; }
grep -q "\.lmp" "$WORK/logD" && fail "make on a restored finished run reran LAMMPS"
cmp -s "$A/diffusion/T900/D.txt" "$D/diffusion/T900/D.txt" || fail "restored D.txt differs"

# the AIMD beside the diffusion run: kept by save, written back by restore, continued
AIMD="/usr/bin/python3 $SRC/examples/li3ps4-beta/physics/aimd/aimd.py"
FAKE="/usr/bin/python3 $SRC/tests/physics/fake_cp2k.py"
mkdir -p "$C/aimd"
printf '&GLOBAL\n  RUN_TYPE MD\n&END GLOBAL\n&MOTION\n  &MD\n    MAX_STEPS 0\n  &END MD\n&END MOTION\n' > "$C/aimd/aimd.inp"
$AIMD run "$C/aimd" --steps=3 --command="$FAKE" > /dev/null 2>&1 || fail "stand-in AIMD failed"
"$RES_SH" save "$C" "$RES" "$POT" > "$WORK/logI" 2>&1 || fail "save with an AIMD failed: $(cat "$WORK/logI")"
grep -qx "step 3" "$RES/aimd/state.txt" && [ -e "$RES/aimd/restart-000003.restart" ] || fail "the AIMD was not kept: $(ls "$RES/aimd" 2>&1)"
"$RES_SH" restore "$WORK/restored-aimd" "$RES" "$POT" > /dev/null || fail "restore with an AIMD failed"
cmp -s "$C/aimd/aimd-pos.xyz" "$WORK/restored-aimd/aimd/aimd-pos.xyz" || fail "restored AIMD trajectory differs"
$AIMD run "$WORK/restored-aimd/aimd" --steps=4 --command="$FAKE" > "$WORK/logJ" 2>&1 && grep -q "resuming after step 3" "$WORK/logJ" ||
  fail "the restored AIMD did not continue: $(cat "$WORK/logJ")"
rm -r "$C/aimd"; mkdir -p "$C/aimd"; cp "$RES/aimd/aimd.inp" "$C/aimd/"
$AIMD run "$C/aimd" --steps=1 --command="$FAKE" > /dev/null 2>&1 || fail "short stand-in AIMD failed"
echo "# a line added after the AIMD fell behind" >> "$C/diffusion/T900/equil.log"
"$RES_SH" save "$C" "$RES" "$POT" > "$WORK/logK" 2>&1; rc=$?
cmp -s "$C/diffusion/T900/equil.log" "$RES/diffusion/T900/equil.log" || fail "a refused AIMD stopped the other results from being saved"
[ $rc = 1 ] && grep -q "restore the kept AIMD into a new directory" "$WORK/logK" && grep -q "was not kept" "$WORK/logK" || fail "an AIMD behind the kept one: exit $rc, $(cat "$WORK/logK")"
grep -qx "step 3" "$RES/aimd/state.txt" || fail "a refused save changed the kept AIMD"
grep -q "has not been kept since" "$RES/aimd-not-kept.txt" && grep -q "restore the kept AIMD" "$RES/aimd-not-kept.txt" ||
  fail "no aimd-not-kept.txt marker in the results: $(cat "$RES/aimd-not-kept.txt" 2>&1)"
cp "$RES/aimd-not-kept.txt" "$WORK/marker1"; sleep 1
"$RES_SH" save "$C" "$RES" "$POT" > "$WORK/logL" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "was not kept" "$WORK/logL" || fail "second refused AIMD save: exit $rc, $(cat "$WORK/logL")"
cmp -s "$RES/aimd-not-kept.txt" "$WORK/marker1" || fail "the marker was rewritten by the same refusal (a commit every cycle)"
rm -r "$C/aimd"; "$RES_SH" restore "$C" "$RES" "$POT" > /dev/null || fail "restore of the AIMD into C"
"$RES_SH" save "$C" "$RES" "$POT" > /dev/null || fail "save after the AIMD was restored"
[ ! -e "$RES/aimd-not-kept.txt" ] || fail "the marker stayed after a successful save"

other=$WORK/other.almtp; cp "$POT" "$other"; echo "# edited" >> "$other"
"$RES_SH" restore "$WORK/x" "$RES" "$other" > "$WORK/logE" 2>&1 && fail "restore accepted results of another potential"
grep -q "another potential" "$WORK/logE" || fail "unclear message: $(cat "$WORK/logE")"
"$RES_SH" save "$C" "$RES" "$other" > "$WORK/logF" 2>&1 && fail "save mixed two potentials' results"
grep -q "another potential" "$WORK/logF" || fail "unclear message: $(cat "$WORK/logF")"
# a WORKDIR restored for one potential is not filled with another potential's results
mkdir -p "$WORK/other-res/lattice"; sha256sum "$other" | cut -d' ' -f1 > "$WORK/other-res/pot.sha256"
echo "a 1 0" > "$WORK/other-res/lattice/lattice.txt"
"$RES_SH" restore "$C" "$WORK/other-res" "$other" > "$WORK/logH" 2>&1 && fail "restore mixed potentials in one WORKDIR"
grep -q "$C holds results of another potential" "$WORK/logH" || fail "unclear message: $(cat "$WORK/logH")"
[ -e "$C/lattice/lattice.txt" ] && fail "the refused restore copied files"
echo "physics results: ok"
