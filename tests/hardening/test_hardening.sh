#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# No silent garbage (issue 10): non-finite results, failed writes, empty inputs,
# 0-atom configurations.  Self-contained: fixtures are made from the fuzz seeds.
# usage: test_hardening.sh MTP_BINARY SOURCE_DIR WORK_DIR nonfinite|writes|empty|zero_atoms|lammps [LMP_BINARY]
set -u
MTP=$1 SRC=$2 WORK=$3 WHAT=$4 LMP=${5:-}
POT=$SRC/tests/fuzz/seeds/potential/level8-trained-1sp.almtp
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
pass=0 fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
# fails CMD...: the command exits non-zero (not killed by a signal) and says why on stderr
fails() { local what=$1; shift; "$@" > out.txt 2> err.txt; local rc=$?
          if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ -s err.txt ]; then ok; else bad "$what (exit $rc)"; cat err.txt; fi; }
says() { if grep -q -- "$2" err.txt; then ok; else bad "$1: stderr lacks '$2'"; cat err.txt; fi; }
absent() { if [ ! -e "$1" ]; then ok; else bad "$1 was written"; fi; }

# three atoms of species 0 within the cutoff, two configurations
cat > one.cfg <<'CFG'
BEGIN_CFG
 Size
    3
 Supercell
 8 0 0
 0 8 0
 0 0 8
 AtomData:  id type cartes_x cartes_y cartes_z fx fy fz
   1 0 0.0 0.0 0.0 0.1 0.2 0.3
   2 0 2.5 0.0 0.0 -0.1 -0.2 -0.3
   3 0 0.0 2.7 0.0 0 0 0
 Energy
   -3.5
 PlusStress:  xx yy zz yz xz xy
   1 2 3 4 5 6
END_CFG
CFG
cp one.cfg two.cfg && sed 's/2.7 0.0/2.9 0.3/' one.cfg >> two.cfg
: > empty.cfg
# A potential the reader accepts (its values are bounded for neighbourhoods
# within [min_dist, max_dist), tests/potential_validation.cmake) but that
# overflows far below min_dist: 40 Chebyshev functions, a coefficient of 1e20
# on T_39 and min_dist raised to 3.9 A, so the 2.5-2.9 A pairs of two.cfg
# extrapolate T_39(-29) ~ 1e68 and the moments overflow to inf.
widen() { awk '/radial_basis_size = 2/ { sub(/= 2/, "= 40") }
               /^\t\t\t\{/ { z = ""; for (i = 0; i < 38; i++) z = z ", 0"; sub(/\}$/, z "}") } 1' "$1" > "$2"; }
overflow() { awk '/min_dist =/ { sub(/= .*/, "= 3.9") } /^\t\t\t\{/ && !done { sub(/, [^,]*\}$/, ", 1e20}"); done = 1 } 1' \
                 "$1" > "$2"; }
widen "$POT" wide.almtp
"$MTP" select wide.almtp two.cfg --save_to=al.almtp > /dev/null 2>&1 || { echo "cannot build the active set"; exit 1; }
overflow wide.almtp big.almtp
overflow al.almtp albig.almtp

case $WHAT in
nonfinite)
    fails "calculate_efs, overflowing potential" "$MTP" calculate_efs big.almtp two.cfg -o efs.cfg
    says "calculate_efs names the configuration" "two.cfg: configuration 1: non-finite"
    absent efs.cfg
    fails "check_errors, overflowing potential" "$MTP" check_errors big.almtp two.cfg --report_to=report.txt
    says "check_errors names the configuration" "configuration 1: non-finite"
    absent report.txt
    fails "calculate_grade, overflowing potential" "$MTP" calculate_grade albig.almtp two.cfg graded.cfg
    says "calculate_grade names the configuration and atom" "configuration 1: atom 1: non-finite"
    absent graded.cfg
    fails "select_add (MLIP-3 form), overflowing potential" "$MTP" select_add albig.almtp two.cfg two.cfg new.cfg
    says "select_add names the configuration" "configuration 1: non-finite"
    absent new.cfg
    fails "select_add (batch form), overflowing potential" "$MTP" select_add albig.almtp empty.cfg two.cfg new.cfg --max=1
    says "select_add --max names the configuration" "configuration 1: non-finite"
    absent new.cfg
    ;;
writes)
    ln -s /dev/full full   # a device behind a name the old code would have replaced by a regular file
    fails "calculate_efs -o /dev/full" "$MTP" calculate_efs "$POT" two.cfg -o full
    fails "convert to /dev/full" "$MTP" convert two.cfg full
    fails "calculate_grade to /dev/full" "$MTP" calculate_grade al.almtp two.cfg full
    fails "check_errors --report_to=/dev/full" "$MTP" check_errors "$POT" two.cfg --report_to=full
    fails "check_errors --log=/dev/full" "$MTP" check_errors "$POT" two.cfg --log=full
    fails "check_errors > /dev/full" bash -c "'$MTP' check_errors '$POT' two.cfg > /dev/full"
    fails "init -o /dev/full" "$MTP" init --level 6 --species Li -o full
    fails "train --save_to=/dev/full" "$MTP" train "$POT" two.cfg --save_to=full --iteration_limit=3
    fails "train --log=/dev/full" "$MTP" train "$POT" two.cfg --save_to=t1.almtp --iteration_limit=3 --log=full
    fails "train --checkpoint=/dev/full" "$MTP" train "$POT" two.cfg --save_to=t2.almtp --iteration_limit=3 \
        --checkpoint=full --checkpoint_interval=0
    "$MTP" calculate_grade al.almtp two.cfg g.cfg 2>/dev/null && sed 's/1.00000$/5.0/' g.cfg > g5.cfg
    fails "cut_extrapolative_nbh to /dev/full" "$MTP" cut_extrapolative_nbh g5.cfg full
    # a candidate the active set (built from configuration 1 alone) does not span
    awk '/BEGIN_CFG/ { n++ } n == 1' two.cfg > first.cfg
    "$MTP" select "$POT" first.cfg --save_to=al1.almtp > /dev/null 2>&1
    fails "select_add NEW=/dev/full" "$MTP" select_add al1.almtp first.cfg two.cfg full
    fails "select_add --max NEW=/dev/full" "$MTP" select_add al1.almtp first.cfg two.cfg full --max=1
    if [ -c /dev/full ] && [ -L full ]; then ok; else bad "/dev/full or the link was replaced"; fi
    # killed while writing: the temporary is removed and the signal still kills
    mkfifo slow.cfg
    ( cat two.cfg; sleep 20 ) > slow.cfg &
    feeder=$!
    "$MTP" convert slow.cfg slow.out.cfg 2>/dev/null &
    conv=$!
    for _ in $(seq 50); do ls slow.out.cfg.tmp.* > /dev/null 2>&1 && break; sleep 0.1; done
    if ls slow.out.cfg.tmp.* > /dev/null 2>&1; then ok; else bad "no temporary seen while converting"; fi
    kill -TERM $conv; wait $conv; rc=$?
    kill $feeder 2>/dev/null; wait $feeder 2>/dev/null
    if [ "$rc" -eq 143 ]; then ok; else bad "SIGTERM: exit $rc, expected 143 (killed by the signal)"; fi
    if ls slow.out.cfg* > /dev/null 2>&1; then bad "SIGTERM left $(ls slow.out.cfg*)"; else ok; fi
    ;;
empty)
    fails "calculate_efs on an empty file" "$MTP" calculate_efs "$POT" empty.cfg -o efs.cfg
    says "calculate_efs says the input is empty" "no configurations"
    absent efs.cfg
    fails "check_errors on an empty file" "$MTP" check_errors "$POT" empty.cfg
    says "check_errors says the input is empty" "no configurations"
    fails "calculate_grade on an empty file" "$MTP" calculate_grade al.almtp empty.cfg graded.cfg
    says "calculate_grade says the input is empty" "no configurations"
    absent graded.cfg
    fails "train on an empty file" "$MTP" train "$POT" empty.cfg --save_to=t.almtp
    says "train says the input is empty" "no training configurations"
    absent t.almtp
    # selection: an empty candidate set is "nothing to select", exit 0, NEW empty, and said
    if "$MTP" select_add al.almtp two.cfg empty.cfg new.cfg > out.txt 2> err.txt && [ -f new.cfg ] && [ ! -s new.cfg ]
    then ok; else bad "select_add with no candidates: exit 0 and an empty NEW"; cat err.txt; fi
    says "select_add says nothing was selected" "nothing to select"
    if "$MTP" cut_extrapolative_nbh empty.cfg cut.cfg > out.txt 2> err.txt; then ok; else bad "cut on empty input"; fi
    says "cut_extrapolative_nbh says there was nothing to cut" "nothing to cut"
    ;;
zero_atoms)
    # 0-atom configurations (under the sanitizer build this catches memcpy from NULL)
    # first (nothing allocated yet) and between two real ones
    empty_cell() { printf 'BEGIN_CFG\n Size\n    0\n Supercell\n 8 0 0\n 0 8 0\n 0 0 8\n Energy\n   0\nEND_CFG\n'; }
    { empty_cell; awk '/BEGIN_CFG/ { n++ } n == 1' two.cfg; empty_cell; awk '/BEGIN_CFG/ { n++ } n == 2' two.cfg; } > zero.cfg
    for cmd in "calculate_efs $POT zero.cfg -o efs.cfg" "check_errors $POT zero.cfg" \
               "calculate_grade al.almtp zero.cfg graded.cfg" "convert zero.cfg conv.cfg" \
               "select_add al.almtp two.cfg zero.cfg new.cfg" "select_add al.almtp two.cfg zero.cfg new2.cfg --max=2"; do
        # shellcheck disable=SC2086
        "$MTP" $cmd > out.txt 2> err.txt; rc=$?
        if [ "$rc" -eq 0 ] || { [ "$rc" -lt 128 ] && ! grep -q "runtime error\|AddressSanitizer" err.txt; }; then ok
        else bad "mtp $cmd: exit $rc"; cat err.txt; fi
        if grep -q "runtime error\|AddressSanitizer" err.txt; then bad "mtp $cmd: sanitizer report"; cat err.txt; else ok; fi
    done
    if [ "$(grep -c BEGIN_CFG efs.cfg 2>/dev/null)" = 4 ]; then ok; else bad "calculate_efs wrote all 4 configurations"; fi
    ;;
lammps)
    # pair_style mtp stops with the step and the atom instead of integrating NaN
    cat > in.lmp <<'LMP'
units metal
atom_style atomic
boundary p p p
region box block 0 8 0 8 0 8
create_box 1 box
create_atoms 1 single 0 0 0
create_atoms 1 single 2.5 0 0
create_atoms 1 single 0 2.7 0
mass 1 6.94
pair_style mtp ${pot}
pair_coeff * *
run 0
LMP
    if "$LMP" -in in.lmp -var pot "$POT" -log none > good.txt 2>&1; then ok; else bad "lmp_mtp, good potential"; cat good.txt; fi
    "$LMP" -in in.lmp -var pot big.almtp -log none > err.txt 2>&1
    says "lmp_mtp names the step and the atom" "step 0: atom 1: non-finite energy or force"
    if grep -qi "nan" err.txt; then bad "lmp_mtp printed NaN"; else ok; fi
    ;;
*) echo "unknown check $WHAT"; exit 2 ;;
esac
echo "$WHAT: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
