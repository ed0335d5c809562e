#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A shipped potential reproduces the test errors its README states:
# `mtp check_errors` on the mlearn test set, "all" row (E MAE meV/atom to
# 0.01, F MAE eV/A to 1e-4: the README has them rounded).
# usage: check_readme.sh MTP POTENTIAL_DIR SHARED_DATA_DIR
set -eu
mtp=$1 dir=$2 data=$3
name=$(basename "$dir")                       # mlearn-EL-LNN
el=$(echo "$name" | sed -n 's/^mlearn-\([A-Za-z]*\)-L[0-9]*$/\1/p')
[ -n "$el" ] || { echo "not an mlearn potential directory: $dir"; exit 1; }
test_cfg=$data/mlearn/$el/test.cfg
[ -f "$test_cfg" ] || { echo "SKIP: $test_cfg not found"; exit 77; }
row=$(grep '^| all |' "$dir/README.md") || { echo "$dir/README.md has no '| all |' row"; exit 1; }
want_e=$(echo "$row" | awk -F'|' '{gsub(/ /, "", $4); print $4}')
want_f=$(echo "$row" | awk -F'|' '{gsub(/ /, "", $6); print $6}')
out=$("$mtp" check_errors "$dir/$name.almtp" "$test_cfg" 2>&1)
got_e=$(echo "$out" | awk '/Energy per atom/ && /MAE/ {print $5; exit}')
got_f=$(echo "$out" | awk '/Forces/ && /MAE/ {print $3; exit}')
echo "$name: README E MAE $want_e meV/atom, F MAE $want_f eV/A; now $got_e, $got_f"
awk -v a="$want_e" -v b="$got_e" -v c="$want_f" -v d="$got_f" 'BEGIN {
    if (b == "" || d == "") { print "no MAE in check_errors output"; exit 1 }
    de = a - b; if (de < 0) de = -de; df = c - d; if (df < 0) df = -df
    if (de > 0.0051 || df > 0.000051) { print "MISMATCH"; exit 1 } }'
