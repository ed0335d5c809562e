#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 10, item 1, through the CLI: one lattice in four bases (as given,
# a -> a + 3b - 2c, (b, -a, a + b + c), and sheared by hundreds of cells)
# gives the same energies, forces, stresses (calculate_efs) and grades
# (calculate_grade); a cell 1e-12 A high is an error naming the file and
# the configuration, and nothing is written.
# usage: test_geometry.sh MTP_BINARY SOURCE_DIR WORK_DIR
set -u
MTP=$1 SRC=$2 WORK=$3
POT=$SRC/tests/fuzz/seeds/potential/level8-trained-1sp.almtp   # cutoff 4 A, min_dist 2 A
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
pass=0 fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }

# cfg NAME "a" "b" "c": 8 atoms, a perturbed 2x2x2 grid of the reference
# cell (Cartesian positions the same whatever basis the rows are)
cfg() {
    awk -v a="$2" -v b="$3" -v c="$4" 'BEGIN {
        split("6.5 0 0", A); split("1.25 6 0", B); split("-0.75 1.5 6.25", C)
        print "BEGIN_CFG\n Size\n    8\n Supercell"; print " " a; print " " b; print " " c
        print " AtomData:  id type cartes_x cartes_y cartes_z"
        split("0.03 -0.02 0.05 0.01 -0.04 0.02 0.06 -0.01", d)
        id = 0
        for (i = 0; i < 2; i++) for (j = 0; j < 2; j++) for (k = 0; k < 2; k++) {
            id++; f1 = i / 2 + d[id]; f2 = j / 2 - d[9 - id]; f3 = k / 2 + d[(id % 8) + 1]
            printf "   %d 0 %.17g %.17g %.17g\n", id, f1*A[1]+f2*B[1]+f3*C[1], f1*A[2]+f2*B[2]+f3*C[2], f1*A[3]+f2*B[3]+f3*C[3]
        }
        print "END_CFG"
    }' > "$1"
}
cfg ref.cfg     "6.5 0 0"       "1.25 6 0"   "-0.75 1.5 6.25"
cfg rep1.cfg    "11.75 15 -12.5" "1.25 6 0"  "-0.75 1.5 6.25"   # a + 3b - 2c
cfg rep2.cfg    "1.25 6 0"      "-6.5 0 0"   "7 7.5 6.25"       # b, -a, a + b + c
# a += 300 b - 200 c; b += 70 a; c += -11 a + 5 b (main refused this basis)
read -r A B C < <(awk 'BEGIN { a1=6.5;a2=0;a3=0; b1=1.25;b2=6;b3=0; c1=-0.75;c2=1.5;c3=6.25
    a1+=300*b1-200*c1; a2+=300*b2-200*c2; a3+=300*b3-200*c3
    b1+=70*a1; b2+=70*a2; b3+=70*a3
    c1+=-11*a1+5*b1; c2+=-11*a2+5*b2; c3+=-11*a3+5*b3
    printf "%.17g_%.17g_%.17g %.17g_%.17g_%.17g %.17g_%.17g_%.17g\n", a1,a2,a3, b1,b2,b3, c1,c2,c3 }')
cfg rep3.cfg "${A//_/ }" "${B//_/ }" "${C//_/ }"

# numbers of every line but the Supercell rows agree within 1e-10 relative
# (+1e-6 absolute: forces are written with 6 decimals)
same_numbers() {
    awk 'FNR == 1 { file++ } /Supercell/ { skip = 3; next } skip > 0 { skip--; next }
         { for (k = 1; k <= NF; k++) if ($k ~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) v[file, ++n[file]] = $k }
         END { if (n[1] != n[2] || n[1] == 0) { print "count " n[1] " vs " n[2]; exit 1 }
               for (k = 1; k <= n[1]; k++) { x = v[1, k]; y = v[2, k]; d = x - y; if (d < 0) d = -d
                   s = (x < 0 ? -x : x); if (d > 1e-6 + 1e-10 * s) { print "value " k ": " x " vs " y; exit 1 } } }' "$1" "$2"
}

"$MTP" calculate_efs "$POT" ref.cfg -o ref.efs.cfg 2> err.txt || { bad "calculate_efs on the reference basis"; cat err.txt; }
# the active set from other positions, so that the grades are not all 1
awk '/^   [0-9]/ { $3 += 0.04 * $1; $5 -= 0.03 * $1 } 1' ref.cfg > train.cfg
"$MTP" select "$POT" train.cfg --save_to=al.almtp > /dev/null 2>&1 || bad "select on the reference basis"
"$MTP" calculate_grade al.almtp ref.cfg ref.grade.cfg > /dev/null 2>&1 || bad "calculate_grade on the reference basis"
for r in rep1 rep2 rep3; do
    if "$MTP" calculate_efs "$POT" $r.cfg -o $r.efs.cfg 2> err.txt; then
        if same_numbers ref.efs.cfg $r.efs.cfg > diff.txt; then ok; else bad "calculate_efs $r differs: $(cat diff.txt)"; fi
    else bad "calculate_efs $r failed: $(cat err.txt)"; fi
    if "$MTP" calculate_grade al.almtp $r.cfg $r.grade.cfg > /dev/null 2> err.txt; then
        if same_numbers ref.grade.cfg $r.grade.cfg > diff.txt; then ok; else bad "calculate_grade $r differs: $(cat diff.txt)"; fi
    else bad "calculate_grade $r failed: $(cat err.txt)"; fi
done

# a cell 1e-12 A high: main overflowed the image count and wrote an energy with zero forces
cfg thin.cfg "6.5 0 0" "1.25 6 0" "0 0 1e-12"
for cmd in calculate_efs calculate_grade; do
    pot=$POT; [ $cmd = calculate_grade ] && pot=al.almtp
    if [ $cmd = calculate_efs ]; then "$MTP" $cmd "$pot" thin.cfg -o thin.out.cfg > out.txt 2> err.txt
    else "$MTP" $cmd "$pot" thin.cfg thin.out.cfg > out.txt 2> err.txt; fi
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -lt 128 ]; then ok; else bad "$cmd on a 1e-12 A cell exits $rc"; fi
    if grep -q "thin.cfg: configuration 1: .*too thin" err.txt; then ok
    else bad "$cmd on a 1e-12 A cell: stderr lacks 'thin.cfg: configuration 1: ... too thin'"; cat err.txt; fi
    if [ ! -e thin.out.cfg ]; then ok; else bad "$cmd on a 1e-12 A cell wrote thin.out.cfg"; rm -f thin.out.cfg; fi
done

echo "test_geometry: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
