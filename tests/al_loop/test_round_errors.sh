#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest (label al_loop): examples/active_learning/round_errors.sh takes the whole set's MAE from
# `mtp check_errors`, not the last of the per-mlearn_group reports that follow it (it did until
# 4 Dec 2026). Data: the mlearn Si test set (4 groups) and the shipped mlearn-Si-L16 potential.
#   test_round_errors.sh BIN SRC WORK
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
DATA=$SRC/../shared/data/mlearn/Si/test.cfg
[ -f "$DATA" ] || { echo "SKIP: $DATA missing (../shared/data beside the repository)"; exit 77; }
POT=$SRC/potentials/mlearn-Si-L16/mlearn-Si-L16.almtp
rm -rf "$WORK"; mkdir -p "$WORK"
row=$(bash "$SRC/examples/active_learning/round_errors.sh" "$BIN/mtp" "$POT" "$DATA" "" "$WORK") || fail "round_errors.sh failed"
rep=$WORK/errors-train.txt
grep -q "^=== mlearn_group = " "$rep" || fail "the report has no per-group sections (nothing tested)"
whole=$(sed '/^=== /q' "$rep" | awk '/Energy per atom +MAE/ { e = $5 } /Forces +MAE/ { f = $3 } END { printf "%s\t%s", e, f }')
last=$(awk '/Energy per atom +MAE/ { e = $5 } /Forces +MAE/ { f = $3 } END { printf "%s\t%s", e, f }' "$rep")
[ "$whole" != "$last" ] || fail "the whole set and the last group have the same MAE ($whole): nothing tested"
[ "$row" = "$(printf '%s\t-\t-' "$whole")" ] || fail "round_errors.sh gave '$row', the whole set's MAE is '$whole' (last group: '$last')"
echo "round_errors: ok ($whole; last group $last)"
