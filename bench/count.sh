#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Instruction counts per atom (valgrind --tool=callgrind), ours against the
# straightforward reference evaluation, for one level.  Counts do not depend
# on machine load, unlike timings.
# usage: bench/count.sh BUILD_DIR [LEVEL] [CELLS]
set -euo pipefail
BIN=$1/bin/bench_kernel LEVEL=${2:-16} CELLS=${3:-5}
ATOMS=$((2 * CELLS * CELLS * CELLS))
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect="$1" "$BIN" "$CELLS" "$LEVEL" 1 2>&1 \
        | awk -v s="$2" '/Collected/ { gsub(",", "", $4); print $4 }' | tail -n "$3" | head -n 1
}
for S in 1 3; do
    # the benchmark runs species 1 then 3; keep the matching line of the two
    ours=$(valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.ours.$$ --toggle-collect=mtp_compute "$BIN" "$CELLS" "$LEVEL" 1 >/dev/null 2>&1; callgrind_annotate /tmp/cg.ours.$$ | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
    ref=$(valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.ref.$$ --toggle-collect=ref_eval_site "$BIN" "$CELLS" "$LEVEL" 1 >/dev/null 2>&1; callgrind_annotate /tmp/cg.ref.$$ | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
    rm -f /tmp/cg.ours.$$ /tmp/cg.ref.$$
    break
done
echo "level $LEVEL, $ATOMS atoms, 1 and 3 species together:"
awk -v o="$ours" -v r="$ref" -v n="$ATOMS" 'BEGIN { printf "  openmtp   %10.0f instructions/atom\n  reference %10.0f instructions/atom (ratio %.1fx)\n", o / (2 * n), r / (2 * n), r / o }'
