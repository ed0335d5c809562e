#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest (label physics): `make -C examples/li3ps4-beta/physics report` on a
# tiny stand-in (shipped L16 potential; 128-atom NPT, 32-atom RDF run,
# 256-atom diffusion at 2 temperatures, a few hundred steps each):
#   * every output and physics.md + PNGs are written;
#   * the report's numbers come from the run outputs: lattice row = lattice.txt,
#     D row = the md Makefile's D.txt, and an edited lattice.txt changes the report;
#   * a stand-in "AIMD" trajectory made of the MTP run's own frames (through
#     aimd.py input + the XYZ reader) is picked up, and the comparison of a
#     trajectory with itself gives zero integrated difference, equal peaks and CNs;
#   * missing inputs give a clear error and a non-zero exit.
#   test_physics_report.sh BIN SRC WORK
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$BIN/lmp_mtp" ] || { echo "SKIP: lmp_mtp not built" >&2; exit 77; }
/usr/bin/python3 -c "import matplotlib, numpy" 2> /dev/null || { echo "SKIP: needs python3-matplotlib and numpy" >&2; exit 77; }
PHYS=$SRC/examples/li3ps4-beta/physics
POT=$SRC/potentials/Li3PS4-beta-L16/Li3PS4-beta-L16.almtp
export PYTHONPATH="$(dirname "$BIN")/python"
rm -rf "$WORK"; mkdir -p "$WORK"
run() {
  make --no-print-directory -C "$PHYS" LMP="$BIN/lmp_mtp" POT="$POT" WORKDIR="$WORK/run" NP=1 \
    LAT_NX=1 LAT_NY=2 LAT_NZ=2 LAT_EQUIL_PS=0.1 LAT_PS=0.4 LAT_BLOCKS=2 \
    RDF_EQUIL_PS=0.1 RDF_PS=0.2 RDF_EVERY=20 AIMD_SKIP=0 \
    DIFF_TEMPS="600 900" N=2 EQUIL_PS=0.1 BLOCK_PS=0.1 BLOCKS=2 MSD_EVERY=10 "$@"
}
R=$WORK/run
run report > "$WORK/log1" 2>&1 || { tail -20 "$WORK/log1"; fail "make report failed"; }
for f in lattice/lattice.txt lattice/lattice-series.txt rdf/rdf-mtp.txt rdf/start.dump diffusion/T600/D.txt \
         diffusion/T900/D.txt physics.md rdf.png msd.png arrhenius.png; do
  [ -s "$R/$f" ] || fail "$f missing"
done
md=$R/physics.md
# lattice row = lattice.txt (3 decimals)
a=$(awk '$1 == "a" {printf "%.3f ± %.3f", $2, $3}' "$R/lattice/lattice.txt")
grep -q "^| \*\*MTP (this run)\*\* | 300 K | $a |" "$md" || fail "lattice row does not show a = $a: $(grep 'MTP (this run)' "$md")"
# D row at 600 K = D.txt (4 significant digits there, 3 in the report)
dx=$(awk '$1 == "D_x" {printf "%.3e", $2}' "$R/diffusion/T600/D.txt")
grep -q "^| 600 | $dx ± " "$md" || fail "D_x at 600 K ($dx, D.txt) not in the report: $(grep '^| 600 ' "$md")"
# the 300 K extrapolation is the Arrhenius fit of the D.txt values (recomputed here)
/usr/bin/python3 - "$R" "$md" <<'PY' || fail "300 K extrapolation does not follow D.txt"
import math, re, sys
from openmtp import diffusion
rows = []
for T in (600, 900):
    d = {l.split()[0]: (float(l.split()[1]), float(l.split()[3])) for l in open("%s/diffusion/T%d/D.txt" % (sys.argv[1], T)) if l.startswith("  D_")}
    rows.append((T, d["D_total"][0], d["D_total"][1]))
D, err = diffusion.extrapolate(diffusion.arrhenius(rows), 300.0)
text = open(sys.argv[2]).read()
m = re.search(r"D_total ([0-9.e+-]+) cm²/s \(×/÷ ([0-9.]+)\)", text)
assert m and abs(float(m.group(1)) / D - 1) < 0.05 and abs(float(m.group(2)) / math.exp(err) - 1) < 0.03, (m and m.groups(), D, err)
assert "Nernst-Einstein" in text
PY
grep -q "CP2K AIMD: \*\*not compared yet\*\* (no " "$md" || fail "without a trajectory the AIMD must be reported as not run"
# an edited lattice.txt changes the report (nothing is cached or hard-coded)
sed -i 's/^a [0-9.]* /a 99.12345 /' "$R/lattice/lattice.txt"
run report > "$WORK/log2" 2>&1 || { tail -20 "$WORK/log2"; fail "make report (second) failed"; }
grep -q "^| \*\*MTP (this run)\*\* | 300 K | 99.123 ± " "$md" || fail "the report did not follow the edited lattice.txt"
# finished runs are not redone
grep -q "\.lmp -log" "$WORK/log2" && fail "the second make report reran LAMMPS"
# stand-in AIMD: aimd.py input from the MTP frame, trajectory = the MTP run's frames as CP2K XYZ
mkdir -p "$R/aimd"
/usr/bin/python3 "$PHYS/aimd/aimd.py" input "$R/rdf/start.dump" "$R/aimd/aimd.inp" || fail "aimd.py input failed"
grep -q "&VELOCITY" "$R/aimd/aimd.inp" && grep -q "ENSEMBLE NVT" "$R/aimd/aimd.inp" && grep -q "TYPE CSVR" "$R/aimd/aimd.inp" \
  && grep -q "EXTRAPOLATION USE_PREV_P" "$R/aimd/aimd.inp" && grep -q "CUTOFF 400" "$R/aimd/aimd.inp" || fail "aimd.inp lacks MD or DFT settings"
/usr/bin/python3 - "$R/rdf/rdf.dump" "$R/aimd/aimd-pos.xyz" <<'PY' || fail "stand-in trajectory"
import sys
from openmtp import rdf
frames = rdf.read_lammps_dump(sys.argv[1], ["Li", "P", "S"])
with open(sys.argv[2], "w") as f:
    for k, (cell, pos, names) in enumerate(frames):
        f.write("%d\n i = %d, time = %.3f, E = 0\n" % (len(names), k, float(k)))
        for n, p in zip(names, pos):
            f.write("%s %.10f %.10f %.10f\n" % (n, *p))
PY
run report > "$WORK/log3" 2>&1 || { tail -20 "$WORK/log3"; fail "make report with the AIMD trajectory failed"; }
[ -s "$R/rdf/rdf-aimd.txt" ] || fail "rdf-aimd.txt not made from the trajectory"
grep -q "CP2K AIMD: \`rdf/rdf-aimd.txt\`, 11 frames" "$md" || fail "AIMD RDF not in the report: $(grep 'CP2K AIMD' "$md")"
# the AIMD's cost and temperature from the driver's energies (CP2K .ener rows: 2 fs steps, 50 s each)
awk 'BEGIN { print "#     Step Nr.          Time[fs]        Kin.[a.u.]          Temp[K]            Pot.[a.u.]        Cons Qty[a.u.]        UsedTime[s]";
             for (k = 0; k <= 10; k++) printf "%10d %19.6f %19.9f %19.9f %19.9f %19.9f %19.9f\n", k, 2 * k, 0.09, 590 + 2 * (k % 2) * 10, -280, -280 + k * 1e-6, (k ? 50 : 0) }' > "$R/aimd/aimd-ener.txt"
run report > "$WORK/log3b" 2>&1 || { tail -20 "$WORK/log3b"; fail "make report with the AIMD energies failed"; }
grep -q "CP2K AIMD so far: 10 steps = 0.020 ps, 0.1 h of wall time (50 s per step" "$md" || fail "AIMD cost line: $(grep 'AIMD so far' "$md")"
grep -q "T = 600 ± 11 K (mean ± std of the steps), conserved-quantity drift 0.425 meV/atom/ps" "$md" || fail "AIMD temperature or drift: $(grep "AIMD so far" "$md")"
# a trajectory not longer than the equilibration left out is reported, not compared (and make does not fail)
run report AIMD_SKIP=20 > "$WORK/log3c" 2>&1 || { tail -20 "$WORK/log3c"; fail "make report with a short AIMD failed"; }
grep -q "holds 11 frames so far, not more than the 20 left out" "$md" || fail "short AIMD: $(grep 'CP2K AIMD' "$md")"
run report > "$WORK/log3" 2>&1 || fail "make report (back to AIMD_SKIP=0) failed"
/usr/bin/python3 - "$md" "$R/rdf" <<'PY' || fail "self-comparison of one trajectory is not exact, or the halves column is wrong"
import sys
from openmtp import rdf
rows = [l.split("|")[1:-1] for l in open(sys.argv[1]) if l.startswith("| ") and l.count("|") == 9]
rows = [[c.strip() for c in r] for r in rows if r[0].strip() in ("Li-Li", "Li-P", "Li-S", "P-S", "S-S", "total")]
assert len(rows) == 6, rows
a, b = (rdf.read_table("%s/rdf-aimd-half%d.txt" % (sys.argv[2], k)) for k in (1, 2))
assert a["frames"] == b["frames"] == 5, (a["frames"], b["frames"])  # 11 frames, none skipped: 5 + 5
for r in rows:
    assert r[1] == r[2] and r[4] == r[5] and float(r[6]) == 0.0, r
    # the AIMD's two halves (here: the MTP run's first and second 5 frames) differ, as recomputed
    want = rdf.integrated_abs_difference(a["r"], a["g"][r[0]], b["g"][r[0]])
    assert want > 0 and abs(float(r[7]) - want) < 6e-4, (r, want)
PY
grep -q "The MTP on the AIMD frames" "$md" && fail "errors on the AIMD frames reported without aimd-frc.xyz"
# the potential on the AIMD frames: with the stand-in's energies and forces set to the MTP's own
# (in CP2K's units, Hartree and Hartree/bohr), every error is zero, whatever the frames
/usr/bin/python3 "$PHYS/aimd/aimd.py" cfg "$R/aimd" "$WORK/none.cfg" --mtp="$BIN/mtp" 2> "$WORK/log-cfg" &&
  fail "aimd.py cfg without aimd-frc.xyz succeeded"
grep -q "aimd-frc.xyz: missing" "$WORK/log-cfg" || fail "aimd.py cfg without forces: $(cat "$WORK/log-cfg")"
sed 's/^\(Li\|P\|S\) .*/\1 0 0 0/' "$R/aimd/aimd-pos.xyz" > "$R/aimd/aimd-frc.xyz"
/usr/bin/python3 "$PHYS/aimd/aimd.py" cfg "$R/aimd" "$WORK/frames.cfg" --mtp="$BIN/mtp" || fail "aimd.py cfg failed"
"$BIN/mtp" calculate_efs "$POT" "$WORK/frames.cfg" --output_filename="$WORK/efs.cfg" > /dev/null 2>&1 || fail "calculate_efs"
/usr/bin/python3 - "$WORK/efs.cfg" "$R/aimd" <<'PY' || fail "writing the stand-in's MTP energies and forces"
import sys
from openmtp import io
H, B = 27.211386245988, 0.529177210903
frames = io.read_cfg(sys.argv[1], species=["Li", "P", "S"])
for kind in ("pos", "frc"):
    with open("%s/aimd-%s.xyz" % (sys.argv[2], kind), "w") as f:
        for k, a in enumerate(frames):
            f.write("%d\n i = %d, time = %.3f, E = %.12f\n" % (len(a), k, float(k), a.get_potential_energy() / H))
            rows = a.get_positions() if kind == "pos" else a.get_forces() / (H / B)
            for s, v in zip(a.get_chemical_symbols(), rows):
                f.write("%s %.12f %.12f %.12f\n" % (s, *v))
PY
run report > "$WORK/log3d" 2>&1 || { tail -20 "$WORK/log3d"; fail "make report with AIMD forces failed"; }
grep -q "^\*\*The MTP on the AIMD frames\*\* .* 11 frames .* Energy MAE 0.00 / RMSE 0.00 meV/atom, force MAE 0.0000 / RMSE 0.0000 eV/Å (component-wise; MAE per species: Li 0.000, P 0.000, S 0.000)" "$md" ||
  fail "errors of the MTP on its own energies and forces: $(grep -A1 'The MTP on the AIMD' "$md")"
grep -q "^Mean energy error (MTP − CP2K) per 100 steps: steps 0-10 +0.00 meV/atom" "$md" || fail "energy windows: $(grep 'Mean energy error' "$md")"
# a changed energy shows up: frame 3 raised by 32 meV (1 meV/atom on 32 atoms) -> MAE 1/11 meV/atom, window mean -1/11
awk -v H=27.211386245988 '/ i = 3,/ { $NF = sprintf("%.12f", $NF + 0.032 / H) } 1' "$R/aimd/aimd-pos.xyz" > "$WORK/pos" && mv "$WORK/pos" "$R/aimd/aimd-pos.xyz"
run report > "$WORK/log3e" 2>&1 || { tail -20 "$WORK/log3e"; fail "make report after an energy change failed"; }
grep -q "Energy MAE 0.09 / RMSE 0.30 meV/atom" "$md" && grep -q "steps 0-10 -0.09 meV/atom" "$md" ||
  fail "a changed AIMD energy is not seen: $(grep -A1 'The MTP on the AIMD' "$md")"
# an AIMD_DIR without an AIMD: the view of the earlier one is dropped, nothing of it reported
mv "$R/aimd" "$R/aimd.away"
run report > "$WORK/log3f" 2>&1 || { tail -20 "$WORK/log3f"; fail "make report without the AIMD failed"; }
grep -q "The MTP on the AIMD frames" "$md" && fail "errors of an AIMD that is no longer there are reported"
grep -q "CP2K AIMD: \*\*not compared yet\*\* (no " "$md" || fail "without the AIMD: $(grep 'CP2K AIMD' "$md")"
mv "$R/aimd.away" "$R/aimd"
# missing inputs: a clear error naming the file, non-zero exit
rm "$R/rdf/rdf-mtp.txt"
/usr/bin/python3 "$PHYS/report.py" --workdir="$R" --temps="600 900" > "$WORK/log4" 2>&1 && fail "report.py succeeded without rdf-mtp.txt"
grep -q "rdf/rdf-mtp.txt: missing (MTP RDF)" "$WORK/log4" || fail "unclear message: $(cat "$WORK/log4")"
rm "$R/diffusion/T900/block-001.msd"
run rdf > /dev/null 2>&1 || fail "make rdf (remake rdf-mtp.txt) failed"
/usr/bin/python3 "$PHYS/report.py" --workdir="$R" --temps="600 900 1200" > "$WORK/log5" 2>&1 && fail "report.py succeeded without T1200"
grep -q "T1200: no block-\*.msd" "$WORK/log5" || fail "unclear message for a missing temperature: $(cat "$WORK/log5")"
make -C "$PHYS" report WORKDIR="$WORK/x" > "$WORK/log6" 2>&1 && fail "make report without POT succeeded"
grep -q "set POT=" "$WORK/log6" || fail "no POT: unclear message: $(cat "$WORK/log6")"
echo "physics report: ok"
