#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Extrapolation control in LAMMPS vs `mtp calculate_grade`.
# usage: run_grade.sh LMP MTP NP POT CFG INDEX WORKDIR STYLE
#   Takes configuration INDEX (1-based) of CFG, grades it with `mtp calculate_grade`
#   (reference), converts it to a LAMMPS data file and runs `run 0` with
#   extrapolation control (threshold_save 0, so it is always saved) through
#   pair_style STYLE (mtp: own keywords, mlip: MLIP-3 key=value form) on NP ranks.
#   Checks: the grade from `compute pair` (pvector[0]) equals the reference MV_grade;
#   `compute reduce max` of `compute mtp/atom` equals it too; the per-atom grades of
#   `compute mtp/atom` (dumped with %.17g) equal the reference nbh_grades (configuration
#   mode: MV_grade for every atom); the saved file is exactly pre.cfg (no pre.cfg.<rank>)
#   with one whole frame: the cell, all atoms in ID order, the reference MV_grade,
#   types and nbh_grades, and re-grading it with `mtp calculate_grade` gives the
#   reference grade again.  NP > 1: the saved frame is byte-identical to the one of a
#   serial run.
# With OPENMTP_PLUGIN=<mtpplugin.so>, LMP is a LAMMPS with PKG_PLUGIN that loads it first.
# Exit 77 (skip) when POT or CFG does not exist.
set -eu
lmp=$1 mtp=$2 np=$3 pot=$4 cfg=$5 index=$6 work=$7 style=$8
for f in "$pot" "$cfg"; do [ -f "$f" ] || { echo "SKIP: $f not found"; exit 77; }; done
tdir=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cd "$work"
rm -f one.cfg ref.cfg one.data pre.cfg pre.cfg.* pre_np.cfg run.log run1.log dump.grades
awk -v k="$index" '/BEGIN_CFG/{n++} n==k{print}' "$cfg" > one.cfg
[ -s one.cfg ] || { echo "no configuration $index in $cfg"; exit 1; }
"$mtp" calculate_grade "$pot" one.cfg ref.cfg
"$mtp" convert one.cfg one.data --output_format=lammps_data

# through the plugin: OPENMTP_PLUGIN=<mtpplugin.so> and LMP = a LAMMPS with PKG_PLUGIN
input="$tdir/grade.in"
if [ -n "${OPENMTP_PLUGIN:-}" ]; then
    printf 'plugin load %s\ninclude %s\n' "$OPENMTP_PLUGIN" "$tdir/grade.in" > plugin.in
    input="$work/plugin.in"
fi
if [ "$style" = mlip ]; then
    ps="mlip load_from=$pot extrapolation_control=true threshold_save=0 threshold_break=1e9 save_extrapolative_to=pre.cfg"
else
    ps="mtp $pot extrapolation yes threshold_save 0 threshold_break 0 save_extrapolative_to pre.cfg"
fi
if [ "$np" -gt 1 ]; then
    mpi=${MPIEXEC:-mpirun}
    flags=""
    if "$mpi" --version 2>&1 | grep -q "Open MPI"; then
        flags="--oversubscribe"
        [ "$(id -u)" = 0 ] && flags="$flags --allow-run-as-root"
    fi
    set -- "$mpi" $flags -np "$np" "$lmp"
else
    set -- "$lmp"
fi
"$@" -in "$input" -log run.log -screen none -var data one.data -var style "$style" \
    -var ps "$ps" || { echo "lmp_mtp failed:"; tail -n 20 run.log; exit 1; }
grep -E "^OpenMTP" run.log || true

# feature value / nbh_grades column (last AtomData column) of a .cfg
feature() { awk -v k="$2" '$1 == "Feature" && $2 == k {print $3}' "$1"; }
column() {
    awk -v want="$2" '/AtomData/ {f = 1; g = 0; for (i = 1; i <= NF; i++) if ($i == "ghost") g = i - 1; next}
         /^ *(Energy|Feature|END_CFG|PlusStress)/ {f = 0}
         f { if (want == "all" || (g > 0 && $g == want) || (g == 0 && want == "false")) print $NF }' "$1"
}
same() {  # same NAME A B TOL
    awk -v n="$1" -v a="$2" -v b="$3" -v t="$4" 'BEGIN {
        d = a - b; if (d < 0) d = -d;
        if (a == "" || b == "" || d > t) { printf "FAIL: %s: %s vs reference %s\n", n, a, b; exit 1 }
        printf "ok: %s %s (reference %s)\n", n, a, b }'
}
cmp_columns() {  # cmp_columns FILE_A FILE_B TOL [WHAT]: same numbers, line by line
    paste "$1" "$2" | awk -v t="$3" -v w="${4:-nbh_grades}" '{ d = $1 - $2; if (d < 0) d = -d; if (NF != 2 || d > t) bad++; n++ }
        END { if (bad || n == 0) { printf "FAIL: %d of %d %s differ\n", bad, n, w; exit 1 }
              printf "ok: %d %s equal\n", n, w }'
}

ref=$(feature ref.cfg MV_grade)
g=$(sed -n 's/^OPENMTP_GRADE \([^ ]*\) .*/\1/p' run.log)
gmax=$(sed -n 's/^OPENMTP_GRADE [^ ]* \(.*\)/\1/p' run.log)
same "max grade (compute pair)" "$g" "$ref" 1e-6
same "compute reduce max c_g vs c_grade[1]" "$gmax" "$g" 0
nbh=0
grep -q nbh_grades ref.cfg && nbh=1

# per-atom grades of compute mtp/atom (dump sorted by ID) vs the reference
awk '/ITEM: ATOMS/ {f = 1; next} /ITEM:/ {f = 0} f {print $2}' dump.grades > peratom.txt
if [ $nbh = 1 ]; then
    column ref.cfg all > refatom.txt
else
    n=$(awk '/Size/ {getline; print $1; exit}' ref.cfg)
    awk -v n="$n" -v g="$ref" 'BEGIN {for (i = 0; i < n; i++) print g}' > refatom.txt
fi
[ "$(wc -l < peratom.txt)" = "$(wc -l < refatom.txt)" ] || { echo "FAIL: compute mtp/atom: $(wc -l < peratom.txt) atoms, reference $(wc -l < refatom.txt)"; exit 1; }
cmp_columns peratom.txt refatom.txt 1.5e-5 "per-atom grades of compute mtp/atom (reference: calculate_grade)"

# the saved frame: exactly pre.cfg, whole, with its cell
ls pre.cfg.* >/dev/null 2>&1 && { echo "FAIL: rank files written: $(ls pre.cfg.*)"; exit 1; }
[ -f pre.cfg ] || { echo "FAIL: pre.cfg missing"; exit 1; }
[ "$(grep -c BEGIN_CFG pre.cfg)" = 1 ] || { echo "FAIL: pre.cfg should hold one configuration"; exit 1; }
grep -q ghost pre.cfg && { echo "FAIL: pre.cfg has ghost atoms"; exit 1; }
grep -q Supercell pre.cfg || { echo "FAIL: pre.cfg has no Supercell"; exit 1; }
same "MV_grade of pre.cfg" "$(feature pre.cfg MV_grade)" "$ref" 1.5e-6
same "Size" "$(awk '/Size/ {getline; print $1}' pre.cfg)" "$(awk '/Size/ {getline; print $1}' ref.cfg)" 0
if [ $nbh = 1 ]; then
    column pre.cfg all > a.txt
    column ref.cfg all > b.txt
    cmp_columns a.txt b.txt 1.5e-5
fi
# IDs 1..N in order, types = the potential's labels, in the input's order
awk '/AtomData/ {f = 1; next} /^ *(Energy|Feature|END_CFG|PlusStress)/ {f = 0} f {print $1}' pre.cfg > ids.txt
awk '{ if ($1 != NR) bad++ } END { exit bad > 0 || NR == 0 }' ids.txt || { echo "FAIL: pre.cfg atoms are not in ID order 1..N"; exit 1; }
awk '/AtomData/ {f = 1; next} /^ *(Energy|Feature|END_CFG|PlusStress)/ {f = 0} f {print $2}' pre.cfg > ta.txt
awk '/AtomData/ {f = 1; next} /^ *(Energy|Feature|END_CFG|PlusStress)/ {f = 0} f {print $2}' ref.cfg > tb.txt
cmp -s ta.txt tb.txt || { echo "FAIL: atom types differ from the input"; exit 1; }
# the saved frame grades as the original (a sub-domain with ghosts would not)
rm -f regraded.cfg
# (positions are printed with 6 decimals: 2e-5 relative)
"$mtp" calculate_grade "$pot" pre.cfg regraded.cfg > /dev/null
same "MV_grade of pre.cfg re-graded by mtp calculate_grade" "$(feature regraded.cfg MV_grade)" "$ref" "$(awk -v a="$ref" 'BEGIN {print 2e-5 * a}')"

if [ "$np" -gt 1 ]; then
    # the same frame as a serial run
    mv pre.cfg pre_np.cfg
    "$lmp" -in "$input" -log run1.log -screen none -var data one.data -var style "$style" \
        -var ps "$ps" || { echo "serial lmp_mtp failed:"; tail -n 20 run1.log; exit 1; }
    cmp pre.cfg pre_np.cfg || { echo "FAIL: the frame saved on $np ranks differs from the serial one"; diff pre.cfg pre_np.cfg | head; exit 1; }
    echo "ok: the frame saved on $np ranks is the serial one"
fi
echo "OPENMTP_GRADE_OK"
