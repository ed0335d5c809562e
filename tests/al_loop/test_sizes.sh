#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest (label al_loop): cell sizes of the loop's exploration runs.  With the
# converged demo's round-1 potential, round.mk's run T300_s1.00_n2x2x3 must
# build 2 x 2 x 3 cells (the box of _n2 with c 1.5 times longer, 1.5 times the
# atoms), _n2x2x2 the same cell as _n2, and sizes that are not N or AxBxC must
# stop with a message.
#   test_sizes.sh BIN SRC WORK   (WORK/ref: the al_loop_converge run)
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
EX=$SRC/examples/active_learning
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -s "$WORK/ref/round-001/pot.almtp" ] || { echo "SKIP: $WORK/ref (al_loop_converge) missing" >&2; exit 77; }
T=$WORK/sizes
rm -rf "$T" && mkdir -p "$T/round-000" || exit 1
cp "$WORK/ref/round-001/pot.almtp" "$WORK/ref/round-001/train.cfg" "$T/round-000/"
explore() { # explore RUN: the exploration run RUN of round 1, 20 MD steps
  make --no-print-directory -f "$EX/round.mk" ROUND=1 WORKDIR="$T" MTP="$BIN/mtp" LMP="$BIN/lmp_mtp" \
    MD_STEPS=20 THRESHOLD_BREAK=1e9 "$T/round-001/explore/$1.cfg"
}
box() { # box RUN: "lx ly lz natoms" of the run (from its log)
  awk '/orthogonal box = / { b = $0 } /^Created [0-9]+ atoms/ { n = $2 } /^Replicating/ { r = 1 }
       /^ *[0-9]+ atoms$/ { if (r) n = $1 }
       END { gsub(/[(),]/, " ", b); split(b, w, " "); k = 0; for (i in w) k++;
             printf "%.6f %.6f %.6f %d\n", w[k-2] - w[k-6], w[k-1] - w[k-5], w[k] - w[k-4], n }' \
      "$T/round-001/explore/$1.run/log.lammps"
}
explore T300_s1.00_n2 > /dev/null || fail "run n2 failed"
explore T300_s1.00_n2x2x2 > /dev/null || fail "run n2x2x2 failed"
explore T300_s1.00_n2x2x3 > /dev/null || fail "run n2x2x3 failed"
read x0 y0 z0 a0 <<< "$(box T300_s1.00_n2)"
read x1 y1 z1 a1 <<< "$(box T300_s1.00_n2x2x2)"
read x2 y2 z2 a2 <<< "$(box T300_s1.00_n2x2x3)"
echo "n2: $x0 $y0 $z0 ($a0 atoms); n2x2x2: $x1 $y1 $z1 ($a1); n2x2x3: $x2 $y2 $z2 ($a2)"
[ "$a0" -gt 0 ] && [ "$a1" = "$a0" ] && [ $((2 * a2)) = $((3 * a0)) ] || fail "atom counts $a0 $a1 $a2"
awk -v a="$x0 $y0 $z0" -v b="$x1 $y1 $z1" -v c="$x2 $y2 $z2" 'BEGIN {
  split(a, p); split(b, q); split(c, r)
  for (i = 1; i <= 3; i++) if ((q[i] / p[i] - 1)^2 > 1e-12) exit 1
  if ((r[1] / p[1] - 1)^2 > 1e-12 || (r[2] / p[2] - 1)^2 > 1e-12 || (r[3] / p[3] - 1.5)^2 > 1e-12) exit 1 }' ||
  fail "box lengths are not the cells asked for"
for bad in 2x2 2x2x2x2 2xx2 0 2x0x2 2x2x y2; do
  out=$(explore "T300_s1.00_n$bad" 2>&1) && fail "size $bad accepted"
  grep -q "is not N (N x N x N cells) or AxBxC" <<< "$out" || fail "no message for size $bad: $out"
done
echo "sizes: ok"
