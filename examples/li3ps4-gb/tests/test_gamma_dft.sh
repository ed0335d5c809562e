#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest gb_gamma_dft (label gb): `make gamma-dft` (issue 13 item 3) on one boundary built and
# relaxed with the shipped bulk potential (--grid 1 1 --gaps 0), with a stand-in labeller that
# labels by the MTP itself: both rows of results/gamma_dft.txt must then give the builder's own
# relaxed gamma (same geometry, same energies), and a cell that is not Li3PS4 is refused.
#   test_gamma_dft.sh BIN SRC WORK
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
for p in mtp lmp_mtp; do [ -x "$BIN/$p" ] || { echo "SKIP: $BIN/$p not built" >&2; exit 77; }; done
/usr/bin/python3 -c 'import pymatgen.analysis.gb.grain' 2> /dev/null || { echo "SKIP: python3-pymatgen not installed" >&2; exit 77; }
rm -rf "$WORK" && mkdir -p "$WORK/out" || exit 1
GB=$SRC/examples/li3ps4-gb
POT=$SRC/potentials/Li3PS4-beta-L16/Li3PS4-beta-L16.almtp
(cd "$GB" && LMP_MTP="$BIN/lmp_mtp" /usr/bin/python3 build_gb.py --axis 0 1 0 --sigma 5 --plane 0 1 0 \
   --name S5-010-010-twist --pot "$POT" -o "$WORK/out" --grid 1 1 --gaps 0) > "$WORK/build.log" 2>&1 ||
  { tail "$WORK/build.log"; fail "build_gb.py failed"; }
want=$(/usr/bin/python3 -c "import json; print('%.4f' % json.load(open('$WORK/out/S5-010-010-twist.json'))['gamma_J_m2'])") ||
  fail "the builder wrote no relaxed gamma"
# stand-in for mtp-label (mtp-label CODE IN OUT [options]): label IN into OUT with the MTP
printf '#!/bin/bash\nexec "%s" calculate_efs "%s" "$2" --output_filename="$3" > /dev/null\n' "$BIN/mtp" "$POT" > "$WORK/mtp-as-label"
chmod +x "$WORK/mtp-as-label"
make -C "$GB" gamma-dft POT="$POT" OUT="$WORK/out" RESULTS="$WORK/results" GAMMA_WORK="$WORK/gw" \
  MTP="$BIN/mtp" MTP_LABEL="$WORK/mtp-as-label" > "$WORK/make.log" 2>&1 || { tail "$WORK/make.log"; fail "make gamma-dft failed"; }
T=$WORK/results/gamma_dft.txt
[ "$(awk -F'\t' 'NR > 1' "$T" | wc -l)" = 2 ] || fail "$T: expected the MTP and the CP2K row"
awk -F'\t' -v g="$want" 'NR > 1 { d = $7 - g; if (d < 0) d = -d; if (d > 1e-4) bad = 1 } END { exit bad }' "$T" ||
  fail "$T: gamma differs from the builder's $want J/m2: $(cut -f2,7 "$T" | tr '\n' ' ')"
# not Li3PS4: one Li line dropped (and the count fixed) must be refused with the file's name
awk '/^ *Size/ { print; getline; print $1 - 1; next } /AtomData:/ { a = 1; print; next }
     a && $1 == 1 && $2 == 0 { a = 0; next } { print }' \
  "$WORK/gw/S5-010-010-twist-relaxed.mtp.cfg" > "$WORK/broken.cfg"
out=$(/usr/bin/python3 "$GB/gamma_dft.py" "$WORK/out/S5-010-010-twist.json" "$WORK/broken.cfg" \
  "$WORK/gw/S5-010-010-twist-bulk-relaxed.mtp.cfg" 2>&1) && fail "a cell that is not Li3PS4 was accepted"
[ "$(grep -c '^ *[0-9]' "$WORK/broken.cfg")" -lt "$(grep -c '^ *[0-9]' "$WORK/gw/S5-010-010-twist-relaxed.mtp.cfg")" ] ||
  fail "the test did not remove the Li atom"
grep -q "broken.cfg: not Li3PS4" <<< "$out" || fail "no message for a non-stoichiometric cell: $out"
echo "PASS: gamma from the labelled cells = the builder's $want J/m2"
