#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# KIM portable model in LAMMPS (`kim init` / `kim interactions`) against
# pair_style mtp on the same cell: energy, pressure tensor, forces, per-atom
# energy and per-atom virial must agree to TOL relative, on the cell and
# along a short NVE trajectory.
# usage: run_kim_vs_mtp.sh KIM_LMP MTP_LMP NP MODEL POT WORKDIR [ELEMENTS [TOL]]
#   ELEMENTS  the elements of LAMMPS types 1 and 2 (default "Si C")
#   KIM_LMP  a LAMMPS with the KIM package (Debian's lmp); MTP_LMP lmp_mtp
#   NP > 1 runs both under mpirun.  KIM_API_*_DIR must name the collections.
# Exit 77 (skip) when KIM_LMP is missing or has no KIM package.
set -eu
kim_lmp=$1 mtp_lmp=$2 np=$3 model=$4 pot=$5 work=$6 elements=${7:-Si C} tol=${8:-1e-10}
tdir=$(cd "$(dirname "$0")" && pwd)
command -v "$kim_lmp" >/dev/null 2>&1 || { echo "SKIP: $kim_lmp not found"; exit 77; }
"$kim_lmp" -h 2>/dev/null | grep -q "kim_interactions\|^KIM \| KIM " ||
    { echo "SKIP: $kim_lmp has no KIM package"; exit 77; }
mkdir -p "$work"
cd "$work"
rm -f kim.thermo kim.dump mtp.thermo mtp.dump kim_md.thermo kim_md.dump mtp_md.thermo mtp_md.dump

launch() {
    if [ "$np" -gt 1 ]; then
        mpi=${MPIEXEC:-mpirun}
        command -v "$mpi" >/dev/null 2>&1 || { echo "SKIP: no $mpi"; exit 77; }
        flags=""
        if "$mpi" --version 2>&1 | grep -q "Open MPI"; then
            flags="--oversubscribe"
            [ "$(id -u)" = 0 ] && flags="$flags --allow-run-as-root"
        fi
        "$mpi" $flags -np "$np" "$@"
    else
        "$@"
    fi
}

launch "$kim_lmp" -in "$tdir/sic_cell.in" -log lmp_kim.log -screen none -var mode kim \
    -var model "$model" -var pot none -var out kim -var elements "$elements" ||
    { echo "KIM run failed:"; tail -n 20 lmp_kim.log; exit 1; }
launch "$mtp_lmp" -in "$tdir/sic_cell.in" -log lmp_mtp.log -screen none -var mode mtp \
    -var model none -var pot "$pot" -var out mtp -var elements "$elements" ||
    { echo "pair_style mtp run failed:"; tail -n 20 lmp_mtp.log; exit 1; }
grep -q "kim interactions" lmp_kim.log || { echo "FAIL: lmp_kim.log shows no KIM pair style"; exit 1; }
echo "== the cell (run 0)"
sh "$tdir/compare_runs.sh" kim mtp "$tol"
echo "== after 50 NVE steps (two snapshots: step 0 and step 50)"
exec sh "$tdir/compare_runs.sh" kim_md mtp_md "$tol"
