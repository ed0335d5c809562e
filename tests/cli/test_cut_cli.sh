#!/bin/bash
# `mtp cut_extrapolative_nbh`: MLIP-3's example reproduced byte for byte, the
# periodic mode on MLIP-3's graded cells, and its errors.
# usage: test_cut_cli.sh MTP SHARED_DATA WORKDIR
set -u
MTP=$(realpath "$1") DATA=$(realpath "$2") WORK=$3
EX=$DATA/mlip3/examples
if [ ! -f "$EX/cut_extrapolative_nbh/selected.cfg" ]; then
    echo "SKIP: $EX/cut_extrapolative_nbh not found (reference data beside the repository)"
    exit 77
fi
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
fail=0
check() { if ! eval "$1"; then echo "FAILED: $2"; fail=1; else echo "ok: $2"; fi; }

"$MTP" cut_extrapolative_nbh "$EX/cut_extrapolative_nbh/selected.cfg" spherical.cfg --cutoff=8 > out1.txt
rc=$?
check '[ $rc -eq 0 ]' "MLIP-3 mode runs"
check 'cmp spherical.cfg "$EX/cut_extrapolative_nbh/spherical.cfg"' "identical to MLIP-3's spherical.cfg"

"$MTP" cut_extrapolative_nbh "$EX/calculate_grade/graded.cfg" cells.cfg --periodic \
    --potential="$EX/calculate_grade/pot.almtp" --core=2.6 > out2.txt 2> err2.txt
rc=$?
check '[ $rc -eq 0 ]' "periodic mode runs"
check '[ $(grep -c "^BEGIN_CFG" cells.cfg) -eq 2 ]' "one cell per graded configuration"
check '[ $(grep -c "^ Supercell" cells.cfg) -eq 2 ]' "cells are periodic"
check 'grep -q "force_weight" cells.cfg' "force_weight column written"
check 'grep -q "EnergyWeight	0" cells.cfg' "energy weight 0 feature"
# trusted atoms (force_weight 1) reported = rows with weight 1
n1=$(awk '/AtomData/{fw=NF-1; inside=1; next} /Feature|END_CFG|Energy/{inside=0} inside && $fw+0==1 {c++} END{print c+0}' cells.cfg)
r1=$(sed -n 's/.*: [0-9]* atoms, .*, \([0-9]*\) trusted.*/\1/p' out2.txt | awk '{s+=$1} END{print s+0}')
check '[ "$n1" -ge 2 ] && [ "$n1" -eq "$r1" ]' "weight-1 atoms ($n1) = reported trusted atoms ($r1)"
check 'grep -q "closest pair across the new boundary" out2.txt' "cross-boundary distance reported"
# the cells are readable and the trusted atoms keep their MTP site energies:
# evaluated via calculate_efs the cell's energies exist (full check is test_cut)
"$MTP" calculate_efs "$EX/calculate_grade/pot.almtp" cells.cfg -o cells.efs.cfg > /dev/null 2>&1
rc=$?
check '[ $rc -eq 0 ]' "cells evaluate with the potential"

# errors
"$MTP" cut_extrapolative_nbh "$EX/calculate_grade/train.cfg" x.cfg > out3.txt 2> err3.txt
rc=$?
check '[ $rc -eq 1 ] && grep -q "no nbh_grades column" err3.txt && [ ! -e x.cfg ]' "input without grades is an error, no output"
"$MTP" cut_extrapolative_nbh spherical.cfg spherical.cfg > /dev/null 2> err4.txt
rc=$?
check '[ $rc -eq 2 ]' "refuses to overwrite the input"
"$MTP" cut_extrapolative_nbh "$EX/calculate_grade/graded.cfg" y.cfg --core=1 > /dev/null 2> err5.txt
rc=$?
check '[ $rc -eq 2 ] && grep -q "core" err5.txt' "periodic options need --periodic"
exit $fail
