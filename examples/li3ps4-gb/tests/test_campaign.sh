#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest gb_campaign_smoke (label gb): one round of the grain-boundary active-learning campaign
# (campaign.mk) with everything but CP2K, on two boundaries at 300 K with short runs:
#   round 0 is exactly the committed bulk frames; round 1 explores each boundary in its own run
#   (heating from HEAT_FROM first), selects frames and offers them whole to CP2K (no cut: see
#   cut-check/README.md); the labeller (SUBMIT=false) fails on every frame and the round
#   records it.
#   test_campaign.sh BIN SRC WORK
set -uo pipefail
BIN=$1 SRC=$2 WORK=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
for p in mtp lmp_mtp mtp-label; do [ -x "$BIN/$p" ] || skip "$BIN/$p not built"; done
/usr/bin/python3 -c 'import pymatgen.analysis.gb.grain' 2> /dev/null || skip "python3-pymatgen not installed"
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
D=$WORK/run
make -f "$SRC/examples/li3ps4-gb/campaign.mk" WORKDIR="$D" MTP="$BIN/mtp" MTP_BIN="$BIN/mtp" LMP="$BIN/lmp_mtp" \
  MTP_LABEL="$BIN/mtp-label" GB_NAMES="S5-010-010-twist S3-110-111-tilt" TEMPS=300 HEAT_STEPS=20 MD_STEPS=30 \
  TRAIN_OPTS="--iteration_limit=1 --seed=1" THRESHOLD_SAVE=1.1 SUBMIT=false MAX_ROUNDS=1 > "$WORK/run.log" 2>&1
rc=$?
[ $rc = 0 ] || grep -q "not converged after MAX_ROUNDS=1" "$WORK/run.log" || { tail -30 "$WORK/run.log"; fail "campaign.mk failed (exit $rc)"; }
# round 0: every committed frame (bulk, and boundary frames of earlier runs)
F=$SRC/examples/li3ps4-beta/frames
want=$(cat "$F/seed.cfg" "$F"/rounds/round-*.cfg $(ls "$F"/rounds-large*/round-*.cfg \
       "$SRC"/examples/li3ps4-gb/frames/rounds*/round-*.cfg 2> /dev/null) | grep -c BEGIN_CFG)
[ "$(grep -c BEGIN_CFG "$D/round-000/train.cfg")" = "$want" ] || fail "round 0 trained on $(grep -c BEGIN_CFG "$D/round-000/train.cfg") frames, $want are committed"
# round 1: one run per boundary, each on its own cell, heated first
for b in S5-010-010-twist S3-110-111-tilt; do
  r=$D/round-001/explore/T300_s1.00_n1_c$b.run
  [ -s "$r/log.lammps" ] || fail "no exploration run for $b"
  grep -q "read_data .*/cells/$b.lmp" "$r/log.lammps" || fail "run _c$b did not read its boundary's cell"
  grep -q "nvt temp 50 300" "$r/log.lammps" || fail "run _c$b was not heated from 50 K"
done
n=$(grep -c BEGIN_CFG "$D/round-001/selected.cfg")
[ "$n" -ge 1 ] || fail "round 1 selected nothing (threshold 1.1)"
[ ! -e "$D/round-001/cut.cfg" ] || fail "the campaign cut cells although CUT is off by default"
# every frame to label is a whole bicrystal (the atom count of one of the two boundary cells)
sizes=" $(for b in S5-010-010-twist S3-110-111-tilt; do awk '/Size/ { getline; printf "%s ", $1; exit }' "$D/cells/$b.cfg"; done)"
for f in "$D"/round-001/frames/[0-9]*.cfg; do
  atoms=$(awk '/Size/ { getline; print $1; exit }' "$f")
  case "$sizes" in *" $atoms "*) ;; *) fail "$f: $atoms atoms, not a whole boundary cell ($sizes)" ;; esac
  grep -q force_weight "$f" && fail "$f: per-atom force weights in a whole cell"
  grep -q '^ *PERIODIC XYZ' "$D"/round-001/label-jobs/$(basename "$f" .cfg)/*/label.inp 2> /dev/null ||
    fail "$f: no periodic CP2K input was written"
done
awk -F'\t' -v n="$n" 'NR == 3 { exit !($4 == n && $6 == n && $5 == 0) }' "$D/rounds.tsv" ||
  fail "rounds.tsv round 1 does not record $n selected and failed frames: $(sed -n 3p "$D/rounds.tsv")"
echo "PASS: round 0 = $want committed frames; round 1 explored 2 boundaries and offered $n whole cells of $(awk '/Size/ { getline; printf "%s ", $1 }' "$D"/round-001/frames/[0-9]*.cfg)atoms to CP2K"
