#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# (Re)build potentials/Li3PS4-beta-L16/ from the committed campaign frames and one
# round of the campaign (issue 9 item 4):
#
#   examples/li3ps4-beta/ship.sh CAMPAIGN_WORKDIR ROUND [TESTSET_DIR]
#   e.g. examples/li3ps4-beta/ship.sh /work/li3ps4-campaign/al 6 /work/li3ps4-campaign/testset
#
# Writes, each file atomically (into a temporary directory first, then moved):
#   train.cfg        frames/seed.cfg + frames/rounds/round-001..ROUND.cfg: exactly the training
#                    set of round ROUND (checked against CAMPAIGN_WORKDIR/round-ROUND/train.cfg
#                    and its train.log), with features al_round and al_source (which exploration
#                    run and frame the selection took it from) added to every frame
#   train.xyz        the same as extended XYZ (elements Li, P, S; read back by ASE)
#   test.cfg         the held-out frames labelled so far in TESTSET_DIR/label-jobs
#                    (testset/Makefile; without TESTSET_DIR: the committed frames/test.cfg)
#   Li3PS4-beta-L16.almtp   round ROUND's potential, with its active set (level 16 checked)
#   errors-train.txt, errors-test.txt   mtp check_errors (test: also per test_run)
#   README.md        provenance, round table, frame table, errors (ship_readme.py)
# CP2K outputs, wavefunctions and MD trajectories stay in the scratch directories.
set -euo pipefail
usage="usage: ship.sh CAMPAIGN_WORKDIR ROUND [TESTSET_DIR]"
work=$(cd "${1:?$usage}" && pwd)
round=${2:?$usage}
testset=${3:-}
[[ $round =~ ^[0-9]+$ ]] && [ "$round" -ge 1 ] || { echo "ship.sh: ROUND must be a round number >= 1, got '$round'" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mtp=${MTP:-$(command -v "$repo/build/bin/mtp" || command -v mtp)}
python=${PYTHON:-/usr/bin/python3}
name=Li3PS4-beta-L16
dst=$repo/potentials/$name
frames=$here/frames
nnn=$(printf %03d "$round")
rdir=$work/round-$nnn
fail() { echo "ship.sh: $*" >&2; exit 1; }
# run a command, showing its output only if it fails
quiet() { local out; out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; fail "failed: $*"; }; }

[ -s "$rdir/pot.almtp" ] || fail "$rdir/pot.almtp: no trained potential for round $round (is the round finished?)"
[ -s "$rdir/train.cfg" ] || fail "$rdir/train.cfg: missing"
[ -s "$frames/rounds/rounds.tsv" ] || fail "$frames/rounds/rounds.tsv: missing (commit_campaign.sh writes it)"
awk -F'\t' -v r="$round" 'NR > 1 && $1 == r { found = 1 } END { exit !found }' "$frames/rounds/rounds.tsv" ||
    fail "$frames/rounds/rounds.tsv has no row for round $round: commit the round first (commit_campaign.sh)"

tmp=$(mktemp -d "$repo/potentials/.$name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- the potential: the campaign's level-16 basis (cutoff 5.0, species 0,1,2)
quiet "$mtp" init --level 16 --species 0,1,2 --cutoff 5.0 -o "$tmp/level16.almtp"
basis() { LC_ALL=C awk '/^#/ { exit } { print }' "$1" | grep -E '^(species_count|radial_basis_size|radial_funcs_count|alpha_[a-z_]*|	max_dist) ' || true; }  # text part only
[ "$(basis "$rdir/pot.almtp")" = "$(basis "$tmp/level16.almtp")" ] ||
    fail "$rdir/pot.almtp is not a level-16 MTP with cutoff 5.0 and 3 species (its basis differs from mtp init --level 16)"
rm "$tmp/level16.almtp"
cp "$rdir/pot.almtp" "$tmp/$name.almtp"
grep -q '^#MVS' "$tmp/$name.almtp" || fail "$rdir/pot.almtp has no active set (#MVS section)"

# --- train.cfg: the committed frames of rounds 0 (seed) .. ROUND, annotated
annotated=$tmp/train.annotated.cfg
awk '/^END_CFG/ { print " Feature   al_round\t0"; print " Feature   al_source\tseed" } { print }' \
    "$frames/seed.cfg" > "$annotated"
for r in $(seq 1 "$round"); do
    rn=$(printf %03d "$r")
    cfg=$frames/rounds/round-$rn.cfg log=$frames/rounds/round-$rn.select.log
    [ -s "$cfg" ] || fail "$cfg: missing (round $r not committed yet)"
    [ -s "$log" ] || fail "$log: missing"
    n_cfg=$(grep -c BEGIN_CFG "$cfg")
    # sources in selection order: "chosen DIR/explore/RUN.cfg:FRAME grade G"
    sources=$(awk '$1 == "chosen" { s = $2; sub(/.*\//, "", s); sub(/_n[0-9]+\.cfg:/, ":", s); print s }' "$log")
    n_src=$(printf '%s\n' "$sources" | grep -c . || true)
    failed=$frames/rounds/round-$rn.failed
    if [ -s "$failed" ]; then
        # labelled/NNN.cfg numbering has gaps: keep the sources of the frames that were labelled
        sources=$(printf '%s\n' "$sources" | awk -v f="$failed" 'BEGIN { while ((getline l < f) > 0) { split(l, a, "\t"); bad[a[1] + 0] = 1 } }
                                                                 !((NR - 1) in bad)')
        n_src=$(printf '%s\n' "$sources" | grep -c . || true)
    fi
    [ "$n_src" = "$n_cfg" ] || fail "$cfg has $n_cfg frames but $log names $n_src chosen frames"
    printf '%s\n' "$sources" | awk -v r="$r" -v cfg="$cfg" '
        { src[NR] = $0 }
        END { i = 0; while ((getline l < cfg) > 0) {
                  if (l ~ /^END_CFG/) { i++; print " Feature   al_round\t" r; print " Feature   al_source\t" src[i] }
                  print l } }' >> "$annotated"
done
quiet "$mtp" convert "$annotated" "$tmp/train.cfg" --no_loss
rm "$annotated"

# exactly the round's training set: same number of frames as the round table and the
# campaign's train.cfg / train.log, and frame by frame the same atoms, energy and cell
n_train=$(grep -c BEGIN_CFG "$tmp/train.cfg")
want=$(awk -F'\t' -v r="$round" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "train_size") c = i }
                                 NR > 1 && $1 == r { print $c }' "$frames/rounds/rounds.tsv")
[ "$n_train" = "$want" ] || fail "train.cfg: $n_train frames, the round table says train_size $want for round $round"
if [ -s "$rdir/train.log" ]; then
    logged=$(sed -n 's/^# training: \([0-9]*\) configurations.*/\1/p' "$rdir/train.log" | head -1)
    [ -z "$logged" ] || [ "$logged" = "$n_train" ] || fail "train.cfg: $n_train frames, $rdir/train.log trained on $logged"
fi
"$python" "$here/ship_readme.py" --compare "$tmp/train.cfg" "$rdir/train.cfg" ||
    fail "train.cfg (committed frames) differs from $rdir/train.cfg (the round's training set)"

# --- train.xyz (extended XYZ, element names), read back by ASE
quiet "$mtp" convert "$tmp/train.cfg" "$tmp/train.xyz" --output_format=xyz --type_order=Li,P,S
"$python" - "$tmp/train.xyz" "$n_train" <<'PY'
import sys
import ase.io
frames = ase.io.read(sys.argv[1], index=":")
n = int(sys.argv[2])
assert len(frames) == n, "train.xyz: ASE read %d frames, expected %d" % (len(frames), n)
for a in frames:
    a.get_potential_energy(), a.get_forces(), a.get_stress()
    assert set(a.get_chemical_symbols()) <= {"Li", "P", "S"}, a.get_chemical_symbols()
print("train.xyz: ASE reads %d frames with energy, forces and stress" % len(frames))
PY

# --- test.cfg: the held-out frames labelled so far
if [ -n "$testset" ]; then
    [ -d "$testset/label-jobs" ] || fail "$testset/label-jobs: not a test-set directory (testset/Makefile)"
    quiet env MTP="$mtp" "$here/collect_frames.sh" "$testset/label-jobs" "$tmp/test.cfg"
elif [ -s "$frames/test.cfg" ]; then
    cp "$frames/test.cfg" "$tmp/test.cfg"   # the committed copy of the test-set labelling
else
    fail "no test set: give TESTSET_DIR (testset/Makefile's WORKDIR) or commit frames/test.cfg"
fi
n_test=$(grep -c BEGIN_CFG "$tmp/test.cfg")

# --- errors
"$mtp" check_errors "$tmp/$name.almtp" "$tmp/train.cfg" > "$tmp/errors-train.txt" 2>&1 ||
    { cat "$tmp/errors-train.txt" >&2; fail "mtp check_errors failed on train.cfg"; }
"$mtp" check_errors "$tmp/$name.almtp" "$tmp/test.cfg" --group_by=test_run > "$tmp/errors-test.txt" 2>&1 ||
    { cat "$tmp/errors-test.txt" >&2; fail "mtp check_errors failed on test.cfg"; }

# --- README
"$python" "$here/ship_readme.py" --dir "$tmp" --round "$round" --campaign "$work" \
    --frames "$frames" --testset "${testset:-}" > "$tmp/README.md.tmp"
mv "$tmp/README.md.tmp" "$tmp/README.md"

mkdir -p "$dst"
for f in "$name.almtp" train.cfg train.xyz test.cfg errors-train.txt errors-test.txt README.md; do
    mv "$tmp/$f" "$dst/$f"
done
echo "ship.sh: $dst: round $round, $n_train training frames, $n_test test frames"
grep -A3 '^| set |' "$dst/README.md" || true
