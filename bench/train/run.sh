#!/bin/sh
# Level-16 MTP trained by `mtp train` on the mlearn sets (Zuo et al. 2020),
# test errors by `mtp check_errors`.  Usage: bench/train/run.sh BUILD_DIR [MAX_TIME_S] [ELEMENTS]
set -e
B=${1:-build-fit}; T=${2:-0}; ELS=${3:-"Mo Li Si"}
D=$(dirname "$0")/../../../shared/data/mlearn
OUT=${OUT:-/tmp/openmtp-bench-train}; mkdir -p "$OUT"
for el in $ELS; do
  "$B/bin/mtp" init --level 16 --species 0 --cutoff 5.0 -o "$OUT/$el-init.almtp" >/dev/null
  start=$(date +%s)
  "$B/bin/mtp" train "$OUT/$el-init.almtp" "$D/$el/train.cfg" --save_to="$OUT/$el-16.almtp" \
      --max_time="$T" --valid_cfgs="$D/$el/test.cfg" > "$OUT/$el-train.log" 2>&1
  end=$(date +%s)
  echo "$el: wall $((end - start)) s, $(grep -c '^BFGS iter' "$OUT/$el-train.log") BFGS lines"
  "$B/bin/mtp" check_errors "$OUT/$el-16.almtp" "$D/$el/test.cfg" | tail -4
done
