#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest al_loop_reuse_labelled (label al_loop): examples/active_learning/reuse_labelled.py on
# hand-written frames - a frame within 1e-5 A of a known one takes that frame verbatim; a frame
# 2e-5 A off, with two types swapped or in another cell is labelled again (exit 1); bad input
# stops with file:line (exit 2, not 1, which would mean "label it"); --unused lists the known
# frames no frame of the round matches.
#   test_reuse_labelled.sh SRC WORK
set -uo pipefail
SRC=$1 WORK=$2
REUSE=$SRC/examples/active_learning/reuse_labelled.py
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x /usr/bin/python3 ] || { echo "SKIP: /usr/bin/python3 not found" >&2; exit 77; }
T=$WORK/reuse_labelled
rm -rf "$T" && mkdir -p "$T" || exit 1
# cfg DX TYPE_OF_ATOM_2 CELL_X [ENERGY]: a 2-atom frame, atom 1 moved by DX along x
cfg() {
  printf 'BEGIN_CFG\n Size\n    2\n Supercell\n    %s 0 0\n    0 4 0\n    0 0 4\n' "$3"
  printf ' AtomData:  id type cartes_x cartes_y cartes_z fx fy fz\n'
  printf '    1 0 %.7f 0.5 0.5 0.1 0.2 0.3\n    2 %s 2.0 2.0 2.0 -0.1 -0.2 -0.3\n' "$(echo "0.5 + $1" | bc -l)" "$2"
  [ -z "${4:-}" ] || printf ' Energy\n    %s\n' "$4"
  printf 'END_CFG\n\n'
}
cfg 0 1 4 -7.25 > "$T/known.cfg"
cfg 0.3 1 4 -6.5 >> "$T/known.cfg"          # a second known frame, at line 15
cfg 0.000005 1 4 > "$T/close.cfg"
cfg 0.00002 1 4 > "$T/off.cfg"
cfg 0 0 4 > "$T/swapped.cfg"
cfg 0 1 4.001 > "$T/cell.cfg"

out=$(/usr/bin/python3 "$REUSE" "$T/close.cfg" "$T/known.cfg" "$T/out.cfg") || fail "a frame 5e-6 A off was not found"
grep -q "known.cfg:1$" <<< "$out" || fail "no known.cfg:1 in '$out'"
cmp -s <(sed -n 1,13p "$T/known.cfg") "$T/out.cfg" || fail "out.cfg is not known.cfg's first frame verbatim"
for f in off swapped cell; do
  rm -f "$T/out.cfg"
  /usr/bin/python3 "$REUSE" "$T/$f.cfg" "$T/known.cfg" "$T/out.cfg"; rc=$?
  [ $rc = 1 ] || fail "$f.cfg: exit $rc, expected 1 (not labelled before)"
  [ ! -e "$T/out.cfg" ] || fail "$f.cfg: out.cfg written although nothing matched"
done
# bad input: exit 2 with file:line
head -9 "$T/known.cfg" > "$T/cut.cfg"; echo END_CFG >> "$T/cut.cfg"
err=$(/usr/bin/python3 "$REUSE" "$T/close.cfg" "$T/cut.cfg" "$T/out.cfg" 2>&1); rc=$?
[ $rc = 2 ] || fail "a truncated known file: exit $rc, expected 2"
grep -q "cut.cfg:10: expected atom 2 of 2" <<< "$err" || fail "no file:line for the truncated atom: $err"
err=$(/usr/bin/python3 "$REUSE" "$T/missing.cfg" "$T/known.cfg" "$T/out.cfg" 2>&1); rc=$?
[ $rc = 2 ] && grep -q "missing.cfg: cannot read" <<< "$err" || fail "a missing frame file: exit $rc, '$err'"
# --unused: the second known frame is matched by no frame of the round
err=$(/usr/bin/python3 "$REUSE" --unused "$T/known.cfg" "$T/unused.cfg" "$T/close.cfg" "$T/off.cfg" 2>&1); rc=$?
[ $rc = 1 ] || fail "--unused with an unmatched known frame: exit $rc, expected 1"
grep -q "known.cfg:15: not selected again" <<< "$err" || fail "--unused does not name known.cfg:15: $err"
cmp -s <(sed -n 15,27p "$T/known.cfg") "$T/unused.cfg" || fail "unused.cfg is not the second known frame"
cfg 0.3 1 4 > "$T/second.cfg"
/usr/bin/python3 "$REUSE" --unused "$T/known.cfg" "$T/unused.cfg" "$T/close.cfg" "$T/second.cfg" ||
  fail "--unused: every known frame is matched, but exit $?"
[ ! -e "$T/unused.cfg" ] || fail "--unused left a stale unused.cfg when every frame was matched"
echo "PASS: reuse_labelled.py matches within 1e-5 A only, stops on bad input with file:line, --unused names what is left"
