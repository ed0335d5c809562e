#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Compare two runs of sic_cell.in: A.thermo/A.dump against B.thermo/B.dump.
# Each quantity's largest difference is divided by the largest magnitude of
# that quantity (energy: |E|; pressure: max of |press|, |p_ab|; forces: max
# |F_ia|; per-atom energy: max |E_i|; per-atom virial: max |W_i,ab|), so
# components near zero are held to the same absolute accuracy as the large
# ones.  Fails if any exceeds TOL or if the atoms (id, type) differ.
# usage: compare_runs.sh A B TOL
set -eu
a=$1 b=$2 tol=$3
for f in "$a.thermo" "$b.thermo" "$a.dump" "$b.dump"; do
    [ -s "$f" ] || { echo "FAIL: $f missing or empty"; exit 1; }
done
awk -v tol="$tol" -v A="$a" -v B="$b" '
function abs(x) { return x < 0 ? -x : x }
function max(x, y) { return x > y ? x : y }
FNR == 1 { file++ }
file == 1 || file == 2 {        # thermo: key value pairs
    for (k = 1; k < NF; k += 2) th[file, $k] = $(k + 1)
    next
}
/^ITEM: ATOMS/ { atoms = 1; next }
/^ITEM:/ { atoms = 0; next }
atoms == 1 {
    n = ++cnt[file]
    id[file, n] = $1; ty[file, n] = $2
    for (c = 3; c <= 12; c++) v[file, n, c] = $c
}
END {
    if (cnt[3] != cnt[4] || cnt[3] == 0) { printf "FAIL: %d vs %d atoms\n", cnt[3], cnt[4]; exit 1 }
    for (i = 1; i <= cnt[3]; i++)
        if (id[3, i] != id[4, i] || ty[3, i] != ty[4, i]) { printf "FAIL: atom %d differs\n", i; exit 1 }
    bad = 0
    # energy
    e = abs(th[1, "pe"] - th[2, "pe"]) / max(abs(th[2, "pe"]), 1e-300)
    printf "energy:          %s %.17g  %s %.17g  rel diff %.3e\n", A, th[1, "pe"], B, th[2, "pe"], e
    if (!(e <= tol)) bad = 1
    # pressure tensor
    split("press pxx pyy pzz pxy pxz pyz", pk, " ")
    ps = 0; pd = 0
    for (k = 1; k <= 7; k++) { ps = max(ps, abs(th[2, pk[k]])); pd = max(pd, abs(th[1, pk[k]] - th[2, pk[k]])) }
    e = pd / max(ps, 1e-300)
    printf "pressure:        %s %.17g  %s %.17g bar, tensor rel diff %.3e\n", A, th[1, "press"], B, th[2, "press"], e
    if (!(e <= tol)) bad = 1
    # per-atom columns: forces 3-5, energy 6, virial 7-12
    ng = split("forces:3:5 per-atom-energy:6:6 per-atom-virial:7:12", grp, " ")
    for (g = 1; g <= ng; g++) {
        split(grp[g], p, ":")
        s = 0; d = 0
        for (i = 1; i <= cnt[3]; i++)
            for (c = p[2]; c <= p[3]; c++) { s = max(s, abs(v[4, i, c])); d = max(d, abs(v[3, i, c] - v[4, i, c])) }
        e = d / max(s, 1e-300)
        printf "%-16s max |diff| %.3e of max |value| %.6g, rel %.3e\n", p[1] ":", d, s, e
        if (!(e <= tol) || s == 0) bad = 1
    }
    if (bad) { printf "FAIL: a difference exceeds %g\n", tol; exit 1 }
    printf "PASS: %d atoms agree to %g\n", cnt[3], tol
}' "$a.thermo" "$b.thermo" "$a.dump" "$b.dump"
