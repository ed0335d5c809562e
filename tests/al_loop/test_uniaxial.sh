#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest (label al_loop): uniaxial strains in the loop's exploration runs.  With
# the converged demo's round-1 potential, round.mk's run T300_s1.04x_n1 must
# stretch the box (and the atoms) by 4 % along x only, s1.04 isotropically,
# and a strain that is not F or Fx/Fy/Fz must stop with a message.
#   test_uniaxial.sh BIN SRC WORK   (WORK/ref: the al_loop_converge run)
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
EX=$SRC/examples/active_learning
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -s "$WORK/ref/round-001/pot.almtp" ] || { echo "SKIP: $WORK/ref (al_loop_converge) missing" >&2; exit 77; }
T=$WORK/uniaxial
rm -rf "$T" && mkdir -p "$T/round-000" || exit 1
cp "$WORK/ref/round-001/pot.almtp" "$WORK/ref/round-001/train.cfg" "$T/round-000/"
explore() { # explore RUN: the exploration run RUN of round 1, 50 MD steps
  make --no-print-directory -f "$EX/round.mk" ROUND=1 WORKDIR="$T" MTP="$BIN/mtp" LMP="$BIN/lmp_mtp" \
    MD_STEPS=50 THRESHOLD_BREAK=1e9 "$T/round-001/explore/$1.cfg"
}
box() { # box RUN: "lx ly lz" of the run's box after the strain (from its log)
  awk '/orthogonal box = / { b = $0 } END { gsub(/[(),]/, " ", b); split(b, w, " ");
       n = 0; for (i in w) n++; printf "%.6f %.6f %.6f\n", w[n-2] - w[n-6], w[n-1] - w[n-5], w[n] - w[n-4] }' \
      "$T/round-001/explore/$1.run/log.lammps"
}
explore T300_s1.00_n2 > /dev/null || fail "run s1.00 failed"
explore T300_s1.04x_n2 > /dev/null || fail "run s1.04x failed"
explore T300_s1.04_n2 > /dev/null || fail "run s1.04 failed"
read x0 y0 z0 <<< "$(box T300_s1.00_n2)"
read x1 y1 z1 <<< "$(box T300_s1.04x_n2)"
read x2 y2 z2 <<< "$(box T300_s1.04_n2)"
echo "box s1.00: $x0 $y0 $z0; s1.04x: $x1 $y1 $z1; s1.04: $x2 $y2 $z2"
awk -v a="$x0 $y0 $z0" -v b="$x1 $y1 $z1" -v c="$x2 $y2 $z2" 'BEGIN {
  split(a, p); split(b, q); split(c, r)
  if ((q[1] / p[1] - 1.04)^2 > 1e-12 || (q[2] / p[2] - 1)^2 > 1e-12 || (q[3] / p[3] - 1)^2 > 1e-12) exit 1
  for (i = 1; i <= 3; i++) if ((r[i] / p[i] - 1.04)^2 > 1e-12) exit 1 }' || fail "box lengths are not strained as asked"
# the frames saved from the stretched run carry the stretched cell
grep -q BEGIN_CFG "$T/round-001/explore/T300_s1.04x_n2.cfg" 2>/dev/null &&
  { awk '/Supercell/ { getline; print $1; exit }' "$T/round-001/explore/T300_s1.04x_n2.cfg" |
    awk -v x="$x1" '{ if (($1 - x)^2 > 1e-8) exit 1 }' || fail "saved frame's a vector is not the stretched box"; }
out=$(explore T300_s1.04q_n2 2>&1) && fail "strain 1.04q accepted"
grep -q "is not a number, optionally followed by x, y or z" <<< "$out" || fail "no message for strain 1.04q: $out"
echo "uniaxial strains: ok"
