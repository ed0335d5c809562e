#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Prints round ROUND's line of rounds.tsv from the files of its directory.
# Usage: round_row.sh ROUND_DIR ROUND   (columns: see ROUNDS_HEADER in Makefile)
#   explored    graded MD frames of the exploration (all runs)
#   candidates  frames saved above threshold_save
#   selected    frames chosen by mtp select_add (round 0: the seed structures)
#   labelled    frames labelled successfully; failed: frames the labeller failed on
#   max_grade   largest grade seen while exploring with the previous round's potential
#   train_size  frames in train.cfg after this round
#   *_energy_mae (meV/atom), *_force_mae (eV/A): mtp check_errors of this round's potential
set -eo pipefail
R=$1 ROUND=$2
frames() { cat /dev/null "$@" | { grep -c '^ *BEGIN_CFG' || true; }; }
if compgen -G "$R/explore/*.grade" > /dev/null; then
  read -r explored max_grade < <(awk '{ n += $1; if ($2 + 0 > m) m = $2 + 0 } END { printf "%d %.4g\n", n, m }' "$R"/explore/*.grade)
  candidates=$(frames "$R"/explore/*.cfg)
else
  explored=- max_grade=- candidates=-
fi
selected=$(frames "$R/selected.cfg")
labelled=$(frames $(ls "$R"/labelled/*.cfg 2>/dev/null))
failed=$(cat /dev/null $(ls "$R"/labelled/*.failed 2>/dev/null) | wc -l)
train_size=$(frames "$R/train.cfg")
errors=$(cat "$R/errors.tsv")
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ROUND" "$explored" "$candidates" "$selected" \
  "$labelled" "$failed" "$max_grade" "$train_size" "$errors"
