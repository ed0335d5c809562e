#!/bin/bash
# Prints a round's error columns of rounds.tsv (tab-separated):
#   train_energy_mae train_force_mae valid_energy_mae valid_force_mae
# = the component-wise MAE of `mtp check_errors` (energy meV/atom, forces eV/A)
# of POT on the training set and on VALID ("-" when VALID is empty).
# Training frames cut out of larger ones (CUT=..., a force_weight column) are
# left out of the training errors: their energies and most of their forces are
# not fitted (EnergyWeight 0, force_weight 0), and check_errors would count them.
# Usage: round_errors.sh MTP POT TRAIN.cfg VALID.cfg|"" OUT_DIR
# (the reports go to OUT_DIR/errors-train.txt and errors-valid.txt)
set -eo pipefail
MTP=$1 POT=$2 TRAIN=$3 VALID=$4 OUT=$5

mae() { # mae SET NAME: "energy<TAB>forces" from check_errors' MAE lines
  "$MTP" check_errors "$POT" "$1" > "$OUT/errors-$2.txt"
  awk '/Energy per atom +MAE/ { e = $5 } /Forces +MAE/ { f = $3 }
       END { if (e == "" || f == "") exit 1; printf "%s\t%s", e, f }' "$OUT/errors-$2.txt" ||
    { echo "$OUT/errors-$2.txt: no MAE lines in the check_errors report" >&2; exit 1; }
}

awk '/^ *BEGIN_CFG/ { n = 0; cut = 0 } { buf[n++] = $0 } /^ *AtomData:.*force_weight/ { cut = 1 }
     /^ *END_CFG/ { if (!cut) for (i = 0; i < n; i++) print buf[i]; n = 0 }' "$TRAIN" > "$OUT/train-whole.tmp.cfg"
if grep -q BEGIN_CFG "$OUT/train-whole.tmp.cfg"; then mae "$OUT/train-whole.tmp.cfg" train; else printf -- '-\t-'; fi
rm -f "$OUT/train-whole.tmp.cfg"
printf '\t'
if [ -n "$VALID" ]; then mae "$VALID" valid; else printf -- '-\t-'; fi
echo
