#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest al_loop_restore (label al_loop): a loop whose scratch directory was lost continues from
# its committed frames (examples/li3ps4-beta/restore_campaign.sh) and ends with the dataset of
# the uninterrupted run, without labelling a committed frame again.
#
#   test_restore.sh BIN SRC WORK      (WORK/ref: the converged run of al_loop_converge)
#
# From WORK/ref it lays out what commit_campaign.sh would have committed when the scratch was
# lost in the middle of labelling round L (the last round that selected >= 2 frames): seed.cfg,
# rounds/round-001..L-1.cfg, rounds.tsv of rounds 0..L-1, and round L's first labelled frame.
# Then: restore with round L-2's potential is refused (wrong round); restore with round L-1's
# potential, `make demo` again: round L labels all its frames but the committed one, which it
# takes from known-labels.cfg, and the rounds and training set equal the reference's.  The
# committed round L also holds a frame round L does not select again (one of round 1's): the loop
# stops before training round L and names it, and goes on once known-labels.cfg is removed.
# Last, the whole converged reference restored stays converged (nothing explored again).
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
EX=$SRC/examples/active_learning
RESTORE=$SRC/examples/li3ps4-beta/restore_campaign.sh
KEYS=$(cd "$(dirname "$0")" && pwd)/frame_keys.sh
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
for p in mtp lmp_mtp mtp-label; do [ -x "$BIN/$p" ] || skip "$BIN/$p not built"; done
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 (reuse_labelled.py) not found"
REF=$WORK/ref
[ -s "$REF/rounds.tsv" ] || fail "no reference run in $REF (the al_loop_converge test)"

# round L: the last round with >= 2 selected frames (so one is committed and one is not)
L=$(awk -F'\t' 'NR > 2 && $4 >= 2 { r = $1 } END { print r }' "$REF/rounds.tsv")
[ -n "$L" ] && [ "$L" -ge 2 ] || skip "the reference run has no round >= 2 that selected 2 frames"
LLL=$(printf %03d "$L")
D=$WORK/restore; rm -rf "$D"; mkdir -p "$D/frames/rounds"
cat "$REF"/round-000/labelled/[0-9]*.cfg > "$D/frames/seed.cfg"
for r in $(seq 1 $((L - 1))); do
    cat "$REF"/round-$(printf %03d "$r")/labelled/[0-9]*.cfg > "$D/frames/rounds/round-$(printf %03d "$r").cfg"
done
awk -F'\t' -v l="$L" 'NR == 1 || $1 < l' "$REF/rounds.tsv" > "$D/frames/rounds/rounds.tsv"
cat "$REF/round-$LLL/labelled/000.cfg" "$REF/round-001/labelled/000.cfg" > "$D/frames/rounds/round-$LLL.cfg"
sel=$(grep -c BEGIN_CFG "$REF/round-$LLL/selected.cfg")

# the wrong round's potential is refused
prev2=$REF/round-$(printf %03d $((L - 2)))/pot.almtp
if MTP=$BIN/mtp bash "$RESTORE" "$D/wrong" "$prev2" --frames="$D/frames" > "$D/wrong.log" 2>&1; then
    fail "restore accepted round $((L - 2))'s potential as round $((L - 1))'s"
fi
grep -q "is not round $((L - 1))'s potential" "$D/wrong.log" || { cat "$D/wrong.log"; fail "no reason given for refusing the potential"; }
! compgen -G "$D/wrong/round-*" > /dev/null || fail "a refused restore left rounds in $D/wrong"

# nor while a make of the loop holds WORKDIR's lock
mkdir -p "$D/run"; flock "$D/run/.lock" sleep 3 & sleep 0.5
if MTP=$BIN/mtp bash "$RESTORE" "$D/run" "$REF/round-$(printf %03d $((L - 1)))/pot.almtp" --frames="$D/frames" > "$D/locked.log" 2>&1; then
    fail "restore ran beside a loop holding $D/run/.lock"
fi
grep -q "a make of the loop is running there" "$D/locked.log" || { cat "$D/locked.log"; fail "no reason given for refusing a locked WORKDIR"; }
wait
MTP=$BIN/mtp bash "$RESTORE" "$D/run" "$REF/round-$(printf %03d $((L - 1)))/pot.almtp" --frames="$D/frames" > "$D/restore.log" 2>&1 ||
    { cat "$D/restore.log"; fail "restore failed"; }
# a second restore into the same directory is refused (nothing overwritten)
if MTP=$BIN/mtp bash "$RESTORE" "$D/run" "$REF/round-$(printf %03d $((L - 1)))/pot.almtp" --frames="$D/frames" > /dev/null 2>&1; then
    fail "restore into a directory with rounds was not refused"
fi

demo() { make -C "$EX" demo WORKDIR="$D/run" MTP="$BIN/mtp" LMP="$BIN/lmp_mtp" MTP_LABEL="$BIN/mtp-label" -j2; }
demo > "$D/run.log" 2>&1 && fail "round $L trained although a committed frame of it was not selected again"
grep -q "round $L: 1 of the 2 frames of .*known-labels.cfg were not selected again" "$D/run.log" ||
    { tail -30 "$D/run.log"; fail "no message naming the committed frame round $L did not select again"; }
[ "$("$KEYS" "$REF/round-001/labelled/000.cfg")" = "$("$KEYS" "$D/run/round-$LLL/known-labels.unused.cfg")" ] ||
    fail "known-labels.unused.cfg is not the frame that was not selected again"
[ ! -e "$D/run/round-$LLL/train.cfg" ] || fail "round $L has a train.cfg without the unused committed frame"
rm "$D/run/round-$LLL/known-labels.cfg"
demo >> "$D/run.log" 2>&1 || { tail -30 "$D/run.log"; fail "make demo after the restore failed"; }
grep -q "round $L: frame 000 was labelled before" "$D/run.log" || fail "round $L's committed frame 000 was not taken from known-labels.cfg"
[ -s "$D/run/round-$LLL/labelled/000.reused" ] || fail "labelled/000.reused missing"
[ "$("$KEYS" "$REF/round-$LLL/labelled/000.cfg")" = "$("$KEYS" "$D/run/round-$LLL/labelled/000.cfg")" ] ||
    fail "the reused frame differs from the committed one"
n=$(grep -c "round $L: labelling frame" "$D/run.log")
[ "$n" = $((sel - 1)) ] || fail "round $L labelled $n frames after the restore, expected $((sel - 1))"
grep -E "round [0-9]+: labelling frame" "$D/run.log" | awk -v l="$L" '{ r = $2; sub(":", "", r); if (r + 0 < l) bad = 1 } END { exit !bad }' &&
    fail "a restored round was labelled again"
cmp -s <(cut -f1-8 "$REF/rounds.tsv") <(cut -f1-8 "$D/run/rounds.tsv") || fail "rounds.tsv differs from the uninterrupted run's"
"$KEYS" "$REF/train.cfg" | sort > "$D/keys.ref"
"$KEYS" "$D/run/train.cfg" | sort > "$D/keys.restored"
cmp -s "$D/keys.ref" "$D/keys.restored" || fail "restored run's dataset differs from the uninterrupted one"

# the converged reference, restored whole, is converged: the last round selected nothing and has no
# committed frames, and the loop explores nothing again
K=$(awk -F'\t' 'END { print $1 }' "$REF/rounds.tsv")
[ -e "$REF/round-$(printf %03d "$K")/converged" ] || fail "the reference did not converge in its last round $K"
rm -rf "$D/frames/rounds"/round-*.cfg
for r in $(seq 1 "$K"); do
    ls "$REF"/round-$(printf %03d "$r")/labelled/[0-9]*.cfg > /dev/null 2>&1 &&
        cat "$REF"/round-$(printf %03d "$r")/labelled/[0-9]*.cfg > "$D/frames/rounds/round-$(printf %03d "$r").cfg"
done
cp "$REF/rounds.tsv" "$D/frames/rounds/rounds.tsv"
MTP=$BIN/mtp bash "$RESTORE" "$D/done" "$REF/round-$(printf %03d "$K")/pot.almtp" --frames="$D/frames" > "$D/done.log" 2>&1 ||
    { cat "$D/done.log"; fail "restore of the converged run failed"; }
make -C "$EX" demo WORKDIR="$D/done" MTP="$BIN/mtp" LMP="$BIN/lmp_mtp" MTP_LABEL="$BIN/mtp-label" > "$D/done-run.log" 2>&1 ||
    { tail -30 "$D/done-run.log"; fail "make demo after restoring the converged run failed"; }
grep -q "converged in round $K" "$D/done-run.log" || { tail "$D/done-run.log"; fail "the restored converged run did not stop at round $K"; }
! grep -q "exploring" "$D/done-run.log" || fail "the restored converged run explored again"
echo "PASS: restored rounds 0..$((L - 1)), round $L reused its committed frame and labelled the other $n; same $(wc -l < "$D/keys.ref") frames and rounds as the uninterrupted run"
