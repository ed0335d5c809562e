#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Explicit MLIP-3 weight options give the potential of the code before default weights
# and validation stopping existed: the fixture was written with this very command by main
# at 4c450a6 (after the batched loss gradient of kspeed, which changed the last bits of the
# fit against the first fixture from fit-api 2f7f058).  Same file up to 1e-6 relative in
# every number: OpenBLAS picks its kernels by CPU, and after 5 iterations their rounding
# differs by up to 4.4e-8 relative between an Intel machine (the fixture's) and an AMD EPYC,
# while another objective (e.g. the derived default weights) changes the coefficients in
# the second or third digit.
# Usage: test_train_mlip_weights.sh MTP SHARED_DATA WORKDIR FIXTURE
set -e
MTP=$1; D=$2; W=$3; FIX=$4
[ -f "$D/mlearn/Si/test.cfg" ] || { echo "SKIP: no $D/mlearn/Si/test.cfg"; exit 77; }
mkdir -p "$W"
"$MTP" init --level 8 --species 0 --cutoff 5.0 -o "$W/init.almtp" >/dev/null
OMP_NUM_THREADS=1 "$MTP" train "$W/init.almtp" "$D/mlearn/Si/test.cfg" --save_to="$W/now.almtp" \
    --energy_weight=1 --force_weight=0.01 --stress_weight=0.001 --iteration_limit=5 --seed=3 --log=none --al_mode=none \
    --valid_cfgs="$D/mlearn/Si/test.cfg" >/dev/null
# token by token: words equal, numbers within 1e-6 relative (1e-12 absolute near 0)
tokens() { tr -s ' \t\n{},' '\n\n\n\n\n' < "$1" | grep -v '^$'; }
tokens "$W/now.almtp" > "$W/now.tokens"
tokens "$FIX" > "$W/fixture.tokens"
paste "$W/now.tokens" "$W/fixture.tokens" | awk -F'\t' -v n1="$(wc -l < "$W/now.tokens")" -v n2="$(wc -l < "$W/fixture.tokens")" '
  function isnum(s) { return s ~ /^[-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/ }
  BEGIN { if (n1 != n2) { print "token counts differ: " n1 " vs " n2; bad = 1; exit 1 } }
  { if (isnum($1) && isnum($2)) { d = $1 - $2; if (d < 0) d = -d; s = ($1 < 0 ? -$1 : $1); if (d > 1e-6 * s + 1e-12) { print "token " NR ": " $1 " vs " $2; bad = 1 } }
    else if ($1 != $2) { print "token " NR ": " $1 " vs " $2; bad = 1 } }
  END { exit bad }' || { echo "FAIL: the potential differs from the fixture $FIX"; exit 1; }
echo "explicit MLIP-3 weights: the same potential as before (to 1e-6 relative)"
