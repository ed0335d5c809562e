#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest (label al_loop): several structures (STRUCTURES=NAME=FILE ...) and heating
# (HEAT_STEPS, HEAT_FROM) in the loop's exploration runs, with the converged demo's round-1
# potential: each run _c<NAME> explores its own structure; a heated run starts at HEAT_FROM,
# ramps for HEAT_STEPS and then runs MD_STEPS at T; a heating stopped by the break threshold
# ends the run there; malformed or repeated names stop with a message.
#   test_structures.sh BIN SRC WORK   (WORK/ref: the al_loop_converge run)
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
EX=$SRC/examples/active_learning
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -s "$WORK/ref/round-001/pot.almtp" ] || { echo "SKIP: $WORK/ref (al_loop_converge) missing" >&2; exit 77; }
T=$WORK/structures
rm -rf "$T" && mkdir -p "$T/round-000" || exit 1
cp "$WORK/ref/round-001/pot.almtp" "$WORK/ref/round-001/train.cfg" "$T/round-000/"
# a second structure: the demo's SiC with a 3 % larger lattice constant
sed 's/\$(4.36\*v_strain)/$(4.36*1.03*v_strain)/' "$EX/structure.lmp" > "$T/wide.lmp"
grep -q '4.36\*1.03' "$T/wide.lmp" || fail "could not write the second structure"
round() { # round [make arguments]: round 1 of the loop with short runs
  make --no-print-directory -f "$EX/round.mk" ROUND=1 WORKDIR="$T" MTP="$BIN/mtp" LMP="$BIN/lmp_mtp" \
    TEMPS=300 STRAINS=1.00 SIZES=1 MD_STEPS=40 THRESHOLD_BREAK=1e9 "$@"
}
lx() { # lx RUN: the box length along x of the run (from its log)
  awk '/orthogonal box = / { b = $0 } END { gsub(/[(),]/, " ", b); n = split(b, w, " "); printf "%.6f\n", w[n-2] - w[n-5] }' \
      "$T/round-001/explore/$1.run/log.lammps"
}
round STRUCTURES="demo=$EX/structure.lmp wide=$T/wide.lmp" "$T/round-001/explore/T300_s1.00_n1_cdemo.cfg" \
  "$T/round-001/explore/T300_s1.00_n1_cwide.cfg" > "$T/two.log" 2>&1 || { cat "$T/two.log"; fail "runs of two structures failed"; }
a=$(lx T300_s1.00_n1_cdemo) b=$(lx T300_s1.00_n1_cwide)
awk -v a="$a" -v b="$b" 'BEGIN { exit !((b / a - 1.03)^2 < 1e-12) }' || fail "run _cwide did not explore wide.lmp (x: $a vs $b)"
grep -q "wide.lmp" "$T/round-001/explore/T300_s1.00_n1_cwide.run/params.lmp" || fail "params of _cwide name another structure"
# the round's runs are one per structure (make -n lists what select would run)
n=$(round STRUCTURES="demo=$EX/structure.lmp wide=$T/wide.lmp x.y-2=$T/wide.lmp" -n select 2>&1 | grep -c "round 1: exploring")
[ "$n" = 1 ] || fail "select would run $n new runs with a third structure x.y-2, expected 1 (the other two exist)"

# heating: 40 steps from 50 K towards 1200 K, then 40 at 1200 K
round TEMPS=1200 HEAT_STEPS=40 HEAT_FROM=50 "$T/round-001/explore/T1200_s1.00_n1.cfg" > "$T/heat.log" 2>&1 ||
  { cat "$T/heat.log"; fail "heated run failed"; }
L=$T/round-001/explore/T1200_s1.00_n1.run/log.lammps
[ "$(grep -c '^Loop time' "$L")" = 2 ] || fail "heated run: expected 2 runs (heating, then at T) in $L"
t0=$(awk '$1 == "Step" { getline; print $2; exit }' "$L")
awk -v t="$t0" 'BEGIN { exit !(t > 40 && t < 60) }' || fail "heated run starts at $t0 K, expected HEAT_FROM=50 K"
grep -q "nvt temp 50 1200" "$L" || fail "heating does not ramp 50 -> 1200 K"
last=$(awk '!/^#/ { s = $1 } END { print s }' "$T/round-001/explore/T1200_s1.00_n1.run/grades.txt")
[ "$last" = 80 ] || fail "heated run graded up to step $last, expected 80"
# a heating stopped by the break threshold does not go on at T
rm -rf "$T/round-001/explore/T1200_s1.00_n1"*
round TEMPS=1200 HEAT_STEPS=40 HEAT_FROM=50 THRESHOLD_BREAK=0 "$T/round-001/explore/T1200_s1.00_n1.cfg" > "$T/halt.log" 2>&1 ||
  { cat "$T/halt.log"; fail "halted heating failed"; }
[ "$(grep -c '^Loop time' "$L")" = 1 ] || fail "a halted heating went on with the run at T"
# bad names
out=$(round STRUCTURES="bad_name=$T/wide.lmp" -n select 2>&1) && fail "STRUCTURES name with '_' accepted"
grep -q "expected NAME=FILE" <<< "$out" || fail "no message for a bad STRUCTURES entry: $out"
out=$(round STRUCTURES="a=$T/wide.lmp a=$EX/structure.lmp" -n select 2>&1) && fail "a repeated STRUCTURES name accepted"
grep -q "appears twice" <<< "$out" || fail "no message for a repeated name: $out"
echo "structures and heating: ok (x $a vs $b A; heated run from $t0 K)"
