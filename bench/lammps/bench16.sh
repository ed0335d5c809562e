#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Level-16 MD speed of pair_style mtp: µs/atom/step of NVE MD in LAMMPS on 1
# and 2 MPI ranks, next to the standalone libopenmtp kernel (mtp_compute:
# energy, forces, virial) timed on the same configuration in the same run.
#   one species:   bcc Mo, 16^3 cells = 8192 atoms
#   three species: the Li-Ti-O cell of MLIP's multispecies example, 7^3 copies = 9604 atoms
# The potentials are level-16 MTPs trained for a minute (timing does not
# depend on accuracy; a short fit keeps the MD physical).
# usage: bench/lammps/bench16.sh [BUILD_DIR] [SHARED_DATA_DIR]     env: STEPS=100
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
data=$(cd "${2:-$root/../shared/data}" && pwd)
steps=${STEPS:-100}
mtp=$build/bin/mtp lmp=$build/bin/lmp_mtp bk=$build/bin/bench_kernel
for b in "$mtp" "$lmp" "$bk"; do [ -x "$b" ] || { echo "missing $b"; exit 1; }; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mpi="mpirun --oversubscribe"
[ "$(id -u)" = 0 ] && mpi="$mpi --allow-run-as-root"

echo "# training level-16 potentials for 60 s each"
"$mtp" init --level 16 --species 0 --cutoff 5.0 -o mo_init.almtp > /dev/null
"$mtp" train mo_init.almtp "$data/mlearn/Mo/train.cfg" --save_to=mo16.almtp --max_time=60 > train_mo.log
"$mtp" init --level 16 --species 0,1,2 --cutoff 5.0 -o lto_init.almtp > /dev/null
"$mtp" train lto_init.almtp "$data/mlip3/multispecies/train60.cfg" --save_to=lto16.almtp --max_time=60 > train_lto.log
"$mtp" convert "$data/mlip3/multispecies/test3.cfg" lto_all.data --output_format=lammps_data 2> /dev/null
# first configuration only
"$mtp" convert "$data/mlip3/multispecies/test3.cfg" lto_first.cfg 2> /dev/null
awk '/END_CFG/ { print; exit } { print }' lto_first.cfg > lto1.cfg
"$mtp" convert lto1.cfg lto1.data --output_format=lammps_data 2> /dev/null

cat > in.mo <<LMP
units metal
boundary p p p
atom_style atomic
lattice bcc 3.16
region box block 0 16 0 16 0 16
create_box 1 box
create_atoms 1 box
mass 1 95.95
LMP
cat > in.lto <<LMP
units metal
boundary p p p
atom_style atomic
read_data lto1.data
replicate 7 7 7
mass 1 6.94
mass 2 47.867
mass 3 15.999
LMP
for c in mo lto; do
    cat >> in.$c <<LMP
pair_style mtp \${pot}
pair_coeff * *
velocity all create 300 87287 dist gaussian
fix 1 all nve
thermo 50
run 0
write_data start.\${tag}.data
run $steps
LMP
done

line() { awk -v s="$steps" '/^Loop time of/ { t=$4; p=$6; n=$12 } END { printf "%.3f", t / (s * n) * 1e6 }' "$1"; }
printf "\n# case            atoms  standalone_us/atom  lmp_1rank_us/atom/step  glue_overhead  lmp_2ranks_us/atom/step  speedup_2v1\n"
for c in mo lto; do
    pot=$([ $c = mo ] && echo mo16.almtp || echo lto16.almtp)
    $mpi -np 1 "$lmp" -in in.$c -var pot $pot -var tag 1 -log log.$c.1 -screen none
    $mpi -np 2 "$lmp" -in in.$c -var pot $pot -var tag 2 -log log.$c.2 -screen none
    "$mtp" convert start.1.data start.$c.cfg --input_format=lammps_data 2> /dev/null
    sa=$("$bk" --files $pot start.$c.cfg 5 | awk '{ for (i = 1; i <= NF; i++) if ($i == "us/atom") print $(i-1) }')
    atoms=$(awk '/^Loop time of/ { n=$12 } END { print n }' log.$c.1)
    l1=$(line log.$c.1) l2=$(line log.$c.2)
    awk -v c=$c -v n="$atoms" -v sa="$sa" -v l1="$l1" -v l2="$l2" 'BEGIN {
        printf "%-16s %6d %19.3f %23.3f %13.0f%% %24.3f %12.2fx\n", (c == "mo" ? "Mo (1 species)" : "Li-Ti-O (3 sp.)"), n, sa, l1, 100 * (l1 / sa - 1), l2, l1 / l2 }'
    e1=$(awk '/^Loop time of/ { print prev } { prev = $0 }' log.$c.1 | tail -n 1)
    e2=$(awk '/^Loop time of/ { print prev } { prev = $0 }' log.$c.2 | tail -n 1)
    echo "  step temp epair emol etotal press after $steps steps, 1 rank:  $e1"
    echo "  step temp epair emol etotal press after $steps steps, 2 ranks: $e2"
done
echo "# (MPI ranks on a shared 2-core machine: the 2-rank speed-up is bounded by what else runs)"
