#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs mpi_traj.in on 1, 2 and 4 ranks and requires positions and forces to
# agree: relative 1e-10 at step 0 (energy and forces), 1e-8 after 100 steps.
# usage: mpi_traj.sh LMP POT WORKDIR
set -eu
lmp=$1 pot=$2 work=$3
[ -f "$pot" ] || { echo "SKIP: $pot not found"; exit 77; }
mkdir -p "$work" && cd "$work"
mpi="mpirun --oversubscribe"
[ "$(id -u)" = 0 ] && mpi="$mpi --allow-run-as-root"
here=$(cd "$(dirname "$0")" && pwd)
cat > make.in <<LMP
units metal
atom_style atomic
boundary p p p
lattice bcc 3.44
region box block 0 16 0 16 0 8
create_box 1 box
create_atoms 1 box
mass 1 6.94
write_data start.data
LMP
"$lmp" -in make.in -log none -screen none
for np in 1 2 4; do
    $mpi -np $np "$lmp" -in "$here/mpi_traj.in" -var pot "$pot" -var data start.data -var out traj.np$np \
        -log log.np$np -screen none
done
status=0
for step in 0 100; do
    tol=$([ $step = 0 ] && echo 1e-10 || echo 1e-8)
    for np in 2 4; do
        # max |a-b| / (1 + |a|) over x y z fx fy fz of every atom; positions by
        # minimum image (an atom on a periodic face may sit on either side)
        d=$(awk 'FNR == NR { if (FNR >= 6 && FNR <= 8) L[FNR - 4] = $2 - $1
                             if (FNR > 9) for (c = 2; c <= 7; c++) v[FNR, c] = $c; next }
                 FNR > 9 { for (c = 2; c <= 7; c++) { a = v[FNR, c] + 0; e = a - $c
                           if (c <= 4) e -= L[c] * int(e / L[c] + (e > 0 ? 0.5 : -0.5))
                           if (e < 0) e = -e; s = a < 0 ? -a : a; r = e / (1 + s); if (r > m) m = r } }
                 END { printf "%.3e", m }' traj.np1.$step traj.np$np.$step)
        ok=$(awk -v d="$d" -v t="$tol" 'BEGIN { print (d <= t) ? "ok" : "FAIL" }')
        echo "step $step: 1 vs $np ranks, max relative difference of positions/forces $d ($ok, bound $tol)"
        [ "$ok" = ok ] || status=1
    done
done
e1=$(awk '/^Loop time/ { print prev } { prev = $0 }' log.np1 | tail -n 1)
for np in 2 4; do
    en=$(awk '/^Loop time/ { print prev } { prev = $0 }' log.np$np | tail -n 1)
    echo "thermo after 100 steps: np1 [$e1] np$np [$en]"
done
exit $status
