#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Defaults-only accuracy table (issue 11 item 1): `mtp train` with NO weight options on the
# mlearn sets, against Zuo et al. 2020's MTP errors.  The training set is split 9:1 into
# train/validation (every 10th configuration validates, for validation stopping); test.cfg is
# used for the MAE only (bench/train/mae.py), never for stopping.
# Resumable: each element's run checkpoints every 120 s and `--resume` continues it; finished
# elements (a line in TABLE) are skipped.  One command:
#   nice -n 5 sh bench/train/defaults.sh BUILD_DIR [MAX_TIME_S] [ELEMENTS]
# LEVEL (default 20), OUT (default /tmp/openmtp-bench-defaults).
# VALID=0: no validation split and no --valid_cfgs: train on the whole training set until the
# optimiser stops (like the hand-tuned runs of bench/README.md, which fit the whole training set
# and only monitored test.cfg), table-L<L>-novalid.md.
set -e
B=${1:-build}; T=${2:-0}; ELS=${3:-"Li Mo Si"}; L=${LEVEL:-20}; VALID=${VALID:-1}
D=$(dirname "$0")/../../../shared/data/mlearn
OUT=${OUT:-/tmp/openmtp-bench-defaults}; mkdir -p "$OUT"
if [ "$VALID" = 0 ]; then TAG=-novalid; else TAG=; fi
TABLE="$OUT/table-L$L$TAG.md"
[ -f "$TABLE" ] || echo "| set | level | wall (s) | test MAE E (meV/atom) | test MAE F (eV/A) | Zuo 2020 MTP E / F |" > "$TABLE"
zuo() { case $1 in Li) echo "0.49 / 0.01";; Mo) echo "2.83 / 0.09";; Si) echo "2.21 / 0.06";; esac; }
for el in $ELS; do
  grep -q "^| $el | $L |" "$TABLE" && { echo "$el: done (in $TABLE)"; continue; }
  /usr/bin/python3 - "$D/$el/train.cfg" "$OUT/$el-fit.cfg" "$OUT/$el-valid.cfg" <<'PY'
import sys
blocks = open(sys.argv[1]).read().split("BEGIN_CFG")[1:]
fit = [b for k, b in enumerate(blocks) if k % 10 != 9]
val = [b for k, b in enumerate(blocks) if k % 10 == 9]
for path, bs in ((sys.argv[2], fit), (sys.argv[3], val)):
    open(path, "w").write("".join("BEGIN_CFG" + b for b in bs))
PY
  [ -f "$OUT/$el-L$L-init.almtp" ] || "$B/bin/mtp" init --level "$L" --species 0 --cutoff 5.0 -o "$OUT/$el-L$L-init.almtp" >/dev/null
  start=$(date +%s)
  if [ "$VALID" = 0 ]; then fit=$D/$el/train.cfg; valid=; else fit=$OUT/$el-fit.cfg; valid=--valid_cfgs=$OUT/$el-valid.cfg; fi
  "$B/bin/mtp" train "$OUT/$el-L$L-init.almtp" "$fit" --save_to="$OUT/$el-L$L$TAG.almtp" \
      $valid --max_time="$T" --checkpoint_interval=120 --resume \
      >> "$OUT/$el-L$L$TAG.log" 2>&1
  # mtp train prints elapsed wall time that is cumulative over --resume segments (the checkpoint
  # keeps it); this segment alone would undercount a resumed run.
  wall=$(sed -n "s/.*elapsed \([0-9.]*\)s.*/\1/p" "$OUT/$el-L$L$TAG.log" | tail -1)
  [ -n "$wall" ] || wall=$(( $(date +%s) - start ))
  "$B/bin/mtp" calculate_efs "$OUT/$el-L$L$TAG.almtp" "$D/$el/test.cfg" -o "$OUT/$el-L$L$TAG-pred.cfg" >/dev/null
  mae=$(/usr/bin/python3 "$(dirname "$0")/mae.py" "$D/$el/test.cfg" "$OUT/$el-L$L$TAG-pred.cfg")
  echo "$el: $mae"
  e=$(echo "$mae" | sed -n 's/.*energy[^0-9]*\([0-9.]*\).*/\1/p' | head -1)
  f=$(echo "$mae" | sed -n 's/.*force[^0-9]*\([0-9.]*\).*/\1/p' | head -1)
  echo "| $el | $L | $wall | $e | $f | $(zuo $el) |" >> "$TABLE"
done
cat "$TABLE"
