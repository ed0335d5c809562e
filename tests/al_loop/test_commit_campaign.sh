#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest al_loop_commit_campaign (label al_loop): examples/li3ps4-beta/commit_campaign.sh, which
# keeps every labelled frame of a running campaign in git, commits what it should and nothing
# else.  The script runs from a throw-away git repository (its copy at
# examples/li3ps4-beta/, as in the real tree) against a copy of the converged reference loop of
# al_loop_converge:
#   * one commit that touches only --out: per round >= 1 the labelled frames in frame order, the
#     selection log, the exploration table; rounds.tsv; round 0 (the seed) is not written, other
#     changes of the work tree (tracked or not) are not committed;
#   * run again with nothing new: no commit;
#   * a frame labelled since (and one still being written, NNN.tmp.cfg, and a failure record):
#     committed in a new commit, the temporary left out, the failure with its reason;
#   * a commit that cannot be made (another git command holds the index lock): exit 1, nothing
#     lost: the next run commits it.
#   test_commit_campaign.sh BIN SRC WORK
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
[ -x "$BIN/mtp" ] || skip "$BIN/mtp not built"
command -v git > /dev/null || skip "git not found"
REF=$WORK/ref
[ -s "$REF/rounds.tsv" ] || fail "no reference run in $REF (the al_loop_converge test)"

D=$WORK/commit-campaign; rm -rf "$D"; mkdir -p "$D"
R=$D/repo; S=$D/scratch
mkdir -p "$R/examples/li3ps4-beta" "$R/examples/active_learning"
cp "$SRC/examples/li3ps4-beta/commit_campaign.sh" "$R/examples/li3ps4-beta/"
cp "$SRC/examples/active_learning/reuse_labelled.py" "$R/examples/active_learning/"
echo "tracked" > "$R/tracked.txt"
g() { git -C "$R" "$@"; }
g init -q && g config user.email test@openmtp && g config user.name test &&
    g add -A && g commit -qm base || fail "cannot set up the test repository"
echo "changed, not to be committed" >> "$R/tracked.txt"
g add tracked.txt # staged: a commit without the --out pathspec would take it
echo "untracked" > "$R/untracked.txt"
cp -r "$REF" "$S"
# the last round with >= 2 labelled frames: its last frame arrives after the first commit
L=$(for r in "$S"/round-*/; do n=$(ls "$r"labelled/[0-9]*.cfg 2> /dev/null | wc -l); [ "$n" -ge 2 ] && basename "$r"; done | tail -1)
[ -n "$L" ] && [ "$L" != round-000 ] || skip "the reference run has no round >= 1 with 2 labelled frames"
LAST=$(ls "$S/$L"/labelled/[0-9]*.cfg | tail -1)
mv "$LAST" "$D/held-back.cfg"

OUT=$R/examples/li3ps4-beta/frames/rounds
run() { MTP=$BIN/mtp "$R/examples/li3ps4-beta/commit_campaign.sh" "$S" --out=frames/rounds > "$D/$1.log" 2>&1; }
frames() { grep -c BEGIN_CFG "$1" 2> /dev/null || echo 0; }
energies() { awk '/^ *Energy/ { getline; print $1 }' "$@"; }
commits() { g rev-list --count HEAD; }

# --- first run: everything so far, one commit, only OUT
run first || fail "first run: exit $? ($(cat "$D/first.log"))"
[ "$(commits)" = 2 ] || fail "first run: $(commits) commits, expected base + 1"
g show --name-only --format= HEAD | grep -v '^examples/li3ps4-beta/frames/rounds/' | grep . &&
    fail "the commit touches files outside --out"
g status --porcelain | grep -q '^M  tracked.txt' || fail "the staged change of another file was committed"
g status --porcelain | grep -q '^?? untracked.txt' || fail "the untracked file was committed"
[ -e "$OUT/round-000.cfg" ] && fail "round 0 (the seed) was written"
cmp -s "$REF/rounds.tsv" "$OUT/rounds.tsv" || fail "rounds.tsv differs from the loop's"
checked=0
for r in "$S"/round-*/; do
    nnn=$(basename "$r"); nnn=${nnn#round-}; [ "$nnn" = 000 ] && continue
    n=$(ls "$r"labelled/[0-9]*.cfg 2> /dev/null | wc -l)
    if [ "$n" = 0 ]; then [ -e "$OUT/round-$nnn.cfg" ] && fail "round $nnn: a frame file without labelled frames"; continue; fi
    [ "$(frames "$OUT/round-$nnn.cfg")" = "$n" ] || fail "round $nnn: $(frames "$OUT/round-$nnn.cfg") frames committed, $n labelled"
    [ "$(energies "$OUT/round-$nnn.cfg")" = "$(energies "$r"labelled/[0-9]*.cfg)" ] ||
        fail "round $nnn: the committed energies are not the labelled frames' in frame order"
    cmp -s "$r/select.log" "$OUT/round-$nnn.select.log" || fail "round $nnn: select.log differs"
    grades=$(ls "$r"explore/*.grade | wc -l)
    [ "$(head -1 "$OUT/round-$nnn.explore.tsv")" = "$(printf 'run\tgraded_steps\tmax_grade\tcandidates')" ] &&
        [ "$(($(wc -l < "$OUT/round-$nnn.explore.tsv") - 1))" = "$grades" ] ||
        fail "round $nnn: explore.tsv does not list the $grades exploration runs"
    checked=$((checked + 1))
done
[ "$checked" -ge 1 ] || fail "no round checked"
"$BIN/mtp" convert "$OUT/$L.cfg" "$D/check.cfg" --no_loss > /dev/null 2>&1 || fail "$L.cfg is not readable by mtp"

# --- nothing new: no commit
run again || fail "second run: exit $?"
[ "$(commits)" = 2 ] || fail "a run with nothing new made a commit"

# --- a frame labelled since, one being written, a failure
cp "$D/held-back.cfg" "$LAST"
head -c 200 "$D/held-back.cfg" > "${LAST%.cfg}.tmp.cfg"
printf '9\tnon-converged SCF after 50 steps\n' > "$S/$L/labelled/009.failed"
run new || fail "third run: exit $? ($(cat "$D/new.log"))"
[ "$(commits)" = 3 ] || fail "the new frame was not committed in a new commit"
n=$(ls "$S/$L"/labelled/[0-9]*.cfg | grep -vc '\.tmp\.cfg$')
[ "$(frames "$OUT/$L.cfg")" = "$n" ] || fail "$L: $(frames "$OUT/$L.cfg") frames committed, $n labelled (the temporary counted?)"
grep -q "^009	non-converged SCF after 50 steps$" "$OUT/$L.failed" || fail "$L.failed: $(cat "$OUT/$L.failed" 2>&1)"
g show --name-only --format= HEAD | grep -q "frames/rounds/$L.failed" || fail "the failure record was not committed"

# --- the index is locked by another git command: exit 1, the next run commits
rm "${LAST%.cfg}.tmp.cfg"
printf '8\tcp2k exited with status 137\n' > "$S/$L/labelled/008.failed"
touch "$R/.git/index.lock"
run locked && fail "a failed commit exits 0"
[ "$(commits)" = 3 ] || fail "a commit was made under the index lock"
rm "$R/.git/index.lock"
run unlocked || fail "run after the lock: exit $?"
[ "$(commits)" = 4 ] && grep -q "^008	" "$OUT/$L.failed" &&
    [ -z "$(g status --porcelain -- examples/li3ps4-beta/frames)" ] || fail "what the locked run could not commit was not committed next time"
echo "commit_campaign.sh: $checked rounds committed as labelled; no commit without news; temporaries left out; failed commit retried"
