#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Level-16 MTP trained by `mtp train` on the mlearn sets (Zuo et al. 2020),
# test MAE (energy per atom, force components) by bench/train/mae.py and
# per-group errors by `mtp check_errors` (mlearn_group).
# Usage: bench/train/run.sh BUILD_DIR [MAX_TIME_S] [ELEMENTS] [OPTIMIZER] [EXTRA mtp train OPTIONS...]
# OUT (default /tmp/openmtp-bench-train) receives logs, potentials (and their
# checkpoints, SAVE_TO.checkpoint, every 120 s) and predictions.
# LEVEL (default 16) and INIT_OPTS (extra `mtp init` options, e.g.
# "--radial_basis_size=12") choose the untrained potential.
set -e
B=${1:-build-fit}; T=${2:-0}; ELS=${3:-"Mo Li Si"}; OPT=${4:-varpro}
shift 4 2>/dev/null || shift $#
D=$(dirname "$0")/../../../shared/data/mlearn
OUT=${OUT:-/tmp/openmtp-bench-train}; mkdir -p "$OUT"
for el in $ELS; do
  "$B/bin/mtp" init --level "${LEVEL:-16}" --species 0 --cutoff 5.0 ${INIT_OPTS:-} -o "$OUT/$el-init.almtp" >/dev/null
  start=$(date +%s)
  "$B/bin/mtp" train "$OUT/$el-init.almtp" "$D/$el/train.cfg" --save_to="$OUT/$el-${LEVEL:-16}-$OPT.almtp" \
      --optimizer="$OPT" --max_time="$T" --checkpoint_interval=120 --valid_cfgs="$D/$el/test.cfg" "$@" \
      > "$OUT/$el-$OPT.log" 2>&1
  end=$(date +%s)
  echo "$el ($OPT): wall $((end - start)) s, $(grep -cE '^(BFGS|VarPro) iter' "$OUT/$el-$OPT.log") iterations"
  grep '^# final loss\|evaluations' "$OUT/$el-$OPT.log" || true
  "$B/bin/mtp" calculate_efs "$OUT/$el-${LEVEL:-16}-$OPT.almtp" "$D/$el/test.cfg" -o "$OUT/$el-$OPT-pred.cfg" >/dev/null
  /usr/bin/python3 "$(dirname "$0")/mae.py" "$D/$el/test.cfg" "$OUT/$el-$OPT-pred.cfg"
  "$B/bin/mtp" check_errors "$OUT/$el-${LEVEL:-16}-$OPT.almtp" "$D/$el/test.cfg" --group_by=mlearn_group \
      > "$OUT/$el-$OPT-errors.txt" 2>&1 || true
done
