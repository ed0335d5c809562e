#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A shipped potential that carries its own data (potentials/Li3PS4-beta-L16:
# train.cfg, test.cfg beside the .almtp) reproduces the errors its README
# states: `mtp check_errors` on each set, against the README's "| train |" and
# "| test |" rows (frames exactly; E MAE meV/atom to 0.01, F MAE eV/A to 1e-4,
# stress MAE GPa to 1e-3: the README has them rounded).
# usage: check_shipped_errors.sh MTP POTENTIAL_DIR
set -eu
mtp=$1 dir=$2
name=$(basename "$dir")
pot=$dir/$name.almtp
[ -s "$pot" ] || { echo "$pot: missing"; exit 1; }
status=0
for set in train test; do
    row=$(grep "^| $set |" "$dir/README.md") || { echo "$dir/README.md has no '| $set |' row"; exit 1; }
    field() { echo "$row" | awk -F'|' -v i="$1" '{ gsub(/ /, "", $i); print $i }'; }
    want_n=$(field 3) want_e=$(field 4) want_f=$(field 6) want_s=$(field 8)
    out=$("$mtp" check_errors "$pot" "$dir/$set.cfg" 2>&1) || { echo "$out"; echo "mtp check_errors failed on $set.cfg"; exit 1; }
    got_n=$(echo "$out" | awk '/Energy per atom/ && /MAE/ { gsub(/\(/, "", $9); print $9; exit }')
    got_e=$(echo "$out" | awk '/Energy per atom/ && /MAE/ { print $5; exit }')
    got_f=$(echo "$out" | awk '/Forces/ && /MAE/ { print $3; exit }')
    got_s=$(echo "$out" | awk '/Stress/ && /MAE/ { print $3; exit }')
    echo "$name $set: README $want_n frames, E MAE $want_e meV/atom, F MAE $want_f eV/A, stress MAE $want_s GPa;" \
         "now $got_n, $got_e, $got_f, $got_s"
    awk -v n1="$want_n" -v n2="$got_n" -v e1="$want_e" -v e2="$got_e" -v f1="$want_f" -v f2="$got_f" \
        -v s1="$want_s" -v s2="$got_s" 'function d(a, b) { return a > b ? a - b : b - a }
        BEGIN { if (e2 == "" || f2 == "" || s2 == "" || n2 == "") { print "no MAE in check_errors output"; exit 1 }
                if (n1 != n2 || d(e1, e2) > 0.0051 || d(f1, f2) > 0.000051 || d(s1, s2) > 0.00051) { print "MISMATCH"; exit 1 } }' ||
        status=1
done
exit $status
