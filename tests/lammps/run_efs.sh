#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run one lmp_mtp consistency test and compare with the library.
# usage: run_efs.sh LMP CHECK NP INPUT POT WORKDIR [lmp -var name value ...] [-- checker options]
#   NP > 1 runs under mpirun (Open MPI: --allow-run-as-root --oversubscribe).
#   Checker option "--extra-run" makes a second LAMMPS run with -var part zbl
#   whose results are added to the reference (hybrid tests).
# Exit 77 (skip) when POT does not exist.
set -eu
lmp=$1 check=$2 np=$3 input=$4 pot=$5 work=$6
shift 6
[ -f "$pot" ] || { echo "SKIP: $pot not found"; exit 77; }
vars=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do vars="$vars $1"; shift; done
[ $# -gt 0 ] && shift
extra_run=0
copts=""
for a in "$@"; do
    if [ "$a" = "--extra-run" ]; then extra_run=1; else copts="$copts $a"; fi
done
tdir=$(cd "$(dirname "$input")" && pwd)
mkdir -p "$work"
cd "$work"

launch() {
    if [ "$np" -gt 1 ]; then
        mpi=${MPIEXEC:-mpirun}
        flags=""
        if "$mpi" --version 2>&1 | grep -q "Open MPI"; then
            flags="--oversubscribe"
            [ "$(id -u)" = 0 ] && flags="$flags --allow-run-as-root"
        fi
        "$mpi" $flags -np "$np" "$lmp" "$@"
    else
        "$lmp" "$@"
    fi
}

launch -in "$input" -log run.log -screen none -var pot "$pot" -var out efs -var tdir "$tdir" \
    -var part all $vars || { echo "lmp_mtp failed:"; tail -n 20 run.log; exit 1; }
grep -E "^(WARNING|OpenMTP)" run.log || true
if [ $extra_run = 1 ]; then
    launch -in "$input" -log extra.log -screen none -var pot "$pot" -var out extra -var tdir "$tdir" \
        -var part zbl $vars || { echo "second lmp_mtp run failed:"; tail -n 20 extra.log; exit 1; }
    copts="$copts --extra extra.dump --extra-summary extra.sum"
fi
# shellcheck disable=SC2086
exec "$check" --pot "$pot" --dump efs.dump --summary efs.sum $copts
