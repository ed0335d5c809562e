#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Keep the physics checks' results (Makefile in this directory) in the repository, so that runs
# of many hours survive the loss of their scratch WORKDIR (a session that ends, a machine that is
# replaced) and the report can be regenerated from committed files:
#
#   results.sh save    WORKDIR RESULTS POT [--commit] [--every=SECONDS]
#   results.sh restore WORKDIR RESULTS POT
#
# save copies the small outputs of WORKDIR into RESULTS (each file atomically, only when it
# changed): lattice/ and rdf/ tables and logs, rdf/start.dump (32 atoms, the AIMD's start),
# per temperature diffusion/T<T>/ lattice.txt, D.txt, block-NNN.msd and the LAMMPS logs,
# diffusion/arrhenius.*, physics.md and the PNGs.  For a temperature that is not finished it
# also keeps the newest restart file (equil.restart or block-NNN.restart, the state the next
# block starts from) and drops the older one, so the run continues where it was.  Trajectory
# dumps (rdf.dump) and the other restarts stay in WORKDIR: the Makefiles mark them .SECONDARY,
# so a restored WORKDIR without them is up to date and nothing is rerun.
# RESULTS/pot.sha256 records the potential; restore refuses results of another potential.
# --commit commits RESULTS (only it) when something changed; --every repeats save until killed.
set -eo pipefail
usage="usage: results.sh save|restore WORKDIR RESULTS POT [--commit] [--every=SECONDS]"
mode=${1:?$usage}; work=${2:?$usage}; results=${3:?$usage}; pot=${4:?$usage}
shift 4
work=$(realpath -m "$work"); results=$(realpath -m "$results")
commit=0; every=0
for arg in "$@"; do
    case "$arg" in
    --commit) commit=1 ;;
    --every=*) every=${arg#--every=} ;;
    *) echo "results.sh: unknown option $arg; $usage" >&2; exit 2 ;;
    esac
done
[[ $every =~ ^[0-9]+$ ]] || { echo "results.sh: --every must be a number of seconds, got '$every'" >&2; exit 2; }
[ -s "$pot" ] || { echo "results.sh: $pot: no such potential" >&2; exit 2; }
sha=$(sha256sum "$pot" | cut -d' ' -f1)

# copy SRC to DST atomically when the content differs; prints DST when it changed
update() {
    mkdir -p "$(dirname "$2")"
    if ! cmp -s "$1" "$2"; then cp "$1" "$2.tmp.$$" && mv "$2.tmp.$$" "$2" && echo "$2"; fi
}

# the files worth keeping, relative to WORKDIR (those that exist)
small_outputs() {
    (cd "$1" && for f in physics.md ./*.png lattice/lattice.txt lattice/lattice-series.txt lattice/lattice.log \
        rdf/rdf-mtp.txt rdf/rdf-aimd.txt rdf/rdf.log rdf/start.dump \
        diffusion/arrhenius.txt diffusion/arrhenius.png \
        diffusion/T*/lattice.txt diffusion/T*/D.txt diffusion/T*/*.log diffusion/T*/block-[0-9][0-9][0-9].msd; do
        [ -f "$f" ] && echo "${f#./}"
    done) || true
}

# the newest restart of an unfinished temperature (what its next block reads)
resume_points() {
    local t last
    for t in "$1"/diffusion/T*/; do
        [ -d "$t" ] && [ ! -e "$t/D.txt" ] || continue
        last=$(ls "$t" | grep -E '^block-[0-9]{3}\.restart$' | sort | tail -1 || true)
        [ -n "$last" ] || { [ -e "$t/equil.restart" ] && last=equil.restart; }
        [ -n "$last" ] && echo "diffusion/$(basename "$t")/$last"
    done
}

save_once() {
    local changed=() f keep
    [ -d "$work" ] || { echo "results.sh: $work: no such WORKDIR" >&2; return 2; }
    if [ -e "$results/pot.sha256" ] && [ "$(cat "$results/pot.sha256")" != "$sha" ]; then
        echo "results.sh: $results holds results of another potential (pot.sha256); use another RESULTS" >&2
        return 2
    fi
    mkdir -p "$results"
    echo "$sha" > "$results/pot.sha256.tmp.$$" && mv "$results/pot.sha256.tmp.$$" "$results/pot.sha256"
    for f in $(small_outputs "$work"); do changed+=($(update "$work/$f" "$results/$f")); done
    keep=$(resume_points "$work")
    for f in $keep; do changed+=($(update "$work/$f" "$results/$f")); done
    # restarts in RESULTS that are no longer a resume point (a later block or D.txt exists)
    for f in $(cd "$results" && ls diffusion/T*/*.restart 2> /dev/null || true); do
        grep -qxF "$f" <<< "$keep" || { rm -f "$results/$f"; changed+=("$results/$f (removed)"); }
    done
    [ "$commit" = 1 ] || { [ ${#changed[@]} = 0 ] || printf '%s\n' "${changed[@]}"; return 0; }
    local repo; repo=$(git -C "$results" rev-parse --show-toplevel)
    if [ -n "$(git -C "$repo" status --porcelain -- "$results")" ]; then
        if git -C "$repo" add -A -- "$results" &&
           git -C "$repo" commit -q -m "li3ps4-beta physics: results so far in ${results#$repo/} ($(cd "$results" && ls diffusion/T*/D.txt 2> /dev/null | wc -l) temperatures finished)" -- "$results"; then
            echo "$(date -u +%FT%TZ) committed: ${changed[*]}"
        else
            echo "$(date -u +%FT%TZ) commit failed; will try again" >&2
            [ "$every" -gt 0 ] || return 1
        fi
    fi
}

case "$mode" in
save)
    while :; do
        save_once
        [ "$every" -gt 0 ] || break
        sleep "$every"
    done ;;
restore)
    [ -e "$results/pot.sha256" ] || { echo "results.sh: $results/pot.sha256: missing (not a results directory)" >&2; exit 2; }
    [ "$(cat "$results/pot.sha256")" = "$sha" ] ||
        { echo "results.sh: $results holds results of another potential than $pot (pot.sha256 differs)" >&2; exit 2; }
    mkdir -p "$work"
    (cd "$results" && find . -type f ! -name pot.sha256 | sed 's|^\./||') | while read -r f; do
        [ -e "$work/$f" ] || { mkdir -p "$(dirname "$work/$f")"; cp -p "$results/$f" "$work/$f"; echo "$work/$f"; }
    done ;;
*) echo "$usage" >&2; exit 2 ;;
esac
