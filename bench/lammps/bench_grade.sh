#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Cost of extrapolation control (grading) in LAMMPS at level 16: µs per MD step
# and per atom-step without grading, grading every step and every 10 steps, on 1
# and 2 MPI ranks, all measured in the same LAMMPS process (in.bench_grade: the
# same trajectory continued through the runs, the three modes in turn, REPS times).
# Potential: potentials/mlearn-Li-L16 with an active set built by
# `mtp select --al_mode=nbh` over the mlearn Li training set.
# usage: bench/lammps/bench_grade.sh [BUILD_DIR] [SHARED_DATA_DIR]
#   env: RANKS="1 2", STEPS=200, NREP=10 (2 NREP^3 atoms), REPS=2 (repetitions of the
#        three modes; the summary takes the best of each)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
data=$(cd "${2:-$root/../shared/data}" && pwd)
mtp=$build/bin/mtp lmp=$build/bin/lmp_mtp
for b in "$mtp" "$lmp"; do [ -x "$b" ] || { echo "missing $b"; exit 1; }; done
pot0=$root/potentials/mlearn-Li-L16/mlearn-Li-L16.almtp
train=$data/mlearn/Li/train.cfg
for f in "$pot0" "$train"; do [ -f "$f" ] || { echo "missing $f"; exit 1; }; done
ranks=${RANKS:-1 2}
steps=${STEPS:-200}
nrep=${NREP:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mpi=${MPIEXEC:-mpirun}
flags=""
if "$mpi" --version 2>&1 | grep -q "Open MPI"; then
    flags="--oversubscribe"
    [ "$(id -u)" = 0 ] && flags="$flags --allow-run-as-root"
fi

"$mtp" select "$pot0" "$train" --al_mode=nbh --save_to=li16_al.almtp
echo "grading benchmark: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
for np in $ranks; do
    OMP_NUM_THREADS=1 "$mpi" $flags -np "$np" "$lmp" -in "$root/bench/lammps/in.bench_grade" \
        -log grade.$np.log -screen none -var pot "$work/li16_al.almtp" -var steps "$steps" \
        -var nrep "$nrep" -var reps "${REPS:-2}"
    # per timed run: loop time, CPU use, pair time -> ms/step; the CPU-time figure
    # (wall x CPU use) is the steadier one on a loaded machine.  Summary: the best
    # (smallest) CPU ms/step of each mode over the repetitions, overhead vs "none".
    awk -v np="$np" '
        /^BENCH / { name = $2; next }
        /^GRADE / { g = $2; next }
        /^Loop time of/ { if (name != "") { t = $4; s = $9; a = $12 } }
        /% CPU use with/ { if (name != "") cpu = $1 }
        /^Pair  *\|/ { if (name != "") {
            c = cpu; sub("%", "", c); w = 1e3 * t / s; u = w * c / 100
            printf "ranks %d %-8s %5d atoms %4d steps: %8.2f ms/step wall (pair %7.2f), CPU use %3.0f%% -> %7.2f CPU ms/step\n",
                   np, name, a, s, w, 1e3 * $5 / s, c, u
            if (!(name in best) || u < best[name]) best[name] = u
            natoms = a; name = "" } }
        END {
            printf "ranks %d best: none %.2f, every1 %.2f, every10 %.2f CPU ms/step (%d atoms): grading every step +%.2f ms/step = +%.2f us/atom (%+.0f%%), every 10 steps +%.2f ms/step (%+.0f%%); last max grade %s\n",
                   np, best["none"], best["every1"], best["every10"], natoms,
                   best["every1"] - best["none"], 1e3 * (best["every1"] - best["none"]) / natoms,
                   100 * (best["every1"] / best["none"] - 1), best["every10"] - best["none"],
                   100 * (best["every10"] / best["none"] - 1), g
        }' grade.$np.log
done
