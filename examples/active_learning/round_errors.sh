#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Prints a round's error columns of rounds.tsv (tab-separated):
#   train_energy_mae train_force_mae valid_energy_mae valid_force_mae
# = the component-wise MAE of `mtp check_errors` (energy meV/atom, forces eV/A)
# of POT on the training set and on VALID ("-" when VALID is empty, or when
# check_errors left all energies or all forces out).  check_errors leaves out
# what the fit ignores, as the fit does: the energies and stresses of cut
# periodic cells (EnergyWeight 0, StressWeight 0) and the forces of their
# untrusted atoms (force_weight 0), and says so in the report's last line.
# Usage: round_errors.sh MTP POT TRAIN.cfg VALID.cfg|"" OUT_DIR
# (the reports go to OUT_DIR/errors-train.txt and errors-valid.txt)
set -eo pipefail
MTP=$1 POT=$2 TRAIN=$3 VALID=$4 OUT=$5

mae() { # mae SET NAME: "energy<TAB>forces" from check_errors' MAE lines
  "$MTP" check_errors "$POT" "$1" > "$OUT/errors-$2.txt"
  # the whole set's report is first, then one per group (=== mlearn_group = ... ===)
  awk '/^=== / { exit } /Energy per atom +MAE/ { e = $5 } /Forces +MAE/ { f = $3 } /^Left out/ { left = 1 }
       END { if (e == "" && f == "" && !left) exit 1
             printf "%s\t%s", e == "" ? "-" : e, f == "" ? "-" : f }' "$OUT/errors-$2.txt" ||
    { echo "$OUT/errors-$2.txt: no MAE lines in the check_errors report" >&2; exit 1; }
}

mae "$TRAIN" train
printf '\t'
if [ -n "$VALID" ]; then mae "$VALID" valid; else printf -- '-\t-'; fi
echo
