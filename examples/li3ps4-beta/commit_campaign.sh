#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copy what the campaign loop (campaign.mk) has labelled so far from its scratch WORKDIR into
# frames/rounds/ and commit it, so that no labelled frame is lost when a session ends while the
# loop is still running.  Run it by hand, or keep it running beside the loop:
#
#   examples/li3ps4-beta/commit_campaign.sh WORKDIR            # once
#   examples/li3ps4-beta/commit_campaign.sh WORKDIR --every=300 # every 5 minutes, until killed
#   examples/li3ps4-beta/commit_campaign.sh WORKDIR --every=300 --ship
#                                    # also re-ship potentials/Li3PS4-beta-L16/ (ship.sh) from each
#                                    # newly finished round and commit it: restore_campaign.sh
#                                    # needs the last finished round's potential on a new machine
#   examples/li3ps4-beta/commit_campaign.sh WORKDIR --every=300 --out=frames/rounds-large
#                                    # the large-cell stage (campaign.mk STAGE=large) has its own
#                                    # directory, so its round numbers do not collide with stage 1's
#
# Per round NNN it writes (small text files only; CP2K outputs stay in WORKDIR):
#   frames/rounds/round-NNN.cfg         the round's labelled frames (mtp convert --no_loss, so
#                                       the file passes libmtp's reader), in frame order
#   frames/rounds/round-NNN.select.log  which exploration frame each selected frame came from
#   frames/rounds/round-NNN.failed      frames whose labelling failed, with CP2K's reason
#   frames/rounds/round-NNN.explore.tsv the round's exploration runs once all have finished:
#                                       run, graded steps, largest grade, candidates saved
#                                       (the evidence for the stopping rule, per temperature)
# and frames/rounds/rounds.tsv (the loop's round table).  Each file is written atomically and
# committed only when it changed; the commit touches nothing else in the repository.
set -eo pipefail
usage="usage: commit_campaign.sh WORKDIR [--every=SECONDS] [--out=DIR (default frames/rounds)] [--ship]"
work=${1:?$usage}
shift
every=0
ship=0
here=$(cd "$(dirname "$0")" && pwd)
out=$here/frames/rounds
for arg in "$@"; do
    case "$arg" in
    --every=*) every=${arg#--every=} ;;
    --out=/*) out=${arg#--out=} ;;
    --out=*) out=$here/${arg#--out=} ;;
    --ship) ship=1 ;;
    *) echo "commit_campaign.sh: unknown option $arg; $usage" >&2; exit 2 ;;
    esac
done
[[ $every =~ ^[0-9]+$ ]] || { echo "commit_campaign.sh: --every must be a number of seconds, got '$every'" >&2; exit 2; }
repo=$(git -C "$here" rev-parse --show-toplevel)
mtp=${MTP:-$(command -v "$repo/build/bin/mtp" || command -v mtp)}

# copy SRC to DST atomically if the content differs; prints DST when it changed
update() {
    if ! cmp -s "$1" "$2"; then cp "$1" "$2.tmp.$$" && mv "$2.tmp.$$" "$2" && echo "$2"; fi
}

sync_once() {
    mkdir -p "$out"
    local changed=() r nnn all tmp
    for r in "$work"/round-*/; do
        nnn=$(basename "$r"); nnn=${nnn#round-}
        [ "$nnn" = 000 ] && continue # round 0 is frames/seed.cfg
        if compgen -G "$r/labelled/*.cfg" > /dev/null; then
            all=$(mktemp --suffix=.cfg); tmp=$(mktemp --suffix=.cfg)
            local labelled; labelled=$(ls "$r"/labelled/[0-9]*.cfg 2>/dev/null | grep -v '\.tmp\.cfg$' || true)
            cat $labelled /dev/null > "$all"
            # a restored round (restore_campaign.sh): its committed frames that are not (yet)
            # among labelled/ stay in the committed file, so HEAD never loses a CP2K label
            if [ -s "$r/known-labels.cfg" ]; then
                local unused; unused=$(mktemp --suffix=.cfg); rc=0
                /usr/bin/python3 "$here/../active_learning/reuse_labelled.py" --unused "$r/known-labels.cfg" "$unused" \
                    $labelled 2> /dev/null || rc=$?
                if [ "$rc" = 1 ]; then cat "$unused" >> "$all"
                elif [ "$rc" != 0 ]; then echo "commit_campaign.sh: reuse_labelled.py --unused failed on $r (exit $rc); $nnn not updated" >&2; rm -f "$unused" "$all" "$tmp"; continue; fi
                rm -f "$unused"
            fi
            if [ -s "$all" ]; then
                "$mtp" convert "$all" "$tmp" --no_loss > /dev/null 2>&1
                changed+=($(update "$tmp" "$out/round-$nnn.cfg"))
            fi
            rm -f "$all" "$tmp"
        fi
        [ -s "$r/select.log" ] && changed+=($(update "$r/select.log" "$out/round-$nnn.select.log"))
        # selected.cfg exists once every exploration run has finished
        if [ -e "$r/selected.cfg" ] && compgen -G "$r/explore/*.grade" > /dev/null; then
            tmp=$(mktemp)
            printf 'run\tgraded_steps\tmax_grade\tcandidates\n' > "$tmp"
            for g in "$r"/explore/*.grade; do
                run=$(basename "$g" .grade)
                printf '%s\t%s\t%s\n' "$run" "$(cut -f1,2 "$g")" \
                    "$(cat "$r/explore/$run.cfg" 2> /dev/null | grep -c '^ *BEGIN_CFG' || true)"
            done >> "$tmp"
            changed+=($(update "$tmp" "$out/round-$nnn.explore.tsv")); rm -f "$tmp"
        fi
        if compgen -G "$r/labelled/*.failed" > /dev/null; then
            tmp=$(mktemp)
            for f in "$r"/labelled/*.failed; do printf '%s\t%s\n' "$(basename "$f" .failed)" "$(cut -f2- "$f" | head -1)"; done > "$tmp"
            changed+=($(update "$tmp" "$out/round-$nnn.failed")); rm -f "$tmp"
        fi
    done
    [ -s "$work/rounds.tsv" ] && changed+=($(update "$work/rounds.tsv" "$out/rounds.tsv"))
    # commit whatever in frames/rounds/ is not committed yet (also what an
    # earlier failed commit left, e.g. while another git command held the lock)
    if [ -n "$(git -C "$repo" status --porcelain -- "$out")" ]; then
        local n; n=$(cat "$out"/round-*.cfg 2>/dev/null | grep -c BEGIN_CFG || true)
        if git -C "$repo" add -- "$out" &&
           git -C "$repo" commit -q -m "active-learning campaign: $n labelled frames in ${out#$repo/} so far" -- "$out"; then
            echo "$(date -u +%FT%TZ) committed ($n frames): ${changed[*]}"
        else
            echo "$(date -u +%FT%TZ) commit failed; will try again" >&2
            [ "$every" -gt 0 ] || return 1
        fi
    fi
}

# --ship: the last finished round's potential, shipped and committed once per round
ship_once() {
    local last pot_dir=$repo/potentials/Li3PS4-beta-L16
    local d
    last=
    for d in "$work"/round-*; do
        if [ -s "$d/row.tsv" ] && [ -s "$d/pot.almtp" ]; then last=$(basename "$d"); fi
    done
    last=${last#round-}
    [ -n "$last" ] && [ "$((10#$last))" -ge 1 ] || return 0
    if ! cmp -s "$work/round-$last/pot.almtp" "$pot_dir/Li3PS4-beta-L16.almtp"; then
        bash "$here/ship.sh" "$work" "$((10#$last))" > "$work/ship.log" 2>&1 ||
            { echo "$(date -u +%FT%TZ) shipping round $((10#$last)) failed, see $work/ship.log; will try again" >&2; return 0; }
    fi
    # commit what is shipped and not committed yet (also after an earlier failed commit)
    [ -n "$(git -C "$repo" status --porcelain -- "$pot_dir")" ] || return 0
    if git -C "$repo" add -- "$pot_dir" &&
       git -C "$repo" commit -q -m "potentials/Li3PS4-beta-L16: re-shipped from campaign round $((10#$last)) (commit_campaign.sh --ship)" -- "$pot_dir"; then
        echo "$(date -u +%FT%TZ) shipped round $((10#$last)) into ${pot_dir#$repo/}"
    else
        echo "$(date -u +%FT%TZ) commit of the shipped round $((10#$last)) failed; will try again" >&2
    fi
}

while :; do
    sync_once
    [ "$ship" = 0 ] || ship_once
    [ "$every" -gt 0 ] || break
    sleep "$every"
done
