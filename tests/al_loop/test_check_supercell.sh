#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest al_loop_check_supercell: examples/li3ps4-beta/check_supercell.sh grades the shipped
# potential on the 384-atom supercell through the loop's explore.lmp, 1 ps at 300 K:
#   * the table has the explore.tsv columns, 101 graded steps (every 10 fs over 1 ps), the
#     largest grade of grades.txt (recomputed here) and the candidates the run saved;
#   * a second call with the same potential and length reuses the run; another length reruns it;
#   * no lmp_mtp: a message and exit 2.
#   test_check_supercell.sh BIN SRC WORK
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3/check-supercell
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$BIN/lmp_mtp" ] || { echo "SKIP: lmp_mtp not built" >&2; exit 77; }
CHECK=$SRC/examples/li3ps4-beta/check_supercell.sh
POT=$SRC/potentials/Li3PS4-beta-L16/Li3PS4-beta-L16.almtp
rm -rf "$WORK"; mkdir -p "$WORK"
run=$WORK/w/T300_s0.975_n2x2x3
LMP=$BIN/lmp_mtp "$CHECK" "$POT" "$WORK/out.tsv" "$WORK/w" 1 300 > "$WORK/log1" 2>&1 || { cat "$WORK/log1"; fail "check_supercell.sh failed"; }
[ "$(head -1 "$WORK/out.tsv")" = "$(printf 'run\tgraded_steps\tmax_grade\tcandidates')" ] || fail "header: $(head -1 "$WORK/out.tsv")"
[ "$(wc -l < "$WORK/out.tsv")" = 2 ] || fail "expected one run: $(cat "$WORK/out.tsv")"
IFS=$'\t' read -r name steps grade cand < <(tail -1 "$WORK/out.tsv")
[ "$name" = T300_s0.975_n2x2x3 ] || fail "run name $name"
[ "$steps" = 101 ] || fail "graded steps $steps, expected 101"
grep -q "variable nx equal 2" "$run/params.lmp" && grep -q "variable nz equal 3" "$run/params.lmp" &&
  grep -q "variable strain equal 0.975" "$run/params.lmp" || fail "not the 2x2x3 cell at -2.5 %"
grep -q "Loop time of .* with 384 atoms" "$run/log.lammps" || fail "the run did not simulate 384 atoms"
/usr/bin/python3 - "$run/grades.txt" "$grade" <<'PY' || fail "max_grade does not match grades.txt"
import sys
g = [float(l.split()[1]) for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
assert len(g) == 101 and abs(max(g) - float(sys.argv[2])) <= 1e-5 * max(g), (len(g), max(g), sys.argv[2])
PY
n=$(cat /dev/null $(ls "$run"/candidates.cfg* 2> /dev/null) | grep -c BEGIN_CFG)
[ "$cand" = "$n" ] || fail "candidates $cand, the run saved $n"
before=$(stat -c %Y.%s "$run/log.lammps")
sleep 1
LMP=$BIN/lmp_mtp "$CHECK" "$POT" "$WORK/out2.tsv" "$WORK/w" 1 300 > "$WORK/log2" 2>&1 || fail "second call failed"
[ "$(stat -c %Y.%s "$run/log.lammps")" = "$before" ] || fail "the finished run was redone"
cmp -s "$WORK/out.tsv" "$WORK/out2.tsv" || fail "the reused run gives another table"
LMP=$BIN/lmp_mtp "$CHECK" "$POT" "$WORK/out3.tsv" "$WORK/w" 2 300 > "$WORK/log3" 2>&1 || fail "call with 2 ps failed"
[ "$(tail -1 "$WORK/out3.tsv" | cut -f2)" = 201 ] || fail "another length did not rerun: $(tail -1 "$WORK/out3.tsv")"
LMP=$WORK/none "$CHECK" "$POT" "$WORK/out4.tsv" "$WORK/w2" 1 300 > "$WORK/log4" 2>&1; rc=$?
[ "$rc" = 2 ] && grep -q "lmp_mtp not found" "$WORK/log4" || fail "no lmp_mtp: exit $rc, $(cat "$WORK/log4")"
echo "check_supercell: ok"
