#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Keep the physics checks' results (Makefile in this directory) in the repository, so that runs
# of many hours survive the loss of their scratch WORKDIR (a session that ends, a machine that is
# replaced) and the report can be regenerated from committed files:
#
#   results.sh save    WORKDIR RESULTS POT [--commit] [--every=SECONDS] [--aimd=DIR]
#   results.sh restore WORKDIR RESULTS POT [--aimd=DIR]
#
# save copies the small outputs of WORKDIR into RESULTS (each file atomically, only when it
# changed): lattice/ and rdf/ tables and logs, rdf/start.dump (32 atoms, the AIMD's start),
# per temperature diffusion/T<T>/ lattice.txt, D.txt, block-NNN.msd and the LAMMPS logs,
# diffusion/arrhenius.*, physics.md and the PNGs.  For a temperature that is not finished it
# also keeps the newest restart file (equil.restart or block-NNN.restart, the state the next
# block starts from) and drops the older one, so the run continues where it was.  Trajectory
# dumps (rdf.dump) and the other restarts stay in WORKDIR: the Makefiles mark them .SECONDARY,
# so a restored WORKDIR without them is up to date and nothing is rerun.
# RESULTS/pot.sha256 and WORKDIR/pot.sha256 record the potential: both commands refuse results or
# a WORKDIR of another potential.  save also refuses a WORKDIR that lacks files already saved (not
# restored yet, a new start, a wrong path), which would mix two runs and drop the resume points.
# restore copies through temporary names and leaves files WORKDIR already has alone.
# The CP2K AIMD (DIR, default WORKDIR/aimd, the Makefile's AIMD_DIR) is kept in RESULTS/aimd by
# aimd/aimd.py save (running or not: the trajectory up to CP2K's restart file in immutable
# pieces, the restart file, a manifest) and written back by aimd.py restore, so `make aimd`
# continues after the saved step.
# --commit commits RESULTS (only it) when something changed; --every repeats save until killed
# (a refusal ends it, exit 2; a failed commit is retried).
set -eo pipefail
usage="usage: results.sh save|restore WORKDIR RESULTS POT [--commit] [--every=SECONDS] [--aimd=DIR]"
mode=${1:?$usage}; work=${2:?$usage}; results=${3:?$usage}; pot=${4:?$usage}
shift 4
work=$(realpath -m "$work"); results=$(realpath -m "$results")
commit=0; every=0; aimd=$work/aimd
for arg in "$@"; do
    case "$arg" in
    --commit) commit=1 ;;
    --every=*) every=${arg#--every=} ;;
    --aimd=*) aimd=$(realpath -m "${arg#--aimd=}") ;;
    *) echo "results.sh: unknown option $arg; $usage" >&2; exit 2 ;;
    esac
done
[[ $every =~ ^[0-9]+$ ]] || { echo "results.sh: --every must be a number of seconds, got '$every'" >&2; exit 2; }
[ -s "$pot" ] || { echo "results.sh: $pot: no such potential" >&2; exit 2; }
sha=$(sha256sum "$pot" | cut -d' ' -f1)
aimd_py=(/usr/bin/python3 "$(dirname "$(realpath "$0")")/aimd/aimd.py")

# copy SRC to DST atomically when the content differs; prints DST when it changed
update() {
    mkdir -p "$(dirname "$2")" || return 1
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

# the newest restart of an unfinished temperature (what its next block reads); a temperature
# that is still equilibrating has none
resume_points() {
    local t last
    for t in "$1"/diffusion/T*/; do
        [ -d "$t" ] && [ ! -e "$t/D.txt" ] || continue
        last=$(ls "$t" | grep -E '^block-[0-9]{3}\.restart$' | sort | tail -1 || true)
        if [ -z "$last" ] && [ -e "$t/equil.restart" ]; then last=equil.restart; fi
        if [ -n "$last" ]; then echo "diffusion/$(basename "$t")/$last"; fi
    done
    return 0
}

# the plain files kept in RESULTS, relative to it: what restore writes back and what a WORKDIR
# must already have for save.  Not listed: the AIMD (aimd/, kept and written back by aimd.py),
# the marker aimd-not-kept.txt, pot.sha256 and temporaries of an interrupted copy.
kept_files() {
    [ -d "$results" ] || return 0
    (cd "$results" && find . -type f ! -path './aimd/*' ! -name aimd-not-kept.txt ! -name pot.sha256 ! -name '*.tmp.*' |
        sed 's|^\./||')
}

# refuse when FILE (pot.sha256 of a results directory or of a WORKDIR) names another potential
check_pot() {
    if [ -e "$1" ] && [ "$(cat "$1")" != "$sha" ]; then
        echo "results.sh: $(dirname "$1") holds results of another potential than $pot ($1 differs)" >&2
        return 2
    fi
}

save_once() {
    local changed=() f keep missing
    [ -d "$work" ] || { echo "results.sh: $work: no such WORKDIR" >&2; return 2; }
    check_pot "$results/pot.sha256" || return 2
    check_pot "$work/pot.sha256" || return 2
    # a WORKDIR that lacks saved outputs is not this run (not restored yet, a new start or a
    # wrong path): saving from it would mix two runs and drop the saved resume points
    # (restart files excepted: a WORKDIR that went on has newer ones and dropped the saved one)
    missing=$(kept_files | { grep -v '\.restart$' || true; } | while read -r f; do [ -e "$work/$f" ] || echo "$f"; done)
    if [ -n "$missing" ]; then
        echo "results.sh: $work lacks $(echo "$missing" | wc -l) saved file(s) of $results (e.g. $(echo "$missing" | head -1)); restore first: results.sh restore $work $results $pot" >&2
        return 2
    fi
    mkdir -p "$results" &&
        echo "$sha" > "$results/pot.sha256.tmp.$$" && mv "$results/pot.sha256.tmp.$$" "$results/pot.sha256" &&
        { [ -e "$work/pot.sha256" ] || { echo "$sha" > "$work/pot.sha256.tmp.$$" && mv "$work/pot.sha256.tmp.$$" "$work/pot.sha256"; }; } ||
        { echo "results.sh: cannot write pot.sha256 in $results or $work" >&2; return 1; }
    # (save_once runs under `||`, where set -e does not act: every failure is checked here)
    keep=$(resume_points "$work")
    local out
    for f in $(small_outputs "$work") $keep; do
        out=$(update "$work/$f" "$results/$f") || { echo "results.sh: copying $work/$f to $results failed" >&2; return 1; }
        changed+=($out)
    done
    # restarts in RESULTS that are no longer a resume point (a later block or D.txt exists)
    for f in $(cd "$results" && ls diffusion/T*/*.restart 2> /dev/null || true); do
        grep -qxF "$f" <<< "$keep" || { rm -f "$results/$f" || return 1; changed+=("$results/$f (removed)"); }
    done
    # the AIMD keeps itself (aimd.py refuses a DIR behind or other than what RESULTS holds); when
    # it fails the other results are still committed, and a loop (--every) goes on
    # (RESULTS/aimd-not-kept.txt says so in the repository until a save succeeds again)
    local aimd_rc=0 lines msg marker=$results/aimd-not-kept.txt
    if [ -e "$aimd/aimd.inp" ]; then
        out=$("${aimd_py[@]}" save "$aimd" "$results/aimd" 2> "$results/.aimd-save.err.tmp.$$") || aimd_rc=$?
        msg=$(cat "$results/.aimd-save.err.tmp.$$" 2> /dev/null); rm -f "$results/.aimd-save.err.tmp.$$"
        if [ "$aimd_rc" = 0 ]; then
            mapfile -t lines <<< "$out"
            for f in "${lines[@]}"; do [ -z "$f" ] || changed+=("$f"); done
            if [ -e "$marker" ]; then rm -f "$marker" && changed+=("$marker (removed)"); fi
        else
            echo "$msg" >&2
            echo "results.sh: $(date -u +%FT%TZ) the AIMD of $aimd was not kept (aimd.py save, exit $aimd_rc)" >&2
            if [ ! -e "$marker" ] || [ "$(tail -n +2 "$marker")" != "$msg" ]; then
                { echo "the AIMD of $aimd has not been kept since $(date -u +%FT%TZ) (aimd.py save, exit $aimd_rc):"; echo "$msg"; } \
                    > "$marker.tmp.$$" && mv "$marker.tmp.$$" "$marker" && changed+=("$marker")
            fi
        fi
    fi
    [ "$commit" = 1 ] || { [ ${#changed[@]} = 0 ] || printf '%s\n' "${changed[@]}"; [ "$aimd_rc" = 0 ] || return 1; return 0; }
    local repo; repo=$(git -C "$results" rev-parse --show-toplevel)
    if [ -n "$(git -C "$repo" status --porcelain -- "$results")" ]; then
        if git -C "$repo" add -A -- "$results" &&
           git -C "$repo" commit -q -m "li3ps4-beta physics: results so far in ${results#"$repo"/} ($(cd "$results" && ls diffusion/T*/D.txt 2> /dev/null | wc -l) temperatures finished$( [ -e "$results/aimd/state.txt" ] && echo ", AIMD at $(head -1 "$results/aimd/state.txt")"))" -- "$results"; then
            echo "$(date -u +%FT%TZ) committed: ${changed[*]}"
        else
            echo "$(date -u +%FT%TZ) commit failed; will try again" >&2
            [ "$every" -gt 0 ] || return 1
        fi
    fi
    [ "$aimd_rc" = 0 ] || return 1
}

case "$mode" in
save)
    while :; do
        rc=0; save_once || rc=$?
        # a refusal (2) is final; anything else is retried by --every
        [ "$rc" = 2 ] && exit 2
        [ "$every" -gt 0 ] || exit "$rc"
        sleep "$every"
    done ;;
restore)
    [ -e "$results/pot.sha256" ] || { echo "results.sh: $results/pot.sha256: missing (not a results directory)" >&2; exit 2; }
    check_pot "$results/pot.sha256" || exit 2
    check_pot "$work/pot.sha256" || exit 2
    mkdir -p "$work"
    echo "$sha" > "$work/pot.sha256.tmp.$$" && mv "$work/pot.sha256.tmp.$$" "$work/pot.sha256"
    # each file through a temporary name, so an interrupted restore leaves no truncated file
    # that a second restore would skip; files WORKDIR already has are left as they are
    kept_files | while read -r f; do
        if [ ! -e "$work/$f" ]; then
            mkdir -p "$(dirname "$work/$f")"
            cp -p "$results/$f" "$work/$f.tmp.$$" && mv "$work/$f.tmp.$$" "$work/$f" && echo "$work/$f"
        fi
    done
    if [ -e "$results/aimd/state.txt" ]; then "${aimd_py[@]}" restore "$results/aimd" "$aimd"; fi ;;
*) echo "$usage" >&2; exit 2 ;;
esac
