#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# CPU time (and wall time) for `mtp train` to reach Zuo et al. 2020's MTP test
# accuracy on mlearn Mo at level 20 (2.83 meV/atom, 0.09 eV/A test MAE), for
# one or more builds, run one after another on the same data and settings.
#
# Usage: sh bench/train/time_to_accuracy.sh BUILD_OLD [BUILD_NEW ...]
#   THREADS   OMP_NUM_THREADS of each run (default 2; 1 makes CPU ~ wall on a free core)
#   OUT       output directory (default /tmp/openmtp-tta)
#   EW        energy weight (default 30, as potentials/mlearn-Mo-L20)
#   EXTRA     further `mtp train` options for every build (e.g. --optimizer=varpro)
#   PARALLEL  1: start all builds at once (each THREADS threads), for an
#             interleaved comparison on a loaded machine
# No --max_time: every run trains until it converges (no random restarts,
# deterministic; the sums are thread-count independent).  For each build it
# prints the user+sys CPU seconds and wall seconds of `mtp train`, the
# iterations and evaluations, and the test MAE of the final potential; a
# trace OUT/<tag>.cpu has "cpu_seconds log_lines" every 2 s (learning curve
# against CPU time with OUT/<tag>.log).
set -e
D=$(dirname "$0")/../../../shared/data/mlearn/Mo
[ -f "$D/train.cfg" ] || { echo "time_to_accuracy.sh: $D/train.cfg not found (mlearn data)"; exit 77; }
OUT=${OUT:-/tmp/openmtp-tta}; mkdir -p "$OUT"
T=${THREADS:-2}
one() { # BUILD TAG
  b=$1; tag=$2
  "$b/bin/mtp" init --level 20 --species 0 --cutoff 5.0 -o "$OUT/$tag-init.almtp" >/dev/null
  start=$(date +%s)
  OMP_NUM_THREADS=$T OPENBLAS_NUM_THREADS=1 /usr/bin/time -f "%U %S %e" -o "$OUT/$tag.time" \
    "$b/bin/mtp" train "$OUT/$tag-init.almtp" "$D/train.cfg" --save_to="$OUT/$tag.almtp" \
      --energy_weight="${EW:-30}" --valid_cfgs="$D/test.cfg" ${EXTRA:-} > "$OUT/$tag.log" 2>&1 &
  tpid=$!
  sleep 1
  pid=$(pgrep -P "$tpid" -x mtp || true)
  : > "$OUT/$tag.cpu"
  while kill -0 "$tpid" 2>/dev/null; do
    if [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; then
      awk -v l="$(wc -l < "$OUT/$tag.log")" '{printf "%.2f %d\n", ($14 + $15) / 100, l}' "/proc/$pid/stat" \
        >> "$OUT/$tag.cpu" 2>/dev/null || true
    fi
    sleep 2
  done
  wait "$tpid" || { echo "$tag: mtp train failed, see $OUT/$tag.log"; return 1; }
  "$b/bin/mtp" calculate_efs "$OUT/$tag.almtp" "$D/test.cfg" -o "$OUT/$tag-pred.cfg" >/dev/null
  mae=$(/usr/bin/python3 "$(dirname "$0")/mae.py" "$D/test.cfg" "$OUT/$tag-pred.cfg" | tr '\n' ' ')
  read -r u s e < "$OUT/$tag.time"
  it=$(grep -cE '^(BFGS|VarPro) iter' "$OUT/$tag.log" || true)
  ev=$(grep -o '^# [0-9]* objective evaluations[^,]*' "$OUT/$tag.log" | head -1)
  echo "$tag ($b): CPU $(echo "$u + $s" | bc) s (user $u, sys $s), wall $e s, $T thread(s), $it iterations, ${ev#\# }; $mae (Zuo 2020 MTP: 2.83 meV/atom, 0.09 eV/A)"
}
i=0
for b in "$@"; do
  i=$((i + 1))
  if [ "${PARALLEL:-0}" = 1 ]; then one "$b" "run$i" > "$OUT/run$i.summary" & else one "$b" "run$i"; fi
done
if [ "${PARALLEL:-0}" = 1 ]; then wait; cat "$OUT"/run*.summary; fi
