#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Rebuild the campaign's scratch WORKDIR from what is committed, after the scratch directory was
# lost (a new machine, a wiped disk), so that campaign.mk continues with the next round instead of
# relabelling everything from the seed.  The inverse of commit_campaign.sh:
#
#   examples/li3ps4-beta/restore_campaign.sh WORKDIR [POT] [--frames=DIR]
#   make -f examples/li3ps4-beta/campaign.mk WORKDIR=WORKDIR      # continues
#
# From frames/rounds/rounds.tsv (rounds 0..K finished) and frames/seed.cfg + round-*.cfg it writes
#   round-NNN/row.tsv          for every finished round: its line of rounds.tsv, so the loop
#                              counts the round as done (it never looks inside a done round)
#   round-K/train.cfg          seed + rounds 1..K: the training set of round K (frame count
#                              checked against rounds.tsv)
#   round-K/pot.almtp          POT (default potentials/Li3PS4-beta-L16/, which ship.sh copies from
#                              a campaign round), accepted only if its training errors on that
#                              train.cfg are round K's errors in rounds.tsv: so it is round K's
#                              potential and not another round's
#   round-K+1/known-labels.cfg the frames of the unfinished round K+1 committed so far: the loop
#                              explores round K+1 again (its MD seeds are fixed by run name and
#                              round, so it repeats the trajectories) and takes every frame it
#                              selects again from there instead of relabelling it
#                              (active_learning/reuse_labelled.py); a frame of it that the round
#                              does not select again stops the round before training (round.mk)
#   round-K/converged          when round K selected nothing (the loop stops there)
# WORKDIR must not hold rounds yet (nothing there is overwritten).  --frames=DIR reads another
# directory laid out as frames/ (seed.cfg, rounds/); the tests restore a stand-in loop that way.
set -euo pipefail
usage="usage: restore_campaign.sh WORKDIR [POT] [--frames=DIR]"
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
frames=$here/frames
args=()
for arg in "$@"; do
    case "$arg" in
    --frames=*) frames=${arg#--frames=} ;;
    -*) echo "restore_campaign.sh: unknown option $arg; $usage" >&2; exit 2 ;;
    *) args+=("$arg") ;;
    esac
done
[ ${#args[@]} -ge 1 ] && [ ${#args[@]} -le 2 ] || { echo "$usage" >&2; exit 2; }
work=${args[0]}
pot=${args[1]:-$repo/potentials/Li3PS4-beta-L16/Li3PS4-beta-L16.almtp}
fail() { echo "restore_campaign.sh: $*" >&2; exit 1; }
# (under set -e a failing $(command -v ...) would end the script without a word)
mtp=${MTP:-$(command -v "$repo/build/bin/mtp" || command -v mtp || true)}
[ -n "$mtp" ] && [ -x "$mtp" ] || fail "no mtp program ($repo/build/bin/mtp, PATH or MTP=)"
rounds=$frames/rounds
tsv=$rounds/rounds.tsv
frames_in() { grep -c '^ *BEGIN_CFG' "$1" || true; }

[ -s "$tsv" ] || fail "$tsv: no committed round table"
[ -s "$pot" ] || fail "$pot: no potential"
# the loop's lock (active_learning/Makefile), held until the rounds are in place, so that a loop
# started meanwhile in WORKDIR neither runs beside the restore nor gets rounds moved into its own
mkdir -p "$work"
exec 9>> "$work/.lock"
flock -n 9 || fail "$work: a make of the loop is running there (it holds $work/.lock)"
if compgen -G "$work/round-*" > /dev/null; then
    fail "$work already holds rounds (round-*); restore only into a new or empty WORKDIR"
fi
head -1 "$tsv" | grep -q '^round	explored	candidates	selected	labelled	failed	max_grade	train_size	train_energy_mae	train_force_mae' ||
    fail "$tsv:1: expected the loop's header (round explored candidates ... train_force_mae)"

# the finished rounds must be 0, 1, ..., K in order, each with all its committed frames (as many
# as its labelled column; a round whose every frame failed, or that selected none, has no file)
[ -s "$frames/seed.cfg" ] || fail "$frames/seed.cfg: no committed seed frames"
last=-1 line=1
while IFS=$'\t' read -r r _ _ _ labelled _ _ size _; do
    line=$((line + 1))
    [[ $r =~ ^[0-9]+$ ]] || fail "$tsv:$line: expected a round number, got '$r'"
    [ "$r" -eq $((last + 1)) ] || fail "$tsv:$line: round $r follows round $last"
    last=$r
    if [ "$r" -gt 0 ]; then
        f=$rounds/round-$(printf %03d "$r").cfg
        got=0; [ ! -e "$f" ] || got=$(frames_in "$f")
        [ "$got" = "$labelled" ] ||
            fail "$f: $got frames committed, but round $r is finished with $labelled labelled ($tsv:$line)"
    else
        got=$(frames_in "$frames/seed.cfg")
        [ "$got" = "$size" ] || fail "$frames/seed.cfg: $got frames, but round 0 trained on $size ($tsv:$line)"
    fi
done < <(tail -n +2 "$tsv")
[ "$last" -ge 1 ] || fail "$tsv: no finished round after the seed; start the campaign afresh instead"
K=$last
KKK=$(printf %03d "$K")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/restore.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for r in $(seq 0 "$K"); do
    mkdir -p "$tmp/round-$(printf %03d "$r")"
    awk -F'\t' -v r="$r" 'NR > 1 && $1 == r' "$tsv" > "$tmp/round-$(printf %03d "$r")/row.tsv"
done
train=$tmp/round-$KKK/train.cfg
cat "$frames/seed.cfg" $(for r in $(seq 1 "$K"); do f=$rounds/round-$(printf %03d "$r").cfg; [ ! -e "$f" ] || echo "$f"; done) > "$train"
n=$(frames_in "$train")
want=$(cut -f8 "$tmp/round-$KKK/row.tsv")
[ "$n" = "$want" ] || fail "seed + rounds 1..$K hold $n frames, but rounds.tsv gives round $K a training set of $want"

# POT is round K's potential if it reproduces round K's training errors (as printed in rounds.tsv)
cp "$pot" "$tmp/round-$KKK/pot.almtp"
if ! errs=$(bash "$here/../active_learning/round_errors.sh" "$mtp" "$tmp/round-$KKK/pot.almtp" "$train" "" "$tmp" 2> "$tmp/errors.log"); then
    cat "$tmp/errors.log" >&2
    fail "mtp check_errors of $pot on round $K's training set failed"
fi
got=$(printf '%s\n' "$errs" | cut -f1,2)
want=$(cut -f9,10 "$tmp/round-$KKK/row.tsv")
[ "$(printf '%s' "$got" | awk -F'\t' '{ printf "%.4f %.4f", $1, $2 }')" = \
  "$(printf '%s' "$want" | awk -F'\t' '{ printf "%.4f %.4f", $1, $2 }')" ] ||
    fail "$pot is not round $K's potential: its training errors (energy, forces) are $got, rounds.tsv has $want"
rm -f "$tmp"/errors-*.txt "$tmp/errors.log" "$tmp/convert.log"

# the loop stops at a round marked converged (it selected nothing); the marker is not in rounds.tsv
[ "$(cut -f4 "$tmp/round-$KKK/row.tsv")" != 0 ] || touch "$tmp/round-$KKK/converged"
next=$rounds/round-$(printf %03d $((K + 1))).cfg
# committed frames of later rounds cannot be reused (only round K+1 is explored again from round K)
for f in "$rounds"/round-[0-9][0-9][0-9].cfg; do
    [ -e "$f" ] || continue
    r=$(basename "$f" .cfg); r=$((10#${r#round-}))
    [ "$r" -le $((K + 1)) ] || fail "$f: committed frames of round $r, but rounds.tsv ends at round $K, so only round $((K + 1)) can be taken up again (is $tsv the one committed with them?)"
done
if [ -s "$next" ]; then
    mkdir -p "$tmp/round-$(printf %03d $((K + 1)))"
    "$mtp" convert "$next" "$tmp/round-$(printf %03d $((K + 1)))/known-labels.cfg" --no_loss > "$tmp/convert.log" 2>&1 ||
        { cat "$tmp/convert.log" >&2; fail "$next: not a readable cfg file"; }
fi
echo "restored from $(git -C "$repo" rev-parse HEAD 2>/dev/null || echo '(not a git checkout)') on $(date -u +%FT%TZ): rounds 0..$K, potential $pot" > "$tmp/restored"

for d in "$tmp"/round-*; do mv "$d" "$work/"; done
mv "$tmp/restored" "$work/restored"
echo "restore_campaign.sh: $work holds rounds 0..$K (training set $n frames, round $K's potential)$([ -s "$next" ] && echo "; round $((K + 1)) will take its $(frames_in "$next") committed frames from known-labels.cfg as it selects them again (and stop before training if it does not)")"
