#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# LAMMPS speed of pair_style mtp: microseconds per atom per MD step (wall
# time of the whole run loop) on 1 and 2 MPI ranks, and the energy
# agreement between the rank counts.
#
# usage: bench/lammps/bench.sh [BUILD_DIR] [DATA_DIR]
#   BUILD_DIR  default: build (needs bin/lmp_mtp; bin/mtp for the 3-species case)
#   DATA_DIR   default: ../shared/data/mlip3 relative to the clone
#   env: RANKS="1 2", STEPS=200, NREP_LI=10 (2000 atoms), NREP_MULTI=3 (1512 atoms)
#        PLUGIN_HOST=<lmp with PKG_PLUGIN and ML-SNAP> (default: the one built by
#        tools/build-lammps-plugin-host.sh, if present) and LAMMPS_TREE=<its source>:
#        also runs the same Li case through mtpplugin.so in that binary and
#        upstream's examples/snap/in.snap.Ta06A as a same-binary speed reference.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
data=${2:-$root/../shared/data/mlip3}
lmp=$build/bin/lmp_mtp
[ -x "$lmp" ] || { echo "no $lmp (build the lmp_mtp target)"; exit 1; }
ranks=${RANKS:-1 2}
steps=${STEPS:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

mpi=${MPIEXEC:-mpirun}
flags=""
if "$mpi" --version 2>&1 | grep -q "Open MPI"; then
    flags="--oversubscribe"
    [ "$(id -u)" = 0 ] && flags="$flags --allow-run-as-root"
fi

report() { # name np log
    # last "Loop time of T on P procs for S steps with A atoms" and "C% CPU use";
    # on a loaded machine the CPU-time figure (wall x CPU use) is the steadier one.
    awk -v name="$1" -v np="$2" '
        /^Loop time of/ { t=$4; s=$9; a=$12 }
        /% CPU use with/ { c=$1; sub("%", "", c) }
        /^ +[0-9]+ / { e=$3 }
        END { printf "%-10s ranks %d: %6d atoms, %4d steps, %7.3f s -> %8.3f us/atom/step wall, %8.3f CPU (%3.0f%% CPU use)  PE %.12g\n",
                     name, np, a, s, t, t*1e6/(s*a), t*1e6/(s*a)*c/100, c, e }' "$3"
}

run_case() { # name pot structure nrep [datafile [lmp [plugin]]]
    name=$1 pot=$2 structure=$3 nrep=$4 datafile=${5:-none} exe=${6:-$lmp} plugin=${7:-}
    [ -f "$pot" ] || { echo "$name: $pot not found, skipped"; return; }
    input=$root/bench/lammps/in.bench
    if [ -n "$plugin" ]; then
        { echo "plugin load $plugin"; cat "$input"; } >in.plugin
        input=in.plugin
    fi
    for np in $ranks; do
        log=$name.$np.log
        OMP_NUM_THREADS=1 "$mpi" $flags -np "$np" "$exe" -in "$input" \
            -log "$log" -screen none -var pot "$pot" -var structure "$structure" \
            -var nrep "$nrep" -var steps "$steps" -var datafile "$datafile"
        report "$name" "$np" "$log"
    done
}

echo "lmp_mtp benchmark ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ))"
run_case li-bcc "$data/examples/calculate_efs/pot.almtp" li "${NREP_LI:-10}"
if [ -x "$build/bin/mtp" ] && [ -f "$data/multispecies/train60.cfg" ]; then
    "$build/bin/mtp" convert "$data/multispecies/train60.cfg" start.data \
        --output_format=lammps_data --last >/dev/null 2>&1
    run_case pot10-3sp "$data/multispecies/pot10.almtp" multi "${NREP_MULTI:-3}" "$work/start.data"
fi

cache=${OPENMTP_LAMMPS_CACHE:-${HOME:-/tmp}/.cache/openmtp/lammps-src}
host=${PLUGIN_HOST:-$cache/build-plugin-host/lmp}
tree=${LAMMPS_TREE:-$cache/tree}
if [ -x "$host" ]; then
    if [ -f "$build/lib/mtpplugin.so" ]; then
        run_case li-plugin "$data/examples/calculate_efs/pot.almtp" li "${NREP_LI:-10}" none \
            "$host" "$build/lib/mtpplugin.so"
    fi
    if [ -f "$tree/examples/snap/in.snap.Ta06A" ]; then
        for np in $ranks; do
            (cd "$tree/examples/snap" && OMP_NUM_THREADS=1 "$mpi" $flags -np "$np" "$host" \
                -in in.snap.Ta06A -var nsteps "$steps" -log "$work/snap.$np.log" -screen none)
            report snap-Ta06A "$np" "$work/snap.$np.log"
        done
    fi
fi
