#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Grade a potential itself on supercell MD: the loop's exploration run (../active_learning/
# explore.lmp: NVT, neighbourhood grades every 10 steps, frames above grade 2 saved) of the
# 2x2x3 supercell (384 atoms) with POT, at each temperature, 0.975 isotropic strain (the most
# extrapolative strain of the supercell stage).  The supercell stage (campaign.mk STAGE=large)
# explores with its round-0 potential, which is POT trained on once more; this checks POT.
#
#   check_supercell.sh POT OUT.tsv WORKDIR [PS (40)] [TEMPS ("300 600 900")]
#   (frames/supercell-check.tsv: check_supercell.sh potentials/Li3PS4-beta-L16/Li3PS4-beta-L16.almtp \
#    examples/li3ps4-beta/frames/supercell-check.tsv /work/supercell-check)
#
# OUT.tsv: run, graded_steps, max_grade, candidates (the explore.tsv columns of commit_campaign.sh).
# Resumable: a finished run (WORKDIR/RUN/done, which names the potential's sha256 and PS) is not redone.
set -eo pipefail
usage="usage: check_supercell.sh POT OUT.tsv WORKDIR [PS] [TEMPS]"
pot=$(realpath "${1:?$usage}"); out=${2:?$usage}; work=${3:?$usage}; ps=${4:-40}; temps=${5:-"300 600 900"}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
lmp=${LMP:-$(command -v "$repo/build/bin/lmp_mtp" || command -v lmp_mtp || true)}
[ -n "$lmp" ] && [ -x "$lmp" ] || { echo "check_supercell.sh: lmp_mtp not found (build it, or set LMP=)" >&2; exit 2; }
# a finished run is reused only if it was made with this potential and length
stamp="$(sha256sum "$pot" | cut -d' ' -f1) ${ps}ps"
[[ $ps =~ ^[0-9]+$ ]] || { echo "check_supercell.sh: PS must be whole picoseconds, got '$ps'" >&2; exit 2; }
mkdir -p "$work"
for T in $temps; do
    run=T${T}_s0.975_n2x2x3
    d=$work/$run
    [ "$(cat "$d/done" 2> /dev/null)" = "$stamp" ] && continue
    rm -rf "$d"; mkdir -p "$d"
    cat > "$d/params.lmp" <<EOF
variable structure string "$here/campaign/structure.lmp"
variable pot string "$pot"
variable T equal $T
variable strain equal 0.975
variable strain_x equal 1
variable strain_y equal 1
variable strain_z equal 1
variable nx equal 2
variable ny equal 2
variable nz equal 3
variable seed equal $((90001 + T))
variable steps equal $((ps * 1000))
variable timestep equal 0.001
variable heat_steps equal 0
variable heat_from equal 50
variable every equal 10
variable save equal 2
variable break equal 10
variable save_every equal 1
variable save_max equal 50
variable pair_opts string ""
EOF
    (cd "$d" && "$lmp" -in "$repo/examples/active_learning/explore.lmp" -var params params.lmp -log log.lammps -screen none)
    echo "$stamp" > "$d/done"
done
tmp=$out.tmp.$$
printf 'run\tgraded_steps\tmax_grade\tcandidates\n' > "$tmp"
for T in $temps; do
    d=$work/T${T}_s0.975_n2x2x3
    # grades.txt: comment lines, then step and grade of every graded step (as round.mk reads it)
    awk -v run="$(basename "$d")" '!/^#/ { n++; if ($2 + 0 > m) m = $2 + 0 } END { printf "%s\t%d\t%.6g\t", run, n, m }' \
        "$d/grades.txt" >> "$tmp"
    cat /dev/null $(ls "$d"/candidates.cfg "$d"/candidates.cfg.* 2> /dev/null) | grep -c '^ *BEGIN_CFG' >> "$tmp" || true
done
mv "$tmp" "$out"
cat "$out"
