#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest (label al_loop): the active-learning loop of examples/active_learning
# run with the classical stand-in labeller (mtp-label lammps, Tersoff SiC).
#
#   test_al_loop.sh converge BIN SRC WORK   the demo runs to convergence
#   test_al_loop.sh resume   BIN SRC WORK   kill -9 while labelling, `make` again:
#                                           same dataset as the `converge` run
#   test_al_loop.sh failed   BIN SRC WORK   a labeller failing on some frames:
#                                           left out, counted in rounds.tsv `failed`
#   test_al_loop.sh check    BIN SRC DIR    the checks of a converged run, on DIR
# BIN: directory with mtp, lmp_mtp, mtp-label; SRC: the repository;
# WORK: scratch directory (converge writes WORK/ref, which resume compares with).
set -uo pipefail
MODE=$1 BIN=$2 SRC=$3 WORK=$4
HERE=$(cd "$(dirname "$0")" && pwd)
EX=$SRC/examples/active_learning
KEYS=$HERE/frame_keys.sh

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

for p in mtp lmp_mtp mtp-label; do
  [ -x "$BIN/$p" ] || skip "$BIN/$p not built (the loop needs mtp, lmp_mtp and mtp-label)"
done
"$BIN/mtp" help select_add > /dev/null 2>&1 || skip "this mtp has no select_add command"
command -v lmp > /dev/null || skip "Debian's lmp (needed by tools/make-dataset.sh) not found"

# The loop's settings are the demo defaults; tests only point it at the build.
loop() { # loop DIR [make arguments...]
  local dir=$1; shift
  make -C "$EX" demo WORKDIR="$dir" MTP="$BIN/mtp" LMP="$BIN/lmp_mtp" MTP_LABEL="$BIN/mtp-label" -j2 "$@"
}

col() { # col FILE NAME: the column NAME of rounds.tsv, one value per round
  awk -F'\t' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; if (!c) exit 1; next }
                           { print $c }' "$1" || fail "$1 has no column $2"
}

# Checks that hold for every finished run in DIR (converged or not).
check_consistent() {
  local dir=$1 tsv=$1/rounds.tsv
  [ -s "$tsv" ] || fail "$tsv missing"
  local want="round explored candidates selected labelled failed max_grade train_size train_energy_mae train_force_mae valid_energy_mae valid_force_mae"
  [ "$(head -1 "$tsv" | tr '\t' ' ')" = "$want" ] || fail "$tsv header: $(head -1 "$tsv")"
  awk -F'\t' 'NR > 1 && NF != 12 { exit 1 }' "$tsv" || fail "$tsv: a row without 12 columns"
  # one row per round, rounds 0, 1, 2, ... in order, and one per round directory
  [ "$(col "$tsv" round | tr '\n' ' ')" = "$(seq -s ' ' 0 $(($(wc -l < "$tsv") - 2))) " ] ||
    fail "$tsv: rounds are not 0..N once each"
  [ "$(ls -d "$dir"/round-*/ | wc -l)" = "$(($(wc -l < "$tsv") - 1))" ] || fail "round directories != rows of $tsv"
  # selected = labelled + failed; the training set grows by the labelled frames
  awk -F'\t' 'NR > 1 { if ($4 != $5 + $6) { print "round " $1 ": selected " $4 " != labelled " $5 " + failed " $6; exit 1 }
                       if ($8 != prev + $5) { print "round " $1 ": train_size " $8 " != " prev " + " $5; exit 1 }
                       prev = $8 }' "$tsv" || fail "$tsv inconsistent"
  # the errors are numbers (validation set: the demo's)
  awk -F'\t' 'NR > 1 { for (i = 9; i <= 12; i++) if ($i !~ /^[0-9.]+$/) exit 1 }' "$tsv" ||
    fail "$tsv: error columns are not numbers"
  awk -F'\t' 'NR > 2 && !($7 + 0 > 0) { exit 1 }' "$tsv" || fail "$tsv: max_grade missing in a round > 0"
  local last
  last=$(ls -d "$dir"/round-*/ | tail -1)
  # every frame of the final training set once, labelled (energy + forces)
  local n; n=$(grep -c BEGIN_CFG "$last/train.cfg")
  [ "$n" = "$(col "$tsv" train_size | tail -1)" ] || fail "$last/train.cfg has $n frames, rounds.tsv says otherwise"
  [ "$(grep -c '^ *Energy' "$last/train.cfg")" = "$n" ] || fail "$last/train.cfg: a frame without energy"
  grep -q 'AtomData:.* fx  *fy  *fz' "$last/train.cfg" || fail "$last/train.cfg: no forces"
  local dups; dups=$("$KEYS" "$last/train.cfg" | sort | uniq -d | wc -l)
  [ "$dups" = 0 ] || fail "$last/train.cfg holds $dups duplicated frames"
  # ... and it is the concatenation of the rounds' labelled frames
  "$KEYS" "$last/train.cfg" > "$dir/keys.train"
  "$KEYS" $(ls "$dir"/round-*/labelled/*.cfg) > "$dir/keys.labelled"
  cmp -s "$dir/keys.train" "$dir/keys.labelled" || fail "$last/train.cfg != the labelled frames of all rounds"
  if /usr/bin/python3 -c 'import matplotlib' 2> /dev/null; then
    [ "$(head -c 4 "$dir/rounds.png" | tail -c 3)" = PNG ] || fail "$dir/rounds.png is not a PNG"
  fi
}

check_converged() {
  local dir=$1 tsv=$1/rounds.tsv
  check_consistent "$dir"
  [ "$(col "$tsv" selected | tail -1)" = 0 ] || fail "last round of $tsv selected frames"
  [ "$(col "$tsv" selected | sed 1d | head -n -1 | grep -c '^0$')" = 0 ] || fail "a round before the last selected nothing"
  awk -F'\t' 'END { if (!($7 + 0 < 2)) exit 1 }' "$tsv" || fail "last round's max_grade is not below threshold_save 2"
  [ "$(wc -l < "$tsv")" -ge 3 ] || fail "converged without a single learning round"
  [ -s "$dir/train.cfg" ] || fail "$dir/train.cfg missing or empty"
  cmp -s "$dir/train.cfg" "$(ls -d "$dir"/round-*/ | tail -1)/train.cfg" || fail "$dir/train.cfg is not the last round's"
  [ -s "$dir/pot.almtp" ] || fail "$dir/pot.almtp missing"
}

case $MODE in
converge)
  rm -rf "$WORK/ref"; mkdir -p "$WORK"
  loop "$WORK/ref" > "$WORK/ref.log" 2>&1 || { tail -30 "$WORK/ref.log"; fail "make demo failed"; }
  check_converged "$WORK/ref"
  # a second `make` has nothing left to do: no file is rewritten
  touch "$WORK/ref.stamp"; sleep 1
  loop "$WORK/ref" > "$WORK/ref-again.log" 2>&1 || fail "second make demo failed"
  changed=$(find "$WORK/ref" -newer "$WORK/ref.stamp" -type f ! -name 'rounds.*' ! -name '*.log' | head -5)
  [ -z "$changed" ] || fail "a finished run was partly redone: $changed"
  cat "$WORK/ref/rounds.tsv"
  echo "PASS: converged in $(($(wc -l < "$WORK/ref/rounds.tsv") - 2)) rounds, $(grep -c BEGIN_CFG "$WORK/ref/train.cfg") frames"
  ;;

resume)
  [ -s "$WORK/ref/rounds.tsv" ] || fail "no reference run in $WORK/ref (the al_loop_converge test)"
  D=$WORK/resume; rm -rf "$D"; mkdir -p "$D"
  # First run: a labeller that stops (sleeps) once 3 frames of round 1 are
  # labelled - there we kill -9 the whole process group (make, its sub-makes,
  # the labellers), as a crash or a reboot would.
  cat > "$D/hold-label" << EOF
#!/bin/bash
out=\$3
case \$out in */round-001/labelled/*)
  done=\$(ls "\$(dirname "\$out")" | grep -c '^[0-9]*\.cfg\$')
  if [ "\$done" -ge 3 ]; then touch "$D/holding"; exec sleep 1000; fi;;
esac
exec "$BIN/mtp-label" "\$@"
EOF
  chmod +x "$D/hold-label"
  setsid make -C "$EX" demo WORKDIR="$D/run" MTP="$BIN/mtp" LMP="$BIN/lmp_mtp" MTP_LABEL="$D/hold-label" -j2 \
    > "$D/first.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do [ -e "$D/holding" ] && break; kill -0 $pid 2> /dev/null || break; sleep 0.5; done
  [ -e "$D/holding" ] || { kill -9 -- -$pid 2> /dev/null; tail "$D/first.log"; fail "the first run never reached round 1's labelling"; }
  sleep 1
  kill -9 -- -$pid; wait $pid 2> /dev/null
  sel=$(grep -c BEGIN_CFG "$D/run/round-001/selected.cfg")
  ls "$D/run/round-001/labelled/" | grep '^[0-9]*\.cfg$' | sort > "$D/done-before"
  [ "$(wc -l < "$D/done-before")" -ge 3 ] && [ "$(wc -l < "$D/done-before")" -lt "$sel" ] ||
    fail "kill did not land in the middle of labelling ($(wc -l < "$D/done-before") of $sel frames labelled)"
  [ ! -e "$D/run/round-001/train.cfg" ] || fail "round 1 trained before its frames were labelled"
  (cd "$D/run/round-001/labelled" && stat -c '%n %i %Y' $(cat "$D/done-before")) > "$D/stat-before"
  sleep 1
  # Second run: the ordinary labeller; it must only label what is missing.
  loop "$D/run" > "$D/second.log" 2>&1 || { tail -30 "$D/second.log"; fail "make demo after kill -9 failed"; }
  check_converged "$D/run"
  (cd "$D/run/round-001/labelled" && stat -c '%n %i %Y' $(cat "$D/done-before")) > "$D/stat-after"
  cmp -s "$D/stat-before" "$D/stat-after" || fail "frames labelled before the kill were labelled again"
  relabelled=$(grep -c "round 1: labelling frame" "$D/second.log")
  [ "$relabelled" = $((sel - $(wc -l < "$D/done-before"))) ] ||
    fail "after the kill $relabelled frames of round 1 were labelled, expected only the $((sel - $(wc -l < "$D/done-before"))) missing ones"
  "$KEYS" "$WORK/ref/train.cfg" | sort > "$D/keys.ref"
  "$KEYS" "$D/run/train.cfg" | sort > "$D/keys.resumed"
  cmp -s "$D/keys.ref" "$D/keys.resumed" ||
    fail "interrupted run's dataset differs from the uninterrupted one ($(comm -3 "$D/keys.ref" "$D/keys.resumed" | wc -l) frames differ)"
  cmp -s <(cut -f1-8 "$WORK/ref/rounds.tsv") <(cut -f1-8 "$D/run/rounds.tsv") ||
    fail "rounds.tsv differs from the uninterrupted run's"
  echo "PASS: killed with $(wc -l < "$D/done-before") of $sel round-1 frames labelled; resumed run labelled the other $relabelled; same $(wc -l < "$D/keys.ref") frames as the uninterrupted run"
  ;;

failed)
  D=$WORK/failed; rm -rf "$D"; mkdir -p "$D"
  # The labeller's LAMMPS (mtp-label --command) crashes on frames 001 and 004
  # of every round: each frame is labelled in its own job directory
  # label-jobs/NNN/, named in the LAMMPS input's path.
  cat > "$D/failing-lmp" << EOF
#!/bin/bash
case "\$*" in */label-jobs/001/*|*/label-jobs/004/*)
  echo "ERROR: simulated crash of the labelling code" >&2; exit 1;;
esac
exec lmp "\$@"
EOF
  chmod +x "$D/failing-lmp"
  loop "$D/run" MAX_ROUNDS=1 LABEL_OPTS="--command=$D/failing-lmp" > "$D/run.log" 2>&1
  rc=$?
  if [ $rc != 0 ] && ! grep -q "not converged after MAX_ROUNDS=1" "$D/run.log"; then
    tail -30 "$D/run.log"; fail "make demo with a failing labeller failed (exit $rc)"
  fi
  check_consistent "$D/run"
  tsv=$D/run/rounds.tsv
  nfailed=0
  for r in "$D"/run/round-*/; do
    sel=$(grep -c BEGIN_CFG "$r/selected.cfg")
    for k in 001 004; do
      if [ "$((10#$k))" -lt "$sel" ]; then
        [ -s "$r/labelled/$k.failed" ] || fail "$r: frame $k should have failed"
        [ ! -s "$r/labelled/$k.cfg" ] || fail "$r: failed frame $k has labelled output"
        # the failed frame is nowhere in the training set
        key=$("$KEYS" "$r/frames/$k.cfg")
        ! "$KEYS" "$D/run/round-"*/train.cfg | grep -qxF "$key" || fail "$r: failed frame $k is in a training set"
        nfailed=$((nfailed + 1))
      fi
    done
    [ "$(ls "$r/labelled/" | grep -c '\.failed$')" -le 2 ] || fail "$r: frames other than 001 and 004 failed"
  done
  [ "$nfailed" -gt 0 ] || fail "no round selected 2 or more frames: nothing failed"
  [ "$(col "$tsv" failed | paste -sd+ | bc)" = "$nfailed" ] || fail "rounds.tsv failed column != $nfailed failed frames"
  cut -f1,4-6 "$tsv"
  echo "PASS: $nfailed failed frames left out and counted in rounds.tsv"
  ;;

check) # check an existing converged run: test_al_loop.sh check BIN SRC DIR
  check_converged "$WORK"
  echo "PASS: $WORK is a consistent converged run"
  ;;

*) echo "usage: $0 converge|resume|failed|check BIN SRC WORK" >&2; exit 2 ;;
esac
