#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest gb_amorphous_not_amorphised: build_amorphous.py with a "melt" far too cold and short to
# move the PS4 framework (300 K, 20 + 20 steps) must fail its amorphisation check (exit 1, the
# message, the P displacements in the json), and its interface energy must be taken against the
# minimised crystal (json: interface_energy_J_m2 = (E_final - E_crystal_relaxed) / 2A).
#   test_amorphous_check.sh BIN SRC WORK
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$BIN/lmp_mtp" ] || { echo "SKIP: lmp_mtp not built" >&2; exit 77; }
/usr/bin/python3 -c "import pymatgen" 2> /dev/null || { echo "SKIP: no pymatgen" >&2; exit 77; }
rm -rf "$WORK"; mkdir -p "$WORK"
/usr/bin/python3 "$SRC/examples/li3ps4-gb/build_amorphous.py" --pot "$SRC/potentials/Li3PS4-beta-L16/Li3PS4-beta-L16.almtp" \
    --lmp "$BIN/lmp_mtp" --reps 1 1 4 --tmelt 300 --melt-steps 20 --quench-steps 20 -o "$WORK" > "$WORK/log" 2>&1
rc=$?
[ $rc = 1 ] || { cat "$WORK/log"; fail "exit $rc, expected 1 (not amorphised)"; }
grep -q "CHECK FAILED: the amorphous region did not amorphise: its P moved" "$WORK/log" || { cat "$WORK/log"; fail "no amorphisation message"; }
/usr/bin/python3 - "$WORK/amorphous-crystal.json" "$WORK/amorphous-crystal-start.cfg" <<'PY' || fail "json"
import json, sys
import numpy as np
d = json.load(open(sys.argv[1]))
p = d["p_displacement_median_A"]
assert p["amorphous"] < 1.0 and p["crystal"] < 0.5, p
assert d["E_crystal_relaxed_eV"] <= d["E_start_eV"] + 1e-6, (d["E_crystal_relaxed_eV"], d["E_start_eV"])
cell = []
lines = open(sys.argv[2]).read().splitlines()
k = [i for i, l in enumerate(lines) if l.strip() == "Supercell"][0]
cell = np.array([[float(v) for v in lines[k + 1 + j].split()] for j in range(3)])
area = np.linalg.norm(np.cross(cell[0], cell[1]))
want = (d["E_final_eV"] - d["E_crystal_relaxed_eV"]) / (2 * area) * 16.021766
assert abs(d["interface_energy_J_m2"] - want) < 1e-4 * max(1, abs(want)), (d["interface_energy_J_m2"], want)
print("P moved (median) %.3f A amorphous, %.3f A crystal; interface energy %.4f J/m2" % (p["amorphous"], p["crystal"], want))
PY
echo "amorphous check: ok"
