#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Saving of extrapolative configurations during MD (grade_md.in: 128 Li atoms,
# 20 NVE steps, MLIP-3's example potential in neighbourhood mode, grades 1.4 ... 19.6).
# usage: run_save.sh LMP NP POT WORKDIR
# Cases (threshold_save 0, so every graded step is extrapolative):
#   every    default save_every 1: 21 frames (steps 0..20) in exactly s.cfg, whole
#            (128 atoms, cell); NP > 1: the same frames as a serial run
#   every5   save_every 5: 5 frames, those of steps 0, 5, 10, 15, 20
#   max3     save_max 3: the first 3 frames; "save_max 3 reached" logged once
#   mlip     pair_style mlip grade_every=10 save_every=2: graded at 0, 10, 20 ->
#            frames of steps 0 and 20
#   fresh    grade_every 10 with thermo every 7 steps, compute mtp/atom dumped every
#            3 steps and fix halt (every 3 steps) on max(c_g) > 5: thermo values,
#            dumped grades and the halt step (18) equal those of a grade_every 1 run,
#            i.e. nothing reads a stale grade; fix halt on c_grade[1] (compute pair)
#            stops at step 18 too
#   break    threshold_save 2 threshold_break 10: stops at step 19 after saving the
#            4 frames of steps 16..19; the error names s.cfg and the frame
#   breakmax the same with save_max 2: the error says the frame was not saved
# Exit 77 (skip) when POT does not exist.
set -eu
lmp=$1 np=$2 pot=$3 work=$4
[ -f "$pot" ] || { echo "SKIP: $pot not found"; exit 77; }
tdir=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cd "$work"

launch() {  # launch NP: the command prefix
    if [ "$1" -gt 1 ]; then
        mpi=${MPIEXEC:-mpirun}
        flags=""
        if "$mpi" --version 2>&1 | grep -q "Open MPI"; then
            flags="--oversubscribe"
            [ "$(id -u)" = 0 ] && flags="$flags --allow-run-as-root"
        fi
        echo "$mpi $flags -np $1"
    fi
}
# run CASE NP STYLE "PAIR_STYLE ARGS" [lmp -var ...]: in directory CASE; exit status in CASE/rc
run() {
    c=$1 n=$2 st=$3 ps=$4
    shift 4
    rm -rf "$c"
    mkdir "$c"
    (cd "$c" && $(launch "$n") "$lmp" -in "$tdir/grade_md.in" -log run.log -screen none \
        -var style "$st" -var ps "$ps" "$@"; echo $? > rc) > "$c/out.txt" 2>&1 || true
}
fail() { echo "FAIL: $*"; exit 1; }
ok_run() { [ "$(cat "$1/rc")" = 0 ] || { tail -n 20 "$1/run.log"; fail "$1: lmp_mtp failed"; }; }
frames() { grep -c BEGIN_CFG "$1" || true; }
grades() { awk '$1 == "Feature" && $2 == "MV_grade" {print $3}' "$1"; }
expect_frames() {  # expect_frames CASE N
    [ -f "$1/s.cfg" ] || fail "$1: s.cfg missing"
    ls "$1"/s.cfg.* > /dev/null 2>&1 && fail "$1: rank files written: $(ls "$1"/s.cfg.*)"
    [ "$(frames "$1/s.cfg")" = "$2" ] || fail "$1: $(frames "$1/s.cfg") frames in s.cfg, expected $2"
    echo "ok: $1: $2 frames in s.cfg"
}
expect_grades() {  # expect_grades CASE "i j k" : its frames are frames i, j, k of case every
    grades every/s.cfg | awk -v want="$2" 'BEGIN {n = split(want, w, " ")} {g[NR] = $1}
        END {for (k = 1; k <= n; k++) print g[w[k]]}' > "$1/expected_grades.txt"
    grades "$1/s.cfg" > "$1/grades.txt"
    cmp -s "$1/grades.txt" "$1/expected_grades.txt" ||
        fail "$1: MV_grades $(tr '\n' ' ' < "$1/grades.txt") instead of $(tr '\n' ' ' < "$1/expected_grades.txt")"
    echo "ok: $1: the frames are those of steps-from-0 index $2"
}
cmp_numbers() {  # cmp_numbers A B TOL: the same text up to numbers within TOL
    paste -d '\n' "$1" "$2" | awk -v t="$3" 'NR % 2 == 1 {a = $0; next}
        { na = split(a, x, " "); nb = split($0, y, " "); if (na != nb) bad++
          for (i = 1; i <= na; i++) if (x[i] != y[i]) { d = x[i] - y[i]; if (d < 0) d = -d
              if (x[i] + 0 != x[i] || d > t) bad++ } }
        END { exit bad > 0 }' && [ "$(wc -l < "$1")" = "$(wc -l < "$2")" ]
}
base="mtp $pot extrapolation yes threshold_save 0 threshold_break 0 save_extrapolative_to s.cfg"

run every "$np" mtp "$base"
ok_run every
expect_frames every 21
[ "$(grep -c Supercell every/s.cfg)" = 21 ] || fail "every: frames without a Supercell"
[ "$(awk '/Size/ {getline; if ($1 != 128) bad++} END {print bad + 0}' every/s.cfg)" = 0 ] ||
    fail "every: frames with other than 128 atoms"
grep -q ghost every/s.cfg && fail "every: ghost atoms in s.cfg"
if [ "$np" -gt 1 ]; then
    run every_serial 1 mtp "$base"
    ok_run every_serial
    cmp_numbers every/s.cfg every_serial/s.cfg 2e-6 || fail "every: the frames on $np ranks differ from the serial ones"
    echo "ok: every: the $np-rank frames are the serial ones"
fi

run every5 "$np" mtp "$base save_every 5"
ok_run every5
expect_frames every5 5
expect_grades every5 "1 6 11 16 21"

run max3 "$np" mtp "$base save_max 3"
ok_run max3
expect_frames max3 3
expect_grades max3 "1 2 3"
[ "$(grep -c 'save_max 3 reached at step 3' max3/run.log)" = 1 ] || fail "max3: the log should say once that save_max 3 was reached at step 3"
grep 'save_max 3 reached' max3/run.log | grep -q 's.cfg' || fail "max3: the save_max message does not name s.cfg"
echo "ok: max3: save_max reached is logged once"

run mlip "$np" mlip "mlip load_from=$pot extrapolation_control=true threshold_save=0 threshold_break=0 save_extrapolative_to=s.cfg grade_every=10 save_every=2"
ok_run mlip
expect_frames mlip 2
expect_grades mlip "1 21"

# thermo 7 / dump 3 / fix halt 3 on grades that the pair style computes only every 10 steps
run fresh "$np" mtp "$base grade_every 10" -var thermo 7 -var dumpevery 3 -var halt 5
ok_run fresh
run fresh_ref "$np" mtp "$base" -var thermo 7 -var dumpevery 3 -var halt 5
ok_run fresh_ref
for c in fresh fresh_ref; do
    awk '/^ *Step/ {f = 1; next} /^Loop time/ {f = 0} f' $c/run.log > $c/thermo.txt
    grep OPENMTP_END $c/run.log > $c/end.txt
done
[ -s fresh/thermo.txt ] || fail "fresh: no thermo output"
cmp_numbers fresh/thermo.txt fresh_ref/thermo.txt 0 || { diff fresh/thermo.txt fresh_ref/thermo.txt; fail "fresh: thermo (c_grade[1], max c_g) differs from grading every step"; }
echo "ok: fresh: thermo c_grade[1] and max(c_g) as with grade_every 1 ($(wc -l < fresh/thermo.txt) lines)"
cmp -s fresh/dump.grades fresh_ref/dump.grades || fail "fresh: dumped compute mtp/atom grades differ from grading every step"
echo "ok: fresh: the dumped per-atom grades are those of grade_every 1"
grep -q "OPENMTP_END 18 " fresh/end.txt || fail "fresh: fix halt should stop at step 18: $(cat fresh/end.txt)"
cmp -s fresh/end.txt fresh_ref/end.txt || fail "fresh: halt step/grade differ: $(cat fresh/end.txt) vs $(cat fresh_ref/end.txt)"
echo "ok: fresh: fix halt on max(c_g) stops at step 18 as with grade_every 1"

# the same with fix halt on c_grade[1] of compute pair (grades on the steps it is read)
run fresh_pair "$np" mtp "$base grade_every 10" -var thermo 7 -var halt 5 -var haltvar gp
ok_run fresh_pair
grep OPENMTP_END fresh_pair/run.log > fresh_pair/end.txt
grep -q "OPENMTP_END 18 " fresh_pair/end.txt || fail "fresh_pair: fix halt on c_grade[1] should stop at step 18: $(cat fresh_pair/end.txt)"
echo "ok: fresh_pair: fix halt on compute pair's c_grade[1] stops at step 18 with grade_every 10"

run break "$np" mtp "mtp $pot extrapolation yes threshold_save 2 threshold_break 10 save_extrapolative_to s.cfg"
[ "$(cat break/rc)" != 0 ] || fail "break: the run should stop with an error"
grep -q "ERROR: pair_style mtp: extrapolation grade 12.7449 exceeds threshold_break 10 at step 19; this configuration was appended to s.cfg (frame 4 saved in this run)" break/run.log ||
    { grep ERROR break/run.log; fail "break: unexpected error message"; }
expect_frames break 4
expect_grades break "17 18 19 20"

run breakmax "$np" mtp "mtp $pot extrapolation yes threshold_save 2 threshold_break 10 save_extrapolative_to s.cfg save_max 2"
[ "$(cat breakmax/rc)" != 0 ] || fail "breakmax: the run should stop with an error"
grep -q "ERROR: pair_style mtp: extrapolation grade 12.7449 exceeds threshold_break 10 at step 19; not saved to s.cfg: save_max 2 frames already written in this run" breakmax/run.log ||
    { grep ERROR breakmax/run.log; fail "breakmax: unexpected error message"; }
expect_frames breakmax 2
echo "OPENMTP_SAVE_OK"
