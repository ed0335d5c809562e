#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# save_cut: LAMMPS saves the extrapolative neighbourhood instead of the whole frame.
# usage: run_save_cut.sh LMP MTP NP POT WORKDIR [CELLS]
#   grade_md.in (CELLS^3 bcc cells of Li; default 4: 128 atoms), 18 MD steps,
#   threshold_save 5 save_max 1 on NP ranks: the first frame above 5 (128 atoms: step 18,
#   grade 7.6, a distinct most extrapolative atom) is saved as
#   * save_cut no: the whole frame (frame.cfg), the reference input;
#   * save_cut cluster cut_radius 7: the same atoms (types, positions) as
#     `mtp cut_extrapolative_nbh frame.cfg ref.cfg --cutoff=7` (MLIP-3's cluster);
#   * save_cut periodic: the same cell, atoms, force_weight column and cut_geometry as
#     `mtp cut_extrapolative_nbh frame.cfg refp.cfg --periodic --potential=POT`:
#     with CELLS 4 (13.8 A box, the cut box is 24 A) the whole frame, by the library's
#     whole rule; with CELLS 8 (27.5 A, 1024 atoms) a real cut with weights 0.
# Exit 77 (skip) when POT is missing or this build has no save_cut (libopenmtp
# without mtp_cut_cluster) or mtp has no cut_extrapolative_nbh.
set -eu
lmp=$1 mtp=$2 np=$3 pot=$4 work=$5 cells=${6:-4}
[ -f "$pot" ] || { echo "SKIP: $pot not found"; exit 77; }
tdir=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cd "$work"
rm -f frame.cfg cluster.cfg periodic.cfg ref.cfg refp.cfg ./*.log
set --
if [ "$np" -gt 1 ]; then
    mpi=${MPIEXEC:-mpirun}
    flags=""
    if "$mpi" --version 2>&1 | grep -q "Open MPI"; then
        flags="--oversubscribe"
        [ "$(id -u)" = 0 ] && flags="$flags --allow-run-as-root"
    fi
    set -- "$mpi" $flags -np "$np"
fi
fail() { echo "FAIL: $*"; exit 1; }
lmprun() {
    name=$1 file=$2 extra=$3
    shift 3
    "$@" "$lmp" -in "$tdir/grade_md.in" -log "$name.log" -screen none -var style mtp -var steps 18 -var cells "$cells" \
        -var ps "mtp $pot extrapolation yes threshold_save 5 threshold_break 0 save_max 1 save_extrapolative_to $file $extra" \
        > /dev/null 2>&1 || { grep -h ERROR "$name.log" || tail -n 5 "$name.log"; return 1; }
}
lmprun frame frame.cfg "" "$@" || fail "whole-frame run failed"
if ! lmprun cluster cluster.cfg "save_cut cluster cut_radius 7" "$@"; then
    grep -q "needs a libopenmtp with mtp_cut_cluster" cluster.log && { echo "SKIP: this build has no save_cut"; exit 77; }
    fail "save_cut cluster run failed"
fi
"$mtp" help cut_extrapolative_nbh > /dev/null 2>&1 || { echo "SKIP: $mtp has no cut_extrapolative_nbh"; exit 77; }
lmprun periodic periodic.cfg "save_cut periodic" "$@" || fail "save_cut periodic run failed"
"$mtp" cut_extrapolative_nbh frame.cfg ref.cfg --cutoff=7 > /dev/null
"$mtp" cut_extrapolative_nbh frame.cfg refp.cfg --periodic --potential="$pot" > /dev/null

# Size, Supercell and AtomData lines (numbers within 5e-6: LAMMPS cuts at full
# precision, the CLI from the frame printed to 1e-6 A, and a cut shifts by an origin
# that is itself rounded: up to 3 roundings of 5e-7)
body() { awk '/^ *(Feature|END_CFG|Energy|PlusStress)/ {f = 0} /^ *Size/ {f = 1} f' "$1"; }
cmp_numbers() {
    body "$1" > a.txt
    body "$2" > b.txt
    [ "$(wc -l < a.txt)" = "$(wc -l < b.txt)" ] || return 1
    paste -d '\n' a.txt b.txt | awk 'NR % 2 == 1 {a = $0; next}
        { na = split(a, x, " "); nb = split($0, y, " "); if (na != nb) bad++
          for (i = 1; i <= na; i++) if (x[i] != y[i]) { d = x[i] - y[i]; if (d < 0) d = -d
              if (x[i] + 0 != x[i] || d > 5e-6) bad++ } }
        END { exit bad > 0 }'
}
[ "$(grep -c BEGIN_CFG cluster.cfg)" = 1 ] || fail "cluster.cfg should hold one cluster"
grep -q Supercell cluster.cfg && fail "the cluster has a Supercell"
cmp_numbers cluster.cfg ref.cfg || fail "the saved cluster differs from mtp cut_extrapolative_nbh's"
echo "ok: save_cut cluster = mtp cut_extrapolative_nbh --cutoff=7 ($(awk '/Size/ {getline; print $1}' cluster.cfg) atoms)"
grep -q "Feature *extrapolation_grade" cluster.cfg || fail "cluster.cfg has no extrapolation_grade feature"
grep -q "Feature *MV_grade" cluster.cfg || fail "cluster.cfg has no MV_grade feature"
[ "$(grep -c BEGIN_CFG periodic.cfg)" = 1 ] || fail "periodic.cfg should hold one cell"
grep -q Supercell periodic.cfg || fail "the periodic cell has no Supercell"
grep -q force_weight periodic.cfg || fail "the periodic cell has no force_weight column"
cmp_numbers periodic.cfg refp.cfg || fail "the saved periodic cell differs from mtp cut_extrapolative_nbh --periodic's"
# the same cut_geometry (numbers within 5e-6: the origin), hence the same rule
geometry() { sed -n 's/^ *Feature *cut_geometry[[:space:]]*//p' "$1" | tr '=,()' '    '; }
geometry periodic.cfg > a.txt
geometry refp.cfg > b.txt
[ -s a.txt ] || fail "periodic.cfg has no cut_geometry feature"
cmp_numbers_lines() {
    [ "$(wc -l < "$1")" = "$(wc -l < "$2")" ] || return 1
    paste -d '\n' "$1" "$2" | awk 'NR % 2 == 1 {a = $0; next}
        { na = split(a, x, " "); nb = split($0, y, " "); if (na != nb) bad++
          for (i = 1; i <= na; i++) if (x[i] != y[i]) { d = x[i] - y[i]; if (d < 0) d = -d
              if (x[i] + 0 != x[i] || d > 5e-6) bad++ } }
        END { exit bad > 0 }'
}
cmp_numbers_lines a.txt b.txt || fail "cut_geometry differs: '$(cat a.txt)' vs '$(cat b.txt)'"
nframe=$(awk '/Size/ {getline; print $1; exit}' frame.cfg)
ncell=$(awk '/Size/ {getline; print $1; exit}' periodic.cfg)
if grep -q "cut_geometry.*whole configuration" periodic.cfg; then
    [ "$cells" -le 4 ] || fail "a $nframe-atom frame was saved whole"
    [ "$ncell" = "$nframe" ] || fail "the whole frame has $ncell of $nframe atoms"
    grep -q "Feature *EnergyWeight" periodic.cfg && fail "the whole frame has an EnergyWeight feature"
    awk '/AtomData/ {f = 1; next} /END_CFG|Feature|Energy|PlusStress/ {f = 0} f && $NF != 1 {bad++} END {exit bad > 0}' \
        periodic.cfg || fail "the whole frame has force weights other than 1"
    echo "ok: the frame (no bigger than its cut) is saved whole, as by mtp cut_extrapolative_nbh --periodic"
else
    [ "$cells" -gt 4 ] || fail "the $nframe-atom frame (smaller than its cut) was cut"
    [ "$ncell" -lt "$nframe" ] || fail "the cut cell has $ncell atoms, the frame $nframe"
    grep -q "Feature *EnergyWeight[[:space:]]*0" periodic.cfg || fail "the cut cell has no EnergyWeight 0"
    grep -q "Feature *StressWeight[[:space:]]*0" periodic.cfg || fail "the cut cell has no StressWeight 0"
fi
echo "ok: save_cut periodic = mtp cut_extrapolative_nbh --periodic ($(awk '/Size/ {getline; print $1}' periodic.cfg) atoms)"
echo "OPENMTP_SAVE_CUT_OK"
