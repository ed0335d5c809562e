#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest gb_cut_check_compare (label gb): the cut-check pipeline (cut-check/Makefile, compare.py)
# with the MTP itself as the labeller instead of CP2K, on a 2x4x4 supercell (1024 atoms): cubes
# with buffer = cutoff (5 A) give the centre exactly the whole cell's MTP force (the cut's
# guarantee), so compare.py must find dF ~ 0 there, and dF > 0 with buffer 1 A (the centre's
# neighbours lose neighbours), each centre matched to its atom in the whole cell.
#   test_cut_check.sh BIN SRC WORK
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
for p in mtp lmp_mtp; do [ -x "$BIN/$p" ] || { echo "SKIP: $BIN/$p not built" >&2; exit 77; }; done
/usr/bin/python3 -c 'import ase, numpy' 2> /dev/null || { echo "SKIP: python3-ase not installed" >&2; exit 77; }
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
POT=$SRC/potentials/Li3PS4-beta-L16/Li3PS4-beta-L16.almtp
make -C "$SRC/examples/li3ps4-gb/cut-check" WORKDIR="$WORK" MTP="$BIN/mtp" LMP="$BIN/lmp_mtp" CELLS="2 4 4" \
  MD_STEPS=20 BUFFERS="1 5" "$WORK/cut-1.cfg" "$WORK/cut-5.cfg" > "$WORK/make.log" 2>&1 ||
  { tail -20 "$WORK/make.log"; fail "cut-check make failed"; }
grep -q "cut_geometry.*buffer=5" "$WORK/cut-5.cfg" || fail "buffer-5 cubes were not cut (cell too small?)"
for f in full cut-1 cut-5; do
  "$BIN/mtp" calculate_efs "$POT" "$WORK/$f.cfg" --output_filename="$WORK/$f-labelled.cfg" > /dev/null 2>&1 ||
    fail "mtp calculate_efs on $f.cfg failed"
done
PYTHONPATH=$BIN/../python /usr/bin/python3 "$SRC/examples/li3ps4-gb/cut-check/compare.py" "$WORK/full-labelled.cfg" \
  "$WORK/cut-1-labelled.cfg" "$WORK/cut-5-labelled.cfg" --out="$WORK/compare.md" > "$WORK/compare.log" 2>&1 ||
  { cat "$WORK/compare.log"; fail "compare.py failed"; }
cat "$WORK/compare.md"
awk -F'|' '$2 + 0 == 5 && NF > 5 && $3 ~ /[0-9]/ && $7 + 0 >= 1e-4 { bad = 1 } END { exit bad }' "$WORK/compare.md" ||
  fail "buffer 5 (= cutoff): a centre's force differs from the whole cell's"
[ "$(awk -F'|' '$2 + 0 == 5 && $3 ~ /^ *[0-9]+ *$/ && $4 ~ /[A-Z]/' "$WORK/compare.md" | wc -l)" = 2 ] || fail "expected 2 centres at buffer 5"
awk -F'|' '$2 + 0 == 1 && $4 ~ /[A-Z]/ && $7 + 0 > 1e-4 { ok = 1 } END { exit !ok }' "$WORK/compare.md" ||
  fail "buffer 1: no centre force differs from the whole cell's (the comparison sees nothing)"
# a file that is not a cut cell is refused with its name
PYTHONPATH=$BIN/../python /usr/bin/python3 "$SRC/examples/li3ps4-gb/cut-check/compare.py" "$WORK/full-labelled.cfg" \
  "$WORK/full-labelled.cfg" > "$WORK/bad.log" 2>&1 && fail "compare.py accepted a whole cell as a cut cell"
grep -q "full-labelled.cfg: configuration 1: no cut_geometry" "$WORK/bad.log" || fail "no message for a non-cut file: $(cat "$WORK/bad.log")"
echo "PASS: centre forces exact at buffer 5, differ at buffer 1"
