#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The CP2K log reader accepts a complete converged run and rejects, with a
# `file:line: what was expected` message and without writing OUT, the
# real outputs of an unconverged SCF (MAX_SCF 3), a crashed job (unknown
# pseudopotential, CP2K's [ABORT] box) and truncated jobs (the converged
# output cut at several points, as a killed job leaves it).
# Usage: test_cp2k_reader.sh MTP DATA_DIR WORK_DIR
set -u
MTP=$1 DATA=$2/cp2k WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# converged: energy is the log's value in eV, tagged EFS_by CP2K
if "$MTP" convert "$DATA/lih_converged.out" conv.cfg 2> err.txt; then
    e=$(awk '/ENERGY\| Total FORCE_EVAL/ {print $NF}' "$DATA/lih_converged.out")
    got=$(awk '/Energy/ {getline; print $1}' conv.cfg)
    if awk -v a="$e" -v b="$got" 'BEGIN { d = a * 27.211386245988 - b; exit !(d < 1e-6 && d > -1e-6) }'; then ok; else bad "converged energy $got vs $e Ha"; fi
    grep -q "EFS_by.CP2K$" conv.cfg && ok || bad "converged: EFS_by CP2K missing"
    [ "$(grep -c BEGIN_CFG conv.cfg)" = 1 ] && ok || bad "converged: expected 1 configuration"
else
    bad "converged output rejected: $(cat err.txt)"
fi

# expect_reject NAME INPUT PATTERN: exit 1, no OUT, message matching PATTERN with file:line
expect_reject() {
    local name=$1 in=$2 pat=$3
    rm -f out.cfg
    "$MTP" convert "$in" out.cfg 2> err.txt
    local rc=$?
    if [ $rc -ne 1 ]; then bad "$name: exit $rc, expected 1"; return; fi
    if [ -e out.cfg ]; then bad "$name: OUT was written"; return; fi
    if ! grep -Eq "$(basename "$in"):[0-9]+: .*$pat" err.txt; then bad "$name: message '$(cat err.txt)' lacks file:line: $pat"; return; fi
    echo "ok $name: $(cat err.txt)"
    ok
}

expect_reject unconverged "$DATA/h4_unconverged.out" "non-converged SCF .*SCF run NOT converged.*expected a converged SCF"
expect_reject crashed "$DATA/h4_crashed.out" "ABORT.*GTH-PBE-q7.*not found"
n=$(grep -n "ATOMIC FORCES in" "$DATA/lih_converged.out" | cut -d: -f1)
head -n $((n + 2)) "$DATA/lih_converged.out" > cut_in_forces.out
expect_reject truncated_in_forces cut_in_forces.out "unexpected end of file: expected ATOMIC FORCES rows"
n=$(grep -n "PROGRAM ENDED AT" "$DATA/lih_converged.out" | cut -d: -f1)
head -n $((n - 1)) "$DATA/lih_converged.out" > cut_before_end.out
expect_reject truncated_before_end cut_before_end.out "expected the rest of the last evaluation and 'PROGRAM ENDED AT'"
n=$(grep -n "SCF run converged" "$DATA/lih_converged.out" | cut -d: -f1)
head -n "$n" "$DATA/lih_converged.out" > cut_after_scf.out
expect_reject truncated_after_scf cut_after_scf.out "expected an 'ENERGY\| Total FORCE_EVAL' evaluation"
grep -v "ENERGY| Total FORCE_EVAL" "$DATA/lih_converged.out" > no_energy.out
expect_reject complete_without_energy no_energy.out "without 'ENERGY\| Total FORCE_EVAL'"

# --save_nonconverged keeps the unconverged evaluation, tagged (as for OUTCAR)
if "$MTP" convert "$DATA/h4_unconverged.out" kept.cfg --save_nonconverged 2> err.txt &&
    grep -q "EFS_by.CP2K_not_converged" kept.cfg; then ok; else bad "--save_nonconverged: $(cat err.txt)"; fi

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
