#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Same-session comparison of the default optimiser (varpro) and the
# MLIP-3-compatible BFGS: both trained from the same `mtp init` for
# MAX_TIME seconds; prints the wall time at which each first reached a
# set of training-loss levels (from the progress lines of the logs).
# Usage: bench/train/compare.sh BUILD_DIR [MAX_TIME_S] [ELEMENT] [EXTRA mtp train OPTIONS...]
# LEVELS="0.12 0.10 ..." overrides the loss levels; TIMES_ONLY=1 only
# prints the table from existing logs in OUT.
set -e
B=${1:-build-fit}; T=${2:-300}; EL=${3:-Mo}
shift 3 2>/dev/null || shift $#
OUT=${OUT:-/tmp/openmtp-bench-train}; mkdir -p "$OUT"
LEVELS=${LEVELS:-"0.12 0.10 0.09 0.08 0.075 0.07 0.065 0.06"}
if [ -z "$TIMES_ONLY" ]; then
  for opt in varpro bfgs; do
    OUT=$OUT sh "$(dirname "$0")/run.sh" "$B" "$T" "$EL" "$opt" "$@"
  done
fi
for opt in varpro bfgs; do
  echo "== $EL $opt: first time (s) the training loss fell below"
  awk -v levels="$LEVELS" '/^(BFGS|VarPro) iter/ { for (i = 1; i <= NF; i++) { if ($i == "loss") L = $(i+1); if ($i == "elapsed") t = $(i+1) }
         sub("s", "", t); n = split(levels, lv, " ");
         for (k = 1; k <= n; k++) if (L + 0 < lv[k] + 0 && !(k in seen)) { seen[k] = 1; printf "  loss < %s at %s s (iter %s)\n", lv[k], t, $3 } }' \
      "$OUT/$EL-$opt.log"
done
