#!/bin/sh
# Extrapolation control in LAMMPS vs `mtp calculate_grade`.
# usage: run_grade.sh LMP MTP NP POT CFG INDEX WORKDIR STYLE
#   Takes configuration INDEX (1-based) of CFG, grades it with `mtp calculate_grade`
#   (reference), converts it to a LAMMPS data file and runs `run 0` with
#   extrapolation control (threshold_save 0, so it is always saved) through
#   pair_style STYLE (mtp: own keywords, mlip: MLIP-3 key=value form) on NP ranks.
#   Checks: the grade from `compute pair` (pvector[0]) equals the reference MV_grade;
#   the saved configuration(s): MV_grade and nbh_grades equal the reference (to the
#   printed precision).  NP > 1 in neighbourhood mode: each rank writes <file>.<rank>
#   with ghost atoms; the local atoms of all files together carry the reference
#   nbh_grades and the largest MV_grade is the reference one.
# Exit 77 (skip) when POT or CFG does not exist.
set -eu
lmp=$1 mtp=$2 np=$3 pot=$4 cfg=$5 index=$6 work=$7 style=$8
for f in "$pot" "$cfg"; do [ -f "$f" ] || { echo "SKIP: $f not found"; exit 77; }; done
tdir=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cd "$work"
rm -f one.cfg ref.cfg one.data pre.cfg pre.cfg.* run.log
awk -v k="$index" '/BEGIN_CFG/{n++} n==k{print}' "$cfg" > one.cfg
[ -s one.cfg ] || { echo "no configuration $index in $cfg"; exit 1; }
"$mtp" calculate_grade "$pot" one.cfg ref.cfg
"$mtp" convert one.cfg one.data --output_format=lammps_data

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
"$@" -in "$tdir/grade.in" -log run.log -screen none -var data one.data -var style "$style" \
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
cmp_columns() {  # cmp_columns FILE_A FILE_B TOL: same numbers, line by line
    paste "$1" "$2" | awk -v t="$3" '{ d = $1 - $2; if (d < 0) d = -d; if (NF != 2 || d > t) bad++; n++ }
        END { if (bad || n == 0) { printf "FAIL: %d of %d nbh_grades differ\n", bad, n; exit 1 }
              printf "ok: %d nbh_grades equal\n", n }'
}

ref=$(feature ref.cfg MV_grade)
g=$(sed -n 's/^OPENMTP_GRADE //p' run.log)
same "max grade (compute pair)" "$g" "$ref" 1e-6
nbh=0
grep -q nbh_grades ref.cfg && nbh=1
if [ "$np" -gt 1 ] && [ $nbh = 1 ]; then
    grade_max=0
    : > loc.txt
    for r in $(seq 0 $((np - 1))); do
        f=pre.cfg.$r
        [ -f "$f" ] || { echo "FAIL: $f missing"; exit 1; }
        grep -q "Supercell" "$f" && { echo "FAIL: $f has a Supercell"; exit 1; }
        grep -q "ghost" "$f" || { echo "FAIL: $f has no ghost column"; exit 1; }
        gr=$(feature "$f" MV_grade)
        grade_max=$(awk -v a="$grade_max" -v b="$gr" 'BEGIN {print (b > a ? b : a)}')
        column "$f" false >> loc.txt
    done
    same "largest MV_grade of pre.cfg.*" "$grade_max" "$ref" 1.5e-6
    sort -g loc.txt > a.txt
    column ref.cfg all | sort -g > b.txt
    cmp_columns a.txt b.txt 1.5e-5
else
    [ -f pre.cfg ] || { echo "FAIL: pre.cfg missing"; exit 1; }
    [ "$(grep -c BEGIN_CFG pre.cfg)" = 1 ] || { echo "FAIL: pre.cfg should hold one configuration"; exit 1; }
    same "MV_grade of pre.cfg" "$(feature pre.cfg MV_grade)" "$ref" 1.5e-6
    same "Size" "$(awk '/Size/ {getline; print $1}' pre.cfg)" "$(awk '/Size/ {getline; print $1}' ref.cfg)" 0
    if [ $nbh = 1 ]; then
        column pre.cfg all > a.txt
        column ref.cfg all > b.txt
        cmp_columns a.txt b.txt 1.5e-5
    fi
    # types = the potential's labels, in the input's order
    awk '/AtomData/ {f = 1; next} /^ *(Energy|Feature|END_CFG|PlusStress)/ {f = 0} f {print $2}' pre.cfg > ta.txt
    awk '/AtomData/ {f = 1; next} /^ *(Energy|Feature|END_CFG|PlusStress)/ {f = 0} f {print $2}' ref.cfg > tb.txt
    cmp -s ta.txt tb.txt || { echo "FAIL: atom types differ from the input"; exit 1; }
fi
echo "OPENMTP_GRADE_OK"
