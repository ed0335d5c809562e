#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# mtp prune from the command line (issue 11 item 3).
# usage: test_prune_cli.sh MTP SRC_DIR DATA_DIR WORK CHECK
#   CHECK = options  bad options fail with a clear message, nothing written
#           remove0  --remove=0 reproduces the input's predictions exactly
#           table    the table's counts and losses are those of the written file
#                    (writes WORK/pruned.almtp for the LAMMPS test)
#           al       an active-learning section is recomputed (or dropped)
set -u
mtp=$1 src=$2 data=$3 work=$4 check=$5
pot=$src/potentials/mlearn-Mo-L16/mlearn-Mo-L16.almtp
cfg=$data/mlearn/Mo/test.cfg
[ -f "$cfg" ] || { echo "SKIP: $cfg not found (../shared/data)"; exit 77; }
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
# first 8 configurations: seconds, not minutes
awk '/BEGIN_CFG/{n++} n<=8' "$cfg" > small.cfg
opts="--energy_weight=15 --timing_repeats=1 --rows=3"

# expect_fail 'message regex' args...: non-zero exit, the message, no output file
expect_fail() {
    local re=$1
    shift
    rm -f out.almtp
    "$mtp" prune "$@" > log 2>&1
    local rc=$?
    [ $rc -ne 0 ] || bad "exit 0 for: $*"
    grep -Eq -- "$re" log || { bad "no message /$re/ for: $*"; cat log; }
    [ ! -e out.almtp ] || bad "output written for: $*"
}
num() { awk -v k="$1" -F' = ' '$1 ~ "^[[:space:]]*"k"$" {print $2}' "$2"; }

case $check in
options)
    expect_fail 'give a stop rule' "$pot" small.cfg out.almtp
    expect_fail 'usage' "$pot" small.cfg
    expect_fail 'remove=-1: expected a count >= 0' "$pot" small.cfg out.almtp --remove=-1
    expect_fail 'has 92 scalar basis functions; at least one must stay' "$pot" small.cfg out.almtp --remove=92
    expect_fail 'target_speedup=0.5: expected a finite factor >= 1' "$pot" small.cfg out.almtp --target_speedup=0.5
    expect_fail 'max_loss_increase=-0.1: expected a finite fraction' "$pot" small.cfg out.almtp --max_loss_increase=-0.1
    expect_fail 'alternatives' "$pot" small.cfg out.almtp --remove=3 --target_speedup=2
    expect_fail 'al_mode must be cfg, nbh or none' "$pot" small.cfg out.almtp --remove=3 --al_mode=bogus
    expect_fail 'unknown option|not used|unused' "$pot" small.cfg out.almtp --remove=3 --bogus_option=1
    expect_fail 'remove' "$pot" small.cfg out.almtp --remove=abc
    "$mtp" init --level 8 --species 0 -o untrained.almtp > /dev/null 2>&1 || bad "mtp init failed"
    expect_fail 'not trained' untrained.almtp small.cfg out.almtp --remove=1
    expect_fail 'missing.cfg' "$pot" missing.cfg out.almtp --remove=1
    # failed writes are errors (the table first, then the potential)
    expect_fail 'no_such_dir' "$pot" small.cfg out.almtp --remove=1 --table=no_such_dir/t.txt $opts
    expect_fail 'no_such_dir' "$pot" small.cfg no_such_dir/out.almtp --remove=1 $opts
    "$mtp" help prune 2>&1 | grep -q 'max_loss_increase' || bad "mtp help prune"
    ;;
remove0)
    "$mtp" prune "$pot" small.cfg out.almtp --remove=0 $opts > log 2>&1 || { bad "prune --remove=0 failed"; cat log; }
    "$mtp" calculate_efs "$pot" "$cfg" --output=ref.cfg > /dev/null 2>&1 || bad "calculate_efs input"
    "$mtp" calculate_efs out.almtp "$cfg" --output=new.cfg > /dev/null 2>&1 || bad "calculate_efs output"
    cmp -s ref.cfg new.cfg || bad "--remove=0 changed the predictions"
    cmp -s "$pot" out.almtp || bad "--remove=0 changed the file (input has no active-learning section)"
    ;;
table)
    "$mtp" prune "$pot" small.cfg out.almtp --remove=12 --table=t.txt $opts > log 2>&1 || { bad "prune failed"; cat log; }
    cmp -s t.txt <(grep -v '^# pruned\|^# /\|^# greedy' log) || bad "--table differs from the printed table"
    last=$(grep -v '^#' t.txt | grep -v '^step' | tail -1)
    read -r step removed basis basic products rad model lpred leval _ <<< "$last"
    [ "$removed" = 12 ] || bad "removed $removed, expected 12"
    [ "$basis" = 80 ] || bad "basis $basis, expected 80"
    [ "$(num alpha_scalar_moments out.almtp)" = "$basis" ] || bad "file has $(num alpha_scalar_moments out.almtp) functions, table $basis"
    [ "$(num alpha_index_basic_count out.almtp)" = "$basic" ] || bad "basic moments: file $(num alpha_index_basic_count out.almtp), table $basic"
    [ "$(num alpha_index_times_count out.almtp)" = "$products" ] || bad "products: file $(num alpha_index_times_count out.almtp), table $products"
    [ "$(num radial_funcs_count out.almtp)" = "$rad" ] || bad "radial functions: file $(num radial_funcs_count out.almtp), table $rad"
    [ "$products" -lt 840 ] || bad "no products removed ($products)"
    awk -v p="$lpred" -v e="$leval" 'BEGIN{d=p-e; if(d<0)d=-d; exit !(d <= 1e-6*e)}' || bad "loss predicted $lpred, evaluated $leval"
    # bound: never above (1 + X) of the input's loss, as evaluated on the file
    "$mtp" prune "$pot" small.cfg bound.almtp --max_loss_increase=0.1 --table=b.txt $opts > blog 2>&1 || { bad "prune --max_loss_increase failed"; cat blog; }
    awk '!/^#/ && $1 != "step" {if (n++ == 0) L0 = $9; else if ($9 > 1.1 * L0 * (1 + 1e-9)) {print "loss " $9 " above 1.1 x " L0; bad = 1}} END {exit bad}' b.txt || bad "loss bound violated"
    # the written file is read by the other commands and round-trips
    "$mtp" check_errors out.almtp "$cfg" > ce.txt 2>&1 || bad "check_errors cannot use the pruned file"
    "$mtp" calculate_efs out.almtp "$cfg" --output=efs.cfg > /dev/null 2>&1 || bad "calculate_efs cannot use the pruned file"
    ! grep -q '#MVS' out.almtp || bad "active-learning section in the output of a potential without one"
    cp out.almtp pruned.almtp
    ;;
al)
    cp "$pot" al.almtp
    "$mtp" select al.almtp small.cfg > /dev/null 2>&1 || bad "mtp select failed"
    grep -aq '#MVS' al.almtp || bad "no active-learning section after select"
    "$mtp" prune al.almtp small.cfg out.almtp --remove=5 $opts > log 2>&1 || { bad "prune failed"; cat log; }
    grep -q 'active set recomputed' log || bad "no note about the active set"
    grep -aq '#MVS' out.almtp || bad "active-learning section not recomputed"
    "$mtp" calculate_grade out.almtp "$cfg" graded.cfg > /dev/null 2>&1 || bad "calculate_grade on the pruned file failed"
    "$mtp" prune al.almtp small.cfg none.almtp --remove=5 --al_mode=none $opts > log2 2>&1 || { bad "prune --al_mode=none failed"; cat log2; }
    grep -q 'dropped' log2 || bad "no note that the section was dropped"
    ! grep -aq '#MVS' none.almtp || bad "--al_mode=none kept a section"
    "$mtp" prune al.almtp small.cfg zero.almtp --remove=0 $opts > log3 2>&1 || { bad "prune --remove=0 failed"; cat log3; }
    cmp -s al.almtp zero.almtp || bad "--remove=0 changed a file with an active-learning section"
    ;;
*) echo "unknown check $check"; exit 2 ;;
esac
[ $fail = 0 ] && echo "prune $check: OK"
exit $fail
