#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# usage: run_lmp.sh WORKDIR NEEDED_FILE NP LMP [lmp arguments...]
# Runs LMP (under mpirun when NP > 1) in WORKDIR; prints "SKIP: ..." and
# exits 77 when NEEDED_FILE does not exist ("-" = nothing needed).
set -eu
work=$1 need=$2 np=$3
shift 3
if [ "$need" != "-" ] && [ ! -e "$need" ]; then echo "SKIP: $need not found"; exit 77; fi
mkdir -p "$work"
cd "$work"
if [ "$np" -gt 1 ]; then
    mpi=${MPIEXEC:-mpirun}
    flags=""
    if "$mpi" --version 2>&1 | grep -q "Open MPI"; then
        flags="--oversubscribe"
        [ "$(id -u)" = 0 ] && flags="$flags --allow-run-as-root"
    fi
    exec "$mpi" $flags -np "$np" "$@"
fi
exec "$@"
